/* dvr-v4l2.h: what a V4L2 camera offers, and which of it to record.
 *
 * dvr_v4l2_probe() asks a device (through libv4l2) for its identity,
 * formats, frame sizes, frame intervals and the few controls a fixed vehicle
 * camera is set up with.  dvr_v4l2_choose() is pure: given a probe (real or
 * built in memory) and the configured size and rate, it picks a format.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DVR_V4L2_RANGE_DISCRETE,
  DVR_V4L2_RANGE_STEPWISE,
  DVR_V4L2_RANGE_CONTINUOUS,
} DvrV4l2RangeType;

/* A frame interval in seconds per frame (1/30 is 30 fps).  For a stepwise
 * or continuous range, numerator/denominator is the shortest interval and
 * max_* the longest; for a discrete one both are the same. */
typedef struct {
  DvrV4l2RangeType type;
  guint32 numerator;
  guint32 denominator;
  guint32 max_numerator;
  guint32 max_denominator;
} DvrV4l2Interval;

/* A frame size; for a range, width/height are the smallest and max_* the
 * largest (steps are kept for stepwise ranges, 1 otherwise). */
typedef struct {
  DvrV4l2RangeType type;
  guint32 width;
  guint32 height;
  guint32 max_width;
  guint32 max_height;
  guint32 step_width;
  guint32 step_height;
  GArray *intervals; /* of DvrV4l2Interval */
} DvrV4l2FrameSize;

typedef struct {
  guint32 fourcc;
  gchar *description;
  gboolean compressed;
  GPtrArray *sizes; /* of DvrV4l2FrameSize *, owned */
} DvrV4l2Format;

typedef struct {
  guint32 id;
  gchar *name;
  guint32 type; /* enum v4l2_ctrl_type */
  gint32 minimum;
  gint32 maximum;
  gint32 step;
  gint32 default_value;
  gint32 value;
  /* Menu controls: the driver's item names, indexed by value (NULL for the
   * values QUERYMENU refuses: UVC cameras skip some).  NULL otherwise. */
  GPtrArray *menu;
} DvrV4l2Control;

/* A control value to set: V4L2 control id (V4L2_CID_*) and value. */
typedef struct {
  guint32 id;
  gint32 value;
} DvrV4l2ControlValue;

typedef struct {
  gchar *device;
  gchar *driver;
  gchar *card;
  gchar *bus_info;
  GPtrArray *formats;  /* of DvrV4l2Format *, in the driver's order */
  GPtrArray *controls; /* of DvrV4l2Control *: those of the four the camera has */
} DvrV4l2Probe;

/* What dvr_v4l2_choose() may pick, in its order of preference. */
typedef enum {
  /* H.264 passed through, then MJPEG, then raw video encoded: the camera's
   * own encoder costs the car's CPU nothing. */
  DVR_V4L2_POLICY_AUTO,
  /* H.264, then MJPEG, never raw: for a computer that cannot encode. */
  DVR_V4L2_POLICY_PASSTHROUGH,
  /* Raw video encoded by us (our encoder, our settings), then MJPEG
   * decoded and encoded; never the camera's H.264. */
  DVR_V4L2_POLICY_ENCODE,
} DvrV4l2Policy;

typedef enum {
  DVR_V4L2_ACTION_PASSTHROUGH, /* record the camera's H.264 or MJPEG as is */
  DVR_V4L2_ACTION_ENCODE,      /* raw frames: we encode them to H.264 */
  DVR_V4L2_ACTION_TRANSCODE,   /* MJPEG decoded and encoded to H.264 */
} DvrV4l2Action;

typedef struct {
  guint32 fourcc;
  DvrV4l2Action action;
} DvrV4l2Choice;

DvrV4l2Probe *dvr_v4l2_probe (const gchar *device, GError **error);
DvrV4l2Probe *dvr_v4l2_probe_new (const gchar *device);
void dvr_v4l2_probe_free (DvrV4l2Probe *probe);
gchar *dvr_v4l2_probe_to_string (const DvrV4l2Probe *probe);

/* Builders, for tests and for dvr_v4l2_probe() itself. */
DvrV4l2Format *dvr_v4l2_format_new (guint32 fourcc, const gchar *description,
                                    gboolean compressed);
void dvr_v4l2_format_free (DvrV4l2Format *format);
DvrV4l2FrameSize *dvr_v4l2_frame_size_new_discrete (guint32 width, guint32 height);
void dvr_v4l2_frame_size_free (DvrV4l2FrameSize *size);
void dvr_v4l2_frame_size_add_interval (DvrV4l2FrameSize *size, guint32 numerator,
                                       guint32 denominator);
void dvr_v4l2_control_free (DvrV4l2Control *control);

const DvrV4l2Control *dvr_v4l2_probe_get_control (const DvrV4l2Probe *probe, guint32 id);
const DvrV4l2Format *dvr_v4l2_probe_get_format (const DvrV4l2Probe *probe, guint32 fourcc);

/* "H264", "MJPG", "YUYV": the fourcc as text, trailing spaces dropped. */
gchar *dvr_v4l2_fourcc_to_string (guint32 fourcc);

/* Picks the format to capture at exactly @width x @height and @fps_n/@fps_d
 * frames per second under @policy; MJPEG is passed through unless
 * @transcode_mjpeg.  The error lists what the camera offers. */
gboolean dvr_v4l2_choose (const DvrV4l2Probe *probe, guint width, guint height, gint fps_n,
                          gint fps_d, DvrV4l2Policy policy, gboolean transcode_mjpeg,
                          DvrV4l2Choice *out, GError **error);
/* "H264 1280x720@30 passed through", for logs, status and --probe. */
gchar *dvr_v4l2_choice_to_string (const DvrV4l2Choice *choice, guint width, guint height,
                                  gint fps_n, gint fps_d);

/* GStreamer's video/x-raw format name for a raw fourcc we can record
 * ("YUY2" for YUYV), or NULL: raw formats without one are never chosen. */
const gchar *dvr_v4l2_fourcc_to_gst_format (guint32 fourcc);

/* Sets each of @values on @device (through libv4l2) and reads it back.
 * Every value is tried; the error names each one that the camera lacks,
 * refuses or did not keep, with what the camera offers for it.  @probe
 * is a probe of the same device, for ranges and menus. */
gboolean dvr_v4l2_set_controls (const gchar *device, const DvrV4l2Probe *probe,
                                const DvrV4l2ControlValue *values, guint n_values,
                                GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrV4l2Probe, dvr_v4l2_probe_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrV4l2Format, dvr_v4l2_format_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrV4l2FrameSize, dvr_v4l2_frame_size_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrV4l2Control, dvr_v4l2_control_free)

G_END_DECLS
