/* fuzz_httpd: the admin web server's request path without sockets — bytes
 * fed to one httpd_sess in chunks whose size the first byte picks, through
 * the checks (framing, Host, Basic auth, cross-site, route, method), body
 * accumulation and the answer, with a writer that sometimes says "full" so
 * that the resume path runs too. Two sites: with and without auth. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/httpd.h"
#include "web/httpd_sess.h"

static size_t g_written;
static unsigned g_full_every;

static bool sink(void *ctx, const void *p, size_t n)
{
    (void)ctx, (void)p;
    g_written += n;
    return g_full_every == 0 || (g_written % g_full_every) != 0;
}

static void h_json(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data;
    char v[64];
    httpd_query_get(req->query, "q", v, sizeof v);
    httpd_resp_json(
        r, 200,
        json_pack("{s:s,s:s%}", "rest", req->rest, "body", (const char *)req->body, req->body_len));
}

static void h_text(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data, (void)req;
    strbuf_t *b = httpd_resp_buf(r, 200, "text/plain");
    strbuf_put(b, "ok\n", 3);
    httpd_resp_header(r, "X-A", http_head_get(req->head, "X-A") ? "1" : "0");
}

static const httpd_route_t routes[] = {
    {"GET", "/api/", 0, h_json},
    {"PUT", "/api/config", 0, h_json},
    {"GET", "/api/reload", HTTPD_ROUTE_MUTATES, h_text},
    {NULL, "/any", 0, h_text},
    {"GET", "/pub", HTTPD_ROUTE_PUBLIC, h_text},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t chunk = (data[0] & 0x3f) + 1;
    bool with_auth = data[0] & 0x40;
    g_full_every = data[0] & 0x80 ? (data[1] | 1u) : 0;
    data += 2;
    size -= 2;
    httpd_site_t site = {routes, sizeof routes / sizeof routes[0], NULL, "fuzz", NULL, 0};
    if (with_auth) httpd_site_auth(&site, "u", "p");
    httpd_sess_t s;
    httpd_sess_init(&s, &site, sink, NULL, "192.0.2.1:1");
    size_t off = 0;
    while (off < size && !httpd_sess_done(&s)) {
        size_t n = size - off < chunk ? size - off : chunk;
        size_t used = httpd_sess_feed(&s, data + off, n);
        if (used == 0 && !httpd_sess_done(&s)) used = httpd_sess_feed(&s, data + off, n);
        if (used == 0) break; /* a full writer twice in a row: give up like a paused conn */
        off += used;
    }
    httpd_sess_free(&s);
    httpd_site_free(&site);
    return 0;
}
