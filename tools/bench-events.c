/* bench-events: what the catalog side of an event start and of a retention
 * sweep costs, and whether it grows with the catalog (issue 5).
 *
 *   bench-events [--repeat N] [--small N] [--large N] [--folder DIR]
 *   bench-events --fill ROOT [--segments N] [--cameras a,b,c,d] [--end-ago S]
 *
 * The first form builds two catalogs in a temporary folder with the real
 * API, a small one (the baseline) and a large one, then measures on both,
 * interleaved, N times each:
 *
 *   sweep: the daemon's retention_sweep() and deleted_cb() inline
 *     (src/dvr-daemon-events.c; dvrd deletes on its storage thread):
 *     dvr_catalog_list_ring_segments (256), dvr_retention_plan() (free
 *     space set 7.5 MiB under the watermark, so about 8 segments of ~1 MB),
 *     dvr_catalog_collect_garbage(), dvr_storage_delete() of real files in
 *     their day folders (unlink, folder fsync), dvr_catalog_drop_garbage()
 *     for each.  Then, untimed, as many new segments are added as went
 *     (dvr_catalog_add_segment(), as dvrd does while recording), so the
 *     catalog keeps its size.
 *   event: what dvrd does on a trigger (apply_result ()): one
 *     dvr_catalog_add_event() of a running event with one window per
 *     camera from 30 s before the trigger, which links the catalogued
 *     segments of the window.  Untimed: the links are counted on a second
 *     connection, and the event is ended.
 *
 * The large catalog (default 100 000 segments): 4 cameras of 2 s segments
 * (13.9 h), in runs of 3 h, paths from dvr_storage_build_segment_path(),
 * SHA-256 hex, ~1 MB each; 300 ended events (3 per 1 000 segments) spread
 * over the span, whose windows make about 10 % of the segments evidence,
 * plus one running event (its window open), all through the API and so in
 * the audit log.  The segment rows themselves go in through raw SQLite on
 * the same file in one transaction (the API commits once per segment),
 * with the evidence links for those windows made by one INSERT ... SELECT
 * as catalog_link_segment() would.  Measurements then use the API only.
 *
 * --fill ROOT makes only ROOT/catalog.sqlite3 that way (for dvrd to start
 * on: tools/bench-events), the newest segment ending --end-ago seconds ago
 * (default 60).  No segment files are made.
 *
 * Prints the median and 95th percentile of each in ms, the ratio large /
 * small of the medians, and the targets: exit status 0 when the large
 * catalog's sweep p95 is under 100 ms and its event start median under
 * 50 ms, 1 when not, 2 on an error.  A benchmark, not a test:
 * docs/benchmarks.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "dvr-catalog.h"
#include "dvr-retention.h"
#include "dvr-storage.h"
#include "dvr-utils.h"

#define SEGMENT_NS (2 * DVR_NSEC_PER_SEC)
#define RUN_NS (3 * 3600 * DVR_NSEC_PER_SEC)
#define SEGMENT_BYTES 1000000          /* 2 s at 4 Mbit/s, +-10 % */
#define SEGMENT_FRAMES 60
#define EVENTS_PER_SEGMENT 0.003       /* 300 in 100 000 segments */
#define EVIDENCE_SHARE 0.10            /* of the segments, in the ended events */
#define PRE_EVENT_NS (30 * DVR_NSEC_PER_SEC)
#define SWEEP_BATCH 256                /* as in src/dvr-daemon-events.c */
#define FILE_BYTES 4096                /* the real files the sweeps delete */
#define DRIVE_BYTES (G_GUINT64_CONSTANT (64) << 30)
#define MIN_FREE_BYTES (DRIVE_BYTES / 20)
#define SWEEP_SHORT_BYTES (G_GUINT64_CONSTANT (15) << 19) /* 7.5 MiB */

/* Targets (issue 5, docs/benchmarks.md), on the large catalog. */
#define MAX_SWEEP_P95_MS 100.0
#define MAX_EVENT_P50_MS 50.0

static const gchar *const default_cameras[] = { "front", "rear", "cabin", "side", NULL };

