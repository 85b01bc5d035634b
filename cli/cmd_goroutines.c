// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `xgotop goroutines [--at TIME] [--all] [--json] FILE`: the goroutines alive at a trace time
 * (the end by default), as the goroutine model (model/model.h) knows them: a dump in the shape
 * of Go's own (/debug/pprof/goroutine?debug=2), read from a recording, with the stack each one
 * waits in when the trace has it (full mode: blocking transitions; production: snapshots).
 *
 *   goroutine 27 [chan send, 1.79s]: main.fetchQuote.func1
 *   	created by main.fetchQuote in goroutine 12 at /src/orders/quote.go:27, age 1.80s
 *   	main.fetchQuote.func1
 *   		/src/orders/quote.go:29
 *
 * Times say what is known of them: "1.79s" measured, ">=1.79s" at least (it began before it
 * was seen), "~" an estimate, "-" not known. Traces that see states at instants (production
 * mode) say when the state was seen. The runtime's own goroutines are left out, as Go's dump
 * leaves them out, unless --all.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "model/model.h"
#include "offline/analyze.h"
#include "offline/open.h"
#include "replay/replay.h"
#include "util/err.h"
#include "util/jsonw.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xgotop goroutines [--at TIME] [--all] [--json] FILE\n"
		   "The goroutines alive at trace time TIME (default: the end), with their state,\n"
		   "how long they have been in it, where they were created and their age.\n"
		   "  --at TIME    trace time (1.5s, 300ms) or wall clock (2026-12-04T10:00:01)\n"
		   "  --all        the runtime's own goroutines too\n"
		   "  -j, --json   one JSON object\n"
		   "  -h, --help   this text\n");
}

/* NAME_ns and NAME_bound ("measured", "at_least", "about", "unknown") */
static void put_time(struct jsonw *w, const char *name, struct gm_time t)
{
	char key[64];

	snprintf(key, sizeof(key), "%s_ns", name);
	jsonw_uint_field(w, key, t.ns);
	snprintf(key, sizeof(key), "%s_bound", name);
	jsonw_string_field(w, key, gm_bound_name(t.bound));
}

/* The frames of the stack a goroutine waits in, as Go's dump prints them (its frame filter). */
static void text_stack(const struct analysis *a, uint32_t stack)
{
	const struct tf_tables *t = tf_reader__tables(a->t->r);
	uint32_t n = 0;
	const struct xg_frame *fr = stack ? tf_tables__stack(t, stack, &n) : NULL;

	for (uint32_t i = 0; fr && i < n; i++) {
		const char *fn = tf_tables__str(t, fr[i].fn);

		if (!tf_frame_shown_by_go(fn, i == 0))
			continue;
		printf("\t%s%s\n\t\t%s:%u\n", fn, fr[i].flags & XG_FRAME_INLINED ? "(...)" : "",
		       tf_tables__str(t, fr[i].file), fr[i].line);
	}
}

static void text(const struct analysis *a, bool all)
{
	char b1[32], b2[32];
	uint32_t shown = 0;

	for (uint32_t i = 0; i < a->nalive; i++) {
		const struct analysis_alive *g = &a->alive[i];
		const char *st = xg_gstate_name(g->state);
		struct trace_where w;

		if (g->runtime && !all && g->goid != 1)
			continue;
		shown++;
		printf("goroutine %" PRIu64 " [%s%s%s", g->goid,
		       g->state == XG_G_WAITING && g->reason ? analysis_str(a, g->reason)
		       : st				     ? st
							     : "?",
		       g->in_state.bound == GM_UNKNOWN ? "" : ", ",
		       g->in_state.bound == GM_UNKNOWN ? ""
						       : gm_text_time(b1, sizeof(b1), g->in_state));
		if (g->observed_ts)
			printf(", seen %s before",
			       gm_text_dur(b2, sizeof(b2), a->end_ts - g->observed_ts));
		printf("]: %s\n", *analysis_str(a, g->start_fn) ? analysis_str(a, g->start_fn)
				  : g->goid == 1		? "runtime.main"
								: "?");
		analysis_create_site(a, g, &w);
		/* as Go's dump: no creator for the main goroutine and the runtime's ones */
		if (g->goid == 1)
			printf("\tthe main goroutine");
		else if (!*w.fn)
			printf("\tcreated before the recording");
		else if (gmodel_runtime_frame(w.fn))
			printf("\tcreated by the runtime (%s)", w.fn);
		else
			printf("\tcreated by %s in goroutine %" PRIu64 "%s%s", w.fn, g->parent_goid,
			       *w.file ? " at " : "", w.file);
		if (*w.fn && w.line && g->goid != 1 && !gmodel_runtime_frame(w.fn))
			printf(":%u", w.line);
		printf(", age %s\n", gm_text_time(b1, sizeof(b1), g->age));
		text_stack(a, g->where_stack);
	}
	printf("%u goroutines at %s", shown, gm_text_dur(b1, sizeof(b1), a->end_ts));
	if (!all && shown < a->nalive)
		printf(" (and %u of the runtime's: --all)", a->nalive - shown);
	printf("\n");
}

