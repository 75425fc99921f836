/* cadmin: steering a running client from outside: SIGHUP reloads its
 * config file (client_reload_file), and the admin API (webServer.* on the
 * client, frp's paths) reports and reloads it over HTTP.
 *
 * Ownership: the caller owns the cadmin_t; cadmin_stop closes its handles
 * (from any point, more than once), after which the loop may run dry and
 * cadmin_destroy free it. The client and the path are borrowed and must
 * outlive it. */
#ifndef BURROW_CADMIN_H
#define BURROW_CADMIN_H

#include <uv.h>

#include "client/client.h"

typedef struct cadmin cadmin_t;

/* NULL when out of memory. */
cadmin_t *cadmin_create(uv_loop_t *loop, cli_t *c, const client_cfg_t *cfg, const char *path);
/* SIGHUP, and the admin API when webServer.port is set. 0, or -1 after
 * logging why (the port cannot be bound). */
int cadmin_start(cadmin_t *a);
void cadmin_stop(cadmin_t *a);
void cadmin_destroy(cadmin_t *a);

#endif
