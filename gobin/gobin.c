// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Opening a Go ELF binary: headers and segments through libelf, then the Go parts read from the
 * raw file image with every access bounded:
 *
 *   version/settings  .go.buildinfo, or a 16-byte aligned scan of writable PT_LOADs
 *   build id          GNU note (.note.gnu.build-id), else the Go note (.note.go.buildid)
 *   functions         .symtab when present, else .gopclntab (found as .gopclntab,
 *                     .data.rel.ro.gopclntab, runtime.pclntab, or a validated magic scan of
 *                     non-executable PT_LOADs: cgo + external link + PIE has no section)
 *   text start        runtime.text symbol, else pcHeader.textStart (0 from Go 1.26), else
 *                     moduledata.text (section .go.module from 1.26, else found by its first two
 *                     words); never the .text section address, which is wrong for cgo binaries
 *
 * PIE: pointer-sized words in data may carry R_*_RELATIVE relocations; their addends are the
 * link-time values (see read_ptr()).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gobin/gobin.h"
#include "gobin/internal.h"
#include "util/err.h"
#include "util/u64map.h"

#define R_X86_64_RELATIVE_   8
#define R_AARCH64_RELATIVE_  1027
#define NT_GNU_BUILD_ID_     3
#define NT_GO_BUILDID	     4
#define MD_WORD_TEXT	     22 /* moduledata.text, in pointer words (offset 176 on 64-bit) */
#define MD_WORD_TYPES	     37 /* moduledata.types (296) */
#define MD_WORD_ETYPES	     38 /* moduledata.etypes (304); 39 from Go 1.27 (typedesclen) */
#define MD_WORD_ETYPES_127   39
#define MD_WORD_GOFUNC	     40 /* moduledata.gofunc (320); 43 from Go 1.27 */
#define MD_WORD_GOFUNC_127   43
#define PCDATA_INLTREEINDEX  2	/* internal/abi.PCDATA_InlTreeIndex */
#define FUNCDATA_INLTREE     3	/* internal/abi.FUNCDATA_InlTree */
#define FUNCDATA_WRAPINFO    7	/* internal/abi.FUNCDATA_WrapInfo: the text offset of the callee */
#define INLINED_CALL_SIZE    16 /* runtime.inlinedCall (runtime/symtabinl.go) */
#define MAX_INLINE_DEPTH     64 /* bound on the parent chain of an inlined call */
#define MAX_WRAPPER_CALLS    16
#define ABI_TYPE_TFLAG	     20 /* internal/abi.Type.TFlag */
#define ABI_TYPE_STR	     40 /* internal/abi.Type.Str (nameOff) */
#define ABI_TYPE_SIZE	     48
#define TFLAG_EXTRA_STAR     2
#define BUILDINFO_SCAN_ALIGN 16
#define FUNCFLAG_ASM	     4 /* internal/abi.FuncFlagAsm */
#define FUNCFLAG_TOPFRAME    1 /* internal/abi.FuncFlagTopFrame */

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

/* --- small helpers -------------------------------------------------------------------------- */

static uint64_t leword(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static const struct gobin_seg *seg_of(const struct gobin *b, uint64_t addr)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];

		if (addr >= s->vaddr && addr - s->vaddr < s->memsz)
			return s;
	}
	return NULL;
}

/* Bytes of the file at link-time address addr; *avail = how many follow in the same segment. */
static const uint8_t *vaddr_ptr(const struct gobin *b, uint64_t addr, size_t *avail)
{
	const struct gobin_seg *s = seg_of(b, addr);

	if (!s || addr - s->vaddr >= s->filesz)
		return NULL;
	*avail = (size_t)(s->filesz - (addr - s->vaddr));
	return b->img + s->off + (addr - s->vaddr);
}

int gobin__read_vaddr(const struct gobin *b, uint64_t addr, void *buf, size_t len)
{
	size_t avail;
	const uint8_t *p = vaddr_ptr(b, addr, &avail);

	if (!p || avail < len)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int gobin_file_off_vaddr(const struct gobin *b, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];
		uint64_t page = s->off & ~0xfffull;

		if (off >= page && off < s->off + (s->filesz ? s->filesz : 1)) {
			*vaddr = s->vaddr - s->off + off;
			return 0;
		}
	}
	return -ENOENT;
}

static int read_cb(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return gobin__read_vaddr(ctx, addr, buf, len);
}

static bool exec_addr(const struct gobin *b, uint64_t addr)
{
	const struct gobin_seg *s = seg_of(b, addr);

	return s && (s->flags & PF_X);
}

/* --- sections ------------------------------------------------------------------------------- */

