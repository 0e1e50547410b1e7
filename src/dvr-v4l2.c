/* dvr-v4l2.c: probing a V4L2 camera and choosing what to record from it.
 *
 * The probe goes through libv4l2 so that it sees the device as v4l2src
 * built with libv4l2 would; formats libv4lconvert only emulates (flagged
 * V4L2_FMT_FLAG_EMULATED) are left out, as passing them through or encoding
 * them would cost a conversion the camera does not offer natively.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-v4l2.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <string.h>

/* The controls a fixed vehicle camera is set up with at start. */
static const guint32 probe_control_ids[] = {
  V4L2_CID_POWER_LINE_FREQUENCY,
  V4L2_CID_EXPOSURE_AUTO,
  V4L2_CID_AUTO_WHITE_BALANCE,
  V4L2_CID_BRIGHTNESS,
};

/* ---- plain structs ---- */

DvrV4l2Probe *
dvr_v4l2_probe_new (const gchar *device)
{
  DvrV4l2Probe *probe = g_new0 (DvrV4l2Probe, 1);
  probe->device = g_strdup (device);
  probe->formats = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_v4l2_format_free);
  probe->controls = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_v4l2_control_free);
  return probe;
}

void
dvr_v4l2_probe_free (DvrV4l2Probe *probe)
{
  if (probe == NULL)
    return;
  g_free (probe->device);
  g_free (probe->driver);
  g_free (probe->card);
  g_free (probe->bus_info);
  g_ptr_array_unref (probe->formats);
  g_ptr_array_unref (probe->controls);
  g_free (probe);
}

DvrV4l2Format *
dvr_v4l2_format_new (guint32 fourcc, const gchar *description, gboolean compressed)
{
  DvrV4l2Format *format = g_new0 (DvrV4l2Format, 1);
  format->fourcc = fourcc;
  format->description = g_strdup (description);
  format->compressed = compressed;
  format->sizes = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_v4l2_frame_size_free);
  return format;
}

void
dvr_v4l2_format_free (DvrV4l2Format *format)
{
  if (format == NULL)
    return;
  g_free (format->description);
  g_ptr_array_unref (format->sizes);
  g_free (format);
}

static DvrV4l2FrameSize *
frame_size_new (void)
{
  DvrV4l2FrameSize *size = g_new0 (DvrV4l2FrameSize, 1);
  size->step_width = 1;
  size->step_height = 1;
  size->intervals = g_array_new (FALSE, TRUE, sizeof (DvrV4l2Interval));
  return size;
}

DvrV4l2FrameSize *
dvr_v4l2_frame_size_new_discrete (guint32 width, guint32 height)
{
  DvrV4l2FrameSize *size = frame_size_new ();
  size->type = DVR_V4L2_RANGE_DISCRETE;
  size->width = size->max_width = width;
  size->height = size->max_height = height;
  return size;
}

void
dvr_v4l2_frame_size_free (DvrV4l2FrameSize *size)
{
  if (size == NULL)
    return;
  g_array_unref (size->intervals);
  g_free (size);
}

void
dvr_v4l2_frame_size_add_interval (DvrV4l2FrameSize *size, guint32 numerator,
                                  guint32 denominator)
{
  DvrV4l2Interval interval = {
    .type = DVR_V4L2_RANGE_DISCRETE,
    .numerator = numerator,
    .denominator = denominator,
    .max_numerator = numerator,
    .max_denominator = denominator,
  };
  g_array_append_val (size->intervals, interval);
}

void
dvr_v4l2_control_free (DvrV4l2Control *control)
{
  if (control == NULL)
    return;
  g_free (control->name);
  g_clear_pointer (&control->menu, g_ptr_array_unref);
  g_free (control);
}

const DvrV4l2Control *
dvr_v4l2_probe_get_control (const DvrV4l2Probe *probe, guint32 id)
{
  for (guint i = 0; i < probe->controls->len; i++) {
    const DvrV4l2Control *control = g_ptr_array_index (probe->controls, i);
    if (control->id == id)
      return control;
  }
  return NULL;
}

