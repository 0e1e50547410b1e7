/* dvr-control: the local control socket (JSON lines over a Unix socket).
 *
 * Each connection is a DvrControlClient with at most one read and one write
 * in flight.  Bytes read are split into lines in a buffer that never grows
 * past DVR_CONTROL_MAX_LINE; every complete line is answered at once (the
 * handler is synchronous) by appending a reply to the client's queue, which
 * is written out oldest first, so replies keep the order of the requests.
 * While more than MAX_QUEUED_REPLY_BYTES wait to be written, the client is
 * not read from: a client that floods requests and never reads its replies
 * ends up blocked in its own send(), not growing dvrd's memory.
 *
 * Lifetime: asynchronous callbacks always run, even after a cancel, so every
 * operation in flight holds a reference on its client.  client->control is
 * NULL once the client has been dropped (connection closed, or
 * dvr_control_free() ran); callbacks check it before touching anything else.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "dvr-control"

#include "dvr-control.h"
#include "dvr-utils.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections served at once; further ones get an error reply and are
 * closed. */
#define MAX_CONNECTIONS 32
/* Pending connections the kernel holds before dvrd accepts them. */
#define LISTEN_BACKLOG MAX_CONNECTIONS
#define READ_CHUNK 4096
/* Stop reading from a client while this much of its replies is unsent. */
#define MAX_QUEUED_REPLY_BYTES (256 * 1024)
/* json-glib 1.6 parses recursively without a depth limit: a line of 64 KiB
 * of '[' overflows a 2 MiB stack.  No request needs more than a few levels. */
#define MAX_REQUEST_DEPTH 64
/* A reply larger than this is not a dvrd reply; the client gives up. */
#define MAX_REPLY_BYTES (16 * 1024 * 1024)
#define ACCEPT_RETRY_SECONDS 1

G_DEFINE_QUARK (dvr-control-error-quark, dvr_control_error)

struct _DvrControl {
  gchar *socket_path;
  gboolean owns_socket_file;
  dev_t socket_device;      /* identify the file we bound, so that free */
  ino_t socket_inode;       /* never unlinks somebody else's socket */
  GMainContext *context;
  GSocketListener *listener;
  GCancellable *cancellable; /* the accept loop */
  GSource *accept_retry;
  DvrControlHandler handler;
  gpointer user_data;
  GPtrArray *clients;       /* element-type DvrControlClient, owns a ref */
  guint n_serving;          /* clients not rejected for the connection cap */
};

typedef struct {
  gint ref_count;           /* main loop only */
  DvrControl *control;      /* NULL once dropped */
  GSocketConnection *connection;
  GCancellable *cancellable;
  GByteArray *line;         /* the current line so far, without '\n' */
  guint8 chunk[READ_CHUNK]; /* target of the read in flight */
  GQueue replies;           /* GBytes, one line each; the head is being written */
  gsize queued_bytes;
  gboolean reading;
  gboolean writing;
  gboolean closing;         /* read no more; close once the replies are out */
  gboolean rejected;        /* over the connection cap: only gets an error */
} DvrControlClient;

static DvrControlClient *
client_ref (DvrControlClient *client)
{
  client->ref_count++;
  return client;
}

static void
client_unref (DvrControlClient *client)
{
  if (--client->ref_count > 0)
    return;
  g_queue_clear_full (&client->replies, (GDestroyNotify) g_bytes_unref);
  g_byte_array_unref (client->line);
  g_object_unref (client->cancellable);
  g_object_unref (client->connection);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrControlClient, client_unref)

static void client_pump (DvrControlClient *client);

/* ------------------------------------------------------------------------
 * Replies
 * ------------------------------------------------------------------------ */

static const gchar *
error_to_code (const GError *error)
{
  if (error->domain == DVR_CONTROL_ERROR) {
    switch ((DvrControlError) error->code) {
      case DVR_CONTROL_ERROR_MALFORMED:
        return "malformed";
      case DVR_CONTROL_ERROR_UNKNOWN_COMMAND:
        return "unknown-command";
      case DVR_CONTROL_ERROR_INVALID_ARGUMENT:
        return "invalid-argument";
      case DVR_CONTROL_ERROR_FAILED:
        break;
    }
  }
  return "failed";
}

