/* http_rewrite: see http_rewrite.h. Heads are written into a growing
 * buffer; header names and values come from a parsed head (llhttp has
 * checked them) or from proxy settings (checked at registration), so no CR
 * or LF can be smuggled in here. */
#include "http/http_rewrite.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strbuf.h"

static void put_str(strbuf_t *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

static void put_header(strbuf_t *b, const char *name, const char *value)
{
    put_str(b, name);
    strbuf_put(b, ": ", 2);
    put_str(b, value);
    strbuf_put(b, "\r\n", 2);
}

static bool in_set(const header_list_t *l, const char *name)
{
    for (int i = 0; l && i < l->n; i++)
        if (strcasecmp(l->v[i].name, name) == 0) return true;
    return false;
}

static void put_set(strbuf_t *b, const header_list_t *l)
{
    for (int i = 0; l && i < l->n; i++)
        put_header(b, l->v[i].name, l->v[i].value);
}

static bool is_forwarding_header(const char *name)
{
    return strcasecmp(name, "X-Forwarded-For") == 0 || strcasecmp(name, "X-Real-IP") == 0 ||
           strcasecmp(name, "X-Forwarded-Host") == 0 || strcasecmp(name, "X-Forwarded-Proto") == 0;
}

static char *finish(strbuf_t *b, size_t *len)
{
    if (b->failed) {
        free(b->p);
        return NULL;
    }
    *len = b->len;
    return b->p;
}

char *http_rewrite_request(const http_head_t *h, const http_rewrite_t *rw, const char *client_ip,
                           size_t *len)
{
    strbuf_t b = {0};
    char line[64];
    const char *host = http_head_get(h, "Host");
    const char *xff = http_head_get(h, "X-Forwarded-For");
    put_str(&b, llhttp_method_name((llhttp_method_t)h->method));
    strbuf_put(&b, " ", 1);
    put_str(&b, http_str(h, h->target));
    snprintf(line, sizeof line, " HTTP/%d.%d\r\n", h->major, h->minor);
    put_str(&b, line);
    for (int i = 0; i < h->n_hdr; i++) {
        const char *name = http_str(h, h->hdr[i].name);
        if (is_forwarding_header(name) || in_set(rw->req_set, name)) continue;
        if (rw->host && strcasecmp(name, "Host") == 0)
            put_header(&b, "Host", rw->host);
        else
            put_header(&b, name, http_str(h, h->hdr[i].value));
    }
    /* RFC 7239 §5.2's older cousin: proxies append to the list. */
    put_str(&b, "X-Forwarded-For: ");
    if (xff && *xff) {
        put_str(&b, xff);
        strbuf_put(&b, ", ", 2);
    }
    put_str(&b, client_ip);
    strbuf_put(&b, "\r\n", 2);
    put_header(&b, "X-Real-IP", client_ip);
    if (host) put_header(&b, "X-Forwarded-Host", host);
    put_header(&b, "X-Forwarded-Proto", rw->proto ? rw->proto : "http");
    put_set(&b, rw->req_set);
    strbuf_put(&b, "\r\n", 2);
    return finish(&b, len);
}

char *http_rewrite_response(const http_head_t *h, const header_list_t *resp_set, size_t *len)
{
    strbuf_t b = {0};
    char line[64];
    bool interim = h->status < 200;
    snprintf(line, sizeof line, "HTTP/%d.%d %d ", h->major, h->minor, h->status);
    put_str(&b, line);
    put_str(&b, http_str(h, h->reason));
    strbuf_put(&b, "\r\n", 2);
    for (int i = 0; i < h->n_hdr; i++) {
        const char *name = http_str(h, h->hdr[i].name);
        if (!interim && in_set(resp_set, name)) continue;
        put_header(&b, name, http_str(h, h->hdr[i].value));
    }
    if (!interim) put_set(&b, resp_set);
    strbuf_put(&b, "\r\n", 2);
    return finish(&b, len);
}

bool http_basic_auth_ok(const http_head_t *h, const char *user, const char *password)
{
    return http_basic_value_ok(http_head_get(h, "Authorization"), user, password);
}

bool http_basic_value_ok(const char *a, const char *user, const char *password)
{
    if (!a || strncasecmp(a, "Basic ", 6) != 0) return false;
    a += 6;
    while (*a == ' ')
        a++;
    size_t n = strlen(a);
    unsigned char *dec = malloc(n + 4);
    if (!dec) return false;
    int got = EVP_DecodeBlock(dec, (const unsigned char *)a, (int)n);
    /* EVP_DecodeBlock counts '=' padding as decoded zero bytes. */
    while (got > 0 && n > 0 && a[n - 1] == '=') {
        n--;
        got--;
    }
    size_t ul = strlen(user), pl = strlen(password);
    bool ok = got >= 0 && (size_t)got == ul + 1 + pl && memcmp(dec, user, ul) == 0 &&
              dec[ul] == ':' && CRYPTO_memcmp(dec + ul + 1, password, pl) == 0;
    free(dec);
    return ok;
}
