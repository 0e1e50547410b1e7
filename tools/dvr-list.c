/* dvr-list: what a storage root holds, from its catalog, without dvrd.
 *
 * Runs on the vehicle or on a workstation with a pulled drive:
 *   dvr-list [--json] [--camera NAME] STORAGE_ROOT
 *   dvr-list --events [--json] [--camera NAME] STORAGE_ROOT
 *   dvr-list --verify-audit [--json] STORAGE_ROOT
 * (--storage ROOT can stand for STORAGE_ROOT.)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvr-catalog.h"
#include "dvr-drive.h"
#include "dvr-storage.h"
#include "dvr-tool-util.h"
#include "dvr-utils.h"

static gchar *
format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void
add_segment_json (JsonBuilder *b, const DvrSegment *s)
{
  g_autofree gchar *start = dvr_utc_format_iso8601 (s->start_utc_ns);
  g_autofree gchar *end = dvr_utc_format_iso8601 (s->end_utc_ns);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "camera");
  json_builder_add_string_value (b, s->camera);
  json_builder_set_member_name (b, "run");
  json_builder_add_int_value (b, s->run_id);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, s->seq);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, s->path);
  json_builder_set_member_name (b, "start");
  json_builder_add_string_value (b, start);
  json_builder_set_member_name (b, "end");
  json_builder_add_string_value (b, end);
  json_builder_set_member_name (b, "start_utc_ns");
  json_builder_add_int_value (b, s->start_utc_ns);
  json_builder_set_member_name (b, "end_utc_ns");
  json_builder_add_int_value (b, s->end_utc_ns);
  json_builder_set_member_name (b, "start_mono_ns");
  json_builder_add_int_value (b, s->start_mono_ns);
  json_builder_set_member_name (b, "clock_source");
  json_builder_add_string_value (b, dvr_clock_source_to_string (s->clock_source));
  json_builder_set_member_name (b, "frames");
  json_builder_add_int_value (b, (gint64) s->frames);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, (gint64) s->bytes);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, s->sha256);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, dvr_segment_state_to_string (s->state));
  json_builder_set_member_name (b, "codec");
  json_builder_add_string_value (b, s->codec);
  json_builder_end_object (b);
}

/* "unit_id" and "drive_uuid", null for a drive without an identity. */
static void
add_identity_json (JsonBuilder *b, const DvrDriveIdentity *identity)
{
  json_builder_set_member_name (b, "unit_id");
  if (identity != NULL)
    json_builder_add_string_value (b, identity->unit_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "drive_uuid");
  if (identity != NULL)
    json_builder_add_string_value (b, identity->drive_uuid);
  else
    json_builder_add_null_value (b);
}

