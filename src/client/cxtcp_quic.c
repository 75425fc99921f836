/* cxtcp_quic: one xtcp pair's QUIC connection (client_int.h, net/quic.h).
 *
 * The rendezvous gave each side the peer's certificate fingerprint (covered
 * by the peer's proof, p2p/punch_pkt.h) and a grant for its side of the
 * server's UDP relay (proto/relay_grant.h). cxq_start binds the relay
 * (p2p/relay_path.h) and, once BOUND, opens QUIC on it: the visitor as
 * client, the owner as server. So a user connection can ride QUIC within
 * the first round trips, before any punching is done ("path=relay"). When
 * the punch yields a direct path, cxq_add_direct hands it to QUIC, and the
 * visitor migrates (RFC 9000 section 9): streams go on ("path=direct").
 * A punched TCP connection comes the same way, framed as a dgram_path
 * (net/dgram_tcp.h, "path=direct-tcp"): QUIC's TLS 1.3 with the pinned
 * fingerprints is what secures it. With both, the visitor prefers UDP
 * direct, then TCP direct, then the relay (DGRAM_PREF_*), and when one
 * dies quic.c moves to the best one left by itself. A direct path that
 * comes before the relay is bound (UDP to the server slow or blocked)
 * starts QUIC on itself; the relay, if it binds later, is the fallback.
 *
 * Owner: each stream the visitor opens is one user connection. A QUIC peer
 * learns of a stream only with its first byte, and many services speak
 * first (SSH), so the visitor writes CXQ_STREAM_HELLO at once; the owner
 * reads it, holds the stream paused (what came after the byte, at most
 * CXQ_EARLY_MAX, kept) while it dials the proxy's local service, then joins
 * the two (tunnels_relay, net/relay.c) - never before the hello is read:
 * the stream may be announced by a later packet (its first one lost, or
 * overtaken while paths change), and the service must not get the hello.
 *
 * Ownership: the pair owns the cxq_t. It owns its identity, its relay path
 * and its quic_t; the direct paths are borrowed (the punch's, the pair's TCP
 * path) until cxq_remove_direct or cxq_close (which remove them from QUIC
 * at once). cxq_close's cb runs when the QUIC connection and the relay
 * path have closed; cxq is freed then.
 * Without QUIC (BURROW_STATIC) this file is empty stubs. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/dgram_path.h"
#include "p2p/punch_pkt.h"
#include "proto/relay_grant.h"

#ifdef BURROW_HAVE_QUIC

#include "net/quic.h"
#include "p2p/relay_path.h"
#include "util/log.h"

/* How often, and how long, the log waits to see a migration through. */
#define CXQ_WATCH_MS 20
#define CXQ_WATCH_MAX_MS 5000
/* A stream's first byte (the visitor's), then the user's bytes. */
#define CXQ_STREAM_HELLO 0x01
/* Owner: bytes read past the hello before the local service answers. */
#define CXQ_EARLY_MAX (64 * 1024)
/* Direct paths at once: the UDP punch's and the TCP one. */
#define CXQ_DIRECT_MAX 2

struct cxq {
    cli_t *cli;
    bool visitor;
    bool closing;
    quic_id_t *id;
    uint8_t fp[QUIC_FP_LEN], peer_fp[QUIC_FP_LEN];
    char label[192];
    struct sockaddr_storage local;        /* owner: the service streams are joined to */
    dgram_path_t *relay;                  /* owned; NULL until opened / once closed */
    dgram_path_t *direct[CXQ_DIRECT_MAX]; /* borrowed; NULL: free slot */
    const char *watch_kind;               /* the best direct kind, logged once in use */
    quic_t *q;                            /* owned */
    bool ready;
    bool was_ready;   /* on_ready(0) came once */
    bool failed;      /* no relay, a failed handshake, or the connection ended */
    bool started;     /* cxq_start had the peer's fp and a grant */
    bool relay_bound; /* the relay path reported ready(0) */
    uv_timer_t watch; /* logs the move to direct */
    uint64_t t_start, t_direct;
    int open; /* handles not yet closed: watch, relay, q */
    void (*closed_cb)(void *arg);
    void *closed_arg;
    void (*news_cb)(void *arg); /* the pair's: QUIC ready, its path changed, or gone for good */
    void *news_arg;
};

