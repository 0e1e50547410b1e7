/* Integration: evidence packages from a real recording (tools/dvr-export,
 * tools/dvr-verify, docs/tools.md).
 *
 * One drive, recorded by dvrd in two runs with two test cameras (320x240 at
 * 30 fps, a keyframe a second, 2 s segments, [events] pre- and post-event
 * 2 s): in the first run the lightbar makes one event; then dvrd stops,
 * starts again and records a few seconds more, so that a span across the
 * two runs has a gap.  The drive's identity and key are made by
 * dvr_drive_open() before dvrd first starts, as dvrd makes them on an empty
 * drive.  GPS fixes go into the catalog afterwards (no gpsd here).  The
 * tests share that drive and run in order, one concern each:
 *
 *  record        the recording and the event.
 *  event         dvr-export --event: each camera's file decodes; its first
 *                frame is the keyframe at or before the window's start, its
 *                last frame before the window's end (a GOP and a frame of
 *                slack); its dvr-meta/1 track parses and every sample's UTC
 *                is its time in the file plus the file's start; one overlay
 *                sample per frame; the manifest's fields.
 *  small-queue   the same with a writer queue smaller than a GOP: the GAP
 *                events on the sparse JSON track keep the muxer going.
 *  verify        dvr-verify passes (text, --json, --key with the drive's
 *                key); openssl verifies the signature; sha256sum-style
 *                hashes match.
 *  tamper        on fresh copies, each makes dvr-verify exit 1 naming the
 *                culprit: a changed byte in a camera file, track.gpx,
 *                track.geojson, manifest.json; a camera file swapped for the
 *                other camera's; a file missing; a file added; a changed
 *                audit row (re-signed with the drive's key); the manifest
 *                re-signed with another key (passes with its own key, whose
 *                fingerprint differs, fails with --key of the drive).
 *  drive         dvr-verify of the drive passes; on a copy with an audit
 *                row removed it names the row after it, with a segment
 *                changed it names the segment; an unknown file is a
 *                warning.
 *  span          dvr-export --from --to across the two runs, one camera:
 *                one file with the gap in the manifest and in its times.
 *  read-only     an export of a read-only copy of the drive (a read-only
 *                bind mount when root, else chmod): it works and leaves
 *                every file of the drive as it was, no -wal or -shm made.
 *  mark          --mark-exported: dvr-list --events shows the event
 *                exported (local times with the TZ's offset), the audit
 *                chain still verifies, the event's segments are
 *                reclaimable; a tampered package is refused; marking twice
 *                is recorded once.
 *  errors        unknown event, DIR not empty, ROOT without a catalog,
 *                usage errors; a source segment that changed stops the
 *                export, which leaves nothing behind.
 *
 * About 30 s.  A failure prints dvrd's log; DVR_TEST_KEEP=1 (or a failure)
 * keeps the folder.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "dvr-catalog.h"
#include "dvr-control.h"
#include "dvr-drive.h"
#include "dvr-storage.h"
#include "dvr-test-util.h"
#include "dvr-utils.h"

#define FPS 30
#define SECOND DVR_NSEC_PER_SEC
#define MS DVR_NSEC_PER_MSEC
#define FRAME_NS (SECOND / FPS)
#define GOP_NS SECOND
#define PRE_NS (2 * SECOND)
#define POST_NS (2 * SECOND)
#define UNIT "test-car"
#define WAIT_MS 15000
/* Matroska keeps times to the millisecond; the catalog's and the track's
 * UTC of a frame are taken a few microseconds apart. */
#define TIME_SLACK_NS (2 * MS)

static const gchar *const cameras[] = { "front", "rear" };

static struct {
  gchar *folder;
  gchar *storage;
  gchar *catalog_path;
  gchar *package;          /* the event's export */
  DvrTestDaemon *daemon;
  gint64 event_id;
  gint64 run1_end_ns;      /* UTC around the first stop */
  gint64 run2_start_ns;    /* UTC before the second start */
  gchar *fingerprint;      /* the drive's key */
  gboolean recorded;
} fx;

#define REQUIRE(cond, what) G_STMT_START {                          \
    if (!(cond)) {                                                  \
      g_test_skip ("needs " what);                                  \
      return;                                                       \
    }                                                               \
  } G_STMT_END

