/* events-test: the vehicle's event state machine against a fake clock
 * (docs/events.md).  Times are plain numbers passed in; nothing sleeps.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-events.h"

#define S G_GINT64_CONSTANT (1000000000)
/* A realistic UTC (2023-11-14), so that no time is near 0 or -1. */
#define T0 (G_GINT64_CONSTANT (1700000000) * S)

#define POST (30 * S)
#define MAX_DURATION (60 * S)

/* A macro, not a function, so that a failure names the test's line. */
#define assert_result(r, expected_flags, start, end, reason) \
  G_STMT_START { \
    DvrEventsResult r_ = (r); \
    g_assert_cmphex (r_.flags, ==, (expected_flags)); \
    g_assert_cmpint (r_.start_utc_ns, ==, (start)); \
    g_assert_cmpint (r_.end_utc_ns, ==, (end)); \
    g_assert_cmpstr (r_.end_reason, ==, (reason)); \
  } G_STMT_END

#define assert_state(events, state, start, end) \
  G_STMT_START { \
    g_assert_cmpint (dvr_events_get_state (events), ==, (state)); \
    g_assert_cmpint (dvr_events_get_start_utc_ns (events), ==, (start)); \
    g_assert_cmpint (dvr_events_get_end_utc_ns (events), ==, (end)); \
  } G_STMT_END

static DvrEventsResult
signal_edge (DvrEvents *events, const gchar *name, DvrTriggerAction action, gboolean value,
    gint64 now)
{
  return dvr_events_signal (events, name, action, value, now);
}

static DvrEventsResult
rwa (DvrEvents *events, const gchar *name, gboolean value, gint64 now)
{
  return signal_edge (events, name, DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE, value, now);
}

/* The active signals as one comma-separated string, "" for none. */
static gchar *
active_signals (const DvrEvents *events)
{
  g_autofree const gchar **names = dvr_events_dup_active_signals (events);

  g_assert_nonnull (names);
  return g_strjoinv (",", (gchar **) names);
}

#define assert_active_signals(events, expected) \
  G_STMT_START { \
    g_autofree gchar *names_ = active_signals (events); \
    g_assert_cmpstr (names_, ==, (expected)); \
  } G_STMT_END

static void
test_strings (void)
{
  static const struct {
    DvrTriggerAction action;
    const gchar *str;
  } actions[] = {
    { DVR_TRIGGER_ACTION_SENSOR_ONLY, "sensor-only" },
    { DVR_TRIGGER_ACTION_START_EVENT, "start-event" },
    { DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE, "record-while-active" },
    { DVR_TRIGGER_ACTION_MARK, "mark" },
    { DVR_TRIGGER_ACTION_STOP_EVENT, "stop-event" },
  };
  static const gchar *unknown[] = { "", "Start-Event", "start", "mark ", "sensor_only" };
  DvrTriggerAction action;

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++) {
    g_assert_cmpstr (dvr_trigger_action_to_string (actions[i].action), ==, actions[i].str);
    /* Start from a different value so that a no-op parse cannot pass. */
    action = actions[(i + 1) % G_N_ELEMENTS (actions)].action;
    g_assert_true (dvr_trigger_action_from_string (actions[i].str, &action));
    g_assert_cmpint (action, ==, actions[i].action);
  }

  /* Unknown strings are refused and leave the output alone: the config
   * reports them instead of demoting the signal to sensor-only. */
  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++) {
    action = DVR_TRIGGER_ACTION_STOP_EVENT;
    g_assert_false (dvr_trigger_action_from_string (unknown[i], &action));
    g_assert_cmpint (action, ==, DVR_TRIGGER_ACTION_STOP_EVENT);
  }
  action = DVR_TRIGGER_ACTION_MARK;
  g_assert_false (dvr_trigger_action_from_string (NULL, &action));
  g_assert_cmpint (action, ==, DVR_TRIGGER_ACTION_MARK);

  /* The control protocol's words for an event's state. */
  g_assert_cmpstr (dvr_events_state_to_string (DVR_EVENTS_STATE_IDLE), ==, "idle");
  g_assert_cmpstr (dvr_events_state_to_string (DVR_EVENTS_STATE_ACTIVE), ==, "running");
  g_assert_cmpstr (dvr_events_state_to_string (DVR_EVENTS_STATE_POST), ==, "post-event");
}

