/* Integration: dvrd's command line and control socket, on a real daemon.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dvr-catalog.h"

#include "dvr-storage.h"
#include "dvr-test-util.h"

static gchar *
write_config (const gchar *folder, const gchar *storage, const gchar *extra)
{
  g_autofree gchar *text = g_strdup_printf (
      "[recorder]\nstorage = %s\n[control]\nsocket = %s/control.sock\n%s",
      storage, folder, extra);
  gchar *path = g_build_filename (folder, "dvr.conf", NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static guint
count_entries (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;
  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_check_config_ok (void)
{
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  g_autofree gchar *config = write_config (folder, folder,
      "[camera front]\nsource = test\nbogus-key = 1\n");
  g_autofree gchar *out = NULL, *err = NULL;
  const gchar *argv[] = { g_getenv ("DVRD"), "--check-config", config, NULL };

  g_assert_cmpint (dvr_test_run (argv, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "ok, 1 camera"));
  /* The unknown key warns, naming the file and line. */
  g_assert_nonnull (strstr (err, "dvr.conf:7"));
  g_assert_nonnull (strstr (err, "bogus-key"));
  /* Nothing was created on the storage. */
  g_assert_cmpuint (count_entries (folder), ==, 1);
  dvr_test_rmtree (folder);
}

/* A bad config: exit 2, one line naming file, line, group, key and what was
 * expected; and running with it changes nothing on the storage. */
static void
test_bad_config (void)
{
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  g_autofree gchar *storage = g_build_filename (folder, "storage", NULL);
  g_autofree gchar *config = NULL;
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *out2 = NULL, *err2 = NULL;

  g_mkdir (storage, 0750);
  config = write_config (folder, storage,
      "[camera front]\nsource = test\nframerate = abc\n");
  {
    const gchar *argv[] = { g_getenv ("DVRD"), "--check-config", config, NULL };
    g_assert_cmpint (dvr_test_run (argv, &out, &err), ==, 2);
  }
  g_assert_nonnull (strstr (err, "dvr.conf:7:"));
  g_assert_nonnull (strstr (err, "[camera front] framerate"));
  g_assert_nonnull (strstr (err, "\"abc\""));
  {
    g_auto (GStrv) lines = g_strsplit (g_strstrip (err), "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 1);
  }
  {
    const gchar *argv[] = { g_getenv ("DVRD"), "--config", config, NULL };
    g_assert_cmpint (dvr_test_run (argv, &out2, &err2), ==, 2);
  }
  g_assert_cmpuint (count_entries (storage), ==, 0);
  {
    g_autofree gchar *socket_path = g_build_filename (folder, "control.sock", NULL);
    g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  }
  dvr_test_rmtree (folder);
}

static gchar *
raw_exchange (const gchar *socket_path, const gchar *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (socket_path);
  g_autoptr (GSocketConnection) conn = g_socket_client_connect (client,
      G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_autoptr (GDataInputStream) in = NULL;
  gchar *line;

  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), dvr_test_timeout_ms (5000) / 1000);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
      data, len, NULL, NULL, &error));
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  line = g_data_input_stream_read_line (in, NULL, NULL, &error);
  g_assert_no_error (error);
  return line;
}

/* Malformed requests get an error reply; dvrd neither crashes nor stalls,
 * and its camera keeps recording. */
