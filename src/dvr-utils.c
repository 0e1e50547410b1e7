/* dvr-utils: small helpers every module uses.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-utils.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>

#define HASH_CHUNK (1024 * 1024)
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)

void
dvr_fd_close (DvrFd *fd)
{
  if (*fd >= 0) {
    int e = errno;
    close (*fd);
    errno = e;
  }
  *fd = -1;
}

static gint64
clock_ns (clockid_t id)
{
  struct timespec ts;
  clock_gettime (id, &ts);
  return (gint64) ts.tv_sec * DVR_NSEC_PER_SEC + ts.tv_nsec;
}

gint64
dvr_utc_now_ns (void)
{
  return clock_ns (CLOCK_REALTIME);
}

gint64
dvr_monotonic_now_ns (void)
{
  return clock_ns (CLOCK_MONOTONIC);
}

static gboolean
utc_split (gint64 utc_ns, struct tm *tm, guint *msec)
{
  time_t secs = (time_t) (utc_ns / DVR_NSEC_PER_SEC);
  gint64 rest = utc_ns % DVR_NSEC_PER_SEC;
  if (rest < 0) {
    secs -= 1;
    rest += DVR_NSEC_PER_SEC;
  }
  *msec = (guint) (rest / DVR_NSEC_PER_MSEC);
  return gmtime_r (&secs, tm) != NULL;
}

gchar *
dvr_utc_format_iso8601 (gint64 utc_ns)
{
  struct tm tm;
  guint msec;
  if (!utc_split (utc_ns, &tm, &msec))
    return g_strdup ("invalid-time");
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
      tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}

#define ISO8601_EXAMPLES "2026-11-28T22:30:01Z or 2026-11-28T23:30:01.250+01:00"

gboolean
dvr_utc_parse_iso8601 (const gchar *text, gint64 *utc_ns, GError **error)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) time = NULL;
  const gchar *separator;
  gint64 seconds;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (utc_ns != NULL, FALSE);

  /* GLib gives a time without a zone the default zone.  The zone is the
   * part after the time's separator: Z, or an offset with + or -. */
  time = g_date_time_new_from_iso8601 (text, utc);
  if (time == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "\"%s\" is not an ISO 8601 date and time such as " ISO8601_EXAMPLES, text);
    return FALSE;
  }
  separator = strpbrk (text, "T ");
  if (separator == NULL || strpbrk (separator + 1, "Z+-") == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "\"%s\" has no time zone: add Z for UTC or an offset, as in " ISO8601_EXAMPLES, text);
    return FALSE;
  }
  seconds = g_date_time_to_unix (time);
  if (seconds <= G_MININT64 / DVR_NSEC_PER_SEC || seconds >= G_MAXINT64 / DVR_NSEC_PER_SEC) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "\"%s\" is out of range: years 1678 to 2261 only", text);
    return FALSE;
  }
  *utc_ns = seconds * DVR_NSEC_PER_SEC +
      (gint64) g_date_time_get_microsecond (time) * (DVR_NSEC_PER_SEC / G_USEC_PER_SEC);
  return TRUE;
}

gboolean
dvr_parse_time_arg (const gchar *text, gint64 now_utc_ns, gint64 *utc_ns, GError **error)
{
  gint64 unit_ns;
  guint64 count;
  gsize length;
  g_autofree gchar *digits = NULL;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (utc_ns != NULL, FALSE);

  if (g_strcmp0 (text, "now") == 0) {
    *utc_ns = now_utc_ns;
    return TRUE;
  }
  if (text[0] != '-') {
    g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
    g_autoptr (GDateTime) time = g_date_time_new_from_iso8601 (text, utc);

    /* Not a date at all: say every form this takes. */
    if (time == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "\"%s\" is not a time: expected ISO 8601 with Z or an offset "
          "(" ISO8601_EXAMPLES "), now, or a time before now (-90s, -5m, -2h)", text);
      return FALSE;
    }
    return dvr_utc_parse_iso8601 (text, utc_ns, error);
  }

  length = strlen (text);
  switch (length > 2 ? text[length - 1] : '\0') {
    case 's': unit_ns = DVR_NSEC_PER_SEC; break;
    case 'm': unit_ns = 60 * DVR_NSEC_PER_SEC; break;
    case 'h': unit_ns = 3600 * DVR_NSEC_PER_SEC; break;
    default: unit_ns = 0; break;
  }
  digits = g_strndup (text + 1, length > 2 ? length - 2 : 0);
  /* g_ascii_string_to_unsigned() would take a sign or blanks: digits only. */
  for (const gchar *p = digits; unit_ns != 0 && *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      unit_ns = 0;
  if (unit_ns == 0 ||
      !g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT64, &count, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "\"%s\" is not a time before now: expected -N followed by s, m or h "
        "(-90s, -5m, -2h)", text);
    return FALSE;
  }
  if (count > (guint64) (MAX (now_utc_ns, 0) / unit_ns)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "\"%s\" reaches back before 1970", text);
    return FALSE;
  }
  *utc_ns = now_utc_ns - (gint64) count * unit_ns;
  return TRUE;
}

