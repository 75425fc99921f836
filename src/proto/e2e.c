/* e2e: see e2e.h. HKDF, HMAC and AES-256-GCM come from OpenSSL 3's EVP. */
#include "proto/e2e.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdlib.h>
#include <string.h>

#define E2E_OKM_LEN (2 * E2E_KEY_LEN + 2 * E2E_IV_LEN)
#define E2E_STR_MAX 0xffff /* proxy and user names carry a u16 length */

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static bool name_ok(const char *s)
{
    return s && strlen(s) <= E2E_STR_MAX;
}

int e2e_hkdf_pair(const char *secret, const uint8_t *nonce_v, const uint8_t *nonce_o,
                  size_t nonce_len, const char *label, const char *proxy, uint8_t *okm,
                  size_t okm_len)
{
    if (!secret || !*secret || !name_ok(proxy) || !label || strlen(label) > E2E_HKDF_LABEL_MAX ||
        nonce_len > E2E_HKDF_NONCE_MAX)
        return E2E_ERR_ARG;
    size_t llen = strlen(label), plen = strlen(proxy);
    uint8_t salt[2 * E2E_HKDF_NONCE_MAX];
    uint8_t info[E2E_HKDF_LABEL_MAX + 2 + E2E_STR_MAX];
    memcpy(salt, nonce_v, nonce_len);
    memcpy(salt + nonce_len, nonce_o, nonce_len);
    memcpy(info, label, llen);
    put16(info + llen, plen);
    memcpy(info + llen + 2, proxy, plen);

    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, strlen(secret)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, 2 * nonce_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, llen + 2 + plen),
        OSSL_PARAM_construct_end()};
    int rc = kctx && EVP_KDF_derive(kctx, okm, okm_len, params) == 1 ? 0 : E2E_ERR_CRYPTO;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rc;
}

int e2e_derive(const char *secret, const uint8_t nonce_v[E2E_NONCE_LEN],
               const uint8_t nonce_o[E2E_NONCE_LEN], const char *proxy, e2e_keys_t *out)
{
    uint8_t okm[E2E_OKM_LEN];
    int rc = e2e_hkdf_pair(secret, nonce_v, nonce_o, E2E_NONCE_LEN, E2E_LABEL " keys", proxy, okm,
                           sizeof okm);
    if (rc == 0) {
        memcpy(out->key[E2E_V2O], okm, E2E_KEY_LEN);
        memcpy(out->key[E2E_O2V], okm + E2E_KEY_LEN, E2E_KEY_LEN);
        memcpy(out->iv[E2E_V2O], okm + 2 * E2E_KEY_LEN, E2E_IV_LEN);
        memcpy(out->iv[E2E_O2V], okm + 2 * E2E_KEY_LEN + E2E_IV_LEN, E2E_IV_LEN);
    }
    OPENSSL_cleanse(okm, sizeof okm);
    return rc;
}

int e2e_proof(const char *secret, e2e_role_t role, const char *proxy, const char *user,
              const uint8_t nonce_v[E2E_NONCE_LEN], const uint8_t nonce_o[E2E_NONCE_LEN],
              uint8_t out[E2E_PROOF_LEN])
{
    static const char label[] = E2E_LABEL;
    const char *rname = role == E2E_ROLE_VISITOR ? "visitor" : "owner";
    if (!secret || !*secret || !name_ok(proxy) || !name_ok(user)) return E2E_ERR_ARG;
    uint8_t plen[2], ulen[2];
    put16(plen, strlen(proxy));
    put16(ulen, strlen(user));
    const void *parts[] = {label, rname, plen, proxy, ulen, user, nonce_v, nonce_o};
    size_t lens[] = {sizeof label - 1, strlen(rname), 2, strlen(proxy), 2, strlen(user),
                     E2E_NONCE_LEN,    E2E_NONCE_LEN};

    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    int ok = ctx && EVP_MAC_init(ctx, (const uint8_t *)secret, strlen(secret), params) == 1;
    for (size_t i = 0; ok && i < sizeof parts / sizeof parts[0]; i++)
        ok = EVP_MAC_update(ctx, parts[i], lens[i]) == 1;
    ok = ok && EVP_MAC_final(ctx, out, &outl, E2E_PROOF_LEN) == 1 && outl == E2E_PROOF_LEN;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) memset(out, 0, E2E_PROOF_LEN);
    return ok ? 0 : E2E_ERR_CRYPTO;
}

