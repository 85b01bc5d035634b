/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small HTTP/1.1 client for the database pushes: plain http:// URLs, one request per
 * connection (Connection: close), a body sent whole, the reply read whole (Content-Length,
 * chunked, or up to the close) within a size limit and a timeout. The server is not trusted:
 * a malformed or oversized reply is an error naming what was wrong, never a crash.
 */
#ifndef XG_UTIL_HTTP_H
#define XG_UTIL_HTTP_H

#include <stddef.h>

/* A parsed http://[user[:password]@]host[:port][/path][?query] URL; user and password are
 * percent-decoded, query is kept encoded. */
struct xg_url {
	char host[256];
	char port[8];
	char user[128];
	char password[128];
	char path[512];	  /* "/" when none */
	char query[1024]; /* without the '?'; "" when none */
	int has_user;
};

/* 0, or -EINVAL with a message (xg_errmsg()) naming what is wrong with s. */
int xg_url_parse(const char *s, struct xg_url *u);

/* The value of key in u->query, percent-decoded into buf; NULL when absent (or too long). */
const char *xg_url_query_get(const struct xg_url *u, const char *key, char *buf, size_t size);

/* Appends s percent-encoded for a query string (unreserved characters kept) to buf, which
 * holds len bytes of cap; returns the new length, or cap when it does not fit. */
size_t xg_url_escape(char *buf, size_t len, size_t cap, const char *s);

struct xg_http_reply {
	int status; /* 200, ... */
	char *body; /* NUL-terminated, malloc'ed; free() it */
	size_t len; /* bytes of body before the NUL */
};

/*
 * Sends `POST target` (target: path and query, already encoded) to u's host with
 * extra_headers (each line ending in "\r\n", or NULL) and body, basic authentication when u
 * has a user, and reads the reply into *out. timeout_ms bounds the connection and every
 * wait for the server; a reply body over max_reply bytes is an error. 0 (whatever the
 * status), or -errno with a message naming the server and what failed (connection refused,
 * timed out, a malformed reply).
 */
int xg_http_post(const struct xg_url *u, const char *target, const char *extra_headers,
		 const void *body, size_t len, int timeout_ms, size_t max_reply,
		 struct xg_http_reply *out);

#endif /* XG_UTIL_HTTP_H */
