/* evidence-test: events, evidence links, garbage and the audit chain in a
 * real SQLite file (catalog schema 3, docs/events.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-catalog.h"
#include "dvr-retention.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#define S G_GINT64_CONSTANT (1000000000)
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct {
  gchar *dir;
  gchar *path;
  DvrCatalog *catalog;
  guint seq;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("evidence-test-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "catalog.sqlite3", NULL);
  f->catalog = dvr_catalog_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dvr_catalog_begin_run (f->catalog, 0, 0, DVR_CLOCK_SOURCE_RTC, &error), ==, 1);
  g_assert_true (dvr_catalog_ensure_camera (f->catalog, "front", "test", &error));
  g_assert_true (dvr_catalog_ensure_camera (f->catalog, "rear", "test", &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) dir = NULL;
  const gchar *name;

  g_clear_pointer (&f->catalog, dvr_catalog_free);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
    g_assert_cmpint (g_remove (path), ==, 0);
  }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->path);
  g_free (f->dir);
}

/* A segment of @camera over [start, end) seconds; returns its id. */
static gint64
add_segment (Fixture *f, const gchar *camera, gint64 start_s, gint64 end_s)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrSegment) segment = dvr_segment_new ();

  segment->camera = g_strdup (camera);
  segment->run_id = 1;
  segment->seq = f->seq++;
  segment->path = g_strdup_printf ("%s/seg-%03u.mkv", camera, segment->seq);
  segment->start_utc_ns = start_s * S;
  segment->end_utc_ns = end_s * S;
  segment->frames = 30;
  segment->bytes = 1000;
  segment->sha256 = g_strdup (SHA);
  segment->codec = g_strdup ("h264");
  g_assert_true (dvr_catalog_add_segment (f->catalog, segment, &error));
  g_assert_no_error (error);
  return segment->id;
}

/* The start times (s) of @event_id's evidence on @camera, "10,11,12". */
static gchar *
evidence_starts (Fixture *f, gint64 event_id, const gchar *camera)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments = dvr_catalog_list_event_segments (f->catalog, event_id, &error);
  g_autoptr (GString) text = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < segments->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (segments, i);
    if (g_strcmp0 (segment->camera, camera) != 0)
      continue;
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, text->len > 0 ? "," : "",
        segment->start_utc_ns / S);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The start times (s) of the ring, oldest first, "0,1,2". */
static gchar *
ring_starts (Fixture *f, const gchar *camera)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ring = dvr_catalog_list_ring_segments (f->catalog, 1000, &error);
  g_autoptr (GString) text = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < ring->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (ring, i);
    if (g_strcmp0 (segment->camera, camera) != 0)
      continue;
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, text->len > 0 ? "," : "",
        segment->start_utc_ns / S);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static DvrEvent *
running_event (gint64 start_s, const gchar *reason)
{
  DvrEvent *event = dvr_event_new ();

  event->run_id = 1;
  event->kind = DVR_EVENT_KIND_TRIGGER;
  event->start_utc_ns = start_s * S;
  event->reason = g_strdup (reason);
  g_ptr_array_add (event->triggers,
      dvr_event_trigger_new (start_s * S, "record-while-active", reason, NULL));
  return event;
}

static void
assert_audit_intact (Fixture *f, guint64 min_rows)
{
  g_autoptr (GError) error = NULL;
  guint64 rows = 0;
  gint64 bad = -1;

  g_assert_true (dvr_catalog_verify_audit (f->catalog, &rows, &bad, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bad, ==, 0);
  g_assert_cmpuint (rows, >=, min_rows);
}

/* Segments before the window stay ring; those overlapping the window are
 * linked, whether catalogued before the event started (pre-event) or after
 * (still open window); each camera has its own window. */
static void
test_link_windows (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = running_event (20, "signal lightbar");
  g_autoptr (DvrEvent) read = NULL;
  g_autoptr (GPtrArray) windows = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);
  g_autofree gchar *front = NULL;
  g_autofree gchar *rear = NULL;
  g_autofree gchar *ring = NULL;

  for (gint64 t = 0; t < 20; t += 2) {
    add_segment (f, "front", t, t + 2);
    add_segment (f, "rear", t, t + 2);
  }
  /* front: pre-event 5 s -> from 15; rear: pre-event 0 -> from 20. */
  g_ptr_array_add (event->windows, dvr_event_window_new ("front", 15 * S, -1));
  g_ptr_array_add (event->windows, dvr_event_window_new ("rear", 20 * S, -1));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_assert_no_error (error);
  g_assert_cmpint (event->id, >, 0);

  front = evidence_starts (f, event->id, "front");
  g_assert_cmpstr (front, ==, "14,16,18");
  rear = evidence_starts (f, event->id, "rear");
  g_assert_cmpstr (rear, ==, "");

  /* Segments closing while the event runs: linked as they are added. */
  add_segment (f, "front", 20, 22);
  add_segment (f, "rear", 20, 22);
  add_segment (f, "front", 22, 24);
  g_clear_pointer (&front, g_free);
  front = evidence_starts (f, event->id, "front");
  g_assert_cmpstr (front, ==, "14,16,18,20,22");
  g_clear_pointer (&rear, g_free);
  rear = evidence_starts (f, event->id, "rear");
  g_assert_cmpstr (rear, ==, "20");

  /* Ends at 23: front post-event 2 -> to 25, rear post-event 0 -> to 23. */
  g_ptr_array_add (windows, dvr_event_window_new ("front", 0, 25 * S));
  g_ptr_array_add (windows, dvr_event_window_new ("rear", 0, 23 * S));
  g_assert_true (dvr_catalog_end_event (f->catalog, event->id, 23 * S, windows, "signal off",
      &error));
  g_assert_no_error (error);
  add_segment (f, "front", 24, 26);  /* overlaps 25: evidence */
  add_segment (f, "front", 26, 28);  /* after: ring */
  add_segment (f, "rear", 22, 24);   /* overlaps 23: evidence */
  add_segment (f, "rear", 24, 26);   /* after: ring */
  g_clear_pointer (&front, g_free);
  front = evidence_starts (f, event->id, "front");
  g_assert_cmpstr (front, ==, "14,16,18,20,22,24");
  g_clear_pointer (&rear, g_free);
  rear = evidence_starts (f, event->id, "rear");
  g_assert_cmpstr (rear, ==, "20,22");

  ring = ring_starts (f, "front");
  g_assert_cmpstr (ring, ==, "0,2,4,6,8,10,12,26");

  read = dvr_catalog_get_event (f->catalog, event->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->start_utc_ns, ==, 20 * S);
  g_assert_cmpint (read->end_utc_ns, ==, 23 * S);
  g_assert_cmpstr (read->stop_reason, ==, "signal off");
  g_assert_cmpstr (read->reason, ==, "signal lightbar");
  g_assert_cmpint (read->kind, ==, DVR_EVENT_KIND_TRIGGER);
  g_assert_cmpuint (read->windows->len, ==, 2);
  g_assert_cmpstr (((DvrEventWindow *) read->windows->pdata[0])->camera, ==, "front");
  g_assert_cmpint (((DvrEventWindow *) read->windows->pdata[0])->from_utc_ns, ==, 15 * S);
  g_assert_cmpint (((DvrEventWindow *) read->windows->pdata[0])->to_utc_ns, ==, 25 * S);
  g_assert_cmpuint (((DvrEventWindow *) read->windows->pdata[0])->n_segments, ==, 6);
  g_assert_cmpuint (((DvrEventWindow *) read->windows->pdata[0])->bytes, ==, 6000);
  g_assert_cmpuint (((DvrEventWindow *) read->windows->pdata[1])->n_segments, ==, 2);
  g_assert_cmpuint (read->triggers->len, ==, 1);
  assert_audit_intact (f, 2);
}