/* QUIC will not carry this pair (any more): tell the pair, once. */
static void cxq_fail(cxq_t *x)
{
    if (x->failed) return;
    x->failed = true;
    x->ready = false;
    if (x->news_cb && !x->closing) x->news_cb(x->news_arg);
}

/* ---- life --------------------------------------------------------------- */

static void cxq_release(cxq_t *x)
{
    if (--x->open > 0) return;
    quic_id_free(x->id);
    void (*cb)(void *) = x->closed_cb;
    void *arg = x->closed_arg;
    free(x);
    if (cb) cb(arg);
}

static void on_watch_closed(uv_handle_t *h)
{
    cxq_release(h->data);
}

static void on_relay_closed(dgram_path_t *p, void *arg)
{
    (void)p;
    cxq_release(arg);
}

static void on_quic_closed(quic_t *q, void *arg)
{
    cxq_t *x = arg;
    (void)q;
    x->q = NULL;
    if (x->relay) x->relay->ops->close(x->relay, on_relay_closed, x);
    x->relay = NULL;
    cxq_release(x);
}

cxq_t *cxq_new(cli_t *c, bool visitor, void (*news)(void *arg), void *arg)
{
    int err = 0;
    cxq_t *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->id = quic_id_new(&err);
    if (!x->id) {
        LOG_W("xtcp quic identity failed err=%s", uv_strerror(err));
        free(x);
        return NULL;
    }
    quic_id_fingerprint(x->id, x->fp);
    x->cli = c;
    x->visitor = visitor;
    x->news_cb = news;
    x->news_arg = arg;
    uv_timer_init(c->loop, &x->watch);
    x->watch.data = x;
    x->open = 1;
    return x;
}

const uint8_t *cxq_fp(const cxq_t *x)
{
    return x->fp;
}

bool cxq_ready(const cxq_t *x)
{
    return x && x->ready && !x->closing;
}

bool cxq_pending(const cxq_t *x)
{
    return x && !x->ready && !x->failed && !x->closing;
}

const char *cxq_path(const cxq_t *x, uint64_t *rtt_us)
{
    quic_info_t i;
    *rtt_us = 0;
    if (!cxq_ready(x) || !x->q) return NULL;
    quic_get_info(x->q, &i);
    *rtt_us = i.rtt_us;
    return i.path_kind; /* "relay" or "direct" */
}

bool cxq_ended(const cxq_t *x)
{
    return x && x->was_ready && x->failed;
}

void cxq_close(cxq_t *x, void (*cb)(void *arg), void *arg)
{
    if (!x || x->closing) return;
    x->closing = true;
    x->closed_cb = cb;
    x->closed_arg = arg;
    for (int i = 0; i < CXQ_DIRECT_MAX; i++)
        x->direct[i] = NULL; /* quic_close lets go of every path at once */
    uv_close((uv_handle_t *)&x->watch, on_watch_closed);
    if (x->q) {
        quic_close(x->q, on_quic_closed, x); /* then the relay path */
    } else if (x->relay) {
        x->relay->ops->close(x->relay, on_relay_closed, x);
        x->relay = NULL;
    }
}

/* ---- the owner's streams ------------------------------------------------ */

typedef struct ostream {
    cxq_t *x;
    conn_t *stream, *local;
    bool hello;       /* CXQ_STREAM_HELLO read */
    bool local_ready; /* the service answered before the hello came */
    uint8_t *early;
    size_t early_len;
} ostream_t;

static void os_free(ostream_t *o)
{
    free(o->early);
    free(o);
}

static void os_join(ostream_t *o);

