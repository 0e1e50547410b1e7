/* dvr-tool-util: what the workstation tools (dvr-list, dvr-track,
 * dvr-export, dvr-verify) share: the storage root's catalog opened
 * read-only, times on the command line and in local time, SHA-256 of
 * files, a progress bar, the GPS track as GPX and GeoJSON.
 *
 * Tools only: nothing in src/ includes this.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "dvr-catalog.h"
#include "dvr-gps-fix.h"

G_BEGIN_DECLS

/* Exit statuses every tool uses. */
enum {
  DVR_TOOL_EXIT_OK = 0,
  DVR_TOOL_EXIT_FAILED = 1,
  DVR_TOOL_EXIT_USAGE = 2,
};

/* ---- Times ---- */

/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z" to ns.  UTC only: a time without a zone
 * would mean the workstation's, which is not the vehicle's.  The error
 * (G_OPTION_ERROR_BAD_VALUE) quotes @text with examples. */
gboolean dvr_tool_parse_utc (const gchar *text, gint64 *utc_ns, GError **error);

/* @utc_ns in the workstation's time zone (TZ), with its offset:
 * "2026-11-29T04:12:03.120-05:00".  Newly allocated. */
gchar *dvr_tool_format_local (gint64 utc_ns);

/* ---- The storage root ---- */

/* Opens ROOT's catalog read-only (dvr_catalog_open() copes with a drive
 * mounted read-only); "ROOT: no catalog (catalog.sqlite3) there: not a
 * dvrd storage root" when there is none. */
DvrCatalog *dvr_tool_open_catalog (const gchar *root, GError **error);

/* ---- Files ---- */

typedef struct _DvrToolProgress DvrToolProgress;

/* A one-line progress bar on stderr, drawn only when stderr is a terminal
 * (and then at most ten times a second): "LABEL [#####.....]  45%  DETAIL".
 * Otherwise every call does nothing. */
DvrToolProgress *dvr_tool_progress_new (void);
void dvr_tool_progress_free (DvrToolProgress *progress);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrToolProgress, dvr_tool_progress_free)
gboolean dvr_tool_progress_is_shown (DvrToolProgress *progress);
/* @fraction in [0, 1]; @detail may be NULL. */
void dvr_tool_progress_update (DvrToolProgress *progress, const gchar *label,
                               gdouble fraction, const gchar *detail);
/* Erases the bar, so that the next line printed starts clean. */
void dvr_tool_progress_clear (DvrToolProgress *progress);

/* The lowercase hex SHA-256 of the whole of @path (libcrypto's, as the
 * catalog's hashes are made) and its size.  @progress (may be NULL) shows
 * @label while it reads.  Errors name @path. */
gboolean dvr_tool_sha256_file (const gchar *path, DvrToolProgress *progress,
                               const gchar *label, gchar **sha256, guint64 *size,
                               GError **error);
gchar *dvr_tool_sha256_data (const guint8 *data, gsize length);

/* Writes @length bytes to @path (created, must not exist: O_EXCL), then
 * fdatasync()s it.  Errors name @path. */
gboolean dvr_tool_write_new_file (const gchar *path, const gchar *data, gsize length,
                                  GError **error);

/* @text with its markup entities and character references replaced, or NULL
 * if it is not well-formed markup text.  matroskademux hands S_TEXT/UTF8
 * out as Pango markup, escaped; this gives the bytes in the file back. */
gchar *dvr_tool_markup_unescape (const gchar *text);

/* ---- JSON output ---- */

/* The shortest decimal that reads back as exactly @value ("-0.0" for
 * negative zero). */
void dvr_tool_append_double (GString *out, gdouble value);
/* @text as a JSON string (invalid UTF-8 replaced). */
void dvr_tool_append_json_string (GString *out, const gchar *text);

/* ---- The GPS track ---- */

/* One GPS report as dvrd had it.  From the catalog, fix.received_utc_ns is
 * when dvrd read it; from files, the UTC of the frame whose JSON sample
 * first carried it (a frame or so later). */
typedef struct {
  DvrGpsFix fix;
  gboolean lost;          /* files: a sample saying gps_lost; fix unused */
} DvrTrackReport;

gboolean dvr_track_position_known (const DvrGpsFix *fix);

/* Positions in arrival order, one per receiver epoch, as GArrays of
 * DvrGpsFix ("stretches"): a new stretch begins after a report without a
 * position, GPS lost, or 5 s without a report.  @reports: DvrTrackReport. */
GPtrArray *dvr_track_build_stretches (GArray *reports);
guint dvr_track_count_points (GPtrArray *stretches);

/* GPX 1.1 and RFC 7946 GeoJSON of @stretches (docs/tools.md).  @creator:
 * the writing tool ("dvr-track"), @name: the track's name or NULL. */
void dvr_track_write_gpx (GString *out, GPtrArray *stretches, const gchar *creator,
                          const gchar *name, const gchar *description);
void dvr_track_write_geojson (GString *out, GPtrArray *stretches, const gchar *description);

G_END_DECLS
