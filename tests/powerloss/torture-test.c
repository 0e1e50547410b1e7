/* Torture: dvrd killed with SIGKILL (mode "kill") or its disk cut by a
 * simulated power loss (mode "power", storage on dvr-powerfs) at random
 * moments, round after round, with 4 fake V4L2 cameras (tests/v4l2-fake,
 * each stamping its frame number as a barcode and keeping the last one
 * delivered in a counter file on tmpfs: the independent frame counter).
 *
 * Segments are 2 s and the disk budget small (a loop-mounted ext4 with a
 * ballast file keeping free space just above [retention] min-free), so
 * rotations and retention sweeps are frequent; events are started and
 * stopped over the control socket.  Each round picks a moment kind at
 * random (seeded PRNG): just after a segment rotation, just after an
 * event-start, just after an event-stop, during a retention sweep (its log
 * line), or any time; then a random delay; then the kill.
 *
 * After each kill, with no dvrd running (the disk as a power-on finds it):
 *   - PRAGMA integrity_check is ok and the audit chain verifies;
 *   - every catalogued segment is on disk with its size and SHA-256 and
 *     decodes fully with the catalogued frame count (each decoded once,
 *     cached by path and size);
 *   - every segment file has a row, but the killed run's (the orphans),
 *     or waits in the garbage table;
 *   - no name is ever used again once gone, and no file's bytes change once
 *     seen: every gone file has a "delete" audit row with its path (and
 *     the SHA-256 seen, if it was catalogued) or a "quarantine" row.
 * After the next start (recovery done):
 *   - every orphan is catalogued 'recovered' with the bytes seen, or was
 *     empty and deleted with an audit row, or is quarantined with one; the
 *     log's summary line counts the recovered ones; when an event ran at
 *     the kill, each recovered segment is evidence of it;
 *   - loss per camera: frames the camera delivered before the kill
 *     (counter file; for a power loss, as read right after the crash) that
 *     are in no recording, from the barcodes of every decoded frame: at
 *     most 1 s (kill) or 2 s (power) after the last recorded frame; frames
 *     missing at the start or in the middle of a run are reported, and a
 *     gap in the middle fails unless a segment of that camera and run was
 *     deleted before the test could see it.
 * A last start recovers the last kill, is stopped cleanly, and then every
 * file must have its row.
 *
 * A loss over the bound is printed on its round's line and fails the test
 * at the end (the remaining rounds still measure); every other check fails
 * at once.
 *
 * Environment: DVR_TORTURE_ROUNDS (default 8 kill, 5 power: CI),
 * DVR_TORTURE_SEED (default: the time), DVR_TORTURE_KEYFRAME_INTERVAL
 * (frames; default dvrd's, half a second), DVRD, DVR_V4L2_FAKE_SHIM,
 * DVR_POWERFS (power).  Exits 77 without root, loop devices, mknod, FUSE
 * (power), or under valgrind (DVRD_WRAPPER), where timing bounds mean
 * nothing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dvr-catalog.h"
#include "dvr-control.h"
#include "dvr-storage.h"
#include "dvr-test-barcode.h"
#include "dvr-test-powerfs.h"
#include "dvr-test-util.h"

#define N_CAMERAS 4
#define WIDTH 320
#define HEIGHT 240
#define FPS 10
#define BITRATE_KBPS 200
#define MIN_FREE (G_GUINT64_CONSTANT (32) * 1024 * 1024)
#define IMAGE_BYTES (G_GUINT64_CONSTANT (768) * 1024 * 1024)
#define MIB (G_GUINT64_CONSTANT (1024) * 1024)
#define WAIT_MS 30000

typedef enum { MODE_KILL, MODE_POWER } Mode;

typedef enum {
  MOMENT_ROTATION,
  MOMENT_EVENT_START,
  MOMENT_EVENT_STOP,
  MOMENT_SWEEP,
  MOMENT_ANY,
  N_MOMENTS
} Moment;

static const gchar *const moment_names[N_MOMENTS] = {
  "rotation", "event-start", "event-stop", "sweep", "any time"
};

/* A segment file as first seen with no dvrd running; its bytes never change. */
typedef struct {
  gchar *relpath;
  gint camera;
  gint64 run;
  guint64 size;
  gchar *sha256;
  gboolean catalogued;   /* had a row when seen (or later) */
  gboolean gone;
  gboolean decoded;
  gboolean decodes;      /* decoded without an error */
  guint64 frames;
  GArray *numbers;       /* gint64 barcode of each decoded frame, -1 unread */
} SeenFile;

/* One kill and what is known of it. */
typedef struct {
  guint round;
  Moment moment;
  gint64 run;
  gint64 first[N_CAMERAS];   /* number of the run's first frame */
  gint64 last[N_CAMERAS];    /* last frame delivered before the kill */
  GPtrArray *orphans;        /* SeenFile (borrowed) without a row after the kill */
  GPtrArray *catalogued;     /* SeenFile of the run with a row after the kill */
  gint64 event_id;           /* the event running (or in its post-event) at the kill */
} Kill;

static struct {
  Mode mode;
  guint rounds;
  guint32 seed;
  GRand *rand;
  gchar *folder;
  gchar *shm;
  gchar *nodes[N_CAMERAS];
  gchar *counters[N_CAMERAS];
  gchar *cameras_file;
  gchar *shim;
  DvrTestLoopMount *loop;
  DvrTestPowerfs *powerfs;
  gchar *storage;
  gchar *catalog_path;
  gchar *ballast;
  gchar *config;
  DvrTestDaemon *daemon;
  GHashTable *files;          /* relpath -> SeenFile */
  GHashTable *audit_deleted;  /* relpath -> sha256 ("" unknown) of "delete" rows */
  GHashTable *audit_quarantined; /* relpath */
  GHashTable *unseen_deletions; /* "camera run" of deleted files never seen */
  gint64 audit_after;
  /* Figures. */
  guint moments[N_MOMENTS];
  guint fallbacks;            /* moments that did not come in time: killed any time */
  guint recovered, empty_removed, quarantined;
  gdouble loss_max, loss_sum;
  guint loss_n;
  guint64 head_missing, middle_missing, unread_frames, decoded_frames;
  guint over_bound;           /* camera losses over the bound */
  gint64 event_id;            /* the last event started */
  guint evidence_checked;     /* recovered segments checked to be evidence */
  guint keyframe_interval;    /* 0: dvrd's default (half a second of frames) */
} fx;

