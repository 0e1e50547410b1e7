/* dvr-catalog: the SQLite catalog on the storage root.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "dvr-catalog"

#include "dvr-catalog.h"
#include "dvr-catalog-private.h"
#include "dvr-utils.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_DEFINE_QUARK (dvr-catalog-error-quark, dvr_catalog_error)

/* A commit on the main loop may wait this long for another connection's
 * write lock.  In WAL mode readers and PASSIVE checkpoints never take it, so
 * in practice only a concurrent open (migration) or an operator's sqlite3
 * shell ever makes us wait. */
#define CATALOG_BUSY_TIMEOUT_MS 5000

static gint64 catalog_get_max_span (DvrCatalog *self);

/* Schema version 1.  Enums are stored as their strings so that the file reads
 * the same in the sqlite3 shell on a workstation.  clock_source has no CHECK:
 * SQLite cannot change a CHECK without rebuilding the table, and a new source
 * must not need one; unknown strings read back as DVR_CLOCK_SOURCE_UNKNOWN.
 * gaps have no end >= start CHECK because a gap may be closed after the clock
 * was corrected backwards (RTC at boot, then GPS); we record what we saw.
 * The script sets user_version itself so that the tables and the version
 * that describes them always commit together. */
static const gchar catalog_schema_v1[] =
  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  start_utc_ns INTEGER NOT NULL,"
  "  end_utc_ns INTEGER,"
  "  clock_source TEXT NOT NULL"
  ");"
  "CREATE TABLE cameras ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  source TEXT NOT NULL"
  ");"
  "CREATE TABLE segments ("
  "  id INTEGER PRIMARY KEY,"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  seq INTEGER NOT NULL,"
  "  path TEXT NOT NULL UNIQUE,"
  "  start_utc_ns INTEGER NOT NULL,"
  "  end_utc_ns INTEGER NOT NULL,"
  "  start_mono_ns INTEGER NOT NULL,"
  "  clock_source TEXT NOT NULL,"
  "  frames INTEGER NOT NULL CHECK (frames >= 0),"
  "  bytes INTEGER NOT NULL CHECK (bytes >= 0),"
  "  sha256 TEXT NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('complete', 'partial', 'recovered')),"
  "  codec TEXT NOT NULL,"
  "  CHECK (end_utc_ns >= start_utc_ns)"
  ");"
  "CREATE INDEX segments_camera_start ON segments (camera_id, start_utc_ns);"
  "CREATE INDEX segments_start ON segments (start_utc_ns);"
  "CREATE TABLE gaps ("
  "  id INTEGER PRIMARY KEY,"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  start_utc_ns INTEGER NOT NULL,"
  "  end_utc_ns INTEGER,"
  "  reason TEXT NOT NULL"
  ");"
  "CREATE INDEX gaps_camera_start ON gaps (camera_id, start_utc_ns);"
  "CREATE TABLE run_cameras ("
  "  run_id INTEGER NOT NULL REFERENCES runs (id),"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  frames_in INTEGER NOT NULL CHECK (frames_in >= 0),"
  "  frames_recorded INTEGER NOT NULL CHECK (frames_recorded >= 0),"
  "  restarts INTEGER NOT NULL CHECK (restarts >= 0),"
  "  PRIMARY KEY (run_id, camera_id)"
  ");"
  "PRAGMA user_version = 1;";

/* Schema version 2: GPS fixes, input signal changes, each segment's clock
 * offset.  Unknown values are NULL (dvr-gps-fix.h has the C side: NaN, -1,
 * G_MININT64).  A fix keeps both of its times: received_utc_ns, the system
 * clock, which every row has and which lines fixes up with segments, and
 * time_ns, the receiver's, NULL without one.  No reference to runs: a fix
 * belongs to the vehicle's track, not to a dvrd start.  The CHECKs hold only
 * what dvr-gps guarantees (it drops a receiver's odd values first), so a
 * batch of fixes never fails on bad data, only on a bug.  ADD COLUMN of a
 * nullable column without default does not rewrite the table: migrating a
 * large catalog takes no time. */
static const gchar catalog_schema_v2[] =
  "ALTER TABLE segments ADD COLUMN clock_offset_ns INTEGER;"
  "CREATE TABLE gps_fixes ("
  "  id INTEGER PRIMARY KEY,"
  "  time_ns INTEGER,"
  "  received_utc_ns INTEGER NOT NULL,"
  "  received_mono_ns INTEGER,"
  "  mode INTEGER NOT NULL CHECK (mode BETWEEN 0 AND 3),"
  "  lat REAL,"
  "  lon REAL,"
  "  alt_hae REAL,"
  "  alt_msl REAL,"
  "  speed REAL,"
  "  track REAL,"
  "  climb REAL,"
  "  eph REAL,"
  "  epv REAL,"
  "  eps REAL,"
  "  sats_used INTEGER CHECK (sats_used >= 0),"
  "  sats_visible INTEGER CHECK (sats_visible >= 0)"
  ");"
  "CREATE INDEX gps_fixes_received ON gps_fixes (received_utc_ns);"
  "CREATE INDEX gps_fixes_time ON gps_fixes (time_ns);"
  "CREATE TABLE signal_changes ("
  "  id INTEGER PRIMARY KEY,"
  "  utc_ns INTEGER NOT NULL,"
  "  mono_ns INTEGER,"
  "  name TEXT NOT NULL,"
  "  value INTEGER NOT NULL CHECK (value IN (0, 1)),"
  "  source TEXT NOT NULL"
  ");"
  "CREATE INDEX signal_changes_utc ON signal_changes (utc_ns);"
  "PRAGMA user_version = 2;";

/* Schema version 3: events, evidence, garbage and the audit log
 * (docs/events.md).  An event has one window per camera taking part, to
 * NULL while it runs; `evidence` links segments to the events whose windows
 * they overlap.  Its foreign key keeps an evidence segment's row from being
 * deleted while foreign_keys is on (every connection of ours sets it).
 * Deletion goes through `garbage` (row gone, garbage row, file unlinked,
 * folder fsync'd, garbage row dropped).  The audit log is a hash chain
 * (catalog_audit_append()); the triggers refuse UPDATE and DELETE on it so
 * that no code path of ours can rewrite history, and a tool that does so
 * on purpose must drop them first, which the chain then shows. */
static const gchar catalog_schema_v3[] =
  "CREATE TABLE events ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER REFERENCES runs (id),"
  "  kind TEXT NOT NULL,"
  "  start_utc_ns INTEGER NOT NULL,"
  "  end_utc_ns INTEGER,"
  "  reason TEXT NOT NULL,"
  "  stop_reason TEXT,"
  "  category TEXT,"
  "  case_number TEXT,"
  "  notes TEXT"
  ");"
  "CREATE INDEX events_start ON events (start_utc_ns);"
  "CREATE TABLE event_triggers ("
  "  id INTEGER PRIMARY KEY,"
  "  event_id INTEGER NOT NULL REFERENCES events (id),"
  "  utc_ns INTEGER NOT NULL,"
  "  action TEXT NOT NULL,"
  "  source TEXT NOT NULL,"
  "  detail TEXT"
  ");"
  "CREATE INDEX event_triggers_event ON event_triggers (event_id, utc_ns);"
  "CREATE TABLE event_windows ("
  "  event_id INTEGER NOT NULL REFERENCES events (id),"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  from_utc_ns INTEGER NOT NULL,"
  "  to_utc_ns INTEGER,"
  "  PRIMARY KEY (event_id, camera_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX event_windows_camera ON event_windows (camera_id, from_utc_ns);"
  "CREATE TABLE evidence ("
  "  segment_id INTEGER NOT NULL REFERENCES segments (id),"
  "  event_id INTEGER NOT NULL REFERENCES events (id),"
  "  PRIMARY KEY (segment_id, event_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX evidence_event ON evidence (event_id);"
  "CREATE TABLE garbage ("
  "  id INTEGER PRIMARY KEY,"
  "  path TEXT NOT NULL UNIQUE,"
  "  reason TEXT NOT NULL,"
  "  utc_ns INTEGER NOT NULL"
  ");"
  "CREATE TABLE audit ("
  "  id INTEGER PRIMARY KEY,"
  "  utc_ns INTEGER NOT NULL,"
  "  action TEXT NOT NULL,"
  "  detail TEXT NOT NULL,"
  "  prev_hash TEXT NOT NULL,"
  "  hash TEXT NOT NULL"
  ");"
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
  "PRAGMA user_version = 3;";

/* Schema version 4: exports (docs/tools.md).  A row per evidence package
 * recorded with `dvr-export --mark-exported`, after its signature and every
 * file's hash were checked against this drive.  `export_cameras` holds the
 * span each camera's file covers (an event's windows differ per camera, so
 * one span for the export would claim too much); `export_segments` the
 * source segments the package was made from, by path (names are never
 * reused, docs/storage.md) and SHA-256, without a foreign key: the record
 * outlives the segment when its row is reclaimed.  Only a segment listed
 * there can be reclaimed, so footage catalogued after the export (a salvaged
 * orphan, the next run's first seconds joining the event) never is.  One row
 * per manifest: marking the same package twice is refused. */
static const gchar catalog_schema_v4[] =
  "CREATE TABLE exports ("
  "  id INTEGER PRIMARY KEY,"
  "  utc_ns INTEGER NOT NULL,"
  "  created_utc_ns INTEGER NOT NULL,"
  "  event_id INTEGER REFERENCES events (id),"
  "  from_utc_ns INTEGER NOT NULL,"
  "  to_utc_ns INTEGER NOT NULL,"
  "  destination TEXT NOT NULL,"
  "  manifest_sha256 TEXT NOT NULL UNIQUE,"
  "  key_fingerprint TEXT NOT NULL"
  ");"
  "CREATE INDEX exports_event ON exports (event_id);"
  "CREATE TABLE export_cameras ("
  "  export_id INTEGER NOT NULL REFERENCES exports (id),"
  "  camera_id INTEGER NOT NULL REFERENCES cameras (id),"
  "  from_utc_ns INTEGER NOT NULL,"
  "  to_utc_ns INTEGER NOT NULL,"
  "  PRIMARY KEY (export_id, camera_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX export_cameras_camera ON export_cameras (camera_id);"
  "CREATE TABLE export_segments ("
  "  export_id INTEGER NOT NULL REFERENCES exports (id),"
  "  path TEXT NOT NULL,"
  "  sha256 TEXT NOT NULL,"
  "  PRIMARY KEY (path, export_id)"
  ") WITHOUT ROWID;"
  "PRAGMA user_version = 4;";

/* The oldest version a read-only open accepts: the queries below read a
 * version-1 file as if it were migrated. */
#define CATALOG_OLDEST_READABLE_VERSION 1

/* Sets @error from the connection's last SQLite error, prefixed by the
 * operation: "insert segment front/x.mkv: UNIQUE constraint failed: ...".
 * A uniqueness violation becomes DVR_CATALOG_ERROR_EXISTS.  Always returns
 * FALSE.  Call it before anything else touches the connection (a rollback
 * would replace the message). */
gboolean G_GNUC_PRINTF (3, 4)
catalog_fail (DvrCatalog *self, GError **error, const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  DvrCatalogError code = DVR_CATALOG_ERROR_FAILED;
  int rc = sqlite3_extended_errcode (self->db);
  va_list args;

  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    code = DVR_CATALOG_ERROR_EXISTS;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DVR_CATALOG_ERROR, code, "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

/* Prepares @sql into @stmt; on failure the message stays in the connection
 * for catalog_fail(). */
gboolean
catalog_prepare (DvrCatalog *self, const gchar *sql, sqlite3_stmt **stmt)
{
  return sqlite3_prepare_v2 (self->db, sql, -1, stmt, NULL) == SQLITE_OK;
}

/* Runs a statement that returns no rows. */
gboolean
catalog_step_done (sqlite3_stmt *stmt)
{
  return sqlite3_step (stmt) == SQLITE_DONE;
}

/* Rolls back the open transaction, if SQLite has not already done so.  Only
 * for failure paths, after the error was set: its own failure adds nothing. */
void
catalog_rollback (DvrCatalog *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

typedef gpointer (*CatalogRowFunc) (sqlite3_stmt *stmt);

/* Steps @stmt to the end, turning each row into an element with @row_func.
 * Returns NULL and sets @error if a step fails. */
static GPtrArray *
catalog_collect (DvrCatalog *self,
                 sqlite3_stmt *stmt,
                 CatalogRowFunc row_func,
                 GDestroyNotify free_func,
                 const gchar *what,
                 GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);

  for (;;) {
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      catalog_fail (self, error, "%s", what);
      return NULL;
    }
    g_ptr_array_add (rows, row_func (stmt));
  }
  return g_steal_pointer (&rows);
}

static gchar *
column_dup (sqlite3_stmt *stmt, int column)
{
  return g_strdup ((const gchar *) sqlite3_column_text (stmt, column));
}

/* Unknown values are NULL in the file; in C each type has its own marker. */

static int
bind_int64_or_null (sqlite3_stmt *stmt, int index, gint64 value, gint64 unknown)
{
  return value == unknown ? sqlite3_bind_null (stmt, index) :
      sqlite3_bind_int64 (stmt, index, value);
}

static int
bind_double_or_null (sqlite3_stmt *stmt, int index, gdouble value)
{
  return isnan (value) ? sqlite3_bind_null (stmt, index) :
      sqlite3_bind_double (stmt, index, value);
}

static gint64
column_int64_or (sqlite3_stmt *stmt, int column, gint64 unknown)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ?
      unknown : sqlite3_column_int64 (stmt, column);
}

static gdouble
column_double_or_nan (sqlite3_stmt *stmt, int column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ?
      NAN : sqlite3_column_double (stmt, column);
}

/* Enum strings.  Out-of-range values (a programmer error) give NULL, which
 * the NOT NULL columns then refuse with an error instead of storing a lie. */

const gchar *
dvr_clock_source_to_string (DvrClockSource source)
{
  switch (source) {
  case DVR_CLOCK_SOURCE_UNKNOWN:
    return "unknown";
  case DVR_CLOCK_SOURCE_RTC:
    return "rtc";
  case DVR_CLOCK_SOURCE_NTP:
    return "ntp";
  case DVR_CLOCK_SOURCE_GPS:
    return "gps";
  }
  return NULL;
}

/* Anything unrecognised (NULL included) is UNKNOWN: that is exactly what we
 * then know about where the time came from. */
DvrClockSource
dvr_clock_source_from_string (const gchar *str)
{
  if (g_strcmp0 (str, "rtc") == 0)
    return DVR_CLOCK_SOURCE_RTC;
  if (g_strcmp0 (str, "ntp") == 0)
    return DVR_CLOCK_SOURCE_NTP;
  if (g_strcmp0 (str, "gps") == 0)
    return DVR_CLOCK_SOURCE_GPS;
  return DVR_CLOCK_SOURCE_UNKNOWN;
}

const gchar *
dvr_segment_state_to_string (DvrSegmentState state)
{
  switch (state) {
  case DVR_SEGMENT_STATE_COMPLETE:
    return "complete";
  case DVR_SEGMENT_STATE_PARTIAL:
    return "partial";
  case DVR_SEGMENT_STATE_RECOVERED:
    return "recovered";
  }
  return NULL;
}

/* Anything unrecognised (NULL included) is PARTIAL: it never claims that the
 * muxer closed the file, which is the one thing we cannot know then.  The
 * schema's CHECK keeps other strings out of a file of a version we accept. */
