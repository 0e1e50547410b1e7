/* indicator-test: the officer's indicator lights (src/dvr-indicator.c).
 *
 * dvr_indicator_is_lit() against a table; evdev LEDs through a FIFO that
 * the test reads back as struct input_event records (the same bytes an
 * evdev node takes), checking codes and values, that an unchanged light
 * writes nothing, and that a failing device is logged once, shown in
 * status and retried at the next change.  GPIO outputs: their failure
 * path runs here (a chip that does not exist); driving a real line needs a
 * GPIO chip and is tests/hardware/indicator-gpio-test.c (exits 77 without
 * one).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-indicator.h"
#include "dvr-test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/input.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* dvr_indicator_is_lit */

static void
test_is_lit (void)
{
  const guint I = DVR_INDICATOR_IDLE, R = DVR_INDICATOR_RECORDING,
      E = DVR_INDICATOR_EVENT, A = DVR_INDICATOR_ALARM;
  static const struct {
    guint shows, states;
    gboolean covert, lit;
  } cases[] = {
    /* lit when it shows one of the states that hold */
    { DVR_INDICATOR_RECORDING, DVR_INDICATOR_RECORDING, FALSE, TRUE },
    { DVR_INDICATOR_RECORDING, DVR_INDICATOR_IDLE, FALSE, FALSE },
    { DVR_INDICATOR_EVENT, DVR_INDICATOR_RECORDING, FALSE, FALSE },
    { DVR_INDICATOR_EVENT, DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT, FALSE, TRUE },
    { DVR_INDICATOR_ALARM, DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT, FALSE, FALSE },
    { DVR_INDICATOR_ALARM, DVR_INDICATOR_IDLE | DVR_INDICATOR_ALARM, FALSE, TRUE },
    { DVR_INDICATOR_IDLE, DVR_INDICATOR_IDLE, FALSE, TRUE },
    { DVR_INDICATOR_IDLE, DVR_INDICATOR_RECORDING, FALSE, FALSE },
    { DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT, DVR_INDICATOR_EVENT, FALSE, TRUE },
    { DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT, DVR_INDICATOR_ALARM, FALSE, FALSE },
    /* no state at all lights nothing */
    { DVR_INDICATOR_IDLE | DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT | DVR_INDICATOR_ALARM,
      0, FALSE, FALSE },
    /* covert: dark whatever it shows and whatever holds */
    { DVR_INDICATOR_RECORDING, DVR_INDICATOR_RECORDING, TRUE, FALSE },
    { DVR_INDICATOR_ALARM, DVR_INDICATOR_ALARM, TRUE, FALSE },
    { DVR_INDICATOR_IDLE, DVR_INDICATOR_IDLE, TRUE, FALSE },
    { DVR_INDICATOR_EVENT, DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT, TRUE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_test_message ("case %u: shows 0x%x states 0x%x covert %d", i, cases[i].shows,
        cases[i].states, cases[i].covert);
    g_assert_cmpint (dvr_indicator_is_lit (cases[i].shows, cases[i].states, cases[i].covert),
        ==, cases[i].lit);
  }

  /* Every combination: covert is always dark; otherwise lit exactly when
   * some state shown holds. */
  for (guint shows = 0; shows <= (I | R | E | A); shows++)
    for (guint states = 0; states <= (I | R | E | A); states++) {
      g_assert_false (dvr_indicator_is_lit (shows, states, TRUE));
      g_assert_cmpint (dvr_indicator_is_lit (shows, states, FALSE), ==, (shows & states) != 0);
    }
}

/* ------------------------------------------------------------------ */
/* Helpers: what the module logs */

/* The module's log lines ("indicator NAME: ..."), as "W text" or "M text"
 * (warning, message), captured instead of printed: GLib 2.74's
 * g_test_expect_message() does not see structured logging.  Anything else
 * goes to the default writer (which keeps warnings fatal in tests). */
static GPtrArray *captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++) {
    const gchar *text = fields[i].value;
    if (g_strcmp0 (fields[i].key, "MESSAGE") != 0 || fields[i].length != -1 ||
        !g_str_has_prefix (text, "indicator "))
      continue;
    if (level & G_LOG_LEVEL_WARNING)
      g_ptr_array_add (captured, g_strconcat ("W ", text, NULL));
    else if (level & G_LOG_LEVEL_MESSAGE)
      g_ptr_array_add (captured, g_strconcat ("M ", text, NULL));
    else
      break;
    return G_LOG_WRITER_HANDLED;
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* Asserts that exactly these lines (g_pattern_match_simple() patterns, in
 * order, NULL-terminated) were logged since the last call. */
static void
expect_logged (const gchar *first, ...)
{
  const gchar *pattern = first;
  guint i = 0;
  va_list args;

  va_start (args, first);
  for (; pattern != NULL; pattern = va_arg (args, const gchar *), i++) {
    if (i >= captured->len)
      g_error ("expected a log line \"%s\", got none", pattern);
    if (!g_pattern_match_simple (pattern, g_ptr_array_index (captured, i)))
      g_error ("expected a log line \"%s\", got \"%s\"", pattern,
          (const gchar *) g_ptr_array_index (captured, i));
  }
  va_end (args);
  if (i < captured->len)
    g_error ("unexpected log line \"%s\"", (const gchar *) g_ptr_array_index (captured, i));
  g_ptr_array_set_size (captured, 0);
}

/* ------------------------------------------------------------------ */
/* Helpers: a hand-made DvrConfig holding only indicators */

typedef struct {
  DvrConfig config;
  gchar *folder;
} TestConfig;

static DvrIndicatorConfig *
evdev_indicator (const gchar *name, const gchar *device, guint led, guint shows)
{
  DvrIndicatorConfig *indicator = g_new0 (DvrIndicatorConfig, 1);
  indicator->name = g_strdup (name);
  indicator->output = DVR_INDICATOR_OUTPUT_EVDEV;
  indicator->device = g_strdup (device);
  indicator->led = led;
  indicator->shows = shows;
  return indicator;
}

static DvrIndicatorConfig *
gpio_indicator (const gchar *name, const gchar *chip, guint line, gboolean active_low,
                guint shows)
{
  DvrIndicatorConfig *indicator = g_new0 (DvrIndicatorConfig, 1);
  indicator->name = g_strdup (name);
  indicator->output = DVR_INDICATOR_OUTPUT_GPIO;
  indicator->chip = g_strdup (chip);
  indicator->line = line;
  indicator->active_low = active_low;
  indicator->shows = shows;
  return indicator;
}

static void
test_config_init (TestConfig *tc)
{
  memset (tc, 0, sizeof *tc);
  tc->config.indicators = g_ptr_array_new_with_free_func (
      (GDestroyNotify) dvr_indicator_config_free);
  tc->folder = dvr_test_mkdtemp ();
}

static void
test_config_clear (TestConfig *tc)
{
  g_clear_pointer (&tc->config.indicators, g_ptr_array_unref);
  dvr_test_rmtree (tc->folder);
  g_clear_pointer (&tc->folder, g_free);
}

/* The status array "indicators" as dvr_indicators_build_status() makes it. */
static JsonArray *
indicators_status (DvrIndicators *indicators)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;

  json_builder_begin_object (builder);
  dvr_indicators_build_status (indicators, builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  object = json_node_get_object (root);
  g_assert_true (json_object_has_member (object, "indicators"));
  return json_array_ref (json_object_get_array_member (object, "indicators"));
}

static JsonObject *
status_find (JsonArray *array, const gchar *name)
{
  for (guint i = 0; i < json_array_get_length (array); i++) {
    JsonObject *object = json_array_get_object_element (array, i);
    if (g_strcmp0 (json_object_get_string_member (object, "name"), name) == 0)
      return object;
  }
  g_assert_not_reached ();
}

/* ------------------------------------------------------------------ */
/* evdev LEDs through a FIFO */

typedef struct {
  guint16 type, code;
  gint32 value;
} Event;

/* Everything written to the FIFO since the last call, as (type, code,
 * value) triples; the record size is checked, so a partial or misaligned
 * write fails the test. */
static GArray *
read_events (int fd)
{
  GArray *events = g_array_new (FALSE, FALSE, sizeof (Event));
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 buf[4096];

  for (;;) {
    ssize_t n = read (fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      g_assert_cmpint (errno, ==, EAGAIN);
      break;
    }
    if (n == 0)
      break;
    g_byte_array_append (bytes, buf, n);
  }
  g_assert_cmpuint (bytes->len % sizeof (struct input_event), ==, 0);
  for (guint off = 0; off < bytes->len; off += sizeof (struct input_event)) {
    struct input_event ie;
    Event e;
    memcpy (&ie, bytes->data + off, sizeof ie);
    e.type = ie.type;
    e.code = ie.code;
    e.value = ie.value;
    g_array_append_val (events, e);
  }
  return events;
}

/* Asserts that the FIFO holds exactly these LED changes, each followed by
 * its SYN_REPORT, in this order: pairs of (code, value), ended by -1. */
static void
expect_leds (int fd, ...)
{
  g_autoptr (GArray) events = read_events (fd);
  guint i = 0;
  va_list args;
  int code;

  va_start (args, fd);
  while ((code = va_arg (args, int)) >= 0) {
    int value = va_arg (args, int);
    Event *led, *syn;

    g_assert_cmpuint (i + 2, <=, events->len);
    led = &g_array_index (events, Event, i);
    syn = &g_array_index (events, Event, i + 1);
    g_assert_cmpuint (led->type, ==, EV_LED);
    g_assert_cmpuint (led->code, ==, code);
    g_assert_cmpint (led->value, ==, value);
    g_assert_cmpuint (syn->type, ==, EV_SYN);
    g_assert_cmpuint (syn->code, ==, SYN_REPORT);
    g_assert_cmpint (syn->value, ==, 0);
    i += 2;
  }
  va_end (args);
  g_assert_cmpuint (i, ==, events->len);
}

static void
test_evdev_fifo (void)
{
  TestConfig tc;
  g_autofree gchar *fifo = NULL;
  g_autoptr (DvrIndicators) indicators = NULL;
  g_autoptr (JsonArray) status = NULL;
  JsonObject *o;
  int reader;
  const guint R = DVR_INDICATOR_RECORDING, E = DVR_INDICATOR_EVENT,
      A = DVR_INDICATOR_ALARM, I = DVR_INDICATOR_IDLE;

  test_config_init (&tc);
  fifo = g_build_filename (tc.folder, "leds", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  /* The reader first: a writer opened with O_NONBLOCK and no reader fails. */
  reader = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (reader, >=, 0);

  /* Two LEDs of one device: "rec" for recording or event, "alarm". */
  g_ptr_array_add (tc.config.indicators, evdev_indicator ("rec", fifo, LED_MISC, R | E));
  g_ptr_array_add (tc.config.indicators, evdev_indicator ("alarm", fifo, LED_CAPSL, A));
  indicators = dvr_indicators_new (&tc.config);

  /* Nothing is opened or written before the first set. */
  expect_leds (reader, -1);
  status = indicators_status (indicators);
  g_assert_cmpuint (json_array_get_length (status), ==, 2);
  o = status_find (status, "rec");
  g_assert_cmpstr (json_object_get_string_member (o, "output"), ==, "evdev");
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "closed");
  g_assert_false (json_object_get_boolean_member (o, "lit"));
  g_clear_pointer (&status, json_array_unref);

  /* The first set writes every light, dark ones too: the device's state
   * before dvrd is unknown. */
  dvr_indicators_set (indicators, I, FALSE);
  expect_leds (reader, LED_MISC, 0, LED_CAPSL, 0, -1);
  /* Unchanged: nothing written. */
  dvr_indicators_set (indicators, I, FALSE);
  expect_leds (reader, -1);

  dvr_indicators_set (indicators, R, FALSE);
  expect_leds (reader, LED_MISC, 1, -1);
  /* The states change but "rec" stays lit: nothing written. */
  dvr_indicators_set (indicators, R | E, FALSE);
  expect_leds (reader, -1);
  dvr_indicators_set (indicators, R | A, FALSE);
  expect_leds (reader, LED_CAPSL, 1, -1);

  status = indicators_status (indicators);
  o = status_find (status, "rec");
  g_assert_true (json_object_get_boolean_member (o, "lit"));
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "open");
  g_assert_false (json_object_has_member (o, "error"));
  o = status_find (status, "alarm");
  g_assert_true (json_object_get_boolean_member (o, "lit"));
  g_clear_pointer (&status, json_array_unref);

  /* Covert: everything dark, and stays dark whatever happens. */
  dvr_indicators_set (indicators, R | A, TRUE);
  expect_leds (reader, LED_MISC, 0, LED_CAPSL, 0, -1);
  dvr_indicators_set (indicators, R | E | A, TRUE);
  expect_leds (reader, -1);
  status = indicators_status (indicators);
  g_assert_false (json_object_get_boolean_member (status_find (status, "rec"), "lit"));
  g_assert_false (json_object_get_boolean_member (status_find (status, "alarm"), "lit"));
  g_clear_pointer (&status, json_array_unref);
  /* Covert off: back to what the states say. */
  dvr_indicators_set (indicators, R | E, FALSE);
  expect_leds (reader, LED_MISC, 1, -1);

  /* Freeing turns lit lights off. */
  g_clear_pointer (&indicators, dvr_indicators_free);
  expect_leds (reader, LED_MISC, 0, -1);

  close (reader);
  test_config_clear (&tc);
}

