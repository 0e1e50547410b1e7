/* dvr-gps: position reports from gpsd, read through libgps on the main loop.
 *
 * Reading.  libgps's gps_read() hands out one JSON line per call from its
 * own buffer and only calls recv() when that buffer holds no complete line,
 * so one readable event can carry many lines and every one must be read
 * before going back to the main loop (the socket will not wake us for bytes
 * already in libgps's buffer).  The socket is made non-blocking, so the
 * recv() that finds nothing more returns EAGAIN, which gps_read() reports as
 * 0: that ends the loop.  EOF and errors are -1.
 *
 * Flags.  libgps 3.22 does not clear gps_data_t.set between reports (a SKY
 * keeps the TPV's LATLON_SET, a TPV keeps SKY's SATELLITE_SET) and keeps the
 * last TPV's values in gps_data_t.fix.  So .set is cleared before every
 * gps_read(), the report's class is taken from the line itself, and a
 * field is used only when its flag (or, for fields libgps has no flag for,
 * a value other than NaN) says this line carried it.
 *
 * Trust.  A field is taken only when the mode makes it meaningful (gpsd's
 * documentation: position, speed and track need 2D, altitude and climb 3D)
 * and only when it is finite and in range; a field gpsd sent but that fails
 * that is dropped and counted (invalid_fields), the rest of the report kept.
 * gpsd itself already drops most garbage NMEA; what it passes on (e.g.
 * gpsd 3.22 turns a negative RMC speed into a negative TPV speed) is
 * caught here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "dvr-gps"

#include "dvr-gps.h"
#include "dvr-utils.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <gps.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Every libgps version difference is dealt with here and nowhere else.
 * API 9 (gpsd 3.20) made fix.time a timespec and added altHAE/altMSL; API 11
 * (gpsd 3.22, Debian 12) is what this is written and tested against.  API 12
 * (gpsd 3.23) moved gps_data_t.status into fix.status, which is not used. */
#if GPSD_API_MAJOR_VERSION < 9
#error "dvr-gps needs libgps API 9 or newer (gpsd 3.20+)"
#endif

/* libgps keeps at most 2 x GPS_JSON_RESPONSE_MAX (4096) bytes of a line. */
#define LINE_MAX_BYTES 8192
#define OFFSET_WINDOW 16
#define OFFSET_MAX_AGE_NS (10 * DVR_NSEC_PER_SEC)
/* No receiver reports a time before GPS's epoch, 1980-01-06. */
#define GPS_EPOCH_UNIX_S G_GINT64_CONSTANT (315964800)
#define TIME_MAX_S (G_MAXINT64 / DVR_NSEC_PER_SEC - 1)

struct _DvrGps {
  GObject parent;

  gchar *host;               /* never NULL: gps_open()'s defaults filled in */
  gchar *port;
  GMainContext *context;
  gint64 backoff_min_ns;
  gint64 backoff_max_ns;
  gint64 time_jump_ns;

  gboolean started;
  DvrGpsState state;
  GCancellable *connect_cancellable; /* the connect in flight, or NULL */
  struct gps_data_t *gps;    /* the connection, NULL unless CONNECTED */
  GSource *read_source;
  GSource *retry_source;
  gint64 backoff_ns;         /* delay of the next retry */
  gint64 retry_delay_ns;     /* delay of the scheduled retry, 0 if none */
  guint connections;
  gboolean line_seen;        /* this connection delivered a line */
  gboolean failure_logged;   /* a failed attempt was logged since the last success */
  gboolean time_jump_logged; /* this connection */
  gboolean have_fix;         /* the last report had mode >= 2 */
  gchar *last_error;

  gint sats_used;            /* from the latest SKY of this connection */
  gint sats_visible;
  gint64 prev_time_ns;       /* the last timed report, for time jumps */
  gint64 prev_time_mono_ns;
  gint64 offsets[OFFSET_WINDOW];
  guint n_offsets;
  guint next_offset;
  gint64 offset_mono_ns;     /* when the newest offset sample arrived */

