/* dvr-daemon: wires config, storage, catalog, pipelines and control.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-daemon.h"
#include "dvr-daemon-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/timex.h>

#include "dvr-catalog.h"
#include "dvr-control.h"
#include "dvr-gps.h"
#include "dvr-pipeline.h"
#include "dvr-signals.h"
#include "dvr-storage.h"
#include "dvr-utils.h"

/* SIGTERM to exit stays under 5 s even if a camera or the disk hangs:
 * past this, dvrd stops waiting and says what it left behind. */
#define STOP_DEADLINE_MS 4500

/* GPS fixes are written to the catalog in one transaction this often. */
#define GPS_FLUSH_INTERVAL_MS 1000

/* How often the day folders for today and tomorrow are made sure of. */
#define DAY_FOLDER_INTERVAL_S 600

/* How often the segments being written are synced: a power loss costs at
 * most this plus the time one sync takes (issue 8: at most 2 s). */

/* A segment that could not be made durable (a failed write, sync or
 * catalog commit) is finalized again this often, this many times, before
 * it is left to the next start's recovery. */
#define FINALIZE_RETRY_MS 1000
#define FINALIZE_RETRIES 3

typedef struct {
  DvrCamera *camera;
  DvrVolume *volume;     /* the one it was written to (a ref) */
  DvrSegment *segment;
  guint retries;
} PendingSegment;

/* Names handed to the pipelines (name_segment(), streaming threads) whose
 * segment has not been emitted as closed yet.  A pipeline that fails at a
 * fragment switch may have named, opened and written the next fragment
 * when it is torn down; its "fragment-opened" message is then flushed with
 * the bus and the pipeline never emits it.  Such a file would have no row
 * until the next start's recovery, unknown to events and to status: once
 * the pipeline is down (it records again, or stopped), the daemon
 * finalizes it as partial itself (claim_unemitted()).  One table for the
 * process, like the daemon. */
typedef struct {
  DvrCamera *camera;
  gint64 start_utc_ns;
} NamedSegment;

static GMutex named_lock;
static GHashTable *named_segments;   /* relpath -> NamedSegment */

/* A gap whose row could not be written when the camera failed (the
 * catalog's write failed too): written, start and end, when the camera
 * records again or dvrd stops, so that the outage is not lost from the
 * catalog.  Main loop only. */
typedef struct {
  gint64 since_utc_ns;
  gchar *reason;
} UnwrittenGap;

static void
unwritten_gap_free (UnwrittenGap *gap)
{
  g_free (gap->reason);
  g_free (gap);
}

static GHashTable *unwritten_gaps;   /* DvrCamera * -> UnwrittenGap */

static DvrClockSource
detect_clock_source (void)
{
  struct timex tx = { 0, };
  int state = adjtimex (&tx);
  /* The kernel clears STA_UNSYNC once NTP (or chrony, or gpsd's PPS
   * discipline through them) has synchronised the clock. */
  if (state == -1 || state == TIME_ERROR || (tx.status & STA_UNSYNC))
    return DVR_CLOCK_SOURCE_RTC;
  return DVR_CLOCK_SOURCE_NTP;
}

static void
camera_save_counters (DvrCamera *camera)
{
  DvrDaemon *daemon = camera->daemon;
  g_autoptr (GError) error = NULL;
  DvrRunCamera rc = {
    .run_id = daemon->run_id,
    .camera = (gchar *) camera->config->name,
    .frames_in = dvr_pipeline_get_frames_in (camera->pipeline),
    .frames_recorded = dvr_pipeline_get_frames_recorded (camera->pipeline),
    .restarts = dvr_pipeline_get_restarts (camera->pipeline),
  };
  if (!dvr_catalog_set_run_camera (daemon->catalog, &rc, &error))
    g_warning ("catalog: %s", error->message);
}

static void maybe_finish_stop (DvrDaemon *daemon);
static gboolean gps_flush_cb (gpointer user_data);
static void build_gps_status (DvrDaemon *daemon, JsonBuilder *b);

static void segment_durable_cb (const gchar *relpath, const gchar *sha256, guint64 bytes,
    const DvrMediaInfo *media, const GError *error, gpointer user_data);

static gboolean
finalize_retry_cb (gpointer user_data)
{
  PendingSegment *pending = user_data;

  /* Probed: the row counts the frames the file really holds. */
  dvr_storage_finalize_async (pending->volume->storage, pending->segment->path, TRUE,
      segment_durable_cb, pending);
  return G_SOURCE_REMOVE;
}

/* Schedules another finalization of @pending; FALSE when it has had its
 * tries or its volume is lost (the segment is then left to recovery). */
static gboolean
finalize_retry (PendingSegment *pending)
{
  if (pending->retries >= FINALIZE_RETRIES || pending->volume->failed)
    return FALSE;
  pending->retries++;
  pending->volume->pending_finalize++;
  /* Stopping: at once, within the stop's deadline. */
  g_timeout_add (pending->camera->daemon->stopping ? 0 : FINALIZE_RETRY_MS, finalize_retry_cb,
      pending);
  return TRUE;
}

static void
frameless_deleted_cb (GPtrArray *deleted, const GError *error, gpointer user_data)
{
  g_autoptr (DvrVolume) volume = user_data;

  if (error != NULL)
    g_warning ("storage: %s (left in the catalog's garbage for the next start)",
        error->message);
  for (guint i = 0; i < deleted->len; i++) {
    g_autoptr (GError) local_error = NULL;
    if (!dvr_catalog_drop_garbage (volume->catalog, deleted->pdata[i], &local_error))
      g_warning ("catalog: %s", local_error->message);
  }
}

/* A closed segment that holds no frame (its camera stopped or failed
 * between opening the file and its first frame: a Matroska header and
 * nothing else) is no recording.  It goes through the garbage steps,
 * audited, instead of becoming a row that plays nothing.  If even the
 * garbage row cannot be written, the file stays for the next start's
 * recovery, which quarantines it. */
