/* dvr-catalog-merge: the fallback's recordings onto the drive.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "dvr-catalog"

#include "dvr-catalog-merge.h"
#include "dvr-catalog-private.h"

#include <json-glib/json-glib.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static gint64
column_int64_or_minus_one (sqlite3_stmt *stmt, int column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? -1 :
      sqlite3_column_int64 (stmt, column);
}

static void
bind_int64_or_null (sqlite3_stmt *stmt, int index, gint64 value)
{
  if (value < 0)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_int64 (stmt, index, value);
}

static void
bind_text_column (sqlite3_stmt *stmt, int index, sqlite3_stmt *from, int column)
{
  if (sqlite3_column_type (from, column) == SQLITE_NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, (const gchar *) sqlite3_column_text (from, column), -1,
        SQLITE_TRANSIENT);
}

static gchar *
detail_text (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* The destination's camera id for @name, made if missing. */
static gint64
dest_camera_id (DvrCatalog *dest, const gchar *name, const gchar *source, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (!catalog_prepare (dest, "INSERT OR IGNORE INTO cameras (name, source) VALUES (?1, ?2)",
                        &stmt) ||
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, source != NULL ? source : "", -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (stmt)) {
    catalog_fail (dest, error, "migrate camera %s", name);
    return 0;
  }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (!catalog_prepare (dest, "SELECT id FROM cameras WHERE name = ?1", &stmt) ||
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW) {
    catalog_fail (dest, error, "migrate camera %s", name);
    return 0;
  }
  return sqlite3_column_int64 (stmt, 0);
}

/* One source event into @dest; *changed when anything was inserted or
 * updated.  Inside @dest's transaction. */
