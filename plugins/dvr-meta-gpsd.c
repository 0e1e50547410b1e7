/* dvr-meta-gpsd: dvrmeta's own gpsd client.
 *
 * One thread per element: gps_open(), gps_stream(WATCH_ENABLE | WATCH_JSON),
 * then poll() on the gpsd socket and on a wake-up pipe (so that stopping
 * never waits for gpsd), gps_read() every buffered line, and turn each TPV
 * report into a "gps" structure.  A field is passed on only when libgps
 * says it was set in this report and it is finite; satellites come from the
 * latest SKY report.  When gpsd goes away the thread reports it, closes,
 * and reconnects with backoff.
 *
 * Every libgps version check of the project lives in this file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "dvr-meta-gpsd.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <gps.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* API 9 (gpsd 3.20) made fix.time a timespec and split the altitude into
 * altHAE/altMSL; Debian 12 ships API 11 (gpsd 3.22). */
#if GPSD_API_MAJOR_VERSION < 9
#error "libgps API 9 or newer (gpsd 3.20) is required"
#endif

GST_DEBUG_CATEGORY_EXTERN (dvr_meta_debug);
#define GST_CAT_DEFAULT dvr_meta_debug

#define DVR_META_GPSD_DEFAULT_HOST "localhost"
#define DVR_META_GPSD_BACKOFF_MIN_MS 500
#define DVR_META_GPSD_BACKOFF_MAX_MS 10000

struct _DvrMetaGpsd {
  gchar *host;
  gchar *port;
  DvrMetaGpsdReportFunc report_func;
  DvrMetaGpsdStateFunc state_func;
  gpointer user_data;
  GThread *thread;
  gint wake_fds[2];   /* [0] polled by the thread, [1] written by stop */
};

gboolean
dvr_meta_gpsd_parse_address (const gchar *address, gchar **host, gchar **port, GError **error)
{
  const gchar *colon = NULL;
  g_autofree gchar *h = NULL;
  g_autofree gchar *p = NULL;

  if (address == NULL)
    address = "";

  if (address[0] == '[') {
    const gchar *end = strchr (address, ']');

    if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "gpsd address \"%s\": expected [ADDRESS]:PORT", address);
      return FALSE;
    }
    h = g_strndup (address + 1, end - address - 1);
    if (end[1] == ':')
      colon = end + 1;
  } else {
    colon = strrchr (address, ':');
    if (colon != NULL && strchr (address, ':') != colon) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "gpsd address \"%s\": write an IPv6 address as [ADDRESS]:PORT", address);
      return FALSE;
    }
    h = colon != NULL ? g_strndup (address, colon - address) : g_strdup (address);
  }

  if (colon != NULL) {
    guint64 number = 0;

    if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &number, NULL)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "gpsd address \"%s\": port must be 1..65535, got \"%s\"", address, colon + 1);
      return FALSE;
    }
    p = g_strdup_printf ("%" G_GUINT64_FORMAT, number);
  } else {
    p = g_strdup (DEFAULT_GPSD_PORT);
  }

  if (h[0] == '\0') {
    g_free (h);
    h = g_strdup (DVR_META_GPSD_DEFAULT_HOST);
  }

  if (host != NULL)
    *host = g_steal_pointer (&h);
  if (port != NULL)
    *port = g_steal_pointer (&p);
  return TRUE;
}

static void
set_double (GstStructure *report, const gchar *name, gboolean is_set, gdouble value)
{
  if (is_set && isfinite (value))
    gst_structure_set (report, name, G_TYPE_DOUBLE, value, NULL);
}

/* The "gps" structure for the TPV report in @data (see dvrmeta's
 * "push-gps"). */
static GstStructure *
report_from_tpv (const struct gps_data_t *data, gboolean have_sky)
{
  const struct gps_fix_t *fix = &data->fix;
  gps_mask_t set = data->set;
  GstStructure *report;
  gint mode = CLAMP (fix->mode, MODE_NOT_SEEN, MODE_3D);
  gboolean fixed = mode >= MODE_2D;

  report = gst_structure_new ("gps", "mode", G_TYPE_INT, mode, NULL);

  if ((set & TIME_SET) && fix->time.tv_sec > 0)
    gst_structure_set (report, "time-ns", G_TYPE_INT64,
        (gint64) fix->time.tv_sec * GST_SECOND + fix->time.tv_nsec, NULL);

  if (fixed && (set & LATLON_SET) && isfinite (fix->latitude) && isfinite (fix->longitude)) {
    gst_structure_set (report, "lat", G_TYPE_DOUBLE, fix->latitude,
        "lon", G_TYPE_DOUBLE, fix->longitude, NULL);
  }
  set_double (report, "alt-hae", fixed && (set & ALTITUDE_SET), fix->altHAE);
  set_double (report, "alt-msl", fixed && (set & ALTITUDE_SET), fix->altMSL);
  set_double (report, "speed", fixed && (set & SPEED_SET), fix->speed);
  set_double (report, "track", fixed && (set & TRACK_SET), fix->track);
  set_double (report, "climb", fixed && (set & CLIMB_SET), fix->climb);
  set_double (report, "eph", fixed && (set & HERR_SET), fix->eph);
  set_double (report, "epv", fixed && (set & VERR_SET), fix->epv);
  set_double (report, "eps", fixed && (set & SPEEDERR_SET), fix->eps);

  if (have_sky) {
    gst_structure_set (report, "sats-used", G_TYPE_INT, data->satellites_used,
        "sats-visible", G_TYPE_INT, data->satellites_visible, NULL);
  }
  return report;
}

