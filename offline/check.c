// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "offline/check.h"
#include "util/u64map.h"

int check_parse_bytes(const char *s, bool per_second, uint64_t *out)
{
	static const struct {
		const char *sfx;
		double mul;
	} units[] = {
	    {"", 1},
	    {"B", 1},
	    {"K", 1e3},
	    {"KB", 1e3},
	    {"Ki", 1024.0},
	    {"KiB", 1024.0},
	    {"M", 1e6},
	    {"MB", 1e6},
	    {"Mi", 1048576.0},
	    {"MiB", 1048576.0},
	    {"G", 1e9},
	    {"GB", 1e9},
	    {"Gi", 1073741824.0},
	    {"GiB", 1073741824.0},
	    {"T", 1e12},
	    {"TB", 1e12},
	    {"Ti", 1099511627776.0},
	    {"TiB", 1099511627776.0},
	};
	char unit[16];
	char *end;
	double v;
	size_t len;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	len = strlen(end);
	if (per_second && len >= 2 && !strcmp(end + len - 2, "/s"))
		len -= 2;
	if (len >= sizeof(unit))
		return -EINVAL;
	memcpy(unit, end, len);
	unit[len] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].sfx) != 0)
			continue;
		v *= units[i].mul;
		if (v >= 18446744073709551615.0)
			return -EINVAL;
		*out = (uint64_t)llround(v);
		return 0;
	}
	return -EINVAL;
}

static bool ignored(const struct analysis *a, const struct check_rules *r, uint32_t start_fn,
		    uint32_t create_fn)
{
	const char *s = analysis_str(a, start_fn), *c = analysis_str(a, create_fn);

	for (size_t i = 0; i < r->nignore; i++)
		if (!fnmatch(r->ignore[i], s, 0) || (*c && !fnmatch(r->ignore[i], c, 0)))
			return true;
	return false;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

/* The group of key in *v (found through map), added when new. */
static struct check_group *group(struct check_group **v, uint32_t *n, struct u64map *map,
				 uint64_t key)
{
	uint64_t i;
	struct check_group *g;

	if (u64map_get(map, key, &i))
		return &(*v)[i];
	if (!*n || !(*n & (*n - 1))) { /* full at powers of two */
		uint32_t ncap = *n ? *n * 2 : 1;
		struct check_group *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
	}
	if (u64map_put(map, key, *n))
		return NULL;
	g = &(*v)[(*n)++];
	memset(g, 0, sizeof(*g));
	g->site.fn = g->site.file = "";
	return g;
}

static void add_state(struct check_group *g, uint8_t state, uint32_t reason)
{
	uint32_t i;

	for (i = 0; i < g->nstates; i++)
		if (g->states[i].state == state && g->states[i].reason == reason)
			break;
	if (i == g->nstates) {
		if (g->nstates == CHECK_MAX_STATES)
			i = CHECK_MAX_STATES - 1; /* the rest are lumped into the last */
		else
			g->states[g->nstates++] = (struct check_state_count){state, reason, 0};
	}
	g->states[i].count++;
}

static int cmp_leak(const void *x, const void *y, void *ctx)
{
	const struct analysis *an = ctx;

	const struct check_group *a = x, *b = y;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	c = strcmp(a->site.file, b->site.file);
	if (c)
		return c;
	if (a->site.line != b->site.line)
		return a->site.line < b->site.line ? -1 : 1;
	c = strcmp(a->site.fn, b->site.fn);
	return c ? c : strcmp(analysis_str(an, a->start_fn), analysis_str(an, b->start_fn));
}

static int cmp_state(const void *x, const void *y, void *ctx)
{
	const struct analysis *an = ctx;

	const struct check_state_count *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->state != b->state)
		return a->state < b->state ? -1 : 1;
	return strcmp(analysis_str(an, a->reason), analysis_str(an, b->reason));
}

static int cmp_blocked(const void *x, const void *y, void *ctx)
{
	const struct analysis *an = ctx;

	const struct check_group *a = x, *b = y;
	int c;

	if (a->longest_ns != b->longest_ns)
		return a->longest_ns > b->longest_ns ? -1 : 1;
	c = strcmp(analysis_str(an, a->start_fn), analysis_str(an, b->start_fn));
	return c ? c : strcmp(analysis_str(an, a->reason), analysis_str(an, b->reason));
}

static int leaks(const struct analysis *a, const struct check_rules *r, struct check_report *rep)
{
	struct u64map map = {0};
	int err = 0;

	for (uint32_t i = 0; i < a->nalive; i++) {
		const struct analysis_alive *g = &a->alive[i];
		struct trace_where w;
		struct check_group *grp;
		uint64_t key;

		if (g->runtime) {
			rep->not_runtime++;
			continue;
		}
		if (!g->created) {
			rep->not_preexisting++;
			continue;
		}
		if (a->end_ts - g->created_ts < r->leak_min_age_ns) {
			rep->not_young++;
			continue;
		}
		if (ignored(a, r, g->start_fn, g->create_fn)) {
			rep->not_ignored++;
			continue;
		}
		analysis_create_site(a, g, &w);
		key = fnv_str(fnv_str(fnv_str(0xcbf29ce484222325ULL, w.fn), w.file),
			      analysis_str(a, g->start_fn));
		key = fnv(key, &w.line, sizeof(w.line));
		key = fnv(key, &g->where_stack, sizeof(g->where_stack));
		grp = group(&rep->leaks, &rep->nleaks, &map, key);
		if (!grp) {
			err = -ENOMEM;
			break;
		}
		if (!grp->count) {
			grp->site = w;
			grp->where_stack = g->where_stack;
			grp->start_fn = g->start_fn;
			grp->create_fn = g->create_fn;
			grp->oldest_ts = g->created_ts;
		}
		grp->count++;
		rep->leaked++;
		if (g->created_ts < grp->oldest_ts)
			grp->oldest_ts = g->created_ts;
		if (g->created_ts > grp->newest_ts)
			grp->newest_ts = g->created_ts;
		add_state(grp, g->state, g->state == XG_G_WAITING ? g->reason : 0);
		if (grp->ngoids < CHECK_MAX_GOIDS)
			grp->goids[grp->ngoids++] = g->goid; /* alive[] is sorted by goid */
	}
	u64map_free(&map);
	if (err)
		return err;
	for (uint32_t i = 0; i < rep->nleaks; i++)
		qsort_r(rep->leaks[i].states, rep->leaks[i].nstates,
			sizeof(rep->leaks[i].states[0]), cmp_state, (void *)a);
	if (rep->nleaks)
		qsort_r(rep->leaks, rep->nleaks, sizeof(rep->leaks[0]), cmp_leak, (void *)a);
	return 0;
}

