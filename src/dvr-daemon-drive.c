/* dvr-daemon-drive: the removable drive, the internal fallback folder, and
 * moving between them (docs/drive.md).
 *
 *   mount watch + 500 ms check + 1 s write probe -> drive lost / drive found
 *     -> cameras stop (segments finalized) -> old volume closed
 *     -> new volume current -> cameras start
 *   drive found again -> fallback recordings copied, verified, catalogued
 *     on the drive, then deleted from the fallback (dvr-catalog-merge.h)
 *   dvrctl eject -> the same change to the fallback, then the drive's last
 *     rows, its catalog closed, synced, unmounted: "safe to remove"
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-daemon-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dvr-catalog-merge.h"
#include "dvr-recovery.h"
#include "dvr-utils.h"

/* How often dvrd looks at the mount point (a statx, cheap).  With the
 * probe's timeout this keeps "drive gone" to alarm under 2 s. */
#define DRIVE_CHECK_INTERVAL_MS 250
/* A small synchronous write onto the drive this often: the page cache
 * hides a dead drive from the cameras' writes until their segment closes. */
#define PROBE_INTERVAL_MS 1000
#define PROBE_TIMEOUT_MS 1500
#define PROBE_NAME ".dvr-probe"
/* An eject waits this long for segments still being made durable. */
#define EJECT_WAIT_MS 15000
#define COPY_BUFFER_BYTES (1024 * 1024)

#define MIB(b) ((double) (b) / (1024.0 * 1024.0))

const gchar *
dvr_drive_state_to_string (DvrDriveState state)
{
  switch (state) {
    case DVR_DRIVE_STATE_PRESENT: return "present";
    case DVR_DRIVE_STATE_ABSENT: return "absent";
    case DVR_DRIVE_STATE_FAILED: return "failed";
    case DVR_DRIVE_STATE_FOREIGN: return "refused";
    case DVR_DRIVE_STATE_EJECTING: return "ejecting";
    case DVR_DRIVE_STATE_EJECTED: return "ejected";
  }
  return "unknown";
}

/* ---- volumes ---- */

DvrVolume *
dvr_volume_ref (DvrVolume *volume)
{
  g_atomic_int_inc (&volume->ref_count);
  return volume;
}

static void
checkpoint_volume_cb (gpointer user_data)
{
  DvrVolume *volume = user_data;
  g_autoptr (GError) error = NULL;

  if (volume->failed)
    return;
  if (!dvr_catalog_checkpoint (volume->checkpoint_catalog, &error))
    g_warning ("catalog checkpoint (%s): %s", volume->path, error->message);
}

void
dvr_volume_unref (DvrVolume *volume)
{
  if (volume == NULL || !g_atomic_int_dec_and_test (&volume->ref_count))
    return;
  /* Joins the storage thread before the catalog it checkpoints goes. */
  g_clear_pointer (&volume->storage, dvr_storage_free);
  g_clear_pointer (&volume->checkpoint_catalog, dvr_catalog_free);
  g_clear_pointer (&volume->catalog, dvr_catalog_free);
  g_clear_pointer (&volume->identity, dvr_drive_identity_free);
  if (volume->dirfd >= 0)
    close (volume->dirfd);
  g_free (volume->root);
  g_free (volume->path);
  g_free (volume);
}

/* The kernel's id of the mount @fd (or, with @path, the path) is on; 0 if
 * it cannot be had.  Unlike st_dev it changes when the same drive is
 * mounted again. */
