/* catalog-test: the SQLite catalog on real files in a temporary folder.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-catalog.h"

#include <float.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DVR_TEST_SECOND G_GINT64_CONSTANT (1000000000)
#define SHA_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

typedef struct {
  gchar *dir;
  gchar *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("catalog-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "catalog.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, &error);
  const gchar *name;

  /* Flat folder: the database, its -wal and -shm, and copies of it. */
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
    g_assert_cmpint (g_remove (path), ==, 0);
  }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->path);
  g_free (f->dir);
}

/* Raw SQLite access, to look at the file from outside the module. */

static void
raw_exec (const gchar *path, const gchar *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
      ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static gchar *
raw_query_text (const gchar *path, const gchar *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gchar *value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const gchar *) sqlite3_column_text (stmt, 0));
  g_assert_cmpint (sqlite3_finalize (stmt), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return value;
}

static gint64
raw_query_int (const gchar *path, const gchar *sql)
{
  g_autofree gchar *text = raw_query_text (path, sql);
  return g_ascii_strtoll (text, NULL, 10);
}

static gchar *
copy_file (Fixture *f, const gchar *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gchar *copy = g_build_filename (f->dir, name, NULL);
  gsize length = 0;

  g_file_get_contents (f->path, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (copy, contents, length, &error);
  g_assert_no_error (error);
  return copy;
}

static DvrSegment *
segment_new (const gchar *camera, gint64 run_id, guint seq, const gchar *path,
    gint64 start_utc_ns, gint64 end_utc_ns)
{
  DvrSegment *segment = dvr_segment_new ();

  segment->camera = g_strdup (camera);
  segment->run_id = run_id;
  segment->seq = seq;
  segment->path = g_strdup (path);
  segment->start_utc_ns = start_utc_ns;
  segment->end_utc_ns = end_utc_ns;
  segment->start_mono_ns = 1000 + seq;
  segment->clock_source = DVR_CLOCK_SOURCE_GPS;
  segment->frames = 25 * 60;
  segment->bytes = 12345678;
  segment->sha256 = g_strdup (SHA_A);
  segment->state = DVR_SEGMENT_STATE_COMPLETE;
  segment->codec = g_strdup ("h264");
  return segment;
}

static void
assert_segment_equal (const DvrSegment *a, const DvrSegment *b)
{
  g_assert_cmpint (a->id, ==, b->id);
  g_assert_cmpstr (a->camera, ==, b->camera);
  g_assert_cmpint (a->run_id, ==, b->run_id);
  g_assert_cmpuint (a->seq, ==, b->seq);
  g_assert_cmpstr (a->path, ==, b->path);
  g_assert_cmpint (a->start_utc_ns, ==, b->start_utc_ns);
  g_assert_cmpint (a->end_utc_ns, ==, b->end_utc_ns);
  g_assert_cmpint (a->start_mono_ns, ==, b->start_mono_ns);
  g_assert_cmpint (a->clock_source, ==, b->clock_source);
  g_assert_cmpuint (a->frames, ==, b->frames);
  g_assert_cmpuint (a->bytes, ==, b->bytes);
  g_assert_cmpstr (a->sha256, ==, b->sha256);
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpstr (a->codec, ==, b->codec);
  g_assert_cmpint (a->clock_offset_ns, ==, b->clock_offset_ns);
}

/* A catalog with cameras "front" and "rear" and one run. */
static DvrCatalog *
catalog_new_populated (Fixture *f, gint64 *run_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);

  g_assert_no_error (error);
  g_assert_true (dvr_catalog_ensure_camera (catalog, "front", "/dev/v4l/by-path/front", &error));
  g_assert_no_error (error);
  g_assert_true (dvr_catalog_ensure_camera (catalog, "rear", "test", &error));
  g_assert_no_error (error);
  *run_id = dvr_catalog_begin_run (catalog, 0, 1000, DVR_CLOCK_SOURCE_RTC, &error);
  g_assert_no_error (error);
  g_assert_cmpint (*run_id, >, 0);
  return g_steal_pointer (&catalog);
}

static void
add_segment (DvrCatalog *catalog, DvrSegment *segment)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dvr_catalog_add_segment (catalog, segment, &error));
  g_assert_no_error (error);
  g_assert_cmpint (segment->id, >, 0);
}

static GPtrArray *
list_segments (DvrCatalog *catalog, const gchar *camera, gint64 from, gint64 to)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *segments = dvr_catalog_list_segments (catalog, camera, from, to, &error);

  g_assert_no_error (error);
  g_assert_nonnull (segments);
  return segments;
}

static void
test_create (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;

  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  g_assert_true (g_file_test (f->path, G_FILE_TEST_IS_REGULAR));

  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, DVR_CATALOG_SCHEMA_VERSION);
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, DVR_CATALOG_SCHEMA_VERSION);
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
      " ('runs', 'cameras', 'segments', 'gaps', 'run_cameras', 'gps_fixes',"
      "  'signal_changes')"), ==, 7);
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN"
      " ('segments_camera_start', 'segments_start', 'gaps_camera_start',"
      "  'gps_fixes_received', 'gps_fixes_time', 'signal_changes_utc')"), ==, 6);
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM pragma_table_info('segments') WHERE name = 'clock_offset_ns'"), ==, 1);
  g_assert_cmpint (dvr_catalog_get_last_run_id (catalog, &error), ==, 0);
  g_assert_no_error (error);
}

static void
test_runs (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_autofree gchar *clock = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 0, 100, DVR_CLOCK_SOURCE_GPS, &error), ==, 1);
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 0, 50, DVR_CLOCK_SOURCE_RTC, &error), ==, 2);
  /* Run ids found in file names win over the catalog's own... */
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 10, 60, DVR_CLOCK_SOURCE_RTC, &error), ==, 11);
  /* ...but never take an id back. */
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 5, 70, DVR_CLOCK_SOURCE_NTP, &error), ==, 12);
  g_assert_no_error (error);
  g_assert_true (dvr_catalog_end_run (catalog, 12, 90, &error));
  g_assert_no_error (error);
  g_assert_false (dvr_catalog_end_run (catalog, 999, 90, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&catalog, dvr_catalog_free);

  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_last_run_id (catalog, &error), ==, 12);
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 0, 10, DVR_CLOCK_SOURCE_RTC, &error), ==, 13);
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 100, 10, DVR_CLOCK_SOURCE_RTC, &error), ==, 101);
  g_assert_cmpint (dvr_catalog_get_last_run_id (catalog, &error), ==, 101);
  g_assert_no_error (error);

  g_assert_cmpint (raw_query_int (f->path, "SELECT end_utc_ns FROM runs WHERE id = 12"), ==, 90);
  g_assert_cmpint (raw_query_int (f->path, "SELECT end_utc_ns IS NULL FROM runs WHERE id = 11"), ==, 1);
  clock = raw_query_text (f->path, "SELECT clock_source FROM runs WHERE id = 1");
  g_assert_cmpstr (clock, ==, "gps");
}

static void
test_ensure_run (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_autoptr (DvrSegment) segment = segment_new ("front", 42, 0, "front/42-0.mkv", 10, 20);

  g_assert_no_error (error);
  g_assert_true (dvr_catalog_ensure_camera (catalog, "front", "test", &error));
  /* A run whose row a power loss dropped: its orphan files name it. */
  g_assert_true (dvr_catalog_ensure_run (catalog, 42, 5, DVR_CLOCK_SOURCE_RTC, &error));
  g_assert_true (dvr_catalog_ensure_run (catalog, 42, 777, DVR_CLOCK_SOURCE_GPS, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_query_int (f->path, "SELECT start_utc_ns FROM runs WHERE id = 42"), ==, 5);
  g_assert_cmpint (raw_query_int (f->path, "SELECT count(*) FROM runs"), ==, 1);
  add_segment (catalog, segment);
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 0, 30, DVR_CLOCK_SOURCE_RTC, &error), ==, 43);
  g_assert_no_error (error);
}

