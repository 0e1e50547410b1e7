/* dvr-v4l2-fake.c: an LD_PRELOAD shim that turns one character device node
 * into a fake V4L2 capture camera, for tests.
 *
 * Why: the test machines' kernels have no V4L2 modules (no vivid, no
 * v4l2loopback), yet we want to run the real v4l2src, not a stand-in.
 * v4l2src (GStreamer 1.22, without libv4l2) stat()s the device (it must be
 * S_ISCHR), then calls libc's open64, ioctl, mmap64, dup and close directly,
 * so interposing those is enough.
 *
 * How: the test makes a node with the major/minor of /dev/null
 * (mknod DIR/video0 c 1 3): it is a real char device, opens fine and always
 * polls readable.  DVR_V4L2_FAKE_DEVICE names that path; every fd opened on it
 * (and every dup of such an fd: the buffer pool dups it) is "fake", and only
 * those fds get the fake ioctl/mmap; everything else passes straight to libc.
 *
 * What the camera does: the formats in DVR_V4L2_FAKE_FORMATS (a comma list
 * of YUYV, MJPG and H264, in the order ENUM_FMT gives them; default YUYV),
 * each at the one size DVR_V4L2_FAKE_SIZE=WxH (default 320x240) and the one
 * rate DVR_V4L2_FAKE_FPS=N (default 30), MMAP streaming only.  S_FMT/TRY_FMT
 * accept any advertised format.  Known gap: the frames are always YUYV data,
 * whatever format was set, so MJPG/H264 exist for probing and format choice,
 * not for decoding.  Each
 * buffer is a memfd; a frame is a grey ramp with a white bar that moves every
 * frame, so consecutive frames always differ.  Because poll() on the node is
 * always ready, DQBUF blocks until the next frame is due (as a blocking real
 * driver does), and stamps it with the CLOCK_MONOTONIC time it was due, so
 * frame spacing is exact even when the consumer runs late.  Nothing is ever
 * dropped: sequence numbers have no gaps.
 *
 * Unplug and replug, driven by the node: when the test unlinks the node, the
 * camera is unplugged.  DQBUF stat()s the path each time it looks for a frame
 * (each frame, and at least every 100 ms while it waits for a QBUF); once the
 * path is gone, every ioctl on the fds already open fails with ENODEV, as
 * V4L2 does for a disconnected uvcvideo device, and poll()/ppoll() report
 * POLLERR on them.  The fds stay dead even if the node comes back.  New opens
 * of the missing path fail with ENOENT by themselves.  Replug: the test
 * mknods the node again, and the next open of it is a fresh camera (one
 * camera per process: this also revives fds that are still open from before,
 * which a real kernel would not do).
 *
 * Controls, as a fixed vehicle camera has them: Brightness (integer),
 * White Balance, Automatic (boolean), Power Line Frequency (menu) and Auto
 * Exposure (menu), through QUERYCTRL (V4L2_CTRL_FLAG_NEXT_CTRL enumerates
 * them), QUERYMENU, G_CTRL and S_CTRL; values are kept per camera.  Any other
 * control is EINVAL.
 *
 * libv4l2 and libv4lconvert do not call open/ioctl/mmap/dup/close but issue
 * the system calls through syscall(), so syscall() is interposed too: openat
 * (and open) of the fake path, and ioctl, mmap, dup and close of fake fds are
 * handled as above; every other call is forwarded unchanged.
 *
 * Not faked: read() I/O, USERPTR/DMABUF, extended controls, standards,
 * events, cropping.  Those ioctls fail as a driver without them would
 * (EINVAL for controls, ENOTTY otherwise).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* We define open and open64 (etc.) side by side, so the headers must not
 * rename one to the other; on 64-bit ABIs off_t is 64 bits either way. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FAKE_MAX_FDS 4096 /* fds above this are never fake: fine for tests */
#define FAKE_MAX_BUFFERS 32
#define FAKE_MAX_FORMATS 8

/* The camera's controls, in id order so NEXT_CTRL can walk the table. */
typedef struct {
  unsigned id;
  unsigned type;
  const char *name;
  int minimum, maximum, step, default_value;
  const char *const *menu; /* item names for menus, indexed from minimum */
} FakeControl;

