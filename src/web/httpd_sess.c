/* httpd_sess: see httpd_sess.h.
 *
 * A request is judged when its head is complete, before any body byte is
 * kept: framing (chunked → 411, too large → 413), the Host check without
 * auth, Basic auth, the route and its method, and cross-site refusal. A
 * refused request with a body is answered at once and the connection
 * closes (its body is never read); one without a body is answered at its
 * end and the connection lives on. */
#include "web/httpd_sess.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/addr.h"
#include "util/log.h"

/* ---- the site: auth token ----------------------------------------------- */

int httpd_site_auth(httpd_site_t *site, const char *user, const char *password)
{
    free(site->auth);
    site->auth = NULL;
    site->auth_len = 0;
    user = user ? user : "";
    password = password ? password : "";
    if (!user[0] && !password[0]) return 0;
    size_t ul = strlen(user), pl = strlen(password), n = ul + 1 + pl;
    char *plain = malloc(n + 1);
    char *enc = malloc(4 * ((n + 2) / 3) + 1);
    if (!plain || !enc) {
        free(plain);
        free(enc);
        return -1;
    }
    snprintf(plain, n + 1, "%s:%s", user, password);
    int len = EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)plain, (int)n);
    OPENSSL_cleanse(plain, n);
    free(plain);
    site->auth = enc;
    site->auth_len = (size_t)len;
    return 0;
}

void httpd_site_free(httpd_site_t *site)
{
    if (site->auth) OPENSSL_cleanse(site->auth, site->auth_len);
    free(site->auth);
    site->auth = NULL;
}

/* "Basic <token>" against the expected token, in time that does not depend
 * on where the token differs (RFC 7617 §2; the scheme is case-insensitive). */
static bool auth_ok(const httpd_site_t *site, const char *hdr)
{
    if (!hdr || strncasecmp(hdr, "Basic ", 6) != 0) return false;
    const char *tok = hdr + 6;
    while (*tok == ' ')
        tok++;
    size_t len = strlen(tok);
    while (len && tok[len - 1] == ' ')
        len--;
    if (len != site->auth_len) return false;
    return CRYPTO_memcmp(tok, site->auth, len) == 0;
}

bool httpd_site_auth_ok(const httpd_site_t *site, const char *authorization)
{
    return auth_ok(site, authorization);
}

/* ---- checks at the head ------------------------------------------------ */

/* Host is an IP literal or localhost, with or without a port: what a
 * browser sends for a loopback admin page, and never what a DNS rebinding
 * attack (a name of the attacker's, resolved to 127.0.0.1) can send. */
static bool host_is_literal(const char *host)
{
    char h[80];
    if (!host || !host[0] || strlen(host) >= sizeof h) return false;
    snprintf(h, sizeof h, "%s", host);
    char *colon = strchr(h, ':');
    if (h[0] == '[') { /* "[v6]" or "[v6]:port" */
        char *end = strchr(h, ']');
        if (!end || (end[1] && end[1] != ':')) return false;
        *end = '\0';
        memmove(h, h + 1, strlen(h + 1) + 1);
    } else if (colon && colon == strrchr(h, ':')) {
        *colon = '\0'; /* "host:port" */
    }
    struct sockaddr_storage ss;
    return strcasecmp(h, "localhost") == 0 || addr_parse(h, 0, &ss) == 0;
}

/* The host[:port] part of an Origin ("https://host:port"). */
static const char *origin_host(const char *origin)
{
    const char *p = strstr(origin, "://");
    return p ? p + 3 : origin;
}

/* A state-changing request from another site (RFC 6454 Origin, Fetch's
 * Sec-Fetch-Site): a browser on a page elsewhere could carry our cookies or
 * cached Basic credentials, so refuse it. Non-browser clients send neither
 * header and pass. */
static bool cross_site(const http_head_t *h)
{
    const char *site = http_head_get(h, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) return true;
    const char *origin = http_head_get(h, "Origin");
    if (!origin) return false;
    const char *host = http_head_get(h, "Host");
    return !host || strcasecmp(origin_host(origin), host) != 0;
}

static bool safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static bool route_matches_path(const httpd_route_t *r, const char *path)
{
    size_t n = strlen(r->path);
    if (n > 1 && r->path[n - 1] == '/') return strncmp(path, r->path, n) == 0;
    return strcmp(path, r->path) == 0;
}

