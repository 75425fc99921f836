/* conn_zstd: see conn_zstd.h; a conn backend (net/conn_int.h) whose
 * transport is another conn, in the way of conn_e2e.c. */
#include "net/conn_zstd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/conn_int.h"

#ifdef BURROW_HAVE_ZSTD
#include <zstd.h>

struct conn_zstd {
    conn_t *inner; /* owned: closed with the outer conn */
    ZSTD_CCtx *cc;
    ZSTD_DCtx *dc;
    uint8_t *carry; /* compressed input not decoded yet (owner paused) */
    size_t carry_len, carry_off;
    bool mid_frame;   /* the decoder is inside a frame (an EOF now is a cut) */
    bool dead;        /* bad input: nothing more is read */
    bool dispatching; /* inside decode: no re-entry from a resume */
    bool eof_waits;   /* the inner EOF came while a carry was left */
};

bool conn_zstd_available(void)
{
    return true;
}

/* ---- reading ------------------------------------------------------------ */

/* Keeps what the decoder has not taken yet; the inner conn pauses until
 * the owner reads again. */
static int keep(struct conn_zstd *s, const uint8_t *p, size_t n)
{
    uint8_t *nc = malloc(n);
    if (!nc) return UV_ENOMEM;
    memcpy(nc, p, n);
    free(s->carry);
    s->carry = nc;
    s->carry_len = n;
    s->carry_off = 0;
    conn_pause(s->inner);
    return 0;
}

/* Decodes input, ZSTD_STREAM_CHUNK of output per on_data, while the owner
 * reads. Returns the bytes of p consumed, or a negative uv error. */
static ssize_t decode(conn_t *c, const uint8_t *p, size_t n)
{
    static uint8_t out[ZSTD_STREAM_CHUNK]; /* one loop thread: one shared buffer */
    struct conn_zstd *s = c->zstd;
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        if (c->flags & (F_PAUSED | F_CLOSING)) break;
        ZSTD_outBuffer o = {out, sizeof out, 0};
        size_t r = ZSTD_decompressStream(s->dc, &o, &in);
        if (ZSTD_isError(r)) return UV_EPROTO;
        s->mid_frame = r != 0;
        if (o.pos && c->cbs->on_data) c->cbs->on_data(c, out, o.pos);
        /* Done when the input is used up and the decoder has nothing more
         * to flush (it filled less than the whole buffer). */
        if (in.pos == in.size && o.pos < o.size) break;
    }
    return (ssize_t)in.pos;
}

static void zstd_feed(conn_t *c, const uint8_t *p, size_t n)
{
    struct conn_zstd *s = c->zstd;
    if (s->dead || (c->flags & F_CLOSING)) return;
    s->dispatching = true;
    ssize_t used = decode(c, p, n);
    s->dispatching = false;
    int err = used < 0 ? (int)used : 0;
    if (!err && (size_t)used < n && !(c->flags & F_CLOSING))
        err = keep(s, p + used, n - (size_t)used);
    if (err) {
        s->dead = true;
        conn_pause(s->inner);
        conn__fail(c, err);
    }
}

static void end_of_input(conn_t *c)
{
    /* A FIN inside a frame: the stream was cut short, not ended. */
    if (c->zstd->mid_frame)
        conn__fail(c, UV_ECONNRESET);
    else
        conn__deliver_eof(c);
}

/* The carry first: decoded in place, then dropped once used up. */
static void drain_carry(conn_t *c)
{
    struct conn_zstd *s = c->zstd;
    if (s->dispatching || s->dead || s->carry_off >= s->carry_len) return;
    s->dispatching = true;
    ssize_t used = decode(c, s->carry + s->carry_off, s->carry_len - s->carry_off);
    s->dispatching = false;
    if (used < 0) {
        s->dead = true;
        conn__fail(c, (int)used);
        return;
    }
    s->carry_off += (size_t)used;
    if (s->carry_off < s->carry_len) return; /* paused again */
    free(s->carry);
    s->carry = NULL;
    s->carry_len = s->carry_off = 0;
    if (c->flags & F_CLOSING) return;
    if (s->eof_waits)
        end_of_input(c);
    else if (!(c->flags & F_PAUSED))
        conn_resume(s->inner);
}

static void inner_data(conn_t *in, const uint8_t *p, size_t n)
{
    conn_t *c = conn_data(in);
    struct conn_zstd *s = c->zstd;
    if (s->carry) { /* read ahead while pausing: queue behind the carry */
        uint8_t *nc = realloc(s->carry, s->carry_len + n);
        if (!nc) {
            s->dead = true;
            conn__fail(c, UV_ENOMEM);
            return;
        }
        memcpy(nc + s->carry_len, p, n);
        s->carry = nc;
        s->carry_len += n;
        return;
    }
    zstd_feed(c, p, n);
}

static void inner_eof(conn_t *in)
{
    conn_t *c = conn_data(in);
    struct conn_zstd *s = c->zstd;
    if (s->dead) return;
    if (s->carry)
        s->eof_waits = true; /* after the carry is read */
    else
        end_of_input(c);
}

