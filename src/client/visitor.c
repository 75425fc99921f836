/* visitor: the client's [[visitors]] of secret proxies: stcp here, sudp in
 * visitor_sudp.c (picked per entry from visitor_kinds[]), and the pieces
 * both share (the HELLO on a fresh server conn, the refusal line).
 *
 * Each stcp entry with a bindPort opens a local listener at client_start and
 * keeps it open across reconnects to the server. Each local connection
 * (paused: nothing is read until the path is up) dials the server
 * (cdial.c), sends HELLO role "visitor" proved by the session's work MAC
 * and naming the owner's proxy with the visitor's nonce, runs
 * proto/stcp_hs.h as the visitor, then wraps the server conn with
 * net/conn_e2e.h and relays it to the local conn (client's tunnels).
 * A connection that arrives while the control channel is down waits up to
 * VISITOR_WAIT_MS for a login, then is closed with a log line.
 *
 * Ownership: cli owns the visitors (cli->visitors, an array of heap
 * cvisitor_t; freed by client_destroy) and their listeners (closed by
 * client_stop). A visitor built by a hot reload points into that reload's
 * config box and holds a reference to it. A visitor a reload removes is
 * taken out of service at once (cvisitor_retire: listener or socket
 * closed, its waiting connections, relayed connections (tunnels tagged
 * with it) and xtcp pair ended) and kept on cli->visitors_retired until
 * client_destroy, because its handles' callbacks may still point into it
 * until the loop has run them. A visitor conn (vconn_t) is
 * listed in its visitor until relayed or ended, holds one reference per
 * open handle (local conn, server conn, timer) and frees itself when the
 * last closes; client_stop ends every listed one. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/addr.h"
#include "net/conn_e2e.h"
#include "net/conn_zstd.h"
#include "net/listener.h"
#include "net/tunnels.h"
#include "proto/stcp_hs.h"
#include "util/log.h"
#include "util/ref.h"

/* How long a local connection waits for the control channel, then for the
 * handshake with the owner (the server gives up on an owner after 10 s). */
#define VISITOR_WAIT_MS 3000
/* xtcp: a connection waits this long for the pair's QUIC, then rides stcp.
 * The pair says when QUIC is ready or failed (cvisitor_xtcp_news). */
#define VISITOR_QUIC_WAIT_MS 600
#define VISITOR_HS_MS 15000
/* Plaintext the owner may send before the relay is up. */
#define VISITOR_EARLY_MAX (256 * 1024)

struct cvisitor {
    cli_t *cli;
    const visitor_cfg_t *cfg; /* in box->cfg, or in the client's first config */
    ccfg_box_t *box;          /* a reference; NULL: the first config */
    cvisitor_t *retired_next; /* on cli->visitors_retired */
    cxtcp_budget_t budget;    /* xtcp: punch attempts (maxRetriesAnHour) */
    listener_t l;
    bool listening;
    char proxy[256]; /* the owner's proxy as the server names it: user.name */
    vconn_t *conns;  /* local conns not yet relayed */
    vsudp_t *sudp;   /* sudp entries: owned, freed by cvisitor_destroy */
};

struct vconn {
    cvisitor_t *v;        /* while listed */
    vconn_t *next, *prev; /* in v->conns */
    conn_t *local;        /* the user's, paused until relayed */
    conn_t *srv;          /* to the server: raw, then e2e */
    uv_timer_t timer;     /* VISITOR_WAIT_MS, then VISITOR_HS_MS */
    stcp_hs_t hs;
    uint8_t *early;
    size_t early_len;
    ref_t ref;        /* local + srv + timer */
    uint64_t t_local; /* when the user connected */
    bool quic_done;   /* xtcp: QUIC was tried (or waited for); stcp from now on */
};

static const conn_cbs_t none_cbs = {0};

static void vc_release(ref_t *r)
{
    vconn_t *vc = REF_OWNER(r, vconn_t, ref);
    stcp_hs_free(&vc->hs);
    free(vc->early);
    free(vc);
}

