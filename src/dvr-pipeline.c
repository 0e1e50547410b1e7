/* dvr-pipeline: one GstPipeline per camera, restarted with backoff on failure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-pipeline.h"
#include "dvr-utils.h"
#include "dvr-v4l2.h"

#include <gio/gio.h>
#include <gst/video/video.h>
#include <linux/videodev2.h>
#include <math.h>

GST_DEBUG_CATEGORY_STATIC (dvr_pipeline_debug);
#define GST_CAT_DEFAULT dvr_pipeline_debug

/* How often the stall watchdog looks at the frame counter. */
#define STALL_CHECK_INTERVAL_MS 250
/* dvr_pipeline_stop(): after this long without EOS at the sink, EOS is pushed
 * into splitmuxsink directly (a stalled source never forwards it)... */
#define STOP_FORCE_EOS_MS 2000
/* ...and after this long the pipeline is torn down, the open segment kept as
 * partial.  Together they keep SIGTERM-to-exit under 5 s. */
#define STOP_TEARDOWN_MS 3500
/* A failed source (an unplugged camera): how long the rest of the pipeline
 * gets to close the open segment behind the last frame before teardown. */
#define DRAIN_TIMEOUT_MS 1500
/* How often a restart looks for an unplugged camera's node: a replugged
 * camera records again within a poll and a start, not after a backoff. */
#define DEVICE_POLL_MS 250

/* Per-fragment counters, filled on the muxer's video sink pad (streaming
 * thread) and read on the main loop, under the lock. */
typedef struct {
  guint64 frames;
  GstClockTime first_rt;   /* running time of the first frame */
  GstClockTime end_rt;     /* running time of the end of the last frame */
  gchar *codec;
} FragmentStats;

static void
fragment_stats_free (FragmentStats *stats)
{
  g_free (stats->codec);
  g_free (stats);
}

struct _DvrPipeline {
  GObject parent;

  DvrCameraConfig *camera;   /* owned copy of the fields we use */
  gchar *storage_root;
  gchar *unit_id;
  DvrPipelineOptions options;

  DvrPipelineState state;
  GstElement *pipeline;
  GstElement *splitmux;
  guint bus_watch;
  guint stall_source;
  guint restart_source;
  guint stop_source;
  gint64 backoff_ns;
  gint64 attempt_utc_ns;
  gint64 utc_offset_ns;      /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
  GstClockTime base_time;    /* lock; set when the first segment is named */

  GMainContext *context;     /* the main loop's */
  gboolean teardown_pending; /* a helper thread is setting the pipeline to NULL */
  gboolean stop_requested;   /* dvr_pipeline_stop() came during a teardown */
  gboolean eos_forced;       /* the stop timeout pushed EOS into splitmuxsink */
  gboolean draining;         /* failed source: EOS sent to close the open segment */

  gchar *segment;            /* relative path of the open segment */

  /* Metadata: the latest state, handed to each new pipeline's dvrmeta (and
   * watermark) at build and to the running one as it changes. */
  GstElement *meta;          /* dvrmeta of the current pipeline, or NULL */
  GstStructure *gps_state;
  GstStructure *signal_state;
  gchar *watermark_text;

  /* V4L2: what this start's probe chose (prepare_thread), and how the
   * controls went.  A probe abandoned by a stop or a timeout still runs;
   * its result is dropped by generation. */
  DvrV4l2Choice choice;
  gchar *capture;            /* dvr_v4l2_choice_to_string(), NULL until chosen */
  gchar *control_error;      /* NULL when every control was set */
  guint prepare_generation;
  guint prepares_in_flight;

  guint64 frames_recorded;
  guint segments;
  guint restarts;
  gchar *last_error;
  gchar *last_reported_error;

  /* Touched by streaming threads. */
  gint next_seq;             /* atomic */
  guint64 frames_in;         /* __atomic */
  gint64 last_frame_mono_ns; /* __atomic */
  GMutex lock;
  GstSegment mux_segment;    /* lock */
  FragmentStats current;     /* lock */
  GQueue closed;             /* lock; FragmentStats*, one per EOS at the muxer */
  gint frame_duration_ns;
  /* Replay's streaming thread only. */
  GstSegment replay_segment;
  GstClockTime replay_end_rt;
  /* A replay is set playing by its first frame, from a helper thread
   * (replay_start()), with a flushing seek.  start_pending is the pipeline
   * that may still be started so; stop and teardown (main loop) take it
   * over under start_lock.  A stop's EOS sent before that start overtakes
   * the stream's caps, and matroskamux writes its header without them;
   * the flush then takes the EOS back and lets the stream in, whose caps
   * arrive "late": "Could not multiplex stream", a file that does not
   * play, a segment kept as partial, and (dvrd slowed down) buffers
   * reaching collectpads without a segment, a critical.  And a start
   * after a teardown would set a torn-down pipeline playing again. */
  GMutex start_lock;
  GstElement *start_pending;   /* start_lock; compared, never used */
};

G_DEFINE_TYPE (DvrPipeline, dvr_pipeline, G_TYPE_OBJECT)

enum {
  SIGNAL_SEGMENT_CLOSED,
  SIGNAL_RECORDING,
  SIGNAL_FAILED,
  SIGNAL_STOPPED,
  SIGNAL_LAST
};
static guint signals[SIGNAL_LAST];

static void dvr_pipeline_fail (DvrPipeline *self, const gchar *reason);
static gboolean replay_seek (GstElement *pipeline, GstSeekFlags flags);
static gboolean take_over_start (DvrPipeline *self);
typedef enum {
  AFTER_TEARDOWN_RESTART,
  AFTER_TEARDOWN_STOP,
} AfterTeardown;
static void dvr_pipeline_teardown (DvrPipeline *self, AfterTeardown after);

const gchar *
dvr_pipeline_state_to_string (DvrPipelineState state)
{
  switch (state) {
    case DVR_PIPELINE_STATE_STOPPED: return "stopped";
    case DVR_PIPELINE_STATE_STARTING: return "starting";
    case DVR_PIPELINE_STATE_RECORDING: return "recording";
    case DVR_PIPELINE_STATE_STOPPING: return "stopping";
    case DVR_PIPELINE_STATE_FAILED: return "failed";
  }
  return "unknown";
}

static void
set_state (DvrPipeline *self, DvrPipelineState state)
{
  if (self->state == state)
    return;
  GST_INFO_OBJECT (self->pipeline, "%s: %s -> %s", self->camera->name,
      dvr_pipeline_state_to_string (self->state),
      dvr_pipeline_state_to_string (state));
  self->state = state;
}

/* encoder = auto: a V4L2 memory-to-memory encoder when GStreamer registered
 * one (v4l2h264enc exists only on a machine with such a device), else x264. */
static const gchar *
resolve_encoder (const gchar *encoder)
{
  if (g_strcmp0 (encoder, "auto") == 0 || encoder == NULL) {
    g_autoptr (GstElementFactory) hardware = gst_element_factory_find ("v4l2h264enc");
    return hardware != NULL ? "v4l2h264enc" : "x264enc";
  }
  return encoder;
}

static const gchar *
encoder_description (const DvrCameraConfig *camera, GString *out)
{
  const gchar *encoder = resolve_encoder (camera->encoder);

  if (g_str_equal (encoder, "v4l2h264enc")) {
    /* The stateful V4L2 encoder API: bitrate in bit/s, keyframe period in
     * frames, as V4L2 controls. */
    g_string_append_printf (out,
        "v4l2h264enc extra-controls=\"controls,video_bitrate=%u,h264_i_frame_period=%u\" ! ",
        camera->bitrate_kbps * 1000, camera->keyframe_interval);
  } else if (g_str_equal (encoder, "openh264enc")) {
    g_string_append_printf (out,
        "openh264enc bitrate=%u gop-size=%u rate-control=bitrate ! ",
        camera->bitrate_kbps * 1000, camera->keyframe_interval);
  } else {
    /* zerolatency: no lookahead or B-frames, so a frame leaves the encoder
     * as it comes in and the open segment lags the camera by one frame. */
    g_string_append_printf (out,
        "x264enc tune=zerolatency speed-preset=ultrafast bitrate=%u "
        "key-int-max=%u ! ", camera->bitrate_kbps, camera->keyframe_interval);
  }
  g_string_append (out, "h264parse ! "
      "capsfilter name=tail caps=video/x-h264,stream-format=avc,alignment=au");
  return out->str;
}

