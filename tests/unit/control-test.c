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
#undef ADD

  return g_test_run ();
}
