/* tcp_punch: see tcp_punch.h. Sockets are made here (socket(2), the two
 * reuse options, bind to P) and handed to libuv with uv_tcp_open, since
 * libuv sets SO_REUSEADDR but not SO_REUSEPORT, which a listening and
 * connecting socket on one port both need. */
#include "p2p/tcp_punch.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/addr.h"

typedef struct tconn {
    uv_tcp_t h; /* first: handed to the caller on success, freed by it */
    uv_connect_t req;
    tcp_punch_t *t;
    int slot; /* in t->conns, or -1 once handed over */
    bool outgoing, authed, open;
    int target; /* outgoing: index in t->targets */
    struct sockaddr_storage peer;
    uint8_t rx[PUNCH_PKT_LEN];
    size_t rxn;
} tconn_t;

struct tcp_punch {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t timer;
    int port, open_handles;
    bool listener_open, timer_open, started, finished, closing;
    punch_role_t role;
    punch_key_t key;
    tcp_punch_cb cb;
    void *arg;
    void (*closed_cb)(void *);
    void *closed_arg;
    struct sockaddr_storage targets[CAND_MAX];
    uint64_t next_try[CAND_MAX];
    bool connecting[CAND_MAX];
    int ntargets;
    tconn_t *conns[TCP_PUNCH_CONNS_MAX];
    tconn_t *chosen; /* visitor: nominated, waiting for the ACK */
    uint64_t t_start;
};

static void maybe_free(tcp_punch_t *t)
{
    if (!t->closing || t->open_handles > 0) return;
    void (*cb)(void *) = t->closed_cb;
    void *arg = t->closed_arg;
    free(t);
    if (cb) cb(arg);
}

static void on_own_closed(uv_handle_t *h)
{
    tcp_punch_t *t = h->data;
    t->open_handles--;
    maybe_free(t);
}

static void on_conn_closed(uv_handle_t *h)
{
    tconn_t *c = (tconn_t *)h;
    tcp_punch_t *t = c->t;
    free(c);
    t->open_handles--;
    maybe_free(t);
}

static void conn_close(tconn_t *c)
{
    if (!c->open) return;
    c->open = false;
    if (c->slot >= 0) c->t->conns[c->slot] = NULL;
    if (c->outgoing) c->t->connecting[c->target] = false;
    if (c->t->chosen == c) c->t->chosen = NULL;
    uv_close((uv_handle_t *)&c->h, on_conn_closed);
}

/* A socket bound to 0.0.0.0:port with both reuse options, or -errno. */
static int reuse_socket(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) return -errno;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

/* ---- the authentication on a connection --------------------------------- */

static void send_pkt(tconn_t *c, punch_type_t type)
{
    punch_pkt_t pkt = {.type = type, .role = c->t->role};
    uint8_t b[PUNCH_PKT_LEN];
    if (punch_pkt_encode(&c->t->key, &pkt, b) != 0) return;
    uv_buf_t ub = uv_buf_init((char *)b, sizeof b);
    (void)uv_try_write((uv_stream_t *)&c->h, &ub, 1); /* 48 bytes into an empty buffer */
}

static void finish(tcp_punch_t *t, tconn_t *won, const char *reason)
{
    if (t->finished) return;
    t->finished = true;
    uv_timer_stop(&t->timer);
    struct sockaddr_storage peer;
    if (won) {
        peer = won->peer;
        uv_read_stop((uv_stream_t *)&won->h);
        t->conns[won->slot] = NULL;
        won->slot = -1;
        won->open = false;
        won->h.data = NULL;
        t->open_handles--; /* the caller's now */
    }
    for (int i = 0; i < TCP_PUNCH_CONNS_MAX; i++)
        if (t->conns[i]) conn_close(t->conns[i]);
    if (t->cb)
        t->cb(t, won ? &won->h : NULL, won ? (struct sockaddr *)&peer : NULL, reason, t->arg);
}