static void os_stream_data(conn_t *c, const uint8_t *p, size_t n)
{
    ostream_t *o = conn_data(c);
    if (!o->hello && n > 0) {
        if (p[0] != CXQ_STREAM_HELLO) {
            conn_abort(c);
            return;
        }
        o->hello = true;
        p++, n--;
    }
    uint8_t *e = o->early_len + n <= CXQ_EARLY_MAX ? realloc(o->early, o->early_len + n + 1) : NULL;
    if (!e) {
        conn_abort(c);
        return;
    }
    memcpy(e + o->early_len, p, n);
    o->early = e;
    o->early_len += n;
    if (o->local_ready) { /* the service was waiting for the hello */
        os_join(o);       /* o is gone; the relay reads on */
        return;
    }
    conn_pause(c); /* until the local service answers; the relay resumes it */
}

static void os_stream_error(conn_t *c, int err)
{
    ostream_t *o = conn_data(c);
    conn_t *local = o->local;
    (void)err;
    /* o may be freed by either close (whichever on_close runs last): not
     * touched after them */
    if (local) conn_close(local);
    conn_close(c);
}

static void os_stream_close(conn_t *c)
{
    ostream_t *o = conn_data(c);
    o->stream = NULL;
    if (!o->local) os_free(o);
}

static const conn_cbs_t os_stream_cbs = {
    .on_data = os_stream_data, .on_error = os_stream_error, .on_close = os_stream_close};

static void os_local_close(conn_t *c)
{
    ostream_t *o = conn_data(c);
    o->local = NULL;
    if (!o->stream) os_free(o);
}

/* Joins the stream to the service (the hello read, the service up): what
 * came after the hello goes first. Frees o. */
static void os_join(ostream_t *o)
{
    static const conn_cbs_t none = {0};
    conn_t *s = o->stream, *local = o->local;
    conn_set_cbs(s, &none, NULL);
    conn_set_cbs(local, &none, NULL);
    tunnels_relay(&o->x->cli->tunnels, s, local, o->early, o->early_len, "xtcp");
    os_free(o);
}

static void os_local_ready(conn_t *local, int status)
{
    ostream_t *o = conn_data(local);
    cxq_t *x = o->x;
    if (status != 0 || !o->stream) {
        conn_t *stream = o->stream;
        LOG_LIMITED(LOG_WARN, "xtcp local connect failed proxy=%s err=%s", LOG_ESC(x->label),
                    uv_strerror(status));
        conn_close(local); /* o may be gone after these */
        if (stream) conn_close(stream);
        return;
    }
    /* The stream may be known before its first byte arrived (a later packet
     * came first: loss, or the two paths of a migration reordering them):
     * the relay must not start before the hello is taken off, or the
     * service would read it. */
    if (!o->hello) {
        o->local_ready = true;
        conn_pause(local); /* a service that speaks first waits too */
        return;            /* os_stream_data joins them at the hello */
    }
    os_join(o);
}

static const conn_cbs_t os_local_cbs = {.on_ready = os_local_ready, .on_close = os_local_close};

/* ---- the owner's streams to a plugin (plugin/plugin.h) ------------------ */

/* A stream waiting for its hello, of a proxy with a plugin: the proxy is
 * looked up again by name when the hello comes (a reload may have removed
 * it meanwhile). Freed at the hand-over or when the stream closes first. */
typedef struct pstream {
    cli_t *cli;
    char proxy[192]; /* wire name */
} pstream_t;

static const cproxy_t *owner_proxy(cli_t *c, const char *wire_name)
{
    for (int i = 0; i < c->n_proxies; i++)
        if (strcmp(c->proxies[i]->wire_name, wire_name) == 0) return c->proxies[i];
    return NULL;
}

static void ps_data(conn_t *c, const uint8_t *p, size_t n)
{
    static const conn_cbs_t none = {0};
    pstream_t *ps = conn_data(c);
    const cproxy_t *px = owner_proxy(ps->cli, ps->proxy);
    if (n == 0) return;
    if (p[0] != CXQ_STREAM_HELLO || !px || !px->plugin) {
        conn_abort(c); /* ps_close frees ps */
        return;
    }
    conn_set_cbs(c, &none, NULL);
    free(ps);
    cplugin_serve(px, c, "", p + 1, n - 1);
}

