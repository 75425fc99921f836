/* conn_layer: what every conn that runs over another conn shares (e2e
 * records, zstd streams, conn_wrap). Such a layer sets c->under to its
 * inner conn; the operations below only pass a call down to it, and
 * the callbacks below pass the inner conn's events up to the layer (the
 * inner conn's data pointer is the layer). Each layer keeps its own
 * on_data and on_eof, which are what differ between them. */
#include "net/conn_int.h"

/* c->ops may be TLS's, calling the layer as its base: c->under holds. */
static conn_t *inner_of(const conn_t *c)
{
    return c->under;
}

void conn_layer_close(conn_t *c, bool reset)
{
    if (reset)
        conn_abort(inner_of(c));
    else
        conn_close(inner_of(c));
}

int conn_layer_local_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return conn_local_addr(inner_of(c), out);
}

int conn_layer_peer_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return conn_peer_addr(inner_of(c), out);
}

uv_loop_t *conn_layer_loop(const conn_t *c)
{
    return conn_loop(inner_of(c));
}

void conn_layer_end(conn_t *c)
{
    conn_end_transport(inner_of(c));
}

int conn_layer_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                            unsigned user_timeout_ms)
{
    return conn_set_liveness(inner_of(c), idle_s, intvl_s, cnt, user_timeout_ms);
}

/* ---- the inner conn's events, for the layer ----------------------------- */

void conn_layer_on_drain(conn_t *in)
{
    conn_t *c = conn_data(in);
    size_t now = conn_pending(in);
    conn__wrote(c, c->pending > now ? c->pending - now : 0);
}

void conn_layer_on_shutdown(conn_t *in)
{
    conn_t *c = conn_data(in);
    if (!(c->flags & F_CLOSING) && c->cbs->on_shutdown) c->cbs->on_shutdown(c);
}

void conn_layer_on_error(conn_t *in, int err)
{
    conn__fail(conn_data(in), err);
}

void conn_layer_on_close(conn_t *in)
{
    conn__closed(conn_data(in));
}
