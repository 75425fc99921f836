/* quic: see quic.h. The connection: creation, datagrams in and out, the
 * expiry timer, run() (everything users hear), streams, the end. ngtcp2's
 * callbacks are in quic_cb.c, paths and migration in quic_path.c, stream
 * buffers in quic_stream.c, the conn face of a stream in conn_quic.c, TLS
 * in quic_tls.c.
 *
 * Re-entrancy: ngtcp2's callbacks only change our buffers and flags; every
 * user callback (conn's on_data, on_eof, ..., quic_cbs) runs from run(),
 * after ngtcp2 has returned, so a user may call anything from them. */
#include "net/quic.h"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/quic_int.h"
#include "util/log.h"

#define QUIC_CID_LEN 16
/* Stream data vectors gathered per packet write. */
#define QUIC_MAX_VEC 16
/* The application error code of a stream reset (conn_abort). */
#define QUIC_APP_ERR_RESET 1
/* A handshake that has not finished by then fails. */
#define QUIC_HANDSHAKE_TIMEOUT_MS 10000

/* One loop thread: packets are written here and sent at once; a write
 * pass lays up to DGRAM_BATCH_MAX packets of one path end to end (a batch,
 * sent with dgram_path_send_batch: one GSO send on a UDP path). */
static uint8_t g_pkt[QUIC_MAX_UDP_PAYLOAD];
static uint8_t g_batch[DGRAM_BATCH_MAX * QUIC_MAX_UDP_PAYLOAD];

static void run(quic_t *q);
static void on_timer(uv_timer_t *t);

ngtcp2_tstamp quic__now(void)
{
    return uv_hrtime(); /* nanoseconds, monotonic: ngtcp2's unit */
}

/* ---- sending ---------------------------------------------------------- */

/* Packets went out on dp: the server follows the client's path. */
static void note_path(quic_t *q, dgram_path_t *dp)
{
    if (dp != q->active && dp == quic__path_of(q, ngtcp2_conn_get_path(q->conn)))
        quic__path_now(q, dp);
}

static void send_pkt(quic_t *q, const ngtcp2_path *np, const uint8_t *p, size_t n)
{
    dgram_path_t *dp = quic__path_of(q, np);
    if (!dp) return;                 /* that path is gone: as if lost */
    if (n > dp->max_payload) return; /* a PMTU probe too big for it: lost */
    if (dgram_path_send(dp, p, n) == 0) q->bytes_sent += n;
    note_path(q, dp);
}

/* Packets of one path in g_batch: all `seg` bytes but the last (a GSO
 * send's rule); a shorter packet ends the batch. */
typedef struct batch {
    dgram_path_t *path;
    size_t len, seg;
    unsigned count;
    bool full; /* a short packet closed it, or DGRAM_BATCH_MAX */
} batch_t;

static void batch_flush(quic_t *q, batch_t *b)
{
    if (b->count) {
        int r = dgram_path_send_batch(b->path, g_batch, b->len, b->seg);
        if (r > 0) q->bytes_sent += (unsigned)r == b->count ? b->len : (size_t)r * b->seg;
        note_path(q, b->path); /* what did not go is lost: QUIC resends */
    }
    memset(b, 0, sizeof *b);
}

/* The packet ngtcp2 just wrote at g_batch + b->len (n bytes, for np). */
static void batch_add(quic_t *q, batch_t *b, const ngtcp2_path *np, size_t n)
{
    dgram_path_t *dp = quic__path_of(q, np);
    uint8_t *pkt = g_batch + b->len;
    if (b->count && (dp != b->path || n > b->seg || b->full)) {
        batch_flush(q, b);
        memmove(g_batch, pkt, n); /* the next batch starts with it */
    }
    if (!dp || n > dp->max_payload) return; /* path gone, or a probe too big: lost */
    if (!b->count) {
        b->path = dp;
        b->seg = n;
    }
    b->len += n;
    b->count++;
    b->full = n < b->seg || b->count == DGRAM_BATCH_MAX;
}