/* A trigger in the post-event time reopens the windows; segments
 * catalogued while it was ended are linked then. */
static void
test_resume (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = running_event (10, "signal siren");
  g_autoptr (DvrEvent) read = NULL;
  g_autoptr (DvrEventTrigger) trigger = dvr_event_trigger_new (14 * S, "start-event",
      "signal siren", NULL);
  g_autoptr (GPtrArray) windows = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);
  g_autoptr (GPtrArray) running = NULL;
  g_autofree gchar *front = NULL;

  g_ptr_array_add (event->windows, dvr_event_window_new ("front", 8 * S, -1));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_ptr_array_add (windows, dvr_event_window_new ("front", 0, 12 * S));
  g_assert_true (dvr_catalog_end_event (f->catalog, event->id, 11 * S, windows, "stopped", &error));
  g_assert_no_error (error);
  add_segment (f, "front", 12, 14);   /* after the window: ring for now */
  g_assert_true (dvr_catalog_resume_event (f->catalog, event->id, &error));
  g_assert_true (dvr_catalog_add_event_trigger (f->catalog, event->id, trigger, &error));
  g_assert_no_error (error);
  add_segment (f, "front", 14, 16);
  front = evidence_starts (f, event->id, "front");
  g_assert_cmpstr (front, ==, "12,14");

  read = dvr_catalog_get_event (f->catalog, event->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->end_utc_ns, ==, -1);
  g_assert_null (read->stop_reason);
  g_assert_cmpint (((DvrEventWindow *) read->windows->pdata[0])->to_utc_ns, ==, -1);
  g_assert_cmpuint (read->triggers->len, ==, 2);
  g_assert_cmpstr (((DvrEventTrigger *) read->triggers->pdata[1])->action, ==, "start-event");
  running = dvr_catalog_list_running_events (f->catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (running->len, ==, 1);
  assert_audit_intact (f, 4);
}

/* Record-after-the-fact: a closed window links what is left of the span;
 * one segment may be evidence of two events. */
static void
test_after_the_fact (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = dvr_event_new ();
  g_autoptr (DvrEvent) second = dvr_event_new ();
  g_autoptr (GPtrArray) listed = NULL;
  g_autofree gchar *front = NULL;
  g_autofree gchar *rear = NULL;

  for (gint64 t = 0; t < 10; t++) {
    add_segment (f, "front", t, t + 1);
    add_segment (f, "rear", t, t + 1);
  }
  event->kind = DVR_EVENT_KIND_AFTER_THE_FACT;
  event->start_utc_ns = 3 * S + S / 2;
  event->end_utc_ns = 6 * S;
  event->reason = g_strdup ("complaint 17");
  event->stop_reason = g_strdup ("after the fact");
  g_ptr_array_add (event->windows, dvr_event_window_new ("front", event->start_utc_ns, 6 * S));
  g_ptr_array_add (event->windows, dvr_event_window_new ("rear", event->start_utc_ns, 6 * S));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_assert_no_error (error);
  front = evidence_starts (f, event->id, "front");
  rear = evidence_starts (f, event->id, "rear");
  g_assert_cmpstr (front, ==, "3,4,5");
  g_assert_cmpstr (rear, ==, "3,4,5");

  second->kind = DVR_EVENT_KIND_MANUAL;
  second->start_utc_ns = 5 * S;
  second->end_utc_ns = 7 * S;
  second->reason = g_strdup ("dvrctl");
  second->stop_reason = g_strdup ("stopped");
  g_ptr_array_add (second->windows, dvr_event_window_new ("front", 5 * S, 7 * S));
  g_assert_true (dvr_catalog_add_event (f->catalog, second, &error));
  g_assert_no_error (error);
  g_clear_pointer (&front, g_free);
  front = evidence_starts (f, second->id, "front");
  g_assert_cmpstr (front, ==, "5,6");

  /* An unknown camera in a window: nothing of the event is kept. */
  {
    g_autoptr (DvrEvent) bad = dvr_event_new ();
    g_autoptr (GPtrArray) all = NULL;
    bad->kind = DVR_EVENT_KIND_MANUAL;
    bad->start_utc_ns = 0;
    bad->reason = g_strdup ("dvrctl");
    g_ptr_array_add (bad->windows, dvr_event_window_new ("nosuch", 0, -1));
    g_assert_false (dvr_catalog_add_event (f->catalog, bad, &error));
    g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "nosuch"));
    g_clear_error (&error);
    all = dvr_catalog_list_events (f->catalog, G_MININT64, G_MAXINT64, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (all->len, ==, 2);
  }

  listed = dvr_catalog_list_events (f->catalog, 6 * S + S / 2, 10 * S, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 1);
  g_assert_cmpint (((DvrEvent *) listed->pdata[0])->id, ==, second->id);
  g_clear_pointer (&listed, g_ptr_array_unref);
  listed = dvr_catalog_list_events (f->catalog, 0, 10 * S, &error);
  g_assert_cmpuint (listed->len, ==, 2);
  g_assert_cmpint (((DvrEvent *) listed->pdata[0])->kind, ==, DVR_EVENT_KIND_AFTER_THE_FACT);
}