static void
test_new (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, POST);

  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, -1);
  assert_active_signals (events, "");
  /* Time alone does nothing to an idle machine. */
  assert_result (dvr_events_tick (events, T0), DVR_EVENTS_NOTHING, -1, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
}

/* Overlapping start triggers extend the running event; they never start a
 * second one, and a start-event holds the event after its falling edge. */
static void
test_start_event_overlap (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (signal_edge (events, "crash", DVR_TRIGGER_ACTION_START_EVENT, TRUE, T0),
      DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, -1);
  /* start-event signals are not record-while-active ones. */
  assert_active_signals (events, "");

  assert_result (signal_edge (events, "crash", DVR_TRIGGER_ACTION_START_EVENT, FALSE, T0 + S),
      DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);

  assert_result (signal_edge (events, "door", DVR_TRIGGER_ACTION_START_EVENT, TRUE, T0 + 5 * S),
      DVR_EVENTS_EXTENDED, T0, -1, NULL);
  assert_result (signal_edge (events, "crash", DVR_TRIGGER_ACTION_START_EVENT, TRUE, T0 + 6 * S),
      DVR_EVENTS_EXTENDED, T0, -1, NULL);
  assert_result (dvr_events_start (events, T0 + 7 * S), DVR_EVENTS_EXTENDED, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);

  /* Without a maximum duration only a stop ends a latched event. */
  assert_result (dvr_events_tick (events, T0 + 3600 * S), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);

  assert_result (dvr_events_stop (events, T0 + 3600 * S),
      DVR_EVENTS_ENDED, T0, T0 + 3600 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_POST, T0, T0 + 3600 * S);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + 3600 * S + POST);

  assert_result (dvr_events_tick (events, T0 + 3600 * S + POST - 1),
      DVR_EVENTS_NOTHING, T0, T0 + 3600 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_POST, T0, T0 + 3600 * S);
  assert_result (dvr_events_tick (events, T0 + 3600 * S + POST),
      DVR_EVENTS_CLOSED, T0, T0 + 3600 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, -1);

  /* The next trigger is a new event. */
  assert_result (dvr_events_start (events, T0 + 4000 * S),
      DVR_EVENTS_STARTED, T0 + 4000 * S, -1, NULL);
}

/* Two record-while-active signals: the event lasts until both are off. */
static void
test_record_while_active (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_active_signals (events, "lightbar");
  assert_result (rwa (events, "siren", TRUE, T0 + 2 * S), DVR_EVENTS_EXTENDED, T0, -1, NULL);
  assert_active_signals (events, "lightbar,siren");

  /* A repeated rising edge (the caller should pass changes only) changes
   * nothing; in particular the signal is not counted twice. */
  assert_result (rwa (events, "siren", TRUE, T0 + 3 * S), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_active_signals (events, "lightbar,siren");

  assert_result (rwa (events, "lightbar", FALSE, T0 + 5 * S), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);
  assert_active_signals (events, "siren");

  /* A falling edge of a signal that was never on is nothing. */
  assert_result (rwa (events, "horn", FALSE, T0 + 6 * S), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);

  assert_result (rwa (events, "siren", FALSE, T0 + 8 * S),
      DVR_EVENTS_ENDED, T0, T0 + 8 * S, "signal off");
  assert_state (events, DVR_EVENTS_STATE_POST, T0, T0 + 8 * S);
  assert_active_signals (events, "");
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + 8 * S + POST);

  assert_result (dvr_events_tick (events, T0 + 8 * S + POST),
      DVR_EVENTS_CLOSED, T0, T0 + 8 * S, "signal off");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
}

