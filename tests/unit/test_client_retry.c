/* test_client_retry: the schedule on which a client asks again for a proxy
 * the server refused: 2 s doubling, capped at PROXY_RETRY_MAX_MS. */
#include "client/client_int.h"
#include "testlib.h"

static void test_schedule(void)
{
    static const unsigned want[] = {2000, 4000, 8000, 16000, 32000, 60000, 60000};
    unsigned d = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        d = client_proxy_retry_delay(d);
        CHECK_EQ_INT(d, want[i]);
    }
    CHECK_EQ_INT(client_proxy_retry_delay(0), PROXY_RETRY_BASE_MS);
    CHECK_EQ_INT(client_proxy_retry_delay(PROXY_RETRY_MAX_MS), PROXY_RETRY_MAX_MS);
}

int main(void)
{
    RUN(test_schedule);
    return TEST_SUMMARY();
}
