/* input-logic-test: debounce, presses, hysteresis and peaks against a fake
 * clock (docs/inputs.md).  Times are plain numbers passed in; nothing
 * sleeps.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include "dvr-input-logic.h"

#define MS G_GINT64_CONSTANT (1000000)
#define S G_GINT64_CONSTANT (1000000000)
/* A realistic monotonic time (about 11 days of uptime), so that no time is
 * near 0 or -1. */
#define T0 (G_GINT64_CONSTANT (1000000) * S)

/* dvr.conf's defaults: 200 ms for GPIO, a 2 s long press, a 2 s peak hold. */
#define DEBOUNCE (200 * MS)
#define LONG (2 * S)
#define HOLD (2 * S)

/* Not a value any function writes: an output left alone stays this. */
#define UNTOUCHED 42

/* Macros, not functions, so that a failure names the test's line.  A call
 * that reports no change must leave its output alone too. */
#define assert_debounce_update(d, raw, now, changed, expected) \
  G_STMT_START { \
    gboolean value_ = UNTOUCHED; \
    g_assert_cmpint (dvr_debounce_update ((d), (raw), (now), &value_), ==, (changed)); \
    g_assert_cmpint (value_, ==, (changed) ? (expected) : UNTOUCHED); \
    g_assert_cmpint ((d)->value, ==, (expected)); \
  } G_STMT_END

#define assert_debounce_tick(d, now, changed, expected) \
  G_STMT_START { \
    gboolean value_ = UNTOUCHED; \
    g_assert_cmpint (dvr_debounce_tick ((d), (now), &value_), ==, (changed)); \
    g_assert_cmpint (value_, ==, (changed) ? (expected) : UNTOUCHED); \
    g_assert_cmpint ((d)->value, ==, (expected)); \
  } G_STMT_END

#define assert_hysteresis(h, x, changed, expected) \
  G_STMT_START { \
    gboolean value_ = UNTOUCHED; \
    g_assert_cmpint (dvr_hysteresis_update ((h), (x), &value_), ==, (changed)); \
    g_assert_cmpint (value_, ==, (changed) ? (expected) : UNTOUCHED); \
    g_assert_cmpint ((h)->value, ==, (expected)); \
  } G_STMT_END

#define assert_peak_update(p, magnitude, now, changed, expected) \
  G_STMT_START { \
    gboolean value_ = UNTOUCHED; \
    g_assert_cmpint (dvr_peak_update ((p), (magnitude), (now), &value_), ==, (changed)); \
    g_assert_cmpint (value_, ==, (changed) ? (expected) : UNTOUCHED); \
    g_assert_cmpint ((p)->value, ==, (expected)); \
  } G_STMT_END

#define assert_peak_tick(p, now, changed, expected) \
  G_STMT_START { \
    gboolean value_ = UNTOUCHED; \
    g_assert_cmpint (dvr_peak_tick ((p), (now), &value_), ==, (changed)); \
    g_assert_cmpint (value_, ==, (changed) ? (expected) : UNTOUCHED); \
    g_assert_cmpint ((p)->value, ==, (expected)); \
  } G_STMT_END

