/* dgram_path: one way to exchange datagrams with one peer.
 *
 * P2P (xtcp) runs one QUIC connection per visitor-owner pair over a path of
 * this kind, and moves it between paths without breaking its streams:
 *   - a punched UDP socket to the peer's address (p2p/punch.c),
 *   - the server's UDP relay, which forwards the pair's datagrams
 *     (server/udp_relay.c, client side p2p/relay_path.c),
 *   - a punched TCP connection (p2p/tcp_punch.c), each datagram framed with
 *     its length (net/dgram_tcp.c), where UDP between the sites is blocked.
 * QUIC (net/quic.c) sends through `ops->send` or, several packets of one
 * size at once, `ops->send_batch`, and is fed by `on_recv`; it
 * knows a path by its (local, remote) addresses, which must differ between
 * two paths of one pair (a relay path's remote is the relay's address).
 *
 * Ownership: whoever creates a path (punch, relay_path) owns it and frees it
 * in `close`'s callback; the user (QUIC) only sets on_recv/arg and must stop
 * using the path when it asks for close or when `on_down` is called. */
#ifndef BURROW_DGRAM_PATH_H
#define BURROW_DGRAM_PATH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct dgram_path dgram_path_t;

/* A datagram from the peer (data valid during the call only). */
typedef void (*dgram_path_recv_cb)(dgram_path_t *p, const uint8_t *data, size_t len, void *arg);
/* The path died (keepalive lost, relay gone); no more datagrams arrive. */
typedef void (*dgram_path_down_cb)(dgram_path_t *p, const char *reason, void *arg);
typedef void (*dgram_path_closed_cb)(dgram_path_t *p, void *arg);

/* Which path a connection prefers when several live (higher wins): a
 * direct UDP path, then a direct TCP one (head-of-line blocking under loss,
 * but no server in the way), then the server's relay. */
enum { DGRAM_PREF_RELAY = 1, DGRAM_PREF_DIRECT_TCP = 2, DGRAM_PREF_DIRECT = 3 };

typedef struct dgram_path_ops {
    /* "direct" (punched UDP), "direct-tcp" (punched TCP), "relay" (server
     * relay): logs' path= */
    const char *kind;
    int pref; /* DGRAM_PREF_* */
    /* Sends one datagram now (uv_udp_try_send-like: no queue). 0, or a
     * negative UV error (UV_EAGAIN: dropped, the transport retransmits). */
    int (*send)(dgram_path_t *p, const uint8_t *data, size_t len);
    /* Optional: sends data[0..len) as datagrams of `seg` bytes, the last one
     * possibly shorter (at most DGRAM_BATCH_MAX of them), in as few system
     * calls as the path can (net/udp_batch.h). The count of datagrams that
     * went (a prefix), or a negative UV error when none did. NULL: the
     * batch goes by `send`, one by one (dgram_path_send_batch). */
    int (*send_batch)(dgram_path_t *p, const uint8_t *data, size_t len, size_t seg);
    /* Stops the path; `cb` runs once every handle is closed. */
    void (*close)(dgram_path_t *p, dgram_path_closed_cb cb, void *arg);
} dgram_path_ops_t;

struct dgram_path {
    const dgram_path_ops_t *ops;
    dgram_path_recv_cb on_recv;            /* set by the user */
    dgram_path_down_cb on_down;            /* set by the user; may be NULL */
    void *arg;                             /* the user's */
    struct sockaddr_storage local, remote; /* how QUIC names this path */
    size_t max_payload;                    /* largest datagram the path carries (bytes) */
};

/* Most datagrams one send_batch call carries (net/udp_batch.h's UDP_BATCH_MAX). */
#define DGRAM_BATCH_MAX 32

static inline int dgram_path_send(dgram_path_t *p, const uint8_t *d, size_t n)
{
    return p->ops->send(p, d, n);
}

/* A batch by the path's send_batch, or by `send` one by one (stopping at the
 * first failure): the datagrams sent, or a negative UV error when none. */
static inline int dgram_path_send_batch(dgram_path_t *p, const uint8_t *d, size_t len, size_t seg)
{
    if (p->ops->send_batch) return p->ops->send_batch(p, d, len, seg);
    int count = 0;
    for (size_t off = 0; off < len; off += seg) {
        int r = p->ops->send(p, d + off, len - off < seg ? len - off : seg);
        if (r < 0) return count ? count : r;
        count++;
    }
    return count;
}

#endif
