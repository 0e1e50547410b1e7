/* Integration: DvrGps against a real gpsd (gpsfake) replaying real receiver
 * captures from gpsd's regression suite (tests/data/gps, BSD, see
 * COPYING.gpsd there).
 *
 * The oracle is the capture itself: the test parses its NMEA ($GxRMC and
 * $GxGGA with valid checksums, ddmm.mmmm to degrees) and holds every fix
 * DvrGps emits against the sentences of the same time of day.  That checks
 * the whole path, receiver sentence -> gpsd -> JSON -> libgps -> DvrGpsFix,
 * against what the receiver said, rather than against another reading of
 * gpsd's own output (gpspipe -w), which would share gpsd's mistakes and need
 * a second replay.
 *
 * Every replay runs at 1 ms a sentence (-c 0.001; gpsfake adds about half
 * a millisecond of its own): the 1019 lines of ublox-8.log take about 1.5 s,
 * after 2000 preamble sentences (about 3 s, see dvr-test-gpsfake.h).  DvrGps
 * is started before gpsfake and retries every 20 to 100 ms until gpsd
 * listens.  The whole program takes about 25 s.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-gps.h"
#include "dvr-test-gpsfake.h"
#include "dvr-test-nmea.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CYCLE_S 0.001
#define PREAMBLE_S 2.0
#define WAIT_TIMEOUT_MS 30000
#define DEGREE_TOLERANCE 1e-6
#define MS (G_GINT64_CONSTANT (1000000))
#define SECOND (G_GINT64_CONSTANT (1000000000))
#define DAY_MS (G_GINT64_CONSTANT (86400000))


static gchar *
data_path (const gchar *name)
{
  const gchar *root = g_getenv ("DVR_SOURCE_ROOT");

  g_assert_nonnull (root);
  return g_build_filename (root, "tests", "data", "gps", name, NULL);
}

static gint64
tod_of (gint64 time_ns)
{
  gint64 ms = time_ns / MS;
  return ((ms % DAY_MS) + DAY_MS) % DAY_MS;
}

/* The time of day of the capture's last RMC or GGA: its last report. */
static gint64
last_tod (GArray *sentences)
{
  gint64 tod = -1;

  for (guint i = 0; i < sentences->len; i++)
    if (g_array_index (sentences, DvrTestSentence, i).tod_ms >= 0)
      tod = g_array_index (sentences, DvrTestSentence, i).tod_ms;
  g_assert_cmpint (tod, >=, 0);
  return tod;
}

static gboolean
position_matches (const DvrTestSentence *s, const DvrGpsFix *fix)
{
  return isfinite (s->lat) && isfinite (s->lon) &&
         fabs (s->lat - fix->lat) <= DEGREE_TOLERANCE &&
         fabs (s->lon - fix->lon) <= DEGREE_TOLERANCE;
}

static void
assert_fix_sane (const DvrGpsFix *fix)
{
  g_assert_cmpint (fix->mode, >=, DVR_GPS_MODE_UNKNOWN);
  g_assert_cmpint (fix->mode, <=, DVR_GPS_MODE_3D);
  g_assert_true (isnan (fix->lat) || fabs (fix->lat) <= 90.0);
  g_assert_true (isnan (fix->lon) || fabs (fix->lon) <= 180.0);
  g_assert_true (isnan (fix->speed) || fix->speed >= 0.0);
  g_assert_true (isnan (fix->track) || (fix->track >= 0.0 && fix->track <= 360.0));
  g_assert_true (isnan (fix->eph) || fix->eph >= 0.0);
  g_assert_true (isnan (fix->epv) || fix->epv >= 0.0);
  g_assert_true (isnan (fix->eps) || fix->eps >= 0.0);
  g_assert_cmpint (fix->sats_used, >=, -1);
  g_assert_cmpint (fix->sats_visible, >=, fix->sats_used);
  /* What the mode does not vouch for is not there. */
  if (fix->mode < DVR_GPS_MODE_2D)
    g_assert_true (isnan (fix->lat) && isnan (fix->lon) && isnan (fix->speed));
  if (fix->mode < DVR_GPS_MODE_3D)
    g_assert_true (isnan (fix->alt_hae) && isnan (fix->alt_msl) && isnan (fix->climb));
  g_assert_cmpint (fix->received_utc_ns, !=, G_MININT64);
  g_assert_cmpint (fix->received_mono_ns, !=, G_MININT64);
}