static const char *const power_line_menu[] = { "Disabled", "50 Hz", "60 Hz", "Auto" };
static const char *const exposure_menu[] = {
  "Auto Mode", "Manual Mode", "Shutter Priority Mode", "Aperture Priority Mode"
};

static const FakeControl fake_controls[] = {
  { V4L2_CID_BRIGHTNESS, V4L2_CTRL_TYPE_INTEGER, "Brightness", 0, 255, 1, 128, NULL },
  { V4L2_CID_AUTO_WHITE_BALANCE, V4L2_CTRL_TYPE_BOOLEAN, "White Balance, Automatic",
    0, 1, 1, 1, NULL },
  { V4L2_CID_POWER_LINE_FREQUENCY, V4L2_CTRL_TYPE_MENU, "Power Line Frequency",
    0, 3, 1, 1, power_line_menu },
  { V4L2_CID_EXPOSURE_AUTO, V4L2_CTRL_TYPE_MENU, "Auto Exposure", 0, 3, 1, 0, exposure_menu },
};
#define FAKE_N_CONTROLS (sizeof fake_controls / sizeof fake_controls[0])

typedef struct {
  int memfd;
  void *data;          /* the shim's own mapping, to paint frames into */
  bool queued;
  unsigned long queued_order; /* DQBUF returns buffers in QBUF order */
} FakeBuffer;

/* One camera per process; every field is under `lock`. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  unsigned width, height, fps;
  unsigned formats[FAKE_MAX_FORMATS]; /* fourccs, in ENUM_FMT order */
  unsigned n_formats;
  unsigned pixelformat;               /* the one set by S_FMT */
  int control_values[FAKE_N_CONTROLS];
  bool fake_fd[FAKE_MAX_FDS];
  unsigned n_open_fds;
  FakeBuffer buffers[FAKE_MAX_BUFFERS];
  unsigned n_buffers;
  bool streaming;
  unsigned long generation;   /* bumped by STREAMOFF, to wake sleepers */
  unsigned long queue_counter;
  unsigned sequence;
  struct timespec start;      /* CLOCK_MONOTONIC time of frame 0 */
  char device[4096];          /* the node's path, as opened */
  bool unplugged;             /* the node was unlinked: ioctls fail ENODEV */
} fake = {
  .lock = PTHREAD_MUTEX_INITIALIZER,
  .cond = PTHREAD_COND_INITIALIZER,
};

static void *
real (const char *name)
{
  void *symbol = dlsym (RTLD_NEXT, name);
  if (symbol == NULL)
    abort (); /* no libc function to forward to: nothing sane to do */
  return symbol;
}

