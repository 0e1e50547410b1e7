/* dvr-tool-util: what the workstation tools share (dvr-tool-util.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-tool-util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dvr-storage.h"
#include "dvr-utils.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)

/* A track is split where no report came for this long (dvrmeta's default
 * gps-timeout is 3 s), as well as where GPS was lost or had no fix. */
#define STRETCH_GAP_NS (5 * DVR_NSEC_PER_SEC)

/* Read size for hashing: large reads keep a USB drive streaming. */
#define HASH_CHUNK (4 * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Times */

/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z" to ns; FALSE if it is not one. */
static gboolean
scan_utc (const gchar *text, gint64 *out_ns)
{
  static const gchar pattern[] = "dddd-dd-ddTdd:dd:dd";
  gint fields[6] = { 0, };
  gint64 fraction_ns = 0;
  const gchar *p = text;
  g_autoptr (GDateTime) time = NULL;
  guint field = 0;

  for (guint i = 0; i < sizeof pattern - 1; i++, p++) {
    if (pattern[i] == 'd' && !g_ascii_isdigit (*p))
      return FALSE;
    if (pattern[i] == 'd')
      fields[field] = fields[field] * 10 + (*p - '0');
    else if (*p != pattern[i] && !(pattern[i] == 'T' && *p == 't'))
      return FALSE;
    else
      field++;
  }
  if (*p == '.') {
    gint64 scale = DVR_NSEC_PER_SEC / 10;
    if (!g_ascii_isdigit (*++p))
      return FALSE;
    for (; g_ascii_isdigit (*p); p++, scale /= 10)
      fraction_ns += (*p - '0') * scale;
  }
  if ((*p != 'Z' && *p != 'z') || p[1] != '\0' || fields[5] > 59)
    return FALSE;
  time = g_date_time_new_utc (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
  if (time == NULL)
    return FALSE;
  *out_ns = g_date_time_to_unix (time) * DVR_NSEC_PER_SEC + fraction_ns;
  return TRUE;
}

/* UTC only: a time without a zone would mean the workstation's, which is
 * not the vehicle's. */
gboolean
dvr_tool_parse_utc (const gchar *text, gint64 *utc_ns, GError **error)
{
  if (scan_utc (text, utc_ns))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "\"%s\" is not a UTC time like 2026-11-28T22:30:01Z or 2026-11-28T22:30:01.233Z", text);
  return FALSE;
}

gchar *
dvr_tool_format_local (gint64 utc_ns)
{
  gint64 seconds = utc_ns >= 0 ? utc_ns / DVR_NSEC_PER_SEC :
      -((-utc_ns + DVR_NSEC_PER_SEC - 1) / DVR_NSEC_PER_SEC);
  guint msec = (guint) ((utc_ns - seconds * DVR_NSEC_PER_SEC) / DVR_NSEC_PER_MSEC);
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (seconds);
  g_autofree gchar *base = NULL;
  g_autofree gchar *offset = NULL;

  if (time == NULL)
    return g_strdup ("invalid-time");
  base = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  offset = g_date_time_format (time, "%:z");
  return g_strdup_printf ("%s.%03u%s", base, msec, offset);
}

/* ------------------------------------------------------------------ */
/* The storage root */

DvrCatalog *
dvr_tool_open_catalog (const gchar *root, GError **error)
{
  g_autofree gchar *path = g_build_filename (root, DVR_STORAGE_CATALOG_NAME, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
        "%s: no catalog (%s) there: not a dvrd storage root", root, DVR_STORAGE_CATALOG_NAME);
    return NULL;
  }
  return dvr_catalog_open (path, TRUE, error);
}

/* ------------------------------------------------------------------ */
/* Progress */

struct _DvrToolProgress {
  gboolean shown;
  gint64 last_draw_us;
  guint last_width;
};

DvrToolProgress *
dvr_tool_progress_new (void)
{
  DvrToolProgress *progress = g_new0 (DvrToolProgress, 1);

  progress->shown = isatty (STDERR_FILENO) == 1;
  return progress;
}

void
dvr_tool_progress_free (DvrToolProgress *progress)
{
  if (progress == NULL)
    return;
  dvr_tool_progress_clear (progress);
  g_free (progress);
}

gboolean
dvr_tool_progress_is_shown (DvrToolProgress *progress)
{
  return progress != NULL && progress->shown;
}

