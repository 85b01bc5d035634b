// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Trace identity (offline/traceid.h). */
#include <stdio.h>
#include <string.h>

#include "format/codec.h"
#include "offline/traceid.h"
#include "util/u64map.h"

struct id_hash {
	uint64_t h[2];
};

static void feed(struct id_hash *s, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		s->h[0] = (s->h[0] ^ b[i]) * 0x100000001b3ULL;
		s->h[1] = (s->h[1] ^ (uint8_t)(b[i] ^ 0x5c)) * 0x100000001b3ULL;
	}
}

static void feed_uvarint(struct id_hash *s, uint64_t v)
{
	uint8_t tmp[10];

	feed(s, tmp, (size_t)(tf_put_uv(tmp, v) - tmp));
}

static void feed_u64(struct id_hash *s, uint64_t v)
{
	uint8_t tmp[8];

	tf_put_le64(tmp, v);
	feed(s, tmp, 8);
}

int trace_id__format(struct tf_reader *r, char out[TRACE_ID_LEN + 1])
{
	const struct tf_meta *m = tf_reader__meta(r);
	struct id_hash s = {{0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL}};
	size_t n = tf_meta__count(m);
	uint64_t a, b;
	int64_t iv;

	feed_uvarint(&s, n);
	for (size_t i = 0; i < n; i++) {
		const char *key = NULL, *sval = NULL;
		int64_t ival = 0;
		enum tf_meta_type t = tf_meta__at(m, i, &key, &sval, &ival);
		uint8_t type = (uint8_t)t;

		feed(&s, &type, 1);
		feed_uvarint(&s, strlen(key));
		feed(&s, key, strlen(key));
		if (t == TF_META_STR) {
			feed_uvarint(&s, strlen(sval));
			feed(&s, sval, strlen(sval));
		} else {
			feed_u64(&s, (uint64_t)ival);
		}
	}
	if (!tf_meta__int(m, TF_KEY_CLOCK_START_NS, &iv) &&
	    !tf_meta__int(m, TF_KEY_WALL_START_NS, &iv)) {
		struct tf_info info;
		int err = tf_reader__info(r, &info);

		if (err)
			return err;
		feed_u64(&s, info.events);
		feed_u64(&s, info.ts_last);
		feed_u64(&s, info.strings);
		feed_u64(&s, info.stacks);
	}
	a = u64_hash(s.h[0] ^ n);
	b = u64_hash(s.h[1] + a);
	/* RFC 9562: version 8 (custom) in the high nibble of byte 6, variant 10 in byte 8 */
	a = (a & ~0xf000ULL) | 0x8000ULL;
	b = (b & ~(3ULL << 62)) | (2ULL << 62);
	snprintf(out, TRACE_ID_LEN + 1, "%08llx-%04llx-%04llx-%04llx-%012llx",
		 (unsigned long long)(a >> 32), (unsigned long long)((a >> 16) & 0xffff),
		 (unsigned long long)(a & 0xffff), (unsigned long long)(b >> 48),
		 (unsigned long long)(b & 0xffffffffffffULL));
	return 0;
}
