/* shaper: one proxy's bandwidth limit (transport.bandwidthLimit) on the
 * loop, shared by all of the proxy's connections as frp's limiter is.
 *
 * Two token buckets (util/tbucket.h), one per direction, each at the full
 * rate, holding at most a tenth of a second of traffic (the burst). A
 * stream passes on what the bucket grants (shaper_grant) and keeps the
 * rest of that one read, pausing its source (backpressure: at most one
 * read is held per direction), then waits (shaper_wait) until the shaper's
 * one timer finds enough tokens for it; waiters are woken in order.
 * Datagrams cannot wait without a queue, so shaper_admit() drops those
 * over the rate instead.
 *
 * Ownership: shaper_new() returns one reference; every user that keeps the
 * pointer holds one (shaper_hold/shaper_drop). shaper_stop() or the last
 * drop closes the timer; the memory goes once both happened and the close
 * callback ran. A waiter is the
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
    size_t want;  /* bytes it waits for (capped at the burst) */
    bool queued;  /* linked in the shaper */
    unsigned gen; /* the shaper's round it was queued in */
} shaper_waiter_t;

/* rate: bytes per second per direction (> 0). NULL when out of memory. */
shaper_t *shaper_new(uv_loop_t *loop, uint64_t rate);
shaper_t *shaper_hold(shaper_t *s);
void shaper_drop(shaper_t *s); /* NULL: no-op */
uint64_t shaper_rate(const shaper_t *s);

/* The bytes of n that may go now in direction dir (charged). */
size_t shaper_grant(shaper_t *s, int dir, size_t n);
/* Charges n bytes that went anyway (bytes read before a relay started):
 * a debt later takers wait out. */
void shaper_charge(shaper_t *s, int dir, size_t n);
/* The most one grant can give: a tenth of a second's bytes. */
size_t shaper_burst(const shaper_t *s);
/* Queues w (w->dir, w->want, w->wake set) until dir's bucket holds
 * w->want bytes. */
void shaper_wait(shaper_t *s, shaper_waiter_t *w);
void shaper_cancel(shaper_t *s, shaper_waiter_t *w); /* not queued: no-op */
/* A datagram of n bytes: true (charged) to send it, false to drop it. */
bool shaper_admit(shaper_t *s, int dir, size_t n);
/* The owner stops (a proxy retired, the process stopping): the limit is
 * lifted, every waiter woken, the timer closed now, so that the loop can
 * end while relays still hold references. NULL: no-op. */
void shaper_stop(shaper_t *s);

#endif
