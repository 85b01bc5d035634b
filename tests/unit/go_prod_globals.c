// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record/ production mode: finding the runtime variables in the code of stripped binaries,
 * against .symtab, on the real Go binaries `make go-progs` builds.
 */
#include <stdio.h>

#include "gobin/gobin.h"
#include "record/globals.h"
#include "tests/unit/go_progs.h"
#include "tests/unit/test.h"
#include "util/err.h"

/* What the code patterns find equals .symtab, in every version; and in a stripped PIE. */
TEST(prod_globals_from_code)
{
	for (size_t v = 0; v < go_prog_nversions; v++) {
		struct gobin *b = go_prog__open(go_prog_versions[v], "default", 0), *s = NULL;
		struct rec_globals sym, code, st;
		struct go_offsets off;
		char name[64];

		if (!b)
			continue;
		snprintf(name, sizeof(name), "go%s", go_prog_versions[v]);
		if (!ASSERT_OK(gobin__offsets(b, &off), name))
			goto next;
		rec_globals__find(b, &off, 0, &sym);
		rec_globals__find(b, &off, REC_GLOBALS_CODE_ONLY, &code);
		ASSERT_STREQ(sym.gc_controller.from, "symtab", name);
		ASSERT_NEQ(sym.gc_controller.addr, 0ull, name);
		ASSERT_EQ(code.gc_controller.addr, sym.gc_controller.addr, name);
		ASSERT_EQ(code.memstats.addr, sym.memstats.addr, name);
		ASSERT_EQ(code.allglen.addr, sym.allglen.addr, name);
		ASSERT_EQ(code.allgptr.addr, sym.allgptr.addr, name);
		ASSERT_EQ(code.mem_profile_rate.addr, sym.mem_profile_rate.addr, name);
		ASSERT_EQ(code.disable_mem_profiling.addr, sym.disable_mem_profiling.addr, name);
		ASSERT_HAS_SUBSTR(code.allglen.from, "runtime.allgadd", name);
		ASSERT_NEQ(sym.sched.addr, 0ull, name);
		ASSERT_NEQ(sym.allp.addr, 0ull, name);
		ASSERT_NEQ(sym.gomaxprocs.addr, 0ull, name);
		ASSERT_NEQ(sym.extram_in_use.addr, 0ull, name);
		ASSERT_EQ(code.sched.addr, sym.sched.addr, name);
		ASSERT_EQ(code.allp.addr, sym.allp.addr, name);
		ASSERT_EQ(code.gomaxprocs.addr, sym.gomaxprocs.addr, name);
		ASSERT_EQ(code.extram_in_use.addr, sym.extram_in_use.addr, name);
		ASSERT_EQ(code.extram_length.addr, sym.extram_length.addr, name);

		/* the stripped PIE: no .symtab, everything from code */
		s = go_prog__open(go_prog_versions[v], "strippedpie", 0);
		if (!s)
			goto next;
		if (!ASSERT_OK(gobin__offsets(s, &off), name))
			goto next;
		rec_globals__find(s, &off, 0, &st);
		ASSERT_TRUE(st.gc_controller.addr && st.memstats.addr && st.allglen.addr &&
				st.allgptr.addr && st.mem_profile_rate.addr &&
				st.disable_mem_profiling.addr && st.sched.addr && st.allp.addr &&
				st.gomaxprocs.addr && st.extram_in_use.addr &&
				st.extram_length.addr,
			    name);
		ASSERT_HAS_SUBSTR(st.gc_controller.from, "code", name);
	next:
		gobin__close(s);
		gobin__close(b);
	}
}