#define REAL(ret, name, ...) \
  static ret (*real_##name) (__VA_ARGS__); \
  if (real_##name == NULL) real_##name = real (#name)

/* Reads size and rate when the device is first opened, not at load time:
 * a test process sets the environment after it has started. Lock held. */
static void
fake_configure (void)
{
  const char *size = getenv ("DVR_V4L2_FAKE_SIZE");
  const char *fps = getenv ("DVR_V4L2_FAKE_FPS");

  fake.width = 320;
  fake.height = 240;
  fake.fps = 30;
  if (size != NULL && sscanf (size, "%ux%u", &fake.width, &fake.height) != 2)
    fake.width = 320, fake.height = 240;
  /* YUYV packs two pixels per macropixel: keep the width even. */
  fake.width = (fake.width + 1) & ~1u;
  if (fps != NULL)
    fake.fps = (unsigned) atoi (fps);
  if (fake.fps == 0)
    fake.fps = 30;

  const char *formats = getenv ("DVR_V4L2_FAKE_FORMATS");
  fake.n_formats = 0;
  if (formats != NULL) {
    char list[256];
    char *saveptr = NULL;
    snprintf (list, sizeof list, "%s", formats);
    for (char *name = strtok_r (list, ",", &saveptr); name != NULL && fake.n_formats < FAKE_MAX_FORMATS;
         name = strtok_r (NULL, ",", &saveptr)) {
      if (strcmp (name, "YUYV") == 0)
        fake.formats[fake.n_formats++] = V4L2_PIX_FMT_YUYV;
      else if (strcmp (name, "MJPG") == 0)
        fake.formats[fake.n_formats++] = V4L2_PIX_FMT_MJPEG;
      else if (strcmp (name, "H264") == 0)
        fake.formats[fake.n_formats++] = V4L2_PIX_FMT_H264;
      /* Unknown names are skipped: the test sees the format missing. */
    }
  }
  if (fake.n_formats == 0)
    fake.formats[fake.n_formats++] = V4L2_PIX_FMT_YUYV;
  fake.pixelformat = fake.formats[0];
  for (unsigned i = 0; i < FAKE_N_CONTROLS; i++)
    fake.control_values[i] = fake_controls[i].default_value;
}

static bool
fake_has_format (unsigned fourcc)
{
  for (unsigned i = 0; i < fake.n_formats; i++)
    if (fake.formats[i] == fourcc)
      return true;
  return false;
}

static int
fake_find_control (unsigned id)
{
  for (unsigned i = 0; i < FAKE_N_CONTROLS; i++)
    if (fake_controls[i].id == id)
      return (int) i;
  return -1;
}

static int
fake_queryctrl (struct v4l2_queryctrl *query)
{
  int index = -1;

  if (query->id & V4L2_CTRL_FLAG_NEXT_CTRL) {
    unsigned after = query->id & ~(V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND);
    for (unsigned i = 0; i < FAKE_N_CONTROLS && index < 0; i++)
      if (fake_controls[i].id > after)
        index = (int) i;
  } else
    index = fake_find_control (query->id);
  if (index < 0)
    return EINVAL;

  const FakeControl *control = &fake_controls[index];
  memset (query, 0, sizeof *query);
  query->id = control->id;
  query->type = control->type;
  snprintf ((char *) query->name, sizeof query->name, "%s", control->name);
  query->minimum = control->minimum;
  query->maximum = control->maximum;
  query->step = control->step;
  query->default_value = control->default_value;
  return 0;
}

static bool
fake_is_fd (int fd)
{
  bool ret;

  if (fd < 0 || fd >= FAKE_MAX_FDS)
    return false;
  pthread_mutex_lock (&fake.lock);
  ret = fake.fake_fd[fd];
  pthread_mutex_unlock (&fake.lock);
  return ret;
}

static void
fake_free_buffers (void)
{
  size_t size = (size_t) fake.width * fake.height * 2;
  REAL (int, close, int); /* ours would take the lock again */

  for (unsigned i = 0; i < fake.n_buffers; i++) {
    munmap (fake.buffers[i].data, size);
    real_close (fake.buffers[i].memfd);
  }
  memset (fake.buffers, 0, sizeof fake.buffers);
  fake.n_buffers = 0;
}

/* Marks (or unmarks) `fd` as fake; the last fake fd closing resets the
 * camera, as closing a real device node frees its buffers. Lock held. */
static void
fake_set_fd (int fd, bool is_fake)
{
  if (fd < 0 || fd >= FAKE_MAX_FDS || fake.fake_fd[fd] == is_fake)
    return;
  fake.fake_fd[fd] = is_fake;
  if (is_fake) {
    fake.n_open_fds++;
  } else if (--fake.n_open_fds == 0) {
    fake.streaming = false;
    fake.generation++;
    fake_free_buffers ();
    pthread_cond_broadcast (&fake.cond);
  }
}

/* After a successful open of `path` returning `fd`. */
static int
fake_track_open (const char *path, int fd)
{
  if (fd < 0 || path == NULL)
    return fd;
  const char *device = getenv ("DVR_V4L2_FAKE_DEVICE");

  pthread_mutex_lock (&fake.lock);
  if (device != NULL && strcmp (path, device) == 0) {
    if (fake.n_open_fds == 0 || fake.unplugged) {
      /* A replug is a new camera: forget the unplugged one's state. */
      if (fake.unplugged) {
        fake.streaming = false;
        fake.generation++;
        for (unsigned i = 0; i < fake.n_buffers; i++)
          fake.buffers[i].queued = false;
        pthread_cond_broadcast (&fake.cond);
      }
      fake.unplugged = false;
      fake_configure ();
      snprintf (fake.device, sizeof fake.device, "%s", device);
    }
    fake_set_fd (fd, true);
  } else
    fake_set_fd (fd, false); /* fd reused after a close we did not see */
  pthread_mutex_unlock (&fake.lock);
  return fd;
}

/* After a successful dup of `old_fd` to `new_fd`. */
static int
fake_track_dup (int old_fd, int new_fd)
{
  if (new_fd < 0)
    return new_fd;
  pthread_mutex_lock (&fake.lock);
  fake_set_fd (new_fd, old_fd >= 0 && old_fd < FAKE_MAX_FDS && fake.fake_fd[old_fd]);
  pthread_mutex_unlock (&fake.lock);
  return new_fd;
}

/* ---- the interposed libc functions ---- */

#define OPEN_MODE(flags) \
  mode_t mode = 0; \
  if ((flags) & (O_CREAT | __O_TMPFILE)) { \
    va_list args; va_start (args, flags); \
    mode = va_arg (args, mode_t); va_end (args); \
  }

int
open (const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  REAL (int, open, const char *, int, ...);
  return fake_track_open (path, real_open (path, flags, mode));
}

int
open64 (const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  REAL (int, open64, const char *, int, ...);
  return fake_track_open (path, real_open64 (path, flags, mode));
}

int
openat (int dir_fd, const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  REAL (int, openat, int, const char *, int, ...);
  return fake_track_open (path, real_openat (dir_fd, path, flags, mode));
}

int
openat64 (int dir_fd, const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  REAL (int, openat64, int, const char *, int, ...);
  return fake_track_open (path, real_openat64 (dir_fd, path, flags, mode));
}

int
dup (int fd)
{
  REAL (int, dup, int);
  return fake_track_dup (fd, real_dup (fd));
}

int
dup2 (int fd, int new_fd)
{
  REAL (int, dup2, int, int);
  return fake_track_dup (fd, real_dup2 (fd, new_fd));
}

int
dup3 (int fd, int new_fd, int flags)
{
  REAL (int, dup3, int, int, int);
  return fake_track_dup (fd, real_dup3 (fd, new_fd, flags));
}

/* Every fcntl argument fits a long on the ABIs we run on (x86-64, aarch64). */
#define FCNTL_BODY(name) \
  va_list args; va_start (args, cmd); \
  long arg = va_arg (args, long); va_end (args); \
  REAL (int, name, int, int, ...); \
  int ret = real_##name (fd, cmd, arg); \
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) \
    fake_track_dup (fd, ret); \
  return ret

int fcntl (int fd, int cmd, ...) { FCNTL_BODY (fcntl); }
int fcntl64 (int fd, int cmd, ...) { FCNTL_BODY (fcntl64); }

int
close (int fd)
{
  REAL (int, close, int);
  if (fd >= 0 && fd < FAKE_MAX_FDS) {
    pthread_mutex_lock (&fake.lock);
    fake_set_fd (fd, false);
    pthread_mutex_unlock (&fake.lock);
  }
  return real_close (fd);
}

/* Buffer i lives at offset i * frame size (page aligned), as QUERYBUF says. */
static size_t
fake_buffer_stride (void)
{
  size_t page = (size_t) sysconf (_SC_PAGESIZE);
  size_t size = (size_t) fake.width * fake.height * 2;
  return (size + page - 1) / page * page;
}

static void *
fake_mmap (void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
  REAL (void *, mmap, void *, size_t, int, int, int, off_t);
  int memfd = -1;

  if (!fake_is_fd (fd))
    return real_mmap (addr, length, prot, flags, fd, offset);
  pthread_mutex_lock (&fake.lock);
  size_t index = (size_t) offset / fake_buffer_stride ();
  if (offset >= 0 && (size_t) offset % fake_buffer_stride () == 0 && index < fake.n_buffers)
    memfd = fake.buffers[index].memfd;
  pthread_mutex_unlock (&fake.lock);
  if (memfd < 0) {
    errno = EINVAL;
    return MAP_FAILED;
  }
  return real_mmap (addr, length, prot, flags, memfd, 0);
}

void *
mmap (void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
  return fake_mmap (addr, length, prot, flags, fd, offset);
}

void *
mmap64 (void *addr, size_t length, int prot, int flags, int fd, off64_t offset)
{
  return fake_mmap (addr, length, prot, flags, fd, (off_t) offset);
}

/* ---- the fake driver; every function below runs with the lock held ---- */

static void
fake_fill_format (struct v4l2_pix_format *pix)
{
  memset (pix, 0, sizeof *pix);
  pix->width = fake.width;
  pix->height = fake.height;
  pix->pixelformat = fake.pixelformat;
  pix->field = V4L2_FIELD_NONE;
  pix->bytesperline = fake.width * 2;
  pix->sizeimage = fake.width * fake.height * 2;
  pix->colorspace = V4L2_COLORSPACE_SRGB;
}

static int
fake_reqbufs (struct v4l2_requestbuffers *request)
{
  size_t size = (size_t) fake.width * fake.height * 2;
  REAL (void *, mmap, void *, size_t, int, int, int, off_t); /* ours locks */

  request->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP;
  if (request->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || request->memory != V4L2_MEMORY_MMAP)
    return EINVAL;
  if (fake.streaming)
    return EBUSY;
  fake_free_buffers ();
  if (request->count > FAKE_MAX_BUFFERS)
    request->count = FAKE_MAX_BUFFERS;
  for (unsigned i = 0; i < request->count; i++) {
    FakeBuffer *buffer = &fake.buffers[i];
    buffer->memfd = memfd_create ("dvr-v4l2-fake", MFD_CLOEXEC);
    if (buffer->memfd < 0 || ftruncate (buffer->memfd, (off_t) size) < 0)
      return ENOMEM;
    buffer->data = real_mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buffer->memfd, 0);
    if (buffer->data == MAP_FAILED)
      return ENOMEM;
    fake.n_buffers = i + 1;
  }
  return 0;
}

