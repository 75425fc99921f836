/* nat_answer: one datagram read as an answer to a discovery request (pure).
 *
 * Checks what the probe relies on and nothing else: a STUN Binding message
 * (stun_parse), its transaction id, and for a success response a mapped
 * address (XOR-MAPPED-ADDRESS, else RFC 3489's MAPPED-ADDRESS) of a known
 * family; OTHER-ADDRESS is kept only when it has the family of the address
 * the request went to. A Binding *request* is reported too: the hairpinning
 * test sends one to the machine's own public address. */
#ifndef BURROW_NAT_ANSWER_H
#define BURROW_NAT_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/stun.h"

typedef enum nat_answer_kind {
    NAT_ANSWER_SUCCESS = 0,
    NAT_ANSWER_ERROR,   /* an error response; code in error_code */
    NAT_ANSWER_REQUEST, /* a Binding request (hairpinning) */
} nat_answer_kind_t;

typedef struct nat_answer {
    nat_answer_kind_t kind;
    uint8_t tid[STUN_TID_LEN];
    struct sockaddr_storage mapped; /* SUCCESS only */
    bool has_other;
    struct sockaddr_storage other;
    int error_code; /* ERROR only: 300..699 */
} nat_answer_t;

/* Garbage: not STUN, malformed, not Binding, an indication, a success
 * without a usable mapped address. */
#define NAT_ANSWER_GARBAGE (-1)

/* Reads p[0..n); `family` is that of the server asked (AF_INET/AF_INET6).
 * 0 and *a filled, or NAT_ANSWER_GARBAGE. */
int nat_answer_parse(const uint8_t *p, size_t n, int family, nat_answer_t *a);

#endif