static void
discard_frameless (DvrCamera *camera, DvrVolume *volume, const gchar *relpath, guint64 bytes,
    const gchar *sha256)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *paths;

  if (!dvr_catalog_add_garbage_file (volume->catalog, relpath, bytes, sha256,
          "no frame: the camera stopped before its first frame reached the file", &error)) {
    g_warning ("camera %s: %s holds no frame, left for the next start: catalog: %s",
        camera->config->name, relpath, error->message);
    return;
  }
  g_message ("camera %s: %s holds no frame; deleting it", camera->config->name, relpath);
  paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (paths, g_strdup (relpath));
  dvr_storage_delete_async (volume->storage, paths, frameless_deleted_cb,
      dvr_volume_ref (volume));
  g_ptr_array_unref (paths);
}

static void
segment_durable_cb (const gchar *relpath, const gchar *sha256, guint64 bytes,
    const DvrMediaInfo *media, const GError *error, gpointer user_data)
{
  PendingSegment *pending = user_data;
  DvrCamera *camera = pending->camera;
  DvrDaemon *daemon = camera->daemon;
  DvrVolume *volume = pending->volume;
  g_autoptr (GError) local_error = NULL;

  volume->pending_finalize--;
  if (error != NULL) {
    /* Not durable, so no row yet (docs/storage.md).  A write or sync of
     * the file failed: it is flagged partial (kept as it is, not a
     * complete segment) and finalized again, so that a transient error
     * still ends in a row; after the last try startup recovery looks at
     * the file again. */
    camera->write_failures++;
    g_warning ("camera %s: write failure: %s", camera->config->name, error->message);
    dvr_daemon_drive_write_failed (daemon, volume, error);
    pending->segment->state = DVR_SEGMENT_STATE_PARTIAL;
    if (finalize_retry (pending)) {
      g_message ("camera %s: %s flagged partial; finalizing it again (try %u of %d)",
          camera->config->name, relpath, pending->retries, FINALIZE_RETRIES);
      return;
    }
    g_warning ("camera %s: %s left without a row for the next start's recovery",
        camera->config->name, relpath);
  } else {
    g_free (pending->segment->sha256);
    pending->segment->sha256 = g_strdup (sha256);
    pending->segment->bytes = bytes;
    if (media != NULL) {
      /* What the file really holds, not what reached the muxer. */
      pending->segment->frames = media->frames;
      if (media->frames > 0)
        pending->segment->end_utc_ns = pending->segment->start_utc_ns +
            (media->end_pts - media->first_pts);
    }
    /* Into the catalog of the volume it is on, even if dvrd has moved on
     * to another since (an eject waits for these). */
    if (media != NULL && media->frames == 0) {
      discard_frameless (camera, volume, relpath, bytes, sha256);
    } else if (!dvr_catalog_add_segment (volume->catalog, pending->segment, &local_error) &&
        !g_error_matches (local_error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_EXISTS)) {
      /* The catalog's own write failed (SQLite rolled back): the file is
       * durable, so its row is tried again rather than left to the next
       * start. */
      g_warning ("camera %s: catalog: %s", camera->config->name, local_error->message);
      if (finalize_retry (pending)) {
        g_message ("camera %s: adding the row of %s again (try %u of %d)",
            camera->config->name, relpath, pending->retries, FINALIZE_RETRIES);
        return;
      }
      g_warning ("camera %s: %s left without a row for the next start's recovery",
          camera->config->name, relpath);
    } else {
      /* The checkpoint after the file's sync ran before this row existed:
       * with synchronous=NORMAL the row is durable only at the next one.
       * A drive pulled before that would keep the file and lose its row. */
      dvr_storage_request_checkpoint (volume->storage);
      if (volume == daemon->volume)
        camera->last_durable_utc_ns = MAX (camera->last_durable_utc_ns,
            pending->segment->end_utc_ns);
    }
    if (volume == daemon->volume) {
      camera_save_counters (camera);
      dvr_daemon_events_segment_added (daemon);
    }
  }
  dvr_segment_free (pending->segment);
  dvr_volume_unref (pending->volume);
  g_free (pending);
  daemon->pending_finalize--;
  maybe_finish_stop (daemon);
}

static void
on_segment_closed (DvrPipeline *pipeline, DvrSegment *segment, gpointer user_data)
{
  DvrCamera *camera = user_data;
  DvrDaemon *daemon = camera->daemon;
  PendingSegment *pending = g_new0 (PendingSegment, 1);

  g_mutex_lock (&named_lock);
  if (named_segments != NULL)
    g_hash_table_remove (named_segments, segment->path);
  g_mutex_unlock (&named_lock);

  pending->camera = camera;
  pending->volume = dvr_volume_ref (daemon->volume);
  pending->volume->pending_finalize++;
  pending->segment = dvr_segment_copy (segment);
  pending->segment->run_id = daemon->run_id;
  pending->segment->clock_source = daemon->clock_source;
  pending->segment->clock_offset_ns = daemon->gps != NULL ?
      dvr_gps_get_clock_offset_ns (daemon->gps) : G_MININT64;
  if (!dvr_storage_parse_segment_name (segment->path, NULL, &pending->segment->seq))
    g_warning ("camera %s: unexpected segment name %s", camera->config->name, segment->path);
  daemon->pending_finalize++;
  /* Probed when the muxer's counters cannot be trusted (partial) or say
   * the file holds nothing: a file without a frame is not catalogued. */
  dvr_storage_finalize_async (pending->volume->storage, segment->path,
      segment->state != DVR_SEGMENT_STATE_COMPLETE || segment->frames == 0,
      segment_durable_cb, pending);
}

/* Main loop, with @camera's last pipeline down: finalizes, as partial,
 * each segment it named and wrote but never emitted (see named_segments);
 * the one the camera is writing now is not one of them. */
