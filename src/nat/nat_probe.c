/* nat_probe: the discovery's state machine. A fixed table of transactions
 * (one per test), each idle, waiting for its start time, running
 * (retransmitted by one ticking timer) or done; advance() starts the tests
 * whose inputs are known, and the probe ends when nothing runs or waits and
 * the router has answered. Counts are fixed by the tables: nothing a server
 * sends can grow anything. */
#include "nat/nat_probe.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "nat/nat_answer.h"
#include "nat/nat_local.h"
#include "net/addr.h"

#define NAT_TICK_MS 20
#define NAT_DGRAM_MAX 1500

enum { S_A, S_F, S_B, S_Y, S_L0, S_COUNT = S_L0 + NAT_LIFETIME_NSTEPS };
enum {
    TX_T1,                                     /* A -> primary */
    TX_T2,                                     /* A -> alternate IP, primary port */
    TX_T3,                                     /* A -> alternate IP and port */
    TX_F0,                                     /* F -> primary */
    TX_FBOTH,                                  /* F -> primary, change IP and port */
    TX_FPORT,                                  /* F -> primary, change port */
    TX_HAIR,                                   /* B -> A's public address */
    TX_LMAP0,                                  /* Li -> primary: take a mapping */
    TX_LCHK0 = TX_LMAP0 + NAT_LIFETIME_NSTEPS, /* Y -> primary, RESPONSE-PORT Li's */
    TX_COUNT = TX_LCHK0 + NAT_LIFETIME_NSTEPS
};
enum { TXS_IDLE = 0, TXS_WAIT, TXS_RUN, TXS_DONE };

typedef struct tx {
    int state, sock, rx_sock;
    struct sockaddr_storage dst, want_from; /* where it goes, who must answer */
    uint32_t change;
    uint16_t response_port;
    uint8_t tid[STUN_TID_LEN];
    uint64_t start_at;
    unsigned sent;
    nat_ans_t ans;
    nat_answer_t a;
} tx_t;

struct nat_probe {
    uv_loop_t *loop;
    nat_probe_opts_t o;
    nat_report_t *r;
    void (*done)(nat_probe_t *p, void *arg);
    void *arg;
    uv_udp_t sock[S_COUNT];
    bool sock_open[S_COUNT];
    uv_timer_t tick;
    tx_t tx[TX_COUNT];
    unsigned garbage, rx_count[S_COUNT];
    int open_handles;
    bool router_pending, closing, finished, life_ignored;
    uint8_t rxbuf[NAT_DGRAM_MAX];
};

static const unsigned rtx_ms[NAT_RTX_SENDS] = NAT_RTX_MS;
static const int life_steps[NAT_LIFETIME_NSTEPS] = NAT_LIFETIME_STEPS;

/* --- addresses ---------------------------------------------------------- */

static void set_port(struct sockaddr_storage *ss, int port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* ip of `ipsrc`, port of `portsrc` */
static struct sockaddr_storage mix(const struct sockaddr_storage *ipsrc,
                                   const struct sockaddr_storage *portsrc)
{
    struct sockaddr_storage out = *ipsrc;
    set_port(&out, addr_port((const struct sockaddr *)portsrc));
    return out;
}

/* --- transactions ------------------------------------------------------- */

static int build_request(const tx_t *t, uint8_t *buf, size_t cap)
{
    if (!t->response_port) return stun_build_binding_request(buf, cap, t->tid, t->change, NULL);
    uint8_t id[STUN_ID_LEN] = {0x21, 0x12, 0xA4, 0x42};
    memcpy(id + 4, t->tid, STUN_TID_LEN);
    stun_writer_t w;
    stun_w_begin(&w, buf, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), id);
    /* RFC 5780 §7.5: the port, then two bytes of padding. */
    stun_w_u32(&w, STUN_ATTR_RESPONSE_PORT, (uint32_t)t->response_port << 16);
    stun_w_fingerprint(&w);
    return stun_w_end(&w);
}

