/* Elements: dvrmeta in front of splitmuxsink (matroskamux), as dvrd uses
 * it.  Records three 2 s segments, then demuxes each file and checks, per
 * segment: both metadata tracks with their titles, the first JSON sample
 * at the first video frame, a text sample at every video frame, exact
 * doubles after the round trip through the file; and what ffprobe sees.
 *
 * On the way, how soon the first frames reach the file, in stream time:
 * the video is held right after the second keyframe, and the first file
 * must then hold the first GOP but its last frame.  splitmuxsink hands a
 * GOP to the muxer when the next keyframe comes in (its design), and the
 * muxer writes a frame once every track has reached it: the JSON track
 * through its gaps (one frame behind), so the GOP's last frame waits for
 * the next GOP's JSON sample.  Without the gaps the muxer stopped after
 * the first frame until the third keyframe: held at the second, the file
 * never got further, and this test times out.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <string.h>

#define SEGMENTS 3
#define KEY_INT 30
/* Only a failure waits this long: the file has the GOP in milliseconds. */
#define FIRST_GOP_TIMEOUT_US (20 * G_USEC_PER_SEC)
#define LAT 52.123456789012345
#define LON -4.000000000000001

typedef struct {
  GstClockTime pts;
  GstClockTime duration;
  gchar *text;
} Sample;

typedef struct {
  gchar *caps_name;
  gchar *title;
  GArray *samples;   /* Sample */
  GstElement *appsink;
} Track;

typedef struct {
  GPtrArray *tracks;  /* Track * */
  GstElement *pipeline;
} Demux;

static void
sample_clear (Sample *sample)
{
  g_free (sample->text);
}

static void
track_free (Track *track)
{
  g_free (track->caps_name);
  g_free (track->title);
  g_array_unref (track->samples);
  g_free (track);
}

static void
collect_text (GMarkupParseContext *context, const gchar *text, gsize size, gpointer user_data,
              GError **error)
{
  g_string_append_len (user_data, text, size);
}

/* What tools do with matroskademux's text: undo the markup escaping
 * (g_markup_escape_text) to get back the bytes in the file. */
static gchar *
markup_unescape (const gchar *markup)
{
  static const GMarkupParser parser = { .text = collect_text };
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GMarkupParseContext) context =
      g_markup_parse_context_new (&parser, 0, text, NULL);
  g_autoptr (GError) error = NULL;

  g_markup_parse_context_parse (context, "<t>", -1, &error);
  g_markup_parse_context_parse (context, markup, -1, &error);
  g_markup_parse_context_parse (context, "</t>", -1, &error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);
  return g_strdup (text->str);
}

static GstPadProbeReturn
on_tag (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Track *track = user_data;
  GstEvent *event = gst_pad_probe_info_get_event (info);
  GstTagList *tags;
  gchar *title = NULL;

  if (GST_EVENT_TYPE (event) != GST_EVENT_TAG)
    return GST_PAD_PROBE_OK;
  gst_event_parse_tag (event, &tags);
  if (gst_tag_list_get_string (tags, GST_TAG_TITLE, &title)) {
    g_free (track->title);
    track->title = title;
  }
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  Demux *d = user_data;
  Track *track = g_new0 (Track, 1);
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstElement *appsink = gst_element_factory_make ("appsink", NULL);
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (queue, "sink");
  g_autoptr (GstPad) appsink_pad = gst_element_get_static_pad (appsink, "sink");

  track->samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  g_array_set_clear_func (track->samples, (GDestroyNotify) sample_clear);
  track->appsink = appsink;
  /* Samples are pulled after EOS: EOS must not wait for them. */
  g_object_set (appsink, "sync", FALSE, "max-buffers", 0, "wait-on-eos", FALSE, NULL);
  gst_pad_add_probe (appsink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_tag, track, NULL);
  g_ptr_array_add (d->tracks, track);

  gst_bin_add_many (GST_BIN (d->pipeline), queue, appsink, NULL);
  g_assert_true (gst_element_link (queue, appsink));
  gst_element_sync_state_with_parent (appsink);
  gst_element_sync_state_with_parent (queue);
  g_assert_cmpint (gst_pad_link (pad, sinkpad), ==, GST_PAD_LINK_OK);
}

/* Every sample of every track of @path; the JSON is unescaped.  With
 * @partial, a file that does not demux (yet: a copy of one still being
 * written may end inside its header) gives NULL instead of failing. */
