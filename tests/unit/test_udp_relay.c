/* test_udp_relay: the server's UDP relay (server/udp_relay.c) and two
 * client paths over it (p2p/relay_path.c) on a real loop over 127.0.0.1:
 * datagrams both ways, re-binding after the source port changed (a small
 * "NAT" forwarder in the middle), strangers dropped, and every bound hit
 * (allocations in total and per user, the token bucket, idle expiry, size). */
#include <stdlib.h>
#include <uv.h>

#include "net/addr.h"
#include "p2p/relay_path.h"
#include "server/udp_relay.h"
#include "testlib.h"

#define WATCHDOG_MS 5000

static uv_loop_t loop;
static uv_timer_t watchdog;
static bool timed_out;

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    timed_out = true;
}

/* Runs the loop until *v >= want or WATCHDOG_MS passed. */
static bool run_until(const uint64_t *v, uint64_t want)
{
    timed_out = false;
    uv_timer_start(&watchdog, on_watchdog, WATCHDOG_MS, 0);
    while (*v < want && !timed_out)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&watchdog);
    return *v >= want;
}

/* Runs the loop for ms (to see that nothing more happens). */
static void run_for(uint64_t ms)
{
    timed_out = false;
    uv_timer_start(&watchdog, on_watchdog, ms, 0);
    while (!timed_out)
        uv_run(&loop, UV_RUN_ONCE);
}

/* ---- one client end: a relay path and what its callbacks saw ------------ */

typedef struct end {
    dgram_path_t *p;
    uint64_t ready, ready_ok, got, got_bytes, down, closed;
    char down_reason[64];
} end_t;

static void on_ready(dgram_path_t *p, int status, void *arg)
{
    end_t *e = arg;
    (void)p;
    e->ready++;
    e->ready_ok += status == 0;
}

static void on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg)
{
    end_t *e = arg;
    (void)p;
    /* Each test datagram says its own length in bytes 1..2. */
    if (n >= 3 && (size_t)(d[1] << 8 | d[2]) == n) e->got++;
    e->got_bytes += n;
}

static void on_down(dgram_path_t *p, const char *reason, void *arg)
{
    end_t *e = arg;
    (void)p;
    e->down++;
    snprintf(e->down_reason, sizeof e->down_reason, "%s", reason);
}

static void on_closed(dgram_path_t *p, void *arg)
{
    (void)p;
    ((end_t *)arg)->closed++;
}

static relay_path_cfg_t side_cfg(const udp_relay_t *r, const udp_relay_alloc_t *a, int side)
{
    relay_path_cfg_t c = {.alloc_id = a->id, .side = (uint8_t)side};
    udp_relay_addr(r, &c.relay);
    memcpy(c.key, a->key[side], RELAY_KEY_LEN);
    return c;
}

static void open_end(end_t *e, const relay_path_cfg_t *c)
{
    memset(e, 0, sizeof *e);
    CHECK_EQ_INT(relay_path_open(&loop, c, on_ready, e, &e->p), 0);
    e->p->on_recv = on_recv;
    e->p->on_down = on_down;
    e->p->arg = e;
}

static void close_end(end_t *e)
{
    e->p->ops->close(e->p, on_closed, e);
    CHECK(run_until(&e->closed, 1));
}

static int send_sized(end_t *e, size_t n)
{
    uint8_t buf[RELAY_WIRE_DGRAM_MAX + 8];
    memset(buf, 0x5a, sizeof buf);
    buf[0] = 0x40; /* a QUIC short header's first byte */
    buf[1] = (uint8_t)(n >> 8);
    buf[2] = (uint8_t)n;
    return dgram_path_send(e->p, buf, n);
}

/* ---- the relay ---------------------------------------------------------- */

static udp_relay_t *start_relay(const udp_relay_cfg_t *extra)
{
    udp_relay_cfg_t c = extra ? *extra : (udp_relay_cfg_t){0};
    c.addr = "127.0.0.1";
    c.port = 0;
    udp_relay_t *r = udp_relay_create(&loop);
    CHECK(r != NULL);
    CHECK_EQ_INT(udp_relay_start(r, &c), 0);
    return r;
}

