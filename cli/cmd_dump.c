// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop dump FILE [--json]: every event of a trace, decoded, one per line.
 *
 * Text: "<seconds> <kind> g<goid> cpu<N> tid<N> <details>" with names resolved. --json: the
 * public JSON-lines schema (format/evjson.h), the same as `record --json` and `replay --json`.
 *
 * Exit status: 0 when every event the file holds was printed (a file that was not closed
 * cleanly is noted on stderr); 2 when the file cannot be read at all, or when damaged chunks
 * were skipped (each named on stderr); 1 when the output cannot be written. A filter like cat:
 * when the reader of its output goes away, SIGPIPE ends it silently (status 141 in the shell),
 * even if the signal was ignored by whoever started it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "format/evjson.h"
#include "format/reader.h"
#include "offline/open.h"
#include "util/err.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xgotop dump FILE [--json]\n\n"
		   "Prints every event of a trace file, one per line, in time order.\n\n"
		   "  -j, --json   JSON lines (the schema of `record --json`)\n"
		   "  -h, --help   this text\n");
}

struct warn_ctx {
	unsigned long n;
};

static void on_warn(void *ctx, const char *msg)
{
	struct warn_ctx *w = ctx;

	w->n++;
	fflush(stdout);
	fprintf(stderr, "xgotop dump: warning: %s\n", msg);
}

static const char *state(unsigned int s, char *buf, size_t len)
{
	const char *n = xg_gstate_name(s);

	if (n)
		return n;
	snprintf(buf, len, "state%u", s);
	return buf;
}

/* A line being built; what does not fit is cut. */
struct line {
	char buf[4096];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len +=
		    (size_t)n < sizeof(l->buf) - l->len ? (size_t)n : sizeof(l->buf) - 1 - l->len;
}

/* " at fn (file:line)" for the innermost frame of a stack */
static void add_where(struct line *l, const struct tf_tables *t, uint32_t stack)
{
	const struct xg_frame *fr;
	const char *file, *base;
	uint32_t n;

	if (!stack)
		return;
	fr = tf_tables__stack(t, stack, &n);
	if (!fr || !n) {
		add(l, " stack=%u", stack);
		return;
	}
	/* where Go's traceback would say the goroutine is: its first frame that Go shows */
	fr += tf_tables__stack_top(t, stack);
	file = tf_tables__str(t, fr->file);
	base = strrchr(file, '/');
	add(l, " at %s (%s:%u)", tf_tables__str(t, fr->fn), base ? base + 1 : file, fr->line);
}

static void put_text(FILE *f, const struct xg_event *ev, const struct tf_tables *t,
		     struct trace *tr)
{
	const char *kind = xg_kind_name(ev->kind);
	struct line l = {.len = 0};
	char b1[16], b2[16];