static void ps_close_eof(conn_t *c)
{
    conn_close(c);
}

static void ps_error(conn_t *c, int err)
{
    (void)err;
    conn_close(c);
}

static void ps_close(conn_t *c)
{
    free(conn_data(c));
}

static const conn_cbs_t ps_cbs = {
    .on_data = ps_data, .on_eof = ps_close_eof, .on_error = ps_error, .on_close = ps_close};

/* true when the stream went to the proxy's plugin (or was closed). */
static bool stream_to_plugin(cxq_t *x, conn_t *c)
{
    const cproxy_t *px = owner_proxy(x->cli, x->label);
    if (!px || !px->plugin) return false;
    pstream_t *ps = calloc(1, sizeof *ps);
    if (!ps) {
        conn_close(c);
        return true;
    }
    ps->cli = x->cli;
    snprintf(ps->proxy, sizeof ps->proxy, "%s", x->label);
    conn_set_cbs(c, &ps_cbs, ps);
    conn_start(c); /* its first byte: the hello */
    return true;
}

static void on_stream(quic_t *q, conn_t *c)
{
    cxq_t *x = quic_data(q);
    if (!x->visitor && !x->closing && stream_to_plugin(x, c)) return;
    ostream_t *o = x->visitor || x->closing ? NULL : calloc(1, sizeof *o);
    if (!o) {
        conn_close(c);
        return;
    }
    o->x = x;
    o->stream = c;
    conn_set_cbs(c, &os_stream_cbs, o);
    conn_start(c); /* its first bytes: the hello */
    o->local = conn_new(x->cli->loop, &os_local_cbs, o);
    if (!o->local || conn_connect(o->local, (struct sockaddr *)&x->local, NULL, NULL, NULL) != 0) {
        LOG_LIMITED(LOG_WARN, "xtcp local connect failed proxy=%s", LOG_ESC(x->label));
        if (o->local) conn_close(o->local);
        conn_close(c);
    }
}

/* ---- the connection ----------------------------------------------------- */

static void on_ready(quic_t *q, int status)
{
    cxq_t *x = quic_data(q);
    quic_info_t i;
    quic_get_info(q, &i);
    if (status != 0) {
        LOG_W("xtcp quic failed proxy=%s verdict=%s err=%s path=stcp", LOG_ESC(x->label),
              quic_peer_verdict_str(i.verdict), uv_strerror(status));
        cxq_fail(x);
        return;
    }
    x->ready = x->was_ready = true;
    LOG_I("xtcp quic ready proxy=%s path=%s rtt_ms=%.1f time_ms=%llu", LOG_ESC(x->label),
          i.path_kind, (double)i.rtt_us / 1000.0,
          (unsigned long long)(uv_now(x->cli->loop) - x->t_start));
    if (x->visitor) (void)quic_migrate_best(x->q);
    if (x->news_cb) x->news_cb(x->news_arg); /* connections waiting for QUIC go now */
}

static void on_dead(quic_t *q, int err)
{
    cxq_t *x = quic_data(q);
    LOG_I("xtcp quic ended proxy=%s err=%s path=stcp", LOG_ESC(x->label), uv_strerror(err));
    cxq_fail(x);
}

/* The pair hears of a path change as news too (it reports it, P2P_PATH). */
static void on_path(quic_t *q)
{
    cxq_t *x = quic_data(q);
    if (x->news_cb && !x->closing) x->news_cb(x->news_arg);
}

static const quic_cbs_t quic_cbs = {
    .on_ready = on_ready, .on_stream = on_stream, .on_dead = on_dead, .on_path = on_path};

/* The path QUIC is on, for logs ("stcp": no QUIC). */
static const char *active_kind(const cxq_t *x)
{
    quic_info_t i;
    if (!x->q) return "stcp";
    quic_get_info(x->q, &i);
    return i.path_kind;
}

/* QUIC over `first`: the relay once bound, or a direct path that came
 * before it (UDP to the server slow or blocked); every other known path is
 * added. 0 or a negative uv error. */