/* A device that goes away: logged once, "error" in status, retried at
 * the next change (not at every call), and back when it works again. */
static void
test_evdev_failure (void)
{
  TestConfig tc;
  g_autofree gchar *fifo = NULL;
  g_autoptr (DvrIndicators) indicators = NULL;
  g_autoptr (JsonArray) status = NULL;
  JsonObject *o;
  int reader;
  const guint R = DVR_INDICATOR_RECORDING, E = DVR_INDICATOR_EVENT, I = DVR_INDICATOR_IDLE;

  test_config_init (&tc);
  fifo = g_build_filename (tc.folder, "leds", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_ptr_array_add (tc.config.indicators, evdev_indicator ("rec", fifo, LED_MISC, R));
  g_ptr_array_add (tc.config.indicators, evdev_indicator ("idle", fifo, LED_NUML, I));
  indicators = dvr_indicators_new (&tc.config);

  /* No reader: opening the FIFO for writing fails (ENXIO), as a missing
   * device would.  One warning per indicator, not one per call. */
  dvr_indicators_set (indicators, R, FALSE);
  dvr_indicators_set (indicators, I, FALSE);
  expect_logged ("W indicator rec: open *: No such device or address *",
      "W indicator idle: open *: No such device or address *", NULL);
  status = indicators_status (indicators);
  o = status_find (status, "rec");
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "error");
  g_assert_nonnull (strstr (json_object_get_string_member (o, "error"), fifo));
  g_assert_false (json_object_get_boolean_member (o, "lit"));
  g_clear_pointer (&status, json_array_unref);

  /* The device is back, but nothing changed: no retry, nothing written. */
  reader = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (reader, >=, 0);
  dvr_indicators_set (indicators, I, FALSE);
  expect_leds (reader, -1);

  /* A change: both are retried and written; the recovery is logged. */
  dvr_indicators_set (indicators, R | E, FALSE);
  expect_logged ("M indicator rec: working again", "M indicator idle: working again", NULL);
  expect_leds (reader, LED_MISC, 1, LED_NUML, 0, -1);
  status = indicators_status (indicators);
  o = status_find (status, "rec");
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "open");
  g_assert_true (json_object_get_boolean_member (o, "lit"));
  g_assert_false (json_object_has_member (o, "error"));
  g_clear_pointer (&status, json_array_unref);

  /* The reader goes away with the device open: the write fails with
   * EPIPE, and the SIGPIPE it raises does not end the process (SIGPIPE
   * keeps its default action here, as in dvrd). */
  close (reader);
  dvr_indicators_set (indicators, I, FALSE);
  expect_logged ("W indicator rec: write *: Broken pipe *",
      "W indicator idle: write *: Broken pipe *", NULL);
  /* Further changes while it stays gone: retried, but not logged again. */
  dvr_indicators_set (indicators, R, FALSE);
  dvr_indicators_set (indicators, I, FALSE);
  status = indicators_status (indicators);
  g_assert_cmpstr (json_object_get_string_member (status_find (status, "idle"), "state"), ==,
      "error");
  g_clear_pointer (&status, json_array_unref);

  /* Back: the next change writes the light wanted now, reopening the
   * device from scratch. */
  reader = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (reader, >=, 0);
  dvr_indicators_set (indicators, I | E, FALSE);
  expect_logged ("M indicator rec: working again", "M indicator idle: working again", NULL);
  expect_leds (reader, LED_MISC, 0, LED_NUML, 1, -1);

  g_clear_pointer (&indicators, dvr_indicators_free);
  expect_leds (reader, LED_NUML, 0, -1);
  close (reader);
  test_config_clear (&tc);
}

