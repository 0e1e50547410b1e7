/* ignition-test: the ignition lifecycle against a fake clock
 * (docs/inputs.md).  Times are plain numbers passed in; nothing sleeps.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-ignition.h"

#define MS G_GINT64_CONSTANT (1000000)
#define S G_GINT64_CONSTANT (1000000000)
/* A realistic monotonic time (about 11 days of uptime), so that no time is
 * near 0 or -1. */
#define T0 (G_GINT64_CONSTANT (1000000) * S)

/* dvr.conf's defaults: ignition-debounce 2 s, hold-over 10 min. */
#define DEBOUNCE (2 * S)
#define HOLD_OVER (600 * S)

#define NOTHING DVR_IGNITION_NOTHING
#define START DVR_IGNITION_START
#define HOLD DVR_IGNITION_HOLD_OVER
#define CANCELLED DVR_IGNITION_CANCELLED
#define SHUTDOWN DVR_IGNITION_SHUTDOWN

#define STATE_OFF DVR_IGNITION_STATE_OFF
#define STATE_ON DVR_IGNITION_STATE_ON
#define STATE_HOLD_OVER DVR_IGNITION_STATE_HOLD_OVER
#define STATE_SHUTDOWN DVR_IGNITION_STATE_SHUTDOWN

/* Macros, not functions, so that a failure names the test's line. */
#define assert_set(ignition, on, now, flags) \
  g_assert_cmphex (dvr_ignition_set ((ignition), (on), (now)), ==, (flags))
#define assert_event(ignition, active, now, flags) \
  g_assert_cmphex (dvr_ignition_set_event_active ((ignition), (active), (now)), ==, (flags))
#define assert_tick(ignition, now, flags) \
  g_assert_cmphex (dvr_ignition_tick ((ignition), (now)), ==, (flags))

#define assert_state(ignition, state, deadline, shutdown_at) \
  G_STMT_START { \
    g_assert_cmpint (dvr_ignition_get_state (ignition), ==, (state)); \
    g_assert_cmpint (dvr_ignition_get_next_deadline (ignition), ==, (deadline)); \
    g_assert_cmpint (dvr_ignition_get_shutdown_at (ignition), ==, (shutdown_at)); \
  } G_STMT_END

/* An ignition that was on at start and went off at @off (debounced at
 * @off + DEBOUNCE): in HOLD_OVER on return. */
static DvrIgnition *
ignition_new_in_hold_over (gint64 hold_over, gint64 off)
{
  DvrIgnition *ignition = dvr_ignition_new (DEBOUNCE, hold_over, TRUE, T0);

  assert_set (ignition, FALSE, off, NOTHING);
  assert_tick (ignition, off + DEBOUNCE, HOLD);
  assert_state (ignition, STATE_HOLD_OVER, off + DEBOUNCE + hold_over, off + DEBOUNCE + hold_over);
  return ignition;
}

static void
test_strings (void)
{
  g_assert_cmpstr (dvr_ignition_state_to_string (STATE_OFF), ==, "off");
  g_assert_cmpstr (dvr_ignition_state_to_string (STATE_ON), ==, "on");
  g_assert_cmpstr (dvr_ignition_state_to_string (STATE_HOLD_OVER), ==, "hold-over");
  g_assert_cmpstr (dvr_ignition_state_to_string (STATE_SHUTDOWN), ==, "shutdown");
}

/* The level at start is taken as debounced: a DVR powered up by the
 * ignition records at once, one started without it waits. */
static void
test_new (void)
{
  g_autoptr (DvrIgnition) on = dvr_ignition_new (DEBOUNCE, HOLD_OVER, TRUE, T0);
  g_autoptr (DvrIgnition) off = dvr_ignition_new (DEBOUNCE, HOLD_OVER, FALSE, T0);

  assert_state (on, STATE_ON, -1, -1);
  assert_tick (on, T0 + 3600 * S, NOTHING);
  assert_set (on, TRUE, T0 + 3600 * S, NOTHING);
  assert_state (on, STATE_ON, -1, -1);

  /* OFF never shuts down by itself: nothing started, nothing to hold. */
  assert_state (off, STATE_OFF, -1, -1);
  assert_tick (off, T0 + 3600 * S, NOTHING);
  assert_set (off, FALSE, T0 + 3600 * S, NOTHING);
  assert_state (off, STATE_OFF, -1, -1);
}

