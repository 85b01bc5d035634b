/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Private to gobin/ (and its unit tests and fuzz harnesses): the parsers of .go.buildinfo and
 * .gopclntab work on plain byte ranges, without ELF, so they can be fed directly.
 *
 * Every reader here bounds each access by the range it was given and reports what was wrong
 * and where through util/err.h; `what` names the range in messages ("hello: .gopclntab").
 */
#ifndef XG_GOBIN_INTERNAL_H
#define XG_GOBIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin/disasm.h"
#include "gobin/gobin.h"

/* --- varints (Go encoding/binary.Uvarint) ---------------------------------------------------- */

/* Decodes an unsigned LEB128 varint of at most 10 bytes from p[0..len). Returns the number of
 * bytes used, or 0 when the input ends first or the value overflows 64 bits. */
size_t gobin_uvarint(const uint8_t *p, size_t len, uint64_t *v);

/* Replaces, in place, control characters (but NUL, and tab and newline when keep_lines) and
 * bytes that are not valid UTF-8 by '?': text from a binary goes to terminals and JSON. */
void gobin_sanitize(uint8_t *p, size_t n, bool keep_lines);

/* --- .go.buildinfo --------------------------------------------------------------------------- */

#define GOBIN_BUILDINFO_MAGIC	  "\xff Go buildinf:"
#define GOBIN_BUILDINFO_MAGIC_LEN 14
#define GOBIN_BUILDINFO_HDR	  32

