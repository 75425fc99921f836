/* test_stcp_hs: the secret proxies' handshake (proto/stcp_hs.h) between a
 * visitor and an owner in memory, with the test playing the relaying server:
 * success (same keys both sides, records after ACCEPT left to the caller),
 * wrong key, allowUsers (own user, "*", listed, refused), the server's ERROR,
 * a forged ACCEPT, malformed frames. */
#include <stdlib.h>

#include "proto/auth.h"
#include "proto/msg.h"
#include "proto/stcp_hs.h"
#include "testlib.h"

typedef struct pipe_buf {
    uint8_t b[4096];
    size_t n;
} pipe_buf_t;

static int to_pipe(void *ctx, const uint8_t *p, size_t n)
{
    pipe_buf_t *q = ctx;
    if (q->n + n > sizeof q->b) return -1;
    memcpy(q->b + q->n, p, n);
    q->n += n;
    return 0;
}

static void put_frame(pipe_buf_t *q, uint8_t type, json_t *o)
{
    size_t n;
    uint8_t *p = msg_encode(type, o, &n);
    json_decref(o);
    CHECK(p != NULL);
    if (p) to_pipe(q, p, n);
    free(p);
}

/* What the server writes to the owner after START_WORK. */
static void server_visitor(pipe_buf_t *to_owner, const char *user, const stcp_hs_t *v)
{
    char hex[2 * E2E_NONCE_LEN + 1];
    auth_hex(v->nonce_v, E2E_NONCE_LEN, hex);
    put_frame(to_owner, MSG_STCP_VISITOR, json_pack("{s:s,s:s}", "user", user, "nonce", hex));
}

/* Delivers q to hs (then empties q); returns the result, *used as fed. */
static int deliver(stcp_hs_t *hs, pipe_buf_t *q, pipe_buf_t *out, size_t *used)
{
    int r = stcp_hs_feed(hs, q->b, q->n, used, to_pipe, out);
    q->n = 0;
    return r;
}

typedef struct run {
    int v_result, o_result;
    stcp_hs_t v, o;
} run_t;

/* One whole exchange: visitor (user vu, key vk) to owner (user ou, key ok). */
static void exchange(run_t *r, const char *vu, const char *vk, const char *ou, const char *okey,
                     const char *const *allow, size_t n_allow)
{
    pipe_buf_t to_o = {0}, to_v = {0};
    size_t used;
    CHECK_EQ_INT(stcp_hs_visitor_init(&r->v, vk, "alice.db", vu), 0);
    CHECK_EQ_INT(stcp_hs_owner_init(&r->o, okey, "alice.db", ou, allow, n_allow), 0);
    server_visitor(&to_o, vu, &r->v);
    r->o_result = deliver(&r->o, &to_o, &to_v, &used); /* CHALLENGE or REFUSE */
    r->v_result = deliver(&r->v, &to_v, &to_o, &used); /* PROOF, or refused */
    if (r->o_result == STCP_HS_MORE) {
        r->o_result = deliver(&r->o, &to_o, &to_v, &used); /* ACCEPT or REFUSE */
        r->v_result = deliver(&r->v, &to_v, &to_o, &used);
    }
}

static void run_free(run_t *r)
{
    stcp_hs_free(&r->v);
    stcp_hs_free(&r->o);
}

static void test_success(void)
{
    run_t r;
    exchange(&r, "alice", "k3y", "alice", "k3y", NULL, 0);
    CHECK_EQ_INT(r.o_result, STCP_HS_DONE);
    CHECK_EQ_INT(r.v_result, STCP_HS_DONE);
    CHECK(memcmp(&r.v.keys, &r.o.keys, sizeof r.v.keys) == 0);
    CHECK(memcmp(r.v.nonce_o, r.o.nonce_o, E2E_NONCE_LEN) == 0);
    CHECK_EQ_STR(r.o.visitor_user, "alice");
    run_free(&r);
}