/* Holds fixes [first, last) against the capture's sentences:
 * - a position equals, to 1e-6 degrees, that of a valid sentence of the
 *   same time of day (or, for a fix without a time, of any valid sentence);
 * - the time equals an RMC's date and time of the same time of day, up to
 *   gpsd's week-rollover shift;
 * - with @complete, every valid RMC with a position has a fix with that
 *   position and time of day: nothing was lost.
 * Returns how many fixes had a position. */
static guint
check_fixes (GArray *fixes, guint first, guint last, GArray *sentences, gboolean complete)
{
  guint positioned = 0;

  for (guint i = first; i < last; i++) {
    const DvrGpsFix *fix = &g_array_index (fixes, DvrGpsFix, i);
    gboolean found = FALSE;

    assert_fix_sane (fix);
    if (i > first)
      g_assert_cmpint (fix->received_mono_ns, >=,
          g_array_index (fixes, DvrGpsFix, i - 1).received_mono_ns);
    if (fix->mode < DVR_GPS_MODE_2D || isnan (fix->lat))
      continue;
    positioned++;
    for (guint j = 0; j < sentences->len; j++) {
      const DvrTestSentence *s = &g_array_index (sentences, DvrTestSentence, j);

      if (!s->valid || (fix->time_ns != G_MININT64 && s->tod_ms != tod_of (fix->time_ns)))
        continue;
      if (position_matches (s, fix))
        found = TRUE;
      if (fix->time_ns != G_MININT64 && s->utc_ns != G_MININT64)
        g_assert_cmpint ((fix->time_ns - s->utc_ns) % DVR_TEST_NMEA_ROLLOVER_NS, ==, 0);
      /* gpsd's altMSL is the GGA's altitude. */
      if (fix->time_ns != G_MININT64 && !isnan (fix->alt_msl) && !isnan (s->alt_msl))
        g_assert_cmpfloat_with_epsilon (fix->alt_msl, s->alt_msl, 1e-3);
    }
    if (!found) {
      g_autofree gchar *when = fix->time_ns != G_MININT64 ?
          dvr_utc_format_iso8601 (fix->time_ns) : g_strdup ("(no time)");
      g_error ("fix %u at %s, %.9f %.9f: no such position in the capture", i, when,
          fix->lat, fix->lon);
    }
  }

  for (guint j = 0; complete && j < sentences->len; j++) {
    const DvrTestSentence *s = &g_array_index (sentences, DvrTestSentence, j);
    gboolean found = FALSE;

    if (strcmp (s->id, "RMC") != 0 || !s->valid || isnan (s->lat) || isnan (s->lon))
      continue;
    for (guint i = first; i < last && !found; i++) {
      const DvrGpsFix *fix = &g_array_index (fixes, DvrGpsFix, i);
      found = fix->mode >= DVR_GPS_MODE_2D && fix->time_ns != G_MININT64 &&
          tod_of (fix->time_ns) == s->tod_ms && position_matches (s, fix);
    }
    if (!found)
      g_error ("the capture's RMC at %02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%06.3f has no fix",
          s->tod_ms / 3600000, s->tod_ms / 60000 % 60, (s->tod_ms % 60000) / 1000.0);
  }
  return positioned;
}

typedef struct {
  gchar *folder;
  gchar *port;
  DvrGps *gps;
  GArray *fixes;     /* DvrGpsFix */
  GArray *states;    /* DvrGpsState */
  DvrTestGpsfake *fake;
} Fixture;

static void
on_fix (DvrGps *gps, const DvrGpsFix *fix, gpointer user_data)
{
  Fixture *f = user_data;
  g_array_append_val (f->fixes, *fix);
}