/* Reads a string from the binary for the pre-1.18 pointer format; may be NULL. */
typedef int (*gobin_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct gobin_buildinfo {
	char version[64];
	int major, minor, patch; /* -1 when the version does not parse */
	char *modinfo; /* owned: the module info text with sentinels removed, "" if none */
	size_t nsettings;
	const char **keys; /* "build" settings, pointing into modinfo */
	const char **values;
	const char *path;   /* "path" line, into modinfo, "" if none */
	const char *module; /* "mod" line's module path, into modinfo, "" if none */
};

/* Parses the build information blob starting at its magic (data[0..size)). 0 or -errno with a
 * message starting with what. read (optional) resolves the pointers of the old (<1.18) format. */
int gobin_buildinfo__parse(struct gobin_buildinfo *bi, const uint8_t *data, size_t size,
			   const char *what, gobin_read_fn read, void *ctx);
void gobin_buildinfo__free(struct gobin_buildinfo *bi);
/* The value of build setting key ("GOARCH", "-buildmode"), or NULL. */
const char *gobin_buildinfo__get(const struct gobin_buildinfo *bi, const char *key);
/* Parses "go1.26.11", "go1.26rc1", "devel go1.27-abc": 0, or -EINVAL when no "go1.N" is in s. */
int gobin_parse_go_version(const char *s, int *major, int *minor, int *patch);

/* --- .gopclntab ------------------------------------------------------------------------------ */

#define GOBIN_PCLN_MAGIC_120 0xfffffff1u /* Go 1.20 .. 1.27 */
#define GOBIN_PCLN_MAGIC_118 0xfffffff0u /* Go 1.18, 1.19 */
#define GOBIN_PCLN_MAGIC_116 0xfffffffau /* Go 1.16, 1.17 */
#define GOBIN_PCLN_MAGIC_12  0xfffffffbu /* Go 1.2 .. 1.15 */
#define GOBIN_FUNC_SIZE	     44		 /* sizeof(runtime._func) in 1.20+ */

struct gobin_pcln {
	const uint8_t *data; /* the table, borrowed from the caller */
	size_t size;	     /* bytes available from data (the table's end may be unknown) */
	uint64_t vaddr;	     /* link-time address of the pcHeader */
	char what[320];	     /* for messages */
	uint8_t minlc, ptrsize;
	uint64_t nfunc, nfiles;
	uint64_t hdr_text_start; /* pcHeader.textStart; 0 from Go 1.26 */
	uint64_t funcname_off, cu_off, filetab_off, pctab_off, pcln_off;
	uint64_t end; /* end of the function data (<= size) */
};

/* One entry of the function table, with its _func record decoded. */
struct gobin_pcln_func {
	uint32_t entry_off; /* from text start */
	uint32_t end_off;   /* next entry's entry_off */
	const char *name;   /* NUL-terminated, inside the table */
	uint32_t pcsp, pcfile, pcln, cu_off;
	int32_t start_line;
	uint8_t funcid, flag;
	uint64_t rec_off;  /* the _func record, from the table's start */
	uint32_t npcdata;  /* pc-value table offsets after the record */
	uint8_t nfuncdata; /* funcdata offsets after those */
};

/* Parses and bounds-checks the header. 0, -EPROTONOSUPPORT for a table older than Go 1.20, or
 * -EINVAL. */
int gobin_pcln__parse(struct gobin_pcln *p, const uint8_t *data, size_t size, uint64_t vaddr,
		      const char *what);
/* Checks every function table entry and _func record (entry offsets ascending, records and
 * names inside the table). 0 or -EINVAL naming the entry. */
int gobin_pcln__validate(const struct gobin_pcln *p);
/* Entry i (< nfunc). 0 or -EINVAL. */
int gobin_pcln__func(const struct gobin_pcln *p, uint64_t i, struct gobin_pcln_func *f);
/* Index of the function whose [entry_off, end_off) holds off; -ENOENT when none. */
int gobin_pcln__find(const struct gobin_pcln *p, uint64_t off, uint64_t *idx);
/* Value of the pc-value table at table_off (into pctab) for the function at entry_off, at
 * target_off (both relative to text start). 0, -ENOENT (no value there), -EINVAL (bad table). */
int gobin_pcln__pcvalue(const struct gobin_pcln *p, uint32_t table_off, uint32_t entry_off,
			uint32_t target_off, int32_t *val);
/* The value of pcdata table `table` (PCDATA_*) of f at target_off: 0, -ENOENT when f has no
 * such table or no value there, -EINVAL (bad table). */
int gobin_pcln__pcdata(const struct gobin_pcln *p, const struct gobin_pcln_func *f, uint32_t table,
		       uint32_t target_off, int32_t *val);
/* Offset of funcdata `i` (FUNCDATA_*) of f from moduledata.gofunc: 0, or -ENOENT when f has
 * none. */
int gobin_pcln__funcdata(const struct gobin_pcln *p, const struct gobin_pcln_func *f, uint32_t i,
			 uint32_t *off);
/* The NUL-terminated name at nameoff in the function name table, or NULL when out of range. */
const char *gobin_pcln__name(const struct gobin_pcln *p, uint32_t nameoff);

/* Source file and line of target_off inside f. file is "" and line 0 when unknown. */
int gobin_pcln__line(const struct gobin_pcln *p, const struct gobin_pcln_func *f,
		     uint32_t target_off, const char **file, uint32_t *line);

/* --- the opened binary ------------------------------------------------------------------------ */

/* The link-time address of file offset off, through the PT_LOAD whose page-aligned file range
 * holds it (for /proc/PID/maps offsets). 0 or -ENOENT. */
int gobin_file_off_vaddr(const struct gobin *b, uint64_t off, uint64_t *vaddr);

/* --- instruction analysis -------------------------------------------------------------------- */

/* Chooses the probe site and finds the RETs of the machine code code[0..size) (a function
 * body starting at its entry). name is for messages. */
int gobin_disasm__probe_site(enum gobin_arch arch, const uint8_t *code, size_t size,
			     const char *name, struct gobin_probe_site *out);

/* The targets of the direct calls (x86-64 `call rel32`, arm64 `bl`) in the machine code
 * code[0..size) that starts at link-time address addr, in code order: at most max of them
 * into targets. The count, or -errno. */
int gobin_disasm__calls(enum gobin_arch arch, const uint8_t *code, size_t size, uint64_t addr,
			uint64_t *targets, size_t max);

/* How a compiler wrapper whose body is code[0..size) finds the function it calls through its
 * closure (`go fv(x)`, `go iface.M(x)`): the loads from the closure context register (rdx) that
 * give the register of its indirect call. 0, -ENOENT when it makes no such call (a direct call
 * or a return comes first), -EOPNOTSUPP on arm64 (not yet), or -errno. */
int gobin_disasm__closure_call(enum gobin_arch arch, const uint8_t *code, size_t size,
			       struct gobin_wrapper_call *out);

#endif /* XG_GOBIN_INTERNAL_H */
