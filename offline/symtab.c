// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format/tables.h"
#include "util/array.h"
#include "offline/symtab.h"
#include "util/err.h"
#include "util/u64map.h"

#define SYMTAB_MAX_ROWS	 (1u << 24)
#define SYMTAB_MAX_FIELD 4096

struct symtab {
	struct symtab_sym *v;
	size_t n, cap;
	bool sorted;
	struct u64map idx;	/* pc -> index (only used while adding) */
	struct tf_tables *strs; /* interned strings: rows point into it */
};

struct symtab *symtab__new(void)
{
	struct symtab *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->strs = tf_tables__new();
	if (!s->strs) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->sorted = true;
	return s;
}

void symtab__free(struct symtab *s)
{
	if (!s)
		return;
	free(s->v);
	u64map_free(&s->idx);
	tf_tables__free(s->strs);
	free(s);
}

/* A copy of s without tabs or newlines, interned; NULL on failure. */
static const char *intern(struct symtab *s, const char *str)
{
	char buf[SYMTAB_MAX_FIELD];
	size_t len = 0;
	uint32_t id;

	for (; str && *str && len < sizeof(buf) - 1; str++)
		buf[len++] = (*str == '\t' || *str == '\n' || *str == '\r') ? ' ' : *str;
	if (!len)
		return "";
	id = tf_tables__intern(s->strs, buf, len);
	return id ? tf_tables__str(s->strs, id) : NULL;
}

int symtab__add(struct symtab *s, uint64_t pc, const char *fn, const char *file, uint32_t line,
		const char *source)
{
	struct symtab_sym *r;

	if (u64map_get(&s->idx, pc, NULL))
		return 0;
	if (s->n >= SYMTAB_MAX_ROWS)
		return xg_error(-E2BIG, "symbol table: more than %u PCs", SYMTAB_MAX_ROWS);
	if (xg_array_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)))
		return -ENOMEM;
	r = &s->v[s->n];
	r->pc = pc;
	r->line = line;
	r->fn = intern(s, fn);
	r->file = intern(s, file);
	r->source = intern(s, source);
	if (!r->fn || !r->file || !r->source || u64map_put(&s->idx, pc, s->n))
		return -ENOMEM;
	if (s->n && s->v[s->n - 1].pc > pc)
		s->sorted = false;
	s->n++;
	return 0;
}

size_t symtab__count(const struct symtab *s)
{
	return s ? s->n : 0;
}

static int cmp_pc(const void *a, const void *b)
{
	const struct symtab_sym *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void sort(struct symtab *s)
{
	if (s->sorted)
		return;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_pc);
	u64map_clear(&s->idx);
	for (size_t i = 0; i < s->n; i++)
		u64map_put(&s->idx, s->v[i].pc, i); /* cannot grow: same keys */
	s->sorted = true;
}

const struct symtab_sym *symtab__lookup(struct symtab *s, uint64_t pc)
{
	uint64_t i;

	if (!s)
		return NULL;
	sort(s);
	if (!u64map_get(&s->idx, pc, &i))
		return NULL;
	return &s->v[i];
}

const struct symtab_sym *symtab__at(struct symtab *s, size_t i)
{
	if (!s || i >= s->n)
		return NULL;
	sort(s);
	return &s->v[i];
}

int symtab__write(struct symtab *s, FILE *f)
{
	sort(s);
	fprintf(f, "# xgotop symbols v1: pc, function, file, line, source\n");
	for (size_t i = 0; i < s->n; i++) {
		const struct symtab_sym *r = &s->v[i];

		fprintf(f, "0x%" PRIx64 "\t%s\t%s\t%u\t%s\n", r->pc, r->fn, r->file, r->line,
			r->source);
	}
	return ferror(f) ? -EIO : 0;
}

/* Splits the line [p, end) at tabs into at most n fields (NUL-terminated in place). */
static int split(char *p, char *end, char **fields, int n)
{
	int k = 0;

	fields[k++] = p;
	for (; p < end; p++) {
		if (*p != '\t')
			continue;
		if (k == n)
			return -1;
		*p = '\0';
		fields[k++] = p + 1;
	}
	*end = '\0';
	return k;
}

struct symtab *symtab__parse(const char *text, size_t len, const char *name)
{
	struct symtab *s = symtab__new();
	char *copy = NULL, *p, *end;
	unsigned long lineno = 0;
	int err = 0;

	if (!s)
		return NULL;
	copy = malloc(len + 1);
	if (!copy) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (p = copy; p < copy + len; p = end + 1) {
		char *f[5], *e;
		unsigned long long pc, line;

		end = memchr(p, '\n', (size_t)(copy + len - p));
		if (!end)
			end = copy + len;
		lineno++;
		if (end > p && end[-1] == '\r')
			end[-1] = '\0';
		if (p == end || *p == '#' || *p == '\0')
			continue;
		if (strnlen(p, (size_t)(end - p)) != (size_t)(end - p)) {
			err = xg_error(-EINVAL, "%s: line %lu: NUL byte", name, lineno);
			goto out;
		}
		if (split(p, end, f, 5) != 5) {
			err = xg_error(-EINVAL, "%s: line %lu: expected 5 tab-separated fields",
				       name, lineno);
			goto out;
		}
		errno = 0;
		pc = strtoull(f[0], &e, 16);
		if (errno || e == f[0] || *e || strncmp(f[0], "0x", 2) != 0) {
			err = xg_error(-EINVAL, "%s: line %lu: bad pc '%.32s'", name, lineno, f[0]);
			goto out;
		}
		line = strtoull(f[3], &e, 10);
		if (errno || e == f[3] || *e || line > UINT32_MAX) {
			err = xg_error(-EINVAL, "%s: line %lu: bad line number '%.32s'", name,
				       lineno, f[3]);
			goto out;
		}
		err = symtab__add(s, pc, f[1], f[2], (uint32_t)line, f[4]);
		if (err)
			goto out;
	}
	sort(s);
out:
	free(copy);
	if (err) {
		symtab__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}
