/* dvr-recovery: the startup sweep of a storage root after a kill or a
 * power loss.
 *
 * Order of the work, once per volume opened to record on, before its run
 * begins (docs/storage.md, "Recovery at startup"):
 *   catalog paths and sizes, garbage paths  (two queries, two hash sets)
 *   -> one walk of ROOT/CAMERA/DAY/
 *        file with a row: size checked against the row
 *        file with a garbage row: left to the garbage steps
 *        orphan: probe -> hash + fdatasync, folder fsync -> row 'recovered'
 *                empty -> garbage row + audit, catalog WAL synced, unlink,
 *                         folder fsync, row dropped
 *                no frame -> audit "quarantine", catalog WAL synced, rename
 *                         into ROOT/recovery/
 *   -> rows whose file was not met: stat (missing, other size)
 *   -> one summary line, one audit row "recovery"
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-recovery.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>

#include "dvr-media.h"
#include "dvr-storage.h"
#include "dvr-utils.h"

#define MISMATCH_ACTION "catalog-mismatch"

typedef struct {
  const gchar *root;
  DvrCatalog *catalog;
  GHashTable *sizes;          /* path -> guint64 *bytes, from the catalog */
  GHashTable *garbage;        /* paths waiting for the garbage steps */
  GHashTable *seen;           /* catalogued paths met on the walk */
  GHashTable *audited;        /* keys of catalog-mismatch rows already audited */
  DvrRecoverySummary *summary;
  guint new_findings;         /* mismatches audited this time */
} Recovery;

