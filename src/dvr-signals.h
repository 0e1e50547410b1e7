/* dvr-signals: the vehicle's named signals (ignition, lightbar, ...) and
 * their current states.
 *
 * Plain state, no I/O: the daemon sets a signal (from the control socket
 * today, from physical inputs later), and on a change writes it to the
 * catalog and hands the new states to every camera's metadata track.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DVR_SIGNALS_ERROR (dvr_signals_error_quark ())
GQuark dvr_signals_error_quark (void);

typedef enum {
  DVR_SIGNALS_ERROR_UNKNOWN, /* no signal of that name */
} DvrSignalsError;

typedef struct _DvrSignals DvrSignals;

/* @names in display order; every signal starts off, never changed. */
DvrSignals *dvr_signals_new (const gchar *const *names);
void dvr_signals_free (DvrSignals *signals);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvrSignals, dvr_signals_free)

guint dvr_signals_get_count (const DvrSignals *signals);
const gchar *dvr_signals_get_name (const DvrSignals *signals, guint index);
gboolean dvr_signals_get_value (const DvrSignals *signals, guint index);
/* UTC of the last change, or -1 if it never changed this run. */
gint64 dvr_signals_get_changed_utc_ns (const DvrSignals *signals, guint index);

/* Sets @name to @value at @utc_ns.  TRUE with *@changed FALSE when it
 * already had that value; FALSE with DVR_SIGNALS_ERROR_UNKNOWN (naming the
 * known signals) when there is no such signal. */
gboolean dvr_signals_set (DvrSignals *signals, const gchar *name, gboolean value,
                          gint64 utc_ns, gboolean *changed, GError **error);

/* The names of the signals that are on, in display order (NULL-terminated,
 * strings borrowed). */
const gchar **dvr_signals_dup_active (const DvrSignals *signals);

G_END_DECLS