G_GNUC_NORETURN static void
fail (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

static void
fail (const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (fx.daemon != NULL)
    dvr_test_daemon_print_log (fx.daemon);
  g_error ("%s", message);
}

/* ------------------------------------------------------------------ */
/* Running the tools */

typedef struct {
  gint status;
  gchar *out;
  gchar *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs the tool in $@variable with the arguments (NULL-terminated). */
static void
run_tool (Run *run, const gchar *variable, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const gchar *tool = g_getenv (variable);
  const gchar *arg;
  va_list args;

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  va_start (args, variable);
  while ((arg = va_arg (args, const gchar *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  run_clear (run);
  run->status = dvr_test_run ((const gchar * const *) argv->pdata, &run->out, &run->err);
  g_test_message ("%s %s -> %d\n%s%s", variable, (gchar *) argv->pdata[1], run->status,
      run->out, run->err);
}

static void
assert_contains (const gchar *text, const gchar *expected)
{
  if (strstr (text, expected) == NULL)
    fail ("expected \"%s\" in:\n%s", expected, text);
}

static void
assert_lacks (const gchar *text, const gchar *unexpected)
{
  if (strstr (text, unexpected) != NULL)
    fail ("did not expect \"%s\" in:\n%s", unexpected, text);
}

/* dvr-verify exits 1, and a line "FAIL @culprit: ..." says @problem. */
static void
assert_verify_fails (const gchar *path, const gchar *key, const gchar *culprit,
                     const gchar *problem)
{
  g_auto (Run) run = { 0, };
  g_autofree gchar *start = g_strdup_printf ("\nFAIL %s: ", culprit);
  g_autofree gchar *line = NULL;
  const gchar *found;

  if (key != NULL)
    run_tool (&run, "DVR_VERIFY", "--key", key, path, NULL);
  else
    run_tool (&run, "DVR_VERIFY", path, NULL);
  if (run.status != 1)
    fail ("dvr-verify %s: exit %d, expected 1:\n%s%s", path, run.status, run.out, run.err);
  found = g_str_has_prefix (run.out, start + 1) ? run.out : strstr (run.out, start);
  if (found == NULL)
    fail ("no line \"FAIL %s: ...\" in:\n%s", culprit, run.out);
  if (*found == '\n')
    found++;
  line = g_strndup (found, strcspn (found, "\n"));
  assert_contains (line, problem);
  assert_contains (run.out, "FAILED");
}

/* ------------------------------------------------------------------ */
/* Files */

static gchar *
copy_tree (const gchar *from, const gchar *name)
{
  gchar *to = g_build_filename (fx.folder, name, NULL);
  const gchar *argv[] = { "cp", "-a", from, to, NULL };
  g_auto (Run) run = { 0, };

  dvr_test_rmtree (to);
  run.status = dvr_test_run (argv, &run.out, &run.err);
  g_assert_cmpint (run.status, ==, 0);
  return to;
}

/* Flips the bits of the byte at @offset (from the end when negative). */
static void
flip_byte (const gchar *path, goffset offset)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *data = NULL;
  gsize length = 0;

  g_file_get_contents (path, &data, &length, &error);
  g_assert_no_error (error);
  if (offset < 0)
    offset += length;
  g_assert_cmpint (offset, <, (goffset) length);
  data[offset] ^= 0xff;
  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
}

static JsonObject *
load_manifest (const gchar *dir)
{
  g_autofree gchar *path = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Writes @manifest to DIR/manifest.json and signs it with the secret key of
 * @key_root (keys/signing.key), as a forger holding that key would. */
static void
write_signed_manifest (const gchar *dir, JsonObject *manifest, const gchar *key_root)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree gchar *sig_path = g_build_filename (dir, "manifest.json.sig", NULL);
  guint8 secret_key[DVR_DRIVE_SECRET_KEY_BYTES];
  guint8 signature[DVR_DRIVE_SIGNATURE_BYTES];

  json_node_set_object (node, manifest);
  text = json_to_string (node, TRUE);
  g_assert_true (dvr_drive_load_secret_key (key_root, secret_key, &error));
  g_assert_no_error (error);
  dvr_drive_sign (secret_key, (const guint8 *) text, strlen (text), signature);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (sig_path, (const gchar *) signature, sizeof signature, &error);
  g_assert_no_error (error);
}

static JsonObject *
manifest_camera (JsonObject *manifest, const gchar *name)
{
  JsonArray *list = json_object_get_array_member (manifest, "cameras");

  for (guint i = 0; i < json_array_get_length (list); i++) {
    JsonObject *camera = json_array_get_object_element (list, i);
    if (g_str_equal (json_object_get_string_member (camera, "name"), name))
      return camera;
  }
  fail ("no camera %s in the manifest", name);
}

/* Every file under @root with its SHA-256, "path sha\n", sorted. */
static gchar *
tree_digest (const gchar *root)
{
  g_autofree gchar *command = g_strdup_printf (
      "cd '%s' && find . -type f -print0 | sort -z | xargs -0 sha256sum", root);
  const gchar *argv[] = { "sh", "-c", command, NULL };
  g_auto (Run) run = { 0, };

  run.status = dvr_test_run (argv, &run.out, &run.err);
  g_assert_cmpint (run.status, ==, 0);
  return g_steal_pointer (&run.out);
}

/* ------------------------------------------------------------------ */
/* The recording */

static JsonObject *
call_ok (const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) request = json_from_string (text, &error);
  JsonObject *reply;

  g_assert_no_error (error);
  reply = dvr_control_call (fx.daemon->socket_path, json_node_get_object (request), 10000,
      &error);
  if (reply == NULL)
    fail ("%s: %s", text, error->message);
  if (!json_object_get_boolean_member_with_default (reply, "ok", FALSE))
    fail ("%s: refused", text);
  return reply;
}

static gboolean
cameras_recording (JsonObject *reply, gpointer user_data)
{
  gint64 frames = GPOINTER_TO_INT (user_data);

  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    JsonObject *camera = dvr_test_status_camera (reply, cameras[i]);
    if (camera == NULL ||
        g_strcmp0 (json_object_get_string_member (camera, "state"), "recording") != 0 ||
        json_object_get_int_member (camera, "frames_in") < frames)
      return FALSE;
  }
  return TRUE;
}

static void
wait_recording (gint64 frames)
{
  g_autoptr (JsonObject) reply = dvr_test_daemon_wait (fx.daemon, WAIT_MS, cameras_recording,
      GINT_TO_POINTER ((gint) frames));

  if (reply == NULL)
    fail ("the cameras did not record %" G_GINT64_FORMAT " frames", frames);
}

static gchar *
build_config (void)
{
  g_autoptr (GString) c = g_string_new (NULL);

  g_string_append_printf (c,
      "[recorder]\nunit-id = " UNIT "\nstorage = %s\nsegment-length = 2\n"
      "stall-timeout = %u\n"   /* the default, scaled: dvrd starts slowly under valgrind */
      "[control]\nsocket = %s/control.sock\n"
      "[gps]\ngpsd = none\n"
      "[events]\npre-event = %d\npost-event = %d\n",
      fx.storage, dvr_test_timeout_ms (5000) / 1000, fx.folder, (gint) (PRE_NS / SECOND),
      (gint) (POST_NS / SECOND));
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++)
    g_string_append_printf (c, "[camera %s]\nsource = test\nwidth = 320\nheight = 240\n"
        "framerate = %d/1\nkeyframe-interval = %d\n", cameras[i], FPS, FPS);
  return g_string_free (g_steal_pointer (&c), FALSE);
}

static void
start_daemon (const gchar *config)
{
  g_autoptr (GError) error = NULL;

  fx.daemon = dvr_test_daemon_start (fx.folder, config, &error);
  g_assert_no_error (error);
}

static void
stop_daemon (void)
{
  gint status = dvr_test_daemon_stop (fx.daemon, 10000, NULL);

  if (status != 0)
    fail ("dvrd exited with %d", status);
  g_clear_pointer (&fx.daemon, dvr_test_daemon_free);
}

/* Waits until every camera has a catalogued segment reaching @until. */
static void
wait_segments_until (gint64 until)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) dvr_test_timeout_ms (WAIT_MS) * 1000;

  for (;;) {
    g_autoptr (GError) error = NULL;
    g_autoptr (DvrCatalog) catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
    gboolean done = catalog != NULL;

    for (guint i = 0; done && i < G_N_ELEMENTS (cameras); i++) {
      g_autoptr (GPtrArray) segments = dvr_catalog_list_segments (catalog, cameras[i], until,
          G_MAXINT64, NULL);
      done = segments != NULL && segments->len > 0;
    }
    if (done)
      return;
    if (g_get_monotonic_time () > deadline)
      fail ("no segment reached the event's windows in time");
    dvr_test_wait_ms (100);
  }
}

/* GPS fixes over the first run, as dvrd would have catalogued them from
 * gpsd: a 3D position every half second, and one report without a fix. */
static void
add_gps_fixes (gint64 from, gint64 to)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (fx.catalog_path, FALSE, &error);
  g_autoptr (GArray) fixes = g_array_new (FALSE, FALSE, sizeof (DvrGpsFix));
  guint n = 0;

  g_assert_no_error (error);
  for (gint64 t = from; t < to; t += SECOND / 2, n++) {
    DvrGpsFix fix;

    dvr_gps_fix_init (&fix);
    fix.received_utc_ns = t;
    fix.time_ns = t - 100 * MS;
    fix.mode = n == 3 ? DVR_GPS_MODE_NO_FIX : DVR_GPS_MODE_3D;
    if (fix.mode == DVR_GPS_MODE_3D) {
      fix.lat = 52.1 + n * 1e-5;
      fix.lon = 4.3 + n * 2e-5;
      fix.alt_msl = 3.5;
      fix.alt_hae = 45.0;
      fix.speed = 12.5;
      fix.track = 270.0;
      fix.sats_used = 9;
    }
    g_array_append_val (fixes, fix);
  }
  g_assert_true (dvr_catalog_add_gps_fixes (catalog, (DvrGpsFix *) fixes->data, fixes->len,
      &error));
  g_assert_no_error (error);
}

