/* cxtcp: xtcp's direct paths on the client, both roles. The pair's QUIC
 * (cxtcp_quic.c) starts over the server's UDP relay; this file punches the
 * direct UDP path beside it, and a TCP one, logs the outcomes and hands
 * each path found to QUIC, which migrates onto the best (a found UDP path
 * is kept alive by p2p/punch.h's keepalives; the TCP one carries QUIC's
 * datagrams framed by net/dgram_tcp.h).
 *
 * Visitor: at its first local connection (or at login, keepTunnelOpen) a
 * pair is started: punch_new gathers, P2P_OFFER {proxy, sid, nonce_v,
 * proof("visitor"), cands, nat} goes to the server, and the owner's
 * P2P_ANSWER (within CXTCP_ANSWER_MS) brings nonce_o, proof("owner") and
 * its candidates: the owner's proof is checked, the pair key derived, the
 * punch started. Attempts are bounded per visitor by maxRetriesAnHour and
 * minRetryInterval (frp's keys) and by CXTCP_MAX pairs per client.
 * Owner: a forwarded P2P_OFFER is checked here, not at the server (the
 * proxy is ours and xtcp, the visitor's user is in allowUsers, its proof
 * holds); then the owner gathers, answers, and punches.
 *
 * Beside the UDP punch run TCP simultaneous open (p2p/tcp_punch.h) and,
 * with natTraversal.portMapping, a router mapping of the punch port
 * (portmap.h, a `mapped` candidate). A pair stays while one of its paths
 * lives (UDP keepalives; the TCP path's end is seen by dgram_tcp) or QUIC
 * over the relay carries it, and closes when all have failed.
 *
 * Ownership: cli->xtcps lists every pair (cxtcp_t) from start until it is
 * closed; a pair owns its punch_t, timer, tcp_punch_t, portmap_t and TCP
 * path (a dgram_tcp over the punched socket, lent to QUIC), counts them in
 * `open`, and is freed when the last has closed. client_stop calls
 * cxtcp_close_all. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/addr.h"
#include "net/dgram_tcp.h"
#include "p2p/punch.h"
#include "p2p/tcp_punch.h"
#include "portmap/portmap.h"
#include "proto/msg.h"
#include "proto/relay_grant.h"
#include "proto/stcp_hs.h"
#include "util/log.h"

#define CXTCP_MAX 32
#define CXTCP_ANSWER_MS 5000
#define HOUR_MS 3600000ULL

enum { X_GATHER, X_WAIT_ANSWER, X_PUNCH, X_DIRECT };
enum { T_NONE, T_PENDING, T_OK, T_FAILED }; /* each of the UDP and TCP attempts */

struct cxtcp {
    cli_t *cli;           /* NULL once closing */
    cxtcp_t *next, *prev; /* in cli->xtcps */
    punch_role_t role;
    int state, open; /* open: owned things not yet closed (punch, timer, tcp, sock) */
    int udp, tcp;    /* T_*: a pair closes when neither is pending or ok */
    punch_t *punch;
    tcp_punch_t *tp;           /* TCP simultaneous open beside the UDP punch; NULL: none */
    dgram_path_t *tcp_path;    /* its result, framed (net/dgram_tcp.h), lent to QUIC */
    portmap_t *pm;             /* the router's mapping of the punch port; NULL: none */
    uv_timer_t timer;          /* visitor: the answer's deadline; then the test knob's delay */
    const visitor_cfg_t *vcfg; /* visitor */
    char proxy[192];           /* the owner's wire name */
    char peer_user[80];        /* owner: the visitor's user */
    char pair[200];            /* owner: the server's token */
    long long sid;
    uint8_t nonce_v[PUNCH_NONCE_LEN], nonce_o[PUNCH_NONCE_LEN];
    uint64_t t_begin;
    cand_nat_t self_nat, peer_nat;
    cand_set_t peer_cands; /* owner: the offer's, until gathering ends */
    cxq_t *q;              /* the pair's QUIC (cxtcp_quic.c); NULL: none (static build) */
    uint8_t peer_fp[PUNCH_FP_LEN];
    bool peer_has_fp;      /* the peer sent "fp" (its proof covers it) */
    dgram_path_t *held[2]; /* UDP, TCP direct paths while the test knob holds them back */
    relay_grant_t grant;   /* our side of the server's UDP relay */
    bool has_grant;
    const char *reported; /* the path last told the server (P2P_PATH); static, NULL: none */
    uint64_t path_at;     /* when the pair took that path (uv_now) */
};

/* ---- life --------------------------------------------------------------- */

static void x_freed(cxtcp_t *x)
{
    if (--x->open == 0) free(x);
}

