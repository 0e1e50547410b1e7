/* dvr-test-powerfs: see dvr-test-powerfs.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "dvr-test-powerfs.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Mounted: the mount point is on another device than its parent. */
static gboolean
is_mounted (const gchar *mount_point)
{
  g_autofree gchar *parent = g_path_get_dirname (mount_point);
  struct stat a, b;

  return stat (mount_point, &a) == 0 && stat (parent, &b) == 0 && a.st_dev != b.st_dev;
}

static gboolean
run_quiet (const gchar * const *argv, GError **error)
{
  g_autofree gchar *err = NULL;
  gint status;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
          NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0],
        err != NULL ? g_strstrip (err) : "");
    return FALSE;
  }
  return TRUE;
}

gboolean
dvr_test_powerfs_mount (DvrTestPowerfs *fs, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  const gchar *argv[] = { fs->program, fs->backing, fs->mount_point, "-f", NULL };

  g_return_val_if_fail (fs->process == NULL, FALSE);
  g_subprocess_launcher_set_stderr_file_path (launcher, fs->log_path);
  fs->process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (fs->process == NULL)
    return FALSE;
  for (guint i = 0; i < 200; i++) {
    if (is_mounted (fs->mount_point))
      return TRUE;
    if (g_subprocess_get_identifier (fs->process) == NULL)
      break; /* exited: refused */
    g_usleep (25000);
  }
  {
    g_autofree gchar *log = NULL;
    g_file_get_contents (fs->log_path, &log, NULL, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "dvr-powerfs did not mount %s: %s",
        fs->mount_point, log != NULL ? g_strstrip (log) : "");
  }
  g_subprocess_force_exit (fs->process);
  g_subprocess_wait (fs->process, NULL, NULL);
  g_clear_object (&fs->process);
  return FALSE;
}

DvrTestPowerfs *
dvr_test_powerfs_new (const gchar *backing, const gchar *mount_point, GError **error)
{
  g_autoptr (DvrTestPowerfs) fs = g_new0 (DvrTestPowerfs, 1);
  g_autofree gchar *fusermount = g_find_program_in_path ("fusermount3");
  const gchar *program = g_getenv ("DVR_POWERFS");

  if (program == NULL || !g_file_test (program, G_FILE_TEST_IS_EXECUTABLE)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "DVR_POWERFS is not set (dvr-powerfs is built only with libfuse3-dev)");
    return NULL;
  }
  if (!g_file_test ("/dev/fuse", G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no /dev/fuse on this machine");
    return NULL;
  }
  if (fusermount == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "no fusermount3 (Debian package fuse3)");
    return NULL;
  }
  fs->program = g_strdup (program);
  fs->backing = g_strdup (backing);
  fs->mount_point = g_strdup (mount_point);
  fs->log_path = g_strconcat (mount_point, ".log", NULL);
  if (g_mkdir_with_parents (backing, 0755) < 0 || g_mkdir_with_parents (mount_point, 0755) < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "mkdir %s: %s", mount_point,
        g_strerror (e));
    return NULL;
  }
  if (!dvr_test_powerfs_mount (fs, error)) {
    /* The first mount failing is this machine refusing FUSE mounts. */
    (*error)->domain = G_IO_ERROR;
    (*error)->code = G_IO_ERROR_NOT_SUPPORTED;
    return NULL;
  }
  return g_steal_pointer (&fs);
}

gboolean
dvr_test_powerfs_crash (DvrTestPowerfs *fs, GError **error)
{
  if (setxattr (fs->mount_point, "user.dvr-powerfs.crash", "1", 1, 0) < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "crash %s: %s", fs->mount_point,
        g_strerror (e));
    return FALSE;
  }
  return TRUE;
}

gboolean
dvr_test_powerfs_unmount (DvrTestPowerfs *fs, GError **error)
{
  const gchar *argv[] = { "fusermount3", "-u", fs->mount_point, NULL };
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (fs->process == NULL)
    return TRUE;
  if (!run_quiet (argv, error))
    return FALSE;
  while (g_get_monotonic_time () < deadline) {
    if (g_subprocess_get_identifier (fs->process) == NULL) {
      g_clear_object (&fs->process);
      return TRUE;
    }
    g_usleep (20000);
    g_main_context_iteration (NULL, FALSE);
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "dvr-powerfs did not exit after the "
      "unmount of %s", fs->mount_point);
  return FALSE;
}

GPid
dvr_test_powerfs_get_pid (DvrTestPowerfs *fs)
{
  const gchar *id = fs->process != NULL ? g_subprocess_get_identifier (fs->process) : NULL;
  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

void
dvr_test_powerfs_free (DvrTestPowerfs *fs)
{
  if (fs == NULL)
    return;
  if (fs->process != NULL) {
    const gchar *argv[] = { "fusermount3", "-u", "-z", fs->mount_point, NULL };
    run_quiet (argv, NULL);
    g_subprocess_force_exit (fs->process);
    g_subprocess_wait (fs->process, NULL, NULL);
    g_clear_object (&fs->process);
  }
  g_free (fs->program);
  g_free (fs->backing);
  g_free (fs->mount_point);
  g_free (fs->log_path);
  g_free (fs);
}