/* One line of JSON, '\n' included.  The generator escapes control
 * characters inside strings, so the text holds no other newline. */
static GBytes *
object_to_line (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree gchar *text = json_to_string (node, FALSE);
  gchar *line = g_strconcat (text, "\n", NULL);

  return g_bytes_new_take (line, strlen (line));
}

static void
client_queue_reply (DvrControlClient *client, JsonObject *reply)
{
  GBytes *line = object_to_line (reply);

  client->queued_bytes += g_bytes_get_size (line);
  g_queue_push_tail (&client->replies, line);
}

/* {"ok":true, "id":ID, ...@payload} with @payload's own "ok" and "id", if
 * any, overridden. */
static void
client_queue_success (DvrControlClient *client, JsonNode *id, JsonObject *payload)
{
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autoptr(GList) members = json_object_get_members (payload);

  json_object_set_boolean_member (reply, "ok", TRUE);
  if (id != NULL)
    json_object_set_member (reply, "id", json_node_copy (id));
  for (GList *l = members; l != NULL; l = l->next) {
    const gchar *name = l->data;
    if (g_strcmp0 (name, "ok") == 0 || g_strcmp0 (name, "id") == 0)
      continue;
    json_object_set_member (reply, name,
        json_node_copy (json_object_get_member (payload, name)));
  }
  client_queue_reply (client, reply);
}

static void
client_queue_error (DvrControlClient *client, JsonNode *id, const GError *error)
{
  g_autoptr(JsonObject) reply = json_object_new ();

  json_object_set_boolean_member (reply, "ok", FALSE);
  if (id != NULL)
    json_object_set_member (reply, "id", json_node_copy (id));
  json_object_set_string_member (reply, "error", error->message);
  json_object_set_string_member (reply, "code", error_to_code (error));
  client_queue_reply (client, reply);
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static gboolean
line_is_blank (const gchar *line, gsize length)
{
  for (gsize i = 0; i < length; i++) {
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      return FALSE;
  }
  return TRUE;
}

/* json-glib 1.6 is lenient where a hostile line can hurt: it recurses once
 * per nesting level without a limit, and it ignores anything after the
 * first value ('{"cmd":"a"} {"cmd":"b"}' would run "a").  It also accepts
 * comments and single quotes, which could hide brackets from a depth count,
 * so outside strings only the bytes that strict JSON allows there pass. */
static gboolean
request_check_lexical (const gchar *line, gsize length, GError **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  gboolean ended = FALSE;

  for (gsize i = 0; i < length; i++) {
    gchar c = line[i];

    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = FALSE;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r')
      continue;
    if (ended) {
      g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
          "request is not JSON: data after the object at byte %" G_GSIZE_FORMAT,
          i + 1);
      return FALSE;
    }
    switch (c) {
      case '"':
        in_string = TRUE;
        break;
      case '{':
      case '[':
        if (++depth > MAX_REQUEST_DEPTH) {
          g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
              "request nests deeper than %d levels", MAX_REQUEST_DEPTH);
          return FALSE;
        }
        break;
      case '}':
      case ']':
        /* An unbalanced bracket is left for the parser to report. */
        if (depth > 0 && --depth == 0)
          ended = TRUE;
        break;
      default:
        if (!g_ascii_isalnum (c) && strchr (":,-+.", c) == NULL) {
          g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
              "request is not JSON: unexpected character at byte %" G_GSIZE_FORMAT,
              i + 1);
          return FALSE;
        }
        break;
    }
  }
  return TRUE;
}

/* Parses one request line.  Returns the root node (an object with a string
 * "cmd") and @command_out borrowed from it, or NULL with a MALFORMED error.
 * @id_out receives a copy of a scalar "id" member as soon as the line is
 * known to be an object, so that errors about the rest can echo it. */
