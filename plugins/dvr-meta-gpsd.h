/* dvr-meta-gpsd: dvrmeta's own gpsd client (libgps), used when its "gpsd"
 * property is set.  Internal to the plugin.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _DvrMetaGpsd DvrMetaGpsd;

/* Called on the client's thread for every TPV report, with a "gps"
 * structure in the form of dvrmeta's "push-gps" signal (borrowed). */
typedef void (*DvrMetaGpsdReportFunc) (const GstStructure *report, gpointer user_data);

/* Called on the client's thread when the connection to gpsd comes up
 * (@connected TRUE) or goes away / cannot be made (@connected FALSE, with
 * what happened in @message). */
typedef void (*DvrMetaGpsdStateFunc) (gboolean connected, const gchar *message,
                                      gpointer user_data);

/* Splits "host:port", "host", ":port" or "[v6]:port" into a host (default
 * "localhost") and a port (default 2947).  FALSE with @error if malformed. */
gboolean dvr_meta_gpsd_parse_address (const gchar *address, gchar **host, gchar **port,
                                      GError **error);

/* Starts a thread that connects to gpsd at @address, watches it and
 * reconnects with backoff (0.5 s doubling to 10 s) whenever it goes away.
 * NULL with @error if @address is malformed or the thread cannot start.
 * The callbacks run on that thread until dvr_meta_gpsd_stop() returns. */
DvrMetaGpsd *dvr_meta_gpsd_start (const gchar *address, DvrMetaGpsdReportFunc report_func,
                                  DvrMetaGpsdStateFunc state_func, gpointer user_data,
                                  GError **error);

/* Stops and joins the thread and frees @gpsd.  Returns at once unless
 * gps_open() is in the middle of connecting (name lookup, TCP connect). */
void dvr_meta_gpsd_stop (DvrMetaGpsd *gpsd);

G_END_DECLS
