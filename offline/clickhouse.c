// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `xgotop push` into ClickHouse (offline/clickhouse.h). Each table's columns are listed once
 * (the X-macros below): the CREATE TABLE, the INSERT's column list and the RowBinary rows all
 * come from that list, in its order.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "format/event.h"
#include "format/meta.h"
#include "format/reader.h"
#include "format/tables.h"
#include "offline/clickhouse.h"
#include "offline/open.h"
#include "offline/pb.h"
#include "sink/sink.h"
#include "util/err.h"
#include "util/version.h"

#define BATCH	     4096	 /* events read at a time */
#define REPLY_MAX    (16u << 20) /* bytes of a reply kept */
#define CLEAN_WAIT_S 120	 /* for an ALTER ... DELETE to finish */

/* Column types: on servers before 20.1 (old), and from 20.1 on (modern). */
enum ctype {
	T_STR, /* String; LowCardinality(String) on modern servers */
	T_U8,
	T_U16,
	T_U32,
	T_U64,
	T_DELTA, /* UInt64, CODEC(Delta, ZSTD) on modern servers */
	T_TIME,	 /* wall-clock ns: UInt64; DateTime64(9) CODEC(Delta, ZSTD) on modern servers */
	T_ARR,	 /* Array(String) */
};

/* xgotop_events: the JSON schema's fields (README "JSON lines"), 0 or "" where a kind has
 * none; stack_id keys xgotop_stacks. */
#define EVENT_COLS(X)                                                                              \
	X(TRACE_ID, trace_id, T_STR)                                                               \
	X(HOST, host, T_STR)                                                                       \
	X(TIME, time, T_TIME)                                                                      \
	X(TS, ts, T_DELTA)                                                                         \
	X(KIND, kind, T_STR)                                                                       \
	X(GOID, goid, T_U64)                                                                       \
	X(TID, tid, T_U32)                                                                         \
	X(CPU, cpu, T_U16)                                                                         \
	X(PARENT, parent_goid, T_U64)                                                              \
	X(START_FN, start_fn, T_STR)                                                               \
	X(START_WRAPPER, start_wrapper, T_STR)                                                     \
	X(START_PC, start_pc, T_U64)                                                               \
	X(CREATE_FN, create_fn, T_STR)                                                             \
	X(CREATE_PC, create_pc, T_U64)                                                             \
	X(FROM, from, T_STR)                                                                       \
	X(TO, to, T_STR)                                                                           \
	X(STATE, state, T_STR)                                                                     \
	X(REASON, reason, T_STR)                                                                   \
	X(SIZE, size, T_U64)                                                                       \
	X(TYPE, type, T_STR)                                                                       \
	X(WEIGHT, weight, T_U64)                                                                   \
	X(GC, gc, T_U32)                                                                           \
	X(HEAP_LIVE, heap_live, T_U64)                                                             \
	X(HEAP_GOAL, heap_goal, T_U64)                                                             \
	X(TOTAL_ALLOC, total_alloc, T_U64)                                                         \
	X(TOTAL_FREE, total_free, T_U64)                                                           \
	X(COUNT, count, T_U64)                                                                     \
	X(OF, of, T_STR)                                                                           \
	X(IN, in, T_U8)                                                                            \
	X(BUDGET_PPM, budget_ppm, T_U64)                                                           \
	X(WAITED_NS, waited_ns, T_U64)                                                             \
	X(WALK, walk, T_U8)                                                                        \
	X(CREATED, created, T_U64)                                                                 \
	X(ALIVE, alive, T_U32)                                                                     \
	X(THREADS, threads, T_U32)                                                                 \
	X(GOMAXPROCS, gomaxprocs, T_U32)                                                           \
	X(RUNNABLE, runnable, T_U32)                                                               \
	X(STACK_ID, stack_id, T_U32)

/* xgotop_stacks: one row per frame, innermost first (depth 0), as dump --json's stacks */
#define STACK_COLS(X)                                                                              \
	X(TRACE_ID, trace_id, T_STR)                                                               \
	X(STACK_ID, stack_id, T_U32)                                                               \
	X(DEPTH, depth, T_U16)                                                                     \
	X(PC, pc, T_U64)                                                                           \
	X(FN, fn, T_STR)                                                                           \
	X(FILE, file, T_STR)                                                                       \
	X(LINE, line, T_U32)                                                                       \
	X(INLINED, inlined, T_U8)                                                                  \
	X(TRUNCATED, truncated, T_U8)

