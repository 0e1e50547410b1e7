/* dvr-events: the vehicle's event state machine (docs/events.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-events.h"

/* The strings of dvr.conf's [signal NAME] action key. */
const gchar *
dvr_trigger_action_to_string (DvrTriggerAction action)
{
  switch (action) {
  case DVR_TRIGGER_ACTION_SENSOR_ONLY:
    return "sensor-only";
  case DVR_TRIGGER_ACTION_START_EVENT:
    return "start-event";
  case DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE:
    return "record-while-active";
  case DVR_TRIGGER_ACTION_MARK:
    return "mark";
  case DVR_TRIGGER_ACTION_STOP_EVENT:
    return "stop-event";
  }
  return NULL;
}

/* Unlike the catalog's enums there is no safe fallback: a misspelt action
 * must be a config error, not a signal silently demoted to sensor-only. */
gboolean
dvr_trigger_action_from_string (const gchar *str, DvrTriggerAction *action)
{
  static const DvrTriggerAction all[] = {
    DVR_TRIGGER_ACTION_SENSOR_ONLY, DVR_TRIGGER_ACTION_START_EVENT,
    DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE, DVR_TRIGGER_ACTION_MARK,
    DVR_TRIGGER_ACTION_STOP_EVENT,
  };

  g_return_val_if_fail (action != NULL, FALSE);
  if (str == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (all); i++) {
    if (g_strcmp0 (str, dvr_trigger_action_to_string (all[i])) == 0) {
      *action = all[i];
      return TRUE;
    }
  }
  return FALSE;
}

/* The words of the control protocol's status "event" object ("running",
 * "post-event"), so the daemon can use them as they are. */
const gchar *
dvr_events_state_to_string (DvrEventsState state)
{
  switch (state) {
  case DVR_EVENTS_STATE_IDLE:
    return "idle";
  case DVR_EVENTS_STATE_ACTIVE:
    return "running";
  case DVR_EVENTS_STATE_POST:
    return "post-event";
  }
  return NULL;
}

/* States as a commented enum would have them (see the diagram in the
 * header); the invariants that tie the fields together:
 *
 *   IDLE:   start, end, active_since = -1; latched FALSE; no signals.
 *   ACTIVE: start <= active_since; end = -1; latched or signals non-empty
 *           (until a tick ends it for the maximum duration).
 *   POST:   end >= active_since; latched FALSE; no signals: whatever kept
 *           the event going was spent when it ended.
 */
struct _DvrEvents {
  gint64 max_duration_ns; /* 0: none */
  gint64 post_event_ns;

  DvrEventsState state;
  gint64 start_utc_ns;
  /* Start, or the time of the last resume from POST: no end comes before
   * it, so an event resumed after its maximum duration still ends after
   * the trigger that resumed it, and a clock stepping back never gives an
   * end before a start. */
  gint64 active_since_utc_ns;
  gint64 end_utc_ns;
  const gchar *end_reason; /* static or interned */

  /* A start-event signal or a manual start holds the event until a stop. */
  gboolean latched;
  /* Names (owned) of the record-while-active signals that are on and hold
   * the event, in the order they came on.  A stop, the maximum duration or
   * finish empties it: those signals are spent until their next rising
   * edge, and their falling edge finds nothing to remove. */
  GPtrArray *signals;
};