static GPtrArray *
demux_file_full (const gchar *path, gboolean partial)
{
  g_autofree gchar *description = g_strdup_printf (
      "filesrc location=\"%s\" ! matroskademux name=d", path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) demux = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  Demux d = { g_ptr_array_new_with_free_func ((GDestroyNotify) track_free), NULL };
  guint i;

  d.pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  demux = gst_bin_get_by_name (GST_BIN (d.pipeline), "d");
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), &d);
  bus = gst_element_get_bus (d.pipeline);
  g_assert_cmpint (gst_element_set_state (d.pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  message = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (message, &error, NULL);
    if (partial) {
      gst_element_set_state (d.pipeline, GST_STATE_NULL);
      gst_object_unref (d.pipeline);
      g_ptr_array_unref (d.tracks);
      return NULL;
    }
    g_error ("demuxing %s: %s", path, error->message);
  }

  for (i = 0; i < d.tracks->len; i++) {
    Track *track = g_ptr_array_index (d.tracks, i);
    GstSample *sample;

    while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (track->appsink), 0)) != NULL) {
      GstBuffer *buf = gst_sample_get_buffer (sample);
      Sample s = { GST_BUFFER_PTS (buf), GST_BUFFER_DURATION (buf), NULL };

      if (track->caps_name == NULL) {
        track->caps_name = g_strdup (gst_structure_get_name (
                gst_caps_get_structure (gst_sample_get_caps (sample), 0)));
      }
      if (g_str_has_prefix (track->caps_name, "text/")) {
        GstMapInfo map;
        g_autofree gchar *markup = NULL;

        g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
        markup = g_strndup ((const gchar *) map.data, map.size);
        gst_buffer_unmap (buf, &map);
        /* matroskademux gives S_TEXT/UTF8 out as escaped pango markup. */
        g_assert_cmpstr (gst_structure_get_string (gst_caps_get_structure (
                    gst_sample_get_caps (sample), 0), "format"), ==, "pango-markup");
        s.text = markup_unescape (markup);
      }
      g_array_append_val (track->samples, s);
      gst_sample_unref (sample);
    }
  }
  gst_element_set_state (d.pipeline, GST_STATE_NULL);
  gst_object_unref (d.pipeline);
  return d.tracks;
}

static GPtrArray *
demux_file (const gchar *path)
{
  return demux_file_full (path, FALSE);
}

static Track *
find_track (GPtrArray *tracks, const gchar *caps_name, const gchar *title)
{
  Track *found = NULL;
  guint i;

  for (i = 0; i < tracks->len; i++) {
    Track *track = g_ptr_array_index (tracks, i);

    if (g_strcmp0 (track->caps_name, caps_name) == 0
        && (title == NULL || g_strcmp0 (track->title, title) == 0)) {
      g_assert_null (found);
      found = track;
    }
  }
  g_assert_nonnull (found);
  return found;
}

static JsonObject *
parse_json (const gchar *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_dup_object (json_parser_get_root (parser));
}

static void
check_segment (const gchar *path, guint index, guint *frames)
{
  g_autoptr (GPtrArray) tracks = demux_file (path);
  Track *video, *text, *json;
  g_autoptr (JsonObject) first = NULL;
  JsonObject *gps;
  guint i;

  g_assert_cmpuint (tracks->len, ==, 3);
  video = find_track (tracks, "video/x-h264", NULL);
  text = find_track (tracks, "text/x-raw", "dvr-overlay");
  json = find_track (tracks, "text/x-raw", "dvr-meta/1");
  g_assert_cmpuint (video->samples->len, >, 0);
  *frames += video->samples->len;

  /* A text sample at every frame, and nothing else. */
  g_assert_cmpuint (text->samples->len, ==, video->samples->len);
  for (i = 0; i < video->samples->len; i++) {
    Sample *v = &g_array_index (video->samples, Sample, i);
    Sample *t = &g_array_index (text->samples, Sample, i);

    g_assert_cmpuint (t->pts, ==, v->pts);
    g_assert_cmpuint (t->duration, ==, 33 * GST_MSECOND);
    g_assert_true (g_str_has_suffix (t->text, "  car-7  front\n52 km/h  52.123457N 4.000000W  LIGHTBAR"));
  }

  /* The segment opens with a full JSON sample at its first frame; files
   * are in running time (1 ms resolution in Matroska). */
  g_assert_cmpuint (json->samples->len, >=, 2);
  {
    Sample *v = &g_array_index (video->samples, Sample, 0);
    Sample *j = &g_array_index (json->samples, Sample, 0);
    gint64 running_ns;

    g_assert_cmpuint (j->pts, ==, v->pts);
    g_assert_cmpuint (v->pts, ==, index * 2 * GST_SECOND);
    first = parse_json (j->text);
    running_ns = json_object_get_int_member (first, "running_ns");
    g_assert_cmpint (running_ns / GST_MSECOND, ==, (gint64) (v->pts / GST_MSECOND));
  }
  g_assert_cmpstr (json_object_get_string_member (first, "schema"), ==, "dvr-meta/1");
  g_assert_true (json_object_get_boolean_member (first, "keyframe"));
  g_assert_cmpstr (json_object_get_string_member (first, "unit"), ==, "car-7");
  gps = json_object_get_object_member (first, "gps");
  g_assert_cmpint (json_object_get_int_member (gps, "fix_id"), ==, 1);
  g_assert_true (json_object_get_double_member (gps, "lat") == LAT);
  g_assert_true (json_object_get_double_member (gps, "lon") == LON);
  g_assert_true (json_object_get_boolean_member (
          json_object_get_object_member (first, "signals"), "lightbar"));

  /* Later JSON samples lie on frames of this segment. */
  for (i = 1; i < json->samples->len; i++) {
    Sample *j = &g_array_index (json->samples, Sample, i);
    g_autoptr (JsonObject) o = parse_json (j->text);
    guint k;
    gboolean on_frame = FALSE;

    for (k = 0; k < video->samples->len; k++)
      on_frame |= g_array_index (video->samples, Sample, k).pts == j->pts;
    g_assert_true (on_frame);
  }
}

