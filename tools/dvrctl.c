/* dvrctl: talks to a running dvrd over its control socket.
 *
 *   dvrctl [--socket PATH] [--json] status
 *   dvrctl [--socket PATH] [--json] signal NAME on|off
 *   dvrctl [--socket PATH] [--json] event start|stop|mark|create|set|show ...
 *   dvrctl [--socket PATH] [--json] events [--from T] [--to T]
 *   dvrctl [--socket PATH] [--json] audit verify
 *   dvrctl [--socket PATH] [--json] raw '{"cmd":"status","id":1}'
 *
 * Exit status: 0 when dvrd answered "ok": true, 1 when it answered with an
 * error (or audit verify found the log broken), 2 for a usage error or when
 * dvrd could not be reached.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-catalog.h"
#include "dvr-control.h"
#include "dvr-utils.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_SOCKET_PATH "/run/dvr/control.sock"
#define DEFAULT_TIMEOUT_MS 5000

enum {
  EXIT_OK = 0,
  EXIT_REPLY_ERROR = 1,
  EXIT_USAGE = 2,
};

/* ---- reading the status reply; anything missing or null reads "-" ---- */

static gchar *
member_to_text (JsonObject *object, const gchar *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("-");
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return g_strdup_printf ("%g", json_node_get_double (node));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "yes" : "no");
    default:
      return g_strdup ("-");
  }
}

/* 12.3s, 4m05s, 3h02m, 2d03h */
static gchar *
seconds_to_text (gdouble seconds)
{
  guint64 whole;

  if (seconds < 0)
    return g_strdup ("-");
  whole = (guint64) seconds;
  if (whole < 60)
    return g_strdup_printf ("%.1fs", (gdouble) (guint64) (seconds * 10) / 10);
  if (whole < 3600)
    return g_strdup_printf ("%um%02us", (guint) (whole / 60), (guint) (whole % 60));
  if (whole < 86400)
    return g_strdup_printf ("%uh%02um", (guint) (whole / 3600), (guint) (whole / 60 % 60));
  return g_strdup_printf ("%" G_GUINT64_FORMAT "d%02uh", whole / 86400,
      (guint) (whole / 3600 % 24));
}

static gchar *
uptime_to_text (JsonObject *reply)
{
  JsonNode *node = json_object_get_member (reply, "uptime_s");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
       json_node_get_value_type (node) != G_TYPE_INT64))
    return g_strdup ("-");
  return seconds_to_text (json_node_get_double (node));
}

/* The time between two ISO 8601 members ("start", "end"), or "-" when
 * either is missing or null (a running event). */
static gchar *
span_to_text (JsonObject *object, const gchar *from_name, const gchar *to_name)
{
  g_autofree gchar *from = member_to_text (object, from_name);
  g_autofree gchar *to = member_to_text (object, to_name);
  gint64 from_ns, to_ns;

  if (!dvr_utc_parse_iso8601 (from, &from_ns, NULL) ||
      !dvr_utc_parse_iso8601 (to, &to_ns, NULL))
    return g_strdup ("-");
  return seconds_to_text ((gdouble) (to_ns - from_ns) / DVR_NSEC_PER_SEC);
}

/* A byte count as "12.3 MiB", or "-". */
static gchar *
member_to_size (JsonObject *object, const gchar *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return g_strdup ("-");
  return g_format_size_full ((guint64) json_node_get_int (node), G_FORMAT_SIZE_IEC_UNITS);
}

