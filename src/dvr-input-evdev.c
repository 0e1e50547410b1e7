/* dvr-input-evdev: keys, switches and accelerometer axes of a Linux input
 * device (docs/inputs.md).
 *
 * The device is read as the stream of struct input_event records the
 * kernel gives: any file or FIFO giving the same records works (the tests
 * use a FIFO).  A read may end inside a record (a FIFO's writer may split
 * one), so the bytes of a partial record wait for the rest.
 *
 *   EV_KEY  1 pressed, 0 released, 2 autorepeat (no change)
 *   EV_SW   1 on, 0 off
 *   EV_ABS  ABS_X/Y/Z of an accelerometer, taken at each SYN_REPORT
 *   EV_SYN  SYN_DROPPED: the kernel's buffer overflowed; events up to the
 *           next SYN_REPORT are discarded and the levels read again
 *
 * On a real evdev node the levels at open come from EVIOCGKEY/EVIOCGSW and
 * the axes from EVIOCGABS; anything else (ENOTTY: a FIFO) starts off.
 *
 * Accelerometer: what crosses the threshold is the magnitude of the
 * deviation from the resting vector, sqrt(dx² + dy² + dz²) in g.  The
 * resting vector is the first reading after open, then follows the
 * readings slowly (time constant ACCEL_REST_TIME_CONSTANT_S) so that
 * gravity is removed whatever the mounting, the slope of the road or the
 * load, while a crash or hard braking (a change within a fraction of a
 * second) is seen whole.  Since the kernel only sends axes that change, a
 * reading stands until the next: the resting vector moves towards the
 * previous reading for the time it stood, and each new reading is measured
 * against that.
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
#include <linux/input.h>
#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define ACCEL_REST_TIME_CONSTANT_S 10.0
#define ACCEL_AXES 3
#define READ_RECORDS 64

/* Bit @bit of a kernel bitmask (EVIOCGKEY, EVIOCGBIT). */
#define BITMASK_TEST(mask, bit) (((mask)[(bit) / 8] >> ((bit) % 8)) & 1)

typedef struct {
  DvrFd fd;
  guint watch_id;
  guint8 partial[sizeof (struct input_event)];
  gsize partial_length;
  gboolean is_evdev;        /* a real evdev node, not a FIFO or file */
  gboolean dropping;        /* after SYN_DROPPED, until SYN_REPORT */
  /* Accelerometer axes (ABS_X, ABS_Y, ABS_Z), raw units. */
  gdouble axis[ACCEL_AXES];
  gdouble resolution[ACCEL_AXES];   /* units per g from EVIOCGABS, 0: unknown */
  gboolean axes_changed;
  gboolean has_rest;
  gdouble rest[ACCEL_AXES];
  gdouble previous[ACCEL_AXES];     /* the reading that stood since previous_ns */
  gint64 previous_ns;
} EvdevData;

static void
evdev_free_data (gpointer data)
{
  EvdevData *evdev = data;

  g_assert (evdev->watch_id == 0);
  dvr_fd_close (&evdev->fd);
  g_free (evdev);
}

static void
evdev_close (DvrInputDevice *device)
{
  EvdevData *evdev = device->data;

  if (evdev == NULL)
    return;
  g_clear_handle_id (&evdev->watch_id, g_source_remove);
  dvr_fd_close (&evdev->fd);
  evdev->partial_length = 0;
  evdev->dropping = FALSE;
  evdev->has_rest = FALSE;
  evdev->axes_changed = FALSE;
}

/* Units per g for @signal's axis @axis, or 0. */
static gdouble
accel_scale (const EvdevData *evdev, const DvrInputSignal *signal, guint axis)
{
  if (signal->config->units_per_g > 0)
    return signal->config->units_per_g;
  return evdev->resolution[axis];
}

