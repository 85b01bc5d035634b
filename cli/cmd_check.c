// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop check FILE [RULES...] [--json]: judges a trace (or a bundle's trace) by rules, for CI.
 *
 *   --no-leaks              no user goroutine created during the trace is still alive at its
 *                           end; leaks are reported grouped by creation site with what they
 *                           are stuck in (the runtime's own goroutines and main are exempt,
 *                           and so are goroutines that existed before the trace started)
 *   --leak-min-age DUR      goroutines created less than DUR before the end are not leaks
 *                           (work in flight when the recording stopped)
 *   --ignore PATTERN        exempt goroutines whose start or creating function matches the
 *                           fnmatch(3) PATTERN (repeatable), from --no-leaks and --max-blocked
 *   --max-goroutines N      at most N user goroutines alive at once
 *   --max-alloc-bytes N     at most N bytes allocated over the trace (10MB, 64MiB, ...)
 *   --max-alloc-rate N      at most N bytes/s allocated, peak over any 1 s (50MB/s)
 *   --max-heap N            heap (live + unswept) at most N bytes, from GC and heap events
 *   --max-blocked DUR       no user goroutine waits longer than DUR at a time
 *   --max-lost N            at most N events dropped by the kernel while recording
 *
 * Allocation figures of sampled recordings are scaled by the sampling rate or weight, and
 * said to be estimates.
 *
 * Exit status: 0 every rule passed; 3 a rule failed; 2 bad usage, a file that cannot be read,
 * or a damaged trace (parts skipped: the verdict would not be trustworthy); 1 a run-time
 * failure (out of memory).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "offline/analyze.h"
#include "offline/check.h"
#include "offline/open.h"
#include "replay/replay.h"
#include "util/err.h"
#include "util/jsonw.h"

#define MAX_IGNORE 64

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: xgotop check FILE [RULES...] [--json]\n\n"
	    "Checks a trace (or bundle) against rules; for CI. Exit status 0 when every rule\n"
	    "passes, 3 when one fails, 2 on bad usage or input, 1 on a run-time failure.\n\n"
	    "rules:\n"
	    "  --no-leaks            no user goroutine created in the trace is alive at its end\n"
	    "                        (grouped by creation site; runtime goroutines, main and\n"
	    "                        goroutines older than the trace are exempt)\n"
	    "  --leak-min-age DUR    goroutines younger than DUR at the end are not leaks\n"
	    "  --ignore PATTERN      exempt goroutines whose start or creating function matches\n"
	    "                        the shell PATTERN, e.g. 'main.(\\*pool).worker' (repeatable)\n"
	    "  --max-goroutines N    user goroutines alive at once\n"
	    "  --max-alloc-bytes N   bytes allocated in total (10MB, 64MiB, ...)\n"
	    "  --max-alloc-rate N    bytes allocated per second, peak over 1 s (50MB/s)\n"
	    "  --max-heap N          heap size from GC and heap events\n"
	    "  --max-blocked DUR     longest single wait of a user goroutine (500ms, 2s): measured\n"
	    "                        in full mode; a wait that began before it was seen, and any\n"
	    "                        wait in production mode, counts as long as the runtime's own\n"
	    "                        clock (g.waitsince, set by GC) proves it; never a guess\n"
	    "  --max-lost N          events the kernel dropped while recording\n"
	    "output:\n"
	    "  -j, --json            one JSON object\n"
	    "  -h, --help            this text\n");
}

static int parse_count(const char *opt, const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return xg_error(-EINVAL, "%s: '%s' is not a count", opt, s);
	return 0;
}

static const char *secs(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 " s", ns / 1000000000, ns / 1000000 % 1000);
	return buf;
}

static const char *state_str(const struct analysis *a, const struct check_state_count *s, char *buf,
			     size_t len)
{
	const char *n = xg_gstate_name(s->state);

	if (s->reason)
		snprintf(buf, len, "%s (%s)", n ? n : "?", analysis_str(a, s->reason));
	else
		snprintf(buf, len, "%s", n ? n : "?");
	return buf;
}

