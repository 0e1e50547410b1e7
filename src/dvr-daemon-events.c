/* dvr-daemon-events: the daemon's wiring of events, retention and the audit
 * log (docs/events.md).
 *
 *   signal edge, dvrctl -> DvrEvents (state machine) -> catalog rows
 *       (event, windows, triggers, audit) + a marker in every track
 *   statvfs every RETENTION_INTERVAL_MS -> DvrRetention (plan) -> catalog
 *       garbage (rows, audit) -> storage thread (unlink, folder fsync)
 *       -> garbage rows dropped
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-daemon-private.h"

#include <errno.h>
#include <sys/statvfs.h>

#include "dvr-utils.h"

/* How often free space is measured.  statvfs() reads counters the
 * filesystem keeps in memory, so it does not wait for the disk. */
#define RETENTION_INTERVAL_MS 500

/* Ring segments looked at per sweep; a sweep needing more runs again as
 * soon as the first batch is gone. */
#define SWEEP_BATCH 256

/* min-free is never less than this, whatever dvr.conf says as a %. */
#define MIN_FREE_FLOOR_BYTES (G_GUINT64_CONSTANT (32) * 1024 * 1024)

/* Status reads the catalog's usage at most this often (a scan of the
 * segments table). */
#define USAGE_CACHE_NS (G_GINT64_CONSTANT (1000000000))

#define MIB(bytes) ((double) (bytes) / (1024.0 * 1024.0))

static void retention_check (DvrDaemon *daemon);

/* ---- events ---- */

static gint64
max_post_event_ns (const DvrConfig *config)
{
  gint64 post = 0;

  for (guint i = 0; i < config->cameras->len; i++) {
    const DvrCameraConfig *camera = g_ptr_array_index (config->cameras, i);
    if (camera->events)
      post = MAX (post, camera->post_event_ns);
  }
  return post;
}

static const DvrSignalConfig *
find_signal (DvrDaemon *daemon, const gchar *name)
{
  for (guint i = 0; i < daemon->config->signals->len; i++) {
    const DvrSignalConfig *signal = g_ptr_array_index (daemon->config->signals, i);
    if (g_str_equal (signal->name, name))
      return signal;
  }
  return NULL;
}

/* A marker in every camera's JSON track, so that the recording itself says
 * where an event starts, is marked and ends. */
static void
mark_tracks (DvrDaemon *daemon, const gchar *what, const gchar *action, const gchar *source,
             const gchar *detail)
{
  g_autoptr (GstStructure) marker = gst_structure_new ("event",
      "event", G_TYPE_INT64, daemon->event_id,
      "what", G_TYPE_STRING, what,
      "action", G_TYPE_STRING, action,
      "source", G_TYPE_STRING, source, NULL);

  if (detail != NULL)
    gst_structure_set (marker, "detail", G_TYPE_STRING, detail, NULL);
  for (guint i = 0; i < daemon->cameras->len; i++)
    dvr_pipeline_mark_event (((DvrCamera *) g_ptr_array_index (daemon->cameras, i))->pipeline,
        marker);
}

/* Each camera taking part: [start - pre-event, end + post-event], end -1
 * while the event runs. */
static GPtrArray *
build_windows (DvrDaemon *daemon, gint64 start_utc_ns, gint64 end_utc_ns)
{
  GPtrArray *windows = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);

  for (guint i = 0; i < daemon->config->cameras->len; i++) {
    const DvrCameraConfig *camera = g_ptr_array_index (daemon->config->cameras, i);
    if (!camera->events)
      continue;
    g_ptr_array_add (windows, dvr_event_window_new (camera->name,
        start_utc_ns - camera->pre_event_ns,
        end_utc_ns < 0 ? -1 : end_utc_ns + camera->post_event_ns));
  }
  return windows;
}

static void
add_trigger (DvrDaemon *daemon, gint64 utc_ns, const gchar *action, const gchar *source,
             const gchar *detail)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEventTrigger) trigger = NULL;

  if (daemon->event_id == 0)
    return;
  trigger = dvr_event_trigger_new (utc_ns, action, source, detail);
  if (!dvr_catalog_add_event_trigger (daemon->catalog, daemon->event_id, trigger, &error))
    g_warning ("event %" G_GINT64_FORMAT ": catalog: %s", daemon->event_id, error->message);
}

static gboolean event_deadline_cb (gpointer user_data);

static void
schedule_deadline (DvrDaemon *daemon)
{
  gint64 deadline = dvr_events_get_next_deadline (daemon->events);
  gint64 wait_ms;

  g_clear_handle_id (&daemon->event_deadline_source, g_source_remove);
  if (deadline < 0 || daemon->stopping)
    return;
  wait_ms = (deadline - dvr_utc_now_ns ()) / 1000000 + 1;
  daemon->event_deadline_source = g_timeout_add ((guint) CLAMP (wait_ms, 0, G_MAXINT),
      event_deadline_cb, daemon);
}

/* Turns what the state machine did into rows, markers and log lines.
 * @action/@source/@detail describe the input (the trigger row). */
