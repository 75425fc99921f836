/* nat_class: what NAT discovery observed, and what it means (pure).
 *
 * nat_probe.c fills a nat_obs_t from STUN exchanges (RFC 5780 §4) and the
 * router probe; nat_classify() turns it into a verdict: where the machine sits
 * (public address, one NAT, carrier-grade NAT), the mapping and filtering
 * behaviours, hairpinning, port preservation and the classic name (full cone,
 * restricted cone, port-restricted cone, symmetric), each with a reason when it
 * cannot be known. No sockets, no clock: every rule here is a unit test. */
#ifndef BURROW_NAT_CLASS_H
#define BURROW_NAT_CLASS_H

#include <stdbool.h>
#include <sys/socket.h>

/* RFC 4787 §4.1 / §5 behaviours, for mapping and filtering alike. */
typedef enum nat_behavior {
    NAT_B_UNKNOWN = 0,
    NAT_B_EI,  /* endpoint-independent */
    NAT_B_AD,  /* address-dependent */
    NAT_B_APD, /* address-and-port-dependent */
    NAT_B_COUNT
} nat_behavior_t;

typedef enum nat_tri { NAT_TRI_UNKNOWN = 0, NAT_TRI_NO, NAT_TRI_YES, NAT_TRI_COUNT } nat_tri_t;

/* Where the machine sits. */
typedef enum nat_place {
    NAT_PLACE_UNKNOWN = 0,
    NAT_PLACE_PUBLIC, /* its own address is the public one */
    NAT_PLACE_NAT,    /* behind one NAT (or more that cannot be seen) */
    NAT_PLACE_CGNAT,  /* behind a carrier-grade NAT (two NATs in a row) */
    NAT_PLACE_COUNT
} nat_place_t;

/* The classic names (seed 004: the four types) plus "open" for no NAT and no
 * filtering. */
typedef enum nat_classic {
    NAT_CLASSIC_UNKNOWN = 0,
    NAT_CLASSIC_OPEN,
    NAT_CLASSIC_FULL_CONE,
    NAT_CLASSIC_RESTRICTED,
    NAT_CLASSIC_PORT_RESTRICTED,
    NAT_CLASSIC_SYMMETRIC,
    NAT_CLASSIC_COUNT
} nat_classic_t;

/* The outcome of one exchange. WRONG: an answer came, but not from the
 * address the test needs (a server ignoring CHANGE-REQUEST), so it proves
 * nothing. */
typedef enum nat_ans {
    NAT_ANS_NOT_TRIED = 0,
    NAT_ANS_OK,
    NAT_ANS_TIMEOUT,
    NAT_ANS_WRONG,
    NAT_ANS_REFUSED /* an error response (e.g. 420 for CHANGE-REQUEST) */
} nat_ans_t;

typedef struct nat_obs {
    struct sockaddr_storage local; /* the probe socket's address (route's source IP) */
    char ifname[32];               /* the interface holding that address, "" unknown */
    nat_ans_t t1;                  /* Binding to the primary address */
    struct sockaddr_storage mapped1;
    bool has_other; /* OTHER-ADDRESS in t1's answer (an RFC 5780 server) */
    struct sockaddr_storage other;
    nat_ans_t t2; /* Binding to the alternate IP, primary port */
    struct sockaddr_storage mapped2;
    nat_ans_t t3; /* Binding to the alternate IP and port */
    struct sockaddr_storage mapped3;
    nat_ans_t f_both;    /* CHANGE-REQUEST change IP and port answered */
    nat_ans_t f_port;    /* CHANGE-REQUEST change port answered */
    nat_ans_t hairpin;   /* a Binding sent to mapped1 from a second socket arrived */
    bool has_router_wan; /* the router reported its external (WAN) address */
    struct sockaddr_storage router_wan;
    int lifetime_lo, lifetime_hi; /* idle mapping lifetime bracket, s; -1: not measured */
    const char *lifetime_why;     /* static; set when asked for but unknown */
} nat_obs_t;

typedef struct nat_verdict {
    nat_place_t place;
    const char *place_why; /* static text: the evidence */
    nat_behavior_t mapping, filtering;
    const char *mapping_why, *filtering_why; /* static; why unknown, else NULL */
    nat_tri_t hairpin, port_preserved;
    nat_classic_t classic;
} nat_verdict_t;

/* Clears o (lifetimes -1, everything unknown). */
void nat_obs_init(nat_obs_t *o);
void nat_classify(const nat_obs_t *o, nat_verdict_t *v);

/* 100.64.0.0/10 (RFC 6598 shared address space). */
bool nat_ip_is_shared(const struct sockaddr *sa);
/* Not globally routable: RFC 1918, RFC 6598, loopback, link-local, IPv6 ULA
 * and link-local. */
bool nat_ip_is_private(const struct sockaddr *sa);
/* Same IP (and with ports, same port). */
bool nat_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
bool nat_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* Stable names ("endpoint-independent", ...; "unknown"), used by --json. */
const char *nat_behavior_name(nat_behavior_t b);
const char *nat_tri_name(nat_tri_t t);     /* "unknown", "no", "yes" */
const char *nat_place_name(nat_place_t p); /* "unknown", "public", "nat", "cgnat" */
/* The seed's first question (000 §二.1-2): can the public address plus
 * DDNS and a router mapping reach this host, or is the tunnel needed?
 * One sentence per place; "one NAT" splits on whether the router told its
 * WAN address. NULL when the place is unknown. */
const char *nat_direct_sentence(const nat_obs_t *o, const nat_verdict_t *v);
const char *nat_classic_key(nat_classic_t c);  /* "unknown", "open", "full-cone", ... */
const char *nat_classic_name(nat_classic_t c); /* "full cone", ... for people */
/* One plain sentence: what a P2P connection between `me` and `peer` needs. */
const char *nat_p2p_sentence(nat_classic_t me, nat_classic_t peer);

#endif
