/* dvr-config: dvr.conf (GKeyFile) parsed and validated into plain records.
 *
 * Loading takes two passes over the text.  GKeyFile silently merges a group
 * written twice, keeps the last of two equal keys and reports no line
 * numbers, so the first pass (scan_text) classifies every line the way
 * GKeyFile will, rejects what GKeyFile would reject or silently merge, and
 * remembers the line of every group and key.  GKeyFile then parses the same
 * text and unescapes the values, and each value error names its key's line.
 *
 * Every error is one line, "FILE:LINE: [GROUP] KEY: expected WHAT, got
 * "VALUE"", so that an operator can fix the file from the journal alone.
 *
 * Nothing here creates or changes anything on disk: the storage root and a
 * replay file are only stat()ed, and a V4L2 device is not even looked at,
 * because a camera that is unplugged at boot is a runtime condition.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-config.h"
#include "dvr-indicator.h"
#include "dvr-utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

G_DEFINE_QUARK (dvr-config-error-quark, dvr_config_error)

#define GROUP_RECORDER "recorder"
#define GROUP_CONTROL "control"
#define GROUP_CAMERA_PREFIX "camera"
#define GROUP_SIGNAL_PREFIX "signal"
#define GROUP_GPS "gps"
#define GROUP_EVENTS "events"
#define GROUP_RETENTION "retention"
#define GROUP_POWER "power"
#define GROUP_STORAGE "storage"
#define GROUP_INDICATOR_PREFIX "indicator"

#define DEFAULT_UNIT_ID "dvr"
#define DEFAULT_SEGMENT_NS (10 * DVR_NSEC_PER_SEC)
#define DEFAULT_STALL_TIMEOUT_NS (5 * DVR_NSEC_PER_SEC)
#define DEFAULT_RESTART_BACKOFF_MIN_NS (1 * DVR_NSEC_PER_SEC)
#define DEFAULT_RESTART_BACKOFF_MAX_NS (30 * DVR_NSEC_PER_SEC)
#define DEFAULT_CONTROL_SOCKET "/run/dvr/control.sock"
#define DEFAULT_CONTROL_SOCKET_MODE 0660
#define DEFAULT_WIDTH 1280
#define DEFAULT_HEIGHT 720
#define DEFAULT_FRAMERATE_N 30
#define DEFAULT_FRAMERATE_D 1
#define DEFAULT_RECORD DVR_RECORD_MODE_AUTO
#define DEFAULT_BITRATE_KBPS 4000
#define DEFAULT_GPSD "localhost:2947"
#define DEFAULT_CLOCK_OFFSET_THRESHOLD_NS (2 * DVR_NSEC_PER_SEC)
#define DEFAULT_PRE_EVENT_NS (30 * DVR_NSEC_PER_SEC)
#define DEFAULT_POST_EVENT_NS (30 * DVR_NSEC_PER_SEC)
#define DEFAULT_MAX_EVENT_NS 0
#define DEFAULT_MIN_FREE_FRACTION 0.05
#define DEFAULT_MAX_SWEEP_FRACTION 0.10
#define DEFAULT_GPIO_DEBOUNCE_NS (200 * DVR_NSEC_PER_MSEC)
#define DEFAULT_BAUD 9600
#define DEFAULT_HYSTERESIS 5      /* speed-units */
#define DEFAULT_HOLD_NS (2 * DVR_NSEC_PER_SEC)
#define DEFAULT_LONG_PRESS_NS (2 * DVR_NSEC_PER_SEC)
#define DEFAULT_IGNITION_DEBOUNCE_NS (2 * DVR_NSEC_PER_SEC)
#define DEFAULT_HOLD_OVER_NS (600 * DVR_NSEC_PER_SEC)
#define DEFAULT_FALLBACK_SIZE_BYTES (G_GUINT64_CONSTANT (1024) * 1024 * 1024)

#define SEGMENT_MIN_NS (1 * DVR_NSEC_PER_SEC)
#define SEGMENT_MAX_NS (3600 * DVR_NSEC_PER_SEC)
#define STALL_TIMEOUT_MIN_NS (1 * DVR_NSEC_PER_SEC)
#define STALL_TIMEOUT_MAX_NS (60 * DVR_NSEC_PER_SEC)
#define RESTART_BACKOFF_MIN_NS (100 * DVR_NSEC_PER_MSEC)
#define RESTART_BACKOFF_MAX_NS (3600 * DVR_NSEC_PER_SEC)
#define WIDTH_MIN 16
#define WIDTH_MAX 7680
#define HEIGHT_MIN 16
#define HEIGHT_MAX 4320
#define FRAMERATE_MAX_FPS 240
#define BITRATE_MIN_KBPS 100
#define BITRATE_MAX_KBPS 100000
#define KEYFRAME_INTERVAL_MIN 1
#define KEYFRAME_INTERVAL_MAX 1000
#define CLOCK_OFFSET_THRESHOLD_MIN_NS (100 * DVR_NSEC_PER_MSEC)
#define CLOCK_OFFSET_THRESHOLD_MAX_NS (86400 * DVR_NSEC_PER_SEC)
#define EVENT_TIME_MAX_NS (86400 * DVR_NSEC_PER_SEC)
#define MAX_EVENT_MIN_NS (1 * DVR_NSEC_PER_SEC)
/* Twice dvr-retention's reserve, so that sweeping starts well before
 * recording stops for lack of space. */
#define MIN_FREE_MIN_BYTES (G_GUINT64_CONSTANT (32) * 1024 * 1024)
/* A few minutes of every camera at the default bitrate: less is not a
 * fallback worth the name. */
#define FALLBACK_SIZE_MIN_BYTES (G_GUINT64_CONSTANT (64) * 1024 * 1024)
/* [storage] sync-interval: a power loss costs at most this much video, plus
 * the sync itself (issue 8); at most 10 s. */
#define DEFAULT_SYNC_INTERVAL_NS DVR_NSEC_PER_SEC
#define SYNC_INTERVAL_MIN_NS (100 * DVR_NSEC_PER_MSEC)
#define SYNC_INTERVAL_MAX_NS (10 * DVR_NSEC_PER_SEC)

#define UNIT_ID_MAX_LENGTH 64
#define CAMERA_NAME_MAX_LENGTH 32
#define DEBOUNCE_MAX_NS (10 * DVR_NSEC_PER_SEC)
#define HOLD_MAX_NS (600 * DVR_NSEC_PER_SEC)
#define LONG_PRESS_MIN_NS (100 * DVR_NSEC_PER_MSEC)
#define LONG_PRESS_MAX_NS (60 * DVR_NSEC_PER_SEC)
#define IGNITION_DEBOUNCE_MAX_NS (30 * DVR_NSEC_PER_SEC)
#define HOLD_OVER_MAX_NS (86400 * DVR_NSEC_PER_SEC)
#define GPIO_LINE_MAX 65535
#define SERIAL_INPUT_MAX_LENGTH 32
/* Thresholds, in billionths (they are parsed exactly, like times). */
#define SPEED_THRESHOLD_MAX 500          /* km/h or mph: nothing on the road is faster */
#define ACCEL_THRESHOLD_MAX 100          /* g: the range of crash-rated sensors */
#define UNITS_PER_G_MAX 1000000

/* A configuration file is a few kilobytes; anything this big is the wrong
 * file, and reading it whole would only waste memory. */
#define CONFIG_FILE_MAX_BYTES (1024 * 1024)

/* How much of an offending value or line a message quotes. */
#define QUOTE_MAX_CHARS 80

static const gchar *const recorder_keys[] = {
  "unit-id", "storage", "segment-length", "stall-timeout",
  "restart-backoff-min", "restart-backoff-max", "speed-units", NULL
};

static const gchar *const gps_keys[] = { "gpsd", "clock-offset-threshold", NULL };

static const gchar *const signal_keys[] = {
  "source", "action", "device", "code", "chip", "line", "active-low", "debounce", "input",
  "baud", "threshold", "hysteresis", "hold", "units-per-g", "button", "long-press", NULL
};

#define SOURCE_BIT(source) (1u << DVR_SIGNAL_SOURCE_##source)
#define PHYSICAL_SOURCES (SOURCE_BIT (EVDEV) | SOURCE_BIT (GPIO) | SOURCE_BIT (SERIAL))

/* The [signal] keys that only some sources use: set for another source,
 * they are ignored with a warning. */
static const struct {
  const gchar *key;
  guint sources;          /* SOURCE_BIT()s */
  const gchar *described;
} signal_source_keys[] = {
  { "device", SOURCE_BIT (EVDEV) | SOURCE_BIT (SERIAL) | SOURCE_BIT (ACCEL),
    "evdev, serial or accel" },
  { "code", SOURCE_BIT (EVDEV), "evdev" },
  { "chip", SOURCE_BIT (GPIO), "gpio" },
  { "line", SOURCE_BIT (GPIO), "gpio" },
  { "active-low", SOURCE_BIT (EVDEV) | SOURCE_BIT (GPIO), "evdev or gpio" },
  { "debounce", PHYSICAL_SOURCES, "evdev, gpio or serial" },
  { "input", SOURCE_BIT (SERIAL), "serial" },
  { "baud", SOURCE_BIT (SERIAL), "serial" },
  { "threshold", SOURCE_BIT (SPEED) | SOURCE_BIT (ACCEL), "speed or accel" },
  { "hysteresis", SOURCE_BIT (SPEED), "speed" },
  { "hold", SOURCE_BIT (ACCEL), "accel" },
  { "units-per-g", SOURCE_BIT (ACCEL), "accel" },
  { "button", PHYSICAL_SOURCES, "evdev, gpio or serial" },
  { "long-press", PHYSICAL_SOURCES, "evdev, gpio or serial" },
};

static const gchar *const power_keys[] = {
  "ignition", "ignition-debounce", "hold-over", "power-off-command", "covert", NULL
};

static const gchar *const indicator_keys[] = {
  "output", "chip", "line", "active-low", "device", "led", "shows", NULL
};

/* Indexed by DvrIndicatorOutput. */
static const gchar *const indicator_outputs[] = { "gpio", "evdev", NULL };

/* [indicator] shows: names of DvrIndicatorStates. */
static const struct {
  const gchar *name;
  guint state;
} indicator_states[] = {
  { "idle", DVR_INDICATOR_IDLE },
  { "recording", DVR_INDICATOR_RECORDING },
  { "event", DVR_INDICATOR_EVENT },
  { "alarm", DVR_INDICATOR_ALARM },
};

/* Serial line speeds termios has a constant for, up to what I/O modules use. */
static const guint serial_bauds[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 };

/* Evdev codes by the name <linux/input-event-codes.h> gives them: those a
 * vehicle's button box, keypad or HID board sends (keys, buttons and
 * switches) and the LEDs an indicator can light.  Any other key is given
 * by its number.  The values come from the header itself, so they cannot
 * drift from the kernel's. */
typedef struct {
  const gchar *name;
  guint16 type;           /* EV_KEY, EV_SW or EV_LED */
  guint16 code;
} EvdevCodeName;

/* Stringified here, not in a shared helper, where the name would be
 * expanded to its number first. */
#define KEY(name) { #name, EV_KEY, name }
#define SW(name) { #name, EV_SW, name }
#define LED(name) { #name, EV_LED, name }

static const EvdevCodeName evdev_code_names[] = {
  KEY (KEY_0), KEY (KEY_1), KEY (KEY_2), KEY (KEY_3), KEY (KEY_4),
  KEY (KEY_5), KEY (KEY_6), KEY (KEY_7), KEY (KEY_8), KEY (KEY_9),
  KEY (KEY_A), KEY (KEY_B), KEY (KEY_C), KEY (KEY_D), KEY (KEY_E), KEY (KEY_F), KEY (KEY_G),
  KEY (KEY_H), KEY (KEY_I), KEY (KEY_J), KEY (KEY_K), KEY (KEY_L), KEY (KEY_M), KEY (KEY_N),
  KEY (KEY_O), KEY (KEY_P), KEY (KEY_Q), KEY (KEY_R), KEY (KEY_S), KEY (KEY_T), KEY (KEY_U),
  KEY (KEY_V), KEY (KEY_W), KEY (KEY_X), KEY (KEY_Y), KEY (KEY_Z),
  KEY (KEY_F1), KEY (KEY_F2), KEY (KEY_F3), KEY (KEY_F4), KEY (KEY_F5), KEY (KEY_F6),
  KEY (KEY_F7), KEY (KEY_F8), KEY (KEY_F9), KEY (KEY_F10), KEY (KEY_F11), KEY (KEY_F12),
  KEY (KEY_F13), KEY (KEY_F14), KEY (KEY_F15), KEY (KEY_F16), KEY (KEY_F17), KEY (KEY_F18),
  KEY (KEY_F19), KEY (KEY_F20), KEY (KEY_F21), KEY (KEY_F22), KEY (KEY_F23), KEY (KEY_F24),
  KEY (KEY_ESC), KEY (KEY_ENTER), KEY (KEY_SPACE), KEY (KEY_POWER),
  KEY (KEY_PROG1), KEY (KEY_PROG2), KEY (KEY_PROG3), KEY (KEY_PROG4),
  KEY (BTN_0), KEY (BTN_1), KEY (BTN_2), KEY (BTN_3), KEY (BTN_4),
  KEY (BTN_5), KEY (BTN_6), KEY (BTN_7), KEY (BTN_8), KEY (BTN_9),
  KEY (BTN_LEFT), KEY (BTN_RIGHT), KEY (BTN_MIDDLE),
  KEY (BTN_TRIGGER), KEY (BTN_THUMB), KEY (BTN_SOUTH), KEY (BTN_EAST), KEY (BTN_NORTH),
  KEY (BTN_WEST),
  SW (SW_LID), SW (SW_TABLET_MODE), SW (SW_HEADPHONE_INSERT), SW (SW_RFKILL_ALL),
  SW (SW_MICROPHONE_INSERT), SW (SW_DOCK), SW (SW_LINEOUT_INSERT), SW (SW_JACK_PHYSICAL_INSERT),
  SW (SW_VIDEOOUT_INSERT), SW (SW_CAMERA_LENS_COVER), SW (SW_KEYPAD_SLIDE),
  SW (SW_FRONT_PROXIMITY), SW (SW_ROTATE_LOCK), SW (SW_LINEIN_INSERT), SW (SW_MUTE_DEVICE),
  SW (SW_PEN_INSERTED), SW (SW_MACHINE_COVER),
  LED (LED_NUML), LED (LED_CAPSL), LED (LED_SCROLLL), LED (LED_COMPOSE), LED (LED_KANA),
  LED (LED_SLEEP), LED (LED_SUSPEND), LED (LED_MUTE), LED (LED_MISC), LED (LED_MAIL),
  LED (LED_CHARGING),
};