  gboolean have_last_fix;
  DvrGpsFix last_fix;
  DvrGpsCounters counters;
  gchar line[LINE_MAX_BYTES + 1];
};

G_DEFINE_TYPE (DvrGps, dvr_gps, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (DvrGpsFix, dvr_gps_fix, dvr_gps_fix_copy, dvr_gps_fix_free)

enum {
  SIGNAL_FIX,
  SIGNAL_STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_connect (DvrGps *self);

DvrGpsFix *
dvr_gps_fix_copy (const DvrGpsFix *fix)
{
  g_return_val_if_fail (fix != NULL, NULL);
  return g_memdup2 (fix, sizeof *fix);
}

void
dvr_gps_fix_free (DvrGpsFix *fix)
{
  g_free (fix);
}

const gchar *
dvr_gps_state_to_string (DvrGpsState state)
{
  switch (state) {
  case DVR_GPS_STATE_DISCONNECTED:
    return "disconnected";
  case DVR_GPS_STATE_CONNECTING:
    return "connecting";
  case DVR_GPS_STATE_CONNECTED:
    return "connected";
  }
  return NULL;
}

static void
gps_data_free (struct gps_data_t *gps)
{
  gps_close (gps);
  g_free (gps);
}

/* The connect, in a worker thread. */

typedef struct {
  gchar *host;
  gchar *port;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  g_free (data->host);
  g_free (data->port);
  g_free (data);
}

/* gps_stream() write()s the WATCH request, and a gpsd that closed the
 * connection meanwhile (a crash loop) would raise SIGPIPE, whose default
 * action ends dvrd.  So SIGPIPE is blocked in this worker thread around the
 * write, the one the write raised (thread-directed, so ours) is taken off
 * before the old mask comes back, and the write fails with EPIPE instead. */
static int
gps_stream_without_sigpipe (struct gps_data_t *gps)
{
  sigset_t pipe_set, old_set, pending;
  gboolean was_pending;
  int rc, saved_errno;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_set);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  errno = 0;
  rc = gps_stream (gps, WATCH_ENABLE | WATCH_JSON, NULL);
  saved_errno = errno;
  if (rc != 0 && saved_errno == EPIPE && !was_pending) {
    const struct timespec no_wait = { 0, 0 };
    while (sigtimedwait (&pipe_set, NULL, &no_wait) < 0 && errno == EINTR)
      ;
  }
  pthread_sigmask (SIG_SETMASK, &old_set, NULL);
  errno = saved_errno;
  return rc;
}

/* Blocks: name lookup and TCP connect (gps_open() has no timeout), then the
 * WATCH request.  Owns the gps_data_t until it is returned. */
static void
connect_thread (GTask *task, gpointer source_object, gpointer task_data,
    GCancellable *cancellable)
{
  ConnectData *data = task_data;
  g_autofree struct gps_data_t *gps = g_new0 (struct gps_data_t, 1);
  int flags;

  /* gps_open() reports libgps's own (negative) codes through errno, which
   * gps_errstr() turns into words. */
  errno = 0;
  if (gps_open (data->host, data->port, gps) != 0) {
    int saved_errno = errno;
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
        gps_errstr (saved_errno));
    return;
  }
  if (gps_stream_without_sigpipe (gps) != 0) {
    int saved_errno = errno;
    gps_close (gps);
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
        "send WATCH: %s", g_strerror (saved_errno));
    return;
  }
  flags = fcntl (gps->gps_fd, F_GETFL);
  if (flags < 0 || fcntl (gps->gps_fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
      fcntl (gps->gps_fd, F_SETFD, FD_CLOEXEC) < 0) {
    int saved_errno = errno;
    gps_close (gps);
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
        "set socket flags: %s", g_strerror (saved_errno));
    return;
  }
  g_task_return_pointer (task, g_steal_pointer (&gps), (GDestroyNotify) gps_data_free);
}