static void
fake_fill_buffer_info (unsigned index, struct v4l2_buffer *info)
{
  unsigned flags = info->flags & (V4L2_BUF_FLAG_DONE); /* kept by DQBUF */

  info->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  info->memory = V4L2_MEMORY_MMAP;
  info->index = index;
  info->length = fake.width * fake.height * 2;
  info->m.offset = (unsigned) (index * fake_buffer_stride ());
  info->field = V4L2_FIELD_NONE;
  info->flags = flags | V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
      V4L2_BUF_FLAG_TSTAMP_SRC_EOF | (fake.buffers[index].queued ? V4L2_BUF_FLAG_QUEUED : 0);
}

/* A grey ramp with a white bar that moves a few pixels per frame. */
static void
fake_paint (unsigned char *data, unsigned sequence)
{
  unsigned bar_width = fake.width / 8 ? fake.width / 8 : 1;
  unsigned step = fake.width / 64 ? fake.width / 64 : 1;
  unsigned bar_x = (sequence * step) % fake.width;

  for (unsigned y = 0; y < fake.height; y++) {
    unsigned char *line = data + (size_t) y * fake.width * 2;
    for (unsigned x = 0; x < fake.width; x++) {
      bool in_bar = (x + fake.width - bar_x) % fake.width < bar_width;
      line[2 * x] = in_bar ? 235 : (unsigned char) (16 + 160 * y / fake.height);
      line[2 * x + 1] = 128; /* U and V alternate: neutral chroma */
    }
  }
}

