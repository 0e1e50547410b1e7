/* dvr-catalog: the SQLite catalog on the storage root.
 *
 * The catalog speaks nanoseconds and paths relative to the storage root,
 * never GstElements.  A DvrCatalog is a single connection and is used from
 * one thread only (the daemon's main loop); see docs/storage.md for the
 * invariants the callers keep.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "dvr-gps-fix.h"

G_BEGIN_DECLS

#define DVR_CATALOG_ERROR (dvr_catalog_error_quark ())
GQuark dvr_catalog_error_quark (void);

typedef enum {
  DVR_CATALOG_ERROR_FAILED,     /* SQLite said no; the message has its text */
  DVR_CATALOG_ERROR_TOO_NEW,    /* schema version newer than this build knows */
  DVR_CATALOG_ERROR_NOT_FOUND,
  DVR_CATALOG_ERROR_EXISTS,     /* e.g. a segment path already catalogued */
} DvrCatalogError;

/* Version the code writes; older files migrate forward on open. */
#define DVR_CATALOG_SCHEMA_VERSION 2

/* Where a segment's UTC times came from.  Vehicles often boot with a wrong
 * clock, so this is kept per segment. */
typedef enum {
  DVR_CLOCK_SOURCE_UNKNOWN,
  DVR_CLOCK_SOURCE_RTC,  /* system clock, not known to be synchronised */
  DVR_CLOCK_SOURCE_NTP,  /* system clock the kernel reports as synchronised */
  DVR_CLOCK_SOURCE_GPS,  /* disciplined by GPS time */
} DvrClockSource;

typedef enum {
  DVR_SEGMENT_STATE_COMPLETE,  /* closed by the muxer (EOS) */
  DVR_SEGMENT_STATE_PARTIAL,   /* pipeline failed mid-segment; kept what was written */
  DVR_SEGMENT_STATE_RECOVERED, /* found open at startup after a crash */
} DvrSegmentState;

typedef struct {
  gint64 id;             /* set by dvr_catalog_add_segment() */
  gchar *camera;
  gint64 run_id;
  guint seq;             /* 0-based number within the run and camera */
  gchar *path;           /* relative to the storage root */
  gint64 start_utc_ns;
  gint64 end_utc_ns;
  gint64 start_mono_ns;  /* CLOCK_MONOTONIC at the first frame */
  DvrClockSource clock_source;
  guint64 frames;
  guint64 bytes;
  gchar *sha256;         /* lowercase hex */
  DvrSegmentState state;
  gchar *codec;          /* "h264" or "jpeg" */
  gint64 clock_offset_ns; /* GPS time minus system clock around the segment
                           * (dvr_gps_get_clock_offset_ns()); G_MININT64 =
                           * unknown.  Schema 2; NULL in the file. */
} DvrSegment;

typedef struct {
  gint64 id;
  gchar *camera;
  gint64 run_id;
  gint64 start_utc_ns;
  gint64 end_utc_ns;     /* -1 while the gap is open */
  gchar *reason;
} DvrGap;

typedef struct {
  gint64 run_id;
  gchar *camera;
  guint64 frames_in;       /* frames the source produced */
  guint64 frames_recorded; /* frames in catalogued segments */
  guint restarts;
} DvrRunCamera;

/* An event on a digital input (lights bar, siren, door...), as the daemon
 * saw it change. */
typedef struct {
  gint64 id;
  gint64 utc_ns;
  gint64 mono_ns;        /* CLOCK_MONOTONIC; G_MININT64 = unknown */
  gchar *name;           /* e.g. "lights" */
  gboolean value;
  gchar *source;         /* what reported it, e.g. "control" */
} DvrSignalChange;

/* A zeroed segment whose clock_offset_ns is G_MININT64 (unknown): zero
 * would claim a known offset of 0.  Free with dvr_segment_free(). */
DvrSegment *dvr_segment_new (void);
DvrSegment *dvr_segment_copy (const DvrSegment *segment);
void dvr_segment_free (DvrSegment *segment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrSegment, dvr_segment_free)
void dvr_gap_free (DvrGap *gap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrGap, dvr_gap_free)
void dvr_run_camera_free (DvrRunCamera *run_camera);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrRunCamera, dvr_run_camera_free)
void dvr_signal_change_free (DvrSignalChange *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrSignalChange, dvr_signal_change_free)

const gchar *dvr_clock_source_to_string (DvrClockSource source);
DvrClockSource dvr_clock_source_from_string (const gchar *str);
const gchar *dvr_segment_state_to_string (DvrSegmentState state);
DvrSegmentState dvr_segment_state_from_string (const gchar *str);

typedef struct _DvrCatalog DvrCatalog;

/* Opens (creating if needed) the catalog at @path and migrates it forward to
 * DVR_CATALOG_SCHEMA_VERSION.  @read_only opens without creating or
 * migrating (workstation tools on a pulled drive): a file of schema 1 then
 * reads as if migrated (no GPS fixes or signal changes, offsets unknown), so
 * evidence from an older dvrd is read without writing to it. */