static void
test_segment_round_trip (Fixture *f, gconstpointer data)
{
  gint64 run_id = 0;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run_id);
  g_autoptr (DvrSegment) high = segment_new ("front", run_id, G_MAXUINT32,
      "front/2026-11-28/high.mkv", G_MAXINT64 - 1000, G_MAXINT64);
  g_autoptr (DvrSegment) low = segment_new ("rear", run_id, 0,
      "rear/1969-12-31/low.mkv", G_MININT64 + 1, -1);
  g_autoptr (GPtrArray) segments = NULL;

  /* Values that would not survive a trip through a double or 32 bits. */
  high->start_mono_ns = G_GINT64_CONSTANT (0x7edcba9876543211);
  high->clock_source = DVR_CLOCK_SOURCE_NTP;
  high->frames = (G_GUINT64_CONSTANT (1) << 53) + 1;
  high->bytes = G_MAXINT64;
  g_free (high->sha256);
  high->sha256 = g_strdup (SHA_B);
  high->state = DVR_SEGMENT_STATE_RECOVERED;
  g_free (high->codec);
  high->codec = g_strdup ("jpeg");
  high->clock_offset_ns = G_MAXINT64;
  low->start_mono_ns = G_MININT64;
  /* G_MININT64 is "unknown", stored as NULL and read back as itself. */
  low->clock_offset_ns = G_MININT64;
  low->clock_source = DVR_CLOCK_SOURCE_UNKNOWN;
  low->frames = 0;
  low->bytes = 0;
  low->state = DVR_SEGMENT_STATE_PARTIAL;
  add_segment (catalog, high);
  add_segment (catalog, low);
  g_assert_cmpint (low->id, !=, high->id);

  segments = list_segments (catalog, NULL, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (segments->len, ==, 2);
  assert_segment_equal (g_ptr_array_index (segments, 0), high);
  assert_segment_equal (g_ptr_array_index (segments, 1), low);
}

static void
test_segment_query (Fixture *f, gconstpointer data)
{
  gint64 run_id = 0;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run_id);
  g_autoptr (GPtrArray) inserted = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_segment_free);
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GError) error = NULL;
  const struct {
    const gchar *camera;
    const gchar *path;
    gint64 start;
    gint64 end;
  } rows[] = {
    /* inserted out of order: the order must come from the query */
    { "rear", "rear/150.mkv", 150, 250 },
    { "front", "front/300.mkv", 300, 400 },
    { "front", "front/100.mkv", 100, 200 },
    { "front", "front/200.mkv", 200, 300 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    DvrSegment *segment = segment_new (rows[i].camera, run_id, i, rows[i].path,
        rows[i].start, rows[i].end);
    add_segment (catalog, segment);
    g_ptr_array_add (inserted, segment);
  }

  /* All cameras: by camera name, then start. */
  segments = list_segments (catalog, NULL, 0, 1000);
  g_assert_cmpuint (segments->len, ==, 4);
  assert_segment_equal (g_ptr_array_index (segments, 0), g_ptr_array_index (inserted, 2));
  assert_segment_equal (g_ptr_array_index (segments, 1), g_ptr_array_index (inserted, 3));
  assert_segment_equal (g_ptr_array_index (segments, 2), g_ptr_array_index (inserted, 1));
  assert_segment_equal (g_ptr_array_index (segments, 3), g_ptr_array_index (inserted, 0));
  g_clear_pointer (&segments, g_ptr_array_unref);

  /* [from, to) is half-open, and so is each segment: touching is not
   * overlapping. */
  segments = list_segments (catalog, "front", 200, 300);
  g_assert_cmpuint (segments->len, ==, 1);
  g_assert_cmpstr (((DvrSegment *) g_ptr_array_index (segments, 0))->path, ==, "front/200.mkv");
  g_clear_pointer (&segments, g_ptr_array_unref);

  segments = list_segments (catalog, "front", 199, 201);
  g_assert_cmpuint (segments->len, ==, 2);
  g_assert_cmpstr (((DvrSegment *) g_ptr_array_index (segments, 0))->path, ==, "front/100.mkv");
  g_assert_cmpstr (((DvrSegment *) g_ptr_array_index (segments, 1))->path, ==, "front/200.mkv");
  g_clear_pointer (&segments, g_ptr_array_unref);

  segments = list_segments (catalog, "front", 0, 100);
  g_assert_cmpuint (segments->len, ==, 0);
  g_clear_pointer (&segments, g_ptr_array_unref);
  segments = list_segments (catalog, "front", 400, 500);
  g_assert_cmpuint (segments->len, ==, 0);
  g_clear_pointer (&segments, g_ptr_array_unref);

  /* A window strictly inside one segment finds it. */
  segments = list_segments (catalog, "front", 350, 351);
  g_assert_cmpuint (segments->len, ==, 1);
  g_assert_cmpstr (((DvrSegment *) g_ptr_array_index (segments, 0))->path, ==, "front/300.mkv");
  g_clear_pointer (&segments, g_ptr_array_unref);

  /* Camera filter. */
  segments = list_segments (catalog, "rear", 0, 1000);
  g_assert_cmpuint (segments->len, ==, 1);
  assert_segment_equal (g_ptr_array_index (segments, 0), g_ptr_array_index (inserted, 0));
  g_clear_pointer (&segments, g_ptr_array_unref);

  segments = list_segments (catalog, NULL, 249, 250);
  g_assert_cmpuint (segments->len, ==, 2);
  g_assert_cmpstr (((DvrSegment *) g_ptr_array_index (segments, 0))->path, ==, "front/200.mkv");
  g_assert_cmpstr (((DvrSegment *) g_ptr_array_index (segments, 1))->path, ==, "rear/150.mkv");
  g_clear_pointer (&segments, g_ptr_array_unref);

  segments = list_segments (catalog, "side", 0, 1000);
  g_assert_cmpuint (segments->len, ==, 0);
}