static JsonArray *
member_get_array (JsonObject *object, const gchar *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
array_get_object (JsonArray *array, guint index)
{
  JsonNode *node = json_array_get_element (array, index);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
member_is_null_or_missing (JsonObject *object, const gchar *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

static JsonObject *
member_get_object (JsonObject *object, const gchar *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* ---- a text table: columns padded to their widest cell ---- */

typedef struct {
  guint n_columns;
  const gboolean *right_aligned;
  GPtrArray *rows;          /* of GStrv */
  GPtrArray *details;       /* of GStrv: lines printed under each row */
  guint indent;             /* blanks before every line */
} Table;

static void
table_init (Table *table, guint n_columns, const gboolean *right_aligned, guint indent)
{
  table->n_columns = n_columns;
  table->right_aligned = right_aligned;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  table->details = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  table->indent = indent;
}

static void
table_clear (Table *table)
{
  g_clear_pointer (&table->rows, g_ptr_array_unref);
  g_clear_pointer (&table->details, g_ptr_array_unref);
}

static void
table_add_row (Table *table, gchar **cells, gchar **details)
{
  g_ptr_array_add (table->rows, cells);
  g_ptr_array_add (table->details, details);
}

static void
append_padded (GString *out, const gchar *text, guint width, gboolean right)
{
  glong length = g_utf8_strlen (text, -1);
  guint padding = width > length ? width - length : 0;

  if (right)
    for (guint i = 0; i < padding; i++)
      g_string_append_c (out, ' ');
  g_string_append (out, text);
  if (!right)
    for (guint i = 0; i < padding; i++)
      g_string_append_c (out, ' ');
}

static void
table_print (Table *table)
{
  g_autofree guint *widths = g_new0 (guint, table->n_columns);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint r = 0; r < table->rows->len; r++) {
    gchar **cells = g_ptr_array_index (table->rows, r);
    for (guint c = 0; c < table->n_columns; c++)
      widths[c] = MAX (widths[c], (guint) g_utf8_strlen (cells[c], -1));
  }
  for (guint r = 0; r < table->rows->len; r++) {
    gchar **cells = g_ptr_array_index (table->rows, r);
    gchar **details = g_ptr_array_index (table->details, r);

    append_padded (out, "", table->indent, FALSE);
    for (guint c = 0; c < table->n_columns; c++) {
      gboolean last = c + 1 == table->n_columns;
      /* Never pad the last column with trailing blanks. */
      append_padded (out, cells[c], last && !table->right_aligned[c] ? 0 : widths[c],
          table->right_aligned[c]);
      if (!last)
        g_string_append (out, "  ");
    }
    g_string_append_c (out, '\n');
    for (guint d = 0; details != NULL && details[d] != NULL; d++) {
      append_padded (out, "", table->indent + widths[0] + 2, FALSE);
      g_string_append_printf (out, "%s\n", details[d]);
    }
  }
  fputs (out->str, stdout);
}

/* ---- output ---- */

static void
print_json (JsonObject *object, gboolean pretty)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree gchar *text = json_to_string (node, pretty);

  /* Not g_print(): JSON is UTF-8 whatever the locale's charset. */
  fputs (text, stdout);
  fputc ('\n', stdout);
}

static gchar **
camera_details (JsonObject *camera)
{
  g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *segment = member_to_text (camera, "segment");
  g_autofree gchar *frames = member_to_text (camera, "segment_frames");
  JsonArray *gaps = member_get_array (camera, "gaps");

  if (!member_is_null_or_missing (camera, "segment"))
    g_ptr_array_add (details, g_strdup_printf ("segment  %s (%s frames)", segment, frames));
  for (guint i = 0; gaps != NULL && i < json_array_get_length (gaps); i++) {
    JsonObject *gap = array_get_object (gaps, i);
    g_autofree gchar *start = NULL;
    g_autofree gchar *reason = NULL;

    if (gap == NULL || !member_is_null_or_missing (gap, "end"))
      continue;
    start = member_to_text (gap, "start");
    reason = member_to_text (gap, "reason");
    g_ptr_array_add (details, g_strdup_printf ("gap      open since %s: %s",
            start, reason));
  }
  if (!member_is_null_or_missing (camera, "last_error")) {
    g_autofree gchar *last_error = member_to_text (camera, "last_error");
    g_ptr_array_add (details, g_strdup_printf ("error    %s", last_error));
  }
  g_ptr_array_add (details, NULL);
  g_ptr_array_set_free_func (details, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&details), FALSE);
}

/* "signals: ignition LIGHTBAR siren ...": the ones that are on in capitals. */
static void
print_signals (JsonObject *reply)
{
  JsonArray *signals = member_get_array (reply, "signals");
  g_autoptr (GString) line = g_string_new ("signals:");

  if (signals == NULL)
    return;
  for (guint i = 0; i < json_array_get_length (signals); i++) {
    JsonObject *signal = array_get_object (signals, i);
    g_autofree gchar *name = member_to_text (signal, "name");
    g_autofree gchar *value = member_to_text (signal, "value");
    if (g_strcmp0 (value, "yes") == 0) {
      g_autofree gchar *upper = g_ascii_strup (name, -1);
      g_string_append_printf (line, " %s", upper);
    } else {
      g_string_append_printf (line, " %s", name);
    }
  }
  printf ("%s\n", line->str);
}

/* "event 3 running since T (lightbar)", "event 3 post-event, ended at T",
 * "event: none".  Nothing from a dvrd without events. */
static void
print_event_status (JsonObject *reply)
{
  JsonObject *event = member_get_object (reply, "event");
  JsonArray *active = member_get_array (event, "active_signals");
  g_autoptr (GString) line = NULL;
  g_autoptr (GString) names = g_string_new (NULL);
  g_autofree gchar *id = NULL, *state = NULL, *start = NULL, *end = NULL;

  if (json_object_get_member (reply, "event") == NULL)
    return;
  if (event == NULL) {
    printf ("event: none\n");
    return;
  }
  id = member_to_text (event, "id");
  state = member_to_text (event, "state");
  start = member_to_text (event, "start");
  end = member_to_text (event, "end");
  line = g_string_new (NULL);
  if (member_is_null_or_missing (event, "end"))
    g_string_printf (line, "event %s %s since %s", id, state, start);
  else
    g_string_printf (line, "event %s %s, ended at %s", id, state, end);
  for (guint i = 0; active != NULL && i < json_array_get_length (active); i++) {
    JsonNode *name = json_array_get_element (active, i);
    if (JSON_NODE_HOLDS_VALUE (name) && json_node_get_value_type (name) == G_TYPE_STRING)
      g_string_append_printf (names, " %s", json_node_get_string (name));
  }
  if (names->len > 0)
    g_string_append_printf (line, " (%s)", names->str + 1);
  printf ("%s\n", line->str);
}

/* "disk: 40.1 GiB free of 59.6 GiB (min-free 3.0 GiB), ring 1201 segments
 * 17.2 GiB, evidence 12 segments 180 MiB, alarm none", then what is wrong. */
static void
print_retention (JsonObject *reply)
{
  JsonObject *retention = member_get_object (reply, "retention");
  g_autofree gchar *free_bytes = NULL, *total = NULL, *min_free = NULL;
  g_autofree gchar *ring = NULL, *ring_bytes = NULL, *evidence = NULL, *evidence_bytes = NULL;
  g_autofree gchar *alarm = NULL, *full = NULL;

  if (retention == NULL)
    return;
  free_bytes = member_to_size (retention, "free_bytes");
  total = member_to_size (retention, "total_bytes");
  min_free = member_to_size (retention, "min_free_bytes");
  ring = member_to_text (retention, "ring_segments");
  ring_bytes = member_to_size (retention, "ring_bytes");
  evidence = member_to_text (retention, "evidence_segments");
  evidence_bytes = member_to_size (retention, "evidence_bytes");
  alarm = member_to_text (retention, "alarm");
  full = member_to_text (retention, "storage_full");
  printf ("disk: %s free of %s (min-free %s), ring %s segments %s, "
      "evidence %s segments %s, alarm %s\n",
      free_bytes, total, min_free, ring, ring_bytes, evidence, evidence_bytes, alarm);
  if (g_strcmp0 (full, "yes") == 0)
    printf ("storage full: cameras stopped until space is freed\n");
}

/* "power: ignition on (signal ignition)", "power: hold-over, powering off in
 * 42 s", "power: always recording (no [power] ignition)"; then each
 * input that is not open, and covert mode.  Nothing from an older dvrd. */
static void
print_power (JsonObject *reply)
{
  JsonObject *power = member_get_object (reply, "power");
  JsonArray *inputs = member_get_array (reply, "inputs");
  g_autofree gchar *state = NULL, *signal = NULL, *covert = NULL;

  if (power == NULL)
    return;
  state = member_to_text (power, "state");
  signal = member_to_text (power, "ignition_signal");
  covert = member_to_text (power, "covert");
  if (g_strcmp0 (state, "always") == 0)
    printf ("power: always recording (no [power] ignition)\n");
  else if (g_strcmp0 (state, "hold-over") == 0 && !member_is_null_or_missing (power, "shutdown_in_s"))
    printf ("power: ignition off, hold-over: shutdown in %.0f s (later while an event runs)\n",
        json_object_get_double_member (power, "shutdown_in_s"));
  else
    printf ("power: ignition %s (signal %s)\n", state, signal);
  if (g_strcmp0 (covert, "yes") == 0)
    printf ("covert: every indicator off\n");
  for (guint i = 0; inputs != NULL && i < json_array_get_length (inputs); i++) {
    JsonObject *input = json_array_get_object_element (inputs, i);
    g_autofree gchar *name = member_to_text (input, "signal");
    g_autofree gchar *source = member_to_text (input, "source");
    g_autofree gchar *device = member_to_text (input, "device");
    g_autofree gchar *input_state = member_to_text (input, "state");
    g_autofree gchar *error = member_to_text (input, "error");
    g_autofree gchar *bad = member_to_text (input, "bad_input");

    if (g_strcmp0 (input_state, "open") != 0)
      printf ("input %s (%s %s): %s%s%s\n", name, source, device, input_state,
          member_is_null_or_missing (input, "error") ? "" : ": ",
          member_is_null_or_missing (input, "error") ? "" : error);
    if (g_strcmp0 (bad, "0") != 0 && !member_is_null_or_missing (input, "bad_input"))
      printf ("input %s (%s %s): %s bad lines or codes\n", name, source, device, bad);
  }
}

static void
print_status (JsonObject *reply)
{
  static const gboolean right_aligned[] = { FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE };
  g_autofree gchar *unit = member_to_text (reply, "unit");
  g_autofree gchar *run = member_to_text (reply, "run");
  g_autofree gchar *uptime = uptime_to_text (reply);
  g_autofree gchar *storage = member_to_text (reply, "storage");
  g_autofree gchar *clock = member_to_text (reply, "clock_source");
  g_autofree gchar *version = member_to_text (reply, "version");
  JsonArray *cameras = member_get_array (reply, "cameras");
  Table table;

  table_init (&table, G_N_ELEMENTS (right_aligned), right_aligned, 0);
  printf ("unit %s  run %s  uptime %s  storage %s  clock %s  dvrd %s\n",
      unit, run, uptime, storage, clock, version);
  {
    JsonNode *node = json_object_get_member (reply, "drive");
    JsonObject *drive = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ?
        json_node_get_object (node) : NULL;
    if (drive != NULL) {
      const gchar *problem = json_object_get_string_member_with_default (drive, "problem", NULL);
      printf ("drive %s%s%s  recording onto the %s %s%s\n",
          json_object_get_string_member_with_default (drive, "state", "?"),
          problem != NULL ? ": " : "", problem != NULL ? problem : "",
          json_object_get_string_member_with_default (drive, "recording_onto", "?"),
          json_object_get_string_member_with_default (drive, "recording_path", "?"),
          json_object_get_boolean_member_with_default (drive, "migrating", FALSE) ?
          "  (moving fallback recordings onto the drive)" : "");
    }
  }
  print_signals (reply);
  print_power (reply);
  print_event_status (reply);
  print_retention (reply);
  if (cameras == NULL || json_array_get_length (cameras) == 0) {
    printf ("no cameras\n");
  } else {
    table_add_row (&table, g_strsplit ("CAMERA STATE FRAMES-IN RECORDED SEGMENTS RESTARTS GAPS", " ", -1), NULL);
    for (guint i = 0; i < json_array_get_length (cameras); i++) {
      JsonObject *camera = array_get_object (cameras, i);
      JsonArray *gaps = camera != NULL ? member_get_array (camera, "gaps") : NULL;
      gchar **cells = g_new0 (gchar *, table.n_columns + 1);

      cells[0] = member_to_text (camera, "name");
      cells[1] = member_to_text (camera, "state");
      cells[2] = member_to_text (camera, "frames_in");
      cells[3] = member_to_text (camera, "frames_recorded");
      cells[4] = member_to_text (camera, "segments");
      cells[5] = member_to_text (camera, "restarts");
      cells[6] = gaps != NULL ? g_strdup_printf ("%u", json_array_get_length (gaps)) : g_strdup ("-");
      table_add_row (&table, cells, camera != NULL ? camera_details (camera) : NULL);
    }
    table_print (&table);
  }
  table_clear (&table);
}

/* ---- events and the audit log ---- */

/* The options of the event commands; NULL when not given ("" is given). */
typedef struct {
  gchar *reason;
  gchar *note;
  gchar *from;
  gchar *to;
  gchar *category;
  gchar *case_number;
  gchar *notes;
} EventOptions;

static const struct {
  const gchar *name;
  gsize offset;
} event_option_fields[] = {
  { "--reason", G_STRUCT_OFFSET (EventOptions, reason) },
  { "--note", G_STRUCT_OFFSET (EventOptions, note) },
  { "--from", G_STRUCT_OFFSET (EventOptions, from) },
  { "--to", G_STRUCT_OFFSET (EventOptions, to) },
  { "--category", G_STRUCT_OFFSET (EventOptions, category) },
  { "--case", G_STRUCT_OFFSET (EventOptions, case_number) },
  { "--notes", G_STRUCT_OFFSET (EventOptions, notes) },
};

static void
event_options_clear (EventOptions *options)
{
  for (guint i = 0; i < G_N_ELEMENTS (event_option_fields); i++)
    g_clear_pointer (&G_STRUCT_MEMBER (gchar *, options, event_option_fields[i].offset), g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EventOptions, event_options_clear)

/* The usage message when an option was given that @command does not take
 * (@allowed: e.g. "--from --to"), else NULL. */
static gchar *
event_options_check (EventOptions *options, const gchar *command, const gchar *allowed)
{
  g_auto (GStrv) names = g_strsplit (allowed, " ", -1);

  for (guint i = 0; i < G_N_ELEMENTS (event_option_fields); i++) {
    const gchar *value = G_STRUCT_MEMBER (gchar *, options, event_option_fields[i].offset);
    if (value != NULL && !g_strv_contains ((const gchar * const *) names, event_option_fields[i].name))
      return g_strdup_printf ("%s takes no %s", command, event_option_fields[i].name);
  }
  return NULL;
}

/* Sets @member of @request to option @option's time @text, as ISO 8601 UTC:
 * dvrd takes only that, relative times are resolved here against @now_ns. */
static gboolean
set_time_member (JsonObject *request, const gchar *member, const gchar *command,
    const gchar *option, const gchar *text, gint64 now_ns, gint64 *utc_ns, gchar **problem)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *iso = NULL;

  if (!dvr_parse_time_arg (text, now_ns, utc_ns, &error)) {
    *problem = g_strdup_printf ("%s: %s: %s", command, option, error->message);
    return FALSE;
  }
  iso = dvr_utc_format_iso8601 (*utc_ns);
  json_object_set_string_member (request, member, iso);
  return TRUE;
}

static gboolean
set_event_id_member (JsonObject *request, const gchar *command, const gchar *text,
    gchar **problem)
{
  guint64 id;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL)) {
    *problem = g_strdup_printf ("%s: the event ID is a number (1, 2, ...), not \"%s\"",
        command, text);
    return FALSE;
  }
  json_object_set_int_member (request, "event", (gint64) id);
  return TRUE;
}