static void send_tx(nat_probe_t *p, tx_t *t)
{
    uint8_t buf[128];
    int n = build_request(t, buf, sizeof buf);
    if (n < 0 || !p->sock_open[t->sock]) return;
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
    /* try_send: a full socket buffer is a lost datagram, which the next
     * retransmission covers; nothing is queued. */
    (void)uv_udp_try_send(&p->sock[t->sock], &b, 1, (const struct sockaddr *)&t->dst);
    t->sent++;
}

/* Schedules tx `i` on socket `sock` to `dst`, first send `delay_ms` from now;
 * the answer must come from want_from. */
static void tx_begin(nat_probe_t *p, int i, int sock, const struct sockaddr_storage *dst,
                     const struct sockaddr_storage *want_from, uint32_t change, uint64_t delay_ms)
{
    tx_t *t = &p->tx[i];
    if (t->state != TXS_IDLE || !p->sock_open[sock]) return;
    t->sock = sock;
    t->rx_sock = -1;
    t->dst = *dst;
    t->want_from = *want_from;
    t->change = change;
    if (RAND_bytes(t->tid, sizeof t->tid) != 1) {
        for (size_t k = 0; k < sizeof t->tid; k++)
            t->tid[k] = (uint8_t)rand();
    }
    t->start_at = uv_now(p->loop) + delay_ms;
    t->state = TXS_WAIT;
}

static void tx_finish(tx_t *t, nat_ans_t ans)
{
    t->state = TXS_DONE;
    t->ans = ans;
}

static tx_t *tx_by_tid(nat_probe_t *p, const uint8_t *tid)
{
    for (int i = 0; i < TX_COUNT; i++)
        if (p->tx[i].state == TXS_RUN && memcmp(p->tx[i].tid, tid, STUN_TID_LEN) == 0)
            return &p->tx[i];
    return NULL;
}

/* --- the plan ----------------------------------------------------------- */

static bool ok(const nat_probe_t *p, int i)
{
    return p->tx[i].ans == NAT_ANS_OK;
}
static bool done(const nat_probe_t *p, int i)
{
    return p->tx[i].state == TXS_DONE;
}

/* RFC 5780 §7.4: OTHER-ADDRESS differs from the primary in both IP and
 * port. One that does not (a misconfigured server) would make every test
 * pass against the primary itself, so it counts as absent. */
static bool other_usable(const nat_probe_t *p, const nat_answer_t *a)
{
    const struct sockaddr *o = (const struct sockaddr *)&a->other;
    return a->has_other && !nat_same_ip(&a->other, &p->o.server) &&
           addr_port(o) != addr_port((const struct sockaddr *)&p->o.server) && addr_port(o) > 0;
}

static const nat_answer_t *other_source(const nat_probe_t *p)
{
    if (ok(p, TX_T1) && other_usable(p, &p->tx[TX_T1].a)) return &p->tx[TX_T1].a;
    if (ok(p, TX_F0) && other_usable(p, &p->tx[TX_F0].a)) return &p->tx[TX_F0].a;
    return NULL;
}

static void advance_mapping(nat_probe_t *p, const nat_answer_t *oth)
{
    const struct sockaddr_storage *srv = &p->o.server;
    if (!ok(p, TX_T1)) return;
    tx_begin(p, TX_HAIR, S_B, &p->tx[TX_T1].a.mapped, &p->tx[TX_T1].a.mapped, 0, 0);
    if (!oth) return;
    struct sockaddr_storage alt_ip = mix(&oth->other, srv);
    tx_begin(p, TX_T2, S_A, &alt_ip, &alt_ip, 0, 0);
    /* Test III only when test II saw a different mapping (RFC 5780 §4.3). */
    if (ok(p, TX_T2) && !nat_same_addr(&p->tx[TX_T1].a.mapped, &p->tx[TX_T2].a.mapped))
        tx_begin(p, TX_T3, S_A, &oth->other, &oth->other, 0, 0);
}

static void advance_filtering(nat_probe_t *p, const nat_answer_t *oth)
{
    if (!ok(p, TX_F0) || !oth) return;
    const struct sockaddr_storage *srv = &p->o.server;
    struct sockaddr_storage port_only = mix(srv, &oth->other);
    tx_begin(p, TX_FBOTH, S_F, srv, &oth->other, STUN_CHANGE_IP | STUN_CHANGE_PORT, 0);
    tx_begin(p, TX_FPORT, S_F, srv, &port_only, STUN_CHANGE_PORT, 0);
}

