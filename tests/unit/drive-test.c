/* drive-test: src/dvr-drive.c: the identity file, what dvr_drive_open()
 * initialises and what it refuses (and then leaves byte for byte as it
 * was), the mount point check, and the signing keys, cross-checked with
 * the standard tool (openssl) where it is installed.
 *
 * Hermetic: every volume is a folder in a dvr_test_mkdtemp() folder.
 * "Unchanged" is checked with a snapshot of every entry's type, mode,
 * size, content hash, mtime and ctime, so that even a file created and
 * removed again, or a chmod, shows.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-drive.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPENSSL "/usr/bin/openssl"
#define UNIT "car-1"
#define OTHER_UNIT "car-2"
#define UUID "0b6e5a52-3c1e-4d7f-9a63-2f0c6e1d4b8a"
#define FINGERPRINT_ZERO \
  "SHA256:66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"

/* A valid identity, one key a line: line 1 is [drive], line 2
 * format-version, ... line 7 public-key. */
#define IDENTITY_LINES \
  "[drive]\n" \
  "format-version=1\n" \
  "unit-id=" UNIT "\n" \
  "drive-uuid=" UUID "\n" \
  "role=drive\n" \
  "created=2026-11-28T19:37:31.123Z\n" \
  "public-key=" FINGERPRINT_ZERO "\n"

/* 2026-11-28T19:37:31.123Z */
#define T0 (G_GINT64_CONSTANT (1795894651) * DVR_NSEC_PER_SEC + 123 * DVR_NSEC_PER_MSEC)

/* RFC 8032, 7.1, test 1: secret key (seed), public key, and the signature
 * of the empty message. */
static const gchar rfc8032_seed[] =
  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const gchar rfc8032_public[] =
  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const gchar rfc8032_signature[] =
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/* dvr-drive's messages and warnings, counted instead of printed (GLib
 * 2.74's g_test_expect_message() does not see structured logging, and a
 * warning is fatal in a test). */
static guint new_key_warnings;
static guint rewritten_key_warnings;
static guint initialised_messages;

