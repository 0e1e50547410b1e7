/* control-test: the control socket server and client, over a real Unix
 * socket in a temporary folder.
 *
 * The server runs on a private main context that the test's main thread
 * iterates; clients run in a GThread (blocking calls, bounded by socket
 * timeouts) and wake the context when they are done.  Nothing sleeps: the
 * main thread iterates until a flag is set, with a timeout as a guard.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-control.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define GUARD_SECONDS 30
#define CALL_TIMEOUT_MS 10000
#define RAW_TIMEOUT_SECONDS 10
#define CONNECTION_LIMIT 32 /* what dvr-control.c serves at once */

typedef struct {
  gchar *folder;
  gchar *socket_path;
  GMainContext *context;
  GThread *main_thread;
  DvrControl *control;
  guint n_handled;          /* handler calls; main thread only */
} Fixture;

/* The commands the test handler knows:
 *   echo {"value":V}  -> {"echo":V}
 *   big {"size":N}    -> {"data":"xxx..."} (N bytes)
 *   fail-invalid, fail-failed, fail-io -> an error of that kind */
static JsonNode *
test_handler (const gchar *command,
              JsonObject *request,
              gpointer user_data,
              GError **error)
{
  Fixture *f = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  /* The handler is called on the thread that runs the server's context. */
  g_assert_true (g_thread_self () == f->main_thread);
  f->n_handled++;

  json_builder_begin_object (builder);
  if (g_strcmp0 (command, "echo") == 0) {
    JsonNode *value = json_object_get_member (request, "value");
    json_builder_set_member_name (builder, "echo");
    json_builder_add_value (builder,
        value != NULL ? json_node_copy (value) : json_node_new (JSON_NODE_NULL));
  } else if (g_strcmp0 (command, "big") == 0) {
    gint64 size = json_object_get_int_member_with_default (request, "size", 0);
    g_autofree gchar *data = g_strnfill (size, 'x');
    json_builder_set_member_name (builder, "data");
    json_builder_add_string_value (builder, data);
  } else if (g_strcmp0 (command, "fail-invalid") == 0) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
        "camera \"rear\" does not exist");
    return NULL;
  } else if (g_strcmp0 (command, "fail-failed") == 0) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED,
        "pipeline refused to start");
    return NULL;
  } else if (g_strcmp0 (command, "fail-io") == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full");
    return NULL;
  } else {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_UNKNOWN_COMMAND,
        "unknown command \"%s\"", command);
    return NULL;
  }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
fixture_setup_empty (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->folder = g_dir_make_tmp ("control-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->socket_path = g_build_filename (f->folder, "control.sock", NULL);
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->main_thread = g_thread_self ();
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fixture_setup_empty (f, data);
  f->control = dvr_control_new (f->socket_path, 0660, test_handler, f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->control);
}

/* Runs what is ready on the server's context until nothing is left:
 * after a client thread has finished, the server has seen all it did. */
static void
fixture_drain (Fixture *f)
{
  while (g_main_context_iteration (f->context, FALSE))
    ;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = NULL;
  const gchar *name;

  g_clear_pointer (&f->control, dvr_control_free);
  /* Let the cancelled operations come back and release what they hold. */
  fixture_drain (f);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);

  dir = g_dir_open (f->folder, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (f->folder, name, NULL);
    g_unlink (path);
  }
  g_rmdir (f->folder);
  g_free (f->socket_path);
  g_free (f->folder);
}

static gboolean
set_flag_cb (gpointer user_data)
{
  gboolean *flag = user_data;
  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the server's context until *@done is set by another thread. */
static void
fixture_iterate_until (Fixture *f, gint *done)
{
  g_autoptr(GSource) guard = g_timeout_source_new_seconds (GUARD_SECONDS);
  gboolean timed_out = FALSE;

  g_source_set_callback (guard, set_flag_cb, &timed_out, NULL);
  g_source_attach (guard, f->context);
  while (!g_atomic_int_get (done) && !timed_out)
    g_main_context_iteration (f->context, TRUE);
  g_source_destroy (guard);
  g_assert_false (timed_out);
}

typedef void (*ClientFunc) (Fixture *f, gpointer data);

typedef struct {
  Fixture *fixture;
  ClientFunc func;
  gpointer data;
  gint done;
} ClientRun;

static gpointer
client_thread (gpointer user_data)
{
  ClientRun *run = user_data;

  run->func (run->fixture, run->data);
  g_atomic_int_set (&run->done, 1);
  g_main_context_wakeup (run->fixture->context);
  return NULL;
}

/* Runs @func in a client thread while this thread serves. */
static void
fixture_run_client (Fixture *f, ClientFunc func, gpointer data)
{
  ClientRun run = { f, func, data, 0 };
  GThread *thread = g_thread_new ("control-client", client_thread, &run);

  fixture_iterate_until (f, &run.done);
  g_thread_join (thread);
  fixture_drain (f);
}

/* ---- client-side helpers, for client threads ---- */

typedef struct {
  GSocket *socket;
  GString *pending;         /* bytes read past the last line returned */
} RawClient;

/* Connects with a blocking connect(): GSocket gives up at once when the
 * server's backlog is full, the kernel waits for room (SO_SNDTIMEO bounds
 * the wait). */
static RawClient *
raw_client_new (const gchar *socket_path)
{
  g_autoptr(GError) error = NULL;
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  struct timeval timeout = { .tv_sec = RAW_TIMEOUT_SECONDS };
  RawClient *client = g_new0 (RawClient, 1);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
          sizeof (timeout)), ==, 0);
  g_strlcpy (address.sun_path, socket_path, sizeof (address.sun_path));
  if (connect (fd, (struct sockaddr *) &address, sizeof (address)) < 0)
    g_error ("connect %s: %s", socket_path, g_strerror (errno));
  client->socket = g_socket_new_from_fd (fd, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (client->socket, RAW_TIMEOUT_SECONDS);
  client->pending = g_string_new (NULL);
  return client;
}

static void
raw_client_free (RawClient *client)
{
  g_object_unref (client->socket);
  g_string_free (client->pending, TRUE);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawClient, raw_client_free)

static void
raw_client_send (RawClient *client, const gchar *data, gssize length)
{
  gsize size = length < 0 ? strlen (data) : (gsize) length;
  gsize sent = 0;

  while (sent < size) {
    g_autoptr(GError) error = NULL;
    gssize n = g_socket_send (client->socket, data + sent, size - sent, NULL, &error);
    g_assert_no_error (error);
    sent += n;
  }
}

