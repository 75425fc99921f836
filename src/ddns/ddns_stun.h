/* ddns_stun: one STUN Binding request (RFC 8489) from a fresh UDP socket,
 * to learn this host's public address for DDNS's periodic check. The
 * request is resent every DDNS_STUN_RETRY_MS; after DDNS_STUN_MS without
 * an answer the probe gives up.
 *
 * Ownership: the probe owns its socket and timer. cb runs once (ip, or
 * NULL on failure) unless the probe was cancelled first; after cb, or after
 * cancel, the probe frees itself once its handles are closed. */
#ifndef BURROW_DDNS_STUN_H
#define BURROW_DDNS_STUN_H

#include <sys/socket.h>
#include <uv.h>

#define DDNS_STUN_MS 3000
#define DDNS_STUN_RETRY_MS 500

typedef struct ddns_stun ddns_stun_t;
typedef void (*ddns_stun_cb)(void *arg, const char *ip);

/* NULL when the socket cannot be opened. stun is copied. */
ddns_stun_t *ddns_stun_start(uv_loop_t *loop, const struct sockaddr *stun, ddns_stun_cb cb,
                             void *arg);
void ddns_stun_cancel(ddns_stun_t *p); /* NULL is a no-op */

#endif
