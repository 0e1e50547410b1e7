/* dvr-fake-frames: makes a frame file for the fake V4L2 camera
 * (dvr-v4l2-fake.c): N frames of a moving test pattern with the running
 * time drawn on it, so every frame differs, encoded as MJPEG or H.264.
 *
 *   dvr-fake-frames h264 1280x720 30 60 front.h264
 *   dvr-fake-frames mjpg 640x480 15 45 rear.mjpg
 *
 * The file is one record per frame: [uint32 little-endian length][payload].
 * MJPG payloads are JPEGs (jpegenc quality 85).  H.264 payloads are access
 * units in Annex-B byte-stream (x264enc tune=zerolatency
 * speed-preset=ultrafast key-int-max=FPS, so an IDR every second and no
 * B-frames; h264parse config-interval=-1, so SPS/PPS precede every IDR);
 * N must be a whole number of seconds, so that a camera looping over the
 * file starts each loop on an IDR.  The file is written to a temporary name
 * and renamed, so a camera that maps the old one keeps a whole file.
 *
 * Exits 0 when the file is written, 1 on a failure, 2 on bad arguments,
 * with a message on stderr.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>

#define DEFAULT_JPEG_QUALITY 85
#define MAX_DIMENSION 8192
#define MAX_FPS 1000
#define MAX_FRAMES 100000

typedef struct {
  gboolean h264;
  guint width, height, fps, n_frames;
  const gchar *output;
} Request;

static gboolean
parse_uint (const gchar *text, guint maximum, guint *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, maximum, &value, NULL))
    return FALSE;
  *out = (guint) value;
  return TRUE;
}

static gboolean
parse_request (int argc, char **argv, Request *request, GError **error)
{
  g_auto (GStrv) size = NULL;

  if (argc != 6) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "expected 5 arguments, got %d",
        argc - 1);
    return FALSE;
  }
  if (g_strcmp0 (argv[1], "h264") != 0 && g_strcmp0 (argv[1], "mjpg") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "FORMAT: expected mjpg or h264, got \"%s\"", argv[1]);
    return FALSE;
  }
  request->h264 = g_strcmp0 (argv[1], "h264") == 0;
  size = g_strsplit (argv[2], "x", -1);
  if (g_strv_length (size) != 2 || !parse_uint (size[0], MAX_DIMENSION, &request->width) ||
      !parse_uint (size[1], MAX_DIMENSION, &request->height)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "WIDTHxHEIGHT: expected e.g. 1280x720, got \"%s\"", argv[2]);
    return FALSE;
  }
  /* 4:2:0 for the encoders, 4:2:2 for the camera's YUYV: even sizes. */
  if (request->width % 2 != 0 || request->height % 2 != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "WIDTHxHEIGHT: %s: width and height must be even", argv[2]);
    return FALSE;
  }
  if (!parse_uint (argv[3], MAX_FPS, &request->fps)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "FPS: expected a whole rate 1..%d, got \"%s\"", MAX_FPS, argv[3]);
    return FALSE;
  }
  if (!parse_uint (argv[4], MAX_FRAMES, &request->n_frames)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "N: expected a frame count 1..%d, got \"%s\"", MAX_FRAMES, argv[4]);
    return FALSE;
  }
  if (request->h264 && request->n_frames % request->fps != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "N: %u is not a multiple of FPS %u: with an IDR every second, a camera looping "
        "over the file would not restart on an IDR", request->n_frames, request->fps);
    return FALSE;
  }
  request->output = argv[5];
  return TRUE;
}

/* The error or warning the bus holds, if any, as a GError. */
static gboolean
check_bus (GstBus *bus, GError **error)
{
  g_autoptr (GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr (GError) bus_error = NULL;
  g_autofree gchar *debug = NULL;

  if (message == NULL)
    return TRUE;
  gst_message_parse_error (message, &bus_error, &debug);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s (%s)",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), bus_error->message,
      debug != NULL ? debug : "no details");
  return FALSE;
}

/* Runs the encoder and appends every frame to `records`. */
static gboolean
encode (const Request *request, GByteArray *records, GError **error)
{
  g_autofree gchar *encoder = request->h264 ?
      g_strdup_printf ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%u ! "
          "h264parse config-interval=-1 ! "
          "video/x-h264,stream-format=byte-stream,alignment=au", request->fps) :
      g_strdup_printf ("jpegenc quality=%d ! image/jpeg", DEFAULT_JPEG_QUALITY);
  g_autofree gchar *launch = g_strdup_printf (
      "videotestsrc pattern=ball num-buffers=%u ! "
      "video/x-raw,format=I420,width=%u,height=%u,framerate=%u/1 ! "
      "timeoverlay ! %s ! appsink name=sink sync=false",
      request->n_frames, request->width, request->height, request->fps, encoder);
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  guint n_frames = 0;
  gboolean ok = TRUE;

  pipeline = gst_parse_launch (launch, error);
  if (pipeline == NULL) {
    g_prefix_error (error, "%s: ", launch);
    return FALSE;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    if (check_bus (bus, error))
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the encoder did not start");
    gst_element_set_state (pipeline, GST_STATE_NULL);
    return FALSE;
  }

  while (ok) {
    /* A timeout, so that an error on the bus ends the wait. */
    g_autoptr (GstSample) sample =
        gst_app_sink_try_pull_sample (GST_APP_SINK (sink), GST_SECOND / 10);
    GstMapInfo map;
    guint8 length[4];

    if (sample == NULL) {
      ok = check_bus (bus, error);
      if (gst_app_sink_is_eos (GST_APP_SINK (sink)))
        break;
      continue;
    }
    if (!gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "frame %u: cannot map it", n_frames);
      ok = FALSE;
      break;
    }
    if (map.size == 0 || map.size > G_MAXUINT32) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "frame %u: %" G_GSIZE_FORMAT " bytes",
          n_frames, map.size);
      ok = FALSE;
    } else {
      length[0] = map.size & 0xff;
      length[1] = (map.size >> 8) & 0xff;
      length[2] = (map.size >> 16) & 0xff;
      length[3] = (map.size >> 24) & 0xff;
      g_byte_array_append (records, length, sizeof length);
      g_byte_array_append (records, map.data, (guint) map.size);
      n_frames++;
    }
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (ok && n_frames != request->n_frames) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the encoder gave %u frames, not %u",
        n_frames, request->n_frames);
    ok = FALSE;
  }
  return ok;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) records = NULL;
  Request request = { 0, };

  gst_init (&argc, &argv);
  if (!parse_request (argc, argv, &request, &error)) {
    g_printerr ("dvr-fake-frames: %s\n"
        "usage: dvr-fake-frames mjpg|h264 WIDTHxHEIGHT FPS N OUTFILE\n", error->message);
    return 2;
  }
  records = g_byte_array_new ();
  if (!encode (&request, records, &error) ||
      !g_file_set_contents (request.output, (const gchar *) records->data, records->len, &error)) {
    g_printerr ("dvr-fake-frames: %s: %s\n", request.output, error->message);
    return 1;
  }
  return 0;
}
