// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target for what offline/ reads from untrusted bundles: the bytes are a bundle (any tar,
 * compressed or not) read through libarchive by bundle__open(), whose trace is opened from
 * memory and read, and whose PC table is parsed; the same bytes are also parsed as a PC table
 * (offline/symtab.h) on their own. Errors are the expected outcome for most inputs; a crash or
 * a sanitizer report is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/reader.h"
#include "offline/bundle.h"
#include "offline/symtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TF_READER_OPTS(o, .warn = quiet);
	struct symtab *s;
	struct bundle *b;
	char path[64];
	int fd;

	s = symtab__parse((const char *)data, size, "fuzz.tsv");
	for (size_t i = 0; s && i < symtab__count(s); i++)
		(void)symtab__lookup(s, symtab__at(s, i)->pc);
	symtab__free(s);

	fd = memfd_create("fuzz-bundle", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	b = bundle__open(path, NULL);
	if (b) {
		struct tf_reader *r = tf_reader__open_mem(b->trace_data, b->trace_len, "fuzz", &o);
		struct xg_event ev[64];

		while (r && tf_reader__read(r, ev, 64) > 0)
			;
		tf_reader__close(r);
		if (b->symbols)
			symtab__free(symtab__parse(b->symbols, b->symbols_len, "fuzz.tsv"));
		bundle__close(b);
	}
	close(fd);
	return 0;
}