static void
on_state_changed (DvrGps *gps, gint state, gpointer user_data)
{
  Fixture *f = user_data;
  DvrGpsState s = state;
  g_array_append_val (f->states, s);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->folder = dvr_test_mkdtemp ();
  f->port = dvr_test_free_port ();
  f->fixes = g_array_new (FALSE, FALSE, sizeof (DvrGpsFix));
  f->states = g_array_new (FALSE, FALSE, sizeof (DvrGpsState));
  f->gps = dvr_gps_new ("127.0.0.1", f->port);
  dvr_gps_set_backoff (f->gps, 20 * MS, 100 * MS);
  g_signal_connect (f->gps, "fix", G_CALLBACK (on_fix), f);
  g_signal_connect (f->gps, "state-changed", G_CALLBACK (on_state_changed), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->gps);
  g_clear_pointer (&f->fake, dvr_test_gpsfake_free);
  /* A connect abandoned by the stop returns to the main loop. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  dvr_test_rmtree (f->folder);
  g_free (f->folder);
  g_free (f->port);
  g_array_unref (f->fixes);
  g_array_unref (f->states);
}

static gboolean timed_out;

static gboolean
on_wait_timeout (gpointer user_data)
{
  timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @cond; on timeout prints gpsfake's log and
 * fails. */
#define WAIT_FOR(f, cond) G_STMT_START {                                     \
    guint timeout_id_ = g_timeout_add (dvr_test_timeout_ms (WAIT_TIMEOUT_MS),  \
        on_wait_timeout, NULL);                                              \
    timed_out = FALSE;                                                       \
    while (!(cond) && !timed_out)                                            \
      g_main_context_iteration (NULL, TRUE);                                 \
    if (timed_out) {                                                         \
      if ((f)->fake != NULL)                                                 \
        dvr_test_gpsfake_print_log ((f)->fake);                              \
      g_error ("timed out waiting for %s (%u reports, state %s)", #cond,     \
          (f)->fixes->len, dvr_gps_state_to_string (dvr_gps_get_state ((f)->gps))); \
    }                                                                        \
    g_source_remove (timeout_id_);                                           \
  } G_STMT_END

static void
start_replay (Fixture *f, const gchar *capture, gdouble cycle_s)
{
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&f->fake, dvr_test_gpsfake_free);
  f->fake = dvr_test_gpsfake_start (f->folder, capture, f->port, cycle_s, PREAMBLE_S, &error);
  g_assert_no_error (error);
}

/* The last report has the time of day @tod (gpsd reports the capture's last
 * epoch, any mode). */
static gboolean
reached_tod (Fixture *f, guint first, gint64 tod)
{
  for (guint i = f->fixes->len; i > first; i--) {
    const DvrGpsFix *fix = &g_array_index (f->fixes, DvrGpsFix, i - 1);
    if (fix->time_ns != G_MININT64)
      return tod_of (fix->time_ns) == tod;
  }
  return FALSE;
}

static guint
count_mode (GArray *fixes, guint first, guint last, gboolean with_fix)
{
  guint n = 0;

  for (guint i = first; i < last; i++)
    if ((g_array_index (fixes, DvrGpsFix, i).mode >= DVR_GPS_MODE_2D) == with_fix)
      n++;
  return n;
}

/* A u-blox M8 (GPS + GLONASS), 72 epochs of 3D fixes: every one arrives,
 * with the receiver's position, time and altitude. */
