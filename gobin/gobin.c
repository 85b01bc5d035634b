// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Opening a Go ELF binary (gobin/gobin.h): headers and segments through libelf, then the Go
 * parts read from the raw file image with every access bounded. Each step has its own file:
 *
 *   segments          ELF header checks, PT_LOADs, sections, PIE relocations (elf.c)
 *   version/settings  .go.buildinfo, or a 16-byte aligned scan of writable PT_LOADs (notes.c)
 *   build id          GNU note (.note.gnu.build-id), else the Go note (.note.go.buildid)
 *                     (notes.c)
 *   functions         .symtab when present (symtab.c), else .gopclntab (found as .gopclntab,
 *                     .data.rel.ro.gopclntab, runtime.pclntab, or a validated magic scan of
 *                     non-executable PT_LOADs: cgo + external link + PIE has no section;
 *                     pclntab_find.c)
 *   text start        runtime.text symbol, else pcHeader.textStart (0 from Go 1.26), else
 *                     moduledata.text (section .go.module from 1.26, else found by its first two
 *                     words; moduledata.c); never the .text section address, which is wrong for
 *                     cgo binaries
 *
 * This file opens and closes, and answers the lookups of functions by name; frames.c maps PCs
 * to functions and frames, disasm.c reads instructions.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
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

/* --- open / close --------------------------------------------------------------------------- */

static int finish_open(struct gobin *b)
{
	GElf_Ehdr eh;
	GElf_Shdr sh;
	int err;

	err = gobin_check_ident(b);
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
	err = gobin_load_segments(b);
	if (err)
		return err;
	err = gobin_check_truncated(b);
	if (err)
		return err;

	err = gobin_load_buildinfo(b);
	if (err)
		return err;
	gobin_fill_info_from_buildinfo(b);
	if (b->info.go_major != 1)
		return xg_error(-EPROTONOSUPPORT, "%s: unknown Go version \"%s\"", b->path,
				b->info.go_version);
	if (b->info.go_minor < GOBIN_GO_OLDEST_MINOR)
		return xg_error(-EPROTONOSUPPORT, "%s: Go %d.%d is older than 1.%d", b->path,
				b->info.go_major, b->info.go_minor, GOBIN_GO_OLDEST_MINOR);
	b->info.has_dwarf =
	    gobin_find_section(b, ".debug_info", &sh) || gobin_find_section(b, ".zdebug_info", &sh);
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
	gobin_load_build_id(b);

	err = gobin_load_symtab(b);
	if (err)
		return err;
	err = gobin_find_pclntab(b);
	if (err)
		return err;
	err = gobin_find_text_start(b);
	if (err)
		return err;
	err = gobin_index_pclntab(b);
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
	const struct gobin_seg *s = gobin_seg_of(b, addr);

	out->name = name;
	out->addr = addr;
	out->size = size;
	out->file_off = s ? addr - s->vaddr + s->off : 0;
}

/* A symbol's function: pclntab's extent when Go knows it (includes padding), else st_size. */
static void fill_sym_func(const struct gobin *b, const struct gobin_sym *s, struct gobin_func *out)
{
	const struct gobin_pfunc *pf = gobin_pfunc_at(b, s->addr);

	fill_func(b, s->name, s->addr, pf ? (uint64_t)pf->end_off - pf->entry_off : s->size, out);
}

int gobin__func(const struct gobin *b, const char *name, struct gobin_func *out)
{
	const struct gobin_sym *s = b->info.has_symtab ? gobin_sym_lookup(b, name, true) : NULL;
	const struct gobin_pfunc *pf;

	if (s) {
		fill_sym_func(b, s, out);
		return 0;
	}
	pf = gobin_pfunc_lookup(b, name);
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