/* Each Li's check waits its step after Li's mapping was made. The first
 * check without an answer ends the ladder (later mappings are older). */
static void advance_lifetime(nat_probe_t *p)
{
    if (!p->o.lifetime) return;
    for (int k = 0; k < NAT_LIFETIME_NSTEPS; k++) {
        tx_t *m = &p->tx[TX_LMAP0 + k], *c = &p->tx[TX_LCHK0 + k];
        if (m->state == TXS_DONE && m->ans == NAT_ANS_OK && c->state == TXS_IDLE) {
            tx_begin(p, TX_LCHK0 + k, S_Y, &p->o.server, &p->o.server, 0,
                     (uint64_t)life_steps[k] * 1000);
            c->response_port = (uint16_t)addr_port((const struct sockaddr *)&m->a.mapped);
        }
    }
    bool stop = p->life_ignored;
    for (int k = 0; k < NAT_LIFETIME_NSTEPS; k++) {
        tx_t *c = &p->tx[TX_LCHK0 + k];
        if (stop && (c->state == TXS_WAIT || c->state == TXS_RUN)) tx_finish(c, NAT_ANS_NOT_TRIED);
        if (c->state == TXS_DONE && c->ans == NAT_ANS_TIMEOUT) stop = true;
    }
}

static void advance(nat_probe_t *p)
{
    if (done(p, TX_T1) && !ok(p, TX_T1)) { /* nothing else can be learnt */
        for (int i = 0; i < TX_COUNT; i++)
            if (p->tx[i].state == TXS_WAIT || p->tx[i].state == TXS_RUN)
                tx_finish(&p->tx[i], NAT_ANS_NOT_TRIED);
        return;
    }
    const nat_answer_t *oth = other_source(p);
    advance_mapping(p, oth);
    advance_filtering(p, oth);
    advance_lifetime(p);
}

/* --- results ------------------------------------------------------------ */

static void fill_lifetime(const nat_probe_t *p, nat_obs_t *o)
{
    if (!p->o.lifetime) return;
    if (p->life_ignored) {
        o->lifetime_why = "the server does not do RESPONSE-PORT (RFC 5780 section 7.5)";
        return;
    }
    for (int k = 0; k < NAT_LIFETIME_NSTEPS; k++) {
        const tx_t *c = &p->tx[TX_LCHK0 + k];
        if (c->state != TXS_DONE || c->ans == NAT_ANS_NOT_TRIED) break;
        if (c->ans == NAT_ANS_OK) {
            o->lifetime_lo = life_steps[k];
            continue;
        }
        /* The control check (step 0) failing means the server does not do
         * RESPONSE-PORT, or the filter drops it: unknown, not short. */
        if (k > 0)
            o->lifetime_hi = life_steps[k];
        else
            o->lifetime_why = "the first check got no answer: the server ignores "
                              "RESPONSE-PORT, or the NAT drops it";
        break;
    }
}

static const char *t1_error(const nat_probe_t *p)
{
    const tx_t *t = &p->tx[TX_T1];
    if (t->ans == NAT_ANS_OK) return NULL;
    if (t->ans == NAT_ANS_REFUSED) return "the server refused the Binding request";
    if (t->ans == NAT_ANS_WRONG) return "the answer came from another address than the server's";
    if (p->rx_count[S_A] > 0)
        return "the server answered, but not with a STUN Binding response (garbage)";
    return "no answer within 2.4 s: the server is down, the address or port is wrong, or a "
           "firewall drops UDP";
}

