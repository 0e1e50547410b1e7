/* dvr-daemon: the only place where modules are wired together.
 *
 *   config -> storage + catalog -> one DvrPipeline per camera
 *   pipeline "segment-closed" -> storage thread (hash, fdatasync, dir fsync)
 *       -> main loop -> catalog row
 *   control socket -> daemon API (status)
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "dvr-config.h"

G_BEGIN_DECLS

typedef struct _DvrDaemon DvrDaemon;

/* Opens the storage and the catalog, sweeps the storage for the highest run
 * id, begins a run and binds the control socket.  Takes @config. */
DvrDaemon *dvr_daemon_new (DvrConfig *config, GError **error);
void dvr_daemon_free (DvrDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrDaemon, dvr_daemon_free)

/* Starts every camera. */
void dvr_daemon_start (DvrDaemon *daemon);

/* Finalizes every camera's open segment, waits for every file to be durable
 * and catalogued, ends the run, then calls @done on the main loop. */
void dvr_daemon_stop (DvrDaemon *daemon, GSourceFunc done, gpointer user_data);

/* The "status" reply payload (new JsonNode holding an object). */
JsonNode *dvr_daemon_build_status (DvrDaemon *daemon);

gint64 dvr_daemon_get_run_id (DvrDaemon *daemon);

/* TRUE when dvr_daemon_stop() gave up waiting (a camera or the disk hung):
 * something was left for startup recovery, and a helper thread may still be
 * blocked, so the process should exit without tearing GStreamer down. */
gboolean dvr_daemon_get_stop_forced (DvrDaemon *daemon);

/* The ignition's hold-over has ended ([power] in dvr.conf): dvrd calls
 * @func on the main loop, which stops the daemon as for SIGTERM and, once
 * stopped, calls dvr_daemon_power_off(). */
void dvr_daemon_set_shutdown_func (DvrDaemon *daemon, GSourceFunc func, gpointer user_data);
/* TRUE once the hold-over ended (the stop is for power-off). */
gboolean dvr_daemon_get_power_off_requested (DvrDaemon *daemon);
/* After dvr_daemon_stop() has finished: runs [power] power-off-command (no
 * shell, arguments from dvr.conf only) and waits for it.  TRUE when there
 * is none or it succeeded; FALSE with @error naming the command. */
gboolean dvr_daemon_power_off (DvrDaemon *daemon, GError **error);

G_END_DECLS
