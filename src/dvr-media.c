/* dvr-media: what a segment file holds, read back from the file itself.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-media.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>

static GstPadProbeReturn
count_probe (GstPad *pad, GstPadProbeInfo *probe, gpointer user_data)
{
  DvrMediaInfo *info = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (probe);
  /* Times from a damaged file can be anything: keep the sum in range. */
  gint64 pts = GST_BUFFER_PTS_IS_VALID (buf) && GST_BUFFER_PTS (buf) <= G_MAXINT64 / 2 ?
      (gint64) GST_BUFFER_PTS (buf) : -1;
  gint64 duration = GST_BUFFER_DURATION_IS_VALID (buf) &&
      GST_BUFFER_DURATION (buf) <= G_MAXINT64 / 2 ? (gint64) GST_BUFFER_DURATION (buf) : 0;

  info->frames++;
  if (pts >= 0) {
    if (info->first_pts < 0 || pts < info->first_pts)
      info->first_pts = pts;
    if (pts + duration > info->end_pts)
      info->end_pts = pts + duration;
  }
  return GST_PAD_PROBE_OK;
}

static void
pad_added (GstElement *demux, GstPad *pad, gpointer user_data)
{
  GstElement *sink = user_data;
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");
  g_autoptr (GstCaps) caps = gst_pad_query_caps (pad, NULL);
  const gchar *media;

  /* A damaged file may give a pad no caps at all. */
  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return;
  media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  if (gst_pad_is_linked (sinkpad) ||
      !(g_str_has_prefix (media, "video/") || g_str_has_prefix (media, "image/")))
    return;
  gst_pad_link (pad, sinkpad);
}

gboolean
dvr_media_probe_segment (const gchar *path, DvrMediaInfo *info, GError **error)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("filesrc", NULL);
  GstElement *demux = gst_element_factory_make ("matroskademux", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sinkpad = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;

  info->frames = 0;
  info->first_pts = info->end_pts = -1;
  if (src == NULL || demux == NULL || sink == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "probe %s: filesrc, matroskademux or fakesink missing", path);
    return FALSE;
  }
  g_object_set (src, "location", path, NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, demux, sink, NULL);
  gst_element_link (src, demux);
  g_signal_connect (demux, "pad-added", G_CALLBACK (pad_added), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, info, NULL);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "probe %s: timed out", path);
    return FALSE;
  }
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) gerror = NULL;
    gst_message_parse_error (msg, &gerror, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "probe %s: %s", path, gerror->message);
    return FALSE;
  }
  return TRUE;
}

const gchar *
dvr_media_sniff_codec (const gchar *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) stream = g_file_read (file, NULL, NULL);
  guint8 head[65536];
  gsize n = 0;

  if (stream == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (stream), head, sizeof head, &n, NULL, NULL))
    return "h264";
  return memmem (head, n, "V_MJPEG", 7) != NULL ? "jpeg" : "h264";
}
