/* ref: the one reference count discipline for objects that outlive a call.
 *
 * An object that several libuv handles (a conn, a timer) or several owners
 * point at embeds a ref_t. Each holder takes a reference when it starts
 * pointing at the object and drops it when it stops: a handle's close
 * callback drops the handle's reference, and a hand-off moves one (the giver
 * drops, the taker holds). The object is freed by `release`, exactly once,
 * when the last reference goes, never earlier and never from inside a call
 * that still uses it: code that may end the object from within one of its
 * own callbacks holds a reference around the call (ref_hold/ref_drop), as
 * redis's connection helpers do around every handler.
 *
 * Counts are plain ints: burrow is single-threaded, one loop per process. */
#ifndef BURROW_REF_H
#define BURROW_REF_H

#include <assert.h>
#include <stddef.h>

typedef struct ref ref_t;
struct ref {
    int n;
    void (*release)(ref_t *r); /* frees the object that embeds r */
};

/* The object that embeds `r` as `member`. */
#define REF_OWNER(r, type, member) ((type *)(void *)((char *)(r)-offsetof(type, member)))

/* Starts with `n` holders (one per handle or owner pointing at it). */
static inline void ref_init(ref_t *r, int n, void (*release)(ref_t *r))
{
    r->n = n;
    r->release = release;
}

static inline void ref_hold(ref_t *r)
{
    assert(r->n > 0);
    r->n++;
}

/* Drops one reference; releases the object when it was the last. */
static inline void ref_drop(ref_t *r)
{
    assert(r->n > 0);
    if (--r->n == 0) r->release(r);
}

#endif