/* The level at start is the truth, polarity applied, with nothing pending. */
static void
test_debounce_init (void)
{
  DvrDebounce debounce;

  dvr_debounce_init (&debounce, DEBOUNCE, FALSE, TRUE, T0);
  g_assert_true (debounce.value);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
  assert_debounce_tick (&debounce, T0 + 10 * S, FALSE, TRUE);

  dvr_debounce_init (&debounce, DEBOUNCE, TRUE, TRUE, T0);
  g_assert_false (debounce.value);
  dvr_debounce_init (&debounce, DEBOUNCE, TRUE, FALSE, T0);
  g_assert_true (debounce.value);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
  /* The level it started with is no change. */
  assert_debounce_update (&debounce, FALSE, T0 + S, FALSE, TRUE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
}

/* A level counts at exactly debounce_ns after it last changed, in the
 * tick, both ways. */
static void
test_debounce_basic (void)
{
  DvrDebounce debounce;

  dvr_debounce_init (&debounce, DEBOUNCE, FALSE, FALSE, T0);

  assert_debounce_update (&debounce, TRUE, T0 + S, FALSE, FALSE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, T0 + S + DEBOUNCE);
  assert_debounce_tick (&debounce, T0 + S + DEBOUNCE - 1, FALSE, FALSE);
  assert_debounce_tick (&debounce, T0 + S + DEBOUNCE, TRUE, TRUE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
  assert_debounce_tick (&debounce, T0 + S + DEBOUNCE, FALSE, TRUE);
  assert_debounce_tick (&debounce, T0 + 10 * S, FALSE, TRUE);

  assert_debounce_update (&debounce, FALSE, T0 + 20 * S, FALSE, TRUE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, T0 + 20 * S + DEBOUNCE);
  assert_debounce_tick (&debounce, T0 + 20 * S + DEBOUNCE - 1, FALSE, TRUE);
  assert_debounce_tick (&debounce, T0 + 20 * S + DEBOUNCE, TRUE, FALSE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
}

/* Contacts bounce: each change back restarts the time, and a level that
 * returns to the debounced value before its time leaves nothing pending. */
static void
test_debounce_bounce (void)
{
  DvrDebounce debounce;

  dvr_debounce_init (&debounce, DEBOUNCE, FALSE, FALSE, T0);

  assert_debounce_update (&debounce, TRUE, T0, FALSE, FALSE);
  assert_debounce_update (&debounce, FALSE, T0 + 150 * MS, FALSE, FALSE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
  /* The first change's deadline is gone. */
  assert_debounce_tick (&debounce, T0 + DEBOUNCE, FALSE, FALSE);

  assert_debounce_update (&debounce, TRUE, T0 + 300 * MS, FALSE, FALSE);
  assert_debounce_update (&debounce, FALSE, T0 + 310 * MS, FALSE, FALSE);
  assert_debounce_update (&debounce, TRUE, T0 + 320 * MS, FALSE, FALSE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, T0 + 320 * MS + DEBOUNCE);
  /* 200 ms after the first of the bounces is too early. */
  assert_debounce_tick (&debounce, T0 + 300 * MS + DEBOUNCE, FALSE, FALSE);
  assert_debounce_tick (&debounce, T0 + 320 * MS + DEBOUNCE, TRUE, TRUE);
}

/* A serial module resends its levels: a repeat keeps the timer running. */
static void
test_debounce_repeats (void)
{
  DvrDebounce debounce;

  dvr_debounce_init (&debounce, DEBOUNCE, FALSE, FALSE, T0);

  assert_debounce_update (&debounce, TRUE, T0, FALSE, FALSE);
  assert_debounce_update (&debounce, TRUE, T0 + 100 * MS, FALSE, FALSE);
  assert_debounce_update (&debounce, TRUE, T0 + 199 * MS, FALSE, FALSE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, T0 + DEBOUNCE);
  assert_debounce_tick (&debounce, T0 + DEBOUNCE, TRUE, TRUE);
  assert_debounce_update (&debounce, TRUE, T0 + S, FALSE, TRUE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
}

/* Deadlines act in the tick only, at their own time however late: an
 * update past the deadline sees the old value, and a late tick still
 * gives the change. */
static void
test_debounce_late_tick (void)
{
  DvrDebounce debounce;

  dvr_debounce_init (&debounce, DEBOUNCE, FALSE, FALSE, T0);

  assert_debounce_update (&debounce, TRUE, T0, FALSE, FALSE);
  assert_debounce_update (&debounce, TRUE, T0 + DEBOUNCE, FALSE, FALSE);
  assert_debounce_update (&debounce, TRUE, T0 + 5 * S, FALSE, FALSE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, T0 + DEBOUNCE);
  assert_debounce_tick (&debounce, T0 + 10 * S, TRUE, TRUE);
}

/* Active low: the raw level is inverted before anything else. */
static void
test_debounce_active_low (void)
{
  DvrDebounce debounce;

  dvr_debounce_init (&debounce, DEBOUNCE, TRUE, TRUE, T0);
  g_assert_false (debounce.value);

  assert_debounce_update (&debounce, FALSE, T0 + S, FALSE, FALSE);
  assert_debounce_tick (&debounce, T0 + S + DEBOUNCE, TRUE, TRUE);
  assert_debounce_update (&debounce, TRUE, T0 + 2 * S, FALSE, TRUE);
  assert_debounce_tick (&debounce, T0 + 2 * S + DEBOUNCE, TRUE, FALSE);
}

/* Debounce 0 (evdev, serial, control by default): every change at once,
 * nothing ever pending. */
static void
test_debounce_zero (void)
{
  DvrDebounce debounce;

  dvr_debounce_init (&debounce, 0, FALSE, FALSE, T0);

  assert_debounce_update (&debounce, TRUE, T0, TRUE, TRUE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);
  assert_debounce_update (&debounce, TRUE, T0 + 1, FALSE, TRUE);
  assert_debounce_update (&debounce, FALSE, T0 + 1, TRUE, FALSE);
  assert_debounce_update (&debounce, TRUE, T0 + 1, TRUE, TRUE);
  assert_debounce_tick (&debounce, T0 + S, FALSE, TRUE);
  g_assert_cmpint (dvr_debounce_get_next_deadline (&debounce), ==, -1);

  /* The output may be NULL. */
  g_assert_true (dvr_debounce_update (&debounce, FALSE, T0 + 2 * S, NULL));
  g_assert_false (debounce.value);
}

/* A press released before the long-press time is SHORT; a release at or
 * after a reported LONG is nothing. */
static void
test_press_short (void)
{
  DvrPressDetector press;

  dvr_press_init (&press, LONG);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, -1);
  g_assert_cmpint (dvr_press_tick (&press, T0), ==, DVR_PRESS_NONE);
  /* A release with no press before it is nothing. */
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0), ==, DVR_PRESS_NONE);

  g_assert_cmpint (dvr_press_update (&press, TRUE, T0), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, T0 + LONG);
  g_assert_cmpint (dvr_press_tick (&press, T0 + LONG - 1), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + LONG - 1), ==, DVR_PRESS_SHORT);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, -1);
  /* Nothing left over from it. */
  g_assert_cmpint (dvr_press_tick (&press, T0 + 10 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + 10 * S), ==, DVR_PRESS_NONE);

  /* A tap. */
  g_assert_cmpint (dvr_press_update (&press, TRUE, T0 + 20 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + 20 * S + 80 * MS), ==,
                   DVR_PRESS_SHORT);
}

