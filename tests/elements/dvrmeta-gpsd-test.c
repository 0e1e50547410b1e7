/* Elements: dvrmeta reading a real gpsd (fed by gpsfake) through its own
 * libgps client: the fix arrives in the JSON track with libgps' values,
 * and when gpsd goes away the text track says GPS LOST.  Skips (77)
 * without gpsfake.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include "dvr-test-gpsfake.h"
#include <json-glib/json-glib.h>

#include <math.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 52°07.4074'N 4°07.4074'E, 28.1 knots, track 270, 12.3 m MSL. */
#define NMEA_LAT (52.0 + 7.4074 / 60.0)
#define NMEA_LON (4.0 + 7.4074 / 60.0)

static gchar *
nmea_sentence (const gchar *body)
{
  guint8 sum = 0;
  const gchar *p;

  for (p = body; *p != '\0'; p++)
    sum ^= (guint8) *p;
  return g_strdup_printf ("$%s*%02X\r\n", body, sum);
}

/* Three seconds of 1 Hz fixes at gpsfake's 50 ms per sentence. */
static gchar *
write_log (const gchar *dir)
{
  g_autoptr (GString) log = g_string_new (NULL);
  gchar *path = g_build_filename (dir, "track.nmea", NULL);
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 0; i < 20; i++) {
    g_autofree gchar *rmc_body = g_strdup_printf (
        "GPRMC,2230%02u.00,A,5207.4074,N,00407.4074,E,28.1,270.0,281126,,,A", i);
    g_autofree gchar *gga_body = g_strdup_printf (
        "GPGGA,2230%02u.00,5207.4074,N,00407.4074,E,1,09,0.9,12.3,M,46.0,M,,", i);
    g_autofree gchar *rmc = nmea_sentence (rmc_body);
    g_autofree gchar *gga = nmea_sentence (gga_body);
    g_autofree gchar *gsa = nmea_sentence ("GPGSA,A,3,01,02,03,04,05,06,07,08,09,,,,1.5,0.9,1.2");

    g_string_append (log, rmc);
    g_string_append (log, gga);
    g_string_append (log, gsa);
  }
  g_file_set_contents (path, log->str, log->len, &error);
  g_assert_no_error (error);
  return path;
}

