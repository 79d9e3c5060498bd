/* A minimal unit-test framework: TEST(name) defines a case, CHECK* record failures, and
 * RUN_TESTS() in main runs every case and prints "<file>: N passed, N failed".
 * A case passes when none of its checks failed. */
#ifndef CRM_TEST_H
#define CRM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case {
	const char *name;
	test_fn fn;
};

static struct test_case test_cases[512];
static int test_count;
static int test_failed_checks;

#define TEST(id)                                                                           \
	static void test_##id(void);                                                       \
	__attribute__((constructor)) static void register_##id(void)                       \
	{                                                                                  \
		test_cases[test_count].name = #id;                                         \
		test_cases[test_count++].fn = test_##id;                                   \
	}                                                                                  \
	static void test_##id(void)

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                                    \
			test_failed_checks++;                                              \
		}                                                                          \
	} while (0)

#define CHECK_INT(a, b)                                                                    \
	do {                                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);                        \
		if (a_ != b_) {                                                            \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__,  \
				__LINE__, #a, a_, b_);                                     \
			test_failed_checks++;                                              \
		}                                                                          \
	} while (0)

#define CHECK_STR(a, b)                                                                    \
	do {                                                                               \
		const char *a_ = (a), *b_ = (b);                                           \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                   \
			fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n",        \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)",                \
				b_ ? b_ : "(null)");                                       \
			test_failed_checks++;                                              \
		}                                                                          \
	} while (0)

static inline int run_tests(const char *file)
{
	int passed = 0, failed = 0;
	for (int i = 0; i < test_count; i++) {
		int before = test_failed_checks;
		test_cases[i].fn();
		if (test_failed_checks == before) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL %s\n", test_cases[i].name);
		}
	}
	printf("%s: %d passed, %d failed\n", file, passed, failed);
	return failed ? 1 : 0;
}

#define RUN_TESTS() run_tests(__FILE__)

#endif