DvrCatalog *dvr_catalog_open (const gchar *path, gboolean read_only, GError **error);
void dvr_catalog_free (DvrCatalog *catalog);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrCatalog, dvr_catalog_free)

/* DVR_CATALOG_SCHEMA_VERSION, except for a file opened read-only, which
 * keeps its own (1 or more). */
gint dvr_catalog_get_schema_version (DvrCatalog *catalog);

/* Starts a run (one dvrd start).  The id returned is greater than every run
 * id the catalog has seen and than @min_run_id (the highest run id found in
 * file names on the storage), so segment names built from it are never
 * reused even when the clock went backwards.  Returns 0 on error. */
gint64 dvr_catalog_begin_run (DvrCatalog *catalog,
                              gint64 min_run_id,
                              gint64 start_utc_ns,
                              DvrClockSource clock_source,
                              GError **error);
/* Records run @run_id if the catalog does not have it, else changes nothing.
 * With synchronous=NORMAL a power loss can drop the last commits, among them
 * a run's row while its segment files survive: the startup sweep calls this
 * before cataloguing such orphans again, whose rows refer to the run. */
gboolean dvr_catalog_ensure_run (DvrCatalog *catalog,
                                 gint64 run_id,
                                 gint64 start_utc_ns,
                                 DvrClockSource clock_source,
                                 GError **error);
gboolean dvr_catalog_end_run (DvrCatalog *catalog, gint64 run_id, gint64 end_utc_ns, GError **error);

gboolean dvr_catalog_ensure_camera (DvrCatalog *catalog,
                                    const gchar *name,
                                    const gchar *source,
                                    GError **error);

/* Inserts @segment (its id is set on success).  The caller guarantees the
 * file is already durable (fdatasync'd, directory fsync'd). */
gboolean dvr_catalog_add_segment (DvrCatalog *catalog, DvrSegment *segment, GError **error);

/* Segments of @camera (NULL: all cameras) overlapping [from, to) in UTC ns,
 * ordered by camera then start time.  Returns element-type DvrSegment. */
GPtrArray *dvr_catalog_list_segments (DvrCatalog *catalog,
                                      const gchar *camera,
                                      gint64 from_utc_ns,
                                      gint64 to_utc_ns,
                                      GError **error);

/* Returns the new gap's id, 0 on error. */
gint64 dvr_catalog_open_gap (DvrCatalog *catalog,
                             const gchar *camera,
                             gint64 run_id,
                             gint64 start_utc_ns,
                             const gchar *reason,
                             GError **error);
gboolean dvr_catalog_close_gap (DvrCatalog *catalog, gint64 gap_id, gint64 end_utc_ns, GError **error);
/* element-type DvrGap, ordered by camera then start. */
GPtrArray *dvr_catalog_list_gaps (DvrCatalog *catalog, const gchar *camera, GError **error);

/* Insert or replace the per-run counters of one camera. */
gboolean dvr_catalog_set_run_camera (DvrCatalog *catalog, const DvrRunCamera *run_camera, GError **error);
/* element-type DvrRunCamera; @run_id 0 means every run. */
GPtrArray *dvr_catalog_list_run_cameras (DvrCatalog *catalog, gint64 run_id, GError **error);

gint64 dvr_catalog_get_last_run_id (DvrCatalog *catalog, GError **error);

/* Inserts @n_fixes fixes in one transaction: all or none.  The daemon
 * batches about a second of fixes per call, so that the main loop commits
 * once a second, not once a report.  NaN, -1 and G_MININT64 (see
 * dvr-gps-fix.h) are stored as NULL and read back as themselves; every other
 * double reads back bit for bit, but for -0.0, which comes back as 0.0
 * (SQLite keeps an integral REAL as an integer). */
gboolean dvr_catalog_add_gps_fixes (DvrCatalog *catalog,
                                    const DvrGpsFix *fixes,
                                    guint n_fixes,
                                    GError **error);
/* Fixes received in [from, to) (received_utc_ns: the system clock, which
 * every row has, unlike the GPS time), in the order received.  Returns a
 * new GArray of DvrGpsFix (empty for a schema-1 file opened read-only), or
 * NULL on error. */
GArray *dvr_catalog_list_gps_fixes (DvrCatalog *catalog,
                                    gint64 from_utc_ns,
                                    gint64 to_utc_ns,
                                    GError **error);

/* @mono_ns may be G_MININT64 (unknown). */
gboolean dvr_catalog_add_signal_change (DvrCatalog *catalog,
                                        const gchar *name,
                                        gboolean value,
                                        gint64 utc_ns,
                                        gint64 mono_ns,
                                        const gchar *source,
                                        GError **error);
/* Changes with utc_ns in [from, to), in time order.  Returns element-type
 * DvrSignalChange. */
GPtrArray *dvr_catalog_list_signal_changes (DvrCatalog *catalog,
                                            gint64 from_utc_ns,
                                            gint64 to_utc_ns,
                                            GError **error);

/* Copies WAL pages into the database and syncs it.  Disk-bound: the daemon
 * calls it from its storage thread on a second DvrCatalog of the same file. */
gboolean dvr_catalog_checkpoint (DvrCatalog *catalog, GError **error);

G_END_DECLS
