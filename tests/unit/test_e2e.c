/* test_e2e: the secret proxies' key derivation, proofs and record framing
 * against fixed vectors (computed independently with Python's
 * `cryptography`: HKDF, hmac, AESGCM), then round trips and every refusal:
 * wrong key, altered byte, replayed, reordered, dropped record, oversized
 * length, a record after the end. */
#include <stdlib.h>

#include "proto/e2e.h"
#include "testlib.h"

static void from_hex(const char *h, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void nonces(uint8_t nv[E2E_NONCE_LEN], uint8_t no[E2E_NONCE_LEN])
{
    for (int i = 0; i < E2E_NONCE_LEN; i++) {
        nv[i] = (uint8_t)i;          /* 00 01 .. 1f */
        no[i] = (uint8_t)(0x20 + i); /* 20 21 .. 3f */
    }
}

/* secret "s3cret-key", proxy "ssh": okm = HKDF-SHA256(secret, nv || no,
 * "burrow-stcp-v1 keys" || 00 03 || "ssh", 88). */
static const char OKM_HEX[] = "854d3023e724db04703c842522965edf0685e90dc7a6d5af27f24e1f37d5eeff"
                              "d09f60da1f7523068a1dac89fd34027e4bcb59434f5c51179faa0a6e84a8c673"
                              "b2ebe434d53b4f73604b493b5a3d78391a1d701d6f4790ae";

static void test_derive_vector(void)
{
    uint8_t nv[E2E_NONCE_LEN], no[E2E_NONCE_LEN], okm[88];
    e2e_keys_t k;
    nonces(nv, no);
    from_hex(OKM_HEX, okm, sizeof okm);
    CHECK_EQ_INT(e2e_derive("s3cret-key", nv, no, "ssh", &k), 0);
    CHECK(memcmp(k.key[E2E_V2O], okm, 32) == 0);
    CHECK(memcmp(k.key[E2E_O2V], okm + 32, 32) == 0);
    CHECK(memcmp(k.iv[E2E_V2O], okm + 64, 12) == 0);
    CHECK(memcmp(k.iv[E2E_O2V], okm + 76, 12) == 0);
    /* Another proxy name, another key; an empty secret is refused. */
    e2e_keys_t k2;
    CHECK_EQ_INT(e2e_derive("s3cret-key", nv, no, "ssh2", &k2), 0);
    CHECK(memcmp(k.key[E2E_V2O], k2.key[E2E_V2O], 32) != 0);
    CHECK_EQ_INT(e2e_derive("", nv, no, "ssh", &k2), E2E_ERR_ARG);
}

static void test_proof_vector(void)
{
    uint8_t nv[E2E_NONCE_LEN], no[E2E_NONCE_LEN], p[E2E_PROOF_LEN], want[E2E_PROOF_LEN];
    nonces(nv, no);
    /* HMAC-SHA256("s3cret-key", "burrow-stcp-v1" "visitor" 00 03 "ssh"
     * 00 05 "alice" nv no) */
    from_hex("86f6c1c7691297cb146de4857401b8bfa9dd780dcaf0a266e478c1f5a27bb97a", want, 32);
    CHECK_EQ_INT(e2e_proof("s3cret-key", E2E_ROLE_VISITOR, "ssh", "alice", nv, no, p), 0);
    CHECK(memcmp(p, want, 32) == 0);
    CHECK(e2e_proof_ok("s3cret-key", E2E_ROLE_VISITOR, "ssh", "alice", nv, no, p));
    /* The owner's proof differs (a reflected proof is no proof). */
    from_hex("cfe561a0401eb9c596b7cda831a58c151d21014e48557ef26cb4086c78ccf1b4", want, 32);
    CHECK_EQ_INT(e2e_proof("s3cret-key", E2E_ROLE_OWNER, "ssh", "alice", nv, no, p), 0);
    CHECK(memcmp(p, want, 32) == 0);
    CHECK(!e2e_proof_ok("s3cret-key", E2E_ROLE_VISITOR, "ssh", "alice", nv, no, p));
    /* Wrong key, user, proxy or nonce: refused. */
    CHECK(!e2e_proof_ok("wrong", E2E_ROLE_OWNER, "ssh", "alice", nv, no, p));
    CHECK(!e2e_proof_ok("s3cret-key", E2E_ROLE_OWNER, "ssh", "bob", nv, no, p));
    CHECK(!e2e_proof_ok("s3cret-key", E2E_ROLE_OWNER, "sshx", "alice", nv, no, p));
    no[0] ^= 1;
    CHECK(!e2e_proof_ok("s3cret-key", E2E_ROLE_OWNER, "ssh", "alice", nv, no, p));
}

static void keys(e2e_keys_t *k)
{
    uint8_t nv[E2E_NONCE_LEN], no[E2E_NONCE_LEN];
    nonces(nv, no);
    CHECK_EQ_INT(e2e_derive("s3cret-key", nv, no, "ssh", k), 0);
}

static void test_record_vector(void)
{
    e2e_keys_t k;
    e2e_dir_t s, o;
    uint8_t rec[64], want[64], pt[E2E_RECORD_MAX];
    keys(&k);
    CHECK_EQ_INT(e2e_dir_init(&s, k.key[E2E_V2O], k.iv[E2E_V2O], true), 0);
    CHECK_EQ_INT(e2e_dir_init(&o, k.key[E2E_V2O], k.iv[E2E_V2O], false), 0);
    /* seq 0, "hello": 00 05 | ciphertext (5) | tag (16) */
    from_hex("0005616a9c2338ac9c73bee0e407259e6b5d61e4ad1790", want, 23);
    CHECK_EQ_INT(e2e_seal(&s, (const uint8_t *)"hello", 5, rec), 23);
    CHECK(memcmp(rec, want, 23) == 0);
    CHECK_EQ_INT(e2e_record_len(rec, 1), 0);
    CHECK_EQ_INT(e2e_record_len(rec, 2), 23);
    CHECK_EQ_INT(e2e_open(&o, rec, 23, pt), 5);
    CHECK(memcmp(pt, "hello", 5) == 0);
    /* seq 1, the end record: 00 00 | tag (16) */
    from_hex("0000c7b8d41cc6547d6d2dab0edb169f5577", want, 18);
    CHECK_EQ_INT(e2e_seal(&s, NULL, 0, rec), 18);
    CHECK(memcmp(rec, want, 18) == 0);
    CHECK(s.ended);
    CHECK_EQ_INT(e2e_open(&o, rec, 18, pt), 0);
    CHECK(o.ended);
    /* Nothing after the end, either way. */
    CHECK_EQ_INT(e2e_seal(&s, (const uint8_t *)"x", 1, rec), E2E_ERR_CLOSED);
    CHECK_EQ_INT(e2e_open(&o, rec, 18, pt), E2E_ERR_CLOSED);
    e2e_dir_free(&s);
    e2e_dir_free(&o);
}

static void test_refusals(void)
{
    e2e_keys_t k;
    e2e_dir_t s, o, other;
    static uint8_t r0[E2E_RECORD_MAX + E2E_OVERHEAD], r1[64], pt[E2E_RECORD_MAX];
    keys(&k);
    CHECK_EQ_INT(e2e_dir_init(&s, k.key[E2E_V2O], k.iv[E2E_V2O], true), 0);
    CHECK_EQ_INT(e2e_dir_init(&o, k.key[E2E_V2O], k.iv[E2E_V2O], false), 0);
    /* The other direction's key opens nothing. */
    CHECK_EQ_INT(e2e_dir_init(&other, k.key[E2E_O2V], k.iv[E2E_O2V], false), 0);
    memset(pt, 'a', sizeof pt);
    ssize_t n0 = e2e_seal(&s, pt, E2E_RECORD_MAX, r0);
    CHECK_EQ_INT(n0, E2E_RECORD_MAX + E2E_OVERHEAD);
    ssize_t n1 = e2e_seal(&s, (const uint8_t *)"b", 1, r1);
    CHECK_EQ_INT(e2e_seal(&s, pt, E2E_RECORD_MAX + 1, r0), E2E_ERR_LEN);
    CHECK_EQ_INT(e2e_open(&other, r0, (size_t)n0, pt), E2E_ERR_AUTH);
    /* Reordered (record 1 first) and altered: refused, nothing consumed. */
    CHECK_EQ_INT(e2e_open(&o, r1, (size_t)n1, pt), E2E_ERR_AUTH);
    r0[100] ^= 0x80;
    CHECK_EQ_INT(e2e_open(&o, r0, (size_t)n0, pt), E2E_ERR_AUTH);
    r0[100] ^= 0x80;
    CHECK_EQ_INT(e2e_open(&o, r0, (size_t)n0, pt), E2E_RECORD_MAX);
    /* Replayed: refused. */
    CHECK_EQ_INT(e2e_open(&o, r0, (size_t)n0, pt), E2E_ERR_AUTH);
    CHECK_EQ_INT(e2e_open(&o, r1, (size_t)n1, pt), 1);
    /* A length over the maximum is malformed; a short buffer is an error. */
    uint8_t big[2] = {0x40, 0x01};
    CHECK_EQ_INT(e2e_record_len(big, 2), E2E_ERR_LEN);
    CHECK_EQ_INT(e2e_open(&o, r1, (size_t)n1 - 1, pt), E2E_ERR_ARG);
    e2e_dir_free(&s);
    e2e_dir_free(&o);
    e2e_dir_free(&other);
}

typedef struct sink {
    uint8_t got[3 * E2E_RECORD_MAX];
    size_t len;
    int records, ends;
} sink_t;

static int on_plain(void *ctx, const uint8_t *p, size_t n)
{
    sink_t *k = ctx;
    if (n == 0) k->ends++;
    memcpy(k->got + k->len, p, n);
    k->len += n;
    k->records++;
    return 0;
}

/* Three records (16 KiB, 1 byte, 300 bytes) and the end record, fed in
 * chunks of every size from 1 byte up: the same plaintext each time. */
static void test_reader_chunks(void)
{
    e2e_keys_t k;
    static uint8_t stream[3 * E2E_RECORD_MAX], plain[E2E_RECORD_MAX + 301];
    static sink_t sink;
    const size_t sizes[] = {E2E_RECORD_MAX, 1, 300};
    keys(&k);
    for (size_t i = 0; i < sizeof plain; i++)
        plain[i] = (uint8_t)(i * 7 + 3);
    size_t step_max = E2E_RECORD_MAX + 100;
    for (size_t step = 1; step < step_max; step = step < 40 ? step + 1 : step * 3) {
        e2e_dir_t s;
        e2e_reader_t r;
        size_t len = 0, off = 0;
        CHECK_EQ_INT(e2e_dir_init(&s, k.key[E2E_O2V], k.iv[E2E_O2V], true), 0);
        CHECK_EQ_INT(e2e_reader_init(&r, k.key[E2E_O2V], k.iv[E2E_O2V]), 0);
        for (size_t i = 0; i < 3; i++) {
            len += (size_t)e2e_seal(&s, plain + off, sizes[i], stream + len);
            off += sizes[i];
        }
        len += (size_t)e2e_seal(&s, NULL, 0, stream + len);
        memset(&sink, 0, sizeof sink);
        int rc = 0;
        for (size_t at = 0; at < len && rc == 0; at += step)
            rc = e2e_reader_feed(&r, stream + at, len - at < step ? len - at : step, on_plain,
                                 &sink);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(sink.records, 4);
        CHECK_EQ_INT(sink.ends, 1);
        CHECK_EQ_INT(sink.len, off);
        CHECK(memcmp(sink.got, plain, off) == 0);
        CHECK(r.part == NULL);
        /* A byte after the end record kills the stream. */
        CHECK_EQ_INT(e2e_reader_feed(&r, stream, 1, on_plain, &sink), E2E_ERR_CLOSED);
        e2e_dir_free(&s);
        e2e_reader_free(&r);
    }
}

/* A bad tag or length inside a split record is reported at the read that
 * completes it; nothing of the record reaches the callback. */
static void test_reader_refusals(void)
{
    e2e_keys_t k;
    e2e_dir_t s;
    e2e_reader_t r;
    static sink_t sink;
    uint8_t rec[64];
    keys(&k);
    CHECK_EQ_INT(e2e_dir_init(&s, k.key[E2E_V2O], k.iv[E2E_V2O], true), 0);
    CHECK_EQ_INT(e2e_reader_init(&r, k.key[E2E_V2O], k.iv[E2E_V2O]), 0);
    ssize_t n = e2e_seal(&s, (const uint8_t *)"secret", 6, rec);
    rec[n - 1] ^= 1;
    memset(&sink, 0, sizeof sink);
    CHECK_EQ_INT(e2e_reader_feed(&r, rec, 5, on_plain, &sink), 0);
    CHECK_EQ_INT(e2e_reader_feed(&r, rec + 5, (size_t)n - 5, on_plain, &sink), E2E_ERR_AUTH);
    CHECK_EQ_INT(sink.records, 0);
    e2e_reader_free(&r);
    uint8_t big[3] = {0xff, 0xff, 0};
    CHECK_EQ_INT(e2e_reader_init(&r, k.key[E2E_V2O], k.iv[E2E_V2O]), 0);
    CHECK_EQ_INT(e2e_reader_feed(&r, big, 1, on_plain, &sink), 0);
    CHECK_EQ_INT(e2e_reader_feed(&r, big + 1, 2, on_plain, &sink), E2E_ERR_LEN);
    e2e_reader_free(&r);
    e2e_dir_free(&s);
}

int main(void)
{
    RUN(test_derive_vector);
    RUN(test_proof_vector);
    RUN(test_record_vector);
    RUN(test_refusals);
    RUN(test_reader_chunks);
    RUN(test_reader_refusals);
    return TEST_SUMMARY();
}
