/* gps-test: DvrGps against a scripted gpsd on a loopback socket.
 *
 * The "gpsd" here is a GSocketListener in the test's own main loop that
 * writes the JSON lines each test chooses, so every case is exact: libgps
 * (the real one) parses them, DvrGps judges them.  Nothing sleeps; waits are
 * for events, bounded by a timeout.  tests/integration/gpsfake-test.c does
 * the same against a real gpsd replaying receiver captures.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-gps.h"
#include "dvr-utils.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#define WAIT_TIMEOUT_MS 10000
#define MS (G_GINT64_CONSTANT (1000000))
#define SECOND (G_GINT64_CONSTANT (1000000000))
/* 2017-01-10T00:10:52Z, the ublox-8 capture's last fix. */
#define T0 (G_GINT64_CONSTANT (1484007052) * SECOND)

typedef enum {
  ACCEPT_KEEP,     /* keep accepted connections */
  ACCEPT_CLOSE,    /* close each one at once, saying nothing (a crashing gpsd) */
} AcceptMode;

typedef struct {
  /* The fake gpsd. */
  GSocketListener *listener;
  gchar *port;
  GCancellable *cancellable;
  AcceptMode accept_mode;
  GSocketConnection *connection;  /* the client being served, or NULL */
  GString *received;              /* what the client sent on it */
  guint accepted;
  guint client_closed;            /* connections the client closed (EOF seen) */
  guint8 read_buffer[1024];

  /* The client. */
  DvrGps *gps;
  GArray *fixes;                  /* DvrGpsFix, copies */
  GArray *states;                 /* DvrGpsState, each change */
  GArray *retry_delays;           /* gint64, at each DISCONNECTED */
  gboolean stop_in_handler;
  gboolean unref_in_handler;
} Fixture;

static void start_reading (Fixture *f, GSocketConnection *connection);

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GSocketConnection) connection = user_data;
  Fixture *f = g_object_get_data (G_OBJECT (connection), "fixture");
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return;
  /* The client closed its end (or reset it): count it once. */
  if (n <= 0) {
    f->client_closed++;
    return;
  }
  if (connection == f->connection)
    g_string_append_len (f->received, (const gchar *) f->read_buffer, n);
  start_reading (f, connection);
}

static void
start_reading (Fixture *f, GSocketConnection *connection)
{
  g_object_set_data (G_OBJECT (connection), "fixture", f);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
      f->read_buffer, sizeof f->read_buffer, G_PRIORITY_DEFAULT, f->cancellable,
      on_read, g_object_ref (connection));
}

static void start_accepting (Fixture *f);

static void
on_accepted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection =
      g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_assert_no_error (error);
  f->accepted++;
  if (f->accept_mode == ACCEPT_CLOSE) {
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  } else {
    g_assert_null (f->connection);
    f->connection = g_object_ref (connection);
    g_string_truncate (f->received, 0);
    start_reading (f, connection);
  }
  start_accepting (f);
}

static void
start_accepting (Fixture *f)
{
  g_socket_listener_accept_async (f->listener, f->cancellable, on_accepted, f);
}

/* Writes @lines, each ended by "\r\n" as gpsd does, in one write. */
static void
server_send (Fixture *f, const gchar *const *lines)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (f->connection);
  for (guint i = 0; lines[i] != NULL; i++)
    g_string_append_printf (text, "%s\r\n", lines[i]);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (f->connection)),
      text->str, text->len, NULL, NULL, &error);
  g_assert_no_error (error);
}

#define SEND(f, ...) G_STMT_START {                          \
    const gchar *lines_[] = { __VA_ARGS__, NULL };           \
    server_send ((f), lines_);                               \
  } G_STMT_END

static void
server_close (Fixture *f)
{
  g_assert_nonnull (f->connection);
  g_io_stream_close (G_IO_STREAM (f->connection), NULL, NULL);
  g_clear_object (&f->connection);
}

static gboolean timed_out;