static void teardown (void);

static void
fail (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

static void
fail (const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (fx.daemon != NULL)
    dvr_test_daemon_print_log (fx.daemon);
  g_printerr ("FAIL (mode %s, seed %u): %s\n", fx.mode == MODE_KILL ? "kill" : "power", fx.seed,
      message);
  teardown ();
  g_error ("%s", message);
}

/* ---- emergency cleanup: an assertion or meson's SIGTERM must not leave a
 * FUSE mount behind (the loop mount has its own guardian; dvrd dies with
 * this process) ---- */

static char emergency_mount[4096];
static char emergency_folder[4096], emergency_shm[4096];
static volatile pid_t emergency_powerfs;

static void
emergency_cleanup (int signum)
{
  if (emergency_mount[0] != '\0') {
    pid_t pid = fork ();
    if (pid == 0) {
      execlp ("fusermount3", "fusermount3", "-u", "-z", emergency_mount, (char *) NULL);
      _exit (127);
    }
    if (pid > 0)
      waitpid (pid, NULL, 0);
  }
  if (emergency_powerfs > 0)
    kill (emergency_powerfs, SIGKILL);
  if (emergency_folder[0] != '\0') {
    pid_t pid = fork ();
    if (pid == 0) {
      execlp ("rm", "rm", "-rf", "--one-file-system", emergency_folder,
          emergency_shm[0] != '\0' ? emergency_shm : emergency_folder, (char *) NULL);
      _exit (127);
    }
    if (pid > 0)
      waitpid (pid, NULL, 0);
  }
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
emergency_update (void)
{
  emergency_powerfs = fx.powerfs != NULL ? dvr_test_powerfs_get_pid (fx.powerfs) : 0;
}

/* ---- the fake cameras' frame numbers ---- */

/* The counter file's last delivered number (-1: none); reads until two
 * reads agree, since the shim may be writing it. */
static gint64
read_counter (guint camera)
{
  g_autofree gchar *previous = NULL;

  for (guint attempt = 0; attempt < 100; attempt++) {
    g_autofree gchar *text = NULL;
    gint64 last, time_ns;
    if (!g_file_get_contents (fx.counters[camera], &text, NULL, NULL))
      return -1; /* never streamed */
    if (previous != NULL && g_str_equal (previous, text) &&
        sscanf (text, "last=%" G_GINT64_MODIFIER "d time=%" G_GINT64_MODIFIER "d", &last,
            &time_ns) == 2)
      return last;
    g_free (previous);
    previous = g_steal_pointer (&text);
  }
  fail ("%s does not read as a counter file", fx.counters[camera]);
  return -1;
}

/* ---- decoding ---- */

static void
decode_pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  GstElement *queue = user_data;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (queue, "sink");

  if (g_str_has_prefix (GST_PAD_NAME (pad), "video") && !gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

/* Decodes @file whole and reads every frame's barcode. */
static void
decode_file (SeenFile *file)
{
  g_autofree gchar *path = g_build_filename (fx.storage, file->relpath, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (
      "filesrc name=src ! matroskademux name=demux "
      "queue name=queue ! decodebin ! videoconvert ! video/x-raw,format=GRAY8 ! "
      "appsink name=sink sync=false", &error);
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) demux = NULL;
  g_autoptr (GstElement) queue = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  GstSample *sample;

  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  demux = gst_bin_get_by_name (GST_BIN (pipeline), "demux");
  queue = gst_bin_get_by_name (GST_BIN (pipeline), "queue");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", path, NULL);
  g_signal_connect (demux, "pad-added", G_CALLBACK (decode_pad_added), queue);
  file->numbers = g_array_new (FALSE, FALSE, sizeof (gint64));
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 10 * GST_SECOND)) != NULL) {
    GstStructure *structure = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
    GstBuffer *buf = gst_sample_get_buffer (sample);
    gint width = 0, height = 0;
    GstMapInfo map;
    gint64 number = -1;

    gst_structure_get_int (structure, "width", &width);
    gst_structure_get_int (structure, "height", &height);
    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      if (map.size >= (gsize) GST_ROUND_UP_4 (width) * height)
        number = dvr_test_read_barcode (map.data, 1, GST_ROUND_UP_4 (width), width, height);
      gst_buffer_unmap (buf, &map);
    }
    g_array_append_val (file->numbers, number);
    gst_sample_unref (sample);
  }
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  file->decoded = TRUE;
  file->frames = file->numbers->len;
  file->decodes = message != NULL && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS &&
      file->frames > 0;
  if (message != NULL && GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) gerror = NULL;
    gst_message_parse_error (message, &gerror, NULL);
    g_print ("# %s: decode error after %" G_GUINT64_FORMAT " frames: %s\n", file->relpath,
        file->frames, gerror->message);
  }
  fx.decoded_frames += file->frames;
  for (guint i = 0; i < file->numbers->len; i++)
    if (g_array_index (file->numbers, gint64, i) < 0)
      fx.unread_frames++;
}

/* ---- catalog and disk ---- */

static void
seen_file_free (SeenFile *file)
{
  g_free (file->relpath);
  g_free (file->sha256);
  if (file->numbers != NULL)
    g_array_unref (file->numbers);
  g_free (file);
}

static gint
camera_index (const gchar *relpath)
{
  for (gint i = 0; i < N_CAMERAS; i++) {
    g_autofree gchar *prefix = g_strdup_printf ("cam%d/", i);
    if (g_str_has_prefix (relpath, prefix))
      return i;
  }
  return -1;
}