/* xgotop_traces: one row per trace pushed whole */
#define TRACE_COLS(X)                                                                              \
	X(TRACE_ID, trace_id, T_STR)                                                               \
	X(HOST, host, T_STR)                                                                       \
	X(BINARY, binary, T_STR)                                                                   \
	X(BUILD_ID, build_id, T_STR)                                                               \
	X(GO_VERSION, go_version, T_STR)                                                           \
	X(GO_ARCH, go_arch, T_STR)                                                                 \
	X(MODE, mode, T_STR)                                                                       \
	X(STARTED, started, T_STR)                                                                 \
	X(START_TIME, start_time, T_TIME)                                                          \
	X(SPAN_NS, span_ns, T_U64)                                                                 \
	X(EVENTS, events, T_U64)                                                                   \
	X(LOST, lost, T_U64)                                                                       \
	X(SAMPLE_BY, sample_by, T_STR)                                                             \
	X(SOURCE, source, T_STR)                                                                   \
	X(PUSHED_BY, pushed_by, T_STR)                                                             \
	X(META_KEYS, meta_keys, T_ARR)                                                             \
	X(META_VALUES, meta_values, T_ARR)

struct col {
	const char *name;
	enum ctype type;
};

#define ENUM_EV(id, name, type) EV_##id,
#define ENUM_ST(id, name, type) ST_##id,
#define ENUM_TR(id, name, type) TR_##id,
#define COL(id, name, type)	{#name, type},
enum { EVENT_COLS(ENUM_EV) EV_NCOLS };
enum { STACK_COLS(ENUM_ST) ST_NCOLS };
enum { TRACE_COLS(ENUM_TR) TR_NCOLS };
static const struct col event_cols[] = {EVENT_COLS(COL)};
static const struct col stack_cols[] = {STACK_COLS(COL)};
static const struct col trace_cols[] = {TRACE_COLS(COL)};
#undef ENUM_EV
#undef ENUM_ST
#undef ENUM_TR
#undef COL

struct table {
	const char *name;
	const struct col *cols;
	int ncols;
	const char *order; /* ORDER BY */
};

static const struct table t_events = {"xgotop_events", event_cols, EV_NCOLS, "(trace_id, ts)"};
static const struct table t_stacks = {"xgotop_stacks", stack_cols, ST_NCOLS,
				      "(trace_id, stack_id, depth)"};
static const struct table t_traces = {"xgotop_traces", trace_cols, TR_NCOLS, "trace_id"};

/* --- RowBinary and SQL, into the exports' byte buffer (offline/pb.h) ----------------------- */

static void b_le(struct pb_buf *b, uint64_t v, size_t n)
{
	unsigned char t[8];

	for (size_t i = 0; i < n; i++)
		t[i] = (unsigned char)(v >> (8 * i));
	pb_raw(b, t, n);
}

/* A String: its length as a varint, its bytes. */
static void b_str(struct pb_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	pb_varint(b, n);
	pb_raw(b, s, n);
}