typedef struct {
  const gchar *label;
  gchar *root;
  gchar **cameras;
  guint n_cameras;
  DvrCatalog *catalog;   /* the measured connection, as dvrd's main loop */
  DvrCatalog *helper;    /* untimed reads and checkpoints, as dvrd's storage thread */
  DvrStorage *storage;
  DvrRetention *retention;
  gint64 run_id;         /* the bench's own run, for the segments it adds */
  guint seq;
  gint64 run_start_ns;
  gint64 *camera_end_ns; /* end of each camera's newest segment */
  guint next_camera;
  GRand *rand;
  GArray *sweep_ms;      /* double: the whole sweep */
  GArray *sweep_catalog_ms; /* double: its catalog steps (dvrd's main loop) */
  GArray *event_ms;      /* double */
  guint64 deleted;
  guint64 min_links, max_links;
} Bench;

static gint64
now_mono_ns (void)
{
  return g_get_monotonic_time () * 1000;
}

static double
ms_since (gint64 start_mono_ns)
{
  return (double) (now_mono_ns () - start_mono_ns) / 1e6;
}

static gboolean
set_sqlite_error (GError **error, sqlite3 *db, const gchar *what)
{
  g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED, "%s: %s", what,
      sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
exec_sql (sqlite3 *db, const gchar *sql, GError **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, sql);
  return TRUE;
}

static DvrSegment *
make_segment (const gchar *camera, gint64 run_id, guint seq, gint64 start_utc_ns,
              gint64 run_start_utc_ns, GRand *rand)
{
  DvrSegment *segment = dvr_segment_new ();

  segment->camera = g_strdup (camera);
  segment->run_id = run_id;
  segment->seq = seq;
  segment->path = dvr_storage_build_segment_path (camera, start_utc_ns, run_id, seq);
  segment->start_utc_ns = start_utc_ns;
  segment->end_utc_ns = start_utc_ns + SEGMENT_NS;
  /* The vehicle booted 20 s before the run began. */
  segment->start_mono_ns = start_utc_ns - run_start_utc_ns + 20 * DVR_NSEC_PER_SEC;
  segment->clock_source = DVR_CLOCK_SOURCE_GPS;
  segment->frames = SEGMENT_FRAMES;
  segment->bytes = SEGMENT_BYTES + g_rand_int_range (rand, -SEGMENT_BYTES / 10,
      SEGMENT_BYTES / 10);
  segment->sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, segment->path, -1);
  segment->state = DVR_SEGMENT_STATE_COMPLETE;
  segment->codec = g_strdup ("h264");
  segment->clock_offset_ns = g_rand_int_range (rand, -5000000, 5000000);
  return segment;
}

static DvrEvent *
make_running_event (gchar **cameras, gint64 run_id, gint64 trigger_utc_ns)
{
  DvrEvent *event = dvr_event_new ();

  event->kind = DVR_EVENT_KIND_TRIGGER;
  event->run_id = run_id;
  event->start_utc_ns = trigger_utc_ns;
  event->end_utc_ns = -1;
  event->reason = g_strdup ("signal lightbar");
  for (guint i = 0; cameras[i] != NULL; i++)
    g_ptr_array_add (event->windows, dvr_event_window_new (cameras[i],
        trigger_utc_ns - PRE_EVENT_NS, -1));
  g_ptr_array_add (event->triggers, dvr_event_trigger_new (trigger_utc_ns,
      "record-while-active", "signal lightbar", NULL));
  return event;
}

static GPtrArray *
make_windows (gchar **cameras, gint64 from_utc_ns, gint64 to_utc_ns)
{
  GPtrArray *windows = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);

  for (guint i = 0; cameras[i] != NULL; i++)
    g_ptr_array_add (windows, dvr_event_window_new (cameras[i], from_utc_ns, to_utc_ns));
  return windows;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* A raw connection that rolls back whatever it has not committed. */
typedef sqlite3 RawDb;
static void
raw_db_close (RawDb *db)
{
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (db);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawDb, raw_db_close)

