/* Integration: dvrd records fake V4L2 cameras through the real v4l2src
 * (libdvr-v4l2-fake.so, preloaded by meson into this test and so into
 * dvrd), one per way of recording:
 *
 *   h264      H264+MJPG+YUYV offered  -> H.264 passed through
 *   mjpeg     MJPG+YUYV offered       -> MJPEG stored as it came
 *   transcode MJPG only, mjpeg = transcode -> decoded and encoded to H.264
 *   yuyv      YUYV only               -> raw video encoded to H.264
 *   small     YUYV 320x240 only, configured 640x480 -> refused, with what
 *             the camera offers, and retried
 *
 * The compressed cameras deliver real frames from files made by
 * dvr-fake-frames.  Passed-through segments must hold exactly the frames
 * the device delivered (the shim logs how many, per stream): same count,
 * same payload bytes, in order.  Configured controls must be on the device
 * after the start, and again after the camera lost them in an unplug.  The
 * yuyv camera is unplugged (node unlinked: the shim fails DQBUF with ENODEV)
 * and replugged: dvrd notices within 2 s, opens a gap, records again within
 * 3 s of the replug and closes the gap, while h264 and mjpeg lose no frame.
 * Exits 77 when a device node cannot be made (mknod needs CAP_MKNOD) or
 * v4l2src is not installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include "dvr-catalog.h"
#include "dvr-storage.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#define WIDTH 320
#define HEIGHT 240
#define FPS 30
#define FILE_FRAMES 60 /* two seconds, then the camera loops */

static gchar *folder;

static gchar *
node_path (const gchar *name)
{
  return g_strdup_printf ("%s/video-%s", folder, name);
}

static int
make_node (const gchar *name)
{
  g_autofree gchar *path = node_path (name);
  /* Same major/minor as /dev/null: a real char device that always polls ready. */
  if (mknod (path, S_IFCHR | 0600, makedev (1, 3)) < 0)
    return errno;
  return 0;
}

/* ---- frame files and stored samples ---- */

/* The records of a dvr-fake-frames file: [u32 LE length][payload]. */
static GPtrArray *
read_frame_file (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *data = NULL;
  gsize length, offset = 0;
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  g_assert_no_error (error);
  while (offset + 4 <= length) {
    const guint8 *p = (const guint8 *) data + offset;
    guint32 size = p[0] | p[1] << 8 | p[2] << 16 | (guint32) p[3] << 24;
    g_assert_cmpuint (offset + 4 + size, <=, length);
    g_ptr_array_add (frames, g_bytes_new (p + 4, size));
    offset += 4 + size;
  }
  g_assert_cmpuint (offset, ==, length);
  return frames;
}

static void
make_frames (const gchar *format, const gchar *path)
{
  const gchar *tool = g_getenv ("DVR_FAKE_FRAMES");
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autofree gchar *size = g_strdup_printf ("%ux%u", WIDTH, HEIGHT);
  g_autofree gchar *fps = g_strdup_printf ("%u", FPS);
  g_autofree gchar *count = g_strdup_printf ("%u", FILE_FRAMES);
  const gchar *argv[] = { tool, format, size, fps, count, path, NULL };

  g_assert_nonnull (tool);
  if (dvr_test_run (argv, &out, &err) != 0)
    g_error ("%s failed: %s%s", tool, out, err);
}

/* The coded slices (NAL types 1 and 5) of an access unit, in Annex B
 * (@length_size 0) or with big-endian length prefixes: what a camera's
 * H.264 is made of, whatever h264parse does with parameter sets and AUDs. */
