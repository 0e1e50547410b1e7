/* dvr-drive: what makes a folder one of this unit's recording volumes, and
 * the volume's Ed25519 signing key in the PEM files openssl reads.
 *
 * Invariants (docs/drive.md):
 * - Nothing is written to a folder before its identity has been read and
 *   found to be this unit's with the expected role, or the folder found
 *   empty: another unit's drive, a disk of someone's files or a damaged
 *   volume is left exactly as it was.
 * - Every file is written to a temporary name in its own folder
 *   (".NAME.XXXXXX"), fsync()ed, renamed into place, and the folder
 *   fsync()ed.  Initialisation writes the key pair first and the identity
 *   last, so a power cut leaves either a whole volume or one without
 *   identity.  A folder without identity that holds only lost+found, our
 *   keys/ (whole or not) and our temporary files therefore still counts
 *   as empty, and the next start initialises it again.
 * - The identity names the fingerprint of the key it was written with; a
 *   key pair that does not match it, or whose halves do not belong
 *   together, is damage and is never replaced silently.  Keys made again
 *   for an identified volume (both files gone) are written after the
 *   identity that names them, the secret key before the public key, which
 *   is derived from it again when it alone is missing.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-drive.h"
#include "dvr-utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (dvr-drive-error-quark, dvr_drive_error)

#define GROUP_DRIVE "drive"
#define KEYS_FOLDER "keys"
#define SECRET_KEY_FILE "signing.key"
#define PUBLIC_KEY_FILE "signing.pub"
#define LOST_AND_FOUND "lost+found"

#define IDENTITY_MODE 0644
#define KEYS_FOLDER_MODE 0700
#define SECRET_KEY_MODE 0600
#define PUBLIC_KEY_MODE 0644

/* Identity and key files are a few hundred bytes: anything this big is
 * not one, and is not read whole. */
#define SMALL_FILE_MAX_BYTES (64 * 1024)
#define UNIT_ID_MAX_LENGTH 64
#define QUOTE_MAX_CHARS 80

#define FINGERPRINT_PREFIX "SHA256:"
#define FINGERPRINT_HEX_CHARS 64

#define PEM_PUBLIC_LABEL "PUBLIC KEY"
#define PEM_PRIVATE_LABEL "PRIVATE KEY"
/* What openssl writes; lines of up to this many are read. */
#define PEM_LINE_CHARS 64

#define SEED_BYTES 32

/* DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE {
 * OID 1.3.101.112 }, BIT STRING with no unused bits }, then the 32 key
 * bytes. */
static const guint8 spki_prefix[] = {
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
};

/* DER of an Ed25519 PKCS#8 PrivateKeyInfo, version 0, as openssl writes
 * it: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING
 * { OCTET STRING } }, then the 32-byte seed. */
static const guint8 pkcs8_prefix[] = {
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
  0x04, 0x22, 0x04, 0x20
};

G_STATIC_ASSERT (DVR_DRIVE_PUBLIC_KEY_BYTES == crypto_sign_PUBLICKEYBYTES);
G_STATIC_ASSERT (DVR_DRIVE_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES);
G_STATIC_ASSERT (DVR_DRIVE_SIGNATURE_BYTES == crypto_sign_BYTES);
G_STATIC_ASSERT (SEED_BYTES == crypto_sign_SEEDBYTES);

/* Indexed by DvrDriveRole. */
static const gchar *const role_names[] = { "drive", "fallback", NULL };

/* Secret material: zeroed before it is freed. */
typedef struct {
  gchar *text;
  gsize length;
} SecretText;

static void
secret_text_clear (SecretText *secret)
{
  if (secret->text != NULL)
    sodium_memzero (secret->text, secret->length);
  g_clear_pointer (&secret->text, g_free);
  secret->length = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SecretText, secret_text_clear)

/* The lines of a secret key's PEM text: zeroed before they are freed. */
typedef gchar **SecretLines;

static void
secret_lines_clear (SecretLines *lines)
{
  if (*lines == NULL)
    return;
  for (guint i = 0; (*lines)[i] != NULL; i++)
    sodium_memzero ((*lines)[i], strlen ((*lines)[i]));
  g_clear_pointer (lines, g_strfreev);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SecretLines, secret_lines_clear)

static gpointer
sodium_init_once (gpointer data)
{
  /* 0: done now, 1: done before (by another library); -1: failed. */
  if (sodium_init () < 0) {
    g_warning ("libsodium could not be initialised: drive keys cannot be made");
    return GINT_TO_POINTER (FALSE);
  }
  return GINT_TO_POINTER (TRUE);
}

static gboolean
ensure_sodium (void)
{
  static GOnce once = G_ONCE_INIT;
  return GPOINTER_TO_INT (g_once (&once, sodium_init_once, NULL));
}

/* Messages. */

static gboolean
set_io_error (GError **error, int saved_errno, const gchar *what, const gchar *path)
{
  g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_IO, "%s %s: %s", what, path,
               g_strerror (saved_errno));
  return FALSE;
}

/* A GIO error from dvr-utils, as DVR_DRIVE_ERROR_IO with the same message. */
static gboolean
propagate_io_error (GError **error, GError *local_error)
{
  g_set_error_literal (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_IO, local_error->message);
  g_error_free (local_error);
  return FALSE;
}

/* @text fit to stand between double quotes on one line: quotes,
 * backslashes and control characters escaped, invalid UTF-8 replaced,
 * long text cut. */
static gchar *
quote_text (const gchar *text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  GString *quoted = g_string_new (NULL);
  guint chars = 0;

  for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (chars++ == QUOTE_MAX_CHARS) {
      g_string_append (quoted, "...");
      break;
    }
    if (c == '"' || c == '\\')
      g_string_append_printf (quoted, "\\%c", (gchar) c);
    else if (c < 0x20 || c == 0x7f)
      g_string_append_printf (quoted, "\\x%02x", c);
    else
      g_string_append_unichar (quoted, c);
  }
  return g_string_free (quoted, FALSE);
}

