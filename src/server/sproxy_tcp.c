/* sproxy_tcp: a public TCP port whose connections are relayed to the client. */
#include <stdio.h>
#include <stdlib.h>

#include "server/server_int.h"
#include "util/log.h"

static void free_handle(uv_handle_t *h)
{
    free(h);
}

/* A user connection waiting for a work conn. */
typedef struct tcp_user {
    work_req_t req;
    conn_t *conn;
    srv_t *srv;
} tcp_user_t;

static void on_work(work_req_t *req, conn_t *work)
{
    tcp_user_t *t = req->data;
    server_relay(t->srv, t->conn, work, NULL, 0, "tcp");
    free(t);
}

static void on_no_work(work_req_t *req, int reason)
{
    tcp_user_t *t = req->data;
    (void)reason;
    conn_close(t->conn);
    free(t);
}

static void on_user(uv_stream_t *ls, int status)
{
    sproxy_t *p = ls->data;
    static const conn_cbs_t none = {0};
    if (status < 0) {
        LOG_LIMITED(LOG_WARN, "accept failed proxy=%s err=%s", p->name, uv_strerror(status));
        return;
    }
    if (!p->sess) return;
    conn_t *u = conn_new(ls->loop, &none, NULL);
    if (!u) return;
    if (uv_accept(ls, conn_stream(u)) != 0) {
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

static uv_tcp_t *try_listen(uv_loop_t *loop, const server_cfg_t *cfg, int port, int *err)
{
    struct sockaddr_storage ss;
    uv_tcp_t *h = malloc(sizeof *h);
    if (!h) {
        *err = UV_ENOMEM;
        return NULL;
    }
    uv_tcp_init(loop, h);
    *err = ports_bind_addr(cfg, port, &ss);
    if (*err == 0) *err = uv_tcp_bind(h, (struct sockaddr *)&ss, 0);
    /* libuv reports EADDRINUSE from listen(), not bind(). */
    if (*err == 0) *err = uv_listen((uv_stream_t *)h, 511, on_user);
    if (*err != 0) {
        uv_close((uv_handle_t *)h, free_handle);
        return NULL;
    }
    return h;
}

static int bound_port(uv_tcp_t *h)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getsockname(h, (struct sockaddr *)&ss, &len) != 0) return 0;
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

static int tcp_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)m;
    const server_cfg_t *cfg = p->srv->cfg;
    int e = 0, cand;
    for (int i = 0; (cand = ports_candidate(cfg, port, i)) >= 0; i++) {
        uv_tcp_t *h = try_listen(p->srv->loop, cfg, cand, &e);
        if (h) {
            h->data = p;
            p->impl = h;
            p->port = bound_port(h);
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

static void on_listener_closed(uv_handle_t *h)
{
    sproxy_t *p = h->data;
    free(h);
    free(p);
}

static void tcp_close(sproxy_t *p)
{
    if (p->impl)
        uv_close((uv_handle_t *)p->impl, on_listener_closed);
    else
        free(p);
}

const sproxy_ops_t sproxy_tcp_ops = {
    .type = "tcp",
    .open = tcp_open,
    .close = tcp_close,
};
