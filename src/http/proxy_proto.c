/* proxy_proto: see proxy_proto.h. Section numbers refer to HAProxy's
 * doc/proxy-protocol.txt. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/proxy_proto.h"
#include "net/addr.h"

/* §2.2: the 12-byte v2 signature */
static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

int proxy_proto_addr(const char *s, struct sockaddr_storage *out)
{
    return addr_parse_text(s, out) == 0 ? 0 : -1;
}

/* §2.1: "PROXY TCP4 <src> <dst> <sport> <dport>\r\n" */
static int encode_v1(const struct sockaddr_storage *s, const struct sockaddr_storage *d,
                     uint8_t *out)
{
    char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
    const struct sockaddr *ss = (const struct sockaddr *)s, *ds = (const struct sockaddr *)d;
    int sport = addr_port(ss), dport = addr_port(ds);
    const char *fam = s->ss_family == AF_INET ? "TCP4" : "TCP6";
    addr_ip(ss, sa, sizeof sa);
    addr_ip(ds, da, sizeof da);
    int n = snprintf((char *)out, PROXY_PROTO_MAX, "PROXY %s %s %s %d %d\r\n", fam, sa, da, sport,
                     dport);
    return n > 0 && n < PROXY_PROTO_MAX ? n : -1;
}

/* §2.2: signature, ver_cmd 0x21 (v2, PROXY), fam 0x11 (TCP4) / 0x21
 * (TCP6), length, then addresses and ports in network order. */
static int encode_v2(const struct sockaddr_storage *s, const struct sockaddr_storage *d,
                     uint8_t *out)
{
    memcpy(out, v2_sig, sizeof v2_sig);
    out[12] = 0x21;
    uint8_t *a = out + 16;
    if (s->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)s, *y = (const void *)d;
        out[13] = 0x11;
        memcpy(a, &x->sin_addr, 4);
        memcpy(a + 4, &y->sin_addr, 4);
        memcpy(a + 8, &x->sin_port, 2);
        memcpy(a + 10, &y->sin_port, 2);
        out[14] = 0;
        out[15] = 12;
        return 16 + 12;
    }
    const struct sockaddr_in6 *x = (const void *)s, *y = (const void *)d;
    out[13] = 0x21;
    memcpy(a, &x->sin6_addr, 16);
    memcpy(a + 16, &y->sin6_addr, 16);
    memcpy(a + 32, &x->sin6_port, 2);
    memcpy(a + 34, &y->sin6_port, 2);
    out[14] = 0;
    out[15] = 36;
    return 16 + 36;
}

int proxy_proto_encode(int version, const char *src, const char *dst, uint8_t *out)
{
    struct sockaddr_storage s, d;
    if (proxy_proto_addr(src, &s) != 0 || proxy_proto_addr(dst, &d) != 0) return -1;
    if (s.ss_family != d.ss_family) return -1;
    if (version == 1) return encode_v1(&s, &d, out);
    if (version == 2) return encode_v2(&s, &d, out);
    return -1;
}
