/* client: the control connection's life — resolve, connect, verify the
 * server, log in, register proxies, heartbeat, and on any loss reconnect:
 * right after losing a logged-in session by probing every 1-2 s for a while
 * (so a path that returns is used at once), otherwise with capped exponential
 * backoff and jitter. TCP keepalive and TCP_USER_TIMEOUT on the connection
 * notice a dead path in seconds, long before the heartbeat timeout. */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_int.h"
#include "client/resume_store.h"
#include "inspect/inspector.h"
#include "proto/ctl.h"
#include "net/addr.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "util/log.h"

/* From connect to LOGIN_OK. Without it a path that silently drops packets
 * would hold one attempt for the kernel's whole SYN retry series. */
#define LOGIN_TIMEOUT_MS 10000

enum { C_IDLE, C_RESOLVING, C_CONNECTING, C_CHALLENGE, C_LOGIN, C_READY };

static void schedule_retry(cli_t *c);
static void disconnect(cli_t *c, const char *reason);
static void on_login_timeout(uv_timer_t *t);
static void end_probing(cli_t *c);

/* ---- server identity ---------------------------------------------------- */

int client_verify_server(cli_t *c, conn_t *conn, bool first)
{
    char fp[TLSC_FP_LEN];
    X509 *cert = SSL_get0_peer_certificate(conn_ssl(conn));
    if (!cert || tlsc_fingerprint(cert, fp) != 0) {
        LOG_E("server sent no usable certificate server=%s", c->endpoint);
        return -1;
    }
    /* Work conns must reach the very server we logged in to, in every mode:
     * with a CA, another certificate the CA signed for the same name (another
     * server, a load balancer's other node) would pass the chain check. */
    if (!first) {
        if (c->fingerprint[0] && strcmp(fp, c->fingerprint) == 0) return 0;
        LOG_LIMITED(LOG_ERROR,
                    "work connection reached a different server fingerprint=%s expected=%s", fp,
                    c->fingerprint[0] ? c->fingerprint : "(none)");
        return -1;
    }
    if (c->cfg->tls_trusted_ca_file) {
        /* The handshake already verified the chain and host name. */
        snprintf(c->fingerprint, sizeof c->fingerprint, "%s", fp);
        return 0;
    }
    const char *pin = c->cfg->tls_server_fingerprint;
    if (pin) {
        if (strcmp(pin, fp) != 0) {
            LOG_E("server fingerprint mismatch server=%s expected=%s got=%s: refusing to log in",
                  c->endpoint, pin, fp);
            return -1;
        }
    } else {
        char old[TLSC_FP_LEN] = "";
        switch (tlsc_tofu_check(c->known_path, c->endpoint, fp, old)) {
        case TOFU_NEW:
            LOG_W("first connection to server=%s: trusting its certificate fingerprint=%s "
                  "(recorded in %s; pin it with transport.tls.serverFingerprint)",
                  c->endpoint, fp, c->known_path);
            break;
        case TOFU_MATCH:
            break;
        case TOFU_MISMATCH:
            LOG_E("server identity CHANGED server=%s recorded=%s got=%s: refusing to log in. If "
                  "the server's certificate was replaced on purpose, delete its line in %s",
                  c->endpoint, old, fp, c->known_path);
            return -1;
        default:
            LOG_E("cannot use the known-servers file %s; refusing an unverified server",
                  c->known_path);
            return -1;
        }
    }
    snprintf(c->fingerprint, sizeof c->fingerprint, "%s", fp);
    return 0;
}

/* ---- login -------------------------------------------------------------- */

static void send_hello(cli_t *c)
{
    if (client_send_hello(c, c->ctl, false) < 0) {
        disconnect(c, "write-failed");
        return;
    }
    c->state = C_CHALLENGE;
}

