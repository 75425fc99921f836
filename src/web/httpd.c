/* httpd: the sockets, timers and TLS around httpd_sess (see httpd.h).
 *
 * Owns the listener, the SSL_CTX (when HTTPS) and one hconn_t per
 * connection: the conn, a timer and the session. An hconn's memory goes
 * when both its conn and its timer have closed (two close callbacks, one
 * count); the server's memory goes when the listener closed and the last
 * hconn went, so httpd_destroy() may be called from anywhere, a handler
 * included.
 *
 * Backpressure: a response that fills the conn's write queue (conn_write
 * returns 1) stops the session and reading pauses until on_drain; the
 * unread rest of that read is kept (at most one read's bytes). */
#include "web/httpd.h"

#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "net/conn.h"
#include "net/listener.h"
#include "tls/tls_cert.h"
#include "util/log.h"
#include "web/httpd_sess.h"

typedef enum { T_NONE, T_REQUEST, T_IDLE } timer_mode_t;

typedef struct hconn hconn_t;

struct httpd {
    uv_loop_t *loop;
    listener_t listener;
    httpd_site_t site;
    SSL_CTX *tls; /* owned; NULL = plain HTTP */
    char *what;   /* owned copy of opts.what */
    unsigned request_ms, idle_ms;
    hconn_t *conns; /* every hconn not yet freed */
    int n_conns;
    bool destroyed, listener_open;
};

struct hconn {
    httpd_t *h;
    conn_t *c;
    uv_timer_t timer;
    httpd_sess_t sess;
    char peer[CONN_PEER_LEN];
    uint8_t *rest; /* bytes read but not fed while the writer is full; owned */
    size_t rest_len;
    timer_mode_t mode;
    int open_handles; /* conn + timer; freed at 0 */
    bool closing, paused, counted;
    bool full; /* the last response met a full write queue (conn_write returned 1) */
    hconn_t *prev, *next;
};

static void hconn_close(hconn_t *hc);
static void hconn_process(hconn_t *hc, const uint8_t *p, size_t n);

/* ---- freeing ----------------------------------------------------------- */

static void httpd_maybe_free(httpd_t *h)
{
    if (!h->destroyed || h->listener_open || h->n_conns) return;
    httpd_site_free(&h->site);
    SSL_CTX_free(h->tls);
    free(h->what);
    free(h);
}

static void hconn_release(hconn_t *hc)
{
    if (--hc->open_handles > 0) return;
    httpd_t *h = hc->h;
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        h->conns = hc->next;
    if (hc->next) hc->next->prev = hc->prev;
    h->n_conns--;
    if (hc->counted) listener_release(&h->listener);
    httpd_sess_free(&hc->sess);
    free(hc->rest);
    free(hc);
    httpd_maybe_free(h);
}

static void on_conn_closed(conn_t *c)
{
    hconn_release(conn_data(c));
}

static void on_timer_closed(uv_handle_t *t)
{
    hconn_release(t->data);
}

static void hconn_close(hconn_t *hc)
{
    if (hc->closing) return;
    hc->closing = true;
    conn_close(hc->c);
    uv_close((uv_handle_t *)&hc->timer, on_timer_closed);
}

/* ---- timers ------------------------------------------------------------ */

static void on_timeout(uv_timer_t *t)
{
    hconn_t *hc = t->data;
    LOG_D("%s connection timed out peer=%s mode=%s", hc->h->what, hc->peer,
          hc->mode == T_IDLE ? "idle" : "request");
    hconn_close(hc);
}

/* A request must finish within request_ms of its first byte (slow heads and
 * bodies); between requests the connection may idle for idle_ms. The
 * deadline is set when the mode changes, not on every read. */
static void hconn_arm(hconn_t *hc)
{
    timer_mode_t mode =
        httpd_sess_idle(&hc->sess) && !httpd_sess_done(&hc->sess) ? T_IDLE : T_REQUEST;
    if (mode == hc->mode || hc->closing) return;
    hc->mode = mode;
    uv_timer_start(&hc->timer, on_timeout, mode == T_IDLE ? hc->h->idle_ms : hc->h->request_ms, 0);
}

/* ---- conn callbacks ---------------------------------------------------- */