static bool route_matches_method(const httpd_route_t *r, const char *m)
{
    if (!r->method || strcmp(r->method, m) == 0) return true;
    return strcmp(r->method, "GET") == 0 && strcmp(m, "HEAD") == 0;
}

/* The route for path and method; *path_known says whether some route had
 * the path (405 rather than 404). */
static const httpd_route_t *find_route(const httpd_site_t *site, const char *path,
                                       const char *method, bool *path_known)
{
    *path_known = false;
    for (int i = 0; i < site->n_routes; i++) {
        const httpd_route_t *r = &site->routes[i];
        if (!route_matches_path(r, path)) continue;
        *path_known = true;
        if (route_matches_method(r, method)) return r;
    }
    return NULL;
}

/* The target's path, copied without the query into buf; NULL when the
 * target is not origin-form ("/..."). */
static const char *split_target(const char *target, char *buf, size_t size, const char **query)
{
    if (target[0] != '/') return NULL;
    const char *q = strchr(target, '?');
    size_t n = q ? (size_t)(q - target) : strlen(target);
    if (n >= size) return NULL;
    memcpy(buf, target, n);
    buf[n] = '\0';
    *query = q ? q + 1 : "";
    return buf;
}

static void refuse(httpd_sess_t *s, int status, const char *msg)
{
    s->refuse = status;
    s->refuse_msg = msg;
}

static void judge_head(httpd_sess_t *s)
{
    const http_head_t *h = &s->msg.head;
    const char *method = llhttp_method_name((llhttp_method_t)h->method);
    const char *query;
    char path[1024];
    bool known;
    s->route = NULL;
    s->refuse = 0;
    if (!split_target(http_str(h, h->target), path, sizeof path, &query)) {
        refuse(s, 400, "bad request target");
        return;
    }
    if (h->has_body && http_head_get(h, "Transfer-Encoding")) {
        refuse(s, 411, "a body needs Content-Length");
        return;
    }
    if (h->has_body && s->msg.p.content_length > HTTPD_BODY_MAX) {
        refuse(s, 413, "request body too large");
        return;
    }
    const httpd_route_t *r = find_route(s->site, path, method, &known);
    bool public_route = r && (r->flags & HTTPD_ROUTE_PUBLIC);
    if (!s->site->auth && !host_is_literal(http_head_get(h, "Host"))) {
        refuse(s, 403, "Host must be an IP address or localhost when no password is set");
        return;
    }
    if (s->site->auth && !public_route && !auth_ok(s->site, http_head_get(h, "Authorization"))) {
        LOG_LIMITED(LOG_WARN, "%s request unauthorized peer=%s path=%s", s->site->what, s->peer,
                    LOG_ESC(path));
        refuse(s, 401, "authentication required");
        return;
    }
    if (!r) {
        refuse(s, known ? 405 : 404, known ? "method not allowed" : "not found");
        return;
    }
    if ((!safe_method(method) || (r->flags & HTTPD_ROUTE_MUTATES)) && cross_site(h)) {
        refuse(s, 403, "cross-site request refused");
        return;
    }
    s->route = r;
}

/* ---- answering --------------------------------------------------------- */

/* Writes r; false when the writer is full. Closes after it when the
 * request asked to, or when the session is done. */
static bool send_resp(httpd_sess_t *s, const httpd_resp_t *r)
{
    const http_head_t *h = &s->msg.head;
    bool head_only = s->msg.head_done && h->method == HTTP_HEAD;
    if (!h->keep_alive || h->minor == 0) s->done = true;
    strbuf_t out = {0};
    bool ok = httpd_resp_serialise(r, head_only, s->done, &out);
    bool more = ok ? s->out(s->out_ctx, out.p, out.len) : false;
    if (!ok) s->done = true;
    free(out.p);
    return more;
}

static bool send_error(httpd_sess_t *s, int status, const char *msg)
{
    httpd_resp_t r;
    httpd_resp_init(&r);
    httpd_resp_error(&r, status, msg);
    if (status == 401) {
        httpd_resp_header(&r, "WWW-Authenticate",
                          "Basic realm=\"" HTTPD_REALM "\", charset=\"UTF-8\"");
    }
    bool more = send_resp(s, &r);
    httpd_resp_free(&r);
    return more;
}

