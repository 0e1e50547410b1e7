/* dvr-export: an event or a time span of a pulled drive, as a signed
 * evidence package, without dvrd.
 *
 *   dvr-export --event ID [--camera NAME]... -o DIR ROOT
 *   dvr-export --from T --to T [--camera NAME]... -o DIR ROOT
 *   dvr-export --mark-exported DIR ROOT
 *
 * The package (docs/tools.md):
 *   DIR/CAMERA.mkv          one file per camera: the segments overlapping its
 *                           span, remuxed (never re-encoded) into one
 *                           Matroska file with the video, the dvr-overlay and
 *                           the dvr-meta/1 tracks, from the keyframe at or
 *                           before the span's start to its end
 *   DIR/track.gpx, track.geojson   the catalog's GPS fixes over the span
 *   DIR/signing.pub         a copy of the drive's public key
 *   DIR/manifest.json       what the package holds and where it came from
 *                           ("dvr-export/1"), every file's SHA-256
 *   DIR/manifest.json.sig   the raw Ed25519 signature of manifest.json's
 *                           bytes with the drive's key
 *
 * The camera files, in GStreamer terms, per source segment:
 *
 *   filesrc ! matroskademux --(pad probes)--> application --> appsrc name=v
 *   appsrc name=v ! matroskamux name=m ! filesink location=DIR/front.mkv
 *   appsrc name=o ! m.subtitle_0    appsrc name=j ! m.subtitle_1
 *
 * The probes run on the demuxer's thread and hand each buffer, timestamped
 * anew from the catalog's UTC times, to the writer's appsrcs, whose bounded
 * queues pace the reading.  matroskamux (GstCollectPads in 1.22) writes a
 * buffer only when every track has one queued or a position past it, and
 * the JSON track is sparse (a sample per keyframe, docs/metadata.md): so
 * before each video frame both text tracks get a GAP event up to that
 * frame's time, never past it, as dvrmeta does when recording.  Without
 * them the muxer would hold the video until the next JSON sample, and with
 * a full video queue wait for good.
 *
 * The drive is only read: its catalog opens read-only (immutable on a drive
 * mounted read-only), and --mark-exported is the one thing that writes to
 * it, after checking the package against it.
 *
 * Exit status: 0 done, 1 failed (the partial package removed), 2 usage.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dvr-catalog.h"
#include "dvr-drive.h"
#include "dvr-storage.h"
#include "dvr-tool-package.h"
#include "dvr-tool-util.h"
#include "dvr-utils.h"

#define TOOL "dvr-export"

#define OVERLAY_TITLE "dvr-overlay"
#define META_TITLE "dvr-meta/1"

/* The writer's video queue: the demuxer runs this far ahead of the muxer.
 * The GAP events keep the muxer from waiting on the text tracks, so any
 * size works; 2 MiB (about a GOP of 1080p) exports as fast as 16 MiB did
 * and keeps the peak RSS of a 4-camera export near 30 MiB instead of up to
 * 100 MiB (docs/benchmarks.md).  The
 * environment variable DVR_EXPORT_QUEUE_BYTES sets another size: with one
 * smaller than a GOP, an export without the GAP events stalls at once
 * (tests/integration/export-test.c checks that it does not). */
#define VIDEO_QUEUE_BYTES (2 * 1024 * 1024)

/* A demuxer that hands over nothing for this long is stuck, and so is a
 * muxer that does not finish a file. */
#define STALL_TIMEOUT_US (30 * G_USEC_PER_SEC)

/* Consecutive segments further apart than a frame (or this, when the frame
 * rate is unknown) leave a gap in the recording. */
#define DEFAULT_FRAME_NS (40 * DVR_NSEC_PER_MSEC)

/* Set by SIGINT/SIGTERM: the export stops and removes what it wrote. */
static gboolean interrupted;

/* ------------------------------------------------------------------ */
/* What is exported */

/* One source segment of a camera's file. */
typedef struct {
  DvrSegment *segment;
  gint64 out_offset_ns;   /* output time of the segment's first frame; G_MININT64 until known */
  guint64 frames;         /* its frames in the output */
  gchar *problem;         /* reading it failed part way (a file cut by a power loss) */
} Source;

static void
source_free (Source *source)
{
  dvr_segment_free (source->segment);
  g_free (source->problem);
  g_free (source);
}

/* A stretch of the span without recording (or, for "overlap", recorded
 * twice: the clock was set back between two segments). */
typedef struct {
  gint64 from_utc_ns;
  gint64 to_utc_ns;
  const gchar *kind;      /* "gap" or "overlap" */
  gchar *reason;          /* the catalog's gap reasons, NULL if none */
} Gap;

static void
gap_free (Gap *gap)
{
  g_free (gap->reason);
  g_free (gap);
}

typedef struct {
  gchar *camera;
  gint64 from_utc_ns;     /* the span: an event window, or --from/--to */
  gint64 to_utc_ns;
  GPtrArray *sources;     /* Source, by start */
  GPtrArray *gaps;        /* Gap, by time */
  gchar *file_name;       /* "front.mkv", NULL when nothing of the span was recorded */
  /* What the remux wrote. */
  guint64 frames;
  gint64 first_utc_ns;    /* UTC of the first frame in the file */
  gint64 last_utc_ns;     /* UTC of the last frame */
  gint64 end_utc_ns;      /* ... plus its duration */
  gint64 duration_ns;     /* output time of the last frame's end */
  gchar *codec;           /* caps name of the video */
  gboolean has_overlay;
  gboolean has_meta;
} CameraJob;

static void
camera_job_free (CameraJob *job)
{
  g_free (job->camera);
  g_clear_pointer (&job->sources, g_ptr_array_unref);
  g_clear_pointer (&job->gaps, g_ptr_array_unref);
  g_free (job->file_name);
  g_free (job->codec);
  g_free (job);
}

/* ------------------------------------------------------------------ */
/* Remux: the writer */

typedef enum {
  ROLE_UNKNOWN,
  ROLE_IGNORE,
  ROLE_VIDEO,
  ROLE_OVERLAY,
  ROLE_META,
} Role;

typedef struct {
  GstElement *pipeline;
  GstElement *video;
  GstElement *overlay;      /* NULL when the source has no such track */
  GstElement *meta;
  gint64 overlay_position;  /* output time each text track is accounted for up to */
  gint64 meta_position;
} Writer;

static void
writer_free (Writer *writer)
{
  if (writer == NULL)
    return;
  gst_element_set_state (writer->pipeline, GST_STATE_NULL);
  gst_object_unref (writer->pipeline);
  g_free (writer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Writer, writer_free)

static gboolean
link_to_request_pad (GstElement *src, GstElement *mux, const gchar *template_name,
                     GError **error)
{
  g_autoptr (GstPad) srcpad = gst_element_get_static_pad (src, "src");
  g_autoptr (GstPad) sinkpad = gst_element_request_pad_simple (mux, template_name);

  if (sinkpad == NULL || gst_pad_link (srcpad, sinkpad) != GST_PAD_LINK_OK) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "matroskamux refused a %s track", template_name);
    return FALSE;
  }
  return TRUE;
}

/* A text track: its title goes out as a stream tag before any buffer, which
 * matroskamux writes as the TrackName (docs/metadata.md). */
static GstElement *
make_text_source (GstElement *pipeline, GstElement *mux, const gchar *title, GError **error)
{
  g_autoptr (GstCaps) caps = gst_caps_new_simple ("text/x-raw", "format", G_TYPE_STRING, "utf8",
      NULL);
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  GstTagList *tags;

  g_object_set (src, "format", GST_FORMAT_TIME, "block", TRUE, "caps", caps, NULL);
  gst_bin_add (GST_BIN (pipeline), src);
  if (!link_to_request_pad (src, mux, "subtitle_%u", error))
    return NULL;
  tags = gst_tag_list_new (GST_TAG_TITLE, title, NULL);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  gst_element_send_event (src, gst_event_new_tag (tags));
  return src;
}

static guint64
queue_bytes (void)
{
  const gchar *text = g_getenv ("DVR_EXPORT_QUEUE_BYTES");
  guint64 bytes = 0;

  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT32, &bytes, NULL))
    return bytes;
  return VIDEO_QUEUE_BYTES;
}

