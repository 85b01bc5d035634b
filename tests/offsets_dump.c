// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * offsets-dump: prints Go runtime offsets in a line format tests/offsets.test compares.
 *
 *   offsets-dump --dwarf FILE          the C DWARF reader alone (libelf on FILE)
 *   offsets-dump --table MINOR GOARCH  the built-in table
 *   offsets-dump FILE                  gobin__offsets() (DWARF, else table), as xgotop uses it
 *
 * Lines: "<field> <offset>" for every struct go_offsets field (-1 unknown), "const <name>
 * <value>" for wait reason constants (--dwarf, --table), "reason <n> <string>", "source ...",
 * "warning ..." (FILE mode). Exit 0, or 1 with the error on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gobin/dwarf.h"
#include "gobin/gobin.h"
#include "gobin/offsets.h"
#include "gobin/offsets_table.h"
#include "util/err.h"

int main(int argc, char **argv);

static void print_fields(const struct go_offsets *o)
{
	for (unsigned int i = 0; i < GO_OFF_NFIELDS; i++)
		printf("%s %d\n", gobin_off_fields[i].name,
		       gobin_off_field__get(o, &gobin_off_fields[i]));
}

static void print_reasons(const struct go_offsets *o)
{
	for (uint32_t i = 0; i < o->nwaitreasons; i++)
		printf("reason %u %s\n", i, o->waitreason[i]);
}

static int dump_dwarf(const char *path)
{
	struct gobin_dwarf_result *res = NULL;
	struct go_offsets o;
	Elf *elf = NULL;
	int fd = -1, err;

	res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = xg_error(-errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = xg_error(-EINVAL, "%s: not an ELF file", path);
		goto out;
	}
	err = gobin_dwarf__read_elf(elf, path, go_offsets__dwarf_wants(), GO_OFF_NFIELDS, res);
	if (err)
		goto out;
	go_offsets__init(&o);
	go_offsets__set_fields(&o, res->off);
	print_fields(&o);
	for (uint32_t i = 0; i < res->nconsts; i++)
		printf("const %s %lld\n", res->consts[i].name, (long long)res->consts[i].value);
	printf("dwarf_version %d\n", res->version);
out:
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	free(res);
	return err;
}

static int dump_table(int minor, const char *goarch)
{
	struct go_offsets o;
	int err = go_offsets__from_table(minor, goarch, &o);

	if (err)
		return err;
	print_fields(&o);
	for (unsigned int i = 0; i < go_offsets_table_len; i++) {
		const struct go_offsets_table_entry *e = &go_offsets_table[i];

		if (e->minor != minor || strcmp(e->goarch, goarch) != 0)
			continue;
		for (uint32_t n = 0; n < e->off.nwaitreasons; n++)
			printf("const %s %u\n", e->waitreason_names[n], n);
	}
	print_reasons(&o);
	printf("source %s\n", o.source);
	return 0;
}

static int dump_binary(const char *path)
{
	struct go_offsets o;
	struct gobin *b = gobin__open(path);
	int err;

	if (!b)
		return -errno;
	err = gobin__offsets(b, &o);
	if (!err) {
		print_fields(&o);
		print_reasons(&o);
		printf("source %s\n", o.source);
		if (o.warning[0])
			printf("warning %s\n", o.warning);
	}
	gobin__close(b);
	return err;
}

int main(int argc, char **argv)
{
	int err;

	if (argc == 3 && strcmp(argv[1], "--dwarf") == 0)
		err = dump_dwarf(argv[2]);
	else if (argc == 4 && strcmp(argv[1], "--table") == 0)
		err = dump_table(atoi(argv[2]), argv[3]);
	else if (argc == 2 && argv[1][0] != '-')
		err = dump_binary(argv[1]);
	else {
		fprintf(stderr, "usage: offsets-dump --dwarf FILE | --table MINOR GOARCH | FILE\n");
		return 2;
	}
	if (err) {
		fprintf(stderr, "offsets-dump: %s\n", xg_errmsg());
		return 1;
	}
	return 0;
}
