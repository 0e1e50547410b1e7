/* dvr-tool-package: an evidence package read and checked
 * (dvr-tool-package.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-tool-package.h"

#include <stdarg.h>
#include <string.h>

#include "dvr-utils.h"

/* ------------------------------------------------------------------ */
/* Check lists */

static void
check_free (DvrCheck *check)
{
  g_free (check->path);
  g_free (check->problem);
  g_free (check);
}

void
dvr_check_list_init (DvrCheckList *list, DvrCheckFunc func, gpointer user_data)
{
  memset (list, 0, sizeof *list);
  list->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) check_free);
  list->func = func;
  list->user_data = user_data;
}

void
dvr_check_list_clear (DvrCheckList *list)
{
  g_clear_pointer (&list->checks, g_ptr_array_unref);
}

void
dvr_check_list_add (DvrCheckList *list, DvrCheckResult result, const gchar *path,
                    const gchar *format, ...)
{
  DvrCheck *check = g_new0 (DvrCheck, 1);

  check->result = result;
  check->path = g_strdup (path);
  if (format != NULL) {
    va_list args;
    va_start (args, format);
    check->problem = g_strdup_vprintf (format, args);
    va_end (args);
  }
  switch (result) {
  case DVR_CHECK_PASS:
    list->passes++;
    break;
  case DVR_CHECK_WARN:
    list->warnings++;
    break;
  case DVR_CHECK_FAIL:
    list->failures++;
    break;
  }
  g_ptr_array_add (list->checks, check);
  if (list->func != NULL)
    list->func (check, list->user_data);
}

/* ------------------------------------------------------------------ */
/* The package */

struct _DvrPackage {
  gchar *dir;
  gchar *manifest_text;
  gsize manifest_length;
  gchar *manifest_sha256;
  JsonNode *manifest;       /* NULL when it does not parse */
  gchar *parse_problem;
  gchar *key_fingerprint;
  gboolean signature_ok;
};

void
dvr_package_free (DvrPackage *package)
{
  if (package == NULL)
    return;
  g_free (package->dir);
  g_free (package->manifest_text);
  g_free (package->manifest_sha256);
  g_clear_pointer (&package->manifest, json_node_unref);
  g_free (package->parse_problem);
  g_free (package->key_fingerprint);
  g_free (package);
}

DvrPackage *
dvr_package_open (const gchar *dir, GError **error)
{
  g_autoptr (DvrPackage) package = g_new0 (DvrPackage, 1);
  g_autofree gchar *path = g_build_filename (dir, DVR_PACKAGE_MANIFEST, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "%s: no %s there: not an export made by dvr-export", dir, DVR_PACKAGE_MANIFEST);
    return NULL;
  }
  if (!g_file_get_contents (path, &package->manifest_text, &package->manifest_length, error))
    return NULL;
  package->dir = g_strdup (dir);
  package->manifest_sha256 = dvr_tool_sha256_data ((const guint8 *) package->manifest_text,
      package->manifest_length);
  if (!json_parser_load_from_data (parser, package->manifest_text,
                                   (gssize) package->manifest_length, &parse_error)) {
    package->parse_problem = g_strdup_printf ("not valid JSON (%s)", parse_error->message);
    return g_steal_pointer (&package);
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    package->parse_problem = g_strdup ("not a JSON object");
    return g_steal_pointer (&package);
  }
  if (g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (root),
                     "format", NULL), DVR_PACKAGE_FORMAT) != 0) {
    package->parse_problem = g_strdup ("its \"format\" is not \"" DVR_PACKAGE_FORMAT "\"");
    return g_steal_pointer (&package);
  }
  package->manifest = json_node_ref (root);
  return g_steal_pointer (&package);
}

JsonObject *
dvr_package_get_manifest (DvrPackage *package)
{
  return package->manifest != NULL ? json_node_get_object (package->manifest) : NULL;
}

const gchar *
dvr_package_get_manifest_sha256 (DvrPackage *package)
{
  return package->manifest_sha256;
}

const gchar *
dvr_package_get_key_fingerprint (DvrPackage *package)
{
  return package->key_fingerprint;
}

gboolean
dvr_package_get_signature_ok (DvrPackage *package)
{
  return package->signature_ok;
}

gint
dvr_package_compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* ------------------------------------------------------------------ */
/* Reading the manifest: each value checked, errors naming the member */

