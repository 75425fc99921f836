/* admin_http: the CLI's side of the client's admin API (`burrow status`,
 * `burrow reload`): one blocking HTTP/1.1 request over a TCP socket, as a
 * command line tool may (no event loop runs). Basic auth from
 * webServer.user/password; plain HTTP only (webServer.tls.* refused with a
 * clear message). Responses are bounded (ADMIN_HTTP_MAX) and the whole
 * exchange by ADMIN_HTTP_TIMEOUT_S. */
#ifndef BURROW_ADMIN_HTTP_H
#define BURROW_ADMIN_HTTP_H

#include <stddef.h>

#include "config/config.h"

#define ADMIN_HTTP_MAX (4 * 1024 * 1024)
#define ADMIN_HTTP_TIMEOUT_S 10

typedef struct admin_resp {
    int status; /* HTTP status */
    char *body; /* malloc'd, NUL-terminated; the caller frees it */
    size_t len;
} admin_resp_t;

/* method path to w's address. 0 and *out filled, or -1 with the reason in
 * err (connection refused, timeout, malformed answer). */
int admin_http(const web_cfg_t *w, const char *method, const char *path, const char *body,
               size_t body_len, admin_resp_t *out, char *err, size_t errlen);

#endif