/* Stream-level requests conns made (reset, stop sending), outside ngtcp2. */
static void stream_requests(quic_t *q)
{
    for (quic_stream_t *s = q->streams; s; s = s->next) {
        if (!(s->flags & QS_NG_OPEN)) continue;
        if (s->flags & QS_RESET) {
            s->flags &= ~(QS_RESET | QS_STOP);
            s->flags |= QS_FIN_SENT; /* nothing more goes out */
            ngtcp2_conn_shutdown_stream(q->conn, 0, s->id, QUIC_APP_ERR_RESET);
        } else if (s->flags & QS_STOP) {
            s->flags &= ~QS_STOP;
            ngtcp2_conn_shutdown_stream_read(q->conn, 0, s->id, 0);
        }
    }
}

/* The next stream with something to send (bytes or a FIN). */
static quic_stream_t *next_sender(quic_t *q)
{
    for (quic_stream_t *s = q->streams; s; s = s->next) {
        if ((s->flags & (QS_NG_OPEN | QS_BLOCKED | QS_FIN_SENT)) != QS_NG_OPEN) continue;
        if (s->sent < s->end || (s->flags & QS_SHUT)) return s;
    }
    return NULL;
}

/* One packet: stream data of `s` when given (flow control allowing), else
 * whatever ngtcp2 has (ACKs, control frames, retransmissions). The bytes
 * written, 0 when nothing is left, <0 on a fatal error. */
static ngtcp2_ssize write_one(quic_t *q, quic_stream_t *s, ngtcp2_path_storage *ps, uint8_t *out,
                              ngtcp2_tstamp ts)
{
    ngtcp2_vec v[QUIC_MAX_VEC];
    int nv = s ? quic__stream_unsent(s, v, QUIC_MAX_VEC) : 0;
    uint32_t fl = NGTCP2_WRITE_STREAM_FLAG_MORE;
    if (s) {
        uint64_t listed = 0;
        for (int i = 0; i < nv; i++)
            listed += v[i].len;
        if (s->sent + listed == s->end && (s->flags & QS_SHUT)) fl |= NGTCP2_WRITE_STREAM_FLAG_FIN;
    }
    ngtcp2_ssize used = -1;
    ngtcp2_ssize n = ngtcp2_conn_writev_stream(q->conn, &ps->path, NULL, out, QUIC_MAX_UDP_PAYLOAD,
                                               &used, fl, s ? s->id : -1, v, (size_t)nv, ts);
    if (s && used >= 0) {
        s->sent += (uint64_t)used;
        if ((fl & NGTCP2_WRITE_STREAM_FLAG_FIN) && s->sent == s->end) s->flags |= QS_FIN_SENT;
    }
    if (s && n < 0 && n != NGTCP2_ERR_WRITE_MORE) {
        /* Blocked by flow control, or the stream is shut: skip it this pass. */
        if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR ||
            n == NGTCP2_ERR_STREAM_NOT_FOUND) {
            s->flags |= QS_BLOCKED;
            return NGTCP2_ERR_WRITE_MORE;
        }
    }
    return n;
}

/* A write pass: packets while the send quantum (pacing) allows, batched. */
static void write_all(quic_t *q)
{
    ngtcp2_tstamp ts = quic__now();
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    size_t quantum = ngtcp2_conn_get_send_quantum(q->conn), sent = 0;
    batch_t b = {0};
    stream_requests(q);
    while (sent < quantum) {
        if (b.full) batch_flush(q, &b); /* room for a whole packet after b.len */
        quic_stream_t *s = next_sender(q);
        ngtcp2_ssize n = write_one(q, s, &ps, g_batch + b.len, ts);
        if (n == NGTCP2_ERR_WRITE_MORE) continue;
        if (n < 0) {
            quic__set_dead(q, UV_EPROTO, ngtcp2_strerror((int)n));
            break;
        }
        if (n == 0) break; /* congestion window full, or nothing to say */
        batch_add(q, &b, &ps.path, (size_t)n);
        sent += (size_t)n;
    }
    batch_flush(q, &b);
    for (quic_stream_t *s = q->streams; s; s = s->next)
        s->flags &= ~QS_BLOCKED;
    ngtcp2_conn_update_pkt_tx_time(q->conn, ts);
}

/* ---- the timer -------------------------------------------------------- */

