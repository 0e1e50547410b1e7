/* See fuzz-gst.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* gst_init() with GLib's log writer set so that any warning or critical
 * aborts, but for the known GStreamer 1.22 matroskademux ones: @writer, or
 * fuzz_gst_log_writer() itself when NULL. */
void fuzz_gst_init (GLogWriterFunc writer);

/* The writer fuzz_gst_init() sets, for a harness that lets a few more
 * messages of its own through before handing over to it. */
GLogWriterOutput fuzz_gst_log_writer (GLogLevelFlags level, const GLogField *fields,
                                      gsize n_fields, gpointer user_data);
