// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <string.h>

#include "format/evjson.h"
#include "util/jsonw.h"

static void put_u64(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, ",\"%s\":%" PRIu64, name, v);
}

static void put_hex(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, ",\"%s\":\"0x%" PRIx64 "\"", name, v);
}

static void put_str(FILE *f, const char *name, const char *s)
{
	fprintf(f, ",\"%s\":", name);
	json_put_string(f, s, strlen(s));
}

static void put_id(FILE *f, const char *name, const struct tf_tables *names, uint32_t id)
{
	put_str(f, name, tf_tables__str(names, id));
}

static void put_state(FILE *f, const char *name, unsigned int state)
{
	const char *s = xg_gstate_name(state);

	if (s)
		put_str(f, name, s);
	else
		put_u64(f, name, state);
}

static void put_stack(FILE *f, const struct tf_tables *names, uint32_t id)
{
	const struct xg_frame *fr;
	uint32_t n;

	if (!id)
		return;
	fr = tf_tables__stack(names, id, &n);
	fprintf(f, ",\"stack\":[");
	for (uint32_t i = 0; i < n; i++) {
		const char *fn = tf_tables__str(names, fr[i].fn);
		const char *file = tf_tables__str(names, fr[i].file);

		fprintf(f, "%s{\"pc\":\"0x%" PRIx64 "\",\"fn\":", i ? "," : "", fr[i].pc);
		json_put_string(f, fn, strlen(fn));
		fputs(",\"file\":", f);
		json_put_string(f, file, strlen(file));
		fprintf(f, ",\"line\":%u}", fr[i].line);
	}
	fputc(']', f);
}

static void put_heap(FILE *f, const struct xg_event *ev)
{
	put_u64(f, "gc", ev->gc);
	if (ev->heap_live)
		put_u64(f, "heap_live", ev->heap_live);
	if (ev->heap_goal)
		put_u64(f, "heap_goal", ev->heap_goal);
	if (ev->total_alloc)
		put_u64(f, "total_alloc", ev->total_alloc);
	if (ev->total_free)
		put_u64(f, "total_free", ev->total_free);
}

void xg_event_write_json(FILE *f, const struct xg_event *ev, const struct tf_tables *names)
{
	const char *kind = xg_kind_name(ev->kind);

	fprintf(f, "{\"ts\":%" PRIu64 ",\"kind\":", ev->ts);
	if (kind)
		fprintf(f, "\"%s\"", kind);
	else
		fprintf(f, "%u", ev->kind);
	put_u64(f, "goid", ev->goid);
	put_u64(f, "tid", ev->tid);
	put_u64(f, "cpu", ev->cpu);

	switch (ev->kind) {
	case XG_EV_GO_CREATE:
		put_u64(f, "parent_goid", ev->parent_goid);
		put_id(f, "start_fn", names, ev->start_fn);
		put_hex(f, "start_pc", ev->start_pc);
		put_id(f, "create_fn", names, ev->create_fn);
		put_hex(f, "create_pc", ev->create_pc);
		break;
	case XG_EV_GO_STATE:
		put_state(f, "from", ev->from);
		put_state(f, "to", ev->to);
		put_id(f, "reason", names, ev->reason);
		break;
	case XG_EV_ALLOC:
		put_u64(f, "size", ev->size);
		put_id(f, "type", names, ev->type);
		break;
	case XG_EV_ALLOC_SAMPLE:
		put_u64(f, "size", ev->size);
		put_id(f, "type", names, ev->type);
		put_u64(f, "weight", ev->weight);
		break;
	case XG_EV_GC_START:
	case XG_EV_GC_END:
	case XG_EV_HEAP:
		put_heap(f, ev);
		break;
	case XG_EV_LOST: {
		const char *of = xg_kind_name(ev->of);

		put_u64(f, "count", ev->count);
		if (of)
			put_str(f, "of", of);
		else
			put_u64(f, "of", ev->of);
		break;
	}
	case XG_EV_SNAPSHOT:
		put_state(f, "state", ev->to);
		put_id(f, "reason", names, ev->reason);
		put_id(f, "start_fn", names, ev->start_fn);
		break;
	default:
		break;
	}
	put_stack(f, names, ev->stack);
	fputs("}\n", f);
}
