/* cwork: the client's work connections.
 *
 * A work conn dials the server, proves itself (HELLO role=work with a MAC
 * over run id and sequence number), waits idle for START_WORK, then goes to
 * its proxy's kind (cproxy_ops_t): tcp, http and https relay it to the local
 * service (cwork_start_stream, here); udp takes its conn (cproxy_udp.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "http/proxy_proto.h"
#include "inspect/inspector.h"
#include "net/tunnels.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "util/log.h"
#include "util/ref.h"

struct cwork {
    cli_t *cli; /* while listed; NULL once the client forgot it */
    conn_t *c;
    conn_t *local;
    cproxy_t *proxy; /* once started; holds a reference (cproxy_t) */
    framer_t fr;
    unsigned gen;
    bool started;
    cwork_t **list;       /* &cli->idle until started, then &cli->starting */
    cwork_t *next, *prev; /* in *list until the local side is up */
    uint8_t *early;       /* bytes after START_WORK, before the local side is up */
    size_t early_len;
    uint8_t pp[PROXY_PROTO_MAX]; /* PROXY header for the local service */
    int pp_len;
    char src[80];               /* START_WORK's src, for the inspector and ftp */
    uint32_t ftp_data;          /* START_WORK's ftp_data: an FTP data connection (cftp.c) */
    uint32_t ftp_active;        /* START_WORK's ftp_active: an active-mode one (cftp_active.c) */
    struct sockaddr_storage to; /* where the local side connects: the proxy's
                                 * local address, or an FTP data target */
    /* on-demand wake (cwake.c): bounds each local connect attempt and
     * spaces the retries; heap, holds a reference until closed */
    uv_timer_t *wake_timer;
    uint64_t wake_since; /* loop time this conn began waiting; 0 = not */
    ref_t ref;           /* the work conn, until closed or handed on */
};

static const conn_cbs_t none_cbs = {0};

static void list_add(cwork_t *w, cli_t *c, cwork_t **list)
{
    w->cli = c;
    w->list = list;
    w->prev = NULL;
    w->next = *list;
    if (*list) (*list)->prev = w;
    *list = w;
    if (list == &c->idle) c->n_idle++;
}

/* Takes w out of the client's lists: the client no longer closes it. */
static void list_unlink(cwork_t *w)
{
    if (!w->cli) return;
    if (w->prev)
        w->prev->next = w->next;
    else if (*w->list == w)
        *w->list = w->next;
    if (w->next) w->next->prev = w->prev;
    if (w->list == &w->cli->idle) w->cli->n_idle--;
    w->next = w->prev = NULL;
    w->list = NULL;
    w->cli = NULL;
}

static void cwork_release(ref_t *r)
{
    cwork_t *w = REF_OWNER(r, cwork_t, ref);
    framer_free(&w->fr);
    free(w->early);
    cproxy_drop(w->proxy);
    free(w);
}

/* ---- stream kinds: relay to the local service --------------------------- */

static void start_local(cwork_t *w);

static void wake_timer_closed(uv_handle_t *h)
{
    cwork_t *w = h->data;
    free(h);
    ref_drop(&w->ref);
}

/* The conn no longer waits for a machine: the timer goes, and its count. */
static void wake_stop(cwork_t *w)
{
    cwake_cancel(w->proxy, w->wake_since);
    w->wake_since = 0;
    if (!w->wake_timer) return;
    uv_close((uv_handle_t *)w->wake_timer, wake_timer_closed);
    w->wake_timer = NULL;
}

static void drop_local(cwork_t *w)
{
    conn_set_cbs(w->local, &none_cbs, NULL);
    conn_close(w->local);
    w->local = NULL;
}

/* Fires while connecting (the attempt took too long) or while waiting
 * between attempts (time to try again). */
static void on_wake_timer(uv_timer_t *t)
{
    cwork_t *w = t->data;
    if (!w->c) return;
    if (!w->local) {
        start_local(w);
        return;
    }
    drop_local(w);
    if (!cwake_failed(w->proxy, uv_now(t->loop), &w->wake_since, UV_ETIMEDOUT)) {
        wake_stop(w);
        conn_abort(w->c);
        return;
    }
    uv_timer_start(t, on_wake_timer, WAKE_RETRY_MS, 0);
}

