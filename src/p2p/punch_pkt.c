/* punch_pkt: see punch_pkt.h. HMAC and HKDF come from OpenSSL 3. */
#include "p2p/punch_pkt.h"

#include "proto/e2e.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <string.h>

static const uint8_t magic[4] = {0x3b, 'B', 'P', '1'};

static bool name_ok(const char *s)
{
    return s && strlen(s) <= PUNCH_STR_MAX;
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int punch_proof(const char *secret, punch_role_t role, const char *proxy, const char *user,
                const uint8_t nonce_v[PUNCH_NONCE_LEN], const uint8_t *nonce_o, const uint8_t *fp,
                uint8_t out[PUNCH_PROOF_LEN])
{
    static const char label[] = PUNCH_LABEL;
    static const uint8_t zero[PUNCH_NONCE_LEN];
    const char *rname = role == PUNCH_ROLE_VISITOR ? "visitor" : "owner";
    if (!secret || !*secret || !name_ok(proxy) || !name_ok(user)) return PUNCH_ERR_ARG;
    uint8_t plen[2], ulen[2];
    put16(plen, strlen(proxy));
    put16(ulen, strlen(user));
    const void *parts[] = {label, rname, plen, proxy, ulen, user, nonce_v, nonce_o ? nonce_o : zero,
                           fp};
    size_t lens[] = {
        sizeof label - 1, strlen(rname),        2, strlen(proxy), 2, strlen(user), PUNCH_NONCE_LEN,
        PUNCH_NONCE_LEN,  fp ? PUNCH_FP_LEN : 0};
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    int ok = ctx && EVP_MAC_init(ctx, (const uint8_t *)secret, strlen(secret), params) == 1;
    for (size_t i = 0; ok && i < sizeof parts / sizeof parts[0]; i++)
        ok = lens[i] == 0 || EVP_MAC_update(ctx, parts[i], lens[i]) == 1;
    ok = ok && EVP_MAC_final(ctx, out, &outl, PUNCH_PROOF_LEN) == 1 && outl == PUNCH_PROOF_LEN;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) memset(out, 0, PUNCH_PROOF_LEN);
    return ok ? 0 : PUNCH_ERR_CRYPTO;
}

bool punch_proof_ok(const char *secret, punch_role_t role, const char *proxy, const char *user,
                    const uint8_t nonce_v[PUNCH_NONCE_LEN], const uint8_t *nonce_o,
                    const uint8_t *fp, const uint8_t proof[PUNCH_PROOF_LEN])
{
    uint8_t want[PUNCH_PROOF_LEN];
    if (punch_proof(secret, role, proxy, user, nonce_v, nonce_o, fp, want) != 0) return false;
    return CRYPTO_memcmp(want, proof, PUNCH_PROOF_LEN) == 0;
}

int punch_derive(const char *secret, const uint8_t nonce_v[PUNCH_NONCE_LEN],
                 const uint8_t nonce_o[PUNCH_NONCE_LEN], const char *proxy, punch_key_t *out)
{
    if (!secret || !*secret || !name_ok(proxy)) return PUNCH_ERR_ARG;
    uint8_t okm[PUNCH_KEY_LEN + PUNCH_ID_LEN];
    int rc = e2e_hkdf_pair(secret, nonce_v, nonce_o, PUNCH_NONCE_LEN, PUNCH_LABEL " punch", proxy,
                           okm, sizeof okm);
    if (rc == 0) {
        memcpy(out->key, okm, PUNCH_KEY_LEN);
        memcpy(out->pair_id, okm + PUNCH_KEY_LEN, PUNCH_ID_LEN);
    }
    OPENSSL_cleanse(okm, sizeof okm);
    return rc == 0 ? 0 : rc == E2E_ERR_ARG ? PUNCH_ERR_ARG : PUNCH_ERR_CRYPTO;
}

const char *punch_pkt_strerror(int err)
{
    static const char *const names[] = {"arg", "crypto", "short", "magic", "form", "pair", "mac"};
    int i = -err - 1;
    return i >= 0 && i < (int)(sizeof names / sizeof names[0]) ? names[i] : "?";
}

bool punch_pkt_is(const uint8_t *p, size_t len)
{
    return len >= sizeof magic && memcmp(p, magic, sizeof magic) == 0;
}

/* The truncated HMAC over the packet's first 32 bytes. */
static int pkt_mac(const punch_key_t *k, const uint8_t *p, uint8_t mac[PUNCH_MAC_LEN])
{
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), k->key, PUNCH_KEY_LEN, p, PUNCH_PKT_LEN - PUNCH_MAC_LEN, full, &n) ||
        n < PUNCH_MAC_LEN)
        return PUNCH_ERR_CRYPTO;
    memcpy(mac, full, PUNCH_MAC_LEN);
    return 0;
}

int punch_pkt_encode(const punch_key_t *k, const punch_pkt_t *pkt, uint8_t out[PUNCH_PKT_LEN])
{
    memset(out, 0, PUNCH_PKT_LEN);
    memcpy(out, magic, sizeof magic);
    out[4] = (uint8_t)pkt->type;
    out[5] = (uint8_t)pkt->role;
    memcpy(out + 8, k->pair_id, PUNCH_ID_LEN);
    memcpy(out + 16, pkt->token, PUNCH_TOKEN_LEN);
    memcpy(out + 24, pkt->echo, PUNCH_TOKEN_LEN);
    return pkt_mac(k, out, out + PUNCH_PKT_LEN - PUNCH_MAC_LEN);
}

int punch_pkt_parse(const punch_key_t *k, const uint8_t *p, size_t len, punch_pkt_t *out)
{
    if (!punch_pkt_is(p, len)) return PUNCH_ERR_MAGIC;
    if (len != PUNCH_PKT_LEN) return PUNCH_ERR_SHORT;
    if (p[4] < PUNCH_PROBE || p[4] > PUNCH_TYPE_MAX_ || p[5] > PUNCH_ROLE_OWNER || p[6] || p[7])
        return PUNCH_ERR_FORM;
    if (CRYPTO_memcmp(p + 8, k->pair_id, PUNCH_ID_LEN) != 0) return PUNCH_ERR_PAIR;
    uint8_t mac[PUNCH_MAC_LEN];
    if (pkt_mac(k, p, mac) != 0) return PUNCH_ERR_CRYPTO;
    if (CRYPTO_memcmp(mac, p + PUNCH_PKT_LEN - PUNCH_MAC_LEN, PUNCH_MAC_LEN) != 0)
        return PUNCH_ERR_MAC;
    out->type = (punch_type_t)p[4];
    out->role = (punch_role_t)p[5];
    memcpy(out->token, p + 16, PUNCH_TOKEN_LEN);
    memcpy(out->echo, p + 24, PUNCH_TOKEN_LEN);
    return PUNCH_PKT_LEN;
}
