/* dvr-verify: is an evidence package, or a drive, what it says it is?
 *
 *   dvr-verify [--json] [--key PUBKEY.pem] DIR     an export (DIR/manifest.json)
 *   dvr-verify [--json] ROOT                       a drive (ROOT/catalog.sqlite3)
 *
 * An export: the manifest's signature (with --key, or with the package's
 * own signing.pub, whose fingerprint is printed to be compared with the
 * drive's), every listed file's size and SHA-256, files present but not
 * listed, and the audit excerpt (each row re-hashed, consecutive rows
 * linked).  A drive: its identity and key files, every catalogued
 * segment's size and SHA-256, segment files the catalog does not know
 * (a warning), the audit chain, and the export records.
 *
 * One line per file: "PASS path", "FAIL path: what is wrong" or "WARN path:
 * what to know", then a summary.  Exit status: 0 when nothing failed, 1
 * otherwise, 2 for a usage error.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "dvr-catalog.h"
#include "dvr-drive.h"
#include "dvr-storage.h"
#include "dvr-tool-package.h"
#include "dvr-tool-util.h"
#include "dvr-utils.h"

#define TOOL "dvr-verify"

typedef struct {
  gboolean json;
  DvrToolProgress *progress;
} Output;

static const gchar *
result_word (DvrCheckResult result)
{
  switch (result) {
  case DVR_CHECK_PASS:
    return "PASS";
  case DVR_CHECK_WARN:
    return "WARN";
  case DVR_CHECK_FAIL:
    return "FAIL";
  }
  return "?";
}

static void
print_check (const DvrCheck *check, gpointer user_data)
{
  Output *output = user_data;

  if (output->json)
    return;
  dvr_tool_progress_clear (output->progress);
  if (check->problem != NULL)
    g_print ("%s %s: %s\n", result_word (check->result), check->path, check->problem);
  else
    g_print ("%s %s\n", result_word (check->result), check->path);
}

static void
print_json (const gchar *path, const gchar *kind, DvrCheckList *checks, const gchar *fingerprint,
            const gchar *key_source)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, kind);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, checks->failures == 0);
  json_builder_set_member_name (b, "key_fingerprint");
  if (fingerprint != NULL)
    json_builder_add_string_value (b, fingerprint);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "key_source");
  if (key_source != NULL)
    json_builder_add_string_value (b, key_source);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "passed");
  json_builder_add_int_value (b, checks->passes);
  json_builder_set_member_name (b, "warnings");
  json_builder_add_int_value (b, checks->warnings);
  json_builder_set_member_name (b, "failed");
  json_builder_add_int_value (b, checks->failures);
  json_builder_set_member_name (b, "checks");
  json_builder_begin_array (b);
  for (guint i = 0; i < checks->checks->len; i++) {
    const DvrCheck *check = g_ptr_array_index (checks->checks, i);
    g_autofree gchar *word = g_ascii_strdown (result_word (check->result), -1);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "path");
    json_builder_add_string_value (b, check->path);
    json_builder_set_member_name (b, "result");
    json_builder_add_string_value (b, word);
    json_builder_set_member_name (b, "problem");
    if (check->problem != NULL)
      json_builder_add_string_value (b, check->problem);
    else
      json_builder_add_null_value (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_summary (const gchar *what, const gchar *path, DvrCheckList *checks)
{
  if (checks->failures == 0)
    g_print ("%s %s: everything checked passes (%u check%s%s)\n", what, path, checks->passes,
        checks->passes == 1 ? "" : "s",
        checks->warnings > 0 ? ", with warnings above" : "");
  else
    g_print ("%s %s: %u of %u checks FAILED\n", what, path, checks->failures,
        checks->failures + checks->passes + checks->warnings);
}

/* ------------------------------------------------------------------ */
/* An export */