/* The request for "event VERB ...", "events" or "audit verify" (@argv[0]
 * is the command word), or NULL with *@problem, a usage message. */
static JsonObject *
event_request_new (gint argc, gchar **argv, EventOptions *options, gchar **problem)
{
  g_autoptr (JsonObject) request = json_object_new ();
  const gchar *verb = argc > 1 ? argv[1] : "";
  g_autofree gchar *command = g_strjoin (" ", argv[0], verb, NULL);
  gint64 now_ns = dvr_utc_now_ns ();
  gint64 from_ns = G_MININT64, to_ns = G_MAXINT64;

  if (g_str_equal (argv[0], "events")) {
    if (argc != 1) {
      *problem = g_strdup ("events takes no arguments, only --from T and --to T");
      return NULL;
    }
    if ((*problem = event_options_check (options, "events", "--from --to")) != NULL)
      return NULL;
    json_object_set_string_member (request, "cmd", "events");
    if ((options->from != NULL && !set_time_member (request, "from", "events", "--from",
              options->from, now_ns, &from_ns, problem)) ||
        (options->to != NULL && !set_time_member (request, "to", "events", "--to",
              options->to, now_ns, &to_ns, problem)))
      return NULL;
    if (from_ns >= to_ns) {
      *problem = g_strdup ("events: --from must be before --to");
      return NULL;
    }
  } else if (g_str_equal (argv[0], "audit")) {
    if (argc != 2 || !g_str_equal (verb, "verify")) {
      *problem = g_strdup ("audit takes one command: verify");
      return NULL;
    }
    if ((*problem = event_options_check (options, command, "")) != NULL)
      return NULL;
    json_object_set_string_member (request, "cmd", "audit-verify");
  } else if (g_str_equal (verb, "start") || g_str_equal (verb, "stop") ||
             g_str_equal (verb, "mark") || g_str_equal (verb, "create")) {
    static const gchar *const allowed[][2] = {
      { "start", "--reason" }, { "stop", "" }, { "mark", "--note" },
      { "create", "--from --to --reason" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
      if (g_str_equal (verb, allowed[i][0]) &&
          (*problem = event_options_check (options, command, allowed[i][1])) != NULL)
        return NULL;
    if (argc != 2) {
      *problem = g_strdup_printf ("%s takes no arguments", command);
      return NULL;
    }
    if (g_str_equal (verb, "create")) {
      g_autofree gchar *reason = NULL;

      if (options->from == NULL || options->to == NULL || options->reason == NULL) {
        *problem = g_strdup ("event create needs --from T, --to T and --reason TEXT");
        return NULL;
      }
      reason = g_strstrip (g_strdup (options->reason));
      if (reason[0] == '\0') {
        *problem = g_strdup ("event create: --reason must not be empty");
        return NULL;
      }
      if (!set_time_member (request, "from", command, "--from", options->from, now_ns,
              &from_ns, problem) ||
          !set_time_member (request, "to", command, "--to", options->to, now_ns, &to_ns,
              problem))
        return NULL;
      if (from_ns >= to_ns) {
        *problem = g_strdup ("event create: --from must be before --to");
        return NULL;
      }
    }
    {
      g_autofree gchar *cmd = g_strconcat ("event-", verb, NULL);
      json_object_set_string_member (request, "cmd", cmd);
    }
    if (options->reason != NULL)
      json_object_set_string_member (request, "reason", options->reason);
    if (options->note != NULL)
      json_object_set_string_member (request, "note", options->note);
  } else if (g_str_equal (verb, "set") || g_str_equal (verb, "show")) {
    gboolean set = g_str_equal (verb, "set");
    if ((*problem = event_options_check (options, command,
                set ? "--category --case --notes" : "")) != NULL)
      return NULL;
    if (argc != 3) {
      *problem = g_strdup_printf ("%s takes one event ID", command);
      return NULL;
    }
    if (set && options->category == NULL && options->case_number == NULL &&
        options->notes == NULL) {
      *problem = g_strdup ("event set needs --category, --case or --notes (\"\" clears one)");
      return NULL;
    }
    json_object_set_string_member (request, "cmd", set ? "event-set" : "event");
    if (!set_event_id_member (request, command, argv[2], problem))
      return NULL;
    if (options->category != NULL)
      json_object_set_string_member (request, "category", options->category);
    if (options->case_number != NULL)
      json_object_set_string_member (request, "case", options->case_number);
    if (options->notes != NULL)
      json_object_set_string_member (request, "notes", options->notes);
  } else if (argc < 2) {
    *problem = g_strdup ("event needs a command: start, stop, mark, create, set or show");
    return NULL;
  } else {
    *problem = g_strdup_printf ("unknown command \"event %s\"", verb);
    return NULL;
  }
  return g_steal_pointer (&request);
}

/* "front:4,rear:3": each camera with its evidence segments. */
static gchar *
event_cameras_to_text (JsonObject *event)
{
  JsonArray *cameras = member_get_array (event, "cameras");
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; cameras != NULL && i < json_array_get_length (cameras); i++) {
    JsonObject *camera = array_get_object (cameras, i);
    g_autofree gchar *name = member_to_text (camera, "name");
    g_autofree gchar *segments = member_to_text (camera, "segments");
    g_string_append_printf (text, "%s%s:%s", i > 0 ? "," : "", name, segments);
  }
  return g_strdup (text->len > 0 ? text->str : "-");
}

/* "signal lightbar (category collision, case 2026-0042)" */
static gchar *
event_reason_to_text (JsonObject *event)
{
  g_autofree gchar *reason = member_to_text (event, "reason");
  g_autoptr (GString) text = g_string_new (reason);
  const gchar *separator = " (";

  if (!member_is_null_or_missing (event, "category")) {
    g_autofree gchar *category = member_to_text (event, "category");
    g_string_append_printf (text, "%scategory %s", separator, category);
    separator = ", ";
  }
  if (!member_is_null_or_missing (event, "case")) {
    g_autofree gchar *case_number = member_to_text (event, "case");
    g_string_append_printf (text, "%scase %s", separator, case_number);
    separator = ", ";
  }
  if (!g_str_equal (separator, " ("))
    g_string_append_c (text, ')');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
print_events (JsonObject *reply)
{
  static const gboolean right_aligned[] = { TRUE, FALSE, FALSE, FALSE, TRUE, FALSE, FALSE, FALSE };
  JsonArray *events = member_get_array (reply, "events");
  Table table;

  if (events == NULL || json_array_get_length (events) == 0) {
    printf ("no events\n");
    return;
  }
  table_init (&table, G_N_ELEMENTS (right_aligned), right_aligned, 0);
  table_add_row (&table, g_strsplit ("ID STATE START END DURATION KIND CAMERAS REASON", " ", -1), NULL);
  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *event = array_get_object (events, i);
    gchar **cells = g_new0 (gchar *, table.n_columns + 1);

    cells[0] = member_to_text (event, "id");
    cells[1] = member_to_text (event, "state");
    cells[2] = member_to_text (event, "start");
    cells[3] = member_to_text (event, "end");
    cells[4] = span_to_text (event, "start", "end");
    cells[5] = member_to_text (event, "kind");
    cells[6] = event_cameras_to_text (event);
    cells[7] = event_reason_to_text (event);
    table_add_row (&table, cells, NULL);
  }
  table_print (&table);
  table_clear (&table);
}

/* Its fields, one a line, under "event ID: KIND, STATE". */
static void
print_event_fields (JsonObject *event)
{
  static const struct {
    const gchar *label;
    const gchar *member;
  } fields[] = {
    { "start", "start" }, { "end", "end" }, { "reason", "reason" },
    { "stopped by", "stop_reason" }, { "category", "category" }, { "case", "case" },
    { "notes", "notes" },
  };
  g_autofree gchar *id = member_to_text (event, "id");
  g_autofree gchar *kind = member_to_text (event, "kind");
  g_autofree gchar *state = member_to_text (event, "state");

  printf ("event %s: %s, %s\n", id, kind, state);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    g_autofree gchar *value = member_to_text (event, fields[i].member);
    if (g_str_equal (fields[i].member, "end") && !member_is_null_or_missing (event, "end")) {
      g_autofree gchar *duration = span_to_text (event, "start", "end");
      printf ("  %-11s %s (%s)\n", fields[i].label, value, duration);
    } else {
      printf ("  %-11s %s\n", fields[i].label, value);
    }
  }
}

