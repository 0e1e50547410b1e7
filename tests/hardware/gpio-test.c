/* gpio-test: the GPIO input backend's libgpiod calls (src/dvr-input-gpio.c)
 * on a real GPIO chip.
 *
 * Needs a GPIO chip: without any /dev/gpiochip* it exits 77 (skipped) and
 * says so.  It never drives a line: it only requests lines as inputs, and
 * only lines that are safe to request:
 *   - an offset past the chip's last line (the request fails before any
 *     line is touched: the error path, on every machine with a chip);
 *   - line 0 of a simulated chip (gpio-sim, gpio-mockup), or the line named
 *     by DVR_TEST_GPIO_CHIP and DVR_TEST_GPIO_LINE (a bench line that is
 *     safe to turn into an input); otherwise that case is skipped and says
 *     why.
 * The debounce, polarity and press logic is tested against a fake clock
 * in tests/unit/input-logic-test.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-inputs.h"
#include "dvr-test-util.h"
#include "dvr-test-gpio.h"

#include <gpiod.h>
#include <string.h>

static DvrConfig *
load_config (const gchar *storage, const gchar *chip, guint line)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = g_strdup_printf (
      "[recorder]\nstorage = %s\n[camera c]\nsource = test\n"
      "[signal pin]\nsource = gpio\nchip = %s\nline = %u\ndebounce = 0\n",
      storage, chip, line);
  DvrConfig *config = dvr_config_load_data (text, strlen (text), "gpio-test.conf", &error);

  g_assert_no_error (error);
  return config;
}

static JsonObject *
get_status (DvrInputs *inputs)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonArray *array;

  json_builder_begin_object (builder);
  dvr_inputs_build_status (inputs, builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  array = json_object_get_array_member (json_node_get_object (root), "inputs");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  return json_object_ref (json_array_get_object_element (array, 0));
}

/* A line past the chip's last: refused, shown, never fatal. */
static void
test_gpio_bad_line (void)
{
  g_autofree gchar *folder = dvr_test_mkdtemp ();
  g_autofree gchar *chip_name = dvr_test_gpio_find_chip ();
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(DvrInputs) inputs = NULL;
  g_autoptr(JsonObject) status = NULL;
  struct gpiod_chip *chip = gpiod_chip_open_lookup (chip_name);
  guint lines;
  gboolean value;

  g_assert_nonnull (chip);
  lines = gpiod_chip_num_lines (chip);
  gpiod_chip_close (chip);

  config = load_config (folder, chip_name, lines);
  inputs = dvr_inputs_new (config, NULL, NULL, NULL);
  dvr_inputs_start (inputs);
  status = get_status (inputs);
  g_assert_cmpstr (json_object_get_string_member (status, "source"), ==, "gpio");
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "error");
  g_assert_nonnull (strstr (json_object_get_string_member (status, "error"), "line"));
  g_assert_false (dvr_inputs_get_value (inputs, "pin", &value));
  g_clear_pointer (&inputs, dvr_inputs_free);
  dvr_test_rmtree (folder);
}

/* A real line: opened as consumer "dvrd", its level read, released at the
 * end. */
static void
test_gpio_line (void)
{
  g_autofree gchar *folder = NULL;
  g_autofree gchar *chip_name = NULL;
  g_autofree gchar *why = NULL;
  g_autoptr(DvrConfig) config = NULL;
  g_autoptr(DvrInputs) inputs = NULL;
  g_autoptr(JsonObject) status = NULL;
  struct gpiod_chip *chip;
  struct gpiod_line *line;
  guint offset;
  gboolean value;

  if (!dvr_test_gpio_find_safe_line ("request as an input", &chip_name, &offset, &why)) {
    g_test_skip (why);
    return;
  }
  folder = dvr_test_mkdtemp ();
  config = load_config (folder, chip_name, offset);
  inputs = dvr_inputs_new (config, NULL, NULL, NULL);
  dvr_inputs_start (inputs);
  status = get_status (inputs);
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "open");
  g_assert_false (json_object_get_null_member (status, "value"));
  g_assert_true (dvr_inputs_get_value (inputs, "pin", &value));

  chip = gpiod_chip_open_lookup (chip_name);
  g_assert_nonnull (chip);
  line = gpiod_chip_get_line (chip, offset);
  g_assert_nonnull (line);
  g_assert_cmpint (gpiod_line_update (line), ==, 0);
  g_assert_cmpstr (gpiod_line_consumer (line), ==, "dvrd");
  g_assert_cmpint (gpiod_line_direction (line), ==, GPIOD_LINE_DIRECTION_INPUT);

  g_clear_pointer (&inputs, dvr_inputs_free);
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
  dvr_test_gpio_print_warnings ("inputs: ");

  chip = dvr_test_gpio_find_chip ();
  if (chip == NULL) {
    g_printerr ("SKIP: no GPIO chip (/dev/gpiochip*) on this machine: the libgpiod calls of "
                "the GPIO input backend need one (a board's, gpio-sim or gpio-mockup)\n");
    g_print ("# SKIP no GPIO chip (/dev/gpiochip*) on this machine\n");
    return DVR_TEST_SKIP;
  }

  g_test_add_func ("/gpio/bad-line", test_gpio_bad_line);
  g_test_add_func ("/gpio/line", test_gpio_line);
  return g_test_run ();
}