static void
test_segment_refused (Fixture *f, gconstpointer data)
{
  gint64 run_id = 0;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run_id);
  g_autoptr (DvrSegment) original = segment_new ("front", run_id, 0, "front/a.mkv", 100, 200);
  g_autoptr (DvrSegment) duplicate = segment_new ("rear", run_id, 7, "front/a.mkv", 500, 600);
  g_autoptr (DvrSegment) no_camera = segment_new ("side", run_id, 0, "side/a.mkv", 100, 200);
  g_autoptr (DvrSegment) no_run = segment_new ("front", run_id + 100, 1, "front/b.mkv", 100, 200);
  g_autoptr (DvrSegment) backwards = segment_new ("front", run_id, 2, "front/c.mkv", 200, 100);
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GError) error = NULL;

  add_segment (catalog, original);

  g_free (duplicate->sha256);
  duplicate->sha256 = g_strdup (SHA_B);
  g_assert_false (dvr_catalog_add_segment (catalog, duplicate, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "insert segment front/a.mkv: "));
  g_assert_nonnull (strstr (error->message, "UNIQUE constraint failed: segments.path"));
  g_assert_cmpint (duplicate->id, ==, 0);
  g_clear_error (&error);

  g_assert_false (dvr_catalog_add_segment (catalog, no_camera, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "\"side\""));
  g_clear_error (&error);

  g_assert_false (dvr_catalog_add_segment (catalog, no_run, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY constraint failed"));
  g_clear_error (&error);

  g_assert_false (dvr_catalog_add_segment (catalog, backwards, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "CHECK constraint failed"));
  g_clear_error (&error);

  /* Nothing but the original row, unchanged. */
  segments = list_segments (catalog, NULL, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (segments->len, ==, 1);
  assert_segment_equal (g_ptr_array_index (segments, 0), original);
}

static void
test_gaps (Fixture *f, gconstpointer data)
{
  gint64 run_id = 0;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run_id);
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (GError) error = NULL;
  gint64 lost, rear, restart;
  DvrGap *gap;

  lost = dvr_catalog_open_gap (catalog, "front", run_id, 500, "camera lost", &error);
  g_assert_no_error (error);
  rear = dvr_catalog_open_gap (catalog, "rear", run_id, 100, "no signal", &error);
  g_assert_no_error (error);
  restart = dvr_catalog_open_gap (catalog, "front", run_id, 50, "restart", &error);
  g_assert_no_error (error);
  g_assert_cmpint (lost, >, 0);
  g_assert_cmpint (rear, >, 0);
  g_assert_cmpint (restart, >, 0);
  g_assert_cmpint (lost, !=, rear);
  g_assert_cmpint (rear, !=, restart);

  g_assert_true (dvr_catalog_close_gap (catalog, lost, 900, &error));
  g_assert_no_error (error);
  g_assert_false (dvr_catalog_close_gap (catalog, lost, 950, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (dvr_catalog_close_gap (catalog, 9999, 950, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (dvr_catalog_open_gap (catalog, "side", run_id, 1, "x", &error), ==, 0);
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_clear_error (&error);

  gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gaps->len, ==, 3);
  gap = g_ptr_array_index (gaps, 0);
  g_assert_cmpint (gap->id, ==, restart);
  g_assert_cmpstr (gap->camera, ==, "front");
  g_assert_cmpint (gap->run_id, ==, run_id);
  g_assert_cmpint (gap->start_utc_ns, ==, 50);
  g_assert_cmpint (gap->end_utc_ns, ==, -1);
  g_assert_cmpstr (gap->reason, ==, "restart");
  gap = g_ptr_array_index (gaps, 1);
  g_assert_cmpint (gap->id, ==, lost);
  g_assert_cmpint (gap->start_utc_ns, ==, 500);
  g_assert_cmpint (gap->end_utc_ns, ==, 900);
  g_assert_cmpstr (gap->reason, ==, "camera lost");
  gap = g_ptr_array_index (gaps, 2);
  g_assert_cmpint (gap->id, ==, rear);
  g_assert_cmpstr (gap->camera, ==, "rear");
  g_assert_cmpint (gap->end_utc_ns, ==, -1);
  g_clear_pointer (&gaps, g_ptr_array_unref);

  gaps = dvr_catalog_list_gaps (catalog, "rear", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gaps->len, ==, 1);
  g_assert_cmpint (((DvrGap *) g_ptr_array_index (gaps, 0))->id, ==, rear);
}

static void
test_run_cameras (Fixture *f, gconstpointer data)
{
  gint64 run1 = 0, run2;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run1);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  DvrRunCamera front1 = { run1, (gchar *) "front", 100, 90, 0 };
  DvrRunCamera rear1 = { run1, (gchar *) "rear", 50, 50, 1 };
  DvrRunCamera front2 = { 0, (gchar *) "front", G_MAXINT64, G_MAXINT64 - 1, G_MAXUINT32 };
  DvrRunCamera side = { run1, (gchar *) "side", 1, 1, 0 };
  DvrRunCamera *row;

  run2 = dvr_catalog_begin_run (catalog, 0, 2000, DVR_CLOCK_SOURCE_GPS, &error);
  g_assert_no_error (error);
  front2.run_id = run2;
  g_assert_true (dvr_catalog_set_run_camera (catalog, &rear1, &error));
  g_assert_true (dvr_catalog_set_run_camera (catalog, &front1, &error));
  g_assert_true (dvr_catalog_set_run_camera (catalog, &front2, &error));
  g_assert_no_error (error);
  /* Counters are rewritten, not added. */
  front1.frames_in = 200;
  front1.frames_recorded = 180;
  front1.restarts = 2;
  g_assert_true (dvr_catalog_set_run_camera (catalog, &front1, &error));
  g_assert_no_error (error);
  g_assert_false (dvr_catalog_set_run_camera (catalog, &side, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_clear_error (&error);

  rows = dvr_catalog_list_run_cameras (catalog, run1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->run_id, ==, run1);
  g_assert_cmpstr (row->camera, ==, "front");
  g_assert_cmpuint (row->frames_in, ==, 200);
  g_assert_cmpuint (row->frames_recorded, ==, 180);
  g_assert_cmpuint (row->restarts, ==, 2);
  row = g_ptr_array_index (rows, 1);
  g_assert_cmpstr (row->camera, ==, "rear");
  g_assert_cmpuint (row->frames_in, ==, 50);
  g_assert_cmpuint (row->restarts, ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = dvr_catalog_list_run_cameras (catalog, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 3);
  row = g_ptr_array_index (rows, 2);
  g_assert_cmpint (row->run_id, ==, run2);
  g_assert_cmpstr (row->camera, ==, "front");
  g_assert_cmpuint (row->frames_in, ==, G_MAXINT64);
  g_assert_cmpuint (row->frames_recorded, ==, G_MAXINT64 - 1);
  g_assert_cmpuint (row->restarts, ==, G_MAXUINT32);
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = dvr_catalog_list_run_cameras (catalog, 777, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 0);
}

static void
test_ensure_camera (Fixture *f, gconstpointer data)
{
  gint64 run_id = 0;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run_id);
  g_autoptr (DvrSegment) segment = segment_new ("front", run_id, 0, "front/a.mkv", 1, 2);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *source = NULL;
  gint64 front_id = raw_query_int (f->path, "SELECT id FROM cameras WHERE name = 'front'");

  add_segment (catalog, segment);
  g_assert_true (dvr_catalog_ensure_camera (catalog, "front", "/dev/v4l/by-id/new", &error));
  g_assert_no_error (error);
  source = raw_query_text (f->path, "SELECT source FROM cameras WHERE name = 'front'");
  g_assert_cmpstr (source, ==, "/dev/v4l/by-id/new");
  /* Same row: the segments that refer to it are still the camera's. */
  g_assert_cmpint (raw_query_int (f->path, "SELECT id FROM cameras WHERE name = 'front'"),
      ==, front_id);
  g_assert_cmpint (raw_query_int (f->path, "SELECT count(*) FROM cameras"), ==, 2);
}

static void
test_migrate (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (DvrSegment) segment = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  DvrRunCamera counters = { 0, (gchar *) "front", 10, 9, 1 };
  gint64 run_id, gap_id;

  /* A valid, empty SQLite file at version 0. */
  raw_exec (f->path, "CREATE TABLE scratch (x); DROP TABLE scratch;");
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, 0);
  g_assert_cmpint (raw_query_int (f->path, "SELECT count(*) FROM sqlite_master"), ==, 0);

  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, DVR_CATALOG_SCHEMA_VERSION);
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, DVR_CATALOG_SCHEMA_VERSION);

  g_assert_true (dvr_catalog_ensure_camera (catalog, "front", "test", &error));
  run_id = dvr_catalog_begin_run (catalog, 0, 1000, DVR_CLOCK_SOURCE_GPS, &error);
  g_assert_no_error (error);
  segment = segment_new ("front", run_id, 0, "front/a.mkv", 1000, 2000);
  add_segment (catalog, segment);
  gap_id = dvr_catalog_open_gap (catalog, "front", run_id, 2000, "camera lost", &error);
  g_assert_no_error (error);
  counters.run_id = run_id;
  g_assert_true (dvr_catalog_set_run_camera (catalog, &counters, &error));
  g_assert_no_error (error);
  g_clear_pointer (&catalog, dvr_catalog_free);

  /* Reopening a current file keeps everything and migrates nothing. */
  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, DVR_CATALOG_SCHEMA_VERSION);
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, DVR_CATALOG_SCHEMA_VERSION);
  g_assert_cmpint (dvr_catalog_get_last_run_id (catalog, &error), ==, run_id);
  segments = list_segments (catalog, NULL, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (segments->len, ==, 1);
  assert_segment_equal (g_ptr_array_index (segments, 0), segment);
  gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gaps->len, ==, 1);
  g_assert_cmpint (((DvrGap *) g_ptr_array_index (gaps, 0))->id, ==, gap_id);
  g_assert_cmpint (raw_query_int (f->path, "SELECT frames_in FROM run_cameras"), ==, 10);
}

