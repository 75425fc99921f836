/* cproxy_stcp: the stcp kind on the client, as the owner of a secret proxy,
 * and the owner's handshake shared by every secret kind (cproxy_sudp.c
 * hands the accepted e2e conn to the udp fan-out instead).
 *
 * The server starts a work conn for a visitor (START_WORK, then
 * STCP_VISITOR); the owner runs proto/stcp_hs.h on the raw work conn,
 * decides itself whether the visitor knows secretKey (and is allowed by
 * allowUsers), then wraps the conn with net/conn_e2e.h and relays the
 * plaintext to the local service. While the handshake runs or the local
 * side connects, the record is listed in cli->stcps so client_stop closes
 * it; once relayed, the tunnel set owns both conns. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/conn_e2e.h"
#include "net/tunnels.h"
#include "proto/stcp_hs.h"
#include "util/log.h"

/* Plaintext the visitor may send before the local service is up. */
#define STCP_EARLY_MAX (256 * 1024)

struct cstcp {
    cli_t *cli;            /* while listed */
    cstcp_t *next, *prev;  /* in cli->stcps */
    const cproxy_t *proxy; /* holds a reference (cproxy_t) */
    conn_t *raw;           /* the work conn, during the handshake */
    conn_t *e2e;           /* over raw, once the handshake is done */
    conn_t *local;         /* connecting to the local service */
    stcp_hs_t hs;
    cstcp_accepted_fn accepted; /* the kind's next step */
    uint8_t *early;             /* plaintext read before the local side is up */
    size_t early_len;
};

static const conn_cbs_t none_cbs = {0};

static void unlink_stcp(cstcp_t *s)
{
    if (!s->cli) return;
    if (s->prev)
        s->prev->next = s->next;
    else if (s->cli->stcps == s)
        s->cli->stcps = s->next;
    if (s->next) s->next->prev = s->prev;
    s->next = s->prev = NULL;
    s->cli = NULL;
}

static void free_stcp(cstcp_t *s)
{
    unlink_stcp(s);
    stcp_hs_free(&s->hs);
    free(s->early);
    cproxy_drop(s->proxy);
    free(s);
}

static void close_local(cstcp_t *s)
{
    if (!s->local) return;
    conn_set_cbs(s->local, &none_cbs, NULL);
    conn_close(s->local);
    s->local = NULL;
}

/* ---- after the handshake: e2e conn, local side connecting --------------- */

static void e2e_data(conn_t *c, const uint8_t *p, size_t n)
{
    cstcp_t *s = conn_data(c);
    if (s->early_len + n > STCP_EARLY_MAX) {
        conn_close(c);
        return;
    }
    uint8_t *e = realloc(s->early, s->early_len + n);
    if (!e) {
        conn_close(c);
        return;
    }
    memcpy(e + s->early_len, p, n);
    s->early = e;
    s->early_len += n;
}

static void e2e_eof(conn_t *c)
{
    conn_close(c);
}

static void e2e_error(conn_t *c, int err)
{
    cstcp_t *s = conn_data(c);
    LOG_LIMITED(LOG_WARN, "stcp visitor stream failed proxy=%s visitor=%s path=relay err=%s",
                LOG_ESC(s->proxy->cfg->name), LOG_ESC(s->hs.visitor_user), uv_strerror(err));
    conn_close(c);
}

static void e2e_close(conn_t *c)
{
    cstcp_t *s = conn_data(c);
    close_local(s);
    free_stcp(s);
}

static const conn_cbs_t e2e_cbs = {
    .on_data = e2e_data, .on_eof = e2e_eof, .on_error = e2e_error, .on_close = e2e_close};

static void on_local_ready(conn_t *local, int status)
{
    cstcp_t *s = conn_data(local);
    const proxy_cfg_t *cfg = s->proxy->cfg;
    if (status != 0) {
        LOG_W("local connect failed proxy=%s addr=%s:%d err=%s", cfg->name, cfg->local_ip,
              cfg->local_port, uv_strerror(status));
        close_local(s);
        conn_close(s->e2e); /* e2e_close frees s */
        return;
    }
    cli_t *c = s->proxy->cli;
    conn_t *e2e = s->e2e;
    s->local = NULL;
    conn_set_cbs(e2e, &none_cbs, NULL);
    tunnels_relay_tagged(&c->tunnels, e2e, local, s->early, s->early_len, "stcp", s->proxy);
    free_stcp(s);
}

static const conn_cbs_t local_cbs = {.on_ready = on_local_ready};

static void log_accepted(const cstcp_t *s)
{
    LOG_I("%s visitor accepted proxy=%s visitor=%s path=relay", kind_name(s->proxy->cfg->kind),
          LOG_ESC(s->proxy->cfg->name), LOG_ESC(s->hs.visitor_user));
}

conn_t *cstcp_wrap(cstcp_t *s)
{
    conn_t *raw = s->raw;
    conn_t *e2e = conn_e2e_new(raw, &s->hs.keys, E2E_O2V, &none_cbs, NULL);
    if (!e2e) {
        conn_close(raw); /* raw_close frees s */
        return NULL;
    }
    log_accepted(s);
    free_stcp(s);
    return e2e;
}

const cproxy_t *cstcp_proxy(const cstcp_t *s)
{
    return s->proxy;
}

/* stcp with a plugin: the e2e conn is the plugin's; `rest` (ciphertext)
 * goes through it once the plugin has set its callbacks. */
