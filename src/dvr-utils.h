/* dvr-utils: small helpers every module uses (fd ownership, time, durable writes).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* GLib 2.74 has neither g_autofd nor g_clear_fd: an owned file descriptor
 * that closes itself.  -1 means "none". */
typedef int DvrFd;
void dvr_fd_close (DvrFd *fd);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DvrFd, dvr_fd_close)
#define dvr_autofd g_auto (DvrFd)

#define DVR_NSEC_PER_SEC G_GINT64_CONSTANT (1000000000)
#define DVR_NSEC_PER_MSEC G_GINT64_CONSTANT (1000000)

/* Wall-clock UTC and CLOCK_MONOTONIC, in nanoseconds. */
gint64 dvr_utc_now_ns (void);
gint64 dvr_monotonic_now_ns (void);

/* "2026-11-28T19:37:31.123Z" (ISO 8601, UTC, millisecond precision).
 * Returns a newly allocated string. */
gchar *dvr_utc_format_iso8601 (gint64 utc_ns);
/* Parses an ISO 8601 date and time that names its zone: a Z or a numeric
 * offset ("2026-11-28T22:30:01Z", "2026-11-28T23:30:01.250+01:00"), in any
 * form g_date_time_new_from_iso8601() reads.  A time without a zone is
 * refused: it would mean the local zone of whoever reads it.  Microsecond
 * precision (finer digits are dropped).  The error (G_IO_ERROR_INVALID_ARGUMENT)
 * quotes @text; callers prefix it with the option or member it came from. */
gboolean dvr_utc_parse_iso8601 (const gchar *text, gint64 *utc_ns, GError **error);

/* A time given on a command line: what dvr_utc_parse_iso8601() takes, or
 * "now", or a time before @now_utc_ns: "-90s", "-5m", "-2h" (a whole number
 * of seconds, minutes or hours).  Same errors as dvr_utc_parse_iso8601(). */
gboolean dvr_parse_time_arg (const gchar *text,
                             gint64 now_utc_ns,
                             gint64 *utc_ns,
                             GError **error);

/* "20261128T193731.123Z", the compact form used in file names. */
gchar *dvr_utc_format_compact (gint64 utc_ns);
/* "2026-11-28", the per-day folder name. */
gchar *dvr_utc_format_day (gint64 utc_ns);

/* fsync() the directory @path so that entries created in it are durable. */
gboolean dvr_fsync_directory (const gchar *path, GError **error);

/* Make @path and its parents (mode 0750), then fsync each parent whose
 * entry was created, so that the new folders survive a power loss. */
gboolean dvr_mkdir_durable (const gchar *path, GError **error);

/* Reads @path to the end computing its SHA-256 (lowercase hex, newly
 * allocated into @sha256_out), fdatasync()s it and returns its size in
 * @size_out.  Blocks on the disk: never call it on the main loop or a
 * streaming thread. */
gboolean dvr_file_hash_and_sync (const gchar *path,
                                 gchar **sha256_out,
                                 guint64 *size_out,
                                 GError **error);

/* Sets @error from the saved errno @saved_errno: "WHAT PATH: strerror". */
gboolean dvr_set_error_from_errno (GError **error,
                                   int saved_errno,
                                   const gchar *what,
                                   const gchar *path);

G_END_DECLS
