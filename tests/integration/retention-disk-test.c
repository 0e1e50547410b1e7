/* Integration: the disk budget on a real filesystem (docs/events.md,
 * "Retention and the disk budget").
 *
 * A small ext4 image on a loop device is recorded past its size several
 * times by two replay cameras that pass MJPEG through (fast writing, little
 * CPU), while a thread reads statvfs every 10 ms for the whole run:
 *
 *  1. rotation: free space never falls under [retention] min-free; no write
 *     fails; an event's evidence outlives every rotation, byte for byte,
 *     and decodes; the catalog and the drive agree; the audit chain
 *     verifies and holds the deletions;
 *  2. evidence fills the drive: with a manual event running, the ring is
 *     emptied, the evidence-full alarm is raised and the cameras stop
 *     ("storage full") well before the filesystem runs out; dvrd stays up,
 *     stops cleanly, and every piece of evidence decodes.
 *
 * The tests share one drive and run in order.  Needs root and loop devices
 * (exits 77 saying why otherwise).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gst/gst.h>
#include <gst/app/app.h>
#include <glib/gstdio.h>
#include <sys/statvfs.h>

#include "dvr-catalog.h"
#include "dvr-control.h"
#include "dvr-retention.h"
#include "dvr-storage.h"
#include "dvr-test-util.h"

#define MIB (G_GUINT64_CONSTANT (1024) * 1024)

#define IMAGE_BYTES (300 * MIB)
/* dvrd stops the cameras under a floor of DVR_RETENTION_RESERVE_BYTES plus
 * 4 s of writing (about 67 MB at this test's 12.6 MB/s).  On a real drive
 * min-free (5%) lies far above that floor; so it does here, or the cameras
 * would stop before free space ever reached the watermark and the
 * evidence-full state could not be seen. */
#define MIN_FREE_BYTES (96 * MIB)
#define MIN_FREE_TEXT "96M"
#define SEGMENT_SECONDS 1
#define PRE_EVENT_S 2
#define POST_EVENT_S 2

/* The replayed clip: JPEG of noise does not compress, so each camera
 * writes about 6.3 MB/s while dvrd only moves bytes. */
#define CLIP_WIDTH 640
#define CLIP_HEIGHT 480
#define CLIP_FPS 30
#define CLIP_QUALITY 85
#define CLIP_UNIQUE 60
#define CLIP_SECONDS 10

/* Phase 1 records until this many times the image has been written (as
 * the free-space watch counts it), fires its event at EVENT_AT_FACTOR
 * (well into rotation), and must be done within PHASE1_MAX_S. */
#define RECORD_FACTOR 3
#define RUN_FACTOR 3.2
#define EVENT_AT_FACTOR 1.3
#define PHASE1_MAX_S 110
#define PHASE2_MAX_S 90
/* The watch samples every ~10 ms; on a busy two-core machine a sample is
 * sometimes late (statvfs waiting behind writeback), but never by as much
 * as dvrd's own 500 ms between looks. */
#define WATCH_MAX_INTERVAL_US (500 * 1000)
#define WATCH_LATE_US (50 * 1000)

static const gchar *camera_names[] = { "front", "rear" };

/* ---- Free space, watched from a thread ---- */

typedef struct {
  guint64 min_free;      /* f_bavail * f_frsize, lowest seen */
  guint64 last_free;
  guint64 fallen;        /* sum of every fall of free space: bytes written */
  guint64 samples;
  gint64 max_interval_us;
  guint64 late;          /* samples more than WATCH_LATE_US after the last */
  guint64 max_fall_1s;   /* largest fall of free space within one second */
} FreeWatchStats;

typedef struct {
  gchar *path;
  GThread *thread;
  gint stop;             /* atomic */
  GMutex lock;
  FreeWatchStats stats;  /* since the last reset */
  gint64 last_us;
  /* The last second of samples, for max_fall_1s. */
  guint64 window_free[128];
  gint64 window_us[128];
  guint window_next;
} FreeWatch;

static void
free_watch_reset_locked (FreeWatch *w)
{
  guint64 last = w->stats.last_free;
  memset (&w->stats, 0, sizeof (w->stats));
  w->stats.min_free = G_MAXUINT64;
  w->stats.last_free = last;
}

static gpointer
free_watch_thread (gpointer data)
{
  FreeWatch *w = data;

  while (!g_atomic_int_get (&w->stop)) {
    struct statvfs st;
    guint64 free_bytes;
    gint64 now;

    g_assert_cmpint (statvfs (w->path, &st), ==, 0);
    now = g_get_monotonic_time ();
    free_bytes = (guint64) st.f_bavail * st.f_frsize;
    g_mutex_lock (&w->lock);
    if (w->last_us != 0) {
      w->stats.max_interval_us = MAX (w->stats.max_interval_us, now - w->last_us);
      w->stats.late += now - w->last_us > WATCH_LATE_US;
      if (free_bytes < w->stats.last_free)
        w->stats.fallen += w->stats.last_free - free_bytes;
    }
    w->stats.min_free = MIN (w->stats.min_free, free_bytes);
    for (guint i = 0; i < G_N_ELEMENTS (w->window_us); i++)
      if (w->window_us[i] != 0 && now - w->window_us[i] <= G_USEC_PER_SEC &&
          w->window_free[i] > free_bytes)
        w->stats.max_fall_1s = MAX (w->stats.max_fall_1s, w->window_free[i] - free_bytes);
    w->window_free[w->window_next] = free_bytes;
    w->window_us[w->window_next] = now;
    w->window_next = (w->window_next + 1) % G_N_ELEMENTS (w->window_us);
    w->stats.last_free = free_bytes;
    w->stats.samples++;
    w->last_us = now;
    g_mutex_unlock (&w->lock);
    g_usleep (10 * 1000);
  }
  return NULL;
}

static void
free_watch_start (FreeWatch *w, const gchar *path)
{
  w->path = g_strdup (path);
  g_mutex_init (&w->lock);
  free_watch_reset_locked (w);
  w->thread = g_thread_new ("free-watch", free_watch_thread, w);
}