void
dvr_tool_progress_update (DvrToolProgress *progress, const gchar *label, gdouble fraction,
                          const gchar *detail)
{
  g_autoptr (GString) line = NULL;
  gint64 now;
  guint filled;

  if (!dvr_tool_progress_is_shown (progress))
    return;
  now = g_get_monotonic_time ();
  if (fraction < 1.0 && now - progress->last_draw_us < G_USEC_PER_SEC / 10)
    return;
  progress->last_draw_us = now;
  fraction = CLAMP (fraction, 0.0, 1.0);
  filled = (guint) (fraction * 30.0);
  line = g_string_new (NULL);
  g_string_append_printf (line, "\r%s [", label);
  for (guint i = 0; i < 30; i++)
    g_string_append_c (line, i < filled ? '#' : '.');
  g_string_append_printf (line, "] %3d%%", (gint) (fraction * 100.0));
  if (detail != NULL)
    g_string_append_printf (line, "  %s", detail);
  /* Blank out what a longer line before left. */
  while (line->len < progress->last_width)
    g_string_append_c (line, ' ');
  progress->last_width = line->len;
  fputs (line->str, stderr);
  fflush (stderr);
}

void
dvr_tool_progress_clear (DvrToolProgress *progress)
{
  if (!dvr_tool_progress_is_shown (progress) || progress->last_width == 0)
    return;
  fprintf (stderr, "\r%*s\r", (int) progress->last_width, "");
  fflush (stderr);
  progress->last_width = 0;
  progress->last_draw_us = 0;
}

/* ------------------------------------------------------------------ */
/* Files */

static gchar *
hex_digest (const guint8 *digest, guint length)
{
  GString *hex = g_string_sized_new (length * 2);

  for (guint i = 0; i < length; i++)
    g_string_append_printf (hex, "%02x", digest[i]);
  return g_string_free (hex, FALSE);
}

gchar *
dvr_tool_sha256_data (const guint8 *data, gsize length)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;

  if (EVP_Digest (data, length, digest, &digest_length, EVP_sha256 (), NULL) != 1)
    return NULL;
  return hex_digest (digest, digest_length);
}

/* read(), not mmap(): a drive failing under us must give EIO, not SIGBUS. */
gboolean
dvr_tool_sha256_file (const gchar *path, DvrToolProgress *progress, const gchar *label,
                      gchar **sha256, guint64 *size, GError **error)
{
  g_autoptr (EVP_MD_CTX) context = EVP_MD_CTX_new ();
  g_autofree guint8 *buffer = NULL;
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  guint64 total = 0;
  struct stat st;
  dvr_autofd fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return dvr_set_error_from_errno (error, errno, "open", path);
  if (fstat (fd, &st) < 0)
    return dvr_set_error_from_errno (error, errno, "stat", path);
  if (context == NULL || EVP_DigestInit_ex (context, EVP_sha256 (), NULL) != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "hash %s: libcrypto has no SHA-256",
        path);
    return FALSE;
  }
  buffer = g_malloc (HASH_CHUNK);
  for (;;) {
    ssize_t n = read (fd, buffer, HASH_CHUNK);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return dvr_set_error_from_errno (error, errno, "read", path);
    }
    if (n == 0)
      break;
    EVP_DigestUpdate (context, buffer, n);
    total += n;
    if (label != NULL && st.st_size > 0)
      dvr_tool_progress_update (progress, label, (gdouble) total / st.st_size, NULL);
  }
  EVP_DigestFinal_ex (context, digest, &digest_length);
  *sha256 = hex_digest (digest, digest_length);
  if (size != NULL)
    *size = total;
  return TRUE;
}

gboolean
dvr_tool_write_new_file (const gchar *path, const gchar *data, gsize length, GError **error)
{
  dvr_autofd fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  gsize done = 0;

  if (fd < 0)
    return dvr_set_error_from_errno (error, errno, "create", path);
  while (done < length) {
    ssize_t n = write (fd, data + done, length - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return dvr_set_error_from_errno (error, errno, "write", path);
    }
    done += n;
  }
  if (fdatasync (fd) < 0)
    return dvr_set_error_from_errno (error, errno, "fdatasync", path);
  return TRUE;
}

static void
markup_text (GMarkupParseContext *context, const gchar *text, gsize text_len,
             gpointer user_data, GError **error)
{
  g_string_append_len (user_data, text, text_len);
}

/* @text with its entities and character references replaced, or NULL if
 * it is not well-formed markup text (then left as it is: it fails to parse
 * as JSON and is counted as damaged). */
