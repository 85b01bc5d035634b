// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink/sink.h"
#include "util/err.h"

void sink_control__init(struct sink_control *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->seek_ts = -1;
}

void sink_control__destroy(struct sink_control *c)
{
	pthread_mutex_destroy(&c->lock);
}

void sink_control__quit(struct sink_control *c)
{
	pthread_mutex_lock(&c->lock);
	c->quit = true;
	c->generation++;
	pthread_mutex_unlock(&c->lock);
}

void sink_control__pause(struct sink_control *c, bool paused)
{
	pthread_mutex_lock(&c->lock);
	if (c->can_pause) {
		c->paused = paused;
		c->generation++;
	}
	pthread_mutex_unlock(&c->lock);
}

void sink_control__set_speed(struct sink_control *c, double speed)
{
	pthread_mutex_lock(&c->lock);
	if (c->can_speed) {
		c->speed = speed;
		c->speed_set = true;
		c->generation++;
	}
	pthread_mutex_unlock(&c->lock);
}

void sink_control__seek(struct sink_control *c, int64_t ts)
{
	pthread_mutex_lock(&c->lock);
	if (c->can_seek && ts >= 0) {
		c->seek_ts = ts;
		c->generation++;
	}
	pthread_mutex_unlock(&c->lock);
}

void sink_control__take(struct sink_control *c, struct sink_control *out)
{
	pthread_mutex_lock(&c->lock);
	out->can_pause = c->can_pause;
	out->can_seek = c->can_seek;
	out->can_speed = c->can_speed;
	out->quit = c->quit;
	out->paused = c->paused;
	out->speed = c->speed;
	out->speed_set = c->speed_set;
	out->seek_ts = c->seek_ts;
	out->generation = c->generation;
	c->speed_set = false;
	c->seek_ts = -1;
	pthread_mutex_unlock(&c->lock);
}

int sink__begin(struct sink *s, const struct sink_info *info)
{
	return s && s->ops->begin ? s->ops->begin(s, info) : 0;
}

int sink__event(struct sink *s, const struct xg_event *ev)
{
	return s && s->ops->event ? s->ops->event(s, ev) : 0;
}

int sink__tick(struct sink *s, const struct sink_status *st)
{
	return s && s->ops->tick ? s->ops->tick(s, st) : 0;
}

void sink__end(struct sink *s, const struct sink_status *st)
{
	if (s && s->ops->end)
		s->ops->end(s, st);
}

int sink__reset(struct sink *s, uint64_t ts)
{
	return s && s->ops->reset ? s->ops->reset(s, ts) : 0;
}

void sink__free(struct sink *s)
{
	if (s && s->ops->free)
		s->ops->free(s);
}

/* --- the source side -------------------------------------------------------------------------- */

void sink_pump__init(struct sink_pump *p, struct sink *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	sink_control__init(&p->ctl);
	if (out)
		out->ctl = &p->ctl;
}

/* A non-zero return of the sink: the run stops; a negative one is the output's failure. */
static int pump_stop(struct sink_pump *p, int ret)
{
	if (ret < 0 && !p->err) {
		p->err = ret;
		snprintf(p->msg, sizeof(p->msg), "%s",
			 xg_errmsg()[0] ? xg_errmsg() : strerror(-ret));
	}
	sink_pump__stop(p, ret < 0 ? "output failed" : "quit");
	p->out_done = true;
	return 1;
}

int sink_pump__begin(struct sink_pump *p, const struct sink_info *info)
{
	int ret;

	if (p->out_done)
		return 1;
	ret = sink__begin(p->out, info);
	return ret ? pump_stop(p, ret) : 0;
}

int sink_pump__event(struct sink_pump *p, const struct xg_event *ev)
{
	int ret;

	if (p->out_done)
		return 1;
	ret = sink__event(p->out, ev);
	if (ret)
		return pump_stop(p, ret);
	p->st.events++;
	if (ev->kind == XG_EV_LOST)
		p->st.lost += ev->count;
	return 0;
}