static struct timespec
fake_frame_due (unsigned sequence)
{
  unsigned long long ns = (unsigned long long) fake.start.tv_nsec +
      (unsigned long long) sequence * 1000000000ull / fake.fps;
  struct timespec due = {
    .tv_sec = fake.start.tv_sec + (time_t) (ns / 1000000000ull),
    .tv_nsec = (long) (ns % 1000000000ull),
  };
  return due;
}

/* True once the node has been unlinked (sticky until the next open). */
static bool
fake_check_unplugged (void)
{
  struct stat st;
  int saved_errno = errno;

  if (!fake.unplugged && fake.device[0] != '\0' && stat (fake.device, &st) < 0 && errno == ENOENT)
    fake.unplugged = true;
  errno = saved_errno;
  return fake.unplugged;
}

static int
fake_dqbuf (int fd, struct v4l2_buffer *info)
{
  unsigned long generation = fake.generation;
  REAL (int, fcntl, int, int, ...);
  bool nonblocking = (real_fcntl (fd, F_GETFL) & O_NONBLOCK) != 0;

  for (;;) {
    int oldest = -1;
    if (fake_check_unplugged ())
      return ENODEV;
    if (!fake.streaming || fake.generation != generation)
      return EINVAL;
    for (unsigned i = 0; i < fake.n_buffers; i++)
      if (fake.buffers[i].queued && (oldest < 0 ||
              fake.buffers[i].queued_order < fake.buffers[oldest].queued_order))
        oldest = (int) i;

    struct timespec due = fake_frame_due (fake.sequence), now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    bool is_due = now.tv_sec > due.tv_sec ||
        (now.tv_sec == due.tv_sec && now.tv_nsec >= due.tv_nsec);

    if (oldest >= 0 && is_due) {
      FakeBuffer *buffer = &fake.buffers[oldest];
      fake_paint (buffer->data, fake.sequence);
      buffer->queued = false;
      info->flags = V4L2_BUF_FLAG_DONE;
      fake_fill_buffer_info ((unsigned) oldest, info);
      info->bytesused = info->length;
      info->timestamp.tv_sec = due.tv_sec;
      info->timestamp.tv_usec = due.tv_nsec / 1000;
      info->sequence = fake.sequence++;
      return 0;
    }
    if (nonblocking)
      return EAGAIN;
    if (oldest < 0) {
      /* Wake now and then to notice an unplug (the cond uses CLOCK_REALTIME). */
      struct timespec until;
      clock_gettime (CLOCK_REALTIME, &until);
      until.tv_nsec += 100000000;
      if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait (&fake.cond, &fake.lock, &until);
    } else {
      /* Sleep without the lock, so QBUF/STREAMOFF from other threads run. */
      pthread_mutex_unlock (&fake.lock);
      clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
      pthread_mutex_lock (&fake.lock);
    }
  }
}

