/* Fuzzes startup recovery (src/dvr-recovery.h) of a damaged segment file:
 * the input is left as the open segment of a killed dvrd, in a storage
 * folder with a real catalog, and dvr_recovery_run() sweeps it.  Whatever
 * the bytes, exactly one of these must hold afterwards, and a second sweep
 * must change nothing:
 *
 *   - recovered: a 'recovered' row with the file's size and SHA-256, at
 *     least one frame and an end not before its start; the file unchanged;
 *   - removed: the file was empty, it is gone, with its garbage audit row;
 *   - quarantined: the file is in ROOT/recovery/ byte for byte, with an
 *     audit row naming it.
 *
 * The audit chain verifies and PRAGMA integrity_check is ok.  A file left
 * as it was (a probe timeout) is a finding.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "dvr-catalog.h"
#include "dvr-recovery.h"
#include "dvr-storage.h"
#include "dvr-utils.h"
#include "fuzz.h"
#include "fuzz-gst.h"

/* 2026-11-28T19:37:31.123Z, run 7, sequence 3. */
#define STAMP (G_GINT64_CONSTANT (1795894651) * DVR_NSEC_PER_SEC + 123 * DVR_NSEC_PER_MSEC)
#define RUN 7
#define SEQ 3

static gchar *base_folder;
static gchar *template_catalog;   /* a fresh catalog, copied for each input */
static gsize template_length;
static guint64 n_inputs;
static guint64 outcomes[3];       /* recovered, removed, quarantined */

/* Recovery's own warning for a quarantined file is the expected outcome
 * of most inputs; anything else goes to the strict writer. */
static GLogWriterOutput
recovery_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                     gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++) {
    if (g_strcmp0 (fields[i].key, "MESSAGE") != 0 || fields[i].length >= 0)
      continue;
    if (g_str_has_prefix (fields[i].value, "recovery: ") &&
        strstr (fields[i].value, "; moved to " DVR_RECOVERY_QUARANTINE_FOLDER "/") != NULL)
      return G_LOG_WRITER_HANDLED;
    /* The summary and per-file lines (g_message) are noise at this rate. */
    if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) &&
        g_str_has_prefix (fields[i].value, "recovery: "))
      return G_LOG_WRITER_HANDLED;
  }
  return fuzz_gst_log_writer (level, fields, n_fields, user_data);
}

static int
remove_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  return remove (path);
}

