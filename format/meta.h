/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Recording metadata: an ordered list of key/value pairs, each value a string or a signed
 * 64-bit integer. Keys are dotted names; the standard ones are named in format/metakeys.h
 * (TF_KEY_*), as SPEC.md section 6 lists them. Unknown keys are kept and shown, never an error.
 */
#ifndef XG_FORMAT_META_H
#define XG_FORMAT_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/metakeys.h"

enum tf_meta_type {
	TF_META_STR = 1,
	TF_META_INT = 2,
};

struct tf_meta;

struct tf_meta *tf_meta__new(void);
void tf_meta__free(struct tf_meta *m);
/* A deep copy, or NULL with errno set. */
struct tf_meta *tf_meta__dup(const struct tf_meta *m);

/* Set (replacing a previous value of the same key, keeping its position). 0 or -errno. */
int tf_meta__set_str(struct tf_meta *m, const char *key, const char *val);
int tf_meta__set_int(struct tf_meta *m, const char *key, int64_t val);

/* The string value of key, or NULL when absent or not a string. */
const char *tf_meta__str(const struct tf_meta *m, const char *key);
/* true and *val set when key holds an integer. */
bool tf_meta__int(const struct tf_meta *m, const char *key, int64_t *val);
/* true and *val set when key holds a number: an integer, or a string that is a decimal number
 * ("499", "0.01"; the recorder writes rates and frequencies as strings). */
bool tf_meta__num(const struct tf_meta *m, const char *key, double *val);

/* Iteration in insertion order: i from 0 to count-1. For TF_META_STR *sval is set, for
 * TF_META_INT *ival. Returns the type, or 0 when i is out of range. */
size_t tf_meta__count(const struct tf_meta *m);
enum tf_meta_type tf_meta__at(const struct tf_meta *m, size_t i, const char **key,
			      const char **sval, int64_t *ival);

/* Writes m as one JSON object, key by key in order, integers as numbers (info --json's "meta",
 * the Parquet export's metadata column). */
struct jsonw;
void tf_meta__write_json(const struct tf_meta *m, struct jsonw *j);

/* Length of a trace id: 32 lowercase hex digits. */
#define TF_TRACE_ID_LEN 32
/* The trace's identity, stable across reads and copies (exports and pushes key rows by it):
 * its trace.id when that is 32 hex digits, else 128 bits hashed from every key and value in
 * order (files recorded before 1.5, synthetic ones). out gets TF_TRACE_ID_LEN digits and a
 * NUL; m may be NULL. */
void tf_meta__trace_id(const struct tf_meta *m, char out[TF_TRACE_ID_LEN + 1]);

#endif /* XG_FORMAT_META_H */