const DvrV4l2Format *
dvr_v4l2_probe_get_format (const DvrV4l2Probe *probe, guint32 fourcc)
{
  for (guint i = 0; i < probe->formats->len; i++) {
    const DvrV4l2Format *format = g_ptr_array_index (probe->formats, i);
    if (format->fourcc == fourcc)
      return format;
  }
  return NULL;
}

gchar *
dvr_v4l2_fourcc_to_string (guint32 fourcc)
{
  gchar text[5];

  for (guint i = 0; i < 4; i++) {
    gchar c = (gchar) ((fourcc >> (8 * i)) & 0xff);
    text[i] = g_ascii_isprint (c) ? c : '?';
  }
  text[4] = '\0';
  return g_strchomp (g_strdup (text));
}

/* ---- probing ---- */

/* A v4l2 fd that closes itself through libv4l2 (GLib 2.74 has no g_autofd). */
typedef int DvrV4l2Fd;

static void
dvr_v4l2_fd_close (DvrV4l2Fd *fd)
{
  if (*fd >= 0)
    v4l2_close (*fd);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DvrV4l2Fd, dvr_v4l2_fd_close)

/* v4l2_ioctl, retried on EINTR as the V4L2 docs ask; returns errno or 0. */
static int
xioctl (int fd, unsigned long request, void *arg)
{
  for (;;) {
    if (v4l2_ioctl (fd, request, arg) == 0)
      return 0;
    if (errno != EINTR)
      return errno;
  }
}

static gchar *
string_from_field (const guint8 *field, gsize size)
{
  return g_strndup ((const gchar *) field, size);
}

static void
probe_intervals (int fd, guint32 fourcc, DvrV4l2FrameSize *size)
{
  for (guint32 index = 0;; index++) {
    struct v4l2_frmivalenum query = {
      .index = index,
      .pixel_format = fourcc,
      .width = size->width,
      .height = size->height,
    };
    DvrV4l2Interval interval = { 0, };

    /* Any error ends the list: drivers say EINVAL, some say ENOTTY. */
    if (xioctl (fd, VIDIOC_ENUM_FRAMEINTERVALS, &query) != 0)
      return;
    if (query.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
      interval.type = DVR_V4L2_RANGE_DISCRETE;
      interval.numerator = interval.max_numerator = query.discrete.numerator;
      interval.denominator = interval.max_denominator = query.discrete.denominator;
      g_array_append_val (size->intervals, interval);
      continue;
    }
    interval.type = query.type == V4L2_FRMIVAL_TYPE_STEPWISE ? DVR_V4L2_RANGE_STEPWISE
                                                              : DVR_V4L2_RANGE_CONTINUOUS;
    interval.numerator = query.stepwise.min.numerator;
    interval.denominator = query.stepwise.min.denominator;
    interval.max_numerator = query.stepwise.max.numerator;
    interval.max_denominator = query.stepwise.max.denominator;
    g_array_append_val (size->intervals, interval);
    return; /* a range is the only entry */
  }
}

static void
probe_sizes (int fd, DvrV4l2Format *format)
{
  for (guint32 index = 0;; index++) {
    struct v4l2_frmsizeenum query = { .index = index, .pixel_format = format->fourcc };
    DvrV4l2FrameSize *size;

    if (xioctl (fd, VIDIOC_ENUM_FRAMESIZES, &query) != 0)
      return;
    if (query.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
      size = dvr_v4l2_frame_size_new_discrete (query.discrete.width, query.discrete.height);
    } else {
      size = frame_size_new ();
      size->type = query.type == V4L2_FRMSIZE_TYPE_STEPWISE ? DVR_V4L2_RANGE_STEPWISE
                                                             : DVR_V4L2_RANGE_CONTINUOUS;
      size->width = query.stepwise.min_width;
      size->height = query.stepwise.min_height;
      size->max_width = query.stepwise.max_width;
      size->max_height = query.stepwise.max_height;
      size->step_width = MAX (query.stepwise.step_width, 1);
      size->step_height = MAX (query.stepwise.step_height, 1);
    }
    /* For a range, the intervals at the smallest size stand for all. */
    probe_intervals (fd, format->fourcc, size);
    g_ptr_array_add (format->sizes, size);
    if (query.type != V4L2_FRMSIZE_TYPE_DISCRETE)
      return;
  }
}