static void
print_json (const gchar *root, const DvrDriveIdentity *identity, GPtrArray *segments,
    GPtrArray *gaps)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree gchar *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "storage");
  json_builder_add_string_value (b, root);
  add_identity_json (b, identity);
  json_builder_set_member_name (b, "segments");
  json_builder_begin_array (b);
  for (guint i = 0; i < segments->len; i++)
    add_segment_json (b, g_ptr_array_index (segments, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "gaps");
  json_builder_begin_array (b);
  for (guint i = 0; i < gaps->len; i++) {
    DvrGap *g = g_ptr_array_index (gaps, i);
    g_autofree gchar *start = dvr_utc_format_iso8601 (g->start_utc_ns);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "camera");
    json_builder_add_string_value (b, g->camera);
    json_builder_set_member_name (b, "run");
    json_builder_add_int_value (b, g->run_id);
    json_builder_set_member_name (b, "start");
    json_builder_add_string_value (b, start);
    json_builder_set_member_name (b, "end");
    if (g->end_utc_ns < 0) {
      json_builder_add_null_value (b);
    } else {
      g_autofree gchar *end = dvr_utc_format_iso8601 (g->end_utc_ns);
      json_builder_add_string_value (b, end);
    }
    json_builder_set_member_name (b, "reason");
    json_builder_add_string_value (b, g->reason);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

static void
print_identity (const DvrDriveIdentity *identity)
{
  if (identity != NULL)
    g_print ("Unit %s, drive %s\n", identity->unit_id, identity->drive_uuid);
  else
    g_print ("No identity (%s): a drive recorded before identity files\n",
        DVR_DRIVE_IDENTITY_NAME);
}

static void
print_text (const gchar *root, const DvrDriveIdentity *identity, GPtrArray *segments,
    GPtrArray *gaps)
{
  const gchar *camera = NULL;
  const gchar *example = NULL;
  guint count = 0;
  guint64 frames = 0, bytes = 0;
  gint64 duration = 0;

  print_identity (identity);
  g_print ("Storage %s: %u segment%s\n", root, segments->len, segments->len == 1 ? "" : "s");
  for (guint i = 0; i <= segments->len; i++) {
    DvrSegment *s = i < segments->len ? g_ptr_array_index (segments, i) : NULL;
    if (camera != NULL && (s == NULL || !g_str_equal (s->camera, camera))) {
      g_autofree gchar *size = format_bytes (bytes);
      g_print ("  %-10s %u segments, %.1f s, %" G_GUINT64_FORMAT " frames, %s\n\n",
          "total", count, (double) duration / DVR_NSEC_PER_SEC, frames, size);
      count = 0;
      frames = bytes = 0;
      duration = 0;
    }
    if (s == NULL)
      break;
    if (camera == NULL || !g_str_equal (s->camera, camera)) {
      camera = s->camera;
      g_print ("Camera %s\n  %-24s %8s %7s %10s %-9s %s\n", camera,
          "start (UTC)", "duration", "frames", "bytes", "state", "file");
    }
    {
      g_autofree gchar *start = dvr_utc_format_iso8601 (s->start_utc_ns);
      g_print ("  %-24s %7.2fs %7" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %-9s %s\n",
          start, (double) (s->end_utc_ns - s->start_utc_ns) / DVR_NSEC_PER_SEC,
          s->frames, s->bytes, dvr_segment_state_to_string (s->state), s->path);
    }
    count++;
    frames += s->frames;
    bytes += s->bytes;
    duration += s->end_utc_ns - s->start_utc_ns;
    example = s->path;
  }
  if (gaps->len > 0) {
    g_print ("Gaps (no recording)\n");
    for (guint i = 0; i < gaps->len; i++) {
      DvrGap *g = g_ptr_array_index (gaps, i);
      g_autofree gchar *start = dvr_utc_format_iso8601 (g->start_utc_ns);
      g_autofree gchar *end = g->end_utc_ns >= 0 ? dvr_utc_format_iso8601 (g->end_utc_ns) : g_strdup ("(open)");
      g_print ("  %-10s %s .. %s  %s\n", g->camera, start, end, g->reason);
    }
    g_print ("\n");
  }
  if (example != NULL) {
    g_autofree gchar *path = g_build_filename (root, example, NULL);
    g_print ("Files are Matroska (.mkv), one folder per camera and UTC day, under %s\n"
        "Play one with any player, e.g.:\n"
        "  mpv %s\n  vlc %s\n  gst-play-1.0 %s\n",
        root, path, path, path);
  }
}

/* ---- --events and --verify-audit ---- */

static void
builder_print (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) node = json_builder_get_root (b);
  g_autofree gchar *text = NULL;

  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

static void
add_nullable_string (JsonBuilder *b, const gchar *name, const gchar *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* "...Z", or null for -1 (still running). */
static void
add_nullable_time (JsonBuilder *b, const gchar *name, gint64 utc_ns)
{
  g_autofree gchar *text = utc_ns >= 0 ? dvr_utc_format_iso8601 (utc_ns) : NULL;

  add_nullable_string (b, name, text);
}

/* The catalog knows no post-event time: an event without an end is running,
 * or was when its dvrd stopped (the next start ends it). */
static const gchar *
event_state (const DvrEvent *event)
{
  return event->end_utc_ns < 0 ? "running" : "ended";
}

static const DvrEventWindow *
event_find_window (const DvrEvent *event, const gchar *camera)
{
  for (guint i = 0; i < event->windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (event->windows, i);
    if (g_strcmp0 (window->camera, camera) == 0)
      return window;
  }
  return NULL;
}

/* An event is shown when @camera (NULL: any) took part in it. */
static gboolean
event_shown (const DvrEvent *event, const gchar *camera)
{
  return camera == NULL || event_find_window (event, camera) != NULL;
}

/* What --events shows of one event, beyond the catalog's DvrEvent. */
typedef struct {
  DvrEvent *event;        /* borrowed */
  GPtrArray *evidence;    /* DvrSegment, by camera then start */
  DvrGpsFix first_fix;    /* the first and last fix with a position inside the */
  DvrGpsFix last_fix;     /* event; mode 0 when there is none */
  GPtrArray *exports;     /* DvrExport (borrowed): made for it, or holding it whole */
  const DvrExport *covering; /* the first export that holds it whole, or NULL */
} EventInfo;

static void
event_info_free (EventInfo *info)
{
  g_clear_pointer (&info->evidence, g_ptr_array_unref);
  g_clear_pointer (&info->exports, g_ptr_array_unref);
  g_free (info);
}

static void
add_nullable_local_time (JsonBuilder *b, const gchar *name, gint64 utc_ns)
{
  g_autofree gchar *text = utc_ns >= 0 ? dvr_tool_format_local (utc_ns) : NULL;

  add_nullable_string (b, name, text);
}

/* "52.123457N 4.123457E at 2026-11-28T22:30:01.000Z", or "no fix". */
static gchar *
fix_to_text (const DvrGpsFix *fix)
{
  g_autofree gchar *time = NULL;

  if (!dvr_track_position_known (fix))
    return g_strdup ("no fix");
  time = dvr_utc_format_iso8601 (fix->time_ns != G_MININT64 ? fix->time_ns :
      fix->received_utc_ns);
  return g_strdup_printf ("%.6f%c %.6f%c at %s", fabs (fix->lat), fix->lat < 0 ? 'S' : 'N',
      fabs (fix->lon), fix->lon < 0 ? 'W' : 'E', time);
}

static void
add_fix_json (JsonBuilder *b, const gchar *name, const DvrGpsFix *fix)
{
  json_builder_set_member_name (b, name);
  if (!dvr_track_position_known (fix)) {
    json_builder_add_null_value (b);
    return;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "lat");
  json_builder_add_double_value (b, fix->lat);
  json_builder_set_member_name (b, "lon");
  json_builder_add_double_value (b, fix->lon);
  json_builder_set_member_name (b, "mode");
  json_builder_add_int_value (b, fix->mode);
  add_nullable_time (b, "time", fix->time_ns != G_MININT64 ? fix->time_ns : -1);
  add_nullable_time (b, "received", fix->received_utc_ns);
  json_builder_end_object (b);
}

static gchar *
duration_text (const DvrEvent *event)
{
  if (event->end_utc_ns < 0)
    return g_strdup ("-");
  return g_strdup_printf ("%.1f s", (double) (event->end_utc_ns - event->start_utc_ns) /
      DVR_NSEC_PER_SEC);
}

static void
print_events_json (const gchar *root, const DvrDriveIdentity *identity, GPtrArray *infos,
    const gchar *camera)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "storage");
  json_builder_add_string_value (b, root);
  add_identity_json (b, identity);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < infos->len; i++) {
    EventInfo *info = g_ptr_array_index (infos, i);
    DvrEvent *event = info->event;

    if (!event_shown (event, camera))
      continue;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, event->id);
    json_builder_set_member_name (b, "run");
    json_builder_add_int_value (b, event->run_id);
    json_builder_set_member_name (b, "kind");
    json_builder_add_string_value (b, dvr_event_kind_to_string (event->kind));
    json_builder_set_member_name (b, "state");
    json_builder_add_string_value (b, event_state (event));
    add_nullable_time (b, "start", event->start_utc_ns);
    add_nullable_time (b, "end", event->end_utc_ns);
    add_nullable_local_time (b, "start_local", event->start_utc_ns);
    add_nullable_local_time (b, "end_local", event->end_utc_ns);
    json_builder_set_member_name (b, "start_utc_ns");
    json_builder_add_int_value (b, event->start_utc_ns);
    json_builder_set_member_name (b, "end_utc_ns");
    if (event->end_utc_ns >= 0)
      json_builder_add_int_value (b, event->end_utc_ns);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "duration_s");
    if (event->end_utc_ns >= 0)
      json_builder_add_double_value (b, (double) (event->end_utc_ns - event->start_utc_ns) /
          DVR_NSEC_PER_SEC);
    else
      json_builder_add_null_value (b);
    add_nullable_string (b, "reason", event->reason);
    add_nullable_string (b, "stop_reason", event->stop_reason);
    add_nullable_string (b, "category", event->category);
    add_nullable_string (b, "case", event->case_number);
    add_nullable_string (b, "notes", event->notes);
    add_fix_json (b, "gps_start", &info->first_fix);
    add_fix_json (b, "gps_end", &info->last_fix);
    json_builder_set_member_name (b, "exported");
    json_builder_add_boolean_value (b, info->covering != NULL);
    json_builder_set_member_name (b, "exports");
    json_builder_begin_array (b);
    for (guint x = 0; x < info->exports->len; x++) {
      const DvrExport *export = g_ptr_array_index (info->exports, x);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, export->id);
      add_nullable_time (b, "created", export->created_utc_ns);
      add_nullable_time (b, "recorded", export->utc_ns);
      add_nullable_string (b, "destination", export->destination);
      json_builder_set_member_name (b, "whole");
      json_builder_add_boolean_value (b, dvr_export_covers_event (export, event));
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_set_member_name (b, "cameras");
    json_builder_begin_array (b);
    for (guint w = 0; w < event->windows->len; w++) {
      DvrEventWindow *window = g_ptr_array_index (event->windows, w);
      if (camera != NULL && g_strcmp0 (window->camera, camera) != 0)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, window->camera);
      add_nullable_time (b, "from", window->from_utc_ns);
      add_nullable_time (b, "to", window->to_utc_ns);
      json_builder_set_member_name (b, "segments");
      json_builder_add_int_value (b, window->n_segments);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64) window->bytes);
      json_builder_set_member_name (b, "files");
      json_builder_begin_array (b);
      for (guint k = 0; k < info->evidence->len; k++) {
        DvrSegment *segment = g_ptr_array_index (info->evidence, k);
        if (g_strcmp0 (segment->camera, window->camera) == 0)
          add_segment_json (b, segment);
      }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_set_member_name (b, "triggers");
    json_builder_begin_array (b);
    for (guint t = 0; t < event->triggers->len; t++) {
      DvrEventTrigger *trigger = g_ptr_array_index (event->triggers, t);
      json_builder_begin_object (b);
      add_nullable_time (b, "time", trigger->utc_ns);
      add_nullable_string (b, "action", trigger->action);
      add_nullable_string (b, "source", trigger->source);
      add_nullable_string (b, "detail", trigger->detail);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  builder_print (b);
}

