/* shaper: one proxy's bandwidth limit (transport.bandwidthLimit) on the
 * loop, shared by all of the proxy's connections as frp's limiter is.
 *
 * Two token buckets (util/tbucket.h), one per direction, each at the full
 * rate: a direction's bytes are charged as they are read (shaper_take);
 * when its bucket is in debt the reader pauses its source (backpressure,
 * nothing is buffered) and waits (shaper_wait) until the shaper's one
 * timer finds the debt paid and wakes every waiter of that direction.
 * Datagrams cannot wait without a queue, so shaper_admit() drops those
 * over the rate instead.
 *
 * Ownership: shaper_new() returns one reference; every user that keeps the
 * pointer holds one (shaper_hold/shaper_drop). The last drop closes the
 * timer; the memory goes from the loop after that. A waiter is the
 * caller's memory, linked while queued: cancel it before freeing it. */
#ifndef BURROW_SHAPER_H
#define BURROW_SHAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct shaper shaper_t;

typedef struct shaper_waiter {
    struct shaper_waiter *next, *prev;
    /* Runs once the direction's debt is paid; the waiter is unlinked first
     * and may wait again from inside. */
    void (*wake)(struct shaper_waiter *w);
    void *ctx;    /* the caller's */
    int dir;      /* 0 or 1 */
    bool queued;  /* linked in the shaper */
    unsigned gen; /* the shaper's round it was queued in */
} shaper_waiter_t;

/* rate: bytes per second per direction (> 0). NULL when out of memory. */
shaper_t *shaper_new(uv_loop_t *loop, uint64_t rate);
shaper_t *shaper_hold(shaper_t *s);
void shaper_drop(shaper_t *s); /* NULL: no-op */
uint64_t shaper_rate(const shaper_t *s);

/* Charges n bytes read in direction dir. true: read on; false: pause the
 * source and shaper_wait(). */
bool shaper_take(shaper_t *s, int dir, size_t n);
/* Queues w (w->dir, w->wake set) until dir's debt is paid. */
void shaper_wait(shaper_t *s, shaper_waiter_t *w);
void shaper_cancel(shaper_t *s, shaper_waiter_t *w); /* not queued: no-op */
/* A datagram of n bytes: true (charged) to send it, false to drop it. */
bool shaper_admit(shaper_t *s, int dir, size_t n);

#endif
