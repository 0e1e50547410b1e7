/* Shared helpers for the test suites.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-test-util.h"

#include <gst/gst.h>
#include <gst/app/app.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dvr-control.h"
#include "dvr-utils.h"

gdouble
dvr_test_timeout_scale (void)
{
  const gchar *text = g_getenv ("DVR_TEST_TIMEOUT_SCALE");

  if (text != NULL && *text != '\0') {
    gchar *end = NULL;
    gdouble scale = g_ascii_strtod (text, &end);
    if (end != NULL && *end == '\0' && scale >= 1.0 && scale <= 1000.0)
      return scale;
    g_error ("DVR_TEST_TIMEOUT_SCALE=%s: expected a number from 1 to 1000", text);
  }
  return dvr_test_under_wrapper () ? 10.0 : 1.0;
}

guint
dvr_test_timeout_ms (guint ms)
{
  return (guint) MIN ((gdouble) ms * dvr_test_timeout_scale (), (gdouble) G_MAXUINT);
}

gboolean
dvr_test_under_wrapper (void)
{
  const gchar *wrapper = g_getenv ("DVRD_WRAPPER");

  for (; wrapper != NULL && *wrapper != '\0'; wrapper++)
    if (!g_ascii_isspace (*wrapper))
      return TRUE;
  return FALSE;
}

typedef struct {
  DvrTestDecode *out;
} DecodeState;

static void
handoff_cb (GstElement *sink, GstBuffer *buf, GstPad *pad, gpointer user_data)
{
  DvrTestDecode *out = user_data;
  gint64 pts = GST_BUFFER_PTS_IS_VALID (buf) ? (gint64) GST_BUFFER_PTS (buf) : -1;
  gint64 duration = GST_BUFFER_DURATION_IS_VALID (buf) ? (gint64) GST_BUFFER_DURATION (buf) : 0;
  out->frames++;
  if (pts >= 0) {
    if (out->first_pts < 0 || pts < out->first_pts)
      out->first_pts = pts;
    if (pts > out->last_pts) {
      out->last_pts = pts;
      out->last_end = pts + duration;
    }
  }
}

static void
pad_added_cb (GstElement *demux, GstPad *pad, gpointer user_data)
{
  GstElement *next = user_data;
  g_autoptr (GstPad) sink = gst_element_get_static_pad (next, "sink");
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  if (caps != NULL && !g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "video/") &&
      !g_str_has_prefix (gst_structure_get_name (gst_caps_get_structure (caps, 0)), "image/"))
    return;
  if (!gst_pad_is_linked (sink))
    gst_pad_link (pad, sink);
}

gboolean
dvr_test_decode_file (const gchar *path, DvrTestDecode *out, GError **error)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *demux = gst_element_factory_make ("matroskademux", NULL);
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstElement *tee = gst_element_factory_make ("identity", NULL);
  GstElement *decode = gst_element_factory_make ("decodebin", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GstPad) qpad = NULL;
  g_autoptr (GstCaps) caps = NULL;

  memset (out, 0, sizeof (*out));
  out->first_pts = out->last_pts = out->last_end = -1;
  g_assert_nonnull (sink);
  g_object_set (src, "location", path, NULL);
  g_object_set (sink, "signal-handoffs", TRUE, "sync", FALSE, NULL);
  g_signal_connect (sink, "handoff", G_CALLBACK (handoff_cb), out);
  gst_bin_add_many (GST_BIN (pipeline), src, demux, queue, tee, decode, sink, NULL);
  gst_element_link (src, demux);
  gst_element_link (queue, tee);
  gst_element_link (tee, decode);
  g_signal_connect (demux, "pad-added", G_CALLBACK (pad_added_cb), queue);
  g_signal_connect (decode, "pad-added", G_CALLBACK (pad_added_cb), sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, dvr_test_timeout_ms (60000) * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  qpad = gst_element_get_static_pad (tee, "src");
  caps = gst_pad_get_current_caps (qpad);
  if (caps != NULL)
    out->codec = g_strdup (gst_structure_get_name (gst_caps_get_structure (caps, 0)));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "decode %s: timed out", path);
    return FALSE;
  }
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) gerr = NULL;
    g_autofree gchar *debug = NULL;
    gst_message_parse_error (msg, &gerr, &debug);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "decode %s: %s (%s)", path,
        gerr->message, debug ? debug : "");
    return FALSE;
  }
  if (out->frames == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "decode %s: no frame", path);
    return FALSE;
  }
  return TRUE;
}

void
dvr_test_decode_clear (DvrTestDecode *decode)
{
  g_clear_pointer (&decode->codec, g_free);
}

gchar *
dvr_test_sha256_file (const gchar *path, GError **error)
{
  g_autofree gchar *data = NULL;
  gsize len;
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

gchar *
dvr_test_mkdtemp (void)
{
  g_autoptr (GError) error = NULL;
  gchar *path = g_dir_make_tmp ("dvr-test-XXXXXX", &error);
  g_assert_no_error (error);
  return path;
}

void
dvr_test_rmtree (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;
  if (dir == NULL) {
    g_remove (path);
    return;
  }
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      dvr_test_rmtree (child);
    else
      g_remove (child);
  }
  g_rmdir (path);
}

gboolean
dvr_test_make_clip (const gchar *path, guint width, guint height, guint fps,
    guint seconds, GError **error)
{
  g_autofree gchar *description = g_strdup_printf (
      "videotestsrc pattern=ball num-buffers=%u ! video/x-raw,width=%u,height=%u,framerate=%u/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=%u ! h264parse ! matroskamux ! "
      "filesink location=\"%s\"", fps * seconds, width, height, fps, fps, path);
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, error);
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  if (pipeline == NULL)
    return FALSE;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, dvr_test_timeout_ms (120000) * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (msg == NULL || GST_MESSAGE_TYPE (msg) != GST_MESSAGE_EOS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "making clip %s failed", path);
    return FALSE;
  }
  return TRUE;
}

void
dvr_test_wait_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  while (g_get_monotonic_time () < end) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10000);
  }
}

JsonObject *
dvr_test_daemon_status (DvrTestDaemon *daemon, GError **error)
{
  g_autoptr (JsonObject) request = json_object_new ();
  json_object_set_string_member (request, "cmd", "status");
  return dvr_control_call (daemon->socket_path, request, dvr_test_timeout_ms (5000), error);
}

JsonObject *
dvr_test_status_camera (JsonObject *status, const gchar *name)
{
  JsonArray *cameras = json_object_get_array_member (status, "cameras");
  for (guint i = 0; cameras != NULL && i < json_array_get_length (cameras); i++) {
    JsonObject *camera = json_array_get_object_element (cameras, i);
    if (g_strcmp0 (json_object_get_string_member (camera, "name"), name) == 0)
      return camera;
  }
  return NULL;
}

/* A test that fails an assertion aborts without cleanup: the kernel then
 * kills its dvrd, which must not outlive it and load the machine. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

JsonObject *
dvr_test_daemon_wait (DvrTestDaemon *daemon, guint timeout_ms,
    DvrTestStatusFunc func, gpointer user_data)
{
  gint64 end = g_get_monotonic_time () + (gint64) dvr_test_timeout_ms (timeout_ms) * 1000;

  while (g_get_monotonic_time () < end) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) status = dvr_test_daemon_status (daemon, &error);
    g_assert_no_error (error);
    if (func (status, user_data))
      return g_steal_pointer (&status);
    dvr_test_wait_ms (20);
  }
  return NULL;
}

void
dvr_test_daemon_print_log (DvrTestDaemon *daemon)
{
  g_autofree gchar *log = NULL;
  g_file_get_contents (daemon->log_path, &log, NULL, NULL);
  g_printerr ("dvrd log:\n%s\n", log ? log : "");
}

DvrTestDaemon *
dvr_test_daemon_start (const gchar *folder, const gchar *config_text, GError **error)
{
  return dvr_test_daemon_start_with_env (folder, config_text, NULL, error);
}

gint
dvr_test_daemon_stop (DvrTestDaemon *daemon, guint timeout_ms, gint64 *elapsed_ms)
{
  gint64 start = g_get_monotonic_time ();
  gint64 limit_us = (gint64) dvr_test_timeout_ms (timeout_ms) * 1000;

  g_subprocess_send_signal (daemon->process, SIGTERM);
  while (g_get_monotonic_time () - start < limit_us) {
    if (g_subprocess_get_identifier (daemon->process) == NULL) {
      if (elapsed_ms != NULL)
        *elapsed_ms = (g_get_monotonic_time () - start) / 1000;
      return g_subprocess_get_if_exited (daemon->process) ?
          g_subprocess_get_exit_status (daemon->process) : 128 + g_subprocess_get_term_sig (daemon->process);
    }
    dvr_test_wait_ms (10);
  }
  if (elapsed_ms != NULL)
    *elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_subprocess_force_exit (daemon->process);
  g_subprocess_wait (daemon->process, NULL, NULL);
  return -1;
}

void
dvr_test_daemon_free (DvrTestDaemon *daemon)
{
  if (daemon == NULL)
    return;
  if (daemon->process != NULL && g_subprocess_get_identifier (daemon->process) != NULL) {
    g_subprocess_force_exit (daemon->process);
    g_subprocess_wait (daemon->process, NULL, NULL);
  }
  g_clear_object (&daemon->process);
  g_free (daemon->config_path);
  g_free (daemon->socket_path);
  g_free (daemon->log_path);
  g_free (daemon);
}

gint
dvr_test_run (const gchar * const *argv, gchar **out, gchar **err)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = g_subprocess_newv (argv,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

/* ---- Loop-mounted filesystems ---- */

