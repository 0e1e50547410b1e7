/* A real gpsd for tests: gpsfake (gpsd-clients) replaying a receiver
 * capture into a private gpsd on a port of our choosing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* TRUE when gpsfake can run here (gpsfake and gpsd installed, gpsfake's
 * Python module importable); else FALSE and @why says what is missing. */
gboolean dvr_test_gpsfake_available (gchar **why);

/* A TCP port on the loopback that nothing listens on right now. */
gchar *dvr_test_free_port (void);

typedef struct {
  GSubprocess *process;  /* timeout(1) running gpsfake, leader of their group */
  gchar *port;
  gchar *replay_path;    /* the capture as fed: preamble + capture */
  gchar *log_path;       /* gpsfake's and gpsd's stdout and stderr */
  gboolean exited;
} DvrTestGpsfake;

/* Starts gpsfake on @port replaying @capture once (-1), one sentence every
 * @cycle_s seconds (-c), never timing out (-W 0).  gpsd opens the device
 * only when a client watches, and then needs up to about a second before
 * it reads sentences as they come; until then gpsfake's writes are lost.  So
 * the capture is fed after @preamble_s seconds' worth of harmless $GPTXT
 * sentences: a client that connects within that time sees the whole
 * capture.  Files go to @folder, which is also gpsd's TMPDIR (its control
 * socket).  gpsfake is not waited for: clients retry until it listens. */
DvrTestGpsfake *dvr_test_gpsfake_start (const gchar *folder,
                                        const gchar *capture,
                                        const gchar *port,
                                        gdouble cycle_s,
                                        gdouble preamble_s,
                                        GError **error);

/* SIGTERM to gpsfake's process group (timeout(1), gpsfake, its gpsd),
 * SIGKILL after 5 s; waits for it to exit, iterating the thread-default
 * main context; removes gpsd's shared memory segment.  Idempotent.  A test
 * that dies without calling it takes gpsfake and gpsd with it (parent-death
 * signal), and no gpsfake outlives 120 s in any case. */
void dvr_test_gpsfake_stop (DvrTestGpsfake *fake);
void dvr_test_gpsfake_free (DvrTestGpsfake *fake);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrTestGpsfake, dvr_test_gpsfake_free)

/* Prints gpsfake's log on stderr (for a failing test). */
void dvr_test_gpsfake_print_log (DvrTestGpsfake *fake);

G_END_DECLS
