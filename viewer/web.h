/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The web output: an HTTP server (libmicrohttpd, its own threads) that serves the page compiled
 * into the binary (viewer/web/) and streams aggregated frames to it with server-sent events.
 *
 * Frames are built from the model on the source's thread during tick() (at most 5 a second) and
 * handed to the server under a lock; server threads never touch the model. Each client reads
 * from a bounded ring of recent frames: a slow client skips frames (told by a "gap" field), and
 * never slows the source. Requests about one goroutine are queued and answered at the next tick.
 */
#ifndef XG_VIEWER_WEB_H
#define XG_VIEWER_WEB_H

#include <stdint.h>

#include "sink/sink.h"
#include "model/model.h"

struct web;

/* Starts listening on addr (numeric; NULL = 127.0.0.1) and port (0 = any free port). NULL with
 * errno set and xg_errmsg() saying why. */
struct web *web__new(const char *addr, uint16_t port);
/* The port listened on. */
uint16_t web__port(const struct web *w);
int web__begin(struct web *w, const struct gmodel *m, struct sink_control *ctl);
/* Publishes a frame when due and answers queued requests. 0. */
int web__tick(struct web *w, const struct gmodel *m);
void web__reset(struct web *w);
/* Publishes the final frame; clients stay connected until web__free(). */
void web__end(struct web *w, const struct gmodel *m);
void web__free(struct web *w);

/* The compiled-in assets (generated from viewer/web/ by viewer/module.mk). */
struct web_asset {
	const char *path; /* "/", "/app.js", ... */
	const char *type; /* Content-Type */
	const unsigned char *data;
	unsigned int len;
};
extern const struct web_asset web_assets[];
extern const unsigned int web_assets_count;

#endif /* XG_VIEWER_WEB_H */