/* "stack": where it waits (or last ran), every frame innermost first, "shown" when Go's dump
 * prints it; absent when not known */
static void json_stack(struct jsonw *w, const struct analysis *a, uint32_t stack)
{
	const struct tf_tables *t = tf_reader__tables(a->t->r);
	const struct xg_frame *fr;
	uint32_t n = 0;

	fr = stack ? tf_tables__stack(t, stack, &n) : NULL;
	if (!fr || !n)
		return;
	jsonw_name(w, "stack");
	jsonw_start_array(w);
	for (uint32_t i = 0; i < n; i++) {
		const char *fn = tf_tables__str(t, fr[i].fn);

		jsonw_start_object(w);
		jsonw_string_field(w, "fn", fn);
		jsonw_string_field(w, "file", tf_tables__str(t, fr[i].file));
		jsonw_uint_field(w, "line", fr[i].line);
		if (fr[i].flags & XG_FRAME_INLINED)
			jsonw_bool_field(w, "inlined", true);
		jsonw_bool_field(w, "shown", tf_frame_shown_by_go(fn, i == 0));
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json(const char *file, const struct analysis *a, bool all)
{
	struct jsonw *w = jsonw_new(stdout);

	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "file", file);
	jsonw_uint_field(w, "at_ns", a->end_ts);
	/* exact: states are current; else each is as last seen (observed_ns) */
	jsonw_bool_field(w, "exact", a->m->exact);
	jsonw_name(w, "goroutines");
	jsonw_start_array(w);
	for (uint32_t i = 0; i < a->nalive; i++) {
		const struct analysis_alive *g = &a->alive[i];
		struct trace_where site;

		if (g->runtime && !all && g->goid != 1)
			continue;
		analysis_create_site(a, g, &site);
		jsonw_start_object(w);
		jsonw_uint_field(w, "goid", g->goid);
		jsonw_string_field(w, "state", xg_gstate_name(g->state));
		if (g->state == XG_G_WAITING && g->reason)
			jsonw_string_field(w, "reason", analysis_str(a, g->reason));
		put_time(w, "in_state", g->in_state);
		if (g->observed_ts)
			jsonw_uint_field(w, "observed_ns", g->observed_ts);
		put_time(w, "age", g->age);
		jsonw_string_field(w, "start_fn",
				   *analysis_str(a, g->start_fn) ? analysis_str(a, g->start_fn)
				   : g->goid == 1		 ? "runtime.main"
								 : "");
		jsonw_uint_field(w, "parent_goid", g->parent_goid);
		jsonw_string_field(w, "create_fn", site.fn);
		jsonw_string_field(w, "create_file", site.file);
		jsonw_uint_field(w, "create_line", site.line);
		jsonw_bool_field(w, "created_in_trace", g->created);
		jsonw_bool_field(w, "runtime", g->runtime);
		json_stack(w, a, g->where_stack);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_newline(w);
	jsonw_free(w);
}

static int cmd_goroutines(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"at", required_argument, NULL, 'a'},
	    {"all", no_argument, NULL, 'A'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct analysis_opts ao = {0};
	struct analysis *a;
	struct trace *t;
	const char *at = NULL;
	bool js = false, all = false;
	int c, err;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			js = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			at = optarg;
			break;
		case 'A':
			all = true;
			break;
		case 'j':
			break;
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		case ':':
			xg_report_error(js, "goroutines", "%s needs a value; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		default:
			xg_report_error(js, "goroutines", "unknown option %s; see --help",
					argv[optind - 1]);
			return XG_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		xg_report_error(js, "goroutines", "expected one trace file; see --help");
		return XG_EXIT_USAGE;
	}
	t = trace__open(argv[optind], NULL);
	if (!t) {
		xg_report_error(js, "goroutines", "%s", xg_errmsg());
		return XG_EXIT_USAGE;
	}
	if (at) {
		int64_t wall = 0;

		tf_meta__int(tf_reader__meta(t->r), TF_KEY_WALL_START_NS, &wall);
		err = replay__parse_time(at, (uint64_t)wall, &ao.until_ns);
		if (err || !ao.until_ns) {
			xg_report_error(js, "goroutines",
					"--at: '%s' is not a time in the trace (1.5s, 300ms, or a "
					"wall-clock time after the recording started)",
					at);
			trace__close(t);
			return XG_EXIT_USAGE;
		}
	}
	a = analysis__new(t, &ao);
	if (!a) {
		xg_report_error(js, "goroutines", "%s", xg_errmsg());
		trace__close(t);
		return XG_EXIT_FAIL;
	}
	if (js)
		json(argv[optind], a, all);
	else
		text(a, all);
	analysis__free(a);
	trace__close(t);
	return XG_EXIT_OK;
}

XG_COMMAND("goroutines", cmd_goroutines,
	   "the goroutines alive at a trace time: state, for how long, creation, age");
