// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/codec.h"
#include "offline/pb.h"

void pb_buf__free(struct pb_buf *b)
{
	if (!b)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void pb_buf__reset(struct pb_buf *b)
{
	b->len = 0;
	b->err = 0;
}

static int grow(struct pb_buf *b, size_t n)
{
	size_t ncap;
	uint8_t *p;

	if (b->err)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap - b->len < n) {
		if (ncap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return 0;
		}
		ncap *= 2;
	}
	p = realloc(b->p, ncap);
	if (!p) {
		b->err = -ENOMEM;
		return 0;
	}
	b->p = p;
	b->cap = ncap;
	return 1;
}

/* Room for n more bytes; false (and b->err set) when out of memory. */
static inline int reserve(struct pb_buf *b, size_t n)
{
	if (__builtin_expect(b->cap - b->len >= n && !b->err, 1))
		return 1;
	return grow(b, n);
}

int pb_buf__reserve(struct pb_buf *b, size_t n)
{
	return reserve(b, n) ? 0 : b->err;
}

void pb_varint(struct pb_buf *b, uint64_t v)
{
	if (!reserve(b, 10))
		return;
	b->len = (size_t)(tf_put_uv(b->p + b->len, v) - b->p);
}

void pb_tag(struct pb_buf *b, uint32_t field, unsigned int wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	pb_tag(b, field, PB_VARINT);
	pb_varint(b, v);
}

void pb_int(struct pb_buf *b, uint32_t field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);
}

void pb_fixed64(struct pb_buf *b, uint32_t field, uint64_t v)
{
	pb_tag(b, field, PB_I64);
	if (!reserve(b, 8))
		return;
	for (int i = 0; i < 8; i++)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

void pb_double(struct pb_buf *b, uint32_t field, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	pb_fixed64(b, field, u);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len)
{
	pb_tag(b, field, PB_LEN);
	pb_varint(b, len);
	pb_raw(b, data, len);
}

void pb_raw(struct pb_buf *b, const void *data, size_t len)
{
	if (!len || !reserve(b, len))
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void pb_string(struct pb_buf *b, uint32_t field, const char *s)
{
	pb_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void pb_packed_uint(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t tok = pb_begin(b, field);

	for (size_t i = 0; i < n; i++)
		pb_varint(b, v[i]);
	pb_end(b, tok);
}

size_t pb_begin(struct pb_buf *b, uint32_t field)
{
	pb_tag(b, field, PB_LEN);
	if (!reserve(b, 1))
		return 0;
	b->p[b->len++] = 0;
	return b->len; /* the body starts here; its length byte is just before */
}

void pb_end(struct pb_buf *b, size_t token)
{
	size_t body, start;
	unsigned int n;

	if (b->err || !token || token > b->len)
		return;
	start = token - 1;
	body = b->len - token;
	n = tf_uv_len(body);
	if (n > 1) {
		if (!reserve(b, n - 1))
			return;
		memmove(b->p + token + n - 1, b->p + token, body);
		b->len += n - 1;
	}
	tf_put_uv(b->p + start, body);
}
