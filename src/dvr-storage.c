/* dvr-storage: the layout of the storage root and the durable hand-over of
 * closed segment files.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-storage.h"
#include "dvr-utils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>



struct _DvrStorage {
  gchar *root;
  GMainContext *context;   /* where finalize callbacks run */
  GThreadPool *pool;       /* one thread: finalizations in order */
  DvrStorageIdleFunc after_finalize;
  gpointer after_finalize_data;
  gint checkpoint_queued;  /* atomic: one checkpoint job queued at most */
  GThreadPool *sync_pool;  /* one thread: periodic syncs of open segments */
  gint sync_queued;        /* atomic: one sync job queued at most */
  GHashTable *named;       /* sync thread only: relpaths whose name is durable */
  GMutex sync_failed_lock;
  GHashTable *sync_failed; /* relpath -> errno of a failed periodic fdatasync */
};

typedef struct {
  DvrStorage *storage;
  gboolean checkpoint_only; /* a dvr_storage_request_checkpoint() job */
  GPtrArray *delete_paths; /* a deletion job (then only func/user_data below) */
  GPtrArray *deleted;
  DvrStorageDeleteFunc delete_func;
  gchar *relpath;
  gchar *sha256;
  guint64 bytes;
  gboolean probe;
  DvrMediaInfo media;
  GError *error;
  DvrStorageFinalizeFunc func;
  gpointer user_data;
} FinalizeJob;

static void
finalize_job_free (FinalizeJob *job)
{
  g_clear_pointer (&job->delete_paths, g_ptr_array_unref);
  g_clear_pointer (&job->deleted, g_ptr_array_unref);
  g_free (job->relpath);
  g_free (job->sha256);
  g_clear_error (&job->error);
  g_free (job);
}

static gboolean
finalize_job_dispatch (gpointer data)
{
  FinalizeJob *job = data;
  if (job->delete_func != NULL) {
    job->delete_func (job->deleted, job->error, job->user_data);
    return G_SOURCE_REMOVE;
  }
  job->func (job->relpath, job->sha256, job->bytes, job->probe ? &job->media : NULL,
      job->error, job->user_data);
  return G_SOURCE_REMOVE;
}

/* Storage thread: FALSE with @error if a periodic sync of @relpath failed
 * while it was open (sync_job_run), and forgets it, so that a second
 * finalization of the file can succeed. */
static gboolean
check_sync_failure (DvrStorage *storage, const gchar *relpath, GError **error)
{
  gpointer value = NULL;
  gboolean failed;

  g_mutex_lock (&storage->sync_failed_lock);
  failed = g_hash_table_lookup_extended (storage->sync_failed, relpath, NULL, &value);
  if (failed)
    g_hash_table_remove (storage->sync_failed, relpath);
  g_mutex_unlock (&storage->sync_failed_lock);
  if (failed) {
    int e = GPOINTER_TO_INT (value);
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
        "fdatasync while it was written: %s (what it held then may not be on the medium)",
        g_strerror (e));
  }
  return !failed;
}

/* Storage thread.  The order is the storage invariant: the file's data is
 * on the medium, then its directory entry, and only then does the main loop
 * hear of it and write the catalog row. */
static void
finalize_job_run (gpointer data, gpointer pool_data)
{
  FinalizeJob *job = data;
  DvrStorage *storage = pool_data;
  g_autofree gchar *path = NULL;
  g_autofree gchar *folder = NULL;
  g_autoptr (GError) sync_error = NULL;
  gboolean sync_ok;

  if (job->checkpoint_only) {
    g_atomic_int_set (&storage->checkpoint_queued, 0);
    if (storage->after_finalize != NULL)
      storage->after_finalize (storage->after_finalize_data);
    finalize_job_free (job);
    return;
  }
  if (job->delete_paths != NULL) {
    job->deleted = dvr_storage_delete (storage, job->delete_paths, &job->error);
    g_main_context_invoke_full (storage->context, G_PRIORITY_DEFAULT,
        finalize_job_dispatch, job, (GDestroyNotify) finalize_job_free);
    return;
  }
  path = g_build_filename (storage->root, job->relpath, NULL);
  folder = g_path_get_dirname (path);
  /* Taken at every try: a failure fails this one, however it goes, and
   * not the next. */
  sync_ok = check_sync_failure (storage, job->relpath, &sync_error);
  if (!dvr_file_hash_and_sync (path, &job->sha256, &job->bytes, &job->error) ||
      !dvr_fsync_directory (folder, &job->error) ||
      (job->probe && !dvr_media_probe_segment (path, &job->media, &job->error))) {
    g_prefix_error (&job->error, "finalize %s: ", job->relpath);
  } else if (!sync_ok) {
    g_propagate_prefixed_error (&job->error, g_steal_pointer (&sync_error), "finalize %s: ",
        job->relpath);
  } else if (storage->after_finalize != NULL) {
    storage->after_finalize (storage->after_finalize_data);
  }
  g_main_context_invoke_full (storage->context, G_PRIORITY_DEFAULT,
      finalize_job_dispatch, job, (GDestroyNotify) finalize_job_free);
}