/* OFF -> ON once on has held for the debounce, at exactly that time. */
static void
test_start (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (DEBOUNCE, HOLD_OVER, FALSE, T0);

  assert_set (ignition, TRUE, T0 + S, NOTHING);
  assert_state (ignition, STATE_OFF, T0 + S + DEBOUNCE, -1);
  assert_tick (ignition, T0 + S + DEBOUNCE - 1, NOTHING);
  assert_state (ignition, STATE_OFF, T0 + S + DEBOUNCE, -1);
  assert_tick (ignition, T0 + S + DEBOUNCE, START);
  assert_state (ignition, STATE_ON, -1, -1);
  assert_tick (ignition, T0 + S + DEBOUNCE, NOTHING);
}

/* Cranking: the ignition line dips for less than the debounce, at key-on
 * and later while running.  A dip delays the start; it never gives a
 * HOLD_OVER. */
static void
test_cranking (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (DEBOUNCE, HOLD_OVER, FALSE, T0);

  /* Key to on, then the starter motor pulls the line down twice. */
  assert_set (ignition, TRUE, T0, NOTHING);
  assert_set (ignition, FALSE, T0 + S, NOTHING);
  assert_state (ignition, STATE_OFF, -1, -1);
  assert_set (ignition, TRUE, T0 + S + 300 * MS, NOTHING);
  assert_set (ignition, FALSE, T0 + S + 600 * MS, NOTHING);
  assert_set (ignition, TRUE, T0 + S + 700 * MS, NOTHING);
  assert_state (ignition, STATE_OFF, T0 + S + 700 * MS + DEBOUNCE, -1);
  /* Not 2 s after the key. */
  assert_tick (ignition, T0 + DEBOUNCE, NOTHING);
  assert_tick (ignition, T0 + S + 700 * MS + DEBOUNCE, START);
  assert_state (ignition, STATE_ON, -1, -1);

  /* Running: a dip just shorter than the debounce changes nothing. */
  assert_set (ignition, FALSE, T0 + 60 * S, NOTHING);
  assert_state (ignition, STATE_ON, T0 + 60 * S + DEBOUNCE, -1);
  assert_tick (ignition, T0 + 60 * S + DEBOUNCE - 1, NOTHING);
  assert_set (ignition, TRUE, T0 + 60 * S + DEBOUNCE - 1, NOTHING);
  assert_state (ignition, STATE_ON, -1, -1);
  assert_tick (ignition, T0 + 60 * S + DEBOUNCE, NOTHING);
  assert_tick (ignition, T0 + 3600 * S, NOTHING);
  assert_state (ignition, STATE_ON, -1, -1);
}

/* ON -> HOLD_OVER at off + debounce, SHUTDOWN exactly hold-over later;
 * SHUTDOWN is final. */
static void
test_hold_over_then_shutdown (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (DEBOUNCE, HOLD_OVER, TRUE, T0);
  gint64 end = T0 + 100 * S + DEBOUNCE + HOLD_OVER;

  assert_set (ignition, FALSE, T0 + 100 * S, NOTHING);
  assert_state (ignition, STATE_ON, T0 + 100 * S + DEBOUNCE, -1);
  /* The serial module repeats its level once a second: no restart. */
  assert_set (ignition, FALSE, T0 + 101 * S, NOTHING);
  assert_tick (ignition, T0 + 100 * S + DEBOUNCE - 1, NOTHING);
  assert_tick (ignition, T0 + 100 * S + DEBOUNCE, HOLD);
  assert_state (ignition, STATE_HOLD_OVER, end, end);
  assert_set (ignition, FALSE, T0 + 200 * S, NOTHING);
  assert_tick (ignition, end - 1, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, end, end);
  assert_tick (ignition, end, SHUTDOWN);
  assert_state (ignition, STATE_SHUTDOWN, -1, -1);

  /* Final: nothing brings it back. */
  assert_tick (ignition, end, NOTHING);
  assert_set (ignition, TRUE, end + S, NOTHING);
  assert_tick (ignition, end + S + DEBOUNCE, NOTHING);
  assert_event (ignition, TRUE, end + 10 * S, NOTHING);
  assert_event (ignition, FALSE, end + 20 * S, NOTHING);
  assert_tick (ignition, end + 3600 * S, NOTHING);
  assert_state (ignition, STATE_SHUTDOWN, -1, -1);
}

