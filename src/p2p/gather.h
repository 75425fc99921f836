/* gather: one punch socket's server-reflexive candidate and its NAT's
 * mapping behaviour, found with two STUN Binding requests from that very
 * socket (pure state machine: the caller owns the socket and the timer,
 * sends what gather asks for and feeds it what arrives).
 *
 * Request 1 goes to the STUN server (the burrow server's service on its
 * bindPort number, or natHoleStunServer): its XOR-MAPPED-ADDRESS is the
 * srflx candidate. When the answer names an OTHER-ADDRESS (RFC 5780: the
 * server runs its discovery mode) request 2 goes there: the same mapped
 * address means an endpoint-independent mapping ("easy", RFC 4787 §4.1),
 * another means a symmetric NAT ("hard"); a mapped address equal to the
 * socket's own LAN address means no NAT ("open"). Without OTHER-ADDRESS
 * the behaviour stays "unknown" (punching then treats the side as easy).
 * Each request is resent every GATHER_RETRY_MS; the whole gathering ends
 * within GATHER_MS whatever answers. */
#ifndef BURROW_GATHER_H
#define BURROW_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "p2p/cand.h"
#include "proto/stun.h"

#define GATHER_MS 1000
#define GATHER_RETRY_MS 200
#define GATHER_REQ_MAX 64 /* bytes of one Binding request */

typedef struct gather {
    struct sockaddr_storage dst[2]; /* 0: the STUN server, 1: its OTHER-ADDRESS */
    bool have_dst[2], got[2];
    struct sockaddr_storage mapped[2];
    uint8_t tid[2][STUN_TID_LEN];
    uint64_t start, last_send[2];
    bool done;
} gather_t;

/* A request gather wants sent now (to dst, len bytes of buf). */
typedef struct gather_send {
    const struct sockaddr *dst;
    uint8_t buf[GATHER_REQ_MAX];
    size_t len;
} gather_send_t;

/* Starts at `now` toward the STUN server `stun`. tid_seed: 2 * STUN_TID_LEN
 * random bytes (the caller's randomness; tests pass fixed ones). */
void gather_begin(gather_t *g, const struct sockaddr *stun, const uint8_t *tid_seed, uint64_t now);
/* What to send at `now` (0..2 requests into out[]); marks done at GATHER_MS. */
int gather_tick(gather_t *g, uint64_t now, gather_send_t out[2]);
/* A datagram that arrived on the socket: true when it was gather's answer. */
bool gather_on_datagram(gather_t *g, const uint8_t *p, size_t n, uint64_t now);
/* Whether gathering has ended (both answers in, or out of time). */
bool gather_done(const gather_t *g);
/* Adds the srflx candidate (if any) to set and sets set->nat; `local` is
 * the socket's LAN address (for "open"); NULL when unknown. */
void gather_result(const gather_t *g, const struct sockaddr *local, cand_set_t *set);

#endif
