/* A small deterministic driver for the libFuzzer harnesses, for builds
 * without libFuzzer (the default gcc build): feeds every corpus file, then
 * simple mutations of them (bit flips, byte changes, truncations, splices)
 * from a fixed seed, until an iteration count or a time budget runs out.
 * meson test runs it as the "fuzz" suite; real fuzzing is docs/testing.md.
 *
 *   fuzz-NAME-standalone [--seconds S] [--iterations N] [--seed X] PATH...
 *
 * PATH is a corpus directory or a file.  An input that fails is written to
 * ./fuzz-crash-NAME before it runs, so a crash leaves its reproducer; a
 * real libFuzzer build runs it with `fuzz-NAME FILE`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "fuzz.h"

/* The largest input a mutation may make: libFuzzer's default -max_len is
 * 4096 too, and the harnesses stay fast with it. */
#define MAX_MUTANT 65536

static guint64 rng_state;

static guint64
rng_next (void)
{
  /* xorshift64*: fixed seed, same mutations on every run. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * G_GUINT64_CONSTANT (2685821657736338717);
}

static gsize
rng_below (gsize n)
{
  return n == 0 ? 0 : rng_next () % n;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

static void
add_path (GPtrArray *inputs, const gchar *path)
{
  g_autoptr(GError) error = NULL;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    const gchar *name;

    if (dir == NULL)
      g_error ("%s", error->message);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
    /* Directory order is not stable; the mutation sequence must be. */
    g_ptr_array_sort (names, compare_names);
    for (guint i = 0; i < names->len; i++)
      add_path (inputs, g_ptr_array_index (names, i));
  } else {
    gchar *contents;
    gsize length;

    if (!g_file_get_contents (path, &contents, &length, &error))
      g_error ("%s", error->message);
    g_ptr_array_add (inputs, g_bytes_new_take (contents, length));
  }
}

static GByteArray *
mutate (GPtrArray *inputs)
{
  GBytes *base = g_ptr_array_index (inputs, rng_below (inputs->len));
  gsize length;
  const guint8 *data = g_bytes_get_data (base, &length);
  GByteArray *out = g_byte_array_sized_new (length + 16);
  guint rounds = 1 + rng_below (4);

  g_byte_array_append (out, data, length);
  for (guint r = 0; r < rounds; r++) {
    switch (rng_below (6)) {
      case 0: /* flip a bit */
        if (out->len > 0)
          out->data[rng_below (out->len)] ^= 1u << rng_below (8);
        break;
      case 1: /* set a byte, interesting values first */
        if (out->len > 0) {
          static const guint8 interesting[] = { 0, 0xff, 0x7f, 0x80, '\n', '"', '{', '[', '\\', '=' };
          out->data[rng_below (out->len)] = rng_below (2) ?
              interesting[rng_below (G_N_ELEMENTS (interesting))] : (guint8) rng_next ();
        }
        break;
      case 2: /* truncate */
        g_byte_array_set_size (out, rng_below (out->len + 1));
        break;
      case 3: { /* remove a range */
        gsize at = rng_below (out->len + 1);
        gsize n = rng_below (out->len - at + 1);
        g_byte_array_remove_range (out, at, n);
        break;
      }
      case 4: { /* splice a range of another input in */
        GBytes *other = g_ptr_array_index (inputs, rng_below (inputs->len));
        gsize other_length;
        const guint8 *other_data = g_bytes_get_data (other, &other_length);
        gsize from = rng_below (other_length + 1);
        gsize n = MIN (rng_below (other_length - from + 1), MAX_MUTANT - MIN (out->len, MAX_MUTANT));
        gsize at = rng_below (out->len + 1);
        g_autoptr(GByteArray) tail = g_byte_array_new ();

        g_byte_array_append (tail, out->data + at, out->len - at);
        g_byte_array_set_size (out, at);
        g_byte_array_append (out, other_data + from, n);
        g_byte_array_append (out, tail->data, tail->len);
        break;
      }
      default: /* duplicate a range */
        if (out->len > 0 && out->len < MAX_MUTANT) {
          gsize at = rng_below (out->len);
          gsize n = MIN (rng_below (out->len - at) + 1, MAX_MUTANT - out->len);
          g_autoptr(GByteArray) copy = g_byte_array_new ();

          g_byte_array_append (copy, out->data + at, n);
          g_byte_array_append (out, copy->data, copy->len);
        }
        break;
    }
  }
  return out;
}

static void
run_one (const gchar *crash_path, const guint8 *data, gsize length)
{
  g_autoptr(GError) error = NULL;

  /* Written first: if the harness aborts, the input is on disk. */
  if (!g_file_set_contents_full (crash_path, (const gchar *) data, length,
          G_FILE_SET_CONTENTS_NONE, 0644, &error))
    g_error ("%s", error->message);
  LLVMFuzzerTestOneInput (data, length);
}

int
main (int argc, char **argv)
{
  gdouble seconds = 5.0;
  gint64 iterations = 100000;
  gint64 seed = 8;
  g_auto(GStrv) paths = NULL;
  GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Time budget for mutations (default 5)", "S" },
    { "iterations", 0, 0, G_OPTION_ARG_INT64, &iterations, "At most this many mutations (default 100000)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Mutation seed (default 8)", "X" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, "PATH..." },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- run a fuzz harness on a corpus");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree gchar *basename = g_path_get_basename (argv[0]);
  g_autofree gchar *crash_path = g_strdup_printf ("fuzz-crash-%s", basename);
  gint64 deadline;
  gint64 done = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || paths == NULL) {
    g_printerr ("%s: %s\n", basename, error ? error->message : "no corpus given");
    return 2;
  }
  for (guint i = 0; paths[i] != NULL; i++)
    add_path (inputs, paths[i]);
  if (inputs->len == 0) {
    g_printerr ("%s: empty corpus\n", basename);
    return 1;
  }

  for (guint i = 0; i < inputs->len; i++) {
    gsize length;
    const guint8 *data = g_bytes_get_data (g_ptr_array_index (inputs, i), &length);
    run_one (crash_path, data, length);
  }

  rng_state = (guint64) seed * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) | 1;
  deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (done < iterations && g_get_monotonic_time () < deadline) {
    g_autoptr(GByteArray) mutant = mutate (inputs);
    run_one (crash_path, mutant->data, mutant->len);
    done++;
  }
  g_unlink (crash_path);
  g_print ("%s: %u corpus inputs, %" G_GINT64_FORMAT " mutations (seed %" G_GINT64_FORMAT "), no failure\n",
      basename, inputs->len, done, seed);
  return 0;
}