static gboolean
bind_segment (sqlite3_stmt *insert, const DvrSegment *s)
{
  return sqlite3_reset (insert) == SQLITE_OK &&
      sqlite3_bind_text (insert, 1, s->camera, -1, SQLITE_STATIC) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 2, s->run_id) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 3, s->seq) == SQLITE_OK &&
      sqlite3_bind_text (insert, 4, s->path, -1, SQLITE_STATIC) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 5, s->start_utc_ns) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 6, s->end_utc_ns) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 7, s->start_mono_ns) == SQLITE_OK &&
      sqlite3_bind_text (insert, 8, dvr_clock_source_to_string (s->clock_source), -1,
          SQLITE_STATIC) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 9, (gint64) s->frames) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 10, (gint64) s->bytes) == SQLITE_OK &&
      sqlite3_bind_text (insert, 11, s->sha256, -1, SQLITE_STATIC) == SQLITE_OK &&
      sqlite3_bind_text (insert, 12, dvr_segment_state_to_string (s->state), -1,
          SQLITE_STATIC) == SQLITE_OK &&
      sqlite3_bind_text (insert, 13, s->codec, -1, SQLITE_STATIC) == SQLITE_OK &&
      sqlite3_bind_int64 (insert, 14, s->clock_offset_ns) == SQLITE_OK;
}

/* The segment rows and their evidence links in one transaction of a raw
 * connection: @per_camera segments of each camera, oldest first, cameras
 * interleaved as dvrd adds them, the last one ending at @end_utc_ns. */
