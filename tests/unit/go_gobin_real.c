// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gobin/ on the real Go binaries `make go-progs` builds ($OUTPUT/go/<ver>/hello.<variant>):
 * the .symtab and .gopclntab views of every function agree, and damaged copies (truncated,
 * bytes flipped in headers and tables) fail cleanly or still answer, never crash. The unit tests
 * also run under ASan+UBSan, which is what makes the damage tests meaningful.
 */
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/gobin.h"
#include "tests/unit/go_progs.h"
#include "tests/unit/test.h"
#include "util/err.h"

static const char *const hooked[] = {"runtime.newproc1", "runtime.casgstatus", "runtime.mallocgc",
				     "runtime.newproc",	 "runtime.gcStart",    "runtime.goexit1",
				     "main.main"};

struct cmp_ctx {
	const struct gobin *sym;
	int checked, mismatches;
};

static int cmp_one(const struct gobin_func *f, void *arg)
{
	struct cmp_ctx *c = arg;
	struct gobin_func g;

	c->checked++;
	if (gobin__func(c->sym, f->name, &g)) {
		return 0; /* not in .symtab under this name (e.g. linker-generated) */
	}
	if (g.addr != f->addr || g.size != f->size || g.file_off != f->file_off) {
		if (c->mismatches++ < 5)
			test__fail(__FILE__, __LINE__,
				   "%s: pclntab 0x%llx+%llu (file 0x%llx), symtab 0x%llx+%llu "
				   "(file 0x%llx)",
				   f->name, (unsigned long long)f->addr,
				   (unsigned long long)f->size, (unsigned long long)f->file_off,
				   (unsigned long long)g.addr, (unsigned long long)g.size,
				   (unsigned long long)g.file_off);
	}
	return 0;
}

/* Every pclntab function (duplicates resolved) is where .symtab says, in every version. */
TEST(gobin_real_symtab_vs_pclntab)
{
	static const char *const variants[] = {"default", "pie", "cgo"};

	for (size_t v = 0; v < go_prog_nversions; v++) {
		for (size_t k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
			struct gobin *sym = go_prog__open(go_prog_versions[v], variants[k], 0);
			struct gobin *pcl =
			    go_prog__open(go_prog_versions[v], variants[k], GOBIN_OPEN_NO_SYMTAB);
			struct cmp_ctx c = {.sym = sym};

			if (sym && pcl) {
				ASSERT_TRUE(gobin__info(sym)->has_symtab, "has symtab");
				ASSERT_FALSE(gobin__info(pcl)->has_symtab, "symtab ignored");
				ASSERT_EQ(gobin__info(sym)->text_start,
					  gobin__info(pcl)->text_start, "text start");
				ASSERT_OK(gobin__for_each_func(pcl, "", cmp_one, &c), "walk");
				ASSERT_GT(c.checked, 1000, "functions walked");
				if (!ASSERT_EQ(c.mismatches, 0, go_prog_versions[v]))
					printf("  in %s/%s\n", go_prog_versions[v], variants[k]);
			}
			gobin__close(sym);
			gobin__close(pcl);
		}
	}
}

static int count_fn(const struct gobin_func *f, void *arg)
{
	(void)f;
	(*(int *)arg)++;
	return 0;
}

/* Everything a caller may do with an opened binary; must not crash whatever the bytes. */
static void exercise(const struct gobin *b)
{
	const struct gobin_info *in = gobin__info(b);
	struct gobin_probe_site site;
	struct gobin_pcinfo pi;
	struct gobin_func f;
	char name[128];
	int n = 0;

	gobin__for_each_func(b, "runtime.mallocgc", count_fn, &n);
	for (size_t i = 0; i < sizeof(hooked) / sizeof(hooked[0]); i++) {
		if (gobin__func(b, hooked[i], &f))
			continue;
		gobin__probe_site(b, &f, &site);
		gobin__pc_lookup(b, f.addr + f.size / 2, &pi);
		gobin__type_name(b, f.addr, name, sizeof(name));
	}
	gobin__pc_lookup(b, in->text_start + 0x100, &pi);
	gobin__pc_lookup(b, 0, &pi);
	gobin__type_name(b, in->text_start, name, sizeof(name));
}

struct region {
	uint64_t off, len;
};

