/* punch: one xtcp pair's UDP hole punching on the libuv loop, from its
 * socket to a direct dgram_path_t (net/dgram_path.h).
 *
 * Use (either side of a pair):
 *   punch_t *p; punch_new(loop, role, &stun_addr, &cbs, arg, &p);
 *     -> on_gathered(p, &cands): this side's candidates (LAN addresses of
 *        the socket, its srflx address, later a router mapping) and NAT
 *        behaviour, within GATHER_MS: send them to the peer (P2P_OFFER /
 *        P2P_ANSWER through the server);
 *   punch_hold_gather(p) while a router mapping is asked for (portmap.h),
 *   then punch_add_mapped(p, external) or punch_release_gather(p);
 *   punch_start(p, &key, &peer_cands): probes every peer candidate at once
 *     -> on_done(p, &result): result.path is the direct path (owned by p,
 *        valid until punch_close), or NULL with result.reason.
 *   punch_close(p, cb, arg): closes every socket; cb runs once they are
 *     closed, after which p is freed (the path with it).
 *
 * The exchange (punch_pkt.h packets, all authenticated with the pair key):
 * both sides send PROBE to every candidate of the other every
 * PUNCH_PROBE_EVERY_MS and answer each valid PROBE with an ACK from the
 * socket it came to (to the address it came from: that is how a peer
 * behind a NAT is found at its peer-reflexive address, kept in a table of
 * PUNCH_PEERS_MAX) and a PROBE of their own there (a triggered check, as
 * ICE does). The visitor locks onto the first pair that answers its PROBE
 * with an ACK and NOMINATEs it; the owner locks onto the pair a NOMINATE
 * arrives on and ACKs it; the visitor is done at that ACK. So both ends use
 * one pair, and packets from anyone without the key are dropped (counted).
 *
 * Symmetric NAT against an easy one (seed 000, the birthday approach): the
 * hard side opens PUNCH_BIRTHDAY_SOCKETS more sockets, each PROBEing the
 * peer's srflx address every PUNCH_BIRTHDAY_EVERY_MS (each gets its own
 * NAT port); the easy side sprays PROBEs at random ports of the hard side's
 * public address, PUNCH_SPRAY_PER_TICK per tick, PUNCH_SPRAY_MAX in all.
 * With 256 mappings open and 2,048 probes over 64,512 ports the chance of
 * no hit is about e^-8. Two hard sides cannot meet: that is reported as
 * "both-symmetric" after the candidates had PUNCH_HARD_HARD_MS. Everything
 * ends by PUNCH_TIMEOUT_MS.
 *
 * On the chosen path: a KEEPALIVE each way every PUNCH_KEEPALIVE_MS (NATs
 * drop idle UDP mappings after 30 s or more; seed 000 says keep under 25 s);
 * nothing heard for PUNCH_DEAD_MS calls the path's on_down. Datagrams on
 * the path that are not punch packets go to path.on_recv (QUIC's). */
#ifndef BURROW_PUNCH_H
#define BURROW_PUNCH_H

#include <stdint.h>
#include <uv.h>

#include "net/dgram_path.h"
#include "p2p/cand.h"
#include "p2p/punch_pkt.h"

#define PUNCH_TICK_MS 20
#define PUNCH_PROBE_EVERY_MS 100
#define PUNCH_TIMEOUT_MS 6000
#define PUNCH_HARD_HARD_MS 2000
#define PUNCH_BIRTHDAY_SOCKETS 256
#define PUNCH_BIRTHDAY_EVERY_MS 500
#define PUNCH_SPRAY_PER_TICK 24
#define PUNCH_SPRAY_MAX 2048
#define PUNCH_PEERS_MAX 16
#define PUNCH_KEEPALIVE_MS 15000
#define PUNCH_DEAD_MS 50000
#define PUNCH_MAX_PAYLOAD 1200 /* QUIC's minimum; safe on every IPv4 path */

typedef struct punch punch_t;

typedef struct punch_result {
    dgram_path_t *path; /* NULL: failed */
    const char *reason; /* failed: "timeout", "both-symmetric", "socket" */
    const char *via;    /* "host", "srflx", "mapped", "prflx" or "birthday" */
    uint64_t rtt_ms;    /* the answered probe's round trip */
    uint64_t took_ms;   /* punch_start -> path */
    uint64_t probes;    /* probes sent */
    uint64_t dropped;   /* punch packets refused (wrong key, altered, another pair) */
} punch_result_t;

typedef struct punch_cbs {
    void (*on_gathered)(punch_t *p, const cand_set_t *self, void *arg);
    void (*on_done)(punch_t *p, const punch_result_t *r, void *arg);
} punch_cbs_t;

/* Opens the socket (0.0.0.0, a kernel port) and starts gathering toward
 * `stun` (copied). 0, or a negative UV error (nothing left open). */
int punch_new(uv_loop_t *loop, punch_role_t role, const struct sockaddr *stun,
              const punch_cbs_t *cbs, void *arg, punch_t **out);
/* A router mapping of the socket's port is being asked for: unless STUN
 * found the NAT easy (its srflx address will do), gathering waits for it
 * (never past GATHER_MS) until punch_add_mapped or punch_release_gather.
 * Call before on_gathered. */
void punch_hold_gather(punch_t *p);
/* The router's mapping (its external address) as a `mapped` candidate;
 * releases the hold. 0, or -1 when gathering is over or the set is full. */
int punch_add_mapped(punch_t *p, const struct sockaddr *ext);
/* No mapping will come: gathering may end. */
void punch_release_gather(punch_t *p);
/* Starts punching with the pair's key and the peer's candidates (copied).
 * Valid once on_gathered ran. 0, or UV_EINVAL. */
int punch_start(punch_t *p, const punch_key_t *key, const cand_set_t *peer);
/* The local port of the main socket (for a router mapping). */
int punch_port(const punch_t *p);
/* Frees p once every handle closed; cb may be NULL. p must not be used after. */
void punch_close(punch_t *p, void (*cb)(void *arg), void *arg);
/* Tests only: overrides the gathered NAT behaviour (a unit test cannot
 * put itself behind a symmetric NAT). */
void punch_test_set_nat(punch_t *p, cand_nat_t nat);
/* The result so far (for logs): rtt, the peer's address. */
const punch_result_t *punch_last(const punch_t *p);

#endif
