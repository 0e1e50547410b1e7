/* dvr-ignition: the recorder's power lifecycle, driven by the vehicle's
 * ignition.  Plain logic on times passed in (monotonic ns; a fake clock in
 * tests).  The daemon starts and stops the cameras and runs the power-off
 * command on what it returns.
 *
 *   OFF --on held for debounce--> ON (recording)
 *   ON --off held for debounce--> HOLD_OVER (recording on)
 *   HOLD_OVER --on held for debounce--> ON (shutdown cancelled)
 *   HOLD_OVER --hold-over over and no event running--> SHUTDOWN
 *
 * The ignition's level goes through the same debounce both ways, so that it
 * dipping while the engine cranks, or flapping, changes nothing.  While an
 * event runs (including its post-event time) the hold-over does not end: it
 * ends at the later of off + hold_over and the event's close.  SHUTDOWN is
 * final (the daemon finalizes, checkpoints and powers off); every call
 * after it gives NOTHING.  OFF (started without ignition) never shuts down.
 *
 * "off" is when the off was debounced (its last change + debounce).  A
 * hold-over of 0 shuts down in the same call that debounces the off (flags
 * HOLD_OVER | SHUTDOWN) unless an event runs.  Deadlines (debounce, end of
 * the hold-over) take effect in dvr_ignition_tick() only, at their own time
 * however late the tick (in the order they fell due; on a tie between the
 * hold-over's end and the ignition coming back on, the ignition wins).  So
 * dvr_ignition_set() acts at once only with a debounce of 0, and
 * dvr_ignition_set_event_active() always gives NOTHING: it moves the
 * deadline, and the caller ticks at get_next_deadline() after every call.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DVR_IGNITION_STATE_OFF,
  DVR_IGNITION_STATE_ON,
  DVR_IGNITION_STATE_HOLD_OVER,
  DVR_IGNITION_STATE_SHUTDOWN,
} DvrIgnitionState;

/* "off", "on", "hold-over", "shutdown" */
const gchar *dvr_ignition_state_to_string (DvrIgnitionState state);

typedef enum {
  DVR_IGNITION_NOTHING = 0,
  DVR_IGNITION_START = 1 << 0,          /* OFF -> ON: start the cameras */
  DVR_IGNITION_HOLD_OVER = 1 << 1,      /* ON -> HOLD_OVER */
  DVR_IGNITION_CANCELLED = 1 << 2,      /* HOLD_OVER -> ON: shutdown cancelled */
  DVR_IGNITION_SHUTDOWN = 1 << 3,       /* HOLD_OVER -> SHUTDOWN */
} DvrIgnitionFlags;

typedef struct _DvrIgnition DvrIgnition;

/* @initial_on: the ignition's level at start, taken as debounced (a DVR
 * powered up by the ignition starts recording at once). */
DvrIgnition *dvr_ignition_new (gint64 debounce_ns, gint64 hold_over_ns, gboolean initial_on,
                               gint64 now_ns);
void dvr_ignition_free (DvrIgnition *ignition);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrIgnition, dvr_ignition_free)

/* The ignition signal's level at @now_ns (edges or repeats both fine). */
DvrIgnitionFlags dvr_ignition_set (DvrIgnition *ignition, gboolean on, gint64 now_ns);
/* Whether an event is running (or in its post-event time). */
DvrIgnitionFlags dvr_ignition_set_event_active (DvrIgnition *ignition, gboolean active,
                                                gint64 now_ns);
DvrIgnitionFlags dvr_ignition_tick (DvrIgnition *ignition, gint64 now_ns);

DvrIgnitionState dvr_ignition_get_state (const DvrIgnition *ignition);
/* When tick has something to do (end of a debounce, end of the hold-over),
 * or -1. */
gint64 dvr_ignition_get_next_deadline (const DvrIgnition *ignition);
/* In HOLD_OVER: when the hold-over ends (if no event runs then; while one
 * runs, the earliest it can end); else -1. */
gint64 dvr_ignition_get_shutdown_at (const DvrIgnition *ignition);

G_END_DECLS
