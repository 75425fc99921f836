/* sproxy_meter: a proxy's relayed streams counted in its pstat_t
 * (server_int.h's sproxy_relay_counted): one connection more while the
 * relay runs, and its bytes by direction as they move. */
#include <time.h>

#include "net/relay.h"
#include "server/server_int.h"

static void on_bytes(void *ctx, int from, uint64_t n)
{
    pstat_add(ctx, from == 0 ? PSTAT_IN : PSTAT_OUT, n, (int64_t)time(NULL));
}

static void on_done(void *ctx)
{
    pstat_conn_close(ctx);
}

void sproxy_relay_counted(srv_t *s, sproxy_t *p, conn_t *a, conn_t *b, const uint8_t *early,
                          size_t early_len, const char *what)
{
    relay_meter_t m = {.shaper = p ? p->shaper : NULL}; /* bandwidthLimitMode = "server" */
    if (p && p->st) {
        pstat_conn_open(p->st);
        m.on_bytes = on_bytes;
        m.on_done = on_done;
        m.ctx = p->st;
    }
    tunnels_relay_metered(&s->tunnels, a, b, early, early_len, what,
                          m.shaper || m.on_bytes ? &m : NULL);
}
