/* Integration: the real v4l2src captures from the fake V4L2 cameras
 * (libdvr-v4l2-fake.so, preloaded by meson):
 *   - the single camera of DVR_V4L2_FAKE_DEVICE delivers 60 YUY2 frames at
 *     30 fps whose contents change;
 *   - two cameras of one DVR_V4L2_FAKE_CAMERAS file, captured at once,
 *     deliver exactly the frames of their frame files (made by
 *     $DVR_FAKE_FRAMES, looped), MJPEG and H.264, with keyframe flags,
 *     timestamps and rates as set; the H.264 decodes; NODE.log counts
 *     what each stream delivered;
 *   - unplugging one camera stops it and not the other, and the replugged
 *     node is a fresh camera;
 *   - controls live in NODE.controls, shared by fds and processes, and a
 *     deleted file is a camera back at its defaults;
 *   - a wrong camera line or a missing frame file fails the open with
 *     EINVAL and a message naming the line;
 *   - every YUYV frame carries its number as a barcode that reads back
 *     from the raw frame and after H.264 encoding and decoding, and a
 *     damaged barcode does not read; with counter=FILE the numbers go on
 *     from FILE's at each stream, and FILE holds the last one delivered
 *     and when.
 * Exits 77 when a device node cannot be made (mknod needs CAP_MKNOD) or
 * v4l2src is not installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>

#include "dvr-test-barcode.h"

#define N_FRAMES 60
#define WIDTH 320
#define HEIGHT 240
#define FPS 30

/* Frame files: 320x240; the H.264 one a whole second (an IDR at frame 0
 * only), the MJPEG one shorter than a capture, so both loop. */
#define FILE_FPS 30
#define FILE_H264_FRAMES 30
#define FILE_MJPG_FRAMES 20
#define N_COMPRESSED 45

static gchar *folder;
static gchar *device;

static int
make_node (const gchar *path)
{
  /* Same major/minor as /dev/null: a real char device that always polls ready. */
  return mknod (path, S_IFCHR | 0600, makedev (1, 3)) < 0 ? errno : 0;
}

static void
remove_tree (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      remove_tree (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

/* A fresh folder for one test's nodes and files. */
static gchar *
make_test_folder (const gchar *name)
{
  gchar *path = g_build_filename (folder, name, NULL);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  return path;
}

static gchar *
make_test_node (const gchar *dir, const gchar *name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  g_assert_cmpint (make_node (path), ==, 0);
  return path;
}

/* Rewrites the DVR_V4L2_FAKE_CAMERAS file (set once, in main(): setenv is
 * not safe once GStreamer has threads); the shim reads it at each open. */
static gchar *
use_cameras_file (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  gchar *path = g_build_filename (folder, "cameras", NULL);

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  return path;
}

/* The frame file for "mjpg" or "h264", made once by $DVR_FAKE_FRAMES;
 * NULL (the test skipped) when that is not set. */
static const gchar *
frame_file (const gchar *format)
{
  static gchar *paths[2];
  gboolean h264 = g_strcmp0 (format, "h264") == 0;
  const gchar *tool = g_getenv ("DVR_FAKE_FRAMES");
  g_autofree gchar *fps = g_strdup_printf ("%d", FILE_FPS);
  g_autofree gchar *n = g_strdup_printf ("%d", h264 ? FILE_H264_FRAMES : FILE_MJPG_FRAMES);
  g_autofree gchar *size = g_strdup_printf ("%dx%d", WIDTH, HEIGHT);
  g_autofree gchar *err = NULL;
  g_autoptr (GError) error = NULL;
  gint status;

  if (paths[h264] != NULL)
    return paths[h264];
  if (tool == NULL) {
    g_test_skip ("DVR_FAKE_FRAMES (the dvr-fake-frames tool) is not set");
    return NULL;
  }
  paths[h264] = g_strdup_printf ("%s/frames.%s", folder, format);
  const gchar *argv[] = { tool, format, size, fps, n, paths[h264], NULL };
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
      NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s %s: %s\n%s", tool, format, error->message, err);
  return paths[h264];
}

/* The payloads of a frame file, as GBytes. */
static GPtrArray *
load_frames (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize size, offset = 0;
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  g_assert_no_error (error);
  while (offset < size) {
    const guint8 *p = (const guint8 *) contents + offset;
    guint32 length;
    g_assert_cmpuint (size - offset, >=, 4);
    length = p[0] | p[1] << 8 | p[2] << 16 | (guint32) p[3] << 24;
    g_assert_cmpuint (length, >, 0);
    g_assert_cmpuint (length, <=, size - offset - 4);
    g_ptr_array_add (frames, g_bytes_new (p + 4, length));
    offset += 4 + length;
  }
  return frames;
}

static gboolean
h264_has_idr (GBytes *frame)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  for (gsize i = 0; i + 3 < size; i++)
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 && (data[i + 3] & 0x1f) == 5)
      return TRUE;
  return FALSE;
}

