/* client_notify: `burrow client`'s state told to systemd (sd_notify.h).
 *
 * Ready means: the local side is up (config loaded, admin API and visitors
 * listening) and the first attempt to reach the server has ended, logged in
 * or not; at the latest CLIENT_READY_MAX_MS after start. A server that is
 * down therefore never holds `systemctl start` (the client keeps trying, and
 * STATUS= says so); a server that is up is logged in to, and its proxies
 * asked for, before units ordered after this one start. STATUS= then
 * follows the control connection and the proxies; a hot reload is framed
 * by RELOADING=1 and READY=1. */
#ifndef BURROW_CLIENT_NOTIFY_H
#define BURROW_CLIENT_NOTIFY_H

#include <stdbool.h>
#include <uv.h>

#include "client/client.h"

#define CLIENT_READY_MAX_MS 5000

typedef struct client_notify {
    cli_t *cli;           /* borrowed */
    const char *endpoint; /* "host:port", borrowed */
    uv_timer_t ready_timer;
    bool ready, logged_in;
    char last_err[160]; /* the last failure, for STATUS= */
} client_notify_t;

/* Registers itself as c's observer (client_on_event) and arms the ready
 * deadline on loop (an unreferenced timer). */
void client_notify_start(client_notify_t *n, uv_loop_t *loop, cli_t *c, const char *endpoint);
/* Closes the timer; before the loop is closed. */
void client_notify_stop(client_notify_t *n);

#endif
