/* vhost_https: the shared HTTPS listener (vhostHTTPSPort). TLS is not
 * terminated: the ClientHello is read (bounded), its SNI names the site,
 * and the connection is relayed to a work conn of the owning client with
 * the ClientHello bytes first. An unknown or missing SNI, or anything that
 * is not a ClientHello, closes the connection.
 *
 * Ownership: a hello_t lives until its user conn and its timer are closed,
 * or until the user conn is handed to a relay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/sni.h"
#include "net/relay.h"
#include "net/src_limit.h"
#include "server/server_int.h"
#include "server/vhost_limits.h"
#include "util/log.h"

#define HELLO_TIMEOUT_MS 10000
#define HELLO_BUF (SNI_MAX_HELLO + 4 * 1024)

typedef struct hello {
    srv_t *srv;
    conn_t *user; /* NULL once relayed */
    vsite_t *site;
    uv_timer_t timer;
    uint8_t buf[HELLO_BUF];
    size_t len;
    bool waiting, closing;
    bool counted; /* in https_listener's count and https_srcs, until relayed or freed */
    int refs;
    struct sockaddr_storage src;
    char peer[64], local[64];
} hello_t;

static void hello_uncount(hello_t *h)
{
    if (!h->counted) return;
    h->counted = false;
    vhost_release(&h->srv->https_listener, h->srv->https_srcs, &h->src);
}

static void hello_unref(hello_t *h)
{
    if (--h->refs > 0) return;
    hello_uncount(h);
    vsite_unref(h->site);
    free(h);
}

static void on_timer_closed(uv_handle_t *t)
{
    hello_unref(t->data);
}

static void hello_close(hello_t *h, const char *why)
{
    if (why) LOG_LIMITED(LOG_DEBUG, "https connection closed peer=%s reason=%s", h->peer, why);
    if (!h->closing) {
        h->closing = true;
        if (h->waiting && h->site && h->site->p && h->site->p->sess)
            session_cancel_work(h->site->p->sess, h);
        h->waiting = false;
        uv_timer_stop(&h->timer);
        uv_close((uv_handle_t *)&h->timer, on_timer_closed);
    }
    if (h->user) conn_close(h->user);
}

static void route(hello_t *h, const char *name)
{
    vsite_t *v = name[0] ? http_routes_find(&h->srv->https_routes, name, NULL) : NULL;
    if (!v) {
        hello_close(h, name[0] ? "unknown-sni" : "no-sni");
        return;
    }
    if (!v->p || !v->p->sess) {
        hello_close(h, "no-client");
        return;
    }
    h->site = vsite_ref(v);
    h->waiting = true;
    conn_pause(h->user);
    LOG_LIMITED(LOG_DEBUG, "https connection routed peer=%s sni=%s proxy=%s", h->peer,
                LOG_ESC(name), LOG_ESC(v->p->name));
    session_request_work(v->p->sess, v->p, h, h->peer, h->local);
}

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    hello_t *h = conn_data(c);
    if (h->waiting || h->closing) return;
    if (n > sizeof h->buf - h->len) {
        hello_close(h, "hello-too-large");
        return;
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    char name[SNI_NAME_MAX + 1];
    long r = sni_parse(h->buf, h->len, name);
    if (r < 0)
        hello_close(h, "not-a-client-hello");
    else if (r > 0)
        route(h, name);
}

static void on_eof(conn_t *c)
{
    hello_close(conn_data(c), "eof");
}

static void on_error(conn_t *c, int err)
{
    (void)err;
    hello_close(conn_data(c), NULL);
}

static void on_close(conn_t *c)
{
    hello_t *h = conn_data(c);
    h->user = NULL;
    hello_close(h, NULL);
    hello_unref(h);
}

static const conn_cbs_t hello_cbs = {
    .on_data = on_data,
    .on_eof = on_eof,
    .on_error = on_error,
    .on_close = on_close,
};

void vhost_https_attach(void *ctx, conn_t *work)
{
    hello_t *h = ctx;
    h->waiting = false;
    if (h->closing || !h->user) {
        conn_close(work);
        return;
    }
    conn_t *u = h->user;
    h->user = NULL;
    h->refs--; /* the relay owns the user conn now */
    relay_start(u, work, h->buf, h->len, NULL, NULL);
    hello_uncount(h); /* a relayed connection is the site's, no longer a hello */
    hello_close(h, NULL);
}

void vhost_https_cancel(void *ctx)
{
    hello_t *h = ctx;
    h->waiting = false;
    hello_close(h, "no-work-connection");
}

static void on_timer(uv_timer_t *t)
{
    hello_close(t->data, "hello-timeout");
}

static void on_accept(listener_t *l, conn_t *u, const struct sockaddr_storage *src)
{
    srv_t *s = l->data;
    if (!vhost_admit(l, u, s->https_srcs, VHOST_HELLOS_PER_SOURCE, src)) return;
    hello_t *h = calloc(1, sizeof *h);
    if (!h) {
        conn_close(u);
        vhost_release(l, s->https_srcs, src);
        return;
    }
    conn_set_cbs(u, &hello_cbs, h);
    h->srv = s;
    h->user = u;
    h->src = *src;
    h->counted = true;
    h->refs = 2;
    uv_timer_init(s->loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(&h->timer, on_timer, HELLO_TIMEOUT_MS, 0);
    conn_start(u);
    snprintf(h->peer, sizeof h->peer, "%s", conn_peer(u));
    server_local_addr(u, h->local, sizeof h->local);
}

int vhost_https_start(srv_t *s)
{
    if (!s->https_srcs && !(s->https_srcs = src_limit_create(VHOST_SOURCES_MAX))) return -1;
    int r = vhost_listen(s, &s->https_listener, s->cfg->vhost_https_port, on_accept,
                         VHOST_HELLOS_MAX, "https vhost");
    s->https_on = r == 0;
    return r;
}