/* State, retries, teardown. */

static void
set_state (DvrGps *self, DvrGpsState state)
{
  if (self->state == state)
    return;
  g_debug ("gpsd at %s:%s: %s -> %s", self->host, self->port,
      dvr_gps_state_to_string (self->state), dvr_gps_state_to_string (state));
  self->state = state;
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (gint) state);
}

static void
forget_connection_data (DvrGps *self)
{
  self->sats_used = self->sats_visible = -1;
  self->n_offsets = self->next_offset = 0;
  self->have_fix = FALSE;
  self->time_jump_logged = FALSE;
}

/* Closes the connection and drops what is tied to it; emits nothing. */
static void
close_connection (DvrGps *self)
{
  if (self->read_source != NULL) {
    g_source_destroy (self->read_source);
    g_clear_pointer (&self->read_source, g_source_unref);
  }
  g_clear_pointer (&self->gps, gps_data_free);
  forget_connection_data (self);
}

static void
cancel_pending (DvrGps *self)
{
  if (self->connect_cancellable != NULL) {
    g_cancellable_cancel (self->connect_cancellable);
    g_clear_object (&self->connect_cancellable);
  }
  if (self->retry_source != NULL) {
    g_source_destroy (self->retry_source);
    g_clear_pointer (&self->retry_source, g_source_unref);
  }
  self->retry_delay_ns = 0;
}

