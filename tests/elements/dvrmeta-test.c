/* Elements: dvrmeta in GstHarness — video untouched, one text sample per
 * frame, JSON samples when they are due, exact doubles, omitted unknowns,
 * GPS lost, UTC, state cycles, inputs from another thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <float.h>
#include <math.h>
#include <string.h>

#define MS (GST_MSECOND)
#define H264_CAPS "video/x-h264, stream-format=avc, alignment=au, width=320, height=240, " \
  "framerate=30/1"

typedef struct {
  GstHarness *video;
  GstHarness *text;
  GstHarness *json;
  GstElement *meta;
} Fixture;

static void
fixture_start (Fixture *f, const gchar *caps)
{
  f->video = gst_harness_new_with_padnames ("dvrmeta", "sink", "src");
  f->meta = f->video->element;
  f->text = gst_harness_new_with_element (f->meta, NULL, "text");
  f->json = gst_harness_new_with_element (f->meta, NULL, "json");
  g_object_set (f->meta, "unit-id", "car-7", "camera", "front", NULL);
  gst_harness_set_src_caps_str (f->video, caps);
}

static void
fixture_stop (Fixture *f)
{
  gst_harness_teardown (f->json);
  gst_harness_teardown (f->text);
  gst_harness_teardown (f->video);
}

static GstBuffer *
frame_new (GstClockTime pts, GstClockTime duration, gboolean keyframe)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 64, NULL);

  gst_buffer_memset (buf, 0, keyframe ? 0x65 : 0x41, 64);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  if (!keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  return buf;
}

static void
push_frame (Fixture *f, GstClockTime pts, gboolean keyframe)
{
  g_assert_cmpint (gst_harness_push (f->video, frame_new (pts, 33 * MS, keyframe)), ==,
      GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (f->video));
}

/* The next sample on @h as a string, or NULL if there is none. */
static gchar *
try_pull_string (GstHarness *h, GstClockTime *pts, GstClockTime *duration)
{
  g_autoptr (GstBuffer) buf = gst_harness_try_pull (h);
  GstMapInfo map;
  gchar *text;

  if (buf == NULL)
    return NULL;
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  text = g_strndup ((const gchar *) map.data, map.size);
  g_assert_cmpuint (strlen (text), ==, map.size);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  gst_buffer_unmap (buf, &map);
  if (pts != NULL)
    *pts = GST_BUFFER_PTS (buf);
  if (duration != NULL)
    *duration = GST_BUFFER_DURATION (buf);
  return text;
}

static JsonObject *
parse_json (const gchar *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonNode *root;

  g_assert_null (strchr (text, '\n'));
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "schema"), ==,
      "dvr-meta/1");
  return json_node_dup_object (root);
}

/* The JSON sample of the frame just pushed (asserting its PTS), or NULL. */
static JsonObject *
try_pull_json (Fixture *f, GstClockTime expected_pts)
{
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  g_autofree gchar *text = try_pull_string (f->json, &pts, NULL);

  if (text == NULL)
    return NULL;
  g_assert_cmpuint (pts, ==, expected_pts);
  g_assert_null (strstr (text, "nan"));
  g_assert_null (strstr (text, "NaN"));
  g_assert_null (strstr (text, "inf"));
  g_assert_null (strstr (text, "null"));
  return parse_json (text);
}

static gboolean
emit (GstElement *meta, const gchar *signal, GstStructure *s)
{
  gboolean ok = FALSE;

  g_signal_emit_by_name (meta, signal, s, &ok);
  gst_structure_free (s);
  return ok;
}

/* Sets the element's clock (a harness test clock) to @time. */
static void
set_clock_time (Fixture *f, GstClockTime time)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (f->meta);

  g_assert_true (GST_IS_TEST_CLOCK (clock));
  gst_test_clock_set_time (GST_TEST_CLOCK (clock), time);
}

static void
drain_text (Fixture *f)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (f->text)) != NULL)
    gst_buffer_unref (buf);
}

/* The title in the stream tag event among @h's events. */
static gchar *
find_title (GstHarness *h)
{
  GstEvent *event;
  gchar *title = NULL;

  while ((event = gst_harness_try_pull_event (h)) != NULL) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_TAG) {
      GstTagList *tags;

      gst_event_parse_tag (event, &tags);
      g_assert_cmpint (gst_tag_list_get_scope (tags), ==, GST_TAG_SCOPE_STREAM);
      g_free (title);
      g_assert_true (gst_tag_list_get_string (tags, GST_TAG_TITLE, &title));
    }
    gst_event_unref (event);
  }
  return title;
}

