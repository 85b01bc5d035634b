/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A PC table: program counter -> function, file and line, for the PCs a trace holds (stack
 * frames, goroutine creation and start PCs). Bundles carry one per trace (symbols/NAME.tsv) so
 * they read without the traced binary; the offline commands use it to name creation sites.
 *
 * Text form, one PC per line, tab-separated, after '#' comment lines:
 *
 *	# xgotop symbols v1: pc, function, file, line, source
 *	0x49a3f1	main.main	/src/hello/main.go	21	binary
 *
 * pc is a link-time address in hex; line is decimal (0: unknown); source says where the row
 * came from ("binary": the traced binary's pclntab, "trace": the trace's own stack tables).
 * Fields hold no tabs or newlines (they are replaced by spaces when written).
 */
#ifndef XG_OFFLINE_SYMTAB_H
#define XG_OFFLINE_SYMTAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct symtab_sym {
	uint64_t pc;
	const char *fn;	    /* "" when unknown */
	const char *file;   /* "" when unknown */
	const char *source; /* "binary", "trace" */
	uint32_t line;
};

struct symtab;

struct symtab *symtab__new(void);
void symtab__free(struct symtab *s);

/* Adds a row (strings copied); a PC already present keeps its first row. 0 or -ENOMEM. */
int symtab__add(struct symtab *s, uint64_t pc, const char *fn, const char *file, uint32_t line,
		const char *source);
size_t symtab__count(const struct symtab *s);
/* The row of exactly pc, or NULL. */
const struct symtab_sym *symtab__lookup(struct symtab *s, uint64_t pc);
/* Row i in PC order (0 .. count-1), or NULL. */
const struct symtab_sym *symtab__at(struct symtab *s, size_t i);

/* Writes the text form, rows in PC order. 0 or -errno (EIO). */
int symtab__write(struct symtab *s, FILE *f);
/* Parses the text form (untrusted: name is used in messages). NULL with errno set and a
 * message naming the line that is wrong. */
struct symtab *symtab__parse(const char *text, size_t len, const char *name);

#endif /* XG_OFFLINE_SYMTAB_H */