static void
claim_unemitted (DvrCamera *camera)
{
  DvrDaemon *daemon = camera->daemon;
  const gchar *open_now = dvr_pipeline_get_segment (camera->pipeline);
  g_autoptr (GPtrArray) claimed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  GHashTableIter iter;
  gpointer key, value;

  g_mutex_lock (&named_lock);
  g_hash_table_iter_init (&iter, named_segments);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    NamedSegment *named = value;
    if (named->camera != camera || g_strcmp0 (key, open_now) == 0)
      continue;
    g_ptr_array_add (claimed, g_strdup (key));
    g_array_append_val (starts, named->start_utc_ns);
    g_hash_table_iter_remove (&iter);
  }
  g_mutex_unlock (&named_lock);

  for (guint i = 0; i < claimed->len; i++) {
    const gchar *relpath = claimed->pdata[i];
    g_autofree gchar *path = g_build_filename (daemon->volume->root, relpath, NULL);
    g_autoptr (DvrSegment) segment = NULL;
    GStatBuf st;

    if (g_stat (path, &st) != 0)
      continue;   /* named, never opened */
    if (st.st_size == 0) {
      g_message ("camera %s: %s was opened but never written; left for the next start's "
          "recovery", camera->config->name, relpath);
      continue;
    }
    g_warning ("camera %s: %s was written but not reported by its pipeline; "
        "cataloguing it as partial", camera->config->name, relpath);
    segment = dvr_segment_new ();
    segment->camera = g_strdup (camera->config->name);
    segment->path = g_strdup (relpath);
    segment->state = DVR_SEGMENT_STATE_PARTIAL;
    /* Main loop, but only after a failure, on a head just written (page
     * cache). */
    segment->codec = g_strdup (dvr_media_sniff_codec (path));
    segment->start_utc_ns = segment->end_utc_ns = g_array_index (starts, gint64, i);
    /* This boot's monotonic clock, from the offset between the clocks now. */
    segment->start_mono_ns = segment->start_utc_ns - (dvr_utc_now_ns () - dvr_monotonic_now_ns ());
    on_segment_closed (camera->pipeline, segment, camera);
  }
}

/* Writes @camera's unwritten gap, if any, as ending at @end_utc_ns. */
static void
write_unwritten_gap (DvrCamera *camera, gint64 end_utc_ns)
{
  DvrDaemon *daemon = camera->daemon;
  UnwrittenGap *gap = unwritten_gaps ? g_hash_table_lookup (unwritten_gaps, camera) : NULL;
  g_autoptr (GError) error = NULL;
  gint64 id;

  if (gap == NULL)
    return;
  id = dvr_catalog_open_gap (daemon->catalog, camera->config->name, daemon->run_id,
      MIN (gap->since_utc_ns, end_utc_ns), gap->reason, &error);
  if (id == 0 || !dvr_catalog_close_gap (daemon->catalog, id, end_utc_ns, &error)) {
    g_warning ("catalog: %s (tried again later)", error->message);
    return;
  }
  g_hash_table_remove (unwritten_gaps, camera);
}

static void
on_recording (DvrPipeline *pipeline, gint64 start_utc_ns, gpointer user_data)
{
  DvrCamera *camera = user_data;
  g_autoptr (GError) error = NULL;

  claim_unemitted (camera);
  write_unwritten_gap (camera, start_utc_ns);

  if (camera->open_gap_id == 0) {
    g_message ("camera %s: recording", camera->config->name);
    return;
  }
  if (!dvr_catalog_close_gap (camera->daemon->catalog, camera->open_gap_id, start_utc_ns, &error))
    g_warning ("catalog: %s", error->message);
  camera->open_gap_id = 0;
  g_message ("camera %s: recording again", camera->config->name);
}

static void
on_failed (DvrPipeline *pipeline, const gchar *reason, gint64 since_utc_ns, gpointer user_data)
{
  DvrCamera *camera = user_data;
  g_autoptr (GError) error = NULL;

  if (camera->open_gap_id != 0)
    return;
  camera->open_gap_id = dvr_catalog_open_gap (camera->daemon->catalog,
      camera->config->name, camera->daemon->run_id, since_utc_ns, reason, &error);
  if (camera->open_gap_id == 0) {
    g_warning ("catalog: %s", error->message);
    if (unwritten_gaps != NULL && !g_hash_table_contains (unwritten_gaps, camera)) {
      UnwrittenGap *gap = g_new0 (UnwrittenGap, 1);
      gap->since_utc_ns = since_utc_ns;
      gap->reason = g_strdup (reason);
      g_hash_table_insert (unwritten_gaps, camera, gap);
    }
  }
}

static void
on_stopped (DvrPipeline *pipeline, gpointer user_data)
{
  DvrCamera *camera = user_data;
  claim_unemitted (camera);
  dvr_daemon_drive_camera_stopped (camera->daemon);
  maybe_finish_stop (camera->daemon);
}

void
dvr_daemon_camera_open_gap (DvrDaemon *daemon, DvrCamera *camera, gint64 utc_ns,
                            const gchar *reason)
{
  g_autoptr (GError) error = NULL;

  if (camera->open_gap_id != 0)
    return;
  camera->open_gap_id = dvr_catalog_open_gap (daemon->catalog, camera->config->name,
      daemon->run_id, utc_ns, reason, &error);
  if (camera->open_gap_id == 0)
    g_warning ("catalog: %s", error->message);
}

void
dvr_daemon_save_counters (DvrDaemon *daemon)
{
  for (guint i = 0; i < daemon->cameras->len; i++)
    camera_save_counters (g_ptr_array_index (daemon->cameras, i));
}

void
dvr_daemon_flush_gps (DvrDaemon *daemon)
{
  gps_flush_cb (daemon);
}

