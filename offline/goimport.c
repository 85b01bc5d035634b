// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/event.h"
#include "format/gotrace.h"
#include "format/meta.h"
#include "format/writer.h"
#include "offline/goimport.h"
#include "util/array.h"
#include "util/err.h"
#include "util/u64map.h"
#include "util/version.h"

/* Go's states as xgotop's (format/event.h); NotExist is dead. */
static const uint8_t gstate_of[] = {
    [GOTRACE_G_UNDETERMINED] = XG_G_IDLE, [GOTRACE_G_NOT_EXIST] = XG_G_DEAD,
    [GOTRACE_G_RUNNABLE] = XG_G_RUNNABLE, [GOTRACE_G_RUNNING] = XG_G_RUNNING,
    [GOTRACE_G_WAITING] = XG_G_WAITING,	  [GOTRACE_G_SYSCALL] = XG_G_SYSCALL,
};

/* A Go event without an xgotop counterpart, counted under this name. */
struct unmapped {
	char name[64];
	uint64_t n;
};

struct imp {
	struct gotrace *gt;
	struct tf_writer *w;
	struct goimport_result *res;
	int64_t t0;	      /* Go time of trace time 0 */
	uint64_t last_ts;     /* the latest event's ts, or the end's */
	struct u64map stacks; /* the generation's Go stack id -> stack id in the file */
	struct xg_frame *frames;
	size_t frames_cap;
	uint64_t kinds[XG_EV_KIND_MAX];
	uint32_t gc;		       /* GC cycles begun */
	uint64_t heap_live, heap_goal; /* the last metrics */
	struct unmapped *un;
	size_t nun, un_cap;
	uint64_t h1, h2; /* FNV-1a over the events read: the trace's identity */
	/* Go 1.25+: the first generation's clock snapshot */
	bool has_clock;
	int64_t clock_time;
	uint64_t clock_mono;
	int64_t wall_sec, wall_nsec;
};

static void hash_u64(struct imp *m, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8) {
		m->h1 = (m->h1 ^ (v & 0xff)) * 0x100000001b3ULL;
		m->h2 = (m->h2 ^ (v & 0xff)) * 0x100000001b3ULL;
	}
}

static void hash_str(struct imp *m, struct gotrace_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		m->h1 = (m->h1 ^ (uint8_t)s.s[i]) * 0x100000001b3ULL;
		m->h2 = (m->h2 ^ (uint8_t)s.s[i]) * 0x100000001b3ULL;
	}
	hash_u64(m, s.len);
}

static int count_unmapped(struct imp *m, const char *what, const char *detail, size_t dlen)
{
	char name[64];
	size_t i;

	if (detail)
		snprintf(name, sizeof(name), "%s(%.*s)", what, (int)(dlen > 40 ? 40 : dlen),
			 detail);
	else
		snprintf(name, sizeof(name), "%s", what);
	for (i = 0; i < m->nun; i++)
		if (!strcmp(m->un[i].name, name)) {
			m->un[i].n++;
			return 0;
		}
	if (m->nun >= 256) /* a damaged or hostile trace naming ranges without end */
		return count_unmapped(m, "Other", NULL, 0);
	if (xg_array_grow((void **)&m->un, &m->un_cap, m->nun + 1, sizeof(*m->un)))
		return -ENOMEM;
	snprintf(m->un[m->nun].name, sizeof(m->un[m->nun].name), "%s", name);
	m->un[m->nun++].n = 1;
	return 0;
}

static uint32_t intern(struct imp *m, struct gotrace_str s)
{
	return s.len ? tf_writer__intern(m->w, s.s, s.len) : 0;
}

/* The file's id of a Go stack (0 for none): frames innermost first, inlined calls marked (Go
 * expands them, each at the pc of the call they are inlined into). */