/* @base_utc_ns: the UTC of the file's time 0, written as its DateUTC. */
static Writer *
writer_new (const gchar *path, const gchar *camera, GstCaps *video_caps, gboolean overlay,
            gboolean meta, gint64 base_utc_ns, GError **error)
{
  g_autoptr (Writer) writer = g_new0 (Writer, 1);
  g_autofree gchar *name = g_strdup_printf ("export-%s", camera);
  g_autoptr (GDateTime) second = g_date_time_new_from_unix_utc (base_utc_ns / DVR_NSEC_PER_SEC);
  g_autoptr (GDateTime) created = g_date_time_add (second,
      base_utc_ns % DVR_NSEC_PER_SEC / 1000);
  GstElement *mux = gst_element_factory_make ("matroskamux", NULL);
  GstElement *sink = gst_element_factory_make ("filesink", NULL);

  writer->pipeline = gst_object_ref_sink (gst_pipeline_new (name));
  writer->video = gst_element_factory_make ("appsrc", NULL);
  if (mux == NULL || sink == NULL || writer->video == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "GStreamer's matroskamux, filesink or appsrc is missing "
        "(Debian packages gstreamer1.0-plugins-good and -base)");
    g_clear_object (&mux);
    g_clear_object (&sink);
    g_clear_object (&writer->video);
    return NULL;
  }
  g_object_set (writer->video, "format", GST_FORMAT_TIME, "block", TRUE,
      "max-bytes", queue_bytes (), "caps", video_caps, NULL);
  g_object_set (mux, "writing-app", TOOL " " DVR_VERSION, "creation-time", created, NULL);
  g_object_set (sink, "location", path, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (writer->pipeline), writer->video, mux, sink, NULL);
  if (!link_to_request_pad (writer->video, mux, "video_%u", error))
    return NULL;
  /* The overlay first: players pick the first subtitle track. */
  if (overlay && (writer->overlay = make_text_source (writer->pipeline, mux, OVERLAY_TITLE,
                                                      error)) == NULL)
    return NULL;
  if (meta && (writer->meta = make_text_source (writer->pipeline, mux, META_TITLE,
                                                error)) == NULL)
    return NULL;
  if (!gst_element_link (mux, sink)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link matroskamux to filesink");
    return NULL;
  }
  if (gst_element_set_state (writer->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "could not start writing %s", path);
    return NULL;
  }
  return g_steal_pointer (&writer);
}

/* The first error on the writer's bus, as a GError; NULL if none. */
static GError *
writer_pop_error (Writer *writer)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (writer->pipeline);
  g_autoptr (GstMessage) message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *error = NULL;

  if (message == NULL)
    return NULL;
  gst_message_parse_error (message, &error, NULL);
  return error;
}

/* EOS on every track, then waits for the file to be complete. */
static gboolean
writer_finish (Writer *writer, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (writer->pipeline);
  g_autoptr (GstMessage) message = NULL;

  gst_app_src_end_of_stream (GST_APP_SRC (writer->video));
  if (writer->overlay != NULL)
    gst_app_src_end_of_stream (GST_APP_SRC (writer->overlay));
  if (writer->meta != NULL)
    gst_app_src_end_of_stream (GST_APP_SRC (writer->meta));
  message = gst_bus_timed_pop_filtered (bus, STALL_TIMEOUT_US * GST_USECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "the muxer did not finish the file");
    return FALSE;
  }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (message, error, NULL);
    return FALSE;
  }
  gst_element_set_state (writer->pipeline, GST_STATE_NULL);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Remux: from demuxed buffers to the writer */

/* A buffer on its way: times relative to its segment's first video frame. */
typedef struct {
  Role role;
  GstBuffer *buffer;
  Source *source;
  gint64 rel_pts;
  gint64 rel_dts;         /* G_MININT64: none */
  gint64 utc_ns;
  gint64 duration;        /* -1: unknown */
  gboolean keyframe;
  gboolean markup;        /* text escaped as Pango markup (matroskademux's) */
} Item;

static void
item_free (Item *item)
{
  gst_buffer_unref (item->buffer);
  g_free (item);
}

typedef struct {
  CameraJob *job;
  const gchar *path;      /* the output file */
  gint64 frame_ns;        /* the video's frame duration, once known */
  Writer *writer;         /* made when the first frame of the span is found */
  GstCaps *video_caps;    /* the current segment's */
  GstCaps *written_caps;  /* what the writer was last given */
  GstElement *reader;     /* the current segment's pipeline */
  Source *source;         /* the current segment */
  gint64 first_pts;       /* its first video frame's PTS; -1 until seen */
  GQueue pending;         /* its text samples demuxed before that frame (Item, raw PTS) */
  GQueue gop;             /* before the output starts: the current GOP */
  gboolean gop_keyframe;  /* ... begins with a keyframe */
  GQueue tail;            /* frames at or after the end, held until one before it comes */
  gboolean start_pending; /* the first frame is found, some track's title is not yet */
  guint n_pads;           /* the current segment's demuxer pads ... */
  guint n_pads_known;     /* ... and how many of them pad_role() has decided */
  gboolean no_more_pads;
  gboolean started;
  gboolean done;          /* a keyframe at or after the end: the rest is not needed */
  gboolean stop_posted;
  gint64 base_utc_ns;     /* UTC of output time 0 */
  gint64 out_end;         /* output time of the end of the last frame written */
  gint64 last_pts;        /* ... and of its start */
  GError *error;          /* the first failure */
  GMutex lock;            /* guards progress_utc_ns (the main thread draws it) */
  gint64 progress_utc_ns;
  gint64 last_activity_us;
} Remux;

static void
remux_fail (Remux *remux, GError *error)
{
  if (remux->error == NULL)
    remux->error = error;
  else
    g_error_free (error);
}

static gint64
item_out_time (Remux *remux, Item *item, gint64 rel)
{
  Source *source = item->source;

  /* The first segment puts its first written keyframe at 0; every later one
   * begins at its UTC offset from there (frames are not moved to close a
   * gap, nor for the rounding of the file's millisecond times), or right
   * after the last frame when the clock was set back (an overlap): times
   * in the file must grow. */
  if (source->out_offset_ns == G_MININT64)
    source->out_offset_ns = source->segment->start_utc_ns - remux->base_utc_ns;
  if (source->frames == 0 && remux->job->frames > 0 &&
      source->out_offset_ns + item->rel_pts <= remux->last_pts)
    source->out_offset_ns = remux->out_end - item->rel_pts;
  return source->out_offset_ns + rel;
}

/* A GAP up to @time on a text track behind it. */
static void
push_gap (GstElement *src, gint64 *position, gint64 time)
{
  if (src == NULL || time <= *position)
    return;
  gst_element_send_event (src, gst_event_new_gap (*position, time - *position));
  *position = time;
}