/* A start-event or manual start holds the event after the last
 * record-while-active signal goes off; and the other way round. */
static void
test_record_while_active_latched (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_start (events, T0 + S), DVR_EVENTS_EXTENDED, T0, -1, NULL);
  assert_result (rwa (events, "lightbar", FALSE, T0 + 2 * S), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);
  assert_active_signals (events, "");
  assert_result (dvr_events_stop (events, T0 + 3 * S),
      DVR_EVENTS_ENDED, T0, T0 + 3 * S, "stopped");

  /* Latched first, then a record-while-active signal joins and leaves. */
  assert_result (dvr_events_tick (events, T0 + 3 * S + POST), DVR_EVENTS_CLOSED,
      T0, T0 + 3 * S, "stopped");
  assert_result (signal_edge (events, "crash", DVR_TRIGGER_ACTION_START_EVENT, TRUE, T0 + 100 * S),
      DVR_EVENTS_STARTED, T0 + 100 * S, -1, NULL);
  assert_result (rwa (events, "siren", TRUE, T0 + 101 * S),
      DVR_EVENTS_EXTENDED, T0 + 100 * S, -1, NULL);
  assert_result (rwa (events, "siren", FALSE, T0 + 102 * S),
      DVR_EVENTS_NOTHING, T0 + 100 * S, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0 + 100 * S, -1);
}

static void
test_sensor_only (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, POST);

  assert_result (signal_edge (events, "brake", DVR_TRIGGER_ACTION_SENSOR_ONLY, TRUE, T0),
      DVR_EVENTS_NOTHING, -1, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  assert_result (signal_edge (events, "brake", DVR_TRIGGER_ACTION_SENSOR_ONLY, FALSE, T0 + S),
      DVR_EVENTS_NOTHING, -1, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);

  /* Inside an event a sensor-only signal neither extends nor ends it. */
  assert_result (rwa (events, "lightbar", TRUE, T0 + 2 * S),
      DVR_EVENTS_STARTED, T0 + 2 * S, -1, NULL);
  assert_result (signal_edge (events, "lightbar2", DVR_TRIGGER_ACTION_SENSOR_ONLY, TRUE, T0 + 3 * S),
      DVR_EVENTS_NOTHING, T0 + 2 * S, -1, NULL);
  /* Same name as the record-while-active one, but configured sensor-only:
   * the action decides, so it does not remove lightbar. */
  assert_result (signal_edge (events, "lightbar", DVR_TRIGGER_ACTION_SENSOR_ONLY, FALSE, T0 + 4 * S),
      DVR_EVENTS_NOTHING, T0 + 2 * S, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0 + 2 * S, -1);
  assert_active_signals (events, "lightbar");
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + 2 * S + MAX_DURATION);
}