/* Copies the statistics since the last reset, and resets them if asked. */
static FreeWatchStats
free_watch_get (FreeWatch *w, gboolean reset)
{
  FreeWatchStats stats;
  g_mutex_lock (&w->lock);
  stats = w->stats;
  if (reset)
    free_watch_reset_locked (w);
  g_mutex_unlock (&w->lock);
  return stats;
}

static void
free_watch_stop (FreeWatch *w)
{
  if (w->thread == NULL)
    return;
  g_atomic_int_set (&w->stop, 1);
  g_thread_join (w->thread);
  w->thread = NULL;
  g_mutex_clear (&w->lock);
  g_clear_pointer (&w->path, g_free);
}

/* ---- Fixture ---- */

typedef struct {
  gchar *camera;
  gchar *path;
  gchar *sha256;
} SegmentRef;

static void
segment_ref_free (SegmentRef *ref)
{
  g_free (ref->camera);
  g_free (ref->path);
  g_free (ref->sha256);
  g_free (ref);
}

static struct {
  DvrTestLoopMount *mount;
  gchar *folder;        /* config, socket, logs, clip: off the small drive */
  gchar *storage;       /* the mount point */
  gchar *config;
  FreeWatch watch;
  gint64 run1;
  gint64 run2;
  gint64 event1;        /* phase 1's event */
  GPtrArray *event1_segments;  /* SegmentRef, from dvrd's "event" reply */
  gint64 event2;        /* phase 2's event, running when evidence filled the drive */
  guint64 deleted1;     /* status retention.deleted_segments at the end of phase 1 */
  gboolean phase1_done;
  gboolean phase2_done;
} fixture;

static gchar *
json_text (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

/* Fails, naming @what and showing @status and dvrd's log. */
static void
fail_with (DvrTestDaemon *daemon, JsonObject *status, const gchar *what)
{
  g_autofree gchar *text = status ? json_text (status) : NULL;
  if (daemon != NULL)
    dvr_test_daemon_print_log (daemon);
  if (fixture.watch.thread != NULL) {
    FreeWatchStats stats = free_watch_get (&fixture.watch, FALSE);
    g_printerr ("free space (statvfs): now %.1f MiB, lowest %.1f MiB, fastest fall %.1f MB "
        "in a second, %.0f MB written\n", stats.last_free / (gdouble) MIB,
        stats.min_free / (gdouble) MIB, stats.max_fall_1s / 1e6, stats.fallen / 1e6);
  }
  g_printerr ("status: %s\n", text ? text : "(none)");
  g_printerr ("FAILED: %s\n", what);
  g_assert_not_reached ();
}

static JsonObject *
require_object (DvrTestDaemon *daemon, JsonObject *status, JsonObject *object, const gchar *name)
{
  if (!json_object_has_member (object, name) ||
      JSON_NODE_TYPE (json_object_get_member (object, name)) != JSON_NODE_OBJECT) {
    g_autofree gchar *what = g_strdup_printf ("no object member \"%s\" (protocol.md)", name);
    fail_with (daemon, status, what);
  }
  return json_object_get_object_member (object, name);
}

static gint64
require_int (DvrTestDaemon *daemon, JsonObject *status, JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_has_member (object, name) ? json_object_get_member (object, name) : NULL;
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_INT64) {
    g_autofree gchar *what = g_strdup_printf ("no integer member \"%s\" (protocol.md)", name);
    fail_with (daemon, status, what);
  }
  return json_node_get_int (node);
}

static const gchar *
require_string (DvrTestDaemon *daemon, JsonObject *status, JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_has_member (object, name) ? json_object_get_member (object, name) : NULL;
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING) {
    g_autofree gchar *what = g_strdup_printf ("no string member \"%s\" (protocol.md)", name);
    fail_with (daemon, status, what);
  }
  return json_node_get_string (node);
}

static gboolean
require_boolean (DvrTestDaemon *daemon, JsonObject *status, JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_has_member (object, name) ? json_object_get_member (object, name) : NULL;
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    g_autofree gchar *what = g_strdup_printf ("no boolean member \"%s\" (protocol.md)", name);
    fail_with (daemon, status, what);
  }
  return json_node_get_boolean (node);
}

static JsonArray *
require_array (DvrTestDaemon *daemon, JsonObject *status, JsonObject *object, const gchar *name)
{
  if (!json_object_has_member (object, name) ||
      JSON_NODE_TYPE (json_object_get_member (object, name)) != JSON_NODE_ARRAY) {
    g_autofree gchar *what = g_strdup_printf ("no array member \"%s\" (protocol.md)", name);
    fail_with (daemon, status, what);
  }
  return json_object_get_array_member (object, name);
}

/* Sends @request (JSON text); the reply must be ok. */
static JsonObject *
control (DvrTestDaemon *daemon, const gchar *request)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = NULL;

  g_assert_true (json_parser_load_from_data (parser, request, -1, &error));
  g_assert_no_error (error);
  reply = dvr_control_call (daemon->socket_path,
      json_node_get_object (json_parser_get_root (parser)), 10000, &error);
  g_assert_no_error (error);
  if (!json_object_get_boolean_member_with_default (reply, "ok", FALSE)) {
    g_autofree gchar *what = g_strdup_printf ("request %s refused", request);
    fail_with (daemon, reply, what);
  }
  return g_steal_pointer (&reply);
}

static JsonObject *
status_now (DvrTestDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  JsonObject *status = dvr_test_daemon_status (daemon, &error);
  if (status == NULL) {
    g_autofree gchar *what = g_strdup_printf ("status: %s", error->message);
    fail_with (daemon, NULL, what);
  }
  return status;
}

static gboolean
daemon_alive (DvrTestDaemon *daemon)
{
  return g_subprocess_get_identifier (daemon->process) != NULL;
}

static gboolean
all_recording (JsonObject *status, gpointer user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (camera_names); i++) {
    JsonObject *camera = dvr_test_status_camera (status, camera_names[i]);
    if (camera == NULL || g_strcmp0 (json_object_get_string_member_with_default (camera,
        "state", ""), "recording") != 0 ||
        json_object_get_int_member_with_default (camera, "segments", 0) < 1)
      return FALSE;
  }
  return TRUE;
}

