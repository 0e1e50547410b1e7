/* retention-test: the disk budget (write rate, target, floor, sweep plans,
 * alarms) against a fake clock.
 *
 * Every time is passed in, so nothing sleeps; every number is exact.  The
 * usual drive is 1 GiB with a 100 MiB watermark and a 25% guard (256 MiB).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-retention.h"

#define MIB (G_GUINT64_CONSTANT (1048576))
#define GIB (1024 * MIB)
#define SECOND (G_GINT64_CONSTANT (1000000000))
#define MS (G_GINT64_CONSTANT (1000000))

#define TOTAL GIB
#define MIN_FREE (100 * MIB)
#define GUARD (256 * MIB)

static DvrRetention *
retention_new (void)
{
  DvrRetentionPolicy policy = { .min_free_bytes = MIN_FREE, .max_sweep_fraction = 0.25 };
  return dvr_retention_new (&policy);
}

/* A retention that measured @rate bytes/s over one second (from 0 to 1 s)
 * and now sees @free. */
static DvrRetention *
retention_at (guint64 rate, guint64 free)
{
  DvrRetention *retention = retention_new ();

  dvr_retention_observe (retention, 0, TOTAL, free + rate);
  dvr_retention_observe (retention, SECOND, TOTAL, free);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, rate);
  g_assert_cmpuint (dvr_retention_get_free_bytes (retention), ==, free);
  return retention;
}

static void
test_retention_alarm_to_string (void)
{
  g_assert_cmpstr (dvr_retention_alarm_to_string (DVR_RETENTION_ALARM_NONE), ==, "none");
  g_assert_cmpstr (dvr_retention_alarm_to_string (DVR_RETENTION_ALARM_LOW), ==, "low");
  g_assert_cmpstr (dvr_retention_alarm_to_string (DVR_RETENTION_ALARM_EVIDENCE_FULL), ==,
                   "evidence-full");
  g_assert_cmpstr (dvr_retention_alarm_to_string (DVR_RETENTION_ALARM_GUARD), ==, "guard");
}

/* Nothing measured yet: no rate, no sweep, whatever is asked. */
static void
test_retention_unobserved (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();
  const guint64 sizes[] = { 10 * MIB };
  guint64 planned = 1;

  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 0);
  g_assert_cmpuint (dvr_retention_get_free_bytes (retention), ==, 0);
  g_assert_cmpuint (dvr_retention_get_total_bytes (retention), ==, 0);
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, MIN_FREE);
  g_assert_cmpuint (dvr_retention_get_floor_free (retention), ==, 16 * MIB);
  g_assert_false (dvr_retention_needs_sweep (retention));
  g_assert_cmpuint (dvr_retention_plan (retention, sizes, 1, &planned), ==, 0);
  g_assert_cmpuint (planned, ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
}

/* The rate is the largest fall per second, not the latest or the mean. */
static void
test_retention_rate_falling (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();

  dvr_retention_observe (retention, 0, TOTAL, 800 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 0);
  g_assert_cmpuint (dvr_retention_get_total_bytes (retention), ==, TOTAL);
  dvr_retention_observe (retention, 1 * SECOND, TOTAL, 790 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 10 * MIB);
  dvr_retention_observe (retention, 2 * SECOND, TOTAL, 785 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 10 * MIB);
  dvr_retention_observe (retention, 3 * SECOND, TOTAL, 765 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 20 * MIB);
  /* Over a second at least: 15 MiB in the last half second is measured
   * with the 20 MiB of the second before, 35 MiB in 1.5 s (rounded up). */
  dvr_retention_observe (retention, 3500 * MS, TOTAL, 750 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, (35 * MIB * 2 + 2) / 3);
  /* 4 MiB in 2 s is 2 MiB/s: the burst still rules. */
  dvr_retention_observe (retention, 5500 * MS, TOTAL, 746 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, (35 * MIB * 2 + 2) / 3);
  g_assert_cmpuint (dvr_retention_get_free_bytes (retention), ==, 746 * MIB);
}