#undef KEY
#undef SW
#undef LED

/* BTN_TRIGGER_HAPPY1..40 (joystick-class boards often number their inputs
 * this way): consecutive codes, recognised by their number. */
#define TRIGGER_HAPPY_PREFIX "BTN_TRIGGER_HAPPY"
#define TRIGGER_HAPPY_COUNT 40

static const gchar *const events_keys[] = { "pre-event", "post-event", "max-duration", NULL };

static const gchar *const retention_keys[] = {
  "min-free", "max-sweep", "reclaim-exported", NULL
};

static const gchar *const storage_keys[] = {
  "removable", "fallback", "fallback-size", "eject-button", "sync-interval", NULL
};

/* Indexed by DvrSpeedUnits. */
static const gchar *const speed_units[] = { "kmh", "mph", NULL };

/* Indexed by DvrSignalSource. */
static const gchar *const signal_sources[] = {
  "control", "evdev", "gpio", "serial", "speed", "accel", NULL
};

/* A vehicle's usual inputs, when the file names none.  Emergency lights
 * and siren on are what an incident looks like, so they record. */
static const struct {
  const gchar *name;
  DvrTriggerAction action;
} default_signals[] = {
  { "ignition", DVR_TRIGGER_ACTION_SENSOR_ONLY },
  { "lightbar", DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE },
  { "siren", DVR_TRIGGER_ACTION_RECORD_WHILE_ACTIVE },
  { "brake", DVR_TRIGGER_ACTION_SENSOR_ONLY },
  { "door", DVR_TRIGGER_ACTION_SENSOR_ONLY },
  { "aux", DVR_TRIGGER_ACTION_SENSOR_ONLY },
};

static const gchar *const control_keys[] = { "socket", "socket-mode", NULL };

static const gchar *const camera_keys[] = {
  "source", "width", "height", "framerate", "record", "encoder", "bitrate",
  "keyframe-interval", "pattern", "mjpeg", "power-line-frequency", "exposure",
  "white-balance", "brightness", "watermark", "events", "pre-event", "post-event", NULL
};

static const gchar *const booleans[] = { "false", "true", NULL };

/* Indexed by DvrRecordMode. */
static const gchar *const record_modes[] = { "auto", "passthrough", "encode", NULL };

/* auto: a hardware (V4L2 memory-to-memory) encoder when GStreamer has one,
 * else x264enc; the pipeline resolves it. */
static const gchar *const encoders[] = { "auto", "x264enc", "openh264enc", "v4l2h264enc", NULL };

static const gchar *const mjpeg_modes[] = { "store", "transcode", NULL };

/* Camera controls by name, each list indexed by its V4L2 menu value
 * (linux/videodev2.h: enum v4l2_power_line_frequency, v4l2_exposure_auto_type). */
static const gchar *const power_line_values[] = { "disabled", "50", "60", "auto", NULL };
static const gchar *const exposure_values[] = {
  "auto", "manual", "shutter-priority", "aperture-priority", NULL
};
/* V4L2_CID_AUTO_WHITE_BALANCE is a boolean: 0 manual, 1 auto. */
static const gchar *const white_balance_values[] = { "manual", "auto", NULL };

/* videotestsrc's GstVideoTestSrcPattern nicknames in GStreamer 1.22.  Kept
 * here rather than asked of GStreamer so that the configuration is checked
 * without initialising it. */
static const gchar *const test_patterns[] = {
  "smpte", "snow", "black", "white", "red", "green", "blue", "checkers-1",
  "checkers-2", "checkers-4", "checkers-8", "circular", "blink", "smpte75",
  "zone-plate", "gamut", "chroma-zone-plate", "solid-color", "ball",
  "smpte100", "bar", "pinwheel", "spokes", "gradient", "colors",
  "smpte-rp-219", NULL
};

/* Test cameras without a pattern get one of these by camera index, so that
 * two test cameras never look alike on a monitor or in a recording. */
static const gchar *const default_test_patterns[] = {
  "smpte", "ball", "pinwheel", "spokes", "zone-plate", "circular",
  "checkers-8", "colors", "gradient", "smpte75", "bar", "snow"
};

/* First pass: where each group and key was written. */

typedef struct {
  gchar *name;
  guint line;
} ScanKey;

typedef struct {
  gchar *name;            /* between the brackets, exactly as GKeyFile sees it */
  gchar *canonical;       /* name without surrounding blanks: what it means */
  guint line;
  GPtrArray *keys;        /* ScanKey, file order, owned */
  GHashTable *key_index;  /* key name -> ScanKey borrowed from keys */
} ScanGroup;

typedef struct {
  const gchar *display_name;
  GPtrArray *groups;          /* ScanGroup, file order, owned */
  GHashTable *group_index;    /* canonical name -> ScanGroup borrowed from groups */
  GKeyFile *key_file;
  DvrConfig *config;          /* being filled; owned by the caller */
  gint64 pre_event_ns;        /* [events] defaults, for cameras that set none */
  gint64 post_event_ns;
  guint ignition_line;        /* [power] ignition and covert, checked once every */
  guint covert_line;          /* signal is known */
  const ScanGroup *storage;   /* [storage], or NULL */
  guint eject_line;           /* [storage] eject-button, checked once every signal is known */
} ConfigParser;

static void
scan_key_free (ScanKey *key)
{
  g_free (key->name);
  g_free (key);
}

static void
scan_group_free (ScanGroup *group)
{
  g_free (group->name);
  g_free (group->canonical);
  g_ptr_array_unref (group->keys);
  g_hash_table_unref (group->key_index);
  g_free (group);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScanGroup, scan_group_free)

static ScanGroup *
scan_group_new (const gchar *name, guint line)
{
  ScanGroup *group = g_new0 (ScanGroup, 1);
  group->name = g_strdup (name);
  group->canonical = g_strstrip (g_strdup (name));
  group->line = line;
  group->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) scan_key_free);
  group->key_index = g_hash_table_new (g_str_hash, g_str_equal);
  return group;
}

static void
config_parser_clear (ConfigParser *parser)
{
  g_clear_pointer (&parser->group_index, g_hash_table_unref);
  g_clear_pointer (&parser->groups, g_ptr_array_unref);
  g_clear_pointer (&parser->key_file, g_key_file_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ConfigParser, config_parser_clear)

/* Messages. */

/* @text made fit to stand between double quotes on one line of a message:
 * quotes, backslashes and control characters escaped, invalid UTF-8
 * replaced, long text cut. */
static gchar *
quote_text (const gchar *text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  GString *quoted = g_string_new (NULL);
  guint chars = 0;

  for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (chars++ == QUOTE_MAX_CHARS) {
      g_string_append (quoted, "...");
      break;
    }
    if (c == '"' || c == '\\')
      g_string_append_printf (quoted, "\\%c", (gchar) c);
    else if (c == '\t')
      g_string_append (quoted, "\\t");
    else if (c == '\n')
      g_string_append (quoted, "\\n");
    else if (c == '\r')
      g_string_append (quoted, "\\r");
    else if (c < 0x20 || c == 0x7f)
      g_string_append_printf (quoted, "\\x%02x", c);
    else
      g_string_append_unichar (quoted, c);
  }
  return g_string_free (quoted, FALSE);
}

/* "FILE:LINE: [GROUP] KEY: ".  Line 0 means no line can be named (the
 * group is absent altogether); @key NULL means the group as a whole. */
static gchar *
format_place (const ConfigParser *parser,
              guint line,
              const gchar *group,
              const gchar *key)
{
  GString *place = g_string_new (parser->display_name);

  if (line > 0)
    g_string_append_printf (place, ":%u", line);
  g_string_append (place, ": ");
  if (group != NULL) {
    g_string_append_printf (place, "[%s]", group);
    if (key != NULL)
      g_string_append_printf (place, " %s", key);
    g_string_append (place, ": ");
  }
  return g_string_free (place, FALSE);
}

static gboolean set_error_at (GError **error,
                              DvrConfigError code,
                              const ConfigParser *parser,
                              guint line,
                              const gchar *group,
                              const gchar *key,
                              const gchar *format,
                              ...) G_GNUC_PRINTF (7, 8);

/* Always returns FALSE, so that a check can end with "return set_error_at". */
static gboolean
set_error_at (GError **error,
              DvrConfigError code,
              const ConfigParser *parser,
              guint line,
              const gchar *group,
              const gchar *key,
              const gchar *format,
              ...)
{
  g_autofree gchar *place = format_place (parser, line, group, key);
  g_autofree gchar *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DVR_CONFIG_ERROR, code, "%s%s", place, detail);
  return FALSE;
}

/* "... expected WHAT, got "VALUE"": the message for a value that does not
 * parse or is out of range. */
static gboolean
set_expected_error (GError **error,
                    const ConfigParser *parser,
                    guint line,
                    const gchar *group,
                    const gchar *key,
                    const gchar *what,
                    const gchar *value)
{
  g_autofree gchar *quoted = quote_text (value);
  return set_error_at (error, DVR_CONFIG_ERROR_INVALID_VALUE, parser, line,
                       group, key, "expected %s, got \"%s\"", what, quoted);
}

static gboolean
set_missing_error (GError **error,
                   const ConfigParser *parser,
                   const ScanGroup *group,
                   const gchar *group_name,
                   const gchar *key,
                   const gchar *what)
{
  return set_error_at (error, DVR_CONFIG_ERROR_MISSING_KEY, parser,
                       group != NULL ? group->line : 0, group_name, key,
                       "missing, expected %s", what);
}

static void
add_warning (ConfigParser *parser,
             guint line,
             const gchar *group,
             const gchar *key,
             const gchar *what)
{
  g_autofree gchar *place = format_place (parser, line, group, key);
  g_ptr_array_add (parser->config->warnings, g_strconcat (place, what, NULL));
}

/* "10", "2.5", "0.1": how a bound in nanoseconds is shown as seconds. */
static gchar *
format_seconds (gint64 ns)
{
  gint64 fraction = ns % DVR_NSEC_PER_SEC;
  g_autofree gchar *digits = NULL;

  if (fraction == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT, ns / DVR_NSEC_PER_SEC);
  digits = g_strdup_printf ("%09" G_GINT64_FORMAT, fraction);
  for (gsize i = strlen (digits); i > 0 && digits[i - 1] == '0'; i--)
    digits[i - 1] = '\0';
  return g_strdup_printf ("%" G_GINT64_FORMAT ".%s", ns / DVR_NSEC_PER_SEC, digits);
}

/* First pass over the raw text. */

static gboolean
set_syntax_error (GError **error,
                  const ConfigParser *parser,
                  guint line,
                  const gchar *text)
{
  g_autofree gchar *stripped = g_strstrip (g_strdup (text));
  g_autofree gchar *quoted = quote_text (stripped);
  return set_error_at (error, DVR_CONFIG_ERROR_SYNTAX, parser, line, NULL, NULL,
                       "syntax: expected [group], key = value or # comment, got \"%s\"",
                       quoted);
}

/* What GKeyFile accepts as a group name (g_key_file_is_group_name). */
static gboolean
is_group_name (const gchar *name)
{
  if (*name == '\0')
    return FALSE;
  for (const gchar *p = name; *p != '\0'; p++) {
    if (*p == '[' || *p == ']' || g_ascii_iscntrl (*p))
      return FALSE;
  }
  return TRUE;
}

/* Stricter than GKeyFile, which also takes inner spaces and "key[locale]":
 * neither is meaningful here, and both hide typing mistakes. */
static gboolean
is_key_name (const gchar *name)
{
  if (*name == '\0')
    return FALSE;
  for (const gchar *p = name; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  }
  return TRUE;
}

/* For "[camera NAME]" returns NAME as written (surrounding whitespace
 * removed), newly allocated; NULL for any other group. */