static void on_pkt(tconn_t *c, const punch_pkt_t *k)
{
    tcp_punch_t *t = c->t;
    if (k->type == PUNCH_PROBE && !c->authed) {
        c->authed = true;
        if (t->role == PUNCH_ROLE_VISITOR && !t->chosen) {
            t->chosen = c;
            send_pkt(c, PUNCH_NOMINATE);
        }
    } else if (k->type == PUNCH_NOMINATE && c->authed && t->role == PUNCH_ROLE_OWNER) {
        send_pkt(c, PUNCH_ACK);
        finish(t, c, NULL);
    } else if (k->type == PUNCH_ACK && c->authed && t->chosen == c) {
        finish(t, c, NULL);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    tconn_t *c = (tconn_t *)h;
    *buf = uv_buf_init((char *)c->rx + c->rxn, (unsigned)(sizeof c->rx - c->rxn));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    tconn_t *c = (tconn_t *)s;
    (void)buf;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->rxn += (size_t)n;
    if (c->rxn < sizeof c->rx) return;
    punch_pkt_t k;
    c->rxn = 0;
    if (punch_pkt_parse(&c->t->key, c->rx, sizeof c->rx, &k) < 0 || k.role == c->t->role) {
        conn_close(c); /* not our peer: a stranger, or another pair */
        return;
    }
    on_pkt(c, &k);
}

/* A connection is up (connected or accepted): prove ourselves, read theirs. */
static void conn_up(tconn_t *c)
{
    int len = sizeof c->peer;
    uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &len);
    uv_tcp_keepalive(&c->h, 1, 15);
    send_pkt(c, PUNCH_PROBE);
    if (uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) != 0) conn_close(c);
}

static tconn_t *conn_new(tcp_punch_t *t)
{
    int slot = -1;
    for (int i = 0; i < TCP_PUNCH_CONNS_MAX && slot < 0; i++)
        if (!t->conns[i]) slot = i;
    tconn_t *c = slot < 0 ? NULL : calloc(1, sizeof *c);
    if (!c) return NULL;
    uv_tcp_init(t->loop, &c->h);
    c->h.data = c;
    c->t = t;
    c->slot = slot;
    c->open = true;
    t->conns[slot] = c;
    t->open_handles++;
    return c;
}

/* ---- connecting and accepting ------------------------------------------- */

static void on_connect(uv_connect_t *req, int status)
{
    tconn_t *c = req->data;
    if (status == UV_ECANCELED) return; /* closing: the close callback frees it */
    tcp_punch_t *t = c->t;
    t->connecting[c->target] = false;
    if (status != 0 || t->finished) {
        t->next_try[c->target] = uv_now(t->loop) + TCP_PUNCH_RETRY_MS;
        conn_close(c);
        return;
    }
    conn_up(c);
}

static void try_connect(tcp_punch_t *t, int i)
{
    int fd = reuse_socket(t->port);
    tconn_t *c = fd >= 0 ? conn_new(t) : NULL;
    if (!c) {
        if (fd >= 0) close(fd);
        t->next_try[i] = uv_now(t->loop) + TCP_PUNCH_RETRY_MS;
        return;
    }
    c->outgoing = true;
    c->target = i;
    c->req.data = c;
    t->connecting[i] = true;
    if (uv_tcp_open(&c->h, fd) != 0) {
        close(fd);
        conn_close(c);
        return;
    }
    if (uv_tcp_connect(&c->req, &c->h, (struct sockaddr *)&t->targets[i], on_connect) != 0) {
        t->next_try[i] = uv_now(t->loop) + TCP_PUNCH_RETRY_MS;
        conn_close(c);
    }
}

static void on_tick(uv_timer_t *tm)
{
    tcp_punch_t *t = tm->data;
    uint64_t now = uv_now(t->loop);
    if (now - t->t_start >= TCP_PUNCH_TIMEOUT_MS) {
        finish(t, NULL, "timeout");
        return;
    }
    for (int i = 0; i < t->ntargets; i++)
        if (!t->connecting[i] && now >= t->next_try[i]) try_connect(t, i);
}