static void vc_unlink(vconn_t *vc)
{
    cvisitor_t *v = vc->v;
    if (!v) return;
    if (vc->prev)
        vc->prev->next = vc->next;
    else if (v->conns == vc)
        v->conns = vc->next;
    if (vc->next) vc->next->prev = vc->prev;
    vc->next = vc->prev = NULL;
    vc->v = NULL;
}

static void timer_closed(uv_handle_t *h)
{
    vconn_t *vc = h->data;
    ref_drop(&vc->ref);
}

/* Ends vc: every handle it still holds closes, and it frees itself. */
static void vc_end(vconn_t *vc)
{
    vc_unlink(vc);
    if (!uv_is_closing((uv_handle_t *)&vc->timer))
        uv_close((uv_handle_t *)&vc->timer, timer_closed);
    if (vc->local) conn_close(vc->local);
    if (vc->srv) conn_close(vc->srv);
}

/* ---- the local conn ------------------------------------------------------ */

static void local_eof(conn_t *c)
{
    vc_end(conn_data(c)); /* the user gave up before the path was up */
}

static void local_error(conn_t *c, int err)
{
    (void)err;
    vc_end(conn_data(c));
}

static void local_close(conn_t *c)
{
    vconn_t *vc = conn_data(c);
    vc->local = NULL;
    vc_end(vc);
    ref_drop(&vc->ref);
}

static const conn_cbs_t local_cbs = {
    .on_eof = local_eof, .on_error = local_error, .on_close = local_close};

/* ---- after the handshake: e2e conn, then the relay ---------------------- */

static void e2e_data(conn_t *c, const uint8_t *p, size_t n)
{
    vconn_t *vc = conn_data(c);
    uint8_t *e =
        vc->early_len + n <= VISITOR_EARLY_MAX ? realloc(vc->early, vc->early_len + n) : NULL;
    if (!e) {
        vc_end(vc);
        return;
    }
    memcpy(e + vc->early_len, p, n);
    vc->early = e;
    vc->early_len += n;
}

static void srv_end(conn_t *c)
{
    vc_end(conn_data(c));
}

static void srv_error(conn_t *c, int err)
{
    (void)err;
    vc_end(conn_data(c));
}

static void srv_close(conn_t *c)
{
    vconn_t *vc = conn_data(c);
    vc->srv = NULL;
    vc_end(vc);
    ref_drop(&vc->ref);
}

static const conn_cbs_t e2e_cbs = {
    .on_data = e2e_data, .on_eof = srv_end, .on_error = srv_error, .on_close = srv_close};

static void vc_relay(vconn_t *vc, const uint8_t *rest, size_t rest_len)
{
    cvisitor_t *v = vc->v;
    conn_t *inner = conn_e2e_new(vc->srv, &vc->hs.keys, E2E_V2O, &e2e_cbs, vc);
    if (!inner) {
        vc_end(vc);
        return;
    }
    vc->srv = inner;
    /* Compression agreed: zstd inside the records; e2e is what the relay sees. */
    conn_t *e2e = vc->hs.zstd ? conn_zstd_new(inner, &e2e_cbs, vc, NULL, 0) : inner;
    if (!e2e) {
        vc_end(vc);
        return;
    }
    vc->srv = e2e;
    conn_e2e_feed(inner, rest, rest_len);
    if (conn_is_closing(e2e) || !vc->local || !v) return;
    LOG_I("visitor connected name=%s proxy=%s peer=%s path=relay", LOG_ESC(v->cfg->name),
          LOG_ESC(v->proxy), conn_peer(vc->local));
    conn_t *local = vc->local;
    cli_t *c = v->cli;
    vc->local = vc->srv = NULL;
    conn_set_cbs(local, &none_cbs, NULL);
    conn_set_cbs(e2e, &none_cbs, NULL);
    /* tagged: a reload that removes v ends it (cvisitor_retire) */
    tunnels_relay_tagged(&c->tunnels, e2e, local, vc->early, vc->early_len, "stcp", v);
    ref_drop(&vc->ref); /* the local conn's */
    ref_drop(&vc->ref); /* the server conn's */
    vc_end(vc);         /* the timer */
}

