/* Integration: dvrd records three test cameras and one replay camera, with a
 * fourth camera whose device is missing, through real GStreamer pipelines
 * into real files and a real SQLite catalog; then a second run on the same
 * storage; then a replay camera whose clip loops where a segment ends.
 * Every check decodes the files.
 *
 * The tests share one recording and run in order.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <gst/gst.h>

#include "dvr-catalog.h"
#include "dvr-storage.h"
#include "dvr-test-util.h"

#include <glib/gstdio.h>
#include "dvr-utils.h"

#define RECORD_SECONDS 25
#define SEGMENT_SECONDS 5

/* The looping replay: a 4 s clip in 2 s segments, so that every loop
 * starts a segment, recorded over two loops. */
#define LOOP_CLIP_SECONDS 4
#define LOOP_SEGMENT_SECONDS 2
#define LOOP_RECORD_SECONDS 10
#define LOOP_FPS 25

typedef struct {
  const gchar *name;
  guint fps;
  gboolean replay;
} CameraSpec;

static const CameraSpec cameras[] = {
  { "front", 30, FALSE },
  { "rear", 25, FALSE },
  { "cabin", 15, FALSE },
  { "replay", 30, TRUE },
};

static struct {
  gchar *folder;
  gchar *storage;
  gchar *config;
  gint exit_status;
  gint64 stop_ms;
  JsonObject *status_mid;   /* status at about a third of the run */
  JsonObject *status_late;  /* status just before SIGTERM */
  gint64 run_id;
} fixture;

static gchar *
build_config (void)
{
  g_autoptr (GString) c = g_string_new (NULL);
  g_autofree gchar *clip = g_build_filename (fixture.folder, "clip.mkv", NULL);

  g_string_append_printf (c,
      "[recorder]\nunit-id = test-car\nstorage = %s\nsegment-length = %d\n"
      "stall-timeout = %u\nrestart-backoff-min = 0.5\nrestart-backoff-max = 2\n"
      "[control]\nsocket = %s/control.sock\n", fixture.storage, SEGMENT_SECONDS,
      dvr_test_timeout_ms (3000) / 1000, fixture.folder);
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    if (cameras[i].replay)
      g_string_append_printf (c, "[camera %s]\nsource = replay:%s\n", cameras[i].name, clip);
    else
      g_string_append_printf (c, "[camera %s]\nsource = test\nwidth = 320\nheight = 240\n"
          "framerate = %u/1\n", cameras[i].name, cameras[i].fps);
  }
  g_string_append (c, "[camera missing]\nsource = /dev/dvr/no-such-camera\nwidth = 320\nheight = 240\n");
  return g_string_free (g_steal_pointer (&c), FALSE);
}

static DvrCatalog *
open_catalog_in (const gchar *storage)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = g_build_filename (storage, DVR_STORAGE_CATALOG_NAME, NULL);
  DvrCatalog *catalog = dvr_catalog_open (path, TRUE, &error);
  g_assert_no_error (error);
  return catalog;
}

static DvrCatalog *
open_catalog (void)
{
  return open_catalog_in (fixture.storage);
}

static GPtrArray *
list_segments (DvrCatalog *catalog, const gchar *camera, gint64 run_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = dvr_catalog_list_segments (catalog, camera, G_MININT64, G_MAXINT64, &error);
  GPtrArray *segments = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_segment_free);
  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++) {
    DvrSegment *s = g_ptr_array_index (all, i);
    if (run_id == 0 || s->run_id == run_id)
      g_ptr_array_add (segments, dvr_segment_copy (s));
  }
  return segments;
}

static void
test_record (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autofree gchar *clip = g_build_filename (fixture.folder, "clip.mkv", NULL);

  g_assert_true (dvr_test_make_clip (clip, 320, 240, 30, 8, &error));
  g_assert_no_error (error);
  fixture.config = build_config ();
  daemon = dvr_test_daemon_start (fixture.folder, fixture.config, &error);
  g_assert_no_error (error);

  /* Under valgrind the cameras record slower than real time: waits for an
   * amount of video scale with the timeouts. */
  dvr_test_wait_ms (dvr_test_timeout_ms (RECORD_SECONDS * 1000 / 3));
  fixture.status_mid = dvr_test_daemon_status (daemon, &error);
  g_assert_no_error (error);
  dvr_test_wait_ms (dvr_test_timeout_ms (RECORD_SECONDS * 1000 * 2 / 3));
  fixture.status_late = dvr_test_daemon_status (daemon, &error);
  g_assert_no_error (error);
  fixture.run_id = json_object_get_int_member (fixture.status_late, "run");
  fixture.exit_status = dvr_test_daemon_stop (daemon, 10000, &fixture.stop_ms);
  if (fixture.exit_status != 0)
    dvr_test_daemon_print_log (daemon);
  g_assert_cmpint (fixture.exit_status, ==, 0);
}

