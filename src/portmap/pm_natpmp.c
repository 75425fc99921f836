/* pm_natpmp: NAT-PMP through libnatpmp, driven by the loop: the library's
 * socket (non-blocking, connected to the gateway's 5351) is watched with a
 * uv_poll_t, and a uv_timer_t wakes readnatpmpresponseorretry() when
 * getnatpmprequesttimeout() says a retransmission is due (250 ms doubling,
 * RFC 6886 §3.1). A map asks the public address first (the mapping reply
 * does not carry it), then the mapping; a delete sends lifetime 0 with
 * external port 0 (§3.4); a probe asks the address only. The op's timeout
 * bounds it all. Owns: the natpmp_t and its socket, the poll and timer
 * handles; closed, then freed, then done(). */
#include "portmap/pm_natpmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

typedef struct natpmp_impl {
    pm_op_t *op;
    natpmp_t n;
    int n_open;
    uv_poll_t poll;
    uv_timer_t timer;
    int open_handles;
    int finished;
    pm_natpmp_stage_t stage;
    uint64_t deadline;
} natpmp_impl_t;

/* libnatpmp's errors from the server, back to RFC 6886 §3.5 codes. */
static unsigned server_code(int rc, const natpmpresp_t *resp)
{
    if (resp && resp->resultcode) return resp->resultcode;
    switch (rc) {
    case NATPMP_ERR_UNSUPPORTEDVERSION: return 1;
    case NATPMP_ERR_NOTAUTHORIZED: return 2;
    case NATPMP_ERR_NETWORKFAILURE: return 3;
    case NATPMP_ERR_OUTOFRESOURCES: return 4;
    case NATPMP_ERR_UNSUPPORTEDOPCODE: return 5;
    default: return 0;
    }
}

static int error_status(int rc)
{
    switch (rc) {
    case NATPMP_ERR_NOGATEWAYSUPPORT:
    case NATPMP_ERR_RECVFROM: return UV_ECONNREFUSED; /* ICMP: no NAT-PMP here */
    case NATPMP_ERR_UNSUPPORTEDVERSION: return UV_ENOTSUP;
    case NATPMP_ERR_WRONGPACKETSOURCE: return UV_EPROTO;
    default: return UV_EACCES;
    }
}

int pm_natpmp_reply(pm_op_t *op, pm_natpmp_stage_t stage, int rc, const natpmpresp_t *resp)
{
    if (rc == NATPMP_TRYAGAIN) return 1;
    if (rc == NATPMP_ERR_WRONGPACKETSOURCE) return 1; /* not from the gateway: ignore */
    if (rc < 0) {
        op->status = error_status(rc);
        op->result_code = server_code(rc, resp);
        return 0;
    }
    if (stage == PM_NATPMP_ADDR) {
        if (resp->type != NATPMP_RESPTYPE_PUBLICADDRESS) return 1;
        inet_ntop(AF_INET, &resp->pnu.publicaddress.addr, op->external_ip,
                  sizeof op->external_ip);
        op->status = 0;
        return 0;
    }
    uint16_t want = op->transport == PORTMAP_TCP ? NATPMP_RESPTYPE_TCPPORTMAPPING
                                                 : NATPMP_RESPTYPE_UDPPORTMAPPING;
    if (resp->type != want || resp->pnu.newportmapping.privateport != op->internal_port) return 1;
    op->granted_port = resp->pnu.newportmapping.mappedpublicport;
    op->granted_lifetime = resp->pnu.newportmapping.lifetime;
    op->status = 0;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    natpmp_impl_t *im = h->data;
    if (--im->open_handles > 0) return;
    if (im->n_open) closenatpmp(&im->n); /* the fd, only once the poll is closed */
    pm_op_t *op = im->op;
    free(im);
    if (!op) return;
    op->impl = NULL;
    op->done(op);
}

static void finish(natpmp_impl_t *im, int status)
{
    if (im->finished) return;
    im->finished = 1;
    if (status) im->op->status = status;
    uv_poll_stop(&im->poll);
    uv_timer_stop(&im->timer);
    uv_close((uv_handle_t *)&im->poll, on_closed);
    uv_close((uv_handle_t *)&im->timer, on_closed);
}