/* ---- the handshake on the server conn ----------------------------------- */

static int send_srv(void *ctx, const uint8_t *p, size_t n)
{
    vconn_t *vc = ctx;
    return conn_write(vc->srv, p, n) < 0 ? -1 : 0;
}

void cvisitor_log_refused(const char *name, const char *proxy, const char *why)
{
    LOG_LIMITED(LOG_WARN, "visitor refused name=%s proxy=%s path=relay reason=%s", LOG_ESC(name),
                LOG_ESC(proxy), LOG_ESC(why));
}

static void refused(vconn_t *vc, const char *why)
{
    cvisitor_t *v = vc->v;
    cvisitor_log_refused(v ? v->cfg->name : "?", v ? v->proxy : "?", why);
    vc_end(vc);
}

static void srv_data(conn_t *c, const uint8_t *p, size_t n)
{
    vconn_t *vc = conn_data(c);
    size_t used = 0;
    int r = stcp_hs_feed(&vc->hs, p, n, &used, send_srv, vc);
    if (r == STCP_HS_DONE)
        vc_relay(vc, p + used, n - used);
    else if (r == STCP_HS_REFUSED)
        refused(vc, vc->hs.reason);
    else if (r == STCP_HS_BAD)
        refused(vc, vc->hs.reason[0] ? vc->hs.reason : "bad-handshake");
}

int cvisitor_hello(cli_t *c, conn_t *srv, int status, const visitor_cfg_t *cfg, const char *proxy,
                   const uint8_t nonce[E2E_NONCE_LEN])
{
    if (status != 0) {
        LOG_LIMITED(LOG_WARN, "visitor cannot reach the server name=%s err=%s", LOG_ESC(cfg->name),
                    uv_strerror(status));
        return -1;
    }
    if ((conn_is_tls(srv) && client_verify_server(c, srv, false) != 0) ||
        client_send_visitor_hello(c, srv, proxy, cfg->type, nonce) < 0) {
        LOG_LIMITED(LOG_WARN, "visitor connection closed: lost the server name=%s proxy=%s",
                    LOG_ESC(cfg->name), LOG_ESC(proxy));
        return -1;
    }
    return 0;
}

static void srv_ready(conn_t *c, int status)
{
    vconn_t *vc = conn_data(c);
    cvisitor_t *v = vc->v;
    if (!v || cvisitor_hello(v->cli, c, status, v->cfg, v->proxy, vc->hs.nonce_v) != 0) vc_end(vc);
}

static const conn_cbs_t srv_cbs = {.on_ready = srv_ready,
                                   .on_data = srv_data,
                                   .on_eof = srv_end,
                                   .on_error = srv_error,
                                   .on_close = srv_close};

static void on_hs_timeout(uv_timer_t *t)
{
    vconn_t *vc = t->data;
    refused(vc, "handshake-timeout");
}

/* The control channel is up: dial the server for vc. */
static void vc_dial(vconn_t *vc)
{
    cvisitor_t *v = vc->v;
    cli_t *c = v->cli;
    if (stcp_hs_visitor_init(&vc->hs, v->cfg->secret_key, v->proxy, cvisitor_user(c)) != 0) {
        vc_end(vc);
        return;
    }
    /* transport.useCompression: zstd inside the e2e records, if the owner agrees. */
    vc->hs.want_zstd = v->cfg->use_compression && conn_zstd_available();
    vc->srv = conn_new(c->loop, &srv_cbs, vc);
    if (!vc->srv) {
        vc_end(vc);
        return;
    }
    ref_hold(&vc->ref); /* the server conn's */
    int r = client_dial(c, vc->srv, c->tls_session);
    if (r != 0) {
        LOG_LIMITED(LOG_WARN, "visitor cannot reach the server name=%s err=%s",
                    LOG_ESC(v->cfg->name), uv_strerror(r));
        vc_end(vc);
        return;
    }
    uv_timer_start(&vc->timer, on_hs_timeout, VISITOR_HS_MS, 0);
}

