/* inputs-test: the input backends' I/O (src/dvr-inputs.c and the evdev and
 * serial backends).
 *
 * The logic (debounce, presses, hysteresis, peaks) has its own tests
 * against a fake clock (input-logic-test); here the bytes go through real
 * file descriptors on the main loop: struct input_event records through a
 * FIFO (the same stream an evdev node gives), protocol lines through a
 * real pty.  The times involved are short and real (50 ms debounce, 300 ms
 * long press, 200 ms hold; a missing device is retried every second), so
 * the whole test takes a few seconds.  Waits are for an expected callback,
 * with a timeout; "nothing happened" is checked by waiting for a later
 * sentinel change instead of sleeping.
 *
 * The GPIO backend needs a GPIO chip: tests/hardware/gpio-test.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-inputs.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/input.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 2000

/* ------------------------------------------------------------------ */
/* What the module logs: its warnings are expected here (a test provokes
 * them), so they are recorded and checked instead of aborting. */

static GPtrArray *logged;   /* "inputs: ..." messages, in order */

/* dvrd logs through the structured API: g_test_init() makes warnings fatal
 * in g_log_writer_default(), so the module's own go to the standard
 * streams instead. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const gchar *message = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      message = fields[i].value;
  }
  if (message != NULL && g_str_has_prefix (message, "inputs: ") &&
      (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE)) != 0) {
    g_ptr_array_add (logged, g_strdup (message));
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* How many logged messages contain @text. */
static guint
count_logged (const gchar *text)
{
  guint count = 0;

  for (guint i = 0; i < logged->len; i++)
    count += strstr (g_ptr_array_index (logged, i), text) != NULL;
  return count;
}

/* ------------------------------------------------------------------ */
/* Fixture: a folder, a configuration, the inputs and what they report. */

typedef struct {
  gchar *root;
  gchar *storage;
  DvrConfig *config;
  DvrInputs *inputs;
  GPtrArray *seen;          /* "NAME on", "NAME off", "NAME short", "NAME long" */
  GPtrArray *sources;       /* source of each change, in order */
  int writer;               /* the test's end: FIFO writer or pty master */
} Fixture;

static void
changed_cb (const gchar *signal, gboolean value, gint64 mono_ns, const gchar *source,
            gpointer user_data)
{
  Fixture *f = user_data;
  gint64 now = dvr_monotonic_now_ns ();

  /* Times are the monotonic time of the reading: never in the future. */
  g_assert_cmpint (mono_ns, <=, now);
  g_assert_cmpint (mono_ns, >, now - 10 * DVR_NSEC_PER_SEC);
  g_ptr_array_add (f->seen, g_strdup_printf ("%s %s", signal, value ? "on" : "off"));
  g_ptr_array_add (f->sources, g_strdup (source));
}

static void
pressed_cb (const gchar *signal, DvrPress press, gint64 mono_ns, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (press == DVR_PRESS_SHORT || press == DVR_PRESS_LONG);
  g_ptr_array_add (f->seen, g_strdup_printf ("%s %s", signal,
                                             press == DVR_PRESS_LONG ? "long" : "short"));
}