static gboolean
on_wait_timeout (gpointer user_data)
{
  timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @cond holds; fails the test after
 * WAIT_TIMEOUT_MS. */
#define WAIT_FOR(cond) G_STMT_START {                                        \
    guint timeout_id_ = g_timeout_add (WAIT_TIMEOUT_MS, on_wait_timeout, NULL); \
    timed_out = FALSE;                                                       \
    while (!(cond) && !timed_out)                                            \
      g_main_context_iteration (NULL, TRUE);                                 \
    if (!timed_out)                                                          \
      g_source_remove (timeout_id_);                                         \
    g_assert_true (cond);                                                    \
  } G_STMT_END

/* Dispatches whatever is ready now, without waiting. */
static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
on_fix (DvrGps *gps, const DvrGpsFix *fix, gpointer user_data)
{
  Fixture *f = user_data;

  g_array_append_val (f->fixes, *fix);
  if (f->stop_in_handler)
    dvr_gps_stop (gps);
  if (f->unref_in_handler) {
    f->unref_in_handler = FALSE;
    g_clear_object (&f->gps);
  }
}

static void
on_state_changed (DvrGps *gps, gint state, gpointer user_data)
{
  Fixture *f = user_data;
  DvrGpsState s = state;

  g_array_append_val (f->states, s);
  if (s == DVR_GPS_STATE_DISCONNECTED) {
    gint64 delay = dvr_gps_get_retry_delay_ns (gps);
    g_array_append_val (f->retry_delays, delay);
  }
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;

  f->listener = g_socket_listener_new ();
  g_socket_listener_add_address (f->listener, address, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  f->port = g_strdup_printf ("%u",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  f->cancellable = g_cancellable_new ();
  f->received = g_string_new (NULL);
  start_accepting (f);

  f->fixes = g_array_new (FALSE, FALSE, sizeof (DvrGpsFix));
  f->states = g_array_new (FALSE, FALSE, sizeof (DvrGpsState));
  f->retry_delays = g_array_new (FALSE, FALSE, sizeof (gint64));
  f->gps = dvr_gps_new ("127.0.0.1", f->port);
  dvr_gps_set_backoff (f->gps, 10 * MS, 40 * MS);
  g_signal_connect (f->gps, "fix", G_CALLBACK (on_fix), f);
  g_signal_connect (f->gps, "state-changed", G_CALLBACK (on_state_changed), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->gps);
  g_cancellable_cancel (f->cancellable);
  if (f->connection != NULL)
    server_close (f);
  g_socket_listener_close (f->listener);
  drain_main_context ();
  g_clear_object (&f->listener);
  g_clear_object (&f->cancellable);
  g_string_free (f->received, TRUE);
  g_array_unref (f->fixes);
  g_array_unref (f->states);
  g_array_unref (f->retry_delays);
  g_free (f->port);
}

#define FIX(f, i) (&g_array_index ((f)->fixes, DvrGpsFix, (i)))
#define STATE(f, i) (g_array_index ((f)->states, DvrGpsState, (i)))

/* Field by field: the struct has padding, which is never initialised. */
static void
assert_fix_identical (const DvrGpsFix *a, const DvrGpsFix *b)
{
  const gdouble *reals_a[] = { &a->lat, &a->lon, &a->alt_hae, &a->alt_msl, &a->speed,
                               &a->track, &a->climb, &a->eph, &a->epv, &a->eps };
  const gdouble *reals_b[] = { &b->lat, &b->lon, &b->alt_hae, &b->alt_msl, &b->speed,
                               &b->track, &b->climb, &b->eph, &b->epv, &b->eps };

  g_assert_cmpint (a->time_ns, ==, b->time_ns);
  g_assert_cmpint (a->received_utc_ns, ==, b->received_utc_ns);
  g_assert_cmpint (a->received_mono_ns, ==, b->received_mono_ns);
  g_assert_cmpint (a->mode, ==, b->mode);
  for (guint i = 0; i < G_N_ELEMENTS (reals_a); i++)
    g_assert_true ((isnan (*reals_a[i]) && isnan (*reals_b[i])) || *reals_a[i] == *reals_b[i]);
  g_assert_cmpint (a->sats_used, ==, b->sats_used);
  g_assert_cmpint (a->sats_visible, ==, b->sats_visible);
}

static void
assert_double (gdouble value, gdouble expected)
{
  /* libgps parses JSON numbers with its own atof. */
  g_assert_cmpfloat_with_epsilon (value, expected, fabs (expected) * 1e-12 + 1e-12);
}

static void
connect_and_accept (Fixture *f)
{
  dvr_gps_start (f->gps);
  WAIT_FOR (dvr_gps_get_state (f->gps) == DVR_GPS_STATE_CONNECTED && f->connection != NULL);
}

static void
test_state_strings (void)
{
  g_assert_cmpstr (dvr_gps_state_to_string (DVR_GPS_STATE_DISCONNECTED), ==, "disconnected");
  g_assert_cmpstr (dvr_gps_state_to_string (DVR_GPS_STATE_CONNECTING), ==, "connecting");
  g_assert_cmpstr (dvr_gps_state_to_string (DVR_GPS_STATE_CONNECTED), ==, "connected");
  g_assert_null (dvr_gps_state_to_string ((DvrGpsState) 42));
}

static void
test_fix_boxed (void)
{
  DvrGpsFix fix;
  g_autoptr (DvrGpsFix) copy = NULL;

  dvr_gps_fix_init (&fix);
  g_assert_cmpint (fix.time_ns, ==, G_MININT64);
  g_assert_cmpint (fix.mode, ==, DVR_GPS_MODE_UNKNOWN);
  g_assert_true (isnan (fix.lat) && isnan (fix.eps));
  g_assert_cmpint (fix.sats_used, ==, -1);
  fix.lat = 1.5;
  copy = g_boxed_copy (DVR_TYPE_GPS_FIX, &fix);
  assert_fix_identical (copy, &fix);
}

/* Nothing listens: each attempt fails at once, DISCONNECTED, and the retry
 * delay doubles from the minimum up to the maximum. */
static void
test_refused (Fixture *f, gconstpointer data)
{
  const gint64 expected[] = { 10 * MS, 20 * MS, 40 * MS, 40 * MS, 40 * MS };
  DvrGpsCounters counters;
  guint n_states;

  g_cancellable_cancel (f->cancellable);
  g_socket_listener_close (f->listener);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_DISCONNECTED);
  g_assert_null (dvr_gps_get_last_error (f->gps));

  dvr_gps_start (f->gps);
  WAIT_FOR (f->retry_delays->len >= G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (f->retry_delays, gint64, i), ==, expected[i]);
  for (guint i = 0; i < f->states->len; i++)
    g_assert_cmpint (STATE (f, i), ==, i % 2 == 0 ?
        DVR_GPS_STATE_CONNECTING : DVR_GPS_STATE_DISCONNECTED);
  g_assert_cmpstr (dvr_gps_get_last_error (f->gps), ==, "can't connect to host/port pair");
  g_assert_null (dvr_gps_get_last_fix (f->gps));
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==, G_MININT64);

  /* Stop: nothing scheduled, no more attempts. */
  dvr_gps_stop (f->gps);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_DISCONNECTED);
  g_assert_cmpint (dvr_gps_get_retry_delay_ns (f->gps), ==, 0);
  n_states = f->states->len;
  drain_main_context ();
  g_assert_cmpuint (f->states->len, ==, n_states);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.reconnects, ==, 0);
  g_assert_cmpuint (counters.fixes + counters.no_fixes, ==, 0);
}

