/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A Thrift compact-protocol writer, enough for Parquet's footer and page headers (offline/
 * parquet.h) without a Thrift library: structs with i32, i64, bool, binary, struct and list
 * fields, appended to a growable buffer.
 *
 *	struct thrift_buf b = {0};
 *	thrift_i32(&b, 1, 0);			(field 1: PageHeader.type = DATA_PAGE)
 *	thrift_struct_begin(&b, 5);		(field 5: a DataPageHeader)
 *	thrift_i32(&b, 1, num_values);
 *	thrift_struct_end(&b);
 *	thrift_list_begin(&b, 2, THRIFT_I32, n); thrift_elem_i32(&b, ...) ... (a list<i32>)
 *	thrift_stop(&b);			(ends the outermost struct)
 *	if (b.err) ...				(-ENOMEM, or -E2BIG past THRIFT_MAX_DEPTH)
 *
 * Compact protocol: a field header is one byte (field id delta << 4 | type) when the id grows
 * by 1 to 15 from the previous field of the same struct, else the type byte and the id as a
 * zigzag varint; a byte is itself; i16/i32/i64 are zigzag varints; binary is a varint length and
 *the bytes; a bool field has its value in the type (1 true, 2 false); a list header is one byte
 *(size << 4 | element type) below 15 elements, else 0xF0 | type and a varint size; a struct ends
 *with a 0 byte. Fields of a struct are written in increasing id order. Errors are sticky.
 */
#ifndef XG_OFFLINE_THRIFT_H
#define XG_OFFLINE_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* compact protocol types */
#define THRIFT_BOOL_TRUE  1
#define THRIFT_BOOL_FALSE 2
#define THRIFT_BYTE	  3
#define THRIFT_I16	  4
#define THRIFT_I32	  5
#define THRIFT_I64	  6
#define THRIFT_BINARY	  8
#define THRIFT_LIST	  9
#define THRIFT_STRUCT	  12

#define THRIFT_MAX_DEPTH  16

struct thrift_buf {
	uint8_t *p;
	size_t len, cap;
	int err;			/* 0, -ENOMEM or -E2BIG (nesting too deep); sticky */
	int depth;			/* structs open inside the outermost one */
	int16_t last[THRIFT_MAX_DEPTH]; /* the last field id written, per open struct */
};

void thrift_buf__free(struct thrift_buf *b);
/* Empties b for a new outermost struct, keeping its memory (and clearing an error). */
void thrift_buf__reset(struct thrift_buf *b);

void thrift_byte(struct thrift_buf *b, int16_t id, int8_t v);
void thrift_i32(struct thrift_buf *b, int16_t id, int32_t v);
void thrift_i64(struct thrift_buf *b, int16_t id, int64_t v);
void thrift_bool(struct thrift_buf *b, int16_t id, bool v);
void thrift_binary(struct thrift_buf *b, int16_t id, const void *p, size_t len);
void thrift_string(struct thrift_buf *b, int16_t id, const char *s);
/* A struct field; its fields follow, then thrift_struct_end(). */
void thrift_struct_begin(struct thrift_buf *b, int16_t id);
void thrift_struct_end(struct thrift_buf *b);
/* The 0 byte that ends the outermost struct. */
void thrift_stop(struct thrift_buf *b);
/* Bytes already encoded (list elements encoded on their own, each a struct with its stop). */
void thrift_raw(struct thrift_buf *b, const void *p, size_t len);

/* A list field of n elements of type elem; the n elements follow. */
void thrift_list_begin(struct thrift_buf *b, int16_t id, uint8_t elem, uint32_t n);
void thrift_elem_i32(struct thrift_buf *b, int32_t v);
void thrift_elem_string(struct thrift_buf *b, const char *s);
/* A struct element of a list; its fields follow, then thrift_struct_end(). */
void thrift_elem_struct_begin(struct thrift_buf *b);

#endif /* XG_OFFLINE_THRIFT_H */
