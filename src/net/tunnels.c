/* tunnels: the relays a server or client runs, listed so that stopping can
 * end them (net/tunnels.h). */
#include "net/tunnels.h"

#include <stdlib.h>

#include "net/relay.h"
#include "util/log.h"

struct tunnel {
    tunnels_t *set;
    conn_t *a, *b;
    const char *what;
    const void *tag; /* tunnels_relay_ex's; NULL: none */
    struct tunnel *prev, *next;
};

static void unlink_tunnel(tunnel_t *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        t->set->head = t->next;
    if (t->next) t->next->prev = t->prev;
    t->set->n--;
}

static void on_done(void *ctx, uint64_t a_to_b, uint64_t b_to_a)
{
    tunnel_t *t = ctx;
    LOG_D("%s relay finished in=%llu out=%llu", t->what, (unsigned long long)a_to_b,
          (unsigned long long)b_to_a);
    unlink_tunnel(t);
    free(t);
}

void tunnels_relay(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early, size_t early_len,
                   const char *what)
{
    tunnels_relay_ex(set, a, b, early, early_len, what, NULL, NULL);
}

void tunnels_relay_metered(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early,
                           size_t early_len, const char *what, const relay_meter_t *meter)
{
    tunnels_relay_ex(set, a, b, early, early_len, what, meter, NULL);
}

void tunnels_relay_tagged(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early,
                          size_t early_len, const char *what, const void *tag)
{
    tunnels_relay_ex(set, a, b, early, early_len, what, NULL, tag);
}

void tunnels_relay_ex(tunnels_t *set, conn_t *a, conn_t *b, const uint8_t *early, size_t early_len,
                      const char *what, const relay_meter_t *meter, const void *tag)
{
    tunnel_t *t = calloc(1, sizeof *t);
    if (!t) {
        conn_close(a);
        conn_close(b);
        if (meter && meter->on_done) meter->on_done(meter->ctx);
        return;
    }
    t->set = set;
    t->a = a;
    t->b = b;
    t->what = what;
    t->tag = tag;
    t->next = set->head;
    if (set->head) set->head->prev = t;
    set->head = t;
    set->n++;
    if (!relay_start_metered(a, b, early, early_len, on_done, t, meter)) { /* it closed both */
        unlink_tunnel(t);
        free(t);
    }
}

/* Not conn_close: a relay may have handed its sockets to the splice pump,
 * which must finish first. Ending both transports makes either path see the
 * end (EOF or a failed write) and close both conns itself. */
static void end_tunnel(tunnel_t *t)
{
    conn_end_transport(t->a);
    conn_end_transport(t->b);
}

void tunnels_end_all(tunnels_t *set)
{
    for (tunnel_t *t = set->head; t; t = t->next)
        end_tunnel(t);
}

int tunnels_end_tag(tunnels_t *set, const void *tag)
{
    int n = 0;
    for (tunnel_t *t = set->head; t && tag; t = t->next)
        if (t->tag == tag) end_tunnel(t), n++;
    return n;
}