static gboolean
fill_segments (const gchar *path, gchar **cameras, guint n_segments, guint per_camera,
               gint64 start_utc_ns, GArray *runs, GRand *rand, GError **error)
{
  g_autoptr (RawDb) db = NULL;
  g_autoptr (sqlite3_stmt) insert = NULL;
  guint n_cameras = g_strv_length (cameras);
  guint n = 0;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, "open");
  sqlite3_busy_timeout (db, 5000);
  if (!exec_sql (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (sqlite3_prepare_v2 (db,
          "INSERT INTO segments (camera_id, run_id, seq, path, start_utc_ns, end_utc_ns,"
          "  start_mono_ns, clock_source, frames, bytes, sha256, state, codec,"
          "  clock_offset_ns) "
          "SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 "
          "FROM cameras WHERE name = ?1", -1, &insert, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, "prepare");
  for (guint k = 0; k < per_camera && n < n_segments; k++) {
    for (guint c = 0; c < n_cameras && n < n_segments; c++, n++) {
      /* Cameras start a little apart, as they do. */
      gint64 start = start_utc_ns + (gint64) k * SEGMENT_NS -
          (gint64) c * 137 * DVR_NSEC_PER_MSEC;
      guint r = (guint) MIN ((gint64) k * SEGMENT_NS / RUN_NS, (gint64) runs->len - 1);
      gint64 run_start = start_utc_ns + (gint64) r * RUN_NS;
      guint seq = (guint) (((gint64) k * SEGMENT_NS - (gint64) r * RUN_NS) / SEGMENT_NS);
      g_autoptr (DvrSegment) s = make_segment (cameras[c], g_array_index (runs, gint64, r),
          seq, start, run_start, rand);

      if (!bind_segment (insert, s) || sqlite3_step (insert) != SQLITE_DONE)
        return set_sqlite_error (error, db, "insert segment");
    }
  }
  /* What catalog_link_segment () does for each row, at once; the lower
   * bound on start holds because every segment here is SEGMENT_NS long. */
  return exec_sql (db,
          "INSERT OR IGNORE INTO evidence (segment_id, event_id) "
          "SELECT s.id, w.event_id FROM event_windows w "
          "JOIN segments s ON s.camera_id = w.camera_id "
          "  AND s.start_utc_ns > w.from_utc_ns - 3000000000 "
          "  AND s.start_utc_ns < coalesce (w.to_utc_ns, 9223372036854775807) "
          "  AND s.end_utc_ns > w.from_utc_ns", error) &&
      exec_sql (db, "COMMIT", error);
}

/* Makes @root/catalog.sqlite3 with @n_segments segments whose newest ends
 * at @end_utc_ns.  Returns the id of the last run (ended), 0 on error. */
static gint64
fill_catalog (const gchar *root, gchar **cameras, guint n_segments, gint64 end_utc_ns,
              GRand *rand, GError **error)
{
  g_autofree gchar *path = g_build_filename (root, DVR_STORAGE_CATALOG_NAME, NULL);
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GArray) runs = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (DvrEvent) running = NULL;
  guint n_cameras = g_strv_length (cameras);
  guint per_camera = (n_segments + n_cameras - 1) / n_cameras;
  gint64 span_ns = (gint64) per_camera * SEGMENT_NS;
  gint64 start_utc_ns = end_utc_ns - span_ns;
  guint n_events = MAX (1, (guint) (n_segments * EVENTS_PER_SEGMENT));
  gint64 window_mean_ms = (gint64) ((double) span_ns * EVIDENCE_SHARE / n_events / 1e6);
  guint n_runs = (guint) ((span_ns + RUN_NS - 1) / RUN_NS);
  gint64 t0 = now_mono_ns ();

  catalog = dvr_catalog_open (path, FALSE, error);
  if (catalog == NULL)
    return 0;
  for (guint i = 0; i < n_cameras; i++) {
    g_autofree gchar *source = g_strdup_printf ("/dev/dvr/cam-%s", cameras[i]);
    if (!dvr_catalog_ensure_camera (catalog, cameras[i], source, error))
      return 0;
  }
  for (guint r = 0; r < n_runs; r++) {
    gint64 run_start = start_utc_ns + (gint64) r * RUN_NS;
    gint64 run_id = dvr_catalog_begin_run (catalog, 0, run_start, DVR_CLOCK_SOURCE_GPS, error);
    if (run_id == 0 ||
        !dvr_catalog_end_run (catalog, run_id, MIN (run_start + RUN_NS, end_utc_ns), error))
      return 0;
    g_array_append_val (runs, run_id);
  }

  /* Ended events first, while there are no segments to link: their links
   * come with the segments, in one statement.  Windows of 0.6 to 1.4 times
   * the mean, with a third of it before the start and after the end. */
  for (guint i = 0; i < n_events; i++) {
    gint64 window_ns = g_rand_int_range (rand, (gint32) (window_mean_ms * 6 / 10),
        (gint32) (window_mean_ms * 14 / 10)) * DVR_NSEC_PER_MSEC;
    gint64 from = start_utc_ns + (gint64) ((i + 0.5) * (double) span_ns / n_events) -
        window_ns / 2;
    gint64 run_id = g_array_index (runs, gint64, MIN ((from - start_utc_ns) / RUN_NS,
        (gint64) runs->len - 1));
    gint64 start = from + window_ns / 3, end = from + 2 * window_ns / 3;
    g_autoptr (DvrEvent) event = make_running_event (cameras, run_id, start);
    g_autoptr (GPtrArray) windows = make_windows (cameras, 0, from + window_ns);
    g_autoptr (DvrEventTrigger) off = dvr_event_trigger_new (end, "signal-off",
        "signal lightbar", NULL);

    for (guint j = 0; j < event->windows->len; j++)
      ((DvrEventWindow *) g_ptr_array_index (event->windows, j))->from_utc_ns = from;
    if (!dvr_catalog_add_event (catalog, event, error) ||
        !dvr_catalog_add_event_trigger (catalog, event->id, off, error) ||
        !dvr_catalog_end_event (catalog, event->id, end, windows, "signal lightbar off", error))
      return 0;
  }

  if (!fill_segments (path, cameras, n_segments, per_camera, start_utc_ns, runs, rand, error))
    return 0;

  /* A running event, through the API (it links its own segments), as when
   * dvrd was killed during one: its window is open. */
  running = make_running_event (cameras, g_array_index (runs, gint64, runs->len - 1),
      end_utc_ns - 90 * DVR_NSEC_PER_SEC);
  if (!dvr_catalog_add_event (catalog, running, error) ||
      !dvr_catalog_checkpoint (catalog, error))
    return 0;
  g_printerr ("bench-events: filled %s: %u segments, %u events, %u runs in %.1f s\n",
      path, MIN (n_segments, per_camera * n_cameras), n_events + 1, runs->len,
      ms_since (t0) / 1000);
  return g_array_index (runs, gint64, runs->len - 1);
}

static gboolean
write_file (const gchar *root, const gchar *relpath, GError **error)
{
  g_autofree gchar *path = g_build_filename (root, relpath, NULL);
  g_autofree gchar *folder = g_path_get_dirname (path);
  static gchar data[FILE_BYTES];

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_mkdir_with_parents (folder, 0755) < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "mkdir %s: %s", folder,
        g_strerror (e));
    return FALSE;
  }
  memset (data, 0x5a, sizeof data);
  return g_file_set_contents (path, data, sizeof data, error);
}