/* "PATH:LINE: " or, for line 0, "PATH: ". */
static gchar *
format_place (const gchar *path, guint line)
{
  if (line > 0)
    return g_strdup_printf ("%s:%u: ", path, line);
  return g_strdup_printf ("%s: ", path);
}

static gboolean set_invalid_at (GError **error,
                                DvrDriveError code,
                                const gchar *path,
                                guint line,
                                const gchar *format,
                                ...) G_GNUC_PRINTF (5, 6);

/* Always returns FALSE. */
static gboolean
set_invalid_at (GError **error,
                DvrDriveError code,
                const gchar *path,
                guint line,
                const gchar *format,
                ...)
{
  g_autofree gchar *place = format_place (path, line);
  g_autofree gchar *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DVR_DRIVE_ERROR, code, "%s%s", place, detail);
  return FALSE;
}

/* Files. */

static gboolean
is_unit_id (const gchar *text)
{
  gsize length = strlen (text);

  if (length == 0 || length > UNIT_ID_MAX_LENGTH)
    return FALSE;
  for (const gchar *p = text; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  }
  return TRUE;
}

/* ".NAME.XXXXXX": what write_file_durable() leaves behind when it is cut
 * short. */
static gboolean
is_temporary_name (const gchar *entry, const gchar *name)
{
  gsize name_length = strlen (name);

  return entry[0] == '.' && strncmp (entry + 1, name, name_length) == 0 &&
         entry[1 + name_length] == '.' && strlen (entry + 2 + name_length) == 6;
}

/* Reads @path whole.  A file that does not exist is @missing_code; with
 * @on_volume a symbolic link is refused (INVALID), so that what is read is
 * the volume's own file.  Any thread; blocks on the disk. */
static gboolean
read_small_file (const gchar *path,
                 gboolean on_volume,
                 DvrDriveError missing_code,
                 gchar **data_out,
                 gsize *length_out,
                 GError **error)
{
  g_autoptr (GString) data = NULL;
  dvr_autofd fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (on_volume ? O_NOFOLLOW : 0));
  struct stat st;

  if (fd < 0) {
    int saved_errno = errno;
    if (saved_errno == ENOENT) {
      g_set_error (error, DVR_DRIVE_ERROR, missing_code, "%s: missing", path);
      return FALSE;
    }
    if (saved_errno == ELOOP && on_volume)
      return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                             "a symbolic link, expected the file itself");
    return set_io_error (error, saved_errno, "open", path);
  }
  if (fstat (fd, &st) < 0)
    return set_io_error (error, errno, "stat", path);
  if (!S_ISREG (st.st_mode))
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                           "not a regular file");
  /* Sized once, so that no copy of a secret key is left in freed memory
   * by a reallocation. */
  data = g_string_sized_new (SMALL_FILE_MAX_BYTES + 2);
  for (;;) {
    gssize got = read (fd, data->str + data->len, SMALL_FILE_MAX_BYTES + 1 - data->len);

    if (got < 0) {
      if (errno == EINTR)
        continue;
      return set_io_error (error, errno, "read", path);
    }
    if (got == 0)
      break;
    data->len += (gsize) got;
    data->str[data->len] = '\0';
    if (data->len > SMALL_FILE_MAX_BYTES)
      return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                             "larger than %u bytes, not a drive file", SMALL_FILE_MAX_BYTES);
  }
  *length_out = data->len;
  *data_out = g_string_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

static gboolean
write_all (int fd, const gchar *data, gsize length)
{
  while (length > 0) {
    gssize written = write (fd, data, length);
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return FALSE;
    }
    data += written;
    length -= (gsize) written;
  }
  return TRUE;
}

static gboolean
fsync_folder (const gchar *path, GError **error)
{
  GError *local_error = NULL;

  if (!dvr_fsync_directory (path, &local_error))
    return propagate_io_error (error, local_error);
  return TRUE;
}

/* FOLDER/NAME made to hold @data with @mode, durably: written to
 * FOLDER/.NAME.XXXXXX, fsync()ed, renamed over FOLDER/NAME, FOLDER
 * fsync()ed.  A failure leaves FOLDER/NAME as it was. */
static gboolean
write_file_durable (const gchar *folder,
                    const gchar *name,
                    const gchar *data,
                    gsize length,
                    mode_t mode,
                    GError **error)
{
  g_autofree gchar *path = g_build_filename (folder, name, NULL);
  g_autofree gchar *temporary = g_strdup_printf ("%s/.%s.XXXXXX", folder, name);
  dvr_autofd fd = g_mkstemp_full (temporary, O_WRONLY | O_CLOEXEC, mode);
  const gchar *failed = NULL;

  if (fd < 0)
    return set_io_error (error, errno, "create", temporary);
  /* The umask (dvrd's is 0027) would take away what the mode grants. */
  if (fchmod (fd, mode) < 0)
    failed = "chmod";
  else if (!write_all (fd, data, length))
    failed = "write";
  else if (fsync (fd) < 0)
    failed = "fsync";
  if (failed == NULL) {
    int closed = close (fd);

    fd = -1;
    if (closed < 0)
      failed = "close";
    else if (rename (temporary, path) < 0)
      failed = "rename";
  }
  if (failed != NULL) {
    int saved_errno = errno;

    unlink (temporary);
    return set_io_error (error, saved_errno, failed, g_str_equal (failed, "rename") ? path :
                         temporary);
  }
  return fsync_folder (folder, error);
}

/* Removes what an interrupted write_file_durable() of one of @names left
 * in @folder.  Only our own names: nothing else of the folder is touched. */