/* The next reply line, or NULL at the end of the stream (or a reset:
 * Linux resets a Unix socket closed with unread data in it). */
static gchar *
raw_client_read_line (RawClient *client)
{
  for (;;) {
    g_autoptr(GError) error = NULL;
    gchar chunk[4096];
    const gchar *newline = memchr (client->pending->str, '\n', client->pending->len);
    gssize n;

    if (newline != NULL) {
      gsize length = newline - client->pending->str;
      gchar *line = g_strndup (client->pending->str, length);
      g_string_erase (client->pending, 0, length + 1);
      return line;
    }
    n = g_socket_receive (client->socket, chunk, sizeof (chunk), NULL, &error);
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
      return NULL;
    g_assert_no_error (error);
    if (n == 0)
      return NULL;
    g_string_append_len (client->pending, chunk, n);
  }
}

static JsonObject *
parse_object (const gchar *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  g_assert_nonnull (text);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static JsonObject *
raw_client_request (RawClient *client, const gchar *line)
{
  g_autofree gchar *reply = NULL;

  raw_client_send (client, line, -1);
  reply = raw_client_read_line (client);
  g_assert_nonnull (reply);
  return parse_object (reply);
}

static void
assert_ok (JsonObject *reply)
{
  g_assert_true (json_object_get_boolean_member_with_default (reply, "ok", FALSE));
  g_assert_false (json_object_has_member (reply, "error"));
}

static void
assert_error (JsonObject *reply, const gchar *code)
{
  g_assert_true (json_object_has_member (reply, "ok"));
  g_assert_false (json_object_get_boolean_member (reply, "ok"));
  g_assert_cmpstr (json_object_get_string_member_with_default (reply, "code", NULL),
      ==, code);
  g_assert_nonnull (json_object_get_string_member_with_default (reply, "error", NULL));
}

static JsonObject *
call (Fixture *f, const gchar *request_text)
{
  g_autoptr(JsonObject) request = parse_object (request_text);
  g_autoptr(GError) error = NULL;
  JsonObject *reply = dvr_control_call (f->socket_path, request, CALL_TIMEOUT_MS, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  return reply;
}

/* ---- tests ---- */

static void
round_trip_client (Fixture *f, gpointer data)
{
  g_autoptr(JsonObject) numbered = call (f, "{\"cmd\":\"echo\",\"id\":7,\"value\":\"h\xc3\xa9\"}");
  g_autoptr(JsonObject) named = call (f, "{\"cmd\":\"echo\",\"id\":\"abc\",\"value\":[1,2]}");
  g_autoptr(JsonObject) anonymous = call (f, "{\"cmd\":\"echo\",\"value\":true}");

  assert_ok (numbered);
  g_assert_cmpint (json_object_get_int_member (numbered, "id"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (numbered, "echo"), ==, "h\xc3\xa9");

  assert_ok (named);
  g_assert_cmpstr (json_object_get_string_member (named, "id"), ==, "abc");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (named, "echo")), ==, 2);

  assert_ok (anonymous);
  g_assert_false (json_object_has_member (anonymous, "id"));
  g_assert_true (json_object_get_boolean_member (anonymous, "echo"));
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  fixture_run_client (f, round_trip_client, NULL);
  g_assert_cmpuint (f->n_handled, ==, 3);
}

static void
unknown_command_client (Fixture *f, gpointer data)
{
  g_autoptr(JsonObject) reply = call (f, "{\"cmd\":\"self-destruct\",\"id\":null}");

  assert_error (reply, "unknown-command");
  g_assert_true (json_object_has_member (reply, "id"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (reply, "id")));
  g_assert_cmpstr (json_object_get_string_member (reply, "error"), ==,
      "unknown command \"self-destruct\"");
}

static void
test_unknown_command (Fixture *f, gconstpointer data)
{
  fixture_run_client (f, unknown_command_client, NULL);
  g_assert_cmpuint (f->n_handled, ==, 1);
}

static void
error_codes_client (Fixture *f, gpointer data)
{
  g_autoptr(JsonObject) invalid = call (f, "{\"cmd\":\"fail-invalid\"}");
  g_autoptr(JsonObject) failed = call (f, "{\"cmd\":\"fail-failed\"}");
  g_autoptr(JsonObject) io = call (f, "{\"cmd\":\"fail-io\"}");

  assert_error (invalid, "invalid-argument");
  g_assert_cmpstr (json_object_get_string_member (invalid, "error"), ==,
      "camera \"rear\" does not exist");
  assert_error (failed, "failed");
  /* Errors from other domains are "failed" too, message kept. */
  assert_error (io, "failed");
  g_assert_cmpstr (json_object_get_string_member (io, "error"), ==, "disk full");
}

static void
test_error_codes (Fixture *f, gconstpointer data)
{
  fixture_run_client (f, error_codes_client, NULL);
}

static void
malformed_client (Fixture *f, gpointer data)
{
  const gchar *bad_lines[] = {
    "this is not json\n",
    "[1,2]\n",
    "42\n",
    "{\"cmd\":5}\n",
    "{\"cmd\":\"echo\",\"value\":\"\xff\xfe\"}\n",
    "{\"cmd\":\"echo\",\"value\":\"a\xc3\"}\n",
    "{\"cmd\":\"echo\"} {\"cmd\":\"echo\"}\n",
    "{'cmd':'echo'}\n",
    "{\"cmd\":\"echo\",\"id\":[1]}\n",
    "{\"cmd\":\"echo\"\n",
  };
  g_autoptr(RawClient) client = raw_client_new (f->socket_path);
  g_autoptr(JsonObject) missing = NULL;
  g_autoptr(JsonObject) deep = NULL;
  g_autoptr(JsonObject) good = NULL;
  g_autoptr(GString) nested = g_string_new ("{\"cmd\":\"echo\",\"value\":");

  for (gsize i = 0; i < G_N_ELEMENTS (bad_lines); i++) {
    g_autoptr(JsonObject) reply = raw_client_request (client, bad_lines[i]);
    assert_error (reply, "malformed");
    g_assert_false (json_object_has_member (reply, "id"));
  }

  /* An object without "cmd" still has its id echoed. */
  missing = raw_client_request (client, "{\"id\":\"m1\",\"value\":1}\n");
  assert_error (missing, "malformed");
  g_assert_cmpstr (json_object_get_string_member (missing, "id"), ==, "m1");

  /* Nesting deep enough to exhaust a small stack in a recursive parser. */
  for (gsize i = 0; i < 30000; i++)
    g_string_append_c (nested, '[');
  g_string_append_c (nested, '\n');
  deep = raw_client_request (client, nested->str);
  assert_error (deep, "malformed");

  /* Blank lines get no reply: the next reply is the good request's. */
  good = raw_client_request (client, "\n  \r\n{\"cmd\":\"echo\",\"id\":\"good\",\"value\":1}\n");
  assert_ok (good);
  g_assert_cmpstr (json_object_get_string_member (good, "id"), ==, "good");
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  fixture_run_client (f, malformed_client, NULL);
  /* Only the well-formed request reached the handler. */
  g_assert_cmpuint (f->n_handled, ==, 1);
}

static gchar *
echo_line_of_length (gsize length)
{
  const gchar *head = "{\"cmd\":\"echo\",\"value\":\"";
  const gchar *tail = "\"}";
  g_autoptr(GString) line = g_string_new (head);

  g_assert_cmpuint (length, >, strlen (head) + strlen (tail));
  while (line->len < length - strlen (tail))
    g_string_append_c (line, 'x');
  g_string_append (line, tail);
  g_assert_cmpuint (line->len, ==, length);
  g_string_append_c (line, '\n');
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
long_line_client (Fixture *f, gpointer data)
{
  g_autofree gchar *at_limit = echo_line_of_length (DVR_CONTROL_MAX_LINE);
  g_autofree gchar *over_limit = g_strnfill (DVR_CONTROL_MAX_LINE + 1, 'x');
  g_autoptr(RawClient) client = raw_client_new (f->socket_path);
  g_autoptr(JsonObject) accepted = raw_client_request (client, at_limit);
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autofree gchar *end = NULL;

  assert_ok (accepted);
  g_assert_cmpuint (strlen (json_object_get_string_member (accepted, "echo")), >, 65000);

  /* No newline at all: the server must answer without waiting for one,
   * that is, without buffering the line. */
  refused = raw_client_request (client, over_limit);
  assert_error (refused, "malformed");
  end = raw_client_read_line (client);
  g_assert_null (end);

  after = call (f, "{\"cmd\":\"echo\",\"value\":\"after\"}");
  assert_ok (after);
}

static void
test_long_line (Fixture *f, gconstpointer data)
{
  fixture_run_client (f, long_line_client, NULL);
}

static void
stalled_client (Fixture *f, gpointer data)
{
  g_autoptr(RawClient) silent = raw_client_new (f->socket_path);
  g_autoptr(RawClient) stalled = raw_client_new (f->socket_path);
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonObject) completed = NULL;

  raw_client_send (stalled, "{\"cmd\":\"echo\",\"id\":\"half\",", -1);
  other = call (f, "{\"cmd\":\"echo\",\"value\":\"other\"}");
  assert_ok (other);

  /* The half line was kept and completes normally. */
  completed = raw_client_request (stalled, "\"value\":2}\n");
  assert_ok (completed);
  g_assert_cmpstr (json_object_get_string_member (completed, "id"), ==, "half");
}

static void
test_stalled_client (Fixture *f, gconstpointer data)
{
  fixture_run_client (f, stalled_client, NULL);
}

static void
disconnect_client (Fixture *f, gpointer data)
{
  /* More than the connection limit, so that connections which were not
   * released would get the last ones refused. */
  for (guint i = 0; i < CONNECTION_LIMIT + 8; i++) {
    g_autoptr(RawClient) client = raw_client_new (f->socket_path);
    if (i % 2 == 1)
      raw_client_send (client, "{\"cmd\":\"ec", -1);
  }
  /* Gone before a reply far larger than the socket buffer is written:
   * the server's write fails with EPIPE, it must neither block nor die. */
  for (guint i = 0; i < 4; i++) {
    g_autoptr(RawClient) client = raw_client_new (f->socket_path);
    raw_client_send (client, "{\"cmd\":\"big\",\"size\":4000000}\n", -1);
  }
}

static void
served_client (Fixture *f, gpointer data)
{
  g_autoptr(JsonObject) reply = call (f, "{\"cmd\":\"echo\",\"value\":\"still here\"}");
  assert_ok (reply);
}

static void
test_disconnect (Fixture *f, gconstpointer data)
{
  fixture_run_client (f, disconnect_client, NULL);
  fixture_run_client (f, served_client, NULL);
}

typedef struct {
  GPtrArray *clients;       /* element-type RawClient */
} LimitData;

static void
limit_client (Fixture *f, gpointer user_data)
{
  LimitData *data = user_data;
  g_autoptr(RawClient) extra = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autofree gchar *reply = NULL;
  g_autofree gchar *end = NULL;

  for (guint i = 0; i < CONNECTION_LIMIT; i++) {
    RawClient *client = raw_client_new (f->socket_path);
    g_autoptr(JsonObject) reply_object = raw_client_request (client,
        "{\"cmd\":\"echo\",\"value\":0}\n");
    assert_ok (reply_object);
    g_ptr_array_add (data->clients, client);
  }
  extra = raw_client_new (f->socket_path);
  reply = raw_client_read_line (extra);
  refused = parse_object (reply);
  assert_error (refused, "failed");
  g_assert_nonnull (strstr (json_object_get_string_member (refused, "error"),
          "too many connections"));
  end = raw_client_read_line (extra);
  g_assert_null (end);
}

static void
test_connection_limit (Fixture *f, gconstpointer data)
{
  LimitData limit = { g_ptr_array_new_with_free_func ((GDestroyNotify) raw_client_free) };

  fixture_run_client (f, limit_client, &limit);
  /* Closing one frees a place. */
  g_ptr_array_remove_index (limit.clients, 0);
  fixture_drain (f);
  fixture_run_client (f, served_client, NULL);
  g_ptr_array_unref (limit.clients);
}

#define FLOOD_PADDING 1000
#define FLOOD_MAX_LINES 20000

/* A client that sends requests and does not read the replies. */
typedef struct {
  RawClient *client;
  gchar *current;           /* the line being sent */
  gsize current_sent;
  guint n_started;          /* lines begun, ids 0 .. n_started - 1 */
  guint n_replies;
  gboolean progress;
} Flood;

static void
flood_next_line (Flood *flood)
{
  g_autofree gchar *padding = g_strnfill (FLOOD_PADDING, 'p');

  g_free (flood->current);
  flood->current = g_strdup_printf ("{\"cmd\":\"echo\",\"id\":%u,\"value\":\"%s\"}\n",
      flood->n_started++, padding);
  flood->current_sent = 0;
}

/* Sends what the socket takes; FALSE once it would block. */
static gboolean
flood_send (Flood *flood)
{
  g_autoptr(GError) error = NULL;
  gsize size = strlen (flood->current);
  gssize n;

  if (flood->current_sent == size)
    return TRUE;
  n = g_socket_send (flood->client->socket, flood->current + flood->current_sent,
      size - flood->current_sent, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return FALSE;
  g_assert_no_error (error);
  flood->current_sent += n;
  return TRUE;
}

/* Sends until the socket would block; sets @progress if anything went. */
static void
flood_fill_client (Fixture *f, gpointer data)
{
  Flood *flood = data;
  guint n_started = flood->n_started;
  gsize current_sent = flood->current_sent;

  if (flood->client == NULL) {
    flood->client = raw_client_new (f->socket_path);
    g_socket_set_blocking (flood->client->socket, FALSE);
    flood_next_line (flood);
  }
  while (flood_send (flood)) {
    if (flood->current_sent == strlen (flood->current)) {
      if (flood->n_started == FLOOD_MAX_LINES)
        break;
      flood_next_line (flood);
    }
  }
  flood->progress = flood->n_started != n_started ||
      flood->current_sent != current_sent;
}

/* Sends the line in progress and ten more, and reads every reply. */
static void
flood_finish_client (Fixture *f, gpointer data)
{
  Flood *flood = data;
  guint n_total = flood->n_started + 10;
  GSocket *socket = flood->client->socket;
  GString *pending = flood->client->pending;

  while (flood->n_replies < n_total) {
    g_autoptr(GError) error = NULL;
    gboolean sending;
    gchar chunk[65536];
    gssize n;

    if (flood->current_sent == strlen (flood->current) && flood->n_started < n_total)
      flood_next_line (flood);
    sending = flood->current_sent < strlen (flood->current);
    g_socket_condition_timed_wait (socket, sending ? G_IO_IN | G_IO_OUT : G_IO_IN,
        RAW_TIMEOUT_SECONDS * G_USEC_PER_SEC, NULL, &error);
    g_assert_no_error (error);
    if (sending)
      flood_send (flood);
    n = g_socket_receive (socket, chunk, sizeof (chunk), NULL, &error);
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      continue;
    g_assert_no_error (error);
    g_assert_cmpint (n, >, 0);
    g_string_append_len (pending, chunk, n);
    for (;;) {
      const gchar *newline = memchr (pending->str, '\n', pending->len);
      g_autofree gchar *line = NULL;
      g_autoptr(JsonObject) reply = NULL;

      if (newline == NULL)
        break;
      line = g_strndup (pending->str, newline - pending->str);
      g_string_erase (pending, 0, newline - pending->str + 1);
      reply = parse_object (line);
      assert_ok (reply);
      /* In order, none lost. */
      g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, flood->n_replies);
      flood->n_replies++;
    }
  }
}

static void
test_flood (Fixture *f, gconstpointer data)
{
  Flood flood = { NULL };
  guint n_sent;

  /* Fill the socket, let the server do all it can, again, until the
   * server no longer reads: with replies buffered without bound it would
   * read everything, every time, up to FLOOD_MAX_LINES. */
  do
    fixture_run_client (f, flood_fill_client, &flood);
  while (flood.progress);
  g_assert_cmpuint (flood.n_started, <, FLOOD_MAX_LINES);
  /* Requests are left unread in the socket. */
  n_sent = flood.n_started - 1;
  g_assert_cmpuint (f->n_handled, <, n_sent);
  g_assert_cmpuint (f->n_handled, >, 0);

  /* And it still serves everyone else. */
  fixture_run_client (f, served_client, NULL);

  fixture_run_client (f, flood_finish_client, &flood);
  g_assert_cmpuint (flood.n_replies, ==, flood.n_started);
  g_clear_pointer (&flood.client, raw_client_free);
  g_free (flood.current);
}

static void
test_socket_mode (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrControl) narrow = NULL;
  mode_t saved = umask (0);
  struct stat st;

  /* An open umask does not widen the socket. */
  f->control = dvr_control_new (f->socket_path, 0660, test_handler, f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stat (f->socket_path, &st), ==, 0);
  g_assert_true (S_ISSOCK (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0660);
  g_clear_pointer (&f->control, dvr_control_free);
  g_assert_false (g_file_test (f->socket_path, G_FILE_TEST_EXISTS));

  /* A tight umask does not narrow it either: the mode passed is the mode. */
  umask (0077);
  narrow = dvr_control_new (f->socket_path, 0640, test_handler, f, &error);
  umask (saved);
  g_assert_no_error (error);
  g_assert_cmpint (stat (f->socket_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0640);
}

static void
test_stale_socket (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (f->socket_path);
  g_autoptr(GSocket) dead = NULL;

  /* A socket file whose server is gone, as a crash leaves it. */
  dead = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (dead, address, FALSE, &error);
  g_assert_no_error (error);
  g_clear_object (&dead);
  g_assert_true (g_file_test (f->socket_path, G_FILE_TEST_EXISTS));

  f->control = dvr_control_new (f->socket_path, 0660, test_handler, f, &error);
  g_assert_no_error (error);
  fixture_run_client (f, served_client, NULL);
}

static void
test_live_socket (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DvrControl) second = NULL;
  g_autofree gchar *expected = g_strdup_printf ("another dvrd is serving %s",
      f->socket_path);

  second = dvr_control_new (f->socket_path, 0660, test_handler, f, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_assert_null (second);
  g_assert_nonnull (strstr (error->message, expected));
  /* The first server still owns the socket. */
  fixture_run_client (f, served_client, NULL);
}

static void
test_regular_file (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;

  g_file_set_contents (f->socket_path, "keep me", -1, &error);
  g_assert_no_error (error);
  f->control = dvr_control_new (f->socket_path, 0660, test_handler, f, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_null (f->control);
  g_assert_nonnull (strstr (error->message, f->socket_path));
  g_clear_error (&error);

  g_file_get_contents (f->socket_path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "keep me");
}

static void
test_missing_folder (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *folder = g_build_filename (f->folder, "missing", NULL);
  g_autofree gchar *path = g_build_filename (folder, "control.sock", NULL);
  g_autofree gchar *expected = g_strdup_printf ("folder %s does not exist", folder);

  f->control = dvr_control_new (path, 0660, test_handler, f, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, expected));
  /* Reporting is all it does: the folder is the daemon's to create. */
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
}

static void
test_call_missing_socket (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = parse_object ("{\"cmd\":\"status\"}");
  g_autoptr(JsonObject) reply = NULL;
  g_autofree gchar *expected = g_strdup_printf (
      "cannot connect to dvrd at %s: No such file or directory (is dvrd running?)",
      f->socket_path);

  reply = dvr_control_call (f->socket_path, request, CALL_TIMEOUT_MS, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_call_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (f->socket_path);
  g_autoptr(GSocket) mute = NULL;
  g_autoptr(JsonObject) request = parse_object ("{\"cmd\":\"status\"}");
  g_autoptr(JsonObject) reply = NULL;

  /* Listens (so connect succeeds) but never answers. */
  mute = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (mute, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (mute, &error);
  g_assert_no_error (error);

  reply = dvr_control_call (f->socket_path, request, 50, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

static void
half_line_client (Fixture *f, gpointer data)
{
  RawClient **out = data;

  *out = raw_client_new (f->socket_path);
  raw_client_send (*out, "{\"cmd\":\"echo\"", -1);
}

static void
closed_client (Fixture *f, gpointer data)
{
  RawClient *client = data;
  g_autofree gchar *line = raw_client_read_line (client);

  g_assert_null (line);
}

static void
test_free_closes (Fixture *f, gconstpointer data)
{
  g_autoptr(RawClient) client = NULL;

  fixture_run_client (f, half_line_client, &client);
  g_clear_pointer (&f->control, dvr_control_free);
  g_assert_false (g_file_test (f->socket_path, G_FILE_TEST_EXISTS));
  fixture_run_client (f, closed_client, client);
}

/* ---- command-line times (dvr-utils) and dvrctl's event commands ---- */

/* 2026-11-28T22:30:01Z */
#define T0_NS (G_GINT64_CONSTANT (1795905001) * DVR_NSEC_PER_SEC)

static void
test_time_iso (void)
{
  static const struct {
    const gchar *text;
    gint64 utc_ns;
  } cases[] = {
    { "2026-11-28T22:30:01Z", T0_NS },
    { "2026-11-28T22:30:01.233Z", T0_NS + 233 * DVR_NSEC_PER_MSEC },
    { "2026-11-28T23:30:01.250+01:00", T0_NS + 250 * DVR_NSEC_PER_MSEC },
    { "2026-11-28T17:30:01-0500", T0_NS },
    { "2026-11-28T22:30:01-00:00", T0_NS },
    { "2026-11-28 22:30:01Z", T0_NS },
    { "20261128T223001Z", T0_NS },
    /* GLib keeps microseconds: finer digits go. */
    { "2026-11-28T22:30:01.123456789Z", T0_NS + 123456000 },
    { "1969-12-31T23:59:59.500Z", -500 * DVR_NSEC_PER_MSEC },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    gint64 utc_ns = 0;

    g_test_message ("%s", cases[i].text);
    g_assert_true (dvr_utc_parse_iso8601 (cases[i].text, &utc_ns, &error));
    g_assert_no_error (error);
    g_assert_cmpint (utc_ns, ==, cases[i].utc_ns);
    /* The relative parser takes every ISO time too, whatever "now" is. */
    g_assert_true (dvr_parse_time_arg (cases[i].text, 0, &utc_ns, &error));
    g_assert_no_error (error);
    g_assert_cmpint (utc_ns, ==, cases[i].utc_ns);
  }
}

static void
test_time_iso_refused (void)
{
  static const struct {
    const gchar *text;
    const gchar *message;   /* a part of the error */
  } cases[] = {
    { "2026-11-28T22:30:01", "has no time zone" },
    { "2026-11-28 22:30:01", "has no time zone" },
    { "2026-11-28", "is not an ISO 8601" },
    { "2026-11-28T22:30Z", "is not an ISO 8601" },
    { "2026-02-30T00:00:00Z", "is not an ISO 8601" },
    { "2026-11-28T22:30:01+25:00", "is not an ISO 8601" },
    { " 2026-11-28T22:30:01Z", "is not an ISO 8601" },
    { "2026-11-28T22:30:01Z ", "is not an ISO 8601" },
    { "", "is not an ISO 8601" },
    { "now", "is not an ISO 8601" },
    { "-5m", "is not an ISO 8601" },
    { "1677-01-01T00:00:00Z", "out of range" },
    { "2263-01-01T00:00:00Z", "out of range" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *quoted = g_strdup_printf ("\"%s\"", cases[i].text);
    gint64 utc_ns = 42;

    g_test_message ("\"%s\"", cases[i].text);
    g_assert_false (dvr_utc_parse_iso8601 (cases[i].text, &utc_ns, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, quoted));
    g_assert_nonnull (strstr (error->message, cases[i].message));
    g_assert_cmpint (utc_ns, ==, 42);
  }
}

static void
test_time_relative (void)
{
  static const struct {
    const gchar *text;
    gint64 before_ns;       /* how long before now; -1: refused */
    const gchar *message;
  } cases[] = {
    { "now", 0, NULL },
    { "-0s", 0, NULL },
    { "-90s", 90 * DVR_NSEC_PER_SEC, NULL },
    { "-5m", 300 * DVR_NSEC_PER_SEC, NULL },
    { "-2h", 7200 * DVR_NSEC_PER_SEC, NULL },
    { "-007m", 420 * DVR_NSEC_PER_SEC, NULL },
    { "NOW", -1, "is not a time: expected ISO 8601" },
    { "yesterday", -1, "is not a time: expected ISO 8601" },
    { "5m", -1, "is not a time: expected ISO 8601" },
    { "+5m", -1, "is not a time: expected ISO 8601" },
    { "2026-11-28T22:30:01", -1, "has no time zone" },
    { "-", -1, "is not a time before now" },
    { "-s", -1, "is not a time before now" },
    { "-5", -1, "is not a time before now" },
    { "-5d", -1, "is not a time before now" },
    { "-5M", -1, "is not a time before now" },
    { "-1.5m", -1, "is not a time before now" },
    { "--5m", -1, "is not a time before now" },
    { "-+5m", -1, "is not a time before now" },
    { "- 5m", -1, "is not a time before now" },
    { "-5 m", -1, "is not a time before now" },
    { "-5mm", -1, "is not a time before now" },
    { "-99999999999999999999s", -1, "is not a time before now" },
    { "-600000h", -1, "before 1970" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    gint64 utc_ns = 42;

    g_test_message ("\"%s\"", cases[i].text);
    if (cases[i].before_ns >= 0) {
      g_assert_true (dvr_parse_time_arg (cases[i].text, T0_NS, &utc_ns, &error));
      g_assert_no_error (error);
      g_assert_cmpint (utc_ns, ==, T0_NS - cases[i].before_ns);
    } else {
      g_autofree gchar *quoted = g_strdup_printf ("\"%s\"", cases[i].text);
      g_assert_false (dvr_parse_time_arg (cases[i].text, T0_NS, &utc_ns, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, quoted));
      g_assert_nonnull (strstr (error->message, cases[i].message));
      g_assert_cmpint (utc_ns, ==, 42);
    }
  }
}

/* A stand-in for dvrd's event commands (docs/control-protocol.md), with
 * canned replies; it keeps the last request for the test to look at. */
typedef struct {
  JsonObject *last_request;
  guint n_requests;
  gboolean audit_broken;
  gboolean old_status;      /* a status from a dvrd without events */
} FakeDvrd;

#define FAKE_EVENT_RUNNING \
  "{\"id\":3,\"kind\":\"manual\",\"state\":\"running\",\"start\":\"2026-11-28T22:30:01.000Z\"," \
  "\"end\":null,\"reason\":\"dvrctl\",\"stop_reason\":null,\"category\":null,\"case\":null," \
  "\"notes\":null,\"cameras\":[{\"name\":\"front\",\"from\":\"2026-11-28T22:29:31.000Z\"," \
  "\"to\":null,\"segments\":2,\"bytes\":2048}],\"triggers\":[{\"time\":" \
  "\"2026-11-28T22:30:01.000Z\",\"action\":\"manual-start\",\"source\":\"dvrctl\"," \
  "\"detail\":null}]}"
#define FAKE_EVENT_ENDED \
  "{\"id\":2,\"kind\":\"trigger\",\"state\":\"ended\",\"start\":\"2026-11-28T21:00:00.000Z\"," \
  "\"end\":\"2026-11-28T21:04:05.000Z\",\"reason\":\"signal lightbar\",\"stop_reason\":" \
  "\"signal off\",\"category\":\"traffic stop\",\"case\":\"2026-0042\",\"notes\":null," \
  "\"cameras\":[{\"name\":\"front\",\"from\":\"2026-11-28T20:59:30.000Z\",\"to\":" \
  "\"2026-11-28T21:04:35.000Z\",\"segments\":1,\"bytes\":1048576},{\"name\":\"rear\"," \
  "\"from\":\"2026-11-28T20:59:30.000Z\",\"to\":\"2026-11-28T21:04:35.000Z\",\"segments\":3," \
  "\"bytes\":3145728}],\"triggers\":[{\"time\":\"2026-11-28T21:00:00.000Z\",\"action\":" \
  "\"record-while-active\",\"source\":\"signal lightbar\",\"detail\":null},{\"time\":" \
  "\"2026-11-28T21:04:05.000Z\",\"action\":\"signal-off\",\"source\":\"signal lightbar\"," \
  "\"detail\":null}]}"
#define FAKE_SEGMENT \
  "{\"camera\":\"front\",\"path\":\"front/2026-11-28/front-20261128T210000.000Z-r000001-000007.mkv\"," \
  "\"start\":\"2026-11-28T21:00:00.000Z\",\"end\":\"2026-11-28T21:05:00.000Z\",\"frames\":9000," \
  "\"bytes\":1048576,\"sha256\":\"00\",\"state\":\"complete\"}"

static JsonNode *
fake_dvrd_handler (const gchar *command,
                   JsonObject *request,
                   gpointer user_data,
                   GError **error)
{
  FakeDvrd *fake = user_data;
  const gchar *payload = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  fake->n_requests++;
  g_clear_pointer (&fake->last_request, json_object_unref);
  fake->last_request = json_object_ref (request);
  if (g_strcmp0 (command, "event-start") == 0)
    payload = "{\"event\":" FAKE_EVENT_RUNNING ",\"extended\":false}";
  else if (g_strcmp0 (command, "event-create") == 0 || g_strcmp0 (command, "event-set") == 0)
    payload = "{\"event\":" FAKE_EVENT_ENDED "}";
  else if (g_strcmp0 (command, "event") == 0)
    payload = "{\"event\":" FAKE_EVENT_ENDED ",\"segments\":[" FAKE_SEGMENT "]}";
  else if (g_strcmp0 (command, "events") == 0)
    payload = "{\"events\":[" FAKE_EVENT_ENDED "," FAKE_EVENT_RUNNING "]}";
  else if (g_strcmp0 (command, "audit-verify") == 0 && !fake->audit_broken)
    payload = "{\"intact\":true,\"rows\":5,\"head\":\"ab12\"}";
  else if (g_strcmp0 (command, "audit-verify") == 0)
    payload = "{\"intact\":false,\"rows\":20,\"first_bad\":17,\"problem\":\"row 17: hash mismatch\"}";
  else if (g_strcmp0 (command, "status") == 0 && fake->old_status)
    payload = "{\"unit\":\"car-17\",\"cameras\":[]}";
  else if (g_strcmp0 (command, "status") == 0)
    payload = "{\"unit\":\"car-17\",\"cameras\":[],\"event\":{\"id\":3,\"state\":\"running\","
        "\"start\":\"2026-11-28T22:30:01.000Z\",\"end\":null,\"active_signals\":[\"lightbar\","
        "\"siren\"]},\"retention\":{\"free_bytes\":42949672960,\"total_bytes\":64424509440,"
        "\"min_free_bytes\":3221225472,\"ring_segments\":1201,\"ring_bytes\":18253611008,"
        "\"evidence_segments\":12,\"evidence_bytes\":188743680,\"alarm\":\"none\","
        "\"storage_full\":false}}";
  if (payload == NULL) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED, "no event is running");
    return NULL;
  }
  g_assert_true (json_parser_load_from_data (parser, payload, -1, NULL));
  return json_node_copy (json_parser_get_root (parser));
}

typedef struct {
  const gchar *const *args;   /* after "dvrctl --socket PATH" */
  gint status;
  gchar *out;
  gchar *err;
} DvrctlRun;

static void
dvrctl_client (Fixture *f, gpointer data)
{
  DvrctlRun *run = data;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) g_getenv ("DVRCTL"));
  g_ptr_array_add (argv, (gpointer) "--socket");
  g_ptr_array_add (argv, f->socket_path);
  for (guint i = 0; run->args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) run->args[i]);
  g_ptr_array_add (argv, NULL);
  run->status = dvr_test_run ((const gchar * const *) argv->pdata, &run->out, &run->err);
}

/* Runs dvrctl against the fake dvrd; returns its exit status.  @out and
 * @err get its output when not NULL. */
static gint
run_dvrctl (Fixture *f, gchar **out, gchar **err, ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  DvrctlRun run = { NULL, -1, NULL, NULL };
  const gchar *arg;
  va_list ap;

  va_start (ap, err);
  while ((arg = va_arg (ap, const gchar *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  run.args = (const gchar * const *) args->pdata;
  fixture_run_client (f, dvrctl_client, &run);
  if (out != NULL)
    *out = g_steal_pointer (&run.out);
  if (err != NULL)
    *err = g_steal_pointer (&run.err);
  g_free (run.out);
  g_free (run.err);
  return run.status;
}

static void
test_dvrctl_events (Fixture *f, gconstpointer data)
{
  FakeDvrd fake = { NULL, 0, FALSE, FALSE };
  g_autoptr(GError) error = NULL;
  const gchar *dvrctl = g_getenv ("DVRCTL");

  if (dvrctl == NULL || !g_file_test (dvrctl, G_FILE_TEST_IS_EXECUTABLE)) {
    g_test_skip ("no dvrctl to run ($DVRCTL: meson test sets it)");
    return;
  }
  f->control = dvr_control_new (f->socket_path, 0660, fake_dvrd_handler, &fake, &error);
  g_assert_no_error (error);

  /* event start: the reason goes along; one line says what happened. */
  {
    g_autofree gchar *out = NULL;
    g_assert_cmpint (run_dvrctl (f, &out, NULL, "event", "start", "--reason", "pulled over",
            NULL), ==, 0);
    g_assert_cmpstr (out, ==, "event 3 started at 2026-11-28T22:30:01.000Z\n");
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "cmd"), ==, "event-start");
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "reason"), ==,
        "pulled over");
  }
  /* dvrd says no: its message, exit 1. */
  {
    g_autofree gchar *err = NULL;
    g_assert_cmpint (run_dvrctl (f, NULL, &err, "event", "stop", NULL), ==, 1);
    g_assert_cmpstr (err, ==, "dvrctl: no event is running\n");
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "cmd"), ==, "event-stop");
  }
  /* Relative times become ISO 8601 UTC, both from one "now". */
  {
    gint64 before_ns = dvr_utc_now_ns (), after_ns, from_ns, to_ns;
    g_assert_cmpint (run_dvrctl (f, NULL, NULL, "event", "create", "--from", "-90s",
            "--to", "now", "--reason", "hit and run", NULL), ==, 0);
    after_ns = dvr_utc_now_ns ();
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "cmd"), ==, "event-create");
    g_assert_true (dvr_utc_parse_iso8601 (json_object_get_string_member (fake.last_request,
            "from"), &from_ns, NULL));
    g_assert_true (dvr_utc_parse_iso8601 (json_object_get_string_member (fake.last_request,
            "to"), &to_ns, NULL));
    g_assert_true (g_str_has_suffix (json_object_get_string_member (fake.last_request, "to"),
            "Z"));
    g_assert_cmpint (to_ns - from_ns, ==, 90 * DVR_NSEC_PER_SEC);
    g_assert_cmpint (to_ns, >=, before_ns - DVR_NSEC_PER_MSEC);
    g_assert_cmpint (to_ns, <=, after_ns);
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "reason"), ==,
        "hit and run");
  }
  /* An offset is converted to UTC. */
  {
    g_assert_cmpint (run_dvrctl (f, NULL, NULL, "event", "create", "--from",
            "2026-11-28T23:30:01.250+01:00", "--to", "2026-11-28T22:31:00Z", "--reason", "x",
            NULL), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "from"), ==,
        "2026-11-28T22:30:01.250Z");
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "to"), ==,
        "2026-11-28T22:31:00.000Z");
  }
  /* event set: only the fields given, "" to clear. */
  {
    g_autofree gchar *out = NULL;
    g_assert_cmpint (run_dvrctl (f, &out, NULL, "event", "set", "2", "--case", "2026-0042",
            "--notes", "", NULL), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "cmd"), ==, "event-set");
    g_assert_cmpint (json_object_get_int_member (fake.last_request, "event"), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "case"), ==, "2026-0042");
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "notes"), ==, "");
    g_assert_false (json_object_has_member (fake.last_request, "category"));
    g_assert_nonnull (strstr (out, "  case        2026-0042\n"));
  }
  /* event show: fields, cameras, triggers, then the evidence files.  Sizes
   * are g_format_size()'s, with a no-break space. */
  {
    g_autofree gchar *out = NULL;
    g_assert_cmpint (run_dvrctl (f, &out, NULL, "event", "show", "2", NULL), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "cmd"), ==, "event");
    g_assert_cmpint (json_object_get_int_member (fake.last_request, "event"), ==, 2);
    g_assert_true (g_str_has_prefix (out, "event 2: trigger, ended\n"));
    g_assert_nonnull (strstr (out, "  end         2026-11-28T21:04:05.000Z (4m05s)\n"));
    g_assert_nonnull (strstr (out, "  stopped by  signal off\n"));
    g_assert_nonnull (strstr (out, "  rear   2026-11-28T20:59:30.000Z .. 2026-11-28T21:04:35.000Z"
            "  3 segments  3.0\xc2\xa0MiB\n"));
    g_assert_nonnull (strstr (out, "  2026-11-28T21:04:05.000Z  signal-off           "
            "signal lightbar\n"));
    g_assert_true (g_str_has_suffix (out, "evidence: 1 file\n"
            "  front  2026-11-28T21:00:00.000Z  1.0\xc2\xa0MiB  complete  "
            "front/2026-11-28/front-20261128T210000.000Z-r000001-000007.mkv\n"));
  }
  /* events: a line each; --json (before or after the command) the reply. */
  {
    g_autofree gchar *out = NULL, *out_json = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_cmpint (run_dvrctl (f, &out, NULL, "events", "--from", "-1h", NULL), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (fake.last_request, "cmd"), ==, "events");
    g_assert_true (json_object_has_member (fake.last_request, "from"));
    g_assert_false (json_object_has_member (fake.last_request, "to"));
    lines = g_strsplit (out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 4);
    g_assert_true (g_str_has_prefix (lines[0], "ID  STATE    START"));
    g_assert_cmpstr (lines[1], ==, " 2  ended    2026-11-28T21:00:00.000Z  2026-11-28T21:04:05.000Z"
        "     4m05s  trigger  front:1,rear:3  signal lightbar (category traffic stop, case 2026-0042)");
    g_assert_cmpstr (lines[2], ==, " 3  running  2026-11-28T22:30:01.000Z  -                       "
        "         -  manual   front:2         dvrctl");
    g_assert_cmpint (run_dvrctl (f, &out_json, NULL, "events", "--json", NULL), ==, 0);
    g_assert_true (json_parser_load_from_data (parser, out_json, -1, NULL));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                json_node_get_object (json_parser_get_root (parser)), "events")), ==, 2);
  }
  /* audit verify: exit 1 when broken, the row said once. */
  {
    g_autofree gchar *out = NULL, *out_broken = NULL;
    g_assert_cmpint (run_dvrctl (f, &out, NULL, "audit", "verify", NULL), ==, 0);
    g_assert_cmpstr (out, ==, "audit log intact: 5 rows, head ab12\n");
    fake.audit_broken = TRUE;
    g_assert_cmpint (run_dvrctl (f, &out_broken, NULL, "audit", "verify", NULL), ==, 1);
    g_assert_cmpstr (out_broken, ==, "audit log BROKEN at row 17: hash mismatch\n");
    g_assert_cmpint (run_dvrctl (f, NULL, NULL, "--json", "audit", "verify", NULL), ==, 1);
  }
  /* status: the running event and the disk budget, when dvrd has them. */
  {
    g_autofree gchar *out = NULL, *out_old = NULL;
    g_assert_cmpint (run_dvrctl (f, &out, NULL, "status", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "\nevent 3 running since 2026-11-28T22:30:01.000Z "
            "(lightbar siren)\n"));
    g_assert_nonnull (strstr (out, "\ndisk: 40.0\xc2\xa0GiB free of 60.0\xc2\xa0GiB "
            "(min-free 3.0\xc2\xa0GiB), ring 1201 segments 17.0\xc2\xa0GiB, "
            "evidence 12 segments 180.0\xc2\xa0MiB, alarm none\n"));
    fake.old_status = TRUE;
    g_assert_cmpint (run_dvrctl (f, &out_old, NULL, "status", NULL), ==, 0);
    g_assert_null (strstr (out_old, "event"));
    g_assert_null (strstr (out_old, "disk:"));
  }
  /* Usage errors: exit 2, the option named, nothing sent. */
  {
    static const gchar *const bad[][9] = {
      { "event", "create", "--from", "yesterday", "--to", "now", "--reason", "x", NULL },
      { "event", "create", "--from", "-5m", "--to", "2026-11-28T22:30:01", "--reason", "x", NULL },
      { "event", "create", "--from", "-5m", "--to", "-10m", "--reason", "x", NULL },
      { "event", "create", "--from", "-5m", "--to", "now", NULL },
      { "event", "create", "--from", "-5m", "--to", "now", "--reason", " ", NULL },
      { "event", "stop", "--reason", "x", NULL },
      { "event", "set", "2", NULL },
      { "event", "show", "two", NULL },
      { "event", "show", NULL },
      { "event", "resume", NULL },
      { "events", "--to", "-3x", NULL },
      { "audit", NULL },
      { "status", "--from", "now", NULL },
    };
    static const gchar *const named[] = {
      "--from: \"yesterday\"", "--to: \"2026-11-28T22:30:01\" has no time zone",
      "--from must be before --to", "needs --from T, --to T and --reason",
      "--reason must not be empty", "event stop takes no --reason", "event set needs",
      "not \"two\"", "event show takes one event ID", "unknown command \"event resume\"",
      "events: --to: \"-3x\"", "audit takes one command", "status takes no --from",
    };
    guint n_requests = fake.n_requests;

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      DvrctlRun run = { NULL, -1, NULL, NULL };

      for (guint j = 0; bad[i][j] != NULL; j++)
        g_ptr_array_add (args, (gpointer) bad[i][j]);
      g_ptr_array_add (args, NULL);
      run.args = (const gchar * const *) args->pdata;
      fixture_run_client (f, dvrctl_client, &run);
      g_test_message ("%s", run.err);
      g_assert_cmpint (run.status, ==, 2);
      g_assert_nonnull (strstr (run.err, named[i]));
      g_free (run.out);
      g_free (run.err);
    }
    g_assert_cmpuint (fake.n_requests, ==, n_requests);
  }
  g_clear_pointer (&f->control, dvr_control_free);
  fixture_drain (f);
  g_clear_pointer (&fake.last_request, json_object_unref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, setup, func) \
  g_test_add (path, Fixture, NULL, setup, func, fixture_teardown)
  ADD ("/control/round-trip", fixture_setup, test_round_trip);
  ADD ("/control/unknown-command", fixture_setup, test_unknown_command);
  ADD ("/control/error-codes", fixture_setup, test_error_codes);
  ADD ("/control/malformed", fixture_setup, test_malformed);
  ADD ("/control/long-line", fixture_setup, test_long_line);
  ADD ("/control/stalled-client", fixture_setup, test_stalled_client);
  ADD ("/control/disconnect", fixture_setup, test_disconnect);
  ADD ("/control/connection-limit", fixture_setup, test_connection_limit);
  ADD ("/control/flood", fixture_setup, test_flood);
  ADD ("/control/free-closes", fixture_setup, test_free_closes);
  ADD ("/control/live-socket", fixture_setup, test_live_socket);
  ADD ("/control/socket-mode", fixture_setup_empty, test_socket_mode);
  ADD ("/control/stale-socket", fixture_setup_empty, test_stale_socket);
  ADD ("/control/regular-file", fixture_setup_empty, test_regular_file);
  ADD ("/control/missing-folder", fixture_setup_empty, test_missing_folder);
  ADD ("/control/call-missing-socket", fixture_setup_empty, test_call_missing_socket);
  ADD ("/control/call-timeout", fixture_setup_empty, test_call_timeout);
  ADD ("/control/dvrctl-events", fixture_setup_empty, test_dvrctl_events);
#undef ADD
  g_test_add_func ("/control/time/iso8601", test_time_iso);
  g_test_add_func ("/control/time/iso8601-refused", test_time_iso_refused);
  g_test_add_func ("/control/time/relative", test_time_relative);

  return g_test_run ();
}
