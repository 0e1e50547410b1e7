/* Integration: dvrd's command line and control socket, on a real daemon.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <sys/socket.h>
#include <sys/un.h>

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
  g_assert_cmpuint (g_strv_length (g_strsplit (g_strstrip (err), "\n", -1)), ==, 1);
  {
    const gchar *argv[] = { g_getenv ("DVRD"), "--config", config, NULL };
    g_assert_cmpint (dvr_test_run (argv, &out2, &err2), ==, 2);
  }
  g_assert_cmpuint (count_entries (storage), ==, 0);
  g_assert_false (g_file_test (g_build_filename (folder, "control.sock", NULL), G_FILE_TEST_EXISTS));
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
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
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
  g_autofree gchar *config_text = g_strdup_printf (
      "[recorder]\nstorage = %s\n[control]\nsocket = %s/control.sock\n"
      "[camera front]\nsource = test\nwidth = 160\nheight = 120\nframerate = 10/1\n",
      folder, folder);
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
    dvr_test_wait_ms (1000);
    status = dvr_test_daemon_status (daemon, &error);
    g_assert_no_error (error);
    frames_after = json_object_get_int_member (dvr_test_status_camera (status, "front"), "frames_in");
    g_assert_cmpint (frames_after, >, frames_before);
    g_assert_cmpstr (json_object_get_string_member (dvr_test_status_camera (status, "front"), "state"),
        ==, "recording");
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

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/check-config-ok", test_check_config_ok);
  g_test_add_func ("/daemon/bad-config", test_bad_config);
  g_test_add_func ("/daemon/control-malformed", test_control_malformed);
  return g_test_run ();
}
