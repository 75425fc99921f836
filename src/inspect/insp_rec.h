/* insp_rec: follows one HTTP/1.x connection in both directions and records
 * each request/response exchange into an insp_ring_t.
 *
 * The caller feeds copies of the bytes it forwards (dir INSP_REQ: client →
 * service, INSP_RESP: service → client); the recorder never holds them up
 * and never changes them. Framing is http/http_head.h's (llhttp). Requests
 * may run ahead of responses (pipelining) up to INSP_PIPELINE_MAX; the
 * response to a HEAD request has no body; 1xx interim responses are
 * skipped. Recording stops for the connection (the bytes keep flowing
 * elsewhere) at a parse error, a protocol switch (101, CONNECT), a response
 * without a request, too deep a pipeline, or a full ring; insp_rec_stopped()
 * then names why, once.
 *
 * Pure: no sockets, no clocks (the caller passes wall-clock µs), no
 * logging. Ownership: the recorder borrows the ring, which must outlive it;
 * insp_rec_destroy() commits what it can (an exchange whose response was
 * cut short is kept, marked incomplete) and frees the rest. */
#ifndef BURROW_INSP_REC_H
#define BURROW_INSP_REC_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/insp_ring.h"

#define INSP_PIPELINE_MAX 16 /* requests awaiting their response, per connection */

enum { INSP_REQ = 0, INSP_RESP = 1 };

typedef struct insp_rec insp_rec_t;

typedef struct insp_rec_opts {
    const char *proxy;  /* copied */
    const char *src;    /* copied; NULL: unknown */
    size_t body_max;    /* bytes kept per body */
    uint64_t replay_of; /* stamped on every exchange (replays) */
} insp_rec_opts_t;

/* NULL on allocation failure. */
insp_rec_t *insp_rec_create(insp_ring_t *ring, const insp_rec_opts_t *o);
/* Records what it can and frees; at_us ends a response that ran to EOF. NULL is a no-op. */
void insp_rec_destroy(insp_rec_t *r, uint64_t at_us);
void insp_rec_feed(insp_rec_t *r, int dir, const uint8_t *p, size_t n, uint64_t now_us);
/* NULL while recording; else why it stopped (a static string). */
const char *insp_rec_stopped(const insp_rec_t *r);
/* The id of the first exchange this recorder started (0: none yet). */
uint64_t insp_rec_first_id(const insp_rec_t *r);

#endif