static void
remux_write_video (Remux *remux, Item *item)
{
  CameraJob *job = remux->job;
  gint64 pts = item_out_time (remux, item, item->rel_pts);
  gint64 dts = item->rel_dts != G_MININT64 ? item_out_time (remux, item, item->rel_dts) : -1;
  gint64 duration = item->duration >= 0 ? item->duration : remux->frame_ns;
  GstBuffer *buffer;
  GstFlowReturn flow;

  if (remux->written_caps == NULL || !gst_caps_is_equal (remux->written_caps, remux->video_caps)) {
    if (remux->written_caps != NULL)
      gst_app_src_set_caps (GST_APP_SRC (remux->writer->video), remux->video_caps);
    gst_caps_replace (&remux->written_caps, remux->video_caps);
  }
  push_gap (remux->writer->overlay, &remux->writer->overlay_position,
      dts >= 0 ? MIN (pts, dts) : pts);
  push_gap (remux->writer->meta, &remux->writer->meta_position, dts >= 0 ? MIN (pts, dts) : pts);
  buffer = gst_buffer_make_writable (g_steal_pointer (&item->buffer));
  item->buffer = gst_buffer_new ();
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DTS (buffer) = dts >= 0 ? (GstClockTime) dts : GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buffer) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_OFFSET_END (buffer) = GST_BUFFER_OFFSET_NONE;
  flow = gst_app_src_push_buffer (GST_APP_SRC (remux->writer->video), buffer);
  if (flow != GST_FLOW_OK) {
    remux_fail (remux, g_error_new (GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the muxer stopped taking video (%s)", gst_flow_get_name (flow)));
    return;
  }
  if (job->frames == 0)
    job->first_utc_ns = item->utc_ns;
  job->frames++;
  item->source->frames++;
  job->last_utc_ns = item->utc_ns;
  job->end_utc_ns = MAX (job->end_utc_ns, item->utc_ns + duration);
  remux->out_end = MAX (remux->out_end, pts + duration);
  remux->last_pts = MAX (remux->last_pts, pts);
  job->duration_ns = remux->out_end;
  g_mutex_lock (&remux->lock);
  remux->progress_utc_ns = item->utc_ns;
  g_mutex_unlock (&remux->lock);
}

static void
remux_write_text (Remux *remux, Item *item)
{
  GstElement *src = item->role == ROLE_OVERLAY ? remux->writer->overlay : remux->writer->meta;
  gint64 *position = item->role == ROLE_OVERLAY ? &remux->writer->overlay_position :
      &remux->writer->meta_position;
  gint64 pts = item_out_time (remux, item, item->rel_pts);
  GstBuffer *buffer;
  GstFlowReturn flow;
  GstMapInfo map;

  if (src == NULL || pts < 0)
    return;
  /* Back to the bytes dvrmeta wrote: matroskademux escapes S_TEXT/UTF8 as
   * Pango markup, and matroskamux takes only utf8. */
  if (item->markup && gst_buffer_map (item->buffer, &map, GST_MAP_READ)) {
    g_autofree gchar *text = g_strndup ((const gchar *) map.data, map.size);
    gchar *plain = dvr_tool_markup_unescape (text);

    gst_buffer_unmap (item->buffer, &map);
    if (plain == NULL)
      plain = g_steal_pointer (&text);
    buffer = gst_buffer_new_wrapped (plain, strlen (plain));
  } else {
    buffer = gst_buffer_copy (item->buffer);
  }
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DTS (buffer) = pts;
  GST_BUFFER_DURATION (buffer) = item->duration >= 0 ? (GstClockTime) item->duration :
      GST_CLOCK_TIME_NONE;
  *position = MAX (*position, pts + MAX (item->duration, 0));
  flow = gst_app_src_push_buffer (GST_APP_SRC (src), buffer);
  if (flow != GST_FLOW_OK)
    remux_fail (remux, g_error_new (GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the muxer stopped taking the %s track (%s)",
        item->role == ROLE_OVERLAY ? OVERLAY_TITLE : META_TITLE, gst_flow_get_name (flow)));
}

/* After the start: the end of the span decides. */
static void
remux_after_start (Remux *remux, Item *item)
{
  CameraJob *job = remux->job;

  if (item->role == ROLE_VIDEO) {
    if (item->utc_ns < job->to_utc_ns) {
      /* Frames held at the end were references of this one (B-frames). */
      while (!g_queue_is_empty (&remux->tail) && remux->error == NULL) {
        Item *held = g_queue_pop_head (&remux->tail);
        if (held->role == ROLE_VIDEO)
          remux_write_video (remux, held);
        else
          remux_write_text (remux, held);
        item_free (held);
      }
      remux_write_video (remux, item);
    } else if (item->keyframe) {
      remux->done = TRUE;
    } else {
      g_queue_push_tail (&remux->tail, g_steal_pointer (&item));
    }
  } else if (item->utc_ns >= remux->base_utc_ns && item->utc_ns < job->to_utc_ns) {
    if (!g_queue_is_empty (&remux->tail))
      g_queue_push_tail (&remux->tail, g_steal_pointer (&item));
    else
      remux_write_text (remux, item);
  }
  if (item != NULL)
    item_free (item);
}

/* The writer needs its tracks before the first buffer: the file starts once
 * every track of the segment has shown what it is (dvrmeta writes both
 * text tracks at every segment's first frame), or at the segment's end
 * (@force) with the tracks seen by then. */
static void
remux_try_start (Remux *remux, gboolean force)
{
  CameraJob *job = remux->job;
  const Item *keyframe = NULL;
  GError *error = NULL;

  if (!remux->start_pending || remux->started ||
      (!force && (!remux->no_more_pads || remux->n_pads_known < remux->n_pads)))
    return;
  for (GList *l = remux->gop.head; l != NULL && keyframe == NULL; l = l->next)
    if (((Item *) l->data)->role == ROLE_VIDEO)
      keyframe = l->data;
  remux->start_pending = FALSE;
  remux->base_utc_ns = keyframe->utc_ns;
  remux->started = TRUE;
  remux->writer = writer_new (remux->path, job->camera, remux->video_caps, job->has_overlay,
      job->has_meta, remux->base_utc_ns, &error);
  if (remux->writer == NULL) {
    remux_fail (remux, error);
    return;
  }
  job->codec = g_strdup (gst_structure_get_name (gst_caps_get_structure (remux->video_caps, 0)));
  while (!g_queue_is_empty (&remux->gop) && remux->error == NULL)
    remux_after_start (remux, g_queue_pop_head (&remux->gop));
}

static gboolean
item_before (gconstpointer data, gconstpointer user_data)
{
  const Item *item = data, *keyframe = user_data;

  return item->role == ROLE_VIDEO || item->utc_ns < keyframe->utc_ns;
}

/* Before the start: keep the current GOP until a frame shown at the span's
 * start (or later) comes; its GOP's keyframe is where the file begins. */
static void
remux_take (Remux *remux, Item *item)
{
  if (remux->started) {
    remux_after_start (remux, item);
    return;
  }
  if (remux->start_pending) {
    g_queue_push_tail (&remux->gop, item);
    remux_try_start (remux, FALSE);
    return;
  }
  if (item->role == ROLE_VIDEO) {
    if (item->keyframe) {
      /* A new GOP: the last one's frames, and text before this frame, go. */
      GList *link = remux->gop.head;
      while (link != NULL) {
        GList *next = link->next;
        if (item_before (link->data, item)) {
          item_free (link->data);
          g_queue_delete_link (&remux->gop, link);
        }
        link = next;
      }
      remux->gop_keyframe = TRUE;
    } else if (!remux->gop_keyframe) {
      /* Undecodable without the keyframe before it. */
      item_free (item);
      return;
    }
    g_queue_push_tail (&remux->gop, item);
    if (item->utc_ns + MAX (item->duration, 0) > remux->job->from_utc_ns) {
      remux->start_pending = TRUE;
      remux_try_start (remux, FALSE);
    }
    return;
  }
  g_queue_push_tail (&remux->gop, item);
}

/* ------------------------------------------------------------------ */
/* Remux: reading one segment */

static gchar *
pad_dup_title (GstPad *pad)
{
  for (guint i = 0;; i++) {
    g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad, GST_EVENT_TAG, i);
    GstTagList *tags;
    gchar *title = NULL;

    if (event == NULL)
      return NULL;
    gst_event_parse_tag (event, &tags);
    if (gst_tag_list_get_scope (tags) == GST_TAG_SCOPE_STREAM &&
        gst_tag_list_get_string (tags, GST_TAG_TITLE, &title))
      return title;
  }
}

/* What a demuxer pad carries, decided at its first buffer (its caps and
 * title tag are there by then). */
static Role
pad_role (Remux *remux, GstPad *pad, gboolean *markup)
{
  gpointer known = g_object_get_data (G_OBJECT (pad), "dvr-export-role");
  g_autoptr (GstCaps) caps = NULL;
  const GstStructure *s;
  const gchar *name;
  Role role = ROLE_IGNORE;

  *markup = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (pad), "dvr-export-markup"));
  if (known != NULL)
    return GPOINTER_TO_INT (known);
  caps = gst_pad_get_current_caps (pad);
  s = caps != NULL ? gst_caps_get_structure (caps, 0) : NULL;
  name = s != NULL ? gst_structure_get_name (s) : "";
  if (g_str_has_prefix (name, "video/") || g_str_equal (name, "image/jpeg")) {
    role = ROLE_VIDEO;
    gst_caps_replace (&remux->video_caps, caps);
    if (remux->frame_ns <= 0) {
      gint n = 0, d = 0;
      if (gst_structure_get_fraction (s, "framerate", &n, &d) && n > 0 && d > 0)
        remux->frame_ns = gst_util_uint64_scale_int (GST_SECOND, d, n);
    }
  } else if (g_str_equal (name, "text/x-raw")) {
    g_autofree gchar *title = pad_dup_title (pad);

    *markup = g_strcmp0 (gst_structure_get_string (s, "format"), "pango-markup") == 0;
    if (g_strcmp0 (title, OVERLAY_TITLE) == 0)
      role = ROLE_OVERLAY;
    else if (g_strcmp0 (title, META_TITLE) == 0)
      role = ROLE_META;
  }
  g_object_set_data (G_OBJECT (pad), "dvr-export-role", GINT_TO_POINTER (role));
  g_object_set_data (G_OBJECT (pad), "dvr-export-markup", GINT_TO_POINTER (*markup));
  remux->n_pads_known++;
  /* A track that first shows up after the file started has no place in
   * it: tracks are fixed at the file's start. */
  if (!remux->started && role == ROLE_OVERLAY)
    remux->job->has_overlay = TRUE;
  if (!remux->started && role == ROLE_META)
    remux->job->has_meta = TRUE;
  return role;
}

/* The catalog's UTC of a buffer: the segment's start plus its time from the
 * segment's first frame (segment files are in running time). */
static void
item_set_times (Remux *remux, Item *item, GstBuffer *buf)
{
  gint64 pts = GST_BUFFER_PTS_IS_VALID (buf) ? (gint64) GST_BUFFER_PTS (buf) :
      (gint64) GST_BUFFER_DTS (buf);

  item->rel_pts = pts - remux->first_pts;
  item->rel_dts = GST_BUFFER_DTS_IS_VALID (buf) ?
      (gint64) GST_BUFFER_DTS (buf) - remux->first_pts : G_MININT64;
  item->utc_ns = remux->source->segment->start_utc_ns + item->rel_pts;
}

static GstPadProbeReturn
reader_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Remux *remux = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean markup = FALSE;
  Role role = pad_role (remux, pad, &markup);
  Item *item;

  remux->last_activity_us = g_get_monotonic_time ();
  if (role == ROLE_IGNORE || remux->done || remux->error != NULL ||
      (!GST_BUFFER_PTS_IS_VALID (buf) && !GST_BUFFER_DTS_IS_VALID (buf)))
    goto out;
  item = g_new0 (Item, 1);
  item->role = role;
  item->buffer = gst_buffer_ref (buf);
  item->source = remux->source;
  item->duration = GST_BUFFER_DURATION_IS_VALID (buf) ? (gint64) GST_BUFFER_DURATION (buf) : -1;
  item->keyframe = role == ROLE_VIDEO && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  item->markup = markup;
  if (remux->first_pts < 0 && role != ROLE_VIDEO) {
    /* Its time is known once the segment's first frame is. */
    g_queue_push_tail (&remux->pending, item);
    goto out;
  }
  if (remux->first_pts < 0) {
    remux->first_pts = GST_BUFFER_PTS_IS_VALID (buf) ? (gint64) GST_BUFFER_PTS (buf) :
        (gint64) GST_BUFFER_DTS (buf);
    while (!g_queue_is_empty (&remux->pending) && remux->error == NULL) {
      Item *early = g_queue_pop_head (&remux->pending);
      item_set_times (remux, early, early->buffer);
      remux_take (remux, early);
    }
  }
  item_set_times (remux, item, buf);
  remux_take (remux, item);