static JsonNode *
request_parse (const gchar *line,
               gsize length,
               JsonNode **id_out,
               const gchar **command_out,
               GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *id;
  JsonNode *command;

  if (!g_utf8_validate (line, length, NULL)) {
    g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "request is not valid UTF-8");
    return NULL;
  }
  if (!request_check_lexical (line, length, error))
    return NULL;
  if (!json_parser_load_from_data (parser, line, length, &parse_error)) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "request is not JSON: %s", parse_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "request is not a JSON object");
    return NULL;
  }
  object = json_node_get_object (root);
  id = json_object_get_member (object, "id");
  if (id != NULL) {
    if (JSON_NODE_HOLDS_OBJECT (id) || JSON_NODE_HOLDS_ARRAY (id)) {
      g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
          "\"id\" must be a string, number, boolean or null");
      return NULL;
    }
    *id_out = json_node_copy (id);
  }
  command = json_object_get_member (object, "cmd");
  if (command == NULL) {
    g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "request has no \"cmd\" member");
    return NULL;
  }
  if (json_node_get_value_type (command) != G_TYPE_STRING) {
    g_set_error_literal (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "request member \"cmd\" is not a string");
    return NULL;
  }
  *command_out = json_node_get_string (command);
  return json_node_ref (root);
}

static void
client_handle_line (DvrControlClient *client, const gchar *line, gsize length)
{
  DvrControl *control = client->control;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(GError) error = NULL;
  const gchar *command = NULL;

  if (line_is_blank (line, length))
    return;
  root = request_parse (line, length, &id, &command, &error);
  if (root == NULL) {
    g_debug ("malformed request: %s", error->message);
    client_queue_error (client, id, error);
    return;
  }

  payload = control->handler (command, json_node_get_object (root),
      control->user_data, &error);
  /* The handler may have freed the DvrControl (a "quit" command, say). */
  if (client->control == NULL)
    return;
  if (payload == NULL) {
    if (error == NULL) {
      g_warning ("control command \"%s\": the handler returned neither a reply "
          "nor an error", command);
      g_set_error_literal (&error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED,
          "internal error");
    }
    client_queue_error (client, id, error);
    return;
  }
  if (!JSON_NODE_HOLDS_OBJECT (payload)) {
    g_warning ("control command \"%s\": the handler returned a %s, not an object",
        command, json_node_type_name (payload));
    g_set_error_literal (&error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED,
        "internal error");
    client_queue_error (client, id, error);
    return;
  }
  client_queue_success (client, id, json_node_get_object (payload));
}

/* Splits @data into lines and answers each complete one. */
static void
client_consume (DvrControlClient *client, const guint8 *data, gsize length)
{
  while (length > 0 && client->control != NULL && !client->closing) {
    const guint8 *newline = memchr (data, '\n', length);
    gsize take = newline != NULL ? (gsize) (newline - data) : length;

    if (client->line->len + take > DVR_CONTROL_MAX_LINE) {
      g_autoptr(GError) error = g_error_new (DVR_CONTROL_ERROR,
          DVR_CONTROL_ERROR_MALFORMED,
          "request line longer than %d bytes; closing the connection",
          DVR_CONTROL_MAX_LINE);
      g_debug ("%s", error->message);
      g_byte_array_set_size (client->line, 0);
      client_queue_error (client, NULL, error);
      client->closing = TRUE;
      return;
    }
    g_byte_array_append (client->line, data, take);
    if (newline == NULL)
      return;
    client_handle_line (client, (const gchar *) client->line->data, client->line->len);
    g_byte_array_set_size (client->line, 0);
    data += take + 1;
    length -= take + 1;
  }
}

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

/* Stops serving @client.  The caller holds a reference of its own unless
 * this is the last thing it does with @client. */
static void
client_drop (DvrControlClient *client)
{
  DvrControl *control = client->control;

  if (control == NULL)
    return;
  client->control = NULL;
  g_cancellable_cancel (client->cancellable);
  /* Closing a Unix socket never blocks (no SO_LINGER), and closing now
   * rather than when the cancelled operations come back frees the
   * descriptor and tells the peer at once. */
  g_io_stream_close (G_IO_STREAM (client->connection), NULL, NULL);
  if (!client->rejected)
    control->n_serving--;
  g_ptr_array_remove_fast (control->clients, client);
}

