/* test_visitor_sudp: the schedule on which an sudp visitor re-opens its path
 * to the owner: 1 s doubling to 10 s, or to 60 s after the owner refused. */
#include "client/client_int.h"
#include "testlib.h"

static void test_schedule(void)
{
    static const unsigned lost[] = {1000, 2000, 4000, 8000, 10000, 10000};
    static const unsigned refused[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    unsigned d = 0;
    for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++) {
        d = vsudp_retry_delay(d, false);
        CHECK_EQ_INT(d, lost[i]);
    }
    d = 0;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        d = vsudp_retry_delay(d, true);
        CHECK_EQ_INT(d, refused[i]);
    }
    /* A refusal after a run of losses keeps doubling past the lower cap. */
    CHECK_EQ_INT(vsudp_retry_delay(VSUDP_RETRY_MAX_MS, true), 2 * VSUDP_RETRY_MAX_MS);
    /* ... and a loss after refusals falls back under it. */
    CHECK_EQ_INT(vsudp_retry_delay(VSUDP_REFUSED_MAX_MS, false), VSUDP_RETRY_MAX_MS);
    CHECK_EQ_INT(vsudp_retry_delay(0, true), VSUDP_RETRY_BASE_MS);
}

int main(void)
{
    RUN(test_schedule);
    return TEST_SUMMARY();
}