static void
probe_controls (int fd, DvrV4l2Probe *probe)
{
  for (guint i = 0; i < G_N_ELEMENTS (probe_control_ids); i++) {
    struct v4l2_queryctrl query = { .id = probe_control_ids[i] };
    struct v4l2_control value = { .id = probe_control_ids[i] };
    DvrV4l2Control *control;

    /* A camera without the control is fine: it is simply not listed. */
    if (xioctl (fd, VIDIOC_QUERYCTRL, &query) != 0 || (query.flags & V4L2_CTRL_FLAG_DISABLED))
      continue;
    control = g_new0 (DvrV4l2Control, 1);
    control->id = query.id;
    control->name = string_from_field (query.name, sizeof query.name);
    control->type = query.type;
    control->minimum = query.minimum;
    control->maximum = query.maximum;
    control->step = query.step;
    control->default_value = query.default_value;
    /* Write-only controls have no current value: report the default. */
    control->value = xioctl (fd, VIDIOC_G_CTRL, &value) == 0 ? value.value : query.default_value;
    if (query.type == V4L2_CTRL_TYPE_MENU && query.minimum >= 0 && query.maximum < 64) {
      control->menu = g_ptr_array_new_with_free_func (g_free);
      for (gint32 v = 0; v <= query.maximum; v++) {
        struct v4l2_querymenu item = { .id = query.id, .index = (guint32) v };
        /* UVC cameras refuse the items they skip (exposure modes, mostly). */
        g_ptr_array_add (control->menu, v >= query.minimum &&
            xioctl (fd, VIDIOC_QUERYMENU, &item) == 0 ?
            string_from_field (item.name, sizeof item.name) : NULL);
      }
    }
    g_ptr_array_add (probe->controls, control);
  }
}

DvrV4l2Probe *
dvr_v4l2_probe (const gchar *device, GError **error)
{
  g_auto (DvrV4l2Fd) fd = -1;
  g_autoptr (DvrV4l2Probe) probe = NULL;
  struct v4l2_capability caps = { 0, };
  guint32 device_caps;
  int e;

  g_return_val_if_fail (device != NULL, NULL);

  fd = v4l2_open (device, O_RDWR);
  if (fd < 0) {
    e = errno;
    /* libv4l2 queries the device inside v4l2_open: ENOTTY means it is no V4L2 node. */
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "open %s: %s%s", device,
        g_strerror (e), e == ENOTTY ? " (not a V4L2 device)" : "");
    return NULL;
  }
  e = xioctl (fd, VIDIOC_QUERYCAP, &caps);
  if (e != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
        "%s: VIDIOC_QUERYCAP: %s (not a V4L2 device?)", device, g_strerror (e));
    return NULL;
  }
  device_caps = (caps.capabilities & V4L2_CAP_DEVICE_CAPS) ? caps.device_caps : caps.capabilities;
  if ((device_caps & V4L2_CAP_VIDEO_CAPTURE) == 0 || (device_caps & V4L2_CAP_STREAMING) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
        "%s: %s (%s) is not a streaming video capture device: it lacks %s", device,
        (const gchar *) caps.card, (const gchar *) caps.driver,
        (device_caps & V4L2_CAP_VIDEO_CAPTURE) ? "STREAMING" :
        (device_caps & V4L2_CAP_STREAMING) ? "VIDEO_CAPTURE" : "VIDEO_CAPTURE and STREAMING");
    return NULL;
  }

  probe = dvr_v4l2_probe_new (device);
  probe->driver = string_from_field (caps.driver, sizeof caps.driver);
  probe->card = string_from_field (caps.card, sizeof caps.card);
  probe->bus_info = string_from_field (caps.bus_info, sizeof caps.bus_info);

  for (guint32 index = 0;; index++) {
    struct v4l2_fmtdesc desc = { .index = index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
    DvrV4l2Format *format;

    if (xioctl (fd, VIDIOC_ENUM_FMT, &desc) != 0)
      break;
    if (desc.flags & V4L2_FMT_FLAG_EMULATED)
      continue;
    format = dvr_v4l2_format_new (desc.pixelformat, NULL,
        (desc.flags & V4L2_FMT_FLAG_COMPRESSED) != 0);
    format->description = string_from_field (desc.description, sizeof desc.description);
    probe_sizes (fd, format);
    g_ptr_array_add (probe->formats, format);
  }
  probe_controls (fd, probe);
  return g_steal_pointer (&probe);
}

