/* dvr-daemon-power: the daemon's wiring of the vehicle's inputs, the
 * ignition lifecycle, the indicators and systemd's notifications.
 *
 *   DvrInputs (evdev, GPIO, serial, speed, accel) -> dvr_daemon_signal_changed
 *       -> catalog, tracks, events, and here: the ignition, covert mode
 *   ignition -> DvrIgnition -> cameras started / hold-over / shutdown
 *       -> main stops dvrd (finalize, checkpoint) -> power-off command
 *   every INDICATOR_INTERVAL_MS: what the recorder does -> DvrIndicators
 *   every watchdog interval: progress of every camera -> WATCHDOG=1
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-daemon-private.h"

#include <sys/wait.h>

#include "dvr-notify.h"
#include "dvr-utils.h"

/* How often the indicators are brought up to date (they change only when
 * what they show changes). */
#define INDICATOR_INTERVAL_MS 250

/* The power-off command may take this long before dvrd gives up on it. */
#define POWER_OFF_TIMEOUT_S 30

static void
on_input_changed (const gchar *signal, gboolean value, gint64 mono_ns, const gchar *source,
                  gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  g_autoptr (GError) error = NULL;
  gboolean changed = FALSE;
  gint64 utc_ns = dvr_utc_now_ns ();

  if (!dvr_signals_set (daemon->signals, signal, value, utc_ns, &changed, &error)) {
    g_warning ("input: %s", error->message);
    return;
  }
  if (changed)
    dvr_daemon_signal_changed (daemon, signal, value, utc_ns, mono_ns, source);
}

static void
on_input_pressed (const gchar *signal, DvrPress press, gint64 mono_ns, gpointer user_data)
{
  DvrDaemon *daemon = user_data;

  g_message ("button %s: %s press", signal, press == DVR_PRESS_LONG ? "long" : "short");
  if (g_strcmp0 (signal, daemon->config->eject_signal) == 0) {
    if (press == DVR_PRESS_LONG)
      dvr_daemon_drive_eject_pressed (daemon);
    return;
  }
  dvr_daemon_events_button (daemon, signal, press);
}

gboolean
dvr_daemon_power_cameras_wanted (DvrDaemon *daemon)
{
  return daemon->recording && !daemon->storage_full && !daemon->stopping && !daemon->switching;
}

static void
start_cameras (DvrDaemon *daemon)
{
  daemon->recording = TRUE;
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    if (daemon->storage_full)
      camera->storage_stopped = TRUE;
    else if (!daemon->switching)    /* the change of storage starts them */
      dvr_pipeline_start (camera->pipeline);
  }
}

/* Each camera finalizes its open segment (catalogued as usual); a
 * checkpoint follows the last one. */
static void
stop_cameras (DvrDaemon *daemon)
{
  daemon->recording = FALSE;
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    camera->storage_stopped = FALSE;
    dvr_pipeline_stop (camera->pipeline);
  }
}

static gboolean ignition_deadline_cb (gpointer user_data);

static void
schedule_ignition (DvrDaemon *daemon)
{
  gint64 deadline;

  g_clear_handle_id (&daemon->ignition_source, g_source_remove);
  if (daemon->ignition == NULL || daemon->stopping)
    return;
  deadline = dvr_ignition_get_next_deadline (daemon->ignition);
  if (deadline < 0)
    return;
  daemon->ignition_source = g_timeout_add ((guint) CLAMP (
      (deadline - dvr_monotonic_now_ns ()) / 1000000 + 1, 0, G_MAXINT),
      ignition_deadline_cb, daemon);
}