gchar *
dvr_tool_markup_unescape (const gchar *text)
{
  static const GMarkupParser parser = { .text = markup_text };
  g_autoptr (GString) plain = g_string_new (NULL);
  g_autoptr (GMarkupParseContext) context =
      g_markup_parse_context_new (&parser, 0, plain, NULL);

  if (!g_markup_parse_context_parse (context, "<t>", -1, NULL) ||
      !g_markup_parse_context_parse (context, text, -1, NULL) ||
      !g_markup_parse_context_parse (context, "</t>", -1, NULL) ||
      !g_markup_parse_context_end_parse (context, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&plain), FALSE);
}


/* ------------------------------------------------------------------ */
/* JSON output */

/* The shortest decimal that reads back as exactly @value. */
void
dvr_tool_append_double (GString *out, gdouble value)
{
  static const gchar *formats[] = { "%.15g", "%.16g", "%.17g" };
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_ascii_formatd (buf, sizeof buf, formats[i], value);
    if (g_ascii_strtod (buf, NULL) == value)
      break;
  }
  /* A negative zero written "-0" would read back as the integer 0. */
  if (value == 0.0 && signbit (value))
    g_strlcpy (buf, "-0.0", sizeof buf);
  g_string_append (out, buf);
}

void
dvr_tool_append_json_string (GString *out, const gchar *text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');
  for (const gchar *p = valid; *p != '\0'; p++) {
    guchar c = *p;
    if (c == '"' || c == '\\')
      g_string_append_printf (out, "\\%c", c);
    else if (c < 0x20)
      g_string_append_printf (out, "\\u%04x", c);
    else
      g_string_append_c (out, c);
  }
  g_string_append_c (out, '"');
}

static void
append_json_time (GString *out, const gchar *key, gint64 ns)
{
  g_autofree gchar *iso = dvr_utc_format_iso8601 (ns);

  g_string_append_printf (out, ",\"%s\":\"%s\",\"%s_ns\":%" G_GINT64_FORMAT, key, iso, key, ns);
}

static void
append_json_double (GString *out, const gchar *key, gdouble value)
{
  if (!isfinite (value))
    return;
  g_string_append_printf (out, ",\"%s\":", key);
  dvr_tool_append_double (out, value);
}


/* ------------------------------------------------------------------ */
/* The track: reports to stretches of positions */

gboolean
dvr_track_position_known (const DvrGpsFix *fix)
{
  return fix->mode >= DVR_GPS_MODE_2D && isfinite (fix->lat) && isfinite (fix->lon);
}

/* Replaces the unknown fields of @later by those of @earlier (the same
 * epoch: gpsd reports an epoch once per sentence until it has learnt the
 * receiver's cycle, each report more complete). */
static void
fix_fill_from (DvrGpsFix *later, const DvrGpsFix *earlier)
{
  gdouble *const dst[] = { &later->alt_hae, &later->alt_msl, &later->speed, &later->track,
                           &later->climb, &later->eph, &later->epv, &later->eps };
  const gdouble src[] = { earlier->alt_hae, earlier->alt_msl, earlier->speed, earlier->track,
                          earlier->climb, earlier->eph, earlier->epv, earlier->eps };

  for (guint i = 0; i < G_N_ELEMENTS (dst); i++)
    if (!isfinite (*dst[i]))
      *dst[i] = src[i];
  if (later->sats_used < 0)
    later->sats_used = earlier->sats_used;
  if (later->sats_visible < 0)
    later->sats_visible = earlier->sats_visible;
  later->received_utc_ns = earlier->received_utc_ns;
  later->received_mono_ns = earlier->received_mono_ns;
}

/* How many of the latest points an epoch is looked for in. */
#define EPOCH_LOOKBACK 4

/* Positions in arrival order, one per receiver epoch, as GArrays of
 * DvrGpsFix: a new stretch begins after a report without a position, GPS
 * lost, or STRETCH_GAP_NS without a report. */
