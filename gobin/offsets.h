/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Offsets of Go runtime structure fields that xgotop reads, and the runtime's wait reason
 * names, for one binary. They come from the binary's DWARF when present, else from the table
 * generated per Go minor version (scripts/gen-offsets.sh writes gobin/offsets_table.c). They
 * reach BPF as const volatile rodata before load; nothing else hard-codes them. The fields are
 * listed once, in gobin/offsets_fields.h; gobin_off_fields[] describes them at run time.
 *
 *   struct go_offsets o;
 *   if (gobin__offsets(b, &o) == 0 && o.g_goid != GO_OFF_UNKNOWN)
 *           ... read the goid at g + o.g_goid ...
 */
#ifndef XG_GOBIN_OFFSETS_H
#define XG_GOBIN_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin/offsets_fields.h"

#define GO_OFF_UNKNOWN	   (-1)
#define GO_MAX_WAITREASONS 64
#define GO_WAITREASON_LEN  40

/* Each field of gobin/offsets_fields.h: byte offset of the Go field in its struct, or
 * GO_OFF_UNKNOWN. */
struct go_offsets {
#define GO_OFF__MEMBER(name, gotype, path, need, meta, bpf, desc) int32_t name;
	GO_OFFSETS_FIELDS(GO_OFF__MEMBER)
#undef GO_OFF__MEMBER

	/* waitreason[n] is the string Go prints for reason n ("chan receive"), "" if unknown */
	uint32_t nwaitreasons;
	char waitreason[GO_MAX_WAITREASONS][GO_WAITREASON_LEN];

	const char *source; /* "dwarf", or "table go1.NN" */
	/* set by gobin__offsets() when the binary's Go version is newer than the table (offsets
	 * then come from DWARF); warning names the version, "" otherwise */
	bool newer_than_table;
	char warning[256];
};

/* Trace metadata: "offsets.source" holds go_offsets.source; "offsets.<gotype without
 * "runtime.">.<path>" the value of each field marked META that is known, e.g. offsets.g.goid. */
#define GO_OFF_META_PREFIX "offsets."
#define GO_OFF_META_SOURCE GO_OFF_META_PREFIX "source"

/* The number of fields (int32_t members of struct go_offsets). */
#define GO_OFF__ONE(name, gotype, path, need, meta, bpf, desc) +1
enum { GO_OFF_NFIELDS = 0 GO_OFFSETS_FIELDS(GO_OFF__ONE) };
#undef GO_OFF__ONE

/* One field of struct go_offsets, from gobin/offsets_fields.h. */
struct gobin_off_field {
	const char *name;   /* the C member, e.g. "g_sched_sp" */
	const char *gotype; /* the Go structure type, e.g. "runtime.g" */
	const char *path;   /* the member in it, e.g. "sched.sp"; "" for the type's size */
	const char *desc;   /* the member's Go type and what it is for */
	size_t off;	    /* offsetof(struct go_offsets, <name>) */
	bool required;	    /* recording needs it: DWARF without it is refused */
	bool meta;	    /* recorded in the trace metadata */
};

/* Every field, in the order of gobin/offsets_fields.h (GO_OFF_NFIELDS entries). */
extern const struct gobin_off_field gobin_off_fields[];

/* The field's value in o. */
static inline int32_t *gobin_off_field__ptr(struct go_offsets *o, const struct gobin_off_field *f)
{
	return (int32_t *)((char *)o + f->off);
}

static inline int32_t gobin_off_field__get(const struct go_offsets *o,
					   const struct gobin_off_field *f)
{
	return *(const int32_t *)((const char *)o + f->off);
}

/* The DWARF query for every field (gobin/dwarf.h): entry i is gobin_off_fields[i]. */
struct gobin_dwarf_want;
const struct gobin_dwarf_want *go_offsets__dwarf_wants(void);

/* Sets every field i of out to off[i] (the result of go_offsets__dwarf_wants()). */
void go_offsets__set_fields(struct go_offsets *out, const int32_t *off);

/* Fills out from the built-in table for Go 1.minor on goarch ("amd64", "arm64").
 * 0, or -EPROTONOSUPPORT when the table has no entry. */
int go_offsets__from_table(int minor, const char *goarch, struct go_offsets *out);

/* Sets every offset to GO_OFF_UNKNOWN and clears the names. */
void go_offsets__init(struct go_offsets *out);

#endif /* XG_GOBIN_OFFSETS_H */