/* Undoes a loop mount once its stdin reaches end of file, that is when the
 * test process is gone or has closed the pipe, however it ended.  It runs
 * in a session of its own and ignores the signals a test runner sends to
 * the test's process group. */
static const gchar loop_guardian_script[] =
  "trap '' HUP INT TERM PIPE\n"
  "PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH\n"
  "dir= loop= mnt=\n"
  "while IFS= read -r line; do\n"
  "  case $line in\n"
  "    dir\\ *) dir=${line#dir } ;;\n"
  "    loop\\ *) loop=${line#loop } ;;\n"
  "    mount\\ *) mnt=${line#mount } ;;\n"
  "  esac\n"
  "done\n"
  "rc=0\n"
  "if [ -n \"$mnt\" ] && mountpoint -q \"$mnt\"; then\n"
  "  i=0\n"
  "  until umount \"$mnt\" 2>/dev/null; do\n"
  "    i=$((i + 1))\n"
  "    if [ $i -ge 100 ]; then\n"
  "      echo \"loop mount guardian: $mnt still busy after 5 s, unmounting lazily\" >&2\n"
  "      umount -l \"$mnt\"\n"
  "      rc=1\n"
  "      break\n"
  "    fi\n"
  "    sleep 0.05\n"
  "  done\n"
  "fi\n"
  "if [ -n \"$loop\" ]; then\n"
  "  losetup -d \"$loop\" || rc=1\n"
  "fi\n"
  "if [ -n \"$dir\" ]; then\n"
  "  rm -rf --one-file-system \"$dir\" || rc=1\n"
  "fi\n"
  "exit $rc\n";