static bool ctl_ready(const cli_t *c)
{
    return client_logged_in(c);
}

/* xtcp: vc rides the pair's QUIC (one stream) when it is up. */
static bool vc_try_quic(vconn_t *vc)
{
    cvisitor_t *v = vc->v;
    bool pending;
    if (strcmp(v->cfg->type, "xtcp") != 0) return false;
    conn_t *s = cxtcp_visitor_stream(v->cli, v->cfg, &pending);
    if (!s) return false;
    LOG_I("visitor connected name=%s proxy=%s peer=%s path=quic", LOG_ESC(v->cfg->name),
          LOG_ESC(v->proxy), conn_peer(vc->local));
    conn_t *local = vc->local;
    vc->local = NULL;
    conn_set_cbs(local, &none_cbs, NULL);
    tunnels_relay_tagged(&v->cli->tunnels, local, s, NULL, 0, "xtcp", v);
    ref_drop(&vc->ref); /* the local conn's */
    vc_end(vc);         /* the timer */
    return true;
}

static bool xtcp_pending(const vconn_t *vc)
{
    bool pending = false;
    if (strcmp(vc->v->cfg->type, "xtcp") == 0)
        (void)cxtcp_visitor_stream(vc->v->cli, vc->v->cfg, &pending);
    return pending;
}

static void vc_go(vconn_t *vc);

/* xtcp: a connection waits for QUIC (at most VISITOR_QUIC_WAIT_MS), then
 * takes the stcp path. The timer runs at that deadline, or at once when the
 * pair has news (cvisitor_xtcp_news). */
static void on_quic_wait(uv_timer_t *t)
{
    vconn_t *vc = t->data;
    if (!vc->v || vc_try_quic(vc)) return;
    uint64_t waited = uv_now(vc->v->cli->loop) - vc->t_local;
    if (xtcp_pending(vc) && waited < VISITOR_QUIC_WAIT_MS) {
        uv_timer_start(t, on_quic_wait, VISITOR_QUIC_WAIT_MS - waited, 0);
        return;
    }
    vc->quic_done = true;
    vc_go(vc);
}

void cvisitor_xtcp_news(cli_t *c, const visitor_cfg_t *cfg)
{
    for (int i = 0; i < c->n_visitors && !c->stopping; i++) {
        if (c->visitors[i]->cfg != cfg) continue;
        for (vconn_t *vc = c->visitors[i]->conns; vc; vc = vc->next)
            if (!vc->quic_done && !vc->srv) uv_timer_start(&vc->timer, on_quic_wait, 0, 0);
    }
}

static void on_wait_timeout(uv_timer_t *t)
{
    vconn_t *vc = t->data;
    cvisitor_t *v = vc->v;
    LOG_LIMITED(LOG_WARN,
                "visitor connection closed: not connected to the server name=%s proxy=%s "
                "waited_ms=%d",
                LOG_ESC(v ? v->cfg->name : "?"), LOG_ESC(v ? v->proxy : "?"), VISITOR_WAIT_MS);
    vc_end(vc);
}

static void on_local(listener_t *l, conn_t *local, const struct sockaddr_storage *peer)
{
    cvisitor_t *v = l->data;
    (void)peer;
    vconn_t *vc = calloc(1, sizeof *vc);
    if (!vc || v->cli->stopping) {
        free(vc);
        conn_close(local);
        return;
    }
    ref_init(&vc->ref, 2, vc_release); /* the local conn and the timer */
    uv_timer_init(v->cli->loop, &vc->timer);
    vc->timer.data = vc;
    vc->local = local;
    conn_set_cbs(local, &local_cbs, vc);
    conn_start(local);
    conn_pause(local); /* nothing is read until the path is up */
    vc->v = v;
    vc->next = v->conns;
    if (v->conns) v->conns->prev = vc;
    v->conns = vc;
    LOG_D("visitor connection name=%s peer=%s", LOG_ESC(v->cfg->name), conn_peer(local));
    cxtcp_visitor_want(v->cli, v->cfg, v->proxy); /* xtcp: punch beside the relay path */
    vc->t_local = uv_now(v->cli->loop);
    vc_go(vc);
}

