/* udp_relay: the server's UDP relay for P2P pairs (TURN-like, much smaller).
 *
 * When the rendezvous pairs a visitor with an owner, it allocates here
 * (udp_relay_alloc) and hands each client one side's grant: the
 * allocation id and that side's key (proto/relay_grant.h). Each client
 * binds its address to its side with an authenticated BIND
 * (proto/relay_wire.h: HMAC under the side key, a counter larger than the
 * side's last one); the relay answers BOUND. From then on a datagram from
 * side A's bound address that is data (relay_wire_is_data) goes out
 * unchanged to side B's bound address, and back: no header, so a QUIC
 * packet keeps its full size. A BIND from a new address moves the side
 * there (a NAT mapping that changed); the old address is forgotten.
 *
 * Bounds (each a constant below, or a cfg field defaulting to one):
 * allocations in total (cfg.max_allocs, UDP_RELAY_MAX_ALLOCS) and per user
 * (cfg.max_per_user, UDP_RELAY_MAX_PER_USER); bytes per second per
 * allocation, both directions together, by a token bucket (cfg.rate_bps,
 * UDP_RELAY_RATE_BPS; cfg.burst, UDP_RELAY_BURST), each datagram costing
 * its length plus UDP_RELAY_PKT_COST, so small packets count too; idle
 * expiry (cfg.idle_ms, UDP_RELAY_IDLE_MS: no datagram and no BIND);
 * datagrams over UDP_RELAY_DGRAM_MAX are dropped. Memory is one table of
 * max_allocs entries made at start and a string per allocation's user.
 * One datagram in makes at most one out, never larger: the relay is no
 * amplifier. Drops are counted by reason and logged at most once per
 * UDP_RELAY_LOG_MS.
 *
 * Ownership: the server owns the udp_relay_t; udp_relay_stop() sends
 * CLOSED to every bound side and closes the handles; udp_relay_destroy()
 * frees after the loop has run dry. Allocations belong to the relay; the
 * rendezvous holds only their ids, and freeing one that expired is a
 * no-op. */
#ifndef BURROW_UDP_RELAY_H
#define BURROW_UDP_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "proto/relay_wire.h"

#define UDP_RELAY_MAX_ALLOCS 4096     /* allocations in total (default) */
#define UDP_RELAY_MAX_PER_USER 64     /* allocations per user (default) */
#define UDP_RELAY_RATE_BPS (4u << 20) /* bytes/s per allocation (default 4 MiB/s) */
#define UDP_RELAY_BURST (256u << 10)  /* token bucket depth, bytes (default) */
#define UDP_RELAY_PKT_COST 28         /* bytes charged per datagram beyond its own (IP+UDP) */
#define UDP_RELAY_IDLE_MS 60000       /* an allocation idle this long ends (default) */
#define UDP_RELAY_SWEEP_MS 1000       /* how often idleness is checked, at most */
#define UDP_RELAY_DGRAM_MAX RELAY_WIRE_DGRAM_MAX /* larger datagrams are dropped */
#define UDP_RELAY_LOG_MS 60000                   /* drop lines: at most one per this period */
#define UDP_RELAY_USER_MAX 256                   /* longer user names are refused */

typedef enum {
    UDP_RELAY_DROP_OVERSIZED,    /* over UDP_RELAY_DGRAM_MAX */
    UDP_RELAY_DROP_STRANGER,     /* data from an address bound to no side */
    UDP_RELAY_DROP_MALFORMED,    /* neither data nor a well-formed BIND */
    UDP_RELAY_DROP_UNKNOWN,      /* a BIND for no live allocation */
    UDP_RELAY_DROP_BAD_MAC,      /* a BIND whose MAC is wrong */
    UDP_RELAY_DROP_REPLAY,       /* a BIND whose counter is not above the side's last */
    UDP_RELAY_DROP_PEER_UNBOUND, /* data while the other side has no address yet */
    UDP_RELAY_DROP_RATE,         /* over the allocation's token bucket */
    UDP_RELAY_DROP_SEND_FAILED,  /* the socket refused it */
    UDP_RELAY_DROP_COUNT
} udp_relay_drop_t;