static GLogWriterOutput
count_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
              gpointer user_data)
{
  for (gsize i = 0; i < n_fields; i++) {
    if (g_strcmp0 (fields[i].key, "MESSAGE") != 0 || fields[i].length != -1)
      continue;
    if ((level & G_LOG_LEVEL_WARNING) && strstr (fields[i].value, ": no signing key: making")) {
      new_key_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
    if ((level & G_LOG_LEVEL_WARNING) && strstr (fields[i].value, ": missing: written again from ")) {
      rewritten_key_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
    if ((level & G_LOG_LEVEL_MESSAGE) && strstr (fields[i].value, ": initialised as ")) {
      initialised_messages++;
      return G_LOG_WRITER_HANDLED;
    }
  }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

typedef struct {
  gchar *folder;     /* the temporary folder */
  gchar *root;       /* folder/volume: the volume under test, made empty */
  gchar *other;      /* folder/other: a second volume, not made */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->folder = dvr_test_mkdtemp ();
  f->root = g_build_filename (f->folder, "volume", NULL);
  f->other = g_build_filename (f->folder, "other", NULL);
  g_assert_cmpint (g_mkdir (f->root, 0750), ==, 0);
  new_key_warnings = 0;
  rewritten_key_warnings = 0;
  initialised_messages = 0;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  dvr_test_rmtree (f->folder);
  g_free (f->other);
  g_free (f->root);
  g_free (f->folder);
}

/* Helpers. */

static gchar *
path_in (const gchar *root, const gchar *name)
{
  return g_build_filename (root, name, NULL);
}

static void
write_text (const gchar *root, const gchar *name, const gchar *text)
{
  g_autofree gchar *path = path_in (root, name);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
}

static gchar *
read_text (const gchar *root, const gchar *name)
{
  g_autofree gchar *path = path_in (root, name);
  g_autoptr (GError) error = NULL;
  gchar *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static void
copy_file (const gchar *from_root, const gchar *to_root, const gchar *name)
{
  g_autofree gchar *text = read_text (from_root, name);
  write_text (to_root, name, text);
}

static void
hex_decode (const gchar *hex, guint8 *out, gsize length)
{
  g_assert_cmpuint (strlen (hex), ==, 2 * length);
  for (gsize i = 0; i < length; i++)
    out[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) * 16 +
                       g_ascii_xdigit_value (hex[2 * i + 1]));
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

static void
snapshot_entry (GString *out, const gchar *root, const gchar *relative)
{
  g_autofree gchar *path = relative[0] != '\0' ? g_build_filename (root, relative, NULL)
                                               : g_strdup (root);
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  g_string_append_printf (out, "%s mode=%o size=%" G_GINT64_FORMAT " mtime=%ld.%09ld "
                          "ctime=%ld.%09ld", relative[0] != '\0' ? relative : ".",
                          (guint) st.st_mode, (gint64) st.st_size, (long) st.st_mtim.tv_sec,
                          st.st_mtim.tv_nsec, (long) st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  if (S_ISREG (st.st_mode)) {
    g_autofree gchar *sha256 = dvr_test_sha256_file (path, NULL);
    g_string_append_printf (out, " sha256=%s\n", sha256);
  } else if (S_ISLNK (st.st_mode)) {
    g_autofree gchar *target = g_file_read_link (path, NULL);
    g_string_append_printf (out, " -> %s\n", target);
  } else if (S_ISDIR (st.st_mode)) {
    g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    const gchar *name;

    g_string_append_c (out, '\n');
    g_assert_nonnull (dir);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_ptr_array_add (names, g_strdup (name));
    g_ptr_array_sort (names, compare_names);
    for (guint i = 0; i < names->len; i++) {
      g_autofree gchar *child = relative[0] != '\0' ?
          g_build_filename (relative, g_ptr_array_index (names, i), NULL) :
          g_strdup (g_ptr_array_index (names, i));
      snapshot_entry (out, root, child);
    }
  } else {
    g_string_append_c (out, '\n');
  }
}

/* Every entry under @root (and @root itself), in a stable order. */
static gchar *
snapshot (const gchar *root)
{
  GString *out = g_string_new (NULL);
  snapshot_entry (out, root, "");
  return g_string_free (out, FALSE);
}

static guint
file_mode (const gchar *root, const gchar *name)
{
  g_autofree gchar *path = path_in (root, name);
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static DvrDriveIdentity *
open_ok (const gchar *root, const gchar *unit, DvrDriveRole role)
{
  g_autoptr (GError) error = NULL;
  DvrDriveIdentity *identity = dvr_drive_open (root, unit, role, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (identity);
  return identity;
}

/* @root is refused with @code and @message (@ROOT@ stands for @root),
 * and nothing under it changed. */
static void
assert_open_refused (const gchar *root,
                     const gchar *unit,
                     DvrDriveRole role,
                     gboolean require_mount,
                     DvrDriveError code,
                     const gchar *message)
{
  g_autofree gchar *before = snapshot (root);
  g_autofree gchar *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (GString) expected = g_string_new (message);

  g_string_replace (expected, "@ROOT@", root, 0);
  identity = dvr_drive_open (root, unit, role, require_mount, &error);
  g_assert_null (identity);
  g_assert_error (error, DVR_DRIVE_ERROR, (gint) code);
  g_assert_cmpstr (error->message, ==, expected->str);
  after = snapshot (root);
  g_assert_cmpstr (after, ==, before);
}

static void
assert_load_fails (const gchar *root, DvrDriveError code, const gchar *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrDriveIdentity) identity = dvr_drive_identity_load (root, &error);

  g_assert_null (identity);
  g_assert_error (error, DVR_DRIVE_ERROR, (gint) code);
  g_assert_cmpstr (error->message, ==, message);
}

/* @lines with line @number (1-based) replaced by @replacement (NULL:
 * removed). */
static gchar *
replace_line (const gchar *lines, guint number, const gchar *replacement)
{
  g_auto (GStrv) split = g_strsplit (lines, "\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; split[i] != NULL; i++) {
    if (split[i + 1] == NULL && split[i][0] == '\0')
      break;
    if (i + 1 != number)
      g_string_append_printf (out, "%s\n", split[i]);
    else if (replacement != NULL)
      g_string_append_printf (out, "%s\n", replacement);
  }
  return g_string_free (out, FALSE);
}

/* The identity file. */

static void
test_identity_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (DvrDriveIdentity) loaded = NULL;
  g_autoptr (DvrDriveIdentity) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autofree gchar *identity_path = path_in (f->root, DVR_DRIVE_IDENTITY_NAME);
  g_autofree gchar *fingerprint = NULL;
  g_autofree gchar *written = NULL;
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  /* The file keeps milliseconds. */
  gint64 start_ns = dvr_utc_now_ns () / DVR_NSEC_PER_MSEC * DVR_NSEC_PER_MSEC;
  gint64 end_ns;

  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  end_ns = dvr_utc_now_ns ();
  g_assert_cmpuint (initialised_messages, ==, 1);
  g_assert_cmpuint (identity->format_version, ==, DVR_DRIVE_FORMAT_VERSION);
  g_assert_cmpstr (identity->unit_id, ==, UNIT);
  g_assert_true (g_uuid_string_is_valid (identity->drive_uuid));
  g_assert_cmpint (identity->role, ==, DVR_DRIVE_ROLE_DRIVE);
  g_assert_cmpint (identity->created_utc_ns, >=, start_ns);
  g_assert_cmpint (identity->created_utc_ns, <=, end_ns);

  /* What is on disk is what was returned. */
  loaded = dvr_drive_identity_load (f->root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->format_version, ==, identity->format_version);
  g_assert_cmpstr (loaded->unit_id, ==, identity->unit_id);
  g_assert_cmpstr (loaded->drive_uuid, ==, identity->drive_uuid);
  g_assert_cmpint (loaded->role, ==, identity->role);
  g_assert_cmpint (loaded->created_utc_ns, ==, identity->created_utc_ns);

  /* The file, read as any GKeyFile, names every key and the key's
   * fingerprint. */
  g_assert_true (g_key_file_load_from_file (key_file, identity_path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  g_assert_true (dvr_drive_load_public_key (f->root, public_key, &error));
  g_assert_no_error (error);
  fingerprint = dvr_drive_key_fingerprint (public_key);
  written = g_key_file_get_string (key_file, "drive", "public-key", &error);
  g_assert_cmpstr (written, ==, fingerprint);
  g_clear_pointer (&written, g_free);
  written = g_key_file_get_string (key_file, "drive", "created", &error);
  g_assert_true (g_str_has_suffix (written, "Z"));
  g_assert_cmpuint (strlen (written), ==, strlen ("2026-11-28T19:37:31.123Z"));
  g_clear_pointer (&written, g_free);
  written = g_key_file_get_string (key_file, "drive", "role", &error);
  g_assert_cmpstr (written, ==, "drive");
  g_assert_cmpint (g_key_file_get_integer (key_file, "drive", "format-version", &error), ==, 1);
  g_assert_no_error (error);

  /* Opened again: the same volume, and nothing written. */
  before = snapshot (f->root);
  again = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  after = snapshot (f->root);
  g_assert_cmpstr (again->drive_uuid, ==, identity->drive_uuid);
  g_assert_cmpint (again->created_utc_ns, ==, identity->created_utc_ns);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (initialised_messages, ==, 1);

  /* A fallback folder: the other role, its own uuid; a missing folder is
   * made. */
  {
    g_autoptr (DvrDriveIdentity) fallback = open_ok (f->other, UNIT, DVR_DRIVE_ROLE_FALLBACK);
    g_autoptr (DvrDriveIdentity) fallback_loaded = dvr_drive_identity_load (f->other, &error);

    g_assert_no_error (error);
    g_assert_cmpint (fallback->role, ==, DVR_DRIVE_ROLE_FALLBACK);
    g_assert_cmpint (fallback_loaded->role, ==, DVR_DRIVE_ROLE_FALLBACK);
    g_assert_cmpstr (fallback->drive_uuid, !=, identity->drive_uuid);
  }
  g_assert_cmpstr (dvr_drive_role_to_string (DVR_DRIVE_ROLE_DRIVE), ==, "drive");
  g_assert_cmpstr (dvr_drive_role_to_string (DVR_DRIVE_ROLE_FALLBACK), ==, "fallback");
}

static void
test_identity_parse (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrDriveIdentity) identity = NULL;

  /* Written by hand: comments, blanks and spaces around "=" are fine. */
  write_text (f->root, DVR_DRIVE_IDENTITY_NAME,
              "# a comment\n\n[drive]\nformat-version = 1\nunit-id = " UNIT "\n"
              "drive-uuid=" UUID "\nrole=fallback\ncreated=2026-11-28T19:37:31.123Z\n"
              "public-key=" FINGERPRINT_ZERO "\n");
  identity = dvr_drive_identity_load (f->root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (identity->format_version, ==, 1);
  g_assert_cmpstr (identity->unit_id, ==, UNIT);
  g_assert_cmpstr (identity->drive_uuid, ==, UUID);
  g_assert_cmpint (identity->role, ==, DVR_DRIVE_ROLE_FALLBACK);
  g_assert_cmpint (identity->created_utc_ns, ==, T0);
}

typedef struct {
  guint line;               /* of IDENTITY_LINES, replaced */
  const gchar *replacement; /* NULL: the line removed */
  const gchar *message;     /* @FILE@: ROOT/dvr-drive.ini */
} DamageCase;

static void
test_identity_damaged (Fixture *f, gconstpointer data)
{
  const DamageCase cases[] = {
    { 2, NULL, "@FILE@: [drive] format-version: missing, expected a format version such as 1" },
    { 3, NULL, "@FILE@: [drive] unit-id: missing, expected 1 to 64 characters A-Z a-z 0-9 . _ -" },
    { 4, NULL, "@FILE@: [drive] drive-uuid: missing, expected a UUID" },
    { 5, NULL, "@FILE@: [drive] role: missing, expected one of drive, fallback" },
    { 6, NULL, "@FILE@: [drive] created: missing, expected an ISO 8601 UTC time such as 2026-11-28T19:37:31.123Z" },
    { 7, NULL, "@FILE@: [drive] public-key: missing, expected SHA256: and 64 lowercase hex digits" },
    { 2, "format-version=one", "@FILE@:2: [drive] format-version: expected a format version such as 1, got \"one\"" },
    { 2, "format-version=0", "@FILE@:2: [drive] format-version: expected a format version such as 1, got \"0\"" },
    { 2, "format-version=-1", "@FILE@:2: [drive] format-version: expected a format version such as 1, got \"-1\"" },
    { 2, "format-version=1.0", "@FILE@:2: [drive] format-version: expected a format version such as 1, got \"1.0\"" },
    { 3, "unit-id=car 1", "@FILE@:3: [drive] unit-id: expected 1 to 64 characters A-Z a-z 0-9 . _ -, got \"car 1\"" },
    { 4, "drive-uuid=0b6e5a52-3c1e", "@FILE@:4: [drive] drive-uuid: expected a UUID, got \"0b6e5a52-3c1e\"" },
    { 5, "role=backup", "@FILE@:5: [drive] role: expected one of drive, fallback, got \"backup\"" },
    { 6, "created=yesterday", "@FILE@:6: [drive] created: expected an ISO 8601 UTC time such as 2026-11-28T19:37:31.123Z, got \"yesterday\"" },
    { 6, "created=2026-11-28T19:37:31.123", "@FILE@:6: [drive] created: expected an ISO 8601 UTC time such as 2026-11-28T19:37:31.123Z, got \"2026-11-28T19:37:31.123\"" },
    { 7, "public-key=SHA256:ABC", "@FILE@:7: [drive] public-key: expected SHA256: and 64 lowercase hex digits, got \"SHA256:ABC\"" },
    { 4, "this is garbage", "@FILE@:4: expected [group], key = value or # comment, got \"this is garbage\"" },
    { 1, "[disk]", "@FILE@: no [drive] group, expected a dvr drive identity" },
    { 1, "format-version=1", "@FILE@:1: expected [group], key = value or # comment, got \"format-version=1\"" },
  };
  g_autofree gchar *file = path_in (f->root, DVR_DRIVE_IDENTITY_NAME);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text = replace_line (IDENTITY_LINES, cases[i].line, cases[i].replacement);
    g_autoptr (GString) expected = g_string_new (cases[i].message);

    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].message);
    g_string_replace (expected, "@FILE@", file, 0);
    write_text (f->root, DVR_DRIVE_IDENTITY_NAME, text);
    assert_load_fails (f->root, DVR_DRIVE_ERROR_INVALID, expected->str);
    /* dvrd refuses it and leaves it as it is. */
    assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_INVALID,
                         expected->str);
  }

  /* Not text at all, empty, a symbolic link, a folder. */
  {
    g_autofree gchar *expected = g_strdup_printf (
        "%s: expected the text of a dvr drive identity, got binary data", file);
    g_assert_true (g_file_set_contents (file, "\x7f" "ELF\x02\x01\x01\x00\x00", 9, NULL));
    assert_load_fails (f->root, DVR_DRIVE_ERROR_INVALID, expected);
    g_clear_pointer (&expected, g_free);

    expected = g_strdup_printf ("%s: no [drive] group, expected a dvr drive identity", file);
    write_text (f->root, DVR_DRIVE_IDENTITY_NAME, "");
    assert_load_fails (f->root, DVR_DRIVE_ERROR_INVALID, expected);
    g_clear_pointer (&expected, g_free);

    g_assert_cmpint (g_remove (file), ==, 0);
    write_text (f->root, "elsewhere.ini", IDENTITY_LINES);
    g_assert_cmpint (symlink ("elsewhere.ini", file), ==, 0);
    expected = g_strdup_printf ("%s: a symbolic link, expected the file itself", file);
    assert_load_fails (f->root, DVR_DRIVE_ERROR_INVALID, expected);
    assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_INVALID,
                         expected);
    g_clear_pointer (&expected, g_free);

    g_assert_cmpint (g_remove (file), ==, 0);
    g_assert_cmpint (g_mkdir (file, 0750), ==, 0);
    expected = g_strdup_printf ("%s: not a regular file", file);
    assert_load_fails (f->root, DVR_DRIVE_ERROR_INVALID, expected);
  }
}

static void
test_identity_newer (Fixture *f, gconstpointer data)
{
  g_autofree gchar *file = path_in (f->root, DVR_DRIVE_IDENTITY_NAME);
  g_autofree gchar *expected = g_strdup_printf (
      "%s:2: [drive] format-version: 2 is newer than this dvrd reads (1): update dvrd to use "
      "this drive", file);

  /* Whatever else a newer file holds is not judged by this code. */
  write_text (f->root, DVR_DRIVE_IDENTITY_NAME, "[drive]\nformat-version=2\nlayout=new\n");
  assert_load_fails (f->root, DVR_DRIVE_ERROR_NEWER, expected);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_NEWER,
                       expected);
}

static void
test_identity_missing (Fixture *f, gconstpointer data)
{
  g_autofree gchar *file = path_in (f->root, DVR_DRIVE_IDENTITY_NAME);
  g_autofree gchar *expected = g_strdup_printf ("%s: missing", file);

  assert_load_fails (f->root, DVR_DRIVE_ERROR_NO_IDENTITY, expected);
}

/* dvr_drive_open(). */

static void
test_open_foreign (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = open_ok (f->root, OTHER_UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) fallback = open_ok (f->other, OTHER_UNIT,
                                                   DVR_DRIVE_ROLE_FALLBACK);
  g_autofree gchar *front = path_in (f->root, "front");
  g_autofree gchar *message = NULL;

  /* Some recordings of the other unit on it. */
  g_assert_cmpint (g_mkdir (front, 0750), ==, 0);
  write_text (f->root, "front/segment.mkv", "recorded by car-2");

  message = g_strdup_printf ("@ROOT@: drive of unit " OTHER_UNIT " (drive uuid %s), this is "
                             "unit " UNIT ": not recording onto it, nothing changed",
                             identity->drive_uuid);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_FOREIGN,
                       message);
  /* Whatever role it was wanted for. */
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_FALLBACK, FALSE, DVR_DRIVE_ERROR_FOREIGN,
                       message);
  g_clear_pointer (&message, g_free);

  message = g_strdup_printf ("@ROOT@: fallback folder of unit " OTHER_UNIT " (drive uuid %s), "
                             "this is unit " UNIT ": not recording onto it, nothing changed",
                             fallback->drive_uuid);
  assert_open_refused (f->other, UNIT, DVR_DRIVE_ROLE_FALLBACK, FALSE, DVR_DRIVE_ERROR_FOREIGN,
                       message);
}

