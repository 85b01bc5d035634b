// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pprof export: profile.proto (github.com/google/pprof/proto/profile.proto), gzip-compressed.
 *
 *   allocs      one sample per (stack, type): alloc_objects/count, alloc_space/bytes, scaled
 *               like model/model.h (alloc: 1/rate, alloc_sample: weight); label type=NAME
 *   goroutines  Go's goroutine profile at the recording's end: one sample per (stack the
 *               goroutine waits in, start function, creation site) of the goroutines alive,
 *               the runtime's own left out: goroutines/count, created/count (of those, created
 *               during the recording); labels start_fn and created_by ("fn file:line")
 *   cpu         one sample per (stack, start function of the goroutine on CPU) from
 *               cpu_sample events: samples/count and cpu/nanoseconds (samples x 1/hz, hz from
 *               the metadata); label start_fn; whole stacks, runtime frames included
 *
 * Locations are the trace's stack frames (innermost first, as pprof wants). Allocation stacks
 * start at their first frame outside the runtime (the allocator's own frames left out, as the
 * viewer names allocation sites); CPU and goroutine stacks are whole. An allocation without a
 * stack gets a location "(no stack)", a goroutine "(where unknown)".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "model/model.h"
#include "offline/analyze.h"
#include "util/array.h"
#include "offline/export.h"
#include "offline/pb.h"
#include "util/err.h"
#include "util/u64map.h"

#define BATCH 4096
/* lines of one location: the calls inlined at a PC (the recorder expands at most 64) */
#define INLINE_LINES 64

/* Profile */
#define P_SAMPLE_TYPE	 1
#define P_SAMPLE	 2
#define P_MAPPING	 3
#define P_LOCATION	 4
#define P_FUNCTION	 5
#define P_STRING_TABLE	 6
#define P_TIME_NANOS	 9
#define P_DURATION_NANOS 10
#define P_PERIOD_TYPE	 11
#define P_PERIOD	 12
#define P_COMMENT	 13
#define P_DEFAULT_SAMPLE 14
/* ValueType */
#define VT_TYPE 1
#define VT_UNIT 2
/* Sample */
#define S_LOCATION_ID 1
#define S_VALUE	      2
#define S_LABEL	      3
/* Label */
#define L_KEY 1
#define L_STR 2
/* Mapping */
#define M_ID		1
#define M_START		2
#define M_LIMIT		3
#define M_FILENAME	5
#define M_BUILD_ID	6
#define M_HAS_FUNCTIONS 7
#define M_HAS_FILENAMES 8
#define M_HAS_LINES	9
/* Location */
#define LO_ID	   1
#define LO_MAPPING 2
#define LO_ADDRESS 3
#define LO_LINE	   4
/* Line */
#define LN_FUNCTION 1
#define LN_LINE	    2
/* Function */
#define F_ID	      1
#define F_NAME	      2
#define F_SYSTEM_NAME 3
#define F_FILENAME    4

struct sample {
	uint32_t stack;	    /* trace stack id, 0: none */
	uint32_t label;	    /* trace string id of the label value (type / start fn) */
	bool whole;	    /* CPU and goroutine samples: keep the runtime's frames */
	int64_t created_by; /* goroutines: profile string id of the creation site (0: none) */
	int64_t v[2];
};

struct pp {
	struct trace *t;
	const struct tf_tables *names;
	struct sample *s;
	size_t n, cap;
	struct u64map idx;	 /* sample key -> index */
	struct tf_tables *strs;	 /* profile strings: id i = string_table[i] */
	struct u64map fn_idx;	 /* (name << 32 | file) -> function id */
	struct u64map loc_idx;	 /* location key -> location id */
	struct pb_buf locs, fns; /* Location and Function messages, as they are made */
	uint64_t nlocs, nfns;
	uint64_t pc_min, pc_max;
};

static uint64_t mix(uint64_t a, uint64_t b)
{
	return u64_hash(a * 0x9e3779b97f4a7c15ULL ^ u64_hash(b));
}

static struct sample *sample_get(struct pp *p, uint64_t key, uint32_t stack, uint32_t label)
{
	uint64_t i;

