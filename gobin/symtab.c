// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ELF symbol table of a binary that has one (gobin/internal.h): every named defined symbol
 * sorted by name, and the function symbols by address.
 */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/gobin.h"
#include "gobin/internal.h"
#include "util/err.h"

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

int gobin_load_symtab(struct gobin *b)
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
		b->syms[k].func =
		    type == STT_FUNC && s.st_size > 0 && gobin_exec_addr(b, s.st_value);
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
const struct gobin_sym *gobin_sym_lookup(const struct gobin *b, const char *name, bool func)
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
	const struct gobin_sym *s = gobin_sym_lookup(b, name, false);

	if (!s)
		return -ENOENT;
	*addr = s->addr;
	return 0;
}