static void
test_control_malformed (void)
{
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  /* stall-timeout: the default, scaled (valgrind: dvrd starts slowly). */
  g_autofree gchar *config_text = g_strdup_printf (
      "[recorder]\nstorage = %s\nstall-timeout = %u\n[control]\nsocket = %s/control.sock\n"
      "[gps]\ngpsd = none\n"
      "[camera front]\nsource = test\nwidth = 160\nheight = 120\nframerate = 10/1\n"
      "watermark = true\n",
      folder, dvr_test_timeout_ms (5000) / 1000, folder);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = dvr_test_daemon_start (folder, config_text, &error);
  const gchar *bad[] = {
    "this is not json\n",
    "[1,2,3]\n",
    "{\"nocmd\":1}\n",
    "{\"cmd\":42}\n",
    "{\"cmd\":\"no-such-command\"}\n",
    "{\"cmd\":\"status\"\n",
    "\xff\xfe\xfd\n",
    "{\"cmd\":\"signal\"}\n",
    "{\"cmd\":\"signal\",\"name\":\"lightbar\"}\n",
    "{\"cmd\":\"signal\",\"name\":\"lightbar\",\"value\":\"on\"}\n",
    "{\"cmd\":\"signal\",\"name\":7,\"value\":true}\n",
    "{\"cmd\":\"signal\",\"name\":\"radar\",\"value\":true}\n",
  };
  gint64 frames_before, frames_after;

  g_assert_no_error (error);
  {
    g_autoptr (JsonObject) status = dvr_test_daemon_status (daemon, &error);
    g_assert_no_error (error);
    frames_before = json_object_get_int_member (dvr_test_status_camera (status, "front"), "frames_in");
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree gchar *reply = raw_exchange (daemon->socket_path, bad[i], strlen (bad[i]));
    g_assert_nonnull (reply);
    g_assert_nonnull (strstr (reply, "\"ok\":false"));
    g_assert_nonnull (strstr (reply, "\"error\""));
  }
  /* A line longer than the limit. */
  {
    gsize n = 200 * 1024;
    g_autofree gchar *huge = g_malloc (n + 1);
    g_autofree gchar *reply = NULL;
    memset (huge, 'x', n);
    huge[n - 1] = '\n';
    reply = raw_exchange (daemon->socket_path, huge, n);
    g_assert_nonnull (strstr (reply, "\"ok\":false"));
  }
  /* A client that connects, sends half a request and goes silent does not
   * stall anyone else. */
  {
    g_autoptr (GSocketClient) client = g_socket_client_new ();
    g_autoptr (GSocketAddress) address = g_unix_socket_address_new (daemon->socket_path);
    g_autoptr (GSocketConnection) silent = g_socket_client_connect (client,
        G_SOCKET_CONNECTABLE (address), NULL, &error);
    g_autoptr (JsonObject) status = NULL;
    g_assert_no_error (error);
    g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (silent)),
        "{\"cmd\":", 7, NULL, NULL, &error);
    g_assert_no_error (error);
    dvr_test_wait_ms (dvr_test_timeout_ms (1000));
    status = dvr_test_daemon_status (daemon, &error);
    g_assert_no_error (error);
    frames_after = json_object_get_int_member (dvr_test_status_camera (status, "front"), "frames_in");
    g_assert_cmpint (frames_after, >, frames_before);
    g_assert_cmpstr (json_object_get_string_member (dvr_test_status_camera (status, "front"), "state"),
        ==, "recording");
  }
  /* Malformed signal requests changed nothing; the right code for each. */
  {
    const gchar *request = "{\"cmd\":\"signal\",\"name\":\"radar\",\"value\":true}\n";
    g_autofree gchar *reply = raw_exchange (daemon->socket_path, request, strlen (request));
    g_assert_nonnull (strstr (reply, "\"code\":\"invalid-argument\""));
    g_assert_nonnull (strstr (reply, "no signal \\\"radar\\\" (known: ignition, lightbar, siren, "
        "brake, door, aux)"));
  }
  /* dvrctl signal: on, again (no change), off; status shows the state. */
  {
    const gchar *on[] = { g_getenv ("DVRCTL"), "--socket", daemon->socket_path, "signal",
                          "lightbar", "on", NULL };
    const gchar *bad[] = { g_getenv ("DVRCTL"), "--socket", daemon->socket_path, "signal",
                           "lightbar", "maybe", NULL };
    g_autofree gchar *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
    g_autoptr (JsonObject) status = NULL;
    JsonArray *signals;
    g_assert_cmpint (dvr_test_run (on, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, "lightbar on\n");
    g_assert_cmpint (dvr_test_run (on, &out2, &err2), ==, 0);
    g_assert_cmpstr (out2, ==, "lightbar on (already)\n");
    g_assert_cmpint (dvr_test_run (bad, &out3, &err3), ==, 2);
    status = dvr_test_daemon_status (daemon, &error);
    g_assert_no_error (error);
    signals = json_object_get_array_member (status, "signals");
    g_assert_cmpuint (json_array_get_length (signals), ==, 6);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (signals, 1),
        "name"), ==, "lightbar");
    g_assert_true (json_object_get_boolean_member (json_array_get_object_element (signals, 1),
        "value"));
    g_assert_false (json_object_get_null_member (json_array_get_object_element (signals, 1),
        "changed"));
    g_assert_false (json_object_get_boolean_member (json_array_get_object_element (signals, 2),
        "value"));
    /* The test camera encodes: its watermark shows the active signal. */
    g_assert_cmpstr (json_object_get_string_member (dvr_test_status_camera (status, "front"),
        "watermark"), ==, "dvr  front\nNO GPS  LIGHTBAR");
  }
  /* dvrctl renders the same status. */
  {
    g_autofree gchar *out = NULL, *err = NULL;
    const gchar *argv[] = { g_getenv ("DVRCTL"), "--socket", daemon->socket_path, "status", NULL };
    const gchar *argv_json[] = { g_getenv ("DVRCTL"), "--socket", daemon->socket_path, "--json", "status", NULL };
    g_autofree gchar *out_json = NULL, *err_json = NULL;
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_assert_cmpint (dvr_test_run (argv, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "front"));
    g_assert_nonnull (strstr (out, "recording"));
    g_assert_cmpint (dvr_test_run (argv_json, &out_json, &err_json), ==, 0);
    g_assert_true (json_parser_load_from_data (parser, out_json, -1, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
        json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "cameras"), 0),
        "name"), ==, "front");
  }
  g_assert_cmpint (dvr_test_daemon_stop (daemon, 10000, NULL), ==, 0);
  dvr_test_rmtree (folder);
}

