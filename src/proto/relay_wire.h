/* relay_wire: the control datagrams of the server's UDP relay (pure).
 *
 * A pair's two clients each hold one side (0 or 1) of an allocation: its
 * 64-bit id and a 32-byte side key, both from the server (proto/relay_grant.h
 * carries them in the rendezvous). Three messages, all RELAY_WIRE_LEN bytes:
 *
 *   offset size
 *    0      1   type: RELAY_MSG_BIND (client -> relay), RELAY_MSG_BOUND
 *               (relay -> client, the answer), RELAY_MSG_CLOSED (relay ->
 *               client: the allocation is gone)
 *    1      1   version, RELAY_WIRE_VERSION
 *    2      1   side, 0 or 1
 *    3      1   reason (CLOSED: relay_close_reason_t; else 0)
 *    4      8   allocation id, big-endian
 *   12      8   counter, big-endian: a BIND's is larger than every earlier
 *               BIND of that side (anti-replay); BOUND echoes it; CLOSED 0
 *   20     16   HMAC-SHA256(side key, bytes 0..19), first 16 bytes
 *
 * Every other datagram is a forwarded packet, sent and delivered as it is
 * (no header): the relay carries QUIC packets, whose first byte has the
 * fixed bit 0x40 or the long-header bit 0x80 set (RFC 9000 §17), while a
 * message's first byte is below 0x40. So a datagram is data iff
 * relay_wire_is_data(). (The fixed bit must not be greased, RFC 9287.) */
#ifndef BURROW_RELAY_WIRE_H
#define BURROW_RELAY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_WIRE_LEN 36
#define RELAY_WIRE_VERSION 1
#define RELAY_KEY_LEN 32
#define RELAY_MAC_LEN 16
#define RELAY_MAC_OFF 20
/* The largest forwarded datagram (a 1500-byte MTU less IPv4 and UDP
 * headers); QUIC sends at most this much over a relay path. */
#define RELAY_WIRE_DGRAM_MAX 1472

typedef enum {
    RELAY_MSG_BIND = 0x01,
    RELAY_MSG_BOUND = 0x02,
    RELAY_MSG_CLOSED = 0x03
} relay_msg_type_t;

/* Why an allocation ended (a CLOSED message's reason byte). */
typedef enum {
    RELAY_CLOSE_FREED = 1,   /* the rendezvous freed it (the pair ended) */
    RELAY_CLOSE_IDLE = 2,    /* nothing crossed it for the idle time */
    RELAY_CLOSE_STOPPING = 3 /* the server is stopping */
} relay_close_reason_t;

typedef struct relay_msg {
    uint8_t type, side, reason;
    uint64_t alloc_id, counter;
} relay_msg_t;

/* Writes m, MACed under key, into out. Returns RELAY_WIRE_LEN. */
size_t relay_wire_encode(const relay_msg_t *m, const uint8_t key[RELAY_KEY_LEN],
                         uint8_t out[RELAY_WIRE_LEN]);
/* Reads the fields of a message (the MAC is not checked: the caller looks
 * up the key by id and side first). RELAY_WIRE_LEN, or -1 when p is not a
 * well-formed message (length, type, version, side). */
int relay_wire_parse(const uint8_t *p, size_t n, relay_msg_t *out);
/* Whether a parsed message's MAC is right under key (constant time). */
bool relay_wire_verify(const uint8_t *p, size_t n, const uint8_t key[RELAY_KEY_LEN]);
/* Whether a datagram is a forwarded packet rather than a message. */
static inline bool relay_wire_is_data(const uint8_t *p, size_t n)
{
    return n > 0 && (p[0] & 0xc0) != 0;
}
/* A short name for a close reason ("freed", ...). */
const char *relay_close_name(int reason);

#endif