static Fixture *
fixture_new (void)
{
  g_autoptr(GError) error = NULL;
  Fixture *f = g_new0 (Fixture, 1);

  f->root = g_dir_make_tmp ("dvr-inputs-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->storage = g_build_filename (f->root, "storage", NULL);
  g_assert_cmpint (g_mkdir (f->storage, 0700), ==, 0);
  f->seen = g_ptr_array_new_with_free_func (g_free);
  f->sources = g_ptr_array_new_with_free_func (g_free);
  f->writer = -1;
  g_ptr_array_set_size (logged, 0);
  return f;
}

static void
fixture_free (Fixture *f)
{
  if (f->writer >= 0)
    close (f->writer);
  g_clear_pointer (&f->inputs, dvr_inputs_free);
  g_clear_pointer (&f->config, dvr_config_free);
  dvr_test_rmtree (f->root);
  g_ptr_array_unref (f->seen);
  g_ptr_array_unref (f->sources);
  g_free (f->storage);
  g_free (f->root);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* Loads @signals (dvr.conf text with @ROOT@ for the folder) and starts the
 * inputs. */
static void
fixture_start (Fixture *f, const gchar *signals)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  g_string_printf (text, "[recorder]\nstorage = %s\n[camera c]\nsource = test\n%s",
                   f->storage, signals);
  g_string_replace (text, "@ROOT@", f->root, 0);
  f->config = dvr_config_load_data (text->str, text->len, "test.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->config->warnings->len, ==, 0);
  f->inputs = dvr_inputs_new (f->config, changed_cb, pressed_cb, f);
  dvr_inputs_start (f->inputs);
}

/* Iterates the main loop until @seen has @count entries (or fails after
 * WAIT_MS), then checks them against the NULL-terminated list and forgets
 * them. */
static void
expect_seen (Fixture *f, ...)
{
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
  g_autofree gchar *expected_text = NULL;
  g_autofree gchar *seen_text = NULL;
  const gchar *item;
  va_list args;

  va_start (args, f);
  while ((item = va_arg (args, const gchar *)) != NULL)
    g_ptr_array_add (expected, (gpointer) item);
  va_end (args);

  while (f->seen->len < expected->len && g_get_monotonic_time () < end) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
  }
  /* Anything that would come at once after the last: a duplicate. */
  for (guint i = 0; i < 5; i++)
    g_main_context_iteration (NULL, FALSE);

  g_ptr_array_add (expected, NULL);
  g_ptr_array_add (f->seen, NULL);
  expected_text = g_strjoinv (", ", (gchar **) expected->pdata);
  seen_text = g_strjoinv (", ", (gchar **) f->seen->pdata);
  g_assert_cmpstr (seen_text, ==, expected_text);
  g_ptr_array_set_size (f->seen, 0);
}

/* The status object of @signal (new reference). */
static JsonObject *
get_status (Fixture *f, const gchar *signal)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonArray *inputs;

  json_builder_begin_object (builder);
  dvr_inputs_build_status (f->inputs, builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  inputs = json_object_get_array_member (json_node_get_object (root), "inputs");
  for (guint i = 0; i < json_array_get_length (inputs); i++) {
    JsonObject *object = json_array_get_object_element (inputs, i);
    if (g_str_equal (json_object_get_string_member (object, "signal"), signal))
      return json_object_ref (object);
  }
  g_assert_not_reached ();
}

/* Waits until @signal's state is @state. */
static void
wait_state (Fixture *f, const gchar *signal, const gchar *state, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;) {
    g_autoptr(JsonObject) status = get_status (f, signal);
    if (g_str_equal (json_object_get_string_member (status, "state"), state))
      return;
    if (g_get_monotonic_time () >= end)
      g_error ("%s: state %s, expected %s", signal,
               json_object_get_string_member (status, "state"), state);
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (5000);
  }
}

static gint64
status_int (Fixture *f, const gchar *signal, const gchar *member)
{
  g_autoptr(JsonObject) status = get_status (f, signal);
  return json_object_get_int_member (status, member);
}

/* ------------------------------------------------------------------ */
/* evdev through a FIFO */

static void
write_all (int fd, const void *data, gsize length)
{
  const guint8 *bytes = data;

  while (length > 0) {
    gssize written = write (fd, bytes, length);
    if (written < 0 && errno == EINTR)
      continue;
    g_assert_cmpint (written, >, 0);
    bytes += written;
    length -= (gsize) written;
  }
}

static struct input_event
make_event (guint16 type, guint16 code, gint32 value)
{
  struct input_event event;

  memset (&event, 0, sizeof event);
  event.type = type;
  event.code = code;
  event.value = value;
  return event;
}

/* One event and its SYN_REPORT, as the kernel sends them. */
static void
write_event (Fixture *f, guint16 type, guint16 code, gint32 value)
{
  struct input_event events[2] = {
    make_event (type, code, value), make_event (EV_SYN, SYN_REPORT, 0)
  };
  write_all (f->writer, events, sizeof events);
}

