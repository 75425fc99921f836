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
    bool closing;
    work_req_t wreq; /* pending while waiting for a work conn */
    bool counted;    /* in https_listener's count and https_srcs, until relayed or freed */
    ref_t ref;       /* user conn (until relayed) + timer */
    struct sockaddr_storage src;
    char peer[64], local[64];
    struct hello *prev, *next; /* in srv->hellos */
} hello_t;

static void hello_uncount(hello_t *h)
{
    if (!h->counted) return;
    h->counted = false;
    vhost_release(&h->srv->https_listener, h->srv->https_srcs, &h->src);
}

static void hello_release(ref_t *r)
{
    hello_t *h = REF_OWNER(r, hello_t, ref);
    if (h->prev)
        h->prev->next = h->next;
    else
        h->srv->hellos = h->next;
    if (h->next) h->next->prev = h->prev;
    hello_uncount(h);
    vsite_unref(h->site);
    free(h);
}

static void on_timer_closed(uv_handle_t *t)
{
    hello_t *h = t->data;
    ref_drop(&h->ref);
}

static void hello_close(hello_t *h, const char *why)
{
    if (why) LOG_LIMITED(LOG_DEBUG, "https connection closed peer=%s reason=%s", h->peer, why);
    if (!h->closing) {
        h->closing = true;
        work_pool_withdraw(&h->wreq); /* no callback after this */
        uv_timer_stop(&h->timer);
        uv_close((uv_handle_t *)&h->timer, on_timer_closed);
    }
    if (h->user) conn_close(h->user);
}

static void on_work(work_req_t *req, conn_t *work);
static void on_no_work(work_req_t *req, int reason);

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
    conn_pause(h->user);
    LOG_LIMITED(LOG_DEBUG, "https connection routed peer=%s sni=%s proxy=%s", h->peer,
                LOG_ESC(name), LOG_ESC(v->p->name));
    work_req_init(&h->wreq, on_work, on_no_work, h, h->peer, h->local);
    sproxy_t *p = vsite_pick(v);
    session_request_work(p->sess, p, &h->wreq);
}

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    hello_t *h = conn_data(c);
    if (work_req_pending(&h->wreq) || h->site || h->closing) return;
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
    ref_drop(&h->ref);
}

static const conn_cbs_t hello_cbs = {
    .on_data = on_data,
    .on_eof = on_eof,
    .on_error = on_error,
    .on_close = on_close,
};

/* The work pool delivered the work conn this hello asked for. */
static void on_work(work_req_t *req, conn_t *work)
{
    hello_t *h = req->data;
    if (h->closing || !h->user) {
        conn_close(work);
        return;
    }
    conn_t *u = h->user;
    h->user = NULL;
    ref_drop(&h->ref); /* the relay owns the user conn now; the timer's ref remains */
    sproxy_relay_counted(h->srv, (sproxy_t *)req->owner, u, work, h->buf, h->len, "https");
    hello_uncount(h); /* a relayed connection is the site's, no longer a hello */
    hello_close(h, NULL);
}

/* No work conn will come (reported from the loop, never re-entrantly). */
static void on_no_work(work_req_t *req, int reason)
{
    hello_close(req->data, work_cancel_reason_name(reason));
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
    h->next = s->hellos;
    if (s->hellos) s->hellos->prev = h;
    s->hellos = h;
    h->user = u;
    h->src = *src;
    h->counted = true;
    ref_init(&h->ref, 2, hello_release); /* user conn + timer */
    uv_timer_init(s->loop, &h->timer);
    h->timer.data = h;
    uv_timer_start(&h->timer, on_timer, HELLO_TIMEOUT_MS, 0);
    conn_start(u);
    snprintf(h->peer, sizeof h->peer, "%s", conn_peer(u));
    server_local_addr(u, h->local, sizeof h->local);
}

void vhost_hellos_close(srv_t *s)
{
    for (hello_t *h = s->hellos; h; h = h->next)
        hello_close(h, "server-stopping");
}

int vhost_https_start(srv_t *s)
{
    if (!s->https_srcs && !(s->https_srcs = src_limit_create(VHOST_SOURCES_MAX))) return -1;
    int r = vhost_listen(s, &s->https_listener, s->cfg->vhost_https_port, on_accept,
                         VHOST_HELLOS_MAX, "https vhost");
    s->https_on = r == 0;
    return r;
}