GPtrArray *
dvr_track_build_stretches (GArray *reports)
{
  GPtrArray *stretches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  GArray *current = NULL;
  gint64 last_received = G_MININT64;

  for (guint i = 0; i < reports->len; i++) {
    const DvrTrackReport *report = &g_array_index (reports, DvrTrackReport, i);
    const DvrGpsFix *fix = &report->fix;
    DvrGpsFix *last;

    if (report->lost || !dvr_track_position_known (fix)) {
      current = NULL;
      continue;
    }
    if (current != NULL && fix->received_utc_ns != G_MININT64 &&
        last_received != G_MININT64 && fix->received_utc_ns - last_received > STRETCH_GAP_NS)
      current = NULL;
    last_received = fix->received_utc_ns;
    if (current == NULL) {
      current = g_array_new (FALSE, FALSE, sizeof (DvrGpsFix));
      g_ptr_array_add (stretches, current);
    }
    /* The same epoch as a recent point: one point.  Not only the last one:
     * from several cameras' tracks, reports of two epochs that gpsd sent
     * milliseconds apart can arrive interleaved (each camera stamps the
     * report on its own next frame), and merging only neighbours then
     * wrote an epoch twice. */
    last = NULL;
    for (guint j = current->len; fix->time_ns != G_MININT64 && j > 0 &&
         j + EPOCH_LOOKBACK > current->len; j--) {
      DvrGpsFix *point = &g_array_index (current, DvrGpsFix, j - 1);
      if (point->time_ns == fix->time_ns) {
        last = point;
        break;
      }
    }
    if (last != NULL) {
      DvrGpsFix merged = *fix;
      fix_fill_from (&merged, last);
      /* An earlier point keeps its place (and its receive time). */
      if (last != &g_array_index (current, DvrGpsFix, current->len - 1))
        merged.received_utc_ns = last->received_utc_ns;
      *last = merged;
    } else {
      g_array_append_val (current, *fix);
    }
  }
  return stretches;
}

guint
dvr_track_count_points (GPtrArray *stretches)
{
  guint n = 0;

  for (guint i = 0; i < stretches->len; i++)
    n += ((GArray *) g_ptr_array_index (stretches, i))->len;
  return n;
}


/* ------------------------------------------------------------------ */
/* GPX 1.1 */

static void
append_xml_text (GString *out, const gchar *text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  g_autofree gchar *escaped = g_markup_escape_text (valid, -1);

  g_string_append (out, escaped);
}

/* GPX's <ele> is above mean sea level, as receivers and GPX writers use it.
 * GPX 1.1 has no speed or course: they go in Garmin's TrackPointExtension
 * v2 (gpxtpx:speed, m/s; gpxtpx:course, degrees true), which keeps the file
 * valid against the schemas.  GPX 1.0's <speed> and <course> in a 1.1
 * file would reach more readers (GPSBabel 1.8 reads those and ignores the
 * extension) but make the file invalid; the GeoJSON output has both as
 * properties. */
void
dvr_track_write_gpx (GString *out, GPtrArray *stretches, const gchar *creator,
                     const gchar *name, const gchar *description)
{
  g_string_append (out,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<gpx version=\"1.1\" creator=\"");
  append_xml_text (out, creator);
  g_string_append (out, " " DVR_VERSION "\"\n"
      "     xmlns=\"http://www.topografix.com/GPX/1/1\"\n"
      "     xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v2\"\n"
      "     xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
      "     xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 "
      "http://www.topografix.com/GPX/1/1/gpx.xsd "
      "http://www.garmin.com/xmlschemas/TrackPointExtension/v2 "
      "https://www8.garmin.com/xmlschemas/TrackPointExtensionv2.xsd\">\n"
      "  <metadata>\n    <desc>");
  append_xml_text (out, description);
  g_string_append (out, "</desc>\n  </metadata>\n  <trk>\n");
  if (name != NULL) {
    g_string_append (out, "    <name>");
    append_xml_text (out, name);
    g_string_append (out, "</name>\n");
  }
  g_string_append (out, "    <src>dvrd</src>\n");
  for (guint s = 0; s < stretches->len; s++) {
    GArray *stretch = g_ptr_array_index (stretches, s);

    g_string_append (out, "    <trkseg>\n");
    for (guint i = 0; i < stretch->len; i++) {
      const DvrGpsFix *fix = &g_array_index (stretch, DvrGpsFix, i);
      gboolean speed = isfinite (fix->speed), course = isfinite (fix->track);

      g_string_append (out, "      <trkpt lat=\"");
      dvr_tool_append_double (out, fix->lat);
      g_string_append (out, "\" lon=\"");
      dvr_tool_append_double (out, fix->lon);
      g_string_append (out, "\">");
      if (isfinite (fix->alt_msl)) {
        g_string_append (out, "<ele>");
        dvr_tool_append_double (out, fix->alt_msl);
        g_string_append (out, "</ele>");
      }
      if (fix->time_ns != G_MININT64) {
        g_autofree gchar *time = dvr_utc_format_iso8601 (fix->time_ns);
        g_string_append_printf (out, "<time>%s</time>", time);
      }
      g_string_append_printf (out, "<fix>%s</fix>", fix->mode >= DVR_GPS_MODE_3D ? "3d" : "2d");
      if (fix->sats_used >= 0)
        g_string_append_printf (out, "<sat>%d</sat>", fix->sats_used);
      if (speed || course) {
        g_string_append (out, "<extensions><gpxtpx:TrackPointExtension>");
        if (speed) {
          g_string_append (out, "<gpxtpx:speed>");
          dvr_tool_append_double (out, fix->speed);
          g_string_append (out, "</gpxtpx:speed>");
        }
        if (course) {
          /* The schema's course is [0, 360). */
          g_string_append (out, "<gpxtpx:course>");
          dvr_tool_append_double (out, fix->track >= 360.0 ? fmod (fix->track, 360.0) : fix->track);
          g_string_append (out, "</gpxtpx:course>");
        }
        g_string_append (out, "</gpxtpx:TrackPointExtension></extensions>");
      }
      g_string_append (out, "</trkpt>\n");
    }
    g_string_append (out, "    </trkseg>\n");
  }
  g_string_append (out, "  </trk>\n</gpx>\n");
}