/* Marks count in the event and its post-event time, nowhere else. */
static void
test_mark (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (dvr_events_mark (events, T0), DVR_EVENTS_IGNORED, -1, -1, NULL);
  assert_result (signal_edge (events, "button", DVR_TRIGGER_ACTION_MARK, TRUE, T0),
      DVR_EVENTS_IGNORED, -1, -1, NULL);
  assert_result (signal_edge (events, "button", DVR_TRIGGER_ACTION_MARK, FALSE, T0 + S),
      DVR_EVENTS_NOTHING, -1, -1, NULL);
  /* A mark never starts an event. */
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);

  assert_result (dvr_events_start (events, T0 + 10 * S), DVR_EVENTS_STARTED, T0 + 10 * S, -1, NULL);
  assert_result (signal_edge (events, "button", DVR_TRIGGER_ACTION_MARK, TRUE, T0 + 11 * S),
      DVR_EVENTS_MARKED, T0 + 10 * S, -1, NULL);
  assert_result (signal_edge (events, "button", DVR_TRIGGER_ACTION_MARK, FALSE, T0 + 12 * S),
      DVR_EVENTS_NOTHING, T0 + 10 * S, -1, NULL);
  assert_result (dvr_events_mark (events, T0 + 13 * S), DVR_EVENTS_MARKED, T0 + 10 * S, -1, NULL);
  /* Marking neither extends nor ends it. */
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0 + 10 * S, -1);

  assert_result (dvr_events_stop (events, T0 + 20 * S),
      DVR_EVENTS_ENDED, T0 + 10 * S, T0 + 20 * S, "stopped");
  /* In POST the mark still falls inside the event's windows; it does not
   * resume the event or move its deadline. */
  assert_result (dvr_events_mark (events, T0 + 25 * S),
      DVR_EVENTS_MARKED, T0 + 10 * S, T0 + 20 * S, "stopped");
  assert_result (signal_edge (events, "button", DVR_TRIGGER_ACTION_MARK, TRUE, T0 + 26 * S),
      DVR_EVENTS_MARKED, T0 + 10 * S, T0 + 20 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_POST, T0 + 10 * S, T0 + 20 * S);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + 20 * S + POST);

  assert_result (dvr_events_tick (events, T0 + 20 * S + POST),
      DVR_EVENTS_CLOSED, T0 + 10 * S, T0 + 20 * S, "stopped");
  assert_result (dvr_events_mark (events, T0 + 60 * S), DVR_EVENTS_IGNORED, -1, -1, NULL);
}

/* A stop ends the event while a record-while-active signal is still on;
 * that signal's falling edge is then nothing, its next rising edge a new
 * trigger. */
static void
test_stop_while_signal_on (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (signal_edge (events, "kill", DVR_TRIGGER_ACTION_STOP_EVENT, TRUE, T0 + 10 * S),
      DVR_EVENTS_ENDED, T0, T0 + 10 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_POST, T0, T0 + 10 * S);
  assert_active_signals (events, "");
  assert_result (signal_edge (events, "kill", DVR_TRIGGER_ACTION_STOP_EVENT, FALSE, T0 + 11 * S),
      DVR_EVENTS_NOTHING, T0, T0 + 10 * S, "stopped");

  /* Spent: going off neither ends anything again nor moves the end. */
  assert_result (rwa (events, "lightbar", FALSE, T0 + 12 * S),
      DVR_EVENTS_NOTHING, T0, T0 + 10 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_POST, T0, T0 + 10 * S);
  assert_result (dvr_events_tick (events, T0 + 10 * S + POST),
      DVR_EVENTS_CLOSED, T0, T0 + 10 * S, "stopped");

  /* Its next rising edge is a new event. */
  assert_result (rwa (events, "lightbar", TRUE, T0 + 100 * S),
      DVR_EVENTS_STARTED, T0 + 100 * S, -1, NULL);
  assert_active_signals (events, "lightbar");
  assert_result (rwa (events, "lightbar", FALSE, T0 + 110 * S),
      DVR_EVENTS_ENDED, T0 + 100 * S, T0 + 110 * S, "signal off");
}

/* The same, but the signal cycles during the post-event time: it resumes
 * the stopped event, and its falling edge then ends it again. */
static void
test_stop_then_signal_in_post (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 10 * S),
      DVR_EVENTS_ENDED, T0, T0 + 10 * S, "stopped");
  assert_result (rwa (events, "lightbar", FALSE, T0 + 12 * S),
      DVR_EVENTS_NOTHING, T0, T0 + 10 * S, "stopped");
  assert_result (rwa (events, "lightbar", TRUE, T0 + 15 * S),
      DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED, T0, -1, NULL);
  assert_active_signals (events, "lightbar");
  assert_result (rwa (events, "lightbar", FALSE, T0 + 20 * S),
      DVR_EVENTS_ENDED, T0, T0 + 20 * S, "signal off");
}

