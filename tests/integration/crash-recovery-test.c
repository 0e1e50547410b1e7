/* Integration: dvrd killed (SIGKILL) while recording an event, restarted on
 * the same storage: what the startup sweep (src/dvr-recovery.h) makes of
 * the segments that were open.
 *
 *  kill-restart   three rounds, each killed at another moment after an
 *                 event started (early in a segment, mid-segment, close to
 *                 a rotation), restarted, then (last round) stopped: every
 *                 file without a row at the kill is catalogued as
 *                 'recovered' (or, if it was empty, deleted with its audit
 *                 row), decodes fully with the catalogued frame count, and
 *                 is evidence of the event that was running; no segment
 *                 file is without a row (bar quarantine); PRAGMA
 *                 integrity_check ok; the audit chain verifies; dvrd's log
 *                 has the summary line with the same count.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "dvr-catalog.h"
#include "dvr-control.h"
#include "dvr-recovery.h"
#include "dvr-storage.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#define FPS 10
#define WAIT_MS 15000

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DvrTestDecode, dvr_test_decode_clear)

static const gchar *cameras[] = { "front", "rear" };

static struct {
  gchar *folder;
  gchar *storage;
  gchar *catalog_path;
  gchar *config;
  DvrTestDaemon *daemon;
} fx;

static void
fail (const gchar *message)
{
  if (fx.daemon != NULL)
    dvr_test_daemon_print_log (fx.daemon);
  g_error ("%s", message);
}

static JsonObject *
call_ok (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) request = json_from_string (text, &error);
  JsonObject *reply;

  g_assert_no_error (error);
  reply = dvr_control_call (fx.daemon->socket_path, json_node_get_object (request), 10000, &error);
  if (reply == NULL)
    fail (error->message);
  g_assert_true (json_object_get_boolean_member_with_default (reply, "ok", TRUE));
  return reply;
}

static gboolean
cameras_recording (JsonObject *reply, gpointer user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    JsonObject *camera = dvr_test_status_camera (reply, cameras[i]);
    if (camera == NULL ||
        g_strcmp0 (json_object_get_string_member (camera, "state"), "recording") != 0 ||
        json_object_get_int_member (camera, "frames_in") < FPS / 2)
      return FALSE;
  }
  return TRUE;
}

static void
start_daemon (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = NULL;

  fx.daemon = dvr_test_daemon_start (fx.folder, fx.config, &error);
  g_assert_no_error (error);
  reply = dvr_test_daemon_wait (fx.daemon, WAIT_MS, cameras_recording, NULL);
  if (reply == NULL)
    fail ("the cameras did not start recording");
}

/* Relative paths of every segment file under ROOT/CAMERA/DAY/. */
static GHashTable *
list_files (void)
{
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint c = 0; c < G_N_ELEMENTS (cameras); c++) {
    g_autofree gchar *camera_path = g_build_filename (fx.storage, cameras[c], NULL);
    g_autoptr (GDir) camera_dir = g_dir_open (camera_path, 0, NULL);
    const gchar *day;

    while (camera_dir != NULL && (day = g_dir_read_name (camera_dir)) != NULL) {
      g_autofree gchar *day_path = g_build_filename (camera_path, day, NULL);
      g_autoptr (GDir) day_dir = g_dir_open (day_path, 0, NULL);
      const gchar *name;

      while (day_dir != NULL && (name = g_dir_read_name (day_dir)) != NULL) {
        if (dvr_storage_parse_segment_name (name, NULL, NULL))
          g_hash_table_add (files, g_build_filename (cameras[c], day, name, NULL));
      }
    }
  }
  return files;
}

/* Catalogued segments by path (a read-only view of the live catalog). */
static GHashTable *
list_rows (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
  g_autoptr (GPtrArray) all = NULL;
  GHashTable *rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) dvr_segment_free);

  g_assert_no_error (error);
  all = dvr_catalog_list_segments (catalog, NULL, 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++) {
    DvrSegment *s = dvr_segment_copy (g_ptr_array_index (all, i));
    g_hash_table_replace (rows, s->path, s);
  }
  return rows;
}

