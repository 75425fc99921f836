/* relay_wire: see relay_wire.h. The MAC is HMAC-SHA256 (OpenSSL's one-shot
 * HMAC), truncated to RELAY_MAC_LEN bytes as RFC 2104 §5 allows. */
#include "proto/relay_wire.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void mac(const uint8_t *p, const uint8_t key[RELAY_KEY_LEN], uint8_t out[RELAY_MAC_LEN])
{
    uint8_t full[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!HMAC(EVP_sha256(), key, RELAY_KEY_LEN, p, RELAY_MAC_OFF, full, &len))
        memset(full, 0, sizeof full); /* never verifies against a real MAC by chance */
    memcpy(out, full, RELAY_MAC_LEN);
}

size_t relay_wire_encode(const relay_msg_t *m, const uint8_t key[RELAY_KEY_LEN],
                         uint8_t out[RELAY_WIRE_LEN])
{
    out[0] = m->type;
    out[1] = RELAY_WIRE_VERSION;
    out[2] = m->side;
    out[3] = m->reason;
    put64(out + 4, m->alloc_id);
    put64(out + 12, m->counter);
    mac(out, key, out + RELAY_MAC_OFF);
    return RELAY_WIRE_LEN;
}

int relay_wire_parse(const uint8_t *p, size_t n, relay_msg_t *out)
{
    if (n != RELAY_WIRE_LEN) return -1;
    if (p[0] < RELAY_MSG_BIND || p[0] > RELAY_MSG_CLOSED) return -1;
    if (p[1] != RELAY_WIRE_VERSION || p[2] > 1) return -1;
    out->type = p[0];
    out->side = p[2];
    out->reason = p[3];
    out->alloc_id = get64(p + 4);
    out->counter = get64(p + 12);
    return RELAY_WIRE_LEN;
}

bool relay_wire_verify(const uint8_t *p, size_t n, const uint8_t key[RELAY_KEY_LEN])
{
    if (n != RELAY_WIRE_LEN) return false;
    uint8_t want[RELAY_MAC_LEN];
    mac(p, key, want);
    return CRYPTO_memcmp(want, p + RELAY_MAC_OFF, RELAY_MAC_LEN) == 0;
}

static const char *const close_names[] = {
    [RELAY_CLOSE_FREED] = "freed",
    [RELAY_CLOSE_IDLE] = "idle",
    [RELAY_CLOSE_STOPPING] = "server-stopping",
};

const char *relay_close_name(int reason)
{
    if (reason < RELAY_CLOSE_FREED || reason > RELAY_CLOSE_STOPPING) return "unknown";
    return close_names[reason];
}
