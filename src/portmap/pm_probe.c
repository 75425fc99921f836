/* pm_probe: asks the router about PCP, NAT-PMP and UPnP IGD at once and
 * reports once, when all three answered or at PORTMAP_PROBE_MS, whichever
 * comes first; what has not answered by then counts as UV_ETIMEDOUT. PCP
 * and NAT-PMP stop on their own timeout just before; a UPnP job still
 * running is cancelled and waited for (it cannot be interrupted), so the
 * probe's memory lives until every op is done. Owns: three pm_op_t, one
 * timer, freed in the timer's close callback. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/gateway.h"
#include "portmap/pm_int.h"

/* PCP and NAT-PMP give up this much before the probe's deadline. */
#define PROBE_MARGIN_MS 150

typedef struct pm_probe {
    pm_op_t ops[PORTMAP_NPROTOS];
    int busy[PORTMAP_NPROTOS];
    unsigned pending;
    uv_timer_t timer;
    portmap_probe_result_t res;
    void (*cb)(const portmap_probe_result_t *r, void *arg);
    void *arg;
    int reported;
} pm_probe_t;

static void on_timer_closed(uv_handle_t *h) { free(h->data); }

static void report(pm_probe_t *p)
{
    if (p->reported) return;
    p->reported = 1;
    uv_timer_stop(&p->timer);
    for (unsigned i = 0; i < PORTMAP_NPROTOS; i++)
        if (p->busy[i]) {
            p->res.by[i].status = UV_ETIMEDOUT;
            pm_backend((portmap_proto_t)i)->cancel(&p->ops[i]);
        }
    p->cb(&p->res, p->arg);
}

static void maybe_free(pm_probe_t *p)
{
    if (p->pending == 0 && p->reported) uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}

static void on_op_done(pm_op_t *op)
{
    pm_probe_t *p = op->data;
    unsigned i = (unsigned)(op - p->ops);
    p->busy[i] = 0;
    p->pending--;
    if (!p->reported) {
        portmap_probe_answer_t *a = &p->res.by[i];
        a->status = op->status;
        a->result_code = op->result_code;
        snprintf(a->external_ip, sizeof a->external_ip, "%s", op->external_ip);
        if (p->pending == 0) report(p);
    }
    maybe_free(p);
}

static void on_deadline(uv_timer_t *t)
{
    pm_probe_t *p = t->data;
    report(p);
    maybe_free(p);
}

/* Runs when there is no gateway: the report still comes from the loop. */
static void on_start(uv_timer_t *t)
{
    pm_probe_t *p = t->data;
    if (p->res.status < 0) {
        for (unsigned i = 0; i < PORTMAP_NPROTOS; i++) p->res.by[i].status = p->res.status;
        report(p);
        maybe_free(p);
    }
}

static void start_ops(pm_probe_t *p, uv_loop_t *loop, uint32_t gw)
{
    for (unsigned i = 0; i < PORTMAP_NPROTOS; i++) {
        pm_op_t *op = &p->ops[i];
        op->loop = loop;
        op->kind = PM_OP_PROBE;
        op->gateway_be = gw;
        op->timeout_ms = PORTMAP_PROBE_MS - PROBE_MARGIN_MS;
        op->done = on_op_done;
        op->data = p;
        int r = pm_backend((portmap_proto_t)i)->start(op);
        if (r < 0) {
            p->res.by[i].status = r;
            continue;
        }
        p->busy[i] = 1;
        p->pending++;
    }
}

int portmap_probe(uv_loop_t *loop, const char *gateway,
                  void (*cb)(const portmap_probe_result_t *r, void *arg), void *arg)
{
    if (!cb) return UV_EINVAL;
    uint32_t gw = 0;
    pm_probe_t *p = calloc(1, sizeof *p);
    if (!p) return UV_ENOMEM;
    p->cb = cb;
    p->arg = arg;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    if (gateway ? inet_pton(AF_INET, gateway, &gw) != 1 : gateway_default_v4(&gw, NULL, 0) != 0) {
        p->res.status = gateway ? UV_EINVAL : UV_ENETUNREACH;
        uv_timer_start(&p->timer, on_start, 0, 0);
        return 0;
    }
    inet_ntop(AF_INET, &gw, p->res.gateway, sizeof p->res.gateway);
    start_ops(p, loop, gw);
    uv_timer_start(&p->timer, on_deadline, p->pending ? PORTMAP_PROBE_MS : 0, 0);
    return 0;
}