static gint
verify_export (const gchar *dir, const gchar *key_path, Output *output)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrPackage) package = dvr_package_open (dir, &error);
  g_auto (DvrCheckList) checks = { 0, };
  g_autofree gchar *key_source = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  const gchar *fingerprint;

  if (package == NULL) {
    g_printerr (TOOL ": %s\n", error->message);
    return DVR_TOOL_EXIT_FAILED;
  }
  if (key_path != NULL && !dvr_drive_read_public_key_file (key_path, public_key, &error)) {
    g_printerr (TOOL ": --key: %s\n", error->message);
    return DVR_TOOL_EXIT_USAGE;
  }
  key_source = key_path != NULL ? g_strdup (key_path) :
      g_strdup (DVR_PACKAGE_PUBLIC_KEY " in the package");
  dvr_check_list_init (&checks, print_check, output);
  dvr_package_verify (package, key_path != NULL ? public_key : NULL, key_source,
      output->progress, &checks);
  fingerprint = dvr_package_get_key_fingerprint (package);
  if (output->json) {
    print_json (dir, "export", &checks, fingerprint, key_source);
  } else {
    if (fingerprint != NULL)
      g_print ("key %s (%s)%s\n", fingerprint, key_source, key_path != NULL ? "" :
          ": compare it with the drive's, which dvr-verify ROOT prints, or give the "
          "drive's key with --key");
    print_summary ("export", dir, &checks);
  }
  return checks.failures == 0 ? DVR_TOOL_EXIT_OK : DVR_TOOL_EXIT_FAILED;
}

/* ------------------------------------------------------------------ */
/* A drive */

/* The key fingerprint dvr-drive.ini names, or NULL. */
static gchar *
identity_key_fingerprint (const gchar *root)
{
  g_autofree gchar *path = g_build_filename (root, DVR_DRIVE_IDENTITY_NAME, NULL);
  g_autoptr (GKeyFile) file = g_key_file_new ();

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    return NULL;
  return g_key_file_get_string (file, "drive", "public-key", NULL);
}

static gchar *
check_drive_files (const gchar *root, DvrCheckList *checks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrDriveIdentity) identity = dvr_drive_identity_load (root, &error);
  g_autofree gchar *public_path = g_build_filename (root, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  g_autofree gchar *secret_path = g_build_filename (root, DVR_DRIVE_SECRET_KEY_NAME, NULL);
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  gchar *fingerprint = NULL;
  gboolean paired;

  if (identity != NULL)
    dvr_check_list_add (checks, DVR_CHECK_PASS, DVR_DRIVE_IDENTITY_NAME, NULL);
  else if (g_error_matches (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NO_IDENTITY))
    dvr_check_list_add (checks, DVR_CHECK_WARN, DVR_DRIVE_IDENTITY_NAME,
        "no identity (a drive recorded before identity files)");
  else
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_DRIVE_IDENTITY_NAME, "%s", error->message);
  g_clear_error (&error);

  if (!g_file_test (public_path, G_FILE_TEST_EXISTS) &&
      !g_file_test (secret_path, G_FILE_TEST_EXISTS)) {
    dvr_check_list_add (checks, identity != NULL ? DVR_CHECK_FAIL : DVR_CHECK_WARN,
        "keys", "no signing key: exports of this drive cannot be signed");
    return NULL;
  }
  paired = dvr_drive_load_secret_key (root, secret_key, &error);
  memset (secret_key, 0, sizeof secret_key);
  if (!paired) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_DRIVE_SECRET_KEY_NAME, "%s", error->message);
    g_clear_error (&error);
  } else {
    dvr_check_list_add (checks, DVR_CHECK_PASS, DVR_DRIVE_SECRET_KEY_NAME, NULL);
  }
  if (!dvr_drive_load_public_key (root, public_key, &error)) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_DRIVE_PUBLIC_KEY_NAME, "%s", error->message);
    return NULL;
  }
  fingerprint = dvr_drive_key_fingerprint (public_key);
  if (identity != NULL) {
    g_autofree gchar *named = identity_key_fingerprint (root);
    if (g_strcmp0 (named, fingerprint) != 0) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_DRIVE_PUBLIC_KEY_NAME,
          "key %s, but %s names %s: the key was replaced", fingerprint,
          DVR_DRIVE_IDENTITY_NAME, named != NULL ? named : "none");
      return fingerprint;
    }
  }
  dvr_check_list_add (checks, DVR_CHECK_PASS, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  return fingerprint;
}

