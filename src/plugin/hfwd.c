/* hfwd: see hfwd.h. One hfc_t per user connection: the user conn (TLS over
 * the work conn for https2*), the local conn, the request parser. */
#include "plugin/hfwd.h"
#include "plugin/plugin_dial.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_err.h"
#include "http/http_head.h"
#include "http/http_rewrite.h"
#include "net/addr.h"
#include "net/conn_wrap.h"
#include "net/relay.h"
#include "tls/tls_cert.h"
#include "util/log.h"
#include "util/ref.h"

struct hfwd {
    ref_t ref; /* the creator's + one per connection */
    char *name;
    char host[256];
    int port;
    bool local_tls, user_tls;
    SSL_CTX *server_ctx; /* https2*: the certificate users see */
    SSL_CTX *client_ctx; /* *2https: no verification (as frp) */
    char *host_rewrite;
    header_list_t req_set;
    int conns;
    unsigned idle_ms;
};

typedef struct hfc {
    hfwd_t *h;
    conn_t *user, *local;
    pdial_t *dial; /* connecting to localAddr; cancelled by close_all */
    http_msg_t req;
    uint8_t *stash; /* user bytes that came before the local conn was up */
    size_t stash_len;
    unsigned long requests;
    int refs; /* the user conn, the local conn (a dial holds none: close_all cancels it) */
    bool closing, local_ready, in_body, upgrade, broken, finishing;
    bool user_eof, user_shut, local_eof, local_shut, user_full, local_full;
    bool hosted;      /* ps is listed in a plugin host */
    plugin_sess_t ps; /* zeroed without a host */
    uv_timer_t *idle; /* heap: freed by its own close callback */
    char ip[64];
} hfc_t;

/* ---- the plugin ---------------------------------------------------------- */

static void hfwd_release(ref_t *r)
{
    hfwd_t *h = REF_OWNER(r, hfwd_t, ref);
    SSL_CTX_free(h->server_ctx);
    SSL_CTX_free(h->client_ctx);
    for (int i = 0; i < h->req_set.n; i++) {
        free(h->req_set.v[i].name);
        free(h->req_set.v[i].value);
    }
    free(h->req_set.v);
    free(h->host_rewrite);
    free(h->name);
    free(h);
}

int hfwd_split_addr(const char *s, char *host, size_t size, int *port)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    if (!colon || colon == s) return -1;
    const char *h = s, *he = colon;
    if (*s == '[') {
        if (colon[-1] != ']') return -1;
        h = s + 1;
        he = colon - 1;
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535 || he <= h || (size_t)(he - h) >= size) return -1;
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = '\0';
    *port = (int)p;
    return 0;
}

static int copy_set(header_list_t *dst, const header_list_t *src)
{
    if (!src || src->n == 0) return 0;
    dst->v = calloc((size_t)src->n, sizeof *dst->v);
    if (!dst->v) return -1;
    for (int i = 0; i < src->n; i++, dst->n++) {
        dst->v[i].name = strdup(src->v[i].name);
        dst->v[i].value = strdup(src->v[i].value);
        if (!dst->v[i].name || !dst->v[i].value) return -1;
    }
    return 0;
}

static SSL_CTX *user_ctx(const hfwd_cfg_t *cfg)
{
    char fp[TLSC_FP_LEN];
    bool crt = cfg->crt_path && *cfg->crt_path, key = cfg->key_path && *cfg->key_path;
    if (crt != key) {
        LOG_E("plugin needs both crtPath and keyPath, or neither name=%s", LOG_ESC(cfg->name));
        return NULL;
    }
    if (crt) return tlsc_server_ctx(cfg->crt_path, cfg->key_path, NULL, fp, NULL);
    SSL_CTX *ctx = tlsc_server_ctx_ephemeral(fp);
    if (ctx)
        LOG_I("plugin has no crtPath/keyPath: serving a self-signed certificate name=%s "
              "fingerprint=%s",
              LOG_ESC(cfg->name), fp);
    return ctx;
}

