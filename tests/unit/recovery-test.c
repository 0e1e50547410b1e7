/* Unit: the startup sweep (src/dvr-recovery.h) on a storage folder built
 * by hand with real Matroska H.264 segments and a real catalog.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "dvr-catalog.h"
#include "dvr-recovery.h"
#include "dvr-storage.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

/* 2026-11-28T19:37:31.123Z */
#define T0 (G_GINT64_CONSTANT (1795894651) * DVR_NSEC_PER_SEC + 123 * DVR_NSEC_PER_MSEC)
#define FPS 10

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DvrTestDecode, dvr_test_decode_clear)

typedef struct {
  gchar *root;
  DvrCatalog *catalog;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *catalog_path = NULL;

  f->root = dvr_test_mkdtemp ();
  catalog_path = g_build_filename (f->root, DVR_STORAGE_CATALOG_NAME, NULL);
  f->catalog = dvr_catalog_open (catalog_path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (dvr_catalog_ensure_camera (f->catalog, "front", "test", &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  dvr_catalog_free (f->catalog);
  dvr_test_rmtree (f->root);
  g_free (f->root);
}

/* A clip of @seconds named as dvrd names the segment; returns its relpath. */
static gchar *
make_segment (Fixture *f, const gchar *camera, gint64 start, gint64 run, guint seq, guint seconds)
{
  g_autoptr (GError) error = NULL;
  gchar *relpath = dvr_storage_build_segment_path (camera, start, run, seq);
  g_autofree gchar *path = g_build_filename (f->root, relpath, NULL);
  g_autofree gchar *folder = g_path_get_dirname (path);

  g_assert_true (dvr_mkdir_durable (folder, &error));
  g_assert_true (dvr_test_make_clip (path, 160, 120, FPS, seconds, &error));
  g_assert_no_error (error);
  return relpath;
}

static gchar *
root_path (Fixture *f, const gchar *relpath)
{
  return g_build_filename (f->root, relpath, NULL);
}

static DvrSegment *
find_segment (Fixture *f, const gchar *relpath)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = dvr_catalog_list_segments (f->catalog, NULL, 0, G_MAXINT64, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++) {
    DvrSegment *s = g_ptr_array_index (all, i);
    if (g_str_equal (s->path, relpath))
      return dvr_segment_copy (s);
  }
  return NULL;
}

static guint
count_audit (Fixture *f, const gchar *action)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = dvr_catalog_list_audit (f->catalog, 0, 0, &error);
  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++) {
    DvrAuditEntry *e = g_ptr_array_index (rows, i);
    if (action == NULL || g_str_equal (e->action, action))
      n++;
  }
  return n;
}