/* The last line of NODE.log. */
static gchar *
last_log_line (const gchar *node)
{
  g_autofree gchar *path = g_strconcat (node, ".log", NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  guint n;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  g_strchomp (text);
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 0);
  return g_strdup (lines[n - 1]);
}

static void
check_log (const gchar *node, const gchar *format, guint width, guint height, guint delivered)
{
  g_autofree gchar *line = last_log_line (node);
  g_autofree gchar *expected = g_strdup_printf ("stream %s %ux%u delivered=%u first_sequence=0",
      format, width, height, delivered);

  g_assert_cmpstr (line, ==, expected);
}

/* ---- capturing several cameras at once ---- */

typedef struct {
  GBytes *data;
  gboolean delta;
  GstClockTime pts;
} Frame;

static void
frame_free (Frame *frame)
{
  g_bytes_unref (frame->data);
  g_free (frame);
}

typedef struct {
  const gchar *node;
  guint fps;
  guint unplug_after;     /* unlink the node after this many frames; 0 = never */
  GstElement *pipeline;
  GstElement *sink;
  GstBus *bus;
  GPtrArray *frames;      /* of Frame */
  gint decoded;           /* frames out of avdec_h264, when decoding */
  gint decoded_width, decoded_height;
  gchar *error;           /* the pipeline's error, if it failed */
  gboolean done;
} Capture;

static GstPadProbeReturn
count_decoded (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Capture *capture = user_data;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  if (caps != NULL) {
    GstStructure *structure = gst_caps_get_structure (caps, 0);
    gst_structure_get_int (structure, "width", &capture->decoded_width);
    gst_structure_get_int (structure, "height", &capture->decoded_height);
  }
  g_atomic_int_inc (&capture->decoded);
  return GST_PAD_PROBE_OK;
}

/* v4l2src on @node for @n_frames with @caps into an appsink; with @decode,
 * a second branch decodes the H.264 and counts the frames. */
static void
capture_init (Capture *capture, const gchar *node, const gchar *caps, guint fps, guint n_frames,
              gboolean decode)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = g_strdup_printf (
      "v4l2src device=%s num-buffers=%u ! %s,framerate=%u/1 ! tee name=t "
      "t. ! queue ! appsink name=sink sync=false enable-last-sample=false %s",
      node, n_frames, caps, fps,
      decode ? "t. ! queue ! h264parse ! avdec_h264 ! fakesink name=decoded sync=false" : "");

  memset (capture, 0, sizeof *capture);
  capture->node = node;
  capture->fps = fps;
  capture->pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  capture->sink = gst_bin_get_by_name (GST_BIN (capture->pipeline), "sink");
  capture->bus = gst_element_get_bus (capture->pipeline);
  capture->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) frame_free);
  if (decode) {
    g_autoptr (GstElement) decoded = gst_bin_get_by_name (GST_BIN (capture->pipeline), "decoded");
    g_autoptr (GstPad) pad = gst_element_get_static_pad (decoded, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_decoded, capture, NULL);
  }
}

static void
capture_clear (Capture *capture)
{
  gst_element_set_state (capture->pipeline, GST_STATE_NULL);
  gst_clear_object (&capture->sink);
  gst_clear_object (&capture->bus);
  gst_clear_object (&capture->pipeline);
  g_clear_pointer (&capture->frames, g_ptr_array_unref);
  g_clear_pointer (&capture->error, g_free);
}

/* Takes what the appsink holds; FALSE when nothing came within @timeout. */
static gboolean
capture_pull (Capture *capture, GstClockTime timeout)
{
  g_autoptr (GstSample) sample = gst_app_sink_try_pull_sample (GST_APP_SINK (capture->sink),
      timeout);
  GstBuffer *buf;
  GstMapInfo map;
  Frame *frame;

  if (sample == NULL)
    return FALSE;
  buf = gst_sample_get_buffer (sample);
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  /* A copy: holding v4l2src's buffers would starve its pool. */
  frame = g_new0 (Frame, 1);
  frame->data = g_bytes_new (map.data, map.size);
  frame->delta = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  frame->pts = GST_BUFFER_PTS (buf);
  gst_buffer_unmap (buf, &map);
  g_ptr_array_add (capture->frames, frame);
  if (capture->unplug_after > 0 && capture->frames->len == capture->unplug_after)
    g_assert_cmpint (g_unlink (capture->node), ==, 0);
  return TRUE;
}