/* Every camera: no write failure; and recording, if @recording. */
static void
check_cameras (DvrTestDaemon *daemon, JsonObject *status, gboolean recording)
{
  for (guint i = 0; i < G_N_ELEMENTS (camera_names); i++) {
    JsonObject *camera = dvr_test_status_camera (status, camera_names[i]);
    if (camera == NULL)
      fail_with (daemon, status, "a camera is missing from status");
    if (require_int (daemon, status, camera, "write_failures") != 0)
      fail_with (daemon, status, "a segment failed to write");
    if (recording && g_strcmp0 (require_string (daemon, status, camera, "state"), "recording") != 0)
      fail_with (daemon, status, "a camera stopped recording during rotation");
  }
}

/* dvrd never met a full filesystem. */
static void
check_log_no_enospc (DvrTestDaemon *daemon)
{
  g_autofree gchar *log = NULL;
  g_assert_true (g_file_get_contents (daemon->log_path, &log, NULL, NULL));
  if (strstr (log, "No space left") != NULL || strstr (log, "ENOSPC") != NULL)
    fail_with (daemon, NULL, "dvrd's log shows ENOSPC");
}

static void
check_audit_verify (DvrTestDaemon *daemon)
{
  g_autoptr (JsonObject) reply = control (daemon, "{\"cmd\":\"audit-verify\"}");
  if (!require_boolean (daemon, reply, reply, "intact"))
    fail_with (daemon, reply, "audit-verify: the chain is broken");
  g_assert_cmpint (require_int (daemon, reply, reply, "rows"), >, 0);
  g_assert_cmpuint (strlen (require_string (daemon, reply, reply, "head")), ==, 64);
}

static gchar *
build_config (const gchar *clip)
{
  g_autoptr (GString) c = g_string_new (NULL);
  g_string_append_printf (c,
      "[recorder]\nunit-id = retention-test\nstorage = %s\nsegment-length = %d\n"
      "stall-timeout = %u\n"   /* the default, scaled: dvrd starts slowly under valgrind */
      "[control]\nsocket = %s/control.sock\n"
      "[gps]\ngpsd = none\n"
      "[events]\npre-event = %d\npost-event = %d\n"
      "[retention]\nmin-free = %s\n",
      fixture.storage, SEGMENT_SECONDS, dvr_test_timeout_ms (5000) / 1000, fixture.folder,
      PRE_EVENT_S, POST_EVENT_S,
      MIN_FREE_TEXT);
  for (guint i = 0; i < G_N_ELEMENTS (camera_names); i++)
    g_string_append_printf (c, "[camera %s]\nsource = replay:%s\nwidth = %d\nheight = %d\n"
        "framerate = %d/1\n", camera_names[i], clip, CLIP_WIDTH, CLIP_HEIGHT, CLIP_FPS);
  return g_string_free (g_steal_pointer (&c), FALSE);
}

/* An MJPEG Matroska clip of noise: replayed, it is fast writing that
 * costs dvrd almost no CPU (passed through, never decoded).  CLIP_UNIQUE
 * frames are encoded once and muxed over and over; dvrd loops it, so
 * the run also crosses loops that start segments (the stall fixed in
 * 0c6f60d). */

static DvrCatalog *
open_catalog (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = g_build_filename (fixture.storage, DVR_STORAGE_CATALOG_NAME, NULL);
  DvrCatalog *catalog = dvr_catalog_open (path, TRUE, &error);
  g_assert_no_error (error);
  return catalog;
}

/* CAMERA/DAY/CAMERA-STAMPZ-rRUN-SEQ.mkv (docs/storage.md). */
static gboolean
parse_segment_path (const gchar *path, gchar **camera, gint64 *run, gint64 *seq)
{
  static GRegex *re;
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree gchar *run_text = NULL, *seq_text = NULL;

  if (re == NULL)
    re = g_regex_new ("^([a-z0-9_-]+)/\\d{4}-\\d{2}-\\d{2}/\\1-\\d{8}T\\d{6}\\.\\d{3}Z-r(\\d+)-(\\d+)\\.mkv$",
        0, 0, NULL);
  if (!g_regex_match (re, path, 0, &match))
    return FALSE;
  *camera = g_match_info_fetch (match, 1);
  run_text = g_match_info_fetch (match, 2);
  seq_text = g_match_info_fetch (match, 3);
  *run = g_ascii_strtoll (run_text, NULL, 10);
  *seq = g_ascii_strtoll (seq_text, NULL, 10);
  return TRUE;
}

/* ---- Phase 1: rotation ---- */

typedef struct {
  gboolean started;
  gboolean stopped;
  gboolean listed;
  gint64 started_us;
  gint64 stopped_us;
  gint64 idle_us;
} EventProgress;

