/* dvr-list: what a storage root holds, from its catalog, without dvrd.
 *
 * Runs on the vehicle or on a workstation with a pulled drive:
 *   dvr-list [--json] [--camera NAME] STORAGE_ROOT
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "dvr-catalog.h"
#include "dvr-storage.h"
#include "dvr-utils.h"

static gchar *
format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static void
print_json (const gchar *root, GPtrArray *segments, GPtrArray *gaps)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autofree gchar *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "storage");
  json_builder_add_string_value (b, root);
  json_builder_set_member_name (b, "segments");
  json_builder_begin_array (b);
  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *s = g_ptr_array_index (segments, i);
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
print_text (const gchar *root, GPtrArray *segments, GPtrArray *gaps)
{
  const gchar *camera = NULL;
  const gchar *example = NULL;
  guint count = 0;
  guint64 frames = 0, bytes = 0;
  gint64 duration = 0;

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

int
main (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree gchar *camera = NULL;
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) gaps = NULL;
  g_autofree gchar *root = NULL;
  g_autofree gchar *catalog_path = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
    { "camera", 0, 0, G_OPTION_ARG_STRING, &camera, "Only this camera", "NAME" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  options = g_option_context_new ("STORAGE_ROOT - list what a DVR storage holds");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || argc != 2) {
    g_printerr ("dvr-list: %s\n", error ? error->message : "expected one STORAGE_ROOT");
    return 2;
  }
  root = g_canonicalize_filename (argv[1], NULL);
  catalog_path = g_build_filename (root, DVR_STORAGE_CATALOG_NAME, NULL);
  catalog = dvr_catalog_open (catalog_path, TRUE, &error);
  if (catalog == NULL) {
    g_printerr ("dvr-list: %s\n", error->message);
    return 1;
  }
  segments = dvr_catalog_list_segments (catalog, camera, G_MININT64, G_MAXINT64, &error);
  if (segments != NULL)
    gaps = dvr_catalog_list_gaps (catalog, camera, &error);
  if (segments == NULL || gaps == NULL) {
    g_printerr ("dvr-list: %s\n", error->message);
    return 1;
  }
  if (json)
    print_json (root, segments, gaps);
  else
    print_text (root, segments, gaps);
  return 0;
}
