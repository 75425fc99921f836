/* test_punch: two punch_t (visitor and owner) on one real loop over
 * 127.0.0.1 with burrow's own STUN service (server/stun_srv.h): both
 * gather, exchange candidate sets, punch, agree on one pair and carry a
 * datagram each way over the direct dgram_path_t; a third socket's forged
 * packets (no key) are counted and change nothing; a peer that never
 * answers ends in "timeout" within PUNCH_TIMEOUT_MS; every handle closes. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/addr.h"
#include "p2p/gather.h"
#include "p2p/punch.h"
#include "proto/auth.h"
#include "server/stun_srv.h"
#include "testlib.h"

static uv_loop_t loop;

typedef struct side {
    punch_t *p;
    cand_set_t self;
    int gathered, done, closed, got;
    punch_result_t res;
    uint8_t last[64];
    size_t last_len;
} side_t;

static side_t sides[2];

static void on_gathered(punch_t *p, const cand_set_t *self, void *arg)
{
    side_t *s = arg;
    (void)p;
    s->self = *self;
    s->gathered++;
}

static void on_path_recv(dgram_path_t *path, const uint8_t *d, size_t n, void *arg)
{
    side_t *s = arg;
    (void)path;
    s->got++;
    s->last_len = n < sizeof s->last ? n : sizeof s->last;
    memcpy(s->last, d, s->last_len);
}

static void on_done(punch_t *p, const punch_result_t *r, void *arg)
{
    side_t *s = arg;
    (void)p;
    s->res = *r;
    s->done++;
    if (r->path) {
        r->path->on_recv = on_path_recv;
        r->path->arg = s;
    }
}

static void on_closed(void *arg)
{
    ((side_t *)arg)->closed++;
}

static const punch_cbs_t cbs = {on_gathered, on_done};

/* Runs the loop until cond() or `ms` passed. */
static void run_until(bool (*cond)(void), uint64_t ms)
{
    uint64_t end = uv_now(&loop) + ms;
    while (!cond() && uv_now(&loop) < end)
        uv_run(&loop, UV_RUN_ONCE);
}

static bool both_gathered(void)
{
    return sides[0].gathered && sides[1].gathered;
}
static bool both_done(void)
{
    return sides[0].done && sides[1].done;
}
static bool one_gathered(void)
{
    return sides[0].gathered;
}
static bool one_done(void)
{
    return sides[0].done;
}
static bool both_got(void)
{
    return sides[0].got && sides[1].got;
}

static stun_srv_t *start_stun(struct sockaddr_storage *at)
{
    stun_srv_t *srv = stun_srv_create(&loop);
    stun_srv_cfg_t cfg = {.addr = "127.0.0.1", .port = 0, .alt_addr = ""};
    CHECK(srv && stun_srv_start(srv, &cfg) == 0);
    CHECK(stun_srv_slot_addr(srv, 0, at));
    return srv;
}

static void keys(punch_key_t *k)
{
    uint8_t nv[PUNCH_NONCE_LEN], no[PUNCH_NONCE_LEN];
    auth_random(nv, sizeof nv);
    auth_random(no, sizeof no);
    CHECK_EQ_INT(punch_derive("s3cret", nv, no, "alice.ssh", k), 0);
}

/* A stranger's socket sending well-formed punch packets under another key
 * (static: the handle must outlive the call until its close completes). */
static uv_udp_t stranger_sock;
static void forge(const struct sockaddr *to, const punch_key_t *right)
{
    struct sockaddr_in any;
    punch_key_t wrong;
    keys(&wrong);
    memcpy(wrong.pair_id, right->pair_id, PUNCH_ID_LEN); /* the id is on the wire */
    uv_udp_init(&loop, &stranger_sock);
    uv_ip4_addr("127.0.0.1", 0, &any);
    uv_udp_bind(&stranger_sock, (struct sockaddr *)&any, 0);
    for (int t = PUNCH_PROBE; t <= PUNCH_KEEPALIVE; t++) {
        punch_pkt_t pkt = {.type = (punch_type_t)t, .role = PUNCH_ROLE_OWNER};
        uint8_t b[PUNCH_PKT_LEN];
        punch_pkt_encode(&wrong, &pkt, b);
        uv_buf_t ub = uv_buf_init((char *)b, sizeof b);
        CHECK(uv_udp_try_send(&stranger_sock, &ub, 1, to) == PUNCH_PKT_LEN);
    }
    uv_close((uv_handle_t *)&stranger_sock, NULL);
}

