/* dvrmeta: where the vehicle was and what its signals were, recorded as two
 * subtitle tracks next to the video they describe.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-dvrmeta
 * @title: dvrmeta
 *
 * dvrmeta sits in a video path (raw or encoded: anything goes through
 * untouched, buffers, events and queries alike) and produces, from the
 * video's own streaming thread and with the video's own timestamps, two
 * text streams (`text/x-raw, format=utf8`) for a muxer's subtitle pads:
 *
 * - `text`, titled "dvr-overlay": one sample per video frame, PTS and
 *   duration those of the frame (buffer duration, else 1/framerate, else
 *   the gap to the previous frame), two lines that any player shows:
 *   `2026-11-28T22:30:01.233Z  car-7  front` and
 *   `52 km/h  52.123457N 4.123457E  270°  LIGHTBAR SIREN`
 *   (`NO GPS`, `NO GPS FIX` or `GPS LOST` in place of the position).
 * - `json`, titled "dvr-meta/1": one JSON object (one line) on the first
 *   frame, on every keyframe, and on the frame after a GPS report, a
 *   signal change, an event marker or GPS being lost; at most one per
 *   frame.  The schema is above dvr_meta_build_json() and in
 *   docs/metadata.md.  A frame without one gets a GAP event up to its
 *   time (a sparse stream, see dvr_meta_push_json_gap()).
 *
 * The titles go out as stream-scoped GST_TAG_TITLE tags: matroskamux
 * writes them as the tracks' TrackName (and as a TITLE tag, serialised with
 * gst_value_serialize(), which is why the titles use no character that it
 * would quote), matroskademux gives them back as GST_TAG_TITLE on its
 * source pads, ffprobe shows them as the streams' title.
 *
 * Inputs: the action signals "push-gps", "set-signals" and "mark-event",
 * from any thread; or, with #DvrMeta:gpsd set, the element reads gpsd
 * itself (libgps) and reconnects with backoff.
 *
 * UTC of a frame: its running time plus the element's base time is a time
 * on the pipeline clock; an offset to the real-time clock
 * (g_get_real_time() - clock now) is taken when the element goes to
 * PLAYING.  Frames handled outside PLAYING (a non-live pipeline's preroll)
 * carry no UTC.  GPS is lost when no report came for #DvrMeta:gps-timeout
 * of pipeline clock time, or when the gpsd connection is down.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! x264enc tune=zerolatency key-int-max=30 ! \
 *     h264parse ! dvrmeta gpsd=localhost:2947 unit-id=car-7 camera=front name=m ! \
 *     splitmuxsink name=s muxer=matroskamux location=/tmp/c%02d.mkv max-size-time=2000000000 \
 *     m.text ! queue ! s.subtitle_0  m.json ! queue ! s.subtitle_1
 * ]| Records 2 s Matroska segments (splitmuxsink cuts at keyframes only,
 * hence key-int-max), each with the H.264 track and the two metadata
 * tracks, the JSON track's first sample at the segment's first frame and
 * a text sample for every frame.
 *
 * With splitmuxsink (1.22), both queues are required.  splitmuxsink takes
 * the tracks as `subtitle_%u` request pads next to `video`, holds a video
 * keyframe until every other stream has reached its time, and holds other
 * streams' buffers that are ahead of the video.  dvrmeta pushes a frame's
 * text and JSON samples before the frame itself, from the same thread: a
 * queue on each metadata branch lets them wait in splitmuxsink without
 * blocking that thread, and the JSON sample on every keyframe is what lets
 * the keyframe through.  Without the queues the pipeline stalls on the
 * first frame.  The JSON track's gaps let matroskamux write each GOP as
 * splitmuxsink releases it (but its last frame, until the next GOP): a
 * recording's first frames are in the file once the second keyframe has
 * come in.  Segment files carry running time: a segment's first sample is
 * at its start's running time, not 0.
 *
 * The tracks stay in the first segment the video has after its stream
 * start or a flush (open-ended): a later segment without a flush (a replay
 * looping on a segment seek) is not passed on, and samples and gaps are
 * stamped at the frame's running time in the tracks' segment.  A segment
 * in the middle of a sparse track can deadlock matroskamux (1.22) where
 * splitmuxsink closes a fragment (see dvr_meta_sink_event()).
 */

#include "dvr-meta.h"
#include "dvr-meta-gpsd.h"

#include <math.h>
#include <string.h>
#include <time.h>

GST_DEBUG_CATEGORY (dvr_meta_debug);
#define GST_CAT_DEFAULT dvr_meta_debug

enum {
  SIGNAL_PUSH_GPS,
  SIGNAL_SET_SIGNALS,
  SIGNAL_MARK_EVENT,
  LAST_SIGNAL
};

enum {
  PROP_0,
  PROP_UNIT_ID,
  PROP_CAMERA,
  PROP_SPEED_UNITS,
  PROP_GPSD,
  PROP_GPS_TIMEOUT,
};

#define DEFAULT_UNIT_ID NULL
#define DEFAULT_CAMERA NULL
#define DEFAULT_SPEED_UNITS DVR_META_SPEED_UNITS_KMH
#define DEFAULT_GPSD NULL
#define DEFAULT_GPS_TIMEOUT (3 * GST_SECOND)

/* Event markers waiting for a frame; beyond this the oldest are dropped. */
#define DVR_META_MAX_PENDING_EVENTS 256

#define DVR_META_CAPS "text/x-raw, format = (string) utf8"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate text_template = GST_STATIC_PAD_TEMPLATE ("text",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (DVR_META_CAPS));

static GstStaticPadTemplate json_template = GST_STATIC_PAD_TEMPLATE ("json",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (DVR_META_CAPS));

/* One GPS report.  Unknown doubles are NAN, unknown integers -1, an
 * unknown time G_MININT64. */
typedef struct {
  gint mode;
  gint64 time_ns;
  gdouble lat, lon;
  gdouble alt_hae, alt_msl;
  gdouble speed, track, climb;
  gdouble eph, epv, eps;
  gint sats_used, sats_visible;
} DvrMetaFix;

struct _DvrMeta {
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;
  GstPad *textpad;
  GstPad *jsonpad;

  /* Under @lock: written by the application (properties, action signals)
   * and the gpsd thread, read by the streaming thread. */
  GMutex lock;
  gchar *unit_id;
  gchar *camera;
  DvrMetaSpeedUnits speed_units;
  gchar *gpsd_address;
  GstClockTime gps_timeout;
  gboolean have_report;         /* a GPS report arrived since creation */
  DvrMetaFix fix;               /* the latest one */
  guint64 fix_id;               /* reports so far; the latest one's id */
  GstClockTime fix_clock_time;  /* pipeline clock when it arrived, or NONE */
  gboolean gps_new;             /* a report since the last JSON sample */
  gboolean gpsd_down;           /* our gpsd connection is gone */
  GstStructure *signals;        /* boolean fields in display order, or NULL */
  GPtrArray *changed;           /* signal names changed since the last JSON sample */
  GQueue events;                /* GstStructure *, oldest first */
  gboolean have_utc_offset;     /* TRUE in PLAYING */
  GstClockTimeDiff utc_offset;  /* realtime ns - clock ns */

