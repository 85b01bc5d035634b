// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Go programs of the unit tests in tests/unit/go_*.c (go_progs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gobin/gobin.h"
#include "tests/unit/go_progs.h"
#include "tests/unit/test.h"
#include "util/err.h"

const char *go_prog_versions[GO_PROG_MAX_VERSIONS];
size_t go_prog_nversions;

/* $GO_VERSIONS (set by tests/run), else tests/go/versions, before the tests run. */
__attribute__((constructor)) static void read_versions(void)
{
	static char list[256];
	const char *env = getenv("GO_VERSIONS");
	char *save = NULL, *tok;

	if (env && *env) {
		snprintf(list, sizeof(list), "%s", env);
	} else {
		FILE *f = fopen("tests/go/versions", "re");

		if (!f || !fgets(list, sizeof(list), f))
			list[0] = '\0';
		if (f)
			fclose(f);
	}
	for (tok = strtok_r(list, " \t\n", &save); tok && go_prog_nversions < GO_PROG_MAX_VERSIONS;
	     tok = strtok_r(NULL, " \t\n", &save))
		go_prog_versions[go_prog_nversions++] = tok;
	if (!go_prog_nversions) {
		fprintf(stderr,
			"FAIL: unit-go: no Go versions (GO_VERSIONS empty, no tests/go/versions "
			"in %s)\n",
			getenv("PWD") ?: ".");
		exit(1);
	}
}

void go_prog__path(char *buf, size_t len, const char *ver, const char *variant)
{
	const char *out = getenv("OUTPUT");

	snprintf(buf, len, "%s/go/%s/hello.%s", out && *out ? out : ".output", ver, variant);
}

struct gobin *go_prog__open(const char *ver, const char *variant, unsigned int flags)
{
	char path[512];
	struct gobin *b;

	go_prog__path(path, sizeof(path), ver, variant);
	b = gobin__open_flags(path, flags);
	if (!b)
		test__fail(__FILE__, __LINE__, "%s (built by `make go-progs`): %s", path,
			   xg_errmsg());
	return b;
}