static void
check_segments (const gchar *root, GPtrArray *segments, DvrToolProgress *progress,
                DvrCheckList *checks)
{
  guint64 total = 0, done = 0;

  for (guint i = 0; i < segments->len; i++)
    total += ((DvrSegment *) segments->pdata[i])->bytes;
  for (guint i = 0; i < segments->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (segments, i);
    g_autofree gchar *path = g_build_filename (root, segment->path, NULL);
    g_autofree gchar *sha256 = NULL;
    g_autofree gchar *label = NULL;
    g_autoptr (GError) error = NULL;
    guint64 size = 0;

    label = g_strdup_printf ("segment %u of %u", i + 1, segments->len);
    dvr_tool_progress_update (progress, label, total > 0 ? (gdouble) done / total : 0, NULL);
    done += segment->bytes;
    if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, segment->path, "missing");
      continue;
    }
    if (!dvr_tool_sha256_file (path, NULL, NULL, &sha256, &size, &error)) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, segment->path, "%s", error->message);
      continue;
    }
    if (size != segment->bytes)
      dvr_check_list_add (checks, DVR_CHECK_FAIL, segment->path, "%" G_GUINT64_FORMAT
          " bytes, the catalog says %" G_GUINT64_FORMAT, size, segment->bytes);
    else if (!g_str_equal (sha256, segment->sha256))
      dvr_check_list_add (checks, DVR_CHECK_FAIL, segment->path,
          "SHA-256 differs from the catalog");
    else
      dvr_check_list_add (checks, DVR_CHECK_PASS, segment->path, NULL);
  }
  dvr_tool_progress_clear (progress);
}

/* Segment files under ROOT/CAMERA/DAY that the catalog does not list. */
static void
check_unknown_files (const gchar *root, GPtrArray *segments, GPtrArray *garbage,
                     DvrCheckList *checks)
{
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) waiting = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) top = g_dir_open (root, 0, NULL);
  const gchar *camera;

  for (guint i = 0; i < segments->len; i++)
    g_hash_table_add (known, ((DvrSegment *) segments->pdata[i])->path);
  for (guint i = 0; i < garbage->len; i++)
    g_hash_table_add (waiting, garbage->pdata[i]);
  while (top != NULL && (camera = g_dir_read_name (top)) != NULL) {
    g_autofree gchar *camera_path = g_build_filename (root, camera, NULL);
    g_autoptr (GDir) days = NULL;
    const gchar *day;

    if (!g_file_test (camera_path, G_FILE_TEST_IS_DIR) || g_str_equal (camera, "keys") ||
        g_str_equal (camera, "lost+found"))
      continue;
    days = g_dir_open (camera_path, 0, NULL);
    while (days != NULL && (day = g_dir_read_name (days)) != NULL) {
      g_autofree gchar *day_path = g_build_filename (camera_path, day, NULL);
      g_autoptr (GDir) files = g_dir_open (day_path, 0, NULL);
      const gchar *name;

      while (files != NULL && (name = g_dir_read_name (files)) != NULL) {
        if (g_str_has_suffix (name, DVR_STORAGE_SEGMENT_SUFFIX))
          g_ptr_array_add (found, g_build_filename (camera, day, name, NULL));
      }
    }
  }
  g_ptr_array_sort (found, dvr_package_compare_names);
  for (guint i = 0; i < found->len; i++) {
    const gchar *path = g_ptr_array_index (found, i);
    if (g_hash_table_contains (known, path))
      continue;
    if (g_hash_table_contains (waiting, path))
      dvr_check_list_add (checks, DVR_CHECK_WARN, path,
          "deleted in the catalog (garbage), the file not yet: dvrd removes it at its next "
          "start");
    else
      dvr_check_list_add (checks, DVR_CHECK_WARN, path,
          "not in the catalog (a segment dvrd had not finished, or a file put there)");
  }
}