/* Sync thread: what the muxer wrote so far reaches the medium, and the
 * first time for a file its directory entry too, so that a power loss
 * costs at most the time since the last of these (docs/storage.md). */
static void
sync_job_run (gpointer data, gpointer pool_data)
{
  GPtrArray *relpaths = data;
  DvrStorage *storage = pool_data;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_atomic_int_set (&storage->sync_queued, 0);
  for (guint i = 0; i < relpaths->len; i++) {
    const gchar *relpath = g_ptr_array_index (relpaths, i);
    g_autofree gchar *path = g_build_filename (storage->root, relpath, NULL);
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    g_hash_table_add (seen, (gpointer) relpath);
    if (fd < 0)
      continue;   /* closed and renamed meanwhile, or not yet there */
    /* Linux reports a writeback error to each open file once, and this
     * fd took it: the finalization's own fdatasync, on a later fd, would
     * succeed as if the data were safe.  Kept for the finalization. */
    if (fdatasync (fd) < 0) {
      int e = errno;
      g_mutex_lock (&storage->sync_failed_lock);
      g_hash_table_insert (storage->sync_failed, g_strdup (relpath), GINT_TO_POINTER (e));
      g_mutex_unlock (&storage->sync_failed_lock);
    }
    close (fd);
    if (!g_hash_table_contains (storage->named, relpath)) {
      g_autofree gchar *folder = g_path_get_dirname (path);
      if (dvr_fsync_directory (folder, NULL))
        g_hash_table_add (storage->named, g_strdup (relpath));
    }
  }
  /* Files no longer open: finalization syncs them from here on. */
  {
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init (&iter, storage->named);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_hash_table_contains (seen, key))
        g_hash_table_iter_remove (&iter);
  }
  g_ptr_array_unref (relpaths);
}

void
dvr_storage_sync_open (DvrStorage *storage, GPtrArray *relpaths)
{
  if (!g_atomic_int_compare_and_exchange (&storage->sync_queued, 0, 1))
    return;   /* the last one is still running: the disk is slow enough */
  g_thread_pool_push (storage->sync_pool, g_ptr_array_ref (relpaths), NULL);
}

DvrStorage *
dvr_storage_new (const gchar *root, GError **error)
{
  g_autoptr (DvrStorage) storage = g_new0 (DvrStorage, 1);

  if (!g_file_test (root, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "storage %s: not an existing folder", root);
    return NULL;
  }
  if (access (root, W_OK | X_OK) < 0) {
    dvr_set_error_from_errno (error, errno, "storage", root);
    return NULL;
  }
  storage->root = g_canonicalize_filename (root, NULL);
  storage->context = g_main_context_ref_thread_default ();
  storage->pool = g_thread_pool_new (finalize_job_run, storage, 1, TRUE, error);
  if (storage->pool == NULL)
    return NULL;
  storage->named = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_mutex_init (&storage->sync_failed_lock);
  storage->sync_failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  storage->sync_pool = g_thread_pool_new (sync_job_run, storage, 1, TRUE, error);
  if (storage->sync_pool == NULL)
    return NULL;
  return g_steal_pointer (&storage);
}

void
dvr_storage_free (DvrStorage *storage)
{
  if (storage == NULL)
    return;
  if (storage->sync_pool != NULL)
    g_thread_pool_free (storage->sync_pool, FALSE, TRUE);
  g_clear_pointer (&storage->named, g_hash_table_unref);
  if (storage->pool != NULL)
    g_thread_pool_free (storage->pool, FALSE, TRUE);
  if (storage->sync_failed != NULL) {
    g_hash_table_unref (storage->sync_failed);
    g_mutex_clear (&storage->sync_failed_lock);
  }
  if (storage->context != NULL)
    g_main_context_unref (storage->context);
  g_free (storage->root);
  g_free (storage);
}