/* "camera front" -> "front" for @kind "camera"; NULL for other groups. */
static gchar *
name_from_group (const gchar *group, const gchar *kind)
{
  gsize prefix = strlen (kind);

  if (strncmp (group, kind, prefix) != 0)
    return NULL;
  if (group[prefix] != '\0' && group[prefix] != ' ' && group[prefix] != '\t')
    return NULL;
  return g_strstrip (g_strdup (group + prefix));
}

static gchar *
camera_name_from_group (const gchar *group)
{
  return name_from_group (group, GROUP_CAMERA_PREFIX);
}

static gboolean
scan_group_line (ConfigParser *parser,
                 const gchar *text,
                 guint line,
                 GHashTable *camera_lines,
                 ScanGroup **group_out,
                 GError **error)
{
  const gchar *close = strchr (text, ']');
  g_autofree gchar *name = NULL;
  g_autofree gchar *camera = NULL;
  g_autoptr(ScanGroup) group = NULL;

  if (close == NULL)
    return set_syntax_error (error, parser, line, text);
  /* GKeyFile allows only blanks after the bracket, not even a comment. */
  for (const gchar *p = close + 1; *p != '\0'; p++) {
    if (*p != ' ' && *p != '\t')
      return set_syntax_error (error, parser, line, text);
  }
  name = g_strndup (text + 1, close - text - 1);
  if (!is_group_name (name))
    return set_syntax_error (error, parser, line, text);

  /* "[camera front]", "[camera  front]" and "[ camera front ]" are three
   * GKeyFile groups but one camera, so groups are matched by meaning. */
  group = scan_group_new (name, line);
  camera = camera_name_from_group (group->canonical);
  if (camera == NULL && (camera = name_from_group (group->canonical, GROUP_SIGNAL_PREFIX))) {
    /* Signals and indicators share the lookup: keyed apart from cameras
     * by a prefix. */
    gchar *key = g_strconcat ("signal:", camera, NULL);
    g_free (camera);
    camera = key;
  }
  if (camera == NULL &&
      (camera = name_from_group (group->canonical, GROUP_INDICATOR_PREFIX))) {
    gchar *key = g_strconcat ("indicator:", camera, NULL);
    g_free (camera);
    camera = key;
  }
  if (camera != NULL) {
    guint first = GPOINTER_TO_UINT (g_hash_table_lookup (camera_lines, camera));
    if (first > 0)
      return set_error_at (error, DVR_CONFIG_ERROR_DUPLICATE, parser, line, name, NULL,
                           "duplicate %s, first defined at line %u",
                           g_str_has_prefix (camera, "signal:") ? "signal" :
                           g_str_has_prefix (camera, "indicator:") ? "indicator" : "camera",
                           first);
    g_hash_table_insert (camera_lines, g_steal_pointer (&camera), GUINT_TO_POINTER (line));
  } else {
    ScanGroup *first = g_hash_table_lookup (parser->group_index, group->canonical);
    if (first != NULL)
      return set_error_at (error, DVR_CONFIG_ERROR_DUPLICATE, parser, line, name, NULL,
                           "duplicate group, first defined at line %u", first->line);
  }

  g_hash_table_insert (parser->group_index, group->canonical, group);
  *group_out = group;
  g_ptr_array_add (parser->groups, g_steal_pointer (&group));
  return TRUE;
}

static gboolean
scan_key_line (ConfigParser *parser,
               const gchar *text,
               guint line,
               ScanGroup *group,
               GError **error)
{
  const gchar *equals = strchr (text, '=');
  g_autofree gchar *name = g_strchomp (g_strndup (text, equals - text));
  ScanKey *first;
  ScanKey *key;

  if (!is_key_name (name))
    return set_syntax_error (error, parser, line, text);
  if (group == NULL) {
    g_autofree gchar *stripped = g_strstrip (g_strdup (text));
    g_autofree gchar *quoted = quote_text (stripped);
    return set_error_at (error, DVR_CONFIG_ERROR_SYNTAX, parser, line, NULL, NULL,
                         "syntax: expected a [group] line before the first key, got \"%s\"",
                         quoted);
  }
  first = g_hash_table_lookup (group->key_index, name);
  if (first != NULL)
    return set_error_at (error, DVR_CONFIG_ERROR_DUPLICATE, parser, line, group->name, name,
                         "duplicate key, first set at line %u", first->line);

  key = g_new0 (ScanKey, 1);
  key->name = g_steal_pointer (&name);
  key->line = line;
  g_ptr_array_add (group->keys, key);
  g_hash_table_insert (group->key_index, key->name, key);
  return TRUE;
}

/* Mirrors g_key_file_parse_data(): lines end at '\n' (a '\r' before it is
 * dropped), leading whitespace is skipped, and a line is blank, a '#'
 * comment, a "[group]" or a "key = value". */
static gboolean
scan_text (ConfigParser *parser, const gchar *data, gsize length, GError **error)
{
  g_autoptr(GHashTable) camera_lines = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                              g_free, NULL);
  ScanGroup *group = NULL;
  const gchar *end = data + length;
  guint line = 0;

  for (const gchar *start = data; start < end; line++) {
    const gchar *newline = memchr (start, '\n', end - start);
    const gchar *next = newline != NULL ? newline + 1 : end;
    gsize line_length = (newline != NULL ? newline : end) - start;
    g_autofree gchar *text_owned = NULL;
    const gchar *text;

    if (newline != NULL && line_length > 0 && start[line_length - 1] == '\r')
      line_length--;
    if (memchr (start, '\0', line_length) != NULL)
      return set_error_at (error, DVR_CONFIG_ERROR_SYNTAX, parser, line + 1, NULL, NULL,
                           "syntax: expected text, got a NUL byte");
    text_owned = g_strndup (start, line_length);
    start = next;

    if (!g_utf8_validate (text_owned, -1, NULL)) {
      g_autofree gchar *quoted = quote_text (text_owned);
      return set_error_at (error, DVR_CONFIG_ERROR_SYNTAX, parser, line + 1, NULL, NULL,
                           "syntax: expected UTF-8 text, got \"%s\"", quoted);
    }
    text = text_owned;
    while (g_ascii_isspace (*text))
      text++;

    if (*text == '\0' || *text == '#')
      continue;
    if (*text == '[') {
      if (!scan_group_line (parser, text, line + 1, camera_lines, &group, error))
        return FALSE;
    } else if (strchr (text, '=') != NULL) {
      if (!scan_key_line (parser, text, line + 1, group, error))
        return FALSE;
    } else {
      return set_syntax_error (error, parser, line + 1, text);
    }
  }
  return TRUE;
}

/* Second pass: values. */

static void
warn_unknown_keys (ConfigParser *parser,
                   const ScanGroup *group,
                   const gchar *const *known)
{
  for (guint i = 0; i < group->keys->len; i++) {
    const ScanKey *key = g_ptr_array_index (group->keys, i);
    if (!g_strv_contains (known, key->name))
      add_warning (parser, key->line, group->name, key->name, "unknown key, ignored");
  }
}

/* Sets *value_out to the unescaped value with surrounding whitespace
 * removed, or NULL when @group (which may be NULL) has no @key, and
 * *line_out to the key's line, else the group's.  Fails only for text that
 * GKeyFile cannot unescape. */
static gboolean
lookup_value (ConfigParser *parser,
              const ScanGroup *group,
              const gchar *key,
              gchar **value_out,
              guint *line_out,
              GError **error)
{
  const ScanKey *scan_key = group != NULL ? g_hash_table_lookup (group->key_index, key) : NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree gchar *value = NULL;

  *value_out = NULL;
  *line_out = group != NULL ? group->line : 0;
  if (scan_key == NULL)
    return TRUE;
  *line_out = scan_key->line;

  value = g_key_file_get_string (parser->key_file, group->name, key, &local_error);
  if (value == NULL) {
    g_autofree gchar *raw = g_key_file_get_value (parser->key_file, group->name, key, NULL);
    return set_expected_error (error, parser, scan_key->line, group->name, key,
                               "text with valid escapes (\\s \\t \\n \\\\)",
                               raw != NULL ? raw : "");
  }
  *value_out = g_strstrip (g_steal_pointer (&value));
  return TRUE;
}

/* Digits only: unlike g_ascii_string_to_unsigned() no sign, no blanks. */
static gboolean
parse_uint (const gchar *text, guint64 max, guint64 *value_out)
{
  guint64 value = 0;

  if (*text == '\0')
    return FALSE;
  for (const gchar *p = text; *p != '\0'; p++) {
    guint64 digit;

    if (!g_ascii_isdigit (*p))
      return FALSE;
    digit = (guint64) (*p - '0');
    /* Checked before it is computed, so that a @max near G_MAXUINT64
     * cannot wrap. */
    if (value > max / 10 || digit > max - value * 10)
      return FALSE;
    value = value * 10 + digit;
  }
  *value_out = value;
  return TRUE;
}

/* "10", "2.5", "0.040": seconds to nanoseconds exactly, without going
 * through a double; no sign, exponent or more than 9 decimals. */
static gboolean
parse_seconds (const gchar *text, gint64 *ns_out)
{
  const gchar *dot = strchr (text, '.');
  g_autofree gchar *whole_text = g_strndup (text, strcspn (text, "."));
  guint64 whole;
  guint64 fraction = 0;

  /* 10^6 s keeps the nanoseconds far inside a gint64. */
  if (!parse_uint (whole_text, 1000000, &whole))
    return FALSE;
  if (dot != NULL) {
    gsize decimals = strlen (dot + 1);
    if (decimals == 0 || decimals > 9 || !parse_uint (dot + 1, G_MAXUINT64, &fraction))
      return FALSE;
    for (gsize i = decimals; i < 9; i++)
      fraction *= 10;
  }
  *ns_out = (gint64) whole * DVR_NSEC_PER_SEC + (gint64) fraction;
  return TRUE;
}

/* "5%", "2.5%": a percentage, as a fraction of one.  The number has the
 * form of a time, so parse_seconds() reads it exactly, in billionths. */
static gboolean
parse_percent (const gchar *text, gdouble *fraction_out)
{
  gsize length = strlen (text);
  g_autofree gchar *number = NULL;
  gint64 billionths;

  if (length == 0 || text[length - 1] != '%')
    return FALSE;
  number = g_strchomp (g_strndup (text, length - 1));
  if (!parse_seconds (number, &billionths))
    return FALSE;
  *fraction_out = (gdouble) billionths / 1e11;
  return TRUE;
}

/* "1073741824", "512M", "2G": bytes, or a whole number with a binary
 * suffix K, M, G or T (1K = 1024, either case). */
static gboolean
parse_size (const gchar *text, guint64 *bytes_out)
{
  static const gchar suffixes[] = "KMGT";
  gsize length = strlen (text);
  g_autofree gchar *number = NULL;
  const gchar *suffix;
  guint shift = 0;
  guint64 value;

  if (length == 0)
    return FALSE;
  suffix = strchr (suffixes, g_ascii_toupper (text[length - 1]));
  if (suffix != NULL && *suffix != '\0') {
    shift = 10 * (guint) (suffix - suffixes + 1);
    length--;
  }
  number = g_strndup (text, length);
  if (!parse_uint (number, G_MAXUINT64 >> shift, &value))
    return FALSE;
  *bytes_out = value << shift;
  return TRUE;
}