/* Rotation: only ring segments become garbage, each with an audit row; an
 * evidence segment's row cannot be deleted even by hand. */
static void
test_garbage (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = dvr_event_new ();
  g_autoptr (GPtrArray) ring = NULL;
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GPtrArray) garbage = NULL;
  g_autoptr (GPtrArray) audit = NULL;
  g_autofree gchar *left = NULL;
  DvrCatalogUsage usage;
  gint64 ids[6];
  gint64 all_ids[7];
  sqlite3 *db = NULL;

  for (guint i = 0; i < 6; i++)
    ids[i] = add_segment (f, "front", i, i + 1);
  event->kind = DVR_EVENT_KIND_MANUAL;
  event->start_utc_ns = 1 * S;
  event->end_utc_ns = 2 * S;
  event->reason = g_strdup ("dvrctl");
  event->stop_reason = g_strdup ("stopped");
  g_ptr_array_add (event->windows, dvr_event_window_new ("front", S + S / 2, 2 * S));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_assert_no_error (error);

  g_assert_true (dvr_catalog_get_usage (f->catalog, &usage, &error));
  g_assert_cmpuint (usage.ring_segments, ==, 5);
  g_assert_cmpuint (usage.ring_bytes, ==, 5000);
  g_assert_cmpuint (usage.evidence_segments, ==, 1);
  g_assert_cmpuint (usage.evidence_bytes, ==, 1000);

  ring = dvr_catalog_list_ring_segments (f->catalog, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ring->len, ==, 3);
  g_assert_cmpint (((DvrSegment *) ring->pdata[0])->id, ==, ids[0]);
  g_assert_cmpint (((DvrSegment *) ring->pdata[1])->id, ==, ids[2]);

  /* Asked to delete everything (and an id that does not exist): the
   * evidence segment and the unknown id are skipped. */
  memcpy (all_ids, ids, sizeof ids);
  all_ids[6] = 9999;
  paths = dvr_catalog_collect_garbage (f->catalog, all_ids, G_N_ELEMENTS (all_ids), "rotation",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 5);
  g_assert_cmpstr (paths->pdata[0], ==, "front/seg-000.mkv");
  g_assert_cmpstr (paths->pdata[1], ==, "front/seg-002.mkv");
  left = ring_starts (f, "front");
  g_assert_cmpstr (left, ==, "");
  g_assert_true (dvr_catalog_get_usage (f->catalog, &usage, &error));
  g_assert_cmpuint (usage.ring_segments, ==, 0);
  g_assert_cmpuint (usage.evidence_segments, ==, 1);
  g_assert_cmpuint (usage.garbage, ==, 5);

  garbage = dvr_catalog_list_garbage (f->catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (garbage->len, ==, 5);
  for (guint i = 0; i < garbage->len; i++)
    g_assert_true (dvr_catalog_drop_garbage (f->catalog, garbage->pdata[i], &error));
  g_assert_true (dvr_catalog_get_usage (f->catalog, &usage, &error));
  g_assert_cmpuint (usage.garbage, ==, 0);

  /* Each deletion is in the audit log with what was deleted. */
  audit = dvr_catalog_list_audit (f->catalog, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 6);
  g_assert_cmpstr (((DvrAuditEntry *) audit->pdata[0])->action, ==, "event-start");
  for (guint i = 1; i < 6; i++) {
    const DvrAuditEntry *entry = g_ptr_array_index (audit, i);
    g_autoptr (JsonNode) node = json_from_string (entry->detail, &error);
    JsonObject *detail;
    g_assert_no_error (error);
    detail = json_node_get_object (node);
    g_assert_cmpstr (entry->action, ==, "delete");
    g_assert_cmpstr (json_object_get_string_member (detail, "reason"), ==, "rotation");
    g_assert_cmpstr (json_object_get_string_member (detail, "sha256"), ==, SHA);
    g_assert_cmpint (json_object_get_int_member (detail, "bytes"), ==, 1000);
    g_assert_cmpstr (json_object_get_string_member (detail, "camera"), ==, "front");
  }
  assert_audit_intact (f, 6);

  /* By hand, with foreign keys on as every connection of ours has them. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM segments", NULL, NULL, NULL), ==,
      SQLITE_CONSTRAINT);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM audit WHERE id = 2", NULL, NULL, NULL), ==,
      SQLITE_CONSTRAINT);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE audit SET detail = '{}'", NULL, NULL, NULL), ==,
      SQLITE_CONSTRAINT);
  sqlite3_close (db);
}

/* Pre-event longer than the ring holds: the event takes everything the
 * ring still has, back to its oldest segment, and rotation then has nothing
 * of it to delete; what is recorded after the window goes back to being
 * ring, the first thing a sweep takes. */
static void
test_pre_event_longer_than_ring (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = running_event (3600, "signal lightbar");
  g_autoptr (GPtrArray) ring = NULL;
  g_autoptr (GPtrArray) windows = g_ptr_array_new_with_free_func ((GDestroyNotify) dvr_event_window_free);
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (DvrRetention) retention = NULL;
  g_autofree gchar *front = NULL;
  g_autofree gchar *left = NULL;
  DvrRetentionPolicy policy = { .min_free_bytes = 100000, .max_sweep_fraction = 0.5 };
  guint64 sizes[16];
  gint64 ids[16];
  guint n;

  /* The ring holds 3590..3600 only: older ones were rotated away. */
  for (gint64 t = 3590; t < 3600; t += 2)
    add_segment (f, "front", t, t + 2);
  /* Pre-event one hour. */
  g_ptr_array_add (event->windows, dvr_event_window_new ("front", 0, -1));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_assert_no_error (error);
  front = evidence_starts (f, event->id, "front");
  g_assert_cmpstr (front, ==, "3590,3592,3594,3596,3598");

  ring = dvr_catalog_list_ring_segments (f->catalog, 16, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ring->len, ==, 0);

  /* The drive is under its watermark: nothing to take, the alarm says so. */
  retention = dvr_retention_new (&policy);
  dvr_retention_observe (retention, 0, 1000000, 50000);
  g_assert_true (dvr_retention_needs_sweep (retention));
  g_assert_cmpuint (dvr_retention_plan (retention, NULL, 0, NULL), ==, 0);
  g_assert_cmpint (dvr_retention_get_alarm (retention), ==, DVR_RETENTION_ALARM_EVIDENCE_FULL);

  /* The event ends at 3601 with no post-event; later segments are ring. */
  g_ptr_array_add (windows, dvr_event_window_new ("front", 0, 3601 * S));
  g_assert_true (dvr_catalog_end_event (f->catalog, event->id, 3601 * S, windows, "stopped",
      &error));
  g_assert_no_error (error);
  for (gint64 t = 3600; t < 3606; t += 2)
    add_segment (f, "front", t, t + 2);
  g_clear_pointer (&ring, g_ptr_array_unref);
  ring = dvr_catalog_list_ring_segments (f->catalog, 16, &error);
  g_assert_cmpuint (ring->len, ==, 2);
  for (guint i = 0; i < ring->len; i++) {
    sizes[i] = ((DvrSegment *) ring->pdata[i])->bytes;
    ids[i] = ((DvrSegment *) ring->pdata[i])->id;
  }
  n = dvr_retention_plan (retention, sizes, ring->len, NULL);
  g_assert_cmpuint (n, ==, 2);
  paths = dvr_catalog_collect_garbage (f->catalog, ids, n, "rotation", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 2);
  left = ring_starts (f, "front");
  g_assert_cmpstr (left, ==, "");
  g_clear_pointer (&front, g_free);
  front = evidence_starts (f, event->id, "front");
  g_assert_cmpstr (front, ==, "3590,3592,3594,3596,3598,3600");
  assert_audit_intact (f, 4);
}

static void
test_event_info (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = running_event (1, "dvrctl");
  g_autoptr (DvrEvent) read = NULL;
  g_autoptr (GPtrArray) audit = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *detail;

  g_ptr_array_add (event->windows, dvr_event_window_new ("front", 0, -1));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_assert_true (dvr_catalog_set_event_info (f->catalog, event->id, "pursuit", "2026-00417",
      NULL, &error));
  g_assert_no_error (error);
  g_assert_true (dvr_catalog_set_event_info (f->catalog, event->id, NULL, "", "driver fled",
      &error));
  g_assert_no_error (error);
  read = dvr_catalog_get_event (f->catalog, event->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (read->category, ==, "pursuit");
  g_assert_null (read->case_number);
  g_assert_cmpstr (read->notes, ==, "driver fled");

  audit = dvr_catalog_list_audit (f->catalog, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 2);
  node = json_from_string (((DvrAuditEntry *) audit->pdata[1])->detail, &error);
  g_assert_no_error (error);
  detail = json_node_get_object (node);
  g_assert_cmpstr (((DvrAuditEntry *) audit->pdata[1])->action, ==, "event-update");
  g_assert_cmpstr (json_object_get_string_member (
      json_object_get_object_member (detail, "case_number"), "old"), ==, "2026-00417");
  g_assert_true (json_object_get_null_member (
      json_object_get_object_member (detail, "case_number"), "new"));
  g_assert_false (json_object_has_member (detail, "category"));

  g_assert_false (dvr_catalog_set_event_info (f->catalog, 4242, "x", NULL, NULL, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "4242"));
  g_clear_error (&error);
  g_clear_pointer (&read, dvr_event_free);
  read = dvr_catalog_get_event (f->catalog, 4242, &error);
  g_assert_null (read);
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
}

/* Tampering with the log (after dropping its guards, as a deliberate
 * forger would) is found and the first broken row named. */
static void
tamper_and_verify (Fixture *f, const gchar *sql, gint64 expected_bad, const gchar *expected_text)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  guint64 rows = 0;
  gint64 bad = 0;

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
      "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;",
      NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_false (dvr_catalog_verify_audit (f->catalog, &rows, &bad, &error));
  g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_AUDIT_BROKEN);
  g_assert_cmpint (bad, ==, expected_bad);
  g_test_message ("%s -> %s", sql, error->message);
  g_assert_nonnull (strstr (error->message, expected_text));
}