static int stack_id(struct imp *m, const struct gotrace_stack *st, uint32_t *id)
{
	uint64_t v;

	*id = 0;
	if (!st->n)
		return 0;
	if (st->id && u64map_get(&m->stacks, st->id, &v)) {
		*id = (uint32_t)v;
		return 0;
	}
	if (xg_array_grow((void **)&m->frames, &m->frames_cap, st->n, sizeof(*m->frames)))
		return -ENOMEM;
	for (size_t i = 0; i < st->n; i++) {
		const struct gotrace_frame *g = &st->frames[i];
		struct xg_frame *f = &m->frames[i];

		memset(f, 0, sizeof(*f));
		f->pc = g->pc;
		f->fn = intern(m, g->func);
		f->file = intern(m, g->file);
		f->line = g->line > UINT32_MAX ? 0 : (uint32_t)g->line;
		if (i + 1 < st->n && st->frames[i + 1].pc == g->pc &&
		    (st->frames[i + 1].func.len != g->func.len ||
		     memcmp(st->frames[i + 1].func.s, g->func.s, g->func.len) != 0))
			f->flags = XG_FRAME_INLINED;
		if ((g->func.len && !f->fn) || (g->file.len && !f->file))
			return -errno;
	}
	*id = tf_writer__intern_stack(m->w, m->frames, (uint32_t)st->n);
	if (!*id)
		return -errno;
	if (st->id && u64map_put(&m->stacks, st->id, *id))
		return -ENOMEM;
	return 0;
}

/* Appends e at trace time ts. */
static int emit_at(struct imp *m, struct xg_event *e, const struct gotrace_event *ev, uint64_t ts)
{
	int err;

	e->ts = ts;
	e->tid = ev->m > 0 && ev->m <= UINT32_MAX ? (uint32_t)ev->m : 0;
	err = tf_writer__append(m->w, e);
	if (err)
		return err;
	m->kinds[e->kind]++;
	if (e->ts > m->last_ts)
		m->last_ts = e->ts;
	m->res->events++;
	return 0;
}

static int emit(struct imp *m, struct xg_event *e, const struct gotrace_event *ev)
{
	return emit_at(m, e, ev, ev->time > m->t0 ? (uint64_t)(ev->time - m->t0) : 0);
}

static int goroutine(struct imp *m, const struct gotrace_event *ev)
{
	uint8_t from = ev->transition.from, to = ev->transition.to;
	const struct gotrace_stack *ts = &ev->transition.stack;
	struct xg_event e = {.goid = (uint64_t)ev->transition.id};
	int err;

	if (from > GOTRACE_G_SYSCALL || to > GOTRACE_G_SYSCALL)
		return count_unmapped(m, "GoroutineTransition", "bad state", 9);
	if (from == to) /* a generation restating what was known */
		return 0;
	if (from == GOTRACE_G_UNDETERMINED) {
		/* alive when tracing began: Go 1.23+ gives a waiting one's stack */
		const struct gotrace_stack *st = ev->stack.n ? &ev->stack : ts;

		e.kind = XG_EV_SNAPSHOT;
		e.to = gstate_of[to];
		/* Go states it when the goroutine first acts, or at the generation's end; it was
		 * in this state when tracing began: at trace time 0, for the writer to sort in
		 * (its window holds 32 Ki events; past that it is raised, and counted late) */
		e.ts = 0;
		e.reason = intern(m, ev->transition.reason);
		err = stack_id(m, st, &e.stack);
		if (!err && st->n)
			e.start_fn = intern(m, st->frames[st->n - 1].func);
		return err ?: emit_at(m, &e, ev, 0);
	}
	if (from == GOTRACE_G_NOT_EXIST && to != GOTRACE_G_SYSCALL) {
		e.kind = XG_EV_GO_CREATE;
		e.parent_goid = ev->g > 0 ? (uint64_t)ev->g : 0;
		err = stack_id(m, &ev->stack, &e.stack);
		if (err)
			return err;
		if (ev->stack.n) {
			e.create_pc = ev->stack.frames[0].pc;
			e.create_fn = intern(m, ev->stack.frames[0].func);
		}
		if (ts->n) { /* the start function, wrappers resolved as tracebacks do */
			e.start_pc = ts->frames[0].pc;
			e.start_fn = intern(m, ts->frames[0].func);
		}
		err = emit(m, &e, ev);
		if (err || to == GOTRACE_G_RUNNABLE)
			return err;
		/* created blocked (a coroutine): no block of its own, so no stack */
		memset(&e, 0, sizeof(e));
		e.kind = XG_EV_GO_STATE;
		e.goid = (uint64_t)ev->transition.id;
		e.from = XG_G_RUNNABLE;
		e.to = gstate_of[to];
		e.reason = intern(m, ev->transition.reason);
		return emit(m, &e, ev);
	}
	if (to == GOTRACE_G_NOT_EXIST && from != GOTRACE_G_SYSCALL) {
		e.kind = XG_EV_GO_EXIT;
		return emit(m, &e, ev);
	}
	e.kind = XG_EV_GO_STATE;
	e.from = gstate_of[from];
	e.to = gstate_of[to];
	e.reason = intern(m, ev->transition.reason);
	err = stack_id(m, ev->stack.n ? &ev->stack : ts, &e.stack);
	return err ?: emit(m, &e, ev);
}