/* The burned-in watermark (encoded pictures only), top left: unit and
 * camera, then speed and active signals (dvr_pipeline_set_watermark())
 * followed by the UTC time with Z (dvrd runs with TZ=UTC).  One
 * clockoverlay (its text comes before the time), in a small font: it
 * renders and blends on the camera's streaming thread every frame, and the
 * cost grows with the glyphs' size.  At 1080p on our test machine: about
 * 4 ms a frame at this size (height / 60), 20 ms at height / 30, 22 ms for
 * the textoverlay + clockoverlay pair this replaced (docs/benchmarks.md). */
static void
append_watermark (const DvrCameraConfig *camera, GString *d)
{
  g_string_append_printf (d,
      "clockoverlay name=watermark text=\"%s\" time-format=\"%%Y-%%m-%%dT%%H:%%M:%%SZ\" "
      "valignment=top halignment=left font-desc=\"Sans Bold %u\" "
      "shaded-background=true ! ",
      camera->name, MAX (camera->height / 60, 10));
}

gchar *
dvr_pipeline_describe (const DvrCameraConfig *camera, const DvrV4l2Choice *choice)
{
  g_autoptr (GString) d = g_string_new (NULL);
  g_autofree gchar *raw_caps = g_strdup_printf (
      "video/x-raw,width=%u,height=%u,framerate=%d/%d",
      camera->width, camera->height, camera->framerate_n, camera->framerate_d);

  switch (camera->kind) {
    case DVR_SOURCE_KIND_TEST:
      /* Demo and test cameras: with the watermark on (the default), each
       * shows its name and the UTC time, so a recording proves what it is
       * at a glance. */
      g_string_append_printf (d,
          "videotestsrc name=source is-live=true pattern=%s ! %s ! "
          "identity name=frames_in silent=true ! ",
          camera->pattern ? camera->pattern : "smpte", raw_caps);
      if (camera->watermark)
        append_watermark (camera, d);
      g_string_append (d, "queue max-size-buffers=8 ! ");
      encoder_description (camera, d);
      break;
    case DVR_SOURCE_KIND_REPLAY:
      /* A recording replayed live at its own rate, passed through untouched:
       * a stand-in for a camera's compressed output. */
      g_string_append_printf (d,
          "filesrc name=source location=\"%s\" ! parsebin ! "
          "capsfilter name=replay_caps caps=\"video/x-h264,stream-format=avc,alignment=au;image/jpeg\" ! "
          "clocksync ! identity name=frames_in silent=true",
          camera->location);
      break;
    case DVR_SOURCE_KIND_V4L2: {
      /* What the probe chose, exactly: format, size and rate. */
      g_autofree gchar *fps = g_strdup_printf ("width=%u,height=%u,framerate=%d/%d",
          camera->width, camera->height, camera->framerate_n, camera->framerate_d);
      g_return_val_if_fail (choice != NULL, NULL);
      g_string_append_printf (d, "v4l2src name=source device=\"%s\" ! ", camera->location);
      if (choice->fourcc == V4L2_PIX_FMT_H264)
        g_string_append_printf (d, "video/x-h264,%s ! ", fps);
      else if (choice->action != DVR_V4L2_ACTION_ENCODE)
        g_string_append_printf (d, "image/jpeg,%s ! ", fps);
      else
        g_string_append_printf (d, "video/x-raw,format=%s,%s ! ",
            dvr_v4l2_fourcc_to_gst_format (choice->fourcc), fps);
      g_string_append (d, "identity name=frames_in silent=true");
      if (choice->action == DVR_V4L2_ACTION_PASSTHROUGH) {
        /* H.264 is parsed into the AVC form Matroska stores; JPEG frames
         * go in as they are. */
        if (choice->fourcc == V4L2_PIX_FMT_H264)
          g_string_append (d, " ! h264parse ! "
              "capsfilter name=tail caps=video/x-h264,stream-format=avc,alignment=au");
        break;
      }
      /* 4:2:0 whatever the camera sends (UVC MJPEG is often 4:2:2): High
       * profile H.264 that every player decodes. */
      g_string_append_printf (d, " ! %svideoconvert ! video/x-raw,format=I420 ! ",
          choice->action == DVR_V4L2_ACTION_TRANSCODE ? "jpegdec ! " : "");
      if (camera->watermark)
        append_watermark (camera, d);
      g_string_append (d, "queue max-size-buffers=8 ! ");
      encoder_description (camera, d);
      break;
    }
  }
  /* No queue before splitmuxsink: its own multiqueue decouples the muxer
   * and the file from the source, and another thread hand-off per frame
   * costs measurable CPU (docs/benchmarks.md). */
  return g_string_free (g_steal_pointer (&d), FALSE);
}

/* Streaming thread: every frame the source hands on. */
static GstPadProbeReturn
frames_in_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  DvrPipeline *self = user_data;
  __atomic_fetch_add (&self->frames_in, 1, __ATOMIC_RELAXED);
  __atomic_store_n (&self->last_frame_mono_ns, dvr_monotonic_now_ns (), __ATOMIC_RELAXED);
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: every frame and event into the muxer.  splitmuxsink
 * sends EOS through the muxer at the end of each fragment, before it posts
 * splitmuxsink-fragment-closed, so the counters are queued in fragment
 * order and the bus handler pops them in the same order. */
static GstPadProbeReturn
mux_sink_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  DvrPipeline *self = user_data;

  g_mutex_lock (&self->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : GST_BUFFER_DTS (buf);
    GstClockTime rt = gst_segment_to_running_time (&self->mux_segment, GST_FORMAT_TIME, ts);
    if (GST_CLOCK_TIME_IS_VALID (rt)) {
      GstClockTime duration = GST_BUFFER_DURATION_IS_VALID (buf) ?
          GST_BUFFER_DURATION (buf) : (GstClockTime) self->frame_duration_ns;
      if (self->current.frames == 0 || rt < self->current.first_rt)
        self->current.first_rt = rt;
      if (!GST_CLOCK_TIME_IS_VALID (self->current.end_rt) || rt + duration > self->current.end_rt)
        self->current.end_rt = rt + duration;
    }
    self->current.frames++;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
    switch (GST_EVENT_TYPE (event)) {
      case GST_EVENT_SEGMENT:
        gst_event_copy_segment (event, &self->mux_segment);
        break;
      case GST_EVENT_CAPS: {
        GstCaps *caps;
        gst_event_parse_caps (event, &caps);
        if (caps != NULL && gst_caps_get_size (caps) > 0) {
          const gchar *media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
          g_free (self->current.codec);
          self->current.codec = g_strdup (g_str_equal (media, "image/jpeg") ? "jpeg" :
              g_str_equal (media, "video/x-h264") ? "h264" : media);
        }
        break;
      }
      case GST_EVENT_EOS: {
        FragmentStats *done = g_new0 (FragmentStats, 1);
        *done = self->current;
        done->codec = g_strdup (self->current.codec);
        g_queue_push_tail (&self->closed, done);
        self->current.frames = 0;
        self->current.first_rt = GST_CLOCK_TIME_NONE;
        self->current.end_rt = GST_CLOCK_TIME_NONE;
        break;
      }
      default:
        break;
    }
  }
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

static void
mux_pad_added (GstElement *mux, GstPad *pad, gpointer user_data)
{
  DvrPipeline *self = user_data;
  g_autofree gchar *name = gst_pad_get_name (pad);
  /* Frames are counted on the video track; the metadata tracks are not. */
  if (GST_PAD_DIRECTION (pad) != GST_PAD_SINK || !g_str_has_prefix (name, "video"))
    return;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      mux_sink_probe, self, NULL);
}

/* Streaming thread (splitmuxsink "format-location-full").  No disk access:
 * the day folders were made on the main loop before start. */
static gchar *
format_location (GstElement *splitmux, guint fragment_id, GstSample *first,
    gpointer user_data)
{
  DvrPipeline *self = user_data;
  GstBuffer *buf = gst_sample_get_buffer (first);
  const GstSegment *segment = gst_sample_get_segment (first);
  gint64 start_utc = dvr_utc_now_ns ();
  guint seq = (guint) g_atomic_int_add (&self->next_seq, 1);
  g_autofree gchar *relpath = NULL;

  if (buf != NULL && segment != NULL) {
    GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : GST_BUFFER_DTS (buf);
    GstClockTime rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
    /* Not self->pipeline: a teardown may already have taken it while this
     * thread still runs.  The sink's base time is the pipeline's. */
    GstClockTime base = gst_element_get_base_time (splitmux);
    g_mutex_lock (&self->lock);
    self->base_time = base;
    g_mutex_unlock (&self->lock);
    if (GST_CLOCK_TIME_IS_VALID (rt) && GST_CLOCK_TIME_IS_VALID (base))
      start_utc = (gint64) (base + rt) + self->utc_offset_ns;
  }
  relpath = self->options.name_func (self->camera->name, seq, start_utc,
      self->options.name_data);
  return g_build_filename (self->storage_root, relpath, NULL);
}