/* SIGTERM: dvrd exits 0 within 5 s (scaled under valgrind, whose leak
 * check alone takes longer) with every camera's last segment finalized
 * (complete, not partial) and catalogued. */
static void
test_sigterm_finalizes (void)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();

  g_assert_cmpint (fixture.exit_status, ==, 0);
  g_assert_cmpint (fixture.stop_ms, <, dvr_test_timeout_ms (5000));
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    g_autoptr (GPtrArray) segments = list_segments (catalog, cameras[i].name, fixture.run_id);
    JsonObject *cam = dvr_test_status_camera (fixture.status_late, cameras[i].name);
    g_assert_nonnull (cam);
    g_assert_cmpstr (json_object_get_string_member (cam, "state"), ==, "recording");
    /* 25 s in 5 s segments, the last one cut by SIGTERM. */
    g_assert_cmpuint (segments->len, >=, RECORD_SECONDS / SEGMENT_SECONDS);
    for (guint j = 0; j < segments->len; j++) {
      DvrSegment *s = g_ptr_array_index (segments, j);
      g_assert_cmpstr (dvr_segment_state_to_string (s->state), ==, "complete");
      g_assert_cmpuint (s->seq, ==, j);
    }
    /* The segment open at SIGTERM ended after the last status we took. */
    {
      DvrSegment *last = g_ptr_array_index (segments, segments->len - 1);
      const gchar *open = json_object_get_string_member (cam, "segment");
      gboolean found = FALSE;
      for (guint j = 0; j < segments->len; j++)
        found |= g_strcmp0 (((DvrSegment *) g_ptr_array_index (segments, j))->path, open) == 0;
      g_assert_true (found);
      g_assert_cmpuint (last->frames, >, 0);
    }
  }
}

/* Every segment of @camera in @run_id decodes fully; the catalog's frame
 * count and SHA-256 match the file; the layout is
 * CAMERA/DAY/CAMERA-STAMPZ-rRUN-SEQ.mkv. */
static void
assert_segments_decode (DvrCatalog *catalog, const gchar *storage, gint64 run_id,
                        const gchar *camera, guint fps)
{
  g_autoptr (GRegex) name_re = g_regex_new (
      "^([a-z]+)/\\d{4}-\\d{2}-\\d{2}/\\1-\\d{8}T\\d{6}\\.\\d{3}Z-r\\d{6}-\\d{6}\\.mkv$", 0, 0, NULL);
  g_autoptr (GPtrArray) segments = list_segments (catalog, camera, run_id);

  for (guint j = 0; j < segments->len; j++) {
    DvrSegment *s = g_ptr_array_index (segments, j);
    g_autofree gchar *path = g_build_filename (storage, s->path, NULL);
    g_autofree gchar *sha = NULL;
    g_autoptr (GError) error = NULL;
    DvrTestDecode d;
    g_autofree gchar *start_day = dvr_utc_format_day (s->start_utc_ns);

    g_assert_true (g_regex_match (name_re, s->path, 0, NULL));
    g_assert_nonnull (strstr (s->path, start_day));
    g_assert_true (dvr_test_decode_file (path, &d, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (d.frames, ==, s->frames);
    g_assert_cmpstr (d.codec, ==, "video/x-h264");
    g_assert_cmpstr (s->codec, ==, "h264");
    sha = dvr_test_sha256_file (path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (sha, ==, s->sha256);
    /* The catalog's UTC span matches the decoded span within a frame. */
    g_assert_cmpint (ABS ((s->end_utc_ns - s->start_utc_ns) - (d.last_end - d.first_pts)), <=,
        DVR_NSEC_PER_SEC / fps + DVR_NSEC_PER_MSEC);
    dvr_test_decode_clear (&d);
  }
}

static void
test_segments_decode (void)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();

  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++)
    assert_segments_decode (catalog, fixture.storage, fixture.run_id, cameras[i].name,
        cameras[i].fps);
}

static GstPadProbeReturn
note_keyframe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GArray *keyframes = user_data;
  gboolean key = !GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info),
      GST_BUFFER_FLAG_DELTA_UNIT);

  g_array_append_val (keyframes, key);
  return GST_PAD_PROBE_OK;
}