/* ---- describing ---- */

/* Frames per second of an interval, as short text: "30", "29.97". */
static gchar *
fps_to_string (guint32 numerator, guint32 denominator)
{
  gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (numerator == 0)
    return g_strdup ("?");
  if (denominator % numerator == 0)
    return g_strdup_printf ("%u", denominator / numerator);
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.2f",
      (gdouble) denominator / numerator));
}

static void
append_size (GString *text, const DvrV4l2FrameSize *size)
{
  if (size->type == DVR_V4L2_RANGE_DISCRETE)
    g_string_append_printf (text, "%ux%u", size->width, size->height);
  else
    g_string_append_printf (text, "%ux%u-%ux%u", size->width, size->height, size->max_width,
        size->max_height);
}

/* "30/15" for discrete rates, "5-30" for a range (fastest last). */
static void
append_rates (GString *text, const DvrV4l2FrameSize *size)
{
  for (guint i = 0; i < size->intervals->len; i++) {
    const DvrV4l2Interval *interval = &g_array_index (size->intervals, DvrV4l2Interval, i);
    g_autofree gchar *fastest = fps_to_string (interval->numerator, interval->denominator);

    if (i > 0)
      g_string_append_c (text, '/');
    if (interval->type == DVR_V4L2_RANGE_DISCRETE) {
      g_string_append (text, fastest);
    } else {
      g_autofree gchar *slowest = fps_to_string (interval->max_numerator,
          interval->max_denominator);
      g_string_append_printf (text, "%s-%s", slowest, fastest);
    }
  }
  if (size->intervals->len == 0)
    g_string_append_c (text, '?');
}

/* "0 Disabled, 1 50 Hz, 2 60 Hz" */
static gchar *
describe_menu (const DvrV4l2Control *control)
{
  GString *text = g_string_new (NULL);

  for (guint v = 0; v < control->menu->len; v++) {
    const gchar *name = g_ptr_array_index (control->menu, v);
    if (name == NULL)
      continue;
    g_string_append_printf (text, "%s%u %s", text->len ? ", " : "", v, name);
  }
  return g_string_free (text, FALSE);
}

gchar *
dvr_v4l2_probe_to_string (const DvrV4l2Probe *probe)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%s: %s (driver %s, bus %s)\n", probe->device,
      probe->card ? probe->card : "?", probe->driver ? probe->driver : "?",
      probe->bus_info ? probe->bus_info : "?");
  g_string_append (text, "formats:\n");
  if (probe->formats->len == 0)
    g_string_append (text, "  (none)\n");
  for (guint i = 0; i < probe->formats->len; i++) {
    const DvrV4l2Format *format = g_ptr_array_index (probe->formats, i);
    g_autofree gchar *fourcc = dvr_v4l2_fourcc_to_string (format->fourcc);

    g_string_append_printf (text, "  %s \"%s\"%s\n", fourcc,
        format->description ? format->description : "", format->compressed ? " compressed" : "");
    for (guint j = 0; j < format->sizes->len; j++) {
      const DvrV4l2FrameSize *size = g_ptr_array_index (format->sizes, j);
      g_string_append (text, "    ");
      append_size (text, size);
      g_string_append (text, " @ ");
      append_rates (text, size);
      g_string_append (text, " fps\n");
    }
  }
  g_string_append (text, "controls:\n");
  if (probe->controls->len == 0)
    g_string_append (text, "  (none)\n");
  for (guint i = 0; i < probe->controls->len; i++) {
    const DvrV4l2Control *control = g_ptr_array_index (probe->controls, i);
    g_string_append_printf (text, "  %s (0x%08x): ", control->name, control->id);
    if (control->menu != NULL) {
      g_autofree gchar *items = describe_menu (control);
      g_string_append_printf (text, "menu %s", items);
    } else {
      g_string_append_printf (text, "%d..%d", control->minimum, control->maximum);
    }
    g_string_append_printf (text, ", default %d, value %d\n", control->default_value,
        control->value);
  }
  return g_string_free (text, FALSE);
}