static void
apply_result (DvrDaemon *daemon, DvrEventsResult result, DvrEventKind kind,
              const gchar *action, const gchar *source, const gchar *detail)
{
  g_autoptr (GError) error = NULL;
  gint64 now = dvr_utc_now_ns ();
  gboolean trigger_stored = FALSE;

  if (result.flags & DVR_EVENTS_STARTED) {
    g_autoptr (DvrEvent) event = dvr_event_new ();
    g_autoptr (GPtrArray) windows = build_windows (daemon, result.start_utc_ns, -1);

    event->kind = kind;
    event->run_id = daemon->run_id;
    event->start_utc_ns = result.start_utc_ns;
    /* An officer's own words say more than "dvrctl". */
    event->reason = kind == DVR_EVENT_KIND_MANUAL && detail != NULL && *detail != '\0' ?
        g_strdup_printf ("%s: %s", source, detail) : g_strdup (source);
    g_ptr_array_extend_and_steal (event->windows, g_steal_pointer (&windows));
    g_ptr_array_add (event->triggers,
        dvr_event_trigger_new (result.start_utc_ns, action, source, detail));
    daemon->event_kind = kind;
    g_free (daemon->event_reason);
    daemon->event_reason = g_strdup (event->reason);
    if (dvr_catalog_add_event (daemon->catalog, event, &error)) {
      daemon->event_id = event->id;
    } else {
      /* The state machine runs on; without a row there is nothing to link,
       * so say it loudly: this is evidence not marked. */
      g_warning ("event: could not store the event (%s): %s", source, error->message);
      g_clear_error (&error);
      daemon->event_id = 0;
    }
    trigger_stored = TRUE;
    g_message ("event %" G_GINT64_FORMAT " started: %s (%s)", daemon->event_id, source, action);
    mark_tracks (daemon, "start", action, source, detail);
    dvr_daemon_power_event_active (daemon, TRUE);
  } else if (result.flags & DVR_EVENTS_RESUMED) {
    if (daemon->event_id != 0 &&
        !dvr_catalog_resume_event (daemon->catalog, daemon->event_id, &error)) {
      g_warning ("event %" G_GINT64_FORMAT ": catalog: %s", daemon->event_id, error->message);
      g_clear_error (&error);
    }
    add_trigger (daemon, now, action, source, detail);
    trigger_stored = TRUE;
    g_message ("event %" G_GINT64_FORMAT " runs again: %s (%s)", daemon->event_id, source, action);
    mark_tracks (daemon, "resume", action, source, detail);
  } else if (result.flags & (DVR_EVENTS_EXTENDED | DVR_EVENTS_MARKED)) {
    add_trigger (daemon, now, action, source, detail);
    trigger_stored = TRUE;
    g_message ("event %" G_GINT64_FORMAT " %s: %s (%s)", daemon->event_id,
        (result.flags & DVR_EVENTS_MARKED) ? "marked" : "extended", source, action);
    mark_tracks (daemon, (result.flags & DVR_EVENTS_MARKED) ? "mark" : "extend", action,
        source, detail);
  }

  if (result.flags & DVR_EVENTS_ENDED) {
    g_autoptr (GPtrArray) windows = build_windows (daemon, result.start_utc_ns,
        result.end_utc_ns);
    if (!trigger_stored)
      add_trigger (daemon, result.end_utc_ns, action, source, detail);
    if (daemon->event_id != 0 &&
        !dvr_catalog_end_event (daemon->catalog, daemon->event_id, result.end_utc_ns, windows,
                                result.end_reason, &error))
      g_warning ("event %" G_GINT64_FORMAT ": catalog: %s", daemon->event_id, error->message);
    g_message ("event %" G_GINT64_FORMAT " ended (%s); post-event recording follows",
        daemon->event_id, result.end_reason);
    mark_tracks (daemon, "end", action, source, result.end_reason);
  }
  if (result.flags & DVR_EVENTS_CLOSED) {
    g_message ("event %" G_GINT64_FORMAT " closed", daemon->event_id);
    daemon->event_id = 0;
    dvr_daemon_power_event_active (daemon, FALSE);
  }
  if (result.flags & DVR_EVENTS_IGNORED)
    g_message ("event: %s from %s ignored: no event is running", action, source);
  /* With synchronous=NORMAL a commit is durable at the next checkpoint:
   * ask for one now rather than at the next segment, so that a power loss
   * right after a trigger does not lose the evidence marking. */
  if (result.flags & ~DVR_EVENTS_IGNORED)
    dvr_storage_request_checkpoint (daemon->storage);
  schedule_deadline (daemon);
}

/* Deadlines act only in dvr_events_tick(); an input arriving after a
 * deadline whose timer has not fired yet must see it applied first. */
static void
catch_up (DvrDaemon *daemon, gint64 now)
{
  gint64 deadline = dvr_events_get_next_deadline (daemon->events);

  if (deadline >= 0 && deadline <= now)
    apply_result (daemon, dvr_events_tick (daemon->events, now), DVR_EVENT_KIND_TRIGGER,
        "maximum-duration", "dvrd", NULL);
}

static gboolean
event_deadline_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;

  daemon->event_deadline_source = 0;
  apply_result (daemon, dvr_events_tick (daemon->events, dvr_utc_now_ns ()),
      DVR_EVENT_KIND_TRIGGER, "maximum-duration", "dvrd", NULL);
  return G_SOURCE_REMOVE;
}

void
dvr_daemon_events_signal (DvrDaemon *daemon, const gchar *name, gboolean value, gint64 utc_ns)
{
  const DvrSignalConfig *signal = find_signal (daemon, name);
  g_autofree gchar *source = NULL;
  const gchar *action;
  DvrEventsResult result;

  if (signal == NULL || signal->action == DVR_TRIGGER_ACTION_SENSOR_ONLY || daemon->stopping)
    return;
  catch_up (daemon, utc_ns);
  source = g_strdup_printf ("signal %s", name);
  result = dvr_events_signal (daemon->events, name, signal->action, value, utc_ns);
  action = dvr_trigger_action_to_string (signal->action);
  /* A record-while-active signal going off records as what it is. */
  if (!value && signal->action == DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE)
    action = "signal-off";
  apply_result (daemon, result, DVR_EVENT_KIND_TRIGGER, action, source, NULL);
}

/* The officer's in-cab button: a short press starts an event (or runs
 * the one in its post-event time again), or marks the one running; a long
 * press stops it. */
void
dvr_daemon_events_button (DvrDaemon *daemon, const gchar *signal, DvrPress press)
{
  g_autofree gchar *source = g_strdup_printf ("button %s", signal);
  gint64 now = dvr_utc_now_ns ();
  DvrEventsResult result;

  if (daemon->stopping || press == DVR_PRESS_NONE)
    return;
  catch_up (daemon, now);
  if (press == DVR_PRESS_LONG) {
    result = dvr_events_stop (daemon->events, now);
    apply_result (daemon, result, DVR_EVENT_KIND_MANUAL, "button-stop", source, NULL);
  } else if (dvr_events_get_state (daemon->events) == DVR_EVENTS_STATE_ACTIVE) {
    result = dvr_events_mark (daemon->events, now);
    apply_result (daemon, result, DVR_EVENT_KIND_MANUAL, "button-mark", source, NULL);
  } else {
    /* Idle: a new event; in the post-event time: the same one again. */
    result = dvr_events_start (daemon->events, now);
    apply_result (daemon, result, DVR_EVENT_KIND_MANUAL, "button-start", source, NULL);
  }
}

/* ---- startup ---- */

/* Garbage rows left by a crash between the row step and the unlink (or
 * before the garbage row was dropped): finish them now. */
static guint
finish_garbage (DvrDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) paths = dvr_catalog_list_garbage (daemon->catalog, &error);
  g_autoptr (GPtrArray) deleted = NULL;
  guint dropped = 0;

  if (paths == NULL) {
    g_warning ("startup: catalog: %s", error->message);
    return 0;
  }
  if (paths->len == 0)
    return 0;
  deleted = dvr_storage_delete (daemon->storage, paths, &error);
  if (error != NULL)
    g_warning ("startup: garbage: %s", error->message);
  g_clear_error (&error);
  for (guint i = 0; i < deleted->len; i++) {
    if (dvr_catalog_drop_garbage (daemon->catalog, deleted->pdata[i], &error))
      dropped++;
    else
      g_warning ("startup: catalog: %s", error->message);
    g_clear_error (&error);
  }
  return dropped;
}

/* Events a killed dvrd left running end now; their windows reach this
 * start's post-event time, so the first seconds of this run join them. */