/* Bytes per second are rounded up: 10 bytes in 3 s is 4 bytes/s. */
static void
test_retention_rate_rounding (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();

  dvr_retention_observe (retention, 0, TOTAL, 500 * MIB);
  dvr_retention_observe (retention, 3 * SECOND, TOTAL, 500 * MIB - 10);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 4);
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, MIN_FREE + 16);
}

/* Deletions between observations are not negative writing. */
static void
test_retention_rate_rises_ignored (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();

  dvr_retention_observe (retention, 0, TOTAL, 800 * MIB);
  dvr_retention_observe (retention, 1 * SECOND, TOTAL, 900 * MIB);
  dvr_retention_observe (retention, 2 * SECOND, TOTAL, 950 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 0);
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, MIN_FREE);

  dvr_retention_observe (retention, 3 * SECOND, TOTAL, 940 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 10 * MIB);
  /* A sweep freed 200 MiB: the rate neither drops nor goes negative. */
  dvr_retention_observe (retention, 4 * SECOND, TOTAL, 1000 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 10 * MIB);
  dvr_retention_observe (retention, 5 * SECOND, TOTAL, 996 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 10 * MIB);
}

/* A fall is remembered for ten seconds, then forgotten. */
static void
test_retention_rate_window (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();
  guint64 free = 750 * MIB;

  dvr_retention_observe (retention, 0, TOTAL, 800 * MIB);
  dvr_retention_observe (retention, 1 * SECOND, TOTAL, free);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 50 * MIB);
  for (gint64 t = 2; t <= 10; t++) {
    free -= MIB;
    dvr_retention_observe (retention, t * SECOND, TOTAL, free);
    /* The interval from 0 to 1 s still reaches into the last 10 s. */
    g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 50 * MIB);
  }
  free -= MIB;
  dvr_retention_observe (retention, 11 * SECOND, TOTAL, free);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 1 * MIB);
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, MIN_FREE + 4 * MIB);

  /* Nothing written for ten seconds: no rate at all. */
  for (gint64 t = 12; t <= 21; t++)
    dvr_retention_observe (retention, t * SECOND, TOTAL, free);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 0);
}

/* An observation that comes late still measures its long interval. */
static void
test_retention_rate_late_observation (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();

  dvr_retention_observe (retention, 0, TOTAL, 800 * MIB);
  dvr_retention_observe (retention, 15 * SECOND, TOTAL, 770 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 2 * MIB);
}

/* Many observations a second: the ring keeps the recent ones, and a
 * rate is never measured over less than a second. */
static void
test_retention_rate_frequent (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();

  for (gint64 i = 0; i <= 100; i++)
    dvr_retention_observe (retention, i * 100 * MS, TOTAL, 800 * MIB - (guint64) i * 100000);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 1000000);
  g_assert_cmpuint (dvr_retention_get_free_bytes (retention), ==, 800 * MIB - 10000000);
}

/* Two cameras closing segments a millisecond apart, each observed: one
 * frame written in a millisecond is not 200 MB/s.  (The daemon observes
 * after every segment; the first version divided by the gap.) */
static void
test_retention_rate_close_observations (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();
  guint64 free = 800 * MIB;

  /* 12 MB/s: 6 MB every 500 ms, and a 200 KB frame 1 ms after each. */
  dvr_retention_observe (retention, 0, TOTAL, free);
  for (gint64 t = 1; t <= 20; t++) {
    free -= 6000000;
    dvr_retention_observe (retention, t * 500 * MS, TOTAL, free);
    free -= 200000;
    dvr_retention_observe (retention, t * 500 * MS + MS, TOTAL, free);
  }
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), >=, 12400000);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), <=, 12600000);
}

/* Two observations at the same time make no interval; a new drive starts
 * afresh. */
static void
test_retention_rate_same_time_and_new_drive (void)
{
  g_autoptr(DvrRetention) retention = retention_at (10 * MIB, 500 * MIB);

  dvr_retention_observe (retention, SECOND, TOTAL, 400 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 10 * MIB);
  g_assert_cmpuint (dvr_retention_get_free_bytes (retention), ==, 400 * MIB);

  dvr_retention_observe (retention, 2 * SECOND, 2 * GIB, 1500 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 0);
  g_assert_cmpuint (dvr_retention_get_total_bytes (retention), ==, 2 * GIB);
  dvr_retention_observe (retention, 3 * SECOND, 2 * GIB, 1497 * MIB);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 3 * MIB);
}