static const conn_cbs_t inner_cbs = {
    .on_data = inner_data,
    .on_eof = inner_eof,
    .on_drain = conn_layer_on_drain,
    .on_shutdown = conn_layer_on_shutdown,
    .on_error = conn_layer_on_error,
    .on_close = conn_layer_on_close,
};

/* ---- writing ------------------------------------------------------------ */

/* Compresses p (may be empty) with `end` as the directive and writes the
 * output to the inner conn. */
static int encode(conn_t *c, const void *p, size_t n, ZSTD_EndDirective end)
{
    static uint8_t out[ZSTD_BLOCKSIZE_MAX + 1024]; /* one loop thread: one shared buffer */
    struct conn_zstd *s = c->zstd;
    ZSTD_inBuffer in = {p, n, 0};
    size_t left;
    do {
        ZSTD_outBuffer o = {out, sizeof out, 0};
        left = ZSTD_compressStream2(s->cc, &o, &in, end);
        if (ZSTD_isError(left)) return UV_EPROTO;
        if (o.pos) {
            int r = conn_write(s->inner, out, o.pos);
            if (r < 0) return r;
        }
    } while (left != 0 || in.pos < in.size);
    c->pending = conn_pending(s->inner);
    return 0;
}

static int zstd_write(conn_t *c, const void *p, size_t n)
{
    return encode(c, p, n, ZSTD_e_flush);
}

static void zstd_shutdown(conn_t *c)
{
    if (encode(c, NULL, 0, ZSTD_e_end) < 0) {
        conn__fail(c, UV_EPIPE);
        return;
    }
    conn_shutdown(c->zstd->inner);
}

/* ---- the rest of the table ---------------------------------------------- */

static int zstd_connect(conn_t *c, const struct sockaddr *addr)
{
    return UV_ENOTSUP; /* wraps an established conn only */
}

static void zstd_pause(conn_t *c)
{
    conn_pause(c->zstd->inner);
}

static void zstd_resume(conn_t *c)
{
    struct conn_zstd *s = c->zstd;
    if (s->carry) {
        drain_carry(c); /* resumes the inner once it is used up */
        return;
    }
    conn_resume(s->inner);
}

static int zstd_start(conn_t *c)
{
    c->flags |= F_PAUSED;
    conn_resume(c);
    return 0;
}

static void zstd_release(conn_t *c)
{
    struct conn_zstd *s = c->zstd;
    if (!s) return;
    ZSTD_freeCCtx(s->cc);
    ZSTD_freeDCtx(s->dc);
    free(s->carry);
    free(s);
    c->zstd = NULL;
}

const conn_ops_t conn_zstd_ops = {
    .name = "zstd",
    .connect = zstd_connect,
    .start = zstd_start,
    .write = zstd_write,
    .input = zstd_feed,
    .pause = zstd_pause,
    .resume = zstd_resume,
    .shutdown = zstd_shutdown,
    .close = conn_layer_close,
    .local_addr = conn_layer_local_addr,
    .peer_addr = conn_layer_peer_addr,
    .loop = conn_layer_loop,
    .end = conn_layer_end,
    .set_liveness = conn_layer_set_liveness,
    .release = zstd_release,
};

static bool setup(struct conn_zstd *s)
{
    s->cc = ZSTD_createCCtx();
    s->dc = ZSTD_createDCtx();
    if (!s->cc || !s->dc) return false;
    return !ZSTD_isError(
               ZSTD_CCtx_setParameter(s->cc, ZSTD_c_compressionLevel, ZSTD_STREAM_LEVEL)) &&
           !ZSTD_isError(ZSTD_CCtx_setParameter(s->cc, ZSTD_c_windowLog, ZSTD_STREAM_WLOG)) &&
           !ZSTD_isError(ZSTD_DCtx_setParameter(s->dc, ZSTD_d_windowLogMax, ZSTD_STREAM_WLOG));
}

conn_t *conn_zstd_new(conn_t *inner, const conn_cbs_t *cbs, void *data, const uint8_t *early,
                      size_t early_len)
{
    conn_t *c = calloc(1, sizeof *c);
    struct conn_zstd *s = calloc(1, sizeof *s);
    if (!c || !s || !setup(s)) goto fail;
    if (early_len && !(s->carry = malloc(early_len))) goto fail;
    if (early_len) memcpy(s->carry, early, early_len);
    s->carry_len = early_len;
    s->inner = inner;
    c->under = inner; /* conn_layer.c */
    c->zstd = s;
    c->ops = &conn_zstd_ops;
    c->cbs = cbs;
    c->data = data;
    c->flags = F_READY;
    c->pending = conn_pending(inner);
    snprintf(c->peer, sizeof c->peer, "%s", conn_peer(inner));
    conn_set_cbs(inner, &inner_cbs, c);
    if (early_len) {
        c->flags |= F_PAUSED;
        conn_pause(inner);
    }
    return c;
fail:
    if (s) {
        ZSTD_freeCCtx(s->cc);
        ZSTD_freeDCtx(s->dc);
        free(s->carry);
    }
    free(s);
    free(c);
    return NULL;
}

#else /* no libzstd in this build */

bool conn_zstd_available(void)
{
    return false;
}

conn_t *conn_zstd_new(conn_t *inner, const conn_cbs_t *cbs, void *data, const uint8_t *early,
                      size_t early_len)
{
    return NULL;
}

#endif
