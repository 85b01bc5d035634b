/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe budget's windows (window events, SPEC.md section 10), per kind: how many window
 * events named it (none: the kind is not under a budget, its events are whole) and how long
 * its probes were in. The one reading of window events; info (format/reader.c) and the
 * goroutine model (model/) keep one each.
 *
 *	struct tf_windows w;
 *	tf_windows__init(&w);
 *	for each event: if (ev.kind == XG_EV_WINDOW) tf_windows__add(&w, &ev);
 *	in = tf_windows__in_ns(&w, XG_EV_GO_CREATE, span);
 *
 * An "in" while in, or an "out" while out, changes nothing; a window event about no kind is
 * ignored.
 */
#ifndef XG_FORMAT_WINDOWS_H
#define XG_FORMAT_WINDOWS_H

#include <stdint.h>

#include "format/event.h"

struct tf_windows {
	uint64_t events[XG_EV_KIND_MAX]; /* window events about each kind */
	uint64_t in_ns[XG_EV_KIND_MAX];	 /* time in, in the windows that ended */
	uint64_t since[XG_EV_KIND_MAX];	 /* when the current window began; UINT64_MAX: out */
};

/* No kind under a budget yet. */
void tf_windows__init(struct tf_windows *w);
/* The time in forgotten and every kind out until its next window event (a seek); which kinds
 * are under a budget is kept. */
void tf_windows__restart(struct tf_windows *w);
/* A window event (ev->kind XG_EV_WINDOW). */
void tf_windows__add(struct tf_windows *w, const struct xg_event *ev);
/* The time kind's probes were in up to now (the current window counted to now). */
uint64_t tf_windows__in_ns(const struct tf_windows *w, unsigned int kind, uint64_t now);

#endif /* XG_FORMAT_WINDOWS_H */