out:
  /* Nothing more of this segment is needed: the main thread stops it. */
  if ((remux->done || remux->error != NULL) && !remux->stop_posted) {
    remux->stop_posted = TRUE;
    gst_element_post_message (remux->reader, gst_message_new_application (
        GST_OBJECT (remux->reader), gst_structure_new_empty ("dvr-export-stop")));
  }
  return GST_PAD_PROBE_DROP;
}

static void
reader_pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  Remux *remux = user_data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (remux->reader), sink);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, reader_probe, remux, NULL);
  gst_pad_link (pad, sinkpad);
  gst_element_sync_state_with_parent (sink);
  remux->n_pads++;
}

static void
reader_no_more_pads (GstElement *demux, gpointer user_data)
{
  Remux *remux = user_data;

  remux->no_more_pads = TRUE;
}

/* Draws the camera's progress: UTC reached within its span. */
static void
remux_show_progress (Remux *remux, DvrToolProgress *progress, const gchar *label)
{
  CameraJob *job = remux->job;
  gint64 reached;
  g_autofree gchar *detail = NULL;

  g_mutex_lock (&remux->lock);
  reached = remux->progress_utc_ns;
  g_mutex_unlock (&remux->lock);
  if (reached == G_MININT64)
    reached = job->from_utc_ns;
  detail = g_strdup_printf ("%.1f of %.1f s", (gdouble) MAX (reached - job->from_utc_ns, 0) /
      DVR_NSEC_PER_SEC, (gdouble) (job->to_utc_ns - job->from_utc_ns) / DVR_NSEC_PER_SEC);
  dvr_tool_progress_update (progress, label, (gdouble) (reached - job->from_utc_ns) /
      MAX (job->to_utc_ns - job->from_utc_ns, 1), detail);
}

/* Runs one segment through the remux.  A segment that cannot be read to
 * its end (cut by a power loss) keeps what was read; the problem goes to
 * the manifest.  FALSE only when the export cannot go on. */
static gboolean
remux_segment (Remux *remux, Source *source, const gchar *root, DvrToolProgress *progress,
               const gchar *label, GError **error)
{
  g_autofree gchar *path = g_build_filename (root, source->segment->path, NULL);
  g_autoptr (GstElement) reader = gst_object_ref_sink (gst_pipeline_new ("read"));
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *demux = gst_element_factory_make ("matroskademux", NULL);
  g_autoptr (GstBus) bus = gst_element_get_bus (reader);
  gboolean finished = FALSE;

  if (src == NULL || demux == NULL) {
    g_clear_object (&src);
    g_clear_object (&demux);
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "GStreamer's matroskademux is missing (Debian package gstreamer1.0-plugins-good)");
    return FALSE;
  }
  remux->reader = reader;
  remux->source = source;
  remux->first_pts = -1;
  remux->stop_posted = FALSE;
  remux->last_activity_us = g_get_monotonic_time ();
  g_object_set (src, "location", path, NULL);
  gst_bin_add_many (GST_BIN (reader), src, demux, NULL);
  gst_element_link (src, demux);
  remux->n_pads = remux->n_pads_known = 0;
  remux->no_more_pads = FALSE;
  g_signal_connect (demux, "pad-added", G_CALLBACK (reader_pad_added), remux);
  g_signal_connect (demux, "no-more-pads", G_CALLBACK (reader_no_more_pads), remux);
  if (gst_element_set_state (reader, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    source->problem = g_strdup ("could not be opened");
    finished = TRUE;
  }
  while (!finished) {
    g_autoptr (GstMessage) message = gst_bus_timed_pop_filtered (bus, 100 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_APPLICATION);
    GError *writer_error = remux->writer != NULL ? writer_pop_error (remux->writer) : NULL;

    g_main_context_iteration (NULL, FALSE);
    if (writer_error != NULL) {
      /* Unblocks the demuxer's thread if it waits on a full queue. */
      gst_element_set_state (remux->writer->pipeline, GST_STATE_NULL);
      remux_fail (remux, writer_error);
      break;
    }
    if (interrupted) {
      remux_fail (remux, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "interrupted"));
      if (remux->writer != NULL)
        gst_element_set_state (remux->writer->pipeline, GST_STATE_NULL);
      break;
    }
    remux_show_progress (remux, progress, label);
    if (message == NULL) {
      if (g_get_monotonic_time () - remux->last_activity_us > STALL_TIMEOUT_US) {
        /* The demuxer's thread may wait on a full queue of the writer:
         * stopping the writer first lets it go. */
        if (remux->writer != NULL)
          gst_element_set_state (remux->writer->pipeline, GST_STATE_NULL);
        remux_fail (remux, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
            "nothing read or written for %d s: the remux is stuck",
            (gint) (STALL_TIMEOUT_US / G_USEC_PER_SEC)));
        break;
      }
      continue;
    }
    switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) gst_error = NULL;
      gst_message_parse_error (message, &gst_error, NULL);
      source->problem = g_strdup_printf ("damaged after %" G_GUINT64_FORMAT " of its frames "
          "were read (%s)", source->frames, gst_error->message);
      finished = TRUE;
      break;
    }
    default:
      finished = TRUE;
      break;
    }
  }
  gst_element_set_state (reader, GST_STATE_NULL);
  remux->reader = NULL;
  /* Tracks that stayed silent to the segment's end are not in it. */
  if (remux->error == NULL)
    remux_try_start (remux, TRUE);
  g_queue_clear_full (&remux->pending, (GDestroyNotify) item_free);
  if (remux->error != NULL) {
    g_propagate_prefixed_error (error, g_steal_pointer (&remux->error), "%s: ", path);
    return FALSE;
  }
  if (source->problem != NULL)
    g_printerr (TOOL ": %s: %s; the export keeps what was read\n", path, source->problem);
  return TRUE;
}

/* Writes @job's camera file.  A camera none of whose frames lies in the
 * span gets no file (file_name NULL). */
static gboolean
export_camera (CameraJob *job, const gchar *root, const gchar *dir, DvrToolProgress *progress,
               GError **error)
{
  g_autofree gchar *file_name = g_strconcat (job->camera, ".mkv", NULL);
  g_autofree gchar *path = g_build_filename (dir, file_name, NULL);
  g_autofree gchar *label = g_strdup_printf ("%-8s", job->camera);
  Remux remux = { 0, };
  gboolean ok = TRUE;

  remux.job = job;
  remux.path = path;
  remux.progress_utc_ns = G_MININT64;
  remux.out_end = 0;
  remux.last_pts = -1;
  g_mutex_init (&remux.lock);
  g_queue_init (&remux.pending);
  g_queue_init (&remux.gop);
  g_queue_init (&remux.tail);
  job->first_utc_ns = job->last_utc_ns = job->end_utc_ns = G_MININT64;
  for (guint i = 0; i < job->sources->len && ok && !remux.done; i++)
    ok = remux_segment (&remux, g_ptr_array_index (job->sources, i), root, progress, label,
        error);
  dvr_tool_progress_clear (progress);
  if (ok && remux.writer != NULL) {
    ok = writer_finish (remux.writer, error);
    if (!ok)
      g_prefix_error (error, "%s: ", path);
  }
  if (ok && remux.writer != NULL && job->frames > 0)
    job->file_name = g_steal_pointer (&file_name);
  g_clear_pointer (&remux.writer, writer_free);
  g_queue_clear_full (&remux.gop, (GDestroyNotify) item_free);
  g_queue_clear_full (&remux.tail, (GDestroyNotify) item_free);
  gst_caps_replace (&remux.video_caps, NULL);
  gst_caps_replace (&remux.written_caps, NULL);
  g_mutex_clear (&remux.lock);
  return ok;
}

/* ------------------------------------------------------------------ */
/* What the catalog says */

typedef struct {
  gchar *root;
  gchar *dir;               /* as typed */
  DvrCatalog *catalog;
  DvrDriveIdentity *identity; /* NULL: none */
  DvrEvent *event;          /* NULL: a span */
  gint64 from_utc_ns;       /* the whole span */
  gint64 to_utc_ns;
  GPtrArray *cameras;       /* CameraJob */
  GPtrArray *written;       /* paths made in DIR, to remove on failure */
  GHashTable *hashes;       /* file name -> "SHA256 SIZE", read back from the disk */
  gboolean made_dir;
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  gchar *fingerprint;
  guint64 gps_fixes;        /* in the span */
  guint gps_points;
} Export;

static void
export_clear (Export *export)
{
  g_free (export->root);
  g_free (export->dir);
  g_clear_pointer (&export->catalog, dvr_catalog_free);
  g_clear_pointer (&export->identity, dvr_drive_identity_free);
  g_clear_pointer (&export->event, dvr_event_free);
  g_clear_pointer (&export->cameras, g_ptr_array_unref);
  g_clear_pointer (&export->written, g_ptr_array_unref);
  g_clear_pointer (&export->hashes, g_hash_table_unref);
  memset (export->secret_key, 0, sizeof export->secret_key);
  g_free (export->fingerprint);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Export, export_clear)

/* The catalog's gap reasons of @camera overlapping [from, to), joined. */
static gchar *
gap_reasons (GPtrArray *catalog_gaps, const gchar *camera, gint64 from, gint64 to)
{
  g_autoptr (GPtrArray) reasons = g_ptr_array_new ();

  for (guint i = 0; i < catalog_gaps->len; i++) {
    const DvrGap *gap = g_ptr_array_index (catalog_gaps, i);
    gint64 end = gap->end_utc_ns >= 0 ? gap->end_utc_ns : G_MAXINT64;

    if (g_strcmp0 (gap->camera, camera) == 0 && gap->start_utc_ns < to && end > from &&
        !g_ptr_array_find_with_equal_func (reasons, gap->reason, g_str_equal, NULL))
      g_ptr_array_add (reasons, gap->reason);
  }
  if (reasons->len == 0)
    return NULL;
  g_ptr_array_add (reasons, NULL);
  return g_strjoinv ("; ", (gchar **) reasons->pdata);
}

