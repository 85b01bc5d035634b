// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sinks behind the output options: "json" (JSON lines), "null" (discard), and "viewer",
 * which owns the aggregated model and the interactive outputs drawing it (TUI, web).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/evjson.h"
#include "util/err.h"
#include "model/model.h"
#include "viewer/outputs.h"
#include "viewer/tui.h"
#include "viewer/web.h"

void viewer_opts__init(struct viewer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tui = -1;
}

static int parse_web(struct viewer_opts *o, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	const char *port = colon ? colon + 1 : arg;
	char *end;
	unsigned long p;
	unsigned char buf[16];

	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || p > 65535 || errno)
		return xg_error(-EINVAL, "--web %s: the port must be a number from 0 to 65535",
				arg);
	o->web_port = (uint16_t)p;
	snprintf(o->web_addr, sizeof(o->web_addr), "127.0.0.1");
	if (colon) {
		size_t n = (size_t)(colon - arg);

		if (n && arg[0] == '[' && arg[n - 1] == ']') { /* [::1]:8080 */
			arg++;
			n -= 2;
		}
		if (n >= sizeof(o->web_addr))
			return xg_error(-EINVAL, "--web %s: address too long", arg);
		if (n) {
			memcpy(o->web_addr, arg, n);
			o->web_addr[n] = 0;
		}
		if (inet_pton(AF_INET, o->web_addr, buf) != 1 &&
		    inet_pton(AF_INET6, o->web_addr, buf) != 1)
			return xg_error(-EINVAL,
					"--web: '%s' is not a numeric IPv4 or IPv6 address",
					o->web_addr);
	}
	o->web = true;
	return 1;
}

int viewer_opts__parse(struct viewer_opts *o, int key, const char *arg)
{
	switch (key) {
	case VIEWER_OPT_JSON:
		o->json = true;
		return 1;
	case VIEWER_OPT_TUI:
		o->tui = 1;
		return 1;
	case VIEWER_OPT_NO_TUI:
		o->tui = 0;
		return 1;
	case VIEWER_OPT_WEB:
		return parse_web(o, arg ? arg : "");
	case VIEWER_OPT_NULL:
		o->null = true;
		return 1;
	default:
		return 0;
	}
}

void viewer_opts__usage(FILE *f)
{
	fprintf(f, "outputs:\n"
		   "  --json             events as JSON lines on stdout\n"
		   "  --tui, --no-tui    the terminal UI (default: on when stdout is a terminal\n"
		   "                     and --json is not given)\n"
		   "  --web [ADDR:]PORT  serve the web page (ADDR defaults to 127.0.0.1; PORT 0\n"
		   "                     picks a free port; the URL is printed on stderr)\n"
		   "  --null             discard the events (for measuring the source)\n");
}

void viewer_opts__finish(struct viewer_opts *o)
{
	if (o->tui < 0)
		o->tui = !o->json && !o->null && isatty(STDOUT_FILENO) ? 1 : 0;
	if (o->json && o->tui && !o->json_out)
		o->tui = 0; /* both want stdout: JSON wins (the user asked for it) */
}

bool viewer_opts__interactive(const struct viewer_opts *o)
{
	return o->tui > 0 || o->web;
}

bool viewer_opts__tui(const struct viewer_opts *o)
{
	return o->tui > 0;
}

/* --- json ---------------------------------------------------------------------------------- */

struct json_sink {
	struct sink base;
	FILE *out;
	const struct tf_tables *names;
};

static int json_begin(struct sink *s, const struct sink_info *info)
{
	struct json_sink *j = (struct json_sink *)s;

	j->names = info->names;
	return 0;
}

static int json_event(struct sink *s, const struct xg_event *ev)
{
	struct json_sink *j = (struct json_sink *)s;

	xg_event_write_json(j->out, ev, j->names);
	return 0;
}

static int json_tick(struct sink *s, const struct sink_status *st)
{
	struct json_sink *j = (struct json_sink *)s;

	(void)st;
	if (fflush(j->out) || ferror(j->out))
		return xg_error(-EIO, "writing JSON lines: %s", strerror(errno ? errno : EIO));
	return 0;
}

static void json_end(struct sink *s, const struct sink_status *st)
{
	struct json_sink *j = (struct json_sink *)s;

	(void)st;
	fflush(j->out);
}

static void json_free(struct sink *s)
{
	struct json_sink *j = (struct json_sink *)s;

	if (!j)
		return;
	fflush(j->out);
	free(j);
}

static const struct sink_ops json_ops = {
    .name = "json",
    .begin = json_begin,
    .event = json_event,
    .tick = json_tick,
    .end = json_end,
    .free = json_free,
};