/* Runs every capture at once until each has reached EOS or failed, then
 * stops them all.  NODE.log has the stream once capture_clear() has
 * dropped the pipeline: appsink keeps the last buffer until then, and
 * v4l2src's pool stops streaming when it has all its buffers back. */
static void
capture_run (Capture *captures, guint n_captures)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (guint i = 0; i < n_captures; i++)
    g_assert_cmpint (gst_element_set_state (captures[i].pipeline, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
  for (;;) {
    gboolean all_done = TRUE;
    for (guint i = 0; i < n_captures; i++) {
      Capture *capture = &captures[i];
      g_autoptr (GstMessage) message = NULL;
      if (capture->done)
        continue;
      all_done = FALSE;
      if (capture_pull (capture, 20 * GST_MSECOND))
        continue;
      if (gst_app_sink_is_eos (GST_APP_SINK (capture->sink))) {
        /* The decoding branch may still be busy: wait for the whole pipeline. */
        message = gst_bus_timed_pop_filtered (capture->bus, 5 * GST_SECOND,
            GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
        g_assert_nonnull (message);
      } else
        message = gst_bus_pop_filtered (capture->bus, GST_MESSAGE_ERROR);
      if (message == NULL)
        continue;
      if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
        g_autoptr (GError) error = NULL;
        g_autofree gchar *debug = NULL;
        gst_message_parse_error (message, &error, &debug);
        capture->error = g_strdup_printf ("%s (%s)", error->message, debug);
        g_test_message ("%s: %s", capture->node, capture->error);
        /* What was pushed before the error is still queued. */
        while (capture_pull (capture, 0))
          ;
      }
      capture->done = TRUE;
    }
    if (all_done)
      break;
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
  }
  for (guint i = 0; i < n_captures; i++)
    gst_element_set_state (captures[i].pipeline, GST_STATE_NULL);
}

/* Frame i of @capture is file frame i mod N, byte for byte, and frames are
 * 1/fps apart. */
static void
check_frames (const Capture *capture, GPtrArray *file_frames, gboolean h264)
{
  for (guint i = 0; i < capture->frames->len; i++) {
    const Frame *frame = g_ptr_array_index (capture->frames, i);
    GBytes *expected = g_ptr_array_index (file_frames, i % file_frames->len);
    if (!g_bytes_equal (frame->data, expected))
      g_error ("%s: frame %u is not file frame %u (%" G_GSIZE_FORMAT " bytes, expected %"
          G_GSIZE_FORMAT ")", capture->node, i, i % file_frames->len,
          g_bytes_get_size (frame->data), g_bytes_get_size (expected));
    /* v4l2src makes V4L2_BUF_FLAG_KEYFRAME the absence of DELTA_UNIT. */
    g_assert_cmpint (frame->delta, ==, h264 && !h264_has_idr (expected));
    g_assert_true (GST_CLOCK_TIME_IS_VALID (frame->pts));
    if (i > 0) {
      const Frame *previous = g_ptr_array_index (capture->frames, i - 1);
      GstClockTimeDiff gap = GST_CLOCK_DIFF (previous->pts, frame->pts);
      g_assert_cmpint (ABS (gap - (GstClockTimeDiff) (GST_SECOND / capture->fps)), <=,
          10 * GST_MSECOND);
    }
  }
}

/* ---- the tests ---- */

static void
test_capture (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = g_strdup_printf (
      "v4l2src device=%s num-buffers=%d ! "
      "video/x-raw,format=YUY2,width=%d,height=%d,framerate=%d/1 ! "
      "appsink name=sink sync=false enable-last-sample=false max-buffers=%d", device, N_FRAMES, WIDTH, HEIGHT,
      FPS, N_FRAMES);
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GBytes) previous = NULL;
  GstClockTime previous_pts = GST_CLOCK_TIME_NONE;
  guint n_frames = 0;

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  for (;;) {
    /* A generous timeout: a hang fails the test instead of the meson timeout. */
    g_autoptr (GstSample) sample =
        gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 5 * GST_SECOND);
    GstBuffer *buf;
    GstStructure *structure;
    GstMapInfo map;
    gint width = 0, height = 0;

    if (sample == NULL)
      break;
    buf = gst_sample_get_buffer (sample);
    structure = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
    g_assert_cmpstr (gst_structure_get_string (structure, "format"), ==, "YUY2");
    g_assert_true (gst_structure_get_int (structure, "width", &width));
    g_assert_true (gst_structure_get_int (structure, "height", &height));
    g_assert_cmpint (width, ==, WIDTH);
    g_assert_cmpint (height, ==, HEIGHT);

    /* Timestamps come from the fake driver's CLOCK_MONOTONIC stamps. */
    g_assert_true (GST_BUFFER_PTS_IS_VALID (buf));
    if (GST_CLOCK_TIME_IS_VALID (previous_pts)) {
      GstClockTimeDiff gap = GST_CLOCK_DIFF (previous_pts, GST_BUFFER_PTS (buf));
      g_assert_cmpint (ABS (gap - (GstClockTimeDiff) (GST_SECOND / FPS)), <=,
          10 * GST_MSECOND);
    }
    previous_pts = GST_BUFFER_PTS (buf);

    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    g_assert_cmpuint (map.size, ==, WIDTH * HEIGHT * 2);
    /* The bar (white luma) is where frame n puts it: n * width/64 pixels
     * in (below the barcode strip); the barcode says n. */
    g_assert_cmpuint (map.data[(HEIGHT / 2) * WIDTH * 2 + 2 * ((n_frames * (WIDTH / 64)) % WIDTH)],
        ==, 235);
    g_assert_cmpint (dvr_test_read_barcode (map.data, 2, WIDTH * 2, WIDTH, HEIGHT), ==, n_frames);
    if (previous != NULL) {
      gsize previous_size;
      const guint8 *previous_data = g_bytes_get_data (previous, &previous_size);
      g_assert_false (previous_size == map.size &&
          memcmp (previous_data, map.data, map.size) == 0);
    }
    g_clear_pointer (&previous, g_bytes_unref);
    previous = g_bytes_new (map.data, map.size);
    gst_buffer_unmap (buf, &map);
    n_frames++;
  }

  message = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) bus_error = NULL;
    g_autofree gchar *debug = NULL;
    gst_message_parse_error (message, &bus_error, &debug);
    g_error ("pipeline error: %s (%s)", bus_error->message, debug);
  }
  g_assert_true (gst_app_sink_is_eos (GST_APP_SINK (sink)));
  g_assert_cmpuint (n_frames, ==, N_FRAMES);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* The stream ends when v4l2src's pool stops, once appsink lets go of
   * the last buffer: with the pipeline (the message holds it too). */
  g_clear_pointer (&message, gst_message_unref);
  gst_clear_object (&sink);
  gst_clear_object (&pipeline);
  check_log (device, "YUYV", WIDTH, HEIGHT, N_FRAMES);
}