static void arm_timer(quic_t *q)
{
    if (!q->conn || q->dead) return;
    ngtcp2_tstamp exp = ngtcp2_conn_get_expiry(q->conn), now = quic__now();
    if (exp == UINT64_MAX) {
        uv_timer_stop(&q->timer);
        return;
    }
    /* Rounded down: pacing asks for sub-millisecond gaps, which libuv's
     * millisecond timer would stretch to a whole one per burst (measured
     * with bench/tools/quic_cost: 107 -> 152 MB/s). A 0 ms timer runs after
     * the next poll. */
    uint64_t ms = exp > now ? (exp - now) / 1000000 : 0;
    uv_timer_start(&q->timer, on_timer, ms, 0);
}

static void on_timer(uv_timer_t *t)
{
    quic_t *q = t->data;
    if (!q->conn || q->dead) return;
    int rv = ngtcp2_conn_handle_expiry(q->conn, quic__now());
    if (rv == NGTCP2_ERR_IDLE_CLOSE)
        quic__set_dead(q, UV_ETIMEDOUT, "idle timeout");
    else if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT)
        quic__set_dead(q, UV_ETIMEDOUT, "handshake timeout");
    else if (rv != 0)
        quic__set_dead(q, UV_EPROTO, ngtcp2_strerror(rv));
    run(q);
}

static void on_kick(uv_timer_t *t)
{
    run(t->data);
}

void quic__kick(quic_t *q)
{
    if (!uv_is_active((uv_handle_t *)&q->kick)) uv_timer_start(&q->kick, on_kick, 0, 0);
}

/* ---- the end of a connection ------------------------------------------ */

/* Our CONNECTION_CLOSE (RFC 9000 10.2), sent once on the active path. */
static void send_close(quic_t *q, const ngtcp2_ccerr *ccerr)
{
    if (!q->conn || ngtcp2_conn_in_closing_period(q->conn) ||
        ngtcp2_conn_in_draining_period(q->conn))
        return;
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_ssize n = ngtcp2_conn_write_connection_close(q->conn, &ps.path, NULL, g_pkt,
                                                        sizeof g_pkt, ccerr, quic__now());
    if (n > 0) send_pkt(q, &ps.path, g_pkt, (size_t)n);
}

void quic__set_dead(quic_t *q, int err, const char *why)
{
    if (q->dead) return;
    q->dead = true;
    q->dead_err = err;
    uv_timer_stop(&q->timer);
    uv_timer_stop(&q->live);
    char fp[17];
    LOG_I("quic pair=%s ended: %s (path=%s rtt=%lluus peer=%s)", q->pair, why,
          quic__kind(q->active), (unsigned long long)quic__rtt_us(q),
          quic_fp_short(q->tls.expect_fp, fp));
    for (quic_stream_t *s = q->streams; s; s = s->next) {
        s->flags |= QS_FAILED;
        s->err = UV_ECONNABORTED;
    }
    quic__kick(q);
}

/* A read error from ngtcp2 (RFC 9000 10): close, drain, or drop. */
static void read_failed(quic_t *q, int rv)
{
    ngtcp2_ccerr ccerr;
    ngtcp2_ccerr_default(&ccerr);
    if (rv == NGTCP2_ERR_DRAINING) {
        const ngtcp2_ccerr *pe = ngtcp2_conn_get_ccerr(q->conn);
        bool refused = !q->hs_done || (pe->type == NGTCP2_CCERR_TYPE_TRANSPORT &&
                                       (pe->error_code & ~0xffull) == 0x100);
        quic__set_dead(q, refused ? UV_ECONNREFUSED : UV_ECONNRESET,
                       refused ? "the peer refused the handshake" : "closed by the peer");
        return;
    }
    if (rv == NGTCP2_ERR_DROP_CONN) {
        quic__set_dead(q, UV_ECONNRESET, "dropped");
        return;
    }
    if (rv == NGTCP2_ERR_CRYPTO) {
        ngtcp2_ccerr_set_tls_alert(&ccerr, ngtcp2_conn_get_tls_alert(q->conn), NULL, 0);
    } else {
        ngtcp2_ccerr_set_liberr(&ccerr, rv, NULL, 0);
    }
    send_close(q, &ccerr);
    bool refused = q->tls.verdict > QUIC_PEER_OK;
    quic__set_dead(q, refused ? UV_EACCES : UV_EPROTO,
                   refused ? quic_peer_verdict_str(q->tls.verdict) : ngtcp2_strerror(rv));
}

