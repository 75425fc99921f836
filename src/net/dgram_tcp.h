/* dgram_tcp: a dgram_path (net/dgram_path.h) over one connected TCP
 * socket, kind "direct-tcp": what a TCP simultaneous open
 * (p2p/tcp_punch.h) becomes, so that an xtcp pair's QUIC connection can
 * migrate onto it where UDP between the sites is blocked. QUIC's own
 * handshake (TLS 1.3, the pair's pinned fingerprints) makes it "TLS over the
 * punched TCP path"; nothing here encrypts.
 *
 * Framing: each datagram is a 2-byte big-endian length, then that many
 * bytes. A length of 0 or above DGRAM_TCP_MAX is malformed: the path goes
 * down ("bad-frame"), since the stream cannot be resynchronised.
 *
 * Sending never blocks and never queues without bound: what the kernel does
 * not take at once is queued (a copy) up to DGRAM_TCP_QUEUE_MAX bytes;
 * beyond that send() returns UV_EAGAIN and the datagram is dropped, which
 * QUIC's loss recovery treats as congestion (dgram_path.h's contract). The
 * socket has TCP_NODELAY (QUIC's ACKs must not wait for Nagle) and
 * TCP_USER_TIMEOUT (DGRAM_TCP_USER_TIMEOUT_MS: a path whose peer vanished
 * while data is in flight ends in seconds, not after minutes of retries).
 *
 * Ownership: dgram_tcp_open adopts the socket; the caller owns the path and
 * closes it with path->ops->close (the socket and the path are freed after
 * its callback). The end of the stream (EOF, error, bad frame) tells the
 * user through on_down, then the owner through `lost`, once each; neither
 * runs after close. */
#ifndef BURROW_DGRAM_TCP_H
#define BURROW_DGRAM_TCP_H

#include <sys/types.h>
#include <uv.h>

#include "net/dgram_path.h"

/* Largest datagram (the path's max_payload): above QUIC_MAX_UDP_PAYLOAD,
 * so no QUIC packet is refused. */
#define DGRAM_TCP_MAX 1500
/* Bytes of one frame's header. */
#define DGRAM_TCP_HDR 2
/* Bytes queued beyond what the kernel took before send() drops. */
#define DGRAM_TCP_QUEUE_MAX (256 * 1024)
/* Receive buffer: always room for a whole frame after a partial one. */
#define DGRAM_TCP_RXBUF (64 * 1024)
/* TCP_USER_TIMEOUT: unacknowledged data this long ends the connection. */
#define DGRAM_TCP_USER_TIMEOUT_MS 10000

/* One frame at p (pure): the bytes it takes (DGRAM_TCP_HDR + *n) with
 * *d, *n its datagram; 0 when more bytes are needed; UV_EPROTO when the
 * length is 0 or above `max`. */
ssize_t dgram_tcp_parse(const uint8_t *p, size_t len, size_t max, const uint8_t **d, size_t *n);
/* The header of a frame carrying n bytes (n <= 65535). */
void dgram_tcp_header(size_t n, uint8_t out[DGRAM_TCP_HDR]);

typedef struct dgram_tcp_stats {
    uint64_t sent, received; /* datagrams */
    uint64_t dropped;        /* send() refused: the queue was full */
    size_t queued;           /* bytes in the queue now */
    size_t queued_peak;      /* the most it held */
} dgram_tcp_stats_t;

/* The owner hears that the stream ended (after the user's on_down). */
typedef void (*dgram_tcp_lost_cb)(dgram_path_t *p, const char *reason, void *arg);

/* Adopts `sock` (connected, not reading, allocated with malloc; the path
 * frees it), names the path by getsockname/getpeername and starts reading
 * (set on_recv before the loop runs). On failure the socket is closed and
 * freed too: NULL with *err. `lost` may be NULL. */
dgram_path_t *dgram_tcp_open(uv_tcp_t *sock, dgram_tcp_lost_cb lost, void *arg, int *err);
/* Whether p is a dgram_tcp path (ops->kind "direct-tcp"), and its counters. */
const dgram_tcp_stats_t *dgram_tcp_stats(const dgram_path_t *p);

#endif
