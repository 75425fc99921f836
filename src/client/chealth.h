/* chealth: healthCheck on the client (frp's healthCheck.* keys).
 *
 * A checker probes one local service on the loop: "tcp" connects, "http"
 * sends GET healthCheck.path (with healthCheck.httpHeaders) and reads the
 * status line, 2xx being healthy. One probe at a time, each bounded by
 * timeoutSeconds; the next starts intervalSeconds after the previous one
 * ended (the first at once). After maxFailed failures in a row the service
 * is down; the first success after that brings it up again. The owner
 * hears of those two changes only (chealth_cb); for a proxy that is
 * CLOSE_PROXY to the server when it goes down and NEW_PROXY when it comes
 * back (cproxy_health_*, below), so a load-balancing group stops and
 * resumes sending it connections.
 *
 * Ownership: the checker borrows cfg (the proxy's config) and copies the
 * target; chealth_close ends it (no callback after), freed once its
 * handles are closed. */
#ifndef BURROW_CHEALTH_H
#define BURROW_CHEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

#define HEALTH_ANSWER_MAX 512 /* bytes of an http answer read to find its status line */

/* The state machine (pure). */
typedef enum { HEALTH_STEP_NONE, HEALTH_STEP_DOWN, HEALTH_STEP_UP } health_step_t;
typedef struct health_sm {
    int failures; /* in a row */
    bool down;
} health_sm_t;
/* One probe's result: what changes (DOWN at the max_failed-th failure in
 * a row while up; UP at a success while down). */
health_step_t health_sm_result(health_sm_t *sm, int max_failed, bool ok);

/* The status code of an HTTP/1.x status line at the start of p: >0, 0
 * when more bytes are needed, -1 when it is not one (pure). */
int health_http_status(const uint8_t *p, size_t len);

typedef struct chealth chealth_t;
/* up: the service came back; !up: it went down, `why` the last failure. */
typedef void (*chealth_cb)(void *arg, bool up, const char *why);

chealth_t *chealth_create(uv_loop_t *loop, const health_cfg_t *cfg,
                          const struct sockaddr_storage *target, const char *label, chealth_cb cb,
                          void *arg);
/* A host-name localIP was resolved again (client/cresolve.c): later probes
 * go to `target`. NULL h: nothing. */
void chealth_set_target(chealth_t *h, const struct sockaddr_storage *target);
/* Tests: probes every ms instead of intervalSeconds. */
void chealth_set_interval_ms(chealth_t *h, unsigned ms);
bool chealth_is_down(const chealth_t *h);
/* The last probe's failure ("" after a success). */
const char *chealth_error(const chealth_t *h);
/* Probes done so far (tests, status). */
unsigned chealth_probes(const chealth_t *h);
void chealth_close(chealth_t *h);

#endif
