// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xgotop info FILE [--json]: what a trace file holds: format version and features, whether it
 * was closed cleanly (and what a scan recovered if not), events per kind, time range, chunks,
 * the recording's span (to its stop, when the file says), bytes per event, compression, lost
 * events, tables and the recording metadata.
 *
 * A bundle given whole is described trace by trace, after a line that says it is a bundle of
 * N traces (in JSON: {"file", "bundle": true, "traces": [one object per trace]}).
 *
 * Exit status: 0 ok (also for a file that was not closed cleanly: that is reported, not an
 * error); 2 when the file cannot be read as a trace at all, or when damaged chunks were found
 * (after the report, which names them); for a bundle, 2 when that is so of any of its traces.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "format/event.h"
#include "format/reader.h"
#include "offline/bundle.h"
#include "offline/open.h"
#include "util/err.h"
#include "util/jsonw.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xgotop info FILE [--json]\n\n"
		   "Describes a trace file: metadata, counts per event kind, time range, size,\n"
		   "compression, lost events, and whether it was closed cleanly. FILE may be a\n"
		   "bundle (xgotop bundle): each of its traces, or BUNDLE:NAME.xgt for one.\n\n"
		   "  -j, --json   one JSON object\n"
		   "  -h, --help   this text\n");
}

struct warns {
	char lines[16][256];
	unsigned int n, more;
};

static void on_warn(void *ctx, const char *msg)
{
	struct warns *w = ctx;

	if (w->n < 16)
		snprintf(w->lines[w->n++], sizeof(w->lines[0]), "%s", msg);
	else
		w->more++;
}

static void fmt_ts(char *buf, size_t len, uint64_t ts)
{
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, ts / 1000000000, ts % 1000000000);
}

static void fmt_bytes(char *buf, size_t len, uint64_t b)
{
	if (b >= 10ULL << 30)
		snprintf(buf, len, "%.1f GiB", (double)b / (1 << 30));
	else if (b >= 10ULL << 20)
		snprintf(buf, len, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 10ULL << 10)
		snprintf(buf, len, "%.1f KiB", (double)b / (1 << 10));
	else
		snprintf(buf, len, "%" PRIu64 " B", b);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

static void print_text(const char *path, const struct tf_info *in, const struct tf_meta *m,
		       const struct warns *w)
{
	char b1[64], b2[64], id[TF_TRACE_ID_LEN + 1];
	size_t nm = tf_meta__count(m);

	tf_meta__trace_id(m, id);
	printf("file:         %s\n", path);
	printf("format:       %u.%u", in->major, in->minor);
	if (in->compat || in->ro_compat || in->incompat)
		printf(" (features: compat 0x%" PRIx64 ", ro_compat 0x%" PRIx64
		       ", incompat 0x%" PRIx64 ")",
		       in->compat, in->ro_compat, in->incompat);
	printf("\n");
	printf("trace id:     %s%s\n", id,
	       tf_meta__str(m, TF_KEY_TRACE_ID) && !strcmp(tf_meta__str(m, TF_KEY_TRACE_ID), id)
		   ? ""
		   : " (from its metadata)");
	if (in->clean)
		printf("closed:       cleanly (index and trailer present)\n");
	else
		printf("closed:       NOT cleanly: %s\n", in->recovery);
	fmt_bytes(b1, sizeof(b1), in->file_bytes);
	printf("size:         %" PRIu64 " bytes (%s)\n", in->file_bytes, b1);
	printf("events:       %" PRIu64 " in %" PRIu64 " chunks, %.2f bytes/event\n", in->events,
	       in->chunks, ratio(in->file_bytes, in->events));
	if (in->events) {
		fmt_ts(b1, sizeof(b1), in->ts_first);
		fmt_ts(b2, sizeof(b2), in->ts_last);
		printf("time:         %s .. %s s (%.3f s)\n", b1, b2,
		       (double)(in->ts_last - in->ts_first) / 1e9);
	}
	fmt_ts(b1, sizeof(b1), in->span_ns);
	if (in->stop_ts)
		printf("span:         %s s, from trace time 0 to the recording's stop\n", b1);
	else
		printf("span:         %s s, from trace time 0 to the last event (the file does not "
		       "say when the recording stopped)\n",
		       b1);
	printf("compression:  columns %" PRIu64 " -> %" PRIu64 " bytes (%.1fx); %.1fx smaller than "
	       "%zu-byte events in memory\n",
	       in->raw_bytes, in->stored_bytes, ratio(in->raw_bytes, in->stored_bytes),
	       ratio(in->events * sizeof(struct xg_event), in->file_bytes),
	       sizeof(struct xg_event));
	printf("lost:         %" PRIu64 " events (in %" PRIu64 " lost record%s)\n", in->lost,
	       in->kinds[XG_EV_LOST], in->kinds[XG_EV_LOST] == 1 ? "" : "s");
	if (in->late)
		printf("late:         %" PRIu64 " events had their ts raised, by up to %" PRIu64
		       " ns\n",
		       in->late, in->late_max_ns);
	printf("damaged:      %" PRIu64 " chunks%s\n", in->damaged,
	       in->damaged ? " (their events cannot be read)" : "");
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++)
		if (in->windows[k])
			printf("budget:       %s probes in %.1f%% of the span (%" PRIu64
			       " window event%s): its counts cover that time only\n",
			       xg_kind_name(k), 100 * ratio(in->window_in_ns[k], in->span_ns),
			       in->windows[k], in->windows[k] == 1 ? "" : "s");
	printf("keyframes:    %" PRIu64 "\n", in->keyframes);
	printf("tables:       %" PRIu64 " strings, %" PRIu64 " stacks\n", in->strings, in->stacks);
	printf("kinds:\n");
	for (unsigned int k = 0; k < 256; k++) {
		const char *name = xg_kind_name(k);

		if (!in->kinds[k])
			continue;
		if (name)
			printf("  %-14s %" PRIu64 "\n", name, in->kinds[k]);
		else
			printf("  kind %-9u %" PRIu64 "\n", k, in->kinds[k]);
	}
	printf("metadata:\n");
	for (size_t i = 0; i < nm; i++) {
		const char *key = NULL, *sval = NULL;
		int64_t ival = 0;

		if (tf_meta__at(m, i, &key, &sval, &ival) == TF_META_STR)
			printf("  %-24s %s\n", key, sval);
		else
			printf("  %-24s %" PRId64 "\n", key, ival);
	}
	for (unsigned int i = 0; i < w->n; i++)
		printf("warning:      %s\n", w->lines[i]);
	if (w->more)
		printf("warning:      %u more\n", w->more);
}

