/* stun: see stun.h. The attribute walk dispatches through a table of
 * (type, reader); writers append one padded TLV at a time. */
#include "proto/stun.h"

#include <netinet/in.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v >> 16);
    wr16(p + 2, v);
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

uint32_t stun_crc32(const uint8_t *p, size_t n)
{
    /* Bitwise CRC-32, reflected polynomial 0xEDB88320: STUN messages are
     * short, so no table. */
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* RFC 8489 §5: M11..M7 C1 M6..M4 C0 M3..M0. */
uint16_t stun_type(uint16_t method, uint8_t cls)
{
    return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 |
                      (cls & 1) << 4 | (cls & 2) << 7);
}

static void split_type(uint16_t t, uint16_t *method, uint8_t *cls)
{
    *method = (uint16_t)((t & 0x000F) | (t & 0x00E0) >> 1 | (t & 0x3E00) >> 2);
    *cls = (uint8_t)((t & 0x0010) >> 4 | (t & 0x0100) >> 7);
}

const char *stun_strerror(int code)
{
    static const char *const names[] = {"ok",           "short",       "not-stun",
                                        "bad-attr",     "fingerprint", "integrity",
                                        "no-integrity", "no-space",    "bad-address"};
    if (code > 0) return "ok";
    if (-code < (int)(sizeof names / sizeof names[0])) return names[-code];
    return "unknown";
}

bool stun_is_stun(const uint8_t *p, size_t n)
{
    /* RFC 7983: first byte 0..3 is STUN; then the cookie and a length that
     * fills the datagram. */
    return n >= STUN_HDR_LEN && (p[0] & 0xC0) == 0 && rd32(p + 4) == STUN_MAGIC_COOKIE &&
           rd16(p + 2) % 4 == 0 && (size_t)rd16(p + 2) + STUN_HDR_LEN == n;
}

/* ---- HMAC-SHA1 ---------------------------------------------------------- */

static int hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *const *parts,
                     const size_t *lens, size_t n_parts, uint8_t out[STUN_HMAC_SHA1_LEN])
{
    static const uint8_t empty[1];
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    int ok = ctx && EVP_MAC_init(ctx, key_len ? key : empty, key_len, params) == 1;
    for (size_t i = 0; ok && i < n_parts; i++)
        ok = EVP_MAC_update(ctx, parts[i], lens[i]) == 1;
    ok =
        ok && EVP_MAC_final(ctx, out, &outl, STUN_HMAC_SHA1_LEN) == 1 && outl == STUN_HMAC_SHA1_LEN;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok ? 0 : -1;
}

int stun_check_integrity(const uint8_t *p, const stun_msg_t *m, const uint8_t *key, size_t key_len)
{
    if (!(m->has & STUN_HAS_INTEGRITY)) return STUN_E_NO_INTEGRITY;
    /* RFC 8489 §14.5: the HMAC covers everything before the attribute, with
     * the header's length counting up to the end of MESSAGE-INTEGRITY. */
    size_t at = m->integrity_at;
    uint8_t hdr[STUN_HDR_LEN], want[STUN_HMAC_SHA1_LEN];
    memcpy(hdr, p, STUN_HDR_LEN);
    wr16(hdr + 2, (uint32_t)(at + 4 + STUN_HMAC_SHA1_LEN - STUN_HDR_LEN));
    const uint8_t *parts[] = {hdr, p + STUN_HDR_LEN};
    size_t lens[] = {STUN_HDR_LEN, at - STUN_HDR_LEN};
    if (hmac_sha1(key, key_len, parts, lens, 2, want) != 0) return STUN_E_INTEGRITY;
    return CRYPTO_memcmp(want, p + at + 4, STUN_HMAC_SHA1_LEN) == 0 ? 0 : STUN_E_INTEGRITY;
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct attr {
    uint16_t type;
    const uint8_t *v; /* value */
    size_t n;         /* value length, unpadded */
    size_t at;        /* offset of the attribute header in the message */
} attr_t;

/* MAPPED-ADDRESS family (RFC 8489 §14.1). With `xor_key`, port and address
 * are XOR'd with the cookie and transaction id (§14.2). */
static int read_addr(const attr_t *a, const uint8_t *xor_key, struct sockaddr_storage *out)
{
    if (a->n < 4) return STUN_E_ATTR;
    uint8_t family = a->v[1];
    uint16_t port = rd16(a->v + 2);
    if (xor_key) port ^= rd16(xor_key);
    memset(out, 0, sizeof *out);
    if (family == 0x01 && a->n == 8) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)out;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        uint8_t *ip = (uint8_t *)&s4->sin_addr;
        for (int i = 0; i < 4; i++)
            ip[i] = a->v[4 + i] ^ (xor_key ? xor_key[i] : 0);
        return 0;
    }
    if (family == 0x02 && a->n == 20) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        for (int i = 0; i < 16; i++)
            s6->sin6_addr.s6_addr[i] = a->v[4 + i] ^ (xor_key ? xor_key[i] : 0);
        return 0;
    }
    return STUN_E_ATTR;
}

