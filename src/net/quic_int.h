/* quic_int: what quic.c, quic_stream.c and conn_quic.c share (net/ only).
 *
 * A stream has two owners: ngtcp2 (until its stream_close callback) and the
 * conn_t that exposes it (until conn__closed). The quic_stream_t lives until
 * both let go; it keeps the bytes written until the peer acknowledges them,
 * because ngtcp2 retransmits from the application's buffers. */
#ifndef BURROW_QUIC_INT_H
#define BURROW_QUIC_INT_H

#include <ngtcp2/ngtcp2.h>

#include "net/conn_int.h"
#include "net/quic.h"

enum {
    QS_NG_OPEN = 1u << 0,   /* ngtcp2 knows the stream */
    QS_STARTED = 1u << 1,   /* conn_start ran (accepted) or opened by us */
    QS_FIN_RECV = 1u << 2,  /* the peer's FIN arrived (rx may still hold data) */
    QS_EOF_DONE = 1u << 3,  /* on_eof delivered */
    QS_SHUT = 1u << 4,      /* conn_shutdown: FIN after the queue */
    QS_FIN_SENT = 1u << 5,  /* our FIN handed to ngtcp2 */
    QS_SHUT_DONE = 1u << 6, /* on_shutdown delivered */
    QS_RESET = 1u << 7,     /* abort: RESET_STREAM + STOP_SENDING to send */
    QS_STOP = 1u << 8,      /* graceful close: STOP_SENDING to send */
    QS_CONN_GONE = 1u << 9, /* conn_close ran; conn__closed pending */
    QS_FAILED = 1u << 10,   /* on_error is due (s->err) */
    QS_BLOCKED = 1u << 11,  /* flow control: nothing more this write pass */
    QS_NEW = 1u << 12,      /* opened by the peer; on_stream not yet called */
};

typedef struct qchunk {
    struct qchunk *next;
    size_t len;
    uint8_t data[];
} qchunk_t;

typedef struct quic_stream {
    quic_t *q;
    int64_t id;
    conn_t *conn; /* NULL once conn__closed ran */
    struct quic_stream *prev, *next;
    unsigned flags;
    int err;
    /* Sending: chunks hold stream bytes [base, end); [base, acked) is gone,
     * [acked, sent) is in flight, [sent, end) waits for flow control. */
    qchunk_t *head, *tail;
    uint64_t base, acked, sent, end;
    /* Receiving: bytes the conn has not taken yet (paused, or not started).
     * Never more than QUIC_STREAM_WINDOW: credit is extended only as the
     * conn consumes. */
    uint8_t *rx;
    size_t rx_off, rx_len, rx_cap;
} quic_stream_t;

/* Liveness of one path (quic_path.c), kept beside it in paths[]. */
typedef struct quic_pstate {
    uint64_t since;    /* ms: added, or chosen as the path to use */
    uint64_t last_rx;  /* ms: the last packet on it ngtcp2 accepted; 0: none */
    uint64_t retry_at; /* stalled: when to validate it again */
    unsigned tries;    /* stalled: validations started */
    bool stalled;      /* left for silence; cleared when it validates again */
} quic_pstate_t;

