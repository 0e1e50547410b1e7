/* indicator-gpio-test: the GPIO indicator output's libgpiod calls
 * (src/dvr-indicator.c) on a real GPIO chip.
 *
 * Needs a GPIO chip: without any /dev/gpiochip* it exits 77 (skipped) and
 * says so.  It drives a line only where that is safe:
 *   - an offset past the chip's last line (the request fails before any
 *     line is touched: the error path, on every machine with a chip);
 *   - line 0 of a simulated chip (gpio-sim, gpio-mockup), or the line named
 *     by DVR_TEST_GPIO_CHIP and DVR_TEST_GPIO_LINE (a bench line that may
 *     be driven as an output); otherwise that case is skipped and says
 *     why.  A real board's lines are never guessed.
 * Where the simulator shows the level it is checked too (gpio-sim's
 * sim_gpioN/value in sysfs), with active-low applied.  What is written
 * when, the failure logging and covert mode are tested through a FIFO in
 * tests/unit/indicator-test.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-indicator.h"
#include "dvr-test-util.h"
#include "dvr-test-gpio.h"

#include <gpiod.h>
#include <string.h>

static DvrConfig *
load_config (const gchar *storage, const gchar *chip, guint line, gboolean active_low)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = g_strdup_printf (
      "[recorder]\nstorage = %s\n[camera c]\nsource = test\n"
      "[indicator lamp]\noutput = gpio\nchip = %s\nline = %u\nactive-low = %s\n"
      "shows = recording\n",
      storage, chip, line, active_low ? "true" : "false");
  DvrConfig *config = dvr_config_load_data (text, strlen (text), "indicator-gpio-test.conf",
      &error);

  g_assert_no_error (error);
  return config;
}

static JsonObject *
get_status (DvrIndicators *indicators)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array;

  json_builder_begin_object (builder);
  dvr_indicators_build_status (indicators, builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  array = json_object_get_array_member (json_node_get_object (root), "indicators");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  return json_object_ref (json_array_get_object_element (array, 0));
}

/* The level gpio-sim shows for a line: 0, 1, or -1 when this is not a
 * gpio-sim chip (or the kernel does not show it). */
static int
simulated_level (const gchar *chip_name, guint offset)
{
  g_autofree gchar *pattern = g_strdup_printf ("/sys/devices/platform/gpio-sim.*/%s/sim_gpio%u/value",
      chip_name, offset);
  g_autoptr (GDir) platform = g_dir_open ("/sys/devices/platform", 0, NULL);
  const gchar *name;

  while (platform != NULL && (name = g_dir_read_name (platform)) != NULL) {
    g_autofree gchar *path = NULL;
    g_autofree gchar *text = NULL;

    if (!g_str_has_prefix (name, "gpio-sim."))
      continue;
    path = g_strdup_printf ("/sys/devices/platform/%s/%s/sim_gpio%u/value", name, chip_name,
        offset);
    if (g_file_get_contents (path, &text, NULL, NULL))
      return g_ascii_strtoll (text, NULL, 10) != 0 ? 1 : 0;
  }
  g_test_message ("no %s: the line's level is not checked", pattern);
  return -1;
}

/* A line past the chip's last: refused, shown, never fatal. */
static void
test_bad_line (void)
{
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  g_autofree gchar *chip_name = dvr_test_gpio_find_chip ();
  g_autoptr (DvrConfig) config = NULL;
  g_autoptr (DvrIndicators) indicators = NULL;
  g_autoptr (JsonObject) status = NULL;
  struct gpiod_chip *chip = gpiod_chip_open_lookup (chip_name);
  guint lines;

  g_assert_nonnull (chip);
  lines = gpiod_chip_num_lines (chip);
  gpiod_chip_close (chip);

  config = load_config (folder, chip_name, lines, FALSE);
  indicators = dvr_indicators_new (config);
  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING, FALSE);
  status = get_status (indicators);
  g_assert_cmpstr (json_object_get_string_member (status, "output"), ==, "gpio");
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "error");
  g_assert_nonnull (strstr (json_object_get_string_member (status, "error"), "line"));
  g_assert_false (json_object_get_boolean_member (status, "lit"));
  g_clear_pointer (&indicators, dvr_indicators_free);
  dvr_test_rmtree (folder);
}

