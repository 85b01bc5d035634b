/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A protocol buffers writer, enough for the exports (Perfetto's TracePacket stream and pprof's
 * profile.proto) without a protobuf library: varint, 64-bit fixed and length-delimited fields,
 * nested messages and packed repeated varints, appended to a growable buffer.
 *
 *	struct pb_buf b = {0};
 *	size_t m = pb_begin(&b, 60);		(a nested message in field 60)
 *	pb_uint(&b, 1, uuid);
 *	pb_string(&b, 2, "G7 main.worker");
 *	pb_end(&b, m);
 *	if (b.err) ...				(-ENOMEM: the first failure sticks)
 *	pb_buf__free(&b);
 *
 * Varints are LEB128 (format/codec.h), minimal length. A nested message's length is written
 * when it ends: one byte is reserved at pb_begin() and the body moved when it needs more.
 * Errors are sticky: after one, every call does nothing and b.err stays set.
 */
#ifndef XG_OFFLINE_PB_H
#define XG_OFFLINE_PB_H

#include <stddef.h>
#include <stdint.h>

/* wire types */
#define PB_VARINT 0
#define PB_I64	  1
#define PB_LEN	  2

struct pb_buf {
	uint8_t *p;
	size_t len, cap;
	int err; /* 0 or -ENOMEM */
};

void pb_buf__free(struct pb_buf *b);
/* Empties b, keeping its memory (and clearing an error). */
void pb_buf__reset(struct pb_buf *b);

/* A raw varint (no tag). */
void pb_varint(struct pb_buf *b, uint64_t v);
void pb_tag(struct pb_buf *b, uint32_t field, unsigned int wire);
/* uint32/uint64/enum/bool fields */
void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v);
/* int32/int64 fields: two's complement, so a negative value takes 10 bytes */
void pb_int(struct pb_buf *b, uint32_t field, int64_t v);
/* fixed64 (little-endian) */
void pb_fixed64(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_double(struct pb_buf *b, uint32_t field, double v);
void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
/* a NUL-terminated string (NULL writes "") */
void pb_string(struct pb_buf *b, uint32_t field, const char *s);
/* packed repeated uint64 */
void pb_packed_uint(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

/* Room for n more bytes at b->p + b->len, for a caller that writes them itself (and adds n
 * to b->len): 0, or b->err (-ENOMEM). */
int pb_buf__reserve(struct pb_buf *b, size_t n);

/* Raw bytes, e.g. fields encoded in another buffer. */
void pb_raw(struct pb_buf *b, const void *data, size_t len);

/* Opens a nested message in field; returns the token pb_end() takes. Nest freely: end the
 * inner ones first. */
size_t pb_begin(struct pb_buf *b, uint32_t field);
void pb_end(struct pb_buf *b, size_t token);

#endif /* XG_OFFLINE_PB_H */