static Elf_Scn *find_section(const struct gobin *b, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	if (!b->has_shdrs)
		return NULL;
	while ((scn = elf_nextscn(b->elf, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, sh))
			continue;
		n = elf_strptr(b->elf, b->shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* The file bytes of a section, bounded by the file. */
static int section_bytes(const struct gobin *b, const char *name, const GElf_Shdr *sh,
			 const uint8_t **p, size_t *len)
{
	if (sh->sh_type == SHT_NOBITS)
		return xg_error(-EINVAL, "%s: section %s has no data in the file", b->path, name);
	if (sh->sh_offset > b->img_size || sh->sh_size > b->img_size - sh->sh_offset)
		return xg_error(
		    -EINVAL,
		    "%s: section %s at offset 0x%llx (size 0x%llx) extends past the end of "
		    "the file (0x%zx bytes): truncated?",
		    b->path, name, (unsigned long long)sh->sh_offset,
		    (unsigned long long)sh->sh_size, b->img_size);
	*p = b->img + sh->sh_offset;
	*len = (size_t)sh->sh_size;
	return 0;
}

/* --- relocations (PIE) ---------------------------------------------------------------------- */

/* Collects R_*_RELATIVE relocations (target -> addend) from the dynamic segment's DT_RELA. */
static int load_relocs(struct gobin *b)
{
	uint64_t rela = 0, relasz = 0, relaent = 24;
	uint32_t want = b->arch == GOBIN_ARCH_ARM64 ? R_AARCH64_RELATIVE_ : R_X86_64_RELATIVE_;
	size_t n, avail;
	const uint8_t *p;

	b->relocs_loaded = true;
	for (size_t i = 0;; i++) {
		GElf_Phdr ph;
		const uint8_t *d;

		if (!gelf_getphdr(b->elf, (int)i, &ph))
			break;
		if (ph.p_type != PT_DYNAMIC)
			continue;
		if (ph.p_offset > b->img_size || ph.p_filesz > b->img_size - ph.p_offset)
			return 0;
		d = b->img + ph.p_offset;
		for (uint64_t off = 0; off + 16 <= ph.p_filesz; off += 16) {
			uint64_t tag = leword(d + off, 8), val = leword(d + off + 8, 8);

			if (tag == DT_NULL)
				break;
			if (tag == DT_RELA)
				rela = val;
			else if (tag == DT_RELASZ)
				relasz = val;
			else if (tag == DT_RELAENT)
				relaent = val;
		}
	}
	if (!rela || !relasz || relaent < 24)
		return 0;
	p = vaddr_ptr(b, rela, &avail);
	if (!p)
		return 0;
	n = (size_t)((relasz < avail ? relasz : avail) / relaent);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = p + i * relaent;
		uint64_t info = leword(r + 8, 8);

		if ((uint32_t)info != want)
			continue;
		if (u64map_put(&b->relocs, leword(r, 8), leword(r + 16, 8)))
			return xg_error(-ENOMEM, "%s: out of memory", b->path);
	}
	return 0;
}

/* A pointer-sized word at addr as the loader would see it before adding the load bias. */
static int read_ptr(struct gobin *b, uint64_t addr, uint64_t *val)
{
	unsigned int ps = b->pcln.ptrsize ? b->pcln.ptrsize : 8;
	uint8_t buf[8];
	int err;

	if (gobin__read_vaddr(b, addr, buf, ps))
		return -EFAULT;
	*val = leword(buf, ps);
	if (b->info.pie) {
		if (!b->relocs_loaded) {
			err = load_relocs(b);
			if (err)
				return err;
		}
		u64map_get(&b->relocs, addr, val);
	}
	return 0;
}

/* --- ELF headers ---------------------------------------------------------------------------- */

/* Checks the raw ELF header before libelf, to say precisely what is wrong with a bad file. */
static int check_ident(struct gobin *b)
{
	const uint8_t *e = b->img;
	uint64_t phoff, shoff;
	uint16_t type, phentsize, phnum, shentsize, shnum;

	if (b->img_size < 4 || memcmp(e, ELFMAG, SELFMAG) != 0)
		return xg_error(-EINVAL, "%s: not an ELF file", b->path);
	if (b->img_size < sizeof(Elf64_Ehdr))
		return xg_error(-EINVAL, "%s: truncated: %zu bytes, shorter than an ELF header",
				b->path, b->img_size);
	if (e[EI_CLASS] != ELFCLASS64)
		return xg_error(-EPROTONOSUPPORT,
				"%s: 32-bit ELF file: only 64-bit Go binaries (amd64, arm64) are "
				"supported",
				b->path);
	if (e[EI_DATA] != ELFDATA2LSB)
		return xg_error(-EPROTONOSUPPORT, "%s: big-endian ELF file is not supported",
				b->path);
	type = (uint16_t)leword(e + offsetof(Elf64_Ehdr, e_type), 2);
	if (type != ET_EXEC && type != ET_DYN)
		return xg_error(-EINVAL, "%s: not an executable (ELF type %u%s)", b->path, type,
				type == ET_REL ? ", a relocatable object" : "");
	phoff = leword(e + offsetof(Elf64_Ehdr, e_phoff), 8);
	shoff = leword(e + offsetof(Elf64_Ehdr, e_shoff), 8);
	phentsize = (uint16_t)leword(e + offsetof(Elf64_Ehdr, e_phentsize), 2);
	phnum = (uint16_t)leword(e + offsetof(Elf64_Ehdr, e_phnum), 2);
	shentsize = (uint16_t)leword(e + offsetof(Elf64_Ehdr, e_shentsize), 2);
	shnum = (uint16_t)leword(e + offsetof(Elf64_Ehdr, e_shnum), 2);
	if (!phnum || phoff > b->img_size || (uint64_t)phentsize * phnum > b->img_size - phoff)
		return xg_error(
		    -EINVAL,
		    "%s: program headers (%u at offset 0x%llx) lie outside the file (0x%zx "
		    "bytes): truncated?",
		    b->path, phnum, (unsigned long long)phoff, b->img_size);
	/* without a complete section header table, work from the program headers alone */
	b->has_shdrs = shoff && shnum;
	if (b->has_shdrs &&
	    (shoff > b->img_size || (uint64_t)shentsize * shnum > b->img_size - shoff))
		return xg_error(-EINVAL,
				"%s: truncated: the section header table (%u entries at offset "
				"0x%llx) ends past the end of the file (0x%zx bytes)",
				b->path, shnum, (unsigned long long)shoff, b->img_size);
	return 0;
}

static int load_segments(struct gobin *b)
{
	size_t n;

	if (elf_getphdrnum(b->elf, &n) || !n)
		return xg_error(-EINVAL, "%s: no program headers: %s", b->path, elf_errmsg(-1));
	b->segs = calloc(n, sizeof(*b->segs));
	if (!b->segs)
		return xg_error(-ENOMEM, "%s: out of memory", b->path);
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		struct gobin_seg *s;

		if (!gelf_getphdr(b->elf, (int)i, &ph))
			return xg_error(-EINVAL, "%s: program header %zu: %s", b->path, i,
					elf_errmsg(-1));
		if (ph.p_type != PT_LOAD)
			continue;
		s = &b->segs[b->nsegs++];
		s->vaddr = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->off = ph.p_offset;
		s->flags = ph.p_flags;
		s->filesz = ph.p_filesz < ph.p_memsz ? ph.p_filesz : ph.p_memsz;
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			return xg_error(-EINVAL, "%s: segment %zu wraps around the address space",
					b->path, i);
		/* a truncated file holds less than the header claims */
		if (s->off >= b->img_size)
			s->filesz = 0;
		else if (s->filesz > b->img_size - s->off)
			s->filesz = b->img_size - s->off;
	}
	if (!b->nsegs)
		return xg_error(-EINVAL, "%s: no loadable segments", b->path);
	return 0;
}

/* Any section or segment whose file range ends past the end of the file means a truncated
 * copy: say so rather than fail later on whatever is missing. */
static int check_truncated(struct gobin *b)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	for (size_t i = 0;; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(b->elf, (int)i, &ph))
			break;
		if (ph.p_type == PT_LOAD && ph.p_filesz &&
		    (ph.p_offset > b->img_size || ph.p_filesz > b->img_size - ph.p_offset))
			return xg_error(
			    -EINVAL,
			    "%s: truncated: segment %zu (file offset 0x%llx, 0x%llx bytes) "
			    "ends past the end of the file (0x%zx bytes)",
			    b->path, i, (unsigned long long)ph.p_offset,
			    (unsigned long long)ph.p_filesz, b->img_size);
	}
	if (!b->has_shdrs)
		return 0;
	for (size_t i = 1; (scn = elf_nextscn(b->elf, scn)); i++) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		if (sh.sh_offset > b->img_size || sh.sh_size > b->img_size - sh.sh_offset)
			return xg_error(
			    -EINVAL,
			    "%s: truncated: section %zu (file offset 0x%llx, 0x%llx bytes) "
			    "ends past the end of the file (0x%zx bytes)",
			    b->path, i, (unsigned long long)sh.sh_offset,
			    (unsigned long long)sh.sh_size, b->img_size);
	}
	return 0;
}

/* --- notes (build id) ----------------------------------------------------------------------- */

static void scan_notes(struct gobin *b, const uint8_t *p, size_t len, char *gnu, size_t gnulen,
		       char *go, size_t golen)
{
	size_t pos = 0;

	while (len - pos >= 12) {
		uint32_t namesz = (uint32_t)leword(p + pos, 4),
			 descsz = (uint32_t)leword(p + pos + 4, 4);
		uint32_t type = (uint32_t)leword(p + pos + 8, 4);
		uint64_t name_off = pos + 12,
			 desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		uint64_t next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		const uint8_t *name = p + name_off, *desc = p + desc_off;

		if (desc_off > len || descsz > len - desc_off)
			break;
		if (namesz == 4 && !memcmp(name, "GNU", 4) && type == NT_GNU_BUILD_ID_ && !gnu[0]) {
			for (uint32_t i = 0; i < descsz && 2 * i + 2 < gnulen; i++)
				snprintf(gnu + 2 * i, 3, "%02x", desc[i]);
		} else if (namesz == 4 && !memcmp(name, "Go\0", 4) && type == NT_GO_BUILDID &&
			   !go[0]) {
			size_t n = descsz < golen - 1 ? descsz : golen - 1;

			for (size_t i = 0; i < n; i++)
				go[i] = desc[i] >= 0x20 && desc[i] < 0x7f ? (char)desc[i] : '?';
			go[n] = '\0';
		}
		if (next > len)
			break;
		pos = (size_t)next;
	}
	(void)b;
}

