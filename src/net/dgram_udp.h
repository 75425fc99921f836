/* dgram_udp: a dgram_path (net/dgram_path.h) on one UDP socket that talks to
 * one remote address: datagrams from anyone else are dropped.
 *
 * The plain kind of path: what a punched socket becomes (p2p/punch.c), and
 * what the QUIC tests and bench run over on loopback.
 *
 * send_batch goes by UDP GSO where the kernel has it, else sendmmsg
 * (net/udp_batch.h).
 *
 * Ownership: dgram_udp_open() returns a path owned by the caller, closed
 * with path->ops->close (the memory is gone after its callback). */
#ifndef BURROW_DGRAM_UDP_H
#define BURROW_DGRAM_UDP_H

#include <uv.h>

#include "net/dgram_path.h"
#include "net/udp_batch.h"

/* Socket buffers asked of the kernel: a QUIC window in flight fits. */
#define DGRAM_UDP_SOCKBUF (4 * 1024 * 1024)
/* Largest datagram a path sends (its max_payload). */
#define DGRAM_UDP_MAX 1500

/* Binds `local` (port 0: any), then exchanges datagrams with `remote` only.
 * `kind` ("direct", "relay") is borrowed and must be static. Receiving starts
 * at once (set on_recv before the loop runs). NULL with *err set on failure. */
dgram_path_t *dgram_udp_open(uv_loop_t *loop, const struct sockaddr *local,
                             const struct sockaddr *remote, const char *kind, int *err);
/* Adopts an already bound UDP socket (a punched one): as above, from `fd`.
 * The path owns fd from the call on: it is closed on failure too. */
dgram_path_t *dgram_udp_open_fd(uv_loop_t *loop, uv_os_sock_t fd, const struct sockaddr *remote,
                                const char *kind, int *err);
/* send_batch no better than `k` from now on (tests: the fallbacks). */
void dgram_udp_limit_batch(dgram_path_t *p, udp_batch_kind_t k);
/* How send_batch goes now: "gso", "sendmmsg", "one-by-one" (static). */
const char *dgram_udp_batch_kind(const dgram_path_t *p);
/* The owner decides the path is dead (keepalive lost, a test): stops
 * receiving and tells the user through on_down(reason) once. */
void dgram_udp_down(dgram_path_t *p, const char *reason);

#endif
