/* dash: the server's dashboard (webServer.* in frps.toml): frp's JSON API
 * (/api/serverinfo, /api/proxy/{type}, /api/traffic/{name}) plus
 * /api/clients and /api/p2p, Prometheus /metrics (enablePrometheus), and
 * the page with its assets (web/, compiled in), all on web/httpd.h.
 *
 * Reads only: the counters live where the events happen (srv_stats.h,
 * pstats.h, the sessions); answering walks them on the loop. Owned by the
 * server: dash_start() in server_start when webServer.port is set,
 * dash_stop() in server_stop. */
#ifndef BURROW_SERVER_DASH_H
#define BURROW_SERVER_DASH_H

#include "web/httpd.h"

typedef struct srv srv_t;

/* Listens on webServer.addr:port. 0, or a negative uv error after logging. */
int dash_start(srv_t *s);
void dash_stop(srv_t *s); /* no-op when not started */
/* The bound port, or -1. */
int dash_port(const srv_t *s);

/* dash_metrics.c: GET /metrics (404 unless enablePrometheus). */
void dash_metrics(void *data, const httpd_req_t *req, httpd_resp_t *r);

#endif
