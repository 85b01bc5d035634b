// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The probe budget's windows (format/windows.h). */
#include <string.h>

#include "format/windows.h"

void tf_windows__init(struct tf_windows *w)
{
	memset(w->events, 0, sizeof(w->events));
	tf_windows__restart(w);
}

void tf_windows__restart(struct tf_windows *w)
{
	memset(w->in_ns, 0, sizeof(w->in_ns));
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++)
		w->since[k] = UINT64_MAX;
}

void tf_windows__add(struct tf_windows *w, const struct xg_event *ev)
{
	unsigned int k = ev->of;

	if (k >= XG_EV_KIND_MAX || !xg_kind_name(k))
		return; /* (not a kind: nothing of the trace's is under it) */
	w->events[k]++;
	if (ev->count && w->since[k] == UINT64_MAX) {
		w->since[k] = ev->ts;
	} else if (!ev->count && w->since[k] != UINT64_MAX) {
		w->in_ns[k] += ev->ts > w->since[k] ? ev->ts - w->since[k] : 0;
		w->since[k] = UINT64_MAX;
	}
}

uint64_t tf_windows__in_ns(const struct tf_windows *w, unsigned int kind, uint64_t now)
{
	uint64_t in;

	if (kind >= XG_EV_KIND_MAX)
		return 0;
	in = w->in_ns[kind];
	if (w->since[kind] != UINT64_MAX && now > w->since[kind])
		in += now - w->since[kind];
	return in;
}
