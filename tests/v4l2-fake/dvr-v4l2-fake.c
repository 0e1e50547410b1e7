/* dvr-v4l2-fake.c: an LD_PRELOAD shim that turns character device nodes
 * into fake V4L2 capture cameras, for tests.
 *
 * Why: the test machines' kernels have no V4L2 modules (no vivid, no
 * v4l2loopback), yet we want to run the real v4l2src, not a stand-in.
 * v4l2src (GStreamer 1.22, without libv4l2) stat()s the device (it must be
 * S_ISCHR), then calls libc's open64, ioctl, mmap64, dup and close directly,
 * so interposing those is enough.
 *
 * How: the test makes a node with the major/minor of /dev/null
 * (mknod DIR/video0 c 1 3): it is a real char device, opens fine and always
 * polls readable.  An opened char device is a fake camera when it is the
 * same inode as a configured node (so a symlink to the node, as udev makes,
 * works too); every fd opened on it (and every dup of such an fd: the
 * buffer pool dups it) is "fake" and belongs to that camera, and only those
 * fds get the fake ioctl/mmap; everything else passes straight to libc.
 *
 * Configuration is read again at each open of a char device, so a test may
 * set the environment after it has started and rewrite the file between
 * cameras.  Two ways, the first that names the node wins:
 *
 *   DVR_V4L2_FAKE_CAMERAS=FILE, one camera per line (blank lines and lines
 *   starting with # are skipped), every key optional:
 *
 *     NODE formats=H264,MJPG,YUYV sizes=1280x720,640x480 fps=30,15
 *          h264=FRAMEFILE mjpg=FRAMEFILE card=NAME bus=usb-0000:00:14.0-1
 *          counter=FILE
 *
 *   (one line).  Defaults: formats=YUYV, sizes=320x240, fps=30,
 *   card "DVR fake camera", bus "platform:dvr-v4l2-fake".  ENUM_FMT gives
 *   the formats in that order; every format offers every size at every
 *   rate; the first of each is current after open.  A value may be
 *   double-quoted to hold spaces (card="HD USB Camera"); relative paths
 *   (NODE, frame files) are relative to FILE's folder.  A listed H264 or
 *   MJPG without its frame file, an unknown key, a bad value, or a frame
 *   file that cannot be read or is malformed is a configuration error: each
 *   open of that NODE prints "dvr-v4l2-fake: FILE:LINE: what" on stderr
 *   and fails with EINVAL.
 *
 *   DVR_V4L2_FAKE_DEVICE=NODE, the single camera of older tests:
 *   DVR_V4L2_FAKE_FORMATS (a comma list, default YUYV; unknown names are
 *   skipped), DVR_V4L2_FAKE_SIZE=WxH (one size, default 320x240; the width
 *   is rounded up to even), DVR_V4L2_FAKE_FPS=N (one rate, default 30), and
 *   optionally DVR_V4L2_FAKE_H264 / DVR_V4L2_FAKE_MJPG=FRAMEFILE.  Here H264
 *   and MJPG may be listed without a frame file, for probing and format
 *   choice; streaming them fails (REQBUFS EINVAL, with a message).
 *
 * Frames.  YUYV is a grey ramp with a white bar (an eighth of the width)
 * that moves every frame, so consecutive frames always differ, and the
 * frame number as a barcode (below); each buffer is painted from a
 * template once, then only the bar's old and new columns and the barcode
 * are rewritten, which keeps 1080p cheap.  MJPG and H264 come from a frame
 * file (made by dvr-fake-frames): records of [uint32 little-endian
 * length][payload], one per frame.  A JPEG payload starts with SOI; an
 * H.264 payload is one access unit in Annex-B byte-stream, frame 0 is an
 * IDR and SPS/PPS precede every IDR.  Each STREAMON starts at frame 0;
 * frame i of a stream is file frame i mod N, whatever size was set (the
 * file's frames have one size).  bytesused is the payload length; H.264
 * frames with a NAL of type 5 get V4L2_BUF_FLAG_KEYFRAME, others
 * V4L2_BUF_FLAG_PFRAME; MJPG frames KEYFRAME.  For compressed formats
 * G_FMT/S_FMT/TRY_FMT give sizeimage = the largest frame in the file,
 * rounded up to 4096, and buffers are that big.  The file is mapped, not
 * copied: replace a frame file by rename (dvr-fake-frames does), never
 * rewrite it in place while a camera uses it.
 *
 * Frame numbers, an independent frame counter for loss tests.  Each
 * delivered frame has a number: its sequence plus the number of the
 * stream's first frame, which is 0, or with counter=FILE the number after
 * the last one FILE holds, read at each STREAMON, so numbers never repeat
 * across streams, pipeline restarts and processes using the same FILE
 * (one at a time).  FILE (made if missing; put it on tmpfs, away from the
 * storage under test) is 52 bytes, mapped MAP_SHARED and rewritten in
 * place at every DQBUF that returns a frame, so it stays true after the
 * process is killed with SIGKILL:
 *
 *   last=%020lld time=%020lld\n
 *
 * the last delivered frame number (-1: none yet) and the CLOCK_REALTIME
 * time in ns at which DQBUF returned it.  A reader racing a live writer
 * reads until two reads agree.  A file of another size or content fails
 * STREAMON with EINVAL (and a message).
 *
 * The barcode, YUYV only, on frames at least 64 pixels wide and 16 high:
 * 32 cells in 2 rows of 16 at the top left, each width/16 pixels wide
 * (rounded down) and that clamped to 8..16 pixels high; a cell is black
 * (Y 16) or white (Y 235), chroma neutral.  Read row by row, left to right,
 * white = 1, the cells are bits 31..0 of a word: bits 31..8 the frame
 * number mod 2^24, bits 7..0 the CRC-8 (polynomial 0x07, initial 0, MSB
 * first) of the number's three bytes, big-endian, XOR 0x55 (so that an
 * all-black or all-white strip is not valid).  The cells are large enough
 * to come through H.264 at low bit rates: a reader thresholds the mean luma
 * of each cell's middle half at 128 and drops a word whose check differs.
 *
 * Pacing: MMAP streaming only; each buffer is a memfd.  Because poll() on
 * the node is always ready, DQBUF blocks until the next frame is due (as a
 * blocking real driver does), and stamps it with the CLOCK_MONOTONIC time it
 * was due, so frame spacing is exact even when the consumer runs late.
 * Nothing is ever dropped: sequence numbers have no gaps.  S_FMT and S_PARM
 * take the nearest offered size and rate; changing either while buffers
 * exist (S_FMT) or while streaming (S_PARM) is EBUSY.
 *
 * Several cameras per process: each camera has its own buffers, streaming
 * state, sequence and unplug state, and fds map to their camera.  A camera
 * lives until its last fd closes; that, like closing a real device node,
 * ends its stream and frees its buffers.
 *
 * Unplug and replug, driven by the node: when the test unlinks the node, the
 * camera is unplugged.  DQBUF stat()s the path each time it looks for a frame
 * (each frame, and at least every 100 ms while it waits for a QBUF), and so
 * does poll(); once the path is gone, or is another node (by inode and birth
 * time: ext4 hands a freed inode number straight to the next mknod), every
 * ioctl on the fds already open fails with ENODEV, as V4L2 does for a
 * disconnected uvcvideo device, and poll()/ppoll() report POLLERR on them.
 * Those fds stay dead even if the node comes back.  New opens of the missing
 * path fail with ENOENT by themselves.  Replug: the test mknods the node
 * again, and the next open of it is a fresh camera; the old fds still belong
 * to the unplugged one.
 *
 * Controls, as a fixed vehicle camera has them: Brightness (integer),
 * White Balance, Automatic (boolean), Power Line Frequency (menu) and Auto
 * Exposure (menu), through QUERYCTRL (V4L2_CTRL_FLAG_NEXT_CTRL enumerates
 * them), QUERYMENU, G_CTRL and S_CTRL.  Any other control is EINVAL.  Their
 * values live in NODE.controls, lines of "ID=VALUE" (decimal CID), so they
 * are shared by every process with the shim as a real device's are: G_CTRL
 * reads the file (no file, or no line for a control: its default), S_CTRL
 * checks range and step (ERANGE otherwise: stricter than the kernel, which
 * rounds integers into range, so a test learns of a bad value at once) and
 * rewrites the whole file atomically (temporary file, then rename).
 * Deleting NODE.controls is a camera that lost its settings, as when it is
 * power-cycled.  Concurrent S_CTRLs from two processes may lose one update:
 * tests set controls from one process at a time.  libv4l2's
 * v4l2_set_control/v4l2_get_control and v4l2src's extra-controls use
 * S_CTRL/G_CTRL, so extended controls are not faked.
 *
 * Delivery log: when a stream ends (STREAMOFF, the camera's last fd closed,
 * or the unplug noticed), one line is appended to NODE.log, with O_APPEND
 * in one write():
 *
 *   stream FORMAT WxH delivered=N first_sequence=S
 *
 * FORMAT the fourcc (YUYV, MJPG, H264), WxH the size set, N the number of
 * frames DQBUF returned in that stream, S the sequence of its first frame
 * (always 0: each stream starts at 0).  A test compares it with what it
 * stored.  v4l2src issues STREAMOFF only when its pool has every buffer
 * back, so while a downstream element holds one (appsink keeps the last
 * until its pipeline is freed) the line waits for the last close.
 *
 * libv4l2 and libv4lconvert do not call open/ioctl/mmap/dup/close but issue
 * the system calls through syscall(), so syscall() is interposed too: openat
 * (and open) of a fake node, and ioctl, mmap, dup and close of fake fds are
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
#include <limits.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
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
#define FAKE_MAX_LIST 8   /* formats, sizes, rates per camera */
#define FAKE_PATH_MAX 4096
#define FAKE_CARD_DEFAULT "DVR fake camera"
#define FAKE_BUS_DEFAULT "platform:dvr-v4l2-fake"
#define FAKE_BARCODE_ROWS 2
/* counter=FILE: "last=%020lld time=%020lld\n", the last frame number
 * delivered (-1: none yet) and its CLOCK_REALTIME time in ns. */