static void
fill_audit (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 1; i <= 6; i++) {
    g_autofree gchar *detail = g_strdup_printf ("{\"n\":%u}", i);
    g_assert_true (dvr_catalog_audit (f->catalog, i * S, "startup", detail, &error));
    g_assert_no_error (error);
  }
  assert_audit_intact (f, 6);
}

static void
test_audit_changed (Fixture *f, gconstpointer data)
{
  g_autofree gchar *head = NULL;

  fill_audit (f);
  head = dvr_catalog_get_audit_head (f->catalog, NULL);
  g_assert_cmpuint (strlen (head), ==, 64);
  {
    g_autoptr (DvrAuditEntry) last = dvr_catalog_get_last_audit (f->catalog, "startup", NULL);
    g_assert_nonnull (last);
    g_assert_cmpint (last->id, ==, 6);
    g_assert_cmpstr (last->hash, ==, head);
    g_assert_cmpstr (last->detail, ==, "{\"n\":6}");
    g_assert_null (dvr_catalog_get_last_audit (f->catalog, "config", NULL));
  }
  tamper_and_verify (f, "UPDATE audit SET detail = '{\"n\":33}' WHERE id = 3", 3,
      "audit row 3 (startup): its contents do not match its hash");
}

static void
test_audit_removed (Fixture *f, gconstpointer data)
{
  fill_audit (f);
  tamper_and_verify (f, "DELETE FROM audit WHERE id = 4", 5,
      "audit row 5 (startup): prev_hash does not match the hash of row 3 before it");
}