static gchar *
exported_text (const EventInfo *info)
{
  const DvrExport *export = info->covering;
  g_autofree gchar *created = NULL;

  if (export == NULL) {
    if (info->exports->len == 0)
      return g_strdup ("no");
    export = g_ptr_array_index (info->exports, info->exports->len - 1);
    return g_strdup_printf ("no (export %" G_GINT64_FORMAT " to %s holds only part of it)",
        export->id, export->destination);
  }
  created = dvr_utc_format_iso8601 (export->created_utc_ns);
  return g_strdup_printf ("yes, %s (export %" G_GINT64_FORMAT " to %s)", created, export->id,
      export->destination);
}

static void
print_events_text (const gchar *root, const DvrDriveIdentity *identity, GPtrArray *infos,
    const gchar *camera)
{
  guint shown = 0;

  print_identity (identity);
  for (guint i = 0; i < infos->len; i++)
    shown += event_shown (((EventInfo *) infos->pdata[i])->event, camera) ? 1 : 0;
  g_print ("Storage %s: %u event%s\n", root, shown, shown == 1 ? "" : "s");
  for (guint i = 0; i < infos->len; i++) {
    EventInfo *info = g_ptr_array_index (infos, i);
    DvrEvent *event = info->event;
    g_autofree gchar *start = dvr_utc_format_iso8601 (event->start_utc_ns);
    g_autofree gchar *start_local = dvr_tool_format_local (event->start_utc_ns);
    g_autofree gchar *duration = duration_text (event);
    g_autofree gchar *gps_start = fix_to_text (&info->first_fix);
    g_autofree gchar *gps_end = fix_to_text (&info->last_fix);
    g_autofree gchar *exported = exported_text (info);
    g_autoptr (GString) names = g_string_new (NULL);

    if (!event_shown (event, camera))
      continue;
    for (guint w = 0; w < event->windows->len; w++)
      g_string_append_printf (names, "%s%s", w > 0 ? ", " : "",
          ((DvrEventWindow *) event->windows->pdata[w])->camera);
    g_print ("\nEvent %" G_GINT64_FORMAT "  %s  %s\n", event->id,
        dvr_event_kind_to_string (event->kind), event_state (event));
    g_print ("  %-12s %s  (local %s)\n", "start (UTC)", start, start_local);
    if (event->end_utc_ns >= 0) {
      g_autofree gchar *end = dvr_utc_format_iso8601 (event->end_utc_ns);
      g_autofree gchar *end_local = dvr_tool_format_local (event->end_utc_ns);
      g_print ("  %-12s %s  (local %s)\n", "end (UTC)", end, end_local);
    } else {
      g_print ("  %-12s %s\n", "end (UTC)", "- (running when the drive was last written)");
    }
    g_print ("  %-12s %s\n", "duration", duration);
    g_print ("  %-12s %s\n", "cameras", names->len > 0 ? names->str : "-");
    g_print ("  %-12s %s\n", "reason", event->reason != NULL ? event->reason : "-");
    g_print ("  %-12s %s\n", "stop reason", event->stop_reason != NULL ? event->stop_reason : "-");
    g_print ("  %-12s %s\n", "category", event->category != NULL ? event->category : "-");
    g_print ("  %-12s %s\n", "case", event->case_number != NULL ? event->case_number : "-");
    g_print ("  %-12s %s\n", "notes", event->notes != NULL ? event->notes : "-");
    g_print ("  %-12s %s\n", "GPS at start", gps_start);
    g_print ("  %-12s %s\n", "GPS at end", gps_end);
    g_print ("  %-12s %s\n", "exported", exported);
    g_print ("  triggers\n");
    for (guint t = 0; t < event->triggers->len; t++) {
      DvrEventTrigger *trigger = g_ptr_array_index (event->triggers, t);
      g_autofree gchar *time = dvr_utc_format_iso8601 (trigger->utc_ns);
      g_print ("    %s  %-19s %s%s%s\n", time, trigger->action, trigger->source,
          trigger->detail != NULL ? ": " : "", trigger->detail != NULL ? trigger->detail : "");
    }
    for (guint w = 0; w < event->windows->len; w++) {
      DvrEventWindow *window = g_ptr_array_index (event->windows, w);
      g_autofree gchar *from = dvr_utc_format_iso8601 (window->from_utc_ns);
      g_autofree gchar *to = window->to_utc_ns >= 0 ?
          dvr_utc_format_iso8601 (window->to_utc_ns) : g_strdup ("(open)");
      g_autofree gchar *size = format_bytes (window->bytes);

      if (camera != NULL && g_strcmp0 (window->camera, camera) != 0)
        continue;
      g_print ("  camera %s: window %s .. %s, %u segment%s, %s\n", window->camera, from, to,
          window->n_segments, window->n_segments == 1 ? "" : "s", size);
      for (guint k = 0; k < info->evidence->len; k++) {
        DvrSegment *s = g_ptr_array_index (info->evidence, k);
        g_autofree gchar *segment_start = NULL;

        if (g_strcmp0 (s->camera, window->camera) != 0)
          continue;
        segment_start = dvr_utc_format_iso8601 (s->start_utc_ns);
        g_print ("    %-24s %7.2fs %10" G_GUINT64_FORMAT " %-9s %s\n", segment_start,
            (double) (s->end_utc_ns - s->start_utc_ns) / DVR_NSEC_PER_SEC, s->bytes,
            dvr_segment_state_to_string (s->state), s->path);
      }
    }
  }
}

