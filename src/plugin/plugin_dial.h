/* plugin_dial: "host:port" to a connected conn, for the plugins that
 * connect where their user asks (socks5, http_proxy): the name resolved
 * asynchronously (uv_getaddrinfo on libuv's threadpool; an IP literal
 * skips it), then each address tried in turn (at most PDIAL_ADDRS_MAX)
 * until one connects.
 *
 * Ownership: pdial_start returns a dial its caller owns until the callback
 * ran (exactly once, from the loop, never inside pdial_start) or until the
 * caller cancelled it (pdial_cancel: no callback afterwards; never after
 * the callback, when the dial is no longer the caller's). Either way the
 * dial frees itself once its lookup and its handles are done. The conn the
 * callback gets is the caller's, with empty callbacks. No deadline of its
 * own: the caller's (the plugin session's timer) cancels it. */
#ifndef BURROW_PLUGIN_DIAL_H
#define BURROW_PLUGIN_DIAL_H

#include <stdint.h>
#include <uv.h>

#include "net/conn.h"

#define PDIAL_ADDRS_MAX 8

typedef struct pdial pdial_t;
/* conn connected (taken by the callee), or NULL with a negative uv error:
 * a lookup's (UV_EAI_*) or the last connect's. */
typedef void (*pdial_cb)(void *arg, conn_t *conn, int status);

/* host: a name, an IPv4 literal or an IPv6 literal (no brackets); copied.
 * NULL when out of memory. */
pdial_t *pdial_start(uv_loop_t *loop, const char *host, uint16_t port, pdial_cb cb, void *arg);
void pdial_cancel(pdial_t *d);

#endif