/* Feeds a replay camera through a named pipe: part of a clip, then
 * silence (a stalled camera), then, on request, the whole clip. */
typedef struct {
  gchar *fifo;
  gchar *clip;
  gsize clip_len;
  GMutex lock;
  GCond cond;
  gint phase;     /* 0: stalled; 1: close; 2: send the whole clip; 3: sent;
                   4: close soon */
} Writer;

/* Opens the pipe and writes @len bytes; returns the open descriptor.
 * filesrc opens a pipe twice at start (pull mode is tried first), and a
 * reader that goes away mid-write leaves EPIPE: then the pipe is opened
 * afresh and everything written again, to the reader that stays. */
static int
send_to_pipe (const gchar *fifo, const gchar *data, gsize len)
{
  for (guint attempt = 0; attempt < 5; attempt++) {
    int fd = open (fifo, O_WRONLY);
    gsize done = 0;
    g_assert_cmpint (fd, >=, 0);
    while (done < len) {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      done += n;
    }
    if (done == len)
      return fd;
    g_test_message ("writer: %s, writing again", g_strerror (errno));
    close (fd);
  }
  g_assert_not_reached ();
}

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  /* Enough for a few GOPs, then nothing more: the camera stalls. */
  int fd = send_to_pipe (w->fifo, w->clip, w->clip_len / 3);

  g_mutex_lock (&w->lock);
  while (w->phase == 0)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  close (fd);

  /* Not before the old reader is gone, or we would write into it. */
  g_mutex_lock (&w->lock);
  while (w->phase == 1)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  /* The pipe stays open: no end of file, so the camera does not restart
   * and block in open() waiting for a writer.  It is closed half a second
   * into dvrd's stop, which lets a reader blocked in read() go. */
  fd = send_to_pipe (w->fifo, w->clip, w->clip_len);
  g_mutex_lock (&w->lock);
  w->phase = 3;
  g_cond_signal (&w->cond);
  while (w->phase == 3)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  g_usleep (500 * 1000);
  close (fd);
  return NULL;
}

typedef struct {
  const gchar *camera;
  const gchar *member;
  const gchar *substring;
} CameraMatch;

