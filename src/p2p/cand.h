/* cand: one side's xtcp candidates (the addresses where it might be reached
 * over UDP) and its NAT behaviour, as a bounded set and as the JSON the
 * rendezvous messages carry (pure: no sockets, no logging).
 *
 * In P2P_OFFER / P2P_ANSWER (proto/msg.h):
 *
 *   "cands": ["host 192.168.1.10:40000", "srflx 203.0.113.21:40000",
 *             "mapped 203.0.113.21:5100"],
 *   "nat":   "easy" | "hard" | "open" | "unknown",
 *   "tcp":   40001             (optional: the TCP punching port)
 *
 * at most CAND_MAX entries of at most CAND_TEXT_MAX bytes, IPv4 or IPv6
 * literals (addr.h's text form), ports 1..65535; anything else, or more,
 * refuses the whole list (a peer that lies about its candidates gains
 * nothing but a failed punch, but it must not make us send to hundreds of
 * addresses). `nat` is the mapping behaviour (RFC 4787 §4.1) seen from the
 * punch socket: "easy" endpoint-independent, "hard" dependent (a symmetric
 * NAT: each destination gets another port), "open" no NAT. */
#ifndef BURROW_CAND_H
#define BURROW_CAND_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/socket.h>

#define CAND_MAX 8       /* candidates per side, in a message and in a set */
#define CAND_TEXT_MAX 64 /* "srflx [ipv6]:port" fits */

typedef enum {
    CAND_HOST = 0, /* a LAN address of the punch socket */
    CAND_SRFLX,    /* server-reflexive: the NAT's mapping as STUN saw it */
    CAND_MAPPED,   /* a router mapping (PCP, NAT-PMP, UPnP) */
    CAND_TYPE_COUNT
} cand_type_t;

typedef enum {
    CAND_NAT_UNKNOWN = 0,
    CAND_NAT_OPEN, /* no NAT: the srflx address is the host's own */
    CAND_NAT_EASY, /* endpoint-independent mapping */
    CAND_NAT_HARD, /* dependent mapping (symmetric) */
    CAND_NAT_COUNT
} cand_nat_t;

typedef struct cand {
    cand_type_t type;
    struct sockaddr_storage addr;
} cand_t;

typedef struct cand_set {
    cand_t c[CAND_MAX];
    int n;
    cand_nat_t nat;
    int tcp_port; /* "tcp": the side's TCP punching port (p2p/tcp_punch.h); 0: none */
} cand_set_t;

const char *cand_type_name(cand_type_t t); /* "host", "srflx", "mapped"; "?" */
const char *cand_nat_name(cand_nat_t n);   /* "unknown", "open", "easy", "hard"; "?" */

/* Adds a candidate unless the same address is in already. 1 added, 0 a
 * duplicate, -1 the set is full or the address is not IPv4/IPv6. */
int cand_add(cand_set_t *s, cand_type_t t, const struct sockaddr *sa);
/* The first candidate of type t, or NULL. */
const cand_t *cand_find(const cand_set_t *s, cand_type_t t);

/* Sets "cands", "nat" and (when not 0) "tcp" on obj (a message being built). 0, or -1 (memory). */
int cand_to_json(const cand_set_t *s, json_t *obj);
/* Reads "cands", "nat" and the optional "tcp" (1..65535) from a message: 0,
 * or -1 when any is malformed or cands/nat are absent (out is then empty). */
int cand_from_json(const json_t *obj, cand_set_t *out);

#endif
