/* dvr-inputs: the vehicle's physical inputs, turned into signal changes.
 *
 * One backend per [signal NAME] source (docs/inputs.md):
 *   evdev   a Linux input device (or any file or FIFO giving the same
 *           struct input_event stream): a key or switch code
 *   gpio    a GPIO line (libgpiod), with polarity and debounce
 *   serial  a line of an I/O module on a serial port, in the text protocol
 *           of docs/inputs.md; one reader per port serves every signal on it
 *   speed   derived: GPS speed above a threshold, with hysteresis
 *   accel   derived: an accelerometer (evdev ABS axes) over a threshold in g
 * (control-socket signals are the daemon's, not here.)
 *
 * The logic (debounce, press, hysteresis, peak) is dvr-input-logic; this
 * module does the I/O on the main loop (fd watches, no threads) and calls
 * the daemon back.  A device that is missing or fails is logged once,
 * shown in status and reopened every second; bad input (an unknown code, a
 * malformed line) is counted and logged (rate-limited), never fatal.
 *
 * Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "dvr-config.h"
#include "dvr-input-logic.h"

G_BEGIN_DECLS

/* A signal changed (debounced, polarity applied).  @source: "evdev",
 * "gpio", "serial", "speed", "accel". */
typedef void (*DvrInputsChangedFunc) (const gchar *signal, gboolean value, gint64 mono_ns,
                                      const gchar *source, gpointer user_data);
/* A short or long press of a signal with `button = true`. */
typedef void (*DvrInputsPressFunc) (const gchar *signal, DvrPress press, gint64 mono_ns,
                                    gpointer user_data);

typedef struct _DvrInputs DvrInputs;

/* The backends of @config's signals (borrowed; it must outlive them).
 * Nothing is opened yet.  The callbacks run on the main loop, from an fd
 * watch, a timer, dvr_inputs_start() or dvr_inputs_push_speed(); they may
 * call any dvr_inputs_ function except dvr_inputs_free(). */
DvrInputs *dvr_inputs_new (const DvrConfig *config,
                           DvrInputsChangedFunc changed,
                           DvrInputsPressFunc pressed,
                           gpointer user_data);
void dvr_inputs_free (DvrInputs *inputs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrInputs, dvr_inputs_free)

/* Opens every device (those missing are retried every second).  The
 * levels read at open are the signals' initial values: reported through
 * @changed only when they differ from off. */
void dvr_inputs_start (DvrInputs *inputs);

/* The current value of an input signal; FALSE if @signal is not one of
 * ours or its device is not open. */
gboolean dvr_inputs_get_value (DvrInputs *inputs, const gchar *signal, gboolean *value);

/* A GPS report's speed in m/s (NaN: unknown) for `speed` signals. */
void dvr_inputs_push_speed (DvrInputs *inputs, gdouble speed_m_s, gint64 mono_ns);

/* "inputs": [{"signal","source","device","state":"open"|"missing"|"error",
 * "error","value","events","bad_input"}], one per input signal in file
 * order.  device: the node, port or CHIP:LINE (null for speed); state
 * "closed" before dvr_inputs_start(); value null until a level has been
 * read since the device opened; events: changes reported; bad_input:
 * bad records or lines of the device (shared by the signals on it). */
void dvr_inputs_build_status (DvrInputs *inputs, JsonBuilder *builder);

G_END_DECLS