/* A stop with no event ACTIVE is ignored and changes nothing. */
static void
test_stop_ignored (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (dvr_events_stop (events, T0), DVR_EVENTS_IGNORED, -1, -1, NULL);
  assert_result (signal_edge (events, "kill", DVR_TRIGGER_ACTION_STOP_EVENT, TRUE, T0),
      DVR_EVENTS_IGNORED, -1, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);

  assert_result (dvr_events_start (events, T0 + 10 * S), DVR_EVENTS_STARTED, T0 + 10 * S, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 20 * S),
      DVR_EVENTS_ENDED, T0 + 10 * S, T0 + 20 * S, "stopped");

  /* In POST: neither a second end nor a shorter post-event time. */
  assert_result (dvr_events_stop (events, T0 + 25 * S),
      DVR_EVENTS_IGNORED, T0 + 10 * S, T0 + 20 * S, "stopped");
  assert_result (signal_edge (events, "kill", DVR_TRIGGER_ACTION_STOP_EVENT, TRUE, T0 + 26 * S),
      DVR_EVENTS_IGNORED, T0 + 10 * S, T0 + 20 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_POST, T0 + 10 * S, T0 + 20 * S);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + 20 * S + POST);
}

/* Each kind of start trigger in POST brings the same event back, with its
 * original start; the next end is a new end of that event. */
static void
test_resume (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  assert_result (dvr_events_start (events, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 10 * S),
      DVR_EVENTS_ENDED, T0, T0 + 10 * S, "stopped");

  assert_result (signal_edge (events, "crash", DVR_TRIGGER_ACTION_START_EVENT, TRUE, T0 + 20 * S),
      DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, -1);
  /* Latched again: time alone does not end it. */
  assert_result (dvr_events_tick (events, T0 + 10 * S + POST), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 30 * S),
      DVR_EVENTS_ENDED, T0, T0 + 30 * S, "stopped");
  /* The post-event time runs from the new end. */
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + 30 * S + POST);

  assert_result (dvr_events_start (events, T0 + 40 * S),
      DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED, T0, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 50 * S),
      DVR_EVENTS_ENDED, T0, T0 + 50 * S, "stopped");

  assert_result (rwa (events, "siren", TRUE, T0 + 60 * S),
      DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED, T0, -1, NULL);
  assert_result (rwa (events, "siren", FALSE, T0 + 70 * S),
      DVR_EVENTS_ENDED, T0, T0 + 70 * S, "signal off");

  assert_result (dvr_events_tick (events, T0 + 70 * S + POST - 1),
      DVR_EVENTS_NOTHING, T0, T0 + 70 * S, "signal off");
  assert_result (dvr_events_tick (events, T0 + 70 * S + POST),
      DVR_EVENTS_CLOSED, T0, T0 + 70 * S, "signal off");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
}

static void
test_max_duration (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, POST);

  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + MAX_DURATION);
  /* Extending does not move the maximum duration: it counts from the start. */
  assert_result (dvr_events_start (events, T0 + 30 * S), DVR_EVENTS_EXTENDED, T0, -1, NULL);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + MAX_DURATION);

  assert_result (dvr_events_tick (events, T0 + MAX_DURATION - 1), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);
  /* Ends though both a latch and a record-while-active signal hold it. */
  assert_result (dvr_events_tick (events, T0 + MAX_DURATION),
      DVR_EVENTS_ENDED, T0, T0 + MAX_DURATION, "maximum duration");
  assert_state (events, DVR_EVENTS_STATE_POST, T0, T0 + MAX_DURATION);
  assert_active_signals (events, "");
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + MAX_DURATION + POST);

  /* The signal that was on is spent, as after a stop. */
  assert_result (rwa (events, "lightbar", FALSE, T0 + MAX_DURATION + S),
      DVR_EVENTS_NOTHING, T0, T0 + MAX_DURATION, "maximum duration");
  assert_result (dvr_events_tick (events, T0 + MAX_DURATION + POST),
      DVR_EVENTS_CLOSED, T0, T0 + MAX_DURATION, "maximum duration");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
}