static void
child_setup (gpointer user_data)
{
  setpgid (0, 0);
  /* Should this test die first: gpsfake goes too (its gpsd may not). */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static guint16
free_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static JsonObject *
parse_json (const gchar *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_dup_object (json_parser_get_root (parser));
}

static gchar *
buffer_text (GstBuffer *buf)
{
  GstMapInfo map;
  gchar *text;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  text = g_strndup ((const gchar *) map.data, map.size);
  gst_buffer_unmap (buf, &map);
  return text;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *gpsfake = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *log = NULL;
  g_autofree gchar *port = NULL;
  g_autofree gchar *address = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autofree gchar *control = NULL;
  gint pid;
  g_autoptr (GError) error = NULL;
  GstHarness *video, *text, *json;
  gboolean have_fix = FALSE, lost = FALSE, killed = FALSE;
  g_autoptr (JsonObject) fix = NULL;
  GstClockTime t = 0;
  gint64 deadline;

  gst_init (&argc, &argv);
  gpsfake = g_find_program_in_path ("gpsfake");
  {
    g_autofree gchar *why = NULL;
    if (gpsfake == NULL || !dvr_test_gpsfake_available (&why)) {
      g_print ("SKIP: %s\n", why ? why : "gpsfake is not installed (gpsd-clients)");
      return 77;
    }
  }

  dir = g_dir_make_tmp ("dvrmeta-gpsd-XXXXXX", &error);
  g_assert_no_error (error);
  log = write_log (dir);
  port = g_strdup_printf ("%u", free_port ());
  address = g_strdup_printf ("127.0.0.1:%s", port);
  /* Once through the log, 50 ms per sentence, starting when a client
   * connects.  In its own process group with its gpsd, so that both go
   * at once (gpsfake -1 does not reliably stop gpsd, and spins after the
   * end of its log). */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
      | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, gpsfake, "-1", "-q", "-c", "0.05",
      "-P", port, log, NULL);
  g_assert_no_error (error);
  pid = atoi (g_subprocess_get_identifier (process));

  video = gst_harness_new_with_padnames ("dvrmeta", "sink", "src");
  text = gst_harness_new_with_element (video->element, NULL, "text");
  json = gst_harness_new_with_element (video->element, NULL, "json");
  /* The client starts on READY -> PAUSED: set it up from NULL. */
  gst_element_set_state (video->element, GST_STATE_NULL);
  g_object_set (video->element, "gpsd", address, "gps-timeout", (guint64) 0, NULL);
  gst_harness_play (video);
  gst_harness_set_src_caps_str (video, "video/x-raw, format=I420, width=64, height=48, "
      "framerate=30/1");

  /* Frames until a fix has come through and gpsd has gone again. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!lost && g_get_monotonic_time () < deadline) {
    GstBuffer *frame = gst_buffer_new_allocate (NULL, 64 * 48 * 3 / 2, NULL);
    GstBuffer *buf;

    GST_BUFFER_PTS (frame) = t;
    GST_BUFFER_DURATION (frame) = GST_SECOND / 30;
    GST_BUFFER_FLAG_SET (frame, GST_BUFFER_FLAG_DELTA_UNIT);
    g_assert_cmpint (gst_harness_push (video, frame), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (video));
    t += GST_SECOND / 30;

    if ((buf = gst_harness_try_pull (json)) != NULL) {
      g_autofree gchar *sample = buffer_text (buf);
      g_autoptr (JsonObject) o = parse_json (sample);
      if (g_getenv ("DVR_TEST_VERBOSE") != NULL)
        g_printerr ("%s\n", sample);
      JsonObject *gps = json_object_get_object_member (o, "gps");

      gst_buffer_unref (buf);
      /* Only look now; assert once gpsfake and gpsd are gone. */
      if (!have_fix && json_object_get_boolean_member (o, "gps_new")
          && json_object_get_int_member (gps, "mode") == 3
          && json_object_has_member (gps, "lat") && json_object_has_member (gps, "alt_msl")
          && json_object_has_member (gps, "speed") && json_object_has_member (gps, "time")) {
        fix = json_object_ref (gps);
        have_fix = TRUE;
      }
    }
    /* With a fix in, gpsd goes away. */
    if (have_fix && !killed) {
      kill (-pid, SIGKILL);
      killed = TRUE;
    }
    if ((buf = gst_harness_try_pull (text)) != NULL) {
      g_autofree gchar *sample = buffer_text (buf);

      gst_buffer_unref (buf);
      if (killed && g_str_has_suffix (sample, "\nGPS LOST"))
        lost = TRUE;
    }
    g_usleep (G_USEC_PER_SEC / 30);
  }

  gst_harness_teardown (json);
  gst_harness_teardown (text);
  gst_harness_teardown (video);
  if (!killed)
    kill (-pid, SIGKILL);
  g_subprocess_wait (process, NULL, NULL);
  control = g_strdup_printf ("/tmp/gpsfake-%d.sock", pid);
  g_unlink (control);
  g_unlink (log);
  g_rmdir (dir);

  g_assert_true (have_fix);
  /* What libgps read from gpsd's JSON (9 decimals). */
  g_assert_cmpfloat (fabs (json_object_get_double_member (fix, "lat") - NMEA_LAT), <, 1e-8);
  g_assert_cmpfloat (fabs (json_object_get_double_member (fix, "lon") - NMEA_LON), <, 1e-8);
  g_assert_cmpfloat (fabs (json_object_get_double_member (fix, "speed") - 28.1 * 1852.0 / 3600.0),
      <, 0.01);
  g_assert_cmpfloat (json_object_get_double_member (fix, "track"), ==, 270.0);
  g_assert_cmpfloat (json_object_get_double_member (fix, "alt_msl"), ==, 12.3);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (fix, "time"), ".000Z"));
  g_assert_cmpint (json_object_get_int_member (fix, "time_ns") % GST_SECOND, ==, 0);
  g_assert_true (lost);
  g_print ("fix from gpsd in the JSON track, GPS LOST after gpsd went away\n");
  return 0;
}