static void
add_gap (CameraJob *job, GPtrArray *catalog_gaps, gint64 from, gint64 to, const gchar *kind)
{
  Gap *gap = g_new0 (Gap, 1);

  gap->from_utc_ns = from;
  gap->to_utc_ns = to;
  gap->kind = kind;
  if (g_str_equal (kind, "gap"))
    gap->reason = gap_reasons (catalog_gaps, job->camera, from, to);
  g_ptr_array_add (job->gaps, gap);
}

/* The segments of @job's span and where the recording has holes. */
static gboolean
camera_job_fill (CameraJob *job, DvrCatalog *catalog, GPtrArray *catalog_gaps, GError **error)
{
  g_autoptr (GPtrArray) segments = dvr_catalog_list_segments (catalog, job->camera,
      job->from_utc_ns, job->to_utc_ns, error);
  gint64 reached = job->from_utc_ns;

  if (segments == NULL)
    return FALSE;
  for (guint i = 0; i < segments->len; i++) {
    DvrSegment *segment = g_ptr_array_index (segments, i);
    Source *source = g_new0 (Source, 1);

    /* Within a run segments follow each other exactly; a frame's worth of
     * rounding is not a hole. */
    if (segment->start_utc_ns > reached + DEFAULT_FRAME_NS)
      add_gap (job, catalog_gaps, reached, segment->start_utc_ns, "gap");
    else if (i > 0 && segment->start_utc_ns < reached - DEFAULT_FRAME_NS)
      add_gap (job, catalog_gaps, segment->start_utc_ns, reached, "overlap");
    reached = MAX (reached, segment->end_utc_ns);
    source->segment = g_ptr_array_steal_index (segments, i--);
    source->out_offset_ns = G_MININT64;
    g_ptr_array_add (job->sources, source);
  }
  if (reached + DEFAULT_FRAME_NS < job->to_utc_ns)
    add_gap (job, catalog_gaps, reached, job->to_utc_ns, "gap");
  return TRUE;
}

static CameraJob *
camera_job_new (const gchar *camera, gint64 from, gint64 to)
{
  CameraJob *job = g_new0 (CameraJob, 1);

  job->camera = g_strdup (camera);
  job->from_utc_ns = from;
  job->to_utc_ns = to;
  job->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) source_free);
  job->gaps = g_ptr_array_new_with_free_func ((GDestroyNotify) gap_free);
  return job;
}

static gboolean
name_listed (gchar **names, const gchar *name)
{
  return names == NULL || g_strv_contains ((const gchar * const *) names, name);
}

/* The cameras and spans: an event's windows, or one span for every camera
 * that recorded in it. */
static gboolean
plan_cameras (Export *export, gchar **only, GError **error)
{
  g_autoptr (GPtrArray) catalog_gaps = dvr_catalog_list_gaps (export->catalog, NULL, error);

  if (catalog_gaps == NULL)
    return FALSE;
  export->cameras = g_ptr_array_new_with_free_func ((GDestroyNotify) camera_job_free);
  if (export->event != NULL) {
    DvrEvent *event = export->event;

    export->from_utc_ns = G_MAXINT64;
    export->to_utc_ns = G_MININT64;
    for (guint i = 0; i < event->windows->len; i++) {
      const DvrEventWindow *window = g_ptr_array_index (event->windows, i);
      if (name_listed (only, window->camera)) {
        g_ptr_array_add (export->cameras, camera_job_new (window->camera, window->from_utc_ns,
            window->to_utc_ns));
        export->from_utc_ns = MIN (export->from_utc_ns, window->from_utc_ns);
        export->to_utc_ns = MAX (export->to_utc_ns, window->to_utc_ns);
      }
    }
    for (guint i = 0; only != NULL && only[i] != NULL; i++) {
      gboolean found = FALSE;
      for (guint j = 0; j < export->cameras->len && !found; j++)
        found = g_str_equal (((CameraJob *) export->cameras->pdata[j])->camera, only[i]);
      if (!found) {
        g_autoptr (GString) names = g_string_new (NULL);
        for (guint j = 0; j < event->windows->len; j++)
          g_string_append_printf (names, "%s%s", j > 0 ? ", " : "",
              ((DvrEventWindow *) event->windows->pdata[j])->camera);
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "--camera %s: event %" G_GINT64_FORMAT " has no camera of that name (it has %s)",
            only[i], event->id, names->len > 0 ? names->str : "none");
        return FALSE;
      }
    }
  } else {
    g_autoptr (GPtrArray) segments = dvr_catalog_list_segments (export->catalog, NULL,
        export->from_utc_ns, export->to_utc_ns, error);
    if (segments == NULL)
      return FALSE;
    for (guint i = 0; i < segments->len; i++) {
      const DvrSegment *segment = g_ptr_array_index (segments, i);
      CameraJob *last = export->cameras->len > 0 ?
          g_ptr_array_index (export->cameras, export->cameras->len - 1) : NULL;
      if (name_listed (only, segment->camera) &&
          (last == NULL || !g_str_equal (last->camera, segment->camera)))
        g_ptr_array_add (export->cameras, camera_job_new (segment->camera, export->from_utc_ns,
            export->to_utc_ns));
    }
    for (guint i = 0; only != NULL && only[i] != NULL; i++) {
      gboolean found = FALSE;
      for (guint j = 0; j < export->cameras->len && !found; j++)
        found = g_str_equal (((CameraJob *) export->cameras->pdata[j])->camera, only[i]);
      if (!found) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
            "--camera %s: %s has no recording of that camera in the span", only[i],
            export->root);
        return FALSE;
      }
    }
  }
  if (export->cameras->len == 0) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
        "%s: no recording in the span: nothing to export", export->root);
    return FALSE;
  }
  for (guint i = 0; i < export->cameras->len; i++) {
    if (!camera_job_fill (g_ptr_array_index (export->cameras, i), export->catalog,
                          catalog_gaps, error))
      return FALSE;
  }
  return TRUE;
}

/* Every source file must still be what the catalog says it is: the package
 * would otherwise vouch for a changed recording. */
static gboolean
check_sources (Export *export, DvrToolProgress *progress, GError **error)
{
  for (guint i = 0; i < export->cameras->len; i++) {
    CameraJob *job = g_ptr_array_index (export->cameras, i);

    for (guint j = 0; j < job->sources->len; j++) {
      const DvrSegment *segment = ((Source *) g_ptr_array_index (job->sources, j))->segment;
      g_autofree gchar *path = g_build_filename (export->root, segment->path, NULL);
      g_autofree gchar *label = g_strdup_printf ("checking %s, segment %u of %u", job->camera,
          j + 1, job->sources->len);
      g_autofree gchar *sha256 = NULL;
      guint64 size = 0;

      if (!dvr_tool_sha256_file (path, progress, label, &sha256, &size, error))
        return FALSE;
      if (!g_str_equal (sha256, segment->sha256) || size != segment->bytes) {
        dvr_tool_progress_clear (progress);
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "%s: %s differs from the catalog (%" G_GUINT64_FORMAT " bytes, SHA-256 %s; the "
            "catalog has %" G_GUINT64_FORMAT " bytes, %s): the recording was changed or "
            "damaged; dvr-verify %s lists every file", path,
            size != segment->bytes ? "its size" : "its SHA-256", size, sha256, segment->bytes,
            segment->sha256, export->root);
        return FALSE;
      }
    }
  }
  dvr_tool_progress_clear (progress);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The package's other files */

static gboolean
write_package_file (Export *export, const gchar *name, const gchar *data, gsize length,
                    GError **error)
{
  g_autofree gchar *path = g_build_filename (export->dir, name, NULL);

  if (!dvr_tool_write_new_file (path, data, length, error))
    return FALSE;
  g_ptr_array_add (export->written, g_steal_pointer (&path));
  return TRUE;
}

static gboolean
write_track (Export *export, GError **error)
{
  g_autoptr (GArray) fixes = dvr_catalog_list_gps_fixes (export->catalog, export->from_utc_ns,
      export->to_utc_ns, error);
  g_autoptr (GArray) reports = NULL;
  g_autoptr (GPtrArray) stretches = NULL;
  g_autoptr (GString) gpx = g_string_new (NULL);
  g_autoptr (GString) geojson = g_string_new (NULL);
  g_autofree gchar *from = NULL, *to = NULL, *description = NULL;

  if (fixes == NULL)
    return FALSE;
  reports = g_array_new (FALSE, TRUE, sizeof (DvrTrackReport));
  for (guint i = 0; i < fixes->len; i++) {
    DvrTrackReport report = { .fix = g_array_index (fixes, DvrGpsFix, i) };
    g_array_append_val (reports, report);
  }
  export->gps_fixes = fixes->len;
  stretches = dvr_track_build_stretches (reports);
  export->gps_points = dvr_track_count_points (stretches);
  from = dvr_utc_format_iso8601 (export->from_utc_ns);
  to = dvr_utc_format_iso8601 (export->to_utc_ns);
  if (export->event != NULL)
    description = g_strdup_printf ("Event %" G_GINT64_FORMAT ", from %s to %s, from the catalog "
        "of unit %s", export->event->id, from, to,
        export->identity != NULL ? export->identity->unit_id : "(no identity)");
  else
    description = g_strdup_printf ("From %s to %s, from the catalog of unit %s", from, to,
        export->identity != NULL ? export->identity->unit_id : "(no identity)");
  dvr_track_write_gpx (gpx, stretches, TOOL,
      export->identity != NULL ? export->identity->unit_id : NULL, description);
  dvr_track_write_geojson (geojson, stretches, description);
  return write_package_file (export, DVR_PACKAGE_TRACK_GPX, gpx->str, gpx->len, error) &&
         write_package_file (export, DVR_PACKAGE_TRACK_GEOJSON, geojson->str, geojson->len,
                             error);
}

