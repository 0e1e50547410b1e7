/* dvr-input-serial: the inputs of an I/O module on a serial port, in the
 * text protocol of docs/inputs.md.
 *
 * Module -> dvrd, ASCII lines ending in \n (a \r before it is ignored), of
 * at most SERIAL_LINE_MAX bytes without the line end:
 *   IN <input> <0|1>   an input's level; sent on change and repeated
 *   HELLO <text>       the module's identification, logged once
 *   # ...              a comment; blank lines are ignored too
 * Anything else (unknown verb, bad level, unknown input name, over-long
 * line, bytes that are not printable ASCII) is counted as bad input and
 * never stops the reader.  dvrd never writes to the port.
 *
 * One reader per port serves every signal on it (DvrInputDevice).  A tty
 * is set raw (cfmakeraw) at the configured speed, CLOCAL, no flow
 * control; anything else that opens (a FIFO) is read as it is.
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-inputs-private.h"
#include "dvr-utils.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SERIAL_LINE_MAX 256
/* How much of a bad line a warning quotes. */
#define QUOTE_MAX_BYTES 64

typedef struct {
  DvrFd fd;
  guint watch_id;
  gchar line[SERIAL_LINE_MAX + 2];  /* the line, its \r, and a NUL */
  gsize length;
  gboolean overflow;        /* the line is too long: skipped up to its \n */
  gchar *hello;             /* the last HELLO text logged */
  GHashTable *by_input;     /* input name -> DvrInputSignal (borrowed) */
} SerialData;

static void
serial_free_data (gpointer data)
{
  SerialData *serial = data;

  g_assert (serial->watch_id == 0);
  dvr_fd_close (&serial->fd);
  g_free (serial->hello);
  g_hash_table_unref (serial->by_input);
  g_free (serial);
}

static void
serial_close (DvrInputDevice *device)
{
  SerialData *serial = device->data;

  if (serial == NULL)
    return;
  g_clear_handle_id (&serial->watch_id, g_source_remove);
  dvr_fd_close (&serial->fd);
  serial->length = 0;
  serial->overflow = FALSE;
}

/* The start of a bad line, printable. */
static gchar *
quote_line (const gchar *line, gsize length)
{
  GString *quoted = g_string_new ("\"");

  for (gsize i = 0; i < length && i < QUOTE_MAX_BYTES; i++) {
    guchar c = (guchar) line[i];
    if (c == '"' || c == '\\')
      g_string_append_printf (quoted, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      g_string_append_c (quoted, (gchar) c);
    else
      g_string_append_printf (quoted, "\\x%02x", c);
  }
  g_string_append_c (quoted, '"');
  if (length > QUOTE_MAX_BYTES)
    g_string_append (quoted, "...");
  return g_string_free (quoted, FALSE);
}

static void
serial_handle_line (DvrInputDevice *device, gchar *line, gsize length, gint64 now_ns)
{
  SerialData *serial = device->data;
  g_autofree gchar *quoted = NULL;
  g_auto(GStrv) words = NULL;
  guint count;

  if (length > 0 && line[length - 1] == '\r')
    length--;
  if (length > SERIAL_LINE_MAX) {
    dvr_input_device_bad_input (device, now_ns, "line longer than %u bytes", SERIAL_LINE_MAX);
    return;
  }
  for (gsize i = 0; i < length; i++) {
    guchar c = (guchar) line[i];
    if ((c < 0x20 && c != '\t') || c >= 0x7f) {
      quoted = quote_line (line, length);
      dvr_input_device_bad_input (device, now_ns, "not printable ASCII: %s", quoted);
      return;
    }
  }
  line[length] = '\0';

  line = g_strstrip (line);
  if (*line == '\0' || *line == '#')
    return;
  words = g_strsplit_set (line, " \t", -1);
  /* Runs of blanks give empty words: squeeze them out. */
  count = 0;
  for (guint i = 0; words[i] != NULL; i++) {
    if (*words[i] != '\0')
      words[count++] = words[i];
    else
      g_free (words[i]);
  }
  words[count] = NULL;

  if (g_str_equal (words[0], "IN")) {
    DvrInputSignal *signal;

    if (count != 3 || (!g_str_equal (words[2], "0") && !g_str_equal (words[2], "1"))) {
      quoted = quote_line (line, strlen (line));
      dvr_input_device_bad_input (device, now_ns, "expected IN <input> <0|1>, got %s", quoted);
      return;
    }
    signal = g_hash_table_lookup (serial->by_input, words[1]);
    if (signal == NULL) {
      quoted = quote_line (words[1], strlen (words[1]));
      dvr_input_device_bad_input (device, now_ns, "unknown input %s", quoted);
      return;
    }
    dvr_input_signal_set_raw (signal, words[2][0] == '1', now_ns);
  } else if (g_str_equal (words[0], "HELLO")) {
    const gchar *text = g_strstrip (line + strlen ("HELLO"));

    if (g_strcmp0 (serial->hello, text) != 0) {
      g_autofree gchar *described = dvr_input_device_describe (device);
      g_message ("inputs: %s: module: %s", described, text);
      g_free (serial->hello);
      serial->hello = g_strdup (text);
    }
  } else {
    quoted = quote_line (line, strlen (line));
    dvr_input_device_bad_input (device, now_ns, "unknown line %s", quoted);
  }
}

static gboolean
serial_readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  DvrInputDevice *device = user_data;
  SerialData *serial = device->data;
  g_autoptr(GError) error = NULL;

  for (;;) {
    gchar buffer[1024];
    gssize got = read (fd, buffer, sizeof buffer);
    gint64 now;

    if (got < 0) {
      DvrInputReadError result = dvr_input_read_error (errno, "read", &error);
      if (result == DVR_INPUT_READ_AGAIN)
        continue;
      if (result == DVR_INPUT_READ_WAIT)
        return G_SOURCE_CONTINUE;
      break;
    }
    if (got == 0) {
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "end of input (port gone or writer closed)");
      break;
    }
    now = dvr_monotonic_now_ns ();
    for (gssize i = 0; i < got; i++) {
      gchar c = buffer[i];

      if (c == '\n') {
        if (serial->overflow)
          dvr_input_device_bad_input (device, now, "line longer than %u bytes",
                                      SERIAL_LINE_MAX);
        else
          serial_handle_line (device, serial->line, serial->length, now);
        serial->length = 0;
        serial->overflow = FALSE;
      } else if (!serial->overflow) {
        if (serial->length == SERIAL_LINE_MAX + 1)
          serial->overflow = TRUE;
        else
          serial->line[serial->length++] = c;
      }
    }
  }

  serial->watch_id = 0;
  dvr_input_device_lost (device, error);
  return G_SOURCE_REMOVE;
}