static GPtrArray *
h264_slices (const guint8 *data, gsize size, guint length_size)
{
  GPtrArray *slices = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize i = 0;

  while (i < size) {
    gsize start, end;
    if (length_size > 0) {
      guint32 n = 0;
      g_assert_cmpuint (i + length_size, <=, size);
      for (guint k = 0; k < length_size; k++)
        n = n << 8 | data[i + k];
      start = i + length_size;
      end = start + n;
      g_assert_cmpuint (end, <=, size);
      i = end;
    } else {
      /* Find the next start code (00 00 01, possibly after a 00). */
      while (i + 3 <= size && !(data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1))
        i++;
      if (i + 3 > size)
        break;
      start = i + 3;
      end = start;
      while (end + 3 <= size && !(data[end] == 0 && data[end + 1] == 0 &&
                                  (data[end + 2] == 1 || (data[end + 2] == 0 && end + 3 < size &&
                                                          data[end + 3] == 1))))
        end++;
      if (end + 3 > size)
        end = size;
      i = end;
    }
    if (end > start && ((data[start] & 0x1f) == 1 || (data[start] & 0x1f) == 5))
      g_ptr_array_add (slices, g_bytes_new (data + start, end - start));
  }
  return slices;
}

static gboolean
same_slices (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len || a->len == 0)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!g_bytes_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
      return FALSE;
  return TRUE;
}

/* Every stored video sample of a segment, in order, as demuxed. */
static GPtrArray *
read_samples (const gchar *path, guint *length_size)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = g_strdup_printf (
      "filesrc location=\"%s\" ! matroskademux ! appsink name=sink sync=false", path);
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr (GstElement) sink = NULL;
  GPtrArray *samples = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GstSample *sample;

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  *length_size = 0;
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstStructure *s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
    const GValue *codec_data = gst_structure_get_value (s, "codec_data");
    GstMapInfo map;

    if (codec_data != NULL && *length_size == 0) {
      GstMapInfo cmap;
      GstBuffer *cbuf = gst_value_get_buffer (codec_data);
      g_assert_true (gst_buffer_map (cbuf, &cmap, GST_MAP_READ));
      g_assert_cmpuint (cmap.size, >, 4);
      *length_size = (cmap.data[4] & 3) + 1;
      gst_buffer_unmap (cbuf, &cmap);
    }
    g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
    g_ptr_array_add (samples, g_bytes_new (map.data, map.size));
    gst_buffer_unmap (buf, &map);
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return samples;
}

/* ---- what the shim says ---- */

/* Sum of "delivered=N" over NODE.log's streams; @streams gets their count. */
static guint64
delivered_frames (const gchar *name, guint *streams)
{
  g_autofree gchar *node = node_path (name);
  g_autofree gchar *path = g_strconcat (node, ".log", NULL);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint64 total = 0;

  *streams = 0;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const gchar *d = strstr (lines[i], "delivered=");
    if (d == NULL)
      continue;
    total += g_ascii_strtoull (d + strlen ("delivered="), NULL, 10);
    (*streams)++;
  }
  g_test_message ("%s.log:\n%s", node, text);
  return total;
}

/* The value of control @id in NODE.controls ("ID=VALUE" lines), or
 * G_MININT when the file or the line is missing. */
static gint
device_control (const gchar *name, guint32 id)
{
  g_autofree gchar *node = node_path (name);
  g_autofree gchar *path = g_strconcat (node, ".controls", NULL);
  g_autofree gchar *text = NULL;
  g_autofree gchar *key = g_strdup_printf ("%u=", id);
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return G_MININT;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], key))
      return (gint) g_ascii_strtoll (lines[i] + strlen (key), NULL, 10);
  return G_MININT;
}

/* ---- checks on the recording ---- */

static GPtrArray *
list_segments (DvrCatalog *catalog, const gchar *camera)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *segments = dvr_catalog_list_segments (catalog, camera, G_MININT64, G_MAXINT64,
      &error);
  g_assert_no_error (error);
  return segments;
}

/* Every segment decodes, with as many frames as the catalog says; returns
 * the total. */