/* Relative paths of every segment file under ROOT/CAMERA/DAY/. */
static GHashTable *
list_files (void)
{
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint c = 0; c < N_CAMERAS; c++) {
    g_autofree gchar *camera = g_strdup_printf ("cam%u", c);
    g_autofree gchar *camera_path = g_build_filename (fx.storage, camera, NULL);
    g_autoptr (GDir) camera_dir = g_dir_open (camera_path, 0, NULL);
    const gchar *day;

    while (camera_dir != NULL && (day = g_dir_read_name (camera_dir)) != NULL) {
      g_autofree gchar *day_path = g_build_filename (camera_path, day, NULL);
      g_autoptr (GDir) day_dir = g_dir_open (day_path, 0, NULL);
      const gchar *name;

      while (day_dir != NULL && (name = g_dir_read_name (day_dir)) != NULL)
        if (dvr_storage_parse_segment_name (name, NULL, NULL))
          g_hash_table_add (files, g_build_filename (camera, day, name, NULL));
    }
  }
  return files;
}

static DvrCatalog *
open_catalog (void)
{
  g_autoptr (GError) error = NULL;
  DvrCatalog *catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);

  if (catalog == NULL)
    fail ("catalog: %s", error->message);
  return catalog;
}

/* Catalogued segments by path. */
static GHashTable *
list_rows (DvrCatalog *catalog)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = dvr_catalog_list_segments (catalog, NULL, 0, G_MAXINT64, &error);
  GHashTable *rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) dvr_segment_free);

  if (all == NULL)
    fail ("catalog: %s", error->message);
  for (guint i = 0; i < all->len; i++) {
    DvrSegment *s = dvr_segment_copy (g_ptr_array_index (all, i));
    g_hash_table_replace (rows, s->path, s);
  }
  return rows;
}

static GHashTable *
list_garbage (DvrCatalog *catalog)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) paths = dvr_catalog_list_garbage (catalog, &error);
  GHashTable *garbage = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (paths == NULL)
    fail ("catalog: %s", error->message);
  for (guint i = 0; i < paths->len; i++)
    g_hash_table_add (garbage, g_strdup (g_ptr_array_index (paths, i)));
  return garbage;
}

/* Reads the audit rows added since the last call: deleted and quarantined
 * paths. */
static void
refresh_audit (DvrCatalog *catalog)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = dvr_catalog_list_audit (catalog, fx.audit_after, 0, &error);

  if (rows == NULL)
    fail ("audit: %s", error->message);
  for (guint i = 0; i < rows->len; i++) {
    DvrAuditEntry *e = g_ptr_array_index (rows, i);
    gboolean deleted = g_str_equal (e->action, "delete");
    fx.audit_after = e->id;
    if (deleted || g_str_equal (e->action, "quarantine")) {
      g_autoptr (JsonNode) node = json_from_string (e->detail, NULL);
      JsonObject *detail = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ?
          json_node_get_object (node) : NULL;
      const gchar *path = detail != NULL ?
          json_object_get_string_member_with_default (detail, "path", NULL) : NULL;
      const gchar *sha256 = detail != NULL ?
          json_object_get_string_member_with_default (detail, "sha256", "") : "";
      if (path == NULL)
        continue;
      if (deleted) {
        g_hash_table_replace (fx.audit_deleted, g_strdup (path), g_strdup (sha256 ? sha256 : ""));
        if (!g_hash_table_contains (fx.files, path)) {
          gint64 run = 0;
          g_autofree gchar *base = g_path_get_basename (path);
          dvr_storage_parse_segment_name (base, &run, NULL);
          g_hash_table_add (fx.unseen_deletions,
              g_strdup_printf ("%d %" G_GINT64_FORMAT, camera_index (path), run));
        }
      } else
        g_hash_table_add (fx.audit_quarantined, g_strdup (path));
    }
  }
}

