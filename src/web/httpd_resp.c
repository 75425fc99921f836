/* httpd_resp: building a response in a handler and serialising it.
 *
 * Every response carries the same defensive headers: no caching (answers
 * are live state), no MIME sniffing, no framing by other sites, no referrer,
 * and a Content-Security-Policy that allows only this origin's own scripts
 * and styles (the dashboard has no inline code). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/httpd_sess.h"

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {100, "Continue"},
    {200, "OK"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {422, "Unprocessable Content"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
};

const char *httpd_reason(int status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status) return reasons[i].reason;
    return "Status";
}

void httpd_resp_init(httpd_resp_t *r)
{
    memset(r, 0, sizeof *r);
}

void httpd_resp_free(httpd_resp_t *r)
{
    free(r->body.p);
    free(r->hdrs.p);
    memset(r, 0, sizeof *r);
}

/* Forgets an earlier answer's body: the last call wins. */
static void reset_body(httpd_resp_t *r, int status, const char *ctype)
{
    r->body.len = 0;
    r->borrowed = NULL;
    r->borrowed_len = 0;
    r->status = status;
    r->ctype = ctype;
}

void httpd_resp_bytes(httpd_resp_t *r, int status, const char *ctype, const void *p, size_t n)
{
    reset_body(r, status, ctype);
    strbuf_put(&r->body, p, n);
}

void httpd_resp_static(httpd_resp_t *r, int status, const char *ctype, const void *p, size_t n)
{
    reset_body(r, status, ctype);
    r->borrowed = p;
    r->borrowed_len = n;
}

strbuf_t *httpd_resp_buf(httpd_resp_t *r, int status, const char *ctype)
{
    reset_body(r, status, ctype);
    return &r->body;
}

void httpd_resp_json(httpd_resp_t *r, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        httpd_resp_bytes(r, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
        return;
    }
    httpd_resp_bytes(r, status, "application/json", text, strlen(text));
    free(text);
}

void httpd_resp_error(httpd_resp_t *r, int status, const char *msg)
{
    httpd_resp_json(r, status, json_pack("{s:s}", "error", msg ? msg : httpd_reason(status)));
}

void httpd_resp_header(httpd_resp_t *r, const char *name, const char *value)
{
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) return; /* never split the head */
    strbuf_put(&r->hdrs, name, strlen(name));
    strbuf_put(&r->hdrs, ": ", 2);
    strbuf_put(&r->hdrs, value, strlen(value));
    strbuf_put(&r->hdrs, "\r\n", 2);
}

static const char fixed_headers[] =
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; form-action 'self'\r\n";

bool httpd_resp_serialise(const httpd_resp_t *r, bool head_only, bool close, strbuf_t *out)
{
    const uint8_t *body = r->borrowed ? r->borrowed : (const uint8_t *)r->body.p;
    size_t len = r->borrowed ? r->borrowed_len : r->body.len;
    char line[256];
    int n =
        snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
                 r->status, httpd_reason(r->status), r->ctype ? r->ctype : "text/plain", len);
    strbuf_put(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    strbuf_put(out, fixed_headers, sizeof fixed_headers - 1);
    if (r->hdrs.len) strbuf_put(out, r->hdrs.p, r->hdrs.len);
    if (close) strbuf_put(out, "Connection: close\r\n", 19);
    strbuf_put(out, "\r\n", 2);
    if (!head_only && len) strbuf_put(out, (const char *)body, len);
    return !out->failed;
}