/* What gpsd sends after a WATCH, then reports of each mode. */
static void
test_reports (Fixture *f, gconstpointer data)
{
  const DvrGpsFix *fix;
  DvrGpsCounters counters;

  connect_and_accept (f);
  WAIT_FOR (strstr (f->received->str, "\n") != NULL);
  g_assert_cmpstr (f->received->str, ==, "?WATCH={\"enable\":true,\"json\":true};\n");
  g_assert_cmpint (STATE (f, 0), ==, DVR_GPS_STATE_CONNECTING);
  g_assert_cmpint (STATE (f, 1), ==, DVR_GPS_STATE_CONNECTED);

  SEND (f,
      "{\"class\":\"VERSION\",\"release\":\"3.22\",\"rev\":\"3.22\",\"proto_major\":3,\"proto_minor\":14}",
      "{\"class\":\"DEVICES\",\"devices\":[{\"class\":\"DEVICE\",\"path\":\"/dev/ttyACM0\",\"activated\":\"2026-11-28T22:29:43.886Z\",\"native\":0,\"bps\":9600}]}",
      "{\"class\":\"WATCH\",\"enable\":true,\"json\":true,\"nmea\":false,\"raw\":0,\"scaled\":false,\"timing\":false,\"split24\":false,\"pps\":false}",
      /* 3D before any SKY: no satellite counts. */
      "{\"class\":\"TPV\",\"device\":\"/dev/ttyACM0\",\"mode\":3,\"time\":\"2017-01-10T00:10:52.000Z\",\"ept\":0.005,\"lat\":44.069013500,\"lon\":-121.314315667,\"altHAE\":1091.5000,\"altMSL\":1112.8000,\"alt\":1112.8000,\"epx\":8.652,\"epy\":7.693,\"epv\":32.200,\"magvar\":14.4,\"speed\":0.003,\"track\":271.25,\"climb\":0.100,\"eps\":17.30,\"epc\":66.01,\"geoidSep\":-21.300,\"eph\":18.620,\"sep\":32.490}",
      "{\"class\":\"SKY\",\"device\":\"/dev/ttyACM0\",\"hdop\":0.98,\"satellites\":[{\"PRN\":3,\"el\":21.0,\"az\":174.0,\"ss\":29.0,\"used\":true},{\"PRN\":7,\"el\":46.0,\"az\":259.0,\"ss\":31.0,\"used\":true},{\"PRN\":8,\"el\":1.0,\"az\":143.0,\"ss\":0.0,\"used\":false}]}",
      /* 2D: altitude and climb mean nothing, even when sent. */
      "{\"class\":\"TPV\",\"device\":\"/dev/ttyACM0\",\"mode\":2,\"time\":\"2017-01-10T00:10:53.250Z\",\"lat\":-27.210773333,\"lon\":153.052005,\"altHAE\":45.2,\"climb\":1.5,\"epv\":9.0,\"speed\":2.67,\"track\":0.0}",
      /* No fix, with a time (the receiver's clock). */
      "{\"class\":\"TPV\",\"device\":\"/dev/ttyACM0\",\"mode\":1,\"time\":\"2017-01-10T00:10:54.000Z\",\"lat\":1.0,\"lon\":2.0,\"speed\":3.0}",
      /* A fix without a time (GGA before the receiver knows the date). */
      "{\"class\":\"TPV\",\"device\":\"/dev/ttyACM0\",\"mode\":3,\"lat\":44.068971667,\"lon\":-121.314338833,\"altHAE\":1106.0,\"altMSL\":1127.4}",
      /* gpsd's MODE_NOT_SEEN. */
      "{\"class\":\"TPV\",\"device\":\"/dev/ttyACM0\",\"mode\":0}");
  WAIT_FOR (f->fixes->len == 5);

  fix = FIX (f, 0);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_3D);
  g_assert_cmpint (fix->time_ns, ==, T0);
  assert_double (fix->lat, 44.0690135);
  assert_double (fix->lon, -121.314315667);
  assert_double (fix->alt_hae, 1091.5);
  assert_double (fix->alt_msl, 1112.8);
  assert_double (fix->speed, 0.003);
  assert_double (fix->track, 271.25);
  assert_double (fix->climb, 0.1);
  assert_double (fix->eph, 18.62);
  assert_double (fix->epv, 32.2);
  assert_double (fix->eps, 17.3);
  g_assert_cmpint (fix->sats_used, ==, -1);
  g_assert_cmpint (fix->sats_visible, ==, -1);
  g_assert_cmpint (fix->received_mono_ns, <=, dvr_monotonic_now_ns ());
  g_assert_cmpint (fix->received_utc_ns, <=, dvr_utc_now_ns ());
  g_assert_cmpint (fix->received_utc_ns, >, dvr_utc_now_ns () - 60 * SECOND);

  fix = FIX (f, 1);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_2D);
  g_assert_cmpint (fix->time_ns, ==, T0 + SECOND + 250 * MS);
  assert_double (fix->lat, -27.210773333);
  assert_double (fix->lon, 153.052005);
  assert_double (fix->speed, 2.67);
  g_assert_cmpfloat (fix->track, ==, 0.0);
  g_assert_true (isnan (fix->alt_hae) && isnan (fix->alt_msl) && isnan (fix->climb) &&
      isnan (fix->epv) && isnan (fix->eph) && isnan (fix->eps));
  g_assert_cmpint (fix->sats_used, ==, 2);
  g_assert_cmpint (fix->sats_visible, ==, 3);
  g_assert_cmpint (fix->received_mono_ns, >=, FIX (f, 0)->received_mono_ns);

  fix = FIX (f, 2);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_NO_FIX);
  g_assert_cmpint (fix->time_ns, ==, T0 + 2 * SECOND);
  g_assert_true (isnan (fix->lat) && isnan (fix->lon) && isnan (fix->speed));

  fix = FIX (f, 3);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_3D);
  g_assert_cmpint (fix->time_ns, ==, G_MININT64);
  assert_double (fix->lat, 44.068971667);
  assert_double (fix->alt_msl, 1127.4);

  fix = FIX (f, 4);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_UNKNOWN);

  assert_fix_identical (dvr_gps_get_last_fix (f->gps), FIX (f, 4));
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.fixes, ==, 3);
  g_assert_cmpuint (counters.no_fixes, ==, 2);
  g_assert_cmpuint (counters.invalid_fields, ==, 0);
  g_assert_cmpuint (counters.malformed, ==, 0);
  g_assert_cmpuint (counters.time_jumps, ==, 0);
  g_assert_cmpuint (counters.reconnects, ==, 0);
  g_assert_null (dvr_gps_get_last_error (f->gps));
}