static void load_build_id(struct gobin *b)
{
	char gnu[sizeof(b->info.build_id)] = "", go[sizeof(b->info.build_id)] = "";

	for (size_t i = 0;; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(b->elf, (int)i, &ph))
			break;
		if (ph.p_type != PT_NOTE || ph.p_offset > b->img_size ||
		    ph.p_filesz > b->img_size - ph.p_offset)
			continue;
		scan_notes(b, b->img + ph.p_offset, ph.p_filesz, gnu, sizeof(gnu), go, sizeof(go));
	}
	if (b->has_shdrs) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(b->elf, scn))) {
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
			    sh.sh_offset > b->img_size || sh.sh_size > b->img_size - sh.sh_offset)
				continue;
			scan_notes(b, b->img + sh.sh_offset, sh.sh_size, gnu, sizeof(gnu), go,
				   sizeof(go));
		}
	}
	if (gnu[0]) {
		snprintf(b->info.build_id, sizeof(b->info.build_id), "%s", gnu);
		snprintf(b->info.build_id_kind, sizeof(b->info.build_id_kind), "gnu");
	} else if (go[0]) {
		snprintf(b->info.build_id, sizeof(b->info.build_id), "%s", go);
		snprintf(b->info.build_id_kind, sizeof(b->info.build_id_kind), "go");
	}
}

/* --- .go.buildinfo -------------------------------------------------------------------------- */

static int load_buildinfo(struct gobin *b)
{
	char what[PATH_MAX + 64];
	const uint8_t *p = NULL;
	size_t len = 0;
	GElf_Shdr sh;
	int err;

	if (find_section(b, ".go.buildinfo", &sh)) {
		err = section_bytes(b, ".go.buildinfo", &sh, &p, &len);
		if (err)
			return err;
		snprintf(what, sizeof(what), "%s: .go.buildinfo", b->path);
	} else {
		/* no section headers: debug/buildinfo's scan of writable data at 16-byte alignment
		 */
		for (size_t i = 0; i < b->nsegs && !p; i++) {
			const struct gobin_seg *s = &b->segs[i];
			uint64_t start = (BUILDINFO_SCAN_ALIGN - s->vaddr % BUILDINFO_SCAN_ALIGN) %
					 BUILDINFO_SCAN_ALIGN;

			if ((s->flags & (PF_W | PF_X)) != PF_W)
				continue;
			for (uint64_t o = start; o + GOBIN_BUILDINFO_HDR <= s->filesz;
			     o += BUILDINFO_SCAN_ALIGN) {
				const uint8_t *c = b->img + s->off + o;

				if (!memcmp(c, GOBIN_BUILDINFO_MAGIC, GOBIN_BUILDINFO_MAGIC_LEN)) {
					p = c;
					len = (size_t)(s->filesz - o);
					snprintf(what, sizeof(what),
						 "%s: Go build information at 0x%llx", b->path,
						 (unsigned long long)s->vaddr + o);
					break;
				}
			}
		}
		if (!p)
			return xg_error(
			    -EINVAL,
			    "%s: not a Go binary: no .go.buildinfo section and no Go build "
			    "information in its writable segments",
			    b->path);
	}
	return gobin_buildinfo__parse(&b->bi, p, len, what, read_cb, b);
}

static void fill_info_from_buildinfo(struct gobin *b)
{
	struct gobin_info *in = &b->info;
	const char *v;

	snprintf(in->go_version, sizeof(in->go_version), "%s", b->bi.version);
	in->go_major = b->bi.major;
	in->go_minor = b->bi.minor;
	in->go_patch = b->bi.patch;
	v = gobin_buildinfo__get(&b->bi, "GOARCH");
	if (!v)
		v = b->arch == GOBIN_ARCH_ARM64 ? "arm64" : "amd64";
	snprintf(in->goarch, sizeof(in->goarch), "%s", v);
	snprintf(in->path, sizeof(in->path), "%s", b->bi.path);
	snprintf(in->module, sizeof(in->module), "%s", b->bi.module);
	v = gobin_buildinfo__get(&b->bi, "-buildmode");
	snprintf(in->buildmode, sizeof(in->buildmode), "%s", v ? v : "exe");
	v = gobin_buildinfo__get(&b->bi, "GOEXPERIMENT");
	snprintf(in->goexperiment, sizeof(in->goexperiment), "%s", v ? v : "");
	v = gobin_buildinfo__get(&b->bi, "CGO_ENABLED");
	in->cgo = v && !strcmp(v, "1");
}

/* --- .symtab -------------------------------------------------------------------------------- */

static int cmp_sym_name(const void *x, const void *y)
{
	const struct gobin_sym *a = x, *c = y;

	return strcmp(a->name, c->name);
}

static int cmp_func_addr(const void *x, const void *y)
{
	const struct gobin_sym *a = *(struct gobin_sym *const *)x;
	const struct gobin_sym *c = *(struct gobin_sym *const *)y;

	if (a->addr != c->addr)
		return a->addr < c->addr ? -1 : 1;
	return strcmp(a->name, c->name);
}

static int load_symtab(struct gobin *b)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf_Data *data;
	size_t n, k = 0;

	if (!b->has_shdrs || (b->flags & GOBIN_OPEN_NO_SYMTAB))
		return 0;
	while ((scn = elf_nextscn(b->elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	}
	if (!scn || !sh.sh_entsize || sh.sh_offset > b->img_size ||
	    sh.sh_size > b->img_size - sh.sh_offset)
		return 0;
	data = elf_getdata(scn, NULL);
	if (!data)
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	b->syms = calloc(n ? n : 1, sizeof(*b->syms));
	if (!b->syms)
		return xg_error(-ENOMEM, "%s: out of memory", b->path);
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &s))
			break;
		if (s.st_shndx == SHN_UNDEF || !s.st_value)
			continue;
		name = elf_strptr(b->elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		gobin_sanitize((uint8_t *)name, strlen(name), false);
		type = GELF_ST_TYPE(s.st_info);
		b->syms[k].name = name;
		b->syms[k].addr = s.st_value;
		b->syms[k].size = s.st_size;
		b->syms[k].func = type == STT_FUNC && s.st_size > 0 && exec_addr(b, s.st_value);
		k++;
	}
	b->nsyms = k;
	if (!k)
		return 0;
	b->info.has_symtab = true;
	qsort(b->syms, b->nsyms, sizeof(*b->syms), cmp_sym_name);
	b->funcs = calloc(k, sizeof(*b->funcs));
	if (!b->funcs)
		return xg_error(-ENOMEM, "%s: out of memory", b->path);
	for (size_t i = 0; i < k; i++)
		if (b->syms[i].func)
			b->funcs[b->nfuncs++] = &b->syms[i];
	qsort(b->funcs, b->nfuncs, sizeof(*b->funcs), cmp_func_addr);
	return 0;
}

