/* Integration: the real dvrd under systemd's notify protocol, as
 * config/dvrd.service runs it (Type=notify, WatchdogSec=), with the test
 * in systemd's place: NOTIFY_SOCKET is a Unix datagram socket the test
 * owns, WATCHDOG_USEC a short watchdog.  Checked against the contract of
 * src/dvr-notify.h:
 *   - READY=1 arrives once, and only when every camera records (the
 *     status asked for the moment it arrives shows each one recording);
 *   - WATCHDOG=1 pings follow, never further apart than the watchdog
 *     timeout (systemd would kill dvrd otherwise), and none at all
 *     without WATCHDOG_USEC;
 *   - STOPPING=1 before a clean exit on SIGTERM;
 *   - every datagram comes from dvrd itself (its credentials), as
 *     NotifyAccess=main requires.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dvr-test-util.h"
#include "dvr-utils.h"

/* dvrd may take this long to record (more under valgrind). */
#define READY_TIMEOUT_S 60

typedef struct {
  gint64 mono_us;      /* when the test received it */
  gchar *text;
  pid_t pid;           /* sender, from SCM_CREDENTIALS */
} Datagram;

static void
datagram_clear (Datagram *d)
{
  g_free (d->text);
}

typedef struct {
  gchar *folder;
  gchar *storage;
  gchar *notify_path;
  DvrFd fd;
  GArray *received;    /* element-type Datagram */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int one = 1;

  f->folder = dvr_test_mkdtemp ();
  f->storage = g_build_filename (f->folder, "storage", NULL);
  g_assert_cmpint (g_mkdir (f->storage, 0750), ==, 0);
  f->notify_path = g_build_filename (f->folder, "notify", NULL);
  g_assert_cmpuint (strlen (f->notify_path), <, sizeof address.sun_path);
  strcpy (address.sun_path, f->notify_path);
  f->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  g_assert_cmpint (f->fd, >=, 0);
  g_assert_cmpint (bind (f->fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  /* Like systemd: each datagram carries its sender's pid. */
  g_assert_cmpint (setsockopt (f->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), ==, 0);
  f->received = g_array_new (FALSE, TRUE, sizeof (Datagram));
  g_array_set_clear_func (f->received, (GDestroyNotify) datagram_clear);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  dvr_fd_close (&f->fd);
  g_array_unref (f->received);
  dvr_test_rmtree (f->folder);
  g_free (f->folder);
  g_free (f->storage);
  g_free (f->notify_path);
}

static gchar *
config_text (Fixture *f)
{
  return g_strdup_printf (
      "[recorder]\nstorage = %s\nsegment-length = 2\n"
      "stall-timeout = %u\n"   /* the default, scaled: dvrd starts slowly under valgrind */
      "[control]\nsocket = %s/control.sock\n"
      "[gps]\ngpsd = none\n"
      "[camera front]\nsource = test\nwidth = 160\nheight = 120\nframerate = 10/1\n"
      "[camera rear]\nsource = test\nwidth = 160\nheight = 120\nframerate = 10/1\n",
      f->storage, dvr_test_timeout_ms (5000) / 1000, f->folder);
}

/* Receives every datagram waiting, or waits up to @timeout_ms for one.
 * Returns how many arrived. */
static guint
receive (Fixture *f, guint timeout_ms)
{
  struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
  guint n = 0;

  if (poll (&pfd, 1, timeout_ms) <= 0)
    return 0;
  for (;;) {
    gchar buf[4096];
    union {
      struct cmsghdr header;
      guint8 space[CMSG_SPACE (sizeof (struct ucred))];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf - 1 };
    struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1,
      .msg_control = &control, .msg_controllen = sizeof control,
    };
    Datagram d = { 0, };
    ssize_t len = recvmsg (f->fd, &msg, MSG_CMSG_CLOEXEC);

    if (len < 0) {
      g_assert_cmpint (errno, ==, EAGAIN);
      return n;
    }
    buf[len] = '\0';
    d.mono_us = g_get_monotonic_time ();
    d.text = g_strdup (buf);
    d.pid = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        struct ucred cred;
        memcpy (&cred, CMSG_DATA (c), sizeof cred);
        d.pid = cred.pid;
      }
    g_test_message ("notify from %d: %s", (int) d.pid, d.text);
    g_array_append_val (f->received, d);
    n++;
  }
}