/* Each camera's window with its evidence, and the triggers. */
static void
print_event_cameras_and_triggers (JsonObject *event)
{
  static const gboolean camera_right[] = { FALSE, FALSE, FALSE, TRUE };
  static const gboolean trigger_right[] = { FALSE, FALSE, FALSE };
  JsonArray *cameras = member_get_array (event, "cameras");
  JsonArray *triggers = member_get_array (event, "triggers");
  Table table;

  printf ("cameras\n");
  table_init (&table, G_N_ELEMENTS (camera_right), camera_right, 2);
  for (guint i = 0; cameras != NULL && i < json_array_get_length (cameras); i++) {
    JsonObject *camera = array_get_object (cameras, i);
    gchar **cells = g_new0 (gchar *, table.n_columns + 1);
    g_autofree gchar *from = member_to_text (camera, "from");
    g_autofree gchar *to = member_to_text (camera, "to");
    g_autofree gchar *segments = member_to_text (camera, "segments");

    cells[0] = member_to_text (camera, "name");
    cells[1] = g_strdup_printf ("%s .. %s", from, member_is_null_or_missing (camera, "to") ?
        "(open)" : to);
    cells[2] = g_strdup_printf ("%s segment%s", segments, g_str_equal (segments, "1") ? "" : "s");
    cells[3] = member_to_size (camera, "bytes");
    table_add_row (&table, cells, NULL);
  }
  table_print (&table);
  table_clear (&table);

  printf ("triggers\n");
  table_init (&table, G_N_ELEMENTS (trigger_right), trigger_right, 2);
  for (guint i = 0; triggers != NULL && i < json_array_get_length (triggers); i++) {
    JsonObject *trigger = array_get_object (triggers, i);
    gchar **cells = g_new0 (gchar *, table.n_columns + 1);

    cells[0] = member_to_text (trigger, "time");
    cells[1] = member_to_text (trigger, "action");
    if (member_is_null_or_missing (trigger, "detail")) {
      cells[2] = member_to_text (trigger, "source");
    } else {
      g_autofree gchar *source = member_to_text (trigger, "source");
      g_autofree gchar *detail = member_to_text (trigger, "detail");
      cells[2] = g_strdup_printf ("%s: %s", source, detail);
    }
    table_add_row (&table, cells, NULL);
  }
  table_print (&table);
  table_clear (&table);
}

