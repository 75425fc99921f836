/* dgram_path: one way to exchange datagrams with one peer.
 *
 * P2P (xtcp) runs one QUIC connection per visitor-owner pair over a path of
 * this kind, and moves it between paths without breaking its streams:
 *   - a punched UDP socket to the peer's address (p2p/punch.c),
 *   - the server's UDP relay, which forwards the pair's datagrams
 *     (server/udp_relay.c, client side p2p/relay_path.c).
 * QUIC (net/quic.c) sends through `ops->send` and is fed by `on_recv`; it
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

typedef struct dgram_path_ops {
    const char *kind; /* "direct" (punched UDP), "relay" (server relay): logs' path= */
    /* Sends one datagram now (uv_udp_try_send-like: no queue). 0, or a
     * negative UV error (UV_EAGAIN: dropped, the transport retransmits). */
    int (*send)(dgram_path_t *p, const uint8_t *data, size_t len);
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

static inline int dgram_path_send(dgram_path_t *p, const uint8_t *d, size_t n)
{
    return p->ops->send(p, d, n);
}

#endif
