/* dvr-catalog-merge: moving what was recorded into the internal fallback
 * folder onto the drive when a drive comes back (docs/drive.md).
 *
 * Every step is idempotent, so a crash or a drive pulled half-way leaves
 * nothing lost and the next attempt finishes the job:
 *   1. events: each fallback event is found on the drive by its start and
 *      kind (dvrd carries a running event across a drive change with its
 *      start), else inserted; windows become their union, triggers the
 *      union of both sets;
 *   2. per segment: the file is copied, synced and hashed by the caller,
 *      then dvr_catalog_import_segment() on the drive (linked to the merged
 *      windows), then dvr_catalog_forget_migrated_segment() on the fallback;
 *   3. GPS fixes and signal changes: dvr_catalog_move_rows().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dvr-catalog.h"

G_BEGIN_DECLS

/* Step 1: every event of @src into @dest (audited there as "event-migrate"
 * with the source's id).  @n_events: how many were inserted or changed. */
gboolean dvr_catalog_merge_events (DvrCatalog *dest,
                                   DvrCatalog *src,
                                   const gchar *src_uuid,
                                   guint *n_events,
                                   GError **error);

/* Step 2, destination side: inserts @segment (path, hashes, times, frames)
 * into @dest under run @run_id, linked to the windows it overlaps, with an
 * audit row "migrate-in".  TRUE also when the same path is already there
 * with the same SHA-256 (a previous attempt got this far); a different
 * SHA-256 there is DVR_CATALOG_ERROR_EXISTS. */
gboolean dvr_catalog_import_segment (DvrCatalog *dest,
                                     const DvrSegment *segment,
                                     gint64 run_id,
                                     const gchar *src_uuid,
                                     GError **error);

/* Step 2, source side: the segment's evidence links and row go, a garbage
 * row (reason "migrated") and an audit row "migrate-out" (path, SHA-256,
 * destination drive) come, in one transaction.  The caller then unlinks the
 * file and drops the garbage row, as for rotation. */
gboolean dvr_catalog_forget_migrated_segment (DvrCatalog *src,
                                              gint64 segment_id,
                                              const gchar *dest_uuid,
                                              GError **error);

/* After a migration without failures: the fallback's ended events that
 * no longer have evidence there (all of it moved) go, with an audit row
 * "event-migrate-out", so that a different drive inserted later does not
 * get them too. */
gboolean dvr_catalog_forget_migrated_events (DvrCatalog *src,
                                             const gchar *dest_uuid,
                                             guint *n_events,
                                             GError **error);

/* Step 3: GPS fixes, signal changes and closed gaps (filed under run
 * @run_id of @dest) of the catalog file @src_path are copied into @dest
 * and deleted from it, in one transaction over both files (SQLite makes
 * each side atomic, not the pair in WAL mode: a crash between the two
 * commits may leave duplicates, never a loss). */
gboolean dvr_catalog_move_rows (DvrCatalog *dest,
                                const gchar *src_path,
                                gint64 run_id,
                                guint *n_fixes,
                                guint *n_changes,
                                GError **error);

G_END_DECLS
