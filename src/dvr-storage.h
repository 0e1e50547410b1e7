/* dvr-storage: the layout of the storage root and the durable hand-over of
 * closed segment files.
 *
 * Layout (docs/storage.md):
 *   ROOT/catalog.sqlite3
 *   ROOT/CAMERA/YYYY-MM-DD/CAMERA-YYYYMMDDTHHMMSS.mmmZ-rRUN-SEQ.mkv
 * RUN is the catalog's run id, which only grows, so a name is never reused
 * even when the wall clock goes backwards between boots.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "dvr-media.h"

G_BEGIN_DECLS

#define DVR_STORAGE_CATALOG_NAME "catalog.sqlite3"
#define DVR_STORAGE_SEGMENT_SUFFIX ".mkv"

typedef struct _DvrStorage DvrStorage;

/* @root must be an existing, writable folder.  Starts the storage thread. */
DvrStorage *dvr_storage_new (const gchar *root, GError **error);
/* Waits for every queued finalization to finish (their callbacks are
 * dispatched on the main context later, or dropped if it is not iterated). */
void dvr_storage_free (DvrStorage *storage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrStorage, dvr_storage_free)

const gchar *dvr_storage_get_root (DvrStorage *storage);
gchar *dvr_storage_get_catalog_path (DvrStorage *storage);

/* fdatasyncs the catalog under @root: its -wal file, or the database file
 * when there is none.  The catalog commits with synchronous=NORMAL, so a
 * commit is durable only at the next sync of its WAL; call this between a
 * commit that records a deletion (garbage and audit rows) and the unlink or
 * rename it allows, so that a power loss never keeps the unlink but drops
 * its rows. */
gboolean dvr_storage_sync_catalog_file (const gchar *root, GError **error);

/* Pure string work, safe on any thread: the path of a new segment relative
 * to the root. */
gchar *dvr_storage_build_segment_path (const gchar *camera,
                                       gint64 start_utc_ns,
                                       gint64 run_id,
                                       guint seq);
/* Parses the run id and sequence number out of a segment file name (a
 * basename or a path).  FALSE if it is not one of ours. */
gboolean dvr_storage_parse_segment_name (const gchar *name, gint64 *run_id, guint *seq);

/* Walks every camera folder and returns the highest run id in a segment file
 * name (0 if none), so that a catalog lost or replaced never leads to a
 * name being reused.  Disk-bound: call it at startup, before recording. */
gint64 dvr_storage_scan_max_run_id (DvrStorage *storage, GError **error);

/* Makes ROOT/CAMERA/DAY for the UTC day of @utc_ns and the day after, so
 * that streaming threads never create folders.  Main loop, cheap once the
 * folders exist (one stat each). */
gboolean dvr_storage_ensure_day_folders (DvrStorage *storage,
                                         const gchar *camera,
                                         gint64 utc_ns,
                                         GError **error);

/* Result of making one closed segment durable. */
typedef void (*DvrStorageFinalizeFunc) (const gchar *relpath,
                                        const gchar *sha256,
                                        guint64 bytes,
                                        const DvrMediaInfo *media,
                                        const GError *error,
                                        gpointer user_data);

/* Queues @relpath for the storage thread: SHA-256 over the file, fdatasync,
 * fsync of its folder, then the after-finalize hook.  With @probe, the file
 * is also demuxed to count its frames (for a segment the muxer did not
 * close, whose in-memory counters may include frames never written); the
 * callback then gets @media, else NULL.  @func is called on the main
 * context that created @storage.  Finalizations run one at a time, in the
 * order queued. */
void dvr_storage_finalize_async (DvrStorage *storage,
                                 const gchar *relpath,
                                 gboolean probe,
                                 DvrStorageFinalizeFunc func,
                                 gpointer user_data);

/* Called on the storage thread after each finalization (the daemon
 * checkpoints the catalog there, off the main loop). */
typedef void (*DvrStorageIdleFunc) (gpointer user_data);
void dvr_storage_set_after_finalize (DvrStorage *storage,
                                     DvrStorageIdleFunc func,
                                     gpointer user_data);

/* Deletion (the unlink step of docs/events.md's garbage): unlinks each of
 * @relpaths (element-type utf8, relative to the root; a file already gone
 * counts as deleted; anything absolute or with ".." is refused), then
 * fsyncs each folder touched once.  Returns the relpaths that are gone for
 * good (unlinked and their folder synced), whose garbage rows may now be
 * dropped; @error holds the first failure, if any, even when some were
 * deleted.  Disk-bound: at startup, or on the storage thread through
 * dvr_storage_delete_async(). */
GPtrArray *dvr_storage_delete (DvrStorage *storage, GPtrArray *relpaths, GError **error);

/* @deleted: element-type utf8, borrowed; @error: the first failure or NULL. */
typedef void (*DvrStorageDeleteFunc) (GPtrArray *deleted,
                                      const GError *error,
                                      gpointer user_data);
/* dvr_storage_delete() on the storage thread, in order with the
 * finalizations; @func runs on the main context that created @storage. */
void dvr_storage_delete_async (DvrStorage *storage,
                               GPtrArray *relpaths,
                               DvrStorageDeleteFunc func,
                               gpointer user_data);

/* Runs the after-finalize hook (the daemon's catalog checkpoint) on the
 * storage thread soon, without a segment: rows that are not about a file
 * (an event, its evidence links) are then durable too, not only once the
 * next segment is finalized.  Requests made while one is queued are one. */
void dvr_storage_request_checkpoint (DvrStorage *storage);

/* Bounded loss at a power loss: fdatasyncs each of @relpaths (the
 * segments the muxers are writing; element-type utf8, relative to the
 * root), and fsyncs its folder the first time, on a thread of its own so
 * that a long finalization does not delay it.  A call while the previous
 * one still runs is dropped.  Main loop, once a second. */
void dvr_storage_sync_open (DvrStorage *storage, GPtrArray *relpaths);

G_END_DECLS