/* Arms w's wake timer for `ms`; false when it cannot exist (no memory). */
static bool wake_arm(cwork_t *w, uint64_t ms)
{
    if (!w->wake_timer) {
        w->wake_timer = malloc(sizeof *w->wake_timer);
        if (!w->wake_timer) return false;
        uv_timer_init(conn_loop(w->c), w->wake_timer);
        w->wake_timer->data = w;
        ref_hold(&w->ref); /* the timer's, until wake_timer_closed */
    }
    uv_timer_start(w->wake_timer, on_wake_timer, ms, 0);
    return true;
}

/* The local connect failed: wait for the machine (wakeOnLan) or give up. */
static void local_failed(cwork_t *w, int status)
{
    const proxy_cfg_t *cfg = w->proxy->cfg;
    if (w->local) drop_local(w);
    if (cwake_enabled(w->proxy) &&
        cwake_failed(w->proxy, uv_now(conn_loop(w->c)), &w->wake_since, status) &&
        wake_arm(w, WAKE_RETRY_MS))
        return;
    if (!w->wake_since)
        LOG_W("local connect failed proxy=%s addr=%s:%d err=%s", cfg->name, cfg->local_ip,
              cfg->local_port, uv_strerror(status));
    wake_stop(w);
    /* RST, so the server closes the user's connection at once. */
    conn_abort(w->c);
}

static void on_local_ready(conn_t *local, int status)
{
    cwork_t *w = conn_data(local);
    if (status != 0) {
        local_failed(w, status);
        return;
    }
    cwake_up(w->proxy, uv_now(conn_loop(local)), w->wake_since);
    w->wake_since = 0;
    wake_stop(w);
    conn_t *work = w->c;
    uint8_t *early = w->early;
    size_t early_len = w->early_len;
    cli_t *c = w->proxy->cli;
    w->early = NULL;
    w->local = NULL;
    w->c = NULL;
    list_unlink(w);
    conn_set_cbs(work, &none_cbs, NULL);
    /* The PROXY header goes first, before any byte of the user's. */
    if (w->pp_len > 0 && conn_write(local, w->pp, (size_t)w->pp_len) < 0) {
        /* The local service went away at once: reset, as when it refuses. */
        conn_close(local);
        conn_abort(work);
        free(early);
        ref_drop(&w->ref);
        return;
    }
    relay_meter_t m;
    const proxy_cfg_t *cfg = w->proxy->cfg;
    if (cfg->ftp && !w->ftp_data && !w->ftp_active) { /* an FTP control connection */
        cftp_start(c, w->proxy, work, local, early, early_len, w->src);
        free(early);
        ref_drop(&w->ref);
        return;
    }
    /* Tagged with the proxy, so that removing it (reload) ends these. Only
     * an inspected proxy's relay carries a tap (none costs nothing). */
    bool tap = cfg->inspect && inspector_tap(c->inspector, cfg->name, w->src, &m);
    tunnels_relay_ex(&c->tunnels, work, local, early, early_len, kind_name(cfg->kind),
                     tap ? &m : NULL, w->proxy);
    free(early);
    ref_drop(&w->ref); /* the conn's: the relay owns both conns now */
}

static const conn_cbs_t local_cbs = {.on_ready = on_local_ready};

/* An active-mode FTP data connection: the FTP server's, waiting in
 * cftp_active.c, takes the work conn. */
static void join_active(cwork_t *w, const uint8_t *rest, size_t rest_len)
{
    cli_t *c = w->proxy->cli;
    uint32_t id = w->ftp_active;
    const char *name = w->proxy->cfg->name;
    char nm[LOG_ESC_MAX];
    log_esc(name, nm, sizeof nm);
    conn_t *work = cwork_detach(w);
    if (cfa_join(c, id, work, rest, rest_len)) return;
    LOG_LIMITED(LOG_WARN, "ftp active data connection for no PORT proxy=%s id=%u", nm,
                (unsigned)id);
    conn_abort(work);
}