	if (u64map_get(&p->idx, key, &i))
		return &p->s[i];
	if (xg_array_grow((void **)&p->s, &p->cap, p->n + 1, sizeof(*p->s)))
		return NULL;
	if (u64map_put(&p->idx, key, p->n))
		return NULL;
	memset(&p->s[p->n], 0, sizeof(p->s[0]));
	p->s[p->n].stack = stack;
	p->s[p->n].label = label;
	return &p->s[p->n++];
}

static int64_t str(struct pp *p, const char *s)
{
	uint32_t id = s && *s ? tf_tables__intern(p->strs, s, strlen(s)) : 0;

	if (s && *s && !id)
		p->locs.err = -ENOMEM;
	return id;
}

static uint64_t function(struct pp *p, const char *name, const char *file)
{
	int64_t n = str(p, *name ? name : "?"), f = str(p, file);
	uint64_t key = (uint64_t)n << 32 | (uint64_t)f, id;
	size_t m;

	if (u64map_get(&p->fn_idx, key, &id))
		return id;
	id = ++p->nfns;
	if (u64map_put(&p->fn_idx, key, id))
		p->fns.err = -ENOMEM;
	m = pb_begin(&p->fns, P_FUNCTION);
	pb_uint(&p->fns, F_ID, id);
	pb_int(&p->fns, F_NAME, n);
	pb_int(&p->fns, F_SYSTEM_NAME, n);
	pb_int(&p->fns, F_FILENAME, f);
	pb_end(&p->fns, m);
	return id;
}

/* The location of pc with its lines: the functions inlined there, innermost first, then the
 * one holding the code ("the last entry the caller into which the preceding entries were
 * inlined", as pprof puts it); key identifies it among the locations. */
static uint64_t location(struct pp *p, uint64_t key, uint64_t pc, const struct trace_where *lines,
			 uint32_t n)
{
	uint64_t id;
	size_t m, l;

	if (u64map_get(&p->loc_idx, key, &id))
		return id;
	id = ++p->nlocs;
	if (u64map_put(&p->loc_idx, key, id))
		p->locs.err = -ENOMEM;
	if (pc) {
		if (!p->pc_min || pc < p->pc_min)
			p->pc_min = pc;
		if (pc > p->pc_max)
			p->pc_max = pc;
	}
	m = pb_begin(&p->locs, P_LOCATION);
	pb_uint(&p->locs, LO_ID, id);
	if (pc) {
		pb_uint(&p->locs, LO_MAPPING, 1);
		pb_uint(&p->locs, LO_ADDRESS, pc);
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t fid = function(p, lines[i].fn, lines[i].file);

		l = pb_begin(&p->locs, LO_LINE);
		pb_uint(&p->locs, LN_FUNCTION, fid);
		pb_int(&p->locs, LN_LINE, lines[i].line);
		pb_end(&p->locs, l);
	}
	pb_end(&p->locs, m);
	return id;
}

/* The location of one captured PC of a stack: frames fr[0..n) share it, the inlined ones
 * first (at most INLINE_LINES of them are kept as lines). */
static uint64_t frames_location(struct pp *p, const struct xg_frame *fr, uint32_t n)
{
	struct trace_where lines[INLINE_LINES];
	uint64_t key = 0x9e3779b97f4a7c15ull;

	if (n > INLINE_LINES)
		n = INLINE_LINES;
	for (uint32_t i = 0; i < n; i++) {
		key =
		    mix(mix(key, mix(fr[i].pc, fr[i].fn)), (uint64_t)fr[i].file << 32 | fr[i].line);
		lines[i] = (struct trace_where){.fn = tf_tables__str(p->names, fr[i].fn),
						.file = tf_tables__str(p->names, fr[i].file),
						.line = fr[i].line};
	}
	return location(p, key, fr[0].pc, lines, n);
}

