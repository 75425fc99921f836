/* sproxy_tcp: a public TCP port whose connections are relayed to the client.
 *
 * A proxy naming a loadBalancer group (NEW_PROXY "group", "group_key")
 * shares its port with the other members of the group: the first member
 * binds it, the listener belongs to the group (tcp_group_t, the group's
 * data in srv->lb_tcp) and each user connection goes to the next member
 * (lb_group.h); the port closes when the last member leaves. */
#include <stdio.h>
#include <stdlib.h>

#include "proto/msg.h"
#include "server/server_int.h"
#include "util/log.h"

/* A tcp group's shared port. Owned by the group (lb_group_t.data) while it
 * has members, then by the listener's close callback. */
typedef struct tcp_group {
    listener_t *l;
    lb_group_t *g; /* NULL once the last member left */
    int port;
} tcp_group_t;

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

static void user_arrived(sproxy_t *p, conn_t *u);

static void on_user(listener_t *l, conn_t *u, const struct sockaddr_storage *peer)
{
    (void)peer;
    user_arrived(l->data, u);
}

/* A group's port: the next member serves the connection. */
static void on_group_user(listener_t *l, conn_t *u, const struct sockaddr_storage *peer)
{
    tcp_group_t *tg = l->data;
    (void)peer;
    user_arrived(tg->g ? lb_group_next(tg->g) : NULL, u);
}

static void user_arrived(sproxy_t *p, conn_t *u)
{
    if (!p || !p->sess) { /* the proxy is going away */
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

static listener_t *try_listen(srv_t *s, int port, listener_conn_cb cb, void *data, int *err)
{
    struct sockaddr_storage ss;
    listener_t *l = malloc(sizeof *l);
    if (!l) {
        *err = UV_ENOMEM;
        return NULL;
    }
    const listener_opts_t opts = {.what = "tcp proxy"};
    *err = listener_init(s->loop, l, &opts, cb, data);
    if (*err == 0) *err = ports_bind_addr(s->cfg, port, &ss);
    if (*err == 0) *err = listener_listen(l, (struct sockaddr *)&ss);
    if (*err != 0) {
        listener_close(l, free_listener);
        return NULL;
    }
    return l;
}

/* Binds `port` (0: a candidate under allowPorts) for cb(data). */
static listener_t *listen_port(srv_t *s, int port, listener_conn_cb cb, void *data, char *err,
                               size_t errlen)
{
    int e = 0, cand;
    for (int i = 0; (cand = ports_candidate(s->cfg, port, i)) >= 0; i++) {
        listener_t *l = try_listen(s, cand, cb, data, &e);
        if (l) return l;
    }
    if (e == UV_EADDRINUSE && port > 0)
        snprintf(err, errlen, "port %d is already in use on the server", port);
    else if (e == UV_EADDRINUSE)
        snprintf(err, errlen, "no free port among the allowed ports");
    else
        snprintf(err, errlen, "cannot listen on port %d: %s", port, uv_strerror(e));
    return NULL;
}

/* ---- load-balancing groups ------------------------------------------------ */

/* The group holding public `port`, or NULL. */
static const lb_group_t *port_group(const srv_t *s, int port)
{
    for (const lb_group_t *g = s->lb_tcp.head; port > 0 && g; g = g->next)
        if (g->data && ((const tcp_group_t *)g->data)->port == port) return g; /* not bound yet */
    return NULL;
}

/* Before joining group g: the port asked for must be the group's (or 0),
 * and the user must be allowed to bind it. */
static int check_join(sproxy_t *p, const lb_group_t *g, long long asked, char *err, size_t errlen)
{
    const tcp_group_t *tg = g->data;
    if (asked && asked != tg->port)
        snprintf(err, errlen, "load-balancing group %s is on port %d, not %lld", LOG_ESC(g->name),
                 tg->port, asked);
    else if (p->sess && !session_port_allowed(p->sess, tg->port))
        snprintf(err, errlen, "port %d of load-balancing group %s is not allowed for this user",
                 tg->port, LOG_ESC(g->name));
    else
        return 0;
    return -1;
}

/* The first member: binds the port for the group. */
static int group_bind(sproxy_t *p, lb_group_t *g, int port, char *err, size_t errlen)
{
    tcp_group_t *tg = calloc(1, sizeof *tg);
    const lb_group_t *other = port_group(p->srv, port);
    if (!tg) {
        snprintf(err, errlen, "out of memory");
    } else if (other) {
        snprintf(err, errlen, "port %d belongs to load-balancing group %s", port,
                 LOG_ESC(other->name));
    } else if ((tg->l = listen_port(p->srv, port, on_group_user, tg, err, errlen))) {
        tg->g = g;
        tg->port = listener_port(tg->l);
        g->data = tg;
        return 0;
    }
    free(tg);
    lb_group_leave(&p->srv->lb_tcp, g, p);
    return -1;
}

static int group_open(sproxy_t *p, int port, const json_t *m, const char *group, char *err,
                      size_t errlen)
{
    srv_t *s = p->srv;
    lb_group_t *g = lb_groups_find(&s->lb_tcp, group);
    if (g && lb_group_key_ok(g, msg_str(m, "group_key")) &&
        check_join(p, g, msg_int(m, "remote_port", 0), err, errlen) != 0)
        return -1;
    int r = lb_group_join(&s->lb_tcp, group, msg_str(m, "group_key"), p, &g);
    if (r < 0) return lb_group_join_error(r, group, err, errlen);
    if (r == LB_CREATED && group_bind(p, g, port, err, errlen) != 0) return -1;
    p->lb = g;
    p->port = ((tcp_group_t *)g->data)->port;
    LOG_I("load-balancing group %s group=%s proxy=%s port=%d members=%d",
          r == LB_CREATED ? "created" : "joined", LOG_ESC(group), LOG_ESC(p->name), p->port, g->n);
    return 0;
}

static void on_group_listener_closed(listener_t *l)
{
    free(l->data);
    free(l);
}

/* p leaves its group; the last one out closes the port. */
static void group_leave(sproxy_t *p)
{
    lb_group_t *g = p->lb;
    tcp_group_t *tg = g->data;
    p->lb = NULL;
    LOG_I("load-balancing group left group=%s proxy=%s members=%d", LOG_ESC(g->name),
          LOG_ESC(p->name), g->n - 1);
    if (lb_group_leave(&p->srv->lb_tcp, g, p) == 0) {
        tg->g = NULL;
        listener_close(tg->l, on_group_listener_closed);
    }
    free(p);
}

/* ---- the kind -------------------------------------------------------------- */

static int tcp_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    const char *group = msg_str(m, "group");
    if (group && *group) return group_open(p, port, m, group, err, errlen);
    listener_t *l = listen_port(p->srv, port, on_user, p, err, errlen);
    if (!l) return -1;
    p->impl = l;
    p->port = listener_port(l);
    return 0;
}

static void on_listener_closed(listener_t *l)
{
    sproxy_t *p = l->data;
    free(l);
    free(p);
}

static void tcp_close(sproxy_t *p)
{
    if (p->lb)
        group_leave(p);
    else if (p->impl)
        listener_close(p->impl, on_listener_closed);
    else
        free(p);
}

const sproxy_ops_t sproxy_tcp_ops = {
    .type = "tcp",
    .open = tcp_open,
    .close = tcp_close,
};