/* The first symbol named name, or NULL. */
static const struct gobin_sym *sym_lookup(const struct gobin *b, const char *name, bool func)
{
	size_t lo = 0, hi = b->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(b->syms[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (const struct gobin_sym *best = NULL; lo <= b->nsyms; lo++) {
		if (lo == b->nsyms || strcmp(b->syms[lo].name, name) != 0)
			return best;
		if (func && !b->syms[lo].func)
			continue;
		if (!best || b->syms[lo].size > best->size)
			best = &b->syms[lo];
	}
	return NULL;
}

int gobin__symbol(const struct gobin *b, const char *name, uint64_t *addr)
{
	const struct gobin_sym *s = sym_lookup(b, name, false);

	if (!s)
		return -ENOENT;
	*addr = s->addr;
	return 0;
}

/* --- .gopclntab ----------------------------------------------------------------------------- */

static int try_pcln(struct gobin *b, const uint8_t *p, size_t len, uint64_t vaddr, const char *what,
		    bool quiet)
{
	int err = gobin_pcln__parse(&b->pcln, p, len, vaddr, what);

	if (!err)
		err = gobin_pcln__validate(&b->pcln);
	if (err && quiet)
		xg_error_clear();
	return err;
}

static int find_pclntab(struct gobin *b)
{
	static const char *const names[] = {".gopclntab", ".data.rel.ro.gopclntab"};
	char what[PATH_MAX + 64];
	const struct gobin_sym *s, *e;
	const uint8_t *p = NULL;
	size_t len = 0;
	GElf_Shdr sh;
	int err;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!find_section(b, names[i], &sh))
			continue;
		err = section_bytes(b, names[i], &sh, &p, &len);
		if (err)
			return err;
		snprintf(what, sizeof(what), "%s: %s", b->path, names[i]);
		return try_pcln(b, p, len, sh.sh_addr, what, false);
	}
	s = sym_lookup(b, "runtime.pclntab", false);
	e = sym_lookup(b, "runtime.epclntab", false);
	if (s && e && e->addr > s->addr && (p = vaddr_ptr(b, s->addr, &len))) {
		if (len > e->addr - s->addr)
			len = (size_t)(e->addr - s->addr);
		snprintf(what, sizeof(what), "%s: runtime.pclntab at 0x%llx", b->path,
			 (unsigned long long)s->addr);
		return try_pcln(b, p, len, s->addr, what, false);
	}
	/* cgo + external linking + PIE (<= 1.25): merged into .data.rel.ro, no section */
	for (size_t i = 0; b->img && i < b->nsegs; i++) {
		const struct gobin_seg *g = &b->segs[i];
		const uint8_t *d = b->img + g->off;

		if (g->flags & PF_X)
			continue;
		for (uint64_t o = (4 - g->vaddr % 4) % 4; o + 72 <= g->filesz; o += 4) {
			uint32_t m = (uint32_t)leword(d + o, 4);

			if ((m != GOBIN_PCLN_MAGIC_120 && m != GOBIN_PCLN_MAGIC_118) || d[o + 4] ||
			    d[o + 5] || d[o + 7] != 8)
				continue;
			snprintf(what, sizeof(what), "%s: pclntab found at 0x%llx", b->path,
				 (unsigned long long)g->vaddr + o);
			err = try_pcln(b, d + o, (size_t)(g->filesz - o), g->vaddr + o, what, true);
			if (!err)
				return 0;
			if (m == GOBIN_PCLN_MAGIC_118)
				return try_pcln(b, d + o, (size_t)(g->filesz - o), g->vaddr + o,
						what, false);
		}
	}
	return xg_error(
	    -EINVAL,
	    "%s: no Go function table: no .gopclntab section, no runtime.pclntab symbol, "
	    "and no valid table in the data segments",
	    b->path);
}

/* moduledata: its first two words are the pcHeader address and the funcnametab address. */
static bool md_matches(struct gobin *b, uint64_t addr)
{
	uint64_t w0, w1;

	return !read_ptr(b, addr, &w0) && w0 == b->pcln.vaddr &&
	       !read_ptr(b, addr + b->pcln.ptrsize, &w1) &&
	       w1 == b->pcln.vaddr + b->pcln.funcname_off;
}

static int find_moduledata(struct gobin *b)
{
	const struct gobin_sym *s;
	GElf_Shdr sh;
	uint64_t key, val;

	if (b->md_searched)
		return b->md_err;
	b->md_searched = true;
	b->md_err = 0;
	/* Go 1.26+: its own section, present even in stripped binaries */
	if (find_section(b, ".go.module", &sh) && md_matches(b, sh.sh_addr)) {
		b->md_addr = sh.sh_addr;
		snprintf(b->text_start_from, sizeof(b->text_start_from), "moduledata (.go.module)");
		return 0;
	}
	s = sym_lookup(b, "runtime.firstmoduledata", false);
	if (s && md_matches(b, s->addr)) {
		b->md_addr = s->addr;
		snprintf(b->text_start_from, sizeof(b->text_start_from),
			 "moduledata (runtime.firstmoduledata)");
		return 0;
	}
	/* scan the data segments for the two words */
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *g = &b->segs[i];
		const uint8_t *d = b->img + g->off;
		unsigned int ps = b->pcln.ptrsize;

		if (g->flags & PF_X)
			continue;
		for (uint64_t o = (ps - g->vaddr % ps) % ps; o + 2 * ps <= g->filesz; o += ps) {
			if (leword(d + o, ps) == b->pcln.vaddr &&
			    leword(d + o + ps, ps) == b->pcln.vaddr + b->pcln.funcname_off) {
				b->md_addr = g->vaddr + o;
				snprintf(b->text_start_from, sizeof(b->text_start_from),
					 "moduledata at 0x%llx", (unsigned long long)b->md_addr);
				return 0;
			}
		}
	}
	/* PIE whose words are zero in the file: the relocation addends */
	if (b->info.pie && !b->relocs_loaded) {
		b->md_err = load_relocs(b);
		if (b->md_err)
			return b->md_err;
	}
	for (size_t it = 0; u64map_next(&b->relocs, &it, &key, &val);) {
		if (val == b->pcln.vaddr && md_matches(b, key)) {
			b->md_addr = key;
			snprintf(b->text_start_from, sizeof(b->text_start_from),
				 "moduledata at 0x%llx", (unsigned long long)key);
			return 0;
		}
	}
	b->md_err = xg_error(-ENOENT, "%s: runtime.firstmoduledata not found", b->path);
	return b->md_err;
}

static int find_text_start(struct gobin *b)
{
	const struct gobin_sym *s = sym_lookup(b, "runtime.text", false);
	struct gobin_info *in = &b->info;
	uint64_t v = 0, first, last;
	const uint8_t *ft;
	int err;

	if (s) {
		in->text_start = s->addr;
		snprintf(b->text_start_from, sizeof(b->text_start_from), "symtab runtime.text");
	} else if (!read_ptr(b, b->pcln.vaddr + 8 + 2ull * b->pcln.ptrsize, &v) && v) {
		in->text_start = v;
		snprintf(b->text_start_from, sizeof(b->text_start_from), "pclntab header");
	} else {
		/* Go 1.26+ writes 0 there; never guess from the .text section */
		err = find_moduledata(b);
		if (err)
			return xg_error(
			    err,
			    "%s: cannot find the text start: no runtime.text symbol, the "
			    "pclntab header's textStart is 0, and %s",
			    b->path,
			    err == -ENOENT ? "no moduledata matches the pclntab"
					   : "reading moduledata failed");
		err = read_ptr(b, b->md_addr + MD_WORD_TEXT * (uint64_t)b->pcln.ptrsize, &v);
		if (err || !v)
			return xg_error(-EINVAL,
					"%s: moduledata at 0x%llx: text is unreadable or 0",
					b->path, (unsigned long long)b->md_addr);
		in->text_start = v;
	}
	in->text_start_from = b->text_start_from;
	ft = b->pcln.data + b->pcln.pcln_off;
	first = in->text_start + leword(ft, 4);
	last = in->text_start + leword(ft + b->pcln.nfunc * 8, 4);
	if (!exec_addr(b, first) || !exec_addr(b, last - 1))
		return xg_error(
		    -EINVAL,
		    "%s: text start 0x%llx (from %s) puts the functions at 0x%llx..0x%llx, "
		    "outside the executable segments",
		    b->path, (unsigned long long)in->text_start, b->text_start_from,
		    (unsigned long long)first, (unsigned long long)last);
	return 0;
}

