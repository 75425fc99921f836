/* fuzz_punch_pkt: any datagram as an xtcp punch packet (p2p/punch_pkt.h)
 * under a fixed pair key (secret "k", nonces 00..1f and 20..3f, proxy
 * "fz.x"; seeds.py signs its seeds with it) and as a gathering answer
 * (p2p/gather.h). An accepted packet re-encodes to the same bytes (the MAC
 * covers everything else), and flipping any bit of it is refused. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p2p/gather.h"
#include "p2p/punch_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static punch_key_t key;
    static int keyed;
    if (!keyed) {
        uint8_t nv[32], no[32];
        for (int i = 0; i < 32; i++) {
            nv[i] = (uint8_t)i;
            no[i] = (uint8_t)(32 + i);
        }
        if (punch_derive("k", nv, no, "fz.x", &key) != 0) abort();
        keyed = 1;
    }
    punch_pkt_t pkt;
    int r = punch_pkt_parse(&key, data, size, &pkt);
    if (r > 0) {
        uint8_t again[PUNCH_PKT_LEN];
        if (r != PUNCH_PKT_LEN || punch_pkt_encode(&key, &pkt, again) != 0 ||
            memcmp(again, data, PUNCH_PKT_LEN) != 0)
            abort();
        again[size % PUNCH_PKT_LEN] ^= 0x80;
        if (punch_pkt_parse(&key, again, sizeof again, &pkt) > 0) abort();
    } else if (!punch_pkt_strerror(r)[0]) {
        abort();
    }
    gather_t g;
    struct sockaddr_in stun = {.sin_family = AF_INET, .sin_port = htons(3478)};
    uint8_t seed[2 * STUN_TID_LEN] = {0};
    if (size >= 2 * STUN_TID_LEN) memcpy(seed, data + size - sizeof seed, sizeof seed);
    gather_begin(&g, (struct sockaddr *)&stun, seed, 0);
    if (gather_on_datagram(&g, data, size, 1)) {
        cand_set_t set = {0};
        gather_result(&g, NULL, &set);
        if (set.n > 1) abort();
    }
    return 0;
}
