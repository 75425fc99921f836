/* vhost_http: the shared HTTP listener (vhostHTTPPort) and one "front" per
 * user connection.
 *
 * A front reads one request head at a time (http_head.c), routes it by Host
 * and path, checks basic auth, rewrites the head (Host, X-Forwarded-*,
 * requestHeaders.set) and sends it over a work conn of the owning client,
 * then streams the body verbatim while llhttp tracks its framing. The
 * response head is parsed too (responseHeaders.set, keep-alive, 101), its
 * body streamed back. Only then is the next request read: pipelined
 * requests wait, unparsed, in `stash` (at most one read), which keeps
 * responses in order. A work conn stays with the front while consecutive
 * requests go to the same site; another site gets another work conn. After
 * "101 Switching Protocols" the front becomes a plain relay.
 *
 * Every direction has backpressure: a destination holding more than
 * CONN_HIGH_WATER pauses its source until on_drain. Nothing a peer sends is
 * kept beyond one head (HTTP_HEAD_MAX) and one read.
 *
 * Ownership: the front is freed when its user conn, its work conn (while it
 * has one) and its timer are all closed (`ref`, util/ref.h): each holds a
 * reference, and a conn handed away (drop_work, a tunnel) drops its own.
 * A front waiting for a work conn embeds its request (`wreq`); front_close
 * withdraws it, so no pool callback reaches a closing front. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/http_err.h"
#include "http/http_head.h"
#include "http/http_rewrite.h"
#include "net/addr.h"
#include "net/src_limit.h"
#include "server/server_int.h"
#include "server/vhost_limits.h"
#include "util/log.h"

#define STASH_MAX (256 * 1024)
#define FINISH_TIMEOUT_MS 10000 /* for the peer to take our last bytes */

enum req_state { REQ_HEAD, REQ_WAIT_WORK, REQ_BODY, REQ_DONE };
enum resp_state { RESP_IDLE, RESP_HEAD, RESP_BODY, RESP_DONE };

typedef struct front {
    srv_t *srv;
    conn_t *user;
    conn_t *work;       /* current work conn, or NULL */
    vsite_t *site;      /* the current request's site (ref) */
    vsite_t *work_site; /* the site `work` belongs to (ref) */
    uv_timer_t timer;
    http_msg_t req, resp;
    enum req_state rq;
    enum resp_state rs;
    uint8_t *out; /* the rewritten request head, until a work conn takes it */
    size_t out_len;
    uint8_t *stash; /* unparsed input while the front may not read */
    size_t stash_len;
    bool closing;   /* everything is being closed */
    bool finishing; /* the last response is flushing; then we close */
    bool user_eof, work_full, user_full, consuming;
    work_req_t wreq; /* pending while the front waits for a work conn */
    bool req_keep_alive, head_method;
    bool head_started;           /* bytes of the current request head have come */
    ref_t ref;                   /* user conn + timer + the work conn while there is one */
    struct sockaddr_storage src; /* counted in srv->http_srcs until freed */
    char peer[64], ip[64], local[64];
    struct front *prev, *next; /* in srv->fronts */
    pstat_t *counted;          /* the proxy's counters while `work` counts as a connection there */
} front_t;

static const conn_cbs_t none_cbs = {0};
static void consume(front_t *f, const uint8_t *p, size_t n);
static void drop_work(front_t *f);

/* The work conn no longer counts as a connection of its proxy (dashboard). */
static void uncount(front_t *f)
{
    if (f->counted) pstat_conn_close(f->counted);
    f->counted = NULL;
}

/* ---- lifetime ----------------------------------------------------------- */

static void front_release(ref_t *r)
{
    front_t *f = REF_OWNER(r, front_t, ref);
    if (f->prev)
        f->prev->next = f->next;
    else
        f->srv->fronts = f->next;
    if (f->next) f->next->prev = f->prev;
    vhost_release(&f->srv->http_listener, f->srv->http_srcs, &f->src);
    uncount(f);
    vsite_unref(f->site);
    vsite_unref(f->work_site);
    http_msg_free(&f->req);
    http_msg_free(&f->resp);
    free(f->out);
    free(f->stash);
    free(f);
}

