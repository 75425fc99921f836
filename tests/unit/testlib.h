/* testlib: a tiny assertion kit for burrow's unit tests.
 * Each test file has a main() that calls RUN(test_fn) for each case and ends
 * with `return TEST_SUMMARY();`, which prints "N passed, M failed". */
#ifndef BURROW_TESTLIB_H
#define BURROW_TESTLIB_H

#include <stdio.h>
#include <string.h>

static int tl_failed_checks, tl_passed, tl_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            tl_failed_checks++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long tl_a = (long long)(a), tl_b = (long long)(b);                                    \
        if (tl_a != tl_b) {                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__,  \
                    #a, #b, tl_a, tl_b);                                                           \
            tl_failed_checks++;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *tl_a = (a), *tl_b = (b);                                                       \
        if (!tl_a || !tl_b || strcmp(tl_a, tl_b) != 0) {                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__,        \
                    __LINE__, #a, #b, tl_a ? tl_a : "(null)", tl_b ? tl_b : "(null)");             \
            tl_failed_checks++;                                                                    \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int tl_before = tl_failed_checks;                                                          \
        fn();                                                                                      \
        if (tl_failed_checks == tl_before) {                                                       \
            tl_passed++;                                                                           \
        } else {                                                                                   \
            tl_failed++;                                                                           \
            fprintf(stderr, "FAIL %s\n", #fn);                                                     \
        }                                                                                          \
    } while (0)

#define TEST_SUMMARY() (printf("%d passed, %d failed\n", tl_passed, tl_failed), tl_failed ? 1 : 0)

#endif
