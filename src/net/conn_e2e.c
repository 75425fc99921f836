/* conn_e2e: see conn_e2e.h; the third conn backend (net/conn_int.h), whose
 * transport is another conn rather than a socket. */
#include "net/conn_e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/conn_int.h"

/* Sealed output gathered per inner write: four full records. */
#define E2E_BATCH (4 * (E2E_RECORD_MAX + E2E_OVERHEAD))

struct conn_e2e {
    conn_t *inner; /* owned: closed with the outer conn */
    e2e_dir_t tx;
    e2e_reader_t rx;
    bool got_end; /* the peer's end record arrived */
    bool dead;    /* a bad record: nothing more is read */
};

/* ---- the inner conn's callbacks: its owner is the outer conn ---------- */

static int on_plain(void *ctx, const uint8_t *p, size_t n)
{
    conn_t *c = ctx;
    if (c->flags & F_CLOSING) return 1;
    if (n == 0) {
        c->e2e->got_end = true;
        conn__deliver_eof(c);
        return 0;
    }
    if (c->cbs->on_data) c->cbs->on_data(c, p, n);
    return (c->flags & F_CLOSING) ? 1 : 0;
}

static void e2e_input(conn_t *c, const uint8_t *p, size_t n)
{
    struct conn_e2e *s = c->e2e;
    if (s->dead || (c->flags & F_CLOSING)) return;
    int rc = e2e_reader_feed(&s->rx, p, n, on_plain, c);
    if (rc < 0) {
        s->dead = true;
        conn_pause(s->inner);
        conn__fail(c, rc == E2E_ERR_NOMEM ? UV_ENOMEM : UV_EPROTO);
    }
}

static void inner_data(conn_t *in, const uint8_t *p, size_t n)
{
    e2e_input(conn_data(in), p, n);
}

static void inner_eof(conn_t *in)
{
    conn_t *c = conn_data(in);
    /* The end record came first: on_eof went out with it. Else the stream
     * was cut short by someone who cannot seal. */
    if (!c->e2e->got_end && !c->e2e->dead) conn__fail(c, UV_ECONNRESET);
}

static const conn_cbs_t inner_cbs = {
    .on_data = inner_data,
    .on_eof = inner_eof,
    .on_drain = conn_layer_on_drain,
    .on_shutdown = conn_layer_on_shutdown,
    .on_error = conn_layer_on_error,
    .on_close = conn_layer_on_close,
};

/* ---- the operations --------------------------------------------------- */

static int e2e_connect(conn_t *c, const struct sockaddr *addr)
{
    return UV_ENOTSUP; /* wraps an established conn only */
}

static int e2e_start(conn_t *c)
{
    conn_resume(c->e2e->inner);
    return 0;
}

static int e2e_write(conn_t *c, const void *p, size_t n)
{
    static uint8_t out[E2E_BATCH]; /* one loop thread: one shared buffer */
    struct conn_e2e *s = c->e2e;
    const uint8_t *src = p;
    while (n) {
        size_t len = 0;
        while (n && len + E2E_RECORD_MAX + E2E_OVERHEAD <= sizeof out) {
            size_t k = n < E2E_RECORD_MAX ? n : E2E_RECORD_MAX;
            ssize_t r = e2e_seal(&s->tx, src, k, out + len);
            if (r < 0) return UV_EPROTO;
            len += (size_t)r;
            src += k;
            n -= k;
        }
        int r = conn_write(s->inner, out, len);
        if (r < 0) return r;
    }
    c->pending = conn_pending(s->inner);
    return 0;
}

static void e2e_pause(conn_t *c)
{
    conn_pause(c->e2e->inner);
}

static void e2e_resume(conn_t *c)
{
    conn_resume(c->e2e->inner);
}

static void e2e_shutdown(conn_t *c)
{
    struct conn_e2e *s = c->e2e;
    uint8_t end[E2E_OVERHEAD];
    if (e2e_seal(&s->tx, NULL, 0, end) < 0 || conn_write(s->inner, end, sizeof end) < 0) {
        conn__fail(c, UV_EPIPE);
        return;
    }
    c->pending = conn_pending(s->inner);
    conn_shutdown(s->inner);
}

static void e2e_release(conn_t *c)
{
    struct conn_e2e *s = c->e2e;
    if (!s) return;
    e2e_dir_free(&s->tx);
    e2e_reader_free(&s->rx);
    free(s);
    c->e2e = NULL;
}

const conn_ops_t conn_e2e_ops = {
    .name = "e2e",
    .connect = e2e_connect,
    .start = e2e_start,
    .write = e2e_write,
    .input = e2e_input,
    .pause = e2e_pause,
    .resume = e2e_resume,
    .shutdown = e2e_shutdown,
    .close = conn_layer_close,
    .local_addr = conn_layer_local_addr,
    .peer_addr = conn_layer_peer_addr,
    .loop = conn_layer_loop,
    .end = conn_layer_end,
    .set_liveness = conn_layer_set_liveness,
    .release = e2e_release,
};

conn_t *conn_e2e_new(conn_t *inner, const e2e_keys_t *keys, e2e_dir_id_t tx, const conn_cbs_t *cbs,
                     void *data)
{
    e2e_dir_id_t rx = tx == E2E_V2O ? E2E_O2V : E2E_V2O;
    conn_t *c = calloc(1, sizeof *c);
    struct conn_e2e *s = calloc(1, sizeof *s);
    if (!c || !s) goto fail;
    if (e2e_dir_init(&s->tx, keys->key[tx], keys->iv[tx], true) != 0) goto fail;
    if (e2e_reader_init(&s->rx, keys->key[rx], keys->iv[rx]) != 0) {
        e2e_dir_free(&s->tx);
        goto fail;
    }
    s->inner = inner;
    c->under = inner; /* conn_layer.c */
    c->e2e = s;
    c->ops = &conn_e2e_ops;
    c->cbs = cbs;
    c->data = data;
    c->flags = F_READY;
    c->pending = conn_pending(inner);
    snprintf(c->peer, sizeof c->peer, "%s", conn_peer(inner));
    conn_set_cbs(inner, &inner_cbs, c);
    return c;
fail:
    free(s);
    free(c);
    return NULL;
}

void conn_e2e_feed(conn_t *c, const uint8_t *p, size_t n)
{
    if (n) e2e_input(c, p, n);
}
