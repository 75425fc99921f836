/* fuzz_relay_msg: the relay's pure codecs on any input. The first byte
 * picks: even, the rest is a rendezvous message's JSON (relay_grant_parse;
 * an accepted grant encodes and parses back to the same fields); odd, the
 * rest is a datagram (relay_wire_parse; an accepted message re-encodes to
 * the same first 20 bytes, and verifies under the key it was encoded with,
 * never under another). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"
#include "proto/relay_grant.h"
#include "proto/relay_wire.h"

static void grant(const uint8_t *p, size_t n)
{
    relay_grant_t g, back;
    if (relay_grant_parse((const char *)p, n, &g) != 0) return;
    require(g.port >= 1 && g.port <= 65535 && g.side <= 1);
    require(memchr(g.addr, '\0', sizeof g.addr) != NULL);
    json_t *o = relay_grant_to_json(&g);
    require(o != NULL);
    require(relay_grant_from_json(o, &back) == 0);
    require(strcmp(g.addr, back.addr) == 0 && g.port == back.port && g.side == back.side);
    require(g.alloc_id == back.alloc_id && memcmp(g.key, back.key, RELAY_KEY_LEN) == 0);
    json_decref(o);
}

static void wire(const uint8_t *p, size_t n)
{
    static const uint8_t key[RELAY_KEY_LEN] = {7}, other[RELAY_KEY_LEN] = {8};
    relay_msg_t m;
    (void)relay_wire_verify(p, n, key);
    if (relay_wire_parse(p, n, &m) < 0) return;
    require(n == RELAY_WIRE_LEN && !relay_wire_is_data(p, n) && m.side <= 1);
    uint8_t out[RELAY_WIRE_LEN];
    require(relay_wire_encode(&m, key, out) == RELAY_WIRE_LEN);
    require(memcmp(out, p, RELAY_MAC_OFF) == 0);
    require(relay_wire_verify(out, sizeof out, key));
    require(!relay_wire_verify(out, sizeof out, other));
    (void)relay_close_name(m.reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (data[0] & 1)
        wire(data + 1, size - 1);
    else
        grant(data + 1, size - 1);
    return 0;
}