void
dvr_daemon_close_open_gaps (DvrDaemon *daemon, gint64 end_utc_ns)
{
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    g_autoptr (GError) error = NULL;
    write_unwritten_gap (camera, end_utc_ns);
    if (camera->open_gap_id == 0)
      continue;
    if (!dvr_catalog_close_gap (daemon->catalog, camera->open_gap_id, end_utc_ns, &error))
      g_warning ("catalog: %s", error->message);
    camera->open_gap_id = 0;
  }
}

static void
maybe_finish_stop (DvrDaemon *daemon)
{
  g_autoptr (GError) error = NULL;

  if (!daemon->stopping || daemon->stop_done == NULL)
    return;
  for (guint i = 0; i < daemon->cameras->len && !daemon->stop_forced; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    if (dvr_pipeline_get_state (camera->pipeline) != DVR_PIPELINE_STATE_STOPPED)
      return;
  }
  if (daemon->pending_finalize > 0 && !daemon->stop_forced)
    return;
  g_clear_handle_id (&daemon->stop_deadline_source, g_source_remove);

  dvr_daemon_close_open_gaps (daemon, dvr_utc_now_ns ());
  gps_flush_cb (daemon);
  for (guint i = 0; i < daemon->cameras->len; i++)
    camera_save_counters (g_ptr_array_index (daemon->cameras, i));
  if (!dvr_catalog_end_run (daemon->catalog, daemon->run_id, dvr_utc_now_ns (), &error)) {
    g_warning ("catalog: %s", error->message);
    g_clear_error (&error);
  }
  /* Shutdown is the one moment the main loop may wait for the disk. */
  if (!dvr_catalog_checkpoint (daemon->catalog, &error))
    g_warning ("catalog: %s", error->message);
  g_message ("run %" G_GINT64_FORMAT " ended: every segment finalized", daemon->run_id);
  g_idle_add (daemon->stop_done, daemon->stop_done_data);
  daemon->stop_done = NULL;
}

static gboolean
sync_open_segments_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  g_autoptr (GPtrArray) relpaths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    const gchar *relpath = dvr_pipeline_get_segment (camera->pipeline);
    if (relpath != NULL)
      g_ptr_array_add (relpaths, g_strdup (relpath));
  }
  if (relpaths->len > 0 && daemon->volume != NULL && !daemon->volume->failed)
    dvr_storage_sync_open (daemon->storage, relpaths);
  return G_SOURCE_CONTINUE;
}

gboolean
dvr_daemon_ensure_day_folders (gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  gint64 now = dvr_utc_now_ns ();

  for (guint i = 0; i < daemon->config->cameras->len; i++) {
    const DvrCameraConfig *cam = g_ptr_array_index (daemon->config->cameras, i);
    g_autoptr (GError) error = NULL;
    if (!dvr_storage_ensure_day_folders (daemon->storage, cam->name, now, &error))
      g_warning ("storage: %s", error->message);
  }
  return G_SOURCE_CONTINUE;
}

/* Streaming thread: string work only. */
static gchar *
name_segment (const gchar *camera, guint seq, gint64 start_utc_ns, gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  gchar *relpath = dvr_storage_build_segment_path (camera, start_utc_ns, daemon->run_id, seq);

  /* The cameras array does not change once the daemon is made. */
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *c = g_ptr_array_index (daemon->cameras, i);
    if (g_str_equal (c->config->name, camera)) {
      NamedSegment *named = g_new0 (NamedSegment, 1);
      named->camera = c;
      named->start_utc_ns = start_utc_ns;
      g_mutex_lock (&named_lock);
      g_hash_table_replace (named_segments, g_strdup (relpath), named);
      g_mutex_unlock (&named_lock);
      break;
    }
  }
  return relpath;
}

void
dvr_daemon_json_add_time (JsonBuilder *b, const gchar *member, gint64 utc_ns)
{
  json_builder_set_member_name (b, member);
  if (utc_ns < 0) {
    json_builder_add_null_value (b);
  } else {
    g_autofree gchar *iso = dvr_utc_format_iso8601 (utc_ns);
    json_builder_add_string_value (b, iso);
  }
}