/* Waits @timeout_ms (-1: forever) for the wake-up pipe; TRUE if woken,
 * i.e. told to stop. */
static gboolean
wait_for_stop (DvrMetaGpsd *gpsd, gint timeout_ms)
{
  struct pollfd pfd = { .fd = gpsd->wake_fds[0], .events = POLLIN };

  while (poll (&pfd, 1, timeout_ms) < 0) {
    if (errno != EINTR)
      return TRUE;
  }
  return (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* Reads reports until gpsd goes away (FALSE) or we are stopped (TRUE). */
static gboolean
watch (DvrMetaGpsd *gpsd, struct gps_data_t *data, gchar **message)
{
  gboolean have_sky = FALSE;

  for (;;) {
    struct pollfd pfds[2] = {
      { .fd = data->gps_fd, .events = POLLIN },
      { .fd = gpsd->wake_fds[0], .events = POLLIN },
    };

    if (poll (pfds, G_N_ELEMENTS (pfds), -1) < 0) {
      gint e = errno;

      if (e == EINTR)
        continue;
      *message = g_strdup_printf ("poll: %s", g_strerror (e));
      return FALSE;
    }
    if (pfds[1].revents != 0)
      return TRUE;
    if (pfds[0].revents == 0)
      continue;

    /* libgps buffers what it read: drain every complete line, or a
     * report would sit there until the next one arrives. */
    do {
      gint status;

      data->set = 0;
      errno = 0;
      status = gps_read (data, NULL, 0);
      if (status < 0) {
        gint e = errno;

        *message = g_strdup_printf ("gpsd %s:%s went away (%s)", gpsd->host, gpsd->port,
            e != 0 ? g_strerror (e) : "connection closed");
        return FALSE;
      }
      if (status == 0)
        break;
      if (data->set & SATELLITE_SET)
        have_sky = TRUE;
      if (data->set & MODE_SET) {
        g_autoptr (GstStructure) report = report_from_tpv (data, have_sky);

        gpsd->report_func (report, gpsd->user_data);
      }
    } while (gps_waiting (data, 0));
  }
}

static gpointer
dvr_meta_gpsd_thread (gpointer user_data)
{
  DvrMetaGpsd *gpsd = user_data;
  gint backoff_ms = DVR_META_GPSD_BACKOFF_MIN_MS;

  for (;;) {
    struct gps_data_t data;
    g_autofree gchar *message = NULL;
    gboolean stop;

    memset (&data, 0, sizeof data);
    if (gps_open (gpsd->host, gpsd->port, &data) != 0) {
      message = g_strdup_printf ("cannot connect to gpsd %s:%s: %s", gpsd->host, gpsd->port,
          gps_errstr (errno));
      gpsd->state_func (FALSE, message, gpsd->user_data);
      if (wait_for_stop (gpsd, backoff_ms))
        break;
      backoff_ms = MIN (backoff_ms * 2, DVR_META_GPSD_BACKOFF_MAX_MS);
      continue;
    }

    if (gps_stream (&data, WATCH_ENABLE | WATCH_JSON, NULL) < 0) {
      message = g_strdup_printf ("gpsd %s:%s refused WATCH", gpsd->host, gpsd->port);
      stop = FALSE;
    } else {
      gpsd->state_func (TRUE, NULL, gpsd->user_data);
      backoff_ms = DVR_META_GPSD_BACKOFF_MIN_MS;
      stop = watch (gpsd, &data, &message);
    }
    gps_close (&data);
    if (stop)
      break;

    gpsd->state_func (FALSE, message, gpsd->user_data);
    if (wait_for_stop (gpsd, backoff_ms))
      break;
    backoff_ms = MIN (backoff_ms * 2, DVR_META_GPSD_BACKOFF_MAX_MS);
  }
  return NULL;
}

DvrMetaGpsd *
dvr_meta_gpsd_start (const gchar *address, DvrMetaGpsdReportFunc report_func,
                     DvrMetaGpsdStateFunc state_func, gpointer user_data, GError **error)
{
  g_autofree gchar *host = NULL;
  g_autofree gchar *port = NULL;
  DvrMetaGpsd *gpsd;

  if (!dvr_meta_gpsd_parse_address (address, &host, &port, error))
    return NULL;

  gpsd = g_new0 (DvrMetaGpsd, 1);
  if (pipe2 (gpsd->wake_fds, O_CLOEXEC) < 0) {
    gint e = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "pipe: %s", g_strerror (e));
    g_free (gpsd);
    return NULL;
  }
  gpsd->host = g_steal_pointer (&host);
  gpsd->port = g_steal_pointer (&port);
  gpsd->report_func = report_func;
  gpsd->state_func = state_func;
  gpsd->user_data = user_data;
  gpsd->thread = g_thread_try_new ("dvrmeta-gpsd", dvr_meta_gpsd_thread, gpsd, error);
  if (gpsd->thread == NULL) {
    close (gpsd->wake_fds[0]);
    close (gpsd->wake_fds[1]);
    g_free (gpsd->host);
    g_free (gpsd->port);
    g_free (gpsd);
    return NULL;
  }
  return gpsd;
}

void
dvr_meta_gpsd_stop (DvrMetaGpsd *gpsd)
{
  if (gpsd == NULL)
    return;

  /* Closing the write end wakes every poll() on the read end for good. */
  close (gpsd->wake_fds[1]);
  g_thread_join (gpsd->thread);
  close (gpsd->wake_fds[0]);
  g_free (gpsd->host);
  g_free (gpsd->port);
  g_free (gpsd);
}