static void on_challenge(void *owner, json_t *m)
{
    cli_t *c = owner;
    uint8_t nonce_s[AUTH_NONCE_LEN], mac[AUTH_MAC_LEN], binding[AUTH_BINDING_LEN];
    if (auth_unhex(msg_str(m, "nonce"), nonce_s, sizeof nonce_s) != 0 ||
        auth_random(c->nonce_c, sizeof c->nonce_c) != 0) {
        disconnect(c, "bad-challenge");
        return;
    }
    int has_binding = conn_tls_binding(c->ctl, AUTH_BINDING_LABEL, binding) == 0;
    const char *token = c->cfg->token ? c->cfg->token : "";
    const char *user = c->cfg->user ? c->cfg->user : "";
    auth_login_mac(token, nonce_s, c->nonce_c, user, has_binding ? binding : NULL,
                   has_binding ? sizeof binding : 0, mac);
    auth_work_key(token, nonce_s, c->nonce_c, c->work_key);
    auth_resume_key(token, nonce_s, c->nonce_c, c->resume_next);
    char nhex[2 * AUTH_NONCE_LEN + 1], mhex[2 * AUTH_MAC_LEN + 1], host[256] = "";
    auth_hex(c->nonce_c, sizeof c->nonce_c, nhex);
    auth_hex(mac, sizeof mac, mhex);
    gethostname(host, sizeof host - 1);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "user", user, "client_nonce", nhex, "mac", mhex,
                          "version", BURROW_VERSION, "hostname", host);
    if (c->run_id[0] && c->have_resume) {
        /* Proof that we are the client of session run_id (see auth.h). */
        uint8_t rmac[AUTH_MAC_LEN];
        auth_resume_mac(c->resume_key, nonce_s, c->nonce_c, c->run_id, has_binding ? binding : NULL,
                        has_binding ? sizeof binding : 0, rmac);
        auth_hex(rmac, sizeof rmac, mhex);
        json_object_set_new(o, "run_id", json_string(c->run_id));
        json_object_set_new(o, "resume_mac", json_string(mhex));
    }
    json_object_set_new(o, "pool_count", json_integer(c->cfg->pool_count)); /* pool to keep */
    if (c->cfg->n_wols) json_object_set_new(o, "wake", cwake_names(c->cfg));
    if (ctl_write(c->ctl, MSG_LOGIN, o) < 0) {
        disconnect(c, "write-failed");
        return;
    }
    c->state = C_LOGIN;
}

void client_register_proxy(cli_t *c, cproxy_t *p)
{
    p->retry_ms = 0;
    p->registered = false;
    if (!client_logged_in(c)) return; /* the next login registers it */
    /* Ignored: a control conn that cannot be written is failing, and its
     * read side reports that (EOF or error), which disconnects. */
    (void)ctl_write(c->ctl, MSG_NEW_PROXY, cproxy_new_proxy_msg(p));
}

void client_unregister_proxy(cli_t *c, cproxy_t *p)
{
    if (p->armed) uv_timer_stop(&p->retry);
    p->registered = false;
    if (!client_logged_in(c)) return;
    (void)ctl_write(c->ctl, MSG_CLOSE_PROXY, json_pack("{s:s}", "name", p->wire_name));
}

static void register_proxies(cli_t *c)
{
    for (int i = 0; i < c->n_proxies; i++)
        client_register_proxy(c, c->proxies[i]);
}

/* Retries stop with the control connection; a new login registers all. */
static void stop_proxy_retries(cli_t *c)
{
    for (int i = 0; i < c->n_proxies; i++) {
        c->proxies[i]->registered = false;
        uv_timer_stop(&c->proxies[i]->retry);
    }
}

static void on_proxy_retry(uv_timer_t *t)
{
    cproxy_t *p = t->data;
    cli_t *c = p->cli;
    if (!c->ctl || c->state != C_READY) return;
    LOG_I("proxy retry name=%s", p->wire_name);
    (void)ctl_write(c->ctl, MSG_NEW_PROXY, cproxy_new_proxy_msg(p)); /* as in register_proxies */
}

/* A refused proxy is asked for again with backoff: the name or port may be
 * held by a session that is about to end (our own, before a restart). */
unsigned client_proxy_retry_delay(unsigned prev_ms)
{
    if (prev_ms == 0) return PROXY_RETRY_BASE_MS;
    return prev_ms >= PROXY_RETRY_MAX_MS / 2 ? PROXY_RETRY_MAX_MS : prev_ms * 2;
}

static void schedule_proxy_retry(cproxy_t *p, const char *err)
{
    unsigned d = client_proxy_retry_delay(p->retry_ms);
    p->retry_ms = d;
    p->registered = false;
    snprintf(p->last_err, sizeof p->last_err, "%s", err);
    LOG_W("proxy refused name=%s reason=\"%s\" retrying in %us", p->wire_name, LOG_ESCQ(err),
          d / 1000);
    uv_timer_start(&p->retry, on_proxy_retry, d, 0);
}

