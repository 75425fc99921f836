/* relay_path: a dgram_path_t (net/dgram_path.h) over the server's UDP
 * relay (server/udp_relay.h), kind "relay".
 *
 * One connected UDP socket to the relay. Opening sends a BIND for the
 * grant's side (proto/relay_wire.h), retransmitted every
 * RELAY_PATH_RTO_MS, doubling up to RELAY_PATH_RTO_MAX_MS, at most
 * RELAY_PATH_BIND_TRIES times; the first BOUND reports ready(0), running
 * out reports ready(UV_ETIMEDOUT). Once bound, a BIND goes out every
 * keepalive (RELAY_PATH_KEEPALIVE_MS, under the 25 s NATs keep an idle
 * mapping) and also as soon as the path sends while nothing came back for
 * RELAY_PATH_QUIET_MS, so a NAT mapping that changed is re-bound within
 * seconds under traffic (the relay moves the side to the new address). A
 * keepalive round that runs out of tries, or an authenticated CLOSED,
 * calls on_down ("relay-timeout", "relay-closed").
 *
 * send() carries data only (first byte with bit 0x40 or 0x80 set: QUIC
 * packets), up to max_payload = RELAY_WIRE_DGRAM_MAX; before the first
 * BOUND and after on_down it returns UV_EAGAIN / UV_ENOTCONN.
 *
 * Ownership: relay_path_open's caller owns the path; it closes it with
 * p->ops->close(p, cb, arg); cb runs once both handles are closed and the
 * path is freed when cb returns. ready and on_down never run after close. */
#ifndef BURROW_RELAY_PATH_H
#define BURROW_RELAY_PATH_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "net/dgram_path.h"
#include "proto/relay_grant.h"

#define RELAY_PATH_RTO_MS 200
#define RELAY_PATH_RTO_MAX_MS 1600
#define RELAY_PATH_BIND_TRIES 6
#define RELAY_PATH_KEEPALIVE_MS 15000
#define RELAY_PATH_QUIET_MS 2000

typedef struct relay_path_cfg {
    struct sockaddr_storage relay; /* the relay's address */
    uint64_t alloc_id;
    uint8_t side;
    uint8_t key[RELAY_KEY_LEN];
    uint32_t keepalive_ms; /* 0: RELAY_PATH_KEEPALIVE_MS */
    uint32_t rto_ms;       /* 0: RELAY_PATH_RTO_MS (the cap is 8 times it); tests shorten it */
} relay_path_cfg_t;

typedef struct relay_path_stats {
    uint64_t sent, received; /* data datagrams */
    uint64_t binds, bounds;  /* BINDs sent, BOUNDs accepted */
    uint64_t dropped;        /* from the relay but not data and no valid message */
} relay_path_stats_t;

/* status 0: bound (send works); else the path is down: UV_ETIMEDOUT (no
 * BOUND came), UV_ECONNRESET (a CLOSED came first). */
typedef void (*relay_path_ready_cb)(dgram_path_t *p, int status, void *arg);

/* The path's config from a grant: addr "" means control_peer's IP (the
 * server the control connection reached). 0, or UV_EINVAL. */
int relay_path_cfg_from_grant(const relay_grant_t *g, const struct sockaddr *control_peer,
                              relay_path_cfg_t *out);
/* Opens the socket and sends the first BIND. 0 with *out set, or a
 * negative uv error (nothing left open). cfg is copied. */
int relay_path_open(uv_loop_t *loop, const relay_path_cfg_t *cfg, relay_path_ready_cb ready,
                    void *arg, dgram_path_t **out);
/* Whether p is a relay path's (ops->kind "relay"), and its counters. */
const relay_path_stats_t *relay_path_stats(const dgram_path_t *p);

#endif