static void
test_too_new (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;
  g_autofree gchar *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree gchar *versions = g_strdup_printf ("version 99, newer than version %d",
      DVR_CATALOG_SCHEMA_VERSION);
  gsize before_length = 0, after_length = 0;

  raw_exec (f->path,
      "CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('keep');"
      "PRAGMA user_version = 99;");
  g_file_get_contents (f->path, &before, &before_length, &error);
  g_assert_no_error (error);

  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_null (catalog);
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_TOO_NEW);
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_nonnull (strstr (error->message, versions));
  g_clear_error (&error);

  catalog = dvr_catalog_open (f->path, TRUE, &error);
  g_assert_null (catalog);
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_TOO_NEW);
  g_clear_error (&error);

  /* Not even switched to WAL: the file is byte for byte what it was. */
  g_file_get_contents (f->path, &after, &after_length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (before, before_length, after, after_length);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_read_only (Fixture *f, gconstpointer data)
{
  gint64 run_id = 0;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run_id);
  g_autoptr (DvrSegment) segment = segment_new ("front", run_id, 0, "front/a.mkv", 100, 200);
  g_autoptr (DvrSegment) more = segment_new ("front", run_id, 1, "front/b.mkv", 200, 300);
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *missing = g_build_filename (f->dir, "missing.db", NULL);
  g_autofree gchar *old = g_build_filename (f->dir, "old.db", NULL);

  add_segment (catalog, segment);
  g_clear_pointer (&catalog, dvr_catalog_free);

  catalog = dvr_catalog_open (f->path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, DVR_CATALOG_SCHEMA_VERSION);
  segments = list_segments (catalog, NULL, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (segments->len, ==, 1);
  assert_segment_equal (g_ptr_array_index (segments, 0), segment);
  g_clear_pointer (&segments, g_ptr_array_unref);

  g_assert_false (dvr_catalog_add_segment (catalog, more, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "readonly"));
  g_clear_error (&error);
  g_assert_false (dvr_catalog_ensure_camera (catalog, "side", "test", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (dvr_catalog_begin_run (catalog, 0, 1, DVR_CLOCK_SOURCE_RTC, &error), ==, 0);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_pointer (&catalog, dvr_catalog_free);
  g_assert_cmpint (raw_query_int (f->path, "SELECT count(*) FROM segments"), ==, 1);
  g_assert_cmpint (raw_query_int (f->path, "SELECT count(*) FROM runs"), ==, 1);

  /* A missing file is an error, and stays missing. */
  catalog = dvr_catalog_open (missing, TRUE, &error);
  g_assert_null (catalog);
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  /* An older file cannot be read without the migration it may not do. */
  raw_exec (old, "PRAGMA user_version = 0; CREATE TABLE scratch (x);");
  catalog = dvr_catalog_open (old, TRUE, &error);
  g_assert_null (catalog);
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpint (raw_query_int (old, "PRAGMA user_version"), ==, 0);
}

static void
test_journal_mode (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_autofree gchar *mode = NULL;
  g_autofree gchar *wal = g_strconcat (f->path, "-wal", NULL);

  g_assert_no_error (error);
  mode = raw_query_text (f->path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_true (g_file_test (wal, G_FILE_TEST_IS_REGULAR));
}

static gint64
count_segments_in_copy (Fixture *f, const gchar *name)
{
  g_autofree gchar *copy = copy_file (f, name);

  /* The copy has no WAL: it shows what the database file itself holds. */
  if (raw_query_int (copy, "SELECT count(*) FROM sqlite_master WHERE name = 'segments'") == 0)
    return -1;
  return raw_query_int (copy, "SELECT count(*) FROM segments");
}

static void
test_checkpoint (Fixture *f, gconstpointer data)
{
  gint64 run_id = 0;
  g_autoptr (DvrCatalog) catalog = catalog_new_populated (f, &run_id);
  g_autoptr (DvrCatalog) storage = NULL;
  g_autoptr (DvrSegment) late = segment_new ("rear", run_id, 0, "rear/late.mkv", 0, 1);
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GError) error = NULL;
  const guint n = 400;

  /* Enough commits to pass SQLite's default autocheckpoint of 1000 pages:
   * with autocheckpoint on, the database file would hold them already. */
  for (guint i = 0; i < n; i++) {
    g_autofree gchar *path = g_strdup_printf ("front/%05u.mkv", i);
    g_autoptr (DvrSegment) segment = segment_new ("front", run_id, i, path, i * 10, i * 10 + 10);
    add_segment (catalog, segment);
  }
  g_assert_cmpint (count_segments_in_copy (f, "before.db"), ==, -1);

  /* The storage thread's own connection, while the main one stays open. */
  storage = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (dvr_catalog_checkpoint (storage, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_segments_in_copy (f, "after.db"), ==, n);

  /* Both connections go on working after it. */
  add_segment (catalog, late);
  segments = list_segments (storage, NULL, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (segments->len, ==, n + 1);
  g_assert_true (dvr_catalog_checkpoint (storage, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_segments_in_copy (f, "again.db"), ==, n + 1);
}

/* Schema version 1 exactly as the first dvrd wrote it: a frozen fixture,
 * so that the migration is tested from the files on vehicles whatever the
 * code's own scripts become. */
static const gchar schema_v1[] =
  "PRAGMA journal_mode = WAL;"
  "CREATE TABLE runs (id INTEGER PRIMARY KEY, start_utc_ns INTEGER NOT NULL,"
  "  end_utc_ns INTEGER, clock_source TEXT NOT NULL);"
  "CREATE TABLE cameras (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
  "  source TEXT NOT NULL);"
  "CREATE TABLE segments (id INTEGER PRIMARY KEY,"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  run_id INTEGER NOT NULL REFERENCES runs (id), seq INTEGER NOT NULL,"
  "  path TEXT NOT NULL UNIQUE, start_utc_ns INTEGER NOT NULL, end_utc_ns INTEGER NOT NULL,"
  "  start_mono_ns INTEGER NOT NULL, clock_source TEXT NOT NULL,"
  "  frames INTEGER NOT NULL CHECK (frames >= 0), bytes INTEGER NOT NULL CHECK (bytes >= 0),"
  "  sha256 TEXT NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('complete', 'partial', 'recovered')),"
  "  codec TEXT NOT NULL, CHECK (end_utc_ns >= start_utc_ns));"
  "CREATE INDEX segments_camera_start ON segments (camera_id, start_utc_ns);"
  "CREATE INDEX segments_start ON segments (start_utc_ns);"
  "CREATE TABLE gaps (id INTEGER PRIMARY KEY,"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  run_id INTEGER NOT NULL REFERENCES runs (id), start_utc_ns INTEGER NOT NULL,"
  "  end_utc_ns INTEGER, reason TEXT NOT NULL);"
  "CREATE INDEX gaps_camera_start ON gaps (camera_id, start_utc_ns);"
  "CREATE TABLE run_cameras (run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  frames_in INTEGER NOT NULL CHECK (frames_in >= 0),"
  "  frames_recorded INTEGER NOT NULL CHECK (frames_recorded >= 0),"
  "  restarts INTEGER NOT NULL CHECK (restarts >= 0), PRIMARY KEY (run_id, camera_id));"
  "PRAGMA user_version = 1;"
  "INSERT INTO runs VALUES (7, 1000, 3000, 'gps');"
  "INSERT INTO cameras VALUES (1, 'front', '/dev/v4l/by-path/front');"
  "INSERT INTO segments VALUES (1, 1, 7, 0, 'front/a.mkv', 1000, 1500, 55, 'gps', 25, 4096,"
  "  '" SHA_A "', 'complete', 'h264');"
  "INSERT INTO gaps VALUES (1, 1, 7, 1500, NULL, 'camera lost');"
  "INSERT INTO run_cameras VALUES (7, 1, 30, 25, 1);";

static void
assert_v1_rows (DvrCatalog *catalog)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments = list_segments (catalog, NULL, G_MININT64, G_MAXINT64);
  g_autoptr (GPtrArray) gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_autoptr (GPtrArray) run_cameras = NULL;
  g_autoptr (DvrSegment) expected = segment_new ("front", 7, 0, "front/a.mkv", 1000, 1500);
  DvrGap *gap;

  g_assert_no_error (error);
  expected->id = 1;
  expected->start_mono_ns = 55;
  expected->frames = 25;
  expected->bytes = 4096;
  g_assert_cmpint (expected->clock_offset_ns, ==, G_MININT64);
  g_assert_cmpuint (segments->len, ==, 1);
  assert_segment_equal (g_ptr_array_index (segments, 0), expected);

  g_assert_cmpuint (gaps->len, ==, 1);
  gap = g_ptr_array_index (gaps, 0);
  g_assert_cmpint (gap->start_utc_ns, ==, 1500);
  g_assert_cmpint (gap->end_utc_ns, ==, -1);
  g_assert_cmpstr (gap->reason, ==, "camera lost");

  run_cameras = dvr_catalog_list_run_cameras (catalog, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (run_cameras->len, ==, 1);
  g_assert_cmpuint (((DvrRunCamera *) g_ptr_array_index (run_cameras, 0))->frames_in, ==, 30);
  g_assert_cmpint (dvr_catalog_get_last_run_id (catalog, &error), ==, 7);
  g_assert_no_error (error);
}

static void
test_migrate_v1 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GArray) fixes = NULL;
  g_autoptr (GPtrArray) changes = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (DvrSegment) segment = NULL;
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;
  gsize before_length = 0, after_length = 0;
  DvrGpsFix fix;

  raw_exec (f->path, schema_v1);
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, 1);
  g_file_get_contents (f->path, &before, &before_length, &error);
  g_assert_no_error (error);

  /* Read only (a pulled drive from an older dvrd): read as if migrated,
   * and the file is not written to. */
  catalog = dvr_catalog_open (f->path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, 1);
  assert_v1_rows (catalog);
  fixes = dvr_catalog_list_gps_fixes (catalog, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fixes->len, ==, 0);
  g_clear_pointer (&fixes, g_array_unref);
  changes = dvr_catalog_list_signal_changes (catalog, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 0);
  g_clear_pointer (&changes, g_ptr_array_unref);
  g_clear_pointer (&catalog, dvr_catalog_free);
  g_file_get_contents (f->path, &after, &after_length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (before, before_length, after, after_length);

  /* Read-write: migrated in place, every row kept, the new column NULL. */
  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, DVR_CATALOG_SCHEMA_VERSION);
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, DVR_CATALOG_SCHEMA_VERSION);
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM segments WHERE clock_offset_ns IS NULL"), ==, 1);
  assert_v1_rows (catalog);

  /* And what version 2 adds works on the migrated file. */
  dvr_gps_fix_init (&fix);
  fix.received_utc_ns = 1200;
  fix.mode = DVR_GPS_MODE_NO_FIX;
  g_assert_true (dvr_catalog_add_gps_fixes (catalog, &fix, 1, &error));
  g_assert_no_error (error);
  g_assert_true (dvr_catalog_add_signal_change (catalog, "lights", TRUE, 1300, 13, "control", &error));
  g_assert_no_error (error);
  segment = segment_new ("front", 7, 1, "front/b.mkv", 1500, 2000);
  segment->clock_offset_ns = -250000000;
  add_segment (catalog, segment);
  g_clear_pointer (&catalog, dvr_catalog_free);

  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  segments = list_segments (catalog, NULL, 1500, 2000);
  g_assert_cmpuint (segments->len, ==, 1);
  assert_segment_equal (g_ptr_array_index (segments, 0), segment);
  fixes = dvr_catalog_list_gps_fixes (catalog, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fixes->len, ==, 1);
  changes = dvr_catalog_list_signal_changes (catalog, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 1);
}

/* Schema versions 2 and 3 as dvrd wrote them, on top of schema_v1 (frozen,
 * as above), with an ended event whose evidence is segment 1. */
static const gchar schema_v2_v3[] =
  "ALTER TABLE segments ADD COLUMN clock_offset_ns INTEGER;"
  "CREATE TABLE gps_fixes (id INTEGER PRIMARY KEY, time_ns INTEGER,"
  "  received_utc_ns INTEGER NOT NULL, received_mono_ns INTEGER,"
  "  mode INTEGER NOT NULL CHECK (mode BETWEEN 0 AND 3), lat REAL, lon REAL, alt_hae REAL,"
  "  alt_msl REAL, speed REAL, track REAL, climb REAL, eph REAL, epv REAL, eps REAL,"
  "  sats_used INTEGER CHECK (sats_used >= 0), sats_visible INTEGER CHECK (sats_visible >= 0));"
  "CREATE INDEX gps_fixes_received ON gps_fixes (received_utc_ns);"
  "CREATE INDEX gps_fixes_time ON gps_fixes (time_ns);"
  "CREATE TABLE signal_changes (id INTEGER PRIMARY KEY, utc_ns INTEGER NOT NULL,"
  "  mono_ns INTEGER, name TEXT NOT NULL, value INTEGER NOT NULL CHECK (value IN (0, 1)),"
  "  source TEXT NOT NULL);"
  "CREATE INDEX signal_changes_utc ON signal_changes (utc_ns);"
  "PRAGMA user_version = 2;"
  "CREATE TABLE events (id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs (id),"
  "  kind TEXT NOT NULL, start_utc_ns INTEGER NOT NULL, end_utc_ns INTEGER,"
  "  reason TEXT NOT NULL, stop_reason TEXT, category TEXT, case_number TEXT, notes TEXT);"
  "CREATE INDEX events_start ON events (start_utc_ns);"
  "CREATE TABLE event_triggers (id INTEGER PRIMARY KEY,"
  "  event_id INTEGER NOT NULL REFERENCES events (id), utc_ns INTEGER NOT NULL,"
  "  action TEXT NOT NULL, source TEXT NOT NULL, detail TEXT);"
  "CREATE INDEX event_triggers_event ON event_triggers (event_id, utc_ns);"
  "CREATE TABLE event_windows (event_id INTEGER NOT NULL REFERENCES events (id),"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id), from_utc_ns INTEGER NOT NULL,"
  "  to_utc_ns INTEGER, PRIMARY KEY (event_id, camera_id)) WITHOUT ROWID;"
  "CREATE INDEX event_windows_camera ON event_windows (camera_id, from_utc_ns);"
  "CREATE TABLE evidence (segment_id INTEGER NOT NULL REFERENCES segments (id),"
  "  event_id INTEGER NOT NULL REFERENCES events (id),"
  "  PRIMARY KEY (segment_id, event_id)) WITHOUT ROWID;"
  "CREATE INDEX evidence_event ON evidence (event_id);"
  "CREATE TABLE garbage (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
  "  reason TEXT NOT NULL, utc_ns INTEGER NOT NULL);"
  "CREATE TABLE audit (id INTEGER PRIMARY KEY, utc_ns INTEGER NOT NULL, action TEXT NOT NULL,"
  "  detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
  "PRAGMA user_version = 3;"
  "INSERT INTO events VALUES (1, 7, 'manual', 1100, 1400, 'dvrctl', 'stopped', NULL, NULL,"
  "  NULL);"
  "INSERT INTO event_windows VALUES (1, 1, 1000, 1500);"
  "INSERT INTO evidence VALUES (1, 1);";

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* A catalog written by a schema-3 dvrd: read-only it reads as it is (no
 * exports) and is not written to; read-write it migrates to 4, where an
 * export can be recorded and the audit chain goes on from its rows. */
static void
test_migrate_v3 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) exports = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (DvrExport) export = dvr_export_new ();
  g_autofree gchar *hash = dvr_audit_compute_hash (GENESIS, 1, 1100, "event-start",
      "{\"event\":1}");
  g_autofree gchar *audit_row = g_strdup_printf ("INSERT INTO audit VALUES (1, 1100, "
      "'event-start', '{\"event\":1}', '" GENESIS "', '%s');", hash);
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;
  gsize before_length = 0, after_length = 0;
  guint64 rows = 0;
  gint64 bad = -1;

  raw_exec (f->path, schema_v1);
  raw_exec (f->path, schema_v2_v3);
  raw_exec (f->path, audit_row);
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, 3);
  g_file_get_contents (f->path, &before, &before_length, &error);
  g_assert_no_error (error);

  catalog = dvr_catalog_open (f->path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, 3);
  assert_v1_rows (catalog);
  events = dvr_catalog_list_events (catalog, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  exports = dvr_catalog_list_exports (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (exports->len, ==, 0);
  g_clear_pointer (&exports, g_ptr_array_unref);
  segments = dvr_catalog_list_reclaimable_segments (catalog, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, ==, 0);
  g_clear_pointer (&segments, g_ptr_array_unref);
  g_assert_true (dvr_catalog_verify_audit (catalog, &rows, &bad, &error));
  g_assert_cmpuint (rows, ==, 1);

  export->event_id = 1;
  export->created_utc_ns = 2000;
  export->from_utc_ns = 1000;
  export->to_utc_ns = 1500;
  export->destination = g_strdup ("/media/usb");
  export->manifest_sha256 = g_strdup (SHA_B);
  export->key_fingerprint = g_strdup ("SHA256:" SHA_B);
  g_ptr_array_add (export->cameras, dvr_event_window_new ("front", 1000, 1500));
  g_ptr_array_add (export->segments, segment_new ("front", 7, 0, "front/a.mkv", 1000, 1500));
  g_assert_false (dvr_catalog_mark_exported (catalog, export, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "schema version 3, without exports"));
  g_clear_error (&error);
  g_clear_pointer (&catalog, dvr_catalog_free);
  g_file_get_contents (f->path, &after, &after_length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (before, before_length, after, after_length);

  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_get_schema_version (catalog), ==, 4);
  g_assert_cmpint (raw_query_int (f->path, "PRAGMA user_version"), ==, 4);
  assert_v1_rows (catalog);
  g_assert_true (dvr_catalog_mark_exported (catalog, export, &error));
  g_assert_no_error (error);
  g_assert_cmpint (export->id, ==, 1);
  segments = dvr_catalog_list_reclaimable_segments (catalog, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, ==, 1);
  g_assert_cmpstr (((DvrSegment *) segments->pdata[0])->path, ==, "front/a.mkv");
  g_assert_true (dvr_catalog_verify_audit (catalog, &rows, &bad, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows, ==, 2);
  g_clear_pointer (&catalog, dvr_catalog_free);

  /* Migrated once: opening again changes nothing. */
  catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  exports = dvr_catalog_list_exports (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (exports->len, ==, 1);
  g_assert_cmpuint (((DvrExport *) exports->pdata[0])->segments->len, ==, 1);
}

/* Doubles compare by their bits: "equal" must mean the very same value. */
static void
assert_same_double (gdouble a, gdouble b)
{
  if (isnan (a) || isnan (b)) {
    g_assert_true (isnan (a) && isnan (b));
    return;
  }
  g_assert_cmpmem (&a, sizeof a, &b, sizeof b);
}

static void
assert_fix_identical (const DvrGpsFix *a, const DvrGpsFix *b)
{
  g_assert_cmpint (a->time_ns, ==, b->time_ns);
  g_assert_cmpint (a->received_utc_ns, ==, b->received_utc_ns);
  g_assert_cmpint (a->received_mono_ns, ==, b->received_mono_ns);
  g_assert_cmpint (a->mode, ==, b->mode);
  assert_same_double (a->lat, b->lat);
  assert_same_double (a->lon, b->lon);
  assert_same_double (a->alt_hae, b->alt_hae);
  assert_same_double (a->alt_msl, b->alt_msl);
  assert_same_double (a->speed, b->speed);
  assert_same_double (a->track, b->track);
  assert_same_double (a->climb, b->climb);
  assert_same_double (a->eph, b->eph);
  assert_same_double (a->epv, b->epv);
  assert_same_double (a->eps, b->eps);
  g_assert_cmpint (a->sats_used, ==, b->sats_used);
  g_assert_cmpint (a->sats_visible, ==, b->sats_visible);
}

/* A 3D fix with every field known, as gpsd reports one (ublox-8 capture). */
static DvrGpsFix
fix_full (gint64 received_utc_ns)
{
  DvrGpsFix fix = {
    .time_ns = received_utc_ns - 180000000,
    .received_utc_ns = received_utc_ns,
    .received_mono_ns = 1000 + received_utc_ns / 1000,
    .mode = DVR_GPS_MODE_3D,
    .lat = 44.068897833, .lon = -121.314271333,
    .alt_hae = 1123.4, .alt_msl = 1144.8,
    .speed = 0.015, .track = 312.5, .climb = -0.1,
    .eph = 19.19, .epv = 32.2, .eps = 17.3,
    .sats_used = 14, .sats_visible = 25,
  };
  return fix;
}

static GArray *
list_fixes (DvrCatalog *catalog, gint64 from, gint64 to)
{
  g_autoptr (GError) error = NULL;
  GArray *fixes = dvr_catalog_list_gps_fixes (catalog, from, to, &error);

  g_assert_no_error (error);
  g_assert_nonnull (fixes);
  return fixes;
}

static void
test_gps_fix_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_autoptr (GArray) fixes = NULL;
  DvrGpsFix in[5];

  g_assert_no_error (error);
  in[0] = fix_full (G_GINT64_CONSTANT (1795905085558951234));
  /* Everything unknown but the one NOT NULL column. */
  dvr_gps_fix_init (&in[1]);
  in[1].received_utc_ns = in[0].received_utc_ns + 1;
  /* Doubles that a text or float trip would change, integral ones (SQLite
   * stores those as integers), and values next to the unknown markers,
   * which must stay values. */
  in[2] = fix_full (in[0].received_utc_ns + 2);
  in[2].time_ns = G_MININT64 + 1;
  in[2].received_mono_ns = G_MAXINT64;
  in[2].mode = DVR_GPS_MODE_UNKNOWN;
  in[2].lat = 1.0 / 3.0;
  in[2].lon = -DBL_MAX;
  in[2].alt_hae = DBL_MAX;
  in[2].alt_msl = 1e18;
  in[2].speed = DBL_TRUE_MIN;
  in[2].track = nextafter (360.0, 0.0);
  in[2].climb = INFINITY;
  in[2].eph = DBL_MIN;
  in[2].epv = M_PI;
  in[2].eps = 0.1;
  in[2].sats_used = 0;
  in[2].sats_visible = 0;
  /* Unknowns mixed with values. */
  in[3] = fix_full (in[0].received_utc_ns + 3);
  in[3].received_mono_ns = G_MININT64;
  in[3].mode = DVR_GPS_MODE_2D;
  in[3].alt_hae = in[3].alt_msl = in[3].climb = in[3].epv = NAN;
  in[3].sats_used = -1;
  in[3].sats_visible = 5;
  in[4] = fix_full (in[0].received_utc_ns + 4);
  in[4].lat = -0.0;
  in[4].lon = -180.0;

  g_assert_true (dvr_catalog_add_gps_fixes (catalog, in, G_N_ELEMENTS (in), &error));
  g_assert_no_error (error);
  fixes = list_fixes (catalog, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (fixes->len, ==, G_N_ELEMENTS (in));
  for (guint i = 0; i < 4; i++)
    assert_fix_identical (&g_array_index (fixes, DvrGpsFix, i), &in[i]);
  /* SQLite keeps an integral REAL as an integer, which has no -0: the
   * sign of a zero is the one thing not kept. */
  g_assert_true (g_array_index (fixes, DvrGpsFix, 4).lat == 0.0);
  in[4].lat = 0.0;
  assert_fix_identical (&g_array_index (fixes, DvrGpsFix, 4), &in[4]);

  /* Unknown is NULL in the file, and nothing else is. */
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM gps_fixes WHERE time_ns IS NULL AND received_mono_ns IS NULL"
      " AND lat IS NULL AND lon IS NULL AND alt_hae IS NULL AND alt_msl IS NULL"
      " AND speed IS NULL AND track IS NULL AND climb IS NULL AND eph IS NULL"
      " AND epv IS NULL AND eps IS NULL AND sats_used IS NULL AND sats_visible IS NULL"
      " AND mode = 0"), ==, 1);
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM gps_fixes WHERE time_ns IS NULL OR received_mono_ns IS NULL"
      " OR lat IS NULL OR climb IS NULL OR sats_used IS NULL"), ==, 2);
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM gps_fixes WHERE time_ns IS NULL"), ==, 1);
}