static void on_q_closed(void *arg)
{
    x_freed(arg);
}

static void on_punch_closed(void *arg)
{
    x_freed(arg);
}

static void on_timer_closed(uv_handle_t *h)
{
    x_freed(h->data);
}

static void on_tcp_path_closed(dgram_path_t *p, void *arg)
{
    (void)p;
    x_freed(arg);
}

/* Takes the TCP path back from QUIC and closes it. */
static void close_tcp_path(cxtcp_t *x)
{
    if (!x->tcp_path) return;
    if (x->held[1] == x->tcp_path) x->held[1] = NULL;
    cxq_remove_direct(x->q, x->tcp_path);
    x->tcp_path->ops->close(x->tcp_path, on_tcp_path_closed, x);
    x->tcp_path = NULL;
}

static void report_path(cxtcp_t *x, const char *path, uint64_t rtt_us);

static void x_close(cxtcp_t *x)
{
    cli_t *c = x->cli;
    if (!c) return;
    if (x->reported) report_path(x, "closed", 0); /* the server drops its record */
    if (x->prev)
        x->prev->next = x->next;
    else
        c->xtcps = x->next;
    if (x->next) x->next->prev = x->prev;
    x->cli = NULL;
    if (x->role == PUNCH_ROLE_VISITOR && x->vcfg) cvisitor_xtcp_news(c, x->vcfg);
    if (x->q) cxq_close(x->q, on_q_closed, x); /* first: it lets go of the punch's path */
    punch_close(x->punch, on_punch_closed, x);
    uv_close((uv_handle_t *)&x->timer, on_timer_closed);
    if (x->tp) tcp_punch_close(x->tp, on_punch_closed, x);
    if (x->pm) portmap_close(x->pm, on_punch_closed, x); /* deletes the mapping */
    close_tcp_path(x);
}

/* One attempt (UDP, TCP, QUIC over the relay) ended without a path: the
 * pair goes when the others have too. */
static void x_settle(cxtcp_t *x)
{
    bool live = x->udp == T_PENDING || x->udp == T_OK || x->tcp == T_PENDING || x->tcp == T_OK ||
                cxq_ready(x->q) || cxq_pending(x->q); /* QUIC over the relay carries it */
    if (!live) x_close(x);
}

static const char *label(const cxtcp_t *x);

static bool send_ctl(cli_t *c, uint8_t type, json_t *o);

/* Tells the server the pair's path (MSG_P2P_PATH), when it changed: the
 * visitor names the pair by its sid, the owner by the server's token. A
 * server that does not know the message ignores it. At most one report per
 * change of path, and QUIC bounds how often that happens. */
static void report_path(cxtcp_t *x, const char *path, uint64_t rtt_us)
{
    uint64_t now = uv_now(x->cli->loop);
    if (x->reported && strcmp(x->reported, path) == 0) return;
    if (!x->reported || strcmp(path, "closed") != 0) x->path_at = now;
    bool visitor = x->role == PUNCH_ROLE_VISITOR;
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I}", "proxy", x->proxy, "role",
                          visitor ? "visitor" : "owner", "path", path, "rtt_us", (json_int_t)rtt_us,
                          "since_ms", (json_int_t)(now - x->path_at));
    if (o && visitor) json_object_set_new(o, "sid", json_integer(x->sid));
    if (o && !visitor) json_object_set_new(o, "pair", json_string(x->pair));
    if (send_ctl(x->cli, MSG_P2P_PATH, o)) x->reported = path;
}

/* The pair's path now: QUIC's, "stcp" once QUIC will not carry it, NULL
 * while that is not known yet. */
static void path_news(cxtcp_t *x)
{
    uint64_t rtt_us = 0;
    const char *path = cxq_path(x->q, &rtt_us);
    if (!path && !cxq_pending(x->q) && x->state >= X_PUNCH) path = "stcp";
    if (path) report_path(x, path, rtt_us);
}

/* QUIC came up, changed path, or will not carry the pair (any more): the
 * server hears the path (path_news). Once it was up and
 * has ended (the peer gone: killed, or silent for QUIC_PEER_SILENT_MS),
 * the pair closes: the visitor's next connection starts a new one. */
static void on_quic_news(void *arg)
{
    cxtcp_t *x = arg;
    if (!x->cli) return;
    if (cxq_ended(x->q)) {
        LOG_I("xtcp pair closed %s=%s proxy=%s reason=quic-ended",
              x->role == PUNCH_ROLE_VISITOR ? "name" : "visitor", LOG_ESC(label(x)),
              LOG_ESC(x->proxy));
        x_close(x);
        return;
    }
    if (x->role == PUNCH_ROLE_VISITOR && x->vcfg) cvisitor_xtcp_news(x->cli, x->vcfg);
    if (!x->cli) return;
    path_news(x);
    if (!cxq_ready(x->q) && x->state >= X_PUNCH) x_settle(x);
}