static void on_timer_closed(uv_handle_t *h)
{
    front_t *f = h->data;
    ref_drop(&f->ref);
}

static bool dead(const front_t *f)
{
    return f->closing || f->finishing;
}

static void stop_waiting(front_t *f)
{
    work_pool_withdraw(&f->wreq); /* no callback after this */
}

/* Ends everything now (errors, resets). */
static void front_close(front_t *f)
{
    if (!f->closing) {
        f->closing = true;
        stop_waiting(f);
        uv_timer_stop(&f->timer);
        uv_close((uv_handle_t *)&f->timer, on_timer_closed);
    }
    if (f->user) conn_close(f->user);
    if (f->work) conn_close(f->work);
}

static void on_timer(uv_timer_t *t);

/* Sends what is queued, then FIN; closes once that is out (on_shutdown) or
 * after FINISH_TIMEOUT_MS, whichever is first. */
static void front_finish(front_t *f)
{
    drop_work(f);
    if (dead(f)) return;
    if (!f->user) {
        front_close(f);
        return;
    }
    f->finishing = true;
    stop_waiting(f);
    uv_timer_start(&f->timer, on_timer, FINISH_TIMEOUT_MS, 0);
    conn_pause(f->user);
    conn_shutdown(f->user);
}

/* The access log's line for the request in f->req, answered with status
 * (only once its head was read: a malformed or slow head has no method). */
static void log_access(front_t *f, int status)
{
    const http_head_t *h = &f->req.head;
    if (!f->srv->access.on || f->req.reported < HTTP_EV_HEAD) return;
    const sproxy_t *p = f->site ? f->site->p : NULL;
    access_log_http(f->srv, p ? p->name : NULL, f->peer,
                    llhttp_method_name((llhttp_method_t)h->method), http_head_get(h, "Host"),
                    http_str(h, h->target), status);
}

static void send_error(front_t *f, int status)
{
    log_access(f, status);
    size_t len;
    const char *body = status == 404 ? f->srv->page_404 : NULL;
    char *r = http_err_response(status, body, body ? f->srv->page_404_len : 0, &len);
    LOG_LIMITED(LOG_DEBUG, "http error status=%d peer=%s", status, f->peer);
    srv_stats_vhost_status(&f->srv->stats, status);
    /* Ignored: an error page that cannot be written changes nothing, since the
     * front closes the connection after it either way. */
    if (r && f->user && !dead(f)) (void)conn_write(f->user, r, len);
    free(r);
    front_finish(f);
}

/* Forgets the work conn (route change, end of a non-reusable exchange). */
static void drop_work(front_t *f)
{
    if (!f->work) return;
    conn_t *w = f->work;
    f->work = NULL;
    conn_set_cbs(w, &none_cbs, NULL);
    conn_close(w);
    ref_drop(&f->ref); /* its close will not reach us; the timer's ref remains */
    uncount(f);
    vsite_unref(f->work_site);
    f->work_site = NULL;
    f->work_full = false;
}

/* ---- reading control ---------------------------------------------------- */

/* The user conn is read only while a request is being read and the work
 * conn has room; the work conn only while the user conn has room. */
static void update_reading(front_t *f)
{
    if (dead(f)) return;
    bool user_ok = !f->stash && !f->work_full && (f->rq == REQ_HEAD || f->rq == REQ_BODY);
    if (f->user) user_ok ? conn_resume(f->user) : conn_pause(f->user);
    if (f->work) f->user_full ? conn_pause(f->work) : conn_resume(f->work);
}

static void stash_rest(front_t *f, const uint8_t *p, size_t n)
{
    if (n == 0) return;
    if (f->stash_len + n > STASH_MAX) {
        front_close(f);
        return;
    }
    uint8_t *s = realloc(f->stash, f->stash_len + n);
    if (!s) {
        front_close(f);
        return;
    }
    memmove(s + f->stash_len, p, n);
    f->stash = s;
    f->stash_len += n;
}

/* Feeds what waited in the stash (a pipelined request, early body bytes);
 * with nothing stashed, this still collects the parser's pending event
 * (the end of a request without a body). */