static void
test_gps_fix_query (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_autoptr (GArray) fixes = NULL;
  /* Out of order, and two at the same instant: the order is by received
   * time, then as inserted. */
  const gint64 received[] = { 300, 100, 200, 200, 400 };
  DvrGpsFix in[G_N_ELEMENTS (received)];

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (received); i++) {
    in[i] = fix_full (received[i]);
    in[i].time_ns = i;
  }
  g_assert_true (dvr_catalog_add_gps_fixes (catalog, in, G_N_ELEMENTS (in), &error));
  g_assert_no_error (error);
  /* Nothing to insert is no error and no transaction. */
  g_assert_true (dvr_catalog_add_gps_fixes (catalog, NULL, 0, &error));
  g_assert_no_error (error);

  fixes = list_fixes (catalog, 100, 300);
  g_assert_cmpuint (fixes->len, ==, 3);
  assert_fix_identical (&g_array_index (fixes, DvrGpsFix, 0), &in[1]);
  assert_fix_identical (&g_array_index (fixes, DvrGpsFix, 1), &in[2]);
  assert_fix_identical (&g_array_index (fixes, DvrGpsFix, 2), &in[3]);
  g_clear_pointer (&fixes, g_array_unref);

  fixes = list_fixes (catalog, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (fixes->len, ==, 5);
  assert_fix_identical (&g_array_index (fixes, DvrGpsFix, 3), &in[0]);
  assert_fix_identical (&g_array_index (fixes, DvrGpsFix, 4), &in[4]);
  g_clear_pointer (&fixes, g_array_unref);

  fixes = list_fixes (catalog, 400, 401);
  g_assert_cmpuint (fixes->len, ==, 1);
  g_clear_pointer (&fixes, g_array_unref);
  fixes = list_fixes (catalog, 401, 1000);
  g_assert_cmpuint (fixes->len, ==, 0);
  g_clear_pointer (&fixes, g_array_unref);
  fixes = list_fixes (catalog, 300, 100);
  g_assert_cmpuint (fixes->len, ==, 0);
}