static void fill_obs(nat_probe_t *p)
{
    nat_obs_t *o = &p->r->obs;
    const tx_t *t = p->tx;
    const nat_answer_t *oth = other_source(p);
    o->t1 = t[TX_T1].ans;
    o->mapped1 = t[TX_T1].a.mapped;
    o->has_other = oth != NULL;
    if (oth) o->other = oth->other;
    o->t2 = t[TX_T2].ans;
    o->mapped2 = t[TX_T2].a.mapped;
    o->t3 = t[TX_T3].ans;
    o->mapped3 = t[TX_T3].a.mapped;
    o->f_both = t[TX_FBOTH].ans;
    o->f_port = t[TX_FPORT].ans;
    o->hairpin = t[TX_HAIR].ans;
    /* The mapping test ran on A: its local port is A's. */
    struct sockaddr_storage a;
    int len = sizeof a;
    if (p->sock_open[S_A] && uv_udp_getsockname(&p->sock[S_A], (struct sockaddr *)&a, &len) == 0)
        o->local = a;
    fill_lifetime(p, o);
    p->r->error = t1_error(p);
    nat_classify(o, &p->r->verdict);
}

static void maybe_finish(nat_probe_t *p)
{
    if (p->finished || p->closing || p->router_pending) return;
    for (int i = 0; i < TX_COUNT; i++)
        if (p->tx[i].state == TXS_WAIT || p->tx[i].state == TXS_RUN) return;
    p->finished = true;
    uv_timer_stop(&p->tick);
    fill_obs(p);
    p->done(p, p->arg);
}

/* --- loop callbacks ----------------------------------------------------- */

static void on_tick(uv_timer_t *h)
{
    nat_probe_t *p = h->data;
    uint64_t now = uv_now(p->loop);
    for (int i = 0; i < TX_COUNT; i++) {
        tx_t *t = &p->tx[i];
        if (t->state == TXS_WAIT && now >= t->start_at) t->state = TXS_RUN;
        if (t->state != TXS_RUN) continue;
        uint64_t el = now - t->start_at;
        if (el >= NAT_GIVEUP_MS) {
            tx_finish(t, NAT_ANS_TIMEOUT);
            continue;
        }
        while (t->sent < NAT_RTX_SENDS && el >= rtx_ms[t->sent])
            send_tx(p, t);
    }
    advance(p);
    maybe_finish(p);
}

