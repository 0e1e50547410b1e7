/* dvr-inputs: the vehicle's physical inputs, turned into signal changes.
 *
 * Every signal whose source is not the control socket gets a
 * DvrInputSignal; signals that read the same thing share a DvrInputDevice
 * (one reader per input device node and per serial port, one per GPIO
 * line).  The backends turn what they read into raw levels and
 * magnitudes; here the logic turns those into values:
 *
 *   evdev, gpio, serial  DvrDebounce (polarity and debounce), then for a
 *                        button DvrPressDetector (short and long presses)
 *   speed                DvrHysteresis on the GPS speed, in m/s
 *   accel                DvrPeak on the magnitude in g
 *
 * Times are CLOCK_MONOTONIC at the moment of reading (not the kernel's
 * event stamps, which a FIFO does not have): debounce needs only the order
 * and spacing of levels, and both are kept.  One GSource, ready at the
 * nearest deadline of any logic (end of a debounce, long press, end of a
 * peak's hold), ticks them all; one 1 s timer, running while any device is
 * not open, retries them.
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-inputs-private.h"

#include "dvr-utils.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>

#define RETRY_INTERVAL_MS 1000
/* Bad input is logged at most this often per device. */
#define BAD_INPUT_LOG_INTERVAL_NS (10 * DVR_NSEC_PER_SEC)

struct _DvrInputs {
  const DvrConfig *config;
  DvrInputsChangedFunc changed;
  DvrInputsPressFunc pressed;
  gpointer user_data;
  GPtrArray *signals;       /* DvrInputSignal, owned, file order */
  GPtrArray *devices;       /* DvrInputDevice, owned */
  GSource *deadline;        /* ready at the nearest logic deadline, or never */
  guint retry_id;           /* while a device is not open */
  gboolean started;
};

/* Indexed by DvrSignalSource: the names callbacks and status use. */
static const gchar *const source_names[] = {
  "control", "evdev", "gpio", "serial", "speed", "accel"
};

static const gchar *
source_name (DvrSignalSource source)
{
  if ((guint) source < G_N_ELEMENTS (source_names))
    return source_names[source];
  return "unknown";
}

static const gchar *
device_state_name (DvrInputDeviceState state)
{
  switch (state) {
  case DVR_INPUT_DEVICE_CLOSED:
    return "closed";
  case DVR_INPUT_DEVICE_OPEN:
    return "open";
  case DVR_INPUT_DEVICE_MISSING:
    return "missing";
  case DVR_INPUT_DEVICE_ERROR:
  default:
    return "error";
  }
}

static gboolean
is_physical (const DvrInputSignal *signal)
{
  switch (signal->config->source) {
  case DVR_SIGNAL_SOURCE_EVDEV:
  case DVR_SIGNAL_SOURCE_GPIO:
  case DVR_SIGNAL_SOURCE_SERIAL:
    return TRUE;
  default:
    return FALSE;
  }
}

/* Deadlines. */

static gint64
earlier_deadline (gint64 a, gint64 b)
{
  if (a < 0)
    return b;
  if (b < 0)
    return a;
  return MIN (a, b);
}

static void
inputs_schedule (DvrInputs *inputs)
{
  gint64 deadline = -1;

  if (inputs->deadline == NULL)
    return;
  for (guint i = 0; i < inputs->signals->len; i++) {
    const DvrInputSignal *signal = g_ptr_array_index (inputs->signals, i);

    if (is_physical (signal) && signal->known)
      deadline = earlier_deadline (deadline, dvr_debounce_get_next_deadline (&signal->debounce));
    if (signal->presses)
      deadline = earlier_deadline (deadline, dvr_press_get_next_deadline (&signal->press));
    if (signal->config->source == DVR_SIGNAL_SOURCE_ACCEL)
      deadline = earlier_deadline (deadline, dvr_peak_get_next_deadline (&signal->peak));
  }
  /* The source's clock is g_get_monotonic_time(), CLOCK_MONOTONIC in µs:
   * rounded up, so that the tick never comes before the deadline. */
  g_source_set_ready_time (inputs->deadline,
                           deadline < 0 ? -1 : (deadline + 999) / 1000);
}