static void stop_relay(udp_relay_t *r)
{
    udp_relay_stop(r);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static const udp_relay_pair_t pair = {.user = "alice", .proxy = "ssh"};

/* Both paths bound; pair allocated. */
static void open_pair(udp_relay_t *r, udp_relay_alloc_t *a, end_t *e0, end_t *e1)
{
    CHECK_EQ_INT(udp_relay_alloc(r, &pair, a), 0);
    relay_path_cfg_t c0 = side_cfg(r, a, 0), c1 = side_cfg(r, a, 1);
    open_end(e0, &c0);
    open_end(e1, &c1);
    CHECK(run_until(&e0->ready_ok, 1));
    CHECK(run_until(&e1->ready_ok, 1));
}

/* ---- tests -------------------------------------------------------------- */

static void test_both_ways(void)
{
    udp_relay_t *r = start_relay(NULL);
    udp_relay_alloc_t a;
    end_t e0, e1;
    open_pair(r, &a, &e0, &e1);
    CHECK_EQ_STR(e0.p->ops->kind, "relay");
    CHECK_EQ_INT(e0.p->max_payload, RELAY_WIRE_DGRAM_MAX);
    uint64_t bytes = 0;
    for (int i = 0; i < 50; i++) {
        size_t n = 3 + (size_t)(i * 29) % (RELAY_WIRE_DGRAM_MAX - 2);
        CHECK_EQ_INT(send_sized(&e0, n), 0);
        CHECK_EQ_INT(send_sized(&e1, n), 0);
        bytes += n;
    }
    CHECK_EQ_INT(send_sized(&e0, RELAY_WIRE_DGRAM_MAX), 0);
    CHECK(run_until(&e1.got, 51));
    CHECK(run_until(&e0.got, 50));
    CHECK(e0.got_bytes == bytes && e1.got_bytes == bytes + RELAY_WIRE_DGRAM_MAX);
    CHECK_EQ_INT(udp_relay_stats(r)->forwarded, 101);
    CHECK_EQ_INT(udp_relay_stats(r)->binds, 2);
    CHECK_EQ_INT(send_sized(&e0, RELAY_WIRE_DGRAM_MAX + 1), UV_EINVAL); /* max_payload */
    uint8_t stun_like[20] = {0x00, 0x01};
    CHECK_EQ_INT(dgram_path_send(e0.p, stun_like, sizeof stun_like), UV_EINVAL); /* not data */
    close_end(&e0);
    close_end(&e1);
    stop_relay(r);
    udp_relay_destroy(r);
}

/* ---- a NAT in the middle: the path talks to it, it talks to the relay
 * from an outer socket that the test can swap (a mapping that changed). */

typedef struct nat {
    uv_udp_t inner, outer[2];
    int cur;
    struct sockaddr_storage client, relay;
    bool have_client;
    bool blackhole; /* drop everything from the client */
} nat_t;

static uint8_t nat_buf[2048];

static void nat_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)h;
    (void)s;
    *b = uv_buf_init((char *)nat_buf, sizeof nat_buf);
}

static void nat_in(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                   unsigned fl)
{
    nat_t *t = h->data;
    (void)fl;
    if (n <= 0 || !from || t->blackhole) return;
    memcpy(&t->client, from, sizeof(struct sockaddr_in));
    t->have_client = true;
    uv_buf_t o = uv_buf_init(b->base, (unsigned)n);
    uv_udp_try_send(&t->outer[t->cur], &o, 1, (struct sockaddr *)&t->relay);
}

static void nat_out(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                    unsigned fl)
{
    nat_t *t = h->data;
    (void)fl;
    (void)from;
    if (n <= 0 || !t->have_client || h != &t->outer[t->cur]) return; /* old mapping: gone */
    uv_buf_t o = uv_buf_init(b->base, (unsigned)n);
    uv_udp_try_send(&t->inner, &o, 1, (struct sockaddr *)&t->client);
}

static void nat_bind(nat_t *t, uv_udp_t *h, uv_udp_recv_cb cb)
{
    struct sockaddr_storage any;
    addr_parse("127.0.0.1", 0, &any);
    uv_udp_init(&loop, h);
    h->data = t;
    CHECK_EQ_INT(uv_udp_bind(h, (struct sockaddr *)&any, 0), 0);
    uv_udp_recv_start(h, nat_alloc, cb);
}

static void nat_open(nat_t *t, const udp_relay_t *r)
{
    memset(t, 0, sizeof *t);
    udp_relay_addr(r, &t->relay);
    nat_bind(t, &t->inner, nat_in);
    nat_bind(t, &t->outer[0], nat_out);
    nat_bind(t, &t->outer[1], nat_out);
}

static void nat_close(nat_t *t)
{
    uv_close((uv_handle_t *)&t->inner, NULL);
    uv_close((uv_handle_t *)&t->outer[0], NULL);
    uv_close((uv_handle_t *)&t->outer[1], NULL);
}