typedef struct udp_relay_stats {
    uint64_t received, forwarded, forwarded_bytes;
    uint64_t binds, rebinds; /* BINDs accepted; those that moved a side */
    uint64_t allocs, freed, expired;
    uint64_t refused_total, refused_user; /* udp_relay_alloc over a bound */
    uint64_t dropped[UDP_RELAY_DROP_COUNT];
} udp_relay_stats_t;

typedef struct udp_relay_cfg {
    const char *addr;  /* IP literal, wildcard allowed */
    int port;          /* 0: any (tests) */
    int max_allocs;    /* 0: UDP_RELAY_MAX_ALLOCS */
    int max_per_user;  /* 0: UDP_RELAY_MAX_PER_USER */
    uint32_t rate_bps; /* 0: UDP_RELAY_RATE_BPS */
    uint32_t burst;    /* 0: UDP_RELAY_BURST */
    uint32_t idle_ms;  /* 0: UDP_RELAY_IDLE_MS */
} udp_relay_cfg_t;

/* Who an allocation is for (borrowed during the call). */
typedef struct udp_relay_pair {
    const char *user;  /* counted against max_per_user (the visitor's user) */
    const char *proxy; /* for logs */
} udp_relay_pair_t;

/* What udp_relay_alloc hands back: side i's grant is (id, i, key[i]). */
typedef struct udp_relay_alloc {
    uint64_t id;
    uint8_t key[2][RELAY_KEY_LEN];
    uint32_t idle_ms; /* it ends after this long without traffic or BIND */
} udp_relay_alloc_t;

typedef struct udp_relay udp_relay_t;

udp_relay_t *udp_relay_create(uv_loop_t *loop);
/* Binds and starts reading. 0, or a negative uv error after logging it
 * (udp_relay_stop closes what was opened). cfg is copied. */
int udp_relay_start(udp_relay_t *r, const udp_relay_cfg_t *cfg);
/* CLOSED to every bound side, then closes the handles; logs totals. Safe twice. */
void udp_relay_stop(udp_relay_t *r);
/* After the loop has run dry. NULL is a no-op. */
void udp_relay_destroy(udp_relay_t *r);

/* A new allocation for pair. 0; UV_ENFILE when max_allocs are live;
 * UV_EMFILE when the user holds max_per_user; UV_EINVAL for a user over
 * UDP_RELAY_USER_MAX bytes; UV_ENOTCONN when the relay is not serving;
 * UV_EIO when no random bytes could be had. */
int udp_relay_alloc(udp_relay_t *r, const udp_relay_pair_t *pair, udp_relay_alloc_t *out);
/* Side `side`'s key of live allocation id (the rendezvous hands the
 * visitor its grant only when the owner answers, and keeps nothing
 * meanwhile). 0, or -1 when the allocation is gone. */
int udp_relay_side_key(udp_relay_t *r, uint64_t id, int side, uint8_t key[RELAY_KEY_LEN]);
/* Ends allocation id (CLOSED to its bound sides). No-op when it is gone. */
void udp_relay_free(udp_relay_t *r, uint64_t id);
/* Live allocations. */
int udp_relay_count(const udp_relay_t *r);
/* The bound address; false when not serving. */
bool udp_relay_addr(const udp_relay_t *r, struct sockaddr_storage *out);
const udp_relay_stats_t *udp_relay_stats(const udp_relay_t *r);
const char *udp_relay_drop_name(udp_relay_drop_t why);

/* The datagram handler itself (what the socket's read callback calls):
 * for the fuzz target, which feeds it in-process. */
void udp_relay_datagram(udp_relay_t *r, const uint8_t *p, size_t n, bool partial,
                        const struct sockaddr *from);

#endif