#define FAKE_COUNTER_SIZE 52
#define FAKE_BARCODE_COLUMNS 16 /* 2 x 16 cells: 24 bits of number, 8 of check */

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

/* The compressed formats, each fed from its own frame file. */
enum { FAKE_FRAMES_MJPG, FAKE_FRAMES_H264, FAKE_N_FRAME_FILES };
static const char *const frame_file_keys[FAKE_N_FRAME_FILES] = { "mjpg", "h264" };

/* A frame file, mapped read-only, and where each frame's payload is. */
typedef struct {
  const unsigned char *data;
  size_t size;
  size_t *offsets;
  unsigned *lengths;
  unsigned n_frames;
  unsigned max_length;
} FakeFrames;

/* One camera's line of configuration. */
typedef struct {
  char node[FAKE_PATH_MAX];
  char where[FAKE_PATH_MAX + 16]; /* "FILE:LINE" or "DVR_V4L2_FAKE_DEVICE", for messages */
  unsigned formats[FAKE_MAX_LIST]; /* fourccs, in ENUM_FMT order */
  unsigned n_formats;
  unsigned widths[FAKE_MAX_LIST], heights[FAKE_MAX_LIST];
  unsigned n_sizes;
  unsigned rates[FAKE_MAX_LIST];
  unsigned n_rates;
  char frame_files[FAKE_N_FRAME_FILES][FAKE_PATH_MAX]; /* "" = none */
  char card[32], bus[32];
  char counter_file[FAKE_PATH_MAX]; /* "" = frame numbers start at 0 per stream */
  bool probe_only; /* compressed formats without a frame file may be listed */
  char error[FAKE_PATH_MAX + 256]; /* non-empty: a configuration error */
} FakeConfig;

typedef struct {
  int memfd;
  void *data;          /* the shim's own mapping, to paint frames into */
  bool queued;
  unsigned long queued_order; /* DQBUF returns buffers in QBUF order */
  long bar_x;          /* YUYV: where this buffer's bar is; -1 = unpainted */
} FakeBuffer;

/* What tells a node from one made again at the same path: its inode, and
 * its birth time, since a freed inode number may be reused at once (the
 * change time where the filesystem keeps no birth time: there a chmod of
 * the node looks like a replug). */
typedef struct {
  unsigned device_major, device_minor;
  unsigned long long inode;
  long long born_sec;
  unsigned born_nsec;
} FakeNodeId;

typedef struct FakeCamera FakeCamera;

/* Every field is under fake.lock. */
struct FakeCamera {
  FakeCamera *next;
  FakeConfig config;
  FakeNodeId node_id;         /* another node at the path is a replug */
  FakeFrames frames[FAKE_N_FRAME_FILES];
  unsigned pixelformat, width, height, fps; /* current format and rate */
  unsigned n_open_fds;
  unsigned n_busy;            /* threads inside an ioctl: not freed under them */
  FakeBuffer buffers[FAKE_MAX_BUFFERS];
  unsigned n_buffers;
  size_t buffer_size;
  unsigned char *yuyv_template; /* the ramp without the bar, for YUYV */
  bool streaming;
  unsigned long generation;   /* bumped by STREAMOFF, to wake sleepers */
  unsigned long queue_counter;
  unsigned sequence;
  unsigned long long first_number; /* the frame number of sequence 0 */
  char *counter;              /* counter=FILE mapped (FAKE_COUNTER_SIZE), or NULL */
  struct timespec start;      /* CLOCK_MONOTONIC time of frame 0 */
  bool unplugged;             /* the node was unlinked: ioctls fail ENODEV */
  /* The stream being counted for NODE.log, from STREAMON to its end. */
  bool stream_open;
  unsigned stream_format, stream_width, stream_height;
  unsigned long delivered;
};

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;        /* QBUF and stream changes, any camera */
  FakeCamera *cameras;
  FakeCamera *fd_camera[FAKE_MAX_FDS];
  char warned_cameras[FAKE_PATH_MAX]; /* an unreadable FILE is reported once */
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

/* The shim's own file access goes around its interposers, which take the
 * lock and would look the fds up as cameras. */
static int
fake_open_file (const char *path, int flags, mode_t mode)
{
  REAL (int, open, const char *, int, ...);
  return real_open (path, flags | O_CLOEXEC, mode);
}

static void
fake_close_file (int fd)
{
  REAL (int, close, int);
  int saved_errno = errno;
  real_close (fd);
  errno = saved_errno;
}

/* The whole of a small text file, NUL-terminated, or NULL with errno. */
static char *
fake_read_text (const char *path)
{
  int fd = fake_open_file (path, O_RDONLY, 0);
  size_t size = 0, allocated = 4096;
  char *text;

  if (fd < 0)
    return NULL;
  text = malloc (allocated);
  for (;;) {
    ssize_t n;
    if (text == NULL) {
      fake_close_file (fd);
      errno = ENOMEM;
      return NULL;
    }
    n = read (fd, text + size, allocated - size - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved_errno = errno;
      free (text);
      fake_close_file (fd);
      errno = saved_errno;
      return NULL;
    }
    if (n == 0)
      break;
    size += (size_t) n;
    if (size + 1 == allocated) {
      char *bigger = realloc (text, allocated *= 2);
      if (bigger == NULL)
        free (text);
      text = bigger;
    }
  }
  fake_close_file (fd);
  text[size] = '\0';
  return text;
}

static void
fake_fourcc_string (unsigned fourcc, char out[5])
{
  for (int i = 0; i < 4; i++)
    out[i] = (char) ((fourcc >> (8 * i)) & 0xff);
  out[4] = '\0';
}

static int
fake_frames_index (unsigned fourcc)
{
  return fourcc == V4L2_PIX_FMT_MJPEG ? FAKE_FRAMES_MJPG :
      fourcc == V4L2_PIX_FMT_H264 ? FAKE_FRAMES_H264 : -1;
}

/* ---- frame files ---- */

/* The types of the NAL units of an Annex-B access unit, as a bit mask, up
 * to and including its first slice (types 1-5): enough to tell an IDR,
 * and cheap, since parameter sets and SEI come first. */
static unsigned
fake_h264_nal_types (const unsigned char *data, size_t size)
{
  unsigned types = 0;

  for (size_t i = 0; i + 3 < size; i++) {
    if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1)
      continue;
    unsigned type = data[i + 3] & 0x1f;
    types |= 1u << type;
    if (type >= 1 && type <= 5)
      break;
    i += 2;
  }
  return types;
}

static void
fake_frames_clear (FakeFrames *frames)
{
  if (frames->data != NULL)
    munmap ((void *) frames->data, frames->size);
  free (frames->offsets);
  free (frames->lengths);
  memset (frames, 0, sizeof *frames);
}