static int count(const cli_t *c)
{
    int n = 0;
    for (const cxtcp_t *x = c->xtcps; x; x = x->next)
        n++;
    return n;
}

static const char *own_user(const cli_t *c)
{
    return c->cfg->user ? c->cfg->user : "";
}

static const char *label(const cxtcp_t *x)
{
    const char *s = x->role == PUNCH_ROLE_VISITOR ? x->vcfg->name : x->peer_user;
    return s[0] ? s : "-"; /* a visitor without a user label */
}

/* ---- the outcome -------------------------------------------------------- */

static void on_path_down(dgram_path_t *path, const char *reason, void *arg)
{
    cxtcp_t *x = arg;
    (void)path;
    LOG_W("xtcp direct path lost %s=%s proxy=%s reason=%s path=relay",
          x->role == PUNCH_ROLE_VISITOR ? "name" : "visitor", LOG_ESC(label(x)), LOG_ESC(x->proxy),
          reason);
    x->udp = T_FAILED;
    x_settle(x);
}

static void on_direct_delayed(uv_timer_t *t)
{
    cxtcp_t *x = t->data;
    for (int i = 0; i < 2; i++)
        if (x->held[i]) cxq_add_direct(x->q, x->held[i]);
    x->held[0] = x->held[1] = NULL;
}

/* A direct path (slot 0: UDP, 1: TCP) goes to QUIC (which takes its
 * callbacks over). Test knob BURROW_TEST_XTCP_DIRECT_DELAY_MS (lab tests
 * only): the visitor holds both back that long from the first, so that a
 * transfer starts on the relay and must move. */
static void give_direct(cxtcp_t *x, dgram_path_t *path, int slot)
{
    const char *knob = getenv("BURROW_TEST_XTCP_DIRECT_DELAY_MS");
    long ms = knob ? strtol(knob, NULL, 10) : 0;
    if (ms <= 0 || x->role != PUNCH_ROLE_VISITOR || !x->q) {
        cxq_add_direct(x->q, path);
        return;
    }
    LOG_W("xtcp test knob: direct path held back path=%s delay_ms=%ld "
          "(BURROW_TEST_XTCP_DIRECT_DELAY_MS)",
          path->ops->kind, ms);
    x->held[slot] = path;
    if (!uv_is_active((uv_handle_t *)&x->timer))
        uv_timer_start(&x->timer, on_direct_delayed, (uint64_t)ms, 0);
}

static void on_done(punch_t *p, const punch_result_t *r, void *arg)
{
    cxtcp_t *x = arg;
    cli_t *c = x->cli;
    const char *who = x->role == PUNCH_ROLE_VISITOR ? "name" : "visitor";
    (void)p;
    if (!c) return;
    uint64_t since = uv_now(c->loop) - x->t_begin;
    if (!r->path) {
        LOG_I("xtcp no direct path %s=%s proxy=%s reason=%s self_nat=%s peer_nat=%s took_ms=%llu "
              "probes=%llu dropped=%llu path=relay%s",
              who, LOG_ESC(label(x)), LOG_ESC(x->proxy), r->reason, cand_nat_name(x->self_nat),
              cand_nat_name(x->peer_nat), (unsigned long long)since, (unsigned long long)r->probes,
              (unsigned long long)r->dropped,
              strcmp(r->reason, "both-symmetric") == 0
                  ? " note=both-NATs-map-per-destination:-no-direct-path-possible"
                  : "");
        x->udp = T_FAILED;
        x_settle(x);
        return;
    }
    x->udp = T_OK;
    char l[ADDR_STRLEN], rm[ADDR_STRLEN];
    x->state = X_DIRECT;
    r->path->on_down = on_path_down;
    r->path->arg = x;
    give_direct(x, r->path, 0);
    LOG_I("xtcp direct path %s=%s proxy=%s path=direct local=%s remote=%s via=%s rtt_ms=%llu "
          "time_to_direct_ms=%llu punch_ms=%llu probes=%llu dropped=%llu self_nat=%s peer_nat=%s",
          who, LOG_ESC(label(x)), LOG_ESC(x->proxy),
          addr_format((struct sockaddr *)&r->path->local, l, sizeof l),
          addr_format((struct sockaddr *)&r->path->remote, rm, sizeof rm), r->via,
          (unsigned long long)r->rtt_ms, (unsigned long long)since, (unsigned long long)r->took_ms,
          (unsigned long long)r->probes, (unsigned long long)r->dropped, cand_nat_name(x->self_nat),
          cand_nat_name(x->peer_nat));
}