/* A late tick ends the event at the deadline, not at the tick. */
static void
test_max_duration_late_tick (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, POST);

  assert_result (dvr_events_start (events, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_tick (events, T0 + MAX_DURATION + 10 * S),
      DVR_EVENTS_ENDED, T0, T0 + MAX_DURATION, "maximum duration");
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + MAX_DURATION + POST);
}

/* One tick past both the maximum duration and the post-event time. */
static void
test_max_duration_and_post_in_one_tick (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, POST);

  assert_result (dvr_events_start (events, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_tick (events, T0 + MAX_DURATION + POST + 1000 * S),
      DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED, T0, T0 + MAX_DURATION, "maximum duration");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, -1);

  /* Exactly at the end of the post-event time counts too. */
  assert_result (dvr_events_start (events, T0 + 2000 * S), DVR_EVENTS_STARTED, T0 + 2000 * S, -1, NULL);
  assert_result (dvr_events_tick (events, T0 + 2000 * S + MAX_DURATION + POST),
      DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED, T0 + 2000 * S, T0 + 2000 * S + MAX_DURATION,
      "maximum duration");
}

/* A resumed event keeps its start, so its maximum duration too. */
static void
test_max_duration_resumed (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, POST);

  assert_result (dvr_events_start (events, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 10 * S),
      DVR_EVENTS_ENDED, T0, T0 + 10 * S, "stopped");
  /* In POST the maximum duration no longer matters. */
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + 10 * S + POST);
  assert_result (dvr_events_start (events, T0 + 20 * S),
      DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED, T0, -1, NULL);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, T0 + MAX_DURATION);
  assert_result (dvr_events_tick (events, T0 + MAX_DURATION),
      DVR_EVENTS_ENDED, T0, T0 + MAX_DURATION, "maximum duration");
}

/* Resumed after its maximum duration: it ends at once, at the resume (not
 * before it, which would be an end earlier than the previous one). */
static void
test_max_duration_resumed_after_max (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, POST);
  const gint64 resume = T0 + MAX_DURATION + 10 * S;

  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_tick (events, T0 + MAX_DURATION),
      DVR_EVENTS_ENDED, T0, T0 + MAX_DURATION, "maximum duration");
  assert_result (rwa (events, "lightbar", FALSE, resume - S),
      DVR_EVENTS_NOTHING, T0, T0 + MAX_DURATION, "maximum duration");
  assert_result (rwa (events, "lightbar", TRUE, resume),
      DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED, T0, -1, NULL);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, resume);
  assert_result (dvr_events_tick (events, resume),
      DVR_EVENTS_ENDED, T0, resume, "maximum duration");
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, resume + POST);
  assert_active_signals (events, "");
}

/* Without a post-event time, ENDED and CLOSED come in the same call. */
static void
test_post_zero (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (MAX_DURATION, 0);

  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (rwa (events, "lightbar", FALSE, T0 + 5 * S),
      DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED, T0, T0 + 5 * S, "signal off");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, -1);

  assert_result (dvr_events_start (events, T0 + 10 * S), DVR_EVENTS_STARTED, T0 + 10 * S, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 15 * S),
      DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED, T0 + 10 * S, T0 + 15 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  /* Nothing left to resume: the next trigger is a new event. */
  assert_result (dvr_events_start (events, T0 + 15 * S), DVR_EVENTS_STARTED, T0 + 15 * S, -1, NULL);

  assert_result (dvr_events_tick (events, T0 + 15 * S + MAX_DURATION),
      DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED, T0 + 15 * S, T0 + 15 * S + MAX_DURATION,
      "maximum duration");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
}

