/* dvr-control: the local control socket (JSON lines over a Unix socket).
 *
 * One request per line, one reply per line, in order.  The protocol is in
 * docs/control-protocol.md.  The server runs on the main loop with
 * asynchronous I/O only: a slow, silent or hostile client never stalls
 * dvrd, and a malformed request gets an error reply.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define DVR_CONTROL_ERROR (dvr_control_error_quark ())
GQuark dvr_control_error_quark (void);

typedef enum {
  DVR_CONTROL_ERROR_MALFORMED,     /* not JSON, not an object, line too long */
  DVR_CONTROL_ERROR_UNKNOWN_COMMAND,
  DVR_CONTROL_ERROR_INVALID_ARGUMENT,
  DVR_CONTROL_ERROR_FAILED,
} DvrControlError;

/* Longest request line accepted, bytes; longer ones are answered with an
 * error and the connection is closed. */
#define DVR_CONTROL_MAX_LINE 65536

/* Called on the main loop for every well-formed request.  @command is the
 * request's "cmd" member, @request the whole object (borrowed).  Returns a
 * new JsonNode holding the reply's payload object (merged into the reply
 * with "ok": true), or NULL with @error set (the reply carries "ok": false
 * and "error"). */
typedef JsonNode *(*DvrControlHandler) (const gchar *command,
                                        JsonObject *request,
                                        gpointer user_data,
                                        GError **error);

typedef struct _DvrControl DvrControl;

/* Binds @socket_path (a stale socket from a previous run is replaced, any
 * other existing file is an error), sets its mode to @mode, and serves on
 * the thread-default main context. */
DvrControl *dvr_control_new (const gchar *socket_path,
                             guint mode,
                             DvrControlHandler handler,
                             gpointer user_data,
                             GError **error);
/* Stops serving, closes every connection and unlinks the socket. */
void dvr_control_free (DvrControl *control);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrControl, dvr_control_free)

/* Client side (dvrctl, tests): connects to @socket_path, sends @request as
 * one line and returns the parsed reply object.  Blocking; @timeout_ms
 * bounds the whole exchange. */
JsonObject *dvr_control_call (const gchar *socket_path,
                              JsonObject *request,
                              guint timeout_ms,
                              GError **error);

G_END_DECLS