struct quic {
    uv_loop_t *loop;
    ngtcp2_conn *conn; /* NULL for a server role before the first Initial */
    quic_tls_t tls;
    quic_role_t role;
    char pair[64];
    const quic_id_t *id;
    const quic_cbs_t *cbs;
    void *data;
    dgram_path_t *paths[QUIC_MAX_PATHS];
    quic_pstate_t pstate[QUIC_MAX_PATHS]; /* pstate[i] is paths[i]'s */
    unsigned npaths;
    dgram_path_t *active;    /* the path the last packet went out on */
    const char *was_kind;    /* the kind of the active path before (static) */
    dgram_path_t *migrating; /* being validated for quic_migrate, or NULL */
    dgram_path_t *jumping;   /* an immediate move not yet seen sending, or NULL */
    uv_timer_t timer;        /* ngtcp2's expiry */
    uv_timer_t kick;         /* 0 ms: work queued by conn calls */
    uv_timer_t live;         /* QUIC_LIVE_TICK_MS: the liveness rules */
    uint64_t live_at;        /* ms: its last run */
    uint64_t last_rx;        /* ms: the last packet accepted on any path */
    const char *why;         /* why the client moves (static), for the log */
    struct {                 /* a path change to log once its RTT is measured */
        bool due;
        const char *why, *was; /* static */
    } move_log;
    unsigned handles; /* open uv handles */
    quic_stream_t *streams;
    unsigned nstreams; /* on the list (open in ngtcp2 or held by a conn) */
    unsigned nconns;   /* stream conns not yet conn__closed */
    bool hs_done;      /* ngtcp2's handshake_completed */
    bool ready;        /* on_ready(0) delivered */
    bool path_news;    /* a path change was logged: on_path from run() */
    bool dead;         /* no more packets in or out */
    bool told;         /* on_ready(<0) or on_dead delivered (or not wanted) */
    bool closing;      /* quic_close ran */
    bool in_run;
    int dead_err;
    uint64_t migrations, bytes_sent, bytes_recv;
    quic_closed_cb closed_cb;
    void *closed_arg;
};

/* quic.c: asks for a write pass and stream work from the loop, soon. */
void quic__kick(quic_t *q);
ngtcp2_tstamp quic__now(void); /* ngtcp2's clock: uv_hrtime, ns */
/* The connection ends (once): streams fail, the owner hears it from run(). */
void quic__set_dead(quic_t *q, int err, const char *why);
/* A path's on_recv while the connection uses it. */
void quic__on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg);
/* quic_cb.c: ngtcp2's callbacks for a role. */
void quic__fill_callbacks(ngtcp2_callbacks *cb, quic_role_t role);
/* quic_path.c */
ngtcp2_path quic__ng_path(dgram_path_t *p); /* borrows p's addresses */
/* Which live path ngtcp2 means (NULL: none, e.g. one gone down). */
dgram_path_t *quic__path_of(quic_t *q, const ngtcp2_path *np);
const char *quic__kind(const dgram_path_t *p); /* "direct", "relay", "none" */
uint64_t quic__rtt_us(const quic_t *q);
void quic__hook_path(quic_t *q, dgram_path_t *p);
void quic__drop_path(quic_t *q, dgram_path_t *p); /* unhooks it */
/* ngtcp2 accepted a packet that came on p. */
void quic__path_heard(quic_t *q, dgram_path_t *p);
/* Packets now go out on p (it was another): logs the change with its reason. */
void quic__path_now(quic_t *q, dgram_path_t *p);
/* ngtcp2's verdict on a validation of p. */
void quic__path_validated(quic_t *q, dgram_path_t *p, bool ok);
/* The live timer's callback: stalled paths, a silent peer, retries. */
void quic__live_tick(uv_timer_t *t);
/* quic_stream.c */
quic_stream_t *quic__stream_new(quic_t *q, int64_t id);
void quic__stream_unlink(quic_stream_t *s); /* frees it when both owners let go */
quic_stream_t *quic__stream_find(quic_t *q, int64_t id);
int quic__stream_rx(quic_stream_t *s, const uint8_t *p, size_t n, bool fin);
void quic__stream_acked(quic_stream_t *s, uint64_t off, uint64_t len);
int quic__stream_queue(quic_stream_t *s, const uint8_t *p, size_t n);
/* What is left to send from s: up to `max` vectors; the count. */
int quic__stream_unsent(const quic_stream_t *s, ngtcp2_vec *v, int max);
/* Hands the streams' news to their conns (data, eof, errors, closes). */
void quic__streams_deliver(quic_t *q);
/* conn_quic.c: a conn over s (s->conn set). NULL on allocation failure. */
conn_t *conn_quic_new(quic_stream_t *s, const conn_cbs_t *cbs, void *data);

#endif
