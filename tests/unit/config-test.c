/* config-test: dvr.conf parsing, defaults and every class of bad input.
 *
 * Hermetic: files live in a g_dir_make_tmp() folder that each test removes,
 * and errors are compared whole, because the message (file, line, group,
 * key, what was expected) is what an operator fixes the file from.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-config.h"
#include "dvr-indicator.h"
#include "dvr-utils.h"

#include <glib/gstdio.h>
#include <linux/input-event-codes.h>
#include <linux/videodev2.h>
#include <string.h>

#define DISPLAY_NAME "test.conf"

typedef struct {
  gchar *root;        /* the temporary folder */
  gchar *storage;     /* an existing folder for [recorder] storage */
  gchar *replay;      /* an existing regular file for replay: */
  gchar *plain_file;  /* a regular file where a folder is expected */
  gchar *written;     /* a config file a test wrote, or NULL */
} Fixture;

static Fixture *
fixture_new (void)
{
  g_autoptr(GError) error = NULL;
  Fixture *f = g_new0 (Fixture, 1);

  f->root = g_dir_make_tmp ("dvr-config-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->storage = g_build_filename (f->root, "storage", NULL);
  g_assert_cmpint (g_mkdir (f->storage, 0700), ==, 0);
  f->replay = g_build_filename (f->root, "clip.mkv", NULL);
  g_assert_true (g_file_set_contents (f->replay, "not really matroska", -1, &error));
  g_assert_no_error (error);
  f->plain_file = g_build_filename (f->root, "not-a-folder", NULL);
  g_assert_true (g_file_set_contents (f->plain_file, "", 0, &error));
  g_assert_no_error (error);
  return f;
}

static void
fixture_free (Fixture *f)
{
  if (f->written != NULL)
    g_assert_cmpint (g_remove (f->written), ==, 0);
  g_assert_cmpint (g_remove (f->plain_file), ==, 0);
  g_assert_cmpint (g_remove (f->replay), ==, 0);
  g_assert_cmpint (g_rmdir (f->storage), ==, 0);
  /* Fails if the code under test left anything behind. */
  g_assert_cmpint (g_rmdir (f->root), ==, 0);
  g_free (f->written);
  g_free (f->plain_file);
  g_free (f->replay);
  g_free (f->storage);
  g_free (f->root);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* @text with @ROOT@, @STORAGE@, @REPLAY@ and @FILE@ replaced by the
 * fixture's paths. */
static gchar *
fixture_expand (const Fixture *f, const gchar *text)
{
  GString *expanded = g_string_new (text);

  g_string_replace (expanded, "@ROOT@", f->root, 0);
  g_string_replace (expanded, "@STORAGE@", f->storage, 0);
  g_string_replace (expanded, "@REPLAY@", f->replay, 0);
  g_string_replace (expanded, "@FILE@", f->plain_file, 0);
  return g_string_free (expanded, FALSE);
}

static DvrConfig *
fixture_load (const Fixture *f, const gchar *text, GError **error)
{
  g_autofree gchar *expanded = fixture_expand (f, text);
  return dvr_config_load_data (expanded, strlen (expanded), DISPLAY_NAME, error);
}

static void
assert_load_fails (const Fixture *f,
                   const gchar *text,
                   DvrConfigError code,
                   const gchar *expected_message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = fixture_load (f, text, &error);
  g_autofree gchar *expected = fixture_expand (f, expected_message);

  g_assert_null (config);
  g_assert_error (error, DVR_CONFIG_ERROR, (gint) code);
  g_assert_cmpstr (error->message, ==, expected);
}

/* Lines 1-2 of most test files. */
#define RECORDER "[recorder]\nstorage = @STORAGE@\n"

static void
test_config_valid (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  const DvrCameraConfig *camera;

  config = fixture_load (f,
      "# every key, and cameras relying on defaults\n"
      "[recorder]\n"
      "  unit-id =  car-7  \n"
      "storage=@STORAGE@/\n"
      "segment-length = 2.5\n"
      "stall-timeout = 3\n"
      "restart-backoff-min = 0.5\n"
      "restart-backoff-max = 20\n"
      "\n"
      "[control]\n"
      "socket = /run/test/dvr.sock\n"
      "socket-mode = 600\n"
      "\n"
      "[camera front]\n"
      "source = /dev/dvr/cam-front\n"
      "width = 1920\n"
      "height = 1080\n"
      "framerate = 30000/1001\n"
      "record = passthrough\n"
      "encoder = openh264enc\n"
      "bitrate = 8000\n"
      "keyframe-interval = 60\n"
      "mjpeg = transcode\n"
      "power-line-frequency = 60\n"
      "exposure = aperture-priority\n"
      "white-balance = manual\n"
      "brightness = -12\n"
      "\n"
      "[camera rear]\n"
      "source = /dev/dvr/cam-rear\n"
      "\n"
      "[camera bench]\n"
      "source = test\n"
      "[camera bench2]\n"
      "\tsource\t=\ttest\t\n"
      "pattern = snow\n"
      "[ camera replay ]\n"
      "source = replay:@REPLAY@\n"
      "framerate = 30000/1001\n"
      "record = encode\n",
      &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);

  g_assert_cmpstr (config->path, ==, DISPLAY_NAME);
  g_assert_cmpstr (config->unit_id, ==, "car-7");
  g_assert_cmpstr (config->storage_root, ==, f->storage);
  g_assert_cmpint (config->segment_ns, ==, 2500 * DVR_NSEC_PER_MSEC);
  g_assert_cmpint (config->stall_timeout_ns, ==, 3 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (config->restart_backoff_min_ns, ==, 500 * DVR_NSEC_PER_MSEC);
  g_assert_cmpint (config->restart_backoff_max_ns, ==, 20 * DVR_NSEC_PER_SEC);
  g_assert_cmpstr (config->control_socket, ==, "/run/test/dvr.sock");
  g_assert_cmpuint (config->control_socket_mode, ==, 0600);
  g_assert_cmpuint (config->warnings->len, ==, 0);
  g_assert_cmpuint (config->cameras->len, ==, 5);

  camera = dvr_config_get_camera (config, "front");
  g_assert_nonnull (camera);
  g_assert_cmpuint (camera->index, ==, 0);
  g_assert_cmpint (camera->kind, ==, DVR_SOURCE_KIND_V4L2);
  g_assert_cmpstr (camera->source, ==, "/dev/dvr/cam-front");
  g_assert_cmpstr (camera->location, ==, "/dev/dvr/cam-front");
  g_assert_null (camera->pattern);
  g_assert_cmpuint (camera->width, ==, 1920);
  g_assert_cmpuint (camera->height, ==, 1080);
  g_assert_cmpint (camera->framerate_n, ==, 30000);
  g_assert_cmpint (camera->framerate_d, ==, 1001);
  g_assert_cmpint (camera->record, ==, DVR_RECORD_MODE_PASSTHROUGH);
  g_assert_cmpstr (camera->encoder, ==, "openh264enc");
  g_assert_cmpuint (camera->bitrate_kbps, ==, 8000);
  g_assert_cmpuint (camera->keyframe_interval, ==, 60);
  g_assert_true (camera->transcode_mjpeg);
  /* Controls in the file's order, by their V4L2 ids and menu values. */
  g_assert_cmpuint (camera->controls->len, ==, 4);
  g_assert_cmphex (g_array_index (camera->controls, DvrControlValue, 0).id, ==,
                   V4L2_CID_POWER_LINE_FREQUENCY);
  g_assert_cmpint (g_array_index (camera->controls, DvrControlValue, 0).value, ==,
                   V4L2_CID_POWER_LINE_FREQUENCY_60HZ);
  g_assert_cmphex (g_array_index (camera->controls, DvrControlValue, 1).id, ==,
                   V4L2_CID_EXPOSURE_AUTO);
  g_assert_cmpint (g_array_index (camera->controls, DvrControlValue, 1).value, ==,
                   V4L2_EXPOSURE_APERTURE_PRIORITY);
  g_assert_cmphex (g_array_index (camera->controls, DvrControlValue, 2).id, ==,
                   V4L2_CID_AUTO_WHITE_BALANCE);
  g_assert_cmpint (g_array_index (camera->controls, DvrControlValue, 2).value, ==, 0);
  g_assert_cmphex (g_array_index (camera->controls, DvrControlValue, 3).id, ==,
                   V4L2_CID_BRIGHTNESS);
  g_assert_cmpint (g_array_index (camera->controls, DvrControlValue, 3).value, ==, -12);

  /* Nothing but the source: every default. */
  camera = dvr_config_get_camera (config, "rear");
  g_assert_nonnull (camera);
  g_assert_true (camera == g_ptr_array_index (config->cameras, 1));
  g_assert_cmpuint (camera->index, ==, 1);
  g_assert_cmpint (camera->kind, ==, DVR_SOURCE_KIND_V4L2);
  g_assert_cmpstr (camera->location, ==, "/dev/dvr/cam-rear");
  g_assert_null (camera->pattern);
  g_assert_cmpuint (camera->width, ==, 1280);
  g_assert_cmpuint (camera->height, ==, 720);
  g_assert_cmpint (camera->framerate_n, ==, 30);
  g_assert_cmpint (camera->framerate_d, ==, 1);
  g_assert_cmpint (camera->record, ==, DVR_RECORD_MODE_AUTO);
  g_assert_cmpstr (camera->encoder, ==, "auto");
  g_assert_false (camera->transcode_mjpeg);
  /* No control set: the camera keeps its own settings. */
  g_assert_cmpuint (camera->controls->len, ==, 0);
  g_assert_cmpuint (camera->bitrate_kbps, ==, 4000);
  g_assert_cmpuint (camera->keyframe_interval, ==, 15);

  /* Test cameras without a pattern get one by index, so they differ. */
  camera = dvr_config_get_camera (config, "bench");
  g_assert_nonnull (camera);
  g_assert_cmpuint (camera->index, ==, 2);
  g_assert_cmpint (camera->kind, ==, DVR_SOURCE_KIND_TEST);
  g_assert_cmpstr (camera->source, ==, "test");
  g_assert_null (camera->location);
  g_assert_cmpstr (camera->pattern, ==, "pinwheel");

  camera = dvr_config_get_camera (config, "bench2");
  g_assert_nonnull (camera);
  g_assert_cmpuint (camera->index, ==, 3);
  g_assert_cmpint (camera->kind, ==, DVR_SOURCE_KIND_TEST);
  g_assert_cmpstr (camera->pattern, ==, "snow");

  camera = dvr_config_get_camera (config, "replay");
  g_assert_nonnull (camera);
  g_assert_cmpuint (camera->index, ==, 4);
  g_assert_cmpint (camera->kind, ==, DVR_SOURCE_KIND_REPLAY);
  g_assert_cmpstr (camera->location, ==, f->replay);
  g_assert_true (g_str_has_prefix (camera->source, "replay:"));
  g_assert_cmpint (camera->record, ==, DVR_RECORD_MODE_ENCODE);
  /* Half a second of 29.97 fps, rounded up. */
  g_assert_cmpuint (camera->keyframe_interval, ==, 15);

  g_assert_null (dvr_config_get_camera (config, "side"));
}

static void
test_config_defaults (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  const DvrCameraConfig *camera;

  /* CRLF line ends, as a file edited on Windows has. */
  config = fixture_load (f,
      "[recorder]\r\n"
      "storage = @STORAGE@\r\n"
      "[camera only]\r\n"
      "source = test\r\n"
      "framerate = 25\r\n",
      &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (config->unit_id, ==, "dvr");
  g_assert_cmpint (config->segment_ns, ==, 10 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (config->stall_timeout_ns, ==, 5 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (config->restart_backoff_min_ns, ==, 1 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (config->restart_backoff_max_ns, ==, 30 * DVR_NSEC_PER_SEC);
  g_assert_cmpstr (config->control_socket, ==, "/run/dvr/control.sock");
  g_assert_cmpuint (config->control_socket_mode, ==, 0660);
  /* No [storage]: a fixed folder, no fallback, no eject button. */
  g_assert_false (config->storage_removable);
  g_assert_null (config->fallback_root);
  g_assert_cmpuint (config->fallback_size_bytes, ==, G_GUINT64_CONSTANT (1073741824));
  g_assert_null (config->eject_signal);
  g_assert_false (config->reclaim_exported);

  camera = dvr_config_get_camera (config, "only");
  g_assert_nonnull (camera);
  g_assert_cmpint (camera->framerate_n, ==, 25);
  g_assert_cmpint (camera->framerate_d, ==, 1);
  g_assert_cmpuint (camera->keyframe_interval, ==, 13);
  g_assert_cmpstr (camera->pattern, ==, "smpte");
}

static void
test_config_shipped (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(GRegex) storage_line = NULL;
  g_autofree gchar *shipped_path = NULL;
  g_autofree gchar *shipped = NULL;
  g_autofree gchar *rewritten = NULL;
  g_autofree gchar *storage_value = NULL;
  const gchar *source_root = g_getenv ("DVR_SOURCE_ROOT");
  const DvrCameraConfig *camera;

  if (source_root == NULL) {
    g_test_skip ("DVR_SOURCE_ROOT is not set: cannot find config/dvr.conf");
    return;
  }
  shipped_path = g_build_filename (source_root, "config", "dvr.conf", NULL);
  g_assert_true (g_file_get_contents (shipped_path, &shipped, NULL, &error));
  g_assert_no_error (error);

  /* Made with an existing folder, so that the check of one is run. */
  storage_line = g_regex_new ("^[ \\t]*storage[ \\t]*=.*$", G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);
  /* The drive's mount point, where udev/72-dvr-drive.rules mounts it. */
  g_assert_nonnull (strstr (shipped, "\nstorage = /media/dvr\n"));
  storage_value = g_strconcat ("storage = ", f->storage, NULL);
  rewritten = g_regex_replace_literal (storage_line, shipped, -1, 0, storage_value, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rewritten, !=, shipped);

  f->written = g_build_filename (f->root, "dvr.conf", NULL);
  g_assert_true (g_file_set_contents (f->written, rewritten, -1, &error));
  g_assert_no_error (error);

  config = dvr_config_load_file (f->written, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (config->path, ==, f->written);
  g_assert_cmpstr (config->storage_root, ==, f->storage);
  /* Every key in the shipped file is one the code knows. */
  g_assert_cmpuint (config->warnings->len, ==, 0);

  g_assert_cmpuint (config->cameras->len, ==, 3);
  camera = dvr_config_get_camera (config, "front");
  g_assert_nonnull (camera);
  g_assert_cmpint (camera->kind, ==, DVR_SOURCE_KIND_V4L2);
  g_assert_cmpstr (camera->location, ==, "/dev/dvr/cam-front");
  g_assert_cmpint (camera->record, ==, DVR_RECORD_MODE_PASSTHROUGH);
  camera = dvr_config_get_camera (config, "rear");
  g_assert_nonnull (camera);
  g_assert_cmpstr (camera->location, ==, "/dev/dvr/cam-rear");
  camera = dvr_config_get_camera (config, "cabin");
  g_assert_nonnull (camera);
  g_assert_cmpstr (camera->location, ==, "/dev/dvr/cam-cabin");
  g_assert_true (camera->events);
  g_assert_cmpint (camera->pre_event_ns, ==, 120 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (camera->post_event_ns, ==, 30 * DVR_NSEC_PER_SEC);
  camera = dvr_config_get_camera (config, "front");
  g_assert_cmpint (camera->pre_event_ns, ==, 30 * DVR_NSEC_PER_SEC);

  /* Lightbar and siren record, as the built-in set does. */
  g_assert_cmpuint (config->signals->len, ==, 6);
  for (guint i = 0; i < config->signals->len; i++) {
    const DvrSignalConfig *signal = g_ptr_array_index (config->signals, i);
    gboolean records = g_str_equal (signal->name, "lightbar") ||
                       g_str_equal (signal->name, "siren");
    g_assert_cmpint (signal->action, ==, records ? DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE :
                                                   DVR_TRIGGER_ACTION_SENSOR_ONLY);
  }
  g_assert_cmpint (config->max_event_ns, ==, 0);
  g_assert_cmpuint (config->min_free_bytes, ==, 0);
  g_assert_cmpfloat (config->min_free_fraction, ==, 0.05);
  g_assert_cmpfloat (config->max_sweep_fraction, ==, 0.10);
  g_assert_false (config->reclaim_exported);

  /* A vehicle: the removable drive, and the fallback on the system disk. */
  g_assert_true (config->storage_removable);
  g_assert_cmpstr (config->fallback_root, ==, "/var/lib/dvr/fallback");
  g_assert_cmpuint (config->fallback_size_bytes, ==, G_GUINT64_CONSTANT (2) << 30);
  g_assert_null (config->eject_signal);

  /* The checksum is of the bytes read. */
  {
    g_autofree gchar *checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, rewritten, -1);
    g_assert_cmpstr (config->checksum, ==, checksum);
  }

  /* As shipped: the drive's mount point need not exist (no drive was
   * ever mounted on a build machine). */
  {
    g_autoptr(DvrConfig) as_shipped = dvr_config_load_file (shipped_path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (as_shipped->storage_root, ==, "/media/dvr");
    g_assert_cmpuint (as_shipped->warnings->len, ==, 0);
  }
}

static void
test_config_syntax_error (void)
{
  g_autoptr(Fixture) f = fixture_new ();

  assert_load_fails (f, RECORDER "this is not valid\n[camera a]\nsource = test\n",
                     DVR_CONFIG_ERROR_SYNTAX,
                     "test.conf:3: syntax: expected [group], key = value or # comment, "
                     "got \"this is not valid\"");
  /* GKeyFile takes only '#' comments; "; x = y" would be a key "; x". */
  assert_load_fails (f, RECORDER "; old style = comment\n[camera a]\nsource = test\n",
                     DVR_CONFIG_ERROR_SYNTAX,
                     "test.conf:3: syntax: expected [group], key = value or # comment, "
                     "got \"; old style = comment\"");
  assert_load_fails (f, RECORDER "\n[camera a] # front\nsource = test\n",
                     DVR_CONFIG_ERROR_SYNTAX,
                     "test.conf:4: syntax: expected [group], key = value or # comment, "
                     "got \"[camera a] # front\"");
  assert_load_fails (f, RECORDER "[camera a\nsource = test\n",
                     DVR_CONFIG_ERROR_SYNTAX,
                     "test.conf:3: syntax: expected [group], key = value or # comment, "
                     "got \"[camera a\"");
  assert_load_fails (f, RECORDER "[camera a]\nframe rate = 30\nsource = test\n",
                     DVR_CONFIG_ERROR_SYNTAX,
                     "test.conf:4: syntax: expected [group], key = value or # comment, "
                     "got \"frame rate = 30\"");
  assert_load_fails (f, "# comment\nstorage = /srv\n" RECORDER,
                     DVR_CONFIG_ERROR_SYNTAX,
                     "test.conf:2: syntax: expected a [group] line before the first key, "
                     "got \"storage = /srv\"");
}

static void
test_config_unknown_source (void)
{
  g_autoptr(Fixture) f = fixture_new ();

  assert_load_fails (f, RECORDER "\n[camera front]\nsource = rtsp://10.0.0.5/stream\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:5: [camera front] source: unknown camera source, expected "
                     "a device path (/dev/...), test or replay:FILE, got \"rtsp://10.0.0.5/stream\"");
  assert_load_fails (f, RECORDER "[camera front]\nsource = video0\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:4: [camera front] source: unknown camera source, expected "
                     "a device path (/dev/...), test or replay:FILE, got \"video0\"");
}

static void
test_config_bad_framerate (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  const gchar *bad[] = { "abc", "0/1", "30/0", "0", "241", "1/2", "30/", "/1", "-30",
                         "30.5", "99999999999/1" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree gchar *text = g_strdup_printf (RECORDER "[camera front]\nsource = test\n"
                                              "framerate = %s\n", bad[i]);
    g_autofree gchar *message = g_strdup_printf (
        "test.conf:5: [camera front] framerate: expected N/D or N frames per second, "
        "N and D > 0, between 1 and 240, got \"%s\"", bad[i]);
    assert_load_fails (f, text, DVR_CONFIG_ERROR_INVALID_VALUE, message);
  }
}

static void
test_config_missing_key (void)
{
  g_autoptr(Fixture) f = fixture_new ();

  assert_load_fails (f, "\n[recorder]\nunit-id = car\n[camera front]\nsource = test\n",
                     DVR_CONFIG_ERROR_MISSING_KEY,
                     "test.conf:2: [recorder] storage: missing, expected the absolute path "
                     "of an existing folder");
  /* No [recorder] at all: there is no line to name. */
  assert_load_fails (f, "[camera front]\nsource = test\n",
                     DVR_CONFIG_ERROR_MISSING_KEY,
                     "test.conf: [recorder] storage: missing, expected the absolute path "
                     "of an existing folder");
  assert_load_fails (f, RECORDER "[camera front]\nwidth = 640\n",
                     DVR_CONFIG_ERROR_MISSING_KEY,
                     "test.conf:3: [camera front] source: missing, expected a device path "
                     "(/dev/...), test or replay:FILE");
}

static void
test_config_storage_missing (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autofree gchar *absent = g_build_filename (f->root, "absent", NULL);

  assert_load_fails (f, "[recorder]\nstorage = @ROOT@/absent\n[camera a]\nsource = test\n",
                     DVR_CONFIG_ERROR_STORAGE,
                     "test.conf:2: [recorder] storage: \"@ROOT@/absent\" does not exist "
                     "(expected an existing folder)");
  /* Loading never creates the storage folder. */
  g_assert_false (g_file_test (absent, G_FILE_TEST_EXISTS));

  assert_load_fails (f, "[recorder]\nstorage = srv/dvr\n[camera a]\nsource = test\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:2: [recorder] storage: expected the absolute path of an "
                     "existing folder, got \"srv/dvr\"");
}

static void
test_config_storage_not_folder (void)
{
  g_autoptr(Fixture) f = fixture_new ();

  assert_load_fails (f, "[recorder]\nstorage = @FILE@\n[camera a]\nsource = test\n",
                     DVR_CONFIG_ERROR_STORAGE,
                     "test.conf:2: [recorder] storage: \"@FILE@\" is not a folder "
                     "(expected an existing folder)");
}

static void
test_config_duplicate (void)
{
  g_autoptr(Fixture) f = fixture_new ();

  assert_load_fails (f,
                     RECORDER
                     "[camera front]\n"
                     "source = test\n"
                     "[camera rear]\n"
                     "source = test\n"
                     "\n"
                     "[camera front]\n"
                     "source = /dev/video0\n",
                     DVR_CONFIG_ERROR_DUPLICATE,
                     "test.conf:8: [camera front]: duplicate camera, first defined at line 3");
  /* Two GKeyFile groups, one camera. */
  assert_load_fails (f, RECORDER "[camera front]\nsource = test\n[camera  front]\nsource = test\n",
                     DVR_CONFIG_ERROR_DUPLICATE,
                     "test.conf:5: [camera  front]: duplicate camera, first defined at line 3");
  assert_load_fails (f, RECORDER "[camera a]\nsource = test\n[recorder]\nunit-id = x\n",
                     DVR_CONFIG_ERROR_DUPLICATE,
                     "test.conf:5: [recorder]: duplicate group, first defined at line 1");
  /* GKeyFile would silently keep the second width. */
  assert_load_fails (f, RECORDER "[camera a]\nsource = test\nwidth = 640\nwidth = 800\n",
                     DVR_CONFIG_ERROR_DUPLICATE,
                     "test.conf:6: [camera a] width: duplicate key, first set at line 5");
}

static void
test_config_no_camera (void)
{
  g_autoptr(Fixture) f = fixture_new ();

  assert_load_fails (f, RECORDER "[control]\n#[camera front]\n#source = test\n",
                     DVR_CONFIG_ERROR_NO_CAMERA,
                     "test.conf: no [camera NAME] group, expected at least one camera");
}

static void
test_config_bad_replay (void)
{
  g_autoptr(Fixture) f = fixture_new ();

  assert_load_fails (f, RECORDER "[camera old]\nsource = replay:@ROOT@/missing.mkv\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:4: [camera old] source: replay file \"@ROOT@/missing.mkv\": "
                     "No such file or directory (expected an existing file)");
  assert_load_fails (f, RECORDER "[camera old]\nsource = replay:@STORAGE@\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:4: [camera old] source: replay file \"@STORAGE@\" is not a "
                     "regular file (expected an existing file or named pipe)");
  assert_load_fails (f, RECORDER "[camera old]\nsource = replay:clip.mkv\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:4: [camera old] source: expected replay:FILE with the absolute "
                     "path of an existing file, got \"replay:clip.mkv\"");
}

static void
test_config_bad_camera_name (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  const gchar *bad[] = { "Front", "front cam", "front.1", "abcdefghijklmnopqrstuvwxyz0123456", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree gchar *text = g_strdup_printf (RECORDER "[camera %s]\nsource = test\n", bad[i]);
    g_autofree gchar *message = g_strdup_printf (
        "test.conf:3: [camera %s]: expected a camera name of 1 to 32 characters "
        "a-z 0-9 _ -, got \"%s\"", bad[i], bad[i]);
    if (*bad[i] == '\0') {
      g_free (text);
      g_free (message);
      text = g_strdup (RECORDER "[camera]\nsource = test\n");
      message = g_strdup ("test.conf:3: [camera]: expected a camera name of 1 to 32 "
                          "characters a-z 0-9 _ -, got \"\"");
    }
    assert_load_fails (f, text, DVR_CONFIG_ERROR_INVALID_VALUE, message);
  }
}

/* GPS, signals, speed units and watermark. */
static void
test_config_gps_signals (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(DvrConfig) defaults = NULL;
  const DvrSignalConfig *signal;

  config = fixture_load (f,
      RECORDER
      "speed-units = mph\n"
      "[gps]\n"
      "gpsd = 127.0.0.1:29470\n"
      "clock-offset-threshold = 0.5\n"
      "[signal lightbar]\n"
      "source = control\n"
      "[signal takedown-lights]\n"
      "[camera c]\nsource = test\nwatermark = true\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->speed_units, ==, DVR_SPEED_UNITS_MPH);
  g_assert_cmpstr (config->gpsd_host, ==, "127.0.0.1");
  g_assert_cmpstr (config->gpsd_port, ==, "29470");
  g_assert_cmpint (config->clock_offset_threshold_ns, ==, 500 * DVR_NSEC_PER_MSEC);
  g_assert_cmpuint (config->signals->len, ==, 2);
  signal = g_ptr_array_index (config->signals, 1);
  g_assert_cmpstr (signal->name, ==, "takedown-lights");
  g_assert_cmpint (signal->source, ==, DVR_SIGNAL_SOURCE_CONTROL);
  g_assert_true (dvr_config_get_camera (config, "c")->watermark);

  /* Defaults: gpsd on localhost, km/h, the usual vehicle signals, no watermark. */
  defaults = fixture_load (f, RECORDER "[camera c]\nsource = test\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (defaults->speed_units, ==, DVR_SPEED_UNITS_KMH);
  g_assert_cmpstr (defaults->gpsd_host, ==, "localhost");
  g_assert_cmpstr (defaults->gpsd_port, ==, "2947");
  g_assert_cmpint (defaults->clock_offset_threshold_ns, ==, 2 * DVR_NSEC_PER_SEC);
  g_assert_cmpuint (defaults->signals->len, ==, 6);
  g_assert_cmpstr (((DvrSignalConfig *) g_ptr_array_index (defaults->signals, 0))->name, ==,
                   "ignition");
  g_assert_false (dvr_config_get_camera (defaults, "c")->watermark);
  g_clear_pointer (&defaults, dvr_config_free);

  /* gpsd = none: record without GPS. */
  defaults = fixture_load (f, RECORDER "[gps]\ngpsd = none\n[camera c]\nsource = test\n", &error);
  g_assert_no_error (error);
  g_assert_null (defaults->gpsd_host);

  assert_load_fails (f, RECORDER "[gps]\ngpsd = localhost\n[camera c]\nsource = test\n",
      DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [gps] gpsd: expected HOST:PORT of gpsd such "
      "as localhost:2947, or none, got \"localhost\"");
  assert_load_fails (f, RECORDER "[signal lightbar]\n[signal  lightbar]\n[camera c]\nsource = test\n",
      DVR_CONFIG_ERROR_DUPLICATE, "test.conf:4: [signal  lightbar]: duplicate signal, first "
      "defined at line 3");
  assert_load_fails (f, RECORDER "[signal Light Bar]\n[camera c]\nsource = test\n",
      DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:3: [signal Light Bar]: expected a signal name "
      "of 1 to 32 characters a-z 0-9 _ -, got \"Light Bar\"");
  assert_load_fails (f, RECORDER "[signal x]\nsource = gpi0\n[camera c]\nsource = test\n",
      DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [signal x] source: expected one of "
      "control, evdev, gpio, serial, speed, accel, got \"gpi0\"");
  assert_load_fails (f, RECORDER "speed-units = knots\n[camera c]\nsource = test\n",
      DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:3: [recorder] speed-units: expected one of "
      "kmh, mph, got \"knots\"");
}

static void
test_config_unknown_key_warning (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;

  config = fixture_load (f,
      RECORDER
      "colour = red\n"
      "[camera front]\n"
      "source = /dev/video0\n"
      "contrast = 10\n"
      "pattern = ball\n"
      "[radar]\n"
      "device = /dev/ttyUSB0\n",
      &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpuint (config->cameras->len, ==, 1);
  g_assert_cmpuint (config->warnings->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 0), ==,
                   "test.conf:3: [recorder] colour: unknown key, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 1), ==,
                   "test.conf:6: [camera front] contrast: unknown key, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 2), ==,
                   "test.conf:7: [camera front] pattern: only used with source = test, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 3), ==,
                   "test.conf:8: [radar]: unknown group, ignored");
  g_assert_null (dvr_config_get_camera (config, "front")->pattern);
}

typedef struct {
  const gchar *lines;   /* after RECORDER and "[camera c]\nsource = test\n" (lines 1-4) */
  const gchar *message;
} RangeCase;

static void
test_config_out_of_range (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  const RangeCase cases[] = {
    { "width = 8\n", "test.conf:5: [camera c] width: expected pixels between 16 and 7680, got \"8\"" },
    { "height = 4321\n", "test.conf:5: [camera c] height: expected pixels between 16 and 4320, got \"4321\"" },
    { "width = -640\n", "test.conf:5: [camera c] width: expected pixels between 16 and 7680, got \"-640\"" },
    { "bitrate = 50\n", "test.conf:5: [camera c] bitrate: expected kbit/s between 100 and 100000, got \"50\"" },
    { "keyframe-interval = 0\n", "test.conf:5: [camera c] keyframe-interval: expected frames between 1 and 1000, got \"0\"" },
    { "record = raw\n", "test.conf:5: [camera c] record: expected one of auto, passthrough, encode, got \"raw\"" },
    { "encoder = nvh264enc\n", "test.conf:5: [camera c] encoder: expected one of auto, x264enc, openh264enc, v4l2h264enc, got \"nvh264enc\"" },
    { "mjpeg = keep\n", "test.conf:5: [camera c] mjpeg: expected one of store, transcode, got \"keep\"" },
    { "power-line-frequency = 50Hz\n", "test.conf:5: [camera c] power-line-frequency: expected one of disabled, 50, 60, auto, got \"50Hz\"" },
    { "exposure = night\n", "test.conf:5: [camera c] exposure: expected one of auto, manual, shutter-priority, aperture-priority, got \"night\"" },
    { "white-balance = on\n", "test.conf:5: [camera c] white-balance: expected one of manual, auto, got \"on\"" },
    { "brightness = bright\n", "test.conf:5: [camera c] brightness: expected an integer in the camera's range (dvrd --probe shows it), got \"bright\"" },
    { "brightness = 99999999999\n", "test.conf:5: [camera c] brightness: expected an integer in the camera's range (dvrd --probe shows it), got \"99999999999\"" },
    { "pattern = plaid\n", "test.conf:5: [camera c] pattern: expected a videotestsrc pattern such as smpte, ball, snow, pinwheel, spokes, gradient, colors, zone-plate, got \"plaid\"" },
  };
  const RangeCase recorder_cases[] = {
    { "segment-length = 0\n", "test.conf:3: [recorder] segment-length: expected seconds between 1 and 3600, got \"0\"" },
    { "segment-length = 3600.5\n", "test.conf:3: [recorder] segment-length: expected seconds between 1 and 3600, got \"3600.5\"" },
    { "segment-length = 1e3\n", "test.conf:3: [recorder] segment-length: expected seconds between 1 and 3600, got \"1e3\"" },
    { "segment-length = 10s\n", "test.conf:3: [recorder] segment-length: expected seconds between 1 and 3600, got \"10s\"" },
    { "stall-timeout = 61\n", "test.conf:3: [recorder] stall-timeout: expected seconds between 1 and 60, got \"61\"" },
    { "restart-backoff-min = 10\nrestart-backoff-max = 5\n", "test.conf:4: [recorder] restart-backoff-max: expected seconds >= restart-backoff-min (10), got \"5\"" },
    { "restart-backoff-min = 60\n", "test.conf:3: [recorder] restart-backoff-min: expected seconds <= restart-backoff-max (30), got \"60\"" },
    { "unit-id = car 7\n", "test.conf:3: [recorder] unit-id: expected 1 to 64 characters A-Z a-z 0-9 . _ -, got \"car 7\"" },
    { "[control]\nsocket-mode = 0999\n", "test.conf:4: [control] socket-mode: expected octal permissions from 0000 to 0777 such as 0660, got \"0999\"" },
    { "[control]\nsocket-mode = rw-rw----\n", "test.conf:4: [control] socket-mode: expected octal permissions from 0000 to 0777 such as 0660, got \"rw-rw----\"" },
    { "[control]\nsocket = dvr.sock\n", "test.conf:4: [control] socket: expected an absolute path of at most 107 bytes, got \"dvr.sock\"" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = g_strconcat (RECORDER "[camera c]\nsource = test\n", cases[i].lines, NULL);
    assert_load_fails (f, text, DVR_CONFIG_ERROR_INVALID_VALUE, cases[i].message);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (recorder_cases); i++) {
    g_autofree gchar *text = g_strconcat (RECORDER, recorder_cases[i].lines,
                                          "[camera c]\nsource = test\n", NULL);
    assert_load_fails (f, text, DVR_CONFIG_ERROR_INVALID_VALUE, recorder_cases[i].message);
  }
}

static const DvrSignalConfig *
get_signal (const DvrConfig *config, const gchar *name)
{
  for (guint i = 0; i < config->signals->len; i++) {
    const DvrSignalConfig *signal = g_ptr_array_index (config->signals, i);
    if (g_str_equal (signal->name, name))
      return signal;
  }
  return NULL;
}

/* [events], [retention], the cameras' event keys and signal actions. */
static void
test_config_events_retention (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *checksum = NULL;
  const DvrCameraConfig *camera;

  text = fixture_expand (f,
      RECORDER
      "[camera front]\n"
      "source = test\n"
      "pre-event = 10\n"
      "[camera rear]\n"
      "source = test\n"
      "events = false\n"
      "post-event = 0\n"
      "[camera cabin]\n"
      "source = test\n"
      "events = true\n"
      "[signal ignition]\n"
      "[signal lightbar]\n"
      "action = record-while-active\n"
      "[signal siren]\n"
      "action = start-event\n"
      "[signal button]\n"
      "action = mark\n"
      "[signal reset]\n"
      "action = stop-event\n"
      "[signal brake]\n"
      "action = sensor-only\n"
      /* After the cameras: its defaults still reach them. */
      "[events]\n"
      "pre-event = 45\n"
      "post-event = 60.5\n"
      "max-duration = 3600\n"
      "[retention]\n"
      "min-free = 2G\n"
      "max-sweep = 25%\n"
      "reclaim-exported = true\n");
  config = dvr_config_load_data (text, strlen (text), DISPLAY_NAME, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpuint (config->warnings->len, ==, 0);

  camera = dvr_config_get_camera (config, "front");
  g_assert_true (camera->events);
  g_assert_cmpint (camera->pre_event_ns, ==, 10 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (camera->post_event_ns, ==, 60500 * DVR_NSEC_PER_MSEC);
  camera = dvr_config_get_camera (config, "rear");
  g_assert_false (camera->events);
  g_assert_cmpint (camera->pre_event_ns, ==, 45 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (camera->post_event_ns, ==, 0);
  camera = dvr_config_get_camera (config, "cabin");
  g_assert_true (camera->events);
  g_assert_cmpint (camera->pre_event_ns, ==, 45 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (camera->post_event_ns, ==, 60500 * DVR_NSEC_PER_MSEC);

  g_assert_cmpint (config->max_event_ns, ==, 3600 * DVR_NSEC_PER_SEC);
  g_assert_cmpuint (config->min_free_bytes, ==, G_GUINT64_CONSTANT (2) << 30);
  g_assert_cmpfloat (config->min_free_fraction, ==, 0.0);
  g_assert_cmpfloat (config->max_sweep_fraction, ==, 0.25);
  g_assert_true (config->reclaim_exported);

  g_assert_cmpuint (config->signals->len, ==, 6);
  /* Named in the file without an action: sensor-only, whatever the name. */
  g_assert_cmpint (get_signal (config, "ignition")->action, ==, DVR_TRIGGER_ACTION_SENSOR_ONLY);
  g_assert_cmpint (get_signal (config, "lightbar")->action, ==,
                   DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE);
  g_assert_cmpint (get_signal (config, "siren")->action, ==, DVR_TRIGGER_ACTION_START_EVENT);
  g_assert_cmpint (get_signal (config, "button")->action, ==, DVR_TRIGGER_ACTION_MARK);
  g_assert_cmpint (get_signal (config, "reset")->action, ==, DVR_TRIGGER_ACTION_STOP_EVENT);
  g_assert_cmpint (get_signal (config, "brake")->action, ==, DVR_TRIGGER_ACTION_SENSOR_ONLY);

  checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  g_assert_cmpstr (config->checksum, ==, checksum);
  g_assert_cmpuint (strlen (config->checksum), ==, 64);
}

static void
test_config_events_retention_defaults (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(DvrConfig) other = NULL;
  g_autoptr(DvrConfig) named = NULL;
  const DvrCameraConfig *camera;

  config = fixture_load (f, RECORDER "[camera c]\nsource = test\n", &error);
  g_assert_no_error (error);
  camera = dvr_config_get_camera (config, "c");
  g_assert_true (camera->events);
  g_assert_cmpint (camera->pre_event_ns, ==, 30 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (camera->post_event_ns, ==, 30 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (config->max_event_ns, ==, 0);
  g_assert_cmpuint (config->min_free_bytes, ==, 0);
  g_assert_cmpfloat (config->min_free_fraction, ==, 0.05);
  g_assert_cmpfloat (config->max_sweep_fraction, ==, 0.10);
  /* Evidence is kept until deleted by hand, exported or not. */
  g_assert_false (config->reclaim_exported);

  /* The built-in signals: lightbar and siren record while on. */
  g_assert_cmpuint (config->signals->len, ==, 6);
  g_assert_cmpint (get_signal (config, "ignition")->action, ==, DVR_TRIGGER_ACTION_SENSOR_ONLY);
  g_assert_cmpint (get_signal (config, "lightbar")->action, ==,
                   DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE);
  g_assert_cmpint (get_signal (config, "siren")->action, ==,
                   DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE);
  g_assert_cmpint (get_signal (config, "brake")->action, ==, DVR_TRIGGER_ACTION_SENSOR_ONLY);
  g_assert_cmpint (get_signal (config, "door")->action, ==, DVR_TRIGGER_ACTION_SENSOR_ONLY);
  g_assert_cmpint (get_signal (config, "aux")->action, ==, DVR_TRIGGER_ACTION_SENSOR_ONLY);

  /* A file that names its signals gets no built-in action. */
  named = fixture_load (f, RECORDER "[signal lightbar]\n[camera c]\nsource = test\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (named->signals->len, ==, 1);
  g_assert_cmpint (get_signal (named, "lightbar")->action, ==, DVR_TRIGGER_ACTION_SENSOR_ONLY);

  /* One byte more, another checksum. */
  other = fixture_load (f, RECORDER "[camera c]\nsource = test\n\n", &error);
  g_assert_no_error (error);
  g_assert_nonnull (config->checksum);
  g_assert_cmpstr (config->checksum, !=, other->checksum);
}

typedef struct {
  const gchar *value;
  guint64 bytes;
  gdouble fraction;
} MinFreeCase;

static void
test_config_min_free (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  const MinFreeCase cases[] = {
    { "512M", G_GUINT64_CONSTANT (512) << 20, 0.0 },
    { "1073741824", G_GUINT64_CONSTANT (1) << 30, 0.0 },
    { "33554432", G_GUINT64_CONSTANT (32) << 20, 0.0 },
    { "32M", G_GUINT64_CONSTANT (32) << 20, 0.0 },
    { "32768K", G_GUINT64_CONSTANT (32) << 20, 0.0 },
    { "2g", G_GUINT64_CONSTANT (2) << 30, 0.0 },
    { "1T", G_GUINT64_CONSTANT (1) << 40, 0.0 },
    { "5%", 0, 0.05 },
    { "2.5%", 0, 0.025 },
    { "99.5%", 0, 0.995 },
    { "0.001%", 0, 0.00001 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *text = g_strdup_printf (RECORDER "[retention]\nmin-free = %s\n"
                                              "[camera c]\nsource = test\n", cases[i].value);
    g_autoptr(DvrConfig) config = fixture_load (f, text, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (config->min_free_bytes, ==, cases[i].bytes);
    g_assert_cmpfloat_with_epsilon (config->min_free_fraction, cases[i].fraction, 1e-15);
    g_assert_cmpfloat (config->max_sweep_fraction, ==, 0.10);
  }
}

static void
test_config_events_retention_bad (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  /* Lines 3 and 4: the group and the key; the camera follows. */
  const RangeCase group_cases[] = {
    { "[events]\npre-event = -1\n", "test.conf:4: [events] pre-event: expected seconds between 0 and 86400, got \"-1\"" },
    { "[events]\npost-event = 86400.5\n", "test.conf:4: [events] post-event: expected seconds between 0 and 86400, got \"86400.5\"" },
    { "[events]\npost-event = 30s\n", "test.conf:4: [events] post-event: expected seconds between 0 and 86400, got \"30s\"" },
    { "[events]\nmax-duration = 0.5\n", "test.conf:4: [events] max-duration: expected 0 (no limit) or seconds between 1 and 86400, got \"0.5\"" },
    { "[events]\nmax-duration = 86401\n", "test.conf:4: [events] max-duration: expected 0 (no limit) or seconds between 1 and 86400, got \"86401\"" },
    { "[events]\nmax-duration = forever\n", "test.conf:4: [events] max-duration: expected 0 (no limit) or seconds between 1 and 86400, got \"forever\"" },
    { "[retention]\nmin-free = abc\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"abc\"" },
    { "[retention]\nmin-free = 16M\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"16M\"" },
    { "[retention]\nmin-free = 33554431\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"33554431\"" },
    { "[retention]\nmin-free = 0%\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"0%\"" },
    { "[retention]\nmin-free = 100%\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"100%\"" },
    { "[retention]\nmin-free = -5%\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"-5%\"" },
    { "[retention]\nmin-free = 1.5G\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"1.5G\"" },
    { "[retention]\nmin-free = 2GB\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"2GB\"" },
    { "[retention]\nmin-free = 99999999999999999999\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"99999999999999999999\"" },
    { "[retention]\nmin-free = 16777216T\n", "test.conf:4: [retention] min-free: expected a size of at least 32M (bytes, or with a suffix K, M, G or T; 1K = 1024) or a percentage of the drive above 0 and below 100, such as 2G or 5%, got \"16777216T\"" },
    { "[retention]\nmax-sweep = 0%\n", "test.conf:4: [retention] max-sweep: expected a percentage of the drive above 0 and at most 100, such as 10%, got \"0%\"" },
    { "[retention]\nmax-sweep = 100.5%\n", "test.conf:4: [retention] max-sweep: expected a percentage of the drive above 0 and at most 100, such as 10%, got \"100.5%\"" },
    { "[retention]\nmax-sweep = 10\n", "test.conf:4: [retention] max-sweep: expected a percentage of the drive above 0 and at most 100, such as 10%, got \"10\"" },
    { "[retention]\nmax-sweep = 256M\n", "test.conf:4: [retention] max-sweep: expected a percentage of the drive above 0 and at most 100, such as 10%, got \"256M\"" },
    { "[retention]\nreclaim-exported = yes\n", "test.conf:4: [retention] reclaim-exported: expected one of false, true, got \"yes\"" },
    { "[signal lightbar]\naction = record\n", "test.conf:4: [signal lightbar] action: expected one of sensor-only, start-event, record-while-active, mark, stop-event, got \"record\"" },
  };
  /* After RECORDER and "[camera c]\nsource = test\n": line 5. */
  const RangeCase camera_cases[] = {
    { "events = yes\n", "test.conf:5: [camera c] events: expected one of false, true, got \"yes\"" },
    { "pre-event = 86401\n", "test.conf:5: [camera c] pre-event: expected seconds between 0 and 86400, got \"86401\"" },
    { "post-event = 1m\n", "test.conf:5: [camera c] post-event: expected seconds between 0 and 86400, got \"1m\"" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (group_cases); i++) {
    g_autofree gchar *text = g_strconcat (RECORDER, group_cases[i].lines,
                                          "[camera c]\nsource = test\n", NULL);
    assert_load_fails (f, text, DVR_CONFIG_ERROR_INVALID_VALUE, group_cases[i].message);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (camera_cases); i++) {
    g_autofree gchar *text = g_strconcat (RECORDER "[camera c]\nsource = test\n",
                                          camera_cases[i].lines, NULL);
    assert_load_fails (f, text, DVR_CONFIG_ERROR_INVALID_VALUE, camera_cases[i].message);
  }
}

static void
test_config_unreadable (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *absent = g_build_filename (f->root, "absent.conf", NULL);
  g_autofree gchar *expected = g_strconcat (absent, ": cannot read: No such file or directory",
                                            NULL);
  g_autoptr(DvrConfig) config = dvr_config_load_file (absent, &error);

  g_assert_null (config);
  g_assert_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_IO);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_config_to_string (void)
{
  g_assert_cmpstr (dvr_source_kind_to_string (DVR_SOURCE_KIND_V4L2), ==, "v4l2");
  g_assert_cmpstr (dvr_source_kind_to_string (DVR_SOURCE_KIND_TEST), ==, "test");
  g_assert_cmpstr (dvr_source_kind_to_string (DVR_SOURCE_KIND_REPLAY), ==, "replay");
  g_assert_cmpstr (dvr_record_mode_to_string (DVR_RECORD_MODE_AUTO), ==, "auto");
  g_assert_cmpstr (dvr_record_mode_to_string (DVR_RECORD_MODE_PASSTHROUGH), ==, "passthrough");
  g_assert_cmpstr (dvr_record_mode_to_string (DVR_RECORD_MODE_ENCODE), ==, "encode");
}

/* The commented examples of config/dvr.conf's [signal], [power] and
 * [indicator] groups: "#[group]" and the "#key = value" lines under it,
 * uncommented, parse without a warning. */
static void
test_config_shipped_examples (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(GString) text = g_string_new (RECORDER "[camera c]\nsource = test\n");
  g_autofree gchar *shipped_path = NULL;
  g_autofree gchar *shipped = NULL;
  g_autofree gchar *expanded = NULL;
  g_auto(GStrv) lines = NULL;
  const gchar *source_root = g_getenv ("DVR_SOURCE_ROOT");
  gboolean in_example = FALSE;
  guint groups = 0;

  if (source_root == NULL) {
    g_test_skip ("DVR_SOURCE_ROOT is not set: cannot find config/dvr.conf");
    return;
  }
  shipped_path = g_build_filename (source_root, "config", "dvr.conf", NULL);
  g_assert_true (g_file_get_contents (shipped_path, &shipped, NULL, &error));
  g_assert_no_error (error);

  lines = g_strsplit (shipped, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const gchar *line = lines[i];

    if (g_str_has_prefix (line, "#[signal ") || g_str_has_prefix (line, "#[power]") ||
        g_str_has_prefix (line, "#[indicator ")) {
      in_example = TRUE;
      groups++;
    } else if (!in_example || !g_regex_match_simple ("^#[a-z-]+ = ", line, 0, 0)) {
      in_example = FALSE;
      continue;
    }
    g_string_append_printf (text, "%s\n", line + 1);
  }
  g_assert_cmpuint (groups, ==, 12);

  expanded = fixture_expand (f, text->str);
  config = dvr_config_load_data (expanded, strlen (expanded), DISPLAY_NAME, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->warnings->len, ==, 0);
  g_assert_cmpint (get_signal (config, "ignition")->source, ==, DVR_SIGNAL_SOURCE_SERIAL);
  g_assert_cmpint (get_signal (config, "siren")->source, ==, DVR_SIGNAL_SOURCE_GPIO);
  g_assert_cmpint (get_signal (config, "button")->source, ==, DVR_SIGNAL_SOURCE_EVDEV);
  g_assert_true (get_signal (config, "button")->button);
  g_assert_cmpint (get_signal (config, "eject")->source, ==, DVR_SIGNAL_SOURCE_EVDEV);
  g_assert_false (get_signal (config, "eject")->button);
  g_assert_cmpint (get_signal (config, "speeding")->source, ==, DVR_SIGNAL_SOURCE_SPEED);
  g_assert_cmpint (get_signal (config, "crash")->source, ==, DVR_SIGNAL_SOURCE_ACCEL);
  g_assert_cmpstr (config->ignition_signal, ==, "ignition");
  g_assert_cmpstr (config->power_off_argv[0], ==, "/usr/bin/systemctl");
  g_assert_cmpuint (config->indicators->len, ==, 2);
}

/* Vehicle inputs: every source's keys, [power] and [indicator]. */
static void
test_config_inputs (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  const DvrSignalConfig *signal;
  const DvrIndicatorConfig *indicator;

  config = fixture_load (f,
      RECORDER
      "[signal button]\n"
      "source = evdev\n"
      "device = /dev/dvr/button\n"
      "code = KEY_PROG1\n"
      "active-low = true\n"
      "debounce = 0.05\n"
      "button = true\n"
      "long-press = 1.5\n"
      "action = mark\n"
      "[signal lid]\n"
      "source = evdev\n"
      "device = /dev/input/event3\n"
      "code = SW_LID\n"
      "[signal numbered]\n"
      "source = evdev\n"
      "device = /dev/input/event3\n"
      "code = 148\n"
      "[signal happy]\n"
      "source = evdev\n"
      "device = /dev/input/event4\n"
      "code = BTN_TRIGGER_HAPPY40\n"
      "[signal door]\n"
      "source = gpio\n"
      "chip = gpiochip0\n"
      "line = 17\n"
      "active-low = true\n"
      "[signal ignition]\n"
      "source = serial\n"
      "device = /dev/ttyUSB0\n"
      "input = IGN\n"
      "baud = 19200\n"
      "debounce = 0.5\n"
      "[signal lightbar]\n"
      "source = serial\n"
      "device = /dev/ttyUSB0\n"
      "action = record-while-active\n"
      "[signal fast]\n"
      "source = speed\n"
      "threshold = 80\n"
      "[signal crash]\n"
      "source = accel\n"
      "device = /dev/dvr/accel\n"
      "threshold = 2.5\n"
      "hold = 5\n"
      "units-per-g = 256\n"
      "action = start-event\n"
      "[power]\n"
      "ignition = ignition\n"
      "ignition-debounce = 1.5\n"
      "hold-over = 900\n"
      "power-off-command = /usr/bin/systemctl  \"power off\" --no-wall\n"
      "covert = lid\n"
      "[indicator rec]\n"
      "output = gpio\n"
      "chip = /dev/gpiochip1\n"
      "line = 4\n"
      "active-low = true\n"
      "shows = recording, event\n"
      "[indicator alarm-led]\n"
      "output = evdev\n"
      "device = /dev/dvr/button\n"
      "led = LED_MISC\n"
      "shows = alarm\n"
      "[indicator all]\n"
      "output = evdev\n"
      "device = /dev/dvr/button\n"
      "led = 9\n"
      "shows = idle,recording,event,alarm\n"
      "[camera c]\nsource = test\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->warnings->len, ==, 0);
  g_assert_cmpuint (config->signals->len, ==, 9);

  signal = get_signal (config, "button");
  g_assert_cmpint (signal->source, ==, DVR_SIGNAL_SOURCE_EVDEV);
  g_assert_cmpint (signal->action, ==, DVR_TRIGGER_ACTION_MARK);
  g_assert_cmpstr (signal->device, ==, "/dev/dvr/button");
  g_assert_cmpuint (signal->code_type, ==, EV_KEY);
  g_assert_cmpuint (signal->code, ==, KEY_PROG1);
  g_assert_true (signal->active_low);
  g_assert_cmpint (signal->debounce_ns, ==, 50 * DVR_NSEC_PER_MSEC);
  g_assert_true (signal->button);
  g_assert_cmpint (signal->long_press_ns, ==, 1500 * DVR_NSEC_PER_MSEC);

  signal = get_signal (config, "lid");
  g_assert_cmpuint (signal->code_type, ==, EV_SW);
  g_assert_cmpuint (signal->code, ==, SW_LID);
  g_assert_false (signal->active_low);
  g_assert_cmpint (signal->debounce_ns, ==, 0);
  g_assert_false (signal->button);
  signal = get_signal (config, "numbered");
  g_assert_cmpuint (signal->code_type, ==, EV_KEY);
  g_assert_cmpuint (signal->code, ==, 148);
  signal = get_signal (config, "happy");
  g_assert_cmpuint (signal->code_type, ==, EV_KEY);
  g_assert_cmpuint (signal->code, ==, BTN_TRIGGER_HAPPY40);

  signal = get_signal (config, "door");
  g_assert_cmpint (signal->source, ==, DVR_SIGNAL_SOURCE_GPIO);
  g_assert_cmpstr (signal->chip, ==, "gpiochip0");
  g_assert_cmpuint (signal->line, ==, 17);
  g_assert_true (signal->active_low);
  g_assert_cmpint (signal->debounce_ns, ==, 200 * DVR_NSEC_PER_MSEC);

  signal = get_signal (config, "ignition");
  g_assert_cmpint (signal->source, ==, DVR_SIGNAL_SOURCE_SERIAL);
  g_assert_cmpstr (signal->device, ==, "/dev/ttyUSB0");
  g_assert_cmpstr (signal->input, ==, "IGN");
  g_assert_cmpuint (signal->baud, ==, 19200);
  g_assert_cmpint (signal->debounce_ns, ==, 500 * DVR_NSEC_PER_MSEC);
  /* The port's speed is the one already given; the input is the name. */
  signal = get_signal (config, "lightbar");
  g_assert_cmpstr (signal->input, ==, "lightbar");
  g_assert_cmpuint (signal->baud, ==, 19200);
  g_assert_cmpint (signal->action, ==, DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE);

  /* km/h to m/s. */
  signal = get_signal (config, "fast");
  g_assert_cmpint (signal->source, ==, DVR_SIGNAL_SOURCE_SPEED);
  g_assert_cmpfloat_with_epsilon (signal->threshold, 80 / 3.6, 1e-9);
  g_assert_cmpfloat_with_epsilon (signal->hysteresis, 5 / 3.6, 1e-9);

  signal = get_signal (config, "crash");
  g_assert_cmpint (signal->source, ==, DVR_SIGNAL_SOURCE_ACCEL);
  g_assert_cmpstr (signal->device, ==, "/dev/dvr/accel");
  g_assert_cmpfloat (signal->threshold, ==, 2.5);
  g_assert_cmpint (signal->hold_ns, ==, 5 * DVR_NSEC_PER_SEC);
  g_assert_cmpfloat (signal->units_per_g, ==, 256);

  g_assert_cmpstr (config->ignition_signal, ==, "ignition");
  g_assert_cmpint (config->ignition_debounce_ns, ==, 1500 * DVR_NSEC_PER_MSEC);
  g_assert_cmpint (config->hold_over_ns, ==, 900 * DVR_NSEC_PER_SEC);
  g_assert_cmpstr (config->covert_signal, ==, "lid");
  /* Words as a shell splits them, quotes removed, nothing expanded. */
  g_assert_nonnull (config->power_off_argv);
  g_assert_cmpuint (g_strv_length (config->power_off_argv), ==, 3);
  g_assert_cmpstr (config->power_off_argv[0], ==, "/usr/bin/systemctl");
  g_assert_cmpstr (config->power_off_argv[1], ==, "power off");
  g_assert_cmpstr (config->power_off_argv[2], ==, "--no-wall");

  g_assert_cmpuint (config->indicators->len, ==, 3);
  indicator = g_ptr_array_index (config->indicators, 0);
  g_assert_cmpstr (indicator->name, ==, "rec");
  g_assert_cmpint (indicator->output, ==, DVR_INDICATOR_OUTPUT_GPIO);
  g_assert_cmpstr (indicator->chip, ==, "/dev/gpiochip1");
  g_assert_cmpuint (indicator->line, ==, 4);
  g_assert_true (indicator->active_low);
  g_assert_cmpuint (indicator->shows, ==, DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT);
  indicator = g_ptr_array_index (config->indicators, 1);
  g_assert_cmpstr (indicator->name, ==, "alarm-led");
  g_assert_cmpint (indicator->output, ==, DVR_INDICATOR_OUTPUT_EVDEV);
  g_assert_cmpstr (indicator->device, ==, "/dev/dvr/button");
  g_assert_cmpuint (indicator->led, ==, LED_MISC);
  g_assert_cmpuint (indicator->shows, ==, DVR_INDICATOR_ALARM);
  indicator = g_ptr_array_index (config->indicators, 2);
  g_assert_cmpuint (indicator->led, ==, 9);
  g_assert_cmpuint (indicator->shows, ==, DVR_INDICATOR_IDLE | DVR_INDICATOR_RECORDING |
                                          DVR_INDICATOR_EVENT | DVR_INDICATOR_ALARM);
}

static void
test_config_inputs_defaults (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(DvrConfig) builtin = NULL;
  const DvrSignalConfig *signal;

  /* [recorder] after the speed signals: their speeds are still in mph. */
  config = fixture_load (f,
      "[signal key]\nsource = evdev\ndevice = /dev/input/event0\ncode = BTN_0\n"
      "[signal pin]\nsource = gpio\nchip = 0\nline = 0\n"
      "[signal io]\nsource = serial\ndevice = /dev/ttyS0\n"
      "[signal fast]\nsource = speed\nthreshold = 50\n"
      "[signal crawl]\nsource = speed\nthreshold = 3\n"
      "[signal bump]\nsource = accel\ndevice = /dev/input/event1\nthreshold = 0.5\n"
      "[signal manual]\n"
      "[recorder]\nstorage = @STORAGE@\nspeed-units = mph\n"
      "[camera c]\nsource = test\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->warnings->len, ==, 0);

  signal = get_signal (config, "key");
  g_assert_false (signal->active_low);
  g_assert_cmpint (signal->debounce_ns, ==, 0);
  g_assert_false (signal->button);
  g_assert_cmpint (signal->long_press_ns, ==, 2 * DVR_NSEC_PER_SEC);
  signal = get_signal (config, "pin");
  g_assert_cmpstr (signal->chip, ==, "0");
  g_assert_cmpuint (signal->line, ==, 0);
  g_assert_false (signal->active_low);
  g_assert_cmpint (signal->debounce_ns, ==, 200 * DVR_NSEC_PER_MSEC);
  signal = get_signal (config, "io");
  g_assert_cmpstr (signal->input, ==, "io");
  g_assert_cmpuint (signal->baud, ==, 9600);
  g_assert_cmpint (signal->debounce_ns, ==, 0);
  signal = get_signal (config, "fast");
  g_assert_cmpfloat_with_epsilon (signal->threshold, 50 * 0.44704, 1e-9);
  g_assert_cmpfloat_with_epsilon (signal->hysteresis, 5 * 0.44704, 1e-9);
  /* A threshold under the default hysteresis: off only at a standstill. */
  signal = get_signal (config, "crawl");
  g_assert_cmpfloat_with_epsilon (signal->hysteresis, signal->threshold, 1e-9);
  signal = get_signal (config, "bump");
  g_assert_cmpfloat (signal->threshold, ==, 0.5);
  g_assert_cmpint (signal->hold_ns, ==, 2 * DVR_NSEC_PER_SEC);
  g_assert_cmpfloat (signal->units_per_g, ==, 0);
  signal = get_signal (config, "manual");
  g_assert_cmpint (signal->source, ==, DVR_SIGNAL_SOURCE_CONTROL);
  g_assert_null (signal->device);

  /* No [power]: always record, no power-off command. */
  g_assert_null (config->ignition_signal);
  g_assert_cmpint (config->ignition_debounce_ns, ==, 2 * DVR_NSEC_PER_SEC);
  g_assert_cmpint (config->hold_over_ns, ==, 600 * DVR_NSEC_PER_SEC);
  g_assert_null (config->power_off_argv);
  g_assert_null (config->covert_signal);
  g_assert_cmpuint (config->indicators->len, ==, 0);

  /* The built-in signals count as signals for [power]. */
  builtin = fixture_load (f, RECORDER "[power]\nignition = ignition\n[camera c]\nsource = test\n",
                          &error);
  g_assert_no_error (error);
  g_assert_cmpstr (builtin->ignition_signal, ==, "ignition");
  g_assert_cmpint (get_signal (builtin, "ignition")->source, ==, DVR_SIGNAL_SOURCE_CONTROL);
}

/* Keys that the source (or the indicator's output) does not use. */
static void
test_config_inputs_warnings (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;

  config = fixture_load (f,
      RECORDER
      "[signal manual]\n"
      "device = /dev/input/event0\n"
      "[signal key]\n"
      "source = evdev\n"
      "device = /dev/input/event0\n"
      "code = KEY_A\n"
      "long-press = 3\n"
      "baud = 9600\n"
      "[indicator rec]\n"
      "output = gpio\n"
      "chip = gpiochip0\n"
      "line = 3\n"
      "led = LED_MISC\n"
      "shows = recording\n"
      "[camera c]\nsource = test\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->warnings->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 0), ==,
                   "test.conf:4: [signal manual] device: only used with source = evdev, serial "
                   "or accel, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 1), ==,
                   "test.conf:10: [signal key] baud: only used with source = serial, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 2), ==,
                   "test.conf:9: [signal key] long-press: only used with button = true or as "
                   "[storage] eject-button, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 3), ==,
                   "test.conf:15: [indicator rec] led: only used with output = evdev, ignored");
  g_assert_null (get_signal (config, "manual")->device);
}

typedef struct {
  const gchar *lines;   /* after RECORDER (lines 1-2): from line 3 */
  DvrConfigError code;
  const gchar *message;
} InputCase;

static void
test_config_inputs_bad (void)
{
  g_autoptr(Fixture) f = fixture_new ();
#define EVDEV "[signal b]\nsource = evdev\n"
#define CODE_WHAT "expected a KEY_*, BTN_* or SW_* name such as KEY_PROG1, BTN_0 or SW_LID " \
                  "(linux/input-event-codes.h), or a key code from 0 to 767"
#define GPIO "[signal b]\nsource = gpio\n"
#define SERIAL "[signal b]\nsource = serial\ndevice = /dev/ttyS0\n"
#define SPEED "[signal b]\nsource = speed\n"
#define ACCEL "[signal b]\nsource = accel\ndevice = /dev/input/event2\n"
#define POWER_OFF_WHAT "expected a program's absolute path and its arguments, such as " \
                       "/usr/bin/systemctl poweroff (split into words as a shell would, never " \
                       "run by one)"
#define LED_WHAT "expected an LED_* name such as LED_MISC (linux/input-event-codes.h), or a " \
                 "number from 0 to 15"
#define SHOWS_WHAT "expected a comma-separated list of idle, recording, event, alarm"
  const InputCase cases[] = {
    /* evdev */
    { EVDEV "code = KEY_A\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] device: missing, expected the absolute path of an input device such as /dev/dvr/button" },
    { EVDEV "device = dvr/button\ncode = KEY_A\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [signal b] device: expected the absolute path of an input device such as /dev/dvr/button, got \"dvr/button\"" },
    { EVDEV "device = /dev/dvr/button\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] code: missing, " CODE_WHAT },
    { EVDEV "device = /dev/dvr/button\ncode = KEY_PROG5\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] code: " CODE_WHAT ", got \"KEY_PROG5\"" },
    { EVDEV "device = /dev/dvr/button\ncode = key_a\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] code: " CODE_WHAT ", got \"key_a\"" },
    { EVDEV "device = /dev/dvr/button\ncode = 768\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] code: " CODE_WHAT ", got \"768\"" },
    { EVDEV "device = /dev/dvr/button\ncode = LED_MISC\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] code: " CODE_WHAT ", got \"LED_MISC\"" },
    { EVDEV "device = /dev/dvr/button\ncode = BTN_TRIGGER_HAPPY41\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] code: " CODE_WHAT ", got \"BTN_TRIGGER_HAPPY41\"" },
    { EVDEV "device = /dev/dvr/button\ncode = BTN_TRIGGER_HAPPY0\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] code: " CODE_WHAT ", got \"BTN_TRIGGER_HAPPY0\"" },
    { EVDEV "device = /dev/dvr/button\ncode = BTN_0\nactive-low = yes\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [signal b] active-low: expected one of false, true, got \"yes\"" },
    { EVDEV "device = /dev/dvr/button\ncode = BTN_0\ndebounce = 10.5\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [signal b] debounce: expected seconds between 0 and 10, got \"10.5\"" },
    { EVDEV "device = /dev/dvr/button\ncode = BTN_0\nbutton = 1\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [signal b] button: expected one of false, true, got \"1\"" },
    { EVDEV "device = /dev/dvr/button\ncode = BTN_0\nbutton = true\nlong-press = 0.05\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:8: [signal b] long-press: expected seconds between 0.1 and 60, got \"0.05\"" },
    /* gpio */
    { GPIO "line = 3\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] chip: missing, expected a GPIO chip: gpiochipN, /dev/gpiochipN or the chip's label" },
    { GPIO "chip = gpiochip0\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] line: missing, expected a line offset on the chip between 0 and 65535" },
    { GPIO "chip = gpiochip0\nline = 65536\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] line: expected a line offset on the chip between 0 and 65535, got \"65536\"" },
    { GPIO "chip = gpiochip0\nline = GPIO17\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] line: expected a line offset on the chip between 0 and 65535, got \"GPIO17\"" },
    { "[signal a]\nsource = gpio\nchip = gpiochip0\nline = 3\n" GPIO "chip = gpiochip0\nline = 3\n", DVR_CONFIG_ERROR_DUPLICATE, "test.conf:10: [signal b] line: gpiochip0 line 3 is already signal a's" },
    /* serial */
    { "[signal b]\nsource = serial\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] device: missing, expected the absolute path of a serial port such as /dev/ttyUSB0" },
    { SERIAL "baud = 14400\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] baud: expected one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, got \"14400\"" },
    { SERIAL "input = I G N\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] input: expected the module's name of the input: 1 to 32 printable ASCII characters without spaces, got \"I G N\"" },
    { "[signal a]\nsource = serial\ndevice = /dev/ttyS0\ninput = b\n" SERIAL, DVR_CONFIG_ERROR_DUPLICATE, "test.conf:7: [signal b] input: \"b\" on /dev/ttyS0 is already signal a's" },
    { "[signal a]\nsource = serial\ndevice = /dev/ttyS0\nbaud = 38400\n" SERIAL "baud = 9600\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:10: [signal b] baud: expected 38400, the speed of signal a on the same port, got \"9600\"" },
    /* speed */
    { SPEED, DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] threshold: missing, expected a speed in [recorder] speed-units above 0 and at most 500" },
    { SPEED "threshold = 0\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [signal b] threshold: expected a speed in [recorder] speed-units above 0 and at most 500, got \"0\"" },
    { SPEED "threshold = 500.5\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [signal b] threshold: expected a speed in [recorder] speed-units above 0 and at most 500, got \"500.5\"" },
    { SPEED "threshold = 80km/h\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [signal b] threshold: expected a speed in [recorder] speed-units above 0 and at most 500, got \"80km/h\"" },
    { SPEED "threshold = 30\nhysteresis = 30.5\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] hysteresis: expected a speed in [recorder] speed-units from 0 to the threshold (30), got \"30.5\"" },
    /* accel */
    { "[signal b]\nsource = accel\nthreshold = 2\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] device: missing, expected the absolute path of an accelerometer's input device such as /dev/dvr/accel" },
    { ACCEL, DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [signal b] threshold: missing, expected g above 0 and at most 100" },
    { ACCEL "threshold = -1\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [signal b] threshold: expected g above 0 and at most 100, got \"-1\"" },
    { ACCEL "threshold = 2\nhold = 601\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [signal b] hold: expected seconds between 0 and 600, got \"601\"" },
    { ACCEL "threshold = 2\nunits-per-g = 0\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [signal b] units-per-g: expected raw axis units per g above 0 and at most 1000000, got \"0\"" },
    /* [power] */
    { "[signal ign]\n[power]\nignition = ignition\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [power] ignition: expected the name of a signal ([signal NAME]), got \"ignition\"" },
    { "[power]\ncovert = stealth\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [power] covert: expected the name of a signal ([signal NAME]), got \"stealth\"" },
    { "[power]\nignition-debounce = 31\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [power] ignition-debounce: expected seconds between 0 and 30, got \"31\"" },
    { "[power]\nhold-over = 86400.5\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [power] hold-over: expected seconds between 0 and 86400, got \"86400.5\"" },
    { "[power]\npower-off-command = systemctl poweroff\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [power] power-off-command: " POWER_OFF_WHAT ", got \"systemctl poweroff\"" },
    { "[power]\npower-off-command = /usr/bin/systemctl 'poweroff\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [power] power-off-command: " POWER_OFF_WHAT ", got \"/usr/bin/systemctl 'poweroff\"" },
    { "[power]\npower-off-command =\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [power] power-off-command: " POWER_OFF_WHAT ", got \"\"" },
    { "[power]\npower-off-command = $HALT\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [power] power-off-command: " POWER_OFF_WHAT ", got \"$HALT\"" },
    /* [indicator] */
    { "[indicator Rec]\noutput = gpio\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:3: [indicator Rec]: expected an indicator name of 1 to 32 characters a-z 0-9 _ -, got \"Rec\"" },
    { "[indicator rec]\nshows = recording\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [indicator rec] output: missing, expected one of gpio, evdev" },
    { "[indicator rec]\noutput = pwm\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [indicator rec] output: expected one of gpio, evdev, got \"pwm\"" },
    { "[indicator rec]\noutput = gpio\nline = 2\nshows = event\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [indicator rec] chip: missing, expected a GPIO chip: gpiochipN, /dev/gpiochipN or the chip's label" },
    { "[indicator rec]\noutput = evdev\ndevice = /dev/dvr/button\nshows = event\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [indicator rec] led: missing, " LED_WHAT },
    { "[indicator rec]\noutput = evdev\ndevice = /dev/dvr/button\nled = 16\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [indicator rec] led: " LED_WHAT ", got \"16\"" },
    { "[indicator rec]\noutput = evdev\ndevice = /dev/dvr/button\nled = KEY_A\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [indicator rec] led: " LED_WHAT ", got \"KEY_A\"" },
    { "[indicator rec]\noutput = gpio\nchip = gpiochip0\nline = 2\n", DVR_CONFIG_ERROR_MISSING_KEY, "test.conf:3: [indicator rec] shows: missing, " SHOWS_WHAT },
    { "[indicator rec]\noutput = gpio\nchip = gpiochip0\nline = 2\nshows = recording,\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [indicator rec] shows: " SHOWS_WHAT ", got \"recording,\"" },
    { "[indicator rec]\noutput = gpio\nchip = gpiochip0\nline = 2\nshows = blink\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [indicator rec] shows: " SHOWS_WHAT ", got \"blink\"" },
    { "[indicator rec]\noutput = gpio\nchip = gpiochip0\nline = 2\nshows = idle\n[indicator  rec]\n", DVR_CONFIG_ERROR_DUPLICATE, "test.conf:8: [indicator  rec]: duplicate indicator, first defined at line 3" },
  };
#undef EVDEV
#undef CODE_WHAT
#undef GPIO
#undef SERIAL
#undef SPEED
#undef ACCEL
#undef POWER_OFF_WHAT
#undef LED_WHAT
#undef SHOWS_WHAT

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = g_strconcat (RECORDER, cases[i].lines, "[camera c]\nsource = test\n",
                                          NULL);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].message);
    assert_load_fails (f, text, cases[i].code, cases[i].message);
  }
}

/* [storage]: the removable drive, the fallback folder, the eject button. */
static void
test_config_storage (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(DvrConfig) before = NULL;
  g_autoptr(DvrConfig) smallest = NULL;
  g_autofree gchar *fallback = g_build_filename (f->root, "fallback", NULL);
  g_autofree gchar *beside = g_strconcat (f->storage, "-fallback", NULL);
  const DvrSignalConfig *signal;

  config = fixture_load (f,
      RECORDER
      "[signal eject]\n"
      "source = gpio\n"
      "chip = gpiochip0\n"
      "line = 5\n"
      "long-press = 3\n"
      "[storage]\n"
      "removable = true\n"
      "fallback = @ROOT@/fallback/\n"
      "fallback-size = 512M\n"
      "eject-button = eject\n"
      "[camera c]\nsource = test\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->warnings->len, ==, 0);
  g_assert_true (config->storage_removable);
  g_assert_cmpstr (config->storage_root, ==, f->storage);
  g_assert_cmpstr (config->fallback_root, ==, fallback);
  g_assert_cmpuint (config->fallback_size_bytes, ==, G_GUINT64_CONSTANT (512) << 20);
  g_assert_cmpstr (config->eject_signal, ==, "eject");
  /* Not the event button, yet its long-press is read: it is what ejects. */
  signal = get_signal (config, "eject");
  g_assert_false (signal->button);
  g_assert_cmpint (signal->long_press_ns, ==, 3 * DVR_NSEC_PER_SEC);
  /* Loading never makes the fallback folder (fixture_free() checks that
   * nothing else was left either). */
  g_assert_false (g_file_test (fallback, G_FILE_TEST_EXISTS));

  /* [storage] before the signal, its long-press left at the default;
   * the fallback right beside the storage folder, which is not inside it. */
  before = fixture_load (f,
      RECORDER
      "[storage]\n"
      "eject-button = eject\n"
      "fallback = @STORAGE@-fallback\n"
      "removable = true\n"
      "[signal eject]\n"
      "source = serial\n"
      "device = /dev/dvr/io\n"
      "input = EJECT\n"
      "[camera c]\nsource = test\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->warnings->len, ==, 0);
  g_assert_cmpstr (before->eject_signal, ==, "eject");
  g_assert_cmpint (get_signal (before, "eject")->long_press_ns, ==, 2 * DVR_NSEC_PER_SEC);
  g_assert_cmpstr (before->fallback_root, ==, beside);
  g_assert_cmpuint (before->fallback_size_bytes, ==, G_GUINT64_CONSTANT (1) << 30);

  /* The smallest fallback, without an eject button. */
  smallest = fixture_load (f,
      RECORDER "[storage]\nremovable = true\nfallback = /var/lib/dvr/fb\nfallback-size = 64M\n"
      "[camera c]\nsource = test\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (smallest->fallback_size_bytes, ==, G_GUINT64_CONSTANT (64) << 20);
  g_assert_null (smallest->eject_signal);
  g_clear_pointer (&smallest, dvr_config_free);
  /* Removable without a fallback: a car started before its drive is in
   * would not record at all. */
  smallest = fixture_load (f, RECORDER "[storage]\nremovable = true\n[camera c]\nsource = test\n",
                           &error);
  g_assert_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "[storage] fallback: missing"));
  g_assert_null (smallest);
  g_clear_error (&error);
  smallest = fixture_load (f, RECORDER "[storage]\nremovable = false\n[camera c]\nsource = test\n",
                           &error);
  g_assert_no_error (error);
  g_assert_false (smallest->storage_removable);
  g_assert_cmpint (smallest->sync_interval_ns, ==, G_GINT64_CONSTANT (1000000000));
  g_clear_pointer (&smallest, dvr_config_free);

  /* sync-interval: 0 turns the periodic sync off; fixed or removable. */
  smallest = fixture_load (f, RECORDER "[storage]\nsync-interval = 0\n[camera c]\nsource = test\n",
                           &error);
  g_assert_no_error (error);
  g_assert_cmpint (smallest->sync_interval_ns, ==, 0);
  g_clear_pointer (&smallest, dvr_config_free);
  smallest = fixture_load (f, RECORDER "[storage]\nsync-interval = 0.25\n[camera c]\nsource = test\n",
                           &error);
  g_assert_no_error (error);
  g_assert_cmpint (smallest->sync_interval_ns, ==, G_GINT64_CONSTANT (250000000));
  assert_load_fails (f, RECORDER "[storage]\nsync-interval = 0.05\n[camera c]\nsource = test\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:4: [storage] sync-interval: expected 0 (off) or seconds between "
                     "0.1 and 10, got \"0.05\"");
  assert_load_fails (f, RECORDER "[storage]\nsync-interval = 11\n[camera c]\nsource = test\n",
                     DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:4: [storage] sync-interval: expected 0 (off) or seconds between "
                     "0.1 and 10, got \"11\"");
}

/* A removable drive's mount point need not exist: a unit that boots
 * without its drive records into the fallback meanwhile. */
static void
test_config_storage_mount_point (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autofree gchar *mount_point = g_build_filename (f->root, "media", "dvr", NULL);

  config = fixture_load (f,
      "[recorder]\nstorage = @ROOT@/media/dvr\n"
      "[storage]\nremovable = true\nfallback = @ROOT@/fallback\n"
      "[camera c]\nsource = test\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->storage_root, ==, mount_point);
  g_assert_false (g_file_test (mount_point, G_FILE_TEST_EXISTS));

  /* [storage] after [recorder] or before it: the same. */
  g_clear_pointer (&config, dvr_config_free);
  config = fixture_load (f,
      "[storage]\nremovable = true\nfallback = @ROOT@/fallback\n"
      "[recorder]\nstorage = @ROOT@/media/dvr\n"
      "[camera c]\nsource = test\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->storage_root, ==, mount_point);

  /* Something else in its place, a relative path, none at all. */
  assert_load_fails (f, "[recorder]\nstorage = @FILE@\n[storage]\nremovable = true\nfallback = /var/lib/dvr/fb\n"
                     "[camera c]\nsource = test\n", DVR_CONFIG_ERROR_STORAGE,
                     "test.conf:2: [recorder] storage: \"@FILE@\" is not a folder (expected an "
                     "existing folder)");
  assert_load_fails (f, "[recorder]\nstorage = media/dvr\n[storage]\nremovable = true\nfallback = /var/lib/dvr/fb\n"
                     "[camera c]\nsource = test\n", DVR_CONFIG_ERROR_INVALID_VALUE,
                     "test.conf:2: [recorder] storage: expected the absolute path of the "
                     "removable drive's mount point, got \"media/dvr\"");
  assert_load_fails (f, "[recorder]\nunit-id = car\n[storage]\nremovable = true\nfallback = /var/lib/dvr/fb\n"
                     "[camera c]\nsource = test\n", DVR_CONFIG_ERROR_MISSING_KEY,
                     "test.conf:1: [recorder] storage: missing, expected the absolute path of "
                     "the removable drive's mount point");
  /* Without removable it still has to exist. */
  assert_load_fails (f, "[recorder]\nstorage = @ROOT@/media/dvr\n[storage]\nremovable = false\n"
                     "[camera c]\nsource = test\n", DVR_CONFIG_ERROR_STORAGE,
                     "test.conf:2: [recorder] storage: \"@ROOT@/media/dvr\" does not exist "
                     "(expected an existing folder)");
}

typedef struct {
  const gchar *lines;   /* after RECORDER (lines 1-2): from line 3 */
  DvrConfigError code;
  const gchar *message;
} StorageCase;

static void
test_config_storage_bad (void)
{
  g_autoptr(Fixture) f = fixture_new ();
#define REMOVABLE "[storage]\nremovable = true\n"
#define FALLBACK_WHAT "expected a folder outside [recorder] storage (@STORAGE@) that does not " \
                      "contain it either"
#define SIZE_WHAT "expected a size of at least 64M (bytes, or with a suffix K, M, G or T; " \
                  "1K = 1024), such as 2G"
#define GPIO_EJECT "[signal eject]\nsource = gpio\nchip = gpiochip0\nline = 5\n"
  const StorageCase cases[] = {
    { "[storage]\nremovable = yes\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [storage] removable: expected one of false, true, got \"yes\"" },
    { REMOVABLE "fallback = var/lib/dvr\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] fallback: expected the absolute path of a folder (dvrd makes it), got \"var/lib/dvr\"" },
    { REMOVABLE "fallback = @FILE@\n", DVR_CONFIG_ERROR_STORAGE, "test.conf:5: [storage] fallback: \"@FILE@\" is not a folder (expected a folder, or nothing yet: dvrd makes it)" },
    /* The storage folder itself, inside it, containing it. */
    { REMOVABLE "fallback = @STORAGE@\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] fallback: " FALLBACK_WHAT ", got \"@STORAGE@\"" },
    { REMOVABLE "fallback = @STORAGE@/\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] fallback: " FALLBACK_WHAT ", got \"@STORAGE@\"" },
    { REMOVABLE "fallback = @STORAGE@/fallback\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] fallback: " FALLBACK_WHAT ", got \"@STORAGE@/fallback\"" },
    { REMOVABLE "fallback = @ROOT@/x/../storage/fallback\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] fallback: " FALLBACK_WHAT ", got \"@STORAGE@/fallback\"" },
    { REMOVABLE "fallback = @ROOT@\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] fallback: " FALLBACK_WHAT ", got \"@ROOT@\"" },
    { REMOVABLE "fallback = /\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] fallback: " FALLBACK_WHAT ", got \"/\"" },
    /* Sizes: min-free's form, but no percentage, and at least 64M. */
    { REMOVABLE "fallback = /var/lib/dvr/fb\nfallback-size = 5%\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [storage] fallback-size: " SIZE_WHAT ", got \"5%\"" },
    { REMOVABLE "fallback = /var/lib/dvr/fb\nfallback-size = 63M\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [storage] fallback-size: " SIZE_WHAT ", got \"63M\"" },
    { REMOVABLE "fallback = /var/lib/dvr/fb\nfallback-size = 67108863\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [storage] fallback-size: " SIZE_WHAT ", got \"67108863\"" },
    { REMOVABLE "fallback = /var/lib/dvr/fb\nfallback-size = 1.5G\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [storage] fallback-size: " SIZE_WHAT ", got \"1.5G\"" },
    { REMOVABLE "fallback = /var/lib/dvr/fb\nfallback-size = 2GB\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [storage] fallback-size: " SIZE_WHAT ", got \"2GB\"" },
    { REMOVABLE "fallback = /var/lib/dvr/fb\nfallback-size = 16777216T\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:6: [storage] fallback-size: " SIZE_WHAT ", got \"16777216T\"" },
    /* The eject button: a signal, held by hand, not the event button. */
    { REMOVABLE "eject-button = eject\nfallback = /var/lib/dvr/fb\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] eject-button: expected the name of a signal ([signal NAME]), got \"eject\"" },
    { REMOVABLE "eject-button = lightbar\nfallback = /var/lib/dvr/fb\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:5: [storage] eject-button: expected a signal with source = evdev, gpio or serial (signal lightbar is source = control, which has no presses), got \"lightbar\"" },
    { "[signal fast]\nsource = speed\nthreshold = 80\n" REMOVABLE "eject-button = fast\nfallback = /var/lib/dvr/fb\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:8: [storage] eject-button: expected a signal with source = evdev, gpio or serial (signal fast is source = speed, which has no presses), got \"fast\"" },
    { GPIO_EJECT "button = true\n" REMOVABLE "eject-button = eject\nfallback = /var/lib/dvr/fb\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:10: [storage] eject-button: expected a signal other than the event button (signal eject has button = true, and its long press stops events), got \"eject\"" },
    /* Its long-press is checked as the event button's is. */
    { GPIO_EJECT "long-press = 0.05\n" REMOVABLE "eject-button = eject\nfallback = /var/lib/dvr/fb\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:7: [signal eject] long-press: expected seconds between 0.1 and 60, got \"0.05\"" },
    { REMOVABLE "eject-button = eject\n" GPIO_EJECT "long-press = 61\n", DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:10: [signal eject] long-press: expected seconds between 0.1 and 60, got \"61\"" },
  };
  g_autofree gchar *fallback = g_build_filename (f->storage, "fallback", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = g_strconcat (RECORDER, cases[i].lines, "[camera c]\nsource = test\n",
                                          NULL);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].message);
    assert_load_fails (f, text, cases[i].code, cases[i].message);
  }
  g_assert_false (g_file_test (fallback, G_FILE_TEST_EXISTS));
#undef REMOVABLE
#undef FALLBACK_WHAT
#undef SIZE_WHAT
#undef GPIO_EJECT
}

/* Keys that do nothing as written: warned about and ignored. */
static void
test_config_storage_warnings (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(DvrConfig) no_fallback = NULL;

  config = fixture_load (f,
      RECORDER
      "[signal eject]\nsource = gpio\nchip = gpiochip0\nline = 5\nlong-press = 3\n"
      "[storage]\n"
      "fallback = /var/lib/dvr/fallback\n"
      "fallback-size = 2G\n"
      "eject-button = eject\n"
      "size = 2G\n"
      "[camera c]\nsource = test\n",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->warnings->len, ==, 5);
  /* Without removable the eject button is no reason to read long-press. */
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 0), ==,
                   "test.conf:7: [signal eject] long-press: only used with button = true or as "
                   "[storage] eject-button, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 1), ==,
                   "test.conf:12: [storage] size: unknown key, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 2), ==,
                   "test.conf:9: [storage] fallback: only used with removable = true, ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 3), ==,
                   "test.conf:10: [storage] fallback-size: only used with removable = true, "
                   "ignored");
  g_assert_cmpstr (g_ptr_array_index (config->warnings, 4), ==,
                   "test.conf:11: [storage] eject-button: only used with removable = true, "
                   "ignored");
  g_assert_false (config->storage_removable);
  g_assert_null (config->fallback_root);
  g_assert_cmpuint (config->fallback_size_bytes, ==, G_GUINT64_CONSTANT (1) << 30);
  g_assert_null (config->eject_signal);
  g_assert_cmpint (get_signal (config, "eject")->long_press_ns, ==, 2 * DVR_NSEC_PER_SEC);

  no_fallback = fixture_load (f,
      RECORDER "[storage]\nremovable = true\nfallback-size = 2G\n[camera c]\nsource = test\n",
      &error);
  g_assert_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_MISSING_KEY);
  g_assert_null (no_fallback);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/valid", test_config_valid);
  g_test_add_func ("/config/defaults", test_config_defaults);
  g_test_add_func ("/config/shipped", test_config_shipped);
  g_test_add_func ("/config/syntax-error", test_config_syntax_error);
  g_test_add_func ("/config/unknown-source", test_config_unknown_source);
  g_test_add_func ("/config/bad-framerate", test_config_bad_framerate);
  g_test_add_func ("/config/missing-key", test_config_missing_key);
  g_test_add_func ("/config/storage-missing", test_config_storage_missing);
  g_test_add_func ("/config/storage-not-folder", test_config_storage_not_folder);
  g_test_add_func ("/config/duplicate", test_config_duplicate);
  g_test_add_func ("/config/no-camera", test_config_no_camera);
  g_test_add_func ("/config/bad-replay", test_config_bad_replay);
  g_test_add_func ("/config/bad-camera-name", test_config_bad_camera_name);
  g_test_add_func ("/config/unknown-key-warning", test_config_unknown_key_warning);
  g_test_add_func ("/config/gps-signals", test_config_gps_signals);
  g_test_add_func ("/config/out-of-range", test_config_out_of_range);
  g_test_add_func ("/config/events-retention", test_config_events_retention);
  g_test_add_func ("/config/events-retention-defaults", test_config_events_retention_defaults);
  g_test_add_func ("/config/min-free", test_config_min_free);
  g_test_add_func ("/config/events-retention-bad", test_config_events_retention_bad);
  g_test_add_func ("/config/unreadable", test_config_unreadable);
  g_test_add_func ("/config/to-string", test_config_to_string);
  g_test_add_func ("/config/inputs", test_config_inputs);
  g_test_add_func ("/config/inputs-defaults", test_config_inputs_defaults);
  g_test_add_func ("/config/inputs-warnings", test_config_inputs_warnings);
  g_test_add_func ("/config/inputs-bad", test_config_inputs_bad);
  g_test_add_func ("/config/shipped-examples", test_config_shipped_examples);
  g_test_add_func ("/config/storage", test_config_storage);
  g_test_add_func ("/config/storage-mount-point", test_config_storage_mount_point);
  g_test_add_func ("/config/storage-bad", test_config_storage_bad);
  g_test_add_func ("/config/storage-warnings", test_config_storage_warnings);

  return g_test_run ();
}
