/* Fuzzes the control protocol (src/dvr-control.h) through its only public
 * entry that takes bytes: a DvrControl server on a socket of the harness's
 * own.  Line splitting, the lexical check, JSON parsing and request
 * validation are static in src/dvr-control.c, so each input is sent as one
 * client's whole byte stream, the write side is shut, and the main context
 * runs until the server closes the connection.  The handler stands in for
 * dvrd: it answers "echo" with a payload and "fail" with an error.  Every
 * reply line must be a JSON object with a boolean "ok", and the server
 * must close within a few seconds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "dvr-control.h"
#include "fuzz.h"

#define EXCHANGE_TIMEOUT_US (10 * G_USEC_PER_SEC)

static DvrControl *control;
static gchar *socket_path;

static JsonNode *
fuzz_handler (const gchar *command, JsonObject *request, gpointer user_data, GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  /* The server hands over only objects whose "cmd" is a string. */
  g_assert_cmpstr (json_object_get_string_member (request, "cmd"), ==, command);
  if (g_strcmp0 (command, "fail") == 0) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
        "fuzz: %u members", json_object_get_size (request));
    return NULL;
  }
  if (g_strcmp0 (command, "echo") != 0) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_UNKNOWN_COMMAND,
        "unknown command \"%s\"", command);
    return NULL;
  }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "command");
  json_builder_add_string_value (builder, command);
  json_builder_set_member_name (builder, "members");
  json_builder_add_int_value (builder, json_object_get_size (request));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Leaves no temporary folder behind (libFuzzer and the driver exit()). */
static void
fuzz_control_cleanup (void)
{
  g_autofree gchar *dir = g_path_get_dirname (socket_path);

  g_clear_pointer (&control, dvr_control_free);
  g_rmdir (dir);
}

static void
fuzz_control_init (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("dvr-fuzz-control-XXXXXX", &error);

  g_assert_no_error (error);
  socket_path = g_build_filename (dir, "control.sock", NULL);
  control = dvr_control_new (socket_path, 0600, fuzz_handler, NULL, &error);
  g_assert_no_error (error);
  atexit (fuzz_control_cleanup);
}

static void
check_replies (const gchar *replies, gsize length)
{
  g_auto(GStrv) lines = NULL;
  g_autofree gchar *text = g_strndup (length > 0 ? replies : "", length);

  /* Replies end with '\n'; a partial last line is a protocol bug. */
  g_assert (length == 0 || replies[length - 1] == '\n');
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *reply;
    JsonNode *ok;

    if (!json_parser_load_from_data (parser, lines[i], -1, &error))
      g_error ("reply %u is not JSON (%s): %s", i, error->message, lines[i]);
    g_assert (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
    reply = json_node_get_object (json_parser_get_root (parser));
    ok = json_object_get_member (reply, "ok");
    g_assert (ok != NULL && json_node_get_value_type (ok) == G_TYPE_BOOLEAN);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  g_autoptr(GByteArray) replies = g_byte_array_new ();
  gint64 deadline;
  gsize sent = 0;
  gboolean shut = FALSE;
  int fd;

  if (control == NULL)
    fuzz_control_init ();
  g_strlcpy (address.sun_path, socket_path, sizeof address.sun_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  g_assert (fd >= 0);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    g_error ("connect %s: %s", socket_path, g_strerror (errno));

  deadline = g_get_monotonic_time () + EXCHANGE_TIMEOUT_US;
  for (;;) {
    gboolean progress = FALSE;
    guint8 buffer[4096];
    gssize n;

    if (!shut) {
      n = size > sent ? send (fd, data + sent, size - sent, MSG_NOSIGNAL) : 0;
      if (n > 0) {
        sent += n;
        progress = TRUE;
      }
      /* EPIPE: the server closed first (a line too long); that is allowed. */
      if (sent == size || (n < 0 && errno != EAGAIN)) {
        shutdown (fd, SHUT_WR);
        shut = TRUE;
      }
    }
    n = recv (fd, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN))
      break;
    if (n > 0) {
      g_byte_array_append (replies, buffer, n);
      progress = TRUE;
    }
    if (g_main_context_iteration (NULL, FALSE))
      progress = TRUE;
    if (!progress) {
      struct pollfd pfd = { .fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT) };
      poll (&pfd, 1, 1);
    }
    if (g_get_monotonic_time () > deadline)
      g_error ("the control server did not close the connection within %d s",
          (int) (EXCHANGE_TIMEOUT_US / G_USEC_PER_SEC));
  }
  close (fd);
  /* Let the server drop its side before the next input. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  check_replies ((const gchar *) replies->data, replies->len);
  return 0;
}