DvrSegmentState
dvr_segment_state_from_string (const gchar *str)
{
  if (g_strcmp0 (str, "complete") == 0)
    return DVR_SEGMENT_STATE_COMPLETE;
  if (g_strcmp0 (str, "recovered") == 0)
    return DVR_SEGMENT_STATE_RECOVERED;
  return DVR_SEGMENT_STATE_PARTIAL;
}

DvrSegment *
dvr_segment_new (void)
{
  DvrSegment *segment = g_new0 (DvrSegment, 1);

  segment->clock_offset_ns = G_MININT64;
  return segment;
}

DvrSegment *
dvr_segment_copy (const DvrSegment *segment)
{
  DvrSegment *copy;

  g_return_val_if_fail (segment != NULL, NULL);

  copy = g_new (DvrSegment, 1);
  *copy = *segment;
  copy->camera = g_strdup (segment->camera);
  copy->path = g_strdup (segment->path);
  copy->sha256 = g_strdup (segment->sha256);
  copy->codec = g_strdup (segment->codec);
  return copy;
}

void
dvr_segment_free (DvrSegment *segment)
{
  if (segment == NULL)
    return;
  g_free (segment->camera);
  g_free (segment->path);
  g_free (segment->sha256);
  g_free (segment->codec);
  g_free (segment);
}

void
dvr_gap_free (DvrGap *gap)
{
  if (gap == NULL)
    return;
  g_free (gap->camera);
  g_free (gap->reason);
  g_free (gap);
}

void
dvr_run_camera_free (DvrRunCamera *run_camera)
{
  if (run_camera == NULL)
    return;
  g_free (run_camera->camera);
  g_free (run_camera);
}

void
dvr_signal_change_free (DvrSignalChange *change)
{
  if (change == NULL)
    return;
  g_free (change->name);
  g_free (change->source);
  g_free (change);
}

void
dvr_catalog_free (DvrCatalog *catalog)
{
  if (catalog == NULL)
    return;
  /* Every statement is finalized where it was prepared, so close cannot be
   * refused as busy.  Closing the last connection checkpoints the WAL: a
   * disk wait, but only at shutdown. */
  if (catalog->db != NULL && sqlite3_close (catalog->db) != SQLITE_OK)
    g_warning ("close catalog %s: %s", catalog->path, sqlite3_errmsg (catalog->db));
  g_free (catalog->path);
  g_free (catalog);
}

static gboolean
catalog_get_user_version (DvrCatalog *self, gint *version, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!catalog_prepare (self, "PRAGMA user_version", &stmt) ||
      sqlite3_step (stmt) != SQLITE_ROW)
    return catalog_fail (self, error, "read schema version of %s", self->path);
  *version = sqlite3_column_int (stmt, 0);
  return TRUE;
}

static gboolean
catalog_check_not_too_new (DvrCatalog *self, gint version, GError **error)
{
  if (version > DVR_CATALOG_SCHEMA_VERSION) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_TOO_NEW,
        "catalog %s has schema version %d, newer than version %d that this build knows",
        self->path, version, DVR_CATALOG_SCHEMA_VERSION);
    return FALSE;
  }
  return TRUE;
}

static gboolean
catalog_exec (DvrCatalog *self, const gchar *sql, const gchar *what, GError **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return catalog_fail (self, error, "%s %s", what, self->path);
  return TRUE;
}

/* The connection settings of a writer.
 *
 * synchronous=NORMAL: in WAL mode this never corrupts the database, it can
 * only lose the last commits at a power loss (the WAL is synced at checkpoints
 * only, and recovery keeps the valid prefix of it).  That loss is safe here
 * because every row points at a file that was already fdatasync'd and whose
 * folder was fsync'd before the row was committed: a lost row leaves a durable
 * orphan file that the startup sweep catalogues again, never a row pointing at
 * a missing file.  In exchange, commits on the daemon's main loop never wait
 * for the disk.
 *
 * wal_autocheckpoint=0: a checkpoint syncs the database file, and an
 * automatic one would run inside whichever commit crossed the threshold, i.e.
 * on the main loop.  The daemon's storage thread calls
 * dvr_catalog_checkpoint() on its own connection instead. */
static gboolean
catalog_configure_writer (DvrCatalog *self, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  const gchar *mode;

  /* journal_mode answers with the mode in force, which stays the old one
   * when WAL is impossible (e.g. a filesystem without shared memory); the
   * durability argument above holds only in WAL mode, so refuse then. */
  if (!catalog_prepare (self, "PRAGMA journal_mode = WAL", &stmt) ||
      sqlite3_step (stmt) != SQLITE_ROW)
    return catalog_fail (self, error, "set WAL journal mode on %s", self->path);
  mode = (const gchar *) sqlite3_column_text (stmt, 0);
  if (g_ascii_strcasecmp (mode != NULL ? mode : "", "wal") != 0) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED,
        "set WAL journal mode on %s: SQLite kept journal mode %s",
        self->path, mode != NULL ? mode : "(none)");
    return FALSE;
  }
  return catalog_exec (self, "PRAGMA synchronous = NORMAL", "set synchronous on", error) &&
         catalog_exec (self, "PRAGMA wal_autocheckpoint = 0", "disable autocheckpoint on", error);
}

/* Migrates the file forward to DVR_CATALOG_SCHEMA_VERSION.
 *
 * The whole migration is one IMMEDIATE transaction, and the version is read
 * again inside it: two connections opening a fresh file at once (the daemon's
 * main loop and its storage thread) then migrate it once, the second waiting
 * for the write lock and finding the new version.  Each step's script sets
 * user_version itself, so the version always describes the tables, and a
 * failure anywhere leaves the file as it was. */
static gboolean
catalog_migrate (DvrCatalog *self, GError **error)
{
  gint version = 0;

  if (!catalog_exec (self, "BEGIN IMMEDIATE", "begin migration of", error))
    return FALSE;
  if (!catalog_get_user_version (self, &version, error) ||
      !catalog_check_not_too_new (self, version, error)) {
    catalog_rollback (self);
    return FALSE;
  }
  if (version < DVR_CATALOG_SCHEMA_VERSION)
    g_message ("catalog %s: migrating schema from version %d to %d",
        self->path, version, DVR_CATALOG_SCHEMA_VERSION);

  switch (version) {
  case 0:
    if (!catalog_exec (self, catalog_schema_v1, "create schema version 1 in", error)) {
      catalog_rollback (self);
      return FALSE;
    }
    /* fall through */
  case 1:
    if (!catalog_exec (self, catalog_schema_v2, "add schema version 2 to", error)) {
      catalog_rollback (self);
      return FALSE;
    }
    /* fall through */
  case 2:
    if (!catalog_exec (self, catalog_schema_v3, "add schema version 3 to", error)) {
      catalog_rollback (self);
      return FALSE;
    }
    /* fall through */
  case 3:
    if (!catalog_exec (self, catalog_schema_v4, "add schema version 4 to", error)) {
      catalog_rollback (self);
      return FALSE;
    }
    /* fall through */
  case 4:
    /* current: nothing to do */
    break;
  default:
    g_assert_not_reached ();
  }

  if (!catalog_exec (self, "COMMIT", "commit migration of", error)) {
    catalog_rollback (self);
    return FALSE;
  }
  self->schema_version = DVR_CATALOG_SCHEMA_VERSION;
  return TRUE;
}

static DvrCatalog *catalog_open (const gchar *path, const gchar *uri, gboolean read_only,
                                  GError **error);

/* A reader (read_only) of a catalog on a drive mounted read-only: SQLite
 * opens a WAL database only where it can create the -shm file, which a
 * read-only mount after a clean stop (no -wal, no -shm) does not allow.
 * With no write-ahead log left every committed row is in the main file, so
 * that case is opened "immutable" (no locks, no -shm).  With a non-empty
 * -wal (power loss, or dvrd still running) the WAL is needed and the
 * ordinary open's error stands. */
DvrCatalog *
dvr_catalog_open (const gchar *path, gboolean read_only, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *wal = NULL;
  g_autofree gchar *escaped = NULL;
  g_autofree gchar *uri = NULL;
  DvrCatalog *catalog;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  catalog = catalog_open (path, NULL, read_only, &local_error);
  if (catalog != NULL)
    return catalog;
  wal = g_strconcat (path, "-wal", NULL);
  if (read_only &&
      !g_error_matches (local_error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND) &&
      !(g_stat (wal, &st) == 0 && st.st_size > 0)) {
    escaped = g_uri_escape_string (path, "/", FALSE);
    uri = g_strconcat ("file:", escaped, "?immutable=1", NULL);
    catalog = catalog_open (path, uri, TRUE, NULL);
    if (catalog != NULL)
      return catalog;
  }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

static DvrCatalog *
catalog_open (const gchar *path, const gchar *uri, gboolean read_only, GError **error)
{
  g_autoptr (DvrCatalog) self = NULL;
  int flags = SQLITE_OPEN_NOMUTEX; /* one thread per connection */
  gint version = 0;
  gboolean created;

  flags |= read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (uri != NULL)
    flags |= SQLITE_OPEN_URI;
  self = g_new0 (DvrCatalog, 1);
  self->path = g_strdup (path);
  self->read_only = read_only;
  self->max_span_ns = -1;
  created = !read_only && !g_file_test (path, G_FILE_TEST_EXISTS);

  /* sqlite3_open_v2() hands back a handle even on failure, to carry the
   * message; dvr_catalog_free() closes it. */
  if (sqlite3_open_v2 (uri != NULL ? uri : path, &self->db, flags, NULL) != SQLITE_OK) {
    /* A missing file is worth its own code: tools say "no catalog here". */
    if (read_only && !g_file_test (path, G_FILE_TEST_EXISTS)) {
      g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
          "open catalog %s: %s", path, sqlite3_errmsg (self->db));
      return NULL;
    }
    catalog_fail (self, error, "open catalog %s", path);
    return NULL;
  }
  /* SQLite falls back to read-only when the file is write-protected; a
   * writer must know now, not at its first commit. */
  if (!read_only && sqlite3_db_readonly (self->db, "main") == 1) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED,
        "open catalog %s: file is not writable", path);
    return NULL;
  }
  sqlite3_busy_timeout (self->db, CATALOG_BUSY_TIMEOUT_MS);

  /* Refuse a newer file before anything writes to it: even switching the
   * journal mode rewrites the header. */
  if (!catalog_get_user_version (self, &version, error) ||
      !catalog_check_not_too_new (self, version, error))
    return NULL;
  if (!catalog_exec (self, "PRAGMA foreign_keys = ON", "enable foreign keys on", error))
    return NULL;

  if (read_only) {
    /* Before version 1 there are no tables to read; say so now, in
     * words, rather than at the first query. */
    if (version < CATALOG_OLDEST_READABLE_VERSION) {
      g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED,
          "catalog %s has schema version %d, older than version %d: "
          "open it read-write once to migrate it",
          path, version, DVR_CATALOG_SCHEMA_VERSION);
      return NULL;
    }
    self->schema_version = version;
    return g_steal_pointer (&self);
  }

  if (!catalog_configure_writer (self, error) || !catalog_migrate (self, error))
    return NULL;
  /* SQLite syncs the folder when it makes the WAL, not when it makes the
   * database file: without this, a power loss soon after can leave a WAL
   * whose database file has no name (found on tests/powerloss/dvr-powerfs). */
  if (created) {
    g_autofree gchar *folder = g_path_get_dirname (path);
    if (!dvr_fsync_directory (folder, error))
      return NULL;
  }
  return g_steal_pointer (&self);
}

gint
dvr_catalog_get_schema_version (DvrCatalog *catalog)
{
  g_return_val_if_fail (catalog != NULL, -1);
  return catalog->schema_version;
}

gint64
dvr_catalog_begin_run (DvrCatalog *catalog,
                       gint64 min_run_id,
                       gint64 start_utc_ns,
                       DvrClockSource clock_source,
                       GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, 0);

  /* One statement, so the id is computed and taken atomically.  The id is
   * explicit rather than SQLite's rowid choice because rows lost at a power
   * loss would let SQLite hand out an id again; @min_run_id (from the file
   * names on the storage) covers exactly those. */
  if (!catalog_prepare (catalog,
          "INSERT INTO runs (id, start_utc_ns, clock_source) "
          "VALUES (max ((SELECT ifnull (max (id), 0) FROM runs), ?1) + 1, ?2, ?3)",
          &stmt) ||
      sqlite3_bind_int64 (stmt, 1, min_run_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, start_utc_ns) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, dvr_clock_source_to_string (clock_source), -1,
          SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt)) {
    catalog_fail (catalog, error, "begin run");
    return 0;
  }
  return sqlite3_last_insert_rowid (catalog->db);
}

gboolean
dvr_catalog_ensure_run (DvrCatalog *catalog,
                        gint64 run_id,
                        gint64 start_utc_ns,
                        DvrClockSource clock_source,
                        GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (run_id > 0, FALSE);

  if (!catalog_prepare (catalog,
          "INSERT INTO runs (id, start_utc_ns, clock_source) VALUES (?1, ?2, ?3) "
          "ON CONFLICT (id) DO NOTHING",
          &stmt) ||
      sqlite3_bind_int64 (stmt, 1, run_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, start_utc_ns) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, dvr_clock_source_to_string (clock_source), -1,
          SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "ensure run %" G_GINT64_FORMAT, run_id);
  return TRUE;
}

gboolean
dvr_catalog_end_run (DvrCatalog *catalog, gint64 run_id, gint64 end_utc_ns, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);

  if (!catalog_prepare (catalog, "UPDATE runs SET end_utc_ns = ?1 WHERE id = ?2", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, end_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, run_id) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "end run %" G_GINT64_FORMAT, run_id);
  if (sqlite3_changes (catalog->db) == 0) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
        "end run %" G_GINT64_FORMAT ": no such run", run_id);
    return FALSE;
  }
  return TRUE;
}

gboolean
dvr_catalog_ensure_camera (DvrCatalog *catalog,
                           const gchar *name,
                           const gchar *source,
                           GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (source != NULL, FALSE);

  /* An upsert keeps the camera's id, and with it every row that refers to
   * it, when its source changes in dvr.conf. */
  if (!catalog_prepare (catalog,
          "INSERT INTO cameras (name, source) VALUES (?1, ?2) "
          "ON CONFLICT (name) DO UPDATE SET source = excluded.source",
          &stmt) ||
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, source, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "ensure camera %s", name);
  return TRUE;
}

static gboolean
catalog_set_no_camera (GError **error, const gchar *what, const gchar *camera)
{
  g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
      "%s: no camera named \"%s\"", what, camera);
  return FALSE;
}