const gchar *
dvr_storage_get_root (DvrStorage *storage)
{
  return storage->root;
}

gchar *
dvr_storage_get_catalog_path (DvrStorage *storage)
{
  return g_build_filename (storage->root, DVR_STORAGE_CATALOG_NAME, NULL);
}

gchar *
dvr_storage_build_segment_path (const gchar *camera, gint64 start_utc_ns,
    gint64 run_id, guint seq)
{
  g_autofree gchar *day = dvr_utc_format_day (start_utc_ns);
  g_autofree gchar *stamp = dvr_utc_format_compact (start_utc_ns);
  g_autofree gchar *base = g_strdup_printf ("%s-%s-r%06" G_GINT64_FORMAT "-%06u%s",
      camera, stamp, run_id, seq, DVR_STORAGE_SEGMENT_SUFFIX);
  return g_build_filename (camera, day, base, NULL);
}

gboolean
dvr_storage_parse_segment_name (const gchar *name, gint64 *run_id, guint *seq)
{
  const gchar *r;
  gchar *end = NULL;
  guint64 run, number;

  if (!g_str_has_suffix (name, DVR_STORAGE_SEGMENT_SUFFIX))
    return FALSE;
  /* CAMERA-STAMPZ-rRUN-SEQ.mkv: the run follows the last "Z-r". */
  r = g_strrstr (name, "Z-r");
  if (r == NULL)
    return FALSE;
  run = g_ascii_strtoull (r + 3, &end, 10);
  if (end == r + 3 || *end != '-' || run == 0 || run > G_MAXINT64)
    return FALSE;
  r = end + 1;
  number = g_ascii_strtoull (r, &end, 10);
  if (end == r || !g_str_equal (end, DVR_STORAGE_SEGMENT_SUFFIX) || number > G_MAXUINT)
    return FALSE;
  if (run_id != NULL)
    *run_id = (gint64) run;
  if (seq != NULL)
    *seq = (guint) number;
  return TRUE;
}

static gboolean
scan_folder (const gchar *path, guint depth, gint64 *max_run, GError **error)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, error);
  const gchar *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);
    if (depth < 2) {
      if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
          !scan_folder (child, depth + 1, max_run, error))
        return FALSE;
    } else {
      gint64 run = 0;
      if (dvr_storage_parse_segment_name (name, &run, NULL))
        *max_run = MAX (*max_run, run);
    }
  }
  return TRUE;
}

gint64
dvr_storage_scan_max_run_id (DvrStorage *storage, GError **error)
{
  gint64 max_run = 0;
  if (!scan_folder (storage->root, 0, &max_run, error)) {
    g_prefix_error (error, "scan %s: ", storage->root);
    return -1;
  }
  return max_run;
}

gboolean
dvr_storage_ensure_day_folders (DvrStorage *storage, const gchar *camera,
    gint64 utc_ns, GError **error)
{
  for (guint i = 0; i < 2; i++) {
    g_autofree gchar *day = dvr_utc_format_day (utc_ns + i * 24 * 3600 * DVR_NSEC_PER_SEC);
    g_autofree gchar *path = g_build_filename (storage->root, camera, day, NULL);
    if (!dvr_mkdir_durable (path, error))
      return FALSE;
  }
  return TRUE;
}

void
dvr_storage_finalize_async (DvrStorage *storage, const gchar *relpath,
    gboolean probe, DvrStorageFinalizeFunc func, gpointer user_data)
{
  FinalizeJob *job = g_new0 (FinalizeJob, 1);
  job->probe = probe;
  job->storage = storage;
  job->relpath = g_strdup (relpath);
  job->func = func;
  job->user_data = user_data;
  g_thread_pool_push (storage->pool, job, NULL);
}

void
dvr_storage_set_after_finalize (DvrStorage *storage, DvrStorageIdleFunc func,
    gpointer user_data)
{
  storage->after_finalize = func;
  storage->after_finalize_data = user_data;
}