static guint64
mount_id_at (int fd, const gchar *path)
{
  struct statx stx = { 0, };
  int flags = path == NULL ? AT_EMPTY_PATH : 0;

  if (statx (fd, path != NULL ? path : "", flags | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 ||
      !(stx.stx_mask & STATX_MNT_ID))
    return 0;
  return stx.stx_mnt_id;
}

static const gchar *
volume_config_path (DvrDaemon *daemon, DvrDriveRole role)
{
  return role == DVR_DRIVE_ROLE_DRIVE ? daemon->config->storage_root :
      daemon->config->fallback_root;
}

/* Opens the drive or the fallback.  With @record, as the volume to record
 * onto: initialised if new, a run begun, the cameras made known.  Without,
 * only if it is already one of ours (the fallback being emptied). */
static DvrVolume *
volume_open (DvrDaemon *daemon, DvrDriveRole role, gboolean record, GError **error)
{
  const gchar *path = volume_config_path (daemon, role);
  g_autoptr (DvrVolume) volume = g_new0 (DvrVolume, 1);
  g_autofree gchar *catalog_path = NULL;

  volume->ref_count = 1;
  volume->role = role;
  volume->dirfd = -1;
  volume->path = g_strdup (path);

  if (role == DVR_DRIVE_ROLE_FALLBACK && record && !dvr_mkdir_durable (path, error))
    return NULL;
  if (record && role == DVR_DRIVE_ROLE_DRIVE && !daemon->config->storage_removable)
    volume->identity = dvr_drive_adopt (path, daemon->config->unit_id, error);
  else if (record)
    volume->identity = dvr_drive_open (path, daemon->config->unit_id, role,
        role == DVR_DRIVE_ROLE_DRIVE && daemon->config->storage_removable, error);
  else
    volume->identity = dvr_drive_identity_load (path, error);
  if (volume->identity == NULL)
    return NULL;
  volume->dirfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (volume->dirfd < 0) {
    dvr_set_error_from_errno (error, errno, "open", path);
    return NULL;
  }
  volume->mount_id = mount_id_at (volume->dirfd, NULL);
  if (role == DVR_DRIVE_ROLE_DRIVE && daemon->config->storage_removable &&
      mount_id_at (AT_FDCWD, path) != volume->mount_id) {
    g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NOT_MOUNTED,
        "%s: the drive changed while it was being opened", path);
    return NULL;
  }
  /* Everything below goes through the folder as opened, never the path. */
  volume->root = g_strdup_printf ("/proc/self/fd/%d", volume->dirfd);
  volume->storage = dvr_storage_new (volume->root, error);
  if (volume->storage == NULL)
    return NULL;
  catalog_path = dvr_storage_get_catalog_path (volume->storage);
  if (!record && !g_file_test (catalog_path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NO_IDENTITY,
        "%s: no catalog", path);
    return NULL;
  }
  volume->catalog = dvr_catalog_open (catalog_path, FALSE, error);
  if (volume->catalog == NULL)
    return NULL;
  volume->checkpoint_catalog = dvr_catalog_open (catalog_path, FALSE, error);
  if (volume->checkpoint_catalog == NULL)
    return NULL;
  dvr_storage_set_after_finalize (volume->storage, checkpoint_volume_cb, volume);
  if (!record)
    return g_steal_pointer (&volume);

  {
    /* Segments left open by a kill or a power loss are catalogued before
     * the new run begins, so that their runs are known and the events
     * left running are ended over them (dvr_daemon_events_volume_opened). */
    DvrRecoverySummary recovery;
    if (!dvr_recovery_run (volume->root, volume->catalog, &recovery, error))
      return NULL;
  }
  {
    /* File names carry the run id; taking it above every run id on the
     * drive as well as in the catalog means no name is ever reused, even
     * if the catalog was lost. */
    gint64 max_file_run = dvr_storage_scan_max_run_id (volume->storage, error);
    if (max_file_run < 0)
      return NULL;
    /* Above every run this dvrd used on any volume too: segments moved
     * from the fallback onto the drive keep their names. */
    volume->run_id = dvr_catalog_begin_run (volume->catalog,
        MAX (max_file_run, daemon->max_run_id), dvr_utc_now_ns (), daemon->clock_source, error);
    if (volume->run_id == 0)
      return NULL;
    daemon->max_run_id = MAX (daemon->max_run_id, volume->run_id);
  }
  for (guint i = 0; i < daemon->config->cameras->len; i++) {
    const DvrCameraConfig *cam = g_ptr_array_index (daemon->config->cameras, i);
    if (!dvr_catalog_ensure_camera (volume->catalog, cam->name, cam->source, error))
      return NULL;
  }
  return g_steal_pointer (&volume);
}

static void
set_current (DvrDaemon *daemon, DvrVolume *volume)
{
  daemon->volume = volume;
  daemon->storage = volume->storage;
  daemon->catalog = volume->catalog;
  daemon->run_id = volume->run_id;
}

static void
set_state (DvrDaemon *daemon, DvrDriveState state, const gchar *problem)
{
  daemon->drive_state = state;
  daemon->drive_state_utc_ns = dvr_utc_now_ns ();
  g_free (daemon->drive_problem);
  daemon->drive_problem = g_strdup (problem);
}

/* The drive could not be used: why, in the state shown to the officer. */
static void
refuse_drive (DvrDaemon *daemon, const GError *error)
{
  DvrDriveState state = DVR_DRIVE_STATE_FAILED;

  if (error->domain == DVR_DRIVE_ERROR) {
    switch (error->code) {
      case DVR_DRIVE_ERROR_NOT_MOUNTED:
        state = DVR_DRIVE_STATE_ABSENT;
        break;
      case DVR_DRIVE_ERROR_FOREIGN:
      case DVR_DRIVE_ERROR_UNRECOGNISED:
      case DVR_DRIVE_ERROR_NEWER:
        state = DVR_DRIVE_STATE_FOREIGN;
        break;
      default:
        break;
    }
  }
  if (state == DVR_DRIVE_STATE_ABSENT)
    g_warning ("drive: ALARM no drive at %s%s", daemon->config->storage_root,
        daemon->config->fallback_root != NULL ? "; recording into the fallback" : "");
  else
    g_warning ("drive: ALARM %s%s", error->message,
        daemon->config->fallback_root != NULL ? "; recording into the fallback" : "");
  set_state (daemon, state, state == DVR_DRIVE_STATE_ABSENT ? NULL : error->message);
  daemon->refused_mount_id = state == DVR_DRIVE_STATE_ABSENT ? 0 :
      mount_id_at (AT_FDCWD, daemon->config->storage_root);
}

gboolean
dvr_daemon_drive_init (DvrDaemon *daemon, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  DvrVolume *volume;

  if (!daemon->config->storage_removable || daemon->config->fallback_root == NULL) {
    /* A fixed folder, or a drive without a fallback: it must be usable. */
    volume = volume_open (daemon, DVR_DRIVE_ROLE_DRIVE, TRUE, error);
    if (volume == NULL)
      return FALSE;
    set_state (daemon, DVR_DRIVE_STATE_PRESENT, NULL);
    set_current (daemon, volume);
    return TRUE;
  }
  volume = volume_open (daemon, DVR_DRIVE_ROLE_DRIVE, TRUE, &local_error);
  if (volume != NULL) {
    set_state (daemon, DVR_DRIVE_STATE_PRESENT, NULL);
  } else {
    refuse_drive (daemon, local_error);
    volume = volume_open (daemon, DVR_DRIVE_ROLE_FALLBACK, TRUE, error);
    if (volume == NULL) {
      g_prefix_error (error, "fallback: ");
      return FALSE;
    }
  }
  set_current (daemon, volume);
  return TRUE;
}

/* ---- changing volume ---- */