	add(&l, "%" PRIu64 ".%09" PRIu64 " %-12s", ev->ts / 1000000000, ev->ts % 1000000000,
	    kind ? kind : "?");
	if (!kind)
		add(&l, " kind=%u", ev->kind);
	if (ev->goid)
		add(&l, " g%-6" PRIu64, ev->goid);
	else
		add(&l, " %-7s", "-");
	add(&l, " cpu%-3u", ev->cpu);
	if (ev->tid)
		add(&l, " tid%-7u", ev->tid);
	else
		add(&l, " %-10s", "-");
	switch (ev->kind) {
	case XG_EV_GO_CREATE:
		add(&l, " %s created by g%" PRIu64 " in %s", tf_tables__str(t, ev->start_fn),
		    ev->parent_goid, tf_tables__str(t, ev->create_fn));
		if (ev->start_wrapper)
			add(&l, " (via %s)", tf_tables__str(t, ev->start_wrapper));
		if (!ev->stack) {
			/* the go statement's file:line, from the binary or the bundle's symbols */
			struct trace_where w;

			if (trace__pc_where(tr, ev->create_pc, true, &w) && *w.file) {
				const char *base = strrchr(w.file, '/');

				add(&l, " at %s:%u", base ? base + 1 : w.file, w.line);
			}
		}
		break;
	case XG_EV_GO_STATE:
		add(&l, " %s -> %s", state(ev->from, b1, sizeof(b1)),
		    state(ev->to, b2, sizeof(b2)));
		if (ev->reason)
			add(&l, " (%s)", tf_tables__str(t, ev->reason));
		break;
	case XG_EV_ALLOC:
	case XG_EV_ALLOC_SAMPLE:
		add(&l, " %" PRIu64 " B %s", ev->size,
		    ev->type ? tf_tables__str(t, ev->type) : "(untyped)");
		if (ev->kind == XG_EV_ALLOC_SAMPLE)
			add(&l, " weight=%" PRIu64, ev->weight);
		break;
	case XG_EV_CPU_SAMPLE:
		if (ev->weight)
			add(&l, " weight=%" PRIu64 " ns", ev->weight);
		break;
	case XG_EV_GC_START:
	case XG_EV_GC_END:
	case XG_EV_HEAP:
		add(&l,
		    " gc=%u heap_live=%" PRIu64 " heap_goal=%" PRIu64 " total_alloc=%" PRIu64
		    " total_free=%" PRIu64,
		    ev->gc, ev->heap_live, ev->heap_goal, ev->total_alloc, ev->total_free);
		break;
	case XG_EV_LOST: {
		const char *of = xg_kind_name(ev->of);

		add(&l, " %" PRIu64 " %s events dropped", ev->count, of ? of : "?");
		break;
	}
	case XG_EV_WINDOW: {
		const char *of = xg_kind_name(ev->of);

		add(&l, " %s probes %s", of ? of : "?", ev->count ? "in" : "out");
		break;
	}
	case XG_EV_BUDGET:
		add(&l, " %g%% of the target's CPU from now on", (double)ev->count / 1e4);
		break;
	case XG_EV_SNAPSHOT:
		add(&l, " %s", state(ev->to, b1, sizeof(b1)));
		if (ev->reason)
			add(&l, " (%s)", tf_tables__str(t, ev->reason));
		if (ev->waited_ns)
			add(&l, " for %.3f s", (double)ev->waited_ns / 1e9);
		if (ev->start_fn)
			add(&l, " %s", tf_tables__str(t, ev->start_fn));
		break;
	case XG_EV_SCHED:
		add(&l, " created=%" PRIu64 " alive=%u threads=%u", ev->created, ev->alive,
		    ev->threads);
		if (ev->gomaxprocs)
			add(&l, " gomaxprocs=%u", ev->gomaxprocs);
		add(&l, " runnable=%u", ev->runnable);
		break;
	default:
		break;
	}
	add_where(&l, t, ev->stack);
	while (l.len && l.buf[l.len - 1] == ' ')
		l.len--;
	l.buf[l.len++] = '\n';
	fwrite(l.buf, 1, l.len, f);
}

static int cmd_dump(int argc, char **argv)
{
	struct warn_ctx wc = {0};
	TF_READER_OPTS(ro, .warn = on_warn, .warn_ctx = &wc);
	struct trace *tr = NULL;
	struct tf_reader *r;
	const struct tf_tables *t;
	struct tf_info info;
	struct xg_event ev;
	const char *path = NULL;
	bool json = false;
	int err, status, ret = XG_EXIT_OK;

	signal(SIGPIPE, SIG_DFL);
	tr = xg_cli_open_trace_arg(argc, argv, "dump", usage, &ro, &json, &path, &status);
	if (!tr)
		return status;
	r = tr->r;
	t = tf_reader__tables(r);
	while ((err = tf_reader__next(r, &ev)) > 0) {
		if (json)
			xg_event_write_json(stdout, &ev, t);
		else
			put_text(stdout, &ev, t, tr);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "xgotop dump: writing the output: %s\n", strerror(errno));
		ret = XG_EXIT_FAIL;
		goto out;
	}
	if (err < 0) {
		xg_report_error(json, "dump", "%s", xg_errmsg());
		ret = err == -ENOMEM ? XG_EXIT_FAIL : XG_EXIT_USAGE;
		goto out;
	}
	if (!tf_reader__info(r, &info) && !info.clean)
		fprintf(stderr, "xgotop dump: note: %s: %s\n", path, info.recovery);
	if (wc.n) {
		fprintf(stderr, "xgotop dump: %s: %lu damaged part%s skipped\n", path, wc.n,
			wc.n == 1 ? "" : "s");
		ret = XG_EXIT_USAGE;
	}
out:
	trace__close(tr);
	return ret;
}
XG_COMMAND("dump", cmd_dump, "print every event of a trace file");