/* Values libgps passes on but no receiver means: dropped one by one and
 * counted, the rest of the report kept.  Lines that are not a JSON object
 * with a class: skipped and counted. */
static void
test_invalid (Fixture *f, gconstpointer data)
{
  DvrGpsCounters counters;
  const DvrGpsFix *fix;

  connect_and_accept (f);
  SEND (f,
      /* lon out of range: the position goes (1); negative speed (1), infinite
       * eph (1), track past 360 (1), negative epv (1); altHAE NaN is "not
       * given" (0). */
      "{\"class\":\"TPV\",\"mode\":3,\"time\":\"2017-01-10T00:10:52.000Z\",\"lat\":44.5,\"lon\":200.5,\"altHAE\":nan,\"altMSL\":12.5,\"speed\":-3,\"eph\":1e400,\"track\":400,\"epv\":-1,\"eps\":0.5}",
      "garbage here",
      "{\"class\":\"TPV\",",
      "{\"foo\":1}",
      "[1,2]",
      "",
      /* An impossible mode (1): "unknown", and nothing else is taken from
       * it; a time before GPS existed (1). */
      "{\"class\":\"TPV\",\"mode\":7,\"lat\":1.0,\"lon\":2.0}",
      "{\"class\":\"TPV\",\"mode\":2,\"time\":\"bogus\",\"lat\":1.0,\"lon\":2.0}",
      "{\"class\":\"TPV\",\"mode\":2,\"time\":\"2017-01-10T00:10:53.000Z\",\"lat\":-90.0,\"lon\":180.0,\"track\":360.0,\"speed\":0}");
  WAIT_FOR (f->fixes->len == 4);

  fix = FIX (f, 0);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_3D);
  g_assert_cmpint (fix->time_ns, ==, T0);
  g_assert_true (isnan (fix->lat) && isnan (fix->lon));
  g_assert_true (isnan (fix->speed) && isnan (fix->eph) && isnan (fix->track) && isnan (fix->epv));
  g_assert_true (isnan (fix->alt_hae));
  assert_double (fix->alt_msl, 12.5);
  assert_double (fix->eps, 0.5);

  fix = FIX (f, 1);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_UNKNOWN);
  g_assert_true (isnan (fix->lat));

  fix = FIX (f, 2);
  g_assert_cmpint (fix->mode, ==, DVR_GPS_MODE_2D);
  g_assert_cmpint (fix->time_ns, ==, G_MININT64);
  assert_double (fix->lat, 1.0);

  /* The edges of the ranges are in range. */
  fix = FIX (f, 3);
  g_assert_cmpfloat (fix->lat, ==, -90.0);
  g_assert_cmpfloat (fix->lon, ==, 180.0);
  g_assert_cmpfloat (fix->track, ==, 360.0);
  g_assert_cmpfloat (fix->speed, ==, 0.0);

  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.invalid_fields, ==, 7);
  /* Four lines and the empty one. */
  g_assert_cmpuint (counters.malformed, ==, 5);
  g_assert_cmpuint (counters.fixes, ==, 3);
  g_assert_cmpuint (counters.no_fixes, ==, 1);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_CONNECTED);
}