/* Keeps run_id and its resume key for a restarted process (resume_store.h). */
static void save_resume(cli_t *c)
{
    memcpy(c->resume_key, c->resume_next, sizeof c->resume_key);
    /* A requester (burrow wake --server) is one short session: resuming it
     * would let a second one, run meanwhile, end the first. */
    if (c->wake_request) return;
    c->have_resume = true;
    mkdir(c->state_dir, 0700); /* TLS off: no known_servers made it yet */
    int r = resume_save(c->resume_path, c->run_id, c->resume_key);
    if (r != 0)
        LOG_W("cannot save session for resuming path=%s err=%s", c->resume_path, strerror(-r));
}

static void on_hb(uv_timer_t *t);

static void on_login_ok(void *owner, json_t *m)
{
    cli_t *c = owner;
    uv_timer_stop(&c->retry); /* the login deadline */
    const char *run_id = msg_str(m, "run_id");
    snprintf(c->run_id, sizeof c->run_id, "%s", run_id ? run_id : "");
    save_resume(c);
    c->state = C_READY;
    c->gen++;
    c->seq = 0;
    c->attempt = 0;
    c->ever_logged_in = true;
    if (conn_is_tls(c->ctl)) {
        SSL_SESSION_free(c->tls_session);
        c->tls_session = SSL_get1_session(conn_ssl(c->ctl));
    }
    LOG_I("login ok server=%s run_id=%s tls=%s resumed=%s", c->endpoint, c->run_id,
          conn_is_tls(c->ctl) ? "yes" : "no", msg_bool(m, "resumed", 0) ? "yes" : "no");
    if (c->wake_request) {
        cwake_request(c);
        return;
    }
    register_proxies(c);
    for (int i = 0; i < c->cfg->pool_count; i++)
        cwork_open(c);
    cvisitor_ctl_up(c);
    cddns_login(c, msg_str(m, "addr"));
    int iv = c->cfg->heartbeat_interval;
    if (iv > 0) uv_timer_start(&c->hb, on_hb, (uint64_t)iv * 1000, (uint64_t)iv * 1000);
}

static void on_error_msg(void *owner, json_t *m)
{
    cli_t *c = owner;
    const char *code = msg_str(m, "code"), *text = msg_str(m, "message");
    LOG_E("server refused us server=%s code=%s: %s", c->endpoint, code ? code : "?",
          text ? text : "");
    if (c->cfg->login_fail_exit && !c->ever_logged_in) {
        c->exit_status = 1;
        client_stop(c);
        return;
    }
    disconnect(c, "refused");
}

static void on_proxy_resp(void *owner, json_t *m)
{
    cli_t *c = owner;
    const char *name = msg_str(m, "name"), *err = msg_str(m, "error");
    int port = (int)msg_int(m, "remote_port", 0);
    for (int i = 0; name && i < c->n_proxies; i++) {
        cproxy_t *p = c->proxies[i];
        if (strcmp(p->wire_name, name) != 0) continue;
        if (msg_bool(m, "ok", 0)) {
            p->remote_port = port;
            p->retry_ms = 0;
            p->registered = true;
            p->last_err[0] = '\0';
            if (p->plugin)
                LOG_I("proxy registered name=%s type=%s remote_port=%d plugin=%s", name,
                      kind_name(p->cfg->kind), port, p->cfg->plugin.type);
            else
                LOG_I("proxy registered name=%s type=%s remote_port=%d local=%s:%d", name,
                      kind_name(p->cfg->kind), port, p->cfg->local_ip, p->cfg->local_port);
        } else {
            schedule_proxy_retry(p, err ? err : "?");
        }
        return;
    }
}

static void on_req_work(void *owner, json_t *m)
{
    cli_t *c = owner;
    long long n = msg_int(m, "count", 1);
    for (long long i = 0; i < n && i < MAX_CONNECTING_WORK; i++)
        cwork_open(c);
}

bool client_ready(const cli_t *c)
{
    return c->ctl && c->state == C_READY;
}

/* ---- control connection -------------------------------------------------- */

static void on_pong(void *owner, json_t *m)
{
    (void)owner;
    (void)m;
}

