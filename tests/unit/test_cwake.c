/* test_cwake: the on-demand wake decisions (client/cwake.c): the first
 * failure starts the wait and sends, resends every WAKE_RESEND_MS, the
 * timeout gives up, WOL_WAIT_MAX conns wait and the next is refused, and
 * the count comes back when conns stop waiting. The machine's interface is
 * "lo" (no broadcast): nothing leaves this host. */
#include "client/client_int.h"
#include "testlib.h"

static proxy_cfg_t cfg = {
    .name = "desk-ssh",
    .wake_on_lan = "desk",
    .wake_timeout = 30,
    .wake_mac = "52:54:00:00:00:01",
    .wake_interface = "lo",
};

static void test_wait_resend_timeout(void)
{
    cproxy_t p = {.cfg = &cfg};
    CHECK(cwake_enabled(&p));
    uint64_t since = 0;
    CHECK(cwake_failed(&p, 1000, &since, UV_ECONNREFUSED));
    CHECK_EQ_INT(since, 1000);
    CHECK_EQ_INT(p.wake_waiting, 1);
    CHECK_EQ_INT(p.wake_sent, 1000); /* sent at the first failure */
    CHECK(cwake_failed(&p, 2500, &since, UV_ECONNREFUSED));
    CHECK_EQ_INT(p.wake_sent, 1000); /* not again yet */
    CHECK(cwake_failed(&p, 1000 + WAKE_RESEND_MS, &since, UV_ETIMEDOUT));
    CHECK_EQ_INT(p.wake_sent, 1000 + WAKE_RESEND_MS);
    CHECK(cwake_failed(&p, 1000 + 29999, &since, UV_ECONNREFUSED));
    CHECK(!cwake_failed(&p, 1000 + 30000, &since, UV_ECONNREFUSED)); /* wakeTimeout */
    CHECK_EQ_INT(since, 0);
    CHECK_EQ_INT(p.wake_waiting, 0);
    cwake_cancel(&p, since); /* the conn's close after giving up: no double count */
    CHECK_EQ_INT(p.wake_waiting, 0);
}

static void test_up(void)
{
    cproxy_t p = {.cfg = &cfg};
    uint64_t since = 0;
    CHECK(cwake_failed(&p, 5, &since, UV_ECONNREFUSED));
    cwake_up(&p, 4005, since);
    CHECK_EQ_INT(p.wake_waiting, 0);
    CHECK_EQ_INT(p.wake_sent, 0); /* the next outage wakes at once */
    cwake_up(&p, 5000, 0);        /* never waited: nothing */
    CHECK_EQ_INT(p.wake_waiting, 0);
}

static void test_wait_max(void)
{
    cproxy_t p = {.cfg = &cfg};
    uint64_t since[WOL_WAIT_MAX + 1] = {0};
    for (int i = 0; i < WOL_WAIT_MAX; i++)
        CHECK(cwake_failed(&p, 100 + (uint64_t)i, &since[i], UV_ECONNREFUSED));
    CHECK_EQ_INT(p.wake_waiting, WOL_WAIT_MAX);
    CHECK(!cwake_failed(&p, 200, &since[WOL_WAIT_MAX], UV_ECONNREFUSED)); /* refused */
    CHECK_EQ_INT(since[WOL_WAIT_MAX], 0);
    CHECK_EQ_INT(p.wake_waiting, WOL_WAIT_MAX);
    cwake_cancel(&p, since[3]); /* one user leaves */
    CHECK_EQ_INT(p.wake_waiting, WOL_WAIT_MAX - 1);
    CHECK(cwake_failed(&p, 300, &since[WOL_WAIT_MAX], UV_ECONNREFUSED)); /* room again */
    CHECK_EQ_INT(p.wake_waiting, WOL_WAIT_MAX);
}

static void test_disabled(void)
{
    proxy_cfg_t plain = {.name = "web"};
    cproxy_t p = {.cfg = &plain};
    CHECK(!cwake_enabled(&p));
}

int main(void)
{
    RUN(test_wait_resend_timeout);
    RUN(test_up);
    RUN(test_wait_max);
    RUN(test_disabled);
    return TEST_SUMMARY();
}