static void drain_stash(front_t *f)
{
    static const uint8_t nothing[1];
    uint8_t *s = f->stash;
    size_t n = f->stash_len;
    f->stash = NULL;
    f->stash_len = 0;
    /* consume() advances its pointer by what it used; with no stash that
     * pointer must still point at something (NULL + 0 is undefined). */
    consume(f, s ? s : nothing, n);
    free(s);
    update_reading(f);
}

/* ---- writing ------------------------------------------------------------ */

static void arm_timer(front_t *f, uint64_t ms)
{
    if (!dead(f)) uv_timer_start(&f->timer, on_timer, ms, 0);
}

static void arm_response_timer(front_t *f)
{
    arm_timer(f, (uint64_t)f->srv->cfg->vhost_http_timeout * 1000);
}

static void work_gone(front_t *f);

/* The counters of the proxy the work conn serves, or NULL (dashboard). */
static pstat_t *work_stats(const front_t *f)
{
    return f->work_site && f->work_site->p ? f->work_site->p->st : NULL;
}

static void count(const front_t *f, int dir, size_t n)
{
    pstat_t *st = work_stats(f);
    if (st) pstat_add(st, dir, n, (int64_t)time(NULL));
}

static void to_work(front_t *f, const void *p, size_t n)
{
    if (!f->work || n == 0) return;
    count(f, PSTAT_IN, n);
    /* The answer is awaited from the last byte of the request on. */
    if (f->rs == RESP_HEAD) arm_response_timer(f);
    int r = conn_write(f->work, p, n);
    if (r < 0) {
        work_gone(f); /* 502 when nothing was answered yet */
        return;
    }
    if (r > 0) f->work_full = true;
}

static void to_user(front_t *f, const void *p, size_t n)
{
    if (!f->user || n == 0) return;
    count(f, PSTAT_OUT, n);
    int r = conn_write(f->user, p, n);
    if (r < 0) {
        front_close(f);
        return;
    }
    if (r > 0) f->user_full = true;
}

/* ---- the request side --------------------------------------------------- */

static void send_head(front_t *f)
{
    uint8_t *out = f->out;
    f->out = NULL;
    f->rq = REQ_BODY;
    f->rs = RESP_HEAD;
    f->resp.skip_body = f->head_method;
    arm_response_timer(f);
    to_work(f, out, f->out_len);
    free(out);
    f->out_len = 0;
}

static void on_work(work_req_t *req, conn_t *work);
static void on_no_work(work_req_t *req, int reason);

static void want_work(front_t *f)
{
    vsite_t *v = f->site;
    sproxy_t *p = vsite_pick(v); /* a load-balancing group's next member */
    if (!p || !p->sess) {
        send_error(f, 502);
        return;
    }
    f->rq = REQ_WAIT_WORK;
    work_req_init(&f->wreq, on_work, on_no_work, f, f->peer, f->local);
    session_request_work(p->sess, p, &f->wreq);
}

/* What a reverse proxy must not pass on ambiguously: a target that is not a
 * path (absolute-form could name another host than Host, RFC 9112 §3.2.2),
 * CONNECT, or more than one Host header. */
static bool acceptable(const http_head_t *h)
{
    const char *target = http_str(h, h->target);
    int hosts = 0;
    for (int i = 0; i < h->n_hdr; i++)
        if (strcasecmp(http_str(h, h->hdr[i].name), "Host") == 0) hosts++;
    if (hosts > 1 || h->method == HTTP_CONNECT) return false;
    if (hosts == 0 && !(h->major == 1 && h->minor == 0)) return false;
    return target[0] == '/' || (h->method == HTTP_OPTIONS && strcmp(target, "*") == 0);
}

static void on_request_head(front_t *f)
{
    const http_head_t *h = &f->req.head;
    const char *host = http_head_get(h, "Host");
    vsite_unref(f->site); /* the last request's; answers below name this one's */
    f->site = NULL;
    if (!acceptable(h)) {
        send_error(f, 400);
        return;
    }
    vsite_t *v = http_routes_find(&f->srv->http_routes, host, http_str(h, h->target));
    if (!v) {
        send_error(f, 404);
        return;
    }
    f->site = vsite_ref(v);
    if (v->user && !http_basic_auth_ok(h, v->user, v->password ? v->password : "")) {
        send_error(f, 401);
        return;
    }
    f->req_keep_alive = h->keep_alive;
    f->head_method = h->method == HTTP_HEAD;
    http_rewrite_t rw = {v->host_rewrite, &v->req_set, &v->resp_set, NULL};
    f->out = (uint8_t *)http_rewrite_request(h, &rw, f->ip, &f->out_len);
    if (!f->out) {
        front_close(f);
        return;
    }
    arm_response_timer(f);
    if (f->work && f->work_site == v) {
        send_head(f);
        return;
    }
    drop_work(f);
    want_work(f);
}