static void take_answer(nat_probe_t *p, tx_t *t, const nat_answer_t *a, const struct sockaddr *from,
                        int sock)
{
    struct sockaddr_storage src;
    memset(&src, 0, sizeof src);
    memcpy(&src, from,
           from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    t->a = *a;
    t->rx_sock = sock;
    bool life = t >= &p->tx[TX_LCHK0];
    if (life && (sock == S_Y || a->kind == NAT_ANSWER_ERROR)) { /* no RESPONSE-PORT */
        p->life_ignored = true;
        tx_finish(t, NAT_ANS_WRONG);
    } else if (a->kind == NAT_ANSWER_ERROR) {
        tx_finish(t, NAT_ANS_REFUSED);
    } else if (!nat_same_addr(&src, &t->want_from)) {
        tx_finish(t, NAT_ANS_WRONG);
    } else {
        tx_finish(t, NAT_ANS_OK);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    nat_probe_t *p = h->data;
    *buf = uv_buf_init((char *)p->rxbuf, sizeof p->rxbuf);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    nat_probe_t *p = h->data;
    int sock = (int)(h - p->sock);
    if (nread <= 0 || !from || p->closing || p->finished) return;
    if (++p->rx_count[sock] > NAT_RX_MAX) { /* a flood: stop reading this socket */
        uv_udp_recv_stop(h);
        return;
    }
    nat_answer_t a;
    tx_t *t = NULL;
    if ((flags & UV_UDP_PARTIAL) ||
        nat_answer_parse((const uint8_t *)buf->base, (size_t)nread, p->o.server.ss_family, &a) <
            0 ||
        !(t = tx_by_tid(p, a.tid))) {
        p->garbage++;
        return;
    }
    if (a.kind == NAT_ANSWER_REQUEST) {
        /* Only B's request arriving at A counts: hairpinning works. */
        if (t == &p->tx[TX_HAIR] && sock == S_A)
            tx_finish(t, NAT_ANS_OK);
        else
            p->garbage++;
    } else if (t != &p->tx[TX_HAIR]) {
        take_answer(p, t, &a, from, sock);
    }
    advance(p);
    maybe_finish(p);
}

/* --- life --------------------------------------------------------------- */

static void probe_free_if_idle(nat_probe_t *p)
{
    if (p->closing && p->open_handles == 0 && !p->router_pending) free(p);
}

static void on_closed(uv_handle_t *h)
{
    nat_probe_t *p = h->data;
    p->open_handles--;
    probe_free_if_idle(p);
}

static void on_router(const portmap_probe_result_t *res, void *arg)
{
    nat_probe_t *p = arg;
    p->router_pending = false;
    if (p->closing) {
        probe_free_if_idle(p);
        return;
    }
    nat_report_t *r = p->r;
    r->router_state = 1;
    r->router = *res;
    for (int i = 0; res->status == 0 && i < PORTMAP_NPROTOS && !r->obs.has_router_wan; i++)
        if (res->by[i].status == 0 &&
            addr_parse(res->by[i].external_ip, 0, &r->obs.router_wan) == 0)
            r->obs.has_router_wan = true;
    maybe_finish(p);
}

static int open_sock(nat_probe_t *p, int s, const struct sockaddr_storage *local)
{
    int r = uv_udp_init(p->loop, &p->sock[s]);
    if (r != 0) return r;
    p->sock[s].data = p;
    p->sock_open[s] = true;
    p->open_handles++;
    r = uv_udp_bind(&p->sock[s], (const struct sockaddr *)local, 0);
    if (r == 0) r = uv_udp_recv_start(&p->sock[s], on_alloc, on_recv);
    return r;
}

static int open_all(nat_probe_t *p)
{
    struct sockaddr_storage local;
    int r = nat_local_source((const struct sockaddr *)&p->o.server, &local);
    if (r != 0) return r; /* -errno and libuv codes agree on Linux */
    nat_local_ifname((const struct sockaddr *)&local, p->r->obs.ifname, sizeof p->r->obs.ifname);
    p->r->obs.local = local;
    int n = p->o.lifetime ? S_COUNT : S_L0;
    for (int s = 0; s < n; s++)
        if ((r = open_sock(p, s, &local)) != 0) return r;
    return 0;
}

static void start_plan(nat_probe_t *p)
{
    const struct sockaddr_storage *srv = &p->o.server;
    tx_begin(p, TX_T1, S_A, srv, srv, 0, 0);
    tx_begin(p, TX_F0, S_F, srv, srv, 0, 0);
    if (p->o.lifetime)
        for (int k = 0; k < NAT_LIFETIME_NSTEPS; k++)
            tx_begin(p, TX_LMAP0 + k, S_L0 + k, srv, srv, 0, 0);
}

int nat_probe_start(uv_loop_t *loop, const nat_probe_opts_t *o, nat_report_t *report,
                    void (*done_cb)(nat_probe_t *p, void *arg), void *arg, nat_probe_t **out)
{
    nat_probe_t *p = calloc(1, sizeof *p);
    if (!p) return UV_ENOMEM;
    p->loop = loop;
    p->o = *o;
    p->r = report;
    p->done = done_cb;
    p->arg = arg;
    int r = uv_timer_init(loop, &p->tick);
    if (r != 0) goto fail_free;
    p->tick.data = p;
    p->open_handles = 1;
    if ((r = open_all(p)) != 0) goto fail;
    start_plan(p);
    if (o->router && portmap_probe(loop, NULL, on_router, p) == 0) p->router_pending = true;
    uv_timer_start(&p->tick, on_tick, 0, NAT_TICK_MS);
    *out = p;
    return 0;
fail:
    nat_probe_close(p);
    return r;
fail_free:
    free(p);
    return r;
}

unsigned nat_probe_garbage(const nat_probe_t *p)
{
    return p->garbage;
}

void nat_probe_close(nat_probe_t *p)
{
    if (!p || p->closing) return;
    p->closing = true;
    uv_close((uv_handle_t *)&p->tick, on_closed);
    for (int s = 0; s < S_COUNT; s++)
        if (p->sock_open[s]) uv_close((uv_handle_t *)&p->sock[s], on_closed);
}
