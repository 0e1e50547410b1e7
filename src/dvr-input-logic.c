/* dvr-input-logic: debounce, presses, hysteresis and peaks on values and
 * times passed in (see the header).
 *
 * As in dvr-events, a deadline takes effect in the _tick() functions only,
 * at its own time however late the tick: an input past a deadline that was
 * not ticked yet sees the state as it was, so callers tick at @now first
 * when get_next_deadline() <= now.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include "dvr-input-logic.h"

/* Times come from the caller and may be garbage; deadlines saturate rather
 * than overflow (undefined behaviour) into the past. */
static gint64
time_add (gint64 t, gint64 duration)
{
  if (t > G_MAXINT64 - duration)
    return G_MAXINT64;
  return t + duration;
}

/* Invariant: raw == value, or raw != value and raw_since_ns is when raw
 * last changed (the change waits for raw_since_ns + debounce_ns).  Both
 * are 0 or 1, with polarity applied, so they compare with ==. */

void
dvr_debounce_init (DvrDebounce *debounce, gint64 debounce_ns, gboolean active_low,
                   gboolean initial_raw, gint64 now_ns)
{
  g_return_if_fail (debounce != NULL);
  g_return_if_fail (debounce_ns >= 0);

  debounce->debounce_ns = debounce_ns;
  debounce->active_low = !!active_low;
  debounce->value = !!initial_raw != debounce->active_low;
  debounce->raw = debounce->value;
  debounce->raw_since_ns = now_ns;
}

gboolean
dvr_debounce_update (DvrDebounce *debounce, gboolean raw, gint64 now_ns, gboolean *value)
{
  gboolean level;

  g_return_val_if_fail (debounce != NULL, FALSE);

  level = !!raw != debounce->active_low;
  /* A repeat (a serial module resends its levels) keeps the timer going;
   * only a change, including a bounce back, restarts it. */
  if (level == debounce->raw)
    return FALSE;
  debounce->raw = level;
  debounce->raw_since_ns = now_ns;

  if (debounce->debounce_ns > 0 || level == debounce->value)
    return FALSE;
  debounce->value = level;
  if (value != NULL)
    *value = level;
  return TRUE;
}

gboolean
dvr_debounce_tick (DvrDebounce *debounce, gint64 now_ns, gboolean *value)
{
  gint64 deadline;

  g_return_val_if_fail (debounce != NULL, FALSE);

  deadline = dvr_debounce_get_next_deadline (debounce);
  if (deadline < 0 || now_ns < deadline)
    return FALSE;
  debounce->value = debounce->raw;
  if (value != NULL)
    *value = debounce->value;
  return TRUE;
}

gint64
dvr_debounce_get_next_deadline (const DvrDebounce *debounce)
{
  g_return_val_if_fail (debounce != NULL, -1);

  if (debounce->raw == debounce->value)
    return -1;
  return time_add (debounce->raw_since_ns, debounce->debounce_ns);
}

void
dvr_press_init (DvrPressDetector *press, gint64 long_ns)
{
  g_return_if_fail (press != NULL);
  g_return_if_fail (long_ns >= 0);

  press->long_ns = long_ns;
  press->pressed = FALSE;
  press->pressed_at_ns = -1;
  press->long_reported = FALSE;
}

DvrPress
dvr_press_update (DvrPressDetector *press, gboolean pressed, gint64 now_ns)
{
  gboolean was_long;

  g_return_val_if_fail (press != NULL, DVR_PRESS_NONE);

  if (pressed) {
    /* A second press edge (a repeat, or a backend that missed the release)
     * must not restart the long-press time. */
    if (!press->pressed) {
      press->pressed = TRUE;
      press->pressed_at_ns = now_ns;
      press->long_reported = FALSE;
    }
    return DVR_PRESS_NONE;
  }

  if (!press->pressed)
    return DVR_PRESS_NONE;
  was_long = press->long_reported;
  press->pressed = FALSE;
  press->long_reported = FALSE;
  if (was_long)
    return DVR_PRESS_NONE;
  /* Held the long-press time but the tick came late: the officer meant a
   * long press, and a SHORT would start the event they wanted to stop. */
  if (now_ns >= time_add (press->pressed_at_ns, press->long_ns))
    return DVR_PRESS_LONG;
  return DVR_PRESS_SHORT;
}

