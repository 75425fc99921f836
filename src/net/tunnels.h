/* tunnels: a set of running relays (relay.h), listed so that their owner can
 * end them all when it stops. Both roles use one: the server for its tcp
 * users, https connections and upgraded http fronts, the client for its
 * stream work conns.
 *
 * Ownership: the owner embeds a tunnels_t (zeroed: empty) and must keep it
 * until the set is empty again. A tunnel record lives from tunnels_relay
 * until its relay's `done` (both conns closed); the relay owns the conns. */
#ifndef BURROW_TUNNELS_H
#define BURROW_TUNNELS_H

#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"

typedef struct relay_meter relay_meter_t; /* net/relay.h */

typedef struct tunnel tunnel_t;
typedef struct tunnels {
    tunnel_t *head;
    int n; /* running */
} tunnels_t;

/* Relays a and b (both taken) as one of set's tunnels; `early` (copied)
 * goes to b first; `what` (static) names it in the log. On failure both
 * conns are closed. */
void tunnels_relay(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early, size_t early_len,
                   const char *what);
/* The same with live byte counts (relay.h's relay_meter_t; may be NULL). */
void tunnels_relay_metered(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early,
                           size_t early_len, const char *what, const relay_meter_t *meter);
/* The same, marked with `tag` (compared, never dereferenced: e.g. the
 * client's proxy), so that tunnels_end_tag can end the tunnels of one. */
void tunnels_relay_tagged(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early,
                          size_t early_len, const char *what, const void *tag);
/* Both (meter and tag may be NULL). */
void tunnels_relay_ex(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early, size_t early_len,
                      const char *what, const relay_meter_t *meter, const void *tag);
/* Ends the tunnels of set marked with `tag` (as tunnels_end_all). The
 * number ended. */
int tunnels_end_tag(tunnels_t *set, const void *tag);
/* Ends every tunnel of set: each relay then closes its conns, and its
 * record leaves the set from a later callback. */
void tunnels_end_all(tunnels_t *set);

#endif
