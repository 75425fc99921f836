/* cproxy_udp: the udp kind on the client, and its fan-out.
 *
 * A started udp work conn (or an sudp owner's e2e conn, cproxy_sudp.c)
 * becomes a cudp channel: UDP_DATA frames from the
 * server carry a session id per remote sender; each id gets one connected
 * local UDP socket towards the local service, whose replies go back under
 * the same id. Sessions live in a udp_sessions table (cap and idle expiry in
 * net/udp_sessions.h). The channel owns its conn, its sockets and its sweep
 * timer, and is freed when the last of them has closed. The client lists
 * its channels while their conn is open, so that client_stop can close them. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/shaper.h"
#include "net/udp_sessions.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "util/log.h"
#include "util/ref.h"

struct cudp {
    conn_t *c; /* NULL once closed */
    cli_t *cli;
    cudp_t *next, *prev;   /* in cli->udps while c is open */
    const cproxy_t *proxy; /* holds a reference */
    uv_loop_t *loop;
    framer_t fr;
    udp_sessions_t sessions; /* data: the session's lsock_t */
    uv_timer_t sweep;
    ref_t ref; /* the conn, the timer, each socket until closed */
};

typedef struct lsock { /* one connected local UDP socket per session */
    uv_udp_t sock;
    cudp_t *u;
    uint32_t sid;
    udp_sess_t *sess; /* NULL once dropped from the table */
} lsock_t;

static void cudp_release(ref_t *r)
{
    cudp_t *u = REF_OWNER(r, cudp_t, ref);
    framer_free(&u->fr);
    cproxy_drop(u->proxy);
    free(u);
}

static void cudp_unlink(cudp_t *u)
{
    if (u->prev)
        u->prev->next = u->next;
    else
        u->cli->udps = u->next;
    if (u->next) u->next->prev = u->prev;
}

static void lsock_closed(uv_handle_t *h)
{
    lsock_t *s = h->data;
    cudp_t *u = s->u;
    free(s);
    ref_drop(&u->ref);
}

/* The table drops a session: close its socket. */
static void on_sess_drop(udp_sessions_t *t, udp_sess_t *sess, void *ctx)
{
    (void)t;
    (void)ctx;
    lsock_t *s = sess->data;
    if (!s) return;
    s->sess = NULL;
    uv_close((uv_handle_t *)&s->sock, lsock_closed);
}

static void on_local_dgram(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *addr, unsigned flags)
{
    lsock_t *s = sock->data;
    cudp_t *u = s->u;
    (void)addr;
    if (nread <= 0 || (flags & UV_UDP_PARTIAL) || !u->c || !s->sess) return;
    if (conn_pending(u->c) > CONN_HIGH_WATER) return; /* full: drop, as UDP may */
    /* Over transport.bandwidthLimit: dropped, as a full queue drops. */
    if (u->proxy->shaper && !shaper_admit(u->proxy->shaper, 1, (size_t)nread)) return;
    (void)udp_sessions_find(&u->sessions, s->sid, uv_now(sock->loop)); /* used now */
    /* Ignored: a datagram that cannot be queued is lost, as UDP may lose it;
     * a broken work conn reports itself through its own error callback. */
    (void)msg_send_udp(u->c, s->sid, buf, (size_t)nread);
}

/* A new session `sid`: a local socket connected to the local service. */
static udp_sess_t *sess_open(cudp_t *u, uint32_t sid, uint64_t now)
{
    lsock_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    udp_sess_t *sess = udp_sessions_add(&u->sessions, sid, now);
    if (!sess) {
        free(s);
        return NULL;
    }
    const struct sockaddr *dst = (const struct sockaddr *)&u->proxy->local;
    /* The socket exists from here, so that SO_BROADCAST can be set before
     * connect: a local target may be a LAN's broadcast address (a
     * Wake-on-LAN udp proxy), which connect() refuses without it. */
    int rc = uv_udp_init_ex(u->loop, &s->sock, dst->sa_family);
    if (rc != 0) {
        LOG_LIMITED(LOG_WARN, "udp: no local socket proxy=%s err=%s", LOG_ESC(u->proxy->cfg->name),
                    uv_strerror(rc));
        udp_sessions_remove(&u->sessions, sess); /* data still NULL: nothing to close */
        free(s);
        return NULL;
    }
    s->sock.data = s;
    s->u = u;
    s->sid = sid;
    s->sess = sess;
    sess->data = s;
    ref_hold(&u->ref); /* the socket's, until lsock_closed */
    if (dst->sa_family == AF_INET) (void)uv_udp_set_broadcast(&s->sock, 1);
    if ((rc = uv_udp_connect(&s->sock, dst)) != 0 ||
        (rc = uv_udp_recv_start(&s->sock, msg_udp_alloc, on_local_dgram)) != 0) {
        u->cli->udp_send_fail++;
        LOG_LIMITED(LOG_WARN, "udp: cannot reach the local service proxy=%s err=%s failures=%llu",
                    LOG_ESC(u->proxy->cfg->name), uv_strerror(rc),
                    (unsigned long long)u->cli->udp_send_fail);
        udp_sessions_remove(&u->sessions, sess);
        return NULL;
    }
    return sess;
}

