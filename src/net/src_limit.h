/* src_limit: how many connections each source address holds right now.
 *
 * Listeners that strangers can reach (the control port's gate, the vhost
 * ports) count their connections per source so that one host cannot take
 * the whole budget. IPv4 addresses count one by one; IPv6 addresses count
 * per /64, since one host commonly owns a whole /64. The table holds at most
 * `max_sources` distinct sources; its memory is allocated once at create.
 * Buckets are seeded at random, so a peer cannot aim many addresses at one
 * chain. Single-threaded, like the loop that owns it. */
#ifndef BURROW_SRC_LIMIT_H
#define BURROW_SRC_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct src_limit src_limit_t;

/* NULL on allocation failure. */
src_limit_t *src_limit_create(size_t max_sources);
void src_limit_destroy(src_limit_t *t); /* NULL is a no-op */

/* Counts one more connection from sa's address (the port is ignored).
 * Returns how many that source holds now (>= 1), or -1 when the table
 * already tracks max_sources other sources (or sa is not IPv4/IPv6); then
 * nothing was counted and the caller should refuse the connection. */
int src_limit_acquire(src_limit_t *t, const struct sockaddr *sa);
/* Undoes one acquire that succeeded for the same address. */
void src_limit_release(src_limit_t *t, const struct sockaddr *sa);
/* Connections the source holds now (0 when unknown). */
int src_limit_count(const src_limit_t *t, const struct sockaddr *sa);
/* Distinct sources tracked now. */
size_t src_limit_sources(const src_limit_t *t);

/* The 16-byte key a source counts under (IPv4 address; IPv6 /64), for other
 * per-source tables. 0, or -1 when sa is neither IPv4 nor IPv6. */
int src_limit_key(const struct sockaddr *sa, unsigned char key[16]);
/* FNV-1a over a source key, started from a per-table random seed, so a
 * peer cannot aim many addresses at one bucket. Shared by src_backoff. */
uint64_t src_limit_hash(uint64_t seed, const unsigned char key[16]);

#endif
