// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The HTTP client of util/http.h: blocking sockets with poll() for the timeouts, the reply
 * gathered in one growing buffer, then its head parsed and its body de-chunked in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "util/http.h"

#define HEAD_MAX (64 * 1024) /* bytes of a reply's status line and headers */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into buf (NUL-terminated); false when it does not fit or a %XX is
 * bad. */
static bool decode(const char *s, size_t n, char *buf, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n)
				return false;
			if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return false;
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (k + 1 >= size)
			return false;
		buf[k++] = (char)c;
	}
	buf[k] = '\0';
	return true;
}

static bool copy(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

int xg_url_parse(const char *s, struct xg_url *u)
{
	const char *p, *auth_end, *host_end, *at, *colon;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "http://", 7) != 0)
		return xg_error(-EINVAL, "%s: not an http:// URL%s", s,
				strncasecmp(s, "https://", 8) != 0 ? ""
								   : " (https is not supported)");
	p = s + 7;
	auth_end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(auth_end - p));
	if (at) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (!decode(p, (size_t)((colon ? colon : at) - p), u->user, sizeof(u->user)) ||
		    (colon && !decode(colon + 1, (size_t)(at - colon - 1), u->password,
				      sizeof(u->password))))
			return xg_error(-EINVAL,
					"URL: the user or password is malformed or too long");
		u->has_user = 1;
		p = at + 1;
	}
	host_end = p;
	if (*p == '[') { /* [IPv6] */
		host_end = memchr(p, ']', (size_t)(auth_end - p));
		if (!host_end)
			return xg_error(-EINVAL, "URL %s: unclosed [ in the host", s);
		if (!copy(u->host, sizeof(u->host), p + 1, (size_t)(host_end - p - 1)))
			return xg_error(-EINVAL, "URL %s: host name too long", s);
		host_end++;
	} else {
		while (host_end < auth_end && *host_end != ':')
			host_end++;
		if (!copy(u->host, sizeof(u->host), p, (size_t)(host_end - p)))
			return xg_error(-EINVAL, "URL %s: host name too long", s);
	}
	if (!u->host[0])
		return xg_error(-EINVAL, "URL %s: no host", s);
	if (host_end < auth_end && *host_end == ':') {
		size_t n = (size_t)(auth_end - host_end - 1);

		if (!n || n > 5 || strspn(host_end + 1, "0123456789") < n ||
		    atoi(host_end + 1) < 1 || atoi(host_end + 1) > 65535)
			return xg_error(-EINVAL, "URL %s: the port is not a number from 1 to 65535",
					s);
		copy(u->port, sizeof(u->port), host_end + 1, n);
	} else if (host_end != auth_end) {
		return xg_error(-EINVAL, "URL %s: unexpected characters after the host", s);
	} else {
		strcpy(u->port, "80");
	}
	p = auth_end;
	if (*p == '/') {
		size_t n = strcspn(p, "?#");

		if (!copy(u->path, sizeof(u->path), p, n))
			return xg_error(-EINVAL, "URL %s: path too long", s);
		p += n;
	} else {
		strcpy(u->path, "/");
	}
	if (*p == '?') {
		size_t n = strcspn(p + 1, "#");

		if (!copy(u->query, sizeof(u->query), p + 1, n))
			return xg_error(-EINVAL, "URL %s: query too long", s);
	}
	for (const char *c = u->path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return xg_error(-EINVAL, "URL %s: control character or space in the path",
					s);
	for (const char *c = u->query; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return xg_error(-EINVAL, "URL %s: control character or space in the query",
					s);
	return 0;
}

const char *xg_url_query_get(const struct xg_url *u, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);

	for (const char *p = u->query; *p;) {
		size_t n = strcspn(p, "&");

		if (n > kl && !strncmp(p, key, kl) && p[kl] == '=')
			return decode(p + kl + 1, n - kl - 1, buf, size) ? buf : NULL;
		if (n == kl && !strncmp(p, key, kl))
			return decode(p, 0, buf, size) ? buf : NULL;
		p += n + (p[n] == '&');
	}
	return NULL;
}