static void
loop_guardian_setup (gpointer user_data)
{
  setsid ();
}

static gchar *
find_system_program (const gchar *name)
{
  const gchar *dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
  gchar *path = g_find_program_in_path (name);
  for (guint i = 0; path == NULL && i < G_N_ELEMENTS (dirs); i++) {
    g_autofree gchar *candidate = g_build_filename (dirs[i], name, NULL);
    if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
      path = g_steal_pointer (&candidate);
  }
  return path;
}

static gboolean
loop_guardian_tell (DvrTestLoopMount *mount, const gchar *key, const gchar *value,
    GError **error)
{
  g_autofree gchar *line = g_strdup_printf ("%s %s\n", key, value);
  return g_output_stream_write_all (g_subprocess_get_stdin_pipe (mount->guardian),
      line, strlen (line), NULL, NULL, error);
}

DvrTestLoopMount *
dvr_test_loop_mount_new (guint64 image_bytes, GError **error)
{
  const gchar *needed[] = { "losetup", "mkfs.ext4", "mount", "umount", "mountpoint" };
  g_autoptr (GPtrArray) programs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DvrTestLoopMount) mount = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *out = NULL, *err = NULL;
  int fd;

  if (geteuid () != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "needs root to attach a loop device and mount it (running as uid %u)", (guint) geteuid ());
    return NULL;
  }
  for (guint i = 0; i < G_N_ELEMENTS (needed); i++) {
    gchar *program = find_system_program (needed[i]);
    if (program == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "needs %s (util-linux, e2fsprogs), not found in PATH, /usr/sbin or /sbin", needed[i]);
      return NULL;
    }
    g_ptr_array_add (programs, program);
  }
  if (!g_file_test ("/dev/loop-control", G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "no /dev/loop-control: loop devices are unavailable here (a chroot or a "
        "container without them?)");
    return NULL;
  }

  mount = g_new0 (DvrTestLoopMount, 1);
  mount->image_bytes = image_bytes;
  mount->folder = dvr_test_mkdtemp ();
  mount->image = g_build_filename (mount->folder, "image.ext4", NULL);
  mount->mount_point = g_build_filename (mount->folder, "mnt", NULL);

  /* The guardian first: from here on every exit path cleans up. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, loop_guardian_setup, NULL, NULL);
  g_subprocess_launcher_set_cwd (launcher, "/");
  mount->guardian = g_subprocess_launcher_spawn (launcher, error, "/bin/sh", "-c",
      loop_guardian_script, "dvr-loop-guardian", NULL);
  if (mount->guardian == NULL) {
    dvr_test_rmtree (mount->folder);
    return NULL;
  }
  if (!loop_guardian_tell (mount, "dir", mount->folder, error))
    return NULL;

  fd = g_open (mount->image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate (fd, (off_t) image_bytes) != 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "making %s: %s",
        mount->image, g_strerror (e));
    if (fd >= 0)
      close (fd);
    return NULL;
  }
  close (fd);
  {
    /* Inode ratio as on a large drive (small images otherwise get one
     * inode per 4 KiB). */
    const gchar *argv[] = { g_ptr_array_index (programs, 1), "-q", "-F", "-b", "4096", "-i", "16384", "-m", "0",
                            "-E", "lazy_itable_init=0,lazy_journal_init=0", mount->image, NULL };
    if (dvr_test_run (argv, &out, &err) != 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "mkfs.ext4 %s: %s", mount->image,
          g_strstrip (err));
      return NULL;
    }
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const gchar *argv[] = { g_ptr_array_index (programs, 0), "--find", "--show", mount->image, NULL };
    gint rc = dvr_test_run (argv, &out, &err);
    if (rc != 0 || !g_str_has_prefix (out, "/dev/")) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "losetup --find --show failed (exit %d): %s: loop devices are unavailable here",
          rc, g_strstrip (err));
      return NULL;
    }
    mount->device = g_strdup (g_strstrip (out));
  }
  if (!loop_guardian_tell (mount, "loop", mount->device, error))
    return NULL;
  if (g_mkdir (mount->mount_point, 0755) != 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "mkdir %s: %s",
        mount->mount_point, g_strerror (e));
    return NULL;
  }
  if (!loop_guardian_tell (mount, "mount", mount->mount_point, error))
    return NULL;
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const gchar *argv[] = { g_ptr_array_index (programs, 2), "-t", "ext4", mount->device, mount->mount_point, NULL };
    gint rc = dvr_test_run (argv, &out, &err);
    if (rc != 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "mounting %s (ext4) on %s refused (exit %d): %s", mount->device,
          mount->mount_point, rc, g_strstrip (err));
      return NULL;
    }
  }
  return g_steal_pointer (&mount);
}