static void test_rebind_after_port_change(void)
{
    udp_relay_t *r = start_relay(NULL);
    udp_relay_alloc_t a;
    CHECK_EQ_INT(udp_relay_alloc(r, &pair, &a), 0);
    nat_t nat;
    nat_open(&nat, r);
    relay_path_cfg_t c0 = side_cfg(r, &a, 0), c1 = side_cfg(r, &a, 1);
    int len = sizeof c0.relay;
    uv_udp_getsockname(&nat.inner, (struct sockaddr *)&c0.relay, &len); /* side 0 via the NAT */
    c0.keepalive_ms = 300;
    end_t e0, e1;
    open_end(&e0, &c0);
    open_end(&e1, &c1);
    CHECK(run_until(&e0.ready_ok, 1) && run_until(&e1.ready_ok, 1));
    CHECK_EQ_INT(send_sized(&e1, 100), 0);
    CHECK(run_until(&e0.got, 1));
    nat.cur = 1; /* the mapping moves to another port */
    const udp_relay_stats_t *st = udp_relay_stats(r);
    CHECK_EQ_INT(send_sized(&e0, 100), 0); /* from the new port: a stranger's */
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_STRANGER], 1));
    CHECK(run_until(&st->rebinds, 1)); /* the next keepalive moved side 0 */
    CHECK_EQ_INT(send_sized(&e1, 200), 0);
    CHECK_EQ_INT(send_sized(&e0, 300), 0);
    CHECK(run_until(&e0.got, 2));
    CHECK(run_until(&e1.got, 1));
    CHECK_EQ_INT(e0.down + e1.down, 0);
    close_end(&e0);
    close_end(&e1);
    nat_close(&nat);
    stop_relay(r);
    udp_relay_destroy(r);
}

/* BINDs that get no answer: ready(UV_ETIMEDOUT) at first; a keepalive
 * round without answer later: on_down("relay-timeout"). */
static void test_bind_timeouts(void)
{
    udp_relay_t *r = start_relay(NULL);
    udp_relay_alloc_t a;
    CHECK_EQ_INT(udp_relay_alloc(r, &pair, &a), 0);
    nat_t nat;
    nat_open(&nat, r);
    nat.blackhole = true;
    relay_path_cfg_t c0 = side_cfg(r, &a, 0);
    int len = sizeof c0.relay;
    uv_udp_getsockname(&nat.inner, (struct sockaddr *)&c0.relay, &len);
    c0.rto_ms = 10;
    c0.keepalive_ms = 50;
    end_t e0;
    open_end(&e0, &c0);
    CHECK(run_until(&e0.ready, 1));
    CHECK_EQ_INT(e0.ready_ok, 0);
    CHECK_EQ_INT(relay_path_stats(e0.p)->binds, RELAY_PATH_BIND_TRIES);
    CHECK_EQ_INT(send_sized(&e0, 10), UV_ENOTCONN);
    close_end(&e0);
    nat.blackhole = false;
    open_end(&e0, &c0);
    CHECK(run_until(&e0.ready_ok, 1));
    CHECK(run_until(&udp_relay_stats(r)->binds, 3)); /* a keepalive was answered */
    nat.blackhole = true;
    CHECK(run_until(&e0.down, 1));
    CHECK_EQ_STR(e0.down_reason, "relay-timeout");
    close_end(&e0);
    nat_close(&nat);
    stop_relay(r);
    udp_relay_destroy(r);
}

/* ---- strangers ---------------------------------------------------------- */

static void stranger_send(uv_udp_t *s, const udp_relay_t *r, const uint8_t *p, size_t n)
{
    struct sockaddr_storage to;
    udp_relay_addr(r, &to);
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    CHECK(uv_udp_try_send(s, &b, 1, (struct sockaddr *)&to) == (int)n);
}

