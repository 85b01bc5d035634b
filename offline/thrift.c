// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Thrift compact-protocol writer (offline/thrift.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/codec.h"
#include "offline/thrift.h"
#include "util/array.h"

void thrift_buf__free(struct thrift_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void thrift_buf__reset(struct thrift_buf *b)
{
	b->len = 0;
	b->err = 0;
	b->depth = 0;
	b->last[0] = 0;
}

static void put(struct thrift_buf *b, const void *p, size_t n)
{
	int err;

	if (b->err || !n)
		return;
	err = xg_array_grow((void **)&b->p, &b->cap, b->len + n, 1);
	if (err) {
		b->err = err;
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void byte(struct thrift_buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void uvarint(struct thrift_buf *b, uint64_t v)
{
	uint8_t tmp[10];

	put(b, tmp, (size_t)(tf_put_uv(tmp, v) - tmp));
}

static void zigzag(struct thrift_buf *b, int64_t v)
{
	uvarint(b, tf_zz(v));
}

static void field(struct thrift_buf *b, int16_t id, uint8_t type)
{
	int16_t *last = &b->last[b->depth];
	int delta = id - *last;

	if (delta > 0 && delta <= 15) {
		byte(b, (uint8_t)(delta << 4 | type));
	} else {
		byte(b, type);
		zigzag(b, id);
	}
	*last = id;
}

void thrift_byte(struct thrift_buf *b, int16_t id, int8_t v)
{
	field(b, id, THRIFT_BYTE);
	byte(b, (uint8_t)v);
}

void thrift_i32(struct thrift_buf *b, int16_t id, int32_t v)
{
	field(b, id, THRIFT_I32);
	zigzag(b, v);
}

void thrift_i64(struct thrift_buf *b, int16_t id, int64_t v)
{
	field(b, id, THRIFT_I64);
	zigzag(b, v);
}

void thrift_bool(struct thrift_buf *b, int16_t id, bool v)
{
	field(b, id, v ? THRIFT_BOOL_TRUE : THRIFT_BOOL_FALSE);
}

void thrift_binary(struct thrift_buf *b, int16_t id, const void *p, size_t len)
{
	field(b, id, THRIFT_BINARY);
	uvarint(b, len);
	put(b, p, len);
}

void thrift_string(struct thrift_buf *b, int16_t id, const char *s)
{
	thrift_binary(b, id, s, strlen(s));
}

static void push(struct thrift_buf *b)
{
	if (b->depth + 1 >= THRIFT_MAX_DEPTH) {
		if (!b->err)
			b->err = -E2BIG;
		return;
	}
	b->last[++b->depth] = 0;
}

void thrift_struct_begin(struct thrift_buf *b, int16_t id)
{
	field(b, id, THRIFT_STRUCT);
	push(b);
}

void thrift_elem_struct_begin(struct thrift_buf *b)
{
	push(b);
}

void thrift_struct_end(struct thrift_buf *b)
{
	byte(b, 0);
	if (b->depth > 0)
		b->depth--;
}

void thrift_stop(struct thrift_buf *b)
{
	byte(b, 0);
}

void thrift_raw(struct thrift_buf *b, const void *p, size_t len)
{
	put(b, p, len);
}

void thrift_list_begin(struct thrift_buf *b, int16_t id, uint8_t elem, uint32_t n)
{
	field(b, id, THRIFT_LIST);
	if (n < 15) {
		byte(b, (uint8_t)(n << 4 | elem));
	} else {
		byte(b, (uint8_t)(0xf0 | elem));
		uvarint(b, n);
	}
}

void thrift_elem_i32(struct thrift_buf *b, int32_t v)
{
	zigzag(b, v);
}

void thrift_elem_string(struct thrift_buf *b, const char *s)
{
	size_t n = strlen(s);

	uvarint(b, n);
	put(b, s, n);
}
