// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/test.h"
#include "util/err.h"
#include "util/jsonw.h"

TEST(err_message_and_prefix)
{
	int err = xg_error(-EINVAL, "chunk %d at offset %d: bad", 12, 81920);

	if (!ASSERT_EQ(err, -EINVAL, "returns the code"))
		return;
	xg_error_prefix("%s", "trace.xgt");
	ASSERT_STREQ(xg_errmsg(), "trace.xgt: chunk 12 at offset 81920: bad", "message");
}

TEST(jsonw_nesting_and_escapes)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw *w;

	if (!ASSERT_OK_PTR(f, "memstream"))
		return;
	w = jsonw_new(f);
	if (!ASSERT_OK_PTR(w, "jsonw_new"))
		goto out;
	jsonw_start_object(w);
	jsonw_string_field(w, "s", "a\"b\\c\n\x01");
	jsonw_uint_field(w, "u", UINT64_MAX);
	jsonw_int_field(w, "i", -5);
	jsonw_name(w, "arr");
	jsonw_start_array(w);
	jsonw_start_object(w);
	jsonw_end_object(w);
	jsonw_hex(w, 0x4a1b2c);
	jsonw_end_array(w);
	jsonw_end_object(w);
	jsonw_newline(w);
	jsonw_free(w);
	fflush(f);
	ASSERT_STREQ(buf,
		     "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"u\":18446744073709551615,\"i\":-5,"
		     "\"arr\":[{},\"0x4a1b2c\"]}\n",
		     "output");
out:
	fclose(f);
	free(buf);
}

#include "util/u64map.h"

/* Random inserts and deletes checked against a plain array. */
TEST(u64map_matches_reference)
{
	enum { N = 5000 };
	static uint64_t ref[N];
	static bool present[N];
	struct u64map m = {0};
	uint64_t v;
	size_t it, count = 0;

	srand(1);
	for (int round = 0; round < 200000; round++) {
		int k = rand() % N;
		/* keys collide in the low bits to stress probing */
		uint64_t key = ((uint64_t)k << 32) | 7;

		if (rand() % 3) {
			ref[k] = (uint64_t)rand();
			present[k] = true;
			if (!ASSERT_OK(u64map_put(&m, key, ref[k]), "put"))
				goto out;
		} else {
			if (!ASSERT_EQ(u64map_del(&m, key), present[k], "del"))
				goto out;
			present[k] = false;
		}
	}
	for (int k = 0; k < N; k++) {
		bool got = u64map_get(&m, ((uint64_t)k << 32) | 7, &v);

		if (!ASSERT_EQ(got, present[k], "get") || (got && !ASSERT_EQ(v, ref[k], "value")))
			goto out;
		count += present[k];
	}
	ASSERT_EQ(m.len, count, "len");
	it = 0;
	count = 0;
	while (u64map_next(&m, &it, NULL, NULL))
		count++;
	ASSERT_EQ(count, m.len, "iteration visits every entry");
out:
	u64map_free(&m);
}

/* Invalid UTF-8 (from a damaged trace or binary) still gives valid JSON: each bad byte becomes
 * U+FFFD; valid multi-byte sequences pass through. */
TEST(json_escape_utf8)
{
	char out[6 * 32];
	size_t n;

	n = json_escape(out,
			"a\xc3\xa9"
			"b",
			4);
	ASSERT_EQ(n, 4u, "valid 2-byte sequence kept");
	ASSERT_TRUE(!memcmp(out,
			    "a\xc3\xa9"
			    "b",
			    4),
		    "bytes kept");
	n = json_escape(out, "\xff\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 10);
	out[n] = '\0';
	ASSERT_STREQ(out, "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd",
		     "invalid, overlong, surrogate and too-large sequences replaced byte by byte");
	n = json_escape(out, "\xe2\x82", 2);
	out[n] = '\0';
	ASSERT_STREQ(out, "\\ufffd\\ufffd", "truncated sequence");
	n = json_escape(out, "q\"\\\x01\x7f", 5);
	out[n] = '\0';
	ASSERT_STREQ(out, "q\\\"\\\\\\u0001\\u007f", "ASCII escapes");
}

#include <stdint.h>

#include "util/array.h"

TEST(array_grow_doubles_and_refuses_bad_sizes)
{
	uint32_t *v = NULL;
	size_t cap = 0;

	if (!ASSERT_EQ(xg_array_grow((void **)&v, &cap, 1, sizeof(*v)), 0, "first"))
		return;
	ASSERT_EQ(cap, 64u, "starts at 64");
	v[63] = 7;
	if (!ASSERT_EQ(xg_array_grow((void **)&v, &cap, 65, sizeof(*v)), 0, "grow"))
		goto out;
	ASSERT_EQ(cap, 128u, "doubles");
	ASSERT_EQ(v[63], 7u, "keeps contents");
	ASSERT_EQ(xg_array_grow((void **)&v, &cap, 100, sizeof(*v)), 0, "already big enough");
	ASSERT_EQ(cap, 128u, "no change when big enough");
	ASSERT_EQ(xg_array_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof(*v)), -ENOMEM, "overflow");
	ASSERT_EQ(cap, 128u, "cap unchanged on overflow");
	ASSERT_EQ(xg_array_grow((void **)&v, &cap, 129, 0), -EINVAL, "element size 0");
out:
	free(v);
}

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "util/http.h"