static void
remove_tree (const gchar *path)
{
  if (nftw (path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
    g_error ("fuzz-recovery: could not remove %s", path);
}

static void
fuzz_recovery_cleanup (void)
{
  g_printerr ("fuzz-recovery: %" G_GUINT64_FORMAT " inputs: %" G_GUINT64_FORMAT " recovered, %"
      G_GUINT64_FORMAT " removed (empty), %" G_GUINT64_FORMAT " quarantined\n",
      n_inputs, outcomes[0], outcomes[1], outcomes[2]);
  remove_tree (base_folder);
}

static void
assert_integrity (const gchar *catalog_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (catalog_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
      SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const gchar *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
fuzz_recovery_init (void)
{
  g_autoptr (GError) error = NULL;

  g_autofree gchar *path = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;

  fuzz_gst_init (recovery_log_writer);
  base_folder = g_dir_make_tmp ("dvr-fuzz-recovery-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (fuzz_recovery_cleanup);
  /* Making a catalog costs more than a sweep: make it once, copy it. */
  path = g_build_filename (base_folder, "template.sqlite3", NULL);
  catalog = dvr_catalog_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (dvr_catalog_ensure_camera (catalog, "front", "test", &error));
  g_clear_pointer (&catalog, dvr_catalog_free);
  g_assert_true (g_file_get_contents (path, &template_catalog, &template_length, &error));
}

static gboolean
file_is (const gchar *path, const uint8_t *data, size_t size)
{
  g_autofree gchar *contents = NULL;
  gsize length = 0;

  return g_file_get_contents (path, &contents, &length, NULL) && length == size &&
      memcmp (contents, data, size) == 0;
}

static gboolean
audit_mentions (DvrCatalog *catalog, const gchar *action, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) audit = dvr_catalog_list_audit (catalog, 0, 0, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < audit->len; i++) {
    DvrAuditEntry *e = g_ptr_array_index (audit, i);
    if (g_str_equal (e->action, action) && e->detail != NULL && strstr (e->detail, text) != NULL)
      return TRUE;
  }
  return FALSE;
}

static void
check_recovered (DvrCatalog *catalog, const gchar *relpath, const gchar *path,
                 const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = dvr_catalog_list_segments (catalog, NULL, 0, G_MAXINT64, &error);
  g_autofree gchar *sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  DvrSegment *row = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpstr (row->path, ==, relpath);
  g_assert_cmpint (row->state, ==, DVR_SEGMENT_STATE_RECOVERED);
  g_assert_cmpuint (row->bytes, ==, size);
  g_assert_cmpstr (row->sha256, ==, sha256);
  g_assert_cmpuint (row->frames, >, 0);
  g_assert_cmpint (row->start_utc_ns, ==, STAMP);
  g_assert_cmpint (row->end_utc_ns, >=, row->start_utc_ns);
  g_assert_cmpint (row->run_id, ==, RUN);
  g_assert_cmpuint (row->seq, ==, SEQ);
  g_assert_true (file_is (path, data, size));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *root = NULL;
  g_autofree gchar *catalog_path = NULL;
  g_autofree gchar *relpath = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *folder = NULL;
  g_autofree gchar *base = NULL;
  g_autofree gchar *quarantined = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  DvrRecoverySummary first, second;
  guint64 n_rows = 0;
  gint64 bad = -1;

  if (base_folder == NULL)
    fuzz_recovery_init ();
  root = g_strdup_printf ("%s/%" G_GUINT64_FORMAT, base_folder, n_inputs++);
  catalog_path = g_build_filename (root, DVR_STORAGE_CATALOG_NAME, NULL);
  relpath = dvr_storage_build_segment_path ("front", STAMP, RUN, SEQ);
  path = g_build_filename (root, relpath, NULL);
  folder = g_path_get_dirname (path);
  base = g_path_get_basename (relpath);
  quarantined = g_build_filename (root, DVR_RECOVERY_QUARANTINE_FOLDER, base, NULL);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0750), ==, 0);
  g_assert_true (g_file_set_contents_full (catalog_path, template_catalog, template_length,
      G_FILE_SET_CONTENTS_NONE, 0600, &error));
  catalog = dvr_catalog_open (catalog_path, FALSE, &error);
  g_assert_no_error (error);
  /* No fsync: recovery syncs what it keeps, and the file only has to be
   * readable back. */
  if (!g_file_set_contents_full (path, (const gchar *) data, size,
          G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_error ("%s", error->message);

  g_assert_true (dvr_recovery_run (root, catalog, &first, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (first.failures, ==, 0);
  g_assert_cmpuint (first.missing + first.size_mismatches, ==, 0);
  g_assert_cmpuint (first.recovered + first.empty_removed + first.quarantined, ==, 1);
  outcomes[first.recovered == 1 ? 0 : first.empty_removed == 1 ? 1 : 2]++;
  if (first.recovered == 1) {
    check_recovered (catalog, relpath, path, data, size);
  } else if (first.empty_removed == 1) {
    g_assert_cmpuint (size, ==, 0);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    g_assert_true (audit_mentions (catalog, "delete", relpath));
  } else {
    g_assert_cmpuint (size, >, 0);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    g_assert_true (file_is (quarantined, data, size));
    g_assert_true (audit_mentions (catalog, "quarantine", relpath));
  }

  /* A second start finds nothing new to do. */
  g_assert_true (dvr_recovery_run (root, catalog, &second, &error));
  g_assert_cmpuint (second.recovered + second.empty_removed + second.quarantined +
      second.missing + second.size_mismatches + second.failures, ==, 0);
  if (!dvr_catalog_verify_audit (catalog, &n_rows, &bad, &error))
    g_error ("audit chain: %s (row %" G_GINT64_FORMAT ")", error->message, bad);
  g_assert_cmpuint (n_rows, >, 0);
  g_clear_pointer (&catalog, dvr_catalog_free);
  assert_integrity (catalog_path);
  remove_tree (root);
  return 0;
}