/* ---- choosing ---- */

typedef enum {
  KIND_H264,
  KIND_MJPEG,
  KIND_RAW,
  KIND_OTHER, /* compressed, but nothing we can pass through */
} FormatKind;

static FormatKind
format_kind (const DvrV4l2Format *format)
{
  if (format->fourcc == V4L2_PIX_FMT_H264)
    return KIND_H264;
  if (format->fourcc == V4L2_PIX_FMT_MJPEG || format->fourcc == V4L2_PIX_FMT_JPEG)
    return KIND_MJPEG;
  if (format->compressed || dvr_v4l2_fourcc_to_gst_format (format->fourcc) == NULL)
    return KIND_OTHER;
  return KIND_RAW;
}

/* Raw formats we record, with GStreamer's names for them; the same pairs
 * as v4l2src's own table (gstv4l2object.c) for these fourccs. */
static const struct {
  guint32 fourcc;
  const gchar *gst_format;
} raw_formats[] = {
  { V4L2_PIX_FMT_YUYV, "YUY2" },
  { V4L2_PIX_FMT_UYVY, "UYVY" },
  { V4L2_PIX_FMT_YVYU, "YVYU" },
  { V4L2_PIX_FMT_NV12, "NV12" },
  { V4L2_PIX_FMT_NV21, "NV21" },
  { V4L2_PIX_FMT_YUV420, "I420" },
  { V4L2_PIX_FMT_YVU420, "YV12" },
  { V4L2_PIX_FMT_NV16, "NV16" },
  { V4L2_PIX_FMT_GREY, "GRAY8" },
  { V4L2_PIX_FMT_RGB24, "RGB" },
  { V4L2_PIX_FMT_BGR24, "BGR" },
};

const gchar *
dvr_v4l2_fourcc_to_gst_format (guint32 fourcc)
{
  for (guint i = 0; i < G_N_ELEMENTS (raw_formats); i++)
    if (raw_formats[i].fourcc == fourcc)
      return raw_formats[i].gst_format;
  return NULL;
}

static gboolean
size_matches (const DvrV4l2FrameSize *size, guint width, guint height)
{
  if (size->type == DVR_V4L2_RANGE_DISCRETE)
    return size->width == width && size->height == height;
  return width >= size->width && width <= size->max_width && height >= size->height &&
      height <= size->max_height && (width - size->width) % size->step_width == 0 &&
      (height - size->height) % size->step_height == 0;
}

/* Does the interval offer fps_n/fps_d frames per second, that is an
 * interval of fps_d/fps_n seconds?  Cross-multiplied, so 30000/1001 fps
 * matches an interval of 1001/30000 exactly. */
static gboolean
interval_matches (const DvrV4l2Interval *interval, gint fps_n, gint fps_d)
{
  guint64 n = (guint64) fps_n, d = (guint64) fps_d;

  if (interval->type == DVR_V4L2_RANGE_DISCRETE)
    return (guint64) interval->numerator * n == (guint64) interval->denominator * d;
  /* shortest <= wanted <= longest */
  return (guint64) interval->numerator * n <= d * interval->denominator &&
      d * interval->max_denominator <= (guint64) interval->max_numerator * n;
}