  /* Streaming thread only; reset on READY->PAUSED. */
  GstSegment segment;           /* the video's */
  GstSegment track_segment;     /* the text and JSON pads', or UNDEFINED */
  gint fps_n, fps_d;
  GstClockTime prev_pts;
  GstClockTime json_end;        /* the JSON track is accounted for (samples,
                                 * gaps) up to here, in the tracks' segment,
                                 * or NONE */
  gboolean json_sent;           /* since start or the last flush */
  gboolean lost_reported;       /* the last JSON sample said gps_lost */
  gboolean titles_sent;

  /* State changes only. */
  DvrMetaGpsd *gpsd;
};

static guint dvr_meta_signals[LAST_SIGNAL];

#define dvr_meta_parent_class parent_class
G_DEFINE_TYPE (DvrMeta, dvr_meta, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (dvrmeta, "dvrmeta", GST_RANK_NONE, DVR_TYPE_META);

GType
dvr_meta_speed_units_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { DVR_META_SPEED_UNITS_KMH, "Kilometres per hour", "kmh" },
    { DVR_META_SPEED_UNITS_MPH, "Miles per hour", "mph" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("DvrMetaSpeedUnits", values));
  return type;
}

static void dvr_meta_finalize (GObject *object);
static void dvr_meta_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec);
static void dvr_meta_get_property (GObject *object, guint prop_id, GValue *value,
                                   GParamSpec *pspec);
static GstStateChangeReturn dvr_meta_change_state (GstElement *element,
                                                   GstStateChange transition);
static GstFlowReturn dvr_meta_sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf);
static gboolean dvr_meta_sink_event (GstPad *pad, GstObject *parent, GstEvent *event);
static gboolean dvr_meta_meta_src_event (GstPad *pad, GstObject *parent, GstEvent *event);
static GstIterator *dvr_meta_iterate_internal_links (GstPad *pad, GstObject *parent);
static gboolean dvr_meta_push_gps (DvrMeta *self, const GstStructure *report);
static gboolean dvr_meta_set_signals (DvrMeta *self, const GstStructure *signals);
static gboolean dvr_meta_mark_event (DvrMeta *self, const GstStructure *event);