static bool str_is(struct gotrace_str s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.s, lit, s.len);
}

static int heap(struct imp *m, const struct gotrace_event *ev, uint8_t kind)
{
	struct xg_event e = {.kind = kind, .gc = m->gc};

	e.heap_live = m->heap_live;
	e.heap_goal = m->heap_goal;
	return emit(m, &e, ev);
}

static int one(struct imp *m, const struct gotrace_event *ev)
{
	struct xg_event e = {0};
	int err;

	hash_u64(m, ((uint64_t)ev->kind << 8) | ev->wire);
	hash_u64(m, (uint64_t)ev->time);
	hash_u64(m, (uint64_t)ev->g);
	switch (ev->kind) {
	case GOTRACE_STATE_TRANSITION:
		hash_u64(m, (uint64_t)ev->transition.id);
		hash_u64(m, ((uint64_t)ev->transition.from << 8) | ev->transition.to);
		if (ev->transition.resource == GOTRACE_RES_GOROUTINE)
			return goroutine(m, ev);
		return count_unmapped(m, "ProcTransition", NULL, 0);
	case GOTRACE_RANGE_BEGIN:
	case GOTRACE_RANGE_ACTIVE:
	case GOTRACE_RANGE_END:
		hash_str(m, ev->range.name);
		if (!str_is(ev->range.name, "GC concurrent mark phase"))
			return count_unmapped(m, gotrace__kind_name(ev->kind), ev->range.name.s,
					      ev->range.name.len);
		if (ev->kind == GOTRACE_RANGE_END)
			return heap(m, ev, XG_EV_GC_END);
		/* Active: a cycle that had begun before this generation, seen first here */
		if (ev->kind == GOTRACE_RANGE_ACTIVE && m->gc)
			return 0;
		m->gc++;
		return heap(m, ev, XG_EV_GC_START);
	case GOTRACE_METRIC:
		hash_str(m, ev->metric.name);
		hash_u64(m, ev->metric.value);
		if (str_is(ev->metric.name, "/memory/classes/heap/objects:bytes"))
			m->heap_live = ev->metric.value;
		else if (str_is(ev->metric.name, "/gc/heap/goal:bytes"))
			m->heap_goal = ev->metric.value;
		else
			return count_unmapped(m, "Metric", ev->metric.name.s, ev->metric.name.len);
		return heap(m, ev, XG_EV_HEAP);
	case GOTRACE_STACK_SAMPLE:
		e.kind = XG_EV_CPU_SAMPLE;
		e.goid = ev->g > 0 ? (uint64_t)ev->g : 0;
		for (size_t i = 0; i < ev->stack.n; i++)
			hash_u64(m, ev->stack.frames[i].pc);
		err = stack_id(m, &ev->stack, &e.stack);
		return err ?: emit(m, &e, ev);
	case GOTRACE_SYNC:
		return 0;
	default:
		return count_unmapped(m, gotrace__kind_name(ev->kind), NULL, 0);
	}
}

