/* dvr-indicator: the officer's indicator lights ([indicator NAME] in
 * dvr.conf): a GPIO output line or an evdev LED, each lit while the
 * recorder is in one of the states it shows.  Covert mode turns every
 * indicator off, whatever the state.
 *
 * Main loop only; writes are small and never block (GPIO line values, one
 * input_event on an evdev node).  A device that fails is logged once and
 * retried at the next change.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "dvr-config.h"

G_BEGIN_DECLS

/* What the recorder is doing: several can hold at once (recording and an
 * event and an alarm). */
typedef enum {
  DVR_INDICATOR_IDLE = 1 << 0,       /* not recording (ignition off, or nothing configured) */
  DVR_INDICATOR_RECORDING = 1 << 1,  /* every camera recording */
  DVR_INDICATOR_EVENT = 1 << 2,      /* an event running or in its post-event time */
  DVR_INDICATOR_ALARM = 1 << 3,      /* a camera failed, a storage alarm, a write failure */
} DvrIndicatorStates;

/* Pure: whether an indicator that shows @shows is lit in @states. */
gboolean dvr_indicator_is_lit (guint shows, guint states, gboolean covert);

typedef struct _DvrIndicators DvrIndicators;

/* The indicators of @config (borrowed).  Nothing is opened yet. */
DvrIndicators *dvr_indicators_new (const DvrConfig *config);
void dvr_indicators_free (DvrIndicators *indicators);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrIndicators, dvr_indicators_free)

/* Sets every indicator for @states (DvrIndicatorStates) and covert mode;
 * writes only those whose light changes (and retries those that failed). */
void dvr_indicators_set (DvrIndicators *indicators, guint states, gboolean covert);

/* "indicators": [{"name","output","lit","state":"open"|"error","error"}] */
void dvr_indicators_build_status (DvrIndicators *indicators, JsonBuilder *builder);

G_END_DECLS
