/* dvr-track: where the vehicle went and what its signals did, from the
 * recordings' metadata tracks or from the catalog, without dvrd.
 *
 * Runs on the vehicle or on a workstation with a pulled drive (mounted
 * read-only, or a copy):
 *   dvr-track gpx|geojson [-o FILE] [--camera NAME] [--from T] [--to T] SEGMENT.mkv...
 *   dvr-track gpx|geojson [-o FILE] --storage ROOT [--from T] [--to T] [--camera NAME]
 *   dvr-track signals [--csv|--json] [-o FILE] SEGMENT.mkv... | --storage ROOT ...
 *
 * From files, the source is each segment's "dvr-meta/1" subtitle track
 * (docs/metadata.md); from a storage root, the catalog's gps_fixes and
 * signal_changes tables, opened read-only.  Output formats are in
 * docs/tools.md.
 *
 * Exit status: 0 on success (an empty track is a success), 1 when nothing
 * usable could be read (no readable file with a dvr-meta/1 track, no
 * catalog) or the output could not be written, 2 for a usage error.
 * Problems with single files or samples are reported on stderr and
 * skipped.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include "dvr-catalog.h"
#include "dvr-gps-fix.h"
#include "dvr-storage.h"
#include "dvr-tool-util.h"
#include "dvr-utils.h"

#define SCHEMA "dvr-meta/1"

/* Reading one file never takes this long; a demuxer that does is stuck. */
#define FILE_TIMEOUT (600 * GST_SECOND)

/* Matroska (EBML) files start with this element id. */
static const guint8 ebml_magic[] = { 0x1a, 0x45, 0xdf, 0xa3 };

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
};

typedef enum {
  COMMAND_GPX,
  COMMAND_GEOJSON,
  COMMAND_SIGNALS,
} Command;

typedef struct {
  gint64 utc_ns;
  gchar *name;
  gint value;             /* 1 on, 0 off, -1 unknown (the signal disappeared) */
  gchar *source;
} SignalRow;

static void
signal_row_free (SignalRow *row)
{
  g_free (row->name);
  g_free (row->source);
  g_free (row);
}

/* What the inputs gave, before formatting. */
typedef struct {
  GArray *reports;        /* DvrTrackReport, by arrival */
  GPtrArray *changes;     /* SignalRow, by time */
  GPtrArray *units;       /* unit ids seen in the files (gchar *) */
} Input;

static void
input_clear (Input *input)
{
  g_clear_pointer (&input->reports, g_array_unref);
  g_clear_pointer (&input->changes, g_ptr_array_unref);
  g_clear_pointer (&input->units, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Input, input_clear)

typedef struct {
  gint64 from_ns;
  gint64 to_ns;
  const gchar *camera;
} Filter;

/* ------------------------------------------------------------------ */
/* Output helpers (the track's writers are in dvr-tool-util.c) */

static void
append_csv_field (GString *out, const gchar *text)
{
  if (strpbrk (text, ",\"\r\n") == NULL) {
    g_string_append (out, text);
    return;
  }
  g_string_append_c (out, '"');
  for (const gchar *p = text; *p != '\0'; p++) {
    if (*p == '"')
      g_string_append_c (out, '"');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}

/* ------------------------------------------------------------------ */
/* Signals */

static void
write_signals_csv (GString *out, GPtrArray *changes)
{
  g_string_append (out, "utc,signal,value,source\n");
  for (guint i = 0; i < changes->len; i++) {
    const SignalRow *row = g_ptr_array_index (changes, i);
    g_autofree gchar *utc = dvr_utc_format_iso8601 (row->utc_ns);

    g_string_append_printf (out, "%s,", utc);
    append_csv_field (out, row->name);
    g_string_append_printf (out, ",%s,", row->value < 0 ? "" : row->value ? "on" : "off");
    append_csv_field (out, row->source);
    g_string_append_c (out, '\n');
  }
}

static void
write_signals_json (GString *out, GPtrArray *changes)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < changes->len; i++) {
    const SignalRow *row = g_ptr_array_index (changes, i);
    g_autofree gchar *utc = dvr_utc_format_iso8601 (row->utc_ns);

    g_string_append_printf (out, "%s\n{\"utc\":\"%s\",\"utc_ns\":%" G_GINT64_FORMAT
        ",\"signal\":", i > 0 ? "," : "", utc, row->utc_ns);
    dvr_tool_append_json_string (out, row->name);
    g_string_append_printf (out, ",\"value\":%s,\"source\":",
        row->value < 0 ? "null" : row->value ? "true" : "false");
    dvr_tool_append_json_string (out, row->source);
    g_string_append_c (out, '}');
  }
  g_string_append (out, "\n]\n");
}