/* event show: the event, then every evidence file (relative to the
 * storage), by camera then start. */
static void
print_event_show (JsonObject *reply)
{
  static const gboolean right_aligned[] = { FALSE, FALSE, TRUE, FALSE, FALSE };
  JsonObject *event = member_get_object (reply, "event");
  JsonArray *segments = member_get_array (reply, "segments");
  guint n_segments = segments != NULL ? json_array_get_length (segments) : 0;
  Table table;

  print_event_fields (event);
  print_event_cameras_and_triggers (event);
  printf ("evidence: %u file%s\n", n_segments, n_segments == 1 ? "" : "s");
  table_init (&table, G_N_ELEMENTS (right_aligned), right_aligned, 2);
  for (guint i = 0; i < n_segments; i++) {
    JsonObject *segment = array_get_object (segments, i);
    gchar **cells = g_new0 (gchar *, table.n_columns + 1);

    cells[0] = member_to_text (segment, "camera");
    cells[1] = member_to_text (segment, "start");
    cells[2] = member_to_size (segment, "bytes");
    cells[3] = member_to_text (segment, "state");
    cells[4] = member_to_text (segment, "path");
    table_add_row (&table, cells, NULL);
  }
  table_print (&table);
  table_clear (&table);
}

/* The latest "to" of the cameras' windows: until when the post-event time
 * records.  ISO 8601 UTC strings of one format compare as times. */
