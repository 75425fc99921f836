/* insp_ring: see insp_ring.h. A doubly linked list oldest → newest; the
 * budget is one counter, so eviction is a walk from the head. */
#include "inspect/insp_ring.h"

#include <stdlib.h>
#include <string.h>

void insp_ring_init(insp_ring_t *r, size_t max_bytes)
{
    memset(r, 0, sizeof *r);
    r->max_bytes = max_bytes;
    r->next_id = 1;
}

static void ex_free(insp_ex_t *ex)
{
    free(ex->target);
    free(ex->req_head);
    free(ex->resp_head);
    free(ex->req_body.p);
    free(ex->resp_body.p);
    free(ex);
}

static void unlink_head(insp_ring_t *r)
{
    insp_ex_t *ex = r->head;
    r->head = ex->next;
    if (r->head)
        r->head->prev = NULL;
    else
        r->tail = NULL;
    r->n--;
    r->used -= ex->cost;
    r->evicted++;
    ex_free(ex);
}

void insp_ring_free(insp_ring_t *r)
{
    while (r->head)
        unlink_head(r);
    r->used = 0;
}

/* Room for n more bytes, evicting the oldest committed exchanges. */
static bool make_room(insp_ring_t *r, size_t n)
{
    while (r->used + n > r->max_bytes && r->head)
        unlink_head(r);
    return r->used + n <= r->max_bytes;
}

insp_ex_t *insp_ring_new(insp_ring_t *r)
{
    if (!make_room(r, INSP_EX_BASE_COST)) return NULL;
    insp_ex_t *ex = calloc(1, sizeof *ex);
    if (!ex) return NULL;
    ex->id = r->next_id++;
    ex->cost = INSP_EX_BASE_COST;
    r->used += ex->cost;
    return ex;
}

bool insp_ring_charge(insp_ring_t *r, insp_ex_t *ex, size_t n)
{
    if (!make_room(r, n)) return false;
    r->used += n;
    ex->cost += n;
    return true;
}

void insp_ring_commit(insp_ring_t *r, insp_ex_t *ex)
{
    ex->next = NULL;
    ex->prev = r->tail;
    if (r->tail)
        r->tail->next = ex;
    else
        r->head = ex;
    r->tail = ex;
    r->n++;
}

void insp_ring_discard(insp_ring_t *r, insp_ex_t *ex)
{
    if (!ex) return;
    r->used -= ex->cost;
    ex_free(ex);
}

const insp_ex_t *insp_ring_find(const insp_ring_t *r, uint64_t id)
{
    for (const insp_ex_t *ex = r->tail; ex; ex = ex->prev)
        if (ex->id == id) return ex;
    return NULL;
}

void insp_body_add(insp_ring_t *r, insp_ex_t *ex, insp_body_t *b, size_t bound, const uint8_t *p,
                   size_t n)
{
    b->total += n;
    size_t room = b->len < bound ? bound - b->len : 0;
    size_t take = n < room ? n : room;
    if (take && b->len + take > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + take)
            cap *= 2;
        if (cap > bound) cap = bound;
        uint8_t *q = NULL;
        if (insp_ring_charge(r, ex, cap - b->cap) && (q = realloc(b->p, cap))) {
            b->p = q;
            b->cap = cap;
        } else {
            take = 0;
        }
    }
    if (take) {
        memcpy(b->p + b->len, p, take);
        b->len += take;
    }
    if (b->total > b->len) b->truncated = true;
}
