/* sfile_path: see sfile_path.h. */
#include "plugin/sfile_path.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes the path part of target (up to '?') into out. */
static int decode(const char *target, char *out, size_t size)
{
    size_t o = 0;
    for (const char *s = target; *s && *s != '?'; s++) {
        int ch = (unsigned char)*s;
        if (ch == '%') {
            int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
            if (lo < 0) return SFILE_PATH_BAD;
            ch = hi * 16 + lo;
            s += 2;
        }
        if (ch == 0) return SFILE_PATH_BAD;
        if (o + 1 >= size) return SFILE_PATH_TOO_LONG;
        out[o++] = (char)ch;
    }
    out[o] = '\0';
    return SFILE_PATH_OK;
}

/* "/<prefix>/" (the prefix without its own slashes) at the start of path:
 * the rest after it, or NULL. *exact when path is "/<prefix>" alone. */
static const char *strip(const char *path, const char *prefix, bool *exact)
{
    *exact = false;
    while (prefix && *prefix == '/')
        prefix++;
    size_t n = prefix ? strlen(prefix) : 0;
    while (n && prefix[n - 1] == '/')
        n--;
    if (n == 0) return path + 1;
    if (strncmp(path + 1, prefix, n) != 0) return NULL;
    if (path[1 + n] == '\0') *exact = true;
    return path[1 + n] == '/' ? path + 2 + n : NULL;
}

/* Joins the segments of rest into out, dropping "" and "."; ".." refused. */
static int join_segments(const char *rest, char *out, size_t size)
{
    size_t o = 0;
    while (*rest) {
        const char *end = strchr(rest, '/');
        size_t n = end ? (size_t)(end - rest) : strlen(rest);
        if (n == 2 && rest[0] == '.' && rest[1] == '.') return SFILE_PATH_DOTDOT;
        if (n > 0 && !(n == 1 && rest[0] == '.')) {
            if (o + n + 2 > size) return SFILE_PATH_TOO_LONG;
            if (o) out[o++] = '/';
            memcpy(out + o, rest, n);
            o += n;
        }
        rest += n;
        if (*rest == '/') rest++;
    }
    out[o] = '\0';
    return SFILE_PATH_OK;
}

int sfile_path_resolve(const char *target, const char *strip_prefix, char *out, size_t size,
                       bool *dir_slash)
{
    char dec[SFILE_PATH_MAX + 1];
    *dir_slash = false;
    if (size == 0) return SFILE_PATH_TOO_LONG;
    out[0] = '\0';
    if (target[0] != '/') return SFILE_PATH_BAD;
    int r = decode(target, dec, sizeof dec);
    if (r != SFILE_PATH_OK) return r;
    size_t n = strlen(dec);
    *dir_slash = dec[n - 1] == '/';
    bool exact;
    const char *rest = strip(dec, strip_prefix, &exact);
    if (exact) return SFILE_PATH_NO_SLASH;
    if (!rest) return SFILE_PATH_OUTSIDE;
    return join_segments(rest, out, size);
}

/* ---- Range ------------------------------------------------------------- */

/* A decimal number of at most 19 digits at *s; advances. false if none. */
static bool number(const char **s, uint64_t *v)
{
    const char *p = *s;
    uint64_t x = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (++digits > 19) return false;
        x = x * 10 + (uint64_t)(*p++ - '0');
    }
    if (!digits) return false;
    *s = p;
    *v = x;
    return true;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int sfile_range_parse(const char *hdr, uint64_t size, uint64_t *start, uint64_t *len)
{
    uint64_t a = 0, b = 0;
    if (!hdr || strncasecmp(hdr, "bytes=", 6) != 0) return SFILE_RANGE_NONE;
    const char *s = skip_ws(hdr + 6);
    bool has_a = number(&s, &a);
    if (*s++ != '-') return SFILE_RANGE_NONE;
    bool has_b = number(&s, &b);
    if (*skip_ws(s) != '\0') return SFILE_RANGE_NONE; /* several ranges, or junk */
    if (!has_a && !has_b) return SFILE_RANGE_NONE;
    if (!has_a) { /* suffix: the last b bytes (§14.1.2) */
        if (b == 0 || size == 0) return SFILE_RANGE_UNSAT;
        *len = b < size ? b : size;
        *start = size - *len;
        return SFILE_RANGE_OK;
    }
    if (has_b && b < a) return SFILE_RANGE_NONE; /* invalid: ignored */
    if (a >= size) return SFILE_RANGE_UNSAT;
    if (!has_b || b >= size) b = size - 1;
    *start = a;
    *len = b - a + 1;
    return SFILE_RANGE_OK;
}

/* ---- media types ------------------------------------------------------- */

typedef struct mime {
    const char *ext, *type;
} mime_t;

static const mime_t mimes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "text/xml; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
};

const char *sfile_mime(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot && dot[1])
        for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
            if (strcasecmp(dot + 1, mimes[i].ext) == 0) return mimes[i].type;
    return "application/octet-stream";
}

/* ---- the listing ------------------------------------------------------- */

void sfile_html_escape(strbuf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            strbuf_put(b, "&amp;", 5);
            break;
        case '<':
            strbuf_put(b, "&lt;", 4);
            break;
        case '>':
            strbuf_put(b, "&gt;", 4);
            break;
        case '"':
            strbuf_put(b, "&quot;", 6);
            break;
        case '\'':
            strbuf_put(b, "&#39;", 5);
            break;
        default:
            strbuf_put(b, s, 1);
        }
    }
}

void sfile_url_escape(strbuf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            strbuf_put(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            strbuf_put(b, e, 3);
        }
    }
}

static void put(strbuf_t *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

void sfile_listing(strbuf_t *b, const char *url_path, const sfile_entry_t *e, size_t n,
                   bool truncated)
{
    put(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
    sfile_html_escape(b, url_path);
    put(b, "</title></head>\n<body><h1>Index of ");
    sfile_html_escape(b, url_path);
    put(b, "</h1>\n<pre>\n<a href=\"../\">../</a>\n");
    for (size_t i = 0; i < n; i++) {
        /* "./" first: a name such as "a:b" must not read as a scheme. */
        put(b, "<a href=\"./");
        sfile_url_escape(b, e[i].name);
        put(b, e[i].is_dir ? "/\">" : "\">");
        sfile_html_escape(b, e[i].name);
        put(b, e[i].is_dir ? "/</a>\n" : "</a>\n");
    }
    if (truncated) put(b, "(more entries not shown)\n");
    put(b, "</pre>\n</body></html>\n");
}