/* A real line: requested as an output by consumer "dvrd", driven with
 * active-low applied, dark in covert mode, released at the end. */
static void
test_line (gconstpointer data)
{
  gboolean active_low = GPOINTER_TO_INT (data);
  g_autofree gchar *folder = NULL;
  g_autofree gchar *chip_name = NULL;
  g_autofree gchar *why = NULL;
  g_autoptr (DvrConfig) config = NULL;
  g_autoptr (DvrIndicators) indicators = NULL;
  g_autoptr (JsonObject) status = NULL;
  struct gpiod_chip *chip;
  struct gpiod_line *line;
  guint offset;
  int level;

  if (!dvr_test_gpio_find_safe_line ("drive as an output", &chip_name, &offset, &why)) {
    g_test_skip (why);
    return;
  }
  folder = dvr_test_mkdtemp ();
  config = load_config (folder, chip_name, offset, active_low);
  indicators = dvr_indicators_new (config);

  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING, FALSE);
  status = get_status (indicators);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "open");
  g_assert_true (json_object_get_boolean_member (status, "lit"));
  chip = gpiod_chip_open_lookup (chip_name);
  g_assert_nonnull (chip);
  line = gpiod_chip_get_line (chip, offset);
  g_assert_nonnull (line);
  g_assert_cmpint (gpiod_line_update (line), ==, 0);
  g_assert_true (gpiod_line_is_used (line));
  g_assert_cmpstr (gpiod_line_consumer (line), ==, "dvrd");
  g_assert_cmpint (gpiod_line_direction (line), ==, GPIOD_LINE_DIRECTION_OUTPUT);
  if ((level = simulated_level (chip_name, offset)) >= 0)
    g_assert_cmpint (level, ==, active_low ? 0 : 1);

  dvr_indicators_set (indicators, DVR_INDICATOR_IDLE, FALSE);
  if ((level = simulated_level (chip_name, offset)) >= 0)
    g_assert_cmpint (level, ==, active_low ? 1 : 0);
  /* Covert: dark. */
  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING, TRUE);
  if ((level = simulated_level (chip_name, offset)) >= 0)
    g_assert_cmpint (level, ==, active_low ? 1 : 0);
  dvr_indicators_set (indicators, DVR_INDICATOR_RECORDING, FALSE);

  /* Freed (while lit): released. */
  g_clear_pointer (&indicators, dvr_indicators_free);
  g_assert_cmpint (gpiod_line_update (line), ==, 0);
  g_assert_false (gpiod_line_is_used (line));
  gpiod_chip_close (chip);
  dvr_test_rmtree (folder);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *chip = NULL;

  g_test_init (&argc, &argv, NULL);
  dvr_test_gpio_print_warnings ("indicator ");

  chip = dvr_test_gpio_find_chip ();
  if (chip == NULL) {
    g_printerr ("SKIP: no GPIO chip (/dev/gpiochip*) on this machine: the libgpiod calls of "
                "the GPIO indicator output need one (a board's, gpio-sim or gpio-mockup)\n");
    g_print ("# SKIP no GPIO chip (/dev/gpiochip*) on this machine\n");
    return DVR_TEST_SKIP;
  }

  g_test_add_func ("/indicator-gpio/bad-line", test_bad_line);
  g_test_add_data_func ("/indicator-gpio/line", GINT_TO_POINTER (FALSE), test_line);
  g_test_add_data_func ("/indicator-gpio/line-active-low", GINT_TO_POINTER (TRUE), test_line);
  return g_test_run ();
}