/* For each video frame of @path, in order: whether it is a keyframe. */
static GArray *
keyframe_flags (const gchar *path)
{
  g_autofree gchar *description = g_strdup_printf (
      "filesrc location=\"%s\" ! matroskademux name=d d.video_0 ! fakesink name=v sync=false",
      path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  GArray *keyframes = g_array_new (FALSE, FALSE, sizeof (gboolean));

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "v");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, note_keyframe, keyframes, NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  return keyframes;
}

/* The first GOP of a camera we encode is two frames: splitmuxsink hands a
 * GOP to the muxer once the next keyframe is in, so a recording's first
 * frames reach the file after three frames, not after keyframe-interval.
 * The GOPs after it are where the encoder would have put them, every
 * keyframe-interval (half a second of frames by default) from the first
 * frame: the splits do not move (docs/pipeline.md). */
static void
test_first_gop (void)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();

  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    g_autoptr (GPtrArray) segments = NULL;
    g_autoptr (GArray) keyframes = NULL;
    g_autofree gchar *path = NULL;
    guint interval = (cameras[i].fps + 1) / 2;   /* dvrd's default: half a second */
    DvrSegment *first;

    if (cameras[i].replay)
      continue;
    segments = list_segments (catalog, cameras[i].name, fixture.run_id);
    first = g_ptr_array_index (segments, 0);
    g_assert_cmpuint (first->seq, ==, 0);
    path = g_build_filename (fixture.storage, first->path, NULL);
    keyframes = keyframe_flags (path);
    g_assert_cmpuint (keyframes->len, ==, SEGMENT_SECONDS * cameras[i].fps);
    for (guint k = 0; k < interval; k++)
      g_assert_cmpint (g_array_index (keyframes, gboolean, k), ==, (k == 0 || k == 2));
    for (guint k = interval; k < keyframes->len; k += interval)
      g_assert_true (g_array_index (keyframes, gboolean, k));
  }
}

/* Consecutive segments of @camera in @run_id leave no timestamp gap over
 * 1.5 frame intervals, all frames the source produced are in the files (one
 * GOP of slack at the start), and they span at least @min_seconds. */
static void
assert_continuous (DvrCatalog *catalog, const gchar *storage, gint64 run_id,
                   const gchar *camera, guint fps, gint64 min_seconds)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) run_cameras = dvr_catalog_list_run_cameras (catalog, run_id, &error);
  g_autoptr (GPtrArray) segments = list_segments (catalog, camera, run_id);
  gint64 interval = DVR_NSEC_PER_SEC / fps;
  gint64 prev_last = -1, first = -1, last_end = -1;
  guint64 decoded = 0, frames_in = 0;
  gboolean found = FALSE;

  g_assert_no_error (error);
  for (guint j = 0; j < segments->len; j++) {
    DvrSegment *s = g_ptr_array_index (segments, j);
    g_autofree gchar *path = g_build_filename (storage, s->path, NULL);
    DvrTestDecode d;
    g_assert_true (dvr_test_decode_file (path, &d, &error));
    if (prev_last >= 0) {
      g_assert_cmpint (d.first_pts - prev_last, >, 0);
      g_assert_cmpint (d.first_pts - prev_last, <=, interval * 3 / 2);
    } else {
      first = d.first_pts;
    }
    prev_last = d.last_pts;
    last_end = d.last_end;
    decoded += d.frames;
    dvr_test_decode_clear (&d);
  }
  for (guint j = 0; j < run_cameras->len; j++) {
    DvrRunCamera *rc = g_ptr_array_index (run_cameras, j);
    if (g_str_equal (rc->camera, camera)) {
      frames_in = rc->frames_in;
      found = TRUE;
    }
  }
  g_assert_true (found);
  g_test_message ("%s: %" G_GUINT64_FORMAT " frames in, %" G_GUINT64_FORMAT " decoded",
      camera, frames_in, decoded);
  g_assert_cmpuint (decoded, <=, frames_in);
  g_assert_cmpuint (frames_in - decoded, <=, fps); /* one GOP */
  /* Independently of dvrd's counters: the decoded frames fill the decoded
   * time span (no frame missing inside), and the span is the recording's
   * length. */
  g_assert_cmpint (ABS ((gint64) decoded - (last_end - first) / interval), <=, 2);
  g_assert_cmpint ((last_end - first) / DVR_NSEC_PER_SEC, >=, min_seconds);
}