static JsonNode *
member (JsonObject *object, const gchar *name)
{
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

static const gchar *
get_string (JsonObject *object, const gchar *name)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_int (JsonObject *object, const gchar *name, gint64 *value)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static JsonArray *
get_array (JsonObject *object, const gchar *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
get_object (JsonObject *object, const gchar *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonObject *
array_object (JsonArray *array, guint index)
{
  JsonNode *node = json_array_get_element (array, index);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Sets the error; returns NULL (for the functions returning a record). */
static gpointer
bad_member (GError **error, const gchar *where, const gchar *expected)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      DVR_PACKAGE_MANIFEST ": %s: expected %s", where, expected);
  return NULL;
}

/* A file name of the package itself: no folders, nothing hidden outside. */
static gboolean
is_package_name (const gchar *name)
{
  return name != NULL && *name != '\0' && strchr (name, '/') == NULL &&
      !g_str_equal (name, ".") && !g_str_equal (name, "..");
}

/* ------------------------------------------------------------------ */
/* Verification */

static void
check_signature (DvrPackage *package, const guint8 *given_key, const gchar *key_label,
                 DvrCheckList *checks)
{
  g_autofree gchar *sig_path = g_build_filename (package->dir, DVR_PACKAGE_SIGNATURE, NULL);
  g_autofree gchar *key_path = g_build_filename (package->dir, DVR_PACKAGE_PUBLIC_KEY, NULL);
  g_autofree gchar *signature = NULL;
  g_autoptr (GError) error = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  JsonObject *manifest = dvr_package_get_manifest (package);
  const gchar *named = get_string (manifest, "key_fingerprint");
  gsize length = 0;

  if (given_key != NULL) {
    memcpy (public_key, given_key, sizeof public_key);
  } else if (!dvr_drive_read_public_key_file (key_path, public_key, &error)) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
        "no key to check the signature with: %s (give the drive's with --key)", error->message);
    return;
  }
  package->key_fingerprint = dvr_drive_key_fingerprint (public_key);
  if (!g_file_get_contents (sig_path, &signature, &length, &error)) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_SIGNATURE,
        g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ?
        "missing: the manifest is not signed" : "%s", error->message);
    return;
  }
  if (length != DVR_DRIVE_SIGNATURE_BYTES) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_SIGNATURE,
        "%" G_GSIZE_FORMAT " bytes, not a %u-byte Ed25519 signature", length,
        DVR_DRIVE_SIGNATURE_BYTES);
    return;
  }
  if (!dvr_drive_verify (public_key, (const guint8 *) package->manifest_text,
                         package->manifest_length, (const guint8 *) signature)) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
        "signature does not verify with key %s (%s): the manifest or its signature was "
        "changed, or another key signed it", package->key_fingerprint, key_label);
    return;
  }
  package->signature_ok = TRUE;
  if (named != NULL && !g_str_equal (named, package->key_fingerprint)) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
        "signed with key %s, but it names key %s", package->key_fingerprint, named);
    return;
  }
  dvr_check_list_add (checks, DVR_CHECK_PASS, DVR_PACKAGE_SIGNATURE, NULL);
}

static void
check_files (DvrPackage *package, DvrToolProgress *progress, DvrCheckList *checks)
{
  JsonArray *files = get_array (dvr_package_get_manifest (package), "files");
  g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) extra = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  const gchar *name;

  if (files == NULL) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST, "no \"files\" list");
    return;
  }
  for (guint i = 0; i < json_array_get_length (files); i++) {
    JsonObject *file = array_object (files, i);
    const gchar *sha256 = get_string (file, "sha256");
    g_autofree gchar *path = NULL;
    g_autofree gchar *found = NULL;
    g_autofree gchar *label = NULL;
    gint64 bytes = -1;
    guint64 size = 0;

    name = get_string (file, "name");
    if (!is_package_name (name) || sha256 == NULL || !get_int (file, "bytes", &bytes)) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
          "files[%u]: expected a file name (no folders), its sha256 and bytes", i);
      continue;
    }
    g_hash_table_add (listed, (gpointer) name);
    path = g_build_filename (package->dir, name, NULL);
    if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, name, "missing");
      continue;
    }
    label = g_strdup_printf ("hashing %s", name);
    if (!dvr_tool_sha256_file (path, progress, label, &found, &size, &error)) {
      dvr_tool_progress_clear (progress);
      dvr_check_list_add (checks, DVR_CHECK_FAIL, name, "%s", error->message);
      g_clear_error (&error);
      continue;
    }
    dvr_tool_progress_clear (progress);
    if ((gint64) size != bytes)
      dvr_check_list_add (checks, DVR_CHECK_FAIL, name, "%" G_GUINT64_FORMAT " bytes, the "
          "manifest says %" G_GINT64_FORMAT, size, bytes);
    else if (!g_str_equal (found, sha256))
      dvr_check_list_add (checks, DVR_CHECK_FAIL, name, "SHA-256 differs from the manifest");
    else
      dvr_check_list_add (checks, DVR_CHECK_PASS, name, NULL);
  }

  dir = g_dir_open (package->dir, 0, &error);
  if (dir == NULL) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, package->dir, "%s", error->message);
    return;
  }
  while ((name = g_dir_read_name (dir)) != NULL) {
    if (!g_hash_table_contains (listed, name) && !g_str_equal (name, DVR_PACKAGE_MANIFEST) &&
        !g_str_equal (name, DVR_PACKAGE_SIGNATURE))
      g_ptr_array_add (extra, g_strdup (name));
  }
  g_ptr_array_sort (extra, dvr_package_compare_names);
  for (guint i = 0; i < extra->len; i++)
    dvr_check_list_add (checks, DVR_CHECK_FAIL, extra->pdata[i], "not in the manifest");
}

