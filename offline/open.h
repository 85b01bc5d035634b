/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Opening what users hand to the reading commands: a trace file, or a bug-report bundle
 * (offline/bundle.h) whose first trace, or the one named with BUNDLE:NAME.xgt, is read from
 * memory. info, dump, replay and export all open their FILE through here.
 */
#ifndef XG_OFFLINE_OPEN_H
#define XG_OFFLINE_OPEN_H

#include <stdbool.h>
#include <stdint.h>

#include "format/reader.h"

/*
 * Opens path as a trace, or as a bundle's trace (path "BUNDLE" or "BUNDLE:NAME.xgt"): same
 * contract as tf_reader__open(). A bundle's trace is read into memory that the reader owns
 * (tf_reader__open_mem_owned()): tf_reader__close() frees it all.
 */
struct tf_reader *trace__open_reader(const char *path, const struct tf_reader_opts *opts);

struct bundle;
struct symtab;
struct gobin;
struct tf_tables;

/* A trace opened for the offline commands, with what resolves its PCs. */
struct trace {
	struct tf_reader *r;
	char *name;	       /* path, or "BUNDLE:NAME.xgt" */
	struct bundle *bundle; /* NULL for a plain trace file */
	struct symtab *syms;   /* the bundle's symbol table for this trace; NULL when none */
	struct gobin *bin;     /* the traced binary (plain traces), opened on first need */
	bool bin_tried;
	struct tf_tables *names; /* function names from bin as Go prints them; NULL until needed */
};

/* NULL with errno set and a message (xg_errmsg()) when it cannot be opened. */
struct trace *trace__open(const char *path, const struct tf_reader_opts *opts);
void trace__close(struct trace *t);

struct trace_where {
	const char *fn;	  /* "" when unknown */
	const char *file; /* "" when unknown */
	uint32_t line;	  /* 0 when unknown */
};

/*
 * Where pc is: from the bundle's symbol table, else from the traced binary when it is still at
 * its metadata binary.path with the same build id. ret: pc is a return address (a go
 * statement's g.gopc, an outer frame), so the line is looked up at pc - 1 as Go's traceback
 * does. false when neither knows it. Strings valid until trace__close().
 */
bool trace__pc_where(struct trace *t, uint64_t pc, bool ret, struct trace_where *w);

#endif /* XG_OFFLINE_OPEN_H */
