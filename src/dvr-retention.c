/* dvr-retention: the disk budget of the ring.
 *
 * The write rate comes from a small ring of (monotonic time, free bytes)
 * observations.  For each observation, the falls of free space since the
 * newest observation at least RATE_SPAN_NS before it are summed and divided
 * by that span (never by less than RATE_SPAN_NS); a rise between two
 * observations (the storage thread unlinked files) adds nothing, because
 * deletions are not negative writing.  The rate is the largest of these
 * within the last WRITE_RATE_WINDOW_NS: the largest rather than the mean,
 * so that a sweep keeps headroom for the recorder's bursts (keyframes, a
 * camera restarting) and not for its average.  Spans of a second, not the
 * gaps between observations: the daemon also observes after every segment
 * and every deletion, sometimes milliseconds apart, and one frame's write
 * over a millisecond is not a rate (measured: 200 MB/s "rates" for a
 * recorder writing 13 MB/s, which emptied the ring for nothing).
 *
 * Alarms, as the daemon shows them in status and the log:
 *   - observe() sets NONE whenever free space is at or above the watermark
 *     (whatever the last sweep found: the drive is fine now), and LOW when
 *     it is under it and the alarm was NONE.  Under the watermark it keeps
 *     GUARD and EVIDENCE_FULL: only a plan can tell them (it sees the
 *     candidates and the guard), and they stay true until a plan says
 *     otherwise or free space comes back.
 *   - plan() sets the alarm from what it found, as the header says, with
 *     one refinement: once EVIDENCE_FULL, a plan that uses up every
 *     candidate it was given and still falls short of the target keeps
 *     EVIDENCE_FULL rather than dropping to LOW.  After the ring ran empty
 *     its only candidates are the few segments recorded since; without
 *     this the alarm would flap between LOW and EVIDENCE_FULL with every
 *     segment that closes.
 *
 * Plain arithmetic, no I/O and no clock of its own: called from the main
 * loop, never shared between threads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-retention.h"
#include "dvr-utils.h"

/* How far back the write rate looks. */
#define WRITE_RATE_WINDOW_NS (10 * DVR_NSEC_PER_SEC)

/* The shortest span a rate is measured over. */
#define RATE_SPAN_NS DVR_NSEC_PER_SEC

/* Observations kept.  The daemon observes every 500 ms and after every
 * segment and deletion: a few a second; faster than about twelve a second
 * the window is cut to the last RING_SIZE - 1 intervals. */
#define RING_SIZE 128

typedef struct {
  gint64 mono_ns;
  guint64 free_bytes;
} Observation;

struct _DvrRetention {
  DvrRetentionPolicy policy;
  Observation ring[RING_SIZE];  /* ring[first] oldest, times strictly rising */
  guint first;
  guint count;
  gboolean observed;            /* at least one observation */
  guint64 total_bytes;          /* last observed */
  guint64 free_bytes;           /* last observed */
  guint64 write_rate;           /* bytes/s, from the ring */
  DvrRetentionAlarm alarm;
};