static int sync_event(struct imp *m, const struct gotrace_event *ev)
{
	if (ev->sync.has_clock && !m->has_clock) {
		m->has_clock = true;
		m->clock_time = ev->sync.clock_time;
		m->clock_mono = ev->sync.clock_mono;
		m->wall_sec = ev->sync.clock_wall_sec;
		m->wall_nsec = ev->sync.clock_wall_nsec;
	}
	if (ev->gen)
		m->res->generations++;
	u64map_clear(&m->stacks); /* stack ids are the generation's */
	return 0;
}

static struct tf_meta *first_meta(struct imp *m, const char *in_name)
{
	struct tf_meta *meta = tf_meta__new();
	char fmt[32];
	int err;

	if (!meta)
		return NULL;
	snprintf(fmt, sizeof(fmt), "go 1.%d trace", m->res->version);
	err = tf_meta__set_str(meta, TF_KEY_XGOTOP_VERSION, xg_version);
	err = err ?: tf_meta__set_str(meta, TF_KEY_CLOCK, "CLOCK_MONOTONIC");
	/* Go's trace time is its nanotime() (CLOCK_MONOTONIC on Linux); Go 1.25+ says so */
	err = err
		  ?: tf_meta__set_int(
			 meta, TF_KEY_CLOCK_START_NS,
			 m->has_clock ? (int64_t)m->clock_mono + (m->t0 - m->clock_time) : m->t0);
	if (m->has_clock)
		err = err
			  ?: tf_meta__set_int(meta, TF_KEY_WALL_START_NS,
					      m->wall_sec * 1000000000 + m->wall_nsec +
						  (m->t0 - m->clock_time));
	err = err ?: tf_meta__set_str(meta, TF_KEY_MODE, "go-trace");
	err = err ?: tf_meta__set_str(meta, TF_KEY_GO_TRACE_FORMAT, fmt);
	err = err ?: tf_meta__set_str(meta, TF_KEY_GO_TRACE_FILE, in_name);
	err = err
		  ?: tf_meta__set_str(meta, TF_KEY_STACKS,
				      "Go's tracer: the stack of every creation, block and "
				      "sample, inlined calls expanded, up to 128 frames");
	err = err
		  ?: tf_meta__set_str(meta, TF_KEY_TRACED,
				      "every goroutine of the program, by Go's execution tracer");
	err = err ?: tf_meta__set_str(meta, TF_KEY_GC_NUMBERING, "cycles since tracing began");
	err = err ?: tf_meta__set_str(meta, TF_KEY_SAMPLE_CPU_HZ, "100");
	if (err) {
		tf_meta__free(meta);
		errno = -err;
		return NULL;
	}
	return meta;
}

static int final_meta(struct imp *m)
{
	struct tf_meta *meta = tf_meta__new();
	char id[TF_TRACE_ID_LEN + 1], *s = NULL;
	size_t len = 0;
	FILE *f;
	int err = 0;

	if (!meta)
		return -ENOMEM;
	f = open_memstream(&s, &len);
	if (!f) {
		tf_meta__free(meta);
		return -ENOMEM;
	}
	for (unsigned int k = 1; k < XG_EV_KIND_MAX; k++)
		if (m->kinds[k])
			fprintf(f, "%s%s", ftell(f) ? "," : "", xg_kind_name(k));
	fflush(f);
	err = tf_meta__set_str(meta, TF_KEY_EVENTS, s);
	rewind(f);
	len = 0;
	for (size_t i = 0; i < m->nun; i++)
		fprintf(f, "%s%s %" PRIu64, i ? ", " : "", m->un[i].name, m->un[i].n);
	fputc(0, f);
	fclose(f);
	if (m->nun)
		err = err ?: tf_meta__set_str(meta, TF_KEY_GO_TRACE_UNMAPPED, s);
	free(s);
	snprintf(id, sizeof(id), "%016" PRIx64 "%016" PRIx64, m->h1, m->h2);
	err = err ?: tf_meta__set_str(meta, TF_KEY_TRACE_ID, id);
	err = err
		  ?: tf_meta__set_int(meta, TF_KEY_GO_TRACE_GENERATIONS,
				      (int64_t)m->res->generations);
	if (m->res->damage)
		err = err ?: tf_meta__set_str(meta, TF_KEY_GO_TRACE_DAMAGE, m->res->damage_msg);
	err = err ?: tf_writer__set_final_meta(m->w, meta);
	tf_meta__free(meta);
	return err;
}