hfwd_t *hfwd_new(const hfwd_cfg_t *cfg)
{
    hfwd_t *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    ref_init(&h->ref, 1, hfwd_release);
    h->idle_ms = HFWD_IDLE_MS;
    if (hfwd_split_addr(cfg->local_addr, h->host, sizeof h->host, &h->port) != 0) {
        LOG_E("plugin localAddr is not host:port name=%s localAddr=%s", LOG_ESC(cfg->name),
              LOG_ESC(cfg->local_addr));
        goto fail;
    }
    h->local_tls = cfg->local_tls;
    h->user_tls = cfg->user_tls;
    if (!(h->name = strdup(cfg->name ? cfg->name : "?"))) goto fail;
    if (cfg->host_rewrite && *cfg->host_rewrite && !(h->host_rewrite = strdup(cfg->host_rewrite)))
        goto fail;
    if (copy_set(&h->req_set, cfg->req_set) != 0) goto fail;
    if (h->user_tls && !(h->server_ctx = user_ctx(cfg))) goto fail;
    if (h->local_tls && !(h->client_ctx = tlsc_client_ctx(NULL))) goto fail;
    return h;
fail:
    ref_drop(&h->ref);
    return NULL;
}

void hfwd_drop(hfwd_t *h)
{
    if (h) ref_drop(&h->ref);
}

int hfwd_conns(const hfwd_t *h)
{
    return h->conns;
}

void hfwd_set_idle_ms(hfwd_t *h, unsigned ms)
{
    h->idle_ms = ms;
}

/* ---- lifetime of a connection -------------------------------------------- */

static void free_timer(uv_handle_t *t)
{
    free(t);
}

static void unref(hfc_t *x)
{
    if (--x->refs > 0) return;
    plugin_sess_end(&x->ps);
    if (x->idle) uv_close((uv_handle_t *)x->idle, free_timer);
    http_msg_free(&x->req);
    free(x->stash);
    x->h->conns--;
    hfwd_drop(x->h);
    free(x);
}

static void close_all(hfc_t *x)
{
    x->closing = true;
    if (x->idle) uv_timer_stop(x->idle);
    if (x->user) conn_close(x->user);
    if (x->local) conn_close(x->local);
    if (x->dial) pdial_cancel(x->dial); /* no callback after this */
    x->dial = NULL;
}

static void on_idle(uv_timer_t *t)
{
    hfc_t *x = t->data;
    LOG_LIMITED(LOG_DEBUG, "http plugin connection idle, closed name=%s", LOG_ESC(x->h->name));
    close_all(x);
}

/* A byte moved: the idle limit starts again. */
static void touch(hfc_t *x)
{
    if (!x->closing) uv_timer_start(x->idle, on_idle, x->h->idle_ms, 0);
}

/* The user conn is read only when its bytes can go on; the local conn only
 * while the user conn has room. */
static void update(hfc_t *x)
{
    if (x->closing) return;
    bool user_ok = x->local_ready && !x->stash && !x->local_full && !x->broken && !x->user_eof &&
                   !x->finishing;
    if (x->user) user_ok ? conn_resume(x->user) : conn_pause(x->user);
    if (x->local) x->user_full ? conn_pause(x->local) : conn_resume(x->local);
}

/* Both directions finished (each side's FIN passed on): the end. */
static void maybe_done(hfc_t *x)
{
    if (x->user_shut && x->local_shut) close_all(x);
}

/* ---- writing ------------------------------------------------------------- */

static void to_user(hfc_t *x, const void *p, size_t n)
{
    int r = x->user && n ? conn_write(x->user, p, n) : 0;
    if (r < 0) close_all(x);
    if (r > 0) x->user_full = true;
}

static void to_local(hfc_t *x, const void *p, size_t n)
{
    int r = x->local && n ? conn_write(x->local, p, n) : 0;
    if (r < 0) close_all(x);
    if (r > 0) x->local_full = true;
}