static void
assert_audit_verifies (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  guint64 rows = 0;
  gint64 bad = -1;

  g_assert_true (dvr_catalog_verify_audit (f->catalog, &rows, &bad, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows, >, 0);
}

static void
run_recovery (Fixture *f, DvrRecoverySummary *summary)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dvr_recovery_run (f->root, f->catalog, summary, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (summary->failures, ==, 0);
}

/* A second sweep finds nothing new: no row, no audit row, no file moved. */
static void
assert_second_run_changes_nothing (Fixture *f, const DvrRecoverySummary *first)
{
  DvrRecoverySummary again;
  guint audit_before = count_audit (f, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) before = dvr_catalog_list_segments (f->catalog, NULL, 0, G_MAXINT64, &error);
  g_autoptr (GPtrArray) after = NULL;

  run_recovery (f, &again);
  after = dvr_catalog_list_segments (f->catalog, NULL, 0, G_MAXINT64, &error);
  g_assert_cmpuint (again.recovered, ==, 0);
  g_assert_cmpuint (again.empty_removed, ==, 0);
  g_assert_cmpuint (again.quarantined, ==, 0);
  g_assert_cmpuint (again.missing, ==, first->missing);
  g_assert_cmpuint (again.size_mismatches, ==, first->size_mismatches);
  g_assert_cmpuint (count_audit (f, NULL), ==, audit_before);
  g_assert_cmpuint (after->len, ==, before->len);
}

static void
test_orphan (Fixture *f, gconstpointer data)
{
  g_autofree gchar *relpath = make_segment (f, "front", T0, 3, 0, 2);
  g_autofree gchar *path = root_path (f, relpath);
  g_autofree gchar *sha256 = dvr_test_sha256_file (path, NULL);
  g_autoptr (DvrSegment) segment = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrAuditEntry) last = NULL;
  g_auto (DvrTestDecode) decode = { 0, };
  DvrRecoverySummary summary;
  GStatBuf st;

  g_assert_true (dvr_test_decode_file (path, &decode, &error));
  g_assert_cmpuint (decode.frames, ==, 2 * FPS);
  g_assert_cmpint (g_stat (path, &st), ==, 0);

  run_recovery (f, &summary);
  g_assert_cmpuint (summary.recovered, ==, 1);
  g_assert_cmpuint (summary.recovered_frames, ==, 2 * FPS);
  g_assert_cmpuint (summary.empty_removed + summary.quarantined + summary.missing +
      summary.size_mismatches, ==, 0);

  segment = find_segment (f, relpath);
  g_assert_nonnull (segment);
  g_assert_cmpint (segment->state, ==, DVR_SEGMENT_STATE_RECOVERED);
  g_assert_cmpstr (segment->camera, ==, "front");
  g_assert_cmpint (segment->run_id, ==, 3);
  g_assert_cmpuint (segment->seq, ==, 0);
  g_assert_cmpuint (segment->frames, ==, decode.frames);
  g_assert_cmpuint (segment->bytes, ==, (guint64) st.st_size);
  g_assert_cmpstr (segment->sha256, ==, sha256);
  g_assert_cmpstr (segment->codec, ==, "h264");
  g_assert_cmpint (segment->start_utc_ns, ==, T0);
  /* Its true end: the name's stamp plus what the file plays. */
  g_assert_cmpint (segment->end_utc_ns, ==, T0 + (decode.last_end - decode.first_pts));
  g_assert_cmpint (segment->end_utc_ns - T0, ==, 2 * DVR_NSEC_PER_SEC);
  /* The file itself is untouched. */
  {
    g_autofree gchar *after = dvr_test_sha256_file (path, NULL);
    g_assert_cmpstr (after, ==, sha256);
  }
  last = dvr_catalog_get_last_audit (f->catalog, "recovery", &error);
  g_assert_no_error (error);
  g_assert_nonnull (last);
  g_assert_nonnull (strstr (last->detail, "\"recovered\":1"));
  assert_audit_verifies (f);
  assert_second_run_changes_nothing (f, &summary);
  assert_audit_verifies (f);
}

/* Copies the first @bytes of @from into a new segment file. */
static gchar *
make_cut (Fixture *f, const gchar *from, guint seq, gsize bytes)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize length = 0;
  gchar *relpath = dvr_storage_build_segment_path ("front", T0 + seq * 10 * DVR_NSEC_PER_SEC, 4, seq);
  g_autofree gchar *path = root_path (f, relpath);

  g_assert_true (g_file_get_contents (from, &contents, &length, &error));
  g_assert_cmpuint (bytes, <=, length);
  g_assert_true (g_file_set_contents (path, contents, bytes, &error));
  return relpath;
}

