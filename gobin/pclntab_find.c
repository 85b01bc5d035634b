// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Finding a binary's Go function table (gobin/internal.h): the .gopclntab section, the
 * runtime.pclntab symbol, or a validated scan of the data segments; the text start its entry
 * offsets count from; and the index of its functions by name, one entry per name (ABI0 and
 * ABIInternal twins share one). The table itself is parsed by pclntab.c.
 */
#include <errno.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/internal.h"
#include "util/err.h"

#define FUNCFLAG_ASM 4 /* internal/abi.FuncFlagAsm */

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

int gobin_find_pclntab(struct gobin *b)
{
	static const char *const names[] = {".gopclntab", ".data.rel.ro.gopclntab"};
	char what[PATH_MAX + 64];
	const struct gobin_sym *s, *e;
	const uint8_t *p = NULL;
	size_t len = 0;
	GElf_Shdr sh;
	int err;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!gobin_find_section(b, names[i], &sh))
			continue;
		err = gobin_section_bytes(b, names[i], &sh, &p, &len);
		if (err)
			return err;
		snprintf(what, sizeof(what), "%s: %s", b->path, names[i]);
		return try_pcln(b, p, len, sh.sh_addr, what, false);
	}
	s = gobin_sym_lookup(b, "runtime.pclntab", false);
	e = gobin_sym_lookup(b, "runtime.epclntab", false);
	if (s && e && e->addr > s->addr && (p = gobin_vaddr_ptr(b, s->addr, &len))) {
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
			uint32_t m = (uint32_t)gobin_leword(d + o, 4);

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

int gobin_find_text_start(struct gobin *b)
{
	const struct gobin_sym *s = gobin_sym_lookup(b, "runtime.text", false);
	struct gobin_info *in = &b->info;
	uint64_t v = 0, first, last;
	const uint8_t *ft;
	int err;

	if (s) {
		in->text_start = s->addr;
		snprintf(b->text_start_from, sizeof(b->text_start_from), "symtab runtime.text");
	} else if (!gobin_read_ptr(b, b->pcln.vaddr + 8 + 2ull * b->pcln.ptrsize, &v) && v) {
		in->text_start = v;
		snprintf(b->text_start_from, sizeof(b->text_start_from), "pclntab header");
	} else {
		/* Go 1.26+ writes 0 there; never guess from the .text section */
		err = gobin_find_moduledata(b);
		if (err)
			return xg_error(
			    err,
			    "%s: cannot find the text start: no runtime.text symbol, the "
			    "pclntab header's textStart is 0, and %s",
			    b->path,
			    err == -ENOENT ? "no moduledata matches the pclntab"
					   : "reading moduledata failed");
		err = gobin_read_ptr(b, b->md_addr + MD_WORD_TEXT * (uint64_t)b->pcln.ptrsize, &v);
		if (err || !v)
			return xg_error(-EINVAL,
					"%s: moduledata at 0x%llx: text is unreadable or 0",
					b->path, (unsigned long long)b->md_addr);
		in->text_start = v;
	}
	in->text_start_from = b->text_start_from;
	ft = b->pcln.data + b->pcln.pcln_off;
	first = in->text_start + gobin_leword(ft, 4);
	last = in->text_start + gobin_leword(ft + b->pcln.nfunc * 8, 4);
	if (!gobin_exec_addr(b, first) || !gobin_exec_addr(b, last - 1))
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

int gobin_index_pclntab(struct gobin *b)
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

const struct gobin_pfunc *gobin_pfunc_lookup(const struct gobin *b, const char *name)
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
const struct gobin_pfunc *gobin_pfunc_at(const struct gobin *b, uint64_t addr)
{
	uint64_t idx;

	if (addr < b->info.text_start ||
	    gobin_pcln__find(&b->pcln, addr - b->info.text_start, &idx))
		return NULL;
	if (b->info.text_start + b->pfuncs[idx].entry_off != addr)
		return NULL;
	return &b->pfuncs[idx];
}
