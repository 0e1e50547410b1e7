/* dvr-inputs-private: what DvrInputs shares with its backends
 * (dvr-input-evdev.c, dvr-input-serial.c, dvr-input-gpio.c).
 *
 * A DvrInputDevice is one thing that is opened: an input device node (for
 * every evdev and accel signal on it), a serial port (for every signal of
 * the module on it) or one GPIO line.  DvrInputs owns the devices and the
 * signals, retries the devices that are not open every second and runs
 * the logic (dvr-input-logic) on what the backends read.  A backend only
 * turns bytes into raw levels and magnitudes.
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dvr-inputs.h"

G_BEGIN_DECLS

typedef struct _DvrInputDevice DvrInputDevice;
typedef struct _DvrInputSignal DvrInputSignal;

typedef enum {
  DVR_INPUT_DEVICE_CLOSED,   /* not started yet */
  DVR_INPUT_DEVICE_OPEN,
  DVR_INPUT_DEVICE_MISSING,  /* absent, or gone (unplugged, end of file): retried */
  DVR_INPUT_DEVICE_ERROR,    /* present but unusable (permissions, not a tty...): retried */
} DvrInputDeviceState;

typedef struct {
  const gchar *name;         /* "evdev", "serial", "gpio" */
  /* Opens @device and watches it, and gives each of its signals whose
   * level can be read now that level (dvr_input_signal_set_initial).  On
   * failure nothing stays open; G_IO_ERROR_NOT_FOUND means the device does
   * not exist (yet). */
  gboolean (*open) (DvrInputDevice *device, GError **error);
  /* Stops watching and closes; a closed device is left alone. */
  void (*close) (DvrInputDevice *device);
  /* Frees device->data (after close). */
  void (*free_data) (gpointer data);
} DvrInputBackend;

extern const DvrInputBackend dvr_input_evdev_backend;
extern const DvrInputBackend dvr_input_serial_backend;
extern const DvrInputBackend dvr_input_gpio_backend;

struct _DvrInputDevice {
  DvrInputs *inputs;
  const DvrInputBackend *backend;
  gchar *path;              /* what is opened, as shown in status and logs */
  GPtrArray *signals;       /* DvrInputSignal, borrowed, file order */
  DvrInputDeviceState state;
  gchar *error;             /* why it is not open, or NULL */
  guint64 bad_input;        /* bad records or lines since start */
  guint64 bad_unlogged;     /* of which not yet in a warning */
  gint64 bad_logged_ns;     /* monotonic time of the last warning, 0: none */
  gpointer data;            /* the backend's */
};

struct _DvrInputSignal {
  DvrInputs *inputs;
  const DvrSignalConfig *config;  /* borrowed from the DvrConfig */
  DvrInputDevice *device;   /* NULL for speed */
  gboolean known;           /* a level was read since the device opened */
  gboolean value;           /* the value last reported (off until one is) */
  guint64 events;           /* changes reported */
  DvrDebounce debounce;     /* evdev, gpio, serial */
  gboolean presses;         /* the event button, or [storage] eject-button */
  DvrPressDetector press;   /* presses */
  DvrHysteresis hysteresis; /* speed */
  DvrPeak peak;             /* accel */
};

/* A level read when the device opened (or, for a serial module, its first
 * report): taken as debounced, and reported if it differs from the value
 * last reported.  @raw is the level before polarity. */
void dvr_input_signal_set_initial (DvrInputSignal *signal, gboolean raw, gint64 now_ns);

/* A level read at @now_ns, before polarity and debounce.  Repeats are fine. */
void dvr_input_signal_set_raw (DvrInputSignal *signal, gboolean raw, gint64 now_ns);

/* An accelerometer's magnitude in g at @now_ns. */
void dvr_input_signal_set_magnitude (DvrInputSignal *signal, gdouble g, gint64 now_ns);

/* Counts one bad record or line of @device and warns about it, at most
 * once per 10 s per device (the warning counts those not shown). */
void dvr_input_device_bad_input (DvrInputDevice *device, gint64 now_ns,
                                 const gchar *format, ...) G_GNUC_PRINTF (3, 4);

/* @device failed while open (unplugged, end of file, read error): it is
 * closed, logged and retried every second.  The backend has already
 * forgotten the watch it is called from. */
void dvr_input_device_lost (DvrInputDevice *device, const GError *error);

/* "serial /dev/dvr/io (ignition, lightbar)": how messages name @device.
 * Newly allocated. */
gchar *dvr_input_device_describe (const DvrInputDevice *device);

typedef enum {
  DVR_INPUT_READ_AGAIN,   /* interrupted: read again */
  DVR_INPUT_READ_WAIT,    /* nothing more now: back to the main loop */
  DVR_INPUT_READ_FAILED,  /* @error set; G_IO_ERROR_NOT_FOUND when the device went away */
} DvrInputReadError;

/* What a read that failed with @saved_errno means, for every backend:
 * ENODEV (an input device unplugged) and EIO (a USB serial adapter
 * unplugged, a pty's other end closed) are the device gone. */
DvrInputReadError dvr_input_read_error (int saved_errno, const gchar *what, GError **error);

G_END_DECLS