/* Beyond any real drive the numbers saturate instead of wrapping. */
static void
test_retention_rate_saturates (void)
{
  g_autoptr(DvrRetention) retention = retention_new ();

  dvr_retention_observe (retention, 0, G_MAXUINT64, G_MAXUINT64);
  dvr_retention_observe (retention, 1, G_MAXUINT64, 0);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, G_MAXUINT64);
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, G_MAXUINT64);
  g_assert_cmpuint (dvr_retention_get_floor_free (retention), ==, G_MAXUINT64);
  g_assert_true (dvr_retention_needs_sweep (retention));
}

static void
test_retention_target_floor (void)
{
  g_autoptr(DvrRetention) retention = retention_at (10 * MIB, 140 * MIB);

  /* 100 MiB + 4 s * 10 MiB/s, and 16 MiB + the same. */
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, 140 * MIB);
  g_assert_cmpuint (dvr_retention_get_floor_free (retention), ==, 56 * MIB);
  /* Exactly at the target: no sweep. */
  g_assert_false (dvr_retention_needs_sweep (retention));
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);

  /* One byte under: a sweep, though still above the watermark. */
  dvr_retention_observe (retention, 2 * SECOND, TOTAL, 140 * MIB - 1);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 10 * MIB);
  g_assert_true (dvr_retention_needs_sweep (retention));
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
}

/* Oldest first, just enough to reach the target. */
static void
test_retention_plan_exact (void)
{
  g_autoptr(DvrRetention) retention = retention_at (10 * MIB, 120 * MIB);
  const guint64 eights[] = { 8 * MIB, 8 * MIB, 8 * MIB, 8 * MIB };
  const guint64 tens[] = { 10 * MIB, 10 * MIB, 10 * MIB };
  const guint64 odd[] = { 20 * MIB - 1, 1, 5 * MIB };
  guint64 planned = 0;

  /* Target 140 MiB: 20 MiB short. */
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, 140 * MIB);
  g_assert_true (dvr_retention_needs_sweep (retention));
  g_assert_cmpuint (dvr_retention_plan (retention, eights, G_N_ELEMENTS (eights), &planned), ==, 3);
  g_assert_cmpuint (planned, ==, 24 * MIB);
  /* Above the watermark, inside the headroom: no alarm. */
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);

  g_assert_cmpuint (dvr_retention_plan (retention, tens, G_N_ELEMENTS (tens), &planned), ==, 2);
  g_assert_cmpuint (planned, ==, 20 * MIB);
  g_assert_cmpuint (dvr_retention_plan (retention, odd, G_N_ELEMENTS (odd), &planned), ==, 2);
  g_assert_cmpuint (planned, ==, 20 * MIB);
  g_assert_cmpuint (dvr_retention_plan (retention, odd, G_N_ELEMENTS (odd), NULL), ==, 2);

  /* Fewer candidates than needed: all of them. */
  g_assert_cmpuint (dvr_retention_plan (retention, eights, 2, &planned), ==, 2);
  g_assert_cmpuint (planned, ==, 16 * MIB);
}

/* Under the watermark: LOW, and at least one segment however little is
 * missing. */
static void
test_retention_plan_low (void)
{
  g_autoptr(DvrRetention) retention = retention_at (0, 90 * MIB);
  const guint64 fours[] = { 4 * MIB, 4 * MIB, 4 * MIB, 4 * MIB };
  const guint64 big[] = { 50 * MIB, 50 * MIB };
  guint64 planned = 0;

  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_LOW);
  g_assert_cmpuint (dvr_retention_plan (retention, fours, G_N_ELEMENTS (fours), &planned), ==, 3);
  g_assert_cmpuint (planned, ==, 12 * MIB);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_LOW);

  dvr_retention_observe (retention, 2 * SECOND, TOTAL, MIN_FREE - 1);
  g_assert_cmpuint (dvr_retention_get_write_rate (retention), ==, 0);
  g_assert_cmpuint (dvr_retention_plan (retention, big, G_N_ELEMENTS (big), &planned), ==, 1);
  g_assert_cmpuint (planned, ==, 50 * MIB);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_LOW);

  /* Back at the watermark. */
  dvr_retention_observe (retention, 3 * SECOND, TOTAL, MIN_FREE);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
  g_assert_false (dvr_retention_needs_sweep (retention));
}