/* Whether @datagram holds the assignment @line ("READY=1"). */
static gboolean
has_line (const Datagram *datagram, const gchar *line)
{
  g_auto (GStrv) lines = g_strsplit (datagram->text, "\n", -1);
  return g_strv_contains ((const gchar * const *) lines, line);
}

static pid_t
daemon_pid (DvrTestDaemon *daemon)
{
  const gchar *id = g_subprocess_get_identifier (daemon->process);
  g_assert_nonnull (id);
  return (pid_t) g_ascii_strtoll (id, NULL, 10);
}

G_GNUC_NORETURN static void
fail_with_log (DvrTestDaemon *daemon, const gchar *what)
{
  dvr_test_daemon_print_log (daemon);
  g_error ("%s", what);
}

/* Receives until READY=1 (returns its index) or the timeout. */
static guint
wait_ready (Fixture *f, DvrTestDaemon *daemon, JsonObject **status_at_ready)
{
  gint64 deadline = g_get_monotonic_time () +
      (gint64) dvr_test_timeout_ms (READY_TIMEOUT_S * 1000) * 1000;
  guint seen = 0;

  while (g_get_monotonic_time () < deadline) {
    receive (f, 100);
    for (; seen < f->received->len; seen++) {
      if (has_line (&g_array_index (f->received, Datagram, seen), "READY=1")) {
        g_autoptr (GError) error = NULL;
        /* Asked at once: a READY=1 sent before the cameras recorded would
         * find them still starting. */
        *status_at_ready = dvr_test_daemon_status (daemon, &error);
        g_assert_no_error (error);
        return seen;
      }
    }
    if (g_subprocess_get_identifier (daemon->process) == NULL)
      fail_with_log (daemon, "dvrd exited before READY=1");
  }
  fail_with_log (daemon, "no READY=1 from dvrd");
}

static void
assert_all_from (Fixture *f, pid_t pid)
{
  for (guint i = 0; i < f->received->len; i++) {
    const Datagram *d = &g_array_index (f->received, Datagram, i);
    if (d->pid != pid)
      g_error ("\"%s\" came from pid %d, not dvrd (%d)", d->text, (int) d->pid, (int) pid);
  }
}

static guint
count_lines (Fixture *f, guint from, const gchar *line)
{
  guint n = 0;
  for (guint i = from; i < f->received->len; i++)
    if (has_line (&g_array_index (f->received, Datagram, i), line))
      n++;
  return n;
}

/* Stops dvrd with SIGTERM: exit 0 and STOPPING=1 sent before it. */
static void
stop_cleanly (Fixture *f, DvrTestDaemon *daemon, pid_t pid)
{
  guint before = f->received->len;
  gint status = dvr_test_daemon_stop (daemon, 15000, NULL);

  if (status != 0)
    fail_with_log (daemon, "dvrd did not exit 0 on SIGTERM");
  while (receive (f, 0) > 0)
    ;
  g_assert_cmpuint (count_lines (f, before, "STOPPING=1"), ==, 1);
  assert_all_from (f, pid);
}

