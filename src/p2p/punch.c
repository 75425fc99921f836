/* punch: see punch.h. One ticking timer drives gathering, probing, the
 * spray and keepalives; every socket shares one receive path. Counts are
 * fixed by constants: nothing a peer sends grows a table past its bound.
 *
 * Ownership: punch_t owns its timer and sockets (socks[0] the main one,
 * socks[1..] the birthday ones); punch_close closes them and frees p in
 * the last close callback. The path handed out is embedded in p. */
#include "p2p/punch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "net/dgram_udp.h"
#include "net/udp_batch.h"
#include "p2p/gather.h"
#include "proto/auth.h"
#include "util/log.h"

enum { ST_GATHER, ST_READY, ST_PUNCH, ST_DONE, ST_FAILED };

typedef struct psock {
    uv_udp_t h;
    punch_t *p;
    bool open;          /* h initialised and not yet closed */
    uint64_t last_bday; /* birthday sockets: last probe */
} psock_t;

typedef struct target {
    struct sockaddr_storage addr;
    const char *via; /* cand type name, or "prflx" */
    uint64_t last_probe;
} target_t;

struct punch {
    dgram_path_t path; /* handed out on success */
    uv_loop_t *loop;
    uv_timer_t timer;
    bool timer_open, closing;
    bool hold;      /* gathering waits for a router mapping (punch_hold_gather) */
    psock_t *socks; /* [0] main, [1..nsocks) birthday */
    int nsocks, open_handles;
    punch_role_t role;
    int state;
    punch_cbs_t cbs;
    void *arg;
    void (*closed_cb)(void *arg);
    void *closed_arg;
    gather_t g;
    cand_set_t self, peer;
    punch_key_t key;
    uint32_t salt; /* the first half of each token we send (second: send time) */
    target_t targets[CAND_MAX + PUNCH_PEERS_MAX];
    int ntargets;
    int spray_sent;
    uint32_t rng;
    uint64_t t_start, last_rx, last_keep, last_nominate;
    int sel_sock; /* chosen pair: socks[sel_sock] <-> sel_addr */
    struct sockaddr_storage sel_addr;
    bool selected;
    punch_result_t res;
    udp_batch_t batch; /* the chosen socket's send_batch (finish_ok) */
};

static uint64_t now_ms(const punch_t *p)
{
    return uv_now(p->loop);
}

static size_t sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    return a->ss_family == b->sa_family && memcmp(a, b, sa_len(b)) == 0;
}

/* ---- sending ------------------------------------------------------------ */