/* A path we may delete: relative, inside the root, no "..". */
static gboolean
storage_path_is_safe (const gchar *relpath)
{
  g_auto (GStrv) parts = NULL;

  if (relpath == NULL || *relpath == '\0' || g_path_is_absolute (relpath))
    return FALSE;
  parts = g_strsplit (relpath, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    if (g_str_equal (parts[i], "..") || g_str_equal (parts[i], "."))
      return FALSE;
  }
  return TRUE;
}

gboolean
dvr_storage_sync_catalog_file (const gchar *root, GError **error)
{
  g_autofree gchar *database = g_build_filename (root, DVR_STORAGE_CATALOG_NAME, NULL);
  g_autofree gchar *wal = g_strconcat (database, "-wal", NULL);
  const gchar *path = wal;
  dvr_autofd fd = open (wal, O_RDONLY | O_CLOEXEC);

  if (fd < 0 && errno == ENOENT) {
    path = database;
    fd = open (database, O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0)
    return dvr_set_error_from_errno (error, errno, "open", path);
  if (fdatasync (fd) < 0)
    return dvr_set_error_from_errno (error, errno, "fdatasync", path);
  return TRUE;
}

GPtrArray *
dvr_storage_delete (DvrStorage *storage, GPtrArray *relpaths, GError **error)
{
  g_autoptr (GPtrArray) unlinked = g_ptr_array_new ();
  g_autoptr (GPtrArray) deleted = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) failed_folders = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer folder;

  /* The garbage and audit rows of these deletions were committed on the
   * main loop, but with synchronous=NORMAL they are on the medium only once
   * the WAL is synced: before any unlink, or a power loss could keep the
   * unlink and lose the rows (a catalogued segment without its file, and no
   * record of its deletion; found by tests/powerloss/torture-test.c). */
  if (relpaths->len > 0 && !dvr_storage_sync_catalog_file (storage->root, error))
    return g_steal_pointer (&deleted);

  for (guint i = 0; i < relpaths->len; i++) {
    const gchar *relpath = g_ptr_array_index (relpaths, i);
    g_autofree gchar *path = NULL;

    if (!storage_path_is_safe (relpath)) {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
            "delete %s: not a path inside the storage", relpath);
      continue;
    }
    path = g_build_filename (storage->root, relpath, NULL);
    /* Gone already (a crash after the unlink, before the row was dropped)
     * counts as deleted. */
    if (unlink (path) < 0 && errno != ENOENT) {
      int e = errno;
      if (error != NULL && *error == NULL)
        dvr_set_error_from_errno (error, e, "delete", path);
      continue;
    }
    g_ptr_array_add (unlinked, (gpointer) relpath);
    g_hash_table_add (folders, g_path_get_dirname (path));
  }
  /* The unlinks are durable (and, on ext4, their blocks free) once each
   * folder is synced; only then may the garbage rows go. */
  g_hash_table_iter_init (&iter, folders);
  while (g_hash_table_iter_next (&iter, &folder, NULL)) {
    g_autoptr (GError) local_error = NULL;
    if (!dvr_fsync_directory (folder, &local_error) && !g_error_matches (local_error,
            G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
      g_hash_table_add (failed_folders, folder);
      if (error != NULL && *error == NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
    }
  }
  for (guint i = 0; i < unlinked->len; i++) {
    const gchar *relpath = g_ptr_array_index (unlinked, i);
    g_autofree gchar *path = g_build_filename (storage->root, relpath, NULL);
    g_autofree gchar *parent = g_path_get_dirname (path);
    if (!g_hash_table_contains (failed_folders, parent))
      g_ptr_array_add (deleted, g_strdup (relpath));
  }
  return g_steal_pointer (&deleted);
}

void
dvr_storage_delete_async (DvrStorage *storage, GPtrArray *relpaths,
    DvrStorageDeleteFunc func, gpointer user_data)
{
  FinalizeJob *job = g_new0 (FinalizeJob, 1);
  job->storage = storage;
  job->delete_paths = g_ptr_array_ref (relpaths);
  job->delete_func = func;
  job->user_data = user_data;
  g_thread_pool_push (storage->pool, job, NULL);
}

void
dvr_storage_request_checkpoint (DvrStorage *storage)
{
  FinalizeJob *job;

  if (!g_atomic_int_compare_and_exchange (&storage->checkpoint_queued, 0, 1))
    return;
  job = g_new0 (FinalizeJob, 1);
  job->storage = storage;
  job->checkpoint_only = TRUE;
  g_thread_pool_push (storage->pool, job, NULL);
}
