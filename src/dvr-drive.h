/* dvr-drive: what makes a folder one of this unit's recording volumes (the
 * removable drive, or the internal fallback folder), and the drive's
 * signing key.
 *
 * A volume's root holds (docs/drive.md):
 *   ROOT/dvr-drive.ini       identity: format version, unit id, drive uuid, role
 *   ROOT/keys/signing.pub    Ed25519 public key, PEM (SubjectPublicKeyInfo)
 *   ROOT/keys/signing.key    Ed25519 private key, PEM (PKCS#8), mode 0600
 *   ROOT/catalog.sqlite3, ROOT/CAMERA/...   (docs/storage.md)
 * Both key files are what `openssl pkey` reads, so an export's signature
 * verifies with openssl as well as with our tools.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DVR_DRIVE_IDENTITY_NAME "dvr-drive.ini"
#define DVR_DRIVE_PUBLIC_KEY_NAME "keys/signing.pub"
#define DVR_DRIVE_SECRET_KEY_NAME "keys/signing.key"
#define DVR_DRIVE_FORMAT_VERSION 1

#define DVR_DRIVE_PUBLIC_KEY_BYTES 32
#define DVR_DRIVE_SECRET_KEY_BYTES 64   /* libsodium's: seed, then public key */
#define DVR_DRIVE_SIGNATURE_BYTES 64

#define DVR_DRIVE_ERROR (dvr_drive_error_quark ())
GQuark dvr_drive_error_quark (void);

typedef enum {
  DVR_DRIVE_ERROR_NOT_MOUNTED,   /* removable: the folder is not a mount point */
  DVR_DRIVE_ERROR_FOREIGN,       /* another unit's drive */
  DVR_DRIVE_ERROR_UNRECOGNISED,  /* not empty, and no identity file */
  DVR_DRIVE_ERROR_INVALID,       /* identity or key file damaged; message names file and line */
  DVR_DRIVE_ERROR_NEWER,         /* format version newer than this code */
  DVR_DRIVE_ERROR_IO,            /* could not read or write it */
  DVR_DRIVE_ERROR_NO_IDENTITY,   /* dvr_drive_identity_load: there is none */
} DvrDriveError;

typedef enum {
  DVR_DRIVE_ROLE_DRIVE,          /* the removable drive (or a fixed storage folder) */
  DVR_DRIVE_ROLE_FALLBACK,       /* the internal folder used while no drive is there */
} DvrDriveRole;

const gchar *dvr_drive_role_to_string (DvrDriveRole role);

typedef struct {
  guint format_version;
  gchar *unit_id;
  gchar *drive_uuid;             /* ours, made at initialisation; not the filesystem's */
  DvrDriveRole role;
  gint64 created_utc_ns;
} DvrDriveIdentity;

void dvr_drive_identity_free (DvrDriveIdentity *identity);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrDriveIdentity, dvr_drive_identity_free)

/* Reads ROOT/dvr-drive.ini.  DVR_DRIVE_ERROR_NO_IDENTITY when it is missing;
 * INVALID (naming the file and line) or NEWER when it cannot be used. */
DvrDriveIdentity *dvr_drive_identity_load (const gchar *root, GError **error);

/* TRUE when @path is the root of a mounted filesystem (its device differs
 * from its parent's, or it is "/"), so that a bare mount point is never
 * taken for the drive.  FALSE with @error set (IO) when @path or its
 * parent cannot be stat()ed or @path is not a folder.
 *
 * Only st_dev is compared, on purpose: /proc/self/mountinfo is not read.
 * dvrd.service's ReadWritePaths= bind-mounts the drive's mount point onto
 * itself inside the service's mount namespace, so there the bare folder
 * is listed in mountinfo as a mount point although no drive is mounted.
 * A bind mount of a folder of the parent's own filesystem is therefore
 * not a mount point here, which is what a drive is never.  A btrfs
 * subvolume has a device number of its own and counts. */
gboolean dvr_drive_is_mount_point (const gchar *path, GError **error);

/* Makes @root usable as this unit's volume, for dvrd:
 * - @require_mount: refuses (NOT_MOUNTED) a folder that is not a mount point;
 * - an identity of another unit: FOREIGN, and nothing is written;
 * - no identity: if the folder is empty (lost+found aside) it is
 *   initialised (identity, key pair; files written, synced, renamed into
 *   place); otherwise UNRECOGNISED, and nothing is written;
 * - ours: the key pair is made if it is missing (both files; one alone,
 *   or a pair that does not match the identity's public-key, is INVALID:
 *   replacing it would change the key earlier exports were signed with).
 * Without @require_mount a missing @root is created (it is empty).
 * Returns the identity. */
DvrDriveIdentity *dvr_drive_open (const gchar *root,
                                  const gchar *unit_id,
                                  DvrDriveRole role,
                                  gboolean require_mount,
                                  GError **error);

/* As dvr_drive_open() for a fixed (not removable) storage folder: one
 * without an identity is initialised even if it holds files; another
 * unit's is still refused. */
DvrDriveIdentity *dvr_drive_adopt (const gchar *root,
                                   const gchar *unit_id,
                                   GError **error);

/* Keys: raw libsodium keys in and out of the PEM files on a drive. */
gboolean dvr_drive_load_public_key (const gchar *root,
                                    guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                                    GError **error);
gboolean dvr_drive_load_secret_key (const gchar *root,
                                    guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES],
                                    GError **error);
/* Parses a PEM public key file anywhere (an export's copy, a key handed
 * over separately). */
gboolean dvr_drive_read_public_key_file (const gchar *path,
                                         guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                                         GError **error);
gchar *dvr_drive_public_key_to_pem (const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES]);
/* "SHA256:" and the hex SHA-256 of the 32 raw public key bytes. */
gchar *dvr_drive_key_fingerprint (const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES]);

void dvr_drive_sign (const guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES],
                     const guint8 *data, gsize length,
                     guint8 signature[DVR_DRIVE_SIGNATURE_BYTES]);
gboolean dvr_drive_verify (const guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES],
                           const guint8 *data, gsize length,
                           const guint8 signature[DVR_DRIVE_SIGNATURE_BYTES]);

G_END_DECLS
