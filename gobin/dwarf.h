/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small, bounded DWARF reader (versions 2 to 5) for what xgotop needs from a Go binary: the
 * member offsets of a few runtime structures and the runtime.waitReason constants. Internal to
 * gobin/; the public entry point is gobin__offsets() (gobin/gobin.h).
 *
 * Sections may be SHF_COMPRESSED (zlib or zstd) or legacy .zdebug_*. Every length read from the
 * input is bounded by what remains; errors name the file, the section and the offset.
 */
#ifndef XG_GOBIN_DWARF_H
#define XG_GOBIN_DWARF_H

#include <stddef.h>
#include <stdint.h>

#include "gobin/offsets.h"

typedef struct Elf Elf;

/* One int32 field of struct go_offsets and where it comes from: member path (dot-separated,
 * through nested structures) of the named Go type, or "" for the type's size. */
struct gobin_off_field {
	const char *name; /* the C field, e.g. "g_sched_sp" */
	size_t off;	  /* offsetof(struct go_offsets, <name>) */
	const char *type; /* e.g. "runtime.g" */
	const char *path; /* e.g. "sched.sp" */
};

/* Every int32 field of struct go_offsets, in declaration order. */
extern const struct gobin_off_field gobin_off_fields[];
extern const unsigned int gobin_off_nfields;

/* The field's value in o. */
static inline int32_t *gobin_off_field__ptr(struct go_offsets *o, const struct gobin_off_field *f)
{
	return (int32_t *)((char *)o + f->off);
}

/* The sections the reader uses, uncompressed; any but info and abbrev may be absent (NULL). */
struct gobin_dwarf_sections {
	const uint8_t *info, *abbrev, *str, *line_str, *str_offsets;
	size_t info_len, abbrev_len, str_len, line_str_len, str_offsets_len;
};

#define GOBIN_DWARF_NAME_LEN 48

struct gobin_dwarf_const {
	char name[GOBIN_DWARF_NAME_LEN]; /* without "runtime.", e.g. "waitReasonSelect" */
	int64_t value;
};

struct gobin_dwarf_result {
	/* offsets found (others GO_OFF_UNKNOWN); nwaitreasons/waitreason/source are not set */
	struct go_offsets off;
	/* runtime.waitReason constants, in the order found */
	uint32_t nconsts;
	struct gobin_dwarf_const consts[GO_MAX_WAITREASONS];
	uint32_t consts_skipped; /* constants with a value >= GO_MAX_WAITREASONS or no room */
	int version;		 /* DWARF version of the first unit */
	uint32_t nunits;	 /* units in .debug_info */
	uint32_t nstructs;	 /* structures of gobin_off_fields found */
};

/* Reads the sections in s. what names the input in error messages (a path). 0 or -errno:
 * -EINVAL (malformed, message with section and offset), -ENOENT (no runtime.g), -ENOMEM. */
int gobin_dwarf__read_mem(const struct gobin_dwarf_sections *s, const char *what,
			  struct gobin_dwarf_result *res);

/* Finds the DWARF sections of elf, decompresses them and reads them. path names the file in
 * messages. -ENODATA when the file has no .debug_info/.debug_abbrev. */
int gobin_dwarf__read_elf(Elf *elf, const char *path, struct gobin_dwarf_result *res);

#endif /* XG_GOBIN_DWARF_H */