static gboolean
on_retry (gpointer user_data)
{
  DvrGps *self = user_data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  start_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (DvrGps *self)
{
  self->retry_delay_ns = self->backoff_ns;
  self->backoff_ns = MIN (self->backoff_ns * 2, self->backoff_max_ns);
  self->retry_source = g_timeout_source_new ((guint) MIN (self->retry_delay_ns / DVR_NSEC_PER_MSEC,
      G_MAXUINT));
  g_source_set_callback (self->retry_source, on_retry, self, NULL);
  g_source_attach (self->retry_source, self->context);
}

/* The retry is scheduled before the state change is announced, so that a
 * handler sees its delay, and may cancel it with dvr_gps_stop(). */
static void
fail (DvrGps *self, const gchar *reason, gboolean was_connected)
{
  g_free (self->last_error);
  self->last_error = g_strdup (reason);
  close_connection (self);
  schedule_retry (self);
  if (was_connected) {
    g_message ("lost gpsd at %s:%s: %s; reconnecting", self->host, self->port, reason);
  } else if (!self->failure_logged) {
    g_message ("gpsd at %s:%s unavailable: %s; retrying, at most every %g s",
        self->host, self->port, reason, self->backoff_max_ns / 1e9);
    self->failure_logged = TRUE;
  } else {
    g_debug ("gpsd at %s:%s unavailable: %s; retry in %" G_GINT64_FORMAT " ms",
        self->host, self->port, reason, self->retry_delay_ns / DVR_NSEC_PER_MSEC);
  }
  set_state (self, DVR_GPS_STATE_DISCONNECTED);
}

/* Reports. */

static gboolean
time_from_timespec (const struct timespec *ts, gint64 *time_ns)
{
  if (ts->tv_sec < GPS_EPOCH_UNIX_S || ts->tv_sec > TIME_MAX_S ||
      ts->tv_nsec < 0 || ts->tv_nsec >= DVR_NSEC_PER_SEC)
    return FALSE;
  *time_ns = (gint64) ts->tv_sec * DVR_NSEC_PER_SEC + ts->tv_nsec;
  return TRUE;
}

/* Takes a field into @out when this report carried it (@given) and it is
 * finite and within [min, max]; counts it when carried but not usable. */
static void
take_real (gdouble *out, gboolean given, gdouble value, gdouble min, gdouble max,
    guint *invalid)
{
  if (!given)
    return;
  if (isfinite (value) && value >= min && value <= max)
    *out = value;
  else
    (*invalid)++;
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
note_time (DvrGps *self, const DvrGpsFix *fix)
{
  if (self->prev_time_ns != G_MININT64) {
    gint64 gps_step = fix->time_ns - self->prev_time_ns;
    gint64 mono_step = fix->received_mono_ns - self->prev_time_mono_ns;

    if (gps_step < 0 || ABS (gps_step - mono_step) > self->time_jump_ns) {
      g_autofree gchar *from = dvr_utc_format_iso8601 (self->prev_time_ns);
      g_autofree gchar *to = dvr_utc_format_iso8601 (fix->time_ns);

      self->counters.time_jumps++;
      /* Once per connection: a receiver that keeps jumping would fill the
       * journal; the counter tells the rest. */
      if (!self->time_jump_logged)
        g_message ("GPS time jumped from %s to %s in %.3f s of monotonic time",
            from, to, mono_step / 1e9);
      else
        g_debug ("GPS time jumped from %s to %s", from, to);
      self->time_jump_logged = TRUE;
    }
  }
  self->prev_time_ns = fix->time_ns;
  self->prev_time_mono_ns = fix->received_mono_ns;
}

static void
note_offset (DvrGps *self, const DvrGpsFix *fix)
{
  if (fix->mode < DVR_GPS_MODE_2D) {
    /* A receiver without a fix may be running on its own clock (a cold
     * boot reports a week-rollover date): its time says nothing. */
    self->n_offsets = self->next_offset = 0;
    return;
  }
  if (fix->time_ns == G_MININT64)
    return;
  self->offsets[self->next_offset] = fix->time_ns - fix->received_utc_ns;
  self->next_offset = (self->next_offset + 1) % OFFSET_WINDOW;
  self->n_offsets = MIN (self->n_offsets + 1, OFFSET_WINDOW);
  self->offset_mono_ns = fix->received_mono_ns;
}

static void
note_mode (DvrGps *self, const DvrGpsFix *fix)
{
  gboolean have_fix = fix->mode >= DVR_GPS_MODE_2D;

  if (have_fix && !self->have_fix)
    g_message ("GPS fix (%s) from gpsd at %s:%s",
        fix->mode == DVR_GPS_MODE_3D ? "3D" : "2D", self->host, self->port);
  else if (!have_fix && self->have_fix)
    g_message ("GPS fix lost (gpsd at %s:%s)", self->host, self->port);
  self->have_fix = have_fix;
}

static void
handle_tpv (DvrGps *self)
{
  const struct gps_data_t *gps = self->gps;
  gps_mask_t set = gps->set;
  guint invalid = 0;
  DvrGpsFix fix;

  dvr_gps_fix_init (&fix);
  fix.received_utc_ns = dvr_utc_now_ns ();
  fix.received_mono_ns = dvr_monotonic_now_ns ();
  fix.sats_used = self->sats_used;
  fix.sats_visible = self->sats_visible;

  /* No MODE_SET is gpsd's MODE_NOT_SEEN: the report stands, as "unknown". */
  if (set & MODE_SET) {
    if (gps->fix.mode >= MODE_NOT_SEEN && gps->fix.mode <= MODE_3D)
      fix.mode = gps->fix.mode;
    else
      invalid++;
  }
  if ((set & TIME_SET) && !time_from_timespec (&gps->fix.time, &fix.time_ns))
    invalid++;

  if (fix.mode >= DVR_GPS_MODE_2D) {
    /* libgps 3.22 sets LATLON_SET from the longitude alone. */
    if (set & LATLON_SET) {
      if (isfinite (gps->fix.latitude) && fabs (gps->fix.latitude) <= 90.0 &&
          isfinite (gps->fix.longitude) && fabs (gps->fix.longitude) <= 180.0) {
        fix.lat = gps->fix.latitude;
        fix.lon = gps->fix.longitude;
      } else {
        invalid++;
      }
    }
    take_real (&fix.speed, (set & SPEED_SET) != 0, gps->fix.speed, 0.0, G_MAXDOUBLE, &invalid);
    take_real (&fix.track, (set & TRACK_SET) != 0, gps->fix.track, 0.0, 360.0, &invalid);
    take_real (&fix.eph, !isnan (gps->fix.eph), gps->fix.eph, 0.0, G_MAXDOUBLE, &invalid);
    take_real (&fix.eps, (set & SPEEDERR_SET) != 0, gps->fix.eps, 0.0, G_MAXDOUBLE, &invalid);
  }
  if (fix.mode == DVR_GPS_MODE_3D) {
    /* ALTITUDE_SET stands for any of altHAE, altMSL: NaN tells which. */
    if (set & ALTITUDE_SET) {
      take_real (&fix.alt_hae, !isnan (gps->fix.altHAE), gps->fix.altHAE,
          -G_MAXDOUBLE, G_MAXDOUBLE, &invalid);
      take_real (&fix.alt_msl, !isnan (gps->fix.altMSL), gps->fix.altMSL,
          -G_MAXDOUBLE, G_MAXDOUBLE, &invalid);
    }
    take_real (&fix.climb, (set & CLIMB_SET) != 0, gps->fix.climb,
        -G_MAXDOUBLE, G_MAXDOUBLE, &invalid);
    take_real (&fix.epv, (set & VERR_SET) != 0, gps->fix.epv, 0.0, G_MAXDOUBLE, &invalid);
  }

  if (invalid > 0) {
    self->counters.invalid_fields += invalid;
    g_debug ("TPV with %u invalid field(s) from gpsd: %s", invalid, self->line);
  }
  if (fix.mode >= DVR_GPS_MODE_2D)
    self->counters.fixes++;
  else
    self->counters.no_fixes++;
  if (fix.time_ns != G_MININT64)
    note_time (self, &fix);
  note_offset (self, &fix);
  note_mode (self, &fix);

  self->last_fix = fix;
  self->have_last_fix = TRUE;
  g_signal_emit (self, signals[SIGNAL_FIX], 0, &fix);
}

static void
handle_sky (DvrGps *self)
{
  const struct gps_data_t *gps = self->gps;

  if (!(gps->set & SATELLITE_SET))
    return;
  if (gps->satellites_used >= 0 && gps->satellites_visible >= gps->satellites_used) {
    self->sats_used = gps->satellites_used;
    self->sats_visible = gps->satellites_visible;
  } else {
    self->counters.invalid_fields++;
  }
}

/* One line from gpsd, already unpacked by libgps into self->gps.  @length
 * is gps_read()'s: the line's bytes including its '\n'. */
static void
handle_line (DvrGps *self, int length)
{
  gchar *line = self->line;
  gboolean complete = length <= (int) sizeof self->line;
  const gchar *class_tag;
  gsize n;

  /* libgps copies the line without its '\n'; gpsd ends lines with "\r\n". */
  g_strchomp (line);
  n = strlen (line);
  class_tag = strstr (line, "\"class\":\"");
  /* libgps skips, without a word, any line it cannot take apart: a cut or
   * garbled line shows here as not being a whole JSON object with a class. */
  if (n < 2 || line[0] != '{' || (complete && line[n - 1] != '}') || class_tag == NULL) {
    self->counters.malformed++;
    g_debug ("malformed line from gpsd: %s", line);
    return;
  }
  class_tag += strlen ("\"class\":\"");
  if (g_str_has_prefix (class_tag, "TPV\""))
    handle_tpv (self);
  else if (g_str_has_prefix (class_tag, "SKY\""))
    handle_sky (self);
  else if (g_str_has_prefix (class_tag, "ERROR\""))
    g_message ("gpsd at %s:%s reports an error: %s", self->host, self->port, line);
}

static gboolean
on_readable (gint fd, GIOCondition condition, gpointer user_data)
{
  DvrGps *self = user_data;
  /* A "fix" handler may drop the last reference. */
  g_autoptr (DvrGps) hold = g_object_ref (self);

  for (;;) {
    int length;

    /* A handler may have called dvr_gps_stop(). */
    if (self->gps == NULL)
      return G_SOURCE_REMOVE;
    self->gps->set = 0;
    errno = 0;
    length = gps_read (self->gps, self->line, sizeof self->line);
    if (length == 0)
      return G_SOURCE_CONTINUE;
    if (length < 0) {
      int saved_errno = errno;
      fail (self, saved_errno == 0 ? "connection closed by gpsd" : g_strerror (saved_errno), TRUE);
      return G_SOURCE_REMOVE;
    }
    if (!self->line_seen) {
      /* gpsd answers: this connection works, so the next failure starts
       * over from the shortest backoff. */
      self->line_seen = TRUE;
      self->backoff_ns = self->backoff_min_ns;
      self->failure_logged = FALSE;
    }
    handle_line (self, length);
  }
}

static void
connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DvrGps *self = DVR_GPS (source);
  g_autoptr (GError) error = NULL;
  struct gps_data_t *gps = g_task_propagate_pointer (G_TASK (result), &error);

  /* Stopped (and perhaps started again) meanwhile: GTask has closed the
   * connection, and this attempt is no longer ours. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->connect_cancellable);
  if (gps == NULL) {
    fail (self, error->message, FALSE);
    return;
  }

  self->gps = gps;
  self->connections++;
  if (self->connections > 1)
    self->counters.reconnects++;
  self->line_seen = FALSE;
  forget_connection_data (self);
  self->read_source = g_unix_fd_source_new (gps->gps_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_readable), self, NULL);
  g_source_attach (self->read_source, self->context);
  g_message ("connected to gpsd at %s:%s", self->host, self->port);
  set_state (self, DVR_GPS_STATE_CONNECTED);
}

static void
start_connect (DvrGps *self)
{
  g_autoptr (GTask) task = NULL;
  ConnectData *data = g_new0 (ConnectData, 1);

  self->retry_delay_ns = 0;
  self->connect_cancellable = g_cancellable_new ();
  data->host = g_strdup (self->host);
  data->port = g_strdup (self->port);
  /* The result comes back on the thread-default context at g_task_new(),
   * which is not necessarily ours when a retry timer fires. */
  g_main_context_push_thread_default (self->context);
  task = g_task_new (self, self->connect_cancellable, connect_done, NULL);
  g_main_context_pop_thread_default (self->context);
  g_task_set_source_tag (task, start_connect);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);
  g_task_run_in_thread (task, connect_thread);
  set_state (self, DVR_GPS_STATE_CONNECTING);
}