static bool mallocgc_specialized(const char *name)
{
	const char *sc;

	if (strncmp(name, "runtime.mallocgc", 16) != 0)
		return false;
	sc = strstr(name + 16, "SC");
	return sc && sc[2] >= '0' && sc[2] <= '9';
}

/*
 * Two pclntab entries with one name are an ABIInternal function and its ABI0 twin: for a Go
 * function, the ABI0 wrapper (funcID wrapper) that assembly calls; for an assembly function, the
 * ABIInternal wrapper Go calls. .symtab names the ABI0 one "X.abi0" and `go tool nm` reports
 * the other as X; so do we: prefer non-assembly, then funcID 0 (normal), then the larger body.
 */
static bool pfunc_better(const struct gobin_pfunc *a, const struct gobin_pfunc *c)
{
	if ((a->flag & FUNCFLAG_ASM) != (c->flag & FUNCFLAG_ASM))
		return !(a->flag & FUNCFLAG_ASM);
	if ((a->funcid == 0) != (c->funcid == 0))
		return a->funcid == 0;
	return a->end_off - a->entry_off > c->end_off - c->entry_off;
}

static int cmp_pfunc_name(const void *x, const void *y)
{
	const struct gobin_pfunc *a = *(struct gobin_pfunc *const *)x;
	const struct gobin_pfunc *c = *(struct gobin_pfunc *const *)y;
	int r = strcmp(a->name, c->name);

	if (r)
		return r;
	return a->entry_off < c->entry_off ? -1 : a->entry_off > c->entry_off;
}

static int index_pclntab(struct gobin *b)
{
	uint64_t n = b->pcln.nfunc;
	size_t k = 0;

	/* names and file names go to terminals and JSON: the image is a private copy */
	gobin_sanitize((uint8_t *)b->pcln.data + b->pcln.funcname_off,
		       b->pcln.cu_off - b->pcln.funcname_off, false);
	gobin_sanitize((uint8_t *)b->pcln.data + b->pcln.filetab_off,
		       b->pcln.pctab_off - b->pcln.filetab_off, false);

	b->pfuncs = calloc(n, sizeof(*b->pfuncs));
	b->pfunc_by_name = calloc(n, sizeof(*b->pfunc_by_name));
	if (!b->pfuncs || !b->pfunc_by_name)
		return xg_error(-ENOMEM, "%s: out of memory", b->path);
	for (uint64_t i = 0; i < n; i++) {
		struct gobin_pcln_func f;
		int err = gobin_pcln__func(&b->pcln, i, &f);

		if (err)
			return err;
		b->pfuncs[i].name = f.name;
		b->pfuncs[i].entry_off = f.entry_off;
		b->pfuncs[i].end_off = f.end_off;
		b->pfuncs[i].funcid = f.funcid;
		b->pfuncs[i].flag = f.flag;
		b->pfunc_by_name[i] = &b->pfuncs[i];
	}
	qsort(b->pfunc_by_name, n, sizeof(*b->pfunc_by_name), cmp_pfunc_name);
	/* keep one entry per name */
	for (size_t i = 0; i < n; i++) {
		struct gobin_pfunc *f = b->pfunc_by_name[i];

		if (k && !strcmp(b->pfunc_by_name[k - 1]->name, f->name)) {
			if (pfunc_better(f, b->pfunc_by_name[k - 1])) {
				b->pfunc_by_name[k - 1]->shadowed = true;
				b->pfunc_by_name[k - 1] = f;
			} else {
				f->shadowed = true;
			}
			continue;
		}
		if (mallocgc_specialized(f->name))
			b->info.size_specialized_malloc = true;
		b->pfunc_by_name[k++] = f;
	}
	b->npfunc_by_name = k;
	return 0;
}