static void
test_open_role_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) drive = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) fallback = open_ok (f->other, UNIT, DVR_DRIVE_ROLE_FALLBACK);
  g_autofree gchar *message = NULL;

  /* The fallback folder's disk mounted where the drive goes ... */
  message = g_strdup_printf ("@ROOT@: the fallback folder of unit " UNIT " (drive uuid %s), "
                             "not its drive: not recording onto it as the drive, nothing "
                             "changed", fallback->drive_uuid);
  assert_open_refused (f->other, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_FOREIGN,
                       message);
  g_clear_pointer (&message, g_free);
  /* ... and the drive where the fallback folder is. */
  message = g_strdup_printf ("@ROOT@: the drive of unit " UNIT " (drive uuid %s), not its "
                             "fallback folder: not recording onto it as the fallback folder, "
                             "nothing changed", drive->drive_uuid);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_FALLBACK, FALSE, DVR_DRIVE_ERROR_FOREIGN,
                       message);
}

static void
test_open_unrecognised (Fixture *f, gconstpointer data)
{
  g_autofree gchar *keys = path_in (f->root, "keys");
  g_autofree gchar *catalog = path_in (f->root, "catalog.sqlite3");
  g_autofree gchar *hidden = path_in (f->root, ".dvr-drive.ini.tmp");

  /* Someone's files, or recordings without an identity. */
  write_text (f->root, "catalog.sqlite3", "SQLite format 3");
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE,
                       DVR_DRIVE_ERROR_UNRECOGNISED,
                       "@ROOT@: holds \"catalog.sqlite3\" but no dvr-drive.ini: not a dvr "
                       "volume, not recording onto it, nothing changed");
  g_assert_cmpint (g_remove (catalog), ==, 0);

  /* A hidden file that only looks like ours. */
  write_text (f->root, ".dvr-drive.ini.tmp", "x");
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE,
                       DVR_DRIVE_ERROR_UNRECOGNISED,
                       "@ROOT@: holds \".dvr-drive.ini.tmp\" but no dvr-drive.ini: not a dvr "
                       "volume, not recording onto it, nothing changed");
  g_assert_cmpint (g_remove (hidden), ==, 0);

  /* keys/ with something that is not ours: someone's keys. */
  g_assert_cmpint (g_mkdir (keys, 0700), ==, 0);
  write_text (f->root, "keys/id_ed25519", "not ours");
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE,
                       DVR_DRIVE_ERROR_UNRECOGNISED,
                       "@ROOT@: holds \"keys/id_ed25519\" but no dvr-drive.ini: not a dvr "
                       "volume, not recording onto it, nothing changed");
  dvr_test_rmtree (keys);

  /* A file named keys. */
  write_text (f->root, "keys", "a file");
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE,
                       DVR_DRIVE_ERROR_UNRECOGNISED,
                       "@ROOT@: holds \"keys\" but no dvr-drive.ini: not a dvr volume, not "
                       "recording onto it, nothing changed");
}

