/* secret_gone: the names of secret proxies (stcp, sudp) whose owner's
 * session went away, so that a visitor asking for one is told
 * `owner-offline` rather than `unknown-proxy`.
 *
 * A name is remembered for SECRET_GONE_MS after its owner left, until the
 * owner registers it again (secret_gone_forget), or until the table is full:
 * it holds at most the `max` names given at create (SECRET_GONE_MAX on the
 * server), and a new name then replaces an expired one, else the one gone
 * longest. Lookups scan the table: they happen only for visitors naming no
 * live proxy, which have already scanned every live proxy for the name.
 * Names are copied (truncated to SECRET_GONE_NAME_MAX - 1 bytes, like
 * sproxy_t's). Times are the caller's milliseconds (uv_now).
 * Single-threaded. */
#ifndef BURROW_SECRET_GONE_H
#define BURROW_SECRET_GONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECRET_GONE_MAX 4096                 /* names remembered on the server */
#define SECRET_GONE_MS (24 * 60 * 60 * 1000) /* how long a name is remembered */
#define SECRET_GONE_NAME_MAX 128             /* as sproxy_t's name */

typedef struct secret_gone secret_gone_t;

/* NULL on allocation failure. Entries are allocated as names arrive. */
secret_gone_t *secret_gone_create(size_t max, uint64_t ttl_ms);
void secret_gone_destroy(secret_gone_t *g); /* NULL is a no-op */

/* The owner of `name` went away at `now` (again: the time is renewed).
 * 0, or <0 when out of memory (nothing remembered). */
int secret_gone_add(secret_gone_t *g, const char *name, uint64_t now);
/* The owner is back (or the name is otherwise taken): forget it. */
void secret_gone_forget(secret_gone_t *g, const char *name);
/* Whether `name` is remembered at `now` (an expired entry is dropped). */
bool secret_gone_has(secret_gone_t *g, const char *name, uint64_t now);
/* Names held, expired ones included until they are dropped. */
size_t secret_gone_count(const secret_gone_t *g);

#endif