static void
test_ublox8 (Fixture *f, gconstpointer data)
{
  g_autofree gchar *capture = data_path ("ublox-8.log");
  g_autoptr (GArray) sentences = dvr_test_nmea_parse_capture (capture);
  gint64 end = last_tod (sentences);
  gint64 start_us, offset, samples[16];
  guint n_samples = 0;
  DvrGpsCounters counters;
  gboolean sats_seen = FALSE;

  dvr_gps_start (f->gps);
  start_us = g_get_monotonic_time ();
  start_replay (f, capture, CYCLE_S);
  WAIT_FOR (f, reached_tod (f, 0, end));
  g_test_message ("ublox-8: %u reports in %.1f s (preamble %.1f s)", f->fixes->len,
      (g_get_monotonic_time () - start_us) / 1e6, PREAMBLE_S);

  g_assert_cmpuint (check_fixes (f->fixes, 0, f->fixes->len, sentences, TRUE), >=, 72);
  for (guint i = 0; i < f->fixes->len; i++) {
    const DvrGpsFix *fix = &g_array_index (f->fixes, DvrGpsFix, i);
    g_assert_cmpint (fix->mode, >=, DVR_GPS_MODE_2D);
    sats_seen |= fix->sats_used > 0;
  }
  g_assert_true (sats_seen);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.fixes, ==, f->fixes->len);
  g_assert_cmpuint (counters.no_fixes, ==, 0);
  g_assert_cmpuint (counters.malformed, ==, 0);
  g_assert_cmpuint (counters.invalid_fields, ==, 0);
  g_assert_cmpuint (counters.time_jumps, ==, 0);
  g_assert_cmpuint (counters.reconnects, ==, 0);

  /* The offset is the median of the last 16 timed fixes' own offsets: the
   * capture is from 2017, so about nine years behind the system clock. */
  for (guint i = f->fixes->len; i > 0 && n_samples < G_N_ELEMENTS (samples); i--) {
    const DvrGpsFix *fix = &g_array_index (f->fixes, DvrGpsFix, i - 1);
    if (fix->time_ns != G_MININT64)
      samples[n_samples++] = fix->time_ns - fix->received_utc_ns;
  }
  g_assert_cmpuint (n_samples, ==, 16);
  offset = dvr_gps_get_clock_offset_ns (f->gps);
  g_assert_cmpint (offset, !=, G_MININT64);
  {
    guint below = 0, above = 0;
    for (guint i = 0; i < n_samples; i++) {
      below += samples[i] <= offset;
      above += samples[i] >= offset;
    }
    g_assert_cmpuint (below, >=, n_samples / 2);
    g_assert_cmpuint (above, >=, n_samples / 2);
  }
  g_assert_cmpint (offset, <, -8 * 365 * 86400 * SECOND);
}

/* A Quectel EG25-G cold start: no fix for a while (reports without time or
 * position, some with gpsd's mode 0), then 3D fixes, lost for a few
 * seconds, and found again. */
static void
test_cold_start (Fixture *f, gconstpointer data)
{
  g_autofree gchar *capture = data_path ("quectel-eg25-g.log");
  g_autoptr (GArray) sentences = dvr_test_nmea_parse_capture (capture);
  gint64 end = last_tod (sentences);
  DvrGpsCounters counters;
  guint first_fix = G_MAXUINT, lost = G_MAXUINT, regained = G_MAXUINT;
  guint n_fixes;

  dvr_gps_start (f->gps);
  start_replay (f, capture, CYCLE_S);
  WAIT_FOR (f, reached_tod (f, 0, end));

  check_fixes (f->fixes, 0, f->fixes->len, sentences, TRUE);
  for (guint i = 0; i < f->fixes->len; i++) {
    gboolean fix = g_array_index (f->fixes, DvrGpsFix, i).mode >= DVR_GPS_MODE_2D;
    if (fix && first_fix == G_MAXUINT)
      first_fix = i;
    else if (!fix && first_fix != G_MAXUINT && lost == G_MAXUINT)
      lost = i;
    else if (fix && lost != G_MAXUINT && regained == G_MAXUINT)
      regained = i;
  }
  /* The receiver searched, with nothing but no-fix reports... */
  g_assert_cmpuint (first_fix, >=, 20);
  g_assert_cmpuint (count_mode (f->fixes, 0, first_fix, FALSE), ==, first_fix);
  /* ...had 15 epochs of fixes, lost it, and found it again. */
  g_assert_cmpuint (lost, !=, G_MAXUINT);
  g_assert_cmpuint (count_mode (f->fixes, first_fix, lost, TRUE), ==, lost - first_fix);
  g_assert_cmpuint (lost - first_fix, >=, 15);
  g_assert_cmpuint (regained, !=, G_MAXUINT);
  g_assert_cmpint (g_array_index (f->fixes, DvrGpsFix, f->fixes->len - 1).mode, >=, DVR_GPS_MODE_2D);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), !=, G_MININT64);

  n_fixes = count_mode (f->fixes, 0, f->fixes->len, TRUE);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.fixes, ==, n_fixes);
  g_assert_cmpuint (counters.no_fixes, ==, f->fixes->len - n_fixes);
  g_assert_cmpuint (counters.malformed, ==, 0);
}