static gint
compare_rows (gconstpointer a, gconstpointer b)
{
  const SignalRow *x = *(const SignalRow **) a, *y = *(const SignalRow **) b;

  return x->utc_ns < y->utc_ns ? -1 : x->utc_ns > y->utc_ns;
}

/* ------------------------------------------------------------------ */
/* The catalog */

/* [start, end] of @camera's segments that overlap the filter. */
static GArray *
camera_spans (DvrCatalog *catalog, const Filter *filter, GError **error)
{
  g_autoptr (GPtrArray) segments = dvr_catalog_list_segments (catalog, filter->camera,
      filter->from_ns, filter->to_ns, error);
  GArray *spans;

  if (segments == NULL)
    return NULL;
  spans = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < segments->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (segments, i);
    g_array_append_val (spans, segment->start_utc_ns);
    g_array_append_val (spans, segment->end_utc_ns);
  }
  return spans;
}

static gboolean
in_spans (GArray *spans, gint64 utc_ns)
{
  if (spans == NULL)
    return TRUE;
  for (guint i = 0; i + 1 < spans->len; i += 2)
    if (utc_ns >= g_array_index (spans, gint64, i) && utc_ns <= g_array_index (spans, gint64, i + 1))
      return TRUE;
  return FALSE;
}

static gboolean
read_catalog (const gchar *root, const Filter *filter, Command command, Input *input,
              GError **error)
{
  g_autoptr (DvrCatalog) catalog = dvr_tool_open_catalog (root, error);
  g_autoptr (GArray) spans = NULL;

  if (catalog == NULL)
    return FALSE;
  if (filter->camera != NULL) {
    spans = camera_spans (catalog, filter, error);
    if (spans == NULL)
      return FALSE;
    if (spans->len == 0)
      g_printerr ("dvr-track: the catalog has no segment of camera %s%s\n", filter->camera,
          filter->from_ns != G_MININT64 || filter->to_ns != G_MAXINT64 ? " in that time" : "");
  }

  if (command == COMMAND_SIGNALS) {
    g_autoptr (GPtrArray) changes = dvr_catalog_list_signal_changes (catalog, filter->from_ns,
        filter->to_ns, error);
    if (changes == NULL)
      return FALSE;
    for (guint i = 0; i < changes->len; i++) {
      const DvrSignalChange *change = g_ptr_array_index (changes, i);
      SignalRow *row;

      if (!in_spans (spans, change->utc_ns))
        continue;
      row = g_new0 (SignalRow, 1);
      row->utc_ns = change->utc_ns;
      row->name = g_strdup (change->name);
      row->value = change->value ? 1 : 0;
      row->source = g_strdup (change->source);
      g_ptr_array_add (input->changes, row);
    }
  } else {
    g_autoptr (GArray) fixes = dvr_catalog_list_gps_fixes (catalog, filter->from_ns,
        filter->to_ns, error);
    if (fixes == NULL)
      return FALSE;
    for (guint i = 0; i < fixes->len; i++) {
      DvrTrackReport report = { .fix = g_array_index (fixes, DvrGpsFix, i) };
      if (in_spans (spans, report.fix.received_utc_ns))
        g_array_append_val (input->reports, report);
    }
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Segment files: demuxing the JSON track */

typedef struct {
  GMutex lock;
  GstPad *meta_pad;       /* the demuxer's pad of the dvr-meta/1 track */
  gboolean markup;        /* its caps say pango-markup: text is escaped */
  GPtrArray *samples;     /* gchar *, in order */
  GPtrArray *titles;      /* every subtitle track's title, for the error */
} Demux;

static void
demux_clear (Demux *demux)
{
  g_clear_pointer (&demux->samples, g_ptr_array_unref);
  g_clear_pointer (&demux->titles, g_ptr_array_unref);
  g_mutex_clear (&demux->lock);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Demux, demux_clear)

/* The stream title in the pad's sticky tag events, or NULL. */
static gchar *
pad_dup_title (GstPad *pad)
{
  for (guint i = 0;; i++) {
    g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad, GST_EVENT_TAG, i);
    GstTagList *tags;
    gchar *title = NULL;

    if (event == NULL)
      return NULL;
    gst_event_parse_tag (event, &tags);
    if (gst_tag_list_get_scope (tags) == GST_TAG_SCOPE_STREAM &&
        gst_tag_list_get_string (tags, GST_TAG_TITLE, &title))
      return title;
  }
}

static GstPadProbeReturn
demux_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Demux *demux = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;

  g_mutex_lock (&demux->lock);
  if (demux->meta_pad == NULL && g_object_get_data (G_OBJECT (pad), "dvr-track-seen") == NULL) {
    g_autofree gchar *title = pad_dup_title (pad);
    g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
    const GstStructure *s = caps != NULL ? gst_caps_get_structure (caps, 0) : NULL;

    g_object_set_data (G_OBJECT (pad), "dvr-track-seen", GINT_TO_POINTER (1));
    if (s != NULL && gst_structure_has_name (s, "text/x-raw")) {
      g_ptr_array_add (demux->titles, g_strdup (title ? title : "(untitled)"));
      if (g_strcmp0 (title, SCHEMA) == 0) {
        demux->meta_pad = pad;
        demux->markup = g_strcmp0 (gst_structure_get_string (s, "format"), "pango-markup") == 0;
      }
    }
  }
  if (pad == demux->meta_pad && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_ptr_array_add (demux->samples, g_strndup ((const gchar *) map.data, map.size));
    gst_buffer_unmap (buf, &map);
  }
  g_mutex_unlock (&demux->lock);
  return GST_PAD_PROBE_OK;
}