static void
apply_ignition (DvrDaemon *daemon, DvrIgnitionFlags flags)
{
  if (flags & DVR_IGNITION_START) {
    g_message ("ignition on: recording");
    dvr_notify_status ("ignition on: recording");
    start_cameras (daemon);
  }
  if (flags & DVR_IGNITION_CANCELLED) {
    g_message ("ignition on again: shutdown cancelled, recording goes on");
    dvr_notify_status ("ignition on: recording");
  }
  if ((flags & DVR_IGNITION_HOLD_OVER) && !(flags & DVR_IGNITION_SHUTDOWN)) {
    gint64 at = dvr_ignition_get_shutdown_at (daemon->ignition);
    g_message ("ignition off: recording for the hold-over, %.0f s more%s",
        (gdouble) MAX (at - dvr_monotonic_now_ns (), 0) / DVR_NSEC_PER_SEC,
        dvr_events_get_state (daemon->events) != DVR_EVENTS_STATE_IDLE ?
        " (and until the event ends)" : "");
    dvr_notify_status ("ignition off: hold-over");
  }
  if ((flags & DVR_IGNITION_SHUTDOWN) && daemon->config->power_off_argv == NULL) {
    /* Nothing to power the computer off: finalize and wait, idle, for the
     * ignition (exiting would leave nobody to see it come on again). */
    g_message ("hold-over over: finalizing every segment; idle until the ignition is on");
    dvr_notify_status ("idle: ignition off");
    stop_cameras (daemon);
    dvr_ignition_free (daemon->ignition);
    daemon->ignition = dvr_ignition_new (daemon->config->ignition_debounce_ns,
        daemon->config->hold_over_ns, FALSE, dvr_monotonic_now_ns ());
  } else if (flags & DVR_IGNITION_SHUTDOWN) {
    g_message ("hold-over over: finalizing every segment, then powering off");
    dvr_notify_status ("hold-over over: shutting down");
    daemon->power_off_requested = TRUE;
    if (daemon->shutdown_func != NULL)
      g_idle_add (daemon->shutdown_func, daemon->shutdown_data);
  }
  schedule_ignition (daemon);
}

static gboolean
ignition_deadline_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;

  daemon->ignition_source = 0;
  apply_ignition (daemon, dvr_ignition_tick (daemon->ignition, dvr_monotonic_now_ns ()));
  return G_SOURCE_REMOVE;
}

void
dvr_daemon_power_signal (DvrDaemon *daemon, const gchar *name, gboolean value, gint64 mono_ns)
{
  if (daemon->ignition == NULL || daemon->stopping ||
      g_strcmp0 (name, daemon->config->ignition_signal) != 0)
    return;
  apply_ignition (daemon, dvr_ignition_set (daemon->ignition, value,
      mono_ns != G_MININT64 ? mono_ns : dvr_monotonic_now_ns ()));
}

void
dvr_daemon_power_event_active (DvrDaemon *daemon, gboolean active)
{
  if (daemon->ignition == NULL || daemon->stopping)
    return;
  apply_ignition (daemon, dvr_ignition_set_event_active (daemon->ignition, active,
      dvr_monotonic_now_ns ()));
}

/* ---- indicators ---- */

static guint
indicator_states (DvrDaemon *daemon)
{
  guint states = 0;
  gboolean all_recording = daemon->cameras->len > 0;
  gboolean alarm = daemon->alarm != DVR_RETENTION_ALARM_NONE || daemon->storage_full ||
      dvr_daemon_drive_alarm (daemon);

  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    DvrPipelineState state = dvr_pipeline_get_state (camera->pipeline);
    all_recording &= state == DVR_PIPELINE_STATE_RECORDING;
    alarm |= state == DVR_PIPELINE_STATE_FAILED || camera->write_failures > 0;
  }
  if (!daemon->recording)
    states |= DVR_INDICATOR_IDLE;
  else if (all_recording)
    states |= DVR_INDICATOR_RECORDING;
  if (dvr_events_get_state (daemon->events) != DVR_EVENTS_STATE_IDLE)
    states |= DVR_INDICATOR_EVENT;
  if (alarm && daemon->recording)
    states |= DVR_INDICATOR_ALARM;
  return states;
}