static void b_printf(struct pb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void b_printf(struct pb_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if (pb_buf__reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A value of a column of type t in RowBinary: u for numbers, s for strings. */
static void b_value(struct pb_buf *b, enum ctype t, uint64_t u, const char *s)
{
	switch (t) {
	case T_STR:
		b_str(b, s);
		break;
	case T_U8:
		b_le(b, u, 1);
		break;
	case T_U16:
		b_le(b, u, 2);
		break;
	case T_U32:
		b_le(b, u, 4);
		break;
	case T_U64:
	case T_DELTA:
	case T_TIME: /* UInt64 or DateTime64(9)'s Int64: the same 8 bytes for times after 1970 */
		b_le(b, u, 8);
		break;
	case T_ARR:
		break; /* written by the caller */
	}
}

/* --- requests ------------------------------------------------------------------------------ */

/* The server's message, trimmed to its first lines. */
static const char *server_msg(char *body)
{
	size_t n;

	if (!body)
		return "(no message)";
	n = strlen(body);
	while (n && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
		body[--n] = '\0';
	if (n > 600)
		strcpy(body + 597, "...");
	return body;
}

/* POST to the URL's path with its query (database, settings) and `&query=` insert when set. */
static int post(struct ch_conn *c, const char *insert, const void *body, size_t len, bool gz,
		char **out)
{
	char target[4096];
	size_t n;
	struct xg_http_reply r;
	int err;

	n = (size_t)snprintf(target, sizeof(target), "%s%s%s", c->url.path,
			     c->url.query[0] || insert ? "?" : "", c->url.query);
	if (insert) {
		n += (size_t)snprintf(target + n, sizeof(target) - n,
				      "%squery=", c->url.query[0] ? "&" : "");
		if (n < sizeof(target))
			n = xg_url_escape(target, n, sizeof(target), insert);
	}
	if (n >= sizeof(target))
		return xg_error(-E2BIG, "%s: request target too long", c->who);
	err = xg_http_post(&c->url, target, gz ? "Content-Encoding: gzip\r\n" : NULL, body, len,
			   c->timeout_ms, REPLY_MAX, &r);
	if (err)
		return err;
	if (r.status != 200) {
		err = xg_error(-EREMOTEIO, "ClickHouse at %s refused (HTTP %d): %s", c->who,
			       r.status, server_msg(r.body));
		free(r.body);
		return err;
	}
	if (out)
		*out = r.body;
	else
		free(r.body);
	return 0;
}

int ch_conn__query(struct ch_conn *c, const char *sql, char **out)
{
	return post(c, NULL, sql, strlen(sql), false, out);
}

/* A query whose answer is one unsigned number. */
static int query_u64(struct ch_conn *c, const char *sql, uint64_t *v)
{
	char *out = NULL, *end;
	int err = ch_conn__query(c, sql, &out);

	if (err)
		return err;
	errno = 0;
	*v = strtoull(out, &end, 10);
	if (end == out || errno || (*end && *end != '\n')) {
		err = xg_error(-EPROTO, "ClickHouse at %s: '%s' answered '%.80s', not a number",
			       c->who, sql, out);
	}
	free(out);
	return err;
}

/* gzip of in, into out. */
static int gzip(const struct pb_buf *in, struct pb_buf *out)
{
	z_stream z = {0};
	int zr;

	out->len = 0;
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	if (pb_buf__reserve(out, deflateBound(&z, in->len))) {
		deflateEnd(&z);
		return out->err;
	}
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	z.next_out = out->p;
	z.avail_out = (uInt)out->cap;
	zr = deflate(&z, Z_FINISH);
	out->len = out->cap - z.avail_out;
	deflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -EIO;
}

/* INSERT INTO table (its columns) FORMAT RowBinary with rows (gzip'ed into *gz). */
static int insert(struct ch_conn *c, const struct table *t, const struct pb_buf *rows,
		  struct pb_buf *gz, struct ch_push_stats *st)
{
	struct pb_buf q = {0};
	int err;

	if (!rows->len)
		return 0;
	b_printf(&q, "INSERT INTO %s (", t->name);
	for (int i = 0; i < t->ncols; i++)
		b_printf(&q, "%s`%s`", i ? ", " : "", t->cols[i].name);
	b_printf(&q, ") FORMAT RowBinary");
	pb_raw(&q, "", 1);
	err = q.err ?: gzip(rows, gz);
	if (!err)
		err = post(c, (const char *)q.p, gz->p, gz->len, true, NULL);
	if (!err)
		st->bytes += gz->len;
	pb_buf__free(&q);
	return err;
}

/* --- connecting ---------------------------------------------------------------------------- */

static const char *type_name(const struct ch_conn *c, enum ctype t)
{
	switch (t) {
	case T_STR:
		return c->modern ? "LowCardinality(String)" : "String";
	case T_U8:
		return "UInt8";
	case T_U16:
		return "UInt16";
	case T_U32:
		return "UInt32";
	case T_U64:
		return "UInt64";
	case T_DELTA:
		return c->modern ? "UInt64 CODEC(Delta, ZSTD)" : "UInt64";
	case T_TIME:
		return c->modern ? "DateTime64(9) CODEC(Delta, ZSTD)" : "UInt64";
	case T_ARR:
		return "Array(String)";
	}
	return "String";
}

static int create(struct ch_conn *c, const struct table *t)
{
	struct pb_buf q = {0};
	int err;

	b_printf(&q, "CREATE TABLE IF NOT EXISTS %s (", t->name);
	for (int i = 0; i < t->ncols; i++)
		b_printf(&q, "%s`%s` %s", i ? ", " : "", t->cols[i].name,
			 type_name(c, t->cols[i].type));
	b_printf(&q, ") ENGINE = MergeTree() ORDER BY %s", t->order);
	pb_raw(&q, "", 1);
	err = q.err ?: ch_conn__query(c, (const char *)q.p, NULL);
	pb_buf__free(&q);
	return err;
}

int ch_conn__open(struct ch_conn *c, const char *url)
{
	const char *eu = getenv("CLICKHOUSE_USER"), *ep = getenv("CLICKHOUSE_PASSWORD");
	char *v = NULL;
	unsigned int major = 0, minor = 0;
	int err;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = 60000;
	c->batch_rows = 262144;
	err = xg_url_parse(url, &c->url);
	if (err)
		return err;
	if (!c->url.has_user && eu && *eu) {
		snprintf(c->url.user, sizeof(c->url.user), "%s", eu);
		snprintf(c->url.password, sizeof(c->url.password), "%s", ep ? ep : "");
		c->url.has_user = 1;
	}
	if (!strcmp(c->url.port, "80") && !strchr(url + 7, ':'))
		strcpy(c->url.port, "8123"); /* ClickHouse's HTTP port when none is given */
	snprintf(c->who, sizeof(c->who), "%s:%s", c->url.host, c->url.port);
	err = ch_conn__query(c, "SELECT version()", &v);
	if (err)
		return err;
	snprintf(c->version, sizeof(c->version), "%s", server_msg(v));
	free(v);
	if (sscanf(c->version, "%u.%u", &major, &minor) != 2)
		return xg_error(-EPROTO, "ClickHouse at %s: version() answered '%s'", c->who,
				c->version);
	c->modern = major > 20 || (major == 20 && minor >= 1);
	err = create(c, &t_events);
	err = err ?: create(c, &t_stacks);
	err = err ?: create(c, &t_traces);
	return err;
}

/* --- pushing a trace ----------------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ctx {
	const char *id, *host;
	const struct tf_tables *names;
	uint64_t wall0; /* wall-clock ns at trace time 0; 0 when unknown */
};

/* name, or v in decimal (a state or kind this xgotop has no name for) into buf */
static const char *name_or_num(const char *name, unsigned int v, char *buf, size_t size)
{
	if (name)
		return name;
	snprintf(buf, size, "%u", v);
	return buf;
}

static void event_row(struct pb_buf *b, const struct ctx *x, const struct xg_event *ev)
{
	char b1[16], b2[16], b3[16];
	bool state = ev->kind == XG_EV_GO_STATE, snap = ev->kind == XG_EV_SNAPSHOT;

	for (int i = 0; i < EV_NCOLS; i++) {
		uint64_t u = 0;
		const char *s = "";

		switch (i) {
		case EV_TRACE_ID:
			s = x->id;
			break;
		case EV_HOST:
			s = x->host;
			break;
		case EV_TIME:
			u = x->wall0 ? x->wall0 + ev->ts : 0;
			break;
		case EV_TS:
			u = ev->ts;
			break;
		case EV_KIND:
			s = name_or_num(xg_kind_name(ev->kind), ev->kind, b1, sizeof(b1));
			break;
		case EV_GOID:
			u = ev->goid;
			break;
		case EV_TID:
			u = ev->tid;
			break;
		case EV_CPU:
			u = ev->cpu;
			break;
		case EV_PARENT:
			u = ev->parent_goid;
			break;
		case EV_START_FN:
			s = tf_tables__str(x->names, ev->start_fn);
			break;
		case EV_START_WRAPPER:
			s = tf_tables__str(x->names, ev->start_wrapper);
			break;
		case EV_START_PC:
			u = ev->start_pc;
			break;
		case EV_CREATE_FN:
			s = tf_tables__str(x->names, ev->create_fn);
			break;
		case EV_CREATE_PC:
			u = ev->create_pc;
			break;
		case EV_FROM:
			s = state ? name_or_num(xg_gstate_name(ev->from), ev->from, b2, sizeof(b2))
				  : "";
			break;
		case EV_TO:
			s = state ? name_or_num(xg_gstate_name(ev->to), ev->to, b3, sizeof(b3))
				  : "";
			break;
		case EV_STATE:
			s = snap && ev->goid
				? name_or_num(xg_gstate_name(ev->to), ev->to, b3, sizeof(b3))
				: "";
			break;
		case EV_REASON:
			s = tf_tables__str(x->names, ev->reason);
			break;
		case EV_SIZE:
			u = ev->size;
			break;
		case EV_TYPE:
			s = tf_tables__str(x->names, ev->type);
			break;
		case EV_WEIGHT:
			u = ev->weight;
			break;
		case EV_GC:
			u = ev->gc;
			break;
		case EV_HEAP_LIVE:
			u = ev->heap_live;
			break;
		case EV_HEAP_GOAL:
			u = ev->heap_goal;
			break;
		case EV_TOTAL_ALLOC:
			u = ev->total_alloc;
			break;
		case EV_TOTAL_FREE:
			u = ev->total_free;
			break;
		case EV_COUNT:
			u = ev->kind == XG_EV_LOST ? ev->count : 0;
			break;
		case EV_OF:
			s = ev->kind == XG_EV_LOST || ev->kind == XG_EV_WINDOW
				? name_or_num(xg_kind_name(ev->of), ev->of, b2, sizeof(b2))
				: "";
			break;
		case EV_IN:
			u = ev->kind == XG_EV_WINDOW && ev->count;
			break;
		case EV_BUDGET_PPM:
			u = ev->kind == XG_EV_BUDGET ? ev->count : 0;
			break;
		case EV_WAITED_NS:
			u = ev->waited_ns;
			break;
		case EV_WALK:
			u = snap && !ev->goid;
			break;
		case EV_CREATED:
			u = ev->created;
			break;
		case EV_ALIVE:
			u = ev->alive;
			break;
		case EV_THREADS:
			u = ev->threads;
			break;
		case EV_GOMAXPROCS:
			u = ev->gomaxprocs;
			break;
		case EV_RUNNABLE:
			u = ev->runnable;
			break;
		case EV_STACK_ID:
			u = ev->stack;
			break;
		}
		b_value(b, event_cols[i].type, u, s);
	}
}

static int push_stacks(struct ch_conn *c, const struct ctx *x, struct pb_buf *rows,
		       struct pb_buf *gz, struct ch_push_stats *st)
{
	uint32_t ns = tf_tables__stack_count(x->names), inrows = 0;
	int err = 0;

	rows->len = 0;
	for (uint32_t id = 1; id <= ns && !err; id++) {
		uint32_t n = 0;
		const struct xg_frame *f = tf_tables__stack(x->names, id, &n);

		for (uint32_t d = 0; d < n; d++) {
			b_value(rows, T_STR, 0, x->id);
			b_value(rows, T_U32, id, NULL);
			b_value(rows, T_U16, d, NULL);
			b_value(rows, T_U64, f[d].pc, NULL);
			b_value(rows, T_STR, 0, tf_tables__str(x->names, f[d].fn));
			b_value(rows, T_STR, 0, tf_tables__str(x->names, f[d].file));
			b_value(rows, T_U32, f[d].line, NULL);
			b_value(rows, T_U8, !!(f[d].flags & XG_FRAME_INLINED), NULL);
			b_value(rows, T_U8, !!(f[d].flags & XG_FRAME_TRUNCATED), NULL);
			inrows++;
		}
		st->frames += n;
		if (rows->err)
			return rows->err;
		if (inrows >= c->batch_rows || id == ns) {
			err = insert(c, &t_stacks, rows, gz, st);
			rows->len = 0;
			inrows = 0;
		}
	}
	return err;
}

static void progress(const struct ch_conn *c, const struct trace *t, const struct ch_push_stats *st,
		     double t0, double *last, bool done)
{
	double now = now_s();

	if (c->quiet || (!done && now - *last < 2.0))
		return;
	*last = now;
	fprintf(stderr,
		"xgotop push: %s: %" PRIu64 " events, %" PRIu64
		" frames in %.1f s (%.0f rows/s, %.1f MB sent)%s\n",
		t->name, st->events, st->frames, now - t0,
		now > t0 ? (double)(st->events + st->frames) / (now - t0) : 0,
		(double)st->bytes / 1e6, done ? "" : "...");
}

static int push_events(struct ch_conn *c, struct trace *t, const struct ctx *x, struct pb_buf *rows,
		       struct pb_buf *gz, struct ch_push_stats *st, double t0)
{
	struct xg_event *evs = calloc(BATCH, sizeof(*evs));
	uint32_t inrows = 0;
	double last = t0;
	long n;
	int err = 0;

	if (!evs)
		return -ENOMEM;
	rows->len = 0;
	while (!err && (n = tf_reader__read(t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < n; i++)
			event_row(rows, x, &evs[i]);
		if (rows->err) {
			err = rows->err;
			break;
		}
		inrows += (uint32_t)n;
		st->events += (uint64_t)n;
		if (inrows >= c->batch_rows) {
			err = insert(c, &t_events, rows, gz, st);
			rows->len = 0;
			inrows = 0;
			progress(c, t, st, t0, &last, false);
		}
	}
	if (!err && n < 0)
		err = (int)n;
	if (!err)
		err = insert(c, &t_events, rows, gz, st);
	free(evs);
	return err;
}

static int trace_row(struct ch_conn *c, struct trace *t, const struct ctx *x, struct pb_buf *rows,
		     struct pb_buf *gz, struct ch_push_stats *st)
{
	const struct tf_meta *m = tf_reader__meta(t->r);
	struct tf_info in;
	size_t nm = tf_meta__count(m);
	int err = tf_reader__info(t->r, &in);

	if (err)
		return err;
	rows->len = 0;
	for (int i = 0; i < TR_NCOLS; i++) {
		uint64_t u = 0;
		const char *s = "";

		switch (i) {
		case TR_TRACE_ID:
			s = x->id;
			break;
		case TR_HOST:
			s = x->host;
			break;
		case TR_BINARY:
			s = tf_meta__str(m, TF_KEY_BINARY_PATH);
			break;
		case TR_BUILD_ID:
			s = tf_meta__str(m, TF_KEY_BINARY_BUILD_ID);
			break;
		case TR_GO_VERSION:
			s = tf_meta__str(m, TF_KEY_GO_VERSION);
			break;
		case TR_GO_ARCH:
			s = tf_meta__str(m, TF_KEY_GO_ARCH);
			break;
		case TR_MODE:
			s = tf_meta__str(m, TF_KEY_MODE);
			break;
		case TR_STARTED:
			s = tf_meta__str(m, TF_KEY_TARGET_STARTED);
			break;
		case TR_START_TIME:
			u = x->wall0;
			break;
		case TR_SPAN_NS:
			u = in.span_ns;
			break;
		case TR_EVENTS:
			u = in.events;
			break;
		case TR_LOST:
			u = in.lost;
			break;
		case TR_SAMPLE_BY:
			s = tf_meta__str(m, TF_KEY_SAMPLE_BY);
			break;
		case TR_SOURCE:
			s = t->name;
			break;
		case TR_PUSHED_BY:
			s = xg_version;
			break;
		case TR_META_KEYS:
		case TR_META_VALUES:
			pb_varint(rows, nm);
			for (size_t k = 0; k < nm; k++) {
				const char *key, *sval;
				int64_t ival;
				char num[24];

				if (tf_meta__at(m, k, &key, &sval, &ival) == TF_META_INT) {
					snprintf(num, sizeof(num), "%" PRId64, ival);
					sval = num;
				}
				b_str(rows, i == TR_META_KEYS ? key : sval);
			}
			continue;
		}
		b_value(rows, trace_cols[i].type, u, s ? s : "");
	}
	return rows->err ?: insert(c, &t_traces, rows, gz, st);
}

/* Rows of trace id in table. */
static int rows_of(struct ch_conn *c, const char *table, const char *id, uint64_t *n)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT count() FROM %s WHERE trace_id = '%s'", table, id);
	return query_u64(c, q, n);
}

/* Deletes what an earlier push of trace id left without its traces row: in xgotop_stacks, and
 * in xgotop_events too unless keep_events. */
static int clean(struct ch_conn *c, const char *id, bool keep_events, struct ch_push_stats *st)
{
	const char *tables[] = {t_stacks.name, t_events.name};
	char q[256];
	int err = 0;

	for (int i = 0; i < (keep_events ? 1 : 2) && !err; i++) {
		uint64_t n = 0;
		double t0 = now_s();

		err = rows_of(c, tables[i], id, &n);
		if (err || !n)
			continue;
		st->cleaned += n;
		snprintf(q, sizeof(q), "ALTER TABLE %s DELETE WHERE trace_id = '%s'", tables[i],
			 id);
		err = ch_conn__query(c, q, NULL);
		/* the mutation runs in the background: wait until the rows are gone */
		while (!err && n) {
			if (now_s() - t0 > CLEAN_WAIT_S)
				return xg_error(
				    -ETIMEDOUT,
				    "ClickHouse at %s: the %" PRIu64 " rows of trace %s "
				    "an earlier push left in %s were not deleted within %d s",
				    c->who, n, id, tables[i], CLEAN_WAIT_S);
			usleep(100000);
			err = rows_of(c, tables[i], id, &n);
		}
	}
	return err;
}

/*
 * Whether xgotop_events already holds exactly the trace's events (a recording streamed them,
 * or a push failed after its last batch): the same number, the same sum of ts. Reads the
 * trace once and seeks it back to its start.
 */
static int events_there(struct ch_conn *c, struct trace *t, const char *id, bool *there)
{
	struct xg_event *evs;
	uint64_t n = 0, sum = 0, rn = 0, rsum = 0;
	char q[256];
	long k;
	int err;

	*there = false;
	err = rows_of(c, t_events.name, id, &rn);
	if (err || !rn)
		return err;
	snprintf(q, sizeof(q), "SELECT sum(ts) FROM %s WHERE trace_id = '%s'", t_events.name, id);
	err = query_u64(c, q, &rsum);
	if (err)
		return err;
	evs = calloc(BATCH, sizeof(*evs));
	if (!evs)
		return -ENOMEM;
	while ((k = tf_reader__read(t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < k; i++)
			sum += evs[i].ts;
		n += (uint64_t)k;
	}
	free(evs);
	err = k < 0 ? (int)k : tf_reader__seek(t->r, 0);
	*there = !err && n == rn && sum == rsum;
	return err;
}

int ch_conn__push(struct ch_conn *c, struct trace *t, struct ch_push_stats *st)
{
	const struct tf_meta *m = tf_reader__meta(t->r);
	char id[TF_TRACE_ID_LEN + 1];
	struct ctx x;
	struct pb_buf rows = {0}, gz = {0};
	double t0 = now_s(), last = 0;
	int64_t wall = 0;
	uint64_t n = 0;
	bool streamed = false;
	int err;

	memset(st, 0, sizeof(*st));
	tf_meta__trace_id(m, id);
	x.id = id;
	x.host = tf_meta__str(m, TF_KEY_HOST) ? tf_meta__str(m, TF_KEY_HOST) : "";
	x.names = tf_reader__tables(t->r);
	x.wall0 = tf_meta__int(m, TF_KEY_WALL_START_NS, &wall) && wall > 0 ? (uint64_t)wall : 0;
	err = rows_of(c, t_traces.name, id, &n);
	if (!err && n) {
		st->skipped = true;
		return 0;
	}
	err = err ?: events_there(c, t, id, &streamed);
	err = err ?: clean(c, id, streamed, st);
	err = err ?: push_stacks(c, &x, &rows, &gz, st);
	if (!err && !streamed)
		err = push_events(c, t, &x, &rows, &gz, st, t0);
	st->streamed = streamed;
	/* last: the mark that the trace is there whole */
	err = err ?: trace_row(c, t, &x, &rows, &gz, st);
	st->seconds = now_s() - t0;
	if (!err)
		progress(c, t, st, t0, &last, true);
	pb_buf__free(&rows);
	pb_buf__free(&gz);
	return err;
}

/* --- streaming while recording ------------------------------------------------------------ */

#define STREAM_FLUSH_NS 1000000000ull /* a batch at least every second of trace time */
#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	30000

struct batch {
	struct batch *next;
	struct pb_buf rows;
	uint64_t n;
};

struct ch_stream {
	struct sink sink;
	struct ch_conn *c;
	struct ctx x;
	char id[TF_TRACE_ID_LEN + 1];
	struct batch *cur; /* filling, on the source's thread */
	uint64_t cur_ts;   /* ts of cur's first row */
	bool given_up;	   /* over the limit: nothing more is sent */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;
	struct batch *head, *tail; /* waiting to be sent */
	size_t waiting;		   /* bytes of rows in them */
	bool stop;		   /* end(): send what waits, then exit; stop_now: exit */
	bool stop_now;
	struct ch_stream_stats st;
};

static void batch_free(struct batch *b)
{
	if (b) {
		pb_buf__free(&b->rows);
		free(b);
	}
}

static void *stream_thread(void *arg)
{
	struct ch_stream *s = arg;
	struct pb_buf gz = {0};
	struct ch_push_stats ps = {0};
	int backoff = 0;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct batch *b;
		int err;

		while (!s->head && !s->stop && !s->stop_now)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->stop_now || !s->head)
			break;
		b = s->head;
		pthread_mutex_unlock(&s->lock);
		err = insert(s->c, &t_events, &b->rows, &gz, &ps);
		pthread_mutex_lock(&s->lock);
		if (!err) {
			s->head = b->next;
			if (!s->head)
				s->tail = NULL;
			s->waiting -= b->rows.len;
			s->st.rows_sent += b->n;
			s->st.batches_sent++;
			batch_free(b);
			backoff = 0;
			pthread_cond_broadcast(&s->cond); /* end() waits for the queue to empty */
			continue;
		}
		s->st.failures++;
		snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", xg_errmsg());
		backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
		if (backoff > BACKOFF_MAX_MS)
			backoff = BACKOFF_MAX_MS;
		{
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += backoff / 1000;
			until.tv_nsec += (long)(backoff % 1000) * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			while (!s->stop_now &&
			       pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT)
				;
		}
	}
	pthread_mutex_unlock(&s->lock);
	pb_buf__free(&gz);
	return NULL;
}

/* Hands the filling batch to the thread, or drops it past the limit. */
static void stream_flush(struct ch_stream *s)
{
	struct batch *b = s->cur;

	s->cur = NULL;
	if (!b || !b->n) {
		batch_free(b);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (s->given_up || s->waiting + b->rows.len > CH_STREAM_MAX_BYTES || b->rows.err) {
		s->given_up = true;
		s->st.rows_dropped += b->n;
		batch_free(b);
	} else {
		if (s->tail)
			s->tail->next = b;
		else
			s->head = b;
		s->tail = b;
		s->waiting += b->rows.len;
		pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
}

static int stream_begin(struct sink *sk, const struct sink_info *info)
{
	struct ch_stream *s = (struct ch_stream *)sk;
	int64_t wall = 0;

	tf_meta__trace_id(info->meta, s->id);
	s->x.id = s->id;
	s->x.host =
	    tf_meta__str(info->meta, TF_KEY_HOST) ? tf_meta__str(info->meta, TF_KEY_HOST) : "";
	s->x.names = info->names;
	s->x.wall0 =
	    tf_meta__int(info->meta, TF_KEY_WALL_START_NS, &wall) && wall > 0 ? (uint64_t)wall : 0;
	if (pthread_create(&s->thread, NULL, stream_thread, s))
		s->given_up = true; /* the push at the end sends it all */
	else
		s->started = true;
	return 0;
}

static int stream_event(struct sink *sk, const struct xg_event *ev)
{
	struct ch_stream *s = (struct ch_stream *)sk;

	if (s->given_up)
		return 0;
	if (!s->cur) {
		s->cur = calloc(1, sizeof(*s->cur));
		if (!s->cur) {
			s->given_up = true;
			return 0;
		}
		s->cur_ts = ev->ts;
	}
	event_row(&s->cur->rows, &s->x, ev);
	s->cur->n++;
	if (s->cur->n >= s->c->batch_rows || ev->ts - s->cur_ts >= STREAM_FLUSH_NS)
		stream_flush(s);
	return 0;
}

static int stream_tick(struct sink *sk, const struct sink_status *st)
{
	struct ch_stream *s = (struct ch_stream *)sk;

	if (s->cur && st->now_ts >= s->cur_ts + STREAM_FLUSH_NS)
		stream_flush(s);
	return 0;
}

static void stream_end(struct sink *sk, const struct sink_status *st)
{
	struct ch_stream *s = (struct ch_stream *)sk;
	struct timespec until;

	(void)st;
	stream_flush(s);
	if (!s->started)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CH_STREAM_END_S;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->cond);
	/* the thread sends what waits; a batch still failing at the deadline is left */
	while (s->head && pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT)
		;
	s->stop_now = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->started = false;
	for (struct batch *b = s->head, *n; b; b = n) {
		n = b->next;
		s->st.rows_dropped += b->n;
		batch_free(b);
	}
	s->head = s->tail = NULL;
}

static void stream_free(struct sink *sk)
{
	struct ch_stream *s = (struct ch_stream *)sk;

	if (!s)
		return;
	if (s->started)
		stream_end(sk, NULL);
	batch_free(s->cur);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static const struct sink_ops stream_ops = {
    .name = "clickhouse",
    .begin = stream_begin,
    .event = stream_event,
    .tick = stream_tick,
    .end = stream_end,
    .free = stream_free,
};

struct sink *ch_stream__new(struct ch_conn *c)
{
	struct ch_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sink.ops = &stream_ops;
	s->c = c;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	return &s->sink;
}

void ch_stream__stats(struct sink *sk, struct ch_stream_stats *st)
{
	struct ch_stream *s = (struct ch_stream *)sk;

	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}