/* clang-format off */
static const ctl_handler_t handlers[] = {
    {MSG_CHALLENGE, C_CHALLENGE, on_challenge},
    {MSG_LOGIN_OK, C_LOGIN, on_login_ok},
    {MSG_ERROR, CTL_ANY_STATE, on_error_msg},
    {MSG_NEW_PROXY_RESP, C_READY, on_proxy_resp},
    {MSG_REQ_WORK_CONN, C_READY, on_req_work},
    {MSG_PONG, C_READY, on_pong},
    {MSG_P2P_OFFER, C_READY, cxtcp_on_offer},
    {MSG_P2P_ANSWER, C_READY, cxtcp_on_answer},
    {MSG_WAKE, C_READY, cwake_on_wake},
    {MSG_WAKE_RESULT, C_READY, cwake_on_result},
    {MSG_FTP_DATA_PORT_RESP, C_READY, cftp_on_data_port},
    {MSG_FTP_ACTIVE_FAIL, C_READY, cfa_on_fail},
};
/* clang-format on */

static int on_other_frame(void *owner, const frame_t *f, ctl_miss_t why)
{
    cli_t *c = owner;
    (void)why;
    if (c->state != C_READY) { /* during login every frame must fit */
        disconnect(c, "unexpected-message");
        return 1;
    }
    LOG_D("ignored control message type=%s", msg_name(f->type));
    return 0;
}

static bool ctl_gone(void *owner)
{
    return ((cli_t *)owner)->ctl == NULL;
}

static void on_ctl_data(conn_t *conn, const uint8_t *p, size_t n)
{
    cli_t *c = conn_data(conn);
    int frames = ctl_feed(&c->ch, p, n);
    if (frames == FRAME_ERR_TOO_LARGE) {
        disconnect(c, "frame-too-large");
        return;
    }
    if (frames > 0) c->last_rx = uv_now(c->loop);
}

static void on_ctl_ready(conn_t *conn, int status)
{
    cli_t *c = conn_data(conn);
    if (status != 0) {
        char why[256];
        conn_tls_error(conn, why, sizeof why);
        LOG_W("cannot connect to server=%s err=%s%s%s", c->endpoint, uv_strerror(status),
              why[0] ? " tls=" : "", why);
        disconnect(c, NULL);
        return;
    }
    if (conn_is_tls(conn) && client_verify_server(c, conn, true) != 0) {
        end_probing(c);
        disconnect(c, "untrusted-server");
        return;
    }
    /* Connected: a probe's short connect deadline becomes the login one. */
    uv_timer_start(&c->retry, on_login_timeout, LOGIN_TIMEOUT_MS, 0);
    send_hello(c);
}

static void on_ctl_eof(conn_t *conn)
{
    disconnect(conn_data(conn), "server-closed");
}

static void on_ctl_error(conn_t *conn, int err)
{
    cli_t *c = conn_data(conn);
    LOG_D("control connection error err=%s", uv_strerror(err));
    /* ETIMEDOUT: keepalive probes or sent data went unanswered (dead path). */
    disconnect(c, err == UV_ETIMEDOUT ? "path-timeout" : "connection-error");
}

static void on_ctl_close(conn_t *conn)
{
    (void)conn;
}

static const conn_cbs_t ctl_cbs = {
    .on_ready = on_ctl_ready,
    .on_data = on_ctl_data,
    .on_eof = on_ctl_eof,
    .on_error = on_ctl_error,
    .on_close = on_ctl_close,
};

static void on_hb(uv_timer_t *t)
{
    cli_t *c = t->data;
    if (!c->ctl || c->state != C_READY) return;
    int timeout = c->cfg->heartbeat_timeout;
    if (timeout > 0 && uv_now(c->loop) - c->last_rx > (uint64_t)timeout * 1000) {
        disconnect(c, "heartbeat-timeout");
        return;
    }
    if (ctl_write(c->ctl, MSG_PING, json_object()) < 0) disconnect(c, "write-failed");
}

/* A logged-in session was lost: probe for a while before backing off. */
static void note_session_lost(cli_t *c)
{
    c->lost_at = uv_now(c->loop);
    c->attempt = 0;
    c->probe_expired = false;
    if (!c->stopping)
        LOG_I("probing server=%s every %d-%d ms for up to %d s", c->endpoint,
              CLIENT_PROBE_INTERVAL_MS, 2 * CLIENT_PROBE_INTERVAL_MS,
              CLIENT_PROBE_WINDOW_MS / 1000);
}

/* The server answered but did not let us in (refused, timed out, wrong
 * identity): the path is back, so hammering it every second helps nobody. */
