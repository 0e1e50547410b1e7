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
  DVR_CATALOG_ERROR_AUDIT_BROKEN, /* the audit chain does not verify */
} DvrCatalogError;

/* Version the code writes; older files migrate forward on open. */
#define DVR_CATALOG_SCHEMA_VERSION 4

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

/* ---- Events, evidence, retention and the audit log (schema 3) ----
 *
 * docs/events.md has the rules.  In short: an event has one window per
 * camera taking part, [from, to) in UTC ns, to = -1 while the event is
 * running.  A segment overlapping a window is evidence of that event: it is
 * linked when the window is opened or reopened (segments already
 * catalogued) and when the segment is added (dvr_catalog_add_segment(), in
 * the same transaction).  Rotation deletes only segments linked to no
 * event.  Every function below that changes an event, evidence or
 * retention appends its audit row in the same transaction as the change. */

typedef struct {
  gchar *camera;
  gint64 from_utc_ns;
  gint64 to_utc_ns;      /* -1 while the event runs */
  guint n_segments;      /* evidence segments (filled by get/list) */
  guint64 bytes;         /* their bytes (filled by get/list) */
} DvrEventWindow;

typedef struct {
  gint64 id;
  gint64 utc_ns;
  gchar *action;         /* "start-event", "record-while-active", "mark",
                          * "stop-event", "manual-start", "manual-stop",
                          * "manual-mark", "maximum-duration", ... */
  gchar *source;         /* e.g. "signal lightbar", "dvrctl" */
  gchar *detail;         /* free text, may be NULL */
} DvrEventTrigger;

typedef enum {
  DVR_EVENT_KIND_TRIGGER,        /* started by a vehicle signal */
  DVR_EVENT_KIND_MANUAL,         /* started by the officer (dvrctl, button) */
  DVR_EVENT_KIND_AFTER_THE_FACT, /* a past span turned into evidence */
} DvrEventKind;

const gchar *dvr_event_kind_to_string (DvrEventKind kind);
DvrEventKind dvr_event_kind_from_string (const gchar *str);

typedef struct {
  gint64 id;
  gint64 run_id;         /* dvrd run it started in */
  DvrEventKind kind;
  gint64 start_utc_ns;   /* first trigger (after the fact: --from) */
  gint64 end_utc_ns;     /* -1 while running */
  gchar *reason;         /* why it started: "signal lightbar", "dvrctl", TEXT */
  gchar *stop_reason;    /* NULL while running */
  gchar *category;       /* NULL until set */
  gchar *case_number;
  gchar *notes;
  GPtrArray *windows;    /* element-type DvrEventWindow, by camera name */
  GPtrArray *triggers;   /* element-type DvrEventTrigger, in time order */
} DvrEvent;

/* An event with empty windows and triggers arrays; free with
 * dvr_event_free(). */
DvrEvent *dvr_event_new (void);
void dvr_event_free (DvrEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrEvent, dvr_event_free)
DvrEventWindow *dvr_event_window_new (const gchar *camera, gint64 from_utc_ns, gint64 to_utc_ns);
void dvr_event_window_free (DvrEventWindow *window);
DvrEventTrigger *dvr_event_trigger_new (gint64 utc_ns, const gchar *action,
                                        const gchar *source, const gchar *detail);
void dvr_event_trigger_free (DvrEventTrigger *trigger);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrEventTrigger, dvr_event_trigger_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrEventWindow, dvr_event_window_free)

/* Inserts @event (kind, run_id, start, end (-1 for running), reason,
 * stop_reason, category...) with its windows and triggers, links every
 * catalogued segment overlapping a window, and audits "event-start" (or
 * "event-create" for AFTER_THE_FACT).  Sets event->id and returns TRUE.
 * Cameras must exist (dvr_catalog_ensure_camera()). */
gboolean dvr_catalog_add_event (DvrCatalog *catalog, DvrEvent *event, GError **error);
/* Appends a trigger (an extension, a mark) to event @event_id; audited as
 * "event-trigger". */
gboolean dvr_catalog_add_event_trigger (DvrCatalog *catalog,
                                        gint64 event_id,
                                        const DvrEventTrigger *trigger,
                                        GError **error);
