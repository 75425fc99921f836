/* ftp_data: one-shot data listeners for FTP-aware tcp proxies (see the
 * header). Each waiting listener is an fdl_t in srv->ftp_data, owned by that
 * list until it finishes (accepted, expired, refused or its session ended);
 * then its listener and timer close and the second close callback frees it.
 * The accepted user conn moves to an fdu_t that owns it until a work conn
 * is attached (relayed like any tcp user) or the request is cancelled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "net/listener.h"
#include "proto/msg.h"
#include "server/ftp_data.h"
#include "server/work_pool.h"
#include "util/log.h"

typedef struct fdl {
    srv_t *srv;
    session_t *ss;
    struct fdl *next;
    listener_t *l; /* owned: heap, freed by its close callback */
    uv_timer_t deadline;
    int closing; /* handles still to close: 2 → 0 */
    bool done;
    char proxy[128];
    char peer_ip[64]; /* the FTP user's address: only it may connect */
    uint32_t id;
} fdl_t;

/* An accepted data connection waiting for its work conn. */
typedef struct fdu {
    work_req_t req;
    conn_t *conn;
    srv_t *srv;
    sproxy_t *p;
} fdu_t;

static void fdl_unlink(fdl_t *f)
{
    for (fdl_t **pp = (fdl_t **)&f->srv->ftp_data; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            return;
        }
}

static void fdl_handle_closed(fdl_t *f)
{
    if (--f->closing == 0) free(f);
}

static void on_listener_closed(listener_t *l)
{
    fdl_t *f = l->data;
    free(l);
    fdl_handle_closed(f);
}

static void free_listener(listener_t *l)
{
    free(l);
}

static void on_timer_closed(uv_handle_t *h)
{
    fdl_handle_closed(h->data);
}

static void fdl_finish(fdl_t *f)
{
    if (f->done) return;
    f->done = true;
    fdl_unlink(f);
    if (f->l)
        listener_close(f->l, on_listener_closed);
    else
        f->closing--;
    uv_close((uv_handle_t *)&f->deadline, on_timer_closed);
}

static void on_deadline(uv_timer_t *t)
{
    fdl_t *f = t->data;
    LOG_D("ftp data port unused proxy=%s id=%u", f->proxy, f->id);
    fdl_finish(f);
}

static void on_work(work_req_t *req, conn_t *work)
{
    fdu_t *u = req->data;
    sproxy_relay_counted(u->srv, u->p, u->conn, work, NULL, 0, "ftp-data");
    free(u);
}

static void on_no_work(work_req_t *req, int reason)
{
    fdu_t *u = req->data;
    LOG_D("ftp data connection without work conn reason=%s", work_cancel_reason_name(reason));
    conn_close(u->conn);
    free(u);
}

static void on_user(listener_t *l, conn_t *c, const struct sockaddr_storage *peer)
{
    fdl_t *f = l->data;
    char ip[64];
    addr_ip((const struct sockaddr *)peer, ip, sizeof ip);
    sproxy_t *p = f->ss ? server_find_proxy(f->srv, f->proxy) : NULL;
    if (f->done || !p || p->sess != f->ss || strcmp(ip, f->peer_ip) != 0) {
        LOG_LIMITED(LOG_WARN, "ftp data connection refused proxy=%s peer=%s expected=%s", f->proxy,
                    ip, f->peer_ip);
        conn_close(c);
        return;
    }
    uint32_t id = f->id;
    fdl_finish(f); /* one connection per passive answer */
    fdu_t *u = calloc(1, sizeof *u);
    if (!u) {
        conn_close(c);
        return;
    }
    conn_start(c);
    conn_pause(c);
    char dst[64];
    u->conn = c;
    u->srv = p->srv;
    u->p = p;
    work_req_init(&u->req, on_work, on_no_work, u, conn_peer(c),
                  server_local_addr(c, dst, sizeof dst));
    u->req.ftp_data = id;
    session_request_work(p->sess, p, &u->req);
}

static int count_for(srv_t *s, session_t *ss)
{
    int n = 0;
    for (fdl_t *f = s->ftp_data; f; f = f->next)
        n += f->ss == ss;
    return n;
}

