/* dvr-powerfs.c: a FUSE filesystem that models a disk with a volatile
 * write cache, for power-loss tests (issue 8; tests/powerloss/README.md).
 *
 *   dvr-powerfs BACKING MOUNTPOINT [-f] [-d] [-o FUSE-OPTIONS]
 *   dvr-powerfs --crash MOUNTPOINT      simulate a power loss now
 *   dvr-powerfs --sync MOUNTPOINT       make everything durable (a full sync)
 *
 * The visible tree is BACKING/root (created if missing); BACKING/trash
 * keeps unlinked files whose removal is not durable yet.  Every operation
 * passes through to BACKING/root, so the process under test sees an
 * ordinary POSIX filesystem.  Beside it the daemon keeps, in memory, what
 * would survive a power loss.
 *
 * The durability model (strict POSIX; deliberately stricter than ext4):
 *
 *  - Contents.  Bytes written to a file are durable only once an fsync or
 *    fdatasync of that file (any fd, any name of it) returns after them.
 *    The file's durable size is its size at that sync.  A truncate is
 *    content too: undone unless synced.  Writes through a shared mmap reach
 *    us as writes when the kernel writes the pages back; same rule.
 *  - Names.  A create, mkdir, symlink, link, rename or unlink/rmdir changes
 *    a directory; the change is durable only once that directory is
 *    fsynced (fsync of an fd opened on the directory).  A rename between
 *    two directories needs both fsynced.  fsync of a file does NOT make its
 *    name durable (ext4 data=ordered usually does, as a side effect of the
 *    journal commit; we do not, so that a missing directory fsync shows).
 *    A name made durable points at the inode; what that inode holds after
 *    the crash is its durably synced contents (so a new file whose name was
 *    synced but whose data was not comes back empty).
 *  - Directories fsynced record their whole entry list at that moment; a
 *    directory never fsynced keeps the entries it had at mount (none if it
 *    was made since).
 *  - Mount and clean unmount: everything in BACKING/root at mount is
 *    durable.  An unmount without a crash keeps the live tree (a clean
 *    shutdown flushes the cache).
 *  - Metadata other than names and sizes (mode, owner, times, xattrs) is
 *    passed through and kept as it is live: not modelled.
 *
 * The crash (`dvr-powerfs --crash MNT`, which sets the xattr
 * user.dvr-powerfs.crash on the mount root, or SIGUSR1 to the daemon):
 * under the lock that serialises all operations, every file's contents are
 * rolled back to its last synced bytes (writes since the sync are undone
 * from an undo log of the overwritten durable bytes, newest first, and the
 * file is cut to its durable size), then BACKING/root is rebuilt from the
 * durable directory entries (hard links to the rolled-back inodes, so no
 * data is copied), and the rest is thrown away.  From then on every
 * operation fails with EIO, as a vanished disk does, until the filesystem
 * is unmounted (fusermount3 -u MNT).  BACKING/root then holds exactly the
 * durable state: read it directly or mount it again.
 *
 * To keep the model sound, nothing that a durable name may still point at
 * is really deleted: unlink, rmdir and a rename over a target move the old
 * inode to BACKING/trash/INO (so its inode number is not reused either);
 * trashed files are freed when a directory fsync shows no durable name
 * points at them any more, and the trash is emptied at mount.  So space
 * freed by deletion comes back only after the directory fsync (statfs is
 * the backing filesystem's).
 *
 * Simple rather than fast: one global lock, every op on the backing fs
 * through openat() relative to BACKING/root.  Kernel caching of attributes,
 * names and data is off (timeouts 0, no kernel_cache), so a crash is seen
 * at once.  direct_io is off so that shared mmap (SQLite's -shm) works.
 * Hard links are supported; special files (fifos, devices) and fallocate
 * are not (EOPNOTSUPP; glibc's posix_fallocate falls back to writes).
 * POSIX locks are handled by the kernel locally (no lock op), which is
 * right for processes on this one machine.
 */

#define FUSE_USE_VERSION 35

#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CRASH_XATTR "user.dvr-powerfs.crash"
#define SYNC_XATTR "user.dvr-powerfs.sync"

/* Bytes of the durable range that a write or truncate overwrote, to be put
 * back at a crash. */
typedef struct {
  off_t offset;
  gsize length;
  guint8 *data;
} Undo;

