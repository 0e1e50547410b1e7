/* faultshim-test.c: libdvr-faultshim.so fails exactly the Nth call of the
 * kind asked, with the errno asked, only for paths under DVR_FAULT_PATH,
 * and logs its counts (dvr-faultshim.c).
 *
 * The test re-runs itself as a child with LD_PRELOAD and the DVR_FAULT*
 * variables: `faultshim-test --child KIND DIR OUT` makes four calls of KIND
 * on files in DIR, with one more on a file in OUT between the second and
 * the third, and prints one line per call: "in1 0", "out 5" (0 or the
 * errno).  Files are prepared with raw syscalls, which the shim does not
 * see, so only the calls under test are counted.
 *
 * `faultshim-test --child-arm KIND DIR ARM` checks DVR_FAULT_ARM: one call
 * before ARM exists, two while it does, one after it is removed, one once
 * it is back; ARM is made and removed with raw syscalls, each followed by
 * a pause longer than the shim's millisecond between looks. */

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
raw_open (const char *path)
{
  return (int) syscall (SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

static int
one_call (const char *kind, const char *dir, const char *tag)
{
  g_autofree gchar *path = g_strdup_printf ("%s/%s-%s", dir, kind, tag);
  g_autofree gchar *path2 = g_strdup_printf ("%s.new", path);
  int ret;
  if (!strcmp (kind, "open")) {
    ret = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (ret >= 0)
      syscall (SYS_close, ret);
  } else if (!strcmp (kind, "rename") || !strcmp (kind, "unlink")) {
    syscall (SYS_close, raw_open (path));
    ret = !strcmp (kind, "rename") ? rename (path, path2) : unlink (path);
  } else {
    int fd = raw_open (path);
    if (!strcmp (kind, "write"))
      ret = (int) write (fd, "x", 1);
    else if (!strcmp (kind, "fsync"))
      ret = fsync (fd);
    else
      ret = fdatasync (fd);
    syscall (SYS_close, fd);
  }
  return ret < 0 ? errno : 0;
}

static int
child (const char *kind, const char *dir, const char *out)
{
  const char *tags[] = { "in1", "in2", "out", "in3", "in4" };
  for (guint i = 0; i < G_N_ELEMENTS (tags); i++) {
    int e = one_call (kind, strcmp (tags[i], "out") ? dir : out, tags[i]);
    printf ("%s %d\n", tags[i], e);
  }
  fflush (stdout);
  return 0;
}

static void
raw_arm (const char *arm, gboolean on)
{
  if (on)
    syscall (SYS_close, raw_open (arm));
  else
    syscall (SYS_unlinkat, AT_FDCWD, arm, 0);
  g_usleep (5000);
}

static int
child_arm (const char *kind, const char *dir, const char *arm)
{
  static const struct { const char *tag; int arm; } steps[] = {
    { "before", -1 }, { "on1", 1 }, { "on2", -1 }, { "off", 0 }, { "again", 1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++) {
    if (steps[i].arm >= 0)
      raw_arm (arm, steps[i].arm);
    printf ("%s %d\n", steps[i].tag, one_call (kind, dir, steps[i].tag));
  }
  fflush (stdout);
  return 0;
}

typedef struct {
  gchar *tmp;
  gchar *dir;
  gchar *out;
} Fixture;

/* Runs the child for @kind with the fault @spec (NULL: none), the prefix
 * DIR when @prefixed, and the log file @log (NULL: none); returns its
 * output. */
static gchar *
run_child_full (Fixture *f, const char *kind, const char *spec, gboolean prefixed,
                const char *log, const char *arm, gboolean arm_child)
{
  const char *shim = g_getenv ("DVR_FAULTSHIM");
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *kind_dir = g_build_filename (f->dir, kind, NULL);
  g_autofree gchar *kind_out = g_build_filename (f->out, kind, NULL);
  g_mkdir_with_parents (kind_dir, 0755);
  g_mkdir_with_parents (kind_out, 0755);
  char *argv[] = { self, (char *) (arm_child ? "--child-arm" : "--child"), (char *) kind,
                   kind_dir, arm_child ? (char *) arm : kind_out, NULL };
  g_auto (GStrv) envp = g_get_environ ();
  envp = g_environ_setenv (envp, "LD_PRELOAD", shim, TRUE);
  envp = g_environ_unsetenv (envp, "DVR_FAULT");
  envp = g_environ_unsetenv (envp, "DVR_FAULT_PATH");
  envp = g_environ_unsetenv (envp, "DVR_FAULT_LOG");
  envp = g_environ_unsetenv (envp, "DVR_FAULT_ARM");
  if (arm)
    envp = g_environ_setenv (envp, "DVR_FAULT_ARM", arm, TRUE);
  if (spec)
    envp = g_environ_setenv (envp, "DVR_FAULT", spec, TRUE);
  if (prefixed)
    envp = g_environ_setenv (envp, "DVR_FAULT_PATH", f->dir, TRUE);
  if (log)
    envp = g_environ_setenv (envp, "DVR_FAULT_LOG", log, TRUE);
  gchar *output = NULL;
  int status;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
      &output, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* The next run of the same kind starts from empty folders. */
  g_autofree gchar *rm_dir = g_strdup_printf ("rm -rf '%s' '%s'", kind_dir, kind_out);
  g_assert_cmpint (system (rm_dir), ==, 0);
  return output;
}

static gchar *
run_child (Fixture *f, const char *kind, const char *spec, gboolean prefixed, const char *log)
{
  return run_child_full (f, kind, spec, prefixed, log, NULL, FALSE);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->tmp = g_dir_make_tmp ("faultshim-XXXXXX", NULL);
  g_assert_nonnull (f->tmp);
  f->dir = g_build_filename (f->tmp, "in", NULL);
  f->out = g_build_filename (f->tmp, "out", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree gchar *command = g_strdup_printf ("rm -rf '%s'", f->tmp);
  g_assert_cmpint (system (command), ==, 0);
  g_free (f->tmp);
  g_free (f->dir);
  g_free (f->out);
}

static gchar *
expect (int in1, int in2, int out, int in3, int in4)
{
  return g_strdup_printf ("in1 %d\nin2 %d\nout %d\nin3 %d\nin4 %d\n", in1, in2, out, in3, in4);
}

/* Each kind: the Nth call under the prefix fails, the call outside it
 * neither fails nor counts. */
static void
test_nth_under_prefix (Fixture *f, gconstpointer data)
{
  static const struct { const char *kind; const char *spec; int e[5]; } cases[] = {
    { "write", "write:3:EIO", { 0, 0, 0, EIO, 0 } },
    { "write", "write:1:ENOSPC", { ENOSPC, 0, 0, 0, 0 } },
    { "fsync", "fsync:2:ENOSPC", { 0, ENOSPC, 0, 0, 0 } },
    { "fdatasync", "fdatasync:4:EIO", { 0, 0, 0, 0, EIO } },
    { "rename", "rename:3:EROFS", { 0, 0, 0, EROFS, 0 } },
    { "unlink", "unlink:1:EIO", { EIO, 0, 0, 0, 0 } },
    { "open", "open:2:ENOSPC", { 0, ENOSPC, 0, 0, 0 } },
    /* A numeric errno, and two faults in one spec. */
    { "write", "fsync:1:EIO,write:4:28", { 0, 0, 0, 0, ENOSPC } },
    /* Another kind's fault leaves this kind alone. */
    { "open", "write:1:EIO", { 0, 0, 0, 0, 0 } },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *output = run_child (f, cases[i].kind, cases[i].spec, TRUE, NULL);
    g_autofree gchar *expected = expect (cases[i].e[0], cases[i].e[1], cases[i].e[2],
        cases[i].e[3], cases[i].e[4]);
    g_test_message ("%s with DVR_FAULT=%s", cases[i].kind, cases[i].spec);
    g_assert_cmpstr (output, ==, expected);
  }
}

/* Without DVR_FAULT_PATH every call counts: the third is the one outside. */
static void
test_no_prefix (Fixture *f, gconstpointer data)
{
  g_autofree gchar *output = run_child (f, "fsync", "fsync:3:EIO", FALSE, NULL);
  g_autofree gchar *expected = expect (0, 0, EIO, 0, 0);
  g_assert_cmpstr (output, ==, expected);
}

/* "N+": the Nth call and every later one fail (a drive that stays dead). */
static void
test_sticky (Fixture *f, gconstpointer data)
{
  g_autofree gchar *output = run_child (f, "write", "write:2+:EIO", TRUE, NULL);
  g_autofree gchar *expected = expect (0, EIO, 0, EIO, EIO);
  g_assert_cmpstr (output, ==, expected);
}

/* The log gives the counts under the prefix and the calls failed. */
static void
test_log (Fixture *f, gconstpointer data)
{
  g_autofree gchar *log = g_build_filename (f->tmp, "counts.log", NULL);
  g_autofree gchar *output = run_child (f, "unlink", "unlink:2:EIO", TRUE, log);
  g_autofree gchar *contents = NULL;
  g_assert_true (g_file_get_contents (log, &contents, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  gboolean seen_count = FALSE, seen_fault = FALSE, seen_write = FALSE;
  for (guint i = 0; lines[i]; i++) {
    g_auto (GStrv) words = g_strsplit (lines[i], " ", -1);
    guint n = g_strv_length (words);
    if (n == 3 && !strcmp (words[1], "unlink")) {
      g_assert_cmpstr (words[2], ==, "4");
      seen_count = TRUE;
    }
    if (n == 3 && !strcmp (words[1], "write")) {
      g_assert_cmpstr (words[2], ==, "0");
      seen_write = TRUE;
    }
    if (n == 7 && !strcmp (words[1], "fault")) {
      g_assert_cmpstr (words[2], ==, "unlink");
      g_assert_cmpstr (words[3], ==, "2");
      g_assert_cmpint (atoi (words[4]), ==, EIO);
      g_assert_cmpint (g_ascii_strtoll (words[5], NULL, 10), >, 0);
      /* The second call is on DIR/unlink/unlink-in2. */
      g_assert_true (g_str_has_prefix (words[6], f->dir));
      g_assert_true (g_str_has_suffix (words[6], "/unlink/unlink-in2"));
      seen_fault = TRUE;
    }
    /* Without DVR_FAULT_ARM there is nothing to say about arming. */
    g_assert_cmpstr (n >= 2 ? words[1] : "", !=, "armed");
  }
  g_assert_true (seen_count);
  g_assert_true (seen_write);
  g_assert_true (seen_fault);
}

/* Field @field of the log line "PID WORD [WORD2] ..." as a number. */
static gint64
log_value (const gchar *contents, const gchar *word, const gchar *word2, guint field)
{
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    g_auto (GStrv) words = g_strsplit (lines[i], " ", -1);
    guint n = g_strv_length (words);
    if (n >= 3 && !strcmp (words[1], word) && (word2 == NULL || !strcmp (words[2], word2)))
      return field < n ? g_ascii_strtoll (words[field], NULL, 10) : -1;
  }
  g_assert_not_reached ();
}

/* DVR_FAULT_ARM: nothing counts or fails before ARM exists or after it is
 * removed; counting starts from 0 when it appears and goes on when it is
 * back; the log has the counts while armed and when it was armed and
 * disarmed, and the failure between them. */
static void
test_arm (Fixture *f, gconstpointer data)
{
  static const struct { const char *spec; const char *expected; } cases[] = {
    /* The second call while armed: "before" is not counted. */
    { "fsync:2:EIO", "before 0\non1 0\non2 5\noff 0\nagain 0\n" },
    /* Sticky from the first armed call; cleared while ARM is gone. */
    { "fsync:1+:ENOSPC", "before 0\non1 28\non2 28\noff 0\nagain 28\n" },
    /* The count goes on after re-arming: the third armed call. */
    { "fsync:3:EIO", "before 0\non1 0\non2 0\noff 0\nagain 5\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *arm = g_build_filename (f->tmp, "arm", NULL);
    g_autofree gchar *log = g_build_filename (f->tmp, "arm.log", NULL);
    g_autofree gchar *contents = NULL;
    g_autofree gchar *output = NULL;
    gint64 armed, disarmed, fault;

    g_test_message ("DVR_FAULT=%s", cases[i].spec);
    g_remove (log);
    g_remove (arm);   /* the last case left it armed */
    output = run_child_full (f, "fsync", cases[i].spec, TRUE, log, arm, TRUE);
    g_assert_cmpstr (output, ==, cases[i].expected);
    g_assert_true (g_file_get_contents (log, &contents, NULL, NULL));
    g_assert_cmpint (log_value (contents, "fsync", NULL, 2), ==, 3);
    armed = log_value (contents, "armed", NULL, 2);
    disarmed = log_value (contents, "disarmed", NULL, 2);
    fault = log_value (contents, "fault", "fsync", 5);
    g_assert_cmpint (armed, >, 0);
    g_assert_cmpint (disarmed, >, armed);
    g_assert_cmpint (fault, >=, armed);
  }
  {
    /* An ARM that never appears: the sticky fault never fires, nothing is
     * counted, and the log says it was never armed. */
    g_autofree gchar *log = g_build_filename (f->tmp, "never.log", NULL);
    g_autofree gchar *never = g_build_filename (f->tmp, "never-there", NULL);
    g_autofree gchar *contents = NULL;
    g_autofree gchar *output = run_child_full (f, "write", "write:1+:EIO", TRUE, log, never,
        FALSE);
    g_assert_cmpstr (output, ==, "in1 0\nin2 0\nout 0\nin3 0\nin4 0\n");
    g_assert_true (g_file_get_contents (log, &contents, NULL, NULL));
    g_assert_cmpint (log_value (contents, "write", NULL, 2), ==, 0);
    g_assert_cmpint (log_value (contents, "armed", NULL, 2), ==, 0);
  }
}

int
main (int argc, char **argv)
{
  if (argc == 5 && !strcmp (argv[1], "--child"))
    return child (argv[2], argv[3], argv[4]);
  if (argc == 5 && !strcmp (argv[1], "--child-arm"))
    return child_arm (argv[2], argv[3], argv[4]);

  g_test_init (&argc, &argv, NULL);
  if (!g_getenv ("DVR_FAULTSHIM")) {
    g_printerr ("DVR_FAULTSHIM is not set: run through meson test\n");
    return 77;
  }
  g_test_add ("/faultshim/nth-under-prefix", Fixture, NULL, fixture_set_up,
      test_nth_under_prefix, fixture_tear_down);
  g_test_add ("/faultshim/no-prefix", Fixture, NULL, fixture_set_up,
      test_no_prefix, fixture_tear_down);
  g_test_add ("/faultshim/sticky", Fixture, NULL, fixture_set_up,
      test_sticky, fixture_tear_down);
  g_test_add ("/faultshim/log", Fixture, NULL, fixture_set_up,
      test_log, fixture_tear_down);
  g_test_add ("/faultshim/arm", Fixture, NULL, fixture_set_up,
      test_arm, fixture_tear_down);
  return g_test_run ();
}