/* Location ids of a sample, leaf first, into *ids (grown as needed). The count. */
static size_t sample_locations(struct pp *p, const struct sample *s, uint64_t **ids, size_t *cap)
{
	const struct xg_frame *fr;
	size_t k = 0;
	uint32_t n;

	if (s->whole) {
		fr = tf_tables__stack(p->names, s->stack, &n);
	} else {
		fr = tf_tables__stack(p->names, s->stack, &n);
		if (fr && n)
			fr = analysis_user_frames(p->names, fr, &n);
	}
	if (!fr || !n) {
		struct trace_where w = {.fn = s->created_by ? "(where unknown)" : "(no stack)",
					.file = ""};
		uint64_t key = s->created_by ? UINT64_MAX - 1 : UINT64_MAX;

		if (*cap < 1) {
			free(*ids);
			*ids = malloc(16 * sizeof(**ids));
			*cap = *ids ? 16 : 0;
			if (!*ids)
				return 0;
		}
		(*ids)[0] = location(p, key, 0, &w, 1);
		return 1;
	}
	if (*cap < n) {
		free(*ids);
		*ids = malloc(n * sizeof(**ids));
		*cap = *ids ? n : 0;
		if (!*ids)
			return 0;
	}
	for (uint32_t i = 0, j; i < n; i = j + 1) {
		for (j = i; j + 1 < n && (fr[j].flags & XG_FRAME_INLINED);)
			j++;
		(*ids)[k++] = frames_location(p, fr + i, j - i + 1);
	}
	return k;
}

