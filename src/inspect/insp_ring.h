/* insp_ring: the inspector's record of HTTP exchanges, bounded in bytes.
 *
 * An exchange (insp_ex_t) is one request and its response as they passed
 * through an inspected proxy (or a replay): the heads as received, the
 * bodies as decoded (chunk framing removed) up to the body bound, and what
 * the list and filters need. The ring keeps finished exchanges oldest
 * first; it charges every byte an exchange holds, including exchanges still
 * being recorded, against one budget (max_bytes, inspector.maxBytes): to
 * make room it evicts the oldest finished exchanges, and when in-flight
 * exchanges alone fill it the caller stops growing (bodies are marked
 * truncated, new exchanges are not recorded).
 *
 * Pure: no sockets, no clocks (callers pass times). Ownership: the ring owns
 * the exchanges committed to it; an in-flight exchange belongs to its
 * recorder (insp_rec.h) until insp_ring_commit() or insp_ring_discard(). */
#ifndef BURROW_INSP_RING_H
#define BURROW_INSP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSP_EX_BASE_COST 512 /* charged per exchange besides its bytes */

typedef struct insp_body {
    uint8_t *p; /* up to the body bound */
    size_t len, cap;
    uint64_t total; /* bytes the body had */
    bool truncated; /* total > len */
} insp_body_t;

typedef struct insp_ex {
    uint64_t id;
    uint64_t replay_of;   /* the exchange this replays; 0: captured */
    char proxy[128];      /* proxy name */
    char src[80];         /* the user's address ("ip:port"), "" when unknown */
    char method[24];      /* "GET" */
    char *target;         /* "/path?q" (NUL-terminated) */
    uint64_t start_us;    /* wall clock, µs since the epoch, at the request's first byte */
    uint64_t duration_us; /* request start → response complete */
    char *req_head;       /* request head as received, through the blank line */
    size_t req_head_len;
    insp_body_t req_body;
    int status;      /* 0: no response */
    char *resp_head; /* response head as received; NULL: none */
    size_t resp_head_len;
    insp_body_t resp_body;
    bool complete;               /* the response ended (else the connection closed first) */
    size_t cost;                 /* bytes charged to the ring */
    struct insp_ex *prev, *next; /* in the ring, or the recorder's queue */
} insp_ex_t;

typedef struct insp_ring {
    size_t max_bytes;
    size_t used;      /* committed + in flight */
    insp_ex_t *head;  /* oldest committed */
    insp_ex_t *tail;  /* newest committed */
    size_t n;         /* committed */
    uint64_t next_id; /* ids from 1 */
    uint64_t evicted; /* committed exchanges dropped for room */
} insp_ring_t;

void insp_ring_init(insp_ring_t *r, size_t max_bytes);
/* Frees every committed exchange. */
void insp_ring_free(insp_ring_t *r);

/* A new in-flight exchange with the next id, charged its base cost; NULL
 * when the budget (after evicting everything committed) has no room. */
insp_ex_t *insp_ring_new(insp_ring_t *r);
/* Charges n more bytes for ex, evicting the oldest committed exchanges as
 * needed; false (nothing charged) when in-flight bytes leave no room. */
bool insp_ring_charge(insp_ring_t *r, insp_ex_t *ex, size_t n);
/* Adds a finished (or cut-short) exchange at the newest end; the ring takes it. */
void insp_ring_commit(insp_ring_t *r, insp_ex_t *ex);
/* Frees an in-flight exchange and gives back its bytes. */
void insp_ring_discard(insp_ring_t *r, insp_ex_t *ex);
/* The committed exchange with id, or NULL. */
const insp_ex_t *insp_ring_find(const insp_ring_t *r, uint64_t id);

/* Appends to a body: up to `bound` bytes are kept (charged to the ring),
 * the rest only counted and marked truncated. */
void insp_body_add(insp_ring_t *r, insp_ex_t *ex, insp_body_t *b, size_t bound, const uint8_t *p,
                   size_t n);

#endif
