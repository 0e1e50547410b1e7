/* dvr-test-powerfs: mounts, crashes and remounts dvr-powerfs (README.md
 * here) for the tests that need a power loss.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gchar *program;       /* $DVR_POWERFS */
  gchar *backing;
  gchar *mount_point;
  gchar *log_path;      /* the daemon's stderr, appended to at each mount */
  GSubprocess *process; /* NULL while unmounted */
} DvrTestPowerfs;

/* Mounts dvr-powerfs over @backing (made if missing) at @mount_point (made
 * if missing).  NULL with G_IO_ERROR_NOT_SUPPORTED when this machine cannot
 * (no $DVR_POWERFS, no /dev/fuse, no fusermount3, the mount refused): the
 * test then exits 77 with the message.  Other errors: G_IO_ERROR_FAILED. */
DvrTestPowerfs *dvr_test_powerfs_new (const gchar *backing, const gchar *mount_point,
                                      GError **error);
/* Mounts again after dvr_test_powerfs_unmount(): power on. */
gboolean dvr_test_powerfs_mount (DvrTestPowerfs *fs, GError **error);
/* The simulated power loss: everything not synced is thrown away and the
 * mount fails every call with EIO from now on.  Synchronous. */
gboolean dvr_test_powerfs_crash (DvrTestPowerfs *fs, GError **error);
/* fusermount3 -u, then waits for the daemon (up to 10 s).  Every process
 * using the mount must be gone. */
gboolean dvr_test_powerfs_unmount (DvrTestPowerfs *fs, GError **error);
/* The daemon's pid, or 0 while unmounted (for a signal handler's cleanup). */
GPid dvr_test_powerfs_get_pid (DvrTestPowerfs *fs);
/* Unmounts (lazily if busy) and frees. */
void dvr_test_powerfs_free (DvrTestPowerfs *fs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrTestPowerfs, dvr_test_powerfs_free)

G_END_DECLS