static void
assert_volume_complete (const gchar *root, const DvrDriveIdentity *identity)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autofree gchar *identity_path = path_in (root, DVR_DRIVE_IDENTITY_NAME);
  g_autofree gchar *fingerprint = NULL;
  g_autofree gchar *named = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 signature[DVR_DRIVE_SIGNATURE_BYTES];

  g_assert_cmpuint (file_mode (root, "keys"), ==, 0700);
  g_assert_cmpuint (file_mode (root, DVR_DRIVE_SECRET_KEY_NAME), ==, 0600);
  g_assert_cmpuint (file_mode (root, DVR_DRIVE_PUBLIC_KEY_NAME), ==, 0644);
  g_assert_cmpuint (file_mode (root, DVR_DRIVE_IDENTITY_NAME), ==, 0644);
  g_assert_true (dvr_drive_load_public_key (root, public_key, &error));
  g_assert_no_error (error);
  g_assert_true (dvr_drive_load_secret_key (root, secret_key, &error));
  g_assert_no_error (error);
  dvr_drive_sign (secret_key, (const guint8 *) "x", 1, signature);
  g_assert_true (dvr_drive_verify (public_key, (const guint8 *) "x", 1, signature));
  fingerprint = dvr_drive_key_fingerprint (public_key);
  g_assert_true (g_key_file_load_from_file (key_file, identity_path, G_KEY_FILE_NONE, &error));
  named = g_key_file_get_string (key_file, "drive", "public-key", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (named, ==, fingerprint);
  g_assert_cmpstr (identity->unit_id, ==, UNIT);
}

static void
test_open_empty (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (DvrDriveIdentity) with_lost = NULL;
  g_autofree gchar *lost = g_build_filename (f->other, "lost+found", NULL);
  g_autofree gchar *entries = NULL;

  /* An empty folder: identity and keys, nothing else. */
  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  assert_volume_complete (f->root, identity);
  {
    g_autoptr (GDir) dir = g_dir_open (f->root, 0, NULL);
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    const gchar *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      g_ptr_array_add (names, g_strdup (name));
    g_ptr_array_sort (names, compare_names);
    g_ptr_array_add (names, NULL);
    entries = g_strjoinv (" ", (gchar **) names->pdata);
    g_assert_cmpstr (entries, ==, "dvr-drive.ini keys");
  }

  /* A freshly made ext4 filesystem holds lost+found, which is kept. */
  g_assert_cmpint (g_mkdir (f->other, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (lost, 0700), ==, 0);
  write_text (lost, "#12", "a recovered inode");
  with_lost = open_ok (f->other, UNIT, DVR_DRIVE_ROLE_DRIVE);
  assert_volume_complete (f->other, with_lost);
  {
    g_autofree gchar *kept = read_text (lost, "#12");
    g_assert_cmpstr (kept, ==, "a recovered inode");
  }
  g_assert_cmpstr (with_lost->drive_uuid, !=, identity->drive_uuid);
}

/* A power cut during initialisation: keys/ with a half-written key and
 * the temporary files of write_file_durable(), no identity. */
static void
test_open_interrupted (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autofree gchar *keys = path_in (f->root, "keys");
  g_autofree gchar *temporary_key = path_in (keys, ".signing.pub.a1B2c3");
  g_autofree gchar *temporary_identity = path_in (f->root, ".dvr-drive.ini.Zz9Yy8");

  g_assert_cmpint (g_mkdir (keys, 0755), ==, 0);
  write_text (f->root, DVR_DRIVE_SECRET_KEY_NAME, "-----BEGIN PRIVATE KEY-----\nMC4CAQAw");
  write_text (f->root, "keys/.signing.pub.a1B2c3", "");
  write_text (f->root, ".dvr-drive.ini.Zz9Yy8", "[drive]\nformat-ver");

  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  assert_volume_complete (f->root, identity);
  g_assert_false (g_file_test (temporary_key, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (temporary_identity, G_FILE_TEST_EXISTS));
}

/* An identified volume of ours whose keys are gone: a new pair, and the
 * identity names it (same uuid). */
static void
test_open_missing_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) reopened = NULL;
  g_autofree gchar *old_identity = read_text (f->root, DVR_DRIVE_IDENTITY_NAME);
  g_autofree gchar *new_identity = NULL;
  g_autofree gchar *keys = path_in (f->root, "keys");

  dvr_test_rmtree (keys);
  reopened = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_assert_cmpuint (new_key_warnings, ==, 1);
  g_assert_cmpstr (reopened->drive_uuid, ==, identity->drive_uuid);
  g_assert_cmpint (reopened->created_utc_ns, ==, identity->created_utc_ns);
  new_identity = read_text (f->root, DVR_DRIVE_IDENTITY_NAME);
  g_assert_cmpstr (new_identity, !=, old_identity);
  assert_volume_complete (f->root, reopened);

  /* A power cut after the identity was rewritten to name a new key, before
   * any key file was: made again. */
  {
    g_autoptr (GKeyFile) key_file = g_key_file_new ();
    g_autoptr (DvrDriveIdentity) again = NULL;
    g_autofree gchar *text = NULL;

    g_assert_true (g_key_file_load_from_data (key_file, new_identity, -1, G_KEY_FILE_NONE, NULL));
    g_key_file_set_string (key_file, "drive", "public-key", FINGERPRINT_ZERO);
    text = g_key_file_to_data (key_file, NULL, NULL);
    write_text (f->root, DVR_DRIVE_IDENTITY_NAME, text);
    dvr_test_rmtree (keys);
    again = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
    g_assert_cmpuint (new_key_warnings, ==, 2);
    g_assert_cmpstr (again->drive_uuid, ==, identity->drive_uuid);
    assert_volume_complete (f->root, again);
  }
}

