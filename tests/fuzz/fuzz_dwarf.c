// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the DWARF reader (gobin/dwarf.c, gobin_dwarf__read_mem()).
 *
 * Input: three little-endian u16 lengths (.debug_abbrev, .debug_str, .debug_str_offsets), those
 * sections in that order, and the rest is .debug_info; .debug_line_str shares .debug_str. Each
 * section is copied to an exact-size buffer so ASan sees any read past its end.
 * tests/unit/test_offsets_dwarf.c writes seeds when XGOTOP_DWARF_SEEDS names a directory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/dwarf.h"
#include "gobin/offsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	if (b && n)
		memcpy(b, p, n);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin_dwarf_sections s = {0};
	struct gobin_dwarf_result *res;
	size_t lens[3], off = 6;
	uint8_t *abbrev, *str, *stroff, *info;

	if (size < 6)
		return 0;
	for (int i = 0; i < 3; i++) {
		lens[i] = (size_t)data[2 * i] | (size_t)data[2 * i + 1] << 8;
		if (lens[i] > size - off)
			lens[i] = size - off;
		off += lens[i];
	}
	abbrev = dup_exact(data + 6, lens[0]);
	str = dup_exact(data + 6 + lens[0], lens[1]);
	stroff = dup_exact(data + 6 + lens[0] + lens[1], lens[2]);
	info = dup_exact(data + off, size - off);
	res = malloc(sizeof(*res));
	if (abbrev && str && stroff && info && res) {
		s.abbrev = abbrev;
		s.abbrev_len = lens[0];
		s.str = s.line_str = lens[1] ? str : NULL;
		s.str_len = s.line_str_len = lens[1];
		s.str_offsets = lens[2] ? stroff : NULL;
		s.str_offsets_len = lens[2];
		s.info = info;
		s.info_len = size - off;
		(void)gobin_dwarf__read_mem(&s, "fuzz", go_offsets__dwarf_wants(), GO_OFF_NFIELDS,
					    res);
	}
	free(res);
	free(info);
	free(stroff);
	free(str);
	free(abbrev);
	return 0;
}