/* Two cameras of one file, each with both frame files, captured at once. */
static void
test_compressed (gconstpointer data)
{
  const gchar *format = data;
  gboolean h264 = g_strcmp0 (format, "h264") == 0;
  const gchar *h264_file = frame_file ("h264");
  const gchar *mjpg_file = frame_file ("mjpg");
  g_autofree gchar *dir = NULL;
  g_autofree gchar *front = NULL;
  g_autofree gchar *rear = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *cameras = NULL;
  g_autoptr (GPtrArray) file_frames = NULL;
  Capture captures[2];

  if (h264_file == NULL || mjpg_file == NULL)
    return;
  dir = make_test_folder (format);
  front = make_test_node (dir, "front");
  rear = make_test_node (dir, "rear");
  /* The rear camera offers sizes the frame file is not: it still gets the
   * file's frames, as the shim promises. */
  text = g_strdup_printf (
      "# two cameras, as dvrd would see them\n"
      "\n"
      "%s/front formats=H264,MJPG,YUYV sizes=320x240 fps=30 h264=%s mjpg=%s "
      "card=\"Front Camera\" bus=usb-0000:00:14.0-1\n"
      "%s formats=MJPG,H264 sizes=640x480,320x240 fps=30,15 mjpg=%s h264=%s\n",
      format, h264_file, mjpg_file, rear, mjpg_file, h264_file);
  cameras = use_cameras_file (text);
  file_frames = load_frames (h264 ? h264_file : mjpg_file);

  if (h264) {
    capture_init (&captures[0], front, "video/x-h264,width=320,height=240", 30, N_COMPRESSED,
        TRUE);
    capture_init (&captures[1], rear, "video/x-h264,width=640,height=480", 30, N_COMPRESSED,
        TRUE);
  } else {
    capture_init (&captures[0], front, "image/jpeg,width=320,height=240", 30, N_COMPRESSED,
        FALSE);
    /* S_PARM: the second rate, and the pacing follows it. */
    capture_init (&captures[1], rear, "image/jpeg,width=320,height=240", 15, N_COMPRESSED,
        FALSE);
  }
  capture_run (captures, G_N_ELEMENTS (captures));

  for (guint i = 0; i < G_N_ELEMENTS (captures); i++) {
    Capture *capture = &captures[i];
    g_assert_null (capture->error);
    g_assert_cmpuint (capture->frames->len, ==, N_COMPRESSED);
    check_frames (capture, file_frames, h264);
    if (h264) {
      /* Every access unit decodes, at the frame file's size. */
      g_assert_cmpint (capture->decoded, ==, N_COMPRESSED);
      g_assert_cmpint (capture->decoded_width, ==, WIDTH);
      g_assert_cmpint (capture->decoded_height, ==, HEIGHT);
    }
    capture_clear (capture);
    /* v4l2src stops after num-buffers without another DQBUF, so the device
     * delivered exactly what arrived. */
    check_log (i == 0 ? front : rear, h264 ? "H264" : "MJPG", h264 && i == 1 ? 640 : WIDTH,
        h264 && i == 1 ? 480 : HEIGHT, N_COMPRESSED);
  }
}