/* A power cut while keys are made again for an identified volume (the
 * identity names the new key, then the secret key is written, then the
 * public key): the secret key alone is completed, the public key derived
 * from it; a secret key that is not the identity's is not. */
static void
test_open_public_key_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) other = open_ok (f->other, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) reopened = NULL;
  g_autofree gchar *public_path = path_in (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *secret_path = path_in (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *public_text = read_text (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *rewritten = NULL;
  g_autofree gchar *message = NULL;

  g_assert_cmpint (g_remove (public_path), ==, 0);
  reopened = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_assert_cmpuint (rewritten_key_warnings, ==, 1);
  g_assert_cmpuint (new_key_warnings, ==, 0);
  rewritten = read_text (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_assert_cmpstr (rewritten, ==, public_text);
  assert_volume_complete (f->root, reopened);

  g_assert_cmpint (g_remove (public_path), ==, 0);
  copy_file (f->other, f->root, DVR_DRIVE_SECRET_KEY_NAME);
  message = g_strdup_printf ("%s: missing, and %s is not the key the identity names",
                             public_path, secret_path);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_INVALID,
                       message);
}

static void
test_open_damaged_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) other = open_ok (f->other, UNIT, DVR_DRIVE_ROLE_FALLBACK);
  g_autofree gchar *secret_path = path_in (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *public_path = path_in (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *identity_path = path_in (f->root, DVR_DRIVE_IDENTITY_NAME);
  g_autofree gchar *secret_text = read_text (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *message = NULL;
  g_autofree gchar *other_fingerprint = NULL;
  g_autofree gchar *fingerprint = NULL;
  guint8 key[DVR_DRIVE_PUBLIC_KEY_BYTES];

  g_assert_true (dvr_drive_load_public_key (f->root, key, NULL));
  fingerprint = dvr_drive_key_fingerprint (key);
  g_assert_true (dvr_drive_load_public_key (f->other, key, NULL));
  other_fingerprint = dvr_drive_key_fingerprint (key);

  /* One half alone is never completed. */
  g_assert_cmpint (g_remove (secret_path), ==, 0);
  message = g_strdup_printf ("%s: missing, while %s is there", secret_path, public_path);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_INVALID,
                       message);
  write_text (f->root, DVR_DRIVE_SECRET_KEY_NAME, secret_text);
  g_assert_cmpint (g_chmod (secret_path, 0600), ==, 0);

  /* Another volume's public key: the halves do not belong together. */
  copy_file (f->other, f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_clear_pointer (&message, g_free);
  message = g_strdup_printf ("%s: its public key is not the one in %s: the two key files do "
                             "not belong together", secret_path, public_path);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_INVALID,
                       message);

  /* Another volume's whole pair: consistent, but not the identity's. */
  copy_file (f->other, f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_clear_pointer (&message, g_free);
  message = g_strdup_printf ("%s: key %s, but %s names %s: the key was replaced", public_path,
                             other_fingerprint, identity_path, fingerprint);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_INVALID,
                       message);
}

/* Mount points. */

static void
test_mount_point (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *missing = path_in (f->root, "absent");
  g_autofree gchar *plain = path_in (f->folder, "plain-file");

  g_assert_true (dvr_drive_is_mount_point ("/", &error));
  g_assert_no_error (error);
  if (g_file_test ("/proc/self", G_FILE_TEST_EXISTS)) {
    g_assert_true (dvr_drive_is_mount_point ("/proc", &error));
    g_assert_no_error (error);
    g_assert_true (dvr_drive_is_mount_point ("/proc/", &error));
    g_assert_no_error (error);
  } else {
    g_test_message ("/proc is not mounted: only / checked as a mount point");
  }
  /* A subfolder of a temporary folder is on its parent's filesystem. */
  g_assert_false (dvr_drive_is_mount_point (f->root, &error));
  g_assert_no_error (error);
  g_assert_false (dvr_drive_is_mount_point (missing, &error));
  g_assert_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  write_text (f->folder, "plain-file", "");
  g_assert_false (dvr_drive_is_mount_point (plain, &error));
  g_assert_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_IO);
}

static void
test_open_not_mounted (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrDriveIdentity) identity = NULL;

  /* The bare mount point, empty: initialised without require_mount, so
   * only the check keeps it from becoming a drive. */
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, TRUE, DVR_DRIVE_ERROR_NOT_MOUNTED,
                       "@ROOT@: no drive mounted there (a bare mount point): not recording "
                       "onto it, nothing changed");
  /* Even holding a volume of ours: a copy left on the root filesystem. */
  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, TRUE, DVR_DRIVE_ERROR_NOT_MOUNTED,
                       "@ROOT@: no drive mounted there (a bare mount point): not recording "
                       "onto it, nothing changed");
  /* No folder at all: not made. */
  g_assert_null (dvr_drive_open (f->other, UNIT, DVR_DRIVE_ROLE_DRIVE, TRUE, &error));
  g_assert_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NOT_MOUNTED);
  g_assert_false (g_file_test (f->other, G_FILE_TEST_EXISTS));
}

/* Keys. */

