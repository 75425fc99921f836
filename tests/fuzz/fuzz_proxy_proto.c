/* fuzz_proxy_proto: PROXY protocol headers from the addresses START_WORK
 * carries (peer-controlled strings). The input is "version byte, src NUL
 * dst". A header that comes out must fit PROXY_PROTO_MAX, have the framing
 * its version demands, and say what the addresses said: v1's text repeats
 * the ports, v2's binary carries them at fixed offsets (proxy-protocol.txt
 * §2.1, §2.2). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"
#include "http/proxy_proto.h"

static int port_of(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)a)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
}

static void check(int version, const char *src, const char *dst, const uint8_t *out, int n)
{
    struct sockaddr_storage s, d;
    require(n > 0 && n <= PROXY_PROTO_MAX);
    require(proxy_proto_addr(src, &s) == 0 && proxy_proto_addr(dst, &d) == 0);
    require(s.ss_family == d.ss_family);
    if (version == 1) {
        char tail[32];
        require(memcmp(out, "PROXY TCP", 9) == 0 && out[n - 2] == '\r' && out[n - 1] == '\n');
        require(memchr(out, '\0', (size_t)n) == NULL);
        snprintf(tail, sizeof tail, " %d %d\r\n", port_of(&s), port_of(&d));
        require((size_t)n > strlen(tail) &&
                memcmp(out + n - strlen(tail), tail, strlen(tail)) == 0);
        return;
    }
    require(out[12] == 0x21 && (size_t)n == 16u + ((size_t)out[14] << 8 | out[15]));
    size_t alen = s.ss_family == AF_INET ? 8 : 32;
    require(out[13] == (s.ss_family == AF_INET ? 0x11 : 0x21));
    require((out[16 + alen] << 8 | out[17 + alen]) == port_of(&s));
    require((out[18 + alen] << 8 | out[19 + alen]) == port_of(&d));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 512) return 0;
    char buf[514];
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    buf[size] = '\0';
    const char *src = buf, *dst = buf + strlen(buf) + 1;
    if (dst > buf + size - 1) dst = buf + size; /* no NUL in the input: dst is "" */
    int version = data[0] % 4;
    uint8_t out[PROXY_PROTO_MAX + 16];
    memset(out, 0xee, sizeof out);
    int n = proxy_proto_encode(version, src, dst, out);
    for (size_t i = PROXY_PROTO_MAX; i < sizeof out; i++)
        require(out[i] == 0xee); /* nothing past the promised maximum */
    if (n >= 0) {
        require(version == 1 || version == 2);
        check(version, src, dst, out, n);
    }
    struct sockaddr_storage a;
    (void)proxy_proto_addr(src, &a);
    (void)proxy_proto_addr(dst, &a);
    return 0;
}
