/* quic: one QUIC connection (RFC 9000) between the two ends of a P2P pair,
 * on the libuv loop, over one or more dgram_paths (net/dgram_path.h).
 *
 * ngtcp2 does the protocol (loss recovery, congestion control, flow
 * control, path validation); this module feeds it the datagrams a path
 * received, sends what it writes on the path it names, and runs its timer
 * (one uv_timer on ngtcp2_conn_get_expiry). TLS and the peer's
 * authentication by certificate fingerprint: net/quic_tls.h.
 *
 * Streams are conns: quic_open_stream (the visitor side) and the on_stream
 * callback (the owner side) hand out conn_t's (net/conn_quic.c), so relay.c
 * joins a TCP socket to a stream as to any other conn.
 *
 * Migration (RFC 9000 section 9): quic_add_path registers another path,
 * quic_migrate moves the client role onto it (ngtcp2 validates it first);
 * streams go on. When the active path reports on_down, or stalls (nothing
 * heard for QUIC_PATH_STALL_MS while packets are in flight), the client
 * role moves by itself to the live path it prefers (dgram_path.h's
 * DGRAM_PREF_*), and back once a better stalled one answers a validation
 * again (bounded retries). The server role follows the client. A peer
 * silent on every path for QUIC_PEER_SILENT_MS is dead.
 *
 * Ownership: quic_new returns a connection owned by the caller; quic_close
 * ends it and its `cb` runs from the loop once its handles and every stream
 * conn are closed (owners close stream conns after their on_error). Paths
 * are borrowed: the connection sets their on_recv/on_down/arg while it uses
 * them and clears them when closing; their owner closes them, after telling
 * the connection with quic_remove_path or after quic_close's callback. */
#ifndef BURROW_QUIC_H
#define BURROW_QUIC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "net/conn.h"
#include "net/dgram_path.h"
#include "net/quic_tls.h"

/* Concurrent bidirectional streams each side may open (max_streams). */
#define QUIC_MAX_STREAMS 64
/* Per-stream receive window: a paused reader holds at most this much. */
#define QUIC_STREAM_WINDOW (1024 * 1024)
/* Connection receive window (all streams). */
#define QUIC_CONN_WINDOW (8 * 1024 * 1024)
/* A PING on a quiet path this often keeps NAT bindings (UDP ones often
 * last 30 s) and the peer's idle timer alive (the server role). */
#define QUIC_KEEPALIVE_MS 15000
/* Liveness (quic_path.c). The client role PINGs after this much quiet, so
 * that a silent peer shows as bytes in flight that nothing acknowledges. */
#define QUIC_PROBE_MS 1000
/* The active path heard nothing for this long (and 3 PTOs) while packets
 * are in flight: the client leaves it for another path ("stalled"). */
#define QUIC_PATH_STALL_MS 1500
/* Nothing heard this long with packets in flight, counted on the client
 * from the later of the last datagram and the move to the active path (so
 * that each path left for a stall gets its chance: a dead direct path may
 * take a second direct one with it before the relay is tried): the peer is
 * gone (on_dead(UV_ETIMEDOUT)), long before QUIC_IDLE_TIMEOUT_MS. The
 * server role, which follows the client's moves, allows
 * QUIC_PEER_SILENT_SERVER_MS, longer than the client's walk through
 * QUIC_MAX_PATHS stalled paths. */
#define QUIC_PEER_SILENT_MS 4000
#define QUIC_PEER_SILENT_SERVER_MS 10000
/* A stalled path is validated again after QUIC_PATH_RETRY_MS, the wait
 * doubling up to QUIC_PATH_RETRY_MAX_MS, at most QUIC_PATH_RETRIES times;
 * the connection moves back to it once it answers. */
#define QUIC_PATH_RETRY_MS 1000
#define QUIC_PATH_RETRY_MAX_MS 16000
#define QUIC_PATH_RETRIES 8
/* How often the liveness rules are checked. */
#define QUIC_LIVE_TICK_MS 250
/* A path change is logged with the new path's first RTT sample, or after
 * this long without one (rtt=none). */