static GArray *
end_running_events (DvrDaemon *daemon, gint64 now, gint64 keep_start_utc_ns,
                    gint64 *kept_id, const gchar *why)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) running = dvr_catalog_list_running_events (daemon->catalog, &error);
  GArray *ended = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (running == NULL) {
    g_warning ("startup: catalog: %s", error->message);
    return ended;
  }
  for (guint i = 0; i < running->len; i++) {
    DvrEvent *event = g_ptr_array_index (running, i);
    g_autoptr (GPtrArray) windows = NULL;
    g_autoptr (DvrEventTrigger) trigger = NULL;

    /* The event dvrd is running now, left open on this drive when it went
     * away: it goes on here. */
    if (keep_start_utc_ns >= 0 && event->start_utc_ns == keep_start_utc_ns &&
        *kept_id == 0) {
      *kept_id = event->id;
      continue;
    }
    windows = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);
    trigger = dvr_event_trigger_new (now, why == NULL ? "recorder-restarted" : "storage-change",
        "dvrd", why);

    for (guint j = 0; j < event->windows->len; j++) {
      const DvrEventWindow *window = g_ptr_array_index (event->windows, j);
      const DvrCameraConfig *camera = dvr_config_get_camera (daemon->config, window->camera);
      gint64 post = camera != NULL && camera->events ? camera->post_event_ns : 0;
      g_ptr_array_add (windows, dvr_event_window_new (window->camera, 0, now + post));
    }
    if (!dvr_catalog_add_event_trigger (daemon->catalog, event->id, trigger, &error) ||
        !dvr_catalog_end_event (daemon->catalog, event->id, now, windows,
                                why == NULL ? "recorder restarted" :
                                "left running when the drive went away", &error)) {
      g_warning ("startup: event %" G_GINT64_FORMAT ": catalog: %s", event->id, error->message);
      g_clear_error (&error);
      continue;
    }
    if (why == NULL)
      g_message ("event %" G_GINT64_FORMAT " was running when dvrd stopped unexpectedly: "
          "ended now, its post-event window covers this start", event->id);
    else
      g_message ("event %" G_GINT64_FORMAT " on %s was left running when the drive went "
          "away: ended now", event->id, daemon->volume->path);
    g_array_append_val (ended, event->id);
  }
  return ended;
}

static gchar *
json_to_text (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* The configuration in force goes into the audit log at every start; a
 * change since the last start is its own row, so that a custodian sees
 * when the rules that decide what is kept changed. */
static gboolean
audit_startup (DvrDaemon *daemon, guint garbage, GArray *ended, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (DvrAuditEntry) last = NULL;
  g_autofree gchar *detail = NULL;
  g_autofree gchar *last_checksum = NULL;
  g_autoptr (GError) local_error = NULL;
  gint64 now = dvr_utc_now_ns ();

  last = dvr_catalog_get_last_audit (daemon->catalog, "startup", &local_error);
  if (local_error != NULL)
    g_warning ("startup: catalog: %s", local_error->message);
  if (last != NULL) {
    g_autoptr (JsonNode) node = json_from_string (last->detail, NULL);
    if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
      last_checksum = g_strdup (json_object_get_string_member_with_default (
          json_node_get_object (node), "config_sha256", NULL));
  }
  if (last_checksum != NULL && g_strcmp0 (last_checksum, daemon->config->checksum) != 0) {
    g_autoptr (JsonBuilder) c = json_builder_new ();
    g_autofree gchar *change = NULL;
    json_builder_begin_object (c);
    json_builder_set_member_name (c, "path");
    json_builder_add_string_value (c, daemon->config->path);
    json_builder_set_member_name (c, "old_sha256");
    json_builder_add_string_value (c, last_checksum);
    json_builder_set_member_name (c, "new_sha256");
    json_builder_add_string_value (c, daemon->config->checksum);
    json_builder_end_object (c);
    change = json_to_text (c);
    g_message ("configuration changed since the last start (%s)", daemon->config->path);
    if (!dvr_catalog_audit (daemon->catalog, now, "config", change, error))
      return FALSE;
  }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "run");
  json_builder_add_int_value (b, daemon->run_id);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, DVR_VERSION);
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, daemon->config->unit_id);
  json_builder_set_member_name (b, "config");
  json_builder_add_string_value (b, daemon->config->path);
  json_builder_set_member_name (b, "config_sha256");
  json_builder_add_string_value (b, daemon->config->checksum);
  json_builder_set_member_name (b, "garbage_finished");
  json_builder_add_int_value (b, garbage);
  json_builder_set_member_name (b, "events_ended");
  json_builder_begin_array (b);
  for (guint i = 0; i < ended->len; i++)
    json_builder_add_int_value (b, g_array_index (ended, gint64, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  detail = json_to_text (b);
  return dvr_catalog_audit (daemon->catalog, now, "startup", detail, error);
}

/* The event dvrd is in the middle of (running, or in its post-event
 * time) gets a row on a volume that has none: same start, same windows,
 * so that the drive it ends on holds all of it and a later merge
 * (dvr-catalog-merge.h) finds it by its start. */
static gboolean
carry_event (DvrDaemon *daemon, gint64 kept_id, const gchar *why, GError **error)
{
  DvrEventsState state = dvr_events_get_state (daemon->events);
  gint64 start = dvr_events_get_start_utc_ns (daemon->events);
  gint64 end = dvr_events_get_end_utc_ns (daemon->events);
  gint64 now = dvr_utc_now_ns ();
  g_autoptr (DvrEventTrigger) trigger = NULL;

  daemon->event_id = 0;
  if (state == DVR_EVENTS_STATE_IDLE || start < 0)
    return TRUE;
  trigger = dvr_event_trigger_new (now, "storage-change", "dvrd", why);
  if (kept_id != 0) {
    daemon->event_id = kept_id;
    if (!dvr_catalog_add_event_trigger (daemon->catalog, kept_id, trigger, error))
      return FALSE;
  } else {
    g_autoptr (DvrEvent) event = dvr_event_new ();
    g_autoptr (GPtrArray) windows = build_windows (daemon, start, -1);
    event->kind = daemon->event_kind;
    event->run_id = daemon->run_id;
    event->start_utc_ns = start;
    event->reason = g_strdup (daemon->event_reason != NULL ? daemon->event_reason : "dvrd");
    g_ptr_array_extend_and_steal (event->windows, g_steal_pointer (&windows));
    g_ptr_array_add (event->triggers, g_steal_pointer (&trigger));
    if (!dvr_catalog_add_event (daemon->catalog, event, error))
      return FALSE;
    daemon->event_id = event->id;
  }
  if (end >= 0) {
    g_autoptr (GPtrArray) windows = build_windows (daemon, start, end);
    if (!dvr_catalog_end_event (daemon->catalog, daemon->event_id, end, windows,
                                "ended", error))
      return FALSE;
  }
  g_message ("event %" G_GINT64_FORMAT " continues on %s", daemon->event_id,
      daemon->volume->path);
  return TRUE;
}

gboolean
dvr_daemon_events_volume_opened (DvrDaemon *daemon, const gchar *reason, GError **error)
{
  g_autoptr (GArray) ended = NULL;
  gint64 kept_id = 0;
  gint64 start = dvr_events_get_state (daemon->events) != DVR_EVENTS_STATE_IDLE ?
      dvr_events_get_start_utc_ns (daemon->events) : -1;
  guint garbage;

  garbage = finish_garbage (daemon);
  ended = end_running_events (daemon, dvr_utc_now_ns (), start, &kept_id, reason);
  if (reason == NULL) {
    if (!audit_startup (daemon, garbage, ended, error)) {
      g_prefix_error (error, "audit log: ");
      return FALSE;
    }
  } else {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    g_autofree gchar *detail = NULL;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "run");
    json_builder_add_int_value (b, daemon->run_id);
    json_builder_set_member_name (b, "role");
    json_builder_add_string_value (b, dvr_drive_role_to_string (daemon->volume->role));
    json_builder_set_member_name (b, "drive");
    json_builder_add_string_value (b, daemon->volume->identity->drive_uuid);
    json_builder_set_member_name (b, "reason");
    json_builder_add_string_value (b, reason);
    json_builder_set_member_name (b, "config_sha256");
    json_builder_add_string_value (b, daemon->config->checksum);
    json_builder_set_member_name (b, "garbage_finished");
    json_builder_add_int_value (b, garbage);
    json_builder_set_member_name (b, "events_ended");
    json_builder_begin_array (b);
    for (guint i = 0; i < ended->len; i++)
      json_builder_add_int_value (b, g_array_index (ended, gint64, i));
    json_builder_end_array (b);
    json_builder_end_object (b);
    detail = json_to_text (b);
    if (!dvr_catalog_audit (daemon->catalog, dvr_utc_now_ns (), "storage", detail, error)) {
      g_prefix_error (error, "audit log: ");
      return FALSE;
    }
  }
  if (garbage > 0)
    g_message ("startup: finished deleting %u segments left as garbage", garbage);
  if (!carry_event (daemon, kept_id, reason, error)) {
    g_prefix_error (error, "event: ");
    return FALSE;
  }
  dvr_storage_request_checkpoint (daemon->storage);
  return TRUE;
}