static bool dispatch(httpd_sess_t *s)
{
    const http_head_t *h = &s->msg.head;
    char path[1024];
    const char *query = "";
    split_target(http_str(h, h->target), path, sizeof path, &query);
    strbuf_put(&s->body, "", 0); /* NUL-terminated, even when empty */
    size_t plen = strlen(s->route->path);
    bool prefix = plen > 1 && s->route->path[plen - 1] == '/';
    httpd_req_t req = {
        .method = llhttp_method_name((llhttp_method_t)h->method),
        .path = path,
        .rest = prefix ? path + plen : "",
        .query = query,
        .head = h,
        .body = (const uint8_t *)(s->body.p ? s->body.p : ""),
        .body_len = s->body.len,
        .peer = s->peer,
    };
    httpd_resp_t r;
    httpd_resp_init(&r);
    s->route->fn(s->site->data, &req, &r);
    if (r.status == 0) httpd_resp_error(&r, 500, "no response");
    bool more = send_resp(s, &r);
    httpd_resp_free(&r);
    return more;
}

/* ---- events ------------------------------------------------------------ */

static void on_head(httpd_sess_t *s)
{
    const http_head_t *h = &s->msg.head;
    judge_head(s);
    if (s->refuse && h->has_body) { /* do not read a body we will not use */
        send_error(s, s->refuse, s->refuse_msg);
        s->done = true;
        return;
    }
    const char *expect = http_head_get(h, "Expect");
    if (h->has_body && expect && strcasecmp(expect, "100-continue") == 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        s->out(s->out_ctx, cont, sizeof cont - 1);
    }
}

/* The request is complete: answer it and get ready for the next. */
static bool on_end(httpd_sess_t *s)
{
    bool more = s->refuse ? send_error(s, s->refuse, s->refuse_msg) : dispatch(s);
    s->requests++;
    s->in_request = false;
    s->body.len = 0;
    s->route = NULL;
    s->refuse = 0;
    http_msg_next(&s->msg);
    return more;
}

void httpd_sess_init(httpd_sess_t *s, const httpd_site_t *site, httpd_out_fn out, void *ctx,
                     const char *peer)
{
    memset(s, 0, sizeof *s);
    s->site = site;
    s->out = out;
    s->out_ctx = ctx;
    s->peer = peer ? peer : "?";
    http_msg_init(&s->msg, HTTP_REQUEST);
}

void httpd_sess_free(httpd_sess_t *s)
{
    http_msg_free(&s->msg);
    free(s->body.p);
    s->body = (strbuf_t){0};
}

size_t httpd_sess_feed(httpd_sess_t *s, const uint8_t *p, size_t n)
{
    size_t used = 0;
    while (!s->done) {
        bool in_body = s->msg.in_body;
        int ev = HTTP_EV_NONE;
        long r = http_msg_feed(&s->msg, p + used, n - used, &ev);
        if (r < 0) {
            send_error(s, r == HTTP_ERR_TOO_LARGE ? 431 : 400, "malformed request");
            s->done = true;
            break;
        }
        if (r > 0) s->in_request = true;
        if (in_body && r > 0) strbuf_put(&s->body, (const char *)p + used, (size_t)r);
        used += (size_t)r;
        if (ev == HTTP_EV_HEAD) on_head(s);
        if (ev == HTTP_EV_END && !on_end(s)) break;
        if (ev == HTTP_EV_NONE) break;
    }
    if (s->body.failed) s->done = true;
    return used;
}

/* ---- query strings ----------------------------------------------------- */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) ('+' is a space, as in forms) into out. */
static bool decode(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '+') ch = ' ';
        if (ch == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            ch = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (o + 1 >= size) return false;
        out[o++] = ch;
    }
    out[o] = '\0';
    return true;
}

bool httpd_query_get(const char *query, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=')
            return decode(p + klen + 1, n - klen - 1, out, size);
        if (n == klen && strncmp(p, key, klen) == 0) return decode("", 0, out, size);
        p = end ? end + 1 : NULL;
    }
    return false;
}
