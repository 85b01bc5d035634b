// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Chrome JSON export (the Trace Event Format): {"displayTimeUnit":"ns","traceEvents":[...]}
 * with ts in microseconds (three decimals keep the nanoseconds). Goroutine tracks are threads
 * of the target's pid with tid = goid; tid 0 holds GC slices and lost-event instants.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "offline/export.h"
#include "util/jsonw.h"

struct cj {
	FILE *f;
	int64_t pid;
	bool first;
	bool gc_named;
	struct export_stats *st;
};

static uint64_t tid_of(uint64_t track)
{
	return track == TIMELINE_TRACK_GC || track == TIMELINE_TRACK_LOST ? 0 : track;
}

/* Starts an event object: the separator, name (NULL: none), ph, ts, pid, tid. */
static void ev_start(struct cj *c, const char *name, const char *ph, uint64_t ts, bool with_ts,
		     uint64_t tid)
{
	fputs(c->first ? "\n" : ",\n", c->f);
	c->first = false;
	c->st->packets++;
	fputc('{', c->f);
	if (name) {
		fputs("\"name\":", c->f);
		json_put_string(c->f, name, strlen(name));
		fputc(',', c->f);
	}
	fprintf(c->f, "\"ph\":\"%s\",", ph);
	if (with_ts)
		fprintf(c->f, "\"ts\":%" PRIu64 ".%03u,", ts / 1000, (unsigned int)(ts % 1000));
	fprintf(c->f, "\"pid\":%" PRId64 ",\"tid\":%" PRIu64, c->pid, tid);
}

static int cj_begin(void *ctx, int64_t pid, const char *process)
{
	struct cj *c = ctx;

	c->pid = pid > 0 ? pid : 1;
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", c->f);
	ev_start(c, "process_name", "M", 0, false, 0);
	fputs(",\"args\":{\"name\":", c->f);
	json_put_string(c->f, process, strlen(process));
	fputs("}}", c->f);
	return 0;
}

static int cj_track(void *ctx, uint64_t track, const char *name)
{
	struct cj *c = ctx;
	uint64_t tid = tid_of(track);

	if (!tid) {
		if (c->gc_named)
			return 0;
		c->gc_named = true;
		name = "GC and lost events";
	}
	ev_start(c, "thread_name", "M", 0, false, tid);
	fputs(",\"args\":{\"name\":", c->f);
	json_put_string(c->f, name, strlen(name));
	fputs("}}", c->f);
	ev_start(c, "thread_sort_index", "M", 0, false, tid);
	fprintf(c->f, ",\"args\":{\"sort_index\":%" PRIu64 "}}", tid);
	return 0;
}

static int cj_slice_begin(void *ctx, uint64_t track, uint64_t ts, const char *name,
			  uint64_t flow_end)
{
	struct cj *c = ctx;

	ev_start(c, name, "B", ts, true, tid_of(track));
	fputc('}', c->f);
	if (flow_end) {
		ev_start(c, "go", "f", ts, true, tid_of(track));
		fprintf(c->f, ",\"cat\":\"go\",\"bp\":\"e\",\"id\":%" PRIu64 "}", flow_end);
	}
	return 0;
}

static int cj_slice_end(void *ctx, uint64_t track, uint64_t ts)
{
	struct cj *c = ctx;

	ev_start(c, NULL, "E", ts, true, tid_of(track));
	fputc('}', c->f);
	return 0;
}

static int cj_instant(void *ctx, uint64_t track, uint64_t ts, const char *name, uint64_t flow_begin,
		      uint64_t goid)
{
	struct cj *c = ctx;

	ev_start(c, name, "i", ts, true, tid_of(track));
	fputs(",\"s\":\"t\"", c->f);
	if (goid)
		fprintf(c->f, ",\"args\":{\"goid\":%" PRIu64 "}", goid);
	fputc('}', c->f);
	if (flow_begin) {
		ev_start(c, "go", "s", ts, true, tid_of(track));
		fprintf(c->f, ",\"cat\":\"go\",\"id\":%" PRIu64 "}", flow_begin);
	}
	return 0;
}

static int cj_counter(void *ctx, enum timeline_counter k, uint64_t ts, int64_t value)
{
	struct cj *c = ctx;

	ev_start(c, timeline_counters[k].name, "C", ts, true, 0);
	fprintf(c->f, ",\"args\":{\"value\":%" PRId64 "}}", value);
	return 0;
}

static int cj_end(void *ctx, uint64_t ts)
{
	struct cj *c = ctx;

	(void)ts;
	fputs("\n]}\n", c->f);
	return fflush(c->f) || ferror(c->f) ? -EIO : 0;
}

int export_chrome(struct trace *t, FILE *f, struct export_stats *st)
{
	struct cj c = {.f = f, .first = true, .st = st};
	struct timeline_ops ops = {
	    .begin = cj_begin,
	    .track = cj_track,
	    .slice_begin = cj_slice_begin,
	    .slice_end = cj_slice_end,
	    .instant = cj_instant,
	    .counter = cj_counter,
	    .end = cj_end,
	    .ctx = &c,
	};
	long start = ftell(f);
	int err;

	memset(st, 0, sizeof(*st));
	err = timeline_walk(t, &ops, &st->tl);
	if (!err && ferror(f))
		err = -EIO;
	if (start >= 0 && ftell(f) >= start)
		st->bytes = (uint64_t)(ftell(f) - start);
	return err;
}
