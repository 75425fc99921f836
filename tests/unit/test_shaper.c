/* test_shaper: the bandwidth limit on a real loop (net/shaper.h through
 * relay.c). Socketpairs u<->a and b<->l; a relay joins a and b with a
 * shaper: what u writes reaches l no faster than the rate allows (beyond
 * the burst), two relays on one shaper share the rate, the other direction
 * has its own bucket, a relay closed while it waits leaves the loop dry,
 * stopping lifts the limit, and datagrams over the rate are refused
 * (shaper_admit). */
#include <sys/socket.h>

#include "net/relay.h"
#include "net/shaper.h"
#include "netlib.h"
#include "testlib.h"

#define RATE (1000 * 1000) /* bytes per second; burst 100 kB */

typedef struct lane {
    nl_end_t u, a, b, l;
    int done;
} lane_t;

static void pair(nl_end_t *x, nl_end_t *y)
{
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    x->c = conn_new(&nl_loop, &nl_cbs, x);
    y->c = conn_new(&nl_loop, &nl_cbs, y);
    CHECK_EQ_INT(conn_open_fd(x->c, sv[0]), 0);
    CHECK_EQ_INT(conn_open_fd(y->c, sv[1]), 0);
    conn_start(x->c);
    conn_start(y->c);
}

static void on_done(void *ctx, uint64_t a_to_b, uint64_t b_to_a)
{
    ((lane_t *)ctx)->done++;
}

static void lane_up(lane_t *ln, shaper_t *s)
{
    nl_end_init(&ln->u);
    nl_end_init(&ln->a);
    nl_end_init(&ln->b);
    nl_end_init(&ln->l);
    ln->done = 0;
    pair(&ln->u, &ln->a);
    pair(&ln->b, &ln->l);
    ln->l.discard = ln->u.discard = true;
    relay_meter_t m = {.shaper = s};
    CHECK(relay_start_metered(ln->a.c, ln->b.c, NULL, 0, on_done, ln, &m) != NULL);
}

static void lane_down(lane_t *ln)
{
    conn_close(ln->u.c);
    conn_close(ln->l.c);
    conn_close(ln->a.c); /* the relay closes the other */
    CHECK(nl_run_until(&ln->done, 1));
    CHECK(nl_run_until(&ln->u.closed, 1));
    CHECK(nl_run_until(&ln->l.closed, 1));
    nl_end_free(&ln->u);
    nl_end_free(&ln->a);
    nl_end_free(&ln->b);
    nl_end_free(&ln->l);
}

static uint8_t blob[400 * 1000];

static void send_all(nl_end_t *e, size_t n)
{
    CHECK(conn_write(e->c, blob, n) >= 0);
}

static uint64_t elapsed_since(uint64_t t0)
{
    uv_update_time(&nl_loop);
    return uv_now(&nl_loop) - t0;
}

/* 300 kB at 1 MB/s with a 100 kB burst: at least 200 ms. */
static void test_rate_one_way(void)
{
    lane_t ln;
    nl_setup();
    shaper_t *s = shaper_new(&nl_loop, RATE);
    lane_up(&ln, s);
    uint64_t t0 = uv_now(&nl_loop);
    send_all(&ln.u, 300 * 1000);
    CHECK(nl_run_until_len(&ln.l.got_len, 300 * 1000));
    uint64_t ms = elapsed_since(t0);
    CHECK(ms >= 190);
    CHECK(ms < 1500);
    /* The other direction has its own full bucket: 90 kB at once. */
    t0 = uv_now(&nl_loop);
    send_all(&ln.l, 90 * 1000);
    CHECK(nl_run_until_len(&ln.u.got_len, 90 * 1000));
    CHECK(elapsed_since(t0) < 150);
    lane_down(&ln);
    shaper_drop(s);
    CHECK_EQ_INT(nl_teardown(), 0);
}

/* Two relays on one shaper: 2 x 200 kB takes at least 300 ms. */
static void test_shared_by_relays(void)
{
    lane_t x, y;
    nl_setup();
    shaper_t *s = shaper_new(&nl_loop, RATE);
    lane_up(&x, s);
    lane_up(&y, s);
    shaper_drop(s); /* the relays hold it now */
    uint64_t t0 = uv_now(&nl_loop);
    send_all(&x.u, 200 * 1000);
    send_all(&y.u, 200 * 1000);
    CHECK(nl_run_until_len(&x.l.got_len, 200 * 1000));
    CHECK(nl_run_until_len(&y.l.got_len, 200 * 1000));
    CHECK(elapsed_since(t0) >= 290);
    lane_down(&x);
    lane_down(&y);
    CHECK_EQ_INT(nl_teardown(), 0);
}

/* Closed while paused on the shaper: its waiter goes, nothing runs late. */
static void test_close_while_waiting(void)
{
    lane_t ln;
    nl_setup();
    shaper_t *s = shaper_new(&nl_loop, 10 * 1000); /* 10 kB/s: it waits long */
    lane_up(&ln, s);
    shaper_drop(s);
    send_all(&ln.u, 100 * 1000);
    CHECK(nl_run_until_len(&ln.l.got_len, 4096));
    lane_down(&ln);
    CHECK(ln.l.got_len < 100 * 1000);
    CHECK_EQ_INT(nl_teardown(), 0);
}

/* The owner stops (retired proxy, process stopping): waiters go on
 * unlimited and the timer is closed at once, though the relay holds on. */
static void test_stop_lifts_limit(void)
{
    lane_t ln;
    nl_setup();
    shaper_t *s = shaper_new(&nl_loop, 10 * 1000);
    lane_up(&ln, s);
    send_all(&ln.u, 100 * 1000);
    CHECK(nl_run_until_len(&ln.l.got_len, 4096));
    CHECK(ln.l.got_len < 100 * 1000);
    shaper_stop(s);
    shaper_drop(s);
    CHECK(nl_run_until_len(&ln.l.got_len, 100 * 1000));
    CHECK(shaper_admit(s, 0, 1 << 20)); /* the relay's reference keeps it */
    lane_down(&ln);
    CHECK_EQ_INT(nl_teardown(), 0);
}

static void test_admit_drops(void)
{
    nl_setup();
    shaper_t *s = shaper_new(&nl_loop, RATE);
    int sent = 0;
    for (int i = 0; i < 200; i++)
        sent += shaper_admit(s, 0, 1200);
    CHECK(sent >= 83 && sent <= 90); /* the 100 kB burst, plus one in debt */
    CHECK(shaper_admit(s, 1, 1200)); /* the other direction is full */
    shaper_drop(s);
    CHECK_EQ_INT(nl_teardown(), 0);
}

int main(void)
{
    (void)nl_listen;
    (void)nl_dial;
    (void)nl_run_until_end;
    RUN(test_rate_one_way);
    RUN(test_shared_by_relays);
    RUN(test_close_while_waiting);
    RUN(test_stop_lifts_limit);
    RUN(test_admit_drops);
    return TEST_SUMMARY();
}
