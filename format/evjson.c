// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Events as JSON lines. Each line is built in a buffer with hand-written number formatting and
 * written with one fwrite: printf per field made `--json` the slowest output by far.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format/evjson.h"
#include "util/jsonw.h"

struct jbuf {
	char *p;
	size_t len, cap;
	bool heap;
	char stack[2048];
};

/* Makes room for n more bytes; on allocation failure the line is cut short (and reported as
 * such by the caller writing what fits). */
static bool reserve(struct jbuf *b, size_t n)
{
	size_t ncap;
	char *np;

	if (b->len + n <= b->cap)
		return true;
	ncap = b->cap * 2;
	while (ncap < b->len + n)
		ncap *= 2;
	np = b->heap ? realloc(b->p, ncap) : malloc(ncap);
	if (!np)
		return false;
	if (!b->heap)
		memcpy(np, b->p, b->len);
	b->p = np;
	b->cap = ncap;
	b->heap = true;
	return true;
}

static void raw(struct jbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define RAW(b, lit) raw(b, lit, sizeof(lit) - 1)

static void u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	raw(b, tmp + sizeof(tmp) - n, (size_t)n);
}

static void hex(struct jbuf *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[20];
	int n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	RAW(b, "\"0x");
	raw(b, tmp + sizeof(tmp) - n, (size_t)n);
	RAW(b, "\"");
}

static void str(struct jbuf *b, const char *s, size_t len)
{
	if (!reserve(b, 6 * len + 2))
		return;
	b->p[b->len++] = '"';
	b->len += json_escape(b->p + b->len, s, len);
	b->p[b->len++] = '"';
}

/* ,"name": */
static void key(struct jbuf *b, const char *name)
{
	RAW(b, ",\"");
	raw(b, name, strlen(name));
	RAW(b, "\":");
}

static void put_u64(struct jbuf *b, const char *name, uint64_t v)
{
	key(b, name);
	u64(b, v);
}

static void put_hex(struct jbuf *b, const char *name, uint64_t v)
{
	key(b, name);
	hex(b, v);
}

static void put_str(struct jbuf *b, const char *name, const char *s)
{
	key(b, name);
	str(b, s, strlen(s));
}

static void put_id(struct jbuf *b, const char *name, const struct tf_tables *names, uint32_t id)
{
	key(b, name);
	str(b, tf_tables__str(names, id), tf_tables__str_len(names, id));
}

static void put_state(struct jbuf *b, const char *name, unsigned int state)
{
	const char *s = xg_gstate_name(state);

	if (s)
		put_str(b, name, s);
	else
		put_u64(b, name, state);
}

static void put_stack(struct jbuf *b, const struct tf_tables *names, uint32_t id)
{
	const struct xg_frame *fr;
	uint32_t n;

	if (!id)
		return;
	fr = tf_tables__stack(names, id, &n);
	RAW(b, ",\"stack\":[");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			RAW(b, ",");
		RAW(b, "{\"pc\":");
		hex(b, fr[i].pc);
		put_id(b, "fn", names, fr[i].fn);
		put_id(b, "file", names, fr[i].file);
		put_u64(b, "line", fr[i].line);
		if (fr[i].flags & XG_FRAME_INLINED)
			RAW(b, ",\"inlined\":true");
		RAW(b, "}");
	}
	RAW(b, "]");
	if (n && (fr[n - 1].flags & XG_FRAME_TRUNCATED))
		RAW(b, ",\"stack_truncated\":true");
}

static void put_heap(struct jbuf *b, const struct xg_event *ev)
{
	put_u64(b, "gc", ev->gc);
	if (ev->heap_live)
		put_u64(b, "heap_live", ev->heap_live);
	if (ev->heap_goal)
		put_u64(b, "heap_goal", ev->heap_goal);
	if (ev->total_alloc)
		put_u64(b, "total_alloc", ev->total_alloc);
	if (ev->total_free)
		put_u64(b, "total_free", ev->total_free);
}