static gchar *
tpv_at (gint64 time_ns, gint mode)
{
  g_autofree gchar *iso = dvr_utc_format_iso8601 (time_ns);
  return g_strdup_printf ("{\"class\":\"TPV\",\"mode\":%d,\"time\":\"%s\",\"lat\":1.0,\"lon\":2.0}",
      mode, iso);
}

/* Backwards, or apart from the monotonic clock by more than the threshold:
 * a jump, counted; the report itself is kept. */
static void
test_time_jumps (Fixture *f, gconstpointer data)
{
  const gint64 times[] = { T0, T0 + SECOND, T0 + SECOND, T0 - 10 * SECOND,
                           T0 + 100 * SECOND, T0 + 101 * SECOND };
  DvrGpsCounters counters;

  connect_and_accept (f);
  for (guint i = 0; i < G_N_ELEMENTS (times); i++) {
    g_autofree gchar *line = tpv_at (times[i], 3);
    SEND (f, line);
  }
  WAIT_FOR (f->fixes->len == G_N_ELEMENTS (times));
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    g_assert_cmpint (FIX (f, i)->time_ns, ==, times[i]);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.time_jumps, ==, 2);

  /* A lower threshold makes the 1 s steps jumps too. */
  dvr_gps_set_time_jump_threshold (f->gps, 500 * MS);
  {
    g_autofree gchar *line = tpv_at (T0 + 102 * SECOND, 3);
    SEND (f, line);
  }
  WAIT_FOR (f->fixes->len == G_N_ELEMENTS (times) + 1);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.time_jumps, ==, 3);
}

