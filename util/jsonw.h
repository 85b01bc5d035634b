/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A streaming JSON writer (after bpftool's json_writer): values are written as they come, commas
 * and quoting are handled here. Compact output by default; jsonw_pretty() indents.
 */
#ifndef XG_UTIL_JSONW_H
#define XG_UTIL_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw;

/* Writes to f (borrowed; must outlive the writer). NULL with errno set on failure. */
struct jsonw *jsonw_new(FILE *f);
void jsonw_free(struct jsonw *w);
void jsonw_pretty(struct jsonw *w, bool on);

void jsonw_start_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_start_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
/* Ends the current top-level value with a newline (JSON lines). */
void jsonw_newline(struct jsonw *w);

void jsonw_name(struct jsonw *w, const char *name);
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t len);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* A number formatted as a "0x..." string (addresses). */
void jsonw_hex(struct jsonw *w, uint64_t v);

void jsonw_string_field(struct jsonw *w, const char *name, const char *s);
void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v);
void jsonw_int_field(struct jsonw *w, const char *name, int64_t v);
void jsonw_double_field(struct jsonw *w, const char *name, double v);
void jsonw_bool_field(struct jsonw *w, const char *name, bool v);
void jsonw_hex_field(struct jsonw *w, const char *name, uint64_t v);

/* Escapes len bytes of src into dst, without quotes, and returns the bytes written; dst needs
 * room for 6 * len. Invalid UTF-8 becomes \ufffd, so the output is always valid JSON. */
size_t json_escape(char *dst, const char *src, size_t len);

/* Writes s as a quoted, escaped JSON string to f (no writer state). */
void json_put_string(FILE *f, const char *s, size_t len);

#endif /* XG_UTIL_JSONW_H */