/* LONG once, at exactly long_ns, while still held; the release is nothing. */
static void
test_press_long (void)
{
  DvrPressDetector press;

  dvr_press_init (&press, LONG);

  g_assert_cmpint (dvr_press_update (&press, TRUE, T0), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_tick (&press, T0 + LONG - 1), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_tick (&press, T0 + LONG), ==, DVR_PRESS_LONG);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, -1);
  g_assert_cmpint (dvr_press_tick (&press, T0 + LONG), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_tick (&press, T0 + 2 * LONG), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_tick (&press, T0 + 60 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + 61 * S), ==, DVR_PRESS_NONE);

  /* The next press starts afresh: its own LONG, and SHORT still works. */
  g_assert_cmpint (dvr_press_update (&press, TRUE, T0 + 70 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, T0 + 70 * S + LONG);
  g_assert_cmpint (dvr_press_tick (&press, T0 + 70 * S + LONG), ==, DVR_PRESS_LONG);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + 80 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, TRUE, T0 + 90 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + 91 * S), ==, DVR_PRESS_SHORT);
}

/* A second press edge while held (a repeat, a missed release) neither
 * restarts the long-press time nor gives anything. */
static void
test_press_repeat (void)
{
  DvrPressDetector press;

  dvr_press_init (&press, LONG);

  g_assert_cmpint (dvr_press_update (&press, TRUE, T0), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, TRUE, T0 + S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, T0 + LONG);
  g_assert_cmpint (dvr_press_tick (&press, T0 + LONG), ==, DVR_PRESS_LONG);
  /* Nor re-arms it after a LONG. */
  g_assert_cmpint (dvr_press_update (&press, TRUE, T0 + 3 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, -1);
  g_assert_cmpint (dvr_press_tick (&press, T0 + 3 * S + LONG), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + 10 * S), ==, DVR_PRESS_NONE);
}