/* A full reading of the axes (at SYN_REPORT). */
static void
evdev_accel_report (DvrInputDevice *device, gint64 now_ns)
{
  EvdevData *evdev = device->data;

  if (!evdev->has_rest) {
    memcpy (evdev->rest, evdev->axis, sizeof evdev->rest);
    evdev->has_rest = TRUE;
  } else {
    gdouble elapsed_s = (gdouble) (now_ns - evdev->previous_ns) / DVR_NSEC_PER_SEC;
    gdouble follow = 1.0 - exp (-MAX (elapsed_s, 0.0) / ACCEL_REST_TIME_CONSTANT_S);

    for (guint i = 0; i < ACCEL_AXES; i++)
      evdev->rest[i] += (evdev->previous[i] - evdev->rest[i]) * follow;
  }
  memcpy (evdev->previous, evdev->axis, sizeof evdev->previous);
  evdev->previous_ns = now_ns;

  for (guint i = 0; i < device->signals->len; i++) {
    DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
    gdouble sum = 0.0;

    if (signal->config->source != DVR_SIGNAL_SOURCE_ACCEL)
      continue;
    for (guint axis = 0; axis < ACCEL_AXES; axis++) {
      gdouble g = (evdev->axis[axis] - evdev->rest[axis]) / accel_scale (evdev, signal, axis);
      sum += g * g;
    }
    dvr_input_signal_set_magnitude (signal, sqrt (sum), now_ns);
  }
}

/* Reads the current key and switch levels of an evdev node into the
 * signals: at open (@initial) or after SYN_DROPPED. */
static void
evdev_read_levels (DvrInputDevice *device, gboolean initial, gint64 now_ns)
{
  EvdevData *evdev = device->data;
  guint8 keys[KEY_MAX / 8 + 1] = { 0 };
  guint8 switches[SW_MAX / 8 + 1] = { 0 };

  /* A device without switches (or keys) answers with all bits clear. */
  if (ioctl (evdev->fd, EVIOCGKEY (sizeof keys), keys) < 0 ||
      ioctl (evdev->fd, EVIOCGSW (sizeof switches), switches) < 0) {
    int saved_errno = errno;
    g_autofree gchar *described = dvr_input_device_describe (device);
    g_warning ("inputs: %s: cannot read the levels: %s", described, g_strerror (saved_errno));
    return;
  }
  for (guint i = 0; i < device->signals->len; i++) {
    DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
    const DvrSignalConfig *config = signal->config;
    gboolean raw;

    if (config->source != DVR_SIGNAL_SOURCE_EVDEV)
      continue;
    raw = config->code_type == EV_SW ? BITMASK_TEST (switches, config->code) :
                                       BITMASK_TEST (keys, config->code);
    if (initial)
      dvr_input_signal_set_initial (signal, raw, now_ns);
    else
      dvr_input_signal_set_raw (signal, raw, now_ns);
  }
}

/* On a real evdev node, warns about codes the device never sends (a wrong
 * code in dvr.conf would otherwise look like a button never pressed).
 * Fails when an accel signal has no scale (units-per-g or resolution). */
static gboolean
evdev_check_device (DvrInputDevice *device, gboolean is_evdev, GError **error)
{
  EvdevData *evdev = device->data;
  g_autofree gchar *described = NULL;

  for (guint i = 0; i < device->signals->len; i++) {
    const DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
    const DvrSignalConfig *config = signal->config;

    if (config->source == DVR_SIGNAL_SOURCE_EVDEV && is_evdev) {
      guint8 codes[KEY_MAX / 8 + 1] = { 0 };

      if (ioctl (evdev->fd, EVIOCGBIT (config->code_type, sizeof codes), codes) >= 0 &&
          !BITMASK_TEST (codes, config->code)) {
        if (described == NULL)
          described = dvr_input_device_describe (device);
        g_warning ("inputs: %s: the device does not report %s code %u of signal %s",
                   described, config->code_type == EV_SW ? "switch" : "key", config->code,
                   config->name);
      }
    }
    if (config->source == DVR_SIGNAL_SOURCE_ACCEL) {
      for (guint axis = 0; axis < ACCEL_AXES; axis++) {
        if (accel_scale (evdev, signal, axis) <= 0) {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "no axis resolution from the device for signal %s: set units-per-g "
                       "in dvr.conf", config->name);
          return FALSE;
        }
      }
    }
  }
  return TRUE;
}