/* Opens the writing end of a FIFO the inputs have open for reading. */
static int
open_fifo_writer (const gchar *path)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;

  /* O_NONBLOCK: ENXIO until a reader has it open (the retry timer). */
  for (;;) {
    int fd = open (path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      /* Blocking writes from here: the records are small. */
      g_assert_cmpint (fcntl (fd, F_SETFL, 0), ==, 0);
      return fd;
    }
    g_assert_cmpint (errno, ==, ENXIO);
    g_assert_cmpint (g_get_monotonic_time (), <, end);
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (5000);
  }
}

static gchar *
make_fifo (Fixture *f, const gchar *name)
{
  gchar *path = g_build_filename (f->root, name, NULL);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  return path;
}

static void
test_evdev_fifo (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autofree gchar *fifo = make_fifo (f, "keys");
  struct input_event split[2];
  gboolean value;

  fixture_start (f,
      "[signal button]\nsource = evdev\ndevice = @ROOT@/keys\ncode = KEY_PROG1\n"
      "button = true\nlong-press = 0.3\n"
      "[signal lid]\nsource = evdev\ndevice = @ROOT@/keys\ncode = SW_LID\n"
      "[signal door]\nsource = evdev\ndevice = @ROOT@/keys\ncode = BTN_0\nactive-low = true\n"
      "[signal bouncy]\nsource = evdev\ndevice = @ROOT@/keys\ncode = 30\ndebounce = 0.05\n"
      "[signal other]\nsource = control\n");
  f->writer = open_fifo_writer (fifo);

  /* A FIFO has no levels to read: everything starts off, reported as
   * nothing. */
  {
    g_autoptr(JsonObject) status = get_status (f, "door");
    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "open");
    g_assert_cmpstr (json_object_get_string_member (status, "source"), ==, "evdev");
    g_assert_cmpstr (json_object_get_string_member (status, "device"), ==, fifo);
    g_assert_false (json_object_get_boolean_member (status, "value"));
  }
  g_assert_true (dvr_inputs_get_value (f->inputs, "door", &value));
  g_assert_false (value);
  /* A control signal is not an input's. */
  g_assert_false (dvr_inputs_get_value (f->inputs, "other", &value));
  g_assert_false (dvr_inputs_get_value (f->inputs, "nonesuch", &value));

  /* Key: pressed, autorepeat (no change), released: a short press. */
  write_event (f, EV_KEY, KEY_PROG1, 1);
  expect_seen (f, "button on", NULL);
  g_assert_cmpstr (g_ptr_array_index (f->sources, 0), ==, "evdev");
  write_event (f, EV_KEY, KEY_PROG1, 2);
  write_event (f, EV_KEY, KEY_PROG1, 2);
  write_event (f, EV_KEY, KEY_PROG1, 0);
  expect_seen (f, "button off", "button short", NULL);
  g_assert_true (dvr_inputs_get_value (f->inputs, "button", &value));
  g_assert_false (value);

  /* Held past long-press: LONG while held, nothing more on release. */
  write_event (f, EV_KEY, KEY_PROG1, 1);
  expect_seen (f, "button on", "button long", NULL);
  write_event (f, EV_KEY, KEY_PROG1, 0);
  expect_seen (f, "button off", NULL);

  /* Switch. */
  write_event (f, EV_SW, SW_LID, 1);
  expect_seen (f, "lid on", NULL);
  write_event (f, EV_SW, SW_LID, 0);
  expect_seen (f, "lid off", NULL);

  /* Active-low: released (0) is on. */
  write_event (f, EV_KEY, BTN_0, 0);
  expect_seen (f, "door on", NULL);
  write_event (f, EV_KEY, BTN_0, 1);
  expect_seen (f, "door off", NULL);

  /* Debounce: a contact that bounces counts once it holds 50 ms; a glitch
   * shorter than that is nothing (the lid is the sentinel). */
  write_event (f, EV_KEY, KEY_A, 1);
  write_event (f, EV_KEY, KEY_A, 0);
  write_event (f, EV_KEY, KEY_A, 1);
  expect_seen (f, "bouncy on", NULL);
  write_event (f, EV_KEY, KEY_A, 0);
  write_event (f, EV_KEY, KEY_A, 1);
  dvr_test_wait_ms (100);
  write_event (f, EV_SW, SW_LID, 1);
  expect_seen (f, "lid on", NULL);

  /* A record split across writes (and reads) is one record. */
  split[0] = make_event (EV_SW, SW_LID, 0);
  split[1] = make_event (EV_SYN, SYN_REPORT, 0);
  write_all (f->writer, split, 10);
  dvr_test_wait_ms (30);
  g_assert_cmpuint (f->seen->len, ==, 0);
  write_all (f->writer, (guint8 *) split + 10, sizeof split - 10);
  expect_seen (f, "lid off", NULL);

  /* Codes nobody asked for are not bad input; impossible values are. */
  g_assert_cmpint (status_int (f, "lid", "bad_input"), ==, 0);
  write_event (f, EV_KEY, KEY_B, 1);
  write_event (f, EV_REL, REL_X, 5);
  write_event (f, EV_SW, SW_LID, 7);
  write_event (f, EV_KEY, KEY_PROG1, -1);
  write_event (f, EV_SW, SW_LID, 1);
  expect_seen (f, "lid on", NULL);
  g_assert_cmpint (status_int (f, "lid", "bad_input"), ==, 2);
  g_assert_cmpint (status_int (f, "button", "bad_input"), ==, 2);
  /* Logged once: the second came within 10 s. */
  g_assert_cmpuint (count_logged ("bad input"), ==, 1);
  g_assert_cmpint (status_int (f, "lid", "events"), ==, 5);
}