/* Reporting. */

static void
signal_report_press (DvrInputSignal *signal, DvrPress press, gint64 now_ns)
{
  if (press == DVR_PRESS_NONE)
    return;
  g_debug ("inputs: %s: %s press", signal->config->name,
           press == DVR_PRESS_LONG ? "long" : "short");
  if (signal->inputs->pressed != NULL)
    signal->inputs->pressed (signal->config->name, press, now_ns, signal->inputs->user_data);
}

/* Reports @value if it is not the value last reported. */
static void
signal_report (DvrInputSignal *signal, gboolean value, gint64 now_ns)
{
  DvrInputs *inputs = signal->inputs;

  if (value == signal->value)
    return;
  signal->value = value;
  signal->events++;
  g_debug ("inputs: %s: %s", signal->config->name, value ? "on" : "off");
  if (inputs->changed != NULL)
    inputs->changed (signal->config->name, value, now_ns, source_name (signal->config->source),
                     inputs->user_data);
  if (signal->presses)
    signal_report_press (signal, dvr_press_update (&signal->press, value, now_ns), now_ns);
}

/* Deadlines take effect only when ticked (dvr-input-logic.h): a level
 * that comes in the same main loop iteration as a deadline must find the
 * state past it. */
static void
signal_tick (DvrInputSignal *signal, gint64 now_ns)
{
  gboolean value;

  if (is_physical (signal) && signal->known &&
      dvr_debounce_tick (&signal->debounce, now_ns, &value))
    signal_report (signal, value, now_ns);
  if (signal->presses)
    signal_report_press (signal, dvr_press_tick (&signal->press, now_ns), now_ns);
  if (signal->config->source == DVR_SIGNAL_SOURCE_ACCEL &&
      dvr_peak_tick (&signal->peak, now_ns, &value))
    signal_report (signal, value, now_ns);
}

void
dvr_input_signal_set_initial (DvrInputSignal *signal, gboolean raw, gint64 now_ns)
{
  signal_tick (signal, now_ns);
  dvr_debounce_init (&signal->debounce, signal->config->debounce_ns, signal->config->active_low,
                     raw, now_ns);
  signal->known = TRUE;
  signal_report (signal, signal->debounce.value, now_ns);
  inputs_schedule (signal->inputs);
}

void
dvr_input_signal_set_raw (DvrInputSignal *signal, gboolean raw, gint64 now_ns)
{
  gboolean value;

  /* A serial module's first report is its level at open. */
  if (!signal->known) {
    dvr_input_signal_set_initial (signal, raw, now_ns);
    return;
  }
  signal_tick (signal, now_ns);
  if (dvr_debounce_update (&signal->debounce, raw, now_ns, &value))
    signal_report (signal, value, now_ns);
  inputs_schedule (signal->inputs);
}

void
dvr_input_signal_set_magnitude (DvrInputSignal *signal, gdouble g, gint64 now_ns)
{
  gboolean value;

  signal->known = TRUE;
  signal_tick (signal, now_ns);
  if (dvr_peak_update (&signal->peak, g, now_ns, &value))
    signal_report (signal, value, now_ns);
  inputs_schedule (signal->inputs);
}

static gboolean
deadline_cb (gpointer user_data)
{
  DvrInputs *inputs = user_data;
  gint64 now = dvr_monotonic_now_ns ();

  for (guint i = 0; i < inputs->signals->len; i++)
    signal_tick (g_ptr_array_index (inputs->signals, i), now);
  inputs_schedule (inputs);
  return G_SOURCE_CONTINUE;
}

/* A GSource that is only ever ready at its ready time. */
static gboolean
deadline_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs deadline_funcs = {
  .dispatch = deadline_dispatch,
};

/* Devices. */

gchar *
dvr_input_device_describe (const DvrInputDevice *device)
{
  GString *text = g_string_new (NULL);

  g_string_printf (text, "%s %s (", device->backend->name, device->path);
  for (guint i = 0; i < device->signals->len; i++) {
    const DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
    g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", signal->config->name);
  }
  g_string_append_c (text, ')');
  return g_string_free (text, FALSE);
}

