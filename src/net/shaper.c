/* shaper: see shaper.h. */
#include "net/shaper.h"

#include <stdlib.h>

#include "util/tbucket.h"

struct shaper {
    uv_timer_t timer; /* first: the close callback frees through it */
    tbucket_t bucket[2];
    shaper_waiter_t *head[2], *tail[2]; /* waiters by direction, in order */
    unsigned refs;
    unsigned gen; /* wake round: waiters queued during a round wait for the next */
    bool stopped; /* no limit any more; the timer is closing or closed */
    bool closed;  /* the timer's close callback ran */
};

static uint64_t now(shaper_t *s)
{
    return uv_now(s->timer.loop);
}

shaper_t *shaper_new(uv_loop_t *loop, uint64_t rate)
{
    shaper_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    s->refs = 1;
    for (int d = 0; d < 2; d++)
        tbucket_init(&s->bucket[d], rate, 0, uv_now(loop));
    return s;
}

shaper_t *shaper_hold(shaper_t *s)
{
    if (s) s->refs++;
    return s;
}

static void on_closed(uv_handle_t *h)
{
    shaper_t *s = h->data;
    s->closed = true;
    if (!s->refs) free(s);
}

void shaper_drop(shaper_t *s)
{
    if (!s || --s->refs) return;
    if (!s->stopped)
        shaper_stop(s); /* on_closed frees it */
    else if (s->closed)
        free(s);
}

uint64_t shaper_rate(const shaper_t *s)
{
    return s->bucket[0].rate;
}

size_t shaper_burst(const shaper_t *s)
{
    return (size_t)(s->bucket[0].burst / 1000);
}

void shaper_charge(shaper_t *s, int dir, size_t n)
{
    if (s->stopped) return;
    tbucket_take(&s->bucket[dir], now(s), n);
}

size_t shaper_grant(shaper_t *s, int dir, size_t n)
{
    if (s->stopped) return n;
    uint64_t t = now(s), avail = tbucket_avail(&s->bucket[dir], t);
    size_t g = avail < n ? (size_t)avail : n;
    tbucket_take(&s->bucket[dir], t, g);
    return g;
}

bool shaper_admit(shaper_t *s, int dir, size_t n)
{
    if (s->stopped) return true;
    uint64_t t = now(s);
    if (tbucket_wait_ms(&s->bucket[dir], t, 0) > 0) return false;
    tbucket_take(&s->bucket[dir], t, n);
    return true;
}

static void unlink_waiter(shaper_t *s, shaper_waiter_t *w)
{
    int d = w->dir;
    if (w->prev)
        w->prev->next = w->next;
    else
        s->head[d] = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->tail[d] = w->prev;
    w->next = w->prev = NULL;
    w->queued = false;
}

static void on_timer(uv_timer_t *t);

/* The timer runs for the direction whose debt is paid first. */
static void arm(shaper_t *s)
{
    if (s->stopped) return;
    uint64_t t = now(s), due = UINT64_MAX;
    for (int d = 0; d < 2; d++) {
        if (!s->head[d]) continue;
        uint64_t ms = tbucket_wait_ms(&s->bucket[d], t, s->head[d]->want);
        if (ms < due) due = ms;
    }
    if (due == UINT64_MAX)
        uv_timer_stop(&s->timer);
    else
        uv_timer_start(&s->timer, on_timer, due, 0);
}

/* Wakes the waiters of d queued before this round, in order, while the
 * bucket holds what the next one wants. A woken waiter may read
 * at once (a TLS conn dispatches from inside resume), take, and queue
 * itself again: it then carries the new round and waits for the next. */
static void wake_dir(shaper_t *s, int d)
{
    unsigned round = s->gen;
    shaper_waiter_t *w;
    while ((w = s->head[d]) && w->gen != round + 1 &&
           tbucket_wait_ms(&s->bucket[d], now(s), w->want) == 0) {
        unlink_waiter(s, w);
        w->wake(w);
    }
}

static void on_timer(uv_timer_t *t)
{
    shaper_t *s = t->data;
    shaper_hold(s); /* a woken relay may drop the last other reference */
    s->gen++;
    for (int d = 0; d < 2; d++)
        wake_dir(s, d);
    arm(s);
    shaper_drop(s);
}

void shaper_wait(shaper_t *s, shaper_waiter_t *w)
{
    if (w->queued) return;
    if (s->stopped) {
        w->wake(w); /* no limit any more */
        return;
    }
    int d = w->dir;
    w->gen = s->gen + 1;
    w->next = NULL;
    w->prev = s->tail[d];
    if (s->tail[d])
        s->tail[d]->next = w;
    else
        s->head[d] = w;
    s->tail[d] = w;
    w->queued = true;
    arm(s);
}

void shaper_cancel(shaper_t *s, shaper_waiter_t *w)
{
    if (!s || !w->queued) return;
    unlink_waiter(s, w);
}

void shaper_stop(shaper_t *s)
{
    if (!s || s->stopped) return;
    s->stopped = true;
    uv_close((uv_handle_t *)&s->timer, on_closed);
    shaper_hold(s); /* a woken relay may drop the last other reference */
    for (int d = 0; d < 2; d++) {
        shaper_waiter_t *w;
        while ((w = s->head[d])) {
            unlink_waiter(s, w);
            w->wake(w);
        }
    }
    shaper_drop(s);
}