static int on_udp_frame(void *ctx, const frame_t *f)
{
    cudp_t *u = ctx;
    uint32_t sid;
    const uint8_t *data;
    size_t len;
    if (msg_udp_decode(f, &sid, &data, &len) != 0) return 0;
    uint64_t now = uv_now(u->loop);
    udp_sess_t *sess = udp_sessions_find(&u->sessions, sid, now);
    if (!sess) sess = sess_open(u, sid, now);
    if (!sess) return 0;
    lsock_t *s = sess->data;
    if (u->proxy->shaper && !shaper_admit(u->proxy->shaper, 0, len)) return 0; /* over the limit */
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int rc = uv_udp_try_send(&s->sock, &b, 1, NULL);
    if (rc < 0) {
        /* Lost as UDP may lose it, but never silently: a refused port
         * (ICMP), a full buffer (EAGAIN), a route that is gone. */
        u->cli->udp_send_fail++;
        LOG_LIMITED(LOG_WARN, "udp: send to the local service failed proxy=%s err=%s failures=%llu",
                    LOG_ESC(u->proxy->cfg->name), uv_strerror(rc),
                    (unsigned long long)u->cli->udp_send_fail);
    }
    return 0;
}

static void on_data(conn_t *conn, const uint8_t *p, size_t n)
{
    cudp_t *u = conn_data(conn);
    if (framer_feed(&u->fr, p, n, on_udp_frame, u) < 0) conn_close(conn);
}

static void on_eof(conn_t *conn)
{
    conn_close(conn);
}

static void on_error(conn_t *conn, int err)
{
    (void)err;
    conn_close(conn);
}

static void sweep_closed(uv_handle_t *h)
{
    cudp_t *u = h->data;
    ref_drop(&u->ref);
}

static void on_close(conn_t *conn)
{
    cudp_t *u = conn_data(conn);
    u->c = NULL;
    cudp_unlink(u);
    udp_sessions_clear(&u->sessions);
    uv_timer_stop(&u->sweep);
    uv_close((uv_handle_t *)&u->sweep, sweep_closed);
    ref_drop(&u->ref);
}

static const conn_cbs_t cudp_cbs = {
    .on_data = on_data,
    .on_eof = on_eof,
    .on_error = on_error,
    .on_close = on_close,
};

static void on_sweep(uv_timer_t *t)
{
    cudp_t *u = t->data;
    udp_sessions_expire(&u->sessions, uv_now(t->loop));
}

void cudp_adopt(const cproxy_t *proxy, conn_t *conn, const uint8_t *rest, size_t rest_len)
{
    cudp_t *u = calloc(1, sizeof *u);
    if (!u) {
        conn_close(conn);
        return;
    }
    u->c = conn;
    u->proxy = proxy;
    cproxy_hold(proxy);
    u->cli = proxy->cli;
    u->loop = u->cli->loop;
    ref_init(&u->ref, 2, cudp_release); /* the conn and the timer */
    u->next = u->cli->udps;
    if (u->next) u->next->prev = u;
    u->cli->udps = u;
    udp_sessions_init(&u->sessions, UDP_MAX_SESSIONS, UDP_IDLE_MS, on_sess_drop, u);
    uv_timer_init(u->loop, &u->sweep);
    u->sweep.data = u;
    uv_timer_start(&u->sweep, on_sweep, UDP_SWEEP_MS, UDP_SWEEP_MS);
    conn_set_cbs(conn, &cudp_cbs, u);
    if (rest_len && framer_feed(&u->fr, rest, rest_len, on_udp_frame, u) < 0) conn_close(conn);
    conn_resume(conn); /* a compressed work conn holds its first bytes until resumed */
}

static void cudp_start(cwork_t *w, const uint8_t *rest, size_t rest_len)
{
    const cproxy_t *proxy = cwork_proxy(w);
    cudp_adopt(proxy, cwork_detach(w), rest, rest_len);
}

void cudp_close_proxy(cli_t *c, const cproxy_t *p)
{
    for (cudp_t *u = c->udps; u; u = u->next)
        if (u->proxy == p) conn_close(u->c);
}

void cudp_close_all(cli_t *c)
{
    for (cudp_t *u = c->udps; u; u = u->next)
        conn_close(u->c); /* on_close unlinks it, from the loop */
}

const cproxy_ops_t cproxy_udp_ops = {
    .encode = NULL,
    .start = cudp_start,
};