static int send_stage(natpmp_impl_t *im)
{
    pm_op_t *op = im->op;
    if (im->stage == PM_NATPMP_ADDR) return sendpublicaddressrequest(&im->n) < 0 ? UV_EIO : 0;
    int proto = op->transport == PORTMAP_TCP ? NATPMP_PROTOCOL_TCP : NATPMP_PROTOCOL_UDP;
    uint32_t life = op->kind == PM_OP_MAP ? op->lifetime : 0;
    uint16_t ext = op->kind == PM_OP_MAP ? op->external_port : 0;
    return sendnewportmappingrequest(&im->n, proto, op->internal_port, ext, life) < 0 ? UV_EIO
                                                                                        : 0;
}

static void on_timer(uv_timer_t *t);

/* Sleep until the library's next retransmission or the deadline. */
static void arm(natpmp_impl_t *im)
{
    uint64_t now = uv_now(im->op->loop);
    uint64_t wait = im->deadline > now ? im->deadline - now : 0;
    struct timeval tv;
    if (getnatpmprequesttimeout(&im->n, &tv) == 0) {
        uint64_t lib = tv.tv_sec < 0 ? 0 : (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
        if (lib < wait) wait = lib;
    }
    uv_timer_start(&im->timer, on_timer, wait, 0);
}

static void step(natpmp_impl_t *im)
{
    natpmpresp_t resp;
    memset(&resp, 0, sizeof resp);
    int rc = readnatpmpresponseorretry(&im->n, &resp);
    if (pm_natpmp_reply(im->op, im->stage, rc, &resp)) {
        if (uv_now(im->op->loop) >= im->deadline)
            finish(im, UV_ETIMEDOUT);
        else
            arm(im);
        return;
    }
    if (im->op->status < 0 || im->stage == PM_NATPMP_MAP || im->op->kind == PM_OP_PROBE) {
        finish(im, 0);
        return;
    }
    im->stage = PM_NATPMP_MAP;
    int r = send_stage(im);
    if (r < 0)
        finish(im, r);
    else
        arm(im);
}

static void on_timer(uv_timer_t *t) { step(t->data); }

static void on_poll(uv_poll_t *p, int status, int events)
{
    natpmp_impl_t *im = p->data;
    if (!im->finished) step(im);
}

static int natpmp_open(natpmp_impl_t *im)
{
    pm_op_t *op = im->op;
    if (initnatpmp(&im->n, 1, op->gateway_be) < 0) return UV_EIO;
    im->n_open = 1;
    int r = uv_poll_init(op->loop, &im->poll, im->n.s);
    if (r < 0) return r;
    uv_timer_init(op->loop, &im->timer);
    im->poll.data = im->timer.data = im;
    im->open_handles = 2;
    im->stage = op->kind == PM_OP_DELETE ? PM_NATPMP_MAP : PM_NATPMP_ADDR;
    r = send_stage(im);
    if (r == 0) r = uv_poll_start(&im->poll, UV_READABLE, on_poll);
    return r;
}

static int natpmp_start(pm_op_t *op)
{
    natpmp_impl_t *im = calloc(1, sizeof *im);
    if (!im) return UV_ENOMEM;
    im->op = op;
    op->impl = im;
    im->deadline = uv_now(op->loop) + op->timeout_ms;
    int r = natpmp_open(im);
    if (r == 0) {
        arm(im);
        return 0;
    }
    op->impl = NULL;
    im->op = NULL;
    im->finished = 1;
    if (im->open_handles) { /* done() is not called; freed once closed */
        uv_close((uv_handle_t *)&im->poll, on_closed);
        uv_close((uv_handle_t *)&im->timer, on_closed);
        return r;
    }
    if (im->n_open) closenatpmp(&im->n);
    free(im);
    return r;
}

static void natpmp_cancel(pm_op_t *op)
{
    if (op->impl) finish(op->impl, UV_ECANCELED);
}

const pm_backend_t pm_natpmp_backend = {PORTMAP_NATPMP, natpmp_start, natpmp_cancel};