gboolean
catalog_insert_segment (DvrCatalog *catalog, DvrSegment *segment, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *what = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (segment != NULL, FALSE);
  g_return_val_if_fail (segment->camera != NULL, FALSE);
  g_return_val_if_fail (segment->path != NULL, FALSE);

  what = g_strdup_printf ("insert segment %s", segment->path);
  /* Plain INSERT: a path already catalogued fails on its UNIQUE constraint
   * (DVR_CATALOG_ERROR_EXISTS) and never replaces the row.  INSERT ...
   * SELECT inserts nothing for an unknown camera, which we report by name. */
  if (!catalog_prepare (catalog,
          "INSERT INTO segments (camera_id, run_id, seq, path, start_utc_ns, end_utc_ns,"
          "  start_mono_ns, clock_source, frames, bytes, sha256, state, codec,"
          "  clock_offset_ns) "
          "SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 "
          "FROM cameras WHERE name = ?1",
          &stmt) ||
      sqlite3_bind_text (stmt, 1, segment->camera, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, segment->run_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, segment->seq) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 4, segment->path, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 5, segment->start_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 6, segment->end_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 7, segment->start_mono_ns) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 8, dvr_clock_source_to_string (segment->clock_source), -1,
          SQLITE_STATIC) != SQLITE_OK ||
      /* Counts above G_MAXINT64 wrap negative and the CHECKs refuse them. */
      sqlite3_bind_int64 (stmt, 9, (gint64) segment->frames) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 10, (gint64) segment->bytes) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 11, segment->sha256, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 12, dvr_segment_state_to_string (segment->state), -1,
          SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 13, segment->codec, -1, SQLITE_STATIC) != SQLITE_OK ||
      bind_int64_or_null (stmt, 14, segment->clock_offset_ns, G_MININT64) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "%s", what);
  if (sqlite3_changes (catalog->db) == 0)
    return catalog_set_no_camera (error, what, segment->camera);
  segment->id = sqlite3_last_insert_rowid (catalog->db);
  return TRUE;
}

/* One scan, the first time a query needs it.  A failure (a damaged file)
 * gives the widest bound, which is slow but never wrong. */
static gint64
catalog_get_max_span (DvrCatalog *self)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (self->max_span_ns >= 0)
    return self->max_span_ns;
  if (catalog_prepare (self,
          "SELECT ifnull (max (end_utc_ns - start_utc_ns), 0) FROM segments", &stmt) &&
      sqlite3_step (stmt) == SQLITE_ROW)
    self->max_span_ns = MAX (sqlite3_column_int64 (stmt, 0), 0);
  else
    return G_MAXINT64 / 2;
  return self->max_span_ns;
}


/* The row and its evidence links commit together: a segment that closes
 * inside an event's window is evidence from its first row on, so there is
 * no moment at which rotation could take it. */
gboolean
dvr_catalog_add_segment (DvrCatalog *catalog, DvrSegment *segment, GError **error)
{
  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (segment != NULL, FALSE);

  if (!catalog_begin (catalog, "add segment", error))
    return FALSE;
  if (!catalog_insert_segment (catalog, segment, error) ||
      !catalog_link_segment (catalog, segment, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  if (!catalog_commit (catalog, "add segment", error))
    return FALSE;
  catalog_note_segment_added (catalog, segment);
  return TRUE;
}

/* After a commit that added @segment's row: the connection's cached
 * longest span and totals follow. */
void
catalog_note_segment_added (DvrCatalog *self, const DvrSegment *segment)
{
  if (self->max_span_ns >= 0)
    self->max_span_ns = MAX (self->max_span_ns, segment->end_utc_ns - segment->start_utc_ns);
  if (self->totals_known) {
    self->total_segments++;
    self->total_bytes += segment->bytes;
  }
}

/* After a commit that removed @n rows of @bytes in all. */
void
catalog_note_segments_removed (DvrCatalog *self, guint n, guint64 bytes)
{
  if (!self->totals_known)
    return;
  self->total_segments -= MIN (n, self->total_segments);
  self->total_bytes -= MIN (bytes, self->total_bytes);
}

/* The last column is clock_offset_ns, which a version-1 file (read only)
 * does not have: segment_columns() gives NULL for it there. */
#define SEGMENT_COLUMNS \
  "s.id, c.name, s.run_id, s.seq, s.path, s.start_utc_ns, s.end_utc_ns, s.start_mono_ns," \
  " s.clock_source, s.frames, s.bytes, s.sha256, s.state, s.codec, "

static const gchar *
segment_offset_column (DvrCatalog *catalog)
{
  return catalog->schema_version >= 2 ? "s.clock_offset_ns" : "NULL";
}

static gpointer
segment_from_row (sqlite3_stmt *stmt)
{
  DvrSegment *segment = g_new0 (DvrSegment, 1);

  segment->id = sqlite3_column_int64 (stmt, 0);
  segment->camera = column_dup (stmt, 1);
  segment->run_id = sqlite3_column_int64 (stmt, 2);
  segment->seq = (guint) sqlite3_column_int64 (stmt, 3);
  segment->path = column_dup (stmt, 4);
  segment->start_utc_ns = sqlite3_column_int64 (stmt, 5);
  segment->end_utc_ns = sqlite3_column_int64 (stmt, 6);
  segment->start_mono_ns = sqlite3_column_int64 (stmt, 7);
  segment->clock_source =
      dvr_clock_source_from_string ((const gchar *) sqlite3_column_text (stmt, 8));
  segment->frames = (guint64) sqlite3_column_int64 (stmt, 9);
  segment->bytes = (guint64) sqlite3_column_int64 (stmt, 10);
  segment->sha256 = column_dup (stmt, 11);
  segment->state =
      dvr_segment_state_from_string ((const gchar *) sqlite3_column_text (stmt, 12));
  segment->codec = column_dup (stmt, 13);
  segment->clock_offset_ns = column_int64_or (stmt, 14, G_MININT64);
  return segment;
}

GPtrArray *
dvr_catalog_list_segments (DvrCatalog *catalog,
                           const gchar *camera,
                           gint64 from_utc_ns,
                           gint64 to_utc_ns,
                           GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *sql = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  /* Two texts rather than "?3 IS NULL OR c.name = ?3", which would keep
   * the planner from the (camera_id, start_utc_ns) index.  s.id breaks ties
   * so that the order is total. */
  sql = g_strdup_printf (camera != NULL ?
      "SELECT " SEGMENT_COLUMNS "%s FROM segments s JOIN cameras c ON c.id = s.camera_id "
      "WHERE c.name = ?3 AND s.start_utc_ns < ?2 AND s.end_utc_ns > ?1 "
      "  AND s.start_utc_ns >= ?4 "
      "ORDER BY s.start_utc_ns, s.id" :
      "SELECT " SEGMENT_COLUMNS "%s FROM segments s JOIN cameras c ON c.id = s.camera_id "
      "WHERE s.start_utc_ns < ?2 AND s.end_utc_ns > ?1 AND s.start_utc_ns >= ?4 "
      "ORDER BY c.name, s.start_utc_ns, s.id",
      segment_offset_column (catalog));

  /* ?4: no segment that starts earlier can reach @from_utc_ns. */
  if (!catalog_prepare (catalog, sql, &stmt) ||
      sqlite3_bind_int64 (stmt, 1, from_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, to_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 4, from_utc_ns > G_MININT64 + catalog_get_max_span (catalog) ?
          from_utc_ns - catalog_get_max_span (catalog) : G_MININT64) != SQLITE_OK ||
      (camera != NULL &&
       sqlite3_bind_text (stmt, 3, camera, -1, SQLITE_STATIC) != SQLITE_OK)) {
    catalog_fail (catalog, error, "list segments");
    return NULL;
  }
  return catalog_collect (catalog, stmt, segment_from_row,
      (GDestroyNotify) dvr_segment_free, "list segments", error);
}

gint64
dvr_catalog_open_gap (DvrCatalog *catalog,
                      const gchar *camera,
                      gint64 run_id,
                      gint64 start_utc_ns,
                      const gchar *reason,
                      GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *what = NULL;

  g_return_val_if_fail (catalog != NULL, 0);
  g_return_val_if_fail (camera != NULL, 0);
  g_return_val_if_fail (reason != NULL, 0);

  what = g_strdup_printf ("open gap of camera %s", camera);
  if (!catalog_prepare (catalog,
          "INSERT INTO gaps (camera_id, run_id, start_utc_ns, reason) "
          "SELECT id, ?2, ?3, ?4 FROM cameras WHERE name = ?1",
          &stmt) ||
      sqlite3_bind_text (stmt, 1, camera, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, run_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, start_utc_ns) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 4, reason, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt)) {
    catalog_fail (catalog, error, "%s", what);
    return 0;
  }
  if (sqlite3_changes (catalog->db) == 0) {
    catalog_set_no_camera (error, what, camera);
    return 0;
  }
  return sqlite3_last_insert_rowid (catalog->db);
}

gboolean
dvr_catalog_close_gap (DvrCatalog *catalog, gint64 gap_id, gint64 end_utc_ns, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);

  /* Only an open gap closes: closing one twice is a caller's bug, and
   * overwriting the first end would hide it. */
  if (!catalog_prepare (catalog,
          "UPDATE gaps SET end_utc_ns = ?1 WHERE id = ?2 AND end_utc_ns IS NULL", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, end_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, gap_id) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "close gap %" G_GINT64_FORMAT, gap_id);
  if (sqlite3_changes (catalog->db) == 0) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
        "close gap %" G_GINT64_FORMAT ": no open gap with that id", gap_id);
    return FALSE;
  }
  return TRUE;
}

static gpointer
gap_from_row (sqlite3_stmt *stmt)
{
  DvrGap *gap = g_new0 (DvrGap, 1);

  gap->id = sqlite3_column_int64 (stmt, 0);
  gap->camera = column_dup (stmt, 1);
  gap->run_id = sqlite3_column_int64 (stmt, 2);
  gap->start_utc_ns = sqlite3_column_int64 (stmt, 3);
  gap->end_utc_ns = sqlite3_column_type (stmt, 4) == SQLITE_NULL ?
      -1 : sqlite3_column_int64 (stmt, 4);
  gap->reason = column_dup (stmt, 5);
  return gap;
}

GPtrArray *
dvr_catalog_list_gaps (DvrCatalog *catalog, const gchar *camera, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_prepare (catalog,
          "SELECT g.id, c.name, g.run_id, g.start_utc_ns, g.end_utc_ns, g.reason "
          "FROM gaps g JOIN cameras c ON c.id = g.camera_id "
          "WHERE ?1 IS NULL OR c.name = ?1 "
          "ORDER BY c.name, g.start_utc_ns, g.id",
          &stmt) ||
      sqlite3_bind_text (stmt, 1, camera, -1, SQLITE_STATIC) != SQLITE_OK) {
    catalog_fail (catalog, error, "list gaps");
    return NULL;
  }
  return catalog_collect (catalog, stmt, gap_from_row,
      (GDestroyNotify) dvr_gap_free, "list gaps", error);
}

gboolean
dvr_catalog_set_run_camera (DvrCatalog *catalog, const DvrRunCamera *run_camera, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *what = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (run_camera != NULL, FALSE);
  g_return_val_if_fail (run_camera->camera != NULL, FALSE);

  what = g_strdup_printf ("set counters of camera %s in run %" G_GINT64_FORMAT,
      run_camera->camera, run_camera->run_id);
  /* An upsert rather than INSERT OR REPLACE: REPLACE deletes and re-inserts,
   * which would fire foreign key actions if a table ever refers to these. */
  if (!catalog_prepare (catalog,
          "INSERT INTO run_cameras (run_id, camera_id, frames_in, frames_recorded, restarts) "
          "SELECT ?1, id, ?3, ?4, ?5 FROM cameras WHERE name = ?2 "
          "ON CONFLICT (run_id, camera_id) DO UPDATE SET frames_in = excluded.frames_in,"
          "  frames_recorded = excluded.frames_recorded, restarts = excluded.restarts",
          &stmt) ||
      sqlite3_bind_int64 (stmt, 1, run_camera->run_id) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, run_camera->camera, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, (gint64) run_camera->frames_in) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 4, (gint64) run_camera->frames_recorded) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 5, run_camera->restarts) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "%s", what);
  if (sqlite3_changes (catalog->db) == 0)
    return catalog_set_no_camera (error, what, run_camera->camera);
  return TRUE;
}

static gpointer
run_camera_from_row (sqlite3_stmt *stmt)
{
  DvrRunCamera *run_camera = g_new0 (DvrRunCamera, 1);

  run_camera->run_id = sqlite3_column_int64 (stmt, 0);
  run_camera->camera = column_dup (stmt, 1);
  run_camera->frames_in = (guint64) sqlite3_column_int64 (stmt, 2);
  run_camera->frames_recorded = (guint64) sqlite3_column_int64 (stmt, 3);
  run_camera->restarts = (guint) sqlite3_column_int64 (stmt, 4);
  return run_camera;
}

GPtrArray *
dvr_catalog_list_run_cameras (DvrCatalog *catalog, gint64 run_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_prepare (catalog,
          "SELECT r.run_id, c.name, r.frames_in, r.frames_recorded, r.restarts "
          "FROM run_cameras r JOIN cameras c ON c.id = r.camera_id "
          "WHERE ?1 = 0 OR r.run_id = ?1 "
          "ORDER BY r.run_id, c.name",
          &stmt) ||
      sqlite3_bind_int64 (stmt, 1, run_id) != SQLITE_OK) {
    catalog_fail (catalog, error, "list run cameras");
    return NULL;
  }
  return catalog_collect (catalog, stmt, run_camera_from_row,
      (GDestroyNotify) dvr_run_camera_free, "list run cameras", error);
}

gint64
dvr_catalog_get_last_run_id (DvrCatalog *catalog, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, -1);

  if (!catalog_prepare (catalog, "SELECT ifnull (max (id), 0) FROM runs", &stmt) ||
      sqlite3_step (stmt) != SQLITE_ROW) {
    catalog_fail (catalog, error, "get last run id");
    return -1;
  }
  return sqlite3_column_int64 (stmt, 0);
}

/* GPS fixes and signal changes (schema 2).  A version-1 file, which only a
 * read-only open leaves as it is, has neither: its lists are empty. */

#define GPS_FIX_COLUMNS \
  "time_ns, received_utc_ns, received_mono_ns, mode, lat, lon, alt_hae, alt_msl," \
  " speed, track, climb, eph, epv, eps, sats_used, sats_visible"

static gboolean
bind_gps_fix (sqlite3_stmt *stmt, const DvrGpsFix *fix)
{
  return bind_int64_or_null (stmt, 1, fix->time_ns, G_MININT64) == SQLITE_OK &&
         sqlite3_bind_int64 (stmt, 2, fix->received_utc_ns) == SQLITE_OK &&
         bind_int64_or_null (stmt, 3, fix->received_mono_ns, G_MININT64) == SQLITE_OK &&
         sqlite3_bind_int (stmt, 4, fix->mode) == SQLITE_OK &&
         bind_double_or_null (stmt, 5, fix->lat) == SQLITE_OK &&
         bind_double_or_null (stmt, 6, fix->lon) == SQLITE_OK &&
         bind_double_or_null (stmt, 7, fix->alt_hae) == SQLITE_OK &&
         bind_double_or_null (stmt, 8, fix->alt_msl) == SQLITE_OK &&
         bind_double_or_null (stmt, 9, fix->speed) == SQLITE_OK &&
         bind_double_or_null (stmt, 10, fix->track) == SQLITE_OK &&
         bind_double_or_null (stmt, 11, fix->climb) == SQLITE_OK &&
         bind_double_or_null (stmt, 12, fix->eph) == SQLITE_OK &&
         bind_double_or_null (stmt, 13, fix->epv) == SQLITE_OK &&
         bind_double_or_null (stmt, 14, fix->eps) == SQLITE_OK &&
         bind_int64_or_null (stmt, 15, fix->sats_used, -1) == SQLITE_OK &&
         bind_int64_or_null (stmt, 16, fix->sats_visible, -1) == SQLITE_OK;
}

