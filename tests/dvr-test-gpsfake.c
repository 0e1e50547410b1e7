/* A real gpsd for tests: gpsfake replaying a receiver capture.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-test-gpsfake.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

#define STOP_TIMEOUT_MS 5000
/* timeout(1)'s limit on a gpsfake whose test died without stopping it. */
#define LIFETIME_LIMIT "120"
/* gpsd ignores TXT sentences but for a log line. */
#define PREAMBLE_SENTENCE "$GPTXT,01,01,02,dvrd test preamble*5F\r\n"

gboolean
dvr_test_gpsfake_available (gchar **why)
{
  g_autofree gchar *gpsfake = g_find_program_in_path ("gpsfake");
  g_autofree gchar *gpsd = g_find_program_in_path ("gpsd");
  g_autofree gchar *err = NULL;
  gint status = 0;

  if (gpsfake == NULL) {
    *why = g_strdup ("gpsfake not found (Debian package gpsd-clients)");
    return FALSE;
  }
  /* gpsfake looks for gpsd in PATH and /usr/sbin. */
  if (gpsd == NULL && !g_file_test ("/usr/sbin/gpsd", G_FILE_TEST_IS_EXECUTABLE)) {
    *why = g_strdup ("gpsd not found (Debian package gpsd)");
    return FALSE;
  }
  /* -V imports gpsfake's Python modules (python3-gps) and exits. */
  {
    const gchar *argv[] = { gpsfake, "-V", NULL };
    if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
            NULL, &err, &status, NULL) ||
        !g_spawn_check_wait_status (status, NULL)) {
      *why = g_strdup_printf ("gpsfake -V fails (python3-gps missing?): %s", err ? err : "");
      return FALSE;
    }
  }
  /* /bin/sh is dash, whose kill takes "-s TERM -- -PGID" but not
   * "-TERM -- -PGID": the first version left the probe's gpsfake and gpsd
   * running after every suite.  timeout(1) makes sure anyway.
   * gpsd drops root for its own user before it opens gpsfake's pty.  In a
   * chroot that shares the host's /dev/pts (tools/fresh-machine-check does)
   * that open fails with EACCES: no report ever arrives.  Find out with a
   * short replay and one client, and say so, rather than time out. */
  {
    g_autofree gchar *port = dvr_test_free_port ();
    g_autofree gchar *out = NULL;
    const gchar *argv[] = { "/bin/sh", "-c",
      "d=$(mktemp -d) && cd \"$d\" || exit 1\n"
      "printf '%s\\r\\n' "
      "'$GPRMC,000944.00,A,4404.13400,N,12118.85623,W,0.023,,100117,,,A*64' > c.log\n"
      "for i in 1 2 3 4 5 6 7 8 9; do cat c.log; done > r.log\n"
      "setsid timeout -k 2 8 gpsfake -1 -q -P \"$1\" -c 0.2 r.log > log 2>&1 &\n"
      "p=$!; sleep 1; timeout 3 gpspipe -w -n 4 \"127.0.0.1:$1\" > /dev/null 2>&1\n"
      "kill -s TERM -- -$p 2> /dev/null; sleep 0.3; kill -s KILL -- -$p 2> /dev/null\n"
      "grep -m1 'failed: Permission denied' log; r=$?; cd /; rm -rf \"$d\"; exit $r",
      "probe", port, NULL };
    if (g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
            &out, NULL, &status, NULL) &&
        g_spawn_check_wait_status (status, NULL)) {
      *why = g_strdup_printf ("gpsd cannot open gpsfake's pty here (%s): a chroot sharing "
          "the host's /dev/pts?", g_strstrip (out));
      return FALSE;
    }
  }
  return TRUE;
}