void
dvr_daemon_json_add_string_or_null (JsonBuilder *b, const gchar *member, const gchar *value)
{
  json_builder_set_member_name (b, member);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

JsonNode *
dvr_daemon_build_status (DvrDaemon *daemon)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (GError) error = NULL;

  gaps = dvr_catalog_list_gaps (daemon->catalog, NULL, &error);
  if (gaps == NULL)
    g_warning ("catalog: %s", error->message);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "unit");
  json_builder_add_string_value (b, daemon->config->unit_id);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, DVR_VERSION);
  json_builder_set_member_name (b, "run");
  json_builder_add_int_value (b, daemon->run_id);
  json_builder_set_member_name (b, "uptime_s");
  json_builder_add_double_value (b,
      (double) (dvr_monotonic_now_ns () - daemon->start_mono_ns) / DVR_NSEC_PER_SEC);
  json_builder_set_member_name (b, "storage");
  json_builder_add_string_value (b, daemon->volume->path);
  dvr_daemon_drive_build_status (daemon, b);
  json_builder_set_member_name (b, "clock_source");
  json_builder_add_string_value (b, dvr_clock_source_to_string (daemon->clock_source));

  build_gps_status (daemon, b);
  dvr_daemon_events_build_status (daemon, b);
  dvr_daemon_power_build_status (daemon, b);
  json_builder_set_member_name (b, "signals");
  json_builder_begin_array (b);
  for (guint i = 0; i < dvr_signals_get_count (daemon->signals); i++) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, dvr_signals_get_name (daemon->signals, i));
    json_builder_set_member_name (b, "value");
    json_builder_add_boolean_value (b, dvr_signals_get_value (daemon->signals, i));
    dvr_daemon_json_add_time (b, "changed", dvr_signals_get_changed_utc_ns (daemon->signals, i));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "cameras");
  json_builder_begin_array (b);
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    DvrPipeline *p = camera->pipeline;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, camera->config->name);
    json_builder_set_member_name (b, "source");
    json_builder_add_string_value (b, camera->config->source);
    json_builder_set_member_name (b, "state");
    json_builder_add_string_value (b, dvr_pipeline_state_to_string (dvr_pipeline_get_state (p)));
    dvr_daemon_json_add_string_or_null (b, "segment", dvr_pipeline_get_segment (p));
    json_builder_set_member_name (b, "segment_frames");
    json_builder_add_int_value (b, (gint64) dvr_pipeline_get_segment_frames (p));
    json_builder_set_member_name (b, "frames_in");
    json_builder_add_int_value (b, (gint64) dvr_pipeline_get_frames_in (p));
    json_builder_set_member_name (b, "frames_recorded");
    json_builder_add_int_value (b, (gint64) dvr_pipeline_get_frames_recorded (p));
    json_builder_set_member_name (b, "segments");
    json_builder_add_int_value (b, dvr_pipeline_get_segments (p));
    json_builder_set_member_name (b, "restarts");
    json_builder_add_int_value (b, dvr_pipeline_get_restarts (p));
    json_builder_set_member_name (b, "write_failures");
    json_builder_add_int_value (b, camera->write_failures);
    dvr_daemon_json_add_string_or_null (b, "last_error", dvr_pipeline_get_last_error (p));
    dvr_daemon_json_add_string_or_null (b, "capture", dvr_pipeline_get_capture (p));
    dvr_daemon_json_add_string_or_null (b, "watermark", dvr_pipeline_get_watermark (p));
    dvr_daemon_json_add_string_or_null (b, "control_error", dvr_pipeline_get_control_error (p));
    json_builder_set_member_name (b, "gaps");
    json_builder_begin_array (b);
    for (guint j = 0; gaps != NULL && j < gaps->len; j++) {
      DvrGap *gap = g_ptr_array_index (gaps, j);
      if (gap->run_id != daemon->run_id || g_strcmp0 (gap->camera, camera->config->name) != 0)
        continue;
      json_builder_begin_object (b);
      dvr_daemon_json_add_time (b, "start", gap->start_utc_ns);
      dvr_daemon_json_add_time (b, "end", gap->end_utc_ns);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, gap->reason);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* ---- GPS ---- */

static gboolean
gps_flush_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  g_autoptr (GError) error = NULL;

  if (daemon->gps_batch->len == 0)
    return G_SOURCE_CONTINUE;
  if (!dvr_catalog_add_gps_fixes (daemon->catalog, (const DvrGpsFix *) daemon->gps_batch->data,
                                  daemon->gps_batch->len, &error))
    g_warning ("catalog: %u GPS fixes lost: %s", daemon->gps_batch->len, error->message);
  g_array_set_size (daemon->gps_batch, 0);
  return G_SOURCE_CONTINUE;
}

static void daemon_update_watermarks (DvrDaemon *daemon);

static void
daemon_push_gps (DvrDaemon *daemon, const DvrGpsFix *fix)
{
  for (guint i = 0; i < daemon->cameras->len; i++)
    dvr_pipeline_push_gps (((DvrCamera *) g_ptr_array_index (daemon->cameras, i))->pipeline, fix);
  daemon_update_watermarks (daemon);
}

/* Vehicles often boot with a wrong clock: when GPS time and the system
 * clock disagree by more than the threshold, say so once (and again when
 * they agree again); the offset goes with every segment. */
static void
check_clock_offset (DvrDaemon *daemon)
{
  gint64 offset = dvr_gps_get_clock_offset_ns (daemon->gps);
  gboolean exceeded;

  if (offset == G_MININT64)
    return;
  exceeded = ABS (offset) > daemon->config->clock_offset_threshold_ns;
  if (exceeded && !daemon->clock_offset_exceeded)
    g_warning ("clock: GPS time and the system clock differ by %.3f s (threshold %.3f s); "
        "recordings keep the offset", (double) offset / DVR_NSEC_PER_SEC,
        (double) daemon->config->clock_offset_threshold_ns / DVR_NSEC_PER_SEC);
  else if (!exceeded && daemon->clock_offset_exceeded)
    g_message ("clock: GPS time and the system clock agree again (%.3f s)",
        (double) offset / DVR_NSEC_PER_SEC);
  daemon->clock_offset_exceeded = exceeded;
}

static void
on_gps_fix (DvrGps *gps, const DvrGpsFix *fix, gpointer user_data)
{
  DvrDaemon *daemon = user_data;

  daemon->last_fix = *fix;
  g_array_append_val (daemon->gps_batch, *fix);
  daemon_push_gps (daemon, fix);
  check_clock_offset (daemon);
}

static void
on_gps_state (DvrGps *gps, gint state, gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  gboolean connected = state == DVR_GPS_STATE_CONNECTED;

  if (connected == daemon->gps_connected)
    return;
  daemon->gps_connected = connected;
  if (connected) {
    g_message ("gps: connected to gpsd");
    return;
  }
  /* The tracks say "no GPS" from here until gpsd is back. */
  g_warning ("gps: lost gpsd (%s); recording without GPS, retrying",
      dvr_gps_get_last_error (gps) ? dvr_gps_get_last_error (gps) : "disconnected");
  dvr_gps_fix_init (&daemon->last_fix);
  daemon->last_fix.received_utc_ns = dvr_utc_now_ns ();
  daemon->last_fix.received_mono_ns = dvr_monotonic_now_ns ();
  daemon_push_gps (daemon, &daemon->last_fix);
}