static void test_pair(void)
{
    struct sockaddr_storage stun;
    memset(sides, 0, sizeof sides);
    stun_srv_t *srv = start_stun(&stun);
    CHECK_EQ_INT(punch_new(&loop, PUNCH_ROLE_VISITOR, (struct sockaddr *)&stun, &cbs, &sides[0],
                           &sides[0].p),
                 0);
    CHECK_EQ_INT(
        punch_new(&loop, PUNCH_ROLE_OWNER, (struct sockaddr *)&stun, &cbs, &sides[1], &sides[1].p),
        0);
    uint64_t t0 = uv_now(&loop);
    run_until(both_gathered, 3000);
    CHECK(both_gathered());
    CHECK(uv_now(&loop) - t0 < GATHER_MS); /* plain STUN answers at once */
    /* the srflx address STUN saw is 127.0.0.1 and the socket's port */
    const cand_t *sf = cand_find(&sides[0].self, CAND_SRFLX);
    CHECK(sf != NULL);
    if (sf) CHECK_EQ_INT(addr_port((struct sockaddr *)&sf->addr), punch_port(sides[0].p));
    CHECK_EQ_INT(sides[0].self.nat, CAND_NAT_UNKNOWN); /* no OTHER-ADDRESS */

    punch_key_t k;
    keys(&k);
    /* a stranger gets in first: refused, counted, no path */
    forge((struct sockaddr *)&sf->addr, &k);
    CHECK_EQ_INT(punch_start(sides[1].p, &k, &sides[0].self), 0);
    CHECK_EQ_INT(punch_start(sides[0].p, &k, &sides[1].self), 0);
    CHECK_EQ_INT(punch_start(sides[0].p, &k, &sides[1].self), UV_EINVAL); /* once */
    run_until(both_done, PUNCH_TIMEOUT_MS + 1000);
    CHECK(both_done());
    CHECK(sides[0].res.path && sides[1].res.path);
    CHECK(sides[0].res.dropped >= 1); /* the forged ones that reached it after the key */
    if (sides[0].res.path && sides[1].res.path) {
        dgram_path_t *a = sides[0].res.path, *b = sides[1].res.path;
        CHECK_EQ_STR(a->ops->kind, "direct");
        CHECK(a->max_payload >= 1200);
        /* one pair: each side's remote is the other's local */
        CHECK_EQ_INT(addr_port((struct sockaddr *)&a->remote),
                     addr_port((struct sockaddr *)&b->local));
        CHECK_EQ_INT(addr_port((struct sockaddr *)&b->remote),
                     addr_port((struct sockaddr *)&a->local));
        CHECK(sides[0].res.took_ms < 1000);
        CHECK(sides[0].res.via != NULL);
        CHECK_EQ_INT(dgram_path_send(a, (const uint8_t *)"\x40hello", 6), 0);
        CHECK_EQ_INT(dgram_path_send(b, (const uint8_t *)"\x40world", 6), 0);
        run_until(both_got, 2000);
        CHECK_EQ_INT(sides[1].got, 1);
        CHECK(sides[1].last_len == 6 && memcmp(sides[1].last, "\x40hello", 6) == 0);
        CHECK_EQ_INT(sides[0].got, 1);
    }
    punch_close(sides[0].p, on_closed, &sides[0]);
    punch_close(sides[1].p, on_closed, &sides[1]);
    stun_srv_stop(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(sides[0].closed, 1);
    CHECK_EQ_INT(sides[1].closed, 1);
    stun_srv_destroy(srv);
}

/* The peer's candidates lead nowhere: "timeout", bounded in time. */
static void test_timeout(void)
{
    struct sockaddr_storage stun, nowhere;
    memset(sides, 0, sizeof sides);
    stun_srv_t *srv = start_stun(&stun);
    CHECK_EQ_INT(punch_new(&loop, PUNCH_ROLE_VISITOR, (struct sockaddr *)&stun, &cbs, &sides[0],
                           &sides[0].p),
                 0);
    run_until(one_done, 0);
    while (!sides[0].gathered)
        uv_run(&loop, UV_RUN_ONCE);
    cand_set_t peer = {.nat = CAND_NAT_EASY};
    addr_parse_text("127.0.0.1:9", &nowhere); /* discard: nobody answers */
    cand_add(&peer, CAND_SRFLX, (struct sockaddr *)&nowhere);
    punch_key_t k;
    keys(&k);
    uint64_t t0 = uv_now(&loop);
    CHECK_EQ_INT(punch_start(sides[0].p, &k, &peer), 0);
    run_until(one_done, PUNCH_TIMEOUT_MS + 2000);
    CHECK_EQ_INT(sides[0].done, 1);
    CHECK(sides[0].res.path == NULL);
    CHECK_EQ_STR(sides[0].res.reason, "timeout");
    uint64_t took = uv_now(&loop) - t0;
    CHECK(took >= PUNCH_TIMEOUT_MS && took < PUNCH_TIMEOUT_MS + 500);
    /* probes every PUNCH_PROBE_EVERY_MS to the one candidate, no spray (peer easy) */
    CHECK(sides[0].res.probes <= PUNCH_TIMEOUT_MS / PUNCH_PROBE_EVERY_MS + 2);
    punch_close(sides[0].p, on_closed, &sides[0]);
    stun_srv_stop(srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(sides[0].closed, 1);
    stun_srv_destroy(srv);
}

/* A hard peer: the spray is bounded by PUNCH_SPRAY_MAX; hard x hard gives up early. */
static void test_bounds(void)
{
    struct sockaddr_storage stun, nowhere;
    for (int hard_self = 0; hard_self < 2; hard_self++) {
        memset(sides, 0, sizeof sides);
        stun_srv_t *srv = start_stun(&stun);
        CHECK_EQ_INT(punch_new(&loop, PUNCH_ROLE_VISITOR, (struct sockaddr *)&stun, &cbs, &sides[0],
                               &sides[0].p),
                     0);
        while (!sides[0].gathered)
            uv_run(&loop, UV_RUN_ONCE);
        cand_set_t peer = {.nat = CAND_NAT_HARD};
        addr_parse_text("127.0.0.1:9", &nowhere);
        cand_add(&peer, CAND_SRFLX, (struct sockaddr *)&nowhere);
        punch_key_t k;
        keys(&k);
        /* the test cannot make its own NAT hard: it tells punch so through the set */
        if (hard_self) punch_test_set_nat(sides[0].p, CAND_NAT_HARD);
        uint64_t t0 = uv_now(&loop);
        CHECK_EQ_INT(punch_start(sides[0].p, &k, &peer), 0);
        run_until(one_done, PUNCH_TIMEOUT_MS + 2000);
        uint64_t took = uv_now(&loop) - t0;
        CHECK(sides[0].res.path == NULL);
        if (hard_self) {
            CHECK_EQ_STR(sides[0].res.reason, "both-symmetric");
            CHECK(took < PUNCH_HARD_HARD_MS + 500);
        } else {
            CHECK_EQ_STR(sides[0].res.reason, "timeout");
            CHECK(sides[0].res.probes >= PUNCH_SPRAY_MAX);
            CHECK(sides[0].res.probes <=
                  PUNCH_SPRAY_MAX + PUNCH_TIMEOUT_MS / PUNCH_PROBE_EVERY_MS + 2);
        }
        punch_close(sides[0].p, on_closed, &sides[0]);
        stun_srv_stop(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        stun_srv_destroy(srv);
    }
}

/* A router mapping: gathering waits for it while the NAT is not known to
 * be easy (here: no OTHER-ADDRESS, "unknown"), at most GATHER_MS; the
 * mapping becomes a `mapped` candidate, and its port at the srflx address
 * another. Released without a mapping, gathering ends at once. */
static void test_mapping_hold(void)
{
    struct sockaddr_storage stun, ext;
    for (int give = 0; give < 3; give++) {
        memset(sides, 0, sizeof sides);
        stun_srv_t *srv = start_stun(&stun);
        CHECK_EQ_INT(punch_new(&loop, PUNCH_ROLE_OWNER, (struct sockaddr *)&stun, &cbs, &sides[0],
                               &sides[0].p),
                     0);
        punch_hold_gather(sides[0].p);
        uint64_t t0 = uv_now(&loop);
        run_until(one_gathered, 150);
        CHECK(!sides[0].gathered); /* STUN has answered by now: the hold keeps it open */
        addr_parse_text("198.51.100.9:5555", &ext);
        if (give == 1) CHECK_EQ_INT(punch_add_mapped(sides[0].p, (struct sockaddr *)&ext), 0);
        if (give == 2) punch_release_gather(sides[0].p);
        run_until(one_gathered, GATHER_MS + 500);
        uint64_t took = uv_now(&loop) - t0;
        CHECK(sides[0].gathered);
        if (give == 0) CHECK(took >= GATHER_MS - 20 && took < GATHER_MS + 200);
        if (give > 0) CHECK(took < GATHER_MS - 500);
        const cand_t *m = cand_find(&sides[0].self, CAND_MAPPED);
        if (give == 1) {
            CHECK(m != NULL);
            int mapped = 0;
            for (int i = 0; i < sides[0].self.n; i++)
                if (sides[0].self.c[i].type == CAND_MAPPED) {
                    mapped++;
                    CHECK_EQ_INT(addr_port((struct sockaddr *)&sides[0].self.c[i].addr), 5555);
                }
            CHECK_EQ_INT(mapped, 2); /* 198.51.100.9:5555 and 127.0.0.1:5555 */
        } else {
            CHECK(m == NULL);
        }
        CHECK_EQ_INT(punch_add_mapped(sides[0].p, (struct sockaddr *)&ext), -1); /* too late */
        punch_close(sides[0].p, on_closed, &sides[0]);
        stun_srv_stop(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        stun_srv_destroy(srv);
    }
}

int main(void)
{
    uv_loop_init(&loop);
    RUN(test_pair);
    RUN(test_timeout);
    RUN(test_bounds);
    RUN(test_mapping_hold);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    return TEST_SUMMARY();
}