static void start_migration (DvrDaemon *daemon);
static void continue_eject (DvrDaemon *daemon);

static void
begin_switch (DvrDaemon *daemon, DvrVolume *next, const gchar *reason)
{
  g_return_if_fail (!daemon->switching);

  g_message ("drive: switching to %s %s (%s): finalizing the open segments",
      dvr_drive_role_to_string (next->role), next->path, reason);
  daemon->switching = TRUE;
  daemon->switch_started_utc_ns = dvr_utc_now_ns ();
  daemon->switch_to = next->role;
  g_free (daemon->switch_reason);
  daemon->switch_reason = g_strdup (reason);
  daemon->next_volume = next;
  for (guint i = 0; i < daemon->cameras->len; i++)
    dvr_pipeline_stop (((DvrCamera *) g_ptr_array_index (daemon->cameras, i))->pipeline);
  dvr_daemon_drive_camera_stopped (daemon);
}

void
dvr_daemon_drive_camera_stopped (DvrDaemon *daemon)
{
  DvrVolume *old = daemon->volume;
  DvrVolume *next;
  gint64 now = dvr_utc_now_ns ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *gap_reason = NULL;

  if (!daemon->switching)
    return;
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    if (dvr_pipeline_get_state (camera->pipeline) != DVR_PIPELINE_STATE_STOPPED)
      return;
  }
  next = g_steal_pointer (&daemon->next_volume);

  /* The old volume's last rows, if it still takes writes. */
  dvr_daemon_events_volume_closing (daemon);
  if (!old->failed) {
    dvr_daemon_close_open_gaps (daemon, now);
    dvr_daemon_flush_gps (daemon);
    dvr_daemon_save_counters (daemon);
    if (!dvr_catalog_end_run (old->catalog, old->run_id, now, &error)) {
      g_warning ("catalog: %s", error->message);
      g_clear_error (&error);
    }
    dvr_storage_request_checkpoint (old->storage);
  }
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    camera->open_gap_id = 0;
    camera->storage_stopped = FALSE;
  }
  old->closed = TRUE;

  set_current (daemon, next);
  daemon->switching = FALSE;
  if (!dvr_daemon_events_volume_opened (daemon, daemon->switch_reason, &error)) {
    g_warning ("drive: %s: %s", next->path, error->message);
    g_clear_error (&error);
  }
  gap_reason = g_strdup_printf ("storage change: %s", daemon->switch_reason);
  for (guint i = 0; i < daemon->cameras->len; i++) {
    DvrCamera *camera = g_ptr_array_index (daemon->cameras, i);
    /* From a failed drive, what it held after the last segment with a row
     * is lost with it: the gap starts there.  Otherwise at the stop: the
     * cameras' last frames went to the old volume until then. */
    gint64 from = old->failed && camera->last_durable_utc_ns > 0 ?
        MIN (camera->last_durable_utc_ns, now) : MIN (daemon->switch_started_utc_ns, now);
    dvr_pipeline_set_storage_root (camera->pipeline, next->root);
    if (daemon->recording)
      dvr_daemon_camera_open_gap (daemon, camera, from, gap_reason);
    camera->last_durable_utc_ns = -1;
  }
  dvr_daemon_ensure_day_folders (daemon);
  g_message ("drive: recording onto %s %s", dvr_drive_role_to_string (next->role), next->path);
  if (dvr_daemon_power_cameras_wanted (daemon)) {
    for (guint i = 0; i < daemon->cameras->len; i++)
      dvr_pipeline_start (((DvrCamera *) g_ptr_array_index (daemon->cameras, i))->pipeline);
  }

  if (next->role == DVR_DRIVE_ROLE_DRIVE) {
    set_state (daemon, DVR_DRIVE_STATE_PRESENT, NULL);
    start_migration (daemon);
  }
  if (daemon->drive_state == DVR_DRIVE_STATE_EJECTING && daemon->ejecting_volume == NULL) {
    daemon->ejecting_volume = old;   /* the daemon's reference */
    continue_eject (daemon);
  } else {
    dvr_volume_unref (old);
  }
}

/* The drive is gone or failing: on to the fallback. */
static void
drive_lost (DvrDaemon *daemon, const gchar *why)
{
  g_autoptr (GError) error = NULL;
  DvrVolume *volume = daemon->volume;
  DvrVolume *fallback;

  volume->failed = TRUE;
  daemon->refused_mount_id = volume->mount_id;
  set_state (daemon, DVR_DRIVE_STATE_FAILED, why);
  g_warning ("drive: ALARM %s (%s)%s", why, volume->path,
      daemon->config->fallback_root != NULL ? "; recording into the fallback" : "");
  if (daemon->config->fallback_root == NULL)
    return;
  fallback = volume_open (daemon, DVR_DRIVE_ROLE_FALLBACK, TRUE, &error);
  if (fallback == NULL) {
    g_warning ("drive: ALARM the fallback cannot be used either: %s", error->message);
    return;
  }
  begin_switch (daemon, fallback, why);
}

void
dvr_daemon_drive_write_failed (DvrDaemon *daemon, DvrVolume *volume, const GError *error)
{
  if (volume->role != DVR_DRIVE_ROLE_DRIVE || volume->failed || volume != daemon->volume ||
      !daemon->config->storage_removable)
    return;
  if (daemon->switching || daemon->stopping) {
    volume->failed = TRUE;
    return;
  }
  {
    g_autofree gchar *why = g_strdup_printf ("write error on the drive: %s", error->message);
    drive_lost (daemon, why);
  }
}

/* ---- the probe ---- */