/* One of two cameras unplugged: it fails, the other records on; the
 * replugged node is a new camera whose stream starts at frame 0 again. */
static void
test_unplug (void)
{
  const gchar *mjpg_file = frame_file ("mjpg");
  g_autofree gchar *dir = NULL;
  g_autofree gchar *left = NULL;
  g_autofree gchar *right = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *cameras = NULL;
  g_autoptr (GPtrArray) file_frames = NULL;
  Capture captures[2];
  Capture again;
  guint n_left;

  if (mjpg_file == NULL)
    return;
  dir = make_test_folder ("unplug");
  left = make_test_node (dir, "left");
  right = make_test_node (dir, "right");
  text = g_strdup_printf ("%s formats=MJPG mjpg=%s\n%s formats=MJPG mjpg=%s\n", left,
      mjpg_file, right, mjpg_file);
  cameras = use_cameras_file (text);
  file_frames = load_frames (mjpg_file);

  capture_init (&captures[0], left, "image/jpeg", 30, N_COMPRESSED, FALSE);
  captures[0].unplug_after = 10;
  capture_init (&captures[1], right, "image/jpeg", 30, N_COMPRESSED, FALSE);
  capture_run (captures, G_N_ELEMENTS (captures));

  g_assert_nonnull (captures[0].error);
  n_left = captures[0].frames->len;
  g_assert_cmpuint (n_left, >=, 10);
  g_assert_cmpuint (n_left, <, N_COMPRESSED);
  check_frames (&captures[0], file_frames, FALSE);
  g_assert_null (captures[1].error);
  g_assert_cmpuint (captures[1].frames->len, ==, N_COMPRESSED);
  check_frames (&captures[1], file_frames, FALSE);
  capture_clear (&captures[0]);
  capture_clear (&captures[1]);
  /* Every frame DQBUF returned reached the appsink before the error. */
  check_log (left, "MJPG", WIDTH, HEIGHT, n_left);
  check_log (right, "MJPG", WIDTH, HEIGHT, N_COMPRESSED);

  g_assert_cmpint (make_node (left), ==, 0);
  capture_init (&again, left, "image/jpeg", 30, 5, FALSE);
  capture_run (&again, 1);
  g_assert_null (again.error);
  g_assert_cmpuint (again.frames->len, ==, 5);
  check_frames (&again, file_frames, FALSE);
  capture_clear (&again);
  check_log (left, "MJPG", WIDTH, HEIGHT, 5);
}

static int
get_control (int fd, guint id)
{
  struct v4l2_control control = { .id = id };

  g_assert_cmpint (ioctl (fd, VIDIOC_G_CTRL, &control), ==, 0);
  return control.value;
}

/* errno of S_CTRL, 0 when it worked. */
static int
set_control (int fd, guint id, int value)
{
  struct v4l2_control control = { .id = id, .value = value };

  return ioctl (fd, VIDIOC_S_CTRL, &control) == 0 ? 0 : errno;
}

