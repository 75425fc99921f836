/* portmap: one mapping kept alive. Tries the protocols in the caller's
 * order until one grants the mapping, renews it with the same protocol at
 * half of each granted lifetime (RFC 6886 §3.3 and RFC 6887 §11.2.1 both
 * suggest renewing at half), retries a failed renewal PORTMAP_RENEW_TRIES
 * times, and deletes it on close. Owns: one pm_op_t (one exchange at a
 * time), one uv_timer_t (the first attempt, renewals, retries), the UPnP
 * IGD it found and the PCP nonce; freed in the timer's close callback. */
#include "portmap/portmap.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/gateway.h"
#include "portmap/pm_int.h"
#include "util/log.h"

/* Between failed renewals. */
#define RENEW_RETRY_MS 5000

struct portmap {
    uv_loop_t *loop;
    portmap_opts_t o;
    char description[PM_DESC_MAX];
    uint32_t gateway_be;
    portmap_cb cb;
    void *arg;
    uv_timer_t timer;
    pm_op_t op;
    int op_busy;
    unsigned idx;        /* into o.order: the protocol being tried */
    int mapped;          /* the router holds our mapping (cur) */
    portmap_event_t cur; /* the mapping granted */
    unsigned renew_fails;
    pm_upnp_igd_t igd;
    uint8_t pcp_nonce[PCP_NONCE_LEN];
    int closing;
    int delete_sent;
    int freeing; /* the timer's close (and so the free) is under way */
    void (*closed)(void *arg);
    void *closed_arg;
};

static const pm_backend_t *const backends[PORTMAP_NPROTOS] = {
    [PORTMAP_PCP] = &pm_pcp_backend,
    [PORTMAP_NATPMP] = &pm_natpmp_backend,
    [PORTMAP_UPNP] = &pm_upnp_backend,
};
static const char *const proto_names[PORTMAP_NPROTOS] = {"pcp", "natpmp", "upnp"};
static const char *const transport_names[] = {"udp", "tcp"};

const pm_backend_t *pm_backend(portmap_proto_t p) { return p < PORTMAP_NPROTOS ? backends[p] : NULL; }

const char *portmap_proto_name(portmap_proto_t p)
{
    return p < PORTMAP_NPROTOS ? proto_names[p] : "?";
}

const char *portmap_transport_name(portmap_transport_t t)
{
    return t <= PORTMAP_TCP ? transport_names[t] : "?";
}

int portmap_proto_parse(const char *s, portmap_proto_t *out)
{
    for (unsigned i = 0; i < PORTMAP_NPROTOS; i++)
        if (strcmp(s, proto_names[i]) == 0) {
            *out = (portmap_proto_t)i;
            return 0;
        }
    return -1;
}

int portmap_transport_parse(const char *s, portmap_transport_t *out)
{
    for (unsigned i = 0; i <= PORTMAP_TCP; i++)
        if (strcmp(s, transport_names[i]) == 0) {
            *out = (portmap_transport_t)i;
            return 0;
        }
    return -1;
}

void portmap_opts_default(portmap_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->transport = PORTMAP_UDP;
    o->lifetime = PORTMAP_LIFETIME_DEFAULT;
    for (unsigned i = 0; i < PORTMAP_NPROTOS; i++) o->order[i] = (portmap_proto_t)i;
    o->norder = PORTMAP_NPROTOS;
}

void pm_op_reset(pm_op_t *op)
{
    op->status = 0;
    op->result_code = 0;
    op->external_ip[0] = 0;
    op->granted_port = 0;
    op->granted_lifetime = 0;
    op->impl = NULL;
}

static void on_op_done(pm_op_t *op);
static void on_timer(uv_timer_t *t);

static void emit(portmap_t *pm, portmap_event_kind_t kind, int status)
{
    if (pm->closing) return;
    portmap_event_t ev = pm->cur;
    ev.kind = kind;
    ev.status = status;
    pm->cb(pm, &ev, pm->arg);
}