/* ---- shared steps ------------------------------------------------------- */

static int stun_addr(const cli_t *c, struct sockaddr_storage *out)
{
    const char *h = c->cfg->nat_hole_stun_server;
    if (h && addr_parse_text(h, out) == 0) return 0;
    if (h) LOG_W("natHoleStunServer=%s is not ip:port; using the server's STUN", LOG_ESC(h));
    *out = c->addr; /* the server's STUN service listens on bindPort's number, over UDP */
    return c->addr.ss_family == AF_INET || c->addr.ss_family == AF_INET6 ? 0 : -1;
}

static void on_gathered(punch_t *p, const cand_set_t *self, void *arg);

static void on_portmap(portmap_t *pm, const portmap_event_t *ev, void *arg)
{
    cxtcp_t *x = arg;
    struct sockaddr_storage ext;
    (void)pm;
    if (!x->cli) return;
    if (ev->kind == PORTMAP_EV_MAPPED && addr_parse(ev->external_ip, ev->external_port, &ext) == 0)
        (void)punch_add_mapped(x->punch, (struct sockaddr *)&ext);
    else
        punch_release_gather(x->punch); /* FAILED, or an address we cannot use */
}

/* natTraversal.portMapping: ask the router to map the punch socket's port.
 * Only PCP and NAT-PMP, which answer (or are refused) within milliseconds:
 * UPnP's discovery alone takes PORTMAP_UPNP_DISCOVER_MS, the whole of the
 * gathering's budget. Gathering waits for the answer, at most GATHER_MS;
 * the mapping is renewed while the pair lives and deleted when it closes. */
static void start_portmap(cli_t *c, cxtcp_t *x)
{
    portmap_opts_t o;
    portmap_opts_default(&o);
    o.norder = 0;
    for (int i = 0; i < c->cfg->n_port_mapping_protocols; i++)
        if (c->cfg->port_mapping_protocols[i] != PORTMAP_UPNP)
            o.order[o.norder++] = c->cfg->port_mapping_protocols[i];
    int port = punch_port(x->punch);
    if (!c->cfg->port_mapping || o.norder == 0 || port <= 0) return;
    o.internal_port = (uint16_t)port;
    o.description = "burrow xtcp";
    if (portmap_start(c->loop, &o, on_portmap, x, &x->pm) != 0) {
        x->pm = NULL;
        return;
    }
    x->open++;
    punch_hold_gather(x->punch);
}

static const punch_cbs_t punch_cbs = {on_gathered, on_done};

static const uint8_t *own_fp(const cxtcp_t *x)
{
    return x->q ? cxq_fp(x->q) : NULL;
}

static cxtcp_t *x_new(cli_t *c, punch_role_t role)
{
    struct sockaddr_storage stun;
    if (count(c) >= CXTCP_MAX || stun_addr(c, &stun) != 0) return NULL;
    cxtcp_t *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->role = role;
    x->t_begin = uv_now(c->loop);
    if (punch_new(c->loop, role, (struct sockaddr *)&stun, &punch_cbs, x, &x->punch) != 0) {
        free(x);
        return NULL;
    }
    uv_timer_init(c->loop, &x->timer);
    x->timer.data = x;
    x->open = 2;
    if (tcp_punch_new(c->loop, &x->tp) == 0)
        x->open++;
    else
        x->tp = NULL; /* UDP alone */
    x->q = cxq_new(c, role == PUNCH_ROLE_VISITOR, on_quic_news, x);
    if (x->q) x->open++;
    x->cli = c; /* the portmap callback checks it */
    start_portmap(c, x);
    x->next = c->xtcps;
    if (c->xtcps) c->xtcps->prev = x;
    c->xtcps = x;
    return x;
}

/* The TCP path ended (FIN, reset, TCP_USER_TIMEOUT, a bad frame): QUIC
 * has left it already (its on_down ran first). */
static void on_tcp_lost(dgram_path_t *p, const char *reason, void *arg)
{
    cxtcp_t *x = arg;
    (void)p;
    if (!x->cli) return;
    LOG_I("xtcp tcp path lost %s=%s proxy=%s reason=%s",
          x->role == PUNCH_ROLE_VISITOR ? "name" : "visitor", LOG_ESC(label(x)), LOG_ESC(x->proxy),
          reason);
    close_tcp_path(x);
    x->tcp = T_FAILED;
    x_settle(x);
}

