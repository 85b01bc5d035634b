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
