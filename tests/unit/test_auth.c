/* Unit tests for proto/auth: MACs depend on every input, the anti-replay
 * window accepts each sequence number once, hex round-trips. */
#include "proto/auth.h"
#include "testlib.h"

static const uint8_t ns[AUTH_NONCE_LEN] = {1, 2, 3};
static const uint8_t nc[AUTH_NONCE_LEN] = {9, 8, 7};

static void test_login_mac_binds_every_input(void)
{
    uint8_t a[AUTH_MAC_LEN], b[AUTH_MAC_LEN], bind[AUTH_BINDING_LEN] = {5};
    auth_login_mac("tok", ns, nc, "alice", NULL, 0, a);
    auth_login_mac("tok", ns, nc, "alice", NULL, 0, b);
    CHECK(auth_mac_equal(a, b)); /* deterministic */
    auth_login_mac("tok2", ns, nc, "alice", NULL, 0, b);
    CHECK(!auth_mac_equal(a, b)); /* token */
    auth_login_mac("tok", nc, nc, "alice", NULL, 0, b);
    CHECK(!auth_mac_equal(a, b)); /* server nonce: no replay across challenges */
    auth_login_mac("tok", ns, ns, "alice", NULL, 0, b);
    CHECK(!auth_mac_equal(a, b)); /* client nonce */
    auth_login_mac("tok", ns, nc, "bob", NULL, 0, b);
    CHECK(!auth_mac_equal(a, b)); /* user */
    auth_login_mac("tok", ns, nc, "alice", bind, sizeof bind, b);
    CHECK(!auth_mac_equal(a, b)); /* TLS channel binding */
}

static void test_empty_token_is_usable(void)
{
    uint8_t a[AUTH_MAC_LEN], zero[AUTH_MAC_LEN] = {0};
    auth_login_mac("", ns, nc, "", NULL, 0, a);
    CHECK(!auth_mac_equal(a, zero));
}

/* The work key depends on both nonces; a work MAC on key, run id and seq. */
static void test_work_mac_per_seq_and_key(void)
{
    uint8_t k1[AUTH_MAC_LEN], k2[AUTH_MAC_LEN], m1[AUTH_MAC_LEN], m2[AUTH_MAC_LEN];
    auth_work_key("tok", ns, nc, k1);
    auth_work_key("tok", nc, ns, k2);
    CHECK(!auth_mac_equal(k1, k2));
    auth_work_mac(k1, "run", 1, m1);
    auth_work_mac(k1, "run", 2, m2);
    CHECK(!auth_mac_equal(m1, m2));
    auth_work_mac(k2, "run", 1, m2);
    CHECK(!auth_mac_equal(m1, m2));
    auth_work_mac(k1, "rum", 1, m2);
    CHECK(!auth_mac_equal(m1, m2));
}

static void test_replay_window(void)
{
    replay_window_t w = {0};
    CHECK(!auth_replay_accept(&w, 0)); /* zero is never valid */
    CHECK(auth_replay_accept(&w, 1));
    CHECK(!auth_replay_accept(&w, 1)); /* replay */
    CHECK(auth_replay_accept(&w, 5));
    CHECK(auth_replay_accept(&w, 3)); /* late but inside the window */
    CHECK(!auth_replay_accept(&w, 3));
    CHECK(auth_replay_accept(&w, 100));
    CHECK(auth_replay_accept(&w, 2000));
    CHECK(!auth_replay_accept(&w, 2000 - REPLAY_WINDOW)); /* fell out of the window */
    CHECK(auth_replay_accept(&w, 2000 - REPLAY_WINDOW + 1));
    CHECK(!auth_replay_accept(&w, 2000 - REPLAY_WINDOW + 1));
    CHECK(!auth_replay_accept(&w, 2000));
    CHECK(auth_replay_accept(&w, 100000)); /* big jump clears the bitmap */
    CHECK(!auth_replay_accept(&w, 2000));
}

/* Out-of-order arrival across word boundaries: every one of a burst of
 * REPLAY_WINDOW sequence numbers, accepted in a scrambled order, exactly once. */