/* An address attribute into `out` unless one of the same kind came first. */
static int take_addr(stun_msg_t *m, const attr_t *a, unsigned flag, bool xored,
                     struct sockaddr_storage *out)
{
    if (m->has & flag) return 0;
    int r = read_addr(a, xored ? m->id : NULL, out);
    if (r == 0) m->has |= flag;
    return r;
}

static int on_mapped(stun_msg_t *m, const attr_t *a)
{
    return take_addr(m, a, STUN_HAS_MAPPED, false, &m->mapped);
}

static int on_xor_mapped(stun_msg_t *m, const attr_t *a)
{
    return take_addr(m, a, STUN_HAS_XOR_MAPPED, true, &m->xor_mapped);
}

/* OTHER-ADDRESS and RFC 3489's CHANGED-ADDRESS share a slot: the RFC 5780
 * one wins over the classic one whatever the order. */
static int on_other(stun_msg_t *m, const attr_t *a)
{
    if (a->type == STUN_ATTR_OTHER_ADDRESS) m->has &= ~STUN_HAS_OTHER;
    return take_addr(m, a, STUN_HAS_OTHER, false, &m->other);
}

static int on_origin(stun_msg_t *m, const attr_t *a)
{
    if (a->type == STUN_ATTR_RESPONSE_ORIGIN) m->has &= ~STUN_HAS_ORIGIN;
    return take_addr(m, a, STUN_HAS_ORIGIN, false, &m->origin);
}

static int on_change(stun_msg_t *m, const attr_t *a)
{
    if (a->n != 4) return STUN_E_ATTR;
    if (!(m->has & STUN_HAS_CHANGE)) m->change = rd32(a->v) & (STUN_CHANGE_IP | STUN_CHANGE_PORT);
    m->has |= STUN_HAS_CHANGE;
    return 0;
}

static int on_software(stun_msg_t *m, const attr_t *a)
{
    if (a->n > STUN_SOFTWARE_MAX) return STUN_E_ATTR;
    if (m->has & STUN_HAS_SOFTWARE) return 0;
    m->software = a->v;
    m->software_len = a->n;
    m->has |= STUN_HAS_SOFTWARE;
    return 0;
}

/* ERROR-CODE (RFC 8489 §14.8): 21 reserved bits, class 3..6, number 0..99. */
static int on_error(stun_msg_t *m, const attr_t *a)
{
    if (a->n < 4 || a->n > 4 + STUN_SOFTWARE_MAX) return STUN_E_ATTR;
    int cls = a->v[2] & 0x07, num = a->v[3];
    if (cls < 3 || cls > 6 || num > 99) return STUN_E_ATTR;
    if (m->has & STUN_HAS_ERROR) return 0;
    m->error_code = cls * 100 + num;
    m->reason = a->v + 4;
    m->reason_len = a->n - 4;
    m->has |= STUN_HAS_ERROR;
    return 0;
}

static int on_unknown_attrs(stun_msg_t *m, const attr_t *a)
{
    if (a->n % 2) return STUN_E_ATTR;
    if (m->has & STUN_HAS_UNKNOWN_ATTRS) return 0;
    m->n_reported = a->n / 2;
    for (size_t i = 0; i < m->n_reported && i < STUN_UNKNOWN_MAX; i++)
        m->reported[i] = rd16(a->v + 2 * i);
    m->has |= STUN_HAS_UNKNOWN_ATTRS;
    return 0;
}

