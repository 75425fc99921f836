/* socks5_msg: the SOCKS version 5 messages a server reads and writes
 * (RFC 1928) and the username/password sub-negotiation (RFC 1929). Pure:
 * bytes in, a struct out; the socks5 plugin (plugin_socks5.c) drives them.
 *
 * Every parser returns the bytes the message took, 0 when more are needed,
 * or a negative SOCKS5_ERR_*. Every message has a bounded size (the largest,
 * SOCKS5_MSG_MAX, is the RFC 1929 request), so a reader needs no more than
 * that much buffered to make progress. */
#ifndef BURROW_SOCKS5_MSG_H
#define BURROW_SOCKS5_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* RFC 1929 §2: 1 + 1 + 255 + 1 + 255. */
#define SOCKS5_MSG_MAX 513

/* RFC 1928 §3 method numbers. */
#define SOCKS5_METHOD_NONE 0x00
#define SOCKS5_METHOD_USERPASS 0x02
#define SOCKS5_METHOD_REFUSED 0xff

/* RFC 1928 §4 commands and address types. */
#define SOCKS5_CMD_CONNECT 0x01
#define SOCKS5_CMD_BIND 0x02
#define SOCKS5_CMD_UDP 0x03
#define SOCKS5_ATYP_IPV4 0x01
#define SOCKS5_ATYP_DOMAIN 0x03
#define SOCKS5_ATYP_IPV6 0x04

/* RFC 1928 §6 reply codes. */
#define SOCKS5_REP_OK 0x00
#define SOCKS5_REP_FAILURE 0x01
#define SOCKS5_REP_NOT_ALLOWED 0x02
#define SOCKS5_REP_NET_UNREACH 0x03
#define SOCKS5_REP_HOST_UNREACH 0x04
#define SOCKS5_REP_REFUSED 0x05
#define SOCKS5_REP_TTL 0x06
#define SOCKS5_REP_CMD 0x07
#define SOCKS5_REP_ATYP 0x08

enum {
    SOCKS5_ERR_VERSION = -1, /* not SOCKS 5 (or not RFC 1929 version 1) */
    SOCKS5_ERR_BAD = -2,     /* malformed: no methods, an empty or NUL-holding name */
    SOCKS5_ERR_ATYP = -3,    /* an address type RFC 1928 does not define: reply 0x08 */
};

/* The methods a client offers (RFC 1928 §3), as flags. */
#define SOCKS5_OFFERS_NONE (1u << 0)
#define SOCKS5_OFFERS_USERPASS (1u << 1)
long socks5_parse_greeting(const uint8_t *p, size_t len, unsigned *offers);

/* RFC 1929 §2: VER=1 ULEN UNAME PLEN PASSWD; NUL-terminated copies. */
typedef struct socks5_auth {
    char user[256], pass[256];
    uint8_t user_len, pass_len;
} socks5_auth_t;
long socks5_parse_auth(const uint8_t *p, size_t len, socks5_auth_t *out);

/* RFC 1928 §4: VER CMD RSV ATYP DST.ADDR DST.PORT. */
typedef struct socks5_req {
    uint8_t cmd, atyp;
    char host[256]; /* the domain name, or the address as text */
    uint8_t ip[16]; /* the address (IPv4 in the first 4 bytes); unused for a name */
    uint16_t port;
} socks5_req_t;
long socks5_parse_request(const uint8_t *p, size_t len, socks5_req_t *out);

/* The method selection (2 bytes), the RFC 1929 status (2 bytes) and a
 * request's reply (RFC 1928 §6: 10 bytes for IPv4 or no address, 22 for
 * IPv6), written into out; each returns its length. `bound` may be NULL
 * (0.0.0.0:0). */
size_t socks5_write_method(uint8_t out[2], uint8_t method);
size_t socks5_write_auth_status(uint8_t out[2], int ok);
#define SOCKS5_REPLY_MAX 22
size_t socks5_write_reply(uint8_t out[SOCKS5_REPLY_MAX], uint8_t rep, const struct sockaddr *bound);

/* "name:port", "1.2.3.4:port" or "[v6]:port" of a request, for logs. */
void socks5_req_target(const socks5_req_t *r, char *buf, size_t size);

#endif