void
dvr_daemon_events_volume_closing (DvrDaemon *daemon)
{
  gint64 now = dvr_utc_now_ns ();

  catch_up (daemon, now);
  /* A running event ends on the volume being left, where its windows end
   * now; it goes on on the next (carry_event()), and the merge of the
   * fallback into the drive joins the two rows. */
  if (daemon->event_id != 0 && !daemon->volume->failed &&
      dvr_events_get_state (daemon->events) == DVR_EVENTS_STATE_ACTIVE) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) windows = build_windows (daemon,
        dvr_events_get_start_utc_ns (daemon->events), now);
    g_autoptr (DvrEventTrigger) trigger = dvr_event_trigger_new (now, "storage-change",
        "dvrd", daemon->switch_reason);
    /* Windows end at the change, not a post-event time later. */
    for (guint i = 0; i < windows->len; i++)
      ((DvrEventWindow *) g_ptr_array_index (windows, i))->to_utc_ns = now;
    if (!dvr_catalog_add_event_trigger (daemon->catalog, daemon->event_id, trigger, &error) ||
        !dvr_catalog_end_event (daemon->catalog, daemon->event_id, now, windows,
                                "continued on other storage", &error))
      g_warning ("event %" G_GINT64_FORMAT ": catalog: %s", daemon->event_id, error->message);
  }
  daemon->event_id = 0;
  g_clear_pointer (&daemon->retention, dvr_retention_free);
  daemon->deleting = FALSE;
  daemon->storage_full = FALSE;
  daemon->alarm = DVR_RETENTION_ALARM_NONE;
  daemon->statvfs_failed = FALSE;
  daemon->usage_mono_ns = 0;
}

gboolean
dvr_daemon_events_init (DvrDaemon *daemon, GError **error)
{
  daemon->events = dvr_events_new (daemon->config->max_event_ns,
      max_post_event_ns (daemon->config));
  return dvr_daemon_events_volume_opened (daemon, NULL, error);
}

/* ---- retention ---- */

static gboolean
retention_timer_cb (gpointer user_data)
{
  retention_check (user_data);
  return G_SOURCE_CONTINUE;
}

void
dvr_daemon_events_start (DvrDaemon *daemon)
{
  retention_check (daemon);
  daemon->retention_source = g_timeout_add (RETENTION_INTERVAL_MS, retention_timer_cb, daemon);
}

void
dvr_daemon_events_segment_added (DvrDaemon *daemon)
{
  retention_check (daemon);
}

typedef struct {
  DvrDaemon *daemon;
  DvrVolume *volume;
} Deletion;

static void
deleted_cb (GPtrArray *deleted, const GError *error, gpointer user_data)
{
  Deletion *deletion = user_data;
  DvrDaemon *daemon = deletion->daemon;
  g_autoptr (DvrVolume) volume = deletion->volume;

  g_free (deletion);
  if (volume != daemon->volume) {
    /* dvrd moved to other storage meanwhile: finish on the old one. */
    for (guint i = 0; i < deleted->len; i++)
      dvr_catalog_drop_garbage (volume->catalog, deleted->pdata[i], NULL);
    return;
  }
  daemon->deleting = FALSE;
  if (error != NULL)
    g_warning ("retention: %s (left in the catalog's garbage for the next start)",
        error->message);
  for (guint i = 0; i < deleted->len; i++) {
    g_autoptr (GError) local_error = NULL;
    if (!dvr_catalog_drop_garbage (daemon->catalog, deleted->pdata[i], &local_error))
      g_warning ("retention: catalog: %s", local_error->message);
  }
  daemon->deleted_segments += deleted->len;
  daemon->usage_mono_ns = 0;
  /* Free space has changed: measure again now, and go on sweeping if the
   * first batch was not enough.  After a failure, not at once: the next
   * segment's row brings the next sweep, which retries the garbage. */
  if (!daemon->stopping && error == NULL)
    retention_check (daemon);
}

static void
log_alarm (DvrDaemon *daemon, DvrRetentionAlarm alarm)
{
  DvrRetention *r = daemon->retention;

  if (alarm == daemon->alarm)
    return;
  daemon->alarm = alarm;
  switch (alarm) {
  case DVR_RETENTION_ALARM_NONE:
    g_message ("storage: free space back above the watermark (%.1f MiB free)",
        MIB (dvr_retention_get_free_bytes (r)));
    break;
  case DVR_RETENTION_ALARM_LOW:
    g_warning ("storage: free space %.1f MiB is under the watermark of %.1f MiB; "
        "deleting the oldest recordings that are not evidence",
        MIB (dvr_retention_get_free_bytes (r)), MIB (daemon->min_free_bytes));
    break;
  case DVR_RETENTION_ALARM_EVIDENCE_FULL:
    g_warning ("storage: ALARM evidence fills the drive: %.1f MiB free and nothing left "
        "that rotation may delete; export the evidence and change the drive",
        MIB (dvr_retention_get_free_bytes (r)));
    break;
  case DVR_RETENTION_ALARM_GUARD:
    g_warning ("storage: ALARM a sweep would delete more than %.0f%% of the drive; "
        "deleting no more than that at once",
        daemon->config->max_sweep_fraction * 100);
    break;
  }
}