/* The first and last fix with a position inside the event. */
static gboolean
event_fixes (DvrCatalog *catalog, EventInfo *info, GError **error)
{
  const DvrEvent *event = info->event;
  g_autoptr (GArray) fixes = dvr_catalog_list_gps_fixes (catalog, event->start_utc_ns,
      event->end_utc_ns >= 0 ? event->end_utc_ns + 1 : G_MAXINT64, error);

  dvr_gps_fix_init (&info->first_fix);
  dvr_gps_fix_init (&info->last_fix);
  if (fixes == NULL)
    return FALSE;
  for (guint i = 0; i < fixes->len; i++) {
    const DvrGpsFix *fix = &g_array_index (fixes, DvrGpsFix, i);
    if (!dvr_track_position_known (fix))
      continue;
    if (!dvr_track_position_known (&info->first_fix))
      info->first_fix = *fix;
    info->last_fix = *fix;
  }
  return TRUE;
}

/* ROOT's identity; NULL when it has none (said on stdout) or it cannot be
 * read (said on stderr: the listing goes on). */
static DvrDriveIdentity *
load_identity (const gchar *root)
{
  g_autoptr (GError) error = NULL;
  DvrDriveIdentity *identity = dvr_drive_identity_load (root, &error);

  if (identity == NULL && !g_error_matches (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NO_IDENTITY))
    g_printerr ("dvr-list: %s\n", error->message);
  return identity;
}