static void
probe_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DvrVolume *volume = task_data;
  g_autofree gchar *path = g_build_filename (volume->root, PROBE_NAME, NULL);
  gchar block[512] = { 0, };
  int fd;

  g_snprintf (block, sizeof block, "dvrd probe %" G_GINT64_FORMAT "\n", dvr_utc_now_ns ());
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0 || pwrite (fd, block, sizeof block, 0) != (ssize_t) sizeof block ||
      fdatasync (fd) < 0) {
    int e = errno;
    if (fd >= 0)
      close (fd);
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (e),
        "%s: %s", PROBE_NAME, g_strerror (e));
    return;
  }
  close (fd);
  g_task_return_boolean (task, TRUE);
}

static void
probe_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  DvrVolume *volume = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  daemon->probe_running = FALSE;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    return;
  if (volume != daemon->volume || volume->failed || daemon->switching || daemon->stopping)
    return;
  {
    g_autofree gchar *why = g_strdup_printf ("the drive fails writes: %s", error->message);
    drive_lost (daemon, why);
  }
}

static void
probe_start (DvrDaemon *daemon)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, probe_done, daemon);

  daemon->probe_running = TRUE;
  daemon->probe_started_mono_ns = dvr_monotonic_now_ns ();
  g_task_set_task_data (task, dvr_volume_ref (daemon->volume),
      (GDestroyNotify) dvr_volume_unref);
  g_task_run_in_thread (task, probe_thread);
}

/* ---- watching the mount point ---- */

static void
drive_check (DvrDaemon *daemon)
{
  const gchar *path = daemon->config->storage_root;
  DvrVolume *volume = daemon->volume;
  g_autoptr (GError) error = NULL;
  gint64 now_mono = dvr_monotonic_now_ns ();
  guint64 mount_id;
  gboolean mounted;
  DvrVolume *drive;

  if (daemon->stopping || daemon->switching || !daemon->config->storage_removable ||
      daemon->config->fallback_root == NULL)
    return;

  if (volume->role == DVR_DRIVE_ROLE_DRIVE) {
    if (volume->failed) {
      drive_lost (daemon, daemon->drive_problem != NULL ? daemon->drive_problem :
          "write error on the drive");
      return;
    }
    if (mount_id_at (AT_FDCWD, path) != volume->mount_id) {
      drive_lost (daemon, "the drive went away (pulled or unmounted)");
      return;
    }
    if (daemon->probe_running) {
      if (now_mono - daemon->probe_started_mono_ns > (gint64) PROBE_TIMEOUT_MS * 1000000)
        drive_lost (daemon, "the drive does not answer (a write took over 1.5 s)");
      return;
    }
    if (now_mono - daemon->probe_started_mono_ns >= (gint64) PROBE_INTERVAL_MS * 1000000)
      probe_start (daemon);
    return;
  }

  /* On the fallback: is there a drive to go back to? */
  if (daemon->drive_state == DVR_DRIVE_STATE_EJECTING)
    return;
  mounted = dvr_drive_is_mount_point (path, NULL);
  if (!mounted) {
    if (daemon->drive_state != DVR_DRIVE_STATE_ABSENT &&
        daemon->drive_state != DVR_DRIVE_STATE_EJECTED) {
      g_message ("drive: nothing mounted at %s", path);
      set_state (daemon, DVR_DRIVE_STATE_ABSENT, NULL);
    }
    daemon->refused_mount_id = 0;
    return;
  }
  mount_id = mount_id_at (AT_FDCWD, path);
  if (mount_id == 0 || mount_id == daemon->refused_mount_id)
    return;
  drive = volume_open (daemon, DVR_DRIVE_ROLE_DRIVE, TRUE, &error);
  if (drive == NULL) {
    refuse_drive (daemon, error);
    return;
  }
  g_message ("drive: %s mounted at %s (unit %s)", drive->identity->drive_uuid, path,
      drive->identity->unit_id);
  begin_switch (daemon, drive, "drive inserted");
}

static gboolean
drive_check_cb (gpointer user_data)
{
  drive_check (user_data);
  return G_SOURCE_CONTINUE;
}

/* /proc/self/mountinfo polls with POLLPRI when the mount table changes:
 * react at once rather than at the next check. */
static gboolean
mountinfo_cb (GIOChannel *channel, GIOCondition condition, gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  gchar buffer[4096];

  /* Reading it to the end re-arms the notification. */
  lseek (g_io_channel_unix_get_fd (channel), 0, SEEK_SET);
  while (read (g_io_channel_unix_get_fd (channel), buffer, sizeof buffer) > 0)
    ;
  drive_check (daemon);
  return G_SOURCE_CONTINUE;
}

void
dvr_daemon_drive_start (DvrDaemon *daemon)
{
  int fd;

  if (!daemon->config->storage_removable || daemon->config->fallback_root == NULL)
    return;
  daemon->drive_check_source = g_timeout_add (DRIVE_CHECK_INTERVAL_MS, drive_check_cb, daemon);
  fd = open ("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    GIOChannel *channel = g_io_channel_unix_new (fd);
    g_io_channel_set_close_on_unref (channel, TRUE);
    daemon->mountinfo_source = g_io_add_watch (channel, G_IO_PRI | G_IO_ERR,
        mountinfo_cb, daemon);
    g_io_channel_unref (channel);
  }
  if (daemon->volume->role == DVR_DRIVE_ROLE_DRIVE)
    start_migration (daemon);
}

/* ---- migration: the fallback's recordings onto the drive ---- */

typedef struct {
  DvrDaemon *daemon;
  DvrVolume *src;       /* the fallback, opened for this */
  DvrVolume *dest;      /* the drive */
  GPtrArray *segments;  /* DvrSegment, from the fallback's catalog */
  guint index;
  guint copied;
  guint failed;
  guint64 bytes;
  guint pass;
} Migration;