static const gchar *
relative_path (DvrPipeline *self, const gchar *location)
{
  gsize n = strlen (self->storage_root);
  if (g_str_has_prefix (location, self->storage_root) && location[n] == G_DIR_SEPARATOR)
    return location + n + 1;
  return location;
}

/* Emits the segment that just closed, with the counters the muxer probe
 * queued for it (or, with @from_current, those of the open one). */
static void
emit_segment (DvrPipeline *self, const gchar *relpath, DvrSegmentState state,
    gboolean from_current)
{
  g_autoptr (DvrSegment) segment = dvr_segment_new ();
  FragmentStats *stats;
  FragmentStats current = { 0, };
  GstClockTime base_time;

  g_mutex_lock (&self->lock);
  base_time = self->base_time;
  if (from_current) {
    current = self->current;
    current.codec = g_strdup (self->current.codec);
    stats = &current;
  } else {
    stats = g_queue_pop_head (&self->closed);
  }
  g_mutex_unlock (&self->lock);

  segment->camera = g_strdup (self->camera->name);
  segment->path = g_strdup (relpath);
  segment->state = state;
  if (stats != NULL) {
    segment->frames = stats->frames;
    segment->codec = g_strdup (stats->codec ? stats->codec : "h264");
    if (stats->frames > 0 && GST_CLOCK_TIME_IS_VALID (stats->first_rt)) {
      segment->start_utc_ns = (gint64) (base_time + stats->first_rt) + self->utc_offset_ns;
      segment->start_mono_ns = (gint64) (base_time + stats->first_rt);
      segment->end_utc_ns = (gint64) (base_time + stats->end_rt) + self->utc_offset_ns;
    }
  } else {
    GST_WARNING_OBJECT (self->pipeline, "%s: no counters for %s", self->camera->name, relpath);
    segment->codec = g_strdup ("h264");
  }
  if (segment->start_utc_ns == 0) {
    segment->start_utc_ns = segment->end_utc_ns = dvr_utc_now_ns ();
    segment->start_mono_ns = dvr_monotonic_now_ns ();
  }
  if (from_current)
    g_free (current.codec);
  else if (stats != NULL)
    fragment_stats_free (stats);

  self->frames_recorded += segment->frames;
  self->segments++;
  g_signal_emit (self, signals[SIGNAL_SEGMENT_CLOSED], 0, segment);
}

static void
handle_element_message (DvrPipeline *self, GstMessage *message)
{
  const GstStructure *s = gst_message_get_structure (message);
  const gchar *location;

  if (s == NULL)
    return;
  location = gst_structure_get_string (s, "location");
  if (gst_structure_has_name (s, "splitmuxsink-fragment-opened") && location != NULL) {
    gboolean first = self->state == DVR_PIPELINE_STATE_STARTING;
    g_free (self->segment);
    self->segment = g_strdup (relative_path (self, location));
    GST_DEBUG_OBJECT (self->pipeline, "opened %s", self->segment);
    if (first) {
      g_clear_pointer (&self->last_reported_error, g_free);
      set_state (self, DVR_PIPELINE_STATE_RECORDING);
      g_signal_emit (self, signals[SIGNAL_RECORDING], 0, dvr_utc_now_ns ());
    }
  } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed") && location != NULL) {
    GST_DEBUG_OBJECT (self->pipeline, "closed %s", location);
    /* A good segment means the camera works: start backoff over. */
    self->backoff_ns = self->options.backoff_min_ns;
    emit_segment (self, relative_path (self, location), DVR_SEGMENT_STATE_COMPLETE, FALSE);
    g_clear_pointer (&self->segment, g_free);
  }
}

static gboolean
bus_cb (GstBus *bus, GstMessage *message, gpointer user_data)
{
  DvrPipeline *self = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ELEMENT:
      handle_element_message (self, message);
      break;
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;
      g_autofree gchar *reason = NULL;
      gst_message_parse_error (message, &error, &debug);
      /* An unplugged camera shows up as a resource error from v4l2src whose
       * text varies ("Failed to allocate a buffer", "Could not read"):
       * recognise it by domain, source and the node being gone. */
      if (self->camera->kind == DVR_SOURCE_KIND_V4L2 &&
          error->domain == GST_RESOURCE_ERROR &&
          g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), "source") == 0 &&
          !g_file_test (self->camera->location, G_FILE_TEST_EXISTS))
        reason = g_strdup_printf ("device %s disconnected (%s)", self->camera->location,
            error->message);
      else
        reason = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
            error->message);
      GST_DEBUG_OBJECT (self->pipeline, "error debug: %s", debug);
      /* Only the source failed (unplugged, or a read error): the encoder
       * and muxer still hold good frames, so close the open segment
       * properly instead of cutting it off. */
      if (g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), "source") == 0 &&
          self->state == DVR_PIPELINE_STATE_RECORDING && self->segment != NULL)
        self->draining = TRUE;
      dvr_pipeline_fail (self, reason);
      break;
    }
    case GST_MESSAGE_EOS:
      if (self->state == DVR_PIPELINE_STATE_STOPPING) {
        dvr_pipeline_teardown (self, AFTER_TEARDOWN_STOP);
      } else if (self->draining) {
        /* The failed source's last segment is closed: now restart. */
        dvr_pipeline_teardown (self, AFTER_TEARDOWN_RESTART);
      } else {
        /* A source that ends by itself (a replay file that cannot loop) is a
         * failure for a camera that should record for ever. */
        dvr_pipeline_fail (self, "source ended");
      }
      break;
    case GST_MESSAGE_SEGMENT_DONE:
      /* Replay: loop seamlessly; running time goes on across the seek. */
      if (self->state != DVR_PIPELINE_STATE_STOPPING && !replay_seek (self->pipeline, 0))
        dvr_pipeline_fail (self, "replay cannot loop: seek refused");
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
stall_check_cb (gpointer user_data)
{
  DvrPipeline *self = user_data;
  gint64 last = __atomic_load_n (&self->last_frame_mono_ns, __ATOMIC_RELAXED);
  gint64 idle = dvr_monotonic_now_ns () - last;

  if (self->state != DVR_PIPELINE_STATE_STARTING && self->state != DVR_PIPELINE_STATE_RECORDING)
    return G_SOURCE_CONTINUE;
  if (idle > self->options.stall_timeout_ns) {
    g_autofree gchar *reason = self->pipeline == NULL ?
        g_strdup_printf ("camera did not answer the probe within %.1f s",
            (double) idle / DVR_NSEC_PER_SEC) :
        g_strdup_printf ("stalled: no frame for %.1f s", (double) idle / DVR_NSEC_PER_SEC);
    self->stall_source = 0;
    dvr_pipeline_fail (self, reason);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
restart_cb (gpointer user_data)
{
  DvrPipeline *self = user_data;
  self->restart_source = 0;
  self->restarts++;
  dvr_pipeline_start (self);
  return G_SOURCE_REMOVE;
}

static gboolean
device_poll_cb (gpointer user_data)
{
  DvrPipeline *self = user_data;
  if (!g_file_test (self->camera->location, G_FILE_TEST_EXISTS))
    return G_SOURCE_CONTINUE;
  return restart_cb (self);
}

/* After a failure: a camera whose node is gone is watched for (a stat()
 * every DEVICE_POLL_MS); anything else is retried after the backoff,
 * which doubles up to its maximum. */
static void
schedule_restart (DvrPipeline *self)
{
  g_clear_handle_id (&self->restart_source, g_source_remove);
  if (self->camera->kind == DVR_SOURCE_KIND_V4L2 &&
      !g_file_test (self->camera->location, G_FILE_TEST_EXISTS)) {
    self->restart_source = g_timeout_add (DEVICE_POLL_MS, device_poll_cb, self);
    return;
  }
  self->restart_source = g_timeout_add ((guint) (self->backoff_ns / DVR_NSEC_PER_MSEC),
      restart_cb, self);
  self->backoff_ns = MIN (self->backoff_ns * 2, self->options.backoff_max_ns);
}

typedef struct {
  DvrPipeline *self;       /* ref */
  GstElement *pipeline;    /* ref */
  AfterTeardown after;
} Teardown;

static void
teardown_free (Teardown *job)
{
  gst_object_unref (job->pipeline);
  g_object_unref (job->self);
  g_free (job);
}

/* Main loop, once the pipeline is in NULL: no streaming thread is left, so
 * the counters are final. */
static gboolean
teardown_done (gpointer data)
{
  Teardown *job = data;
  DvrPipeline *self = job->self;
  g_autoptr (GstBus) bus = gst_element_get_bus (job->pipeline);
  GstMessage *m;

  /* Fragments that closed before the end whose messages are still queued. */
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    handle_element_message (self, m);
    gst_message_unref (m);
  }
  /* The open segment keeps what was written: Matroska plays up to the last
   * complete frame.  It is partial because the muxer did not close it. */
  if (self->segment != NULL) {
    emit_segment (self, self->segment, DVR_SEGMENT_STATE_PARTIAL, TRUE);
    g_clear_pointer (&self->segment, g_free);
  }
  g_mutex_lock (&self->lock);
  g_queue_clear_full (&self->closed, (GDestroyNotify) fragment_stats_free);
  g_clear_pointer (&self->current.codec, g_free);
  self->current.frames = 0;
  self->current.first_rt = self->current.end_rt = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&self->lock);
  self->teardown_pending = FALSE;

  if (job->after == AFTER_TEARDOWN_STOP || self->stop_requested) {
    set_state (self, DVR_PIPELINE_STATE_STOPPED);
    g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
  } else {
    schedule_restart (self);
  }
  return G_SOURCE_REMOVE;
}