static void end_probing(cli_t *c)
{
    if (!c->lost_at || c->probe_expired) return;
    c->probe_expired = true;
    c->attempt = 0;
    LOG_I("server=%s reached but no login; backing off instead of probing", c->endpoint);
}

static void disconnect(cli_t *c, const char *reason)
{
    if (c->ctl) {
        if (c->state == C_READY) {
            if (reason) LOG_W("disconnected from server=%s reason=%s", c->endpoint, reason);
            note_session_lost(c);
        } else if (reason) {
            LOG_W("login failed server=%s reason=%s", c->endpoint, reason);
            if (c->state >= C_CHALLENGE) end_probing(c);
        }
        conn_close(c->ctl);
        c->ctl = NULL;
    }
    ctl_free(&c->ch);
    uv_timer_stop(&c->hb);
    stop_proxy_retries(c);
    cwork_close_idle(c);
    c->state = C_IDLE;
    if (!c->stopping) schedule_retry(c);
}

/* The retry timer doubles as the login deadline while connecting. */
static void on_login_timeout(uv_timer_t *t)
{
    cli_t *c = t->data;
    LOG_W("no login within %d s server=%s", LOGIN_TIMEOUT_MS / 1000, c->endpoint);
    disconnect(c, "login-timeout");
}

/* While probing, an attempt gets a short deadline to connect (TCP and TLS),
 * so a SYN lost in a partition does not hold it for the kernel's retries. */
static void on_connect_timeout(uv_timer_t *t)
{
    cli_t *c = t->data;
    LOG_I("no connection within %d ms server=%s", CLIENT_PROBE_CONNECT_TIMEOUT_MS, c->endpoint);
    disconnect(c, "connect-timeout");
}

static bool probing(const cli_t *c)
{
    return c->lost_at && !c->probe_expired && uv_now(c->loop) - c->lost_at < CLIENT_PROBE_WINDOW_MS;
}

/* Keepalive and user timeout; failing to set them costs only detection speed. */
void client_set_liveness(conn_t *conn)
{
    int r = conn_set_liveness(conn, CLIENT_KEEPALIVE_IDLE_S, CLIENT_KEEPALIVE_INTVL_S,
                              CLIENT_KEEPALIVE_CNT, CLIENT_USER_TIMEOUT_MS);
    if (r != 0) LOG_D("cannot set tcp keepalive err=%s", uv_strerror(r));
}

static void connect_addr(cli_t *c);

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    cli_t *c = req->data;
    if (c->stopping) {
        uv_freeaddrinfo(res);
        return;
    }
    if (status != 0 || !res) {
        LOG_W("cannot resolve server address=%s err=%s", c->cfg->server_addr, uv_strerror(status));
        uv_freeaddrinfo(res);
        c->state = C_IDLE;
        schedule_retry(c);
        return;
    }
    memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
    uv_freeaddrinfo(res);
    connect_addr(c);
}

/* Dials c->addr: the address just resolved, or while probing the one the
 * lost session used. */
static void connect_addr(cli_t *c)
{
    c->ch = (ctl_chan_t){.handlers = handlers,
                         .n_handlers = sizeof handlers / sizeof handlers[0],
                         .owner = c,
                         .state = &c->state,
                         .on_other = on_other_frame,
                         .ended = ctl_gone};
    c->ctl = conn_new(c->loop, &ctl_cbs, c);
    int r = c->ctl ? client_dial(c, c->ctl, NULL) : UV_ENOMEM;
    c->state = C_CONNECTING;
    if (probing(c))
        uv_timer_start(&c->retry, on_connect_timeout, CLIENT_PROBE_CONNECT_TIMEOUT_MS, 0);
    else
        uv_timer_start(&c->retry, on_login_timeout, LOGIN_TIMEOUT_MS, 0);
    if (r != 0) {
        LOG_W("cannot connect to server=%s err=%s", c->endpoint, uv_strerror(r));
        disconnect(c, NULL);
    }
}

static void connect_now(cli_t *c)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->cfg->server_port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->attempt_start = uv_now(c->loop);
    /* Probes skip DNS: in a partition the resolver may hang for seconds per
     * try, and the lost session's address was good. Backoff re-resolves. */
    if (probing(c)) {
        connect_addr(c);
        return;
    }
    c->state = C_RESOLVING;
    c->gai.data = c;
    int r = uv_getaddrinfo(c->loop, &c->gai, on_resolved, c->cfg->server_addr, port, &hints);
    if (r != 0) {
        LOG_W("cannot resolve server address=%s err=%s", c->cfg->server_addr, uv_strerror(r));
        c->state = C_IDLE;
        schedule_retry(c);
    }
}