static void
test_finish (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);
  g_autofree gchar *reason = g_strdup ("recorder stopped");
  DvrEventsResult result;

  assert_result (dvr_events_finish (events, T0, "recorder stopped"),
      DVR_EVENTS_NOTHING, -1, -1, NULL);

  /* Whatever holds it (a latch and a signal here), it ends and closes. */
  assert_result (rwa (events, "lightbar", TRUE, T0), DVR_EVENTS_STARTED, T0, -1, NULL);
  assert_result (dvr_events_start (events, T0 + S), DVR_EVENTS_EXTENDED, T0, -1, NULL);
  result = dvr_events_finish (events, T0 + 10 * S, reason);
  /* The reason outlives the caller's string. */
  g_clear_pointer (&reason, g_free);
  assert_result (result, DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED, T0, T0 + 10 * S,
      "recorder stopped");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  assert_active_signals (events, "");
  g_assert_cmpint (dvr_events_get_next_deadline (events), ==, -1);
  /* The signal that was on is spent. */
  assert_result (rwa (events, "lightbar", FALSE, T0 + 11 * S), DVR_EVENTS_NOTHING, -1, -1, NULL);

  /* In POST it had already ended: only CLOSED, with its own end. */
  assert_result (dvr_events_start (events, T0 + 20 * S), DVR_EVENTS_STARTED, T0 + 20 * S, -1, NULL);
  assert_result (dvr_events_stop (events, T0 + 25 * S),
      DVR_EVENTS_ENDED, T0 + 20 * S, T0 + 25 * S, "stopped");
  assert_result (dvr_events_finish (events, T0 + 30 * S, "recorder stopped"),
      DVR_EVENTS_CLOSED, T0 + 20 * S, T0 + 25 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);
  assert_result (dvr_events_finish (events, T0 + 31 * S, "recorder stopped"),
      DVR_EVENTS_NOTHING, -1, -1, NULL);
}

static void
test_next_deadline (void)
{
  g_autoptr (DvrEvents) without_max = dvr_events_new (0, POST);
  g_autoptr (DvrEvents) with_max = dvr_events_new (MAX_DURATION, POST);

  g_assert_cmpint (dvr_events_get_next_deadline (without_max), ==, -1);
  dvr_events_start (without_max, T0);
  g_assert_cmpint (dvr_events_get_next_deadline (without_max), ==, -1);
  dvr_events_stop (without_max, T0 + 5 * S);
  g_assert_cmpint (dvr_events_get_next_deadline (without_max), ==, T0 + 5 * S + POST);
  dvr_events_tick (without_max, T0 + 5 * S + POST);
  g_assert_cmpint (dvr_events_get_next_deadline (without_max), ==, -1);

  g_assert_cmpint (dvr_events_get_next_deadline (with_max), ==, -1);
  dvr_events_start (with_max, T0 + 7 * S);
  g_assert_cmpint (dvr_events_get_next_deadline (with_max), ==, T0 + 7 * S + MAX_DURATION);
  dvr_events_stop (with_max, T0 + 9 * S);
  g_assert_cmpint (dvr_events_get_next_deadline (with_max), ==, T0 + 9 * S + POST);

  /* Ticking at each deadline the machine gives is all it takes. */
  for (gint64 deadline; (deadline = dvr_events_get_next_deadline (with_max)) != -1;)
    g_assert_cmphex (dvr_events_tick (with_max, deadline).flags, !=, DVR_EVENTS_NOTHING);
  assert_state (with_max, DVR_EVENTS_STATE_IDLE, -1, -1);
}

/* Deadlines act in tick only: an input past an unticked post-event time
 * still sees POST (documented in the header: the daemon ticks first). */