/* One trace's object. */
static void put_json(struct jsonw *j, const char *path, const struct tf_info *in,
		     const struct tf_meta *m, const struct warns *w)
{
	char id[TF_TRACE_ID_LEN + 1];

	tf_meta__trace_id(m, id);
	jsonw_start_object(j);
	jsonw_string_field(j, "file", path);
	jsonw_string_field(j, "trace_id", id);
	jsonw_name(j, "format");
	jsonw_start_object(j);
	jsonw_uint_field(j, "major", in->major);
	jsonw_uint_field(j, "minor", in->minor);
	jsonw_uint_field(j, "compat", in->compat);
	jsonw_uint_field(j, "ro_compat", in->ro_compat);
	jsonw_uint_field(j, "incompat", in->incompat);
	jsonw_end_object(j);
	jsonw_bool_field(j, "clean", in->clean);
	jsonw_name(j, "recovery");
	if (in->clean)
		jsonw_null(j);
	else
		jsonw_string(j, in->recovery);
	jsonw_uint_field(j, "file_bytes", in->file_bytes);
	jsonw_uint_field(j, "events", in->events);
	jsonw_uint_field(j, "chunks", in->chunks);
	jsonw_double_field(j, "bytes_per_event", ratio(in->file_bytes, in->events));
	jsonw_uint_field(j, "ts_first", in->ts_first);
	jsonw_uint_field(j, "ts_last", in->ts_last);
	jsonw_uint_field(j, "duration_ns", in->ts_last - in->ts_first);
	jsonw_name(j, "stop_ts");
	if (in->stop_ts)
		jsonw_uint(j, in->stop_ts);
	else
		jsonw_null(j);
	jsonw_uint_field(j, "span_ns", in->span_ns);
	jsonw_uint_field(j, "raw_column_bytes", in->raw_bytes);
	jsonw_uint_field(j, "stored_column_bytes", in->stored_bytes);
	jsonw_double_field(j, "compression_ratio", ratio(in->raw_bytes, in->stored_bytes));
	jsonw_uint_field(j, "lost_events", in->lost);
	jsonw_uint_field(j, "lost_records", in->kinds[XG_EV_LOST]);
	jsonw_uint_field(j, "late_events", in->late);
	jsonw_uint_field(j, "late_max_ns", in->late_max_ns);
	jsonw_uint_field(j, "damaged_chunks", in->damaged);
	jsonw_name(j, "coverage");
	jsonw_start_object(j);
	for (unsigned int k = 0; k < XG_EV_KIND_MAX; k++)
		if (in->windows[k])
			jsonw_double_field(j, xg_kind_name(k),
					   ratio(in->window_in_ns[k], in->span_ns));
	jsonw_end_object(j);
	jsonw_uint_field(j, "keyframes", in->keyframes);
	jsonw_uint_field(j, "strings", in->strings);
	jsonw_uint_field(j, "stacks", in->stacks);
	jsonw_name(j, "kinds");
	jsonw_start_object(j);
	for (unsigned int k = 0; k < 256; k++) {
		const char *name = xg_kind_name(k);
		char nb[16];

		if (!in->kinds[k])
			continue;
		if (!name) {
			snprintf(nb, sizeof(nb), "%u", k);
			name = nb;
		}
		jsonw_uint_field(j, name, in->kinds[k]);
	}
	jsonw_end_object(j);
	jsonw_name(j, "meta");
	tf_meta__write_json(m, j);
	jsonw_name(j, "warnings");
	jsonw_start_array(j);
	for (unsigned int i = 0; i < w->n; i++)
		jsonw_string(j, w->lines[i]);
	jsonw_end_array(j);
	jsonw_end_object(j);
}