/* A flap during the hold-over shorter than the debounce leaves the
 * shutdown where it was; an 'on' that holds cancels it. */
static void
test_hold_over_flap (void)
{
  g_autoptr (DvrIgnition) ignition = ignition_new_in_hold_over (HOLD_OVER, T0);
  gint64 end = T0 + DEBOUNCE + HOLD_OVER;
  gint64 on = T0 + 300 * S;

  assert_set (ignition, TRUE, T0 + 60 * S, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, T0 + 60 * S + DEBOUNCE, end);
  assert_set (ignition, FALSE, T0 + 61 * S, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, end, end);
  assert_tick (ignition, T0 + 60 * S + DEBOUNCE, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, end, end);

  /* On again, and it holds: cancelled at exactly on + debounce. */
  assert_set (ignition, TRUE, on, NOTHING);
  assert_tick (ignition, on + DEBOUNCE - 1, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, on + DEBOUNCE, end);
  assert_tick (ignition, on + DEBOUNCE, CANCELLED);
  assert_state (ignition, STATE_ON, -1, -1);
  /* The old end of the hold-over is gone. */
  assert_tick (ignition, end, NOTHING);
  assert_tick (ignition, end + 3600 * S, NOTHING);
  assert_state (ignition, STATE_ON, -1, -1);

  /* Off again later: a new full hold-over from the new off. */
  assert_set (ignition, FALSE, T0 + 4000 * S, NOTHING);
  assert_tick (ignition, T0 + 4000 * S + DEBOUNCE, HOLD);
  end = T0 + 4000 * S + DEBOUNCE + HOLD_OVER;
  assert_state (ignition, STATE_HOLD_OVER, end, end);
  assert_tick (ignition, end, SHUTDOWN);
}

/* A flap that straddles the end of the hold-over: the pending 'on' does
 * not hold the shutdown back, since it has not held yet. */
static void
test_hold_over_flap_at_end (void)
{
  g_autoptr (DvrIgnition) ignition = ignition_new_in_hold_over (HOLD_OVER, T0);
  gint64 end = T0 + DEBOUNCE + HOLD_OVER;

  assert_set (ignition, TRUE, end - S, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, end, end);
  assert_tick (ignition, end, SHUTDOWN);
  assert_state (ignition, STATE_SHUTDOWN, -1, -1);
}

/* An event running at the end of the hold-over keeps it going; it ends
 * when the event does. */
static void
test_event_extends_hold_over (void)
{
  g_autoptr (DvrIgnition) ignition = ignition_new_in_hold_over (HOLD_OVER, T0);
  gint64 end = T0 + DEBOUNCE + HOLD_OVER;
  gint64 event_end = end + 100 * S;

  assert_event (ignition, TRUE, T0 + 10 * S, NOTHING);
  /* No deadline while it runs; shutdown-at is the earliest end. */
  assert_state (ignition, STATE_HOLD_OVER, -1, end);
  assert_tick (ignition, end, NOTHING);
  assert_tick (ignition, end + 50 * S, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, -1, end);
  /* A repeat is nothing. */
  assert_event (ignition, TRUE, end + 60 * S, NOTHING);

  /* Like every deadline the shutdown comes in the tick. */
  assert_event (ignition, FALSE, event_end, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, event_end, event_end);
  assert_tick (ignition, event_end - 1, NOTHING);
  assert_tick (ignition, event_end, SHUTDOWN);
  assert_state (ignition, STATE_SHUTDOWN, -1, -1);
}

/* An event that ends inside the hold-over does not shorten or lengthen
 * it; one running when the ignition goes off does not stop the
 * hold-over from starting. */