static void
set_storage_full (DvrDaemon *daemon, gboolean full)
{
  if (full == daemon->storage_full)
    return;
  daemon->storage_full = full;
  if (full)
    g_warning ("storage: ALARM %.1f MiB free, under the %.1f MiB kept for the catalog: "
        "recording stops until space is freed",
        MIB (dvr_retention_get_free_bytes (daemon->retention)),
        MIB (dvr_retention_get_floor_free (daemon->retention)));
  else
    g_message ("storage: %.1f MiB free again: recording resumes",
        MIB (dvr_retention_get_free_bytes (daemon->retention)));
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    g_autoptr (GError) error = NULL;

    if (full) {
      camera->storage_stopped = TRUE;
      dvr_pipeline_stop (camera->pipeline);
      if (camera->open_gap_id == 0) {
        camera->open_gap_id = dvr_catalog_open_gap (daemon->catalog, camera->config->name,
            daemon->run_id, dvr_utc_now_ns (), "storage full", &error);
        if (camera->open_gap_id == 0)
          g_warning ("catalog: %s", error->message);
      }
    } else if (camera->storage_stopped) {
      camera->storage_stopped = FALSE;
      /* Not while the ignition is off: the hold-over ended meanwhile. */
      if (dvr_daemon_power_cameras_wanted (daemon))
        dvr_pipeline_start (camera->pipeline);
    }
  }
}

/* Makes the policy at the first measurement: min-free may be a share of
 * a drive whose size only statvfs knows. */
static void
retention_ensure (DvrDaemon *daemon, guint64 total)
{
  DvrRetentionPolicy policy = { 0, };

  if (daemon->retention != NULL)
    return;
  policy.min_free_bytes = daemon->config->min_free_fraction > 0 ?
      (guint64) (daemon->config->min_free_fraction * (gdouble) total) :
      daemon->config->min_free_bytes;
  /* The fallback is a budget of its own inside a larger disk, not a
   * filesystem: a tenth of it, without the floor kept for a drive's
   * catalog (the catalog there has the rest of the disk). */
  if (daemon->volume->role == DVR_DRIVE_ROLE_FALLBACK)
    policy.min_free_bytes = MIN (policy.min_free_bytes, total / 10);
  else
    policy.min_free_bytes = MAX (policy.min_free_bytes, MIN_FREE_FLOOR_BYTES);
  policy.max_sweep_fraction = daemon->config->max_sweep_fraction;
  /* Kept in the config so that status and messages show what is in force. */
  daemon->min_free_bytes = policy.min_free_bytes;
  daemon->retention = dvr_retention_new (&policy);
  g_message ("storage: %s %.1f MiB, keeping at least %.1f MiB free",
      dvr_drive_role_to_string (daemon->volume->role), MIB (total),
      MIB (policy.min_free_bytes));
}

static void
retention_sweep (DvrDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ring = NULL;
  g_autoptr (GArray) sizes = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GPtrArray) paths = NULL;
  g_autofree gchar *reason = NULL;
  guint64 planned = 0;
  guint n, n_ring;

  /* Deletions that failed (their rows are garbage already) go first, and
   * nothing more is rotated meanwhile: otherwise a drive that can no
   * longer sync the catalog (dvr_storage_delete() syncs it before any
   * unlink) would see every sweep turn more recordings into garbage without
   * freeing a byte (found by tests/powerloss/fault-sweep-test.c). */
  paths = dvr_catalog_list_garbage (daemon->catalog, &error);
  if (paths == NULL) {
    g_warning ("retention: catalog: %s", error->message);
    return;
  }
  if (paths->len > 0) {
    Deletion *deletion = g_new0 (Deletion, 1);
    g_message ("retention: retrying %u deletions that had failed", paths->len);
    daemon->deleting = TRUE;
    deletion->daemon = daemon;
    deletion->volume = dvr_volume_ref (daemon->volume);
    dvr_storage_delete_async (daemon->storage, paths, deleted_cb, deletion);
    return;
  }
  g_clear_pointer (&paths, g_ptr_array_unref);

  ring = dvr_catalog_list_ring_segments (daemon->catalog, SWEEP_BATCH, &error);
  if (ring == NULL) {
    g_warning ("retention: catalog: %s", error->message);
    return;
  }
  /* The ring first; then, if allowed, evidence that is safe on an export
   * marked with dvr-export --mark-exported. */
  n_ring = ring->len;
  if (daemon->config->reclaim_exported && ring->len < SWEEP_BATCH) {
    g_autoptr (GPtrArray) exported = dvr_catalog_list_reclaimable_segments (daemon->catalog,
        SWEEP_BATCH - ring->len, &error);
    if (exported == NULL) {
      g_warning ("retention: catalog: %s", error->message);
      g_clear_error (&error);
    } else {
      g_ptr_array_extend_and_steal (ring, g_steal_pointer (&exported));
    }
  }
  sizes = g_array_sized_new (FALSE, FALSE, sizeof (guint64), ring->len);
  ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), ring->len);
  for (guint i = 0; i < ring->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (ring, i);
    g_array_append_val (sizes, segment->bytes);
    g_array_append_val (ids, segment->id);
  }
  n = dvr_retention_plan (daemon->retention, (const guint64 *) sizes->data, sizes->len, &planned);
  if (n == 0)
    return;
  reason = g_strdup_printf ("rotation: %.1f MiB free, under the %.1f MiB target",
      MIB (dvr_retention_get_free_bytes (daemon->retention)),
      MIB (dvr_retention_get_target_free (daemon->retention)));
  paths = dvr_catalog_collect_garbage (daemon->catalog, (const gint64 *) ids->data,
      MIN (n, n_ring), reason, &error);
  if (paths == NULL) {
    g_warning ("retention: catalog: %s", error->message);
    return;
  }
  if (n > n_ring) {
    g_autoptr (GPtrArray) exported = dvr_catalog_reclaim_exported (daemon->catalog,
        (const gint64 *) ids->data + n_ring, n - n_ring, &error);
    if (exported == NULL) {
      g_warning ("retention: catalog: %s", error->message);
      g_clear_error (&error);
    } else {
      g_message ("retention: deleting %u evidence segments that are safe on a marked export",
          exported->len);
      g_ptr_array_extend_and_steal (paths, g_steal_pointer (&exported));
    }
  }
  if (paths->len == 0)
    return;
  g_debug ("retention: deleting %u segments, %.1f MiB", paths->len, MIB (planned));
  daemon->deleting = TRUE;
  {
    Deletion *deletion = g_new0 (Deletion, 1);
    deletion->daemon = daemon;
    deletion->volume = dvr_volume_ref (daemon->volume);
    dvr_storage_delete_async (daemon->storage, paths, deleted_cb, deletion);
  }
}

