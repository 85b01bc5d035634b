/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small, bounded DWARF reader (versions 2 to 5) for what xgotop needs from a Go binary: the
 * member offsets of a few runtime structures and the runtime.waitReason constants. Internal to
 * gobin/; the public entry point is gobin__offsets() (gobin/gobin.h), which asks for the fields
 * of gobin/offsets_fields.h.
 *
 *   struct gobin_dwarf_want w[] = {{"runtime.g", "goid"}, {"runtime.g", "sched.sp"}};
 *   if (gobin_dwarf__read_elf(elf, path, w, 2, res) == 0)
 *           ... res->off[0], res->off[1] (GOBIN_DWARF_UNKNOWN when absent) ...
 *
 * Sections may be SHF_COMPRESSED (zlib or zstd) or legacy .zdebug_*. Every length read from the
 * input is bounded by what remains; errors name the file, the section and the offset.
 */
#ifndef XG_GOBIN_DWARF_H
#define XG_GOBIN_DWARF_H

#include <stddef.h>
#include <stdint.h>

typedef struct Elf Elf;

/* One offset to find: the member path (dot-separated, through nested structures) of the named
 * structure type, or "" for the type's size. */
struct gobin_dwarf_want {
	const char *type; /* e.g. "runtime.g" */
	const char *path; /* e.g. "sched.sp" */
};

#define GOBIN_DWARF_MAX_WANTS  128
#define GOBIN_DWARF_MAX_CONSTS 64
#define GOBIN_DWARF_UNKNOWN    (-1)

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
	/* off[i]: the offset wants[i] asked for, GOBIN_DWARF_UNKNOWN when absent */
	int32_t off[GOBIN_DWARF_MAX_WANTS];
	/* runtime.waitReason constants, in the order found */
	uint32_t nconsts;
	struct gobin_dwarf_const consts[GOBIN_DWARF_MAX_CONSTS];
	uint32_t consts_skipped; /* constants with a value >= GOBIN_DWARF_MAX_CONSTS or no room */
	int version;		 /* DWARF version of the first unit */
	uint32_t nunits;	 /* units in .debug_info */
	uint32_t nstructs;	 /* structure types of wants found */
};

/* Reads the sections in s for the nwants (at most GOBIN_DWARF_MAX_WANTS) offsets of wants,
 * whose strings must outlive the call. what names the input in error messages (a path). 0 or
 * -errno: -EINVAL (malformed, message with section and offset; or too many wants or structure
 * types), -ENOENT (no runtime.g), -ENOMEM. */
int gobin_dwarf__read_mem(const struct gobin_dwarf_sections *s, const char *what,
			  const struct gobin_dwarf_want *wants, unsigned int nwants,
			  struct gobin_dwarf_result *res);

/* Finds the DWARF sections of elf, decompresses them and reads them as gobin_dwarf__read_mem()
 * does. path names the file in messages. -ENODATA when the file has no
 * .debug_info/.debug_abbrev. */
int gobin_dwarf__read_elf(Elf *elf, const char *path, const struct gobin_dwarf_want *wants,
			  unsigned int nwants, struct gobin_dwarf_result *res);

#endif /* XG_GOBIN_DWARF_H */
