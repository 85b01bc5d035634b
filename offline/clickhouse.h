/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Traces into a ClickHouse server over its HTTP interface (`xgotop push`).
 *
 * Three tables in the URL's database, made when missing: xgotop_events (one row per event,
 * the JSON schema's fields as columns), xgotop_stacks (one row per frame, keyed by trace_id
 * and stack_id) and xgotop_traces (one row per trace: identity, host, binary, Go version,
 * mode, span, sampling, metadata). Column types follow the server: from ClickHouse 20.1 on,
 * LowCardinality strings, DateTime64(9) and Delta+ZSTD codecs; before it plain String and
 * UInt64 ns (the server's version() decides). Rows go as RowBinary, gzip-compressed, one
 * request per batch of rows.
 *
 * A trace is pushed once: its trace_id (tf_meta__trace_id) found in xgotop_traces means it is
 * there whole, and a push adds nothing. The traces row is written last, after every event
 * and frame, so a push that failed half-way leaves rows without it: the next push of the trace
 * deletes them (ALTER TABLE ... DELETE, waited for) before inserting again.
 */
#ifndef XG_OFFLINE_CLICKHOUSE_H
#define XG_OFFLINE_CLICKHOUSE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/http.h"

struct trace;

struct ch_conn {
	struct xg_url url;
	char who[300];	     /* host:port, for messages */
	char version[64];    /* the server's version() */
	bool modern;	     /* 20.1 or later: LowCardinality, DateTime64, codecs */
	int timeout_ms;	     /* per request */
	uint32_t batch_rows; /* rows per INSERT */
	bool quiet;	     /* no progress on stderr */
};

struct ch_push_stats {
	bool skipped;		 /* already there: nothing added */
	bool streamed;		 /* the events were there already (record --push streamed
				  * them): the stacks and the traces row added */
	uint64_t events, frames; /* rows inserted */
	uint64_t cleaned;	 /* rows of an earlier failed push removed */
	uint64_t bytes;		 /* request bodies sent, compressed */
	double seconds;
};

/*
 * Connects: parses url (user and password from it, else $CLICKHOUSE_USER and
 * $CLICKHOUSE_PASSWORD), asks the server's version and makes the tables if missing. 0 or
 * -errno with a message carrying the server's own when it refused.
 */
int ch_conn__open(struct ch_conn *c, const char *url);

/* Pushes one trace (see above). 0 or -errno with a message; *st says what was done. */
int ch_conn__push(struct ch_conn *c, struct trace *t, struct ch_push_stats *st);

/*
 * record --push: a sink (sink/sink.h) that turns events into xgotop_events rows and sends them
 * from a thread of its own, a batch every batch_rows events or every second, retrying a batch
 * that failed (server down, refused) with a backoff from 0.5 s doubling to 30 s. At most
 * CH_STREAM_MAX_BYTES of rows wait; past that the stream gives up (the trace file has every
 * event). end() lets the thread send what waits for up to CH_STREAM_END_S, then stops it. The
 * sink never stops the recording. Afterwards ch_conn__push() of the trace file finds the
 * streamed events (and adds the stacks and the traces row) or, when some are missing, pushes
 * the trace whole. c must outlive the sink. NULL with errno set.
 */
#define CH_STREAM_MAX_BYTES (64u << 20)
#define CH_STREAM_END_S	    30
struct sink;
struct sink *ch_stream__new(struct ch_conn *c);

struct ch_stream_stats {
	uint64_t rows_sent, batches_sent;
	uint64_t failures;     /* requests that failed (each retried, or dropped at the end) */
	uint64_t rows_dropped; /* rows not sent: over the limit, or waiting at the end */
	char last_error[256];  /* the last failure's message, "" when none */
};
/* What the stream did so far (any thread). */
void ch_stream__stats(struct sink *s, struct ch_stream_stats *st);

/*
 * Runs sql; the reply body (malloc'ed, NUL-terminated) in *out when out is not NULL. A status
 * other than 200 is -EREMOTEIO with the server's message.
 */
int ch_conn__query(struct ch_conn *c, const char *sql, char **out);

#endif /* XG_OFFLINE_CLICKHOUSE_H */