static gint64
wal_frames (Fixture *f)
{
  g_autofree gchar *wal = g_strconcat (f->path, "-wal", NULL);
  gint64 page_size = raw_query_int (f->path, "PRAGMA page_size");
  GStatBuf st;

  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  /* A 32-byte header, then frames of a 24-byte header and a page. */
  return st.st_size <= 32 ? 0 : (st.st_size - 32) / (24 + page_size);
}

/* dvrd writes about a second of fixes per call: one transaction, so one
 * commit and a handful of WAL pages, never one commit per fix; and all or
 * none of them. */
static void
test_gps_fix_batch (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_autoptr (GArray) fixes = NULL;
  g_autoptr (GArray) batch = g_array_sized_new (FALSE, FALSE, sizeof (DvrGpsFix), 1000);
  gint64 frames_before, frames_after, start_us, elapsed_us;

  g_assert_no_error (error);
  for (guint i = 0; i < 1000; i++) {
    DvrGpsFix fix = fix_full (G_GINT64_CONSTANT (1795905085000000000) + (gint64) i * 100000000);
    fix.lat += i * 1e-6;
    g_array_append_val (batch, fix);
  }
  frames_before = wal_frames (f);
  start_us = g_get_monotonic_time ();
  g_assert_true (dvr_catalog_add_gps_fixes (catalog, (const DvrGpsFix *) batch->data,
      batch->len, &error));
  elapsed_us = g_get_monotonic_time () - start_us;
  g_assert_no_error (error);
  frames_after = wal_frames (f);
  g_test_message ("1000 fixes: %.2f ms, %" G_GINT64_FORMAT " WAL frames",
      elapsed_us / 1000.0, frames_after - frames_before);
  /* 1000 commits would write at least 1000 frames. */
  g_assert_cmpint (frames_after - frames_before, >, 0);
  g_assert_cmpint (frames_after - frames_before, <, 100);

  fixes = list_fixes (catalog, G_MININT64, G_MAXINT64);
  g_assert_cmpuint (fixes->len, ==, 1000);
  for (guint i = 0; i < 1000; i++)
    assert_fix_identical (&g_array_index (fixes, DvrGpsFix, i), &g_array_index (batch, DvrGpsFix, i));
  g_clear_pointer (&fixes, g_array_unref);

  /* A bad last fix (a caller's bug: negative count that is not -1) takes
   * the 999 good ones before it down with it. */
  for (guint i = 0; i < 1000; i++)
    g_array_index (batch, DvrGpsFix, i).received_utc_ns += 1000 * DVR_TEST_SECOND;
  g_array_index (batch, DvrGpsFix, 999).sats_used = -5;
  g_assert_false (dvr_catalog_add_gps_fixes (catalog, (const DvrGpsFix *) batch->data,
      batch->len, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "insert GPS fix 1000 of 1000: "));
  g_assert_nonnull (strstr (error->message, "CHECK constraint failed"));
  g_clear_error (&error);
  g_assert_cmpint (raw_query_int (f->path, "SELECT count(*) FROM gps_fixes"), ==, 1000);

  /* The connection is usable afterwards: no transaction left open. */
  g_array_index (batch, DvrGpsFix, 999).sats_used = 5;
  g_assert_true (dvr_catalog_add_gps_fixes (catalog, (const DvrGpsFix *) batch->data,
      batch->len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (raw_query_int (f->path, "SELECT count(*) FROM gps_fixes"), ==, 2000);
}

static void
test_signal_changes (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_autoptr (GPtrArray) changes = NULL;
  DvrSignalChange *change;

  g_assert_no_error (error);
  g_assert_true (dvr_catalog_add_signal_change (catalog, "lights", TRUE, 300, 30, "control", &error));
  g_assert_true (dvr_catalog_add_signal_change (catalog, "siren", TRUE, 100, G_MININT64, "control", &error));
  g_assert_true (dvr_catalog_add_signal_change (catalog, "lights", FALSE, 500, 50, "gpio", &error));
  g_assert_true (dvr_catalog_add_signal_change (catalog, "door", FALSE, 100, G_MININT64 + 1, "control", &error));
  /* Any non-zero gboolean is TRUE, stored as 1. */
  g_assert_true (dvr_catalog_add_signal_change (catalog, "door", 42, 600, 60, "control", &error));
  g_assert_no_error (error);

  changes = dvr_catalog_list_signal_changes (catalog, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 5);
  change = g_ptr_array_index (changes, 0);
  g_assert_cmpstr (change->name, ==, "siren");
  g_assert_true (change->value);
  g_assert_cmpint (change->utc_ns, ==, 100);
  g_assert_cmpint (change->mono_ns, ==, G_MININT64);
  g_assert_cmpstr (change->source, ==, "control");
  change = g_ptr_array_index (changes, 1);
  g_assert_cmpstr (change->name, ==, "door");
  g_assert_false (change->value);
  g_assert_cmpint (change->mono_ns, ==, G_MININT64 + 1);
  change = g_ptr_array_index (changes, 2);
  g_assert_cmpstr (change->name, ==, "lights");
  g_assert_true (change->value);
  g_assert_cmpint (change->utc_ns, ==, 300);
  g_assert_cmpint (change->mono_ns, ==, 30);
  change = g_ptr_array_index (changes, 3);
  g_assert_false (change->value);
  g_assert_cmpstr (change->source, ==, "gpio");
  change = g_ptr_array_index (changes, 4);
  g_assert_true (change->value);
  g_assert_cmpint (change->id, >, 0);
  g_clear_pointer (&changes, g_ptr_array_unref);

  changes = dvr_catalog_list_signal_changes (catalog, 100, 300, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 2);
  g_clear_pointer (&changes, g_ptr_array_unref);

  g_assert_cmpint (raw_query_int (f->path,
      "SELECT count(*) FROM signal_changes WHERE mono_ns IS NULL"), ==, 1);
  g_assert_cmpint (raw_query_int (f->path,
      "SELECT value FROM signal_changes WHERE utc_ns = 600"), ==, 1);
}

static void
test_strings (void)
{
  for (DvrClockSource s = DVR_CLOCK_SOURCE_UNKNOWN; s <= DVR_CLOCK_SOURCE_GPS; s++)
    g_assert_cmpint (dvr_clock_source_from_string (dvr_clock_source_to_string (s)), ==, s);
  for (DvrSegmentState s = DVR_SEGMENT_STATE_COMPLETE; s <= DVR_SEGMENT_STATE_RECOVERED; s++)
    g_assert_cmpint (dvr_segment_state_from_string (dvr_segment_state_to_string (s)), ==, s);
  g_assert_cmpstr (dvr_clock_source_to_string (DVR_CLOCK_SOURCE_GPS), ==, "gps");
  g_assert_cmpstr (dvr_segment_state_to_string (DVR_SEGMENT_STATE_RECOVERED), ==, "recovered");
  g_assert_cmpint (dvr_clock_source_from_string ("galileo"), ==, DVR_CLOCK_SOURCE_UNKNOWN);
  g_assert_cmpint (dvr_clock_source_from_string (NULL), ==, DVR_CLOCK_SOURCE_UNKNOWN);
  g_assert_cmpint (dvr_segment_state_from_string ("closed"), ==, DVR_SEGMENT_STATE_PARTIAL);
  g_assert_cmpint (dvr_segment_state_from_string (NULL), ==, DVR_SEGMENT_STATE_PARTIAL);
  g_assert_null (dvr_clock_source_to_string ((DvrClockSource) 42));
  g_assert_null (dvr_segment_state_to_string ((DvrSegmentState) 42));
}

static void
test_segment_copy (void)
{
  g_autoptr (DvrSegment) segment = segment_new ("front", 3, 4, "front/a.mkv", 5, 6);
  g_autoptr (DvrSegment) copy = NULL;

  segment->id = 9;
  copy = dvr_segment_copy (segment);
  assert_segment_equal (copy, segment);
  g_assert_true (copy->camera != segment->camera);
  g_assert_true (copy->path != segment->path);
  g_assert_true (copy->sha256 != segment->sha256);
  g_assert_true (copy->codec != segment->codec);
}

#define ADD_FIXTURE_TEST(name, func) \
  g_test_add ((name), Fixture, NULL, fixture_setup, (func), fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD_FIXTURE_TEST ("/catalog/create", test_create);
  ADD_FIXTURE_TEST ("/catalog/runs", test_runs);
  ADD_FIXTURE_TEST ("/catalog/ensure-run", test_ensure_run);
  ADD_FIXTURE_TEST ("/catalog/ensure-camera", test_ensure_camera);
  ADD_FIXTURE_TEST ("/catalog/segments/round-trip", test_segment_round_trip);
  ADD_FIXTURE_TEST ("/catalog/segments/query", test_segment_query);
  ADD_FIXTURE_TEST ("/catalog/segments/refused", test_segment_refused);
  ADD_FIXTURE_TEST ("/catalog/gaps", test_gaps);
  ADD_FIXTURE_TEST ("/catalog/run-cameras", test_run_cameras);
  ADD_FIXTURE_TEST ("/catalog/migrate", test_migrate);
  ADD_FIXTURE_TEST ("/catalog/migrate-v1", test_migrate_v1);
  ADD_FIXTURE_TEST ("/catalog/migrate-v3", test_migrate_v3);
  ADD_FIXTURE_TEST ("/catalog/gps-fixes/round-trip", test_gps_fix_round_trip);
  ADD_FIXTURE_TEST ("/catalog/gps-fixes/query", test_gps_fix_query);
  ADD_FIXTURE_TEST ("/catalog/gps-fixes/batch", test_gps_fix_batch);
  ADD_FIXTURE_TEST ("/catalog/signal-changes", test_signal_changes);
  ADD_FIXTURE_TEST ("/catalog/too-new", test_too_new);
  ADD_FIXTURE_TEST ("/catalog/read-only", test_read_only);
  ADD_FIXTURE_TEST ("/catalog/journal-mode", test_journal_mode);
  ADD_FIXTURE_TEST ("/catalog/checkpoint", test_checkpoint);
  g_test_add_func ("/catalog/strings", test_strings);
  g_test_add_func ("/catalog/segment-copy", test_segment_copy);

  return g_test_run ();
}