/* Reads what info reports of r (every chunk checked). 0 or -errno with a message. */
static int read_info(struct tf_reader *r, struct tf_info *in)
{
	int err = tf_reader__verify(r);

	return err < 0 ? err : tf_reader__info(r, in);
}

/*
 * A bundle given whole: a line saying so, then each trace as info describes a trace file,
 * named BUNDLE:NAME.xgt; in JSON {"file", "bundle": true, "traces": [...]}, where a trace that
 * cannot be read is {"file", "error"}. Exit status 2 when a trace cannot be read or has
 * damaged chunks, as for a trace file.
 */
static int info_bundle(const char *path, const struct bundle *b, bool json)
{
	struct jsonw *j = NULL;
	int status = XG_EXIT_OK;
	size_t k = 0;

	if (json) {
		j = jsonw_new(stdout);
		if (!j)
			return XG_EXIT_FAIL;
		jsonw_start_object(j);
		jsonw_string_field(j, "file", path);
		jsonw_bool_field(j, "bundle", true);
		jsonw_name(j, "traces");
		jsonw_start_array(j);
	} else {
		printf("bundle:       %s, %zu trace%s\n", path, b->ntraces,
		       b->ntraces == 1 ? "" : "s");
	}
	for (size_t i = 0; i < b->n; i++) {
		const char *base = bundle__trace_name(b->m[i].name);
		struct warns w = {.n = 0};
		TF_READER_OPTS(ro, .warn = on_warn, .warn_ctx = &w);
		struct tf_reader *r;
		struct tf_info in;
		char sel[4096], name[4096];

		if (!base || !b->m[i].regular)
			continue;
		/* by its member path: base names may repeat */
		snprintf(sel, sizeof(sel), "%s:%s", path, b->m[i].name);
		snprintf(name, sizeof(name), "%s:%s", path, base);
		if (!json)
			printf("\n== trace %zu of %zu: %s\n", ++k, b->ntraces, base);
		r = trace__open_reader(sel, &ro);
		if (!r || read_info(r, &in)) {
			if (json) {
				jsonw_start_object(j);
				jsonw_string_field(j, "file", name);
				jsonw_string_field(j, "error", xg_errmsg());
				jsonw_end_object(j);
			} else {
				printf("file:         %s\nerror:        %s\n", name, xg_errmsg());
			}
			tf_reader__close(r);
			status = XG_EXIT_USAGE;
			continue;
		}
		if (json)
			put_json(j, name, &in, tf_reader__meta(r), &w);
		else
			print_text(name, &in, tf_reader__meta(r), &w);
		if (in.damaged)
			status = XG_EXIT_USAGE;
		tf_reader__close(r);
	}
	if (json) {
		jsonw_end_array(j);
		jsonw_end_object(j);
		jsonw_newline(j);
		jsonw_free(j);
	}
	return status;
}

static int cmd_info(int argc, char **argv)
{
	struct warns w = {.n = 0};
	TF_READER_OPTS(ro, .warn = on_warn, .warn_ctx = &w);
	struct trace *tr;
	struct tf_reader *r;
	struct tf_info in;
	const char *path = NULL;
	bool json = false;
	int err, status;

	tr = xg_cli_open_trace_arg(argc, argv, "info", usage, &ro, &json, &path, &status);
	r = tr ? tr->r : NULL;
	if (!r)
		return status;
	/* a bundle named alone (not BUNDLE:NAME.xgt): all its traces */
	if (tr->bundle && bundle_input_kind(path) == BUNDLE_INPUT_BUNDLE) {
		status = info_bundle(path, tr->bundle, json);
		trace__close(tr);
		if (fflush(stdout) || ferror(stdout))
			return XG_EXIT_FAIL;
		return status;
	}
	err = read_info(r, &in);
	if (err) {
		xg_report_error(json, "info", "%s", xg_errmsg());
		trace__close(tr);
		return XG_EXIT_FAIL;
	}
	if (json) {
		struct jsonw *j = jsonw_new(stdout);

		if (j) {
			put_json(j, path, &in, tf_reader__meta(r), &w);
			jsonw_newline(j);
			jsonw_free(j);
		}
	} else {
		print_text(path, &in, tf_reader__meta(r), &w);
	}
	trace__close(tr);
	if (fflush(stdout) || ferror(stdout))
		return XG_EXIT_FAIL;
	return in.damaged ? XG_EXIT_USAGE : XG_EXIT_OK;
}
XG_COMMAND("info", cmd_info, "describe a trace file");
