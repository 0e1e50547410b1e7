/* dvr-tool-package: an evidence package made by dvr-export, read and
 * checked (dvr-verify, dvr-export --mark-exported).  Format in
 * docs/tools.md ("dvr-export/1").
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "dvr-catalog.h"
#include "dvr-drive.h"
#include "dvr-tool-util.h"

G_BEGIN_DECLS

#define DVR_PACKAGE_FORMAT "dvr-export/1"
#define DVR_PACKAGE_MANIFEST "manifest.json"
#define DVR_PACKAGE_SIGNATURE "manifest.json.sig"
#define DVR_PACKAGE_PUBLIC_KEY "signing.pub"
#define DVR_PACKAGE_TRACK_GPX "track.gpx"
#define DVR_PACKAGE_TRACK_GEOJSON "track.geojson"

/* ---- Results, one per file or part checked ---- */

typedef enum {
  DVR_CHECK_PASS,
  DVR_CHECK_WARN,   /* worth knowing, not a failure */
  DVR_CHECK_FAIL,
} DvrCheckResult;

typedef struct {
  DvrCheckResult result;
  gchar *path;      /* as shown: relative to the package or the drive */
  gchar *problem;   /* NULL for a pass */
} DvrCheck;

/* Called as each check is made (for output as it goes). */
typedef void (*DvrCheckFunc) (const DvrCheck *check, gpointer user_data);

typedef struct {
  GPtrArray *checks;  /* DvrCheck, in order */
  guint passes;
  guint warnings;
  guint failures;
  DvrCheckFunc func;
  gpointer user_data;
} DvrCheckList;

void dvr_check_list_init (DvrCheckList *list, DvrCheckFunc func, gpointer user_data);
void dvr_check_list_clear (DvrCheckList *list);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DvrCheckList, dvr_check_list_clear)
/* @format NULL: no problem to tell (a pass, usually). */
void dvr_check_list_add (DvrCheckList *list, DvrCheckResult result, const gchar *path,
                         const gchar *format, ...) G_GNUC_PRINTF (4, 5);

/* ---- The package ---- */

typedef struct _DvrPackage DvrPackage;

/* Reads DIR/manifest.json.  NULL (G_IO_ERROR_NOT_FOUND) when there is none:
 * not a package.  A manifest that does not parse is not an error here:
 * dvr_package_verify() reports it, after checking the signature. */
DvrPackage *dvr_package_open (const gchar *dir, GError **error);
void dvr_package_free (DvrPackage *package);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrPackage, dvr_package_free)

/* Checks the signature with @public_key (NULL: the package's own
 * signing.pub; @key_label says where the key came from), every listed
 * file's size and SHA-256, files present but not listed, and the audit
 * excerpt (each row re-hashed, consecutive rows linked).  Adds one check
 * per file to @checks; TRUE when none failed.  Blocks on the disk. */
gboolean dvr_package_verify (DvrPackage *package, const guint8 *public_key,
                             const gchar *key_label, DvrToolProgress *progress,
                             DvrCheckList *checks);
/* After dvr_package_verify(): the fingerprint of the key the signature was
 * checked with (NULL if there was none), and whether it verified. */
const gchar *dvr_package_get_key_fingerprint (DvrPackage *package);
gboolean dvr_package_get_signature_ok (DvrPackage *package);
/* The parsed manifest's root object, or NULL when it did not parse. */
JsonObject *dvr_package_get_manifest (DvrPackage *package);
const gchar *dvr_package_get_manifest_sha256 (DvrPackage *package);

/* What dvr_catalog_mark_exported() records for a verified package: the
 * event, its cameras' spans and source segments, the manifest's hash and
 * key.  Errors name the manifest member that is wrong. */
DvrExport *dvr_package_to_export (DvrPackage *package, const gchar *destination,
                                  GError **error);

/* Order of the "files" list: by name, bytewise. */
gint dvr_package_compare_names (gconstpointer a, gconstpointer b);

G_END_DECLS