static void
json_add_double_or_null (JsonBuilder *b, const gchar *member, gdouble value)
{
  json_builder_set_member_name (b, member);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
build_gps_status (DvrDaemon *daemon, JsonBuilder *b)
{
  DvrGpsCounters counters = { 0, };
  gint64 offset;
  const DvrGpsFix *fix = &daemon->last_fix;

  json_builder_set_member_name (b, "gps");
  if (daemon->gps == NULL) {
    json_builder_add_null_value (b);
    return;
  }
  dvr_gps_get_counters (daemon->gps, &counters);
  offset = dvr_gps_get_clock_offset_ns (daemon->gps);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, dvr_gps_state_to_string (dvr_gps_get_state (daemon->gps)));
  json_builder_set_member_name (b, "gpsd");
  {
    g_autofree gchar *where = g_strdup_printf ("%s:%s", daemon->config->gpsd_host,
        daemon->config->gpsd_port);
    json_builder_add_string_value (b, where);
  }
  json_builder_set_member_name (b, "mode");
  json_builder_add_int_value (b, fix->mode);
  dvr_daemon_json_add_time (b, "time", fix->time_ns != G_MININT64 ? fix->time_ns : -1);
  json_add_double_or_null (b, "lat", fix->mode >= DVR_GPS_MODE_2D ? fix->lat : NAN);
  json_add_double_or_null (b, "lon", fix->mode >= DVR_GPS_MODE_2D ? fix->lon : NAN);
  json_add_double_or_null (b, "speed", fix->mode >= DVR_GPS_MODE_2D ? fix->speed : NAN);
  json_add_double_or_null (b, "track", fix->mode >= DVR_GPS_MODE_2D ? fix->track : NAN);
  json_builder_set_member_name (b, "fixes");
  json_builder_add_int_value (b, (gint64) counters.fixes);
  json_builder_set_member_name (b, "no_fixes");
  json_builder_add_int_value (b, (gint64) counters.no_fixes);
  json_builder_set_member_name (b, "malformed");
  json_builder_add_int_value (b, (gint64) counters.malformed);
  json_builder_set_member_name (b, "invalid_fields");
  json_builder_add_int_value (b, (gint64) counters.invalid_fields);
  json_builder_set_member_name (b, "time_jumps");
  json_builder_add_int_value (b, (gint64) counters.time_jumps);
  json_builder_set_member_name (b, "reconnects");
  json_builder_add_int_value (b, counters.reconnects);
  dvr_daemon_json_add_string_or_null (b, "last_error", dvr_gps_get_last_error (daemon->gps));
  json_add_double_or_null (b, "clock_offset_s",
      offset != G_MININT64 ? (gdouble) offset / DVR_NSEC_PER_SEC : NAN);
  json_builder_set_member_name (b, "clock_offset_exceeded");
  json_builder_add_boolean_value (b, daemon->clock_offset_exceeded);
  json_builder_end_object (b);
}

/* Only signals whose source is the control socket may be set through it:
 * a physical input is the truth for its own signal. */
static gboolean
daemon_signal_settable (DvrDaemon *daemon, const gchar *name, GError **error)
{
  for (guint i = 0; i < daemon->config->signals->len; i++) {
    const DvrSignalConfig *signal = g_ptr_array_index (daemon->config->signals, i);
    if (g_str_equal (signal->name, name) && signal->source != DVR_SIGNAL_SOURCE_CONTROL) {
      g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
          "signal: %s comes from a vehicle input, not the control socket", name);
      return FALSE;
    }
  }
  return TRUE;
}

static void
daemon_store_signal_change (DvrDaemon *daemon, const gchar *name, gboolean value,
                            gint64 utc_ns, gint64 mono_ns, const gchar *source)
{
  g_autoptr (GError) error = NULL;
  if (!dvr_catalog_add_signal_change (daemon->catalog, name, value, utc_ns, mono_ns, source,
                                      &error))
    g_warning ("catalog: %s", error->message);
}

/* "52 km/h  LIGHTBAR SIREN": the watermark's second line. */
static gchar *
watermark_text (DvrDaemon *daemon)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree const gchar **active = dvr_signals_dup_active (daemon->signals);

  if (daemon->last_fix.mode >= DVR_GPS_MODE_2D && isfinite (daemon->last_fix.speed)) {
    gboolean mph = daemon->config->speed_units == DVR_SPEED_UNITS_MPH;
    g_string_append_printf (text, "%.0f %s", daemon->last_fix.speed * (mph ? 2.2369363 : 3.6),
        mph ? "mph" : "km/h");
  } else {
    g_string_append (text, daemon->gps_connected ? "NO GPS FIX" : "NO GPS");
  }
  for (guint i = 0; active[i] != NULL; i++) {
    g_autofree gchar *upper = g_ascii_strup (active[i], -1);
    g_string_append_printf (text, "  %s", upper);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
daemon_update_watermarks (DvrDaemon *daemon)
{
  g_autofree gchar *text = watermark_text (daemon);
  for (guint i = 0; i < daemon->cameras->len; i++)
    dvr_pipeline_set_watermark (((DvrCamera *) g_ptr_array_index (daemon->cameras, i))->pipeline,
        text);
}

/* Every camera's metadata track and watermark get the signals' states. */
static void
daemon_push_signals (DvrDaemon *daemon)
{
  guint n = dvr_signals_get_count (daemon->signals);
  g_autofree const gchar **names = g_new0 (const gchar *, n + 1);
  g_autofree gboolean *values = g_new0 (gboolean, n + 1);

  for (guint i = 0; i < n; i++) {
    names[i] = dvr_signals_get_name (daemon->signals, i);
    values[i] = dvr_signals_get_value (daemon->signals, i);
  }
  for (guint i = 0; i < daemon->cameras->len; i++)
    dvr_pipeline_set_signals (((DvrCamera *) g_ptr_array_index (daemon->cameras, i))->pipeline,
        names, values);
  daemon_update_watermarks (daemon);
}

/* A signal changed: every camera's metadata track and the catalog, then
 * what it triggers (events, the ignition lifecycle). */
void
dvr_daemon_signal_changed (DvrDaemon *daemon, const gchar *name, gboolean value, gint64 utc_ns,
                           gint64 mono_ns, const gchar *source)
{
  g_message ("signal %s %s (%s)", name, value ? "on" : "off", source);
  daemon_store_signal_change (daemon, name, value, utc_ns, mono_ns, source);
  daemon_push_signals (daemon);
  dvr_daemon_events_signal (daemon, name, value, utc_ns);
  dvr_daemon_power_signal (daemon, name, value, mono_ns);
}

/* {"cmd":"signal","name":"lightbar","value":true}: sets a signal whose
 * source is the control socket. */
static JsonNode *
control_signal (DvrDaemon *daemon, JsonObject *request, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  JsonNode *name_node = json_object_get_member (request, "name");
  JsonNode *value_node = json_object_get_member (request, "value");
  const gchar *name;
  gboolean value;
  gboolean changed = FALSE;
  gint64 utc_ns = dvr_utc_now_ns ();
  gint64 mono_ns = dvr_monotonic_now_ns ();

  if (name_node == NULL || !JSON_NODE_HOLDS_VALUE (name_node) ||
      json_node_get_value_type (name_node) != G_TYPE_STRING) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
        "signal: \"name\" must be a string");
    return NULL;
  }
  if (value_node == NULL || !JSON_NODE_HOLDS_VALUE (value_node) ||
      json_node_get_value_type (value_node) != G_TYPE_BOOLEAN) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
        "signal: \"value\" must be true or false");
    return NULL;
  }
  name = json_node_get_string (name_node);
  value = json_node_get_boolean (value_node);
  if (!daemon_signal_settable (daemon, name, error) ||
      !dvr_signals_set (daemon->signals, name, value, utc_ns, &changed, error)) {
    if (error != NULL && *error != NULL && (*error)->domain == DVR_SIGNALS_ERROR) {
      g_autofree gchar *message = g_strdup ((*error)->message);
      g_clear_error (error);
      g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
          "signal: %s", message);
    }
    return NULL;
  }
  if (changed)
    dvr_daemon_signal_changed (daemon, name, value, utc_ns, mono_ns, "control");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "value");
  json_builder_add_boolean_value (b, value);
  json_builder_set_member_name (b, "changed");
  json_builder_add_boolean_value (b, changed);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
