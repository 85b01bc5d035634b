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

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin/disasm.h"
#include "gobin/gobin.h"
#include "util/u64map.h"

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

#define MD_WORD_TEXT	   22 /* moduledata.text, in pointer words (offset 176 on 64-bit) */
#define MD_WORD_TYPES	   37 /* moduledata.types (296) */
#define MD_WORD_ETYPES	   38 /* moduledata.etypes (304); 39 from Go 1.27 (typedesclen) */
#define MD_WORD_ETYPES_127 39
#define MD_WORD_GOFUNC	   40 /* moduledata.gofunc (320); 43 from Go 1.27 */
#define MD_WORD_GOFUNC_127 43

struct gobin_seg {
	uint64_t vaddr, memsz, off, filesz; /* filesz: the part actually in the file */
	uint32_t flags;
};

struct gobin_sym {
	const char *name;
	uint64_t addr, size;
	bool func;
};

/* a pclntab function */
struct gobin_pfunc {
	const char *name;
	uint32_t entry_off, end_off;
	uint8_t funcid, flag;
	bool shadowed; /* a duplicate name whose other entry is preferred (ABI0 wrappers) */
};

struct gobin {
	char *path;
	int fd;
	Elf *elf;
	uint8_t *mem; /* gobin__open_mem's copy */
	void *map;    /* gobin__open's private mapping of the file */
	size_t map_size;
	const uint8_t *img;
	size_t img_size;
	enum gobin_arch arch;
	unsigned int flags;
	bool has_shdrs;
	size_t shstrndx;
	struct gobin_seg *segs;
	size_t nsegs;

	struct gobin_info info;
	struct gobin_buildinfo bi;

	struct gobin_pcln pcln;
	struct gobin_pfunc *pfuncs; /* address order */
	struct gobin_pfunc **pfunc_by_name;
	size_t npfunc_by_name;

	struct gobin_sym *syms; /* all named defined symbols, by name */
	size_t nsyms;
	struct gobin_sym **funcs; /* function symbols, by address */
	size_t nfuncs;

	struct u64map relocs;
	bool relocs_loaded;
	uint64_t md_addr; /* moduledata, 0 until found */
	int md_err;
	bool md_searched;
	uint64_t gofunc; /* moduledata.gofunc (funcdata base), 0 until found or when unknown */
	bool gofunc_searched;
	char text_start_from[64];
};

/* The little-endian word of size bytes at p. */
static inline uint64_t gobin_leword(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Opening (gobin.c) calls these in order: gobin_check_ident(), gobin_load_segments(),
 * gobin_check_truncated(), gobin_load_buildinfo(), gobin_fill_info_from_buildinfo(),
 * gobin_load_build_id(), gobin_load_symtab(), gobin_find_pclntab(), gobin_find_text_start(),
 * gobin_index_pclntab(). Each returns 0 or -errno with a message naming the file. */

/* elf.c: checks the raw ELF header before libelf, to say precisely what is wrong. */
int gobin_check_ident(struct gobin *b);
int gobin_load_segments(struct gobin *b);
/* Any section or segment that ends past the end of the file: -EINVAL, "truncated". */
int gobin_check_truncated(struct gobin *b);
/* The PT_LOAD holding link-time address addr, or NULL. */
const struct gobin_seg *gobin_seg_of(const struct gobin *b, uint64_t addr);
/* Bytes of the file at link-time address addr; *avail = how many follow in the same segment.
 * NULL when addr has no file data. */
const uint8_t *gobin_vaddr_ptr(const struct gobin *b, uint64_t addr, size_t *avail);
/* Whether addr lies in an executable PT_LOAD. */
bool gobin_exec_addr(const struct gobin *b, uint64_t addr);
/* The section named name (its header into *sh), or NULL. */
Elf_Scn *gobin_find_section(const struct gobin *b, const char *name, GElf_Shdr *sh);
/* The file bytes of a section, bounded by the file. 0 or -EINVAL. */
int gobin_section_bytes(const struct gobin *b, const char *name, const GElf_Shdr *sh,
			const uint8_t **p, size_t *len);
/* Collects the R_*_RELATIVE relocations (target -> addend) into b->relocs. */
int gobin_load_relocs(struct gobin *b);
/* A pointer-sized word at addr as the loader would see it before adding the load bias. */
int gobin_read_ptr(struct gobin *b, uint64_t addr, uint64_t *val);
/* The link-time address of file offset off, through the PT_LOAD whose page-aligned file range
 * holds it (for /proc/PID/maps offsets). 0 or -ENOENT. */
int gobin_file_off_vaddr(const struct gobin *b, uint64_t off, uint64_t *vaddr);

/* notes.c */
int gobin_load_buildinfo(struct gobin *b);
void gobin_fill_info_from_buildinfo(struct gobin *b);
void gobin_load_build_id(struct gobin *b);

/* symtab.c: nothing when the binary has no .symtab or GOBIN_OPEN_NO_SYMTAB is set. */
int gobin_load_symtab(struct gobin *b);
/* The symbol named name (a function symbol when func; the largest of several), or NULL. */
const struct gobin_sym *gobin_sym_lookup(const struct gobin *b, const char *name, bool func);

/* pclntab_find.c */
int gobin_find_pclntab(struct gobin *b);
int gobin_find_text_start(struct gobin *b);
int gobin_index_pclntab(struct gobin *b);
/* The pclntab function named name (the preferred one of twins), or NULL. */
const struct gobin_pfunc *gobin_pfunc_lookup(const struct gobin *b, const char *name);
/* The pclntab function starting exactly at addr, or NULL. */
const struct gobin_pfunc *gobin_pfunc_at(const struct gobin *b, uint64_t addr);

/* moduledata.c: found on first use, the result kept. 0, -ENOENT, or -errno. */
int gobin_find_moduledata(struct gobin *b);
/* The funcdata base: the go:func.* symbol, else moduledata.gofunc. 0 when unknown. */
uint64_t gobin_gofunc_base(struct gobin *b);

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
