/* dvr-retention: the disk budget of the ring.
 *
 * Plain arithmetic on numbers the caller measures (statvfs of the storage,
 * the sizes of ring segments oldest first) and times it passes in, so that
 * it runs against a fake clock in tests.  The daemon does the I/O: it
 * observes the free space about once a second, asks for a plan, moves the
 * planned segments to garbage in the catalog and unlinks them on the
 * storage thread (docs/events.md).
 *
 * The target: keep free space at or above min_free_bytes (the low
 * watermark).  Because deleting takes a moment and cameras keep writing,
 * a sweep starts early: when free space falls under min_free plus the
 * bytes the recorder wrote in the last DVR_RETENTION_HEADROOM_S seconds
 * (measured from the fall of free space between observations, not
 * assumed), and deletes until it is back above that.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Seconds of writing a sweep keeps in hand above the watermark. */
#define DVR_RETENTION_HEADROOM_S 4

typedef struct {
  guint64 min_free_bytes;      /* low watermark, absolute (the caller turns
                                * a percentage of the drive into bytes) */
  gdouble max_sweep_fraction;  /* guard: a sweep never plans more than this
                                * fraction of the drive's size, 0 < f <= 1 */
} DvrRetentionPolicy;

typedef enum {
  DVR_RETENTION_ALARM_NONE,
  DVR_RETENTION_ALARM_LOW,           /* free space under the watermark */
  DVR_RETENTION_ALARM_EVIDENCE_FULL, /* under the watermark and no ring segment
                                      * left to delete: evidence fills the drive */
  DVR_RETENTION_ALARM_GUARD,         /* the last sweep stopped at the guard */
} DvrRetentionAlarm;

const gchar *dvr_retention_alarm_to_string (DvrRetentionAlarm alarm);

typedef struct _DvrRetention DvrRetention;

DvrRetention *dvr_retention_new (const DvrRetentionPolicy *policy);
void dvr_retention_free (DvrRetention *retention);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrRetention, dvr_retention_free)

/* One measurement of the drive: its size and the space free to us
 * (f_bavail * f_frsize), at @now_mono_ns.  Updates the write rate (the
 * largest fall of free space per second over the last ten seconds;
 * deletions between two observations do not count as negative writing).
 * A new @total_bytes (another drive) starts the measurement afresh.  Sets
 * the alarm to NONE at or above the watermark; under it, to LOW if it was
 * NONE (GUARD and EVIDENCE_FULL stay until a plan or free space clears
 * them).  Main loop only, like every function here. */
void dvr_retention_observe (DvrRetention *retention,
                            gint64 now_mono_ns,
                            guint64 total_bytes,
                            guint64 free_bytes);

/* Bytes per second the recorder is writing, as last measured. */
guint64 dvr_retention_get_write_rate (const DvrRetention *retention);
/* min_free + write rate * DVR_RETENTION_HEADROOM_S: free space a sweep
 * restores. */
guint64 dvr_retention_get_target_free (const DvrRetention *retention);
/* Space kept back when evidence leaves nothing to delete:
 * DVR_RETENTION_RESERVE_BYTES plus write rate * DVR_RETENTION_HEADROOM_S.
 * Under it the daemon stops recording rather than let the filesystem run
 * out (ENOSPC would cut segments short and fail catalog commits), and
 * starts again once free space is back above the target. */
#define DVR_RETENTION_RESERVE_BYTES (16 * 1024 * 1024)
guint64 dvr_retention_get_floor_free (const DvrRetention *retention);
/* TRUE when the last observed free space is under the target. */
gboolean dvr_retention_needs_sweep (const DvrRetention *retention);

/* Plans one sweep over ring segments (@sizes: their bytes, oldest first;
 * @n_sizes may be fewer than the ring holds: the caller passes a batch).
 * Returns how many of the oldest to delete: enough to bring free space back
 * to the target, never more than the guard allows (max_sweep_fraction of
 * the drive), and at least one when a sweep is needed and the guard allows
 * it.  Sets the alarm: GUARD when the guard stopped the plan short,
 * EVIDENCE_FULL when a sweep is needed, free space is under the watermark
 * and @n_sizes is 0, LOW when under the watermark otherwise, else NONE
 * (except that EVIDENCE_FULL stays while plans use up every candidate
 * given and still fall short: the ring ran empty and refills only with
 * segments recorded since).  The plan is not remembered: observe again once
 * the planned files are gone before planning the next sweep.
 * @bytes_planned (nullable) receives the bytes the plan frees. */
guint dvr_retention_plan (DvrRetention *retention,
                          const guint64 *sizes,
                          guint n_sizes,
                          guint64 *bytes_planned);

/* The alarm as of the last observe or plan. */
DvrRetentionAlarm dvr_retention_get_alarm (const DvrRetention *retention);
/* Last observed values; 0 before the first observation. */
guint64 dvr_retention_get_free_bytes (const DvrRetention *retention);
guint64 dvr_retention_get_total_bytes (const DvrRetention *retention);

G_END_DECLS
