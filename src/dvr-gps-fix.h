/* dvr-gps-fix: one position report as dvrd keeps it.
 *
 * A plain record shared by the GPS reader (dvr-gps) and the catalog
 * (dvr-catalog), which must not include each other.  It holds no pointers:
 * copy it by assignment.
 *
 * Unknowns are explicit, never zero: NAN for a real that was not given (or
 * was given but not valid, see dvr-gps.c), -1 for a count, G_MININT64 for a
 * time.  The catalog stores each of these as SQL NULL and reads NULL back as
 * the same value.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <math.h>

G_BEGIN_DECLS

/* gpsd's MODE_* values (gps.h), so that this header needs no libgps. */
typedef enum {
  DVR_GPS_MODE_UNKNOWN = 0,  /* gpsd has not seen a mode yet */
  DVR_GPS_MODE_NO_FIX = 1,
  DVR_GPS_MODE_2D = 2,
  DVR_GPS_MODE_3D = 3,
} DvrGpsMode;

typedef struct {
  gint64 time_ns;          /* UTC of the fix, from the receiver; G_MININT64 when
                            * gpsd gave no time (or an impossible one) */
  gint64 received_utc_ns;  /* CLOCK_REALTIME when dvrd read the report */
  gint64 received_mono_ns; /* CLOCK_MONOTONIC when dvrd read the report */
  gint mode;               /* DvrGpsMode */
  gdouble lat, lon;        /* degrees, WGS84; valid only with mode >= 2 */
  gdouble alt_hae;         /* m above the ellipsoid; mode 3 only */
  gdouble alt_msl;         /* m above mean sea level; mode 3 only */
  gdouble speed;           /* m/s over ground, >= 0 */
  gdouble track;           /* degrees from true north, [0, 360] */
  gdouble climb;           /* m/s, up positive; mode 3 only */
  gdouble eph, epv;        /* estimated horizontal / vertical error, m */
  gdouble eps;             /* estimated speed error, m/s */
  gint sats_used;          /* from gpsd's latest SKY report; -1 unknown */
  gint sats_visible;       /* likewise */
} DvrGpsFix;

/* Sets every field of @fix to "unknown". */
static inline void
dvr_gps_fix_init (DvrGpsFix *fix)
{
  fix->time_ns = G_MININT64;
  fix->received_utc_ns = G_MININT64;
  fix->received_mono_ns = G_MININT64;
  fix->mode = DVR_GPS_MODE_UNKNOWN;
  fix->lat = fix->lon = NAN;
  fix->alt_hae = fix->alt_msl = NAN;
  fix->speed = fix->track = fix->climb = NAN;
  fix->eph = fix->epv = fix->eps = NAN;
  fix->sats_used = fix->sats_visible = -1;
}

G_END_DECLS
