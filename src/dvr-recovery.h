/* dvr-recovery: the startup sweep of a storage root after a kill or a
 * power loss (docs/storage.md, "Recovery at startup").
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "dvr-catalog.h"

G_BEGIN_DECLS

/* The folder (under the root) damaged files are moved to. */
#define DVR_RECOVERY_QUARANTINE_FOLDER "recovery"

typedef struct {
  guint recovered;            /* orphan segments catalogued as 'recovered' */
  guint64 recovered_frames;   /* their frames */
  gint64 recovered_ns;        /* their playing time */
  guint empty_removed;        /* 0-byte files deleted (garbage steps) */
  guint quarantined;          /* non-empty files with no frame, moved to recovery/ */
  guint missing;              /* rows whose file is gone */
  guint size_mismatches;      /* rows whose file has another size */
  guint failures;             /* files left as they were after an error (logged) */
  gint64 elapsed_ns;
} DvrRecoverySummary;

/* Sweeps @root (the storage root, e.g. /proc/self/fd/N) against @catalog
 * once: catalogues segment files that have neither a segment nor a
 * garbage row (kept as they are, never rewritten), deletes the empty
 * ones, quarantines the non-empty ones without a playable frame, and
 * reports rows whose file is missing or has another size (rows are never
 * deleted).  Logs one summary line (g_message) and, when it changed or
 * found something new, appends an audit row "recovery".  A file that
 * cannot be handled is logged and counted in @summary->failures; FALSE
 * only when the catalog or the root cannot be read.  Disk-bound: call it
 * at startup, before the run begins (main thread, nothing recording). */
gboolean dvr_recovery_run (const gchar *root,
                           DvrCatalog *catalog,
                           DvrRecoverySummary *summary,
                           GError **error);

/* The summary line as logged, e.g. "recovery: 2 segments recovered (57
 * frames, 1.9 s), 1 empty file removed, ...".  Free with g_free(). */
gchar *dvr_recovery_summary_to_string (const DvrRecoverySummary *summary);

G_END_DECLS