gchar *
dvr_test_free_port (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

/* In the child, before exec of timeout(1). */
static void
child_setup (gpointer user_data)
{
  /* Its own process group, so that a stop reaches gpsfake's gpsd too. */
  setpgid (0, 0);
  /* Should the test die without stopping it (a failed assertion aborts),
   * timeout(1) gets SIGTERM and passes it to the group. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

DvrTestGpsfake *
dvr_test_gpsfake_start (const gchar *folder,
                        const gchar *capture,
                        const gchar *port,
                        gdouble cycle_s,
                        gdouble preamble_s,
                        GError **error)
{
  g_autoptr (DvrTestGpsfake) fake = g_new0 (DvrTestGpsfake, 1);
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GString) replay = g_string_new (NULL);
  g_autofree gchar *contents = NULL;
  g_autofree gchar *base = g_path_get_basename (capture);
  g_autofree gchar *cycle = g_strdup_printf ("%.4f", cycle_s);
  guint preamble_lines = (guint) (preamble_s / cycle_s);
  gsize length = 0;
  static guint counter;

  if (!g_file_get_contents (capture, &contents, &length, error))
    return NULL;
  for (guint i = 0; i < preamble_lines; i++)
    g_string_append (replay, PREAMBLE_SENTENCE);
  g_string_append_len (replay, contents, length);

  fake->port = g_strdup (port);
  fake->replay_path = g_strdup_printf ("%s/%u-%s", folder, counter, base);
  fake->log_path = g_strdup_printf ("%s/%u-gpsfake.log", folder, counter);
  counter++;
  if (!g_file_set_contents (fake->replay_path, replay->str, replay->len, error))
    return NULL;

  g_subprocess_launcher_setenv (launcher, "TMPDIR", folder, TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, fake->log_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  /* gpsfake stuck in a write to its pty (its gpsd gone, nobody reads)
   * ignores SIGTERM: timeout(1) follows any signal it relays, or its own
   * limit, with SIGKILL to the whole group 2 s later. */
  fake->process = g_subprocess_launcher_spawn (launcher, error,
      "timeout", "-k", "2", LIFETIME_LIMIT,
      "gpsfake", "-1", "-q", "-P", port, "-c", cycle, "-W", "0", fake->replay_path, NULL);
  if (fake->process == NULL)
    return NULL;
  return g_steal_pointer (&fake);
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DvrTestGpsfake *fake = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  fake->exited = TRUE;
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;
  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
dvr_test_gpsfake_stop (DvrTestGpsfake *fake)
{
  const gchar *identifier;
  gboolean timed_out = FALSE;
  guint timeout_id;
  pid_t group;

  if (fake == NULL || fake->process == NULL || fake->exited)
    return;
  identifier = g_subprocess_get_identifier (fake->process);
  if (identifier == NULL) {
    fake->exited = TRUE;
    return;
  }
  group = (pid_t) g_ascii_strtoll (identifier, NULL, 10);
  g_subprocess_wait_async (fake->process, NULL, on_exited, fake);
  kill (-group, SIGTERM);
  timeout_id = g_timeout_add (STOP_TIMEOUT_MS, on_stop_timeout, &timed_out);
  while (!fake->exited && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!fake->exited) {
    kill (-group, SIGKILL);
    while (!fake->exited)
      g_main_context_iteration (NULL, TRUE);
  } else {
    g_source_remove (timeout_id);
  }
  /* gpsd never removes its shared-memory export, which gpsfake keys by
   * port (0x4770PPPP): without this each run would leave 24 KiB behind. */
  {
    key_t key = (key_t) (0x47700000 + g_ascii_strtoull (fake->port, NULL, 10));
    int id = shmget (key, 0, 0);
    if (id >= 0)
      shmctl (id, IPC_RMID, NULL);
  }
}

void
dvr_test_gpsfake_print_log (DvrTestGpsfake *fake)
{
  g_autofree gchar *log = NULL;

  g_file_get_contents (fake->log_path, &log, NULL, NULL);
  g_printerr ("gpsfake log (%s):\n%s\n", fake->log_path, log ? log : "");
}

void
dvr_test_gpsfake_free (DvrTestGpsfake *fake)
{
  if (fake == NULL)
    return;
  dvr_test_gpsfake_stop (fake);
  g_clear_object (&fake->process);
  g_free (fake->port);
  g_free (fake->replay_path);
  g_free (fake->log_path);
  g_free (fake);
}