/* The same through dvr.conf's [indicator] keys, as dvrd gets them. */
static void
test_evdev_from_config (void)
{
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  g_autofree gchar *fifo = g_build_filename (folder, "leds", NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrConfig) config = NULL;
  g_autoptr (DvrIndicators) indicators = NULL;
  int reader;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  reader = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  g_assert_cmpint (reader, >=, 0);
  text = g_strdup_printf ("[recorder]\nstorage = %s\n[camera c]\nsource = test\n"
      "[indicator light]\noutput = evdev\ndevice = %s\nled = LED_SCROLLL\n"
      "shows = event, alarm\n", folder, fifo);
  config = dvr_config_load_data (text, strlen (text), "indicator-test.conf", &error);
  g_assert_no_error (error);
  indicators = dvr_indicators_new (config);

  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING, FALSE);
  expect_leds (reader, LED_SCROLLL, 0, -1);
  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING | DVR_INDICATOR_EVENT, FALSE);
  expect_leds (reader, LED_SCROLLL, 1, -1);
  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING | DVR_INDICATOR_ALARM, FALSE);
  expect_leds (reader, -1);
  dvr_indicators_set (indicators, DVR_INDICATOR_IDLE, FALSE);
  expect_leds (reader, LED_SCROLLL, 0, -1);

  g_clear_pointer (&indicators, dvr_indicators_free);
  expect_leds (reader, -1);
  close (reader);
  dvr_test_rmtree (folder);
}