/* Helper thread: a camera whose driver hangs in close() blocks this thread,
 * never the main loop or the other cameras. */
static void
teardown_thread (GstElement *pipeline, gpointer data)
{
  Teardown *job = data;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_main_context_invoke_full (job->self->context, G_PRIORITY_DEFAULT,
      teardown_done, job, (GDestroyNotify) teardown_free);
}

/* Forgets the pipeline and sets it to NULL on a helper thread; then
 * teardown_done() emits the open segment and restarts or stops. */
static void
dvr_pipeline_teardown (DvrPipeline *self, AfterTeardown after)
{
  Teardown *job;

  g_clear_handle_id (&self->stall_source, g_source_remove);
  g_clear_handle_id (&self->stop_source, g_source_remove);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  self->draining = FALSE;
  take_over_start (self);
  if (self->pipeline == NULL || self->teardown_pending)
    return;
  job = g_new0 (Teardown, 1);
  job->self = g_object_ref (self);
  job->pipeline = g_steal_pointer (&self->pipeline);
  job->after = after;
  gst_clear_object (&self->splitmux);
  gst_clear_object (&self->meta);
  self->teardown_pending = TRUE;
  gst_element_call_async (job->pipeline, teardown_thread, job, NULL);
}

/* Helper thread: sending a serialized event waits for the pad's stream
 * lock, which a busy streaming thread may hold for a while. */
static void
send_eos_thread (GstElement *pipeline, gpointer data)
{
  gst_pad_send_event (GST_PAD (data), gst_event_new_eos ());
}

/* Helper thread: EOS into every input of splitmuxsink, the video first.
 * An EOS on the video alone leaves the metadata tracks open, and the
 * muxer never finishes the file: the source's own EOS, queued in front of
 * the encoder behind frames the muxer now refuses, is dropped there with
 * them (the queue stops on their GST_FLOW_EOS), so dvrmeta never passes
 * it on to the tracks. */
static void
send_eos_to_inputs_thread (GstElement *pipeline, gpointer data)
{
  GstElement *splitmux = data;
  g_autoptr (GstPad) video = gst_element_get_static_pad (splitmux, "video");
  g_autoptr (GstIterator) it = gst_element_iterate_sink_pads (splitmux);
  GValue item = G_VALUE_INIT;

  if (video != NULL)
    gst_pad_send_event (video, gst_event_new_eos ());
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstPad *pad = g_value_get_object (&item);
    if (pad != video)
      gst_pad_send_event (pad, gst_event_new_eos ());
    g_value_reset (&item);
  }
  g_value_unset (&item);
}

static gboolean
drain_timeout_cb (gpointer user_data)
{
  DvrPipeline *self = user_data;
  self->stop_source = 0;
  GST_WARNING_OBJECT (self->pipeline, "%s: open segment did not close in time; kept as partial",
      self->camera->name);
  dvr_pipeline_teardown (self, AFTER_TEARDOWN_RESTART);
  return G_SOURCE_REMOVE;
}

/* EOS right behind the last frame the failed source delivered: the encoder
 * drains and the muxer closes the segment (bus_cb then tears down).  The
 * camera is already FAILED, its gap open. */
static void
drain (DvrPipeline *self)
{
  g_autoptr (GstElement) frames_in = gst_bin_get_by_name (GST_BIN (self->pipeline), "frames_in");
  GstPad *pad = gst_element_get_static_pad (frames_in, "sink");

  g_clear_handle_id (&self->stall_source, g_source_remove);
  gst_element_call_async (self->pipeline, send_eos_thread, pad, gst_object_unref);
  g_clear_handle_id (&self->stop_source, g_source_remove);
  self->stop_source = g_timeout_add (DRAIN_TIMEOUT_MS, drain_timeout_cb, self);
}

static void
dvr_pipeline_fail (DvrPipeline *self, const gchar *reason)
{
  gint64 since;

  if (self->state == DVR_PIPELINE_STATE_STOPPING) {
    GST_WARNING_OBJECT (self->pipeline, "%s: error while stopping: %s", self->camera->name, reason);
    dvr_pipeline_teardown (self, AFTER_TEARDOWN_STOP);
    return;
  }
  if (self->state != DVR_PIPELINE_STATE_STARTING && self->state != DVR_PIPELINE_STATE_RECORDING)
    return;

  g_free (self->last_error);
  self->last_error = g_strdup (reason);
  /* The gap starts at the last frame the source delivered (or at this
   * attempt's start when it delivered none). */
  since = __atomic_load_n (&self->last_frame_mono_ns, __ATOMIC_RELAXED) + self->utc_offset_ns;
  set_state (self, DVR_PIPELINE_STATE_FAILED);
  /* The operator hears of a camera lost once per distinct reason, not at
   * every retry of a camera that stays unplugged. */
  if (g_strcmp0 (self->last_error, self->last_reported_error) != 0) {
    g_warning ("camera %s: %s; retrying with backoff", self->camera->name, reason);
    g_free (self->last_reported_error);
    self->last_reported_error = g_strdup (reason);
  } else {
    GST_INFO ("camera %s: %s; retrying in %.1f s", self->camera->name, reason,
        (double) self->backoff_ns / DVR_NSEC_PER_SEC);
  }
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, reason, since);
  if (self->pipeline != NULL && self->draining) {
    drain (self);
  } else if (self->pipeline != NULL) {
    dvr_pipeline_teardown (self, AFTER_TEARDOWN_RESTART);
  } else {
    /* Nothing was built (or the probe is still out: its result will be
     * dropped): straight to the backoff. */
    self->prepare_generation++;
    g_clear_handle_id (&self->stall_source, g_source_remove);
    schedule_restart (self);
  }
}

/* Replay looping.  The seek goes straight upstream from the caps filter to
 * parsebin's demuxer: a seek on the pipeline would go through the muxer,
 * which refuses seeks.  It carries the SEGMENT flag, so the end of the file
 * posts SEGMENT_DONE and bus_cb loops without a flush, running time going
 * on.  splitmuxsink does not preroll (its sink is async=false), so the first
 * seek cannot follow PAUSED at once: the first buffer out of parsebin
 * triggers it, on a helper thread (a flushing seek from the streaming
 * thread would deadlock). */
static gboolean
replay_seek (GstElement *pipeline, GstSeekFlags flags)
{
  g_autoptr (GstElement) caps = gst_bin_get_by_name (GST_BIN (pipeline), "replay_caps");
  g_autoptr (GstPad) pad = caps ? gst_element_get_static_pad (caps, "sink") : NULL;
  g_autoptr (GstQuery) query = gst_query_new_seeking (GST_FORMAT_TIME);
  gboolean seekable = FALSE;

  if (pad == NULL)
    return FALSE;
  /* A named pipe cannot seek, and a seek attempted anyway can make the
   * demuxer drop what it has: ask first. */
  if (gst_pad_peer_query (pad, query))
    gst_query_parse_seeking (query, NULL, &seekable, NULL, NULL);
  if (!seekable)
    return FALSE;
  return gst_pad_push_event (pad, gst_event_new_seek (1.0, GST_FORMAT_TIME,
          flags | GST_SEEK_FLAG_SEGMENT, GST_SEEK_TYPE_SET, 0,
          GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE));
}

/* Helper thread.  start_lock is held across the seek and the state change
 * (a seek on a file and PAUSED to PLAYING: milliseconds), so a stop or a
 * teardown on the main loop comes wholly before or wholly after them. */