static void migration_next (Migration *m);

static void
migration_free (Migration *m)
{
  dvr_volume_unref (m->src);
  dvr_volume_unref (m->dest);
  g_clear_pointer (&m->segments, g_ptr_array_unref);
  g_free (m);
}

typedef struct {
  gchar *from;
  gchar *to;
  gchar *sha256;
  guint64 bytes;
} CopyJob;

static void
copy_job_free (CopyJob *job)
{
  g_free (job->from);
  g_free (job->to);
  g_free (job->sha256);
  g_free (job);
}

/* Storage thread of the migration: copy, sync, drop the cached pages and
 * read the copy back from the drive for its SHA-256.  Never overwrites: a
 * file already there is accepted only if it is the same. */
static void
copy_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CopyJob *job = task_data;
  g_autofree gchar *folder = g_path_get_dirname (job->to);
  g_autofree gchar *base = g_path_get_basename (job->to);
  /* Written under a name no tool takes for a segment, renamed when whole:
   * a crash mid-copy leaves no half segment for recovery to catalogue. */
  g_autofree gchar *part = g_strdup_printf ("%s/.%s.migrating", folder, base);
  g_autofree gchar *sha256 = NULL;
  g_autofree guint8 *buffer = NULL;
  g_autoptr (GError) error = NULL;
  guint64 size = 0;
  int in = -1, out = -1;
  gboolean existed = FALSE;

  if (!dvr_mkdir_durable (folder, &error)) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  if (g_file_test (job->to, G_FILE_TEST_EXISTS)) {
    existed = TRUE;
  } else {
    unlink (part);   /* left by a crash mid-copy */
    out = open (part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (out < 0) {
      dvr_set_error_from_errno (&error, errno, "create", part);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
    in = open (job->from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
      dvr_set_error_from_errno (&error, errno, "open", job->from);
      goto fail;
    }
    buffer = g_malloc (COPY_BUFFER_BYTES);
    for (;;) {
      ssize_t n = read (in, buffer, COPY_BUFFER_BYTES);
      if (n == 0)
        break;
      if (n < 0) {
        if (errno == EINTR)
          continue;
        dvr_set_error_from_errno (&error, errno, "read", job->from);
        goto fail;
      }
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write (out, buffer + done, (size_t) (n - done));
        if (w < 0 && errno == EINTR)
          continue;
        if (w < 0) {
          dvr_set_error_from_errno (&error, errno, "write", part);
          goto fail;
        }
        done += w;
      }
    }
    if (fdatasync (out) < 0) {
      dvr_set_error_from_errno (&error, errno, "fdatasync", part);
      goto fail;
    }
    /* What the drive holds, not what the page cache remembers. */
    posix_fadvise (out, 0, 0, POSIX_FADV_DONTNEED);
    close (out);
    out = -1;
    close (in);
    in = -1;
    /* Never over a file that appeared meanwhile. */
    if (renameat2 (AT_FDCWD, part, AT_FDCWD, job->to, RENAME_NOREPLACE) < 0) {
      dvr_set_error_from_errno (&error, errno, "rename into place", job->to);
      goto fail;
    }
    if (!dvr_fsync_directory (folder, &error))
      goto fail_kept;
  }
  if (!dvr_file_hash_and_sync (job->to, &sha256, &size, &error))
    goto fail_kept;
  if (g_strcmp0 (sha256, job->sha256) != 0 || size != job->bytes) {
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "%s: the copy on the drive does not match (SHA-256 %s, %" G_GUINT64_FORMAT
        " bytes; the fallback's catalog has %s, %" G_GUINT64_FORMAT " bytes)%s",
        job->to, sha256, size, job->sha256, job->bytes,
        existed ? "; a file of that name was already there and is left as it is" : "");
    if (!existed)
      unlink (job->to);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  g_task_return_boolean (task, TRUE);
  return;

fail:
  if (out >= 0)
    close (out);
  if (in >= 0)
    close (in);
  unlink (part);
fail_kept:
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
migration_finish (Migration *m, const gchar *interrupted)
{
  DvrDaemon *daemon = m->daemon;
  g_autoptr (GError) error = NULL;

  if (interrupted != NULL) {
    g_warning ("drive: moving the fallback's recordings interrupted (%s): %u moved, "
        "the rest stays in the fallback for the next drive", interrupted, m->copied);
  } else {
    g_autofree gchar *detail = NULL;
    g_autofree gchar *src_catalog = dvr_storage_get_catalog_path (m->src->storage);
    guint fixes = 0, changes = 0;

    if (!dvr_catalog_move_rows (m->dest->catalog, src_catalog, m->dest->run_id, &fixes,
                                &changes, &error)) {
      g_warning ("drive: %s", error->message);
      g_clear_error (&error);
    }
    /* Events that changed while the files were moving; then, with every
     * segment over, the fallback forgets them, so that another drive
     * inserted later does not get them too. */
    if (!dvr_catalog_merge_events (m->dest->catalog, m->src->catalog,
                                   m->src->identity->drive_uuid, NULL, &error)) {
      g_warning ("drive: %s", error->message);
      g_clear_error (&error);
    } else if (m->failed == 0 &&
               !dvr_catalog_forget_migrated_events (m->src->catalog,
                                                    m->dest->identity->drive_uuid, NULL,
                                                    &error)) {
      g_warning ("drive: fallback: %s", error->message);
      g_clear_error (&error);
    }
    detail = g_strdup_printf ("{\"from_drive\":\"%s\",\"segments\":%u,\"bytes\":%"
        G_GUINT64_FORMAT ",\"failed\":%u,\"gps_fixes\":%u,\"signal_changes\":%u}",
        m->src->identity->drive_uuid, m->copied, m->bytes, m->failed, fixes, changes);
    if (!dvr_catalog_audit (m->dest->catalog, dvr_utc_now_ns (), "migrate", detail, &error))
      g_warning ("drive: audit: %s", error->message);
    dvr_storage_request_checkpoint (m->dest->storage);
    if (m->copied > 0 || m->failed > 0)
      g_message ("drive: %u recordings (%.1f MiB) moved from the fallback onto the drive, "
          "each verified by SHA-256 before its fallback copy was deleted; %u failed",
          m->copied, MIB (m->bytes), m->failed);
  }
  daemon->migrating = FALSE;
  migration_free (m);
}

static void
migration_deleted_cb (GPtrArray *deleted, const GError *error, gpointer user_data)
{
  Migration *m = user_data;

  if (error != NULL)
    g_warning ("drive: fallback: %s (left as garbage for later)", error->message);
  for (guint i = 0; i < deleted->len; i++) {
    g_autoptr (GError) local_error = NULL;
    if (!dvr_catalog_drop_garbage (m->src->catalog, deleted->pdata[i], &local_error))
      g_warning ("drive: fallback catalog: %s", local_error->message);
  }
  m->index++;
  migration_next (m);
}

static void
copy_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Migration *m = user_data;
  DvrDaemon *daemon = m->daemon;
  const DvrSegment *segment = g_ptr_array_index (m->segments, m->index);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) paths = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    m->failed++;
    daemon->migration_failures++;
    g_free (daemon->last_migration_error);
    daemon->last_migration_error = g_strdup (error->message);
    g_warning ("drive: moving %s from the fallback failed, kept there: %s", segment->path,
        error->message);
    if (m->dest->failed || m->dest != daemon->volume) {
      migration_finish (m, "the drive failed");
      return;
    }
    m->index++;
    migration_next (m);
    return;
  }
  if (!dvr_catalog_import_segment (m->dest->catalog, segment, m->dest->run_id,
                                   m->src->identity->drive_uuid, &error) ||
      !dvr_catalog_forget_migrated_segment (m->src->catalog, segment->id,
                                            m->dest->identity->drive_uuid, &error)) {
    m->failed++;
    daemon->migration_failures++;
    g_free (daemon->last_migration_error);
    daemon->last_migration_error = g_strdup (error->message);
    g_warning ("drive: moving %s: %s (the fallback keeps its copy)", segment->path,
        error->message);
    m->index++;
    migration_next (m);
    return;
  }
  m->copied++;
  m->bytes += segment->bytes;
  daemon->migrated_segments++;
  paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (paths, g_strdup (segment->path));
  dvr_storage_delete_async (m->src->storage, paths, migration_deleted_cb, m);
}

