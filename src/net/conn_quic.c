/* conn_quic: the fourth conn backend (net/conn_int.h): one QUIC stream of a
 * quic_t. Writes go to the stream's queue (conn's `pending` counts every
 * byte not yet acknowledged by the peer, so CONN_HIGH_WATER and on_drain
 * work as over TCP; QUIC flow control decides when bytes leave). Reads are
 * handed on from the stream's buffer while the conn is not paused, and only
 * what was handed on is given back to the peer as credit. FIN is half-close;
 * a reset from the peer is on_error(UV_ECONNRESET), the peer's STOP_SENDING
 * before it had all our bytes on_error(UV_EPIPE); conn_abort resets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/quic_int.h"

static int cq_connect(conn_t *c, const struct sockaddr *addr)
{
    return UV_ENOTSUP; /* streams come from quic_open_stream / on_stream */
}

static int cq_start(conn_t *c)
{
    if (!c->qs) return UV_EPIPE;
    c->qs->flags |= QS_STARTED;
    quic__kick(c->qs->q);
    return 0;
}

static int cq_write(conn_t *c, const void *p, size_t n)
{
    quic_stream_t *s = c->qs;
    if (!s || !(s->flags & QS_NG_OPEN) || (s->flags & QS_RESET)) return UV_EPIPE;
    int r = quic__stream_queue(s, p, n);
    if (r == 0) c->pending += n;
    return r;
}

static void cq_input(conn_t *c, const uint8_t *p, size_t n)
{
    /* Stream bytes arrive through quic_stream.c's buffer, not from below. */
}

static void cq_pause(conn_t *c)
{
    /* conn.c set F_PAUSED; delivery checks it. Credit stops with it. */
}

static void cq_resume(conn_t *c)
{
    if (c->qs) quic__kick(c->qs->q);
}

static void cq_shutdown(conn_t *c)
{
    if (!c->qs) return;
    c->qs->flags |= QS_SHUT;
    quic__kick(c->qs->q);
}

/* A graceful close ends our side after the queue (the stream stays with
 * ngtcp2 until the peer has it all) and asks the peer to stop sending; a
 * reset drops everything at once. conn__closed follows from the loop. */
static void cq_close(conn_t *c, bool reset)
{
    quic_stream_t *s = c->qs;
    s->flags |= QS_CONN_GONE;
    if (reset)
        s->flags |= QS_RESET;
    else
        s->flags |= QS_SHUT | (s->flags & QS_FIN_RECV ? 0 : QS_STOP);
    quic__kick(s->q);
}

static int cq_addr(const conn_t *c, struct sockaddr_storage *out, bool local)
{
    memset(out, 0, sizeof *out);
    dgram_path_t *p = c->qs ? quic_active_path(c->qs->q) : NULL;
    if (!p) return UV_ENOTCONN;
    *out = local ? p->local : p->remote;
    return 0;
}

static int cq_local_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return cq_addr(c, out, true);
}

static int cq_peer_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return cq_addr(c, out, false);
}

static uv_loop_t *cq_loop(const conn_t *c)
{
    return c->qs->q->loop;
}

static void cq_end(conn_t *c)
{
    if (c->qs) c->qs->flags |= QS_RESET;
    if (c->qs) quic__kick(c->qs->q);
}

const conn_ops_t conn_quic_ops = {
    .name = "quic",
    .connect = cq_connect,
    .start = cq_start,
    .write = cq_write,
    .input = cq_input,
    .pause = cq_pause,
    .resume = cq_resume,
    .shutdown = cq_shutdown,
    .close = cq_close,
    .local_addr = cq_local_addr,
    .peer_addr = cq_peer_addr,
    .loop = cq_loop,
    .end = cq_end,
};

conn_t *conn_quic_new(quic_stream_t *s, const conn_cbs_t *cbs, void *data)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->ops = &conn_quic_ops;
    c->cbs = cbs;
    c->data = data;
    c->flags = F_READY;
    c->qs = s;
    s->conn = c;
    s->q->nconns++;
    strcpy(c->peer, "?");
    conn__fill_peer(c);
    return c;
}
