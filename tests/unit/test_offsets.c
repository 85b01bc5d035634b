// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The built-in offsets table (gobin/offsets_table.c) and go_offsets__init(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gobin/offsets.h"
#include "gobin/offsets_table.h"
#include "tests/unit/test.h"
#include "util/err.h"

TEST(offsets_init)
{
	struct go_offsets o;

	memset(&o, 0x5a, sizeof(o));
	go_offsets__init(&o);
	for (unsigned int i = 0; i < GO_OFF_NFIELDS; i++)
		if (!ASSERT_EQ(*gobin_off_field__ptr(&o, &gobin_off_fields[i]), GO_OFF_UNKNOWN,
			       gobin_off_fields[i].name))
			return;
	ASSERT_EQ(o.nwaitreasons, 0u, "nwaitreasons");
	ASSERT_TRUE(o.source == NULL, "source");
	ASSERT_FALSE(o.newer_than_table, "newer");
}

TEST(offsets_table_every_version)
{
	static const char *const arches[] = {"amd64", "arm64"};
	struct go_offsets o;
	char want[32];

	for (int minor = 21; minor <= 27; minor++) {
		for (unsigned int a = 0; a < 2; a++) {
			int err = go_offsets__from_table(minor, arches[a], &o);

			if (!ASSERT_OK(err, "from_table"))
				return;
			snprintf(want, sizeof(want), "table go1.%d", minor);
			ASSERT_STREQ(o.source, want, "source");
			/* the fields every Go version from 1.21 has */
			ASSERT_GT(o.g_goid, 0, "goid");
			ASSERT_GT(o.g_atomicstatus, 0, "atomicstatus");
			ASSERT_GT(o.g_waitreason, o.g_goid, "waitreason");
			ASSERT_GT(o.g_parent_goid, o.g_waitreason, "parentGoid");
			ASSERT_GT(o.g_startpc, o.g_gopc, "startpc");
			ASSERT_LT(o.g_labels, o.g_size, "labels");
			ASSERT_EQ(o.g_sched_sp, 56, "sched.sp");
			ASSERT_EQ(o.g_sched_pc, 64, "sched.pc");
			ASSERT_EQ(o.m_g0, 0, "m.g0");
			ASSERT_GT(o.m_curg, 0, "m.curg");
			ASSERT_GT(o.gcc_heap_live, 0, "heapLive");
			ASSERT_EQ(o.md_etext, o.md_text + 8, "etext");
			ASSERT_TRUE(minor >= 22 ? o.g_coroarg > 0 : o.g_coroarg == GO_OFF_UNKNOWN,
				    "coroarg");
			/* wait reasons: 0 is "", the rest non-empty and distinct */
			if (!ASSERT_GT(o.nwaitreasons, 30u, "nwaitreasons") ||
			    !ASSERT_LE(o.nwaitreasons, (uint32_t)GO_MAX_WAITREASONS,
				       "nwaitreasons"))
				return;
			ASSERT_STREQ(o.waitreason[0], "", "waitReasonZero");
			for (uint32_t i = 1; i < o.nwaitreasons; i++) {
				ASSERT_NEQ(o.waitreason[i][0], 0, "reason set");
				for (uint32_t j = 1; j < i; j++)
					ASSERT_TRUE(strcmp(o.waitreason[i], o.waitreason[j]),
						    "reasons distinct");
			}
		}
	}
}

/* Spot checks against layouts read by hand from each version's runtime/runtime2.go and DWARF,
 * independently of the generator. */
TEST(offsets_table_known_values)
{
	struct go_offsets o;

	if (!ASSERT_OK(go_offsets__from_table(23, "amd64", &o), "1.23"))
		return;
	ASSERT_EQ(o.g_goid, 160, "1.23 goid");
	ASSERT_EQ(o.g_sched_bp, 104, "1.23 sched.bp");
	ASSERT_STREQ(o.waitreason[14], "chan receive", "1.23 reason 14");
	if (!ASSERT_OK(go_offsets__from_table(25, "arm64", &o), "1.25"))
		return;
	ASSERT_EQ(o.g_sched_bp, 96, "1.25 sched.bp");
	ASSERT_EQ(o.m_curg, 184, "1.25 m.curg");
	ASSERT_STREQ(o.waitreason[18], "GOMAXPROCS updater (idle)", "1.25 reason 18");
	if (!ASSERT_OK(go_offsets__from_table(26, "amd64", &o), "1.26"))
		return;
	ASSERT_EQ(o.g_parent_goid, 280, "1.26 parentGoid");
	ASSERT_EQ(o.g_size, 456, "1.26 sizeof(g)");
	ASSERT_STREQ(o.waitreason[19], "chan receive", "1.26 reason 19");
}

TEST(offsets_table_names_match)
{
	for (unsigned int i = 0; i < go_offsets_table_len; i++) {
		const struct go_offsets_table_entry *e = &go_offsets_table[i];

		ASSERT_STREQ(e->waitreason_names[0], "waitReasonZero", "name 0");
		for (uint32_t n = 1; n < e->off.nwaitreasons; n++)
			ASSERT_TRUE(strncmp(e->waitreason_names[n], "waitReason", 10) == 0,
				    "name prefix");
	}
}

TEST(offsets_table_unknown)
{
	struct go_offsets o;

	ASSERT_EQ(go_offsets__from_table(20, "amd64", &o), -EPROTONOSUPPORT, "1.20");
	ASSERT_EQ(go_offsets__from_table(99, "amd64", &o), -EPROTONOSUPPORT, "1.99");
	ASSERT_HAS_SUBSTR(xg_errmsg(), "go1.99", "message");
	ASSERT_EQ(go_offsets__from_table(24, "riscv64", &o), -EPROTONOSUPPORT, "riscv64");
	ASSERT_EQ(go_offsets__from_table(24, NULL, &o), -EPROTONOSUPPORT, "NULL arch");
}