static gboolean
bench_init (Bench *b, const gchar *label, const gchar *folder, gchar **cameras,
            guint n_segments, gint64 end_utc_ns, GError **error)
{
  g_autofree gchar *catalog_path = NULL;
  DvrRetentionPolicy policy = { MIN_FREE_BYTES, 0.1 };
  gint64 last_run;

  b->label = label;
  b->root = g_build_filename (folder, label, NULL);
  b->cameras = g_strdupv (cameras);
  b->n_cameras = g_strv_length (cameras);
  b->rand = g_rand_new_with_seed (5);
  b->sweep_ms = g_array_new (FALSE, FALSE, sizeof (double));
  b->sweep_catalog_ms = g_array_new (FALSE, FALSE, sizeof (double));
  b->event_ms = g_array_new (FALSE, FALSE, sizeof (double));
  b->min_links = G_MAXUINT64;
  if (g_mkdir (b->root, 0755) < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "mkdir %s: %s", b->root,
        g_strerror (e));
    return FALSE;
  }
  last_run = fill_catalog (b->root, cameras, n_segments, end_utc_ns, b->rand, error);
  if (last_run == 0)
    return FALSE;
  catalog_path = g_build_filename (b->root, DVR_STORAGE_CATALOG_NAME, NULL);
  b->catalog = dvr_catalog_open (catalog_path, FALSE, error);
  if (b->catalog == NULL)
    return FALSE;
  b->helper = dvr_catalog_open (catalog_path, FALSE, error);
  if (b->helper == NULL)
    return FALSE;
  b->storage = dvr_storage_new (b->root, error);
  if (b->storage == NULL)
    return FALSE;
  b->retention = dvr_retention_new (&policy);
  b->run_id = dvr_catalog_begin_run (b->catalog, last_run, end_utc_ns, DVR_CLOCK_SOURCE_GPS,
      error);
  if (b->run_id == 0)
    return FALSE;
  b->run_start_ns = end_utc_ns;
  b->camera_end_ns = g_new0 (gint64, b->n_cameras);
  for (guint c = 0; c < b->n_cameras; c++)
    b->camera_end_ns[c] = end_utc_ns - (gint64) c * 137 * DVR_NSEC_PER_MSEC;
  return TRUE;
}

static void
bench_clear (Bench *b)
{
  g_clear_pointer (&b->storage, dvr_storage_free);
  g_clear_pointer (&b->catalog, dvr_catalog_free);
  g_clear_pointer (&b->helper, dvr_catalog_free);
  g_clear_pointer (&b->retention, dvr_retention_free);
  g_clear_pointer (&b->cameras, g_strfreev);
  g_clear_pointer (&b->camera_end_ns, g_free);
  g_clear_pointer (&b->rand, g_rand_free);
  g_clear_pointer (&b->sweep_ms, g_array_unref);
  g_clear_pointer (&b->sweep_catalog_ms, g_array_unref);
  g_clear_pointer (&b->event_ms, g_array_unref);
  g_clear_pointer (&b->root, g_free);
}

/* The newest segment end over all cameras: the bench's "now". */
static gint64
bench_now (Bench *b)
{
  gint64 now = G_MININT64;
  for (guint c = 0; c < b->n_cameras; c++)
    now = MAX (now, b->camera_end_ns[c]);
  return now;
}

/* Untimed: the files of the next sweep's candidates exist and are on disk,
 * the WAL is checkpointed, free space is measured 7.5 MiB under the
 * watermark. */
static gboolean
prepare_sweep (Bench *b, GError **error)
{
  g_autoptr (GPtrArray) ring = dvr_catalog_list_ring_segments (b->helper, SWEEP_BATCH, error);

  if (ring == NULL)
    return FALSE;
  for (guint i = 0; i < ring->len; i++) {
    if (!write_file (b->root, ((DvrSegment *) g_ptr_array_index (ring, i))->path, error))
      return FALSE;
  }
  if (!dvr_catalog_checkpoint (b->helper, error))
    return FALSE;
  sync ();
  dvr_retention_observe (b->retention, now_mono_ns (), DRIVE_BYTES,
      MIN_FREE_BYTES - SWEEP_SHORT_BYTES);
  return TRUE;
}