/* A plugin takes the conn instead of a local service (cplugin.c). */
static void start_plugin(cwork_t *w, const uint8_t *rest, size_t rest_len)
{
    const cproxy_t *p = w->proxy;
    char src[sizeof w->src];
    memcpy(src, w->src, sizeof src);
    cproxy_hold(p); /* w, and its reference, go with the detach */
    cplugin_serve(p, cwork_detach(w), src, rest, rest_len);
    cproxy_drop(p);
}

void cwork_start_stream(cwork_t *w, const uint8_t *rest, size_t rest_len)
{
    if (w->proxy->plugin) {
        start_plugin(w, rest, rest_len);
        return;
    }
    conn_pause(w->c);
    if (w->ftp_active) {
        join_active(w, rest, rest_len);
        return;
    }
    if (rest_len) {
        w->early = malloc(rest_len);
        if (!w->early) {
            conn_close(w->c);
            return;
        }
        memcpy(w->early, rest, rest_len);
        w->early_len = rest_len;
    }
    w->to = w->proxy->local;
    if (w->ftp_data && !cftp_data_target(w->proxy->cli, w->ftp_data, &w->to)) {
        LOG_LIMITED(LOG_WARN, "ftp data connection for no passive answer proxy=%s id=%u",
                    LOG_ESC(w->proxy->cfg->name), (unsigned)w->ftp_data);
        conn_abort(w->c);
        return;
    }
    start_local(w);
}

/* One attempt at the local service; with wakeOnLan, bounded in time. */
static void start_local(cwork_t *w)
{
    w->local = conn_new(conn_loop(w->c), &local_cbs, w);
    if (!w->local) {
        LOG_W("local connect failed proxy=%s err=no memory", w->proxy->cfg->name);
        wake_stop(w);
        conn_abort(w->c);
        return;
    }
    int r = conn_connect(w->local, (struct sockaddr *)&w->to, NULL, NULL, NULL);
    if (r != 0) {
        local_failed(w, r);
        return;
    }
    if (cwake_enabled(w->proxy)) (void)wake_arm(w, WAKE_CONNECT_TIMEOUT_MS);
}

const cproxy_t *cwork_proxy(const cwork_t *w)
{
    return w->proxy;
}

conn_t *cwork_detach(cwork_t *w)
{
    conn_t *conn = w->c;
    list_unlink(w);
    w->c = NULL;
    conn_set_cbs(conn, &none_cbs, NULL);
    ref_drop(&w->ref); /* the conn's: it goes to the caller */
    return conn;
}

/* ---- the work conn ------------------------------------------------------ */

static cproxy_t *find_proxy(cli_t *c, const char *name)
{
    for (int i = 0; name && i < c->n_proxies; i++)
        if (strcmp(c->proxies[i]->wire_name, name) == 0) return c->proxies[i];
    return NULL;
}

static int on_work_frame(void *ctx, const frame_t *f)
{
    cwork_t *w = ctx;
    if (f->type != MSG_START_WORK) {
        LOG_D("unexpected %s on an idle work connection", msg_name(f->type));
        conn_close(w->c);
        return 1;
    }
    json_t *m = msg_parse(f);
    cli_t *c = w->cli;
    cproxy_t *p = m && c ? find_proxy(c, msg_str(m, "proxy")) : NULL;
    if (!p) {
        LOG_LIMITED(LOG_WARN, "server started work for an unknown proxy=%s",
                    LOG_ESC(m ? msg_str(m, "proxy") : "?"));
        json_decref(m);
        conn_close(w->c);
        return 1;
    }
    LOG_D("work started proxy=%s src=%s", LOG_ESC(p->cfg->name), LOG_ESC(msg_str(m, "src")));
    if (p->cfg->proxy_protocol) {
        w->pp_len =
            proxy_proto_encode(p->cfg->proxy_protocol, msg_str(m, "src"), msg_str(m, "dst"), w->pp);
        if (w->pp_len < 0)
            LOG_LIMITED(LOG_WARN, "no PROXY header: unusable addresses proxy=%s src=%s dst=%s",
                        LOG_ESC(p->cfg->name), LOG_ESC(msg_str(m, "src")),
                        LOG_ESC(msg_str(m, "dst")));
    }
    const char *src = msg_str(m, "src");
    if ((p->cfg->inspect || p->cfg->ftp || p->plugin) && src)
        snprintf(w->src, sizeof w->src, "%s", src);
    w->ftp_data = p->cfg->ftp ? (uint32_t)msg_int(m, "ftp_data", 0) : 0;
    w->ftp_active = p->cfg->ftp ? (uint32_t)msg_int(m, "ftp_active", 0) : 0;
    json_decref(m);
    list_unlink(w); /* from idle to starting: stop closes it until it is relayed */
    list_add(w, c, &c->starting);
    w->started = true;
    w->proxy = p;
    cproxy_hold(p);
    return 1; /* the rest of the input is the proxy's */
}