DvrEvents *
dvr_events_new (gint64 max_duration_ns, gint64 post_event_ns)
{
  DvrEvents *self;

  g_return_val_if_fail (max_duration_ns >= 0, NULL);
  g_return_val_if_fail (post_event_ns >= 0, NULL);

  self = g_new0 (DvrEvents, 1);
  self->max_duration_ns = max_duration_ns;
  self->post_event_ns = post_event_ns;
  self->state = DVR_EVENTS_STATE_IDLE;
  self->start_utc_ns = -1;
  self->active_since_utc_ns = -1;
  self->end_utc_ns = -1;
  self->signals = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
dvr_events_free (DvrEvents *events)
{
  if (events == NULL)
    return;
  g_ptr_array_unref (events->signals);
  g_free (events);
}

/* Times come from the caller and may be garbage; deadlines saturate rather
 * than overflow (undefined behaviour) into the past. */
static gint64
time_add (gint64 t, gint64 duration)
{
  if (t > G_MAXINT64 - duration)
    return G_MAXINT64;
  return t + duration;
}

/* The result describes the event the flags are about: after CLOSED the
 * machine is IDLE but the result still carries the closed event's times. */
static DvrEventsResult
result_make (const DvrEvents *self, DvrEventsFlags flags)
{
  DvrEventsResult result = {
    .flags = flags,
    .start_utc_ns = self->start_utc_ns,
    .end_utc_ns = self->end_utc_ns,
    .end_reason = self->end_reason,
  };
  return result;
}

static void
event_clear (DvrEvents *self)
{
  self->state = DVR_EVENTS_STATE_IDLE;
  self->start_utc_ns = -1;
  self->active_since_utc_ns = -1;
  self->end_utc_ns = -1;
  self->end_reason = NULL;
  self->latched = FALSE;
  g_ptr_array_set_size (self->signals, 0);
}

/* ACTIVE -> POST, or straight on to IDLE without a post-event time.  The
 * flags carry the event's times even when it is closed here. */
static DvrEventsResult
event_end (DvrEvents *self, gint64 end_utc_ns, const gchar *reason)
{
  DvrEventsResult result;

  g_assert (self->state == DVR_EVENTS_STATE_ACTIVE);
  self->state = DVR_EVENTS_STATE_POST;
  self->end_utc_ns = MAX (end_utc_ns, self->active_since_utc_ns);
  self->end_reason = reason;
  self->latched = FALSE;
  g_ptr_array_set_size (self->signals, 0);

  if (self->post_event_ns > 0)
    return result_make (self, DVR_EVENTS_ENDED);
  result = result_make (self, DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED);
  event_clear (self);
  return result;
}

/* A start trigger (start-event or record-while-active rising edge, manual
 * start): a new event when IDLE, joins the running one when ACTIVE, brings
 * an ended one back when POST.  The caller then sets what holds it. */
static DvrEventsFlags
event_trigger (DvrEvents *self, gint64 now_utc_ns)
{
  switch (self->state) {
  case DVR_EVENTS_STATE_IDLE:
    self->state = DVR_EVENTS_STATE_ACTIVE;
    self->start_utc_ns = now_utc_ns;
    self->active_since_utc_ns = now_utc_ns;
    return DVR_EVENTS_STARTED;
  case DVR_EVENTS_STATE_ACTIVE:
    return DVR_EVENTS_EXTENDED;
  case DVR_EVENTS_STATE_POST:
    self->state = DVR_EVENTS_STATE_ACTIVE;
    self->active_since_utc_ns = MAX (now_utc_ns, self->end_utc_ns);
    self->end_utc_ns = -1;
    self->end_reason = NULL;
    return DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED;
  }
  g_return_val_if_reached (DVR_EVENTS_NOTHING);
}

static DvrEventsResult
event_latch (DvrEvents *self, gint64 now_utc_ns)
{
  DvrEventsFlags flags = event_trigger (self, now_utc_ns);

  self->latched = TRUE;
  return result_make (self, flags);
}

static DvrEventsResult
event_stop (DvrEvents *self, gint64 now_utc_ns)
{
  if (self->state != DVR_EVENTS_STATE_ACTIVE)
    return result_make (self, DVR_EVENTS_IGNORED);
  return event_end (self, now_utc_ns, "stopped");
}

/* A mark in POST is still inside the event's windows (they reach end +
 * post-event), so it belongs to that event. */
static DvrEventsResult
event_mark (DvrEvents *self)
{
  if (self->state == DVR_EVENTS_STATE_IDLE)
    return result_make (self, DVR_EVENTS_IGNORED);
  return result_make (self, DVR_EVENTS_MARKED);
}

static gboolean
signals_find (const DvrEvents *self, const gchar *name, guint *index)
{
  return g_ptr_array_find_with_equal_func (self->signals, name, g_str_equal, index);
}

static DvrEventsResult
record_while_active (DvrEvents *self, const gchar *name, gboolean value, gint64 now_utc_ns)
{
  guint index;

  if (value) {
    DvrEventsFlags flags;

    /* The caller passes changes only; a second rising edge without a
     * falling one in between changes nothing. */
    if (signals_find (self, name, NULL))
      return result_make (self, DVR_EVENTS_NOTHING);
    flags = event_trigger (self, now_utc_ns);
    g_ptr_array_add (self->signals, g_strdup (name));
    return result_make (self, flags);
  }

  /* Not in the set: never on, or spent by a stop or the maximum duration. */
  if (!signals_find (self, name, &index))
    return result_make (self, DVR_EVENTS_NOTHING);
  g_ptr_array_remove_index (self->signals, index);
  if (self->signals->len > 0 || self->latched)
    return result_make (self, DVR_EVENTS_NOTHING);
  return event_end (self, now_utc_ns, "signal off");
}

DvrEventsResult
dvr_events_signal (DvrEvents *events,
                   const gchar *name,
                   DvrTriggerAction action,
                   gboolean value,
                   gint64 now_utc_ns)
{
  DvrEventsResult nothing = { DVR_EVENTS_NOTHING, -1, -1, NULL };

  g_return_val_if_fail (events != NULL, nothing);
  g_return_val_if_fail (name != NULL, nothing);

  switch (action) {
  case DVR_TRIGGER_ACTION_SENSOR_ONLY:
    return result_make (events, DVR_EVENTS_NOTHING);
  case DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE:
    return record_while_active (events, name, value, now_utc_ns);
  case DVR_TRIGGER_ACTION_START_EVENT:
    return value ? event_latch (events, now_utc_ns) : result_make (events, DVR_EVENTS_NOTHING);
  case DVR_TRIGGER_ACTION_MARK:
    return value ? event_mark (events) : result_make (events, DVR_EVENTS_NOTHING);
  case DVR_TRIGGER_ACTION_STOP_EVENT:
    return value ? event_stop (events, now_utc_ns) : result_make (events, DVR_EVENTS_NOTHING);
  }
  g_return_val_if_reached (nothing);
}

DvrEventsResult
dvr_events_start (DvrEvents *events, gint64 now_utc_ns)
{
  DvrEventsResult nothing = { DVR_EVENTS_NOTHING, -1, -1, NULL };

  g_return_val_if_fail (events != NULL, nothing);
  return event_latch (events, now_utc_ns);
}

DvrEventsResult
dvr_events_stop (DvrEvents *events, gint64 now_utc_ns)
{
  DvrEventsResult nothing = { DVR_EVENTS_NOTHING, -1, -1, NULL };

  g_return_val_if_fail (events != NULL, nothing);
  return event_stop (events, now_utc_ns);
}

DvrEventsResult
dvr_events_mark (DvrEvents *events, gint64 now_utc_ns)
{
  DvrEventsResult nothing = { DVR_EVENTS_NOTHING, -1, -1, NULL };

  g_return_val_if_fail (events != NULL, nothing);
  return event_mark (events);
}

/* The maximum duration counts from the event's start, resumes included;
 * an event resumed after it was over runs until the next tick and ends at
 * its resume (see active_since_utc_ns). */
static gint64
max_duration_deadline (const DvrEvents *self)
{
  return MAX (time_add (self->start_utc_ns, self->max_duration_ns),
              self->active_since_utc_ns);
}

DvrEventsResult
dvr_events_tick (DvrEvents *events, gint64 now_utc_ns)
{
  DvrEventsResult nothing = { DVR_EVENTS_NOTHING, -1, -1, NULL };
  DvrEventsFlags flags = DVR_EVENTS_NOTHING;

  g_return_val_if_fail (events != NULL, nothing);

  /* Each deadline takes effect at its own time, not at @now: a late tick
   * (a suspended main loop) gives the same end as a punctual one. */
  if (events->state == DVR_EVENTS_STATE_ACTIVE && events->max_duration_ns > 0) {
    gint64 deadline = max_duration_deadline (events);

    if (now_utc_ns >= deadline) {
      DvrEventsResult ended = event_end (events, deadline, "maximum duration");

      if (events->state == DVR_EVENTS_STATE_IDLE)
        return ended; /* no post-event time: ENDED|CLOSED already */
      flags |= ended.flags;
    }
  }
  if (events->state == DVR_EVENTS_STATE_POST &&
      now_utc_ns >= time_add (events->end_utc_ns, events->post_event_ns)) {
    DvrEventsResult closed = result_make (events, flags | DVR_EVENTS_CLOSED);

    event_clear (events);
    return closed;
  }
  return result_make (events, flags);
}

DvrEventsResult
dvr_events_finish (DvrEvents *events, gint64 now_utc_ns, const gchar *reason)
{
  DvrEventsResult nothing = { DVR_EVENTS_NOTHING, -1, -1, NULL };
  DvrEventsResult result;

  g_return_val_if_fail (events != NULL, nothing);
  g_return_val_if_fail (reason != NULL, nothing);

  switch (events->state) {
  case DVR_EVENTS_STATE_IDLE:
    return result_make (events, DVR_EVENTS_NOTHING);
  case DVR_EVENTS_STATE_ACTIVE:
    /* Interned: the result's end_reason must outlive the caller's string. */
    result = event_end (events, now_utc_ns, g_intern_string (reason));
    if (events->state == DVR_EVENTS_STATE_IDLE)
      return result;
    result = result_make (events, DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED);
    event_clear (events);
    return result;
  case DVR_EVENTS_STATE_POST:
    /* It had already ended, for its own reason and at its own time. */
    result = result_make (events, DVR_EVENTS_CLOSED);
    event_clear (events);
    return result;
  }
  g_return_val_if_reached (nothing);
}

DvrEventsState
dvr_events_get_state (const DvrEvents *events)
{
  g_return_val_if_fail (events != NULL, DVR_EVENTS_STATE_IDLE);
  return events->state;
}

gint64
dvr_events_get_start_utc_ns (const DvrEvents *events)
{
  g_return_val_if_fail (events != NULL, -1);
  return events->start_utc_ns;
}

gint64
dvr_events_get_end_utc_ns (const DvrEvents *events)
{
  g_return_val_if_fail (events != NULL, -1);
  return events->end_utc_ns;
}

gint64
dvr_events_get_next_deadline (const DvrEvents *events)
{
  g_return_val_if_fail (events != NULL, -1);

  switch (events->state) {
  case DVR_EVENTS_STATE_IDLE:
    return -1;
  case DVR_EVENTS_STATE_ACTIVE:
    return events->max_duration_ns > 0 ? max_duration_deadline (events) : -1;
  case DVR_EVENTS_STATE_POST:
    return time_add (events->end_utc_ns, events->post_event_ns);
  }
  g_return_val_if_reached (-1);
}

const gchar **
dvr_events_dup_active_signals (const DvrEvents *events)
{
  const gchar **names;

  g_return_val_if_fail (events != NULL, NULL);

  names = g_new0 (const gchar *, events->signals->len + 1);
  for (guint i = 0; i < events->signals->len; i++)
    names[i] = g_ptr_array_index (events->signals, i);
  return names;
}