static void
client_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(DvrControlClient) client = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  client->reading = FALSE;
  if (client->control == NULL)
    return;
  if (n < 0) {
    g_debug ("control client: read: %s", error->message);
    client_drop (client);
    return;
  }
  if (n == 0) {
    /* Be lenient with a last request that has no '\n' before the end of
     * the stream (printf '{"cmd":"status"}' | socat ...). */
    if (client->line->len > 0 && !client->closing) {
      client_handle_line (client, (const gchar *) client->line->data,
          client->line->len);
      g_byte_array_set_size (client->line, 0);
    }
    client->closing = TRUE;
  } else {
    client_consume (client, client->chunk, n);
  }
  client_pump (client);
}

static void
client_write_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(DvrControlClient) client = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) written = NULL;

  client->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, &error)) {
    /* Usually the client went away before reading its reply (EPIPE; GSocket
     * sends with MSG_NOSIGNAL, so no SIGPIPE). */
    if (client->control != NULL) {
      g_debug ("control client: write: %s", error->message);
      client_drop (client);
    }
    return;
  }
  if (client->control == NULL)
    return;
  written = g_queue_pop_head (&client->replies);
  client->queued_bytes -= g_bytes_get_size (written);
  client_pump (client);
}

/* Starts whatever I/O @client is ready for, or drops it once it is done. */
static void
client_pump (DvrControlClient *client)
{
  DvrControl *control = client->control;

  if (control == NULL)
    return;
  /* The operations' callbacks come back on the context they start on. */
  g_main_context_push_thread_default (control->context);
  if (!client->writing && !g_queue_is_empty (&client->replies)) {
    GBytes *line = g_queue_peek_head (&client->replies);
    GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));

    client->writing = TRUE;
    g_output_stream_write_all_async (output,
        g_bytes_get_data (line, NULL), g_bytes_get_size (line),
        G_PRIORITY_DEFAULT, client->cancellable, client_write_cb,
        client_ref (client));
  }
  if (!client->reading && !client->closing &&
      client->queued_bytes < MAX_QUEUED_REPLY_BYTES) {
    GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (client->connection));

    client->reading = TRUE;
    g_input_stream_read_async (input, client->chunk, sizeof (client->chunk),
        G_PRIORITY_DEFAULT, client->cancellable, client_read_cb,
        client_ref (client));
  }
  g_main_context_pop_thread_default (control->context);
  if (client->closing && !client->writing)
    client_drop (client);
}

static void
control_add_client (DvrControl *control, GSocketConnection *connection)
{
  g_autoptr(DvrControlClient) client = g_new0 (DvrControlClient, 1);

  client->ref_count = 1;
  client->control = control;
  client->connection = g_object_ref (connection);
  client->cancellable = g_cancellable_new ();
  client->line = g_byte_array_new ();
  g_queue_init (&client->replies);
  g_ptr_array_add (control->clients, client_ref (client));

  if (control->n_serving >= MAX_CONNECTIONS) {
    g_autoptr(GError) error = g_error_new (DVR_CONTROL_ERROR,
        DVR_CONTROL_ERROR_FAILED, "too many connections to dvrd (limit %d)",
        MAX_CONNECTIONS);
    g_message ("control socket %s: %s; refusing a client",
        control->socket_path, error->message);
    client->rejected = TRUE;
    client->closing = TRUE;
    client_queue_error (client, NULL, error);
  } else {
    control->n_serving++;
  }
  client_pump (client);
}

static void control_accept_next (DvrControl *control);

static gboolean
control_accept_retry_cb (gpointer user_data)
{
  DvrControl *control = user_data;

  g_clear_pointer (&control->accept_retry, g_source_unref);
  control_accept_next (control);
  return G_SOURCE_REMOVE;
}

static void
control_accept_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  DvrControl *control;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source),
      result, NULL, &error);
  /* GTask reports CANCELLED whenever the cancellable was cancelled, even if
   * the accept itself succeeded: this is dvr_control_free() and @user_data
   * may be gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  control = user_data;
  if (connection == NULL) {
    /* EMFILE and the like: the pending connection stays in the backlog, so
     * accepting again at once would spin. */
    g_warning ("control socket %s: accept: %s; retrying in %d s",
        control->socket_path, error->message, ACCEPT_RETRY_SECONDS);
    control->accept_retry = g_timeout_source_new_seconds (ACCEPT_RETRY_SECONDS);
    g_source_set_callback (control->accept_retry, control_accept_retry_cb,
        control, NULL);
    g_source_attach (control->accept_retry, control->context);
    return;
  }
  control_add_client (control, connection);
  control_accept_next (control);
}