static void
test_inputs_leave_deadlines_to_tick (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  dvr_events_start (events, T0);
  dvr_events_stop (events, T0 + 10 * S);
  assert_result (dvr_events_start (events, T0 + 10 * S + POST + S),
      DVR_EVENTS_EXTENDED | DVR_EVENTS_RESUMED, T0, -1, NULL);

  /* Ticking first gives the precise answer: closed, then a new event. */
  dvr_events_stop (events, T0 + 50 * S);
  assert_result (dvr_events_tick (events, T0 + 50 * S + POST + S),
      DVR_EVENTS_CLOSED, T0, T0 + 50 * S, "stopped");
  assert_result (dvr_events_start (events, T0 + 50 * S + POST + S),
      DVR_EVENTS_STARTED, T0 + 50 * S + POST + S, -1, NULL);
}

/* Falling edges of start-event, mark and stop-event do nothing, in any
 * state. */
static void
test_falling_edges (void)
{
  static const DvrTriggerAction actions[] = {
    DVR_TRIGGER_ACTION_START_EVENT, DVR_TRIGGER_ACTION_MARK, DVR_TRIGGER_ACTION_STOP_EVENT,
    DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE, DVR_TRIGGER_ACTION_SENSOR_ONLY,
  };
  g_autoptr (DvrEvents) events = dvr_events_new (0, POST);

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    assert_result (signal_edge (events, "x", actions[i], FALSE, T0), DVR_EVENTS_NOTHING, -1, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_IDLE, -1, -1);

  dvr_events_start (events, T0);
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    assert_result (signal_edge (events, "x", actions[i], FALSE, T0 + S), DVR_EVENTS_NOTHING, T0, -1, NULL);
  assert_state (events, DVR_EVENTS_STATE_ACTIVE, T0, -1);

  dvr_events_stop (events, T0 + 2 * S);
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    assert_result (signal_edge (events, "x", actions[i], FALSE, T0 + 3 * S), DVR_EVENTS_NOTHING,
        T0, T0 + 2 * S, "stopped");
  assert_state (events, DVR_EVENTS_STATE_POST, T0, T0 + 2 * S);
}

/* The UTC clock can step back (a GPS fix after a boot with a wrong RTC):
 * an event never ends before it started. */
static void
test_clock_step_back (void)
{
  g_autoptr (DvrEvents) events = dvr_events_new (0, 0);

  dvr_events_start (events, T0);
  assert_result (dvr_events_stop (events, T0 - 3600 * S),
      DVR_EVENTS_ENDED | DVR_EVENTS_CLOSED, T0, T0, "stopped");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/events/strings", test_strings);
  g_test_add_func ("/events/new", test_new);
  g_test_add_func ("/events/start-event/overlap", test_start_event_overlap);
  g_test_add_func ("/events/record-while-active/two-signals", test_record_while_active);
  g_test_add_func ("/events/record-while-active/latched", test_record_while_active_latched);
  g_test_add_func ("/events/sensor-only", test_sensor_only);
  g_test_add_func ("/events/mark", test_mark);
  g_test_add_func ("/events/stop/while-signal-on", test_stop_while_signal_on);
  g_test_add_func ("/events/stop/signal-in-post", test_stop_then_signal_in_post);
  g_test_add_func ("/events/stop/ignored", test_stop_ignored);
  g_test_add_func ("/events/resume", test_resume);
  g_test_add_func ("/events/max-duration/basic", test_max_duration);
  g_test_add_func ("/events/max-duration/late-tick", test_max_duration_late_tick);
  g_test_add_func ("/events/max-duration/and-post", test_max_duration_and_post_in_one_tick);
  g_test_add_func ("/events/max-duration/resumed", test_max_duration_resumed);
  g_test_add_func ("/events/max-duration/resumed-after-max", test_max_duration_resumed_after_max);
  g_test_add_func ("/events/post-zero", test_post_zero);
  g_test_add_func ("/events/finish", test_finish);
  g_test_add_func ("/events/next-deadline", test_next_deadline);
  g_test_add_func ("/events/inputs-leave-deadlines-to-tick", test_inputs_leave_deadlines_to_tick);
  g_test_add_func ("/events/falling-edges", test_falling_edges);
  g_test_add_func ("/events/clock-step-back", test_clock_step_back);

  return g_test_run ();
}