static void on_accept(uv_stream_t *l, int status)
{
    tcp_punch_t *t = l->data;
    if (status != 0) return;
    tconn_t *c = t->started && !t->finished ? conn_new(t) : NULL;
    if (!c) { /* not punching, or full: take it and drop it */
        uv_tcp_t *tmp = malloc(sizeof *tmp);
        if (!tmp) return;
        uv_tcp_init(t->loop, tmp);
        (void)uv_accept(l, (uv_stream_t *)tmp);
        uv_close((uv_handle_t *)tmp, (uv_close_cb)free);
        return;
    }
    if (uv_accept(l, (uv_stream_t *)&c->h) != 0)
        conn_close(c);
    else
        conn_up(c);
}

/* ---- life --------------------------------------------------------------- */

int tcp_punch_new(uv_loop_t *loop, tcp_punch_t **out)
{
    tcp_punch_t *t = calloc(1, sizeof *t);
    if (!t) return UV_ENOMEM;
    t->loop = loop;
    int fd = reuse_socket(0);
    if (fd < 0) {
        free(t);
        return uv_translate_sys_error(-fd);
    }
    uv_tcp_init(loop, &t->listener);
    t->listener.data = t;
    t->listener_open = true;
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    t->timer_open = true;
    t->open_handles = 2;
    struct sockaddr_storage ss;
    int len = sizeof ss, r = uv_tcp_open(&t->listener, fd);
    if (r != 0) close(fd);
    if (r == 0) r = uv_listen((uv_stream_t *)&t->listener, 16, on_accept);
    if (r == 0) r = uv_tcp_getsockname(&t->listener, (struct sockaddr *)&ss, &len);
    if (r != 0) {
        tcp_punch_close(t, NULL, NULL);
        return r;
    }
    t->port = addr_port((struct sockaddr *)&ss);
    *out = t;
    return 0;
}

int tcp_punch_port(const tcp_punch_t *t)
{
    return t->port;
}

int tcp_punch_start(tcp_punch_t *t, punch_role_t role, const punch_key_t *key,
                    const cand_set_t *peer, tcp_punch_cb cb, void *arg)
{
    if (t->started || peer->tcp_port <= 0) return UV_EINVAL;
    t->started = true;
    t->role = role;
    t->key = *key;
    t->cb = cb;
    t->arg = arg;
    for (int i = 0; i < peer->n && t->ntargets < CAND_MAX; i++) {
        if (peer->c[i].addr.ss_family != AF_INET) continue;
        struct sockaddr_in a;
        memcpy(&a, &peer->c[i].addr, sizeof a);
        a.sin_port = htons((uint16_t)peer->tcp_port); /* NATs that keep ports map P to P */
        bool dup = false;
        for (int j = 0; j < t->ntargets; j++)
            dup = dup || memcmp(&t->targets[j], &a, sizeof a) == 0;
        if (!dup) memcpy(&t->targets[t->ntargets++], &a, sizeof a);
    }
    t->t_start = uv_now(t->loop);
    uv_timer_start(&t->timer, on_tick, 0, 50);
    return 0;
}

void tcp_punch_close(tcp_punch_t *t, void (*cb)(void *arg), void *arg)
{
    if (!t || t->closing) return;
    t->closing = true;
    t->finished = true;
    t->closed_cb = cb;
    t->closed_arg = arg;
    for (int i = 0; i < TCP_PUNCH_CONNS_MAX; i++)
        if (t->conns[i]) conn_close(t->conns[i]);
    if (t->listener_open) uv_close((uv_handle_t *)&t->listener, on_own_closed);
    if (t->timer_open) uv_close((uv_handle_t *)&t->timer, on_own_closed);
    t->listener_open = t->timer_open = false;
}