static void
control_accept_next (DvrControl *control)
{
  g_main_context_push_thread_default (control->context);
  g_socket_listener_accept_async (control->listener, control->cancellable,
      control_accept_cb, control);
  g_main_context_pop_thread_default (control->context);
}

/* ------------------------------------------------------------------------
 * Socket file
 * ------------------------------------------------------------------------ */

static gboolean
socket_address_init (struct sockaddr_un *address,
                     const gchar *socket_path,
                     GError **error)
{
  memset (address, 0, sizeof (*address));
  address->sun_family = AF_UNIX;
  if (strlen (socket_path) >= sizeof (address->sun_path)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
        "socket path %s is longer than %" G_GSIZE_FORMAT " bytes",
        socket_path, sizeof (address->sun_path) - 1);
    return FALSE;
  }
  strcpy (address->sun_path, socket_path);
  return TRUE;
}

/* Decides what to do with an existing socket file at @socket_path: sets
 * @live_out if something accepts connections on it.  A connect refused
 * means nobody listens: the file is left over from a process that died. */
static gboolean
socket_probe (const gchar *socket_path, gboolean *live_out, GError **error)
{
  struct sockaddr_un address;
  dvr_autofd fd = -1;

  if (!socket_address_init (&address, socket_path, error))
    return FALSE;
  /* Non-blocking: a live but busy server (full backlog) answers EAGAIN
   * instead of making us wait. */
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return dvr_set_error_from_errno (error, errno, "socket for", socket_path);
  if (connect (fd, (struct sockaddr *) &address, sizeof (address)) == 0) {
    *live_out = TRUE;
    return TRUE;
  }
  switch (errno) {
    case EAGAIN:
      *live_out = TRUE;
      return TRUE;
    case ECONNREFUSED:
    case ENOENT:
      *live_out = FALSE;
      return TRUE;
    default:
      return dvr_set_error_from_errno (error, errno, "connect to", socket_path);
  }
}

/* Makes room for the socket: nothing there, or a stale socket removed. */
static gboolean
socket_path_prepare (const gchar *socket_path, GError **error)
{
  g_autofree gchar *folder = g_path_get_dirname (socket_path);
  gboolean live = FALSE;
  struct stat st;

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "control socket folder %s does not exist", folder);
    return FALSE;
  }
  if (lstat (socket_path, &st) < 0) {
    if (errno == ENOENT)
      return TRUE;
    return dvr_set_error_from_errno (error, errno, "stat", socket_path);
  }
  if (!S_ISSOCK (st.st_mode)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "%s exists and is not a socket; leaving it alone", socket_path);
    return FALSE;
  }
  if (!socket_probe (socket_path, &live, error))
    return FALSE;
  if (live) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
        "another dvrd is serving %s", socket_path);
    return FALSE;
  }
  g_message ("removing stale control socket %s", socket_path);
  if (unlink (socket_path) < 0 && errno != ENOENT)
    return dvr_set_error_from_errno (error, errno, "unlink stale socket", socket_path);
  return TRUE;
}