size_t xg_url_escape(char *buf, size_t len, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			if (len + 1 >= cap)
				return cap;
			buf[len++] = (char)c;
		} else {
			if (len + 3 >= cap)
				return cap;
			buf[len++] = '%';
			buf[len++] = hex[c >> 4];
			buf[len++] = hex[c & 15];
		}
	}
	if (len < cap)
		buf[len] = '\0';
	return len;
}

static void base64(const char *s, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *b = (const unsigned char *)s;
	size_t k = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (i + 1 < n ? (unsigned)b[i + 1] << 8 : 0) |
			     (i + 2 < n ? b[i + 2] : 0);

		out[k++] = tab[v >> 18 & 63];
		out[k++] = tab[v >> 12 & 63];
		out[k++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[k++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[k] = '\0';
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline: 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_to(const struct xg_url *u, long long deadline, const char *who)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int fd = -1, err = -ECONNREFUSED, g;

	g = getaddrinfo(u->host, u->port, &hints, &res);
	if (g)
		return xg_error(-EHOSTUNREACH, "%s: %s", who, gai_strerror(g));
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (!connect(fd, a->ai_addr, a->ai_addrlen))
			break;
		err = -errno;
		if (err == -EINPROGRESS) {
			err = wait_fd(fd, POLLOUT, deadline);
			if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
				err = -errno;
			else if (!err)
				err = -soerr;
			if (!err)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return xg_error(err, "%s: cannot connect: %s", who, strerror(-err));
	return fd;
}

static int send_all(int fd, const void *p, size_t n, long long deadline, const char *who)
{
	const char *b = p;

	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			int err = wait_fd(fd, POLLOUT, deadline);

			if (err)
				return xg_error(err, "%s: sending: %s", who, strerror(-err));
			continue;
		}
		if (w < 0)
			return xg_error(-errno, "%s: sending: %s", who, strerror(errno));
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The value of header name in head (CRLF lines), into buf; NULL when absent. */
static const char *header(const char *head, const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2, *e = strstr(l, "\r\n");
		size_t n;

		if (!e)
			break;
		if ((size_t)(e - l) > nl && !strncasecmp(l, name, nl) && l[nl] == ':') {
			l += nl + 1;
			while (*l == ' ' || *l == '\t')
				l++;
			n = (size_t)(e - l);
			while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
				n--;
			return copy(buf, size, l, n) ? buf : NULL;
		}
	}
	return NULL;
}

/* Decodes a chunked body b[0..n) in place; its length, or -1 when malformed. */
static long dechunk(char *b, size_t n)
{
	size_t r = 0, w = 0;

	for (;;) {
		size_t sz = 0, digits = 0;

		while (r < n && hexval(b[r]) >= 0 && digits < 16) {
			sz = sz * 16 + (size_t)hexval(b[r++]);
			digits++;
		}
		if (!digits)
			return -1;
		while (r < n && b[r] != '\n') /* chunk extensions */
			r++;
		if (r >= n)
			return -1;
		r++;
		if (!sz)
			return (long)w;
		if (sz > n - r)
			return -1;
		memmove(b + w, b + r, sz);
		w += sz;
		r += sz;
		if (r + 1 < n && b[r] == '\r' && b[r + 1] == '\n')
			r += 2;
		else
			return -1;
	}
}

int xg_http_post(const struct xg_url *u, const char *target, const char *extra_headers,
		 const void *body, size_t len, int timeout_ms, size_t max_reply,
		 struct xg_http_reply *out)
{
	long long deadline = now_ms() + timeout_ms;
	char who[300], head[2048], auth[448] = "", cred[300], val[64];
	char *buf = NULL, *hend;
	size_t cap = 0, n = 0, limit = max_reply + HEAD_MAX;
	int fd, err = 0, hl;

	memset(out, 0, sizeof(*out));
	snprintf(who, sizeof(who), "%s:%s", u->host, u->port);
	if (u->has_user) {
		int cl = snprintf(cred, sizeof(cred), "%s:%s", u->user, u->password);

		if (cl < 0 || (size_t)cl >= sizeof(cred))
			return xg_error(-EINVAL, "%s: user and password too long", who);
		char b64[(sizeof(cred) + 2) / 3 * 4 + 1];

		base64(cred, (size_t)cl, b64);
		snprintf(auth, sizeof(auth), "Authorization: Basic %s\r\n", b64);
	}
	hl = snprintf(head, sizeof(head),
		      "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: xgotop\r\n"
		      "Connection: close\r\nContent-Length: %zu\r\n%s%s\r\n",
		      target, u->host, u->port, len, auth, extra_headers ? extra_headers : "");
	if (hl < 0 || (size_t)hl >= sizeof(head))
		return xg_error(-EINVAL, "%s: request head too long", who);
	fd = connect_to(u, deadline, who);
	if (fd < 0)
		return fd;
	err = send_all(fd, head, (size_t)hl, deadline, who);
	if (!err && len)
		err = send_all(fd, body, len, deadline, who);
	/* a server that refuses at once (a bad database, say) answers and closes without reading
	 * the body: its answer may be there to read */
	if (err == -EPIPE || err == -ECONNRESET)
		err = 0;
	/* the reply, to the close */
	while (!err) {
		ssize_t r;

		if (cap - n < 65536) {
			char *nb;

			cap = cap ? cap * 2 : 131072;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = recv(fd, buf + n, cap - n, 0);
		if (r > 0) {
			n += (size_t)r;
			if (n > limit)
				err = xg_error(-EMSGSIZE, "%s: reply larger than %zu bytes", who,
					       limit);
			continue;
		}
		if (!r)
			break;
		if (errno == EAGAIN || errno == EINTR) {
			err = wait_fd(fd, POLLIN, deadline);
			if (err)
				xg_error(err, "%s: no reply within %d ms", who, timeout_ms);
			continue;
		}
		/* a reset after the reply (the request's body left unread): the reply stands */
		if (errno == ECONNRESET && n && memmem(buf, n, "\r\n\r\n", 4))
			break;
		err = xg_error(-errno, "%s: reading the reply: %s", who, strerror(errno));
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	if (!buf || n < 12 || strncmp(buf, "HTTP/1.", 7) != 0) {
		free(buf);
		return xg_error(-EPROTO, "%s: not an HTTP reply", who);
	}
	buf[n] = '\0';
	hend = memmem(buf, n, "\r\n\r\n", 4);
	if (!hend || hend - buf > HEAD_MAX) {
		free(buf);
		return xg_error(-EPROTO, "%s: malformed HTTP reply head", who);
	}
	hend[2] = '\0'; /* the head, its last line's CRLF kept */
	out->status = atoi(buf + 9);
	{
		char *b = hend + 4;
		size_t bl = n - (size_t)(b - buf);

		if (header(buf, "Transfer-Encoding", val, sizeof(val)) &&
		    !strcasecmp(val, "chunked")) {
			long d = dechunk(b, bl);

			if (d < 0) {
				free(buf);
				return xg_error(-EPROTO, "%s: malformed chunked reply", who);
			}
			bl = (size_t)d;
		} else if (header(buf, "Content-Length", val, sizeof(val))) {
			size_t want = strtoull(val, NULL, 10);

			if (want > bl) {
				free(buf);
				return xg_error(-EPROTO, "%s: reply cut short (%zu of %zu bytes)",
						who, bl, want);
			}
			bl = want;
		}
		if (bl > max_reply) {
			free(buf);
			return xg_error(-EMSGSIZE, "%s: reply larger than %zu bytes", who,
					max_reply);
		}
		memmove(buf, b, bl);
		buf[bl] = '\0';
		out->body = buf;
		out->len = bl;
	}
	if (out->status < 100 || out->status > 599) {
		free(out->body);
		out->body = NULL;
		return xg_error(-EPROTO, "%s: malformed HTTP status", who);
	}
	return 0;
}
