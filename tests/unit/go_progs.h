/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The real Go binaries `make go-progs` builds ($OUTPUT/go/<ver>/hello.<variant>), for the unit
 * tests in tests/unit/go_*.c. Those are linked into their own runner, .output/unit-go-tests, so
 * that .output/unit-tests (`make unit`) needs no Go toolchain.
 */
#ifndef XG_TESTS_UNIT_GO_PROGS_H
#define XG_TESTS_UNIT_GO_PROGS_H

#include <stddef.h>

struct gobin;

/* The Go versions whose programs are opened, oldest first: $GO_VERSIONS, else
 * tests/go/versions (read from the repository root). */
#define GO_PROG_MAX_VERSIONS 32
extern const char *go_prog_versions[GO_PROG_MAX_VERSIONS];
extern size_t go_prog_nversions;

/* "$OUTPUT/go/VER/hello.VARIANT" into buf. */
void go_prog__path(char *buf, size_t len, const char *ver, const char *variant);
/* gobin__open_flags() of that program; NULL, with the running test failed, if it cannot. */
struct gobin *go_prog__open(const char *ver, const char *variant, unsigned int flags);

#endif /* XG_TESTS_UNIT_GO_PROGS_H */