static gboolean
covert (DvrDaemon *daemon)
{
  const gchar *name = daemon->config->covert_signal;

  for (guint i = 0; name != NULL && i < dvr_signals_get_count (daemon->signals); i++) {
    if (g_str_equal (dvr_signals_get_name (daemon->signals, i), name))
      return dvr_signals_get_value (daemon->signals, i);
  }
  return FALSE;
}

/* Every camera has recorded or failed its first attempt: a camera missing
 * at boot must not keep the service from being ready (systemd would kill
 * dvrd while the others record). */
static gboolean
cameras_settled (DvrDaemon *daemon)
{
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    DvrPipelineState state = dvr_pipeline_get_state (camera->pipeline);
    if (state != DVR_PIPELINE_STATE_RECORDING && state != DVR_PIPELINE_STATE_FAILED &&
        !camera->storage_stopped)
      return FALSE;
  }
  return TRUE;
}

/* Also sends READY=1 once startup recovery is done (dvr_daemon_new()) and
 * every camera records or has failed its first attempt, or at once when
 * the ignition is off: there is nothing to wait for. */
static gboolean
indicator_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  guint states = indicator_states (daemon);

  dvr_indicators_set (daemon->indicators, states, covert (daemon));
  if (!daemon->ready_sent && (!daemon->recording || cameras_settled (daemon))) {
    daemon->ready_sent = TRUE;
    dvr_notify_ready (daemon->recording ? "recording" : "idle: ignition off");
  }
  return G_SOURCE_CONTINUE;
}

/* ---- watchdog ---- */

/* A ping only while the pipelines make progress: every camera that is
 * recording has delivered frames since the last ping.  A camera that
 * failed is ours to restart (backoff), not systemd's: it does not hold the
 * pings back; a pipeline that claims to record but delivers nothing does,
 * and so does a main loop that does not run. */
static gboolean
watchdog_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  gboolean progress = TRUE;

  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    guint64 frames = dvr_pipeline_get_frames_in (camera->pipeline);
    guint64 *last = &g_array_index (daemon->watchdog_frames, guint64, i);
    if (dvr_pipeline_get_state (camera->pipeline) == DVR_PIPELINE_STATE_RECORDING &&
        frames == *last)
      progress = FALSE;
    *last = frames;
  }
  if (progress)
    dvr_notify_watchdog ();
  else
    g_warning ("watchdog: a recording camera delivered no frame since the last ping; "
        "not pinging systemd");
  return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ---- */

void
dvr_daemon_power_init (DvrDaemon *daemon)
{
  daemon->inputs = dvr_inputs_new (daemon->config, on_input_changed, on_input_pressed, daemon);
  daemon->indicators = dvr_indicators_new (daemon->config);
  daemon->watchdog_frames = g_array_new (FALSE, TRUE, sizeof (guint64));
  g_array_set_size (daemon->watchdog_frames, daemon->cameras->len);
}

void
dvr_daemon_power_start (DvrDaemon *daemon)
{
  gint64 interval = dvr_notify_get_watchdog_interval_ns ();
  gboolean ignition_on = FALSE;

  dvr_inputs_start (daemon->inputs);
  if (daemon->config->ignition_signal == NULL) {
    start_cameras (daemon);
  } else {
    /* The level at start: a physical input's as read at open, a control
     * signal's is off until set. */
    if (!dvr_inputs_get_value (daemon->inputs, daemon->config->ignition_signal, &ignition_on)) {
      for (guint i = 0; i < dvr_signals_get_count (daemon->signals); i++) {
        if (g_str_equal (dvr_signals_get_name (daemon->signals, i),
                         daemon->config->ignition_signal))
          ignition_on = dvr_signals_get_value (daemon->signals, i);
      }
    }
    daemon->ignition = dvr_ignition_new (daemon->config->ignition_debounce_ns,
        daemon->config->hold_over_ns, ignition_on, dvr_monotonic_now_ns ());
    if (ignition_on) {
      g_message ("ignition on at start: recording");
      start_cameras (daemon);
    } else {
      g_message ("ignition off: waiting for it (signal %s)", daemon->config->ignition_signal);
      dvr_notify_status ("idle: ignition off");
    }
    schedule_ignition (daemon);
  }
  daemon->indicator_source = g_timeout_add (INDICATOR_INTERVAL_MS, indicator_cb, daemon);
  indicator_cb (daemon);
  if (interval > 0)
    daemon->watchdog_source = g_timeout_add ((guint) (interval / 1000000), watchdog_cb, daemon);
}