/* Holds the video in front of dvrmeta after the second keyframe, until
 * its probe is removed. */
typedef struct {
  GMutex lock;
  GCond cond;
  GstPad *pad;
  gulong probe;
  guint keyframes;
  gboolean holding;
} Gate;

static GstPadProbeReturn
gate_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Gate *gate = user_data;
  GstBuffer *buf = gst_pad_probe_info_get_buffer (info);
  GstPadProbeReturn ret = GST_PAD_PROBE_PASS;

  g_mutex_lock (&gate->lock);
  if (gate->keyframes < 2) {
    gate->keyframes += !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  } else {
    /* The first buffer after the second keyframe: blocked here. */
    gate->holding = TRUE;
    g_cond_signal (&gate->cond);
    ret = GST_PAD_PROBE_OK;
  }
  g_mutex_unlock (&gate->lock);
  return ret;
}

/* Video samples of a copy of @path as it is now (a file still being
 * written: Matroska demuxes up to its last whole block). */
static guint
frames_on_disk (const gchar *dir, const gchar *path, GstClockTime *first_pts)
{
  g_autofree gchar *copy = g_build_filename (dir, "snapshot.mkv", NULL);
  g_autofree gchar *data = NULL;
  g_autoptr (GPtrArray) tracks = NULL;
  gsize size = 0;
  guint i, frames = 0;

  if (!g_file_get_contents (path, &data, &size, NULL) || size == 0)
    return 0;
  g_assert_true (g_file_set_contents (copy, data, size, NULL));
  tracks = demux_file_full (copy, TRUE);
  g_unlink (copy);
  if (tracks == NULL)
    return 0;
  for (i = 0; i < tracks->len; i++) {
    Track *track = g_ptr_array_index (tracks, i);

    if (g_strcmp0 (track->caps_name, "video/x-h264") == 0 && track->samples->len > 0) {
      frames = track->samples->len;
      *first_pts = g_array_index (track->samples, Sample, 0).pts;
    }
  }
  return frames;
}

/* With the video held after the second keyframe (one GOP of stream time),
 * the first file holds the first GOP but its last frame, from frame 0. */
static void
check_first_gop (Gate *gate, const gchar *dir)
{
  g_autofree gchar *path = g_build_filename (dir, "c00.mkv", NULL);
  gint64 deadline = g_get_monotonic_time () + FIRST_GOP_TIMEOUT_US;
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  guint frames = 0;

  g_mutex_lock (&gate->lock);
  while (!gate->holding)
    g_assert_true (g_cond_wait_until (&gate->cond, &gate->lock, deadline));
  g_mutex_unlock (&gate->lock);

  while ((frames = frames_on_disk (dir, path, &first_pts)) < KEY_INT - 1) {
    if (g_get_monotonic_time () > deadline)
      g_error ("video held after the second keyframe: the first file has %u frames, "
          "not the first GOP but its last (%u)", frames, KEY_INT - 1);
    g_usleep (20 * 1000);
  }
  g_assert_cmpuint (frames, ==, KEY_INT - 1);
  g_assert_cmpuint (first_pts, ==, 0);
  gst_pad_remove_probe (gate->pad, gate->probe);
}

