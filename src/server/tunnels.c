/* tunnels: the relays the server starts (tcp users, https connections,
 * upgraded http fronts), listed so that server_stop can end them.
 *
 * Ownership: a tunnel record lives from server_relay until its relay's
 * `done` (both conns closed); the relay owns the conns. */
#include <stdlib.h>

#include "net/relay.h"
#include "server/server_int.h"
#include "util/log.h"

struct tunnel {
    srv_t *srv;
    conn_t *a, *b;
    const char *what;
    struct tunnel *prev, *next;
};

static void unlink_tunnel(tunnel_t *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        t->srv->tunnels = t->next;
    if (t->next) t->next->prev = t->prev;
}

static void on_done(void *ctx, uint64_t a_to_b, uint64_t b_to_a)
{
    tunnel_t *t = ctx;
    LOG_D("%s relay finished in=%llu out=%llu", t->what, (unsigned long long)a_to_b,
          (unsigned long long)b_to_a);
    unlink_tunnel(t);
    free(t);
}

void server_relay(srv_t *s, conn_t *a, conn_t *b, const uint8_t *early, size_t early_len,
                  const char *what)
{
    tunnel_t *t = calloc(1, sizeof *t);
    if (!t) {
        conn_close(a);
        conn_close(b);
        return;
    }
    t->srv = s;
    t->a = a;
    t->b = b;
    t->what = what;
    t->next = s->tunnels;
    if (s->tunnels) s->tunnels->prev = t;
    s->tunnels = t;
    if (!relay_start(a, b, early, early_len, on_done, t)) { /* it closed both */
        unlink_tunnel(t);
        free(t);
    }
}

/* Not conn_close: a relay may have handed its sockets to the splice pump,
 * which must finish first. Ending both transports makes either path see the
 * end (EOF or a failed write) and close both conns itself. */
void server_relays_close(srv_t *s)
{
    for (tunnel_t *t = s->tunnels; t; t = t->next) {
        conn_end_transport(t->a);
        conn_end_transport(t->b);
    }
}
