/* http_err: see http_err.h. */
#include "http/http_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct page {
    int status;
    const char *reason, *text;
} page_t;

static const page_t pages[] = {
    {400, "Bad Request", "The request could not be understood."},
    {401, "Unauthorized", "This site needs a user name and password."},
    {404, "Not Found", "No site is served for this host name here."},
    {408, "Request Timeout", "The request head did not arrive in time."},
    {431, "Request Header Fields Too Large", "The request head is too large."},
    {502, "Bad Gateway", "The site's server is not reachable right now."},
    {504, "Gateway Timeout", "The site's server did not answer in time."},
};

static const page_t *find(int status)
{
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (pages[i].status == status) return &pages[i];
    return &pages[0];
}

const char *http_err_reason(int status)
{
    return find(status)->reason;
}

char *http_err_response(int status, const char *body, size_t body_len, size_t *len)
{
    const page_t *pg = find(status);
    char page[512];
    if (!body) {
        int n = snprintf(page, sizeof page,
                         "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
                         "<body><h1>%d %s</h1>\n<p>%s</p>\n<hr><p>burrow</p></body></html>\n",
                         pg->status, pg->reason, pg->status, pg->reason, pg->text);
        body = page;
        body_len = (size_t)n;
    }
    const char *extra = status == 401 ? "WWW-Authenticate: Basic realm=\"burrow\"\r\n" : "";
    size_t cap = body_len + 256;
    char *out = malloc(cap);
    if (!out) return NULL;
    int h = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                     pg->status, pg->reason, body_len, extra);
    memcpy(out + h, body, body_len);
    *len = (size_t)h + body_len;
    return out;
}