static speed_t
serial_speed (guint baud)
{
  switch (baud) {
  case 1200:
    return B1200;
  case 2400:
    return B2400;
  case 4800:
    return B4800;
  case 19200:
    return B19200;
  case 38400:
    return B38400;
  case 57600:
    return B57600;
  case 115200:
    return B115200;
  case 9600:
  default:
    return B9600;
  }
}

static gboolean
serial_set_raw (int fd, guint baud, GError **error)
{
  struct termios termios;

  if (tcgetattr (fd, &termios) != 0) {
    int saved_errno = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "tcgetattr: %s",
                 g_strerror (saved_errno));
    return FALSE;
  }
  cfmakeraw (&termios);
  cfsetispeed (&termios, serial_speed (baud));
  cfsetospeed (&termios, serial_speed (baud));
  /* No modem lines, no flow control: a module has three wires. */
  termios.c_cflag |= CLOCAL | CREAD;
  termios.c_cflag &= ~CRTSCTS;
  termios.c_iflag &= ~(IXON | IXOFF | IXANY);
  termios.c_cc[VMIN] = 1;
  termios.c_cc[VTIME] = 0;
  if (tcsetattr (fd, TCSANOW, &termios) != 0) {
    int saved_errno = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "tcsetattr: %s",
                 g_strerror (saved_errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
serial_open (DvrInputDevice *device, GError **error)
{
  SerialData *serial = device->data;
  const DvrInputSignal *first = g_ptr_array_index (device->signals, 0);
  dvr_autofd fd = -1;

  if (serial == NULL) {
    serial = g_new0 (SerialData, 1);
    serial->fd = -1;
    serial->by_input = g_hash_table_new (g_str_hash, g_str_equal);
    for (guint i = 0; i < device->signals->len; i++) {
      DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
      g_hash_table_insert (serial->by_input, signal->config->input, signal);
    }
    device->data = serial;
  }
  g_assert (serial->fd < 0);

  fd = open (device->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int saved_errno = errno;
    gint code = g_io_error_from_errno (saved_errno);
    if (saved_errno == ENODEV || saved_errno == ENXIO || saved_errno == EIO)
      code = G_IO_ERROR_NOT_FOUND;
    g_set_error (error, G_IO_ERROR, code, "open: %s", g_strerror (saved_errno));
    return FALSE;
  }
  /* The configuration gives every signal on a port the same speed. */
  if (isatty (fd) && !serial_set_raw (fd, first->config->baud, error))
    return FALSE;
  serial->fd = g_steal_fd (&fd);
  serial->watch_id = g_unix_fd_add (serial->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                    serial_readable_cb, device);
  return TRUE;
}

const DvrInputBackend dvr_input_serial_backend = {
  .name = "serial",
  .open = serial_open,
  .close = serial_close,
  .free_data = serial_free_data,
};
