/* test_client: the client's reconnect policy (client_retry_delay_ms in
 * src/client/client.c): probing right after a lost session, exponential
 * backoff otherwise and once the probe window has run out. */
#include "client/client_int.h"
#include "testlib.h"

#include <stdint.h>

#define NO_LOSS UINT64_MAX

static void test_probe_first_attempt_is_immediate(void)
{
    CHECK_EQ_INT(client_retry_delay_ms(0, 0, 0, 12345), 0);
    CHECK_EQ_INT(client_retry_delay_ms(0, 5000, 10, 99), 0);
}

/* Every later probe waits 1-2 s counted from the previous attempt's start. */
static void test_probe_interval(void)
{
    for (uint32_t rnd = 0; rnd < 5000; rnd += 7) {
        uint64_t d = client_retry_delay_ms(3, 10000, 0, rnd);
        CHECK(d >= CLIENT_PROBE_INTERVAL_MS && d <= 2 * CLIENT_PROBE_INTERVAL_MS);
    }
    /* An attempt that already took its 3 s connect deadline: go at once. */
    CHECK_EQ_INT(client_retry_delay_ms(3, 10000, CLIENT_PROBE_CONNECT_TIMEOUT_MS, 777), 0);
    /* One that failed after 400 ms (refused): the rest of the interval. */
    CHECK_EQ_INT(client_retry_delay_ms(3, 10000, 400, 0), CLIENT_PROBE_INTERVAL_MS - 400);
    /* Probing never backs off, however many attempts failed. */
    CHECK(client_retry_delay_ms(100, CLIENT_PROBE_WINDOW_MS - 1, 0, UINT32_MAX) <=
          2 * CLIENT_PROBE_INTERVAL_MS);
}

/* Never logged in, or probed for the whole window: exponential backoff,
 * half fixed and half random, capped. */
static void test_backoff(void)
{
    uint64_t since[] = {NO_LOSS, CLIENT_PROBE_WINDOW_MS, CLIENT_PROBE_WINDOW_MS * 10};
    for (int s = 0; s < 3; s++) {
        CHECK_EQ_INT(client_retry_delay_ms(0, since[s], 0, 0), CLIENT_BACKOFF_BASE_MS / 2);
        CHECK_EQ_INT(client_retry_delay_ms(1, since[s], 0, 0), CLIENT_BACKOFF_BASE_MS);
        CHECK_EQ_INT(client_retry_delay_ms(2, since[s], 0, 2000), 4000);
        CHECK_EQ_INT(client_retry_delay_ms(40, since[s], 0, 0), CLIENT_BACKOFF_MAX_MS / 2);
        CHECK_EQ_INT(client_retry_delay_ms(40, since[s], 0, CLIENT_BACKOFF_MAX_MS / 2),
                     CLIENT_BACKOFF_MAX_MS);
    }
}

int main(void)
{
    RUN(test_probe_first_attempt_is_immediate);
    RUN(test_probe_interval);
    RUN(test_backoff);
    return TEST_SUMMARY();
}