static gboolean
remove_temporary_files (const gchar *folder, const gchar *const *names, GError **error)
{
  g_autoptr (GDir) dir = NULL;
  gboolean removed = FALSE;
  const gchar *entry;

  dir = g_dir_open (folder, 0, NULL);
  if (dir == NULL)
    return TRUE;
  while ((entry = g_dir_read_name (dir)) != NULL) {
    for (guint i = 0; names[i] != NULL; i++) {
      g_autofree gchar *path = NULL;

      if (!is_temporary_name (entry, names[i]))
        continue;
      path = g_build_filename (folder, entry, NULL);
      if (unlink (path) < 0 && errno != ENOENT)
        return set_io_error (error, errno, "delete", path);
      removed = TRUE;
    }
  }
  return !removed || fsync_folder (folder, error);
}

/* Keys. */

static gchar *
der_to_pem (const gchar *label, const guint8 *prefix, gsize prefix_length, const guint8 *key,
            gsize key_length)
{
  g_autofree guint8 *der = g_malloc (prefix_length + key_length);
  g_autofree gchar *base64 = NULL;
  GString *pem;
  gsize length;

  memcpy (der, prefix, prefix_length);
  memcpy (der + prefix_length, key, key_length);
  base64 = g_base64_encode (der, prefix_length + key_length);
  sodium_memzero (der, prefix_length + key_length);
  length = strlen (base64);
  /* Sized once: a reallocation would leave a secret key's copy behind. */
  pem = g_string_sized_new (length + length / PEM_LINE_CHARS + 2 * strlen (label) + 64);
  g_string_append_printf (pem, "-----BEGIN %s-----\n", label);
  for (gsize i = 0; i < length; i += PEM_LINE_CHARS) {
    g_string_append_len (pem, base64 + i, MIN (PEM_LINE_CHARS, length - i));
    g_string_append_c (pem, '\n');
  }
  g_string_append_printf (pem, "-----END %s-----\n", label);
  sodium_memzero (base64, length);
  return g_string_free (pem, FALSE);
}

/* A line of a PEM file for a message: quoted, but never a secret key's,
 * which would put part of the key in the journal. */
static gchar *
quote_line (const gchar *line, gboolean secret)
{
  g_autofree gchar *quoted = NULL;

  if (secret)
    return g_strdup ("a line not shown (secret key file)");
  quoted = quote_text (line);
  return g_strdup_printf ("\"%s\"", quoted);
}

static gboolean
is_base64_line (const gchar *line)
{
  gsize length = strlen (line);

  if (length == 0 || length > PEM_LINE_CHARS)
    return FALSE;
  for (const gchar *p = line; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return FALSE;
  }
  return TRUE;
}

/* The key bytes of a PEM file holding one "-----BEGIN @label-----" block
 * whose DER is exactly @prefix followed by @key_length bytes.  Strict:
 * the block starts the file, base64 lines of at most 64 characters, the
 * END line, then nothing but blank lines; canonical base64. */
static gboolean
parse_pem (const gchar *path,
           const gchar *text,
           gsize length,
           const gchar *label,
           const gchar *what,
           const guint8 *prefix,
           gsize prefix_length,
           guint8 *key_out,
           gsize key_length,
           GError **error)
{
  g_autofree gchar *begin = g_strdup_printf ("-----BEGIN %s-----", label);
  g_autofree gchar *end = g_strdup_printf ("-----END %s-----", label);
  g_auto (SecretLines) lines = NULL;
  g_auto (SecretText) body = { 0 };
  g_autofree gchar *reencoded = NULL;
  gboolean secret = g_str_equal (label, PEM_PRIVATE_LABEL);
  gsize used = 0;
  guint8 *der = NULL;
  gsize der_length = 0;
  guint end_line = 0;
  gboolean matches;

  if (memchr (text, '\0', length) != NULL || !g_utf8_validate (text, length, NULL))
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                           "expected %s in PEM (text starting with %s), got binary data",
                           what, begin);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_strchomp (lines[i]);  /* "\r" of CRLF, trailing blanks */

  if (lines[0] == NULL || !g_str_equal (lines[0], begin)) {
    g_autofree gchar *got = quote_line (lines[0] != NULL ? lines[0] : "", secret);
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 1,
                           "expected %s in PEM, starting with \"%s\", got %s",
                           what, begin, got);
  }
  /* The base64 is never longer than the text: one buffer, never moved. */
  body.length = length + 1;
  body.text = g_malloc0 (body.length);
  for (guint i = 1; lines[i] != NULL; i++) {
    if (end_line > 0) {
      if (lines[i][0] != '\0') {
        g_autofree gchar *got = quote_line (lines[i], secret);
        return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, i + 1,
                               "expected nothing after \"%s\", got %s", end, got);
      }
      continue;
    }
    if (g_str_equal (lines[i], end)) {
      end_line = i + 1;
      continue;
    }
    if (lines[i][0] == '\0' && lines[i + 1] == NULL)
      break;  /* the end of the last line */
    if (!is_base64_line (lines[i])) {
      g_autofree gchar *got = quote_line (lines[i], secret);
      return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, i + 1,
                             "expected base64 lines (A-Z a-z 0-9 + / =, at most %u a line) "
                             "or \"%s\", got %s", PEM_LINE_CHARS, end, got);
    }
    memcpy (body.text + used, lines[i], strlen (lines[i]));
    used += strlen (lines[i]);
  }
  if (end_line == 0)
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                           "expected a line \"%s\" after the base64, got none", end);

  /* g_base64_decode() skips what is not base64: only canonical text, the
   * one that encodes back to itself, is taken. */
  if (used % 4 == 0 && used > 0) {
    der = g_base64_decode (body.text, &der_length);
    reencoded = g_base64_encode (der, der_length);
  }
  matches = reencoded != NULL && g_str_equal (reencoded, body.text) &&
            der_length == prefix_length + key_length &&
            memcmp (der, prefix, prefix_length) == 0;
  if (matches)
    memcpy (key_out, der + prefix_length, key_length);
  if (der != NULL)
    sodium_memzero (der, der_length);
  if (reencoded != NULL)
    sodium_memzero (reencoded, strlen (reencoded));
  g_free (der);
  if (!matches)
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                           "expected %s (DER of %" G_GSIZE_FORMAT " bytes for OID 1.3.101.112), "
                           "got base64 of something else", what, prefix_length + key_length);
  return TRUE;
}