static int collect_allocs(struct pp *p, struct xg_event *evs, struct export_stats *st)
{
	double rate = gmodel_alloc_rate(tf_reader__meta(p->t->r));
	long n;

	while ((n = tf_reader__read(p->t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < n; i++) {
			const struct xg_event *ev = &evs[i];
			uint64_t bytes, objs;
			struct sample *s;

			st->tl.events++;
			st->tl.end_ts = ev->ts;
			if (ev->kind != XG_EV_ALLOC && ev->kind != XG_EV_ALLOC_SAMPLE)
				continue;
			gm_alloc_scale(rate, ev, &bytes, &objs);
			s = sample_get(p, (uint64_t)ev->stack << 32 | ev->type, ev->stack,
				       ev->type);
			if (!s)
				return -ENOMEM;
			s->v[0] += (int64_t)objs;
			s->v[1] += (int64_t)bytes;
		}
	}
	return (int)n;
}

/*
 * Go's goroutine profile, from a recording: the goroutines alive at its end (the runtime's own
 * left out, as Go leaves them out), one sample per (stack it waits in, start function,
 * creation site): goroutines/count, and created/count of those created during the recording;
 * labels start_fn and created_by ("fn file:line" of the go statement). A goroutine whose stack
 * the trace does not have gets the location "(where unknown)".
 */
static int collect_goroutines(struct pp *p, struct export_stats *st)
{
	struct analysis *a;
	char site[1024];
	int err = 0;

	err = tf_reader__seek(p->t->r, 0);
	if (err)
		return err;
	a = analysis__new(p->t, NULL);
	if (!a)
		return -errno;
	st->tl.events = a->events;
	st->tl.end_ts = a->end_ts;
	for (uint32_t i = 0; i < a->nalive && !err; i++) {
		const struct analysis_alive *g = &a->alive[i];
		struct trace_where w;
		struct sample *s;
		int64_t created_by;

		if (g->runtime && g->goid != 1)
			continue;
		analysis_create_site(a, g, &w);
		if (g->goid == 1)
			snprintf(site, sizeof(site), "(the main goroutine)");
		else if (*w.fn)
			snprintf(site, sizeof(site), "%s %s:%u", w.fn, w.file, w.line);
		else
			snprintf(site, sizeof(site), "(before the recording)");
		created_by = str(p, site);
		s = sample_get(p, mix(mix(g->where_stack, g->start_fn), (uint64_t)created_by) ^ 2,
			       g->where_stack, g->start_fn);
		if (!s) {
			err = -ENOMEM;
			break;
		}
		s->whole = true;
		s->created_by = created_by;
		s->v[0]++;
		s->v[1] += g->created;
	}
	analysis__free(a);
	return err;
}

/* The label of CPU samples taken outside any goroutine (the scheduler, a C thread). */
#define NO_GOROUTINE UINT32_MAX

static int collect_cpu(struct pp *p, struct xg_event *evs, struct export_stats *st)
{
	double hz = gmodel_cpu_hz(tf_reader__meta(p->t->r));
	struct u64map start_fn = {0}; /* goid -> start function string id */
	long n;
	int err = 0;

	while ((n = tf_reader__read(p->t->r, evs, BATCH)) > 0) {
		for (long i = 0; i < n && !err; i++) {
			const struct xg_event *ev = &evs[i];
			struct sample *s;
			uint64_t fn = 0;

			st->tl.events++;
			st->tl.end_ts = ev->ts;
			if ((ev->kind == XG_EV_GO_CREATE || ev->kind == XG_EV_SNAPSHOT) &&
			    ev->goid && ev->start_fn) {
				err = u64map_put(&start_fn, ev->goid, ev->start_fn);
				continue;
			}
			if (ev->kind != XG_EV_CPU_SAMPLE)
				continue;
			if (!ev->goid)
				fn = NO_GOROUTINE;
			else
				u64map_get(&start_fn, ev->goid, &fn);
			s = sample_get(p, mix((uint64_t)ev->stack, fn), ev->stack, (uint32_t)fn);
			if (!s) {
				err = -ENOMEM;
				break;
			}
			s->whole = true;
			s->v[0]++;
			s->v[1] += (int64_t)gm_cpu_ns(hz, ev);
		}
		if (err)
			break;
	}
	u64map_free(&start_fn);
	if (!err && n < 0)
		err = (int)n;
	return err;
}

static void value_type(struct pb_buf *b, uint32_t field, int64_t type, int64_t unit)
{
	size_t m = pb_begin(b, field);

	pb_int(b, VT_TYPE, type);
	pb_int(b, VT_UNIT, unit);
	pb_end(b, m);
}

static int build(struct pp *p, enum export_profile kind, struct pb_buf *out,
		 struct export_stats *st)
{
	const struct tf_meta *meta = tf_reader__meta(p->t->r);
	const char *bin = tf_meta__str(meta, TF_KEY_BINARY_PATH),
		   *id = tf_meta__str(meta, TF_KEY_BINARY_BUILD_ID);
	/* sample types, label key, and the label of samples without one, per profile */
	static const struct {
		const char *t0, *u0, *t1, *u1, *label, *unlabelled, *name;
		int default_sample;
	} kinds[] = {
	    [EXPORT_PROFILE_ALLOCS] = {"alloc_objects", "count", "alloc_space", "bytes", "type",
				       "(untyped)", "allocs", 1},
	    [EXPORT_PROFILE_GOROUTINES] = {"goroutines", "count", "created", "count", "start_fn",
					   "(unknown)", "goroutines", 0},
	    [EXPORT_PROFILE_CPU] = {"samples", "count", "cpu", "nanoseconds", "start_fn",
				    "(unknown)", "cpu", 1},
	};
	const typeof(kinds[0]) *k = &kinds[kind];
	int64_t t0 = str(p, k->t0), u0 = str(p, k->u0);
	int64_t t1 = str(p, k->t1), u1 = str(p, k->u1);
	int64_t lkey = str(p, k->label), wall = 0;
	uint64_t *ids = NULL;
	size_t cap = 0;
	char comment[512];
	int64_t cid;

	value_type(out, P_SAMPLE_TYPE, t0, u0);
	value_type(out, P_SAMPLE_TYPE, t1, u1);
	for (size_t i = 0; i < p->n; i++) {
		const struct sample *s = &p->s[i];
		size_t n = sample_locations(p, s, &ids, &cap), m, l;
		const char *lv = s->label == NO_GOROUTINE ? "(no goroutine)"
							  : tf_tables__str(p->names, s->label);

		if (!n) {
			free(ids);
			return -ENOMEM;
		}
		m = pb_begin(out, P_SAMPLE);
		pb_packed_uint(out, S_LOCATION_ID, ids, n);
		{
			uint64_t v[2] = {(uint64_t)s->v[0], (uint64_t)s->v[1]};

			pb_packed_uint(out, S_VALUE, v, 2);
		}
		l = pb_begin(out, S_LABEL);
		pb_int(out, L_KEY, lkey);
		pb_int(out, L_STR, str(p, *lv ? lv : k->unlabelled));
		pb_end(out, l);
		if (s->created_by) {
			l = pb_begin(out, S_LABEL);
			pb_int(out, L_KEY, str(p, "created_by"));
			pb_int(out, L_STR, s->created_by);
			pb_end(out, l);
		}
		pb_end(out, m);
		st->total[0] += (uint64_t)s->v[0];
		st->total[1] += (uint64_t)s->v[1];
	}
	free(ids);
	st->samples = p->n;
	{
		size_t m = pb_begin(out, P_MAPPING);

		pb_uint(out, M_ID, 1);
		pb_uint(out, M_START, p->pc_min);
		pb_uint(out, M_LIMIT, p->pc_max + 1);
		pb_int(out, M_FILENAME, str(p, bin ? bin : ""));
		pb_int(out, M_BUILD_ID, str(p, id ? id : ""));
		pb_uint(out, M_HAS_FUNCTIONS, 1);
		pb_uint(out, M_HAS_FILENAMES, 1);
		pb_uint(out, M_HAS_LINES, 1);
		pb_end(out, m);
	}
	st->locations = p->nlocs;
	st->functions = p->nfns;
	tf_meta__int(meta, TF_KEY_WALL_START_NS, &wall);
	pb_int(out, P_TIME_NANOS, wall);
	{
		struct tf_info in; /* the recording's span, which may end after its last event */

		if (!tf_reader__info(p->t->r, &in) && in.span_ns > st->tl.end_ts)
			st->tl.end_ts = in.span_ns;
	}
	pb_int(out, P_DURATION_NANOS, (int64_t)st->tl.end_ts);
	value_type(out, P_PERIOD_TYPE, t1, u1);
	pb_int(out, P_PERIOD,
	       kind == EXPORT_PROFILE_CPU ? (int64_t)(1e9 / gmodel_cpu_hz(meta)) : 1);
	snprintf(comment, sizeof(comment), "xgotop export --format pprof --profile %s %s", k->name,
		 p->t->name);
	cid = str(p, comment);
	pb_int(out, P_COMMENT, cid);
	pb_int(out, P_DEFAULT_SAMPLE, k->default_sample ? t1 : t0);
	if (p->locs.err || p->fns.err)
		return p->locs.err ? p->locs.err : p->fns.err;
	/* locations and functions were encoded as whole fields as they were met */
	pb_raw(out, p->locs.p, p->locs.len);
	pb_raw(out, p->fns.p, p->fns.len);
	/* the string table last: every string is interned by now; index 0 is "" */
	pb_string(out, P_STRING_TABLE, "");
	for (uint32_t i = 1; i <= tf_tables__str_count(p->strs); i++)
		pb_bytes(out, P_STRING_TABLE, tf_tables__str(p->strs, i),
			 tf_tables__str_len(p->strs, i));
	return out->err;
}

static int write_gz(int fd, const struct pb_buf *b)
{
	int dfd = dup(fd), err = 0;
	gzFile gz;

	if (dfd < 0)
		return -errno;
	gz = gzdopen(dfd, "wb");
	if (!gz) {
		close(dfd);
		return -ENOMEM;
	}
	for (size_t off = 0; off < b->len;) {
		unsigned int chunk =
		    b->len - off > (1u << 30) ? (1u << 30) : (unsigned int)(b->len - off);

		if (gzwrite(gz, b->p + off, chunk) != (int)chunk) {
			err = -EIO;
			break;
		}
		off += chunk;
	}
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	return err;
}

int export_pprof(struct trace *t, enum export_profile kind, int fd, struct export_stats *st)
{
	struct pp p = {.t = t, .names = tf_reader__tables(t->r)};
	struct xg_event *evs = malloc(BATCH * sizeof(*evs));
	struct pb_buf out = {0};
	int err;

	memset(st, 0, sizeof(*st));
	p.strs = tf_tables__new();
	if (!evs || !p.strs) {
		err = -ENOMEM;
		goto out;
	}
	err = kind == EXPORT_PROFILE_ALLOCS	  ? collect_allocs(&p, evs, st)
	      : kind == EXPORT_PROFILE_GOROUTINES ? collect_goroutines(&p, st)
						  : collect_cpu(&p, evs, st);
	if (err < 0)
		goto out;
	err = build(&p, kind, &out, st);
	if (err)
		goto out;
	st->bytes = out.len;
	err = write_gz(fd, &out);
out:
	free(evs);
	free(p.s);
	u64map_free(&p.idx);
	u64map_free(&p.fn_idx);
	u64map_free(&p.loc_idx);
	pb_buf__free(&p.locs);
	pb_buf__free(&p.fns);
	pb_buf__free(&out);
	tf_tables__free(p.strs);
	return err < 0 ? err : 0;
}