/* ------------------------------------------------------------------ */
/* GeoJSON (RFC 7946) */

static void
append_position (GString *out, const DvrGpsFix *fix)
{
  g_string_append_c (out, '[');
  dvr_tool_append_double (out, fix->lon);
  g_string_append_c (out, ',');
  dvr_tool_append_double (out, fix->lat);
  g_string_append_c (out, ']');
}

/* One LineString feature per stretch of two or more positions, then one
 * Point feature per position with the report's fields as properties.
 * Positions are [lon, lat]: altitudes are properties, since RFC 7946's
 * third coordinate is above the ellipsoid and most tools take it for
 * mean sea level. */
void
dvr_track_write_geojson (GString *out, GPtrArray *stretches, const gchar *description)
{
  gboolean first = TRUE;

  g_string_append (out, "{\"type\":\"FeatureCollection\",\"description\":");
  dvr_tool_append_json_string (out, description);
  g_string_append (out, ",\"features\":[");
  for (guint s = 0; s < stretches->len; s++) {
    GArray *stretch = g_ptr_array_index (stretches, s);
    const DvrGpsFix *head = &g_array_index (stretch, DvrGpsFix, 0);
    const DvrGpsFix *tail = &g_array_index (stretch, DvrGpsFix, stretch->len - 1);

    if (stretch->len < 2)
      continue;
    g_string_append_printf (out, "%s\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\","
        "\"coordinates\":[", first ? "" : ",");
    first = FALSE;
    for (guint i = 0; i < stretch->len; i++) {
      if (i > 0)
        g_string_append_c (out, ',');
      append_position (out, &g_array_index (stretch, DvrGpsFix, i));
    }
    g_string_append_printf (out, "]},\"properties\":{\"kind\":\"track\",\"stretch\":%u,"
        "\"points\":%u", s, stretch->len);
    if (head->time_ns != G_MININT64)
      append_json_time (out, "start", head->time_ns);
    if (tail->time_ns != G_MININT64)
      append_json_time (out, "end", tail->time_ns);
    g_string_append (out, "}}");
  }
  for (guint s = 0; s < stretches->len; s++) {
    GArray *stretch = g_ptr_array_index (stretches, s);

    for (guint i = 0; i < stretch->len; i++) {
      const DvrGpsFix *fix = &g_array_index (stretch, DvrGpsFix, i);

      g_string_append_printf (out, "%s\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
          "\"coordinates\":", first ? "" : ",");
      first = FALSE;
      append_position (out, fix);
      g_string_append_printf (out, "},\"properties\":{\"kind\":\"fix\",\"stretch\":%u,\"mode\":%d",
          s, fix->mode);
      if (fix->time_ns != G_MININT64)
        append_json_time (out, "time", fix->time_ns);
      if (fix->received_utc_ns != G_MININT64)
        append_json_time (out, "received", fix->received_utc_ns);
      append_json_double (out, "alt_msl", fix->alt_msl);
      append_json_double (out, "alt_hae", fix->alt_hae);
      append_json_double (out, "speed", fix->speed);
      append_json_double (out, "track", fix->track);
      append_json_double (out, "climb", fix->climb);
      append_json_double (out, "eph", fix->eph);
      append_json_double (out, "epv", fix->epv);
      append_json_double (out, "eps", fix->eps);
      if (fix->sats_used >= 0)
        g_string_append_printf (out, ",\"sats_used\":%d", fix->sats_used);
      if (fix->sats_visible >= 0)
        g_string_append_printf (out, ",\"sats_visible\":%d", fix->sats_visible);
      g_string_append (out, "}}");
    }
  }
  g_string_append (out, "\n]}\n");
}