/* Starts one exchange with protocol p; a backend that fails at once is
 * reported as if it had answered with that error. */
static void run_op(portmap_t *pm, pm_op_kind_t kind, portmap_proto_t p, unsigned timeout_ms)
{
    pm_op_t *op = &pm->op;
    pm_op_reset(op);
    op->kind = kind;
    op->timeout_ms = timeout_ms;
    op->external_port = kind == PM_OP_MAP && !pm->mapped ? pm->o.external_port : pm->cur.external_port;
    if (op->external_port == 0) op->external_port = pm->o.internal_port;
    memcpy(op->pcp_nonce, pm->pcp_nonce, PCP_NONCE_LEN);
    pm->cur.proto = p;
    int r = backends[p]->start(op);
    if (r < 0) {
        op->status = r;
        on_op_done(op);
        return;
    }
    pm->op_busy = 1;
}

static void attempt(portmap_t *pm)
{
    if (!pm->mapped) memset(pm->pcp_nonce, 0, PCP_NONCE_LEN); /* a new mapping, a new nonce */
    run_op(pm, PM_OP_MAP, pm->mapped ? pm->cur.proto : pm->o.order[pm->idx], PORTMAP_ATTEMPT_MS);
}

static void on_closed(uv_handle_t *h)
{
    portmap_t *pm = h->data;
    void (*closed)(void *) = pm->closed;
    void *arg = pm->closed_arg;
    free(pm);
    if (closed) closed(arg);
}

/* Closing: wait for the exchange in flight, delete a held mapping, free. */
static void close_step(portmap_t *pm)
{
    if (pm->op_busy || pm->freeing) return;
    if (pm->mapped && !pm->delete_sent) {
        pm->delete_sent = 1;
        run_op(pm, PM_OP_DELETE, pm->cur.proto, PORTMAP_DELETE_MS);
        return;
    }
    pm->freeing = 1;
    uv_close((uv_handle_t *)&pm->timer, on_closed);
}

static void granted(portmap_t *pm)
{
    pm_op_t *op = &pm->op;
    int first = !pm->mapped;
    pm->mapped = 1;
    pm->renew_fails = 0;
    memcpy(pm->pcp_nonce, op->pcp_nonce, PCP_NONCE_LEN);
    if (op->external_ip[0]) snprintf(pm->cur.external_ip, sizeof pm->cur.external_ip, "%s", op->external_ip);
    pm->cur.external_port = op->granted_port;
    pm->cur.lifetime = op->granted_lifetime;
    pm->cur.result_code = 0;
    LOG_I("port mapping %s proto=%s internal=%u external=%s:%u lifetime=%u",
          first ? "granted" : "renewed", portmap_proto_name(pm->cur.proto), pm->o.internal_port,
          pm->cur.external_ip[0] ? pm->cur.external_ip : "?", pm->cur.external_port,
          pm->cur.lifetime);
    if (pm->cur.lifetime) /* 0: a permanent UPnP lease, nothing to renew */
        uv_timer_start(&pm->timer, on_timer, (uint64_t)(pm->cur.lifetime + 1) / 2 * 1000, 0);
    emit(pm, first ? PORTMAP_EV_MAPPED : PORTMAP_EV_RENEWED, 0);
}

static void failed(portmap_t *pm)
{
    pm_op_t *op = &pm->op;
    pm->cur.result_code = op->result_code;
    LOG_I("port mapping failed proto=%s err=%s code=%u", portmap_proto_name(pm->cur.proto),
          uv_strerror(op->status), op->result_code);
    if (pm->mapped && ++pm->renew_fails < PORTMAP_RENEW_TRIES) {
        uv_timer_start(&pm->timer, on_timer, RENEW_RETRY_MS, 0);
        return;
    }
    if (!pm->mapped && ++pm->idx < pm->o.norder) {
        attempt(pm);
        return;
    }
    pm->mapped = 0;
    emit(pm, PORTMAP_EV_FAILED, op->status);
}

