/* test_tbucket: the token bucket (util/tbucket.h) on a made-up clock:
 * the burst, debt and its wait, the long-run rate whatever the read sizes,
 * idle time capped at the burst, a clock going back. */
#include "util/tbucket.h"

#include "testlib.h"

static void test_burst_then_wait(void)
{
    tbucket_t b;
    tbucket_init(&b, 1000000, 100000, 0); /* 1 MB/s, 100 kB burst */
    CHECK_EQ_INT(tbucket_wait_ms(&b, 0, 0), 0);
    tbucket_take(&b, 0, 100000);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 0, 0), 0); /* exactly empty: no debt */
    tbucket_take(&b, 0, 50000);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 0, 0), 50); /* 50 kB at 1 MB/s */
    CHECK_EQ_INT(tbucket_wait_ms(&b, 20, 0), 30);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 50, 0), 0);
}

static void test_default_burst(void)
{
    tbucket_t b;
    tbucket_init(&b, 1000000, 0, 0);
    CHECK_EQ_INT(b.burst, 100000 * 1000); /* rate / TBUCKET_BURST_DIV */
    tbucket_init(&b, 1000, 0, 0);
    CHECK_EQ_INT(b.burst, TBUCKET_BURST_MIN * 1000);
}

/* A reader that takes whatever it is allowed, in reads of `chunk`, for
 * 10 s: the bytes stay within burst + rate * 10 s (+ one read). */
static void run_for(size_t chunk)
{
    tbucket_t b;
    const uint64_t rate = 512 * 1024;
    tbucket_init(&b, rate, 0, 1000);
    uint64_t t = 1000, total = 0;
    while (t < 11000) {
        uint64_t w = tbucket_wait_ms(&b, t, 0);
        if (w) {
            t += w;
            continue;
        }
        tbucket_take(&b, t, chunk);
        total += chunk;
    }
    uint64_t ideal = rate * 10;
    CHECK(total >= ideal - ideal / 100);
    CHECK(total <= ideal + rate / TBUCKET_BURST_DIV + chunk);
}

static void test_long_run_rate(void)
{
    run_for(1);
    run_for(1500);
    run_for(64 * 1024);
    run_for(256 * 1024); /* reads larger than the burst: paid as debt */
}

static void test_idle_caps_at_burst(void)
{
    tbucket_t b;
    tbucket_init(&b, 1000, 5000, 0);
    tbucket_take(&b, 0, 5000);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 1000000000ull, 0), 0); /* a long idle: no overflow */
    CHECK_EQ_INT(b.tokens, 5000 * 1000);
    tbucket_init(&b, UINT32_MAX, 0, 5);
    CHECK_EQ_INT(tbucket_wait_ms(&b, UINT64_MAX / 2, 0), 0);
    CHECK(b.tokens == b.burst);
}

static void test_clock_back(void)
{
    tbucket_t b;
    tbucket_init(&b, 1000, 4096, 100);
    tbucket_take(&b, 100, 5096);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 50, 0), 1000); /* earlier time: no refill, no wrap */
    CHECK_EQ_INT(tbucket_wait_ms(&b, 600, 0), 500);
}

/* A smooth taker: only what is available, then a wait for more. */
static void test_avail_and_want(void)
{
    tbucket_t b;
    tbucket_init(&b, 1000000, 100000, 0);
    CHECK_EQ_INT(tbucket_avail(&b, 0), 100000);
    tbucket_take(&b, 0, 100000);
    CHECK_EQ_INT(tbucket_avail(&b, 0), 0);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 0, 50000), 50);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 0, 500000), 100); /* capped at the burst */
    CHECK_EQ_INT(tbucket_avail(&b, 30), 30000);
    tbucket_take(&b, 30, 40000); /* debt */
    CHECK_EQ_INT(tbucket_avail(&b, 30), 0);
    CHECK_EQ_INT(tbucket_wait_ms(&b, 30, 0), 10);
}

int main(void)
{
    RUN(test_burst_then_wait);
    RUN(test_default_burst);
    RUN(test_long_run_rate);
    RUN(test_idle_caps_at_burst);
    RUN(test_clock_back);
    RUN(test_avail_and_want);
    return TEST_SUMMARY();
}