/* ------------------------------------------------------------------ */
/* Serial through a pty */

static gchar *
open_pty (Fixture *f)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);

  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  f->writer = master;
  return g_strdup (ptsname (master));
}

static void
write_text (Fixture *f, const gchar *text, gssize length)
{
  write_all (f->writer, text, length < 0 ? strlen (text) : (gsize) length);
}

static void
test_serial_pty (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autofree gchar *pty = open_pty (f);
  g_autofree gchar *signals = NULL;
  g_autofree gchar *long_line = NULL;
  g_autofree gchar *longest = NULL;
  gboolean value;

  signals = g_strdup_printf (
      "[signal ignition]\nsource = serial\ndevice = %s\ninput = IGN\nbaud = 19200\n"
      "[signal lightbar]\nsource = serial\ndevice = %s\n"
      "[signal button]\nsource = serial\ndevice = %s\ninput = BTN\nbutton = true\n",
      pty, pty, pty);
  fixture_start (f, signals);
  wait_state (f, "ignition", "open", WAIT_MS);

  /* Until the module reports, the level is unknown. */
  g_assert_false (dvr_inputs_get_value (f->inputs, "ignition", &value));
  {
    g_autoptr(JsonObject) status = get_status (f, "ignition");
    g_assert_true (json_object_get_null_member (status, "value"));
    g_assert_cmpstr (json_object_get_string_member (status, "source"), ==, "serial");
  }

  write_text (f, "HELLO io-module 2.1\n# levels follow\n\n   \n", -1);
  write_text (f, "IN IGN 1\n", -1);
  expect_seen (f, "ignition on", NULL);
  g_assert_cmpstr (g_ptr_array_index (f->sources, 0), ==, "serial");
  g_assert_true (dvr_inputs_get_value (f->inputs, "ignition", &value));
  g_assert_true (value);

  /* Repeats change nothing; CRLF and blanks are fine; the other input on
   * the same port is the sentinel. */
  write_text (f, "IN IGN 1\nIN IGN 1\r\n  IN\tIGN  1 \r\n", -1);
  write_text (f, "IN lightbar 1\r\n", -1);
  expect_seen (f, "lightbar on", NULL);

  /* A line split across writes. */
  write_text (f, "IN light", -1);
  dvr_test_wait_ms (30);
  write_text (f, "bar 0\nIN IG", -1);
  expect_seen (f, "lightbar off", NULL);
  write_text (f, "N 0\n", -1);
  expect_seen (f, "ignition off", NULL);

  /* Every kind of bad line, each counted, none stopping the reader. */
  long_line = g_strnfill (300, 'A');
  write_text (f, "IN IGN 2\n", -1);          /* bad level */
  write_text (f, "IN IGN\n", -1);            /* no level */
  write_text (f, "IN IGN 1 1\n", -1);        /* one word too many */
  write_text (f, "OUT IGN 1\n", -1);         /* unknown verb */
  write_text (f, "in IGN 1\n", -1);          /* verbs are upper case */
  write_text (f, "IN DOOR 1\n", -1);         /* unknown input */
  write_text (f, "IN IGN \xc3\xa9\n", -1);   /* not ASCII */
  write_text (f, "IN\0IGN 1\n", 9);          /* a NUL */
  write_text (f, long_line, -1);             /* over-long, then a good line at once */
  write_text (f, "\nIN IGN 1\n", -1);
  expect_seen (f, "ignition on", NULL);
  g_assert_cmpint (status_int (f, "ignition", "bad_input"), ==, 9);
  g_assert_cmpint (status_int (f, "lightbar", "bad_input"), ==, 9);
  g_assert_cmpuint (count_logged ("bad input"), ==, 1);

  /* The longest line allowed: 256 bytes before \r\n. */
  longest = g_strdup_printf ("# %s\r\n", long_line + 300 - 254);
  g_assert_cmpuint (strlen (longest), ==, 258);
  write_text (f, longest, -1);
  write_text (f, "IN IGN 0\n", -1);
  expect_seen (f, "ignition off", NULL);
  g_assert_cmpint (status_int (f, "ignition", "bad_input"), ==, 9);

  /* The button on the same port: a short press. */
  write_text (f, "IN BTN 1\nIN BTN 0\n", -1);
  expect_seen (f, "button on", "button off", "button short", NULL);
  g_assert_cmpint (status_int (f, "ignition", "events"), ==, 4);
  g_assert_cmpuint (count_logged ("module: io-module 2.1"), ==, 1);

  /* The module's end goes away (a pty's master closes: EIO): missing. */
  close (f->writer);
  f->writer = -1;
  wait_state (f, "ignition", "missing", WAIT_MS);
  g_assert_false (dvr_inputs_get_value (f->inputs, "ignition", &value));
  g_assert_cmpuint (count_logged ("lost: "), ==, 1);
}