/* What dvrd does in retention_sweep () and, once the storage thread has
 * deleted the files, in deleted_cb ().  Returns the number deleted, -1 on
 * error. */
static gint
sweep (Bench *b, double *catalog_ms, GError **error)
{
  g_autoptr (GPtrArray) ring = NULL;
  g_autoptr (GArray) sizes = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GPtrArray) deleted = NULL;
  g_autofree gchar *reason = NULL;
  guint64 planned = 0;
  gint64 t0, t1, t2;
  guint n;

  t0 = now_mono_ns ();
  ring = dvr_catalog_list_ring_segments (b->catalog, SWEEP_BATCH, error);
  if (ring == NULL)
    return -1;
  sizes = g_array_sized_new (FALSE, FALSE, sizeof (guint64), ring->len);
  ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), ring->len);
  for (guint i = 0; i < ring->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (ring, i);
    g_array_append_val (sizes, segment->bytes);
    g_array_append_val (ids, segment->id);
  }
  n = dvr_retention_plan (b->retention, (const guint64 *) sizes->data, sizes->len, &planned);
  if (n == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: the plan deletes nothing", b->label);
    return -1;
  }
  reason = g_strdup_printf ("rotation: %.1f MiB free, under the %.1f MiB target",
      (double) dvr_retention_get_free_bytes (b->retention) / 1048576.0,
      (double) dvr_retention_get_target_free (b->retention) / 1048576.0);
  paths = dvr_catalog_collect_garbage (b->catalog, (const gint64 *) ids->data, n, reason, error);
  if (paths == NULL)
    return -1;
  t1 = now_mono_ns ();
  deleted = dvr_storage_delete (b->storage, paths, error);
  if (error != NULL && *error != NULL)
    return -1;
  t2 = now_mono_ns ();
  for (guint i = 0; i < deleted->len; i++) {
    if (!dvr_catalog_drop_garbage (b->catalog, deleted->pdata[i], error))
      return -1;
  }
  *catalog_ms = (double) ((t1 - t0) + (now_mono_ns () - t2)) / 1e6;
  return (gint) deleted->len;
}

/* Untimed: @n new segments, as dvrd adds them while recording. */
static gboolean
add_segments (Bench *b, guint n, GError **error)
{
  for (guint i = 0; i < n; i++) {
    guint c = b->next_camera;
    g_autoptr (DvrSegment) segment = make_segment (b->cameras[c], b->run_id, b->seq++,
        b->camera_end_ns[c], b->run_start_ns, b->rand);
    if (!dvr_catalog_add_segment (b->catalog, segment, error))
      return FALSE;
    b->camera_end_ns[c] = segment->end_utc_ns;
    b->next_camera = (c + 1) % b->n_cameras;
  }
  return TRUE;
}

static gboolean
run_sweep (Bench *b, GError **error)
{
  double catalog_ms = 0, ms;
  gint64 t0;
  gint n;

  if (!prepare_sweep (b, error))
    return FALSE;
  t0 = now_mono_ns ();
  n = sweep (b, &catalog_ms, error);
  ms = ms_since (t0);
  if (n < 0)
    return FALSE;
  g_array_append_val (b->sweep_ms, ms);
  g_array_append_val (b->sweep_catalog_ms, catalog_ms);
  b->deleted += (guint) n;
  return add_segments (b, (guint) n, error);
}

static gboolean
run_event (Bench *b, GError **error)
{
  gint64 trigger = bench_now (b) + DVR_NSEC_PER_SEC;
  g_autoptr (DvrEvent) event = make_running_event (b->cameras, b->run_id, trigger);
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) windows = NULL;
  gint64 t0;
  double ms;

  if (!dvr_catalog_checkpoint (b->helper, error))
    return FALSE;
  t0 = now_mono_ns ();
  if (!dvr_catalog_add_event (b->catalog, event, error))
    return FALSE;
  ms = ms_since (t0);
  g_array_append_val (b->event_ms, ms);

  /* 30 s of 2 s segments per camera, less the one each camera is still
   * writing (cameras' newest segments end up to 2 s apart). */
  segments = dvr_catalog_list_event_segments (b->helper, event->id, error);
  if (segments == NULL)
    return FALSE;
  if (segments->len < b->n_cameras * (PRE_EVENT_NS / SEGMENT_NS - 1)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "%s: event %" G_GINT64_FORMAT " has %u evidence segments, expected at least %u",
        b->label, event->id, segments->len,
        (guint) (b->n_cameras * (PRE_EVENT_NS / SEGMENT_NS - 1)));
    return FALSE;
  }
  b->min_links = MIN (b->min_links, segments->len);
  b->max_links = MAX (b->max_links, segments->len);
  windows = make_windows (b->cameras, 0, trigger);
  return dvr_catalog_end_event (b->catalog, event->id, trigger, windows, "signal lightbar off",
      error);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile @p (0-100) of @values. */
