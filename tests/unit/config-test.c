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
#include "dvr-utils.h"

#include <glib/gstdio.h>
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
  g_assert_cmpuint (camera->keyframe_interval, ==, 30);

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
  /* One second of 29.97 fps, rounded up. */
  g_assert_cmpuint (camera->keyframe_interval, ==, 30);

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

  camera = dvr_config_get_camera (config, "only");
  g_assert_nonnull (camera);
  g_assert_cmpint (camera->framerate_n, ==, 25);
  g_assert_cmpint (camera->framerate_d, ==, 1);
  g_assert_cmpuint (camera->keyframe_interval, ==, 25);
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

  /* The shipped storage (/srv/dvr) need not exist here. */
  storage_line = g_regex_new ("^[ \\t]*storage[ \\t]*=.*$", G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);
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

  /* The checksum is of the bytes read. */
  {
    g_autofree gchar *checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, rewritten, -1);
    g_assert_cmpstr (config->checksum, ==, checksum);
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
  assert_load_fails (f, RECORDER "[signal x]\nsource = gpio\n[camera c]\nsource = test\n",
      DVR_CONFIG_ERROR_INVALID_VALUE, "test.conf:4: [signal x] source: expected one of "
      "control, got \"gpio\"");
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
      "max-sweep = 25%\n");
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

  return g_test_run ();
}
