/* Integration: dvrd records the fake V4L2 camera (libdvr-v4l2-fake.so,
 * preloaded by meson into this test and so into dvrd) next to a test camera;
 * the test unlinks the device node (an unplug: the shim fails DQBUF with
 * ENODEV), then makes it again (a replug).  dvrd must notice the unplug, open
 * a gap, record again after the replug, and close the gap; the other camera
 * records throughout.  Every segment decodes.  Exits 77 when a device node
 * cannot be made (mknod needs CAP_MKNOD) or v4l2src is not installed.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "dvr-catalog.h"
#include "dvr-storage.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

static gchar *folder;
static gchar *device;

static int
make_node (void)
{
  /* Same major/minor as /dev/null: a real char device that always polls ready. */
  if (mknod (device, S_IFCHR | 0600, makedev (1, 3)) < 0)
    return errno;
  return 0;
}

static JsonObject *
get_status (DvrTestDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  JsonObject *status = dvr_test_daemon_status (daemon, &error);
  g_assert_no_error (error);
  return status;
}

static gboolean
fake_recording (JsonObject *status, gpointer user_data)
{
  const gchar *state = json_object_get_string_member (dvr_test_status_camera (status, "fake"), "state");
  return (g_strcmp0 (state, "recording") == 0) == GPOINTER_TO_INT (user_data);
}

/* Polls until "fake" is (@recording) or is not (!@recording) recording;
 * returns that status, or NULL after @timeout_ms. */
static JsonObject *
wait_for_fake (DvrTestDaemon *daemon, gboolean recording, guint timeout_ms)
{
  return dvr_test_daemon_wait (daemon, timeout_ms, fake_recording, GINT_TO_POINTER (recording));
}

static void
check_segments (DvrCatalog *catalog, const gchar *camera, const gchar *storage)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments =
      dvr_catalog_list_segments (catalog, camera, G_MININT64, G_MAXINT64, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, >=, 2);
  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (segments, i);
    g_autofree gchar *path = g_build_filename (storage, s->path, NULL);
    DvrTestDecode d;
    g_assert_true (dvr_test_decode_file (path, &d, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (d.frames, ==, s->frames);
    g_assert_cmpuint (d.frames, >, 0);
    dvr_test_decode_clear (&d);
  }
  g_test_message ("%s: %u segments decode", camera, segments->len);
}

