// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trace-agree: what two traces of the same run say about each goroutine, side by side, for
 * tests/gotrace.test (xgotop's own recording against Go's execution trace of the same process,
 * imported). Both files are read with the format library; nothing is parsed from text.
 *
 *   trace-agree REFERENCE.xgt OTHER.xgt
 *
 * The window is the reference's span, placed on CLOCK_MONOTONIC by each file's clock.start_ns.
 * One JSON line per goroutine that either file knows in the window:
 *
 *   {"goid":N,"ref":SIDE|null,"other":SIDE|null}
 *   SIDE: {"created":true|false,"parent":N,"start_fn":"...","at":T,
 *          "states":[["waiting","reason",T],...]}
 *
 * created: a go_create inside the window (parent, start_fn and at, ns from the window's start,
 * are its). states: the goroutine's state at the window's start (its last state before it, or a
 * snapshot at that instant), then every change inside the window with its reason and time;
 * "dead" for an exit. Exit 0, or 1 with the error on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/event.h"
#include "format/meta.h"
#include "format/reader.h"
#include "format/tables.h"
#include "util/array.h"
#include "util/jsonw.h"
#include "util/u64map.h"

int main(int argc, char **argv);

struct change {
	uint8_t state;
	uint32_t reason;
	int64_t at;
};

struct side {
	uint64_t goid;
	bool created;
	uint64_t parent;
	uint32_t start_fn;
	int64_t created_at;
	uint8_t before; /* the state before the window; XG_G_STATE_MAX: none known */
	struct change *ch;
	size_t n, cap;
};

struct file {
	struct tf_reader *r;
	const struct tf_tables *t;
	int64_t start; /* clock.start_ns */
	struct u64map idx;
	struct side *g;
	size_t n, cap;
};

static struct side *side_of(struct file *f, uint64_t goid)
{
	uint64_t i;

	if (u64map_get(&f->idx, goid, &i))
		return &f->g[i];
	if (xg_array_grow((void **)&f->g, &f->cap, f->n + 1, sizeof(*f->g)))
		return NULL;
	if (u64map_put(&f->idx, goid, f->n))
		return NULL;
	memset(&f->g[f->n], 0, sizeof(f->g[0]));
	f->g[f->n].goid = goid;
	f->g[f->n].before = XG_G_STATE_MAX;
	return &f->g[f->n++];
}

static int add_change(struct side *s, uint8_t state, uint32_t reason, int64_t at)
{
	if (s->n && s->ch[s->n - 1].state == state)
		return 0;
	if (xg_array_grow((void **)&s->ch, &s->cap, s->n + 1, sizeof(*s->ch)))
		return -ENOMEM;
	s->ch[s->n++] = (struct change){state, reason, at};
	return 0;
}

static int load(struct file *f, const char *path)
{
	int64_t v;

	f->r = tf_reader__open(path, NULL);
	if (!f->r)
		return -errno;
	f->t = tf_reader__tables(f->r);
	if (!tf_meta__int(tf_reader__meta(f->r), TF_KEY_CLOCK_START_NS, &v)) {
		fprintf(stderr, "trace-agree: %s: no clock.start_ns\n", path);
		return -EINVAL;
	}
	f->start = v;
	return 0;
}

/* Reads f's goroutine events, keeping what falls in [a, b] (CLOCK_MONOTONIC ns). */
static int scan(struct file *f, int64_t a, int64_t b)
{
	struct xg_event ev;
	int n;

	while ((n = tf_reader__next(f->r, &ev)) > 0) {
		int64_t t = f->start + (int64_t)ev.ts;
		uint8_t state;
		struct side *s;

		switch (ev.kind) {
		case XG_EV_GO_CREATE:
			state = XG_G_RUNNABLE;
			break;
		case XG_EV_GO_EXIT:
			state = XG_G_DEAD;
			break;
		case XG_EV_GO_STATE:
		case XG_EV_SNAPSHOT:
			state = ev.to;
			break;
		default:
			continue;
		}
		if (t > b)
			break;
		s = side_of(f, ev.goid);
		if (!s)
			return -ENOMEM;
		if (t < a || (t == a && ev.kind == XG_EV_SNAPSHOT)) {
			s->before = state;
			continue;
		}
		if (ev.kind == XG_EV_GO_CREATE) {
			s->created = true;
			s->parent = ev.parent_goid;
			s->start_fn = ev.start_fn;
			s->created_at = t - a;
		}
		if (!s->n && !s->created && s->before != XG_G_STATE_MAX &&
		    add_change(s, s->before, 0, 0))
			return -ENOMEM;
		if (add_change(s, state, ev.kind == XG_EV_GO_STATE ? ev.reason : 0, t - a))
			return -ENOMEM;
	}
	return n;
}