static void on_work_data(conn_t *conn, const uint8_t *p, size_t n)
{
    cwork_t *w = conn_data(conn);
    if (w->started) return; /* paused by its kind, or closing */
    ssize_t used = framer_feed(&w->fr, p, n, on_work_frame, w);
    if (used < 0) {
        conn_close(conn);
        return;
    }
    if (!w->started || conn_is_closing(conn)) return;
    cproxy_ops(w->proxy->cfg->kind)->start(w, p + used, n - (size_t)used);
}

static void on_work_ready(conn_t *conn, int status)
{
    cwork_t *w = conn_data(conn);
    cli_t *c = w->cli;
    if (status != 0 || !c || w->gen != c->gen) {
        if (status != 0) LOG_D("work connection failed err=%s", uv_strerror(status));
        conn_close(conn);
        return;
    }
    if (conn_is_tls(conn)) LOG_T("work connection tls resumed=%d", conn_tls_resumed(conn));
    if (conn_is_tls(conn) && client_verify_server(c, conn, false) != 0) {
        conn_close(conn);
        return;
    }
    if (client_send_hello(c, conn, true) < 0) {
        LOG_D("work connection hello failed");
        conn_close(conn); /* the server asks again for what does not arrive */
    }
}

static void on_work_eof(conn_t *conn)
{
    conn_close(conn);
}

static void on_work_error(conn_t *conn, int err)
{
    (void)err;
    conn_close(conn);
}

static void on_work_close(conn_t *conn)
{
    cwork_t *w = conn_data(conn);
    list_unlink(w);
    w->c = NULL;
    if (w->local) drop_local(w); /* still connecting */
    if (w->proxy) wake_stop(w);
    ref_drop(&w->ref);
}

static const conn_cbs_t work_cbs = {
    .on_ready = on_work_ready,
    .on_data = on_work_data,
    .on_eof = on_work_eof,
    .on_error = on_work_error,
    .on_close = on_work_close,
};

void cwork_open(cli_t *c)
{
    if (c->n_idle >= MAX_CONNECTING_WORK || !c->ctl) return;
    cwork_t *w = calloc(1, sizeof *w);
    if (!w) return;
    w->gen = c->gen;
    ref_init(&w->ref, 1, cwork_release);
    w->c = conn_new(c->loop, &work_cbs, w);
    if (!w->c) {
        free(w);
        return;
    }
    list_add(w, c, &c->idle);
    int r = client_dial(c, w->c, c->tls_session);
    if (r != 0) {
        /* Typically EMFILE: out of descriptors. Users wait, so say so. */
        LOG_LIMITED(LOG_WARN, "cannot open a work connection err=%s", uv_strerror(r));
        conn_close(w->c);
    }
}

static void close_list(cwork_t **list)
{
    while (*list) {
        cwork_t *w = *list;
        conn_t *conn = w->c;
        list_unlink(w);
        if (conn) conn_close(conn); /* on_work_close closes a connecting local */
    }
}

void cwork_close_idle(cli_t *c)
{
    close_list(&c->idle);
}

void cwork_close_proxy(cli_t *c, const cproxy_t *p)
{
    cwork_t *w = c->starting;
    while (w) {
        cwork_t *next = w->next;
        if (w->proxy == p) {
            conn_t *conn = w->c;
            list_unlink(w);
            if (conn) conn_close(conn);
        }
        w = next;
    }
}

void cwork_close_all(cli_t *c)
{
    close_list(&c->idle);
    close_list(&c->starting);
}
