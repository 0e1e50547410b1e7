/* Shared helpers for the test suites.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Exit status meson reads as "skipped". */
#define DVR_TEST_SKIP 77

/* How much slower than usual this run is: DVR_TEST_TIMEOUT_SCALE (a
 * number >= 1) when set, else 10 when dvrd runs under a wrapper
 * (DVRD_WRAPPER: the valgrind setup, where dvrd and the test run 10 to 50
 * times slower), else 1. */
gdouble dvr_test_timeout_scale (void);
/* @ms times dvr_test_timeout_scale(), for a wait that ends as soon as what
 * it waits for happens (a status, a file, an exit), a bound on how long
 * something may take, a timeout in dvrd's config (stall-timeout), or how
 * long a test lets dvrd record: under a wrapper the cameras record slower
 * than real time, so N s of video take longer than N s. */
guint dvr_test_timeout_ms (guint ms);
/* TRUE when dvrd runs under a wrapper (DVRD_WRAPPER, e.g. valgrind): a
 * test whose check needs real time (a camera keeping its frame rate, a
 * latency) then exits DVR_TEST_SKIP and says why. */
gboolean dvr_test_under_wrapper (void);

/* What decoding a whole file found. */
typedef struct {
  guint64 frames;        /* decoded video frames */
  gint64 first_pts;      /* ns, -1 if none */
  gint64 last_pts;       /* ns, -1 if none */
  gint64 last_end;       /* last_pts + its duration */
  gchar *codec;          /* caps name of the stored stream */
} DvrTestDecode;

/* Decodes every video frame of @path with GStreamer (matroskademux and
 * decodebin).  FALSE with @error if any element errors or nothing decodes. */
gboolean dvr_test_decode_file (const gchar *path, DvrTestDecode *out, GError **error);
void dvr_test_decode_clear (DvrTestDecode *decode);

gchar *dvr_test_sha256_file (const gchar *path, GError **error);

/* A temporary folder, removed (recursively) by dvr_test_rmtree. */
gchar *dvr_test_mkdtemp (void);
void dvr_test_rmtree (const gchar *path);

/* A Matroska clip of JPEG noise for replay cameras that pass MJPEG
 * through: @unique frames (which do not compress), repeated for @seconds
 * at @fps.  Fast writing for little CPU. */
void dvr_test_make_mjpeg_clip (const gchar *path, guint width, guint height, guint fps,
                               guint quality, guint unique, guint seconds);

/* Makes an H.264 Matroska clip of @seconds at @fps for replay cameras. */
gboolean dvr_test_make_clip (const gchar *path, guint width, guint height,
                             guint fps, guint seconds, GError **error);

typedef struct {
  GSubprocess *process;
  gchar *config_path;
  gchar *socket_path;
  gchar *log_path;
} DvrTestDaemon;

/* Starts $DVRD with @config_text written to a file in @folder (its
 * control socket must be @folder/control.sock), waits until it answers
 * "status" (up to 10 s, scaled by dvr_test_timeout_ms()).  Under
 * DVRD_WRAPPER, dvrd runs under that command line. */
DvrTestDaemon *dvr_test_daemon_start (const gchar *folder, const gchar *config_text, GError **error);
/* Sends SIGTERM and waits up to @timeout_ms (scaled by
 * dvr_test_timeout_ms()); returns the exit status, or -1 when it did not
 * exit in time (it is then killed). @elapsed_ms gets the time it took. */
gint dvr_test_daemon_stop (DvrTestDaemon *daemon, guint timeout_ms, gint64 *elapsed_ms);
void dvr_test_daemon_free (DvrTestDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrTestDaemon, dvr_test_daemon_free)

JsonObject *dvr_test_daemon_status (DvrTestDaemon *daemon, GError **error);
/* The camera named @name in a status reply (borrowed), or NULL. */
JsonObject *dvr_test_status_camera (JsonObject *status, const gchar *name);

/* Polls "status" every 20 ms until @func accepts a reply, and returns that
 * reply (new ref), or NULL after @timeout_ms (scaled by
 * dvr_test_timeout_ms()). */
typedef gboolean (*DvrTestStatusFunc) (JsonObject *status, gpointer user_data);
JsonObject *dvr_test_daemon_wait (DvrTestDaemon *daemon, guint timeout_ms,
                                  DvrTestStatusFunc func, gpointer user_data);

/* Prints dvrd's log on stderr (for a failing test). */
void dvr_test_daemon_print_log (DvrTestDaemon *daemon);

/* Runs a command line, returns its exit status, stdout and stderr. */
gint dvr_test_run (const gchar * const *argv, gchar **out, gchar **err);

/* Sleeps while iterating the default main context. */
void dvr_test_wait_ms (guint ms);

/* A filesystem of a test's own: a sparse image in a temporary folder,
 * formatted ext4 (4 KiB blocks, no blocks reserved for root, so that
 * f_bavail is what any writer gets), attached to a free loop device and
 * mounted.  Needs root and loop devices. */
typedef struct {
  gchar *folder;        /* temporary folder: the image and the mount point */
  gchar *image;
  gchar *device;        /* e.g. /dev/loop3 */
  gchar *mount_point;
  guint64 image_bytes;
  GSubprocess *guardian;
} DvrTestLoopMount;

/* Makes the image (@image_bytes), formats, attaches and mounts it.  A
 * guardian process in a session of its own is started first and told each
 * step: whenever the test ends (dvr_test_loop_mount_free(), an assertion's
 * abort, a timeout's SIGKILL of the process group), it unmounts (lazily
 * if still busy after 5 s), detaches the loop device and removes the
 * folder.  NULL with G_IO_ERROR_NOT_SUPPORTED when the machine cannot (not
 * root, no losetup or mkfs.ext4, no loop devices, mounting refused): the
 * test then exits DVR_TEST_SKIP with the message. */
DvrTestLoopMount *dvr_test_loop_mount_new (guint64 image_bytes, GError **error);
/* Undoes everything and waits for it; call it after every process using
 * the mount has exited.  Returns FALSE (and says why on stderr) when the
 * guardian could not clean up. */
gboolean dvr_test_loop_mount_free (DvrTestLoopMount *mount);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrTestLoopMount, dvr_test_loop_mount_free)

/* One sample of a metadata track. */
typedef struct {
  gint64 pts;
  gchar *text;            /* as dvrmeta wrote it (unescaped) */
} DvrTestSample;

void dvr_test_sample_clear (DvrTestSample *sample);

/* Appends the samples of @path's JSON track (dvr-meta/1) to @json and of
 * its text track (dvr-overlay) to @text (both GArray of DvrTestSample, in
 * file order), demuxed with GStreamer. */
void dvr_test_demux_tracks (const gchar *path, GArray *json, GArray *text);

G_END_DECLS

G_BEGIN_DECLS

/* As dvr_test_daemon_start(), with @environment ("NAME=VALUE" strings,
 * NULL-terminated; may be NULL) set in dvrd's environment on top of the
 * test's: e.g. NOTIFY_SOCKET and WATCHDOG_USEC, as systemd sets them for a
 * Type=notify service with WatchdogSec=. */
DvrTestDaemon *dvr_test_daemon_start_with_env (const gchar *folder, const gchar *config_text,
                                               const gchar * const *environment,
                                               GError **error);

G_END_DECLS