static double
percentile (GArray *values, double p)
{
  g_autoptr (GArray) sorted = g_array_copy (values);
  guint rank;

  g_array_sort (sorted, compare_double);
  if (p == 50 && sorted->len % 2 == 0)
    return (g_array_index (sorted, double, sorted->len / 2 - 1) +
            g_array_index (sorted, double, sorted->len / 2)) / 2;
  rank = (guint) MAX (1.0, (p / 100.0 * sorted->len) + 0.999999);
  return g_array_index (sorted, double, MIN (rank, sorted->len) - 1);
}

static void
print_row (const gchar *what, GArray *small, GArray *large)
{
  double s50 = percentile (small, 50), l50 = percentile (large, 50);
  g_print ("%-44s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", what, s50, percentile (small, 95),
      l50, percentile (large, 95), percentile (large, 100), l50 / s50);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Bench, bench_clear)

/* Builds both catalogs in @folder, measures, prints.  Returns 0 when the
 * targets hold, 1 when not, -1 with @error set. */
static gint
run_benchmark (const gchar *folder, gchar **cameras, gint repeat, gint n_small, gint n_large,
               GError **error)
{
  g_auto (Bench) small = { 0, };
  g_auto (Bench) large = { 0, };
  gint64 end_utc_ns = dvr_utc_now_ns () - 60 * DVR_NSEC_PER_SEC;
  gboolean sweep_ok, event_ok;

  if (!bench_init (&small, "small", folder, cameras, (guint) n_small, end_utc_ns, error) ||
      !bench_init (&large, "large", folder, cameras, (guint) n_large, end_utc_ns, error))
    return -1;
  g_printerr ("bench-events: %d repetitions ...\n", repeat);
  for (gint i = 0; i < repeat; i++) {
    /* Alternate which catalog goes first, so that neither always follows
     * the other's disk work. */
    Bench *first = i % 2 == 0 ? &small : &large;
    Bench *second = i % 2 == 0 ? &large : &small;
    if (!run_sweep (first, error) || !run_sweep (second, error) ||
        !run_event (first, error) || !run_event (second, error))
      return -1;
  }

  g_print ("Catalog side: baseline %d segments, large %d segments; %u cameras, 2 s segments; "
      "%d repetitions (ms)\n", n_small, n_large, small.n_cameras, repeat);
  g_print ("%-44s %9s %9s %9s %9s %9s %9s\n", "operation", "small p50", "small p95",
      "large p50", "large p95", "large max", "ratio p50");
  print_row ("retention sweep (list, plan, garbage, unlink)", small.sweep_ms, large.sweep_ms);
  print_row ("  its catalog steps (dvrd's main loop)", small.sweep_catalog_ms,
      large.sweep_catalog_ms);
  print_row ("event start (4 windows, 30 s pre-event)", small.event_ms, large.event_ms);
  g_print ("Sweeps deleted %.1f segments each; an event start linked %" G_GUINT64_FORMAT "-%"
      G_GUINT64_FORMAT " segments.\n", (double) (small.deleted + large.deleted) / (2 * repeat),
      large.min_links, large.max_links);
  sweep_ok = percentile (large.sweep_ms, 95) < MAX_SWEEP_P95_MS;
  event_ok = percentile (large.event_ms, 50) < MAX_EVENT_P50_MS;
  g_print ("%s  retention sweep over %d segments: p95 < %.0f ms\n", sweep_ok ? "PASS" : "FAIL",
      n_large, MAX_SWEEP_P95_MS);
  g_print ("%s  event start, catalog part, over %d segments: median < %.0f ms\n",
      event_ok ? "PASS" : "FAIL", n_large, MAX_EVENT_P50_MS);
  return sweep_ok && event_ok ? 0 : 1;
}