static void on_op_done(pm_op_t *op)
{
    portmap_t *pm = op->data;
    pm->op_busy = 0;
    if (op->kind == PM_OP_MAP && op->status == 0)
        granted(pm);
    else if (op->kind == PM_OP_MAP && !pm->closing)
        failed(pm);
    if (op->kind == PM_OP_DELETE)
        LOG_I("port mapping deleted proto=%s external=%u status=%s", portmap_proto_name(pm->cur.proto),
              pm->cur.external_port, op->status ? uv_strerror(op->status) : "ok");
    if (pm->closing) close_step(pm);
}

static void on_timer(uv_timer_t *t)
{
    portmap_t *pm = t->data;
    if (!pm->closing && !pm->op_busy) attempt(pm);
}

static int check_opts(const portmap_opts_t *o)
{
    if (o->internal_port == 0 || o->transport > PORTMAP_TCP) return UV_EINVAL;
    if (o->norder == 0 || o->norder > PORTMAP_NPROTOS) return UV_EINVAL;
    for (unsigned i = 0; i < o->norder; i++)
        if (o->order[i] >= PORTMAP_NPROTOS) return UV_EINVAL;
    return 0;
}

static int resolve_gateway(const char *s, uint32_t *gw)
{
    if (s) return inet_pton(AF_INET, s, gw) == 1 ? 0 : UV_EINVAL;
    return gateway_default_v4(gw, NULL, 0) == 0 ? 0 : UV_ENETUNREACH;
}

static void fill_op(portmap_t *pm)
{
    pm_op_t *op = &pm->op;
    op->loop = pm->loop;
    op->gateway_be = pm->gateway_be;
    op->transport = pm->o.transport;
    op->internal_port = pm->o.internal_port;
    op->lifetime = pm->o.lifetime;
    snprintf(op->description, sizeof op->description, "%s", pm->description);
    op->igd = &pm->igd;
    op->done = on_op_done;
    op->data = pm;
}

int portmap_start(uv_loop_t *loop, const portmap_opts_t *o, portmap_cb cb, void *arg,
                  portmap_t **out)
{
    uint32_t gw;
    int r = check_opts(o);
    if (r == 0) r = resolve_gateway(o->gateway, &gw);
    if (r < 0) return r;
    portmap_t *pm = calloc(1, sizeof *pm);
    if (!pm) return UV_ENOMEM;
    pm->loop = loop;
    pm->o = *o;
    pm->o.gateway = NULL; /* not kept */
    pm->o.description = NULL;
    snprintf(pm->description, sizeof pm->description, "%s", o->description ? o->description : "burrow");
    if (pm->o.lifetime < PORTMAP_LIFETIME_MIN) pm->o.lifetime = PORTMAP_LIFETIME_MIN;
    if (pm->o.lifetime > PORTMAP_LIFETIME_MAX) pm->o.lifetime = PORTMAP_LIFETIME_MAX;
    pm->gateway_be = gw;
    pm->cb = cb;
    pm->arg = arg;
    pm->cur.transport = o->transport;
    pm->cur.internal_port = o->internal_port;
    fill_op(pm);
    uv_timer_init(loop, &pm->timer);
    pm->timer.data = pm;
    uv_timer_start(&pm->timer, on_timer, 0, 0); /* the first attempt, from the loop */
    *out = pm;
    return 0;
}

void portmap_close(portmap_t *pm, void (*closed)(void *arg), void *arg)
{
    if (!pm || pm->closing) return;
    pm->closing = 1;
    pm->closed = closed;
    pm->closed_arg = arg;
    uv_timer_stop(&pm->timer);
    if (pm->op_busy)
        backends[pm->cur.proto]->cancel(&pm->op);
    close_step(pm);
}
