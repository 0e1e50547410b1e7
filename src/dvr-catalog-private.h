/* dvr-catalog-private: the connection's state, for the catalog's own
 * source files (dvr-catalog.c, dvr-catalog-merge.c).  Nothing else includes
 * this.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <sqlite3.h>

#include "dvr-catalog.h"

G_BEGIN_DECLS

struct _DvrCatalog {
  sqlite3 *db;
  gchar *path;
  gboolean read_only;
  gint schema_version;

  /* The longest segment (end - start), so that "overlaps [from, to)" can
   * bound the start from below and use the (camera, start) index instead
   * of reading every older row: -1 until first needed.  Only this
   * connection adds segments (the daemon's), so it stays exact. */
  gint64 max_span_ns;
  /* Every segment's count and bytes, for dvr_catalog_get_usage() without a
   * scan per status request: loaded at first use, then kept by this
   * connection's inserts and deletions (after their commits). */
  gboolean totals_known;
  guint64 total_segments;
  guint64 total_bytes;
};

/* Shared with dvr-catalog-merge.c (defined in dvr-catalog.c). */
gboolean catalog_fail (DvrCatalog *self, GError **error, const gchar *format, ...)
    G_GNUC_PRINTF (3, 4);
gboolean catalog_prepare (DvrCatalog *self, const gchar *sql, sqlite3_stmt **stmt);
void catalog_rollback (DvrCatalog *self);
gboolean catalog_begin (DvrCatalog *self, const gchar *what, GError **error);
gboolean catalog_commit (DvrCatalog *self, const gchar *what, GError **error);
/* Inside a transaction: appends one audit row to the chain. */
gboolean catalog_audit_append (DvrCatalog *self, gint64 utc_ns, const gchar *action,
                               const gchar *detail, GError **error);
gboolean catalog_step_done (sqlite3_stmt *stmt);
/* Inside a transaction: the row; the evidence links of one segment or of
 * every window of one event. */
gboolean catalog_insert_segment (DvrCatalog *catalog, DvrSegment *segment, GError **error);
gboolean catalog_link_segment (DvrCatalog *self, const DvrSegment *segment, GError **error);
gboolean catalog_link_event (DvrCatalog *self, gint64 event_id, GError **error);
/* After a commit: the connection's cached longest span and totals. */
void catalog_note_segment_added (DvrCatalog *self, const DvrSegment *segment);
void catalog_note_segments_removed (DvrCatalog *self, guint n, guint64 bytes);

G_END_DECLS