static gboolean
camera_matches (JsonObject *status, gpointer user_data)
{
  const CameraMatch *m = user_data;
  JsonObject *camera = dvr_test_status_camera (status, m->camera);
  const gchar *value = json_object_get_string_member_with_default (camera, m->member, "");
  return value != NULL && strstr (value, m->substring) != NULL;
}

static JsonObject *
wait_for_camera (DvrTestDaemon *daemon, const gchar *name, const gchar *member,
    const gchar *substring, guint timeout_ms)
{
  CameraMatch m = { name, member, substring };
  return dvr_test_daemon_wait (daemon, timeout_ms, camera_matches, &m);
}

/* A camera that stops delivering frames (a silent writer on its pipe) is
 * declared stalled, torn down without blocking dvrd, its gap catalogued and
 * its partial segment kept; it records again when frames come back; the
 * other camera records throughout. */
static void
test_stall_restart (void)
{
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  g_autofree gchar *fifo = g_build_filename (folder, "camera.pipe", NULL);
  g_autofree gchar *clip = g_build_filename (folder, "clip.mkv", NULL);
  g_autofree gchar *config_text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (JsonObject) stalled = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  g_autofree gchar *catalog_path = NULL;
  Writer w = { 0, };
  GThread *thread;
  gint64 steady_frames;
  guint partial = 0;

  g_assert_true (dvr_test_make_clip (clip, 160, 120, 30, 6, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  w.fifo = fifo;
  g_assert_true (g_file_get_contents (clip, &w.clip, &w.clip_len, NULL));
  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  thread = g_thread_new ("writer", writer_thread, &w);

  config_text = g_strdup_printf (
      "[recorder]\nstorage = %s\nstall-timeout = %u\nrestart-backoff-min = 0.5\n"
      "restart-backoff-max = 1\n[control]\nsocket = %s/control.sock\n"
      "[camera steady]\nsource = test\nwidth = 160\nheight = 120\nframerate = 10/1\n"
      "[camera stuck]\nsource = replay:%s\n", folder, dvr_test_timeout_ms (1000) / 1000,
      folder, fifo);
  daemon = dvr_test_daemon_start (folder, config_text, &error);
  g_assert_no_error (error);

  stalled = wait_for_camera (daemon, "stuck", "last_error", "stalled", 15000);
  g_assert_nonnull (stalled);
  steady_frames = json_object_get_int_member (dvr_test_status_camera (stalled, "steady"), "frames_in");
  /* The stalled pipeline's teardown is blocked in read() on the pipe; dvrd
   * answers and the other camera records all the same. */
  dvr_test_wait_ms (dvr_test_timeout_ms (1000));
  {
    g_autoptr (JsonObject) status = dvr_test_daemon_status (daemon, &error);
    JsonObject *steady = dvr_test_status_camera (status, "steady");
    JsonObject *stuck = dvr_test_status_camera (status, "stuck");
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (steady, "state"), ==, "recording");
    g_assert_cmpint (json_object_get_int_member (steady, "frames_in"), >=, steady_frames + 8);
    g_assert_cmpstr (json_object_get_string_member (stuck, "state"), ==, "failed");
    {
      /* The stall's gap is open.  (A machine busy enough to starve the
       * camera at its start may add an earlier, closed one.) */
      JsonArray *stuck_gaps = json_object_get_array_member (stuck, "gaps");
      guint n = json_array_get_length (stuck_gaps);
      JsonObject *last;
      g_assert_cmpuint (n, >=, 1);
      last = json_array_get_object_element (stuck_gaps, n - 1);
      g_assert_true (json_object_get_null_member (last, "end"));
      for (guint i = 0; i + 1 < n; i++)
        g_assert_false (json_object_get_null_member (
            json_array_get_object_element (stuck_gaps, i), "end"));
    }
  }

  /* Frames come back: the writer closes (the blocked teardown ends), and
   * once dvrd has restarted the camera, sends a whole clip. */
  g_mutex_lock (&w.lock);
  w.phase = 1;
  g_cond_signal (&w.cond);
  g_mutex_unlock (&w.lock);
  {
    gint64 end = g_get_monotonic_time () + (gint64) dvr_test_timeout_ms (10000) * 1000;
    gint64 restarts = 0;
    while (restarts < 1 && g_get_monotonic_time () < end) {
      g_autoptr (JsonObject) status = dvr_test_daemon_status (daemon, &error);
      g_assert_no_error (error);
      restarts = json_object_get_int_member (dvr_test_status_camera (status, "stuck"), "restarts");
      dvr_test_wait_ms (50);
    }
    g_assert_cmpint (restarts, >=, 1);
  }
  g_mutex_lock (&w.lock);
  w.phase = 2;
  g_cond_signal (&w.cond);
  g_mutex_unlock (&w.lock);
  again = wait_for_camera (daemon, "stuck", "state", "recording", 15000);
  if (again == NULL)
    dvr_test_daemon_print_log (daemon);
  g_assert_nonnull (again);
  g_assert_cmpint (json_object_get_int_member (dvr_test_status_camera (again, "stuck"), "restarts"), >=, 1);
  g_mutex_lock (&w.lock);
  while (w.phase != 3)
    g_cond_wait (&w.cond, &w.lock);
  w.phase = 4;
  g_cond_signal (&w.cond);
  g_mutex_unlock (&w.lock);
  {
    gint64 elapsed = 0;
    g_assert_cmpint (dvr_test_daemon_stop (daemon, 10000, &elapsed), ==, 0);
    /* Scaled: under valgrind the exit's leak check alone takes longer. */
    g_assert_cmpint (elapsed, <, dvr_test_timeout_ms (5000));
  }
  g_thread_join (thread);

  catalog_path = g_build_filename (folder, "catalog.sqlite3", NULL);
  catalog = dvr_catalog_open (catalog_path, TRUE, &error);
  g_assert_no_error (error);
  gaps = dvr_catalog_list_gaps (catalog, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gaps->len, >=, 1);
  for (guint i = 0; i < gaps->len; i++) {
    DvrGap *gap = g_ptr_array_index (gaps, i);
    g_assert_cmpstr (gap->camera, ==, "stuck");
    g_assert_cmpint (gap->end_utc_ns, >, gap->start_utc_ns);
  }
  {
    gboolean stall_gap = FALSE;
    for (guint i = 0; i < gaps->len; i++)
      stall_gap |= g_str_has_prefix (((DvrGap *) g_ptr_array_index (gaps, i))->reason, "stalled");
    g_assert_true (stall_gap);
  }
  segments = dvr_catalog_list_segments (catalog, "stuck", G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (segments, i);
    g_autofree gchar *path = g_build_filename (folder, s->path, NULL);
    DvrTestDecode d;
    g_assert_true (dvr_test_decode_file (path, &d, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (d.frames, ==, s->frames);
    partial += s->state == DVR_SEGMENT_STATE_PARTIAL;
    dvr_test_decode_clear (&d);
  }
  /* The segment open when the camera stalled is kept, as partial. */
  g_assert_cmpuint (partial, >=, 1);

  g_free (w.clip);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  dvr_test_rmtree (folder);
}

/* Segment files under ROOT/CAMERA/DAY/. */
static guint
count_segment_files (const gchar *root)
{
  g_autoptr (GDir) top = g_dir_open (root, 0, NULL);
  const gchar *camera;
  guint n = 0;

  while (top != NULL && (camera = g_dir_read_name (top)) != NULL) {
    g_autofree gchar *camera_path = g_build_filename (root, camera, NULL);
    g_autoptr (GDir) days = g_dir_open (camera_path, 0, NULL);
    const gchar *day;

    while (days != NULL && (day = g_dir_read_name (days)) != NULL) {
      g_autofree gchar *day_path = g_build_filename (camera_path, day, NULL);
      g_autoptr (GDir) files = g_dir_open (day_path, 0, NULL);
      const gchar *name;

      while (files != NULL && (name = g_dir_read_name (files)) != NULL)
        n += dvr_storage_parse_segment_name (name, NULL, NULL);
    }
  }
  return n;
}

/* Stopped the moment it answers: a replay camera starts on a helper thread
 * (a flushing seek, then PLAYING) after its first frame, and a stop that
 * came first used to be undone by that seek, letting the stream into a
 * muxer that had written its header without tracks ("Could not multiplex
 * stream", exit 1, partial segments).  Each round stops dvrd a little
 * later: it exits 0 and every segment it catalogued is complete and
 * decodes whole. */
static void
test_stop_at_start (void)
{
  const guint delays_ms[] = { 0, 5, 10, 20, 50, 100, 300 };
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  g_autofree gchar *clip = g_build_filename (folder, "clip.mkv", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (dvr_test_make_clip (clip, 160, 120, 30, 2, &error));
  g_assert_no_error (error);
  for (guint round = 0; round < G_N_ELEMENTS (delays_ms); round++) {
    g_autofree gchar *storage = g_strdup_printf ("%s/storage-%u", folder, round);
    g_autofree gchar *catalog_path = g_build_filename (storage, "catalog.sqlite3", NULL);
    g_autofree gchar *config_text = NULL;
    g_autofree gchar *log = NULL;
    g_autoptr (DvrTestDaemon) daemon = NULL;
    g_autoptr (DvrCatalog) catalog = NULL;
    g_autoptr (GPtrArray) segments = NULL;
    gint status;

    g_assert_cmpint (g_mkdir (storage, 0750), ==, 0);
    config_text = g_strdup_printf (
        "[recorder]\nstorage = %s\n[control]\nsocket = %s/control.sock\n[gps]\ngpsd = none\n"
        "[camera a]\nsource = replay:%s\n[camera b]\nsource = replay:%s\n"
        "[camera c]\nsource = replay:%s\n", storage, folder, clip, clip, clip);
    daemon = dvr_test_daemon_start (folder, config_text, &error);
    g_assert_no_error (error);
    g_usleep (delays_ms[round] * 1000);
    status = dvr_test_daemon_stop (daemon, dvr_test_timeout_ms (10000), NULL);
    g_assert_true (g_file_get_contents (daemon->log_path, &log, NULL, NULL));
    if (status != 0 || strstr (log, "Could not multiplex") != NULL) {
      dvr_test_daemon_print_log (daemon);
      g_error ("stopped %u ms after it answered: exit %d", delays_ms[round], status);
    }
    catalog = dvr_catalog_open (catalog_path, TRUE, &error);
    g_assert_no_error (error);
    segments = dvr_catalog_list_segments (catalog, NULL, 0, G_MAXINT64, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < segments->len; i++) {
      DvrSegment *seg = g_ptr_array_index (segments, i);
      g_autofree gchar *path = g_build_filename (storage, seg->path, NULL);
      DvrTestDecode d;

      g_assert_cmpint (seg->state, ==, DVR_SEGMENT_STATE_COMPLETE);
      if (!dvr_test_decode_file (path, &d, &error))
        g_error ("stopped %u ms after it answered: %s (%" G_GUINT64_FORMAT " frames, %"
            G_GUINT64_FORMAT " bytes) does not decode: %s", delays_ms[round], seg->path,
            seg->frames, seg->bytes, error->message);
      g_assert_cmpuint (d.frames, ==, seg->frames);
      dvr_test_decode_clear (&d);
    }
    /* A file that got no frame is deleted, not left without a row. */
    g_assert_cmpuint (count_segment_files (storage), ==, segments->len);
    g_test_message ("stopped %u ms after it answered: exit 0, %u segments", delays_ms[round],
        segments->len);
  }
  dvr_test_rmtree (folder);
}

int
main (int argc, char **argv)
{
  /* The pipe writer sees EPIPE, not a fatal signal, when a reader leaves. */
  signal (SIGPIPE, SIG_IGN);
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/check-config-ok", test_check_config_ok);
  g_test_add_func ("/daemon/bad-config", test_bad_config);
  g_test_add_func ("/daemon/control-malformed", test_control_malformed);
  g_test_add_func ("/daemon/stall-restart", test_stall_restart);
  g_test_add_func ("/daemon/stop-at-start", test_stop_at_start);
  return g_test_run ();
}