static void
test_unplug_replug (void)
{
  g_autofree gchar *storage = g_build_filename (folder, "storage", NULL);
  g_autofree gchar *config_text = NULL;
  g_autofree gchar *catalog_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (JsonObject) before = NULL;
  g_autoptr (JsonObject) later = NULL;
  g_autoptr (JsonObject) unplugged = NULL;
  g_autoptr (JsonObject) replugged = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  JsonObject *fake;
  JsonArray *status_gaps;
  gint64 t0, detect_ms, recover_ms, frames_before;
  gint exit_status;
  guint n_fake_gaps = 0;

  g_assert_cmpint (g_mkdir (storage, 0700), ==, 0);
  config_text = g_strdup_printf (
      "[recorder]\nstorage = %s\nsegment-length = 2\nrestart-backoff-min = 0.5\n"
      "restart-backoff-max = 1\nstall-timeout = 2\n[control]\nsocket = %s/control.sock\n"
      "[camera fake]\nsource = %s\nwidth = 320\nheight = 240\nframerate = 30/1\n"
      "[camera steady]\nsource = test\nwidth = 160\nheight = 120\nframerate = 10/1\n",
      storage, folder, device);
  daemon = dvr_test_daemon_start (folder, config_text, &error);
  g_assert_no_error (error);

  /* Plugged in: it records. */
  before = wait_for_fake (daemon, TRUE, 10000);
  if (before == NULL)
    dvr_test_daemon_print_log (daemon);
  g_assert_nonnull (before);
  frames_before = json_object_get_int_member (dvr_test_status_camera (before, "fake"), "frames_in");
  dvr_test_wait_ms (4000);
  later = get_status (daemon);
  fake = dvr_test_status_camera (later, "fake");
  g_assert_cmpstr (json_object_get_string_member (fake, "state"), ==, "recording");
  g_assert_cmpint (json_object_get_int_member (fake, "frames_in"), >=, frames_before + 60);

  /* Unplug: dvrd notices within 2 s and opens a gap. */
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (g_unlink (device), ==, 0);
  unplugged = wait_for_fake (daemon, FALSE, 2000);
  detect_ms = (g_get_monotonic_time () - t0) / 1000;
  if (unplugged == NULL)
    dvr_test_daemon_print_log (daemon);
  g_assert_nonnull (unplugged);
  g_test_message ("unplug detected after %" G_GINT64_FORMAT " ms", detect_ms);
  /* The gap is catalogued just after the state changes: poll a little. */
  {
    gint64 end = g_get_monotonic_time () + 1000 * 1000;
    for (;;) {
      fake = dvr_test_status_camera (unplugged, "fake");
      status_gaps = json_object_get_array_member (fake, "gaps");
      if ((json_array_get_length (status_gaps) > 0 &&
              json_object_get_string_member_with_default (fake, "last_error", NULL) != NULL) ||
          g_get_monotonic_time () > end)
        break;
      dvr_test_wait_ms (50);
      json_object_unref (unplugged);
      unplugged = get_status (daemon);
    }
  }
  {
    const gchar *state = json_object_get_string_member (fake, "state");
    const gchar *last_error = json_object_get_string_member_with_default (fake, "last_error", NULL);
    JsonObject *gap;
    g_test_message ("after unplug: state %s, last_error \"%s\"", state, last_error);
    g_assert_true (g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "starting") == 0 ||
        g_strcmp0 (state, "stopping") == 0);
    g_assert_nonnull (last_error);
    g_assert_nonnull (strstr (last_error, "disconnected"));
    g_assert_cmpuint (json_array_get_length (status_gaps), ==, 1);
    gap = json_array_get_object_element (status_gaps, 0);
    g_assert_true (json_object_get_null_member (gap, "end"));
    g_test_message ("open gap, reason \"%s\"", json_object_get_string_member (gap, "reason"));
  }

  /* Replug after ~2 s: recording again within 3 s. */
  dvr_test_wait_ms (2000);
  g_assert_cmpint (make_node (), ==, 0);
  t0 = g_get_monotonic_time ();
  replugged = wait_for_fake (daemon, TRUE, 3000);
  recover_ms = (g_get_monotonic_time () - t0) / 1000;
  if (replugged == NULL)
    dvr_test_daemon_print_log (daemon);
  g_assert_nonnull (replugged);
  g_test_message ("recording again %" G_GINT64_FORMAT " ms after the replug", recover_ms);
  g_assert_cmpint (json_object_get_int_member (dvr_test_status_camera (replugged, "fake"), "restarts"), >=, 1);
  g_assert_cmpstr (json_object_get_string_member (dvr_test_status_camera (replugged, "steady"), "state"), ==,
      "recording");

  dvr_test_wait_ms (3000);
  {
    g_autoptr (JsonObject) status = get_status (daemon);
    g_assert_cmpstr (json_object_get_string_member (dvr_test_status_camera (status, "fake"), "state"), ==,
        "recording");
  }
  exit_status = dvr_test_daemon_stop (daemon, 10000, NULL);
  if (exit_status != 0)
    dvr_test_daemon_print_log (daemon);
  g_assert_cmpint (exit_status, ==, 0);

  /* The catalog: one closed gap for "fake" spanning the unplug, none for
   * "steady"; every segment decodes. */
  catalog_path = g_build_filename (storage, DVR_STORAGE_CATALOG_NAME, NULL);
  catalog = dvr_catalog_open (catalog_path, TRUE, &error);
  g_assert_no_error (error);
  gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < gaps->len; i++) {
    DvrGap *gap = g_ptr_array_index (gaps, i);
    g_assert_cmpstr (gap->camera, ==, "fake");
    g_assert_cmpint (gap->end_utc_ns, >, gap->start_utc_ns);
    g_assert_cmpint (gap->end_utc_ns - gap->start_utc_ns, >=, 1500 * DVR_NSEC_PER_MSEC);
    g_test_message ("gap: %" G_GINT64_FORMAT " ms, reason \"%s\"",
        (gap->end_utc_ns - gap->start_utc_ns) / DVR_NSEC_PER_MSEC, gap->reason);
    n_fake_gaps++;
  }
  g_assert_cmpuint (n_fake_gaps, ==, 1);
  check_segments (catalog, "fake", storage);
  check_segments (catalog, "steady", storage);
}

int
main (int argc, char **argv)
{
  g_autoptr (GstElementFactory) factory = NULL;
  int ret, saved_errno;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  factory = gst_element_factory_find ("v4l2src");
  if (factory == NULL) {
    g_printerr ("SKIP: the v4l2src element is not installed\n");
    return DVR_TEST_SKIP;
  }
  folder = dvr_test_mkdtemp ();
  device = g_build_filename (folder, "video0", NULL);
  saved_errno = make_node ();
  if (saved_errno != 0) {
    g_printerr ("SKIP: mknod %s: %s (making a device node needs CAP_MKNOD)\n",
        device, g_strerror (saved_errno));
    dvr_test_rmtree (folder);
    return saved_errno == EPERM || saved_errno == EACCES ? DVR_TEST_SKIP : 1;
  }
  /* dvrd inherits the environment, and with it the shim's settings. */
  g_setenv ("DVR_V4L2_FAKE_DEVICE", device, TRUE);
  g_setenv ("DVR_V4L2_FAKE_SIZE", "320x240", TRUE);
  g_setenv ("DVR_V4L2_FAKE_FPS", "30", TRUE);

  g_test_add_func ("/v4l2-fake/unplug-replug", test_unplug_replug);
  ret = g_test_run ();

  dvr_test_rmtree (folder);
  g_free (device);
  g_free (folder);
  return ret;
}