/* A byte-for-byte copy of the drive's public key file. */
static gboolean
write_public_key (Export *export, GError **error)
{
  g_autofree gchar *source = g_build_filename (export->root, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  g_autofree gchar *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (source, &text, &length, error))
    return FALSE;
  return write_package_file (export, DVR_PACKAGE_PUBLIC_KEY, text, length, error);
}

/* ------------------------------------------------------------------ */
/* The manifest */

static void
add_time (JsonBuilder *b, const gchar *member, gint64 utc_ns)
{
  g_autofree gchar *ns_member = g_strconcat (member, "_utc_ns", NULL);

  json_builder_set_member_name (b, member);
  if (utc_ns == G_MININT64 || utc_ns < 0) {
    json_builder_add_null_value (b);
    json_builder_set_member_name (b, ns_member);
    json_builder_add_null_value (b);
    return;
  }
  {
    g_autofree gchar *text = dvr_utc_format_iso8601 (utc_ns);
    json_builder_add_string_value (b, text);
  }
  json_builder_set_member_name (b, ns_member);
  json_builder_add_int_value (b, utc_ns);
}

static void
add_string (JsonBuilder *b, const gchar *member, const gchar *value)
{
  json_builder_set_member_name (b, member);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const gchar *member, gint64 value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, value);
}

static void
add_event (JsonBuilder *b, const DvrEvent *event)
{
  json_builder_set_member_name (b, "event");
  if (event == NULL) {
    json_builder_add_null_value (b);
    return;
  }
  json_builder_begin_object (b);
  add_int (b, "id", event->id);
  add_string (b, "kind", dvr_event_kind_to_string (event->kind));
  add_time (b, "start", event->start_utc_ns);
  add_time (b, "end", event->end_utc_ns);
  add_string (b, "reason", event->reason);
  add_string (b, "stop_reason", event->stop_reason);
  add_string (b, "category", event->category);
  add_string (b, "case_number", event->case_number);
  add_string (b, "notes", event->notes);
  json_builder_set_member_name (b, "windows");
  json_builder_begin_array (b);
  for (guint i = 0; i < event->windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (event->windows, i);
    json_builder_begin_object (b);
    add_string (b, "camera", window->camera);
    add_time (b, "from", window->from_utc_ns);
    add_time (b, "to", window->to_utc_ns);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "triggers");
  json_builder_begin_array (b);
  for (guint i = 0; i < event->triggers->len; i++) {
    const DvrEventTrigger *trigger = g_ptr_array_index (event->triggers, i);
    json_builder_begin_object (b);
    add_time (b, "time", trigger->utc_ns);
    add_string (b, "action", trigger->action);
    add_string (b, "source", trigger->source);
    add_string (b, "detail", trigger->detail);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_camera (JsonBuilder *b, const CameraJob *job)
{
  json_builder_begin_object (b);
  add_string (b, "name", job->camera);
  add_string (b, "file", job->file_name);
  add_time (b, "from", job->from_utc_ns);
  add_time (b, "to", job->to_utc_ns);
  add_time (b, "first_frame", job->first_utc_ns);
  add_time (b, "last_frame", job->last_utc_ns);
  add_int (b, "frames", (gint64) job->frames);
  add_int (b, "duration_ns", job->duration_ns);
  add_string (b, "codec", job->codec);
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  if (job->file_name != NULL) {
    json_builder_add_string_value (b, "video");
    if (job->has_overlay)
      json_builder_add_string_value (b, OVERLAY_TITLE);
    if (job->has_meta)
      json_builder_add_string_value (b, META_TITLE);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "sources");
  json_builder_begin_array (b);
  for (guint i = 0; i < job->sources->len; i++) {
    const Source *source = g_ptr_array_index (job->sources, i);
    const DvrSegment *segment = source->segment;
    json_builder_begin_object (b);
    add_string (b, "path", segment->path);
    add_string (b, "sha256", segment->sha256);
    add_int (b, "bytes", (gint64) segment->bytes);
    add_time (b, "start", segment->start_utc_ns);
    add_time (b, "end", segment->end_utc_ns);
    add_int (b, "run", segment->run_id);
    add_int (b, "frames", (gint64) segment->frames);
    add_string (b, "state", dvr_segment_state_to_string (segment->state));
    add_string (b, "clock_source", dvr_clock_source_to_string (segment->clock_source));
    add_int (b, "frames_in_file", (gint64) source->frames);
    json_builder_set_member_name (b, "file_offset_ns");
    if (source->frames > 0)
      json_builder_add_int_value (b, source->out_offset_ns);
    else
      json_builder_add_null_value (b);
    add_string (b, "problem", source->problem);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "gaps");
  json_builder_begin_array (b);
  for (guint i = 0; i < job->gaps->len; i++) {
    const Gap *gap = g_ptr_array_index (job->gaps, i);
    json_builder_begin_object (b);
    add_string (b, "kind", gap->kind);
    add_time (b, "from", gap->from_utc_ns);
    add_time (b, "to", gap->to_utc_ns);
    add_string (b, "reason", gap->reason);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static gboolean
add_signals (JsonBuilder *b, Export *export, GError **error)
{
  g_autoptr (GPtrArray) changes = dvr_catalog_list_signal_changes (export->catalog,
      export->from_utc_ns, export->to_utc_ns, error);

  if (changes == NULL)
    return FALSE;
  json_builder_set_member_name (b, "signals");
  json_builder_begin_array (b);
  for (guint i = 0; i < changes->len; i++) {
    const DvrSignalChange *change = g_ptr_array_index (changes, i);
    json_builder_begin_object (b);
    add_time (b, "time", change->utc_ns);
    add_string (b, "signal", change->name);
    json_builder_set_member_name (b, "value");
    json_builder_add_boolean_value (b, change->value);
    add_string (b, "source", change->source);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  return TRUE;
}

static void
add_audit_row (JsonBuilder *b, const DvrAuditEntry *entry)
{
  json_builder_begin_object (b);
  add_int (b, "id", entry->id);
  add_time (b, "time", entry->utc_ns);
  add_string (b, "action", entry->action);
  add_string (b, "detail", entry->detail);
  add_string (b, "prev_hash", entry->prev_hash);
  add_string (b, "hash", entry->hash);
  json_builder_end_object (b);
}

/* The rows about the event and its segments, the rows in the span, and
 * the head: each row re-hashable from what the manifest holds. */
static gboolean
add_audit (JsonBuilder *b, Export *export, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (DvrAuditEntry) head = NULL;
  g_autoptr (GError) broken = NULL;
  guint64 n_rows = 0;
  gint64 first_bad = 0;
  gboolean intact;

  for (guint i = 0; i < export->cameras->len; i++) {
    CameraJob *job = g_ptr_array_index (export->cameras, i);
    for (guint j = 0; j < job->sources->len; j++)
      g_ptr_array_add (paths, ((Source *) job->sources->pdata[j])->segment->path);
  }
  g_ptr_array_add (paths, NULL);
  rows = dvr_catalog_list_audit_about (export->catalog,
      export->event != NULL ? export->event->id : 0, export->from_utc_ns, export->to_utc_ns,
      (const gchar * const *) paths->pdata, error);
  if (rows == NULL)
    return FALSE;
  head = dvr_catalog_get_last_audit (export->catalog, NULL, error);
  if (head == NULL && error != NULL && *error != NULL)
    return FALSE;
  intact = dvr_catalog_verify_audit (export->catalog, &n_rows, &first_bad, &broken);
  if (!intact && !g_error_matches (broken, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_AUDIT_BROKEN)) {
    g_propagate_error (error, g_steal_pointer (&broken));
    return FALSE;
  }
  if (!intact)
    g_printerr (TOOL ": %s: the drive's audit log is broken (%s); the package says so\n",
        export->root, broken->message);

  json_builder_set_member_name (b, "audit");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "intact");
  json_builder_add_boolean_value (b, intact);
  add_string (b, "problem", intact ? NULL : broken->message);
  add_int (b, "rows_in_log", (gint64) n_rows);
  json_builder_set_member_name (b, "head");
  if (head != NULL) {
    json_builder_begin_object (b);
    add_int (b, "id", head->id);
    add_string (b, "hash", head->hash);
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    add_audit_row (b, g_ptr_array_index (rows, i));
  /* The head row too, so that the head's hash can be checked. */
  if (head != NULL && (rows->len == 0 ||
                       ((DvrAuditEntry *) rows->pdata[rows->len - 1])->id != head->id))
    add_audit_row (b, head);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return TRUE;
}

/* Every file in DIR but the manifest and its signature, hashed from the
 * disk (and synced): what the package holds, not what was meant. */
static gboolean
add_files (JsonBuilder *b, Export *export, DvrToolProgress *progress, GError **error)
{
  g_autoptr (GDir) dir = g_dir_open (export->dir, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_equal (name, DVR_PACKAGE_MANIFEST) && !g_str_equal (name, DVR_PACKAGE_SIGNATURE))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) dvr_package_compare_names);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++) {
    g_autofree gchar *path = g_build_filename (export->dir, names->pdata[i], NULL);
    g_autofree gchar *sha256 = NULL;
    g_autofree gchar *label = g_strdup_printf ("hashing %s", (gchar *) names->pdata[i]);
    const gchar *known = g_hash_table_lookup (export->hashes, names->pdata[i]);
    guint64 size = 0;

    if (known != NULL) {
      sha256 = g_strndup (known, 64);
      size = g_ascii_strtoull (known + 65, NULL, 10);
    } else if (!dvr_tool_sha256_file (path, progress, label, &sha256, &size, error)) {
      return FALSE;
    }
    json_builder_begin_object (b);
    add_string (b, "name", names->pdata[i]);
    add_string (b, "sha256", sha256);
    add_int (b, "bytes", (gint64) size);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  dvr_tool_progress_clear (progress);
  return TRUE;
}

static gchar *
build_manifest (Export *export, gint64 created_utc_ns, DvrToolProgress *progress, gsize *length,
                GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  gchar *text;

  json_builder_begin_object (b);
  add_string (b, "format", DVR_PACKAGE_FORMAT);
  add_string (b, "tool", TOOL " " DVR_VERSION);
  add_time (b, "created", created_utc_ns);
  add_string (b, "unit_id", export->identity != NULL ? export->identity->unit_id : NULL);
  add_string (b, "drive_uuid", export->identity != NULL ? export->identity->drive_uuid : NULL);
  add_string (b, "key_fingerprint", export->fingerprint);
  add_string (b, "destination", export->dir);
  add_string (b, "source", export->root);
  add_int (b, "catalog_schema", dvr_catalog_get_schema_version (export->catalog));
  json_builder_set_member_name (b, "span");
  json_builder_begin_object (b);
  add_time (b, "from", export->from_utc_ns);
  add_time (b, "to", export->to_utc_ns);
  json_builder_end_object (b);
  add_event (b, export->event);
  json_builder_set_member_name (b, "cameras");
  json_builder_begin_array (b);
  for (guint i = 0; i < export->cameras->len; i++)
    add_camera (b, g_ptr_array_index (export->cameras, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "gps");
  json_builder_begin_object (b);
  add_int (b, "fixes", (gint64) export->gps_fixes);
  add_int (b, "points", export->gps_points);
  add_string (b, "gpx", DVR_PACKAGE_TRACK_GPX);
  add_string (b, "geojson", DVR_PACKAGE_TRACK_GEOJSON);
  json_builder_end_object (b);
  if (!add_signals (b, export, error) || !add_audit (b, export, error) ||
      !add_files (b, export, progress, error))
    return NULL;
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, length);
  /* A final newline, so that the file prints well; it is signed with it. */
  text = g_realloc (text, *length + 2);
  text[(*length)++] = '\n';
  text[*length] = '\0';
  return text;
}

/* The signature, then the manifest under a temporary name renamed into
 * place: a package with manifest.json always has its signature. */
static gboolean
write_manifest (Export *export, const gchar *manifest, gsize length, GError **error)
{
  g_autofree gchar *part = g_build_filename (export->dir, DVR_PACKAGE_MANIFEST ".part", NULL);
  g_autofree gchar *final = g_build_filename (export->dir, DVR_PACKAGE_MANIFEST, NULL);
  guint8 signature[DVR_DRIVE_SIGNATURE_BYTES];

  dvr_drive_sign (export->secret_key, (const guint8 *) manifest, length, signature);
  if (!write_package_file (export, DVR_PACKAGE_SIGNATURE, (const gchar *) signature,
                           sizeof signature, error))
    return FALSE;
  if (!dvr_tool_write_new_file (part, manifest, length, error))
    return FALSE;
  g_ptr_array_add (export->written, g_strdup (part));
  if (g_rename (part, final) < 0)
    return dvr_set_error_from_errno (error, errno, "rename to " DVR_PACKAGE_MANIFEST, part);
  g_ptr_array_add (export->written, g_steal_pointer (&final));
  return dvr_fsync_directory (export->dir, error);
}

/* ------------------------------------------------------------------ */
/* The export */

/* DIR must not exist (it is made) or be empty. */
static gboolean
prepare_dir (Export *export, GError **error)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local_error = NULL;

  if (g_mkdir (export->dir, 0755) == 0) {
    export->made_dir = TRUE;
    return TRUE;
  }
  if (errno != EEXIST)
    return dvr_set_error_from_errno (error, errno, "-o: cannot make the folder", export->dir);
  dir = g_dir_open (export->dir, 0, &local_error);
  if (dir == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "-o %s: %s", export->dir,
        local_error->message);
    return FALSE;
  }
  if (g_dir_read_name (dir) != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "-o %s: the folder is not empty: give a new or empty folder, so that the package "
        "holds only what the manifest lists", export->dir);
    return FALSE;
  }
  return TRUE;
}