/* file ranges worth damaging: headers and the Go tables */
static size_t regions_of(const struct gobin *b, size_t size, struct region *r, size_t max)
{
	static const char *const secs[] = {".gopclntab",	 ".go.buildinfo",
					   ".go.module",	 ".note.go.buildid",
					   ".note.gnu.build-id", ".data.rel.ro.gopclntab"};
	Elf *e = gobin__elf(b);
	Elf_Scn *scn = NULL;
	size_t n = 0, shstrndx;
	GElf_Shdr sh;

	r[n++] = (struct region){0, 64};
	r[n++] = (struct region){64, 64 + 56 * 16 < size ? 56 * 16 : 0};
	if (elf_getshdrstrndx(e, &shstrndx))
		return n;
	while ((scn = elf_nextscn(e, scn)) && n < max) {
		const char *nm;

		if (!gelf_getshdr(scn, &sh) || !(nm = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]) && n < max; i++) {
			if (strcmp(nm, secs[i]) != 0 || sh.sh_offset + sh.sh_size > size)
				continue;
			/* the start (headers) and a stretch of the function table */
			r[n++] = (struct region){sh.sh_offset, sh.sh_size < 512 ? sh.sh_size : 512};
			if (sh.sh_size > 8192 && n < max)
				r[n++] = (struct region){sh.sh_offset + sh.sh_size / 2, 4096};
		}
	}
	return n;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void damage(const char *ver, const char *variant)
{
	char path[512];
	struct region reg[32];
	struct gobin *orig = go_prog__open(ver, variant, 0);
	uint8_t *data = NULL, *copy = NULL;
	size_t size = 0, nreg;
	FILE *f = NULL;
	int opened = 0, failed = 0;

	if (!orig)
		return;
	go_prog__path(path, sizeof(path), ver, variant);
	f = fopen(path, "rb");
	if (!ASSERT_OK_PTR(f, "fopen") || fseek(f, 0, SEEK_END))
		goto out;
	size = (size_t)ftell(f);
	rewind(f);
	data = malloc(size);
	copy = malloc(size);
	if (!ASSERT_OK_PTR(data, "malloc") || !ASSERT_OK_PTR(copy, "malloc") ||
	    !ASSERT_EQ(fread(data, 1, size, f), size, "read"))
		goto out;
	nreg = regions_of(orig, size, reg, sizeof(reg) / sizeof(reg[0]));

	/* truncated copies: always an error that names the file */
	for (int i = 0; i < 40; i++) {
		size_t cut = i < 8 ? (size_t)i * 9 : (size_t)(rnd() % size);
		struct gobin *b = gobin__open_mem(data, cut, "trunc", 0);

		if (b) {
			exercise(b);
			gobin__close(b);
			opened++;
		} else if (!ASSERT_HAS_SUBSTR(xg_errmsg(), "trunc: ", "truncation message")) {
			break;
		}
	}
	ASSERT_EQ(opened, 0, "truncated copies opened");
	/* flipped bytes: an error with a message, or a binary that still answers */
	for (int i = 0; i < 150; i++) {
		const struct region *r = &reg[(size_t)i % nreg];
		struct gobin *b;

		memcpy(copy, data, size);
		for (int k = 0; k < 1 + i % 4; k++) {
			uint64_t at = r->len ? r->off + rnd() % r->len : rnd() % size;

			copy[at] ^= (uint8_t)(1u << (rnd() % 8));
		}
		b = gobin__open_mem(copy, size, "flip", i % 2 ? GOBIN_OPEN_NO_SYMTAB : 0);
		if (!b) {
			failed++;
			if (!ASSERT_HAS_SUBSTR(xg_errmsg(), "flip: ", "flip message"))
				break;
			continue;
		}
		exercise(b);
		gobin__close(b);
	}
	ASSERT_GT(failed, 10, "damage detected");
out:
	if (f)
		fclose(f);
	free(data);
	free(copy);
	gobin__close(orig);
}

TEST(gobin_real_damaged)
{
	damage("1.27", "default");
	damage("1.27", "strippedpie");
	damage("1.21", "cgostripped");
}

/* The pristine binaries through the same calls, with the answers checked. */
TEST(gobin_real_exercise)
{
	struct gobin *b = go_prog__open("1.27", "strippedpie", 0);
	struct gobin_pcinfo pi;
	struct gobin_func f;

	if (!b)
		return;
	exercise(b);
	if (ASSERT_OK(gobin__func(b, "runtime.casgstatus", &f), "casgstatus") &&
	    ASSERT_OK(gobin__pc_lookup(b, f.addr + 3, &pi), "pc")) {
		ASSERT_STREQ(pi.fn, "runtime.casgstatus", "pc name");
		ASSERT_EQ(pi.entry, f.addr, "pc entry");
		ASSERT_HAS_SUBSTR(pi.file, "runtime/proc.go", "pc file");
		ASSERT_GT(pi.line, 1000u, "pc line");
	}
	ASSERT_EQ(gobin__func(b, "runtime.nosuchfunction", &f), -ENOENT, "absent");
	ASSERT_EQ(gobin__pc_lookup(b, 0x10, &pi), -ENOENT, "pc outside text");
	ASSERT_STREQ(gobin__build_setting(b, "-buildmode"), "pie", "buildmode");
	ASSERT_TRUE(gobin__info(b)->pie && !gobin__info(b)->has_symtab, "stripped pie");
	ASSERT_STREQ(gobin__info(b)->text_start_from, "moduledata (.go.module)", "text start");
	gobin__close(b);
}
