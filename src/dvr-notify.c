/* dvr-notify: systemd's notify protocol through libsystemd's sd_notify().
 *
 * sd_notify() itself does nothing (and returns 0) without NOTIFY_SOCKET;
 * the explicit check here only spares building the message.  The
 * environment is left as it is (unset_environment = 0): the calls keep
 * working for the life of the process, and NotifyAccess=main (the
 * default) makes systemd ignore anything a child process sends.
 *
 * A failed send is logged once at most: systemd then kills a watchdogged
 * dvrd anyway, and a journal full of the same line helps nobody.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-notify.h"

#include <systemd/sd-daemon.h>

static gboolean
notify_enabled (void)
{
  const gchar *socket = g_getenv ("NOTIFY_SOCKET");
  return socket != NULL && *socket != '\0';
}

/* One notify datagram of newline-separated assignments. */
static void
notify_send (const gchar *state)
{
  static gboolean failure_logged;
  int r = sd_notify (0, state);

  if (r < 0 && !failure_logged) {
    failure_logged = TRUE;
    g_warning ("systemd notify (%s): %s", g_getenv ("NOTIFY_SOCKET"), g_strerror (-r));
  }
}

/* A STATUS= value is one line: newlines would start new assignments. */
static gchar *
status_line (const gchar *status)
{
  gchar *line = g_strdup (status);
  g_strdelimit (line, "\r\n", ' ');
  return line;
}

gint64
dvr_notify_get_watchdog_interval_ns (void)
{
  uint64_t usec = 0;

  /* Also checks WATCHDOG_PID, so a child started with our environment
   * does not think the watchdog is its own. */
  if (sd_watchdog_enabled (0, &usec) <= 0 || usec == 0)
    return 0;
  /* Half the timeout, as sd_watchdog_enabled(3) recommends: one late ping
   * is not yet fatal. */
  return (gint64) MIN (usec, (uint64_t) G_MAXINT64 / 1000) * 1000 / 2;
}

static void
notify_with_status (const gchar *assignment, const gchar *status)
{
  g_autofree gchar *line = NULL;
  g_autofree gchar *message = NULL;

  if (!notify_enabled ())
    return;
  if (status == NULL) {
    notify_send (assignment);
    return;
  }
  line = status_line (status);
  message = g_strdup_printf ("%s\nSTATUS=%s", assignment, line);
  notify_send (message);
}

void
dvr_notify_ready (const gchar *status)
{
  notify_with_status ("READY=1", status);
}

void
dvr_notify_status (const gchar *status)
{
  g_autofree gchar *line = NULL;
  g_autofree gchar *message = NULL;

  if (!notify_enabled () || status == NULL)
    return;
  line = status_line (status);
  message = g_strdup_printf ("STATUS=%s", line);
  notify_send (message);
}

void
dvr_notify_watchdog (void)
{
  if (!notify_enabled ())
    return;
  notify_send ("WATCHDOG=1");
}

void
dvr_notify_stopping (const gchar *status)
{
  notify_with_status ("STOPPING=1", status);
}