/* Answers status itself (nothing was forwarded yet) and ends. */
static void answer_and_finish(hfc_t *x, int status)
{
    size_t len;
    char *page = http_err_response(status, NULL, 0, &len);
    if (page) to_user(x, page, len);
    free(page);
    x->finishing = true;
    if (x->local) conn_close(x->local);
    if (x->user && !x->closing) conn_shutdown(x->user); /* on_shutdown closes */
}

/* A request that cannot be forwarded: answered when it is the first, else
 * the local service gets no more and the connection ends after what it
 * answers still. */
static void refuse(hfc_t *x, int status)
{
    LOG_LIMITED(LOG_DEBUG, "http plugin refused a request name=%s status=%d", LOG_ESC(x->h->name),
                status);
    if (x->requests == 0 || !x->local_ready) {
        answer_and_finish(x, status);
        return;
    }
    x->broken = true;
    if (x->local) conn_shutdown(x->local);
}

/* ---- requests ------------------------------------------------------------ */

/* What a reverse proxy must not pass on: a target that is not a path, or
 * several Host headers (the same rules as the server's vhost). */
static bool acceptable(const http_head_t *h)
{
    const char *target = http_str(h, h->target);
    int hosts = 0;
    for (int i = 0; i < h->n_hdr; i++)
        if (strcasecmp(http_str(h, h->hdr[i].name), "Host") == 0) hosts++;
    if (hosts > 1 || h->method == HTTP_CONNECT) return false;
    return target[0] == '/' || (h->method == HTTP_OPTIONS && strcmp(target, "*") == 0);
}

static void on_head(hfc_t *x)
{
    const http_head_t *h = &x->req.head;
    if (!acceptable(h)) {
        refuse(x, 400);
        return;
    }
    http_rewrite_t rw = {x->h->host_rewrite, &x->h->req_set, NULL,
                         x->h->user_tls ? "https" : "http"};
    size_t len;
    char *head = http_rewrite_request(h, &rw, x->ip, &len);
    if (!head) {
        close_all(x);
        return;
    }
    to_local(x, head, len);
    free(head);
    if (x->requests++ == 0) plugin_sess_settle(&x->ps); /* a whole head came */
    x->in_body = true;
    x->upgrade = h->upgrade;
}

/* After an Upgrade request's head: bytes flow untouched both ways. */
static void become_tunnel(hfc_t *x, const uint8_t *rest, size_t n)
{
    conn_t *u = x->user, *l = x->local;
    x->user = x->local = NULL;
    /* The relay owns both conns now: their closes will not reach us. The
     * caller holds a reference (hold/unref around every callback). */
    x->refs -= 2;
    x->closing = true;
    uv_timer_stop(x->idle);
    if (x->hosted)
        plugin_sess_relay(&x->ps, u, l, rest, n);
    else
        relay_start(u, l, rest, n, NULL, NULL);
}

static void consume(hfc_t *x, const uint8_t *p, size_t n)
{
    while (!x->closing && !x->broken && !x->finishing) {
        int ev;
        long used = http_msg_feed(&x->req, p, n, &ev);
        if (used < 0) {
            refuse(x, used == HTTP_ERR_TOO_LARGE ? 431 : 400);
            return;
        }
        if (x->in_body) to_local(x, p, (size_t)used); /* body bytes verbatim */
        p += used;
        n -= (size_t)used;
        if (ev == HTTP_EV_HEAD) {
            on_head(x);
        } else if (ev == HTTP_EV_END) {
            x->in_body = false;
            if (x->upgrade && !x->closing) {
                become_tunnel(x, p, n);
                return;
            }
            http_msg_next(&x->req);
        } else if (n == 0) {
            return;
        }
    }
}

static void keep(hfc_t *x, const uint8_t *p, size_t n)
{
    if (n == 0) return;
    uint8_t *s = x->stash_len + n <= HFWD_STASH_MAX ? realloc(x->stash, x->stash_len + n) : NULL;
    if (!s) {
        close_all(x);
        return;
    }
    memcpy(s + x->stash_len, p, n);
    x->stash = s;
    x->stash_len += n;
}