/* Every track goes to a fakesink: only the probe looks at the data. */
static void
demux_pad_added (GstElement *element, GstPad *pad, gpointer user_data)
{
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (element));
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sinkpad = NULL;

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, demux_buffer_probe, user_data, NULL);
  gst_pad_link (pad, sinkpad);
  gst_element_sync_state_with_parent (sink);
  gst_object_unref (pipeline);
}

static gboolean
check_matroska (const gchar *path, GError **error)
{
  guint8 head[sizeof ebml_magic];
  FILE *file = fopen (path, "rb");
  gsize n;

  if (file == NULL) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s", g_strerror (e));
    return FALSE;
  }
  n = fread (head, 1, sizeof head, file);
  fclose (file);
  if (n != sizeof head || memcmp (head, ebml_magic, sizeof head) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a Matroska file");
    return FALSE;
  }
  return TRUE;
}

/* The JSON track's samples of @path, as written (unescaped), in order.  A
 * file cut off by a power loss gives what it has, with @warning set. */
static GPtrArray *
demux_json_samples (const gchar *path, gchar **warning, GError **error)
{
  g_auto (Demux) demux = { 0, };
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *demuxer = gst_element_factory_make ("matroskademux", NULL);
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  GPtrArray *samples;

  g_mutex_init (&demux.lock);
  demux.samples = g_ptr_array_new_with_free_func (g_free);
  demux.titles = g_ptr_array_new_with_free_func (g_free);
  if (src != NULL)
    gst_bin_add (GST_BIN (pipeline), src);
  if (demuxer != NULL)
    gst_bin_add (GST_BIN (pipeline), demuxer);
  if (src == NULL || demuxer == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "GStreamer's %s element is missing (Debian package %s)",
        src == NULL ? "filesrc" : "matroskademux",
        src == NULL ? "libgstreamer1.0-0" : "gstreamer1.0-plugins-good");
    return NULL;
  }
  if (!check_matroska (path, error))
    return NULL;

  g_object_set (src, "location", path, NULL);
  gst_element_link (src, demuxer);
  g_signal_connect (demuxer, "pad-added", G_CALLBACK (demux_pad_added), &demux);
  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE)
    message = gst_bus_timed_pop_filtered (bus, FILE_TIMEOUT, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  if (message == NULL || GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) gst_error = NULL;
    const gchar *what = "timed out";

    if (message != NULL) {
      gst_message_parse_error (message, &gst_error, NULL);
      what = gst_error->message;
    }
    if (demux.meta_pad == NULL || demux.samples->len == 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "damaged: %s", what);
      return NULL;
    }
    /* A file cut by a power loss still gives its samples up to the cut. */
    *warning = g_strdup_printf ("damaged after %u samples (%s); using those", demux.samples->len,
        what);
  }
  if (demux.meta_pad == NULL) {
    g_autofree gchar *titles = NULL;

    g_ptr_array_add (demux.titles, NULL);
    titles = g_strjoinv (", ", (gchar **) demux.titles->pdata);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no " SCHEMA " track (subtitle tracks: %s): not recorded by dvrd with metadata tracks",
        *titles != '\0' ? titles : "none");
    return NULL;
  }
  samples = g_steal_pointer (&demux.samples);
  /* matroskademux hands S_TEXT/UTF8 out as Pango markup, escaped; dvrmeta
   * writes no <, > or & of its own, so unescaping gives back its bytes. */
  for (guint i = 0; demux.markup && i < samples->len; i++) {
    gchar *plain = dvr_tool_markup_unescape (g_ptr_array_index (samples, i));
    if (plain != NULL) {
      g_free (g_ptr_array_index (samples, i));
      g_ptr_array_index (samples, i) = plain;
    }
  }
  return samples;
}

