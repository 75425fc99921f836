/* visitor_sudp: an sudp [[visitors]] entry, the visitor's side of a secret
 * UDP proxy.
 *
 * At client_start it binds bindAddr:bindPort (UDP) and keeps the socket
 * until stop, across reconnects. Datagrams from each local sender get a
 * session id (net/udp_sessions.h: UDP_MAX_SESSIONS, least recently used
 * evicted, UDP_IDLE_MS idle expiry) and travel as UDP_DATA frames over one
 * *path* to the owner: a server conn with HELLO role "visitor" type "sudp",
 * proto/stcp_hs.h as the visitor, then net/conn_e2e.h records, so the
 * server relays ciphertext only. The owner's replies come back under the
 * same id and go to that sender (msg_udp_deliver).
 *
 *   local sender ──UDP──▶ visitor socket ─▶ session id ─▶ UDP_DATA in e2e
 *     records ─▶ server relay ─▶ owner's udp fan-out (cproxy_sudp.c) ─▶
 *     a connected local socket per id ─▶ service, and back the same way.
 *
 * The path is opened at each login, and again after it is lost or refused:
 * VSUDP_RETRY_BASE_MS doubling to VSUDP_RETRY_MAX_MS (reset once it is up
 * or at a login), to VSUDP_REFUSED_MAX_MS after the owner refused the key
 * or the user. A refusal is logged once (again only when its reason
 * changes). While it is down, datagrams are dropped and counted, with a
 * rate-limited line.
 *
 * Ownership: the visitor (cvisitor_t in visitor.c) owns the vsudp_t, freed by
 * cvisitor_destroy after the loop has closed; vsudp_close (client_stop)
 * closes its socket, timers and path conn, whose callbacks it alone holds. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/addr.h"
#include "net/conn_e2e.h"
#include "net/udp_sessions.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "proto/stcp_hs.h"
#include "util/log.h"

#define VSUDP_HS_MS 15000 /* the handshake with the owner, dial included */

struct vsudp {
    cli_t *cli;
    const visitor_cfg_t *cfg;
    const char *proxy; /* the owner's proxy as the server names it */
    uv_udp_t sock;     /* bindAddr:bindPort */
    uv_timer_t retry;  /* the next dial, or the handshake's deadline */
    uv_timer_t sweep;  /* expires idle sessions every UDP_SWEEP_MS */
    bool started, bound, closed;
    conn_t *srv;             /* the path: raw in the handshake, then e2e; NULL when down */
    bool up;                 /* srv is the e2e conn */
    stcp_hs_t hs;            /* of the current path */
    framer_t fr;             /* UDP_DATA frames from the owner */
    udp_sessions_t sessions; /* peer: a local sender */
    unsigned retry_ms;       /* the last retry delay; 0 after the path came up */
    bool owner_refused;      /* the last attempt was refused by the owner */
    char refusal[STCP_REASON_MAX + 1]; /* the last reason logged; "" once up */
    uint64_t drops;                    /* datagrams dropped: no path, or the path full */
};

static void dial(vsudp_t *v);

/* ---- the local socket --------------------------------------------------- */

static void note_new_sender(vsudp_t *v, const udp_sess_t *s, uint64_t evicted_before)
{
    if (v->sessions.evicted != evicted_before)
        LOG_ONCE_PER_WINDOW(LOG_WARN,
                            "sudp visitor at its session cap name=%s proxy=%s max=%d evicted=%llu",
                            LOG_ESC(v->cfg->name), LOG_ESC(v->proxy), v->sessions.max,
                            (unsigned long long)v->sessions.evicted);
    char peer[ADDR_STRLEN];
    addr_format((const struct sockaddr *)&s->peer, peer, sizeof peer);
    LOG_LIMITED(LOG_INFO, "sudp visitor session name=%s proxy=%s peer=%s sid=%u path=relay",
                LOG_ESC(v->cfg->name), LOG_ESC(v->proxy), peer, s->id);
}

static void on_local_dgram(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
                           const struct sockaddr *addr, unsigned flags)
{
    vsudp_t *v = sock->data;
    if (nread < 0 || !addr || (flags & UV_UDP_PARTIAL) || (size_t)nread > MSG_UDP_MAX) return;
    if (!v->up || conn_pending(v->srv) > CONN_HIGH_WATER) {
        v->drops++;
        if (!v->up)
            LOG_LIMITED(LOG_WARN,
                        "sudp visitor dropped a datagram: no path to the owner name=%s proxy=%s "
                        "dropped=%llu",
                        LOG_ESC(v->cfg->name), LOG_ESC(v->proxy), (unsigned long long)v->drops);
        return;
    }
    uint64_t evicted = v->sessions.evicted;
    uint32_t last_id = v->sessions.next_id;
    udp_sess_t *s = udp_sessions_by_peer(&v->sessions, addr, uv_now(sock->loop));
    if (!s) return;
    if (v->sessions.next_id != last_id) note_new_sender(v, s, evicted);
    /* Ignored: a datagram that cannot be queued is lost, as UDP may lose it;
     * a broken path reports itself through its own callbacks. */
    (void)msg_send_udp(v->srv, s->id, buf, (size_t)nread);
}

