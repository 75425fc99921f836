/* http_proxy_req: a forward proxy's reading of a request head
 * (http_proxy_req.h). Pure: a parsed head in, text out. Host names are
 * held to letters, digits, '-', '.' and '_' and IPv6 literals to what
 * inet_pton takes, so nothing odd reaches a lookup or a log line. */
#include "plugin/http_proxy_req.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_rewrite.h"
#include "util/strbuf.h"

static bool host_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_';
}

/* "1".."65535", at most 5 digits. */
static bool parse_port(const char *s, size_t n, uint16_t *port)
{
    unsigned v = 0;
    if (n == 0 || n > 5) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v == 0 || v > 65535) return false;
    *port = (uint16_t)v;
    return true;
}

/* RFC 3986 §3.2.2 host: "[v6]" or a reg-name/IPv4 of host_char. */
static bool parse_host(const char *s, size_t n, char *out, size_t size)
{
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        uint8_t ip6[16];
        if (n - 2 >= size) return false;
        memcpy(out, s + 1, n - 2);
        out[n - 2] = '\0';
        return inet_pton(AF_INET6, out, ip6) == 1;
    }
    if (n == 0 || n >= size) return false;
    for (size_t i = 0; i < n; i++)
        if (!host_char(s[i])) return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

/* host[:port] (s, n bytes) into t; without a port, def (0: required). */
static bool parse_authority(const char *s, size_t n, uint16_t def, hp_target_t *t)
{
    const char *colon = NULL;
    const char *close = n && s[0] == '[' ? memchr(s, ']', n) : NULL;
    const char *from = close ? close : s;
    colon = memchr(from, ':', n - (size_t)(from - s));
    size_t host_len = colon ? (size_t)(colon - s) : n;
    if (n >= sizeof t->authority || !parse_host(s, host_len, t->host, sizeof t->host)) return false;
    if (colon) {
        if (!parse_port(colon + 1, n - host_len - 1, &t->port)) return false;
    } else {
        if (!def) return false;
        t->port = def;
    }
    memcpy(t->authority, s, n);
    t->authority[n] = '\0';
    return true;
}

/* "http://authority[/path][?query]" (RFC 9112 §3.2.2); no userinfo, no
 * fragment. */
static int parse_absolute(const char *u, hp_target_t *t)
{
    static const char http[] = "http://";
    if (strncasecmp(u, http, sizeof http - 1) != 0)
        return strncasecmp(u, "https://", 8) == 0 ? HP_ERR_SCHEME : HP_ERR_TARGET;
    const char *a = u + sizeof http - 1;
    size_t n = strcspn(a, "/?#@");
    if (a[n] == '@' || a[n] == '#' || strchr(a + n, '#')) return HP_ERR_TARGET;
    if (!parse_authority(a, n, 80, t)) return HP_ERR_TARGET;
    t->path = a + n;
    t->path_len = strlen(a + n);
    return 0;
}

int hp_parse_target(const http_head_t *h, hp_target_t *out)
{
    const char *u = http_str(h, h->target);
    memset(out, 0, sizeof *out);
    if (h->method == HTTP_CONNECT) {
        out->connect = true;
        return parse_authority(u, strlen(u), 0, out) ? 0 : HP_ERR_TARGET;
    }
    return parse_absolute(u, out);
}

bool hp_auth_ok(const http_head_t *h, const char *user, const char *password)
{
    return http_basic_value_ok(http_head_get(h, "Proxy-Authorization"), user, password);
}

/* RFC 9110 §7.6.1: these end at the proxy, as does any header the
 * Connection header names. Framing (Content-Length, Transfer-Encoding)
 * stays: the body is passed on as it came. */
static const char *const hop_headers[] = {
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
    "Proxy-Authorization",
    "Proxy-Authenticate",
    "TE",
    "Trailer",
    "Upgrade",
    "Host",
    NULL,
};

static bool framing(const char *name)
{
    return strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0;
}

/* Whether a Connection header of h lists `name` (comma-separated tokens). */
static bool named_by_connection(const http_head_t *h, const char *name)
{
    size_t want = strlen(name);
    for (int i = 0; i < h->n_hdr; i++) {
        if (strcasecmp(http_str(h, h->hdr[i].name), "Connection") != 0) continue;
        const char *v = http_str(h, h->hdr[i].value);
        while (*v) {
            v += strspn(v, " \t,");
            size_t n = strcspn(v, " \t,");
            if (n == want && strncasecmp(v, name, n) == 0) return true;
            v += n;
        }
    }
    return false;
}

static bool is_hop(const http_head_t *h, const char *name)
{
    for (const char *const *p = hop_headers; *p; p++)
        if (strcasecmp(*p, name) == 0) return true;
    return !framing(name) && named_by_connection(h, name);
}

static void put(strbuf_t *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

char *hp_origin_head(const http_head_t *h, const hp_target_t *t, size_t *len)
{
    strbuf_t b = {0};
    char line[32];
    put(&b, llhttp_method_name((llhttp_method_t)h->method));
    put(&b, " ");
    if (t->path_len == 0 || t->path[0] != '/') put(&b, "/");
    strbuf_put(&b, t->path, t->path_len);
    snprintf(line, sizeof line, " HTTP/%d.%d\r\n", h->major, h->minor);
    put(&b, line);
    put(&b, "Host: "); /* RFC 9112 §3.2.2: the URI's authority, not the Host received */
    put(&b, t->authority);
    put(&b, "\r\n");
    for (int i = 0; i < h->n_hdr; i++) {
        const char *name = http_str(h, h->hdr[i].name);
        if (is_hop(h, name)) continue;
        put(&b, name);
        put(&b, ": ");
        put(&b, http_str(h, h->hdr[i].value));
        put(&b, "\r\n");
    }
    put(&b, "Connection: close\r\n\r\n"); /* one request per connection */
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "Connection established";
    case 400:
        return "Bad Request";
    case 407:
        return "Proxy Authentication Required";
    case 502:
        return "Bad Gateway";
    case 504:
        return "Gateway Timeout";
    default:
        return "Error";
    }
}

char *hp_answer(int status, size_t *len)
{
    char *out = malloc(512);
    if (!out) return NULL;
    int n;
    if (status == 200) {
        /* RFC 9110 §9.3.6: no Content-Length on a 2xx to CONNECT. */
        n = snprintf(out, 512, "HTTP/1.1 200 %s\r\n\r\n", reason(status));
    } else {
        char body[96];
        int bn = snprintf(body, sizeof body, "%d %s\n", status, reason(status));
        n = snprintf(out, 512,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n%s\r\n%s",
                     status, reason(status), bn,
                     status == 407 ? "Proxy-Authenticate: Basic realm=\"" HP_REALM "\"\r\n" : "",
                     body);
    }
    *len = (size_t)n;
    return out;
}