/* ---- the user conn ------------------------------------------------------- */

static void on_user_ready(conn_t *c, int status)
{
    hfc_t *x = conn_data(c);
    if (status == 0) return;
    char why[160];
    LOG_LIMITED(LOG_INFO, "http plugin TLS handshake with a user failed name=%s err=%s",
                LOG_ESC(x->h->name), conn_tls_error(c, why, sizeof why));
    close_all(x);
}

static void on_user_data(conn_t *c, const uint8_t *p, size_t n)
{
    hfc_t *x = conn_data(c);
    x->refs++;
    touch(x);
    if (!x->local_ready || x->stash)
        keep(x, p, n);
    else
        consume(x, p, n);
    update(x);
    unref(x);
}

static void on_user_eof(conn_t *c)
{
    hfc_t *x = conn_data(c);
    x->user_eof = true;
    if (x->local_ready && !x->stash && x->local) conn_shutdown(x->local);
    update(x);
}

static void on_user_drain(conn_t *c)
{
    hfc_t *x = conn_data(c);
    touch(x);
    x->user_full = false;
    update(x);
}

static void on_user_shutdown(conn_t *c)
{
    hfc_t *x = conn_data(c);
    x->user_shut = true;
    if (x->finishing) close_all(x);
    maybe_done(x);
}

static void on_error(conn_t *c, int err)
{
    (void)err;
    close_all(conn_data(c));
}

static void on_user_close(conn_t *c)
{
    hfc_t *x = conn_data(c);
    x->user = NULL;
    close_all(x);
    unref(x);
}

static const conn_cbs_t user_cbs = {
    .on_ready = on_user_ready,
    .on_data = on_user_data,
    .on_eof = on_user_eof,
    .on_drain = on_user_drain,
    .on_shutdown = on_user_shutdown,
    .on_error = on_error,
    .on_close = on_user_close,
};

/* ---- the local conn ------------------------------------------------------ */

static void local_failed(hfc_t *x, int err)
{
    LOG_LIMITED(LOG_INFO, "http plugin cannot reach the local service name=%s addr=%s:%d err=%s",
                LOG_ESC(x->h->name), LOG_ESC(x->h->host), x->h->port, uv_strerror(err));
    answer_and_finish(x, 502);
}

static void on_local_ready(conn_t *c, int status)
{
    hfc_t *x = conn_data(c);
    if (status < 0) {
        local_failed(x, status);
        return;
    }
    x->refs++;
    x->local_ready = true;
    uint8_t *s = x->stash;
    size_t n = x->stash_len;
    x->stash = NULL;
    x->stash_len = 0;
    if (s) consume(x, s, n);
    free(s);
    if (x->user_eof && !x->closing && x->local) conn_shutdown(x->local);
    update(x);
    unref(x);
}

static void on_local_data(conn_t *c, const uint8_t *p, size_t n)
{
    hfc_t *x = conn_data(c);
    touch(x);
    to_user(x, p, n);
    update(x);
}

static void on_local_eof(conn_t *c)
{
    hfc_t *x = conn_data(c);
    x->local_eof = true;
    if (x->user) conn_shutdown(x->user); /* the responses are all there */
}

static void on_local_drain(conn_t *c)
{
    hfc_t *x = conn_data(c);
    touch(x);
    x->local_full = false;
    update(x);
}

static void on_local_shutdown(conn_t *c)
{
    hfc_t *x = conn_data(c);
    x->local_shut = true;
    maybe_done(x);
}

static void on_local_close(conn_t *c)
{
    hfc_t *x = conn_data(c);
    x->local = NULL;
    if (!x->finishing) close_all(x);
    unref(x);
}

