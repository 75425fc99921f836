/* inspector: the client's HTTP traffic inspector (like ngrok's agent on
 * 127.0.0.1:4040). On when some http proxy has inspect = true.
 *
 * It owns the exchange ring (insp_ring.h, bounded by inspector.maxBytes),
 * its web listener (web/httpd.h on inspector.addr:port: the JSON API and
 * the page, insp_api.c) and the replays in flight (insp_replay.c). The
 * client hands it each relay of an inspected proxy (inspector_tap): a
 * recorder (insp_rec.h) then sees copies of the bytes as the relay forwards
 * them; nothing waits for it.
 *
 * Ownership: the client creates it in client_create (a listener that cannot
 * start fails the client), stops it in client_stop (listener and replays
 * close) and destroys it in client_destroy, after the loop ran dry (relays
 * finishing late still commit into the ring). The config and the resolver
 * are borrowed and must outlive it. */
#ifndef BURROW_INSPECTOR_H
#define BURROW_INSPECTOR_H

#include <stdbool.h>
#include <sys/socket.h>
#include <uv.h>

#include "config/config.h"
#include "net/relay.h"

#define INSPECT_REPLAY_TIMEOUT_MS 10000 /* a replay's whole exchange */
#define INSPECT_REPLAY_MAX 8            /* replays in flight at once (else 429) */

typedef struct inspector inspector_t;

/* The local service of the proxy named `proxy`: 0 and *out, or -1. */
typedef int (*inspector_resolve_fn)(void *ctx, const char *proxy, struct sockaddr_storage *out);

/* Listens; 0 and *out, or a negative uv error after logging why. */
int inspector_create(uv_loop_t *loop, const inspect_cfg_t *cfg, inspector_resolve_fn resolve,
                     void *resolve_ctx, inspector_t **out);
/* Closes the listener and the replays in flight. NULL is a no-op. */
void inspector_stop(inspector_t *ins);
/* Frees the ring. NULL is a no-op. */
void inspector_destroy(inspector_t *ins);
/* The bound port. */
int inspector_port(const inspector_t *ins);

/* Fills *m with a tap recording the relay of `proxy` (a = the work conn,
 * carrying requests; b = the local service) for a user at `src` (may be
 * NULL). false (m untouched) when the recorder cannot be had. */
bool inspector_tap(inspector_t *ins, const char *proxy, const char *src, relay_meter_t *m);

#endif
