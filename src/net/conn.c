/* conn: see conn.h. The generic half: public calls dispatched through the
 * backend's operations table (net/conn_int.h), and the callback rules every
 * backend shares (on_error and on_eof at most once, on_drain after a write
 * that reported backpressure, nothing but on_close after conn_close). */
#include "net/conn_int.h"

#include <stdlib.h>
#include <string.h>

#include "net/addr.h"

conn_t *conn_new(uv_loop_t *loop, const conn_cbs_t *cbs, void *data)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (uv_tcp_init(loop, &c->tcp.handle) != 0) {
        free(c);
        return NULL;
    }
    c->tcp.handle.data = c;
    c->ops = &conn_tcp_ops;
    c->cbs = cbs;
    c->data = data;
    strcpy(c->peer, "?");
    return c;
}

void conn_set_cbs(conn_t *c, const conn_cbs_t *cbs, void *data)
{
    c->cbs = cbs;
    c->data = data;
}

void *conn_data(const conn_t *c)
{
    return c->data;
}

uv_loop_t *conn_loop(const conn_t *c)
{
    return c->ops->loop(c);
}

const char *conn_kind(const conn_t *c)
{
    return c->ops->name;
}

int conn_local_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return c->ops->local_addr(c, out);
}

int conn_peer_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return c->ops->peer_addr(c, out);
}

void conn_end_transport(conn_t *c)
{
    if (c->ops->end) c->ops->end(c);
}

int conn_splice_fd(const conn_t *c)
{
    return c->ops->splice_fd ? c->ops->splice_fd(c) : -1;
}

bool conn_is_closing(const conn_t *c)
{
    return c->flags & F_CLOSING;
}

const char *conn_peer(const conn_t *c)
{
    return c->peer;
}

size_t conn_pending(const conn_t *c)
{
    return c->pending;
}

int conn_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                      unsigned user_timeout_ms)
{
    if (!c->ops->set_liveness) return UV_ENOTSUP;
    return c->ops->set_liveness(c, idle_s, intvl_s, cnt, user_timeout_ms);
}

/* ---- what backends call --------------------------------------------- */

void conn__fill_peer(conn_t *c)
{
    struct sockaddr_storage ss;
    if (c->ops->peer_addr(c, &ss) == 0)
        addr_format((struct sockaddr *)&ss, c->peer, sizeof c->peer);
}

void conn__fail(conn_t *c, int err)
{
    if (c->flags & (F_CLOSING | F_ERRORED)) return;
    c->flags |= F_ERRORED;
    if (c->cbs->on_error) c->cbs->on_error(c, err);
}

void conn__deliver_eof(conn_t *c)
{
    if (c->flags & (F_EOF | F_CLOSING)) return;
    c->flags |= F_EOF;
    c->ops->pause(c);
    if (c->cbs->on_eof) c->cbs->on_eof(c);
}

void conn__ready(conn_t *c, int status)
{
    if (status == 0) c->flags |= F_READY;
    if (c->cbs->on_ready) c->cbs->on_ready(c, status);
}

void conn__wrote(conn_t *c, size_t n)
{
    c->pending -= n;
    if (c->flags & F_CLOSING) return;
    if ((c->flags & F_NEED_DRAIN) && c->pending <= CONN_LOW_WATER) {
        c->flags &= ~F_NEED_DRAIN;
        if (c->cbs->on_drain) c->cbs->on_drain(c);
    }
}

void conn__closed(conn_t *c)
{
    if (c->cbs && c->cbs->on_close) c->cbs->on_close(c);
    if (c->ops->release) c->ops->release(c);
    conn_tls_clear(c);
    free(c);
}

/* ---- the public calls ------------------------------------------------ */

static int backpressure(conn_t *c)
{
    if (c->pending > CONN_HIGH_WATER) {
        c->flags |= F_NEED_DRAIN;
        return 1;
    }
    return 0;
}

int conn_write(conn_t *c, const void *p, size_t n)
{
    if (c->flags & (F_CLOSING | F_SHUT)) return UV_EPIPE;
    if (n == 0) return backpressure(c);
    int r = c->ops->write(c, p, n);
    if (r != 0) return r;
    return backpressure(c);
}

void conn_shutdown(conn_t *c)
{
    if (c->flags & (F_SHUT | F_CLOSING)) return;
    c->flags |= F_SHUT;
    c->ops->shutdown(c);
}

void conn_pause(conn_t *c)
{
    if (c->flags & (F_PAUSED | F_CLOSING)) return;
    c->flags |= F_PAUSED;
    c->ops->pause(c);
}

void conn_resume(conn_t *c)
{
    if (!(c->flags & F_PAUSED) || (c->flags & F_CLOSING)) return;
    c->flags &= ~F_PAUSED;
    c->ops->resume(c);
}

int conn_start(conn_t *c)
{
    return c->ops->start(c);
}

void conn_close(conn_t *c)
{
    if (!c || (c->flags & F_CLOSING)) return;
    c->flags |= F_CLOSING;
    c->ops->close(c, false);
}

void conn_abort(conn_t *c)
{
    if (!c || (c->flags & F_CLOSING)) return;
    c->flags |= F_CLOSING;
    c->ops->close(c, true);
}

int conn_connect(conn_t *c, const struct sockaddr *addr, SSL_CTX *ctx, const char *sni,
                 const char *verify_host)
{
    c->tls.connect_ctx = ctx;
    if (sni && !(c->tls.sni = strdup(sni))) return UV_ENOMEM;
    if (verify_host && !(c->tls.verify_host = strdup(verify_host))) return UV_ENOMEM;
    return c->ops->connect(c, addr);
}
