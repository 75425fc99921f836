/* auth: see auth.h. HMAC and randomness come from OpenSSL. */
#include "proto/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

int auth_random(uint8_t *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

/* HMAC-SHA256 over concatenated parts. */
static void hmac_parts(const uint8_t *key, size_t key_len, const void *const parts[],
                       const size_t lens[], int nparts, uint8_t out[AUTH_MAC_LEN])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    memset(out, 0, AUTH_MAC_LEN);
    /* An empty token is legal (frp's default); HMAC needs a non-NULL key. */
    static const uint8_t empty = 0;
    if (ctx && EVP_MAC_init(ctx, key_len ? key : &empty, key_len, params) == 1) {
        for (int i = 0; i < nparts; i++)
            EVP_MAC_update(ctx, parts[i], lens[i]);
        EVP_MAC_final(ctx, out, &outl, AUTH_MAC_LEN);
    }
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

void auth_login_mac(const char *token, const uint8_t nonce_s[AUTH_NONCE_LEN],
                    const uint8_t nonce_c[AUTH_NONCE_LEN], const char *user, const uint8_t *binding,
                    size_t binding_len, uint8_t out[AUTH_MAC_LEN])
{
    static const char label[] = "burrow-login-v1";
    /* user is length-prefixed so that user/binding boundaries cannot shift. */
    uint8_t ulen = (uint8_t)(strlen(user) > 255 ? 255 : strlen(user));
    const void *parts[] = {label, nonce_s, nonce_c, &ulen, user, binding ? binding : nonce_s};
    size_t lens[] = {sizeof label - 1, AUTH_NONCE_LEN, AUTH_NONCE_LEN, 1, ulen, binding_len};
    hmac_parts((const uint8_t *)token, strlen(token), parts, lens, 6, out);
}

void auth_work_key(const char *token, const uint8_t nonce_s[AUTH_NONCE_LEN],
                   const uint8_t nonce_c[AUTH_NONCE_LEN], uint8_t out[AUTH_MAC_LEN])
{
    static const char label[] = "burrow-work-v1";
    const void *parts[] = {label, nonce_s, nonce_c};
    size_t lens[] = {sizeof label - 1, AUTH_NONCE_LEN, AUTH_NONCE_LEN};
    hmac_parts((const uint8_t *)token, strlen(token), parts, lens, 3, out);
}

static const char resume_label[] = "burrow-resume-v1";

void auth_resume_key(const char *token, const uint8_t nonce_s[AUTH_NONCE_LEN],
                     const uint8_t nonce_c[AUTH_NONCE_LEN], uint8_t out[AUTH_MAC_LEN])
{
    const void *parts[] = {resume_label, nonce_s, nonce_c};
    size_t lens[] = {sizeof resume_label - 1, AUTH_NONCE_LEN, AUTH_NONCE_LEN};
    hmac_parts((const uint8_t *)token, strlen(token), parts, lens, 3, out);
}

void auth_resume_mac(const uint8_t resume_key[AUTH_MAC_LEN], const uint8_t nonce_s[AUTH_NONCE_LEN],
                     const uint8_t nonce_c[AUTH_NONCE_LEN], const char *run_id,
                     const uint8_t *binding, size_t binding_len, uint8_t out[AUTH_MAC_LEN])
{
    /* run_id is length-prefixed like the login's user. */
    uint8_t rlen = (uint8_t)(strlen(run_id) > 255 ? 255 : strlen(run_id));
    const void *parts[] = {resume_label, nonce_s, nonce_c,
                           &rlen,        run_id,  binding ? binding : nonce_s};
    size_t lens[] = {sizeof resume_label - 1,  AUTH_NONCE_LEN, AUTH_NONCE_LEN, 1, rlen,
                     binding ? binding_len : 0};
    hmac_parts(resume_key, AUTH_MAC_LEN, parts, lens, 6, out);
}

bool auth_resume_check(const uint8_t resume_key[AUTH_MAC_LEN],
                       const uint8_t nonce_s[AUTH_NONCE_LEN], const uint8_t nonce_c[AUTH_NONCE_LEN],
                       const char *run_id, const uint8_t *binding, size_t binding_len,
                       const uint8_t mac[AUTH_MAC_LEN])
{
    uint8_t want[AUTH_MAC_LEN];
    auth_resume_mac(resume_key, nonce_s, nonce_c, run_id, binding, binding_len, want);
    return auth_mac_equal(mac, want);
}

void auth_work_mac(const uint8_t key[AUTH_MAC_LEN], const char *run_id, uint64_t seq,
                   uint8_t out[AUTH_MAC_LEN])
{
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(seq >> (56 - 8 * i));
    const void *parts[] = {run_id, be};
    size_t lens[] = {strlen(run_id), 8};
    hmac_parts(key, AUTH_MAC_LEN, parts, lens, 2, out);
}

bool auth_mac_equal(const uint8_t a[AUTH_MAC_LEN], const uint8_t b[AUTH_MAC_LEN])
{
    return CRYPTO_memcmp(a, b, AUTH_MAC_LEN) == 0;
}

static bool bit_get(const replay_window_t *w, uint64_t age)
{
    return w->bits[age / 64] >> (age % 64) & 1;
}

static void bit_set(replay_window_t *w, uint64_t age)
{
    w->bits[age / 64] |= 1ull << (age % 64);
}

/* Moves the window up by `shift`: bit i becomes bit i + shift. */
static void window_shift(replay_window_t *w, uint64_t shift)
{
    const size_t words = REPLAY_WINDOW / 64;
    if (shift >= REPLAY_WINDOW) {
        memset(w->bits, 0, sizeof w->bits);
        return;
    }
    size_t ws = (size_t)(shift / 64), bs = (size_t)(shift % 64);
    for (size_t i = words; i-- > 0;) {
        uint64_t v = 0;
        if (i >= ws) {
            v = w->bits[i - ws] << bs;
            if (bs && i > ws) v |= w->bits[i - ws - 1] >> (64 - bs);
        }
        w->bits[i] = v;
    }
}

bool auth_replay_accept(replay_window_t *w, uint64_t seq)
{
    if (seq == 0) return false;
    if (seq > w->top) {
        window_shift(w, seq - w->top);
        w->top = seq;
        bit_set(w, 0);
        return true;
    }
    uint64_t age = w->top - seq;
    if (age >= REPLAY_WINDOW || bit_get(w, age)) return false;
    bit_set(w, age);
    return true;
}

void auth_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int auth_unhex(const char *in, uint8_t *out, size_t n)
{
    if (!in || strlen(in) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
