/* test_work_pool: the work pool on a real uv_loop over socketpairs,
 * counting callbacks as libuv's own tests do. Requests are satisfied from
 * the pool, waiting requests are served in order as work conns arrive, the
 * pool target is kept, cancels (owner, full, expiry, pool closed) are delivered
 * from the loop and never from inside the call that caused them, and a
 * withdrawn request gets no callback. Every run ends with the loop dry. */
#include "server/work_pool.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/msg.h"
#include "testlib.h"

#define MAX_PEERS 8

static uv_loop_t loop;
static int peers[MAX_PEERS], n_peers;
static int n_ask, asked_total;
static int n_attach, n_cancel, last_reason;
static int in_call; /* inside a work_pool_* call made by the test */
static int reentrant;
static work_req_t *order[MAX_PEERS + 4];
static int n_order;
static conn_t *attached[MAX_PEERS];
static work_pool_t *close_on_ask; /* ask closes this pool (a failing control conn) */

static void ask(void *ctx, int count)
{
    (void)ctx;
    n_ask++;
    asked_total += count;
    if (close_on_ask) {
        work_pool_t *wp = close_on_ask;
        close_on_ask = NULL;
        work_pool_close(wp);
    }
}

static void on_attach(work_req_t *req, conn_t *work)
{
    attached[n_attach++] = work;
    order[n_order++] = req;
}

static void on_cancel(work_req_t *req, int reason)
{
    (void)req;
    if (in_call) reentrant++;
    n_cancel++;
    last_reason = reason;
}

static void setup(void)
{
    CHECK_EQ_INT(uv_loop_init(&loop), 0);
    n_peers = n_ask = asked_total = n_attach = n_cancel = n_order = reentrant = 0;
    last_reason = -1;
    close_on_ask = NULL;
}

/* A work conn over a socketpair; the other end stays with the test. */
static conn_t *work_conn(void)
{
    static const conn_cbs_t none = {0};
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    conn_t *c = conn_new(&loop, &none, NULL);
    CHECK(c != NULL);
    CHECK_EQ_INT(conn_open_fd(c, sv[0]), 0);
    conn_start(c);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    peers[n_peers++] = sv[1];
    return c;
}

/* The frame type the peer of work conn i received first, or -1. */
static int peer_frame_type(int i)
{
    uint8_t buf[1024];
    for (int turns = 0; turns < 100; turns++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        ssize_t n = read(peers[i], buf, sizeof buf);
        frame_t f;
        if (n > 0 && frame_decode(buf, (size_t)n, &f) > 0) return f.type;
    }
    return -1;
}

static void request(work_pool_t *wp, work_req_t *r, const void *owner)
{
    work_req_init(r, on_attach, on_cancel, NULL, "198.51.100.7:4000", "203.0.113.10:6000");
    r->proxy = "p";
    r->type = "tcp";
    r->owner = owner;
    in_call++;
    work_pool_request(wp, r);
    in_call--;
}