static void
event1_step (DvrTestDaemon *daemon, JsonObject *status, EventProgress *ev, guint64 written)
{
  gint64 now = g_get_monotonic_time ();

  if (!ev->started && written >= EVENT_AT_FACTOR * IMAGE_BYTES) {
    g_autoptr (JsonObject) reply = control (daemon,
        "{\"cmd\":\"event-start\",\"reason\":\"retention-disk-test\"}");
    JsonObject *event = require_object (daemon, reply, reply, "event");
    g_assert_false (require_boolean (daemon, reply, reply, "extended"));
    g_assert_cmpstr (require_string (daemon, reply, event, "kind"), ==, "manual");
    g_assert_cmpstr (require_string (daemon, reply, event, "state"), ==, "running");
    fixture.event1 = require_int (daemon, reply, event, "id");
    ev->started = TRUE;
    ev->started_us = now;
    g_test_message ("event %" G_GINT64_FORMAT " started after %.0f MB written",
        fixture.event1, written / 1e6);
  } else if (ev->started && !ev->stopped && now - ev->started_us >= G_USEC_PER_SEC) {
    g_autoptr (JsonObject) reply = control (daemon, "{\"cmd\":\"event-stop\"}");
    JsonObject *event = require_object (daemon, reply, reply, "event");
    g_assert_cmpint (require_int (daemon, reply, event, "id"), ==, fixture.event1);
    g_assert_cmpstr (require_string (daemon, reply, event, "state"), ==, "post-event");
    g_assert_cmpstr (require_string (daemon, reply, event, "stop_reason"), ==, "stopped");
    ev->stopped = TRUE;
    ev->stopped_us = now;
  } else if (ev->stopped && ev->idle_us == 0) {
    if (!json_object_has_member (status, "event"))
      fail_with (daemon, status, "status has no \"event\" member (protocol.md)");
    if (json_object_get_null_member (status, "event"))
      ev->idle_us = now;
    else if (now - ev->stopped_us > (POST_EVENT_S + 5) * G_USEC_PER_SEC)
      fail_with (daemon, status, "the event is still on 5 s after its post-event time");
  } else if (ev->idle_us != 0 && !ev->listed && now - ev->idle_us >= 2500 * 1000) {
    /* Long enough after the window closed for its last segment to be
     * catalogued: what dvrd calls this event's evidence. */
    g_autofree gchar *request = g_strdup_printf ("{\"cmd\":\"event\",\"event\":%" G_GINT64_FORMAT "}",
        fixture.event1);
    g_autoptr (JsonObject) reply = control (daemon, request);
    JsonArray *segments = require_array (daemon, reply, reply, "segments");
    fixture.event1_segments = g_ptr_array_new_with_free_func ((GDestroyNotify) segment_ref_free);
    for (guint i = 0; i < json_array_get_length (segments); i++) {
      JsonObject *s = json_array_get_object_element (segments, i);
      SegmentRef *ref = g_new0 (SegmentRef, 1);
      ref->camera = g_strdup (require_string (daemon, reply, s, "camera"));
      ref->path = g_strdup (require_string (daemon, reply, s, "path"));
      ref->sha256 = g_strdup (require_string (daemon, reply, s, "sha256"));
      g_ptr_array_add (fixture.event1_segments, ref);
    }
    /* A window of pre + a second + post, in 1 s segments. */
    g_assert_cmpuint (fixture.event1_segments->len, >=,
        G_N_ELEMENTS (camera_names) * (PRE_EVENT_S + 1 + POST_EVENT_S) / SEGMENT_SECONDS);
    ev->listed = TRUE;
  }
}

static void
test_rotation (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (JsonObject) first = NULL;
  EventProgress ev = { 0, };
  FreeWatchStats stats;
  gint64 start_us;
  guint64 deleted = 0, last_garbage = 0, max_rate = 0, target = 0, floor_free = 0;
  guint64 status_min_free = G_MAXUINT64;
  guint polls = 0;

  daemon = dvr_test_daemon_start (fixture.folder, fixture.config, &error);
  g_assert_no_error (error);
  first = dvr_test_daemon_wait (daemon, 10000, all_recording, NULL);
  if (first == NULL)
    fail_with (daemon, NULL, "the cameras did not start recording within 10 s");
  fixture.run1 = require_int (daemon, first, first, "run");
  {
    JsonObject *retention = require_object (daemon, first, first, "retention");
    g_assert_cmpuint (require_int (daemon, first, retention, "min_free_bytes"), ==, MIN_FREE_BYTES);
    g_assert_cmpuint (require_int (daemon, first, retention, "total_bytes"), <=, IMAGE_BYTES);
    g_assert_cmpuint (require_int (daemon, first, retention, "total_bytes"), >=, IMAGE_BYTES * 8 / 10);
  }

  start_us = g_get_monotonic_time ();
  while (TRUE) {
    g_autoptr (JsonObject) status = status_now (daemon);
    JsonObject *retention = require_object (daemon, status, status, "retention");
    const gchar *alarm = require_string (daemon, status, retention, "alarm");
    guint64 rate = require_int (daemon, status, retention, "write_rate_bytes_s");

    polls++;
    stats = free_watch_get (&fixture.watch, FALSE);
    check_cameras (daemon, status, TRUE);
    /* dvrd's write rate is the fastest fall of free space in a second
     * over the last ten (dvr-retention.h): what this test measures too,
     * every 10 ms.  Its target and floor are 4 s of that rate: a rate
     * twice the real one would have it delete far more than it needs. */
    if (rate > stats.max_fall_1s * 2 + 2 * MIB)
      fail_with (daemon, status, "dvrd's write rate is far above the fastest fall of free space");
    if (g_strcmp0 (alarm, "none") != 0)
      fail_with (daemon, status, "an alarm during normal rotation");
    if (require_boolean (daemon, status, retention, "storage_full"))
      fail_with (daemon, status, "storage_full during normal rotation");
    deleted = require_int (daemon, status, retention, "deleted_segments");
    last_garbage = require_int (daemon, status, retention, "garbage");
    max_rate = MAX (max_rate, rate);
    target = require_int (daemon, status, retention, "target_free_bytes");
    floor_free = require_int (daemon, status, retention, "floor_free_bytes");
    status_min_free = MIN (status_min_free, (guint64) require_int (daemon, status, retention, "free_bytes"));

    event1_step (daemon, status, &ev, stats.fallen);
    if (ev.listed && stats.fallen >= RUN_FACTOR * IMAGE_BYTES)
      break;
    if (g_get_monotonic_time () - start_us > PHASE1_MAX_S * G_USEC_PER_SEC) {
      g_autofree gchar *what = g_strdup_printf ("only %.0f MB written in %d s: the cameras "
          "write too slowly for this test", stats.fallen / 1e6, PHASE1_MAX_S);
      fail_with (daemon, status, what);
    }
    dvr_test_wait_ms (100);
  }
  g_test_message ("phase 1: %.1f s, %u status polls, %.0f MB written, %" G_GUINT64_FORMAT
      " segments deleted, write rate up to %.1f MB/s, target %.1f MB, floor %.1f MB, "
      "garbage at the end %" G_GUINT64_FORMAT,
      (g_get_monotonic_time () - start_us) / 1e6, polls, stats.fallen / 1e6, deleted,
      max_rate / 1e6, target / 1e6, floor_free / 1e6, last_garbage);

  g_assert_cmpuint (deleted, >, 0);
  check_audit_verify (daemon);
  fixture.deleted1 = deleted;

  g_assert_cmpint (dvr_test_daemon_stop (daemon, 10000, NULL), ==, 0);
  check_log_no_enospc (daemon);
  /* An alarm that came and went between two polls is in the log. */
  {
    g_autofree gchar *log = NULL;
    g_assert_true (g_file_get_contents (daemon->log_path, &log, NULL, NULL));
    if (strstr (log, "ALARM") != NULL || strstr (log, "under the watermark") != NULL)
      fail_with (daemon, NULL, "dvrd logged a storage alarm during normal rotation");
  }

  stats = free_watch_get (&fixture.watch, TRUE);
  g_test_message ("phase 1 free space: minimum %.2f MiB (statvfs, %" G_GUINT64_FORMAT
      " samples, %" G_GUINT64_FORMAT " over 50 ms late, at most %.0f ms apart; status said "
      "%.2f MiB), min-free %.2f MiB; fastest fall %.1f MB in a second",
      stats.min_free / (gdouble) MIB, stats.samples, stats.late,
      stats.max_interval_us / 1e3, status_min_free / (gdouble) MIB,
      MIN_FREE_BYTES / (gdouble) MIB, stats.max_fall_1s / 1e6);
  g_assert_cmpint (stats.max_interval_us, <, WATCH_MAX_INTERVAL_US);
  g_assert_cmpuint (stats.min_free, >=, MIN_FREE_BYTES);
  fixture.phase1_done = TRUE;
}