/* Bytes after ACCEPT in the same read are the first records: not consumed. */
static void test_rest_after_accept(void)
{
    stcp_hs_t v, o;
    pipe_buf_t to_o = {0}, to_v = {0};
    size_t used;
    CHECK_EQ_INT(stcp_hs_visitor_init(&v, "k", "p", "u"), 0);
    CHECK_EQ_INT(stcp_hs_owner_init(&o, "k", "p", "u", NULL, 0), 0);
    server_visitor(&to_o, "u", &v);
    CHECK_EQ_INT(deliver(&o, &to_o, &to_v, &used), STCP_HS_MORE);
    CHECK_EQ_INT(deliver(&v, &to_v, &to_o, &used), STCP_HS_MORE);
    CHECK_EQ_INT(deliver(&o, &to_o, &to_v, &used), STCP_HS_DONE);
    size_t hs_len = to_v.n;
    to_pipe(&to_v, (const uint8_t *)"RECORDS", 7);
    /* fed one byte at a time up to the ACCEPT, then the rest at once */
    for (size_t i = 0; i + 1 < hs_len; i++) {
        CHECK_EQ_INT(stcp_hs_feed(&v, to_v.b + i, 1, &used, to_pipe, &to_o), STCP_HS_MORE);
        CHECK_EQ_INT(used, 1);
    }
    CHECK_EQ_INT(stcp_hs_feed(&v, to_v.b + hs_len - 1, 8, &used, to_pipe, &to_o), STCP_HS_DONE);
    CHECK_EQ_INT(used, 1);
    CHECK(memcmp(&v.keys, &o.keys, sizeof v.keys) == 0);
    /* nothing more is taken once done */
    CHECK_EQ_INT(stcp_hs_feed(&v, to_v.b, 1, &used, to_pipe, &to_o), STCP_HS_BAD);
    stcp_hs_free(&v);
    stcp_hs_free(&o);
}

static void test_wrong_key(void)
{
    run_t r;
    exchange(&r, "alice", "guess", "alice", "k3y", NULL, 0);
    CHECK_EQ_INT(r.o_result, STCP_HS_REFUSED);
    CHECK_EQ_STR(r.o.reason, "wrong-key");
    CHECK_EQ_INT(r.v_result, STCP_HS_REFUSED);
    CHECK_EQ_STR(r.v.reason, "wrong-key");
    run_free(&r);
}

static void test_allow_users(void)
{
    static const char *const star[] = {"*"}, *const listed[] = {"carol", "bob"};
    run_t r;
    exchange(&r, "bob", "k", "alice", "k", NULL, 0); /* empty: own user only */
    CHECK_EQ_INT(r.o_result, STCP_HS_REFUSED);
    CHECK_EQ_STR(r.o.reason, "user-not-allowed");
    CHECK_EQ_INT(r.v_result, STCP_HS_REFUSED);
    CHECK_EQ_STR(r.v.reason, "user-not-allowed");
    run_free(&r);
    exchange(&r, "bob", "k", "alice", "k", star, 1);
    CHECK_EQ_INT(r.v_result, STCP_HS_DONE);
    run_free(&r);
    exchange(&r, "bob", "k", "alice", "k", listed, 2);
    CHECK_EQ_INT(r.v_result, STCP_HS_DONE);
    run_free(&r);
    exchange(&r, "dave", "k", "alice", "k", listed, 2);
    CHECK_EQ_INT(r.v_result, STCP_HS_REFUSED);
    run_free(&r);
    CHECK(stcp_user_allowed("", "", NULL, 0));
    CHECK(!stcp_user_allowed("x", "", NULL, 0));
}

/* The server's ERROR (no such proxy, owner offline) refuses the visitor;
 * a server forging ACCEPT cannot prove the key. */
static void test_server_error_and_forgery(void)
{
    stcp_hs_t v;
    pipe_buf_t to_v = {0}, to_o = {0};
    size_t used;
    CHECK_EQ_INT(stcp_hs_visitor_init(&v, "k", "p", "u"), 0);
    put_frame(&to_v, MSG_ERROR, json_pack("{s:s,s:s}", "code", "owner-offline", "message", "x"));
    CHECK_EQ_INT(deliver(&v, &to_v, &to_o, &used), STCP_HS_REFUSED);
    CHECK_EQ_STR(v.reason, "owner-offline");
    stcp_hs_free(&v);

    char hex[65];
    uint8_t zeros[32] = {0};
    auth_hex(zeros, 32, hex);
    CHECK_EQ_INT(stcp_hs_visitor_init(&v, "k", "p", "u"), 0);
    put_frame(&to_v, MSG_STCP_CHALLENGE, json_pack("{s:s}", "nonce", hex));
    CHECK_EQ_INT(deliver(&v, &to_v, &to_o, &used), STCP_HS_MORE);
    put_frame(&to_v, MSG_STCP_ACCEPT, json_pack("{s:s}", "proof", hex));
    CHECK_EQ_INT(deliver(&v, &to_v, &to_o, &used), STCP_HS_BAD);
    CHECK_EQ_STR(v.reason, "bad-owner-proof");
    stcp_hs_free(&v);
}