static void
test_cut (Fixture *f, gconstpointer data)
{
  g_autofree gchar *whole_rel = make_segment (f, "front", T0, 4, 0, 3);
  g_autofree gchar *whole = root_path (f, whole_rel);
  g_auto (DvrTestDecode) full = { 0, };
  g_autoptr (GError) error = NULL;
  DvrRecoverySummary summary;
  GStatBuf st;
  gsize size;
  gsize cuts[5];
  gchar *rel[5];
  gboolean recovered_fewer = FALSE;

  g_assert_true (dvr_test_decode_file (whole, &full, &error));
  g_assert_cmpint (g_stat (whole, &st), ==, 0);
  size = st.st_size;
  cuts[0] = 20;               /* inside the EBML header */
  cuts[1] = 200;              /* inside the segment info / tracks */
  cuts[2] = size / 3;         /* mid-cluster */
  cuts[3] = size * 2 / 3 + 5; /* mid-cluster, further */
  cuts[4] = size - 3;         /* inside the cues at the end */
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    rel[i] = make_cut (f, whole, i + 1, cuts[i]);
  /* The whole file plays; only the cuts are looked at. */
  g_assert_cmpint (g_unlink (whole), ==, 0);

  run_recovery (f, &summary);
  g_assert_cmpuint (summary.recovered + summary.quarantined, ==, G_N_ELEMENTS (cuts));
  g_assert_cmpuint (summary.empty_removed, ==, 0);
  g_assert_cmpuint (summary.quarantined, >=, 1);   /* the header cut plays nothing */
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++) {
    g_autofree gchar *path = root_path (f, rel[i]);
    g_autoptr (DvrSegment) segment = find_segment (f, rel[i]);

    if (segment != NULL) {
      g_auto (DvrTestDecode) decode = { 0, };
      /* What the row says is what decodes. */
      g_assert_true (dvr_test_decode_file (path, &decode, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (segment->frames, ==, decode.frames);
      g_assert_cmpuint (segment->frames, >, 0);
      g_assert_cmpuint (segment->bytes, ==, cuts[i]);
      g_assert_cmpint (segment->state, ==, DVR_SEGMENT_STATE_RECOVERED);
      if (i < 4) {
        g_assert_cmpuint (segment->frames, <, full.frames);
        recovered_fewer = TRUE;
      }
      g_assert_cmpint (segment->end_utc_ns - segment->start_utc_ns, ==,
          decode.last_end - decode.first_pts);
    } else {
      /* Never deleted: moved, whole, to recovery/ with its audit row. */
      g_autofree gchar *base = g_path_get_basename (rel[i]);
      g_autofree gchar *moved = g_build_filename (f->root, DVR_RECOVERY_QUARANTINE_FOLDER,
          base, NULL);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      g_assert_cmpint (g_stat (moved, &st), ==, 0);
      g_assert_cmpuint (st.st_size, ==, cuts[i]);
    }
  }
  g_assert_true (recovered_fewer);
  g_assert_null (find_segment (f, rel[0]));
  g_assert_cmpuint (count_audit (f, "quarantine"), ==, summary.quarantined);
  assert_audit_verifies (f);
  assert_second_run_changes_nothing (f, &summary);
  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    g_free (rel[i]);
}

static void
test_empty (Fixture *f, gconstpointer data)
{
  g_autofree gchar *relpath = dvr_storage_build_segment_path ("front", T0, 5, 0);
  g_autofree gchar *path = root_path (f, relpath);
  g_autofree gchar *folder = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrAuditEntry) last = NULL;
  g_autoptr (GPtrArray) garbage = NULL;
  DvrRecoverySummary summary;

  g_assert_true (dvr_mkdir_durable (folder, &error));
  g_assert_true (g_file_set_contents (path, "", 0, &error));
  run_recovery (f, &summary);
  g_assert_cmpuint (summary.empty_removed, ==, 1);
  g_assert_cmpuint (summary.recovered + summary.quarantined, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  garbage = dvr_catalog_list_garbage (f->catalog, &error);
  g_assert_cmpuint (garbage->len, ==, 0);
  last = dvr_catalog_get_last_audit (f->catalog, "delete", &error);
  g_assert_nonnull (last);
  g_assert_nonnull (strstr (last->detail, relpath));
  g_assert_nonnull (strstr (last->detail, "\"reason\":\"recovery: empty\""));
  assert_audit_verifies (f);
  assert_second_run_changes_nothing (f, &summary);
}

static void
test_mismatch (Fixture *f, gconstpointer data)
{
  g_autofree gchar *gone_rel = make_segment (f, "front", T0, 6, 0, 1);
  g_autofree gchar *grown_rel = make_segment (f, "front", T0 + 2 * DVR_NSEC_PER_SEC, 6, 1, 1);
  g_autofree gchar *gone = root_path (f, gone_rel);
  g_autofree gchar *grown = root_path (f, grown_rel);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrSegment) row = NULL;
  DvrRecoverySummary summary;
  FILE *file;

  run_recovery (f, &summary);
  g_assert_cmpuint (summary.recovered, ==, 2);
  g_assert_cmpint (g_unlink (gone), ==, 0);
  file = fopen (grown, "ab");
  g_assert_nonnull (file);
  fputs ("tampered", file);
  fclose (file);

  run_recovery (f, &summary);
  g_assert_cmpuint (summary.recovered, ==, 0);
  g_assert_cmpuint (summary.missing, ==, 1);
  g_assert_cmpuint (summary.size_mismatches, ==, 1);
  /* Rows are kept. */
  row = find_segment (f, gone_rel);
  g_assert_nonnull (row);
  g_clear_pointer (&row, dvr_segment_free);
  row = find_segment (f, grown_rel);
  g_assert_nonnull (row);
  g_assert_cmpuint (count_audit (f, "catalog-mismatch"), ==, 2);
  assert_audit_verifies (f);
  /* Reported again, audited once. */
  assert_second_run_changes_nothing (f, &summary);
  g_assert_cmpuint (count_audit (f, "catalog-mismatch"), ==, 2);
}