/* Closes what the test holds and runs the loop dry; the loop must close. */
static void teardown(void)
{
    for (int i = 0; i < n_attach; i++)
        conn_close(attached[i]);
    for (int i = 0; i < 1000 && uv_run(&loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    for (int i = 0; i < n_peers; i++)
        close(peers[i]);
}

static void test_from_pool_and_target_kept(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    work_pool_set_target(wp, 2); /* the client opens two unasked */
    work_pool_add(wp, work_conn());
    work_pool_add(wp, work_conn());
    CHECK_EQ_INT(work_pool_idle(wp), 2);
    CHECK_EQ_INT(n_ask, 0);
    work_req_t r;
    request(wp, &r, NULL);
    CHECK_EQ_INT(n_attach, 1); /* at once, from the pool */
    CHECK(order[0] == &r);
    CHECK(!work_req_pending(&r));
    CHECK_EQ_INT(work_pool_idle(wp), 1);
    CHECK_EQ_INT(asked_total, 1); /* the one taken is asked for again */
    /* The newest idle conn went out: its peer got START_WORK. */
    CHECK_EQ_INT(peer_frame_type(1), MSG_START_WORK);
    work_pool_close(wp);
    CHECK_EQ_INT(n_cancel, 0);
    teardown();
}

static void test_waiting_in_order(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    work_pool_set_target(wp, 0);
    work_req_t r[3];
    for (int i = 0; i < 3; i++)
        request(wp, &r[i], NULL);
    CHECK_EQ_INT(work_pool_waiting(wp), 3);
    CHECK_EQ_INT(asked_total, 3); /* one each, not more */
    CHECK_EQ_INT(n_attach, 0);
    for (int i = 0; i < 3; i++)
        work_pool_add(wp, work_conn());
    CHECK_EQ_INT(n_attach, 3);
    for (int i = 0; i < 3; i++)
        CHECK(order[i] == &r[i]);
    CHECK_EQ_INT(work_pool_waiting(wp), 0);
    CHECK_EQ_INT(work_pool_idle(wp), 0);
    work_pool_close(wp);
    teardown();
}

static void test_cancel_owner_from_loop(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    int proxy_a, proxy_b;
    work_req_t ra, rb;
    request(wp, &ra, &proxy_a);
    request(wp, &rb, &proxy_b);
    in_call++;
    work_pool_cancel_owner(wp, &proxy_a);
    in_call--;
    CHECK_EQ_INT(n_cancel, 0); /* not from inside the call */
    CHECK(work_req_pending(&ra));
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(n_cancel, 1);
    CHECK_EQ_INT(last_reason, WORK_CANCEL_PROXY);
    CHECK(!work_req_pending(&ra));
    CHECK_EQ_INT(work_pool_waiting(wp), 1);
    work_pool_add(wp, work_conn()); /* goes to rb */
    CHECK_EQ_INT(n_attach, 1);
    CHECK(order[0] == &rb);
    work_pool_close(wp);
    teardown();
    CHECK_EQ_INT(reentrant, 0);
}

static void test_full_cancels_later(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    static work_req_t r[MAX_WAITING_USERS + 1];
    for (int i = 0; i <= MAX_WAITING_USERS; i++)
        request(wp, &r[i], NULL);
    CHECK_EQ_INT(work_pool_waiting(wp), MAX_WAITING_USERS);
    CHECK_EQ_INT(n_cancel, 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(n_cancel, 1);
    CHECK_EQ_INT(last_reason, WORK_CANCEL_FULL);
    work_pool_close(wp); /* the rest: session ended */
    CHECK_EQ_INT(n_cancel, 1);
    teardown();
    CHECK_EQ_INT(n_cancel, MAX_WAITING_USERS + 1);
    CHECK_EQ_INT(last_reason, WORK_CANCEL_POOL_GONE);
    CHECK_EQ_INT(reentrant, 0);
}

static void test_withdraw(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    int owner;
    work_req_t waiting, cancelled;
    request(wp, &waiting, NULL);
    request(wp, &cancelled, &owner);
    work_pool_cancel_owner(wp, &owner); /* its cancel is on the way */
    work_pool_withdraw(&waiting);
    work_pool_withdraw(&cancelled);
    work_pool_withdraw(&cancelled); /* twice: a no-op */
    CHECK(!work_req_pending(&waiting) && !work_req_pending(&cancelled));
    uv_run(&loop, UV_RUN_NOWAIT);
    work_pool_add(wp, work_conn()); /* nobody waits: into the pool */
    CHECK_EQ_INT(work_pool_idle(wp), 1);
    work_pool_close(wp);
    teardown();
    CHECK_EQ_INT(n_attach, 0);
    CHECK_EQ_INT(n_cancel, 0);
}

/* The control conn fails while the pool asks: the session ends inside the
 * request; its cancel still comes from the loop. */
static void test_close_inside_ask(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    work_pool_set_target(wp, 0);
    close_on_ask = wp;
    work_req_t r;
    request(wp, &r, NULL);
    CHECK_EQ_INT(n_ask, 1);
    CHECK_EQ_INT(n_cancel, 0);
    CHECK(work_req_pending(&r));
    teardown();
    CHECK_EQ_INT(n_cancel, 1);
    CHECK_EQ_INT(last_reason, WORK_CANCEL_POOL_GONE);
    CHECK_EQ_INT(reentrant, 0);
}

/* A work conn whose START_WORK cannot be written is dropped; the request
 * takes the next one. */
static void test_broken_idle_conn(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    work_pool_set_target(wp, 1);
    conn_t *c = work_conn();
    work_pool_add(wp, c);
    close(peers[0]); /* the idle conn's peer goes away */
    peers[0] = open("/dev/null", O_RDONLY);
    for (int i = 0; i < 50 && work_pool_idle(wp) > 0; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(work_pool_idle(wp), 0); /* noticed by its read side */
    work_req_t r;
    request(wp, &r, NULL);
    CHECK_EQ_INT(n_attach, 0);
    work_pool_add(wp, work_conn());
    CHECK_EQ_INT(n_attach, 1);
    work_pool_close(wp);
    teardown();
}

static void on_tick(uv_timer_t *t)
{
    work_pool_t *wp = t->data;
    in_call++;
    work_pool_tick(wp);
    in_call--;
    uv_close((uv_handle_t *)t, NULL);
}

/* A request that waited longer than the pool's wait is cancelled by the
 * tick, and the cancel is reported on a later turn, not inside the tick. */
static void test_expiry(void)
{
    setup();
    work_pool_t *wp = work_pool_create(&loop, 4, "t", ask, NULL);
    work_pool_set_wait_ms(wp, 5);
    work_req_t r;
    request(wp, &r, NULL);
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    tick.data = wp;
    uv_timer_start(&tick, on_tick, 20, 0);
    for (int i = 0; i < 1000 && n_cancel == 0; i++)
        uv_run(&loop, UV_RUN_ONCE);
    CHECK_EQ_INT(n_cancel, 1);
    CHECK_EQ_INT(last_reason, WORK_CANCEL_EXPIRED);
    CHECK_EQ_INT(reentrant, 0);
    CHECK_EQ_INT(work_pool_waiting(wp), 0);
    work_pool_close(wp);
    teardown();
    CHECK_EQ_INT(n_cancel, 1);
}

int main(void)
{
    RUN(test_from_pool_and_target_kept);
    RUN(test_waiting_in_order);
    RUN(test_cancel_owner_from_loop);
    RUN(test_full_cancels_later);
    RUN(test_withdraw);
    RUN(test_close_inside_ask);
    RUN(test_broken_idle_conn);
    RUN(test_expiry);
    return TEST_SUMMARY();
}