static void test_replay_window_burst_out_of_order(void)
{
    replay_window_t w = {0};
    int ok = 0, again = 0;
    for (uint64_t i = 0; i < REPLAY_WINDOW; i++) {
        uint64_t seq = 1 + (i * 389) % REPLAY_WINDOW; /* 389 is coprime to 1024 */
        ok += auth_replay_accept(&w, seq);
    }
    for (uint64_t seq = 1; seq <= REPLAY_WINDOW; seq++)
        again += auth_replay_accept(&w, seq);
    CHECK_EQ_INT(ok, REPLAY_WINDOW);
    CHECK_EQ_INT(again, 0);
}

/* Resuming a session needs its resume key: the run id alone, or the token
 * alone, proves nothing; a proof is bound to the new connection. */
static void test_resume_proof(void)
{
    static const uint8_t ns2[AUTH_NONCE_LEN] = {4, 4}, nc2[AUTH_NONCE_LEN] = {6, 6};
    uint8_t key[AUTH_MAC_LEN], other[AUTH_MAC_LEN], work[AUTH_MAC_LEN], mac[AUTH_MAC_LEN];
    uint8_t bind[AUTH_BINDING_LEN] = {7}, bind2[AUTH_BINDING_LEN] = {8};
    auth_resume_key("tok", ns, nc, key);
    auth_work_key("tok", ns, nc, work);
    CHECK(!auth_mac_equal(key, work)); /* a work key leaks nothing about it */
    auth_resume_mac(key, ns2, nc2, "run1", bind, sizeof bind, mac);
    CHECK(auth_resume_check(key, ns2, nc2, "run1", bind, sizeof bind, mac));
    /* Someone with the token but another login's key (its own session). */
    auth_resume_key("tok", ns2, nc2, other);
    CHECK(!auth_resume_check(other, ns2, nc2, "run1", bind, sizeof bind, mac));
    auth_resume_mac(other, ns2, nc2, "run1", bind, sizeof bind, mac);
    CHECK(!auth_resume_check(key, ns2, nc2, "run1", bind, sizeof bind, mac));
    /* A recorded proof fails on a new challenge, run id or TLS session. */
    auth_resume_mac(key, ns2, nc2, "run1", bind, sizeof bind, mac);
    CHECK(!auth_resume_check(key, ns, nc2, "run1", bind, sizeof bind, mac));
    CHECK(!auth_resume_check(key, ns2, nc, "run1", bind, sizeof bind, mac));
    CHECK(!auth_resume_check(key, ns2, nc2, "run2", bind, sizeof bind, mac));
    CHECK(!auth_resume_check(key, ns2, nc2, "run1", bind2, sizeof bind2, mac));
    CHECK(!auth_resume_check(key, ns2, nc2, "run1", NULL, 0, mac));
    /* Without TLS there is no binding; the proof still works. */
    auth_resume_mac(key, ns2, nc2, "run1", NULL, 0, mac);
    CHECK(auth_resume_check(key, ns2, nc2, "run1", NULL, 0, mac));
}

static void test_hex_round_trip(void)
{
    uint8_t in[4] = {0x00, 0xab, 0x10, 0xff}, out[4];
    char hex[9];
    auth_hex(in, 4, hex);
    CHECK_EQ_STR(hex, "00ab10ff");
    CHECK_EQ_INT(auth_unhex("00AB10ff", out, 4), 0);
    CHECK(memcmp(in, out, 4) == 0);
    CHECK_EQ_INT(auth_unhex("00ab10f", out, 4), -1);  /* short */
    CHECK_EQ_INT(auth_unhex("00ab10fg", out, 4), -1); /* not hex */
    CHECK_EQ_INT(auth_unhex(NULL, out, 4), -1);
}

int main(void)
{
    RUN(test_login_mac_binds_every_input);
    RUN(test_empty_token_is_usable);
    RUN(test_work_mac_per_seq_and_key);
    RUN(test_replay_window);
    RUN(test_replay_window_burst_out_of_order);
    RUN(test_resume_proof);
    RUN(test_hex_round_trip);
    return TEST_SUMMARY();
}