static void on_retry(uv_timer_t *t)
{
    cli_t *c = t->data;
    LOG_I("connecting to server=%s attempt=%d", c->endpoint, c->attempt);
    connect_now(c);
}

uint64_t client_retry_delay_ms(int attempt, uint64_t since_loss_ms, uint64_t since_start_ms,
                               uint32_t rnd)
{
    if (since_loss_ms < CLIENT_PROBE_WINDOW_MS) {
        /* The first probe goes at once; then one per interval (+ jitter). */
        if (attempt == 0) return 0;
        uint64_t iv = CLIENT_PROBE_INTERVAL_MS + rnd % (CLIENT_PROBE_INTERVAL_MS + 1);
        return since_start_ms >= iv ? 0 : iv - since_start_ms;
    }
    /* Exponential backoff with "equal jitter": half fixed, half random, so
     * that many clients cut off together do not return in lockstep. */
    uint64_t d = CLIENT_BACKOFF_BASE_MS;
    for (int i = 0; i < attempt && d < CLIENT_BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > CLIENT_BACKOFF_MAX_MS) d = CLIENT_BACKOFF_MAX_MS;
    return d / 2 + rnd % (d / 2 + 1);
}

static void schedule_retry(cli_t *c)
{
    uint64_t now = uv_now(c->loop);
    if (c->lost_at && !probing(c) && !c->probe_expired) {
        c->probe_expired = true;
        c->attempt = 0;
        LOG_W("server=%s still unreachable after %d s of probing; backing off up to %d s",
              c->endpoint, CLIENT_PROBE_WINDOW_MS / 1000, CLIENT_BACKOFF_MAX_MS / 1000);
    }
    uint64_t since_loss = probing(c) ? now - c->lost_at : UINT64_MAX;
    uint32_t r = 0;
    auth_random((uint8_t *)&r, sizeof r);
    uint64_t d = client_retry_delay_ms(c->attempt, since_loss, now - c->attempt_start, r);
    c->attempt++;
    LOG_I("reconnecting in %llums attempt=%d%s", (unsigned long long)d, c->attempt,
          probing(c) ? " probing=yes" : "");
    uv_timer_start(&c->retry, on_retry, d, 0);
}

/* ---- lifecycle ---------------------------------------------------------- */

static int setup_proxies(cli_t *c)
{
    const client_cfg_t *cfg = c->cfg;
    c->proxies = calloc((size_t)(cfg->n_proxies ? cfg->n_proxies : 1), sizeof *c->proxies);
    if (!c->proxies) return -1;
    for (int i = 0; i < cfg->n_proxies; i++) {
        if (!(c->proxies[i] = cproxy_new(c, &cfg->proxies[i], NULL))) return -1;
        c->n_proxies++;
    }
    return 0;
}

static void free_proxies(cli_t *c)
{
    for (int i = 0; c->proxies && i < c->n_proxies; i++)
        cproxy_drop(c->proxies[i]);
    free(c->proxies);
    c->proxies = NULL;
    c->n_proxies = 0;
}

/* The inspector's replays go to the proxy's local service (cfg name). */
static int local_of(void *ctx, const char *proxy, struct sockaddr_storage *out)
{
    cli_t *c = ctx;
    for (int i = 0; i < c->n_proxies; i++)
        if (strcmp(c->proxies[i]->cfg->name, proxy) == 0) {
            *out = c->proxies[i]->local;
            return 0;
        }
    return -1;
}

