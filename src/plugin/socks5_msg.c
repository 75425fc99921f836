/* socks5_msg: RFC 1928 and RFC 1929 messages (socks5_msg.h). Pure. */
#include "plugin/socks5_msg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* RFC 1928 §3: VER | NMETHODS | METHODS (1..255 bytes). */
long socks5_parse_greeting(const uint8_t *p, size_t len, unsigned *offers)
{
    *offers = 0;
    if (len < 1) return 0;
    if (p[0] != 5) return SOCKS5_ERR_VERSION;
    if (len < 2) return 0;
    size_t n = p[1];
    if (n == 0) return SOCKS5_ERR_BAD;
    if (len < 2 + n) return 0;
    for (size_t i = 0; i < n; i++) {
        if (p[2 + i] == SOCKS5_METHOD_NONE) *offers |= SOCKS5_OFFERS_NONE;
        if (p[2 + i] == SOCKS5_METHOD_USERPASS) *offers |= SOCKS5_OFFERS_USERPASS;
    }
    return (long)(2 + n);
}

/* One RFC 1929 length-prefixed field at p[*at]: copied NUL-terminated;
 * 0 need more, 1 done, <0 a NUL inside (no setting can hold one). */
static int take_field(const uint8_t *p, size_t len, size_t *at, char *out, uint8_t *out_len)
{
    if (*at >= len) return 0;
    size_t n = p[*at];
    if (len - *at - 1 < n) return 0;
    if (memchr(p + *at + 1, 0, n)) return SOCKS5_ERR_BAD;
    memcpy(out, p + *at + 1, n);
    out[n] = '\0';
    *out_len = (uint8_t)n;
    *at += 1 + n;
    return 1;
}

/* RFC 1929 §2: VER (1) | ULEN | UNAME | PLEN | PASSWD. */
long socks5_parse_auth(const uint8_t *p, size_t len, socks5_auth_t *out)
{
    memset(out, 0, sizeof *out);
    if (len < 1) return 0;
    if (p[0] != 1) return SOCKS5_ERR_VERSION;
    size_t at = 1;
    int r = take_field(p, len, &at, out->user, &out->user_len);
    if (r <= 0) return r;
    r = take_field(p, len, &at, out->pass, &out->pass_len);
    if (r <= 0) return r;
    return (long)at;
}

/* DST.ADDR of type atyp at p (len bytes after the 4-byte header): its size
 * with the port, 0 when more is needed, <0 bad. Fills host and ip. */
static long parse_addr(const uint8_t *p, size_t len, socks5_req_t *out)
{
    size_t n;
    switch (out->atyp) {
    case SOCKS5_ATYP_IPV4:
        if (len < 4 + 2) return 0;
        memcpy(out->ip, p, 4);
        inet_ntop(AF_INET, p, out->host, sizeof out->host);
        return 4 + 2;
    case SOCKS5_ATYP_IPV6:
        if (len < 16 + 2) return 0;
        memcpy(out->ip, p, 16);
        inet_ntop(AF_INET6, p, out->host, sizeof out->host);
        return 16 + 2;
    case SOCKS5_ATYP_DOMAIN:
        if (len < 1) return 0;
        n = p[0];
        if (n == 0) return SOCKS5_ERR_BAD;
        if (len < 1 + n + 2) return 0;
        if (memchr(p + 1, 0, n)) return SOCKS5_ERR_BAD;
        memcpy(out->host, p + 1, n);
        out->host[n] = '\0';
        return (long)(1 + n + 2);
    default:
        return SOCKS5_ERR_ATYP;
    }
}

/* RFC 1928 §4: VER | CMD | RSV | ATYP | DST.ADDR | DST.PORT. RSV is not
 * checked ("X'00'", but clients in the wild vary and it carries nothing). */
long socks5_parse_request(const uint8_t *p, size_t len, socks5_req_t *out)
{
    memset(out, 0, sizeof *out);
    if (len < 1) return 0;
    if (p[0] != 5) return SOCKS5_ERR_VERSION;
    if (len < 4) return 0;
    out->cmd = p[1];
    out->atyp = p[3];
    long n = parse_addr(p + 4, len - 4, out);
    if (n <= 0) return n;
    size_t end = 4 + (size_t)n;
    out->port = (uint16_t)(p[end - 2] << 8 | p[end - 1]);
    return (long)end;
}

size_t socks5_write_method(uint8_t out[2], uint8_t method)
{
    out[0] = 5;
    out[1] = method;
    return 2;
}

/* RFC 1929 §2: STATUS 0 is success, anything else failure. */
size_t socks5_write_auth_status(uint8_t out[2], int ok)
{
    out[0] = 1;
    out[1] = ok ? 0 : 1;
    return 2;
}

size_t socks5_write_reply(uint8_t out[SOCKS5_REPLY_MAX], uint8_t rep, const struct sockaddr *bound)
{
    out[0] = 5;
    out[1] = rep;
    out[2] = 0;
    if (bound && bound->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)bound;
        out[3] = SOCKS5_ATYP_IPV6;
        memcpy(out + 4, &a->sin6_addr, 16);
        memcpy(out + 20, &a->sin6_port, 2);
        return 22;
    }
    out[3] = SOCKS5_ATYP_IPV4;
    memset(out + 4, 0, 6);
    if (bound && bound->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)bound;
        memcpy(out + 4, &a->sin_addr, 4);
        memcpy(out + 8, &a->sin_port, 2);
    }
    return 10;
}

void socks5_req_target(const socks5_req_t *r, char *buf, size_t size)
{
    if (r->atyp == SOCKS5_ATYP_IPV6)
        snprintf(buf, size, "[%s]:%u", r->host, (unsigned)r->port);
    else
        snprintf(buf, size, "%s:%u", r->host, (unsigned)r->port);
}