static void
test_audit_removed_first (Fixture *f, gconstpointer data)
{
  fill_audit (f);
  tamper_and_verify (f, "DELETE FROM audit WHERE id = 1", 2, "start of the chain");
}

/* Rewriting a row with a correct hash of its own still breaks the link to
 * the next row. */
static void
test_audit_rehashed (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) audit = NULL;
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree gchar *sql = NULL;

  fill_audit (f);
  audit = dvr_catalog_list_audit (f->catalog, 0, 0, NULL);
  g_checksum_update (checksum, (const guchar *) "forged", -1);
  sql = g_strdup_printf ("UPDATE audit SET detail = '{}', hash = '%s' WHERE id = 2",
      g_checksum_get_string (checksum));
  tamper_and_verify (f, sql, 2, "its contents do not match its hash");
}

/* ---- exports and reclaiming exported evidence (schema 4) ---- */

/* An ended event of kind MANUAL with the given windows (camera, from s, to s;
 * NULL-terminated by camera) and its end at the latest window end. */
static gint64
add_ended_event (Fixture *f, const gchar *reason, const gchar *camera1, gint64 from1,
                 gint64 to1, const gchar *camera2, gint64 from2, gint64 to2)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) event = dvr_event_new ();

  event->run_id = 1;
  event->kind = DVR_EVENT_KIND_MANUAL;
  event->start_utc_ns = MIN (from1, camera2 != NULL ? from2 : from1) * S;
  event->end_utc_ns = MAX (to1, camera2 != NULL ? to2 : to1) * S;
  event->reason = g_strdup (reason);
  event->stop_reason = g_strdup ("stopped");
  g_ptr_array_add (event->windows, dvr_event_window_new (camera1, from1 * S, to1 * S));
  if (camera2 != NULL)
    g_ptr_array_add (event->windows, dvr_event_window_new (camera2, from2 * S, to2 * S));
  g_assert_true (dvr_catalog_add_event (f->catalog, event, &error));
  g_assert_no_error (error);
  return event->id;
}

/* An export of @event_id (0: a span) holding @event_id's evidence on the
 * cameras of @spans ("front:4:10,rear:4:10", seconds) that overlaps those
 * spans; recorded with dvr_catalog_mark_exported(). */
static DvrExport *
export_new (Fixture *f, gint64 event_id, const gchar *spans, const gchar *manifest)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) parts = g_strsplit (spans, ",", -1);
  DvrExport *export = dvr_export_new ();

  export->event_id = event_id;
  export->created_utc_ns = 1000 * S;
  export->from_utc_ns = G_MAXINT64;
  export->to_utc_ns = G_MININT64;
  export->destination = g_strdup ("/media/usb/case-17");
  export->manifest_sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, manifest, -1);
  export->key_fingerprint = g_strdup ("SHA256:" SHA);
  for (guint i = 0; parts[i] != NULL; i++) {
    g_auto (GStrv) fields = g_strsplit (parts[i], ":", 3);
    gint64 from = g_ascii_strtoll (fields[1], NULL, 10) * S;
    gint64 to = g_ascii_strtoll (fields[2], NULL, 10) * S;
    g_autoptr (GPtrArray) segments = dvr_catalog_list_segments (f->catalog, fields[0], from, to,
        &error);

    g_assert_no_error (error);
    g_ptr_array_add (export->cameras, dvr_event_window_new (fields[0], from, to));
    export->from_utc_ns = MIN (export->from_utc_ns, from);
    export->to_utc_ns = MAX (export->to_utc_ns, to);
    for (guint j = 0; j < segments->len; j++)
      g_ptr_array_add (export->segments, dvr_segment_copy (g_ptr_array_index (segments, j)));
  }
  return export;
}

static gint64
mark_exported (Fixture *f, gint64 event_id, const gchar *spans, const gchar *manifest)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrExport) export = export_new (f, event_id, spans, manifest);

  g_assert_true (dvr_catalog_mark_exported (f->catalog, export, &error));
  g_assert_no_error (error);
  g_assert_cmpint (export->id, >, 0);
  return export->id;
}

/* "camera:start,..." (start in s) of the reclaimable segments, oldest first. */
static gchar *
reclaimable (Fixture *f, guint limit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) segments = dvr_catalog_list_reclaimable_segments (f->catalog, limit,
      &error);
  g_autoptr (GString) text = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < segments->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (segments, i);
    g_string_append_printf (text, "%s%s:%" G_GINT64_FORMAT, text->len > 0 ? "," : "",
        segment->camera, segment->start_utc_ns / S);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static guint
audit_rows (Fixture *f)
{
  g_autoptr (GPtrArray) audit = dvr_catalog_list_audit (f->catalog, 0, 0, NULL);

  return audit->len;
}

/* The export is recorded with its cameras and source segments, audited with
 * what a custodian needs to find the package; a package the catalog cannot
 * vouch for is refused and leaves no trace. */