static void
migration_next (Migration *m)
{
  DvrDaemon *daemon = m->daemon;
  const DvrSegment *segment;
  CopyJob *job;
  g_autoptr (GTask) task = NULL;

  if (daemon->stopping) {
    migration_finish (m, "dvrd stopping");
    return;
  }
  if (m->dest != daemon->volume || m->dest->failed ||
      daemon->drive_state != DVR_DRIVE_STATE_PRESENT) {
    migration_finish (m, "the drive is no longer in use");
    return;
  }
  if (m->index >= m->segments->len) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) more = NULL;
    /* Segments the fallback finalized after the list was made: once more. */
    if (m->pass < 3 && m->copied > 0 &&
        (more = dvr_catalog_list_segments (m->src->catalog, NULL, G_MININT64, G_MAXINT64,
                                           &error)) != NULL && more->len > m->failed) {
      g_ptr_array_unref (m->segments);
      m->segments = g_steal_pointer (&more);
      m->index = 0;
      m->pass++;
      migration_next (m);
      return;
    }
    migration_finish (m, NULL);
    return;
  }
  segment = g_ptr_array_index (m->segments, m->index);
  job = g_new0 (CopyJob, 1);
  job->from = g_build_filename (m->src->root, segment->path, NULL);
  job->to = g_build_filename (m->dest->root, segment->path, NULL);
  job->sha256 = g_strdup (segment->sha256);
  job->bytes = segment->bytes;
  task = g_task_new (NULL, NULL, copy_done, m);
  g_task_set_task_data (task, job, (GDestroyNotify) copy_job_free);
  g_task_run_in_thread (task, copy_thread);
}

static void
start_migration (DvrDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  DvrVolume *src;
  Migration *m;
  guint events = 0;
  guint64 bytes = 0;

  if (daemon->migrating || daemon->config->fallback_root == NULL ||
      daemon->volume->role != DVR_DRIVE_ROLE_DRIVE)
    return;
  src = volume_open (daemon, DVR_DRIVE_ROLE_FALLBACK, FALSE, &error);
  if (src == NULL) {
    if (!g_error_matches (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NO_IDENTITY))
      g_warning ("drive: fallback %s: %s", daemon->config->fallback_root, error->message);
    return;
  }
  if (g_strcmp0 (src->identity->unit_id, daemon->config->unit_id) != 0 ||
      src->identity->role != DVR_DRIVE_ROLE_FALLBACK) {
    g_warning ("drive: fallback %s belongs to unit %s (%s): not moved",
        src->path, src->identity->unit_id, dvr_drive_role_to_string (src->identity->role));
    dvr_volume_unref (src);
    return;
  }
  segments = dvr_catalog_list_segments (src->catalog, NULL, G_MININT64, G_MAXINT64, &error);
  if (segments == NULL ||
      !dvr_catalog_merge_events (daemon->volume->catalog, src->catalog,
                                 src->identity->drive_uuid, &events, &error)) {
    g_warning ("drive: fallback %s: %s", src->path, error->message);
    dvr_volume_unref (src);
    return;
  }
  if (segments->len == 0 && events == 0) {
    dvr_volume_unref (src);
    return;
  }
  for (guint i = 0; i < segments->len; i++)
    bytes += ((DvrSegment *) g_ptr_array_index (segments, i))->bytes;
  g_message ("drive: moving %u recordings (%.1f MiB) and %u events from the fallback onto "
      "the drive", segments->len, MIB (bytes), events);
  m = g_new0 (Migration, 1);
  m->daemon = daemon;
  m->src = src;
  m->dest = dvr_volume_ref (daemon->volume);
  m->segments = g_steal_pointer (&segments);
  daemon->migrating = TRUE;
  migration_next (m);
}