#define QUIC_PATH_LOG_WAIT_MS 1000
/* Nothing heard for this long: the connection is dead (both sides). */
#define QUIC_IDLE_TIMEOUT_MS 45000
/* Paths one connection knows at once (e.g. relay + direct, v4 + v6). */
#define QUIC_MAX_PATHS 4
/* Largest UDP payload QUIC sends (PMTU discovery starts from 1200). */
#define QUIC_MAX_UDP_PAYLOAD 1452

typedef struct quic quic_t;

typedef enum { QUIC_CLIENT, QUIC_SERVER } quic_role_t;

typedef struct quic_cbs {
    /* Handshake done and the peer authenticated (0), or failed (<0). */
    void (*on_ready)(quic_t *q, int status);
    /* The peer opened a stream: set its callbacks (conn_set_cbs), then
     * conn_start(c) to read; or conn_close(c). */
    void (*on_stream)(quic_t *q, conn_t *c);
    /* The connection ended (peer closed, idle timeout, no live path, a
     * handshake failure after on_ready(<0)); call quic_close. */
    void (*on_dead)(quic_t *q, int err);
    /* Optional, after on_ready(0): the active path changed (told once the
     * new path's RTT is measured, or QUIC_PATH_LOG_WAIT_MS later, with the
     * path-change log line); quic_get_info says which. */
    void (*on_path)(quic_t *q);
} quic_cbs_t;

typedef struct quic_opts {
    quic_role_t role;
    const char *pair;             /* for logs ("web-visitor"), copied */
    const quic_id_t *id;          /* ours; borrowed, outlives the connection */
    uint8_t peer_fp[QUIC_FP_LEN]; /* the peer's certificate must match it */
} quic_opts_t;

typedef struct quic_info {
    const char *path_kind;           /* the active path's kind, or "none" */
    uint64_t rtt_us;                 /* smoothed RTT */
    uint64_t migrations;             /* times the active path changed */
    uint64_t bytes_sent, bytes_recv; /* UDP payload */
    unsigned streams;                /* streams open now */
    quic_peer_verdict_t verdict;
} quic_info_t;

typedef void (*quic_closed_cb)(quic_t *q, void *arg);

/* A connection over `first` (added as with quic_add_path). The client role
 * sends its Initial at once; the server role waits for the client's.
 * NULL with *err (negative uv error) on failure. */
quic_t *quic_new(uv_loop_t *loop, const quic_opts_t *o, dgram_path_t *first, const quic_cbs_t *cbs,
                 void *data, int *err);
void *quic_data(const quic_t *q);
quic_role_t quic_role(const quic_t *q);

/* Another path to the peer; the connection starts listening on it. 0, or
 * UV_ENOSPC beyond QUIC_MAX_PATHS, UV_EEXIST if it is known. */
int quic_add_path(quic_t *q, dgram_path_t *p);
/* Stops using p (its owner wants it back); a path in use is left first
 * as after on_down. */
void quic_remove_path(quic_t *q, dgram_path_t *p);
/* Client role, after on_ready: moves the connection onto p (added before).
 * The outcome shows in the logs and quic_info; 0 or a negative uv error. */
int quic_migrate(quic_t *q, dgram_path_t *p);
/* Client role, after on_ready: moves the connection onto the live path it
 * prefers (ops->pref) when that beats the active one (or the one being
 * validated); 0 when it stays, else as quic_migrate. */
int quic_migrate_best(quic_t *q);
/* The path packets go out on now (NULL before any). */
dgram_path_t *quic_active_path(const quic_t *q);

/* A new stream (after on_ready), ready to write; the peer learns of it with
 * its first bytes. UV_EAGAIN when QUIC_MAX_STREAMS are open. */
conn_t *quic_open_stream(quic_t *q, const conn_cbs_t *cbs, void *data, int *err);

void quic_get_info(const quic_t *q, quic_info_t *out);
/* Ends the connection (CONNECTION_CLOSE to the peer); open stream conns get
 * on_error(UV_ECONNABORTED). `cb` runs once everything is gone. */
void quic_close(quic_t *q, quic_closed_cb cb, void *arg);

#endif