static int on_integrity(stun_msg_t *m, const attr_t *a)
{
    if (a->n != STUN_HMAC_SHA1_LEN) return STUN_E_ATTR;
    m->integrity_at = a->at;
    m->has |= STUN_HAS_INTEGRITY;
    return 0;
}

static int on_padding(stun_msg_t *m, const attr_t *a)
{
    m->padding_len += a->n;
    m->has |= STUN_HAS_PADDING;
    return 0;
}

/* RESPONSE-PORT (RFC 5780 §7.5): port, then 2 bytes of padding. */
static int on_response_port(stun_msg_t *m, const attr_t *a)
{
    if (a->n != 4) return STUN_E_ATTR;
    if (!(m->has & STUN_HAS_RESPONSE_PORT)) m->response_port = rd16(a->v);
    m->has |= STUN_HAS_RESPONSE_PORT;
    return 0;
}

/* Known, but nothing to keep: the codec does no long-term auth. */
static int on_ignored(stun_msg_t *m, const attr_t *a)
{
    (void)m;
    (void)a;
    return 0;
}

typedef int (*attr_reader_fn)(stun_msg_t *m, const attr_t *a);

static const struct {
    uint16_t type;
    attr_reader_fn read;
} readers[] = {
    {STUN_ATTR_MAPPED_ADDRESS, on_mapped},
    {STUN_ATTR_RESPONSE_ADDRESS, on_ignored},
    {STUN_ATTR_CHANGE_REQUEST, on_change},
    {STUN_ATTR_SOURCE_ADDRESS, on_origin},
    {STUN_ATTR_CHANGED_ADDRESS, on_other},
    {STUN_ATTR_USERNAME, on_ignored},
    {STUN_ATTR_MESSAGE_INTEGRITY, on_integrity},
    {STUN_ATTR_ERROR_CODE, on_error},
    {STUN_ATTR_UNKNOWN_ATTRIBUTES, on_unknown_attrs},
    {STUN_ATTR_REALM, on_ignored},
    {STUN_ATTR_NONCE, on_ignored},
    {STUN_ATTR_MESSAGE_INTEGRITY_SHA256, on_ignored},
    {STUN_ATTR_XOR_MAPPED_ADDRESS, on_xor_mapped},
    {STUN_ATTR_PADDING, on_padding},
    {STUN_ATTR_RESPONSE_PORT, on_response_port},
    {STUN_ATTR_SOFTWARE, on_software},
    {STUN_ATTR_RESPONSE_ORIGIN, on_origin},
    {STUN_ATTR_OTHER_ADDRESS, on_other},
};

static int read_attr(stun_msg_t *m, const attr_t *a)
{
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (readers[i].type == a->type) return readers[i].read(m, a);
    /* RFC 8489 §14: comprehension-required ones the agent does not know
     * are reported (a server answers 420); optional ones are skipped. */
    if (a->type < 0x8000) {
        if (m->n_unknown < STUN_UNKNOWN_MAX) m->unknown[m->n_unknown] = a->type;
        m->n_unknown++;
    }
    return 0;
}

/* FINGERPRINT (RFC 8489 §14.7): last, CRC-32 of all before it ^ 0x5354554e. */
static int check_fingerprint(const uint8_t *p, stun_msg_t *m, const attr_t *a)
{
    if (a->n != 4 || a->at + 8 != m->len) return STUN_E_FINGERPRINT;
    if ((stun_crc32(p, a->at) ^ STUN_FINGERPRINT_XOR) != rd32(a->v)) return STUN_E_FINGERPRINT;
    m->has |= STUN_HAS_FINGERPRINT;
    return 0;
}

static int parse_header(const uint8_t *p, size_t n, stun_msg_t *m)
{
    if (n < STUN_HDR_LEN) return STUN_E_SHORT;
    size_t body = rd16(p + 2);
    if ((p[0] & 0xC0) != 0 || body % 4 != 0) return STUN_E_NOT_STUN;
    if (STUN_HDR_LEN + body > n) return STUN_E_SHORT;
    if (STUN_HDR_LEN + body < n) return STUN_E_NOT_STUN;
    m->type = rd16(p) & 0x3FFF;
    split_type(m->type, &m->method, &m->cls);
    m->len = STUN_HDR_LEN + body;
    memcpy(m->id, p + 4, STUN_ID_LEN);
    m->classic = rd32(p + 4) != STUN_MAGIC_COOKIE;
    return 0;
}

