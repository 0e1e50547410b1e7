/* dvr-gps: position reports from gpsd, read through libgps on the main loop.
 *
 * A DvrGps keeps one connection to gpsd ("?WATCH" in JSON), turns every TPV
 * report into a DvrGpsFix and emits it.  It never blocks the main loop: the
 * connect (name lookup and TCP connect, which for a remote gpsd can take
 * minutes) runs in a worker thread; reads are driven by the socket becoming
 * readable on the thread-default main context of dvr_gps_new().  A lost or
 * refused connection is retried with exponential backoff, forever.
 *
 * State machine:
 *
 *   DISCONNECTED --start / backoff timer--> CONNECTING
 *   CONNECTING --connected, WATCH sent--> CONNECTED
 *   CONNECTING --refused, name lookup failed--> DISCONNECTED (retry scheduled)
 *   CONNECTED --EOF, read error--> DISCONNECTED (retry scheduled)
 *   any --stop--> DISCONNECTED (nothing scheduled)
 *
 * Not thread-safe: every function and signal runs on that main context.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

#include "dvr-gps-fix.h"

G_BEGIN_DECLS

typedef enum {
  DVR_GPS_STATE_DISCONNECTED,
  DVR_GPS_STATE_CONNECTING,
  DVR_GPS_STATE_CONNECTED,
} DvrGpsState;

const gchar *dvr_gps_state_to_string (DvrGpsState state);

/* Retry delays after a refused or lost connection: the first is min, each
 * next one doubles up to max; a connection that delivers a report resets it
 * to min. */
#define DVR_GPS_BACKOFF_MIN_DEFAULT_NS (G_GINT64_CONSTANT (1000000000))
#define DVR_GPS_BACKOFF_MAX_DEFAULT_NS (G_GINT64_CONSTANT (30000000000))
/* A report whose GPS time moved backwards, or moved more than this apart from
 * the monotonic clock since the previous timed report, is a time jump. */
#define DVR_GPS_TIME_JUMP_DEFAULT_NS (G_GINT64_CONSTANT (5000000000))

/* Boxed so that the "fix" signal can carry it; copy is a g_memdup2(). */
#define DVR_TYPE_GPS_FIX (dvr_gps_fix_get_type ())
GType dvr_gps_fix_get_type (void);
DvrGpsFix *dvr_gps_fix_copy (const DvrGpsFix *fix);
void dvr_gps_fix_free (DvrGpsFix *fix);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrGpsFix, dvr_gps_fix_free)

#define DVR_TYPE_GPS (dvr_gps_get_type ())
G_DECLARE_FINAL_TYPE (DvrGps, dvr_gps, DVR, GPS, GObject)

/* Signals (main loop):
 *   "fix" (const DvrGpsFix *fix): one TPV report, whatever its mode: a report
 *       with mode NO_FIX or UNKNOWN says "no position now".  @fix is
 *       borrowed for the duration of the emission (G_SIGNAL_TYPE_STATIC_SCOPE:
 *       C handlers get the pointer, not a copy).  gpsd may report one epoch
 *       several times (one TPV per NMEA sentence until it has learnt which
 *       sentence ends the receiver's cycle, e.g. RMC then GGA with altitude):
 *       the same time_ns then comes again, more complete.
 *   "state-changed" (DvrGpsState state): every change of the connection
 *       state, including each retry's CONNECTING -> DISCONNECTED while gpsd
 *       is absent.  Operators care about the changes to and from CONNECTED.
 *
 * A handler may call dvr_gps_stop() or drop its last reference. */

/* @host and @port as for gps_open(): NULL means "localhost" and "2947". */
DvrGps *dvr_gps_new (const gchar *host, const gchar *port);

/* Both take effect from the next retry. */
void dvr_gps_set_backoff (DvrGps *self, gint64 min_ns, gint64 max_ns);
void dvr_gps_set_time_jump_threshold (DvrGps *self, gint64 threshold_ns);

/* Starts connecting (at once); a no-op while started. */
void dvr_gps_start (DvrGps *self);
/* Closes the connection and cancels any retry; a connect in flight in the
 * worker thread is abandoned (closed when it returns).  State becomes
 * DISCONNECTED.  Counters and the last fix are kept. */
void dvr_gps_stop (DvrGps *self);

DvrGpsState dvr_gps_get_state (DvrGps *self);
/* The latest report (any mode) since dvr_gps_new(), or NULL.  Borrowed:
 * valid until the next report or until @self is finalized. */
const DvrGpsFix *dvr_gps_get_last_fix (DvrGps *self);
/* Why the last connection attempt failed or the last connection ended,
 * e.g. "can't connect to host/port pair", or NULL.  Borrowed. */
const gchar *dvr_gps_get_last_error (DvrGps *self);
/* The delay of the retry scheduled now (0 when none is). */
gint64 dvr_gps_get_retry_delay_ns (DvrGps *self);

/* GPS time minus system clock (CLOCK_REALTIME), in ns: the median of the
 * offsets (time_ns - received_utc_ns) of the last 16 reports with a fix
 * (mode >= 2) and a time.  The median ignores a receiver's odd report; each
 * sample also includes gpsd's delivery latency (the report arrives after
 * its epoch), so a perfectly synchronised clock shows an offset of a few
 * tens of milliseconds below zero.  G_MININT64 (unknown) after a report
 * without a fix, after the connection is lost, and when the newest sample
 * is more than 10 s old: a system clock stepped meanwhile would make it a
 * lie. */
gint64 dvr_gps_get_clock_offset_ns (DvrGps *self);

/* Counters since dvr_gps_new(). */
typedef struct {
  guint64 fixes;          /* reports with mode 2D or 3D */
  guint64 no_fixes;       /* reports with mode NO_FIX or UNKNOWN */
  guint64 invalid_fields; /* fields gpsd sent but out of range or not finite:
                           * dropped (set to unknown), the report kept */
  guint64 malformed;      /* lines from gpsd that are not a JSON object, or a
                           * TPV without a mode: skipped */
  guint64 time_jumps;     /* see DVR_GPS_TIME_JUMP_DEFAULT_NS */
  guint reconnects;       /* connections made after the first (after a
                           * loss, or a stop and start) */
} DvrGpsCounters;

void dvr_gps_get_counters (DvrGps *self, DvrGpsCounters *counters);

G_END_DECLS