static void
dvr_meta_class_init (DvrMetaClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = dvr_meta_finalize;
  gobject_class->set_property = dvr_meta_set_property;
  gobject_class->get_property = dvr_meta_get_property;

  g_object_class_install_property (gobject_class, PROP_UNIT_ID,
      g_param_spec_string ("unit-id", "Unit ID",
          "The vehicle or recorder, written in every sample", DEFAULT_UNIT_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CAMERA,
      g_param_spec_string ("camera", "Camera",
          "The camera's name, written in every sample", DEFAULT_CAMERA,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SPEED_UNITS,
      g_param_spec_enum ("speed-units", "Speed units",
          "Unit of the speed in the text track (the JSON track is in m/s)",
          DVR_TYPE_META_SPEED_UNITS, DEFAULT_SPEED_UNITS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_GPSD,
      g_param_spec_string ("gpsd", "gpsd",
          "\"host:port\" of a gpsd to read (NULL: only push-gps)", DEFAULT_GPSD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_GPS_TIMEOUT,
      g_param_spec_uint64 ("gps-timeout", "GPS timeout",
          "GPS is lost when no report came for this long, in pipeline clock ns "
          "(0: never by time)", 0, G_MAXUINT64, DEFAULT_GPS_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * DvrMeta::push-gps:
   * @structure: a "gps" structure (borrowed): `mode` (int 0..3), `time-ns`
   *   (int64, UTC of the fix), `lat`, `lon`, `alt-hae`, `alt-msl`, `speed`
   *   (m/s), `track` (degrees), `climb`, `eph`, `epv`, `eps` (double),
   *   `sats-used`, `sats-visible` (int).  A missing or non-finite field
   *   is unknown.
   *
   * Any thread.  The next frame carries a JSON sample with it.  Returns
   * FALSE if @structure is not a "gps" structure or its mode is not 0..3.
   */
  dvr_meta_signals[SIGNAL_PUSH_GPS] = g_signal_new_class_handler ("push-gps",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (dvr_meta_push_gps), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * DvrMeta::set-signals:
   * @structure: a "signals" structure (borrowed), one boolean field per
   *   signal, in display order.
   *
   * Any thread.  Replaces the signal state; the names whose value changed,
   * appeared or disappeared go into `changed` of the next JSON sample.
   * Returns FALSE if @structure is not a "signals" structure.
   */
  dvr_meta_signals[SIGNAL_SET_SIGNALS] = g_signal_new_class_handler ("set-signals",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (dvr_meta_set_signals), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * DvrMeta::mark-event:
   * @structure: any structure (borrowed); its fields become `event` of a
   *   coming JSON sample.
   *
   * Any thread.  Each marker gets its own sample: markers made between two
   * frames go out on successive frames, oldest first.
   */
  dvr_meta_signals[SIGNAL_MARK_EVENT] = g_signal_new_class_handler ("mark-event",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (dvr_meta_mark_event), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_add_static_pad_template (element_class, &text_template);
  gst_element_class_add_static_pad_template (element_class, &json_template);
  gst_element_class_set_static_metadata (element_class, "DVR metadata tracks",
      "Filter/Video/Subtitle",
      "Passes video through and adds GPS position and vehicle signals as a "
      "text track and a JSON track timed by the video's frames",
      "dvr <dvr@localhost>");

  element_class->change_state = GST_DEBUG_FUNCPTR (dvr_meta_change_state);

  gst_type_mark_as_plugin_api (DVR_TYPE_META_SPEED_UNITS, 0);
}

static void
dvr_meta_fix_clear (DvrMetaFix *fix)
{
  fix->mode = 0;
  fix->time_ns = G_MININT64;
  fix->lat = fix->lon = NAN;
  fix->alt_hae = fix->alt_msl = NAN;
  fix->speed = fix->track = fix->climb = NAN;
  fix->eph = fix->epv = fix->eps = NAN;
  fix->sats_used = fix->sats_visible = -1;
}

static void
dvr_meta_reset_streaming (DvrMeta *self)
{
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  gst_segment_init (&self->track_segment, GST_FORMAT_UNDEFINED);
  self->fps_n = 0;
  self->fps_d = 1;
  self->prev_pts = GST_CLOCK_TIME_NONE;
  self->json_end = GST_CLOCK_TIME_NONE;
  self->json_sent = FALSE;
  self->lost_reported = FALSE;
  self->titles_sent = FALSE;
}

static void
dvr_meta_init (DvrMeta *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, GST_DEBUG_FUNCPTR (dvr_meta_sink_chain));
  gst_pad_set_event_function (self->sinkpad, GST_DEBUG_FUNCPTR (dvr_meta_sink_event));
  gst_pad_set_iterate_internal_links_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (dvr_meta_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  GST_PAD_SET_PROXY_SCHEDULING (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_iterate_internal_links_function (self->srcpad,
      GST_DEBUG_FUNCPTR (dvr_meta_iterate_internal_links));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->srcpad);
  GST_PAD_SET_PROXY_SCHEDULING (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->textpad = gst_pad_new_from_static_template (&text_template, "text");
  gst_pad_set_event_function (self->textpad, GST_DEBUG_FUNCPTR (dvr_meta_meta_src_event));
  gst_pad_use_fixed_caps (self->textpad);
  gst_element_add_pad (GST_ELEMENT (self), self->textpad);

  self->jsonpad = gst_pad_new_from_static_template (&json_template, "json");
  gst_pad_set_event_function (self->jsonpad, GST_DEBUG_FUNCPTR (dvr_meta_meta_src_event));
  gst_pad_use_fixed_caps (self->jsonpad);
  gst_element_add_pad (GST_ELEMENT (self), self->jsonpad);

  g_mutex_init (&self->lock);
  self->speed_units = DEFAULT_SPEED_UNITS;
  self->gps_timeout = DEFAULT_GPS_TIMEOUT;
  dvr_meta_fix_clear (&self->fix);
  self->fix_clock_time = GST_CLOCK_TIME_NONE;
  self->changed = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&self->events);
  dvr_meta_reset_streaming (self);
}

static void
dvr_meta_finalize (GObject *object)
{
  DvrMeta *self = DVR_META (object);

  g_free (self->unit_id);
  g_free (self->camera);
  g_free (self->gpsd_address);
  g_clear_pointer (&self->signals, gst_structure_free);
  g_ptr_array_unref (self->changed);
  g_queue_clear_full (&self->events, (GDestroyNotify) gst_structure_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
dvr_meta_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  DvrMeta *self = DVR_META (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_UNIT_ID:
      g_free (self->unit_id);
      self->unit_id = g_value_dup_string (value);
      break;
    case PROP_CAMERA:
      g_free (self->camera);
      self->camera = g_value_dup_string (value);
      break;
    case PROP_SPEED_UNITS:
      self->speed_units = g_value_get_enum (value);
      break;
    case PROP_GPSD:
      g_free (self->gpsd_address);
      self->gpsd_address = g_value_dup_string (value);
      break;
    case PROP_GPS_TIMEOUT:
      self->gps_timeout = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
dvr_meta_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DvrMeta *self = DVR_META (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_UNIT_ID:
      g_value_set_string (value, self->unit_id);
      break;
    case PROP_CAMERA:
      g_value_set_string (value, self->camera);
      break;
    case PROP_SPEED_UNITS:
      g_value_set_enum (value, self->speed_units);
      break;
    case PROP_GPSD:
      g_value_set_string (value, self->gpsd_address);
      break;
    case PROP_GPS_TIMEOUT:
      g_value_set_uint64 (value, self->gps_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ */
/* Inputs */

/* A number field of any numeric type as a double; FALSE if absent, not a
 * number or not finite. */
static gboolean
structure_get_number (const GstStructure *s, const gchar *name, gdouble *out)
{
  const GValue *value = gst_structure_get_value (s, name);
  GValue as_double = G_VALUE_INIT;
  gdouble number;

  if (value == NULL)
    return FALSE;
  if (G_VALUE_TYPE (value) == G_TYPE_BOOLEAN || G_VALUE_TYPE (value) == G_TYPE_STRING
      || !g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_DOUBLE))
    return FALSE;
  g_value_init (&as_double, G_TYPE_DOUBLE);
  if (!g_value_transform (value, &as_double))
    return FALSE;
  number = g_value_get_double (&as_double);
  if (!isfinite (number))
    return FALSE;
  *out = number;
  return TRUE;
}

static gboolean
structure_get_integer (const GstStructure *s, const gchar *name, gint64 *out)
{
  const GValue *value = gst_structure_get_value (s, name);

  if (value == NULL)
    return FALSE;
  switch (G_VALUE_TYPE (value)) {
    case G_TYPE_INT:
      *out = g_value_get_int (value);
      return TRUE;
    case G_TYPE_UINT:
      *out = g_value_get_uint (value);
      return TRUE;
    case G_TYPE_INT64:
      *out = g_value_get_int64 (value);
      return TRUE;
    case G_TYPE_UINT64:
      if (g_value_get_uint64 (value) > G_MAXINT64)
        return FALSE;
      *out = (gint64) g_value_get_uint64 (value);
      return TRUE;
    default:
      return FALSE;
  }
}

/* Reads a push-gps structure into @fix.  Position and motion mean nothing
 * without a fix, nor altitude and climb without a 3D one: those are
 * dropped, like out-of-range values. */
static gboolean
dvr_meta_fix_from_structure (DvrMeta *self, const GstStructure *s, DvrMetaFix *fix)
{
  gint64 integer;

  dvr_meta_fix_clear (fix);

  structure_get_number (s, "lat", &fix->lat);
  structure_get_number (s, "lon", &fix->lon);
  if (!(fix->lat >= -90.0 && fix->lat <= 90.0 && fix->lon >= -180.0 && fix->lon <= 180.0))
    fix->lat = fix->lon = NAN;
  structure_get_number (s, "alt-hae", &fix->alt_hae);
  structure_get_number (s, "alt-msl", &fix->alt_msl);
  structure_get_number (s, "speed", &fix->speed);
  structure_get_number (s, "track", &fix->track);
  structure_get_number (s, "climb", &fix->climb);
  structure_get_number (s, "eph", &fix->eph);
  structure_get_number (s, "epv", &fix->epv);
  structure_get_number (s, "eps", &fix->eps);
  if (structure_get_integer (s, "time-ns", &integer))
    fix->time_ns = integer;
  if (structure_get_integer (s, "sats-used", &integer) && integer >= 0 && integer <= G_MAXINT)
    fix->sats_used = integer;
  if (structure_get_integer (s, "sats-visible", &integer) && integer >= 0 && integer <= G_MAXINT)
    fix->sats_visible = integer;

  if (structure_get_integer (s, "mode", &integer)) {
    if (integer < 0 || integer > 3) {
      GST_WARNING_OBJECT (self, "push-gps: mode %" G_GINT64_FORMAT " is not 0..3", integer);
      return FALSE;
    }
    fix->mode = integer;
  } else if (!isnan (fix->lat)) {
    fix->mode = !isnan (fix->alt_hae) || !isnan (fix->alt_msl) ? 3 : 2;
  } else {
    fix->mode = 1;
  }

  if (fix->mode < 2) {
    fix->lat = fix->lon = NAN;
    fix->speed = fix->track = NAN;
    fix->eph = fix->eps = NAN;
  }
  if (fix->mode < 3) {
    fix->alt_hae = fix->alt_msl = NAN;
    fix->climb = fix->epv = NAN;
  }
  return TRUE;
}

/* Pipeline clock time now, or NONE without a clock. */
static GstClockTime
dvr_meta_clock_now (DvrMeta *self)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (GST_ELEMENT (self));

  return clock != NULL ? gst_clock_get_time (clock) : GST_CLOCK_TIME_NONE;
}

/* Takes a report from push-gps or the gpsd thread. */
static gboolean
dvr_meta_take_report (DvrMeta *self, const GstStructure *report)
{
  DvrMetaFix fix;
  GstClockTime now;
  guint64 fix_id;

  if (report == NULL || !gst_structure_has_name (report, "gps")) {
    GST_WARNING_OBJECT (self, "push-gps: expected a \"gps\" structure, got %" GST_PTR_FORMAT,
        report);
    return FALSE;
  }
  if (!dvr_meta_fix_from_structure (self, report, &fix))
    return FALSE;

  now = dvr_meta_clock_now (self);
  g_mutex_lock (&self->lock);
  self->fix = fix;
  self->have_report = TRUE;
  fix_id = ++self->fix_id;
  self->fix_clock_time = now;
  self->gps_new = TRUE;
  g_mutex_unlock (&self->lock);

  GST_LOG_OBJECT (self, "GPS report %" G_GUINT64_FORMAT ": %" GST_PTR_FORMAT, fix_id, report);
  return TRUE;
}

static gboolean
dvr_meta_push_gps (DvrMeta *self, const GstStructure *report)
{
  return dvr_meta_take_report (self, report);
}

static gboolean
dvr_meta_set_signals (DvrMeta *self, const GstStructure *signals)
{
  GstStructure *state;
  gint i, n;

  if (signals == NULL || !gst_structure_has_name (signals, "signals")) {
    GST_WARNING_OBJECT (self, "set-signals: expected a \"signals\" structure, got %"
        GST_PTR_FORMAT, signals);
    return FALSE;
  }

  state = gst_structure_new_empty ("signals");
  n = gst_structure_n_fields (signals);
  for (i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name (signals, i);
    gboolean on;

    if (!gst_structure_get_boolean (signals, name, &on)) {
      GST_WARNING_OBJECT (self, "set-signals: %s is not a boolean, ignored", name);
      continue;
    }
    gst_structure_set (state, name, G_TYPE_BOOLEAN, on, NULL);
  }

  g_mutex_lock (&self->lock);
  n = gst_structure_n_fields (state);
  for (i = 0; i < n; i++) {
    const gchar *name = gst_structure_nth_field_name (state, i);
    gboolean on = FALSE, was = FALSE;

    gst_structure_get_boolean (state, name, &on);
    if (self->signals == NULL || !gst_structure_get_boolean (self->signals, name, &was)
        || on != was) {
      if (!g_ptr_array_find_with_equal_func (self->changed, name, g_str_equal, NULL))
        g_ptr_array_add (self->changed, g_strdup (name));
    }
  }
  if (self->signals != NULL) {
    n = gst_structure_n_fields (self->signals);
    for (i = 0; i < n; i++) {
      const gchar *name = gst_structure_nth_field_name (self->signals, i);

      if (!gst_structure_has_field (state, name)
          && !g_ptr_array_find_with_equal_func (self->changed, name, g_str_equal, NULL))
        g_ptr_array_add (self->changed, g_strdup (name));
    }
  }
  g_clear_pointer (&self->signals, gst_structure_free);
  self->signals = state;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
dvr_meta_mark_event (DvrMeta *self, const GstStructure *event)
{
  if (event == NULL) {
    GST_WARNING_OBJECT (self, "mark-event: no structure");
    return FALSE;
  }

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->events, gst_structure_copy (event));
  while (g_queue_get_length (&self->events) > DVR_META_MAX_PENDING_EVENTS) {
    GST_WARNING_OBJECT (self, "no frames: dropping the oldest event marker");
    gst_structure_free (g_queue_pop_head (&self->events));
  }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* The gpsd thread's callbacks. */
static void
dvr_meta_gpsd_report (const GstStructure *report, gpointer user_data)
{
  dvr_meta_take_report (DVR_META (user_data), report);
}

static void
dvr_meta_gpsd_state (gboolean connected, const gchar *message, gpointer user_data)
{
  DvrMeta *self = DVR_META (user_data);
  gboolean was_down;

  g_mutex_lock (&self->lock);
  was_down = self->gpsd_down;
  self->gpsd_down = !connected;
  g_mutex_unlock (&self->lock);

  if (connected) {
    GST_INFO_OBJECT (self, "connected to gpsd");
  } else if (!was_down) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("No GPS: %s", message), (NULL));
  } else {
    GST_DEBUG_OBJECT (self, "%s", message);
  }
  if (connected || !was_down) {
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("dvr-meta-gpsd", "connected", G_TYPE_BOOLEAN, connected,
                "message", G_TYPE_STRING, message, NULL)));
  }
}

/* ------------------------------------------------------------------ */
/* Formatting */

/* 2026-11-28T22:30:01.233Z (milliseconds, truncated). */
static void
append_utc (GString *out, gint64 ns)
{
  gint64 seconds = ns / GST_SECOND;
  gint64 rest = ns % GST_SECOND;
  time_t t;
  struct tm tm;

  if (rest < 0) {
    rest += GST_SECOND;
    seconds--;
  }
  t = (time_t) seconds;
  if (gmtime_r (&t, &tm) == NULL) {
    g_string_append (out, "?");
    return;
  }
  g_string_append_printf (out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
      (gint) (rest / GST_MSECOND));
}

/* The shortest decimal form that reads back as exactly @value. */
static void
append_double (GString *out, gdouble value)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  static const gchar *formats[] = { "%.15g", "%.16g", "%.17g" };
  guint i;

  /* "-0" would read back as the integer 0. */
  if (value == 0.0 && signbit (value)) {
    g_string_append (out, "-0.0");
    return;
  }
  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    g_ascii_formatd (buf, sizeof buf, formats[i], value);
    if (g_ascii_strtod (buf, NULL) == value)
      break;
  }
  g_string_append (out, buf);
}

static void
append_json_string (GString *out, const gchar *text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  const gchar *p;

  g_string_append_c (out, '"');
  for (p = valid; *p != '\0'; p++) {
    guchar c = *p;

    switch (c) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '<':
      case '>':
      case '&':
        /* matroskademux hands S_TEXT/UTF8 out as pango markup, escaped
         * unless it spots a tag: with none of these in the JSON, it always
         * escapes, and unescaping gives back exactly what was written. */
        g_string_append_printf (out, "\\u%04x", c);
        break;
      default:
        if (c < 0x20)
          g_string_append_printf (out, "\\u%04x", c);
        else
          g_string_append_c (out, c);
        break;
    }
  }
  g_string_append_c (out, '"');
}

static void
append_key (GString *out, const gchar *key)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  append_json_string (out, key);
  g_string_append_c (out, ':');
}

static void
append_double_field (GString *out, const gchar *key, gdouble value)
{
  if (isnan (value) || !isfinite (value))
    return;
  append_key (out, key);
  append_double (out, value);
}

static gboolean
append_event_field (GQuark field, const GValue *value, gpointer user_data)
{
  GString *out = user_data;
  const gchar *name = g_quark_to_string (field);
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_STRING) {
    append_key (out, name);
    if (g_value_get_string (value) != NULL)
      append_json_string (out, g_value_get_string (value));
    else
      g_string_append (out, "null");
  } else if (type == G_TYPE_BOOLEAN) {
    append_key (out, name);
    g_string_append (out, g_value_get_boolean (value) ? "true" : "false");
  } else if (type == G_TYPE_INT) {
    append_key (out, name);
    g_string_append_printf (out, "%d", g_value_get_int (value));
  } else if (type == G_TYPE_UINT) {
    append_key (out, name);
    g_string_append_printf (out, "%u", g_value_get_uint (value));
  } else if (type == G_TYPE_INT64) {
    append_key (out, name);
    g_string_append_printf (out, "%" G_GINT64_FORMAT, g_value_get_int64 (value));
  } else if (type == G_TYPE_UINT64) {
    append_key (out, name);
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_value_get_uint64 (value));
  } else if (type == G_TYPE_DOUBLE || type == G_TYPE_FLOAT) {
    gdouble number = type == G_TYPE_DOUBLE ? g_value_get_double (value)
        : g_value_get_float (value);

    append_double_field (out, name, number);
  } else {
    g_autofree gchar *text = gst_value_serialize (value);

    if (text != NULL) {
      append_key (out, name);
      append_json_string (out, text);
    }
  }
  return TRUE;
}

/* What a frame's samples are made from, taken under the lock. */
typedef struct {
  GstClockTime pts;
  GstClockTime running_time;
  gint64 utc_ns;            /* G_MININT64: unknown */
  gboolean keyframe;
  gboolean lost;
} DvrMetaFrame;

/**
 * dvr_meta_build_json:
 *
 * One JSON object on one line, UTF-8.  Members in this order; a member
 * whose value is not known is left out (never NaN or null):
 *
 * |[
 * {"schema":"dvr-meta/1",
 *  "utc":"2026-11-28T22:30:01.233Z","utc_ns":1795905001233000000,
 *  "pts_ns":3600003000000000,      // the frame's PTS as it came in
 *  "running_ns":3000000000,        // its running time (= its time in a splitmuxsink file)
 *  "unit":"car-7","camera":"front",
 *  "keyframe":true,                // the frame is a keyframe
 *  "gps":{"mode":3,                // 0 no GPS, 1 no fix, 2 2D, 3 3D
 *         "time":"2026-11-28T22:30:01.000Z","time_ns":...,  // UTC of the fix
 *         "lat":52.123456789,"lon":4.123456789,             // degrees
 *         "alt_hae":..,"alt_msl":..,                         // m
 *         "speed":..,"track":..,"climb":..,                  // m/s, deg, m/s
 *         "eph":..,"epv":..,"eps":..,                        // m, m, m/s
 *         "sats_used":9,"sats_visible":12,
 *         "fix_id":17},            // +1 per report; same id = same report
 *  "gps_new":true,                 // a report arrived since the last sample
 *  "gps_lost":true,                // only when lost (gps is then the last report)
 *  "signals":{"ignition":true,"lightbar":false},  // display order
 *  "changed":["lightbar"],         // only when not empty
 *  "event":{...}}                  // only with an event marker
 * ]|
 *
 * Doubles are written in the shortest form that parses back to the same
 * double.  `gps` is `{"mode":0}` before any report.
 *
 * Called with the lock held.
 */
static gchar *
dvr_meta_build_json (DvrMeta *self, const DvrMetaFrame *frame, const GstStructure *event)
{
  GString *out = g_string_new ("{");
  guint i;

  append_key (out, "schema");
  append_json_string (out, DVR_META_SCHEMA);
  if (frame->utc_ns != G_MININT64) {
    append_key (out, "utc");
    g_string_append_c (out, '"');
    append_utc (out, frame->utc_ns);
    g_string_append_c (out, '"');
    append_key (out, "utc_ns");
    g_string_append_printf (out, "%" G_GINT64_FORMAT, frame->utc_ns);
  }
  append_key (out, "pts_ns");
  g_string_append_printf (out, "%" G_GUINT64_FORMAT, frame->pts);
  append_key (out, "running_ns");
  g_string_append_printf (out, "%" G_GUINT64_FORMAT, frame->running_time);
  if (self->unit_id != NULL) {
    append_key (out, "unit");
    append_json_string (out, self->unit_id);
  }
  if (self->camera != NULL) {
    append_key (out, "camera");
    append_json_string (out, self->camera);
  }
  append_key (out, "keyframe");
  g_string_append (out, frame->keyframe ? "true" : "false");

  append_key (out, "gps");
  g_string_append_c (out, '{');
  if (!self->have_report) {
    append_key (out, "mode");
    g_string_append (out, "0");
  } else {
    const DvrMetaFix *fix = &self->fix;

    append_key (out, "mode");
    g_string_append_printf (out, "%d", fix->mode);
    if (fix->time_ns != G_MININT64) {
      append_key (out, "time");
      g_string_append_c (out, '"');
      append_utc (out, fix->time_ns);
      g_string_append_c (out, '"');
      append_key (out, "time_ns");
      g_string_append_printf (out, "%" G_GINT64_FORMAT, fix->time_ns);
    }
    append_double_field (out, "lat", fix->lat);
    append_double_field (out, "lon", fix->lon);
    append_double_field (out, "alt_hae", fix->alt_hae);
    append_double_field (out, "alt_msl", fix->alt_msl);
    append_double_field (out, "speed", fix->speed);
    append_double_field (out, "track", fix->track);
    append_double_field (out, "climb", fix->climb);
    append_double_field (out, "eph", fix->eph);
    append_double_field (out, "epv", fix->epv);
    append_double_field (out, "eps", fix->eps);
    if (fix->sats_used >= 0) {
      append_key (out, "sats_used");
      g_string_append_printf (out, "%d", fix->sats_used);
    }
    if (fix->sats_visible >= 0) {
      append_key (out, "sats_visible");
      g_string_append_printf (out, "%d", fix->sats_visible);
    }
    append_key (out, "fix_id");
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, self->fix_id);
  }
  g_string_append_c (out, '}');

  append_key (out, "gps_new");
  g_string_append (out, self->gps_new ? "true" : "false");
  if (frame->lost) {
    append_key (out, "gps_lost");
    g_string_append (out, "true");
  }

  if (self->signals != NULL) {
    gint n = gst_structure_n_fields (self->signals);
    gint j;

    append_key (out, "signals");
    g_string_append_c (out, '{');
    for (j = 0; j < n; j++) {
      const gchar *name = gst_structure_nth_field_name (self->signals, j);
      gboolean on = FALSE;

      gst_structure_get_boolean (self->signals, name, &on);
      append_key (out, name);
      g_string_append (out, on ? "true" : "false");
    }
    g_string_append_c (out, '}');
  }
  if (self->changed->len > 0) {
    append_key (out, "changed");
    g_string_append_c (out, '[');
    for (i = 0; i < self->changed->len; i++) {
      if (i > 0)
        g_string_append_c (out, ',');
      append_json_string (out, g_ptr_array_index (self->changed, i));
    }
    g_string_append_c (out, ']');
  }
  if (event != NULL) {
    append_key (out, "event");
    g_string_append_c (out, '{');
    gst_structure_foreach (event, append_event_field, out);
    g_string_append_c (out, '}');
  }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* The two lines of the text track.  Called with the lock held. */
static gchar *
dvr_meta_build_text (DvrMeta *self, const DvrMetaFrame *frame)
{
  GString *out = g_string_new (NULL);
  const DvrMetaFix *fix = &self->fix;

  if (frame->utc_ns != G_MININT64)
    append_utc (out, frame->utc_ns);
  else
    g_string_append (out, "UTC unknown");
  if (self->unit_id != NULL)
    g_string_append_printf (out, "  %s", self->unit_id);
  if (self->camera != NULL)
    g_string_append_printf (out, "  %s", self->camera);
  g_string_append_c (out, '\n');

  if (!self->have_report || (fix->mode == 0 && !frame->lost)) {
    g_string_append (out, "NO GPS");
  } else if (frame->lost) {
    g_string_append (out, "GPS LOST");
  } else if (fix->mode < 2 || isnan (fix->lat)) {
    g_string_append (out, "NO GPS FIX");
  } else {
    if (!isnan (fix->speed)) {
      if (self->speed_units == DVR_META_SPEED_UNITS_MPH)
        g_string_append_printf (out, "%.0f mph  ", fix->speed * 3600.0 / 1609.344);
      else
        g_string_append_printf (out, "%.0f km/h  ", fix->speed * 3.6);
    }
    g_string_append_printf (out, "%.6f%c %.6f%c", fabs (fix->lat), fix->lat < 0 ? 'S' : 'N',
        fabs (fix->lon), fix->lon < 0 ? 'W' : 'E');
    if (!isnan (fix->track))
      g_string_append_printf (out, "  %.0f\xc2\xb0", fmod (round (fix->track), 360.0));
  }

  if (self->signals != NULL) {
    gint n = gst_structure_n_fields (self->signals);
    gboolean first = TRUE;
    gint i;

    for (i = 0; i < n; i++) {
      const gchar *name = gst_structure_nth_field_name (self->signals, i);
      gboolean on = FALSE;

      if (gst_structure_get_boolean (self->signals, name, &on) && on) {
        g_autofree gchar *upper = g_utf8_strup (name, -1);

        g_string_append (out, first ? "  " : " ");
        g_string_append (out, upper);
        first = FALSE;
      }
    }
  }
  /* unit-id and camera come from the application: the caps say UTF-8. */
  if (!g_utf8_validate (out->str, out->len, NULL)) {
    gchar *valid = g_utf8_make_valid (out->str, out->len);

    g_string_free (out, TRUE);
    return valid;
  }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* Streaming */

static GstIterator *
dvr_meta_iterate_internal_links (GstPad *pad, GstObject *parent)
{
  DvrMeta *self = DVR_META (parent);
  GstPad *other = pad == self->sinkpad ? self->srcpad : self->sinkpad;
  GValue value = G_VALUE_INIT;
  GstIterator *it;

  /* Only video and video: a caps or allocation query must not see the
   * text pads. */
  g_value_init (&value, GST_TYPE_PAD);
  g_value_set_object (&value, other);
  it = gst_iterator_new_single (GST_TYPE_PAD, &value);
  g_value_unset (&value);
  return it;
}

static void
dvr_meta_push_meta_event (DvrMeta *self, GstEvent *event)
{
  gst_pad_push_event (self->textpad, gst_event_ref (event));
  gst_pad_push_event (self->jsonpad, event);
}

static void
dvr_meta_push_stream_start (DvrMeta *self, GstPad *pad, GstEvent *video_start,
                            const gchar *suffix, GstStreamFlags flags)
{
  const gchar *video_id = NULL;
  g_autofree gchar *id = NULL;
  GstEvent *event;
  GstCaps *caps;
  guint group;

  gst_event_parse_stream_start (video_start, &video_id);
  id = g_strdup_printf ("%s/%s", video_id != NULL ? video_id : "dvrmeta", suffix);
  event = gst_event_new_stream_start (id);
  if (gst_event_parse_group_id (video_start, &group))
    gst_event_set_group_id (event, group);
  gst_event_set_stream_flags (event, flags);
  gst_event_set_seqnum (event, gst_event_get_seqnum (video_start));
  gst_pad_push_event (pad, event);

  caps = gst_pad_get_pad_template_caps (pad);
  gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
}

static void
dvr_meta_push_title (GstPad *pad, const gchar *title)
{
  GstTagList *tags = gst_tag_list_new (GST_TAG_TITLE, title, NULL);

  /* Stream scope: matroskamux turns a stream's title into its TrackName
   * (a global title would name the file instead). */
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  gst_pad_push_event (pad, gst_event_new_tag (tags));
}

/* The tracks take the video's segment, open-ended: later samples are
 * stamped in it by their running time (dvr_meta_track_time()), whatever
 * segments the video goes through meanwhile. */
static void
dvr_meta_push_track_segment (DvrMeta *self, guint32 seqnum)
{
  GstEvent *event;

  self->track_segment = self->segment;
  self->json_end = GST_CLOCK_TIME_NONE;
  self->track_segment.stop = GST_CLOCK_TIME_NONE;
  self->track_segment.duration = GST_CLOCK_TIME_NONE;
  event = gst_event_new_segment (&self->track_segment);
  if (seqnum != GST_SEQNUM_INVALID)
    gst_event_set_seqnum (event, seqnum);
  dvr_meta_push_meta_event (self, event);
}

/* @running_time as a timestamp in the tracks' segment, or NONE. */
static GstClockTime
dvr_meta_track_time (DvrMeta *self, GstClockTime running_time)
{
  if (self->track_segment.format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (running_time))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_position_from_running_time (&self->track_segment, GST_FORMAT_TIME,
      running_time);
}

static gboolean
dvr_meta_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  DvrMeta *self = DVR_META (parent);

  GST_LOG_OBJECT (pad, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      dvr_meta_push_stream_start (self, self->textpad, event, "text", GST_STREAM_FLAG_NONE);
      dvr_meta_push_stream_start (self, self->jsonpad, event, "json", GST_STREAM_FLAG_SPARSE);
      self->titles_sent = FALSE;
      self->json_sent = FALSE;
      /* A new stream: its segment goes to the tracks. */
      gst_segment_init (&self->track_segment, GST_FORMAT_UNDEFINED);
      break;

    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstStructure *s;

      gst_event_parse_caps (event, &caps);
      s = gst_caps_get_structure (caps, 0);
      if (!gst_structure_get_fraction (s, "framerate", &self->fps_n, &self->fps_d)
          || self->fps_n <= 0 || self->fps_d <= 0) {
        self->fps_n = 0;
        self->fps_d = 1;
      }
      break;
    }

    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      if (self->segment.format != GST_FORMAT_TIME) {
        GST_ELEMENT_WARNING (self, STREAM, FORMAT, (NULL),
            ("video segment is not in TIME format: no metadata"));
        break;
      }
      /* Only the first segment since the stream start or a flush goes to
       * the tracks: a later one (a replay looping on a segment seek) is
       * not passed on, the samples are stamped in the tracks' segment
       * instead, at the same running time.  A segment on a sparse track
       * deadlocks matroskamux (GstCollectPads, 1.22): it takes the start
       * of the new segment as the track's position, and a loop's segment
       * starts where the last frame ends, after the muxer's oldest queued
       * frame, so the track is marked not waiting.  When splitmuxsink
       * closes the fragment there, collectpads' stop zeroes its count of
       * ready pads but keeps that mark, and in the next fragment the count
       * never reaches all pads: the muxer, then splitmuxsink, then the
       * source block for good. */
      if (self->track_segment.format != GST_FORMAT_TIME)
        dvr_meta_push_track_segment (self, gst_event_get_seqnum (event));
      if (!self->titles_sent) {
        dvr_meta_push_title (self->textpad, DVR_META_TEXT_TITLE);
        dvr_meta_push_title (self->jsonpad, DVR_META_JSON_TITLE);
        self->titles_sent = TRUE;
      }
      break;

    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      gst_segment_init (&self->track_segment, GST_FORMAT_UNDEFINED);
      self->prev_pts = GST_CLOCK_TIME_NONE;
      self->json_sent = FALSE;
      /* fall through */
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_EOS:
    case GST_EVENT_SEGMENT_DONE:
      dvr_meta_push_meta_event (self, gst_event_ref (event));
      break;

    case GST_EVENT_GAP:{
      GstClockTime start, duration;

      /* In the tracks' segment, like the samples. */
      gst_event_parse_gap (event, &start, &duration);
      if (self->segment.format == GST_FORMAT_TIME)
        start = dvr_meta_track_time (self,
            gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, start));
      else
        start = GST_CLOCK_TIME_NONE;
      if (GST_CLOCK_TIME_IS_VALID (start)) {
        GstEvent *gap = gst_event_new_gap (start, duration);

        gst_event_set_seqnum (gap, gst_event_get_seqnum (event));
        dvr_meta_push_meta_event (self, gap);
        if (GST_CLOCK_TIME_IS_VALID (duration))
          start += duration;
        if (!GST_CLOCK_TIME_IS_VALID (self->json_end) || start > self->json_end)
          self->json_end = start;
      }
      break;
    }

    default:
      break;
  }

  return gst_pad_push_event (self->srcpad, event);
}

static gboolean
dvr_meta_meta_src_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  GstEventType type = GST_EVENT_TYPE (event);

  /* Upstream is the video's: whatever the text streams' consumers ask
   * (seeks, QoS, key units) is the video pad's business. */
  GST_LOG_OBJECT (pad, "dropping %" GST_PTR_FORMAT, event);
  gst_event_unref (event);
  return type != GST_EVENT_SEEK;
}

