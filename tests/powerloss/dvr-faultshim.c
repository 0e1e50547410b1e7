/* dvr-faultshim.c: an LD_PRELOAD shim that fails the Nth call of a kind
 * with a chosen errno, for fault-injection tests (issue 8;
 * tests/powerloss/README.md).
 *
 *   DVR_FAULT=KIND:N:ERRNO[,KIND:N:ERRNO...]
 *     KIND   write fsync fdatasync rename unlink open
 *     N      1-based; "N+" fails the Nth call and every later one (a drive
 *            that stays broken)
 *     ERRNO  a name (EIO, ENOSPC, EROFS, EDQUOT, ENOENT, EACCES, EPERM,
 *            EBADF, ENODEV, ENXIO, ETIMEDOUT) or a number
 *   DVR_FAULT_PATH=PREFIX   count (and fail) only calls on paths under
 *                           PREFIX; fd calls look the path up in
 *                           /proc/self/fd.  Unset: every call counts.
 *   DVR_FAULT_LOG=FILE      append "PID fault KIND N ERRNO MONO_NS PATH" for
 *                           each call failed, as it fails (the first 64),
 *                           (MONO_NS: CLOCK_MONOTONIC when it failed; PATH:
 *                           the file it was on, as matched); at exit "PID
 *                           KIND COUNT" lines (one per kind, counted calls
 *                           only; not after _exit() or a crash) and, with
 *                           DVR_FAULT_ARM, "PID armed MONO_NS" (first
 *                           seen) and "PID disarmed MONO_NS" (last seen
 *                           gone), 0 for never; "-" is stderr.
 *   DVR_FAULT_ARM=FILE      calls are counted (and failed) only while FILE
 *                           exists: a test arms the fault at the moment it
 *                           wants (before a segment closes, say), not at
 *                           the process's start, and clears it (a sticky
 *                           fault: the drive works again) by removing FILE.
 *                           Counting starts from 0 when FILE is first seen;
 *                           FILE is looked for at most once a millisecond,
 *                           with a raw syscall.
 *
 * Kinds cover the libc entry points a GLib/GStreamer program reaches:
 *   write:     write, pwrite, pwrite64, writev, pwritev, pwritev64
 *   fsync:     fsync;  fdatasync: fdatasync
 *   rename:    rename, renameat, renameat2
 *   unlink:    unlink, unlinkat (also with AT_REMOVEDIR), remove
 *   open:      open, open64, openat, openat64, creat, creat64
 * Calls glibc makes internally (stdio's fflush/fclose writing a FILE's
 * buffer, fopen's open) do not go through the PLT and are not seen: stdio
 * is not counted.  SQLite, GLib (g_open, g_file_set_contents, GOutputStream)
 * and GStreamer's filesink (writev on the FILE's fd) call the exported
 * symbols and are.
 *
 * Paths under /proc/self/fd/N/ (a daemon that reaches its storage through
 * the folder it opened, as dvrd does) are matched against the prefix by
 * the real path of fd N.
 *
 * A failed call does nothing and returns -1 with errno set, as a failing
 * disk returns before touching anything (a torn write is not modelled).
 * Counting is process-wide and thread-safe; every process that inherits
 * LD_PRELOAD counts on its own (children start from zero).  Configuration
 * is read once, at load.
 */

/* We define write and pwrite64 (etc.) side by side, so the headers must not
 * rename one to the other; on 64-bit ABIs off_t is 64 bits either way. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* open, open64 etc. are defined side by side below. */
#undef open
#undef open64
#undef openat
#undef openat64
#undef creat
#undef creat64
#undef pwrite64
#undef pwritev64

enum { K_WRITE, K_FSYNC, K_FDATASYNC, K_RENAME, K_UNLINK, K_OPEN, N_KINDS };

static const char *const kind_names[N_KINDS] = {
  "write", "fsync", "fdatasync", "rename", "unlink", "open",
};

#define MAX_FAULTS 16
#define MAX_FAILED 64