/* ---- the path once up: e2e records carrying UDP_DATA frames ------------- */

static int on_owner_frame(void *ctx, const frame_t *f)
{
    vsudp_t *v = ctx;
    return msg_udp_deliver(&v->sock, &v->sessions, f, uv_now(v->sock.loop));
}

static void e2e_data(conn_t *c, const uint8_t *p, size_t n)
{
    vsudp_t *v = conn_data(c);
    if (framer_feed(&v->fr, p, n, on_owner_frame, v) < 0) conn_close(c);
}

static void path_eof(conn_t *c)
{
    conn_close(c);
}

static void path_error(conn_t *c, int err)
{
    vsudp_t *v = conn_data(c);
    if (v->up)
        LOG_LIMITED(LOG_WARN, "sudp visitor path failed name=%s proxy=%s path=relay err=%s",
                    LOG_ESC(v->cfg->name), LOG_ESC(v->proxy), uv_strerror(err));
    conn_close(c);
}

static void retry_later(vsudp_t *v);

static void path_close(conn_t *c)
{
    vsudp_t *v = conn_data(c);
    if (v->up)
        LOG_LIMITED(LOG_INFO, "sudp visitor path down name=%s proxy=%s path=relay",
                    LOG_ESC(v->cfg->name), LOG_ESC(v->proxy));
    v->srv = NULL;
    v->up = false;
    framer_free(&v->fr);
    stcp_hs_free(&v->hs);
    if (!v->closed) retry_later(v);
}

static const conn_cbs_t e2e_cbs = {
    .on_data = e2e_data, .on_eof = path_eof, .on_error = path_error, .on_close = path_close};

static void path_up(vsudp_t *v, const uint8_t *rest, size_t rest_len)
{
    conn_t *e2e = conn_e2e_new(v->srv, &v->hs.keys, E2E_V2O, &e2e_cbs, v);
    if (!e2e) {
        conn_close(v->srv);
        return;
    }
    v->srv = e2e;
    v->up = true;
    v->retry_ms = 0;
    v->owner_refused = false;
    v->refusal[0] = '\0';
    uv_timer_stop(&v->retry);
    LOG_I("visitor connected name=%s proxy=%s type=sudp path=relay dropped=%llu",
          LOG_ESC(v->cfg->name), LOG_ESC(v->proxy), (unsigned long long)v->drops);
    conn_e2e_feed(e2e, rest, rest_len);
}

/* ---- the handshake on the raw server conn ------------------------------- */

/* One line per run of the same refusal: the path is retried for as long as
 * the client runs. */
static void refused(vsudp_t *v, const char *why)
{
    v->owner_refused = strcmp(why, "wrong-key") == 0 || strcmp(why, "user-not-allowed") == 0;
    if (strcmp(v->refusal, why) == 0) {
        LOG_D("visitor refused again name=%s proxy=%s reason=%s", LOG_ESC(v->cfg->name),
              LOG_ESC(v->proxy), LOG_ESC(why));
        return;
    }
    snprintf(v->refusal, sizeof v->refusal, "%s", why);
    cvisitor_log_refused(v->cfg->name, v->proxy, why);
}

static int send_srv(void *ctx, const uint8_t *p, size_t n)
{
    vsudp_t *v = ctx;
    return conn_write(v->srv, p, n) < 0 ? -1 : 0;
}

static void raw_ready(conn_t *c, int status)
{
    vsudp_t *v = conn_data(c);
    if (cvisitor_hello(v->cli, c, status, v->cfg, v->proxy, v->hs.nonce_v) != 0) conn_close(c);
}

static void raw_data(conn_t *c, const uint8_t *p, size_t n)
{
    vsudp_t *v = conn_data(c);
    size_t used = 0;
    int r = stcp_hs_feed(&v->hs, p, n, &used, send_srv, v);
    if (r == STCP_HS_DONE) {
        path_up(v, p + used, n - used);
    } else if (r == STCP_HS_REFUSED || r == STCP_HS_BAD) {
        refused(v, v->hs.reason[0] ? v->hs.reason : "bad-handshake");
        conn_close(c);
    }
}

static const conn_cbs_t raw_cbs = {.on_ready = raw_ready,
                                   .on_data = raw_data,
                                   .on_eof = path_eof,
                                   .on_error = path_error,
                                   .on_close = path_close};

