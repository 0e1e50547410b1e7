/* dvr-events: the vehicle's event state machine.
 *
 * One incident at a time for the whole vehicle.  Triggers (signal edges,
 * dvrctl) start, extend, mark and stop it; the post-event time runs after it
 * ends, and a start trigger during that time extends the same event.  Plain
 * logic on times passed in by the caller (a fake clock in tests), no I/O:
 * the daemon turns each DvrEventsResult into catalog rows, metadata markers
 * and log lines.
 *
 *   IDLE --start/while-active on--> ACTIVE --stop, last while-active off,
 *    ^                               ^  |    maximum duration--> POST
 *    |                        start  |  |                          |
 *    |                 (extends) ----+  +---------- POST ----------+
 *    +----------- post-event time over (CLOSED) -------------------+
 *
 * ACTIVE lasts while a start-event or manual start has not been stopped, or
 * while any record-while-active signal is on.  A stop (stop-event signal,
 * manual stop) ends it even if record-while-active signals are still on;
 * they start or extend an event again only on their next rising edge.  The
 * maximum duration (from the event's start) ends it the same way.  An event
 * resumed from POST keeps its start; resumed after its maximum duration, it
 * ends at the next tick, at the time of the trigger that resumed it.
 *
 * Deadlines (maximum duration, end of POST) take effect in
 * dvr_events_tick() only, at their own time however late the tick.  An
 * input past a deadline that was not ticked yet sees the event as it was
 * (a start trigger resumes, a mark marks), so the caller ticks at @now
 * first when dvr_events_get_next_deadline() <= now.
 *
 * Times are UTC nanoseconds, the same clock as segments' start and end.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a signal does to recording ([signal NAME] action in dvr.conf). */
typedef enum {
  DVR_TRIGGER_ACTION_SENSOR_ONLY,         /* kept in tracks and catalog only */
  DVR_TRIGGER_ACTION_START_EVENT,         /* rising edge starts (or extends) an event */
  DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE, /* event lasts while on, then post-event */
  DVR_TRIGGER_ACTION_MARK,                /* rising edge bookmarks the running event */
  DVR_TRIGGER_ACTION_STOP_EVENT,          /* rising edge ends the running event */
} DvrTriggerAction;

/* "sensor-only", "start-event", "record-while-active", "mark", "stop-event" */
const gchar *dvr_trigger_action_to_string (DvrTriggerAction action);
/* FALSE for an unknown string. */
gboolean dvr_trigger_action_from_string (const gchar *str, DvrTriggerAction *action);

typedef enum {
  DVR_EVENTS_STATE_IDLE,
  DVR_EVENTS_STATE_ACTIVE,
  DVR_EVENTS_STATE_POST,   /* ended; post-event time still running */
} DvrEventsState;

/* "idle", "running", "post-event": the control protocol's words. */
const gchar *dvr_events_state_to_string (DvrEventsState state);

/* What one input did; several flags can come together (a start trigger in
 * POST gives EXTENDED|RESUMED; a tick past both the maximum duration and the
 * post-event time gives ENDED|CLOSED). */
typedef enum {
  DVR_EVENTS_NOTHING  = 0,
  DVR_EVENTS_STARTED  = 1 << 0, /* a new event, starting at result.start_utc_ns */
  DVR_EVENTS_EXTENDED = 1 << 1, /* a trigger joined the running event */
  DVR_EVENTS_RESUMED  = 1 << 2, /* it had ended (POST) and is ACTIVE again */
  DVR_EVENTS_MARKED   = 1 << 3, /* a bookmark in the event (ACTIVE or POST) */
  DVR_EVENTS_ENDED    = 1 << 4, /* ended at result.end_utc_ns; POST begins */
  DVR_EVENTS_CLOSED   = 1 << 5, /* post-event time over: the event is finished */
  DVR_EVENTS_IGNORED  = 1 << 6, /* a stop with no event ACTIVE, a mark when IDLE */
} DvrEventsFlags;

/* The event the flags are about: with CLOSED the machine is IDLE again but
 * the result still holds the closed event's times and reason. */
typedef struct {
  DvrEventsFlags flags;
  gint64 start_utc_ns;     /* the event's start (its first trigger); -1 when none */
  gint64 end_utc_ns;       /* when it ended; -1 while ACTIVE or none */
  const gchar *end_reason; /* set when end_utc_ns is: "stopped", "signal off",
                            * "maximum duration" or finish()'s reason; never
                            * freed (static or interned) */
} DvrEventsResult;

typedef struct _DvrEvents DvrEvents;

/* @max_duration_ns: 0 for none.  @post_event_ns: the longest post-event time
 * of any camera taking part (the event is CLOSED that long after it ends). */
DvrEvents *dvr_events_new (gint64 max_duration_ns, gint64 post_event_ns);
void dvr_events_free (DvrEvents *events);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrEvents, dvr_events_free)

/* A signal changed to @value at @now.  Edges matter, not levels: the caller
 * passes changes only.  SENSOR_ONLY gives NOTHING. */
DvrEventsResult dvr_events_signal (DvrEvents *events,
                                   const gchar *name,
                                   DvrTriggerAction action,
                                   gboolean value,
                                   gint64 now_utc_ns);
/* dvrctl event start / stop / mark. */
DvrEventsResult dvr_events_start (DvrEvents *events, gint64 now_utc_ns);
DvrEventsResult dvr_events_stop (DvrEvents *events, gint64 now_utc_ns);
DvrEventsResult dvr_events_mark (DvrEvents *events, gint64 now_utc_ns);
/* Time passes: the maximum duration and the end of the post-event time. */
DvrEventsResult dvr_events_tick (DvrEvents *events, gint64 now_utc_ns);
/* Ends a running event now, whatever keeps it going (dvrd stopping):
 * ENDED, then CLOSED at once (the post-event time is left to the windows the
 * caller stores).  Only CLOSED when POST (it had ended already, at its
 * own time and for its own reason).  NOTHING when IDLE.  @reason is copied
 * (interned). */
DvrEventsResult dvr_events_finish (DvrEvents *events, gint64 now_utc_ns, const gchar *reason);

DvrEventsState dvr_events_get_state (const DvrEvents *events);
gint64 dvr_events_get_start_utc_ns (const DvrEvents *events);  /* -1 when IDLE */
gint64 dvr_events_get_end_utc_ns (const DvrEvents *events);    /* -1 unless POST */
/* When dvr_events_tick() next has something to do (maximum duration or end
 * of POST), or -1 if nothing is due. */
gint64 dvr_events_get_next_deadline (const DvrEvents *events);
/* Names of the record-while-active signals that hold the running event (on,
 * and not spent by a stop or the maximum duration), in the order they came
 * on.  NULL-terminated; free the array with g_free(); the strings are
 * borrowed until the next call that changes @events. */
const gchar **dvr_events_dup_active_signals (const DvrEvents *events);

G_END_DECLS