static int quic_begin(cxq_t *x, dgram_path_t *first)
{
    int err = 0;
    quic_opts_t o = {.role = x->visitor ? QUIC_CLIENT : QUIC_SERVER, .pair = x->label, .id = x->id};
    memcpy(o.peer_fp, x->peer_fp, QUIC_FP_LEN);
    x->q = quic_new(x->cli->loop, &o, first, &quic_cbs, x, &err);
    if (!x->q) return err;
    x->open++;
    x->failed = false; /* a relay that failed before: QUIC may come up now */
    if (x->relay_bound && x->relay != first) (void)quic_add_path(x->q, x->relay);
    for (int i = 0; i < CXQ_DIRECT_MAX; i++)
        if (x->direct[i] && x->direct[i] != first) (void)quic_add_path(x->q, x->direct[i]);
    return 0;
}

static void on_relay_ready(dgram_path_t *p, int status, void *arg)
{
    cxq_t *x = arg;
    int err = status;
    if (x->closing) return;
    if (status == 0) {
        x->relay_bound = true;
        if (x->q) { /* QUIC began on a direct path: the relay is the fallback */
            (void)quic_add_path(x->q, p);
            return;
        }
        if ((err = quic_begin(x, p)) == 0) return;
    }
    LOG_W("xtcp relay unavailable proxy=%s err=%s path=%s", LOG_ESC(x->label), uv_strerror(err),
          active_kind(x));
    if (!x->q) cxq_fail(x); /* until a direct path comes (cxq_add_direct) */
}

int cxq_start(cxq_t *x, const uint8_t *peer_fp, const relay_grant_t *g, const char *label,
              const struct sockaddr_storage *local)
{
    relay_path_cfg_t cfg;
    snprintf(x->label, sizeof x->label, "%s", label);
    if (!peer_fp || !g) {
        cxq_fail(x); /* the pair stays on the stcp path */
        return UV_EINVAL;
    }
    memcpy(x->peer_fp, peer_fp, QUIC_FP_LEN);
    x->started = true;
    if (local) x->local = *local;
    x->t_start = uv_now(x->cli->loop);
    int r = relay_path_cfg_from_grant(g, (struct sockaddr *)&x->cli->addr, &cfg);
    if (r == 0) r = relay_path_open(x->cli->loop, &cfg, on_relay_ready, x, &x->relay);
    if (r != 0) {
        x->relay = NULL;
        LOG_W("xtcp relay unavailable proxy=%s err=%s path=stcp", LOG_ESC(label), uv_strerror(r));
        cxq_fail(x);
        return r;
    }
    x->open++;
    return 0;
}

/* Logs the move to the best direct path once QUIC has made it. */
static void on_watch(uv_timer_t *t)
{
    cxq_t *x = t->data;
    quic_info_t i;
    uint64_t now = uv_now(x->cli->loop);
    if (!x->q) {
        if (now - x->t_direct > CXQ_WATCH_MAX_MS) uv_timer_stop(t);
        return;
    }
    quic_get_info(x->q, &i);
    if (strcmp(i.path_kind, x->watch_kind) == 0) {
        LOG_I("xtcp quic path=%s proxy=%s rtt_ms=%.1f since_quic_start_ms=%llu "
              "migrate_ms=%llu streams=%u",
              i.path_kind, LOG_ESC(x->label), (double)i.rtt_us / 1000.0,
              (unsigned long long)(now - x->t_start), (unsigned long long)(now - x->t_direct),
              i.streams);
        uv_timer_stop(t);
    } else if (now - x->t_direct > CXQ_WATCH_MAX_MS) {
        LOG_W("xtcp quic still path=%s proxy=%s after_ms=%d", i.path_kind, LOG_ESC(x->label),
              CXQ_WATCH_MAX_MS);
        uv_timer_stop(t);
    }
}

static int free_slot(const cxq_t *x)
{
    for (int i = 0; i < CXQ_DIRECT_MAX; i++)
        if (!x->direct[i]) return i;
    return -1;
}