static void
test_event_inside_hold_over (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (DEBOUNCE, HOLD_OVER, TRUE, T0);
  gint64 end = T0 + 10 * S + DEBOUNCE + HOLD_OVER;

  assert_event (ignition, TRUE, T0 + 5 * S, NOTHING);
  assert_set (ignition, FALSE, T0 + 10 * S, NOTHING);
  assert_tick (ignition, T0 + 10 * S + DEBOUNCE, HOLD);
  assert_state (ignition, STATE_HOLD_OVER, -1, end);
  assert_event (ignition, FALSE, T0 + 100 * S, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, end, end);
  /* Another one, also over before the end. */
  assert_event (ignition, TRUE, T0 + 200 * S, NOTHING);
  assert_event (ignition, FALSE, T0 + 230 * S, NOTHING);
  assert_state (ignition, STATE_HOLD_OVER, end, end);
  assert_tick (ignition, end - 1, NOTHING);
  assert_tick (ignition, end, SHUTDOWN);
}

/* Hold-over 0: SHUTDOWN in the same call that debounces the off, unless
 * an event runs; then at the event's end. */
static void
test_hold_over_zero (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (DEBOUNCE, 0, TRUE, T0);
  g_autoptr (DvrIgnition) immediate = dvr_ignition_new (0, 0, TRUE, T0);
  g_autoptr (DvrIgnition) with_event = dvr_ignition_new (0, 0, TRUE, T0);

  assert_set (ignition, FALSE, T0 + S, NOTHING);
  assert_tick (ignition, T0 + S + DEBOUNCE - 1, NOTHING);
  assert_tick (ignition, T0 + S + DEBOUNCE, HOLD | SHUTDOWN);
  assert_state (ignition, STATE_SHUTDOWN, -1, -1);

  assert_set (immediate, FALSE, T0 + S, HOLD | SHUTDOWN);
  assert_state (immediate, STATE_SHUTDOWN, -1, -1);
  /* Final even where nothing debounces the level. */
  assert_set (immediate, TRUE, T0 + 2 * S, NOTHING);
  assert_set (immediate, FALSE, T0 + 3 * S, NOTHING);
  assert_tick (immediate, T0 + 4 * S, NOTHING);
  assert_state (immediate, STATE_SHUTDOWN, -1, -1);

  assert_event (with_event, TRUE, T0, NOTHING);
  assert_set (with_event, FALSE, T0 + S, HOLD);
  assert_state (with_event, STATE_HOLD_OVER, -1, T0 + S);
  assert_tick (with_event, T0 + 10 * S, NOTHING);
  assert_event (with_event, FALSE, T0 + 20 * S, NOTHING);
  assert_state (with_event, STATE_HOLD_OVER, T0 + 20 * S, T0 + 20 * S);
  assert_tick (with_event, T0 + 20 * S, SHUTDOWN);
}

/* Debounce 0: every change of the level acts at once, in set(). */
static void
test_debounce_zero (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (0, HOLD_OVER, FALSE, T0);

  assert_set (ignition, FALSE, T0, NOTHING);
  assert_set (ignition, TRUE, T0 + S, START);
  assert_state (ignition, STATE_ON, -1, -1);
  assert_set (ignition, TRUE, T0 + 2 * S, NOTHING);
  assert_set (ignition, FALSE, T0 + 3 * S, HOLD);
  assert_state (ignition, STATE_HOLD_OVER, T0 + 3 * S + HOLD_OVER, T0 + 3 * S + HOLD_OVER);
  assert_set (ignition, FALSE, T0 + 4 * S, NOTHING);
  assert_set (ignition, TRUE, T0 + 5 * S, CANCELLED);
  assert_state (ignition, STATE_ON, -1, -1);
}

/* A late tick applies each deadline at its own time: the hold-over runs
 * from when the off was debounced, not from the tick. */
static void
test_late_tick (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (DEBOUNCE, HOLD_OVER, TRUE, T0);
  g_autoptr (DvrIgnition) very_late = dvr_ignition_new (DEBOUNCE, HOLD_OVER, TRUE, T0);
  gint64 end = T0 + DEBOUNCE + HOLD_OVER;

  assert_set (ignition, FALSE, T0, NOTHING);
  /* Inputs past a deadline leave it to the tick. */
  assert_set (ignition, FALSE, T0 + 5 * S, NOTHING);
  assert_state (ignition, STATE_ON, T0 + DEBOUNCE, -1);
  assert_tick (ignition, T0 + 30 * S, HOLD);
  assert_state (ignition, STATE_HOLD_OVER, end, end);

  /* So late that the hold-over is over too: both in one tick. */
  assert_set (very_late, FALSE, T0, NOTHING);
  assert_tick (very_late, end, HOLD | SHUTDOWN);
  assert_state (very_late, STATE_SHUTDOWN, -1, -1);
}

