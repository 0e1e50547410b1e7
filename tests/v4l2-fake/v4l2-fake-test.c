/* Integration: the real v4l2src captures from the fake V4L2 camera
 * (libdvr-v4l2-fake.so, preloaded by meson) and delivers 60 YUY2 frames at
 * 30 fps whose contents change.  Exits 77 when a device node cannot be made
 * (mknod needs CAP_MKNOD) or v4l2src is not installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>

#define N_FRAMES 60
#define WIDTH 320
#define HEIGHT 240
#define FPS 30

static gchar *device;

static void
test_capture (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *description = g_strdup_printf (
      "v4l2src device=%s num-buffers=%d ! "
      "video/x-raw,format=YUY2,width=%d,height=%d,framerate=%d/1 ! "
      "appsink name=sink sync=false max-buffers=%d", device, N_FRAMES, WIDTH, HEIGHT,
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
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *folder = NULL;
  g_autoptr (GstElementFactory) factory = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  factory = gst_element_factory_find ("v4l2src");
  if (factory == NULL) {
    g_printerr ("SKIP: the v4l2src element is not installed\n");
    return 77;
  }
  folder = g_dir_make_tmp ("v4l2-fake-test-XXXXXX", &error);
  g_assert_no_error (error);
  device = g_build_filename (folder, "video0", NULL);
  /* Same major/minor as /dev/null: a real char device that always polls ready. */
  if (mknod (device, S_IFCHR | 0600, makedev (1, 3)) < 0) {
    int saved_errno = errno;
    g_printerr ("SKIP: mknod %s: %s (making a device node needs CAP_MKNOD)\n",
        device, g_strerror (saved_errno));
    g_rmdir (folder);
    return saved_errno == EPERM || saved_errno == EACCES ? 77 : 1;
  }
  g_setenv ("DVR_V4L2_FAKE_DEVICE", device, TRUE);
  g_setenv ("DVR_V4L2_FAKE_SIZE", "320x240", TRUE);
  g_setenv ("DVR_V4L2_FAKE_FPS", "30", TRUE);

  g_test_add_func ("/v4l2-fake/capture", test_capture);
  ret = g_test_run ();

  g_unlink (device);
  g_rmdir (folder);
  g_free (device);
  return ret;
}