static gchar *
event_windows_end (JsonObject *event)
{
  JsonArray *cameras = member_get_array (event, "cameras");
  g_autofree gchar *latest = NULL;

  for (guint i = 0; cameras != NULL && i < json_array_get_length (cameras); i++) {
    JsonObject *camera = array_get_object (cameras, i);
    if (!member_is_null_or_missing (camera, "to")) {
      g_autofree gchar *to = member_to_text (camera, "to");
      if (latest == NULL || strcmp (to, latest) > 0) {
        g_free (latest);
        latest = g_steal_pointer (&to);
      }
    }
  }
  return g_steal_pointer (&latest);
}

/* What "event start|stop|mark|create|set|show" did. */
static void
print_event_reply (const gchar *verb, JsonObject *reply)
{
  JsonObject *event = member_get_object (reply, "event");
  g_autofree gchar *id = member_to_text (event, "id");
  g_autofree gchar *start = member_to_text (event, "start");
  g_autofree gchar *end = member_to_text (event, "end");

  if (g_str_equal (verb, "start")) {
    g_autofree gchar *extended = member_to_text (reply, "extended");
    if (g_str_equal (extended, "yes"))
      printf ("event %s extended (running since %s)\n", id, start);
    else
      printf ("event %s started at %s\n", id, start);
  } else if (g_str_equal (verb, "stop")) {
    g_autofree gchar *until = event_windows_end (event);
    if (until != NULL && strcmp (until, end) > 0)
      printf ("event %s ended at %s; post-event recording until %s\n", id, end, until);
    else
      printf ("event %s ended at %s\n", id, end);
  } else if (g_str_equal (verb, "mark")) {
    JsonArray *triggers = member_get_array (event, "triggers");
    guint n = triggers != NULL ? json_array_get_length (triggers) : 0;
    g_autofree gchar *time = n > 0 ? member_to_text (array_get_object (triggers, n - 1), "time") :
        g_strdup ("-");
    printf ("event %s marked at %s\n", id, time);
  } else if (g_str_equal (verb, "create")) {
    g_autofree gchar *duration = span_to_text (event, "start", "end");
    printf ("event %s created: %s .. %s (%s)\n", id, start, end, duration);
    print_event_cameras_and_triggers (event);
  } else if (g_str_equal (verb, "set")) {
    print_event_fields (event);
  } else if (g_str_equal (verb, "show")) {
    print_event_show (reply);
  }
}

