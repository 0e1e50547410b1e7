/* See dvr-test-barcode.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "dvr-test-barcode.h"

/* CRC-8 (0x07) of the number's three bytes, XOR 0x55: the barcode's check. */
static guint
barcode_check (guint32 number)
{
  guint crc = 0;

  for (gint byte = 2; byte >= 0; byte--) {
    crc ^= (number >> (8 * byte)) & 0xff;
    for (gint bit = 0; bit < 8; bit++)
      crc = (crc & 0x80) ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc ^ 0x55;
}

gint64
dvr_test_read_barcode (const guint8 *luma, guint step, gsize stride, guint width,
                       guint height)
{
  guint cell_width = width / 16, cell_height = CLAMP (cell_width, 8, 16);
  guint32 code = 0;

  if (cell_width < 4 || height < 2 * cell_height)
    return -1;
  for (guint bit = 0; bit < 32; bit++) {
    guint x0 = (bit % 16) * cell_width + cell_width / 4;
    guint y0 = (bit / 16) * cell_height + cell_height / 4;
    guint sum = 0, n = 0;
    for (guint y = y0; y < y0 + cell_height / 2; y++)
      for (guint x = x0; x < x0 + cell_width / 2; x++, n++)
        sum += luma[y * stride + x * step];
    code = code << 1 | (sum >= 128 * n);
  }
  if ((code & 0xff) != barcode_check (code >> 8))
    return -1;
  return code >> 8;
}