static void
test_record (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (JsonObject) reply = NULL;
  g_autofree gchar *config = NULL;
  guint8 public_key[DVR_DRIVE_PUBLIC_KEY_BYTES];
  gint64 started;

  fx.folder = dvr_test_mkdtemp ();
  fx.storage = g_build_filename (fx.folder, "storage", NULL);
  fx.catalog_path = g_build_filename (fx.storage, DVR_STORAGE_CATALOG_NAME, NULL);
  g_assert_cmpint (g_mkdir (fx.storage, 0750), ==, 0);
  identity = dvr_drive_open (fx.storage, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (dvr_drive_load_public_key (fx.storage, public_key, &error));
  g_assert_no_error (error);
  fx.fingerprint = dvr_drive_key_fingerprint (public_key);
  config = build_config ();

  started = dvr_utc_now_ns ();
  start_daemon (config);
  wait_recording (FPS * 3);
  g_clear_pointer (&reply, json_object_unref);
  reply = call_ok ("{\"cmd\":\"signal\",\"name\":\"lightbar\",\"value\":true}");
  dvr_test_wait_ms (3000);
  g_clear_pointer (&reply, json_object_unref);
  reply = call_ok ("{\"cmd\":\"signal\",\"name\":\"lightbar\",\"value\":false}");
  g_clear_pointer (&reply, json_object_unref);
  reply = call_ok ("{\"cmd\":\"events\"}");
  {
    JsonArray *events = json_object_get_array_member (reply, "events");
    JsonObject *event;
    g_assert_cmpuint (json_array_get_length (events), ==, 1);
    event = json_array_get_object_element (events, 0);
    fx.event_id = json_object_get_int_member (event, "id");
  }
  /* The post-event time, then the segment holding its end. */
  dvr_test_wait_ms (POST_NS / MS);
  wait_segments_until (dvr_utc_now_ns () - 100 * MS);
  stop_daemon ();
  fx.run1_end_ns = dvr_utc_now_ns ();
  add_gps_fixes (started, fx.run1_end_ns);

  /* A second run: a span across both has a gap. */
  dvr_test_wait_ms (1000);
  fx.run2_start_ns = dvr_utc_now_ns ();
  start_daemon (config);
  wait_recording (FPS * 3);
  wait_segments_until (fx.run2_start_ns + 2 * SECOND);
  stop_daemon ();
  fx.recorded = TRUE;
}

/* ------------------------------------------------------------------ */
/* The event's export */

static DvrEvent *
catalog_event (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
  DvrEvent *event;

  g_assert_no_error (error);
  event = dvr_catalog_get_event (catalog, fx.event_id, &error);
  g_assert_no_error (error);
  return event;
}

static gint64
time_member (JsonObject *object, const gchar *member)
{
  g_autofree gchar *name = g_strconcat (member, "_utc_ns", NULL);

  return json_object_get_int_member (object, name);
}

/* The camera's file decodes whole; its frames run from the keyframe at or
 * before @from to the last frame before @to; its JSON track parses and
 * carries, on every sample, the UTC its time in the file says; the overlay
 * has a sample per frame.  Returns the number of frames decoded. */
static guint64
assert_camera_file (const gchar *dir, JsonObject *camera, gint64 from, gint64 to)
{
  g_autofree gchar *path = g_build_filename (dir,
      json_object_get_string_member (camera, "file"), NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) json = g_array_new (FALSE, FALSE, sizeof (DvrTestSample));
  g_autoptr (GArray) text = g_array_new (FALSE, FALSE, sizeof (DvrTestSample));
  gint64 first_utc = time_member (camera, "first_frame");
  gint64 last_utc = time_member (camera, "last_frame");
  gint64 previous_utc = G_MININT64;
  DvrTestDecode decode;

  g_assert_true (dvr_test_decode_file (path, &decode, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (decode.codec, ==, "video/x-h264");
  g_assert_cmpuint (decode.frames, ==, json_object_get_int_member (camera, "frames"));
  g_assert_cmpint (decode.first_pts, ==, 0);
  /* Times in the file and UTC agree from the first frame to the last. */
  g_assert_cmpint (ABS (decode.last_pts - (last_utc - first_utc)), <=, TIME_SLACK_NS);
  g_test_message ("%s: %" G_GUINT64_FORMAT " frames, first %" G_GINT64_FORMAT
      " ms before the span, last %" G_GINT64_FORMAT " ms before its end", path, decode.frames,
      (from - first_utc) / MS, (to - last_utc) / MS);
  /* The first frame is the keyframe at or before the span's start: the
   * GOP is 1 s. */
  g_assert_cmpint (first_utc, <=, from);
  g_assert_cmpint (first_utc, >, from - GOP_NS - FRAME_NS);
  /* The last frame is the last one before the end. */
  g_assert_cmpint (last_utc, <, to);
  g_assert_cmpint (last_utc, >=, to - FRAME_NS - TIME_SLACK_NS);
  dvr_test_decode_clear (&decode);

  /* Each segment starts in the file exactly at its UTC start's distance
   * from the first frame: no drift from one segment to the next, and a
   * gap stays as long as it was. */
  {
    JsonArray *sources = json_object_get_array_member (camera, "sources");
    guint64 frames = 0;

    for (guint i = 0; i < json_array_get_length (sources); i++) {
      JsonObject *source = json_array_get_object_element (sources, i);
      gint64 in_file = json_object_get_int_member (source, "frames_in_file");

      frames += in_file;
      /* A segment inside the file is there whole, every frame of it. */
      if (time_member (source, "start") >= first_utc &&
          time_member (source, "end") <= last_utc + FRAME_NS)
        g_assert_cmpint (in_file, ==, json_object_get_int_member (source, "frames"));
      if (json_node_is_null (json_object_get_member (source, "file_offset_ns")))
        continue;
      g_assert_cmpint (json_object_get_int_member (source, "file_offset_ns"), ==,
          time_member (source, "start") - first_utc);
    }
    g_assert_cmpuint (frames, ==, json_object_get_int_member (camera, "frames"));
  }

  g_array_set_clear_func (json, (GDestroyNotify) dvr_test_sample_clear);
  g_array_set_clear_func (text, (GDestroyNotify) dvr_test_sample_clear);
  dvr_test_demux_tracks (path, json, text);
  g_assert_cmpuint (json->len, >, 0);
  g_assert_cmpuint (text->len, ==, json_object_get_int_member (camera, "frames"));
  for (guint i = 0; i < json->len; i++) {
    const DvrTestSample *sample = &g_array_index (json, DvrTestSample, i);
    g_autoptr (JsonNode) node = json_from_string (sample->text, &error);
    JsonObject *object;
    gint64 utc;

    g_assert_no_error (error);
    object = json_node_get_object (node);
    g_assert_cmpstr (json_object_get_string_member (object, "schema"), ==, "dvr-meta/1");
    g_assert_cmpstr (json_object_get_string_member (object, "camera"), ==,
        json_object_get_string_member (camera, "name"));
    utc = json_object_get_int_member (object, "utc_ns");
    if (ABS (first_utc + sample->pts - utc) > TIME_SLACK_NS)
      fail ("%s: JSON sample %u at %" G_GINT64_FORMAT " ms in the file says UTC %"
          G_GINT64_FORMAT ", the file's start plus its time is %" G_GINT64_FORMAT, path, i,
          sample->pts / MS, utc, first_utc + sample->pts);
    g_assert_cmpint (utc, >, previous_utc);
    g_assert_cmpint (utc, <, to);
    if (i == 0)
      g_assert_true (json_object_get_boolean_member (object, "keyframe"));
    previous_utc = utc;
  }
  return json_object_get_int_member (camera, "frames");
}

static void
test_event (void)
{
  g_auto (Run) run = { 0, };
  g_autoptr (JsonObject) manifest = NULL;
  g_autoptr (DvrEvent) event = NULL;
  g_autoptr (DvrDriveIdentity) identity = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) evidence = NULL;
  g_autofree gchar *id = NULL;
  g_autofree gchar *gpx = NULL;
  g_autofree gchar *gpx_path = NULL;
  JsonObject *json_event, *audit;
  JsonArray *files, *rows, *signals, *sources;
  gboolean started = FALSE, stopped = FALSE;

  REQUIRE (fx.recorded, "the recording");
  fx.package = g_build_filename (fx.folder, "package", NULL);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, fx.event_id);
  run_tool (&run, "DVR_EXPORT", "--event", id, "-o", fx.package, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "front.mkv");
  assert_contains (run.out, fx.fingerprint);

  event = catalog_event ();
  identity = dvr_drive_identity_load (fx.storage, &error);
  g_assert_no_error (error);
  manifest = load_manifest (fx.package);
  g_assert_cmpstr (json_object_get_string_member (manifest, "format"), ==, "dvr-export/1");
  g_assert_cmpstr (json_object_get_string_member (manifest, "unit_id"), ==, UNIT);
  g_assert_cmpstr (json_object_get_string_member (manifest, "drive_uuid"), ==,
      identity->drive_uuid);
  g_assert_cmpstr (json_object_get_string_member (manifest, "key_fingerprint"), ==,
      fx.fingerprint);
  g_assert_cmpint (ABS (time_member (manifest, "created") - dvr_utc_now_ns ()), <, 60 * SECOND);
  json_event = json_object_get_object_member (manifest, "event");
  g_assert_cmpint (json_object_get_int_member (json_event, "id"), ==, fx.event_id);
  g_assert_cmpstr (json_object_get_string_member (json_event, "kind"), ==, "trigger");
  g_assert_cmpint (time_member (json_event, "start"), ==, event->start_utc_ns);
  g_assert_cmpint (time_member (json_event, "end"), ==, event->end_utc_ns);
  g_assert_cmpstr (json_object_get_string_member (json_event, "reason"), ==, event->reason);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_event,
      "triggers")), ==, event->triggers->len);

  /* Each camera: its window, its evidence as the sources, no gap. */
  catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
  g_assert_no_error (error);
  evidence = dvr_catalog_list_event_segments (catalog, fx.event_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (event->windows->len, ==, G_N_ELEMENTS (cameras));
  for (guint i = 0; i < event->windows->len; i++) {
    const DvrEventWindow *window = g_ptr_array_index (event->windows, i);
    JsonObject *camera = manifest_camera (manifest, window->camera);
    guint n_sources = 0;

    g_assert_cmpint (window->to_utc_ns, ==, event->end_utc_ns + POST_NS);
    g_assert_cmpint (window->from_utc_ns, ==, event->start_utc_ns - PRE_NS);
    g_assert_cmpint (time_member (camera, "from"), ==, window->from_utc_ns);
    g_assert_cmpint (time_member (camera, "to"), ==, window->to_utc_ns);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (camera, "gaps")), ==,
        0);
    sources = json_object_get_array_member (camera, "sources");
    for (guint j = 0; j < evidence->len; j++) {
      const DvrSegment *segment = g_ptr_array_index (evidence, j);
      JsonObject *source;
      if (!g_str_equal (segment->camera, window->camera))
        continue;
      g_assert_cmpuint (n_sources, <, json_array_get_length (sources));
      source = json_array_get_object_element (sources, n_sources++);
      g_assert_cmpstr (json_object_get_string_member (source, "path"), ==, segment->path);
      g_assert_cmpstr (json_object_get_string_member (source, "sha256"), ==, segment->sha256);
      g_assert_cmpint (json_object_get_int_member (source, "bytes"), ==, segment->bytes);
    }
    g_assert_cmpuint (n_sources, ==, json_array_get_length (sources));
    assert_camera_file (fx.package, camera, window->from_utc_ns, window->to_utc_ns);
  }

  /* The signals over the span: the lightbar on and off. */
  signals = json_object_get_array_member (manifest, "signals");
  for (guint i = 0; i < json_array_get_length (signals); i++) {
    JsonObject *change = json_array_get_object_element (signals, i);
    if (g_str_equal (json_object_get_string_member (change, "signal"), "lightbar")) {
      started = started || json_object_get_boolean_member (change, "value");
      stopped = stopped || !json_object_get_boolean_member (change, "value");
    }
  }
  g_assert_true (started && stopped);

  /* The track: every 3D fix in the span is a point. */
  gpx_path = g_build_filename (fx.package, "track.gpx", NULL);
  g_file_get_contents (gpx_path, &gpx, NULL, &error);
  g_assert_no_error (error);
  assert_contains (gpx, "<trkpt lat=\"52.1");
  assert_contains (gpx, "<name>" UNIT "</name>");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (manifest, "gps"),
      "points"), >=, 2 * (event->end_utc_ns - event->start_utc_ns) / SECOND);

  /* Every file but the manifest and its signature, once. */
  files = json_object_get_array_member (manifest, "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 5);
  {
    const gchar *names[] = { "front.mkv", "rear.mkv", "signing.pub", "track.geojson",
                             "track.gpx" };
    for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
      JsonObject *file = json_array_get_object_element (files, i);
      g_autofree gchar *path = g_build_filename (fx.package, names[i], NULL);
      g_autofree gchar *sha256 = dvr_test_sha256_file (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (file, "name"), ==, names[i]);
      g_assert_cmpstr (json_object_get_string_member (file, "sha256"), ==, sha256);
    }
  }

  /* The audit excerpt has the event's rows; the head is the catalog's. */
  audit = json_object_get_object_member (manifest, "audit");
  g_assert_true (json_object_get_boolean_member (audit, "intact"));
  rows = json_object_get_array_member (audit, "rows");
  {
    g_autoptr (DvrAuditEntry) head = dvr_catalog_get_last_audit (catalog, NULL, &error);
    gboolean event_start = FALSE, event_stop = FALSE;

    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (audit, "head"),
        "id"), ==, head->id);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (audit,
        "head"), "hash"), ==, head->hash);
    for (guint i = 0; i < json_array_get_length (rows); i++) {
      const gchar *action = json_object_get_string_member (
          json_array_get_object_element (rows, i), "action");
      event_start = event_start || g_str_equal (action, "event-start");
      event_stop = event_stop || g_str_equal (action, "event-stop");
    }
    g_assert_true (event_start && event_stop);
  }
}

