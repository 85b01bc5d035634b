// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* offline/thrift.h and offline/parquet.h: compact-protocol bytes against hand-encoded ones, the
 * file frame, and the writer's errors. tests/parquet.test reads real exports back with DuckDB
 * and ClickHouse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offline/parquet.h"
#include "offline/thrift.h"
#include "tests/unit/test.h"
#include "util/err.h"

TEST(thrift_compact_bytes)
{
	static const uint8_t want[] = {
	    0x15, 0x00,		    /* i32 field 1 = 0 */
	    0x16, 0x01,		    /* i64 field 2 = -1 (zigzag 1) */
	    0x28, 0x02, 'a',  'b',  /* binary field 4 (delta 2) = "ab" */
	    0x11,		    /* bool field 5 = true, in the type */
	    0x05, 0x50, 0xd8, 0x04, /* i32 field 40: long form (zigzag 40), 300 zigzag */
	    0x1c, 0x15, 0x0e, 0x00, /* struct field 41 { i32 field 1 = 7 } */
	    0x19, 0x25, 0x02, 0x04, /* list<i32> field 42: 2 elements, 1, 2 */
	    0x19, 0xfc, 0x14,	    /* list<struct> field 43: 20 elements, size as a varint */
	    0x00,		    /* stop */
	};
	struct thrift_buf b = {0};

	thrift_i32(&b, 1, 0);
	thrift_i64(&b, 2, -1);
	thrift_string(&b, 4, "ab");
	thrift_bool(&b, 5, true);
	thrift_i32(&b, 40, 300);
	thrift_struct_begin(&b, 41);
	thrift_i32(&b, 1, 7);
	thrift_struct_end(&b);
	thrift_list_begin(&b, 42, THRIFT_I32, 2);
	thrift_elem_i32(&b, 1);
	thrift_elem_i32(&b, 2);
	thrift_list_begin(&b, 43, THRIFT_STRUCT, 20);
	thrift_stop(&b);
	if (ASSERT_OK(b.err, "err") && ASSERT_EQ(b.len, sizeof(want), "len"))
		ASSERT_TRUE(!memcmp(b.p, want, sizeof(want)), "bytes");
	thrift_buf__reset(&b);
	for (int i = 0; i < THRIFT_MAX_DEPTH + 1; i++)
		thrift_struct_begin(&b, 1);
	ASSERT_EQ(b.err, -E2BIG, "nesting past the limit");
	thrift_buf__free(&b);
}

static const struct pq_column cols[] = {
    {"n", PQ_INT64, PQ_LOGICAL_UINT64, false},
    {"s", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING, true},
    {"b", PQ_BOOLEAN, PQ_LOGICAL_NONE, true},
};

TEST(parquet_file_frame)
{
	char path[512];
	uint8_t *data = NULL;
	struct pq_writer *w = NULL;
	struct pq_stats st;
	FILE *f;
	long size;
	uint32_t footer;

	snprintf(path, sizeof(path), "%s/t.parquet", test__tmpdir());
	f = fopen(path, "w+");
	if (!ASSERT_OK_PTR(f, "fopen"))
		return;
	PQ_WRITER_OPTS(o, .row_group_rows = 300, .created_by = "unit");
	w = pq_writer__new(f, cols, 3, &o);
	if (!ASSERT_OK_PTR(w, "new"))
		goto out;
	for (int i = 0; i < 1000; i++) {
		pq_writer__put_i64(w, 0, (int64_t)(UINT64_MAX - (uint64_t)i * 977));
		if (i % 2)
			pq_writer__put_str(w, 1, i % 3 ? "odd" : "\xff bytes", i % 3 ? 3 : 7);
		if (i % 5)
			pq_writer__put_bool(w, 2, i % 7);
		if (!ASSERT_OK(pq_writer__end_row(w), "end_row"))
			goto out;
	}
	ASSERT_OK(pq_writer__set_kv(w, "k", "v"), "kv");
	if (!ASSERT_OK(pq_writer__close(w), "close"))
		goto out;
	pq_writer__stats(w, &st);
	ASSERT_EQ(st.rows, (uint64_t)1000, "rows");
	ASSERT_EQ(st.row_groups, (uint64_t)4, "row groups of at most 300 rows");
	fflush(f);
	size = ftell(f);
	ASSERT_EQ((uint64_t)size, st.bytes, "bytes");
	data = malloc((size_t)size);
	rewind(f);
	if (!ASSERT_OK_PTR(data, "malloc") ||
	    !ASSERT_EQ(fread(data, 1, (size_t)size, f), (size_t)size, "read"))
		goto out;
	ASSERT_TRUE(!memcmp(data, "PAR1", 4) && !memcmp(data + size - 4, "PAR1", 4), "magic");
	footer = (uint32_t)data[size - 8] | (uint32_t)data[size - 7] << 8 |
		 (uint32_t)data[size - 6] << 16 | (uint32_t)data[size - 5] << 24;
	ASSERT_LT(footer, (uint32_t)size - 12, "footer length");
	/* the footer ends its FileMetaData with a stop byte */
	ASSERT_EQ(data[size - 9], 0, "footer stop");
out:
	free(data);
	pq_writer__free(w);
	fclose(f);
}

TEST(parquet_writer_errors)
{
	struct pq_writer *w;
	FILE *f = fopen("/dev/null", "w");

	if (!ASSERT_OK_PTR(f, "fopen"))
		return;
	w = pq_writer__new(f, cols, 3, NULL);
	if (ASSERT_OK_PTR(w, "new")) {
		pq_writer__put_str(w, 1, "x", 1);
		ASSERT_EQ(pq_writer__end_row(w), -EINVAL, "a required column left out");
		ASSERT_HAS_SUBSTR(xg_errmsg(), "required column n", "message");
		ASSERT_EQ(pq_writer__close(w), -EINVAL, "the error sticks");
	}
	pq_writer__free(w);
	w = pq_writer__new(f, cols, 3, NULL);
	if (ASSERT_OK_PTR(w, "new")) {
		pq_writer__put_str(w, 0, "x", 1);
		ASSERT_EQ(pq_writer__end_row(w), -EINVAL, "a string put into an INT64 column");
	}
	pq_writer__free(w);
	fclose(f);
	ASSERT_NULL(pq_writer__new(stdout, cols, 0, NULL), "no columns");

	f = fopen("/dev/full", "w");
	if (!f)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	ASSERT_NULL(pq_writer__new(f, cols, 3, NULL), "a full disk");
	fclose(f);
}