void
dvr_daemon_power_stop (DvrDaemon *daemon)
{
  g_clear_handle_id (&daemon->ignition_source, g_source_remove);
  dvr_notify_stopping (daemon->power_off_requested ? "hold-over over: shutting down" :
      "stopping");
  daemon->recording = FALSE;
}

void
dvr_daemon_power_free (DvrDaemon *daemon)
{
  g_clear_handle_id (&daemon->ignition_source, g_source_remove);
  g_clear_handle_id (&daemon->indicator_source, g_source_remove);
  g_clear_handle_id (&daemon->watchdog_source, g_source_remove);
  g_clear_pointer (&daemon->ignition, dvr_ignition_free);
  /* Dark indicators after dvrd: nothing is being recorded any more. */
  if (daemon->indicators != NULL)
    dvr_indicators_set (daemon->indicators, 0, TRUE);
  g_clear_pointer (&daemon->indicators, dvr_indicators_free);
  g_clear_pointer (&daemon->inputs, dvr_inputs_free);
  g_clear_pointer (&daemon->watchdog_frames, g_array_unref);
}

gboolean
dvr_daemon_power_off (DvrDaemon *daemon, GError **error)
{
  gchar **argv = daemon->config->power_off_argv;
  g_autofree gchar *command = NULL;
  gint status = 0;

  if (argv == NULL) {
    g_message ("power-off: no power-off-command configured; exiting");
    return TRUE;
  }
  command = g_strjoinv (" ", argv);
  g_message ("power-off: running %s", command);
  /* No shell: the words come from dvr.conf as they are, nothing from input
   * data goes into them. */
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT | G_SPAWN_STDIN_FROM_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, error)) {
    g_prefix_error (error, "power-off-command %s: ", command);
    return FALSE;
  }
  if (!g_spawn_check_wait_status (status, error)) {
    g_prefix_error (error, "power-off-command %s: ", command);
    return FALSE;
  }
  return TRUE;
}

/* ---- status ---- */

void
dvr_daemon_power_build_status (DvrDaemon *daemon, JsonBuilder *b)
{
  json_builder_set_member_name (b, "power");
  json_builder_begin_object (b);
  dvr_daemon_json_add_string_or_null (b, "ignition_signal", daemon->config->ignition_signal);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, daemon->ignition != NULL ?
      dvr_ignition_state_to_string (dvr_ignition_get_state (daemon->ignition)) :
      "always");
  json_builder_set_member_name (b, "recording");
  json_builder_add_boolean_value (b, daemon->recording);
  {
    gint64 at = daemon->ignition != NULL ? dvr_ignition_get_shutdown_at (daemon->ignition) : -1;
    json_builder_set_member_name (b, "shutdown_in_s");
    if (at >= 0)
      json_builder_add_double_value (b,
          (gdouble) MAX (at - dvr_monotonic_now_ns (), 0) / DVR_NSEC_PER_SEC);
    else
      json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "covert");
  json_builder_add_boolean_value (b, covert (daemon));
  json_builder_end_object (b);
  if (daemon->inputs != NULL)
    dvr_inputs_build_status (daemon->inputs, b);
  if (daemon->indicators != NULL)
    dvr_indicators_build_status (daemon->indicators, b);
}