bool e2e_proof_ok(const char *secret, e2e_role_t role, const char *proxy, const char *user,
                  const uint8_t nonce_v[E2E_NONCE_LEN], const uint8_t nonce_o[E2E_NONCE_LEN],
                  const uint8_t proof[E2E_PROOF_LEN])
{
    uint8_t want[E2E_PROOF_LEN];
    if (e2e_proof(secret, role, proxy, user, nonce_v, nonce_o, want) != 0) return false;
    return CRYPTO_memcmp(want, proof, E2E_PROOF_LEN) == 0;
}

int e2e_dir_init(e2e_dir_t *d, const uint8_t key[E2E_KEY_LEN], const uint8_t iv[E2E_IV_LEN],
                 bool seal)
{
    memset(d, 0, sizeof *d);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    /* The key is set once; each record only sets its nonce (EVP keeps the
     * expanded key schedule). */
    if (!ctx || EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, NULL, seal ? 1 : 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return E2E_ERR_CRYPTO;
    }
    d->ctx = ctx;
    memcpy(d->iv, iv, E2E_IV_LEN);
    return 0;
}

void e2e_dir_free(e2e_dir_t *d)
{
    EVP_CIPHER_CTX_free(d->ctx);
    OPENSSL_cleanse(d, sizeof *d);
}

/* nonce = iv XOR (0^4 || seq_be64), RFC 8446 §5.3. */
static void record_nonce(const e2e_dir_t *d, uint8_t nonce[E2E_IV_LEN])
{
    memcpy(nonce, d->iv, E2E_IV_LEN);
    for (int i = 0; i < 8; i++)
        nonce[E2E_IV_LEN - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
}

/* The one step both directions share: set the nonce, feed the header as AAD
 * and n bytes through the cipher. */
static bool cipher_record(e2e_dir_t *d, const uint8_t hdr[E2E_HDR_LEN], const uint8_t *in, size_t n,
                          uint8_t *out)
{
    uint8_t nonce[E2E_IV_LEN];
    int outl = 0;
    record_nonce(d, nonce);
    if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, -1) != 1) return false;
    if (EVP_CipherUpdate(d->ctx, NULL, &outl, hdr, E2E_HDR_LEN) != 1) return false;
    if (n && (EVP_CipherUpdate(d->ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n))
        return false;
    return true;
}

ssize_t e2e_seal(e2e_dir_t *d, const uint8_t *p, size_t n, uint8_t *out)
{
    int outl = 0;
    if (n > E2E_RECORD_MAX) return E2E_ERR_LEN;
    if (d->ended || d->seq == UINT64_MAX) return E2E_ERR_CLOSED;
    put16(out, n);
    if (!cipher_record(d, out, p, n, out + E2E_HDR_LEN) ||
        EVP_CipherFinal_ex(d->ctx, out + E2E_HDR_LEN + n, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, E2E_TAG_LEN, out + E2E_HDR_LEN + n) != 1)
        return E2E_ERR_CRYPTO;
    d->seq++;
    if (n == 0) d->ended = true;
    return (ssize_t)(n + E2E_OVERHEAD);
}

ssize_t e2e_record_len(const uint8_t *p, size_t len)
{
    if (len < E2E_HDR_LEN) return 0;
    size_t plen = (size_t)p[0] << 8 | p[1];
    if (plen > E2E_RECORD_MAX) return E2E_ERR_LEN;
    return (ssize_t)(plen + E2E_OVERHEAD);
}