/* ---- receiving -------------------------------------------------------- */

static int server_accept(quic_t *q, dgram_path_t *p, const uint8_t *d, size_t n);

void quic__on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg)
{
    quic_t *q = arg;
    if (q->dead || q->closing) return;
    q->bytes_recv += n;
    if (!q->conn && server_accept(q, p, d, n) != 0) return;
    ngtcp2_path np = quic__ng_path(p);
    int rv = ngtcp2_conn_read_pkt(q->conn, &np, NULL, d, n, quic__now());
    if (rv != 0)
        read_failed(q, rv);
    else
        quic__path_heard(q, p);
    /* run() once the loop has read what the sockets hold (the kick runs
     * after this poll phase): one write pass answers a whole read batch,
     * not one per datagram (measured: bench/tools/quic_cost). */
    quic__kick(q);
}

/* ---- user callbacks, from the loop ------------------------------------ */

static const conn_cbs_t no_cbs; /* an accepted stream before the user sets its own */

static void announce_streams(quic_t *q)
{
    for (quic_stream_t *s = q->streams; s && !q->dead; s = s->next) {
        if (!(s->flags & QS_NEW)) continue;
        s->flags &= ~QS_NEW;
        conn_t *c = q->cbs->on_stream ? conn_quic_new(s, &no_cbs, NULL) : NULL;
        if (!c) {
            s->flags |= QS_RESET | QS_CONN_GONE; /* nobody will read it */
            continue;
        }
        q->cbs->on_stream(q, c); /* a new stream is added at the head: not skipped wrongly */
    }
}

static void tell_user(quic_t *q)
{
    if (q->hs_done && !q->ready && !q->dead) {
        q->ready = true;
        LOG_I("quic pair=%s ready path=%s rtt=%lluus", q->pair, quic__kind(q->active),
              (unsigned long long)quic__rtt_us(q));
        if (q->cbs->on_ready) q->cbs->on_ready(q, 0);
    }
    if (q->ready && !q->dead && !q->closing && q->path_news) {
        q->path_news = false;
        if (q->cbs->on_path) q->cbs->on_path(q);
    }
    if (q->dead && !q->told) {
        q->told = true;
        if (!q->ready && q->cbs->on_ready) q->cbs->on_ready(q, q->dead_err);
        if (q->ready && q->cbs->on_dead) q->cbs->on_dead(q, q->dead_err);
    }
}

static void finalize(quic_t *q);

static void run(quic_t *q)
{
    if (q->in_run) {
        quic__kick(q);
        return;
    }
    q->in_run = true;
    if (!q->closing) tell_user(q);
    if (!q->closing && q->ready) announce_streams(q);
    quic__streams_deliver(q);
    if (q->conn && !q->dead) write_all(q);
    arm_timer(q);
    q->in_run = false;
    if (q->closing && q->nconns == 0) finalize(q);
}

/* ---- creating --------------------------------------------------------- */

static void fill_settings(quic_t *q, ngtcp2_settings *st, ngtcp2_transport_params *tp,
                          size_t max_payload)
{
    ngtcp2_settings_default(st);
    st->initial_ts = quic__now();
    st->max_tx_udp_payload_size = max_payload;
    st->handshake_timeout = QUIC_HANDSHAKE_TIMEOUT_MS * NGTCP2_MILLISECONDS;
    ngtcp2_transport_params_default(tp);
    tp->initial_max_stream_data_bidi_local = QUIC_STREAM_WINDOW;
    tp->initial_max_stream_data_bidi_remote = QUIC_STREAM_WINDOW;
    tp->initial_max_data = QUIC_CONN_WINDOW;
    tp->initial_max_streams_bidi = QUIC_MAX_STREAMS;
    tp->initial_max_streams_uni = 0;
    tp->max_idle_timeout = QUIC_IDLE_TIMEOUT_MS * NGTCP2_MILLISECONDS;
    /* Spare connection IDs: each migration uses a fresh one (RFC 9000 9.5). */
    tp->active_connection_id_limit = QUIC_MAX_PATHS + 2;
}

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
    return ((quic_t *)ref->user_data)->conn;
}

