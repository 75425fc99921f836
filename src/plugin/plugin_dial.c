/* plugin_dial: resolve, then connect address after address (plugin_dial.h).
 * A result that is known inside pdial_start (a literal that cannot even be
 * tried) is delivered from a zero timer, as libuv delivers a delayed
 * connect error, so the caller never sees its callback inside its call. */
#include "plugin/plugin_dial.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "util/ref.h"

struct pdial {
    uv_loop_t *loop;
    pdial_cb cb; /* NULL once delivered or cancelled */
    void *arg;
    uv_getaddrinfo_t gai;
    bool gai_busy;
    uv_timer_t defer; /* delivers an early failure; closed at the end */
    bool defer_closed;
    conn_t *conn; /* the connect in flight */
    struct sockaddr_storage addrs[PDIAL_ADDRS_MAX];
    int n, next;
    int err; /* the last failure */
    /* the timer until closed, the lookup until its callback, each conn
     * until closed or handed over */
    ref_t ref;
};

static const conn_cbs_t none_cbs = {0};

static void release(ref_t *r)
{
    free(REF_OWNER(r, pdial_t, ref));
}

static void defer_closed(uv_handle_t *h)
{
    pdial_t *d = h->data;
    ref_drop(&d->ref);
}

static void close_defer(pdial_t *d)
{
    if (d->defer_closed) return;
    d->defer_closed = true;
    uv_close((uv_handle_t *)&d->defer, defer_closed);
}

static void deliver(pdial_t *d, conn_t *conn, int status)
{
    pdial_cb cb = d->cb;
    d->cb = NULL;
    close_defer(d);
    if (cb)
        cb(d->arg, conn, status);
    else if (conn)
        conn_close(conn);
}

static void on_defer(uv_timer_t *t)
{
    pdial_t *d = t->data;
    deliver(d, NULL, d->err);
}

static void fail_later(pdial_t *d, int err)
{
    d->err = err;
    uv_timer_start(&d->defer, on_defer, 0, 0);
}

static void try_next(pdial_t *d);

static void on_conn_ready(conn_t *c, int status)
{
    pdial_t *d = conn_data(c);
    d->conn = NULL;
    if (status != 0) {
        d->err = status;
        conn_close(c); /* its on_close drops its reference */
        try_next(d);
        return;
    }
    conn_set_cbs(c, &none_cbs, NULL);
    deliver(d, c, 0);
    ref_drop(&d->ref); /* the conn's: it went to the caller */
}

static void on_conn_close(conn_t *c)
{
    pdial_t *d = conn_data(c);
    ref_drop(&d->ref);
}

static const conn_cbs_t dial_cbs = {.on_ready = on_conn_ready, .on_close = on_conn_close};

/* The next address, or the end: the last error goes to the caller. */
static void try_next(pdial_t *d)
{
    while (d->cb && d->next < d->n) {
        conn_t *c = conn_new(d->loop, &dial_cbs, d);
        if (!c) {
            d->err = UV_ENOMEM;
            break;
        }
        ref_hold(&d->ref); /* the conn's, until on_conn_close or the hand-over */
        int r = conn_connect(c, (struct sockaddr *)&d->addrs[d->next++], NULL, NULL, NULL);
        if (r == 0) {
            d->conn = c;
            return;
        }
        d->err = r;
        conn_close(c);
    }
    if (d->cb) deliver(d, NULL, d->err);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    pdial_t *d = req->data;
    d->gai_busy = false;
    for (struct addrinfo *a = res; status == 0 && a && d->n < PDIAL_ADDRS_MAX; a = a->ai_next)
        if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
            a->ai_addrlen <= sizeof d->addrs[0])
            memcpy(&d->addrs[d->n++], a->ai_addr, a->ai_addrlen);
    uv_freeaddrinfo(res);
    d->err = status ? status : UV_EAI_NONAME;
    if (d->cb) try_next(d);
    ref_drop(&d->ref); /* the lookup's */
}

static int start_lookup(pdial_t *d, const char *host, uint16_t port)
{
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    d->gai.data = d;
    int r = uv_getaddrinfo(d->loop, &d->gai, on_resolved, host, service, &hints);
    if (r == 0) {
        d->gai_busy = true;
        ref_hold(&d->ref); /* the lookup's, until on_resolved */
    }
    return r;
}

pdial_t *pdial_start(uv_loop_t *loop, const char *host, uint16_t port, pdial_cb cb, void *arg)
{
    pdial_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->loop = loop;
    d->cb = cb;
    d->arg = arg;
    ref_init(&d->ref, 1, release); /* the timer's */
    uv_timer_init(loop, &d->defer);
    d->defer.data = d;
    if (addr_parse(host, port, &d->addrs[0]) == 0) {
        d->n = 1;
        conn_t *c = conn_new(loop, &dial_cbs, d);
        int r = c ? conn_connect(c, (struct sockaddr *)&d->addrs[0], NULL, NULL, NULL) : UV_ENOMEM;
        d->next = 1;
        if (c) ref_hold(&d->ref);
        if (r == 0) {
            d->conn = c;
            return d;
        }
        if (c) conn_close(c);
        fail_later(d, r);
        return d;
    }
    int r = start_lookup(d, host, port);
    if (r != 0) fail_later(d, r);
    return d;
}

void pdial_cancel(pdial_t *d)
{
    if (!d) return;
    d->cb = NULL;
    if (d->gai_busy) uv_cancel((uv_req_t *)&d->gai); /* on_resolved still runs */
    if (d->conn) {
        conn_close(d->conn);
        d->conn = NULL;
    }
    close_defer(d);
}
