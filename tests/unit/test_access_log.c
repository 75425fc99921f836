/* test_access_log: the access log's per-second bound (access_log_admit):
 * ACCESS_LOG_MAX_PER_S lines a second, the rest counted and handed back as
 * the summary when the next second starts. */
#include "server/access_log.h"
#include "testlib.h"

static void test_bound(void)
{
    access_log_t a = {.on = true};
    uint64_t left = 99;
    uint64_t t0 = 5000;
    for (int i = 0; i < ACCESS_LOG_MAX_PER_S; i++)
        CHECK(access_log_admit(&a, t0 + (uint64_t)i % 1000, &left));
    CHECK_EQ_INT(left, 0);
    for (int i = 0; i < 1234; i++)
        CHECK(!access_log_admit(&a, t0 + 999, &left)); /* over the bound: counted */
    CHECK_EQ_INT(a.suppressed, 1234);
    CHECK(access_log_admit(&a, t0 + 1000, &left)); /* a new second */
    CHECK_EQ_INT(left, 1234);
    CHECK(access_log_admit(&a, t0 + 1001, &left));
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(a.written, 2);
}

/* A quiet stretch: nothing to summarize, the count starts again. */
static void test_quiet(void)
{
    access_log_t a = {.on = true};
    uint64_t left;
    CHECK(access_log_admit(&a, 100, &left));
    CHECK(access_log_admit(&a, 60000, &left));
    CHECK_EQ_INT(left, 0);
    CHECK_EQ_INT(a.written, 1);
}

int main(void)
{
    RUN(test_bound);
    RUN(test_quiet);
    return TEST_SUMMARY();
}