gboolean
dvr_test_loop_mount_free (DvrTestLoopMount *mount)
{
  gboolean ok = TRUE;

  if (mount == NULL)
    return TRUE;
  if (mount->guardian != NULL) {
    g_autoptr (GError) error = NULL;
    /* End of file: the guardian undoes what it was told about. */
    g_output_stream_close (g_subprocess_get_stdin_pipe (mount->guardian), NULL, NULL);
    if (!g_subprocess_wait_check (mount->guardian, NULL, &error)) {
      g_printerr ("loop mount %s: cleanup failed: %s\n", mount->folder, error->message);
      ok = FALSE;
    }
    g_clear_object (&mount->guardian);
  }
  g_free (mount->folder);
  g_free (mount->image);
  g_free (mount->device);
  g_free (mount->mount_point);
  g_free (mount);
  return ok;
}

/* ---- metadata tracks ---- */

void
dvr_test_sample_clear (DvrTestSample *sample)
{
  g_free (sample->text);
}

typedef struct {
  GMutex lock;
  GHashTable *titles;     /* GstPad * -> title (or "") */
  GArray *json;           /* DvrTestSample */
  GArray *text;           /* DvrTestSample */
} DemuxState;

static void
markup_text (GMarkupParseContext *context, const gchar *text, gsize len, gpointer user_data,
             GError **error)
{
  g_string_append_len (user_data, text, len);
}