gchar *
dvr_utc_format_compact (gint64 utc_ns)
{
  struct tm tm;
  guint msec;
  if (!utc_split (utc_ns, &tm, &msec))
    return g_strdup ("invalid-time");
  return g_strdup_printf ("%04d%02d%02dT%02d%02d%02d.%03uZ",
      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
      tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}

gchar *
dvr_utc_format_day (gint64 utc_ns)
{
  struct tm tm;
  guint msec;
  if (!utc_split (utc_ns, &tm, &msec))
    return g_strdup ("invalid-day");
  return g_strdup_printf ("%04d-%02d-%02d",
      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

gboolean
dvr_set_error_from_errno (GError **error, int saved_errno,
    const gchar *what, const gchar *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
      "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

gboolean
dvr_fsync_directory (const gchar *path, GError **error)
{
  dvr_autofd fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return dvr_set_error_from_errno (error, errno, "open", path);
  if (fsync (fd) < 0)
    return dvr_set_error_from_errno (error, errno, "fsync", path);
  return TRUE;
}

gboolean
dvr_mkdir_durable (const gchar *path, GError **error)
{
  g_autofree gchar *parent = NULL;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return TRUE;
  parent = g_path_get_dirname (path);
  if (g_strcmp0 (parent, path) != 0 && !dvr_mkdir_durable (parent, error))
    return FALSE;
  if (mkdir (path, 0750) < 0 && errno != EEXIST)
    return dvr_set_error_from_errno (error, errno, "mkdir", path);
  return dvr_fsync_directory (parent, error);
}

gboolean
dvr_file_hash_and_sync (const gchar *path, gchar **sha256_out,
    guint64 *size_out, GError **error)
{
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  guint64 total = 0;
  dvr_autofd fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return dvr_set_error_from_errno (error, errno, "open", path);
  if (ctx == NULL || EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL) != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "hash %s: no SHA-256", path);
    return FALSE;
  }
  /* Hashing is the storage thread's main cost (docs/benchmarks.md):
   * OpenSSL's SHA-256 is several times faster than GLib's.  read(), not
   * mmap(): a drive failing under us must give EIO, not SIGBUS. */
  {
    g_autofree guint8 *buf = g_malloc (HASH_CHUNK);
    for (;;) {
      ssize_t n = read (fd, buf, HASH_CHUNK);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return dvr_set_error_from_errno (error, errno, "read", path);
      }
      if (n == 0)
        break;
      EVP_DigestUpdate (ctx, buf, n);
      total += n;
    }
  }
  EVP_DigestFinal_ex (ctx, digest, &digest_len);
  /* fdatasync through a read-only descriptor flushes the file's dirty pages
   * all the same: it acts on the inode, not on the descriptor. */
  if (fdatasync (fd) < 0)
    return dvr_set_error_from_errno (error, errno, "fdatasync", path);
  if (sha256_out != NULL) {
    GString *hex = g_string_sized_new (digest_len * 2);
    for (unsigned int i = 0; i < digest_len; i++)
      g_string_append_printf (hex, "%02x", digest[i]);
    *sha256_out = g_string_free (hex, FALSE);
  }
  if (size_out != NULL)
    *size_out = total;
  return TRUE;
}
