/* http_proxy_req: what an HTTP forward proxy makes of a request head
 * (parsed by http/http_head.h): the target of a CONNECT (authority-form,
 * RFC 9110 §9.3.6) or of a plain request (absolute-form "http://...",
 * RFC 9112 §3.2.2), the proxy's Basic credentials (Proxy-Authorization,
 * RFC 9110 §11.7.2), the head to send to the origin (origin-form target,
 * Host from the URI, hop-by-hop headers and the credentials removed,
 * "Connection: close") and the proxy's own short answers (200 for CONNECT,
 * 400, 407 with Proxy-Authenticate, 502, 504). Pure. */
#ifndef BURROW_HTTP_PROXY_REQ_H
#define BURROW_HTTP_PROXY_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_head.h"

#define HP_REALM "burrow"

typedef struct hp_target {
    bool connect;        /* CONNECT: a tunnel; else one forwarded request */
    char host[256];      /* a name, an IPv4 or an IPv6 literal (no brackets) */
    uint16_t port;       /* 80 by default for http:// */
    char authority[300]; /* "host[:port]" as the Host header gets it */
    const char *path;    /* plain: the origin-form target ("/" at least), inside the head */
    size_t path_len;
} hp_target_t;

enum {
    HP_ERR_TARGET = -1, /* not authority-form for CONNECT, not http:// absolute-form otherwise */
    HP_ERR_SCHEME = -2, /* an absolute URI of another scheme (https:// needs CONNECT) */
};

/* The target of head h. 0, or a negative HP_ERR_* (answer 400). */
int hp_parse_target(const http_head_t *h, hp_target_t *out);

/* Whether h carries user:password in Proxy-Authorization (Basic). */
bool hp_auth_ok(const http_head_t *h, const char *user, const char *password);

/* The head for the origin (plain requests): malloc'd, its length in *len;
 * NULL when out of memory. */
char *hp_origin_head(const http_head_t *h, const hp_target_t *t, size_t *len);

/* The proxy's own answer with status 200 (CONNECT established), 400, 407,
 * 502 or 504: malloc'd, its length in *len; NULL when out of memory. */
char *hp_answer(int status, size_t *len);

#endif