static gchar *
unescape (const gchar *markup)
{
  static const GMarkupParser parser = { .text = markup_text };
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GMarkupParseContext) context = g_markup_parse_context_new (&parser, 0, out, NULL);
  g_autofree gchar *wrapped = g_strdup_printf ("<t>%s</t>", markup);
  g_autoptr (GError) error = NULL;

  g_markup_parse_context_parse (context, wrapped, -1, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static GstPadProbeReturn
demux_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  DemuxState *state = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  const gchar *title;
  GstMapInfo map;

  g_mutex_lock (&state->lock);
  title = g_hash_table_lookup (state->titles, pad);
  if (title == NULL) {
    gchar *found = NULL;
    for (guint i = 0; found == NULL; i++) {
      g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad, GST_EVENT_TAG, i);
      GstTagList *tags;
      if (event == NULL)
        break;
      gst_event_parse_tag (event, &tags);
      if (gst_tag_list_get_scope (tags) == GST_TAG_SCOPE_STREAM)
        gst_tag_list_get_string (tags, GST_TAG_TITLE, &found);
    }
    title = found != NULL ? found : g_strdup ("");
    g_hash_table_insert (state->titles, pad, (gpointer) title);
  }
  if ((g_str_equal (title, "dvr-meta/1") || g_str_equal (title, "dvr-overlay")) &&
      gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_autofree gchar *raw = g_strndup ((const gchar *) map.data, map.size);
    DvrTestSample sample = { GST_BUFFER_PTS (buf), unescape (raw) };
    gst_buffer_unmap (buf, &map);
    g_array_append_val (g_str_equal (title, "dvr-meta/1") ? state->json : state->text, sample);
  }
  g_mutex_unlock (&state->lock);
  return GST_PAD_PROBE_OK;
}

static void
demux_pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  g_autoptr (GstElement) pipeline = GST_ELEMENT (gst_element_get_parent (demux));
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), sink);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, demux_probe, user_data, NULL);
  g_assert_cmpint (gst_pad_link (pad, sinkpad), ==, GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent (sink);
}

