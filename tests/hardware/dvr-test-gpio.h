/* Shared by the hardware suite's GPIO tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Messages starting with @prefix are printed instead of being fatal. */
void dvr_test_gpio_print_warnings (const gchar *prefix);
/* The first /dev/gpiochipN's name, or NULL. */
gchar *dvr_test_gpio_find_chip (void);
/* A line that is safe to use for @purpose ("drive as an output"): a
 * simulated chip's line 0, or DVR_TEST_GPIO_CHIP/DVR_TEST_GPIO_LINE; else
 * FALSE with @why. */
gboolean dvr_test_gpio_find_safe_line (const gchar *purpose, gchar **chip_out, guint *line_out,
                                       gchar **why);

G_END_DECLS
