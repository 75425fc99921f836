/* relay_grant: one side's share of a relay allocation as the rendezvous
 * message carries it to a client (pure; jansson objects in and out).
 *
 * The fragment, a member "relay" of the rendezvous message (h11-punch's
 * messages embed it as they are; see ARCHITECTURE.md, *The UDP relay*):
 *
 *   "relay": {"addr": "203.0.113.5", "port": 7002,
 *             "id": "0123456789abcdef", "side": 0, "key": "<64 hex digits>"}
 *
 * addr: the relay's IP literal, or "" for "the host your control
 * connection reached" (the server listens on a wildcard address); port:
 * 1..65535; id: the allocation id, 16 hex digits; side: 0 or 1; key: that
 * side's RELAY_KEY_LEN-byte key in hex. Unknown members are ignored (later
 * versions may add some). The key is a secret: never log it. */
#ifndef BURROW_RELAY_GRANT_H
#define BURROW_RELAY_GRANT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/relay_wire.h"

#define RELAY_GRANT_ADDR_MAX 46 /* INET6_ADDRSTRLEN */
#define RELAY_GRANT_KEY "relay" /* the member's name in the rendezvous message */

typedef struct relay_grant {
    char addr[RELAY_GRANT_ADDR_MAX]; /* "" = the control connection's host */
    int port;
    uint64_t alloc_id;
    uint8_t side;
    uint8_t key[RELAY_KEY_LEN];
} relay_grant_t;

/* The fragment's object (a new reference), or NULL on allocation failure. */
json_t *relay_grant_to_json(const relay_grant_t *g);
/* Reads the fragment's object (the value of "relay"). 0, or -1 when a
 * member is missing, of the wrong type or out of range (out undefined). */
int relay_grant_from_json(const json_t *o, relay_grant_t *out);
/* The same from the text of a whole rendezvous message's JSON object
 * (finds its "relay" member): for tests and the fuzz target. */
int relay_grant_parse(const char *text, size_t len, relay_grant_t *out);

#endif