/* Each camera's file must be one of the files (whose hashes are checked). */
static void
check_cameras (DvrPackage *package, DvrCheckList *checks)
{
  JsonObject *manifest = dvr_package_get_manifest (package);
  JsonArray *cameras = get_array (manifest, "cameras");
  JsonArray *files = get_array (manifest, "files");

  for (guint i = 0; cameras != NULL && i < json_array_get_length (cameras); i++) {
    const gchar *file = get_string (array_object (cameras, i), "file");
    gboolean found = FALSE;

    for (guint j = 0; file != NULL && files != NULL && j < json_array_get_length (files); j++)
      found = found || g_strcmp0 (get_string (array_object (files, j), "name"), file) == 0;
    if (file != NULL && !found)
      dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
          "cameras[%u]: its file %s is not in the files list", i, file);
  }
}

/* Each row of the excerpt re-hashed; rows with consecutive ids linked; the
 * head one of them. */
static void
check_audit (DvrPackage *package, DvrCheckList *checks)
{
  JsonObject *audit = get_object (dvr_package_get_manifest (package), "audit");
  JsonArray *rows = get_array (audit, "rows");
  JsonObject *head = get_object (audit, "head");
  gint64 previous_id = 0;
  const gchar *previous_hash = NULL;
  gboolean head_seen = head == NULL;
  guint bad = 0;
  gint64 head_id = 0;
  const gchar *head_hash = get_string (head, "hash");

  if (audit == NULL || rows == NULL) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST, "no audit excerpt");
    return;
  }
  get_int (head, "id", &head_id);
  for (guint i = 0; i < json_array_get_length (rows); i++) {
    JsonObject *row = array_object (rows, i);
    const gchar *action = get_string (row, "action");
    const gchar *detail = get_string (row, "detail");
    const gchar *prev_hash = get_string (row, "prev_hash");
    const gchar *hash = get_string (row, "hash");
    g_autofree gchar *where = NULL;
    g_autofree gchar *computed = NULL;
    gint64 id = 0, utc_ns = 0;

    if (!get_int (row, "id", &id) || !get_int (row, "time_utc_ns", &utc_ns) || action == NULL ||
        detail == NULL || prev_hash == NULL || hash == NULL) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
          "audit row %u of the excerpt: a field is missing", i + 1);
      bad++;
      continue;
    }
    where = g_strdup_printf (DVR_PACKAGE_MANIFEST " (audit row %" G_GINT64_FORMAT ")", id);
    computed = dvr_audit_compute_hash (prev_hash, id, utc_ns, action, detail);
    if (!g_str_equal (computed, hash)) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, where,
          "%s: its contents do not match its hash (the row was changed)", action);
      bad++;
    } else if (previous_hash != NULL && id == previous_id + 1 &&
               !g_str_equal (prev_hash, previous_hash)) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, where,
          "%s: prev_hash does not match the hash of row %" G_GINT64_FORMAT " before it",
          action, previous_id);
      bad++;
    } else if (previous_hash != NULL && id <= previous_id) {
      dvr_check_list_add (checks, DVR_CHECK_FAIL, where, "%s: out of order", action);
      bad++;
    }
    if (head != NULL && id == head_id) {
      head_seen = TRUE;
      if (g_strcmp0 (head_hash, hash) != 0) {
        dvr_check_list_add (checks, DVR_CHECK_FAIL, where, "the head's hash is not this row's");
        bad++;
      }
    }
    previous_id = id;
    previous_hash = hash;
  }
  if (!head_seen) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
        "the audit head (row %" G_GINT64_FORMAT ") is not in the excerpt", head_id);
    bad++;
  }
  if (bad == 0)
    dvr_check_list_add (checks, DVR_CHECK_PASS, DVR_PACKAGE_MANIFEST " (audit excerpt)", NULL);
}