static void
retention_check (DvrDaemon *daemon)
{
  struct statvfs st;
  guint64 total, free_bytes;

  if (daemon->stopping)
    return;
  if (statvfs (dvr_storage_get_root (daemon->storage), &st) < 0) {
    int e = errno;
    if (!daemon->statvfs_failed)
      g_warning ("storage: statvfs %s: %s", dvr_storage_get_root (daemon->storage),
          g_strerror (e));
    daemon->statvfs_failed = TRUE;
    return;
  }
  daemon->statvfs_failed = FALSE;
  total = (guint64) st.f_blocks * st.f_frsize;
  free_bytes = (guint64) st.f_bavail * st.f_frsize;
  if (daemon->volume->role == DVR_DRIVE_ROLE_FALLBACK) {
    /* Its own ring: fallback-size, or less if the disk has less. */
    DvrCatalogUsage usage = { 0, };
    guint64 budget = daemon->config->fallback_size_bytes;
    guint64 used;
    if (dvr_catalog_get_usage (daemon->catalog, &usage, NULL)) {
      used = usage.ring_bytes + usage.evidence_bytes;
      total = MIN (total, budget);
      free_bytes = MIN (free_bytes, budget > used ? budget - used : 0);
    }
  }
  retention_ensure (daemon, total);
  dvr_retention_observe (daemon->retention, dvr_monotonic_now_ns (), total, free_bytes);

  if (!daemon->deleting && dvr_retention_needs_sweep (daemon->retention))
    retention_sweep (daemon);
  log_alarm (daemon, dvr_retention_get_alarm (daemon->retention));

  /* Evidence leaves nothing to delete: stop short of a full filesystem. */
  if (!daemon->storage_full && !daemon->deleting &&
      free_bytes < dvr_retention_get_floor_free (daemon->retention) &&
      (daemon->alarm == DVR_RETENTION_ALARM_EVIDENCE_FULL ||
       daemon->alarm == DVR_RETENTION_ALARM_GUARD))
    set_storage_full (daemon, TRUE);
  else if (daemon->storage_full &&
           free_bytes >= dvr_retention_get_target_free (daemon->retention))
    set_storage_full (daemon, FALSE);
}

/* ---- stop ---- */

void
dvr_daemon_events_stop (DvrDaemon *daemon)
{
  gint64 now = dvr_utc_now_ns ();

  g_clear_handle_id (&daemon->retention_source, g_source_remove);
  catch_up (daemon, now);
  apply_result (daemon, dvr_events_finish (daemon->events, now, "recorder stopped"),
      DVR_EVENT_KIND_TRIGGER, "recorder-stopped", "dvrd", NULL);
  g_clear_handle_id (&daemon->event_deadline_source, g_source_remove);
}

void
dvr_daemon_events_free (DvrDaemon *daemon)
{
  g_clear_handle_id (&daemon->retention_source, g_source_remove);
  g_clear_handle_id (&daemon->event_deadline_source, g_source_remove);
  g_clear_pointer (&daemon->events, dvr_events_free);
  g_clear_pointer (&daemon->event_reason, g_free);
  g_clear_pointer (&daemon->retention, dvr_retention_free);
}

/* ---- status ---- */

static void
add_uint (JsonBuilder *b, const gchar *member, guint64 value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, (gint64) MIN (value, (guint64) G_MAXINT64));
}

void
dvr_daemon_events_build_status (DvrDaemon *daemon, JsonBuilder *b)
{
  DvrEventsState state = dvr_events_get_state (daemon->events);
  gint64 now_mono = dvr_monotonic_now_ns ();
  DvrRetention *r = daemon->retention;

  json_builder_set_member_name (b, "event");
  if (state == DVR_EVENTS_STATE_IDLE) {
    json_builder_add_null_value (b);
  } else {
    g_autofree const gchar **active = dvr_events_dup_active_signals (daemon->events);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, daemon->event_id);
    json_builder_set_member_name (b, "state");
    json_builder_add_string_value (b, dvr_events_state_to_string (state));
    dvr_daemon_json_add_time (b, "start", dvr_events_get_start_utc_ns (daemon->events));
    dvr_daemon_json_add_time (b, "end", dvr_events_get_end_utc_ns (daemon->events));
    json_builder_set_member_name (b, "active_signals");
    json_builder_begin_array (b);
    for (guint i = 0; active[i] != NULL; i++)
      json_builder_add_string_value (b, active[i]);
    json_builder_end_array (b);
    json_builder_end_object (b);
  }

  if (daemon->usage_mono_ns == 0 || now_mono - daemon->usage_mono_ns > USAGE_CACHE_NS) {
    g_autoptr (GError) error = NULL;
    if (dvr_catalog_get_usage (daemon->catalog, &daemon->usage, &error))
      daemon->usage_mono_ns = now_mono;
    else
      g_warning ("catalog: %s", error->message);
  }
  json_builder_set_member_name (b, "retention");
  json_builder_begin_object (b);
  add_uint (b, "free_bytes", r != NULL ? dvr_retention_get_free_bytes (r) : 0);
  add_uint (b, "total_bytes", r != NULL ? dvr_retention_get_total_bytes (r) : 0);
  add_uint (b, "min_free_bytes", r != NULL ? daemon->min_free_bytes : 0);
  add_uint (b, "target_free_bytes", r != NULL ? dvr_retention_get_target_free (r) : 0);
  add_uint (b, "floor_free_bytes", r != NULL ? dvr_retention_get_floor_free (r) : 0);
  add_uint (b, "write_rate_bytes_s", r != NULL ? dvr_retention_get_write_rate (r) : 0);
  json_builder_set_member_name (b, "alarm");
  json_builder_add_string_value (b, dvr_retention_alarm_to_string (daemon->alarm));
  json_builder_set_member_name (b, "storage_full");
  json_builder_add_boolean_value (b, daemon->storage_full);
  add_uint (b, "ring_segments", daemon->usage.ring_segments);
  add_uint (b, "ring_bytes", daemon->usage.ring_bytes);
  add_uint (b, "evidence_segments", daemon->usage.evidence_segments);
  add_uint (b, "evidence_bytes", daemon->usage.evidence_bytes);
  add_uint (b, "deleted_segments", daemon->deleted_segments);
  add_uint (b, "garbage", daemon->usage.garbage);
  json_builder_end_object (b);
}

/* ---- control commands ---- */