static void bad_request(front_t *f, long err)
{
    if (f->rq == REQ_HEAD)
        send_error(f, err == HTTP_ERR_TOO_LARGE ? 431 : 400);
    else
        front_close(f); /* a broken body: nothing sensible to answer */
}

static void next_request(front_t *f);

/* Parses and forwards user bytes; what may not be handled now is stashed. */
static void consume(front_t *f, const uint8_t *p, size_t n)
{
    bool next = false;
    if (f->rq == REQ_HEAD && n > 0) f->head_started = true;
    f->consuming = true;
    while (!dead(f)) {
        if (f->rq == REQ_WAIT_WORK || f->rq == REQ_DONE) {
            stash_rest(f, p, n);
            break;
        }
        int ev;
        long used = http_msg_feed(&f->req, p, n, &ev);
        if (used < 0) {
            bad_request(f, used);
            break;
        }
        if (f->rq == REQ_BODY) to_work(f, p, (size_t)used);
        p += used;
        n -= (size_t)used;
        if (ev == HTTP_EV_HEAD) {
            on_request_head(f);
        } else if (ev == HTTP_EV_END) {
            f->rq = REQ_DONE;
            if (f->rs == RESP_DONE) { /* answered before the body ended */
                stash_rest(f, p, n);
                next = true;
                break;
            }
        } else if (n == 0) {
            break;
        }
    }
    f->consuming = false;
    if (next) next_request(f);
}

/* ---- the response side -------------------------------------------------- */

static void next_request(front_t *f)
{
    if (!f->req_keep_alive || f->user_eof) {
        front_finish(f);
        return;
    }
    http_msg_next(&f->req);
    http_msg_next(&f->resp);
    f->rq = REQ_HEAD;
    f->rs = RESP_IDLE;
    f->head_method = false;
    f->head_started = false;
    arm_timer(f, (uint64_t)f->srv->http_head_timeout_ms);
    if (f->stash)
        drain_stash(f);
    else
        update_reading(f);
}

/* "101 Switching Protocols" to an Upgrade request: from now on bytes flow
 * untouched both ways. */
static void become_tunnel(front_t *f, const uint8_t *rest, size_t rest_len)
{
    conn_t *u = f->user, *w = f->work;
    to_user(f, rest, rest_len);
    f->user = f->work = NULL;
    ref_drop(&f->ref); /* the relay owns both conns now: their closes */
    ref_drop(&f->ref); /* will not reach us; the timer's ref remains */
    sproxy_t *p = f->work_site ? f->work_site->p : NULL;
    uncount(f); /* the tunnel counts itself */
    vsite_unref(f->work_site);
    f->work_site = NULL;
    uint8_t *early = f->stash;
    size_t early_len = f->stash_len;
    f->stash = NULL;
    f->stash_len = 0;
    sproxy_relay_counted(f->srv, p, u, w, early, early_len, "http upgrade");
    free(early);
    front_close(f);
}

static void on_response_head(front_t *f, const uint8_t *rest, size_t rest_len, bool *stop)
{
    const http_head_t *h = &f->resp.head;
    size_t len;
    char *out = http_rewrite_response(h, f->site ? &f->site->resp_set : NULL, &len);
    if (!out) {
        front_close(f);
        *stop = true;
        return;
    }
    srv_stats_vhost_status(&f->srv->stats, h->status);
    if (h->status >= 200 || h->status == 101) log_access(f, h->status);
    to_user(f, out, len);
    free(out);
    uv_timer_stop(&f->timer);
    if (h->status == 101 && f->req.head.upgrade) {
        become_tunnel(f, rest, rest_len);
        *stop = true;
        return;
    }
    f->rs = RESP_BODY;
}

