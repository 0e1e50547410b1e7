/* Fuzzes the dvr-meta/1 sample parser of tools/dvr-track: read_sample(),
 * static in tools/dvr-track.c, so that file is compiled into the harness
 * (its main() renamed).  Each input is one JSON sample, as it comes out of
 * a segment's metadata track; what parses then goes through the public
 * writers (tools/dvr-tool-util.h) as dvr-track would use it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define main dvr_track_main
#include "../../tools/dvr-track.c"
#undef main

#include "fuzz.h"

static void
fuzz_one (const gchar *text, const Filter *filter, Command command)
{
  g_auto(Input) input = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stretches = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  input.reports = g_array_new (FALSE, TRUE, sizeof (DvrTrackReport));
  input.changes = g_ptr_array_new_with_free_func ((GDestroyNotify) signal_row_free);
  input.units = g_ptr_array_new_with_free_func (g_free);

  if (!read_sample (text, filter, command, &input, &error)) {
    g_assert (error != NULL);
    return;
  }
  g_assert (error == NULL);
  if (command == COMMAND_SIGNALS) {
    write_signals_csv (out, input.changes);
    write_signals_json (out, input.changes);
    return;
  }
  stretches = dvr_track_build_stretches (input.reports);
  dvr_track_count_points (stretches);
  dvr_track_write_gpx (out, stretches, "fuzz", "fuzz", "fuzz & <test>");
  dvr_track_write_geojson (out, stretches, "fuzz");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* read_sample() takes a NUL-terminated sample, as the demuxer gives it. */
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  const Filter all = { G_MININT64, G_MAXINT64, NULL };
  const Filter some = { 0, G_GINT64_CONSTANT (2000000000000000000), "front" };

  fuzz_one (text, &all, COMMAND_GPX);
  fuzz_one (text, &some, COMMAND_GPX);
  fuzz_one (text, &all, COMMAND_SIGNALS);
  return 0;
}