static bool hconn_out(void *ctx, const void *p, size_t n)
{
    hconn_t *hc = ctx;
    if (hc->closing) return false;
    int r = conn_write(hc->c, p, n);
    if (r < 0) {
        hconn_close(hc);
        return false;
    }
    hc->full = r > 0;
    return r == 0;
}

/* Keeps what the session did not take (maybe nothing), and stops reading
 * until on_drain: a client that sends requests without reading the answers
 * holds at most one read's worth of them, and the answers in the queue. */
static void hconn_keep_rest(hconn_t *hc, const uint8_t *p, size_t n)
{
    uint8_t *rest = malloc(n ? n : 1);
    if (!rest) {
        hconn_close(hc);
        return;
    }
    if (n) memcpy(rest, p, n);
    free(hc->rest);
    hc->rest = rest;
    hc->rest_len = n;
    hc->paused = true;
    conn_pause(hc->c);
}

static void hconn_process(hconn_t *hc, const uint8_t *p, size_t n)
{
    size_t used = httpd_sess_feed(&hc->sess, p, n);
    if (hc->closing) return;
    if (httpd_sess_done(&hc->sess)) {
        conn_shutdown(hc->c); /* on_shutdown closes once the answer is out */
        hconn_arm(hc);
        return;
    }
    if (used < n || hc->full) hconn_keep_rest(hc, p + used, n - used);
    hconn_arm(hc);
}

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    hconn_t *hc = conn_data(c);
    if (hc->closing || httpd_sess_done(&hc->sess)) return;
    if (hc->paused) { /* bytes a backend still had after conn_pause: queue behind */
        uint8_t *grown = NULL;
        if (hc->rest_len + n <= 2 * HTTP_HEAD_MAX) grown = realloc(hc->rest, hc->rest_len + n);
        if (!grown) {
            hconn_close(hc);
            return;
        }
        memcpy(grown + hc->rest_len, p, n);
        hc->rest = grown;
        hc->rest_len += n;
        return;
    }
    hconn_process(hc, p, n);
}

static void on_drain(conn_t *c)
{
    hconn_t *hc = conn_data(c);
    hc->full = false;
    if (!hc->paused || hc->closing) return;
    uint8_t *rest = hc->rest;
    size_t n = hc->rest_len;
    hc->rest = NULL;
    hc->rest_len = 0;
    hc->paused = false;
    hconn_process(hc, rest, n);
    free(rest);
    if (!hc->paused && !hc->closing) conn_resume(c);
}

static void on_ready(conn_t *c, int status)
{
    hconn_t *hc = conn_data(c);
    if (status != 0) {
        char why[160];
        LOG_LIMITED(LOG_INFO, "%s TLS handshake failed peer=%s err=\"%s\"", hc->h->what, hc->peer,
                    LOG_ESCQ(conn_tls_error(c, why, sizeof why)));
        hconn_close(hc);
    }
}

static void on_eof(conn_t *c)
{
    hconn_close(conn_data(c));
}

static void on_shutdown(conn_t *c)
{
    hconn_close(conn_data(c));
}

static void on_error(conn_t *c, int err)
{
    hconn_t *hc = conn_data(c);
    LOG_D("%s connection failed peer=%s err=%s", hc->h->what, hc->peer, uv_strerror(err));
    hconn_close(hc);
}

static const conn_cbs_t hconn_cbs = {
    .on_ready = on_ready,
    .on_data = on_data,
    .on_eof = on_eof,
    .on_drain = on_drain,
    .on_shutdown = on_shutdown,
    .on_error = on_error,
    .on_close = on_conn_closed,
};

/* ---- the listener ------------------------------------------------------ */

static void on_accept(listener_t *l, conn_t *c, const struct sockaddr_storage *peer)
{
    httpd_t *h = l->data;
    hconn_t *hc = calloc(1, sizeof *hc);
    if (!hc) {
        listener_release(l);
        conn_close(c);
        return;
    }
    hc->h = h;
    hc->c = c;
    hc->counted = true;
    hc->open_handles = 2;
    addr_format((const struct sockaddr *)peer, hc->peer, sizeof hc->peer);
    uv_timer_init(h->loop, &hc->timer);
    hc->timer.data = hc;
    hc->next = h->conns;
    if (h->conns) h->conns->prev = hc;
    h->conns = hc;
    h->n_conns++;
    httpd_sess_init(&hc->sess, &h->site, hconn_out, hc, hc->peer);
    conn_set_cbs(c, &hconn_cbs, hc);
    int r = conn_start(c);
    if (r == 0 && h->tls) r = conn_tls_accept(c, h->tls, NULL, 0);
    if (r != 0) {
        hconn_close(hc);
        return;
    }
    hconn_arm(hc);
}