/* ------------------------------------------------------------------ */
/* Segment files: reading the JSON samples */

static gboolean
member_get_number (JsonObject *object, const gchar *name, gdouble *out)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_double (node);
  return isfinite (*out);
}

static gboolean
member_get_integer (JsonObject *object, const gchar *name, gint64 *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
member_get_true (JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static const gchar *
member_get_string (JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
fix_from_json (JsonObject *gps, DvrGpsFix *fix, GError **error)
{
  const struct {
    const gchar *name;
    gdouble *value;
  } reals[] = {
    { "lat", &fix->lat }, { "lon", &fix->lon }, { "alt_hae", &fix->alt_hae },
    { "alt_msl", &fix->alt_msl }, { "speed", &fix->speed }, { "track", &fix->track },
    { "climb", &fix->climb }, { "eph", &fix->eph }, { "epv", &fix->epv }, { "eps", &fix->eps },
  };
  gint64 integer;

  dvr_gps_fix_init (fix);
  if (!member_get_integer (gps, "mode", &integer) || integer < 0 || integer > 3) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "gps.mode is not 0..3");
    return FALSE;
  }
  fix->mode = integer;
  if (member_get_integer (gps, "time_ns", &integer))
    fix->time_ns = integer;
  for (guint i = 0; i < G_N_ELEMENTS (reals); i++)
    if (!member_get_number (gps, reals[i].name, reals[i].value))
      *reals[i].value = NAN;
  if (member_get_integer (gps, "sats_used", &integer) && integer >= 0 && integer <= G_MAXINT)
    fix->sats_used = integer;
  if (member_get_integer (gps, "sats_visible", &integer) && integer >= 0 && integer <= G_MAXINT)
    fix->sats_visible = integer;
  if (dvr_track_position_known (fix) && (fabs (fix->lat) > 90.0 || fabs (fix->lon) > 180.0)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "gps position out of range");
    return FALSE;
  }
  return TRUE;
}

