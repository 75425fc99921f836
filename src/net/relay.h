/* relay: joins two conns and pumps bytes both ways until both are done.
 *
 * Takes ownership of both conns (it replaces their callbacks). Each direction
 * has backpressure: when the destination queues more than CONN_HIGH_WATER
 * bytes, the source stops reading until the destination drains. A FIN (or TLS
 * close_notify) on one side becomes a shutdown of the other side's write half,
 * so half-closed protocols work. An error on either side closes both. When
 * both conns are closed, `done` runs (if set) and the relay frees itself. */
#ifndef BURROW_RELAY_H
#define BURROW_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"

typedef struct relay relay_t;
typedef void (*relay_done_cb)(void *ctx, uint64_t a_to_b, uint64_t b_to_a);

/* `a_to_b`/`b_to_a` (may be NULL/0) are bytes read before the relay started
 * that must reach the other side first; they are copied. Returns NULL (and
 * closes both conns) on allocation failure. */
relay_t *relay_start(conn_t *a, conn_t *b, const uint8_t *a_to_b, size_t a_to_b_len,
                     relay_done_cb done, void *ctx);

/* Live byte counts for an owner that shows them (the dashboard): on_bytes
 * runs as bytes move (from 0: read from a, 1: from b; the splice pump's
 * bytes arrive when it finishes), on_done once when the relay ends (also
 * when relay_start_metered fails). The meter is copied; ctx must stay
 * valid until on_done. */
typedef struct relay_meter {
    void (*on_bytes)(void *ctx, int from, uint64_t n);
    void (*on_done)(void *ctx);
    void *ctx;
    /* Optional: the bytes themselves, borrowed for the call, as they are
     * forwarded (the inspector's tap). Set, it keeps the relay off the
     * splice pump, whose bytes never pass through the process. */
    void (*on_data)(void *ctx, int from, const uint8_t *p, size_t n);
    /* Optional: a bandwidth limit (net/shaper.h; the relay holds a
     * reference): bytes read from side i are charged to direction i, and
     * a side in debt pauses until the shaper wakes it. Also keeps the
     * relay off the splice pump. */
    struct shaper *shaper;
} relay_meter_t;
relay_t *relay_start_metered(conn_t *a, conn_t *b, const uint8_t *a_to_b, size_t a_to_b_len,
                             relay_done_cb done, void *ctx, const relay_meter_t *meter);

#endif