void
dvr_test_demux_tracks (const gchar *path, GArray *json, GArray *text)
{
  g_autofree gchar *description = g_strdup_printf (
      "filesrc location=\"%s\" ! matroskademux name=demux", path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (description, &error);
  g_autoptr (GstElement) demux = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  DemuxState state = { .json = json, .text = text };

  g_assert_no_error (error);
  g_mutex_init (&state.lock);
  state.titles = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  demux = gst_bin_get_by_name (GST_BIN (pipeline), "demux");
  g_signal_connect (demux, "pad-added", G_CALLBACK (demux_pad_added), &state);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, dvr_test_timeout_ms (60000) * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  g_hash_table_unref (state.titles);
  g_mutex_clear (&state.lock);
}

DvrTestDaemon *
dvr_test_daemon_start_with_env (const gchar *folder, const gchar *config_text,
    const gchar * const *environment, GError **error)
{
  g_autoptr (DvrTestDaemon) daemon = g_new0 (DvrTestDaemon, 1);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  const gchar *dvrd = g_getenv ("DVRD");
  static guint counter;
  g_autofree gchar *log_name = g_strdup_printf ("dvrd-%u.log", counter++);

  g_assert_nonnull (dvrd);
  daemon->config_path = g_build_filename (folder, "dvr.conf", NULL);
  daemon->socket_path = g_build_filename (folder, "control.sock", NULL);
  daemon->log_path = g_build_filename (folder, log_name, NULL);
  if (!g_file_set_contents (daemon->config_path, config_text, -1, error))
    return NULL;
  for (guint i = 0; environment != NULL && environment[i] != NULL; i++) {
    g_auto (GStrv) pair = g_strsplit (environment[i], "=", 2);
    g_assert_nonnull (pair[1]);
    g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
  }
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, daemon->log_path);
  g_subprocess_launcher_set_stdout_file_path (launcher, daemon->log_path);
  {
    /* DVRD_WRAPPER: a command line to run dvrd under (valgrind setup). */
    g_auto (GStrv) wrapper = g_strsplit (g_getenv ("DVRD_WRAPPER") ? g_getenv ("DVRD_WRAPPER") : "", " ", -1);
    g_autoptr (GPtrArray) argv = g_ptr_array_new ();
    for (guint i = 0; wrapper[i] != NULL; i++)
      if (*wrapper[i] != '\0')
        g_ptr_array_add (argv, wrapper[i]);
    g_ptr_array_add (argv, (gpointer) dvrd);
    g_ptr_array_add (argv, "--config");
    g_ptr_array_add (argv, daemon->config_path);
    g_ptr_array_add (argv, NULL);
    daemon->process = g_subprocess_launcher_spawnv (launcher,
        (const gchar * const *) argv->pdata, error);
  }
  if (daemon->process == NULL)
    return NULL;
  for (gint64 end = g_get_monotonic_time () + (gint64) dvr_test_timeout_ms (10000) * 1000;
       g_get_monotonic_time () < end;) {
    g_autoptr (JsonObject) status = NULL;
    if (g_file_test (daemon->socket_path, G_FILE_TEST_EXISTS) &&
        (status = dvr_test_daemon_status (daemon, NULL)) != NULL)
      return g_steal_pointer (&daemon);
    if (g_subprocess_get_identifier (daemon->process) == NULL)
      break;  /* exited */
    dvr_test_wait_ms (50);
  }
  {
    g_autofree gchar *log = NULL;
    g_file_get_contents (daemon->log_path, &log, NULL, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "dvrd did not come up; its log:\n%s",
        log ? log : "");
  }
  return NULL;
}

/* ---- clips ---- */

void
dvr_test_make_mjpeg_clip (const gchar *path, guint width, guint height, guint fps,
                          guint quality, guint unique, guint seconds)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *encode_text = g_strdup_printf (
      "videotestsrc pattern=snow num-buffers=%u ! "
      "video/x-raw,width=%u,height=%u,framerate=%u/1 ! jpegenc quality=%u ! "
      "appsink name=sink sync=false", unique, width, height, fps,
      quality);
  g_autofree gchar *mux_text = g_strdup_printf (
      "appsrc name=source format=time block=true max-bytes=%u "
      "caps=image/jpeg,width=%u,height=%u,framerate=%u/1 ! "
      "matroskamux ! filesink location=\"%s\"", 16 * 1024 * 1024, width, height,
      fps, path);
  g_autoptr (GstElement) encode = gst_parse_launch (encode_text, &error);
  g_autoptr (GstElement) mux = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstElement) source = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GstSample *sample;
  GstClockTime duration = gst_util_uint64_scale_int (GST_SECOND, 1, (gint) fps);

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (encode), "sink");
  gst_element_set_state (encode, GST_STATE_PLAYING);
  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL) {
    g_ptr_array_add (frames, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  gst_element_set_state (encode, GST_STATE_NULL);
  g_assert_cmpuint (frames->len, ==, unique);

  mux = gst_parse_launch (mux_text, &error);
  g_assert_no_error (error);
  source = gst_bin_get_by_name (GST_BIN (mux), "source");
  gst_element_set_state (mux, GST_STATE_PLAYING);
  for (guint i = 0; i < seconds * fps; i++) {
    GstBuffer *buf = gst_buffer_copy (g_ptr_array_index (frames, i % frames->len));
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = gst_util_uint64_scale_int (GST_SECOND, (gint) i, (gint) fps);
    GST_BUFFER_DURATION (buf) = duration;
    g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (source), buf), ==, GST_FLOW_OK);
  }
  g_assert_cmpint (gst_app_src_end_of_stream (GST_APP_SRC (source)), ==, GST_FLOW_OK);
  bus = gst_element_get_bus (mux);
  msg = gst_bus_timed_pop_filtered (bus, dvr_test_timeout_ms (120000) * GST_MSECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (mux, GST_STATE_NULL);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
}
