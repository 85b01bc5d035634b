/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One error message per thread, set where a failure is found.
 *
 * Functions that return int return 0 (or a count) on success and -errno on failure; pointer
 * functions return NULL and set errno. Whichever detects the problem also records a message that
 * names what and where ("trace.xgt: chunk 12 at offset 81920: column 3 length 4096 exceeds chunk
 * size"); callers propagate the code and the front end prints xg_errmsg() once.
 */
#ifndef XG_UTIL_ERR_H
#define XG_UTIL_ERR_H

/* Records a printf-style message for this thread and returns err (a negative errno). */
int xg_error_(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same as a macro, so static analyzers see that the result is err (evaluated once). */
#define xg_error(err, ...)                                                                         \
	({                                                                                         \
		int xg_err__ = (err);                                                              \
		xg_error_(xg_err__, __VA_ARGS__);                                                  \
		xg_err__;                                                                          \
	})

/* Prefixes the current message with "prefix: " (e.g. a file name added by a caller). */
void xg_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message recorded in this thread, or "" when none. Valid until the next xg_error(). */
const char *xg_errmsg(void);

/* Forgets the current message. */
void xg_error_clear(void);

#endif /* XG_UTIL_ERR_H */