/* A release at or past the long-press time that the tick has not seen yet
 * is LONG, not SHORT: SHORT would start the event the officer is stopping. */
static void
test_press_late_tick (void)
{
  DvrPressDetector press;

  dvr_press_init (&press, LONG);

  g_assert_cmpint (dvr_press_update (&press, TRUE, T0), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + LONG), ==, DVR_PRESS_LONG);
  g_assert_cmpint (dvr_press_get_next_deadline (&press), ==, -1);
  g_assert_cmpint (dvr_press_tick (&press, T0 + 10 * S), ==, DVR_PRESS_NONE);

  g_assert_cmpint (dvr_press_update (&press, TRUE, T0 + 20 * S), ==, DVR_PRESS_NONE);
  g_assert_cmpint (dvr_press_update (&press, FALSE, T0 + 30 * S), ==, DVR_PRESS_LONG);
}

/* On strictly above on_above, off strictly below off_below, the band
 * between keeps the state. */
static void
test_hysteresis_band (void)
{
  DvrHysteresis hysteresis;

  /* 80 km/h, hysteresis 5, in m/s as the config gives them. */
  dvr_hysteresis_init (&hysteresis, 80.0 / 3.6, 75.0 / 3.6);
  g_assert_false (hysteresis.value);

  assert_hysteresis (&hysteresis, 0.0, FALSE, FALSE);
  assert_hysteresis (&hysteresis, 78.0 / 3.6, FALSE, FALSE);
  assert_hysteresis (&hysteresis, 80.0 / 3.6, FALSE, FALSE);
  assert_hysteresis (&hysteresis, 81.0 / 3.6, TRUE, TRUE);
  assert_hysteresis (&hysteresis, 90.0 / 3.6, FALSE, TRUE);
  /* Back into the band, down to its lower edge: still on. */
  assert_hysteresis (&hysteresis, 79.0 / 3.6, FALSE, TRUE);
  assert_hysteresis (&hysteresis, 75.0 / 3.6, FALSE, TRUE);
  assert_hysteresis (&hysteresis, 74.0 / 3.6, TRUE, FALSE);
  /* Up into the band: still off. */
  assert_hysteresis (&hysteresis, 79.0 / 3.6, FALSE, FALSE);
  assert_hysteresis (&hysteresis, 80.0 / 3.6, FALSE, FALSE);
  assert_hysteresis (&hysteresis, INFINITY, TRUE, TRUE);
  assert_hysteresis (&hysteresis, -INFINITY, TRUE, FALSE);

  /* No band: the limit itself keeps the state. */
  dvr_hysteresis_init (&hysteresis, 10.0, 10.0);
  assert_hysteresis (&hysteresis, 10.0, FALSE, FALSE);
  assert_hysteresis (&hysteresis, 10.5, TRUE, TRUE);
  assert_hysteresis (&hysteresis, 10.0, FALSE, TRUE);
  assert_hysteresis (&hysteresis, 9.5, TRUE, FALSE);
}

/* NaN (no GPS fix) changes nothing, on or off. */
static void
test_hysteresis_nan (void)
{
  DvrHysteresis hysteresis;

  dvr_hysteresis_init (&hysteresis, 20.0, 18.0);
  assert_hysteresis (&hysteresis, NAN, FALSE, FALSE);
  assert_hysteresis (&hysteresis, 25.0, TRUE, TRUE);
  assert_hysteresis (&hysteresis, NAN, FALSE, TRUE);
  assert_hysteresis (&hysteresis, 17.0, TRUE, FALSE);
  assert_hysteresis (&hysteresis, NAN, FALSE, FALSE);
}

