/* http_err: the small HTML responses the vhost answers with itself (404
 * unknown host, 401 auth required, 502 backend down, 504 backend timeout,
 * 400/431 bad requests, 408 slow request head). Pure. */
#ifndef BURROW_HTTP_ERR_H
#define BURROW_HTTP_ERR_H

#include <stddef.h>

/* A whole response (status line, headers, body) for status, closing the
 * connection. body overrides the built-in page when non-NULL (custom404Page).
 * Returns a malloc'd buffer and its length in *len, or NULL. */
char *http_err_response(int status, const char *body, size_t body_len, size_t *len);

/* The reason phrase for the statuses above. */
const char *http_err_reason(int status);

#endif