/* GPS time minus system clock: the median of recent fixes' offsets,
 * unknown without a fix. */
static void
test_clock_offset (Fixture *f, gconstpointer data)
{
  gint64 offset;
  gint64 now;

  connect_and_accept (f);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==, G_MININT64);

  /* A receiver 5 s ahead of the system clock, and one odd report. */
  now = dvr_utc_now_ns ();
  {
    g_autofree gchar *a = tpv_at (now + 5 * SECOND, 3);
    g_autofree gchar *b = tpv_at (now + 100 * SECOND, 3);
    g_autofree gchar *c = tpv_at (now + 5 * SECOND + 100 * MS, 2);
    SEND (f, a, b, c);
  }
  WAIT_FOR (f->fixes->len == 3);
  offset = dvr_gps_get_clock_offset_ns (f->gps);
  /* The median is the third report's sample; the report cannot arrive
   * before it was sent, and ISO times keep milliseconds. */
  g_assert_cmpint (offset, <=, 5 * SECOND + 100 * MS);
  g_assert_cmpint (offset, >, 4 * SECOND);
  g_assert_cmpint (offset, ==, FIX (f, 2)->time_ns - FIX (f, 2)->received_utc_ns);

  /* No fix: the receiver's time no longer counts. */
  {
    g_autofree gchar *line = tpv_at (now + 7 * SECOND, 1);
    SEND (f, line);
  }
  WAIT_FOR (f->fixes->len == 4);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==, G_MININT64);

  /* A fix without a time gives no sample; with one, known again. */
  SEND (f, "{\"class\":\"TPV\",\"mode\":3,\"lat\":1.0,\"lon\":2.0}");
  WAIT_FOR (f->fixes->len == 5);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==, G_MININT64);
  {
    g_autofree gchar *line = tpv_at (now - 2 * SECOND, 3);
    SEND (f, line);
  }
  WAIT_FOR (f->fixes->len == 6);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==,
      FIX (f, 5)->time_ns - FIX (f, 5)->received_utc_ns);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), <=, -2 * SECOND);

  /* Lost connection: unknown. */
  server_close (f);
  WAIT_FOR (dvr_gps_get_state (f->gps) == DVR_GPS_STATE_DISCONNECTED);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==, G_MININT64);
}