static gboolean
read_public_key (const gchar *path,
                 gboolean on_volume,
                 guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                 GError **error)
{
  g_autofree gchar *text = NULL;
  gsize length = 0;

  if (!read_small_file (path, on_volume, DVR_DRIVE_ERROR_INVALID, &text, &length, error))
    return FALSE;
  return parse_pem (path, text, length, PEM_PUBLIC_LABEL, "an Ed25519 public key",
                    spki_prefix, sizeof spki_prefix, public_key, DVR_DRIVE_PUBLIC_KEY_BYTES,
                    error);
}

/* The seed (libsodium's secret key's first half) in the PKCS#8 file @path. */
static gboolean
read_seed (const gchar *path, guint8 seed[SEED_BYTES], GError **error)
{
  g_auto (SecretText) text = { 0 };

  if (!read_small_file (path, TRUE, DVR_DRIVE_ERROR_INVALID, &text.text, &text.length, error))
    return FALSE;
  return parse_pem (path, text.text, text.length, PEM_PRIVATE_LABEL, "an Ed25519 private key",
                    pkcs8_prefix, sizeof pkcs8_prefix, seed, SEED_BYTES, error);
}

/* The key pair in ROOT/keys, both halves checked against each other. */
static gboolean
load_key_pair (const gchar *root,
               guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
               guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES],
               GError **error)
{
  g_autofree gchar *public_path = g_build_filename (root, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  g_autofree gchar *secret_path = g_build_filename (root, DVR_DRIVE_SECRET_KEY_NAME, NULL);
  guint8 seed[SEED_BYTES];
  guint8 derived[DVR_DRIVE_PUBLIC_KEY_BYTES];

  if (!read_public_key (public_path, TRUE, public_key, error) ||
      !read_seed (secret_path, seed, error))
    return FALSE;
  crypto_sign_seed_keypair (derived, secret_key, seed);
  sodium_memzero (seed, sizeof seed);
  if (sodium_memcmp (derived, public_key, sizeof derived) != 0) {
    sodium_memzero (secret_key, DVR_DRIVE_SECRET_KEY_BYTES);
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, secret_path, 0,
                           "its public key is not the one in %s: the two key files do not "
                           "belong together", public_path);
  }
  return TRUE;
}

/* A new key: its seed and public key, in memory only. */
static gboolean
new_key (const gchar *root,
         guint8 seed[SEED_BYTES],
         guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
         GError **error)
{
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];

  if (!ensure_sodium ()) {
    g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_IO,
                 "%s: no key made: libsodium could not be initialised", root);
    return FALSE;
  }
  randombytes_buf (seed, SEED_BYTES);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
  sodium_memzero (secret_key, sizeof secret_key);
  return TRUE;
}

/* ROOT/keys, made 0700 if missing (and the mode set if not). */
static gboolean
ensure_keys_folder (const gchar *root, GError **error)
{
  g_autofree gchar *keys = g_build_filename (root, KEYS_FOLDER, NULL);

  if (mkdir (keys, KEYS_FOLDER_MODE) < 0) {
    if (errno != EEXIST)
      return set_io_error (error, errno, "mkdir", keys);
  } else if (!fsync_folder (root, error)) {
    return FALSE;
  }
  if (chmod (keys, KEYS_FOLDER_MODE) < 0)
    return set_io_error (error, errno, "chmod", keys);
  return TRUE;
}

static gboolean
write_public_key (const gchar *root,
                  const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                  GError **error)
{
  g_autofree gchar *keys = g_build_filename (root, KEYS_FOLDER, NULL);
  g_autofree gchar *pem = dvr_drive_public_key_to_pem (public_key);

  return write_file_durable (keys, PUBLIC_KEY_FILE, pem, strlen (pem), PUBLIC_KEY_MODE, error);
}

/* The key pair of @seed into ROOT/keys: the secret key first, then the
 * public key, which can always be derived from it again. */
static gboolean
write_key_pair (const gchar *root,
                const guint8 seed[SEED_BYTES],
                const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                GError **error)
{
  g_autofree gchar *keys = g_build_filename (root, KEYS_FOLDER, NULL);
  g_auto (SecretText) pem = { 0 };

  if (!ensure_keys_folder (root, error))
    return FALSE;
  pem.text = der_to_pem (PEM_PRIVATE_LABEL, pkcs8_prefix, sizeof pkcs8_prefix, seed,
                         SEED_BYTES);
  pem.length = strlen (pem.text);
  return write_file_durable (keys, SECRET_KEY_FILE, pem.text, pem.length, SECRET_KEY_MODE,
                             error) &&
         write_public_key (root, public_key, error);
}

/* Identity. */

/* The 1-based line of @key in group [@group] of @text as GKeyFile reads
 * it (the last one, which GKeyFile keeps), or 0. */
static guint
find_key_line (const gchar *text, const gchar *group, const gchar *key)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean in_group = FALSE;
  guint found = 0;

  for (guint i = 0; lines[i] != NULL; i++) {
    const gchar *line = lines[i];
    const gchar *equals;

    while (g_ascii_isspace (*line))
      line++;
    if (*line == '[') {
      g_autofree gchar *name = g_strndup (line + 1, strcspn (line + 1, "]"));
      in_group = g_str_equal (name, group);
      continue;
    }
    equals = strchr (line, '=');
    if (in_group && *line != '#' && equals != NULL) {
      g_autofree gchar *name = g_strchomp (g_strndup (line, equals - line));
      if (g_str_equal (name, key))
        found = i + 1;
    }
  }
  return found;
}

/* The first line of @text that GKeyFile cannot take (not blank, a
 * comment, a group or key = value), or 0. */