static void
gps_fix_from_row (sqlite3_stmt *stmt, DvrGpsFix *fix)
{
  fix->time_ns = column_int64_or (stmt, 0, G_MININT64);
  fix->received_utc_ns = sqlite3_column_int64 (stmt, 1);
  fix->received_mono_ns = column_int64_or (stmt, 2, G_MININT64);
  fix->mode = sqlite3_column_int (stmt, 3);
  fix->lat = column_double_or_nan (stmt, 4);
  fix->lon = column_double_or_nan (stmt, 5);
  fix->alt_hae = column_double_or_nan (stmt, 6);
  fix->alt_msl = column_double_or_nan (stmt, 7);
  fix->speed = column_double_or_nan (stmt, 8);
  fix->track = column_double_or_nan (stmt, 9);
  fix->climb = column_double_or_nan (stmt, 10);
  fix->eph = column_double_or_nan (stmt, 11);
  fix->epv = column_double_or_nan (stmt, 12);
  fix->eps = column_double_or_nan (stmt, 13);
  fix->sats_used = (gint) column_int64_or (stmt, 14, -1);
  fix->sats_visible = (gint) column_int64_or (stmt, 15, -1);
}

gboolean
dvr_catalog_add_gps_fixes (DvrCatalog *catalog,
                           const DvrGpsFix *fixes,
                           guint n_fixes,
                           GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (fixes != NULL || n_fixes == 0, FALSE);

  if (n_fixes == 0)
    return TRUE;
  if (!catalog_prepare (catalog,
          "INSERT INTO gps_fixes (" GPS_FIX_COLUMNS ") "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
          &stmt))
    return catalog_fail (catalog, error, "insert %u GPS fixes", n_fixes);
  /* One transaction, one commit for the batch: IMMEDIATE takes the write
   * lock now rather than at the first insert. */
  if (!catalog_exec (catalog, "BEGIN IMMEDIATE", "begin inserting GPS fixes into", error))
    return FALSE;
  for (guint i = 0; i < n_fixes; i++) {
    if (!bind_gps_fix (stmt, &fixes[i]) || !catalog_step_done (stmt)) {
      catalog_fail (catalog, error, "insert GPS fix %u of %u", i + 1, n_fixes);
      catalog_rollback (catalog);
      return FALSE;
    }
    sqlite3_reset (stmt);
  }
  if (!catalog_exec (catalog, "COMMIT", "commit GPS fixes to", error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  return TRUE;
}

GArray *
dvr_catalog_list_gps_fixes (DvrCatalog *catalog,
                            gint64 from_utc_ns,
                            gint64 to_utc_ns,
                            GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GArray) fixes = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  fixes = g_array_new (FALSE, FALSE, sizeof (DvrGpsFix));
  if (catalog->schema_version < 2)
    return g_steal_pointer (&fixes);
  if (!catalog_prepare (catalog,
          "SELECT " GPS_FIX_COLUMNS " FROM gps_fixes "
          "WHERE received_utc_ns >= ?1 AND received_utc_ns < ?2 "
          "ORDER BY received_utc_ns, id",
          &stmt) ||
      sqlite3_bind_int64 (stmt, 1, from_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, to_utc_ns) != SQLITE_OK) {
    catalog_fail (catalog, error, "list GPS fixes");
    return NULL;
  }
  for (;;) {
    DvrGpsFix fix;
    int rc = sqlite3_step (stmt);

    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      catalog_fail (catalog, error, "list GPS fixes");
      return NULL;
    }
    gps_fix_from_row (stmt, &fix);
    g_array_append_val (fixes, fix);
  }
  return g_steal_pointer (&fixes);
}

gboolean
dvr_catalog_add_signal_change (DvrCatalog *catalog,
                               const gchar *name,
                               gboolean value,
                               gint64 utc_ns,
                               gint64 mono_ns,
                               const gchar *source,
                               GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (source != NULL, FALSE);

  if (!catalog_prepare (catalog,
          "INSERT INTO signal_changes (utc_ns, mono_ns, name, value, source) "
          "VALUES (?1, ?2, ?3, ?4, ?5)",
          &stmt) ||
      sqlite3_bind_int64 (stmt, 1, utc_ns) != SQLITE_OK ||
      bind_int64_or_null (stmt, 2, mono_ns, G_MININT64) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int (stmt, 4, value ? 1 : 0) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 5, source, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "insert signal change %s", name);
  return TRUE;
}

static gpointer
signal_change_from_row (sqlite3_stmt *stmt)
{
  DvrSignalChange *change = g_new0 (DvrSignalChange, 1);

  change->id = sqlite3_column_int64 (stmt, 0);
  change->utc_ns = sqlite3_column_int64 (stmt, 1);
  change->mono_ns = column_int64_or (stmt, 2, G_MININT64);
  change->name = column_dup (stmt, 3);
  change->value = sqlite3_column_int (stmt, 4) != 0;
  change->source = column_dup (stmt, 5);
  return change;
}

GPtrArray *
dvr_catalog_list_signal_changes (DvrCatalog *catalog,
                                 gint64 from_utc_ns,
                                 gint64 to_utc_ns,
                                 GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (catalog->schema_version < 2)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_signal_change_free);
  if (!catalog_prepare (catalog,
          "SELECT id, utc_ns, mono_ns, name, value, source FROM signal_changes "
          "WHERE utc_ns >= ?1 AND utc_ns < ?2 ORDER BY utc_ns, id",
          &stmt) ||
      sqlite3_bind_int64 (stmt, 1, from_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, to_utc_ns) != SQLITE_OK) {
    catalog_fail (catalog, error, "list signal changes");
    return NULL;
  }
  return catalog_collect (catalog, stmt, signal_change_from_row,
      (GDestroyNotify) dvr_signal_change_free, "list signal changes", error);
}

/* PASSIVE, not TRUNCATE (or RESTART/FULL): those take the writer lock and
 * wait for readers, so a commit on the main loop would wait, up to the busy
 * timeout, behind this thread's disk I/O: the very wait synchronous=NORMAL and
 * wal_autocheckpoint=0 exist to avoid.  PASSIVE copies what it can without
 * blocking anyone.  What it gives up: the WAL file is not shrunk, only reused
 * from its start by the next commit after a complete checkpoint; it holds one
 * checkpoint interval of catalog rows, which is small. */
gboolean
dvr_catalog_checkpoint (DvrCatalog *catalog, GError **error)
{
  int log_frames = 0;
  int checkpointed_frames = 0;
  int rc;

  g_return_val_if_fail (catalog != NULL, FALSE);

  rc = sqlite3_wal_checkpoint_v2 (catalog->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
      &log_frames, &checkpointed_frames);
  if (rc == SQLITE_BUSY) {
    /* Another connection is checkpointing right now: the work is being done. */
    g_debug ("checkpoint %s: another checkpoint is running", catalog->path);
    return TRUE;
  }
  if (rc != SQLITE_OK)
    return catalog_fail (catalog, error, "checkpoint %s", catalog->path);
  if (checkpointed_frames < log_frames)
    g_debug ("checkpoint %s: %d of %d WAL frames copied, a reader holds the rest",
        catalog->path, checkpointed_frames, log_frames);
  return TRUE;
}

/* ---- Events, evidence, garbage, audit (schema 3) ---- */

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* Open windows reach to the end of time in the overlap tests. */
#define OPEN_END "9223372036854775807"

gboolean
catalog_begin (DvrCatalog *self, const gchar *what, GError **error)
{
  /* IMMEDIATE: take the write lock now, so that a busy wait happens here and
   * never half-way through the change. */
  if (sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return catalog_fail (self, error, "%s: begin", what);
  return TRUE;
}

gboolean
catalog_commit (DvrCatalog *self, const gchar *what, GError **error)
{
  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    catalog_fail (self, error, "%s: commit", what);
    catalog_rollback (self);
    return FALSE;
  }
  return TRUE;
}

static gboolean
catalog_has_events (DvrCatalog *self)
{
  return self->schema_version >= 3;
}

static gboolean
catalog_require_events (DvrCatalog *self, const gchar *what, GError **error)
{
  if (catalog_has_events (self))
    return TRUE;
  g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED,
      "%s: catalog %s has schema version %d, without events or audit log",
      what, self->path, self->schema_version);
  return FALSE;
}

static gint64
utc_now_ns (void)
{
  return g_get_real_time () * 1000;
}

/* Each field goes in as its length, a colon and its bytes, so that no
 * choice of field contents can make two different rows hash the same. */
static void
audit_hash_field (GChecksum *checksum, const gchar *field)
{
  g_autofree gchar *length = g_strdup_printf ("%zu:", strlen (field));
  g_checksum_update (checksum, (const guchar *) length, -1);
  g_checksum_update (checksum, (const guchar *) field, -1);
}

/* SHA-256 over prev_hash, id, utc_ns, action and detail (in that order). */
static gchar *
audit_compute_hash (const gchar *prev_hash, gint64 id, gint64 utc_ns,
                    const gchar *action, const gchar *detail)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree gchar *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_autofree gchar *utc_text = g_strdup_printf ("%" G_GINT64_FORMAT, utc_ns);

  audit_hash_field (checksum, prev_hash);
  audit_hash_field (checksum, id_text);
  audit_hash_field (checksum, utc_text);
  audit_hash_field (checksum, action);
  audit_hash_field (checksum, detail);
  return g_strdup (g_checksum_get_string (checksum));
}

gchar *
dvr_audit_compute_hash (const gchar *prev_hash, gint64 id, gint64 utc_ns,
                        const gchar *action, const gchar *detail)
{
  g_return_val_if_fail (prev_hash != NULL && action != NULL && detail != NULL, NULL);

  return audit_compute_hash (prev_hash, id, utc_ns, action, detail);
}

/* Appends one audit row; the caller holds a transaction, so the row commits
 * with the change it describes or not at all.  The id is explicit (last + 1)
 * because it is part of the hash. */
