/* dvrmeta: GPS position and vehicle signals as two subtitle tracks next to
 * the video.  See dvr-meta.c and docs/metadata.md.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Track titles (Matroska TrackName) of the two output streams: tools pick
 * the JSON track by this title. */
#define DVR_META_TEXT_TITLE "dvr-overlay"
#define DVR_META_JSON_TITLE "dvr-meta/1"
#define DVR_META_SCHEMA "dvr-meta/1"

typedef enum {
  DVR_META_SPEED_UNITS_KMH,
  DVR_META_SPEED_UNITS_MPH,
} DvrMetaSpeedUnits;

#define DVR_TYPE_META_SPEED_UNITS (dvr_meta_speed_units_get_type ())
GType dvr_meta_speed_units_get_type (void);

#define DVR_TYPE_META (dvr_meta_get_type ())
G_DECLARE_FINAL_TYPE (DvrMeta, dvr_meta, DVR, META, GstElement)

GST_ELEMENT_REGISTER_DECLARE (dvrmeta);

G_END_DECLS
