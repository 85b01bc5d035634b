/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Tables that events refer to by id: strings (function, type and wait reason names, file paths)
 * and stacks (lists of frames already resolved to names, so a trace reads without its binary).
 *
 * Ids are dense and start at 1 (0 means "none"); a table only grows, so a writer can emit the
 * entries added since it last looked (ids count_before+1 .. count). Not thread-safe: only the
 * producer that owns the tables calls the functions here (sinks resolve ids during their
 * callbacks, on the producer's thread); the strings and frames returned stay valid and
 * unchanged until tf_tables__free(), so a sink may keep the pointers.
 */
#ifndef XG_FORMAT_TABLES_H
#define XG_FORMAT_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xg_frame {
	uint64_t pc;	/* return address or PC, as captured */
	uint32_t fn;	/* string id of the function name */
	uint32_t file;	/* string id of the source file */
	uint32_t line;	/* source line, 0 when unknown */
	uint32_t flags; /* XG_FRAME_*; frames are compared as bytes */
};

/* xg_frame.flags */
#define XG_FRAME_INLINED   0x1 /* inlined into the next frame: both stand for the same pc */
#define XG_FRAME_TRUNCATED 0x2 /* the stack went on past this frame (its last) when captured */
#define XG_FRAME_KNOWN	   0x3

struct tf_tables;

struct tf_tables *tf_tables__new(void);
void tf_tables__free(struct tf_tables *t);

/* The id of s (len bytes, no NUL needed), adding it if new; equal strings get equal ids.
 * Returns 0 with errno set on failure (ENOMEM, or E2BIG past the table's limits). */
uint32_t tf_tables__intern(struct tf_tables *t, const char *s, size_t len);
/* Appends s as string id `id`, which must be count+1 (readers rebuilding a table). 0 or -errno. */
int tf_tables__add_str(struct tf_tables *t, uint32_t id, const char *s, size_t len);
/* The string with this id, NUL-terminated; "" for 0 or an unknown id. Strings never move: the
 * pointer stays valid, and the bytes unchanged, until the tables are freed. */
const char *tf_tables__str(const struct tf_tables *t, uint32_t id);
/* Length of string id, 0 for 0 or unknown. */
size_t tf_tables__str_len(const struct tf_tables *t, uint32_t id);
uint32_t tf_tables__str_count(const struct tf_tables *t);

/* The id of this frame list, adding it if new. 0 with errno set on failure; n == 0 gives 0. */
uint32_t tf_tables__intern_stack(struct tf_tables *t, const struct xg_frame *frames, uint32_t n);
/* Appends a stack as id `id` == count+1 (readers). 0 or -errno. */
int tf_tables__add_stack(struct tf_tables *t, uint32_t id, const struct xg_frame *frames,
			 uint32_t n);
/* The frames of stack id (innermost first) and their number in *n; NULL and *n = 0 for 0 or
 * an unknown id. Frames never move: valid until the tables are freed. */
const struct xg_frame *tf_tables__stack(const struct tf_tables *t, uint32_t id, uint32_t *n);
uint32_t tf_tables__stack_count(const struct tf_tables *t);

/* Whether Go's tracebacks (runtime.Stack, a panic, /debug/pprof/goroutine?debug=2) show a frame
 * of function fn (as the stack table names it): the runtime's showfuncinfo at the default
 * GOTRACEBACK. Runtime internals are hidden (runtime.gopark, runtime.chanrecv), exported
 * runtime functions shown, runtime.gopanic shown unless first (innermost); wrappers never
 * reach the stack table. */
bool tf_frame_shown_by_go(const char *fn, bool first);
/* fn without its package path's directories, as a pointer into fn:
 * "github.com/x/y/pkg.(*T).M" -> "pkg.(*T).M". A module major-version element keeps its parent,
 * "github.com/caddyserver/caddy/v2.run.func2" -> "caddy/v2.run.func2". Slashes inside type
 * arguments or receivers ("pkg.F[a/b.T]") are not path separators. */
const char *tf_func_short(const char *fn);
/* The index of the first frame of stack id that Go's tracebacks show (where the goroutine is,
 * in its own code), else 0. */
uint32_t tf_tables__stack_top(const struct tf_tables *t, uint32_t id);

#endif /* XG_FORMAT_TABLES_H */