/* Maps and indexes the frame file at `path`; false with `error` set. */
static bool
fake_frames_load (FakeFrames *frames, const char *path, unsigned fourcc, char *error,
                  size_t error_size)
{
  REAL (void *, mmap, void *, size_t, int, int, int, off_t); /* ours locks */
  struct stat st;
  int fd;
  size_t offset;
  unsigned n = 0;

  memset (frames, 0, sizeof *frames);
  fd = fake_open_file (path, O_RDONLY, 0);
  if (fd < 0 || fstat (fd, &st) < 0) {
    snprintf (error, error_size, "%s: %s", path, strerror (errno));
    if (fd >= 0)
      fake_close_file (fd);
    return false;
  }
  if (st.st_size < 4) {
    fake_close_file (fd);
    snprintf (error, error_size, "%s: no frames", path);
    return false;
  }
  frames->size = (size_t) st.st_size;
  frames->data = real_mmap (NULL, frames->size, PROT_READ, MAP_PRIVATE, fd, 0);
  fake_close_file (fd);
  if (frames->data == MAP_FAILED) {
    frames->data = NULL;
    snprintf (error, error_size, "%s: mmap: %s", path, strerror (errno));
    return false;
  }

  /* Two passes: count, then index. */
  for (int pass = 0; pass < 2; pass++) {
    n = 0;
    for (offset = 0; offset < frames->size; n++) {
      const unsigned char *p = frames->data + offset;
      uint32_t length;
      if (frames->size - offset < 4) {
        snprintf (error, error_size, "%s: frame %u: truncated length", path, n);
        fake_frames_clear (frames);
        return false;
      }
      length = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
          (uint32_t) p[3] << 24;
      if (length == 0 || length > frames->size - offset - 4) {
        snprintf (error, error_size, "%s: frame %u: %s (length %u at byte %zu)", path, n,
            length == 0 ? "empty" : "truncated", length, offset);
        fake_frames_clear (frames);
        return false;
      }
      if (pass == 1) {
        frames->offsets[n] = offset + 4;
        frames->lengths[n] = length;
        if (length > frames->max_length)
          frames->max_length = length;
      }
      offset += 4 + (size_t) length;
    }
    if (pass == 0) {
      frames->offsets = calloc (n, sizeof *frames->offsets);
      frames->lengths = calloc (n, sizeof *frames->lengths);
      if (frames->offsets == NULL || frames->lengths == NULL) {
        snprintf (error, error_size, "%s: out of memory", path);
        fake_frames_clear (frames);
        return false;
      }
    }
  }
  frames->n_frames = n;

  /* Catch a file of the wrong kind or order before a consumer chokes. */
  const unsigned char *first = frames->data + frames->offsets[0];
  if (fourcc == V4L2_PIX_FMT_MJPEG && (frames->lengths[0] < 2 || first[0] != 0xff ||
          first[1] != 0xd8)) {
    snprintf (error, error_size, "%s: frame 0 is not a JPEG (no SOI marker)", path);
    fake_frames_clear (frames);
    return false;
  }
  if (fourcc == V4L2_PIX_FMT_H264) {
    unsigned types = fake_h264_nal_types (first, frames->lengths[0]);
    unsigned needed = 1u << 7 | 1u << 8 | 1u << 5;
    if ((types & needed) != needed) {
      snprintf (error, error_size,
          "%s: frame 0 is not SPS, PPS and an IDR in Annex-B byte-stream", path);
      fake_frames_clear (frames);
      return false;
    }
  }
  return true;
}

/* ---- configuration ---- */

static void
fake_config_defaults (FakeConfig *config)
{
  config->n_formats = 0;
  config->widths[0] = 320;
  config->heights[0] = 240;
  config->n_sizes = 1;
  config->rates[0] = 30;
  config->n_rates = 1;
  snprintf (config->card, sizeof config->card, "%s", FAKE_CARD_DEFAULT);
  snprintf (config->bus, sizeof config->bus, "%s", FAKE_BUS_DEFAULT);
}

static unsigned
fake_format_from_name (const char *name)
{
  if (strcmp (name, "YUYV") == 0)
    return V4L2_PIX_FMT_YUYV;
  if (strcmp (name, "MJPG") == 0)
    return V4L2_PIX_FMT_MJPEG;
  if (strcmp (name, "H264") == 0)
    return V4L2_PIX_FMT_H264;
  return 0;
}

/* `path` as given when absolute, else relative to `directory`; false when
 * that is too long. */
static bool
fake_resolve (const char *directory, const char *path, char *out, size_t out_size)
{
  int length;

  if (path[0] == '/' || directory == NULL)
    length = snprintf (out, out_size, "%s", path);
  else
    length = snprintf (out, out_size, "%s/%s", directory, path);
  return length >= 0 && (size_t) length < out_size;
}

/* The next whitespace-separated token of `*cursor`, in place; double quotes
 * group (and are dropped).  NULL at the end. */
static char *
fake_next_token (char **cursor)
{
  char *p = *cursor, *start, *out;
  bool quoted = false;

  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0')
    return NULL;
  start = out = p;
  while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t'))) {
    if (*p == '"')
      quoted = !quoted;
    else
      *out++ = *p;
    p++;
  }
  if (*p != '\0')
    p++;
  *out = '\0';
  *cursor = p;
  return start;
}

#define CONFIG_ERROR(config, ...) \
  (snprintf ((config)->error, sizeof (config)->error, __VA_ARGS__), false)

/* One "key=value" of a camera line into `config`; false with its error. */
static bool
fake_config_set (FakeConfig *config, const char *directory, char *token)
{
  char *value = strchr (token, '=');
  char *saveptr = NULL;

  if (value == NULL)
    return CONFIG_ERROR (config, "\"%s\": expected key=value", token);
  *value++ = '\0';

  if (strcmp (token, "formats") == 0) {
    config->n_formats = 0;
    for (char *name = strtok_r (value, ",", &saveptr); name != NULL;
         name = strtok_r (NULL, ",", &saveptr)) {
      unsigned fourcc = fake_format_from_name (name);
      if (fourcc == 0)
        return CONFIG_ERROR (config, "formats: unknown format \"%s\" (expected YUYV, MJPG or H264)",
            name);
      if (config->n_formats == FAKE_MAX_LIST)
        return CONFIG_ERROR (config, "formats: more than %d", FAKE_MAX_LIST);
      config->formats[config->n_formats++] = fourcc;
    }
    if (config->n_formats == 0)
      return CONFIG_ERROR (config, "formats: empty");
  } else if (strcmp (token, "sizes") == 0) {
    config->n_sizes = 0;
    for (char *size = strtok_r (value, ",", &saveptr); size != NULL;
         size = strtok_r (NULL, ",", &saveptr)) {
      unsigned width, height;
      char extra;
      if (sscanf (size, "%ux%u%c", &width, &height, &extra) != 2 || width == 0 ||
          height == 0 || width > 8192 || height > 8192)
        return CONFIG_ERROR (config, "sizes: expected WIDTHxHEIGHT, got \"%s\"", size);
      if (width % 2 != 0)
        return CONFIG_ERROR (config, "sizes: %s: YUYV needs an even width", size);
      if (config->n_sizes == FAKE_MAX_LIST)
        return CONFIG_ERROR (config, "sizes: more than %d", FAKE_MAX_LIST);
      config->widths[config->n_sizes] = width;
      config->heights[config->n_sizes++] = height;
    }
    if (config->n_sizes == 0)
      return CONFIG_ERROR (config, "sizes: empty");
  } else if (strcmp (token, "fps") == 0) {
    config->n_rates = 0;
    for (char *rate = strtok_r (value, ",", &saveptr); rate != NULL;
         rate = strtok_r (NULL, ",", &saveptr)) {
      unsigned fps;
      char extra;
      if (sscanf (rate, "%u%c", &fps, &extra) != 1 || fps == 0 || fps > 1000)
        return CONFIG_ERROR (config, "fps: expected a whole rate 1..1000, got \"%s\"", rate);
      if (config->n_rates == FAKE_MAX_LIST)
        return CONFIG_ERROR (config, "fps: more than %d", FAKE_MAX_LIST);
      config->rates[config->n_rates++] = fps;
    }
    if (config->n_rates == 0)
      return CONFIG_ERROR (config, "fps: empty");
  } else if (strcmp (token, "card") == 0 || strcmp (token, "bus") == 0) {
    char *field = token[0] == 'c' ? config->card : config->bus;
    if (strlen (value) >= sizeof config->card)
      return CONFIG_ERROR (config, "%s: at most %zu characters", token, sizeof config->card - 1);
    snprintf (field, sizeof config->card, "%s", value);
  } else if (strcmp (token, "counter") == 0) {
    if (value[0] == '\0')
      return CONFIG_ERROR (config, "counter: empty path");
    if (!fake_resolve (directory, value, config->counter_file, sizeof config->counter_file))
      return CONFIG_ERROR (config, "counter: path too long");
  } else {
    for (int i = 0; i < FAKE_N_FRAME_FILES; i++)
      if (strcmp (token, frame_file_keys[i]) == 0) {
        if (value[0] == '\0')
          return CONFIG_ERROR (config, "%s: empty path", token);
        if (!fake_resolve (directory, value, config->frame_files[i],
                sizeof config->frame_files[i]))
          return CONFIG_ERROR (config, "%s: path too long", token);
        return true;
      }
    return CONFIG_ERROR (config,
        "unknown key \"%s\" (expected formats, sizes, fps, h264, mjpg, card, bus or counter)", token);
  }
  return true;
}

