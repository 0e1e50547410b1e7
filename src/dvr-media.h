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

G_END_DECLS
