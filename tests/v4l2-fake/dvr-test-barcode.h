/* Reads the frame number the fake V4L2 camera (dvr-v4l2-fake.c, whose top
 * comment has the layout) stamps on every YUYV frame as a barcode: for
 * v4l2-fake-test and the torture tests (tests/powerloss/torture-test.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The frame number in a picture's barcode, or -1 when it does not read or
 * its check differs.  @luma: the top left luma sample; @step: bytes from
 * one luma sample to the next on a line (2 for YUYV, 1 for GRAY8);
 * @stride: bytes per line. */
gint64 dvr_test_read_barcode (const guint8 *luma, guint step, gsize stride, guint width,
                              guint height);

G_END_DECLS