static void
test_sign_verify (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) other = open_ok (f->other, UNIT, DVR_DRIVE_ROLE_FALLBACK);
  g_autoptr (GError) error = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 other_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 signature[DVR_DRIVE_SIGNATURE_BYTES];
  guint8 message[] = "manifest: front/2026-11-28/a.mkv sha256 ...";
  gsize length = sizeof message - 1;

  g_assert_true (dvr_drive_load_public_key (f->root, public_key, &error));
  g_assert_true (dvr_drive_load_secret_key (f->root, secret_key, &error));
  g_assert_true (dvr_drive_load_public_key (f->other, other_key, &error));
  g_assert_no_error (error);
  /* libsodium's secret key ends with the public key. */
  g_assert_cmpmem (secret_key + 32, 32, public_key, sizeof public_key);

  dvr_drive_sign (secret_key, message, length, signature);
  g_assert_true (dvr_drive_verify (public_key, message, length, signature));
  /* Every byte of the data and of the signature counts. */
  for (gsize i = 0; i < length; i++) {
    message[i] ^= 0x01;
    g_assert_false (dvr_drive_verify (public_key, message, length, signature));
    message[i] ^= 0x01;
  }
  for (gsize i = 0; i < sizeof signature; i++) {
    signature[i] ^= 0x80;
    g_assert_false (dvr_drive_verify (public_key, message, length, signature));
    signature[i] ^= 0x80;
  }
  g_assert_false (dvr_drive_verify (public_key, message, length - 1, signature));
  g_assert_false (dvr_drive_verify (other_key, message, length, signature));
  g_assert_true (dvr_drive_verify (public_key, message, length, signature));
}

/* RFC 8032's first test vector, through our own PEM files: the PKCS#8
 * parser, the key derivation and the signature are the standard's. */
