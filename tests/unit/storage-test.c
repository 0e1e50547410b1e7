/* Unit: storage layout, names that are never reused, durable hand-over.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-storage.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

/* 2026-11-28T19:37:31.123Z */
#define T0 (G_GINT64_CONSTANT (1795894651) * DVR_NSEC_PER_SEC + 123 * DVR_NSEC_PER_MSEC)

static void
test_names (void)
{
  g_autofree gchar *path = dvr_storage_build_segment_path ("front", T0, 42, 17);
  gint64 run = 0;
  guint seq = 0;

  g_assert_cmpstr (path, ==, "front/2026-11-28/front-20261128T193731.123Z-r000042-000017.mkv");
  g_assert_true (dvr_storage_parse_segment_name (path, &run, &seq));
  g_assert_cmpint (run, ==, 42);
  g_assert_cmpuint (seq, ==, 17);
  /* A camera name may itself contain "Z-r". */
  {
    g_autofree gchar *odd = dvr_storage_build_segment_path ("z-r9", T0, 7, 3);
    g_assert_true (dvr_storage_parse_segment_name (odd, &run, &seq));
    g_assert_cmpint (run, ==, 7);
    g_assert_cmpuint (seq, ==, 3);
  }
  g_assert_false (dvr_storage_parse_segment_name ("front-20261128T193731.123Z-r000042-000017.mp4", NULL, NULL));
  g_assert_false (dvr_storage_parse_segment_name ("notes.mkv", NULL, NULL));
  g_assert_false (dvr_storage_parse_segment_name ("front-X-r-000017.mkv", NULL, NULL));
  g_assert_false (dvr_storage_parse_segment_name ("front-20261128T193731.123Z-r000042-17x.mkv", NULL, NULL));
}

static void
test_scan_max_run (void)
{
  g_autofree gchar *root = dvr_test_mkdtemp ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrStorage) storage = dvr_storage_new (root, &error);
  const gchar *files[] = {
    "front/2026-11-28/front-20261128T193731.123Z-r000041-000000.mkv",
    "front/2026-11-27/front-20261127T193731.123Z-r000007-000003.mkv",
    "rear/2026-11-28/rear-20261128T193731.123Z-r000040-000001.mkv",
    "rear/2026-11-28/unrelated-r999999.txt",
  };

  g_assert_no_error (error);
  g_assert_cmpint (dvr_storage_scan_max_run_id (storage, &error), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree gchar *path = g_build_filename (root, files[i], NULL);
    g_autofree gchar *folder = g_path_get_dirname (path);
    g_assert_true (dvr_mkdir_durable (folder, &error));
    g_assert_true (g_file_set_contents (path, "x", 1, &error));
  }
  g_assert_cmpint (dvr_storage_scan_max_run_id (storage, &error), ==, 41);
  g_assert_no_error (error);
  g_clear_pointer (&storage, dvr_storage_free);
  dvr_test_rmtree (root);
}

static void
test_day_folders (void)
{
  g_autofree gchar *root = dvr_test_mkdtemp ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrStorage) storage = dvr_storage_new (root, &error);
  g_autofree gchar *today = g_build_filename (root, "front", "2026-11-28", NULL);
  g_autofree gchar *tomorrow = g_build_filename (root, "front", "2026-11-29", NULL);

  g_assert_true (dvr_storage_ensure_day_folders (storage, "front", T0, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (today, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (tomorrow, G_FILE_TEST_IS_DIR));
  g_clear_pointer (&storage, dvr_storage_free);
  dvr_test_rmtree (root);
}

static void
test_missing_root (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrStorage) storage = dvr_storage_new ("/nonexistent/dvr-storage", &error);
  g_assert_null (storage);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dvr-storage"));
}

typedef struct {
  gchar *sha256;
  guint64 bytes;
  gboolean failed;
  gchar *message;
  guint calls;
  GThread *thread;
} Result;

static void
finalized_cb (const gchar *relpath, const gchar *sha256, guint64 bytes,
    const DvrMediaInfo *media, const GError *error, gpointer user_data)
{
  Result *r = user_data;
  r->calls++;
  r->thread = g_thread_self ();
  r->sha256 = g_strdup (sha256);
  r->bytes = bytes;
  r->failed = error != NULL;
  r->message = error ? g_strdup (error->message) : NULL;
}

static void
test_finalize (void)
{
  g_autofree gchar *root = dvr_test_mkdtemp ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrStorage) storage = dvr_storage_new (root, &error);
  g_autofree gchar *folder = g_build_filename (root, "front", "2026-11-28", NULL);
  g_autofree gchar *file = g_build_filename (folder, "a.mkv", NULL);
  Result ok = { 0, }, missing = { 0, };
  const gchar *data = "segment bytes";
  g_autofree gchar *expected = g_compute_checksum_for_string (G_CHECKSUM_SHA256, data, -1);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_true (dvr_mkdir_durable (folder, &error));
  g_assert_true (g_file_set_contents (file, data, -1, &error));
  dvr_storage_finalize_async (storage, "front/2026-11-28/a.mkv", FALSE, finalized_cb, &ok);
  dvr_storage_finalize_async (storage, "front/2026-11-28/gone.mkv", FALSE, finalized_cb, &missing);
  while ((ok.calls == 0 || missing.calls == 0) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (ok.calls, ==, 1);
  g_assert_false (ok.failed);
  g_assert_cmpstr (ok.sha256, ==, expected);
  g_assert_cmpuint (ok.bytes, ==, strlen (data));
  /* Callbacks come back on the thread that iterates the main context. */
  g_assert_true (ok.thread == g_thread_self ());
  g_assert_cmpuint (missing.calls, ==, 1);
  g_assert_true (missing.failed);
  g_assert_nonnull (strstr (missing.message, "gone.mkv"));
  g_free (ok.sha256);
  g_free (missing.message);
  g_clear_pointer (&storage, dvr_storage_free);
  dvr_test_rmtree (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage/names", test_names);
  g_test_add_func ("/storage/scan-max-run", test_scan_max_run);
  g_test_add_func ("/storage/day-folders", test_day_folders);
  g_test_add_func ("/storage/missing-root", test_missing_root);
  g_test_add_func ("/storage/finalize", test_finalize);
  return g_test_run ();
}
