/* dvr-indicator: the officer's indicator lights.
 *
 * Each indicator remembers the light it last wrote and writes only when
 * that changes, so a caller may call dvr_indicators_set() as often as it
 * likes (every status tick) without touching the devices.  Devices are
 * opened at their first write, not in _new(): a GPIO chip or LED device
 * that appears late (USB enumeration, udev) is picked up then.
 *
 * A write that fails closes the device, marks the indicator "error" and is
 * logged once (g_warning); the indicator is retried at the next change of
 * the states or of covert mode asked for, and its recovery is logged
 * (g_message).  Retrying only at changes keeps a dead device from being
 * reopened on every tick while still converging: the light wanted is
 * always the one written next.
 *
 * At dvr_indicators_free() every indicator that is lit is turned off, so
 * a light never says "recording" for a dvrd that is gone.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-indicator.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gpiod.h>
#include <linux/input.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "dvr-utils.h"

/* GPIO lines are requested under this name (gpioinfo shows it). */
#define DVR_INDICATOR_CONSUMER "dvrd"

typedef struct {
  const DvrIndicatorConfig *config;   /* borrowed from the DvrConfig */
  gboolean written;   /* lit has been written to the device */
  gboolean lit;       /* the light last written (or being asked for) */
  gchar *error;       /* why the last write failed; NULL when it did not */
  /* gpio */
  struct gpiod_chip *chip;
  struct gpiod_line *line;
  /* evdev */
  DvrFd fd;
} DvrIndicator;

struct _DvrIndicators {
  GPtrArray *indicators;    /* element-type DvrIndicator */
  gboolean have_request;    /* states/covert below hold the last request */
  guint states;
  gboolean covert;
};

gboolean
dvr_indicator_is_lit (guint shows, guint states, gboolean covert)
{
  if (covert)
    return FALSE;
  return (shows & states) != 0;
}

static const gchar *
output_to_string (DvrIndicatorOutput output)
{
  switch (output) {
  case DVR_INDICATOR_OUTPUT_GPIO:
    return "gpio";
  case DVR_INDICATOR_OUTPUT_EVDEV:
    return "evdev";
  }
  return "unknown";
}

static void
indicator_close (DvrIndicator *indicator)
{
  if (indicator->line != NULL) {
    gpiod_line_release (indicator->line);
    indicator->line = NULL;
  }
  g_clear_pointer (&indicator->chip, gpiod_chip_close);
  dvr_fd_close (&indicator->fd);
  indicator->written = FALSE;
}

static void
indicator_free (DvrIndicator *indicator)
{
  indicator_close (indicator);
  g_free (indicator->error);
  g_free (indicator);
}

/* The line's raw level for @lit: active-low lines light at 0. */
static int
gpio_raw_value (const DvrIndicatorConfig *config, gboolean lit)
{
  return (lit ? 1 : 0) ^ (config->active_low ? 1 : 0);
}

static gboolean
gpio_write (DvrIndicator *indicator, gboolean lit, GError **error)
{
  const DvrIndicatorConfig *config = indicator->config;
  int value = gpio_raw_value (config, lit);

  if (indicator->line == NULL) {
    struct gpiod_chip *chip;
    struct gpiod_line *line;
    int e;

    /* open_lookup takes what dvr.conf may say: a path, a name such as
     * gpiochip0, a number or the chip's label. */
    chip = gpiod_chip_open_lookup (config->chip);
    if (chip == NULL) {
      e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "GPIO chip %s: %s", config->chip, g_strerror (e));
      return FALSE;
    }
    line = gpiod_chip_get_line (chip, config->line);
    if (line == NULL) {
      e = errno;
      gpiod_chip_close (chip);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "GPIO chip %s line %u: %s", config->chip, config->line, g_strerror (e));
      return FALSE;
    }
    /* The request sets the level: the line never shows the other one. */
    if (gpiod_line_request_output (line, DVR_INDICATOR_CONSUMER, value) < 0) {
      e = errno;
      gpiod_chip_close (chip);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "GPIO chip %s line %u: request as output: %s", config->chip, config->line,
          g_strerror (e));
      return FALSE;
    }
    indicator->chip = chip;
    indicator->line = line;
    return TRUE;
  }

  if (gpiod_line_set_value (indicator->line, value) < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
        "GPIO chip %s line %u: set value: %s", config->chip, config->line, g_strerror (e));
    return FALSE;
  }
  return TRUE;
}

/* An evdev node never raises SIGPIPE, but a FIFO standing in for one
 * (tests, a bench) whose reader left would, and its default action ends
 * dvrd.  So SIGPIPE is blocked around the write, the one it raised
 * (thread-directed, so ours) is taken off before the old mask comes back,
 * and the write fails with EPIPE instead (as in dvr-gps.c). */
static ssize_t
write_without_sigpipe (int fd, const void *data, gsize size)
{
  sigset_t pipe_set, old_set, pending;
  gboolean was_pending;
  ssize_t n;
  int saved_errno;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_set);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE);
  do
    n = write (fd, data, size);
  while (n < 0 && errno == EINTR);
  saved_errno = errno;
  if (n < 0 && saved_errno == EPIPE && !was_pending) {
    const struct timespec no_wait = { 0, 0 };
    while (sigtimedwait (&pipe_set, NULL, &no_wait) < 0 && errno == EINTR)
      ;
  }
  pthread_sigmask (SIG_SETMASK, &old_set, NULL);
  errno = saved_errno;
  return n;
}