int sink_pump__events(struct sink_pump *p, const struct xg_event *evs, size_t n)
{
	if (p->out_done)
		return 1;
	if (!p->out || !p->out->ops->event) {
		for (size_t i = 0; i < n; i++)
			if (evs[i].kind == XG_EV_LOST)
				p->st.lost += evs[i].count;
		p->st.events += n;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (sink_pump__event(p, &evs[i]))
			return 1;
	return 0;
}

int sink_pump__tick(struct sink_pump *p)
{
	int ret;

	if (p->out_done)
		return 1;
	ret = sink__tick(p->out, &p->st);
	return ret ? pump_stop(p, ret) : 0;
}

int sink_pump__reset(struct sink_pump *p, uint64_t ts)
{
	int ret;

	if (p->out_done)
		return 1;
	ret = sink__reset(p->out, ts);
	return ret ? pump_stop(p, ret) : 0;
}

void sink_pump__stop(struct sink_pump *p, const char *reason)
{
	if (p->stopped)
		return;
	p->stopped = true;
	p->reason = reason;
}

int sink_pump__end(struct sink_pump *p, int err, const char *done)
{
	if (!p->reason)
		p->reason = err ? "error" : done;
	p->st.finished = true;
	p->st.paused = false;
	p->st.end_reason = p->reason;
	sink__end(p->out, &p->st);
	if (err)
		return err;
	if (p->err)
		return xg_error(p->err, "%s", p->msg);
	return 0;
}

void sink_pump__destroy(struct sink_pump *p)
{
	if (p->out)
		p->out->ctl = NULL;
	sink_control__destroy(&p->ctl);
}

struct fanout {
	struct sink base;
	struct sink **kids;
	int n;
};

static int fanout_begin(struct sink *s, const struct sink_info *info)
{
	struct fanout *f = (struct fanout *)s;

	for (int i = 0; i < f->n; i++) {
		int err;

		f->kids[i]->ctl = s->ctl;
		err = sink__begin(f->kids[i], info);
		if (err)
			return err;
	}
	return 0;
}

static int fanout_event(struct sink *s, const struct xg_event *ev)
{
	struct fanout *f = (struct fanout *)s;

	for (int i = 0; i < f->n; i++) {
		int err = sink__event(f->kids[i], ev);

		if (err)
			return err;
	}
	return 0;
}

static int fanout_tick(struct sink *s, const struct sink_status *st)
{
	struct fanout *f = (struct fanout *)s;

	for (int i = 0; i < f->n; i++) {
		int err = sink__tick(f->kids[i], st);

		if (err)
			return err;
	}
	return 0;
}

static void fanout_end(struct sink *s, const struct sink_status *st)
{
	struct fanout *f = (struct fanout *)s;

	for (int i = 0; i < f->n; i++)
		sink__end(f->kids[i], st);
}

static int fanout_reset(struct sink *s, uint64_t ts)
{
	struct fanout *f = (struct fanout *)s;

	for (int i = 0; i < f->n; i++) {
		int err = sink__reset(f->kids[i], ts);

		if (err)
			return err;
	}
	return 0;
}

static void fanout_free(struct sink *s)
{
	struct fanout *f = (struct fanout *)s;

	for (int i = 0; i < f->n; i++)
		sink__free(f->kids[i]);
	free(f->kids);
	free(f);
}

static const struct sink_ops fanout_ops = {
    .name = "fanout",
    .begin = fanout_begin,
    .event = fanout_event,
    .tick = fanout_tick,
    .end = fanout_end,
    .free = fanout_free,
    .reset = fanout_reset,
};

struct sink *sink_fanout__new(struct sink **arr, int n)
{
	struct fanout *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->kids = calloc(n > 0 ? n : 1, sizeof(*f->kids));
	if (!f->kids) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(f->kids, arr, sizeof(*arr) * (size_t)n);
	f->n = n;
	f->base.ops = &fanout_ops;
	return &f->base;
}
