// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the .gopclntab reader (gobin/pclntab.c). The input is a table; every lookup is tried
 * whether or not the whole table validates, since a caller may look up entries lazily. Corpus:
 * tests/fuzz/corpus/pclntab (tables cut down from real binaries, see mkcorpus.py).
 */
#include <stdint.h>
#include <string.h>

#include "gobin/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin_pcln p;
	uint64_t idx, sum = 0;

	if (gobin_pcln__parse(&p, data, size, 0x500000, "fuzz"))
		return 0;
	gobin_pcln__validate(&p);
	for (uint64_t i = 0; i < p.nfunc && i < 256; i++) {
		struct gobin_pcln_func f;
		const char *file;
		uint32_t line, mid;
		int32_t v;

		if (gobin_pcln__func(&p, i, &f))
			continue;
		mid = f.entry_off + (f.end_off - f.entry_off) / 2;
		gobin_pcln__line(&p, &f, f.entry_off, &file, &line);
		sum += strlen(file) + line;
		gobin_pcln__line(&p, &f, mid, &file, &line);
		sum += strlen(file) + line + strlen(f.name);
		if (!gobin_pcln__pcvalue(&p, f.pcsp, f.entry_off, mid, &v))
			sum += (uint64_t)v;
		if (!gobin_pcln__find(&p, mid, &idx))
			sum += idx;
	}
	gobin_pcln__find(&p, 0, &idx);
	gobin_pcln__find(&p, UINT32_MAX, &idx);
	return sum == UINT64_MAX; /* keep sum live */
}