TEST(url_parse)
{
	struct xg_url u;
	char v[64];

	ASSERT_OK(xg_url_parse("http://bob:p%40ss@db.example:9000/x/?database=d%2Fb&max=1", &u),
		  "full");
	ASSERT_STREQ(u.host, "db.example", "host");
	ASSERT_STREQ(u.port, "9000", "port");
	ASSERT_STREQ(u.user, "bob", "user");
	ASSERT_STREQ(u.password, "p@ss", "password decoded");
	ASSERT_STREQ(u.path, "/x/", "path");
	ASSERT_STREQ(xg_url_query_get(&u, "database", v, sizeof(v)), "d/b", "query value");
	ASSERT_NULL(xg_url_query_get(&u, "data", v, sizeof(v)), "prefix of a key");
	ASSERT_OK(xg_url_parse("http://[::1]", &u), "ipv6");
	ASSERT_STREQ(u.host, "::1", "ipv6 host");
	ASSERT_STREQ(u.path, "/", "no path");
	ASSERT_EQ(u.has_user, 0, "no user");
	ASSERT_EQ(xg_url_parse("https://h/", &u), -EINVAL, "https");
	ASSERT_EQ(xg_url_parse("http://h:0/", &u), -EINVAL, "port 0");
	ASSERT_EQ(xg_url_parse("http://h:12a/", &u), -EINVAL, "port letters");
	ASSERT_EQ(xg_url_parse("http://a:%zz@h/", &u), -EINVAL, "bad escape");
	ASSERT_EQ(xg_url_parse("http://h/a b", &u), -EINVAL, "space");
	ASSERT_EQ(xg_url_parse("http://[::1/", &u), -EINVAL, "unclosed bracket");
	{
		char b[32];
		size_t n = xg_url_escape(b, 0, sizeof(b), "a b&c=d/é");

		ASSERT_STREQ(b, "a%20b%26c%3Dd%2F%C3%A9", "escaped");
		ASSERT_EQ(n, strlen(b), "length");
		ASSERT_EQ(xg_url_escape(b, 0, 4, "abcdef"), 4u, "does not fit: cap");
	}
}

/* One connection on a listening socket: reads the request (head and its 4-byte body), answers
 * with reply, and closes without a reset (the client's reading is what is tested). */
struct one_reply {
	int fd;
	const char *reply;
	size_t len;
};

static void *serve_one(void *arg)
{
	struct one_reply *o = arg;
	char buf[4096];
	int c = accept(o->fd, NULL, NULL);

	size_t n = 0;
	char *end = NULL;

	if (c < 0)
		return NULL;
	while (n < sizeof(buf) - 1) {
		ssize_t r = recv(c, buf + n, sizeof(buf) - 1 - n, 0);

		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end && n >= (size_t)(end - buf) + 4 + 4)
			break;
	}
	(void)!send(c, o->reply, o->len, MSG_NOSIGNAL);
	shutdown(c, SHUT_WR);
	while (recv(c, buf, sizeof(buf), 0) > 0)
		;
	close(c);
	return NULL;
}

/* xg_http_post against a reply written by hand; its result and body. */
static int post_to(const char *reply, size_t max, struct xg_http_reply *r)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	struct one_reply o = {.reply = reply, .len = strlen(reply)};
	struct xg_url u;
	pthread_t th;
	char url[64];
	int err;

	o.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (o.fd < 0 || bind(o.fd, (struct sockaddr *)&a, sizeof(a)) || listen(o.fd, 1) ||
	    getsockname(o.fd, (struct sockaddr *)&a, &al))
		return -errno;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(a.sin_port));
	xg_url_parse(url, &u);
	pthread_create(&th, NULL, serve_one, &o);
	err = xg_http_post(&u, "/?q=1", NULL, "body", 4, 5000, max, r);
	pthread_join(th, NULL);
	close(o.fd);
	return err;
}

TEST(http_replies)
{
	struct xg_http_reply r;

	ASSERT_OK(post_to("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nOk.", 100, &r), "plain");
	ASSERT_EQ(r.status, 200, "status");
	ASSERT_STREQ(r.body, "Ok.", "body");
	free(r.body);
	ASSERT_OK(post_to("HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "5\r\nCode:\r\n6\r\n 81...\r\n0\r\n\r\n",
			  100, &r),
		  "chunked");
	ASSERT_EQ(r.status, 500, "error status");
	ASSERT_STREQ(r.body, "Code: 81...", "de-chunked");
	free(r.body);
	ASSERT_OK(post_to("HTTP/1.0 200 OK\r\n\r\nto the close", 100, &r), "no length");
	ASSERT_STREQ(r.body, "to the close", "body to the close");
	free(r.body);
	ASSERT_EQ(post_to("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 100, &r),
		  -EPROTO, "chunk cut short");
	ASSERT_EQ(post_to("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, &r), -EPROTO,
		  "body cut short");
	ASSERT_EQ(post_to("SSH-2.0-OpenSSH\r\n", 100, &r), -EPROTO, "not HTTP");
	ASSERT_EQ(
	    post_to("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789", 10, &r),
	    -EMSGSIZE, "over the limit");
	ASSERT_EQ(post_to("HTTP/1.1 200 OK\r\nContent-Length: 3\r", 100, &r), -EPROTO,
		  "head without its end");
}
