/* dvr-config: dvr.conf (GKeyFile) parsed and validated into plain records.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "dvr-events.h"

G_BEGIN_DECLS

#define DVR_CONFIG_ERROR (dvr_config_error_quark ())
GQuark dvr_config_error_quark (void);

typedef enum {
  DVR_CONFIG_ERROR_SYNTAX,        /* not a group, key=value, comment or blank line */
  DVR_CONFIG_ERROR_INVALID_VALUE, /* a key's value does not parse or is out of range */
  DVR_CONFIG_ERROR_MISSING_KEY,   /* a required key is absent */
  DVR_CONFIG_ERROR_DUPLICATE,     /* a group or a camera appears twice */
  DVR_CONFIG_ERROR_STORAGE,       /* the storage root does not exist or is not a folder */
  DVR_CONFIG_ERROR_NO_CAMERA,     /* no [camera NAME] group at all */
  DVR_CONFIG_ERROR_IO,            /* the file cannot be read */
} DvrConfigError;

typedef enum {
  DVR_SOURCE_KIND_V4L2,   /* source = /dev/... (normally a udev symlink) */
  DVR_SOURCE_KIND_TEST,   /* source = test: a generated pattern */
  DVR_SOURCE_KIND_REPLAY, /* source = replay:FILE: a recording replayed live */
} DvrSourceKind;

typedef enum {
  DVR_RECORD_MODE_AUTO,        /* the camera's H.264/MJPEG untouched when offered, else encode */
  DVR_RECORD_MODE_PASSTHROUGH, /* only the camera's own compressed stream */
  DVR_RECORD_MODE_ENCODE,      /* always raw video encoded to H.264 */
} DvrRecordMode;

/* A camera control to set at every start: V4L2 control id and value. */
typedef struct {
  guint32 id;           /* V4L2_CID_* */
  gint32 value;
} DvrControlValue;

typedef struct {
  gchar *name;          /* from the group name "[camera NAME]": [a-z0-9_-], 1..32 chars */
  DvrSourceKind kind;
  gchar *source;        /* the value as written, for messages and the catalog */
  gchar *location;      /* device path (V4L2) or file (replay); NULL for test */
  gchar *pattern;       /* videotestsrc pattern nickname (test only), e.g. "smpte" */
  guint width;          /* pixels */
  guint height;         /* pixels */
  gint framerate_n;
  gint framerate_d;
  DvrRecordMode record;
  gboolean transcode_mjpeg; /* mjpeg = transcode: MJPEG decoded and encoded to H.264 */
  GArray *controls;     /* of DvrControlValue, in the file's order; V4L2 only */
  gchar *encoder;       /* "auto", "x264enc", "openh264enc" or "v4l2h264enc" */
  gboolean watermark;   /* burn time, unit, camera, speed, signals into encoded video */
  guint bitrate_kbps;   /* encoder target, kbit/s */
  guint keyframe_interval; /* frames between keyframes when encoding */
  gboolean events;      /* takes part in events ([camera] events), default TRUE */
  gint64 pre_event_ns;  /* [camera] pre-event, else [events] pre-event, s -> ns */
  gint64 post_event_ns; /* [camera] post-event, else [events] post-event, s -> ns */
  guint index;          /* position in the file, 0-based */
} DvrCameraConfig;

typedef enum {
  DVR_SPEED_UNITS_KMH,
  DVR_SPEED_UNITS_MPH,
} DvrSpeedUnits;

typedef enum {
  DVR_SIGNAL_SOURCE_CONTROL, /* set through the control socket (dvrctl signal) */
  DVR_SIGNAL_SOURCE_EVDEV,   /* a key or switch of a Linux input device */
  DVR_SIGNAL_SOURCE_GPIO,    /* a GPIO line (libgpiod) */
  DVR_SIGNAL_SOURCE_SERIAL,  /* an input of an I/O module on a serial port */
  DVR_SIGNAL_SOURCE_SPEED,   /* derived: GPS speed over a threshold */
  DVR_SIGNAL_SOURCE_ACCEL,   /* derived: an accelerometer over a threshold in g */
} DvrSignalSource;

typedef struct {
  gchar *name;              /* from "[signal NAME]": [a-z0-9_-], 1..32 chars */
  DvrSignalSource source;
  DvrTriggerAction action;  /* [signal] action; default sensor-only, but
                             * record-while-active for lightbar and siren */
  /* Backend keys (docs/inputs.md); unused ones are 0/NULL. */
  gchar *device;            /* evdev, accel: input device node; serial: tty */
  guint code_type;          /* evdev: EV_KEY or EV_SW (from the code's name) */
  guint code;               /* evdev: KEY_* / BTN_* / SW_* code */
  gchar *chip;              /* gpio: /dev/gpiochipN, chip name or label */
  guint line;               /* gpio: line offset on the chip */
  gboolean active_low;      /* gpio, evdev: on when the raw level is low/0 */
  gint64 debounce_ns;       /* every physical source; default 200 ms for gpio,
                             * 0 for the others */
  gchar *input;             /* serial: the module's input name (default: NAME) */
  guint baud;               /* serial: default 9600 */
  gdouble threshold;        /* speed: m/s (given in speed-units); accel: g */
  gdouble hysteresis;       /* speed: off below threshold - hysteresis, m/s */
  gint64 hold_ns;           /* accel: stays on this long after a peak, default 2 s */
  gdouble units_per_g;      /* accel: raw axis units per g; 0 (default): the axis
                             * resolution the device reports (EVIOCGABS) */
  gboolean button;          /* the officer's button: short press starts or
                             * marks an event, long press stops it */
  gint64 long_press_ns;     /* button: default 2 s */
} DvrSignalConfig;

