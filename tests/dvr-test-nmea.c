/* NMEA captures read by the tests themselves.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-test-nmea.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MS (G_GINT64_CONSTANT (1000000))
#define SECOND (G_GINT64_CONSTANT (1000000000))
#define DAY_MS (G_GINT64_CONSTANT (86400000))


static gboolean
nmea_checksum_ok (const gchar *sentence, gsize length)
{
  guint8 sum = 0;
  gchar *end = NULL;
  guint64 given;

  /* $BODY*HH */
  if (length < 5 || sentence[0] != '$' || sentence[length - 3] != '*' ||
      !g_ascii_isxdigit (sentence[length - 2]) || !g_ascii_isxdigit (sentence[length - 1]))
    return FALSE;
  for (gsize i = 1; i < length - 3; i++)
    sum ^= (guint8) sentence[i];
  given = g_ascii_strtoull (sentence + length - 2, &end, 16);
  return end == sentence + length && given == sum;
}

static gboolean
parse_double (const gchar *text, gdouble *value)
{
  gchar *end = NULL;

  if (text == NULL || *text == '\0')
    return FALSE;
  *value = g_ascii_strtod (text, &end);
  return *end == '\0' && isfinite (*value);
}

/* ddmm.mmmm (or dddmm.mmmm) and a hemisphere to signed degrees. */
static gdouble
parse_coordinate (const gchar *value, const gchar *hemisphere, gdouble limit)
{
  gdouble raw, degrees, result;

  if (!parse_double (value, &raw) || raw < 0)
    return NAN;
  degrees = (gdouble) (gint64) (raw / 100.0);
  result = degrees + (raw - degrees * 100.0) / 60.0;
  if (g_strcmp0 (hemisphere, "S") == 0 || g_strcmp0 (hemisphere, "W") == 0)
    result = -result;
  else if (g_strcmp0 (hemisphere, "N") != 0 && g_strcmp0 (hemisphere, "E") != 0)
    return NAN;
  return fabs (result) <= limit ? result : NAN;
}

/* hhmmss[.s...] to milliseconds into the day. */
static gint64
parse_tod (const gchar *text)
{
  gdouble fraction = 0;
  gint h, m, s;

  if (text == NULL || strlen (text) < 6)
    return -1;
  for (guint i = 0; i < 6; i++)
    if (!g_ascii_isdigit (text[i]))
      return -1;
  h = (text[0] - '0') * 10 + (text[1] - '0');
  m = (text[2] - '0') * 10 + (text[3] - '0');
  s = (text[4] - '0') * 10 + (text[5] - '0');
  if (text[6] == '.') {
    g_autofree gchar *decimal = g_strconcat ("0", text + 6, NULL);
    if (!parse_double (decimal, &fraction))
      return -1;
  } else if (text[6] != '\0') {
    return -1;
  }
  return ((h * 60 + m) * 60 + s) * G_GINT64_CONSTANT (1000) + (gint64) (fraction * 1000 + 0.5);
}

static gint64
parse_date_ns (const gchar *ddmmyy, gint64 tod_ms)
{
  g_autoptr (GDateTime) date = NULL;
  gint day, month, year;

  if (ddmmyy == NULL || strlen (ddmmyy) != 6 || tod_ms < 0)
    return G_MININT64;
  for (guint i = 0; i < 6; i++)
    if (!g_ascii_isdigit (ddmmyy[i]))
      return G_MININT64;
  day = (ddmmyy[0] - '0') * 10 + (ddmmyy[1] - '0');
  month = (ddmmyy[2] - '0') * 10 + (ddmmyy[3] - '0');
  year = (ddmmyy[4] - '0') * 10 + (ddmmyy[5] - '0');
  year += year < 80 ? 2000 : 1900;
  date = g_date_time_new_utc (year, month, day, 0, 0, 0);
  if (date == NULL)
    return G_MININT64;
  return g_date_time_to_unix (date) * SECOND + tod_ms * MS;
}