static GstClockTime
dvr_meta_frame_duration (DvrMeta *self, GstBuffer *buf)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);

  if (GST_BUFFER_DURATION_IS_VALID (buf))
    return GST_BUFFER_DURATION (buf);
  if (self->fps_n > 0)
    return gst_util_uint64_scale_int (GST_SECOND, self->fps_d, self->fps_n);
  if (GST_CLOCK_TIME_IS_VALID (self->prev_pts) && pts > self->prev_pts)
    return pts - self->prev_pts;
  return GST_CLOCK_TIME_NONE;
}

static GstBuffer *
dvr_meta_text_buffer (gchar *text, GstClockTime pts, GstClockTime duration)
{
  gsize size = strlen (text);
  GstBuffer *buf = gst_buffer_new_wrapped (text, size);

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = duration;
  return buf;
}

/* A text stream's downstream may be missing or finished early: only
 * errors and flushing matter to the video. */
static gboolean
dvr_meta_flow_is_fatal (GstFlowReturn ret)
{
  return ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED && ret != GST_FLOW_EOS;
}

/* A frame without a JSON sample: the JSON track has nothing from where it
 * was accounted for up to this frame, and says so with a gap.  Without
 * it, a muxer that interleaves by time cannot write past the track's last
 * sample until its next one, which splitmuxsink sends with the next GOP:
 * matroskamux (GstCollectPads, 1.22) keeps a sparse pad "waiting" while its
 * position (last sample's start, or end of the last gap) is not past the
 * oldest queued buffer, so a recording's first GOP reached the file only
 * when the third keyframe came in.
 *
 * The gap ends at this frame, never later (at its PTS, and at its DTS,
 * which the muxer orders video by): a gap past the newest frame leaves the
 * pad "not waiting" when splitmuxsink closes the fragment there, and
 * collectpads keeps that mark across the muxer's reset while it zeroes its
 * count of ready pads, so the next fragment never collects (the same
 * deadlock as a segment on the track, see dvr_meta_sink_event()).  So the
 * last frame of a GOP waits in the muxer for the next GOP's JSON sample
 * (or the fragment's EOS): one frame, not a GOP. */
