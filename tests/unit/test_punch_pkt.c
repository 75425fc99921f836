/* test_punch_pkt: xtcp's pure parts: the rendezvous proofs, the pair key
 * and punch packets (p2p/punch_pkt.h; vectors computed independently with
 * Python's hmac and cryptography's HKDF), candidate sets and their JSON
 * (p2p/cand.h, bounds included), and gathering's verdicts (p2p/gather.h)
 * from STUN answers built here. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "p2p/cand.h"
#include "p2p/gather.h"
#include "p2p/punch_pkt.h"
#include "proto/auth.h"
#include "proto/stun.h"
#include "testlib.h"

static uint8_t nv[32], no[32];

static void nonces(void)
{
    for (int i = 0; i < 32; i++) {
        nv[i] = (uint8_t)i;
        no[i] = (uint8_t)(32 + i);
    }
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    auth_hex(p, n, out);
}

static void test_vectors(void)
{
    nonces();
    punch_key_t k;
    char h[200];
    CHECK_EQ_INT(punch_derive("s3cret", nv, no, "alice.ssh", &k), 0);
    hex(k.key, sizeof k.key, h);
    CHECK_EQ_STR(h, "4d3d937a026e524fe0b66d359a5fdf2886f1c38366609a64cedc4fb5cb345a07");
    hex(k.pair_id, sizeof k.pair_id, h);
    CHECK_EQ_STR(h, "d1a31acd3877fa9a");
    punch_pkt_t pkt = {.type = PUNCH_PROBE, .role = PUNCH_ROLE_VISITOR};
    for (int i = 0; i < 8; i++)
        pkt.token[i] = (uint8_t)i;
    uint8_t b[PUNCH_PKT_LEN];
    CHECK_EQ_INT(punch_pkt_encode(&k, &pkt, b), 0);
    hex(b, sizeof b, h);
    CHECK_EQ_STR(h, "3b42503101000000d1a31acd3877fa9a00010203040506070000000000000000"
                    "cee499db2828de86c28e0112a9a149ea");
    uint8_t proof[PUNCH_PROOF_LEN];
    CHECK_EQ_INT(
        punch_proof("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, NULL, NULL, proof), 0);
    hex(proof, sizeof proof, h);
    CHECK_EQ_STR(h, "cbcf41dd57c8606338f5667ec1a3bdefb3ca437be9de4d31b488296a0b6e0618");
    CHECK(punch_proof_ok("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, NULL, NULL, proof));
    CHECK(!punch_proof_ok("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "eve", nv, NULL, NULL, proof));
    CHECK(!punch_proof_ok("wrong", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, NULL, NULL, proof));
    CHECK(!punch_proof_ok("s3cret", PUNCH_ROLE_OWNER, "alice.ssh", "bob", nv, NULL, NULL, proof));
    CHECK(!punch_proof_ok("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, no, NULL, proof));
    /* a fingerprint is covered: another one (the server's own) fails */
    uint8_t fp[PUNCH_FP_LEN], fp2[PUNCH_FP_LEN];
    memset(fp, 0x11, sizeof fp);
    memset(fp2, 0x22, sizeof fp2);
    CHECK_EQ_INT(punch_proof("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, NULL, fp, proof),
                 0);
    CHECK(punch_proof_ok("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, NULL, fp, proof));
    CHECK(!punch_proof_ok("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, NULL, fp2, proof));
    CHECK(!punch_proof_ok("s3cret", PUNCH_ROLE_VISITOR, "alice.ssh", "bob", nv, NULL, NULL, proof));
    CHECK_EQ_INT(punch_derive("", nv, no, "p", &k), PUNCH_ERR_ARG);
}

/* Every way a datagram is refused, and that only the key's holder passes. */
static void test_parse(void)
{
    nonces();
    punch_key_t k, other, elsewhere;
    punch_derive("s3cret", nv, no, "alice.ssh", &k);
    punch_derive("guess", nv, no, "alice.ssh", &other);
    punch_derive("s3cret", no, nv, "alice.ssh", &elsewhere); /* another pair */
    punch_pkt_t pkt = {.type = PUNCH_ACK, .role = PUNCH_ROLE_OWNER}, got;
    memset(pkt.token, 7, sizeof pkt.token);
    memset(pkt.echo, 9, sizeof pkt.echo);
    uint8_t b[PUNCH_PKT_LEN + 1];
    punch_pkt_encode(&k, &pkt, b);
    CHECK(punch_pkt_is(b, PUNCH_PKT_LEN));
    CHECK_EQ_INT(punch_pkt_parse(&k, b, PUNCH_PKT_LEN, &got), PUNCH_PKT_LEN);
    CHECK(got.type == PUNCH_ACK && got.role == PUNCH_ROLE_OWNER);
    CHECK(memcmp(got.echo, pkt.echo, 8) == 0 && memcmp(got.token, pkt.token, 8) == 0);
    CHECK_EQ_INT(punch_pkt_parse(&other, b, PUNCH_PKT_LEN, &got), PUNCH_ERR_PAIR);
    CHECK_EQ_INT(punch_pkt_parse(&elsewhere, b, PUNCH_PKT_LEN, &got), PUNCH_ERR_PAIR);
    CHECK_EQ_INT(punch_pkt_parse(&k, b, PUNCH_PKT_LEN - 1, &got), PUNCH_ERR_SHORT);
    CHECK_EQ_INT(punch_pkt_parse(&k, b, PUNCH_PKT_LEN + 1, &got), PUNCH_ERR_SHORT);
    CHECK_EQ_INT(punch_pkt_parse(&k, b, 3, &got), PUNCH_ERR_MAGIC);
    /* a stranger who knows the pair id (it is on the wire) but not the key */
    punch_pkt_t forged = pkt;
    uint8_t f[PUNCH_PKT_LEN];
    punch_key_t stolen_id = other;
    memcpy(stolen_id.pair_id, k.pair_id, PUNCH_ID_LEN);
    punch_pkt_encode(&stolen_id, &forged, f);
    CHECK_EQ_INT(punch_pkt_parse(&k, f, PUNCH_PKT_LEN, &got), PUNCH_ERR_MAC);
    for (size_t i = 0; i < PUNCH_PKT_LEN; i++) { /* any flipped bit is refused */
        memcpy(f, b, PUNCH_PKT_LEN);
        f[i] ^= 0x01;
        CHECK(punch_pkt_parse(&k, f, PUNCH_PKT_LEN, &got) < 0);
    }
    memcpy(f, b, PUNCH_PKT_LEN);
    f[4] = 9;
    CHECK_EQ_INT(punch_pkt_parse(&k, f, PUNCH_PKT_LEN, &got), PUNCH_ERR_FORM);
    f[4] = 0;
    CHECK_EQ_INT(punch_pkt_parse(&k, f, PUNCH_PKT_LEN, &got), PUNCH_ERR_FORM);
    /* not to be confused with QUIC (fixed bit) or STUN */
    CHECK((b[0] & 0x40) == 0);
    CHECK(!stun_is_stun(b, PUNCH_PKT_LEN));
}

static struct sockaddr *sa(const char *text, struct sockaddr_storage *ss)
{
    CHECK_EQ_INT(addr_parse_text(text, ss), 0);
    return (struct sockaddr *)ss;
}

static void test_cand_json(void)
{
    cand_set_t s = {.nat = CAND_NAT_HARD, .tcp_port = 40001}, back;
    struct sockaddr_storage ss;
    CHECK_EQ_INT(cand_add(&s, CAND_HOST, sa("192.168.1.10:40000", &ss)), 1);
    CHECK_EQ_INT(cand_add(&s, CAND_HOST, sa("192.168.1.10:40000", &ss)), 0);
    CHECK_EQ_INT(cand_add(&s, CAND_SRFLX, sa("203.0.113.21:5001", &ss)), 1);
    CHECK_EQ_INT(cand_add(&s, CAND_MAPPED, sa("[2001:db8::1]:7", &ss)), 1);
    json_t *o = json_object();
    CHECK_EQ_INT(cand_to_json(&s, o), 0);
    char *js = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_EQ_STR(js, "{\"cands\":[\"host 192.168.1.10:40000\",\"srflx 203.0.113.21:5001\","
                     "\"mapped [2001:db8::1]:7\"],\"nat\":\"hard\",\"tcp\":40001}");
    free(js);
    CHECK_EQ_INT(cand_from_json(o, &back), 0);
    CHECK_EQ_INT(back.n, 3);
    CHECK_EQ_INT(back.nat, CAND_NAT_HARD);
    CHECK_EQ_INT(back.tcp_port, 40001);
    CHECK(cand_find(&back, CAND_SRFLX) != NULL && cand_find(&back, CAND_SRFLX)->type == CAND_SRFLX);
    CHECK(memcmp(&back.c[2].addr, &s.c[2].addr, sizeof(struct sockaddr_in6)) == 0);
    json_decref(o);
}

static int parse_text(const char *js)
{
    cand_set_t out;
    json_t *o = json_loads(js, 0, NULL);
    CHECK(o != NULL);
    int r = cand_from_json(o, &out);
    if (r != 0) CHECK_EQ_INT(out.n, 0);
    json_decref(o);
    return r;
}

static void test_cand_bounds(void)
{
    cand_set_t s = {0};
    struct sockaddr_storage ss;
    char text[64];
    for (int i = 0; i < CAND_MAX; i++) {
        snprintf(text, sizeof text, "10.0.0.%d:1", i + 1);
        CHECK_EQ_INT(cand_add(&s, CAND_HOST, sa(text, &ss)), 1);
    }
    CHECK_EQ_INT(cand_add(&s, CAND_HOST, sa("10.0.1.1:1", &ss)), -1); /* the bound */
    CHECK_EQ_INT(s.n, CAND_MAX);
    CHECK_EQ_INT(parse_text("{\"cands\":[],\"nat\":\"easy\"}"), 0);
    CHECK_EQ_INT(parse_text("{\"cands\":[\"host 1.2.3.4:5\",\"host 1.2.3.5:5\",\"host 1.2.3.6:5\","
                            "\"host 1.2.3.7:5\",\"host 1.2.3.8:5\",\"host 1.2.3.9:5\","
                            "\"host 1.2.3.10:5\",\"host 1.2.3.11:5\",\"host 1.2.3.12:5\"],"
                            "\"nat\":\"easy\"}"),
                 -1); /* nine */
    CHECK_EQ_INT(parse_text("{\"cands\":[\"relay 1.2.3.4:5\"],\"nat\":\"easy\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[\"host 1.2.3.4:0\"],\"nat\":\"easy\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[\"host 1.2.3.4\"],\"nat\":\"easy\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[\"host  1.2.3.4:5\"],\"nat\":\"easy\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[\"host example.com:5\"],\"nat\":\"easy\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[5],\"nat\":\"easy\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[\"host 1.2.3.4:5\"],\"nat\":\"cone\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[\"host 1.2.3.4:5\"]}"), -1);
    CHECK_EQ_INT(parse_text("{\"nat\":\"easy\"}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[],\"nat\":\"easy\",\"tcp\":65535}"), 0);
    CHECK_EQ_INT(parse_text("{\"cands\":[],\"nat\":\"easy\",\"tcp\":0}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[],\"nat\":\"easy\",\"tcp\":65536}"), -1);
    CHECK_EQ_INT(parse_text("{\"cands\":[],\"nat\":\"easy\",\"tcp\":\"80\"}"), -1);
    char longer[200];
    snprintf(longer, sizeof longer, "{\"cands\":[\"host %070d\"],\"nat\":\"easy\"}", 1);
    CHECK_EQ_INT(parse_text(longer), -1);
}

/* A success answer to gather's request i, mapping to `mapped`, naming `other`. */
static size_t answer(const gather_t *g, int i, const char *mapped, const char *other, uint8_t *out)
{
    uint8_t req[GATHER_REQ_MAX];
    stun_msg_t m;
    struct sockaddr_storage ms, os;
    int n = stun_build_binding_request(req, sizeof req, g->tid[i], 0, NULL);
    CHECK(n > 0 && stun_parse(req, (size_t)n, &m) >= 0);
    stun_binding_reply_t r = {sa(mapped, &ms), other ? sa(other, &os) : NULL, NULL, NULL};
    int len = stun_build_binding_success(out, 512, &m, &r);
    CHECK(len > 0);
    return (size_t)len;
}

static cand_nat_t run_gather(const char *m1, const char *other, const char *m2, int *sends)
{
    gather_t g;
    gather_send_t out[2];
    uint8_t seed[24], buf[512];
    struct sockaddr_storage stun, local;
    for (int i = 0; i < 24; i++)
        seed[i] = (uint8_t)(i * 7);
    gather_begin(&g, sa("203.0.113.10:7000", &stun), seed, 1000);
    *sends = gather_tick(&g, 1000, out);
    CHECK(gather_on_datagram(&g, buf, answer(&g, 0, m1, other, buf), 1010));
    CHECK(!gather_on_datagram(&g, buf, answer(&g, 0, m1, other, buf), 1010)); /* a duplicate */
    if (other) {
        int n = gather_tick(&g, 1020, out);
        CHECK_EQ_INT(n, 1);
        if (n == 1) CHECK_EQ_INT(addr_port(out[0].dst), 7001);
        *sends += n;
        CHECK(!gather_done(&g));
        if (m2) CHECK(gather_on_datagram(&g, buf, answer(&g, 1, m2, NULL, buf), 1030));
    }
    if (!m2 && other) {
        CHECK_EQ_INT(gather_tick(&g, 1000 + GATHER_MS - 1, out), 1); /* retransmitted */
        CHECK(!gather_done(&g));
        gather_tick(&g, 1000 + GATHER_MS, out);
    }
    CHECK(gather_done(&g));
    cand_set_t set = {0};
    gather_result(&g, sa("192.168.1.10:4000", &local), &set);
    return set.nat;
}

static void test_gather(void)
{
    int sends;
    CHECK_EQ_INT(run_gather("203.0.113.21:4000", "203.0.113.11:7001", "203.0.113.21:4000", &sends),
                 CAND_NAT_EASY);
    CHECK_EQ_INT(sends, 2);
    CHECK_EQ_INT(run_gather("203.0.113.21:4000", "203.0.113.11:7001", "203.0.113.21:4999", &sends),
                 CAND_NAT_HARD);
    CHECK_EQ_INT(run_gather("203.0.113.21:4000", NULL, NULL, &sends), CAND_NAT_UNKNOWN);
    CHECK_EQ_INT(sends, 1);
    CHECK_EQ_INT(run_gather("203.0.113.21:4000", "203.0.113.11:7001", NULL, &sends),
                 CAND_NAT_UNKNOWN);
    CHECK_EQ_INT(run_gather("192.168.1.10:4000", "203.0.113.11:7001", "192.168.1.10:4000", &sends),
                 CAND_NAT_OPEN);
    /* nothing answers: resent every GATHER_RETRY_MS, over at GATHER_MS */
    gather_t g;
    gather_send_t out[2];
    uint8_t seed[24] = {1};
    struct sockaddr_storage stun;
    gather_begin(&g, sa("203.0.113.10:7000", &stun), seed, 0);
    int total = 0;
    for (uint64_t t = 0; t <= GATHER_MS; t += 10)
        total += gather_tick(&g, t, out);
    CHECK_EQ_INT(total, GATHER_MS / GATHER_RETRY_MS);
    CHECK(gather_done(&g));
    cand_set_t set = {0};
    gather_result(&g, NULL, &set);
    CHECK_EQ_INT(set.n, 0);
    CHECK_EQ_INT(set.nat, CAND_NAT_UNKNOWN);
}

int main(void)
{
    RUN(test_vectors);
    RUN(test_parse);
    RUN(test_cand_json);
    RUN(test_cand_bounds);
    RUN(test_gather);
    return TEST_SUMMARY();
}
