/* dvr-daemon-private: the daemon's state, shared by dvr-daemon.c (cameras,
 * storage, GPS, signals, status) and dvr-daemon-events.c (events,
 * retention, the audit log and their control commands).  Main loop only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "dvr-catalog.h"
#include "dvr-config.h"
#include "dvr-control.h"
#include "dvr-daemon.h"
#include "dvr-events.h"
#include "dvr-gps.h"
#include "dvr-ignition.h"
#include "dvr-indicator.h"
#include "dvr-inputs.h"
#include "dvr-pipeline.h"
#include "dvr-retention.h"
#include "dvr-signals.h"
#include "dvr-storage.h"

G_BEGIN_DECLS

typedef struct {
  DvrDaemon *daemon;
  DvrPipeline *pipeline;
  const DvrCameraConfig *config;
  gint64 open_gap_id;        /* 0 when no gap is open */
  guint write_failures;
  gboolean storage_stopped;  /* stopped by dvrd: free space under the floor */
} DvrCamera;

struct _DvrDaemon {
  DvrConfig *config;
  DvrStorage *storage;
  DvrCatalog *catalog;
  DvrCatalog *checkpoint_catalog;  /* storage thread only */
  DvrControl *control;
  DvrSignals *signals;
  DvrGps *gps;                     /* NULL with [gps] gpsd = none */
  DvrGpsFix last_fix;              /* mode 0 until gpsd gives one */
  gboolean gps_connected;
  GArray *gps_batch;               /* DvrGpsFix not yet in the catalog */
  guint gps_flush_source;
  gboolean clock_offset_exceeded;  /* |GPS - system clock| > threshold */
  GPtrArray *cameras;              /* DvrCamera* */
  gint64 run_id;
  gint64 start_mono_ns;
  DvrClockSource clock_source;
  guint day_folder_source;

  /* Events (dvr-daemon-events.c) */
  DvrEvents *events;
  gint64 event_id;                 /* catalog id of the event DvrEvents holds, 0 if none */
  guint event_deadline_source;

  /* Retention */
  DvrRetention *retention;         /* made at the first statvfs (min-free may be a %) */
  guint retention_source;
  gboolean deleting;               /* a deletion is on the storage thread */
  gboolean storage_full;           /* cameras stopped: free space under the floor */
  DvrRetentionAlarm alarm;         /* as last logged */
  gboolean statvfs_failed;         /* logged once */
  guint64 deleted_segments;        /* this run */
  DvrCatalogUsage usage;           /* cached for status */
  gint64 usage_mono_ns;

  /* Power, inputs, indicators (dvr-daemon-power.c) */
  DvrInputs *inputs;
  DvrIndicators *indicators;
  DvrIgnition *ignition;           /* NULL without [power] ignition: always record */
  guint ignition_source;
  gboolean recording;              /* the cameras are meant to run (ignition on) */
  gboolean power_off_requested;    /* the hold-over ended: stop, then power off */
  GSourceFunc shutdown_func;       /* main's: stop the daemon as for SIGTERM */
  gpointer shutdown_data;
  guint indicator_source;
  guint watchdog_source;
  GArray *watchdog_frames;         /* guint64 per camera: frames_in at the last ping */
  gboolean ready_sent;

  guint pending_finalize;          /* segments between "closed" and their row */
  gboolean stopping;
  gboolean stop_forced;
  guint stop_deadline_source;
  GSourceFunc stop_done;
  gpointer stop_done_data;
};


/* dvr-daemon-events.c */

/* At startup, before recording: finishes garbage left by a crash, ends
 * events a killed dvrd left running, and audits the start (and a changed
 * configuration).  Disk-bound, once. */
gboolean dvr_daemon_events_init (DvrDaemon *daemon, GError **error);
/* Starts the retention timer. */
void dvr_daemon_events_start (DvrDaemon *daemon);
/* dvrd stopping: ends a running event (its windows still reach its
 * post-event time) and stops the timers. */
void dvr_daemon_events_stop (DvrDaemon *daemon);
void dvr_daemon_events_free (DvrDaemon *daemon);

/* A signal changed: the trigger action configured for it. */
void dvr_daemon_events_signal (DvrDaemon *daemon, const gchar *name, gboolean value,
                               gint64 utc_ns);
/* A segment row was added: the disk budget may need a sweep. */
void dvr_daemon_events_segment_added (DvrDaemon *daemon);

/* Control commands event-*, events, event, audit-verify; NULL (with
 * @error unset) when @command is not one of them. */
JsonNode *dvr_daemon_events_control (DvrDaemon *daemon, const gchar *command,
                                     JsonObject *request, gboolean *handled, GError **error);

void dvr_daemon_events_build_status (DvrDaemon *daemon, JsonBuilder *b);

/* dvr-daemon-power.c */
void dvr_daemon_power_init (DvrDaemon *daemon);
/* Starts the inputs and, unless the ignition is off, the cameras. */
void dvr_daemon_power_start (DvrDaemon *daemon);
/* A signal changed (any source): the ignition, the covert switch. */
void dvr_daemon_power_signal (DvrDaemon *daemon, const gchar *name, gboolean value,
                              gint64 mono_ns);
/* An event started running or closed (post-event time over). */
void dvr_daemon_power_event_active (DvrDaemon *daemon, gboolean active);
/* Whether cameras may run now (ignition, storage). */
gboolean dvr_daemon_power_cameras_wanted (DvrDaemon *daemon);
void dvr_daemon_power_stop (DvrDaemon *daemon);
void dvr_daemon_power_free (DvrDaemon *daemon);
void dvr_daemon_power_build_status (DvrDaemon *daemon, JsonBuilder *b);

/* dvr-daemon-events.c: the officer's button. */
void dvr_daemon_events_button (DvrDaemon *daemon, const gchar *signal, DvrPress press);

/* dvr-daemon.c: a signal changed (from any source): catalog, tracks,
 * watermark, events, power. */
void dvr_daemon_signal_changed (DvrDaemon *daemon, const gchar *name, gboolean value,
                                gint64 utc_ns, gint64 mono_ns, const gchar *source);

/* dvr-daemon.c helpers shared with dvr-daemon-events.c */
void dvr_daemon_json_add_time (JsonBuilder *b, const gchar *member, gint64 utc_ns);
void dvr_daemon_json_add_string_or_null (JsonBuilder *b, const gchar *member, const gchar *value);

G_END_DECLS