/* The writer's queue smaller than a GOP: without the GAP events on the
 * sparse JSON track, matroskamux would wait for its next sample while the
 * demuxer waits for room in the queue (docs/metadata.md).  The export still
 * goes through, with the same frames. */
static void
test_small_queue (void)
{
  g_auto (Run) run = { 0, };
  g_autofree gchar *dir = g_build_filename (fx.folder, "small-queue", NULL);
  g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, fx.event_id);
  g_autoptr (JsonObject) manifest = NULL;
  g_autoptr (JsonObject) reference = NULL;
  gint64 started = g_get_monotonic_time ();

  REQUIRE (fx.package != NULL, "the event's export");
  g_setenv ("DVR_EXPORT_QUEUE_BYTES", "8000", TRUE);
  run_tool (&run, "DVR_EXPORT", "--event", id, "-o", dir, fx.storage, NULL);
  g_unsetenv ("DVR_EXPORT_QUEUE_BYTES");
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 20 * G_USEC_PER_SEC);
  manifest = load_manifest (dir);
  reference = load_manifest (fx.package);
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    JsonObject *camera = manifest_camera (manifest, cameras[i]);
    g_assert_cmpint (json_object_get_int_member (camera, "frames"), ==,
        json_object_get_int_member (manifest_camera (reference, cameras[i]), "frames"));
    assert_camera_file (dir, camera, time_member (camera, "from"), time_member (camera, "to"));
  }
  dvr_test_rmtree (dir);
}