static void
dvr_meta_push_json_gap (DvrMeta *self, GstBuffer *buf, GstClockTime track_pts)
{
  GstClockTime end = track_pts;
  GstEvent *gap;

  if (GST_BUFFER_DTS_IS_VALID (buf)) {
    GstClockTime dts = dvr_meta_track_time (self,
        gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, GST_BUFFER_DTS (buf)));

    if (!GST_CLOCK_TIME_IS_VALID (dts))
      return;
    end = MIN (end, dts);
  }
  if (!GST_CLOCK_TIME_IS_VALID (self->json_end) || end <= self->json_end)
    return;
  gap = gst_event_new_gap (self->json_end, end - self->json_end);
  self->json_end = end;
  gst_pad_push_event (self->jsonpad, gap);
}

static GstFlowReturn
dvr_meta_sink_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  DvrMeta *self = DVR_META (parent);
  DvrMetaFrame frame = { 0, };
  GstClockTime duration, base_time, running_time, track_pts, end, clock_time = GST_CLOCK_TIME_NONE;
  g_autoptr (GstStructure) event = NULL;
  gchar *text, *json = NULL;
  GstFlowReturn ret, meta_ret;

  frame.pts = GST_BUFFER_PTS (buf);
  if (!GST_CLOCK_TIME_IS_VALID (frame.pts) || self->segment.format != GST_FORMAT_TIME) {
    GST_DEBUG_OBJECT (self, "frame without PTS or TIME segment: no metadata");
    return gst_pad_push (self->srcpad, buf);
  }
  frame.keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  frame.utc_ns = G_MININT64;
  duration = dvr_meta_frame_duration (self, buf);
  base_time = gst_element_get_base_time (GST_ELEMENT (self));
  running_time = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, frame.pts);
  if (!GST_CLOCK_TIME_IS_VALID (running_time)) {
    GST_DEBUG_OBJECT (self, "frame outside the segment: no metadata");
    return gst_pad_push (self->srcpad, buf);
  }
  frame.running_time = running_time;
  track_pts = dvr_meta_track_time (self, running_time);
  if (!GST_CLOCK_TIME_IS_VALID (track_pts)) {
    /* Running time went back without a flush, or no segment was passed
     * on: the tracks take the video's segment after all. */
    dvr_meta_push_track_segment (self, GST_SEQNUM_INVALID);
    track_pts = frame.pts;
  }

  g_mutex_lock (&self->lock);
  if (self->have_utc_offset) {
    clock_time = running_time + base_time;
    frame.utc_ns = (gint64) clock_time + self->utc_offset;
  }
  if (self->have_report && GST_CLOCK_TIME_IS_VALID (clock_time)) {
    /* A report pushed before there was a clock starts its timeout now. */
    if (!GST_CLOCK_TIME_IS_VALID (self->fix_clock_time))
      self->fix_clock_time = clock_time;
    frame.lost = self->gps_timeout > 0
        && clock_time > self->fix_clock_time + self->gps_timeout;
  }
  frame.lost = self->have_report && (frame.lost || self->gpsd_down);

  if (!self->json_sent || frame.keyframe || self->gps_new || self->changed->len > 0
      || !g_queue_is_empty (&self->events) || frame.lost != self->lost_reported) {
    event = g_queue_pop_head (&self->events);
    json = dvr_meta_build_json (self, &frame, event);
    self->json_sent = TRUE;
    self->gps_new = FALSE;
    self->lost_reported = frame.lost;
    g_ptr_array_set_size (self->changed, 0);
  }
  text = dvr_meta_build_text (self, &frame);
  g_mutex_unlock (&self->lock);

  /* Metadata first: splitmuxsink holds a keyframe until every other
   * stream has reached its time, so the samples for a frame must be on
   * their way (through a queue, see the doc block) before the frame. */
  meta_ret = gst_pad_push (self->textpad, dvr_meta_text_buffer (text, track_pts, duration));
  if (json != NULL && !dvr_meta_flow_is_fatal (meta_ret)) {
    GST_LOG_OBJECT (self, "JSON at %" GST_TIME_FORMAT ": %s", GST_TIME_ARGS (frame.pts), json);
    ret = gst_pad_push (self->jsonpad, dvr_meta_text_buffer (json, track_pts, duration));
    if (dvr_meta_flow_is_fatal (ret))
      meta_ret = ret;
    end = GST_CLOCK_TIME_IS_VALID (duration) ? track_pts + duration : track_pts;
    if (!GST_CLOCK_TIME_IS_VALID (self->json_end) || end > self->json_end)
      self->json_end = end;
  } else if (json == NULL && !dvr_meta_flow_is_fatal (meta_ret)) {
    dvr_meta_push_json_gap (self, buf, track_pts);
  } else {
    g_free (json);
  }
  if (dvr_meta_flow_is_fatal (meta_ret)) {
    GST_DEBUG_OBJECT (self, "metadata push: %s", gst_flow_get_name (meta_ret));
    gst_buffer_unref (buf);
    return meta_ret;
  }

  self->prev_pts = frame.pts;
  return gst_pad_push (self->srcpad, buf);
}