static void reply_error(session_t *ss, uint32_t id, const char *err)
{
    session_send(ss, MSG_FTP_DATA_PORT_RESP,
                 json_pack("{s:I,s:s}", "id", (json_int_t)id, "error", err));
}

static listener_t *try_listen(fdl_t *f, int port, int *err)
{
    struct sockaddr_storage a;
    const listener_opts_t opts = {.what = "ftp data"};
    listener_t *l = malloc(sizeof *l);
    if (!l) {
        *err = UV_ENOMEM;
        return NULL;
    }
    *err = listener_init(f->srv->loop, l, &opts, on_user, f);
    if (*err == 0) *err = ports_bind_addr(f->srv->cfg, port, &a);
    if (*err == 0) *err = listener_listen(l, (struct sockaddr *)&a);
    if (*err == 0) return l;
    listener_close(l, free_listener);
    return NULL;
}

/* Listens on a port from allowPorts (any without them); 0 or a uv error. */
static int fdl_listen(fdl_t *f)
{
    int e = UV_EADDRINUSE, cand;
    for (int i = 0; !f->l && (cand = ports_candidate(f->srv->cfg, 0, i)) >= 0; i++)
        f->l = try_listen(f, cand, &e);
    return f->l ? 0 : e;
}

static bool owns_tcp_proxy(srv_t *s, session_t *ss, const char *name)
{
    sproxy_t *p = name ? server_find_proxy(s, name) : NULL;
    return p && p->sess == ss && strcmp(p->ops->type, "tcp") == 0;
}

void ftp_data_open(srv_t *s, session_t *ss, const char *ctl_ip, const json_t *m)
{
    uint32_t id = (uint32_t)msg_int(m, "id", 0);
    const char *proxy = msg_str(m, "proxy"), *peer = msg_str(m, "peer");
    struct sockaddr_storage pa;
    if (!owns_tcp_proxy(s, ss, proxy)) return reply_error(ss, id, "unknown tcp proxy");
    if (!peer || addr_parse_text(peer, &pa) != 0) return reply_error(ss, id, "bad peer");
    if (count_for(s, ss) >= FTP_DATA_MAX) return reply_error(ss, id, "too many data ports waiting");
    fdl_t *f = calloc(1, sizeof *f);
    if (!f) return reply_error(ss, id, "out of memory");
    f->srv = s;
    f->ss = ss;
    f->id = id;
    f->closing = 2;
    snprintf(f->proxy, sizeof f->proxy, "%s", proxy);
    addr_ip((struct sockaddr *)&pa, f->peer_ip, sizeof f->peer_ip);
    uv_timer_init(s->loop, &f->deadline);
    f->deadline.data = f;
    f->next = s->ftp_data;
    s->ftp_data = f;
    int e = fdl_listen(f);
    if (e != 0) {
        LOG_W("ftp data port: cannot listen proxy=%s err=%s", f->proxy, uv_strerror(e));
        reply_error(ss, id, "no free port among the allowed ports");
        fdl_finish(f);
        return;
    }
    const server_cfg_t *cfg = s->cfg;
    const char *addr = cfg->proxy_bind_addr && strcmp(cfg->proxy_bind_addr, "0.0.0.0") != 0 &&
                               strcmp(cfg->proxy_bind_addr, "::") != 0
                           ? cfg->proxy_bind_addr
                           : ctl_ip;
    uv_timer_start(&f->deadline, on_deadline, FTP_DATA_WAIT_MS, 0);
    LOG_D("ftp data port proxy=%s id=%u port=%d", f->proxy, id, listener_port(f->l));
    session_send(ss, MSG_FTP_DATA_PORT_RESP,
                 json_pack("{s:I,s:s,s:i}", "id", (json_int_t)id, "addr", addr, "port",
                           listener_port(f->l)));
}

void ftp_data_session_end(srv_t *s, session_t *ss)
{
    fdl_t *f = s->ftp_data;
    while (f) {
        fdl_t *next = f->next;
        if (f->ss == ss) {
            f->ss = NULL;
            fdl_finish(f);
        }
        f = next;
    }
}