/* "audit log intact: 42 rows, head 3f1c..." or "audit log BROKEN at row 17:
 * PROBLEM"; FALSE when broken. */
static gboolean
print_audit_verify (JsonObject *reply)
{
  g_autofree gchar *intact = member_to_text (reply, "intact");
  g_autofree gchar *rows = member_to_text (reply, "rows");

  if (g_str_equal (intact, "yes")) {
    g_autofree gchar *head = member_to_text (reply, "head");
    printf ("audit log intact: %s rows, head %s\n", rows, head);
    return TRUE;
  } else {
    g_autofree gchar *first_bad = member_to_text (reply, "first_bad");
    g_autofree gchar *problem = member_to_text (reply, "problem");
    g_autofree gchar *text = dvr_catalog_audit_problem (problem, first_bad);

    printf ("audit log BROKEN at row %s: %s\n", first_bad, text);
    return FALSE;
  }
}

/* ---- main ---- */

static gboolean
reply_is_ok (JsonObject *reply)
{
  JsonNode *ok = json_object_get_member (reply, "ok");
  return ok != NULL && json_node_get_value_type (ok) == G_TYPE_BOOLEAN &&
      json_node_get_boolean (ok);
}

static JsonObject *
parse_request (const gchar *text, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "the request must be a JSON object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

static int
usage_error (const gchar *message)
{
  fprintf (stderr, "dvrctl: %s\nTry \"dvrctl --help\".\n", message);
  return EXIT_USAGE;
}

/* dvrctl eject: dvrd finalizes, syncs and unmounts in the background;
 * wait for "ejected" (or a failure) and say whether the drive may go. */
static int
wait_for_eject (const gchar *socket_path, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  fprintf (stderr, "ejecting: finalizing the open segments, syncing, unmounting...\n");
  while (g_get_monotonic_time () < deadline) {
    g_autoptr (JsonObject) request = json_object_new ();
    g_autoptr (JsonObject) reply = NULL;
    g_autoptr (GError) error = NULL;
    const gchar *state;

    json_object_set_string_member (request, "cmd", "drive");
    reply = dvr_control_call (socket_path, request, timeout_ms, &error);
    if (reply == NULL) {
      fprintf (stderr, "dvrctl: %s\n", error->message);
      return EXIT_USAGE;
    }
    state = json_object_get_string_member_with_default (reply, "state", "");
    if (g_str_equal (state, "ejected")) {
      printf ("drive ejected: safe to remove (recording continues into the fallback %s)\n",
          json_object_get_string_member_with_default (reply, "recording_path", "?"));
      return EXIT_OK;
    }
    if (!g_str_equal (state, "ejecting") && !g_str_equal (state, "present")) {
      const gchar *problem = json_object_get_string_member_with_default (reply, "problem", NULL);
      fprintf (stderr, "dvrctl: eject failed: drive %s%s%s; DO NOT remove it yet\n", state,
          problem != NULL ? ": " : "", problem != NULL ? problem : "");
      return EXIT_REPLY_ERROR;
    }
    g_usleep (100 * 1000);
  }
  fprintf (stderr, "dvrctl: eject did not finish within 30 s; DO NOT remove the drive\n");
  return EXIT_REPLY_ERROR;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *socket_path = NULL;
  gboolean json = FALSE;
  gint timeout_ms = DEFAULT_TIMEOUT_MS;
  g_auto (EventOptions) event_options = { NULL, };
  const GOptionEntry entries[] = {
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
      "dvrd's control socket (default: $DVR_CONTROL_SOCKET, else "
      DEFAULT_SOCKET_PATH ")", "PATH" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      "Print the reply as indented JSON", NULL },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms,
      "Give up after MS milliseconds (default 5000)", "MS" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &event_options.reason,
      "event start, event create: why", "TEXT" },
    { "note", 0, 0, G_OPTION_ARG_STRING, &event_options.note,
      "event mark: what the mark is for", "TEXT" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &event_options.from,
      "event create, events: from this time", "T" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &event_options.to,
      "event create, events: to this time", "T" },
    { "category", 0, 0, G_OPTION_ARG_STRING, &event_options.category,
      "event set: the event's category", "C" },
    { "case", 0, 0, G_OPTION_ARG_STRING, &event_options.case_number,
      "event set: the case number", "N" },
    { "notes", 0, 0, G_OPTION_ARG_STRING, &event_options.notes,
      "event set: notes", "TEXT" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COMMAND");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const gchar *command;
  gboolean event_command;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
      "Query a running dvrd.\n"
      "\n"
      "Commands:\n"
      "  status      cameras, recording state, current segments, gaps, signals,\n"
      "              the running event, disk space\n"
      "  signal NAME on|off\n"
      "              set a vehicle signal (one whose source is the control socket)\n"
      "  event start [--reason TEXT]\n"
      "              start an event, or extend the one running\n"
      "  event stop  end the running event (its post-event time still records)\n"
      "  event mark [--note TEXT]\n"
      "              bookmark the running event\n"
      "  event create --from T --to T --reason TEXT\n"
      "              make evidence of a past span that is still on the drive\n"
      "  event set ID [--category C] [--case N] [--notes TEXT]\n"
      "              file an event (\"\" clears a field)\n"
      "  event show ID\n"
      "              an event, its cameras, triggers and evidence files\n"
      "  events [--from T] [--to T]\n"
      "              the events overlapping that time, oldest first\n"
      "  audit verify\n"
      "              check the audit log's hash chain\n"
      "  eject       finalize, sync and unmount the drive; says when it is safe\n"
      "              to remove (recording goes on into the fallback folder)\n"
      "  drive       the drive's state, and where dvrd records now\n"
      "  raw JSON    send JSON as one request line and print the reply line\n"
      "\n"
      "Times (T): ISO 8601 with Z or an offset (2026-11-28T22:30:01Z,\n"
      "2026-11-28T23:30:01+01:00), now, or a time before now: -90s, -5m, -2h.");
  g_option_context_set_description (context,
      "Exit status: 0 ok, 1 dvrd answered with an error or audit verify found the "
      "log broken,\n2 usage error or dvrd unreachable.\n");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);
  if (argc < 2)
    return usage_error ("no command given");
  if (timeout_ms <= 0)
    return usage_error ("--timeout must be a positive number of milliseconds");
  if (socket_path == NULL)
    socket_path = g_strdup (g_getenv ("DVR_CONTROL_SOCKET"));
  if (socket_path == NULL || socket_path[0] == '\0') {
    g_free (socket_path);
    socket_path = g_strdup (DEFAULT_SOCKET_PATH);
  }

  command = argv[1];
  event_command = g_strcmp0 (command, "event") == 0 || g_strcmp0 (command, "events") == 0 ||
      g_strcmp0 (command, "audit") == 0;
  if (event_command) {
    g_autofree gchar *problem = NULL;
    request = event_request_new (argc - 1, argv + 1, &event_options, &problem);
    if (request == NULL)
      return usage_error (problem);
  } else if (g_strcmp0 (command, "status") == 0) {
    if (argc != 2)
      return usage_error ("status takes no arguments");
    request = json_object_new ();
    json_object_set_string_member (request, "cmd", "status");
  } else if (g_strcmp0 (command, "eject") == 0 || g_strcmp0 (command, "drive") == 0) {
    if (argc != 2) {
      g_autofree gchar *message = g_strdup_printf ("%s takes no arguments", command);
      return usage_error (message);
    }
    request = json_object_new ();
    json_object_set_string_member (request, "cmd", command);
  } else if (g_strcmp0 (command, "signal") == 0) {
    gboolean on;
    if (argc != 4)
      return usage_error ("signal takes a name and on or off");
    if (g_strcmp0 (argv[3], "on") == 0)
      on = TRUE;
    else if (g_strcmp0 (argv[3], "off") == 0)
      on = FALSE;
    else
      return usage_error ("signal: the value must be on or off");
    request = json_object_new ();
    json_object_set_string_member (request, "cmd", "signal");
    json_object_set_string_member (request, "name", argv[2]);
    json_object_set_boolean_member (request, "value", on);
  } else if (g_strcmp0 (command, "raw") == 0) {
    if (argc != 3)
      return usage_error ("raw takes exactly one argument, a JSON object");
    request = parse_request (argv[2], &error);
    if (request == NULL) {
      fprintf (stderr, "dvrctl: raw: %s\n", error->message);
      return EXIT_USAGE;
    }
  } else {
    g_autofree gchar *message = g_strdup_printf ("unknown command \"%s\"", command);
    return usage_error (message);
  }
  if (!event_command) {
    g_autofree gchar *message = event_options_check (&event_options, command, "");
    if (message != NULL)
      return usage_error (message);
  }

  reply = dvr_control_call (socket_path, request, (guint) timeout_ms, &error);
  if (reply == NULL) {
    fprintf (stderr, "dvrctl: %s\n", error->message);
    return EXIT_USAGE;
  }

  /* raw and --json always show the reply, error or not: scripts read it. */
  if (json)
    print_json (reply, TRUE);
  else if (g_strcmp0 (command, "raw") == 0)
    print_json (reply, FALSE);
  if (!reply_is_ok (reply)) {
    g_autofree gchar *message = member_to_text (reply, "error");
    fprintf (stderr, "dvrctl: %s\n",
        g_strcmp0 (message, "-") != 0 ? message : "dvrd replied without \"ok\": true");
    return EXIT_REPLY_ERROR;
  }
  if (!json && g_strcmp0 (command, "status") == 0)
    print_status (reply);
  if (g_strcmp0 (command, "eject") == 0)
    return wait_for_eject (socket_path, (guint) timeout_ms);
  if (!json && g_strcmp0 (command, "drive") == 0) {
    const gchar *problem = json_object_get_string_member_with_default (reply, "problem", NULL);
    printf ("drive %s: %s%s%s\nrecording onto the %s: %s\n",
        json_object_get_string_member_with_default (reply, "path", "?"),
        json_object_get_string_member_with_default (reply, "state", "?"),
        problem != NULL ? ": " : "", problem != NULL ? problem : "",
        json_object_get_string_member_with_default (reply, "recording_onto", "?"),
        json_object_get_string_member_with_default (reply, "recording_path", "?"));
  }
  if (!json && g_strcmp0 (command, "signal") == 0) {
    g_autofree gchar *changed = member_to_text (reply, "changed");
    printf ("%s %s%s\n", argv[2], argv[3], g_strcmp0 (changed, "yes") == 0 ? "" : " (already)");
  }
  if (!json && g_strcmp0 (command, "event") == 0)
    print_event_reply (argv[2], reply);
  if (!json && g_strcmp0 (command, "events") == 0)
    print_events (reply);
  if (g_strcmp0 (command, "audit") == 0) {
    JsonNode *intact = json_object_get_member (reply, "intact");
    if (!json)
      return print_audit_verify (reply) ? EXIT_OK : EXIT_REPLY_ERROR;
    if (intact == NULL || json_node_get_value_type (intact) != G_TYPE_BOOLEAN ||
        !json_node_get_boolean (intact))
      return EXIT_REPLY_ERROR;
  }
  return EXIT_OK;
}
