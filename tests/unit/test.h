/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests, in the style of the kernel's test_progs.h: small ASSERT_* macros that report a
 * failure and return false, so a test reads
 *
 *	if (!ASSERT_OK(err, "open"))
 *		goto out;
 *
 * TEST(name) { ... } defines and registers a test; the runner (tests/unit/main.c) prints one
 * "PASS: unit/<name>" or "FAIL: unit/<name>" line per test, which tests/run counts.
 */
#ifndef XG_TESTS_UNIT_TEST_H
#define XG_TESTS_UNIT_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test__register(struct test_case *tc);
/* Marks the running test failed and prints the message with its location. */
void test__fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Directory for scratch files of the running test (created on demand, removed on pass). */
const char *test__tmpdir(void);

#define TEST(_name)                                                                                \
	static void test_##_name(void);                                                            \
	static struct test_case test_case_##_name = {.name = #_name, .fn = test_##_name};          \
	__attribute__((constructor)) static void test_register_##_name(void)                       \
	{                                                                                          \
		test__register(&test_case_##_name);                                                \
	}                                                                                          \
	static void test_##_name(void)

#define ASSERT_TRUE(cond, name)                                                                    \
	({                                                                                         \
		bool ___ok = (cond);                                                               \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: expected true: %s", (name), #cond);    \
		___ok;                                                                             \
	})

#define ASSERT_FALSE(cond, name)                                                                   \
	({                                                                                         \
		bool ___ok = !(cond);                                                              \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: expected false: %s", (name), #cond);   \
		___ok;                                                                             \
	})

#define ASSERT_OK(res, name)                                                                       \
	({                                                                                         \
		long long ___res = (res);                                                          \
		bool ___ok = ___res == 0;                                                          \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: unexpected error %lld (%s)", (name),   \
				   ___res, xg_test_errmsg());                                      \
		___ok;                                                                             \
	})

#define ASSERT_ERR(res, name)                                                                      \
	({                                                                                         \
		long long ___res = (res);                                                          \
		bool ___ok = ___res < 0;                                                           \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: expected an error, got %lld", (name),  \
				   ___res);                                                        \
		___ok;                                                                             \
	})

#define ASSERT__CMP(a, b, op, name)                                                                \
	({                                                                                         \
		__typeof__(a) ___a = (a);                                                          \
		__typeof__(b) ___b = (b);                                                          \
		bool ___ok = ___a op ___b;                                                         \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__,                                             \
				   "%s: expected %s " #op " %s: %lld (0x%llx) vs %lld (0x%llx)",   \
				   (name), #a, #b, (long long)___a, (unsigned long long)___a,      \
				   (long long)___b, (unsigned long long)___b);                     \
		___ok;                                                                             \
	})

#define ASSERT_EQ(a, b, name)  ASSERT__CMP(a, b, ==, name)
#define ASSERT_NEQ(a, b, name) ASSERT__CMP(a, b, !=, name)
#define ASSERT_LT(a, b, name)  ASSERT__CMP(a, b, <, name)
#define ASSERT_LE(a, b, name)  ASSERT__CMP(a, b, <=, name)
#define ASSERT_GT(a, b, name)  ASSERT__CMP(a, b, >, name)
#define ASSERT_GE(a, b, name)  ASSERT__CMP(a, b, >=, name)

#define ASSERT_STREQ(a, b, name)                                                                   \
	({                                                                                         \
		const char *___a = (a), *___b = (b);                                               \
		bool ___ok = ___a && ___b && !strcmp(___a, ___b);                                  \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: expected \"%s\" == \"%s\"", (name),    \
				   ___a ? ___a : "(null)", ___b ? ___b : "(null)");                \
		___ok;                                                                             \
	})

#define ASSERT_HAS_SUBSTR(s, sub, name)                                                            \
	({                                                                                         \
		const char *___s = (s), *___sub = (sub);                                           \
		bool ___ok = ___s && strstr(___s, ___sub);                                         \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: \"%s\" does not contain \"%s\"",       \
				   (name), ___s ? ___s : "(null)", ___sub);                        \
		___ok;                                                                             \
	})

#define ASSERT_OK_PTR(p, name)                                                                     \
	({                                                                                         \
		const void *___p = (p);                                                            \
		bool ___ok = ___p != NULL;                                                         \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: unexpected NULL (%s)", (name),         \
				   xg_test_errmsg());                                              \
		___ok;                                                                             \
	})

#define ASSERT_NULL(p, name)                                                                       \
	({                                                                                         \
		const void *___p = (p);                                                            \
		bool ___ok = ___p == NULL;                                                         \
		if (!___ok)                                                                        \
			test__fail(__FILE__, __LINE__, "%s: expected NULL", (name));               \
		___ok;                                                                             \
	})

/* The library's last error message (util/err.h), for failure reports. */
const char *xg_test_errmsg(void);

#endif /* XG_TESTS_UNIT_TEST_H */
