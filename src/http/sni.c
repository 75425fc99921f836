/* sni: see sni.h. Every length is checked against what is left before it
 * is used; a reader cursor (rd_t) keeps that in one place. */
#include "http/sni.h"

#include <stdbool.h>
#include <string.h>

#define REC_HDR 5
#define REC_MAX 16384 /* RFC 8446 §5.1: a plaintext record is at most 2^14 bytes */
#define HS_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define NAME_HOST 0

typedef struct rd {
    const uint8_t *p;
    size_t left;
    bool bad;
} rd_t;

static uint32_t rd_uint(rd_t *r, size_t n)
{
    uint32_t v = 0;
    if (r->bad || r->left < n) {
        r->bad = true;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        v = v << 8 | r->p[i];
    r->p += n;
    r->left -= n;
    return v;
}

/* A sub-reader over the next n bytes, which r skips. */
static rd_t rd_sub(rd_t *r, size_t n)
{
    rd_t s = {r->p, n, r->bad || r->left < n};
    if (s.bad) {
        r->bad = true;
        s.left = 0;
        return s;
    }
    r->p += n;
    r->left -= n;
    return s;
}

static bool valid_host(const uint8_t *s, size_t n)
{
    if (n == 0 || n > SNI_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
        if (!ok) return false;
    }
    return true;
}

/* RFC 6066 §3: ServerNameList; the first host_name entry counts. */
static int read_server_name(rd_t ext, char *name)
{
    rd_t list = rd_sub(&ext, rd_uint(&ext, 2));
    while (!list.bad && list.left > 0) {
        uint32_t type = rd_uint(&list, 1);
        rd_t n = rd_sub(&list, rd_uint(&list, 2));
        if (list.bad) break;
        if (type != NAME_HOST) continue;
        if (!valid_host(n.p, n.left)) return -1;
        for (size_t i = 0; i < n.left; i++) {
            char ch = (char)n.p[i];
            name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
        }
        name[n.left] = '\0';
        return 0;
    }
    return list.bad ? -1 : 0;
}

/* RFC 8446 §4.1.2: legacy_version, random, legacy_session_id,
 * cipher_suites, legacy_compression_methods, extensions. */
static int parse_hello(const uint8_t *p, size_t len, char *name)
{
    rd_t r = {p, len, false};
    rd_uint(&r, 2);
    rd_sub(&r, 32);
    rd_t sid = rd_sub(&r, rd_uint(&r, 1));
    rd_t suites = rd_sub(&r, rd_uint(&r, 2));
    rd_t comp = rd_sub(&r, rd_uint(&r, 1));
    if (r.bad || sid.left > 32 || suites.left < 2 || suites.left % 2 || comp.left < 1) return -1;
    if (r.left == 0) return 0; /* no extensions at all */
    rd_t exts = rd_sub(&r, rd_uint(&r, 2));
    if (r.bad || r.left != 0) return -1;
    while (exts.left > 0) {
        uint32_t type = rd_uint(&exts, 2);
        rd_t ext = rd_sub(&exts, rd_uint(&exts, 2));
        if (exts.bad) return -1;
        if (type == EXT_SERVER_NAME) return read_server_name(ext, name);
    }
    return 0;
}

long sni_parse(const uint8_t *p, size_t len, char name[SNI_NAME_MAX + 1])
{
    static uint8_t hs[SNI_MAX_HELLO]; /* one loop, one thread */
    size_t hs_len = 0, off = 0;
    name[0] = '\0';
    for (;;) {
        if (len - off < REC_HDR) return 0;
        const uint8_t *h = p + off;
        size_t rlen = (size_t)h[3] << 8 | h[4];
        if (h[0] != 0x16 || h[1] != 0x03 || rlen == 0 || rlen > REC_MAX) return -1;
        if (len - off - REC_HDR < rlen) return 0;
        size_t take = rlen < sizeof hs - hs_len ? rlen : sizeof hs - hs_len;
        memcpy(hs + hs_len, h + REC_HDR, take);
        hs_len += take;
        off += REC_HDR + rlen;
        if (hs_len < 4) continue;
        size_t mlen = (size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3];
        if (hs[0] != HS_CLIENT_HELLO || mlen + 4 > sizeof hs) return -1;
        if (hs_len < mlen + 4) {
            if (take < rlen) return -1;
            continue;
        }
        return parse_hello(hs + 4, mlen, name) == 0 ? (long)off : -1;
    }
}