/* Returns the exit status. */
static int
list_events (DvrCatalog *catalog, const gchar *root, const gchar *camera, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GPtrArray) exports = NULL;
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (GPtrArray) infos = g_ptr_array_new_with_free_func (
      (GDestroyNotify) event_info_free);

  identity = load_identity (root);
  /* A catalog from before events is read as it is: it has none. */
  if (dvr_catalog_get_schema_version (catalog) < 3) {
    g_printerr ("dvr-list: %s: the catalog is schema %d, from a dvrd before events\n", root,
        dvr_catalog_get_schema_version (catalog));
    events = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_free);
  } else {
    events = dvr_catalog_list_events (catalog, G_MININT64, G_MAXINT64, &error);
  }
  if (events != NULL)
    exports = dvr_catalog_list_exports (catalog, &error);
  for (guint i = 0; exports != NULL && i < events->len; i++) {
    EventInfo *info = g_new0 (EventInfo, 1);

    info->event = g_ptr_array_index (events, i);
    info->exports = g_ptr_array_new ();
    g_ptr_array_add (infos, info);
    info->evidence = dvr_catalog_list_event_segments (catalog, info->event->id, &error);
    if (info->evidence == NULL || !event_fixes (catalog, info, &error)) {
      g_prefix_error (&error, "event %" G_GINT64_FORMAT ": ", info->event->id);
      break;
    }
    for (guint x = 0; x < exports->len; x++) {
      const DvrExport *export = g_ptr_array_index (exports, x);
      gboolean whole = dvr_export_covers_event (export, info->event);

      if (whole && info->covering == NULL)
        info->covering = export;
      if (whole || export->event_id == info->event->id)
        g_ptr_array_add (info->exports, (gpointer) export);
    }
  }
  if (error != NULL) {
    g_printerr ("dvr-list: %s\n", error->message);
    return 1;
  }
  if (json)
    print_events_json (root, identity, infos, camera);
  else
    print_events_text (root, identity, infos, camera);
  return 0;
}

