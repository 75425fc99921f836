/* sproxy_udp: a public UDP port. Datagrams travel to the client as UDP_DATA
 * frames on one work conn per proxy; each sender address gets a session id so
 * replies find their way back. The sessions are a udp_sessions table
 * (net/udp_sessions.h: UDP_IDLE_MS idle expiry, UDP_MAX_SESSIONS with the
 * least recently used evicted). When
 * the work conn is missing or full, datagrams are dropped, as UDP allows. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/shaper.h"
#include "net/udp_sessions.h"
#include "net/addr.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "server/server_int.h"
#include "util/log.h"

typedef struct udp_impl {
    uv_udp_t sock;
    uv_timer_t sweep;
    sproxy_t *p;
    conn_t *work;
    framer_t fr;
    udp_sessions_t sessions; /* peer: the user's address */
    work_req_t req;          /* pending while a work conn is asked for */
    bool closing;
    uint64_t drops;
    ref_t ref; /* socket + sweep timer + the work conn while there is one */
} udp_impl_t;

static void udp_attach(work_req_t *req, conn_t *work);
static void udp_no_work(work_req_t *req, int reason);

static void request_work(udp_impl_t *u)
{
    if (work_req_pending(&u->req) || u->work || u->closing || !u->p->sess) return;
    work_req_init(&u->req, udp_attach, udp_no_work, u, NULL, NULL);
    session_request_work(u->p->sess, u->p, &u->req);
}

static void on_dgram(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
                     const struct sockaddr *addr, unsigned flags)
{
    udp_impl_t *u = sock->data;
    if (nread < 0 || !addr || (flags & UV_UDP_PARTIAL) || (size_t)nread > MSG_UDP_MAX) return;
    if (!u->work || conn_pending(u->work) > CONN_HIGH_WATER) {
        u->drops++;
        request_work(u);
        return;
    }
    /* Over bandwidthLimit (server mode): dropped, as a full work conn drops. */
    if (u->p->shaper && !shaper_admit(u->p->shaper, 0, (size_t)nread)) {
        u->drops++;
        return;
    }
    udp_sess_t *s = udp_sessions_by_peer(&u->sessions, addr, uv_now(sock->loop));
    if (!s) return;
    /* Ignored: a datagram that cannot be queued is lost, as UDP may lose it;
     * a broken work conn reports itself through its own error callback. */
    (void)msg_send_udp(u->work, s->id, buf, (size_t)nread);
    if (u->p->st) pstat_add(u->p->st, PSTAT_IN, (uint64_t)nread, (int64_t)time(NULL));
}

static int on_work_frame(void *ctx, const frame_t *f)
{
    udp_impl_t *u = ctx;
    /* Over bandwidthLimit (server mode): the datagram is dropped. */
    if (u->p->shaper && f->type == MSG_UDP_DATA && !shaper_admit(u->p->shaper, 1, f->len)) return 0;
    /* The frame's payload: the datagram and its few bytes of session id. */
    if (u->p->st) pstat_add(u->p->st, PSTAT_OUT, f->len, (int64_t)time(NULL));
    return msg_udp_deliver(&u->sock, &u->sessions, f, uv_now(u->sock.loop));
}

static void on_work_data(conn_t *c, const uint8_t *p, size_t n)
{
    udp_impl_t *u = conn_data(c);
    if (framer_feed(&u->fr, p, n, on_work_frame, u) == FRAME_ERR_TOO_LARGE) conn_close(c);
}

static void on_work_gone(conn_t *c)
{
    conn_close(c);
}

static void on_work_error(conn_t *c, int err)
{
    (void)err;
    conn_close(c);
}

static void impl_release(ref_t *r)
{
    udp_impl_t *u = REF_OWNER(r, udp_impl_t, ref);
    udp_sessions_clear(&u->sessions);
    framer_free(&u->fr);
    free(u->p);
    free(u);
}

static void on_work_close(conn_t *c)
{
    udp_impl_t *u = conn_data(c);
    u->work = NULL;
    framer_free(&u->fr);
    if (!u->closing) request_work(u);
    ref_drop(&u->ref);
}

static const conn_cbs_t udp_work_cbs = {
    .on_data = on_work_data,
    .on_eof = on_work_gone,
    .on_error = on_work_error,
    .on_close = on_work_close,
};

static void udp_attach(work_req_t *req, conn_t *work)
{
    udp_impl_t *u = req->data;
    if (u->work || u->closing) {
        conn_close(work); /* its cbs are the pool's empty ones */
        return;
    }
    u->work = work;
    ref_hold(&u->ref); /* dropped by the work conn's close */
    conn_set_cbs(work, &udp_work_cbs, u);
    conn_resume(work);
}

/* Datagrams are dropped until the next one asks again. */
static void udp_no_work(work_req_t *req, int reason)
{
    udp_impl_t *u = req->data;
    LOG_D("udp proxy got no work connection name=%s reason=%s", u->p->name,
          work_cancel_reason_name(reason));
}

static void on_sweep(uv_timer_t *t)
{
    udp_impl_t *u = t->data;
    udp_sessions_expire(&u->sessions, uv_now(t->loop));
}

static void on_handle_closed(uv_handle_t *h)
{
    udp_impl_t *u = h->data;
    ref_drop(&u->ref);
}

static int udp_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)m;
    srv_t *srv = p->srv;
    udp_impl_t *u = calloc(1, sizeof *u);
    if (!u) return snprintf(err, errlen, "out of memory"), -1;
    u->p = p;
    p->impl = u;
    ref_init(&u->ref, 2, impl_release);
    udp_sessions_init(&u->sessions, UDP_MAX_SESSIONS, UDP_IDLE_MS, NULL, NULL);
    uv_timer_init(srv->loop, &u->sweep);
    u->sweep.data = u;
    uv_udp_init(srv->loop, &u->sock);
    u->sock.data = u;
    int e = UV_EADDRINUSE, cand;
    for (int i = 0; (cand = ports_candidate(srv->cfg, port, i)) >= 0; i++) {
        struct sockaddr_storage ss;
        e = ports_bind_addr(srv->cfg, cand, &ss);
        if (e == 0) e = uv_udp_bind(&u->sock, (struct sockaddr *)&ss, 0);
        if (e == 0) break;
    }
    if (e != 0) {
        snprintf(err, errlen,
                 e == UV_EADDRINUSE ? "port %d is already in use on the server"
                                    : "cannot bind udp port %d",
                 port);
        return -1;
    }
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_udp_getsockname(&u->sock, (struct sockaddr *)&ss, &len);
    p->port = addr_port((struct sockaddr *)&ss);
    uv_udp_recv_start(&u->sock, msg_udp_alloc, on_dgram);
    uv_timer_start(&u->sweep, on_sweep, UDP_SWEEP_MS, UDP_SWEEP_MS);
    request_work(u);
    return 0;
}

static void udp_close(sproxy_t *p)
{
    udp_impl_t *u = p->impl;
    if (!u) {
        free(p);
        return;
    }
    u->closing = true;
    work_pool_withdraw(&u->req);
    if (u->drops)
        LOG_D("udp proxy closed name=%s dropped=%llu", p->name, (unsigned long long)u->drops);
    if (u->work) conn_close(u->work);
    uv_close((uv_handle_t *)&u->sock, on_handle_closed);
    uv_close((uv_handle_t *)&u->sweep, on_handle_closed);
}

const sproxy_ops_t sproxy_udp_ops = {
    .type = "udp",
    .open = udp_open,
    .close = udp_close,
};