static void
test_export_mark (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) exports = NULL;
  g_autoptr (DvrAuditEntry) entry = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (DvrEvent) event = NULL;
  JsonObject *detail;
  const DvrExport *read;
  gint64 event_id, export_id;
  guint rows;

  for (gint64 t = 0; t < 12; t += 2) {
    add_segment (f, "front", t, t + 2);
    add_segment (f, "rear", t, t + 2);
  }
  event_id = add_ended_event (f, "dvrctl", "front", 3, 9, "rear", 4, 8);
  export_id = mark_exported (f, event_id, "front:3:9,rear:4:8", "manifest 1");

  exports = dvr_catalog_list_exports (f->catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (exports->len, ==, 1);
  read = g_ptr_array_index (exports, 0);
  g_assert_cmpint (read->id, ==, export_id);
  g_assert_cmpint (read->event_id, ==, event_id);
  g_assert_cmpint (read->created_utc_ns, ==, 1000 * S);
  g_assert_cmpint (read->utc_ns, >, 0);
  g_assert_cmpint (read->from_utc_ns, ==, 3 * S);
  g_assert_cmpint (read->to_utc_ns, ==, 9 * S);
  g_assert_cmpstr (read->destination, ==, "/media/usb/case-17");
  g_assert_cmpstr (read->key_fingerprint, ==, "SHA256:" SHA);
  g_assert_cmpuint (read->cameras->len, ==, 2);
  g_assert_cmpstr (((DvrEventWindow *) read->cameras->pdata[1])->camera, ==, "rear");
  g_assert_cmpint (((DvrEventWindow *) read->cameras->pdata[1])->from_utc_ns, ==, 4 * S);
  g_assert_cmpint (((DvrEventWindow *) read->cameras->pdata[1])->to_utc_ns, ==, 8 * S);
  /* front 2,4,6,8 and rear 4,6: six segments, still in the catalog. */
  g_assert_cmpuint (read->segments->len, ==, 6);
  for (guint i = 0; i < read->segments->len; i++) {
    const DvrSegment *segment = g_ptr_array_index (read->segments, i);
    g_assert_cmpint (segment->id, >, 0);
    g_assert_cmpuint (segment->bytes, ==, 1000);
    g_assert_cmpstr (segment->sha256, ==, SHA);
  }
  event = dvr_catalog_get_event (f->catalog, event_id, &error);
  g_assert_no_error (error);
  g_assert_true (dvr_export_covers_event (read, event));

  entry = dvr_catalog_get_last_audit (f->catalog, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->action, ==, "export");
  node = json_from_string (entry->detail, &error);
  g_assert_no_error (error);
  detail = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (detail, "export"), ==, export_id);
  g_assert_cmpint (json_object_get_int_member (detail, "event"), ==, event_id);
  g_assert_cmpint (json_object_get_int_member (detail, "from"), ==, 3 * S);
  g_assert_cmpint (json_object_get_int_member (detail, "to"), ==, 9 * S);
  g_assert_cmpint (json_object_get_int_member (detail, "segments"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (detail, "bytes"), ==, 6000);
  g_assert_cmpstr (json_object_get_string_member (detail, "manifest_sha256"), ==,
      read->manifest_sha256);
  g_assert_cmpstr (json_object_get_string_member (detail, "destination"), ==,
      "/media/usb/case-17");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (detail, "cameras")),
      ==, 2);
  assert_audit_intact (f, 2);
  rows = audit_rows (f);

  /* Refused, each leaving neither an export nor an audit row. */
  {
    g_autoptr (DvrExport) again = export_new (f, event_id, "front:3:9", "manifest 1");
    g_assert_false (dvr_catalog_mark_exported (f->catalog, again, &error));
    g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_EXISTS);
    g_assert_nonnull (strstr (error->message, "already recorded as export 1"));
    g_assert_cmpint (again->id, ==, 0);
    g_clear_error (&error);
  }
  {
    g_autoptr (DvrExport) unknown = export_new (f, event_id, "front:3:9", "manifest 2");
    DvrSegment *segment = g_ptr_array_index (unknown->segments, 0);
    g_free (segment->path);
    segment->path = g_strdup ("front/nosuch.mkv");
    g_assert_false (dvr_catalog_mark_exported (f->catalog, unknown, &error));
    g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "front/nosuch.mkv is not in the catalog"));
    g_clear_error (&error);
  }
  {
    g_autoptr (DvrExport) changed = export_new (f, event_id, "front:3:9", "manifest 3");
    DvrSegment *segment = g_ptr_array_index (changed->segments, 1);
    g_free (segment->sha256);
    segment->sha256 = g_strdup ("ffff");
    g_assert_false (dvr_catalog_mark_exported (f->catalog, changed, &error));
    g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "ffff in the export"));
    g_clear_error (&error);
  }
  {
    g_autoptr (DvrExport) camera = export_new (f, event_id, "front:3:9", "manifest 4");
    g_ptr_array_add (camera->cameras, dvr_event_window_new ("side", 0, S));
    g_assert_false (dvr_catalog_mark_exported (f->catalog, camera, &error));
    g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "\"side\""));
    g_clear_error (&error);
  }
  {
    g_autoptr (DvrExport) no_event = export_new (f, 77, "front:3:9", "manifest 5");
    g_assert_false (dvr_catalog_mark_exported (f->catalog, no_event, &error));
    g_assert_error (error, DVR_CATALOG_ERROR, DVR_CATALOG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "no event 77"));
    g_clear_error (&error);
  }
  g_clear_pointer (&exports, g_ptr_array_unref);
  exports = dvr_catalog_list_exports (f->catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (exports->len, ==, 1);
  g_assert_cmpuint (audit_rows (f), ==, rows);

  /* A span export (no event) is recorded the same way. */
  g_assert_cmpint (mark_exported (f, 0, "front:0:4", "manifest 6"), ==, export_id + 1);
  g_clear_pointer (&exports, g_ptr_array_unref);
  exports = dvr_catalog_list_exports (f->catalog, &error);
  g_assert_cmpint (((DvrExport *) exports->pdata[1])->event_id, ==, 0);
  g_assert_false (dvr_export_covers_event (exports->pdata[1], event));
  assert_audit_intact (f, 3);
}