/* Public API. */

DvrGps *
dvr_gps_new (const gchar *host, const gchar *port)
{
  DvrGps *self = g_object_new (DVR_TYPE_GPS, NULL);

  self->host = g_strdup (host != NULL ? host : "localhost");
  self->port = g_strdup (port != NULL ? port : DEFAULT_GPSD_PORT);
  return self;
}

void
dvr_gps_set_backoff (DvrGps *self, gint64 min_ns, gint64 max_ns)
{
  g_return_if_fail (DVR_IS_GPS (self));
  g_return_if_fail (min_ns > 0 && max_ns >= min_ns);

  self->backoff_min_ns = min_ns;
  self->backoff_max_ns = max_ns;
  self->backoff_ns = CLAMP (self->backoff_ns, min_ns, max_ns);
}

void
dvr_gps_set_time_jump_threshold (DvrGps *self, gint64 threshold_ns)
{
  g_return_if_fail (DVR_IS_GPS (self));
  g_return_if_fail (threshold_ns >= 0);

  self->time_jump_ns = threshold_ns;
}

void
dvr_gps_start (DvrGps *self)
{
  g_return_if_fail (DVR_IS_GPS (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->backoff_ns = self->backoff_min_ns;
  self->failure_logged = FALSE;
  start_connect (self);
}

void
dvr_gps_stop (DvrGps *self)
{
  g_return_if_fail (DVR_IS_GPS (self));

  if (!self->started)
    return;
  self->started = FALSE;
  cancel_pending (self);
  close_connection (self);
  set_state (self, DVR_GPS_STATE_DISCONNECTED);
}

DvrGpsState
dvr_gps_get_state (DvrGps *self)
{
  g_return_val_if_fail (DVR_IS_GPS (self), DVR_GPS_STATE_DISCONNECTED);
  return self->state;
}

const DvrGpsFix *
dvr_gps_get_last_fix (DvrGps *self)
{
  g_return_val_if_fail (DVR_IS_GPS (self), NULL);
  return self->have_last_fix ? &self->last_fix : NULL;
}

const gchar *
dvr_gps_get_last_error (DvrGps *self)
{
  g_return_val_if_fail (DVR_IS_GPS (self), NULL);
  return self->last_error;
}

gint64
dvr_gps_get_retry_delay_ns (DvrGps *self)
{
  g_return_val_if_fail (DVR_IS_GPS (self), 0);
  return self->retry_delay_ns;
}

gint64
dvr_gps_get_clock_offset_ns (DvrGps *self)
{
  gint64 sorted[OFFSET_WINDOW];
  guint n;

  g_return_val_if_fail (DVR_IS_GPS (self), G_MININT64);

  n = self->n_offsets;
  if (n == 0 || dvr_monotonic_now_ns () - self->offset_mono_ns > OFFSET_MAX_AGE_NS)
    return G_MININT64;
  memcpy (sorted, self->offsets, n * sizeof sorted[0]);
  qsort (sorted, n, sizeof sorted[0], compare_gint64);
  if (n % 2 == 1)
    return sorted[n / 2];
  /* Halfway between the middle two, without overflowing. */
  return sorted[n / 2 - 1] + (sorted[n / 2] - sorted[n / 2 - 1]) / 2;
}

void
dvr_gps_get_counters (DvrGps *self, DvrGpsCounters *counters)
{
  g_return_if_fail (DVR_IS_GPS (self));
  g_return_if_fail (counters != NULL);
  *counters = self->counters;
}

static void
dvr_gps_dispose (GObject *object)
{
  DvrGps *self = DVR_GPS (object);

  /* A connect in flight holds a reference (its GTask), so none is left
   * here; cancel_pending() is for a retry timer. */
  self->started = FALSE;
  cancel_pending (self);
  close_connection (self);
  G_OBJECT_CLASS (dvr_gps_parent_class)->dispose (object);
}

static void
dvr_gps_finalize (GObject *object)
{
  DvrGps *self = DVR_GPS (object);

  g_free (self->host);
  g_free (self->port);
  g_free (self->last_error);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (dvr_gps_parent_class)->finalize (object);
}

static void
dvr_gps_class_init (DvrGpsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dvr_gps_dispose;
  object_class->finalize = dvr_gps_finalize;

  signals[SIGNAL_FIX] = g_signal_new ("fix",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, DVR_TYPE_GPS_FIX | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
dvr_gps_init (DvrGps *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->backoff_min_ns = DVR_GPS_BACKOFF_MIN_DEFAULT_NS;
  self->backoff_max_ns = DVR_GPS_BACKOFF_MAX_DEFAULT_NS;
  self->backoff_ns = self->backoff_min_ns;
  self->time_jump_ns = DVR_GPS_TIME_JUMP_DEFAULT_NS;
  self->state = DVR_GPS_STATE_DISCONNECTED;
  self->prev_time_ns = G_MININT64;
  self->prev_time_mono_ns = G_MININT64;
  forget_connection_data (self);
  dvr_gps_fix_init (&self->last_fix);
}