gboolean
catalog_audit_append (DvrCatalog *self, gint64 utc_ns, const gchar *action,
                      const gchar *detail, GError **error)
{
  g_autoptr (sqlite3_stmt) head = NULL;
  g_autoptr (sqlite3_stmt) insert = NULL;
  g_autofree gchar *prev_hash = NULL;
  g_autofree gchar *hash = NULL;
  gint64 id = 1;
  int rc;

  if (!catalog_prepare (self, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", &head))
    return catalog_fail (self, error, "audit %s", action);
  rc = sqlite3_step (head);
  if (rc == SQLITE_ROW) {
    id = sqlite3_column_int64 (head, 0) + 1;
    prev_hash = column_dup (head, 1);
  } else if (rc == SQLITE_DONE) {
    prev_hash = g_strdup (AUDIT_GENESIS);
  } else {
    return catalog_fail (self, error, "audit %s", action);
  }
  hash = audit_compute_hash (prev_hash, id, utc_ns, action, detail);
  if (!catalog_prepare (self,
          "INSERT INTO audit (id, utc_ns, action, detail, prev_hash, hash) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &insert) ||
      sqlite3_bind_int64 (insert, 1, id) != SQLITE_OK ||
      sqlite3_bind_int64 (insert, 2, utc_ns) != SQLITE_OK ||
      sqlite3_bind_text (insert, 3, action, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (insert, 4, detail, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (insert, 5, prev_hash, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (insert, 6, hash, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (insert))
    return catalog_fail (self, error, "audit %s", action);
  return TRUE;
}

/* Audit details are small JSON objects built with these. */
static void
detail_add_string (JsonBuilder *b, const gchar *member, const gchar *value)
{
  json_builder_set_member_name (b, member);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
detail_add_int (JsonBuilder *b, const gchar *member, gint64 value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, value);
}

/* A UTC time as ns (exact) and as text (for people reading the log). */
static void
detail_add_time (JsonBuilder *b, const gchar *member, gint64 utc_ns)
{
  g_autofree gchar *text_member = g_strconcat (member, "_utc", NULL);

  json_builder_set_member_name (b, member);
  if (utc_ns < 0) {
    json_builder_add_null_value (b);
    return;
  }
  json_builder_add_int_value (b, utc_ns);
  {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (utc_ns / 1000000000);
    g_autofree gchar *base = dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S") : NULL;
    g_autofree gchar *text = base != NULL ?
        g_strdup_printf ("%s.%03dZ", base, (int) (utc_ns % 1000000000 / 1000000)) : NULL;
    detail_add_string (b, text_member, text);
  }
}

static gchar *
detail_finish (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gboolean
dvr_catalog_audit (DvrCatalog *catalog, gint64 utc_ns, const gchar *action,
                   const gchar *detail, GError **error)
{
  g_autofree gchar *what = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (action != NULL, FALSE);
  g_return_val_if_fail (detail != NULL, FALSE);

  what = g_strdup_printf ("audit %s", action);
  if (!catalog_require_events (catalog, what, error) || !catalog_begin (catalog, what, error))
    return FALSE;
  if (!catalog_audit_append (catalog, utc_ns, action, detail, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  return catalog_commit (catalog, what, error);
}

static gpointer
audit_entry_from_row (sqlite3_stmt *stmt)
{
  DvrAuditEntry *entry = g_new0 (DvrAuditEntry, 1);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->utc_ns = sqlite3_column_int64 (stmt, 1);
  entry->action = column_dup (stmt, 2);
  entry->detail = column_dup (stmt, 3);
  entry->prev_hash = column_dup (stmt, 4);
  entry->hash = column_dup (stmt, 5);
  return entry;
}

void
dvr_audit_entry_free (DvrAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->action);
  g_free (entry->detail);
  g_free (entry->prev_hash);
  g_free (entry->hash);
  g_free (entry);
}

GPtrArray *
dvr_catalog_list_audit (DvrCatalog *catalog, gint64 after_id, guint limit, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_events (catalog))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_audit_entry_free);
  if (!catalog_prepare (catalog,
          "SELECT id, utc_ns, action, detail, prev_hash, hash FROM audit "
          "WHERE id > ?1 ORDER BY id LIMIT ?2", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, after_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1) != SQLITE_OK) {
    catalog_fail (catalog, error, "list audit");
    return NULL;
  }
  return catalog_collect (catalog, stmt, audit_entry_from_row,
      (GDestroyNotify) dvr_audit_entry_free, "list audit", error);
}

DvrAuditEntry *
dvr_catalog_get_last_audit (DvrCatalog *catalog, const gchar *action, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_events (catalog))
    return NULL;
  if (!catalog_prepare (catalog,
          "SELECT id, utc_ns, action, detail, prev_hash, hash FROM audit "
          "WHERE ?1 IS NULL OR action = ?1 ORDER BY id DESC LIMIT 1", &stmt) ||
      sqlite3_bind_text (stmt, 1, action, -1, SQLITE_STATIC) != SQLITE_OK) {
    catalog_fail (catalog, error, "read last audit %s", action != NULL ? action : "row");
    return NULL;
  }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return audit_entry_from_row (stmt);
  if (rc != SQLITE_DONE)
    catalog_fail (catalog, error, "read last audit %s", action != NULL ? action : "row");
  return NULL;
}

gchar *
dvr_catalog_get_audit_head (DvrCatalog *catalog, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_events (catalog))
    return g_strdup (AUDIT_GENESIS);
  if (!catalog_prepare (catalog, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1", &stmt)) {
    catalog_fail (catalog, error, "read audit head");
    return NULL;
  }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return g_strdup (AUDIT_GENESIS);
  if (rc != SQLITE_ROW) {
    catalog_fail (catalog, error, "read audit head");
    return NULL;
  }
  return column_dup (stmt, 0);
}

/* Streams the table rather than loading it: a vehicle's log grows by a row
 * per deleted segment. */
gboolean
dvr_catalog_verify_audit (DvrCatalog *catalog, guint64 *n_rows, gint64 *first_bad_id,
                          GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *expected_prev = g_strdup (AUDIT_GENESIS);
  gint64 prev_id = 0;
  guint64 rows = 0;

  g_return_val_if_fail (catalog != NULL, FALSE);

  if (n_rows != NULL)
    *n_rows = 0;
  if (first_bad_id != NULL)
    *first_bad_id = 0;
  if (!catalog_has_events (catalog))
    return TRUE;
  if (!catalog_prepare (catalog,
          "SELECT id, utc_ns, action, detail, prev_hash, hash FROM audit ORDER BY id", &stmt))
    return catalog_fail (catalog, error, "verify audit");
  for (;;) {
    int rc = sqlite3_step (stmt);
    g_autoptr (DvrAuditEntry) entry = NULL;
    g_autofree gchar *hash = NULL;
    const gchar *problem = NULL;

    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      return catalog_fail (catalog, error, "verify audit");
    entry = audit_entry_from_row (stmt);
    rows++;
    if (entry->action == NULL || entry->detail == NULL || entry->prev_hash == NULL ||
        entry->hash == NULL)
      problem = "a field is missing";
    else if (g_strcmp0 (entry->prev_hash, expected_prev) != 0)
      problem = prev_id == 0 ?
          "prev_hash is not the start of the chain (rows before it were removed)" :
          "prev_hash does not match the row before it (a row was removed, inserted or changed)";
    else if ((hash = audit_compute_hash (entry->prev_hash, entry->id, entry->utc_ns,
                                         entry->action, entry->detail)) == NULL ||
             g_strcmp0 (hash, entry->hash) != 0)
      problem = "its contents do not match its hash (the row was changed)";
    if (problem != NULL) {
      if (first_bad_id != NULL)
        *first_bad_id = entry->id;
      if (n_rows != NULL)
        *n_rows = rows;
      if (prev_id != 0 && g_str_has_prefix (problem, "prev_hash does not match"))
        g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_AUDIT_BROKEN,
            "audit row %" G_GINT64_FORMAT " (%s): prev_hash does not match the hash of "
            "row %" G_GINT64_FORMAT " before it (a row was removed, inserted or changed)",
            entry->id, entry->action != NULL ? entry->action : "?", prev_id);
      else
        g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_AUDIT_BROKEN,
            "audit row %" G_GINT64_FORMAT " (%s): %s",
            entry->id, entry->action != NULL ? entry->action : "?", problem);
      return FALSE;
    }
    g_free (expected_prev);
    expected_prev = g_strdup (entry->hash);
    prev_id = entry->id;
  }
  if (n_rows != NULL)
    *n_rows = rows;
  return TRUE;
}

gchar *
dvr_catalog_audit_problem (const gchar *problem, const gchar *row)
{
  g_autofree gchar *prefix = g_strdup_printf ("row %s", row);
  const gchar *p = g_str_has_prefix (problem, "audit ") ? problem + strlen ("audit ") : problem;
  const gchar *close;

  if (!g_str_has_prefix (p, prefix))
    return g_strdup (problem);
  p += strlen (prefix);
  if (g_str_has_prefix (p, ": "))
    return g_strdup (p + 2);
  if (g_str_has_prefix (p, " (") && (close = strstr (p, "): ")) != NULL)
    return g_strdup_printf ("%.*s: %s", (int) (close - p - 2), p + 2, close + 3);
  return g_strdup (problem);
}

/* ---- events ---- */

const gchar *
dvr_event_kind_to_string (DvrEventKind kind)
{
  switch (kind) {
  case DVR_EVENT_KIND_TRIGGER:
    return "trigger";
  case DVR_EVENT_KIND_MANUAL:
    return "manual";
  case DVR_EVENT_KIND_AFTER_THE_FACT:
    return "after-the-fact";
  }
  return NULL;
}

/* Unknown strings read as TRIGGER: the kind only says how it started. */
DvrEventKind
dvr_event_kind_from_string (const gchar *str)
{
  if (g_strcmp0 (str, "manual") == 0)
    return DVR_EVENT_KIND_MANUAL;
  if (g_strcmp0 (str, "after-the-fact") == 0)
    return DVR_EVENT_KIND_AFTER_THE_FACT;
  return DVR_EVENT_KIND_TRIGGER;
}

DvrEventWindow *
dvr_event_window_new (const gchar *camera, gint64 from_utc_ns, gint64 to_utc_ns)
{
  DvrEventWindow *window = g_new0 (DvrEventWindow, 1);

  window->camera = g_strdup (camera);
  window->from_utc_ns = from_utc_ns;
  window->to_utc_ns = to_utc_ns;
  return window;
}

void
dvr_event_window_free (DvrEventWindow *window)
{
  if (window == NULL)
    return;
  g_free (window->camera);
  g_free (window);
}

DvrEventTrigger *
dvr_event_trigger_new (gint64 utc_ns, const gchar *action, const gchar *source,
                       const gchar *detail)
{
  DvrEventTrigger *trigger = g_new0 (DvrEventTrigger, 1);

  trigger->utc_ns = utc_ns;
  trigger->action = g_strdup (action);
  trigger->source = g_strdup (source);
  trigger->detail = g_strdup (detail);
  return trigger;
}

void
dvr_event_trigger_free (DvrEventTrigger *trigger)
{
  if (trigger == NULL)
    return;
  g_free (trigger->action);
  g_free (trigger->source);
  g_free (trigger->detail);
  g_free (trigger);
}

DvrEvent *
dvr_event_new (void)
{
  DvrEvent *event = g_new0 (DvrEvent, 1);

  event->end_utc_ns = -1;
  event->windows = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);
  event->triggers = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_trigger_free);
  return event;
}

void
dvr_event_free (DvrEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->reason);
  g_free (event->stop_reason);
  g_free (event->category);
  g_free (event->case_number);
  g_free (event->notes);
  g_clear_pointer (&event->windows, g_ptr_array_unref);
  g_clear_pointer (&event->triggers, g_ptr_array_unref);
  g_free (event);
}

/* Links the segment just inserted to every event whose window on its camera
 * it overlaps. */
gboolean
catalog_link_segment (DvrCatalog *self, const DvrSegment *segment, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!catalog_prepare (self,
          "INSERT OR IGNORE INTO evidence (segment_id, event_id) "
          "SELECT s.id, w.event_id FROM segments s "
          "JOIN event_windows w ON w.camera_id = s.camera_id "
          "WHERE s.id = ?1 AND s.start_utc_ns < coalesce (w.to_utc_ns, " OPEN_END ") "
          "  AND s.end_utc_ns > w.from_utc_ns", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, segment->id) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (self, error, "link segment %s to events", segment->path);
  return TRUE;
}

/* Links every catalogued segment overlapping one of @event_id's windows. */
gboolean
catalog_link_event (DvrCatalog *self, gint64 event_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  /* The lower bound on start keeps this a range of the (camera, start)
   * index: without it a running window (no end) reads every row of the
   * camera, 120 ms at 100 000 segments (docs/benchmarks.md). */
  if (!catalog_prepare (self,
          "INSERT OR IGNORE INTO evidence (segment_id, event_id) "
          "SELECT s.id, w.event_id FROM event_windows w "
          "JOIN segments s ON s.camera_id = w.camera_id "
          "WHERE w.event_id = ?1 "
          "  AND s.start_utc_ns >= w.from_utc_ns - ?2 "
          "  AND s.start_utc_ns < coalesce (w.to_utc_ns, " OPEN_END ") "
          "  AND s.end_utc_ns > w.from_utc_ns", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, event_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, catalog_get_max_span (self)) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (self, error, "link segments to event %" G_GINT64_FORMAT, event_id);
  return TRUE;
}

static gboolean
catalog_insert_trigger (DvrCatalog *self, gint64 event_id, const DvrEventTrigger *trigger,
                        GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!catalog_prepare (self,
          "INSERT INTO event_triggers (event_id, utc_ns, action, source, detail) "
          "VALUES (?1, ?2, ?3, ?4, ?5)", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, event_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, trigger->utc_ns) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, trigger->action, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 4, trigger->source, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 5, trigger->detail, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (self, error, "add trigger %s to event %" G_GINT64_FORMAT,
        trigger->action, event_id);
  return TRUE;
}

static void
detail_add_trigger (JsonBuilder *b, const DvrEventTrigger *trigger)
{
  detail_add_time (b, "time", trigger->utc_ns);
  detail_add_string (b, "action", trigger->action);
  detail_add_string (b, "source", trigger->source);
  if (trigger->detail != NULL)
    detail_add_string (b, "detail", trigger->detail);
}

/* @with_from: FALSE where only the windows' ends change (ending an event). */
static void
detail_add_windows (JsonBuilder *b, GPtrArray *windows, gboolean with_from)
{
  json_builder_set_member_name (b, "windows");
  json_builder_begin_array (b);
  for (guint i = 0; windows != NULL && i < windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (windows, i);
    json_builder_begin_object (b);
    detail_add_string (b, "camera", window->camera);
    if (with_from)
      detail_add_time (b, "from", window->from_utc_ns);
    detail_add_time (b, "to", window->to_utc_ns);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

gboolean
dvr_catalog_add_event (DvrCatalog *catalog, DvrEvent *event, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  const gchar *action;
  gint64 event_id;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (event != NULL && event->reason != NULL, FALSE);

  if (!catalog_require_events (catalog, "add event", error) ||
      !catalog_begin (catalog, "add event", error))
    return FALSE;
  if (!catalog_prepare (catalog,
          "INSERT INTO events (run_id, kind, start_utc_ns, end_utc_ns, reason, stop_reason,"
          "  category, case_number, notes) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &stmt) ||
      (event->run_id > 0 ? sqlite3_bind_int64 (stmt, 1, event->run_id) :
                           sqlite3_bind_null (stmt, 1)) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, dvr_event_kind_to_string (event->kind), -1,
          SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, event->start_utc_ns) != SQLITE_OK ||
      bind_int64_or_null (stmt, 4, event->end_utc_ns, -1) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 5, event->reason, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 6, event->stop_reason, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 7, event->category, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 8, event->case_number, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 9, event->notes, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt)) {
    catalog_fail (catalog, error, "add event");
    catalog_rollback (catalog);
    return FALSE;
  }
  event_id = sqlite3_last_insert_rowid (catalog->db);

  for (guint i = 0; i < event->windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (event->windows, i);
    g_autoptr (sqlite3_stmt) w = NULL;
    g_autofree gchar *what = g_strdup_printf ("add window of camera %s to event", window->camera);
    if (!catalog_prepare (catalog,
            "INSERT INTO event_windows (event_id, camera_id, from_utc_ns, to_utc_ns) "
            "SELECT ?1, id, ?3, ?4 FROM cameras WHERE name = ?2", &w) ||
        sqlite3_bind_int64 (w, 1, event_id) != SQLITE_OK ||
        sqlite3_bind_text (w, 2, window->camera, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64 (w, 3, window->from_utc_ns) != SQLITE_OK ||
        bind_int64_or_null (w, 4, window->to_utc_ns, -1) != SQLITE_OK ||
        !catalog_step_done (w)) {
      catalog_fail (catalog, error, "%s", what);
      catalog_rollback (catalog);
      return FALSE;
    }
    if (sqlite3_changes (catalog->db) == 0) {
      catalog_rollback (catalog);
      return catalog_set_no_camera (error, what, window->camera);
    }
  }
  for (guint i = 0; i < event->triggers->len; i++) {
    if (!catalog_insert_trigger (catalog, event_id, g_ptr_array_index (event->triggers, i),
                                 error)) {
      catalog_rollback (catalog);
      return FALSE;
    }
  }
  if (!catalog_link_event (catalog, event_id, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }

  action = event->kind == DVR_EVENT_KIND_AFTER_THE_FACT ? "event-create" : "event-start";
  json_builder_begin_object (b);
  detail_add_int (b, "event", event_id);
  detail_add_string (b, "kind", dvr_event_kind_to_string (event->kind));
  detail_add_time (b, "start", event->start_utc_ns);
  detail_add_time (b, "end", event->end_utc_ns);
  detail_add_string (b, "reason", event->reason);
  detail_add_windows (b, event->windows, TRUE);
  json_builder_set_member_name (b, "triggers");
  json_builder_begin_array (b);
  for (guint i = 0; i < event->triggers->len; i++) {
    json_builder_begin_object (b);
    detail_add_trigger (b, g_ptr_array_index (event->triggers, i));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  detail = detail_finish (b);
  if (!catalog_audit_append (catalog, utc_now_ns (), action, detail, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  if (!catalog_commit (catalog, "add event", error))
    return FALSE;
  event->id = event_id;
  return TRUE;
}

static gboolean
catalog_event_exists (DvrCatalog *self, gint64 event_id, const gchar *what, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  if (!catalog_prepare (self, "SELECT 1 FROM events WHERE id = ?1", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, event_id) != SQLITE_OK)
    return catalog_fail (self, error, "%s", what);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    return catalog_fail (self, error, "%s", what);
  g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
      "%s: no event %" G_GINT64_FORMAT, what, event_id);
  return FALSE;
}

gboolean
dvr_catalog_add_event_trigger (DvrCatalog *catalog, gint64 event_id,
                               const DvrEventTrigger *trigger, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  g_autofree gchar *what = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (trigger != NULL && trigger->action != NULL && trigger->source != NULL,
      FALSE);

  what = g_strdup_printf ("add trigger to event %" G_GINT64_FORMAT, event_id);
  if (!catalog_require_events (catalog, what, error) || !catalog_begin (catalog, what, error))
    return FALSE;
  json_builder_begin_object (b);
  detail_add_int (b, "event", event_id);
  detail_add_trigger (b, trigger);
  detail = detail_finish (b);
  if (!catalog_event_exists (catalog, event_id, what, error) ||
      !catalog_insert_trigger (catalog, event_id, trigger, error) ||
      !catalog_audit_append (catalog, utc_now_ns (), "event-trigger", detail, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  return catalog_commit (catalog, what, error);
}

gboolean
dvr_catalog_end_event (DvrCatalog *catalog, gint64 event_id, gint64 end_utc_ns,
                       GPtrArray *windows, const gchar *stop_reason, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  g_autofree gchar *what = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (stop_reason != NULL, FALSE);

  what = g_strdup_printf ("end event %" G_GINT64_FORMAT, event_id);
  if (!catalog_require_events (catalog, what, error) || !catalog_begin (catalog, what, error))
    return FALSE;
  if (!catalog_event_exists (catalog, event_id, what, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  if (!catalog_prepare (catalog,
          "UPDATE events SET end_utc_ns = ?2, stop_reason = ?3 WHERE id = ?1", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, event_id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, end_utc_ns) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 3, stop_reason, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt)) {
    catalog_fail (catalog, error, "%s", what);
    catalog_rollback (catalog);
    return FALSE;
  }
  for (guint i = 0; windows != NULL && i < windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (windows, i);
    g_autoptr (sqlite3_stmt) w = NULL;
    if (!catalog_prepare (catalog,
            "UPDATE event_windows SET to_utc_ns = ?3 "
            "WHERE event_id = ?1 AND camera_id = (SELECT id FROM cameras WHERE name = ?2)", &w) ||
        sqlite3_bind_int64 (w, 1, event_id) != SQLITE_OK ||
        sqlite3_bind_text (w, 2, window->camera, -1, SQLITE_STATIC) != SQLITE_OK ||
        bind_int64_or_null (w, 3, window->to_utc_ns, -1) != SQLITE_OK ||
        !catalog_step_done (w)) {
      catalog_fail (catalog, error, "%s: window of camera %s", what, window->camera);
      catalog_rollback (catalog);
      return FALSE;
    }
  }
  json_builder_begin_object (b);
  detail_add_int (b, "event", event_id);
  detail_add_time (b, "end", end_utc_ns);
  detail_add_string (b, "stop_reason", stop_reason);
  detail_add_windows (b, windows, FALSE);
  detail = detail_finish (b);
  if (!catalog_audit_append (catalog, utc_now_ns (), "event-stop", detail, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  return catalog_commit (catalog, what, error);
}

gboolean
dvr_catalog_resume_event (DvrCatalog *catalog, gint64 event_id, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  g_autofree gchar *what = NULL;
  g_autofree gchar *sql = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);

  what = g_strdup_printf ("resume event %" G_GINT64_FORMAT, event_id);
  if (!catalog_require_events (catalog, what, error) || !catalog_begin (catalog, what, error))
    return FALSE;
  sql = g_strdup_printf (
      "UPDATE events SET end_utc_ns = NULL, stop_reason = NULL WHERE id = %" G_GINT64_FORMAT ";"
      "UPDATE event_windows SET to_utc_ns = NULL WHERE event_id = %" G_GINT64_FORMAT ";",
      event_id, event_id);
  json_builder_begin_object (b);
  detail_add_int (b, "event", event_id);
  detail = detail_finish (b);
  if (!catalog_event_exists (catalog, event_id, what, error) ||
      !catalog_exec (catalog, sql, what, error) ||
      !catalog_link_event (catalog, event_id, error) ||
      !catalog_audit_append (catalog, utc_now_ns (), "event-resume", detail, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  return catalog_commit (catalog, what, error);
}

static gpointer
event_from_row (sqlite3_stmt *stmt)
{
  DvrEvent *event = dvr_event_new ();

  event->id = sqlite3_column_int64 (stmt, 0);
  event->run_id = column_int64_or (stmt, 1, 0);
  event->kind = dvr_event_kind_from_string ((const gchar *) sqlite3_column_text (stmt, 2));
  event->start_utc_ns = sqlite3_column_int64 (stmt, 3);
  event->end_utc_ns = column_int64_or (stmt, 4, -1);
  event->reason = column_dup (stmt, 5);
  event->stop_reason = column_dup (stmt, 6);
  event->category = column_dup (stmt, 7);
  event->case_number = column_dup (stmt, 8);
  event->notes = column_dup (stmt, 9);
  return event;
}

#define EVENT_COLUMNS \
  "id, run_id, kind, start_utc_ns, end_utc_ns, reason, stop_reason, category, case_number, notes"

static gpointer
window_from_row (sqlite3_stmt *stmt)
{
  DvrEventWindow *window = dvr_event_window_new ((const gchar *) sqlite3_column_text (stmt, 0),
      sqlite3_column_int64 (stmt, 1), column_int64_or (stmt, 2, -1));

  window->n_segments = (guint) sqlite3_column_int64 (stmt, 3);
  window->bytes = (guint64) sqlite3_column_int64 (stmt, 4);
  return window;
}

static gpointer
trigger_from_row (sqlite3_stmt *stmt)
{
  DvrEventTrigger *trigger = dvr_event_trigger_new (sqlite3_column_int64 (stmt, 1),
      (const gchar *) sqlite3_column_text (stmt, 2),
      (const gchar *) sqlite3_column_text (stmt, 3),
      (const gchar *) sqlite3_column_text (stmt, 4));

  trigger->id = sqlite3_column_int64 (stmt, 0);
  return trigger;
}

/* Fills @event's windows (with their evidence counts) and triggers. */
static gboolean
catalog_fill_event (DvrCatalog *self, DvrEvent *event, GError **error)
{
  g_autoptr (sqlite3_stmt) windows = NULL;
  g_autoptr (sqlite3_stmt) triggers = NULL;
  g_autoptr (GPtrArray) w = NULL;
  g_autoptr (GPtrArray) t = NULL;

  if (!catalog_prepare (self,
          "SELECT c.name, w.from_utc_ns, w.to_utc_ns,"
          "  (SELECT count (*) FROM evidence e JOIN segments s ON s.id = e.segment_id"
          "   WHERE e.event_id = w.event_id AND s.camera_id = w.camera_id),"
          "  (SELECT ifnull (sum (s.bytes), 0) FROM evidence e JOIN segments s ON s.id = e.segment_id"
          "   WHERE e.event_id = w.event_id AND s.camera_id = w.camera_id) "
          "FROM event_windows w JOIN cameras c ON c.id = w.camera_id "
          "WHERE w.event_id = ?1 ORDER BY c.name", &windows) ||
      sqlite3_bind_int64 (windows, 1, event->id) != SQLITE_OK)
    return catalog_fail (self, error, "read windows of event %" G_GINT64_FORMAT, event->id);
  w = catalog_collect (self, windows, window_from_row, (GDestroyNotify) dvr_event_window_free,
      "read windows of event", error);
  if (w == NULL)
    return FALSE;
  if (!catalog_prepare (self,
          "SELECT id, utc_ns, action, source, detail FROM event_triggers "
          "WHERE event_id = ?1 ORDER BY utc_ns, id", &triggers) ||
      sqlite3_bind_int64 (triggers, 1, event->id) != SQLITE_OK)
    return catalog_fail (self, error, "read triggers of event %" G_GINT64_FORMAT, event->id);
  t = catalog_collect (self, triggers, trigger_from_row, (GDestroyNotify) dvr_event_trigger_free,
      "read triggers of event", error);
  if (t == NULL)
    return FALSE;
  g_ptr_array_unref (event->windows);
  event->windows = g_steal_pointer (&w);
  g_ptr_array_unref (event->triggers);
  event->triggers = g_steal_pointer (&t);
  return TRUE;
}

static GPtrArray *
catalog_list_events_where (DvrCatalog *self, const gchar *where, gint64 a, gint64 b,
                           GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree gchar *sql = NULL;

  if (!catalog_has_events (self))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_free);
  sql = g_strdup_printf ("SELECT " EVENT_COLUMNS " FROM events WHERE %s "
      "ORDER BY start_utc_ns, id", where);
  if (!catalog_prepare (self, sql, &stmt) ||
      sqlite3_bind_int64 (stmt, 1, a) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, b) != SQLITE_OK) {
    catalog_fail (self, error, "list events");
    return NULL;
  }
  events = catalog_collect (self, stmt, event_from_row, (GDestroyNotify) dvr_event_free,
      "list events", error);
  if (events == NULL)
    return NULL;
  for (guint i = 0; i < events->len; i++) {
    if (!catalog_fill_event (self, g_ptr_array_index (events, i), error))
      return NULL;
  }
  return g_steal_pointer (&events);
}

DvrEvent *
dvr_catalog_get_event (DvrCatalog *catalog, gint64 event_id, GError **error)
{
  g_autoptr (GPtrArray) events = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  events = catalog_list_events_where (catalog, "id = ?1 AND ?2 = ?2", event_id, 0, error);
  if (events == NULL)
    return NULL;
  if (events->len == 0) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
        "no event %" G_GINT64_FORMAT, event_id);
    return NULL;
  }
  return g_ptr_array_steal_index (events, 0);
}

GPtrArray *
dvr_catalog_list_events (DvrCatalog *catalog, gint64 from_utc_ns, gint64 to_utc_ns,
                         GError **error)
{
  g_return_val_if_fail (catalog != NULL, NULL);

  return catalog_list_events_where (catalog,
      "start_utc_ns < ?2 AND coalesce (end_utc_ns, " OPEN_END ") >= ?1",
      from_utc_ns, to_utc_ns, error);
}

GPtrArray *
dvr_catalog_list_running_events (DvrCatalog *catalog, GError **error)
{
  g_return_val_if_fail (catalog != NULL, NULL);

  return catalog_list_events_where (catalog, "end_utc_ns IS NULL AND ?1 = ?2", 0, 0, error);
}

GPtrArray *
dvr_catalog_list_event_segments (DvrCatalog *catalog, gint64 event_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *sql = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_events (catalog))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_segment_free);
  sql = g_strdup_printf ("SELECT " SEGMENT_COLUMNS "%s FROM evidence e "
      "JOIN segments s ON s.id = e.segment_id JOIN cameras c ON c.id = s.camera_id "
      "WHERE e.event_id = ?1 ORDER BY c.name, s.start_utc_ns, s.id",
      segment_offset_column (catalog));
  if (!catalog_prepare (catalog, sql, &stmt) ||
      sqlite3_bind_int64 (stmt, 1, event_id) != SQLITE_OK) {
    catalog_fail (catalog, error, "list segments of event %" G_GINT64_FORMAT, event_id);
    return NULL;
  }
  return catalog_collect (catalog, stmt, segment_from_row,
      (GDestroyNotify) dvr_segment_free, "list segments of event", error);
}

/* Reads one text column of an event, NULL if SQL NULL. */
static gboolean
catalog_get_event_text (DvrCatalog *self, gint64 event_id, const gchar *column,
                        gchar **value, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *sql = g_strdup_printf ("SELECT %s FROM events WHERE id = ?1", column);

  if (!catalog_prepare (self, sql, &stmt) ||
      sqlite3_bind_int64 (stmt, 1, event_id) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    return catalog_fail (self, error, "read %s of event %" G_GINT64_FORMAT, column, event_id);
  *value = column_dup (stmt, 0);
  return TRUE;
}

gboolean
dvr_catalog_set_event_info (DvrCatalog *catalog, gint64 event_id, const gchar *category,
                            const gchar *case_number, const gchar *notes, GError **error)
{
  static const gchar *const columns[] = { "category", "case_number", "notes" };
  const gchar *values[] = { category, case_number, notes };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  g_autofree gchar *what = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);

  what = g_strdup_printf ("update event %" G_GINT64_FORMAT, event_id);
  if (!catalog_require_events (catalog, what, error) || !catalog_begin (catalog, what, error))
    return FALSE;
  if (!catalog_event_exists (catalog, event_id, what, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  json_builder_begin_object (b);
  detail_add_int (b, "event", event_id);
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++) {
    g_autofree gchar *old = NULL;
    g_autoptr (sqlite3_stmt) stmt = NULL;
    g_autofree gchar *sql = NULL;
    const gchar *value = values[i] != NULL && *values[i] != '\0' ? values[i] : NULL;

    if (values[i] == NULL)
      continue;
    if (!catalog_get_event_text (catalog, event_id, columns[i], &old, error)) {
      catalog_rollback (catalog);
      return FALSE;
    }
    sql = g_strdup_printf ("UPDATE events SET %s = ?2 WHERE id = ?1", columns[i]);
    if (!catalog_prepare (catalog, sql, &stmt) ||
        sqlite3_bind_int64 (stmt, 1, event_id) != SQLITE_OK ||
        sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC) != SQLITE_OK ||
        !catalog_step_done (stmt)) {
      catalog_fail (catalog, error, "%s: %s", what, columns[i]);
      catalog_rollback (catalog);
      return FALSE;
    }
    json_builder_set_member_name (b, columns[i]);
    json_builder_begin_object (b);
    detail_add_string (b, "old", old);
    detail_add_string (b, "new", value);
    json_builder_end_object (b);
  }
  detail = detail_finish (b);
  if (!catalog_audit_append (catalog, utc_now_ns (), "event-update", detail, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  return catalog_commit (catalog, what, error);
}

/* ---- retention ---- */

GPtrArray *
dvr_catalog_list_ring_segments (DvrCatalog *catalog, guint limit, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *sql = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_require_events (catalog, "list ring segments", error))
    return NULL;
  /* The start index gives the oldest first; NOT EXISTS is one lookup in
   * evidence's primary key per segment passed over. */
  sql = g_strdup_printf ("SELECT " SEGMENT_COLUMNS "%s FROM segments s "
      "JOIN cameras c ON c.id = s.camera_id "
      "WHERE NOT EXISTS (SELECT 1 FROM evidence e WHERE e.segment_id = s.id) "
      "ORDER BY s.start_utc_ns, s.id LIMIT ?1", segment_offset_column (catalog));
  if (!catalog_prepare (catalog, sql, &stmt) ||
      sqlite3_bind_int64 (stmt, 1, limit) != SQLITE_OK) {
    catalog_fail (catalog, error, "list ring segments");
    return NULL;
  }
  return catalog_collect (catalog, stmt, segment_from_row,
      (GDestroyNotify) dvr_segment_free, "list ring segments", error);
}

/* Count and bytes of the rows one query gives. */
static gboolean
catalog_count_bytes (DvrCatalog *self, const gchar *sql, guint64 *count, guint64 *bytes,
                     GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!catalog_prepare (self, sql, &stmt) || sqlite3_step (stmt) != SQLITE_ROW)
    return catalog_fail (self, error, "read storage usage");
  *count = (guint64) sqlite3_column_int64 (stmt, 0);
  if (bytes != NULL)
    *bytes = (guint64) sqlite3_column_int64 (stmt, 1);
  return TRUE;
}

/* Totals are kept by this connection; evidence is counted each time, a
 * scan of the evidence only (10 ms for 11 000 evidence segments). */
gboolean
dvr_catalog_get_usage (DvrCatalog *catalog, DvrCatalogUsage *usage, GError **error)
{
  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (usage != NULL, FALSE);

  memset (usage, 0, sizeof (*usage));
  if (!catalog_require_events (catalog, "read storage usage", error))
    return FALSE;
  if (!catalog->totals_known || catalog->read_only) {
    if (!catalog_count_bytes (catalog, "SELECT count (*), ifnull (sum (bytes), 0) FROM segments",
                              &catalog->total_segments, &catalog->total_bytes, error))
      return FALSE;
    catalog->totals_known = !catalog->read_only;
  }
  if (!catalog_count_bytes (catalog,
          "SELECT count (*), ifnull (sum (s.bytes), 0) FROM segments s "
          "WHERE s.id IN (SELECT segment_id FROM evidence)",
          &usage->evidence_segments, &usage->evidence_bytes, error) ||
      !catalog_count_bytes (catalog, "SELECT count (*) FROM garbage", &usage->garbage, NULL,
                            error))
    return FALSE;
  usage->ring_segments = catalog->total_segments - MIN (usage->evidence_segments,
      catalog->total_segments);
  usage->ring_bytes = catalog->total_bytes - MIN (usage->evidence_bytes, catalog->total_bytes);
  return TRUE;
}

typedef struct {
  sqlite3_stmt *select;
  sqlite3_stmt *insert;
  sqlite3_stmt *delete;
} GarbageStatements;

static void
garbage_statements_clear (GarbageStatements *g)
{
  g_clear_pointer (&g->select, sqlite3_finalize);
  g_clear_pointer (&g->insert, sqlite3_finalize);
  g_clear_pointer (&g->delete, sqlite3_finalize);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GarbageStatements, garbage_statements_clear)

/* Moves one segment to garbage inside the caller's transaction.  *@path is
 * NULL (and TRUE returned) when the segment is gone or is evidence. */
static gboolean
catalog_garbage_one (DvrCatalog *self, GarbageStatements *g, gint64 segment_id,
                     const gchar *reason, gint64 now, gchar **path, guint64 *bytes,
                     GError **error)
{
  g_autoptr (JsonBuilder) b = NULL;
  g_autofree gchar *detail = NULL;
  int rc;

  *path = NULL;
  sqlite3_reset (g->select);
  sqlite3_reset (g->insert);
  sqlite3_reset (g->delete);
  if (sqlite3_bind_int64 (g->select, 1, segment_id) != SQLITE_OK)
    return catalog_fail (self, error, "delete segment %" G_GINT64_FORMAT, segment_id);
  rc = sqlite3_step (g->select);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return catalog_fail (self, error, "delete segment %" G_GINT64_FORMAT, segment_id);
  *path = column_dup (g->select, 0);
  *bytes = (guint64) sqlite3_column_int64 (g->select, 4);
  b = json_builder_new ();
  json_builder_begin_object (b);
  detail_add_string (b, "path", *path);
  detail_add_string (b, "camera", (const gchar *) sqlite3_column_text (g->select, 1));
  detail_add_time (b, "start", sqlite3_column_int64 (g->select, 2));
  detail_add_time (b, "end", sqlite3_column_int64 (g->select, 3));
  detail_add_int (b, "bytes", sqlite3_column_int64 (g->select, 4));
  detail_add_int (b, "frames", sqlite3_column_int64 (g->select, 6));
  detail_add_string (b, "sha256", (const gchar *) sqlite3_column_text (g->select, 5));
  detail_add_string (b, "reason", reason);
  detail = detail_finish (b);
  if (sqlite3_bind_text (g->insert, 1, *path, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (g->insert, 2, reason, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (g->insert, 3, now) != SQLITE_OK ||
      !catalog_step_done (g->insert) ||
      sqlite3_bind_int64 (g->delete, 1, segment_id) != SQLITE_OK ||
      !catalog_step_done (g->delete))
    return catalog_fail (self, error, "delete segment %s", *path);
  return catalog_audit_append (self, now, "delete", detail, error);
}

GPtrArray *
dvr_catalog_collect_garbage (DvrCatalog *catalog, const gint64 *segment_ids,
                             guint n_segment_ids, const gchar *reason, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_auto (GarbageStatements) g = { NULL, };
  gint64 now = utc_now_ns ();
  guint64 deleted_bytes = 0;

  g_return_val_if_fail (catalog != NULL, NULL);
  g_return_val_if_fail (reason != NULL, NULL);

  if (!catalog_require_events (catalog, "delete segments", error) ||
      !catalog_begin (catalog, "delete segments", error))
    return NULL;
  if (!catalog_prepare (catalog,
          "SELECT s.path, c.name, s.start_utc_ns, s.end_utc_ns, s.bytes, s.sha256, s.frames "
          "FROM segments s JOIN cameras c ON c.id = s.camera_id WHERE s.id = ?1 "
          "AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.segment_id = s.id)", &g.select) ||
      !catalog_prepare (catalog,
          "INSERT INTO garbage (path, reason, utc_ns) VALUES (?1, ?2, ?3)", &g.insert) ||
      !catalog_prepare (catalog, "DELETE FROM segments WHERE id = ?1", &g.delete)) {
    catalog_fail (catalog, error, "delete segments");
    catalog_rollback (catalog);
    return NULL;
  }
  for (guint i = 0; i < n_segment_ids; i++) {
    gchar *path = NULL;
    guint64 bytes = 0;
    if (!catalog_garbage_one (catalog, &g, segment_ids[i], reason, now, &path, &bytes, error)) {
      g_free (path);
      catalog_rollback (catalog);
      return NULL;
    }
    if (path != NULL) {
      g_ptr_array_add (paths, path);
      deleted_bytes += bytes;
    }
  }
  garbage_statements_clear (&g);
  if (!catalog_commit (catalog, "delete segments", error))
    return NULL;
  catalog_note_segments_removed (catalog, paths->len, deleted_bytes);
  return g_steal_pointer (&paths);
}

GPtrArray *
dvr_catalog_list_garbage (DvrCatalog *catalog, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_events (catalog))
    return g_steal_pointer (&paths);
  if (!catalog_prepare (catalog, "SELECT path FROM garbage ORDER BY id", &stmt)) {
    catalog_fail (catalog, error, "list garbage");
    return NULL;
  }
  for (;;) {
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      catalog_fail (catalog, error, "list garbage");
      return NULL;
    }
    g_ptr_array_add (paths, column_dup (stmt, 0));
  }
  return g_steal_pointer (&paths);
}

gboolean
dvr_catalog_drop_garbage (DvrCatalog *catalog, const gchar *path, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!catalog_require_events (catalog, "drop garbage", error))
    return FALSE;
  if (!catalog_prepare (catalog, "DELETE FROM garbage WHERE path = ?1", &stmt) ||
      sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt))
    return catalog_fail (catalog, error, "drop garbage %s", path);
  return TRUE;
}

/* ---- audit excerpts (exports) ---- */

GPtrArray *
dvr_catalog_list_audit_about (DvrCatalog *catalog, gint64 event_id, gint64 from_utc_ns,
                              gint64 to_utc_ns, const gchar * const *paths, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (
      (GDestroyNotify) dvr_audit_entry_free);
  g_autoptr (GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_events (catalog))
    return g_steal_pointer (&rows);
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    g_hash_table_add (wanted, (gpointer) paths[i]);
  /* CASE, not AND, guards the JSON functions: SQLite may evaluate AND's
   * operands in any order, and json_extract() of a detail that is not JSON
   * (a forged row) would fail the whole query. */
  if (!catalog_prepare (catalog,
          "SELECT id, utc_ns, action, detail, prev_hash, hash, "
          "  CASE WHEN json_valid (detail) AND json_type (detail, '$.path') = 'text' "
          "    THEN json_extract (detail, '$.path') END AS path, "
          "  (utc_ns >= ?1 AND utc_ns < ?2) OR "
          "  CASE WHEN ?3 > 0 AND json_valid (detail) THEN "
          "    json_extract (detail, '$.event') IS ?3 OR "
          "    EXISTS (SELECT 1 FROM json_each (detail, '$.events') WHERE value IS ?3) "
          "  ELSE 0 END AS about "
          "FROM audit WHERE about OR path IS NOT NULL ORDER BY id", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, from_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, to_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, event_id) != SQLITE_OK) {
    catalog_fail (catalog, error, "list audit rows of the export");
    return NULL;
  }
  for (;;) {
    int rc = sqlite3_step (stmt);
    const gchar *path;

    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      catalog_fail (catalog, error, "list audit rows of the export");
      return NULL;
    }
    path = (const gchar *) sqlite3_column_text (stmt, 6);
    if (sqlite3_column_int (stmt, 7) != 0 ||
        (path != NULL && g_hash_table_contains (wanted, path)))
      g_ptr_array_add (rows, audit_entry_from_row (stmt));
  }
  return g_steal_pointer (&rows);
}

/* ---- exports (schema 4) ---- */

static gboolean
catalog_has_exports (DvrCatalog *self)
{
  return self->schema_version >= 4;
}

static gboolean
catalog_require_exports (DvrCatalog *self, const gchar *what, GError **error)
{
  if (catalog_has_exports (self))
    return TRUE;
  g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED,
      "%s: catalog %s has schema version %d, without exports: open it read-write once "
      "to migrate it", what, self->path, self->schema_version);
  return FALSE;
}

DvrExport *
dvr_export_new (void)
{
  DvrExport *export = g_new0 (DvrExport, 1);

  export->cameras = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);
  export->segments = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_segment_free);
  return export;
}

void
dvr_export_free (DvrExport *export)
{
  if (export == NULL)
    return;
  g_clear_pointer (&export->cameras, g_ptr_array_unref);
  g_clear_pointer (&export->segments, g_ptr_array_unref);
  g_free (export->destination);
  g_free (export->manifest_sha256);
  g_free (export->key_fingerprint);
  g_free (export);
}

gboolean
dvr_export_covers_event (const DvrExport *export, const DvrEvent *event)
{
  g_return_val_if_fail (export != NULL && event != NULL, FALSE);

  if (event->end_utc_ns < 0 || event->windows->len == 0)
    return FALSE;
  for (guint i = 0; i < event->windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (event->windows, i);
    gboolean covered = FALSE;

    if (window->to_utc_ns < 0)
      return FALSE;
    for (guint j = 0; j < export->cameras->len && !covered; j++) {
      const DvrEventWindow *span = g_ptr_array_index (export->cameras, j);
      covered = g_strcmp0 (span->camera, window->camera) == 0 &&
          span->from_utc_ns <= window->from_utc_ns && span->to_utc_ns >= window->to_utc_ns;
    }
    if (!covered)
      return FALSE;
  }
  return TRUE;
}

/* The id of the export recorded for @manifest_sha256, 0 if none. */
static gint64
catalog_find_export (DvrCatalog *self, const gchar *manifest_sha256)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!catalog_prepare (self, "SELECT id FROM exports WHERE manifest_sha256 = ?1", &stmt) ||
      sqlite3_bind_text (stmt, 1, manifest_sha256, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return sqlite3_column_int64 (stmt, 0);
}

/* Inside the transaction of dvr_catalog_mark_exported(): the package's
 * source segment must be this catalog's, byte for byte as catalogued. */
static gboolean
catalog_insert_export_segment (DvrCatalog *self, gint64 export_id, const DvrSegment *segment,
                               GError **error)
{
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (sqlite3_stmt) insert = NULL;
  const gchar *sha256;
  int rc;

  if (segment->path == NULL || segment->sha256 == NULL) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_FAILED,
        "record export: a source segment without path or SHA-256");
    return FALSE;
  }
  if (!catalog_prepare (self, "SELECT sha256 FROM segments WHERE path = ?1", &select) ||
      sqlite3_bind_text (select, 1, segment->path, -1, SQLITE_STATIC) != SQLITE_OK)
    return catalog_fail (self, error, "record export: segment %s", segment->path);
  rc = sqlite3_step (select);
  if (rc == SQLITE_DONE) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
        "record export: source segment %s is not in the catalog", segment->path);
    return FALSE;
  }
  if (rc != SQLITE_ROW)
    return catalog_fail (self, error, "record export: segment %s", segment->path);
  sha256 = (const gchar *) sqlite3_column_text (select, 0);
  if (g_strcmp0 (sha256, segment->sha256) != 0) {
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND,
        "record export: source segment %s has SHA-256 %s in the catalog, %s in the export",
        segment->path, sha256, segment->sha256);
    return FALSE;
  }
  if (!catalog_prepare (self,
          "INSERT INTO export_segments (export_id, path, sha256) VALUES (?1, ?2, ?3)",
          &insert) ||
      sqlite3_bind_int64 (insert, 1, export_id) != SQLITE_OK ||
      sqlite3_bind_text (insert, 2, segment->path, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (insert, 3, segment->sha256, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (insert))
    return catalog_fail (self, error, "record export: segment %s", segment->path);
  return TRUE;
}

static gboolean
catalog_insert_export (DvrCatalog *self, DvrExport *export, gint64 now, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gint64 export_id;

  if (export->event_id > 0 &&
      !catalog_event_exists (self, export->event_id, "record export", error))
    return FALSE;
  if (!catalog_prepare (self,
          "INSERT INTO exports (utc_ns, created_utc_ns, event_id, from_utc_ns, to_utc_ns,"
          "  destination, manifest_sha256, key_fingerprint) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, now) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, export->created_utc_ns) != SQLITE_OK ||
      bind_int64_or_null (stmt, 3, export->event_id > 0 ? export->event_id : 0, 0) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 4, export->from_utc_ns) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 5, export->to_utc_ns) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 6, export->destination, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 7, export->manifest_sha256, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 8, export->key_fingerprint, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt)) {
    gint64 existing;

    if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_UNIQUE &&
        (existing = catalog_find_export (self, export->manifest_sha256)) > 0) {
      g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_EXISTS,
          "record export: this manifest (SHA-256 %s) is already recorded as export %"
          G_GINT64_FORMAT, export->manifest_sha256, existing);
      return FALSE;
    }
    return catalog_fail (self, error, "record export");
  }
  export_id = sqlite3_last_insert_rowid (self->db);

  for (guint i = 0; i < export->cameras->len; i++) {
    const DvrEventWindow *span = g_ptr_array_index (export->cameras, i);
    g_autoptr (sqlite3_stmt) c = NULL;
    g_autofree gchar *what = g_strdup_printf ("record export: camera %s", span->camera);

    if (!catalog_prepare (self,
            "INSERT INTO export_cameras (export_id, camera_id, from_utc_ns, to_utc_ns) "
            "SELECT ?1, id, ?3, ?4 FROM cameras WHERE name = ?2", &c) ||
        sqlite3_bind_int64 (c, 1, export_id) != SQLITE_OK ||
        sqlite3_bind_text (c, 2, span->camera, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64 (c, 3, span->from_utc_ns) != SQLITE_OK ||
        sqlite3_bind_int64 (c, 4, span->to_utc_ns) != SQLITE_OK ||
        !catalog_step_done (c))
      return catalog_fail (self, error, "%s", what);
    if (sqlite3_changes (self->db) == 0)
      return catalog_set_no_camera (error, "record export", span->camera);
  }
  for (guint i = 0; i < export->segments->len; i++) {
    if (!catalog_insert_export_segment (self, export_id, g_ptr_array_index (export->segments, i),
                                        error))
      return FALSE;
  }
  export->id = export_id;
  return TRUE;
}

