/* dvr-ignition: the recorder's power lifecycle (see the diagram in the
 * header).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-ignition.h"
#include "dvr-input-logic.h"

const gchar *
dvr_ignition_state_to_string (DvrIgnitionState state)
{
  switch (state) {
  case DVR_IGNITION_STATE_OFF:
    return "off";
  case DVR_IGNITION_STATE_ON:
    return "on";
  case DVR_IGNITION_STATE_HOLD_OVER:
    return "hold-over";
  case DVR_IGNITION_STATE_SHUTDOWN:
    return "shutdown";
  }
  return NULL;
}

/* Invariants:
 *
 *   OFF:       debounced level off; off_at = -1 (never on since start).
 *   ON:        debounced level on; off_at = -1.
 *   HOLD_OVER: debounced level off; off_at = when it was debounced off.
 *   SHUTDOWN:  final; nothing changes any more.
 *
 * event_ended_at is kept in every state: an event that ended before the
 * ignition went off is already covered by off_at + hold_over. */
struct _DvrIgnition {
  gint64 hold_over_ns;
  DvrDebounce level;
  DvrIgnitionState state;
  gint64 off_at_ns;
  gboolean event_active;
  gint64 event_ended_at_ns; /* -1: none yet */
};

static gint64
time_add (gint64 t, gint64 duration)
{
  if (t > G_MAXINT64 - duration)
    return G_MAXINT64;
  return t + duration;
}

DvrIgnition *
dvr_ignition_new (gint64 debounce_ns, gint64 hold_over_ns, gboolean initial_on, gint64 now_ns)
{
  DvrIgnition *self;

  g_return_val_if_fail (debounce_ns >= 0, NULL);
  g_return_val_if_fail (hold_over_ns >= 0, NULL);

  self = g_new0 (DvrIgnition, 1);
  self->hold_over_ns = hold_over_ns;
  dvr_debounce_init (&self->level, debounce_ns, FALSE, initial_on, now_ns);
  self->state = initial_on ? DVR_IGNITION_STATE_ON : DVR_IGNITION_STATE_OFF;
  self->off_at_ns = -1;
  self->event_active = FALSE;
  self->event_ended_at_ns = -1;
  return self;
}

void
dvr_ignition_free (DvrIgnition *ignition)
{
  g_free (ignition);
}

static gint64
shutdown_at (const DvrIgnition *self)
{
  if (self->state != DVR_IGNITION_STATE_HOLD_OVER)
    return -1;
  return MAX (time_add (self->off_at_ns, self->hold_over_ns), self->event_ended_at_ns);
}

/* HOLD_OVER -> SHUTDOWN once its end has come and no event runs. */
static DvrIgnitionFlags
check_shutdown (DvrIgnition *self, gint64 now_ns)
{
  if (self->state != DVR_IGNITION_STATE_HOLD_OVER || self->event_active ||
      now_ns < shutdown_at (self))
    return DVR_IGNITION_NOTHING;
  self->state = DVR_IGNITION_STATE_SHUTDOWN;
  return DVR_IGNITION_SHUTDOWN;
}

/* The debounced level changed to @on at @at_ns (the end of its debounce,
 * however late the tick that noticed it). */
static DvrIgnitionFlags
level_changed (DvrIgnition *self, gboolean on, gint64 at_ns, gint64 now_ns)
{
  switch (self->state) {
  case DVR_IGNITION_STATE_OFF:
    g_assert (on);
    self->state = DVR_IGNITION_STATE_ON;
    return DVR_IGNITION_START;
  case DVR_IGNITION_STATE_ON:
    g_assert (!on);
    self->state = DVR_IGNITION_STATE_HOLD_OVER;
    self->off_at_ns = at_ns;
    /* A hold-over of 0 (or a tick later than the hold-over) ends at once:
     * the daemon gets HOLD_OVER and SHUTDOWN from the same call. */
    return DVR_IGNITION_HOLD_OVER | check_shutdown (self, now_ns);
  case DVR_IGNITION_STATE_HOLD_OVER:
    g_assert (on);
    self->state = DVR_IGNITION_STATE_ON;
    self->off_at_ns = -1;
    return DVR_IGNITION_CANCELLED;
  case DVR_IGNITION_STATE_SHUTDOWN:
    break;
  }
  g_assert_not_reached ();
  return DVR_IGNITION_NOTHING;
}