static void
evdev_handle_event (DvrInputDevice *device, const struct input_event *event, gint64 now_ns)
{
  EvdevData *evdev = device->data;

  if (event->type == EV_SYN) {
    if (event->code == SYN_DROPPED) {
      evdev->dropping = TRUE;
    } else if (event->code == SYN_REPORT) {
      if (evdev->dropping) {
        evdev->dropping = FALSE;
        if (evdev->is_evdev)
          evdev_read_levels (device, FALSE, now_ns);
      }
      if (evdev->axes_changed) {
        evdev->axes_changed = FALSE;
        evdev_accel_report (device, now_ns);
      }
    }
    return;
  }
  if (evdev->dropping)
    return;

  if (event->type == EV_ABS) {
    if (event->code <= ABS_Z) {
      evdev->axis[event->code - ABS_X] = event->value;
      evdev->axes_changed = TRUE;
    }
    return;
  }
  if (event->type != EV_KEY && event->type != EV_SW)
    return;
  if (event->value < 0 || event->value > (event->type == EV_KEY ? 2 : 1)) {
    dvr_input_device_bad_input (device, now_ns, "%s code %u with value %d",
                                event->type == EV_KEY ? "key" : "switch", event->code,
                                event->value);
    return;
  }
  /* Autorepeat of a held key: no change. */
  if (event->value == 2)
    return;
  for (guint i = 0; i < device->signals->len; i++) {
    DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
    const DvrSignalConfig *config = signal->config;

    if (config->source == DVR_SIGNAL_SOURCE_EVDEV && config->code_type == event->type &&
        config->code == event->code)
      dvr_input_signal_set_raw (signal, event->value != 0, now_ns);
  }
}

static gboolean
evdev_readable_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  DvrInputDevice *device = user_data;
  EvdevData *evdev = device->data;
  g_autoptr(GError) error = NULL;

  for (;;) {
    guint8 buffer[READ_RECORDS * sizeof (struct input_event)];
    gsize length = evdev->partial_length;
    gsize offset = 0;
    gint64 now;
    gssize got;

    memcpy (buffer, evdev->partial, evdev->partial_length);
    got = read (fd, buffer + length, sizeof buffer - length);
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
                           "end of input (device gone or writer closed)");
      break;
    }
    length += (gsize) got;
    now = dvr_monotonic_now_ns ();
    for (; length - offset >= sizeof (struct input_event); offset += sizeof (struct input_event)) {
      struct input_event event;

      memcpy (&event, buffer + offset, sizeof event);
      evdev_handle_event (device, &event, now);
    }
    evdev->partial_length = length - offset;
    memcpy (evdev->partial, buffer + offset, evdev->partial_length);
  }

  /* The watch ends with this callback. */
  evdev->watch_id = 0;
  dvr_input_device_lost (device, error);
  return G_SOURCE_REMOVE;
}

static gboolean
evdev_open (DvrInputDevice *device, GError **error)
{
  EvdevData *evdev = device->data;
  gint64 now = dvr_monotonic_now_ns ();
  int version;
  int fd;

  if (evdev == NULL) {
    evdev = g_new0 (EvdevData, 1);
    evdev->fd = -1;
    device->data = evdev;
  }
  g_assert (evdev->fd < 0);

  fd = open (device->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int saved_errno = errno;
    gint code = g_io_error_from_errno (saved_errno);
    if (saved_errno == ENODEV || saved_errno == ENXIO)
      code = G_IO_ERROR_NOT_FOUND;
    g_set_error (error, G_IO_ERROR, code, "open: %s", g_strerror (saved_errno));
    return FALSE;
  }
  evdev->fd = fd;
  memset (evdev->axis, 0, sizeof evdev->axis);
  memset (evdev->resolution, 0, sizeof evdev->resolution);

  /* Axis values and resolutions, on a device that has them. */
  for (guint axis = 0; axis < ACCEL_AXES; axis++) {
    struct input_absinfo info;
    if (ioctl (fd, EVIOCGABS (ABS_X + axis), &info) == 0) {
      evdev->axis[axis] = info.value;
      evdev->resolution[axis] = info.resolution;
    }
  }
  evdev->is_evdev = ioctl (fd, EVIOCGVERSION, &version) == 0;
  if (!evdev_check_device (device, evdev->is_evdev, error)) {
    dvr_fd_close (&evdev->fd);
    return FALSE;
  }
  if (evdev->is_evdev) {
    evdev_read_levels (device, TRUE, now);
  } else {
    /* A FIFO or file: no levels to read, so every signal starts off. */
    for (guint i = 0; i < device->signals->len; i++) {
      DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
      if (signal->config->source == DVR_SIGNAL_SOURCE_EVDEV)
        dvr_input_signal_set_initial (signal, signal->config->active_low, now);
    }
  }
  evdev->watch_id = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, evdev_readable_cb, device);
  return TRUE;
}

const DvrInputBackend dvr_input_evdev_backend = {
  .name = "evdev",
  .open = evdev_open,
  .close = evdev_close,
  .free_data = evdev_free_data,
};