static gboolean
invalid (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

/* @member as a string; absent is fine (NULL) unless @required. */
static gboolean
get_string (const gchar *command, JsonObject *request, const gchar *member, gboolean required,
            const gchar **value, GError **error)
{
  JsonNode *node = json_object_get_member (request, member);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
    if (required)
      return invalid (error, "%s: \"%s\" is required", command, member);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, "%s: \"%s\" must be a string", command, member);
  *value = json_node_get_string (node);
  if (g_utf8_strlen (*value, -1) > 4096)
    return invalid (error, "%s: \"%s\" is longer than 4096 characters", command, member);
  return TRUE;
}

static gboolean
get_time (const gchar *command, JsonObject *request, const gchar *member, gboolean required,
          gint64 *utc_ns, GError **error)
{
  const gchar *text = NULL;
  g_autoptr (GError) local_error = NULL;

  *utc_ns = -1;
  if (!get_string (command, request, member, required, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!dvr_utc_parse_iso8601 (text, utc_ns, &local_error))
    return invalid (error, "%s: \"%s\": %s", command, member, local_error->message);
  return TRUE;
}

static gboolean
get_event_id (const gchar *command, JsonObject *request, gint64 *id, GError **error)
{
  JsonNode *node = json_object_get_member (request, "event");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) <= 0)
    return invalid (error, "%s: \"event\" must be an event id (a positive integer)", command);
  *id = json_node_get_int (node);
  return TRUE;
}

static const gchar *
event_state (DvrDaemon *daemon, const DvrEvent *event)
{
  if (event->id == daemon->event_id && daemon->event_id != 0)
    return dvr_events_state_to_string (dvr_events_get_state (daemon->events));
  return event->end_utc_ns < 0 ? "running" : "ended";
}

static void
add_event_object (DvrDaemon *daemon, JsonBuilder *b, const DvrEvent *event)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, event->id);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, dvr_event_kind_to_string (event->kind));
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, event_state (daemon, event));
  dvr_daemon_json_add_time (b, "start", event->start_utc_ns);
  dvr_daemon_json_add_time (b, "end", event->end_utc_ns);
  dvr_daemon_json_add_string_or_null (b, "reason", event->reason);
  dvr_daemon_json_add_string_or_null (b, "stop_reason", event->stop_reason);
  dvr_daemon_json_add_string_or_null (b, "category", event->category);
  dvr_daemon_json_add_string_or_null (b, "case", event->case_number);
  dvr_daemon_json_add_string_or_null (b, "notes", event->notes);
  json_builder_set_member_name (b, "cameras");
  json_builder_begin_array (b);
  for (guint i = 0; i < event->windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (event->windows, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, window->camera);
    dvr_daemon_json_add_time (b, "from", window->from_utc_ns);
    dvr_daemon_json_add_time (b, "to", window->to_utc_ns);
    json_builder_set_member_name (b, "segments");
    json_builder_add_int_value (b, window->n_segments);
    add_uint (b, "bytes", window->bytes);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "triggers");
  json_builder_begin_array (b);
  for (guint i = 0; i < event->triggers->len; i++) {
    const DvrEventTrigger *trigger = g_ptr_array_index (event->triggers, i);
    json_builder_begin_object (b);
    dvr_daemon_json_add_time (b, "time", trigger->utc_ns);
    dvr_daemon_json_add_string_or_null (b, "action", trigger->action);
    dvr_daemon_json_add_string_or_null (b, "source", trigger->source);
    dvr_daemon_json_add_string_or_null (b, "detail", trigger->detail);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* {"event": EVENT} (+ "extended" when @extended is not NULL). */
static JsonNode *
event_reply (DvrDaemon *daemon, gint64 event_id, const gboolean *extended, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (DvrEvent) event = NULL;
  g_autoptr (GError) local_error = NULL;

  if (event_id == 0) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED,
        "the event could not be stored in the catalog (see dvrd's log)");
    return NULL;
  }
  event = dvr_catalog_get_event (daemon->catalog, event_id, &local_error);
  if (event == NULL) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "%s",
        local_error->message);
    return NULL;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  add_event_object (daemon, b, event);
  if (extended != NULL) {
    json_builder_set_member_name (b, "extended");
    json_builder_add_boolean_value (b, *extended);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
no_event (GError **error)
{
  g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "no event is running");
  return FALSE;
}

static JsonNode *
control_event_start (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  const gchar *reason = NULL;
  gint64 now = dvr_utc_now_ns ();
  DvrEventsResult result;
  gboolean extended;

  if (daemon->stopping) {
    g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "dvrd is stopping");
    return NULL;
  }
  if (!get_string ("event-start", request, "reason", FALSE, &reason, error))
    return NULL;
  catch_up (daemon, now);
  result = dvr_events_start (daemon->events, now);
  extended = !(result.flags & DVR_EVENTS_STARTED);
  apply_result (daemon, result, DVR_EVENT_KIND_MANUAL, "manual-start", "dvrctl", reason);
  return event_reply (daemon, daemon->event_id, &extended, error);
}

static JsonNode *
control_event_stop (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  const gchar *reason = NULL;
  gint64 now = dvr_utc_now_ns ();
  DvrEventsResult result;
  gint64 event_id;

  if (!get_string ("event-stop", request, "reason", FALSE, &reason, error))
    return NULL;
  catch_up (daemon, now);
  event_id = daemon->event_id;
  result = dvr_events_stop (daemon->events, now);
  if (result.flags & DVR_EVENTS_IGNORED) {
    no_event (error);
    return NULL;
  }
  apply_result (daemon, result, DVR_EVENT_KIND_MANUAL, "manual-stop", "dvrctl", reason);
  return event_reply (daemon, event_id, NULL, error);
}

static JsonNode *
control_event_mark (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  const gchar *note = NULL;
  gint64 now = dvr_utc_now_ns ();
  DvrEventsResult result;
  gint64 event_id;

  if (!get_string ("event-mark", request, "note", FALSE, &note, error))
    return NULL;
  catch_up (daemon, now);
  event_id = daemon->event_id;
  result = dvr_events_mark (daemon->events, now);
  if (result.flags & DVR_EVENTS_IGNORED) {
    no_event (error);
    return NULL;
  }
  apply_result (daemon, result, DVR_EVENT_KIND_MANUAL, "manual-mark", "dvrctl", note);
  return event_reply (daemon, event_id, NULL, error);
}

/* Record-after-the-fact: what is left of [from, to) on the cameras taking
 * part becomes evidence now. */
