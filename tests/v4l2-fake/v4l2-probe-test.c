/* Integration and unit: dvr_v4l2_probe() reads the fake camera
 * (libdvr-v4l2-fake.so, preloaded by meson, reached through libv4l2's
 * syscall() path), `dvrd --probe` prints it, and dvr_v4l2_choose() picks
 * the right format from probes built in memory.  The device parts exit 77
 * when a device node cannot be made (mknod needs CAP_MKNOD).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <linux/videodev2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "dvr-test-util.h"
#include "dvr-v4l2.h"

#define WIDTH 1280
#define HEIGHT 720
#define FPS 25

static gchar *device;

static void
check_format (const DvrV4l2Probe *probe, guint index, guint32 fourcc, gboolean compressed)
{
  const DvrV4l2Format *format;
  const DvrV4l2FrameSize *size;
  const DvrV4l2Interval *interval;

  g_assert_cmpuint (probe->formats->len, >, index);
  format = g_ptr_array_index (probe->formats, index);
  g_assert_cmphex (format->fourcc, ==, fourcc);
  g_assert_cmpint (format->compressed, ==, compressed);
  g_assert_nonnull (format->description);
  g_assert_cmpuint (format->sizes->len, ==, 1);
  size = g_ptr_array_index (format->sizes, 0);
  g_assert_cmpint (size->type, ==, DVR_V4L2_RANGE_DISCRETE);
  g_assert_cmpuint (size->width, ==, WIDTH);
  g_assert_cmpuint (size->height, ==, HEIGHT);
  g_assert_cmpuint (size->intervals->len, ==, 1);
  interval = &g_array_index (size->intervals, DvrV4l2Interval, 0);
  g_assert_cmpuint (interval->numerator, ==, 1);
  g_assert_cmpuint (interval->denominator, ==, FPS);
}

static void
check_control (const DvrV4l2Probe *probe, guint32 id, guint32 type, gint32 maximum)
{
  const DvrV4l2Control *control = dvr_v4l2_probe_get_control (probe, id);

  g_assert_nonnull (control);
  g_assert_cmpuint (control->type, ==, type);
  g_assert_cmpint (control->maximum, ==, maximum);
  g_assert_cmpint (control->value, ==, control->default_value);
  g_assert_nonnull (control->name);
  g_assert_cmpstr (control->name, !=, "");
}

static void
test_probe_device (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe (device, &error);
  g_autofree gchar *text = NULL;
  DvrV4l2Choice choice = { 0, };

  g_assert_no_error (error);
  g_assert_nonnull (probe);
  g_assert_cmpstr (probe->driver, ==, "dvr-v4l2-fake");
  g_assert_cmpstr (probe->card, ==, "DVR fake camera");
  g_assert_cmpstr (probe->bus_info, ==, "platform:dvr-v4l2-fake");

  /* libv4lconvert's emulated formats (RGB3, YU12...) are left out. */
  g_assert_cmpuint (probe->formats->len, ==, 3);
  check_format (probe, 0, V4L2_PIX_FMT_H264, TRUE);
  check_format (probe, 1, V4L2_PIX_FMT_MJPEG, TRUE);
  check_format (probe, 2, V4L2_PIX_FMT_YUYV, FALSE);

  g_assert_cmpuint (probe->controls->len, ==, 4);
  check_control (probe, V4L2_CID_POWER_LINE_FREQUENCY, V4L2_CTRL_TYPE_MENU, 3);
  check_control (probe, V4L2_CID_EXPOSURE_AUTO, V4L2_CTRL_TYPE_MENU, 3);
  check_control (probe, V4L2_CID_AUTO_WHITE_BALANCE, V4L2_CTRL_TYPE_BOOLEAN, 1);
  check_control (probe, V4L2_CID_BRIGHTNESS, V4L2_CTRL_TYPE_INTEGER, 255);

  text = dvr_v4l2_probe_to_string (probe);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "H264"));
  g_assert_nonnull (strstr (text, "1280x720 @ 25 fps"));

  /* Menus list the driver's item names. */
  g_assert_nonnull (strstr (text, "menu 0 Disabled, 1 50 Hz, 2 60 Hz, 3 Auto"));

  g_assert_true (dvr_v4l2_choose (probe, WIDTH, HEIGHT, FPS, 1, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_no_error (error);
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_H264);
}