static void
test_passthrough (void)
{
  Fixture f;
  g_autoptr (GstCaps) in_caps = gst_caps_from_string (H264_CAPS);
  g_autoptr (GstCaps) text_caps = gst_caps_from_string ("text/x-raw, format=utf8");
  g_autoptr (GstCaps) out_caps = NULL;
  g_autoptr (GstCaps) text_out_caps = NULL;
  g_autoptr (GstCaps) json_out_caps = NULL;
  g_autoptr (GstCaps) query_caps = NULL;
  g_autofree gchar *text_title = NULL;
  g_autofree gchar *json_title = NULL;
  guint i;

  fixture_start (&f, H264_CAPS);

  for (i = 0; i < 5; i++) {
    GstBuffer *in = frame_new (i * 33 * MS, 33 * MS, i == 0);
    g_autoptr (GstBuffer) keep = gst_buffer_ref (in);
    g_autoptr (GstBuffer) out = NULL;

    g_assert_cmpint (gst_harness_push (f.video, in), ==, GST_FLOW_OK);
    out = gst_harness_pull (f.video);
    g_assert_true (out == keep);
    g_assert_cmpuint (GST_BUFFER_PTS (out), ==, i * 33 * MS);
    g_assert_cmpuint (GST_BUFFER_DTS (out), ==, i * 33 * MS);
    g_assert_cmpuint (GST_BUFFER_FLAGS (out), ==, i == 0 ? 0 : GST_BUFFER_FLAG_DELTA_UNIT);
  }
  g_assert_cmpuint (gst_harness_buffers_in_queue (f.video), ==, 0);

  /* Video caps as they came; the text pads have their own. */
  out_caps = gst_pad_get_current_caps (f.video->sinkpad);
  g_assert_true (gst_caps_is_equal (out_caps, in_caps));
  text_out_caps = gst_pad_get_current_caps (f.text->sinkpad);
  json_out_caps = gst_pad_get_current_caps (f.json->sinkpad);
  g_assert_true (gst_caps_is_equal (text_out_caps, text_caps));
  g_assert_true (gst_caps_is_equal (json_out_caps, text_caps));

  /* A caps query upstream goes to the video's downstream only. */
  query_caps = gst_pad_peer_query_caps (f.video->srcpad, in_caps);
  g_assert_false (gst_caps_is_empty (query_caps));

  text_title = find_title (f.text);
  json_title = find_title (f.json);
  g_assert_cmpstr (text_title, ==, "dvr-overlay");
  g_assert_cmpstr (json_title, ==, "dvr-meta/1");

  fixture_stop (&f);
}

