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

static void
print_warnings (const DvrConfig *config)
{
  for (guint i = 0; i < config->warnings->len; i++)
    g_printerr ("dvrd: warning: %s\n", (const gchar *) g_ptr_array_index (config->warnings, i));
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
    g_autoptr (DvrV4l2Probe) probe = dvr_v4l2_probe (probe_device, &error);
    g_autofree gchar *text = NULL;
    if (probe == NULL) {
      g_printerr ("dvrd: %s\n", error->message);
      return EXIT_FAILURE;
    }
    text = dvr_v4l2_probe_to_string (probe);
    g_print ("%s", text);
    return EXIT_SUCCESS;
  }

  if (check_path != NULL) {
    config = dvr_config_load_file (check_path, &error);
    if (config == NULL) {
      g_printerr ("dvrd: %s\n", error->message);
      return EXIT_BAD_CONFIG;
    }
    print_warnings (config);
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
  if (print_pipelines) {
    for (guint i = 0; i < config->cameras->len; i++) {
      const DvrCameraConfig *camera = g_ptr_array_index (config->cameras, i);
      g_autofree gchar *description = dvr_pipeline_describe (camera);
      g_print ("%s: %s ! splitmuxsink muxer=matroskamux\n", camera->name, description);
    }
    return EXIT_SUCCESS;
  }

  gst_init (&argc, &argv);
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
  dvr_daemon_start (daemon);
  g_main_loop_run (loop);
  if (dvr_daemon_get_stop_forced (daemon)) {
    /* A helper thread is stuck in a driver or the disk: freeing the
     * pipelines or gst_deinit() would wait for it for ever. */
    g_warning ("exiting with work left for recovery");
    _exit (EXIT_FAILURE);
  }
  g_clear_pointer (&daemon, dvr_daemon_free);
  gst_deinit ();
  return EXIT_SUCCESS;
}
