/* notify-test: src/dvr-notify.c against a notify socket of the test's own
 * (a Unix datagram socket, as systemd's): the exact datagrams, STATUS=
 * kept to one line, nothing sent without NOTIFY_SOCKET, and the watchdog
 * interval read from WATCHDOG_USEC and WATCHDOG_PID.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-notify.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* dvr-notify's warnings, counted instead of printed (GLib 2.74's
 * g_test_expect_message() does not see structured logging). */
static guint notify_warnings;

static GLogWriterOutput
count_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
              gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if ((level & G_LOG_LEVEL_WARNING) && g_strcmp0 (fields[i].key, "MESSAGE") == 0 &&
        fields[i].length == -1 && g_str_has_prefix (fields[i].value, "systemd notify (")) {
      notify_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

typedef struct {
  gchar *folder;
  gchar *path;
  DvrFd fd;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };

  f->folder = dvr_test_mkdtemp ();
  f->path = g_build_filename (f->folder, "notify", NULL);
  g_assert_cmpuint (strlen (f->path), <, sizeof address.sun_path);
  strcpy (address.sun_path, f->path);
  f->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  g_assert_cmpint (f->fd, >=, 0);
  g_assert_cmpint (bind (f->fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_setenv ("NOTIFY_SOCKET", f->path, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");
  dvr_fd_close (&f->fd);
  dvr_test_rmtree (f->folder);
  g_free (f->folder);
  g_free (f->path);
}

/* The next datagram (sd_notify() has sent it by the time it returns), or
 * NULL if there is none. */
static gchar *
receive (Fixture *f)
{
  gchar buf[4096];
  ssize_t n = recv (f->fd, buf, sizeof buf - 1, 0);

  if (n < 0) {
    g_assert_cmpint (errno, ==, EAGAIN);
    return NULL;
  }
  buf[n] = '\0';
  return g_strdup (buf);
}

static void
expect (Fixture *f, const gchar *datagram)
{
  g_autofree gchar *got = receive (f);
  g_assert_cmpstr (got, ==, datagram);
}

static void
test_messages (Fixture *f, gconstpointer data)
{
  dvr_notify_ready ("recording 3 cameras");
  expect (f, "READY=1\nSTATUS=recording 3 cameras");
  dvr_notify_ready (NULL);
  expect (f, "READY=1");
  dvr_notify_watchdog ();
  expect (f, "WATCHDOG=1");
  dvr_notify_status ("camera rear lost");
  expect (f, "STATUS=camera rear lost");
  dvr_notify_status (NULL);
  dvr_notify_stopping ("stopping: SIGTERM");
  expect (f, "STOPPING=1\nSTATUS=stopping: SIGTERM");
  dvr_notify_stopping (NULL);
  expect (f, "STOPPING=1");
  /* Nothing else was sent (dvr_notify_status (NULL) sends nothing). */
  g_assert_null (receive (f));
}

/* A status with a newline would otherwise add an assignment of its own. */
static void
test_status_one_line (Fixture *f, gconstpointer data)
{
  dvr_notify_status ("disk low\nREADY=1");
  expect (f, "STATUS=disk low READY=1");
  dvr_notify_ready ("a\r\nb");
  expect (f, "READY=1\nSTATUS=a  b");
  g_assert_null (receive (f));
}

static void
test_without_socket (Fixture *f, gconstpointer data)
{
  g_unsetenv ("NOTIFY_SOCKET");
  dvr_notify_ready ("x");
  dvr_notify_status ("x");
  dvr_notify_watchdog ();
  dvr_notify_stopping ("x");
  g_assert_null (receive (f));
  g_setenv ("NOTIFY_SOCKET", "", TRUE);
  dvr_notify_watchdog ();
  g_assert_null (receive (f));
}

/* A socket that is gone: logged once, never fatal. */
static void
test_socket_gone (Fixture *f, gconstpointer data)
{
  g_autofree gchar *gone = g_build_filename (f->folder, "gone", NULL);

  g_setenv ("NOTIFY_SOCKET", gone, TRUE);
  g_assert_cmpuint (notify_warnings, ==, 0);
  dvr_notify_watchdog ();
  dvr_notify_watchdog ();
  dvr_notify_ready ("x");
  g_assert_cmpuint (notify_warnings, ==, 1);
  g_assert_null (receive (f));
  /* Back: sent again. */
  g_setenv ("NOTIFY_SOCKET", f->path, TRUE);
  dvr_notify_watchdog ();
  expect (f, "WATCHDOG=1");
}

static void
test_watchdog_interval (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid = g_strdup_printf ("%d", (int) getpid ());

  g_unsetenv ("WATCHDOG_USEC");
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 0);

  /* WatchdogSec=30: a ping every 15 s. */
  g_setenv ("WATCHDOG_USEC", "30000000", TRUE);
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 15 * DVR_NSEC_PER_SEC);
  g_setenv ("WATCHDOG_PID", pid, TRUE);
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 15 * DVR_NSEC_PER_SEC);
  /* Meant for another process (we are its child, say): not ours. */
  g_setenv ("WATCHDOG_PID", "1", TRUE);
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 0);
  g_unsetenv ("WATCHDOG_PID");

  g_setenv ("WATCHDOG_USEC", "0", TRUE);
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 0);
  g_setenv ("WATCHDOG_USEC", "not a number", TRUE);
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 0);
  /* The environment is left for later calls. */
  g_setenv ("WATCHDOG_USEC", "1000000", TRUE);
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 500 * DVR_NSEC_PER_MSEC);
  g_assert_cmpint (dvr_notify_get_watchdog_interval_ns (), ==, 500 * DVR_NSEC_PER_MSEC);
  g_assert_cmpstr (g_getenv ("WATCHDOG_USEC"), ==, "1000000");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (count_writer, NULL, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/notify/messages", test_messages);
  ADD ("/notify/status-one-line", test_status_one_line);
  ADD ("/notify/without-socket", test_without_socket);
  ADD ("/notify/socket-gone", test_socket_gone);
  ADD ("/notify/watchdog-interval", test_watchdog_interval);
#undef ADD
  return g_test_run ();
}