static gboolean
merge_one_event (DvrCatalog *dest, DvrCatalog *src, sqlite3_stmt *ev, const gchar *src_uuid,
                 gboolean *changed, GError **error)
{
  gint64 src_id = sqlite3_column_int64 (ev, 0);
  const gchar *kind = (const gchar *) sqlite3_column_text (ev, 1);
  gint64 start = sqlite3_column_int64 (ev, 2);
  gint64 src_end = column_int64_or_minus_one (ev, 3);
  gint64 dest_id = 0;
  gint64 dest_end = -1;
  gboolean inserted = FALSE;
  int changes_before = sqlite3_total_changes (dest->db);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (sqlite3_stmt) windows = NULL;
  g_autoptr (sqlite3_stmt) triggers = NULL;

  if (!catalog_prepare (dest,
          "SELECT id, end_utc_ns FROM events WHERE start_utc_ns = ?1 AND kind = ?2 "
          "ORDER BY id LIMIT 1", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, start) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC) != SQLITE_OK)
    return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
  switch (sqlite3_step (stmt)) {
    case SQLITE_ROW:
      dest_id = sqlite3_column_int64 (stmt, 0);
      dest_end = column_int64_or_minus_one (stmt, 1);
      break;
    case SQLITE_DONE:
      break;
    default:
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
  }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (dest_id == 0) {
    if (!catalog_prepare (dest,
            "INSERT INTO events (run_id, kind, start_utc_ns, end_utc_ns, reason, stop_reason, "
            "  category, case_number, notes) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, start);
    bind_int64_or_null (stmt, 3, src_end);
    for (int i = 4; i <= 8; i++)
      bind_text_column (stmt, i, ev, i);
    if (!catalog_step_done (stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    dest_id = sqlite3_last_insert_rowid (dest->db);
    dest_end = src_end;
    inserted = TRUE;
  } else {
    /* A running event on the drive is the live one: it stays running.
     * Otherwise the later end wins, with its stop reason; what was filed
     * on either side is kept, the drive's first. */
    gboolean src_later = dest_end >= 0 && src_end > dest_end;
    if (!catalog_prepare (dest,
            "UPDATE events SET "
            "  end_utc_ns = CASE WHEN ?2 THEN ?3 ELSE end_utc_ns END, "
            "  stop_reason = CASE WHEN ?2 THEN ?4 ELSE stop_reason END, "
            "  category = coalesce (category, ?5), "
            "  case_number = coalesce (case_number, ?6), "
            "  notes = coalesce (notes, ?7) "
            "WHERE id = ?1", &stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    sqlite3_bind_int64 (stmt, 1, dest_id);
    sqlite3_bind_int (stmt, 2, src_later);
    bind_int64_or_null (stmt, 3, src_end);
    bind_text_column (stmt, 4, ev, 5);
    bind_text_column (stmt, 5, ev, 6);
    bind_text_column (stmt, 6, ev, 7);
    bind_text_column (stmt, 7, ev, 8);
    if (!catalog_step_done (stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    if (src_later)
      dest_end = src_end;
  }
  g_clear_pointer (&stmt, sqlite3_finalize);

  /* Windows: the union.  A running destination window stays open. */
  if (!catalog_prepare (src,
          "SELECT c.name, c.source, w.from_utc_ns, w.to_utc_ns FROM event_windows w "
          "JOIN cameras c ON c.id = w.camera_id WHERE w.event_id = ?1", &windows) ||
      sqlite3_bind_int64 (windows, 1, src_id) != SQLITE_OK)
    return catalog_fail (src, error, "migrate event %" G_GINT64_FORMAT, src_id);
  for (;;) {
    int rc = sqlite3_step (windows);
    gint64 camera_id;
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      return catalog_fail (src, error, "migrate event %" G_GINT64_FORMAT, src_id);
    camera_id = dest_camera_id (dest, (const gchar *) sqlite3_column_text (windows, 0),
        (const gchar *) sqlite3_column_text (windows, 1), error);
    if (camera_id == 0)
      return FALSE;
    if (!catalog_prepare (dest,
            "INSERT INTO event_windows (event_id, camera_id, from_utc_ns, to_utc_ns) "
            "VALUES (?1, ?2, ?3, CASE WHEN ?5 THEN NULL ELSE ?4 END) "
            "ON CONFLICT (event_id, camera_id) DO UPDATE SET "
            "  from_utc_ns = min (from_utc_ns, excluded.from_utc_ns), "
            "  to_utc_ns = CASE WHEN to_utc_ns IS NULL OR excluded.to_utc_ns IS NULL "
            "    THEN to_utc_ns ELSE max (to_utc_ns, excluded.to_utc_ns) END "
            "WHERE from_utc_ns > excluded.from_utc_ns OR (to_utc_ns IS NOT NULL AND "
            "  excluded.to_utc_ns IS NOT NULL AND excluded.to_utc_ns > to_utc_ns)",
            &stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    sqlite3_bind_int64 (stmt, 1, dest_id);
    sqlite3_bind_int64 (stmt, 2, camera_id);
    sqlite3_bind_int64 (stmt, 3, sqlite3_column_int64 (windows, 2));
    bind_int64_or_null (stmt, 4, column_int64_or_minus_one (windows, 3));
    /* Open only when the event itself still runs on the drive. */
    sqlite3_bind_int (stmt, 5, dest_end < 0);
    if (!catalog_step_done (stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    g_clear_pointer (&stmt, sqlite3_finalize);
  }

  /* Triggers: those the drive does not have yet. */
  if (!catalog_prepare (src,
          "SELECT utc_ns, action, source, detail FROM event_triggers WHERE event_id = ?1 "
          "ORDER BY utc_ns, id", &triggers) ||
      sqlite3_bind_int64 (triggers, 1, src_id) != SQLITE_OK)
    return catalog_fail (src, error, "migrate event %" G_GINT64_FORMAT, src_id);
  for (;;) {
    int rc = sqlite3_step (triggers);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      return catalog_fail (src, error, "migrate event %" G_GINT64_FORMAT, src_id);
    if (!catalog_prepare (dest,
            "INSERT INTO event_triggers (event_id, utc_ns, action, source, detail) "
            "SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM event_triggers "
            "  WHERE event_id = ?1 AND utc_ns = ?2 AND action = ?3 AND source = ?4)", &stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    sqlite3_bind_int64 (stmt, 1, dest_id);
    sqlite3_bind_int64 (stmt, 2, sqlite3_column_int64 (triggers, 0));
    bind_text_column (stmt, 3, triggers, 1);
    bind_text_column (stmt, 4, triggers, 2);
    bind_text_column (stmt, 5, triggers, 3);
    if (!catalog_step_done (stmt))
      return catalog_fail (dest, error, "migrate event %" G_GINT64_FORMAT, src_id);
    g_clear_pointer (&stmt, sqlite3_finalize);
  }

  *changed = sqlite3_total_changes (dest->db) != changes_before;
  if (!*changed)
    return TRUE;
  if (!catalog_link_event (dest, dest_id, error))
    return FALSE;
  {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    g_autofree gchar *detail = NULL;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "event");
    json_builder_add_int_value (b, dest_id);
    json_builder_set_member_name (b, "from_drive");
    json_builder_add_string_value (b, src_uuid != NULL ? src_uuid : "");
    json_builder_set_member_name (b, "from_event");
    json_builder_add_int_value (b, src_id);
    json_builder_set_member_name (b, "inserted");
    json_builder_add_boolean_value (b, inserted);
    json_builder_end_object (b);
    detail = detail_text (b);
    return catalog_audit_append (dest, g_get_real_time () * 1000, "event-migrate", detail,
        error);
  }
}

gboolean
dvr_catalog_merge_events (DvrCatalog *dest, DvrCatalog *src, const gchar *src_uuid,
                          guint *n_events, GError **error)
{
  g_autoptr (sqlite3_stmt) ev = NULL;
  guint n = 0;

  g_return_val_if_fail (dest != NULL && src != NULL, FALSE);

  if (src->schema_version < 3) {
    if (n_events != NULL)
      *n_events = 0;
    return TRUE;
  }
  if (!catalog_prepare (src,
          "SELECT id, kind, start_utc_ns, end_utc_ns, reason, stop_reason, category, "
          "  case_number, notes FROM events ORDER BY id", &ev))
    return catalog_fail (src, error, "migrate events");
  if (!catalog_begin (dest, "migrate events", error))
    return FALSE;
  for (;;) {
    gboolean changed = FALSE;
    int rc = sqlite3_step (ev);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW) {
      catalog_fail (src, error, "migrate events");
      catalog_rollback (dest);
      return FALSE;
    }
    if (!merge_one_event (dest, src, ev, src_uuid, &changed, error)) {
      catalog_rollback (dest);
      return FALSE;
    }
    n += changed;
  }
  if (!catalog_commit (dest, "migrate events", error))
    return FALSE;
  if (n_events != NULL)
    *n_events = n;
  return TRUE;
}

gboolean
dvr_catalog_import_segment (DvrCatalog *dest, const DvrSegment *segment, gint64 run_id,
                            const gchar *src_uuid, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (DvrSegment) copy = dvr_segment_copy (segment);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;

  g_return_val_if_fail (dest != NULL && segment != NULL, FALSE);

  if (!catalog_begin (dest, "migrate segment", error))
    return FALSE;
  if (!catalog_prepare (dest, "SELECT sha256 FROM segments WHERE path = ?1", &stmt) ||
      sqlite3_bind_text (stmt, 1, segment->path, -1, SQLITE_STATIC) != SQLITE_OK) {
    catalog_fail (dest, error, "migrate segment %s", segment->path);
    catalog_rollback (dest);
    return FALSE;
  }
  if (sqlite3_step (stmt) == SQLITE_ROW) {
    gboolean same = g_strcmp0 ((const gchar *) sqlite3_column_text (stmt, 0),
        segment->sha256) == 0;
    catalog_rollback (dest);
    if (same)
      return TRUE;
    g_set_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_EXISTS,
        "migrate segment %s: the drive already has another file of that name",
        segment->path);
    return FALSE;
  }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (dest_camera_id (dest, segment->camera, NULL, error) == 0) {
    catalog_rollback (dest);
    return FALSE;
  }
  copy->run_id = run_id;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, segment->path);
  json_builder_set_member_name (b, "camera");
  json_builder_add_string_value (b, segment->camera);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, (gint64) segment->bytes);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, segment->sha256);
  json_builder_set_member_name (b, "from_drive");
  json_builder_add_string_value (b, src_uuid != NULL ? src_uuid : "");
  json_builder_end_object (b);
  detail = detail_text (b);
  if (!catalog_insert_segment (dest, copy, error) ||
      !catalog_link_segment (dest, copy, error) ||
      !catalog_audit_append (dest, g_get_real_time () * 1000, "migrate-in", detail, error)) {
    catalog_rollback (dest);
    return FALSE;
  }
  if (!catalog_commit (dest, "migrate segment", error))
    return FALSE;
  catalog_note_segment_added (dest, segment);
  return TRUE;
}

gboolean
dvr_catalog_forget_migrated_segment (DvrCatalog *src, gint64 segment_id, const gchar *dest_uuid,
                                     GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *reason = NULL;
  guint64 bytes;
  gint64 now = g_get_real_time () * 1000;

  g_return_val_if_fail (src != NULL, FALSE);

  if (!catalog_begin (src, "forget migrated segment", error))
    return FALSE;
  if (!catalog_prepare (src,
          "SELECT s.path, c.name, s.bytes, s.sha256 FROM segments s "
          "JOIN cameras c ON c.id = s.camera_id WHERE s.id = ?1", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, segment_id) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW) {
    catalog_fail (src, error, "forget migrated segment %" G_GINT64_FORMAT, segment_id);
    catalog_rollback (src);
    return FALSE;
  }
  path = g_strdup ((const gchar *) sqlite3_column_text (stmt, 0));
  bytes = (guint64) sqlite3_column_int64 (stmt, 2);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "camera");
  json_builder_add_string_value (b, (const gchar *) sqlite3_column_text (stmt, 1));
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, (gint64) bytes);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, (const gchar *) sqlite3_column_text (stmt, 3));
  json_builder_set_member_name (b, "to_drive");
  json_builder_add_string_value (b, dest_uuid != NULL ? dest_uuid : "");
  json_builder_end_object (b);
  detail = detail_text (b);
  g_clear_pointer (&stmt, sqlite3_finalize);
  reason = g_strdup_printf ("migrated to drive %s", dest_uuid != NULL ? dest_uuid : "?");

  if (!catalog_prepare (src, "DELETE FROM evidence WHERE segment_id = ?1", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, segment_id) != SQLITE_OK || !catalog_step_done (stmt))
    goto fail;
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (!catalog_prepare (src, "DELETE FROM segments WHERE id = ?1", &stmt) ||
      sqlite3_bind_int64 (stmt, 1, segment_id) != SQLITE_OK || !catalog_step_done (stmt))
    goto fail;
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (!catalog_prepare (src, "INSERT INTO garbage (path, reason, utc_ns) VALUES (?1, ?2, ?3)",
                        &stmt) ||
      sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_text (stmt, 2, reason, -1, SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 3, now) != SQLITE_OK || !catalog_step_done (stmt))
    goto fail;
  if (!catalog_audit_append (src, now, "migrate-out", detail, error)) {
    catalog_rollback (src);
    return FALSE;
  }
  if (!catalog_commit (src, "forget migrated segment", error))
    return FALSE;
  catalog_note_segments_removed (src, 1, bytes);
  return TRUE;

fail:
  catalog_fail (src, error, "forget migrated segment %s", path);
  catalog_rollback (src);
  return FALSE;
}

gboolean
dvr_catalog_move_rows (DvrCatalog *dest, const gchar *src_path, gint64 run_id,
                       guint *n_fixes, guint *n_changes, GError **error)
{
  g_autoptr (sqlite3_stmt) attach = NULL;
  gboolean ok = FALSE;
  guint fixes = 0, changes = 0;

  g_return_val_if_fail (dest != NULL && src_path != NULL, FALSE);

  if (!catalog_prepare (dest, "ATTACH DATABASE ?1 AS fallback", &attach) ||
      sqlite3_bind_text (attach, 1, src_path, -1, SQLITE_STATIC) != SQLITE_OK ||
      !catalog_step_done (attach))
    return catalog_fail (dest, error, "migrate GPS and signals: attach %s", src_path);
  if (!catalog_begin (dest, "migrate GPS and signals", error))
    goto out;
#define FIX_COLUMNS "time_ns, received_utc_ns, received_mono_ns, mode, lat, lon, alt_hae, " \
    "alt_msl, speed, track, climb, eph, epv, eps, sats_used, sats_visible"
  if (sqlite3_exec (dest->db,
          "INSERT INTO main.gps_fixes (" FIX_COLUMNS ") SELECT " FIX_COLUMNS
          " FROM fallback.gps_fixes ORDER BY id", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  fixes = (guint) sqlite3_changes (dest->db);
  if (sqlite3_exec (dest->db,
          "INSERT INTO main.signal_changes (utc_ns, mono_ns, name, value, source) "
          "SELECT utc_ns, mono_ns, name, value, source FROM fallback.signal_changes "
          "ORDER BY id", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  changes = (guint) sqlite3_changes (dest->db);
  {
    g_autofree gchar *sql = g_strdup_printf (
        "INSERT OR IGNORE INTO main.cameras (name, source) "
        "  SELECT name, source FROM fallback.cameras; "
        "INSERT INTO main.gaps (camera_id, run_id, start_utc_ns, end_utc_ns, reason) "
        "  SELECT (SELECT m.id FROM main.cameras m WHERE m.name = c.name), %" G_GINT64_FORMAT
        "  , g.start_utc_ns, g.end_utc_ns, g.reason FROM fallback.gaps g "
        "  JOIN fallback.cameras c ON c.id = g.camera_id "
        "  WHERE g.end_utc_ns IS NOT NULL ORDER BY g.id; "
        "DELETE FROM fallback.gaps WHERE end_utc_ns IS NOT NULL; "
        "DELETE FROM fallback.gps_fixes; DELETE FROM fallback.signal_changes", run_id);
    if (sqlite3_exec (dest->db, sql, NULL, NULL, NULL) != SQLITE_OK)
      goto fail;
  }
#undef FIX_COLUMNS
  if (!catalog_commit (dest, "migrate GPS and signals", error))
    goto out;
  ok = TRUE;
  if (n_fixes != NULL)
    *n_fixes = fixes;
  if (n_changes != NULL)
    *n_changes = changes;
  goto out;

fail:
  catalog_fail (dest, error, "migrate GPS and signals from %s", src_path);
  catalog_rollback (dest);
out:
  sqlite3_exec (dest->db, "DETACH DATABASE fallback", NULL, NULL, NULL);
  return ok;
}

gboolean
dvr_catalog_forget_migrated_events (DvrCatalog *src, const gchar *dest_uuid, guint *n_events,
                                    GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *detail = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_return_val_if_fail (src != NULL, FALSE);

  if (n_events != NULL)
    *n_events = 0;
  if (src->schema_version < 3)
    return TRUE;
  if (!catalog_begin (src, "forget migrated events", error))
    return FALSE;
  if (!catalog_prepare (src,
          "SELECT id FROM events e WHERE end_utc_ns IS NOT NULL "
          "AND NOT EXISTS (SELECT 1 FROM evidence v WHERE v.event_id = e.id)", &stmt))
    goto fail;
  for (;;) {
    int rc = sqlite3_step (stmt);
    gint64 id;
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      goto fail;
    id = sqlite3_column_int64 (stmt, 0);
    g_array_append_val (ids, id);
  }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (ids->len == 0) {
    catalog_rollback (src);
    return TRUE;
  }
  for (guint i = 0; i < ids->len; i++) {
    static const gchar *deletes[] = {
      "DELETE FROM event_triggers WHERE event_id = ?1",
      "DELETE FROM event_windows WHERE event_id = ?1",
      "DELETE FROM events WHERE id = ?1",
    };
    for (guint j = 0; j < G_N_ELEMENTS (deletes); j++) {
      if (!catalog_prepare (src, deletes[j], &stmt) ||
          sqlite3_bind_int64 (stmt, 1, g_array_index (ids, gint64, i)) != SQLITE_OK ||
          !catalog_step_done (stmt))
        goto fail;
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  for (guint i = 0; i < ids->len; i++)
    json_builder_add_int_value (b, g_array_index (ids, gint64, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "to_drive");
  json_builder_add_string_value (b, dest_uuid != NULL ? dest_uuid : "");
  json_builder_end_object (b);
  detail = detail_text (b);
  if (!catalog_audit_append (src, g_get_real_time () * 1000, "event-migrate-out", detail,
                             error)) {
    catalog_rollback (src);
    return FALSE;
  }
  if (!catalog_commit (src, "forget migrated events", error))
    return FALSE;
  if (n_events != NULL)
    *n_events = ids->len;
  return TRUE;

fail:
  catalog_fail (src, error, "forget migrated events");
  catalog_rollback (src);
  return FALSE;
}
