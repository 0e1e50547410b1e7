/* Shared by the hardware suite's GPIO tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-test-gpio.h"

#include <gpiod.h>

static gchar *print_prefix;

/* The code under test warns about the failures these tests provoke:
 * printed, not fatal (g_test_init() makes warnings fatal in
 * g_log_writer_default()). */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, print_prefix))
      return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

void
dvr_test_gpio_print_warnings (const gchar *prefix)
{
  g_free (print_prefix);
  print_prefix = g_strdup (prefix);
  g_log_set_writer_func (log_writer, NULL, NULL);
}

gchar *
dvr_test_gpio_find_chip (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/dev", 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    if (g_str_has_prefix (name, "gpiochip"))
      return g_strdup (name);
  }
  return NULL;
}

gboolean
dvr_test_gpio_find_safe_line (const gchar *purpose, gchar **chip_out, guint *line_out,
                              gchar **why)
{
  const gchar *chip_env = g_getenv ("DVR_TEST_GPIO_CHIP");
  const gchar *line_env = g_getenv ("DVR_TEST_GPIO_LINE");
  g_autoptr (GDir) dir = NULL;
  const gchar *name;

  if (chip_env != NULL && line_env != NULL) {
    *chip_out = g_strdup (chip_env);
    *line_out = (guint) g_ascii_strtoull (line_env, NULL, 10);
    return TRUE;
  }
  dir = g_dir_open ("/dev", 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    struct gpiod_chip *chip;
    gboolean simulated;

    if (!g_str_has_prefix (name, "gpiochip") || (chip = gpiod_chip_open_lookup (name)) == NULL)
      continue;
    simulated = g_str_has_prefix (gpiod_chip_label (chip), "gpio-mockup") ||
                g_str_has_prefix (gpiod_chip_label (chip), "gpio-sim");
    gpiod_chip_close (chip);
    if (simulated) {
      *chip_out = g_strdup (name);
      *line_out = 0;
      return TRUE;
    }
  }
  *why = g_strdup_printf ("no simulated GPIO chip (gpio-sim, gpio-mockup) and no "
      "DVR_TEST_GPIO_CHIP and DVR_TEST_GPIO_LINE naming a line that is safe to %s", purpose);
  return FALSE;
}
