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

static void inner_drain(conn_t *in)
{
    conn_t *c = conn_data(in);
    size_t now = conn_pending(in);
    conn__wrote(c, c->pending > now ? c->pending - now : 0);
}

static void inner_shutdown(conn_t *in)
{
    conn_t *c = conn_data(in);
    if (!(c->flags & F_CLOSING) && c->cbs->on_shutdown) c->cbs->on_shutdown(c);
}

static void inner_error(conn_t *in, int err)
{
    conn__fail(conn_data(in), err);
}

static void inner_close(conn_t *in)
{
    conn__closed(conn_data(in));
}

static const conn_cbs_t inner_cbs = {
    .on_data = inner_data,
    .on_eof = inner_eof,
    .on_drain = inner_drain,
    .on_shutdown = inner_shutdown,
    .on_error = inner_error,
    .on_close = inner_close,
};

/* ---- the operations --------------------------------------------------- */

static int wrap_connect(conn_t *c, const struct sockaddr *addr)
{
    (void)c, (void)addr;
    return UV_ENOTSUP; /* wraps an established conn only */
}

static int wrap_start(conn_t *c)
{
    conn_resume(c->wrap_inner);
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
    int r = conn_write(c->wrap_inner, tmp, n);
    if (mine)
        busy = false;
    else
        free(tmp);
    c->pending = conn_pending(c->wrap_inner);
    return r < 0 ? r : 0;
}

static void wrap_input(conn_t *c, const uint8_t *p, size_t n)
{
    if (c->cbs->on_data) c->cbs->on_data(c, p, n);
}

static void wrap_pause(conn_t *c)
{
    conn_pause(c->wrap_inner);
}

static void wrap_resume(conn_t *c)
{
    conn_resume(c->wrap_inner);
}

static void wrap_shutdown(conn_t *c)
{
    conn_shutdown(c->wrap_inner);
}

static void wrap_close(conn_t *c, bool reset)
{
    if (reset)
        conn_abort(c->wrap_inner);
    else
        conn_close(c->wrap_inner);
}

static int wrap_local_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return conn_local_addr(c->wrap_inner, out);
}

static int wrap_peer_addr(const conn_t *c, struct sockaddr_storage *out)
{
    return conn_peer_addr(c->wrap_inner, out);
}

static uv_loop_t *wrap_loop(const conn_t *c)
{
    return conn_loop(c->wrap_inner);
}

static void wrap_end(conn_t *c)
{
    conn_end_transport(c->wrap_inner);
}

static int wrap_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                             unsigned user_timeout_ms)
{
    return conn_set_liveness(c->wrap_inner, idle_s, intvl_s, cnt, user_timeout_ms);
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
    .close = wrap_close,
    .local_addr = wrap_local_addr,
    .peer_addr = wrap_peer_addr,
    .loop = wrap_loop,
    .end = wrap_end,
    .set_liveness = wrap_set_liveness,
};

conn_t *conn_wrap_new(conn_t *inner, const conn_cbs_t *cbs, void *data)
{
    conn_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->wrap_inner = inner;
    c->ops = &conn_wrap_ops;
    c->cbs = cbs;
    c->data = data;
    c->flags = F_READY | (inner->flags & F_PAUSED);
    c->pending = conn_pending(inner);
    snprintf(c->peer, sizeof c->peer, "%s", conn_peer(inner));
    conn_set_cbs(inner, &inner_cbs, c);
    return c;
}