control_handler (const gchar *command, JsonObject *request, gpointer user_data, GError **error)
{
  DvrDaemon *daemon = user_data;
  gboolean handled = FALSE;
  JsonNode *reply;

  reply = dvr_daemon_events_control (daemon, command, request, &handled, error);
  if (handled)
    return reply;
  reply = dvr_daemon_drive_control (daemon, command, request, &handled, error);
  if (handled)
    return reply;
  if (g_str_equal (command, "status"))
    return dvr_daemon_build_status (daemon);
  if (g_str_equal (command, "signal"))
    return control_signal (daemon, request, error);
  if (g_str_equal (command, "version")) {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "version");
    json_builder_add_string_value (b, DVR_VERSION);
    json_builder_end_object (b);
    return json_builder_get_root (b);
  }
  g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_UNKNOWN_COMMAND,
      "unknown command \"%s\" (known: status, signal, version, event-start, event-stop, "
      "event-mark, event-create, event-set, events, event, audit-verify, eject, drive)", command);
  return NULL;
}

static void
dvr_camera_free (DvrCamera *camera)
{
  if (camera->pipeline != NULL) {
    g_signal_handlers_disconnect_by_data (camera->pipeline, camera);
    g_object_unref (camera->pipeline);
  }
  g_free (camera);
}

DvrDaemon *
dvr_daemon_new (DvrConfig *config, GError **error)
{
  g_autoptr (DvrDaemon) daemon = g_new0 (DvrDaemon, 1);
  g_autofree gchar *socket_folder = NULL;

  daemon->config = config;
  daemon->cameras = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_camera_free);
  g_mutex_lock (&named_lock);
  if (named_segments == NULL)
    named_segments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_mutex_unlock (&named_lock);
  if (unwritten_gaps == NULL)
    unwritten_gaps = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
        (GDestroyNotify) unwritten_gap_free);
  daemon->start_mono_ns = dvr_monotonic_now_ns ();
  daemon->clock_source = detect_clock_source ();
  dvr_gps_fix_init (&daemon->last_fix);
  daemon->gps_batch = g_array_new (FALSE, FALSE, sizeof (DvrGpsFix));
  if (config->gpsd_host != NULL) {
    daemon->gps = dvr_gps_new (config->gpsd_host, config->gpsd_port);
    g_signal_connect (daemon->gps, "fix", G_CALLBACK (on_gps_fix), daemon);
    g_signal_connect (daemon->gps, "state-changed", G_CALLBACK (on_gps_state), daemon);
  }
  {
    g_autoptr (GPtrArray) names = g_ptr_array_new ();
    for (guint i = 0; i < config->signals->len; i++)
      g_ptr_array_add (names, ((DvrSignalConfig *) g_ptr_array_index (config->signals, i))->name);
    g_ptr_array_add (names, NULL);
    daemon->signals = dvr_signals_new ((const gchar *const *) names->pdata);
  }

  /* The drive, or the fallback: storage, catalog, run id. */
  if (!dvr_daemon_drive_init (daemon, error))
    return NULL;

  for (guint i = 0; i < config->cameras->len; i++) {
    const DvrCameraConfig *cam = g_ptr_array_index (config->cameras, i);
    DvrCamera *camera = g_new0 (DvrCamera, 1);
    DvrPipelineOptions options = {
      .storage_root = daemon->volume->root,
      .segment_ns = config->segment_ns,
      .stall_timeout_ns = config->stall_timeout_ns,
      .backoff_min_ns = config->restart_backoff_min_ns,
      .backoff_max_ns = config->restart_backoff_max_ns,
      .name_func = name_segment,
      .name_data = daemon,
      .unit_id = config->unit_id,
      .speed_units = config->speed_units,
    };
    camera->daemon = daemon;
    camera->config = cam;
    camera->last_durable_utc_ns = -1;
    camera->pipeline = dvr_pipeline_new (cam, &options);
    g_signal_connect (camera->pipeline, "segment-closed", G_CALLBACK (on_segment_closed), camera);
    g_signal_connect (camera->pipeline, "recording", G_CALLBACK (on_recording), camera);
    g_signal_connect (camera->pipeline, "failed", G_CALLBACK (on_failed), camera);
    g_signal_connect (camera->pipeline, "stopped", G_CALLBACK (on_stopped), camera);
    g_ptr_array_add (daemon->cameras, camera);
  }

  if (!dvr_daemon_events_init (daemon, error))
    return NULL;
  dvr_daemon_power_init (daemon);

  socket_folder = g_path_get_dirname (config->control_socket);
  if (!dvr_mkdir_durable (socket_folder, error))
    return NULL;
  daemon->control = dvr_control_new (config->control_socket, config->control_socket_mode,
      control_handler, daemon, error);
  if (daemon->control == NULL)
    return NULL;

  g_message ("run %" G_GINT64_FORMAT " on %s, %u cameras, clock %s",
      daemon->run_id, daemon->volume->path, daemon->cameras->len,
      dvr_clock_source_to_string (daemon->clock_source));
  return g_steal_pointer (&daemon);
}