static guint64
check_decodes (DvrCatalog *catalog, const gchar *camera, const gchar *storage,
               const gchar *codec)
{
  g_autoptr (GPtrArray) segments = list_segments (catalog, camera);
  guint64 total = 0;

  g_assert_cmpuint (segments->len, >=, 2);
  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (segments, i);
    g_autofree gchar *path = g_build_filename (storage, s->path, NULL);
    g_autoptr (GError) error = NULL;
    DvrTestDecode d;

    g_assert_true (dvr_test_decode_file (path, &d, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (d.frames, ==, s->frames);
    g_assert_cmpuint (d.frames, >, 0);
    g_assert_cmpstr (s->codec, ==, codec);
    g_test_message ("%s: %s %" G_GUINT64_FORMAT " frames, %s", camera, s->path, s->frames,
        s->state == DVR_SEGMENT_STATE_COMPLETE ? "complete" : "partial");
    total += d.frames;
    dvr_test_decode_clear (&d);
  }
  g_test_message ("%s: %u segments, %" G_GUINT64_FORMAT " frames, all decode", camera,
      segments->len, total);
  return total;
}

/* A passed-through camera: the segments, in order, hold frame k of the
 * device's stream as their k-th sample, byte for byte (H.264: the same
 * coded slices), and as many frames as the device delivered.  The device
 * may have handed v4l2src one more frame than was recorded: the one it
 * dequeued as the stop's EOS went in, which the pipeline then refuses. */
static void
check_passthrough (DvrCatalog *catalog, const gchar *camera, const gchar *storage,
                   GPtrArray *frames, gboolean h264)
{
  g_autoptr (GPtrArray) segments = list_segments (catalog, camera);
  guint64 k = 0, delivered;
  guint streams;

  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (segments, i);
    g_autofree gchar *path = g_build_filename (storage, s->path, NULL);
    guint length_size;
    g_autoptr (GPtrArray) samples = read_samples (path, &length_size);

    g_assert_cmpint (s->state, ==, DVR_SEGMENT_STATE_COMPLETE);
    g_assert_cmpuint (samples->len, ==, s->frames);
    for (guint j = 0; j < samples->len; j++, k++) {
      GBytes *stored = g_ptr_array_index (samples, j);
      GBytes *sent = g_ptr_array_index (frames, k % frames->len);
      gboolean same;

      if (h264) {
        gsize stored_size, sent_size;
        const guint8 *stored_data = g_bytes_get_data (stored, &stored_size);
        const guint8 *sent_data = g_bytes_get_data (sent, &sent_size);
        g_autoptr (GPtrArray) a = NULL;
        g_autoptr (GPtrArray) b = NULL;
        g_assert_cmpuint (length_size, >, 0);
        a = h264_slices (stored_data, stored_size, length_size);
        b = h264_slices (sent_data, sent_size, 0);
        same = same_slices (a, b);
      } else {
        same = g_bytes_equal (stored, sent);
      }
      if (!same)
        g_error ("%s: sample %u of %s is not frame %" G_GUINT64_FORMAT " of the device's stream",
            camera, j, s->path, k);
    }
  }
  delivered = delivered_frames (camera, &streams);
  g_test_message ("%s: %" G_GUINT64_FORMAT " frames recorded, %" G_GUINT64_FORMAT
      " delivered in %u stream(s)", camera, k, delivered, streams);
  g_assert_cmpuint (streams, ==, 1);
  g_assert_cmpuint (k, >, 0);
  g_assert_cmpuint (k, <=, delivered);
  g_assert_cmpuint (k + 1, >=, delivered);
}

/* ---- status ---- */

static JsonObject *
get_status (DvrTestDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  JsonObject *status = dvr_test_daemon_status (daemon, &error);
  g_assert_no_error (error);
  return status;
}

static const gchar *
camera_string (JsonObject *status, const gchar *camera, const gchar *member)
{
  return json_object_get_string_member_with_default (dvr_test_status_camera (status, camera),
      member, NULL);
}