static void print_site(const struct trace_where *w)
{
	if (*w->file)
		printf("%s (%s:%u)", *w->fn ? w->fn : "?", w->file, w->line);
	else
		printf("%s", *w->fn ? w->fn : "(unknown site)");
}

/* Where a group of leaked goroutines waits: "blocked at fn (file:line)" and the frames Go's dump
 * would print. */
static void text_where(const struct analysis *a, uint32_t stack)
{
	const struct tf_tables *t = tf_reader__tables(a->t->r);
	const struct xg_frame *at = gmodel__stack_site(a->m, stack), *fr;
	uint32_t n = 0;

	if (!at)
		return;
	printf("\n          blocked at %s (%s:%u)", tf_tables__str(t, at->fn),
	       tf_tables__str(t, at->file), at->line);
	fr = tf_tables__stack(t, stack, &n);
	for (uint32_t i = 0; fr && i < n; i++) {
		const char *fn = tf_tables__str(t, fr[i].fn);

		if (tf_frame_shown_by_go(fn, i == 0))
			printf("\n            %s\n                %s:%u", fn,
			       tf_tables__str(t, fr[i].file), fr[i].line);
	}
}

static void text_leaks(const struct analysis *a, const struct check_report *rep)
{
	char b1[64], b2[64], b3[128];

	for (uint32_t i = 0; i < rep->nleaks; i++) {
		const struct check_group *g = &rep->leaks[i];

		printf("  %6" PRIu64 "  %s\n          created at ", g->count,
		       *analysis_str(a, g->start_fn) ? analysis_str(a, g->start_fn)
						     : "(unknown function)");
		print_site(&g->site);
		text_where(a, g->where_stack);
		printf("\n          ");
		for (uint32_t k = 0; k < g->nstates; k++)
			printf("%s%" PRIu64 " %s", k ? ", " : "", g->states[k].count,
			       state_str(a, &g->states[k], b3, sizeof(b3)));
		if (g->count == 1)
			printf("; created at %s", secs(b1, sizeof(b1), g->oldest_ts));
		else
			printf("; created %s .. %s", secs(b1, sizeof(b1), g->oldest_ts),
			       secs(b2, sizeof(b2), g->newest_ts));
		printf("\n          goroutine%s", g->count == 1 ? "" : "s");
		for (uint32_t k = 0; k < g->ngoids; k++)
			printf(" %" PRIu64, g->goids[k]);
		if (g->count > g->ngoids)
			printf(" ...");
		printf("\n");
	}
	if (rep->not_runtime + rep->not_preexisting + rep->not_young + rep->not_ignored) {
		const struct {
			uint64_t n;
			const char *what;
		} nc[] = {
		    {rep->not_runtime, "of the runtime or main"},
		    {rep->not_preexisting, "older than the trace"},
		    {rep->not_young, "younger than --leak-min-age"},
		    {rep->not_ignored, "ignored"},
		};
		const char *sep = "";

		printf("          not counted:");
		for (size_t i = 0; i < sizeof(nc) / sizeof(nc[0]); i++) {
			if (!nc[i].n)
				continue;
			printf("%s %" PRIu64 " %s", sep, nc[i].n, nc[i].what);
			sep = ",";
		}
		printf("\n");
	}
}

static void text_blocked(const struct analysis *a, const struct check_report *rep)
{
	char b1[32], b2[64];

	for (uint32_t i = 0; i < rep->nblocked; i++) {
		const struct check_group *g = &rep->blocked[i];

		printf("  %6" PRIu64 "  %s waiting (%s): longest %s%s %s %s (goroutine %" PRIu64
		       "%s)\n",
		       g->count,
		       *analysis_str(a, g->start_fn) ? analysis_str(a, g->start_fn) : "(unknown)",
		       g->reason ? analysis_str(a, g->reason) : "no reason",
		       g->at_least ? "at least " : "", gm_text_dur(b1, sizeof(b1), g->longest_ns),
		       g->at_least ? "by" : "from", secs(b2, sizeof(b2), g->oldest_ts), g->goids[0],
		       g->ongoing ? ", still waiting at the end" : "");
	}
}

