/* addr: see addr.h. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

const char *addr_ip(const struct sockaddr *sa, char *buf, size_t size)
{
    const void *raw = NULL;
    buf[0] = '\0';
    if (sa->sa_family == AF_INET)
        raw = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        raw = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (raw && !inet_ntop(sa->sa_family, raw, buf, (socklen_t)size)) buf[0] = '\0';
    return buf;
}

int addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return -1;
}

const char *addr_format(const struct sockaddr *sa, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];
    int port = addr_port(sa);
    if (port < 0 || !addr_ip(sa, ip, sizeof ip)[0])
        snprintf(buf, size, "?");
    else if (sa->sa_family == AF_INET6)
        snprintf(buf, size, "[%s]:%d", ip, port); /* RFC 3986 3.2.2 brackets */
    else
        snprintf(buf, size, "%s:%d", ip, port);
    return buf;
}

int addr_parse(const char *ip, int port, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (!ip || port < 0 || port > 65535) return UV_EINVAL;
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        return 0;
    }
    /* uv_ip6_addr also takes a "%scope" suffix; keep accepting it. */
    if (uv_ip6_addr(ip, port, a6) == 0) return 0;
    memset(out, 0, sizeof *out);
    return UV_EINVAL;
}

int addr_parse_text(const char *s, struct sockaddr_storage *out)
{
    char ip[INET6_ADDRSTRLEN];
    const char *colon;
    memset(out, 0, sizeof *out);
    if (!s) return UV_EINVAL;
    if (s[0] == '[') { /* RFC 3986 3.2.2: an IPv6 literal in brackets */
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof ip) return UV_EINVAL;
        memcpy(ip, s + 1, (size_t)(end - s - 1));
        ip[end - s - 1] = '\0';
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof ip) return UV_EINVAL;
        memcpy(ip, s, (size_t)(colon - s));
        ip[colon - s] = '\0';
    }
    char *endp;
    long port = strtol(colon + 1, &endp, 10);
    if (*endp || endp == colon + 1 || port < 0 || port > 65535) return UV_EINVAL;
    return addr_parse(ip, (int)port, out);
}

/* RFC 6890's special-purpose IPv4 blocks that are not reachable from the
 * internet, as (network, prefix length); the documentation blocks are left
 * out on purpose (see addr.h). */
static const struct {
    uint32_t net;
    int bits;
} v4_local[] = {
    {0x00000000u, 8},  /* "this network" */
    {0x0A000000u, 8},  /* 10/8, RFC 1918 */
    {0x64400000u, 10}, /* 100.64/10, shared address space (carrier NAT) */
    {0x7F000000u, 8},  /* loopback */
    {0xA9FE0000u, 16}, /* link-local */
    {0xAC100000u, 12}, /* 172.16/12, RFC 1918 */
    {0xC0000000u, 24}, /* IETF protocol assignments */
    {0xC0A80000u, 16}, /* 192.168/16, RFC 1918 */
    {0xC6120000u, 15}, /* benchmarking */
    {0xE0000000u, 3},  /* multicast, reserved, broadcast */
};

static bool v4_global(uint32_t ip)
{
    for (size_t i = 0; i < sizeof v4_local / sizeof v4_local[0]; i++) {
        uint32_t mask = 0xFFFFFFFFu << (32 - v4_local[i].bits);
        if ((ip & mask) == v4_local[i].net) return false;
    }
    return true;
}

bool addr_is_global(const struct sockaddr *sa)
{
    struct sockaddr_storage ss;
    addr_unmap_v4(sa, &ss);
    if (ss.ss_family == AF_INET)
        return v4_global(ntohl(((const struct sockaddr_in *)&ss)->sin_addr.s_addr));
    if (ss.ss_family != AF_INET6) return false;
    const uint8_t *b = ((const struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
    return (b[0] & 0xE0) == 0x20; /* 2000::/3, global unicast */
}

void addr_unmap_v4(const struct sockaddr *sa, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        memcpy(out, sa, sizeof(struct sockaddr_in));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            memcpy(out, sa, sizeof *s6);
            return;
        }
        struct sockaddr_in *s4 = (struct sockaddr_in *)out;
        s4->sin_family = AF_INET;
        s4->sin_port = s6->sin6_port;
        memcpy(&s4->sin_addr, s6->sin6_addr.s6_addr + 12, 4);
    }
}