static void
test_continuity_and_frames (void)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();

  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++)
    assert_continuous (catalog, fixture.storage, fixture.run_id, cameras[i].name,
        cameras[i].fps, RECORD_SECONDS - 3);
}

/* The camera whose device is missing waited for it (a stat of the node,
 * no start attempt while it is absent), with its gap in the catalog,
 * while the others recorded without any gap. */
static void
test_missing_camera (void)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_autoptr (GPtrArray) segments = list_segments (catalog, "missing", fixture.run_id);
  JsonObject *mid = dvr_test_status_camera (fixture.status_mid, "missing");
  JsonObject *late = dvr_test_status_camera (fixture.status_late, "missing");
  guint missing_gaps = 0;

  g_assert_no_error (error);
  g_assert_nonnull (mid);
  g_assert_nonnull (late);
  g_assert_cmpuint (segments->len, ==, 0);
  g_assert_nonnull (strstr (json_object_get_string_member (late, "last_error"), "/dev/dvr/no-such-camera"));
  g_assert_cmpstr (json_object_get_string_member (mid, "state"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (late, "state"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (late, "restarts"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (late, "gaps")), ==, 1);

  for (guint i = 0; i < gaps->len; i++) {
    DvrGap *gap = g_ptr_array_index (gaps, i);
    if (gap->run_id != fixture.run_id)
      continue;
    g_assert_cmpstr (gap->camera, ==, "missing");
    g_assert_cmpint (gap->end_utc_ns, >, gap->start_utc_ns);  /* closed at stop */
    g_assert_nonnull (strstr (gap->reason, "missing"));
    missing_gaps++;
  }
  g_assert_cmpuint (missing_gaps, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    JsonObject *cam = dvr_test_status_camera (fixture.status_late, cameras[i].name);
    g_assert_cmpint (json_object_get_int_member (cam, "restarts"), ==, 0);
  }
}

/* The container choice: a segment cut off at any byte (a power loss while
 * it is being written) still decodes, up to the frames before the cut. */
static void
test_cut_segment_plays (void)
{
  g_autoptr (DvrCatalog) catalog = open_catalog ();
  g_autoptr (GPtrArray) segments = list_segments (catalog, "front", fixture.run_id);
  DvrSegment *s = g_ptr_array_index (segments, 0);
  g_autofree gchar *path = g_build_filename (fixture.storage, s->path, NULL);
  g_autofree gchar *cut = g_build_filename (fixture.folder, "cut.mkv", NULL);
  g_autofree gchar *data = NULL;
  gsize len;
  guint64 previous = 0;
  const guint percents[] = { 5, 20, 37, 50, 71, 90, 99 };

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (percents); i++) {
    gsize at = len * percents[i] / 100 + 13;  /* never on a neat boundary */
    g_autoptr (GError) error = NULL;
    DvrTestDecode d;
    g_assert_true (g_file_set_contents (cut, data, at, NULL));
    g_assert_true (dvr_test_decode_file (cut, &d, &error));
    g_assert_no_error (error);
    g_test_message ("cut at %u%%: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " frames",
        percents[i], d.frames, s->frames);
    g_assert_cmpuint (d.frames, >=, previous);
    g_assert_cmpuint (d.frames, <, s->frames);
    /* Keyframes are bigger than the rest, so bytes and frames are not
     * proportional, but a cut late in the file keeps most frames. */
    if (percents[i] >= 20)
      g_assert_cmpuint (d.frames, >, 0);
    if (percents[i] >= 90)
      g_assert_cmpuint (d.frames, >=, s->frames * 7 / 10);
    previous = d.frames;
    dvr_test_decode_clear (&d);
  }
  g_remove (cut);
}