/* ------------------------------------------------------------------ */
/* A device that does not exist yet */

static void
test_missing_device (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autofree gchar *fifo = g_build_filename (f->root, "later", NULL);
  g_autoptr(JsonObject) siren = NULL;
  gboolean value;

  fixture_start (f,
      "[signal door]\nsource = evdev\ndevice = @ROOT@/later\ncode = SW_DOCK\n"
      "[signal siren]\nsource = serial\ndevice = @ROOT@/no-such-tty\n");
  {
    g_autoptr(JsonObject) status = get_status (f, "door");
    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "missing");
    g_assert_nonnull (strstr (json_object_get_string_member (status, "error"),
                              g_strerror (ENOENT)));
    g_assert_true (json_object_get_null_member (status, "value"));
  }
  g_assert_false (dvr_inputs_get_value (f->inputs, "door", &value));
  /* Logged once at start, not at every retry. */
  g_assert_cmpuint (count_logged ("later (door): open: "), ==, 1);
  dvr_test_wait_ms (1200);
  g_assert_cmpuint (count_logged ("later (door): open: "), ==, 1);
  g_assert_cmpuint (count_logged ("no-such-tty (siren): open: "), ==, 1);

  /* It appears: picked up at the next retry. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  wait_state (f, "door", "open", WAIT_MS);
  g_assert_cmpuint (count_logged ("later (door): open again"), ==, 1);
  f->writer = open_fifo_writer (fifo);
  write_event (f, EV_SW, SW_DOCK, 1);
  expect_seen (f, "door on", NULL);

  /* The writer goes away (end of input): missing again, and retried. */
  close (f->writer);
  f->writer = -1;
  wait_state (f, "door", "missing", WAIT_MS);
  g_assert_cmpuint (count_logged ("later (door): lost: "), ==, 1);
  siren = get_status (f, "siren");
  g_assert_cmpstr (json_object_get_string_member (siren, "state"), ==, "missing");
}

/* ------------------------------------------------------------------ */
/* Derived signals */

