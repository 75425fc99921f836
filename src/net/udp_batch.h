/* udp_batch: many datagrams to one peer in one system call, the one place
 * with the platform code for it (Linux UDP GSO, sendmmsg).
 *
 * A batch is one contiguous buffer cut into datagrams of `seg` bytes, the
 * last one possibly shorter: what QUIC writes when it has a window to fill
 * (net/quic.c). The kinds, tried in this order:
 *   - UDP GSO (Linux >= 4.18: a UDP_SEGMENT cmsg): one sendmsg, the kernel
 *     (or the NIC) cuts the datagrams, so the stack is crossed once;
 *   - sendmmsg(2) (Linux, the BSDs): one call, one trip per datagram;
 *   - one sendmsg per datagram (anywhere else).
 * GSO is asked of the kernel when the socket is set up (udp_batch_init); a
 * send that fails with EIO (a device without checksum offload on the route)
 * or EINVAL turns it off for that socket, logged once per socket, and the
 * batch goes out by the next kind.
 *
 * Ownership: udp_batch_t is a small state the socket's owner embeds; the
 * fd and the buffers are borrowed for the call. */
#ifndef BURROW_UDP_BATCH_H
#define BURROW_UDP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* Most datagrams in one batch. The kernel takes at most 64 segments per GSO
 * send (UDP_MAX_SEGMENTS) and 64 KiB in all; a caller keeps
 * count * seg under UDP_BATCH_BYTES. */
#define UDP_BATCH_MAX 32
#define UDP_BATCH_BYTES 65000

typedef enum { UDP_BATCH_GSO, UDP_BATCH_MMSG, UDP_BATCH_LOOP } udp_batch_kind_t;

typedef struct udp_batch {
    udp_batch_kind_t kind; /* the best kind this socket still allows */
    bool told;             /* the fallback was logged */
} udp_batch_t;

/* Sets b up for the UDP socket fd: GSO when the kernel knows UDP_SEGMENT,
 * else the next kind this platform has. */
void udp_batch_init(udp_batch_t *b, int fd);
/* Forces a kind no better than `k` (tests, and a fallback). */
void udp_batch_limit(udp_batch_t *b, udp_batch_kind_t k);
const char *udp_batch_kind_str(udp_batch_kind_t k);

/* Reading with libuv's recvmmsg (UV_UDP_RECVMMSG): the loop's one read
 * buffer, UDP_BATCH_RX_SLOTS datagrams of 64 KiB (libuv's slot size). For
 * an alloc callback; one loop thread: every datagram is handed on before
 * the next read, so all sockets share it. */
#define UDP_BATCH_RX_SLOTS 16
void udp_batch_rx_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);

/* Sends data[0..len) as datagrams of seg bytes (the last one may be
 * shorter) to `to` (NULL: the socket is connected). The count of datagrams
 * the kernel took (a prefix of the batch; the rest is dropped, as a full
 * socket buffer would), or a negative UV error when none went (UV_EAGAIN:
 * the buffer is full). */
int udp_batch_send(udp_batch_t *b, int fd, const struct sockaddr *to, const uint8_t *data,
                   size_t len, size_t seg);

#endif