/* A late tick with an 'on' pending in HOLD_OVER: whichever deadline came
 * first wins; on a tie the ignition does (the vehicle is running). */
static void
test_late_tick_order (void)
{
  g_autoptr (DvrIgnition) shut = ignition_new_in_hold_over (HOLD_OVER, T0);
  g_autoptr (DvrIgnition) tie = ignition_new_in_hold_over (HOLD_OVER, T0);
  g_autoptr (DvrIgnition) cancel = ignition_new_in_hold_over (HOLD_OVER, T0);
  gint64 end = T0 + DEBOUNCE + HOLD_OVER;

  /* The hold-over ended before the 'on' held. */
  assert_set (shut, TRUE, end - DEBOUNCE + 1, NOTHING);
  assert_tick (shut, end + 10 * S, SHUTDOWN);
  assert_state (shut, STATE_SHUTDOWN, -1, -1);

  assert_set (tie, TRUE, end - DEBOUNCE, NOTHING);
  assert_state (tie, STATE_HOLD_OVER, end, end);
  assert_tick (tie, end + 10 * S, CANCELLED);
  assert_state (tie, STATE_ON, -1, -1);

  assert_set (cancel, TRUE, end - DEBOUNCE - 1, NOTHING);
  assert_state (cancel, STATE_HOLD_OVER, end - 1, end);
  assert_tick (cancel, end + 10 * S, CANCELLED);
  assert_state (cancel, STATE_ON, -1, -1);
}

/* A whole drive: key on with a crank dip, an event, key off, an event in
 * the hold-over that runs past its end, then shutdown. */
static void
test_cycle (void)
{
  g_autoptr (DvrIgnition) ignition = dvr_ignition_new (DEBOUNCE, HOLD_OVER, FALSE, T0);
  gint64 off = T0 + 1800 * S;
  gint64 event_end = off + DEBOUNCE + HOLD_OVER + 45 * S;

  assert_set (ignition, TRUE, T0, NOTHING);
  assert_set (ignition, FALSE, T0 + 500 * MS, NOTHING);
  assert_set (ignition, TRUE, T0 + 800 * MS, NOTHING);
  assert_tick (ignition, T0 + 800 * MS + DEBOUNCE, START);
  assert_event (ignition, TRUE, T0 + 600 * S, NOTHING);
  assert_event (ignition, FALSE, T0 + 700 * S, NOTHING);
  assert_state (ignition, STATE_ON, -1, -1);

  assert_set (ignition, FALSE, off, NOTHING);
  assert_tick (ignition, off + DEBOUNCE, HOLD);
  assert_state (ignition, STATE_HOLD_OVER, off + DEBOUNCE + HOLD_OVER,
                off + DEBOUNCE + HOLD_OVER);
  assert_event (ignition, TRUE, off + 500 * S, NOTHING);
  assert_tick (ignition, off + DEBOUNCE + HOLD_OVER, NOTHING);
  assert_event (ignition, FALSE, event_end, NOTHING);
  assert_tick (ignition, event_end, SHUTDOWN);
  assert_state (ignition, STATE_SHUTDOWN, -1, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ignition/strings", test_strings);
  g_test_add_func ("/ignition/new", test_new);
  g_test_add_func ("/ignition/start", test_start);
  g_test_add_func ("/ignition/cranking", test_cranking);
  g_test_add_func ("/ignition/hold-over/shutdown", test_hold_over_then_shutdown);
  g_test_add_func ("/ignition/hold-over/flap", test_hold_over_flap);
  g_test_add_func ("/ignition/hold-over/flap-at-end", test_hold_over_flap_at_end);
  g_test_add_func ("/ignition/hold-over/zero", test_hold_over_zero);
  g_test_add_func ("/ignition/event/extends-hold-over", test_event_extends_hold_over);
  g_test_add_func ("/ignition/event/inside-hold-over", test_event_inside_hold_over);
  g_test_add_func ("/ignition/debounce-zero", test_debounce_zero);
  g_test_add_func ("/ignition/late-tick", test_late_tick);
  g_test_add_func ("/ignition/late-tick-order", test_late_tick_order);
  g_test_add_func ("/ignition/cycle", test_cycle);

  return g_test_run ();
}