gboolean
dvr_catalog_mark_exported (DvrCatalog *catalog, DvrExport *export, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  gint64 now = utc_now_ns ();
  guint64 bytes = 0;

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (export != NULL, FALSE);
  g_return_val_if_fail (export->destination != NULL && export->manifest_sha256 != NULL &&
      export->key_fingerprint != NULL, FALSE);

  if (!catalog_require_exports (catalog, "record export", error) ||
      !catalog_begin (catalog, "record export", error))
    return FALSE;
  if (!catalog_insert_export (catalog, export, now, error)) {
    export->id = 0;
    catalog_rollback (catalog);
    return FALSE;
  }
  for (guint i = 0; i < export->segments->len; i++)
    bytes += ((const DvrSegment *) g_ptr_array_index (export->segments, i))->bytes;
  json_builder_begin_object (b);
  detail_add_int (b, "export", export->id);
  json_builder_set_member_name (b, "event");
  if (export->event_id > 0)
    json_builder_add_int_value (b, export->event_id);
  else
    json_builder_add_null_value (b);
  detail_add_time (b, "from", export->from_utc_ns);
  detail_add_time (b, "to", export->to_utc_ns);
  json_builder_set_member_name (b, "cameras");
  json_builder_begin_array (b);
  for (guint i = 0; i < export->cameras->len; i++) {
    const DvrEventWindow *span = g_ptr_array_index (export->cameras, i);
    json_builder_begin_object (b);
    detail_add_string (b, "camera", span->camera);
    detail_add_time (b, "from", span->from_utc_ns);
    detail_add_time (b, "to", span->to_utc_ns);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  detail_add_int (b, "segments", export->segments->len);
  detail_add_int (b, "bytes", (gint64) bytes);
  detail_add_time (b, "created", export->created_utc_ns);
  detail_add_string (b, "manifest_sha256", export->manifest_sha256);
  detail_add_string (b, "key_fingerprint", export->key_fingerprint);
  detail_add_string (b, "destination", export->destination);
  detail = detail_finish (b);
  if (!catalog_audit_append (catalog, now, "export", detail, error)) {
    export->id = 0;
    catalog_rollback (catalog);
    return FALSE;
  }
  if (!catalog_commit (catalog, "record export", error)) {
    export->id = 0;
    return FALSE;
  }
  export->utc_ns = now;
  return TRUE;
}

static gpointer
export_from_row (sqlite3_stmt *stmt)
{
  DvrExport *export = dvr_export_new ();

  export->id = sqlite3_column_int64 (stmt, 0);
  export->utc_ns = sqlite3_column_int64 (stmt, 1);
  export->created_utc_ns = sqlite3_column_int64 (stmt, 2);
  export->event_id = column_int64_or (stmt, 3, 0);
  export->from_utc_ns = sqlite3_column_int64 (stmt, 4);
  export->to_utc_ns = sqlite3_column_int64 (stmt, 5);
  export->destination = column_dup (stmt, 6);
  export->manifest_sha256 = column_dup (stmt, 7);
  export->key_fingerprint = column_dup (stmt, 8);
  return export;
}

static gpointer
export_camera_from_row (sqlite3_stmt *stmt)
{
  return dvr_event_window_new ((const gchar *) sqlite3_column_text (stmt, 0),
      sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 2));
}