static void
test_stream_events (void)
{
  Fixture f;
  GstEvent *event;
  const gchar *id = NULL;
  const GstSegment *segment;
  gboolean saw_start = FALSE, saw_segment = FALSE;

  fixture_start (&f, H264_CAPS);
  while ((event = gst_harness_try_pull_event (f.text)) != NULL) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START) {
      gst_event_parse_stream_start (event, &id);
      g_assert_true (g_str_has_suffix (id, "/text"));
      saw_start = TRUE;
    } else if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_event_parse_segment (event, &segment);
      g_assert_cmpint (segment->format, ==, GST_FORMAT_TIME);
      saw_segment = TRUE;
    }
    gst_event_unref (event);
  }
  g_assert_true (saw_start);
  g_assert_true (saw_segment);

  /* Flushes and EOS reach the metadata pads too; after a flush, the next
   * frame carries a full JSON sample even if it is no keyframe. */
  push_frame (&f, 0, TRUE);
  {
    JsonObject *o = try_pull_json (&f, 0);

    g_assert_nonnull (o);
    json_object_unref (o);
  }
  push_frame (&f, 33 * MS, FALSE);
  g_assert_null (try_pull_json (&f, 33 * MS));

  g_assert_true (gst_harness_push_event (f.video, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (f.video, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    g_assert_true (gst_harness_push_event (f.video, gst_event_new_segment (&seg)));
  }
  push_frame (&f, 66 * MS, FALSE);
  {
    JsonObject *o = try_pull_json (&f, 66 * MS);

    g_assert_nonnull (o);
    g_assert_false (json_object_get_boolean_member (o, "keyframe"));
    json_object_unref (o);
  }

  g_assert_true (gst_harness_push_event (f.video, gst_event_new_eos ()));
  {
    gboolean flush_start = FALSE, flush_stop = FALSE, eos = FALSE;

    while ((event = gst_harness_try_pull_event (f.json)) != NULL) {
      flush_start |= GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START;
      flush_stop |= GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP;
      eos |= GST_EVENT_TYPE (event) == GST_EVENT_EOS;
      gst_event_unref (event);
    }
    g_assert_true (flush_start && flush_stop && eos);
  }
  fixture_stop (&f);
}

/* The events waiting on @h: none may be a segment. */
static void
assert_no_segment (GstHarness *h)
{
  GstEvent *event;

  while ((event = gst_harness_try_pull_event (h)) != NULL) {
    g_assert_cmpint (GST_EVENT_TYPE (event), !=, GST_EVENT_SEGMENT);
    gst_event_unref (event);
  }
}

/* The next GAP event waiting on @h, or FALSE; other events are dropped. */
static gboolean
try_pull_gap (GstHarness *h, GstClockTime *start, GstClockTime *duration)
{
  GstEvent *event;

  while ((event = gst_harness_try_pull_event (h)) != NULL) {
    gboolean gap = GST_EVENT_TYPE (event) == GST_EVENT_GAP;

    if (gap)
      gst_event_parse_gap (event, start, duration);
    gst_event_unref (event);
    if (gap)
      return TRUE;
  }
  return FALSE;
}

/* A frame without a JSON sample gets a gap on the JSON track, from where
 * the track was accounted for (the last sample's end, the last gap's end)
 * up to the frame, never past it: not past its PTS, nor past its DTS.  The
 * gaps let matroskamux write the frames between two JSON samples as they
 * come (without them, the first GOP reached the file two keyframes late);
 * a gap past the newest frame deadlocked splitmuxsink's next fragment
 * (see dvr_meta_push_json_gap()). */
static void
test_json_gaps (void)
{
  Fixture f;
  GstClockTime start = 0, duration = 0;
  GstBuffer *buf;
  gchar *text;

  fixture_start (&f, H264_CAPS);
  push_frame (&f, 0, TRUE);
  text = try_pull_string (f.json, NULL, NULL);
  g_assert_nonnull (text);
  g_free (text);
  /* The sample covers up to the next frame: nothing to say there. */
  push_frame (&f, 33 * MS, FALSE);
  g_assert_false (try_pull_gap (f.json, &start, &duration));

  push_frame (&f, 66 * MS, FALSE);
  g_assert_true (try_pull_gap (f.json, &start, &duration));
  g_assert_cmpuint (start, ==, 33 * MS);
  g_assert_cmpuint (duration, ==, 33 * MS);
  push_frame (&f, 99 * MS, FALSE);
  g_assert_true (try_pull_gap (f.json, &start, &duration));
  g_assert_cmpuint (start, ==, 66 * MS);
  g_assert_cmpuint (duration, ==, 33 * MS);

  /* A keyframe has its sample, no gap. */
  push_frame (&f, 132 * MS, TRUE);
  g_assert_false (try_pull_gap (f.json, &start, &duration));
  text = try_pull_string (f.json, NULL, NULL);
  g_assert_nonnull (text);
  g_free (text);
  push_frame (&f, 165 * MS, FALSE);
  g_assert_false (try_pull_gap (f.json, &start, &duration));

  /* Reordered frames: the muxer orders video by DTS, the gap stops there. */
  buf = frame_new (264 * MS, 33 * MS, FALSE);
  GST_BUFFER_DTS (buf) = 198 * MS;
  g_assert_cmpint (gst_harness_push (f.video, buf), ==, GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (f.video));
  g_assert_true (try_pull_gap (f.json, &start, &duration));
  g_assert_cmpuint (start, ==, 165 * MS);
  g_assert_cmpuint (duration, ==, 33 * MS);
  g_assert_null (gst_harness_try_pull (f.json));
  fixture_stop (&f);
}

/* A later segment without a flush (a replay looping on a segment seek:
 * timestamps start over, running time goes on) does not reach the tracks:
 * their samples and gaps are stamped in the first segment, at the frame's
 * running time.  Such a segment on the JSON track deadlocked matroskamux at
 * a splitmuxsink fragment boundary (see dvr_meta_sink_event()).  After a
 * flush, the video's segment goes to the tracks again. */
static void
test_loop_segment (void)
{
  Fixture f;
  GstSegment seg;
  GstEvent *event;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  const GstSegment *got;
  gboolean saw_segment = FALSE;
  gchar *text;
  JsonObject *o;

  fixture_start (&f, H264_CAPS);
  push_frame (&f, 0, TRUE);
  push_frame (&f, 33 * MS, FALSE);
  while ((text = try_pull_string (f.text, NULL, NULL)) != NULL)
    g_free (text);
  while ((text = try_pull_string (f.json, NULL, NULL)) != NULL)
    g_free (text);
  while ((event = gst_harness_try_pull_event (f.text)) != NULL)
    gst_event_unref (event);
  while ((event = gst_harness_try_pull_event (f.json)) != NULL)
    gst_event_unref (event);

  /* The loop, based on the end of the last frame. */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.base = 66 * MS;
  g_assert_true (gst_harness_push_event (f.video, gst_event_new_segment (&seg)));
  push_frame (&f, 0, TRUE);
  assert_no_segment (f.text);
  assert_no_segment (f.json);
  text = try_pull_string (f.text, &pts, NULL);
  g_assert_nonnull (text);
  g_assert_cmpuint (pts, ==, 66 * MS);
  g_free (text);
  o = try_pull_json (&f, 66 * MS);
  g_assert_nonnull (o);
  g_assert_cmpint (json_object_get_int_member (o, "pts_ns"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (o, "running_ns"), ==, 66 * MS);
  json_object_unref (o);

  g_assert_true (gst_harness_push_event (f.video, gst_event_new_gap (33 * MS, 33 * MS)));
  event = gst_harness_try_pull_event (f.json);
  g_assert_nonnull (event);
  g_assert_cmpint (GST_EVENT_TYPE (event), ==, GST_EVENT_GAP);
  {
    GstClockTime start, duration;

    gst_event_parse_gap (event, &start, &duration);
    g_assert_cmpuint (start, ==, 99 * MS);
    g_assert_cmpuint (duration, ==, 33 * MS);
  }
  gst_event_unref (event);

  g_assert_true (gst_harness_push_event (f.video, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (f.video, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = 10 * GST_SECOND;
  g_assert_true (gst_harness_push_event (f.video, gst_event_new_segment (&seg)));
  while ((event = gst_harness_try_pull_event (f.text)) != NULL) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      gst_event_parse_segment (event, &got);
      g_assert_cmpuint (got->start, ==, 10 * GST_SECOND);
      saw_segment = TRUE;
    }
    gst_event_unref (event);
  }
  g_assert_true (saw_segment);
  push_frame (&f, 10 * GST_SECOND, TRUE);
  text = try_pull_string (f.text, &pts, NULL);
  g_assert_nonnull (text);
  g_assert_cmpuint (pts, ==, 10 * GST_SECOND);
  g_free (text);
  fixture_stop (&f);
}

/* One text sample per frame, with the frame's PTS and duration from the
 * buffer, else the framerate, else the gap to the previous frame. */
static void
check_durations (const gchar *caps, gboolean buffer_durations, const GstClockTime *pts,
                 const GstClockTime *expected, guint n)
{
  Fixture f;
  guint i;

  fixture_start (&f, caps);
  for (i = 0; i < n; i++) {
    GstClockTime got_pts = 0, got_duration = 0;
    g_autofree gchar *text = NULL;

    g_assert_cmpint (gst_harness_push (f.video, frame_new (pts[i],
                buffer_durations ? 20 * MS : GST_CLOCK_TIME_NONE, i == 0)), ==, GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (f.video));
    text = try_pull_string (f.text, &got_pts, &got_duration);
    g_assert_nonnull (text);
    g_assert_cmpuint (got_pts, ==, pts[i]);
    g_assert_cmpuint (got_duration, ==, expected[i]);
    g_assert_cmpuint (gst_harness_buffers_in_queue (f.text), ==, 0);
  }
  fixture_stop (&f);
}

static void
test_text_timing (void)
{
  const GstClockTime pts[] = { 0, 50 * MS, 150 * MS, 160 * MS };
  const GstClockTime from_buffer[] = { 20 * MS, 20 * MS, 20 * MS, 20 * MS };
  const GstClockTime from_rate[] = { 40 * MS, 40 * MS, 40 * MS, 40 * MS };
  const GstClockTime from_gap[] = { GST_CLOCK_TIME_NONE, 50 * MS, 100 * MS, 10 * MS };

  check_durations (H264_CAPS, TRUE, pts, from_buffer, 4);
  check_durations ("video/x-h264, framerate=25/1", FALSE, pts, from_rate, 4);
  check_durations ("video/x-h264", FALSE, pts, from_gap, 4);
  check_durations ("image/jpeg, framerate=0/1", FALSE, pts, from_gap, 4);
}

static GstStructure *
fix_new (gdouble lat, gdouble lon, gdouble speed, gdouble track)
{
  return gst_structure_new ("gps", "mode", G_TYPE_INT, 3,
      "time-ns", G_TYPE_INT64, G_GINT64_CONSTANT (1795905001000000000),
      "lat", G_TYPE_DOUBLE, lat, "lon", G_TYPE_DOUBLE, lon,
      "alt-hae", G_TYPE_DOUBLE, 45.5, "alt-msl", G_TYPE_DOUBLE, 2.25,
      "speed", G_TYPE_DOUBLE, speed, "track", G_TYPE_DOUBLE, track,
      "sats-used", G_TYPE_INT, 9, "sats-visible", G_TYPE_INT, 12, NULL);
}

static void
test_text_content (void)
{
  Fixture f;
  g_autoptr (GRegex) line1 = g_regex_new (
      "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z  car-7  front\n", 0, 0, NULL);
  gchar *text;

  fixture_start (&f, H264_CAPS);

  push_frame (&f, 0, TRUE);
  text = try_pull_string (f.text, NULL, NULL);
  g_assert_true (g_regex_match (line1, text, 0, NULL));
  g_assert_true (g_str_has_suffix (text, "\nNO GPS"));
  g_free (text);

  g_assert_true (emit (f.meta, "push-gps", gst_structure_new ("gps", "mode", G_TYPE_INT, 1,
              "sats-visible", G_TYPE_INT, 3, NULL)));
  push_frame (&f, 33 * MS, FALSE);
  text = try_pull_string (f.text, NULL, NULL);
  g_assert_true (g_str_has_suffix (text, "\nNO GPS FIX"));
  g_free (text);

  /* 14.45 m/s = 52.02 km/h = 32.32 mph */
  g_assert_true (emit (f.meta, "push-gps", fix_new (52.1234567, -4.1234567, 14.45, 270.4)));
  g_assert_true (emit (f.meta, "set-signals", gst_structure_new ("signals",
              "ignition", G_TYPE_BOOLEAN, TRUE, "lightbar", G_TYPE_BOOLEAN, TRUE,
              "rear-door", G_TYPE_BOOLEAN, FALSE, "siren", G_TYPE_BOOLEAN, TRUE, NULL)));
  push_frame (&f, 66 * MS, FALSE);
  text = try_pull_string (f.text, NULL, NULL);
  g_assert_true (g_regex_match (line1, text, 0, NULL));
  g_assert_true (g_str_has_suffix (text,
          "\n52 km/h  52.123457N 4.123457W  270\xc2\xb0  IGNITION LIGHTBAR SIREN"));
  g_free (text);

  g_object_set (f.meta, "speed-units", 1, NULL);
  g_assert_true (emit (f.meta, "push-gps", fix_new (-33.9, 151.2, 14.45, 359.7)));
  push_frame (&f, 100 * MS, FALSE);
  text = try_pull_string (f.text, NULL, NULL);
  g_assert_true (g_str_has_suffix (text,
          "\n32 mph  33.900000S 151.200000E  0\xc2\xb0  IGNITION LIGHTBAR SIREN"));
  g_free (text);

  fixture_stop (&f);
}

static void
test_json_triggers (void)
{
  Fixture f;
  JsonObject *o;
  JsonArray *changed;
  GstClockTime t = 0;

  fixture_start (&f, H264_CAPS);

  /* First frame, then nothing on delta frames. */
  push_frame (&f, t, TRUE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  g_assert_true (json_object_get_boolean_member (o, "keyframe"));
  g_assert_cmpuint (json_object_get_int_member (o, "pts_ns"), ==, t);
  g_assert_cmpuint (json_object_get_int_member (o, "running_ns"), ==, t);
  g_assert_cmpstr (json_object_get_string_member (o, "unit"), ==, "car-7");
  g_assert_cmpstr (json_object_get_string_member (o, "camera"), ==, "front");
  json_object_unref (o);
  push_frame (&f, t += 33 * MS, FALSE);
  g_assert_null (try_pull_json (&f, t));

  /* A GPS report: the next frame only. */
  g_assert_true (emit (f.meta, "push-gps", fix_new (52.1, 4.1, 10.0, 90.0)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  g_assert_true (json_object_get_boolean_member (o, "gps_new"));
  g_assert_false (json_object_get_boolean_member (o, "keyframe"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "gps"),
          "fix_id"), ==, 1);
  json_object_unref (o);
  push_frame (&f, t += 33 * MS, FALSE);
  g_assert_null (try_pull_json (&f, t));

  /* Signals: everything is a change the first time, then only the diff;
   * the same state again is no change. */
  g_assert_true (emit (f.meta, "set-signals", gst_structure_new ("signals",
              "ignition", G_TYPE_BOOLEAN, TRUE, "lightbar", G_TYPE_BOOLEAN, FALSE, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  changed = json_object_get_array_member (o, "changed");
  g_assert_cmpuint (json_array_get_length (changed), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (changed, 0), ==, "ignition");
  g_assert_cmpstr (json_array_get_string_element (changed, 1), ==, "lightbar");
  g_assert_false (json_object_get_boolean_member (o, "gps_new"));
  json_object_unref (o);

  g_assert_true (emit (f.meta, "set-signals", gst_structure_new ("signals",
              "ignition", G_TYPE_BOOLEAN, TRUE, "lightbar", G_TYPE_BOOLEAN, TRUE, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  changed = json_object_get_array_member (o, "changed");
  g_assert_cmpuint (json_array_get_length (changed), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (changed, 0), ==, "lightbar");
  {
    JsonObject *signals = json_object_get_object_member (o, "signals");
    GList *names = json_object_get_members (signals);

    /* Display order is kept. */
    g_assert_cmpstr (names->data, ==, "ignition");
    g_assert_cmpstr (names->next->data, ==, "lightbar");
    g_list_free (names);
    g_assert_true (json_object_get_boolean_member (signals, "lightbar"));
  }
  json_object_unref (o);

  g_assert_true (emit (f.meta, "set-signals", gst_structure_new ("signals",
              "ignition", G_TYPE_BOOLEAN, TRUE, "lightbar", G_TYPE_BOOLEAN, TRUE, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  g_assert_null (try_pull_json (&f, t));

  /* A signal that blinks between two frames is still reported. */
  g_assert_true (emit (f.meta, "set-signals", gst_structure_new ("signals",
              "ignition", G_TYPE_BOOLEAN, FALSE, "lightbar", G_TYPE_BOOLEAN, TRUE, NULL)));
  g_assert_true (emit (f.meta, "set-signals", gst_structure_new ("signals",
              "ignition", G_TYPE_BOOLEAN, TRUE, "lightbar", G_TYPE_BOOLEAN, TRUE, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  changed = json_object_get_array_member (o, "changed");
  g_assert_cmpuint (json_array_get_length (changed), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (changed, 0), ==, "ignition");
  json_object_unref (o);

  /* Event markers: one per sample, in order, combined with the rest. */
  g_assert_true (emit (f.meta, "mark-event", gst_structure_new ("event",
              "type", G_TYPE_STRING, "button", "n", G_TYPE_INT, 1, NULL)));
  g_assert_true (emit (f.meta, "mark-event", gst_structure_new ("event",
              "type", G_TYPE_STRING, "crash \"<&>\"", "n", G_TYPE_INT64, G_GINT64_CONSTANT (-2),
              "g", G_TYPE_DOUBLE, 3.5, "hard", G_TYPE_BOOLEAN, TRUE,
              "bad", G_TYPE_DOUBLE, NAN, NULL)));
  g_assert_true (emit (f.meta, "push-gps", fix_new (52.2, 4.2, 11.0, 91.0)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  g_assert_true (json_object_get_boolean_member (o, "gps_new"));
  {
    JsonObject *event = json_object_get_object_member (o, "event");

    g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "button");
    g_assert_cmpint (json_object_get_int_member (event, "n"), ==, 1);
  }
  json_object_unref (o);
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  g_assert_false (json_object_get_boolean_member (o, "gps_new"));
  {
    JsonObject *event = json_object_get_object_member (o, "event");

    g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "crash \"<&>\"");
    g_assert_cmpint (json_object_get_int_member (event, "n"), ==, -2);
    g_assert_cmpfloat (json_object_get_double_member (event, "g"), ==, 3.5);
    g_assert_true (json_object_get_boolean_member (event, "hard"));
    g_assert_false (json_object_has_member (event, "bad"));
  }
  json_object_unref (o);
  push_frame (&f, t += 33 * MS, FALSE);
  g_assert_null (try_pull_json (&f, t));

  /* Every keyframe. */
  push_frame (&f, t += 33 * MS, TRUE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  g_assert_true (json_object_get_boolean_member (o, "keyframe"));
  g_assert_false (json_object_has_member (o, "changed"));
  g_assert_false (json_object_has_member (o, "event"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "gps"),
          "fix_id"), ==, 2);
  json_object_unref (o);

  fixture_stop (&f);
}

static void
test_doubles_exact (void)
{
  const gdouble values[][10] = {
    /* lat, lon, alt-hae, alt-msl, speed, track, climb, eph, epv, eps */
    { 52.123456789012345, 4.000000000000001, 0.1 + 0.2, -12.345678901234567,
      5e-324, 359.99999999999994, -0.0, DBL_MAX, 123456789.12345679, DBL_MIN },
    { -89.99999999999999, -179.99999999999997, 1.0 / 3.0, 2.0 / 3.0,
      14.444444444444445, 0.30000000000000004, -1e-17, 1e300, 7.0, 1e-7 },
  };
  static const gchar *names[] = { "lat", "lon", "alt_hae", "alt_msl", "speed", "track",
    "climb", "eph", "epv", "eps" };
  Fixture f;
  guint v, i;

  fixture_start (&f, H264_CAPS);
  push_frame (&f, 0, TRUE);
  json_object_unref (try_pull_json (&f, 0));

  for (v = 0; v < G_N_ELEMENTS (values); v++) {
    const gdouble *d = values[v];
    JsonObject *o, *gps;
    GstClockTime t = (v + 1) * 33 * MS;

    g_assert_true (emit (f.meta, "push-gps", gst_structure_new ("gps",
                "mode", G_TYPE_INT, 3,
                "time-ns", G_TYPE_INT64, G_GINT64_CONSTANT (1795905001123456789),
                "lat", G_TYPE_DOUBLE, d[0], "lon", G_TYPE_DOUBLE, d[1],
                "alt-hae", G_TYPE_DOUBLE, d[2], "alt-msl", G_TYPE_DOUBLE, d[3],
                "speed", G_TYPE_DOUBLE, d[4], "track", G_TYPE_DOUBLE, d[5],
                "climb", G_TYPE_DOUBLE, d[6], "eph", G_TYPE_DOUBLE, d[7],
                "epv", G_TYPE_DOUBLE, d[8], "eps", G_TYPE_DOUBLE, d[9],
                "sats-used", G_TYPE_INT, 9, "sats-visible", G_TYPE_UINT, 12, NULL)));
    push_frame (&f, t, FALSE);
    o = try_pull_json (&f, t);
    g_assert_nonnull (o);
    gps = json_object_get_object_member (o, "gps");
    for (i = 0; i < G_N_ELEMENTS (names); i++) {
      gdouble got = json_object_get_double_member (gps, names[i]);

      if (got != d[i] || memcmp (&got, &d[i], sizeof got) != 0)
        g_error ("%s: wrote %.17g, read back %.17g", names[i], d[i], got);
    }
    g_assert_cmpint (json_object_get_int_member (gps, "mode"), ==, 3);
    g_assert_cmpint (json_object_get_int_member (gps, "time_ns"), ==,
        G_GINT64_CONSTANT (1795905001123456789));
    /* 1795905001 s = 2026-11-28T22:30:01 UTC */
    g_assert_cmpstr (json_object_get_string_member (gps, "time"), ==,
        "2026-11-28T22:30:01.123Z");
    g_assert_cmpint (json_object_get_int_member (gps, "sats_used"), ==, 9);
    g_assert_cmpint (json_object_get_int_member (gps, "sats_visible"), ==, 12);
    json_object_unref (o);
  }
  fixture_stop (&f);
}

static void
test_unknown_omitted (void)
{
  Fixture f;
  JsonObject *o, *gps;
  GstClockTime t = 0;

  fixture_start (&f, H264_CAPS);

  /* Nothing known yet: gps is {"mode":0}, no signals. */
  push_frame (&f, t, TRUE);
  o = try_pull_json (&f, t);
  gps = json_object_get_object_member (o, "gps");
  g_assert_cmpuint (json_object_get_size (gps), ==, 1);
  g_assert_cmpint (json_object_get_int_member (gps, "mode"), ==, 0);
  g_assert_false (json_object_has_member (o, "signals"));
  g_assert_false (json_object_has_member (o, "changed"));
  g_assert_false (json_object_has_member (o, "event"));
  g_assert_false (json_object_has_member (o, "gps_lost"));
  json_object_unref (o);

  /* No fix: a position or speed would mean nothing; NaN is unknown. */
  g_assert_true (emit (f.meta, "push-gps", gst_structure_new ("gps", "mode", G_TYPE_INT, 1,
              "lat", G_TYPE_DOUBLE, 52.0, "lon", G_TYPE_DOUBLE, 4.0,
              "speed", G_TYPE_DOUBLE, 3.0, "eph", G_TYPE_DOUBLE, NAN,
              "sats-visible", G_TYPE_INT, 5, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  gps = json_object_get_object_member (o, "gps");
  g_assert_cmpint (json_object_get_int_member (gps, "mode"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (gps, "sats_visible"), ==, 5);
  g_assert_false (json_object_has_member (gps, "lat"));
  g_assert_false (json_object_has_member (gps, "lon"));
  g_assert_false (json_object_has_member (gps, "speed"));
  g_assert_false (json_object_has_member (gps, "eph"));
  g_assert_false (json_object_has_member (gps, "time"));
  g_assert_false (json_object_has_member (gps, "time_ns"));
  g_assert_false (json_object_has_member (gps, "sats_used"));
  json_object_unref (o);

  /* 2D: no altitude; infinities and out-of-range positions are unknown. */
  g_assert_true (emit (f.meta, "push-gps", gst_structure_new ("gps", "mode", G_TYPE_INT, 2,
              "lat", G_TYPE_DOUBLE, 52.0, "lon", G_TYPE_DOUBLE, 4.0,
              "alt-hae", G_TYPE_DOUBLE, 40.0, "climb", G_TYPE_DOUBLE, 1.0,
              "speed", G_TYPE_DOUBLE, INFINITY, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  gps = json_object_get_object_member (o, "gps");
  g_assert_cmpfloat (json_object_get_double_member (gps, "lat"), ==, 52.0);
  g_assert_false (json_object_has_member (gps, "alt_hae"));
  g_assert_false (json_object_has_member (gps, "climb"));
  g_assert_false (json_object_has_member (gps, "speed"));
  json_object_unref (o);

  g_assert_true (emit (f.meta, "push-gps", gst_structure_new ("gps", "mode", G_TYPE_INT, 3,
              "lat", G_TYPE_DOUBLE, 91.0, "lon", G_TYPE_DOUBLE, 4.0, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  o = try_pull_json (&f, t);
  gps = json_object_get_object_member (o, "gps");
  g_assert_false (json_object_has_member (gps, "lat"));
  g_assert_false (json_object_has_member (gps, "lon"));
  json_object_unref (o);

  /* Refused: not a "gps"/"signals" structure, a mode out of range.  A
   * refused report changes nothing. */
  g_assert_false (emit (f.meta, "push-gps", gst_structure_new ("fix", "mode", G_TYPE_INT, 3,
              NULL)));
  g_assert_false (emit (f.meta, "push-gps", gst_structure_new ("gps", "mode", G_TYPE_INT, 7,
              NULL)));
  g_assert_false (emit (f.meta, "set-signals", gst_structure_new ("gps",
              "siren", G_TYPE_BOOLEAN, TRUE, NULL)));
  push_frame (&f, t += 33 * MS, FALSE);
  g_assert_null (try_pull_json (&f, t));

  fixture_stop (&f);
}

static void
test_utc (void)
{
  Fixture f;
  JsonObject *o;
  gint64 utc0, utc1, now_ns = g_get_real_time () * 1000;
  g_autoptr (GDateTime) date = NULL;
  g_autofree gchar *seconds = NULL;
  g_autofree gchar *expected = NULL;

  fixture_start (&f, H264_CAPS);
  push_frame (&f, 0, TRUE);
  o = try_pull_json (&f, 0);
  utc0 = json_object_get_int_member (o, "utc_ns");
  date = g_date_time_new_from_unix_utc (utc0 / GST_SECOND);
  seconds = g_date_time_format (date, "%Y-%m-%dT%H:%M:%S");
  expected = g_strdup_printf ("%s.%03dZ", seconds, (gint) (utc0 % GST_SECOND / GST_MSECOND));
  g_assert_cmpstr (json_object_get_string_member (o, "utc"), ==, expected);
  json_object_unref (o);
  /* The offset was taken when the harness went to PLAYING. */
  g_assert_cmpint (ABS (utc0 - now_ns), <, 10 * GST_SECOND);

  /* Frames are placed by their running time, not by when they arrive. */
  push_frame (&f, 2500 * MS, TRUE);
  o = try_pull_json (&f, 2500 * MS);
  utc1 = json_object_get_int_member (o, "utc_ns");
  g_assert_cmpint (utc1 - utc0, ==, 2500 * MS);
  json_object_unref (o);

  fixture_stop (&f);
}

static void
test_gps_lost (void)
{
  Fixture f;
  JsonObject *o;
  g_autofree gchar *text = NULL;
  GstClockTime t = 0;

  fixture_start (&f, H264_CAPS);
  g_object_set (f.meta, "gps-timeout", (guint64) GST_SECOND, NULL);
  set_clock_time (&f, 0);
  g_assert_true (emit (f.meta, "push-gps", fix_new (52.1, 4.1, 10.0, 90.0)));

  push_frame (&f, t, TRUE);
  json_object_unref (try_pull_json (&f, t));
  drain_text (&f);

  /* More than gps-timeout of clock time after the report: lost, once. */
  push_frame (&f, t = 1500 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  g_assert_true (json_object_get_boolean_member (o, "gps_lost"));
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (o, "gps"),
          "lat"), ==, 52.1);
  json_object_unref (o);
  text = try_pull_string (f.text, NULL, NULL);
  g_assert_true (g_str_has_suffix (text, "\nGPS LOST"));
  push_frame (&f, t += 33 * MS, FALSE);
  g_assert_null (try_pull_json (&f, t));

  /* A report brings it back. */
  set_clock_time (&f, 2 * GST_SECOND);
  g_assert_true (emit (f.meta, "push-gps", fix_new (52.2, 4.2, 10.0, 90.0)));
  push_frame (&f, t = 2100 * MS, FALSE);
  o = try_pull_json (&f, t);
  g_assert_nonnull (o);
  g_assert_false (json_object_has_member (o, "gps_lost"));
  g_assert_true (json_object_get_boolean_member (o, "gps_new"));
  json_object_unref (o);

  fixture_stop (&f);
}

/* Reports, signals and events from another thread while frames flow: every
 * sample parses, fix ids only grow, every event arrives once, in order. */
#define N_REPORTS 3000
#define N_EVENTS 150

static gpointer
feed_thread (gpointer data)
{
  GstElement *meta = data;
  guint i;

  for (i = 0; i < N_REPORTS; i++) {
    g_assert_true (emit (meta, "push-gps", fix_new (50.0 + i * 1e-6, 4.0, i * 0.01, 10.0)));
    if (i % 7 == 0) {
      g_assert_true (emit (meta, "set-signals", gst_structure_new ("signals",
                  "ignition", G_TYPE_BOOLEAN, TRUE, "siren", G_TYPE_BOOLEAN, i % 2 == 0,
                  NULL)));
    }
    if (i % (N_REPORTS / N_EVENTS) == 0 && i / (N_REPORTS / N_EVENTS) < N_EVENTS) {
      g_assert_true (emit (meta, "mark-event", gst_structure_new ("event",
                  "n", G_TYPE_INT, (gint) (i / (N_REPORTS / N_EVENTS)), NULL)));
    }
    if (i % 64 == 0)
      g_thread_yield ();
  }
  return NULL;
}

static void
check_sample (JsonObject *o, gint64 *last_fix_id, gint *next_event)
{
  JsonObject *gps = json_object_get_object_member (o, "gps");

  if (json_object_has_member (gps, "fix_id")) {
    gint64 id = json_object_get_int_member (gps, "fix_id");
    gdouble lat = json_object_get_double_member (gps, "lat");

    g_assert_cmpint (id, >=, *last_fix_id);
    /* The report is whole: its latitude is the one pushed with its id. */
    g_assert_cmpfloat (lat, ==, 50.0 + (id - 1) * 1e-6);
    *last_fix_id = id;
  }
  if (json_object_has_member (o, "event")) {
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "event"),
            "n"), ==, *next_event);
    (*next_event)++;
  }
}

static void
test_threads (void)
{
  Fixture f;
  GThread *thread;
  gint64 last_fix_id = 0;
  gint next_event = 0;
  guint i = 0, text_samples = 0;
  JsonObject *o;

  fixture_start (&f, H264_CAPS);
  thread = g_thread_new ("feed", feed_thread, f.meta);
  for (i = 0; i < 600; i++) {
    GstClockTime t = i * 33 * MS;

    push_frame (&f, t, i % 30 == 0);
    if ((o = try_pull_json (&f, t)) != NULL) {
      check_sample (o, &last_fix_id, &next_event);
      json_object_unref (o);
    }
    g_free (try_pull_string (f.text, NULL, NULL));
    text_samples++;
  }
  g_thread_join (thread);
  for (; next_event < N_EVENTS && i < 600 + N_EVENTS; i++) {
    GstClockTime t = i * 33 * MS;

    push_frame (&f, t, FALSE);
    o = try_pull_json (&f, t);
    g_assert_nonnull (o);
    check_sample (o, &last_fix_id, &next_event);
    json_object_unref (o);
  }
  /* One more frame shows the last report if no sample has yet. */
  push_frame (&f, i * 33 * MS, FALSE);
  if ((o = try_pull_json (&f, i * 33 * MS)) != NULL) {
    check_sample (o, &last_fix_id, &next_event);
    json_object_unref (o);
  }
  g_assert_cmpint (next_event, ==, N_EVENTS);
  g_assert_cmpint (last_fix_id, ==, N_REPORTS);
  g_assert_cmpuint (text_samples, ==, 600);
  fixture_stop (&f);
}

/* NULL -> PLAYING -> NULL twice in a pipeline, with and without a gpsd
 * (none listens on the port: the client thread starts, fails, retries and
 * must stop at once). */
static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

static void
run_cycles (const gchar *gpsd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (
      "videotestsrc num-buffers=15 ! video/x-raw,width=64,height=48,framerate=30/1 ! "
      "dvrmeta name=m ! fakesink name=v  m.text ! queue ! fakesink name=t  "
      "m.json ! queue ! fakesink name=j", &error);
  g_autoptr (GstElement) meta = NULL;
  const gchar *sinks[] = { "v", "t", "j" };
  gint counts[3];
  guint cycle, i;

  g_assert_no_error (error);
  meta = gst_bin_get_by_name (GST_BIN (pipeline), "m");
  g_object_set (meta, "gpsd", gpsd, NULL);
  for (i = 0; i < 3; i++) {
    g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), sinks[i]);
    g_autoptr (GstPad) pad = gst_element_get_static_pad (sink, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &counts[i], NULL);
  }

  for (cycle = 0; cycle < 2; cycle++) {
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
    g_autoptr (GstMessage) message = NULL;

    memset (counts, 0, sizeof counts);
    g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    message = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    g_assert_nonnull (message);
    g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
    g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
    /* Raw video: every frame is a keyframe, so every frame has JSON. */
    g_assert_cmpint (g_atomic_int_get (&counts[0]), ==, 15);
    g_assert_cmpint (g_atomic_int_get (&counts[1]), ==, 15);
    g_assert_cmpint (g_atomic_int_get (&counts[2]), ==, 15);
  }
}

static void
test_state_cycles (void)
{
  run_cycles (NULL);
  run_cycles ("127.0.0.1:1");
}

static void
test_gpsd_address (void)
{
  g_autoptr (GstElement) meta = gst_element_factory_make ("dvrmeta", NULL);
  g_autoptr (GstBus) bus = gst_bus_new ();
  g_autoptr (GstMessage) message = NULL;

  /* A malformed address fails the start, naming the problem. */
  gst_element_set_bus (meta, bus);
  g_object_set (meta, "gpsd", "localhost:99999", NULL);
  g_assert_cmpint (gst_element_set_state (meta, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  {
    g_autoptr (GError) error = NULL;

    gst_message_parse_error (message, &error, NULL);
    g_assert_nonnull (strstr (error->message, "port must be 1..65535"));
  }
  gst_element_set_state (meta, GST_STATE_NULL);
  gst_element_set_bus (meta, NULL);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dvrmeta/passthrough", test_passthrough);
  g_test_add_func ("/dvrmeta/stream-events", test_stream_events);
  g_test_add_func ("/dvrmeta/loop-segment", test_loop_segment);
  g_test_add_func ("/dvrmeta/json-gaps", test_json_gaps);
  g_test_add_func ("/dvrmeta/text-timing", test_text_timing);
  g_test_add_func ("/dvrmeta/text-content", test_text_content);
  g_test_add_func ("/dvrmeta/json-triggers", test_json_triggers);
  g_test_add_func ("/dvrmeta/doubles-exact", test_doubles_exact);
  g_test_add_func ("/dvrmeta/unknown-omitted", test_unknown_omitted);
  g_test_add_func ("/dvrmeta/utc", test_utc);
  g_test_add_func ("/dvrmeta/gps-lost", test_gps_lost);
  g_test_add_func ("/dvrmeta/threads", test_threads);
  g_test_add_func ("/dvrmeta/state-cycles", test_state_cycles);
  g_test_add_func ("/dvrmeta/gpsd-address", test_gpsd_address);
  return g_test_run ();
}