DvrIgnitionFlags
dvr_ignition_set (DvrIgnition *ignition, gboolean on, gint64 now_ns)
{
  gboolean value;

  g_return_val_if_fail (ignition != NULL, DVR_IGNITION_NOTHING);

  if (ignition->state == DVR_IGNITION_STATE_SHUTDOWN)
    return DVR_IGNITION_NOTHING;
  /* Only a debounce of 0 changes the level here; otherwise the tick does. */
  if (!dvr_debounce_update (&ignition->level, on, now_ns, &value))
    return DVR_IGNITION_NOTHING;
  return level_changed (ignition, value, now_ns, now_ns);
}

/* Only moves the hold-over's end: like every deadline it takes effect in
 * dvr_ignition_tick(), so this returns NOTHING; the flags are there so the
 * caller treats it like the other inputs. */
DvrIgnitionFlags
dvr_ignition_set_event_active (DvrIgnition *ignition, gboolean active, gint64 now_ns)
{
  g_return_val_if_fail (ignition != NULL, DVR_IGNITION_NOTHING);

  if (ignition->state == DVR_IGNITION_STATE_SHUTDOWN)
    return DVR_IGNITION_NOTHING;
  active = !!active;
  if (active == ignition->event_active)
    return DVR_IGNITION_NOTHING;
  ignition->event_active = active;
  if (!active)
    ignition->event_ended_at_ns = now_ns;
  return DVR_IGNITION_NOTHING;
}

DvrIgnitionFlags
dvr_ignition_tick (DvrIgnition *ignition, gint64 now_ns)
{
  DvrIgnitionFlags flags = DVR_IGNITION_NOTHING;
  gint64 level_at;
  gboolean value;

  g_return_val_if_fail (ignition != NULL, DVR_IGNITION_NOTHING);

  if (ignition->state == DVR_IGNITION_STATE_SHUTDOWN)
    return DVR_IGNITION_NOTHING;
  level_at = dvr_debounce_get_next_deadline (&ignition->level);
  /* A late tick takes both deadlines in their order: a hold-over that
   * ended before the ignition came back on is final.  On a tie the
   * ignition wins: the vehicle is running. */
  if (level_at >= 0 && now_ns >= level_at && !ignition->event_active &&
      ignition->state == DVR_IGNITION_STATE_HOLD_OVER && shutdown_at (ignition) < level_at)
    return check_shutdown (ignition, now_ns);
  if (dvr_debounce_tick (&ignition->level, now_ns, &value))
    flags |= level_changed (ignition, value, level_at, now_ns);
  return flags | check_shutdown (ignition, now_ns);
}

DvrIgnitionState
dvr_ignition_get_state (const DvrIgnition *ignition)
{
  g_return_val_if_fail (ignition != NULL, DVR_IGNITION_STATE_OFF);

  return ignition->state;
}

gint64
dvr_ignition_get_next_deadline (const DvrIgnition *ignition)
{
  gint64 level_at, end_at;

  g_return_val_if_fail (ignition != NULL, -1);

  if (ignition->state == DVR_IGNITION_STATE_SHUTDOWN)
    return -1;
  level_at = dvr_debounce_get_next_deadline (&ignition->level);
  end_at = ignition->event_active ? -1 : shutdown_at (ignition);
  if (level_at < 0)
    return end_at;
  if (end_at < 0)
    return level_at;
  return MIN (level_at, end_at);
}

gint64
dvr_ignition_get_shutdown_at (const DvrIgnition *ignition)
{
  g_return_val_if_fail (ignition != NULL, -1);

  return shutdown_at (ignition);
}