/* A GPS-320FW spoofed to just after a week rollover, then rebooted: a few
 * fixes, then a receiver with no fix whose clock jumps, and sentences
 * mangled on the serial line throughout. */
static void
test_cold_boot (Fixture *f, gconstpointer data)
{
  g_autofree gchar *capture = data_path ("gp-320fw-2019-04-07-coldboot.log");
  g_autoptr (GArray) sentences = dvr_test_nmea_parse_capture (capture);
  gint64 end = last_tod (sentences);
  DvrGpsCounters counters;
  guint last_fix = G_MAXUINT;

  dvr_gps_start (f->gps);
  start_replay (f, capture, CYCLE_S);
  WAIT_FOR (f, reached_tod (f, 0, end));

  g_assert_cmpuint (check_fixes (f->fixes, 0, f->fixes->len, sentences, FALSE), >=, 1);
  for (guint i = 0; i < f->fixes->len; i++)
    if (g_array_index (f->fixes, DvrGpsFix, i).mode >= DVR_GPS_MODE_2D)
      last_fix = i;
  g_assert_cmpuint (last_fix, !=, G_MAXUINT);
  g_assert_cmpuint (count_mode (f->fixes, last_fix + 1, f->fixes->len, FALSE), >=, 5);
  g_assert_cmpuint (count_mode (f->fixes, last_fix + 1, f->fixes->len, TRUE), ==, 0);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==, G_MININT64);

  dvr_gps_get_counters (f->gps, &counters);
  /* From the last fix's 00:03:45 to the rebooted receiver's 00:04:27 in a
   * fraction of a second. */
  g_assert_cmpuint (counters.time_jumps, >=, 1);
  g_assert_cmpuint (counters.no_fixes, >=, 5);
  g_assert_cmpuint (counters.malformed, ==, 0);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_CONNECTED);
}

/* gpsd dies mid-stream (gpsfake and its gpsd killed): DISCONNECTED; a new
 * gpsd on the same port: reconnected, once, and fixes resume. */
static void
test_restart (Fixture *f, gconstpointer data)
{
  g_autofree gchar *first_capture = data_path ("haicom-305N.log");
  g_autofree gchar *second_capture = data_path ("ublox-8.log");
  g_autoptr (GArray) first_sentences = dvr_test_nmea_parse_capture (first_capture);
  g_autoptr (GArray) second_sentences = dvr_test_nmea_parse_capture (second_capture);
  gint64 end = last_tod (second_sentences);
  DvrGpsCounters counters;
  guint first_len, n_states;

  dvr_gps_start (f->gps);
  /* Slower, so that the kill lands mid-capture. */
  start_replay (f, first_capture, 0.01);
  WAIT_FOR (f, count_mode (f->fixes, 0, f->fixes->len, TRUE) >= 5);
  dvr_test_gpsfake_stop (f->fake);
  WAIT_FOR (f, dvr_gps_get_state (f->gps) != DVR_GPS_STATE_CONNECTED);
  first_len = f->fixes->len;
  g_assert_nonnull (dvr_gps_get_last_error (f->gps));
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), ==, G_MININT64);
  check_fixes (f->fixes, 0, first_len, first_sentences, FALSE);
  /* Mid-capture: the Haicom has 68 epochs with a fix. */
  g_assert_cmpuint (count_mode (f->fixes, 0, first_len, TRUE), <, 100);
  n_states = f->states->len;

  start_replay (f, second_capture, CYCLE_S);
  WAIT_FOR (f, reached_tod (f, first_len, end));
  check_fixes (f->fixes, first_len, f->fixes->len, second_sentences, TRUE);

  /* Refused until the first gpsd listened, connected, lost, refused until
   * the second listened, connected: exactly two CONNECTED. */
  {
    guint connected = 0;
    for (guint i = 0; i < f->states->len; i++) {
      DvrGpsState state = g_array_index (f->states, DvrGpsState, i);
      connected += state == DVR_GPS_STATE_CONNECTED;
      if (i > 0 && g_array_index (f->states, DvrGpsState, i - 1) == DVR_GPS_STATE_CONNECTED)
        g_assert_cmpint (state, ==, DVR_GPS_STATE_DISCONNECTED);
    }
    g_assert_cmpuint (connected, ==, 2);
  }
  g_assert_cmpint (g_array_index (f->states, DvrGpsState, n_states - 1), ==,
      DVR_GPS_STATE_DISCONNECTED);
  g_assert_cmpint (g_array_index (f->states, DvrGpsState, f->states->len - 1), ==,
      DVR_GPS_STATE_CONNECTED);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.reconnects, ==, 1);
  /* 2026 (the 2007 capture after gpsd's rollover shift) back to 2017. */
  g_assert_cmpuint (counters.time_jumps, >=, 1);
  g_assert_cmpint (dvr_gps_get_clock_offset_ns (f->gps), !=, G_MININT64);
}