static bool
fake_same_inode (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* statx() of `path` (or of `dir_fd` itself, with AT_EMPTY_PATH). */
static bool
fake_node_id (int dir_fd, const char *path, int flags, FakeNodeId *id)
{
  struct statx st;

  if (statx (dir_fd, path, flags, STATX_INO | STATX_BTIME | STATX_CTIME, &st) < 0)
    return false;
  id->device_major = st.stx_dev_major;
  id->device_minor = st.stx_dev_minor;
  id->inode = st.stx_ino;
  id->born_sec = (st.stx_mask & STATX_BTIME) ? st.stx_btime.tv_sec : st.stx_ctime.tv_sec;
  id->born_nsec = (st.stx_mask & STATX_BTIME) ? st.stx_btime.tv_nsec : st.stx_ctime.tv_nsec;
  return true;
}

static bool
fake_same_node (const FakeNodeId *a, const FakeNodeId *b)
{
  return a->device_major == b->device_major && a->device_minor == b->device_minor &&
      a->inode == b->inode && a->born_sec == b->born_sec && a->born_nsec == b->born_nsec;
}

/* Finds the line of DVR_V4L2_FAKE_CAMERAS naming the node `opened` is, and
 * parses it into `config` (config->error set if it is wrong).  False when
 * no line names it. */
static bool
fake_config_from_file (const char *file, const struct stat *opened, FakeConfig *config)
{
  char directory[FAKE_PATH_MAX];
  char *text = fake_read_text (file);
  char *line, *next;
  unsigned line_number = 0;
  bool found = false;

  if (text == NULL) {
    int saved_errno = errno;
    pthread_mutex_lock (&fake.lock);
    if (strcmp (fake.warned_cameras, file) != 0) {
      fprintf (stderr, "dvr-v4l2-fake: DVR_V4L2_FAKE_CAMERAS=%s: %s\n", file,
          strerror (saved_errno));
      snprintf (fake.warned_cameras, sizeof fake.warned_cameras, "%s", file);
    }
    pthread_mutex_unlock (&fake.lock);
    return false;
  }
  snprintf (directory, sizeof directory, "%s", file);
  char *slash = strrchr (directory, '/');
  if (slash == NULL)
    snprintf (directory, sizeof directory, ".");
  else if (slash == directory)
    directory[1] = '\0';
  else
    *slash = '\0';

  for (line = text; line != NULL && !found; line = next) {
    char *cursor = line, *token;
    struct stat st;

    next = strchr (line, '\n');
    if (next != NULL)
      *next++ = '\0';
    line_number++;
    line[strcspn (line, "\r")] = '\0';
    token = fake_next_token (&cursor);
    if (token == NULL || token[0] == '#')
      continue;
    memset (config, 0, sizeof *config);
    if (!fake_resolve (directory, token, config->node, sizeof config->node) ||
        stat (config->node, &st) < 0 || !fake_same_inode (&st, opened))
      continue;

    found = true;
    snprintf (config->where, sizeof config->where, "%s:%u", file, line_number);
    fake_config_defaults (config);
    while ((token = fake_next_token (&cursor)) != NULL)
      if (!fake_config_set (config, directory, token))
        break;
    if (config->error[0] == '\0' && config->n_formats == 0)
      config->formats[config->n_formats++] = V4L2_PIX_FMT_YUYV;
    for (unsigned i = 0; config->error[0] == '\0' && i < config->n_formats; i++) {
      int index = fake_frames_index (config->formats[i]);
      char name[5];
      fake_fourcc_string (config->formats[i], name);
      if (index >= 0 && config->frame_files[index][0] == '\0')
        snprintf (config->error, sizeof config->error, "format %s needs %s=FRAMEFILE", name,
            frame_file_keys[index]);
    }
  }
  free (text);
  return found;
}

/* The single camera of DVR_V4L2_FAKE_DEVICE and its companions. */
static bool
fake_config_from_env (const char *device, const struct stat *opened, FakeConfig *config)
{
  struct stat st;
  const char *size = getenv ("DVR_V4L2_FAKE_SIZE");
  const char *fps = getenv ("DVR_V4L2_FAKE_FPS");
  const char *formats = getenv ("DVR_V4L2_FAKE_FORMATS");
  const char *h264 = getenv ("DVR_V4L2_FAKE_H264");
  const char *mjpg = getenv ("DVR_V4L2_FAKE_MJPG");

  if (stat (device, &st) < 0 || !fake_same_inode (&st, opened))
    return false;
  memset (config, 0, sizeof *config);
  snprintf (config->node, sizeof config->node, "%s", device);
  snprintf (config->where, sizeof config->where, "DVR_V4L2_FAKE_DEVICE=%s", device);
  fake_config_defaults (config);
  config->probe_only = true;
  if (size != NULL && sscanf (size, "%ux%u", &config->widths[0], &config->heights[0]) != 2)
    config->widths[0] = 320, config->heights[0] = 240;
  /* YUYV packs two pixels per macropixel: keep the width even. */
  config->widths[0] = (config->widths[0] + 1) & ~1u;
  if (fps != NULL)
    config->rates[0] = (unsigned) atoi (fps);
  if (config->rates[0] == 0)
    config->rates[0] = 30;
  if (formats != NULL) {
    char list[256];
    char *saveptr = NULL;
    snprintf (list, sizeof list, "%s", formats);
    for (char *name = strtok_r (list, ",", &saveptr);
         name != NULL && config->n_formats < FAKE_MAX_LIST; name = strtok_r (NULL, ",", &saveptr)) {
      unsigned fourcc = fake_format_from_name (name);
      /* Unknown names are skipped: the test sees the format missing. */
      if (fourcc != 0)
        config->formats[config->n_formats++] = fourcc;
    }
  }
  if (config->n_formats == 0)
    config->formats[config->n_formats++] = V4L2_PIX_FMT_YUYV;
  if (h264 != NULL && h264[0] != '\0')
    snprintf (config->frame_files[FAKE_FRAMES_H264], FAKE_PATH_MAX, "%s", h264);
  if (mjpg != NULL && mjpg[0] != '\0')
    snprintf (config->frame_files[FAKE_FRAMES_MJPG], FAKE_PATH_MAX, "%s", mjpg);
  return true;
}

/* ---- cameras and fds; functions from here on run with the lock held
 * unless they say otherwise ---- */

static void
fake_free_buffers (FakeCamera *camera)
{
  for (unsigned i = 0; i < camera->n_buffers; i++) {
    munmap (camera->buffers[i].data, camera->buffer_size);
    fake_close_file (camera->buffers[i].memfd);
  }
  memset (camera->buffers, 0, sizeof camera->buffers);
  camera->n_buffers = 0;
  camera->buffer_size = 0;
  free (camera->yuyv_template);
  camera->yuyv_template = NULL;
}

static void
fake_camera_free (FakeCamera *camera)
{
  fake_free_buffers (camera);
  for (int i = 0; i < FAKE_N_FRAME_FILES; i++)
    fake_frames_clear (&camera->frames[i]);
  if (camera->counter != NULL)
    munmap (camera->counter, FAKE_COUNTER_SIZE);
  free (camera);
}

/* Frees `camera` once no fd and no ioctl uses it. */
static void
fake_camera_release (FakeCamera *camera)
{
  if (camera->n_open_fds > 0 || camera->n_busy > 0)
    return;
  for (FakeCamera **link = &fake.cameras; *link != NULL; link = &(*link)->next)
    if (*link == camera) {
      *link = camera->next;
      break;
    }
  fake_camera_free (camera);
}

/* Appends the stream's line to NODE.log, once per stream. */
static void
fake_end_stream (FakeCamera *camera)
{
  char path[FAKE_PATH_MAX + 8], line[160], format[5];
  int fd, length;

  if (!camera->stream_open)
    return;
  camera->stream_open = false;
  fake_fourcc_string (camera->stream_format, format);
  length = snprintf (line, sizeof line, "stream %s %ux%u delivered=%lu first_sequence=0\n",
      format, camera->stream_width, camera->stream_height, camera->delivered);
  snprintf (path, sizeof path, "%s.log", camera->config.node);
  fd = fake_open_file (path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0 || write (fd, line, (size_t) length) != length)
    fprintf (stderr, "dvr-v4l2-fake: %s: %s\n", path, strerror (errno));
  if (fd >= 0)
    fake_close_file (fd);
}

/* Stops streaming and hands every queued buffer back, as STREAMOFF does. */
static void
fake_stop (FakeCamera *camera)
{
  fake_end_stream (camera);
  camera->streaming = false;
  camera->generation++;
  for (unsigned i = 0; i < camera->n_buffers; i++)
    camera->buffers[i].queued = false;
  pthread_cond_broadcast (&fake.cond);
}

/* True once the node has been unlinked or replaced (sticky: a replug is a
 * new camera). */
static bool
fake_check_unplugged (FakeCamera *camera)
{
  FakeNodeId id;
  int saved_errno = errno;

  if (!camera->unplugged && (!fake_node_id (AT_FDCWD, camera->config.node, 0, &id) ?
          errno == ENOENT : !fake_same_node (&id, &camera->node_id))) {
    camera->unplugged = true;
    fake_end_stream (camera);
  }
  errno = saved_errno;
  return camera->unplugged;
}

/* Points `fd` at `camera` (or at none); the last fd of a camera closing
 * resets it, as closing a real device node frees its buffers. */
static void
fake_set_fd (int fd, FakeCamera *camera)
{
  FakeCamera *old;

  if (fd < 0 || fd >= FAKE_MAX_FDS || fake.fd_camera[fd] == camera)
    return;
  old = fake.fd_camera[fd];
  fake.fd_camera[fd] = camera;
  if (camera != NULL)
    camera->n_open_fds++;
  if (old != NULL && --old->n_open_fds == 0) {
    fake_stop (old);
    fake_free_buffers (old);
    fake_camera_release (old);
  }
}

static FakeCamera *
fake_camera_of (int fd)
{
  return fd >= 0 && fd < FAKE_MAX_FDS ? fake.fd_camera[fd] : NULL;
}

/* Without the lock. */
static bool
fake_is_fd (int fd)
{
  bool ret;

  pthread_mutex_lock (&fake.lock);
  ret = fake_camera_of (fd) != NULL;
  pthread_mutex_unlock (&fake.lock);
  return ret;
}

/* A new camera for `config`, its frame files loaded; NULL with
 * config->error set.  Without the lock. */
static FakeCamera *
fake_camera_new (const FakeConfig *config, const FakeNodeId *node_id)
{
  FakeCamera *camera = calloc (1, sizeof *camera);

  if (camera == NULL)
    return NULL;
  camera->config = *config;
  for (unsigned i = 0; i < config->n_formats; i++) {
    int index = fake_frames_index (config->formats[i]);
    char error[FAKE_PATH_MAX + 128];
    if (index < 0 || config->frame_files[index][0] == '\0' || camera->frames[index].data != NULL)
      continue;
    if (!fake_frames_load (&camera->frames[index], config->frame_files[index],
            config->formats[i], error, sizeof error)) {
      snprintf (camera->config.error, sizeof camera->config.error, "%s=%s",
          frame_file_keys[index], error);
      return camera;
    }
  }
  camera->node_id = *node_id;
  camera->pixelformat = config->formats[0];
  camera->width = config->widths[0];
  camera->height = config->heights[0];
  camera->fps = config->rates[0];
  return camera;
}

/* After an open returning `fd`: makes it a fake fd when it is a configured
 * node (the same inode: a symlink to it counts).  Returns `fd`, or -1 with errno (the fd closed) when the
 * node's configuration is wrong.  Without the lock. */
static int
fake_track_open (int fd)
{
  FakeConfig *config;
  FakeCamera *camera = NULL, *spare = NULL;
  struct stat opened;
  FakeNodeId node_id;
  const char *cameras, *device;

  if (fd < 0)
    return fd;
  cameras = getenv ("DVR_V4L2_FAKE_CAMERAS");
  device = getenv ("DVR_V4L2_FAKE_DEVICE");
  if ((cameras == NULL && device == NULL) || fstat (fd, &opened) < 0 || !S_ISCHR (opened.st_mode)) {
    pthread_mutex_lock (&fake.lock);
    fake_set_fd (fd, NULL); /* fd reused after a close we did not see */
    pthread_mutex_unlock (&fake.lock);
    return fd;
  }

  config = calloc (1, sizeof *config);
  if (config != NULL && ((cameras != NULL && fake_config_from_file (cameras, &opened, config)) ||
          (device != NULL && fake_config_from_env (device, &opened, config)))) {
    if (config->error[0] == '\0' && !fake_node_id (fd, "", AT_EMPTY_PATH, &node_id))
      snprintf (config->error, sizeof config->error, "statx: %s", strerror (errno));
    if (config->error[0] == '\0')
      spare = fake_camera_new (config, &node_id);
    if (config->error[0] != '\0' || spare == NULL || spare->config.error[0] != '\0') {
      fprintf (stderr, "dvr-v4l2-fake: %s: %s\n", config->where,
          config->error[0] != '\0' ? config->error :
          spare == NULL ? "out of memory" : spare->config.error);
      if (spare != NULL)
        fake_camera_free (spare);
      free (config);
      pthread_mutex_lock (&fake.lock);
      fake_set_fd (fd, NULL);
      pthread_mutex_unlock (&fake.lock);
      fake_close_file (fd);
      errno = EINVAL;
      return -1;
    }
  }

  pthread_mutex_lock (&fake.lock);
  if (spare != NULL) {
    /* Another open of a plugged-in camera shares it; after an unplug the
     * node is a new camera. */
    for (camera = fake.cameras; camera != NULL; camera = camera->next)
      if (strcmp (camera->config.node, config->node) == 0 && !fake_check_unplugged (camera))
        break;
    if (camera == NULL) {
      camera = spare;
      spare = NULL;
      camera->next = fake.cameras;
      fake.cameras = camera;
    }
  }
  fake_set_fd (fd, camera);
  pthread_mutex_unlock (&fake.lock);
  if (spare != NULL)
    fake_camera_free (spare);
  free (config);
  return fd;
}

/* After a successful dup of `old_fd` to `new_fd`. */
static int
fake_track_dup (int old_fd, int new_fd)
{
  if (new_fd < 0)
    return new_fd;
  pthread_mutex_lock (&fake.lock);
  fake_set_fd (new_fd, fake_camera_of (old_fd));
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
  return fake_track_open (real_open (path, flags, mode));
}

int
open64 (const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  REAL (int, open64, const char *, int, ...);
  return fake_track_open (real_open64 (path, flags, mode));
}

int
openat (int dir_fd, const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  REAL (int, openat, int, const char *, int, ...);
  return fake_track_open (real_openat (dir_fd, path, flags, mode));
}

int
openat64 (int dir_fd, const char *path, int flags, ...)
{
  OPEN_MODE (flags);
  REAL (int, openat64, int, const char *, int, ...);
  return fake_track_open (real_openat64 (dir_fd, path, flags, mode));
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
    fake_set_fd (fd, NULL);
    pthread_mutex_unlock (&fake.lock);
  }
  return real_close (fd);
}