static gboolean
format_offers (const DvrV4l2Format *format, guint width, guint height, gint fps_n, gint fps_d)
{
  for (guint i = 0; i < format->sizes->len; i++) {
    const DvrV4l2FrameSize *size = g_ptr_array_index (format->sizes, i);
    if (!size_matches (size, width, height))
      continue;
    for (guint j = 0; j < size->intervals->len; j++)
      if (interval_matches (&g_array_index (size->intervals, DvrV4l2Interval, j), fps_n, fps_d))
        return TRUE;
  }
  return FALSE;
}

/* "H264 1920x1080@30, MJPG 1280x720@30/15 640x480@30, YUYV 640x480@30" */
static gchar *
describe_offers (const DvrV4l2Probe *probe)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < probe->formats->len; i++) {
    const DvrV4l2Format *format = g_ptr_array_index (probe->formats, i);
    g_autofree gchar *fourcc = dvr_v4l2_fourcc_to_string (format->fourcc);

    if (i > 0)
      g_string_append (text, ", ");
    g_string_append (text, fourcc);
    if (format->sizes->len == 0)
      g_string_append (text, " (no sizes)");
    for (guint j = 0; j < format->sizes->len; j++) {
      const DvrV4l2FrameSize *size = g_ptr_array_index (format->sizes, j);
      g_string_append_c (text, ' ');
      append_size (text, size);
      g_string_append_c (text, '@');
      append_rates (text, size);
    }
  }
  return g_string_free (text, FALSE);
}

static const gchar *
policy_wants (DvrV4l2Policy policy)
{
  switch (policy) {
    case DVR_V4L2_POLICY_AUTO:
      return "H.264, MJPEG or raw video";
    case DVR_V4L2_POLICY_PASSTHROUGH:
      return "H.264 or MJPEG (record = passthrough)";
    case DVR_V4L2_POLICY_ENCODE:
      return "raw video or MJPEG (record = encode)";
  }
  return "?";
}

gboolean
dvr_v4l2_choose (const DvrV4l2Probe *probe, guint width, guint height, gint fps_n, gint fps_d,
                 DvrV4l2Policy policy, gboolean transcode_mjpeg, DvrV4l2Choice *out,
                 GError **error)
{
  static const FormatKind auto_order[] = { KIND_H264, KIND_MJPEG, KIND_RAW };
  static const FormatKind passthrough_order[] = { KIND_H264, KIND_MJPEG };
  static const FormatKind encode_order[] = { KIND_RAW, KIND_MJPEG };
  const FormatKind *order;
  guint n_order;
  g_autofree gchar *offers = NULL;
  g_autofree gchar *rate = NULL;

  g_return_val_if_fail (probe != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (fps_n <= 0 || fps_d <= 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "invalid frame rate %d/%d", fps_n, fps_d);
    return FALSE;
  }
  switch (policy) {
    case DVR_V4L2_POLICY_PASSTHROUGH:
      order = passthrough_order;
      n_order = G_N_ELEMENTS (passthrough_order);
      break;
    case DVR_V4L2_POLICY_ENCODE:
      order = encode_order;
      n_order = G_N_ELEMENTS (encode_order);
      break;
    case DVR_V4L2_POLICY_AUTO:
    default:
      order = auto_order;
      n_order = G_N_ELEMENTS (auto_order);
      break;
  }
  /* Within a kind, the driver's order decides (it lists its best first). */
  for (guint k = 0; k < n_order; k++) {
    for (guint i = 0; i < probe->formats->len; i++) {
      const DvrV4l2Format *format = g_ptr_array_index (probe->formats, i);
      if (format_kind (format) != order[k] ||
          !format_offers (format, width, height, fps_n, fps_d))
        continue;
      out->fourcc = format->fourcc;
      if (order[k] == KIND_RAW)
        out->action = DVR_V4L2_ACTION_ENCODE;
      else if (order[k] == KIND_MJPEG && (transcode_mjpeg || policy == DVR_V4L2_POLICY_ENCODE))
        out->action = DVR_V4L2_ACTION_TRANSCODE;
      else
        out->action = DVR_V4L2_ACTION_PASSTHROUGH;
      return TRUE;
    }
  }

  offers = describe_offers (probe);
  rate = fps_to_string ((guint32) fps_d, (guint32) fps_n);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      "wanted %s at %ux%u, %s fps; the camera offers %s", policy_wants (policy),
      width, height, rate, probe->formats->len ? offers : "no formats");
  return FALSE;
}