/* QUIC when the pair has it (or soon will), else the stcp path. */
static void vc_go(vconn_t *vc)
{
    cvisitor_t *v = vc->v;
    if (!vc->quic_done && vc_try_quic(vc)) return;
    if (!vc->quic_done && xtcp_pending(vc)) {
        uv_timer_start(&vc->timer, on_quic_wait, VISITOR_QUIC_WAIT_MS, 0);
        return;
    }
    vc->quic_done = true;
    if (ctl_ready(v->cli))
        vc_dial(vc);
    else
        uv_timer_start(&vc->timer, on_wait_timeout, VISITOR_WAIT_MS, 0);
}

/* ---- the client's side -------------------------------------------------- */

const char *cvisitor_user(const cli_t *c)
{
    return c->cfg->user ? c->cfg->user : "";
}

static void stcp_listen(cvisitor_t *v)
{
    const visitor_cfg_t *cfg = v->cfg;
    struct sockaddr_storage ss;
    if (cfg->bind_port < 0) return;
    const listener_opts_t opts = {.what = "visitor"};
    int r = listener_init(v->cli->loop, &v->l, &opts, on_local, v);
    if (r == 0) r = addr_parse(cfg->bind_addr, cfg->bind_port, &ss) == 0 ? 0 : UV_EINVAL;
    if (r == 0) r = listener_listen(&v->l, (struct sockaddr *)&ss);
    if (r != 0) {
        LOG_E("visitor cannot listen name=%s addr=%s:%d err=%s", LOG_ESC(cfg->name),
              LOG_ESC(cfg->bind_addr), cfg->bind_port, uv_strerror(r));
        listener_close(&v->l, NULL);
        return;
    }
    v->listening = true;
    LOG_I("visitor listening name=%s addr=%s:%d proxy=%s", LOG_ESC(cfg->name),
          LOG_ESC(cfg->bind_addr), cfg->bind_port, LOG_ESC(v->proxy));
}

static void stcp_ctl_up(cvisitor_t *v)
{
    vconn_t *next;
    for (vconn_t *vc = v->conns; vc; vc = next) {
        next = vc->next;                 /* vc_dial may end vc */
        if (!vc->srv && vc->quic_done) { /* not one waiting for xtcp's QUIC */
            uv_timer_stop(&vc->timer);
            vc_dial(vc);
        }
    }
}

static void stcp_close(cvisitor_t *v)
{
    if (v->listening) listener_close(&v->l, NULL);
    v->listening = false;
    while (v->conns)
        vc_end(v->conns);
}

static void sudp_start(cvisitor_t *v)
{
    vsudp_start(v->sudp);
}

static void sudp_ctl_up(cvisitor_t *v)
{
    vsudp_ctl_up(v->sudp);
}

/* xtcp: its connections ride the stcp relay path; with keepTunnelOpen the
 * direct path is punched at each login, not only at the first connection. */
static void xtcp_ctl_up(cvisitor_t *v)
{
    if (v->cfg->keep_tunnel_open) cxtcp_visitor_want(v->cli, v->cfg, v->proxy);
    stcp_ctl_up(v);
}

static void sudp_close(cvisitor_t *v)
{
    vsudp_close(v->sudp);
}

/* What each visitor type does at start, at each login and at stop. */
typedef struct vkind {
    const char *type;
    void (*start)(cvisitor_t *v);
    void (*ctl_up)(cvisitor_t *v);
    void (*close)(cvisitor_t *v);
} vkind_t;

static const vkind_t visitor_kinds[] = {
    {"stcp", stcp_listen, stcp_ctl_up, stcp_close},
    {"sudp", sudp_start, sudp_ctl_up, sudp_close},
    {"xtcp", stcp_listen, xtcp_ctl_up, stcp_close},
};

