/* relay_path: see relay_path.h. One connected uv_udp_t (the kernel keeps
 * other sources out), one timer for BIND retransmission and keepalive. */
#include "p2p/relay_path.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "util/log.h"

typedef struct relay_path {
    dgram_path_t base; /* first: a dgram_path_t * is a relay_path_t * */
    uv_loop_t *loop;
    uv_udp_t h;
    uv_timer_t t;
    relay_path_cfg_t cfg;
    relay_path_ready_cb ready;
    void *ready_arg;
    uint64_t counter; /* the last BIND's */
    uint64_t acked;   /* the last BOUND's */
    int tries;        /* BINDs of the running round; 0: no round */
    uint32_t rto;     /* the running round's next wait */
    bool bound, down, closing;
    uint64_t last_rx; /* uv_now of the last datagram from the relay */
    int open_handles; /* closing: how many close callbacks are due */
    dgram_path_closed_cb closed_cb;
    void *closed_arg;
    relay_path_stats_t stats;
    uint8_t rbuf[RELAY_WIRE_DGRAM_MAX + 1];
} relay_path_t;

static int rp_send(dgram_path_t *p, const uint8_t *data, size_t len);
static void rp_close(dgram_path_t *p, dgram_path_closed_cb cb, void *arg);

static const dgram_path_ops_t relay_ops = {
    .kind = "relay", .pref = DGRAM_PREF_RELAY, .send = rp_send, .close = rp_close};

const relay_path_stats_t *relay_path_stats(const dgram_path_t *p)
{
    return p->ops == &relay_ops ? &((const relay_path_t *)p)->stats : NULL;
}

int relay_path_cfg_from_grant(const relay_grant_t *g, const struct sockaddr *control_peer,
                              relay_path_cfg_t *out)
{
    char ip[ADDR_STRLEN];
    const char *host = g->addr[0] ? g->addr : addr_ip(control_peer, ip, sizeof ip);
    memset(out, 0, sizeof *out);
    if (addr_parse(host, g->port, &out->relay) != 0) return UV_EINVAL;
    out->alloc_id = g->alloc_id;
    out->side = g->side;
    memcpy(out->key, g->key, RELAY_KEY_LEN);
    return 0;
}

/* ---- binding ------------------------------------------------------------ */

static void send_bind(relay_path_t *rp)
{
    uint8_t msg[RELAY_WIRE_LEN];
    relay_msg_t m = {.type = RELAY_MSG_BIND,
                     .side = rp->cfg.side,
                     .alloc_id = rp->cfg.alloc_id,
                     .counter = ++rp->counter};
    uv_buf_t b = uv_buf_init((char *)msg, (unsigned)relay_wire_encode(&m, rp->cfg.key, msg));
    uv_udp_try_send(&rp->h, &b, 1, NULL); /* a lost BIND is retransmitted */
    rp->stats.binds++;
}

/* status: what ready() hears when the path never got bound. */
static void go_down(relay_path_t *rp, const char *reason, int status)
{
    if (rp->down) return;
    rp->down = true;
    uv_timer_stop(&rp->t);
    char relay[ADDR_STRLEN];
    LOG_I("relay-path: down id=%016llx side=%u relay=%s reason=%s",
          (unsigned long long)rp->cfg.alloc_id, rp->cfg.side,
          addr_format((struct sockaddr *)&rp->cfg.relay, relay, sizeof relay), reason);
    if (!rp->bound) {
        if (rp->ready) rp->ready(&rp->base, status, rp->ready_arg);
        return;
    }
    rp->bound = false;
    if (rp->base.on_down) rp->base.on_down(&rp->base, reason, rp->base.arg);
}

static void on_timer(uv_timer_t *t);

/* Starts a round of BINDs now (unless one runs). */
static void start_round(relay_path_t *rp)
{
    if (rp->tries) return;
    rp->rto = rp->cfg.rto_ms;
    rp->tries = 1;
    send_bind(rp);
    uv_timer_start(&rp->t, on_timer, rp->rto, 0);
}

/* A round's retransmission, or the keepalive that starts the next round. */
static void on_timer(uv_timer_t *t)
{
    relay_path_t *rp = t->data;
    if (!rp->tries) return start_round(rp);
    if (rp->tries >= RELAY_PATH_BIND_TRIES) return go_down(rp, "relay-timeout", UV_ETIMEDOUT);
    rp->tries++;
    uint32_t cap = rp->cfg.rto_ms * (RELAY_PATH_RTO_MAX_MS / RELAY_PATH_RTO_MS);
    rp->rto = rp->rto * 2 > cap ? cap : rp->rto * 2;
    send_bind(rp);
    uv_timer_start(&rp->t, on_timer, rp->rto, 0);
}

/* A BOUND for one of our BINDs: the round ends, the keepalive waits. */
static void on_bound(relay_path_t *rp, const relay_msg_t *m)
{
    if (m->counter <= rp->acked || m->counter > rp->counter) return; /* old or never sent */
    rp->acked = m->counter;
    rp->stats.bounds++;
    rp->tries = 0;
    uv_timer_start(&rp->t, on_timer, rp->cfg.keepalive_ms, 0);
    if (rp->bound) return;
    rp->bound = true;
    if (rp->ready) rp->ready(&rp->base, 0, rp->ready_arg);
}