DvrPress
dvr_press_tick (DvrPressDetector *press, gint64 now_ns)
{
  gint64 deadline;

  g_return_val_if_fail (press != NULL, DVR_PRESS_NONE);

  deadline = dvr_press_get_next_deadline (press);
  if (deadline < 0 || now_ns < deadline)
    return DVR_PRESS_NONE;
  press->long_reported = TRUE;
  return DVR_PRESS_LONG;
}

gint64
dvr_press_get_next_deadline (const DvrPressDetector *press)
{
  g_return_val_if_fail (press != NULL, -1);

  if (!press->pressed || press->long_reported)
    return -1;
  return time_add (press->pressed_at_ns, press->long_ns);
}

void
dvr_hysteresis_init (DvrHysteresis *hysteresis, gdouble on_above, gdouble off_below)
{
  g_return_if_fail (hysteresis != NULL);
  /* Also refuses NaN limits. */
  g_return_if_fail (off_below <= on_above);

  hysteresis->on_above = on_above;
  hysteresis->off_below = off_below;
  hysteresis->value = FALSE;
}

gboolean
dvr_hysteresis_update (DvrHysteresis *hysteresis, gdouble x, gboolean *value)
{
  g_return_val_if_fail (hysteresis != NULL, FALSE);

  /* Unknown (no GPS fix): a speed signal keeps its last state rather than
   * dropping an event the vehicle may still be in. */
  if (isnan (x))
    return FALSE;
  if (!hysteresis->value && x > hysteresis->on_above)
    hysteresis->value = TRUE;
  else if (hysteresis->value && x < hysteresis->off_below)
    hysteresis->value = FALSE;
  else
    return FALSE;
  if (value != NULL)
    *value = hysteresis->value;
  return TRUE;
}

void
dvr_peak_init (DvrPeak *peak, gdouble threshold, gint64 hold_ns)
{
  g_return_if_fail (peak != NULL);
  g_return_if_fail (!isnan (threshold));
  g_return_if_fail (hold_ns >= 0);

  peak->threshold = threshold;
  peak->hold_ns = hold_ns;
  peak->value = FALSE;
  peak->last_peak_ns = -1;
}

gboolean
dvr_peak_update (DvrPeak *peak, gdouble magnitude, gint64 now_ns, gboolean *value)
{
  g_return_val_if_fail (peak != NULL, FALSE);

  /* NaN >= threshold is false: an unknown magnitude changes nothing.  One
   * below the threshold does not end the hold either; only the tick does. */
  if (!(magnitude >= peak->threshold))
    return FALSE;
  peak->last_peak_ns = now_ns;
  if (peak->value)
    return FALSE;
  peak->value = TRUE;
  if (value != NULL)
    *value = TRUE;
  return TRUE;
}

gboolean
dvr_peak_tick (DvrPeak *peak, gint64 now_ns, gboolean *value)
{
  gint64 deadline;

  g_return_val_if_fail (peak != NULL, FALSE);

  deadline = dvr_peak_get_next_deadline (peak);
  if (deadline < 0 || now_ns < deadline)
    return FALSE;
  peak->value = FALSE;
  if (value != NULL)
    *value = FALSE;
  return TRUE;
}

gint64
dvr_peak_get_next_deadline (const DvrPeak *peak)
{
  g_return_val_if_fail (peak != NULL, -1);

  if (!peak->value)
    return -1;
  return time_add (peak->last_peak_ns, peak->hold_ns);
}