static JsonNode *
control_event_create (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  g_autoptr (DvrEvent) event = dvr_event_new ();
  g_autoptr (GPtrArray) windows = NULL;
  g_autoptr (GError) local_error = NULL;
  const gchar *reason = NULL;
  gint64 from, to, now = dvr_utc_now_ns ();
  guint recorded = 0;

  if (!get_time ("event-create", request, "from", TRUE, &from, error) ||
      !get_time ("event-create", request, "to", TRUE, &to, error) ||
      !get_string ("event-create", request, "reason", TRUE, &reason, error))
    return NULL;
  {
    g_autofree gchar *stripped = g_strstrip (g_strdup (reason));
    if (*stripped == '\0') {
      invalid (error, "event-create: \"reason\" must not be empty");
      return NULL;
    }
  }
  if (from >= to) {
    invalid (error, "event-create: \"from\" must be before \"to\"");
    return NULL;
  }
  if (to > now) {
    invalid (error, "event-create: \"to\" is in the future (use event-start to record from now)");
    return NULL;
  }
  windows = build_windows (daemon, 0, 0);
  for (guint i = 0; i < windows->len; i++) {
    DvrEventWindow *window = g_ptr_array_index (windows, i);
    g_autoptr (GPtrArray) segments = NULL;
    window->from_utc_ns = from;
    window->to_utc_ns = to;
    segments = dvr_catalog_list_segments (daemon->catalog, window->camera, from, to,
        &local_error);
    if (segments == NULL) {
      g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "event-create: %s",
          local_error->message);
      return NULL;
    }
    recorded += segments->len;
  }
  if (recorded == 0) {
    g_autofree gchar *a = dvr_utc_format_iso8601 (from);
    g_autofree gchar *z = dvr_utc_format_iso8601 (to);
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED,
        "event-create: nothing recorded between %s and %s is left on the drive", a, z);
    return NULL;
  }
  event->kind = DVR_EVENT_KIND_AFTER_THE_FACT;
  event->run_id = daemon->run_id;
  event->start_utc_ns = from;
  event->end_utc_ns = to;
  event->reason = g_strdup (reason);
  event->stop_reason = g_strdup ("after the fact");
  g_ptr_array_extend_and_steal (event->windows, g_steal_pointer (&windows));
  g_ptr_array_add (event->triggers,
      dvr_event_trigger_new (now, "after-the-fact", "dvrctl", reason));
  if (!dvr_catalog_add_event (daemon->catalog, event, &local_error)) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "event-create: %s",
        local_error->message);
    return NULL;
  }
  dvr_storage_request_checkpoint (daemon->storage);
  g_message ("event %" G_GINT64_FORMAT " created after the fact: %s", event->id, reason);
  return event_reply (daemon, event->id, NULL, error);
}

static JsonNode *
control_event_set (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  const gchar *category = NULL, *case_number = NULL, *notes = NULL;
  gint64 id;

  if (!get_event_id ("event-set", request, &id, error) ||
      !get_string ("event-set", request, "category", FALSE, &category, error) ||
      !get_string ("event-set", request, "case", FALSE, &case_number, error) ||
      !get_string ("event-set", request, "notes", FALSE, &notes, error))
    return NULL;
  if (category == NULL && case_number == NULL && notes == NULL) {
    invalid (error, "event-set: give at least one of \"category\", \"case\", \"notes\"");
    return NULL;
  }
  if (!dvr_catalog_set_event_info (daemon->catalog, id, category, case_number, notes,
                                   &local_error)) {
    if (g_error_matches (local_error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND))
      invalid (error, "event-set: no event %" G_GINT64_FORMAT, id);
    else
      g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "event-set: %s",
          local_error->message);
    return NULL;
  }
  dvr_storage_request_checkpoint (daemon->storage);
  return event_reply (daemon, id, NULL, error);
}

static JsonNode *
control_events (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) local_error = NULL;
  gint64 from, to;

  if (!get_time ("events", request, "from", FALSE, &from, error) ||
      !get_time ("events", request, "to", FALSE, &to, error))
    return NULL;
  events = dvr_catalog_list_events (daemon->catalog, from < 0 ? G_MININT64 : from,
      to < 0 ? G_MAXINT64 : to, &local_error);
  if (events == NULL) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "events: %s",
        local_error->message);
    return NULL;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < events->len; i++)
    add_event_object (daemon, b, g_ptr_array_index (events, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
control_event (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (DvrEvent) event = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GError) local_error = NULL;
  gint64 id;

  if (!get_event_id ("event", request, &id, error))
    return NULL;
  event = dvr_catalog_get_event (daemon->catalog, id, &local_error);
  if (event == NULL) {
    if (g_error_matches (local_error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND))
      invalid (error, "event: no event %" G_GINT64_FORMAT, id);
    else
      g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "event: %s",
          local_error->message);
    return NULL;
  }
  segments = dvr_catalog_list_event_segments (daemon->catalog, id, &local_error);
  if (segments == NULL) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "event: %s",
        local_error->message);
    return NULL;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  add_event_object (daemon, b, event);
  json_builder_set_member_name (b, "segments");
  json_builder_begin_array (b);
  for (guint i = 0; i < segments->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (segments, i);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "camera");
    json_builder_add_string_value (b, segment->camera);
    json_builder_set_member_name (b, "path");
    json_builder_add_string_value (b, segment->path);
    dvr_daemon_json_add_time (b, "start", segment->start_utc_ns);
    dvr_daemon_json_add_time (b, "end", segment->end_utc_ns);
    add_uint (b, "frames", segment->frames);
    add_uint (b, "bytes", segment->bytes);
    dvr_daemon_json_add_string_or_null (b, "sha256", segment->sha256);
    json_builder_set_member_name (b, "state");
    json_builder_add_string_value (b, dvr_segment_state_to_string (segment->state));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
control_audit_verify (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *head = NULL;
  guint64 rows = 0;
  gint64 first_bad = 0;
  gboolean intact;

  intact = dvr_catalog_verify_audit (daemon->catalog, &rows, &first_bad, &local_error);
  if (!intact && first_bad == 0) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "audit-verify: %s",
        local_error->message);
    return NULL;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "intact");
  json_builder_add_boolean_value (b, intact);
  add_uint (b, "rows", rows);
  if (intact) {
    head = dvr_catalog_get_audit_head (daemon->catalog, NULL);
    dvr_daemon_json_add_string_or_null (b, "head", head);
  } else {
    g_warning ("audit log: %s", local_error->message);
    json_builder_set_member_name (b, "first_bad");
    json_builder_add_int_value (b, first_bad);
    json_builder_set_member_name (b, "problem");
    json_builder_add_string_value (b, local_error->message);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
dvr_daemon_events_control (DvrDaemon *daemon, const gchar *command, JsonObject *request,
                           gboolean *handled, GError **error)
{
  static const struct {
    const gchar *command;
    JsonNode *(*func) (DvrDaemon *daemon, JsonObject *request, GError **error);
  } commands[] = {
    { "event-start", control_event_start },
    { "event-stop", control_event_stop },
    { "event-mark", control_event_mark },
    { "event-create", control_event_create },
    { "event-set", control_event_set },
    { "events", control_events },
    { "event", control_event },
    { "audit-verify", control_audit_verify },
  };

  *handled = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (g_str_equal (command, commands[i].command)) {
      *handled = TRUE;
      return commands[i].func (daemon, request, error);
    }
  }
  return NULL;
}
