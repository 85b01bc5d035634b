// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runs the registered unit tests: `unit-tests [-v] [NAME-SUBSTRING...]` (and the same for
 * unit-go-tests, the tests on Go programs). Prints "PASS: unit/x" or "FAIL: unit/x" per test
 * and a summary; exits 1 if any failed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test.h"
#include "util/err.h"

static struct test_case *tests;
static bool cur_failed;
static char tmpdir[256];

void test__register(struct test_case *tc)
{
	tc->next = tests;
	tests = tc;
}

void test__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	cur_failed = true;
	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

const char *xg_test_errmsg(void)
{
	return xg_errmsg();
}

const char *test__tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/xgotop-unit-XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
	}
	return tmpdir;
}

static void rm_tmpdir(void)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	if (!tmpdir[0])
		return;
	d = opendir(tmpdir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
	tmpdir[0] = '\0';
}

static int cmp_name(const void *a, const void *b)
{
	const struct test_case *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc == 0)
		return true;
	for (int i = 0; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct test_case **all;
	size_t n = 0, i, passed = 0, failed = 0;

	for (struct test_case *t = tests; t; t = t->next)
		n++;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all)
		return 1;
	i = 0;
	for (struct test_case *t = tests; t; t = t->next)
		all[i++] = t;
	qsort(all, n, sizeof(*all), cmp_name);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < n; i++) {
		if (!selected(all[i]->name, argc - 1, argv + 1))
			continue;
		cur_failed = false;
		xg_error_clear();
		all[i]->fn();
		if (cur_failed) {
			failed++;
			if (tmpdir[0])
				printf("FAIL: unit/%s (scratch files kept in %s)\n", all[i]->name,
				       tmpdir);
			else
				printf("FAIL: unit/%s\n", all[i]->name);
			tmpdir[0] = '\0';
		} else {
			passed++;
			printf("PASS: unit/%s\n", all[i]->name);
			rm_tmpdir();
		}
	}
	printf("unit: %zu passed, %zu failed\n", passed, failed);
	free(all);
	return failed ? 1 : 0;
}