static void
replay_start (GstElement *pipeline, gpointer user_data)
{
  DvrPipeline *self = user_data;

  g_mutex_lock (&self->start_lock);
  if (self->start_pending != pipeline) {
    g_mutex_unlock (&self->start_lock);
    GST_DEBUG_OBJECT (pipeline, "stopped or torn down before it played: not starting");
    return;
  }
  self->start_pending = NULL;
  if (!replay_seek (pipeline, GST_SEEK_FLAG_FLUSH))
    GST_INFO_OBJECT (pipeline, "replay source cannot seek: it will not loop");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_mutex_unlock (&self->start_lock);
}

/* Main loop: takes the current pipeline's start over from replay_start().
 * TRUE when that start had not run yet: the replay never played, and
 * nothing reached the muxer (clocksync holds the first frame in PAUSED). */
static gboolean
take_over_start (DvrPipeline *self)
{
  gboolean pending;

  g_mutex_lock (&self->start_lock);
  pending = self->pipeline != NULL && self->start_pending == self->pipeline;
  self->start_pending = NULL;
  g_mutex_unlock (&self->start_lock);
  return pending;
}

/* A non-flushing segment seek bases the next loop on the last frame's
 * timestamp, not on its end, so every loop would repeat one timestamp.
 * Rebase each new segment on the end of the last frame instead: the
 * replayed stream is then as continuous as a camera's.  dvrmeta keeps
 * that new segment off its tracks: there it deadlocked matroskamux when a
 * loop started a segment (plugins/dvr-meta.c, docs/metadata.md). */
static GstPadProbeReturn
replay_rebase_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  DvrPipeline *self = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime rt = gst_segment_to_running_time (&self->replay_segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    if (GST_CLOCK_TIME_IS_VALID (rt)) {
      GstClockTime end = rt + (GST_BUFFER_DURATION_IS_VALID (buf) ?
          GST_BUFFER_DURATION (buf) : (GstClockTime) self->frame_duration_ns);
      if (!GST_CLOCK_TIME_IS_VALID (self->replay_end_rt) || end > self->replay_end_rt)
        self->replay_end_rt = end;
    }
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_SEGMENT) {
    GstSegment segment;
    gst_event_copy_segment (GST_PAD_PROBE_INFO_EVENT (info), &segment);
    if (GST_CLOCK_TIME_IS_VALID (self->replay_end_rt) &&
        gst_segment_to_running_time (&segment, GST_FORMAT_TIME, segment.start) < self->replay_end_rt) {
      segment.base = self->replay_end_rt;
      gst_event_unref (GST_PAD_PROBE_INFO_EVENT (info));
      GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_segment (&segment);
    }
    self->replay_segment = segment;
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
replay_first_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  DvrPipeline *self = user_data;
  /* The pipeline from the pad, not self->pipeline, which a teardown may
   * already have taken while this streaming thread runs. */
  g_autoptr (GstElement) caps = gst_pad_get_parent_element (pad);
  g_autoptr (GstObject) pipeline = caps ? gst_object_get_parent (GST_OBJECT (caps)) : NULL;

  if (pipeline != NULL)
    gst_element_call_async (GST_ELEMENT (pipeline), replay_start, g_object_ref (self),
        g_object_unref);
  return GST_PAD_PROBE_REMOVE;
}

/* splitmuxsink starts a new file when the next GOP would take the open one
 * past max-size-time.  Test cameras' timestamps are exact multiples of the
 * frame duration, computed as splitmuxsink computes them: it asks their
 * encoder for a keyframe exactly at the boundary, and segments are exact
 * whatever their length.  A camera's timestamps come from the driver, a
 * nanosecond either side of the ideal: a keyframe request there can miss
 * by a frame, and x264 then restarts its GOP one frame late, so segments
 * would come out a GOP short.  Those cameras (and replays) split on their
 * own GOPs instead (key-int-max when we encode), with half a frame of slack
 * so that GOPs dividing the segment length exactly always fit. */
static gboolean
exact_timestamps (DvrPipeline *self)
{
  return self->camera->kind == DVR_SOURCE_KIND_TEST;
}

static gint64
split_slack (DvrPipeline *self)
{
  if (exact_timestamps (self))
    return 0;
  return gst_util_uint64_scale_int (GST_SECOND, self->camera->framerate_d,
      self->camera->framerate_n) / 2;
}

/* The frame of a camera we encode that starts its second GOP.
 * splitmuxsink hands a GOP to the muxer only when the next keyframe has
 * come in, so a recording's first frame reached the file a whole GOP (one
 * second by default) after it was captured; asking the encoder for a
 * keyframe at this frame makes that a few frames.  Not 1: the muxer
 * writes a GOP's last frame only with the next GOP (it waits for the JSON
 * track's next sample, plugins/dvr-meta.c), so a first GOP of one frame
 * would hold it a whole GOP again. */
#define EARLY_KEYFRAME 2

typedef struct {
  GstClockTime frame_duration;
  guint keyframe_interval;
} EarlyKeyframe;

/* Streaming thread: the encoder's first frame, on its way to the muxer.
 * Asks for a keyframe at EARLY_KEYFRAME, and another at keyframe-interval,
 * where the second GOP would have started: x264 counts key-int-max from
 * the last keyframe, so without it every later GOP would move, and the
 * segments of cameras that split on their own GOPs would stop being whole
 * GOPs of the usual length.  Each request is half a frame early: a
 * driver's timestamps are a little off the ideal, and the encoder takes
 * the first frame at or after the time asked.  A passed-through stream's
 * GOPs are the camera's: nothing to ask. */
static GstPadProbeReturn
early_keyframe_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  const EarlyKeyframe *early = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment;
  GstClockTime first, half = early->frame_duration / 2;

  if (event == NULL || !GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_REMOVE;
  gst_event_parse_segment (event, &segment);
  first = gst_segment_to_running_time (segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (first))
    return GST_PAD_PROBE_REMOVE;
  GST_DEBUG_OBJECT (pad, "first frame at %" GST_TIME_FORMAT ": keyframes asked at frames %u "
      "and %u", GST_TIME_ARGS (first), EARLY_KEYFRAME, early->keyframe_interval);
  gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (
          first + EARLY_KEYFRAME * early->frame_duration - half, TRUE, 0));
  gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (
          first + early->keyframe_interval * early->frame_duration - half, TRUE, 0));
  return GST_PAD_PROBE_REMOVE;
}

static gboolean
encodes (DvrPipeline *self)
{
  return self->camera->kind == DVR_SOURCE_KIND_TEST ||
      (self->camera->kind == DVR_SOURCE_KIND_V4L2 &&
          self->choice.action != DVR_V4L2_ACTION_PASSTHROUGH);
}

/* Video from @tail through dvrmeta into splitmuxsink's video pad, and
 * dvrmeta's two tracks into subtitle pads.  Each track goes through a
 * queue: dvrmeta pushes them from the video's streaming thread, and
 * splitmuxsink holds back a stream that runs ahead of the video's GOP,
 * which would otherwise block that thread for good.  Without the element
 * (not installed) the camera records without tracks, and says so. */
/* dvrmeta's action signals return whether it took the structure. */
static void
meta_emit (GstElement *meta, const gchar *signal, const GstStructure *structure)
{
  gboolean taken = FALSE;

  g_signal_emit_by_name (meta, signal, structure, &taken);
  if (!taken)
    GST_WARNING_OBJECT (meta, "%s refused %" GST_PTR_FORMAT, signal, structure);
}

/* Our own elements (plugins/), linked in: registered unless the registry
 * already has them (an installed libgstdvr.so of the same build). */
GST_PLUGIN_STATIC_DECLARE (dvr);

static void
register_elements (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    g_autoptr (GstElementFactory) meta = gst_element_factory_find ("dvrmeta");
    if (meta == NULL)
      GST_PLUGIN_STATIC_REGISTER (dvr);
    g_once_init_leave (&done, 1);
  }
}