static size_t max_payload(const dgram_path_t *p)
{
    return p->max_payload < QUIC_MAX_UDP_PAYLOAD ? p->max_payload : QUIC_MAX_UDP_PAYLOAD;
}

/* Both roles once ngtcp2_conn exists: TLS and keepalive. The client PINGs
 * a quiet connection soon (QUIC_PROBE_MS): an unanswered PING is how
 * quic_path.c sees a dead path or peer when no data flows. */
static int attach_conn(quic_t *q)
{
    uint64_t ka = q->role == QUIC_CLIENT ? QUIC_PROBE_MS : QUIC_KEEPALIVE_MS;
    ngtcp2_conn_set_tls_native_handle(q->conn, q->tls.session);
    ngtcp2_conn_set_keep_alive_timeout(q->conn, ka * NGTCP2_MILLISECONDS);
    return 0;
}

static int random_cid(ngtcp2_cid *cid)
{
    uint8_t b[QUIC_CID_LEN];
    if (gnutls_rnd(GNUTLS_RND_RANDOM, b, sizeof b) < 0) return UV_EIO;
    ngtcp2_cid_init(cid, b, sizeof b);
    return 0;
}

static int client_start(quic_t *q, dgram_path_t *p)
{
    ngtcp2_cid dcid, scid;
    ngtcp2_settings st;
    ngtcp2_transport_params tp;
    ngtcp2_callbacks cb;
    if (random_cid(&dcid) || random_cid(&scid)) return UV_EIO;
    fill_settings(q, &st, &tp, max_payload(p));
    quic__fill_callbacks(&cb, QUIC_CLIENT);
    ngtcp2_path np = quic__ng_path(p);
    if (ngtcp2_conn_client_new(&q->conn, &dcid, &scid, &np, NGTCP2_PROTO_VER_V1, &cb, &st, &tp,
                               NULL, q) != 0)
        return UV_ENOMEM;
    return attach_conn(q);
}

/* The server role meets the client's first Initial (RFC 9000 7.2: the
 * client's Destination Connection ID becomes original_dcid). */
static int server_accept(quic_t *q, dgram_path_t *p, const uint8_t *d, size_t n)
{
    ngtcp2_pkt_hd hd;
    ngtcp2_cid scid;
    ngtcp2_settings st;
    ngtcp2_transport_params tp;
    ngtcp2_callbacks cb;
    if (ngtcp2_accept(&hd, d, n) != 0) return -1; /* not an Initial: dropped */
    if (random_cid(&scid)) return -1;
    fill_settings(q, &st, &tp, max_payload(p));
    tp.original_dcid = hd.dcid;
    tp.original_dcid_present = 1;
    quic__fill_callbacks(&cb, QUIC_SERVER);
    ngtcp2_path np = quic__ng_path(p);
    if (ngtcp2_conn_server_new(&q->conn, &hd.scid, &scid, &np, hd.version, &cb, &st, &tp, NULL,
                               q) != 0)
        return -1;
    return attach_conn(q);
}

quic_t *quic_new(uv_loop_t *loop, const quic_opts_t *o, dgram_path_t *first, const quic_cbs_t *cbs,
                 void *data, int *err)
{
    quic_t *q = calloc(1, sizeof *q);
    *err = UV_ENOMEM;
    if (!q) return NULL;
    q->loop = loop;
    q->role = o->role;
    q->id = o->id;
    q->cbs = cbs;
    q->data = data;
    /* Escaped once here: the name may come from a peer's configuration. */
    snprintf(q->pair, sizeof q->pair, "%s", LOG_ESC(o->pair ? o->pair : "?"));
    q->tls.ref.get_conn = get_conn;
    q->tls.ref.user_data = q;
    if (first->max_payload < NGTCP2_MAX_UDP_PAYLOAD_SIZE)
        *err = UV_EMSGSIZE;
    else
        *err = quic_tls_init(&q->tls, o->role == QUIC_SERVER, o->id, o->peer_fp);
    if (*err == 0 && o->role == QUIC_CLIENT) *err = client_start(q, first);
    if (*err != 0) {
        if (q->conn) ngtcp2_conn_del(q->conn);
        quic_tls_deinit(&q->tls);
        free(q);
        return NULL;
    }
    uv_timer_init(loop, &q->timer);
    uv_timer_init(loop, &q->kick);
    uv_timer_init(loop, &q->live);
    q->timer.data = q->kick.data = q->live.data = q;
    q->handles = 3;
    (void)quic_add_path(q, first);
    uv_timer_start(&q->live, quic__live_tick, QUIC_LIVE_TICK_MS, QUIC_LIVE_TICK_MS);
    if (q->conn) quic__kick(q); /* the client's Initial goes out from the loop */
    return q;
}