static gboolean
evdev_write (DvrIndicator *indicator, gboolean lit, GError **error)
{
  const DvrIndicatorConfig *config = indicator->config;
  struct input_event events[2];
  ssize_t n;
  int e;

  if (indicator->fd < 0) {
    /* Non-blocking: an LED write never waits (and a FIFO without a reader
     * fails at once with ENXIO instead of hanging the main loop). */
    indicator->fd = open (config->device, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (indicator->fd < 0) {
      e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
          "open %s: %s", config->device, g_strerror (e));
      return FALSE;
    }
  }

  /* The kernel ignores the time of events written to it. */
  memset (events, 0, sizeof events);
  events[0].type = EV_LED;
  events[0].code = config->led;
  events[0].value = lit ? 1 : 0;
  events[1].type = EV_SYN;
  events[1].code = SYN_REPORT;
  events[1].value = 0;

  /* One write: evdev takes whole events, and a pipe keeps a write this
   * small (under PIPE_BUF) in one piece. */
  n = write_without_sigpipe (indicator->fd, events, sizeof events);
  if (n < 0) {
    e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
        "write %s: %s", config->device, g_strerror (e));
    return FALSE;
  }
  if ((gsize) n != sizeof events) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "write %s: %zd of %zu bytes written", config->device, n, sizeof events);
    return FALSE;
  }
  return TRUE;
}

/* Writes @lit to @indicator; logs the first failure and the recovery. */
static void
indicator_write (DvrIndicator *indicator, gboolean lit)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = FALSE;

  switch (indicator->config->output) {
  case DVR_INDICATOR_OUTPUT_GPIO:
    ok = gpio_write (indicator, lit, &error);
    break;
  case DVR_INDICATOR_OUTPUT_EVDEV:
    ok = evdev_write (indicator, lit, &error);
    break;
  }
  indicator->lit = lit;

  if (ok) {
    if (indicator->error != NULL)
      g_message ("indicator %s: working again", indicator->config->name);
    g_clear_pointer (&indicator->error, g_free);
    indicator->written = TRUE;
    return;
  }

  if (error == NULL)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "unknown output %d",
        (int) indicator->config->output);
  if (indicator->error == NULL)
    g_warning ("indicator %s: %s (retried at the next change)", indicator->config->name,
        error->message);
  g_free (indicator->error);
  indicator->error = g_strdup (error->message);
  /* Reopened from scratch at the retry: the device may have been replaced. */
  indicator_close (indicator);
}

DvrIndicators *
dvr_indicators_new (const DvrConfig *config)
{
  DvrIndicators *indicators = g_new0 (DvrIndicators, 1);

  indicators->indicators = g_ptr_array_new_with_free_func ((GDestroyNotify) indicator_free);
  for (guint i = 0; config->indicators != NULL && i < config->indicators->len; i++) {
    DvrIndicator *indicator = g_new0 (DvrIndicator, 1);
    indicator->config = g_ptr_array_index (config->indicators, i);
    indicator->fd = -1;
    g_ptr_array_add (indicators->indicators, indicator);
  }
  return indicators;
}

void
dvr_indicators_free (DvrIndicators *indicators)
{
  if (indicators == NULL)
    return;
  for (guint i = 0; i < indicators->indicators->len; i++) {
    DvrIndicator *indicator = g_ptr_array_index (indicators->indicators, i);
    if (indicator->written && indicator->lit)
      indicator_write (indicator, FALSE);
  }
  g_ptr_array_unref (indicators->indicators);
  g_free (indicators);
}

void
dvr_indicators_set (DvrIndicators *indicators, guint states, gboolean covert)
{
  gboolean changed;

  g_return_if_fail (indicators != NULL);

  covert = covert != FALSE;
  changed = !indicators->have_request || indicators->states != states ||
      indicators->covert != covert;
  indicators->have_request = TRUE;
  indicators->states = states;
  indicators->covert = covert;

  for (guint i = 0; i < indicators->indicators->len; i++) {
    DvrIndicator *indicator = g_ptr_array_index (indicators->indicators, i);
    gboolean lit = dvr_indicator_is_lit (indicator->config->shows, states, covert);

    if (indicator->written && indicator->lit == lit)
      continue;
    /* A failed indicator waits for the next change of request. */
    if (indicator->error != NULL && !changed)
      continue;
    indicator_write (indicator, lit);
  }
}

void
dvr_indicators_build_status (DvrIndicators *indicators, JsonBuilder *builder)
{
  json_builder_set_member_name (builder, "indicators");
  json_builder_begin_array (builder);
  for (guint i = 0; indicators != NULL && i < indicators->indicators->len; i++) {
    DvrIndicator *indicator = g_ptr_array_index (indicators->indicators, i);

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "name");
    json_builder_add_string_value (builder, indicator->config->name);
    json_builder_set_member_name (builder, "output");
    json_builder_add_string_value (builder, output_to_string (indicator->config->output));
    /* What the light shows now: what was last written, dark if nothing
     * was (or the device failed). */
    json_builder_set_member_name (builder, "lit");
    json_builder_add_boolean_value (builder, indicator->written && indicator->lit);
    json_builder_set_member_name (builder, "state");
    if (indicator->error != NULL) {
      json_builder_add_string_value (builder, "error");
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, indicator->error);
    } else {
      /* "closed": not written yet (dvr_indicators_set() not called). */
      json_builder_add_string_value (builder, indicator->written ? "open" : "closed");
    }
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
}