/* Controls go to the device through libv4l2 and are read back; the fake
 * keeps them in NODE.controls, so another open (another process) sees
 * them as it would on a real camera. */
static void
test_set_controls (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe (device, &error);
  g_autoptr (DvrV4l2Probe) again = NULL;
  const DvrV4l2ControlValue good[] = {
    { V4L2_CID_POWER_LINE_FREQUENCY, V4L2_CID_POWER_LINE_FREQUENCY_60HZ },
    { V4L2_CID_EXPOSURE_AUTO, V4L2_EXPOSURE_APERTURE_PRIORITY },
    { V4L2_CID_AUTO_WHITE_BALANCE, 0 },
    { V4L2_CID_BRIGHTNESS, 77 },
  };
  const DvrV4l2ControlValue bad[] = {
    { V4L2_CID_BRIGHTNESS, 300 },
    { V4L2_CID_POWER_LINE_FREQUENCY, 1 },
    { V4L2_CID_CONTRAST, 10 },
  };

  g_assert_no_error (error);
  g_assert_true (dvr_v4l2_set_controls (device, probe, good, G_N_ELEMENTS (good), &error));
  g_assert_no_error (error);
  again = dvr_v4l2_probe (device, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_v4l2_probe_get_control (again, V4L2_CID_POWER_LINE_FREQUENCY)->value, ==,
      V4L2_CID_POWER_LINE_FREQUENCY_60HZ);
  g_assert_cmpint (dvr_v4l2_probe_get_control (again, V4L2_CID_EXPOSURE_AUTO)->value, ==,
      V4L2_EXPOSURE_APERTURE_PRIORITY);
  g_assert_cmpint (dvr_v4l2_probe_get_control (again, V4L2_CID_AUTO_WHITE_BALANCE)->value, ==, 0);
  g_assert_cmpint (dvr_v4l2_probe_get_control (again, V4L2_CID_BRIGHTNESS)->value, ==, 77);

  /* Every problem is named, with what the camera offers; the good value
   * among the bad ones is still set. */
  g_assert_false (dvr_v4l2_set_controls (device, again, bad, G_N_ELEMENTS (bad), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, device));
  g_assert_nonnull (strstr (error->message, "Brightness: 300 is not offered (the camera offers 0..255)"));
  g_assert_nonnull (strstr (error->message, "no control 0x"));
  g_clear_pointer (&again, dvr_v4l2_probe_free);
  g_clear_error (&error);
  again = dvr_v4l2_probe (device, &error);
  g_assert_cmpint (dvr_v4l2_probe_get_control (again, V4L2_CID_POWER_LINE_FREQUENCY)->value, ==,
      V4L2_CID_POWER_LINE_FREQUENCY_50HZ);
  g_assert_cmpint (dvr_v4l2_probe_get_control (again, V4L2_CID_BRIGHTNESS)->value, ==, 77);
}

/* A menu item the camera skips (as UVC cameras skip exposure modes) is
 * refused with the items it does offer. */