void xg_event_write_json(FILE *f, const struct xg_event *ev, const struct tf_tables *names)
{
	struct jbuf b;
	const char *kind = xg_kind_name(ev->kind);

	b.p = b.stack;
	b.len = 0;
	b.cap = sizeof(b.stack);
	b.heap = false;

	RAW(&b, "{\"ts\":");
	u64(&b, ev->ts);
	if (kind)
		put_str(&b, "kind", kind);
	else
		put_u64(&b, "kind", ev->kind);
	put_u64(&b, "goid", ev->goid);
	put_u64(&b, "tid", ev->tid);
	put_u64(&b, "cpu", ev->cpu);

	switch (ev->kind) {
	case XG_EV_GO_CREATE:
		put_u64(&b, "parent_goid", ev->parent_goid);
		put_id(&b, "start_fn", names, ev->start_fn);
		if (ev->start_wrapper)
			put_id(&b, "start_wrapper", names, ev->start_wrapper);
		put_hex(&b, "start_pc", ev->start_pc);
		put_id(&b, "create_fn", names, ev->create_fn);
		put_hex(&b, "create_pc", ev->create_pc);
		break;
	case XG_EV_GO_STATE:
		put_state(&b, "from", ev->from);
		put_state(&b, "to", ev->to);
		put_id(&b, "reason", names, ev->reason);
		break;
	case XG_EV_ALLOC:
		put_u64(&b, "size", ev->size);
		put_id(&b, "type", names, ev->type);
		break;
	case XG_EV_ALLOC_SAMPLE:
		put_u64(&b, "size", ev->size);
		put_id(&b, "type", names, ev->type);
		put_u64(&b, "weight", ev->weight);
		break;
	case XG_EV_CPU_SAMPLE:
		if (ev->weight) /* none before format 1.5 */
			put_u64(&b, "weight", ev->weight);
		break;
	case XG_EV_GC_START:
	case XG_EV_GC_END:
	case XG_EV_HEAP:
		put_heap(&b, ev);
		break;
	case XG_EV_LOST: {
		const char *of = xg_kind_name(ev->of);

		put_u64(&b, "count", ev->count);
		if (of)
			put_str(&b, "of", of);
		else
			put_u64(&b, "of", ev->of);
		break;
	}
	case XG_EV_WINDOW: {
		const char *of = xg_kind_name(ev->of);

		if (of)
			put_str(&b, "of", of);
		else
			put_u64(&b, "of", ev->of);
		if (ev->count)
			RAW(&b, ",\"in\":true");
		else
			RAW(&b, ",\"in\":false");
		break;
	}
	case XG_EV_BUDGET:
		put_u64(&b, "budget_ppm", ev->count);
		break;
	case XG_EV_SNAPSHOT:
		if (!ev->goid) { /* the mark of a whole walk */
			RAW(&b, ",\"walk\":true");
			break;
		}
		put_state(&b, "state", ev->to);
		put_id(&b, "reason", names, ev->reason);
		put_id(&b, "start_fn", names, ev->start_fn);
		if (ev->start_wrapper)
			put_id(&b, "start_wrapper", names, ev->start_wrapper);
		if (ev->waited_ns)
			put_u64(&b, "waited_ns", ev->waited_ns);
		break;
	case XG_EV_SCHED:
		put_u64(&b, "created", ev->created);
		put_u64(&b, "alive", ev->alive);
		put_u64(&b, "threads", ev->threads);
		if (ev->gomaxprocs)
			put_u64(&b, "gomaxprocs", ev->gomaxprocs);
		put_u64(&b, "runnable", ev->runnable);
		break;
	default:
		break;
	}
	put_stack(&b, names, ev->stack);
	RAW(&b, "}\n");
	fwrite(b.p, 1, b.len, f);
	if (b.heap)
		free(b.p);
}