typedef struct {
  gchar *sha256;
  GStatBuf st;
} FileRecord;

static void
file_record_free (FileRecord *r)
{
  g_free (r->sha256);
  g_free (r);
}

static void
collect_files (const gchar *root, const gchar *rel, GHashTable *out)
{
  g_autofree gchar *path = g_build_filename (root, rel, NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child_rel = *rel ? g_build_filename (rel, name, NULL) : g_strdup (name);
    g_autofree gchar *child = g_build_filename (root, child_rel, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR)) {
      collect_files (root, child_rel, out);
    } else if (g_str_has_suffix (name, ".mkv")) {
      FileRecord *r = g_new0 (FileRecord, 1);
      r->sha256 = dvr_test_sha256_file (child, NULL);
      g_stat (child, &r->st);
      g_hash_table_insert (out, g_steal_pointer (&child_rel), r);
    }
  }
}

/* A second run on the same storage overwrites nothing: every earlier file
 * keeps its bytes, inode and catalog row; the new run's files are new. */
static void
test_restart_overwrites_nothing (void)
{
  g_autoptr (GHashTable) before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) file_record_free);
  g_autoptr (GHashTable) after = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) file_record_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) old_segments = NULL;
  g_autoptr (GPtrArray) new_segments = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gint64 run2;
  guint new_files = 0;

  collect_files (fixture.storage, "", before);
  g_assert_cmpuint (g_hash_table_size (before), >, 0);
  daemon = dvr_test_daemon_start (fixture.folder, fixture.config, &error);
  g_assert_no_error (error);
  dvr_test_wait_ms (dvr_test_timeout_ms (4000));
  {
    g_autoptr (JsonObject) status = dvr_test_daemon_status (daemon, &error);
    g_assert_no_error (error);
    run2 = json_object_get_int_member (status, "run");
  }
  g_assert_cmpint (run2, >, fixture.run_id);
  g_assert_cmpint (dvr_test_daemon_stop (daemon, 10000, NULL), ==, 0);

  collect_files (fixture.storage, "", after);
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    FileRecord *old = value;
    FileRecord *now = g_hash_table_lookup (after, key);
    g_assert_nonnull (now);
    g_assert_cmpstr (now->sha256, ==, old->sha256);
    g_assert_cmpuint (now->st.st_ino, ==, old->st.st_ino);
    g_assert_cmpint (now->st.st_mtime, ==, old->st.st_mtime);
  }
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    gint64 run = 0;
    if (g_hash_table_contains (before, key))
      continue;
    g_assert_true (dvr_storage_parse_segment_name (key, &run, NULL));
    g_assert_cmpint (run, ==, run2);
    new_files++;
  }
  g_assert_cmpuint (new_files, >=, G_N_ELEMENTS (cameras));

  catalog = open_catalog ();
  old_segments = list_segments (catalog, NULL, fixture.run_id);
  new_segments = list_segments (catalog, NULL, run2);
  g_assert_cmpuint (old_segments->len + new_segments->len, ==, g_hash_table_size (after));
  for (guint i = 0; i < old_segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (old_segments, i);
    FileRecord *r = g_hash_table_lookup (before, s->path);
    g_assert_nonnull (r);
    g_assert_cmpstr (r->sha256, ==, s->sha256);
  }
}

/* A replay camera records on across its clip's loops when a loop starts a
 * segment (the clip a whole number of segments long, as the demo's is):
 * no stall, no restart, every segment closed, catalogued and decodable,
 * and the frames run on across each loop without a gap.  The recording
 * above cannot show it: its 8 s clip loops inside its 5 s segments.  With
 * the metadata tracks, such a loop once deadlocked the muxer: the JSON
 * track got the loop's segment (plugins/dvr-meta.c). */
