/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A trace's identity, for the exports that put many traces in one table (Parquet's trace_id
 * column): a UUID string ("5f0c...-...", RFC 9562 version 8, lower-case hex) derived from the
 * trace's metadata, so the same recording gets the same id on every machine and in every export,
 * whether read from its file, a copy or a bundle.
 *
 * The 128 bits are two 64-bit hashes (FNV-1a, each finished with splitmix64; not cryptographic)
 * of the META entries in their order, each encoded as SPEC.md section 6 encodes an entry (type,
 * key length, key, value). A recording's metadata holds its host, process id and start times,
 * which tell recordings apart; when it has neither clock.start_ns nor wall.start_ns (synthetic
 * traces), the trace's event count, last timestamp and table sizes are hashed too.
 */
#ifndef XG_OFFLINE_TRACEID_H
#define XG_OFFLINE_TRACEID_H

#include "format/reader.h"

#define TRACE_ID_LEN 36 /* 8-4-4-4-12 hex digits and dashes */

/* Writes the id of the trace r reads, NUL-terminated, to out. 0 or -errno. */
int trace_id__format(struct tf_reader *r, char out[TRACE_ID_LEN + 1]);

#endif /* XG_OFFLINE_TRACEID_H */