/* Which evidence may go: only segments in an export, and only when every
 * event they are evidence of has ended and is exported whole. */
static void
test_export_reclaimable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrEvent) running = running_event (20, "signal lightbar");
  g_autoptr (GPtrArray) exports = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree gchar *list = NULL;
  gint64 e1, e2, e4, e5;

  for (gint64 t = 0; t < 30; t += 2) {
    add_segment (f, "front", t, t + 2);
    add_segment (f, "rear", t, t + 2);
  }
  /* e1: both cameras [4, 10); e2: front [8, 14), sharing front 8-10 with
   * e1; e3 running on front from 20; e4 both cameras [24, 26); e5 front
   * [16, 19). */
  e1 = add_ended_event (f, "one", "front", 4, 10, "rear", 4, 10);
  e2 = add_ended_event (f, "two", "front", 8, 14, NULL, 0, 0);
  g_ptr_array_add (running->windows, dvr_event_window_new ("front", 20 * S, -1));
  g_assert_true (dvr_catalog_add_event (f->catalog, running, &error));
  g_assert_no_error (error);
  e4 = add_ended_event (f, "four", "front", 24, 26, "rear", 24, 26);
  e5 = add_ended_event (f, "five", "front", 16, 19, NULL, 0, 0);

  /* Nothing exported: nothing to reclaim. */
  list = reclaimable (f, 100);
  g_assert_cmpstr (list, ==, "");

  /* e1 whole: its segments but the one it shares with e2 (not exported). */
  mark_exported (f, e1, "front:4:10,rear:4:10", "e1");
  g_clear_pointer (&list, g_free);
  list = reclaimable (f, 100);
  g_assert_cmpstr (list, ==, "front:4,rear:4,front:6,rear:6,rear:8");
  g_clear_pointer (&list, g_free);
  list = reclaimable (f, 2);
  g_assert_cmpstr (list, ==, "front:4,rear:4");

  /* e4 on one camera only, e5 for part of its window, the running event
   * over its whole window so far: none of them. */
  mark_exported (f, e4, "front:24:26", "e4 front only");
  mark_exported (f, e5, "front:16:18", "e5 part");
  mark_exported (f, running->id, "front:20:30", "e3 while running");
  g_clear_pointer (&list, g_free);
  list = reclaimable (f, 100);
  g_assert_cmpstr (list, ==, "front:4,rear:4,front:6,rear:6,rear:8");

  /* e2 exported too: the shared segment and the rest of e2 go. */
  mark_exported (f, e2, "front:8:14", "e2");
  g_clear_pointer (&list, g_free);
  list = reclaimable (f, 100);
  g_assert_cmpstr (list, ==, "front:4,rear:4,front:6,rear:6,front:8,rear:8,front:10,front:12");

  /* A segment linked to e1 after its export (say, an orphan catalogued at
   * the next start) was never in a package: it stays. */
  {
    g_autoptr (DvrSegment) late = dvr_segment_new ();
    late->camera = g_strdup ("rear");
    late->run_id = 1;
    late->path = g_strdup ("rear/late.mkv");
    late->start_utc_ns = 9 * S;
    late->end_utc_ns = 10 * S;
    late->sha256 = g_strdup (SHA);
    late->codec = g_strdup ("h264");
    g_assert_true (dvr_catalog_add_segment (f->catalog, late, &error));
    g_assert_no_error (error);
    g_clear_pointer (&list, g_free);
    list = evidence_starts (f, e1, "rear");
    g_assert_cmpstr (list, ==, "4,6,8,9");
    g_clear_pointer (&list, g_free);
    list = reclaimable (f, 100);
    g_assert_cmpstr (list, ==, "front:4,rear:4,front:6,rear:6,front:8,rear:8,front:10,front:12");
  }

  /* The C test agrees with the SQL one. */
  exports = dvr_catalog_list_exports (f->catalog, &error);
  g_assert_no_error (error);
  events = dvr_catalog_list_events (f->catalog, G_MININT64, G_MAXINT64, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++) {
    const DvrEvent *event = g_ptr_array_index (events, i);
    gboolean covered = FALSE;
    for (guint j = 0; j < exports->len; j++)
      covered = covered || dvr_export_covers_event (g_ptr_array_index (exports, j), event);
    g_assert_cmpint (covered, ==, event->id == e1 || event->id == e2);
  }

  /* A running event has evidence nobody can export whole. */
  g_assert_true (dvr_catalog_resume_event (f->catalog, e2, &error));
  g_assert_no_error (error);
  g_clear_pointer (&list, g_free);
  list = reclaimable (f, 100);
  g_assert_cmpstr (list, ==, "front:4,rear:4,front:6,rear:6,rear:8");
  assert_audit_intact (f, 10);
}

/* Reclaiming: in one transaction the evidence links and the row go, a
 * garbage row and an audit row come; whatever stopped being reclaimable
 * since it was listed is skipped. */