/* gpsd goes away (restart, crash): DISCONNECTED, then a new connection,
 * counted, and reports flow again. */
static void
test_reconnect (Fixture *f, gconstpointer data)
{
  DvrGpsCounters counters;
  g_autofree gchar *line = tpv_at (T0, 3);

  connect_and_accept (f);
  SEND (f, line);
  WAIT_FOR (f->fixes->len == 1);

  server_close (f);
  WAIT_FOR (dvr_gps_get_state (f->gps) == DVR_GPS_STATE_DISCONNECTED);
  g_assert_cmpstr (dvr_gps_get_last_error (f->gps), ==, "connection closed by gpsd");
  /* The connection had delivered: back to the shortest delay. */
  g_assert_cmpint (g_array_index (f->retry_delays, gint64, 0), ==, 10 * MS);

  WAIT_FOR (dvr_gps_get_state (f->gps) == DVR_GPS_STATE_CONNECTED && f->connection != NULL);
  SEND (f, line);
  WAIT_FOR (f->fixes->len == 2);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.reconnects, ==, 1);
  g_assert_cmpuint (f->accepted, ==, 2);
  g_assert_cmpuint (f->states->len, ==, 5);
  g_assert_cmpint (STATE (f, 2), ==, DVR_GPS_STATE_DISCONNECTED);
  g_assert_cmpint (STATE (f, 3), ==, DVR_GPS_STATE_CONNECTING);
  g_assert_cmpint (STATE (f, 4), ==, DVR_GPS_STATE_CONNECTED);
  /* The last fix outlives the connection it came on. */
  g_assert_nonnull (dvr_gps_get_last_fix (f->gps));
}

/* A gpsd that accepts and closes at once (crash loop): the connect works,
 * so only a connection that delivered a line resets the backoff. */
static void
test_backoff_reset (Fixture *f, gconstpointer data)
{
  const gint64 expected[] = { 10 * MS, 20 * MS, 40 * MS };

  f->accept_mode = ACCEPT_CLOSE;
  dvr_gps_start (f->gps);
  WAIT_FOR (f->retry_delays->len >= G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (f->retry_delays, gint64, i), ==, expected[i]);

  f->accept_mode = ACCEPT_KEEP;
  WAIT_FOR (f->connection != NULL && dvr_gps_get_state (f->gps) == DVR_GPS_STATE_CONNECTED);
  SEND (f, "{\"class\":\"VERSION\",\"release\":\"3.22\",\"rev\":\"3.22\",\"proto_major\":3,\"proto_minor\":14}");
  /* Wait for the line to be read: the client's WATCH came first, so the
   * version is read once the client is idle again; a report makes it
   * observable. */
  SEND (f, "{\"class\":\"TPV\",\"mode\":1}");
  WAIT_FOR (f->fixes->len == 1);
  g_array_set_size (f->retry_delays, 0);
  server_close (f);
  WAIT_FOR (f->retry_delays->len == 1);
  g_assert_cmpint (g_array_index (f->retry_delays, gint64, 0), ==, 10 * MS);
}

