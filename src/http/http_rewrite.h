/* http_rewrite: the heads the http vhost writes, and its basic-auth check.
 * Pure: parsed heads (http_head.h) in, bytes out.
 *
 * A request head is rebuilt for the local service: Host replaced by
 * hostHeaderRewrite (if set), X-Forwarded-For appended with the client's
 * address, X-Real-IP, X-Forwarded-Host (the Host the client sent) and
 * X-Forwarded-Proto ("http") set, requestHeaders.set replacing any header
 * of the same name. A response head gets responseHeaders.set the same way
 * (not on 1xx interim responses). */
#ifndef BURROW_HTTP_REWRITE_H
#define BURROW_HTTP_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "http/http_head.h"

typedef struct http_rewrite {
    const char *host;              /* hostHeaderRewrite, or NULL */
    const header_list_t *req_set;  /* may be NULL */
    const header_list_t *resp_set; /* may be NULL */
    const char *proto;             /* X-Forwarded-Proto; NULL = "http" */
} http_rewrite_t;

/* malloc'd head ending in the blank line, its length in *len; NULL on
 * allocation failure. client_ip is the user's address without port. */
char *http_rewrite_request(const http_head_t *h, const http_rewrite_t *rw, const char *client_ip,
                           size_t *len);
char *http_rewrite_response(const http_head_t *h, const header_list_t *resp_set, size_t *len);

/* RFC 7617: true when Authorization carries Basic base64(user ":" password). */
bool http_basic_auth_ok(const http_head_t *h, const char *user, const char *password);
/* The same for a header's value (Proxy-Authorization, RFC 9110 §11.7.2); NULL: false. */
bool http_basic_value_ok(const char *value, const char *user, const char *password);

#endif