static void print_side(struct jsonw *j, const struct file *f, const struct side *s)
{
	jsonw_start_object(j);
	jsonw_bool_field(j, "created", s->created);
	if (s->created) {
		jsonw_uint_field(j, "parent", s->parent);
		jsonw_string_field(j, "start_fn", tf_tables__str(f->t, s->start_fn));
		jsonw_int_field(j, "at", s->created_at);
	}
	jsonw_name(j, "states");
	jsonw_start_array(j);
	if (!s->n && s->before != XG_G_STATE_MAX) { /* unchanged through the window */
		jsonw_start_array(j);
		jsonw_string(j, xg_gstate_name(s->before) ?: "?");
		jsonw_string(j, "");
		jsonw_int(j, 0);
		jsonw_end_array(j);
	}
	for (size_t i = 0; i < s->n; i++) {
		jsonw_start_array(j);
		jsonw_string(j, xg_gstate_name(s->ch[i].state) ?: "?");
		jsonw_string(j, tf_tables__str(f->t, s->ch[i].reason));
		jsonw_int(j, s->ch[i].at);
		jsonw_end_array(j);
	}
	jsonw_end_array(j);
	jsonw_end_object(j);
}

/* Whether f says anything of s within the window. */
static bool known(const struct side *s)
{
	return s && (s->n || (s->before != XG_G_STATE_MAX && s->before != XG_G_DEAD));
}

int main(int argc, char **argv)
{
	struct file f[2] = {{0}};
	struct tf_info info;
	struct jsonw *j;
	int64_t a, b;
	int err = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: trace-agree REFERENCE.xgt OTHER.xgt\n");
		return 1;
	}
	for (int k = 0; k < 2 && !err; k++)
		err = load(&f[k], argv[1 + k]);
	if (!err)
		err = tf_reader__info(f[0].r, &info);
	if (err) {
		fprintf(stderr, "trace-agree: %s\n", strerror(-err));
		return 1;
	}
	a = f[0].start;
	b = f[0].start + (int64_t)info.span_ns;
	for (int k = 0; k < 2 && !err; k++)
		err = scan(&f[k], a, b);
	if (err < 0) {
		fprintf(stderr, "trace-agree: reading: %s\n", strerror(-err));
		return 1;
	}
	j = jsonw_new(stdout);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < f[k].n; i++) {
			struct side *s = &f[k].g[i], *o = NULL;
			uint64_t oi;

			if (k == 1 && u64map_get(&f[0].idx, s->goid, &oi) && known(&f[0].g[oi]))
				continue; /* printed with the reference's */
			if (u64map_get(&f[!k].idx, s->goid, &oi))
				o = &f[!k].g[oi];
			if (!known(s) && !known(o))
				continue;
			jsonw_start_object(j);
			jsonw_uint_field(j, "goid", s->goid);
			jsonw_name(j, "ref");
			if (known(k ? o : s))
				print_side(j, &f[0], k ? o : s);
			else
				jsonw_null(j);
			jsonw_name(j, "other");
			if (known(k ? s : o))
				print_side(j, &f[1], k ? s : o);
			else
				jsonw_null(j);
			jsonw_end_object(j);
			jsonw_newline(j);
		}
	}
	jsonw_free(j);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < f[k].n; i++)
			free(f[k].g[i].ch);
		free(f[k].g);
		u64map_free(&f[k].idx);
		tf_reader__close(f[k].r);
	}
	return fflush(stdout) ? 1 : 0;
}