static int
fake_ioctl (int fd, unsigned long request, void *arg)
{
  if (fake.unplugged)
    return ENODEV; /* a disconnected device fails every ioctl */
  switch (request) {
    case VIDIOC_QUERYCAP: {
      struct v4l2_capability *caps = arg;
      memset (caps, 0, sizeof *caps);
      snprintf ((char *) caps->driver, sizeof caps->driver, "dvr-v4l2-fake");
      snprintf ((char *) caps->card, sizeof caps->card, "DVR fake camera");
      snprintf ((char *) caps->bus_info, sizeof caps->bus_info, "platform:dvr-v4l2-fake");
      caps->version = (6 << 16) | (1 << 8);
      caps->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
      caps->capabilities = caps->device_caps | V4L2_CAP_DEVICE_CAPS;
      return 0;
    }
    case VIDIOC_ENUM_FMT: {
      struct v4l2_fmtdesc *desc = arg;
      if (desc->index >= fake.n_formats || desc->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
        return EINVAL;
      unsigned fourcc = fake.formats[desc->index];
      memset (desc->description, 0, sizeof desc->description);
      snprintf ((char *) desc->description, sizeof desc->description, "%s",
          fourcc == V4L2_PIX_FMT_H264 ? "H.264" :
          fourcc == V4L2_PIX_FMT_MJPEG ? "Motion-JPEG" : "YUYV 4:2:2");
      desc->flags = fourcc == V4L2_PIX_FMT_YUYV ? 0 : V4L2_FMT_FLAG_COMPRESSED;
      desc->pixelformat = fourcc;
      return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
      struct v4l2_frmsizeenum *size = arg;
      if (size->index != 0 || !fake_has_format (size->pixel_format))
        return EINVAL;
      size->type = V4L2_FRMSIZE_TYPE_DISCRETE;
      size->discrete.width = fake.width;
      size->discrete.height = fake.height;
      return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
      struct v4l2_frmivalenum *interval = arg;
      if (interval->index != 0 || !fake_has_format (interval->pixel_format) ||
          interval->width != fake.width || interval->height != fake.height)
        return EINVAL;
      interval->type = V4L2_FRMIVAL_TYPE_DISCRETE;
      interval->discrete.numerator = 1;
      interval->discrete.denominator = fake.fps;
      return 0;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT:
    case VIDIOC_TRY_FMT: {
      /* Any advertised pixel format is taken, at the one size, as drivers
       * do; an unknown one keeps the current format. */
      struct v4l2_format *format = arg;
      if (format->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
        return EINVAL;
      unsigned pixelformat = fake.pixelformat;
      if (request != VIDIOC_G_FMT && fake_has_format (format->fmt.pix.pixelformat))
        pixelformat = format->fmt.pix.pixelformat;
      if (request == VIDIOC_S_FMT) {
        if (fake.n_buffers > 0 && pixelformat != fake.pixelformat)
          return EBUSY;
        fake.pixelformat = pixelformat;
      }
      unsigned current = fake.pixelformat;
      fake.pixelformat = pixelformat;
      fake_fill_format (&format->fmt.pix);
      fake.pixelformat = current;
      return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
      struct v4l2_streamparm *parm = arg;
      if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
        return EINVAL;
      memset (&parm->parm.capture, 0, sizeof parm->parm.capture);
      parm->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
      parm->parm.capture.timeperframe.numerator = 1;
      parm->parm.capture.timeperframe.denominator = fake.fps;
      return 0;
    }
    case VIDIOC_ENUMINPUT: {
      struct v4l2_input *input = arg;
      if (input->index != 0)
        return EINVAL;
      memset (input, 0, sizeof *input);
      snprintf ((char *) input->name, sizeof input->name, "Camera");
      input->type = V4L2_INPUT_TYPE_CAMERA;
      return 0;
    }
    case VIDIOC_G_INPUT:
      *(int *) arg = 0;
      return 0;
    case VIDIOC_S_INPUT:
      return *(int *) arg == 0 ? 0 : EINVAL;
    case VIDIOC_QUERYCTRL:
      return fake_queryctrl (arg);
    case VIDIOC_QUERYMENU: {
      struct v4l2_querymenu *item = arg;
      int index = fake_find_control (item->id);
      if (index < 0 || fake_controls[index].menu == NULL ||
          (int) item->index < fake_controls[index].minimum ||
          (int) item->index > fake_controls[index].maximum)
        return EINVAL;
      memset (item->name, 0, sizeof item->name);
      snprintf ((char *) item->name, sizeof item->name, "%s",
          fake_controls[index].menu[item->index - (unsigned) fake_controls[index].minimum]);
      return 0;
    }
    case VIDIOC_G_CTRL: {
      struct v4l2_control *control = arg;
      int index = fake_find_control (control->id);
      if (index < 0)
        return EINVAL;
      control->value = fake.control_values[index];
      return 0;
    }
    case VIDIOC_S_CTRL: {
      struct v4l2_control *control = arg;
      int index = fake_find_control (control->id);
      if (index < 0)
        return EINVAL;
      if (control->value < fake_controls[index].minimum ||
          control->value > fake_controls[index].maximum)
        return ERANGE;
      fake.control_values[index] = control->value;
      return 0;
    }
    case VIDIOC_QUERY_EXT_CTRL:
    case VIDIOC_G_EXT_CTRLS:
    case VIDIOC_S_EXT_CTRLS:
    case VIDIOC_TRY_EXT_CTRLS:
      return EINVAL; /* a camera with no controls */
    case VIDIOC_REQBUFS:
      return fake_reqbufs (arg);
    case VIDIOC_QUERYBUF: {
      struct v4l2_buffer *info = arg;
      if (info->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || info->index >= fake.n_buffers)
        return EINVAL;
      info->flags = 0;
      fake_fill_buffer_info (info->index, info);
      info->bytesused = 0;
      return 0;
    }
    case VIDIOC_QBUF: {
      struct v4l2_buffer *info = arg;
      if (info->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || info->memory != V4L2_MEMORY_MMAP ||
          info->index >= fake.n_buffers || fake.buffers[info->index].queued)
        return EINVAL;
      fake.buffers[info->index].queued = true;
      fake.buffers[info->index].queued_order = fake.queue_counter++;
      info->flags = 0;
      fake_fill_buffer_info (info->index, info);
      pthread_cond_broadcast (&fake.cond);
      return 0;
    }
    case VIDIOC_DQBUF: {
      struct v4l2_buffer *info = arg;
      if (info->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || info->memory != V4L2_MEMORY_MMAP)
        return EINVAL;
      return fake_dqbuf (fd, info);
    }
    case VIDIOC_STREAMON:
      if (fake.n_buffers == 0)
        return EINVAL;
      if (!fake.streaming) {
        fake.streaming = true;
        fake.sequence = 0;
        /* Frame 0 is captured one frame period after streaming starts. */
        clock_gettime (CLOCK_MONOTONIC, &fake.start);
        fake.start = fake_frame_due (1);
      }
      return 0;
    case VIDIOC_STREAMOFF:
      /* Like a driver: stop, and hand every queued buffer back. */
      fake.streaming = false;
      fake.generation++;
      for (unsigned i = 0; i < fake.n_buffers; i++)
        fake.buffers[i].queued = false;
      pthread_cond_broadcast (&fake.cond);
      return 0;
    default:
      return ENOTTY; /* crop, selection, events, EXPBUF, CREATE_BUFS, std... */
  }
}

int
ioctl (int fd, unsigned long request, ...)
{
  va_list args;
  void *arg;
  int error;

  va_start (args, request);
  arg = va_arg (args, void *);
  va_end (args);

  if (!fake_is_fd (fd)) {
    REAL (int, ioctl, int, unsigned long, ...);
    return real_ioctl (fd, request, arg);
  }
  pthread_mutex_lock (&fake.lock);
  error = fake_ioctl (fd, request, arg);
  pthread_mutex_unlock (&fake.lock);
  if (error != 0) {
    errno = error;
    return -1;
  }
  return 0;
}

/* POLLERR on fake fds once unplugged; the node itself always polls ready. */
static void
fake_poll_errors (struct pollfd *fds, nfds_t n_fds)
{
  pthread_mutex_lock (&fake.lock);
  for (nfds_t i = 0; fake.n_open_fds > 0 && i < n_fds; i++)
    if (fds[i].fd >= 0 && fds[i].fd < FAKE_MAX_FDS && fake.fake_fd[fds[i].fd] &&
        fake_check_unplugged ())
      fds[i].revents |= POLLERR;
  pthread_mutex_unlock (&fake.lock);
}

static int
fake_poll_count (struct pollfd *fds, nfds_t n_fds, int ret)
{
  if (ret < 0)
    return ret;
  fake_poll_errors (fds, n_fds);
  ret = 0;
  for (nfds_t i = 0; i < n_fds; i++)
    ret += fds[i].revents != 0;
  return ret;
}

int
poll (struct pollfd *fds, nfds_t n_fds, int timeout)
{
  REAL (int, poll, struct pollfd *, nfds_t, int);
  return fake_poll_count (fds, n_fds, real_poll (fds, n_fds, timeout));
}

int
ppoll (struct pollfd *fds, nfds_t n_fds, const struct timespec *timeout, const sigset_t *sigmask)
{
  REAL (int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
  return fake_poll_count (fds, n_fds, real_ppoll (fds, n_fds, timeout, sigmask));
}

/* libv4l2 and libv4lconvert make their device calls with syscall(); every
 * argument of the calls we handle fits a long, and forwarding six longs is
 * how the x86-64 and aarch64 ABIs pass any syscall's arguments. */
long
syscall (long number, ...)
{
  va_list args;
  long a[6];
  REAL (long, syscall, long, ...);

  va_start (args, number);
  for (int i = 0; i < 6; i++)
    a[i] = va_arg (args, long);
  va_end (args);

  switch (number) {
#ifdef SYS_open
    case SYS_open:
      return fake_track_open ((const char *) a[0],
          (int) real_syscall (number, a[0], a[1], a[2], a[3], a[4], a[5]));
#endif
    case SYS_openat:
      return fake_track_open ((const char *) a[1],
          (int) real_syscall (number, a[0], a[1], a[2], a[3], a[4], a[5]));
    case SYS_dup:
      return fake_track_dup ((int) a[0], (int) real_syscall (number, a[0]));
    case SYS_close:
      return close ((int) a[0]);
    case SYS_mmap: {
      void *ret = fake_mmap ((void *) a[0], (size_t) a[1], (int) a[2], (int) a[3], (int) a[4],
          (off_t) a[5]);
      return ret == MAP_FAILED ? -1 : (long) ret;
    }
    case SYS_ioctl:
      if (fake_is_fd ((int) a[0]))
        return ioctl ((int) a[0], (unsigned long) a[1], (void *) a[2]);
      break;
    default:
      break;
  }
  return real_syscall (number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