static gboolean
link_metadata (DvrPipeline *self, GstBin *bin, GstElement *tail, GstElement *splitmux,
               GError **error)
{
  static gsize warned = 0;
  GstElement *meta;

  register_elements ();
  meta = gst_element_factory_make ("dvrmeta", "meta");
  const gchar *const tracks[] = { "text", "json" };

  if (meta == NULL) {
    if (g_once_init_enter (&warned)) {
      g_warning ("the dvrmeta element is missing (libgstdvr.so): recording without "
          "metadata tracks");
      g_once_init_leave (&warned, 1);
    }
    if (!gst_element_link_pads (tail, "src", splitmux, "video")) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "cannot link to splitmuxsink");
      return FALSE;
    }
    return TRUE;
  }
  g_object_set (meta, "unit-id", self->options.unit_id, "camera", self->camera->name, NULL);
  gst_util_set_object_arg (G_OBJECT (meta), "speed-units",
      self->options.speed_units == DVR_SPEED_UNITS_MPH ? "mph" : "kmh");
  gst_bin_add (bin, meta);
  if (!gst_element_link_pads (tail, "src", meta, "sink") ||
      !gst_element_link_pads (meta, "src", splitmux, "video")) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link dvrmeta to splitmuxsink");
    return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS (tracks); i++) {
    GstElement *queue = gst_element_factory_make ("queue", NULL);
    g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
        "max-size-time", (guint64) 10 * GST_SECOND, NULL);
    gst_bin_add (bin, queue);
    if (!gst_element_link_pads (meta, tracks[i], queue, "sink") ||
        !gst_element_link_pads (queue, "src", splitmux, "subtitle_%u")) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "cannot link the %s track to splitmuxsink", tracks[i]);
      return FALSE;
    }
  }
  if (self->signal_state != NULL)
    meta_emit (meta, "set-signals", self->signal_state);
  if (self->gps_state != NULL)
    meta_emit (meta, "push-gps", self->gps_state);
  gst_clear_object (&self->meta);
  self->meta = gst_object_ref (meta);
  return TRUE;
}

static gboolean
build (DvrPipeline *self, GError **error)
{
  g_autofree gchar *description = dvr_pipeline_describe (self->camera, &self->choice);
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) tail = NULL;
  g_autoptr (GstElement) frames_in = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstClock) clock = NULL;
  GstElement *mux, *sink, *splitmux;
  g_autofree gchar *name = g_strdup_printf ("camera-%s", self->camera->name);

  GST_DEBUG ("%s: %s", self->camera->name, description);
  pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (pipeline == NULL) {
    g_prefix_error (error, "build pipeline: ");
    return FALSE;
  }
  /* gst_parse_launch returns a floating ref for a top-level pipeline. */
  gst_object_ref_sink (pipeline);
  gst_object_set_name (GST_OBJECT (pipeline), name);

  mux = gst_element_factory_make ("matroskamux", NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  splitmux = gst_element_factory_make ("splitmuxsink", "splitmux");
  if (mux == NULL || sink == NULL || splitmux == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "matroskamux, splitmuxsink or filesink missing (gstreamer1.0-plugins-good)");
    if (mux != NULL)
      gst_object_unref (gst_object_ref_sink (mux));
    if (sink != NULL)
      gst_object_unref (gst_object_ref_sink (sink));
    if (splitmux != NULL)
      gst_object_unref (gst_object_ref_sink (splitmux));
    return FALSE;
  }
  /* Matroska plays when cut off at any byte: a power loss leaves a file
   * that decodes up to the last frame written (tests/integration). */
  g_object_set (mux, "writing-app", "dvr " DVR_VERSION, NULL);
  g_signal_connect (mux, "pad-added", G_CALLBACK (mux_pad_added), self);
  /* Each write of the muxer goes to the file at once: filesink's own
   * 64 KiB buffer held a recording's first keyframe (tens of KiB) back
   * until more frames came, and what it holds is lost with the process or
   * the power.  A few small write()s a frame cost nothing next to the
   * encoder. */
  gst_util_set_object_arg (G_OBJECT (sink), "buffer-mode", "unbuffered");
  g_object_set (splitmux,
      "muxer", mux,
      "sink", sink,
      "max-size-time", (guint64) (self->options.segment_ns + split_slack (self)),
      "send-keyframe-requests", exact_timestamps (self),
      NULL);
  g_signal_connect (splitmux, "format-location-full", G_CALLBACK (format_location), self);
  gst_bin_add (GST_BIN (pipeline), splitmux);

  tail = gst_bin_get_by_name (GST_BIN (pipeline), "tail");
  if (tail == NULL)
    tail = gst_bin_get_by_name (GST_BIN (pipeline), "frames_in");
  if (!link_metadata (self, GST_BIN (pipeline), tail, splitmux, error))
    return FALSE;
  if (encodes (self) && self->camera->keyframe_interval > 2 * EARLY_KEYFRAME) {
    EarlyKeyframe *early = g_new (EarlyKeyframe, 1);
    g_autoptr (GstPad) tail_pad = gst_element_get_static_pad (tail, "sink");

    early->frame_duration = (GstClockTime) self->frame_duration_ns;
    early->keyframe_interval = self->camera->keyframe_interval;
    gst_pad_add_probe (tail_pad, GST_PAD_PROBE_TYPE_BUFFER, early_keyframe_probe, early, g_free);
  }
  {
    g_autoptr (GstElement) watermark = gst_bin_get_by_name (GST_BIN (pipeline), "watermark");
    if (watermark != NULL)
      g_object_set (watermark, "text", self->watermark_text, NULL);
  }
  frames_in = gst_bin_get_by_name (GST_BIN (pipeline), "frames_in");
  pad = gst_element_get_static_pad (frames_in, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, frames_in_probe, self, NULL);
  if (self->camera->kind == DVR_SOURCE_KIND_REPLAY) {
    g_autoptr (GstElement) caps = gst_bin_get_by_name (GST_BIN (pipeline), "replay_caps");
    g_autoptr (GstPad) caps_pad = gst_element_get_static_pad (caps, "sink");
    g_autoptr (GstPad) caps_src = gst_element_get_static_pad (caps, "src");
    gst_pad_add_probe (caps_pad, GST_PAD_PROBE_TYPE_BUFFER, replay_first_buffer, self, NULL);
    gst_segment_init (&self->replay_segment, GST_FORMAT_TIME);
    self->replay_end_rt = GST_CLOCK_TIME_NONE;
    gst_pad_add_probe (caps_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        replay_rebase_probe, self, NULL);
  }

  /* CLOCK_MONOTONIC: running time maps to the catalog's monotonic times and
   * is immune to the wall clock being stepped. */
  clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (pipeline), clock);

  bus = gst_element_get_bus (pipeline);
  self->bus_watch = gst_bus_add_watch (bus, bus_cb, self);
  self->splitmux = gst_object_ref (splitmux);
  self->pipeline = g_steal_pointer (&pipeline);
  return TRUE;
}

/* Helper thread.  A replay goes to PAUSED only: replay_first_buffer() then
 * makes the segment seek and goes to PLAYING. */
static void
start_thread (GstElement *pipeline, gpointer data)
{
  gboolean replay = GPOINTER_TO_INT (data);
  gst_element_set_state (pipeline, replay ? GST_STATE_PAUSED : GST_STATE_PLAYING);
}

/* Builds the pipeline and sets it playing on a helper thread. */
static void
start_pipeline (DvrPipeline *self)
{
  g_autoptr (GError) error = NULL;

  if (!build (self, &error)) {
    dvr_pipeline_fail (self, error->message);
    return;
  }
  if (self->camera->kind == DVR_SOURCE_KIND_REPLAY) {
    g_mutex_lock (&self->start_lock);
    self->start_pending = self->pipeline;
    g_mutex_unlock (&self->start_lock);
  }
  /* Opening a device can block: state changes happen on a helper thread.
   * A failure posts an error, which reaches bus_cb. */
  gst_element_call_async (self->pipeline, start_thread,
      GINT_TO_POINTER (self->camera->kind == DVR_SOURCE_KIND_REPLAY), NULL);
}

static DvrV4l2Policy
policy_from_record_mode (DvrRecordMode mode)
{
  switch (mode) {
    case DVR_RECORD_MODE_PASSTHROUGH:
      return DVR_V4L2_POLICY_PASSTHROUGH;
    case DVR_RECORD_MODE_ENCODE:
      return DVR_V4L2_POLICY_ENCODE;
    case DVR_RECORD_MODE_AUTO:
    default:
      return DVR_V4L2_POLICY_AUTO;
  }
}

gboolean
dvr_pipeline_choose (const DvrCameraConfig *camera, const DvrV4l2Probe *probe,
                     DvrV4l2Choice *choice, GError **error)
{
  if (!dvr_v4l2_choose (probe, camera->width, camera->height, camera->framerate_n,
                        camera->framerate_d, policy_from_record_mode (camera->record),
                        camera->transcode_mjpeg, choice, error)) {
    g_prefix_error (error, "%s (%s): ", probe->device, probe->card ? probe->card : "?");
    return FALSE;
  }
  return TRUE;
}

/* What a V4L2 start asks of the camera, off the main loop. */
typedef struct {
  guint generation;
  const DvrCameraConfig *camera; /* the pipeline's: immutable, and the task holds a ref */
  DvrV4l2Choice choice;    /* out */
  gchar *control_error;    /* out: NULL when every control was set */
} Prepare;