/* A message from the relay: checked against our allocation, side and key. */
static void on_message(relay_path_t *rp, const uint8_t *p, size_t n)
{
    relay_msg_t m;
    if (relay_wire_parse(p, n, &m) < 0 || m.alloc_id != rp->cfg.alloc_id ||
        m.side != rp->cfg.side || m.type == RELAY_MSG_BIND ||
        !relay_wire_verify(p, n, rp->cfg.key)) {
        rp->stats.dropped++;
        return;
    }
    if (m.type == RELAY_MSG_BOUND) return on_bound(rp, &m);
    char why[48];
    snprintf(why, sizeof why, "relay-closed:%s", relay_close_name(m.reason));
    go_down(rp, why, UV_ECONNRESET);
}

/* ---- data --------------------------------------------------------------- */

static void on_alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    relay_path_t *rp = h->data;
    *buf = uv_buf_init((char *)rp->rbuf, sizeof rp->rbuf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    relay_path_t *rp = h->data;
    (void)buf;
    if (nread <= 0 || !from || rp->down || rp->closing || (flags & UV_UDP_PARTIAL)) return;
    size_t n = (size_t)nread;
    rp->last_rx = uv_now(rp->loop);
    if (!relay_wire_is_data(rp->rbuf, n)) return on_message(rp, rp->rbuf, n);
    if (!rp->bound) return;
    rp->stats.received++;
    if (rp->base.on_recv) rp->base.on_recv(&rp->base, rp->rbuf, n, rp->base.arg);
}

static int rp_send(dgram_path_t *p, const uint8_t *data, size_t len)
{
    relay_path_t *rp = (relay_path_t *)p;
    if (rp->down || rp->closing) return UV_ENOTCONN;
    if (!rp->bound) return UV_EAGAIN;
    if (len > p->max_payload || !relay_wire_is_data(data, len)) return UV_EINVAL;
    /* Sending into silence: perhaps our NAT mapping moved; bind again. */
    if (uv_now(rp->loop) - rp->last_rx >= RELAY_PATH_QUIET_MS) start_round(rp);
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_udp_try_send(&rp->h, &b, 1, NULL);
    if (r < 0) return r;
    rp->stats.sent++;
    return 0;
}

/* ---- life --------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    relay_path_t *rp = h->data;
    if (--rp->open_handles > 0) return;
    if (rp->closed_cb) rp->closed_cb(&rp->base, rp->closed_arg);
    free(rp);
}

static void rp_close(dgram_path_t *p, dgram_path_closed_cb cb, void *arg)
{
    relay_path_t *rp = (relay_path_t *)p;
    if (rp->closing) return;
    rp->closing = true;
    rp->closed_cb = cb;
    rp->closed_arg = arg;
    rp->open_handles = 2;
    uv_close((uv_handle_t *)&rp->h, on_handle_closed);
    uv_close((uv_handle_t *)&rp->t, on_handle_closed);
}

/* Binds a wildcard of the relay's family, connects, starts reading. */
static int open_socket(relay_path_t *rp)
{
    struct sockaddr_storage any;
    int len = sizeof rp->base.local;
    int r = addr_parse(rp->cfg.relay.ss_family == AF_INET6 ? "::" : "0.0.0.0", 0, &any);
    if (r == 0) r = uv_udp_bind(&rp->h, (struct sockaddr *)&any, 0);
    if (r == 0) r = uv_udp_connect(&rp->h, (struct sockaddr *)&rp->cfg.relay);
    if (r == 0) r = uv_udp_getsockname(&rp->h, (struct sockaddr *)&rp->base.local, &len);
    if (r == 0) r = uv_udp_recv_start(&rp->h, on_alloc_buf, on_recv);
    return r;
}

int relay_path_open(uv_loop_t *loop, const relay_path_cfg_t *cfg, relay_path_ready_cb ready,
                    void *arg, dgram_path_t **out)
{
    relay_path_t *rp = calloc(1, sizeof *rp);
    if (!rp) return UV_ENOMEM;
    rp->loop = loop;
    rp->cfg = *cfg;
    if (!rp->cfg.keepalive_ms) rp->cfg.keepalive_ms = RELAY_PATH_KEEPALIVE_MS;
    if (!rp->cfg.rto_ms) rp->cfg.rto_ms = RELAY_PATH_RTO_MS;
    rp->ready = ready;
    rp->ready_arg = arg;
    rp->base.ops = &relay_ops;
    rp->base.remote = cfg->relay;
    rp->base.max_payload = RELAY_WIRE_DGRAM_MAX;
    rp->h.data = rp->t.data = rp;
    int r = uv_udp_init(loop, &rp->h);
    if (r != 0) {
        free(rp);
        return r;
    }
    uv_timer_init(loop, &rp->t);
    if ((r = open_socket(rp)) != 0) {
        rp_close(&rp->base, NULL, NULL); /* frees rp from the loop */
        return r;
    }
    rp->last_rx = uv_now(loop);
    start_round(rp);
    *out = &rp->base;
    return 0;
}
