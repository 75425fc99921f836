/* stun_srv: the server's STUN service (RFC 8489 Binding, RFC 5780 NAT
 * behaviour discovery, RFC 3489 classic clients), on libuv UDP handles.
 *
 * Plain mode: one socket, addr:port; a Binding request gets
 * XOR-MAPPED-ADDRESS (and RESPONSE-ORIGIN when addr is not a wildcard),
 * SOFTWARE, FINGERPRINT. A CHANGE-REQUEST asking for a change it cannot
 * make gets 420 Unknown Attribute (RFC 5780 §6.1: the server has no
 * alternate address); from a classic client (no magic cookie), which would
 * read any answer as "the change worked", it gets no answer at all.
 *
 * Discovery mode (a second address B besides A): four sockets
 *   slot 0 A:P   slot 1 A:P2   slot 2 B:P   slot 3 B:P2
 * A reply carries OTHER-ADDRESS (the slot differing in both address and
 * port from the one the request came in on) and RESPONSE-ORIGIN (the slot
 * it leaves from); CHANGE-REQUEST picks that slot: change-IP flips bit 1
 * of the slot index, change-port bit 0.
 *
 * Only Binding requests are answered. Anything else (not STUN, malformed,
 * indications, responses, other methods, datagrams over STUN_SRV_REQ_MAX)
 * is dropped without a reply, counted by reason, and logged at most once
 * per STUN_SRV_LOG_MS. No reply is ever longer than its request plus
 * STUN_SRV_REPLY_SLACK bytes, so the service is no reflection amplifier
 * beyond that constant; replies are sent with uv_udp_try_send (nothing is
 * queued: a full socket buffer drops the reply).
 *
 * Ownership: the server owns the stun_srv_t; stun_srv_stop() closes every
 * handle, stun_srv_destroy() frees once the loop has run dry. */
#ifndef BURROW_STUN_SRV_H
#define BURROW_STUN_SRV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define STUN_SRV_REQ_MAX 1280    /* larger datagrams are dropped (IPv6's minimum MTU) */
#define STUN_SRV_REPLY_SLACK 100 /* reply bytes beyond the request's, at most */
#define STUN_SRV_LOG_MS 60000    /* drop lines: at most one per this period */
#define STUN_SRV_SLOTS 4
#define STUN_SRV_SOFTWARE "burrow " BURROW_VERSION

/* Why a datagram got no answer. */
typedef enum {
    STUN_DROP_OVERSIZED,   /* over STUN_SRV_REQ_MAX */
    STUN_DROP_MALFORMED,   /* not STUN, or fails the codec's checks */
    STUN_DROP_NOT_REQUEST, /* an indication or a response */
    STUN_DROP_NOT_BINDING, /* a request for another method */
    STUN_DROP_NO_CHANGE,   /* a classic (RFC 3489) CHANGE-REQUEST without a second
                            * address: old clients take any answer for success */
    STUN_DROP_TOO_BIG,     /* the answer would break the amplification bound */
    STUN_DROP_SEND_FAILED, /* the socket refused the answer */
    STUN_DROP_COUNT
} stun_drop_t;

typedef struct stun_srv_stats {
    uint64_t received; /* datagrams read */
    uint64_t answered; /* success responses sent */
    uint64_t errors;   /* error responses sent (420) */
    uint64_t dropped[STUN_DROP_COUNT];
} stun_srv_stats_t;

typedef struct stun_srv_cfg {
    const char *addr;     /* A: an IP literal; a wildcard ("0.0.0.0", "::") is allowed */
    int port;             /* P; 0: any (tests) */
    const char *alt_addr; /* B: NULL: find one (the host's global IPv4 addresses
                           * are exactly A and one other); "": none */
    int alt_port;         /* P2; 0: P + 1 */
} stun_srv_cfg_t;

typedef struct stun_srv stun_srv_t;

/* NULL on allocation failure. */
stun_srv_t *stun_srv_create(uv_loop_t *loop);
/* Binds and starts reading; logs what it serves (and, in plain mode, why
 * discovery is off). 0, or a negative uv error after logging it (the
 * sockets it opened are closed by stun_srv_stop as usual). cfg is copied. */
int stun_srv_start(stun_srv_t *s, const stun_srv_cfg_t *cfg);
/* Closes every handle and logs the totals. Safe to call twice. */
void stun_srv_stop(stun_srv_t *s);
/* After the loop has run dry. NULL is a no-op. */
void stun_srv_destroy(stun_srv_t *s);

/* The bound address of a slot (0..3) into out; false when the slot is not
 * serving. Slot 0 is the primary A:P. */
bool stun_srv_slot_addr(const stun_srv_t *s, int slot, struct sockaddr_storage *out);
/* Whether the four sockets of RFC 5780 discovery are serving. */
bool stun_srv_discovery(const stun_srv_t *s);
const stun_srv_stats_t *stun_srv_stats(const stun_srv_t *s);
/* A short name for a drop reason ("malformed", ...). */
const char *stun_drop_name(stun_drop_t why);

#endif