/* ------------------------------------------------------------------ */
/* States */

static gboolean
dvr_meta_start (DvrMeta *self)
{
  g_autofree gchar *address = NULL;
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&self->lock);
  address = g_strdup (self->gpsd_address);
  self->gpsd_down = FALSE;
  g_mutex_unlock (&self->lock);

  dvr_meta_reset_streaming (self);
  if (address == NULL)
    return TRUE;

  self->gpsd = dvr_meta_gpsd_start (address, dvr_meta_gpsd_report, dvr_meta_gpsd_state,
      self, &error);
  if (self->gpsd == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), (NULL));
    return FALSE;
  }
  return TRUE;
}

static void
dvr_meta_stop (DvrMeta *self)
{
  g_clear_pointer (&self->gpsd, dvr_meta_gpsd_stop);
  g_mutex_lock (&self->lock);
  self->gpsd_down = FALSE;
  g_mutex_unlock (&self->lock);
}

static GstStateChangeReturn
dvr_meta_change_state (GstElement *element, GstStateChange transition)
{
  DvrMeta *self = DVR_META (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!dvr_meta_start (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:{
      g_autoptr (GstClock) clock = gst_element_get_clock (element);

      if (clock != NULL) {
        GstClockTime now = gst_clock_get_time (clock);
        gint64 real_ns = g_get_real_time () * 1000;

        g_mutex_lock (&self->lock);
        self->utc_offset = real_ns - (gint64) now;
        self->have_utc_offset = TRUE;
        g_mutex_unlock (&self->lock);
      }
      break;
    }
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      dvr_meta_stop (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      g_mutex_lock (&self->lock);
      self->have_utc_offset = FALSE;
      g_mutex_unlock (&self->lock);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      dvr_meta_stop (self);
      dvr_meta_reset_streaming (self);
      break;
    default:
      break;
  }
  return ret;
}