void
dvr_input_device_bad_input (DvrInputDevice *device, gint64 now_ns, const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  g_autofree gchar *described = NULL;
  va_list args;

  device->bad_input++;
  device->bad_unlogged++;
  if (device->bad_logged_ns != 0 && now_ns - device->bad_logged_ns < BAD_INPUT_LOG_INTERVAL_NS)
    return;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  described = dvr_input_device_describe (device);
  if (device->bad_unlogged > 1)
    g_warning ("inputs: %s: bad input: %s (%" G_GUINT64_FORMAT " bad since the last warning, %"
               G_GUINT64_FORMAT " in all)", described, what, device->bad_unlogged,
               device->bad_input);
  else
    g_warning ("inputs: %s: bad input: %s (%" G_GUINT64_FORMAT " in all)", described, what,
               device->bad_input);
  device->bad_unlogged = 0;
  device->bad_logged_ns = MAX (now_ns, 1);
}

static void inputs_retry_start (DvrInputs *inputs);

/* Logs a failure to open only when it differs from the last one, so that
 * a device missing at start is logged once, not every second. */
static void
device_set_failed (DvrInputDevice *device, const GError *error, const gchar *when)
{
  DvrInputDeviceState state = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ?
                              DVR_INPUT_DEVICE_MISSING : DVR_INPUT_DEVICE_ERROR;

  if (g_strcmp0 (device->error, error->message) != 0 || device->state == DVR_INPUT_DEVICE_OPEN) {
    g_autofree gchar *described = dvr_input_device_describe (device);
    g_warning ("inputs: %s: %s%s; retrying every second", described, when, error->message);
  }
  device->state = state;
  g_free (device->error);
  device->error = g_strdup (error->message);
  /* The last value reported stands until the device is back; a press in
   * progress is forgotten: its release may never be seen. */
  for (guint i = 0; i < device->signals->len; i++) {
    DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
    signal->known = FALSE;
    if (signal->presses)
      dvr_press_init (&signal->press, signal->config->long_press_ns);
  }
  inputs_retry_start (device->inputs);
}

static gboolean
device_open (DvrInputDevice *device)
{
  g_autoptr(GError) error = NULL;
  DvrInputDeviceState previous = device->state;

  if (!device->backend->open (device, &error)) {
    device_set_failed (device, error, "");
    return FALSE;
  }
  device->state = DVR_INPUT_DEVICE_OPEN;
  g_clear_pointer (&device->error, g_free);
  /* An accelerometer is off until it reports a peak. */
  for (guint i = 0; i < device->signals->len; i++) {
    DvrInputSignal *signal = g_ptr_array_index (device->signals, i);
    if (signal->config->source == DVR_SIGNAL_SOURCE_ACCEL)
      signal->known = TRUE;
  }
  if (previous != DVR_INPUT_DEVICE_CLOSED) {
    g_autofree gchar *described = dvr_input_device_describe (device);
    g_message ("inputs: %s: open again", described);
  }
  return TRUE;
}

void
dvr_input_device_lost (DvrInputDevice *device, const GError *error)
{
  device->backend->close (device);
  device_set_failed (device, error, "lost: ");
  inputs_schedule (device->inputs);
}

