/* conn_wrap: see conn_wrap.h; a conn backend (net/conn_int.h) whose
 * transport entries call the inner conn's public functions. */
#include "net/conn_wrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/conn_int.h"

/* ---- the inner conn's callbacks: its owner is the outer conn ---------- */

static void inner_data(conn_t *in, const uint8_t *p, size_t n)
{
    conn_t *c = conn_data(in);
    if (!(c->flags & F_CLOSING)) c->ops->input(c, p, n); /* TLS's when it took over */
}

static void inner_eof(conn_t *in)
{
    conn__deliver_eof(conn_data(in));
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

static int wrap_connect(conn_t *c, const struct sockaddr *addr)
{
    (void)c, (void)addr;
    return UV_ENOTSUP; /* wraps an established conn only */
}

static int wrap_start(conn_t *c)
{
    conn_resume(c->under);
    return 0;
}

/* TLS over this conn hands over its records in conn_tls.c's shared output
 * buffer, and a TLS inner conn writes its own records into that same
 * buffer: the bytes are copied out first. One static copy (the loop is one
 * thread); a nested wrap, or more than it holds, gets a heap one. */
static int wrap_write(conn_t *c, const void *p, size_t n)
{
    static uint8_t copy[CONN_TLS_OUT];
    static bool busy;
    bool mine = !busy && n <= sizeof copy;
    uint8_t *tmp = mine ? copy : malloc(n);
    if (!tmp) return UV_ENOMEM;
    busy = busy || mine;
    memcpy(tmp, p, n);
    int r = conn_write(c->under, tmp, n);
    if (mine)
        busy = false;
    else
        free(tmp);
    c->pending = conn_pending(c->under);
    return r < 0 ? r : 0;
}

static void wrap_input(conn_t *c, const uint8_t *p, size_t n)
{
    if (c->cbs->on_data) c->cbs->on_data(c, p, n);
}

static void wrap_pause(conn_t *c)
{
    conn_pause(c->under);
}

static void wrap_resume(conn_t *c)
{
    conn_resume(c->under);
}

static void wrap_shutdown(conn_t *c)
{
    conn_shutdown(c->under);
}

/* No splice_fd: the inner's descriptor (if any) is not this stream's alone
 * once TLS runs over it. */
const conn_ops_t conn_wrap_ops = {
    .name = "wrap",
    .connect = wrap_connect,
    .start = wrap_start,
    .write = wrap_write,
    .input = wrap_input,
    .pause = wrap_pause,
    .resume = wrap_resume,
    .shutdown = wrap_shutdown,
    .close = conn_layer_close,
    .local_addr = conn_layer_local_addr,
    .peer_addr = conn_layer_peer_addr,
    .loop = conn_layer_loop,
    .end = conn_layer_end,
    .set_liveness = conn_layer_set_liveness,
};

conn_t *conn_wrap_new(conn_t *inner, const conn_cbs_t *cbs, void *data)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->under = inner;
    c->ops = &conn_wrap_ops;
    c->cbs = cbs;
    c->data = data;
    c->flags = F_READY | (inner->flags & F_PAUSED);
    c->pending = conn_pending(inner);
    snprintf(c->peer, sizeof c->peer, "%s", conn_peer(inner));
    conn_set_cbs(inner, &inner_cbs, c);
    return c;
}