static void
test_control_menu_skip (void)
{
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe_new (device);
  g_autoptr (GError) error = NULL;
  DvrV4l2Control *control = g_new0 (DvrV4l2Control, 1);
  const DvrV4l2ControlValue value = { V4L2_CID_EXPOSURE_AUTO, V4L2_EXPOSURE_AUTO };

  control->id = V4L2_CID_EXPOSURE_AUTO;
  control->name = g_strdup ("Auto Exposure");
  control->type = V4L2_CTRL_TYPE_MENU;
  control->minimum = 0;
  control->maximum = 3;
  control->step = 1;
  control->menu = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (control->menu, NULL);
  g_ptr_array_add (control->menu, g_strdup ("Manual Mode"));
  g_ptr_array_add (control->menu, NULL);
  g_ptr_array_add (control->menu, g_strdup ("Aperture Priority Mode"));
  g_ptr_array_add (probe->controls, control);

  g_assert_false (dvr_v4l2_set_controls (device, probe, &value, 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (strchr (error->message, ' ') + 1, ==, "Auto Exposure: 0 is not offered "
      "(the camera offers 1 Manual Mode, 3 Aperture Priority Mode)");
}

static void
test_probe_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = g_strconcat (device, "-missing", NULL);
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe (path, &error);

  g_assert_null (probe);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
}

/* dvrd --probe -c FILE and --check-config FILE judge each configured
 * camera on the device by what it offers. */
static void
test_dvrd_probe_config (void)
{
  const gchar *dvrd = g_getenv ("DVRD");
  g_autofree gchar *dir = NULL;
  g_autofree gchar *conf = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  gint status;

  if (dvrd == NULL) {
    g_test_skip ("DVRD is not set");
    return;
  }
  dir = g_path_get_dirname (device);
  conf = g_build_filename (dir, "dvr.conf", NULL);
  text = g_strdup_printf ("[recorder]\nstorage = %s\n[control]\nsocket = %s/control.sock\n"
      "[camera front]\nsource = %s\nwidth = %u\nheight = %u\nframerate = %u\n"
      "[camera cabin]\nsource = %s\nwidth = 640\nheight = 480\nframerate = %u\n"
      "record = passthrough\n"
      "[camera rear]\nsource = %s-unplugged\n",
      dir, dir, device, WIDTH, HEIGHT, FPS, device, FPS, device);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));

  const gchar *probe_argv[] = { dvrd, "--probe", device, "-c", conf, NULL };
  status = dvr_test_run (probe_argv, &out, &err);
  g_test_message ("stdout: %s\nstderr: %s", out, err);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (out, "would record:\n  camera front: H264 1280x720@25 passed through\n"
      "  camera cabin: cannot record as configured: "));
  g_assert_nonnull (strstr (out, "wanted H.264 or MJPEG (record = passthrough) at 640x480, 25 fps; "
      "the camera offers H264 1280x720@25, MJPG 1280x720@25, YUYV 1280x720@25"));
  g_assert_null (strstr (out, "camera rear"));

  const gchar *check_argv[] = { dvrd, "--check-config", conf, NULL };
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = dvr_test_run (check_argv, &out, &err);
  g_test_message ("stdout: %s\nstderr: %s", out, err);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "[camera cabin]: "));
  g_assert_nonnull (strstr (err, "the camera offers H264 1280x720@25"));
  g_assert_nonnull (strstr (err, "note: camera rear: "));
  g_assert_null (strstr (err, "[camera front]"));
  g_unlink (conf);
}

static void
test_dvrd_probe (void)
{
  const gchar *dvrd = g_getenv ("DVRD");
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  gint status;

  if (dvrd == NULL) {
    g_test_skip ("DVRD is not set");
    return;
  }
  const gchar *argv[] = { dvrd, "--probe", device, NULL };
  status = dvr_test_run (argv, &out, &err);
  g_test_message ("stdout: %s\nstderr: %s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "H264"));
  g_assert_nonnull (strstr (out, "MJPG"));
  g_assert_nonnull (strstr (out, "YUYV"));
  g_assert_nonnull (strstr (out, "Brightness"));

  /* Without a configuration: what the defaults (1280x720 at 30) would get. */
  g_assert_nonnull (strstr (out, "would record:\n  with the defaults (1280x720, 30 fps, "
      "record = auto): nothing: "));

  const gchar *missing_argv[] = { dvrd, "--probe", "/nonexistent/video9", NULL };
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = dvr_test_run (missing_argv, &out, &err);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent/video9"));
}

/* ---- choosing, from probes built in memory ---- */

static void
add_format (DvrV4l2Probe *probe, guint32 fourcc, gboolean compressed, guint width,
            guint height, const guint *fps, guint n_fps)
{
  DvrV4l2Format *format = dvr_v4l2_format_new (fourcc, "test", compressed);
  DvrV4l2FrameSize *size = dvr_v4l2_frame_size_new_discrete (width, height);

  for (guint i = 0; i < n_fps; i++)
    dvr_v4l2_frame_size_add_interval (size, 1, fps[i]);
  g_ptr_array_add (format->sizes, size);
  g_ptr_array_add (probe->formats, format);
}

static const guint fps_30_25[] = { 30, 25 };
static const guint fps_30_15[] = { 30, 15 };
static const guint fps_30[] = { 30 };

static void
test_choose_h264 (void)
{
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe_new ("test");
  g_autoptr (GError) error = NULL;
  DvrV4l2Choice choice = { 0, };

  add_format (probe, V4L2_PIX_FMT_YUYV, FALSE, 1280, 720, fps_30_25, 2);
  add_format (probe, V4L2_PIX_FMT_MJPEG, TRUE, 1280, 720, fps_30_25, 2);
  add_format (probe, V4L2_PIX_FMT_H264, TRUE, 1280, 720, fps_30_25, 2);
  g_assert_true (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_no_error (error);
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_H264);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_PASSTHROUGH);
  g_assert_true (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_PASSTHROUGH, TRUE,
      &choice, &error));
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_H264);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_PASSTHROUGH);

  /* Asked to encode, the same camera gives raw frames. */
  g_assert_true (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_ENCODE, FALSE,
      &choice, &error));
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_YUYV);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_ENCODE);
}