/* A source segment of an export; its row may be gone (reclaimed). */
static gpointer
export_segment_from_row (sqlite3_stmt *stmt)
{
  DvrSegment *segment = dvr_segment_new ();

  segment->path = column_dup (stmt, 0);
  segment->sha256 = column_dup (stmt, 1);
  segment->id = column_int64_or (stmt, 2, 0);
  segment->camera = column_dup (stmt, 3);
  segment->bytes = (guint64) column_int64_or (stmt, 4, 0);
  segment->start_utc_ns = column_int64_or (stmt, 5, 0);
  segment->end_utc_ns = column_int64_or (stmt, 6, 0);
  return segment;
}

static gboolean
catalog_fill_export (DvrCatalog *self, DvrExport *export, GError **error)
{
  g_autoptr (sqlite3_stmt) cameras = NULL;
  g_autoptr (sqlite3_stmt) segments = NULL;
  g_autoptr (GPtrArray) c = NULL;
  g_autoptr (GPtrArray) s = NULL;

  if (!catalog_prepare (self,
          "SELECT c.name, x.from_utc_ns, x.to_utc_ns FROM export_cameras x "
          "JOIN cameras c ON c.id = x.camera_id WHERE x.export_id = ?1 ORDER BY c.name",
          &cameras) ||
      sqlite3_bind_int64 (cameras, 1, export->id) != SQLITE_OK)
    return catalog_fail (self, error, "read cameras of export %" G_GINT64_FORMAT, export->id);
  c = catalog_collect (self, cameras, export_camera_from_row,
      (GDestroyNotify) dvr_event_window_free, "read cameras of export", error);
  if (c == NULL)
    return FALSE;
  if (!catalog_prepare (self,
          "SELECT x.path, x.sha256, s.id, c.name, s.bytes, s.start_utc_ns, s.end_utc_ns "
          "FROM export_segments x LEFT JOIN segments s ON s.path = x.path "
          "LEFT JOIN cameras c ON c.id = s.camera_id "
          "WHERE x.export_id = ?1 ORDER BY x.path", &segments) ||
      sqlite3_bind_int64 (segments, 1, export->id) != SQLITE_OK)
    return catalog_fail (self, error, "read segments of export %" G_GINT64_FORMAT, export->id);
  s = catalog_collect (self, segments, export_segment_from_row,
      (GDestroyNotify) dvr_segment_free, "read segments of export", error);
  if (s == NULL)
    return FALSE;
  g_ptr_array_unref (export->cameras);
  export->cameras = g_steal_pointer (&c);
  g_ptr_array_unref (export->segments);
  export->segments = g_steal_pointer (&s);
  return TRUE;
}

