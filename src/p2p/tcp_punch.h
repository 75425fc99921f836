/* tcp_punch: TCP hole punching by simultaneous open (seed 004, steps 1-8),
 * tried beside UDP punching for networks that block UDP.
 *
 * One local port P serves both listening and connecting: every socket is
 * bound to 0.0.0.0:P with SO_REUSEADDR and SO_REUSEPORT (steps 1, 5). P
 * goes to the peer in the rendezvous ("tcp": P beside the candidates,
 * p2p/cand.h); each side then listens on P and connects from P to every
 * address of the peer (its candidates' IPs with the peer's P: NATs that
 * preserve ports map P to P), retrying a failed connect every
 * TCP_PUNCH_RETRY_MS (steps 6-7): each side's outgoing SYN opens its NAT
 * for the other's, and the kernel turns the crossing SYNs into one
 * connection (or an accept, step 8).
 *
 * A connection counts only once it is authenticated: each end writes one
 * PROBE (p2p/punch_pkt.h, under the pair key) and must read a valid one
 * from the other role. The visitor NOMINATEs the first authenticated
 * connection; the owner takes the one a NOMINATE arrives on and ACKs it;
 * the visitor is done at that ACK. At most TCP_PUNCH_CONNS_MAX connections
 * (accepted or connecting) exist at once; more accepted ones are closed.
 * Everything ends by TCP_PUNCH_TIMEOUT_MS.
 *
 * Ownership: tcp_punch_t owns its listener and connections. On success the
 * chosen connection is handed over: the callback's `sock` (allocated with
 * malloc, reading stopped, data NULL) is the caller's, to uv_close and then
 * free. tcp_punch_close frees the rest once every handle closed. */
#ifndef BURROW_TCP_PUNCH_H
#define BURROW_TCP_PUNCH_H

#include <uv.h>

#include "p2p/cand.h"
#include "p2p/punch_pkt.h"

#define TCP_PUNCH_TIMEOUT_MS 6000
#define TCP_PUNCH_RETRY_MS 300
#define TCP_PUNCH_CONNS_MAX 16

typedef struct tcp_punch tcp_punch_t;

/* sock: the connected, authenticated socket (now the caller's), or NULL
 * with reason ("timeout", "socket"). */
typedef void (*tcp_punch_cb)(tcp_punch_t *t, uv_tcp_t *sock, const struct sockaddr *peer,
                             const char *reason, void *arg);

/* Binds and listens on a kernel-chosen port (SO_REUSEADDR, SO_REUSEPORT).
 * 0, or a negative UV error (nothing left open). */
int tcp_punch_new(uv_loop_t *loop, tcp_punch_t **out);
/* The local port P (for the rendezvous). */
int tcp_punch_port(const tcp_punch_t *t);
/* Connects from P to each of the peer's candidate IPs at port peer->tcp_port
 * and authenticates what connects or is accepted. 0 or UV_EINVAL. */
int tcp_punch_start(tcp_punch_t *t, punch_role_t role, const punch_key_t *key,
                    const cand_set_t *peer, tcp_punch_cb cb, void *arg);
/* Frees t once its handles have closed; cb may be NULL. */
void tcp_punch_close(tcp_punch_t *t, void (*cb)(void *arg), void *arg);

#endif