cli_t *client_create(uv_loop_t *loop, const client_cfg_t *cfg, const char *state_dir)
{
    cli_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->loop = loop;
    c->cfg = cfg;
    c->state_dir = state_dir;
    c->plugins.tunnels = &c->tunnels;
    snprintf(c->endpoint, sizeof c->endpoint, "%s:%d", cfg->server_addr, cfg->server_port);
    snprintf(c->known_path, sizeof c->known_path, "%s/known_servers", state_dir);
    if (cfg->tls_enable && !(c->tls = tlsc_client_ctx(cfg->tls_trusted_ca_file))) goto fail;
    if (setup_proxies(c) != 0 || cvisitor_setup(c) != 0 || cddns_setup(c) != 0) goto fail;
    if (cfg->inspector.on &&
        inspector_create(loop, &cfg->inspector, local_of, c, &c->inspector) != 0)
        goto fail;
    uv_timer_init(loop, &c->retry);
    uv_timer_init(loop, &c->hb);
    c->retry.data = c->hb.data = c;
    for (int i = 0; i < c->n_proxies; i++)
        cproxy_arm(c->proxies[i]);
    char ident[4096];
    size_t o = (size_t)snprintf(ident, sizeof ident, "%s\n", cfg->user ? cfg->user : "");
    for (int i = 0; i < c->n_proxies && o < sizeof ident; i++)
        o += (size_t)snprintf(ident + o, sizeof ident - o, "%s\n", c->proxies[i]->wire_name);
    resume_path(state_dir, c->endpoint, ident, c->resume_path, sizeof c->resume_path);
    char saved[RESUME_RUN_ID_MAX];
    if (resume_load(c->resume_path, saved, c->resume_key) == 0) {
        snprintf(c->run_id, sizeof c->run_id, "%s", saved);
        c->have_resume = true;
        LOG_I("resuming saved session run_id=%s server=%s", c->run_id, c->endpoint);
    }
    return c;
fail:
    SSL_CTX_free(c->tls);
    free_proxies(c);
    cvisitor_destroy(c);
    free(c);
    return NULL;
}

/* transport.useCompression on a secret proxy or a visitor is accepted for
 * frp's sake but not applied (the stream is AEAD records, end to end): said
 * once per entry, at start. useEncryption needs no word: always on. */
static void note_compression(const client_cfg_t *cfg)
{
    for (int i = 0; i < cfg->n_proxies; i++)
        if (cfg->proxies[i].use_compression)
            LOG_I("proxy name=%s: transport.useCompression is accepted but not applied",
                  cfg->proxies[i].name);
    for (int i = 0; i < cfg->n_visitors; i++)
        if (cfg->visitors[i].use_compression)
            LOG_I("visitor name=%s: transport.useCompression is accepted but not applied",
                  cfg->visitors[i].name);
}

void client_start(cli_t *c)
{
    note_compression(c->cfg);
    if (!c->cfg->tls_enable)
        LOG_W("TLS is disabled (transport.tls.enable = false): traffic to %s is readable on "
              "the way",
              c->endpoint);
    LOG_I("connecting to server=%s proxies=%d visitors=%d", c->endpoint, c->n_proxies,
          c->n_visitors);
    cvisitor_start(c);
    connect_now(c);
}

void client_stop(cli_t *c)
{
    if (c->stopping) return;
    c->stopping = true;
    if (c->on_stop) c->on_stop(c->on_stop_arg);
    /* A cancelled lookup still calls on_resolved (UV_ECANCELED), which then
     * only frees its result; one that already runs completes first. */
    if (c->state == C_RESOLVING) uv_cancel((uv_req_t *)&c->gai);
    disconnect(c, NULL);
    cwork_close_all(c);
    cudp_close_all(c);
    cstcp_close_all(c);
    cftp_close_all(c);
    cfa_close_owner(c, NULL);
    cvisitor_close_all(c);
    cxtcp_close_all(c);
    plugin_host_stop_all(&c->plugins);
    tunnels_end_all(&c->tunnels);
    inspector_stop(c->inspector);
    cddns_stop(c);
    uv_close((uv_handle_t *)&c->retry, NULL);
    uv_close((uv_handle_t *)&c->hb, NULL);
    for (int i = 0; i < c->n_proxies; i++)
        cproxy_retire(c->proxies[i]);
}

void client_set_wake_request(cli_t *c, const char *name)
{
    c->wake_request = name;
    c->have_resume = false; /* a fresh session, never another's */
    c->run_id[0] = '\0';
}

bool client_wake_answered(const cli_t *c)
{
    return c->wake_done;
}

void client_on_stop(cli_t *c, void (*fn)(void *arg), void *arg)
{
    c->on_stop = fn;
    c->on_stop_arg = arg;
}

int client_exit_status(const cli_t *c)
{
    return c->exit_status;
}

void client_destroy(cli_t *c)
{
    if (!c) return;
    SSL_SESSION_free(c->tls_session);
    SSL_CTX_free(c->tls);
    free_proxies(c);
    cvisitor_destroy(c);
    inspector_destroy(c->inspector);
    free(c);
}

bool client_logged_in(const cli_t *c)
{
    return c->ctl && c->state == C_READY && !c->stopping;
}
