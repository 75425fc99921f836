/* sproxy_udp: a public UDP port. Datagrams travel to the client as UDP_DATA
 * frames on one work conn per proxy; each sender address gets a session id so
 * replies find their way back. Sessions expire after UDP_IDLE_MS; at most
 * UDP_MAX_SESSIONS live at once (the least recently used is evicted). When
 * the work conn is missing or full, datagrams are dropped, as UDP allows. */
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "server/server_int.h"
#include "util/log.h"

#define UDP_IDLE_MS 60000
#define UDP_MAX_SESSIONS 1024

typedef struct usess {
    struct sockaddr_storage addr;
    uint32_t sid;
    uint64_t last;
    struct usess *next;
} usess_t;

typedef struct udp_impl {
    uv_udp_t sock;
    uv_timer_t sweep;
    sproxy_t *p;
    conn_t *work;
    framer_t fr;
    usess_t *sessions; /* most recently used first */
    int n_sessions;
    uint32_t next_sid;
    bool waiting_work, closing;
    uint64_t drops;
    int refs;
} udp_impl_t;

static int addr_equal(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family) return 0;
    if (b->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static usess_t *session_for_addr(udp_impl_t *u, const struct sockaddr *addr, uint64_t now)
{
    usess_t **pp = &u->sessions, *prev_last = NULL, **last_pp = NULL;
    for (; *pp; pp = &(*pp)->next) {
        if (addr_equal(&(*pp)->addr, addr)) {
            usess_t *s = *pp;
            *pp = s->next; /* move to front */
            s->next = u->sessions;
            u->sessions = s;
            s->last = now;
            return s;
        }
        last_pp = pp;
        prev_last = *pp;
    }
    usess_t *s;
    if (u->n_sessions >= UDP_MAX_SESSIONS && prev_last) {
        *last_pp = NULL; /* evict the least recently used */
        s = prev_last;
    } else {
        s = malloc(sizeof *s);
        if (!s) return NULL;
        u->n_sessions++;
    }
    memset(s, 0, sizeof *s);
    memcpy(&s->addr, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    s->sid = ++u->next_sid;
    s->last = now;
    s->next = u->sessions;
    u->sessions = s;
    return s;
}

static void request_work(udp_impl_t *u)
{
    if (u->waiting_work || u->work || u->closing || !u->p->sess) return;
    u->waiting_work = true;
    session_request_work(u->p->sess, u->p, NULL, NULL, NULL);
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
    usess_t *s = session_for_addr(u, addr, uv_now(sock->loop));
    if (!s) return;
    /* Ignored: a datagram that cannot be queued is lost, as UDP may lose it;
     * a broken work conn reports itself through its own error callback. */
    (void)msg_send_udp(u->work, s->sid, buf, (size_t)nread);
}

static int on_work_frame(void *ctx, const frame_t *f)
{
    udp_impl_t *u = ctx;
    uint32_t sid;
    const uint8_t *data;
    size_t len;
    if (msg_udp_decode(f, &sid, &data, &len) != 0) return 0;
    for (usess_t *s = u->sessions; s; s = s->next) {
        if (s->sid != sid) continue;
        uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
        uv_udp_try_send(&u->sock, &b, 1, (const struct sockaddr *)&s->addr);
        s->last = uv_now(u->sock.loop);
        break;
    }
    return 0;
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

static void impl_unref(udp_impl_t *u)
{
    if (--u->refs > 0) return;
    for (usess_t *s = u->sessions, *next; s; s = next) {
        next = s->next;
        free(s);
    }
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
    impl_unref(u);
}

static const conn_cbs_t udp_work_cbs = {
    .on_data = on_work_data,
    .on_eof = on_work_gone,
    .on_error = on_work_error,
    .on_close = on_work_close,
};

static void udp_attach(sproxy_t *p, conn_t *work, void *user)
{
    udp_impl_t *u = p->impl;
    (void)user;
    u->waiting_work = false;
    if (u->work || u->closing) {
        conn_close(work); /* its cbs are the session's empty ones */
        return;
    }
    u->work = work;
    u->refs++;
    conn_set_cbs(work, &udp_work_cbs, u);
    conn_resume(work);
}

static void on_sweep(uv_timer_t *t)
{
    udp_impl_t *u = t->data;
    uint64_t now = uv_now(t->loop);
    for (usess_t **pp = &u->sessions; *pp;) {
        usess_t *s = *pp;
        if (now - s->last > UDP_IDLE_MS) {
            *pp = s->next;
            u->n_sessions--;
            free(s);
        } else {
            pp = &s->next;
        }
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    impl_unref(h->data);
}

static int udp_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)m;
    srv_t *srv = p->srv;
    udp_impl_t *u = calloc(1, sizeof *u);
    if (!u) return snprintf(err, errlen, "out of memory"), -1;
    u->p = p;
    p->impl = u;
    u->refs = 2;
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
    uv_timer_start(&u->sweep, on_sweep, 5000, 5000);
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
    if (u->drops)
        LOG_D("udp proxy closed name=%s dropped=%llu", p->name, (unsigned long long)u->drops);
    if (u->work) conn_close(u->work);
    uv_close((uv_handle_t *)&u->sock, on_handle_closed);
    uv_close((uv_handle_t *)&u->sweep, on_handle_closed);
}

const sproxy_ops_t sproxy_udp_ops = {
    .type = "udp",
    .open = udp_open,
    .attach = udp_attach,
    .cancel = sproxy_cancel_close,
    .close = udp_close,
};