static void on_refused(listener_t *l, listener_refusal_t why, const struct sockaddr_storage *peer)
{
    httpd_t *h = l->data;
    char who[ADDR_STRLEN];
    addr_format((const struct sockaddr *)peer, who, sizeof who);
    LOG_ONCE_PER_WINDOW(LOG_WARN, "%s connection refused reason=%s limit=%d peer=%s", h->what,
                        why == LISTENER_REFUSED_TOTAL ? "too-many-connections" : "descriptors",
                        listener_live(l), who);
}

static void on_listener_closed(listener_t *l)
{
    httpd_t *h = l->data;
    h->listener_open = false;
    httpd_maybe_free(h);
}

static int resolve(const char *addr, int port, struct sockaddr_storage *ss)
{
    if (addr && strcmp(addr, "localhost") == 0) addr = "127.0.0.1";
    return addr_parse(addr && addr[0] ? addr : "0.0.0.0", port, ss);
}

static int httpd_setup(httpd_t *h, const httpd_opts_t *o)
{
    h->site.routes = o->routes;
    h->site.n_routes = o->n_routes;
    h->site.data = o->data;
    h->site.what = h->what;
    if (httpd_site_auth(&h->site, o->user, o->password) != 0) return UV_ENOMEM;
    if (o->tls_cert_file && o->tls_cert_file[0]) {
        h->tls = tlsc_server_ctx(o->tls_cert_file, o->tls_key_file, NULL, NULL, NULL);
        if (!h->tls) return UV_EINVAL;
    }
    struct sockaddr_storage ss;
    int r = resolve(o->addr, o->port, &ss);
    if (r != 0) {
        LOG_E("%s: bad listen address addr=%s", h->what, LOG_ESC(o->addr));
        return r;
    }
    const listener_opts_t lo = {
        .what = h->what,
        .max_live = o->max_conns > 0 ? o->max_conns : HTTPD_MAX_CONNS,
        .on_refused = on_refused,
    };
    r = listener_init(h->loop, &h->listener, &lo, on_accept, h);
    h->listener_open = true;
    if (r == 0) r = listener_listen(&h->listener, (const struct sockaddr *)&ss);
    if (r != 0)
        LOG_E("%s: cannot listen addr=%s port=%d err=%s", h->what, LOG_ESC(o->addr), o->port,
              uv_strerror(r));
    return r;
}

int httpd_create(uv_loop_t *loop, const httpd_opts_t *o, httpd_t **out)
{
    httpd_t *h = calloc(1, sizeof *h);
    if (!h) return UV_ENOMEM;
    h->loop = loop;
    h->what = strdup(o->what ? o->what : "httpd");
    h->request_ms = o->request_timeout_ms ? o->request_timeout_ms : HTTPD_REQUEST_TIMEOUT_MS;
    h->idle_ms = o->idle_timeout_ms ? o->idle_timeout_ms : HTTPD_IDLE_TIMEOUT_MS;
    int r = h->what ? httpd_setup(h, o) : UV_ENOMEM;
    if (r != 0) {
        httpd_destroy(h);
        return r;
    }
    LOG_I("%s listening addr=%s port=%d tls=%s auth=%s", h->what, LOG_ESC(o->addr), httpd_port(h),
          h->tls ? "yes" : "no", h->site.auth ? "basic" : "none");
    *out = h;
    return 0;
}

void httpd_destroy(httpd_t *h)
{
    if (!h || h->destroyed) return;
    h->destroyed = true;
    for (hconn_t *hc = h->conns; hc; hc = hc->next)
        hconn_close(hc);
    if (h->listener_open)
        listener_close(&h->listener, on_listener_closed);
    else
        httpd_maybe_free(h);
}

int httpd_port(const httpd_t *h)
{
    return listener_port(&h->listener);
}

int httpd_conns(const httpd_t *h)
{
    return h->n_conns;
}
