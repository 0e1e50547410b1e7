/* dvr-input-logic: what turns raw vehicle inputs into signals, as plain
 * arithmetic on values and times passed in (monotonic ns; a fake clock in
 * tests).  No I/O: the backends (evdev, GPIO, serial, GPS) feed these and
 * report the results.
 *
 *   DvrDebounce   a level counts once it has held for the debounce time
 *                 (contacts bounce; ignition dips while cranking)
 *   DvrPress      a button's short and long presses
 *   DvrHysteresis on above one value, off below a lower one (speed)
 *   DvrPeak       on when a magnitude reaches a threshold, held for a
 *                 while after the last time it did (crash, hard braking)
 *
 * Each has a get_next_deadline (-1: none): the caller ticks it then.  As
 * in dvr-events, deadlines take effect in the _tick() functions only, at
 * their own time however late the tick; an input past a deadline that was
 * not ticked yet sees the state as it was, so the caller ticks at @now
 * first when get_next_deadline() <= now.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint64 debounce_ns;
  gboolean active_low;  /* raw FALSE means on */
  gboolean value;       /* the debounced value */
  gboolean raw;         /* the last raw level, polarity applied */
  gint64 raw_since_ns;  /* when raw last changed */
} DvrDebounce;

/* Starts with @initial_raw (polarity not yet applied) already debounced:
 * at start the current level is the truth. */
void dvr_debounce_init (DvrDebounce *debounce, gint64 debounce_ns, gboolean active_low,
                        gboolean initial_raw, gint64 now_ns);
/* A raw level (polarity not yet applied) read at @now_ns.  A change
 * (including a bounce back) restarts the debounce time; a repeat of the
 * same level does not.  TRUE with *@value (may be NULL) when the debounced
 * value changes now: only when debounce_ns is 0, otherwise the tick does. */
gboolean dvr_debounce_update (DvrDebounce *debounce, gboolean raw, gint64 now_ns,
                              gboolean *value);
/* Time passes: TRUE with *@value when the level has held debounce_ns
 * (at or after get_next_deadline()). */
gboolean dvr_debounce_tick (DvrDebounce *debounce, gint64 now_ns, gboolean *value);
gint64 dvr_debounce_get_next_deadline (const DvrDebounce *debounce);

typedef enum {
  DVR_PRESS_NONE,
  DVR_PRESS_SHORT,  /* released before the long-press time */
  DVR_PRESS_LONG,   /* held for the long-press time (once per press, while held) */
} DvrPress;

typedef struct {
  gint64 long_ns;
  gboolean pressed;
  gint64 pressed_at_ns;
  gboolean long_reported;
} DvrPressDetector;

void dvr_press_init (DvrPressDetector *press, gint64 long_ns);
/* The (debounced) button state at @now_ns.  SHORT on a release before
 * long_ns; a release after a LONG gives NONE; a release at or after long_ns
 * that the tick has not reported yet gives LONG (a late tick must not turn
 * the officer's long press into a short one).  A press while pressed is
 * ignored (it does not restart the long-press time). */
DvrPress dvr_press_update (DvrPressDetector *press, gboolean pressed, gint64 now_ns);
/* LONG once, at or after pressed + long_ns, while still held. */
DvrPress dvr_press_tick (DvrPressDetector *press, gint64 now_ns);
gint64 dvr_press_get_next_deadline (const DvrPressDetector *press);

typedef struct {
  gdouble on_above;    /* value > on_above: on */
  gdouble off_below;   /* value < off_below: off (off_below <= on_above) */
  gboolean value;
} DvrHysteresis;

/* Starts off. */
void dvr_hysteresis_init (DvrHysteresis *hysteresis, gdouble on_above, gdouble off_below);
/* TRUE with *@value when @x changes the state; NaN (unknown, e.g. no GPS
 * fix) changes nothing, nor does a value in [off_below, on_above]. */
gboolean dvr_hysteresis_update (DvrHysteresis *hysteresis, gdouble x, gboolean *value);

typedef struct {
  gdouble threshold;   /* magnitude >= threshold: on */
  gint64 hold_ns;      /* stays on this long after the last such magnitude */
  gboolean value;
  gint64 last_peak_ns;
} DvrPeak;

void dvr_peak_init (DvrPeak *peak, gdouble threshold, gint64 hold_ns);
/* TRUE with *@value when the state changes: on at once when @magnitude
 * reaches the threshold; while on, that refreshes the last peak.  A lower
 * magnitude or NaN changes nothing: only the tick turns it off. */
gboolean dvr_peak_update (DvrPeak *peak, gdouble magnitude, gint64 now_ns, gboolean *value);
/* Off once hold_ns passed since the last peak. */
gboolean dvr_peak_tick (DvrPeak *peak, gint64 now_ns, gboolean *value);
gint64 dvr_peak_get_next_deadline (const DvrPeak *peak);

G_END_DECLS