static void
test_verify (void)
{
  g_auto (Run) run = { 0, };
  g_autofree gchar *drive_key = NULL;
  g_autofree gchar *manifest = NULL;
  g_autofree gchar *signature = NULL;
  g_autofree gchar *public_key = NULL;
  g_autoptr (JsonNode) json = NULL;
  g_autoptr (GError) error = NULL;

  REQUIRE (fx.package != NULL, "the event's export");
  run_tool (&run, "DVR_VERIFY", fx.package, NULL);
  g_assert_cmpint (run.status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (cameras); i++) {
    g_autofree gchar *line = g_strdup_printf ("PASS %s.mkv\n", cameras[i]);
    assert_contains (run.out, line);
  }
  assert_contains (run.out, "PASS manifest.json.sig\n");
  assert_contains (run.out, "PASS track.gpx\n");
  assert_contains (run.out, "PASS track.geojson\n");
  assert_contains (run.out, "PASS manifest.json (audit excerpt)\n");
  assert_contains (run.out, fx.fingerprint);
  assert_lacks (run.out, "FAIL");

  drive_key = g_build_filename (fx.storage, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
  run_tool (&run, "DVR_VERIFY", "--key", drive_key, fx.package, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_tool (&run, "DVR_VERIFY", "--json", fx.package, NULL);
  g_assert_cmpint (run.status, ==, 0);
  json = json_from_string (run.out, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (json), "ok"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (json), "failed"), ==, 0);

  /* Without our tools: openssl checks the signature with the copy of the
   * drive's public key. */
  if (g_file_test ("/usr/bin/openssl", G_FILE_TEST_IS_EXECUTABLE)) {
    const gchar *argv[] = { "/usr/bin/openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                            NULL, "-rawin", "-in", NULL, "-sigfile", NULL, NULL };
    public_key = g_build_filename (fx.package, "signing.pub", NULL);
    manifest = g_build_filename (fx.package, "manifest.json", NULL);
    signature = g_build_filename (fx.package, "manifest.json.sig", NULL);
    argv[5] = public_key;
    argv[8] = manifest;
    argv[10] = signature;
    run_clear (&run);
    run.status = dvr_test_run (argv, &run.out, &run.err);
    g_assert_cmpint (run.status, ==, 0);
    assert_contains (run.out, "Signature Verified Successfully");
    /* ... and refuses a changed manifest. */
    {
      g_autofree gchar *copy = copy_tree (fx.package, "openssl-copy");
      g_autofree gchar *changed = g_build_filename (copy, "manifest.json", NULL);
      flip_byte (changed, 10);
      argv[8] = changed;
      run_clear (&run);
      run.status = dvr_test_run (argv, &run.out, &run.err);
      g_assert_cmpint (run.status, !=, 0);
      dvr_test_rmtree (copy);
    }
  } else {
    g_test_message ("no /usr/bin/openssl: its check of the signature skipped");
  }
}

/* ------------------------------------------------------------------ */
/* Tampering */

static gchar *
package_copy (const gchar *name)
{
  return copy_tree (fx.package, name);
}

static void
tamper_byte (const gchar *file)
{
  g_autofree gchar *copy = package_copy ("tampered");
  g_autofree gchar *path = g_build_filename (copy, file, NULL);

  flip_byte (path, -100);
  assert_verify_fails (copy, NULL, file, "SHA-256 differs from the manifest");
  dvr_test_rmtree (copy);
}

static void
test_tamper (void)
{
  REQUIRE (fx.package != NULL, "the event's export");

  /* A changed byte in each kind of file. */
  tamper_byte ("front.mkv");
  tamper_byte ("track.gpx");
  tamper_byte ("track.geojson");
  {
    g_autofree gchar *copy = package_copy ("tampered");
    g_autofree gchar *path = g_build_filename (copy, "manifest.json", NULL);
    g_autoptr (GError) error = NULL;
    g_autofree gchar *text = NULL;
    gchar *reason;

    /* Still valid JSON: a digit of the event's start changed. */
    g_file_get_contents (path, &text, NULL, &error);
    g_assert_no_error (error);
    reason = strstr (text, "\"start_utc_ns\" : ");
    g_assert_nonnull (reason);
    reason += strlen ("\"start_utc_ns\" : ") + 5;
    *reason = *reason == '1' ? '2' : '1';
    g_file_set_contents (path, text, -1, &error);
    g_assert_no_error (error);
    assert_verify_fails (copy, NULL, "manifest.json", "signature does not verify with key");
    /* A byte that makes it unreadable: still named. */
    flip_byte (path, 0);
    assert_verify_fails (copy, NULL, "manifest.json", "signature does not verify with key");
    dvr_test_rmtree (copy);
  }

  /* A camera file replaced by another valid video: the other camera's. */
  {
    g_autofree gchar *copy = package_copy ("tampered");
    g_autofree gchar *front = g_build_filename (copy, "front.mkv", NULL);
    g_autofree gchar *rear = g_build_filename (copy, "rear.mkv", NULL);
    g_autoptr (GError) error = NULL;
    DvrTestDecode decode;

    g_assert_cmpint (g_rename (rear, front), ==, 0);
    g_assert_true (dvr_test_decode_file (front, &decode, &error));
    dvr_test_decode_clear (&decode);
    assert_verify_fails (copy, NULL, "front.mkv", "");
    assert_verify_fails (copy, NULL, "rear.mkv", "missing");
    dvr_test_rmtree (copy);
  }

  /* A file added. */
  {
    g_autofree gchar *copy = package_copy ("tampered");
    g_autofree gchar *extra = g_build_filename (copy, "notes.txt", NULL);
    g_autoptr (GError) error = NULL;

    g_file_set_contents (extra, "planted\n", -1, &error);
    g_assert_no_error (error);
    assert_verify_fails (copy, NULL, "notes.txt", "not in the manifest");
    dvr_test_rmtree (copy);
  }

  /* An audit row of the excerpt changed, and the manifest signed again
   * with the drive's own key (someone holding the drive): the row no longer
   * matches its hash. */
  {
    g_autofree gchar *copy = package_copy ("tampered");
    g_autoptr (JsonObject) manifest = load_manifest (copy);
    JsonArray *rows = json_object_get_array_member (json_object_get_object_member (manifest,
        "audit"), "rows");
    JsonObject *row = json_array_get_object_element (rows, 0);
    g_autofree gchar *where = g_strdup_printf ("manifest.json (audit row %" G_GINT64_FORMAT ")",
        json_object_get_int_member (row, "id"));

    g_autofree gchar *problem = g_strdup_printf ("%s: its contents do not match its hash",
        json_object_get_string_member (row, "action"));

    json_object_set_string_member (row, "detail", "{\"reason\":\"nothing happened\"}");
    write_signed_manifest (copy, manifest, fx.storage);
    assert_verify_fails (copy, NULL, where, problem);
    dvr_test_rmtree (copy);
  }

  /* The manifest signed with another key, its copy of the public key and
   * its fingerprint replaced: it verifies with its own key, whose
   * fingerprint is not the drive's, and fails with the drive's key. */
  {
    g_autofree gchar *copy = package_copy ("tampered");
    g_autofree gchar *other = g_build_filename (fx.folder, "other-drive", NULL);
    g_autofree gchar *other_pub = NULL;
    g_autofree gchar *package_pub = g_build_filename (copy, "signing.pub", NULL);
    g_autofree gchar *drive_pub = g_build_filename (fx.storage, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
    g_autofree gchar *other_fingerprint = NULL;
    g_autofree gchar *pem = NULL;
    g_autoptr (JsonObject) manifest = load_manifest (copy);
    g_autoptr (DvrDriveIdentity) identity = NULL;
    g_autoptr (GError) error = NULL;
    g_auto (Run) run = { 0, };
    guint8 key[DVR_DRIVE_PUBLIC_KEY_BYTES];
    JsonArray *files = json_object_get_array_member (manifest, "files");
    gsize length = 0;

    dvr_test_rmtree (other);
    g_assert_cmpint (g_mkdir (other, 0700), ==, 0);
    identity = dvr_drive_open (other, UNIT, DVR_DRIVE_ROLE_DRIVE, FALSE, &error);
    g_assert_no_error (error);
    g_assert_true (dvr_drive_load_public_key (other, key, &error));
    other_fingerprint = dvr_drive_key_fingerprint (key);
    g_assert_cmpstr (other_fingerprint, !=, fx.fingerprint);
    other_pub = g_build_filename (other, DVR_DRIVE_PUBLIC_KEY_NAME, NULL);
    g_file_get_contents (other_pub, &pem, &length, &error);
    g_assert_no_error (error);
    g_file_set_contents (package_pub, pem, length, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < json_array_get_length (files); i++) {
      JsonObject *file = json_array_get_object_element (files, i);
      if (g_str_equal (json_object_get_string_member (file, "name"), "signing.pub")) {
        g_autofree gchar *sha256 = dvr_test_sha256_file (package_pub, &error);
        json_object_set_string_member (file, "sha256", sha256);
        json_object_set_int_member (file, "bytes", length);
      }
    }
    json_object_set_string_member (manifest, "key_fingerprint", other_fingerprint);
    write_signed_manifest (copy, manifest, other);

    run_tool (&run, "DVR_VERIFY", copy, NULL);
    g_assert_cmpint (run.status, ==, 0);
    assert_contains (run.out, other_fingerprint);
    assert_lacks (run.out, fx.fingerprint);
    {
      g_autofree gchar *problem = g_strdup_printf ("signature does not verify with key %s",
          fx.fingerprint);
      assert_verify_fails (copy, drive_pub, "manifest.json", problem);
    }
    dvr_test_rmtree (copy);
    dvr_test_rmtree (other);
  }

  /* A file gone. */
  {
    g_autofree gchar *copy = package_copy ("tampered");
    g_autofree gchar *path = g_build_filename (copy, "track.gpx", NULL);

    g_assert_cmpint (g_remove (path), ==, 0);
    assert_verify_fails (copy, NULL, "track.gpx", "missing");
    dvr_test_rmtree (copy);
  }
}

/* ------------------------------------------------------------------ */
/* The drive */

static void
test_drive (void)
{
  g_auto (Run) run = { 0, };
  g_autofree gchar *copy = NULL;
  g_autofree gchar *catalog_copy = NULL;
  g_autofree gchar *expected = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) audit = NULL;
  g_autoptr (GPtrArray) segments = NULL;
  const DvrAuditEntry *removed;
  const DvrSegment *changed;
  sqlite3 *db = NULL;
  g_autofree gchar *sql = NULL;
  g_autofree gchar *changed_path = NULL;

  REQUIRE (fx.recorded, "the recording");
  run_tool (&run, "DVR_VERIFY", fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "PASS dvr-drive.ini\n");
  assert_contains (run.out, "PASS keys/signing.key\n");
  assert_contains (run.out, "PASS keys/signing.pub\n");
  assert_contains (run.out, "PASS catalog.sqlite3 (audit log)\n");
  assert_contains (run.out, fx.fingerprint);
  assert_lacks (run.out, "FAIL");

  catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
  g_assert_no_error (error);
  audit = dvr_catalog_list_audit (catalog, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, >=, 4);
  segments = dvr_catalog_list_segments (catalog, "rear", G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (segments->len, >, 2);
  for (guint i = 0; i < segments->len; i++) {
    g_autofree gchar *line = g_strdup_printf ("PASS %s\n",
        ((DvrSegment *) segments->pdata[i])->path);
    assert_contains (run.out, line);
  }

  /* On a copy: a middle row of the audit log removed (its guards dropped
   * first, as a forger must), a segment changed, a file put there. */
  copy = copy_tree (fx.storage, "drive-copy");
  catalog_copy = g_build_filename (copy, DVR_STORAGE_CATALOG_NAME, NULL);
  removed = g_ptr_array_index (audit, 1);
  g_assert_cmpint (sqlite3_open (catalog_copy, &db), ==, SQLITE_OK);
  sql = g_strdup_printf ("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = %"
      G_GINT64_FORMAT, removed->id);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  changed = g_ptr_array_index (segments, 1);
  changed_path = g_build_filename (copy, changed->path, NULL);
  flip_byte (changed_path, -10);
  {
    g_autofree gchar *day = g_path_get_dirname (changed_path);
    g_autofree gchar *name = g_build_filename (day, "rear-planted.mkv", NULL);
    g_file_set_contents (name, "x", 1, &error);
    g_assert_no_error (error);
  }

  expected = g_strdup_printf ("catalog.sqlite3 (audit row %" G_GINT64_FORMAT ")",
      removed->id + 1);
  assert_verify_fails (copy, NULL, expected, "prev_hash does not match");
  assert_verify_fails (copy, NULL, changed->path, "SHA-256 differs from the catalog");
  run_tool (&run, "DVR_VERIFY", copy, NULL);
  assert_contains (run.out, "WARN rear/");
  assert_contains (run.out, "rear-planted.mkv: not in the catalog");
  dvr_test_rmtree (copy);
}

/* ------------------------------------------------------------------ */
/* A span across two runs */

static void
test_span (void)
{
  g_auto (Run) run = { 0, };
  g_autoptr (JsonObject) manifest = NULL;
  g_autofree gchar *dir = g_build_filename (fx.folder, "span", NULL);
  g_autofree gchar *from = NULL;
  g_autofree gchar *to = NULL;
  JsonObject *front;
  JsonArray *gaps;
  JsonObject *gap;
  gint64 from_ns, to_ns;

  REQUIRE (fx.recorded, "the recording");
  from_ns = fx.run1_end_ns - 3 * SECOND;
  to_ns = fx.run2_start_ns + 3 * SECOND;
  from = dvr_utc_format_iso8601 (from_ns);
  to = dvr_utc_format_iso8601 (to_ns);
  run_tool (&run, "DVR_EXPORT", "--from", from, "--to", to, "--camera", "front", "-o", dir,
      fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  manifest = load_manifest (dir);
  g_assert_true (json_node_is_null (json_object_get_member (manifest, "event")));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (manifest, "cameras")),
      ==, 1);
  front = manifest_camera (manifest, "front");
  /* One gap: from the last frame of the first run to the first of the
   * second. */
  gaps = json_object_get_array_member (front, "gaps");
  g_assert_cmpuint (json_array_get_length (gaps), ==, 1);
  gap = json_array_get_object_element (gaps, 0);
  g_assert_cmpstr (json_object_get_string_member (gap, "kind"), ==, "gap");
  /* A live frame's end (its PTS plus a frame) lies ahead of the moment it
   * is made: a stop just after the last frame leaves that end up to a frame
   * past the time the test read after dvrd exited (seen: 0.7 ms). */
  g_assert_cmpint (time_member (gap, "from"), <, fx.run1_end_ns + SECOND / FPS);
  g_assert_cmpint (time_member (gap, "from"), >, fx.run1_end_ns - 3 * SECOND);
  g_assert_cmpint (time_member (gap, "to"), >, fx.run2_start_ns);
  g_assert_cmpint (time_member (gap, "to"), <, fx.run2_start_ns + 3 * SECOND);
  /* Its segments come from two runs. */
  {
    JsonArray *sources = json_object_get_array_member (front, "sources");
    gint64 first_run = json_object_get_int_member (json_array_get_object_element (sources, 0),
        "run");
    gint64 last_run = json_object_get_int_member (json_array_get_object_element (sources,
        json_array_get_length (sources) - 1), "run");
    g_assert_cmpint (last_run, ==, first_run + 1);
  }
  /* One file, its times and UTC agreeing across the gap. */
  assert_camera_file (dir, front, from_ns, to_ns);

  run_tool (&run, "DVR_VERIFY", dir, NULL);
  g_assert_cmpint (run.status, ==, 0);
}

/* ------------------------------------------------------------------ */
/* A read-only drive */

static void
test_read_only (void)
{
  g_auto (Run) run = { 0, };
  g_autofree gchar *copy = NULL;
  g_autofree gchar *mount_point = NULL;
  g_autofree gchar *dir = g_build_filename (fx.folder, "from-read-only", NULL);
  g_autofree gchar *before = NULL;
  g_autofree gchar *after = NULL;
  g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, fx.event_id);
  g_autofree gchar *wal = NULL;
  g_autofree gchar *shm = NULL;
  const gchar *root;
  gboolean mounted = FALSE;

  REQUIRE (fx.recorded, "the recording");
  copy = copy_tree (fx.storage, "drive-ro");
  wal = g_build_filename (copy, "catalog.sqlite3-wal", NULL);
  shm = g_build_filename (copy, "catalog.sqlite3-shm", NULL);
  /* As a drive after a clean stop: readers of the writable drive (the
   * tests, the tools) left an empty -wal and a -shm. */
  {
    GStatBuf st;
    g_assert_true (g_stat (wal, &st) != 0 || st.st_size == 0);
  }
  g_remove (wal);
  g_remove (shm);
  before = tree_digest (copy);
  root = copy;
  /* As root, permissions stop nothing: a read-only bind mount does. */
  if (geteuid () == 0) {
    mount_point = g_build_filename (fx.folder, "drive-ro-mount", NULL);
    g_assert_cmpint (g_mkdir (mount_point, 0700), ==, 0);
    if (mount (copy, mount_point, NULL, MS_BIND, NULL) == 0) {
      if (mount (NULL, mount_point, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) == 0) {
        mounted = TRUE;
        root = mount_point;
      } else {
        umount (mount_point);
      }
    }
  }
  if (!mounted) {
    const gchar *argv[] = { "chmod", "-R", "a-w", copy, NULL };
    g_auto (Run) chmod_run = { 0, };
    chmod_run.status = dvr_test_run (argv, &chmod_run.out, &chmod_run.err);
    g_assert_cmpint (chmod_run.status, ==, 0);
    if (geteuid () == 0)
      g_test_message ("root without a read-only bind mount: the copy is only chmod a-w");
  }

  run_tool (&run, "DVR_EXPORT", "--event", id, "-o", dir, root, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_tool (&run, "DVR_VERIFY", dir, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_tool (&run, "DVR_VERIFY", root, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_tool (&run, "DVR_LIST", "--events", root, NULL);
  g_assert_cmpint (run.status, ==, 0);

  if (mounted)
    g_assert_cmpint (umount (mount_point), ==, 0);
  /* Nothing of the drive changed, nothing was added. */
  after = tree_digest (copy);
  g_assert_cmpstr (after, ==, before);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (shm, G_FILE_TEST_EXISTS));
  {
    const gchar *argv[] = { "chmod", "-R", "u+w", copy, NULL };
    g_auto (Run) chmod_run = { 0, };
    chmod_run.status = dvr_test_run (argv, &chmod_run.out, &chmod_run.err);
  }
  dvr_test_rmtree (copy);
}

/* ------------------------------------------------------------------ */
/* --mark-exported */

static void
test_mark (void)
{
  g_auto (Run) run = { 0, };
  g_autoptr (JsonNode) json = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrCatalog) catalog = NULL;
  g_autoptr (GPtrArray) reclaimable = NULL;
  g_autoptr (GPtrArray) evidence = NULL;
  g_autoptr (GPtrArray) exports = NULL;
  JsonObject *event;

  REQUIRE (fx.package != NULL, "the event's export");
  g_setenv ("TZ", "EST5", TRUE);
  run_tool (&run, "DVR_LIST", "--events", fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "Unit " UNIT ", drive ");
  assert_contains (run.out, "exported     no\n");
  assert_contains (run.out, "-05:00)");
  assert_contains (run.out, "GPS at start 52.1");

  /* A tampered package is refused, naming why; nothing is recorded. */
  {
    g_autofree gchar *copy = package_copy ("tampered");
    g_autofree gchar *path = g_build_filename (copy, "rear.mkv", NULL);
    flip_byte (path, 5000);
    run_tool (&run, "DVR_EXPORT", "--mark-exported", copy, fx.storage, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_contains (run.err, "FAIL rear.mkv: SHA-256 differs from the manifest");
    assert_contains (run.err, "not recorded");
    dvr_test_rmtree (copy);
  }
  run_tool (&run, "DVR_LIST", "--events", fx.storage, NULL);
  assert_contains (run.out, "exported     no\n");

  run_tool (&run, "DVR_EXPORT", "--mark-exported", fx.package, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "export 1 of event");
  /* Twice: recorded once. */
  run_tool (&run, "DVR_EXPORT", "--mark-exported", fx.package, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "already recorded as export 1");

  run_tool (&run, "DVR_LIST", "--events", fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "exported     yes, ");
  assert_contains (run.out, fx.package);
  run_tool (&run, "DVR_LIST", "--events", "--json", fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  json = json_from_string (run.out, &error);
  g_assert_no_error (error);
  event = json_array_get_object_element (json_object_get_array_member (
      json_node_get_object (json), "events"), 0);
  g_assert_true (json_object_get_boolean_member (event, "exported"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (event, "exports")), ==,
      1);
  g_assert_nonnull (strstr (json_object_get_string_member (event, "start_local"), "-05:00"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (json), "unit_id"), ==,
      UNIT);
  g_assert_false (json_node_is_null (json_object_get_member (event, "gps_end")));
  g_unsetenv ("TZ");

  run_tool (&run, "DVR_LIST", "--verify-audit", fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "audit log intact");
  run_tool (&run, "DVR_VERIFY", fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 0);
  assert_contains (run.out, "PASS catalog.sqlite3 (export 1)\n");

  /* The whole event is on an export: its segments may go. */
  catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
  g_assert_no_error (error);
  exports = dvr_catalog_list_exports (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (exports->len, ==, 1);
  g_assert_cmpint (((DvrExport *) exports->pdata[0])->event_id, ==, fx.event_id);
  g_assert_cmpstr (((DvrExport *) exports->pdata[0])->key_fingerprint, ==, fx.fingerprint);
  evidence = dvr_catalog_list_event_segments (catalog, fx.event_id, &error);
  g_assert_no_error (error);
  reclaimable = dvr_catalog_list_reclaimable_segments (catalog, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reclaimable->len, ==, evidence->len);
}

/* ------------------------------------------------------------------ */
/* Bad input */

static void
test_errors (void)
{
  g_auto (Run) run = { 0, };
  g_autofree gchar *dir = g_build_filename (fx.folder, "errors", NULL);
  g_autofree gchar *kept = g_build_filename (dir, "keep.txt", NULL);
  g_autofree gchar *empty = g_build_filename (fx.folder, "not-a-drive", NULL);
  g_autofree gchar *id = g_strdup_printf ("%" G_GINT64_FORMAT, fx.event_id);
  g_autofree gchar *copy = NULL;
  g_autoptr (GError) error = NULL;

  REQUIRE (fx.recorded, "the recording");
  run_tool (&run, "DVR_EXPORT", "--event", "999", "-o", dir, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_contains (run.err, "--event 999");
  assert_contains (run.err, "no event 999");
  assert_contains (run.err, fx.storage);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_file_set_contents (kept, "mine\n", -1, &error);
  g_assert_no_error (error);
  run_tool (&run, "DVR_EXPORT", "--event", id, "-o", dir, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_contains (run.err, dir);
  assert_contains (run.err, "not empty");
  g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
  dvr_test_rmtree (dir);

  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  run_tool (&run, "DVR_EXPORT", "--event", id, "-o", dir, empty, NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_contains (run.err, empty);
  assert_contains (run.err, "no catalog");
  run_tool (&run, "DVR_VERIFY", empty, NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_contains (run.err, "neither an export");

  run_tool (&run, "DVR_EXPORT", "--event", id, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 2);
  assert_contains (run.err, "-o DIR");
  run_tool (&run, "DVR_EXPORT", "--from", "2026-11-28T22:00:00Z", "-o", dir, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 2);
  run_tool (&run, "DVR_EXPORT", "--from", "yesterday", "--to", "2026-11-28T22:00:00Z", "-o",
      dir, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 2);
  assert_contains (run.err, "--from: \"yesterday\"");
  run_tool (&run, "DVR_EXPORT", "--event", id, "--camera", "side", "-o", dir, fx.storage, NULL);
  g_assert_cmpint (run.status, ==, 1);
  assert_contains (run.err, "--camera side");
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  /* A recording changed since it was catalogued: not exported, and the
   * package folder is gone again. */
  copy = copy_tree (fx.storage, "drive-changed");
  {
    g_autoptr (DvrCatalog) catalog = dvr_catalog_open (fx.catalog_path, TRUE, &error);
    g_autoptr (GPtrArray) evidence = dvr_catalog_list_event_segments (catalog, fx.event_id,
        &error);
    const DvrSegment *segment;
    g_autofree gchar *path = NULL;

    g_assert_no_error (error);
    segment = g_ptr_array_index (evidence, evidence->len - 1);
    path = g_build_filename (copy, segment->path, NULL);
    flip_byte (path, 1000);
    run_tool (&run, "DVR_EXPORT", "--event", id, "-o", dir, copy, NULL);
    g_assert_cmpint (run.status, ==, 1);
    assert_contains (run.err, segment->path);
    assert_contains (run.err, "differs from the catalog");
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  }
  dvr_test_rmtree (copy);
}

int
main (int argc, char **argv)
{
  gint ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (dvr_test_under_wrapper ()) {
    /* As event-record-test: an event's window is wall-clock time, and
     * under valgrind the cameras' frames fall ever further behind it. */
    g_print ("1..0 # SKIP dvrd under a wrapper (DVRD_WRAPPER) records slower than real "
        "time: its frames never reach the wall-clock event window to export\n");
    return DVR_TEST_SKIP;
  }
  g_test_add_func ("/export/record", test_record);
  g_test_add_func ("/export/event", test_event);
  g_test_add_func ("/export/small-queue", test_small_queue);
  g_test_add_func ("/export/verify", test_verify);
  g_test_add_func ("/export/tamper", test_tamper);
  g_test_add_func ("/export/drive", test_drive);
  g_test_add_func ("/export/span", test_span);
  g_test_add_func ("/export/read-only", test_read_only);
  g_test_add_func ("/export/mark", test_mark);
  g_test_add_func ("/export/errors", test_errors);
  ret = g_test_run ();

  g_clear_pointer (&fx.daemon, dvr_test_daemon_free);
  if (fx.folder != NULL) {
    if (ret == 0 && g_getenv ("DVR_TEST_KEEP") == NULL)
      dvr_test_rmtree (fx.folder);
    else
      g_printerr ("test files kept in %s\n", fx.folder);
  }
  g_free (fx.folder);
  g_free (fx.storage);
  g_free (fx.catalog_path);
  g_free (fx.package);
  g_free (fx.fingerprint);
  return ret;
}