/* ublox-8.log with garbage spliced in: binary noise, cut sentences, bad
 * checksums, and sentences with good checksums but impossible values. */
static gchar *
write_malformed_capture (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *source = data_path ("ublox-8.log");
  g_autofree gchar *contents = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  gchar *path = g_build_filename (f->folder, "ublox-8-malformed.log", NULL);

  g_file_get_contents (source, &contents, NULL, &error);
  g_assert_no_error (error);
  dvr_test_nmea_append_malformed (out, contents);
  g_file_set_contents (path, out->str, out->len, &error);
  g_assert_no_error (error);
  return path;
}

/* Garbage on the serial line: no crash, fixes from the good sentences all
 * there, and what gpsd passes on of the bad ones dropped and counted. */
static void
test_malformed (Fixture *f, gconstpointer data)
{
  g_autofree gchar *capture = write_malformed_capture (f);
  g_autoptr (GArray) sentences = dvr_test_nmea_parse_capture (capture);
  gint64 end = last_tod (sentences);
  const gint64 bad_tod = ((0 * 60 + 9) * 60 + 50) * G_GINT64_CONSTANT (1000) + 900;
  DvrGpsCounters counters;
  gboolean bad_seen = FALSE;

  dvr_gps_start (f->gps);
  start_replay (f, capture, CYCLE_S);
  WAIT_FOR (f, reached_tod (f, 0, end));

  g_assert_cmpuint (check_fixes (f->fixes, 0, f->fixes->len, sentences, TRUE), >=, 72);
  for (guint i = 0; i < f->fixes->len; i++) {
    const DvrGpsFix *fix = &g_array_index (f->fixes, DvrGpsFix, i);
    if (fix->time_ns != G_MININT64 && tod_of (fix->time_ns) == bad_tod) {
      bad_seen = TRUE;
      g_assert_true (isnan (fix->lat) && isnan (fix->lon) && isnan (fix->speed));
    }
  }
  g_assert_true (bad_seen);
  dvr_gps_get_counters (f->gps, &counters);
  g_assert_cmpuint (counters.invalid_fields, >=, 1);
  /* gpsd's JSON is always well formed: garbage never gets that far. */
  g_assert_cmpuint (counters.malformed, ==, 0);
  g_assert_cmpint (dvr_gps_get_state (f->gps), ==, DVR_GPS_STATE_CONNECTED);
}

#define ADD_FIXTURE_TEST(name, func) \
  g_test_add ((name), Fixture, NULL, fixture_setup, (func), fixture_teardown)

int
main (int argc, char **argv)
{
  g_autofree gchar *why = NULL;

  g_test_init (&argc, &argv, NULL);
  if (!dvr_test_gpsfake_available (&why)) {
    g_print ("1..0 # SKIP %s\n", why);
    return DVR_TEST_SKIP;
  }

  ADD_FIXTURE_TEST ("/gpsfake/ublox-8", test_ublox8);
  ADD_FIXTURE_TEST ("/gpsfake/cold-start", test_cold_start);
  ADD_FIXTURE_TEST ("/gpsfake/cold-boot", test_cold_boot);
  ADD_FIXTURE_TEST ("/gpsfake/restart", test_restart);
  ADD_FIXTURE_TEST ("/gpsfake/malformed", test_malformed);

  return g_test_run ();
}