/* One JSON sample into @input; FALSE (and nothing added) if it is damaged. */
static gboolean
read_sample (const gchar *text, const Filter *filter, Command command, Input *input,
             GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *sample, *gps;
  const gchar *schema, *camera, *unit;
  gint64 utc_ns = G_MININT64;

  if (!json_parser_load_from_data (parser, text, -1, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
    return FALSE;
  }
  sample = json_node_get_object (root);
  schema = member_get_string (sample, "schema");
  if (g_strcmp0 (schema, SCHEMA) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "schema is %s%s%s, not " SCHEMA,
        schema ? "\"" : "", schema ? schema : "missing", schema ? "\"" : "");
    return FALSE;
  }
  member_get_integer (sample, "utc_ns", &utc_ns);
  camera = member_get_string (sample, "camera");
  if (filter->camera != NULL && g_strcmp0 (camera, filter->camera) != 0)
    return TRUE;
  if ((filter->from_ns != G_MININT64 || filter->to_ns != G_MAXINT64) &&
      (utc_ns == G_MININT64 || utc_ns < filter->from_ns || utc_ns >= filter->to_ns))
    return TRUE;
  unit = member_get_string (sample, "unit");
  if (unit != NULL && !g_ptr_array_find_with_equal_func (input->units, unit, g_str_equal, NULL))
    g_ptr_array_add (input->units, g_strdup (unit));

  if (command == COMMAND_SIGNALS) {
    JsonNode *changed = json_object_get_member (sample, "changed");
    JsonNode *signals = json_object_get_member (sample, "signals");
    JsonArray *names;

    if (changed == NULL)
      return TRUE;
    if (!JSON_NODE_HOLDS_ARRAY (changed) ||
        (signals != NULL && !JSON_NODE_HOLDS_OBJECT (signals))) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
          "\"changed\" is not an array or \"signals\" not an object");
      return FALSE;
    }
    if (utc_ns == G_MININT64) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a signal change without utc_ns");
      return FALSE;
    }
    names = json_node_get_array (changed);
    for (guint i = 0; i < json_array_get_length (names); i++) {
      JsonNode *name = json_array_get_element (names, i);
      SignalRow *row;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_VALUE (name) || json_node_get_value_type (name) != G_TYPE_STRING)
        continue;
      row = g_new0 (SignalRow, 1);
      row->utc_ns = utc_ns;
      row->name = g_strdup (json_node_get_string (name));
      value = signals != NULL ? json_object_get_member (json_node_get_object (signals), row->name)
          : NULL;
      row->value = value != NULL && JSON_NODE_HOLDS_VALUE (value) &&
          json_node_get_value_type (value) == G_TYPE_BOOLEAN ? json_node_get_boolean (value) : -1;
      row->source = g_strdup_printf ("track:%s", camera ? camera : "?");
      g_ptr_array_add (input->changes, row);
    }
    return TRUE;
  }

  if (member_get_true (sample, "gps_lost")) {
    DvrTrackReport report = { .lost = TRUE };
    dvr_gps_fix_init (&report.fix);
    report.fix.received_utc_ns = utc_ns;
    g_array_append_val (input->reports, report);
    return TRUE;
  }
  if (!member_get_true (sample, "gps_new"))
    return TRUE;
  {
    JsonNode *node = json_object_get_member (sample, "gps");
    DvrTrackReport report = { 0, };

    if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "gps_new without a gps object");
      return FALSE;
    }
    gps = json_node_get_object (node);
    if (!fix_from_json (gps, &report.fix, error))
      return FALSE;
    report.fix.received_utc_ns = utc_ns;
    g_array_append_val (input->reports, report);
  }
  return TRUE;
}

/* Reads every file; returns how many were usable.  Problems go to stderr. */
static guint
read_files (gchar **paths, const Filter *filter, Command command, Input *input)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint usable = 0;

  for (guint i = 0; paths[i] != NULL; i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *warning = NULL;
    g_autofree gchar *canonical = g_canonicalize_filename (paths[i], NULL);
    g_autoptr (GPtrArray) samples = NULL;
    g_autofree gchar *first_damage = NULL;
    guint damaged = 0;

    if (!g_hash_table_add (seen, g_steal_pointer (&canonical))) {
      g_printerr ("dvr-track: %s: given twice, read once\n", paths[i]);
      continue;
    }
    samples = demux_json_samples (paths[i], &warning, &error);
    if (samples == NULL) {
      g_printerr ("dvr-track: %s: %s\n", paths[i], error->message);
      continue;
    }
    if (warning != NULL)
      g_printerr ("dvr-track: %s: %s\n", paths[i], warning);
    for (guint j = 0; j < samples->len; j++) {
      g_autoptr (GError) sample_error = NULL;

      if (!read_sample (g_ptr_array_index (samples, j), filter, command, input, &sample_error)) {
        if (damaged++ == 0)
          first_damage = g_strdup_printf ("sample %u: %s", j + 1, sample_error->message);
      }
    }
    if (damaged > 0)
      g_printerr ("dvr-track: %s: %u of %u JSON samples damaged, skipped (first: %s)\n",
          paths[i], damaged, samples->len, first_damage);
    if (damaged < samples->len)
      usable++;
    else
      g_printerr ("dvr-track: %s: no usable JSON sample\n", paths[i]);
  }
  return usable;
}