static void
test_export_reclaim (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) listed = NULL;
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (GPtrArray) garbage = NULL;
  g_autoptr (GPtrArray) audit = NULL;
  g_autoptr (GPtrArray) exports = NULL;
  g_autofree gchar *left = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  DvrCatalogUsage usage;
  gint64 e1, e2, x1, ring_id;
  guint rows;

  ring_id = add_segment (f, "front", 0, 2);
  for (gint64 t = 2; t < 10; t += 2)
    add_segment (f, "front", t, t + 2);
  e1 = add_ended_event (f, "one", "front", 2, 6, NULL, 0, 0);
  e2 = add_ended_event (f, "two", "front", 6, 10, NULL, 0, 0);
  x1 = mark_exported (f, e1, "front:2:6", "e1");
  mark_exported (f, e2, "front:6:10", "e2");
  listed = dvr_catalog_list_reclaimable_segments (f->catalog, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 4);
  for (guint i = 0; i < listed->len; i++)
    g_array_append_val (ids, ((DvrSegment *) listed->pdata[i])->id);
  /* Asked for a ring segment too, and an id that does not exist. */
  g_array_append_val (ids, ring_id);
  g_array_append_val (ids, (gint64) { 999 });
  /* Since the listing, e2 ran again: its segments stay. */
  g_assert_true (dvr_catalog_resume_event (f->catalog, e2, &error));
  g_assert_no_error (error);
  rows = audit_rows (f);

  paths = dvr_catalog_reclaim_exported (f->catalog, (const gint64 *) ids->data, ids->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (paths->len, ==, 2);
  g_assert_cmpstr (paths->pdata[0], ==, "front/seg-001.mkv");
  g_assert_cmpstr (paths->pdata[1], ==, "front/seg-002.mkv");
  left = evidence_starts (f, e1, "front");
  g_assert_cmpstr (left, ==, "");
  g_clear_pointer (&left, g_free);
  left = evidence_starts (f, e2, "front");
  g_assert_cmpstr (left, ==, "6,8");
  g_clear_pointer (&left, g_free);
  left = ring_starts (f, "front");
  g_assert_cmpstr (left, ==, "0");

  g_assert_true (dvr_catalog_get_usage (f->catalog, &usage, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (usage.evidence_segments, ==, 2);
  g_assert_cmpuint (usage.ring_segments, ==, 1);
  g_assert_cmpuint (usage.garbage, ==, 2);
  garbage = dvr_catalog_list_garbage (f->catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (garbage->len, ==, 2);

  /* One audit row per segment, naming the event and the export. */
  audit = dvr_catalog_list_audit (f->catalog, rows, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 2);
  for (guint i = 0; i < audit->len; i++) {
    const DvrAuditEntry *entry = g_ptr_array_index (audit, i);
    g_autoptr (JsonNode) node = json_from_string (entry->detail, &error);
    JsonObject *detail;
    JsonArray *events, *holders;

    g_assert_no_error (error);
    detail = json_node_get_object (node);
    g_assert_cmpstr (entry->action, ==, "delete");
    g_assert_cmpstr (json_object_get_string_member (detail, "reason"), ==, "exported");
    g_assert_cmpstr (json_object_get_string_member (detail, "path"), ==, paths->pdata[i]);
    g_assert_cmpstr (json_object_get_string_member (detail, "sha256"), ==, SHA);
    events = json_object_get_array_member (detail, "events");
    g_assert_cmpuint (json_array_get_length (events), ==, 1);
    g_assert_cmpint (json_array_get_int_element (events, 0), ==, e1);
    holders = json_object_get_array_member (detail, "exports");
    g_assert_cmpuint (json_array_get_length (holders), ==, 1);
    g_assert_cmpint (json_array_get_int_element (holders, 0), ==, x1);
  }
  assert_audit_intact (f, rows + 2);

  /* The export keeps its record of what it held, rows gone or not. */
  exports = dvr_catalog_list_exports (f->catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((DvrExport *) exports->pdata[0])->segments->len, ==, 2);
  g_assert_cmpint (((DvrSegment *) ((DvrExport *) exports->pdata[0])->segments->pdata[0])->id,
      ==, 0);

  /* An export's excerpt: the rows naming the event (its start, its
   * export, the deletions of its segments), or a segment's path. */
  {
    const gchar *reclaimed[] = { "front/seg-001.mkv", NULL };
    g_autoptr (GPtrArray) about = dvr_catalog_list_audit_about (f->catalog, e1, 0, 0, NULL,
        &error);
    g_autoptr (GPtrArray) by_path = NULL;
    g_autoptr (GString) text = g_string_new (NULL);

    g_assert_no_error (error);
    for (guint i = 0; i < about->len; i++)
      g_string_append_printf (text, "%s%s", i > 0 ? "," : "",
          ((DvrAuditEntry *) about->pdata[i])->action);
    g_assert_cmpstr (text->str, ==, "event-start,export,delete,delete");
    by_path = dvr_catalog_list_audit_about (f->catalog, 0, 0, 0, reclaimed, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (by_path->len, ==, 1);
    g_assert_cmpint (((DvrAuditEntry *) by_path->pdata[0])->id, ==,
        ((DvrAuditEntry *) about->pdata[2])->id);
  }

  for (guint i = 0; i < garbage->len; i++)
    g_assert_true (dvr_catalog_drop_garbage (f->catalog, garbage->pdata[i], &error));
  g_assert_no_error (error);
  g_clear_pointer (&listed, g_ptr_array_unref);
  listed = dvr_catalog_list_reclaimable_segments (f->catalog, 100, &error);
  g_assert_cmpuint (listed->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ((name), Fixture, NULL, fixture_setup, (func), fixture_teardown)
  ADD ("/evidence/link-windows", test_link_windows);
  ADD ("/evidence/resume", test_resume);
  ADD ("/evidence/after-the-fact", test_after_the_fact);
  ADD ("/evidence/garbage", test_garbage);
  ADD ("/evidence/pre-event-longer-than-ring", test_pre_event_longer_than_ring);
  ADD ("/evidence/event-info", test_event_info);
  ADD ("/evidence/audit/changed", test_audit_changed);
  ADD ("/evidence/audit/removed", test_audit_removed);
  ADD ("/evidence/audit/removed-first", test_audit_removed_first);
  ADD ("/evidence/audit/rehashed", test_audit_rehashed);
  ADD ("/evidence/export/mark", test_export_mark);
  ADD ("/evidence/export/reclaimable", test_export_reclaimable);
  ADD ("/evidence/export/reclaim", test_export_reclaim);
#undef ADD

  return g_test_run ();
}
