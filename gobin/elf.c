// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ELF structure of an opened binary (gobin/internal.h): the raw header checked before
 * libelf sees it, so that a bad file gets a precise message; PT_LOAD segments and reads at
 * link-time addresses; sections; truncation checks.
 *
 * PIE: pointer-sized words in data may carry R_*_RELATIVE relocations; their addends are the
 * link-time values (see gobin_read_ptr()).
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/internal.h"
#include "util/err.h"
#include "util/u64map.h"

#define R_X86_64_RELATIVE_  8
#define R_AARCH64_RELATIVE_ 1027

const struct gobin_seg *gobin_seg_of(const struct gobin *b, uint64_t addr)
{
	for (size_t i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];

		if (addr >= s->vaddr && addr - s->vaddr < s->memsz)
			return s;
	}
	return NULL;
}

/* Bytes of the file at link-time address addr; *avail = how many follow in the same segment. */
const uint8_t *gobin_vaddr_ptr(const struct gobin *b, uint64_t addr, size_t *avail)
{
	const struct gobin_seg *s = gobin_seg_of(b, addr);

	if (!s || addr - s->vaddr >= s->filesz)
		return NULL;
	*avail = (size_t)(s->filesz - (addr - s->vaddr));
	return b->img + s->off + (addr - s->vaddr);
}

int gobin__read_vaddr(const struct gobin *b, uint64_t addr, void *buf, size_t len)
{
	size_t avail;
	const uint8_t *p = gobin_vaddr_ptr(b, addr, &avail);

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

bool gobin_exec_addr(const struct gobin *b, uint64_t addr)
{
	const struct gobin_seg *s = gobin_seg_of(b, addr);

	return s && (s->flags & PF_X);
}

/* --- sections ------------------------------------------------------------------------------- */

Elf_Scn *gobin_find_section(const struct gobin *b, const char *name, GElf_Shdr *sh)
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
int gobin_section_bytes(const struct gobin *b, const char *name, const GElf_Shdr *sh,
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
int gobin_load_relocs(struct gobin *b)
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
			uint64_t tag = gobin_leword(d + off, 8), val = gobin_leword(d + off + 8, 8);

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
	p = gobin_vaddr_ptr(b, rela, &avail);
	if (!p)
		return 0;
	n = (size_t)((relasz < avail ? relasz : avail) / relaent);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = p + i * relaent;
		uint64_t info = gobin_leword(r + 8, 8);

		if ((uint32_t)info != want)
			continue;
		if (u64map_put(&b->relocs, gobin_leword(r, 8), gobin_leword(r + 16, 8)))
			return xg_error(-ENOMEM, "%s: out of memory", b->path);
	}
	return 0;
}

/* A pointer-sized word at addr as the loader would see it before adding the load bias. */
int gobin_read_ptr(struct gobin *b, uint64_t addr, uint64_t *val)
{
	unsigned int ps = b->pcln.ptrsize ? b->pcln.ptrsize : 8;
	uint8_t buf[8];
	int err;

	if (gobin__read_vaddr(b, addr, buf, ps))
		return -EFAULT;
	*val = gobin_leword(buf, ps);
	if (b->info.pie) {
		if (!b->relocs_loaded) {
			err = gobin_load_relocs(b);
			if (err)
				return err;
		}
		u64map_get(&b->relocs, addr, val);
	}
	return 0;
}

/* --- ELF headers ---------------------------------------------------------------------------- */

/* Checks the raw ELF header before libelf, to say precisely what is wrong with a bad file. */
int gobin_check_ident(struct gobin *b)
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
	type = (uint16_t)gobin_leword(e + offsetof(Elf64_Ehdr, e_type), 2);
	if (type != ET_EXEC && type != ET_DYN)
		return xg_error(-EINVAL, "%s: not an executable (ELF type %u%s)", b->path, type,
				type == ET_REL ? ", a relocatable object" : "");
	phoff = gobin_leword(e + offsetof(Elf64_Ehdr, e_phoff), 8);
	shoff = gobin_leword(e + offsetof(Elf64_Ehdr, e_shoff), 8);
	phentsize = (uint16_t)gobin_leword(e + offsetof(Elf64_Ehdr, e_phentsize), 2);
	phnum = (uint16_t)gobin_leword(e + offsetof(Elf64_Ehdr, e_phnum), 2);
	shentsize = (uint16_t)gobin_leword(e + offsetof(Elf64_Ehdr, e_shentsize), 2);
	shnum = (uint16_t)gobin_leword(e + offsetof(Elf64_Ehdr, e_shnum), 2);
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

int gobin_load_segments(struct gobin *b)
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
int gobin_check_truncated(struct gobin *b)
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
