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
#include "dvr-drive.h"
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

/* One place dvrd records onto: the drive (or fixed storage folder), or the
 * internal fallback folder (dvr-daemon-drive.c).  Every path under it goes
 * through the folder as opened (`root` is "/proc/self/fd/N"), so a drive
 * unmounted under dvrd's feet is never replaced by the bare mount point.
 * Reference-counted: a segment being finalized or a deletion on the
 * storage thread keeps its volume open after dvrd moved on to another. */
typedef struct {
  gint ref_count;
  DvrDriveRole role;
  gchar *path;               /* the configured folder, for messages */
  gint dirfd;                /* O_PATH of the folder as opened */
  gchar *root;               /* "/proc/self/fd/N" */
  guint64 mount_id;          /* statx() mount id of the folder as opened */
  DvrDriveIdentity *identity;
  DvrStorage *storage;
  DvrCatalog *catalog;
  DvrCatalog *checkpoint_catalog;  /* storage thread only */
  gint64 run_id;
  guint pending_finalize;    /* segments handed to its storage, no row yet */
  gboolean failed;           /* an I/O error: no longer written to */
  gboolean closed;           /* dvrd moved on; rows only for what was pending */
} DvrVolume;

DvrVolume *dvr_volume_ref (DvrVolume *volume);
void dvr_volume_unref (DvrVolume *volume);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrVolume, dvr_volume_unref)

typedef enum {
  DVR_DRIVE_STATE_PRESENT,      /* recording onto the drive */
  DVR_DRIVE_STATE_ABSENT,       /* no drive mounted */
  DVR_DRIVE_STATE_FAILED,       /* I/O errors or it went away: not used until mounted again */
  DVR_DRIVE_STATE_FOREIGN,      /* another unit's, or not empty and not a dvr drive: untouched */
  DVR_DRIVE_STATE_EJECTING,     /* dvrctl eject: finalizing, syncing, unmounting */
  DVR_DRIVE_STATE_EJECTED,      /* unmounted by dvrd: safe to remove */
} DvrDriveState;

const gchar *dvr_drive_state_to_string (DvrDriveState state);

typedef struct {
  DvrDaemon *daemon;
  DvrPipeline *pipeline;
  const DvrCameraConfig *config;
  gint64 last_durable_utc_ns;  /* end of its last segment with a row, -1 if none */
  gint64 open_gap_id;        /* 0 when no gap is open */
  guint write_failures;
  gboolean storage_stopped;  /* stopped by dvrd: free space under the floor */
} DvrCamera;

struct _DvrDaemon {
  DvrConfig *config;
  /* The volume recorded onto now; storage, catalog and run_id are its own,
   * copied here because most of the daemon only ever needs "the current
   * one".  Never NULL after dvr_daemon_new(). */
  DvrVolume *volume;
  DvrStorage *storage;
  DvrCatalog *catalog;
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
  guint sync_source;               /* the open segments' periodic fdatasync */

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
  guint64 min_free_bytes;          /* the current volume's watermark in force */
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

  /* The drive (dvr-daemon-drive.c) */
  DvrDriveState drive_state;
  gchar *drive_problem;            /* why it is not used (FAILED, FOREIGN), for status */
  gint64 drive_state_utc_ns;       /* since when */
  guint64 refused_mount_id;        /* a FOREIGN or FAILED mount, not retried until it changes */
  gint64 max_run_id;               /* highest run begun on any volume */
  gboolean switching;              /* cameras stopping to change volume */
  DvrVolume *next_volume;          /* what they change to */
  DvrVolume *ejecting_volume;      /* the ejected drive until it is unmounted */
  guint eject_source;
  gchar *eject_by;                 /* "dvrctl", "button" */
  gint64 eject_started_mono_ns;
  DvrDriveRole switch_to;
  gint64 switch_started_utc_ns;    /* when the cameras were told to stop */
  gchar *switch_reason;
  guint drive_check_source;
  guint mountinfo_source;
  gboolean probe_running;
  gint64 probe_started_mono_ns;
  gboolean migrating;              /* fallback recordings being moved onto the drive */
  guint migrated_segments;         /* this run */
  guint migration_failures;
  gchar *last_migration_error;
  gchar *event_reason;             /* the running event's, to carry it to another volume */
  DvrEventKind event_kind;

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

/* dvr-daemon-drive.c */
/* Opens the drive (or, when it cannot be used and a fallback is set, the
 * fallback) as the current volume.  Startup, before the cameras exist. */
gboolean dvr_daemon_drive_init (DvrDaemon *daemon, GError **error);
void dvr_daemon_drive_start (DvrDaemon *daemon);
void dvr_daemon_drive_stop (DvrDaemon *daemon);
void dvr_daemon_drive_free (DvrDaemon *daemon);
/* A camera stopped: a volume change waiting for the cameras may go on. */
void dvr_daemon_drive_camera_stopped (DvrDaemon *daemon);
/* A write to @volume failed (a segment could not be made durable). */
void dvr_daemon_drive_write_failed (DvrDaemon *daemon, DvrVolume *volume, const GError *error);
/* Control commands eject, drive; NULL (with @handled FALSE) for others. */
JsonNode *dvr_daemon_drive_control (DvrDaemon *daemon, const gchar *command,
                                    JsonObject *request, gboolean *handled, GError **error);
void dvr_daemon_drive_build_status (DvrDaemon *daemon, JsonBuilder *b);
/* A long press on the eject input. */
void dvr_daemon_drive_eject_pressed (DvrDaemon *daemon);
/* Alarm for the indicators: the drive is not being recorded onto. */
gboolean dvr_daemon_drive_alarm (DvrDaemon *daemon);
gboolean dvr_daemon_ensure_day_folders (gpointer daemon);
/* The cameras of the current volume (re)started: used by dvr-daemon.c. */
void dvr_daemon_camera_open_gap (DvrDaemon *daemon, DvrCamera *camera, gint64 utc_ns,
                                 const gchar *reason);
void dvr_daemon_close_open_gaps (DvrDaemon *daemon, gint64 end_utc_ns);
void dvr_daemon_flush_gps (DvrDaemon *daemon);
void dvr_daemon_save_counters (DvrDaemon *daemon);

/* dvr-daemon-events.c: a new volume became the current one (also at
 * startup): finishes its garbage, ends or adopts its running events,
 * carries a running event onto it, audits.  @reason NULL at startup. */
gboolean dvr_daemon_events_volume_opened (DvrDaemon *daemon, const gchar *reason,
                                          GError **error);
/* The current volume is about to be left: forget per-volume state. */
void dvr_daemon_events_volume_closing (DvrDaemon *daemon);

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
