/* sproxy_tcp: a public TCP port whose connections are relayed to the client. */
#include <stdio.h>
#include <stdlib.h>

#include "server/server_int.h"
#include "util/log.h"

/* A user connection waiting for a work conn. */
typedef struct tcp_user {
    work_req_t req;
    conn_t *conn;
    srv_t *srv;
} tcp_user_t;

static void on_work(work_req_t *req, conn_t *work)
{
    tcp_user_t *t = req->data;
    sproxy_relay_counted(t->srv, (sproxy_t *)req->owner, t->conn, work, NULL, 0, "tcp");
    free(t);
}

static void on_no_work(work_req_t *req, int reason)
{
    tcp_user_t *t = req->data;
    (void)reason;
    conn_close(t->conn);
    free(t);
}

static void on_user(listener_t *l, conn_t *u, const struct sockaddr_storage *peer)
{
    sproxy_t *p = l->data;
    (void)peer;
    if (!p->sess) { /* the proxy is going away */
        conn_close(u);
        return;
    }
    /* Start then pause: nothing is read until a work conn is attached, so
     * a flood of users cannot make us buffer their bytes. */
    conn_start(u);
    conn_pause(u);
    LOG_D("user connected proxy=%s peer=%s", p->name, conn_peer(u));
    tcp_user_t *t = malloc(sizeof *t);
    if (!t) {
        conn_close(u);
        return;
    }
    char dst[64];
    t->conn = u;
    t->srv = p->srv;
    work_req_init(&t->req, on_work, on_no_work, t, conn_peer(u),
                  server_local_addr(u, dst, sizeof dst));
    session_request_work(p->sess, p, &t->req);
}

static void free_listener(listener_t *l)
{
    free(l);
}

static listener_t *try_listen(sproxy_t *p, int port, int *err)
{
    struct sockaddr_storage ss;
    listener_t *l = malloc(sizeof *l);
    if (!l) {
        *err = UV_ENOMEM;
        return NULL;
    }
    const listener_opts_t opts = {.what = "tcp proxy"};
    *err = listener_init(p->srv->loop, l, &opts, on_user, p);
    if (*err == 0) *err = ports_bind_addr(p->srv->cfg, port, &ss);
    if (*err == 0) *err = listener_listen(l, (struct sockaddr *)&ss);
    if (*err != 0) {
        listener_close(l, free_listener);
        return NULL;
    }
    return l;
}

static int tcp_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)m;
    const server_cfg_t *cfg = p->srv->cfg;
    int e = 0, cand;
    for (int i = 0; (cand = ports_candidate(cfg, port, i)) >= 0; i++) {
        listener_t *l = try_listen(p, cand, &e);
        if (l) {
            p->impl = l;
            p->port = listener_port(l);
            return 0;
        }
    }
    if (e == UV_EADDRINUSE && port > 0)
        snprintf(err, errlen, "port %d is already in use on the server", port);
    else if (e == UV_EADDRINUSE)
        snprintf(err, errlen, "no free port among the allowed ports");
    else
        snprintf(err, errlen, "cannot listen on port %d: %s", port, uv_strerror(e));
    return -1;
}

static void on_listener_closed(listener_t *l)
{
    sproxy_t *p = l->data;
    free(l);
    free(p);
}

static void tcp_close(sproxy_t *p)
{
    if (p->impl)
        listener_close(p->impl, on_listener_closed);
    else
        free(p);
}

const sproxy_ops_t sproxy_tcp_ops = {
    .type = "tcp",
    .open = tcp_open,
    .close = tcp_close,
};