/* The watch follows the best direct kind found so far. */
static void watch_for(cxq_t *x, const dgram_path_t *p)
{
    for (int i = 0; i < CXQ_DIRECT_MAX; i++)
        if (x->direct[i] && x->direct[i] != p && x->direct[i]->ops->pref >= p->ops->pref) return;
    x->watch_kind = p->ops->kind;
    x->t_direct = uv_now(x->cli->loop);
    uv_timer_start(&x->watch, on_watch, CXQ_WATCH_MS, CXQ_WATCH_MS);
}

void cxq_add_direct(cxq_t *x, dgram_path_t *p)
{
    int slot = x && !x->closing ? free_slot(x) : -1;
    if (slot < 0) return;
    x->direct[slot] = p;
    watch_for(x, p);
    int r;
    if (!x->q) { /* no relay (yet): QUIC begins here; else added when it starts */
        if (!x->started) return;
        r = quic_begin(x, p);
        if (r == 0)
            LOG_I("xtcp quic begins on path=%s proxy=%s (no relay yet)", p->ops->kind,
                  LOG_ESC(x->label));
        if (r != 0)
            LOG_W("xtcp quic cannot begin on path=%s proxy=%s err=%s", p->ops->kind,
                  LOG_ESC(x->label), uv_strerror(r));
        return;
    }
    r = quic_add_path(x->q, p);
    if (r == 0 && x->visitor && x->ready) r = quic_migrate_best(x->q);
    if (r != 0)
        LOG_W("xtcp quic cannot use the direct path proxy=%s path=%s err=%s", LOG_ESC(x->label),
              p->ops->kind, uv_strerror(r));
}

void cxq_remove_direct(cxq_t *x, dgram_path_t *p)
{
    for (int i = 0; x && i < CXQ_DIRECT_MAX; i++) {
        if (x->direct[i] != p) continue;
        if (x->q) quic_remove_path(x->q, p);
        x->direct[i] = NULL;
    }
}

conn_t *cxq_open_stream(cxq_t *x, int *err)
{
    static const conn_cbs_t none = {0};
    if (!cxq_ready(x)) {
        *err = UV_EAGAIN;
        return NULL;
    }
    static const uint8_t hello = CXQ_STREAM_HELLO;
    conn_t *s = quic_open_stream(x->q, &none, NULL, err);
    if (s && conn_write(s, &hello, 1) < 0) {
        conn_close(s);
        *err = UV_EPIPE;
        return NULL;
    }
    return s;
}

#else /* no QUIC: the pair's connections stay on the stcp path */

cxq_t *cxq_new(cli_t *c, bool visitor, void (*news)(void *arg), void *arg)
{
    (void)c, (void)visitor, (void)news, (void)arg;
    return NULL;
}
const uint8_t *cxq_fp(const cxq_t *x)
{
    (void)x;
    return NULL;
}
bool cxq_ready(const cxq_t *x)
{
    (void)x;
    return false;
}
const char *cxq_path(const cxq_t *x, uint64_t *rtt_us)
{
    (void)x;
    *rtt_us = 0;
    return NULL;
}
bool cxq_pending(const cxq_t *x)
{
    (void)x;
    return false;
}
bool cxq_ended(const cxq_t *x)
{
    (void)x;
    return false;
}
int cxq_start(cxq_t *x, const uint8_t *peer_fp, const relay_grant_t *g, const char *label,
              const struct sockaddr_storage *local)
{
    (void)x, (void)peer_fp, (void)g, (void)label, (void)local;
    return -1;
}
void cxq_add_direct(cxq_t *x, dgram_path_t *p)
{
    (void)x, (void)p;
}
void cxq_remove_direct(cxq_t *x, dgram_path_t *p)
{
    (void)x, (void)p;
}
conn_t *cxq_open_stream(cxq_t *x, int *err)
{
    (void)x;
    *err = UV_ENOSYS;
    return NULL;
}
void cxq_close(cxq_t *x, void (*cb)(void *arg), void *arg)
{
    (void)x, (void)cb, (void)arg;
}

#endif