static void
test_replay_loop (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autofree gchar *folder = g_build_filename (fixture.folder, "loop", NULL);
  g_autofree gchar *storage = g_build_filename (folder, "storage", NULL);
  g_autofree gchar *clip = g_build_filename (folder, "clip.mkv", NULL);
  g_autofree gchar *config = NULL;
  JsonObject *cam;
  gint64 run_id;
  gint exit_status;

  g_assert_cmpint (g_mkdir_with_parents (storage, 0750), ==, 0);
  g_assert_true (dvr_test_make_clip (clip, 320, 240, LOOP_FPS, LOOP_CLIP_SECONDS, &error));
  g_assert_no_error (error);
  config = g_strdup_printf (
      "[recorder]\nunit-id = test-car\nstorage = %s\nsegment-length = %d\n"
      "stall-timeout = %u\nrestart-backoff-min = 0.5\nrestart-backoff-max = 2\n"
      "[control]\nsocket = %s/control.sock\n"
      "[camera replay]\nsource = replay:%s\n",
      storage, LOOP_SEGMENT_SECONDS, dvr_test_timeout_ms (3000) / 1000, folder, clip);
  daemon = dvr_test_daemon_start (folder, config, &error);
  g_assert_no_error (error);

  dvr_test_wait_ms (dvr_test_timeout_ms (LOOP_RECORD_SECONDS * 1000));
  status = dvr_test_daemon_status (daemon, &error);
  g_assert_no_error (error);
  run_id = json_object_get_int_member (status, "run");
  exit_status = dvr_test_daemon_stop (daemon, 10000, NULL);
  cam = dvr_test_status_camera (status, "replay");
  g_assert_nonnull (cam);
  if (exit_status != 0 || json_object_get_int_member (cam, "restarts") != 0)
    dvr_test_daemon_print_log (daemon);
  g_assert_cmpint (exit_status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (cam, "state"), ==, "recording");
  g_assert_cmpint (json_object_get_int_member (cam, "restarts"), ==, 0);

  catalog = open_catalog_in (storage);
  segments = list_segments (catalog, "replay", run_id);
  /* 10 s in 2 s segments, the last one cut by SIGTERM: two loops. */
  g_assert_cmpuint (segments->len, >=, LOOP_RECORD_SECONDS / LOOP_SEGMENT_SECONDS);
  for (guint j = 0; j < segments->len; j++) {
    DvrSegment *s = g_ptr_array_index (segments, j);
    g_assert_cmpstr (dvr_segment_state_to_string (s->state), ==, "complete");
    g_assert_cmpuint (s->seq, ==, j);
  }
  assert_segments_decode (catalog, storage, run_id, "replay", LOOP_FPS);
  assert_continuous (catalog, storage, run_id, "replay", LOOP_FPS, LOOP_RECORD_SECONDS - 2);
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (gst_element_factory_find ("x264enc") == NULL || gst_element_factory_find ("avdec_h264") == NULL) {
    g_printerr ("SKIP: x264enc or avdec_h264 missing (gstreamer1.0-plugins-ugly, gstreamer1.0-libav)\n");
    return DVR_TEST_SKIP;
  }
  fixture.folder = dvr_test_mkdtemp ();
  fixture.storage = g_build_filename (fixture.folder, "storage", NULL);
  g_mkdir (fixture.storage, 0750);

  g_test_add_func ("/record/run", test_record);
  g_test_add_func ("/record/sigterm-finalizes", test_sigterm_finalizes);
  g_test_add_func ("/record/segments-decode", test_segments_decode);
  g_test_add_func ("/record/continuity-and-frames", test_continuity_and_frames);
  g_test_add_func ("/record/first-gop", test_first_gop);
  g_test_add_func ("/record/missing-camera", test_missing_camera);
  g_test_add_func ("/record/cut-segment-plays", test_cut_segment_plays);
  g_test_add_func ("/record/restart-overwrites-nothing", test_restart_overwrites_nothing);
  g_test_add_func ("/record/replay-loop", test_replay_loop);
  ret = g_test_run ();

  if (ret == 0 && g_getenv ("DVR_TEST_KEEP") == NULL)
    dvr_test_rmtree (fixture.folder);
  else
    g_printerr ("test files kept in %s\n", fixture.folder);
  g_clear_pointer (&fixture.status_mid, json_object_unref);
  g_clear_pointer (&fixture.status_late, json_object_unref);
  g_free (fixture.storage);
  g_free (fixture.folder);
  g_free (fixture.config);
  return ret;
}