static gchar *
integrity_check (void)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gchar *answer = NULL;

  g_assert_cmpint (sqlite3_open_v2 (fx.catalog_path, &db, SQLITE_OPEN_READONLY, NULL), ==,
      SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
      SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    answer = g_strdup ((const gchar *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return answer;
}

/* Once the restarted dvrd is up: what was open at the kill (@orphans) is
 * now recovered, whole, and evidence of @event_id.  Returns how many. */
static guint
check_round (guint round, GHashTable *orphans, gint64 event_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
  g_autoptr (GHashTable) rows = list_rows ();
  g_autoptr (GPtrArray) evidence = NULL;
  g_autoptr (GPtrArray) audit = NULL;
  g_autoptr (GHashTable) evidence_paths = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree gchar *log = NULL;
  g_autofree gchar *expected = NULL;
  GHashTableIter iter;
  gpointer key;
  guint recovered = 0, removed = 0;

  g_assert_no_error (error);
  evidence = dvr_catalog_list_event_segments (catalog, event_id, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < evidence->len; i++)
    g_hash_table_add (evidence_paths, ((DvrSegment *) g_ptr_array_index (evidence, i))->path);
  audit = dvr_catalog_list_audit (catalog, 0, 0, &error);
  g_assert_no_error (error);

  g_hash_table_iter_init (&iter, orphans);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    const gchar *relpath = key;
    DvrSegment *row = g_hash_table_lookup (rows, relpath);
    g_autofree gchar *path = g_build_filename (fx.storage, relpath, NULL);

    if (row == NULL) {
      /* Only an empty file may go, and only with its audit row. */
      gboolean audited = FALSE;
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      for (guint i = 0; i < audit->len; i++) {
        DvrAuditEntry *e = g_ptr_array_index (audit, i);
        if (g_str_equal (e->action, "delete") && strstr (e->detail, relpath) != NULL &&
            strstr (e->detail, "recovery: empty") != NULL)
          audited = TRUE;
      }
      if (!audited)
        g_error ("round %u: %s was open at the kill and is gone without an audit row",
            round, relpath);
      removed++;
      continue;
    }
    {
      g_auto (DvrTestDecode) decode = { 0, };
      g_autofree gchar *sha256 = dvr_test_sha256_file (path, NULL);

      g_assert_cmpint (row->state, ==, DVR_SEGMENT_STATE_RECOVERED);
      if (!dvr_test_decode_file (path, &decode, &error))
        g_error ("round %u: %s does not decode: %s", round, relpath, error->message);
      g_assert_cmpuint (decode.frames, ==, row->frames);
      g_assert_cmpuint (row->frames, >, 0);
      g_assert_cmpstr (sha256, ==, row->sha256);
      g_assert_cmpint (row->end_utc_ns - row->start_utc_ns, ==,
          decode.last_end - decode.first_pts);
      if (!g_hash_table_contains (evidence_paths, relpath))
        g_error ("round %u: %s is not evidence of event %" G_GINT64_FORMAT,
            round, relpath, event_id);
      recovered++;
    }
  }

  log = NULL;
  g_assert_true (g_file_get_contents (fx.daemon->log_path, &log, NULL, NULL));
  expected = g_strdup_printf ("recovery: %u segment%s recovered (", recovered,
      recovered == 1 ? "" : "s");
  if (strstr (log, expected) == NULL) {
    dvr_test_daemon_print_log (fx.daemon);
    g_error ("round %u: no \"%s\" in dvrd's log", round, expected);
  }
  g_test_message ("round %u: %u recovered, %u empty removed", round, recovered, removed);
  return recovered;
}

/* Every segment file has a row (quarantined files are not under
 * CAMERA/DAY any more), but those of @live_run (0: none), which the running
 * dvrd is writing; the catalog is sound; the audit chain verifies. */
static void
check_storage (gint64 live_run)
{
  g_autoptr (GHashTable) files = list_files ();
  g_autoptr (GHashTable) rows = list_rows ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autofree gchar *integrity = integrity_check ();
  GHashTableIter iter;
  gpointer key;
  guint64 n_rows = 0;
  gint64 bad = 0;

  g_hash_table_iter_init (&iter, files);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    gint64 run = 0;
    g_assert_true (dvr_storage_parse_segment_name (key, &run, NULL));
    if (run != live_run && !g_hash_table_contains (rows, key))
      g_error ("%s is on the storage without a row", (const gchar *) key);
  }
  g_assert_cmpstr (integrity, ==, "ok");
  catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
  g_assert_no_error (error);
  if (!dvr_catalog_verify_audit (catalog, &n_rows, &bad, &error))
    g_error ("audit: %s", error->message);
  g_assert_cmpuint (n_rows, >, 0);
}