static gchar *
integrity_check (void)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gchar *answer = NULL;

  if (sqlite3_open_v2 (fx.catalog_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL) != SQLITE_OK)
    answer = g_strdup_printf ("cannot run: %s", sqlite3_errmsg (db));
  else if (sqlite3_step (stmt) == SQLITE_ROW)
    answer = g_strdup ((const gchar *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return answer;
}

/* With no dvrd running: the checks of the header's first list.  Fills
 * @kill's orphans and catalogued files of the killed run (when @kill). */
static void
check_at_rest (Kill *kill, gboolean all_catalogued)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();
  g_autoptr (GHashTable) rows = list_rows (catalog);
  g_autoptr (GHashTable) garbage = list_garbage (catalog);
  g_autoptr (GHashTable) files = list_files ();
  g_autofree gchar *integrity = integrity_check ();
  g_autoptr (GError) error = NULL;
  guint64 n_audit = 0;
  gint64 bad = 0;
  GHashTableIter iter;
  gpointer key, value;

  if (g_strcmp0 (integrity, "ok") != 0)
    fail ("PRAGMA integrity_check: %s", integrity);
  if (!dvr_catalog_verify_audit (catalog, &n_audit, &bad, &error))
    fail ("audit chain: %s (row %" G_GINT64_FORMAT ")", error->message, bad);
  refresh_audit (catalog);

  /* Files: a name once gone never comes back; bytes never change. */
  g_hash_table_iter_init (&iter, files);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    const gchar *relpath = key;
    g_autofree gchar *path = g_build_filename (fx.storage, relpath, NULL);
    g_autofree gchar *sha256 = dvr_test_sha256_file (path, &error);
    SeenFile *file = g_hash_table_lookup (fx.files, relpath);
    DvrSegment *row = g_hash_table_lookup (rows, relpath);
    struct stat st;

    if (sha256 == NULL || g_stat (path, &st) < 0)
      fail ("%s: %s", relpath, error != NULL ? error->message : g_strerror (errno));
    if (file != NULL && file->gone)
      fail ("%s: the name is used again after its file was deleted", relpath);
    if (file != NULL && (file->size != (guint64) st.st_size || !g_str_equal (file->sha256, sha256)))
      fail ("%s changed: %" G_GUINT64_FORMAT " bytes sha256 %s, now %" G_GUINT64_FORMAT " %s",
          relpath, file->size, file->sha256, (guint64) st.st_size, sha256);
    if (file == NULL) {
      gint64 run = 0;
      g_autofree gchar *base = g_path_get_basename (relpath);
      file = g_new0 (SeenFile, 1);
      file->relpath = g_strdup (relpath);
      file->camera = camera_index (relpath);
      dvr_storage_parse_segment_name (base, &run, NULL);
      file->run = run;
      file->size = st.st_size;
      file->sha256 = g_steal_pointer (&sha256);
      g_hash_table_insert (fx.files, file->relpath, file);
    }
    if (row != NULL) {
      /* Catalogued: whole, as catalogued. */
      file->catalogued = TRUE;
      if (row->bytes != file->size || g_strcmp0 (row->sha256, file->sha256) != 0)
        fail ("%s: catalogued %" G_GUINT64_FORMAT " bytes sha256 %s, the file has %"
            G_GUINT64_FORMAT " %s", relpath, row->bytes, row->sha256, file->size, file->sha256);
      if (!file->decoded)
        decode_file (file);
      if (!file->decodes || file->frames != row->frames)
        fail ("%s (%s): decodes %s with %" G_GUINT64_FORMAT " frames, catalogued %"
            G_GUINT64_FORMAT, relpath, dvr_segment_state_to_string (row->state),
            file->decodes ? "fully" : "with an error", file->frames, row->frames);
      if (kill != NULL && file->run == kill->run)
        g_ptr_array_add (kill->catalogued, file);
    } else if (g_hash_table_contains (garbage, relpath)) {
      /* Deleted but not yet unlinked: the garbage steps finish it. */
    } else if (!all_catalogued && kill != NULL && file->run == kill->run) {
      if (!file->decoded && file->size > 0)
        decode_file (file); /* for the loss, once recovery has kept it */
      g_ptr_array_add (kill->orphans, file);
    } else
      fail ("%s is on the storage without a row (run %" G_GINT64_FORMAT ")", relpath, file->run);
  }

  /* Rows: every one has its file. */
  g_hash_table_iter_init (&iter, rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (files, key))
      fail ("%s is catalogued (%s) but not on the storage", (const gchar *) key,
          dvr_segment_state_to_string (((DvrSegment *) value)->state));

  /* Gone files: each deleted or quarantined with an audit row. */
  g_hash_table_iter_init (&iter, fx.files);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    SeenFile *file = value;
    const gchar *deleted_sha256;
    if (file->gone || g_hash_table_contains (files, key))
      continue;
    file->gone = TRUE;
    deleted_sha256 = g_hash_table_lookup (fx.audit_deleted, key);
    if (deleted_sha256 != NULL) {
      if (file->catalogued && !g_str_equal (deleted_sha256, file->sha256))
        fail ("%s was deleted with sha256 %s in its audit row; it had %s", file->relpath,
            deleted_sha256, file->sha256);
    } else if (!g_hash_table_contains (fx.audit_quarantined, key))
      fail ("%s is gone without a delete or quarantine audit row", file->relpath);
  }
}

/* ---- dvrd ---- */

static gboolean
cameras_recording (JsonObject *reply, gpointer user_data)
{
  for (guint i = 0; i < N_CAMERAS; i++) {
    g_autofree gchar *name = g_strdup_printf ("cam%u", i);
    JsonObject *camera = dvr_test_status_camera (reply, name);
    if (camera == NULL ||
        g_strcmp0 (json_object_get_string_member (camera, "state"), "recording") != 0 ||
        json_object_get_int_member (camera, "frames_in") < FPS / 2)
      return FALSE;
  }
  return TRUE;
}

static gint64
start_daemon (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = NULL;
  g_autofree gchar *preload = g_strdup_printf ("LD_PRELOAD=%s", fx.shim);
  g_autofree gchar *cameras = g_strdup_printf ("DVR_V4L2_FAKE_CAMERAS=%s", fx.cameras_file);
  const gchar *environment[] = { preload, cameras, "G_MESSAGES_DEBUG=all", NULL };

  fx.daemon = dvr_test_daemon_start_with_env (fx.folder, fx.config, environment, &error);
  if (fx.daemon == NULL)
    fail ("dvrd did not start: %s", error->message);
  reply = dvr_test_daemon_wait (fx.daemon, WAIT_MS, cameras_recording, NULL);
  if (reply == NULL)
    fail ("the cameras did not start recording");
  return json_object_get_int_member (reply, "run");
}

static JsonObject *
call (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) request = json_from_string (text, &error);
  JsonObject *reply;

  g_assert_no_error (error);
  reply = dvr_control_call (fx.daemon->socket_path, json_node_get_object (request), 10000, &error);
  if (reply == NULL)
    fail ("%s: %s", text, error->message);
  return reply;
}

static gint64
segments_total (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) status = dvr_test_daemon_status (fx.daemon, &error);
  gint64 total = 0;

  if (status == NULL)
    fail ("status: %s", error->message);
  for (guint i = 0; i < N_CAMERAS; i++) {
    g_autofree gchar *name = g_strdup_printf ("cam%u", i);
    JsonObject *camera = dvr_test_status_camera (status, name);
    total += camera != NULL ? json_object_get_int_member (camera, "segments") : 0;
  }
  return total;
}

