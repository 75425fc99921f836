/* httpd_sess: one HTTP/1.1 connection's requests and responses, without
 * sockets (httpd.c owns those; the fuzz target drives this directly).
 *
 * Bytes go in with httpd_sess_feed(); each complete request is checked
 * (size, auth, cross-site, route, method) and answered through the `out`
 * callback, in order (pipelining works). The session never blocks and
 * never holds more than one request: the body up to HTTPD_BODY_MAX and the
 * head up to HTTP_HEAD_MAX.
 *
 * Ownership: the site is borrowed (it outlives its sessions); the session is
 * the caller's memory, httpd_sess_init() it and httpd_sess_free() it. */
#ifndef BURROW_WEB_HTTPD_SESS_H
#define BURROW_WEB_HTTPD_SESS_H

#include "web/httpd.h"

/* A response being built by a handler (httpd.h's httpd_resp_*). */
struct httpd_resp {
    int status;              /* 0 until a handler answered */
    const char *ctype;       /* borrowed (a literal) */
    strbuf_t body;           /* owned */
    const uint8_t *borrowed; /* httpd_resp_static's bytes, instead of body */
    size_t borrowed_len;
    strbuf_t hdrs; /* extra "Name: value\r\n" lines */
};

void httpd_resp_init(httpd_resp_t *r);
void httpd_resp_free(httpd_resp_t *r);
/* Serialises status line, headers and (unless head_only) body into out;
 * close adds "Connection: close". false when out ran out of memory. */
bool httpd_resp_serialise(const httpd_resp_t *r, bool head_only, bool close, strbuf_t *out);
/* The reason phrase of a status code ("OK", "Not Found"; "Status" when unknown). */
const char *httpd_reason(int status);

/* What every session of one server shares. */
typedef struct httpd_site {
    const httpd_route_t *routes;
    int n_routes;
    void *data;
    const char *what;
    char *auth; /* expected "Basic <base64(user:password)>" token part; NULL = no auth */
    size_t auth_len;
} httpd_site_t;

/* Builds site->auth from user and password (either may be NULL or "");
 * 0 or -1 on allocation failure. httpd_site_free() releases it. */
int httpd_site_auth(httpd_site_t *site, const char *user, const char *password);
void httpd_site_free(httpd_site_t *site);
/* An Authorization header value against site->auth (constant time); also
 * used by the static_file plugin (plugin/sfile_sess.c). */
bool httpd_site_auth_ok(const httpd_site_t *site, const char *authorization);

/* Receives response bytes; returns true to keep feeding, false when the
 * writer is full (the session stops after the current response). */
typedef bool (*httpd_out_fn)(void *ctx, const void *p, size_t n);

typedef struct httpd_sess {
    http_msg_t msg;
    const httpd_site_t *site;
    httpd_out_fn out;
    void *out_ctx;
    const char *peer; /* borrowed */
    strbuf_t body;
    const httpd_route_t *route; /* of the request being read; NULL = refused */
    int refuse;                 /* status decided at the head, 0 = none */
    const char *refuse_msg;
    bool in_request; /* a request has started and is not answered yet */
    bool done;       /* the connection must close once output is flushed */
    unsigned long requests;
} httpd_sess_t;

void httpd_sess_init(httpd_sess_t *s, const httpd_site_t *site, httpd_out_fn out, void *ctx,
                     const char *peer);
void httpd_sess_free(httpd_sess_t *s);
/* Feeds bytes: returns how many were consumed. Fewer than n when the
 * writer said it was full (feed the rest after it drained) or when the
 * session is done (httpd_sess_done: close after flushing). */
size_t httpd_sess_feed(httpd_sess_t *s, const uint8_t *p, size_t n);
/* The peer closed its side: true when the connection should close now. */
static inline bool httpd_sess_done(const httpd_sess_t *s)
{
    return s->done;
}
/* Between requests (the idle timeout applies), rather than inside one. */
static inline bool httpd_sess_idle(const httpd_sess_t *s)
{
    return !s->in_request;
}

#endif