static void on_tcp_done(tcp_punch_t *t, uv_tcp_t *sock, const struct sockaddr *peer,
                        const char *reason, void *arg)
{
    cxtcp_t *x = arg;
    cli_t *c = x->cli;
    const char *who = x->role == PUNCH_ROLE_VISITOR ? "name" : "visitor";
    int err = 0;
    (void)t;
    if (!c) { /* closing: a socket handed over now is closed here */
        if (sock) uv_close((uv_handle_t *)sock, (uv_close_cb)free);
        return;
    }
    uint64_t since = uv_now(c->loop) - x->t_begin;
    dgram_path_t *path = sock ? dgram_tcp_open(sock, on_tcp_lost, x, &err) : NULL;
    if (!path) {
        LOG_I("xtcp no tcp path %s=%s proxy=%s reason=%s took_ms=%llu", who, LOG_ESC(label(x)),
              LOG_ESC(x->proxy), sock ? uv_err_name(err) : reason, (unsigned long long)since);
        x->tcp = T_FAILED;
        x_settle(x);
        return;
    }
    char rm[ADDR_STRLEN];
    x->tcp = T_OK;
    x->tcp_path = path;
    x->open++;
    LOG_I("xtcp tcp path %s=%s proxy=%s path=direct-tcp remote=%s time_to_direct_ms=%llu", who,
          LOG_ESC(label(x)), LOG_ESC(x->proxy), addr_format(peer, rm, sizeof rm),
          (unsigned long long)since);
    give_direct(x, path, 1); /* QUIC rides it where UDP cannot */
}

/* Starts TCP simultaneous open beside the UDP punch when both have a port. */
static void start_tcp(cxtcp_t *x, const punch_key_t *key, const cand_set_t *peer)
{
    if (!x->tp || peer->tcp_port <= 0 ||
        tcp_punch_start(x->tp, x->role, key, peer, on_tcp_done, x) != 0) {
        x->tcp = T_NONE;
        return;
    }
    x->tcp = T_PENDING;
}

static const cproxy_t *find_xtcp(const cli_t *c, const char *wire);

/* The pair's QUIC over the relay, once both fingerprints and a grant are
 * known (visitor: at the answer; owner: after answering). Without them the
 * pair's connections stay on the stcp path. */
static void start_quic(cxtcp_t *x)
{
    if (!x->q) return;
    if (!x->peer_has_fp || !x->has_grant) {
        LOG_I("xtcp no quic %s=%s proxy=%s reason=%s path=stcp",
              x->role == PUNCH_ROLE_VISITOR ? "name" : "visitor", LOG_ESC(label(x)),
              LOG_ESC(x->proxy), x->peer_has_fp ? "no-relay-grant" : "peer-without-quic");
        (void)cxq_start(x->q, NULL, NULL, x->proxy, NULL); /* marks it failed */
        return;
    }
    const cproxy_t *p = x->role == PUNCH_ROLE_OWNER ? find_xtcp(x->cli, x->proxy) : NULL;
    (void)cxq_start(x->q, x->peer_fp, &x->grant, x->proxy, p ? &p->local : NULL);
}

