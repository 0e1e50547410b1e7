/* The "dvr" GStreamer plugin: the project's own elements.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "dvr-meta.h"

GST_DEBUG_CATEGORY_EXTERN (dvr_meta_debug);

static gboolean
plugin_init (GstPlugin *plugin)
{
  GST_DEBUG_CATEGORY_INIT (dvr_meta_debug, "dvrmeta", 0, "dvrmeta: GPS and signal tracks");

  return GST_ELEMENT_REGISTER (dvrmeta, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, dvr,
    "In-car recorder elements", plugin_init, DVR_PLUGIN_VERSION, "LGPL",
    "dvr", "https://localhost/dvr")