static const vkind_t *vkind_of(const cvisitor_t *v)
{
    for (size_t i = 0; i < sizeof visitor_kinds / sizeof visitor_kinds[0]; i++)
        if (v->cfg->type && strcmp(visitor_kinds[i].type, v->cfg->type) == 0)
            return &visitor_kinds[i];
    return NULL;
}

cvisitor_t *cvisitor_new(cli_t *c, const visitor_cfg_t *vc, ccfg_box_t *box)
{
    cvisitor_t *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    const char *own = cvisitor_user(c);
    const char *user = vc->server_user ? vc->server_user : own;
    v->cli = c;
    v->cfg = vc;
    if (user[0])
        snprintf(v->proxy, sizeof v->proxy, "%s.%s", user, vc->server_name);
    else
        snprintf(v->proxy, sizeof v->proxy, "%s", vc->server_name);
    if (vc->type && strcmp(vc->type, "sudp") == 0 && vc->bind_port >= 0 &&
        !(v->sudp = vsudp_new(c, vc, v->proxy))) {
        free(v);
        return NULL;
    }
    v->box = box;
    if (box) ref_hold(&box->ref);
    return v;
}

void cvisitor_discard(cvisitor_t *v)
{
    if (!v) return;
    vsudp_free(v->sudp);
    ccfg_box_drop(v->box);
    free(v);
}

const visitor_cfg_t *cvisitor_cfg(const cvisitor_t *v)
{
    return v->cfg;
}

cxtcp_budget_t *cvisitor_budget(cli_t *c, const visitor_cfg_t *cfg)
{
    for (int i = 0; i < c->n_visitors; i++)
        if (c->visitors[i]->cfg == cfg) return &c->visitors[i]->budget;
    return NULL;
}

int cvisitor_setup(cli_t *c)
{
    const client_cfg_t *cfg = c->cfg;
    c->visitors = calloc((size_t)cfg->n_visitors + 1, sizeof *c->visitors);
    if (!c->visitors) return -1;
    for (int i = 0; i < cfg->n_visitors; i++) {
        if (!(c->visitors[i] = cvisitor_new(c, &cfg->visitors[i], NULL))) return -1;
        c->n_visitors = i + 1; /* cvisitor_destroy frees what was made */
    }
    return 0;
}

void cvisitor_destroy(cli_t *c)
{
    for (int i = 0; c->visitors && i < c->n_visitors; i++)
        cvisitor_discard(c->visitors[i]);
    free(c->visitors);
    c->visitors = NULL;
    c->n_visitors = 0;
    while (c->visitors_retired) {
        cvisitor_t *v = c->visitors_retired;
        c->visitors_retired = v->retired_next;
        cvisitor_discard(v);
    }
}

void cvisitor_run(cvisitor_t *v)
{
    const vkind_t *k = vkind_of(v);
    if (!k) return;
    k->start(v);
    if (client_logged_in(v->cli)) k->ctl_up(v);
}

int cvisitor_retire(cvisitor_t *v)
{
    cli_t *c = v->cli;
    const vkind_t *k = vkind_of(v);
    if (k) k->close(v);
    cxtcp_close_visitor(c, v->cfg);
    int n = tunnels_end_tag(&c->tunnels, v);
    v->retired_next = c->visitors_retired;
    c->visitors_retired = v;
    LOG_I("visitor closed name=%s connections=%d", LOG_ESC(v->cfg->name), n);
    return n;
}

void cvisitor_start(cli_t *c)
{
    for (int i = 0; i < c->n_visitors; i++) {
        const vkind_t *k = vkind_of(c->visitors[i]);
        if (k) k->start(c->visitors[i]);
    }
}

void cvisitor_ctl_up(cli_t *c)
{
    for (int i = 0; i < c->n_visitors; i++) {
        const vkind_t *k = vkind_of(c->visitors[i]);
        if (k) k->ctl_up(c->visitors[i]);
    }
}

void cvisitor_close_all(cli_t *c)
{
    for (int i = 0; i < c->n_visitors; i++) {
        const vkind_t *k = vkind_of(c->visitors[i]);
        if (k) k->close(c->visitors[i]);
    }
}
