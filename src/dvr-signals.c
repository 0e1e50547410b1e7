/* dvr-signals: the vehicle's named signals and their current states.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dvr-signals.h"

G_DEFINE_QUARK (dvr-signals-error-quark, dvr_signals_error)

typedef struct {
  gchar *name;
  gboolean value;
  gint64 changed_utc_ns;
} Signal;

struct _DvrSignals {
  GArray *signals; /* of Signal, display order */
};

static void
signal_clear (Signal *signal)
{
  g_free (signal->name);
}

DvrSignals *
dvr_signals_new (const gchar *const *names)
{
  DvrSignals *self = g_new0 (DvrSignals, 1);

  self->signals = g_array_new (FALSE, TRUE, sizeof (Signal));
  g_array_set_clear_func (self->signals, (GDestroyNotify) signal_clear);
  for (guint i = 0; names != NULL && names[i] != NULL; i++) {
    Signal signal = { .name = g_strdup (names[i]), .value = FALSE, .changed_utc_ns = -1 };
    g_array_append_val (self->signals, signal);
  }
  return self;
}

void
dvr_signals_free (DvrSignals *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->signals);
  g_free (self);
}

guint
dvr_signals_get_count (const DvrSignals *self)
{
  return self->signals->len;
}

const gchar *
dvr_signals_get_name (const DvrSignals *self, guint index)
{
  g_return_val_if_fail (index < self->signals->len, NULL);
  return g_array_index (self->signals, Signal, index).name;
}

gboolean
dvr_signals_get_value (const DvrSignals *self, guint index)
{
  g_return_val_if_fail (index < self->signals->len, FALSE);
  return g_array_index (self->signals, Signal, index).value;
}

gint64
dvr_signals_get_changed_utc_ns (const DvrSignals *self, guint index)
{
  g_return_val_if_fail (index < self->signals->len, -1);
  return g_array_index (self->signals, Signal, index).changed_utc_ns;
}

gboolean
dvr_signals_set (DvrSignals *self, const gchar *name, gboolean value, gint64 utc_ns,
                 gboolean *changed, GError **error)
{
  g_autoptr (GString) known = g_string_new (NULL);

  for (guint i = 0; i < self->signals->len; i++) {
    Signal *signal = &g_array_index (self->signals, Signal, i);
    if (g_strcmp0 (signal->name, name) != 0)
      continue;
    *changed = signal->value != !!value;
    if (*changed) {
      signal->value = !!value;
      signal->changed_utc_ns = utc_ns;
    }
    return TRUE;
  }
  for (guint i = 0; i < self->signals->len; i++)
    g_string_append_printf (known, "%s%s", i ? ", " : "",
        g_array_index (self->signals, Signal, i).name);
  g_set_error (error, DVR_SIGNALS_ERROR, DVR_SIGNALS_ERROR_UNKNOWN,
      "no signal \"%s\" (known: %s)", name, known->len ? known->str : "none");
  return FALSE;
}

const gchar **
dvr_signals_dup_active (const DvrSignals *self)
{
  GPtrArray *active = g_ptr_array_new ();

  for (guint i = 0; i < self->signals->len; i++) {
    const Signal *signal = &g_array_index (self->signals, Signal, i);
    if (signal->value)
      g_ptr_array_add (active, signal->name);
  }
  g_ptr_array_add (active, NULL);
  return (const gchar **) g_ptr_array_free (active, FALSE);
}