/* ---- eject ---- */


static gboolean
unmount_drive (const gchar *path, GError **error)
{
  for (guint attempt = 0; attempt < 20; attempt++) {
    if (umount2 (path, UMOUNT_NOFOLLOW) == 0)
      return TRUE;
    if (errno == EBUSY) {
      g_usleep (100 * 1000);
      continue;
    }
    if (errno == EPERM) {
      /* dvrd runs unprivileged under systemd: the mount is systemd's
       * (udev/72-dvr-drive.rules), so ask it. */
      const gchar *argv[] = { "systemd-umount", path, NULL };
      gint status = 0;
      g_autofree gchar *err = NULL;
      if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
                         G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, error))
        return FALSE;
      if (!g_spawn_check_wait_status (status, error)) {
        g_prefix_error (error, "systemd-umount %s: %s: ", path, err != NULL ? g_strstrip (err) : "");
        return FALSE;
      }
      return TRUE;
    }
    break;
  }
  return dvr_set_error_from_errno (error, errno, "unmount", path);
}

static void
audit_eject (DvrDaemon *daemon, DvrVolume *volume, const gchar *action)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *detail = g_strdup_printf ("{\"by\":\"%s\",\"drive\":\"%s\"}",
      daemon->eject_by != NULL ? daemon->eject_by : "dvrd", volume->identity->drive_uuid);

  if (!dvr_catalog_audit (volume->catalog, dvr_utc_now_ns (), action, detail, &error))
    g_warning ("drive: audit: %s", error->message);
}

static gboolean
eject_wait_cb (gpointer user_data)
{
  DvrDaemon *daemon = user_data;
  g_autoptr (GError) error = NULL;
  DvrVolume *volume = daemon->ejecting_volume;
  const gchar *path = daemon->config->storage_root;
  gint64 waited = dvr_monotonic_now_ns () - daemon->eject_started_mono_ns;
  int fd;

  /* Segments still being made durable, a deletion, a probe, a migration. */
  if (g_atomic_int_get (&volume->ref_count) > 1) {
    if (waited < (gint64) EJECT_WAIT_MS * 1000000)
      return G_SOURCE_CONTINUE;
    daemon->eject_source = 0;
    g_warning ("drive: eject: the drive was still in use after %d s; not unmounted",
        EJECT_WAIT_MS / 1000);
    audit_eject (daemon, volume, "eject-abandoned");
    daemon->refused_mount_id = volume->mount_id;
    set_state (daemon, DVR_DRIVE_STATE_FAILED,
        "eject did not finish: the drive is still in use; do not remove it");
    dvr_volume_unref (volume);
    daemon->ejecting_volume = NULL;
    return G_SOURCE_REMOVE;
  }
  daemon->eject_source = 0;
  daemon->ejecting_volume = NULL;
  /* Every segment of the drive has its row: the last row says so. */
  audit_eject (daemon, volume, "eject");
  /* The last connection's close checkpoints the WAL into the catalog and
   * removes it: the drive reads the same anywhere, read-only too. */
  daemon->refused_mount_id = volume->mount_id;
  dvr_volume_unref (volume);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    syncfs (fd);
    close (fd);
  }
  if (!unmount_drive (path, &error)) {
    g_warning ("drive: eject: %s", error->message);
    set_state (daemon, DVR_DRIVE_STATE_FAILED, error->message);
    return G_SOURCE_REMOVE;
  }
  g_message ("drive: ejected: safe to remove (%.1f s)", (double) waited / 1e9);
  set_state (daemon, DVR_DRIVE_STATE_EJECTED, NULL);
  daemon->refused_mount_id = 0;
  return G_SOURCE_REMOVE;
}

static void
continue_eject (DvrDaemon *daemon)
{
  daemon->eject_source = g_timeout_add (50, eject_wait_cb, daemon);
}

static gboolean
eject (DvrDaemon *daemon, const gchar *source, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  DvrVolume *fallback;

  if (!daemon->config->storage_removable || daemon->config->fallback_root == NULL) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
        "eject: the storage is not a removable drive with a fallback ([storage] removable, "
        "fallback in %s)", daemon->config->path);
    return FALSE;
  }
  if (daemon->drive_state != DVR_DRIVE_STATE_PRESENT || daemon->switching ||
      daemon->volume->role != DVR_DRIVE_ROLE_DRIVE) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_INVALID_ARGUMENT,
        "eject: no drive in use (drive %s%s)", dvr_drive_state_to_string (daemon->drive_state),
        daemon->switching ? ", changing storage" : "");
    return FALSE;
  }
  fallback = volume_open (daemon, DVR_DRIVE_ROLE_FALLBACK, TRUE, &local_error);
  if (fallback == NULL) {
    g_set_error (error, DVR_CONTROL_ERROR, DVR_CONTROL_ERROR_FAILED,
        "eject: the fallback cannot be used, so the drive stays: %s", local_error->message);
    return FALSE;
  }
  g_free (daemon->eject_by);
  daemon->eject_by = g_strdup (source);
  g_message ("drive: eject requested (%s)", source);
  set_state (daemon, DVR_DRIVE_STATE_EJECTING, NULL);
  daemon->eject_started_mono_ns = dvr_monotonic_now_ns ();
  begin_switch (daemon, fallback, "drive ejected");
  return TRUE;
}