gboolean
dvr_package_verify (DvrPackage *package, const guint8 *public_key, const gchar *key_label,
                    DvrToolProgress *progress, DvrCheckList *checks)
{
  guint failures = checks->failures;

  g_return_val_if_fail (package != NULL && checks != NULL, FALSE);

  check_signature (package, public_key, key_label != NULL ? key_label :
      DVR_PACKAGE_PUBLIC_KEY " in the package", checks);
  if (package->manifest == NULL) {
    dvr_check_list_add (checks, DVR_CHECK_FAIL, DVR_PACKAGE_MANIFEST,
        "%s: not a " DVR_PACKAGE_FORMAT " manifest", package->parse_problem);
    return FALSE;
  }
  check_files (package, progress, checks);
  check_cameras (package, checks);
  check_audit (package, checks);
  return checks->failures == failures;
}

/* ------------------------------------------------------------------ */
/* The export record */

static gboolean
read_time (JsonObject *object, const gchar *name, const gchar *where, gint64 *utc_ns,
           GError **error)
{
  g_autofree gchar *member_name = g_strconcat (name, "_utc_ns", NULL);
  g_autofree gchar *place = g_strdup_printf ("%s.%s", where, member_name);

  if (!get_int (object, member_name, utc_ns)) {
    bad_member (error, place, "a time in ns");
    return FALSE;
  }
  return TRUE;
}

DvrExport *
dvr_package_to_export (DvrPackage *package, const gchar *destination, GError **error)
{
  JsonObject *manifest = dvr_package_get_manifest (package);
  g_autoptr (DvrExport) export = dvr_export_new ();
  JsonObject *span = get_object (manifest, "span");
  JsonNode *event = member (manifest, "event");
  JsonArray *cameras = get_array (manifest, "cameras");

  g_return_val_if_fail (destination != NULL, NULL);

  if (manifest == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s/%s: %s", package->dir,
        DVR_PACKAGE_MANIFEST, package->parse_problem);
    return NULL;
  }
  if (!package->signature_ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: the signature was not verified", package->dir);
    return NULL;
  }
  if (!read_time (manifest, "created", "created", &export->created_utc_ns, error) ||
      !read_time (span, "from", "span", &export->from_utc_ns, error) ||
      !read_time (span, "to", "span", &export->to_utc_ns, error))
    return NULL;
  if (event != NULL && JSON_NODE_HOLDS_OBJECT (event)) {
    if (!get_int (json_node_get_object (event), "id", &export->event_id) ||
        export->event_id <= 0)
      return bad_member (error, "event.id", "an event id");
  } else if (event == NULL || !JSON_NODE_HOLDS_NULL (event)) {
    return bad_member (error, "event", "an object or null");
  }
  if (cameras == NULL)
    return bad_member (error, "cameras", "an array");
  for (guint i = 0; i < json_array_get_length (cameras); i++) {
    JsonObject *camera = array_object (cameras, i);
    g_autofree gchar *where = g_strdup_printf ("cameras[%u]", i);
    JsonArray *sources = get_array (camera, "sources");
    const gchar *name = get_string (camera, "name");
    gint64 from = 0, to = 0;

    if (name == NULL)
      return bad_member (error, where, "a camera \"name\"");
    if (!read_time (camera, "from", where, &from, error) ||
        !read_time (camera, "to", where, &to, error))
      return NULL;
    if (sources == NULL)
      return bad_member (error, where, "a \"sources\" array");
    g_ptr_array_add (export->cameras, dvr_event_window_new (name, from, to));
    for (guint j = 0; j < json_array_get_length (sources); j++) {
      JsonObject *source = array_object (sources, j);
      g_autofree gchar *place = g_strdup_printf ("%s.sources[%u]", where, j);
      DvrSegment *segment;
      gint64 bytes = 0;

      if (get_string (source, "path") == NULL || get_string (source, "sha256") == NULL ||
          !get_int (source, "bytes", &bytes))
        return bad_member (error, place, "path, sha256 and bytes");
      segment = dvr_segment_new ();
      segment->camera = g_strdup (name);
      segment->path = g_strdup (get_string (source, "path"));
      segment->sha256 = g_strdup (get_string (source, "sha256"));
      segment->bytes = (guint64) bytes;
      g_ptr_array_add (export->segments, segment);
    }
  }
  export->destination = g_strdup (destination);
  export->manifest_sha256 = g_strdup (package->manifest_sha256);
  export->key_fingerprint = g_strdup (package->key_fingerprint);
  return g_steal_pointer (&export);
}
