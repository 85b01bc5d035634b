/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Bug-report bundles: a zstd-compressed tar (libarchive) holding traces and what is needed to
 * read them away from the machine that recorded them.
 *
 *	xgotop-bundle/README.txt		for whoever receives the bundle
 *	xgotop-bundle/MANIFEST.json		the members, machine-readable (bundle version 1)
 *	xgotop-bundle/host.json			host and kernel facts of the bundling machine
 *	xgotop-bundle/traces/NAME.xgt		each trace, byte for byte
 *	xgotop-bundle/symbols/NAME.tsv		PC -> function, file:line for every PC of the trace
 *						(offline/symtab.h)
 *	xgotop-bundle/inspect/NAME.json		`xgotop inspect --json` of the traced binary, when
 *						it was there
 *
 * Readers find a bundle by its magic (zstd, gzip or xz frame, or a plain tar) and accept any
 * tar whose members include NAME.xgt files, but refuse member names that are absolute or
 * contain "..", more than BUNDLE_MAX_MEMBERS members, and members larger than the limits
 * below, before allocating anything for them.
 */
#ifndef XG_OFFLINE_BUNDLE_H
#define XG_OFFLINE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUNDLE_ROOT	       "xgotop-bundle/"
#define BUNDLE_VERSION	       1
#define BUNDLE_MAX_MEMBERS     4096
#define BUNDLE_MAX_TRACE_BYTES (4ULL << 30)   /* a trace member (it is read into memory) */
#define BUNDLE_MAX_FILE_BYTES  (256ULL << 20) /* any other member */
#define BUNDLE_DEFAULT_LEVEL   3	      /* traces are zstd already: more buys little */

/* What a file is, from its first bytes. */
enum bundle_input {
	BUNDLE_INPUT_TRACE = 1,	 /* starts with the trace magic, or is none of the below (the trace
				  * reader then says what is wrong with it) */
	BUNDLE_INPUT_BUNDLE = 2, /* zstd, gzip or xz data, or a tar archive */
};
/* BUNDLE_INPUT_* or -errno (with a message) when the file cannot be read. */
int bundle_input_kind(const char *path);

/* ---- writing ---- */

struct bundle_opts {
	size_t sz;
	/* the traced binary, instead of each trace's metadata binary.path (NULL: from there) */
	const char *binary;
	/* the xgotop program run as `EXE inspect --json BINARY` (NULL: /proc/self/exe) */
	const char *self_exe;
	int zstd_level; /* 0: BUNDLE_DEFAULT_LEVEL */
	/* notes for the user ("binary not found ..."), one call per note; NULL: none */
	void (*note)(void *ctx, const char *msg);
	void *note_ctx;
};

#define BUNDLE_OPTS(name, ...)                                                                     \
	struct bundle_opts name = {.sz = sizeof(struct bundle_opts), __VA_ARGS__}

/* Writes the bundle out (through out.tmp, renamed at the end) from n trace files. A trace that
 * was not closed cleanly or has damaged chunks is bundled as it is, and the README says so.
 * 0 or -errno with a message (a trace that cannot be opened at all: -EINVAL ...). */
int bundle__write(const char *out, const char *const *traces, size_t n,
		  const struct bundle_opts *o);

/* ---- reading ---- */

struct bundle_member {
	char *name; /* full member path, e.g. "xgotop-bundle/traces/t.xgt" */
	uint64_t size;
	bool regular; /* a regular file (others are listed, never read) */
};

struct bundle {
	char *path;
	struct bundle_member *m;
	size_t n;
	size_t ntraces;
	/* the trace asked for (or the first) and its symbol table when the bundle has one */
	size_t trace;	  /* index into m */
	char *trace_name; /* "t.xgt" */
	void *trace_data;
	size_t trace_len;
	char *symbols; /* text of symbols/NAME.tsv, NUL-terminated; NULL when absent */
	size_t symbols_len;
};

/*
 * Reads the bundle at path: checks every member header, loads the trace member named select
 * (its base name "t.xgt" or its full member path; NULL: the first *.xgt member) and its symbol
 * table. NULL with errno set and a message naming the bundle and what is wrong: not a tar
 * archive, truncated, no trace inside, unsafe member names, members too large, no such trace.
 */
struct bundle *bundle__open(const char *path, const char *select);
void bundle__close(struct bundle *b);

/* The base name of a trace member ("xgotop-bundle/traces/t.xgt" -> "t.xgt"), or NULL when the
 * member is not a trace. */
const char *bundle__trace_name(const char *member);

#endif /* XG_OFFLINE_BUNDLE_H */