static void
test_evidence (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrEvent) event = dvr_event_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) evidence = NULL;
  g_autofree gchar *inside = NULL;
  g_autofree gchar *before = NULL;
  DvrRecoverySummary summary;

  /* A running event left by a killed dvrd. */
  g_assert_true (dvr_catalog_ensure_run (f->catalog, 7, T0 - 60 * DVR_NSEC_PER_SEC,
      DVR_CLOCK_SOURCE_RTC, &error));
  event->kind = DVR_EVENT_KIND_MANUAL;
  event->run_id = 7;
  event->start_utc_ns = T0 - 5 * DVR_NSEC_PER_SEC;
  event->end_utc_ns = -1;
  event->reason = g_strdup ("dvrctl");
  g_ptr_array_add (event->windows, dvr_event_window_new ("front", T0 - 5 * DVR_NSEC_PER_SEC, -1));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_assert_no_error (error);

  before = make_segment (f, "front", T0 - 30 * DVR_NSEC_PER_SEC, 7, 0, 1);
  inside = make_segment (f, "front", T0, 7, 1, 1);
  run_recovery (f, &summary);
  g_assert_cmpuint (summary.recovered, ==, 2);
  evidence = dvr_catalog_list_event_segments (f->catalog, event->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (evidence->len, ==, 1);
  g_assert_cmpstr (((DvrSegment *) g_ptr_array_index (evidence, 0))->path, ==, inside);
  assert_audit_verifies (f);
}

/* An orphan of a run whose row a power loss dropped, of a camera the
 * catalog does not know. */
static void
test_lost_run (Fixture *f, gconstpointer data)
{
  g_autofree gchar *relpath = make_segment (f, "rear", T0, 9, 2, 1);
  g_autoptr (DvrSegment) segment = NULL;
  g_autoptr (GError) error = NULL;
  DvrRecoverySummary summary;

  run_recovery (f, &summary);
  g_assert_cmpuint (summary.recovered, ==, 1);
  segment = find_segment (f, relpath);
  g_assert_nonnull (segment);
  g_assert_cmpint (segment->run_id, ==, 9);
  g_assert_cmpuint (segment->seq, ==, 2);
  /* A new run starts above it. */
  g_assert_cmpint (dvr_catalog_begin_run (f->catalog, 0, T0, DVR_CLOCK_SOURCE_RTC, &error), >, 9);
}

/* Orphans in the garbage table are the garbage steps' business. */
static void
test_garbage_left_alone (Fixture *f, gconstpointer data)
{
  g_autofree gchar *relpath = make_segment (f, "front", T0, 10, 0, 1);
  g_autofree gchar *path = root_path (f, relpath);
  g_autoptr (GError) error = NULL;
  DvrRecoverySummary summary;

  g_assert_true (dvr_catalog_add_garbage_file (f->catalog, relpath, 1, NULL, "test", &error));
  run_recovery (f, &summary);
  g_assert_cmpuint (summary.recovered + summary.quarantined + summary.empty_removed, ==, 0);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_null (find_segment (f, relpath));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* Quarantines and mismatches are warnings for the operator; here they
   * are expected, and each test asserts the counts instead. */
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
#define ADD(name, func) \
  g_test_add ("/recovery/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("orphan", test_orphan);
  ADD ("cut", test_cut);
  ADD ("empty", test_empty);
  ADD ("mismatch", test_mismatch);
  ADD ("evidence", test_evidence);
  ADD ("lost-run", test_lost_run);
  ADD ("garbage-left-alone", test_garbage_left_alone);
  return g_test_run ();
}
