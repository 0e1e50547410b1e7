/* NMEA captures read by the tests themselves: what the receiver said, to
 * compare with what gpsd and dvrd made of it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* gpsd moves dates from before its build by multiples of GPS's 1024-week
 * rollover (the 2007 Haicom capture comes out in 2026). */
#define DVR_TEST_NMEA_ROLLOVER_NS (G_GINT64_CONSTANT (1024) * 7 * 86400 * G_GINT64_CONSTANT (1000000000))

/* One NMEA sentence of a capture. */
typedef struct {
  gchar id[4];           /* "RMC" or "GGA" */
  gint64 tod_ms;         /* time of day, -1 when empty */
  gint64 utc_ns;         /* RMC with a date: date and time; else G_MININT64 */
  gboolean valid;        /* RMC status A, GGA quality > 0 */
  gdouble lat, lon;      /* NaN when empty, unparsable or out of range */
  gdouble alt_msl;       /* GGA; NaN otherwise */
} DvrTestSentence;

/* The RMC and GGA sentences with a good checksum of the capture at @path,
 * in order (GArray of DvrTestSentence). */
GArray *dvr_test_nmea_parse_capture (const gchar *path);

/* Appends "$BODY*HH\r\n" with the right checksum. */
void dvr_test_nmea_append_sentence (GString *out, const gchar *body);

/* Appends the lines of ublox-8.log's @contents to @out with garbage
 * spliced in: binary noise, a cut sentence, a bad checksum, a latitude of
 * 99, "nan" fields, a longitude of 199 with a negative speed and a track
 * of 400, an altitude of 1e400, NULs and an over-long line. */
void dvr_test_nmea_append_malformed (GString *out, const gchar *contents);

G_END_DECLS
