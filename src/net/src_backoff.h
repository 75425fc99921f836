/* src_backoff: a growing back-off per source address after repeated failures
 * (wrong-token logins).
 *
 * A source may fail SRC_BACKOFF_FREE times; every failure after that bars it
 * for SRC_BACKOFF_BASE_MS, doubling per further failure up to
 * SRC_BACKOFF_MAX_MS. A success forgets the source; a source that has not
 * failed for SRC_BACKOFF_FORGET_MS is forgotten too. Sources count like
 * src_limit's (IPv4 address, IPv6 /64). The table is bounded: it holds at
 * most the `max_sources` given at create, in sets of SRC_BACKOFF_WAYS; a
 * new source replaces a forgotten one, else the one whose last failure is
 * oldest in its set. Buckets are seeded at random. Times are the caller's
 * milliseconds (uv_now). Single-threaded. */
#ifndef BURROW_SRC_BACKOFF_H
#define BURROW_SRC_BACKOFF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SRC_BACKOFF_FREE 3           /* failures allowed before any back-off */
#define SRC_BACKOFF_BASE_MS 2000     /* the first back-off */
#define SRC_BACKOFF_MAX_MS 60000     /* back-offs double up to this */
#define SRC_BACKOFF_FORGET_MS 600000 /* a source quiet this long starts afresh */
#define SRC_BACKOFF_WAYS 4           /* entries per hash set */

typedef struct src_backoff src_backoff_t;

/* NULL on allocation failure. */
src_backoff_t *src_backoff_create(size_t max_sources);
void src_backoff_destroy(src_backoff_t *t); /* NULL is a no-op */

/* Milliseconds sa must still wait before trying again; 0 when it may try. */
uint64_t src_backoff_wait(src_backoff_t *t, const struct sockaddr *sa, uint64_t now);
/* Records a failure; returns the back-off it imposes from now (0 while the
 * source is within its free failures). */
uint64_t src_backoff_fail(src_backoff_t *t, const struct sockaddr *sa, uint64_t now);
/* A success: the source starts afresh. */
void src_backoff_success(src_backoff_t *t, const struct sockaddr *sa);
/* Failures on record for sa (0 when unknown). */
int src_backoff_failures(const src_backoff_t *t, const struct sockaddr *sa, uint64_t now);

#endif