/* Removes every file the export made (and DIR, if it made it). */
static void
remove_partial (Export *export)
{
  guint removed = 0;

  for (guint i = export->written->len; i > 0; i--) {
    if (g_remove (g_ptr_array_index (export->written, i - 1)) == 0)
      removed++;
  }
  if (export->made_dir)
    g_rmdir (export->dir);
  if (removed > 0 || export->made_dir)
    g_printerr (TOOL ": %s: removed the partial export\n", export->dir);
}

/* The drive's key pair: a drive from before signing keys has none, and its
 * package cannot be signed. */
static gboolean
load_keys (Export *export, GError **error)
{
  g_autofree gchar *public_path = g_build_filename (export->root, DVR_DRIVE_PUBLIC_KEY_NAME,
      NULL);
  g_autofree gchar *secret_path = g_build_filename (export->root, DVR_DRIVE_SECRET_KEY_NAME,
      NULL);

  if (!g_file_test (public_path, G_FILE_TEST_EXISTS) &&
      !g_file_test (secret_path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_INVALID,
        "%s: no signing key (%s): a drive from a dvrd before signed exports cannot make a "
        "signed package; copy the segment files with dvr-list's paths and their SHA-256 "
        "from dvr-list --json instead", export->root, DVR_DRIVE_SECRET_KEY_NAME);
    return FALSE;
  }
  if (!dvr_drive_load_secret_key (export->root, export->secret_key, error) ||
      !dvr_drive_load_public_key (export->root, export->public_key, error))
    return FALSE;
  export->fingerprint = dvr_drive_key_fingerprint (export->public_key);
  return TRUE;
}