/* Returns the exit status: 0 intact, 1 broken or not verifiable. */
static int
verify_audit (DvrCatalog *catalog, const gchar *root, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *head = NULL;
  g_autofree gchar *problem = NULL;
  guint64 n_rows = 0;
  gint64 first_bad = 0;
  gint schema = dvr_catalog_get_schema_version (catalog);

  /* No audit log is not an intact one: say why, and fail. */
  if (schema < 3) {
    g_printerr ("dvr-list: %s: no audit log: the catalog is schema %d, from a dvrd "
        "before the audit log (schema 3)\n", root, schema);
    return 1;
  }
  if (dvr_catalog_verify_audit (catalog, &n_rows, &first_bad, &error))
    head = dvr_catalog_get_audit_head (catalog, &error);
  if (head == NULL && !g_error_matches (error, DVR_CATALOG_ERROR,
          DVR_CATALOG_ERROR_AUDIT_BROKEN)) {
    g_printerr ("dvr-list: %s: audit log: %s\n", root, error->message);
    return 1;
  }
  if (head == NULL) {
    g_autofree gchar *row = g_strdup_printf ("%" G_GINT64_FORMAT, first_bad);
    problem = dvr_catalog_audit_problem (error->message, row);
  }
  if (json) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "storage");
    json_builder_add_string_value (b, root);
    json_builder_set_member_name (b, "intact");
    json_builder_add_boolean_value (b, head != NULL);
    if (head != NULL) {
      json_builder_set_member_name (b, "rows");
      json_builder_add_int_value (b, (gint64) n_rows);
      json_builder_set_member_name (b, "head");
      json_builder_add_string_value (b, head);
    } else {
      json_builder_set_member_name (b, "first_bad");
      json_builder_add_int_value (b, first_bad);
      json_builder_set_member_name (b, "problem");
      json_builder_add_string_value (b, error->message);
    }
    json_builder_end_object (b);
    builder_print (b);
  } else if (head != NULL) {
    g_print ("audit log intact: %" G_GUINT64_FORMAT " rows, head %s\n", n_rows, head);
  } else {
    g_print ("audit log BROKEN at row %" G_GINT64_FORMAT ": %s\n", first_bad, problem);
  }
  return head != NULL ? 0 : 1;
}

