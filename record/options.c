// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recorder's options: modes, event kinds, sampling fractions, the --sample-file and the
 * probe budget.
 */
#include "record/recorder_internal.h"

int recorder__parse_mode(const char *s, enum recorder_mode *mode)
{
	if (!strcmp(s, "production") || !strcmp(s, "prod"))
		*mode = RECORDER_MODE_PRODUCTION;
	else if (!strcmp(s, "full"))
		*mode = RECORDER_MODE_FULL;
	else
		return xg_error(-EINVAL, "--mode %s: expected production or full", s);
	return 0;
}

int recorder__parse_budget(const char *s, double *budget)
{
	char *end;
	double v;

	if (!strcmp(s, "none")) {
		*budget = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || (*end && strcmp(end, "%") != 0) || !(v >= 0 && v <= 100))
		return xg_error(
		    -EINVAL, "--budget %s: expected a percentage from 0 to 100 (\"1%%\") or none",
		    s);
	*budget = v / 100;
	return 0;
}

int recorder__parse_kinds(const char *list, uint32_t *kinds)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	*kinds = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		if (!strcmp(tok, "all")) {
			*kinds |= RECORDER_KINDS;
			continue;
		}
		if (!strcmp(tok, "gc")) {
			*kinds |= XGB_KIND_BIT(XG_EV_GC_START) | XGB_KIND_BIT(XG_EV_GC_END);
			continue;
		}
		k = xg_kind_parse(tok);
		if (k < 0 || !(RECORDER_KINDS & XGB_KIND_BIT(k)))
			return xg_error(
			    -EINVAL,
			    "--events: unknown kind '%s' (full mode: go_create, go_exit, "
			    "go_state, alloc, gc_start, gc_end, sched; production mode: go_create, "
			    "go_exit, cpu_sample, alloc_sample, heap, snapshot, sched, alloc (large "
			    "ones), gc_start, gc_end; gc = both, all = every kind of the mode)",
			    tok);
		*kinds |= XGB_KIND_BIT(k);
	}
	if (!*kinds)
		return xg_error(-EINVAL, "--events: no kinds given");
	return 0;
}

int recorder__parse_sample(const char *arg, struct recorder_opts *opts)
{
	const char *eq = strchr(arg, '=');
	char name[32], *end;
	double rate;
	int k;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return xg_error(-EINVAL, "--sample %s: expected KIND=RATE, e.g. alloc=0.01", arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	k = xg_kind_parse(name);
	if (k < 0 || !(REC_FULL_KINDS & XGB_KIND_BIT(k)) ||
	    XG_KIND_IN(XG_KINDS_WITH_FLAGS(XG_KIND_SAMPLES), k))
		return xg_error(-EINVAL,
				"--sample: unknown kind '%s' (go_create, go_exit, go_state, alloc, "
				"gc_start, gc_end: the kinds sampled in the kernel)",
				name);
	errno = 0;
	rate = strtod(eq + 1, &end);
	if (errno || *end || end == eq + 1 || !(rate >= 0 && rate <= 1))
		return xg_error(-EINVAL, "--sample %s: the rate must be a number from 0 to 1", arg);
	opts->sample[k] = rate;
	opts->sample_set[k] = true;
	return 0;
}

double rec__rate_of(const struct recorder_opts *o, unsigned int k)
{
	return k < XG_EV_KIND_MAX && o->sample_set[k] && o->sample[k] >= 0 ? o->sample[k] : 1.0;
}

uint32_t rec__threshold(double rate)
{
	if (rate >= 1)
		return UINT32_MAX;
	if (rate <= 0)
		return 0;
	return (uint32_t)(rate * 4294967296.0);
}

int rec__read_sample_file(const char *path, struct recorder_opts *o)
{
	char line[256];
	int err = 0, n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return xg_error(-errno, "%s: %s", path, strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		char *s = line, *e;

		n++;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, "#\r\n");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (!strncmp(s, "budget=", 7)) {
			if (recorder__parse_budget(s + 7, &o->budget))
				err = xg_error(-EINVAL, "%s:%d: %s", path, n, xg_errmsg());
			o->budget_set = true;
		} else if (*s && recorder__parse_sample(s, o)) {
			err = xg_error(-EINVAL, "%s:%d: %s", path, n, xg_errmsg());
		}
	}
	fclose(f);
	return err;
}