static void on_response_end(front_t *f)
{
    const http_head_t *h = &f->resp.head;
    if (h->status >= 100 && h->status < 200) { /* 100 Continue and friends */
        http_msg_next(&f->resp);
        f->resp.skip_body = f->head_method;
        f->rs = RESP_HEAD;
        arm_response_timer(f);
        return;
    }
    f->rs = RESP_DONE;
    if (!h->keep_alive) {
        drop_work(f);
        f->req_keep_alive = false;
    }
    if (f->rq == REQ_DONE) next_request(f);
}

static void on_work_data(conn_t *c, const uint8_t *p, size_t n)
{
    front_t *f = conn_data(c);
    while (!dead(f) && f->work == c) {
        if (f->rs == RESP_IDLE || f->rs == RESP_DONE) {
            if (n) drop_work(f); /* nothing may come between responses */
            return;
        }
        int ev;
        long used = http_msg_feed(&f->resp, p, n, &ev);
        if (used < 0) {
            LOG_LIMITED(LOG_DEBUG, "bad response from local service peer=%s", f->peer);
            if (f->rs == RESP_HEAD) {
                drop_work(f);
                send_error(f, 502);
            } else {
                front_close(f);
            }
            return;
        }
        if (f->rs == RESP_BODY) to_user(f, p, (size_t)used);
        p += used;
        n -= (size_t)used;
        if (ev == HTTP_EV_HEAD) {
            bool stop = false;
            on_response_head(f, p, n, &stop);
            if (stop) return;
        } else if (ev == HTTP_EV_END) {
            /* 1xx: the real answer follows on the same conn. */
            bool interim = f->resp.head.status < 200;
            if (n > 0 && !interim) drop_work(f); /* bytes beyond the response */
            on_response_end(f);
            if (!interim) break;
        } else if (n == 0) {
            break;
        }
    }
    update_reading(f);
}

static void work_gone(front_t *f)
{
    enum resp_state rs = f->rs;
    LOG_LIMITED(LOG_DEBUG, "http work connection ended peer=%s request=%d response=%d", f->peer,
                f->rq, rs);
    if (dead(f)) {
        drop_work(f);
        return;
    }
    if (rs == RESP_BODY && http_msg_finish(&f->resp) == 1) { /* body ran until EOF */
        f->req_keep_alive = false;
        drop_work(f);
        f->rs = RESP_DONE;
        front_finish(f);
        return;
    }
    drop_work(f);
    if (rs == RESP_HEAD)
        send_error(f, 502);
    else if (rs == RESP_BODY)
        front_close(f); /* cut short: the user must see an error, not a short body */
}

static void on_work_eof(conn_t *c)
{
    work_gone(conn_data(c));
}

static void on_work_error(conn_t *c, int err)
{
    (void)err;
    work_gone(conn_data(c));
}

static void on_work_drain(conn_t *c)
{
    front_t *f = conn_data(c);
    f->work_full = false;
    update_reading(f);
}

static void on_work_close(conn_t *c)
{
    front_t *f = conn_data(c);
    if (f->work == c) {
        f->work = NULL;
        uncount(f);
        vsite_unref(f->work_site);
        f->work_site = NULL;
    }
    ref_drop(&f->ref);
}

static const conn_cbs_t work_cbs = {
    .on_data = on_work_data,
    .on_eof = on_work_eof,
    .on_drain = on_work_drain,
    .on_error = on_work_error,
    .on_close = on_work_close,
};

/* The work pool delivered the work conn this front asked for. */
static void on_work(work_req_t *req, conn_t *work)
{
    front_t *f = req->data;
    if (dead(f) || f->rq != REQ_WAIT_WORK) {
        conn_close(work);
        return;
    }
    f->work = work;
    f->work_site = vsite_ref(f->site);
    f->counted = work_stats(f); /* a connection of its proxy while it serves this front */
    if (f->counted) pstat_conn_open(f->counted);
    ref_hold(&f->ref); /* dropped by the work conn's close, or by drop_work */
    conn_set_cbs(work, &work_cbs, f);
    send_head(f);
    if (!f->consuming) drain_stash(f);
    update_reading(f);
}