GPtrArray *
dvr_catalog_list_exports (DvrCatalog *catalog, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) exports = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_exports (catalog))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_export_free);
  if (!catalog_prepare (catalog,
          "SELECT id, utc_ns, created_utc_ns, event_id, from_utc_ns, to_utc_ns, destination,"
          "  manifest_sha256, key_fingerprint FROM exports ORDER BY id", &stmt)) {
    catalog_fail (catalog, error, "list exports");
    return NULL;
  }
  exports = catalog_collect (catalog, stmt, export_from_row, (GDestroyNotify) dvr_export_free,
      "list exports", error);
  if (exports == NULL)
    return NULL;
  for (guint i = 0; i < exports->len; i++) {
    if (!catalog_fill_export (catalog, g_ptr_array_index (exports, i), error))
      return NULL;
  }
  return g_steal_pointer (&exports);
}

/* ---- reclaiming exported evidence ---- */

/* The test of dvr_catalog_list_reclaimable_segments() on segment `s`: it
 * is evidence, it is in an export, and no event it is evidence of is
 * running (end or a window open) or lacks an export whose span, camera by
 * camera, holds each of its windows (dvr_export_covers_event()). */
#define RECLAIMABLE_WHERE \
  "EXISTS (SELECT 1 FROM evidence e WHERE e.segment_id = s.id) " \
  "AND EXISTS (SELECT 1 FROM export_segments xs WHERE xs.path = s.path " \
  "  AND xs.sha256 = s.sha256) " \
  "AND NOT EXISTS (SELECT 1 FROM evidence e JOIN events ev ON ev.id = e.event_id " \
  "  WHERE e.segment_id = s.id AND (ev.end_utc_ns IS NULL " \
  "    OR NOT EXISTS (SELECT 1 FROM event_windows w WHERE w.event_id = ev.id) " \
  "    OR EXISTS (SELECT 1 FROM event_windows w WHERE w.event_id = ev.id " \
  "      AND w.to_utc_ns IS NULL) " \
  "    OR NOT EXISTS (SELECT 1 FROM exports x WHERE NOT EXISTS (" \
  "      SELECT 1 FROM event_windows w WHERE w.event_id = ev.id AND NOT EXISTS (" \
  "        SELECT 1 FROM export_cameras xc WHERE xc.export_id = x.id " \
  "          AND xc.camera_id = w.camera_id AND xc.from_utc_ns <= w.from_utc_ns " \
  "          AND xc.to_utc_ns >= w.to_utc_ns)))))"

GPtrArray *
dvr_catalog_list_reclaimable_segments (DvrCatalog *catalog, guint limit, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autofree gchar *sql = NULL;

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_has_exports (catalog))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_segment_free);
  sql = g_strdup_printf ("SELECT " SEGMENT_COLUMNS "%s FROM segments s "
      "JOIN cameras c ON c.id = s.camera_id WHERE " RECLAIMABLE_WHERE
      " ORDER BY s.start_utc_ns, s.id LIMIT ?1", segment_offset_column (catalog));
  if (!catalog_prepare (catalog, sql, &stmt) ||
      sqlite3_bind_int64 (stmt, 1, limit) != SQLITE_OK) {
    catalog_fail (catalog, error, "list reclaimable segments");
    return NULL;
  }
  return catalog_collect (catalog, stmt, segment_from_row,
      (GDestroyNotify) dvr_segment_free, "list reclaimable segments", error);
}

/* The ids a one-column query gives, its ?1 bound to @text if not NULL,
 * else to @id, as a JSON array member of @b. */
static gboolean
detail_add_ids (DvrCatalog *self, JsonBuilder *b, const gchar *member, const gchar *sql,
                gint64 id, const gchar *text, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!catalog_prepare (self, sql, &stmt) ||
      (text != NULL ? sqlite3_bind_text (stmt, 1, text, -1, SQLITE_STATIC) :
                      sqlite3_bind_int64 (stmt, 1, id)) != SQLITE_OK)
    return catalog_fail (self, error, "reclaim segment: %s", member);
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (;;) {
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      return catalog_fail (self, error, "reclaim segment: %s", member);
    json_builder_add_int_value (b, sqlite3_column_int64 (stmt, 0));
  }
  json_builder_end_array (b);
  return TRUE;
}

/* Moves one reclaimable segment to garbage inside the caller's transaction.
 * *@path is NULL (and TRUE returned) when it is gone or not reclaimable. */
static gboolean
catalog_reclaim_one (DvrCatalog *self, sqlite3_stmt *select, gint64 segment_id, gint64 now,
                     gchar **path, guint64 *bytes, GError **error)
{
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (sqlite3_stmt) unlink = NULL;
  g_autoptr (sqlite3_stmt) garbage = NULL;
  g_autofree gchar *sha256 = NULL;
  g_autofree gchar *detail = NULL;
  int rc;

  *path = NULL;
  sqlite3_reset (select);
  if (sqlite3_bind_int64 (select, 1, segment_id) != SQLITE_OK)
    return catalog_fail (self, error, "reclaim segment %" G_GINT64_FORMAT, segment_id);
  rc = sqlite3_step (select);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return catalog_fail (self, error, "reclaim segment %" G_GINT64_FORMAT, segment_id);
  *path = column_dup (select, 0);
  *bytes = (guint64) sqlite3_column_int64 (select, 4);
  sha256 = column_dup (select, 5);
  b = json_builder_new ();
  json_builder_begin_object (b);
  detail_add_string (b, "path", *path);
  detail_add_string (b, "camera", (const gchar *) sqlite3_column_text (select, 1));
  detail_add_time (b, "start", sqlite3_column_int64 (select, 2));
  detail_add_time (b, "end", sqlite3_column_int64 (select, 3));
  detail_add_int (b, "bytes", sqlite3_column_int64 (select, 4));
  detail_add_int (b, "frames", sqlite3_column_int64 (select, 6));
  detail_add_string (b, "sha256", sha256);
  detail_add_string (b, "reason", "exported");
  if (!detail_add_ids (self, b, "events",
          "SELECT event_id FROM evidence WHERE segment_id = ?1 ORDER BY event_id",
          segment_id, NULL, error) ||
      !detail_add_ids (self, b, "exports",
          "SELECT export_id FROM export_segments WHERE path = ?1 ORDER BY export_id",
          0, *path, error))
    return FALSE;
  detail = detail_finish (b);
  if (!catalog_prepare (self,
          "DELETE FROM evidence WHERE segment_id = ?1", &unlink) ||
      sqlite3_bind_int64 (unlink, 1, segment_id) != SQLITE_OK ||
      !catalog_step_done (unlink))
    return catalog_fail (self, error, "reclaim segment %s: evidence links", *path);
  g_clear_pointer (&unlink, sqlite3_finalize);
  if (!catalog_prepare (self, "DELETE FROM segments WHERE id = ?1", &unlink) ||
      sqlite3_bind_int64 (unlink, 1, segment_id) != SQLITE_OK ||
      !catalog_step_done (unlink) ||
      !catalog_prepare (self,
          "INSERT INTO garbage (path, reason, utc_ns) VALUES (?1, 'exported', ?2)", &garbage) ||
      sqlite3_bind_text (garbage, 1, *path, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (garbage, 2, now) != SQLITE_OK ||
      !catalog_step_done (garbage))
    return catalog_fail (self, error, "reclaim segment %s", *path);
  return catalog_audit_append (self, now, "delete", detail, error);
}

GPtrArray *
dvr_catalog_reclaim_exported (DvrCatalog *catalog, const gint64 *segment_ids,
                              guint n_segment_ids, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (sqlite3_stmt) select = NULL;
  gint64 now = utc_now_ns ();
  guint64 deleted_bytes = 0;

  g_return_val_if_fail (catalog != NULL, NULL);
  g_return_val_if_fail (segment_ids != NULL || n_segment_ids == 0, NULL);

  if (!catalog_require_exports (catalog, "reclaim exported segments", error) ||
      !catalog_begin (catalog, "reclaim exported segments", error))
    return NULL;
  /* The test again, inside the transaction: what was listed may have
   * changed since (an event resumed, a new link). */
  if (!catalog_prepare (catalog,
          "SELECT s.path, c.name, s.start_utc_ns, s.end_utc_ns, s.bytes, s.sha256, s.frames "
          "FROM segments s JOIN cameras c ON c.id = s.camera_id WHERE s.id = ?1 AND "
          RECLAIMABLE_WHERE, &select)) {
    catalog_fail (catalog, error, "reclaim exported segments");
    catalog_rollback (catalog);
    return NULL;
  }
  for (guint i = 0; i < n_segment_ids; i++) {
    gchar *path = NULL;
    guint64 bytes = 0;

    if (!catalog_reclaim_one (catalog, select, segment_ids[i], now, &path, &bytes, error)) {
      g_free (path);
      g_clear_pointer (&select, sqlite3_finalize);
      catalog_rollback (catalog);
      return NULL;
    }
    if (path != NULL) {
      g_ptr_array_add (paths, path);
      deleted_bytes += bytes;
    }
  }
  g_clear_pointer (&select, sqlite3_finalize);
  if (!catalog_commit (catalog, "reclaim exported segments", error))
    return NULL;
  catalog_note_segments_removed (catalog, paths->len, deleted_bytes);
  return g_steal_pointer (&paths);
}

/* ---- Startup recovery (issue 8) ---- */

GHashTable *
dvr_catalog_list_segment_sizes (DvrCatalog *catalog, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GHashTable) sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_return_val_if_fail (catalog != NULL, NULL);

  if (!catalog_prepare (catalog, "SELECT path, bytes FROM segments", &stmt)) {
    catalog_fail (catalog, error, "list segment sizes");
    return NULL;
  }
  for (;;) {
    int rc = sqlite3_step (stmt);
    guint64 *bytes;
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      catalog_fail (catalog, error, "list segment sizes");
      return NULL;
    }
    bytes = g_new (guint64, 1);
    *bytes = (guint64) sqlite3_column_int64 (stmt, 1);
    g_hash_table_replace (sizes, column_dup (stmt, 0), bytes);
  }
  return g_steal_pointer (&sizes);
}

gboolean
dvr_catalog_add_garbage_file (DvrCatalog *catalog, const gchar *path, guint64 bytes,
                              const gchar *sha256, const gchar *reason, GError **error)
{
  g_autoptr (sqlite3_stmt) insert = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  gint64 now = utc_now_ns ();

  g_return_val_if_fail (catalog != NULL, FALSE);
  g_return_val_if_fail (path != NULL && reason != NULL, FALSE);

  json_builder_begin_object (b);
  detail_add_string (b, "path", path);
  detail_add_int (b, "bytes", (gint64) bytes);
  detail_add_string (b, "sha256", sha256);
  detail_add_string (b, "reason", reason);
  detail = detail_finish (b);
  if (!catalog_require_events (catalog, "delete file", error) ||
      !catalog_begin (catalog, "delete file", error))
    return FALSE;
  if (!catalog_prepare (catalog,
          "INSERT INTO garbage (path, reason, utc_ns) VALUES (?1, ?2, ?3)", &insert) ||
      sqlite3_bind_text (insert, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (insert, 2, reason, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (insert, 3, now) != SQLITE_OK ||
      !catalog_step_done (insert)) {
    catalog_fail (catalog, error, "delete file %s", path);
    catalog_rollback (catalog);
    return FALSE;
  }
  if (!catalog_audit_append (catalog, now, "delete", detail, error)) {
    catalog_rollback (catalog);
    return FALSE;
  }
  return catalog_commit (catalog, "delete file", error);
}

GHashTable *
dvr_catalog_list_audit_keys (DvrCatalog *catalog, const gchar *action, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (catalog != NULL, NULL);
  g_return_val_if_fail (action != NULL, NULL);

  if (!catalog_has_events (catalog))
    return g_steal_pointer (&keys);
  if (!catalog_prepare (catalog,
          "SELECT json_extract (detail, '$.key') FROM audit WHERE action = ?1", &stmt) ||
      sqlite3_bind_text (stmt, 1, action, -1, SQLITE_STATIC) != SQLITE_OK) {
    catalog_fail (catalog, error, "list audit keys");
    return NULL;
  }
  for (;;) {
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      catalog_fail (catalog, error, "list audit keys");
      return NULL;
    }
    if (sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
      g_hash_table_add (keys, column_dup (stmt, 0));
  }
  return g_steal_pointer (&keys);
}