/* Buffer i lives at offset i * buffer size (page aligned), as QUERYBUF says. */
static size_t
fake_buffer_stride (const FakeCamera *camera)
{
  size_t page = (size_t) sysconf (_SC_PAGESIZE);
  return (camera->buffer_size + page - 1) / page * page;
}

static void *
fake_mmap (void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
  REAL (void *, mmap, void *, size_t, int, int, int, off_t);
  FakeCamera *camera;
  bool is_fake;
  int memfd = -1;

  if (fd < 0 || fd >= FAKE_MAX_FDS)
    return real_mmap (addr, length, prot, flags, fd, offset);
  pthread_mutex_lock (&fake.lock);
  camera = fake_camera_of (fd);
  is_fake = camera != NULL;
  if (camera != NULL && camera->n_buffers > 0 && offset >= 0) {
    size_t stride = fake_buffer_stride (camera);
    size_t index = (size_t) offset / stride;
    if ((size_t) offset % stride == 0 && index < camera->n_buffers)
      memfd = camera->buffers[index].memfd;
  }
  pthread_mutex_unlock (&fake.lock);
  if (!is_fake)
    return real_mmap (addr, length, prot, flags, fd, offset);
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

static bool
fake_has_format (const FakeCamera *camera, unsigned fourcc)
{
  for (unsigned i = 0; i < camera->config.n_formats; i++)
    if (camera->config.formats[i] == fourcc)
      return true;
  return false;
}

static bool
fake_has_size (const FakeCamera *camera, unsigned width, unsigned height)
{
  for (unsigned i = 0; i < camera->config.n_sizes; i++)
    if (camera->config.widths[i] == width && camera->config.heights[i] == height)
      return true;
  return false;
}

/* The offered size nearest to the asked one, as drivers pick. */
static void
fake_nearest_size (const FakeCamera *camera, unsigned *width, unsigned *height)
{
  unsigned long long best_distance = ULLONG_MAX;
  unsigned best = 0;

  for (unsigned i = 0; i < camera->config.n_sizes; i++) {
    long long dw = (long long) camera->config.widths[i] - *width;
    long long dh = (long long) camera->config.heights[i] - *height;
    unsigned long long distance = (unsigned long long) (dw * dw + dh * dh);
    if (distance < best_distance) {
      best_distance = distance;
      best = i;
    }
  }
  *width = camera->config.widths[best];
  *height = camera->config.heights[best];
}

static const FakeFrames *
fake_frames_of (const FakeCamera *camera, unsigned fourcc)
{
  int index = fake_frames_index (fourcc);
  return index >= 0 && camera->frames[index].data != NULL ? &camera->frames[index] : NULL;
}

/* What a buffer of this format needs: raw frames are fixed-size; a
 * compressed one takes the file's largest frame (an unstreamable probe-only
 * format says width * height * 2, as before frame files). */
static size_t
fake_sizeimage (const FakeCamera *camera, unsigned fourcc, unsigned width, unsigned height)
{
  const FakeFrames *frames = fake_frames_of (camera, fourcc);

  if (frames != NULL)
    return ((size_t) frames->max_length + 4095) / 4096 * 4096;
  return (size_t) width * height * 2;
}

static void
fake_fill_format (const FakeCamera *camera, unsigned fourcc, unsigned width, unsigned height,
                  struct v4l2_pix_format *pix)
{
  memset (pix, 0, sizeof *pix);
  pix->width = width;
  pix->height = height;
  pix->pixelformat = fourcc;
  pix->field = V4L2_FIELD_NONE;
  pix->bytesperline = fourcc == V4L2_PIX_FMT_YUYV ? width * 2 : 0;
  pix->sizeimage = (unsigned) fake_sizeimage (camera, fourcc, width, height);
  pix->colorspace = V4L2_COLORSPACE_SRGB;
}

static int
fake_reqbufs (FakeCamera *camera, struct v4l2_requestbuffers *request)
{
  size_t size = fake_sizeimage (camera, camera->pixelformat, camera->width, camera->height);
  REAL (void *, mmap, void *, size_t, int, int, int, off_t); /* ours locks */

  request->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP;
  if (request->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || request->memory != V4L2_MEMORY_MMAP)
    return EINVAL;
  if (camera->streaming)
    return EBUSY;
  fake_free_buffers (camera);
  if (request->count > 0 && camera->pixelformat != V4L2_PIX_FMT_YUYV &&
      fake_frames_of (camera, camera->pixelformat) == NULL) {
    char name[5];
    fake_fourcc_string (camera->pixelformat, name);
    fprintf (stderr, "dvr-v4l2-fake: %s: %s has no frame file (DVR_V4L2_FAKE_%s or "
        "DVR_V4L2_FAKE_CAMERAS): it can be probed, not streamed\n", camera->config.where,
        name, camera->pixelformat == V4L2_PIX_FMT_H264 ? "H264" : "MJPG");
    return EINVAL;
  }
  if (request->count > FAKE_MAX_BUFFERS)
    request->count = FAKE_MAX_BUFFERS;
  camera->buffer_size = size;
  for (unsigned i = 0; i < request->count; i++) {
    FakeBuffer *buffer = &camera->buffers[i];
    buffer->memfd = memfd_create ("dvr-v4l2-fake", MFD_CLOEXEC);
    if (buffer->memfd < 0 || ftruncate (buffer->memfd, (off_t) size) < 0)
      return ENOMEM;
    buffer->data = real_mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buffer->memfd, 0);
    if (buffer->data == MAP_FAILED)
      return ENOMEM;
    buffer->bar_x = -1;
    camera->n_buffers = i + 1;
  }
  return 0;
}