static gchar *
detail_to_string (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_end_object (b);
  node = json_builder_get_root (b);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

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

/* The UTC time of the first frame, from CAMERA-YYYYMMDDTHHMMSS.mmmZ-rRUN-SEQ.mkv
 * (the run follows the last "Z-r", as in dvr_storage_parse_segment_name()). */
static gboolean
parse_name_stamp (const gchar *name, gint64 *utc_ns)
{
  const gchar *z = g_strrstr (name, "Z-r");
  gint year, month, day, hour, minute, second, msec;
  g_autoptr (GDateTime) dt = NULL;

  if (z == NULL || z - name < 20 || z[-20] != '-')
    return FALSE;
  if (sscanf (z - 19, "%4d%2d%2dT%2d%2d%2d.%3d", &year, &month, &day, &hour, &minute,
          &second, &msec) != 7)
    return FALSE;
  dt = g_date_time_new_utc (year, month, day, hour, minute, second);
  if (dt == NULL)
    return FALSE;
  *utc_ns = g_date_time_to_unix (dt) * DVR_NSEC_PER_SEC + msec * DVR_NSEC_PER_MSEC;
  return TRUE;
}

static void
count_failure (Recovery *r, const gchar *relpath, const GError *error)
{
  g_warning ("recovery: %s: %s (left as it is)", relpath, error->message);
  r->summary->failures++;
}

/* An orphan that plays: made durable (it may never have been synced: the
 * writer was killed), then catalogued as it is. */
static gboolean
recover_segment (Recovery *r, const gchar *camera, const gchar *relpath, const gchar *path,
                 const DvrMediaInfo *media, GError **error)
{
  g_autoptr (DvrSegment) segment = dvr_segment_new ();
  g_autofree gchar *folder = g_path_get_dirname (path);
  g_autofree gchar *base = g_path_get_basename (relpath);
  g_autofree gchar *sha256 = NULL;
  guint64 bytes = 0;
  gint64 start_utc_ns;
  g_autoptr (GError) local_error = NULL;

  if (!parse_name_stamp (base, &start_utc_ns) ||
      !dvr_storage_parse_segment_name (base, &segment->run_id, &segment->seq)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME, "not a segment name");
    return FALSE;
  }
  if (!dvr_file_hash_and_sync (path, &sha256, &bytes, error) ||
      !dvr_fsync_directory (folder, error))
    return FALSE;
  segment->camera = g_strdup (camera);
  segment->path = g_strdup (relpath);
  segment->start_utc_ns = start_utc_ns;
  segment->end_utc_ns = start_utc_ns + MAX (media->end_pts - media->first_pts, 0);
  /* CLOCK_MONOTONIC of a boot that is over means nothing; -1 = unknown. */
  segment->start_mono_ns = -1;
  segment->clock_source = DVR_CLOCK_SOURCE_UNKNOWN;
  segment->frames = media->frames;
  segment->bytes = bytes;
  segment->sha256 = g_steal_pointer (&sha256);
  segment->state = DVR_SEGMENT_STATE_RECOVERED;
  segment->codec = g_strdup (dvr_media_sniff_codec (path));
  /* The run's row may be among the commits a power loss dropped. */
  if (!dvr_catalog_ensure_run (r->catalog, segment->run_id, start_utc_ns,
          DVR_CLOCK_SOURCE_UNKNOWN, error))
    return FALSE;
  if (!dvr_catalog_add_segment (r->catalog, segment, &local_error)) {
    if (!g_error_matches (local_error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    /* A camera no longer configured (or a lost catalog): dvrd records its
     * source again when the camera is configured. */
    g_clear_error (&local_error);
    if (!dvr_catalog_ensure_camera (r->catalog, camera, "unknown", error) ||
        !dvr_catalog_add_segment (r->catalog, segment, error))
      return FALSE;
  }
  g_message ("recovery: %s: catalogued as recovered (%" G_GUINT64_FORMAT " frames, %.1f s)",
      relpath, segment->frames, (segment->end_utc_ns - segment->start_utc_ns) / 1e9);
  r->summary->recovered++;
  r->summary->recovered_frames += segment->frames;
  r->summary->recovered_ns += segment->end_utc_ns - segment->start_utc_ns;
  return TRUE;
}

/* An empty file (the muxer had not written its header): the garbage steps
 * of docs/storage.md, so its deletion is audited like any other. */
static gboolean
remove_empty (Recovery *r, const gchar *relpath, const gchar *path, GError **error)
{
  g_autofree gchar *folder = g_path_get_dirname (path);

  if (!dvr_catalog_add_garbage_file (r->catalog, relpath, 0, NULL, "recovery: empty", error) ||
      !dvr_storage_sync_catalog_file (r->root, error))
    return FALSE;
  if (g_unlink (path) < 0 && errno != ENOENT)
    return dvr_set_error_from_errno (error, errno, "unlink", path);
  if (!dvr_fsync_directory (folder, error) ||
      !dvr_catalog_drop_garbage (r->catalog, relpath, error))
    return FALSE;
  g_message ("recovery: %s: empty, removed", relpath);
  r->summary->empty_removed++;
  return TRUE;
}

/* A non-empty file with no playable frame is not ours to delete: it goes
 * to ROOT/recovery/ for an examiner, audited first (a crash between the
 * two leaves an audit row and the file where it was, which the next start
 * quarantines again; never a moved file without its row). */
static gboolean
quarantine (Recovery *r, const gchar *relpath, const gchar *path, const gchar *why,
            GError **error)
{
  g_autofree gchar *folder = g_path_get_dirname (path);
  g_autofree gchar *qfolder = g_build_filename (r->root, DVR_RECOVERY_QUARANTINE_FOLDER, NULL);
  g_autofree gchar *base = g_path_get_basename (path);
  g_autofree gchar *target = NULL;
  g_autofree gchar *target_rel = NULL;
  g_autofree gchar *sha256 = NULL;
  g_autofree gchar *detail = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint64 bytes = 0;

  if (!dvr_mkdir_durable (qfolder, error) ||
      !dvr_file_hash_and_sync (path, &sha256, &bytes, error))
    return FALSE;
  for (guint i = 0; target == NULL || g_file_test (target, G_FILE_TEST_EXISTS); i++) {
    g_free (target_rel);
    g_free (target);
    target_rel = i == 0 ? g_build_filename (DVR_RECOVERY_QUARANTINE_FOLDER, base, NULL) :
        g_strdup_printf ("%s/%s.%u", DVR_RECOVERY_QUARANTINE_FOLDER, base, i);
    target = g_build_filename (r->root, target_rel, NULL);
  }
  json_builder_begin_object (b);
  detail_add_string (b, "path", relpath);
  detail_add_string (b, "to", target_rel);
  detail_add_int (b, "bytes", (gint64) bytes);
  detail_add_string (b, "sha256", sha256);
  detail_add_string (b, "why", why);
  detail = detail_to_string (b);
  if (!dvr_catalog_audit (r->catalog, dvr_utc_now_ns (), "quarantine", detail, error) ||
      !dvr_storage_sync_catalog_file (r->root, error))
    return FALSE;
  if (g_rename (path, target) < 0)
    return dvr_set_error_from_errno (error, errno, "rename", path);
  if (!dvr_fsync_directory (qfolder, error) || !dvr_fsync_directory (folder, error))
    return FALSE;
  g_warning ("recovery: %s: %s; moved to %s (%" G_GUINT64_FORMAT " bytes)",
      relpath, why, target_rel, bytes);
  r->summary->quarantined++;
  return TRUE;
}

static void
handle_orphan (Recovery *r, const gchar *camera, const gchar *relpath, const gchar *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) probe_error = NULL;
  DvrMediaInfo media = { 0, -1, -1 };
  GStatBuf st;
  gboolean ok;

  if (g_lstat (path, &st) < 0) {
    dvr_set_error_from_errno (&error, errno, "stat", path);
    count_failure (r, relpath, error);
    return;
  }
  if (!S_ISREG (st.st_mode))
    return;
  if (st.st_size == 0) {
    ok = remove_empty (r, relpath, path, &error);
  } else if (dvr_media_probe_segment (path, &media, &probe_error) && media.frames > 0) {
    ok = recover_segment (r, camera, relpath, path, &media, &error);
  } else if (g_error_matches (probe_error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN) ||
             g_error_matches (probe_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
    /* Not the file's fault: it stays where it is for the next start. */
    ok = FALSE;
    error = g_steal_pointer (&probe_error);
  } else {
    g_autofree gchar *why = probe_error != NULL ?
        g_strdup_printf ("does not demux: %s", probe_error->message) :
        g_strdup ("no playable frame");
    ok = quarantine (r, relpath, path, why, &error);
  }
  if (!ok)
    count_failure (r, relpath, error);
}

/* A catalogued file whose size is not the row's, or a row without its
 * file: logged at every start, audited once (per path and finding). */
static void
report_mismatch (Recovery *r, const gchar *relpath, guint64 row_bytes, gboolean missing,
                 guint64 file_bytes)
{
  g_autofree gchar *key = missing ? g_strdup_printf ("missing:%s", relpath) :
      g_strdup_printf ("size:%s:%" G_GUINT64_FORMAT, relpath, file_bytes);
  g_autoptr (GError) error = NULL;

  if (missing) {
    r->summary->missing++;
    g_warning ("recovery: %s: catalogued (%" G_GUINT64_FORMAT " bytes) but the file is missing",
        relpath, row_bytes);
  } else {
    r->summary->size_mismatches++;
    g_warning ("recovery: %s: catalogued with %" G_GUINT64_FORMAT " bytes, the file has %"
        G_GUINT64_FORMAT, relpath, row_bytes, file_bytes);
  }
  if (!g_hash_table_contains (r->audited, key)) {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    g_autofree gchar *detail = NULL;

    json_builder_begin_object (b);
    detail_add_string (b, "key", key);
    detail_add_string (b, "path", relpath);
    detail_add_string (b, "problem", missing ? "file missing" : "size differs");
    detail_add_int (b, "row_bytes", (gint64) row_bytes);
    json_builder_set_member_name (b, "file_bytes");
    if (missing)
      json_builder_add_null_value (b);
    else
      json_builder_add_int_value (b, (gint64) file_bytes);
    detail = detail_to_string (b);
    if (dvr_catalog_audit (r->catalog, dvr_utc_now_ns (), MISMATCH_ACTION, detail, &error)) {
      g_hash_table_add (r->audited, g_steal_pointer (&key));
      r->new_findings++;
    } else {
      g_warning ("recovery: %s: %s", relpath, error->message);
    }
  }
}

static void
check_catalogued (Recovery *r, const gchar *relpath, const GStatBuf *st)
{
  const guint64 *row_bytes = g_hash_table_lookup (r->sizes, relpath);

  g_hash_table_add (r->seen, (gpointer) relpath);
  if ((guint64) st->st_size != *row_bytes)
    report_mismatch (r, relpath, *row_bytes, FALSE, (guint64) st->st_size);
}

/* ROOT/CAMERA/DAY/NAME.mkv; anything else (keys, the quarantine folder,
 * the catalog) is not looked at. */
static gboolean
walk (Recovery *r, GError **error)
{
  g_autoptr (GDir) root_dir = g_dir_open (r->root, 0, error);
  const gchar *camera;

  if (root_dir == NULL)
    return FALSE;
  while ((camera = g_dir_read_name (root_dir)) != NULL) {
    g_autofree gchar *camera_path = g_build_filename (r->root, camera, NULL);
    g_autoptr (GDir) camera_dir = NULL;
    const gchar *day;

    if (g_str_equal (camera, DVR_RECOVERY_QUARANTINE_FOLDER) ||
        !g_file_test (camera_path, G_FILE_TEST_IS_DIR))
      continue;
    camera_dir = g_dir_open (camera_path, 0, NULL);
    if (camera_dir == NULL)
      continue;
    while ((day = g_dir_read_name (camera_dir)) != NULL) {
      g_autofree gchar *day_path = g_build_filename (camera_path, day, NULL);
      g_autoptr (GDir) day_dir = g_dir_open (day_path, 0, NULL);
      const gchar *name;

      if (day_dir == NULL)
        continue;
      while ((name = g_dir_read_name (day_dir)) != NULL) {
        g_autofree gchar *relpath = NULL;
        g_autofree gchar *path = NULL;
        gpointer key = NULL;

        if (!dvr_storage_parse_segment_name (name, NULL, NULL))
          continue;
        relpath = g_build_filename (camera, day, name, NULL);
        path = g_build_filename (day_path, name, NULL);
        if (g_hash_table_lookup_extended (r->sizes, relpath, &key, NULL)) {
          GStatBuf st;
          if (g_stat (path, &st) == 0)
            check_catalogued (r, key, &st);
          continue;
        }
        if (g_hash_table_contains (r->garbage, relpath))
          continue;
        handle_orphan (r, camera, relpath, path);
      }
    }
  }
  return TRUE;
}

gchar *
dvr_recovery_summary_to_string (const DvrRecoverySummary *s)
{
  GString *line = g_string_new (NULL);

  g_string_append_printf (line,
      "recovery: %u segment%s recovered (%" G_GUINT64_FORMAT " frames, %.1f s), "
      "%u empty file%s removed, %u quarantined, %u row%s without a file, "
      "%u size mismatch%s",
      s->recovered, s->recovered == 1 ? "" : "s", s->recovered_frames, s->recovered_ns / 1e9,
      s->empty_removed, s->empty_removed == 1 ? "" : "s", s->quarantined,
      s->missing, s->missing == 1 ? "" : "s",
      s->size_mismatches, s->size_mismatches == 1 ? "" : "es");
  if (s->failures > 0)
    g_string_append_printf (line, ", %u failed", s->failures);
  g_string_append_printf (line, " (%.2f s)", s->elapsed_ns / 1e9);
  return g_string_free (line, FALSE);
}

gboolean
dvr_recovery_run (const gchar *root, DvrCatalog *catalog, DvrRecoverySummary *summary,
                  GError **error)
{
  g_autoptr (GHashTable) sizes = NULL;
  g_autoptr (GHashTable) garbage = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) audited = NULL;
  g_autoptr (GPtrArray) garbage_paths = NULL;
  g_autofree gchar *line = NULL;
  gint64 started = dvr_monotonic_now_ns ();
  Recovery r = { root, catalog, NULL, garbage, seen, NULL, summary, 0 };
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (root != NULL && catalog != NULL && summary != NULL, FALSE);

  memset (summary, 0, sizeof *summary);
  sizes = dvr_catalog_list_segment_sizes (catalog, error);
  garbage_paths = sizes != NULL ? dvr_catalog_list_garbage (catalog, error) : NULL;
  audited = garbage_paths != NULL ?
      dvr_catalog_list_audit_keys (catalog, MISMATCH_ACTION, error) : NULL;
  if (audited == NULL) {
    g_prefix_error (error, "recovery: ");
    return FALSE;
  }
  for (guint i = 0; i < garbage_paths->len; i++)
    g_hash_table_add (garbage, g_strdup (g_ptr_array_index (garbage_paths, i)));
  r.sizes = sizes;
  r.audited = audited;
  if (!walk (&r, error)) {
    g_prefix_error (error, "recovery: %s: ", root);
    return FALSE;
  }

  /* Rows the walk did not meet: gone, or somewhere the walk does not look. */
  g_hash_table_iter_init (&iter, sizes);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    g_autofree gchar *path = NULL;
    GStatBuf st;

    if (g_hash_table_contains (seen, key))
      continue;
    path = g_build_filename (root, key, NULL);
    if (g_stat (path, &st) == 0)
      check_catalogued (&r, key, &st);
    else
      report_mismatch (&r, key, *(guint64 *) value, TRUE, 0);
  }

  summary->elapsed_ns = dvr_monotonic_now_ns () - started;
  line = dvr_recovery_summary_to_string (summary);
  g_message ("%s", line);
  if (summary->recovered + summary->empty_removed + summary->quarantined +
      summary->failures + r.new_findings > 0) {
    g_autoptr (JsonBuilder) b = json_builder_new ();
    g_autofree gchar *detail = NULL;
    g_autoptr (GError) local_error = NULL;

    json_builder_begin_object (b);
    detail_add_int (b, "recovered", summary->recovered);
    detail_add_int (b, "recovered_frames", (gint64) summary->recovered_frames);
    detail_add_int (b, "recovered_ns", summary->recovered_ns);
    detail_add_int (b, "empty_removed", summary->empty_removed);
    detail_add_int (b, "quarantined", summary->quarantined);
    detail_add_int (b, "missing", summary->missing);
    detail_add_int (b, "size_mismatches", summary->size_mismatches);
    detail_add_int (b, "failures", summary->failures);
    detail_add_int (b, "elapsed_ns", summary->elapsed_ns);
    detail_add_string (b, "summary", line);
    detail = detail_to_string (b);
    if (!dvr_catalog_audit (catalog, dvr_utc_now_ns (), "recovery", detail, &local_error))
      g_warning ("recovery: audit: %s", local_error->message);
  }
  return TRUE;
}