static guint
find_bad_line (const gchar *text, gchar **line_out)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean seen_group = FALSE;

  for (guint i = 0; lines[i] != NULL; i++) {
    const gchar *line = lines[i];

    while (g_ascii_isspace (*line))
      line++;
    if (*line == '\0' || *line == '#')
      continue;
    if (*line == '[' && strchr (line, ']') != NULL) {
      seen_group = TRUE;
      continue;
    }
    if (seen_group && *line != '=' && strchr (line, '=') != NULL)
      continue;
    *line_out = g_strdup (lines[i]);
    return i + 1;
  }
  return 0;
}

typedef struct {
  const gchar *path;
  const gchar *text;
  GKeyFile *key_file;
} IdentityFile;

/* [drive] @key, unescaped and stripped; MISSING error when absent. */
static gchar *
identity_get (const IdentityFile *file, const gchar *key, const gchar *what, guint *line_out,
              GError **error)
{
  g_autofree gchar *value = NULL;

  *line_out = find_key_line (file->text, GROUP_DRIVE, key);
  if (!g_key_file_has_key (file->key_file, GROUP_DRIVE, key, NULL)) {
    set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, file->path, 0,
                    "[" GROUP_DRIVE "] %s: missing, expected %s", key, what);
    return NULL;
  }
  value = g_key_file_get_string (file->key_file, GROUP_DRIVE, key, NULL);
  if (value == NULL) {
    g_autofree gchar *raw = g_key_file_get_value (file->key_file, GROUP_DRIVE, key, NULL);
    g_autofree gchar *quoted = quote_text (raw != NULL ? raw : "");
    set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, file->path, *line_out,
                    "[" GROUP_DRIVE "] %s: expected %s, got \"%s\"", key, what, quoted);
    return NULL;
  }
  return g_strstrip (g_steal_pointer (&value));
}

static gboolean
set_identity_value_error (GError **error, const IdentityFile *file, guint line,
                          const gchar *key, const gchar *what, const gchar *value)
{
  g_autofree gchar *quoted = quote_text (value);
  return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, file->path, line,
                         "[" GROUP_DRIVE "] %s: expected %s, got \"%s\"", key, what, quoted);
}

static gboolean
is_fingerprint (const gchar *text)
{
  if (!g_str_has_prefix (text, FINGERPRINT_PREFIX) ||
      strlen (text) != strlen (FINGERPRINT_PREFIX) + FINGERPRINT_HEX_CHARS)
    return FALSE;
  for (const gchar *p = text + strlen (FINGERPRINT_PREFIX); *p != '\0'; p++) {
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  }
  return TRUE;
}

/* ROOT/dvr-drive.ini, with the key fingerprint it names. */
static DvrDriveIdentity *
identity_load (const gchar *root, gchar **fingerprint_out, GError **error)
{
  g_autofree gchar *path = g_build_filename (root, DVR_DRIVE_IDENTITY_NAME, NULL);
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (DvrDriveIdentity) identity = g_new0 (DvrDriveIdentity, 1);
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *version = NULL;
  g_autofree gchar *role = NULL;
  g_autofree gchar *created = NULL;
  g_autofree gchar *fingerprint = NULL;
  IdentityFile file = { .path = path, .key_file = key_file };
  guint64 number;
  guint line;
  gsize length = 0;
  gboolean role_known = FALSE;

  if (!read_small_file (path, TRUE, DVR_DRIVE_ERROR_NO_IDENTITY, &text, &length, error))
    return NULL;
  file.text = text;
  if (memchr (text, '\0', length) != NULL || !g_utf8_validate (text, length, NULL)) {
    set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                    "expected the text of a dvr drive identity, got binary data");
    return NULL;
  }
  if (!g_key_file_load_from_data (key_file, text, length, G_KEY_FILE_NONE, &local_error)) {
    g_autofree gchar *bad = NULL;
    guint bad_line = find_bad_line (text, &bad);

    if (bad_line > 0) {
      g_autofree gchar *quoted = quote_text (bad);
      set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, bad_line,
                      "expected [group], key = value or # comment, got \"%s\"", quoted);
    } else {
      set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0, "%s", local_error->message);
    }
    return NULL;
  }
  if (!g_key_file_has_group (key_file, GROUP_DRIVE)) {
    set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, path, 0,
                    "no [" GROUP_DRIVE "] group, expected a dvr drive identity");
    return NULL;
  }

  /* The version first: a newer file may mean other keys. */
  version = identity_get (&file, "format-version", "a format version such as 1", &line, error);
  if (version == NULL)
    return NULL;
  if (!g_ascii_string_to_unsigned (version, 10, 1, G_MAXUINT64, &number, NULL) ||
      !g_ascii_isdigit (version[0])) {
    set_identity_value_error (error, &file, line, "format-version",
                              "a format version such as 1", version);
    return NULL;
  }
  if (number > DVR_DRIVE_FORMAT_VERSION) {
    set_invalid_at (error, DVR_DRIVE_ERROR_NEWER, path, line,
                    "[" GROUP_DRIVE "] format-version: %" G_GUINT64_FORMAT " is newer than "
                    "this dvrd reads (%u): update dvrd to use this drive", number,
                    DVR_DRIVE_FORMAT_VERSION);
    return NULL;
  }
  identity->format_version = (guint) number;

  identity->unit_id = identity_get (&file, "unit-id", "1 to 64 characters A-Z a-z 0-9 . _ -",
                                    &line, error);
  if (identity->unit_id == NULL)
    return NULL;
  if (!is_unit_id (identity->unit_id)) {
    set_identity_value_error (error, &file, line, "unit-id",
                              "1 to 64 characters A-Z a-z 0-9 . _ -", identity->unit_id);
    return NULL;
  }

  identity->drive_uuid = identity_get (&file, "drive-uuid", "a UUID", &line, error);
  if (identity->drive_uuid == NULL)
    return NULL;
  if (!g_uuid_string_is_valid (identity->drive_uuid)) {
    set_identity_value_error (error, &file, line, "drive-uuid", "a UUID",
                              identity->drive_uuid);
    return NULL;
  }

  role = identity_get (&file, "role", "one of drive, fallback", &line, error);
  if (role == NULL)
    return NULL;
  for (guint i = 0; role_names[i] != NULL; i++) {
    if (g_str_equal (role, role_names[i])) {
      identity->role = (DvrDriveRole) i;
      role_known = TRUE;
    }
  }
  if (!role_known) {
    set_identity_value_error (error, &file, line, "role", "one of drive, fallback", role);
    return NULL;
  }

  created = identity_get (&file, "created", "an ISO 8601 UTC time such as "
                          "2026-11-28T19:37:31.123Z", &line, error);
  if (created == NULL)
    return NULL;
  if (!dvr_utc_parse_iso8601 (created, &identity->created_utc_ns, NULL)) {
    set_identity_value_error (error, &file, line, "created", "an ISO 8601 UTC time such as "
                              "2026-11-28T19:37:31.123Z", created);
    return NULL;
  }

  fingerprint = identity_get (&file, "public-key", "SHA256: and 64 lowercase hex digits",
                              &line, error);
  if (fingerprint == NULL)
    return NULL;
  if (!is_fingerprint (fingerprint)) {
    set_identity_value_error (error, &file, line, "public-key",
                              "SHA256: and 64 lowercase hex digits", fingerprint);
    return NULL;
  }
  if (fingerprint_out != NULL)
    *fingerprint_out = g_steal_pointer (&fingerprint);
  return g_steal_pointer (&identity);
}

