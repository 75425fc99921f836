/* frame: see frame.h. */
#include "proto/frame.h"

#include <stdlib.h>
#include <string.h>

static uint32_t read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

ssize_t frame_decode(const uint8_t *p, size_t n, frame_t *out)
{
    if (n < FRAME_HDR_LEN) return 0;
    uint32_t len = read_be32(p);
    /* Reject before waiting for the body: an oversized length must never make
     * us buffer or allocate. */
    if (len > FRAME_MAX_PAYLOAD) return FRAME_ERR_TOO_LARGE;
    if (n - FRAME_HDR_LEN < len) return 0;
    out->type = p[4];
    out->len = len;
    out->payload = p + FRAME_HDR_LEN;
    return (ssize_t)(FRAME_HDR_LEN + len);
}

void frame_encode_header(uint8_t hdr[FRAME_HDR_LEN], uint8_t type, uint32_t len)
{
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
    hdr[4] = type;
}

static int framer_reserve(framer_t *fr, size_t need)
{
    if (need <= fr->cap) return 0;
    size_t cap = fr->cap ? fr->cap : 512;
    while (cap < need)
        cap *= 2;
    if (cap > FRAME_HDR_LEN + FRAME_MAX_PAYLOAD) cap = FRAME_HDR_LEN + FRAME_MAX_PAYLOAD;
    uint8_t *nb = realloc(fr->buf, cap);
    if (!nb) return -1;
    fr->buf = nb;
    fr->cap = cap;
    return 0;
}

/* Delivers frames straight from the caller's buffer while none is split, so
 * the common case copies nothing. */
ssize_t framer_feed(framer_t *fr, const uint8_t *p, size_t n, framer_cb cb, void *ctx)
{
    size_t used = 0;
    frame_t f;
    while (fr->len > 0 && used < n) {
        /* Complete the buffered partial frame a byte range at a time. */
        size_t want = FRAME_HDR_LEN;
        if (fr->len >= FRAME_HDR_LEN) want = FRAME_HDR_LEN + read_be32(fr->buf);
        if (fr->len < FRAME_HDR_LEN || want > fr->len) {
            if (fr->len >= FRAME_HDR_LEN && read_be32(fr->buf) > FRAME_MAX_PAYLOAD)
                return FRAME_ERR_TOO_LARGE;
            size_t take = want - fr->len;
            if (take > n - used) take = n - used;
            if (framer_reserve(fr, fr->len + take) != 0) return FRAME_ERR_TOO_LARGE;
            memcpy(fr->buf + fr->len, p + used, take);
            fr->len += take;
            used += take;
            if (fr->len == FRAME_HDR_LEN && read_be32(fr->buf) > FRAME_MAX_PAYLOAD)
                return FRAME_ERR_TOO_LARGE;
            continue;
        }
        break;
    }
    if (fr->len > 0) {
        ssize_t r = frame_decode(fr->buf, fr->len, &f);
        if (r < 0) return r;
        if (r == 0) return (ssize_t)used; /* still partial; all input consumed */
        fr->len = 0;
        if (cb(ctx, &f) != 0) return (ssize_t)used;
    }
    while (used < n) {
        ssize_t r = frame_decode(p + used, n - used, &f);
        if (r < 0) return r;
        if (r == 0) break;
        used += (size_t)r;
        if (cb(ctx, &f) != 0) return (ssize_t)used;
    }
    if (used < n) {
        /* Keep the partial tail; its header (if complete) was size-checked. */
        if (framer_reserve(fr, n - used) != 0) return FRAME_ERR_TOO_LARGE;
        memcpy(fr->buf, p + used, n - used);
        fr->len = n - used;
        used = n;
    }
    return (ssize_t)used;
}

size_t framer_buffered(const framer_t *fr)
{
    return fr->len;
}

void framer_free(framer_t *fr)
{
    free(fr->buf);
    fr->buf = NULL;
    fr->len = fr->cap = 0;
}