static void
test_speed (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  gint64 now = dvr_monotonic_now_ns ();
  gboolean value;

  /* 50 km/h = 13.89 m/s on; off below 45 km/h = 12.5 m/s. */
  fixture_start (f, "[signal fast]\nsource = speed\nthreshold = 50\nhysteresis = 5\n");
  g_assert_true (dvr_inputs_get_value (f->inputs, "fast", &value));
  g_assert_false (value);
  dvr_inputs_push_speed (f->inputs, 10.0, now);
  dvr_inputs_push_speed (f->inputs, 13.8, now);
  g_assert_cmpuint (f->seen->len, ==, 0);
  dvr_inputs_push_speed (f->inputs, 14.0, now);
  expect_seen (f, "fast on", NULL);
  g_assert_cmpstr (g_ptr_array_index (f->sources, 0), ==, "speed");
  dvr_inputs_push_speed (f->inputs, 13.0, now);
  dvr_inputs_push_speed (f->inputs, NAN, now);
  dvr_inputs_push_speed (f->inputs, 12.6, now);
  g_assert_cmpuint (f->seen->len, ==, 0);
  g_assert_true (dvr_inputs_get_value (f->inputs, "fast", &value));
  g_assert_true (value);
  dvr_inputs_push_speed (f->inputs, 12.4, now);
  expect_seen (f, "fast off", NULL);
  {
    g_autoptr(JsonObject) status = get_status (f, "fast");
    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "open");
    g_assert_true (json_object_get_null_member (status, "device"));
    g_assert_cmpint (json_object_get_int_member (status, "events"), ==, 2);
  }
}

static void
write_axes (Fixture *f, gint32 x, gint32 y, gint32 z)
{
  struct input_event events[4] = {
    make_event (EV_ABS, ABS_X, x), make_event (EV_ABS, ABS_Y, y),
    make_event (EV_ABS, ABS_Z, z), make_event (EV_SYN, SYN_REPORT, 0),
  };
  write_all (f->writer, events, sizeof events);
}

static void
test_accel (void)
{
  g_autoptr(Fixture) f = fixture_new ();
  g_autofree gchar *fifo = make_fifo (f, "accel");
  g_autofree gchar *fifo_unscaled = make_fifo (f, "accel-unscaled");
  gint64 on_ns;

  fixture_start (f,
      "[signal crash]\nsource = accel\ndevice = @ROOT@/accel\nthreshold = 1.0\nhold = 0.2\n"
      "units-per-g = 1000\n"
      "[signal unscaled]\nsource = accel\ndevice = @ROOT@/accel-unscaled\nthreshold = 2\n");
  f->writer = open_fifo_writer (fifo);

  /* A FIFO gives no resolution: without units-per-g the signal cannot
   * work, and says why. */
  {
    g_autoptr(JsonObject) status = get_status (f, "unscaled");
    g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "error");
    g_assert_nonnull (strstr (json_object_get_string_member (status, "error"), "units-per-g"));
  }

  /* At rest, gravity along z and a tilted mounting: no change.  Then a
   * bump of 0.5 g (under the threshold) and a level road: nothing; the
   * sentinel is a peak of 1.5 g sideways. */
  write_axes (f, 300, 0, 950);
  write_axes (f, 800, 0, 950);
  write_axes (f, 300, 0, 950);
  write_axes (f, 1800, 0, 950);
  on_ns = dvr_monotonic_now_ns ();
  expect_seen (f, "crash on", NULL);
  g_assert_cmpstr (g_ptr_array_index (f->sources, 0), ==, "accel");
  /* Back at rest: off once the hold is over. */
  write_axes (f, 300, 0, 950);
  expect_seen (f, "crash off", NULL);
  g_assert_cmpint (dvr_monotonic_now_ns () - on_ns, >=, 200 * DVR_NSEC_PER_MSEC);

  /* A deceleration along y of 1.2 g: on again. */
  write_axes (f, 300, -1200, 950);
  expect_seen (f, "crash on", NULL);
  write_axes (f, 300, 0, 950);
  expect_seen (f, "crash off", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  logged = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (log_writer, NULL, NULL);

  g_test_add_func ("/inputs/evdev-fifo", test_evdev_fifo);
  g_test_add_func ("/inputs/serial-pty", test_serial_pty);
  g_test_add_func ("/inputs/missing-device", test_missing_device);
  g_test_add_func ("/inputs/speed", test_speed);
  g_test_add_func ("/inputs/accel", test_accel);
  return g_test_run ();
}