ssize_t e2e_open(e2e_dir_t *d, const uint8_t *rec, size_t rec_len, uint8_t *out)
{
    int outl = 0;
    if (d->ended || d->seq == UINT64_MAX) return E2E_ERR_CLOSED;
    ssize_t want = e2e_record_len(rec, rec_len);
    if (want <= 0) return want == 0 ? E2E_ERR_ARG : want;
    if ((size_t)want != rec_len) return E2E_ERR_ARG;
    size_t n = rec_len - E2E_OVERHEAD;
    uint8_t tag[E2E_TAG_LEN];
    memcpy(tag, rec + E2E_HDR_LEN + n, E2E_TAG_LEN);
    if (!cipher_record(d, rec, rec + E2E_HDR_LEN, n, out) ||
        EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, E2E_TAG_LEN, tag) != 1)
        return E2E_ERR_CRYPTO;
    if (EVP_CipherFinal_ex(d->ctx, out + n, &outl) != 1) {
        OPENSSL_cleanse(out, n); /* never hand on unauthenticated bytes */
        return E2E_ERR_AUTH;
    }
    d->seq++;
    if (n == 0) d->ended = true;
    return (ssize_t)n;
}

int e2e_reader_init(e2e_reader_t *r, const uint8_t key[E2E_KEY_LEN], const uint8_t iv[E2E_IV_LEN])
{
    r->part = NULL;
    r->part_len = 0;
    return e2e_dir_init(&r->dir, key, iv, false);
}

void e2e_reader_free(e2e_reader_t *r)
{
    free(r->part);
    r->part = NULL;
    r->part_len = 0;
    e2e_dir_free(&r->dir);
}

/* Opens one whole record and hands its plaintext on. */
static int reader_emit(e2e_reader_t *r, const uint8_t *rec, size_t len, e2e_plain_cb cb, void *ctx)
{
    static uint8_t plain[E2E_RECORD_MAX]; /* one loop thread: one shared buffer */
    ssize_t n = e2e_open(&r->dir, rec, len, plain);
    if (n < 0) return (int)n;
    return cb(ctx, plain, (size_t)n) ? 1 : 0;
}

/* Adds bytes to the partial record until it is whole (or they run out);
 * returns how many were taken, or < 0. */
static ssize_t reader_fill(e2e_reader_t *r, const uint8_t *p, size_t n, ssize_t *whole)
{
    size_t take = 0;
    *whole = 0;
    /* First the header, then the rest that the header announces. */
    while (take < n && r->part_len < E2E_HDR_LEN)
        r->part[r->part_len++] = p[take++];
    ssize_t want = e2e_record_len(r->part, r->part_len);
    if (want < 0) return want;
    if (want == 0) return (ssize_t)take;
    size_t room = (size_t)want - r->part_len;
    size_t more = n - take < room ? n - take : room;
    memcpy(r->part + r->part_len, p + take, more);
    r->part_len += more;
    if (r->part_len == (size_t)want) *whole = want;
    return (ssize_t)(take + more);
}

int e2e_reader_feed(e2e_reader_t *r, const uint8_t *p, size_t n, e2e_plain_cb cb, void *ctx)
{
    size_t off = 0;
    if (r->part) { /* finish the record a previous read left split */
        ssize_t whole, t = reader_fill(r, p, n, &whole);
        if (t < 0) return (int)t;
        off = (size_t)t;
        if (!whole) return 0;
        int rc = reader_emit(r, r->part, (size_t)whole, cb, ctx);
        free(r->part);
        r->part = NULL;
        r->part_len = 0;
        if (rc) return rc;
    }
    while (off < n) { /* whole records straight from the caller's bytes */
        if (r->dir.ended) return E2E_ERR_CLOSED;
        ssize_t want = e2e_record_len(p + off, n - off);
        if (want < 0) return (int)want;
        if (want == 0 || (size_t)want > n - off) break;
        int rc = reader_emit(r, p + off, (size_t)want, cb, ctx);
        if (rc) return rc;
        off += (size_t)want;
    }
    if (off == n) return 0;
    if (r->dir.ended) return E2E_ERR_CLOSED;
    r->part = malloc(E2E_RECORD_MAX + E2E_OVERHEAD);
    if (!r->part) return E2E_ERR_NOMEM;
    ssize_t whole, t = reader_fill(r, p + off, n - off, &whole);
    return t < 0 ? (int)t : 0; /* whole is 0 here: the bytes ran out */
}