static void text_report(const char *file, const struct analysis *a, const struct check_report *rep)
{
	char b1[32], b2[32], b3[32];

	printf("xgotop check: %s: %s, %" PRIu64 " events\n", file, secs(b1, sizeof(b1), a->end_ts),
	       a->events);
	for (uint32_t i = 0; i < rep->nrules; i++) {
		const struct check_rule *r = &rep->rules[i];
		const char *v = r->ok ? "PASS" : "FAIL";
		const char *est = r->estimate ? " (estimated from sampled allocations)" : "";

		switch (r->id) {
		case CHECK_NO_LEAKS:
			if (r->ok)
				printf("%s no-leaks: no user goroutine alive at the end\n", v);
			else
				printf("%s no-leaks: %" PRIu64
				       " goroutine%s still alive at the end, from %u creation "
				       "site%s\n",
				       v, r->value, r->value == 1 ? "" : "s", rep->nleaks,
				       rep->nleaks == 1 ? "" : "s");
			text_leaks(a, rep);
			break;
		case CHECK_MAX_GOROUTINES:
			printf("%s max-goroutines %" PRIu64 ": at most %" PRIu64
			       " goroutines alive at once, the runtime's not counted (at %s)\n",
			       v, r->limit, r->value, secs(b1, sizeof(b1), r->at_ts));
			break;
		case CHECK_MAX_ALLOC_BYTES:
			printf("%s max-alloc-bytes %s: %s allocated%s\n", v,
			       gm_text_bytes(b1, sizeof(b1), (double)r->limit),
			       gm_text_bytes(b2, sizeof(b2), (double)r->value), est);
			break;
		case CHECK_MAX_ALLOC_RATE:
			printf("%s max-alloc-rate %s/s: peak %s/s, in the second from %s%s\n", v,
			       gm_text_bytes(b1, sizeof(b1), (double)r->limit),
			       gm_text_bytes(b2, sizeof(b2), (double)r->value),
			       secs(b3, sizeof(b3), r->at_ts), est);
			break;
		case CHECK_MAX_HEAP:
			printf("%s max-heap %s: peak heap %s (at %s)\n", v,
			       gm_text_bytes(b1, sizeof(b1), (double)r->limit),
			       gm_text_bytes(b2, sizeof(b2), (double)r->value),
			       secs(b3, sizeof(b3), r->at_ts));
			break;
		case CHECK_MAX_BLOCKED:
			if (r->ok)
				printf("%s max-blocked %s: no user goroutine waited longer\n", v,
				       gm_text_dur(b1, sizeof(b1), r->limit));
			else
				printf("%s max-blocked %s: %" PRIu64
				       " waits longer, in %u group%s; the longest %s\n",
				       v, gm_text_dur(b1, sizeof(b1), r->limit), rep->blocked_waits,
				       rep->nblocked, rep->nblocked == 1 ? "" : "s",
				       gm_text_dur(b2, sizeof(b2), r->value));
			text_blocked(a, rep);
			break;
		case CHECK_MAX_LOST:
			printf("%s max-lost %" PRIu64 ": %" PRIu64 " events lost\n", v, r->limit,
			       r->value);
			break;
		default:
			break;
		}
	}
	if (rep->failed)
		printf("%u of %u rule%s failed\n", rep->failed, rep->nrules,
		       rep->nrules == 1 ? "" : "s");
	else if (rep->nrules == 1)
		printf("the rule passed\n");
	else
		printf("all %u rules passed\n", rep->nrules);
}

static void json_site(struct jsonw *w, const struct trace_where *s)
{
	jsonw_string_field(w, "create_fn", s->fn);
	jsonw_string_field(w, "file", s->file);
	jsonw_uint_field(w, "line", s->line);
}