static guint
count_in_log (const gchar *needle)
{
  g_autofree gchar *log = NULL;
  guint n = 0;

  if (!g_file_get_contents (fx.daemon->log_path, &log, NULL, NULL))
    return 0;
  for (const gchar *p = strstr (log, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* Waits for the moment of @kind (up to @timeout_ms); FALSE if it did not come. */
static gboolean
wait_moment (Moment kind, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  switch (kind) {
    case MOMENT_ROTATION: {
      gint64 before = segments_total ();
      while (g_get_monotonic_time () < deadline) {
        if (segments_total () != before)
          return TRUE;
        g_usleep (10000);
      }
      return FALSE;
    }
    case MOMENT_SWEEP: {
      guint before = count_in_log ("retention: deleting");
      while (g_get_monotonic_time () < deadline) {
        if (count_in_log ("retention: deleting") != before) {
          return TRUE;
        }
        g_usleep (10000);
      }
      return FALSE;
    }
    case MOMENT_EVENT_START:
    case MOMENT_EVENT_STOP: {
      g_autoptr (JsonObject) reply = call ("{\"cmd\":\"event-start\"}");
      JsonObject *event = json_object_get_object_member (reply, "event");
      if (event == NULL)
        fail ("event-start: no event in the reply");
      fx.event_id = json_object_get_int_member (event, "id");
      if (kind == MOMENT_EVENT_START)
        return TRUE;
      g_usleep (g_rand_int_range (fx.rand, 500, 2500) * 1000);
      json_object_unref (call ("{\"cmd\":\"event-stop\"}"));
      return TRUE;
    }
    case MOMENT_ANY:
    case N_MOMENTS:
      break;
  }
  g_usleep (g_rand_int_range (fx.rand, 0, 3000) * 1000);
  return TRUE;
}

/* The disk budget, kept by a ballast file outside the storage on the same
 * filesystem, set before each start.  dvrd sweeps when free space nears
 * min-free; the ring (catalogued segments that are not evidence) is what it
 * deletes, oldest first.  Free space is set to min-free plus SWEEP_MARGIN
 * (a few seconds of recording: sweeps come soon in every run) plus, while
 * the ring is under RING_TARGET (some 20 s of recording), up to RING_STEP
 * more, so that the ring grows a little each round even as the events'
 * evidence (never swept) grows, and a run's segments are still there when
 * the test looks at them after the next kill. */
#define RING_TARGET (MIB + MIB / 4)
#define RING_STEP (MIB / 2)
#define SWEEP_MARGIN (MIB / 4)

static void
set_ballast (void)
{
  struct statvfs st;
  struct stat ballast;
  guint64 free_bytes, ring = 0, target, size;
  int fd;

  if (g_file_test (fx.catalog_path, G_FILE_TEST_EXISTS)) {
    g_autoptr (DvrCatalog) catalog = open_catalog ();
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) segments = dvr_catalog_list_ring_segments (catalog, G_MAXINT, &error);
    if (segments == NULL)
      fail ("catalog: %s", error->message);
    for (guint i = 0; i < segments->len; i++)
      ring += ((DvrSegment *) g_ptr_array_index (segments, i))->bytes;
  }
  target = MIN_FREE + SWEEP_MARGIN + (ring < RING_TARGET ? MIN (RING_TARGET - ring, RING_STEP) : 0);
  g_assert_cmpint (statvfs (fx.loop->mount_point, &st), ==, 0);
  g_assert_cmpint (g_stat (fx.ballast, &ballast), ==, 0);
  free_bytes = (guint64) st.f_bavail * st.f_frsize;
  if (free_bytes > target)
    size = (guint64) ballast.st_size + (free_bytes - target);
  else
    size = (guint64) ballast.st_size > target - free_bytes ?
        (guint64) ballast.st_size - (target - free_bytes) : 0;
  size -= size % 4096;
  g_print ("# ring %.2f MiB, free %.2f MiB, ballast %.1f -> %.1f MiB\n", (gdouble) ring / MIB,
      (gdouble) free_bytes / MIB, (gdouble) ballast.st_size / MIB, (gdouble) size / MIB);
  fd = g_open (fx.ballast, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  if (size < (guint64) ballast.st_size)
    g_assert_cmpint (ftruncate (fd, size), ==, 0);
  else if (size > (guint64) ballast.st_size)
    g_assert_cmpint (posix_fallocate (fd, 0, size), ==, 0);
  g_assert_cmpint (fsync (fd), ==, 0);
  close (fd);
}

/* ---- after the restart that recovered @kill ---- */

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
check_recovered (Kill *kill)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();
  g_autoptr (GHashTable) rows = list_rows (catalog);
  g_autoptr (GPtrArray) credited = g_ptr_array_new ();
  g_autoptr (GHashTable) evidence = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) event_segments = NULL;
  g_autofree gchar *log = NULL;
  g_autofree gchar *summary = NULL;
  guint recovered = 0, empty = 0, quarantined = 0;
  gdouble bound = fx.mode == MODE_KILL ? 1.0 : 2.0;
  GString *line = g_string_new (NULL);

  refresh_audit (catalog);
  if (kill->event_id > 0) {
    g_autoptr (GError) error = NULL;
    event_segments = dvr_catalog_list_event_segments (catalog, kill->event_id, &error);
    if (event_segments == NULL)
      fail ("event %" G_GINT64_FORMAT ": %s", kill->event_id, error->message);
    for (guint i = 0; i < event_segments->len; i++)
      g_hash_table_add (evidence, ((DvrSegment *) g_ptr_array_index (event_segments, i))->path);
  }
  g_ptr_array_extend (credited, kill->catalogued, NULL, NULL);
  for (guint i = 0; i < kill->orphans->len; i++) {
    SeenFile *file = g_ptr_array_index (kill->orphans, i);
    DvrSegment *row = g_hash_table_lookup (rows, file->relpath);
    g_autofree gchar *path = g_build_filename (fx.storage, file->relpath, NULL);

    if (row != NULL) {
      if (row->state != DVR_SEGMENT_STATE_RECOVERED || row->bytes != file->size ||
          g_strcmp0 (row->sha256, file->sha256) != 0)
        fail ("%s, open at kill %u, is catalogued %s with %" G_GUINT64_FORMAT " bytes %s; "
            "it had %" G_GUINT64_FORMAT " %s", file->relpath, kill->round,
            dvr_segment_state_to_string (row->state), row->bytes, row->sha256, file->size,
            file->sha256);
      /* The evidence marking survives the crash: what was open while the
       * event ran is evidence of it. */
      if (kill->event_id > 0) {
        if (!g_hash_table_contains (evidence, file->relpath))
          fail ("%s, open at kill %u while event %" G_GINT64_FORMAT " ran, is recovered but "
              "not evidence of it", file->relpath, kill->round, kill->event_id);
        fx.evidence_checked++;
      }
      file->catalogued = TRUE;
      recovered++;
      g_ptr_array_add (credited, file);
    } else if (g_file_test (path, G_FILE_TEST_EXISTS)) {
      fail ("%s, open at kill %u, has no row after the restart", file->relpath, kill->round);
    } else if (g_hash_table_contains (fx.audit_quarantined, file->relpath)) {
      quarantined++;
    } else if (g_hash_table_contains (fx.audit_deleted, file->relpath)) {
      if (file->size == 0)
        empty++;
      else {
        /* Recovered, then deleted by a sweep before this check. */
        recovered++;
        g_ptr_array_add (credited, file);
      }
    } else
      fail ("%s, open at kill %u, is gone without an audit row", file->relpath, kill->round);
  }
  g_assert_true (g_file_get_contents (fx.daemon->log_path, &log, NULL, NULL));
  summary = g_strdup_printf ("recovery: %u segment%s recovered (", recovered,
      recovered == 1 ? "" : "s");
  if (recovered > 0 && strstr (log, summary) == NULL)
    fail ("round %u: no \"%s\" in dvrd's log", kill->round + 1, summary);
  fx.recovered += recovered;
  fx.empty_removed += empty;
  fx.quarantined += quarantined;

  g_string_append_printf (line, "kill %u (%s, run %" G_GINT64_FORMAT "): %u recovered, "
      "%u empty removed, %u quarantined; loss", kill->round, moment_names[kill->moment], kill->run,
      recovered, empty, quarantined);
  for (gint c = 0; c < N_CAMERAS; c++) {
    g_autoptr (GArray) numbers = g_array_new (FALSE, FALSE, sizeof (gint64));
    gint64 first = kill->first[c], last = kill->last[c], newest = -1, oldest = -1;
    guint64 middle = 0;
    gdouble loss;

    for (guint i = 0; i < credited->len; i++) {
      SeenFile *file = g_ptr_array_index (credited, i);
      if (file->camera != c || file->numbers == NULL)
        continue;
      for (guint j = 0; j < file->numbers->len; j++) {
        gint64 n = g_array_index (file->numbers, gint64, j);
        if (n >= first && n <= last)
          g_array_append_val (numbers, n);
      }
    }
    g_array_sort (numbers, compare_gint64);
    for (guint j = 0; j < numbers->len; j++) {
      gint64 n = g_array_index (numbers, gint64, j);
      if (j == 0)
        oldest = n;
      else if (n > newest + 1)
        middle += n - newest - 1;
      newest = MAX (newest, n);
    }
    if (last < first)
      continue; /* this camera delivered nothing in the run */
    loss = (gdouble) (last - (newest >= 0 ? newest : first - 1)) / FPS;
    g_string_append_printf (line, " cam%d %.1f s", c, loss);
    if (oldest > first) {
      g_string_append_printf (line, " (%" G_GINT64_FORMAT " missing at the start)",
          oldest - first);
      fx.head_missing += oldest - first;
    }
    if (middle > 0) {
      g_autofree gchar *key = g_strdup_printf ("%d %" G_GINT64_FORMAT, c, kill->run);
      g_string_append_printf (line, " (%" G_GUINT64_FORMAT " missing in the middle)", middle);
      fx.middle_missing += middle;
      if (!g_hash_table_contains (fx.unseen_deletions, key))
        fail ("kill %u: cam%d lost %" G_GUINT64_FORMAT " frames in the middle of run %"
            G_GINT64_FORMAT, kill->round, c, middle, kill->run);
    }
    fx.loss_max = MAX (fx.loss_max, loss);
    fx.loss_sum += loss;
    fx.loss_n++;
    if (loss > bound + 1e-9) {
      /* Counted, and the test fails at the end: the other rounds still
       * measure. */
      fx.over_bound++;
      g_string_append_printf (line, " OVER THE BOUND (frames %" G_GINT64_FORMAT "..%"
          G_GINT64_FORMAT " delivered, the newest recorded %" G_GINT64_FORMAT ")", first, last,
          newest);
    }
  }
  g_print ("%s\n", line->str);
  g_string_free (line, TRUE);
}

static void
kill_free (Kill *kill)
{
  g_ptr_array_unref (kill->orphans);
  g_ptr_array_unref (kill->catalogued);
  g_free (kill);
}

/* ---- the rounds ---- */

/* Starts dvrd for round @round; the caller checks the previous kill, then
 * calls kill_now(). */
static Kill *
run_round (guint round)
{
  Kill *kill = g_new0 (Kill, 1);

  kill->round = round;
  kill->orphans = g_ptr_array_new ();
  kill->catalogued = g_ptr_array_new ();
  for (guint c = 0; c < N_CAMERAS; c++)
    kill->first[c] = read_counter (c) + 1;
  kill->run = start_daemon ();
  return kill;
}

static void
kill_now (Kill *kill)
{
  g_autoptr (GError) error = NULL;
  Moment moment = (Moment) g_rand_int_range (fx.rand, 0, N_MOMENTS);
  guint delay_ms;

  /* Some runs are killed while starting, others after a while. */
  g_usleep (g_rand_int_range (fx.rand, 0, 5000) * 1000);
  /* The first sweep needs the ring to fill first: give it time. */
  if (!wait_moment (moment, moment == MOMENT_SWEEP ? 25000 : 10000)) {
    fx.fallbacks++;
    g_print ("# kill %u: no %s within the wait: killed now\n", kill->round, moment_names[moment]);
  }
  kill->moment = moment;
  if (moment == MOMENT_EVENT_START || moment == MOMENT_EVENT_STOP)
    kill->event_id = fx.event_id;
  fx.moments[moment]++;
  delay_ms = moment == MOMENT_ANY ? 0 : (guint) g_rand_int_range (fx.rand, 0, 400);
  g_usleep (delay_ms * 1000);

  if (fx.mode == MODE_POWER) {
    if (!dvr_test_powerfs_crash (fx.powerfs, &error))
      fail ("%s", error->message);
    for (guint c = 0; c < N_CAMERAS; c++)
      kill->last[c] = read_counter (c);
  }
  g_subprocess_send_signal (fx.daemon->process, SIGKILL);
  g_subprocess_wait (fx.daemon->process, NULL, NULL);
  if (!g_subprocess_get_if_signaled (fx.daemon->process) ||
      g_subprocess_get_term_sig (fx.daemon->process) != SIGKILL)
    fail ("dvrd ended before the kill");
  if (fx.mode == MODE_KILL) {
    for (guint c = 0; c < N_CAMERAS; c++)
      kill->last[c] = read_counter (c);
  } else {
    if (!dvr_test_powerfs_unmount (fx.powerfs, &error) ||
        !dvr_test_powerfs_mount (fx.powerfs, &error))
      fail ("%s", error->message);
    emergency_update ();
  }
}

static gboolean
setup (GError **error)
{
  g_autoptr (GString) c = g_string_new (NULL);
  g_autoptr (GString) cameras = g_string_new (NULL);
  g_autofree gchar *storage_parent = NULL;
  int fd;

  fx.folder = dvr_test_mkdtemp ();
  /* The frame counters live on tmpfs, outside the storage under test. */
  fx.shm = g_strdup ("/dev/shm/dvr-torture-XXXXXX");
  if (g_mkdtemp (fx.shm) == NULL) {
    g_free (fx.shm);
    fx.shm = g_build_filename (fx.folder, "counters", NULL);
    g_assert_cmpint (g_mkdir (fx.shm, 0700), ==, 0);
  }
  g_snprintf (emergency_folder, sizeof emergency_folder, "%s", fx.folder);
  g_snprintf (emergency_shm, sizeof emergency_shm, "%s", fx.shm);
  for (guint i = 0; i < N_CAMERAS; i++) {
    fx.nodes[i] = g_strdup_printf ("%s/video%u", fx.folder, i);
    fx.counters[i] = g_strdup_printf ("%s/cam%u.counter", fx.shm, i);
    if (mknod (fx.nodes[i], S_IFCHR | 0600, makedev (1, 3)) < 0) {
      int e = errno;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "mknod %s: %s (a device node needs CAP_MKNOD)", fx.nodes[i], g_strerror (e));
      return FALSE;
    }
    g_string_append_printf (cameras, "%s formats=YUYV sizes=%ux%u fps=%u counter=%s\n",
        fx.nodes[i], WIDTH, HEIGHT, FPS, fx.counters[i]);
  }
  fx.cameras_file = g_build_filename (fx.folder, "cameras", NULL);
  g_assert_true (g_file_set_contents (fx.cameras_file, cameras->str, -1, NULL));

  fx.loop = dvr_test_loop_mount_new (IMAGE_BYTES, error);
  if (fx.loop == NULL)
    return FALSE;
  fx.ballast = g_build_filename (fx.loop->mount_point, "ballast", NULL);
  fd = g_open (fx.ballast, O_WRONLY | O_CREAT, 0600);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  if (fx.mode == MODE_POWER) {
    g_autofree gchar *backing = g_build_filename (fx.loop->mount_point, "backing", NULL);
    g_autofree gchar *mount_point = g_build_filename (fx.folder, "mnt", NULL);
    g_snprintf (emergency_mount, sizeof emergency_mount, "%s", mount_point);
    fx.powerfs = dvr_test_powerfs_new (backing, mount_point, error);
    if (fx.powerfs == NULL) {
      emergency_mount[0] = '\0';
      return FALSE;
    }
    emergency_update ();
    storage_parent = g_strdup (mount_point);
  } else
    storage_parent = g_strdup (fx.loop->mount_point);
  fx.storage = g_build_filename (storage_parent, "storage", NULL);
  fx.catalog_path = g_build_filename (fx.storage, DVR_STORAGE_CATALOG_NAME, NULL);
  g_assert_cmpint (g_mkdir (fx.storage, 0750), ==, 0);
  if (fx.mode == MODE_POWER) {
    /* The storage folder's name must be durable before the first crash. */
    g_autofree gchar *parent = g_path_get_dirname (fx.storage);
    int dir = g_open (parent, O_RDONLY | O_DIRECTORY, 0);
    g_assert_cmpint (dir, >=, 0);
    g_assert_cmpint (fsync (dir), ==, 0);
    close (dir);
  }

  g_string_append_printf (c,
      "[recorder]\nunit-id = torture\nstorage = %s\nsegment-length = 2\n"
      "restart-backoff-min = 0.5\nrestart-backoff-max = 1\n"
      "[control]\nsocket = %s/control.sock\n"
      "[gps]\ngpsd = none\n"
      "[events]\npre-event = 2\npost-event = 2\n"
      "[retention]\nmin-free = 32M\nmax-sweep = 50%%\n", fx.storage, fx.folder);
  for (guint i = 0; i < N_CAMERAS; i++) {
    g_string_append_printf (c, "[camera cam%u]\nsource = %s\nwidth = %u\nheight = %u\n"
        "framerate = %u/1\nbitrate = %u\n", i, fx.nodes[i], WIDTH, HEIGHT, FPS, BITRATE_KBPS);
    if (fx.keyframe_interval > 0)
      g_string_append_printf (c, "keyframe-interval = %u\n", fx.keyframe_interval);
  }
  fx.config = g_string_free (g_steal_pointer (&c), FALSE);
  return TRUE;
}