static struct sink *json_sink__new(FILE *out)
{
	struct json_sink *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->base.ops = &json_ops;
	j->out = out ? out : stdout;
	/* a big buffer: one write() per 1 MiB rather than per line (flushed on every tick) */
	if (j->out == stdout)
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	/* only the source's thread writes here: skip stdio's per-call locking */
	__fsetlocking(j->out, FSETLOCKING_BYCALLER);
	return &j->base;
}

/* --- null ---------------------------------------------------------------------------------- */

static void null_free(struct sink *s)
{
	free(s);
}

/* No event callback at all: sources may skip the call (sink__event checks). */
static const struct sink_ops null_ops = {
    .name = "null",
    .free = null_free,
};

/* --- viewer -------------------------------------------------------------------------------- */

struct viewer_sink {
	struct sink base;
	struct gmodel *m;
	struct tui *tui;
	struct web *web;
};

static int viewer_begin(struct sink *s, const struct sink_info *info)
{
	struct viewer_sink *v = (struct viewer_sink *)s;
	int err = gmodel__begin(v->m, info);

	if (err)
		return err;
	if (v->web) {
		err = web__begin(v->web, v->m, s->ctl);
		if (err)
			return err;
	}
	if (v->tui) {
		err = tui__begin(v->tui, v->m, s->ctl);
		if (err)
			return xg_error(err,
					"cannot start the terminal UI (is stdout a terminal?)");
	}
	return 0;
}

static int viewer_event(struct sink *s, const struct xg_event *ev)
{
	struct viewer_sink *v = (struct viewer_sink *)s;

	return gmodel__event(v->m, ev);
}

static int viewer_tick(struct sink *s, const struct sink_status *st)
{
	struct viewer_sink *v = (struct viewer_sink *)s;

	gmodel__tick(v->m, st);
	if (v->web)
		web__tick(v->web, v->m);
	if (v->tui && tui__tick(v->tui, v->m))
		return 1;
	return 0;
}

static int viewer_reset(struct sink *s, uint64_t ts)
{
	struct viewer_sink *v = (struct viewer_sink *)s;

	gmodel__reset(v->m, ts);
	if (v->tui)
		tui__reset(v->tui);
	if (v->web)
		web__reset(v->web);
	return 0;
}

static void viewer_end(struct sink *s, const struct sink_status *st)
{
	struct viewer_sink *v = (struct viewer_sink *)s;

	gmodel__tick(v->m, st);
	/* the web's last frame first: the TUI may keep the screen until a key */
	if (v->web)
		web__end(v->web, v->m);
	if (v->tui)
		tui__end(v->tui, v->m);
}

static void viewer_free(struct sink *s)
{
	struct viewer_sink *v = (struct viewer_sink *)s;

	if (!v)
		return;
	tui__free(v->tui);
	web__free(v->web);
	gmodel__free(v->m);
	free(v);
}

static const struct sink_ops viewer_ops = {
    .name = "viewer",
    .begin = viewer_begin,
    .event = viewer_event,
    .tick = viewer_tick,
    .end = viewer_end,
    .free = viewer_free,
    .reset = viewer_reset,
};

static struct sink *viewer_sink__new(const struct viewer_opts *o)
{
	struct viewer_sink *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->base.ops = &viewer_ops;
	v->m = gmodel__new();
	if (!v->m)
		goto err;
	if (o->web) {
		v->web = web__new(o->web_addr, o->web_port);
		if (!v->web)
			goto err;
		fprintf(stderr, "xgotop: web output on http://%s%s%s:%u/\n",
			strchr(o->web_addr, ':') ? "[" : "", o->web_addr,
			strchr(o->web_addr, ':') ? "]" : "", web__port(v->web));
	}
	if (o->tui > 0) {
		v->tui = tui__new();
		if (!v->tui)
			goto err;
	}
	return &v->base;
err:
	viewer_free(&v->base);
	if (!errno)
		errno = ENOMEM;
	return NULL;
}

struct sink *viewer_outputs__new(const struct viewer_opts *o)
{
	struct viewer_opts r = *o;
	struct sink *kids[2] = {NULL, NULL};
	struct sink *s;
	int n = 0, err;

	viewer_opts__finish(&r);
	if (r.null && !r.json && !r.tui && !r.web) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->ops = &null_ops;
		return s;
	}
	if (r.json) {
		kids[n] = json_sink__new(r.json_out);
		if (!kids[n])
			goto err;
		n++;
	}
	if (r.tui > 0 || r.web || (!r.json && !r.null)) {
		kids[n] = viewer_sink__new(&r);
		if (!kids[n])
			goto err;
		n++;
	}
	if (n == 1)
		return kids[0];
	s = sink_fanout__new(kids, n);
	if (s)
		return s;
err:
	err = errno ? errno : ENOMEM;
	for (int i = 0; i < n; i++)
		sink__free(kids[i]);
	errno = err;
	return NULL;
}