static void
fake_fill_buffer_info (const FakeCamera *camera, unsigned index, struct v4l2_buffer *info)
{
  unsigned flags = info->flags & (V4L2_BUF_FLAG_DONE); /* kept by DQBUF */

  info->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  info->memory = V4L2_MEMORY_MMAP;
  info->index = index;
  info->length = (unsigned) camera->buffer_size;
  info->m.offset = (unsigned) (index * fake_buffer_stride (camera));
  info->field = V4L2_FIELD_NONE;
  info->flags = flags | V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
      V4L2_BUF_FLAG_TSTAMP_SRC_EOF | (camera->buffers[index].queued ? V4L2_BUF_FLAG_QUEUED : 0);
}

/* Columns [x, x + width) of every line, wrapping at the right edge: the
 * bar's, or the template's. */
static void
fake_paint_columns (const FakeCamera *camera, unsigned char *data, unsigned x, unsigned width,
                    bool bar)
{
  size_t stride = (size_t) camera->width * 2;
  unsigned first = width < camera->width - x ? width : camera->width - x;
  unsigned spans[2][2] = { { x, first }, { 0, width - first } };

  for (unsigned y = 0; y < camera->height; y++) {
    unsigned char *line = data + y * stride;
    const unsigned char *template_line = camera->yuyv_template + y * stride;
    for (int s = 0; s < 2; s++) {
      unsigned from = spans[s][0], n = spans[s][1];
      if (!bar) {
        memcpy (line + 2 * from, template_line + 2 * from, 2 * (size_t) n);
        continue;
      }
      for (unsigned i = from; i < from + n; i++) {
        line[2 * i] = 235;
        line[2 * i + 1] = 128;
      }
    }
  }
}

/* ---- frame numbers: the barcode and the counter file ---- */

/* The check byte of a barcode: CRC-8 (polynomial 0x07, MSB first) of the
 * number's three bytes, XOR 0x55, so that an all-black or all-white strip
 * (a missing barcode) never reads as valid. */