static gint
compare_reports (gconstpointer a, gconstpointer b)
{
  gint64 x = ((const DvrTrackReport *) a)->fix.received_utc_ns;
  gint64 y = ((const DvrTrackReport *) b)->fix.received_utc_ns;

  return x < y ? -1 : x > y;
}

/* Several cameras' tracks carry the same reports, each on that camera's
 * next frame: a report with every field equal to one kept less than
 * DUPLICATE_WINDOW_NS before is the same report, seen by another camera.
 * (fix_id cannot tell: each camera's element counts its own.)  The same
 * values much later are another report: a receiver standing still, or a
 * replay. */
#define DUPLICATE_WINDOW_NS (2 * DVR_NSEC_PER_SEC)

static void
dedupe_reports (GArray *reports)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint kept = 0;

  for (guint i = 0; i < reports->len; i++) {
    const DvrTrackReport *report = &g_array_index (reports, DvrTrackReport, i);
    const DvrGpsFix *f = &report->fix;

    if (!report->lost && dvr_track_position_known (f) && f->received_utc_ns != G_MININT64) {
      gchar *key = g_strdup_printf ("%" G_GINT64_FORMAT " %d %a %a %a %a %a %a %a %a %a %a %d %d",
          f->time_ns, f->mode, f->lat, f->lon, f->alt_hae, f->alt_msl, f->speed, f->track,
          f->climb, f->eph, f->epv, f->eps, f->sats_used, f->sats_visible);
      gint64 *last = g_hash_table_lookup (seen, key);

      if (last != NULL && f->received_utc_ns - *last < DUPLICATE_WINDOW_NS) {
        g_free (key);
        continue;
      }
      g_hash_table_insert (seen, key, g_memdup2 (&f->received_utc_ns, sizeof (gint64)));
    }
    if (kept != i)
      g_array_index (reports, DvrTrackReport, kept) = *report;
    kept++;
  }
  g_array_set_size (reports, kept);
}

/* ------------------------------------------------------------------ */

static gboolean
write_output (const gchar *path, GString *text, GError **error)
{
  if (path != NULL && !g_str_equal (path, "-")) {
    if (!g_file_set_contents (path, text->str, text->len, error)) {
      g_prefix_error (error, "-o: ");
      return FALSE;
    }
    return TRUE;
  }
  if (fwrite (text->str, 1, text->len, stdout) != text->len || fflush (stdout) != 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "writing to stdout: %s",
        g_strerror (e));
    return FALSE;
  }
  return TRUE;
}