static void
check_ffprobe (const gchar *path)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-show_entries",
    "stream=codec_type,codec_name:stream_tags=title", "-of", "csv=p=0", path, NULL };
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  gint status = 0;
  g_autoptr (GError) error = NULL;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
          &status, &error))
    g_error ("ffprobe: %s", error->message);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "subrip,subtitle,dvr-overlay\n"));
  g_assert_nonnull (strstr (out, "subrip,subtitle,dvr-meta/1\n"));
}

int
main (int argc, char **argv)
{
  g_autofree gchar *dir = NULL;
  g_autofree gchar *description = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) meta = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  GstStructure *s;
  gboolean ok = FALSE;
  guint i, frames = 0;
  Gate gate = { 0, };
  gboolean have_ffprobe;
  g_autofree gchar *ffprobe = NULL;

  gst_init (&argc, &argv);
  if (gst_registry_check_feature_version (gst_registry_get (), "x264enc", 1, 0, 0) == FALSE) {
    g_print ("SKIP: x264enc is not installed (gstreamer1.0-plugins-ugly)\n");
    return 77;
  }
  ffprobe = g_find_program_in_path ("ffprobe");
  have_ffprobe = ffprobe != NULL;

  dir = g_dir_make_tmp ("dvrmeta-record-XXXXXX", &error);
  g_assert_no_error (error);
  description = g_strdup_printf (
      "videotestsrc num-buffers=180 ! video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%u ! h264parse ! "
      "dvrmeta name=m unit-id=car-7 camera=front ! "
      "splitmuxsink name=s muxer=matroskamux location=%s/c%%02d.mkv max-size-time=2000000000 "
      "m.text ! queue ! s.subtitle_0  m.json ! queue ! s.subtitle_1", KEY_INT, dir);
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  meta = gst_bin_get_by_name (GST_BIN (pipeline), "m");
  {
    g_autoptr (GstElement) splitmux = gst_bin_get_by_name (GST_BIN (pipeline), "s");
    GstElement *sink = gst_element_factory_make ("filesink", NULL);

    /* As dvrd: every muxer write goes to the file at once. */
    gst_util_set_object_arg (G_OBJECT (sink), "buffer-mode", "unbuffered");
    g_object_set (splitmux, "sink", sink, NULL);
    g_mutex_init (&gate.lock);
    g_cond_init (&gate.cond);
    gate.pad = gst_element_get_static_pad (meta, "sink");
    gate.probe = gst_pad_add_probe (gate.pad, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER,
        gate_probe, &gate, NULL);
  }

  /* Inputs pushed before the start are kept. */
  s = gst_structure_new ("gps", "mode", G_TYPE_INT, 3, "lat", G_TYPE_DOUBLE, LAT,
      "lon", G_TYPE_DOUBLE, LON, "speed", G_TYPE_DOUBLE, 14.45, NULL);
  g_signal_emit_by_name (meta, "push-gps", s, &ok);
  gst_structure_free (s);
  g_assert_true (ok);
  s = gst_structure_new ("signals", "lightbar", G_TYPE_BOOLEAN, TRUE, NULL);
  g_signal_emit_by_name (meta, "set-signals", s, &ok);
  gst_structure_free (s);
  g_assert_true (ok);
  g_object_set (meta, "gps-timeout", (guint64) 0, NULL);

  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  check_first_gop (&gate, dir);
  message = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL)
    g_error ("no EOS after 60 s: the recording stalled");
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (message, &error, NULL);
    g_error ("recording: %s", error->message);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (gate.pad);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);

  for (i = 0; i < SEGMENTS; i++) {
    g_autofree gchar *name = g_strdup_printf ("c%02u.mkv", i);
    g_autofree gchar *path = g_build_filename (dir, name, NULL);

    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    check_segment (path, i, &frames);
    if (have_ffprobe)
      check_ffprobe (path);
    g_unlink (path);
  }
  {
    g_autofree gchar *extra = g_build_filename (dir, "c03.mkv", NULL);

    g_assert_false (g_file_test (extra, G_FILE_TEST_EXISTS));
  }
  g_assert_cmpuint (frames, ==, 180);
  g_rmdir (dir);
  if (!have_ffprobe)
    g_print ("ffprobe not installed: its check was not run\n");
  g_print ("%u segments, %u frames: tracks, titles and samples as expected\n", SEGMENTS, frames);
  return 0;
}