static void
teardown (void)
{
  if (fx.daemon != NULL) {
    g_subprocess_force_exit (fx.daemon->process);
    g_subprocess_wait (fx.daemon->process, NULL, NULL);
    g_clear_pointer (&fx.daemon, dvr_test_daemon_free);
  }
  g_clear_pointer (&fx.powerfs, dvr_test_powerfs_free);
  emergency_mount[0] = emergency_folder[0] = emergency_shm[0] = '\0';
  emergency_powerfs = 0;
  if (fx.loop != NULL && !dvr_test_loop_mount_free (g_steal_pointer (&fx.loop)))
    g_printerr ("the loop mount was not cleaned up\n");
  if (fx.shm != NULL)
    dvr_test_rmtree (fx.shm);
  if (fx.folder != NULL)
    dvr_test_rmtree (fx.folder);
  g_clear_pointer (&fx.shm, g_free);
  g_clear_pointer (&fx.folder, g_free);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  const gchar *mode = argc > 1 ? argv[1] : "";
  const gchar *rounds = g_getenv ("DVR_TORTURE_ROUNDS");
  const gchar *seed = g_getenv ("DVR_TORTURE_SEED");
  Kill *previous = NULL;
  gint64 started = g_get_monotonic_time ();

  gst_init (&argc, &argv);
  if (g_str_equal (mode, "kill"))
    fx.mode = MODE_KILL;
  else if (g_str_equal (mode, "power"))
    fx.mode = MODE_POWER;
  else {
    g_printerr ("usage: %s kill|power (rounds: DVR_TORTURE_ROUNDS, seed: DVR_TORTURE_SEED)\n",
        argv[0]);
    return 2;
  }
  if (g_getenv ("DVRD_WRAPPER") != NULL && *g_getenv ("DVRD_WRAPPER") != '\0') {
    g_print ("SKIP: dvrd runs under DVRD_WRAPPER (valgrind?): the loss bounds are about "
        "timing and mean nothing there\n");
    return DVR_TEST_SKIP;
  }
  if (g_getenv ("DVRD") == NULL) {
    g_print ("SKIP: DVRD is not set: this test needs the built dvrd\n");
    return DVR_TEST_SKIP;
  }
  fx.shim = g_strdup (g_getenv ("DVR_V4L2_FAKE_SHIM"));
  if (fx.shim == NULL || !g_file_test (fx.shim, G_FILE_TEST_EXISTS)) {
    g_print ("SKIP: DVR_V4L2_FAKE_SHIM (libdvr-v4l2-fake.so) is not set\n");
    return DVR_TEST_SKIP;
  }
  if (gst_element_factory_find ("v4l2src") == NULL) {
    g_print ("SKIP: the v4l2src element is not installed\n");
    return DVR_TEST_SKIP;
  }
  fx.rounds = rounds != NULL ? (guint) g_ascii_strtoull (rounds, NULL, 10) :
      fx.mode == MODE_KILL ? 8 : 5;
  fx.seed = seed != NULL ? (guint32) g_ascii_strtoull (seed, NULL, 10) :
      (guint32) (g_get_real_time () / 1000);
  fx.rand = g_rand_new_with_seed (fx.seed);
  if (g_getenv ("DVR_TORTURE_KEYFRAME_INTERVAL") != NULL)
    fx.keyframe_interval = (guint) g_ascii_strtoull (g_getenv ("DVR_TORTURE_KEYFRAME_INTERVAL"),
        NULL, 10);
  g_print ("# torture %s: %u rounds, seed %u (DVR_TORTURE_SEED=%u repeats the choices), "
      "keyframe-interval %u\n", mode, fx.rounds, fx.seed, fx.seed,
      fx.keyframe_interval > 0 ? fx.keyframe_interval : (FPS + 1) / 2);
  fx.files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) seen_file_free);
  fx.audit_deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  fx.audit_quarantined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx.unseen_deletions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  signal (SIGABRT, emergency_cleanup);
  signal (SIGTRAP, emergency_cleanup); /* g_error() under G_DEBUG=fatal-criticals */
  signal (SIGTERM, emergency_cleanup);
  signal (SIGINT, emergency_cleanup);

  if (!setup (&error)) {
    gboolean skip = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_print ("%s: %s\n", skip ? "SKIP" : "FAIL", error->message);
    teardown ();
    return skip ? DVR_TEST_SKIP : 1;
  }

  for (guint round = 0; round <= fx.rounds; round++) {
    Kill *kill;
    set_ballast ();
    kill = run_round (round);
    if (previous != NULL) {
      check_recovered (previous);
      g_clear_pointer (&previous, kill_free);
    }
    if (round == fx.rounds) {
      /* The last start: stop cleanly, then everything has its row. */
      gint status = dvr_test_daemon_stop (fx.daemon, 20000, NULL);
      if (status != 0)
        fail ("dvrd did not stop cleanly (%d)", status);
      g_clear_pointer (&fx.daemon, dvr_test_daemon_free);
      if (fx.mode == MODE_POWER && (!dvr_test_powerfs_unmount (fx.powerfs, &error) ||
              !dvr_test_powerfs_mount (fx.powerfs, &error)))
        fail ("%s", error->message);
      emergency_update ();
      check_at_rest (NULL, TRUE);
      kill_free (kill);
      break;
    }
    kill_now (kill);
    g_clear_pointer (&fx.daemon, dvr_test_daemon_free);
    check_at_rest (kill, FALSE);
    previous = kill;
  }

  g_print ("summary: mode %s, seed %u, %u rounds in %.0f s; loss per camera at a %s: max %.1f s, "
      "mean %.2f s (bound %.0f s); %u segments recovered, %u empty removed, %u quarantined; "
      "frames decoded %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " barcodes unread), missing at "
      "a run's start %" G_GUINT64_FORMAT ", in the middle %" G_GUINT64_FORMAT "; moments:",
      mode, fx.seed, fx.rounds, (g_get_monotonic_time () - started) / 1e6,
      fx.mode == MODE_KILL ? "kill" : "power loss", fx.loss_max,
      fx.loss_n > 0 ? fx.loss_sum / fx.loss_n : 0.0, fx.mode == MODE_KILL ? 1.0 : 2.0,
      fx.recovered, fx.empty_removed, fx.quarantined, fx.decoded_frames, fx.unread_frames,
      fx.head_missing, fx.middle_missing);
  for (guint i = 0; i < N_MOMENTS; i++)
    g_print (" %s %u%s", moment_names[i], fx.moments[i], i + 1 < N_MOMENTS ? "," : "");
  g_print (" (%u of them killed at once: their moment did not come in time); %u files "
      "deleted with an audit row; %u recovered segments checked to be evidence of the event "
      "running at the kill\n", fx.fallbacks, g_hash_table_size (fx.audit_deleted),
      fx.evidence_checked);
  teardown ();
  if (fx.over_bound > 0) {
    g_print ("FAIL: %u camera losses over the %.0f s bound (lines with OVER THE BOUND)\n",
        fx.over_bound, fx.mode == MODE_KILL ? 1.0 : 2.0);
    return 1;
  }
  return 0;
}
