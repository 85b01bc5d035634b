/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Byte-level helpers of the trace format: LEB128 varints, zigzag, little-endian fixed-width
 * integers and CRC32C. Shared by the writer, the reader and the tests.
 *
 * The unchecked decoders (tf_get_uv_fast) read up to 10 bytes: call them only on buffers with at
 * least TF_PAD readable bytes past the end, and check the cursor against the end afterwards.
 */
#ifndef XG_FORMAT_CODEC_H
#define XG_FORMAT_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TF_PAD 16 /* readable zero bytes after every buffer the fast decoders read */

static inline uint64_t tf_zz(int64_t v)
{
	return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

static inline int64_t tf_unzz(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Writes v as LEB128 at p (at most 10 bytes); returns the end. */
static inline uint8_t *tf_put_uv(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline unsigned int tf_uv_len(uint64_t v)
{
	unsigned int n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Unchecked LEB128 read (see TF_PAD). Over-long encodings past 10 bytes stop at 10. */
static inline const uint8_t *tf_get_uv_fast(const uint8_t *p, uint64_t *out)
{
	uint64_t v, b;

	b = *p++;
	if (b < 0x80) {
		*out = b;
		return p;
	}
	v = b & 0x7f;
	for (unsigned int shift = 7; shift < 70; shift += 7) {
		b = *p++;
		v |= (b & 0x7f) << shift;
		if (b < 0x80)
			break;
	}
	*out = v;
	return p;
}

/* Checked LEB128 read from [*pp, end): 0, or -1 when truncated or longer than 10 bytes. */
static inline int tf_get_uv(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 70; shift += 7) {
		uint64_t b;

		if (p >= end)
			return -1;
		b = *p++;
		v |= (b & 0x7f) << shift;
		if (b < 0x80) {
			*out = v;
			*pp = p;
			return 0;
		}
	}
	return -1;
}

static inline void tf_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void tf_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void tf_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t tf_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t tf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t tf_le64(const uint8_t *p)
{
	return (uint64_t)tf_le32(p) | (uint64_t)tf_le32(p + 4) << 32;
}

/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI and ext4:
 * tf_crc32c(0, "123456789", 9) == 0xE3069283. Pass the previous result to continue. */
uint32_t tf_crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* XG_FORMAT_CODEC_H */
