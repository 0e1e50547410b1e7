/* Fuzzes the probe of damaged segment files: dvr_media_probe_segment()
 * (src/dvr-media.h), which startup recovery and the tools run on whatever
 * a crash or a bad drive left.  The input is written to a temporary file
 * and demuxed as Matroska; it must end in a result or an error, never a
 * crash or a hang.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <gst/gst.h>
#include <glib/gstdio.h>

#include "dvr-media.h"
#include "fuzz.h"

static gchar *segment_path;

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

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
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

/* Leaves no temporary folder behind (libFuzzer and the driver exit()). */
static void
fuzz_segment_cleanup (void)
{
  g_autofree gchar *dir = g_path_get_dirname (segment_path);

  g_unlink (segment_path);
  g_rmdir (dir);
}

static void
fuzz_segment_init (void)
{
  g_autoptr(GError) error = NULL;
  gchar *dir;

  /* Fatal warnings and criticals are decided in fuzz_log_writer(). */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
  gst_init (NULL, NULL);
  /* The same bug's debug lines, at ERROR level, are only noise here. */
  gst_debug_set_threshold_for_name ("matroskademux", GST_LEVEL_NONE);
  gst_debug_set_threshold_for_name ("matroskareadcommon", GST_LEVEL_NONE);
  gst_debug_set_threshold_for_name ("ebmlread", GST_LEVEL_NONE);
  dir = g_dir_make_tmp ("dvr-fuzz-segment-XXXXXX", &error);
  g_assert_no_error (error);
  segment_path = g_build_filename (dir, "segment.mkv", NULL);
  g_free (dir);
  atexit (fuzz_segment_cleanup);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  DvrMediaInfo info;

  if (segment_path == NULL)
    fuzz_segment_init ();
  /* No fsync: the file only has to be readable back. */
  if (!g_file_set_contents_full (segment_path, (const gchar *) data, size,
          G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_error ("%s", error->message);
  if (dvr_media_probe_segment (segment_path, &info, &error)) {
    g_assert_no_error (error);
    /* Times without frames are a bug (frames without a PTS are not). */
    if (info.frames == 0)
      g_assert (info.first_pts == -1 && info.end_pts == -1);
  } else {
    g_assert (error != NULL);
    /* A timeout means the demuxer hung on this input: that is a finding. */
    g_assert (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  }
  return 0;
}