static void
prepare_free (Prepare *job)
{
  g_free (job->control_error);
  g_free (job);
}

/* Task thread: probe, choose, set the controls.  A camera can block in
 * open() or an ioctl (a USB device half gone); that blocks this thread,
 * not the main loop, and the stall watchdog gives up on it. */
static void
prepare_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Prepare *job = data;
  g_autoptr (DvrV4l2Probe) probe = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (DvrV4l2ControlValue));

  const DvrCameraConfig *camera = job->camera;

  if (!g_file_test (camera->location, G_FILE_TEST_EXISTS)) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "device %s is missing", camera->location);
    return;
  }
  probe = dvr_v4l2_probe (camera->location, &error);
  if (probe == NULL || !dvr_pipeline_choose (camera, probe, &job->choice, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  /* Controls every start: a camera that was unplugged, or power-cycled
   * with the car, comes back with its own defaults. */
  for (guint i = 0; camera->controls != NULL && i < camera->controls->len; i++) {
    const DvrControlValue *c = &g_array_index (camera->controls, DvrControlValue, i);
    DvrV4l2ControlValue v = { .id = c->id, .value = c->value };
    g_array_append_val (values, v);
  }
  if (!dvr_v4l2_set_controls (camera->location, probe, (DvrV4l2ControlValue *) values->data,
                              values->len, &error))
    job->control_error = g_strdup (error->message);
  g_task_return_boolean (task, TRUE);
}

/* Main loop. */
static void
prepare_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DvrPipeline *self = DVR_PIPELINE (source);
  Prepare *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  self->prepares_in_flight--;
  /* Stopped, timed out or restarted meanwhile: this result is stale. */
  if (job->generation != self->prepare_generation ||
      self->state != DVR_PIPELINE_STATE_STARTING)
    return;
  if (!ok) {
    dvr_pipeline_fail (self, error->message);
    return;
  }
  self->choice = job->choice;
  g_free (self->capture);
  self->capture = dvr_v4l2_choice_to_string (&job->choice, self->camera->width,
      self->camera->height, self->camera->framerate_n, self->camera->framerate_d);
  /* A control the camera refuses is no reason not to record: say so
   * (once per distinct problem) and record with the camera's settings. */
  if (job->control_error != NULL && g_strcmp0 (job->control_error, self->control_error) != 0)
    g_warning ("camera %s: controls not applied: %s", self->camera->name, job->control_error);
  g_free (self->control_error);
  self->control_error = g_steal_pointer (&job->control_error);
  GST_INFO ("camera %s: %s", self->camera->name, self->capture);
  start_pipeline (self);
}

void
dvr_pipeline_start (DvrPipeline *self)
{
  g_autoptr (GTask) task = NULL;
  Prepare *job;

  g_return_if_fail (DVR_IS_PIPELINE (self));
  if (self->state == DVR_PIPELINE_STATE_STARTING ||
      self->state == DVR_PIPELINE_STATE_RECORDING ||
      self->state == DVR_PIPELINE_STATE_STOPPING ||
      self->teardown_pending)
    return;
  self->stop_requested = FALSE;
  self->eos_forced = FALSE;
  g_clear_handle_id (&self->restart_source, g_source_remove);
  self->attempt_utc_ns = dvr_utc_now_ns ();
  self->utc_offset_ns = dvr_utc_now_ns () - dvr_monotonic_now_ns ();
  self->frame_duration_ns = (gint) gst_util_uint64_scale_int (GST_SECOND,
      self->camera->framerate_d, self->camera->framerate_n);
  __atomic_store_n (&self->last_frame_mono_ns, dvr_monotonic_now_ns (), __ATOMIC_RELAXED);
  gst_segment_init (&self->mux_segment, GST_FORMAT_TIME);
  set_state (self, DVR_PIPELINE_STATE_STARTING);
  /* From here the watchdog also bounds the probe: no frame within the
   * stall timeout, whatever the reason, is a failed start. */
  self->stall_source = g_timeout_add (STALL_CHECK_INTERVAL_MS, stall_check_cb, self);

  if (self->camera->kind != DVR_SOURCE_KIND_V4L2) {
    start_pipeline (self);
    return;
  }
  if (self->prepares_in_flight > 0) {
    /* An earlier probe never came back: do not pile threads on a driver
     * that hangs; try again after the backoff. */
    dvr_pipeline_fail (self, "camera still blocked in the driver (an earlier probe has not "
        "returned)");
    return;
  }
  job = g_new0 (Prepare, 1);
  job->generation = ++self->prepare_generation;
  job->camera = self->camera;
  task = g_task_new (self, NULL, prepare_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) prepare_free);
  self->prepares_in_flight++;
  g_task_run_in_thread (task, prepare_thread);
}


static gboolean
stop_timeout_cb (gpointer user_data)
{
  DvrPipeline *self = user_data;

  if (self->state != DVR_PIPELINE_STATE_STOPPING) {
    self->stop_source = 0;
    return G_SOURCE_REMOVE;
  }
  if (self->splitmux != NULL && !self->eos_forced) {
    /* The source did not forward EOS (stalled), or the encoder is still
     * draining: push it into the muxer side directly, on every stream, so
     * the open segment still gets a proper end. */
    GST_WARNING_OBJECT (self->pipeline, "%s: no EOS from the source, forcing it",
        self->camera->name);
    self->eos_forced = TRUE;
    gst_element_call_async (self->pipeline, send_eos_to_inputs_thread,
        gst_object_ref (self->splitmux), gst_object_unref);
    self->stop_source = g_timeout_add (STOP_TEARDOWN_MS - STOP_FORCE_EOS_MS, stop_timeout_cb, self);
    return G_SOURCE_REMOVE;
  }
  self->stop_source = 0;
  g_warning ("camera %s: segment did not close in time; kept as partial", self->camera->name);
  dvr_pipeline_teardown (self, AFTER_TEARDOWN_STOP);
  return G_SOURCE_REMOVE;
}

void
dvr_pipeline_set_storage_root (DvrPipeline *self, const gchar *storage_root)
{
  g_return_if_fail (DVR_IS_PIPELINE (self));
  g_return_if_fail (self->state == DVR_PIPELINE_STATE_STOPPED);

  g_free (self->storage_root);
  self->storage_root = g_strdup (storage_root);
  self->options.storage_root = self->storage_root;
}

void
dvr_pipeline_stop (DvrPipeline *self)
{
  g_return_if_fail (DVR_IS_PIPELINE (self));

  switch (self->state) {
    case DVR_PIPELINE_STATE_STOPPED:
    case DVR_PIPELINE_STATE_STOPPING:
      return;
    case DVR_PIPELINE_STATE_FAILED:
      g_clear_handle_id (&self->restart_source, g_source_remove);
      if (self->draining) {
        /* The EOS already sent closes the segment; bus_cb then tears down
         * and, stop_requested, stops (or the drain timeout does). */
        self->stop_requested = TRUE;
        set_state (self, DVR_PIPELINE_STATE_STOPPING);
        return;
      }
      if (self->teardown_pending) {
        /* teardown_done() finishes the stop once the old pipeline is gone. */
        self->stop_requested = TRUE;
        set_state (self, DVR_PIPELINE_STATE_STOPPING);
        return;
      }
      set_state (self, DVR_PIPELINE_STATE_STOPPED);
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
      return;
    case DVR_PIPELINE_STATE_STARTING:
      if (self->pipeline == NULL) {
        /* Still probing the camera: nothing was recorded, nothing to close. */
        self->prepare_generation++;
        g_clear_handle_id (&self->stall_source, g_source_remove);
        set_state (self, DVR_PIPELINE_STATE_STOPPED);
        g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
        return;
      }
      break;
    case DVR_PIPELINE_STATE_RECORDING:
      break;
  }
  set_state (self, DVR_PIPELINE_STATE_STOPPING);
  g_clear_handle_id (&self->stall_source, g_source_remove);
  if (take_over_start (self)) {
    /* A replay that never played: no frame, no file, nothing to close.
     * An EOS would only make the muxer write a header without a track,
     * and PAUSED, the pipeline would not even post it. */
    GST_DEBUG_OBJECT (self->pipeline, "%s: stopped before it played", self->camera->name);
    dvr_pipeline_teardown (self, AFTER_TEARDOWN_STOP);
    return;
  }
  /* EOS goes in right after the source, behind every frame counted in:
   * it flows through the encoder and the muxer, so the open segment ends
   * with every frame captured so far.  It does not wait for the source
   * (a stalled camera, or a replay demuxer that ignores EOS sent
   * upstream); the source stops at its next push. */
  {
    g_autoptr (GstElement) frames_in = gst_bin_get_by_name (GST_BIN (self->pipeline), "frames_in");
    GstPad *pad = gst_element_get_static_pad (frames_in, "sink");
    gst_element_call_async (self->pipeline, send_eos_thread, pad, gst_object_unref);
  }
  self->stop_source = g_timeout_add (STOP_FORCE_EOS_MS, stop_timeout_cb, self);
}