static void on_retry(uv_timer_t *t)
{
    vsudp_t *v = t->data;
    if (!v->srv) {
        dial(v);
        return;
    }
    if (!v->up) { /* the handshake's deadline */
        refused(v, "handshake-timeout");
        conn_close(v->srv);
    }
}

unsigned vsudp_retry_delay(unsigned prev_ms, bool owner_refused)
{
    unsigned max = owner_refused ? VSUDP_REFUSED_MAX_MS : VSUDP_RETRY_MAX_MS;
    if (prev_ms == 0) return VSUDP_RETRY_BASE_MS;
    return prev_ms >= max / 2 ? max : 2 * prev_ms;
}

static void retry_later(vsudp_t *v)
{
    v->retry_ms = vsudp_retry_delay(v->retry_ms, v->owner_refused);
    uv_timer_start(&v->retry, on_retry, v->retry_ms, 0);
}

/* Opens the path when logged in and none is open; the next login dials
 * otherwise. */
static void dial(vsudp_t *v)
{
    cli_t *c = v->cli;
    if (v->srv || v->closed || !v->bound || !client_logged_in(c)) return;
    stcp_hs_free(&v->hs);
    if (stcp_hs_visitor_init(&v->hs, v->cfg->secret_key, v->proxy, cvisitor_user(c)) != 0 ||
        !(v->srv = conn_new(c->loop, &raw_cbs, v))) {
        retry_later(v);
        return;
    }
    int r = client_dial(c, v->srv, c->tls_session);
    if (r != 0) {
        LOG_LIMITED(LOG_WARN, "visitor cannot reach the server name=%s err=%s",
                    LOG_ESC(v->cfg->name), uv_strerror(r));
        conn_close(v->srv); /* path_close retries */
        return;
    }
    uv_timer_start(&v->retry, on_retry, VSUDP_HS_MS, 0);
}

/* ---- the client's side -------------------------------------------------- */

vsudp_t *vsudp_new(cli_t *c, const visitor_cfg_t *cfg, const char *proxy)
{
    vsudp_t *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->cli = c;
    v->cfg = cfg;
    v->proxy = proxy;
    udp_sessions_init(&v->sessions, UDP_MAX_SESSIONS, UDP_IDLE_MS, NULL, NULL);
    return v;
}

static void on_sweep(uv_timer_t *t)
{
    vsudp_t *v = t->data;
    udp_sessions_expire(&v->sessions, uv_now(t->loop));
}

void vsudp_start(vsudp_t *v)
{
    if (!v || v->started) return;
    uv_loop_t *loop = v->cli->loop;
    v->started = true;
    uv_udp_init(loop, &v->sock);
    uv_timer_init(loop, &v->retry);
    uv_timer_init(loop, &v->sweep);
    v->sock.data = v->retry.data = v->sweep.data = v;
    const visitor_cfg_t *cfg = v->cfg;
    struct sockaddr_storage ss;
    int r = addr_parse(cfg->bind_addr, cfg->bind_port, &ss) == 0 ? 0 : UV_EINVAL;
    if (r == 0) r = uv_udp_bind(&v->sock, (struct sockaddr *)&ss, 0);
    if (r == 0) r = uv_udp_recv_start(&v->sock, msg_udp_alloc, on_local_dgram);
    if (r != 0) {
        LOG_E("visitor cannot listen name=%s addr=%s:%d type=sudp err=%s", LOG_ESC(cfg->name),
              LOG_ESC(cfg->bind_addr), cfg->bind_port, uv_strerror(r));
        return;
    }
    v->bound = true;
    uv_timer_start(&v->sweep, on_sweep, UDP_SWEEP_MS, UDP_SWEEP_MS);
    LOG_I("visitor listening name=%s addr=%s:%d proxy=%s type=sudp", LOG_ESC(cfg->name),
          LOG_ESC(cfg->bind_addr), cfg->bind_port, LOG_ESC(v->proxy));
}

void vsudp_ctl_up(vsudp_t *v)
{
    if (!v || v->srv) return;
    v->retry_ms = 0;
    uv_timer_stop(&v->retry);
    dial(v);
}

void vsudp_close(vsudp_t *v)
{
    if (!v || v->closed) return;
    v->closed = true;
    if (v->srv) conn_close(v->srv);
    if (v->drops)
        LOG_D("sudp visitor closed name=%s dropped=%llu", LOG_ESC(v->cfg->name),
              (unsigned long long)v->drops);
    if (!v->started) return;
    uv_close((uv_handle_t *)&v->sock, NULL);
    uv_close((uv_handle_t *)&v->retry, NULL);
    uv_close((uv_handle_t *)&v->sweep, NULL);
}

void vsudp_free(vsudp_t *v)
{
    if (!v) return;
    udp_sessions_clear(&v->sessions);
    framer_free(&v->fr);
    stcp_hs_free(&v->hs);
    free(v);
}