/* The guard (25% of 1 GiB) stops a sweep short, and says so. */
static void
test_retention_plan_guard (void)
{
  /* 100 MiB/s: target 500 MiB, 450 MiB short. */
  g_autoptr(DvrRetention) retention = retention_at (100 * MIB, 50 * MIB);
  const guint64 hundreds[] = { 100 * MIB, 100 * MIB, 100 * MIB, 100 * MIB, 100 * MIB };
  const guint64 quarters[] = { 128 * MIB, 128 * MIB, 128 * MIB };
  guint64 planned = 0;

  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, 500 * MIB);
  g_assert_cmpuint (dvr_retention_plan (retention, hundreds, G_N_ELEMENTS (hundreds), &planned),
                    ==, 2);
  g_assert_cmpuint (planned, ==, 200 * MIB);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_GUARD);

  /* Up to the guard exactly is allowed. */
  g_assert_cmpuint (dvr_retention_plan (retention, quarters, G_N_ELEMENTS (quarters), &planned),
                    ==, 2);
  g_assert_cmpuint (planned, ==, GUARD);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_GUARD);

  /* The guard stays while free space is under the watermark... */
  dvr_retention_observe (retention, 2 * SECOND, TOTAL, 60 * MIB);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_GUARD);
  /* ...until a plan that the guard does not stop... */
  g_assert_cmpuint (dvr_retention_plan (retention, hundreds, 2, &planned), ==, 2);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_LOW);
  g_assert_cmpuint (dvr_retention_plan (retention, quarters, G_N_ELEMENTS (quarters), &planned),
                    ==, 2);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_GUARD);
  /* ...or free space back at the watermark, though under the target. */
  dvr_retention_observe (retention, 3 * SECOND, TOTAL, 300 * MIB);
  g_assert_true (dvr_retention_needs_sweep (retention));
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
}

/* The guard in bytes is max_sweep_fraction of the drive, rounded down. */
static void
test_retention_plan_guard_fraction (void)
{
  DvrRetentionPolicy policy = { .min_free_bytes = 500000000, .max_sweep_fraction = 0.1 };
  g_autoptr(DvrRetention) retention = dvr_retention_new (&policy);
  const guint64 sizes[] = { 60000000, 40000000, 1 };
  guint64 planned = 0;

  dvr_retention_observe (retention, 0, 1000000000, 1000);
  g_assert_cmpuint (dvr_retention_plan (retention, sizes, G_N_ELEMENTS (sizes), &planned), ==, 2);
  g_assert_cmpuint (planned, ==, 100000000);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_GUARD);
}

/* The oldest segment alone is over the guard: nothing is planned (the order
 * is kept: no younger segment goes first). */
static void
test_retention_plan_oversize_segment (void)
{
  g_autoptr(DvrRetention) retention = retention_at (0, 99 * MIB);
  const guint64 sizes[] = { GUARD + 1, 1 * MIB };
  guint64 planned = 1;

  g_assert_true (dvr_retention_needs_sweep (retention));
  g_assert_cmpuint (dvr_retention_plan (retention, sizes, G_N_ELEMENTS (sizes), &planned), ==, 0);
  g_assert_cmpuint (planned, ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_GUARD);

  /* Exactly the guard is one segment. */
  {
    const guint64 at_guard[] = { GUARD, 1 * MIB };
    g_assert_cmpuint (dvr_retention_plan (retention, at_guard, G_N_ELEMENTS (at_guard), &planned),
                      ==, 1);
    g_assert_cmpuint (planned, ==, GUARD);
    g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_LOW);
  }
}

/* Evidence fills the drive: nothing to delete, EVIDENCE_FULL, and it stays
 * while the ring refills only with segments recorded since. */