static void
test_choose_mjpeg (void)
{
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe_new ("test");
  g_autoptr (GError) error = NULL;
  DvrV4l2Choice choice = { 0, };

  add_format (probe, V4L2_PIX_FMT_YUYV, FALSE, 1280, 720, fps_30_25, 2);
  add_format (probe, V4L2_PIX_FMT_MJPEG, TRUE, 1280, 720, fps_30_25, 2);
  /* H.264 at another size does not qualify. */
  add_format (probe, V4L2_PIX_FMT_H264, TRUE, 1920, 1080, fps_30_25, 2);
  g_assert_true (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_no_error (error);
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_MJPEG);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_PASSTHROUGH);

  /* mjpeg = transcode: the same format, decoded and encoded. */
  g_assert_true (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_AUTO, TRUE,
      &choice, &error));
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_MJPEG);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_TRANSCODE);

  /* record = encode prefers raw frames over MJPEG... */
  g_assert_true (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_ENCODE, FALSE,
      &choice, &error));
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_YUYV);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_ENCODE);
  /* ...and transcodes MJPEG when there are none. */
  g_ptr_array_remove_index (probe->formats, 0);
  g_assert_true (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_ENCODE, FALSE,
      &choice, &error));
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_MJPEG);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_TRANSCODE);
}

