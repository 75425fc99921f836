/* ddns: keeps the [[ddns]] names pointing at this host's public address.
 *
 * The owner (client or server) tells it each address it learns
 * (ddns_learn: the server's view at login, a STUN answer, ddnsAddress);
 * for each entry whose published address differs, the entry's provider
 * (ddns_provider.h) runs on libuv's threadpool, one job per entry at a
 * time. Only on change: the last published addresses are remembered, and
 * kept across restarts in <state_dir>/ddns.state when a state dir is given.
 * Failures retry on ddns_backoff's schedule; a provider's "stop" (badauth,
 * nohost, a bad key) stops the entry until the config changes (a restart).
 * Every check_interval seconds the owner's recheck callback runs (the
 * client asks the server's STUN service), so a change of address is noticed
 * without a new login.
 *
 * Ownership: ddns_create copies the entries it is given; state_dir is
 * copied. ddns_destroy may be called while jobs run: the object is freed
 * once they are back on the loop and its timers are closed. */
#ifndef BURROW_DDNS_H
#define BURROW_DDNS_H

#include <stdbool.h>
#include <uv.h>

#include "config/config.h"

typedef struct ddns ddns_t;
typedef void (*ddns_recheck_fn)(void *owner);

/* NULL when set has no entries (nothing to do) or on allocation failure. */
ddns_t *ddns_create(uv_loop_t *loop, const ddns_set_t *set, const char *state_dir,
                    ddns_recheck_fn recheck, void *owner);
void ddns_destroy(ddns_t *d); /* NULL is a no-op */

/* An address learned from `source` ("login", "stun", "config"); an IPv4 or
 * IPv6 literal. Anything else is ignored, and so is a learned address
 * that is not global (addr_is_global): behind a carrier NAT, or a server
 * on the LAN, the name could not reach this host anyway (logged once per
 * address). "config" is taken as given. */
void ddns_learn(ddns_t *d, const char *ip, const char *source);

/* A preferred address for its family (the router's external address of a
 * directExpose mapping, source "router"): published instead of what
 * ddns_learn hears (the server's view may differ: a router behind another
 * router, a multi-homed line), which is remembered and logged when it
 * differs. ip NULL (or not a literal) ends every preference and publishes
 * the address last learned otherwise. */
void ddns_prefer(ddns_t *d, const char *ip, const char *source);

/* Asks the STUN server `stun` for this host's address (one probe at a
 * time; a probe already running makes this a no-op); the answer goes to
 * ddns_learn as "stun". */
void ddns_probe(ddns_t *d, const struct sockaddr *stun);

/* Jobs running now (tests). */
int ddns_busy(const ddns_t *d);
/* The address entry i is to publish ("" for none; tests). */
const char *ddns_want(const ddns_t *d, int i, bool v6);

#endif