static void
check_audit (DvrCatalog *catalog, DvrCheckList *checks, Output *output)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *head = NULL;
  guint64 rows = 0;
  gint64 first_bad = 0;

  if (dvr_catalog_get_schema_version (catalog) < 3) {
    dvr_check_list_add (checks, DVR_CHECK_WARN, DVR_STORAGE_CATALOG_NAME " (audit log)",
        "none: the catalog is schema %d, from a dvrd before the audit log",
        dvr_catalog_get_schema_version (catalog));
    return;
  }
  if (!dvr_catalog_verify_audit (catalog, &rows, &first_bad, &error)) {
    g_autofree gchar *where = NULL;
    g_autofree gchar *row = g_strdup_printf ("%" G_GINT64_FORMAT, first_bad);
    g_autofree gchar *problem = dvr_catalog_audit_problem (error->message, row);

    where = first_bad > 0 ?
        g_strdup_printf (DVR_STORAGE_CATALOG_NAME " (audit row %" G_GINT64_FORMAT ")",
            first_bad) : g_strdup (DVR_STORAGE_CATALOG_NAME " (audit log)");
    dvr_check_list_add (checks, DVR_CHECK_FAIL, where, "%s", problem);
    return;
  }
  head = dvr_catalog_get_audit_head (catalog, &error);
  dvr_check_list_add (checks, DVR_CHECK_PASS, DVR_STORAGE_CATALOG_NAME " (audit log)", NULL);
  if (!output->json)
    g_print ("audit log: %" G_GUINT64_FORMAT " rows, head %s\n", rows, head != NULL ? head : "?");
}

static const gchar *
detail_string (JsonObject *detail, const gchar *member)
{
  return json_object_get_string_member_with_default (detail, member, NULL);
}

/* Each export record has its audit row, and each of its source segments
 * is still catalogued as it was, or was deleted with an audit row. */
static void
check_exports (DvrCatalog *catalog, DvrCheckList *checks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) exports = dvr_catalog_list_exports (catalog, &error);
  g_autoptr (GHashTable) audited = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      g_free);
  g_autoptr (GHashTable) deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 after = 0;

  if (exports == NULL) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_STORAGE_CATALOG_NAME " (exports)", "%s",
        error->message);
    return;
  }
  if (exports->len == 0)
    return;
  for (;;) {
    g_autoptr (GPtrArray) rows = dvr_catalog_list_audit (catalog, after, 1000, &error);

    if (rows == NULL || rows->len == 0)
      break;
    for (guint i = 0; i < rows->len; i++) {
      const DvrAuditEntry *entry = g_ptr_array_index (rows, i);
      g_autoptr (JsonNode) node = json_from_string (entry->detail, NULL);
      JsonObject *detail = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ?
          json_node_get_object (node) : NULL;

      after = entry->id;
      if (detail == NULL)
        continue;
      if (g_str_equal (entry->action, "export") && json_object_has_member (detail, "export")) {
        gint64 id = json_object_get_int_member_with_default (detail, "export", 0);
        g_hash_table_replace (audited, g_memdup2 (&id, sizeof id),
            g_strdup (detail_string (detail, "manifest_sha256")));
      } else if (g_str_equal (entry->action, "delete") && detail_string (detail, "path")) {
        g_hash_table_add (deleted, g_strdup (detail_string (detail, "path")));
      }
    }
  }
  for (guint i = 0; i < exports->len; i++) {
    const DvrExport *export = g_ptr_array_index (exports, i);
    g_autofree gchar *where = g_strdup_printf (DVR_STORAGE_CATALOG_NAME " (export %"
        G_GINT64_FORMAT ")", export->id);
    const gchar *manifest = g_hash_table_lookup (audited, &export->id);
    guint problems = 0;

    if (manifest == NULL || g_strcmp0 (manifest, export->manifest_sha256) != 0) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, where,
          "no audit row records it with its manifest %s", export->manifest_sha256);
      continue;
    }
    for (guint j = 0; j < export->segments->len; j++) {
      const DvrSegment *segment = g_ptr_array_index (export->segments, j);
      if (segment->id == 0 && !g_hash_table_contains (deleted, segment->path)) {
        dvr_check_list_add (checks, DVR_CHECK_FAIL, where,
            "its source segment %s is neither in the catalog nor deleted in the audit log",
            segment->path);
        problems++;
      }
    }
    if (problems == 0)
      dvr_check_list_add (checks, DVR_CHECK_PASS, where, NULL);
  }
}

