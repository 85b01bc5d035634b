// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Traces as Parquet (offline/export.h): an events file, one row per event with the columns of
 * the JSON-lines schema (format/evjson.h, README "JSON lines": same names, the same fields per
 * kind, NULL where JSON leaves a field out), a stacks file, one row per frame, keyed by
 * (trace_id, stack_id), and a traces file, one row per trace (its metadata). SPEC.md section 20
 * is the schema.
 *
 * Traces are read one at a time: each is written as its own row groups (a row group never
 * holds two traces), its strings borrowed from its tables until those row groups are written,
 * so memory is one row group per file plus one trace's tables. Strings that are not valid
 * UTF-8 (a damaged or hostile trace) are written with U+FFFD for each bad byte, as the JSON
 * outputs do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "offline/export.h"
#include "offline/parquet.h"
#include "util/err.h"
#include "util/jsonw.h"
#include "util/utf8.h"
#include "util/version.h"

/* The events file's columns: X(id, name, type, logical, optional). Add, never rename. */
#define PQX_EVENT_COLUMNS(X)                                                                       \
	X(TRACE_ID, "trace_id", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)                           \
	X(HOST, "host", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                    \
	X(TIME, "time", PQ_INT64, PQ_LOGICAL_TIMESTAMP_NS, true)                                   \
	X(TS, "ts", PQ_INT64, PQ_LOGICAL_UINT64, false)                                            \
	X(KIND, "kind", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)                                   \
	X(GOID, "goid", PQ_INT64, PQ_LOGICAL_UINT64, false)                                        \
	X(TID, "tid", PQ_INT64, PQ_LOGICAL_UINT64, false)                                          \
	X(CPU, "cpu", PQ_INT64, PQ_LOGICAL_UINT64, false)                                          \
	X(PARENT_GOID, "parent_goid", PQ_INT64, PQ_LOGICAL_UINT64, true)                           \
	X(START_FN, "start_fn", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                            \
	X(START_WRAPPER, "start_wrapper", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                  \
	X(START_PC, "start_pc", PQ_INT64, PQ_LOGICAL_UINT64, true)                                 \
	X(CREATE_FN, "create_fn", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                          \
	X(CREATE_PC, "create_pc", PQ_INT64, PQ_LOGICAL_UINT64, true)                               \
	X(FROM, "from", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                    \
	X(TO, "to", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                        \
	X(STATE, "state", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                  \
	X(REASON, "reason", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                \
	X(SIZE, "size", PQ_INT64, PQ_LOGICAL_UINT64, true)                                         \
	X(TYPE, "type", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                    \
	X(WEIGHT, "weight", PQ_INT64, PQ_LOGICAL_UINT64, true)                                     \
	X(GC, "gc", PQ_INT64, PQ_LOGICAL_UINT64, true)                                             \
	X(HEAP_LIVE, "heap_live", PQ_INT64, PQ_LOGICAL_UINT64, true)                               \
	X(HEAP_GOAL, "heap_goal", PQ_INT64, PQ_LOGICAL_UINT64, true)                               \
	X(TOTAL_ALLOC, "total_alloc", PQ_INT64, PQ_LOGICAL_UINT64, true)                           \
	X(TOTAL_FREE, "total_free", PQ_INT64, PQ_LOGICAL_UINT64, true)                             \
	X(COUNT, "count", PQ_INT64, PQ_LOGICAL_UINT64, true)                                       \
	X(OF, "of", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                        \
	X(IN, "in", PQ_BOOLEAN, PQ_LOGICAL_NONE, true)                                             \
	X(BUDGET_PPM, "budget_ppm", PQ_INT64, PQ_LOGICAL_UINT64, true)                             \
	X(WALK, "walk", PQ_BOOLEAN, PQ_LOGICAL_NONE, true)                                         \
	X(WAITED_NS, "waited_ns", PQ_INT64, PQ_LOGICAL_UINT64, true)                               \
	X(CREATED, "created", PQ_INT64, PQ_LOGICAL_UINT64, true)                                   \
	X(ALIVE, "alive", PQ_INT64, PQ_LOGICAL_UINT64, true)                                       \
	X(THREADS, "threads", PQ_INT64, PQ_LOGICAL_UINT64, true)                                   \
	X(GOMAXPROCS, "gomaxprocs", PQ_INT64, PQ_LOGICAL_UINT64, true)                             \
	X(RUNNABLE, "runnable", PQ_INT64, PQ_LOGICAL_UINT64, true)                                 \
	X(STACK_ID, "stack_id", PQ_INT64, PQ_LOGICAL_UINT64, true)                                 \
	X(STACK_TRUNCATED, "stack_truncated", PQ_BOOLEAN, PQ_LOGICAL_NONE, true)

/* The stacks file's columns. */
#define PQX_STACK_COLUMNS(X)                                                                       \
	X(S_TRACE_ID, "trace_id", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)                         \
	X(S_STACK_ID, "stack_id", PQ_INT64, PQ_LOGICAL_UINT64, false)                              \
	X(S_DEPTH, "depth", PQ_INT64, PQ_LOGICAL_UINT64, false)                                    \
	X(S_PC, "pc", PQ_INT64, PQ_LOGICAL_UINT64, false)                                          \
	X(S_FN, "fn", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)                                     \
	X(S_FILE, "file", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)                                 \
	X(S_LINE, "line", PQ_INT64, PQ_LOGICAL_UINT64, false)                                      \
	X(S_INLINED, "inlined", PQ_BOOLEAN, PQ_LOGICAL_NONE, false)                                \
	X(S_TRUNCATED, "truncated", PQ_BOOLEAN, PQ_LOGICAL_NONE, false)

/* The traces file's columns: a row per trace. */
#define PQX_TRACE_COLUMNS(X)                                                                       \
	X(T_TRACE_ID, "trace_id", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)                         \
	X(T_SOURCE, "source", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)                             \
	X(T_HOST, "host", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                  \
	X(T_STARTED, "started", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                            \
	X(T_START_TIME, "start_time", PQ_INT64, PQ_LOGICAL_TIMESTAMP_NS, true)                     \
	X(T_SPAN_NS, "span_ns", PQ_INT64, PQ_LOGICAL_UINT64, false)                                \
	X(T_EVENTS, "events", PQ_INT64, PQ_LOGICAL_UINT64, false)                                  \
	X(T_LOST, "lost", PQ_INT64, PQ_LOGICAL_UINT64, false)                                      \
	X(T_CLEAN, "clean", PQ_BOOLEAN, PQ_LOGICAL_NONE, false)                                    \
	X(T_DAMAGED, "damaged_chunks", PQ_INT64, PQ_LOGICAL_UINT64, false)                         \
	X(T_MODE, "mode", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                                  \
	X(T_BINARY, "binary", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                              \
	X(T_BUILD_ID, "build_id", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                          \
	X(T_GO_VERSION, "go_version", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                      \
	X(T_GO_ARCH, "go_arch", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                            \
	X(T_PID, "pid", PQ_INT64, PQ_LOGICAL_UINT64, true)                                         \
	X(T_CMDLINE, "cmdline", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                            \
	X(T_SAMPLE_BY, "sample_by", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true)                        \
	X(T_META, "meta", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, false)

/* Trace rows are written in row groups of this many traces; their strings are copies kept until
 * then. */
#define PQX_TRACES_PER_GROUP		       1024

#define PQX_ENUM(id, name, type, logical, opt) C_##id,
#define PQX_DEF(id, name, type, logical, opt)  {name, type, logical, opt},
enum { PQX_EVENT_COLUMNS(PQX_ENUM) C_EVENT_COLUMNS };
enum { PQX_STACK_COLUMNS(PQX_ENUM) C_STACK_COLUMNS };
enum { PQX_TRACE_COLUMNS(PQX_ENUM) C_TRACE_COLUMNS };
static const struct pq_column event_cols[] = {PQX_EVENT_COLUMNS(PQX_DEF)};
static const struct pq_column stack_cols[] = {PQX_STACK_COLUMNS(PQX_DEF)};
static const struct pq_column trace_cols[] = {PQX_TRACE_COLUMNS(PQX_DEF)};
#undef PQX_ENUM
#undef PQX_DEF

struct export_parquet {
	struct pq_writer *ev, *st, *tr;
	char **kept; /* the strings of the trace rows not written yet */
	size_t nkept, trace_rows;
	struct export_parquet_stats stats;
	/* the trace being written */
	const struct tf_tables *names;
	char **fixed; /* per string id: a UTF-8 copy of a string that is not valid UTF-8 */
	size_t nfixed;
	char trace_id[TF_TRACE_ID_LEN + 1];
	char *host;
	char numbers[256][4]; /* kinds and states that have no name, in decimal */
};

/* s with each byte that does not start a valid UTF-8 sequence as U+FFFD; NULL when s is valid
 * (or on allocation failure, with *err set). */
static char *utf8_fix(const char *s, size_t len, int *err)
{
	size_t i = 0, o = 0;
	bool bad = false;
	char *d;

	while (i < len) {
		size_t n = (unsigned char)s[i] < 0x80 ? 1 : utf8_seq_len(s + i, len - i);

		if (!n) {
			bad = true;
			break;
		}
		i += n;
	}
	if (!bad)
		return NULL;
	d = malloc(3 * len + 1);
	if (!d) {
		*err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < len;) {
		size_t n = (unsigned char)s[i] < 0x80 ? 1 : utf8_seq_len(s + i, len - i);

		if (n) {
			memcpy(d + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(d + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	d[o] = 0;
	return d;
}

struct export_parquet *export_parquet__new(FILE *events, FILE *stacks, FILE *traces,
					   uint32_t row_group_rows)
{
	struct export_parquet *x = calloc(1, sizeof(*x));
	char by[128];
	int err = 0;

	if (!x)
		return NULL;
	snprintf(by, sizeof(by), "xgotop version %s", xg_version);
	{
		PQ_WRITER_OPTS(o, .created_by = by, .row_group_rows = row_group_rows);

		x->ev = pq_writer__new(events, event_cols, C_EVENT_COLUMNS, &o);
		x->st = x->ev ? pq_writer__new(stacks, stack_cols, C_STACK_COLUMNS, &o) : NULL;
		o.row_group_rows = PQX_TRACES_PER_GROUP + 1; /* flushed here first */
		x->tr = x->st ? pq_writer__new(traces, trace_cols, C_TRACE_COLUMNS, &o) : NULL;
	}
	if (!x->tr) {
		err = errno;
		export_parquet__free(x);
		errno = err;
		return NULL;
	}
	err = pq_writer__set_kv(x->ev, "xgotop.table", "events");
	if (!err)
		err = pq_writer__set_kv(x->st, "xgotop.table", "stacks");
	if (!err)
		err = pq_writer__set_kv(x->tr, "xgotop.table", "traces");
	if (err) {
		export_parquet__free(x);
		errno = -err;
		return NULL;
	}
	for (int i = 0; i < 256; i++)
		snprintf(x->numbers[i], sizeof(x->numbers[i]), "%d", i);
	return x;
}

static void drop_trace(struct export_parquet *x)
{
	for (size_t i = 0; i < x->nfixed; i++)
		free(x->fixed[i]);
	free(x->fixed);
	x->fixed = NULL;
	x->nfixed = 0;
	free(x->host);
	x->host = NULL;
	x->names = NULL;
}

void export_parquet__free(struct export_parquet *x)
{
	if (!x)
		return;
	drop_trace(x);
	pq_writer__free(x->ev);
	pq_writer__free(x->st);
	pq_writer__free(x->tr);
	for (size_t i = 0; i < x->nkept; i++)
		free(x->kept[i]);
	free(x->kept);
	free(x);
}

static void put_id(struct export_parquet *x, struct pq_writer *w, size_t col, uint32_t id)
{
	if (id < x->nfixed && x->fixed[id])
		pq_writer__put_str(w, col, x->fixed[id], strlen(x->fixed[id]));
	else
		pq_writer__put_str(w, col, tf_tables__str(x->names, id),
				   tf_tables__str_len(x->names, id));
}

static void put_name(struct export_parquet *x, size_t col, const char *name, unsigned int num)
{
	if (!name)
		name = x->numbers[num & 0xff];
	pq_writer__put_str(x->ev, col, name, strlen(name));
}

static void put_nonzero(struct pq_writer *w, size_t col, uint64_t v)
{
	if (v)
		pq_writer__put_i64(w, col, (int64_t)v);
}

static int put_event(struct export_parquet *x, const struct xg_event *ev, bool have_wall,
		     int64_t wall)
{
	struct pq_writer *w = x->ev;

	pq_writer__put_str(w, C_TRACE_ID, x->trace_id, TF_TRACE_ID_LEN);
	if (x->host)
		pq_writer__put_str(w, C_HOST, x->host, strlen(x->host));
	if (have_wall)
		pq_writer__put_i64(w, C_TIME, (int64_t)((uint64_t)wall + ev->ts));
	pq_writer__put_i64(w, C_TS, (int64_t)ev->ts);
	put_name(x, C_KIND, xg_kind_name(ev->kind), ev->kind);
	pq_writer__put_i64(w, C_GOID, (int64_t)ev->goid);
	pq_writer__put_i64(w, C_TID, ev->tid);
	pq_writer__put_i64(w, C_CPU, ev->cpu);
	switch (ev->kind) {
	case XG_EV_GO_CREATE:
		pq_writer__put_i64(w, C_PARENT_GOID, (int64_t)ev->parent_goid);
		put_id(x, w, C_START_FN, ev->start_fn);
		if (ev->start_wrapper)
			put_id(x, w, C_START_WRAPPER, ev->start_wrapper);
		pq_writer__put_i64(w, C_START_PC, (int64_t)ev->start_pc);
		put_id(x, w, C_CREATE_FN, ev->create_fn);
		pq_writer__put_i64(w, C_CREATE_PC, (int64_t)ev->create_pc);
		break;
	case XG_EV_GO_STATE:
		put_name(x, C_FROM, xg_gstate_name(ev->from), ev->from);
		put_name(x, C_TO, xg_gstate_name(ev->to), ev->to);
		put_id(x, w, C_REASON, ev->reason);
		break;
	case XG_EV_ALLOC:
		pq_writer__put_i64(w, C_SIZE, (int64_t)ev->size);
		put_id(x, w, C_TYPE, ev->type);
		break;
	case XG_EV_ALLOC_SAMPLE:
		pq_writer__put_i64(w, C_SIZE, (int64_t)ev->size);
		put_id(x, w, C_TYPE, ev->type);
		pq_writer__put_i64(w, C_WEIGHT, (int64_t)ev->weight);
		break;
	case XG_EV_CPU_SAMPLE:
		put_nonzero(w, C_WEIGHT, ev->weight); /* none before format 1.5 */
		break;
	case XG_EV_GC_START:
	case XG_EV_GC_END:
	case XG_EV_HEAP:
		pq_writer__put_i64(w, C_GC, ev->gc);
		put_nonzero(w, C_HEAP_LIVE, ev->heap_live);
		put_nonzero(w, C_HEAP_GOAL, ev->heap_goal);
		put_nonzero(w, C_TOTAL_ALLOC, ev->total_alloc);
		put_nonzero(w, C_TOTAL_FREE, ev->total_free);
		break;
	case XG_EV_LOST:
		pq_writer__put_i64(w, C_COUNT, (int64_t)ev->count);
		put_name(x, C_OF, xg_kind_name(ev->of), ev->of);
		break;
	case XG_EV_WINDOW:
		put_name(x, C_OF, xg_kind_name(ev->of), ev->of);
		pq_writer__put_bool(w, C_IN, ev->count != 0);
		break;
	case XG_EV_BUDGET:
		pq_writer__put_i64(w, C_BUDGET_PPM, (int64_t)ev->count);
		break;
	case XG_EV_SNAPSHOT:
		if (!ev->goid) { /* the mark of a whole walk */
			pq_writer__put_bool(w, C_WALK, true);
			break;
		}
		put_name(x, C_STATE, xg_gstate_name(ev->to), ev->to);
		put_id(x, w, C_REASON, ev->reason);
		put_id(x, w, C_START_FN, ev->start_fn);
		if (ev->start_wrapper)
			put_id(x, w, C_START_WRAPPER, ev->start_wrapper);
		put_nonzero(w, C_WAITED_NS, ev->waited_ns);
		break;
	case XG_EV_SCHED:
		pq_writer__put_i64(w, C_CREATED, (int64_t)ev->created);
		pq_writer__put_i64(w, C_ALIVE, ev->alive);
		pq_writer__put_i64(w, C_THREADS, ev->threads);
		put_nonzero(w, C_GOMAXPROCS, ev->gomaxprocs);
		pq_writer__put_i64(w, C_RUNNABLE, ev->runnable);
		break;
	default:
		break;
	}
	if (ev->stack) {
		uint32_t n;
		const struct xg_frame *fr = tf_tables__stack(x->names, ev->stack, &n);

		pq_writer__put_i64(w, C_STACK_ID, ev->stack);
		if (n && (fr[n - 1].flags & XG_FRAME_TRUNCATED))
			pq_writer__put_bool(w, C_STACK_TRUNCATED, true);
	}
	return pq_writer__end_row(w);
}

static int put_stacks(struct export_parquet *x)
{
	uint32_t count = tf_tables__stack_count(x->names);
	struct pq_writer *w = x->st;
	int err = 0;

	for (uint32_t id = 1; id <= count && !err; id++) {
		uint32_t n;
		const struct xg_frame *fr = tf_tables__stack(x->names, id, &n);
		bool truncated = n && (fr[n - 1].flags & XG_FRAME_TRUNCATED);

		for (uint32_t i = 0; i < n && !err; i++) {
			pq_writer__put_str(w, C_S_TRACE_ID, x->trace_id, TF_TRACE_ID_LEN);
			pq_writer__put_i64(w, C_S_STACK_ID, id);
			pq_writer__put_i64(w, C_S_DEPTH, i);
			pq_writer__put_i64(w, C_S_PC, (int64_t)fr[i].pc);
			put_id(x, w, C_S_FN, fr[i].fn);
			put_id(x, w, C_S_FILE, fr[i].file);
			pq_writer__put_i64(w, C_S_LINE, fr[i].line);
			pq_writer__put_bool(w, C_S_INLINED, fr[i].flags & XG_FRAME_INLINED);
			pq_writer__put_bool(w, C_S_TRUNCATED, truncated);
			err = pq_writer__end_row(w);
			x->stats.frames++;
		}
		x->stats.stacks++;
	}
	return err;
}

/* Writes the trace rows buffered and frees their strings. */
static int flush_traces(struct export_parquet *x)
{
	int err = pq_writer__flush(x->tr);

	for (size_t i = 0; i < x->nkept; i++)
		free(x->kept[i]);
	x->nkept = 0;
	return err;
}

/* A UTF-8 copy of s kept until the trace rows are written; NULL with *err set. */
static const char *keep(struct export_parquet *x, const char *s, size_t len, int *err)
{
	char **k, *c;

	if (*err)
		return NULL;
	k = realloc(x->kept, (x->nkept + 1) * sizeof(*k));
	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	x->kept = k;
	c = utf8_fix(s, len, err);
	if (!c && !*err)
		c = strndup(s, len);
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	x->kept[x->nkept++] = c;
	return c;
}

static void put_kept(struct export_parquet *x, size_t col, const char *s, int *err)
{
	if (s && (s = keep(x, s, strlen(s), err)))
		pq_writer__put_str(x->tr, col, s, strlen(s));
}

/* META as one JSON object, "key": value in order (the same as `info --json`'s "meta"). */
static int meta_json(const struct tf_meta *m, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);
	struct jsonw *j;

	if (!f)
		return -errno;
	j = jsonw_new(f);
	if (!j) {
		fclose(f);
		free(*out);
		return -ENOMEM;
	}
	tf_meta__write_json(m, j);
	jsonw_free(j);
	if (fclose(f)) {
		free(*out);
		return -ENOMEM;
	}
	return 0;
}

static int put_trace(struct export_parquet *x, struct trace *t, uint64_t events)
{
	const struct tf_meta *m = tf_reader__meta(t->r);
	struct pq_writer *w = x->tr;
	struct tf_info info;
	char *json = NULL;
	size_t jlen = 0;
	int64_t v;
	int err = tf_reader__info(t->r, &info);

	if (err)
		return err;
	err = meta_json(m, &json, &jlen);
	if (err)
		return err;
	put_kept(x, C_T_TRACE_ID, x->trace_id, &err); /* x->trace_id is the next trace's soon */
	put_kept(x, C_T_SOURCE, t->name, &err);
	put_kept(x, C_T_HOST, tf_meta__str(m, TF_KEY_HOST), &err);
	put_kept(x, C_T_STARTED, tf_meta__str(m, TF_KEY_TARGET_STARTED), &err);
	if (tf_meta__int(m, TF_KEY_WALL_START_NS, &v))
		pq_writer__put_i64(w, C_T_START_TIME, v);
	pq_writer__put_i64(w, C_T_SPAN_NS, (int64_t)info.span_ns);
	pq_writer__put_i64(w, C_T_EVENTS, (int64_t)events);
	pq_writer__put_i64(w, C_T_LOST, (int64_t)info.lost);
	pq_writer__put_bool(w, C_T_CLEAN, info.clean);
	pq_writer__put_i64(w, C_T_DAMAGED, (int64_t)info.damaged);
	put_kept(x, C_T_MODE, tf_meta__str(m, TF_KEY_MODE), &err);
	put_kept(x, C_T_BINARY, tf_meta__str(m, TF_KEY_BINARY_PATH), &err);
	put_kept(x, C_T_BUILD_ID, tf_meta__str(m, TF_KEY_BINARY_BUILD_ID), &err);
	put_kept(x, C_T_GO_VERSION, tf_meta__str(m, TF_KEY_GO_VERSION), &err);
	put_kept(x, C_T_GO_ARCH, tf_meta__str(m, TF_KEY_GO_ARCH), &err);
	if (tf_meta__int(m, TF_KEY_TARGET_PID, &v))
		pq_writer__put_i64(w, C_T_PID, v);
	put_kept(x, C_T_CMDLINE, tf_meta__str(m, TF_KEY_TARGET_CMDLINE), &err);
	put_kept(x, C_T_SAMPLE_BY, tf_meta__str(m, TF_KEY_SAMPLE_BY), &err);
	if (!err && keep(x, json, jlen, &err))
		pq_writer__put_str(w, C_T_META, x->kept[x->nkept - 1],
				   strlen(x->kept[x->nkept - 1]));
	free(json);
	if (!err)
		err = pq_writer__end_row(w);
	if (!err && ++x->trace_rows % PQX_TRACES_PER_GROUP == 0)
		err = flush_traces(x);
	return err;
}

int export_parquet__add(struct export_parquet *x, struct trace *t)
{
	const struct tf_meta *m = tf_reader__meta(t->r);
	uint32_t nstr;
	const char *host;
	struct xg_event ev;
	int64_t wall = 0;
	uint64_t events0 = x->stats.events;
	bool have_wall;
	int err = 0;

	tf_meta__trace_id(m, x->trace_id);
	x->names = tf_reader__tables(t->r);
	nstr = tf_tables__str_count(x->names);
	x->fixed = calloc((size_t)nstr + 1, sizeof(*x->fixed));
	if (!x->fixed)
		return -ENOMEM;
	x->nfixed = (size_t)nstr + 1;
	for (uint32_t id = 1; id <= nstr && !err; id++)
		x->fixed[id] =
		    utf8_fix(tf_tables__str(x->names, id), tf_tables__str_len(x->names, id), &err);
	host = tf_meta__str(m, TF_KEY_HOST);
	if (host && !err) {
		x->host = utf8_fix(host, strlen(host), &err);
		if (!x->host && !err)
			x->host = strdup(host);
		if (!x->host && !err)
			err = -ENOMEM;
	}
	have_wall = tf_meta__int(m, TF_KEY_WALL_START_NS, &wall);
	while (!err && (err = tf_reader__next(t->r, &ev)) > 0) {
		err = put_event(x, &ev, have_wall, wall);
		x->stats.events++;
	}
	/* the strings of this trace are borrowed until its row groups are out */
	if (!err)
		err = pq_writer__flush(x->ev);
	if (!err)
		err = put_stacks(x);
	if (!err)
		err = pq_writer__flush(x->st);
	if (!err)
		err = put_trace(x, t, x->stats.events - events0);
	drop_trace(x);
	if (!err)
		x->stats.traces++;
	return err;
}

int export_parquet__close(struct export_parquet *x)
{
	int err = pq_writer__close(x->ev);

	if (!err)
		err = pq_writer__close(x->st);
	if (!err)
		err = flush_traces(x);
	if (!err)
		err = pq_writer__close(x->tr);
	return err;
}

void export_parquet__stats(const struct export_parquet *x, struct export_parquet_stats *st)
{
	struct pq_stats ps;

	*st = x->stats;
	pq_writer__stats(x->ev, &ps);
	st->row_groups = ps.row_groups;
	st->events_bytes = ps.bytes;
	pq_writer__stats(x->st, &ps);
	st->stacks_bytes = ps.bytes;
	pq_writer__stats(x->tr, &ps);
	st->traces_bytes = ps.bytes;
}
