/* dvr-input-gpio: a GPIO line as an input, through libgpiod 1.6 (its v1
 * API).
 *
 * The line is requested for both edges as consumer "dvrd" and its event
 * fd watched on the main loop; each edge is a raw level (rising = high).
 * Polarity and debounce are dvr-input-logic's, never the kernel's
 * (GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW, debounce-period): the same code
 * then serves every source, and is tested against a fake clock.
 *
 * One DvrInputDevice per line.  A chip that is missing or a line that is
 * busy is retried every second like any other device.
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
#include <gpiod.h>

#define GPIO_CONSUMER "dvrd"
#define READ_EVENTS 16

typedef struct {
  struct gpiod_chip *chip;
  struct gpiod_line *line;  /* owned by chip */
  guint watch_id;
} GpioData;

static void
gpio_close (DvrInputDevice *device)
{
  GpioData *gpio = device->data;

  if (gpio == NULL)
    return;
  g_clear_handle_id (&gpio->watch_id, g_source_remove);
  /* Closing the chip releases the line and closes its event fd. */
  g_clear_pointer (&gpio->chip, gpiod_chip_close);
  gpio->line = NULL;
}

static void
gpio_free_data (gpointer data)
{
  GpioData *gpio = data;

  g_assert (gpio->chip == NULL);
  g_free (gpio);
}

static gboolean
gpio_readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  DvrInputDevice *device = user_data;
  GpioData *gpio = device->data;
  DvrInputSignal *signal = g_ptr_array_index (device->signals, 0);
  g_autoptr(GError) error = NULL;

  for (;;) {
    struct gpiod_line_event events[READ_EVENTS];
    int count = gpiod_line_event_read_fd_multiple (fd, events, READ_EVENTS);
    gint64 now;

    if (count < 0) {
      DvrInputReadError result = dvr_input_read_error (errno, "read events", &error);
      if (result == DVR_INPUT_READ_AGAIN)
        continue;
      if (result == DVR_INPUT_READ_WAIT)
        return G_SOURCE_CONTINUE;
      break;
    }
    if (count == 0)
      return G_SOURCE_CONTINUE;
    now = dvr_monotonic_now_ns ();
    for (int i = 0; i < count; i++) {
      if (events[i].event_type != GPIOD_LINE_EVENT_RISING_EDGE &&
          events[i].event_type != GPIOD_LINE_EVENT_FALLING_EDGE) {
        dvr_input_device_bad_input (device, now, "event type %d", events[i].event_type);
        continue;
      }
      dvr_input_signal_set_raw (signal, events[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE,
                                now);
    }
  }

  gpio->watch_id = 0;
  dvr_input_device_lost (device, error);
  return G_SOURCE_REMOVE;
}

static gboolean
gpio_fail (GpioData *gpio, GError **error, const gchar *what, gint code_if_absent)
{
  int saved_errno = errno;
  gint code = g_io_error_from_errno (saved_errno);

  if (saved_errno == ENOENT || saved_errno == ENODEV)
    code = code_if_absent;
  g_set_error (error, G_IO_ERROR, code, "%s: %s", what, g_strerror (saved_errno));
  g_clear_pointer (&gpio->chip, gpiod_chip_close);
  gpio->line = NULL;
  return FALSE;
}

static gboolean
gpio_open (DvrInputDevice *device, GError **error)
{
  GpioData *gpio = device->data;
  DvrInputSignal *signal = g_ptr_array_index (device->signals, 0);
  const DvrSignalConfig *config = signal->config;
  g_autofree gchar *what = NULL;
  int value;
  int fd;

  if (gpio == NULL) {
    gpio = g_new0 (GpioData, 1);
    device->data = gpio;
  }
  g_assert (gpio->chip == NULL);

  errno = 0;
  gpio->chip = gpiod_chip_open_lookup (config->chip);
  if (gpio->chip == NULL) {
    /* libgpiod leaves errno 0 when it looked everywhere and found nothing. */
    if (errno == 0)
      errno = ENOENT;
    what = g_strdup_printf ("open GPIO chip %s", config->chip);
    return gpio_fail (gpio, error, what, G_IO_ERROR_NOT_FOUND);
  }
  gpio->line = gpiod_chip_get_line (gpio->chip, config->line);
  if (gpio->line == NULL) {
    what = g_strdup_printf ("line %u", config->line);
    return gpio_fail (gpio, error, what, G_IO_ERROR_FAILED);
  }
  if (gpiod_line_request_both_edges_events (gpio->line, GPIO_CONSUMER) < 0) {
    what = g_strdup_printf ("request line %u", config->line);
    return gpio_fail (gpio, error, what, G_IO_ERROR_FAILED);
  }
  value = gpiod_line_get_value (gpio->line);
  if (value < 0) {
    what = g_strdup_printf ("read line %u", config->line);
    return gpio_fail (gpio, error, what, G_IO_ERROR_FAILED);
  }
  fd = gpiod_line_event_get_fd (gpio->line);
  /* Read until EAGAIN without ever blocking the main loop. */
  if (fd < 0 || fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK) < 0) {
    what = g_strdup_printf ("line %u event fd", config->line);
    return gpio_fail (gpio, error, what, G_IO_ERROR_FAILED);
  }
  gpio->watch_id = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, gpio_readable_cb, device);
  dvr_input_signal_set_initial (signal, value == 1, dvr_monotonic_now_ns ());
  return TRUE;
}

const DvrInputBackend dvr_input_gpio_backend = {
  .name = "gpio",
  .open = gpio_open,
  .close = gpio_close,
  .free_data = gpio_free_data,
};