/* Ends event @event_id at @end_utc_ns: each camera's window closes at the
 * time in @windows (element-type DvrEventWindow: camera and to_utc_ns; a
 * camera not listed keeps its window).  Audited as "event-stop" with
 * @stop_reason. */
gboolean dvr_catalog_end_event (DvrCatalog *catalog,
                                gint64 event_id,
                                gint64 end_utc_ns,
                                GPtrArray *windows,
                                const gchar *stop_reason,
                                GError **error);
/* An ended event runs again (a trigger in its post-event time): end and
 * every window's to become open again, and segments catalogued meanwhile
 * are linked.  Audited as "event-resume". */
gboolean dvr_catalog_resume_event (DvrCatalog *catalog, gint64 event_id, GError **error);
/* Sets category, case number and notes; NULL leaves a field as it is, "" 
 * clears it.  Audited as "event-update" with the old and new values. */
gboolean dvr_catalog_set_event_info (DvrCatalog *catalog,
                                     gint64 event_id,
                                     const gchar *category,
                                     const gchar *case_number,
                                     const gchar *notes,
                                     GError **error);
/* The event with windows (with segment counts and bytes) and triggers;
 * NULL with DVR_CATALOG_ERROR_NOT_FOUND if there is none. */
DvrEvent *dvr_catalog_get_event (DvrCatalog *catalog, gint64 event_id, GError **error);
/* Events overlapping [from, to) (a running one counts as reaching
 * G_MAXINT64), oldest first, complete as from get.  element-type DvrEvent. */
GPtrArray *dvr_catalog_list_events (DvrCatalog *catalog,
                                    gint64 from_utc_ns,
                                    gint64 to_utc_ns,
                                    GError **error);
/* Running events (end NULL), e.g. left by a dvrd that was killed.
 * element-type DvrEvent. */
GPtrArray *dvr_catalog_list_running_events (DvrCatalog *catalog, GError **error);
/* Evidence segments of @event_id, by camera then start.  element-type
 * DvrSegment. */
GPtrArray *dvr_catalog_list_event_segments (DvrCatalog *catalog, gint64 event_id, GError **error);

/* Ring segments (linked to no event), oldest first (by start time), at most
 * @limit.  element-type DvrSegment. */
GPtrArray *dvr_catalog_list_ring_segments (DvrCatalog *catalog, guint limit, GError **error);

typedef struct {
  guint64 ring_segments;
  guint64 ring_bytes;
  guint64 evidence_segments;
  guint64 evidence_bytes;
  guint64 garbage;         /* rows waiting for their file to go */
} DvrCatalogUsage;

gboolean dvr_catalog_get_usage (DvrCatalog *catalog, DvrCatalogUsage *usage, GError **error);

/* Step 1 of a deletion: in one transaction, each of @segment_ids that is
 * still a ring segment loses its row, gets a garbage row with @reason, and
 * an audit row "delete" (path, camera, times, bytes, sha256, reason).  Ids
 * that became evidence meanwhile (or are gone) are skipped.  Returns the
 * paths moved to garbage (element-type utf8), or NULL on error (then
 * nothing changed). */
GPtrArray *dvr_catalog_collect_garbage (DvrCatalog *catalog,
                                        const gint64 *segment_ids,
                                        guint n_segment_ids,
                                        const gchar *reason,
                                        GError **error);
/* Garbage rows whose file may still exist (e.g. after a crash): unlink
 * them, fsync their folders, then drop the rows.  element-type utf8. */
GPtrArray *dvr_catalog_list_garbage (DvrCatalog *catalog, GError **error);
/* Last step: @path's file is unlinked and its folder fsync'd. */
gboolean dvr_catalog_drop_garbage (DvrCatalog *catalog, const gchar *path, GError **error);

/* The audit log: append-only, each row holds the SHA-256 of the row before,
 * so that a changed, inserted or removed row breaks the chain from there on.
 * (A removal of the newest rows is not visible from the table alone; issue
 * 7's signed exports carry the head.) */
typedef struct {
  gint64 id;
  gint64 utc_ns;
  gchar *action;   /* "event-start", "delete", "config", "startup", ... */
  gchar *detail;   /* JSON object as text */
  gchar *prev_hash;
  gchar *hash;     /* lowercase hex SHA-256 */
} DvrAuditEntry;