/* ---- Checks on the catalog of a stopped dvrd ---- */

typedef struct {
  GHashTable *paths;     /* path -> DvrAuditEntry (borrowed from entries) */
  GPtrArray *entries;
  guint64 bytes;
  guint deletes;
} AuditDeletes;

static void
audit_deletes_clear (AuditDeletes *d)
{
  g_clear_pointer (&d->paths, g_hash_table_unref);
  g_clear_pointer (&d->entries, g_ptr_array_unref);
}

/* The audit chain verifies; its "delete" rows, with their paths and bytes. */
static void
read_audit (DvrCatalog *catalog, AuditDeletes *out)
{
  g_autoptr (GError) error = NULL;
  guint64 n_rows = 0;
  gint64 first_bad = 0;

  if (!dvr_catalog_verify_audit (catalog, &n_rows, &first_bad, &error))
    g_error ("audit chain: %s (first bad row %" G_GINT64_FORMAT ")", error->message, first_bad);
  g_assert_cmpuint (n_rows, >, 0);
  out->entries = dvr_catalog_list_audit (catalog, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (out->entries->len, ==, n_rows);
  out->paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  out->bytes = 0;
  out->deletes = 0;
  for (guint i = 0; i < out->entries->len; i++) {
    DvrAuditEntry *entry = g_ptr_array_index (out->entries, i);
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonObject *detail;

    if (g_strcmp0 (entry->action, "delete") != 0)
      continue;
    g_assert_true (json_parser_load_from_data (parser, entry->detail, -1, &error));
    g_assert_no_error (error);
    detail = json_node_get_object (json_parser_get_root (parser));
    if (detail == NULL || !json_object_has_member (detail, "path") ||
        !json_object_has_member (detail, "bytes"))
      g_error ("audit row %" G_GINT64_FORMAT ": a delete without path or bytes: %s",
          entry->id, entry->detail);
    g_hash_table_insert (out->paths, g_strdup (json_object_get_string_member (detail, "path")),
        entry);
    out->bytes += json_object_get_int_member (detail, "bytes");
    out->deletes++;
  }
  g_assert_cmpuint (g_hash_table_size (out->paths), ==, out->deletes);
}

static void
collect_mkv (const gchar *root, const gchar *rel, GPtrArray *out)
{
  g_autofree gchar *path = g_build_filename (root, rel, NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child_rel = *rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
    g_autofree gchar *child = g_build_filename (root, child_rel, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      collect_mkv (root, child_rel, out);
    else if (g_str_has_suffix (name, ".mkv"))
      g_ptr_array_add (out, g_steal_pointer (&child_rel));
  }
}

/* Rows and files agree one to one, sizes and hashes included; no garbage
 * is left.  Returns the bytes the rows hold. */
static guint64
check_rows_match_files (DvrCatalog *catalog, AuditDeletes *deletes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments = dvr_catalog_list_segments (catalog, NULL, G_MININT64,
      G_MAXINT64, &error);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) rows = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) garbage = NULL;
  DvrCatalogUsage usage = { 0, };
  guint64 bytes = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, >, 0);
  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (segments, i);
    g_autofree gchar *path = g_build_filename (fixture.storage, s->path, NULL);
    g_autofree gchar *sha = NULL;
    GStatBuf st;

    if (g_stat (path, &st) != 0)
      g_error ("catalog row %s: no such file", s->path);
    g_assert_cmpuint (st.st_size, ==, s->bytes);
    sha = dvr_test_sha256_file (path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (sha, ==, s->sha256);
    /* A deleted segment's row is gone. */
    g_assert_false (g_hash_table_contains (deletes->paths, s->path));
    g_hash_table_add (rows, s->path);
    bytes += s->bytes;
  }
  collect_mkv (fixture.storage, "", files);
  for (guint i = 0; i < files->len; i++)
    if (!g_hash_table_contains (rows, g_ptr_array_index (files, i)))
      g_error ("%s is on the drive without a catalog row", (gchar *) g_ptr_array_index (files, i));
  g_assert_cmpuint (files->len, ==, segments->len);

  g_assert_true (dvr_catalog_get_usage (catalog, &usage, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (usage.garbage, ==, 0);
  g_assert_cmpuint (usage.ring_segments + usage.evidence_segments, ==, segments->len);
  g_assert_cmpuint (usage.ring_bytes + usage.evidence_bytes, ==, bytes);
  garbage = dvr_catalog_list_garbage (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (garbage->len, ==, 0);
  return bytes;
}

/* Every evidence segment of @event_id is there, as catalogued, and
 * decodes to the frames catalogued; the segments cover each camera's
 * window from its start without a hole, and to its end if @to_end (not
 * when the cameras stopped before the event ended). */
static void
check_evidence (DvrCatalog *catalog, gint64 event_id, gboolean to_end, AuditDeletes *deletes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = dvr_catalog_get_event (catalog, event_id, &error);
  g_autoptr (GPtrArray) segments = NULL;
  guint64 frames = 0;

  g_assert_no_error (error);
  g_assert_cmpint (event->end_utc_ns, !=, -1);
  segments = dvr_catalog_list_event_segments (catalog, event_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (event->windows->len, ==, G_N_ELEMENTS (camera_names));
  for (guint w = 0; w < event->windows->len; w++) {
    DvrEventWindow *window = g_ptr_array_index (event->windows, w);
    DvrSegment *first = NULL, *last = NULL;
    guint n = 0;

    g_assert_cmpint (window->to_utc_ns, >, window->from_utc_ns);
    for (guint i = 0; i < segments->len; i++) {
      DvrSegment *s = g_ptr_array_index (segments, i);
      if (g_strcmp0 (s->camera, window->camera) != 0)
        continue;
      /* By start time, one run at a time: no segment missing between. */
      if (last != NULL && last->run_id == s->run_id)
        g_assert_cmpuint (s->seq, ==, last->seq + 1);
      if (first == NULL)
        first = s;
      last = s;
      n++;
    }
    g_assert_nonnull (first);
    g_assert_cmpuint (n, ==, window->n_segments);
    g_assert_cmpint (first->start_utc_ns, <=, window->from_utc_ns);
    if (to_end)
      g_assert_cmpint (last->end_utc_ns, >=, window->to_utc_ns);
  }
  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (segments, i);
    g_autofree gchar *path = g_build_filename (fixture.storage, s->path, NULL);
    g_autofree gchar *sha = dvr_test_sha256_file (path, &error);
    DvrTestDecode d;

    g_assert_no_error (error);
    g_assert_cmpstr (sha, ==, s->sha256);
    g_assert_false (g_hash_table_contains (deletes->paths, s->path));
    if (!dvr_test_decode_file (path, &d, &error))
      g_error ("evidence %s: %s", s->path, error->message);
    g_assert_cmpuint (d.frames, ==, s->frames);
    g_assert_cmpstr (d.codec, ==, "image/jpeg");
    g_assert_cmpstr (s->codec, ==, "jpeg");
    frames += d.frames;
    dvr_test_decode_clear (&d);
  }
  g_test_message ("event %" G_GINT64_FORMAT ": %u evidence segments, %" G_GUINT64_FORMAT
      " frames, all decoded", event_id, segments->len, frames);
}

static void
test_catalog_after_rotation (void)
{
  g_autoptr (DvrCatalog) catalog = NULL;
  AuditDeletes deletes = { 0, };
  guint64 row_bytes;
  guint passed = 0;

  g_assert_true (fixture.phase1_done);
  catalog = open_catalog ();
  read_audit (catalog, &deletes);
  g_assert_cmpuint (deletes.deletes, >=, fixture.deleted1);
  row_bytes = check_rows_match_files (catalog, &deletes);
  g_test_message ("recorded %.0f MB: %.0f MB in %u deleted segments (audit), %.0f MB on the "
      "drive; the image is %.0f MB", (row_bytes + deletes.bytes) / 1e6, deletes.bytes / 1e6,
      deletes.deletes, row_bytes / 1e6, IMAGE_BYTES / 1e6);
  g_assert_cmpuint (row_bytes + deletes.bytes, >, RECORD_FACTOR * IMAGE_BYTES);

  /* Rotation went past the evidence: for each camera, segments recorded
   * after the event's were deleted while the event's stayed. */
  for (guint c = 0; c < G_N_ELEMENTS (camera_names); c++) {
    gint64 max_seq = -1;
    GHashTableIter iter;
    gpointer key;
    for (guint i = 0; i < fixture.event1_segments->len; i++) {
      SegmentRef *ref = g_ptr_array_index (fixture.event1_segments, i);
      g_autofree gchar *camera = NULL;
      gint64 run, seq;
      g_assert_true (parse_segment_path (ref->path, &camera, &run, &seq));
      if (g_str_equal (camera, camera_names[c]) && run == fixture.run1)
        max_seq = MAX (max_seq, seq);
    }
    g_assert_cmpint (max_seq, >=, 0);
    g_hash_table_iter_init (&iter, deletes.paths);
    while (g_hash_table_iter_next (&iter, &key, NULL)) {
      g_autofree gchar *camera = NULL;
      gint64 run, seq;
      g_assert_true (parse_segment_path (key, &camera, &run, &seq));
      if (g_str_equal (camera, camera_names[c]) && run == fixture.run1 && seq > max_seq)
        passed++;
    }
  }
  g_assert_cmpuint (passed, >, 0);

  /* What dvrd named as the event's evidence while recording is what the
   * catalog holds now. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) segments = dvr_catalog_list_event_segments (catalog, fixture.event1, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (segments->len, ==, fixture.event1_segments->len);
    for (guint i = 0; i < segments->len; i++) {
      DvrSegment *s = g_ptr_array_index (segments, i);
      gboolean found = FALSE;
      for (guint j = 0; j < fixture.event1_segments->len; j++) {
        SegmentRef *ref = g_ptr_array_index (fixture.event1_segments, j);
        if (g_str_equal (ref->path, s->path)) {
          g_assert_cmpstr (ref->sha256, ==, s->sha256);
          g_assert_cmpstr (ref->camera, ==, s->camera);
          found = TRUE;
        }
      }
      g_assert_true (found);
    }
  }
  check_evidence (catalog, fixture.event1, TRUE, &deletes);
  audit_deletes_clear (&deletes);
}

/* ---- Phase 2: evidence fills the drive ---- */

static JsonObject *
open_storage_full_gap (JsonObject *camera)
{
  JsonArray *gaps = json_object_get_array_member (camera, "gaps");
  for (guint i = 0; gaps != NULL && i < json_array_get_length (gaps); i++) {
    JsonObject *gap = json_array_get_object_element (gaps, i);
    const gchar *reason = json_object_get_string_member_with_default (gap, "reason", "");
    gboolean open = !json_object_has_member (gap, "end") || json_object_get_null_member (gap, "end");
    if (open && strstr (reason, "storage full") != NULL)
      return gap;
  }
  return NULL;
}

static gboolean
all_stopped_for_storage (JsonObject *status, gpointer user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (camera_names); i++) {
    JsonObject *camera = dvr_test_status_camera (status, camera_names[i]);
    if (camera == NULL || g_strcmp0 (json_object_get_string_member_with_default (camera,
        "state", ""), "stopped") != 0 || open_storage_full_gap (camera) == NULL)
      return FALSE;
  }
  return TRUE;
}

static void
test_evidence_fills_drive (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (JsonObject) first = NULL;
  g_autoptr (JsonObject) full = NULL;
  g_autoptr (JsonObject) stopped = NULL;
  g_autoptr (GString) alarms = g_string_new (NULL);
  g_autofree gchar *last_alarm = NULL;
  FreeWatchStats stats;
  gint64 start_us, evidence_full_us = 0;
  guint64 deleted = 0, free_at_evidence_full = 0, free_at_full = 0;

  g_assert_true (fixture.phase1_done);
  free_watch_get (&fixture.watch, TRUE);
  daemon = dvr_test_daemon_start (fixture.folder, fixture.config, &error);
  g_assert_no_error (error);
  first = dvr_test_daemon_wait (daemon, 10000, all_recording, NULL);
  if (first == NULL)
    fail_with (daemon, NULL, "the cameras did not start recording within 10 s");
  fixture.run2 = require_int (daemon, first, first, "run");
  g_assert_cmpint (fixture.run2, >, fixture.run1);
  /* The pre-event window then lies within this run's recording. */
  dvr_test_wait_ms ((PRE_EVENT_S + 1) * 1000);
  {
    g_autoptr (JsonObject) reply = control (daemon,
        "{\"cmd\":\"event-start\",\"reason\":\"retention-disk-test phase 2\"}");
    JsonObject *event = require_object (daemon, reply, reply, "event");
    g_assert_false (require_boolean (daemon, reply, reply, "extended"));
    fixture.event2 = require_int (daemon, reply, event, "id");
    g_assert_cmpint (fixture.event2, >, fixture.event1);
  }

  /* Everything recorded from now on is evidence: dvrd deletes the ring
   * to make room, then raises evidence-full, then stops the cameras. */
  start_us = g_get_monotonic_time ();
  while (TRUE) {
    g_autoptr (JsonObject) status = status_now (daemon);
    JsonObject *retention = require_object (daemon, status, status, "retention");
    const gchar *alarm = require_string (daemon, status, retention, "alarm");
    guint64 free_bytes = require_int (daemon, status, retention, "free_bytes");
    gint64 now = g_get_monotonic_time ();

    check_cameras (daemon, status, FALSE);
    deleted = require_int (daemon, status, retention, "deleted_segments");
    if (g_strcmp0 (alarm, last_alarm) != 0) {
      g_string_append_printf (alarms, "%s%s at %.1f s (free %.1f MiB, ring %" G_GINT64_FORMAT
          " segments)", alarms->len ? ", " : "", alarm, (now - start_us) / 1e6,
          free_bytes / (gdouble) MIB, require_int (daemon, status, retention, "ring_segments"));
      g_free (last_alarm);
      last_alarm = g_strdup (alarm);
    }
    /* "low" would mean free space under the watermark with ring segments
     * still there to delete; "guard" a sweep cut short. */
    if (!g_str_equal (alarm, "none") && !g_str_equal (alarm, "evidence-full"))
      fail_with (daemon, status, "an alarm other than evidence-full while evidence fills the drive");
    if (g_str_equal (alarm, "evidence-full") && evidence_full_us == 0) {
      evidence_full_us = now;
      free_at_evidence_full = free_bytes;
      if (require_int (daemon, status, retention, "ring_segments") != 0)
        fail_with (daemon, status, "evidence-full while ring segments are left");
    }
    if (require_boolean (daemon, status, retention, "storage_full")) {
      if (!g_str_equal (alarm, "evidence-full"))
        fail_with (daemon, status, "storage_full without the evidence-full alarm");
      free_at_full = free_bytes;
      full = g_steal_pointer (&status);
      break;
    }
    if (now - start_us > PHASE2_MAX_S * G_USEC_PER_SEC)
      fail_with (daemon, status, "the drive did not fill with evidence in time");
    dvr_test_wait_ms (100);
  }
  g_test_message ("phase 2: alarms %s; storage full after %.1f s at %.1f MiB free; "
      "%" G_GUINT64_FORMAT " ring segments deleted", alarms->str,
      (g_get_monotonic_time () - start_us) / 1e6, free_at_full / (gdouble) MIB, deleted);
  g_assert_cmpint (evidence_full_us, !=, 0);
  g_assert_cmpuint (deleted, >, 0);
  g_assert_cmpuint (free_at_evidence_full, <, MIN_FREE_BYTES);

  /* The cameras stop, each with an open gap "storage full", and stay so. */
  stopped = dvr_test_daemon_wait (daemon, 5000, all_stopped_for_storage, NULL);
  if (stopped == NULL)
    fail_with (daemon, full, "the cameras did not stop with a \"storage full\" gap within 5 s");
  {
    FreeWatchStats before = free_watch_get (&fixture.watch, FALSE);
    g_autoptr (JsonObject) later = NULL;
    JsonObject *retention;

    dvr_test_wait_ms (3000);
    g_assert_true (daemon_alive (daemon));
    later = status_now (daemon);
    retention = require_object (daemon, later, later, "retention");
    check_cameras (daemon, later, FALSE);
    if (!all_stopped_for_storage (later, NULL))
      fail_with (daemon, later, "a camera started again with the drive full of evidence");
    g_assert_true (require_boolean (daemon, later, retention, "storage_full"));
    g_assert_cmpstr (require_string (daemon, later, retention, "alarm"), ==, "evidence-full");
    g_assert_cmpint (require_int (daemon, later, retention, "ring_segments"), ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS (camera_names); i++)
      g_assert_cmpint (json_object_get_int_member (dvr_test_status_camera (later, camera_names[i]), "segments"),
          ==, json_object_get_int_member (dvr_test_status_camera (stopped, camera_names[i]), "segments"));
    /* Nothing is written any more. */
    stats = free_watch_get (&fixture.watch, FALSE);
    g_assert_cmpuint (stats.last_free + 2 * MIB, >=, before.last_free);
  }
  check_audit_verify (daemon);

  {
    gint64 elapsed = 0;
    gint status = dvr_test_daemon_stop (daemon, 10000, &elapsed);
    if (status != 0) {
      g_autofree gchar *what = g_strdup_printf ("SIGTERM with the drive full: exit %d", status);
      fail_with (daemon, NULL, what);
    }
    g_assert_cmpint (elapsed, <, 5000);
  }
  check_log_no_enospc (daemon);
  {
    g_autofree gchar *log = NULL;
    g_auto (GStrv) lines = NULL;
    gboolean logged = FALSE;
    g_assert_true (g_file_get_contents (daemon->log_path, &log, NULL, NULL));
    lines = g_strsplit (log, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      logged |= strstr (lines[i], "WARNING") != NULL && strstr (lines[i], "evidence") != NULL;
    /* The operator sees the alarm in the journal too. */
    if (!logged)
      fail_with (daemon, NULL, "no warning about evidence filling the drive in dvrd's log");
  }

  stats = free_watch_get (&fixture.watch, TRUE);
  g_test_message ("phase 2 free space: minimum %.2f MiB (statvfs, %" G_GUINT64_FORMAT
      " samples, %" G_GUINT64_FORMAT " over 50 ms late, at most %.0f ms apart; fastest fall "
      "%.1f MB in a second); dvrd's floor %.2f MiB + 4 s of writing",
      stats.min_free / (gdouble) MIB, stats.samples, stats.late, stats.max_interval_us / 1e3, stats.max_fall_1s / 1e6,
      DVR_RETENTION_RESERVE_BYTES / (gdouble) MIB);
  g_assert_cmpint (stats.max_interval_us, <, WATCH_MAX_INTERVAL_US);
  /* The floor keeps 4 s of writing above the reserve and dvrd looks about
   * once a second: the reserve itself is never touched. */
  g_assert_cmpuint (stats.min_free, >=, DVR_RETENTION_RESERVE_BYTES);
  fixture.phase2_done = TRUE;
}

static void
test_catalog_after_evidence_full (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) ring = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (DvrEvent) event = NULL;
  AuditDeletes deletes = { 0, };
  guint run2_deletes = 0;

  g_assert_true (fixture.phase2_done);
  catalog = open_catalog ();
  read_audit (catalog, &deletes);
  check_rows_match_files (catalog, &deletes);
  /* Phase 2 deleted the ring (check_evidence: none of the evidence). */
  g_assert_cmpuint (deletes.deletes, >, fixture.deleted1);
  run2_deletes = deletes.deletes - fixture.deleted1;
  g_test_message ("%u segments deleted in phase 2", run2_deletes);

  /* The ring is empty: all that is left is evidence. */
  ring = dvr_catalog_list_ring_segments (catalog, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ring->len, ==, 0);

  /* Each camera's stop is a gap "storage full", closed when dvrd stopped. */
  gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_assert_no_error (error);
  for (guint c = 0; c < G_N_ELEMENTS (camera_names); c++) {
    guint n = 0;
    for (guint i = 0; i < gaps->len; i++) {
      DvrGap *gap = g_ptr_array_index (gaps, i);
      if (gap->run_id != fixture.run2 || g_strcmp0 (gap->camera, camera_names[c]) != 0)
        continue;
      g_assert_nonnull (strstr (gap->reason, "storage full"));
      g_assert_cmpint (gap->end_utc_ns, >, gap->start_utc_ns);
      n++;
    }
    g_assert_cmpuint (n, ==, 1);
  }

  event = dvr_catalog_get_event (catalog, fixture.event2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (event->stop_reason, ==, "recorder stopped");
  check_evidence (catalog, fixture.event2, FALSE, &deletes);
  /* Phase 1's evidence went through all of it untouched. */
  check_evidence (catalog, fixture.event1, TRUE, &deletes);
  audit_deletes_clear (&deletes);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *clip = NULL;
  int status;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (dvr_test_under_wrapper ()) {
    /* The checks hold a write rate (12.6 MB/s) against the free-space
     * floor, which dvrd derives from 4 s of that rate; under valgrind it
     * writes a small fraction of it, and its events are wall-clock
     * windows (see event-record-test). */
    g_printerr ("retention-disk-test: skipped: dvrd under a wrapper (DVRD_WRAPPER) cannot "
        "keep up the write rate the disk budget is checked at\n");
    return DVR_TEST_SKIP;
  }

  fixture.mount = dvr_test_loop_mount_new (IMAGE_BYTES, &error);
  if (fixture.mount == NULL) {
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)) {
      g_printerr ("retention-disk-test: skipped: %s\n", error->message);
      return DVR_TEST_SKIP;
    }
    g_printerr ("retention-disk-test: %s\n", error->message);
    return 1;
  }
  fixture.storage = g_strdup (fixture.mount->mount_point);
  /* In the mount's folder (not on the drive): the guardian removes it
   * however the test ends. */
  fixture.folder = g_build_filename (fixture.mount->folder, "run", NULL);
  g_assert_cmpint (g_mkdir (fixture.folder, 0700), ==, 0);
  clip = g_build_filename (fixture.folder, "noise.mkv", NULL);
  dvr_test_make_mjpeg_clip (clip, CLIP_WIDTH, CLIP_HEIGHT, CLIP_FPS, CLIP_QUALITY,
      CLIP_UNIQUE, CLIP_SECONDS);
  fixture.config = build_config (clip);
  free_watch_start (&fixture.watch, fixture.storage);

  g_test_add_func ("/retention-disk/rotation", test_rotation);
  g_test_add_func ("/retention-disk/catalog-after-rotation", test_catalog_after_rotation);
  g_test_add_func ("/retention-disk/evidence-fills-drive", test_evidence_fills_drive);
  g_test_add_func ("/retention-disk/catalog-after-evidence-full", test_catalog_after_evidence_full);
  status = g_test_run ();

  free_watch_stop (&fixture.watch);
  g_clear_pointer (&fixture.event1_segments, g_ptr_array_unref);
  dvr_test_rmtree (fixture.folder);
  g_free (fixture.folder);
  g_free (fixture.storage);
  g_free (fixture.config);
  if (!dvr_test_loop_mount_free (g_steal_pointer (&fixture.mount)))
    status = 1;
  return status;
}