/* Per inode of a regular file that was modified since mount. */
typedef struct {
  off_t durable_size;
  GPtrArray *undo;        /* Undo*, oldest first */
} FileState;

/* One durable directory entry. */
typedef struct {
  ino_t ino;
  mode_t type;            /* S_IFREG, S_IFDIR or S_IFLNK */
  gchar *link_target;     /* S_IFLNK only */
} Entry;

static struct {
  pthread_mutex_t lock;
  gchar *backing;
  gchar *root_path;       /* BACKING/root */
  gchar *trash_path;      /* BACKING/trash */
  int root_fd;
  int trash_fd;
  ino_t root_ino;
  GHashTable *files;      /* ino -> FileState* */
  GHashTable *dirs;       /* ino -> GHashTable (name -> Entry*) */
  gboolean crashed;
} fs = { .lock = PTHREAD_MUTEX_INITIALIZER, .root_fd = -1, .trash_fd = -1 };

/* ------------------------------------------------------------------ */
/* State helpers; all called with fs.lock held. */

static void
undo_free (gpointer data)
{
  Undo *undo = data;
  g_free (undo->data);
  g_free (undo);
}

static void
file_state_free (gpointer data)
{
  FileState *state = data;
  g_ptr_array_unref (state->undo);
  g_free (state);
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;
  g_free (entry->link_target);
  g_free (entry);
}

static gpointer
ino_key (ino_t ino)
{
  return g_memdup2 (&ino, sizeof ino);
}

static guint
ino_hash (gconstpointer key)
{
  return g_int64_hash (key);
}

static gboolean
ino_equal (gconstpointer a, gconstpointer b)
{
  return *(const ino_t *) a == *(const ino_t *) b;
}

/* The backing-relative path: "/" -> ".", "/a/b" -> "a/b". */
static const char *
rel (const char *path)
{
  while (*path == '/')
    path++;
  return *path ? path : ".";
}

/* The state of the file open as @fd, made on first use: the file is
 * durable as it is now. */
static FileState *
file_state_for_fd (int fd)
{
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return NULL;
  FileState *state = g_hash_table_lookup (fs.files, &st.st_ino);
  if (!state) {
    state = g_new0 (FileState, 1);
    state->durable_size = st.st_size;
    state->undo = g_ptr_array_new_with_free_func (undo_free);
    g_hash_table_insert (fs.files, ino_key (st.st_ino), state);
  }
  return state;
}

/* Before [offset, offset + length) of @fd is overwritten or cut: save the
 * part of it inside the durable size. */
static int
save_undo (int fd, FileState *state, off_t offset, off_t length)
{
  if (!state || offset >= state->durable_size || length <= 0)
    return 0;
  if (offset + length > state->durable_size)
    length = state->durable_size - offset;
  Undo *undo = g_new0 (Undo, 1);
  undo->offset = offset;
  undo->length = length;
  undo->data = g_malloc0 (length);
  gsize done = 0;
  while (done < (gsize) length) {
    ssize_t n = pread (fd, undo->data + done, length - done, offset + done);
    if (n < 0) {
      int e = errno;
      undo_free (undo);
      return -e;
    }
    if (n == 0)
      break;              /* past EOF (a cut earlier): the zeros stay */
    done += n;
  }
  g_ptr_array_add (state->undo, undo);
  return 0;
}

static void
file_state_sync (int fd)
{
  FileState *state = file_state_for_fd (fd);
  struct stat st;
  if (!state || fstat (fd, &st) < 0)
    return;
  state->durable_size = st.st_size;
  g_ptr_array_set_size (state->undo, 0);
}