static gboolean
identity_write (const gchar *root,
                const DvrDriveIdentity *identity,
                const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                GError **error)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autofree gchar *created = dvr_utc_format_iso8601 (identity->created_utc_ns);
  g_autofree gchar *fingerprint = dvr_drive_key_fingerprint (public_key);
  g_autofree gchar *text = NULL;
  gsize length = 0;

  g_key_file_set_comment (key_file, NULL, NULL,
                          " A dvr recording volume (docs/drive.md), written by dvrd.\n"
                          " Do not edit: dvrd refuses a volume whose identity is damaged.",
                          NULL);
  g_key_file_set_uint64 (key_file, GROUP_DRIVE, "format-version", identity->format_version);
  g_key_file_set_string (key_file, GROUP_DRIVE, "unit-id", identity->unit_id);
  g_key_file_set_string (key_file, GROUP_DRIVE, "drive-uuid", identity->drive_uuid);
  g_key_file_set_string (key_file, GROUP_DRIVE, "role",
                         dvr_drive_role_to_string (identity->role));
  g_key_file_set_string (key_file, GROUP_DRIVE, "created", created);
  g_key_file_set_string (key_file, GROUP_DRIVE, "public-key", fingerprint);
  text = g_key_file_to_data (key_file, &length, NULL);
  return write_file_durable (root, DVR_DRIVE_IDENTITY_NAME, text, length, IDENTITY_MODE, error);
}

/* Volume. */

static const gchar *const root_written_names[] = { DVR_DRIVE_IDENTITY_NAME, NULL };
static const gchar *const keys_written_names[] = { SECRET_KEY_FILE, PUBLIC_KEY_FILE, NULL };

/* The first entry of @folder that dvr_drive_open() did not write (or a
 * cut-short initialisation left), newly allocated; NULL when there is none
 * and the folder counts as empty.  "keys/NAME" for one inside keys/. */