int goimport__probe(const void *buf, size_t len)
{
	return gotrace__probe(buf, len);
}

int goimport__is_go_trace(const char *path)
{
	static const char prefix[] = "go 1.";
	char head[16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, head, sizeof(head));
	close(fd);
	/* any version: one this reader does not read gets the import's error naming it */
	return n >= (ssize_t)sizeof(prefix) - 1 && !memcmp(head, prefix, sizeof(prefix) - 1);
}

int goimport__to_memfd(const char *path, struct goimport_result *res)
{
	int in, mfd, out, err;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return xg_error(-errno, "%s: %s", path, strerror(errno));
	mfd = memfd_create("xgotop-import", MFD_CLOEXEC);
	out = mfd < 0 ? -1 : dup(mfd);
	if (out < 0) {
		err = xg_error(-errno, "%s: memfd: %s", path, strerror(errno));
		goto out;
	}
	err = goimport__fd(in, path, out, path, res);
out:
	close(in);
	if (err && mfd >= 0)
		close(mfd);
	return err ?: mfd;
}

int goimport__fd(int in_fd, const char *in_name, int out_fd, const char *out_name,
		 struct goimport_result *res)
{
	struct imp m = {.res = res, .h1 = 0xcbf29ce484222325ULL, .h2 = 0x84222325cbf29ce4ULL};
	TF_WRITER_OPTS(wo, .reorder_ns = 60000000000ULL, .flush_ms = -1);
	struct gotrace_event ev;
	struct tf_meta *meta;
	int err = 0, n;

	memset(res, 0, sizeof(*res));
	m.gt = gotrace__open_fd(in_fd);
	if (!m.gt) {
		char why[400];

		err = -errno;
		snprintf(why, sizeof(why), "%s", xg_errmsg()); /* xg_error() writes over it */
		err =
		    xg_error(err, "%s: %s (xgotop reads the execution traces of Go 1.22 and later)",
			     in_name, why);
		close(out_fd);
		return err;
	}
	res->version = gotrace__version(m.gt);
	/* trace time 0 is the first event's (a Sync's time is the last event's before it) */
	while ((n = gotrace__next(m.gt, &ev)) > 0 && ev.kind == GOTRACE_SYNC) {
		res->go_events++;
		sync_event(&m, &ev);
	}
	if (n > 0)
		m.t0 = ev.time;
	meta = first_meta(&m, in_name);
	if (!meta) {
		err = -errno;
		goto out;
	}
	m.w = tf_writer__open_fd(out_fd, out_name, meta, &wo);
	out_fd = -1;
	tf_meta__free(meta);
	if (!m.w) {
		err = -errno;
		goto out;
	}
	for (; n > 0; n = gotrace__next(m.gt, &ev)) {
		res->go_events++;
		if (ev.time > m.t0 && (uint64_t)(ev.time - m.t0) > m.last_ts)
			m.last_ts = (uint64_t)(ev.time - m.t0); /* the last Sync: tracing stopped */
		err = ev.kind == GOTRACE_SYNC ? sync_event(&m, &ev) : one(&m, &ev);
		if (err)
			goto out;
	}
	if (n < 0) {
		res->damage = n;
		snprintf(res->damage_msg, sizeof(res->damage_msg), "%s: %s", in_name, xg_errmsg());
	}
	err = final_meta(&m);
	tf_writer__set_stop(m.w, m.last_ts);
out:
	res->in_bytes = gotrace__offset(m.gt);
	if (m.w) {
		int cerr = tf_writer__close(m.w);

		err = err ?: cerr;
	}
	if (out_fd >= 0)
		close(out_fd);
	gotrace__close(m.gt);
	u64map_free(&m.stacks);
	free(m.frames);
	free(m.un);
	return err;
}
