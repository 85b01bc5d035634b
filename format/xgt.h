/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * On-disk constants of the xgotop trace file format, version 1 (SPEC.md is the normative text;
 * every number here appears there). Shared by the writer (format/writer.c), the reader
 * (format/reader.c) and the tests. Numbers are stored in files: never renumber, never reuse.
 */
#ifndef XG_FORMAT_XGT_H
#define XG_FORMAT_XGT_H

#include <stdint.h>

/* File header: magic, then u16 major, u16 minor, u32 header size, u64 compat, u64 ro_compat,
 * u64 incompat, u32 reserved, u32 CRC32C of the 44 bytes before it. */
#define TF_MAGIC	 "\x89XGT\r\n\x1a\n"
#define TF_MAGIC_LEN	 8
#define TF_MAJOR	 1
#define TF_MINOR	 5
#define TF_HEADER_SIZE	 48
#define TF_END_MAGIC	 "\x89XGTEND\n"
#define TF_END_MAGIC_LEN 8

/* Feature flags this version knows (none yet: all three sets are 0 in v1.0 files). */
#define TF_COMPAT_KNOWN	   0ULL
#define TF_RO_COMPAT_KNOWN 0ULL
#define TF_INCOMPAT_KNOWN  0ULL

/* Record framing: u8 type, u8 flags, u16 reserved (0), u32 payload length, payload, u32 CRC32C
 * of the 8 header bytes and the payload. */
#define TF_REC_HDR   8
#define TF_REC_CRC   4
#define TF_REC_EXTRA (TF_REC_HDR + TF_REC_CRC)

enum tf_rec_type {
	TF_REC_META = 0x01,	/* recording metadata key/values */
	TF_REC_STRINGS = 0x02,	/* string table entries */
	TF_REC_STACKS = 0x03,	/* stack table entries */
	TF_REC_CHUNK = 0x04,	/* a chunk of events, columnar */
	TF_REC_KEYFRAME = 0x05, /* goroutine status snapshot */
	TF_REC_INDEX = 0x06,	/* footer index */
	TF_REC_END = 0x07,	/* fixed trailer: the last record of a cleanly closed file */
	TF_REC_EXT_FIRST = 0x80 /* 0x80..0xff: extensions; skipped when unknown */
};

/* Record flags. */
#define TF_RECF_ZSTD  0x01 /* payload is uvarint raw_len + one zstd frame (tables, keyframes) */
#define TF_RECF_KNOWN 0x01

/* TF_REC_END payload: u64 index offset, u64 index record size, 8-byte end magic. */
#define TF_END_PAYLOAD 24
#define TF_END_SIZE    (TF_REC_EXTRA + TF_END_PAYLOAD)

/* Chunk columns. Column ids: */
enum tf_col {
	TF_COL_TS = 1,
	TF_COL_CPU = 2,
	TF_COL_TID = 3,
	TF_COL_KIND = 4,
	TF_COL_GOID = 5,
	TF_COL_STATE = 6, /* from << 4 | to */
	TF_COL_REASON = 7,
	TF_COL_STACK = 8,
	TF_COL_PARENT = 9,
	TF_COL_CREATE_PC = 10,
	TF_COL_START_PC = 11,
	TF_COL_CREATE_FN = 12,
	TF_COL_START_FN = 13,
	TF_COL_SIZE = 14,
	TF_COL_TYPE = 15,
	TF_COL_WEIGHT = 16,
	TF_COL_GC = 17,
	TF_COL_HEAP_LIVE = 18,
	TF_COL_HEAP_GOAL = 19,
	TF_COL_TOTAL_ALLOC = 20,
	TF_COL_TOTAL_FREE = 21,
	TF_COL_COUNT = 22,
	TF_COL_OF = 23,
	TF_COL_START_WRAPPER = 24, /* format 1.1 */
	TF_COL_WAITED = 25,	   /* format 1.2 */
	TF_COL_CREATED = 26,	   /* format 1.4 */
	TF_COL_ALIVE = 27,	   /* format 1.4 */
	TF_COL_THREADS = 28,	   /* format 1.4 */
	TF_COL_GOMAXPROCS = 29,	   /* format 1.4 */
	TF_COL_RUNNABLE = 30,	   /* format 1.4 */
	TF_COL_MAX		   /* one past the last known column */
};

/* Column value encodings. */
enum tf_enc {
	TF_ENC_U8 = 1,	    /* one byte per value */
	TF_ENC_UVARINT = 2, /* LEB128 */
	TF_ENC_DELTA = 3,   /* uvarint(zigzag(v - previous v of this column)), previous starts 0 */
	TF_ENC_TSDELTA = 4, /* uvarint(v - previous ts), previous starts at the chunk's ts_first */
	TF_ENC_CPUCTX = 5,  /* uvarint(zigzag(v - ctx[cpu])), see SPEC.md "Context coding" */
};

/* Column compression. */
enum tf_comp {
	TF_COMP_NONE = 0,
	TF_COMP_ZSTD = 1,
};

/* Format limits: a reader rejects anything larger as damaged. */
#define TF_MAX_RECORD	    (256u << 20) /* record payload bytes */
#define TF_MAX_RAW	    (256u << 20) /* decompressed record payload bytes */
#define TF_MAX_CHUNK_EVENTS (1u << 20)
#define TF_MAX_COL_RAW	    (64u << 20) /* decompressed bytes of one column */
#define TF_MAX_STRING	    (64u << 20)
#define TF_MAX_FRAMES	    4096u
#define TF_MAX_META	    65536u /* metadata entries */

#endif /* XG_FORMAT_XGT_H */