typedef enum {
  DVR_INDICATOR_OUTPUT_GPIO,  /* a GPIO output line */
  DVR_INDICATOR_OUTPUT_EVDEV, /* an LED of a Linux input device (EV_LED) */
} DvrIndicatorOutput;

typedef struct {
  gchar *name;              /* from "[indicator NAME]" */
  DvrIndicatorOutput output;
  gchar *chip;              /* gpio */
  guint line;               /* gpio */
  gboolean active_low;      /* gpio */
  gchar *device;            /* evdev */
  guint led;                /* evdev: LED_* code */
  guint shows;              /* DvrIndicatorStates it is lit in */
} DvrIndicatorConfig;

typedef struct {
  gchar *path;              /* file it came from (or display name) */
  gchar *unit_id;           /* [recorder] unit-id */
  gchar *storage_root;      /* [recorder] storage: absolute path */
  gint64 segment_ns;        /* [recorder] segment-length, s -> ns */
  gint64 stall_timeout_ns;  /* [recorder] stall-timeout, s -> ns */
  gint64 restart_backoff_min_ns; /* [recorder] restart-backoff-min, s -> ns */
  gint64 restart_backoff_max_ns; /* [recorder] restart-backoff-max, s -> ns */
  gchar *control_socket;    /* [control] socket */
  guint control_socket_mode;/* [control] socket-mode, octal, default 0660 */
  guint speed_units;        /* [recorder] speed-units: DvrSpeedUnits */
  gchar *gpsd_host;         /* [gps] gpsd host; NULL for gpsd = none */
  gchar *gpsd_port;
  gint64 clock_offset_threshold_ns; /* [gps] clock-offset-threshold, s -> ns */
  gint64 max_event_ns;      /* [events] max-duration, s -> ns; 0 = none */
  guint64 min_free_bytes;   /* [retention] min-free as a size; 0 if given as % */
  gdouble min_free_fraction;/* [retention] min-free as a fraction of the drive; 0 if a size */
  gdouble max_sweep_fraction; /* [retention] max-sweep, fraction of the drive, (0, 1] */
  gboolean reclaim_exported;/* [retention] reclaim-exported: evidence whose events were all
                             * exported (mark-exported) may be rotated; default false */
  gboolean storage_removable; /* [storage] removable: storage is a removable drive's mount
                             * point; recorded onto only while mounted and ours.  Default false */
  gchar *fallback_root;     /* [storage] fallback: absolute folder recorded into while no
                             * drive is usable; NULL: none (cameras wait for a drive) */
  guint64 fallback_size_bytes; /* [storage] fallback-size: the fallback ring's budget */
  gint64 sync_interval_ns;  /* [storage] sync-interval: how often the segments being
                             * written are fdatasync'd; 0: never (benchmark baseline) */
  gchar *eject_signal;      /* [storage] eject-button: a signal whose long press ejects
                             * the drive; NULL: none */
  gchar *checksum;          /* SHA-256 (hex) of the text parsed, for the audit log */
  gchar *ignition_signal;   /* [power] ignition: the signal whose on/off starts and
                             * stops recording; NULL (none, the default): always record */
  gint64 ignition_debounce_ns; /* [power] ignition-debounce, default 2 s */
  gint64 hold_over_ns;      /* [power] hold-over, default 600 s */
  gchar **power_off_argv;   /* [power] power-off-command, split into words (never run
                             * by a shell); NULL: none (dvrd just exits) */
  gchar *covert_signal;     /* [power] covert: a signal that, while on, turns every
                             * indicator off; NULL: none */
  GPtrArray *indicators;    /* element-type DvrIndicatorConfig, file order */
  GPtrArray *cameras;       /* element-type DvrCameraConfig, file order */
  GPtrArray *signals;       /* element-type DvrSignalConfig, file order (defaults if none) */
  GPtrArray *warnings;      /* element-type utf8: unknown keys and groups, one line each */
} DvrConfig;

/* Parses and validates @path.  On failure @error holds one line naming the
 * file, the line (or group), the key and what was expected, e.g.
 *   dvr.conf:12: [camera front] framerate: expected N/D, got "abc"
 * Never creates or changes anything on disk. */
DvrConfig *dvr_config_load_file (const gchar *path, GError **error);

/* As above for text in memory; @display_name stands for the file in messages. */
DvrConfig *dvr_config_load_data (const gchar *data,
                                 gsize length,
                                 const gchar *display_name,
                                 GError **error);

const DvrCameraConfig *dvr_config_get_camera (const DvrConfig *config, const gchar *name);

void dvr_camera_config_free (DvrCameraConfig *camera);
void dvr_signal_config_free (DvrSignalConfig *signal);
void dvr_indicator_config_free (DvrIndicatorConfig *indicator);
void dvr_config_free (DvrConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrConfig, dvr_config_free)

const gchar *dvr_source_kind_to_string (DvrSourceKind kind);
const gchar *dvr_record_mode_to_string (DvrRecordMode mode);

G_END_DECLS