static struct {
  int kind;
  unsigned long n;
  int sticky;             /* "N+": the Nth and every later call */
  int error;
} faults[MAX_FAULTS];
static int n_faults;
static char prefix[PATH_MAX];
static size_t prefix_len;
static char log_path[PATH_MAX];
static atomic_ulong counts[N_KINDS];
#define FAILED_PATH_MAX 256
/* The path the thread's last prefix test looked at, for the log. */
static __thread char matched_path[FAILED_PATH_MAX];
static atomic_int n_failed;
static char arm_path[PATH_MAX];
static atomic_int armed;            /* arm_path exists, as last looked */
static atomic_llong arm_checked_ns; /* last look for arm_path */
static long long armed_mono_ns;     /* when it was first seen, 0: never */
static long long disarmed_mono_ns;  /* when it was last seen gone, 0: never */

static const struct { const char *name; int value; } errno_names[] = {
  { "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "EDQUOT", EDQUOT },
  { "ENOENT", ENOENT }, { "EACCES", EACCES }, { "EPERM", EPERM }, { "EBADF", EBADF },
  { "ENODEV", ENODEV }, { "ENXIO", ENXIO }, { "ETIMEDOUT", ETIMEDOUT },
};

static void
shim_warn (const char *message, const char *what)
{
  char buf[512];
  int n = snprintf (buf, sizeof buf, "dvr-faultshim: %s: %s\n", message, what);
  if (n > 0)
    (void) !syscall (SYS_write, 2, buf, (size_t) (n < (int) sizeof buf ? n : (int) sizeof buf - 1));
}

__attribute__ ((constructor)) static void
shim_init (void)
{
  const char *spec = getenv ("DVR_FAULT");
  const char *path = getenv ("DVR_FAULT_PATH");
  const char *log = getenv ("DVR_FAULT_LOG");
  const char *arm = getenv ("DVR_FAULT_ARM");
  if (arm && *arm)
    snprintf (arm_path, sizeof arm_path, "%s", arm);
  if (path && *path) {
    snprintf (prefix, sizeof prefix, "%s", path);
    prefix_len = strlen (prefix);
    while (prefix_len > 1 && prefix[prefix_len - 1] == '/')
      prefix[--prefix_len] = '\0';
  }
  if (log && *log)
    snprintf (log_path, sizeof log_path, "%s", log);
  if (!spec)
    return;

  char copy[1024];
  snprintf (copy, sizeof copy, "%s", spec);
  char *save = NULL;
  for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
    char *kind = item, *n = strchr (item, ':'), *error = NULL;
    if (n) {
      *n++ = '\0';
      error = strchr (n, ':');
      if (error)
        *error++ = '\0';
    }
    if (!n || !error || n_faults == MAX_FAULTS) {
      shim_warn ("DVR_FAULT: expected KIND:N:ERRNO, got", item);
      continue;
    }
    int k;
    for (k = 0; k < N_KINDS && strcmp (kind_names[k], kind); k++)
      ;
    if (k == N_KINDS) {
      shim_warn ("DVR_FAULT: unknown kind", kind);
      continue;
    }
    char *end;
    unsigned long count = strtoul (n, &end, 10);
    int sticky = *end == '+';
    if (count == 0 || (*end && strcmp (end, "+"))) {
      shim_warn ("DVR_FAULT: bad call number", n);
      continue;
    }
    int value = 0;
    for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
      if (!strcmp (errno_names[i].name, error))
        value = errno_names[i].value;
    if (!value)
      value = (int) strtol (error, &end, 10);
    if (value <= 0) {
      shim_warn ("DVR_FAULT: unknown errno", error);
      continue;
    }
    faults[n_faults].kind = k;
    faults[n_faults].n = count;
    faults[n_faults].sticky = sticky;
    faults[n_faults].error = value;
    n_faults++;
  }
}

static long long mono_now_ns (void);

/* A failure is logged when it happens (the first MAX_FAILED of them), with
 * raw syscalls: a process that then crashes or leaves with _exit() still
 * tells which call failed. */