static void
parse_sentence (const gchar *text, GArray *sentences)
{
  g_auto (GStrv) fields = g_strsplit (text + 1, ",", -1);
  guint n = g_strv_length (fields);
  DvrTestSentence sentence = { .tod_ms = -1, .utc_ns = G_MININT64,
                        .lat = NAN, .lon = NAN, .alt_msl = NAN };
  gchar *star;

  /* The checksum is not a field. */
  star = strrchr (fields[n - 1], '*');
  *star = '\0';
  if (strlen (fields[0]) != 5 || fields[0][0] != 'G')
    return;
  if (strcmp (fields[0] + 2, "RMC") == 0 && n >= 10) {
    sentence.tod_ms = parse_tod (fields[1]);
    sentence.valid = g_strcmp0 (fields[2], "A") == 0;
    sentence.lat = parse_coordinate (fields[3], fields[4], 90.0);
    sentence.lon = parse_coordinate (fields[5], fields[6], 180.0);
    sentence.utc_ns = parse_date_ns (fields[9], sentence.tod_ms);
  } else if (strcmp (fields[0] + 2, "GGA") == 0 && n >= 10) {
    gdouble quality = 0;
    sentence.tod_ms = parse_tod (fields[1]);
    sentence.lat = parse_coordinate (fields[2], fields[3], 90.0);
    sentence.lon = parse_coordinate (fields[4], fields[5], 180.0);
    sentence.valid = parse_double (fields[6], &quality) && quality > 0;
    if (!parse_double (fields[9], &sentence.alt_msl))
      sentence.alt_msl = NAN;
  } else {
    return;
  }
  memcpy (sentence.id, fields[0] + 2, 3);
  g_array_append_val (sentences, sentence);
}

/* Every RMC and GGA with a valid checksum, in order.  Like gpsd, a sentence
 * starts at any '$' (captures have sentences glued onto cut ones). */
GArray *
dvr_test_nmea_parse_capture (const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;
  GArray *sentences = g_array_new (FALSE, FALSE, sizeof (DvrTestSentence));
  gsize length = 0;
  gsize i = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  while (i < length) {
    gsize start, end;

    if (contents[i] != '$') {
      i++;
      continue;
    }
    start = i;
    end = start + 1;
    while (end < length && contents[end] != '$' && contents[end] != '\r' &&
        contents[end] != '\n' && contents[end] != '\0')
      end++;
    if (nmea_checksum_ok (contents + start, end - start)) {
      g_autofree gchar *text = g_strndup (contents + start, end - start);
      parse_sentence (text, sentences);
    }
    i = end;
  }
  return sentences;
}

void
dvr_test_nmea_append_sentence (GString *out, const gchar *body)
{
  guint8 sum = 0;

  for (const gchar *p = body; *p != '\0'; p++)
    sum ^= (guint8) *p;
  g_string_append_printf (out, "$%s*%02X\r\n", body, sum);
}

void
dvr_test_nmea_append_malformed (GString *out, const gchar *contents)
{
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    g_string_append (out, lines[i]);
    if (lines[i + 1] != NULL)
      g_string_append_c (out, '\n');
    if (g_str_has_prefix (lines[i], "$GNZDA,000950.00")) {
      for (guint b = 1; b < 200; b++)
        if (b != '\n')
          g_string_append_c (out, (gchar) b);
      g_string_append (out, "\r\n$GNRMC,000950.50,A,4404.1\r\n");
      g_string_append (out, "$GNRMC,000950.60,A,4404.13387,N,12118.85628,W,0.029,,100117,,,A*00\r\n");
      dvr_test_nmea_append_sentence (out, "GNRMC,000950.70,A,9959.99999,N,12118.85628,W,0.029,,100117,,,A");
      dvr_test_nmea_append_sentence (out, "GNGGA,000950.80,nan,N,nan,W,1,12,1.01,nan,M,-21.4,M,,");
      /* gpsd 3.22 drops the longitude of 199 degrees but passes the
       * negative speed on. */
      dvr_test_nmea_append_sentence (out, "GNRMC,000950.90,A,4404.13387,N,19918.85628,W,-5.0,400.0,100117,,,A");
      dvr_test_nmea_append_sentence (out, "GNGGA,000950.95,4404.13387,N,12118.85628,W,1,99,1.01,1e400,M,-21.4,M,,");
    }
    if (g_str_has_prefix (lines[i], "$GNZDA,001010.00")) {
      g_string_append_len (out, "\0\0\0\r\n", 5);
      for (guint n = 0; n < 3000; n++)
        g_string_append_c (out, 'A');
      g_string_append (out, "\r\n$GPGGA\r\n\r\n$GNGGA,,,,,,,,,,,,,,*7A\r\n");
    }
  }
}