static void json_goids(struct jsonw *w, const struct check_group *g)
{
	jsonw_name(w, "goids");
	jsonw_start_array(w);
	for (uint32_t i = 0; i < g->ngoids; i++)
		jsonw_uint(w, g->goids[i]);
	jsonw_end_array(w);
}

/* "blocked_at": {fn, file, line} and "stack": the frames Go's dump would print, when known */
static void json_where(struct jsonw *w, const struct analysis *a, uint32_t stack)
{
	const struct tf_tables *t = tf_reader__tables(a->t->r);
	const struct xg_frame *at = gmodel__stack_site(a->m, stack), *fr;
	uint32_t n = 0;

	if (!at)
		return;
	jsonw_name(w, "blocked_at");
	jsonw_start_object(w);
	jsonw_string_field(w, "fn", tf_tables__str(t, at->fn));
	jsonw_string_field(w, "file", tf_tables__str(t, at->file));
	jsonw_uint_field(w, "line", at->line);
	jsonw_end_object(w);
	jsonw_name(w, "stack");
	jsonw_start_array(w);
	fr = tf_tables__stack(t, stack, &n);
	for (uint32_t i = 0; fr && i < n; i++) {
		const char *fn = tf_tables__str(t, fr[i].fn);

		if (!tf_frame_shown_by_go(fn, i == 0))
			continue;
		jsonw_start_object(w);
		jsonw_string_field(w, "fn", fn);
		jsonw_string_field(w, "file", tf_tables__str(t, fr[i].file));
		jsonw_uint_field(w, "line", fr[i].line);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void json_report(const char *file, const struct analysis *a, const struct check_report *rep)
{
	struct jsonw *w = jsonw_new(stdout);

	if (!w)
		return;
	jsonw_start_object(w);
	jsonw_string_field(w, "file", file);
	jsonw_uint_field(w, "duration_ns", a->end_ts);
	jsonw_uint_field(w, "events", a->events);
	jsonw_bool_field(w, "ok", !rep->failed);
	jsonw_uint_field(w, "failed", rep->failed);
	jsonw_name(w, "rules");
	jsonw_start_array(w);
	for (uint32_t i = 0; i < rep->nrules; i++) {
		const struct check_rule *r = &rep->rules[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "rule", r->name);
		jsonw_bool_field(w, "ok", r->ok);
		jsonw_uint_field(w, "limit", r->limit);
		jsonw_uint_field(w, "value", r->value);
		if (r->id == CHECK_MAX_GOROUTINES || r->id == CHECK_MAX_ALLOC_RATE ||
		    r->id == CHECK_MAX_HEAP || (r->id == CHECK_MAX_BLOCKED && !r->ok))
			jsonw_uint_field(w, "at_ns", r->at_ts);
		if (r->id == CHECK_MAX_ALLOC_BYTES || r->id == CHECK_MAX_ALLOC_RATE)
			jsonw_bool_field(w, "estimate", r->estimate);
		if (r->id == CHECK_NO_LEAKS) {
			jsonw_name(w, "leaks");
			jsonw_start_array(w);
			for (uint32_t k = 0; k < rep->nleaks; k++) {
				const struct check_group *g = &rep->leaks[k];

				jsonw_start_object(w);
				jsonw_uint_field(w, "count", g->count);
				jsonw_string_field(w, "start_fn", analysis_str(a, g->start_fn));
				json_site(w, &g->site);
				jsonw_name(w, "states");
				jsonw_start_array(w);
				for (uint32_t s = 0; s < g->nstates; s++) {
					const char *n = xg_gstate_name(g->states[s].state);

					jsonw_start_object(w);
					jsonw_string_field(w, "state", n ? n : "?");
					jsonw_string_field(w, "reason",
							   analysis_str(a, g->states[s].reason));
					jsonw_uint_field(w, "count", g->states[s].count);
					jsonw_end_object(w);
				}
				jsonw_end_array(w);
				jsonw_uint_field(w, "first_created_ns", g->oldest_ts);
				jsonw_uint_field(w, "last_created_ns", g->newest_ts);
				json_where(w, a, g->where_stack);
				json_goids(w, g);
				jsonw_end_object(w);
			}
			jsonw_end_array(w);
			jsonw_name(w, "not_counted");
			jsonw_start_object(w);
			jsonw_uint_field(w, "runtime", rep->not_runtime);
			jsonw_uint_field(w, "preexisting", rep->not_preexisting);
			jsonw_uint_field(w, "young", rep->not_young);
			jsonw_uint_field(w, "ignored", rep->not_ignored);
			jsonw_end_object(w);
		}
		if (r->id == CHECK_MAX_BLOCKED) {
			jsonw_name(w, "blocked");
			jsonw_start_array(w);
			for (uint32_t k = 0; k < rep->nblocked; k++) {
				const struct check_group *g = &rep->blocked[k];

				jsonw_start_object(w);
				jsonw_uint_field(w, "count", g->count);
				jsonw_string_field(w, "start_fn", analysis_str(a, g->start_fn));
				jsonw_string_field(w, "reason", analysis_str(a, g->reason));
				jsonw_uint_field(w, "longest_ns", g->longest_ns);
				jsonw_uint_field(w, "longest_from_ns", g->oldest_ts);
				jsonw_bool_field(w, "ongoing", g->ongoing);
				/* longest_ns is a lower bound: the wait began before it was
				 * seen (attach; the runtime's own clock, g.waitsince) */
				jsonw_bool_field(w, "at_least", g->at_least);
				json_goids(w, g);
				jsonw_end_object(w);
			}
			jsonw_end_array(w);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_newline(w);
	jsonw_free(w);
}

static int cmd_check(int argc, char **argv)
{
	enum {
		O_NO_LEAKS = 256,
		O_MIN_AGE,
		O_IGNORE,
		O_MAX_G,
		O_MAX_AB,
		O_MAX_AR,
		O_MAX_HEAP,
		O_MAX_BLOCKED,
		O_MAX_LOST,
	};
	static const struct option longopts[] = {
	    {"no-leaks", no_argument, NULL, O_NO_LEAKS},
	    {"leak-min-age", required_argument, NULL, O_MIN_AGE},
	    {"ignore", required_argument, NULL, O_IGNORE},
	    {"max-goroutines", required_argument, NULL, O_MAX_G},
	    {"max-alloc-bytes", required_argument, NULL, O_MAX_AB},
	    {"max-alloc-rate", required_argument, NULL, O_MAX_AR},
	    {"max-heap", required_argument, NULL, O_MAX_HEAP},
	    {"max-blocked", required_argument, NULL, O_MAX_BLOCKED},
	    {"max-lost", required_argument, NULL, O_MAX_LOST},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct check_rules rules = CHECK_RULES_INIT;
	const char *ignore[MAX_IGNORE];
	struct xg_cli_warns warns = {.cmd = "check"};
	TF_READER_OPTS(ro, .warn = xg_cli_warn, .warn_ctx = &warns);
	struct analysis_opts ao = {0};
	struct analysis *a = NULL;
	struct check_report rep = {0};
	struct trace *t = NULL;
	bool json = false;
	int c, err = 0, ret = XG_EXIT_OK;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		const char *opt = argv[optind - 1];

		switch (c) {
		case O_NO_LEAKS:
			rules.no_leaks = true;
			break;
		case O_MIN_AGE:
			err = replay__parse_time(optarg, 0, &rules.leak_min_age_ns);
			if (err)
				xg_error(err, "--leak-min-age: '%s' is not a duration", optarg);
			break;
		case O_IGNORE:
			if (rules.nignore == MAX_IGNORE) {
				err =
				    xg_error(-EINVAL, "--ignore: at most %d patterns", MAX_IGNORE);
				break;
			}
			ignore[rules.nignore++] = optarg;
			break;
		case O_MAX_G:
			err = parse_count("--max-goroutines", optarg, &rules.max_goroutines);
			break;
		case O_MAX_AB:
			err = check_parse_bytes(optarg, false, &rules.max_alloc_bytes);
			if (err)
				xg_error(err, "--max-alloc-bytes: '%s' is not a size (10MB, 64MiB)",
					 optarg);
			break;
		case O_MAX_AR:
			err = check_parse_bytes(optarg, true, &rules.max_alloc_rate);
			if (err)
				xg_error(err, "--max-alloc-rate: '%s' is not a rate (50MB/s)",
					 optarg);
			break;
		case O_MAX_HEAP:
			err = check_parse_bytes(optarg, false, &rules.max_heap);
			if (err)
				xg_error(err, "--max-heap: '%s' is not a size (512MB)", optarg);
			break;
		case O_MAX_BLOCKED:
			err = replay__parse_time(optarg, 0, &rules.max_blocked_ns);
			if (err)
				xg_error(err, "--max-blocked: '%s' is not a duration (500ms, 2s)",
					 optarg);
			break;
		case O_MAX_LOST:
			err = parse_count("--max-lost", optarg, &rules.max_lost);
			break;
		case 'j':
			break;
		case 'h':
			usage(stdout);
			return XG_EXIT_OK;
		case ':':
			err = xg_error(-EINVAL, "%s needs a value; see --help", opt);
			break;
		default:
			err = xg_error(-EINVAL, "unknown option %s; see --help", opt);
			break;
		}
		if (err) {
			xg_report_error(json, "check", "%s", xg_errmsg());
			return XG_EXIT_USAGE;
		}
	}
	rules.ignore = ignore;
	if (optind != argc - 1) {
		xg_report_error(json, "check", "expected one trace file; see --help");
		return XG_EXIT_USAGE;
	}
	if (!rules.no_leaks && rules.max_goroutines == CHECK_UNSET &&
	    rules.max_alloc_bytes == CHECK_UNSET && rules.max_alloc_rate == CHECK_UNSET &&
	    rules.max_heap == CHECK_UNSET && rules.max_blocked_ns == CHECK_UNSET &&
	    rules.max_lost == CHECK_UNSET) {
		xg_report_error(json, "check",
				"no rule given (--no-leaks, --max-goroutines N, ...); see --help");
		return XG_EXIT_USAGE;
	}
	t = trace__open(argv[optind], &ro);
	if (!t) {
		xg_report_error(json, "check", "%s", xg_errmsg());
		return XG_EXIT_USAGE;
	}
	ao.blocked_ns = rules.max_blocked_ns == CHECK_UNSET ? 0 : rules.max_blocked_ns + 1;
	a = analysis__new(t, &ao);
	if (!a) {
		xg_report_error(json, "check", "%s", xg_errmsg());
		ret = errno == ENOMEM ? XG_EXIT_FAIL : XG_EXIT_USAGE;
		goto out;
	}
	err = check__run(a, &rules, &rep);
	if (err) {
		xg_report_error(json, "check", "out of memory");
		ret = XG_EXIT_FAIL;
		goto out;
	}
	if (json)
		json_report(t->name, a, &rep);
	else
		text_report(t->name, a, &rep);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "xgotop check: writing the output: %s\n", strerror(errno));
		ret = XG_EXIT_FAIL;
		goto out;
	}
	if (!a->info.clean)
		fprintf(stderr, "xgotop check: note: %s: %s\n", t->name, a->info.recovery);
	if (warns.n) {
		fprintf(stderr,
			"xgotop check: %s: %lu damaged part%s skipped: the verdict is not "
			"trustworthy\n",
			t->name, warns.n, warns.n == 1 ? "" : "s");
		ret = XG_EXIT_USAGE;
	} else if (rep.failed) {
		ret = XG_EXIT_CHECK;
	}
out:
	check_report__free(&rep);
	analysis__free(a);
	trace__close(t);
	return ret;
}
XG_COMMAND("check", cmd_check, "judge a trace by rules (leaks, limits) for CI");