static gboolean
all_recording (JsonObject *status, gpointer user_data)
{
  const gchar *const *cameras = user_data;
  for (guint i = 0; cameras[i] != NULL; i++)
    if (g_strcmp0 (camera_string (status, cameras[i], "state"), "recording") != 0)
      return FALSE;
  return TRUE;
}

static gboolean
yuyv_recording (JsonObject *status, gpointer user_data)
{
  return (g_strcmp0 (camera_string (status, "yuyv", "state"), "recording") == 0) ==
      GPOINTER_TO_INT (user_data);
}

/* The unplug's gap and error are catalogued just after the state change. */
static gboolean
yuyv_gap_open (JsonObject *status, gpointer user_data)
{
  JsonObject *camera = dvr_test_status_camera (status, "yuyv");
  return json_array_get_length (json_object_get_array_member (camera, "gaps")) > 0 &&
      camera_string (status, "yuyv", "last_error") != NULL;
}

static gboolean
small_refused (JsonObject *status, gpointer user_data)
{
  return camera_string (status, "small", "last_error") != NULL;
}

/* ---- the test ---- */

static void
test_record_formats (void)
{
  const gchar *const recording[] = { "h264", "mjpeg", "transcode", "yuyv", NULL };
  g_autofree gchar *storage = g_build_filename (folder, "storage", NULL);
  g_autofree gchar *h264_file = g_build_filename (folder, "frames.h264", NULL);
  g_autofree gchar *mjpg_file = g_build_filename (folder, "frames.mjpg", NULL);
  g_autofree gchar *cameras_file = g_build_filename (folder, "cameras", NULL);
  g_autofree gchar *cameras_text = NULL;
  g_autofree gchar *config_text = NULL;
  g_autofree gchar *catalog_path = NULL;
  g_autofree gchar *yuyv_node = node_path ("yuyv");
  g_autofree gchar *yuyv_controls = g_strconcat (yuyv_node, ".controls", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (JsonObject) started = NULL;
  g_autoptr (JsonObject) unplugged = NULL;
  g_autoptr (JsonObject) replugged = NULL;
  g_autoptr (JsonObject) status = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (GPtrArray) h264_frames = NULL;
  g_autoptr (GPtrArray) mjpg_frames = NULL;
  gint64 t0, detect_ms, recover_ms;
  guint64 yuyv_recorded, yuyv_delivered;
  guint streams;
  gint exit_status;

  make_frames ("h264", h264_file);
  make_frames ("mjpg", mjpg_file);
  h264_frames = read_frame_file (h264_file);
  mjpg_frames = read_frame_file (mjpg_file);
  g_assert_cmpuint (h264_frames->len, ==, FILE_FRAMES);
  g_assert_cmpuint (mjpg_frames->len, ==, FILE_FRAMES);

  cameras_text = g_strdup_printf (
      "%s/video-h264 formats=H264,MJPG,YUYV sizes=%ux%u fps=%u h264=%s mjpg=%s\n"
      "%s/video-mjpeg formats=MJPG,YUYV sizes=%ux%u fps=%u mjpg=%s\n"
      "%s/video-transcode formats=MJPG sizes=%ux%u fps=%u mjpg=%s\n"
      "%s/video-yuyv formats=YUYV sizes=%ux%u fps=%u\n"
      "%s/video-small formats=YUYV sizes=%ux%u fps=%u\n",
      folder, WIDTH, HEIGHT, FPS, h264_file, mjpg_file,
      folder, WIDTH, HEIGHT, FPS, mjpg_file,
      folder, WIDTH, HEIGHT, FPS, mjpg_file,
      folder, WIDTH, HEIGHT, FPS,
      folder, WIDTH, HEIGHT, FPS);
  g_assert_true (g_file_set_contents (cameras_file, cameras_text, -1, NULL));
  g_setenv ("DVR_V4L2_FAKE_CAMERAS", cameras_file, TRUE);

  g_assert_cmpint (g_mkdir (storage, 0700), ==, 0);
  config_text = g_strdup_printf (
      "[recorder]\nstorage = %s\nsegment-length = 2\nrestart-backoff-min = 0.5\n"
      "restart-backoff-max = 1\nstall-timeout = %u\n[control]\nsocket = %s/control.sock\n"
      "[camera h264]\nsource = %s/video-h264\nwidth = %u\nheight = %u\nframerate = %u\n"
      "power-line-frequency = 60\nbrightness = 77\n"
      "[camera mjpeg]\nsource = %s/video-mjpeg\nwidth = %u\nheight = %u\nframerate = %u\n"
      "brightness = 300\n"
      "[camera transcode]\nsource = %s/video-transcode\nwidth = %u\nheight = %u\n"
      "framerate = %u\nmjpeg = transcode\n"
      "[camera yuyv]\nsource = %s/video-yuyv\nwidth = %u\nheight = %u\nframerate = %u\n"
      "power-line-frequency = 50\nexposure = manual\nwhite-balance = manual\n"
      "[camera small]\nsource = %s/video-small\nwidth = 640\nheight = 480\nframerate = %u\n",
      storage, dvr_test_timeout_ms (2000) / 1000, folder,
      folder, WIDTH, HEIGHT, FPS,
      folder, WIDTH, HEIGHT, FPS,
      folder, WIDTH, HEIGHT, FPS,
      folder, WIDTH, HEIGHT, FPS,
      folder, FPS);
  daemon = dvr_test_daemon_start (folder, config_text, &error);
  g_assert_no_error (error);

  started = dvr_test_daemon_wait (daemon, 10000, all_recording, (gpointer) recording);
  if (started == NULL)
    dvr_test_daemon_print_log (daemon);
  g_assert_nonnull (started);

  /* Each camera records the way its probe chose. */
  g_assert_cmpstr (camera_string (started, "h264", "capture"), ==,
      "H264 320x240@30 passed through");
  g_assert_cmpstr (camera_string (started, "mjpeg", "capture"), ==,
      "MJPG 320x240@30 passed through");
  g_assert_cmpstr (camera_string (started, "transcode", "capture"), ==,
      "MJPG 320x240@30 decoded and encoded to H.264");
  g_assert_cmpstr (camera_string (started, "yuyv", "capture"), ==,
      "YUYV 320x240@30 encoded to H.264");

  /* Controls were set before the first frame. */
  g_assert_cmpint (device_control ("h264", V4L2_CID_POWER_LINE_FREQUENCY), ==,
      V4L2_CID_POWER_LINE_FREQUENCY_60HZ);
  g_assert_cmpint (device_control ("h264", V4L2_CID_BRIGHTNESS), ==, 77);
  g_assert_null (camera_string (started, "h264", "control_error"));
  g_assert_cmpint (device_control ("yuyv", V4L2_CID_POWER_LINE_FREQUENCY), ==,
      V4L2_CID_POWER_LINE_FREQUENCY_50HZ);
  g_assert_cmpint (device_control ("yuyv", V4L2_CID_EXPOSURE_AUTO), ==, V4L2_EXPOSURE_MANUAL);
  g_assert_cmpint (device_control ("yuyv", V4L2_CID_AUTO_WHITE_BALANCE), ==, 0);
  /* A value the camera does not offer is reported; the camera records. */
  g_assert_cmpstr (strchr (camera_string (started, "mjpeg", "control_error"), ' ') + 1, ==,
      "Brightness: 300 is not offered (the camera offers 0..255)");

  /* A camera that cannot give what the file asks is refused with what it
   * offers, and retried (the camera may be swapped for the right one). */
  status = dvr_test_daemon_wait (daemon, 5000, small_refused, NULL);
  g_assert_nonnull (status);
  g_test_message ("small: %s", camera_string (status, "small", "last_error"));
  g_assert_nonnull (strstr (camera_string (status, "small", "last_error"),
      "wanted H.264, MJPEG or raw video at 640x480, 30 fps; the camera offers YUYV 320x240@30"));
  g_assert_cmpstr (camera_string (status, "small", "state"), !=, "recording");
  g_clear_pointer (&status, json_object_unref);

  dvr_test_wait_ms (dvr_test_timeout_ms (3000));

  /* Unplug: dvrd notices within 2 s (scaled) and opens a gap.  The camera
   * forgets its settings, as a camera that loses power does. */
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (g_unlink (yuyv_node), ==, 0);
  g_assert_cmpint (g_unlink (yuyv_controls), ==, 0);
  unplugged = dvr_test_daemon_wait (daemon, 2000, yuyv_recording, GINT_TO_POINTER (FALSE));
  detect_ms = (g_get_monotonic_time () - t0) / 1000;
  if (unplugged == NULL)
    dvr_test_daemon_print_log (daemon);
  g_assert_nonnull (unplugged);
  g_test_message ("unplug detected after %" G_GINT64_FORMAT " ms", detect_ms);
  g_clear_pointer (&unplugged, json_object_unref);
  unplugged = dvr_test_daemon_wait (daemon, 1000, yuyv_gap_open, NULL);
  g_assert_nonnull (unplugged);
  {
    JsonObject *yuyv = dvr_test_status_camera (unplugged, "yuyv");
    JsonArray *status_gaps = json_object_get_array_member (yuyv, "gaps");
    const gchar *last_error = camera_string (unplugged, "yuyv", "last_error");
    g_test_message ("after unplug: state %s, last_error \"%s\"",
        camera_string (unplugged, "yuyv", "state"), last_error);
    g_assert_nonnull (strstr (last_error, "disconnected"));
    g_assert_cmpuint (json_array_get_length (status_gaps), ==, 1);
    g_assert_true (json_object_get_null_member (json_array_get_object_element (status_gaps, 0),
        "end"));
  }

  /* Replug after ~2 s: recording again within 3 s, settings applied again
   * (both scaled under valgrind: dvr_test_daemon_wait() scales its
   * bound). */
  dvr_test_wait_ms (dvr_test_timeout_ms (2000));
  g_assert_cmpint (make_node ("yuyv"), ==, 0);
  t0 = g_get_monotonic_time ();
  replugged = dvr_test_daemon_wait (daemon, 3000, yuyv_recording, GINT_TO_POINTER (TRUE));
  recover_ms = (g_get_monotonic_time () - t0) / 1000;
  if (replugged == NULL)
    dvr_test_daemon_print_log (daemon);
  g_assert_nonnull (replugged);
  g_test_message ("recording again %" G_GINT64_FORMAT " ms after the replug", recover_ms);
  g_assert_cmpint (json_object_get_int_member (dvr_test_status_camera (replugged, "yuyv"),
      "restarts"), >=, 1);
  g_assert_cmpint (device_control ("yuyv", V4L2_CID_POWER_LINE_FREQUENCY), ==,
      V4L2_CID_POWER_LINE_FREQUENCY_50HZ);
  g_assert_cmpint (device_control ("yuyv", V4L2_CID_EXPOSURE_AUTO), ==, V4L2_EXPOSURE_MANUAL);
  for (guint i = 0; recording[i] != NULL; i++)
    g_assert_cmpstr (camera_string (replugged, recording[i], "state"), ==, "recording");
  for (guint i = 0; i < 2; i++)
    g_assert_cmpint (json_object_get_int_member (dvr_test_status_camera (replugged,
        recording[i]), "restarts"), ==, 0);

  dvr_test_wait_ms (dvr_test_timeout_ms (2500));
  status = get_status (daemon);
  g_assert_true (all_recording (status, (gpointer) recording));
  exit_status = dvr_test_daemon_stop (daemon, 10000, NULL);
  if (exit_status != 0)
    dvr_test_daemon_print_log (daemon);
  g_assert_cmpint (exit_status, ==, 0);

  /* The catalog: one closed gap for yuyv spanning the unplug, and small's
   * gap from the start; none for the others.  Everything decodes. */
  catalog_path = g_build_filename (storage, DVR_STORAGE_CATALOG_NAME, NULL);
  catalog = dvr_catalog_open (catalog_path, TRUE, &error);
  g_assert_no_error (error);
  gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_assert_no_error (error);
  {
    guint yuyv_gaps = 0;
    for (guint i = 0; i < gaps->len; i++) {
      DvrGap *gap = g_ptr_array_index (gaps, i);
      g_test_message ("gap %s: %" G_GINT64_FORMAT " ms, reason \"%s\"", gap->camera,
          (gap->end_utc_ns - gap->start_utc_ns) / DVR_NSEC_PER_MSEC, gap->reason);
      g_assert_true (g_str_equal (gap->camera, "yuyv") || g_str_equal (gap->camera, "small"));
      if (g_str_equal (gap->camera, "yuyv")) {
        yuyv_gaps++;
        g_assert_cmpint (gap->end_utc_ns - gap->start_utc_ns, >=, 1500 * DVR_NSEC_PER_MSEC);
      }
    }
    g_assert_cmpuint (yuyv_gaps, ==, 1);
  }
  check_decodes (catalog, "h264", storage, "h264");
  check_decodes (catalog, "mjpeg", storage, "jpeg");
  check_decodes (catalog, "transcode", storage, "h264");
  yuyv_recorded = check_decodes (catalog, "yuyv", storage, "h264");
  check_passthrough (catalog, "h264", storage, h264_frames, TRUE);
  check_passthrough (catalog, "mjpeg", storage, mjpg_frames, FALSE);

  /* The unplugged camera: two streams, and every frame it delivered is
   * recorded (the open segment is closed behind the last frame before the
   * old pipeline goes) but the one refused at the stop, and one more at
   * most should the unplug land between a DQBUF and its push.  Under
   * valgrind the encoder does not drain within the 2 s a stop gives it:
   * dvrd then forces the EOS at the muxer (dvr_pipeline_stop()), and the
   * frames still on their way to it are lost too, the encoder's queue (8)
   * and one in each element after it. */
  yuyv_delivered = delivered_frames ("yuyv", &streams);
  g_test_message ("yuyv: %" G_GUINT64_FORMAT " recorded of %" G_GUINT64_FORMAT " delivered",
      yuyv_recorded, yuyv_delivered);
  g_assert_cmpuint (streams, ==, 2);
  g_assert_cmpuint (yuyv_recorded, <=, yuyv_delivered);
  g_assert_cmpuint (yuyv_recorded + (dvr_test_under_wrapper () ? 2 + 8 + 3 : 2), >=,
      yuyv_delivered);
  {
    g_autoptr (GPtrArray) small = list_segments (catalog, "small");
    g_assert_cmpuint (small->len, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_autoptr (GstElementFactory) factory = NULL;
  const gchar *const nodes[] = { "h264", "mjpeg", "transcode", "yuyv", "small" };
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  factory = gst_element_factory_find ("v4l2src");
  if (factory == NULL) {
    g_printerr ("SKIP: the v4l2src element is not installed\n");
    return DVR_TEST_SKIP;
  }
  folder = dvr_test_mkdtemp ();
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++) {
    int e = make_node (nodes[i]);
    if (e != 0) {
      g_printerr ("SKIP: mknod in %s: %s (making a device node needs CAP_MKNOD)\n", folder,
          g_strerror (e));
      dvr_test_rmtree (folder);
      return e == EPERM || e == EACCES ? DVR_TEST_SKIP : 1;
    }
  }

  g_test_add_func ("/v4l2-fake/record-formats", test_record_formats);
  ret = g_test_run ();

  dvr_test_rmtree (folder);
  g_free (folder);
  return ret;
}