/* Run in a subprocess: another process sets a control on the same node. */
static void
test_controls_other_process (void)
{
  g_autofree gchar *node = g_build_filename (folder, "controls", "video0", NULL);
  int fd;

  if (!g_test_subprocess ())
    return;
  fd = open (node, O_RDWR);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (set_control (fd, V4L2_CID_POWER_LINE_FREQUENCY,
      V4L2_CID_POWER_LINE_FREQUENCY_60HZ), ==, 0);
  close (fd);
}

static void
test_controls (void)
{
  g_autofree gchar *dir = make_test_folder ("controls");
  g_autofree gchar *node = make_test_node (dir, "video0");
  g_autofree gchar *cameras = use_cameras_file ("controls/video0\n");
  g_autofree gchar *state_path = g_strconcat (node, ".controls", NULL);
  g_autofree gchar *state = NULL;
  g_autofree gchar *line = NULL;
  g_autoptr (GError) error = NULL;
  struct v4l2_control unknown = { .id = V4L2_CID_CONTRAST };
  int fd, fresh;

  fd = open (node, O_RDWR);
  g_assert_cmpint (fd, >=, 0);
  /* No state file yet: the defaults. */
  g_assert_false (g_file_test (state_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (get_control (fd, V4L2_CID_BRIGHTNESS), ==, 128);

  g_assert_cmpint (set_control (fd, V4L2_CID_BRIGHTNESS, 200), ==, 0);
  fresh = open (node, O_RDWR);
  g_assert_cmpint (fresh, >=, 0);
  g_assert_cmpint (get_control (fresh, V4L2_CID_BRIGHTNESS), ==, 200);
  g_assert_true (g_file_get_contents (state_path, &state, NULL, &error));
  g_assert_no_error (error);
  line = g_strdup_printf ("%u=200\n", V4L2_CID_BRIGHTNESS);
  g_assert_nonnull (strstr (state, line));

  /* Out of range, a menu index past the end, an unknown control: refused,
   * and nothing changes. */
  g_assert_cmpint (set_control (fd, V4L2_CID_BRIGHTNESS, 256), ==, ERANGE);
  g_assert_cmpint (set_control (fd, V4L2_CID_BRIGHTNESS, -1), ==, ERANGE);
  g_assert_cmpint (set_control (fd, V4L2_CID_POWER_LINE_FREQUENCY, 4), ==, ERANGE);
  g_assert_cmpint (set_control (fd, V4L2_CID_CONTRAST, 1), ==, EINVAL);
  g_assert_cmpint (ioctl (fd, VIDIOC_G_CTRL, &unknown), ==, -1);
  g_assert_cmpint (errno, ==, EINVAL);
  g_assert_cmpint (get_control (fresh, V4L2_CID_BRIGHTNESS), ==, 200);

  /* What another process sets, this one reads, from an fd opened before. */
  g_test_trap_subprocess ("/v4l2-fake/controls/other-process", 10 * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_assert_cmpint (get_control (fd, V4L2_CID_POWER_LINE_FREQUENCY), ==,
      V4L2_CID_POWER_LINE_FREQUENCY_60HZ);
  g_assert_cmpint (get_control (fd, V4L2_CID_BRIGHTNESS), ==, 200);

  /* A camera power-cycled on replug forgets its settings. */
  g_assert_cmpint (g_unlink (state_path), ==, 0);
  g_assert_cmpint (get_control (fd, V4L2_CID_BRIGHTNESS), ==, 128);
  g_assert_cmpint (get_control (fresh, V4L2_CID_POWER_LINE_FREQUENCY), ==,
      V4L2_CID_POWER_LINE_FREQUENCY_50HZ);
  close (fresh);
  close (fd);
}

/* ---- the frame counter ---- */

/* Captures @n_frames of @node as YUYV, encodes them to H.264 at a low bit
 * rate, decodes them and returns the barcode of each decoded frame (-1 for
 * none), or NULL when the pipeline failed. */
static GArray *
capture_numbers (const gchar *node, guint n_frames)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = g_strdup_printf (
      "v4l2src device=%s num-buffers=%u ! video/x-raw,format=YUY2,width=%d,height=%d,"
      "framerate=%d/1 ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast "
      "bitrate=200 key-int-max=30 ! h264parse ! avdec_h264 ! videoconvert ! "
      "video/x-raw,format=GRAY8 ! appsink name=sink sync=false", node, n_frames, WIDTH, HEIGHT,
      FPS);
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (gint64));
  GstSample *sample;

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 5 * GST_SECOND)) != NULL) {
    GstStructure *structure = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
    GstBuffer *buf = gst_sample_get_buffer (sample);
    gint width = 0, height = 0;
    GstMapInfo map;
    gint64 number;
    gsize stride;
    g_assert_true (gst_structure_get_int (structure, "width", &width));
    g_assert_true (gst_structure_get_int (structure, "height", &height));
    stride = GST_ROUND_UP_4 (width); /* GRAY8's default stride */
    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    g_assert_cmpuint (map.size, >=, stride * height);
    number = dvr_test_read_barcode (map.data, 1, stride, width, height);
    g_array_append_val (numbers, number);
    if (numbers->len == 1) {
      /* A damaged barcode does not read: one cell inverted, all black. */
      g_autofree guint8 *copy = g_memdup2 (map.data, map.size);
      guint cell = WIDTH / 16;
      for (guint y = 0; y < cell; y++)
        for (guint x = 5 * cell; x < 6 * cell; x++)
          copy[y * stride + x] = 255 - copy[y * stride + x];
      g_assert_cmpint (dvr_test_read_barcode (copy, 1, stride, WIDTH, HEIGHT), ==, -1);
      memset (copy, 16, map.size);
      g_assert_cmpint (dvr_test_read_barcode (copy, 1, stride, WIDTH, HEIGHT), ==, -1);
      memset (copy, 235, map.size);
      g_assert_cmpint (dvr_test_read_barcode (copy, 1, stride, WIDTH, HEIGHT), ==, -1);
    }
    gst_buffer_unmap (buf, &map);
    gst_sample_unref (sample);
  }
  message = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_array_unref (numbers);
    return NULL;
  }
  return numbers;
}