void
dvr_daemon_drive_eject_pressed (DvrDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  if (!eject (daemon, "button", &error))
    g_warning ("drive: %s", error->message);
}

gboolean
dvr_daemon_drive_alarm (DvrDaemon *daemon)
{
  return daemon->config->storage_removable &&
      daemon->drive_state != DVR_DRIVE_STATE_PRESENT &&
      daemon->drive_state != DVR_DRIVE_STATE_EJECTING &&
      daemon->drive_state != DVR_DRIVE_STATE_EJECTED;
}

/* ---- status and control ---- */

static void
build_drive_object (DvrDaemon *daemon, JsonBuilder *b)
{
  DvrVolume *volume = daemon->volume;
  DvrCatalogUsage usage = { 0, };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, dvr_drive_state_to_string (daemon->drive_state));
  json_builder_set_member_name (b, "safe_to_remove");
  json_builder_add_boolean_value (b, daemon->drive_state == DVR_DRIVE_STATE_EJECTED ||
      daemon->drive_state == DVR_DRIVE_STATE_ABSENT);
  dvr_daemon_json_add_string_or_null (b, "problem", daemon->drive_problem);
  dvr_daemon_json_add_time (b, "since", daemon->drive_state_utc_ns > 0 ?
      daemon->drive_state_utc_ns : -1);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, daemon->config->storage_root);
  json_builder_set_member_name (b, "removable");
  json_builder_add_boolean_value (b, daemon->config->storage_removable);
  json_builder_set_member_name (b, "recording_onto");
  json_builder_add_string_value (b, dvr_drive_role_to_string (volume->role));
  json_builder_set_member_name (b, "recording_path");
  json_builder_add_string_value (b, volume->path);
  json_builder_set_member_name (b, "drive_uuid");
  json_builder_add_string_value (b, volume->identity->drive_uuid);
  json_builder_set_member_name (b, "switching");
  json_builder_add_boolean_value (b, daemon->switching);
  json_builder_set_member_name (b, "migrating");
  json_builder_add_boolean_value (b, daemon->migrating);
  json_builder_set_member_name (b, "migrated_segments");
  json_builder_add_int_value (b, daemon->migrated_segments);
  json_builder_set_member_name (b, "migration_failures");
  json_builder_add_int_value (b, daemon->migration_failures);
  dvr_daemon_json_add_string_or_null (b, "last_migration_error", daemon->last_migration_error);
  dvr_daemon_json_add_string_or_null (b, "fallback", daemon->config->fallback_root);
  if (daemon->config->fallback_root != NULL) {
    json_builder_set_member_name (b, "fallback_size");
    json_builder_add_int_value (b, (gint64) daemon->config->fallback_size_bytes);
  }
  if (volume->role == DVR_DRIVE_ROLE_FALLBACK &&
      dvr_catalog_get_usage (volume->catalog, &usage, NULL)) {
    json_builder_set_member_name (b, "fallback_used");
    json_builder_add_int_value (b, (gint64) (usage.ring_bytes + usage.evidence_bytes));
    json_builder_set_member_name (b, "fallback_segments");
    json_builder_add_int_value (b, (gint64) (usage.ring_segments + usage.evidence_segments));
  }
  json_builder_end_object (b);
}

void
dvr_daemon_drive_build_status (DvrDaemon *daemon, JsonBuilder *b)
{
  json_builder_set_member_name (b, "drive");
  build_drive_object (daemon, b);
}

JsonNode *
dvr_daemon_drive_control (DvrDaemon *daemon, const gchar *command, JsonObject *request,
                          gboolean *handled, GError **error)
{
  g_autoptr (JsonBuilder) b = NULL;

  *handled = FALSE;
  if (g_str_equal (command, "eject")) {
    *handled = TRUE;
    if (!eject (daemon, "dvrctl", error))
      return NULL;
  } else if (g_str_equal (command, "drive")) {
    *handled = TRUE;
  } else {
    return NULL;
  }
  b = json_builder_new ();
  build_drive_object (daemon, b);
  return json_builder_get_root (b);
}

void
dvr_daemon_drive_stop (DvrDaemon *daemon)
{
  g_clear_handle_id (&daemon->drive_check_source, g_source_remove);
  g_clear_handle_id (&daemon->mountinfo_source, g_source_remove);
}

void
dvr_daemon_drive_free (DvrDaemon *daemon)
{
  dvr_daemon_drive_stop (daemon);
  g_clear_handle_id (&daemon->eject_source, g_source_remove);
  g_clear_pointer (&daemon->ejecting_volume, dvr_volume_unref);
  g_clear_pointer (&daemon->volume, dvr_volume_unref);
  daemon->storage = NULL;
  daemon->catalog = NULL;
  g_clear_pointer (&daemon->drive_problem, g_free);
  g_clear_pointer (&daemon->switch_reason, g_free);
  g_clear_pointer (&daemon->last_migration_error, g_free);
  g_clear_pointer (&daemon->eject_by, g_free);
}