void dvr_audit_entry_free (DvrAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrAuditEntry, dvr_audit_entry_free)

/* Appends a row in its own transaction (for things the catalog does not do
 * itself: startup, configuration changes, recovery).  @detail: a JSON
 * object as text. */
gboolean dvr_catalog_audit (DvrCatalog *catalog,
                            gint64 utc_ns,
                            const gchar *action,
                            const gchar *detail,
                            GError **error);
/* Rows with id > @after_id in order, at most @limit (0: all).
 * element-type DvrAuditEntry. */
GPtrArray *dvr_catalog_list_audit (DvrCatalog *catalog, gint64 after_id, guint limit, GError **error);
/* The newest row of @action (NULL: of any action), or NULL (with @error
 * unset) if there is none. */
DvrAuditEntry *dvr_catalog_get_last_audit (DvrCatalog *catalog, const gchar *action,
                                           GError **error);
/* The hash of the newest row, or the genesis (64 zeros) for an empty log. */
gchar *dvr_catalog_get_audit_head (DvrCatalog *catalog, GError **error);

/* Walks the chain.  TRUE with *@n_rows when every row is intact.  FALSE
 * with DVR_CATALOG_ERROR_AUDIT_BROKEN and *@first_bad_id when a row's hash
 * does not match its contents or its prev_hash does not match the row
 * before (a row removed or inserted); the message names the row and what
 * is wrong.  Other errors: FALSE with *@first_bad_id 0. */
gboolean dvr_catalog_verify_audit (DvrCatalog *catalog,
                                   guint64 *n_rows,
                                   gint64 *first_bad_id,
                                   GError **error);
/* The problem in such a message without its "audit row N (action): "
 * prefix, "action: problem", for tools that name the row themselves
 * (@row: N as text); the whole message when it is not of that form. */
gchar *dvr_catalog_audit_problem (const gchar *message, const gchar *row);

/* The hash a row with these fields must have (lowercase hex SHA-256, as
 * the chain computes it), for tools that check rows copied out of the
 * catalog, e.g. an export's audit excerpt. */
gchar *dvr_audit_compute_hash (const gchar *prev_hash, gint64 id, gint64 utc_ns,
                               const gchar *action, const gchar *detail);

/* Rows about one event or span, for an export's excerpt, in id order: those
 * with utc_ns in [@from_utc_ns, @to_utc_ns), those whose detail names
 * @event_id (its "event" member, or an "events" array holding it; 0: none)
 * and those whose detail's "path" is one of @paths (NULL-terminated; may be
 * NULL).  Empty before schema 3.  element-type DvrAuditEntry. */
GPtrArray *dvr_catalog_list_audit_about (DvrCatalog *catalog,
                                         gint64 event_id,
                                         gint64 from_utc_ns,
                                         gint64 to_utc_ns,
                                         const gchar * const *paths,
                                         GError **error);

/* ---- Exports and reclaiming exported evidence (schema 4) ----
 *
 * An export is an evidence package made by dvr-export (docs/tools.md) and
 * recorded here by `dvr-export --mark-exported` once its signature and
 * files were checked against this drive.  With `[retention]
 * reclaim-exported = true` dvrd may then delete evidence segments that are
 * safe on an export: see dvr_catalog_list_reclaimable_segments(). */

typedef struct {
  gint64 id;               /* set by dvr_catalog_mark_exported() */
  gint64 utc_ns;           /* when it was recorded here (set by mark) */
  gint64 created_utc_ns;   /* when the package was made (its manifest's "created") */
  gint64 event_id;         /* the event exported, 0 for a span */
  gint64 from_utc_ns;      /* the whole span (union of the cameras') */
  gint64 to_utc_ns;
  GPtrArray *cameras;      /* element-type DvrEventWindow: each camera's span
                            * [from, to) (n_segments, bytes unused) */
  GPtrArray *segments;     /* element-type DvrSegment: the source segments in
                            * the package (path, sha256; bytes, camera when
                            * read back) */
  gchar *destination;      /* where the technician said it went */
  gchar *manifest_sha256;  /* lowercase hex SHA-256 of manifest.json */
  gchar *key_fingerprint;  /* "SHA256:..." of the key that signed it */
} DvrExport;

