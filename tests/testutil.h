/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* testutil.h - test cases and assertions for the C tests (kernel selftests style). */
#ifndef WARDEN_TESTUTIL_H
#define WARDEN_TESTUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * Each test case prints one line, "PASS: name" or "FAIL: name"; the runner
 * (tests/run.sh) counts them. Assertions return a bool so that
 * "if (!ASSERT_OK(err, "load")) goto out;" reads naturally.
 */
static int tu_case_failed, tu_cases_failed, tu_cases_passed;

#define TU_FAIL(name, fmt, ...)                                                  \
	({                                                                       \
		tu_case_failed = 1;                                              \
		printf("  %s:%d: %s: " fmt "\n", __FILE__, __LINE__, (name),     \
		       ##__VA_ARGS__);                                           \
		false;                                                           \
	})

#define ASSERT_TRUE(cond, name) ((cond) ? true : TU_FAIL(name, "expected true: %s", #cond))
#define ASSERT_FALSE(cond, name) (!(cond) ? true : TU_FAIL(name, "expected false: %s", #cond))

#define ASSERT_EQ(actual, expected, name)                                        \
	({                                                                       \
		long long __a = (long long)(actual), __e = (long long)(expected); \
		__a == __e ? true : TU_FAIL(name, "%s = %lld, expected %lld", #actual, __a, __e); \
	})

#define ASSERT_NEQ(actual, unexpected, name)                                     \
	({                                                                       \
		long long __a = (long long)(actual), __e = (long long)(unexpected); \
		__a != __e ? true : TU_FAIL(name, "%s = %lld, expected anything else", #actual, __a); \
	})

#define ASSERT_GE(actual, bound, name)                                           \
	({                                                                       \
		long long __a = (long long)(actual), __b = (long long)(bound);   \
		__a >= __b ? true : TU_FAIL(name, "%s = %lld, expected >= %lld", #actual, __a, __b); \
	})

#define ASSERT_LE(actual, bound, name)                                           \
	({                                                                       \
		long long __a = (long long)(actual), __b = (long long)(bound);   \
		__a <= __b ? true : TU_FAIL(name, "%s = %lld, expected <= %lld", #actual, __a, __b); \
	})

/* 0 is success, anything else (a -errno) a failure. */
#define ASSERT_OK(err, name)                                                     \
	({                                                                       \
		long long __r = (long long)(err);                                \
		__r == 0 ? true : TU_FAIL(name, "%s failed: %lld", #err, __r);   \
	})

#define ASSERT_ERR(err, name)                                                    \
	({                                                                       \
		long long __r = (long long)(err);                                \
		__r < 0 ? true : TU_FAIL(name, "%s = %lld, expected an error", #err, __r); \
	})

#define ASSERT_STREQ(actual, expected, name)                                     \
	({                                                                       \
		const char *__a = (actual), *__e = (expected);                   \
		(__a && __e && !strcmp(__a, __e)) ? true :                       \
			TU_FAIL(name, "%s = \"%s\", expected \"%s\"", #actual,   \
				__a ? __a : "(null)", __e ? __e : "(null)");     \
	})

#define ASSERT_NOT_NULL(ptr, name) ((ptr) ? true : TU_FAIL(name, "%s is NULL", #ptr))

static inline void tu_run(const char *name, void (*fn)(void))
{
	tu_case_failed = 0;
	fn();
	printf("%s: %s\n", tu_case_failed ? "FAIL" : "PASS", name);
	fflush(stdout);
	if (tu_case_failed)
		tu_cases_failed++;
	else
		tu_cases_passed++;
}

#define RUN_TEST(fn) tu_run(#fn, fn)

/* Report a whole case as skipped, with the reason (only where it truly cannot run). */
#define SKIP_TEST(name, why) printf("SKIP: %s: %s\n", (name), (why))

#define TEST_EXIT() (tu_cases_failed ? 1 : 0)

#endif