static guint64
saturating_add (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

static guint64
saturating_mul (guint64 a, guint64 b)
{
  return b != 0 && a > G_MAXUINT64 / b ? G_MAXUINT64 : a * b;
}

static const Observation *
ring_get (const DvrRetention *self, guint i)
{
  return &self->ring[(self->first + i) % RING_SIZE];
}

/* @fall bytes over @span_ns as bytes per second, rounded up: headroom errs
 * on the side of deleting early. */
static guint64
span_rate (guint64 fall, guint64 span_ns)
{
  if (fall <= (G_MAXUINT64 - span_ns) / DVR_NSEC_PER_SEC)
    return (fall * DVR_NSEC_PER_SEC + span_ns - 1) / span_ns;
  /* Beyond 18 GB in one span exactness no longer matters. */
  {
    gdouble rate = (gdouble) fall / (gdouble) span_ns * (gdouble) DVR_NSEC_PER_SEC;
    return rate >= (gdouble) G_MAXUINT64 ? G_MAXUINT64 : (guint64) rate;
  }
}

/* The rate over the span ending at observation @i: the falls back to the
 * newest observation at least RATE_SPAN_NS older (or the oldest kept),
 * over that span but never less than RATE_SPAN_NS. */
static guint64
rate_ending_at (const DvrRetention *self, guint i)
{
  const Observation *end = ring_get (self, i);
  guint64 fall = 0;
  gint64 span = 0;

  for (guint j = i; j > 0; j--) {
    const Observation *before = ring_get (self, j - 1);
    const Observation *after = ring_get (self, j);
    if (after->free_bytes < before->free_bytes)
      fall = saturating_add (fall, before->free_bytes - after->free_bytes);
    span = end->mono_ns - before->mono_ns;
    if (span >= RATE_SPAN_NS)
      break;
  }
  return span_rate (fall, (guint64) MAX (span, RATE_SPAN_NS));
}

static void
update_write_rate (DvrRetention *self, gint64 now_mono_ns)
{
  guint64 rate = 0;

  /* Drop observations that only begin intervals lying wholly before the
   * window (and the span before it); the newest interval always stays,
   * however long it is, so that a late observation (a busy main loop)
   * still measures the fall. */
  while (self->count >= 2 &&
         ring_get (self, 1)->mono_ns <= now_mono_ns - WRITE_RATE_WINDOW_NS - RATE_SPAN_NS) {
    self->first = (self->first + 1) % RING_SIZE;
    self->count--;
  }
  for (guint i = 1; i < self->count; i++) {
    if (ring_get (self, i)->mono_ns > now_mono_ns - WRITE_RATE_WINDOW_NS || i == self->count - 1)
      rate = MAX (rate, rate_ending_at (self, i));
  }
  self->write_rate = rate;
}

/* Bytes a sweep may plan at most. */
static guint64
guard_bytes (const DvrRetention *self)
{
  gdouble guard = self->policy.max_sweep_fraction * (gdouble) self->total_bytes;

  return guard >= (gdouble) G_MAXUINT64 ? G_MAXUINT64 : (guint64) guard;
}

const gchar *
dvr_retention_alarm_to_string (DvrRetentionAlarm alarm)
{
  switch (alarm) {
  case DVR_RETENTION_ALARM_NONE:
    return "none";
  case DVR_RETENTION_ALARM_LOW:
    return "low";
  case DVR_RETENTION_ALARM_EVIDENCE_FULL:
    return "evidence-full";
  case DVR_RETENTION_ALARM_GUARD:
    return "guard";
  default:
    return "unknown";
  }
}

/* Returns a new DvrRetention, freed with dvr_retention_free(); @policy is
 * copied. */
DvrRetention *
dvr_retention_new (const DvrRetentionPolicy *policy)
{
  DvrRetention *self;

  g_return_val_if_fail (policy != NULL, NULL);
  g_return_val_if_fail (policy->max_sweep_fraction > 0.0 && policy->max_sweep_fraction <= 1.0,
                        NULL);

  self = g_new0 (DvrRetention, 1);
  self->policy = *policy;
  self->alarm = DVR_RETENTION_ALARM_NONE;
  return self;
}

void
dvr_retention_free (DvrRetention *retention)
{
  g_free (retention);
}

void
dvr_retention_observe (DvrRetention *self,
                       gint64 now_mono_ns,
                       guint64 total_bytes,
                       guint64 free_bytes)
{
  g_return_if_fail (self != NULL);

  /* Another drive, or the filesystem resized: falls measured before say
   * nothing about it. */
  if (self->observed && total_bytes != self->total_bytes)
    self->count = 0;
  self->observed = TRUE;
  self->total_bytes = total_bytes;
  self->free_bytes = free_bytes;

  /* A time not after the last observation's (the caller observed twice at
   * once) makes no interval: it updates the free space only. */
  if (self->count == 0 || now_mono_ns > ring_get (self, self->count - 1)->mono_ns) {
    if (self->count == RING_SIZE) {
      self->first = (self->first + 1) % RING_SIZE;
      self->count--;
    }
    self->ring[(self->first + self->count) % RING_SIZE] = (Observation) {
      .mono_ns = now_mono_ns,
      .free_bytes = free_bytes,
    };
    self->count++;
  }
  update_write_rate (self, now_mono_ns);

  if (free_bytes >= self->policy.min_free_bytes)
    self->alarm = DVR_RETENTION_ALARM_NONE;
  else if (self->alarm == DVR_RETENTION_ALARM_NONE)
    self->alarm = DVR_RETENTION_ALARM_LOW;
}

guint64
dvr_retention_get_write_rate (const DvrRetention *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->write_rate;
}

static guint64
headroom_bytes (const DvrRetention *self)
{
  return saturating_mul (self->write_rate, DVR_RETENTION_HEADROOM_S);
}

guint64
dvr_retention_get_target_free (const DvrRetention *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return saturating_add (self->policy.min_free_bytes, headroom_bytes (self));
}

guint64
dvr_retention_get_floor_free (const DvrRetention *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return saturating_add (DVR_RETENTION_RESERVE_BYTES, headroom_bytes (self));
}

gboolean
dvr_retention_needs_sweep (const DvrRetention *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->observed && self->free_bytes < dvr_retention_get_target_free (self);
}

/* The plan is not remembered: the caller observes again after the planned
 * files are gone (free space shows them) before it plans the next sweep,
 * or the same shortfall is planned twice. */
guint
dvr_retention_plan (DvrRetention *self,
                    const guint64 *sizes,
                    guint n_sizes,
                    guint64 *bytes_planned)
{
  guint64 needed;
  guint64 guard;
  guint64 planned = 0;
  guint n = 0;
  gboolean guarded = FALSE;
  gboolean under_watermark;

  if (bytes_planned != NULL)
    *bytes_planned = 0;
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (sizes != NULL || n_sizes == 0, 0);

  if (!dvr_retention_needs_sweep (self)) {
    /* Free space is at or above the target, so above the watermark too. */
    self->alarm = DVR_RETENTION_ALARM_NONE;
    return 0;
  }

  needed = dvr_retention_get_target_free (self) - self->free_bytes;
  guard = guard_bytes (self);
  /* planned <= guard holds throughout, so guard - planned cannot wrap. */
  while (n < n_sizes && planned < needed) {
    if (sizes[n] > guard - planned) {
      guarded = TRUE;
      break;
    }
    planned += sizes[n];
    n++;
  }

  under_watermark = self->free_bytes < self->policy.min_free_bytes;
  if (guarded)
    self->alarm = DVR_RETENTION_ALARM_GUARD;
  else if (!under_watermark)
    self->alarm = DVR_RETENTION_ALARM_NONE;
  /* The second case: still full after the ring ran empty (top of file). */
  else if (n_sizes == 0 ||
           (self->alarm == DVR_RETENTION_ALARM_EVIDENCE_FULL && planned < needed))
    self->alarm = DVR_RETENTION_ALARM_EVIDENCE_FULL;
  else
    self->alarm = DVR_RETENTION_ALARM_LOW;

  if (bytes_planned != NULL)
    *bytes_planned = planned;
  return n;
}

DvrRetentionAlarm
dvr_retention_get_alarm (const DvrRetention *self)
{
  g_return_val_if_fail (self != NULL, DVR_RETENTION_ALARM_NONE);
  return self->alarm;
}

guint64
dvr_retention_get_free_bytes (const DvrRetention *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->free_bytes;
}

guint64
dvr_retention_get_total_bytes (const DvrRetention *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->total_bytes;
}