static gboolean
find_foreign_entry (const gchar *root, gchar **entry_out, GError **error)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local_error = NULL;
  const gchar *entry;

  *entry_out = NULL;
  dir = g_dir_open (root, 0, &local_error);
  if (dir == NULL) {
    g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_IO, "%s", local_error->message);
    return FALSE;
  }
  while ((entry = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (root, entry, NULL);
    g_autoptr (GDir) keys = NULL;
    const gchar *key_entry;
    struct stat st;

    if (g_str_equal (entry, LOST_AND_FOUND) || is_temporary_name (entry, DVR_DRIVE_IDENTITY_NAME))
      continue;
    if (!g_str_equal (entry, KEYS_FOLDER) || lstat (path, &st) < 0 || !S_ISDIR (st.st_mode)) {
      *entry_out = g_strdup (entry);
      return TRUE;
    }
    keys = g_dir_open (path, 0, &local_error);
    if (keys == NULL) {
      g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
    while ((key_entry = g_dir_read_name (keys)) != NULL) {
      gboolean ours = FALSE;

      for (guint i = 0; keys_written_names[i] != NULL; i++)
        ours = ours || g_str_equal (key_entry, keys_written_names[i]) ||
               is_temporary_name (key_entry, keys_written_names[i]);
      if (!ours) {
        *entry_out = g_build_filename (KEYS_FOLDER, key_entry, NULL);
        return TRUE;
      }
    }
  }
  return TRUE;
}

/* A new identity and key pair in the (empty) @root. */
static DvrDriveIdentity *
volume_initialise (const gchar *root, const gchar *unit_id, DvrDriveRole role, GError **error)
{
  g_autofree gchar *keys = g_build_filename (root, KEYS_FOLDER, NULL);
  g_autoptr (DvrDriveIdentity) identity = g_new0 (DvrDriveIdentity, 1);
  guint8 seed[SEED_BYTES];
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  gboolean written;

  if (!remove_temporary_files (root, root_written_names, error) ||
      !remove_temporary_files (keys, keys_written_names, error) ||
      !new_key (root, seed, public_key, error))
    return NULL;
  identity->format_version = DVR_DRIVE_FORMAT_VERSION;
  identity->unit_id = g_strdup (unit_id);
  identity->drive_uuid = g_uuid_string_random ();
  identity->role = role;
  identity->created_utc_ns = dvr_utc_now_ns ();
  /* Keys first, identity last: see the top of this file. */
  written = write_key_pair (root, seed, public_key, error) &&
            identity_write (root, identity, public_key, error);
  sodium_memzero (seed, sizeof seed);
  if (!written)
    return NULL;
  g_message ("%s: initialised as %s of unit %s (drive uuid %s)", root,
             role == DVR_DRIVE_ROLE_DRIVE ? "the drive" : "the fallback folder", unit_id,
             identity->drive_uuid);
  /* What the next start will read, exactly. */
  return identity_load (root, NULL, error);
}

/* The key pair of an identified volume of ours, checked against the
 * identity's fingerprint.  Made when both halves are missing: the identity
 * is rewritten to name the new key first, then the secret key written,
 * then the public key, so that a power cut leaves either no key (made
 * again), or the secret key alone, whose public key is derived and
 * written here when it is the one the identity names. */
static gboolean
volume_check_keys (const gchar *root,
                   const DvrDriveIdentity *identity,
                   const gchar *fingerprint,
                   GError **error)
{
  g_autofree gchar *keys = g_build_filename (root, KEYS_FOLDER, NULL);
  g_autofree gchar *public_path = g_build_filename (root, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  g_autofree gchar *secret_path = g_build_filename (root, DVR_DRIVE_SECRET_KEY_NAME, NULL);
  g_autofree gchar *found = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  gboolean public_exists = g_file_test (public_path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
  gboolean secret_exists = g_file_test (secret_path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
  gboolean loaded;

  if (!remove_temporary_files (keys, keys_written_names, error))
    return FALSE;
  if (!public_exists && !secret_exists) {
    guint8 seed[SEED_BYTES];
    gboolean written;

    g_warning ("%s: no signing key: making a new one", root);
    if (!new_key (root, seed, public_key, error))
      return FALSE;
    written = identity_write (root, identity, public_key, error) &&
              write_key_pair (root, seed, public_key, error);
    sodium_memzero (seed, sizeof seed);
    return written;
  }
  if (!public_exists) {
    guint8 seed[SEED_BYTES];

    if (!read_seed (secret_path, seed, error))
      return FALSE;
    crypto_sign_seed_keypair (public_key, secret_key, seed);
    sodium_memzero (seed, sizeof seed);
    sodium_memzero (secret_key, sizeof secret_key);
    found = dvr_drive_key_fingerprint (public_key);
    if (!g_str_equal (found, fingerprint))
      return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, public_path, 0,
                             "missing, and %s is not the key the identity names", secret_path);
    g_warning ("%s: missing: written again from %s", public_path, secret_path);
    return write_public_key (root, public_key, error);
  }
  /* A secret key cannot be made again, and replacing the pair would
   * change the key that earlier exports were signed with. */
  if (!secret_exists)
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, secret_path, 0,
                           "missing, while %s is there", public_path);
  loaded = load_key_pair (root, public_key, secret_key, error);
  sodium_memzero (secret_key, sizeof secret_key);
  if (!loaded)
    return FALSE;
  found = dvr_drive_key_fingerprint (public_key);
  if (!g_str_equal (found, fingerprint)) {
    g_autofree gchar *identity_path = g_build_filename (root, DVR_DRIVE_IDENTITY_NAME, NULL);
    return set_invalid_at (error, DVR_DRIVE_ERROR_INVALID, public_path, 0,
                           "key %s, but %s names %s: the key was replaced", found,
                           identity_path, fingerprint);
  }
  return TRUE;
}

static const gchar *
role_described (DvrDriveRole role)
{
  return role == DVR_DRIVE_ROLE_DRIVE ? "drive" : "fallback folder";
}

/* Public API. */

const gchar *
dvr_drive_role_to_string (DvrDriveRole role)
{
  if ((guint) role < G_N_ELEMENTS (role_names) - 1)
    return role_names[role];
  return "unknown";
}

void
dvr_drive_identity_free (DvrDriveIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->unit_id);
  g_free (identity->drive_uuid);
  g_free (identity);
}

/* Returns a new identity (dvr_drive_identity_free()); any thread, blocks
 * on the disk. */
DvrDriveIdentity *
dvr_drive_identity_load (const gchar *root, GError **error)
{
  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return identity_load (root, NULL, error);
}

/* *saved_errno_out is set when @path or its parent cannot be stat()ed. */
static gboolean
is_mount_point (const gchar *path, int *saved_errno_out, const gchar **failed_out)
{
  g_autofree gchar *parent = g_build_filename (path, "..", NULL);
  struct stat st;
  struct stat parent_st;

  *saved_errno_out = 0;
  if (stat (path, &st) < 0) {
    *saved_errno_out = errno;
    *failed_out = "stat";
    return FALSE;
  }
  if (!S_ISDIR (st.st_mode)) {
    *saved_errno_out = ENOTDIR;
    *failed_out = "mount point";
    return FALSE;
  }
  if (stat (parent, &parent_st) < 0) {
    *saved_errno_out = errno;
    *failed_out = "stat";
    return FALSE;
  }
  return st.st_dev != parent_st.st_dev || st.st_ino == parent_st.st_ino;
}

/* Any thread; blocks on the disk (a stat() of each). */
gboolean
dvr_drive_is_mount_point (const gchar *path, GError **error)
{
  const gchar *failed = NULL;
  int saved_errno;

  g_return_val_if_fail (path != NULL, FALSE);

  if (is_mount_point (path, &saved_errno, &failed))
    return TRUE;
  if (saved_errno != 0)
    return set_io_error (error, saved_errno, failed, path);
  return FALSE;
}

/* Returns a new identity; any thread, blocks on the disk (fsync). */
DvrDriveIdentity *
dvr_drive_open (const gchar *root,
                const gchar *unit_id,
                DvrDriveRole role,
                gboolean require_mount,
                GError **error)
{
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *fingerprint = NULL;
  g_autofree gchar *entry = NULL;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (unit_id != NULL && is_unit_id (unit_id), NULL);
  g_return_val_if_fail (role == DVR_DRIVE_ROLE_DRIVE || role == DVR_DRIVE_ROLE_FALLBACK, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (require_mount) {
    const gchar *failed = NULL;
    int saved_errno;

    if (!is_mount_point (root, &saved_errno, &failed)) {
      if (saved_errno != 0 && saved_errno != ENOENT) {
        set_io_error (error, saved_errno, failed, root);
        return NULL;
      }
      g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NOT_MOUNTED,
                   "%s: no drive mounted there%s: not recording onto it, nothing changed",
                   root, saved_errno == ENOENT ? " (no such folder)" : " (a bare mount point)");
      return NULL;
    }
  } else if (!g_file_test (root, G_FILE_TEST_IS_DIR)) {
    GError *mkdir_error = NULL;
    if (!dvr_mkdir_durable (root, &mkdir_error)) {
      propagate_io_error (error, mkdir_error);
      return NULL;
    }
  }

  identity = identity_load (root, &fingerprint, &local_error);
  if (identity == NULL) {
    if (!g_error_matches (local_error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_NO_IDENTITY)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
    if (!find_foreign_entry (root, &entry, error))
      return NULL;
    if (entry != NULL) {
      g_autofree gchar *quoted = quote_text (entry);
      g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_UNRECOGNISED,
                   "%s: holds \"%s\" but no %s: not a dvr volume, not recording onto it, "
                   "nothing changed", root, quoted, DVR_DRIVE_IDENTITY_NAME);
      return NULL;
    }
    return volume_initialise (root, unit_id, role, error);
  }

  if (!g_str_equal (identity->unit_id, unit_id)) {
    g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_FOREIGN,
                 "%s: %s of unit %s (drive uuid %s), this is unit %s: not recording onto it, "
                 "nothing changed", root, role_described (identity->role), identity->unit_id,
                 identity->drive_uuid, unit_id);
    return NULL;
  }
  if (identity->role != role) {
    g_set_error (error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_FOREIGN,
                 "%s: the %s of unit %s (drive uuid %s), not its %s: not recording onto it "
                 "as the %s, nothing changed", root, role_described (identity->role), unit_id,
                 identity->drive_uuid, role_described (role), role_described (role));
    return NULL;
  }
  if (!remove_temporary_files (root, root_written_names, error) ||
      !volume_check_keys (root, identity, fingerprint, error))
    return NULL;
  return g_steal_pointer (&identity);
}