int stun_parse(const uint8_t *p, size_t n, stun_msg_t *m)
{
    memset(m, 0, sizeof *m);
    int r = parse_header(p, n, m);
    if (r != 0) return r;
    for (size_t at = STUN_HDR_LEN; at < m->len;) {
        if (m->len - at < 4) return STUN_E_ATTR;
        attr_t a = {.type = rd16(p + at), .n = rd16(p + at + 2), .v = p + at + 4, .at = at};
        if (pad4(a.n) > m->len - at - 4) return STUN_E_ATTR;
        if (a.type == STUN_ATTR_FINGERPRINT)
            r = check_fingerprint(p, m, &a);
        else if (!(m->has & STUN_HAS_INTEGRITY)) /* §14.5: ignore what follows MI */
            r = read_attr(m, &a);
        if (r != 0) return r;
        at += 4 + pad4(a.n);
    }
    return (int)m->len;
}

/* ---- writing ------------------------------------------------------------ */

void stun_w_begin(stun_writer_t *w, uint8_t *buf, size_t cap, uint16_t type,
                  const uint8_t id[STUN_ID_LEN])
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
    if (cap < STUN_HDR_LEN) {
        w->err = STUN_E_SPACE;
        return;
    }
    wr16(buf, type & 0x3FFF);
    wr16(buf + 2, 0);
    memcpy(buf + 4, id, STUN_ID_LEN);
    w->len = STUN_HDR_LEN;
}

/* Room for an attribute of n value bytes, header and padding included; the
 * header's length already counts it. NULL when it does not fit. */
static uint8_t *w_reserve(stun_writer_t *w, uint16_t type, size_t n)
{
    if (w->err) return NULL;
    if (n > 0xFFFF || w->cap - w->len < 4 + pad4(n) ||
        w->len - STUN_HDR_LEN + 4 + pad4(n) > 0xFFFF) {
        w->err = STUN_E_SPACE;
        return NULL;
    }
    uint8_t *at = w->buf + w->len;
    wr16(at, type);
    wr16(at + 2, (uint32_t)n);
    memset(at + 4 + n, 0, pad4(n) - n);
    w->len += 4 + pad4(n);
    wr16(w->buf + 2, (uint32_t)(w->len - STUN_HDR_LEN));
    return at + 4;
}

void stun_w_attr(stun_writer_t *w, uint16_t type, const void *value, size_t n)
{
    uint8_t *v = w_reserve(w, type, n);
    if (v && n) memcpy(v, value, n);
}

void stun_w_u32(stun_writer_t *w, uint16_t type, uint32_t x)
{
    uint8_t v[4];
    wr32(v, x);
    stun_w_attr(w, type, v, 4);
}

static void w_addr(stun_writer_t *w, uint16_t type, const struct sockaddr *sa, bool xored)
{
    uint8_t v[20] = {0};
    const uint8_t *ip;
    size_t ip_len;
    uint16_t port;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        v[1] = 0x01, ip = (const uint8_t *)&s4->sin_addr, ip_len = 4, port = ntohs(s4->sin_port);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        v[1] = 0x02, ip = s6->sin6_addr.s6_addr, ip_len = 16, port = ntohs(s6->sin6_port);
    } else {
        if (!w->err) w->err = STUN_E_ARG;
        return;
    }
    /* XOR key: the 16 bytes after the length, already in the header. */
    const uint8_t *key = w->len >= STUN_HDR_LEN ? w->buf + 4 : v;
    wr16(v + 2, xored ? port ^ rd16(key) : port);
    for (size_t i = 0; i < ip_len; i++)
        v[4 + i] = ip[i] ^ (xored ? key[i] : 0);
    stun_w_attr(w, type, v, 4 + ip_len);
}

void stun_w_addr(stun_writer_t *w, uint16_t type, const struct sockaddr *sa)
{
    w_addr(w, type, sa, false);
}

void stun_w_xor_addr(stun_writer_t *w, uint16_t type, const struct sockaddr *sa)
{
    w_addr(w, type, sa, true);
}