static void
test_choose_raw (void)
{
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe_new ("test");
  g_autoptr (GError) error = NULL;
  DvrV4l2Choice choice = { 0, };

  add_format (probe, V4L2_PIX_FMT_YUYV, FALSE, 640, 480, fps_30, 1);
  g_assert_true (dvr_v4l2_choose (probe, 640, 480, 30, 1, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_no_error (error);
  g_assert_cmphex (choice.fourcc, ==, V4L2_PIX_FMT_YUYV);
  g_assert_cmpint (choice.action, ==, DVR_V4L2_ACTION_ENCODE);

  /* record = passthrough never encodes: the error says what it wanted. */
  g_assert_false (dvr_v4l2_choose (probe, 640, 480, 30, 1, DVR_V4L2_POLICY_PASSTHROUGH, FALSE,
      &choice, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "wanted H.264 or MJPEG (record = passthrough) at "
      "640x480, 30 fps; the camera offers YUYV 640x480@30");
  g_clear_error (&error);

  /* A raw format we have no GStreamer name for is never chosen. */
  g_autoptr (DvrV4l2Probe) bayer = dvr_v4l2_probe_new ("test");
  add_format (bayer, V4L2_PIX_FMT_SGRBG10, FALSE, 640, 480, fps_30, 1);
  g_assert_false (dvr_v4l2_choose (bayer, 640, 480, 30, 1, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_cmpstr (dvr_v4l2_fourcc_to_gst_format (V4L2_PIX_FMT_YUYV), ==, "YUY2");
  g_assert_null (dvr_v4l2_fourcc_to_gst_format (V4L2_PIX_FMT_SGRBG10));
}

static void
test_choose_none (void)
{
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe_new ("test");
  g_autoptr (GError) error = NULL;
  DvrV4l2Choice choice = { 0, };

  add_format (probe, V4L2_PIX_FMT_H264, TRUE, 1920, 1080, fps_30, 1);
  add_format (probe, V4L2_PIX_FMT_MJPEG, TRUE, 1280, 720, fps_30_15, 2);
  add_format (probe, V4L2_PIX_FMT_YUYV, FALSE, 640, 480, fps_30, 1);
  g_assert_false (dvr_v4l2_choose (probe, 1280, 720, 25, 1, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "wanted H.264, MJPEG or raw video at 1280x720, 25 fps; "
      "the camera offers H264 1920x1080@30, MJPG 1280x720@30/15, YUYV 640x480@30");

  /* NTSC rates match exactly, not approximately. */
  g_clear_error (&error);
  g_autoptr (DvrV4l2Probe) ntsc = dvr_v4l2_probe_new ("test");
  DvrV4l2Format *format = dvr_v4l2_format_new (V4L2_PIX_FMT_YUYV, "test", FALSE);
  DvrV4l2FrameSize *size = dvr_v4l2_frame_size_new_discrete (640, 480);
  dvr_v4l2_frame_size_add_interval (size, 1001, 30000);
  g_ptr_array_add (format->sizes, size);
  g_ptr_array_add (ntsc->formats, format);
  g_assert_true (dvr_v4l2_choose (ntsc, 640, 480, 30000, 1001, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_false (dvr_v4l2_choose (ntsc, 640, 480, 30, 1, DVR_V4L2_POLICY_AUTO, FALSE,
      &choice, &error));
  g_assert_nonnull (strstr (error->message, "640x480@29.97"));
}

int
main (int argc, char **argv)
{
  g_autofree gchar *dir = NULL;
  gboolean have_device;
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/v4l2/choose/h264", test_choose_h264);
  g_test_add_func ("/v4l2/choose/mjpeg", test_choose_mjpeg);
  g_test_add_func ("/v4l2/choose/raw", test_choose_raw);
  g_test_add_func ("/v4l2/choose/none", test_choose_none);

  dir = g_dir_make_tmp ("dvr-v4l2-probe-XXXXXX", NULL);
  g_assert_nonnull (dir);
  device = g_build_filename (dir, "video0", NULL);
  have_device = mknod (device, S_IFCHR | 0600, makedev (1, 3)) == 0;
  if (!have_device) {
    int e = errno;
    g_rmdir (dir);
    g_print ("SKIP: mknod %s: %s (needs CAP_MKNOD)\n", device, g_strerror (e));
    return DVR_TEST_SKIP;
  }
  /* Before any probe: the shim reads its configuration at open. */
  g_setenv ("DVR_V4L2_FAKE_DEVICE", device, TRUE);
  g_setenv ("DVR_V4L2_FAKE_FORMATS", "H264,MJPG,YUYV", TRUE);
  g_setenv ("DVR_V4L2_FAKE_SIZE", G_STRINGIFY (WIDTH) "x" G_STRINGIFY (HEIGHT), TRUE);
  g_setenv ("DVR_V4L2_FAKE_FPS", G_STRINGIFY (FPS), TRUE);

  g_test_add_func ("/v4l2/probe/device", test_probe_device);
  g_test_add_func ("/v4l2/probe/missing", test_probe_missing);
  g_test_add_func ("/v4l2/probe/dvrd", test_dvrd_probe);
  g_test_add_func ("/v4l2/probe/dvrd-config", test_dvrd_probe_config);
  g_test_add_func ("/v4l2/controls/set", test_set_controls);
  g_test_add_func ("/v4l2/controls/menu-skip", test_control_menu_skip);

  ret = g_test_run ();
  g_unlink (device);
  g_rmdir (dir);
  g_free (device);
  return ret;
}