/* Creates, binds and listens on the socket file with @mode. */
static GSocket *
control_bind (DvrControl *control, guint mode, GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  struct stat st;

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return NULL;
  /* Linux creates the socket file with the socket inode's mode minus the
   * umask, so after this fchmod() the file is never more open than @mode,
   * not even between bind() and chmod().  Changing the umask instead would
   * race with other threads creating files and folders. */
  if (fchmod (g_socket_get_fd (socket), mode) < 0) {
    dvr_set_error_from_errno (error, errno, "fchmod socket for", control->socket_path);
    return NULL;
  }
  address = g_unix_socket_address_new (control->socket_path);
  if (!g_socket_bind (socket, address, FALSE, error))
    return NULL;
  /* From here on the file is ours: dvr_control_free() removes it. */
  if (stat (control->socket_path, &st) < 0) {
    int saved_errno = errno;
    unlink (control->socket_path);
    dvr_set_error_from_errno (error, saved_errno, "stat", control->socket_path);
    return NULL;
  }
  control->socket_device = st.st_dev;
  control->socket_inode = st.st_ino;
  control->owns_socket_file = TRUE;
  /* Add back what the umask took away. */
  if (chmod (control->socket_path, mode) < 0) {
    dvr_set_error_from_errno (error, errno, "chmod", control->socket_path);
    return NULL;
  }
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static void
control_unlink_socket (DvrControl *control)
{
  struct stat st;

  if (lstat (control->socket_path, &st) < 0)
    return;
  if (st.st_dev != control->socket_device || st.st_ino != control->socket_inode)
    return;
  if (unlink (control->socket_path) < 0)
    g_warning ("unlink %s: %s", control->socket_path, g_strerror (errno));
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

/* Serves on the thread-default main context of the caller; call from the
 * thread that runs it.  The handler and all I/O run there. */
DvrControl *
dvr_control_new (const gchar *socket_path,
                 guint mode,
                 DvrControlHandler handler,
                 gpointer user_data,
                 GError **error)
{
  g_autoptr(DvrControl) control = NULL;
  g_autoptr(GSocket) socket = NULL;
  struct sockaddr_un address;

  g_return_val_if_fail (socket_path != NULL, NULL);
  g_return_val_if_fail (handler != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((mode & ~0777u) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "control socket: mode %o is not a permission mode", mode);
    return NULL;
  }
  if (!socket_address_init (&address, socket_path, error) ||
      !socket_path_prepare (socket_path, error)) {
    g_prefix_error (error, "control socket: ");
    return NULL;
  }

  control = g_new0 (DvrControl, 1);
  control->socket_path = g_strdup (socket_path);
  control->context = g_main_context_ref_thread_default ();
  control->listener = g_socket_listener_new ();
  control->cancellable = g_cancellable_new ();
  control->handler = handler;
  control->user_data = user_data;
  control->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_unref);

  socket = control_bind (control, mode, error);
  if (socket == NULL) {
    g_prefix_error (error, "control socket: ");
    return NULL;
  }
  if (!g_socket_listener_add_socket (control->listener, socket, NULL, error)) {
    g_prefix_error (error, "control socket %s: ", socket_path);
    return NULL;
  }
  control_accept_next (control);
  g_debug ("serving %s (mode %04o)", socket_path, mode);
  return g_steal_pointer (&control);
}

void
dvr_control_free (DvrControl *control)
{
  if (control == NULL)
    return;
  g_cancellable_cancel (control->cancellable);
  if (control->accept_retry != NULL) {
    g_source_destroy (control->accept_retry);
    g_clear_pointer (&control->accept_retry, g_source_unref);
  }
  g_socket_listener_close (control->listener);
  while (control->clients->len > 0)
    client_drop (g_ptr_array_index (control->clients, 0));
  if (control->owns_socket_file)
    control_unlink_socket (control);

  g_ptr_array_unref (control->clients);
  g_object_unref (control->cancellable);
  g_object_unref (control->listener);
  g_main_context_unref (control->context);
  g_free (control->socket_path);
  g_free (control);
}

/* ------------------------------------------------------------------------
 * Client
 * ------------------------------------------------------------------------ */

static gint64
remaining_us (gint64 deadline)
{
  return MAX (deadline - g_get_monotonic_time (), 0);
}

static GSocket *
call_connect (const gchar *socket_path, gint64 deadline, GError **error)
{
  struct sockaddr_un address;
  dvr_autofd fd = -1;
  gint64 timeout_us = remaining_us (deadline);
  struct timeval timeout = {
    .tv_sec = timeout_us / G_USEC_PER_SEC,
    .tv_usec = timeout_us % G_USEC_PER_SEC,
  };
  GSocket *result;

  if (!socket_address_init (&address, socket_path, error))
    return NULL;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    dvr_set_error_from_errno (error, errno, "socket for", socket_path);
    return NULL;
  }
  /* A Unix connect() waits while the server's backlog is full, for as long
   * as the send timeout allows; a zero timeval would mean forever. */
  if (timeout.tv_sec == 0 && timeout.tv_usec == 0)
    timeout.tv_usec = 1;
  if (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof (timeout)) < 0) {
    dvr_set_error_from_errno (error, errno, "setsockopt on socket for", socket_path);
    return NULL;
  }
  if (connect (fd, (struct sockaddr *) &address, sizeof (address)) < 0) {
    int saved_errno = errno;
    const gchar *hint = "";

    if (saved_errno == EAGAIN) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "cannot connect to dvrd at %s: it is not accepting connections",
          socket_path);
      return NULL;
    }
    if (saved_errno == ENOENT || saved_errno == ECONNREFUSED)
      hint = " (is dvrd running?)";
    else if (saved_errno == EACCES)
      hint = " (is your user in the socket's group?)";
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
        "cannot connect to dvrd at %s: %s%s", socket_path,
        g_strerror (saved_errno), hint);
    return NULL;
  }
  result = g_socket_new_from_fd (fd, error);
  if (result == NULL)
    return NULL;
  fd = -1;
  g_socket_set_blocking (result, FALSE);
  return result;
}