void stun_w_error(stun_writer_t *w, int code, const char *reason)
{
    size_t rn = reason ? strnlen(reason, STUN_SOFTWARE_MAX) : 0;
    if (code < 300 || code > 699) code = 500;
    uint8_t *v = w_reserve(w, STUN_ATTR_ERROR_CODE, 4 + rn);
    if (!v) return;
    v[0] = v[1] = 0;
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    if (rn) memcpy(v + 4, reason, rn);
}

void stun_w_unknown(stun_writer_t *w, const uint16_t *types, size_t n)
{
    uint8_t *v = w_reserve(w, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);
    for (size_t i = 0; v && i < n; i++)
        wr16(v + 2 * i, types[i]);
}

void stun_w_integrity(stun_writer_t *w, const uint8_t *key, size_t key_len)
{
    size_t before = w->len;
    uint8_t *v = w_reserve(w, STUN_ATTR_MESSAGE_INTEGRITY, STUN_HMAC_SHA1_LEN);
    if (!v) return;
    /* The header already counts this attribute, as §14.5 wants. */
    const uint8_t *parts[] = {w->buf};
    size_t lens[] = {before};
    if (hmac_sha1(key, key_len, parts, lens, 1, v) != 0) w->err = STUN_E_SPACE;
}

void stun_w_fingerprint(stun_writer_t *w)
{
    size_t before = w->len;
    uint8_t *v = w_reserve(w, STUN_ATTR_FINGERPRINT, 4);
    if (v) wr32(v, stun_crc32(w->buf, before) ^ STUN_FINGERPRINT_XOR);
}

int stun_w_end(const stun_writer_t *w)
{
    return w->err ? w->err : (int)w->len;
}

/* ---- Binding ------------------------------------------------------------ */

int stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t tid[STUN_TID_LEN],
                               uint32_t change, const char *software)
{
    uint8_t id[STUN_ID_LEN];
    wr32(id, STUN_MAGIC_COOKIE);
    memcpy(id + 4, tid, STUN_TID_LEN);
    stun_writer_t w;
    stun_w_begin(&w, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), id);
    if (change) stun_w_u32(&w, STUN_ATTR_CHANGE_REQUEST, change);
    if (software) stun_w_attr(&w, STUN_ATTR_SOFTWARE, software, strnlen(software, 127));
    stun_w_fingerprint(&w);
    return stun_w_end(&w);
}

int stun_build_binding_success(uint8_t *buf, size_t cap, const stun_msg_t *req,
                               const stun_binding_reply_t *r)
{
    stun_writer_t w;
    stun_w_begin(&w, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), req->id);
    if (req->classic) {
        /* RFC 3489 §11.2: MAPPED-ADDRESS, SOURCE-ADDRESS, CHANGED-ADDRESS. */
        stun_w_addr(&w, STUN_ATTR_MAPPED_ADDRESS, r->mapped);
        if (r->origin) stun_w_addr(&w, STUN_ATTR_SOURCE_ADDRESS, r->origin);
        if (r->other) stun_w_addr(&w, STUN_ATTR_CHANGED_ADDRESS, r->other);
        return stun_w_end(&w);
    }
    stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, r->mapped);
    if (r->other) stun_w_addr(&w, STUN_ATTR_OTHER_ADDRESS, r->other);
    if (r->origin) stun_w_addr(&w, STUN_ATTR_RESPONSE_ORIGIN, r->origin);
    if (r->software) stun_w_attr(&w, STUN_ATTR_SOFTWARE, r->software, strnlen(r->software, 127));
    stun_w_fingerprint(&w);
    return stun_w_end(&w);
}

int stun_build_binding_error(uint8_t *buf, size_t cap, const stun_msg_t *req, int code,
                             const char *reason, const uint16_t *unknown, size_t n_unknown,
                             const char *software)
{
    stun_writer_t w;
    stun_w_begin(&w, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_ERROR), req->id);
    stun_w_error(&w, code, reason);
    if (n_unknown) stun_w_unknown(&w, unknown, n_unknown);
    if (!req->classic && software)
        stun_w_attr(&w, STUN_ATTR_SOFTWARE, software, strnlen(software, 127));
    if (!req->classic) stun_w_fingerprint(&w);
    return stun_w_end(&w);
}
