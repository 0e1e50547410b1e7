/* dvr-pipeline: the pipeline manager's unit, one GstPipeline per camera.
 *
 *   source (v4l2src | videotestsrc | replay) -> [encode] -> parse -> splitmuxsink
 *
 * A DvrPipeline owns one camera's GstPipeline, watches its bus on the main
 * loop, and turns splitmuxsink's fragment messages into "segment-closed"
 * signals.  A failure (element error, missing device, stall) tears down this
 * camera's pipeline only and restarts it with exponential backoff.
 *
 * All methods and signals run on the main loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

#include "dvr-catalog.h"
#include "dvr-config.h"
#include "dvr-gps-fix.h"
#include "dvr-v4l2.h"

G_BEGIN_DECLS

/* State machine:
 *
 *   STOPPED --start--> STARTING --first segment opened--> RECORDING
 *   STARTING/RECORDING --error or stall--> FAILED --backoff timer--> STARTING
 *   STARTING/RECORDING --stop--> STOPPING --last segment closed--> STOPPED
 *   FAILED --stop--> STOPPED
 */
typedef enum {
  DVR_PIPELINE_STATE_STOPPED,
  DVR_PIPELINE_STATE_STARTING,
  DVR_PIPELINE_STATE_RECORDING,
  DVR_PIPELINE_STATE_STOPPING,
  DVR_PIPELINE_STATE_FAILED,
} DvrPipelineState;

const gchar *dvr_pipeline_state_to_string (DvrPipelineState state);

/* Names a new segment: returns a path relative to @storage_root, newly
 * allocated.  Called on a streaming thread: it must not block or touch the
 * disk. */
typedef gchar *(*DvrPipelineNameFunc) (const gchar *camera,
                                       guint seq,
                                       gint64 start_utc_ns,
                                       gpointer user_data);

typedef struct {
  const gchar *storage_root;
  gint64 segment_ns;
  gint64 stall_timeout_ns;
  gint64 backoff_min_ns;
  gint64 backoff_max_ns;
  DvrPipelineNameFunc name_func;
  gpointer name_data;
  const gchar *unit_id;      /* shown in the metadata tracks and watermark */
  guint speed_units;         /* DvrSpeedUnits */
} DvrPipelineOptions;

#define DVR_TYPE_PIPELINE (dvr_pipeline_get_type ())
G_DECLARE_FINAL_TYPE (DvrPipeline, dvr_pipeline, DVR, PIPELINE, GObject)

/* Signals (main loop):
 *   "segment-closed" (DvrSegment *segment): a segment file is closed; bytes
 *       and sha256 are not filled in (the storage thread does that).
 *   "recording" (gint64 start_utc_ns): the first segment after a start or a
 *       restart is open.
 *   "failed" (const gchar *reason, gint64 since_utc_ns): the pipeline was torn
 *       down; since_utc_ns is the end of the last recorded frame, or the
 *       attempt's start when nothing was recorded.  A restart is scheduled.
 *   "stopped": dvr_pipeline_stop() has finished. */

DvrPipeline *dvr_pipeline_new (const DvrCameraConfig *camera,
                               const DvrPipelineOptions *options);

/* Builds and starts the pipeline.  Failing to build is reported through
 * "failed" and retried like any other failure. */
void dvr_pipeline_start (DvrPipeline *self);
/* Sends EOS so the open segment is finalized; "stopped" follows.  A stalled
 * source is forced after a few seconds (the open segment is then closed as
 * partial). */
void dvr_pipeline_stop (DvrPipeline *self);
/* Where the next segments go (the daemon changing drives).  Only while
 * STOPPED: the streaming threads read it without a lock. */
void dvr_pipeline_set_storage_root (DvrPipeline *self, const gchar *storage_root);

const gchar *dvr_pipeline_get_name (DvrPipeline *self);
DvrPipelineState dvr_pipeline_get_state (DvrPipeline *self);
/* Borrowed; NULL when no segment is open. */
const gchar *dvr_pipeline_get_segment (DvrPipeline *self);
guint64 dvr_pipeline_get_segment_frames (DvrPipeline *self);
guint64 dvr_pipeline_get_frames_in (DvrPipeline *self);
guint64 dvr_pipeline_get_frames_recorded (DvrPipeline *self);
guint dvr_pipeline_get_segments (DvrPipeline *self);
guint dvr_pipeline_get_restarts (DvrPipeline *self);
/* Borrowed; NULL when there was none. */
const gchar *dvr_pipeline_get_last_error (DvrPipeline *self);
/* V4L2: what the last probe chose ("H264 1280x720@30 passed through"), and
 * why the configured controls could not all be set (NULL if they were). */
const gchar *dvr_pipeline_get_capture (DvrPipeline *self);

/* Metadata, main loop: kept and handed to the camera's dvrmeta element
 * (the tracks in every segment) now and at every restart. */
void dvr_pipeline_push_gps (DvrPipeline *self, const DvrGpsFix *fix);
/* @names NULL-terminated, @values as many, in display order. */
void dvr_pipeline_set_signals (DvrPipeline *self, const gchar *const *names,
                               const gboolean *values);
void dvr_pipeline_mark_event (DvrPipeline *self, const GstStructure *event);
/* The watermark's second line (speed, active signals) below "UNIT  CAMERA";
 * only pictures dvrd encodes have one. */
void dvr_pipeline_set_watermark (DvrPipeline *self, const gchar *text);
/* The text burned in now, or NULL when the running pipeline has no
 * watermark (passthrough, watermark = false, or not running). */
const gchar *dvr_pipeline_get_watermark (DvrPipeline *self);
const gchar *dvr_pipeline_get_control_error (DvrPipeline *self);

/* Exposed for tests and --print-pipeline: the gst-launch description this
 * camera's pipeline is built from (newly allocated). */
/* dvr_v4l2_choose() with @camera's size, rate and record mode; the error
 * names the device and lists what it offers. */
gboolean dvr_pipeline_choose (const DvrCameraConfig *camera, const DvrV4l2Probe *probe,
                              DvrV4l2Choice *choice, GError **error);

/* The gst-launch description of @camera's pipeline up to the muxer; for a
 * V4L2 camera, following @choice (from dvr_v4l2_choose()), NULL otherwise. */
gchar *dvr_pipeline_describe (const DvrCameraConfig *camera, const DvrV4l2Choice *choice);

G_END_DECLS
