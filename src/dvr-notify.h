/* dvr-notify: systemd's service notifications (sd_notify): READY=1 once
 * startup recovery is done and every camera records, STATUS= lines, and
 * WATCHDOG=1 pings from the main loop only while the pipelines make
 * progress (config/dvrd.service: Type=notify, WatchdogSec=).  Without
 * NOTIFY_SOCKET (not started by systemd) every call does nothing.
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether systemd asked for watchdog pings, and how often to send them
 * (half its WatchdogSec), in ns; 0 when not. */
gint64 dvr_notify_get_watchdog_interval_ns (void);
void dvr_notify_ready (const gchar *status);
void dvr_notify_status (const gchar *status);
void dvr_notify_watchdog (void);
void dvr_notify_stopping (const gchar *status);

G_END_DECLS