/* Records the entries of the directory open as @dir_fd as durable. */
static int
dir_record (int dir_fd)
{
  struct stat st;
  if (fstat (dir_fd, &st) < 0)
    return -errno;
  int fd = dup (dir_fd);
  if (fd < 0)
    return -errno;
  DIR *dir = fdopendir (fd);
  if (!dir) {
    int e = errno;
    close (fd);
    return -e;
  }
  rewinddir (dir);
  GHashTable *entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  struct dirent *d;
  while ((d = readdir (dir))) {
    if (!strcmp (d->d_name, ".") || !strcmp (d->d_name, ".."))
      continue;
    struct stat est;
    if (fstatat (dir_fd, d->d_name, &est, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    Entry *entry = g_new0 (Entry, 1);
    entry->ino = est.st_ino;
    entry->type = est.st_mode & S_IFMT;
    if (S_ISLNK (est.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat (dir_fd, d->d_name, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      entry->link_target = g_strdup (target);
    } else if (!S_ISREG (est.st_mode) && !S_ISDIR (est.st_mode)) {
      g_free (entry);
      continue;
    }
    g_hash_table_insert (entries, g_strdup (d->d_name), entry);
  }
  closedir (dir);
  g_hash_table_insert (fs.dirs, ino_key (st.st_ino), entries);
  return 0;
}

/* Records the whole tree under @dir_fd as durable. */
static void
dir_record_tree (int dir_fd)
{
  dir_record (dir_fd);
  struct stat st;
  fstat (dir_fd, &st);
  GHashTable *entries = g_hash_table_lookup (fs.dirs, &st.st_ino);
  GHashTableIter iter;
  gpointer name, value;
  g_hash_table_iter_init (&iter, entries);
  while (g_hash_table_iter_next (&iter, &name, &value)) {
    Entry *entry = value;
    if (entry->type != S_IFDIR)
      continue;
    int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      dir_record_tree (fd);
      close (fd);
    }
  }
}

static gboolean
durably_named (ino_t ino)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, fs.dirs);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    GHashTableIter eiter;
    gpointer evalue;
    g_hash_table_iter_init (&eiter, value);
    while (g_hash_table_iter_next (&eiter, NULL, &evalue))
      if (((Entry *) evalue)->ino == ino)
        return TRUE;
  }
  return FALSE;
}