/* Empty cameras and segments arrays; free with dvr_export_free(). */
DvrExport *dvr_export_new (void);
void dvr_export_free (DvrExport *export);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrExport, dvr_export_free)

/* TRUE when @export holds the whole of @event: the event has ended, has at
 * least one window, and each window [from, to) of it lies inside the span
 * @export has for that camera (whichever event, if any, the export was
 * made for).  The test dvr_catalog_list_reclaimable_segments() makes. */
gboolean dvr_export_covers_event (const DvrExport *export, const DvrEvent *event);

/* Records @export (event_id, created_utc_ns, cameras, segments,
 * destination, manifest_sha256, key_fingerprint) with an audit row
 * "export" (event or span, cameras, segment count, manifest hash, key,
 * destination), in one transaction; sets export->id and export->utc_ns.
 * Refused, changing nothing: an unknown event or camera, a segment path
 * the catalog does not have or has with another SHA-256 (NOT_FOUND), a
 * manifest already recorded (EXISTS, naming the export), a catalog before
 * schema 4 (only a read-only open leaves one). */
gboolean dvr_catalog_mark_exported (DvrCatalog *catalog, DvrExport *export, GError **error);
/* Every export, oldest first, with cameras and segments.  Empty before
 * schema 4.  element-type DvrExport. */
GPtrArray *dvr_catalog_list_exports (DvrCatalog *catalog, GError **error);

/* Evidence segments that may be deleted to make room, oldest first (by
 * start), at most @limit: each is in an export (its path and SHA-256 are
 * in export_segments) and every event it is evidence of has ended and is
 * covered by an export (dvr_export_covers_event()).  A segment of a
 * running event, of an event exported only in part (a camera, part of a
 * window) or of a second event nobody exported is never listed.
 * element-type DvrSegment. */
GPtrArray *dvr_catalog_list_reclaimable_segments (DvrCatalog *catalog,
                                                  guint limit,
                                                  GError **error);
/* Step 1 of deleting reclaimable segments (then as for rotation: the
 * storage thread unlinks the files, dvr_catalog_drop_garbage()): in one
 * transaction, each of @segment_ids that is still reclaimable loses its
 * evidence links and its row, gets a garbage row with reason "exported",
 * and an audit row "delete" (path, camera, times, bytes, frames, sha256,
 * reason "exported", "events" it was evidence of, "exports" holding it).
 * Others (no longer reclaimable, gone) are skipped.  Returns the paths
 * moved to garbage (element-type utf8), or NULL on error (then nothing
 * changed).  Main loop of dvrd, like dvr_catalog_collect_garbage(). */
GPtrArray *dvr_catalog_reclaim_exported (DvrCatalog *catalog,
                                         const gint64 *segment_ids,
                                         guint n_segment_ids,
                                         GError **error);

G_END_DECLS

/* ---- Startup recovery (issue 8, src/dvr-recovery.c) ---- */

/* Every segment's path (relative to the root) mapped to its bytes (a
 * guint64 *), for checking the catalog against the files in one query.
 * Returns a new table (keys and values owned by it), NULL on error. */
GHashTable *dvr_catalog_list_segment_sizes (DvrCatalog *catalog, GError **error);
/* Step 1 of deleting a file that has no segment row (an empty file left
 * by a crash): in one transaction a garbage row with @reason and an audit
 * row "delete" (path, bytes, sha256 (may be NULL), reason).  The caller
 * then unlinks it, fsyncs its folder and drops the garbage row. */
gboolean dvr_catalog_add_garbage_file (DvrCatalog *catalog,
                                       const gchar *path,
                                       guint64 bytes,
                                       const gchar *sha256,
                                       const gchar *reason,
                                       GError **error);
/* The "key" member of the detail of every audit row of @action (rows
 * without one are left out), as a set (keys owned by the table), so that a
 * finding made at every start is audited once.  NULL on error. */
GHashTable *dvr_catalog_list_audit_keys (DvrCatalog *catalog, const gchar *action, GError **error);