static void
test_rfc8032_vector (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *keys = path_in (f->root, "keys");
  g_autofree gchar *public_pem = NULL;
  g_autofree gchar *secret_pem = NULL;
  guint8 seed[32];
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 loaded[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 expected[DVR_DRIVE_SIGNATURE_BYTES];
  guint8 signature[DVR_DRIVE_SIGNATURE_BYTES];
  guint8 der[48] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
                     0x04, 0x22, 0x04, 0x20 };
  g_autofree gchar *base64 = NULL;

  hex_decode (rfc8032_seed, seed, sizeof seed);
  hex_decode (rfc8032_public, public_key, sizeof public_key);
  hex_decode (rfc8032_signature, expected, sizeof expected);
  memcpy (der + 16, seed, sizeof seed);
  base64 = g_base64_encode (der, sizeof der);
  secret_pem = g_strdup_printf ("-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n",
                                base64);
  public_pem = dvr_drive_public_key_to_pem (public_key);
  g_assert_cmpint (g_mkdir (keys, 0700), ==, 0);
  write_text (f->root, DVR_DRIVE_SECRET_KEY_NAME, secret_pem);
  write_text (f->root, DVR_DRIVE_PUBLIC_KEY_NAME, public_pem);

  g_assert_true (dvr_drive_load_public_key (f->root, loaded, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (loaded, sizeof loaded, public_key, sizeof public_key);
  g_assert_true (dvr_drive_load_secret_key (f->root, secret_key, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (secret_key, 32, seed, sizeof seed);
  dvr_drive_sign (secret_key, NULL, 0, signature);
  g_assert_cmpmem (signature, sizeof signature, expected, sizeof expected);
  g_assert_true (dvr_drive_verify (public_key, NULL, 0, expected));
}

static void
test_pem_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *on_drive = read_text (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *pem = NULL;
  g_autofree gchar *copy = path_in (f->folder, "exported.pub");
  g_autofree gchar *crlf = path_in (f->folder, "crlf.pub");
  g_autoptr (GString) crlf_text = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 read_back[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 zero[DVR_DRIVE_PUBLIC_KEY_BYTES] = { 0 };
  g_autofree gchar *zero_fingerprint = dvr_drive_key_fingerprint (zero);

  g_assert_true (dvr_drive_load_public_key (f->root, public_key, &error));
  g_assert_no_error (error);
  pem = dvr_drive_public_key_to_pem (public_key);
  /* The file is exactly what to_pem() gives, as openssl writes it: one
   * base64 line of 60 characters for 44 bytes of DER. */
  g_assert_cmpstr (pem, ==, on_drive);
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
  g_assert_true (g_str_has_suffix (pem, "\n-----END PUBLIC KEY-----\n"));
  g_assert_cmpuint (strlen (pem), ==, strlen ("-----BEGIN PUBLIC KEY-----\n") + 61 +
                                      strlen ("-----END PUBLIC KEY-----\n"));

  g_assert_true (g_file_set_contents (copy, pem, -1, &error));
  g_assert_true (dvr_drive_read_public_key_file (copy, read_back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (read_back, sizeof read_back, public_key, sizeof public_key);

  /* CRLF line ends, as a copy made on Windows has. */
  crlf_text = g_string_new (pem);
  g_string_replace (crlf_text, "\n", "\r\n", 0);
  g_assert_true (g_file_set_contents (crlf, crlf_text->str, -1, &error));
  memset (read_back, 0, sizeof read_back);
  g_assert_true (dvr_drive_read_public_key_file (crlf, read_back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (read_back, sizeof read_back, public_key, sizeof public_key);

  /* SHA-256 of the 32 raw key bytes. */
  g_assert_cmpstr (zero_fingerprint, ==, FINGERPRINT_ZERO);
}

typedef struct {
  const gchar *text;
  const gchar *message;   /* after "FILE" */
} PemCase;

static void
test_pem_strict (Fixture *f, gconstpointer data)
{
  /* A valid key's base64 (44 bytes: SubjectPublicKeyInfo of Ed25519). */
#define B64 "MCowBQYDK2VwAyEAcn2FxJqaWp1QSj8WCLkU6KQliGHKIGStSUFabdI3x9Q="
#define WHAT_END "expected base64 lines (A-Z a-z 0-9 + / =, at most 64 a line) or " \
                 "\"-----END PUBLIC KEY-----\""
#define NOT_KEY ": expected an Ed25519 public key (DER of 44 bytes for OID 1.3.101.112), got " \
                "base64 of something else"
  const PemCase cases[] = {
    { "", ":1: expected an Ed25519 public key in PEM, starting with \"-----BEGIN PUBLIC KEY-----\", got \"\"" },
    { "hello\n", ":1: expected an Ed25519 public key in PEM, starting with \"-----BEGIN PUBLIC KEY-----\", got \"hello\"" },
    { "text before\n-----BEGIN PUBLIC KEY-----\n" B64 "\n-----END PUBLIC KEY-----\n", ":1: expected an Ed25519 public key in PEM, starting with \"-----BEGIN PUBLIC KEY-----\", got \"text before\"" },
    { "-----BEGIN PRIVATE KEY-----\n" B64 "\n-----END PRIVATE KEY-----\n", ":1: expected an Ed25519 public key in PEM, starting with \"-----BEGIN PUBLIC KEY-----\", got \"-----BEGIN PRIVATE KEY-----\"" },
    { "-----BEGIN PUBLIC KEY-----\nMCow!QYDK2VwAyEA\n-----END PUBLIC KEY-----\n", ":2: " WHAT_END ", got \"MCow!QYDK2VwAyEA\"" },
    /* A line longer than openssl writes. */
    { "-----BEGIN PUBLIC KEY-----\n" B64 "AAAAA\n-----END PUBLIC KEY-----\n", ":2: " WHAT_END ", got \"" B64 "AAAAA\"" },
    { "-----BEGIN PUBLIC KEY-----\n" B64 "\n", ": expected a line \"-----END PUBLIC KEY-----\" after the base64, got none" },
    { "-----BEGIN PUBLIC KEY-----\n" B64 "\n-----END PUBLIC KEY-----\nmore\n", ":4: expected nothing after \"-----END PUBLIC KEY-----\", got \"more\"" },
    { "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", NOT_KEY },
    /* X25519 (OID 1.3.101.110), otherwise the same bytes. */
    { "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEAcn2FxJqaWp1QSj8WCLkU6KQliGHKIGStSUFabdI3x9Q=\n-----END PUBLIC KEY-----\n", NOT_KEY },
    /* One key byte short. */
    { "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAcn2FxJqaWp1QSj8WCLkU6KQliGHKIGStSUFabdI3xw==\n-----END PUBLIC KEY-----\n", NOT_KEY },
    /* Not canonical: the last character's unused bits set. */
    { "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAcn2FxJqaWp1QSj8WCLkU6KQliGHKIGStSUFabdI3x9R=\n-----END PUBLIC KEY-----\n", NOT_KEY },
    /* Padding in the middle. */
    { "-----BEGIN PUBLIC KEY-----\nMCow=QYDK2VwAyEAcn2FxJqaWp1QSj8WCLkU6KQliGHKIGStSUFabdI3x9Q=\n-----END PUBLIC KEY-----\n", NOT_KEY },
  };
  g_autofree gchar *path = path_in (f->folder, "key.pub");
  guint8 key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  g_autofree gchar *good = g_strdup ("-----BEGIN PUBLIC KEY-----\n" B64 "\n-----END PUBLIC KEY-----\n");
  g_autoptr (GError) error = NULL;

  /* The valid text the cases damage is accepted. */
  g_assert_true (g_file_set_contents (path, good, -1, &error));
  g_assert_true (dvr_drive_read_public_key_file (path, key, &error));
  g_assert_no_error (error);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *expected = g_strconcat (path, cases[i].message, NULL);
    g_clear_error (&error);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].message);
    g_assert_true (g_file_set_contents (path, cases[i].text, -1, NULL));
    g_assert_false (dvr_drive_read_public_key_file (path, key, &error));
    g_assert_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==, expected);
  }

  g_clear_error (&error);
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_false (dvr_drive_read_public_key_file (path, key, &error));
  g_assert_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, path));
#undef B64
#undef WHAT_END
#undef NOT_KEY
}

/* A damaged secret key file is named, and no line of it is quoted. */
static void
test_secret_key_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *secret_path = path_in (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *text = read_text (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autoptr (GString) damaged = g_string_new (text);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree gchar *expected = g_strdup_printf (
      "%s:2: expected base64 lines (A-Z a-z 0-9 + / =, at most 64 a line) or \"-----END "
      "PRIVATE KEY-----\", got a line not shown (secret key file)", secret_path);
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];

  g_string_replace (damaged, lines[1], "MC4CAQAw!!", 1);
  g_assert_true (g_file_set_contents (secret_path, damaged->str, -1, NULL));
  g_assert_false (dvr_drive_load_secret_key (f->root, secret_key, &error));
  g_assert_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, expected);
  assert_open_refused (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, DVR_DRIVE_ERROR_INVALID,
                       expected);
}

static void
test_key_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) a = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_autoptr (DvrDriveIdentity) b = open_ok (f->other, UNIT, DVR_DRIVE_ROLE_FALLBACK);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *secret_path = path_in (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *public_path = path_in (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *expected = g_strdup_printf (
      "%s: its public key is not the one in %s: the two key files do not belong together",
      secret_path, public_path);
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 zero[DVR_DRIVE_SECRET_KEY_BYTES] = { 0 };

  g_assert_true (dvr_drive_load_secret_key (f->root, secret_key, &error));
  g_assert_no_error (error);
  copy_file (f->other, f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_assert_false (dvr_drive_load_secret_key (f->root, secret_key, &error));
  g_assert_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, expected);
  /* Nothing of the key is handed out on failure. */
  g_assert_cmpmem (secret_key, sizeof secret_key, zero, sizeof zero);
}

/* The modes hold whatever the umask (dvrd.service's is 0027). */
static void
test_key_modes (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  mode_t old_umask = umask (0027);

  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  umask (old_umask);
  g_assert_cmpuint (file_mode (f->root, "keys"), ==, 0700);
  g_assert_cmpuint (file_mode (f->root, DVR_DRIVE_SECRET_KEY_NAME), ==, 0600);
  g_assert_cmpuint (file_mode (f->root, DVR_DRIVE_PUBLIC_KEY_NAME), ==, 0644);
  g_assert_cmpuint (file_mode (f->root, DVR_DRIVE_IDENTITY_NAME), ==, 0644);
}

/* openssl, the standard tool. */

static gboolean
have_openssl (void)
{
  if (g_file_test (OPENSSL, G_FILE_TEST_IS_EXECUTABLE))
    return TRUE;
  g_test_skip ("no " OPENSSL " (package openssl): cross-checks with it skipped");
  return FALSE;
}

/* Runs openssl with @args; returns its exit status, its stdout in
 * *stdout_out if wanted. */
static gint
run_openssl (const gchar *const *args, gchar **stdout_out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  gint status = -1;

  g_ptr_array_add (argv, (gpointer) OPENSSL);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("openssl %s: %s%s", args[0], out, err);
  if (stdout_out != NULL)
    *stdout_out = g_steal_pointer (&out);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

static void
test_openssl_reads_our_keys (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autofree gchar *secret_path = path_in (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *public_path = path_in (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *public_text = NULL;
  g_autofree gchar *derived = NULL;
  g_autofree gchar *reread = NULL;

  if (!have_openssl ())
    return;
  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  public_text = read_text (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  /* openssl derives, from our private key file, our public key file
   * byte for byte. */
  {
    const gchar *args[] = { "pkey", "-in", secret_path, "-pubout", NULL };
    g_assert_cmpint (run_openssl (args, &derived), ==, 0);
    g_assert_cmpstr (derived, ==, public_text);
  }
  {
    const gchar *args[] = { "pkey", "-pubin", "-in", public_path, NULL };
    g_assert_cmpint (run_openssl (args, &reread), ==, 0);
    g_assert_cmpstr (reread, ==, public_text);
  }
}

static void
test_openssl_verifies_ours (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *public_path = path_in (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *file = path_in (f->folder, "manifest.json");
  g_autofree gchar *signature_path = path_in (f->folder, "manifest.json.sig");
  const gchar *text = "{\"unit\":\"car-1\",\"segments\":[\"front/a.mkv\"]}\n";
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 signature[DVR_DRIVE_SIGNATURE_BYTES];
  const gchar *args[] = { "pkeyutl", "-verify", "-pubin", "-inkey", public_path, "-rawin",
                          "-in", file, "-sigfile", signature_path, NULL };

  if (!have_openssl ())
    return;
  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_assert_true (dvr_drive_load_secret_key (f->root, secret_key, &error));
  g_assert_no_error (error);
  dvr_drive_sign (secret_key, (const guint8 *) text, strlen (text), signature);
  g_assert_true (g_file_set_contents (file, text, -1, &error));
  g_assert_true (g_file_set_contents (signature_path, (const gchar *) signature,
                                      sizeof signature, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_openssl (args, NULL), ==, 0);

  /* A tampered file fails openssl's check as well as ours. */
  g_assert_true (g_file_set_contents (file, "{\"unit\":\"car-1\",\"segments\":[]}\n", -1,
                                      &error));
  g_assert_cmpint (run_openssl (args, NULL), !=, 0);
  /* As does a damaged signature on the original. */
  g_assert_true (g_file_set_contents (file, text, -1, &error));
  signature[10] ^= 0x04;
  g_assert_true (g_file_set_contents (signature_path, (const gchar *) signature,
                                      sizeof signature, &error));
  g_assert_cmpint (run_openssl (args, NULL), !=, 0);
}

static void
test_openssl_signs_we_verify (Fixture *f, gconstpointer data)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *secret_path = path_in (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *file = path_in (f->folder, "manifest.json");
  g_autofree gchar *signature_path = path_in (f->folder, "manifest.json.sig");
  g_autofree gchar *signature = NULL;
  const gchar *text = "{\"unit\":\"car-1\",\"segments\":[\"rear/b.mkv\"]}\n";
  gsize signature_length = 0;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  const gchar *args[] = { "pkeyutl", "-sign", "-inkey", secret_path, "-rawin", "-in", file,
                          "-out", signature_path, NULL };

  if (!have_openssl ())
    return;
  identity = open_ok (f->root, UNIT, DVR_DRIVE_ROLE_DRIVE);
  g_assert_true (g_file_set_contents (file, text, -1, &error));
  g_assert_cmpint (run_openssl (args, NULL), ==, 0);
  g_assert_true (g_file_get_contents (signature_path, &signature, &signature_length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (signature_length, ==, DVR_DRIVE_SIGNATURE_BYTES);
  g_assert_true (dvr_drive_load_public_key (f->root, public_key, &error));
  g_assert_true (dvr_drive_verify (public_key, (const guint8 *) text, strlen (text),
                                   (const guint8 *) signature));
  g_assert_false (dvr_drive_verify (public_key, (const guint8 *) text, strlen (text) - 1,
                                    (const guint8 *) signature));
  signature[0] ^= 0x01;
  g_assert_false (dvr_drive_verify (public_key, (const guint8 *) text, strlen (text),
                                    (const guint8 *) signature));
}

/* A key pair openssl made is read (PKCS#8 and SubjectPublicKeyInfo as
 * openssl writes them), and what we sign with it openssl verifies. */
static void
test_openssl_key_pair (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *keys = path_in (f->root, "keys");
  g_autofree gchar *secret_path = path_in (f->root, DVR_DRIVE_SECRET_KEY_NAME);
  g_autofree gchar *public_path = path_in (f->root, DVR_DRIVE_PUBLIC_KEY_NAME);
  g_autofree gchar *file = path_in (f->folder, "data");
  g_autofree gchar *signature_path = path_in (f->folder, "data.sig");
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 signature[DVR_DRIVE_SIGNATURE_BYTES];
  const gchar *genpkey[] = { "genpkey", "-algorithm", "ed25519", "-out", secret_path, NULL };
  const gchar *pubout[] = { "pkey", "-in", secret_path, "-pubout", "-out", public_path, NULL };
  const gchar *verify[] = { "pkeyutl", "-verify", "-pubin", "-inkey", public_path, "-rawin",
                            "-in", file, "-sigfile", signature_path, NULL };

  if (!have_openssl ())
    return;
  g_assert_cmpint (g_mkdir (keys, 0700), ==, 0);
  g_assert_cmpint (run_openssl (genpkey, NULL), ==, 0);
  g_assert_cmpint (run_openssl (pubout, NULL), ==, 0);
  g_assert_true (dvr_drive_load_secret_key (f->root, secret_key, &error));
  g_assert_no_error (error);
  dvr_drive_sign (secret_key, (const guint8 *) "data", 4, signature);
  g_assert_true (g_file_set_contents (file, "data", 4, &error));
  g_assert_true (g_file_set_contents (signature_path, (const gchar *) signature,
                                      sizeof signature, &error));
  g_assert_cmpint (run_openssl (verify, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (count_writer, NULL, NULL);

#define ADD(name, func) \
  g_test_add ("/drive/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("identity/round-trip", test_identity_round_trip);
  ADD ("identity/parse", test_identity_parse);
  ADD ("identity/damaged", test_identity_damaged);
  ADD ("identity/newer", test_identity_newer);
  ADD ("identity/missing", test_identity_missing);
  ADD ("open/foreign", test_open_foreign);
  ADD ("open/role-mismatch", test_open_role_mismatch);
  ADD ("open/unrecognised", test_open_unrecognised);
  ADD ("open/empty", test_open_empty);
  ADD ("open/interrupted", test_open_interrupted);
  ADD ("open/missing-keys", test_open_missing_keys);
  ADD ("open/public-key-missing", test_open_public_key_missing);
  ADD ("open/damaged-keys", test_open_damaged_keys);
  ADD ("open/not-mounted", test_open_not_mounted);
  ADD ("mount-point", test_mount_point);
  ADD ("keys/sign-verify", test_sign_verify);
  ADD ("keys/rfc8032", test_rfc8032_vector);
  ADD ("keys/pem-round-trip", test_pem_round_trip);
  ADD ("keys/pem-strict", test_pem_strict);
  ADD ("keys/secret-damaged", test_secret_key_damaged);
  ADD ("keys/mismatch", test_key_mismatch);
  ADD ("keys/modes", test_key_modes);
  ADD ("openssl/reads-our-keys", test_openssl_reads_our_keys);
  ADD ("openssl/verifies-ours", test_openssl_verifies_ours);
  ADD ("openssl/signs-we-verify", test_openssl_signs_we_verify);
  ADD ("openssl/key-pair", test_openssl_key_pair);
#undef ADD
  return g_test_run ();
}