static void
test_ready_and_watchdog (Fixture *f, gconstpointer data)
{
  /* WatchdogSec=2: pings every second, and systemd's limit is 2 s (both
   * scaled under valgrind, whose dvrd answers late). */
  const gint64 watchdog_us = (gint64) dvr_test_timeout_ms (2000) * 1000;
  g_autofree gchar *notify_env = g_strdup_printf ("NOTIFY_SOCKET=%s", f->notify_path);
  g_autofree gchar *watchdog_env = g_strdup_printf ("WATCHDOG_USEC=%" G_GINT64_FORMAT,
      watchdog_us);
  const gchar *environment[] = { notify_env, watchdog_env, NULL };
  g_autofree gchar *config = config_text (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (JsonObject) status = NULL;
  const gchar *cameras[] = { "front", "rear" };
  gint64 ready_us, last_us, end_us, max_gap_us = 0;
  guint ready, pings = 0;
  pid_t pid;

  daemon = dvr_test_daemon_start_with_env (f->folder, config, environment, &error);
  g_assert_no_error (error);
  pid = daemon_pid (daemon);

  ready = wait_ready (f, daemon, &status);
  g_assert_nonnull (status);
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    JsonObject *camera = dvr_test_status_camera (status, cameras[i]);
    g_assert_nonnull (camera);
    if (g_strcmp0 (json_object_get_string_member (camera, "state"), "recording") != 0) {
      g_autofree gchar *what = g_strdup_printf ("READY=1 while camera %s was \"%s\"",
          cameras[i], json_object_get_string_member (camera, "state"));
      fail_with_log (daemon, what);
    }
  }

  /* Six seconds (three watchdog timeouts) of pings after READY=1. */
  ready_us = g_array_index (f->received, Datagram, ready).mono_us;
  end_us = ready_us + 3 * watchdog_us;
  while (g_get_monotonic_time () < end_us)
    receive (f, 100);
  last_us = ready_us;
  for (guint i = ready + 1; i < f->received->len; i++) {
    const Datagram *d = &g_array_index (f->received, Datagram, i);
    if (!has_line (d, "WATCHDOG=1"))
      continue;
    pings++;
    max_gap_us = MAX (max_gap_us, d->mono_us - last_us);
    last_us = d->mono_us;
  }
  max_gap_us = MAX (max_gap_us, end_us - last_us);
  g_test_message ("%u pings in %" G_GINT64_FORMAT " s after READY=1, longest gap %"
      G_GINT64_FORMAT " ms", pings, 3 * watchdog_us / G_USEC_PER_SEC, max_gap_us / 1000);
  if (pings < 3)
    fail_with_log (daemon, "fewer than 3 WATCHDOG=1 pings in three WATCHDOG_USEC");
  if (max_gap_us >= watchdog_us)
    fail_with_log (daemon, "WATCHDOG=1 pings further apart than WATCHDOG_USEC");
  g_assert_cmpuint (count_lines (f, 0, "READY=1"), ==, 1);
  assert_all_from (f, pid);

  stop_cleanly (f, daemon, pid);
}

/* NOTIFY_SOCKET without WATCHDOG_USEC (WatchdogSec= not set): READY=1,
 * and no pings. */
static void
test_no_watchdog (Fixture *f, gconstpointer data)
{
  g_autofree gchar *notify_env = g_strdup_printf ("NOTIFY_SOCKET=%s", f->notify_path);
  const gchar *environment[] = { notify_env, "WATCHDOG_USEC=", NULL };
  g_autofree gchar *config = config_text (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrTestDaemon) daemon = NULL;
  g_autoptr (JsonObject) status = NULL;
  gint64 end_us;
  pid_t pid;

  daemon = dvr_test_daemon_start_with_env (f->folder, config, environment, &error);
  g_assert_no_error (error);
  pid = daemon_pid (daemon);
  wait_ready (f, daemon, &status);
  end_us = g_get_monotonic_time () + (gint64) dvr_test_timeout_ms (3000) * 1000;
  while (g_get_monotonic_time () < end_us)
    receive (f, 100);
  g_assert_cmpuint (count_lines (f, 0, "WATCHDOG=1"), ==, 0);
  assert_all_from (f, pid);
  stop_cleanly (f, daemon, pid);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/daemon-notify/ready-and-watchdog", Fixture, NULL, fixture_setup,
      test_ready_and_watchdog, fixture_teardown);
  g_test_add ("/daemon-notify/no-watchdog", Fixture, NULL, fixture_setup,
      test_no_watchdog, fixture_teardown);
  return g_test_run ();
}
