/* Fuzzes the dvr.conf parser: dvr_config_load_data() (src/dvr-config.h)
 * on arbitrary bytes.  A config either loads or fails with an error that
 * names the place; it never crashes, leaks or asserts.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>

#include "dvr-config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = dvr_config_load_data ((const gchar *) data, size, "fuzz.conf", &error);
  /* Exactly one of the two: a config, or an error that says why not. */
  g_assert ((config == NULL) != (error == NULL));
  if (error != NULL)
    g_assert (error->message != NULL && error->message[0] != '\0');
  return 0;
}