gboolean
dvr_drive_load_public_key (const gchar *root,
                           guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                           GError **error)
{
  g_autofree gchar *path = NULL;

  g_return_val_if_fail (root != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  path = g_build_filename (root, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  return read_public_key (path, TRUE, public_key, error);
}

/* @secret_key is libsodium's: the seed, then the public key.  The public
 * key file is read too: INVALID, naming both files, when they do not
 * belong together. */
gboolean
dvr_drive_load_secret_key (const gchar *root,
                           guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES],
                           GError **error)
{
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];

  g_return_val_if_fail (root != NULL, FALSE);
  g_return_val_if_fail (secret_key != NULL, FALSE);

  ensure_sodium ();
  return load_key_pair (root, public_key, secret_key, error);
}

gboolean
dvr_drive_read_public_key_file (const gchar *path,
                                guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                                GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (public_key != NULL, FALSE);

  return read_public_key (path, FALSE, public_key, error);
}

/* Returns the PEM text (newly allocated) that keys/signing.pub holds. */
gchar *
dvr_drive_public_key_to_pem (const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES])
{
  g_return_val_if_fail (public_key != NULL, NULL);

  return der_to_pem (PEM_PUBLIC_LABEL, spki_prefix, sizeof spki_prefix, public_key,
                     DVR_DRIVE_PUBLIC_KEY_BYTES);
}

/* Returns a newly allocated "SHA256:" and 64 lowercase hex digits. */
gchar *
dvr_drive_key_fingerprint (const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES])
{
  g_autofree gchar *hex = NULL;

  g_return_val_if_fail (public_key != NULL, NULL);

  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, public_key, DVR_DRIVE_PUBLIC_KEY_BYTES);
  return g_strconcat (FINGERPRINT_PREFIX, hex, NULL);
}

/* Pure Ed25519 (RFC 8032) over @data, as `openssl pkeyutl -sign -rawin`. */
void
dvr_drive_sign (const guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES],
                const guint8 *data,
                gsize length,
                guint8 signature[DVR_DRIVE_SIGNATURE_BYTES])
{
  g_return_if_fail (secret_key != NULL);
  g_return_if_fail (data != NULL || length == 0);
  g_return_if_fail (signature != NULL);

  ensure_sodium ();
  crypto_sign_detached (signature, NULL, data, length, secret_key);
}

gboolean
dvr_drive_verify (const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                  const guint8 *data,
                  gsize length,
                  const guint8 signature[DVR_DRIVE_SIGNATURE_BYTES])
{
  g_return_val_if_fail (public_key != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (signature != NULL, FALSE);

  ensure_sodium ();
  return crypto_sign_verify_detached (signature, data, length, public_key) == 0;
}

/* A fixed storage folder (not removable) is the administrator's choice in
 * dvr.conf: without an identity it is adopted even when it holds files
 * (recorded before drives had identities), never when it has another
 * unit's identity. */
DvrDriveIdentity *
dvr_drive_adopt (const gchar *root, const gchar *unit_id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  DvrDriveIdentity *identity;

  identity = dvr_drive_open (root, unit_id, DVR_DRIVE_ROLE_DRIVE, FALSE, &local_error);
  if (identity != NULL)
    return identity;
  if (!g_error_matches (local_error, DVR_DRIVE_ERROR, DVR_DRIVE_ERROR_UNRECOGNISED)) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  g_message ("%s: no %s yet; adopting this fixed storage folder as the drive of unit %s",
             root, DVR_DRIVE_IDENTITY_NAME, unit_id);
  return volume_initialise (root, unit_id, DVR_DRIVE_ROLE_DRIVE, error);
}