/* counter=FILE's line: the last number delivered and its time. */
static void
read_counter (const gchar *path, gint64 *last, gint64 *time_ns)
{
  g_autofree gchar *text = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &text, &length, NULL));
  g_assert_cmpuint (length, ==, 52);
  g_assert_cmpint (sscanf (text, "last=%" G_GINT64_MODIFIER "d time=%" G_GINT64_MODIFIER "d", last,
      time_ns), ==, 2);
}

static void
test_counter (void)
{
  g_autofree gchar *dir = make_test_folder ("counter");
  g_autofree gchar *node = make_test_node (dir, "video-counted");
  g_autofree gchar *counter = g_build_filename (dir, "frames.counter", NULL);
  g_autofree gchar *line = g_strdup_printf ("%s fps=%d counter=%s\n", node, FPS, counter);
  g_autofree gchar *cameras = use_cameras_file (line);
  gint64 last = 0, time_ns = 0, before, after;

  /* Two streams: numbers 0..N-1, then N..2N-1, read back through H.264. */
  for (guint stream = 0; stream < 2; stream++) {
    g_autoptr (GArray) numbers = NULL;
    before = g_get_real_time () * 1000;
    numbers = capture_numbers (node, 15);
    after = g_get_real_time () * 1000;
    g_assert_nonnull (numbers);
    g_assert_cmpuint (numbers->len, ==, 15);
    for (guint i = 0; i < numbers->len; i++)
      g_assert_cmpint (g_array_index (numbers, gint64, i), ==, 15 * stream + i);
    read_counter (counter, &last, &time_ns);
    g_assert_cmpint (last, ==, 15 * stream + 14);
    g_assert_cmpint (time_ns, >=, before);
    g_assert_cmpint (time_ns, <=, after);
  }

  /* The file is the source of truth: another value there, another start. */
  g_assert_true (g_file_set_contents (counter,
      "last=00000000000000099999 time=00000000000000000000\n", -1, NULL));
  {
    g_autoptr (GArray) numbers = capture_numbers (node, 3);
    g_assert_nonnull (numbers);
    g_assert_cmpuint (numbers->len, ==, 3);
    for (guint i = 0; i < numbers->len; i++)
      g_assert_cmpint (g_array_index (numbers, gint64, i), ==, 100000 + i);
  }

  /* Not a counter file: STREAMON fails, the pipeline errors. */
  g_assert_true (g_file_set_contents (counter, "last=12\n", -1, NULL));
  g_assert_null (capture_numbers (node, 3));
  g_assert_cmpint (g_unlink (node), ==, 0);
}

/* Run in a subprocess, so the parent can read the shim's messages. */
static void
test_bad_config_open (void)
{
  g_autofree gchar *dir = g_build_filename (folder, "bad-config", NULL);
  const gchar *names[] = { "missing", "unlisted", "unknown", "odd" };

  if (!g_test_subprocess ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree gchar *node = g_build_filename (dir, names[i], NULL);
    g_assert_cmpint (open (node, O_RDWR), ==, -1);
    g_assert_cmpint (errno, ==, EINVAL);
  }
}