static void test_strangers_dropped(void)
{
    udp_relay_t *r = start_relay(NULL);
    udp_relay_alloc_t a;
    end_t e0, e1;
    open_pair(r, &a, &e0, &e1);
    const udp_relay_stats_t *st = udp_relay_stats(r);
    uv_udp_t s;
    uv_udp_init(&loop, &s);
    uint8_t data[100] = {0x41}, msg[RELAY_WIRE_LEN], big[RELAY_WIRE_DGRAM_MAX + 1] = {0x41};
    stranger_send(&s, r, data, sizeof data); /* data from an unbound address */
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_STRANGER], 1));
    uint8_t wrong[RELAY_KEY_LEN] = {1};
    relay_msg_t m = {.type = RELAY_MSG_BIND, .side = 0, .alloc_id = a.id, .counter = 1000};
    relay_wire_encode(&m, wrong, msg); /* a BIND under a guessed key */
    stranger_send(&s, r, msg, sizeof msg);
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_BAD_MAC], 1));
    m.counter = 1; /* the right key, an old counter: a replayed BIND */
    relay_wire_encode(&m, a.key[0], msg);
    stranger_send(&s, r, msg, sizeof msg);
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_REPLAY], 1));
    m.alloc_id = a.id ^ (1ull << 40); /* no such allocation */
    relay_wire_encode(&m, a.key[0], msg);
    stranger_send(&s, r, msg, sizeof msg);
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_UNKNOWN], 1));
    msg[0] = RELAY_MSG_BOUND; /* a relay's message sent to the relay */
    stranger_send(&s, r, msg, sizeof msg);
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_MALFORMED], 1));
    stranger_send(&s, r, big, sizeof big);
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_OVERSIZED], 1));
    run_for(50);
    CHECK_EQ_INT(e0.got + e1.got, 0); /* nothing reached the pair */
    CHECK_EQ_INT(st->forwarded, 0);
    CHECK_EQ_INT(st->binds, 2);
    uv_close((uv_handle_t *)&s, NULL);
    close_end(&e0);
    close_end(&e1);
    stop_relay(r);
    udp_relay_destroy(r);
}

/* ---- bounds ------------------------------------------------------------- */

