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

G_END_DECLS