static gboolean
load_identity (Export *export, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  export->identity = dvr_drive_identity_load (export->root, &local_error);
  if (export->identity != NULL)
    return TRUE;
  if (g_error_matches (local_error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NO_IDENTITY)) {
    g_printerr (TOOL ": %s: no identity (%s): the package names no unit or drive\n",
        export->root, DVR_DRIVE_IDENTITY_NAME);
    return TRUE;
  }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
interrupt_cb (gpointer user_data)
{
  interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
print_summary (Export *export, gsize manifest_length)
{
  if (export->event != NULL)
    g_print ("Exported event %" G_GINT64_FORMAT " to %s\n", export->event->id, export->dir);
  else
    g_print ("Exported the span to %s\n", export->dir);
  for (guint i = 0; i < export->cameras->len; i++) {
    const CameraJob *job = g_ptr_array_index (export->cameras, i);
    g_autofree gchar *first = job->frames > 0 ? dvr_utc_format_iso8601 (job->first_utc_ns) : NULL;

    if (job->file_name == NULL) {
      g_print ("  %-10s no recording in its span\n", job->camera);
      continue;
    }
    g_print ("  %-16s %" G_GUINT64_FORMAT " frames from %s, %.1f s, %u source segment%s, "
        "%u gap%s\n", job->file_name, job->frames, first,
        (gdouble) job->duration_ns / DVR_NSEC_PER_SEC, job->sources->len,
        job->sources->len == 1 ? "" : "s", job->gaps->len, job->gaps->len == 1 ? "" : "s");
  }
  g_print ("  %-16s %" G_GUINT64_FORMAT " GPS fixes, %u positions\n", "track.gpx/.geojson",
      export->gps_fixes, export->gps_points);
  g_print ("  %-16s signed with key %s\n", DVR_PACKAGE_MANIFEST, export->fingerprint);
  g_print ("Check it with: dvr-verify %s\n", export->dir);
}

static gboolean
run_export (Export *export, gint64 event_id, gchar **cameras, GError **error)
{
  g_autoptr (DvrToolProgress) progress = dvr_tool_progress_new ();
  g_autofree gchar *manifest = NULL;
  gsize length = 0;
  gint64 created;

  export->written = g_ptr_array_new_with_free_func (g_free);
  export->hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  export->catalog = dvr_tool_open_catalog (export->root, error);
  if (export->catalog == NULL || !load_identity (export, error) || !load_keys (export, error))
    return FALSE;
  if (event_id > 0) {
    export->event = dvr_catalog_get_event (export->catalog, event_id, error);
    if (export->event == NULL) {
      g_prefix_error (error, "--event %" G_GINT64_FORMAT ": %s: ", event_id, export->root);
      return FALSE;
    }
    if (export->event->end_utc_ns < 0) {
      g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED,
          "--event %" G_GINT64_FORMAT ": the event has no end: it was running when %s was "
          "last written; export its span with --from and --to instead", event_id,
          export->root);
      return FALSE;
    }
  }
  if (!plan_cameras (export, cameras, error) || !check_sources (export, progress, error) ||
      !prepare_dir (export, error))
    return FALSE;

  for (guint i = 0; i < export->cameras->len; i++) {
    CameraJob *job = g_ptr_array_index (export->cameras, i);
    g_autofree gchar *path = g_strconcat (export->dir, G_DIR_SEPARATOR_S, job->camera, ".mkv",
        NULL);

    /* The file exists from the writer's start: remove it on failure. */
    g_ptr_array_add (export->written, g_strdup (path));
    if (!export_camera (job, export->root, export->dir, progress, error))
      return FALSE;
    if (job->file_name == NULL) {
      g_remove (path);
      g_printerr (TOOL ": camera %s: no frame in its span (%s): no file for it\n", job->camera,
          job->sources->len == 0 ? "nothing recorded" : "its segments end before it");
    } else {
      /* Durable before the manifest vouches for it; the hash read back
       * from the disk is the manifest's. */
      g_autofree gchar *sha256 = NULL;
      guint64 size = 0;
      if (!dvr_file_hash_and_sync (path, &sha256, &size, error))
        return FALSE;
      g_hash_table_insert (export->hashes, g_strdup (job->file_name),
          g_strdup_printf ("%s %" G_GUINT64_FORMAT, sha256, size));
    }
  }
  if (!write_track (export, error) || !write_public_key (export, error))
    return FALSE;
  created = dvr_utc_now_ns ();
  manifest = build_manifest (export, created, progress, &length, error);
  if (manifest == NULL || !write_manifest (export, manifest, length, error))
    return FALSE;
  print_summary (export, length);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* --mark-exported */

static void
print_check (const DvrCheck *check, gpointer user_data)
{
  if (check->result == DVR_CHECK_FAIL)
    g_printerr (TOOL ": FAIL %s: %s\n", check->path, check->problem);
}

static gint
mark_exported (const gchar *dir, const gchar *root, const gchar *destination)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrPackage) package = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (DvrExport) record = NULL;
  g_autoptr (DvrToolProgress) progress = dvr_tool_progress_new ();
  g_autofree gchar *catalog_path = g_build_filename (root, DVR_STORAGE_CATALOG_NAME, NULL);
  g_autofree gchar *key_label = g_build_filename (root, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  g_auto (DvrCheckList) checks = { 0, };
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];

  if (!g_file_test (catalog_path, G_FILE_TEST_IS_REGULAR)) {
    g_printerr (TOOL ": %s: no catalog (%s) there: not a dvrd storage root\n", root,
        DVR_STORAGE_CATALOG_NAME);
    return DVR_TOOL_EXIT_FAILED;
  }
  if (!dvr_drive_load_public_key (root, public_key, &error)) {
    g_printerr (TOOL ": --mark-exported: %s\n", error->message);
    return DVR_TOOL_EXIT_FAILED;
  }
  package = dvr_package_open (dir, &error);
  if (package == NULL) {
    g_printerr (TOOL ": --mark-exported: %s\n", error->message);
    return DVR_TOOL_EXIT_FAILED;
  }
  dvr_check_list_init (&checks, print_check, NULL);
  dvr_package_verify (package, public_key, key_label, progress, &checks);
  if (checks.failures > 0) {
    g_printerr (TOOL ": --mark-exported: %s does not verify against %s (%u problem%s above): "
        "not recorded\n", dir, root, checks.failures, checks.failures == 1 ? "" : "s");
    return DVR_TOOL_EXIT_FAILED;
  }
  record = dvr_package_to_export (package, destination, &error);
  if (record == NULL) {
    g_printerr (TOOL ": --mark-exported: %s\n", error->message);
    return DVR_TOOL_EXIT_FAILED;
  }
  catalog = dvr_catalog_open (catalog_path, FALSE, &error);
  if (catalog == NULL) {
    g_printerr (TOOL ": --mark-exported: %s (the drive must be writable to record the export)\n",
        error->message);
    return DVR_TOOL_EXIT_FAILED;
  }
  if (!dvr_catalog_mark_exported (catalog, record, &error)) {
    if (g_error_matches (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_EXISTS)) {
      g_print ("%s: %s\n", dir, error->message);
      return DVR_TOOL_EXIT_OK;
    }
    g_printerr (TOOL ": --mark-exported: %s: %s\n", root, error->message);
    return DVR_TOOL_EXIT_FAILED;
  }
  if (record->event_id > 0)
    g_print ("Recorded in %s: export %" G_GINT64_FORMAT " of event %" G_GINT64_FORMAT
        " (%u camera%s, %u segments) to %s\n", root, record->id, record->event_id,
        record->cameras->len, record->cameras->len == 1 ? "" : "s", record->segments->len,
        record->destination);
  else
    g_print ("Recorded in %s: export %" G_GINT64_FORMAT " of a span (%u camera%s, %u segments) "
        "to %s\n", root, record->id, record->cameras->len, record->cameras->len == 1 ? "" : "s",
        record->segments->len, record->destination);
  return DVR_TOOL_EXIT_OK;
}

/* ------------------------------------------------------------------ */

static gint
usage_error (const gchar *message)
{
  g_printerr (TOOL ": %s\nTry \"" TOOL " --help\".\n", message);
  return DVR_TOOL_EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  gint64 event_id = 0;
  g_autofree gchar *from = NULL;
  g_autofree gchar *to = NULL;
  g_autofree gchar *output = NULL;
  g_autofree gchar *mark = NULL;
  g_autofree gchar *destination = NULL;
  g_auto (GStrv) cameras = NULL;
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Export) export = { 0, };
  const GOptionEntry entries[] = {
    { "event", 0, 0, G_OPTION_ARG_INT64, &event_id, "Export this event (its windows)", "ID" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "Export from this UTC time (with --to)", "T" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "... up to this UTC time", "T" },
    { "camera", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cameras,
      "Only this camera (repeat for more)", "NAME" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "The package folder: new, or empty", "DIR" },
    { "mark-exported", 0, 0, G_OPTION_ARG_FILENAME, &mark,
      "Check the package DIR against ROOT, then record it in ROOT's catalog", "DIR" },
    { "destination", 0, 0, G_OPTION_ARG_STRING, &destination,
      "With --mark-exported: where the package went (default: DIR as given)", "TEXT" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  options = g_option_context_new ("ROOT - an event or a span of a DVR drive as a signed "
      "evidence package");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_description (options,
      "  dvr-export --event 3 -o /media/usb/case-17 /media/dvr\n"
      "  dvr-export --from 2026-11-28T22:30:00Z --to 2026-11-28T22:35:00Z --camera front "
      "-o clip /media/dvr\n"
      "  dvr-verify /media/usb/case-17\n"
      "  dvr-export --mark-exported /media/usb/case-17 /media/dvr\n"
      "Times are UTC, ISO 8601 with Z.  Exit status: 0 done, 1 failed, 2 usage error.\n");
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return usage_error (error->message);
  if (argc != 2)
    return usage_error ("expected one ROOT (the drive's mount point, or a copy of it)");
  if (mark != NULL) {
    g_autofree gchar *root = g_canonicalize_filename (argv[1], NULL);
    if (event_id != 0 || from != NULL || to != NULL || cameras != NULL || output != NULL)
      return usage_error ("--mark-exported DIR ROOT takes no other option but --destination");
    return mark_exported (mark, root, destination != NULL ? destination : mark);
  }
  if (destination != NULL)
    return usage_error ("--destination goes with --mark-exported");
  if (output == NULL)
    return usage_error ("-o DIR is required: where the package goes");
  if ((event_id != 0) == (from != NULL || to != NULL))
    return usage_error ("give --event ID, or --from T and --to T");
  if (event_id < 0)
    return usage_error ("--event: an event id is a positive number");
  if (event_id == 0 && (from == NULL || to == NULL))
    return usage_error ("--from and --to go together");
  if (from != NULL && !dvr_tool_parse_utc (from, &export.from_utc_ns, &error)) {
    g_autofree gchar *message = g_strdup_printf ("--from: %s", error->message);
    return usage_error (message);
  }
  if (to != NULL && !dvr_tool_parse_utc (to, &export.to_utc_ns, &error)) {
    g_autofree gchar *message = g_strdup_printf ("--to: %s", error->message);
    return usage_error (message);
  }
  if (from != NULL && export.from_utc_ns >= export.to_utc_ns)
    return usage_error ("--from must be before --to");

  export.root = g_canonicalize_filename (argv[1], NULL);
  export.dir = g_strdup (output);
  g_unix_signal_add (SIGINT, interrupt_cb, NULL);
  g_unix_signal_add (SIGTERM, interrupt_cb, NULL);
  if (!run_export (&export, event_id, cameras, &error)) {
    g_printerr (TOOL ": %s\n", error->message);
    if (export.written != NULL)
      remove_partial (&export);
    return DVR_TOOL_EXIT_FAILED;
  }
  return DVR_TOOL_EXIT_OK;
}