static unsigned
fake_barcode_check (unsigned long long number)
{
  unsigned crc = 0;

  for (int byte = 2; byte >= 0; byte--) {
    crc ^= (unsigned) (number >> (8 * byte)) & 0xff;
    for (int bit = 0; bit < 8; bit++)
      crc = (crc & 0x80) ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc ^ 0x55;
}

/* The strip: FAKE_BARCODE_ROWS rows of FAKE_BARCODE_COLUMNS cells at the
 * top left, each cell_width x cell_height luma pixels, black (Y 16) or
 * white (Y 235), neutral chroma. */
static void
fake_barcode_geometry (const FakeCamera *camera, unsigned *cell_width, unsigned *cell_height)
{
  *cell_width = camera->width / FAKE_BARCODE_COLUMNS;
  *cell_height = *cell_width < 8 ? 8 : *cell_width > 16 ? 16 : *cell_width;
  if (*cell_width < 4 || camera->height < FAKE_BARCODE_ROWS * *cell_height)
    *cell_width = *cell_height = 0; /* too small for a barcode */
}

static void
fake_paint_barcode (const FakeCamera *camera, unsigned char *data, unsigned long long number)
{
  unsigned cell_width, cell_height;
  unsigned long long code = ((number & 0xffffff) << 8) | fake_barcode_check (number & 0xffffff);
  size_t stride = (size_t) camera->width * 2;

  fake_barcode_geometry (camera, &cell_width, &cell_height);
  if (cell_width == 0)
    return;
  for (unsigned row = 0; row < FAKE_BARCODE_ROWS; row++)
    for (unsigned y = row * cell_height; y < (row + 1) * cell_height; y++) {
      unsigned char *line = data + y * stride;
      for (unsigned column = 0; column < FAKE_BARCODE_COLUMNS; column++) {
        unsigned bit = FAKE_BARCODE_COLUMNS * row + column;
        unsigned char luma = (code >> (31 - bit)) & 1 ? 235 : 16;
        for (unsigned x = column * cell_width; x < (column + 1) * cell_width; x++) {
          line[2 * x] = luma;
          line[2 * x + 1] = 128;
        }
      }
    }
}

static void
fake_counter_write (char *counter, long long last, long long time_ns)
{
  char line[FAKE_COUNTER_SIZE + 1];

  snprintf (line, sizeof line, "last=%020lld time=%020lld\n", last, time_ns);
  memcpy (counter, line, FAKE_COUNTER_SIZE);
}

/* At STREAMON: maps counter=FILE (made if missing) and sets the number of
 * the stream's first frame.  Returns 0 or an errno, having said why. */
static int
fake_counter_start (FakeCamera *camera)
{
  REAL (void *, mmap, void *, size_t, int, int, int, off_t); /* ours locks */
  const char *path = camera->config.counter_file;
  char line[FAKE_COUNTER_SIZE + 1];
  long long last, time_ns;
  int error = 0;

  camera->first_number = 0;
  if (path[0] == '\0')
    return 0;
  if (camera->counter == NULL) {
    struct stat st;
    int fd = fake_open_file (path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || fstat (fd, &st) < 0)
      error = errno;
    else if (st.st_size == 0) {
      fake_counter_write (line, -1, 0);
      if (pwrite (fd, line, FAKE_COUNTER_SIZE, 0) != FAKE_COUNTER_SIZE)
        error = errno != 0 ? errno : EIO;
    } else if (st.st_size != FAKE_COUNTER_SIZE)
      error = EINVAL;
    if (error == 0) {
      void *map = real_mmap (NULL, FAKE_COUNTER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (map == MAP_FAILED)
        error = errno;
      else
        camera->counter = map;
    }
    if (fd >= 0)
      fake_close_file (fd);
  }
  if (error == 0) {
    memcpy (line, camera->counter, FAKE_COUNTER_SIZE);
    line[FAKE_COUNTER_SIZE] = '\0';
    if (sscanf (line, "last=%lld time=%lld", &last, &time_ns) != 2 || last < -1)
      error = EINVAL;
    else
      camera->first_number = (unsigned long long) (last + 1);
  }
  if (error != 0)
    fprintf (stderr, "dvr-v4l2-fake: %s: counter=%s: %s\n", camera->config.where, path,
        error == EINVAL ? "not a counter file" : strerror (error));
  return error;
}

/* A grey ramp with a white bar that moves a few pixels per frame, and the
 * frame number's barcode.  The ramp is painted once into a template; a
 * buffer gets the template once, then each frame only its old bar's
 * columns back, the new bar and the barcode. */
static bool
fake_paint_yuyv (FakeCamera *camera, FakeBuffer *buffer, unsigned sequence)
{
  unsigned bar_width = camera->width / 8 ? camera->width / 8 : 1;
  unsigned step = camera->width / 64 ? camera->width / 64 : 1;
  unsigned bar_x = (sequence * step) % camera->width;
  size_t size = (size_t) camera->width * camera->height * 2;

  if (camera->yuyv_template == NULL) {
    camera->yuyv_template = malloc (size);
    if (camera->yuyv_template == NULL)
      return false;
    for (unsigned y = 0; y < camera->height; y++) {
      unsigned char *line = camera->yuyv_template + (size_t) y * camera->width * 2;
      for (unsigned x = 0; x < camera->width; x++) {
        line[2 * x] = (unsigned char) (16 + 160 * y / camera->height);
        line[2 * x + 1] = 128; /* U and V alternate: neutral chroma */
      }
    }
  }
  if (buffer->bar_x < 0)
    memcpy (buffer->data, camera->yuyv_template, size);
  else
    fake_paint_columns (camera, buffer->data, (unsigned) buffer->bar_x, bar_width, false);
  fake_paint_columns (camera, buffer->data, bar_x, bar_width, true);
  buffer->bar_x = bar_x;
  fake_paint_barcode (camera, buffer->data, camera->first_number + sequence);
  return true;
}

static struct timespec
fake_frame_due (const FakeCamera *camera, unsigned sequence)
{
  unsigned long long ns = (unsigned long long) camera->start.tv_nsec +
      (unsigned long long) sequence * 1000000000ull / camera->fps;
  struct timespec due = {
    .tv_sec = camera->start.tv_sec + (time_t) (ns / 1000000000ull),
    .tv_nsec = (long) (ns % 1000000000ull),
  };
  return due;
}

/* Puts frame `camera->sequence` into `buffer`: its bytesused and the flags
 * that go with it. */
static int
fake_fill_frame (FakeCamera *camera, FakeBuffer *buffer, unsigned *bytesused, unsigned *flags)
{
  const FakeFrames *frames;

  if (camera->pixelformat == V4L2_PIX_FMT_YUYV) {
    if (!fake_paint_yuyv (camera, buffer, camera->sequence))
      return ENOMEM;
    *bytesused = (unsigned) camera->buffer_size;
    *flags = 0;
    return 0;
  }
  frames = fake_frames_of (camera, camera->pixelformat);
  if (frames == NULL)
    return EIO; /* REQBUFS refuses this: not reached */
  unsigned index = camera->sequence % frames->n_frames;
  const unsigned char *payload = frames->data + frames->offsets[index];
  memcpy (buffer->data, payload, frames->lengths[index]);
  *bytesused = frames->lengths[index];
  if (camera->pixelformat == V4L2_PIX_FMT_MJPEG ||
      (fake_h264_nal_types (payload, frames->lengths[index]) & (1u << 5)) != 0)
    *flags = V4L2_BUF_FLAG_KEYFRAME;
  else
    *flags = V4L2_BUF_FLAG_PFRAME;
  return 0;
}

static int
fake_dqbuf (FakeCamera *camera, int fd, struct v4l2_buffer *info)
{
  unsigned long generation = camera->generation;
  REAL (int, fcntl, int, int, ...);
  bool nonblocking = (real_fcntl (fd, F_GETFL) & O_NONBLOCK) != 0;

  for (;;) {
    int oldest = -1;
    if (fake_check_unplugged (camera))
      return ENODEV;
    if (!camera->streaming || camera->generation != generation)
      return EINVAL;
    for (unsigned i = 0; i < camera->n_buffers; i++)
      if (camera->buffers[i].queued && (oldest < 0 ||
              camera->buffers[i].queued_order < camera->buffers[oldest].queued_order))
        oldest = (int) i;

    struct timespec due = fake_frame_due (camera, camera->sequence), now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    bool is_due = now.tv_sec > due.tv_sec ||
        (now.tv_sec == due.tv_sec && now.tv_nsec >= due.tv_nsec);

    if (oldest >= 0 && is_due) {
      FakeBuffer *buffer = &camera->buffers[oldest];
      unsigned bytesused, frame_flags;
      int error = fake_fill_frame (camera, buffer, &bytesused, &frame_flags);
      if (error != 0)
        return error;
      buffer->queued = false;
      info->flags = V4L2_BUF_FLAG_DONE;
      fake_fill_buffer_info (camera, (unsigned) oldest, info);
      info->flags |= frame_flags;
      info->bytesused = bytesused;
      info->timestamp.tv_sec = due.tv_sec;
      info->timestamp.tv_usec = due.tv_nsec / 1000;
      if (camera->counter != NULL) {
        struct timespec realtime;
        clock_gettime (CLOCK_REALTIME, &realtime);
        fake_counter_write (camera->counter, (long long) (camera->first_number + camera->sequence),
            (long long) realtime.tv_sec * 1000000000ll + realtime.tv_nsec);
      }
      info->sequence = camera->sequence++;
      camera->delivered++;
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
      /* Sleep without the lock, so QBUF/STREAMOFF from other threads run;
       * the caller's n_busy keeps the camera alive meanwhile. */
      pthread_mutex_unlock (&fake.lock);
      clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
      pthread_mutex_lock (&fake.lock);
    }
  }
}

/* ---- controls, kept in NODE.controls ---- */

static int
fake_find_control (unsigned id)
{
  for (unsigned i = 0; i < FAKE_N_CONTROLS; i++)
    if (fake_controls[i].id == id)
      return (int) i;
  return -1;
}

static bool
fake_control_valid (const FakeControl *control, long long value)
{
  return value >= control->minimum && value <= control->maximum &&
      (value - control->minimum) % control->step == 0;
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

/* The current values: NODE.controls over the defaults. */
static void
fake_controls_load (const FakeCamera *camera, int values[FAKE_N_CONTROLS])
{
  char path[FAKE_PATH_MAX + 16];
  char *text, *line, *next;

  for (unsigned i = 0; i < FAKE_N_CONTROLS; i++)
    values[i] = fake_controls[i].default_value;
  snprintf (path, sizeof path, "%s.controls", camera->config.node);
  text = fake_read_text (path);
  if (text == NULL)
    return; /* a camera that never had its controls set, or lost them */
  for (line = text; line != NULL; line = next) {
    unsigned id;
    long long value;
    next = strchr (line, '\n');
    if (next != NULL)
      *next++ = '\0';
    if (sscanf (line, "%u=%lld", &id, &value) != 2)
      continue;
    int index = fake_find_control (id);
    if (index >= 0 && fake_control_valid (&fake_controls[index], value))
      values[index] = (int) value;
  }
  free (text);
}

/* Writes every value to NODE.controls through a temporary file and
 * rename(), so a reader never sees half a file.  Returns 0 or an errno. */
static int
fake_controls_store (const FakeCamera *camera, const int values[FAKE_N_CONTROLS])
{
  static unsigned long counter;
  char path[FAKE_PATH_MAX + 16], temporary[FAKE_PATH_MAX + 64], text[FAKE_N_CONTROLS * 32];
  size_t length = 0;
  int fd, error = 0;

  snprintf (path, sizeof path, "%s.controls", camera->config.node);
  snprintf (temporary, sizeof temporary, "%s.%ld.%lu.tmp", path, (long) getpid (), counter++);
  for (unsigned i = 0; i < FAKE_N_CONTROLS; i++)
    length += (size_t) snprintf (text + length, sizeof text - length, "%u=%d\n",
        fake_controls[i].id, values[i]);
  fd = fake_open_file (temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write (fd, text, length) != (ssize_t) length)
    error = errno != 0 ? errno : EIO;
  if (fd >= 0)
    fake_close_file (fd);
  if (error == 0 && rename (temporary, path) < 0)
    error = errno;
  if (error != 0) {
    fprintf (stderr, "dvr-v4l2-fake: %s: %s\n", path, strerror (error));
    unlink (temporary);
  }
  return error;
}

static int
fake_ioctl (FakeCamera *camera, int fd, unsigned long request, void *arg)
{
  if (camera->unplugged)
    return ENODEV; /* a disconnected device fails every ioctl */
  switch (request) {
    case VIDIOC_QUERYCAP: {
      struct v4l2_capability *caps = arg;
      memset (caps, 0, sizeof *caps);
      snprintf ((char *) caps->driver, sizeof caps->driver, "dvr-v4l2-fake");
      snprintf ((char *) caps->card, sizeof caps->card, "%s", camera->config.card);
      snprintf ((char *) caps->bus_info, sizeof caps->bus_info, "%s", camera->config.bus);
      caps->version = (6 << 16) | (1 << 8);
      caps->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
      caps->capabilities = caps->device_caps | V4L2_CAP_DEVICE_CAPS;
      return 0;
    }
    case VIDIOC_ENUM_FMT: {
      struct v4l2_fmtdesc *desc = arg;
      if (desc->index >= camera->config.n_formats || desc->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
        return EINVAL;
      unsigned fourcc = camera->config.formats[desc->index];
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
      if (size->index >= camera->config.n_sizes || !fake_has_format (camera, size->pixel_format))
        return EINVAL;
      size->type = V4L2_FRMSIZE_TYPE_DISCRETE;
      size->discrete.width = camera->config.widths[size->index];
      size->discrete.height = camera->config.heights[size->index];
      return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
      struct v4l2_frmivalenum *interval = arg;
      if (interval->index >= camera->config.n_rates ||
          !fake_has_format (camera, interval->pixel_format) ||
          !fake_has_size (camera, interval->width, interval->height))
        return EINVAL;
      interval->type = V4L2_FRMIVAL_TYPE_DISCRETE;
      interval->discrete.numerator = 1;
      interval->discrete.denominator = camera->config.rates[interval->index];
      return 0;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT:
    case VIDIOC_TRY_FMT: {
      /* Any advertised pixel format is taken, at the nearest offered size,
       * as drivers do; an unknown one keeps the current format. */
      struct v4l2_format *format = arg;
      if (format->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
        return EINVAL;
      unsigned pixelformat = camera->pixelformat;
      unsigned width = camera->width, height = camera->height;
      if (request != VIDIOC_G_FMT) {
        if (fake_has_format (camera, format->fmt.pix.pixelformat))
          pixelformat = format->fmt.pix.pixelformat;
        width = format->fmt.pix.width;
        height = format->fmt.pix.height;
        fake_nearest_size (camera, &width, &height);
      }
      if (request == VIDIOC_S_FMT) {
        if (camera->n_buffers > 0 && (pixelformat != camera->pixelformat ||
                width != camera->width || height != camera->height))
          return EBUSY;
        camera->pixelformat = pixelformat;
        camera->width = width;
        camera->height = height;
      }
      fake_fill_format (camera, pixelformat, width, height, &format->fmt.pix);
      return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
      struct v4l2_streamparm *parm = arg;
      if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
        return EINVAL;
      struct v4l2_fract asked = parm->parm.capture.timeperframe;
      if (request == VIDIOC_S_PARM && asked.numerator > 0 && asked.denominator > 0) {
        /* The offered rate nearest to the asked one. */
        unsigned fps = camera->config.rates[0];
        double want = (double) asked.denominator / asked.numerator, best = -1;
        for (unsigned i = 0; i < camera->config.n_rates; i++) {
          double distance = camera->config.rates[i] > want ?
              camera->config.rates[i] - want : want - camera->config.rates[i];
          if (best < 0 || distance < best) {
            best = distance;
            fps = camera->config.rates[i];
          }
        }
        if (camera->streaming && fps != camera->fps)
          return EBUSY;
        camera->fps = fps;
      }
      memset (&parm->parm.capture, 0, sizeof parm->parm.capture);
      parm->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
      parm->parm.capture.timeperframe.numerator = 1;
      parm->parm.capture.timeperframe.denominator = camera->fps;
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
      int values[FAKE_N_CONTROLS];
      int index = fake_find_control (control->id);
      if (index < 0)
        return EINVAL;
      fake_controls_load (camera, values);
      control->value = values[index];
      return 0;
    }
    case VIDIOC_S_CTRL: {
      struct v4l2_control *control = arg;
      int values[FAKE_N_CONTROLS];
      int index = fake_find_control (control->id);
      if (index < 0)
        return EINVAL;
      if (!fake_control_valid (&fake_controls[index], control->value))
        return ERANGE;
      fake_controls_load (camera, values);
      values[index] = control->value;
      return fake_controls_store (camera, values);
    }
    case VIDIOC_QUERY_EXT_CTRL:
    case VIDIOC_G_EXT_CTRLS:
    case VIDIOC_S_EXT_CTRLS:
    case VIDIOC_TRY_EXT_CTRLS:
      return EINVAL; /* the old control ioctls only, as above */
    case VIDIOC_REQBUFS:
      return fake_reqbufs (camera, arg);
    case VIDIOC_QUERYBUF: {
      struct v4l2_buffer *info = arg;
      if (info->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || info->index >= camera->n_buffers)
        return EINVAL;
      info->flags = 0;
      fake_fill_buffer_info (camera, info->index, info);
      info->bytesused = 0;
      return 0;
    }
    case VIDIOC_QBUF: {
      struct v4l2_buffer *info = arg;
      if (info->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || info->memory != V4L2_MEMORY_MMAP ||
          info->index >= camera->n_buffers || camera->buffers[info->index].queued)
        return EINVAL;
      camera->buffers[info->index].queued = true;
      camera->buffers[info->index].queued_order = camera->queue_counter++;
      info->flags = 0;
      fake_fill_buffer_info (camera, info->index, info);
      pthread_cond_broadcast (&fake.cond);
      return 0;
    }
    case VIDIOC_DQBUF: {
      struct v4l2_buffer *info = arg;
      if (info->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || info->memory != V4L2_MEMORY_MMAP)
        return EINVAL;
      return fake_dqbuf (camera, fd, info);
    }
    case VIDIOC_STREAMON:
      if (camera->n_buffers == 0)
        return EINVAL;
      if (!camera->streaming) {
        int error = fake_counter_start (camera);
        if (error != 0)
          return error;
        camera->streaming = true;
        camera->sequence = 0;
        /* Frame 0 is captured one frame period after streaming starts. */
        clock_gettime (CLOCK_MONOTONIC, &camera->start);
        camera->start = fake_frame_due (camera, 1);
        camera->stream_open = true;
        camera->stream_format = camera->pixelformat;
        camera->stream_width = camera->width;
        camera->stream_height = camera->height;
        camera->delivered = 0;
      }
      return 0;
    case VIDIOC_STREAMOFF:
      /* Like a driver: stop, and hand every queued buffer back. */
      fake_stop (camera);
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
  FakeCamera *camera;

  va_start (args, request);
  arg = va_arg (args, void *);
  va_end (args);

  pthread_mutex_lock (&fake.lock);
  camera = fake_camera_of (fd);
  if (camera == NULL) {
    REAL (int, ioctl, int, unsigned long, ...);
    pthread_mutex_unlock (&fake.lock);
    return real_ioctl (fd, request, arg);
  }
  camera->n_busy++;
  error = fake_ioctl (camera, fd, request, arg);
  camera->n_busy--;
  fake_camera_release (camera);
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
  for (nfds_t i = 0; fake.cameras != NULL && i < n_fds; i++) {
    FakeCamera *camera = fake_camera_of (fds[i].fd);
    if (camera != NULL && fake_check_unplugged (camera))
      fds[i].revents |= POLLERR;
  }
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
      return fake_track_open ((int) real_syscall (number, a[0], a[1], a[2], a[3], a[4], a[5]));
#endif
    case SYS_openat:
      return fake_track_open ((int) real_syscall (number, a[0], a[1], a[2], a[3], a[4], a[5]));
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