gchar *
dvr_v4l2_choice_to_string (const DvrV4l2Choice *choice, guint width, guint height,
                           gint fps_n, gint fps_d)
{
  g_autofree gchar *fourcc = dvr_v4l2_fourcc_to_string (choice->fourcc);
  g_autofree gchar *rate = fps_to_string ((guint32) fps_d, (guint32) fps_n);
  const gchar *action = choice->action == DVR_V4L2_ACTION_PASSTHROUGH ? "passed through" :
      choice->action == DVR_V4L2_ACTION_TRANSCODE ? "decoded and encoded to H.264" :
      "encoded to H.264";

  return g_strdup_printf ("%s %ux%u@%s %s", fourcc, width, height, rate, action);
}

/* ---- setting controls ---- */

/* "0..255", or the menu's items: what a control accepts, for messages. */
static gchar *
describe_control_range (const DvrV4l2Control *control)
{
  if (control->menu != NULL)
    return describe_menu (control);
  if (control->type == V4L2_CTRL_TYPE_BOOLEAN)
    return g_strdup ("0 or 1");
  if (control->step > 1)
    return g_strdup_printf ("%d..%d in steps of %d", control->minimum, control->maximum,
        control->step);
  return g_strdup_printf ("%d..%d", control->minimum, control->maximum);
}

static gboolean
control_accepts (const DvrV4l2Control *control, gint32 value)
{
  if (value < control->minimum || value > control->maximum)
    return FALSE;
  if (control->menu != NULL)
    return (guint) value < control->menu->len && g_ptr_array_index (control->menu, value) != NULL;
  if (control->step > 1)
    return ((gint64) value - control->minimum) % control->step == 0;
  return TRUE;
}

gboolean
dvr_v4l2_set_controls (const gchar *device, const DvrV4l2Probe *probe,
                       const DvrV4l2ControlValue *values, guint n_values, GError **error)
{
  g_auto (DvrV4l2Fd) fd = -1;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);

  if (n_values == 0)
    return TRUE;
  fd = v4l2_open (device, O_RDWR);
  if (fd < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "open %s: %s", device,
        g_strerror (e));
    return FALSE;
  }
  for (guint i = 0; i < n_values; i++) {
    const DvrV4l2Control *control = dvr_v4l2_probe_get_control (probe, values[i].id);
    struct v4l2_control set = { .id = values[i].id, .value = values[i].value };
    struct v4l2_control get = { .id = values[i].id };
    g_autofree gchar *range = NULL;
    int e;

    if (control == NULL) {
      g_ptr_array_add (problems, g_strdup_printf ("the camera has no control 0x%08x",
          values[i].id));
      continue;
    }
    range = describe_control_range (control);
    if (!control_accepts (control, values[i].value)) {
      g_ptr_array_add (problems, g_strdup_printf ("%s: %d is not offered (the camera offers %s)",
          control->name, values[i].value, range));
      continue;
    }
    e = xioctl (fd, VIDIOC_S_CTRL, &set);
    if (e != 0) {
      g_ptr_array_add (problems, g_strdup_printf ("%s = %d: %s", control->name,
          values[i].value, g_strerror (e)));
      continue;
    }
    /* Some cameras accept a value and keep another (or clamp it). */
    e = xioctl (fd, VIDIOC_G_CTRL, &get);
    if (e != 0)
      g_ptr_array_add (problems, g_strdup_printf ("%s: reading it back: %s", control->name,
          g_strerror (e)));
    else if (get.value != values[i].value)
      g_ptr_array_add (problems, g_strdup_printf ("%s: set to %d, the camera kept %d",
          control->name, values[i].value, get.value));
  }
  if (problems->len > 0) {
    g_autofree gchar *text = NULL;
    g_ptr_array_add (problems, NULL);
    text = g_strjoinv ("; ", (gchar **) problems->pdata);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", device, text);
    return FALSE;
  }
  return TRUE;
}