static gint
verify_drive (const gchar *root, Output *output)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  g_autoptr (GPtrArray) garbage = NULL;
  g_auto (DvrCheckList) checks = { 0, };
  g_autofree gchar *fingerprint = NULL;

  dvr_check_list_init (&checks, print_check, output);
  fingerprint = check_drive_files (root, &checks);
  if (fingerprint != NULL && !output->json)
    g_print ("key %s (%s)\n", fingerprint, DVR_DRIVE_PUBLIC_KEY_NAME);
  catalog = dvr_tool_open_catalog (root, &error);
  if (catalog == NULL) {
    dvr_check_list_add (&checks, DVR_CHECK_FAIL, DVR_STORAGE_CATALOG_NAME, "%s", error->message);
  } else {
    segments = dvr_catalog_list_segments (catalog, NULL, G_MININT64, G_MAXINT64, &error);
    if (segments != NULL)
      garbage = dvr_catalog_list_garbage (catalog, &error);
    if (segments == NULL || garbage == NULL) {
      dvr_check_list_add (&checks, DVR_CHECK_FAIL, DVR_STORAGE_CATALOG_NAME, "%s",
          error->message);
    } else {
      check_segments (root, segments, output->progress, &checks);
      check_unknown_files (root, segments, garbage, &checks);
      check_audit (catalog, &checks, output);
      check_exports (catalog, &checks);
    }
  }
  if (output->json)
    print_json (root, "drive", &checks, fingerprint, DVR_DRIVE_PUBLIC_KEY_NAME);
  else
    print_summary ("drive", root, &checks);
  return checks.failures == 0 ? DVR_TOOL_EXIT_OK : DVR_TOOL_EXIT_FAILED;
}

/* ------------------------------------------------------------------ */

static gint
usage_error (const gchar *message)
{
  g_printerr (TOOL ": %s\nTry \"" TOOL " --help\".\n", message);
  return DVR_TOOL_EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree gchar *key = NULL;
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrToolProgress) progress = NULL;
  g_autofree gchar *manifest = NULL;
  g_autofree gchar *catalog = NULL;
  Output output = { 0, };
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key,
      "An export: check its signature with this public key (PEM), e.g. the drive's "
      "keys/signing.pub", "PUBKEY.pem" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  options = g_option_context_new ("PATH - check an export package or a DVR drive");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_description (options,
      "  dvr-verify /media/usb/case-17                      an export\n"
      "  dvr-verify --key /media/dvr/keys/signing.pub /media/usb/case-17\n"
      "  dvr-verify /media/dvr                              a drive\n"
      "Exit status: 0 everything passes, 1 something failed, 2 usage error.\n");
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return usage_error (error->message);
  if (argc != 2)
    return usage_error ("expected one PATH: an export's folder or a drive's root");
  progress = dvr_tool_progress_new ();
  output.json = json;
  output.progress = progress;
  manifest = g_build_filename (argv[1], DVR_PACKAGE_MANIFEST, NULL);
  catalog = g_build_filename (argv[1], DVR_STORAGE_CATALOG_NAME, NULL);
  if (g_file_test (manifest, G_FILE_TEST_EXISTS))
    return verify_export (argv[1], key, &output);
  if (key != NULL)
    return usage_error ("--key is for an export (a folder with manifest.json)");
  if (g_file_test (catalog, G_FILE_TEST_EXISTS)) {
    g_autofree gchar *root = g_canonicalize_filename (argv[1], NULL);
    return verify_drive (root, &output);
  }
  g_printerr (TOOL ": %s: neither an export (no %s) nor a drive (no %s)\n", argv[1],
      DVR_PACKAGE_MANIFEST, DVR_STORAGE_CATALOG_NAME);
  return DVR_TOOL_EXIT_FAILED;
}