void *quic_data(const quic_t *q)
{
    return q->data;
}

quic_role_t quic_role(const quic_t *q)
{
    return q->role;
}

/* ---- streams ---------------------------------------------------------- */

conn_t *quic_open_stream(quic_t *q, const conn_cbs_t *cbs, void *data, int *err)
{
    int64_t id;
    *err = UV_ENOTCONN;
    if (!q->ready || q->dead || q->closing) return NULL;
    int rv = ngtcp2_conn_open_bidi_stream(q->conn, &id, NULL);
    if (rv != 0) {
        *err = rv == NGTCP2_ERR_STREAM_ID_BLOCKED ? UV_EAGAIN : UV_EPROTO;
        return NULL;
    }
    quic_stream_t *s = quic__stream_new(q, id);
    conn_t *c = s ? conn_quic_new(s, cbs, data) : NULL;
    if (!c) {
        if (s) s->flags |= QS_RESET;
        *err = UV_ENOMEM;
        quic__kick(q);
        return NULL;
    }
    s->flags |= QS_STARTED;
    ngtcp2_conn_set_stream_user_data(q->conn, id, s);
    *err = 0;
    return c;
}

/* ---- information and the end ------------------------------------------ */

void quic_get_info(const quic_t *q, quic_info_t *out)
{
    memset(out, 0, sizeof *out);
    out->path_kind = quic__kind(quic_active_path(q));
    out->rtt_us = quic__rtt_us(q);
    out->migrations = q->migrations;
    out->bytes_sent = q->bytes_sent;
    out->bytes_recv = q->bytes_recv;
    out->streams = q->nconns;
    out->verdict = q->tls.verdict;
}

static void free_all(quic_t *q)
{
    quic_closed_cb cb = q->closed_cb;
    void *arg = q->closed_arg;
    while (q->streams) {
        q->streams->flags &= ~QS_NG_OPEN;
        quic__stream_unlink(q->streams);
    }
    if (q->conn) ngtcp2_conn_del(q->conn);
    quic_tls_deinit(&q->tls);
    if (cb) cb(q, arg); /* the last look: freed right after */
    free(q);
}

static void on_handle_closed(uv_handle_t *h)
{
    quic_t *q = h->data;
    if (--q->handles == 0) free_all(q);
}

static void finalize(quic_t *q)
{
    if (uv_is_closing((uv_handle_t *)&q->timer)) return;
    uv_close((uv_handle_t *)&q->timer, on_handle_closed);
    uv_close((uv_handle_t *)&q->kick, on_handle_closed);
    uv_close((uv_handle_t *)&q->live, on_handle_closed);
}

void quic_close(quic_t *q, quic_closed_cb cb, void *arg)
{
    if (!q || q->closing) return;
    q->closing = true;
    q->told = true; /* the owner knows: no on_dead */
    q->closed_cb = cb;
    q->closed_arg = arg;
    if (q->conn && !q->dead) {
        ngtcp2_ccerr ccerr;
        ngtcp2_ccerr_default(&ccerr); /* NO_ERROR (RFC 9000 20.1) */
        send_close(q, &ccerr);
    }
    quic__set_dead(q, UV_ECONNABORTED, "closed");
    while (q->npaths)
        quic__drop_path(q, q->paths[0]);
    quic__kick(q);
}