void
dvr_daemon_start (DvrDaemon *daemon)
{
  dvr_daemon_ensure_day_folders (daemon);
  if (daemon->config->sync_interval_ns > 0)
    daemon->sync_source = g_timeout_add (daemon->config->sync_interval_ns / DVR_NSEC_PER_MSEC,
        sync_open_segments_cb, daemon);
  daemon->day_folder_source = g_timeout_add_seconds (DAY_FOLDER_INTERVAL_S,
      dvr_daemon_ensure_day_folders, daemon);
  dvr_daemon_drive_start (daemon);
  /* Tracks start with every signal's state, before the first frame. */
  daemon_push_signals (daemon);
  daemon_push_gps (daemon, &daemon->last_fix);
  if (daemon->gps != NULL) {
    dvr_gps_start (daemon->gps);
    daemon->gps_flush_source = g_timeout_add (GPS_FLUSH_INTERVAL_MS, gps_flush_cb, daemon);
  }
  dvr_daemon_events_start (daemon);
  /* The cameras, unless the ignition is off. */
  dvr_daemon_power_start (daemon);
}

static gboolean
stop_deadline_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;

  daemon->stop_deadline_source = 0;
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    if (dvr_pipeline_get_state (camera->pipeline) != DVR_PIPELINE_STATE_STOPPED)
      g_warning ("camera %s: did not stop in time; its open segment is left for recovery",
          camera->config->name);
  }
  if (daemon->pending_finalize > 0)
    g_warning ("%u segments not yet durable at exit; left for recovery", daemon->pending_finalize);
  daemon->stop_forced = TRUE;
  maybe_finish_stop (daemon);
  return G_SOURCE_REMOVE;
}

void
dvr_daemon_stop (DvrDaemon *daemon, GSourceFunc done, gpointer user_data)
{
  if (daemon->stopping)
    return;
  daemon->stopping = TRUE;
  daemon->stop_done = done;
  daemon->stop_done_data = user_data;
  g_message ("stopping: finalizing %u cameras", daemon->cameras->len);
  /* Before the cameras close their last segments, so that those still join
   * a running event's post-event window. */
  dvr_daemon_events_stop (daemon);
  dvr_daemon_power_stop (daemon);
  dvr_daemon_drive_stop (daemon);
  daemon->stop_deadline_source = g_timeout_add (STOP_DEADLINE_MS, stop_deadline_cb, daemon);
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    dvr_pipeline_stop (camera->pipeline);
  }
  maybe_finish_stop (daemon);
}

gboolean
dvr_daemon_get_stop_forced (DvrDaemon *daemon)
{
  return daemon->stop_forced;
}

void
dvr_daemon_set_shutdown_func (DvrDaemon *daemon, GSourceFunc func, gpointer user_data)
{
  daemon->shutdown_func = func;
  daemon->shutdown_data = user_data;
}

gboolean
dvr_daemon_get_power_off_requested (DvrDaemon *daemon)
{
  return daemon->power_off_requested;
}

gint64
dvr_daemon_get_run_id (DvrDaemon *daemon)
{
  return daemon->run_id;
}

void
dvr_daemon_free (DvrDaemon *daemon)
{
  if (daemon == NULL)
    return;
  g_clear_handle_id (&daemon->day_folder_source, g_source_remove);
  g_clear_handle_id (&daemon->sync_source, g_source_remove);
  g_clear_handle_id (&daemon->stop_deadline_source, g_source_remove);
  g_clear_handle_id (&daemon->gps_flush_source, g_source_remove);
  dvr_daemon_events_free (daemon);
  dvr_daemon_power_free (daemon);
  if (daemon->gps != NULL) {
    g_signal_handlers_disconnect_by_data (daemon->gps, daemon);
    dvr_gps_stop (daemon->gps);
    g_clear_object (&daemon->gps);
  }
  g_clear_pointer (&daemon->gps_batch, g_array_unref);
  g_clear_pointer (&daemon->control, dvr_control_free);
  g_clear_pointer (&daemon->cameras, g_ptr_array_unref);
  g_mutex_lock (&named_lock);
  if (named_segments != NULL)
    g_hash_table_remove_all (named_segments);   /* their cameras are gone */
  g_mutex_unlock (&named_lock);
  if (unwritten_gaps != NULL)
    g_hash_table_remove_all (unwritten_gaps);
  g_clear_pointer (&daemon->signals, dvr_signals_free);
  /* The volume: joins its storage thread, closes its catalogs. */
  dvr_daemon_drive_free (daemon);
  g_clear_pointer (&daemon->config, dvr_config_free);
  g_free (daemon);
}
