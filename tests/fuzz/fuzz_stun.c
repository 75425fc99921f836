/* fuzz_stun: the STUN codec (proto/stun.h) on any datagram. A message it
 * accepts is checked for integrity with a fixed key, answered the way the
 * server would (success and 420), and the answers must parse back with the
 * same transaction id and mapped address. */
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "proto/stun.h"

static void answer(const stun_msg_t *req)
{
    struct sockaddr_in6 mapped = {.sin6_family = AF_INET6, .sin6_port = htons(4242)};
    mapped.sin6_addr.s6_addr[0] = 0x20;
    struct sockaddr_in other = {.sin_family = AF_INET, .sin_port = htons(3479)};
    other.sin_addr.s_addr = htonl(0xCB00710B);
    stun_binding_reply_t r = {(struct sockaddr *)&mapped, (struct sockaddr *)&other,
                              (struct sockaddr *)&other, "fuzz"};
    uint8_t buf[512];
    stun_msg_t m;
    int n = stun_build_binding_success(buf, sizeof buf, req, &r);
    if (n <= 0 || stun_parse(buf, (size_t)n, &m) != n) abort();
    if (memcmp(m.id, req->id, STUN_ID_LEN) != 0) abort();
    const struct sockaddr_storage *got = req->classic ? &m.mapped : &m.xor_mapped;
    if (memcmp(got, &mapped, sizeof mapped) != 0) abort();
    n = stun_build_binding_error(
        buf, sizeof buf, req, 420, "Unknown Attribute", req->unknown,
        req->n_unknown < STUN_UNKNOWN_MAX ? req->n_unknown : STUN_UNKNOWN_MAX, "fuzz");
    if (n <= 0 || stun_parse(buf, (size_t)n, &m) != n || m.error_code != 420) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    stun_msg_t m;
    int n = stun_parse(data, size, &m);
    if (n < 0) return 0;
    if ((size_t)n != size) abort();
    if (m.software_len > STUN_SOFTWARE_MAX || m.n_reported > size) abort();
    (void)stun_check_integrity(data, &m, (const uint8_t *)"fuzz", 4);
    answer(&m);
    return 0;
}