static void
log_failure (int kind, unsigned long n, int error, const char *path)
{
  if (!*log_path)
    return;
  int fd = strcmp (log_path, "-") ? (int) syscall (SYS_openat, AT_FDCWD, log_path,
      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : 2;
  if (fd < 0)
    return;
  char buf[FAILED_PATH_MAX + 128];
  int len = snprintf (buf, sizeof buf, "%d fault %s %lu %d %lld %s\n", (int) getpid (),
      kind_names[kind], n, error, mono_now_ns (), path);
  if (len > 0)
    (void) !syscall (SYS_write, fd, buf, (size_t) (len < (int) sizeof buf ? len : (int) sizeof buf - 1));
  if (fd != 2)
    syscall (SYS_close, fd);
}

__attribute__ ((destructor)) static void
shim_fini (void)
{
  if (!*log_path)
    return;
  int fd = strcmp (log_path, "-") ? (int) syscall (SYS_openat, AT_FDCWD, log_path,
      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : 2;
  if (fd < 0)
    return;
  char buf[1024];
  size_t len = 0;
  pid_t pid = getpid ();
  for (int k = 0; k < N_KINDS; k++)
    len += snprintf (buf + len, sizeof buf - len, "%d %s %lu\n", (int) pid, kind_names[k],
        (unsigned long) atomic_load (&counts[k]));
  if (*arm_path)
    len += snprintf (buf + len, sizeof buf - len, "%d armed %lld\n%d disarmed %lld\n",
        (int) pid, armed_mono_ns, (int) pid, disarmed_mono_ns);
  (void) !syscall (SYS_write, fd, buf, len);
  if (fd != 2)
    syscall (SYS_close, fd);
}

static long long
mono_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* DVR_FAULT_ARM: does FILE exist?  A raw access() at most once a
 * millisecond (the vDSO clock costs no syscall).  The first look that
 * finds it zeroes the counts, so counting starts at the arming; a look
 * that finds it gone disarms (counts stay, nothing fails). */
static int
shim_armed (void)
{
  if (!*arm_path)
    return 1;
  long long now = mono_now_ns ();
  long long last = atomic_load (&arm_checked_ns);
  if (now - last < 1000000 || !atomic_compare_exchange_strong (&arm_checked_ns, &last, now))
    return atomic_load (&armed);
  int exists = syscall (SYS_faccessat, AT_FDCWD, arm_path, F_OK) == 0;
  if (exists && !armed_mono_ns) {
    for (int k = 0; k < N_KINDS; k++)
      atomic_store (&counts[k], 0);
    armed_mono_ns = now;
  }
  if (!exists && atomic_load (&armed))
    disarmed_mono_ns = now;
  atomic_store (&armed, exists);
  return exists;
}

static int
under_prefix (const char *path)
{
  if (!prefix_len) {
    snprintf (matched_path, sizeof matched_path, "%s", path ? path : "-");
    return 1;
  }
  if (!path)
    return 0;
  char abs[PATH_MAX];
  /* /proc/self/fd/N/REST: the real path of fd N, then REST. */
  if (!strncmp (path, "/proc/self/fd/", 14) && path[14] >= '0' && path[14] <= '9') {
    char link[64], dir[PATH_MAX];
    const char *rest = path + 14;
    while (*rest >= '0' && *rest <= '9')
      rest++;
    if (*rest == '/' || *rest == '\0') {
      snprintf (link, sizeof link, "%.*s", (int) (rest - path), path);
      ssize_t n = readlink (link, dir, sizeof dir - 1);
      if (n > 0 && dir[0] == '/') {
        dir[n] = '\0';
        size_t dir_len = (size_t) n, rest_len = strlen (rest);
        if (dir_len + rest_len < sizeof abs) {
          memcpy (abs, dir, dir_len);
          memcpy (abs + dir_len, rest, rest_len + 1);
          path = abs;
        }
      }
    }
  }
  if (path[0] != '/') {
    if (!getcwd (abs, sizeof abs))
      return 0;
    size_t l = strlen (abs);
    snprintf (abs + l, sizeof abs - l, "/%s", path);
    path = abs;
  }
  snprintf (matched_path, sizeof matched_path, "%s", path);
  return !strncmp (path, prefix, prefix_len) &&
      (path[prefix_len] == '/' || path[prefix_len] == '\0' || prefix_len == 1);
}

static int
fd_under_prefix (int fd)
{
  if (!prefix_len) {
    snprintf (matched_path, sizeof matched_path, "fd:%d", fd);
    return 1;
  }
  char link[64], path[PATH_MAX];
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink (link, path, sizeof path - 1);
  if (n < 0)
    return 0;
  path[n] = '\0';
  return under_prefix (path);
}

static int
at_under_prefix (int dir_fd, const char *path)
{
  if (!prefix_len) {
    snprintf (matched_path, sizeof matched_path, "%s", path ? path : "-");
    return 1;
  }
  if (!path)
    return 0;
  if (path[0] == '/' || dir_fd == AT_FDCWD)
    return under_prefix (path);
  char link[64], dir[PATH_MAX];
  snprintf (link, sizeof link, "/proc/self/fd/%d", dir_fd);
  ssize_t n = readlink (link, dir, sizeof dir - 1);
  if (n < 0)
    return 0;
  dir[n] = '\0';
  char full[PATH_MAX + NAME_MAX];
  snprintf (full, sizeof full, "%s/%s", dir, path);
  return under_prefix (full);
}

/* Counts a call of @kind that is under the prefix; returns the errno to
 * fail it with, or 0. */
static int
shim_count (int kind, int counted)
{
  if (!counted)
    return 0;
  unsigned long n = atomic_fetch_add (&counts[kind], 1) + 1;
  for (int i = 0; i < n_faults; i++) {
    if (faults[i].kind != kind)
      continue;
    if (n == faults[i].n || (faults[i].sticky && n > faults[i].n)) {
      int slot = atomic_fetch_add (&n_failed, 1);
      if (slot < MAX_FAILED)
        log_failure (kind, n, faults[i].error, *matched_path ? matched_path : "-");
      return faults[i].error;
    }
  }
  return 0;
}

#define REAL(ret, name, ...) \
  static ret (*real_##name) (__VA_ARGS__); \
  if (!real_##name) \
    real_##name = (ret (*) (__VA_ARGS__)) dlsym (RTLD_NEXT, #name)

#define FAIL_IF(kind, counted) \
  do { \
    int fail_ = shim_count ((kind), (counted)); \
    if (fail_) { \
      errno = fail_; \
      return -1; \
    } \
  } while (0)

/* fd_under_prefix costs a readlink: only pay it when something counts,
 * and only once armed. */
#define ACTIVE ((n_faults || *log_path) && shim_armed ())

ssize_t
write (int fd, const void *buf, size_t count)
{
  REAL (ssize_t, write, int, const void *, size_t);
  FAIL_IF (K_WRITE, ACTIVE && fd_under_prefix (fd));
  return real_write (fd, buf, count);
}

ssize_t
pwrite (int fd, const void *buf, size_t count, off_t offset)
{
  REAL (ssize_t, pwrite, int, const void *, size_t, off_t);
  FAIL_IF (K_WRITE, ACTIVE && fd_under_prefix (fd));
  return real_pwrite (fd, buf, count, offset);
}

ssize_t
pwrite64 (int fd, const void *buf, size_t count, off64_t offset)
{
  REAL (ssize_t, pwrite64, int, const void *, size_t, off64_t);
  FAIL_IF (K_WRITE, ACTIVE && fd_under_prefix (fd));
  return real_pwrite64 (fd, buf, count, offset);
}

ssize_t
writev (int fd, const struct iovec *iov, int iovcnt)
{
  REAL (ssize_t, writev, int, const struct iovec *, int);
  FAIL_IF (K_WRITE, ACTIVE && fd_under_prefix (fd));
  return real_writev (fd, iov, iovcnt);
}

ssize_t
pwritev (int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
  REAL (ssize_t, pwritev, int, const struct iovec *, int, off_t);
  FAIL_IF (K_WRITE, ACTIVE && fd_under_prefix (fd));
  return real_pwritev (fd, iov, iovcnt, offset);
}

ssize_t
pwritev64 (int fd, const struct iovec *iov, int iovcnt, off64_t offset)
{
  REAL (ssize_t, pwritev64, int, const struct iovec *, int, off64_t);
  FAIL_IF (K_WRITE, ACTIVE && fd_under_prefix (fd));
  return real_pwritev64 (fd, iov, iovcnt, offset);
}

int
fsync (int fd)
{
  REAL (int, fsync, int);
  FAIL_IF (K_FSYNC, ACTIVE && fd_under_prefix (fd));
  return real_fsync (fd);
}

int
fdatasync (int fd)
{
  REAL (int, fdatasync, int);
  FAIL_IF (K_FDATASYNC, ACTIVE && fd_under_prefix (fd));
  return real_fdatasync (fd);
}

int
rename (const char *from, const char *to)
{
  REAL (int, rename, const char *, const char *);
  FAIL_IF (K_RENAME, ACTIVE && (under_prefix (from) || under_prefix (to)));
  return real_rename (from, to);
}

int
renameat (int from_dir, const char *from, int to_dir, const char *to)
{
  REAL (int, renameat, int, const char *, int, const char *);
  FAIL_IF (K_RENAME, ACTIVE && (at_under_prefix (from_dir, from) || at_under_prefix (to_dir, to)));
  return real_renameat (from_dir, from, to_dir, to);
}

int
renameat2 (int from_dir, const char *from, int to_dir, const char *to, unsigned int flags)
{
  REAL (int, renameat2, int, const char *, int, const char *, unsigned int);
  FAIL_IF (K_RENAME, ACTIVE && (at_under_prefix (from_dir, from) || at_under_prefix (to_dir, to)));
  return real_renameat2 (from_dir, from, to_dir, to, flags);
}

int
unlink (const char *path)
{
  REAL (int, unlink, const char *);
  FAIL_IF (K_UNLINK, ACTIVE && under_prefix (path));
  return real_unlink (path);
}

int
unlinkat (int dir_fd, const char *path, int flags)
{
  REAL (int, unlinkat, int, const char *, int);
  FAIL_IF (K_UNLINK, ACTIVE && at_under_prefix (dir_fd, path));
  return real_unlinkat (dir_fd, path, flags);
}

int
remove (const char *path)
{
  REAL (int, remove, const char *);
  FAIL_IF (K_UNLINK, ACTIVE && under_prefix (path));
  return real_remove (path);
}

static mode_t
open_mode (int flags, va_list ap)
{
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg (ap, mode_t) : 0;
}

int
open (const char *path, int flags, ...)
{
  REAL (int, open, const char *, int, ...);
  va_list ap;
  va_start (ap, flags);
  mode_t mode = open_mode (flags, ap);
  va_end (ap);
  FAIL_IF (K_OPEN, ACTIVE && under_prefix (path));
  return real_open (path, flags, mode);
}

int
open64 (const char *path, int flags, ...)
{
  REAL (int, open64, const char *, int, ...);
  va_list ap;
  va_start (ap, flags);
  mode_t mode = open_mode (flags, ap);
  va_end (ap);
  FAIL_IF (K_OPEN, ACTIVE && under_prefix (path));
  return real_open64 (path, flags, mode);
}

int
openat (int dir_fd, const char *path, int flags, ...)
{
  REAL (int, openat, int, const char *, int, ...);
  va_list ap;
  va_start (ap, flags);
  mode_t mode = open_mode (flags, ap);
  va_end (ap);
  FAIL_IF (K_OPEN, ACTIVE && at_under_prefix (dir_fd, path));
  return real_openat (dir_fd, path, flags, mode);
}

int
openat64 (int dir_fd, const char *path, int flags, ...)
{
  REAL (int, openat64, int, const char *, int, ...);
  va_list ap;
  va_start (ap, flags);
  mode_t mode = open_mode (flags, ap);
  va_end (ap);
  FAIL_IF (K_OPEN, ACTIVE && at_under_prefix (dir_fd, path));
  return real_openat64 (dir_fd, path, flags, mode);
}

int
creat (const char *path, mode_t mode)
{
  REAL (int, creat, const char *, mode_t);
  FAIL_IF (K_OPEN, ACTIVE && under_prefix (path));
  return real_creat (path, mode);
}

int
creat64 (const char *path, mode_t mode)
{
  REAL (int, creat64, const char *, mode_t);
  FAIL_IF (K_OPEN, ACTIVE && under_prefix (path));
  return real_creat64 (path, mode);
}