static void plugin_accepted(cstcp_t *s, const uint8_t *rest, size_t rest_len)
{
    const cproxy_t *p = s->proxy;
    char who[LOG_ESC_MAX];
    log_esc(s->hs.visitor_user, who, sizeof who);
    cproxy_hold(p); /* s goes with cstcp_wrap */
    conn_t *e2e = cstcp_wrap(s);
    if (e2e) {
        cplugin_serve(p, e2e, who, NULL, 0);
        if (!conn_is_closing(e2e)) conn_e2e_feed(e2e, rest, rest_len);
    }
    cproxy_drop(p);
}

/* stcp: the handshake is done: wrap, then connect to the local service. */
static void owner_accepted(cstcp_t *s, const uint8_t *rest, size_t rest_len)
{
    if (s->proxy->plugin) {
        plugin_accepted(s, rest, rest_len);
        return;
    }
    conn_t *raw = s->raw;
    s->e2e = conn_e2e_new(raw, &s->hs.keys, E2E_O2V, &e2e_cbs, s);
    if (!s->e2e) {
        conn_close(raw); /* raw_close frees s */
        return;
    }
    s->raw = NULL;
    /* Paused through the e2e conn (its flag, then the inner's), so that the
     * relay's resume reaches the inner conn. */
    conn_pause(s->e2e);
    log_accepted(s);
    conn_e2e_feed(s->e2e, rest, rest_len);
    if (conn_is_closing(s->e2e)) return;
    s->local = conn_new(conn_loop(raw), &local_cbs, s);
    if (!s->local ||
        conn_connect(s->local, (struct sockaddr *)&s->proxy->local, NULL, NULL, NULL) != 0) {
        LOG_W("local connect failed proxy=%s", s->proxy->cfg->name);
        close_local(s);
        conn_close(s->e2e);
    }
}

/* ---- the handshake on the raw work conn --------------------------------- */

static int send_raw(void *ctx, const uint8_t *p, size_t n)
{
    cstcp_t *s = ctx;
    return conn_write(s->raw, p, n) < 0 ? -1 : 0;
}

static void raw_data(conn_t *c, const uint8_t *p, size_t n)
{
    cstcp_t *s = conn_data(c);
    size_t used = 0;
    int r = stcp_hs_feed(&s->hs, p, n, &used, send_raw, s);
    if (r == STCP_HS_DONE) {
        s->accepted(s, p + used, n - used);
    } else if (r == STCP_HS_REFUSED) {
        /* A visitor can knock as often as it likes: rate-limited. */
        LOG_LIMITED(LOG_WARN, "%s visitor refused proxy=%s visitor=%s path=relay reason=%s",
                    kind_name(s->proxy->cfg->kind), LOG_ESC(s->proxy->cfg->name),
                    LOG_ESC(s->hs.visitor_user), LOG_ESC(s->hs.reason));
        conn_shutdown(c); /* the REFUSE frame goes out first */
        conn_close(c);
    } else if (r == STCP_HS_BAD) {
        LOG_LIMITED(LOG_WARN, "%s handshake failed proxy=%s path=relay reason=%s",
                    kind_name(s->proxy->cfg->kind), LOG_ESC(s->proxy->cfg->name),
                    LOG_ESC(s->hs.reason));
        conn_close(c);
    }
}

static void raw_eof(conn_t *c)
{
    conn_close(c);
}

static void raw_error(conn_t *c, int err)
{
    (void)err;
    conn_close(c);
}

static void raw_close(conn_t *c)
{
    free_stcp(conn_data(c));
}

static const conn_cbs_t raw_cbs = {
    .on_data = raw_data, .on_eof = raw_eof, .on_error = raw_error, .on_close = raw_close};

void cstcp_start_owner(cwork_t *w, const uint8_t *rest, size_t rest_len, cstcp_accepted_fn accepted)
{
    const cproxy_t *p = cwork_proxy(w);
    const proxy_cfg_t *cfg = p->cfg;
    cli_t *c = p->cli;
    cstcp_t *s = calloc(1, sizeof *s);
    if (!s || stcp_hs_owner_init(
                  &s->hs, cfg->secret_key, p->wire_name, c->cfg->user ? c->cfg->user : "",
                  (const char *const *)cfg->allow_users.v, (size_t)cfg->allow_users.n) != 0) {
        free(s);
        conn_close(cwork_detach(w));
        return;
    }
    s->proxy = p;
    cproxy_hold(p);
    s->accepted = accepted;
    s->raw = cwork_detach(w);
    s->cli = c;
    s->next = c->stcps;
    if (c->stcps) c->stcps->prev = s;
    c->stcps = s;
    conn_set_cbs(s->raw, &raw_cbs, s);
    if (rest_len) raw_data(s->raw, rest, rest_len);
}

static void stcp_start(cwork_t *w, const uint8_t *rest, size_t rest_len)
{
    cstcp_start_owner(w, rest, rest_len, owner_accepted);
}

void cstcp_close_proxy(cli_t *c, const cproxy_t *p)
{
    cstcp_t *s = c->stcps;
    while (s) {
        cstcp_t *next = s->next;
        if (s->proxy == p) {
            unlink_stcp(s); /* as cstcp_close_all */
            conn_close(s->e2e ? s->e2e : s->raw);
        }
        s = next;
    }
}

void cstcp_close_all(cli_t *c)
{
    while (c->stcps) {
        cstcp_t *s = c->stcps;
        unlink_stcp(s); /* its conn's on_close frees it, from the loop */
        if (s->e2e)
            conn_close(s->e2e);
        else if (s->raw)
            conn_close(s->raw);
    }
}

const cproxy_ops_t cproxy_stcp_ops = {
    .encode = NULL,
    .start = stcp_start,
};

/* xtcp's owner: its visitors' connections arrive over the stcp relay path. */
const cproxy_ops_t cproxy_xtcp_ops = {
    .encode = NULL,
    .start = stcp_start,
};