static const struct gobin_pfunc *pfunc_lookup(const struct gobin *b, const char *name)
{
	size_t lo = 0, hi = b->npfunc_by_name;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(b->pfunc_by_name[mid]->name, name);

		if (!r)
			return b->pfunc_by_name[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The pclntab function starting exactly at addr, or NULL. */
static const struct gobin_pfunc *pfunc_at(const struct gobin *b, uint64_t addr)
{
	uint64_t idx;

	if (addr < b->info.text_start ||
	    gobin_pcln__find(&b->pcln, addr - b->info.text_start, &idx))
		return NULL;
	if (b->info.text_start + b->pfuncs[idx].entry_off != addr)
		return NULL;
	return &b->pfuncs[idx];
}

/* --- open / close --------------------------------------------------------------------------- */

static int finish_open(struct gobin *b)
{
	GElf_Ehdr eh;
	GElf_Shdr sh;
	int err;

	err = check_ident(b);
	if (err)
		return err;
	/* the image is a private copy or a private writable mapping: libelf may convert in place */
	b->elf = elf_memory((char *)b->img, b->img_size);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF)
		return xg_error(-EINVAL, "%s: not a valid ELF file: %s", b->path, elf_errmsg(-1));
	if (!gelf_getehdr(b->elf, &eh))
		return xg_error(-EINVAL, "%s: bad ELF header: %s", b->path, elf_errmsg(-1));
	switch (eh.e_machine) {
	case EM_X86_64:
		b->arch = GOBIN_ARCH_X86_64;
		break;
	case EM_AARCH64:
		b->arch = GOBIN_ARCH_ARM64;
		break;
	default:
		return xg_error(-EPROTONOSUPPORT,
				"%s: unsupported machine type %u (xgotop reads amd64 and arm64)",
				b->path, eh.e_machine);
	}
	b->info.pie = eh.e_type == ET_DYN;
	if (b->has_shdrs && elf_getshdrstrndx(b->elf, &b->shstrndx))
		b->has_shdrs = false;
	err = load_segments(b);
	if (err)
		return err;
	err = check_truncated(b);
	if (err)
		return err;

	err = load_buildinfo(b);
	if (err)
		return err;
	fill_info_from_buildinfo(b);
	if (b->info.go_major != 1)
		return xg_error(-EPROTONOSUPPORT, "%s: unknown Go version \"%s\"", b->path,
				b->info.go_version);
	if (b->info.go_minor < GOBIN_GO_OLDEST_MINOR)
		return xg_error(-EPROTONOSUPPORT, "%s: Go %d.%d is older than 1.%d", b->path,
				b->info.go_major, b->info.go_minor, GOBIN_GO_OLDEST_MINOR);
	b->info.has_dwarf =
	    find_section(b, ".debug_info", &sh) || find_section(b, ".zdebug_info", &sh);
	if (b->info.go_minor > GOBIN_GO_NEWEST_MINOR) {
		if (!b->info.has_dwarf)
			return xg_error(
			    -EPROTONOSUPPORT,
			    "%s: Go 1.%d is newer than 1.%d, the newest version this "
			    "xgotop knows, and the binary has no DWARF to read the runtime "
			    "layout from",
			    b->path, b->info.go_minor, GOBIN_GO_NEWEST_MINOR);
		snprintf(b->info.warning, sizeof(b->info.warning),
			 "Go 1.%d is newer than 1.%d, the newest version this xgotop knows; "
			 "using the binary's DWARF",
			 b->info.go_minor, GOBIN_GO_NEWEST_MINOR);
	}
	load_build_id(b);

	err = load_symtab(b);
	if (err)
		return err;
	err = find_pclntab(b);
	if (err)
		return err;
	err = find_text_start(b);
	if (err)
		return err;
	err = index_pclntab(b);
	if (err)
		return err;
	return 0;
}

static struct gobin *open_common(struct gobin *b)
{
	int err = finish_open(b);

	if (err) {
		gobin__close(b);
		errno = -err;
		return NULL;
	}
	return b;
}

static struct gobin *gobin_alloc(const char *name, unsigned int flags)
{
	struct gobin *b;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		xg_error(-EINVAL, "libelf: %s", elf_errmsg(-1));
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b || !(b->path = strdup(name))) {
		free(b);
		xg_error(-ENOMEM, "%s: out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	b->fd = -1;
	b->flags = flags;
	return b;
}

struct gobin *gobin__open_flags(const char *path, unsigned int flags)
{
	struct gobin *b = gobin_alloc(path, flags);
	struct stat st;
	int err;

	if (!b)
		return NULL;
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st)) {
		err = xg_error(-errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = xg_error(-EINVAL, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size == 0) {
		err = xg_error(-EINVAL, "%s: not an ELF file (empty)", path);
		goto fail;
	}
	/* private and writable: libelf may convert data in place; the file never changes */
	b->map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, b->fd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		err = xg_error(-errno, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	b->map_size = (size_t)st.st_size;
	b->img = b->map;
	b->img_size = b->map_size;
	return open_common(b);
fail:
	gobin__close(b);
	errno = -err;
	return NULL;
}

struct gobin *gobin__open(const char *path)
{
	return gobin__open_flags(path, 0);
}

struct gobin *gobin__open_mem(const void *data, size_t size, const char *name, unsigned int flags)
{
	struct gobin *b = gobin_alloc(name, flags);

	if (!b)
		return NULL;
	b->mem = malloc(size ? size : 1);
	if (!b->mem) {
		gobin__close(b);
		xg_error(-ENOMEM, "%s: out of memory", name);
		errno = ENOMEM;
		return NULL;
	}
	if (size)
		memcpy(b->mem, data, size);
	b->img = b->mem;
	b->img_size = size;
	return open_common(b);
}

void gobin__close(struct gobin *b)
{
	if (!b)
		return;
	if (b->elf)
		elf_end(b->elf);
	if (b->map)
		munmap(b->map, b->map_size);
	if (b->fd >= 0)
		close(b->fd);
	gobin_buildinfo__free(&b->bi);
	u64map_free(&b->relocs);
	free(b->pfuncs);
	free(b->pfunc_by_name);
	free(b->syms);
	free(b->funcs);
	free(b->segs);
	free(b->mem);
	free(b->path);
	free(b);
}

/* --- queries -------------------------------------------------------------------------------- */

const struct gobin_info *gobin__info(const struct gobin *b)
{
	return &b->info;
}

enum gobin_arch gobin__arch(const struct gobin *b)
{
	return b->arch;
}

Elf *gobin__elf(const struct gobin *b)
{
	return b->elf;
}

const char *gobin__path(const struct gobin *b)
{
	return b->path;
}

const char *gobin__build_setting(const struct gobin *b, const char *key)
{
	return gobin_buildinfo__get(&b->bi, key);
}

bool gobin__build_setting_at(const struct gobin *b, size_t i, const char **key, const char **value)
{
	if (i >= b->bi.nsettings)
		return false;
	*key = b->bi.keys[i];
	*value = b->bi.values[i];
	return true;
}

static void fill_func(const struct gobin *b, const char *name, uint64_t addr, uint64_t size,
		      struct gobin_func *out)
{
	const struct gobin_seg *s = seg_of(b, addr);

	out->name = name;
	out->addr = addr;
	out->size = size;
	out->file_off = s ? addr - s->vaddr + s->off : 0;
}

/* A symbol's function: pclntab's extent when Go knows it (includes padding), else st_size. */
static void fill_sym_func(const struct gobin *b, const struct gobin_sym *s, struct gobin_func *out)
{
	const struct gobin_pfunc *pf = pfunc_at(b, s->addr);

	fill_func(b, s->name, s->addr, pf ? (uint64_t)pf->end_off - pf->entry_off : s->size, out);
}

int gobin__func(const struct gobin *b, const char *name, struct gobin_func *out)
{
	const struct gobin_sym *s = b->info.has_symtab ? sym_lookup(b, name, true) : NULL;
	const struct gobin_pfunc *pf;

	if (s) {
		fill_sym_func(b, s, out);
		return 0;
	}
	pf = pfunc_lookup(b, name);
	if (!pf)
		return -ENOENT;
	fill_func(b, pf->name, b->info.text_start + pf->entry_off,
		  (uint64_t)pf->end_off - pf->entry_off, out);
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int gobin__for_each_func(const struct gobin *b, const char *prefix,
			 int (*fn)(const struct gobin_func *f, void *ctx), void *ctx)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	struct gobin_func f;
	int ret;

	if (b->info.has_symtab) {
		for (size_t i = 0; i < b->nfuncs; i++) {
			const struct gobin_sym *s = b->funcs[i];

			if (strncmp(s->name, prefix ? prefix : "", plen) != 0 ||
			    has_suffix(s->name, ".abi0"))
				continue;
			fill_sym_func(b, s, &f);
			ret = fn(&f, ctx);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (uint64_t i = 0; i < b->pcln.nfunc; i++) {
		const struct gobin_pfunc *pf = &b->pfuncs[i];

		if (pf->shadowed || strncmp(pf->name, prefix ? prefix : "", plen) != 0)
			continue;
		fill_func(b, pf->name, b->info.text_start + pf->entry_off,
			  (uint64_t)pf->end_off - pf->entry_off, &f);
		ret = fn(&f, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* The Go function (pclntab entry) holding link-time pc: 0, -ENOENT when none does, or -EINVAL
 * for a damaged entry. */
static int pcln_func_at(const struct gobin *b, uint64_t pc, struct gobin_pcln_func *f)
{
	uint64_t idx;

	if (pc < b->info.text_start || pc - b->info.text_start > UINT32_MAX ||
	    gobin_pcln__find(&b->pcln, pc - b->info.text_start, &idx))
		return -ENOENT;
	return gobin_pcln__func(&b->pcln, idx, f);
}

int gobin__pc_lookup(const struct gobin *b, uint64_t pc, struct gobin_pcinfo *out)
{
	struct gobin_pcln_func f;
	int err = pcln_func_at(b, pc, &f);

	if (err != -ENOENT) {
		if (err)
			return err;
		out->fn = f.name;
		out->entry = b->info.text_start + f.entry_off;
		return gobin_pcln__line(&b->pcln, &f, (uint32_t)(pc - b->info.text_start),
					&out->file, &out->line);
	}
	/* not Go code: a C function from .symtab (cgo binaries) */
	if (b->nfuncs) {
		size_t lo = 0, hi = b->nfuncs;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (b->funcs[mid]->addr <= pc)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && pc - b->funcs[lo - 1]->addr < b->funcs[lo - 1]->size) {
			out->fn = b->funcs[lo - 1]->name;
			out->entry = b->funcs[lo - 1]->addr;
			out->file = "";
			out->line = 0;
			return 0;
		}
	}
	return -ENOENT;
}

int gobin__pc_spdelta(const struct gobin *b, uint64_t pc, int32_t *delta)
{
	struct gobin_pcln_func f;
	int err = pcln_func_at(b, pc, &f);

	if (err)
		return err;
	return gobin_pcln__pcvalue(&b->pcln, f.pcsp, f.entry_off,
				   (uint32_t)(pc - b->info.text_start), delta);
}

/* internal/abi.FuncIDWrapper: always the last FuncID, so it moved as runtime functions got
 * ids of their own */
static uint8_t funcid_wrapper(const struct gobin *b)
{
	if (b->info.go_minor <= 21)
		return 21;
	return b->info.go_minor <= 24 ? 22 : 23;
}

/* The funcdata base: the go:func.* symbol, else moduledata.gofunc. 0 when unknown. */
static uint64_t gofunc_base(struct gobin *b)
{
	const struct gobin_sym *s;
	uint64_t v = 0;

	if (b->gofunc_searched)
		return b->gofunc;
	b->gofunc_searched = true;
	s = b->info.has_symtab ? sym_lookup(b, "go:func.*", false) : NULL;
	if (s) {
		b->gofunc = s->addr;
		return b->gofunc;
	}
	if (!find_moduledata(b) &&
	    !read_ptr(b,
		      b->md_addr + (b->info.go_minor >= 27 ? MD_WORD_GOFUNC_127 : MD_WORD_GOFUNC) *
				       (uint64_t)b->pcln.ptrsize,
		      &v))
		b->gofunc = v;
	return b->gofunc;
}

/* The inlining tree entry idx of f (whose tree is at tree): 0 or -errno. */
static int inl_entry(const struct gobin *b, uint64_t tree, int32_t idx, uint8_t *funcid,
		     const char **name, int32_t *parent_pc)
{
	uint8_t rec[INLINED_CALL_SIZE];

	if (idx < 0 ||
	    gobin__read_vaddr(b, tree + (uint64_t)idx * INLINED_CALL_SIZE, rec, sizeof(rec)))
		return -EFAULT;
	*funcid = rec[0];
	*name = gobin_pcln__name(&b->pcln, (uint32_t)leword(rec + 4, 4));
	*parent_pc = (int32_t)leword(rec + 8, 4);
	return *name ? 0 : -EINVAL;
}

/* The inlining tree of f, or 0 when it has none. */
static uint64_t inl_tree(const struct gobin *b, const struct gobin_pcln_func *f)
{
	uint32_t off;
	uint64_t base;

	if (gobin_pcln__funcdata(&b->pcln, f, FUNCDATA_INLTREE, &off))
		return 0;
	base = gofunc_base((struct gobin *)b); /* lazily found, like the moduledata */
	return base ? base + off : 0;
}

int gobin__pc_frames(const struct gobin *b, uint64_t pc, bool ret, struct gobin_frame *out,
		     size_t max)
{
	struct gobin_pcln_func f;
	struct gobin_pcinfo pi;
	uint64_t tree;
	uint32_t off;
	size_t n = 0;
	int32_t inl = -1;
	int err;

	if (!max)
		return -EINVAL;
	if (ret && pc)
		pc--;
	err = pcln_func_at(b, pc, &f);
	if (err == -ENOENT) {
		/* not Go code: a C function from .symtab (cgo binaries) */
		err = gobin__pc_lookup(b, pc, &pi);
		if (err)
			return err;
		out[0] = (struct gobin_frame){.fn = pi.fn, .file = pi.file, .line = pi.line};
		return 1;
	}
	if (err)
		return err;
	off = (uint32_t)(pc - b->info.text_start);
	tree = inl_tree(b, &f);
	if (tree && gobin_pcln__pcdata(&b->pcln, &f, PCDATA_INLTREEINDEX, off, &inl))
		inl = -1;
	/* runtime/symtabinl.go: each inlined call's position is the pc's own, its caller's the
	 * position of the call (parentPc), up to the function that holds the code */
	for (int depth = 0; inl >= 0 && n + 1 < max && depth < MAX_INLINE_DEPTH; depth++) {
		struct gobin_frame *fr = &out[n];
		int32_t parent_pc;
		uint8_t funcid;

		if (inl_entry(b, tree, inl, &funcid, &fr->fn, &parent_pc) || parent_pc < 0)
			break;
		err = gobin_pcln__line(&b->pcln, &f, off, &fr->file, &fr->line);
		if (err)
			return err;
		fr->inlined = true;
		fr->wrapper = funcid == funcid_wrapper(b);
		n++;
		off = f.entry_off + (uint32_t)parent_pc;
		if (gobin_pcln__pcdata(&b->pcln, &f, PCDATA_INLTREEINDEX, off, &inl))
			inl = -1;
	}
	out[n] = (struct gobin_frame){.fn = f.name,
				      .wrapper = f.funcid == funcid_wrapper(b),
				      /* a cgo callback's goroutine stack begins at cgocallback:
				       * what precedes it is the C caller's, on another stack */
				      .top = (f.flag & FUNCFLAG_TOPFRAME) ||
					     !strcmp(f.name, "runtime.cgocallback")};
	err = gobin_pcln__line(&b->pcln, &f, off, &out[n].file, &out[n].line);
	return err ? err : (int)(n + 1);
}

/* Calls a wrapper makes besides its target: the stack growth at its end, the panics. */
static bool wrapper_helper(const char *fn)
{
	return !strncmp(fn, "runtime.morestack", 17) || !strncmp(fn, "runtime.panic", 13) ||
	       !strcmp(fn, "runtime.gopanic") || !strncmp(fn, "runtime.race", 12);
}

/* The function a wrapper hands over to: the one its FUNCDATA_WrapInfo names (what Go's tracer
 * uses, runtime.startPCForTrace; a `go f(x)` wrapper of a named function has it), else the
 * outermost call it inlined, else its first direct call that is not to the runtime's stack
 * growth or panics. NULL when it calls through a function value or an interface. */
static const char *wrapper_target(const struct gobin *b, const struct gobin_pcln_func *f)
{
	uint64_t tree = inl_tree(b, f), calls[MAX_WRAPPER_CALLS];
	uint64_t entry = b->info.text_start + f->entry_off, base;
	struct gobin_pcinfo pi;
	uint8_t wbuf[4];
	uint32_t wi;
	size_t avail;
	const uint8_t *code;
	int n;

	if (!gobin_pcln__funcdata(&b->pcln, f, FUNCDATA_WRAPINFO, &wi)) {
		base = gofunc_base((struct gobin *)b);
		if (base && !gobin__read_vaddr(b, base + wi, wbuf, sizeof(wbuf))) {
			uint64_t target = b->info.text_start + leword(wbuf, 4);

			if (!gobin__pc_lookup(b, target, &pi) && pi.entry == target)
				return pi.fn;
		}
	}

	if (tree) {
		/* the first pc in inlined code: the outermost of its inlined calls is the one the
		 * wrapper made (its frames end with it, then the wrapper's own) */
		for (uint32_t off = f->entry_off; off < f->end_off; off++) {
			struct gobin_frame fr[GOBIN_MAX_PC_FRAMES];
			int32_t inl;

			if (gobin_pcln__pcdata(&b->pcln, f, PCDATA_INLTREEINDEX, off, &inl) ||
			    inl < 0)
				continue;
			n = gobin__pc_frames(b, b->info.text_start + off, false, fr,
					     GOBIN_MAX_PC_FRAMES);
			if (n >= 2)
				return fr[n - 2].wrapper ? NULL : fr[n - 2].fn;
			break;
		}
	}
	code = vaddr_ptr(b, entry, &avail);
	if (!code || avail < (uint64_t)f->end_off - f->entry_off)
		return NULL;
	n = gobin_disasm__calls(b->arch, code, (size_t)(f->end_off - f->entry_off), entry, calls,
				MAX_WRAPPER_CALLS);
	for (int i = 0; i < n; i++) {
		if (!gobin__pc_lookup(b, calls[i], &pi) && pi.entry == calls[i] &&
		    !wrapper_helper(pi.fn))
			return pi.fn;
	}
	return NULL;
}

int gobin__start_func(const struct gobin *b, uint64_t start_pc, const char **fn,
		      const char **wrapper)
{
	struct gobin_pcln_func f;
	int err;

	*fn = NULL;
	*wrapper = NULL;
	err = pcln_func_at(b, start_pc, &f);
	if (err)
		return err;
	*fn = f.name;
	/* a wrapper of a wrapper (a method value's -fm called from a gowrap) is followed too */
	for (int depth = 0; depth < 4 && f.funcid == funcid_wrapper(b); depth++) {
		const char *target = wrapper_target(b, &f);
		struct gobin_func tf;

		if (!target)
			break;
		if (!*wrapper)
			*wrapper = f.name;
		*fn = target;
		if (gobin__func(b, target, &tf) || pcln_func_at(b, tf.addr, &f))
			break;
	}
	return 0;
}

void gobin_func_print_name(const char *name, int go_minor, char *buf, size_t len)
{
	const char *i = strchr(name, '['), *j;
	const char *rbr = NULL, *lbr = NULL;
	int depth = 1;

	if (!len)
		return;
	j = i ? strrchr(name, ']') : NULL;
	if (!i || !j || j <= i) {
		snprintf(buf, len, "%s", name);
		return;
	}
	/* runtime.funcNamePiecesForPrint: "[...]" for the shape arguments; from Go 1.27 a
	 * generic method of a generic type keeps the text between its two argument lists */
	if (go_minor < 27 || !memchr(i + 1, '[', (size_t)(j - i - 1))) {
		snprintf(buf, len, "%.*s[...]%s", (int)(i - name), name, j + 1);
		return;
	}
	for (const char *k = i + 1; k < j; k++) {
		if (*k == '[') {
			if (++depth != 1)
				continue;
			lbr = k;
			break;
		}
		if (*k == ']') {
			if (--depth < 0)
				break;
			if (!depth)
				rbr = k;
		}
	}
	if (depth == 1 && rbr && lbr > rbr)
		snprintf(buf, len, "%.*s[...]%.*s[...]%s", (int)(i - name), name,
			 (int)(lbr - rbr - 1), rbr + 1, j + 1);
	else if (depth == 1 && !rbr && !lbr)
		snprintf(buf, len, "%.*s[...]%s", (int)(i - name), name, j + 1);
	else
		snprintf(buf, len, "%s", name);
}

int gobin__probe_site(const struct gobin *b, const struct gobin_func *f,
		      struct gobin_probe_site *out)
{
	size_t avail;
	const uint8_t *code = vaddr_ptr(b, f->addr, &avail);
	char name[512];

	snprintf(name, sizeof(name), "%s: %s at 0x%llx", b->path, f->name ? f->name : "?",
		 (unsigned long long)f->addr);
	if (!code || !exec_addr(b, f->addr))
		return xg_error(-EFAULT, "%s: not in an executable segment of the file", name);
	if (f->size > avail)
		return xg_error(
		    -EFAULT,
		    "%s: the function (%llu bytes) extends past its segment's data in the "
		    "file",
		    name, (unsigned long long)f->size);
	return gobin_disasm__probe_site(b->arch, code, (size_t)f->size, name, out);
}

int gobin__type_name(const struct gobin *b, uint64_t type_addr, char *buf, size_t len)
{
	struct gobin *mb = (struct gobin *)b; /* lazily found moduledata and relocations */
	uint64_t types, etypes, nameaddr, n;
	uint8_t t[ABI_TYPE_SIZE];
	unsigned int ps = b->pcln.ptrsize;
	size_t used, avail;
	const uint8_t *p;
	int32_t str;
	int err;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	err = find_moduledata(mb);
	if (err)
		return err;
	if (read_ptr(mb, b->md_addr + MD_WORD_TYPES * (uint64_t)ps, &types) ||
	    read_ptr(mb,
		     b->md_addr + (b->info.go_minor >= 27 ? MD_WORD_ETYPES_127 : MD_WORD_ETYPES) *
				      (uint64_t)ps,
		     &etypes) ||
	    etypes <= types)
		return xg_error(-EINVAL, "%s: moduledata at 0x%llx: bad types range", b->path,
				(unsigned long long)b->md_addr);
	if (type_addr < types || type_addr >= etypes || etypes - type_addr < ABI_TYPE_SIZE ||
	    type_addr % ps)
		return xg_error(-ENOENT,
				"%s: 0x%llx is not a type descriptor (types 0x%llx..0x%llx)",
				b->path, (unsigned long long)type_addr, (unsigned long long)types,
				(unsigned long long)etypes);
	if (gobin__read_vaddr(b, type_addr, t, sizeof(t)))
		return xg_error(-EFAULT, "%s: type at 0x%llx is not in the file", b->path,
				(unsigned long long)type_addr);
	str = (int32_t)leword(t + ABI_TYPE_STR, 4);
	nameaddr = types + (uint64_t)(int64_t)str;
	if (str < 0 || nameaddr >= etypes)
		return xg_error(-EINVAL, "%s: type at 0x%llx: name offset %d is out of range",
				b->path, (unsigned long long)type_addr, str);
	p = vaddr_ptr(b, nameaddr, &avail);
	if (!p || avail < 2)
		return xg_error(-EFAULT, "%s: type name at 0x%llx is not in the file", b->path,
				(unsigned long long)nameaddr);
	used = gobin_uvarint(p + 1, avail - 1, &n);
	if (!used || n > avail - 1 - used)
		return xg_error(-EINVAL, "%s: type name at 0x%llx has a bad length", b->path,
				(unsigned long long)nameaddr);
	p += 1 + used;
	if ((t[ABI_TYPE_TFLAG] & TFLAG_EXTRA_STAR) && n && p[0] == '*') {
		p++;
		n--;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	return 0;
}

int gobin__for_each_indirect_wrapper(const struct gobin *b,
				     int (*fn)(uint64_t entry, const struct gobin_wrapper_call *c,
					       void *ctx),
				     void *ctx)
{
	uint8_t wrapper = funcid_wrapper(b);

	for (uint64_t i = 0; i < b->pcln.nfunc; i++) {
		struct gobin_wrapper_call call;
		struct gobin_pcln_func f;
		uint64_t entry;
		const uint8_t *code;
		size_t avail;
		int ret;

		if (gobin_pcln__func(&b->pcln, i, &f) || f.funcid != wrapper)
			continue;
		entry = b->info.text_start + f.entry_off;
		code = vaddr_ptr(b, entry, &avail);
		/* the decoding first: it rules out most wrappers (a direct call comes first) far
		 * more cheaply than looking for a callee they name */
		if (!code || avail < (uint64_t)f.end_off - f.entry_off ||
		    gobin_disasm__closure_call(b->arch, code, (size_t)(f.end_off - f.entry_off),
					       &call) ||
		    wrapper_target(b, &f))
			continue;
		ret = fn(entry, &call, ctx);
		if (ret)
			return ret;
	}
	return 0;
}