static gint
usage_error (const gchar *message)
{
  g_printerr ("dvr-track: %s\nTry \"dvr-track --help\".\n", message);
  return EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *storage = NULL;
  g_autofree gchar *from = NULL;
  g_autofree gchar *to = NULL;
  g_autofree gchar *camera = NULL;
  g_autofree gchar *output = NULL;
  gboolean csv = FALSE, json = FALSE;
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree gchar *description = NULL;
  Filter filter = { G_MININT64, G_MAXINT64, NULL };
  g_auto (Input) input = { 0, };
  Command command;
  const GOptionEntry entries[] = {
    { "storage", 0, 0, G_OPTION_ARG_FILENAME, &storage,
      "Read the catalog of this storage root (read-only) instead of files", "ROOT" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "From this UTC time on (inclusive)", "T" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Up to this UTC time (exclusive)", "T" },
    { "camera", 0, 0, G_OPTION_ARG_STRING, &camera,
      "Only this camera's samples (files), or only while it recorded (catalog)", "NAME" },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, "signals: CSV (the default)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "signals: JSON", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE, not stdout", "FILE" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  options = g_option_context_new ("gpx|geojson|signals [SEGMENT.mkv...] - GPS track and "
      "signal timeline of DVR recordings");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_description (options,
      "From segment files (their dvr-meta/1 track):\n"
      "  dvr-track gpx front-20261128T223001.233Z-r000003-000012.mkv > track.gpx\n"
      "From a storage root's catalog, by UTC time (ISO 8601 with Z):\n"
      "  dvr-track geojson --storage /mnt/dvr --from 2026-11-28T22:00:00Z "
      "--to 2026-11-28T23:00:00Z -o track.geojson\n"
      "  dvr-track signals --csv --storage /mnt/dvr\n"
      "Exit status: 0 done, 1 nothing usable could be read, 2 usage error.\n");
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return usage_error (error->message);

  if (argc < 2)
    return usage_error ("expected a command: gpx, geojson or signals");
  if (g_str_equal (argv[1], "gpx"))
    command = COMMAND_GPX;
  else if (g_str_equal (argv[1], "geojson"))
    command = COMMAND_GEOJSON;
  else if (g_str_equal (argv[1], "signals"))
    command = COMMAND_SIGNALS;
  else {
    g_autofree gchar *message = g_strdup_printf (
        "unknown command \"%s\" (expected gpx, geojson or signals)", argv[1]);
    return usage_error (message);
  }
  if (storage != NULL && argc > 2)
    return usage_error ("give either --storage ROOT or segment files, not both");
  if (storage == NULL && argc < 3)
    return usage_error ("expected segment files, or --storage ROOT");
  if ((csv || json) && command != COMMAND_SIGNALS)
    return usage_error ("--csv and --json are for the signals command");
  if (csv && json)
    return usage_error ("--csv or --json, not both");
  if (from != NULL && !dvr_tool_parse_utc (from, &filter.from_ns, &error)) {
    g_autofree gchar *message = g_strdup_printf ("--from: %s", error->message);
    return usage_error (message);
  }
  if (to != NULL && !dvr_tool_parse_utc (to, &filter.to_ns, &error)) {
    g_autofree gchar *message = g_strdup_printf ("--to: %s", error->message);
    return usage_error (message);
  }
  if (filter.from_ns >= filter.to_ns)
    return usage_error ("--from must be before --to");
  filter.camera = camera;

  input.reports = g_array_new (FALSE, FALSE, sizeof (DvrTrackReport));
  input.changes = g_ptr_array_new_with_free_func ((GDestroyNotify) signal_row_free);
  input.units = g_ptr_array_new_with_free_func (g_free);

  if (storage != NULL) {
    g_autofree gchar *root = g_canonicalize_filename (storage, NULL);

    if (!read_catalog (root, &filter, command, &input, &error)) {
      g_printerr ("dvr-track: %s\n", error->message);
      return EXIT_FAILED;
    }
    description = g_strdup_printf ("From the catalog of %s%s%s%s%s%s%s%s", root,
        from ? ", from " : "", from ? from : "", to ? ", to " : "", to ? to : "",
        camera ? ", while camera " : "", camera ? camera : "", camera ? " recorded" : "");
  } else {
    guint n_files = argc - 2;
    guint usable = read_files (argv + 2, &filter, command, &input);

    if (usable == 0) {
      g_printerr ("dvr-track: nothing usable in the %u file%s given\n", n_files,
          n_files == 1 ? "" : "s");
      return EXIT_FAILED;
    }
    g_array_sort (input.reports, compare_reports);
    dedupe_reports (input.reports);
    description = g_strdup_printf ("From the " SCHEMA " tracks of %u segment file%s%s%s",
        usable, usable == 1 ? "" : "s", camera ? ", camera " : "", camera ? camera : "");
  }
  g_ptr_array_sort (input.changes, compare_rows);

  if (command == COMMAND_SIGNALS) {
    if (json)
      write_signals_json (text, input.changes);
    else
      write_signals_csv (text, input.changes);
    if (input.changes->len == 0)
      g_printerr ("dvr-track: no signal change in the input\n");
  } else {
    g_autoptr (GPtrArray) stretches = dvr_track_build_stretches (input.reports);
    const gchar *name = input.units->len == 1 ? g_ptr_array_index (input.units, 0) : NULL;

    if (command == COMMAND_GPX)
      dvr_track_write_gpx (text, stretches, "dvr-track", name, description);
    else
      dvr_track_write_geojson (text, stretches, description);
    if (dvr_track_count_points (stretches) == 0)
      g_printerr ("dvr-track: no GPS position in the input\n");
  }
  if (!write_output (output, text, &error)) {
    g_printerr ("dvr-track: %s\n", error->message);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