/* No work conn will come (reported from the loop, never re-entrantly). */
static void on_no_work(work_req_t *req, int reason)
{
    front_t *f = req->data;
    LOG_LIMITED(LOG_DEBUG, "http request got no work connection peer=%s reason=%s", f->peer,
                work_cancel_reason_name(reason));
    if (!dead(f)) send_error(f, 502);
}

/* ---- the user side ------------------------------------------------------ */

static void on_timer(uv_timer_t *t)
{
    front_t *f = t->data;
    if (f->finishing) {
        front_close(f);
        return;
    }
    if (f->rs == RESP_HEAD || f->rq == REQ_WAIT_WORK) {
        LOG_LIMITED(LOG_INFO, "http backend timeout peer=%s site=%s", f->peer,
                    LOG_ESC(f->site && f->site->p ? f->site->p->name : NULL));
        drop_work(f);
        send_error(f, 504);
        return;
    }
    if (f->rq == REQ_HEAD && f->head_started) {
        LOG_LIMITED(LOG_INFO, "http request head too slow peer=%s", f->peer);
        send_error(f, 408);
        return;
    }
    front_close(f); /* an idle connection: closed without a word */
}

static void on_user_data(conn_t *c, const uint8_t *p, size_t n)
{
    front_t *f = conn_data(c);
    if (f->stash) {
        stash_rest(f, p, n);
        update_reading(f);
        return;
    }
    consume(f, p, n);
    update_reading(f);
}

static void on_user_eof(conn_t *c)
{
    front_t *f = conn_data(c);
    f->user_eof = true;
    /* A request still being answered completes first; otherwise we are done. */
    if (f->rq == REQ_HEAD && f->rs != RESP_HEAD && f->rs != RESP_BODY)
        front_close(f);
    else if (f->rq == REQ_BODY)
        front_close(f); /* the body was cut short */
}

static void on_user_error(conn_t *c, int err)
{
    (void)err;
    front_close(conn_data(c));
}

static void on_user_drain(conn_t *c)
{
    front_t *f = conn_data(c);
    f->user_full = false;
    update_reading(f);
}

static void on_user_shutdown(conn_t *c)
{
    front_t *f = conn_data(c);
    front_close(f);
}

static void on_user_close(conn_t *c)
{
    front_t *f = conn_data(c);
    f->user = NULL;
    front_close(f);
    ref_drop(&f->ref);
}

static const conn_cbs_t user_cbs = {
    .on_data = on_user_data,
    .on_eof = on_user_eof,
    .on_drain = on_user_drain,
    .on_shutdown = on_user_shutdown,
    .on_error = on_user_error,
    .on_close = on_user_close,
};

static void on_accept(listener_t *l, conn_t *u, const struct sockaddr_storage *src)
{
    srv_t *s = l->data;
    if (!vhost_admit(l, u, s->http_srcs, VHOST_FRONTS_PER_SOURCE, src)) return;
    front_t *f = calloc(1, sizeof *f);
    if (!f) {
        conn_close(u);
        vhost_release(l, s->http_srcs, src);
        return;
    }
    conn_set_cbs(u, &user_cbs, f);
    f->srv = s;
    f->next = s->fronts;
    if (s->fronts) s->fronts->prev = f;
    s->fronts = f;
    f->user = u;
    f->src = *src;
    ref_init(&f->ref, 2, front_release); /* user conn + timer */
    http_msg_init(&f->req, HTTP_REQUEST);
    http_msg_init(&f->resp, HTTP_RESPONSE);
    uv_timer_init(s->loop, &f->timer);
    f->timer.data = f;
    conn_start(u);
    snprintf(f->peer, sizeof f->peer, "%s", conn_peer(u));
    addr_ip((const struct sockaddr *)src, f->ip, sizeof f->ip);
    server_local_addr(u, f->local, sizeof f->local);
    arm_timer(f, (uint64_t)f->srv->http_head_timeout_ms);
}

void vhost_fronts_close(srv_t *s)
{
    for (front_t *f = s->fronts; f; f = f->next)
        front_close(f);
}

/* ---- accepting under the caps (vhost_limits.h) ---------------------------- */

