/* dvr-media: what a segment file holds, read back from the file itself.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 frames;    /* video frames the file holds */
  gint64 first_pts;  /* ns, stream time of the first frame; -1 if none */
  gint64 end_pts;    /* ns, end of the last frame; -1 if none */
} DvrMediaInfo;

/* Demuxes @path (Matroska, no decoding) and counts its video frames.  A
 * file cut off mid-frame counts the frames before the cut.  Blocking:
 * storage thread or tools only. */
gboolean dvr_media_probe_segment (const gchar *path, DvrMediaInfo *info, GError **error);

/* The codec named in @path's Matroska track header (within the first
 * kilobytes of every file the muxer wrote): "jpeg" or "h264", the
 * recorder's default, also when the file cannot be read.  For a segment
 * whose counters are lost (recovery, a file its pipeline never reported). */
const gchar *dvr_media_sniff_codec (const gchar *path);

G_END_DECLS