static gboolean
retry_cb (gpointer user_data)
{
  DvrInputs *inputs = user_data;
  gboolean all_open = TRUE;

  for (guint i = 0; i < inputs->devices->len; i++) {
    DvrInputDevice *device = g_ptr_array_index (inputs->devices, i);
    if (device->state != DVR_INPUT_DEVICE_OPEN && !device_open (device))
      all_open = FALSE;
  }
  if (all_open) {
    inputs->retry_id = 0;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
inputs_retry_start (DvrInputs *inputs)
{
  if (inputs->retry_id == 0)
    inputs->retry_id = g_timeout_add (RETRY_INTERVAL_MS, retry_cb, inputs);
}

static void
device_free (DvrInputDevice *device)
{
  device->backend->close (device);
  if (device->data != NULL)
    device->backend->free_data (device->data);
  g_ptr_array_unref (device->signals);
  g_free (device->path);
  g_free (device->error);
  g_free (device);
}

/* The device @signal reads: shared with earlier signals that read the
 * same node or port. */
static DvrInputDevice *
inputs_add_device (DvrInputs *inputs, DvrInputSignal *signal)
{
  const DvrSignalConfig *config = signal->config;
  const DvrInputBackend *backend;
  g_autofree gchar *path = NULL;
  DvrInputDevice *device;

  switch (config->source) {
  case DVR_SIGNAL_SOURCE_EVDEV:
  case DVR_SIGNAL_SOURCE_ACCEL:
    backend = &dvr_input_evdev_backend;
    path = g_strdup (config->device);
    break;
  case DVR_SIGNAL_SOURCE_SERIAL:
    backend = &dvr_input_serial_backend;
    path = g_strdup (config->device);
    break;
  case DVR_SIGNAL_SOURCE_GPIO:
    backend = &dvr_input_gpio_backend;
    path = g_strdup_printf ("%s:%u", config->chip, config->line);
    break;
  default:
    return NULL;
  }

  for (guint i = 0; i < inputs->devices->len; i++) {
    device = g_ptr_array_index (inputs->devices, i);
    if (device->backend == backend && g_str_equal (device->path, path)) {
      g_ptr_array_add (device->signals, signal);
      return device;
    }
  }
  device = g_new0 (DvrInputDevice, 1);
  device->inputs = inputs;
  device->backend = backend;
  device->path = g_steal_pointer (&path);
  device->signals = g_ptr_array_new ();
  device->state = DVR_INPUT_DEVICE_CLOSED;
  g_ptr_array_add (device->signals, signal);
  g_ptr_array_add (inputs->devices, device);
  return device;
}

/* Public API. */

/* Returns a new DvrInputs, freed with dvr_inputs_free(); main loop. */
DvrInputs *
dvr_inputs_new (const DvrConfig *config,
                DvrInputsChangedFunc changed,
                DvrInputsPressFunc pressed,
                gpointer user_data)
{
  DvrInputs *inputs;

  g_return_val_if_fail (config != NULL, NULL);

  inputs = g_new0 (DvrInputs, 1);
  inputs->config = config;
  inputs->changed = changed;
  inputs->pressed = pressed;
  inputs->user_data = user_data;
  inputs->signals = g_ptr_array_new_with_free_func (g_free);
  inputs->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);

  for (guint i = 0; i < config->signals->len; i++) {
    const DvrSignalConfig *signal_config = g_ptr_array_index (config->signals, i);
    DvrInputSignal *signal;

    if (signal_config->source == DVR_SIGNAL_SOURCE_CONTROL)
      continue;
    signal = g_new0 (DvrInputSignal, 1);
    signal->inputs = inputs;
    signal->config = signal_config;
    g_ptr_array_add (inputs->signals, signal);
    signal->device = inputs_add_device (inputs, signal);
    signal->presses = signal_config->button ||
        g_strcmp0 (signal_config->name, config->eject_signal) == 0;
    if (signal->presses)
      dvr_press_init (&signal->press, signal_config->long_press_ns);
    if (signal_config->source == DVR_SIGNAL_SOURCE_SPEED) {
      dvr_hysteresis_init (&signal->hysteresis, signal_config->threshold,
                           signal_config->threshold - signal_config->hysteresis);
      signal->known = TRUE;
    }
    if (signal_config->source == DVR_SIGNAL_SOURCE_ACCEL)
      dvr_peak_init (&signal->peak, signal_config->threshold, signal_config->hold_ns);
  }
  return inputs;
}

void
dvr_inputs_free (DvrInputs *inputs)
{
  if (inputs == NULL)
    return;
  g_clear_handle_id (&inputs->retry_id, g_source_remove);
  if (inputs->deadline != NULL) {
    g_source_destroy (inputs->deadline);
    g_clear_pointer (&inputs->deadline, g_source_unref);
  }
  /* Devices first: closing one may look at its signals. */
  g_clear_pointer (&inputs->devices, g_ptr_array_unref);
  g_clear_pointer (&inputs->signals, g_ptr_array_unref);
  g_free (inputs);
}

void
dvr_inputs_start (DvrInputs *inputs)
{
  g_return_if_fail (inputs != NULL);

  if (inputs->started)
    return;
  inputs->started = TRUE;
  inputs->deadline = g_source_new (&deadline_funcs, sizeof (GSource));
  g_source_set_name (inputs->deadline, "dvr-inputs deadline");
  g_source_set_callback (inputs->deadline, deadline_cb, inputs, NULL);
  g_source_attach (inputs->deadline, NULL);

  for (guint i = 0; i < inputs->devices->len; i++)
    device_open (g_ptr_array_index (inputs->devices, i));
  inputs_schedule (inputs);
}

gboolean
dvr_inputs_get_value (DvrInputs *inputs, const gchar *signal_name, gboolean *value)
{
  g_return_val_if_fail (inputs != NULL, FALSE);
  g_return_val_if_fail (signal_name != NULL, FALSE);

  for (guint i = 0; i < inputs->signals->len; i++) {
    const DvrInputSignal *signal = g_ptr_array_index (inputs->signals, i);

    if (!g_str_equal (signal->config->name, signal_name))
      continue;
    if (!signal->known ||
        (signal->device != NULL && signal->device->state != DVR_INPUT_DEVICE_OPEN))
      return FALSE;
    if (value != NULL)
      *value = signal->value;
    return TRUE;
  }
  return FALSE;
}

void
dvr_inputs_push_speed (DvrInputs *inputs, gdouble speed_m_s, gint64 mono_ns)
{
  g_return_if_fail (inputs != NULL);

  for (guint i = 0; i < inputs->signals->len; i++) {
    DvrInputSignal *signal = g_ptr_array_index (inputs->signals, i);
    gboolean value;

    if (signal->config->source == DVR_SIGNAL_SOURCE_SPEED &&
        dvr_hysteresis_update (&signal->hysteresis, speed_m_s, &value))
      signal_report (signal, value, mono_ns);
  }
}

void
dvr_inputs_build_status (DvrInputs *inputs, JsonBuilder *builder)
{
  g_return_if_fail (inputs != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  json_builder_set_member_name (builder, "inputs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < inputs->signals->len; i++) {
    const DvrInputSignal *signal = g_ptr_array_index (inputs->signals, i);
    const DvrInputDevice *device = signal->device;
    gboolean open = device == NULL ? inputs->started : device->state == DVR_INPUT_DEVICE_OPEN;

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "signal");
    json_builder_add_string_value (builder, signal->config->name);
    json_builder_set_member_name (builder, "source");
    json_builder_add_string_value (builder, source_name (signal->config->source));
    json_builder_set_member_name (builder, "device");
    if (device != NULL)
      json_builder_add_string_value (builder, device->path);
    else
      json_builder_add_null_value (builder);
    json_builder_set_member_name (builder, "state");
    if (device != NULL)
      json_builder_add_string_value (builder, device_state_name (device->state));
    else
      json_builder_add_string_value (builder, open ? "open" : "closed");
    json_builder_set_member_name (builder, "error");
    if (device != NULL && device->error != NULL)
      json_builder_add_string_value (builder, device->error);
    else
      json_builder_add_null_value (builder);
    /* null while no level has been read since the device opened */
    json_builder_set_member_name (builder, "value");
    if (open && signal->known)
      json_builder_add_boolean_value (builder, signal->value);
    else
      json_builder_add_null_value (builder);
    json_builder_set_member_name (builder, "events");
    json_builder_add_int_value (builder, (gint64) signal->events);
    json_builder_set_member_name (builder, "bad_input");
    json_builder_add_int_value (builder, device != NULL ? (gint64) device->bad_input : 0);
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
}

DvrInputReadError
dvr_input_read_error (int saved_errno, const gchar *what, GError **error)
{
  if (saved_errno == EINTR)
    return DVR_INPUT_READ_AGAIN;
  if (saved_errno == EAGAIN)
    return DVR_INPUT_READ_WAIT;
  g_set_error (error, G_IO_ERROR,
               saved_errno == ENODEV || saved_errno == EIO ? G_IO_ERROR_NOT_FOUND :
               g_io_error_from_errno (saved_errno),
               "%s: %s", what, g_strerror (saved_errno));
  return DVR_INPUT_READ_FAILED;
}