/* A handler may stop the reader, or drop the last reference to it, in the
 * middle of a batch of lines. */
static void
test_stop_in_handler (Fixture *f, gconstpointer data)
{
  g_autofree gchar *a = tpv_at (T0, 3);
  g_autofree gchar *b = tpv_at (T0 + SECOND, 3);
  g_autofree gchar *c = tpv_at (T0 + 2 * SECOND, 3);

  connect_and_accept (f);
  f->stop_in_handler = TRUE;
  SEND (f, a, b, c);
  WAIT_FOR (f->fixes->len >= 1);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_DISCONNECTED);
  /* The client closed its socket. */
  WAIT_FOR (f->client_closed == 1);
  drain_main_context ();
  g_assert_cmpuint (f->fixes->len, ==, 1);
  g_assert_cmpint (dvr_gps_get_retry_delay_ns (f->gps), ==, 0);

  /* Started again, it connects again; then the handler drops it. */
  f->stop_in_handler = FALSE;
  g_clear_object (&f->connection);
  dvr_gps_start (f->gps);
  WAIT_FOR (f->connection != NULL && dvr_gps_get_state (f->gps) == DVR_GPS_STATE_CONNECTED);
  /* One report: after the last reference is gone, nothing is promised
   * about the rest of a batch. */
  f->unref_in_handler = TRUE;
  SEND (f, a);
  WAIT_FOR (f->gps == NULL);
  WAIT_FOR (f->client_closed == 2);
  drain_main_context ();
  g_assert_cmpuint (f->fixes->len, ==, 2);
}

/* A stop while the worker thread connects: that connection is closed when
 * it completes, never used; a start after it connects anew. */
static void
test_stop_while_connecting (Fixture *f, gconstpointer data)
{
  DvrGpsCounters counters;

  dvr_gps_start (f->gps);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_CONNECTING);
  dvr_gps_stop (f->gps);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_DISCONNECTED);
  WAIT_FOR (f->client_closed == 1);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_DISCONNECTED);
  g_clear_object (&f->connection);

  dvr_gps_start (f->gps);
  WAIT_FOR (f->connection != NULL && dvr_gps_get_state (f->gps) == DVR_GPS_STATE_CONNECTED);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.reconnects, ==, 0);
  g_assert_cmpuint (f->accepted, ==, 2);
}

#define ADD_FIXTURE_TEST(name, func) \
  g_test_add ((name), Fixture, NULL, fixture_setup, (func), fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gps/state-strings", test_state_strings);
  g_test_add_func ("/gps/fix-boxed", test_fix_boxed);
  ADD_FIXTURE_TEST ("/gps/refused", test_refused);
  ADD_FIXTURE_TEST ("/gps/reports", test_reports);
  ADD_FIXTURE_TEST ("/gps/invalid", test_invalid);
  ADD_FIXTURE_TEST ("/gps/time-jumps", test_time_jumps);
  ADD_FIXTURE_TEST ("/gps/clock-offset", test_clock_offset);
  ADD_FIXTURE_TEST ("/gps/reconnect", test_reconnect);
  ADD_FIXTURE_TEST ("/gps/backoff-reset", test_backoff_reset);
  ADD_FIXTURE_TEST ("/gps/stop-in-handler", test_stop_in_handler);
  ADD_FIXTURE_TEST ("/gps/stop-while-connecting", test_stop_while_connecting);

  return g_test_run ();
}