int
main (int argc, char **argv)
{
  gboolean json = FALSE;
  gboolean events = FALSE;
  gboolean verify = FALSE;
  g_autofree gchar *camera = NULL;
  g_autofree gchar *storage = NULL;
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autofree gchar *root = NULL;
  g_autofree gchar *catalog_path = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
    { "camera", 0, 0, G_OPTION_ARG_STRING, &camera, "Only this camera", "NAME" },
    { "events", 0, 0, G_OPTION_ARG_NONE, &events,
      "List the events and their evidence segments instead", NULL },
    { "verify-audit", 0, 0, G_OPTION_ARG_NONE, &verify,
      "Check the audit log's hash chain; exit 1 when it is broken", NULL },
    { "storage", 0, 0, G_OPTION_ARG_FILENAME, &storage,
      "The storage root (instead of the STORAGE_ROOT argument)", "ROOT" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  options = g_option_context_new ("STORAGE_ROOT - list what a DVR storage holds");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) ||
      argc != (storage != NULL ? 1 : 2)) {
    g_printerr ("dvr-list: %s\n", error ? error->message :
        "expected one STORAGE_ROOT (or --storage ROOT)");
    return 2;
  }
  if (events && verify) {
    g_printerr ("dvr-list: give --events or --verify-audit, not both\n");
    return 2;
  }
  if (verify && camera != NULL) {
    g_printerr ("dvr-list: --verify-audit checks the whole log: no --camera\n");
    return 2;
  }
  root = g_canonicalize_filename (storage != NULL ? storage : argv[1], NULL);
  catalog_path = g_build_filename (root, DVR_STORAGE_CATALOG_NAME, NULL);
  catalog = dvr_catalog_open (catalog_path, TRUE, &error);
  if (catalog == NULL) {
    g_printerr ("dvr-list: %s\n", error->message);
    return 1;
  }
  if (verify)
    return verify_audit (catalog, root, json);
  if (events)
    return list_events (catalog, root, camera, json);
  segments = dvr_catalog_list_segments (catalog, camera, G_MININT64, G_MAXINT64, &error);
  if (segments != NULL)
    gaps = dvr_catalog_list_gaps (catalog, camera, &error);
  if (segments == NULL || gaps == NULL) {
    g_printerr ("dvr-list: %s\n", error->message);
    return 1;
  }
  identity = load_identity (root);
  if (json)
    print_json (root, identity, segments, gaps);
  else
    print_text (root, identity, segments, gaps);
  return 0;
}