/* ------------------------------------------------------------------ */
/* GPIO */

/* A chip that is not there: the same failure path as evdev's. */
static void
test_gpio_missing_chip (void)
{
  TestConfig tc;
  g_autoptr (DvrIndicators) indicators = NULL;
  g_autoptr (JsonArray) status = NULL;
  JsonObject *o;

  test_config_init (&tc);
  g_ptr_array_add (tc.config.indicators,
      gpio_indicator ("lamp", "dvr-test-no-such-chip", 3, FALSE, DVR_INDICATOR_RECORDING));
  indicators = dvr_indicators_new (&tc.config);

  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING, FALSE);
  dvr_indicators_set (indicators, DVR_INDICATOR_IDLE, FALSE);
  expect_logged ("W indicator lamp: GPIO chip dvr-test-no-such-chip: *", NULL);
  status = indicators_status (indicators);
  o = status_find (status, "lamp");
  g_assert_cmpstr (json_object_get_string_member (o, "output"), ==, "gpio");
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "error");
  g_assert_nonnull (strstr (json_object_get_string_member (o, "error"), "dvr-test-no-such-chip"));
  g_assert_false (json_object_get_boolean_member (o, "lit"));

  /* Nothing lit, so nothing to turn off (and no second warning). */
  g_clear_pointer (&indicators, dvr_indicators_free);
  test_config_clear (&tc);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  captured = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_add_func ("/indicator/is-lit", test_is_lit);
  g_test_add_func ("/indicator/evdev/fifo", test_evdev_fifo);
  g_test_add_func ("/indicator/evdev/failure", test_evdev_failure);
  g_test_add_func ("/indicator/evdev/from-config", test_evdev_from_config);
  g_test_add_func ("/indicator/gpio/missing-chip", test_gpio_missing_chip);
  {
    int status = g_test_run ();
    g_ptr_array_unref (captured);
    return status;
  }
}