/* Leaves *ns_inout (the default) alone when the key is absent. */
static gboolean
get_seconds (ConfigParser *parser,
             const ScanGroup *group,
             const gchar *key,
             gint64 min_ns,
             gint64 max_ns,
             gint64 *ns_inout,
             guint *line_out,
             GError **error)
{
  g_autofree gchar *value = NULL;
  gint64 ns;

  if (!lookup_value (parser, group, key, &value, line_out, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!parse_seconds (value, &ns) || ns < min_ns || ns > max_ns) {
    g_autofree gchar *min_text = format_seconds (min_ns);
    g_autofree gchar *max_text = format_seconds (max_ns);
    g_autofree gchar *what = g_strdup_printf ("seconds between %s and %s", min_text, max_text);
    return set_expected_error (error, parser, *line_out, group->name, key, what, value);
  }
  *ns_inout = ns;
  return TRUE;
}

static gboolean
get_uint (ConfigParser *parser,
          const ScanGroup *group,
          const gchar *key,
          const gchar *unit,
          guint min,
          guint max,
          guint *value_inout,
          GError **error)
{
  g_autofree gchar *value = NULL;
  guint line;
  guint64 number;

  if (!lookup_value (parser, group, key, &value, &line, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!parse_uint (value, max, &number) || number < min) {
    g_autofree gchar *what = g_strdup_printf ("%s between %u and %u", unit, min, max);
    return set_expected_error (error, parser, line, group->name, key, what, value);
  }
  *value_inout = (guint) number;
  return TRUE;
}

/* *index_inout becomes the position of the value in @choices. */
static gboolean
get_choice (ConfigParser *parser,
            const ScanGroup *group,
            const gchar *key,
            const gchar *const *choices,
            guint *index_inout,
            GError **error)
{
  g_autofree gchar *value = NULL;
  g_autofree gchar *list = NULL;
  g_autofree gchar *what = NULL;
  guint line;

  if (!lookup_value (parser, group, key, &value, &line, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  for (guint i = 0; choices[i] != NULL; i++) {
    if (g_str_equal (value, choices[i])) {
      *index_inout = i;
      return TRUE;
    }
  }
  list = g_strjoinv (", ", (gchar **) choices);
  what = g_strdup_printf ("one of %s", list);
  return set_expected_error (error, parser, line, group->name, key, what, value);
}

static gboolean
is_unit_id (const gchar *text)
{
  gsize length = strlen (text);

  if (length == 0 || length > UNIT_ID_MAX_LENGTH)
    return FALSE;
  for (const gchar *p = text; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  }
  return TRUE;
}

/* What [recorder] storage must be. */
static const gchar *
storage_what (const ConfigParser *parser)
{
  return parser->config->storage_removable ? "the absolute path of the removable drive's mount "
                                             "point" : "the absolute path of an existing folder";
}

/* With [storage] removable the folder is a mount point that need not
 * exist yet: systemd-mount makes it when a drive first comes, and a unit
 * that boots without its drive records into the fallback meanwhile.
 * Only a path that is there and is not a folder is refused then. */
static gboolean
check_storage (ConfigParser *parser,
               const ScanGroup *group,
               const gchar *path,
               guint line,
               GError **error)
{
  g_autofree gchar *quoted = quote_text (path);
  struct stat st;

  if (!g_path_is_absolute (path))
    return set_expected_error (error, parser, line, GROUP_RECORDER, "storage",
                               storage_what (parser), path);
  if (stat (path, &st) != 0) {
    int saved_errno = errno;
    if (saved_errno == ENOENT && parser->config->storage_removable)
      return TRUE;
    if (saved_errno == ENOENT || saved_errno == ENOTDIR)
      return set_error_at (error, DVR_CONFIG_ERROR_STORAGE, parser, line, GROUP_RECORDER,
                           "storage", "\"%s\" does not exist (expected an existing folder)",
                           quoted);
    return set_error_at (error, DVR_CONFIG_ERROR_STORAGE, parser, line, GROUP_RECORDER,
                         "storage", "\"%s\" cannot be checked: %s (expected an existing folder)",
                         quoted, g_strerror (saved_errno));
  }
  if (!S_ISDIR (st.st_mode))
    return set_error_at (error, DVR_CONFIG_ERROR_STORAGE, parser, line, GROUP_RECORDER,
                         "storage", "\"%s\" is not a folder (expected an existing folder)",
                         quoted);
  return TRUE;
}

/* @group is NULL when the file has no [recorder]: storage is then missing. */
static gboolean
parse_recorder (ConfigParser *parser, const ScanGroup *group, GError **error)
{
  DvrConfig *config = parser->config;
  g_autofree gchar *unit_id = NULL;
  g_autofree gchar *storage = NULL;
  guint line;
  guint min_line;
  guint max_line;

  if (group != NULL)
    warn_unknown_keys (parser, group, recorder_keys);

  if (!lookup_value (parser, group, "unit-id", &unit_id, &line, error))
    return FALSE;
  if (unit_id != NULL) {
    if (!is_unit_id (unit_id))
      return set_expected_error (error, parser, line, GROUP_RECORDER, "unit-id",
                                 "1 to 64 characters A-Z a-z 0-9 . _ -", unit_id);
    g_free (config->unit_id);
    config->unit_id = g_steal_pointer (&unit_id);
  }

  if (!lookup_value (parser, group, "storage", &storage, &line, error))
    return FALSE;
  if (storage == NULL)
    return set_missing_error (error, parser, group, GROUP_RECORDER, "storage",
                              storage_what (parser));
  if (!check_storage (parser, group, storage, line, error))
    return FALSE;
  config->storage_root = g_canonicalize_filename (storage, NULL);

  if (!get_seconds (parser, group, "segment-length", SEGMENT_MIN_NS, SEGMENT_MAX_NS,
                    &config->segment_ns, &line, error))
    return FALSE;
  if (!get_seconds (parser, group, "stall-timeout", STALL_TIMEOUT_MIN_NS, STALL_TIMEOUT_MAX_NS,
                    &config->stall_timeout_ns, &line, error))
    return FALSE;
  if (!get_seconds (parser, group, "restart-backoff-min", RESTART_BACKOFF_MIN_NS,
                    RESTART_BACKOFF_MAX_NS, &config->restart_backoff_min_ns, &min_line, error))
    return FALSE;
  if (!get_seconds (parser, group, "restart-backoff-max", RESTART_BACKOFF_MIN_NS,
                    RESTART_BACKOFF_MAX_NS, &config->restart_backoff_max_ns, &max_line, error))
    return FALSE;

  if (!get_choice (parser, group, "speed-units", speed_units, &config->speed_units, error))
    return FALSE;

  if (config->restart_backoff_max_ns < config->restart_backoff_min_ns) {
    g_autofree gchar *min_text = format_seconds (config->restart_backoff_min_ns);
    g_autofree gchar *max_text = format_seconds (config->restart_backoff_max_ns);
    g_autofree gchar *what = NULL;

    /* Blame the key that was written: with max left at its default, the
     * mistake is the min. */
    if (g_hash_table_contains (group->key_index, "restart-backoff-max")) {
      what = g_strdup_printf ("seconds >= restart-backoff-min (%s)", min_text);
      return set_expected_error (error, parser, max_line, GROUP_RECORDER,
                                 "restart-backoff-max", what, max_text);
    }
    what = g_strdup_printf ("seconds <= restart-backoff-max (%s)", max_text);
    return set_expected_error (error, parser, min_line, GROUP_RECORDER,
                               "restart-backoff-min", what, min_text);
  }
  return TRUE;
}

static gboolean
parse_control (ConfigParser *parser, const ScanGroup *group, GError **error)
{
  DvrConfig *config = parser->config;
  g_autofree gchar *socket_path = NULL;
  g_autofree gchar *mode = NULL;
  guint line;

  warn_unknown_keys (parser, group, control_keys);

  if (!lookup_value (parser, group, "socket", &socket_path, &line, error))
    return FALSE;
  if (socket_path != NULL) {
    /* The path has to fit struct sockaddr_un, NUL included. */
    gsize max_length = sizeof (((struct sockaddr_un *) NULL)->sun_path) - 1;
    if (!g_path_is_absolute (socket_path) || strlen (socket_path) > max_length) {
      g_autofree gchar *what = g_strdup_printf ("an absolute path of at most %" G_GSIZE_FORMAT
                                                " bytes", max_length);
      return set_expected_error (error, parser, line, GROUP_CONTROL, "socket", what,
                                 socket_path);
    }
    g_free (config->control_socket);
    config->control_socket = g_steal_pointer (&socket_path);
  }

  if (!lookup_value (parser, group, "socket-mode", &mode, &line, error))
    return FALSE;
  if (mode != NULL) {
    guint mode_value = 0;
    gboolean octal = *mode != '\0' && strlen (mode) <= 4;

    /* Digits only, so "660" and "0660" mean the same and "0o660", "-1" or
     * "0x1b0" are refused rather than half-parsed by strtoul. */
    for (const gchar *p = mode; octal && *p != '\0'; p++) {
      octal = *p >= '0' && *p <= '7';
      mode_value = mode_value * 8 + (guint) (*p - '0');
    }
    if (!octal || mode_value > 0777)
      return set_expected_error (error, parser, line, GROUP_CONTROL, "socket-mode",
                                 "octal permissions from 0000 to 0777 such as 0660", mode);
    config->control_socket_mode = mode_value;
  }
  return TRUE;
}

static gboolean
is_camera_name (const gchar *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > CAMERA_NAME_MAX_LENGTH)
    return FALSE;
  for (const gchar *p = name; *p != '\0'; p++) {
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_' && *p != '-')
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_camera_source (ConfigParser *parser,
                     const ScanGroup *group,
                     DvrCameraConfig *camera,
                     GError **error)
{
  g_autofree gchar *source = NULL;
  guint line;

  if (!lookup_value (parser, group, "source", &source, &line, error))
    return FALSE;
  if (source == NULL)
    return set_missing_error (error, parser, group, group->name, "source",
                              "a device path (/dev/...), test or replay:FILE");

  if (source[0] == '/') {
    /* A device that is absent now may be plugged in later: the daemon
     * retries, so only the form is checked here. */
    camera->kind = DVR_SOURCE_KIND_V4L2;
    camera->location = g_strdup (source);
  } else if (g_str_equal (source, "test")) {
    camera->kind = DVR_SOURCE_KIND_TEST;
  } else if (g_str_has_prefix (source, "replay:")) {
    g_autofree gchar *file = g_strstrip (g_strdup (source + strlen ("replay:")));
    g_autofree gchar *quoted = quote_text (file);
    struct stat st;

    if (!g_path_is_absolute (file))
      return set_expected_error (error, parser, line, group->name, "source",
                                 "replay:FILE with the absolute path of an existing file",
                                 source);
    if (stat (file, &st) != 0) {
      int saved_errno = errno;
      return set_error_at (error, DVR_CONFIG_ERROR_INVALID_VALUE, parser, line, group->name,
                           "source", "replay file \"%s\": %s (expected an existing file)",
                           quoted, g_strerror (saved_errno));
    }
    /* A named pipe is accepted: another program can feed a live stream
     * (it cannot loop, and a silent writer is a stalled camera). */
    if (!S_ISREG (st.st_mode) && !S_ISFIFO (st.st_mode))
      return set_error_at (error, DVR_CONFIG_ERROR_INVALID_VALUE, parser, line, group->name,
                           "source", "replay file \"%s\" is not a regular file "
                           "(expected an existing file or named pipe)", quoted);
    camera->kind = DVR_SOURCE_KIND_REPLAY;
    camera->location = g_steal_pointer (&file);
  } else {
    g_autofree gchar *quoted = quote_text (source);
    return set_error_at (error, DVR_CONFIG_ERROR_INVALID_VALUE, parser, line, group->name,
                         "source", "unknown camera source, expected a device path (/dev/...), "
                         "test or replay:FILE, got \"%s\"", quoted);
  }
  camera->source = g_steal_pointer (&source);
  return TRUE;
}

/* "N/D" or "N", with N and D > 0 and N/D between 1 and 240 fps. */
static gboolean
parse_framerate (const gchar *text, gint *n_out, gint *d_out)
{
  const gchar *slash = strchr (text, '/');
  g_autofree gchar *n_text = g_strndup (text, strcspn (text, "/"));
  guint64 n;
  guint64 d = 1;

  if (!parse_uint (n_text, G_MAXINT, &n))
    return FALSE;
  if (slash != NULL && !parse_uint (slash + 1, G_MAXINT, &d))
    return FALSE;
  if (n == 0 || d == 0 || n < d || n > FRAMERATE_MAX_FPS * d)
    return FALSE;
  *n_out = (gint) n;
  *d_out = (gint) d;
  return TRUE;
}

static void
add_control (DvrCameraConfig *camera, guint32 id, gint32 value)
{
  DvrControlValue control = { .id = id, .value = value };
  g_array_append_val (camera->controls, control);
}

/* A control set by name: the value is its index in @choices. */
static gboolean
get_control_choice (ConfigParser *parser,
                    const ScanGroup *group,
                    DvrCameraConfig *camera,
                    const gchar *key,
                    guint32 id,
                    const gchar *const *choices,
                    GError **error)
{
  guint index = G_MAXUINT;

  if (!get_choice (parser, group, key, choices, &index, error))
    return FALSE;
  if (index != G_MAXUINT)
    add_control (camera, id, (gint32) index);
  return TRUE;
}

/* A control set as a number; the camera's own range is checked at start. */
static gboolean
get_control_int (ConfigParser *parser,
                 const ScanGroup *group,
                 DvrCameraConfig *camera,
                 const gchar *key,
                 guint32 id,
                 GError **error)
{
  g_autofree gchar *value = NULL;
  guint line;
  guint64 number;
  gboolean negative;

  if (!lookup_value (parser, group, key, &value, &line, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  negative = value[0] == '-';
  if (!parse_uint (value + (negative ? 1 : 0), G_MAXINT32, &number))
    return set_expected_error (error, parser, line, group->name, key,
                               "an integer in the camera's range (dvrd --probe shows it)",
                               value);
  add_control (camera, id, negative ? -(gint32) number : (gint32) number);
  return TRUE;
}

static gboolean
parse_camera (ConfigParser *parser,
              const ScanGroup *group,
              const gchar *name,
              guint index,
              GError **error)
{
  DvrCameraConfig *camera;
  g_autofree gchar *framerate = NULL;
  g_autofree gchar *pattern = NULL;
  guint line;
  guint record = DEFAULT_RECORD;
  guint encoder = 0;
  guint mjpeg = 0;

  if (!is_camera_name (name)) {
    g_autofree gchar *quoted = quote_text (name);
    return set_error_at (error, DVR_CONFIG_ERROR_INVALID_VALUE, parser, group->line,
                         group->name, NULL,
                         "expected a camera name of 1 to 32 characters a-z 0-9 _ -, got \"%s\"",
                         quoted);
  }
  warn_unknown_keys (parser, group, camera_keys);

  /* Added first so that dvr_config_free() owns it whatever fails next. */
  camera = g_new0 (DvrCameraConfig, 1);
  g_ptr_array_add (parser->config->cameras, camera);
  camera->name = g_strdup (name);
  camera->index = index;
  camera->width = DEFAULT_WIDTH;
  camera->height = DEFAULT_HEIGHT;
  camera->framerate_n = DEFAULT_FRAMERATE_N;
  camera->framerate_d = DEFAULT_FRAMERATE_D;
  camera->bitrate_kbps = DEFAULT_BITRATE_KBPS;

  if (!parse_camera_source (parser, group, camera, error))
    return FALSE;
  if (!get_uint (parser, group, "width", "pixels", WIDTH_MIN, WIDTH_MAX,
                 &camera->width, error))
    return FALSE;
  if (!get_uint (parser, group, "height", "pixels", HEIGHT_MIN, HEIGHT_MAX,
                 &camera->height, error))
    return FALSE;

  if (!lookup_value (parser, group, "framerate", &framerate, &line, error))
    return FALSE;
  if (framerate != NULL &&
      !parse_framerate (framerate, &camera->framerate_n, &camera->framerate_d))
    return set_expected_error (error, parser, line, group->name, "framerate",
                               "N/D or N frames per second, N and D > 0, between 1 and 240",
                               framerate);

  if (!get_choice (parser, group, "record", record_modes, &record, error))
    return FALSE;
  camera->record = (DvrRecordMode) record;
  if (!get_choice (parser, group, "encoder", encoders, &encoder, error))
    return FALSE;
  camera->encoder = g_strdup (encoders[encoder]);
  if (!get_choice (parser, group, "mjpeg", mjpeg_modes, &mjpeg, error))
    return FALSE;
  camera->watermark = FALSE;
  {
    guint watermark = 0;
    if (!get_choice (parser, group, "watermark", booleans, &watermark, error))
      return FALSE;
    camera->watermark = watermark == 1;
  }
  camera->transcode_mjpeg = mjpeg == 1;
  camera->controls = g_array_new (FALSE, FALSE, sizeof (DvrControlValue));
  if (!get_control_choice (parser, group, camera, "power-line-frequency",
                           V4L2_CID_POWER_LINE_FREQUENCY, power_line_values, error) ||
      !get_control_choice (parser, group, camera, "exposure", V4L2_CID_EXPOSURE_AUTO,
                           exposure_values, error) ||
      !get_control_choice (parser, group, camera, "white-balance", V4L2_CID_AUTO_WHITE_BALANCE,
                           white_balance_values, error) ||
      !get_control_int (parser, group, camera, "brightness", V4L2_CID_BRIGHTNESS, error))
    return FALSE;
  if (camera->kind != DVR_SOURCE_KIND_V4L2 && camera->controls->len > 0)
    add_warning (parser, group->line, group->name, NULL,
                 "camera controls (power-line-frequency, exposure, white-balance, "
                 "brightness) only apply to V4L2 cameras, ignored");
  if (!get_uint (parser, group, "bitrate", "kbit/s", BITRATE_MIN_KBPS, BITRATE_MAX_KBPS,
                 &camera->bitrate_kbps, error))
    return FALSE;

  /* A keyframe every half second by default.  splitmuxsink hands the
   * muxer a GOP only once the next keyframe is in, so a kill -9 loses up to
   * a GOP and a frame of each camera: half a second keeps that under the
   * 1 s issue 8 allows (measured by tests/powerloss/torture-test.c; with 1 s
   * GOPs a kill lost 1.1 s at 10 fps).  It also lets a clip cut anywhere
   * start within half a second of the wanted time. */
  camera->keyframe_interval = (guint) ((camera->framerate_n + 2 * camera->framerate_d - 1) /
                                       (2 * camera->framerate_d));
  if (!get_uint (parser, group, "keyframe-interval", "frames", KEYFRAME_INTERVAL_MIN,
                 KEYFRAME_INTERVAL_MAX, &camera->keyframe_interval, error))
    return FALSE;

  {
    guint events = 1;
    if (!get_choice (parser, group, "events", booleans, &events, error))
      return FALSE;
    camera->events = events == 1;
  }
  /* -1 until resolved: [events] may come after the cameras, so its
   * defaults fill in once every group is parsed (parse_groups). */
  camera->pre_event_ns = -1;
  camera->post_event_ns = -1;
  if (!get_seconds (parser, group, "pre-event", 0, EVENT_TIME_MAX_NS, &camera->pre_event_ns,
                    &line, error) ||
      !get_seconds (parser, group, "post-event", 0, EVENT_TIME_MAX_NS, &camera->post_event_ns,
                    &line, error))
    return FALSE;

  if (!lookup_value (parser, group, "pattern", &pattern, &line, error))
    return FALSE;
  if (camera->kind == DVR_SOURCE_KIND_TEST) {
    guint cycle = G_N_ELEMENTS (default_test_patterns);

    if (pattern == NULL)
      camera->pattern = g_strdup (default_test_patterns[index % cycle]);
    else if (g_strv_contains (test_patterns, pattern))
      camera->pattern = g_steal_pointer (&pattern);
    else
      return set_expected_error (error, parser, line, group->name, "pattern",
                                 "a videotestsrc pattern such as smpte, ball, snow, pinwheel, "
                                 "spokes, gradient, colors, zone-plate", pattern);
  } else if (pattern != NULL) {
    add_warning (parser, line, group->name, "pattern", "only used with source = test, ignored");
  }
  return TRUE;
}

static gboolean
parse_gps (ConfigParser *parser, const ScanGroup *group, GError **error)
{
  DvrConfig *config = parser->config;
  g_autofree gchar *gpsd = NULL;
  guint line;

  warn_unknown_keys (parser, group, gps_keys);
  if (!lookup_value (parser, group, "gpsd", &gpsd, &line, error))
    return FALSE;
  if (gpsd != NULL) {
    const gchar *colon = strrchr (gpsd, ':');
    guint64 port = 0;
    g_clear_pointer (&config->gpsd_host, g_free);
    g_clear_pointer (&config->gpsd_port, g_free);
    if (!g_str_equal (gpsd, "none")) {
      if (colon == NULL || colon == gpsd || !parse_uint (colon + 1, 65535, &port) || port == 0)
        return set_expected_error (error, parser, line, GROUP_GPS, "gpsd",
                                   "HOST:PORT of gpsd such as localhost:2947, or none", gpsd);
      config->gpsd_host = g_strndup (gpsd, colon - gpsd);
      config->gpsd_port = g_strdup (colon + 1);
    }
  }
  return get_seconds (parser, group, "clock-offset-threshold", CLOCK_OFFSET_THRESHOLD_MIN_NS,
                      CLOCK_OFFSET_THRESHOLD_MAX_NS, &config->clock_offset_threshold_ns, &line,
                      error);
}

static gboolean
parse_events (ConfigParser *parser, const ScanGroup *group, GError **error)
{
  g_autofree gchar *max_duration = NULL;
  guint line;
  gint64 ns;

  warn_unknown_keys (parser, group, events_keys);
  if (!get_seconds (parser, group, "pre-event", 0, EVENT_TIME_MAX_NS, &parser->pre_event_ns,
                    &line, error) ||
      !get_seconds (parser, group, "post-event", 0, EVENT_TIME_MAX_NS, &parser->post_event_ns,
                    &line, error))
    return FALSE;

  /* 0 means no limit; a limit under a second is a mistake, not a wish. */
  if (!lookup_value (parser, group, "max-duration", &max_duration, &line, error))
    return FALSE;
  if (max_duration != NULL) {
    if (!parse_seconds (max_duration, &ns) || (ns != 0 && ns < MAX_EVENT_MIN_NS) ||
        ns > EVENT_TIME_MAX_NS) {
      g_autofree gchar *min_text = format_seconds (MAX_EVENT_MIN_NS);
      g_autofree gchar *max_text = format_seconds (EVENT_TIME_MAX_NS);
      g_autofree gchar *what = g_strdup_printf ("0 (no limit) or seconds between %s and %s",
                                                min_text, max_text);
      return set_expected_error (error, parser, line, GROUP_EVENTS, "max-duration", what,
                                 max_duration);
    }
    parser->config->max_event_ns = ns;
  }
  return TRUE;
}

static gboolean get_boolean (ConfigParser *parser,
                             const ScanGroup *group,
                             const gchar *key,
                             gboolean *value_inout,
                             GError **error);

static gboolean
parse_retention (ConfigParser *parser, const ScanGroup *group, GError **error)
{
  DvrConfig *config = parser->config;
  g_autofree gchar *min_free = NULL;
  g_autofree gchar *max_sweep = NULL;
  guint line;

  warn_unknown_keys (parser, group, retention_keys);

  if (!lookup_value (parser, group, "min-free", &min_free, &line, error))
    return FALSE;
  if (min_free != NULL) {
    guint64 bytes = 0;
    gdouble fraction = 0.0;
    gboolean valid;

    if (g_str_has_suffix (min_free, "%"))
      valid = parse_percent (min_free, &fraction) && fraction > 0.0 && fraction < 1.0;
    else
      valid = parse_size (min_free, &bytes) && bytes >= MIN_FREE_MIN_BYTES;
    if (!valid)
      return set_expected_error (error, parser, line, GROUP_RETENTION, "min-free",
                                 "a size of at least 32M (bytes, or with a suffix K, M, G or T; "
                                 "1K = 1024) or a percentage of the drive above 0 and below "
                                 "100, such as 2G or 5%", min_free);
    config->min_free_bytes = bytes;
    config->min_free_fraction = fraction;
  }

  if (!lookup_value (parser, group, "max-sweep", &max_sweep, &line, error))
    return FALSE;
  if (max_sweep != NULL) {
    gdouble fraction;

    if (!parse_percent (max_sweep, &fraction) || fraction <= 0.0 || fraction > 1.0)
      return set_expected_error (error, parser, line, GROUP_RETENTION, "max-sweep",
                                 "a percentage of the drive above 0 and at most 100, such as 10%",
                                 max_sweep);
    config->max_sweep_fraction = fraction;
  }
  return get_boolean (parser, group, "reclaim-exported", &config->reclaim_exported, error);
}

static gboolean
get_boolean (ConfigParser *parser,
             const ScanGroup *group,
             const gchar *key,
             gboolean *value_inout,
             GError **error)
{
  guint index = *value_inout ? 1 : 0;

  if (!get_choice (parser, group, key, booleans, &index, error))
    return FALSE;
  *value_inout = index == 1;
  return TRUE;
}

/* A decimal number ("80", "0.5") from @min to @max (whole units; above
 * @min when @min_exclusive), exactly: it has the form of a time, so
 * parse_seconds() reads it, in billionths.  Leaves *value_inout (the
 * default) alone when the key is absent; *present_out tells which. */
static gboolean
get_decimal (ConfigParser *parser,
             const ScanGroup *group,
             const gchar *key,
             const gchar *what,
             gint64 min,
             gboolean min_exclusive,
             gint64 max,
             gdouble *value_inout,
             gboolean *present_out,
             GError **error)
{
  g_autofree gchar *value = NULL;
  gint64 billionths;
  guint line;

  if (present_out != NULL)
    *present_out = FALSE;
  if (!lookup_value (parser, group, key, &value, &line, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!parse_seconds (value, &billionths) ||
      billionths < min * DVR_NSEC_PER_SEC ||
      (min_exclusive && billionths == min * DVR_NSEC_PER_SEC) ||
      billionths > max * DVR_NSEC_PER_SEC)
    return set_expected_error (error, parser, line, group->name, key, what, value);
  *value_inout = (gdouble) billionths / DVR_NSEC_PER_SEC;
  if (present_out != NULL)
    *present_out = TRUE;
  return TRUE;
}

/* A device node: only its form is checked (it may be plugged in later). */
static gboolean
get_device_path (ConfigParser *parser,
                 const ScanGroup *group,
                 const gchar *key,
                 const gchar *what,
                 gchar **path_out,
                 GError **error)
{
  g_autofree gchar *value = NULL;
  guint line;

  if (!lookup_value (parser, group, key, &value, &line, error))
    return FALSE;
  if (value == NULL)
    return set_missing_error (error, parser, group, group->name, key, what);
  if (!g_path_is_absolute (value))
    return set_expected_error (error, parser, line, group->name, key, what, value);
  *path_out = g_steal_pointer (&value);
  return TRUE;
}

/* A required GPIO chip and line. */
static gboolean
get_gpio_line (ConfigParser *parser,
               const ScanGroup *group,
               gchar **chip_out,
               guint *line_out,
               GError **error)
{
  g_autofree gchar *chip = NULL;
  guint line;

  if (!lookup_value (parser, group, "chip", &chip, &line, error))
    return FALSE;
  if (chip == NULL || *chip == '\0') {
    const gchar *what = "a GPIO chip: gpiochipN, /dev/gpiochipN or the chip's label";
    if (chip == NULL)
      return set_missing_error (error, parser, group, group->name, "chip", what);
    return set_expected_error (error, parser, line, group->name, "chip", what, chip);
  }
  if (!g_hash_table_contains (group->key_index, "line")) {
    g_autofree gchar *what = g_strdup_printf ("a line offset on the chip between 0 and %u",
                                              GPIO_LINE_MAX);
    return set_missing_error (error, parser, group, group->name, "line", what);
  }
  if (!get_uint (parser, group, "line", "a line offset on the chip", 0, GPIO_LINE_MAX,
                 line_out, error))
    return FALSE;
  *chip_out = g_steal_pointer (&chip);
  return TRUE;
}

/* "KEY_PROG1", "BTN_TRIGGER_HAPPY7", "SW_LID", "LED_MISC", or a number,
 * which is of @number_type and at most @number_max.  Only names of the
 * types in @types (a bit per EV_* type) are accepted. */
static gboolean
parse_evdev_code (const gchar *text,
                  guint types,
                  guint number_type,
                  guint number_max,
                  guint *type_out,
                  guint *code_out)
{
  guint64 number;

  if (g_ascii_isdigit (*text)) {
    if (!parse_uint (text, number_max, &number))
      return FALSE;
    *type_out = number_type;
    *code_out = (guint) number;
    return TRUE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (evdev_code_names); i++) {
    if ((types & (1u << evdev_code_names[i].type)) &&
        g_str_equal (text, evdev_code_names[i].name)) {
      *type_out = evdev_code_names[i].type;
      *code_out = evdev_code_names[i].code;
      return TRUE;
    }
  }
  if ((types & (1u << EV_KEY)) && g_str_has_prefix (text, TRIGGER_HAPPY_PREFIX) &&
      text[strlen (TRIGGER_HAPPY_PREFIX)] != '0' &&
      parse_uint (text + strlen (TRIGGER_HAPPY_PREFIX), TRIGGER_HAPPY_COUNT, &number) &&
      number >= 1) {
    *type_out = EV_KEY;
    *code_out = BTN_TRIGGER_HAPPY1 + (guint) number - 1;
    return TRUE;
  }
  return FALSE;
}

/* The keys every physical input has: debounce, the button and, for
 * evdev and gpio, polarity. */
static gboolean
parse_signal_physical (ConfigParser *parser,
                       const ScanGroup *group,
                       DvrSignalConfig *signal,
                       GError **error)
{
  guint line;

  /* Contacts wired to a GPIO bounce; a USB key or an I/O module reports
   * clean levels. */
  signal->debounce_ns = signal->source == DVR_SIGNAL_SOURCE_GPIO ? DEFAULT_GPIO_DEBOUNCE_NS : 0;
  if (!get_seconds (parser, group, "debounce", 0, DEBOUNCE_MAX_NS, &signal->debounce_ns,
                    &line, error))
    return FALSE;
  if (signal->source != DVR_SIGNAL_SOURCE_SERIAL &&
      !get_boolean (parser, group, "active-low", &signal->active_low, error))
    return FALSE;
  if (!get_boolean (parser, group, "button", &signal->button, error))
    return FALSE;
  signal->long_press_ns = DEFAULT_LONG_PRESS_NS;
  /* [storage] eject-button is known already (parse_groups() reads it
   * first); that it is not also the event button is checked at the end. */
  if (signal->button ||
      (parser->config->eject_signal != NULL &&
       g_str_equal (parser->config->eject_signal, signal->name))) {
    if (!get_seconds (parser, group, "long-press", LONG_PRESS_MIN_NS, LONG_PRESS_MAX_NS,
                      &signal->long_press_ns, &line, error))
      return FALSE;
  } else if (g_hash_table_contains (group->key_index, "long-press")) {
    const ScanKey *key = g_hash_table_lookup (group->key_index, "long-press");
    add_warning (parser, key->line, group->name, "long-press",
                 "only used with button = true or as [storage] eject-button, ignored");
  }
  return TRUE;
}

static gboolean
parse_signal_evdev (ConfigParser *parser,
                    const ScanGroup *group,
                    DvrSignalConfig *signal,
                    GError **error)
{
  const gchar *code_what = "a KEY_*, BTN_* or SW_* name such as KEY_PROG1, BTN_0 or SW_LID "
                           "(linux/input-event-codes.h), or a key code from 0 to 767";
  g_autofree gchar *code = NULL;
  guint line;

  if (!get_device_path (parser, group, "device",
                        "the absolute path of an input device such as /dev/dvr/button",
                        &signal->device, error))
    return FALSE;
  if (!lookup_value (parser, group, "code", &code, &line, error))
    return FALSE;
  if (code == NULL)
    return set_missing_error (error, parser, group, group->name, "code", code_what);
  if (!parse_evdev_code (code, (1u << EV_KEY) | (1u << EV_SW), EV_KEY, KEY_MAX,
                         &signal->code_type, &signal->code))
    return set_expected_error (error, parser, line, group->name, "code", code_what, code);
  return parse_signal_physical (parser, group, signal, error);
}

static gboolean
parse_signal_gpio (ConfigParser *parser,
                   const ScanGroup *group,
                   DvrSignalConfig *signal,
                   GError **error)
{
  if (!get_gpio_line (parser, group, &signal->chip, &signal->line, error))
    return FALSE;
  /* The kernel hands a line to one requester: the second would fail at
   * every start. */
  for (guint i = 0; i + 1 < parser->config->signals->len; i++) {
    const DvrSignalConfig *other = g_ptr_array_index (parser->config->signals, i);
    if (other->source == DVR_SIGNAL_SOURCE_GPIO && g_str_equal (other->chip, signal->chip) &&
        other->line == signal->line) {
      const ScanKey *key = g_hash_table_lookup (group->key_index, "line");
      return set_error_at (error, DVR_CONFIG_ERROR_DUPLICATE, parser, key->line, group->name,
                           "line", "%s line %u is already signal %s's", signal->chip,
                           signal->line, other->name);
    }
  }
  return parse_signal_physical (parser, group, signal, error);
}

static gboolean
is_serial_input_name (const gchar *text)
{
  gsize length = strlen (text);

  if (length == 0 || length > SERIAL_INPUT_MAX_LENGTH)
    return FALSE;
  for (const gchar *p = text; *p != '\0'; p++) {
    if (!g_ascii_isgraph (*p))
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_signal_serial (ConfigParser *parser,
                     const ScanGroup *group,
                     DvrSignalConfig *signal,
                     GError **error)
{
  const DvrSignalConfig *same_port = NULL;
  g_autofree gchar *input = NULL;
  g_autofree gchar *baud = NULL;
  guint line;

  if (!get_device_path (parser, group, "device",
                        "the absolute path of a serial port such as /dev/ttyUSB0",
                        &signal->device, error))
    return FALSE;

  if (!lookup_value (parser, group, "input", &input, &line, error))
    return FALSE;
  if (input != NULL && !is_serial_input_name (input))
    return set_expected_error (error, parser, line, group->name, "input",
                               "the module's name of the input: 1 to 32 printable ASCII "
                               "characters without spaces", input);
  signal->input = input != NULL ? g_steal_pointer (&input) : g_strdup (signal->name);

  /* One reader serves a port: its signals share its speed, and each input
   * name can mean only one of them. */
  for (guint i = 0; i + 1 < parser->config->signals->len; i++) {
    const DvrSignalConfig *other = g_ptr_array_index (parser->config->signals, i);
    if (other->source != DVR_SIGNAL_SOURCE_SERIAL || !g_str_equal (other->device, signal->device))
      continue;
    if (g_str_equal (other->input, signal->input)) {
      g_autofree gchar *quoted = quote_text (signal->input);
      return set_error_at (error, DVR_CONFIG_ERROR_DUPLICATE, parser, line, group->name,
                           "input", "\"%s\" on %s is already signal %s's", quoted,
                           signal->device, other->name);
    }
    if (same_port == NULL)
      same_port = other;
  }

  signal->baud = same_port != NULL ? same_port->baud : DEFAULT_BAUD;
  if (!lookup_value (parser, group, "baud", &baud, &line, error))
    return FALSE;
  if (baud != NULL) {
    guint64 number = 0;
    gboolean known = FALSE;

    if (parse_uint (baud, G_MAXUINT, &number)) {
      for (gsize i = 0; i < G_N_ELEMENTS (serial_bauds); i++)
        known = known || serial_bauds[i] == number;
    }
    if (!known)
      return set_expected_error (error, parser, line, group->name, "baud",
                                 "one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200",
                                 baud);
    if (same_port != NULL && same_port->baud != number) {
      g_autofree gchar *what = g_strdup_printf ("%u, the speed of signal %s on the same port",
                                                same_port->baud, same_port->name);
      return set_expected_error (error, parser, line, group->name, "baud", what, baud);
    }
    signal->baud = (guint) number;
  }
  return parse_signal_physical (parser, group, signal, error);
}

/* Threshold and hysteresis are kept in speed-units here: [recorder] may
 * come later in the file.  parse_groups() converts them to m/s. */
static gboolean
parse_signal_speed (ConfigParser *parser,
                    const ScanGroup *group,
                    DvrSignalConfig *signal,
                    GError **error)
{
  const gchar *what = "a speed in [recorder] speed-units above 0 and at most 500";
  g_autofree gchar *hysteresis_what = NULL;
  g_autofree gchar *threshold_text = NULL;
  gboolean present;

  if (!get_decimal (parser, group, "threshold", what, 0, TRUE, SPEED_THRESHOLD_MAX,
                    &signal->threshold, &present, error))
    return FALSE;
  if (!present)
    return set_missing_error (error, parser, group, group->name, "threshold", what);

  /* Off at threshold - hysteresis: never below 0, or it would stay on. */
  signal->hysteresis = MIN (DEFAULT_HYSTERESIS, signal->threshold);
  threshold_text = format_seconds ((gint64) (signal->threshold * DVR_NSEC_PER_SEC + 0.5));
  hysteresis_what = g_strdup_printf ("a speed in [recorder] speed-units from 0 to the "
                                     "threshold (%s)", threshold_text);
  if (!get_decimal (parser, group, "hysteresis", hysteresis_what, 0, FALSE, SPEED_THRESHOLD_MAX,
                    &signal->hysteresis, &present, error))
    return FALSE;
  if (signal->hysteresis > signal->threshold) {
    g_autofree gchar *value = NULL;
    guint line;
    if (!lookup_value (parser, group, "hysteresis", &value, &line, error))
      return FALSE;
    return set_expected_error (error, parser, line, group->name, "hysteresis",
                               hysteresis_what, value);
  }
  return TRUE;
}

static gboolean
parse_signal_accel (ConfigParser *parser,
                    const ScanGroup *group,
                    DvrSignalConfig *signal,
                    GError **error)
{
  const gchar *what = "g above 0 and at most 100";
  gboolean present;
  guint line;

  if (!get_device_path (parser, group, "device",
                        "the absolute path of an accelerometer's input device such as "
                        "/dev/dvr/accel", &signal->device, error))
    return FALSE;
  if (!get_decimal (parser, group, "threshold", what, 0, TRUE, ACCEL_THRESHOLD_MAX,
                    &signal->threshold, &present, error))
    return FALSE;
  if (!present)
    return set_missing_error (error, parser, group, group->name, "threshold", what);
  signal->hold_ns = DEFAULT_HOLD_NS;
  if (!get_seconds (parser, group, "hold", 0, HOLD_MAX_NS, &signal->hold_ns, &line, error))
    return FALSE;
  /* 0: the device's axis resolution (docs/inputs.md). */
  return get_decimal (parser, group, "units-per-g",
                      "raw axis units per g above 0 and at most 1000000", 0, TRUE,
                      UNITS_PER_G_MAX, &signal->units_per_g, NULL, error);
}

/* "one of sensor-only, start-event, ...", from dvr-events' own names. */
static gchar *
format_trigger_actions (void)
{
  GString *list = g_string_new ("one of ");

  for (gint action = DVR_TRIGGER_ACTION_SENSOR_ONLY; action <= DVR_TRIGGER_ACTION_STOP_EVENT;
       action++) {
    if (action != DVR_TRIGGER_ACTION_SENSOR_ONLY)
      g_string_append (list, ", ");
    g_string_append (list, dvr_trigger_action_to_string ((DvrTriggerAction) action));
  }
  return g_string_free (list, FALSE);
}

static gboolean
parse_signal (ConfigParser *parser, const ScanGroup *group, const gchar *name, GError **error)
{
  DvrSignalConfig *signal;
  g_autofree gchar *action = NULL;
  guint source = 0;
  guint line;

  if (!is_camera_name (name)) {
    g_autofree gchar *quoted = quote_text (name);
    return set_error_at (error, DVR_CONFIG_ERROR_INVALID_VALUE, parser, group->line,
                         group->name, NULL,
                         "expected a signal name of 1 to 32 characters a-z 0-9 _ -, got \"%s\"",
                         quoted);
  }
  warn_unknown_keys (parser, group, signal_keys);
  signal = g_new0 (DvrSignalConfig, 1);
  g_ptr_array_add (parser->config->signals, signal);
  signal->name = g_strdup (name);
  if (!get_choice (parser, group, "source", signal_sources, &source, error))
    return FALSE;
  signal->source = (DvrSignalSource) source;

  /* A signal named in the file does nothing to recording unless told to,
   * even lightbar: the file says what this vehicle's wiring means. */
  signal->action = DVR_TRIGGER_ACTION_SENSOR_ONLY;
  if (!lookup_value (parser, group, "action", &action, &line, error))
    return FALSE;
  if (action != NULL && !dvr_trigger_action_from_string (action, &signal->action)) {
    g_autofree gchar *what = format_trigger_actions ();
    return set_expected_error (error, parser, line, group->name, "action", what, action);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (signal_source_keys); i++) {
    const ScanKey *key = g_hash_table_lookup (group->key_index, signal_source_keys[i].key);
    if (key != NULL && (signal_source_keys[i].sources & (1u << source)) == 0) {
      g_autofree gchar *what = g_strdup_printf ("only used with source = %s, ignored",
                                                signal_source_keys[i].described);
      add_warning (parser, key->line, group->name, key->name, what);
    }
  }

  switch (signal->source) {
  case DVR_SIGNAL_SOURCE_CONTROL:
    return TRUE;
  case DVR_SIGNAL_SOURCE_EVDEV:
    return parse_signal_evdev (parser, group, signal, error);
  case DVR_SIGNAL_SOURCE_GPIO:
    return parse_signal_gpio (parser, group, signal, error);
  case DVR_SIGNAL_SOURCE_SERIAL:
    return parse_signal_serial (parser, group, signal, error);
  case DVR_SIGNAL_SOURCE_SPEED:
    return parse_signal_speed (parser, group, signal, error);
  case DVR_SIGNAL_SOURCE_ACCEL:
    return parse_signal_accel (parser, group, signal, error);
  default:
    g_assert_not_reached ();
  }
}

static gboolean
parse_power (ConfigParser *parser, const ScanGroup *group, GError **error)
{
  DvrConfig *config = parser->config;
  g_autofree gchar *command = NULL;
  guint line;

  warn_unknown_keys (parser, group, power_keys);

  /* Whether they name a signal is checked once every signal is known. */
  if (!lookup_value (parser, group, "ignition", &config->ignition_signal,
                     &parser->ignition_line, error) ||
      !lookup_value (parser, group, "covert", &config->covert_signal,
                     &parser->covert_line, error))
    return FALSE;
  if (!get_seconds (parser, group, "ignition-debounce", 0, IGNITION_DEBOUNCE_MAX_NS,
                    &config->ignition_debounce_ns, &line, error) ||
      !get_seconds (parser, group, "hold-over", 0, HOLD_OVER_MAX_NS, &config->hold_over_ns,
                    &line, error))
    return FALSE;

  /* Split into words the way a shell would, but never run by one: no
   * expansion, no redirection, nothing from input data. */
  if (!lookup_value (parser, group, "power-off-command", &command, &line, error))
    return FALSE;
  if (command != NULL) {
    g_auto(GStrv) argv = NULL;

    if (!g_shell_parse_argv (command, NULL, &argv, NULL) || !g_path_is_absolute (argv[0]))
      return set_expected_error (error, parser, line, GROUP_POWER, "power-off-command",
                                 "a program's absolute path and its arguments, such as "
                                 "/usr/bin/systemctl poweroff (split into words as a shell "
                                 "would, never run by one)", command);
    config->power_off_argv = g_steal_pointer (&argv);
  }
  return TRUE;
}

/* [power] ignition or covert names a signal, once every signal is known. */
static gboolean
check_power_signal (ConfigParser *parser, const gchar *key, const gchar *name, guint line,
                    GError **error)
{
  if (name == NULL)
    return TRUE;
  for (guint i = 0; i < parser->config->signals->len; i++) {
    const DvrSignalConfig *signal = g_ptr_array_index (parser->config->signals, i);
    if (g_str_equal (signal->name, name))
      return TRUE;
  }
  return set_expected_error (error, parser, line, GROUP_POWER, key,
                             "the name of a signal ([signal NAME])", name);
}

/* "recording, event": a comma list of DvrIndicatorStates names. */
static gboolean
parse_indicator_shows (const gchar *text, guint *shows_out)
{
  g_auto(GStrv) items = g_strsplit (text, ",", -1);
  guint shows = 0;

  for (guint i = 0; items[i] != NULL; i++) {
    const gchar *item = g_strstrip (items[i]);
    gboolean known = FALSE;

    for (gsize j = 0; j < G_N_ELEMENTS (indicator_states); j++) {
      if (g_str_equal (item, indicator_states[j].name)) {
        shows |= indicator_states[j].state;
        known = TRUE;
      }
    }
    if (!known)
      return FALSE;
  }
  *shows_out = shows;
  return shows != 0;
}

static gboolean
parse_indicator (ConfigParser *parser, const ScanGroup *group, const gchar *name,
                 GError **error)
{
  const gchar *output_what = "one of gpio, evdev";
  const gchar *led_what = "an LED_* name such as LED_MISC (linux/input-event-codes.h), or a "
                          "number from 0 to 15";
  const gchar *shows_what = "a comma-separated list of idle, recording, event, alarm";
  DvrIndicatorConfig *indicator;
  g_autofree gchar *led = NULL;
  g_autofree gchar *shows = NULL;
  const gchar *const gpio_keys[] = { "chip", "line", "active-low", NULL };
  const gchar *const evdev_keys[] = { "device", "led", NULL };
  const gchar *const *unused_keys;
  guint output = 0;
  guint line;

  if (!is_camera_name (name)) {
    g_autofree gchar *quoted = quote_text (name);
    return set_error_at (error, DVR_CONFIG_ERROR_INVALID_VALUE, parser, group->line,
                         group->name, NULL, "expected an indicator name of 1 to 32 characters "
                         "a-z 0-9 _ -, got \"%s\"", quoted);
  }
  warn_unknown_keys (parser, group, indicator_keys);
  indicator = g_new0 (DvrIndicatorConfig, 1);
  g_ptr_array_add (parser->config->indicators, indicator);
  indicator->name = g_strdup (name);

  if (!g_hash_table_contains (group->key_index, "output"))
    return set_missing_error (error, parser, group, group->name, "output", output_what);
  if (!get_choice (parser, group, "output", indicator_outputs, &output, error))
    return FALSE;
  indicator->output = (DvrIndicatorOutput) output;

  unused_keys = indicator->output == DVR_INDICATOR_OUTPUT_GPIO ? evdev_keys : gpio_keys;
  for (guint i = 0; unused_keys[i] != NULL; i++) {
    const ScanKey *key = g_hash_table_lookup (group->key_index, unused_keys[i]);
    if (key != NULL)
      add_warning (parser, key->line, group->name, key->name,
                   indicator->output == DVR_INDICATOR_OUTPUT_GPIO ?
                   "only used with output = evdev, ignored" :
                   "only used with output = gpio, ignored");
  }

  if (indicator->output == DVR_INDICATOR_OUTPUT_GPIO) {
    if (!get_gpio_line (parser, group, &indicator->chip, &indicator->line, error) ||
        !get_boolean (parser, group, "active-low", &indicator->active_low, error))
      return FALSE;
  } else {
    guint type;

    if (!get_device_path (parser, group, "device",
                          "the absolute path of an input device with LEDs such as "
                          "/dev/dvr/button", &indicator->device, error))
      return FALSE;
    if (!lookup_value (parser, group, "led", &led, &line, error))
      return FALSE;
    if (led == NULL)
      return set_missing_error (error, parser, group, group->name, "led", led_what);
    if (!parse_evdev_code (led, 1u << EV_LED, EV_LED, LED_MAX, &type, &indicator->led))
      return set_expected_error (error, parser, line, group->name, "led", led_what, led);
  }

  if (!lookup_value (parser, group, "shows", &shows, &line, error))
    return FALSE;
  if (shows == NULL)
    return set_missing_error (error, parser, group, group->name, "shows", shows_what);
  if (!parse_indicator_shows (shows, &indicator->shows))
    return set_expected_error (error, parser, line, group->name, "shows", shows_what, shows);
  return TRUE;
}

/* [storage] removable and eject-button, read before any other group:
 * [recorder] storage need not exist on a removable drive, and the eject
 * button's long-press is read with its [signal]. */
static gboolean
read_storage_early (ConfigParser *parser, GError **error)
{
  DvrConfig *config = parser->config;
  g_autofree gchar *eject = NULL;

  parser->storage = g_hash_table_lookup (parser->group_index, GROUP_STORAGE);
  if (parser->storage == NULL)
    return TRUE;
  if (!get_boolean (parser, parser->storage, "removable", &config->storage_removable, error))
    return FALSE;
  /* Ignored (with a warning, by check_storage_keys()) without removable. */
  if (!config->storage_removable)
    return TRUE;
  return lookup_value (parser, parser->storage, "eject-button", &config->eject_signal,
                       &parser->eject_line, error);
}

/* The rest of [storage], in the file's order. */
static gboolean
parse_storage (ConfigParser *parser, const ScanGroup *group, GError **error)
{
  DvrConfig *config = parser->config;
  const gchar *size_what = "a size of at least 64M (bytes, or with a suffix K, M, G or T; "
                           "1K = 1024), such as 2G";
  g_autofree gchar *fallback = NULL;
  g_autofree gchar *size = NULL;
  g_autofree gchar *interval = NULL;
  guint line;

  warn_unknown_keys (parser, group, storage_keys);

  if (!lookup_value (parser, group, "fallback", &fallback, &line, error))
    return FALSE;
  if (fallback != NULL) {
    g_autofree gchar *quoted = quote_text (fallback);
    struct stat st;

    if (!g_path_is_absolute (fallback))
      return set_expected_error (error, parser, line, GROUP_STORAGE, "fallback",
                                 "the absolute path of a folder (dvrd makes it)", fallback);
    /* It need not exist: dvrd makes it.  Something else in its place is
     * a mistake found now rather than when the drive is pulled. */
    if (stat (fallback, &st) == 0 && !S_ISDIR (st.st_mode))
      return set_error_at (error, DVR_CONFIG_ERROR_STORAGE, parser, line, GROUP_STORAGE,
                           "fallback", "\"%s\" is not a folder (expected a folder, or nothing "
                           "yet: dvrd makes it)", quoted);
    config->fallback_root = g_canonicalize_filename (fallback, NULL);
  }

  if (!lookup_value (parser, group, "fallback-size", &size, &line, error))
    return FALSE;
  if (size != NULL) {
    guint64 bytes = 0;

    /* A percentage of what?  The fallback shares the system's disk. */
    if (!parse_size (size, &bytes) || bytes < FALLBACK_SIZE_MIN_BYTES)
      return set_expected_error (error, parser, line, GROUP_STORAGE, "fallback-size", size_what,
                                 size);
    config->fallback_size_bytes = bytes;
  }

  /* The bound on what a power loss costs (docs/storage.md); 0 turns the
   * periodic sync off, for the benchmark's baseline. */
  if (!lookup_value (parser, group, "sync-interval", &interval, &line, error))
    return FALSE;
  if (interval != NULL) {
    gint64 ns = 0;

    if (!parse_seconds (interval, &ns) || (ns != 0 && ns < SYNC_INTERVAL_MIN_NS) ||
        ns > SYNC_INTERVAL_MAX_NS)
      return set_expected_error (error, parser, line, GROUP_STORAGE, "sync-interval",
                                 "0 (off) or seconds between 0.1 and 10", interval);
    config->sync_interval_ns = ns;
  }
  return TRUE;
}

/* @path is @folder or inside it; both canonical (g_canonicalize_filename). */
static gboolean
path_is_within (const gchar *path, const gchar *folder)
{
  gsize length = strlen (folder);

  if (g_str_equal (folder, "/"))
    return TRUE;
  return strncmp (path, folder, length) == 0 && (path[length] == '\0' || path[length] == '/');
}

static void
warn_storage_key (ConfigParser *parser, const gchar *key, const gchar *what)
{
  const ScanKey *scan_key = g_hash_table_lookup (parser->storage->key_index, key);

  if (scan_key != NULL)
    add_warning (parser, scan_key->line, GROUP_STORAGE, key, what);
}

/* [storage] against [recorder] storage and the signals, once every group
 * is read. */
static gboolean
check_storage_keys (ConfigParser *parser, GError **error)
{
  DvrConfig *config = parser->config;
  const DvrSignalConfig *eject = NULL;

  if (parser->storage == NULL)
    return TRUE;
  if (!config->storage_removable) {
    /* A fixed folder is always there: nothing to fall back from. */
    warn_storage_key (parser, "fallback", "only used with removable = true, ignored");
    warn_storage_key (parser, "fallback-size", "only used with removable = true, ignored");
    warn_storage_key (parser, "eject-button", "only used with removable = true, ignored");
    g_clear_pointer (&config->fallback_root, g_free);
    config->fallback_size_bytes = DEFAULT_FALLBACK_SIZE_BYTES;
    return TRUE;
  }

  if (config->fallback_root != NULL) {
    const ScanKey *key = g_hash_table_lookup (parser->storage->key_index, "fallback");

    /* Recording into the drive's mount point is what the fallback is
     * for not doing; and either inside the other would be swept, migrated
     * or initialised as the other. */
    if (path_is_within (config->fallback_root, config->storage_root) ||
        path_is_within (config->storage_root, config->fallback_root)) {
      g_autofree gchar *what = g_strdup_printf ("a folder outside [recorder] storage (%s) that "
                                                "does not contain it either",
                                                config->storage_root);
      return set_expected_error (error, parser, key->line, GROUP_STORAGE, "fallback", what,
                                 config->fallback_root);
    }
  } else {
    /* Without one, a car started before its drive was inserted would not
     * record at all, and pulling the drive would stop the cameras. */
    return set_missing_error (error, parser, parser->storage, GROUP_STORAGE, "fallback",
                              "with removable = true, an internal folder that recording goes "
                              "on into while no drive is in, e.g. /var/lib/dvr/fallback");
  }

  if (config->eject_signal == NULL)
    return TRUE;
  for (guint i = 0; i < config->signals->len; i++) {
    const DvrSignalConfig *signal = g_ptr_array_index (config->signals, i);
    if (g_str_equal (signal->name, config->eject_signal))
      eject = signal;
  }
  if (eject == NULL)
    return set_expected_error (error, parser, parser->eject_line, GROUP_STORAGE, "eject-button",
                               "the name of a signal ([signal NAME])", config->eject_signal);
  /* Only inputs held by hand have presses (docs/inputs.md). */
  if (eject->source != DVR_SIGNAL_SOURCE_EVDEV && eject->source != DVR_SIGNAL_SOURCE_GPIO &&
      eject->source != DVR_SIGNAL_SOURCE_SERIAL) {
    g_autofree gchar *what = g_strdup_printf ("a signal with source = evdev, gpio or serial "
                                              "(signal %s is source = %s, which has no presses)",
                                              eject->name, signal_sources[eject->source]);
    return set_expected_error (error, parser, parser->eject_line, GROUP_STORAGE, "eject-button",
                               what, config->eject_signal);
  }
  if (eject->button) {
    g_autofree gchar *what = g_strdup_printf ("a signal other than the event button (signal %s "
                                              "has button = true, and its long press stops "
                                              "events)", eject->name);
    return set_expected_error (error, parser, parser->eject_line, GROUP_STORAGE, "eject-button",
                               what, config->eject_signal);
  }
  return TRUE;
}

static gboolean
parse_groups (ConfigParser *parser, GError **error)
{
  const ScanGroup *recorder = NULL;
  guint camera_count = 0;
  gdouble m_s;

  if (!read_storage_early (parser, error))
    return FALSE;
  for (guint i = 0; i < parser->groups->len; i++) {
    const ScanGroup *group = g_ptr_array_index (parser->groups, i);
    g_autofree gchar *camera_name = camera_name_from_group (group->canonical);
    g_autofree gchar *signal_name = name_from_group (group->canonical, GROUP_SIGNAL_PREFIX);
    g_autofree gchar *indicator_name = name_from_group (group->canonical,
                                                       GROUP_INDICATOR_PREFIX);

    if (camera_name != NULL) {
      if (!parse_camera (parser, group, camera_name, camera_count++, error))
        return FALSE;
    } else if (signal_name != NULL) {
      if (!parse_signal (parser, group, signal_name, error))
        return FALSE;
    } else if (indicator_name != NULL) {
      if (!parse_indicator (parser, group, indicator_name, error))
        return FALSE;
    } else if (g_str_equal (group->canonical, GROUP_POWER)) {
      if (!parse_power (parser, group, error))
        return FALSE;
    } else if (g_str_equal (group->canonical, GROUP_GPS)) {
      if (!parse_gps (parser, group, error))
        return FALSE;
    } else if (g_str_equal (group->canonical, GROUP_RECORDER)) {
      recorder = group;
      if (!parse_recorder (parser, group, error))
        return FALSE;
    } else if (g_str_equal (group->canonical, GROUP_CONTROL)) {
      if (!parse_control (parser, group, error))
        return FALSE;
    } else if (g_str_equal (group->canonical, GROUP_EVENTS)) {
      if (!parse_events (parser, group, error))
        return FALSE;
    } else if (g_str_equal (group->canonical, GROUP_RETENTION)) {
      if (!parse_retention (parser, group, error))
        return FALSE;
    } else if (g_str_equal (group->canonical, GROUP_STORAGE)) {
      if (!parse_storage (parser, group, error))
        return FALSE;
    } else {
      add_warning (parser, group->line, group->name, NULL, "unknown group, ignored");
    }
  }

  if (recorder == NULL && !parse_recorder (parser, NULL, error))
    return FALSE;
  if (camera_count == 0)
    return set_error_at (error, DVR_CONFIG_ERROR_NO_CAMERA, parser, 0, NULL, NULL,
                         "no [camera NAME] group, expected at least one camera");
  for (guint i = 0; i < parser->config->cameras->len; i++) {
    DvrCameraConfig *camera = g_ptr_array_index (parser->config->cameras, i);
    if (camera->pre_event_ns < 0)
      camera->pre_event_ns = parser->pre_event_ns;
    if (camera->post_event_ns < 0)
      camera->post_event_ns = parser->post_event_ns;
  }
  if (parser->config->signals->len == 0) {
    for (guint i = 0; i < G_N_ELEMENTS (default_signals); i++) {
      DvrSignalConfig *signal = g_new0 (DvrSignalConfig, 1);
      signal->name = g_strdup (default_signals[i].name);
      signal->source = DVR_SIGNAL_SOURCE_CONTROL;
      signal->action = default_signals[i].action;
      g_ptr_array_add (parser->config->signals, signal);
    }
  }
  if (!check_power_signal (parser, "ignition", parser->config->ignition_signal,
                           parser->ignition_line, error) ||
      !check_power_signal (parser, "covert", parser->config->covert_signal,
                           parser->covert_line, error) ||
      !check_storage_keys (parser, error))
    return FALSE;
  /* Speeds are written in [recorder] speed-units and kept in m/s, as GPS
   * gives them. */
  m_s = parser->config->speed_units == DVR_SPEED_UNITS_MPH ? 0.44704 : 1.0 / 3.6;
  for (guint i = 0; i < parser->config->signals->len; i++) {
    DvrSignalConfig *signal = g_ptr_array_index (parser->config->signals, i);
    if (signal->source == DVR_SIGNAL_SOURCE_SPEED) {
      signal->threshold *= m_s;
      signal->hysteresis *= m_s;
    }
  }
  return TRUE;
}

static DvrConfig *
dvr_config_new (const gchar *path)
{
  DvrConfig *config = g_new0 (DvrConfig, 1);

  config->path = g_strdup (path);
  config->unit_id = g_strdup (DEFAULT_UNIT_ID);
  config->segment_ns = DEFAULT_SEGMENT_NS;
  config->stall_timeout_ns = DEFAULT_STALL_TIMEOUT_NS;
  config->restart_backoff_min_ns = DEFAULT_RESTART_BACKOFF_MIN_NS;
  config->restart_backoff_max_ns = DEFAULT_RESTART_BACKOFF_MAX_NS;
  config->control_socket = g_strdup (DEFAULT_CONTROL_SOCKET);
  config->control_socket_mode = DEFAULT_CONTROL_SOCKET_MODE;
  config->cameras = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_camera_config_free);
  config->signals = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_signal_config_free);
  config->gpsd_host = g_strndup (DEFAULT_GPSD, strcspn (DEFAULT_GPSD, ":"));
  config->gpsd_port = g_strdup (strchr (DEFAULT_GPSD, ':') + 1);
  config->clock_offset_threshold_ns = DEFAULT_CLOCK_OFFSET_THRESHOLD_NS;
  config->max_event_ns = DEFAULT_MAX_EVENT_NS;
  config->min_free_fraction = DEFAULT_MIN_FREE_FRACTION;
  config->max_sweep_fraction = DEFAULT_MAX_SWEEP_FRACTION;
  config->ignition_debounce_ns = DEFAULT_IGNITION_DEBOUNCE_NS;
  config->hold_over_ns = DEFAULT_HOLD_OVER_NS;
  config->fallback_size_bytes = DEFAULT_FALLBACK_SIZE_BYTES;
  config->sync_interval_ns = DEFAULT_SYNC_INTERVAL_NS;
  config->indicators = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_indicator_config_free);
  config->warnings = g_ptr_array_new_with_free_func (g_free);
  return config;
}

/* Public API. */

/* Returns a new DvrConfig, freed with dvr_config_free(); any thread. */
DvrConfig *
dvr_config_load_data (const gchar *data,
                      gsize length,
                      const gchar *display_name,
                      GError **error)
{
  g_auto(ConfigParser) parser = { 0 };
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (display_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length == (gsize) -1)
    length = strlen (data);

  config = dvr_config_new (display_name);
  config->checksum = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                  (const guchar *) (data != NULL ? data : ""),
                                                  length);
  parser.display_name = display_name;
  parser.config = config;
  parser.pre_event_ns = DEFAULT_PRE_EVENT_NS;
  parser.post_event_ns = DEFAULT_POST_EVENT_NS;
  parser.groups = g_ptr_array_new_with_free_func ((GDestroyNotify) scan_group_free);
  parser.group_index = g_hash_table_new (g_str_hash, g_str_equal);
  parser.key_file = g_key_file_new ();

  if (!scan_text (&parser, data != NULL ? data : "", length, error))
    return NULL;
  /* scan_text() accepts a subset of what GKeyFile does, so this fails
   * only if the two disagree; say so rather than guess a line. */
  if (!g_key_file_load_from_data (parser.key_file, data != NULL ? data : "", length,
                                  G_KEY_FILE_NONE, &local_error)) {
    set_error_at (error, DVR_CONFIG_ERROR_SYNTAX, &parser, 0, NULL, NULL,
                  "syntax: %s", local_error->message);
    return NULL;
  }
  if (!parse_groups (&parser, error))
    return NULL;
  return g_steal_pointer (&config);
}

static gboolean
read_config_file (const gchar *path, gchar **data_out, gsize *length_out, GError **error)
{
  g_autoptr(GString) data = g_string_new (NULL);
  dvr_autofd fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct stat st;

  if (fd < 0) {
    int saved_errno = errno;
    g_set_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_IO, "%s: cannot read: %s",
                 path, g_strerror (saved_errno));
    return FALSE;
  }
  if (fstat (fd, &st) != 0) {
    int saved_errno = errno;
    g_set_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_IO, "%s: cannot read: %s",
                 path, g_strerror (saved_errno));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode)) {
    g_set_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_IO,
                 "%s: cannot read: not a regular file", path);
    return FALSE;
  }

  for (;;) {
    gchar buffer[4096];
    gssize got = read (fd, buffer, sizeof buffer);

    if (got < 0) {
      int saved_errno = errno;
      if (saved_errno == EINTR)
        continue;
      g_set_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_IO, "%s: cannot read: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
    if (got == 0)
      break;
    g_string_append_len (data, buffer, got);
    if (data->len > CONFIG_FILE_MAX_BYTES) {
      g_set_error (error, DVR_CONFIG_ERROR, DVR_CONFIG_ERROR_IO,
                   "%s: cannot read: larger than %u bytes, not a configuration file",
                   path, CONFIG_FILE_MAX_BYTES);
      return FALSE;
    }
  }
  *length_out = data->len;
  *data_out = g_string_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

/* Returns a new DvrConfig, freed with dvr_config_free(); any thread. */
DvrConfig *
dvr_config_load_file (const gchar *path, GError **error)
{
  g_autofree gchar *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!read_config_file (path, &data, &length, error))
    return NULL;
  return dvr_config_load_data (data, length, path, error);
}

/* Borrowed from @config; NULL when no camera has that name. */
const DvrCameraConfig *
dvr_config_get_camera (const DvrConfig *config, const gchar *name)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < config->cameras->len; i++) {
    const DvrCameraConfig *camera = g_ptr_array_index (config->cameras, i);
    if (g_str_equal (camera->name, name))
      return camera;
  }
  return NULL;
}

void
dvr_camera_config_free (DvrCameraConfig *camera)
{
  if (camera == NULL)
    return;
  g_free (camera->name);
  g_free (camera->source);
  g_free (camera->location);
  g_free (camera->pattern);
  g_free (camera->encoder);
  if (camera->controls != NULL)
    g_array_unref (camera->controls);
  g_free (camera);
}

void
dvr_signal_config_free (DvrSignalConfig *signal)
{
  if (signal == NULL)
    return;
  g_free (signal->name);
  g_free (signal->device);
  g_free (signal->chip);
  g_free (signal->input);
  g_free (signal);
}

void
dvr_indicator_config_free (DvrIndicatorConfig *indicator)
{
  if (indicator == NULL)
    return;
  g_free (indicator->name);
  g_free (indicator->chip);
  g_free (indicator->device);
  g_free (indicator);
}

void
dvr_config_free (DvrConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->path);
  g_free (config->unit_id);
  g_free (config->storage_root);
  g_free (config->fallback_root);
  g_free (config->eject_signal);
  g_free (config->control_socket);
  g_free (config->gpsd_host);
  g_free (config->gpsd_port);
  g_free (config->checksum);
  g_free (config->ignition_signal);
  g_strfreev (config->power_off_argv);
  g_free (config->covert_signal);
  g_clear_pointer (&config->indicators, g_ptr_array_unref);
  g_clear_pointer (&config->cameras, g_ptr_array_unref);
  g_clear_pointer (&config->signals, g_ptr_array_unref);
  g_clear_pointer (&config->warnings, g_ptr_array_unref);
  g_free (config);
}

const gchar *
dvr_source_kind_to_string (DvrSourceKind kind)
{
  switch (kind) {
  case DVR_SOURCE_KIND_V4L2:
    return "v4l2";
  case DVR_SOURCE_KIND_TEST:
    return "test";
  case DVR_SOURCE_KIND_REPLAY:
    return "replay";
  default:
    return "unknown";
  }
}

const gchar *
dvr_record_mode_to_string (DvrRecordMode mode)
{
  if ((guint) mode < G_N_ELEMENTS (record_modes) - 1)
    return record_modes[mode];
  return "unknown";
}