/* The common fields of OFFER and ANSWER: nonce, proof, candidates, fp. */
static json_t *rdv_msg(const cxtcp_t *x, const uint8_t *nonce, const uint8_t *proof,
                       const cand_set_t *self)
{
    char nh[2 * PUNCH_NONCE_LEN + 1], ph[2 * PUNCH_PROOF_LEN + 1];
    cand_set_t with_tcp = *self;
    if (x->tp) with_tcp.tcp_port = tcp_punch_port(x->tp);
    self = &with_tcp;
    auth_hex(nonce, PUNCH_NONCE_LEN, nh);
    auth_hex(proof, PUNCH_PROOF_LEN, ph);
    json_t *o = json_pack("{s:s,s:s,s:s}", "proxy", x->proxy, "nonce", nh, "proof", ph);
    if (o && x->q) {
        char fh[2 * PUNCH_FP_LEN + 1];
        auth_hex(cxq_fp(x->q), PUNCH_FP_LEN, fh);
        json_object_set_new(o, "fp", json_string(fh));
    }
    if (o && cand_to_json(self, o) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Takes o (ctl_write does; freed here when it cannot be sent). */
static bool send_ctl(cli_t *c, uint8_t type, json_t *o)
{
    if (!o || !client_logged_in(c)) {
        json_decref(o);
        return false;
    }
    return ctl_write(c->ctl, type, o) >= 0;
}

/* The peer's "fp" and our "relay" grant from a rendezvous message: a
 * malformed fp is a protocol error (the proof covers what was sent);
 * a missing or malformed grant only means no relay. */
static int read_quic_fields(cxtcp_t *x, const json_t *m)
{
    const char *fp = msg_str(m, "fp");
    x->peer_has_fp = fp != NULL;
    if (fp && auth_unhex(fp, x->peer_fp, sizeof x->peer_fp) != 0) return -1;
    const json_t *g = json_object_get(m, RELAY_GRANT_KEY);
    x->has_grant = g && relay_grant_from_json(g, &x->grant) == 0;
    return 0;
}

static const uint8_t *peer_fp(const cxtcp_t *x)
{
    return x->peer_has_fp ? x->peer_fp : NULL;
}

/* ---- visitor ------------------------------------------------------------ */

static void on_answer_timeout(uv_timer_t *t)
{
    cxtcp_t *x = t->data;
    LOG_W("xtcp no answer name=%s proxy=%s waited_ms=%d path=relay", LOG_ESC(x->vcfg->name),
          LOG_ESC(x->proxy), CXTCP_ANSWER_MS);
    x_close(x);
}

static void visitor_gathered(cxtcp_t *x, const cand_set_t *self)
{
    cli_t *c = x->cli;
    uint8_t proof[PUNCH_PROOF_LEN];
    if (punch_proof(x->vcfg->secret_key, PUNCH_ROLE_VISITOR, x->proxy, own_user(c), x->nonce_v,
                    NULL, own_fp(x), proof) != 0) {
        x_close(x);
        return;
    }
    json_t *o = rdv_msg(x, x->nonce_v, proof, self);
    if (o) json_object_set_new(o, "sid", json_integer(x->sid));
    if (!send_ctl(c, MSG_P2P_OFFER, o)) {
        x_close(x);
        return;
    }
    x->state = X_WAIT_ANSWER;
    uv_timer_start(&x->timer, on_answer_timeout, CXTCP_ANSWER_MS, 0);
}

/* frp's maxRetriesAnHour and minRetryInterval, per visitor entry. */
static bool budget_ok(cli_t *c, const visitor_cfg_t *v, uint64_t now)
{
    cxtcp_budget_t *b = cvisitor_budget(c, v);
    if (!b) return false;
    if (b->hour_start == 0 || now - b->hour_start >= HOUR_MS) {
        b->hour_start = now ? now : 1;
        b->tries = 0;
    }
    if (b->last && now - b->last < (uint64_t)v->min_retry_interval * 1000) return false;
    if (b->tries >= v->max_retries_an_hour) return false;
    b->tries++;
    b->last = now ? now : 1;
    return true;
}

void cxtcp_visitor_want(cli_t *c, const visitor_cfg_t *v, const char *proxy)
{
    if (strcmp(v->type, "xtcp") != 0 || !client_logged_in(c)) return;
    for (cxtcp_t *x = c->xtcps; x; x = x->next)
        if (x->vcfg == v) return; /* punching, or a path is up */
    if (!budget_ok(c, v, uv_now(c->loop))) {
        LOG_D("xtcp punch not retried yet name=%s", LOG_ESC(v->name));
        return;
    }
    cxtcp_t *x = x_new(c, PUNCH_ROLE_VISITOR);
    if (!x) {
        LOG_W("xtcp punch not started name=%s reason=no-room-or-socket", LOG_ESC(v->name));
        return;
    }
    x->vcfg = v;
    x->sid = ++c->xtcp_sid & 0x7fffffff;
    snprintf(x->proxy, sizeof x->proxy, "%s", proxy);
    auth_random(x->nonce_v, sizeof x->nonce_v);
    LOG_I("xtcp punching name=%s proxy=%s sid=%lld", LOG_ESC(v->name), LOG_ESC(proxy), x->sid);
}

static cxtcp_t *find_sid(cli_t *c, long long sid)
{
    for (cxtcp_t *x = c->xtcps; x; x = x->next)
        if (x->role == PUNCH_ROLE_VISITOR && x->sid == sid) return x;
    return NULL;
}

void cxtcp_on_answer(void *owner, json_t *m)
{
    cli_t *c = owner;
    cxtcp_t *x = find_sid(c, msg_int(m, "sid", -1));
    const char *err = msg_str(m, "error");
    uint8_t proof[PUNCH_PROOF_LEN];
    cand_set_t peer;
    punch_key_t key;
    if (!x || x->state != X_WAIT_ANSWER) return;
    uv_timer_stop(&x->timer);
    const char *why = err ? err : NULL;
    if (!why && (!msg_str(m, "nonce") || !msg_str(m, "proof") ||
                 auth_unhex(msg_str(m, "nonce"), x->nonce_o, sizeof x->nonce_o) != 0 ||
                 auth_unhex(msg_str(m, "proof"), proof, sizeof proof) != 0 ||
                 cand_from_json(m, &peer) != 0 || read_quic_fields(x, m) != 0))
        why = "proto";
    if (!why && !punch_proof_ok(x->vcfg->secret_key, PUNCH_ROLE_OWNER, x->proxy, own_user(c),
                                x->nonce_v, x->nonce_o, peer_fp(x), proof))
        why = "bad-owner-proof";
    if (!why && (punch_derive(x->vcfg->secret_key, x->nonce_v, x->nonce_o, x->proxy, &key) != 0 ||
                 punch_start(x->punch, &key, &peer) != 0))
        why = "internal";
    if (why) {
        LOG_W("xtcp punch refused name=%s proxy=%s reason=%s path=relay", LOG_ESC(x->vcfg->name),
              LOG_ESC(x->proxy), LOG_ESC(why));
        x_close(x);
        return;
    }
    x->peer_nat = peer.nat;
    x->state = X_PUNCH;
    x->udp = T_PENDING;
    start_tcp(x, &key, &peer);
    start_quic(x);
    LOG_I("xtcp answer name=%s proxy=%s peer_cands=%d peer_nat=%s", LOG_ESC(x->vcfg->name),
          LOG_ESC(x->proxy), peer.n, cand_nat_name(peer.nat));
}

conn_t *cxtcp_visitor_stream(cli_t *c, const visitor_cfg_t *v, bool *pending)
{
    *pending = false;
    for (cxtcp_t *x = c->xtcps; x; x = x->next) {
        if (x->vcfg != v || !x->q) continue;
        int err = 0;
        conn_t *s = cxq_ready(x->q) ? cxq_open_stream(x->q, &err) : NULL;
        *pending = !s && cxq_pending(x->q);
        return s;
    }
    return NULL;
}

/* ---- owner -------------------------------------------------------------- */

static const cproxy_t *find_xtcp(const cli_t *c, const char *wire)
{
    for (int i = 0; wire && i < c->n_proxies; i++)
        if (c->proxies[i]->cfg->kind == PROXY_XTCP && strcmp(c->proxies[i]->wire_name, wire) == 0)
            return c->proxies[i];
    return NULL;
}

static void owner_refuse(cli_t *c, const char *pair, const char *proxy, const char *user,
                         const char *why)
{
    LOG_LIMITED(LOG_WARN, "xtcp offer refused proxy=%s visitor=%s reason=%s", LOG_ESC(proxy),
                LOG_ESC(user), why);
    (void)send_ctl(c, MSG_P2P_ANSWER,
                   json_pack("{s:s,s:s,s:s}", "pair", pair, "proxy", proxy, "error", why));
}

void cxtcp_on_offer(void *owner, json_t *m)
{
    cli_t *c = owner;
    const char *pair = msg_str(m, "pair"), *proxy = msg_str(m, "proxy");
    const char *user = msg_str(m, "user"), *nonce = msg_str(m, "nonce");
    const char *proof_hex = msg_str(m, "proof");
    uint8_t nv[PUNCH_NONCE_LEN], proof[PUNCH_PROOF_LEN];
    cand_set_t peer;
    const char *fp_hex = msg_str(m, "fp");
    uint8_t fp[PUNCH_FP_LEN];
    if (!pair || !proxy || !user || strlen(pair) >= 200 || strlen(user) >= 80) return;
    const cproxy_t *p = find_xtcp(c, proxy);
    const char *why = NULL;
    if (!p)
        why = "unknown-proxy";
    else if (!nonce || !proof_hex || auth_unhex(nonce, nv, sizeof nv) != 0 ||
             auth_unhex(proof_hex, proof, sizeof proof) != 0 || cand_from_json(m, &peer) != 0 ||
             (fp_hex && auth_unhex(fp_hex, fp, sizeof fp) != 0))
        why = "proto";
    else if (!stcp_user_allowed(user, own_user(c), (const char *const *)p->cfg->allow_users.v,
                                (size_t)p->cfg->allow_users.n))
        why = "user-not-allowed";
    else if (!punch_proof_ok(p->cfg->secret_key, PUNCH_ROLE_VISITOR, proxy, user, nv, NULL,
                             fp_hex ? fp : NULL, proof))
        why = "wrong-key";
    cxtcp_t *x = why ? NULL : x_new(c, PUNCH_ROLE_OWNER);
    if (!why && !x) why = "busy";
    if (why) {
        owner_refuse(c, pair, proxy, user, why);
        return;
    }
    memcpy(x->nonce_v, nv, sizeof nv);
    auth_random(x->nonce_o, sizeof x->nonce_o);
    snprintf(x->proxy, sizeof x->proxy, "%s", proxy);
    snprintf(x->peer_user, sizeof x->peer_user, "%s", user);
    snprintf(x->pair, sizeof x->pair, "%s", pair);
    x->peer_nat = peer.nat;
    x->peer_cands = peer;
    (void)read_quic_fields(x, m); /* fp was checked above */
    LOG_I("xtcp offer accepted proxy=%s visitor=%s peer_cands=%d peer_nat=%s", LOG_ESC(proxy),
          LOG_ESC(user), peer.n, cand_nat_name(peer.nat));
}

static void owner_gathered(cxtcp_t *x, const cand_set_t *self)
{
    cli_t *c = x->cli;
    uint8_t proof[PUNCH_PROOF_LEN];
    punch_key_t key;
    const cproxy_t *p = find_xtcp(c, x->proxy); /* not kept: a reload may remove it */
    if (!p) {
        x_close(x);
        return;
    }
    const char *secret = p->cfg->secret_key;
    if (punch_proof(secret, PUNCH_ROLE_OWNER, x->proxy, x->peer_user, x->nonce_v, x->nonce_o,
                    own_fp(x), proof) != 0 ||
        punch_derive(secret, x->nonce_v, x->nonce_o, x->proxy, &key) != 0) {
        x_close(x);
        return;
    }
    json_t *o = rdv_msg(x, x->nonce_o, proof, self);
    if (o) json_object_set_new(o, "pair", json_string(x->pair));
    /* punch and bind our side of the relay first: the answer's round trip
     * through the server is their head start, so the visitor's first QUIC
     * Initial finds our side bound (the relay drops it otherwise, and its
     * retransmission comes a PTO later: after VISITOR_QUIC_WAIT_MS) */
    if (punch_start(x->punch, &key, &x->peer_cands) != 0) {
        json_decref(o);
        x_close(x);
        return;
    }
    start_quic(x);
    if (!send_ctl(c, MSG_P2P_ANSWER, o)) {
        x_close(x);
        return;
    }
    x->state = X_PUNCH;
    x->udp = T_PENDING;
    start_tcp(x, &key, &x->peer_cands);
}

static void on_gathered(punch_t *p, const cand_set_t *self, void *arg)
{
    cxtcp_t *x = arg;
    (void)p;
    if (!x->cli) return;
    x->self_nat = self->nat;
    const cand_t *sf = cand_find(self, CAND_SRFLX);
    char a[ADDR_STRLEN];
    LOG_I("xtcp candidates %s=%s proxy=%s cands=%d srflx=%s nat=%s",
          x->role == PUNCH_ROLE_VISITOR ? "name" : "visitor", LOG_ESC(label(x)), LOG_ESC(x->proxy),
          self->n, sf ? addr_format((struct sockaddr *)&sf->addr, a, sizeof a) : "none",
          cand_nat_name(self->nat));
    if (x->role == PUNCH_ROLE_VISITOR)
        visitor_gathered(x, self);
    else
        owner_gathered(x, self);
}

/* ---- the client's side -------------------------------------------------- */

json_t *cxtcp_pairs_json(cli_t *c, const char *proxy, const visitor_cfg_t *v)
{
    json_t *a = json_array();
    for (cxtcp_t *x = c->xtcps; x && a; x = x->next) {
        bool mine = v ? x->role == PUNCH_ROLE_VISITOR && x->vcfg == v
                      : x->role == PUNCH_ROLE_OWNER && strcmp(x->proxy, proxy) == 0;
        if (!mine) continue;
        uint64_t rtt_us;
        const char *path = cxq_path(x->q, &rtt_us);
        json_array_append_new(a, json_pack("{s:s,s:s,s:f,s:I}", "peer", label(x), "path",
                                           path ? path : "stcp", "rtt_ms", (double)rtt_us / 1000.0,
                                           "since_ms", (json_int_t)(uv_now(c->loop) - x->t_begin)));
    }
    return a;
}

void cxtcp_close_visitor(cli_t *c, const visitor_cfg_t *v)
{
    cxtcp_t *x = c->xtcps;
    while (x) {
        cxtcp_t *next = x->next;
        if (x->role == PUNCH_ROLE_VISITOR && x->vcfg == v) x_close(x);
        x = next;
    }
}

void cxtcp_close_proxy(cli_t *c, const char *proxy)
{
    cxtcp_t *x = c->xtcps;
    while (x) {
        cxtcp_t *next = x->next;
        if (x->role == PUNCH_ROLE_OWNER && strcmp(x->proxy, proxy) == 0) x_close(x);
        x = next;
    }
}

void cxtcp_close_all(cli_t *c)
{
    while (c->xtcps)
        x_close(c->xtcps);
}