static void put32(uint8_t *o, uint32_t v)
{
    o[0] = (uint8_t)(v >> 24);
    o[1] = (uint8_t)(v >> 16);
    o[2] = (uint8_t)(v >> 8);
    o[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *o)
{
    return (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
}

/* Tokens: salt (nominations: salt ^ ~0) || the send time in ms (low 32 bits). */
static void make_token(const punch_t *p, bool nominate, uint8_t tok[PUNCH_TOKEN_LEN])
{
    put32(tok, nominate ? ~p->salt : p->salt);
    put32(tok + 4, (uint32_t)now_ms(p));
}

static void send_pkt(punch_t *p, int si, const struct sockaddr *to, punch_type_t type,
                     const uint8_t *echo)
{
    punch_pkt_t pkt = {.type = type, .role = p->role};
    uint8_t buf[PUNCH_PKT_LEN];
    make_token(p, type == PUNCH_NOMINATE, pkt.token);
    if (echo) memcpy(pkt.echo, echo, PUNCH_TOKEN_LEN);
    if (!p->socks[si].open || punch_pkt_encode(&p->key, &pkt, buf) != 0) return;
    uv_buf_t b = uv_buf_init((char *)buf, sizeof buf);
    (void)uv_udp_try_send(&p->socks[si].h, &b, 1, to); /* a lost probe is resent */
    if (type == PUNCH_PROBE) p->res.probes++;
}

/* ---- the chosen path ---------------------------------------------------- */

static int path_send(dgram_path_t *dp, const uint8_t *d, size_t n)
{
    punch_t *p = (punch_t *)dp;
    if (p->state != ST_DONE || !p->socks[p->sel_sock].open) return UV_ENOTCONN;
    uv_buf_t b = uv_buf_init((char *)d, (unsigned)n);
    int r = uv_udp_try_send(&p->socks[p->sel_sock].h, &b, 1, (struct sockaddr *)&p->sel_addr);
    return r < 0 ? r : 0;
}

static int path_send_batch(dgram_path_t *dp, const uint8_t *d, size_t len, size_t seg)
{
    punch_t *p = (punch_t *)dp;
    psock_t *s = &p->socks[p->sel_sock];
    uv_os_fd_t fd;
    if (p->state != ST_DONE || !s->open || uv_fileno((uv_handle_t *)&s->h, &fd) != 0)
        return UV_ENOTCONN;
    return udp_batch_send(&p->batch, fd, (struct sockaddr *)&p->sel_addr, d, len, seg);
}

static void path_close(dgram_path_t *dp, dgram_path_closed_cb cb, void *arg);

static const dgram_path_ops_t direct_ops = {.kind = "direct",
                                            .pref = DGRAM_PREF_DIRECT,
                                            .send = path_send,
                                            .send_batch = path_send_batch,
                                            .close = path_close};

/* The chosen socket carries QUIC from now on: buffers for a window in
 * flight (best effort, as on dgram_udp's), and its way of batching. */
static void tune_chosen(punch_t *p)
{
    uv_handle_t *h = (uv_handle_t *)&p->socks[p->sel_sock].h;
    int sz = DGRAM_UDP_SOCKBUF;
    (void)uv_send_buffer_size(h, &sz);
    sz = DGRAM_UDP_SOCKBUF;
    (void)uv_recv_buffer_size(h, &sz);
    uv_os_fd_t fd;
    if (uv_fileno(h, &fd) == 0)
        udp_batch_init(&p->batch, fd);
    else
        udp_batch_limit(&p->batch, UDP_BATCH_LOOP);
}

static void close_sock(psock_t *s);

/* Success: the path is the chosen pair; the other sockets go. */
static void finish_ok(punch_t *p)
{
    p->state = ST_DONE;
    p->res.took_ms = now_ms(p) - p->t_start;
    p->last_rx = p->last_keep = now_ms(p);
    for (int i = 1; i < p->nsocks; i++)
        if (i != p->sel_sock) close_sock(&p->socks[i]);
    p->path.ops = &direct_ops;
    int len = sizeof p->path.local;
    (void)uv_udp_getsockname(&p->socks[p->sel_sock].h, (struct sockaddr *)&p->path.local, &len);
    p->path.remote = p->sel_addr;
    p->path.max_payload = PUNCH_MAX_PAYLOAD;
    tune_chosen(p);
    p->res.path = &p->path;
    uv_timer_set_repeat(&p->timer, 1000);
    if (p->cbs.on_done) p->cbs.on_done(p, &p->res, p->arg);
}

static void finish_fail(punch_t *p, const char *reason)
{
    p->state = ST_FAILED;
    p->res.reason = reason;
    p->res.took_ms = now_ms(p) - p->t_start;
    uv_timer_stop(&p->timer);
    for (int i = 1; i < p->nsocks; i++)
        close_sock(&p->socks[i]);
    if (p->cbs.on_done) p->cbs.on_done(p, &p->res, p->arg);
}

static void select_pair(punch_t *p, int si, const struct sockaddr *from, const char *via,
                        uint64_t rtt)
{
    p->selected = true;
    p->sel_sock = si;
    memset(&p->sel_addr, 0, sizeof p->sel_addr);
    memcpy(&p->sel_addr, from, sa_len(from));
    p->res.via = si > 0 ? "birthday" : via;
    p->res.rtt_ms = rtt;
}

/* ---- receiving ---------------------------------------------------------- */

static const char *via_of(const punch_t *p, const struct sockaddr *from)
{
    for (int i = 0; i < p->ntargets; i++)
        if (same_addr(&p->targets[i].addr, from)) return p->targets[i].via;
    return "prflx";
}

/* Learns a peer-reflexive address (bounded: PUNCH_PEERS_MAX beyond the candidates). */
static void add_target(punch_t *p, const struct sockaddr *a, const char *via)
{
    for (int i = 0; i < p->ntargets; i++)
        if (same_addr(&p->targets[i].addr, a)) return;
    if (p->ntargets >= (int)(sizeof p->targets / sizeof p->targets[0])) return;
    target_t *t = &p->targets[p->ntargets++];
    memset(t, 0, sizeof *t);
    memcpy(&t->addr, a, sa_len(a));
    t->via = via;
}

static uint64_t rtt_of(const punch_t *p, const uint8_t echo[PUNCH_TOKEN_LEN])
{
    return (uint32_t)((uint32_t)now_ms(p) - get32(echo + 4));
}

static void on_probe(punch_t *p, int si, const struct sockaddr *from, const punch_pkt_t *k)
{
    send_pkt(p, si, from, PUNCH_ACK, k->token);
    if (p->state != ST_PUNCH) return;
    if (si != 0) { /* a spray hit a birthday socket: answer with its own check */
        send_pkt(p, si, from, PUNCH_PROBE, NULL);
        return;
    }
    bool known = false;
    for (int i = 0; i < p->ntargets; i++)
        known = known || same_addr(&p->targets[i].addr, from);
    if (!known) {
        add_target(p, from, "prflx");
        send_pkt(p, si, from, PUNCH_PROBE, NULL); /* the triggered check */
    }
}

static void on_ack(punch_t *p, int si, const struct sockaddr *from, const punch_pkt_t *k)
{
    uint32_t salt = get32(k->echo);
    if (p->state != ST_PUNCH || p->role != PUNCH_ROLE_VISITOR) return;
    if (salt == p->salt && !p->selected) {
        select_pair(p, si, from, via_of(p, from), rtt_of(p, k->echo));
        p->last_nominate = now_ms(p);
        send_pkt(p, si, from, PUNCH_NOMINATE, NULL);
    } else if (salt == ~p->salt && p->selected && si == p->sel_sock &&
               same_addr(&p->sel_addr, from)) {
        finish_ok(p);
    }
}

static void on_nominate(punch_t *p, int si, const struct sockaddr *from, const punch_pkt_t *k)
{
    if (p->role != PUNCH_ROLE_OWNER) return;
    if (p->state == ST_PUNCH && !p->selected) {
        select_pair(p, si, from, via_of(p, from), p->res.rtt_ms);
        send_pkt(p, si, from, PUNCH_ACK, k->token);
        finish_ok(p);
        return;
    }
    /* the visitor missed our ACK: say it again on the chosen pair only */
    if (p->state == ST_DONE && si == p->sel_sock && same_addr(&p->sel_addr, from))
        send_pkt(p, si, from, PUNCH_ACK, k->token);
}

static void on_punch_pkt(punch_t *p, int si, const struct sockaddr *from, const uint8_t *d,
                         size_t n)
{
    punch_pkt_t k;
    char a[ADDR_STRLEN];
    if (p->state < ST_PUNCH || p->state == ST_FAILED) return; /* no key yet */
    int r = punch_pkt_parse(&p->key, d, n, &k);
    if (r < 0 || k.role == p->role) {
        p->res.dropped++; /* anyone can send these: rate-limited */
        LOG_LIMITED(LOG_INFO, "punch packet refused from=%s reason=%s",
                    addr_format(from, a, sizeof a), r < 0 ? punch_pkt_strerror(r) : "own-role");
        return;
    }
    if (p->state == ST_DONE && si == p->sel_sock && same_addr(&p->sel_addr, from))
        p->last_rx = now_ms(p);
    /* an owner's ACK tells it the round trip (the visitor decides) */
    if (k.type == PUNCH_ACK && p->role == PUNCH_ROLE_OWNER && get32(k.echo) == p->salt &&
        !p->res.rtt_ms)
        p->res.rtt_ms = rtt_of(p, k.echo);
    switch (k.type) {
    case PUNCH_PROBE:
        on_probe(p, si, from, &k);
        break;
    case PUNCH_ACK:
        on_ack(p, si, from, &k);
        break;
    case PUNCH_NOMINATE:
        on_nominate(p, si, from, &k);
        break;
    case PUNCH_KEEPALIVE:
        break;
    }
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    psock_t *s = h->data;
    punch_t *p = s->p;
    int si = (int)(s - p->socks);
    const uint8_t *d = (const uint8_t *)buf->base;
    if (nread <= 0 || !from || (flags & UV_UDP_PARTIAL) || p->closing) return;
    size_t n = (size_t)nread;
    if (punch_pkt_is(d, n)) {
        on_punch_pkt(p, si, from, d, n);
    } else if (si == 0 && p->state == ST_GATHER && gather_on_datagram(&p->g, d, n, now_ms(p))) {
        /* gather's answer; the tick reports the end */
    } else if (p->state == ST_DONE && si == p->sel_sock && same_addr(&p->sel_addr, from)) {
        p->last_rx = now_ms(p);
        if (p->path.on_recv) p->path.on_recv(&p->path, d, n, p->path.arg);
    }
}

/* ---- the tick ----------------------------------------------------------- */

/* A router may report an external address that is not the one the world
 * sees (a second NAT above it, or a configured one): the mapped port at the
 * srflx address is tried too. */
static void add_mapped_at_srflx(punch_t *p)
{
    const cand_t *m = cand_find(&p->self, CAND_MAPPED), *s = cand_find(&p->self, CAND_SRFLX);
    if (!m || !s || m->addr.ss_family != AF_INET || s->addr.ss_family != AF_INET) return;
    struct sockaddr_in a;
    memcpy(&a, &s->addr, sizeof a);
    a.sin_port = ((const struct sockaddr_in *)&m->addr)->sin_port;
    (void)cand_add(&p->self, CAND_MAPPED, (struct sockaddr *)&a);
}

static void gather_step(punch_t *p)
{
    gather_send_t out[2];
    int n = gather_tick(&p->g, now_ms(p), out);
    for (int i = 0; i < n; i++) {
        uv_buf_t b = uv_buf_init((char *)out[i].buf, (unsigned)out[i].len);
        (void)uv_udp_try_send(&p->socks[0].h, &b, 1, out[i].dst);
    }
    if (!gather_done(&p->g)) return;
    const cand_t *host = cand_find(&p->self, CAND_HOST);
    cand_set_t seen = p->self;
    gather_result(&p->g, host ? (const struct sockaddr *)&host->addr : NULL, &seen);
    /* A router mapping matters where the NAT maps per destination (or we
     * cannot tell): only then is it waited for, at most GATHER_MS. */
    bool easy = seen.nat == CAND_NAT_EASY || seen.nat == CAND_NAT_OPEN;
    if (p->hold && !easy && now_ms(p) - p->g.start < GATHER_MS) return;
    gather_result(&p->g, host ? (const struct sockaddr *)&host->addr : NULL, &p->self);
    add_mapped_at_srflx(p);
    p->state = ST_READY;
    uv_timer_stop(&p->timer);
    if (p->cbs.on_gathered) p->cbs.on_gathered(p, &p->self, p->arg);
}

static uint32_t rnd(punch_t *p)
{
    uint32_t x = p->rng; /* xorshift32: spray ports need spread, not secrecy */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return p->rng = x;
}

/* The easy side's share of the birthday approach: probes at random ports. */
static void spray(punch_t *p)
{
    const cand_t *srflx = cand_find(&p->peer, CAND_SRFLX);
    if (!srflx || srflx->addr.ss_family != AF_INET) return;
    for (int i = 0; i < PUNCH_SPRAY_PER_TICK && p->spray_sent < PUNCH_SPRAY_MAX; i++) {
        struct sockaddr_in to;
        memcpy(&to, &srflx->addr, sizeof to);
        to.sin_port = htons((uint16_t)(1024 + rnd(p) % (65536 - 1024)));
        send_pkt(p, 0, (struct sockaddr *)&to, PUNCH_PROBE, NULL);
        p->spray_sent++;
    }
}

static void punch_step(punch_t *p)
{
    uint64_t now = now_ms(p), el = now - p->t_start;
    if (el >= PUNCH_TIMEOUT_MS) {
        finish_fail(p, "timeout");
        return;
    }
    bool hard_hard = p->self.nat == CAND_NAT_HARD && p->peer.nat == CAND_NAT_HARD;
    if (hard_hard && el >= PUNCH_HARD_HARD_MS) {
        finish_fail(p, "both-symmetric");
        return;
    }
    for (int i = 0; i < p->ntargets; i++) {
        target_t *t = &p->targets[i];
        if (t->last_probe && now - t->last_probe < PUNCH_PROBE_EVERY_MS) continue;
        t->last_probe = now;
        send_pkt(p, 0, (struct sockaddr *)&t->addr, PUNCH_PROBE, NULL);
    }
    const cand_t *srflx = cand_find(&p->peer, CAND_SRFLX);
    for (int i = 1; srflx && i < p->nsocks; i++) {
        psock_t *s = &p->socks[i];
        if (!s->open || (s->last_bday && now - s->last_bday < PUNCH_BIRTHDAY_EVERY_MS)) continue;
        s->last_bday = now;
        send_pkt(p, i, (struct sockaddr *)&srflx->addr, PUNCH_PROBE, NULL);
    }
    if (p->self.nat != CAND_NAT_HARD && p->peer.nat == CAND_NAT_HARD) spray(p);
    if (p->selected && now - p->last_nominate >= PUNCH_PROBE_EVERY_MS) {
        p->last_nominate = now;
        send_pkt(p, p->sel_sock, (struct sockaddr *)&p->sel_addr, PUNCH_NOMINATE, NULL);
    }
}

static void keep_step(punch_t *p)
{
    uint64_t now = now_ms(p);
    if (now - p->last_rx >= PUNCH_DEAD_MS) {
        p->state = ST_FAILED;
        uv_timer_stop(&p->timer);
        if (p->path.on_down) p->path.on_down(&p->path, "keepalive-lost", p->path.arg);
        return;
    }
    if (now - p->last_keep < PUNCH_KEEPALIVE_MS) return;
    p->last_keep = now;
    send_pkt(p, p->sel_sock, (struct sockaddr *)&p->sel_addr, PUNCH_KEEPALIVE, NULL);
}

static void on_tick(uv_timer_t *t)
{
    punch_t *p = t->data;
    if (p->state == ST_GATHER)
        gather_step(p);
    else if (p->state == ST_PUNCH)
        punch_step(p);
    else if (p->state == ST_DONE)
        keep_step(p);
}

/* ---- life --------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    punch_t *p = h->data == NULL ? NULL : (h->type == UV_TIMER ? h->data : ((psock_t *)h->data)->p);
    if (!p || --p->open_handles > 0 || !p->closing) return;
    void (*cb)(void *) = p->closed_cb;
    void *arg = p->closed_arg;
    free(p->socks);
    free(p);
    if (cb) cb(arg);
}

static void close_sock(psock_t *s)
{
    if (!s->open) return;
    s->open = false;
    uv_close((uv_handle_t *)&s->h, on_handle_closed);
}

static int open_sock(punch_t *p, int i)
{
    psock_t *s = &p->socks[i];
    struct sockaddr_in any;
    s->p = p;
    /* recvmmsg: several datagrams per system call once QUIC runs here. */
    int r = uv_udp_init_ex(p->loop, &s->h, AF_UNSPEC | UV_UDP_RECVMMSG);
    if (r != 0) return r;
    s->h.data = s;
    s->open = true;
    p->open_handles++;
    uv_ip4_addr("0.0.0.0", 0, &any);
    r = uv_udp_bind(&s->h, (struct sockaddr *)&any, 0);
    if (r == 0) r = uv_udp_recv_start(&s->h, udp_batch_rx_alloc, on_recv);
    return r;
}

/* The socket's LAN addresses: every non-internal IPv4 interface address. */
static void add_host_cands(punch_t *p)
{
    uv_interface_address_t *ifs;
    int n;
    int port = punch_port(p);
    if (port <= 0 || uv_interface_addresses(&ifs, &n) != 0) return;
    for (int i = 0; i < n; i++) {
        if (ifs[i].is_internal || ifs[i].address.address4.sin_family != AF_INET) continue;
        struct sockaddr_in a = ifs[i].address.address4;
        a.sin_port = htons((uint16_t)port);
        (void)cand_add(&p->self, CAND_HOST, (struct sockaddr *)&a);
    }
    uv_free_interface_addresses(ifs, n);
}

int punch_new(uv_loop_t *loop, punch_role_t role, const struct sockaddr *stun,
              const punch_cbs_t *cbs, void *arg, punch_t **out)
{
    uint8_t seed[2 * STUN_TID_LEN + 8];
    punch_t *p = calloc(1, sizeof *p);
    psock_t *socks = calloc(1 + PUNCH_BIRTHDAY_SOCKETS, sizeof *socks);
    if (!p || !socks || auth_random(seed, sizeof seed) != 0) {
        free(p);
        free(socks);
        return UV_ENOMEM;
    }
    p->loop = loop;
    p->role = role;
    p->cbs = *cbs;
    p->arg = arg;
    p->socks = socks;
    p->nsocks = 1;
    memcpy(&p->salt, seed + 2 * STUN_TID_LEN, 4);
    memcpy(&p->rng, seed + 2 * STUN_TID_LEN + 4, 4);
    p->rng |= 1;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->timer_open = true;
    p->open_handles = 1;
    int r = open_sock(p, 0);
    if (r != 0) {
        punch_close(p, NULL, NULL);
        return r;
    }
    add_host_cands(p);
    gather_begin(&p->g, stun, seed, now_ms(p));
    uv_timer_start(&p->timer, on_tick, 0, PUNCH_TICK_MS);
    *out = p;
    return 0;
}

void punch_hold_gather(punch_t *p)
{
    if (p->state == ST_GATHER) p->hold = true;
}

void punch_release_gather(punch_t *p)
{
    p->hold = false;
}

int punch_add_mapped(punch_t *p, const struct sockaddr *ext)
{
    p->hold = false;
    if (p->state != ST_GATHER) return -1;
    return cand_add(&p->self, CAND_MAPPED, ext) < 0 ? -1 : 0;
}

int punch_port(const punch_t *p)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (!p->socks[0].open || uv_udp_getsockname(&p->socks[0].h, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    return addr_port((struct sockaddr *)&ss);
}

/* The hard side of a hard x easy pair opens the birthday sockets. */
static void open_birthday(punch_t *p)
{
    for (int i = 1; i <= PUNCH_BIRTHDAY_SOCKETS; i++) {
        if (open_sock(p, i) != 0) {
            close_sock(&p->socks[i]);
            break; /* out of descriptors: punch with what there is */
        }
        p->nsocks = i + 1;
    }
}

int punch_start(punch_t *p, const punch_key_t *key, const cand_set_t *peer)
{
    if (p->state != ST_READY) return UV_EINVAL;
    p->key = *key;
    p->peer = *peer;
    for (int i = 0; i < peer->n; i++)
        add_target(p, (const struct sockaddr *)&peer->c[i].addr, cand_type_name(peer->c[i].type));
    p->state = ST_PUNCH;
    p->t_start = now_ms(p);
    bool peer_easy = peer->nat == CAND_NAT_EASY || peer->nat == CAND_NAT_OPEN;
    if (p->self.nat == CAND_NAT_HARD && peer_easy) open_birthday(p);
    uv_timer_start(&p->timer, on_tick, 0, PUNCH_TICK_MS);
    return 0;
}

void punch_test_set_nat(punch_t *p, cand_nat_t nat)
{
    p->self.nat = nat;
}

const punch_result_t *punch_last(const punch_t *p)
{
    return &p->res;
}

void punch_close(punch_t *p, void (*cb)(void *arg), void *arg)
{
    if (!p || p->closing) return;
    p->closing = true;
    p->closed_cb = cb;
    p->closed_arg = arg;
    for (int i = 0; i < p->nsocks; i++)
        close_sock(&p->socks[i]);
    if (p->timer_open) {
        p->timer_open = false;
        uv_close((uv_handle_t *)&p->timer, on_handle_closed);
    }
}

typedef struct path_close_ctx {
    dgram_path_t *path;
    dgram_path_closed_cb cb;
    void *arg;
} path_close_ctx_t;

static void path_closed(void *arg)
{
    path_close_ctx_t *c = arg;
    if (c->cb) c->cb(c->path, c->arg); /* the path is gone: only its address is passed */
    free(c);
}

static void path_close(dgram_path_t *dp, dgram_path_closed_cb cb, void *arg)
{
    path_close_ctx_t *c = calloc(1, sizeof *c);
    if (c) *c = (path_close_ctx_t){dp, cb, arg};
    punch_close((punch_t *)dp, c ? path_closed : NULL, c);
}
