/* relay_grant: see relay_grant.h. */
#include "proto/relay_grant.h"

#include <stdio.h>
#include <string.h>

#include "net/addr.h"

static void hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Exactly 2n hex digits into n bytes. 0 or -1. */
static int hex_decode(const char *s, uint8_t *out, size_t n)
{
    if (!s || strlen(s) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

json_t *relay_grant_to_json(const relay_grant_t *g)
{
    char id[17], key[2 * RELAY_KEY_LEN + 1];
    uint8_t idb[8];
    for (int i = 0; i < 8; i++)
        idb[i] = (uint8_t)(g->alloc_id >> (56 - 8 * i));
    hex_encode(idb, 8, id);
    hex_encode(g->key, RELAY_KEY_LEN, key);
    return json_pack("{s:s, s:i, s:s, s:i, s:s}", "addr", g->addr, "port", g->port, "id", id,
                     "side", (int)g->side, "key", key);
}

static const char *str_member(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long int_member(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

int relay_grant_from_json(const json_t *o, relay_grant_t *out)
{
    if (!json_is_object(o)) return -1;
    const char *addr = str_member(o, "addr");
    long long port = int_member(o, "port"), side = int_member(o, "side");
    uint8_t id[8];
    if (!addr || strlen(addr) >= sizeof out->addr) return -1;
    struct sockaddr_storage ss;
    if (addr[0] && addr_parse(addr, 0, &ss) != 0) return -1; /* IP literals only: no DNS */
    if (port < 1 || port > 65535 || side < 0 || side > 1) return -1;
    if (hex_decode(str_member(o, "id"), id, sizeof id) != 0) return -1;
    if (hex_decode(str_member(o, "key"), out->key, RELAY_KEY_LEN) != 0) return -1;
    snprintf(out->addr, sizeof out->addr, "%s", addr);
    out->port = (int)port;
    out->side = (uint8_t)side;
    out->alloc_id = 0;
    for (int i = 0; i < 8; i++)
        out->alloc_id = out->alloc_id << 8 | id[i];
    return 0;
}

int relay_grant_parse(const char *text, size_t len, relay_grant_t *out)
{
    json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    int r = json_is_object(msg) ? relay_grant_from_json(json_object_get(msg, RELAY_GRANT_KEY), out)
                                : -1;
    json_decref(msg);
    return r;
}
