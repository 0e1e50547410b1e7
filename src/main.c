/* dvrd: the in-car video recorder daemon.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dvr-config.h"
#include "dvr-daemon.h"
#include "dvr-pipeline.h"
#include "dvr-v4l2.h"

#define DEFAULT_CONFIG DVR_SYSCONFDIR "/dvr.conf"

/* Exit statuses: 0 clean stop, 1 runtime failure, 2 bad configuration or
 * usage (nothing was started and nothing on the storage changed). */
#define EXIT_BAD_CONFIG 2

typedef struct {
  GMainLoop *loop;
  DvrDaemon *daemon;
  gboolean stopping;
} Context;

static gboolean
stopped_cb (gpointer user_data)
{
  Context *ctx = user_data;
  g_main_loop_quit (ctx->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  Context *ctx = user_data;
  if (!ctx->stopping) {
    ctx->stopping = TRUE;
    dvr_daemon_stop (ctx->daemon, stopped_cb, ctx);
  }
  return G_SOURCE_CONTINUE;
}

/* Idle callback: the daemon asks to be stopped (the ignition's hold-over
 * is over). */
static gboolean
shutdown_cb (gpointer user_data)
{
  signal_cb (user_data);
  return G_SOURCE_REMOVE;
}

static void
print_warnings (const DvrConfig *config)
{
  for (guint i = 0; i < config->warnings->len; i++)
    g_printerr ("dvrd: warning: %s\n", (const gchar *) g_ptr_array_index (config->warnings, i));
}

/* The pipeline a configured V4L2 camera would get from what its device
 * offers now; NULL with @error when it is absent or cannot record as
 * configured. */
static gchar *
describe_v4l2_camera (const DvrCameraConfig *camera, const DvrV4l2Probe *probe,
                      gchar **capture, GError **error)
{
  DvrV4l2Choice choice;

  if (!dvr_pipeline_choose (camera, probe, &choice, error))
    return NULL;
  if (capture != NULL)
    *capture = dvr_v4l2_choice_to_string (&choice, camera->width, camera->height,
        camera->framerate_n, camera->framerate_d);
  return dvr_pipeline_describe (camera, &choice);
}

static gboolean
same_device (const gchar *a, const gchar *b)
{
  g_autofree gchar *real_a = realpath (a, NULL);
  g_autofree gchar *real_b = realpath (b, NULL);
  return g_strcmp0 (a, b) == 0 || (real_a != NULL && g_strcmp0 (real_a, real_b) == 0);
}

/* --probe: what DEVICE offers, and what each configured camera on it
 * would record (or, with no configuration, what the defaults would). */
static int
probe_main (const gchar *device, const gchar *config_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe (device, &error);
  g_autoptr (DvrConfig) config = NULL;
  g_autofree gchar *text = NULL;
  gboolean matched = FALSE;
  int status = EXIT_SUCCESS;

  if (probe == NULL) {
    g_printerr ("dvrd: %s\n", error->message);
    return EXIT_FAILURE;
  }
  text = dvr_v4l2_probe_to_string (probe);
  g_print ("%s", text);

  config = dvr_config_load_file (config_path ? config_path : DEFAULT_CONFIG, &error);
  if (config == NULL && config_path != NULL) {
    g_printerr ("dvrd: %s\n", error->message);
    return EXIT_BAD_CONFIG;
  }
  g_clear_error (&error);
  g_print ("would record:\n");
  for (guint i = 0; config != NULL && i < config->cameras->len; i++) {
    const DvrCameraConfig *camera = g_ptr_array_index (config->cameras, i);
    g_autofree gchar *capture = NULL;
    g_autofree gchar *description = NULL;

    if (camera->kind != DVR_SOURCE_KIND_V4L2 || !same_device (camera->location, device))
      continue;
    matched = TRUE;
    description = describe_v4l2_camera (camera, probe, &capture, &error);
    if (description == NULL) {
      g_print ("  camera %s: cannot record as configured: %s\n", camera->name, error->message);
      g_clear_error (&error);
      status = EXIT_BAD_CONFIG;
    } else {
      g_print ("  camera %s: %s\n", camera->name, capture);
    }
  }
  if (!matched) {
    DvrCameraConfig defaults = {
      .name = (gchar *) "default", .kind = DVR_SOURCE_KIND_V4L2, .location = (gchar *) device,
      .width = 1280, .height = 720, .framerate_n = 30, .framerate_d = 1,
      .record = DVR_RECORD_MODE_AUTO,
    };
    DvrV4l2Choice choice;
    if (dvr_pipeline_choose (&defaults, probe, &choice, &error)) {
      g_autofree gchar *capture = dvr_v4l2_choice_to_string (&choice, defaults.width,
          defaults.height, defaults.framerate_n, defaults.framerate_d);
      g_print ("  with the defaults (1280x720, 30 fps, record = auto): %s\n", capture);
    } else {
      g_print ("  with the defaults (1280x720, 30 fps, record = auto): nothing: %s\n",
          error->message);
    }
  }
  return status;
}

/* --check-config: also asks each V4L2 camera that is plugged in whether
 * it offers what the file asks; an absent one is only reported. */
static gboolean
check_devices (const DvrConfig *config)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < config->cameras->len; i++) {
    const DvrCameraConfig *camera = g_ptr_array_index (config->cameras, i);
    g_autoptr (GError) error = NULL;
    g_autoptr (DvrV4l2Probe) probe = NULL;
    g_autofree gchar *description = NULL;

    if (camera->kind != DVR_SOURCE_KIND_V4L2)
      continue;
    if (!g_file_test (camera->location, G_FILE_TEST_EXISTS)) {
      g_printerr ("dvrd: note: camera %s: %s is not plugged in, not checked\n", camera->name,
          camera->location);
      continue;
    }
    probe = dvr_v4l2_probe (camera->location, &error);
    if (probe != NULL)
      description = describe_v4l2_camera (camera, probe, NULL, &error);
    if (description == NULL) {
      g_printerr ("dvrd: %s: [camera %s]: %s\n", config->path, camera->name, error->message);
      ok = FALSE;
    }
  }
  return ok;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *config_path = NULL;
  g_autofree gchar *check_path = NULL;
  g_autofree gchar *probe_device = NULL;
  gboolean version = FALSE;
  gboolean print_pipelines = FALSE;
  g_autoptr (GOptionContext) options = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvrConfig) config = NULL;
  g_autoptr (DvrDaemon) daemon = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  Context ctx = { 0, };
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
      "Configuration file (default " DEFAULT_CONFIG ")", "FILE" },
    { "check-config", 0, 0, G_OPTION_ARG_FILENAME, &check_path,
      "Validate FILE and exit: 0 valid, 2 invalid; records nothing", "FILE" },
    { "probe", 0, 0, G_OPTION_ARG_FILENAME, &probe_device,
      "Print what the V4L2 camera DEVICE offers and exit", "DEVICE" },
    { "print-pipelines", 0, 0, G_OPTION_ARG_NONE, &print_pipelines,
      "Print each camera's pipeline and exit", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* Everything dvrd shows or stores is UTC, burned-in clocks included. */
  g_setenv ("TZ", "UTC", TRUE);
  tzset ();

  options = g_option_context_new ("- in-car multi-camera video recorder");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("dvrd: %s\n", error->message);
    return EXIT_BAD_CONFIG;
  }
  if (version) {
    g_print ("dvrd %s\n", DVR_VERSION);
    return EXIT_SUCCESS;
  }

  if (probe_device != NULL) {
    gst_init (&argc, &argv);
    return probe_main (probe_device, config_path);
  }

  if (check_path != NULL) {
    config = dvr_config_load_file (check_path, &error);
    if (config == NULL) {
      g_printerr ("dvrd: %s\n", error->message);
      return EXIT_BAD_CONFIG;
    }
    print_warnings (config);
    if (!check_devices (config))
      return EXIT_BAD_CONFIG;
    g_print ("%s: ok, %u camera%s\n", check_path, config->cameras->len,
        config->cameras->len == 1 ? "" : "s");
    return EXIT_SUCCESS;
  }

  config = dvr_config_load_file (config_path ? config_path : DEFAULT_CONFIG, &error);
  if (config == NULL) {
    g_printerr ("dvrd: %s\n", error->message);
    return EXIT_BAD_CONFIG;
  }
  print_warnings (config);
  gst_init (&argc, &argv);
  if (print_pipelines) {
    for (guint i = 0; i < config->cameras->len; i++) {
      const DvrCameraConfig *camera = g_ptr_array_index (config->cameras, i);
      g_autoptr (GError) probe_error = NULL;
      g_autoptr (DvrV4l2Probe) probe = NULL;
      g_autofree gchar *description = NULL;

      if (camera->kind == DVR_SOURCE_KIND_V4L2) {
        /* A V4L2 camera's pipeline follows what the device offers. */
        probe = dvr_v4l2_probe (camera->location, &probe_error);
        if (probe != NULL)
          description = describe_v4l2_camera (camera, probe, NULL, &probe_error);
      } else {
        description = dvr_pipeline_describe (camera, NULL);
      }
      if (description != NULL)
        g_print ("%s: %s ! splitmuxsink muxer=matroskamux\n", camera->name, description);
      else
        g_print ("%s: (decided at start from what the camera offers: %s)\n", camera->name,
            probe_error->message);
    }
    return EXIT_SUCCESS;
  }

  daemon = dvr_daemon_new (g_steal_pointer (&config), &error);
  if (daemon == NULL) {
    g_printerr ("dvrd: %s\n", error->message);
    return EXIT_FAILURE;
  }

  loop = g_main_loop_new (NULL, FALSE);
  ctx.loop = loop;
  ctx.daemon = daemon;
  g_unix_signal_add (SIGTERM, signal_cb, &ctx);
  g_unix_signal_add (SIGINT, signal_cb, &ctx);
  /* The ignition's hold-over ended: stop as for SIGTERM, then power off. */
  dvr_daemon_set_shutdown_func (daemon, shutdown_cb, &ctx);
  dvr_daemon_start (daemon);
  g_main_loop_run (loop);
  if (dvr_daemon_get_stop_forced (daemon)) {
    /* A helper thread is stuck in a driver or the disk: freeing the
     * pipelines or gst_deinit() would wait for it for ever.  The power-off
     * still happens: restarted, dvrd would see the ignition off and wait,
     * and the computer would drain the vehicle's battery. */
    g_warning ("exiting with work left for recovery");
    if (dvr_daemon_get_power_off_requested (daemon) && !dvr_daemon_power_off (daemon, &error))
      g_warning ("%s", error->message);
    _exit (EXIT_FAILURE);
  }
  if (dvr_daemon_get_power_off_requested (daemon) && !dvr_daemon_power_off (daemon, &error)) {
    /* Everything is finalized; the vehicle's own timer cuts the power. */
    g_warning ("%s", error->message);
    g_clear_error (&error);
  }
  g_clear_pointer (&daemon, dvr_daemon_free);
  gst_deinit ();
  return EXIT_SUCCESS;
}