/* On at once at the threshold; each later peak moves the end of the hold;
 * off exactly hold_ns after the last one, in the tick. */
static void
test_peak (void)
{
  DvrPeak peak;

  dvr_peak_init (&peak, 2.5, HOLD);
  g_assert_false (peak.value);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, -1);
  assert_peak_tick (&peak, T0, FALSE, FALSE);

  assert_peak_update (&peak, 1.0, T0, FALSE, FALSE);
  assert_peak_update (&peak, 2.49, T0, FALSE, FALSE);
  assert_peak_update (&peak, 2.5, T0 + S, TRUE, TRUE);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, T0 + S + HOLD);

  /* A lower magnitude neither refreshes nor ends it. */
  assert_peak_update (&peak, 0.1, T0 + 2 * S, FALSE, TRUE);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, T0 + S + HOLD);
  assert_peak_update (&peak, 4.0, T0 + 2 * S, FALSE, TRUE);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, T0 + 2 * S + HOLD);
  /* The first peak's end has no effect any more. */
  assert_peak_tick (&peak, T0 + S + HOLD, FALSE, TRUE);
  assert_peak_tick (&peak, T0 + 2 * S + HOLD - 1, FALSE, TRUE);
  assert_peak_tick (&peak, T0 + 2 * S + HOLD, TRUE, FALSE);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, -1);
  assert_peak_tick (&peak, T0 + 60 * S, FALSE, FALSE);

  /* A second crash is a second edge. */
  assert_peak_update (&peak, 3.0, T0 + 100 * S, TRUE, TRUE);
  assert_peak_tick (&peak, T0 + 100 * S + HOLD, TRUE, FALSE);
}

static void
test_peak_nan (void)
{
  DvrPeak peak;

  dvr_peak_init (&peak, 2.5, HOLD);
  assert_peak_update (&peak, NAN, T0, FALSE, FALSE);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, -1);
  assert_peak_update (&peak, 3.0, T0, TRUE, TRUE);
  /* Nor does it refresh the hold. */
  assert_peak_update (&peak, NAN, T0 + S, FALSE, TRUE);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, T0 + HOLD);
  assert_peak_tick (&peak, T0 + HOLD, TRUE, FALSE);
}

/* Hold 0: on for one instant, off at the next tick. */
static void
test_peak_zero_hold (void)
{
  DvrPeak peak;

  dvr_peak_init (&peak, 1.0, 0);
  assert_peak_update (&peak, 1.0, T0, TRUE, TRUE);
  g_assert_cmpint (dvr_peak_get_next_deadline (&peak), ==, T0);
  assert_peak_tick (&peak, T0, TRUE, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/input-logic/debounce/init", test_debounce_init);
  g_test_add_func ("/input-logic/debounce/basic", test_debounce_basic);
  g_test_add_func ("/input-logic/debounce/bounce", test_debounce_bounce);
  g_test_add_func ("/input-logic/debounce/repeats", test_debounce_repeats);
  g_test_add_func ("/input-logic/debounce/late-tick", test_debounce_late_tick);
  g_test_add_func ("/input-logic/debounce/active-low", test_debounce_active_low);
  g_test_add_func ("/input-logic/debounce/zero", test_debounce_zero);
  g_test_add_func ("/input-logic/press/short", test_press_short);
  g_test_add_func ("/input-logic/press/long", test_press_long);
  g_test_add_func ("/input-logic/press/repeat", test_press_repeat);
  g_test_add_func ("/input-logic/press/late-tick", test_press_late_tick);
  g_test_add_func ("/input-logic/hysteresis/band", test_hysteresis_band);
  g_test_add_func ("/input-logic/hysteresis/nan", test_hysteresis_nan);
  g_test_add_func ("/input-logic/peak/hold", test_peak);
  g_test_add_func ("/input-logic/peak/nan", test_peak_nan);
  g_test_add_func ("/input-logic/peak/zero-hold", test_peak_zero_hold);

  return g_test_run ();
}