static void test_malformed(void)
{
    stcp_hs_t o;
    pipe_buf_t in = {0}, out = {0};
    size_t used;
    CHECK_EQ_INT(stcp_hs_owner_init(&o, "k", "p", "u", NULL, 0), 0);
    put_frame(&in, MSG_STCP_PROOF, json_pack("{s:s}", "proof", "00"));
    CHECK_EQ_INT(deliver(&o, &in, &out, &used), STCP_HS_BAD);
    CHECK_EQ_STR(o.reason, "unexpected-frame");
    stcp_hs_free(&o);
    CHECK_EQ_INT(stcp_hs_owner_init(&o, "k", "p", "u", NULL, 0), 0);
    put_frame(&in, MSG_STCP_VISITOR, json_pack("{s:s,s:s}", "user", "u", "nonce", "zz"));
    CHECK_EQ_INT(deliver(&o, &in, &out, &used), STCP_HS_BAD);
    CHECK_EQ_STR(o.reason, "bad-visitor");
    stcp_hs_free(&o);
    CHECK_EQ_INT(stcp_hs_owner_init(&o, "k", "p", "u", NULL, 0), 0);
    uint8_t huge[5] = {0xff, 0xff, 0xff, 0xff, MSG_STCP_VISITOR};
    CHECK_EQ_INT(stcp_hs_feed(&o, huge, 5, &used, to_pipe, &out), STCP_HS_BAD);
    stcp_hs_free(&o);
    CHECK_EQ_INT(out.n, 0); /* nothing was ever sent */
    CHECK(stcp_hs_visitor_init(&o, "", "p", "u") < 0);
}

/* transport.useCompression: the visitor asks in PROOF, the owner echoes in
 * ACCEPT when it can. `flip` changes the visitor's wish between its PROOF
 * and the ACCEPT, which plays an owner that ignores the field (an older
 * burrow) or a server that forged it. */
static void zexchange(run_t *r, bool want, bool can, bool flip)
{
    pipe_buf_t to_o = {0}, to_v = {0};
    size_t used;
    memset(r, 0, sizeof *r);
    CHECK_EQ_INT(stcp_hs_visitor_init(&r->v, "k", "alice.db", "alice"), 0);
    CHECK_EQ_INT(stcp_hs_owner_init(&r->o, "k", "alice.db", "alice", NULL, 0), 0);
    r->v.want_zstd = want;
    r->o.can_zstd = can;
    server_visitor(&to_o, "alice", &r->v);
    r->o_result = deliver(&r->o, &to_o, &to_v, &used);
    r->v_result = deliver(&r->v, &to_v, &to_o, &used); /* PROOF */
    r->o_result = deliver(&r->o, &to_o, &to_v, &used); /* ACCEPT or REFUSE */
    if (flip) r->v.want_zstd = !want;
    r->v_result = deliver(&r->v, &to_v, &to_o, &used);
}

static void test_compression(void)
{
    run_t r;
    zexchange(&r, true, true, false);
    CHECK_EQ_INT(r.o_result, STCP_HS_DONE);
    CHECK_EQ_INT(r.v_result, STCP_HS_DONE);
    CHECK(r.v.zstd && r.o.zstd);
    run_free(&r);
    zexchange(&r, false, true, false); /* not asked: plain */
    CHECK_EQ_INT(r.v_result, STCP_HS_DONE);
    CHECK(!r.v.zstd && !r.o.zstd);
    run_free(&r);
    zexchange(&r, true, false, false); /* the owner cannot: refused, said why */
    CHECK_EQ_INT(r.o_result, STCP_HS_REFUSED);
    CHECK_EQ_INT(r.v_result, STCP_HS_REFUSED);
    CHECK_EQ_STR(r.v.reason, "no-compression");
    run_free(&r);
    zexchange(&r, false, true, true); /* asked, no echo (an older owner) */
    CHECK_EQ_INT(r.o_result, STCP_HS_DONE);
    CHECK_EQ_INT(r.v_result, STCP_HS_REFUSED);
    CHECK_EQ_STR(r.v.reason, "no-compression");
    run_free(&r);
    zexchange(&r, true, true, true); /* an echo not asked for */
    CHECK_EQ_INT(r.v_result, STCP_HS_BAD);
    CHECK_EQ_STR(r.v.reason, "unasked-compression");
    run_free(&r);
}

int main(void)
{
    RUN(test_success);
    RUN(test_rest_after_accept);
    RUN(test_wrong_key);
    RUN(test_allow_users);
    RUN(test_server_error_and_forgery);
    RUN(test_malformed);
    RUN(test_compression);
    return TEST_SUMMARY();
}
