// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Go programs of the unit tests in tests/unit/go_*.c (go_progs.h). */
#include <stdio.h>
#include <stdlib.h>

#include "gobin/gobin.h"
#include "tests/unit/go_progs.h"
#include "tests/unit/test.h"
#include "util/err.h"

const char *const go_prog_versions[] = {"1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27"};
const size_t go_prog_nversions = sizeof(go_prog_versions) / sizeof(go_prog_versions[0]);

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
