/* sproxy_meter: a proxy's relayed streams counted in its pstat_t
 * (server_int.h's sproxy_relay_counted): one connection more while the
 * relay runs, and its bytes by direction as they move; when it ends, the
 * access log's line (access_log.h). Each relay gets a small record, owned
 * by the meter from the relay's start to its on_done. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "net/relay.h"
#include "server/server_int.h"

typedef struct meter_rec {
    srv_t *srv;
    pstat_t *st; /* NULL: the dashboard keeps no counters for the proxy */
    uint64_t start_ms, bytes[2];
    char proxy[128], src[64];
} meter_rec_t;

static void on_bytes(void *ctx, int from, uint64_t n)
{
    meter_rec_t *r = ctx;
    r->bytes[from == 0 ? 0 : 1] += n;
    if (r->st) pstat_add(r->st, from == 0 ? PSTAT_IN : PSTAT_OUT, n, (int64_t)time(NULL));
}

static void on_done(void *ctx)
{
    meter_rec_t *r = ctx;
    if (r->st) pstat_conn_close(r->st);
    access_log_conn(r->srv, r->proxy, r->src, r->bytes[0], r->bytes[1],
                    uv_now(r->srv->loop) - r->start_ms);
    free(r);
}

void sproxy_relay_counted(srv_t *s, sproxy_t *p, conn_t *a, conn_t *b, const uint8_t *early,
                          size_t early_len, const char *what)
{
    meter_rec_t *r = p && (p->st || s->access.on) ? calloc(1, sizeof *r) : NULL;
    relay_meter_t m = {.shaper = p ? p->shaper : NULL}; /* bandwidthLimitMode = "server" */
    if (r) {
        r->srv = s;
        r->st = p->st;
        r->start_ms = uv_now(s->loop);
        snprintf(r->proxy, sizeof r->proxy, "%s", p->name);
        snprintf(r->src, sizeof r->src, "%s", conn_peer(a));
        if (r->st) pstat_conn_open(r->st);
        m.on_bytes = on_bytes;
        m.on_done = on_done;
        m.ctx = r;
    }
    tunnels_relay_metered(&s->tunnels, a, b, early, early_len, what,
                          m.shaper || m.on_bytes ? &m : NULL);
}