static void
test_kill_restart (void)
{
  /* How long after the event starts each kill comes, in ms: segments are
   * 2 s, so these fall at different places in a segment. */
  const guint kill_after_ms[] = { 900, 2500, 3900 };
  guint total = 0;

  start_daemon ();
  for (guint round = 0; round < G_N_ELEMENTS (kill_after_ms); round++) {
    g_autoptr (JsonObject) started = call_ok ("{\"cmd\":\"event-start\"}");
    gint64 event_id = json_object_get_int_member (
        json_object_get_object_member (started, "event"), "id");
    g_autoptr (GHashTable) files = NULL;
    g_autoptr (GHashTable) rows = NULL;
    g_autoptr (GHashTable) orphans = g_hash_table_new (g_str_hash, g_str_equal);
    GHashTableIter iter;
    gpointer key;

    dvr_test_wait_ms (kill_after_ms[round]);
    g_subprocess_send_signal (fx.daemon->process, SIGKILL);
    g_subprocess_wait (fx.daemon->process, NULL, NULL);
    g_assert_true (g_subprocess_get_if_signaled (fx.daemon->process));
    g_assert_cmpint (g_subprocess_get_term_sig (fx.daemon->process), ==, SIGKILL);
    g_clear_pointer (&fx.daemon, dvr_test_daemon_free);

    /* What the kill left open: files with no row. */
    files = list_files ();
    rows = list_rows ();
    g_hash_table_iter_init (&iter, files);
    while (g_hash_table_iter_next (&iter, &key, NULL)) {
      if (!g_hash_table_contains (rows, key))
        g_hash_table_add (orphans, key);
    }
    g_assert_cmpuint (g_hash_table_size (orphans), >=, 1);

    start_daemon ();
    total += check_round (round, orphans, event_id);
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) now = dvr_test_daemon_status (fx.daemon, &error);
      g_assert_no_error (error);
      check_storage (json_object_get_int_member (now, "run"));
    }
  }
  if (dvr_test_daemon_stop (fx.daemon, 10000, NULL) != 0)
    fail ("dvrd did not stop cleanly");
  g_clear_pointer (&fx.daemon, dvr_test_daemon_free);
  check_storage (0);
  /* Two cameras, three kills: at least one open segment each time. */
  g_assert_cmpuint (total, >=, G_N_ELEMENTS (kill_after_ms) * G_N_ELEMENTS (cameras) - 1);
}

int
main (int argc, char **argv)
{
  g_autoptr (GString) c = g_string_new (NULL);
  int status;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("DVRD") == NULL) {
    g_print ("DVRD is not set: this test needs the built dvrd\n");
    return DVR_TEST_SKIP;
  }
  fx.folder = dvr_test_mkdtemp ();
  fx.storage = g_build_filename (fx.folder, "storage", NULL);
  fx.catalog_path = g_build_filename (fx.storage, DVR_STORAGE_CATALOG_NAME, NULL);
  g_assert_cmpint (g_mkdir (fx.storage, 0750), ==, 0);
  g_string_append_printf (c,
      "[recorder]\nunit-id = test-car\nstorage = %s\nsegment-length = 2\n"
      "stall-timeout = %u\n"   /* the default, scaled: dvrd starts slowly under valgrind */
      "[control]\nsocket = %s/control.sock\n"
      "[gps]\ngpsd = none\n", fx.storage, dvr_test_timeout_ms (5000) / 1000, fx.folder);
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++)
    g_string_append_printf (c, "[camera %s]\nsource = test\nwidth = 160\nheight = 120\n"
        "framerate = %d/1\nkeyframe-interval = %d\n", cameras[i], FPS, FPS);
  fx.config = g_string_free (g_steal_pointer (&c), FALSE);

  g_test_add_func ("/crash-recovery/kill-restart", test_kill_restart);
  status = g_test_run ();
  if (fx.daemon != NULL)
    dvr_test_daemon_free (fx.daemon);
  dvr_test_rmtree (fx.folder);
  return status;
}