/* Frees trashed files that no durable name points at any more. */
static void
trash_collect (void)
{
  int fd = dup (fs.trash_fd);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  if (!dir)
    return;
  rewinddir (dir);
  struct dirent *d;
  while ((d = readdir (dir))) {
    struct stat st;
    if (fstatat (fs.trash_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR (st.st_mode))
      continue;
    if (!durably_named (st.st_ino)) {
      unlinkat (fs.trash_fd, d->d_name, 0);
      g_hash_table_remove (fs.files, &st.st_ino);
    }
  }
  closedir (dir);
}

/* Moves @name (in directory @dir_fd) out of the way before its name goes:
 * to BACKING/trash/INO; if that exists already (another name of a hard
 * linked file was trashed before), the name is simply removed. */
static int
trash (int dir_fd, const char *name)
{
  struct stat st;
  if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -errno;
  char trash_name[32];
  g_snprintf (trash_name, sizeof trash_name, "%ju", (uintmax_t) st.st_ino);
  struct stat tst;
  if (fstatat (fs.trash_fd, trash_name, &tst, AT_SYMLINK_NOFOLLOW) == 0) {
    if (unlinkat (dir_fd, name, S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
      return -errno;
    return 0;
  }
  if (renameat (dir_fd, name, fs.trash_fd, trash_name) < 0)
    return -errno;
  return 0;
}

/* Splits "/a/b/c" into an fd on the backing "a/b" and "c". */
static int
open_parent (const char *path, const char **name)
{
  const char *r = rel (path);
  const char *slash = strrchr (r, '/');
  if (!slash) {
    *name = r;
    return dup (fs.root_fd);
  }
  *name = slash + 1;
  g_autofree gchar *parent = g_strndup (r, slash - r);
  return openat (fs.root_fd, parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void
rm_rf_at (int dir_fd, const char *name)
{
  int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    DIR *dir = fdopendir (fd);
    struct dirent *d;
    while (dir && (d = readdir (dir)))
      if (strcmp (d->d_name, ".") && strcmp (d->d_name, ".."))
        rm_rf_at (fd, d->d_name);
    if (dir)
      closedir (dir);
    else
      close (fd);
    unlinkat (dir_fd, name, AT_REMOVEDIR);
  } else {
    unlinkat (dir_fd, name, 0);
  }
}

/* Empties the directory open as @dir_fd. */
static void
empty_dir (int dir_fd)
{
  int fd = dup (dir_fd);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  if (!dir)
    return;
  rewinddir (dir);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *d;
  while ((d = readdir (dir)))
    if (strcmp (d->d_name, ".") && strcmp (d->d_name, ".."))
      g_ptr_array_add (names, g_strdup (d->d_name));
  closedir (dir);
  for (guint i = 0; i < names->len; i++)
    rm_rf_at (dir_fd, names->pdata[i]);
  g_ptr_array_unref (names);
}

/* ------------------------------------------------------------------ */
/* The crash. */

/* Every regular file in the tree under @dir_fd (at @path, relative to
 * BACKING): ino -> path, first name wins. */
static void
map_inodes (int dir_fd, const char *path, GHashTable *map)
{
  int fd = dup (dir_fd);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  if (!dir)
    return;
  rewinddir (dir);
  struct dirent *d;
  while ((d = readdir (dir))) {
    if (!strcmp (d->d_name, ".") || !strcmp (d->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat (dir_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    g_autofree gchar *child = g_build_filename (path, d->d_name, NULL);
    if (S_ISREG (st.st_mode)) {
      if (!g_hash_table_contains (map, &st.st_ino))
        g_hash_table_insert (map, ino_key (st.st_ino), g_strdup (child));
    } else if (S_ISDIR (st.st_mode)) {
      int sub = openat (dir_fd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        map_inodes (sub, child, map);
        close (sub);
      }
    }
  }
  closedir (dir);
}

static void
rollback_file (const char *path, FileState *state)
{
  g_autofree gchar *full = g_build_filename (fs.backing, path, NULL);
  int fd = open (full, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    g_printerr ("dvr-powerfs: crash: cannot open %s: %s\n", full, g_strerror (errno));
    return;
  }
  for (guint i = state->undo->len; i > 0; i--) {
    Undo *undo = state->undo->pdata[i - 1];
    if (pwrite (fd, undo->data, undo->length, undo->offset) != (ssize_t) undo->length)
      g_printerr ("dvr-powerfs: crash: rollback of %s failed\n", full);
  }
  if (ftruncate (fd, state->durable_size) < 0)
    g_printerr ("dvr-powerfs: crash: truncate of %s failed\n", full);
  close (fd);
}

/* Builds the durable directory @ino as the (empty) directory @out_fd. */
static void
build_dir (ino_t ino, int out_fd, GHashTable *map)
{
  GHashTable *entries = g_hash_table_lookup (fs.dirs, &ino);
  if (!entries)
    return;
  GHashTableIter iter;
  gpointer name, value;
  g_hash_table_iter_init (&iter, entries);
  while (g_hash_table_iter_next (&iter, &name, &value)) {
    Entry *entry = value;
    if (entry->type == S_IFDIR) {
      if (mkdirat (out_fd, name, 0755) < 0)
        continue;
      int sub = openat (out_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub >= 0) {
        build_dir (entry->ino, sub, map);
        close (sub);
      }
    } else if (entry->type == S_IFLNK) {
      symlinkat (entry->link_target, out_fd, name);
    } else {
      const char *from = g_hash_table_lookup (map, &entry->ino);
      if (!from) {
        g_printerr ("dvr-powerfs: crash: inode %ju of %s is gone\n",
            (uintmax_t) entry->ino, (const char *) name);
        continue;
      }
      g_autofree gchar *full = g_build_filename (fs.backing, from, NULL);
      if (linkat (AT_FDCWD, full, out_fd, name, 0) < 0)
        g_printerr ("dvr-powerfs: crash: link %s: %s\n", full, g_strerror (errno));
    }
  }
}

static void
crash_locked (void)
{
  if (fs.crashed)
    return;
  fs.crashed = TRUE;

  g_autoptr (GHashTable) map = g_hash_table_new_full (ino_hash, ino_equal, g_free, g_free);
  map_inodes (fs.root_fd, "root", map);
  map_inodes (fs.trash_fd, "trash", map);

  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, fs.files);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    const char *path = g_hash_table_lookup (map, key);
    if (path)
      rollback_file (path, value);
  }

  /* BACKING/new holds the durable tree, then takes root's place. */
  g_autofree gchar *new_path = g_build_filename (fs.backing, "new", NULL);
  g_autofree gchar *old_path = g_build_filename (fs.backing, "old", NULL);
  rm_rf_at (AT_FDCWD, new_path);
  rm_rf_at (AT_FDCWD, old_path);
  if (mkdir (new_path, 0755) < 0) {
    g_printerr ("dvr-powerfs: crash: mkdir %s: %s\n", new_path, g_strerror (errno));
    return;
  }
  int new_fd = open (new_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  build_dir (fs.root_ino, new_fd, map);
  close (new_fd);
  if (rename (fs.root_path, old_path) < 0 || rename (new_path, fs.root_path) < 0)
    g_printerr ("dvr-powerfs: crash: cannot replace %s: %s\n", fs.root_path, g_strerror (errno));
  rm_rf_at (AT_FDCWD, old_path);
  empty_dir (fs.trash_fd);
  g_hash_table_remove_all (fs.files);
  g_printerr ("dvr-powerfs: crashed; %s holds the durable state\n", fs.root_path);
}

static void
sync_all_locked (void)
{
  /* Files without a state are durable as they are. */
  g_hash_table_remove_all (fs.files);
  g_hash_table_remove_all (fs.dirs);
  dir_record_tree (fs.root_fd);
  trash_collect ();
}

static sigset_t usr1_set;

static void *
signal_thread (void *data)
{
  sigset_t *set = data;
  for (;;) {
    int sig;
    if (sigwait (set, &sig) == 0 && sig == SIGUSR1) {
      pthread_mutex_lock (&fs.lock);
      crash_locked ();
      pthread_mutex_unlock (&fs.lock);
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* FUSE operations.  Each takes the lock and fails with EIO once crashed. */

#define ENTER() \
  pthread_mutex_lock (&fs.lock); \
  if (fs.crashed) { \
    pthread_mutex_unlock (&fs.lock); \
    return -EIO; \
  }
#define LEAVE(ret) \
  do { \
    int leave_ret_ = (ret); \
    pthread_mutex_unlock (&fs.lock); \
    return leave_ret_; \
  } while (0)
#define ERR(call) ((call) < 0 ? -errno : 0)

static void *
op_init (struct fuse_conn_info *conn, struct fuse_config *cfg)
{
  cfg->use_ino = 1;
  cfg->hard_remove = 1;       /* no .fuse_hidden files in our namespace */
  cfg->nullpath_ok = 1;
  cfg->direct_io = 0;         /* shared mmap needs the page cache */
  cfg->kernel_cache = 0;
  cfg->auto_cache = 0;
  cfg->entry_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->attr_timeout = 0;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;  /* every write reaches us */
  pthread_t thread;
  if (pthread_create (&thread, NULL, signal_thread, &usr1_set) == 0)
    pthread_detach (thread);
  return NULL;
}

static int
op_getattr (const char *path, struct stat *st, struct fuse_file_info *fi)
{
  pthread_mutex_lock (&fs.lock);
  if (fs.crashed) {
    /* The mount point itself stays visible so that it can be unmounted. */
    int ret = path && !strcmp (path, "/") ? ERR (fstat (fs.root_fd, st)) : -EIO;
    LEAVE (ret);
  }
  if (fi)
    LEAVE (ERR (fstat (fi->fh, st)));
  LEAVE (ERR (fstatat (fs.root_fd, rel (path), st, AT_SYMLINK_NOFOLLOW)));
}

static int
op_readlink (const char *path, char *buf, size_t size)
{
  ENTER ();
  ssize_t n = readlinkat (fs.root_fd, rel (path), buf, size - 1);
  if (n < 0)
    LEAVE (-errno);
  buf[n] = '\0';
  LEAVE (0);
}

static int
op_mknod (const char *path, mode_t mode, dev_t rdev)
{
  ENTER ();
  if (!S_ISREG (mode))
    LEAVE (-EOPNOTSUPP);
  int fd = openat (fs.root_fd, rel (path), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0)
    LEAVE (-errno);
  FileState *state = file_state_for_fd (fd);
  if (state)
    state->durable_size = 0;
  close (fd);
  LEAVE (0);
}

static int
op_mkdir (const char *path, mode_t mode)
{
  ENTER ();
  LEAVE (ERR (mkdirat (fs.root_fd, rel (path), mode)));
}

static int
op_unlink (const char *path)
{
  ENTER ();
  const char *name;
  int dir_fd = open_parent (path, &name);
  if (dir_fd < 0)
    LEAVE (-errno);
  int ret = trash (dir_fd, name);
  close (dir_fd);
  LEAVE (ret);
}

static int
op_rmdir (const char *path)
{
  ENTER ();
  const char *name;
  int dir_fd = open_parent (path, &name);
  if (dir_fd < 0)
    LEAVE (-errno);
  /* Check emptiness the ordinary way first: rmdir's errors are the user's. */
  int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int ret = 0;
  if (fd < 0) {
    ret = -errno;
  } else {
    DIR *dir = fdopendir (fd);
    struct dirent *d;
    while (dir && (d = readdir (dir)))
      if (strcmp (d->d_name, ".") && strcmp (d->d_name, ".."))
        ret = -ENOTEMPTY;
    if (dir)
      closedir (dir);
    else
      close (fd);
  }
  if (ret == 0)
    ret = trash (dir_fd, name);
  close (dir_fd);
  LEAVE (ret);
}

static int
op_symlink (const char *target, const char *path)
{
  ENTER ();
  LEAVE (ERR (symlinkat (target, fs.root_fd, rel (path))));
}

static int
op_rename (const char *from, const char *to, unsigned int flags)
{
  ENTER ();
  if (flags & ~RENAME_NOREPLACE)
    LEAVE (-EINVAL);
  struct stat from_st, to_st;
  if (fstatat (fs.root_fd, rel (from), &from_st, AT_SYMLINK_NOFOLLOW) < 0)
    LEAVE (-errno);
  if (fstatat (fs.root_fd, rel (to), &to_st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (flags & RENAME_NOREPLACE)
      LEAVE (-EEXIST);
    if (from_st.st_ino == to_st.st_ino)
      LEAVE (0);
    if (S_ISDIR (from_st.st_mode) != S_ISDIR (to_st.st_mode))
      LEAVE (S_ISDIR (to_st.st_mode) ? -EISDIR : -ENOTDIR);
    /* The replaced inode may still be durably named: trash it, then move.
     * Both under the lock, so the process sees one atomic rename. */
    const char *name;
    int dir_fd = open_parent (to, &name);
    if (dir_fd < 0)
      LEAVE (-errno);
    int ret = 0;
    if (S_ISDIR (to_st.st_mode)) {
      int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
      struct dirent *d;
      while (dir && (d = readdir (dir)))
        if (strcmp (d->d_name, ".") && strcmp (d->d_name, ".."))
          ret = -ENOTEMPTY;
      if (dir)
        closedir (dir);
    }
    if (ret == 0)
      ret = trash (dir_fd, name);
    close (dir_fd);
    if (ret < 0)
      LEAVE (ret);
  }
  LEAVE (ERR (renameat (fs.root_fd, rel (from), fs.root_fd, rel (to))));
}

static int
op_link (const char *from, const char *to)
{
  ENTER ();
  LEAVE (ERR (linkat (fs.root_fd, rel (from), fs.root_fd, rel (to), 0)));
}

static int
op_chmod (const char *path, mode_t mode, struct fuse_file_info *fi)
{
  ENTER ();
  if (fi)
    LEAVE (ERR (fchmod (fi->fh, mode)));
  LEAVE (ERR (fchmodat (fs.root_fd, rel (path), mode, 0)));
}

static int
op_chown (const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
  ENTER ();
  if (fi)
    LEAVE (ERR (fchown (fi->fh, uid, gid)));
  LEAVE (ERR (fchownat (fs.root_fd, rel (path), uid, gid, AT_SYMLINK_NOFOLLOW)));
}

static int
truncate_fd (int fd, off_t size)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return -errno;
  FileState *state = file_state_for_fd (fd);
  if (size < st.st_size) {
    int ret = save_undo (fd, state, size, st.st_size - size);
    if (ret < 0)
      return ret;
  }
  return ERR (ftruncate (fd, size));
}

static int
op_truncate (const char *path, off_t size, struct fuse_file_info *fi)
{
  ENTER ();
  if (fi)
    LEAVE (truncate_fd (fi->fh, size));
  int fd = openat (fs.root_fd, rel (path), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    LEAVE (-errno);
  int ret = truncate_fd (fd, size);
  close (fd);
  LEAVE (ret);
}

/* Opens the backing file for the kernel's open: read-write even when the
 * caller asked write-only, since an overwrite must read the old bytes
 * first (save_undo); without O_APPEND, since the kernel already gives
 * appends the offset of the end. */
static int
open_backing (const char *path, int flags, mode_t mode)
{
  flags = (flags & ~O_APPEND) | O_CLOEXEC | O_NOFOLLOW;
  if ((flags & O_ACCMODE) == O_WRONLY) {
    int fd = openat (fs.root_fd, rel (path), (flags & ~O_ACCMODE) | O_RDWR, mode);
    if (fd >= 0 || errno != EACCES)
      return fd;
  }
  return openat (fs.root_fd, rel (path), flags, mode);
}

static int
op_open (const char *path, struct fuse_file_info *fi)
{
  ENTER ();
  int fd = open_backing (path, fi->flags & ~O_TRUNC, 0);
  if (fd < 0)
    LEAVE (-errno);
  if (fi->flags & O_TRUNC) {
    int ret = truncate_fd (fd, 0);
    if (ret < 0) {
      close (fd);
      LEAVE (ret);
    }
  }
  fi->fh = fd;
  LEAVE (0);
}

static int
op_create (const char *path, mode_t mode, struct fuse_file_info *fi)
{
  ENTER ();
  struct stat st;
  gboolean existed = fstatat (fs.root_fd, rel (path), &st, AT_SYMLINK_NOFOLLOW) == 0;
  int flags = fi->flags;
  if (existed)
    flags &= ~O_TRUNC;
  int fd = open_backing (path, flags, mode);
  if (fd < 0)
    LEAVE (-errno);
  if (!existed) {
    FileState *state = file_state_for_fd (fd);
    if (state)
      state->durable_size = 0;
  } else if (fi->flags & O_TRUNC) {
    int ret = truncate_fd (fd, 0);
    if (ret < 0) {
      close (fd);
      LEAVE (ret);
    }
  }
  fi->fh = fd;
  LEAVE (0);
}

static int
op_read (const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
  ENTER ();
  ssize_t n = pread (fi->fh, buf, size, offset);
  LEAVE (n < 0 ? -errno : (int) n);
}

static int
op_write (const char *path, const char *buf, size_t size, off_t offset,
    struct fuse_file_info *fi)
{
  ENTER ();
  int ret = save_undo (fi->fh, file_state_for_fd (fi->fh), offset, size);
  if (ret < 0)
    LEAVE (ret);
  ssize_t n = pwrite (fi->fh, buf, size, offset);
  LEAVE (n < 0 ? -errno : (int) n);
}

static int
op_statfs (const char *path, struct statvfs *st)
{
  ENTER ();
  LEAVE (ERR (fstatvfs (fs.root_fd, st)));
}

static int
op_flush (const char *path, struct fuse_file_info *fi)
{
  ENTER ();
  LEAVE (0);
}

static int
op_release (const char *path, struct fuse_file_info *fi)
{
  /* Also after a crash: the fd is ours. */
  close (fi->fh);
  return 0;
}

static int
op_fsync (const char *path, int datasync, struct fuse_file_info *fi)
{
  ENTER ();
  file_state_sync (fi->fh);
  LEAVE (0);
}

static int
op_opendir (const char *path, struct fuse_file_info *fi)
{
  ENTER ();
  int fd = openat (fs.root_fd, rel (path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    LEAVE (-errno);
  fi->fh = fd;
  LEAVE (0);
}

static int
op_readdir (const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
  ENTER ();
  int fd = dup (fi->fh);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  if (!dir) {
    int e = errno;
    if (fd >= 0)
      close (fd);
    LEAVE (-e);
  }
  rewinddir (dir);
  struct dirent *d;
  while ((d = readdir (dir))) {
    struct stat st = { .st_ino = d->d_ino, .st_mode = (mode_t) d->d_type << 12 };
    if (filler (buf, d->d_name, &st, 0, 0))
      break;
  }
  closedir (dir);
  LEAVE (0);
}

static int
op_releasedir (const char *path, struct fuse_file_info *fi)
{
  close (fi->fh);
  return 0;
}

static int
op_fsyncdir (const char *path, int datasync, struct fuse_file_info *fi)
{
  ENTER ();
  int ret = dir_record (fi->fh);
  trash_collect ();
  LEAVE (ret);
}

static int
op_utimens (const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
  ENTER ();
  if (fi)
    LEAVE (ERR (futimens (fi->fh, tv)));
  LEAVE (ERR (utimensat (fs.root_fd, rel (path), tv, AT_SYMLINK_NOFOLLOW)));
}

static int
op_fallocate (const char *path, int mode, off_t offset, off_t length,
    struct fuse_file_info *fi)
{
  ENTER ();
  LEAVE (-EOPNOTSUPP);
}

static int
op_setxattr (const char *path, const char *name, const char *value, size_t size, int flags)
{
  ENTER ();
  if (!strcmp (path, "/") && !strcmp (name, CRASH_XATTR)) {
    crash_locked ();
    LEAVE (0);
  }
  if (!strcmp (path, "/") && !strcmp (name, SYNC_XATTR)) {
    sync_all_locked ();
    LEAVE (0);
  }
  LEAVE (-ENOTSUP);
}

static int
op_getxattr (const char *path, const char *name, char *value, size_t size)
{
  ENTER ();
  LEAVE (-ENODATA);
}

static void
op_destroy (void *data)
{
}

static const struct fuse_operations operations = {
  .init = op_init,
  .destroy = op_destroy,
  .getattr = op_getattr,
  .readlink = op_readlink,
  .mknod = op_mknod,
  .mkdir = op_mkdir,
  .unlink = op_unlink,
  .rmdir = op_rmdir,
  .symlink = op_symlink,
  .rename = op_rename,
  .link = op_link,
  .chmod = op_chmod,
  .chown = op_chown,
  .truncate = op_truncate,
  .open = op_open,
  .create = op_create,
  .read = op_read,
  .write = op_write,
  .statfs = op_statfs,
  .flush = op_flush,
  .release = op_release,
  .fsync = op_fsync,
  .opendir = op_opendir,
  .readdir = op_readdir,
  .releasedir = op_releasedir,
  .fsyncdir = op_fsyncdir,
  .utimens = op_utimens,
  .fallocate = op_fallocate,
  .setxattr = op_setxattr,
  .getxattr = op_getxattr,
};

static int
control (const char *xattr, const char *mountpoint)
{
  if (setxattr (mountpoint, xattr, "1", 1, 0) < 0) {
    g_printerr ("dvr-powerfs: %s on %s: %s\n", xattr, mountpoint, g_strerror (errno));
    return 1;
  }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && !strcmp (argv[1], "--crash"))
    return control (CRASH_XATTR, argv[2]);
  if (argc == 3 && !strcmp (argv[1], "--sync"))
    return control (SYNC_XATTR, argv[2]);
  if (argc < 3 || argv[1][0] == '-') {
    g_printerr ("usage: dvr-powerfs BACKING MOUNTPOINT [-f] [-d] [-o OPTIONS]\n"
        "       dvr-powerfs --crash MOUNTPOINT\n"
        "       dvr-powerfs --sync MOUNTPOINT\n");
    return 2;
  }

  fs.backing = realpath (argv[1], NULL);
  if (!fs.backing) {
    g_printerr ("dvr-powerfs: %s: %s\n", argv[1], g_strerror (errno));
    return 1;
  }
  fs.root_path = g_build_filename (fs.backing, "root", NULL);
  fs.trash_path = g_build_filename (fs.backing, "trash", NULL);
  g_mkdir_with_parents (fs.root_path, 0755);
  g_mkdir_with_parents (fs.trash_path, 0755);
  fs.root_fd = open (fs.root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fs.trash_fd = open (fs.trash_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (fs.root_fd < 0 || fs.trash_fd < 0 || fstat (fs.root_fd, &st) < 0) {
    g_printerr ("dvr-powerfs: %s: %s\n", fs.root_path, g_strerror (errno));
    return 1;
  }
  fs.root_ino = st.st_ino;
  empty_dir (fs.trash_fd);
  fs.files = g_hash_table_new_full (ino_hash, ino_equal, g_free, file_state_free);
  fs.dirs = g_hash_table_new_full (ino_hash, ino_equal, g_free,
      (GDestroyNotify) g_hash_table_unref);
  dir_record_tree (fs.root_fd);

  /* SIGUSR1 is taken by a thread of its own, with the lock, so a crash
   * never lands in the middle of an operation.  Blocked here, so that every
   * FUSE thread inherits the mask; the thread starts in op_init, after
   * fuse_main has daemonised (threads do not survive the fork). */
  sigemptyset (&usr1_set);
  sigaddset (&usr1_set, SIGUSR1);
  pthread_sigmask (SIG_BLOCK, &usr1_set, NULL);

  /* fuse_main gets the arguments without BACKING. */
  GPtrArray *args = g_ptr_array_new ();
  g_ptr_array_add (args, argv[0]);
  for (int i = 2; i < argc; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);
  return fuse_main (args->len - 1, (char **) args->pdata, &operations, NULL);
}
