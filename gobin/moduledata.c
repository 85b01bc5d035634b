// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The runtime's moduledata in a binary (gobin/internal.h), found lazily: by the .go.module
 * section (Go 1.26+), runtime.firstmoduledata, or its first two words (the pcHeader and the
 * function name table) in the data segments or the PIE relocations; then what is read from
 * it: the funcdata base (moduledata.gofunc) and type names (moduledata.types).
 */
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>

#include "gobin/gobin.h"
#include "gobin/internal.h"
#include "util/err.h"
#include "util/u64map.h"

#define ABI_TYPE_TFLAG	 20 /* internal/abi.Type.TFlag */
#define ABI_TYPE_STR	 40 /* internal/abi.Type.Str (nameOff) */
#define ABI_TYPE_SIZE	 48
#define TFLAG_EXTRA_STAR 2

/* moduledata: its first two words are the pcHeader address and the funcnametab address. */
static bool md_matches(struct gobin *b, uint64_t addr)
{
	uint64_t w0, w1;

	return !gobin_read_ptr(b, addr, &w0) && w0 == b->pcln.vaddr &&
	       !gobin_read_ptr(b, addr + b->pcln.ptrsize, &w1) &&
	       w1 == b->pcln.vaddr + b->pcln.funcname_off;
}

int gobin_find_moduledata(struct gobin *b)
{
	const struct gobin_sym *s;
	GElf_Shdr sh;
	uint64_t key, val;

	if (b->md_searched)
		return b->md_err;
	b->md_searched = true;
	b->md_err = 0;
	/* Go 1.26+: its own section, present even in stripped binaries */
	if (gobin_find_section(b, ".go.module", &sh) && md_matches(b, sh.sh_addr)) {
		b->md_addr = sh.sh_addr;
		snprintf(b->text_start_from, sizeof(b->text_start_from), "moduledata (.go.module)");
		return 0;
	}
	s = gobin_sym_lookup(b, "runtime.firstmoduledata", false);
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
			if (gobin_leword(d + o, ps) == b->pcln.vaddr &&
			    gobin_leword(d + o + ps, ps) == b->pcln.vaddr + b->pcln.funcname_off) {
				b->md_addr = g->vaddr + o;
				snprintf(b->text_start_from, sizeof(b->text_start_from),
					 "moduledata at 0x%llx", (unsigned long long)b->md_addr);
				return 0;
			}
		}
	}
	/* PIE whose words are zero in the file: the relocation addends */
	if (b->info.pie && !b->relocs_loaded) {
		b->md_err = gobin_load_relocs(b);
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

/* The funcdata base: the go:func.* symbol, else moduledata.gofunc. 0 when unknown. */
uint64_t gobin_gofunc_base(struct gobin *b)
{
	const struct gobin_sym *s;
	uint64_t v = 0;

	if (b->gofunc_searched)
		return b->gofunc;
	b->gofunc_searched = true;
	s = b->info.has_symtab ? gobin_sym_lookup(b, "go:func.*", false) : NULL;
	if (s) {
		b->gofunc = s->addr;
		return b->gofunc;
	}
	if (!gobin_find_moduledata(b) &&
	    !gobin_read_ptr(b,
			    b->md_addr +
				(b->info.go_minor >= 27 ? MD_WORD_GOFUNC_127 : MD_WORD_GOFUNC) *
				    (uint64_t)b->pcln.ptrsize,
			    &v))
		b->gofunc = v;
	return b->gofunc;
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
	err = gobin_find_moduledata(mb);
	if (err)
		return err;
	if (gobin_read_ptr(mb, b->md_addr + MD_WORD_TYPES * (uint64_t)ps, &types) ||
	    gobin_read_ptr(mb,
			   b->md_addr +
			       (b->info.go_minor >= 27 ? MD_WORD_ETYPES_127 : MD_WORD_ETYPES) *
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
	str = (int32_t)gobin_leword(t + ABI_TYPE_STR, 4);
	nameaddr = types + (uint64_t)(int64_t)str;
	if (str < 0 || nameaddr >= etypes)
		return xg_error(-EINVAL, "%s: type at 0x%llx: name offset %d is out of range",
				b->path, (unsigned long long)type_addr, str);
	p = gobin_vaddr_ptr(b, nameaddr, &avail);
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