static const conn_cbs_t local_cbs = {
    .on_ready = on_local_ready,
    .on_data = on_local_data,
    .on_eof = on_local_eof,
    .on_drain = on_local_drain,
    .on_shutdown = on_local_shutdown,
    .on_error = on_error,
    .on_close = on_local_close,
};

static bool is_ip(const char *host)
{
    struct sockaddr_storage ss;
    return addr_parse(host, 1, &ss) == 0;
}

/* Connected (plain TCP): TLS first for *2https, else ready at once. */
static void on_dialed(void *arg, conn_t *c, int status)
{
    hfc_t *x = arg;
    x->dial = NULL;
    if (!c) {
        if (!x->closing && !x->finishing) local_failed(x, status);
        return;
    }
    if (x->closing || x->finishing) {
        conn_close(c);
        return;
    }
    x->local = c;
    x->refs++;
    conn_set_cbs(c, &local_cbs, x);
    if (!x->h->local_tls) {
        on_local_ready(c, 0);
        return;
    }
    const char *sni = is_ip(x->h->host) ? NULL : x->h->host;
    int r = conn_tls_start_client(c, x->h->client_ctx, sni, NULL);
    if (r != 0) local_failed(x, r);
}

/* localAddr: a name is looked up for every connection (a changed address
 * is followed), each of its addresses tried in turn (plugin_dial.h). */
static void start_local(hfc_t *x)
{
    x->dial = pdial_start(conn_loop(x->user), x->h->host, (uint16_t)x->h->port, on_dialed, x);
    if (!x->dial) local_failed(x, UV_ENOMEM);
}

/* ---- start --------------------------------------------------------------- */

static void set_ip(hfc_t *x, const char *client)
{
    struct sockaddr_storage ss;
    if (client && addr_parse_text(client, &ss) == 0)
        addr_ip((struct sockaddr *)&ss, x->ip, sizeof x->ip);
    else
        snprintf(x->ip, sizeof x->ip, "%s", client && *client ? client : "unknown");
}

/* https2*: TLS over the work conn; the early bytes start the handshake. */
static int accept_tls(hfc_t *x, conn_t *work, const uint8_t *early, size_t n)
{
    conn_t *w = conn_wrap_new(work, &user_cbs, x);
    if (!w) return UV_ENOMEM;
    x->user = w;
    int r = conn_tls_accept(w, x->h->server_ctx, early, n);
    if (r != 0) return r;
    conn_resume(w);
    return 0;
}

/* The host stops the session (client stopping, proxy removed, too slow). */
static void stop(plugin_sess_t *ps)
{
    close_all((hfc_t *)(void *)((char *)ps - offsetof(hfc_t, ps)));
}

int hfwd_serve(hfwd_t *h, const plugin_start_t *st, conn_t *c, const char *client_ip,
               const uint8_t *early, size_t n)
{
    hfc_t *x = calloc(1, sizeof *x);
    uv_timer_t *idle = malloc(sizeof *idle);
    if (x && idle && st && plugin_sess_begin(&x->ps, st, stop) != 0) {
        free(x);
        x = NULL;
    }
    if (!x || !idle) {
        free(x);
        free(idle);
        conn_close(c);
        return UV_ENOMEM;
    }
    uv_timer_init(conn_loop(c), idle);
    idle->data = x;
    x->idle = idle;
    x->hosted = st != NULL;
    x->h = h;
    ref_hold(&h->ref);
    h->conns++;
    x->refs = 2; /* the user conn, and this call until it returns */
    set_ip(x, client_ip);
    http_msg_init(&x->req, HTTP_REQUEST);
    int r = 0;
    if (h->user_tls) {
        r = accept_tls(x, c, early, n);
        if (r != 0 && !x->user) conn_close(c);
    } else {
        x->user = c;
        conn_set_cbs(c, &user_cbs, x);
        if (n) keep(x, early, n);
    }
    touch(x);
    if (r == 0 && !x->closing) start_local(x);
    if (r != 0) close_all(x);
    update(x);
    unref(x);
    return r;
}