static void
test_retention_evidence_full (void)
{
  g_autoptr(DvrRetention) retention = retention_at (1 * MIB, 80 * MIB);
  const guint64 one[] = { 10 * MIB };
  const guint64 enough[] = { 10 * MIB, 30 * MIB };
  guint64 planned = 1;

  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_LOW);
  g_assert_cmpuint (dvr_retention_plan (retention, NULL, 0, &planned), ==, 0);
  g_assert_cmpuint (planned, ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_EVIDENCE_FULL);

  /* Still under the watermark: observing does not clear it. */
  dvr_retention_observe (retention, 2 * SECOND, TOTAL, 79 * MIB);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_EVIDENCE_FULL);
  /* A new segment closed: deleted, and still short of the target. */
  g_assert_cmpuint (dvr_retention_plan (retention, one, G_N_ELEMENTS (one), &planned), ==, 1);
  g_assert_cmpuint (planned, ==, 10 * MIB);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_EVIDENCE_FULL);
  /* Enough to delete (evidence went): only LOW. */
  g_assert_cmpuint (dvr_retention_plan (retention, enough, G_N_ELEMENTS (enough), &planned), ==, 2);
  g_assert_cmpuint (planned, ==, 40 * MIB);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_LOW);
  g_assert_cmpuint (dvr_retention_plan (retention, NULL, 0, NULL), ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_EVIDENCE_FULL);

  /* Free space back at the watermark: no alarm. */
  dvr_retention_observe (retention, 3 * SECOND, TOTAL, MIN_FREE);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
  /* Inside the headroom with nothing to delete is not evidence-full. */
  g_assert_true (dvr_retention_needs_sweep (retention));
  g_assert_cmpuint (dvr_retention_plan (retention, NULL, 0, NULL), ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
}

/* Above the target nothing is planned, and any alarm clears. */
static void
test_retention_no_sweep (void)
{
  g_autoptr(DvrRetention) retention = retention_at (10 * MIB, 90 * MIB);
  const guint64 sizes[] = { 10 * MIB, 10 * MIB };
  guint64 planned = 1;

  g_assert_cmpuint (dvr_retention_plan (retention, NULL, 0, NULL), ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_EVIDENCE_FULL);

  dvr_retention_observe (retention, 2 * SECOND, TOTAL, 500 * MIB);
  g_assert_cmpuint (dvr_retention_get_target_free (retention), ==, 140 * MIB);
  g_assert_false (dvr_retention_needs_sweep (retention));
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
  g_assert_cmpuint (dvr_retention_plan (retention, sizes, G_N_ELEMENTS (sizes), &planned), ==, 0);
  g_assert_cmpuint (planned, ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_NONE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/retention/alarm-to-string", test_retention_alarm_to_string);
  g_test_add_func ("/retention/unobserved", test_retention_unobserved);
  g_test_add_func ("/retention/rate/falling", test_retention_rate_falling);
  g_test_add_func ("/retention/rate/rounding", test_retention_rate_rounding);
  g_test_add_func ("/retention/rate/rises-ignored", test_retention_rate_rises_ignored);
  g_test_add_func ("/retention/rate/window", test_retention_rate_window);
  g_test_add_func ("/retention/rate/late-observation", test_retention_rate_late_observation);
  g_test_add_func ("/retention/rate/frequent", test_retention_rate_frequent);
  g_test_add_func ("/retention/rate/close-observations", test_retention_rate_close_observations);
  g_test_add_func ("/retention/rate/same-time-new-drive",
                   test_retention_rate_same_time_and_new_drive);
  g_test_add_func ("/retention/rate/saturates", test_retention_rate_saturates);
  g_test_add_func ("/retention/target-floor", test_retention_target_floor);
  g_test_add_func ("/retention/plan/exact", test_retention_plan_exact);
  g_test_add_func ("/retention/plan/low", test_retention_plan_low);
  g_test_add_func ("/retention/plan/guard", test_retention_plan_guard);
  g_test_add_func ("/retention/plan/guard-fraction", test_retention_plan_guard_fraction);
  g_test_add_func ("/retention/plan/oversize-segment", test_retention_plan_oversize_segment);
  g_test_add_func ("/retention/plan/evidence-full", test_retention_evidence_full);
  g_test_add_func ("/retention/plan/no-sweep", test_retention_no_sweep);

  return g_test_run ();
}
