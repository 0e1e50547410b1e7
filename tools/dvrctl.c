/* dvrctl: talks to a running dvrd over its control socket.
 *
 *   dvrctl [--socket PATH] [--json] status
 *   dvrctl [--socket PATH] [--json] signal NAME on|off
 *   dvrctl [--socket PATH] [--json] raw '{"cmd":"status","id":1}'
 *
 * Exit status: 0 when dvrd answered "ok": true, 1 when it answered with an
 * error, 2 for a usage error or when dvrd could not be reached.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-control.h"

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
uptime_to_text (JsonObject *reply)
{
  JsonNode *node = json_object_get_member (reply, "uptime_s");
  gdouble seconds;
  guint64 whole;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
       json_node_get_value_type (node) != G_TYPE_INT64))
    return g_strdup ("-");
  seconds = json_node_get_double (node);
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

static JsonArray *
member_get_array (JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_get_member (object, name);
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
  JsonNode *node = json_object_get_member (object, name);
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

/* ---- a text table: columns padded to their widest cell ---- */

typedef struct {
  guint n_columns;
  const gboolean *right_aligned;
  GPtrArray *rows;          /* of GStrv */
  GPtrArray *details;       /* of GStrv: lines printed under each row */
} Table;

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
      append_padded (out, "", widths[0] + 2, FALSE);
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
  Table table = {
    G_N_ELEMENTS (right_aligned), right_aligned,
    g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev),
    g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev),
  };

  printf ("unit %s  run %s  uptime %s  storage %s  clock %s  dvrd %s\n",
      unit, run, uptime, storage, clock, version);
  print_signals (reply);
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
  g_ptr_array_unref (table.rows);
  g_ptr_array_unref (table.details);
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

int
main (int argc, char **argv)
{
  g_autofree gchar *socket_path = NULL;
  gboolean json = FALSE;
  gint timeout_ms = DEFAULT_TIMEOUT_MS;
  const GOptionEntry entries[] = {
    { "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
      "dvrd's control socket (default: $DVR_CONTROL_SOCKET, else "
      DEFAULT_SOCKET_PATH ")", "PATH" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      "Print the reply as indented JSON", NULL },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms,
      "Give up after MS milliseconds (default 5000)", "MS" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COMMAND");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const gchar *command;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
      "Query a running dvrd.\n"
      "\n"
      "Commands:\n"
      "  status      cameras, recording state, current segments, gaps, signals\n"
      "  signal NAME on|off\n"
      "              set a vehicle signal (one whose source is the control socket)\n"
      "  raw JSON    send JSON as one request line and print the reply line");
  g_option_context_set_description (context,
      "Exit status: 0 ok, 1 dvrd answered with an error, 2 usage error or dvrd "
      "unreachable.\n");
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
  if (g_strcmp0 (command, "status") == 0) {
    if (argc != 2)
      return usage_error ("status takes no arguments");
    request = json_object_new ();
    json_object_set_string_member (request, "cmd", "status");
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
  if (!json && g_strcmp0 (command, "signal") == 0) {
    g_autofree gchar *changed = member_to_text (reply, "changed");
    printf ("%s %s%s\n", argv[2], argv[3], g_strcmp0 (changed, "yes") == 0 ? "" : " (already)");
  }
  return EXIT_OK;
}