static gchar *
temp_folder (const gchar *parent, GError **error)
{
  g_autofree gchar *template = g_build_filename (parent != NULL ? parent : g_get_tmp_dir (),
      "bench-events-XXXXXX", NULL);

  if (g_mkdtemp (template) == NULL) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "mkdtemp %s: %s", template,
        g_strerror (e));
    return NULL;
  }
  return g_steal_pointer (&template);
}

static void
remove_tree (const gchar *path)
{
  const gchar *argv[] = { "rm", "-rf", "--", path, NULL };
  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
      NULL);
}

int
main (int argc, char **argv)
{
  gint repeat = 50, n_small = 1000, n_large = 100000, end_ago = 60;
  gint n_fill = 100000;
  g_autofree gchar *folder = NULL;
  g_autofree gchar *parent = NULL;
  g_autofree gchar *fill = NULL;
  g_autofree gchar *camera_list = NULL;
  gboolean keep = FALSE;
  g_auto (GStrv) cameras = NULL;
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  gint status;
  const GOptionEntry entries[] = {
    { "repeat", 'n', 0, G_OPTION_ARG_INT, &repeat,
      "Measurements of each operation on each catalog (default 50)", "N" },
    { "small", 0, 0, G_OPTION_ARG_INT, &n_small,
      "Segments in the baseline catalog (default 1000)", "N" },
    { "large", 0, 0, G_OPTION_ARG_INT, &n_large,
      "Segments in the large catalog (default 100000)", "N" },
    { "folder", 0, 0, G_OPTION_ARG_FILENAME, &parent,
      "Make the temporary folder in DIR (default $TMPDIR or /tmp)", "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the temporary folder", NULL },
    { "fill", 0, 0, G_OPTION_ARG_FILENAME, &fill,
      "Only make ROOT/catalog.sqlite3 (ROOT must exist) and exit", "ROOT" },
    { "segments", 0, 0, G_OPTION_ARG_INT, &n_fill,
      "--fill: segments (default 100000)", "N" },
    { "cameras", 0, 0, G_OPTION_ARG_STRING, &camera_list,
      "Camera names, comma-separated (default front,rear,cabin,side)", "LIST" },
    { "end-ago", 0, 0, G_OPTION_ARG_INT, &end_ago,
      "--fill: the newest segment ends S seconds ago (default 60)", "S" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  options = g_option_context_new ("- catalog cost of an event start and a retention sweep");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("bench-events: %s\n", error->message);
    return 2;
  }
  /* Under 1 000 segments the running event's window (the last 2 minutes)
   * leaves too little ring to sweep. */
  if (repeat < 1 || n_small < 1000 || n_large < 1000 || n_fill < 1000 || end_ago < 0) {
    g_printerr ("bench-events: --repeat must be positive, catalogs at least 1000 segments\n");
    return 2;
  }
  cameras = camera_list != NULL ? g_strsplit (camera_list, ",", -1) :
      g_strdupv ((gchar **) default_cameras);
  if (g_strv_length (cameras) == 0) {
    g_printerr ("bench-events: --cameras: no camera\n");
    return 2;
  }

  if (fill != NULL) {
    g_autoptr (GRand) rand = g_rand_new_with_seed (5);
    gint64 end_utc_ns = dvr_utc_now_ns () - (gint64) end_ago * DVR_NSEC_PER_SEC;
    if (fill_catalog (fill, cameras, (guint) n_fill, end_utc_ns, rand, &error) == 0) {
      g_printerr ("bench-events: %s\n", error->message);
      return 2;
    }
    return 0;
  }

  folder = temp_folder (parent, &error);
  if (folder == NULL) {
    g_printerr ("bench-events: %s\n", error->message);
    return 2;
  }
  status = run_benchmark (folder, cameras, repeat, n_small, n_large, &error);
  if (status < 0)
    g_printerr ("bench-events: %s\n", error->message);
  if (keep)
    g_printerr ("bench-events: left %s\n", folder);
  else
    remove_tree (folder);
  return status < 0 ? 2 : status;
}