static void test_alloc_bounds(void)
{
    udp_relay_cfg_t c = {.max_allocs = 3, .max_per_user = 2};
    udp_relay_t *r = start_relay(&c);
    udp_relay_alloc_t a[4];
    udp_relay_pair_t bob = {.user = "bob"}, carol = {.user = "carol"};
    CHECK_EQ_INT(udp_relay_alloc(r, &bob, &a[0]), 0);
    CHECK_EQ_INT(udp_relay_alloc(r, &bob, &a[1]), 0);
    CHECK_EQ_INT(udp_relay_alloc(r, &bob, &a[2]), UV_EMFILE); /* per user */
    CHECK_EQ_INT(udp_relay_alloc(r, &carol, &a[2]), 0);
    CHECK_EQ_INT(udp_relay_alloc(r, &carol, &a[3]), UV_ENFILE); /* in total */
    CHECK_EQ_INT(udp_relay_count(r), 3);
    CHECK_EQ_INT(udp_relay_stats(r)->refused_user, 1);
    CHECK_EQ_INT(udp_relay_stats(r)->refused_total, 1);
    CHECK(a[0].id != a[1].id && memcmp(a[0].key[0], a[0].key[1], RELAY_KEY_LEN) != 0);
    /* the rendezvous reads a side's key back by id (the visitor's grant) */
    uint8_t k[RELAY_KEY_LEN];
    CHECK_EQ_INT(udp_relay_side_key(r, a[0].id, 0, k), 0);
    CHECK(memcmp(k, a[0].key[0], RELAY_KEY_LEN) == 0);
    CHECK_EQ_INT(udp_relay_side_key(r, a[0].id, 1, k), 0);
    CHECK(memcmp(k, a[0].key[1], RELAY_KEY_LEN) == 0);
    CHECK_EQ_INT(udp_relay_side_key(r, a[0].id, 2, k), -1);
    CHECK_EQ_INT(udp_relay_side_key(r, a[0].id ^ (1ull << 40), 0, k), -1); /* another id */
    udp_relay_free(r, a[0].id);
    udp_relay_free(r, a[0].id); /* gone: a no-op */
    CHECK_EQ_INT(udp_relay_side_key(r, a[0].id, 0, k), -1);
    CHECK_EQ_INT(udp_relay_count(r), 2);
    CHECK_EQ_INT(udp_relay_alloc(r, &bob, &a[3]), 0); /* the slot is free again */
    char longname[UDP_RELAY_USER_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    udp_relay_pair_t lng = {.user = longname};
    CHECK_EQ_INT(udp_relay_alloc(r, &lng, &a[0]), UV_EINVAL);
    stop_relay(r);
    udp_relay_destroy(r);
}

/* The bucket lets `burst` bytes through at once, then rate_bps. */
static void test_rate_bound(void)
{
    udp_relay_cfg_t c = {.rate_bps = 1000, .burst = 5000};
    udp_relay_t *r = start_relay(&c);
    udp_relay_alloc_t a;
    end_t e0, e1;
    open_pair(r, &a, &e0, &e1); /* two BINDs took 2 * (36 + 28) */
    const udp_relay_stats_t *st = udp_relay_stats(r);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(send_sized(&e0, 1000), 0);
    CHECK(run_until(&st->dropped[UDP_RELAY_DROP_RATE], 6));
    run_for(50);
    CHECK_EQ_INT(st->forwarded, 4); /* 4 * 1028 <= 5000 - 128 < 5 * 1028 */
    CHECK_EQ_INT(e1.got, 4);
    close_end(&e0);
    close_end(&e1);
    stop_relay(r);
    udp_relay_destroy(r);
}

static void test_idle_and_free_and_stop(void)
{
    udp_relay_cfg_t c = {.idle_ms = 200};
    udp_relay_t *r = start_relay(&c);
    udp_relay_alloc_t a;
    end_t e0, e1;
    open_pair(r, &a, &e0, &e1); /* keepalive 15 s: silence */
    CHECK(run_until(&e0.down, 1) && run_until(&e1.down, 1));
    CHECK_EQ_STR(e0.down_reason, "relay-closed:idle");
    CHECK_EQ_INT(udp_relay_stats(r)->expired, 1);
    CHECK_EQ_INT(udp_relay_count(r), 0);
    CHECK_EQ_INT(send_sized(&e0, 10), UV_ENOTCONN);
    close_end(&e0);
    close_end(&e1);
    stop_relay(r);
    udp_relay_destroy(r);

    r = start_relay(NULL);
    open_pair(r, &a, &e0, &e1);
    udp_relay_free(r, a.id); /* the rendezvous ends the pair */
    CHECK(run_until(&e0.down, 1) && run_until(&e1.down, 1));
    CHECK_EQ_STR(e1.down_reason, "relay-closed:freed");
    close_end(&e0);
    close_end(&e1);
    open_pair(r, &a, &e0, &e1);
    udp_relay_stop(r); /* the server stops */
    CHECK_EQ_INT(udp_relay_alloc(r, &pair, &a), UV_ENOTCONN);
    CHECK(run_until(&e0.down, 1) && run_until(&e1.down, 1));
    CHECK_EQ_STR(e0.down_reason, "relay-closed:server-stopping");
    close_end(&e0);
    close_end(&e1);
    udp_relay_destroy(r);
}

/* A side whose peer never bound: its data is dropped, counted. */
static void test_peer_unbound(void)
{
    udp_relay_t *r = start_relay(NULL);
    udp_relay_alloc_t a;
    CHECK_EQ_INT(udp_relay_alloc(r, &pair, &a), 0);
    relay_path_cfg_t c0 = side_cfg(r, &a, 0);
    end_t e0;
    open_end(&e0, &c0);
    CHECK(run_until(&e0.ready_ok, 1));
    CHECK_EQ_INT(send_sized(&e0, 50), 0);
    CHECK(run_until(&udp_relay_stats(r)->dropped[UDP_RELAY_DROP_PEER_UNBOUND], 1));
    close_end(&e0);
    stop_relay(r);
    udp_relay_destroy(r);
}

/* A grant without an address means the control connection's host. */
static void test_cfg_from_grant(void)
{
    relay_grant_t g = {.addr = "", .port = 7002, .alloc_id = 42, .side = 1, .key = {9}};
    struct sockaddr_storage server, want;
    relay_path_cfg_t c;
    addr_parse("203.0.113.10", 7000, &server);
    CHECK_EQ_INT(relay_path_cfg_from_grant(&g, (struct sockaddr *)&server, &c), 0);
    addr_parse("203.0.113.10", 7002, &want);
    CHECK(memcmp(&c.relay, &want, sizeof(struct sockaddr_in)) == 0);
    CHECK(c.alloc_id == 42 && c.side == 1 && c.key[0] == 9 && c.keepalive_ms == 0);
    snprintf(g.addr, sizeof g.addr, "2001:db8::7");
    CHECK_EQ_INT(relay_path_cfg_from_grant(&g, (struct sockaddr *)&server, &c), 0);
    CHECK_EQ_INT(c.relay.ss_family, AF_INET6);
    CHECK_EQ_INT(addr_port((struct sockaddr *)&c.relay), 7002);
}

int main(void)
{
    uv_loop_init(&loop);
    uv_timer_init(&loop, &watchdog);
    RUN(test_both_ways);
    RUN(test_rebind_after_port_change);
    RUN(test_bind_timeouts);
    RUN(test_strangers_dropped);
    RUN(test_alloc_bounds);
    RUN(test_rate_bound);
    RUN(test_idle_and_free_and_stop);
    RUN(test_peer_unbound);
    RUN(test_cfg_from_grant);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0); /* nothing left on the loop */
    return TEST_SUMMARY();
}
