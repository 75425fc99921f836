/* httpd: a small HTTP/1.1 server for burrow's own web endpoints (the
 * server's dashboard and API, the client's admin API).
 *
 * One listener on addr:port, on the process's libuv loop. Requests are read
 * with http/http_head.h; a request body (Content-Length only; chunked bodies
 * get 411) is accumulated up to HTTPD_BODY_MAX (413 beyond). Connections are
 * keep-alive, capped at HTTPD_MAX_CONNS (newcomers are closed, with one log
 * line per window), and closed when a request takes longer than the request
 * timeout or a connection stays idle longer than the idle timeout. Optional
 * HTTPS (tls_cert_file/tls_key_file, net/conn_tls.c) and Basic auth (when a
 * user or password is set; compared in constant time; 401 with
 * WWW-Authenticate).
 *
 * Requests go to a route table {method, path, flags, handler} (variation by
 * table, no switch): a path ending in '/' matches as a prefix ("/" alone
 * exactly), any other exactly; the first route with the path wins; a GET route answers HEAD too.
 * Handlers run on the loop and fill the response before they return (httpd_resp_*); they must not
 * block. State-changing requests (any method but GET/HEAD, and routes flagged HTTPD_ROUTE_MUTATES)
 * sent cross-site (Origin or Sec-Fetch-Site says so) are refused with 403, and without auth the
 * Host header must name an IP address or localhost (DNS rebinding).
 *
 * Ownership: httpd_create() returns a server owned by the caller, who ends
 * it with httpd_destroy(); memory goes from the loop after every connection
 * closed. The route table and `data` are borrowed and must outlive the
 * server; strings in httpd_opts_t are copied. The request a handler sees,
 * and everything it points to, is borrowed for the call only. */
#ifndef BURROW_WEB_HTTPD_H
#define BURROW_WEB_HTTPD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http/http_head.h"
#include "util/strbuf.h"

#define HTTPD_BODY_MAX (1024 * 1024)   /* request body bound → 413 */
#define HTTPD_MAX_CONNS 64             /* connections at once (default) */
#define HTTPD_REQUEST_TIMEOUT_MS 10000 /* from a request's first byte to its end */
#define HTTPD_IDLE_TIMEOUT_MS 60000    /* between requests on a keep-alive conn */
#define HTTPD_REALM "burrow"           /* Basic auth realm */

typedef struct httpd httpd_t;
typedef struct httpd_resp httpd_resp_t;

/* A request, borrowed by the handler for the call. */
typedef struct httpd_req {
    const char *method;      /* "GET", "PUT", ... */
    const char *path;        /* the target's path, without the query */
    const char *rest;        /* path after the route's prefix ("" for exact routes) */
    const char *query;       /* after '?', "" when none */
    const http_head_t *head; /* all headers (http_head_get) */
    const uint8_t *body;     /* request body (NUL-terminated), body_len bytes */
    size_t body_len;
    const char *peer; /* "ip:port" */
} httpd_req_t;

typedef void (*httpd_handler_fn)(void *data, const httpd_req_t *req, httpd_resp_t *resp);

#define HTTPD_ROUTE_MUTATES (1u << 0) /* changes state even on GET: cross-site refused */
#define HTTPD_ROUTE_PUBLIC (1u << 1)  /* answered without auth */

typedef struct httpd_route {
    const char *method; /* "GET", "PUT", ...; NULL = any */
    const char *path;   /* exact, or a prefix when it ends in '/' ("/" is exact) */
    unsigned flags;     /* HTTPD_ROUTE_* */
    httpd_handler_fn fn;
} httpd_route_t;

typedef struct httpd_opts {
    const char *what; /* names it in log lines ("dashboard", "admin") */
    const char *addr; /* IP literal or "localhost" */
    int port;         /* 0 = any (tests; see httpd_port) */
    const char *user; /* Basic auth when user or password is non-empty */
    const char *password;
    const char *tls_cert_file, *tls_key_file; /* both (HTTPS) or neither */
    const httpd_route_t *routes;              /* borrowed */
    int n_routes;
    void *data;                  /* handed to every handler; borrowed */
    int max_conns;               /* 0 = HTTPD_MAX_CONNS */
    unsigned request_timeout_ms; /* 0 = HTTPD_REQUEST_TIMEOUT_MS */
    unsigned idle_timeout_ms;    /* 0 = HTTPD_IDLE_TIMEOUT_MS */
} httpd_opts_t;

/* Binds and listens. 0 and *out set, or a negative uv error after logging
 * why (bad address, port in use, TLS files unusable). */
int httpd_create(uv_loop_t *loop, const httpd_opts_t *opts, httpd_t **out);
/* Stops listening and closes every connection. NULL is a no-op. */
void httpd_destroy(httpd_t *h);
/* The bound port. */
int httpd_port(const httpd_t *h);
/* Connections open now. */
int httpd_conns(const httpd_t *h);

/* ---- responses: exactly one of these per request (the last call wins) -- */

/* Copies n bytes. */
void httpd_resp_bytes(httpd_resp_t *r, int status, const char *ctype, const void *p, size_t n);
/* Borrows p, which must outlive the server (assets compiled in). */
void httpd_resp_static(httpd_resp_t *r, int status, const char *ctype, const void *p, size_t n);
/* Serialises j (compact) as application/json and drops the reference
 * (steals j; NULL answers 500). */
void httpd_resp_json(httpd_resp_t *r, int status, json_t *j);
/* {"error": msg} as JSON. */
void httpd_resp_error(httpd_resp_t *r, int status, const char *msg);
/* A buffer to build the body in (text formats); the response is status and
 * ctype with whatever the caller puts in the buffer. */
strbuf_t *httpd_resp_buf(httpd_resp_t *r, int status, const char *ctype);
/* An extra response header (name and value must be safe, CR/LF-free text). */
void httpd_resp_header(httpd_resp_t *r, const char *name, const char *value);

/* The value of `key` in a query string ("a=1&b=x%20y"), percent-decoded into
 * out (size bytes). true when present and it fitted. */
bool httpd_query_get(const char *query, const char *key, char *out, size_t size);

#endif
