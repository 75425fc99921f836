/* fuzz_plugin_socks5: the SOCKS5 server's messages (plugin/socks5_msg.h)
 * in the order the socks5 plugin reads them: greeting, then (when the first
 * input byte says so) the RFC 1929 request, then the RFC 1928 request, each
 * from what is left of the input. Every message parsed must take no more
 * than was given and at most SOCKS5_MSG_MAX bytes; every shorter prefix of
 * it must ask for more (never parse as something else); the strings it
 * yields hold no NUL and fit; the reply written for any code has the
 * promised length. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_require.h"
#include "plugin/socks5_msg.h"

/* r = parse(p, n); then every prefix of the r bytes taken must say 0. */
#define CHECK_PREFIXES(call, r, n)                                                                 \
    do {                                                                                           \
        require((r) <= (long)(n) && (r) <= SOCKS5_MSG_MAX);                                        \
        for (size_t k_ = 0; (r) > 0 && k_ < (size_t)(r); k_++) {                                   \
            size_t len_ = k_;                                                                      \
            (void)len_;                                                                            \
            require((call) == 0);                                                                  \
        }                                                                                          \
    } while (0)

static size_t greeting(const uint8_t *p, size_t n)
{
    unsigned offers, scratch;
    long r = socks5_parse_greeting(p, n, &offers);
    CHECK_PREFIXES(socks5_parse_greeting(p, len_, &scratch), r, n);
    require(r <= 0 || r == 2 + p[1]);
    return r > 0 ? (size_t)r : 0;
}

static size_t auth(const uint8_t *p, size_t n)
{
    socks5_auth_t a, scratch;
    long r = socks5_parse_auth(p, n, &a);
    CHECK_PREFIXES(socks5_parse_auth(p, len_, &scratch), r, n);
    if (r > 0) {
        require(strlen(a.user) == a.user_len && strlen(a.pass) == a.pass_len);
        require((size_t)r == 3u + a.user_len + a.pass_len);
    }
    return r > 0 ? (size_t)r : 0;
}

static void request(const uint8_t *p, size_t n)
{
    socks5_req_t q, scratch;
    long r = socks5_parse_request(p, n, &q);
    CHECK_PREFIXES(socks5_parse_request(p, len_, &scratch), r, n);
    if (r <= 0) return;
    require(q.atyp == SOCKS5_ATYP_IPV4 || q.atyp == SOCKS5_ATYP_IPV6 ||
            q.atyp == SOCKS5_ATYP_DOMAIN);
    require(q.host[0] != '\0' && strlen(q.host) < sizeof q.host);
    require(q.port == (uint16_t)(p[r - 2] << 8 | p[r - 1]));
    char t[300];
    socks5_req_target(&q, t, sizeof t);
    require(strlen(t) > strlen(q.host));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    bool with_auth = data[0] & 1;
    const uint8_t *p = data + 1;
    size_t n = size - 1, used = greeting(p, n);
    if (used && with_auth) {
        size_t a = auth(p + used, n - used);
        used = a ? used + a : 0;
    }
    if (used) request(p + used, n - used);
    uint8_t out[SOCKS5_REPLY_MAX + 8];
    memset(out, 0xee, sizeof out);
    size_t w = socks5_write_reply(out, data[0], NULL);
    require(w == 10 && out[0] == 5 && out[1] == data[0] && out[SOCKS5_REPLY_MAX] == 0xee);
    return 0;
}
