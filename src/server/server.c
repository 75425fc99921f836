/* server: the listener and the gate every connection passes before it is
 * trusted.
 *
 * A gate sniffs the first byte (0x16 = TLS ClientHello, 'B' = plain burrow),
 * checks the magic, reads HELLO and then either runs the login challenge
 * (control connections) or checks a work connection's proof. It enforces a
 * deadline (shorter for the TLS handshake), a frame size limit and budgets
 * on connections in this phase (server_int.h: in total, per source, in the
 * TLS handshake; sources holding a session apart), so scanners, slow-loris
 * and half-handshake peers cost a bounded amount and cannot crowd out work
 * connections. Wrong-token logins put their source under a growing
 * back-off (src_backoff). */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "net/addr.h"
#include "net/src_backoff.h"
#include "net/src_limit.h"
#include "proto/meta.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "proto/relay_grant.h"
#include "server/dash.h"
#include "server/secret_gone.h"
#include "server/server_int.h"
#include "server/stun_srv.h"
#include "server/udp_relay.h"
#include "tls/tls_cert.h"
#include "util/log.h"

enum gate_state { G_SNIFF, G_TLS, G_MAGIC, G_HELLO, G_LOGIN, G_DONE };

typedef struct gate {
    srv_t *srv;
    conn_t *conn; /* NULL once handed off */
    uv_timer_t timer;
    framer_t fr;
    enum gate_state state;
    uint8_t magic[FRAME_MAGIC_LEN];
    size_t magic_len;
    uint8_t nonce_s[AUTH_NONCE_LEN];
    ref_t ref; /* conn (until handed off) + timer */
    char peer[64];
    struct sockaddr_storage addr; /* the peer, for per-source budgets */
    bool counted;                 /* holds a place in a budget (and the gate list) */
    bool client;                  /* its source held a live session at accept */
    uint64_t accepted_at;
    struct gate *prev, *next; /* counted gates, oldest first */
} gate_t;

static void gate_release_mem(ref_t *r)
{
    gate_t *g = REF_OWNER(r, gate_t, ref);
    framer_free(&g->fr);
    g->srv->n_gates--;
    free(g);
}

/* ---- budgets ------------------------------------------------------------ */