static gboolean
call_wait (GSocket *socket,
           GIOCondition condition,
           gint64 deadline,
           const gchar *socket_path,
           guint timeout_ms,
           GError **error)
{
  gint64 timeout_us = remaining_us (deadline);

  if (timeout_us > 0 &&
      g_socket_condition_timed_wait (socket, condition, timeout_us, NULL, NULL))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "no reply from dvrd at %s within %u ms", socket_path, timeout_ms);
  return FALSE;
}

/* Blocking, for dvrctl and tests; never call it on dvrd's main loop.  The
 * reply is returned whether "ok" is true or false; NULL means no reply
 * (connection, timeout, or a reply that is not a JSON object).  A
 * @timeout_ms of 0 gives up at once. */
JsonObject *
dvr_control_call (const gchar *socket_path,
                  JsonObject *request,
                  guint timeout_ms,
                  GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GBytes) line = NULL;
  g_autoptr(GByteArray) reply = g_byte_array_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  const guint8 *data;
  gsize size;
  gsize sent = 0;
  JsonNode *root;

  g_return_val_if_fail (socket_path != NULL, NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  socket = call_connect (socket_path, deadline, error);
  if (socket == NULL)
    return NULL;

  line = object_to_line (request);
  data = g_bytes_get_data (line, &size);
  while (sent < size) {
    g_autoptr(GError) send_error = NULL;
    gssize n = g_socket_send (socket, (const gchar *) data + sent, size - sent,
        NULL, &send_error);
    if (n >= 0) {
      sent += n;
      continue;
    }
    if (!g_error_matches (send_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      g_set_error (error, G_IO_ERROR, send_error->code,
          "cannot send to dvrd at %s: %s", socket_path, send_error->message);
      return NULL;
    }
    if (!call_wait (socket, G_IO_OUT, deadline, socket_path, timeout_ms, error))
      return NULL;
  }

  for (;;) {
    g_autoptr(GError) receive_error = NULL;
    guint8 chunk[READ_CHUNK];
    const guint8 *newline;
    gssize n = g_socket_receive (socket, (gchar *) chunk, sizeof (chunk),
        NULL, &receive_error);

    if (n < 0) {
      if (!g_error_matches (receive_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_set_error (error, G_IO_ERROR, receive_error->code,
            "cannot read from dvrd at %s: %s", socket_path,
            receive_error->message);
        return NULL;
      }
      if (!call_wait (socket, G_IO_IN, deadline, socket_path, timeout_ms, error))
        return NULL;
      continue;
    }
    if (n == 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
          "dvrd at %s closed the connection without a reply", socket_path);
      return NULL;
    }
    newline = memchr (chunk, '\n', n);
    g_byte_array_append (reply, chunk, newline != NULL ? newline - chunk : n);
    if (newline != NULL)
      break;
    if (reply->len > MAX_REPLY_BYTES) {
      g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
          "reply from dvrd at %s is longer than %d bytes", socket_path,
          MAX_REPLY_BYTES);
      return NULL;
    }
  }

  if (!json_parser_load_from_data (parser, (const gchar *) reply->data,
          reply->len, &parse_error)) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "malformed reply from dvrd at %s: %s", socket_path, parse_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_MALFORMED,
        "malformed reply from dvrd at %s: not a JSON object", socket_path);
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}