enum { CAP_NONE = -1, CAP_DESCRIPTORS, CAP_TOTAL, CAP_SOURCES, CAP_PER_SOURCE, CAP_COUNT };
static const char *const cap_names[CAP_COUNT] = {"descriptors", "total", "sources", "per-source"};

/* One WARN line when a cap starts refusing, then at most one per
 * VHOST_CAP_LOG_MS per listener and cap, counting what it left unsaid. */
static void log_refusal(srv_t *s, listener_t *l, int cap, const struct sockaddr_storage *ss)
{
    static struct {
        uint64_t last;
        unsigned quiet;
        bool once;
    } rl[2][CAP_COUNT];
    int https = l == &s->https_listener;
    uint64_t now = uv_now(s->loop);
    if (rl[https][cap].once && now - rl[https][cap].last < VHOST_CAP_LOG_MS) {
        rl[https][cap].quiet++;
        return;
    }
    char ip[ADDR_STRLEN];
    addr_ip((const struct sockaddr *)ss, ip, sizeof ip);
    LOG_W("%s connection refused cap=%s held=%d max=%d per_source_max=%d peer=%s "
          "refused_unlogged=%u",
          https ? "https vhost" : "http vhost", cap_names[cap], listener_live(l),
          https ? VHOST_HELLOS_MAX : VHOST_FRONTS_MAX,
          https ? VHOST_HELLOS_PER_SOURCE : VHOST_FRONTS_PER_SOURCE, ip, rl[https][cap].quiet);
    rl[https][cap].once = true;
    rl[https][cap].last = now;
    rl[https][cap].quiet = 0;
}

static void on_refused(listener_t *l, listener_refusal_t why, const struct sockaddr_storage *ss)
{
    log_refusal(l->data, l, why == LISTENER_REFUSED_DESCRIPTORS ? CAP_DESCRIPTORS : CAP_TOTAL, ss);
}

bool vhost_admit(listener_t *l, conn_t *c, src_limit_t *srcs, int max_per_source,
                 const struct sockaddr_storage *ss)
{
    int n = src_limit_acquire(srcs, (const struct sockaddr *)ss), cap = CAP_NONE;
    if (n < 0) cap = CAP_SOURCES;
    if (n > max_per_source) {
        src_limit_release(srcs, (const struct sockaddr *)ss);
        cap = CAP_PER_SOURCE;
    }
    if (cap == CAP_NONE) return true;
    listener_release(l);
    log_refusal(l->data, l, cap, ss);
    conn_close(c);
    return false;
}

void vhost_release(listener_t *l, src_limit_t *srcs, const struct sockaddr_storage *src)
{
    listener_release(l);
    src_limit_release(srcs, (const struct sockaddr *)src);
}

/* ---- the listener -------------------------------------------------------- */

int vhost_listen(srv_t *s, listener_t *l, int port, listener_conn_cb cb, int max_total,
                 const char *what)
{
    struct sockaddr_storage ss;
    const listener_opts_t opts = {
        .what = what,
        .max_live = max_total,
        .fd_reserve = VHOST_FD_RESERVE,
        .on_refused = on_refused,
    };
    int r = listener_init(s->loop, l, &opts, cb, s);
    if (r == 0) r = ports_bind_addr(s->cfg, port, &ss);
    if (r == 0) r = listener_listen(l, (struct sockaddr *)&ss);
    if (r != 0) {
        LOG_E("cannot listen for %s port=%d err=%s", what, port, uv_strerror(r));
        listener_close(l, NULL);
        return r;
    }
    LOG_I("%s listening port=%d", what, port);
    vhost_tombs_start(s);
    return 0;
}

int vhost_http_start(srv_t *s)
{
    if (!s->http_srcs && !(s->http_srcs = src_limit_create(VHOST_SOURCES_MAX))) return -1;
    int r = vhost_listen(s, &s->http_listener, s->cfg->vhost_http_port, on_accept, VHOST_FRONTS_MAX,
                         "http vhost");
    s->http_on = r == 0;
    return r;
}

void vhost_stop(srv_t *s)
{
    if (s->http_on) listener_close(&s->http_listener, NULL);
    if (s->https_on) listener_close(&s->https_listener, NULL);
    s->http_on = s->https_on = false;
    vhost_tombs_stop(s);
}
