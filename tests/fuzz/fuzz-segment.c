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
#include "fuzz-gst.h"

static gchar *segment_path;

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

  fuzz_gst_init (NULL);
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