static int blocked(const struct analysis *a, const struct check_rules *r, struct check_report *rep)
{
	struct u64map map = {0};
	int err = 0;

	for (uint32_t i = 0; i < a->nblocks; i++) {
		const struct analysis_block *b = &a->blocks[i];
		struct check_group *grp;

		if (b->runtime || b->ns <= r->max_blocked_ns || ignored(a, r, b->start_fn, 0))
			continue;
		grp = group(&rep->blocked, &rep->nblocked, &map,
			    (uint64_t)b->start_fn << 32 | b->reason);
		if (!grp) {
			err = -ENOMEM;
			break;
		}
		grp->start_fn = b->start_fn;
		grp->reason = b->reason;
		grp->count++;
		rep->blocked_waits++;
		if (b->ns > grp->longest_ns) {
			grp->longest_ns = b->ns;
			grp->oldest_ts = b->from_ts;
			grp->ongoing = b->ongoing;
			grp->at_least = b->at_least;
			/* the longest first */
			if (grp->ngoids == CHECK_MAX_GOIDS)
				grp->ngoids--;
			memmove(grp->goids + 1, grp->goids, grp->ngoids * sizeof(grp->goids[0]));
			grp->goids[0] = b->goid;
			grp->ngoids++;
		} else if (grp->ngoids < CHECK_MAX_GOIDS) {
			grp->goids[grp->ngoids++] = b->goid;
		}
	}
	u64map_free(&map);
	if (!err && rep->nblocked)
		qsort_r(rep->blocked, rep->nblocked, sizeof(rep->blocked[0]), cmp_blocked,
			(void *)a);
	return err;
}

static struct check_rule *rule(struct check_report *rep, enum check_rule_id id, const char *name,
			       uint64_t limit, uint64_t value)
{
	struct check_rule *r = &rep->rules[rep->nrules++];

	*r = (struct check_rule){.id = id, .name = name, .limit = limit, .value = value};
	r->ok = value <= limit;
	return r;
}

int check__run(const struct analysis *a, const struct check_rules *r, struct check_report *rep)
{
	struct check_rule *x;
	int err;

	memset(rep, 0, sizeof(*rep));
	if (r->no_leaks) {
		err = leaks(a, r, rep);
		if (err)
			return err;
		rule(rep, CHECK_NO_LEAKS, "no-leaks", 0, rep->leaked);
	}
	if (r->max_goroutines != CHECK_UNSET) {
		x = rule(rep, CHECK_MAX_GOROUTINES, "max-goroutines", r->max_goroutines,
			 a->peak_goroutines);
		x->at_ts = a->peak_goroutines_ts;
	}
	if (r->max_alloc_bytes != CHECK_UNSET) {
		x = rule(rep, CHECK_MAX_ALLOC_BYTES, "max-alloc-bytes", r->max_alloc_bytes,
			 a->m->alloc_bytes);
		x->estimate = a->m->alloc_sampled;
	}
	if (r->max_alloc_rate != CHECK_UNSET) {
		x = rule(rep, CHECK_MAX_ALLOC_RATE, "max-alloc-rate", r->max_alloc_rate,
			 (uint64_t)llround(a->peak_alloc_bps));
		x->at_ts = a->peak_alloc_ts;
		x->estimate = a->m->alloc_sampled;
	}
	if (r->max_heap != CHECK_UNSET) {
		x = rule(rep, CHECK_MAX_HEAP, "max-heap", r->max_heap, a->peak_heap);
		x->at_ts = a->peak_heap_ts;
	}
	if (r->max_blocked_ns != CHECK_UNSET) {
		err = blocked(a, r, rep);
		if (err)
			return err;
		x = rule(rep, CHECK_MAX_BLOCKED, "max-blocked", r->max_blocked_ns,
			 rep->nblocked ? rep->blocked[0].longest_ns : 0);
		x->ok = !rep->nblocked;
		x->at_ts = rep->nblocked ? rep->blocked[0].oldest_ts : 0;
	}
	if (r->max_lost != CHECK_UNSET)
		rule(rep, CHECK_MAX_LOST, "max-lost", r->max_lost, a->m->lost);
	for (uint32_t i = 0; i < rep->nrules; i++)
		rep->failed += !rep->rules[i].ok;
	return 0;
}

void check_report__free(struct check_report *rep)
{
	if (!rep)
		return;
	free(rep->leaks);
	free(rep->blocked);
	memset(rep, 0, sizeof(*rep));
}
