// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes opening a whole Go ELF file (gobin/gobin.c, and through it buildinfo, pclntab,
 * relocations, capstone decoding, type names and the struct offsets) with what a caller does
 * next: hooked functions, probe sites, PC and type lookups. Corpus: tests/fuzz/corpus/elf (small
 * ELF files built around real functions, see mkcorpus.py; their type descriptor is at
 * 0x410000).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/gobin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"runtime.casgstatus", "runtime.newproc", "runtime.newproc1",
				    "runtime.mallocgc",	  "runtime.gcStart", "main.main"};

static int each_b(const struct gobin_func *f, void *ctx)
{
	const struct gobin **b = ctx;
	struct gobin_probe_site site;
	struct gobin_pcinfo pi;

	gobin__probe_site(*b, f, &site);
	gobin__pc_lookup(*b, f->addr + f->size / 2, &pi);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned int flags = 0; flags <= GOBIN_OPEN_NO_SYMTAB; flags++) {
		struct gobin *b = gobin__open_mem(data, size, "fuzz", flags);
		struct go_offsets *off;
		struct gobin_pcinfo pi;
		struct gobin_func f;
		char name[64];
		uint64_t addr;

		if (!b)
			continue;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!gobin__func(b, names[i], &f))
				each_b(&f, &b);
		}
		gobin__for_each_func(b, "runtime.", each_b, &b);
		gobin__pc_lookup(b, gobin__info(b)->text_start, &pi);
		gobin__type_name(b, 0x410000, name, sizeof(name));
		gobin__type_name(b, 0x410008, name, sizeof(name));
		gobin__symbol(b, "runtime.firstmoduledata", &addr);
		gobin__build_setting(b, "GOARCH");
		off = malloc(sizeof(*off));
		if (off)
			gobin__offsets(b, off);
		free(off);
		gobin__close(b);
	}
	return 0;
}