static void on_trim(uv_timer_t *t)
{
    (void)t;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* glibc keeps the heap that a storm of handshakes used (about 40 KiB each,
 * scattered), so RSS would stay at the storm's peak. When the last of many
 * handshakes is gone, give the free pages back: on the next loop turn,
 * once the closing conns have freed their OpenSSL state. */
static void gate_tls_drained(srv_t *s)
{
    if (s->tls_storm && !s->stopping) uv_timer_start(&s->trim_timer, on_trim, 0, 0);
    s->tls_storm = false;
}

static void gate_set_tls(gate_t *g, bool in_tls)
{
    srv_t *s = g->srv;
    if ((g->state == G_TLS) == in_tls || !g->counted || g->client) return;
    s->n_tls += in_tls ? 1 : -1;
    if (s->n_tls >= GATE_TLS_TRIM_AFTER) s->tls_storm = true;
    if (s->n_tls == 0) gate_tls_drained(s);
}

/* Gives back the gate's places in the budgets (when it ends or hands off). */
static void gate_uncount(gate_t *g)
{
    srv_t *s = g->srv;
    if (!g->counted) return;
    gate_set_tls(g, false);
    g->counted = false;
    if (g->client)
        s->n_clients--;
    else
        s->n_strangers--;
    src_limit_release(s->gate_src, (struct sockaddr *)&g->addr);
    if (g->prev)
        g->prev->next = g->next;
    else
        s->gate_oldest = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        s->gate_newest = g->prev;
    g->prev = g->next = NULL;
}

static void gate_timer_closed(uv_handle_t *h)
{
    gate_t *g = h->data;
    ref_drop(&g->ref);
}

static void gate_conn_closed(conn_t *c)
{
    gate_t *g = conn_data(c);
    ref_drop(&g->ref);
}

/* Ends the gate: closes the conn unless it was handed off. */
static void gate_finish(gate_t *g, const char *reason)
{
    if (g->state == G_DONE) return;
    gate_uncount(g);
    g->state = G_DONE;
    if (reason && strcmp(reason, "server-stopping") != 0) srv_stats_hs_fail(&g->srv->stats, reason);
    if (reason) LOG_LIMITED(LOG_INFO, "connection closed peer=%s reason=%s", g->peer, reason);
    uv_timer_stop(&g->timer);
    uv_close((uv_handle_t *)&g->timer, gate_timer_closed);
    if (g->conn) conn_close(g->conn);
}

/* Hands the conn to a new owner; the gate no longer tracks it. */
static conn_t *gate_release(gate_t *g)
{
    conn_t *c = g->conn;
    g->conn = NULL;
    ref_drop(&g->ref); /* the conn's close no longer reaches us; the timer's ref remains */
    gate_finish(g, NULL);
    return c;
}

/* Tells the peer why, then closes after a short grace so the ERROR is sent. */
static void gate_reject(gate_t *g, const char *code, const char *message, const char *reason)
{
    /* Ignored: the conn closes right after either way; a peer that cannot
     * receive the ERROR learns from the close. */
    (void)msg_send(g->conn, MSG_ERROR, json_pack("{s:s,s:s}", "code", code, "message", message));
    conn_shutdown(g->conn);
    gate_finish(g, reason);
}

static void on_gate_timeout(uv_timer_t *t)
{
    gate_t *g = t->data;
    gate_finish(g, "handshake-timeout");
}

/* ---- wrong-token back-off ----------------------------------------------- */

/* true when the source must wait: then the peer was told for how long. */
static bool gate_login_barred(gate_t *g)
{
    srv_t *s = g->srv;
    uint64_t wait =
        src_backoff_wait(s->login_backoff, (struct sockaddr *)&g->addr, uv_now(s->loop));
    if (wait == 0) return false;
    char msg[96];
    snprintf(msg, sizeof msg, "too many failed logins from your address; retry in %llu s",
             (unsigned long long)(wait + 999) / 1000);
    LOG_ONCE_PER_WINDOW(LOG_WARN, "login refused peer=%s reason=login-backoff wait_ms=%llu",
                        g->peer, (unsigned long long)wait);
    srv_stats_hs_fail(&s->stats, "login-backoff");
    gate_reject(g, "auth", msg, NULL);
    return true;
}

/* A login with a wrong credential: the source's back-off grows. */
static void gate_login_failed(gate_t *g)
{
    srv_t *s = g->srv;
    uint64_t d = src_backoff_fail(s->login_backoff, (struct sockaddr *)&g->addr, uv_now(s->loop));
    if (d > 0)
        LOG_ONCE_PER_WINDOW(
            LOG_WARN, "login back-off peer=%s failures=%d backoff_ms=%llu after=%d free", g->peer,
            src_backoff_failures(s->login_backoff, (struct sockaddr *)&g->addr, uv_now(s->loop)),
            (unsigned long long)d, SRC_BACKOFF_FREE);
}

static void gate_login_ok(gate_t *g)
{
    src_backoff_success(g->srv->login_backoff, (struct sockaddr *)&g->addr);
}

/* ---- control login ------------------------------------------------------ */

static void handle_hello_control(gate_t *g)
{
    if (gate_login_barred(g)) return;
    if (auth_random(g->nonce_s, sizeof g->nonce_s) != 0) {
        gate_finish(g, "no-randomness");
        return;
    }
    char hex[2 * AUTH_NONCE_LEN + 1];
    auth_hex(g->nonce_s, sizeof g->nonce_s, hex);
    if (msg_send(g->conn, MSG_CHALLENGE, json_pack("{s:i,s:s}", "proto", 1, "nonce", hex)) < 0) {
        gate_finish(g, "write-failed");
        return;
    }
    g->state = G_LOGIN;
}

/* Users are logged and prefix proxy names: printable ASCII only, so that no
 * peer can forge log lines. */
static bool valid_user(const char *user)
{
    size_t n = strlen(user);
    if (n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (user[i] < 0x21 || user[i] > 0x7e) return false;
    return true;
}

/* The token `user` must prove: its own when [[users]] names it, else the
 * shared auth.token; "" only on an open server (auth.allowOpen). NULL when
 * nobody may log in under that name. */
static const char *login_token(const server_cfg_t *cfg, const char *user)
{
    const user_cfg_t *u = config_find_user(cfg, user);
    if (u) return u->token;
    if (cfg->token && cfg->token[0]) return cfg->token;
    return cfg->allow_open ? "" : NULL;
}

/* The session this LOGIN may replace: the one its run_id names, only with a
 * valid resume proof from the same user. A run id without proof is ignored
 * (the login gets a fresh session that competes for names normally). */
static session_t *resume_target(gate_t *g, json_t *m, const char *user,
                                const uint8_t nonce_c[AUTH_NONCE_LEN], const uint8_t *binding,
                                size_t binding_len)
{
    const char *prev = msg_str(m, "run_id");
    session_t *old = prev ? session_find(g->srv, prev) : NULL;
    if (!old) return NULL;
    uint8_t mac[AUTH_MAC_LEN];
    if (auth_unhex(msg_str(m, "resume_mac"), mac, sizeof mac) == 0 &&
        session_resume_ok(old, user, g->nonce_s, nonce_c, binding, binding_len, mac))
        return old;
    LOG_LIMITED(LOG_WARN,
                "resume refused peer=%s user=%s run_id=%s reason=no-valid-proof: new session "
                "instead",
                g->peer, LOG_ESC(user), session_run_id(old));
    return NULL;
}

static void handle_login(gate_t *g, json_t *m)
{
    const char *user = msg_str(m, "user");
    uint8_t nonce_c[AUTH_NONCE_LEN], mac[AUTH_MAC_LEN], want[AUTH_MAC_LEN];
    if (!user) user = "";
    if (!valid_user(user) || auth_unhex(msg_str(m, "client_nonce"), nonce_c, sizeof nonce_c) ||
        auth_unhex(msg_str(m, "mac"), mac, sizeof mac)) {
        gate_reject(g, "proto", "malformed LOGIN", "bad-login-message");
        return;
    }
    uint8_t binding[AUTH_BINDING_LEN];
    int has_binding = conn_tls_binding(g->conn, AUTH_BINDING_LABEL, binding) == 0;
    const uint8_t *bp = has_binding ? binding : NULL;
    size_t blen = has_binding ? sizeof binding : 0;
    const char *token = login_token(g->srv->cfg, user);
    if (token) auth_login_mac(token, g->nonce_s, nonce_c, user, bp, blen, want);
    if (!token || !auth_mac_equal(mac, want)) {
        LOG_LIMITED(LOG_WARN, "login refused peer=%s reason=%s user=%s", g->peer,
                    token ? "bad-token" : "unknown-user", LOG_ESC(user));
        gate_login_failed(g);
        srv_stats_hs_fail(&g->srv->stats, token ? "bad-token" : "unknown-user");
        gate_reject(g, "auth", "authentication failed: wrong token", NULL);
        return;
    }
    char why[96];
    if (meta_check(json_object_get(m, "metadatas"), why, sizeof why) != 0 ||
        meta_check_id(msg_str(m, "client_id"), why, sizeof why) != 0) {
        gate_reject(g, "proto", why, "bad-login-message"); /* past proto/meta.h bounds */
        return;
    }
    gate_login_ok(g);
    /* A client coming back (reconnect, or a restart with its saved resume
     * key) replaces its stale session, freeing its names and ports first. */
    session_t *old = resume_target(g, m, user, nonce_c, bp, blen);
    char old_id[2 * RUN_ID_LEN + 1] = "";
    if (old) {
        snprintf(old_id, sizeof old_id, "%s", session_run_id(old));
        session_end(old, "replaced-by-resume");
    }
    uint8_t work_key[AUTH_MAC_LEN], resume_key[AUTH_MAC_LEN];
    auth_work_key(token, g->nonce_s, nonce_c, work_key);
    auth_resume_key(token, g->nonce_s, nonce_c, resume_key);
    framer_t fr = g->fr;
    memset(&g->fr, 0, sizeof g->fr);
    char peer[sizeof g->peer];
    snprintf(peer, sizeof peer, "%s", g->peer);
    conn_t *c = gate_release(g);
    session_t *ss = session_create(g->srv, c, &fr, user, work_key, resume_key, old_id[0] != 0);
    if (!ss) {
        framer_free(&fr);
        conn_close(c);
        return;
    }
    if (old_id[0])
        LOG_I("session resumed run_id=%s replaces=%s user=%s peer=%s", session_run_id(ss), old_id,
              LOG_ESC(user), peer);
    session_set_pool_target(ss, msg_int(m, "pool_count", 1));
    session_set_info(ss, msg_str(m, "version"), msg_str(m, "hostname"));
    session_set_meta(ss, msg_str(m, "client_id"), json_object_get(m, "metadatas"));
    session_log_login(ss);
    session_set_wake(ss, json_object_get(m, "wake"));
}

/* ---- work connections --------------------------------------------------- */

/* The session a work (or visitor) HELLO proves itself part of: a MAC under
 * its work key over run id and a fresh sequence number. NULL after
 * rejecting the gate. Nothing may follow the HELLO before the server
 * speaks (START_WORK, or the owner's first frame). */
static session_t *gate_work_session(gate_t *g, json_t *m, const char *what)
{
    const char *run_id = msg_str(m, "run_id");
    long long seq = msg_int(m, "seq", 0);
    uint8_t mac[AUTH_MAC_LEN];
    session_t *ss = run_id ? session_find(g->srv, run_id) : NULL;
    if (!ss || seq <= 0 || auth_unhex(msg_str(m, "mac"), mac, sizeof mac) != 0 ||
        !session_check_work(ss, (uint64_t)seq, mac)) {
        gate_reject(g, "auth", what, ss ? "bad-work-proof" : "unknown-run-id");
        return NULL;
    }
    if (framer_buffered(&g->fr) > 0) {
        gate_finish(g, "unexpected-data");
        return NULL;
    }
    return ss;
}

static void handle_hello_work(gate_t *g, json_t *m)
{
    session_t *ss = gate_work_session(g, m, "work connection refused");
    if (ss) session_add_work(ss, gate_release(g));
}

/* A visitor of a secret proxy (sproxy_stcp.c takes it from here). */
static void handle_hello_visitor(gate_t *g, json_t *m)
{
    session_t *ss = gate_work_session(g, m, "visitor connection refused");
    if (ss)
        sproxy_stcp_visit(g->srv, ss, gate_release(g), msg_str(m, "proxy"), msg_str(m, "nonce"),
                          msg_str(m, "type"));
}

static void handle_hello(gate_t *g, json_t *m)
{
    long long pmin = msg_int(m, "proto_min", 0), pmax = msg_int(m, "proto_max", 0);
    if (pmin > PROTO_VERSION_MAX || pmax < PROTO_VERSION_MIN) {
        LOG_LIMITED(LOG_WARN,
                    "connection refused peer=%s reason=protocol-version client_min=%lld "
                    "client_max=%lld",
                    g->peer, pmin, pmax);
        srv_stats_hs_fail(&g->srv->stats, "bad-version");
        gate_reject(g, "version", "no common protocol version (server speaks 1)", NULL);
        return;
    }
    const char *role = msg_str(m, "role");
    if (role && strcmp(role, "control") == 0)
        handle_hello_control(g);
    else if (role && strcmp(role, "work") == 0)
        handle_hello_work(g, m);
    else if (role && strcmp(role, "visitor") == 0)
        handle_hello_visitor(g, m);
    else
        gate_reject(g, "proto", "unknown role", "bad-role");
}

static int on_gate_frame(void *ctx, const frame_t *f)
{
    gate_t *g = ctx;
    uint8_t want = g->state == G_HELLO ? MSG_HELLO : MSG_LOGIN;
    if (f->type != want) {
        LOG_D("unexpected frame peer=%s type=%s", g->peer, msg_name(f->type));
        gate_finish(g, "unexpected-frame");
        return 1;
    }
    json_t *m = msg_parse(f);
    if (!m) {
        gate_finish(g, "bad-json");
        return 1;
    }
    if (g->state == G_HELLO)
        handle_hello(g, m);
    else
        handle_login(g, m);
    json_decref(m);
    return g->state == G_DONE; /* stop once handed off or closed */
}

static void gate_feed_frames(gate_t *g, const uint8_t *p, size_t n)
{
    ssize_t r = framer_feed(&g->fr, p, n, on_gate_frame, g);
    if (r == FRAME_ERR_TOO_LARGE) gate_finish(g, "frame-too-large");
}

static void gate_feed(gate_t *g, const uint8_t *p, size_t n)
{
    if (g->state == G_MAGIC) {
        while (n > 0 && g->magic_len < FRAME_MAGIC_LEN) {
            g->magic[g->magic_len++] = *p++;
            n--;
        }
        if (g->magic_len < FRAME_MAGIC_LEN) {
            if (memcmp(g->magic, FRAME_MAGIC, g->magic_len) != 0) gate_finish(g, "bad-magic");
            return;
        }
        if (memcmp(g->magic, FRAME_MAGIC, FRAME_MAGIC_LEN) != 0) {
            gate_finish(g, "bad-magic");
            return;
        }
        g->state = G_HELLO;
    }
    if (n > 0 && (g->state == G_HELLO || g->state == G_LOGIN)) gate_feed_frames(g, p, n);
}

static void on_gate_ready(conn_t *c, int status)
{
    gate_t *g = conn_data(c);
    if (status != 0) {
        gate_finish(g, "tls-handshake-failed");
        return;
    }
    gate_set_tls(g, false);
    g->state = G_MAGIC;
    /* Back to the whole handshake deadline, counted from accept. */
    uint64_t spent = uv_now(g->srv->loop) - g->accepted_at;
    uint64_t total = (uint64_t)g->srv->handshake_timeout_ms;
    uv_timer_start(&g->timer, on_gate_timeout, spent < total ? total - spent : 0, 0);
}

static gate_t *gate_oldest_stranger(srv_t *s, gate_t *except, bool in_tls);

/* A stranger starts a TLS handshake: bounded in number and in time
 * (GATE_TLS_TIMEOUT_MS). When GATE_MAX_TLS are in progress, the oldest gives
 * way if it has had GATE_TLS_GRACE_MS (a real client needs a few round
 * trips); else the newcomer is refused before OpenSSL allocates anything.
 * false when g was closed. */
static bool gate_enter_tls(gate_t *g)
{
    srv_t *s = g->srv;
    if (g->counted && !g->client && s->n_tls >= GATE_MAX_TLS) {
        gate_t *old = gate_oldest_stranger(s, g, true);
        bool evict = old && uv_now(s->loop) - old->accepted_at >= GATE_TLS_GRACE_MS;
        LOG_ONCE_PER_WINDOW(
            LOG_WARN, "connection %s reason=too-many-tls-handshakes limit=%d peer=%s",
            evict ? "evicted" : "refused", GATE_MAX_TLS, evict ? old->peer : g->peer);
        if (!evict) {
            gate_finish(g, NULL);
            return false;
        }
        gate_finish(old, "evicted");
    }
    gate_set_tls(g, true);
    g->state = G_TLS;
    uint64_t t = (uint64_t)s->handshake_timeout_ms;
    uv_timer_start(&g->timer, on_gate_timeout, t < GATE_TLS_TIMEOUT_MS ? t : GATE_TLS_TIMEOUT_MS,
                   0);
    return true;
}

static void on_gate_data(conn_t *c, const uint8_t *p, size_t n)
{
    gate_t *g = conn_data(c);
    if (g->state == G_SNIFF) {
        if (p[0] == 0x16) { /* TLS record type "handshake" */
            if (!gate_enter_tls(g)) return;
            if (conn_tls_accept(c, g->srv->tls, p, n) != 0) gate_finish(g, "tls-setup-failed");
            return;
        }
        if (g->srv->cfg->tls_force && p[0] == 'B') {
            /* Tell a plain burrow client why, in a frame it can read. */
            gate_reject(g, "tls", "this server requires TLS (set transport.tls.enable = true)",
                        "tls-required");
            return;
        }
        if (g->srv->cfg->tls_force) {
            gate_finish(g, "bad-magic");
            return;
        }
        g->state = G_MAGIC;
    }
    gate_feed(g, p, n);
}

static void on_gate_eof(conn_t *c)
{
    gate_t *g = conn_data(c);
    gate_finish(g, g->state == G_DONE ? NULL : "eof-before-login");
}

static void on_gate_error(conn_t *c, int err)
{
    gate_t *g = conn_data(c);
    LOG_D("gate read failed peer=%s err=%s", g->peer, uv_strerror(err));
    gate_finish(g, "read-error");
}

static const conn_cbs_t gate_cbs = {
    .on_ready = on_gate_ready,
    .on_data = on_gate_data,
    .on_eof = on_gate_eof,
    .on_error = on_gate_error,
    .on_close = gate_conn_closed,
};

/* The oldest stranger gate (in the TLS handshake only, if in_tls) other
 * than `except`, or NULL. */
static gate_t *gate_oldest_stranger(srv_t *s, gate_t *except, bool in_tls)
{
    for (gate_t *g = s->gate_oldest; g; g = g->next)
        if (g != except && !g->client && (!in_tls || g->state == G_TLS)) return g;
    return NULL;
}

/* Closes the oldest stranger gate to make room for a newcomer. */
static void gate_evict_oldest(srv_t *s, gate_t *except)
{
    gate_t *g = gate_oldest_stranger(s, except, false);
    if (g) gate_finish(g, "evicted");
}

/* Counts a new gate against its budgets. false when it must be refused
 * (after logging, once per window). */
static bool gate_admit(gate_t *g)
{
    srv_t *s = g->srv;
    g->client = server_source_has_session(s, g->peer);
    int per_source = g->client ? GATE_MAX_PER_CLIENT : GATE_MAX_PER_SOURCE;
    if (g->client && s->n_clients >= GATE_MAX_CLIENT_GATES) {
        LOG_ONCE_PER_WINDOW(LOG_WARN,
                            "connection refused peer=%s reason=too-many-from-clients "
                            "limit=%d",
                            g->peer, GATE_MAX_CLIENT_GATES);
        return false;
    }
    if (src_limit_count(s->gate_src, (struct sockaddr *)&g->addr) >= per_source) {
        /* One window for clients' sources, one for strangers': a stranger
         * flood must not hide that a client hit its budget. */
        static log_limit_t rl_client, rl_stranger;
        if (log_limit_allow_n(g->client ? &rl_client : &rl_stranger, 1))
            LOG_W("connection refused peer=%s reason=too-many-from-source limit=%d client=%s",
                  g->peer, per_source, g->client ? "yes" : "no");
        return false;
    }
    if (!g->client && s->n_strangers >= MAX_PENDING_GATES) {
        LOG_ONCE_PER_WINDOW(LOG_WARN,
                            "connection evicted reason=too-many-unauthenticated limit=%d "
                            "newcomer=%s",
                            MAX_PENDING_GATES, g->peer);
        gate_evict_oldest(s, g);
    }
    if (src_limit_acquire(s->gate_src, (struct sockaddr *)&g->addr) < 0) return false;
    g->counted = true;
    if (g->client)
        s->n_clients++;
    else
        s->n_strangers++;
    g->prev = s->gate_newest;
    if (s->gate_newest)
        s->gate_newest->next = g;
    else
        s->gate_oldest = g;
    s->gate_newest = g;
    return true;
}

static void on_accept(listener_t *l, conn_t *c, const struct sockaddr_storage *peer)
{
    srv_t *s = l->data;
    gate_t *g = calloc(1, sizeof *g);
    if (!g) {
        LOG_LIMITED(LOG_WARN, "accept failed err=%s", uv_strerror(UV_ENOMEM));
        conn_close(c);
        return;
    }
    conn_set_cbs(c, &gate_cbs, g);
    g->srv = s;
    g->conn = c;
    g->addr = *peer;
    ref_init(&g->ref, 2, gate_release_mem);
    s->n_gates++;
    uv_timer_init(s->loop, &g->timer);
    g->timer.data = g;
    g->accepted_at = uv_now(s->loop);
    conn_start(c);
    snprintf(g->peer, sizeof g->peer, "%s", conn_peer(c));
    if (!gate_admit(g)) {
        gate_finish(g, NULL);
        return;
    }
    uv_timer_start(&g->timer, on_gate_timeout, (uint64_t)s->handshake_timeout_ms, 0);
}

const char *server_local_addr(conn_t *c, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    buf[0] = '\0';
    if (conn_local_addr(c, &ss) == 0) addr_format((struct sockaddr *)&ss, buf, size);
    return buf;
}

/* custom404Page is read once at start; a page that cannot be read is an
 * error then, not a surprise at the first unknown host. */
static int load_404(srv_t *s)
{
    const char *path = s->cfg->custom_404_page;
    if (!path || !*path) return 0;
    FILE *f = fopen(path, "rb");
    char *buf = malloc(CUSTOM_404_MAX);
    size_t n = f && buf ? fread(buf, 1, CUSTOM_404_MAX, f) : 0;
    if (!f || !buf || ferror(f) || n == 0) {
        LOG_E("cannot read custom404Page path=%s", path);
        if (f) fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    s->page_404 = buf;
    s->page_404_len = n;
    return 0;
}

srv_t *server_create(uv_loop_t *loop, const server_cfg_t *cfg, const char *state_dir)
{
    srv_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    s->cfg = cfg;
    s->access.on = cfg->access_log;
    s->state_dir = state_dir;
    s->handshake_timeout_ms = GATE_HANDSHAKE_TIMEOUT_MS;
    const char *env = getenv("BURROW_HANDSHAKE_TIMEOUT");
    if (env && atoi(env) > 0) s->handshake_timeout_ms = atoi(env) * 1000;
    s->http_head_timeout_ms = 60000;
    env = getenv("BURROW_HTTP_HEAD_TIMEOUT"); /* seconds; for tests */
    if (env && atoi(env) > 0) s->http_head_timeout_ms = atoi(env) * 1000;
    char fp[TLSC_FP_LEN];
    int generated = 0;
    s->gate_src = src_limit_create(MAX_PENDING_GATES + GATE_MAX_CLIENT_GATES);
    s->login_backoff = src_backoff_create(LOGIN_BACKOFF_SOURCES);
    s->secret_gone = secret_gone_create(SECRET_GONE_MAX, SECRET_GONE_MS);
    bool keyed = auth_random(s->p2p_key, sizeof s->p2p_key) == 0;
    s->tls = keyed && s->gate_src && s->login_backoff && s->secret_gone
                 ? tlsc_server_ctx(cfg->tls_cert_file, cfg->tls_key_file, state_dir, fp, &generated)
                 : NULL;
    if (s->tls && srv_stats_init(&s->stats, (int64_t)time(NULL)) != 0) {
        SSL_CTX_free(s->tls);
        s->tls = NULL;
    }
    if (!s->tls) {
        src_limit_destroy(s->gate_src);
        src_backoff_destroy(s->login_backoff);
        secret_gone_destroy(s->secret_gone);
        free(s);
        return NULL;
    }
    if (generated) LOG_I("generated a self-signed certificate in %s", state_dir);
    LOG_I("tls certificate fingerprint=%s", fp);
    return s;
}

/* The STUN service (natDiscovery.stunPort; by default on the port number
 * bindPort listens on, over UDP). An explicit port that cannot be bound
 * stops the start; the implicit default only warns. */
static int stun_start(srv_t *s)
{
    const server_cfg_t *c = s->cfg;
    if (c->stun_port == 0) return 0;
    stun_srv_cfg_t sc = {.addr = c->bind_addr,
                         .port = c->stun_port > 0 ? c->stun_port : server_listen_port(s),
                         .alt_addr = c->alt_addr,
                         .alt_port = c->alt_port};
    s->stun = stun_srv_create(s->loop);
    int r = s->stun ? stun_srv_start(s->stun, &sc) : UV_ENOMEM;
    if (r == 0 || c->stun_port > 0) return r;
    LOG_W("stun: service off (udp port %d unavailable; set natDiscovery.stunPort)", sc.port);
    return 0;
}

/* Test hook (BURROW_TEST_RELAY_GRANTS=PATH, lab tests only): one
 * allocation made at start, its two grants written to PATH.0 and PATH.1 as
 * {"relay": {...}}, so that two relay_peer tools can use the relay before
 * the rendezvous exists. The grants hold the side keys: never set it on a
 * server that serves anyone else. */
static void relay_test_grants(srv_t *s, const char *path)
{
    udp_relay_alloc_t a;
    udp_relay_pair_t pair = {.user = "test-hook", .proxy = "test-hook"};
    struct sockaddr_storage at;
    if (udp_relay_alloc(s->relay, &pair, &a) != 0 || !udp_relay_addr(s->relay, &at)) return;
    for (int side = 0; side < 2; side++) {
        relay_grant_t g = {
            .port = addr_port((struct sockaddr *)&at), .alloc_id = a.id, .side = (uint8_t)side};
        if (strcmp(s->cfg->bind_addr, "0.0.0.0") != 0 && strcmp(s->cfg->bind_addr, "::") != 0)
            snprintf(g.addr, sizeof g.addr, "%s", s->cfg->bind_addr);
        memcpy(g.key, a.key[side], RELAY_KEY_LEN);
        char file[512];
        snprintf(file, sizeof file, "%s.%d", path, side);
        json_t *msg = json_pack("{s:o}", RELAY_GRANT_KEY, relay_grant_to_json(&g));
        if (!msg || json_dump_file(msg, file, JSON_COMPACT) != 0)
            LOG_E("udp-relay: test hook cannot write file=%s", LOG_ESC(file));
        json_decref(msg);
    }
    LOG_W("udp-relay: test hook wrote grants path=%s (BURROW_TEST_RELAY_GRANTS)", LOG_ESC(path));
}

/* The UDP relay for P2P pairs (p2p.relayPort; by default bindPort's port
 * number + 2). An explicit port that cannot be bound stops the start; the
 * implicit default only warns. */
static int relay_start(srv_t *s)
{
    const server_cfg_t *c = s->cfg;
    if (c->relay_port == 0) return 0;
    int lp = server_listen_port(s);
    udp_relay_cfg_t rc = {.addr = c->bind_addr,
                          .port = c->relay_port > 0 ? c->relay_port
                                  : lp + 2 <= 65535 ? lp + 2
                                                    : 0,
                          .max_per_user = c->relay_max_per_user,
                          .rate_bps = (uint32_t)c->relay_rate_kib * 1024u};
    s->relay = udp_relay_create(s->loop);
    int r = s->relay ? udp_relay_start(s->relay, &rc) : UV_ENOMEM;
    const char *hook = getenv("BURROW_TEST_RELAY_GRANTS");
    if (r == 0 && hook && hook[0]) relay_test_grants(s, hook);
    if (r == 0 || c->relay_port > 0) return r;
    LOG_W("udp-relay: off (udp port %d unavailable; set p2p.relayPort)", rc.port);
    return 0;
}

int server_start(srv_t *s)
{
    struct sockaddr_storage ss;
    const char *addr = s->cfg->bind_addr;
    int r = addr_parse(addr, s->cfg->bind_port, &ss);
    if (r != 0) {
        LOG_E("bad bindAddr addr=%s: not an IP address", addr);
        return r;
    }
    static const listener_opts_t opts = {.what = "control"};
    r = listener_init(s->loop, &s->listener, &opts, on_accept, s);
    if (r == 0) r = listener_listen(&s->listener, (struct sockaddr *)&ss);
    if (r != 0) {
        LOG_E("cannot listen addr=%s:%d err=%s", addr, s->cfg->bind_port, uv_strerror(r));
        listener_close(&s->listener, NULL);
        return r;
    }
    s->listening = true;
    uv_timer_init(s->loop, &s->trim_timer);
    s->trim_on = true;
    LOG_I("listening addr=%s:%d tls=%s", addr, s->cfg->bind_port,
          s->cfg->tls_force ? "required" : "preferred");
    if (load_404(s) != 0) return -1;
    if (s->cfg->vhost_http_port > 0 && (r = vhost_http_start(s)) != 0) return r;
    if (s->cfg->vhost_https_port > 0 && (r = vhost_https_start(s)) != 0) return r;
    if ((r = stun_start(s)) != 0) return r;
    if ((r = relay_start(s)) != 0) return r;
    if ((r = sddns_start(s)) != 0) return r;
    return s->cfg->web.port > 0 ? dash_start(s) : 0;
}

int server_relay_port(srv_t *s)
{
    struct sockaddr_storage ss;
    return s->relay && udp_relay_addr(s->relay, &ss) ? addr_port((struct sockaddr *)&ss) : -1;
}

int server_stun_port(srv_t *s)
{
    struct sockaddr_storage ss;
    return s->stun && stun_srv_slot_addr(s->stun, 0, &ss) ? addr_port((struct sockaddr *)&ss) : -1;
}

int server_listen_port(srv_t *s)
{
    return s->listening ? listener_port(&s->listener) : -1;
}

void server_stop(srv_t *s)
{
    if (s->stopping) return;
    s->stopping = true;
    if (s->listening) listener_close(&s->listener, NULL);
    if (s->trim_on) uv_close((uv_handle_t *)&s->trim_timer, NULL);
    vhost_stop(s);
    while (s->sessions)
        session_end(s->sessions, "server-stopping");
    while (s->gate_oldest) /* every gate not finished is counted */
        gate_finish(s->gate_oldest, "server-stopping");
    vhost_fronts_close(s);
    vhost_hellos_close(s);
    tunnels_end_all(&s->tunnels);
    stun_srv_stop(s->stun);
    udp_relay_stop(s->relay);
    sddns_stop(s);
    dash_stop(s);
}

void server_destroy(srv_t *s)
{
    if (!s) return;
    SSL_CTX_free(s->tls);
    src_limit_destroy(s->gate_src);
    src_backoff_destroy(s->login_backoff);
    secret_gone_destroy(s->secret_gone);
    vhost_routes_clear(s);
    free(s->page_404);
    stun_srv_destroy(s->stun);
    udp_relay_destroy(s->relay);
    srv_stats_free(&s->stats);
    free(s);
}
