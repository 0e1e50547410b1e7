/* GStreamer for the harnesses that demux damaged Matroska (fuzz-segment,
 * fuzz-recovery): every warning and critical aborts, but for a short,
 * listed set that GStreamer 1.22's matroskademux itself causes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "fuzz-gst.h"

/* GStreamer 1.22's matroskademux (libgstmatroska) passes something that is
 * not an element or not a GObject to GST_ELEMENT_ERROR and to its debug
 * log on some damaged files; GStreamer answers with these warnings and
 * criticals and carries on (the probe still returns at once).  They are
 * third-party bugs, so only they are let through; any other warning or
 * critical still aborts, as G_DEBUG=fatal-criticals would. */
static const struct {
  const gchar *message;
  const gchar *also;      /* a second substring, or NULL */
} known_gstreamer_messages[] = {
  { "gst_debug_log_valist: runtime check failed: (object == NULL || G_IS_OBJECT (object))", NULL },
  { "gst_debug_log_full_valist: assertion 'id != NULL || object == NULL || G_IS_OBJECT (object)' failed", NULL },
  { "gst_element_message_full_with_details: assertion 'GST_IS_ELEMENT (element)' failed", NULL },
  { "invalid uninstantiatable type '(null)' in cast to 'GstElement'", NULL },
  /* g_return_val_if_reached() in gst-plugins-good's matroska sources,
   * e.g. matroska-ids.c:46 gst_matroska_track_init_video_context(). */
  { "file ../gst/matroska/", NULL },
  /* matroskademux pushing a buffer before its segment event; GStreamer
   * says so at the demuxer's pad and at the fakesink it feeds directly
   * (the probe's pipeline is filesrc ! matroskademux ! fakesink). */
  { "Got data flow before segment event", ":<matroskademux" },
  { "Got data flow before segment event", ":<fakesink" },
};

GLogWriterOutput
fuzz_gst_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const gchar *message = NULL;
  GLogWriterOutput output;

  if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
    return g_log_writer_default (level, fields, n_fields, user_data);
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      message = fields[i].value;
  for (guint i = 0; message != NULL && i < G_N_ELEMENTS (known_gstreamer_messages); i++)
    if (strstr (message, known_gstreamer_messages[i].message) != NULL &&
        (known_gstreamer_messages[i].also == NULL ||
         strstr (message, known_gstreamer_messages[i].also) != NULL))
      return G_LOG_WRITER_HANDLED;
  output = g_log_writer_default (level, fields, n_fields, user_data);
  abort ();
  return output;
}

void
fuzz_gst_init (GLogWriterFunc writer)
{
  /* Fatal warnings and criticals are decided in fuzz_gst_log_writer(). */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_writer_func (writer != NULL ? writer : fuzz_gst_log_writer, NULL, NULL);
  gst_init (NULL, NULL);
  /* The same bug's debug lines, at ERROR level, are only noise here. */
  gst_debug_set_threshold_for_name ("matroskademux", GST_LEVEL_NONE);
  gst_debug_set_threshold_for_name ("matroskareadcommon", GST_LEVEL_NONE);
  gst_debug_set_threshold_for_name ("ebmlread", GST_LEVEL_NONE);
}