static void
test_bad_config (void)
{
  const gchar *names[] = { "missing", "unlisted", "unknown", "odd" };
  g_autofree gchar *dir = make_test_folder ("bad-config");
  g_autofree gchar *cameras = NULL;
  g_autofree gchar *pattern = NULL;
  g_autofree gchar *description = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_free (make_test_node (dir, names[i]));
  /* Relative paths are relative to the file's folder. */
  cameras = use_cameras_file (
      "bad-config/missing formats=H264 h264=bad-config/nothing-here.h264\n"
      "bad-config/unlisted formats=MJPG,YUYV\n"
      "bad-config/unknown formats=YUYV colour=blue\n"
      "bad-config/odd sizes=321x240\n");
  g_test_trap_subprocess ("/v4l2-fake/bad-config/open", 10 * G_USEC_PER_SEC,
      G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* Each message names the file and line, and what is wrong. */
  pattern = g_strdup_printf ("*dvr-v4l2-fake: %s:1: h264=%s/nothing-here.h264: "
      "No such file or directory*", cameras, dir);
  g_test_trap_assert_stderr (pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*dvr-v4l2-fake: %s:2: format MJPG needs mjpg=FRAMEFILE*", cameras);
  g_test_trap_assert_stderr (pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*dvr-v4l2-fake: %s:3: unknown key \"colour\"*", cameras);
  g_test_trap_assert_stderr (pattern);
  g_clear_pointer (&pattern, g_free);
  pattern = g_strdup_printf ("*dvr-v4l2-fake: %s:4: sizes: 321x240: YUYV needs an even width*",
      cameras);
  g_test_trap_assert_stderr (pattern);

  /* And v4l2src cannot open such a camera. */
  description = g_strdup_printf ("v4l2src device=%s/missing ! fakesink", dir);
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_FAILURE);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElementFactory) factory = NULL;
  g_autofree gchar *cameras = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  factory = gst_element_factory_find ("v4l2src");
  if (factory == NULL) {
    g_printerr ("SKIP: the v4l2src element is not installed\n");
    return 77;
  }
  g_test_add_func ("/v4l2-fake/capture", test_capture);
  g_test_add_data_func ("/v4l2-fake/mjpg", "mjpg", test_compressed);
  g_test_add_data_func ("/v4l2-fake/h264", "h264", test_compressed);
  g_test_add_func ("/v4l2-fake/unplug", test_unplug);
  g_test_add_func ("/v4l2-fake/controls", test_controls);
  g_test_add_func ("/v4l2-fake/controls/other-process", test_controls_other_process);
  g_test_add_func ("/v4l2-fake/bad-config", test_bad_config);
  g_test_add_func ("/v4l2-fake/bad-config/open", test_bad_config_open);
  g_test_add_func ("/v4l2-fake/counter", test_counter);

  /* A subprocess works in its parent's folder, with its environment. */
  if (g_test_subprocess ()) {
    folder = g_strdup (g_getenv ("DVR_V4L2_FAKE_TEST_FOLDER"));
    g_assert_nonnull (folder);
    ret = g_test_run ();
    g_free (folder);
    return ret;
  }

  folder = g_dir_make_tmp ("v4l2-fake-test-XXXXXX", &error);
  g_assert_no_error (error);
  device = g_build_filename (folder, "video0", NULL);
  if (make_node (device) != 0) {
    int saved_errno = errno;
    g_printerr ("SKIP: mknod %s: %s (making a device node needs CAP_MKNOD)\n",
        device, g_strerror (saved_errno));
    g_rmdir (folder);
    return saved_errno == EPERM || saved_errno == EACCES ? 77 : 1;
  }
  /* The single camera (video0) and the cameras file's, side by side. */
  g_setenv ("DVR_V4L2_FAKE_DEVICE", device, TRUE);
  g_setenv ("DVR_V4L2_FAKE_SIZE", "320x240", TRUE);
  g_setenv ("DVR_V4L2_FAKE_FPS", "30", TRUE);
  g_free (use_cameras_file ("# each test writes its cameras here\n"));
  cameras = g_build_filename (folder, "cameras", NULL);
  g_setenv ("DVR_V4L2_FAKE_CAMERAS", cameras, TRUE);
  g_setenv ("DVR_V4L2_FAKE_TEST_FOLDER", folder, TRUE);

  ret = g_test_run ();

  remove_tree (folder);
  g_free (folder);
  g_free (device);
  return ret;
}