const gchar *
dvr_pipeline_get_name (DvrPipeline *self)
{
  return self->camera->name;
}

DvrPipelineState
dvr_pipeline_get_state (DvrPipeline *self)
{
  return self->state;
}

const gchar *
dvr_pipeline_get_segment (DvrPipeline *self)
{
  return self->segment;
}

guint64
dvr_pipeline_get_segment_frames (DvrPipeline *self)
{
  guint64 frames;
  g_mutex_lock (&self->lock);
  frames = self->segment != NULL ? self->current.frames : 0;
  g_mutex_unlock (&self->lock);
  return frames;
}

guint64
dvr_pipeline_get_frames_in (DvrPipeline *self)
{
  return (guint64) __atomic_load_n (&self->frames_in, __ATOMIC_RELAXED);
}

guint64
dvr_pipeline_get_frames_recorded (DvrPipeline *self)
{
  return self->frames_recorded;
}

guint
dvr_pipeline_get_segments (DvrPipeline *self)
{
  return self->segments;
}

guint
dvr_pipeline_get_restarts (DvrPipeline *self)
{
  return self->restarts;
}

const gchar *
dvr_pipeline_get_last_error (DvrPipeline *self)
{
  return self->last_error;
}

void
dvr_pipeline_push_gps (DvrPipeline *self, const DvrGpsFix *fix)
{
  GstStructure *s = gst_structure_new ("gps", "mode", G_TYPE_INT, fix->mode, NULL);
  const struct {
    const gchar *name;
    gdouble value;
  } reals[] = {
    { "lat", fix->lat }, { "lon", fix->lon }, { "alt-hae", fix->alt_hae },
    { "alt-msl", fix->alt_msl }, { "speed", fix->speed }, { "track", fix->track },
    { "climb", fix->climb }, { "eph", fix->eph }, { "epv", fix->epv }, { "eps", fix->eps },
  };

  /* Unknown fields are left out: the tracks omit them. */
  if (fix->time_ns != G_MININT64)
    gst_structure_set (s, "time-ns", G_TYPE_INT64, fix->time_ns, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (reals); i++)
    if (isfinite (reals[i].value))
      gst_structure_set (s, reals[i].name, G_TYPE_DOUBLE, reals[i].value, NULL);
  if (fix->sats_used >= 0)
    gst_structure_set (s, "sats-used", G_TYPE_INT, fix->sats_used, NULL);
  if (fix->sats_visible >= 0)
    gst_structure_set (s, "sats-visible", G_TYPE_INT, fix->sats_visible, NULL);
  g_clear_pointer (&self->gps_state, gst_structure_free);
  self->gps_state = s;
  if (self->meta != NULL)
    meta_emit (self->meta, "push-gps", self->gps_state);
}

void
dvr_pipeline_set_signals (DvrPipeline *self, const gchar *const *names, const gboolean *values)
{
  GstStructure *s = gst_structure_new_empty ("signals");

  for (guint i = 0; names[i] != NULL; i++)
    gst_structure_set (s, names[i], G_TYPE_BOOLEAN, values[i], NULL);
  g_clear_pointer (&self->signal_state, gst_structure_free);
  self->signal_state = s;
  if (self->meta != NULL)
    meta_emit (self->meta, "set-signals", self->signal_state);
}

void
dvr_pipeline_mark_event (DvrPipeline *self, const GstStructure *event)
{
  if (self->meta != NULL)
    meta_emit (self->meta, "mark-event", event);
}

void
dvr_pipeline_set_watermark (DvrPipeline *self, const gchar *text)
{
  g_autofree gchar *line = g_strdup_printf ("%s  %s%s%s", self->unit_id, self->camera->name,
      text && *text ? "\n" : "", text ? text : "");

  if (g_strcmp0 (line, self->watermark_text) == 0)
    return;
  g_free (self->watermark_text);
  self->watermark_text = g_steal_pointer (&line);
  if (self->pipeline != NULL) {
    g_autoptr (GstElement) watermark = gst_bin_get_by_name (GST_BIN (self->pipeline), "watermark");
    if (watermark != NULL)
      g_object_set (watermark, "text", self->watermark_text, NULL);
  }
}

const gchar *
dvr_pipeline_get_watermark (DvrPipeline *self)
{
  g_autoptr (GstElement) watermark = NULL;

  if (self->pipeline == NULL)
    return NULL;
  watermark = gst_bin_get_by_name (GST_BIN (self->pipeline), "watermark");
  return watermark != NULL ? self->watermark_text : NULL;
}

const gchar *
dvr_pipeline_get_capture (DvrPipeline *self)
{
  return self->capture;
}

const gchar *
dvr_pipeline_get_control_error (DvrPipeline *self)
{
  return self->control_error;
}

static void
dvr_pipeline_dispose (GObject *object)
{
  DvrPipeline *self = DVR_PIPELINE (object);
  g_clear_handle_id (&self->restart_source, g_source_remove);
  g_clear_handle_id (&self->stall_source, g_source_remove);
  g_clear_handle_id (&self->stop_source, g_source_remove);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  /* A teardown in flight holds a reference, so we only get here with no
   * helper thread left; a pipeline still here was never stopped. */
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  gst_clear_object (&self->splitmux);
  gst_clear_object (&self->meta);
  gst_clear_object (&self->pipeline);
  G_OBJECT_CLASS (dvr_pipeline_parent_class)->dispose (object);
}

static void
dvr_pipeline_finalize (GObject *object)
{
  DvrPipeline *self = DVR_PIPELINE (object);
  dvr_camera_config_free (self->camera);
  g_free (self->storage_root);
  g_free (self->unit_id);
  g_free (self->segment);
  g_free (self->last_error);
  g_free (self->last_reported_error);
  g_free (self->capture);
  g_free (self->control_error);
  g_clear_pointer (&self->gps_state, gst_structure_free);
  g_clear_pointer (&self->signal_state, gst_structure_free);
  g_free (self->watermark_text);
  g_queue_clear_full (&self->closed, (GDestroyNotify) fragment_stats_free);
  g_free (self->current.codec);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->start_lock);
  G_OBJECT_CLASS (dvr_pipeline_parent_class)->finalize (object);
}

static void
dvr_pipeline_class_init (DvrPipelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dvr_pipeline_dispose;
  object_class->finalize = dvr_pipeline_finalize;

  signals[SIGNAL_SEGMENT_CLOSED] = g_signal_new ("segment-closed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_RECORDING] = g_signal_new ("recording",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_FAILED] = g_signal_new ("failed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  GST_DEBUG_CATEGORY_INIT (dvr_pipeline_debug, "dvrpipeline", 0, "dvr pipeline manager");
}

static void
dvr_pipeline_init (DvrPipeline *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->start_lock);
  g_queue_init (&self->closed);
  self->context = g_main_context_ref_thread_default ();
  self->current.first_rt = self->current.end_rt = GST_CLOCK_TIME_NONE;
}

static DvrCameraConfig *
camera_config_copy (const DvrCameraConfig *camera)
{
  DvrCameraConfig *copy = g_new0 (DvrCameraConfig, 1);
  *copy = *camera;
  copy->name = g_strdup (camera->name);
  copy->source = g_strdup (camera->source);
  copy->location = g_strdup (camera->location);
  copy->pattern = g_strdup (camera->pattern);
  copy->encoder = g_strdup (camera->encoder);
  copy->controls = camera->controls ? g_array_ref (camera->controls) : NULL;
  return copy;
}

DvrPipeline *
dvr_pipeline_new (const DvrCameraConfig *camera, const DvrPipelineOptions *options)
{
  DvrPipeline *self = g_object_new (DVR_TYPE_PIPELINE, NULL);
  self->camera = camera_config_copy (camera);
  self->storage_root = g_strdup (options->storage_root);
  self->options = *options;
  self->options.storage_root = self->storage_root;
  self->backoff_ns = options->backoff_min_ns;
  self->unit_id = g_strdup (options->unit_id ? options->unit_id : "dvr");
  self->options.unit_id = self->unit_id;
  self->watermark_text = g_strdup_printf ("%s  %s", self->unit_id, camera->name);
  return self;
}
