/* pm_upnp: UPnP IGD through miniupnpc. Its calls block (SSDP discovery
 * waits PORTMAP_UPNP_DISCOVER_MS, SOAP is HTTP), so each op runs as one
 * uv_queue_work job on libuv's threadpool and reports back on the loop in
 * the after-work callback. The job reads and writes only its op and the
 * op's pm_upnp_igd_t, which nothing else touches while it runs. Cancel
 * takes back a job not yet started; one already running finishes (its
 * calls are bounded by the discovery wait and miniupnpc's socket timeouts)
 * and reports what it did. Owns: the uv_work_t. */
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portmap/pm_int.h"

/* UPnP's error for "only permanent leases" (IGD:1 WANIPConnection §2.4.16). */
#define UPNP_ERR_ONLY_PERMANENT 725
#define UPNP_ERR_CONFLICT 718
/* SSDP's multicast TTL (UPnP Device Architecture recommends 2). */
#define UPNP_TTL 2

typedef struct upnp_impl {
    uv_work_t work;
    pm_op_t *op;
} upnp_impl_t;

/* SSDP for an IGD (v1 and v2 device types in one search), then its
 * description: fills igd. Returns 0 or a negative code. */
static int discover(pm_upnp_igd_t *igd)
{
    static const char *const types[] = {
        "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
        NULL,
    };
    int err = 0;
    struct UPNPDev *devs = upnpDiscoverDevices(types, PORTMAP_UPNP_DISCOVER_MS, NULL, NULL,
                                               UPNP_LOCAL_PORT_ANY, 0, UPNP_TTL, &err, 1);
    if (!devs) return UV_ETIMEDOUT;
    struct UPNPUrls urls;
    struct IGDdatas data;
    memset(&urls, 0, sizeof urls);
    memset(&data, 0, sizeof data);
    char lan[46] = "";
    int r = UPNP_GetValidIGD(devs, &urls, &data, lan, sizeof lan);
    freeUPNPDevlist(devs);
    if (r == 1 || r == 2) { /* an IGD, connected or not */
        snprintf(igd->control_url, sizeof igd->control_url, "%s", urls.controlURL);
        snprintf(igd->service_type, sizeof igd->service_type, "%s", data.first.servicetype);
        snprintf(igd->lan_addr, sizeof igd->lan_addr, "%s", lan);
        igd->valid = 1;
    }
    if (r) FreeUPNPUrls(&urls);
    return igd->valid ? 0 : UV_ENOTSUP;
}

static int soap_status(int r) { return r == 0 ? 0 : r > 0 ? UV_EACCES : UV_EPROTO; }

static void add_mapping(pm_op_t *op, const pm_upnp_igd_t *igd)
{
    char ext[8], in[8], lease[16];
    uint16_t want = op->external_port ? op->external_port : op->internal_port;
    snprintf(ext, sizeof ext, "%u", want);
    snprintf(in, sizeof in, "%u", op->internal_port);
    snprintf(lease, sizeof lease, "%u", op->lifetime);
    const char *proto = op->transport == PORTMAP_TCP ? "TCP" : "UDP";
    int r = UPNP_AddPortMapping(igd->control_url, igd->service_type, ext, in, igd->lan_addr,
                                op->description, proto, NULL, lease);
    op->granted_lifetime = op->lifetime;
    if (r == UPNP_ERR_ONLY_PERMANENT) { /* then it lasts until deleted */
        r = UPNP_AddPortMapping(igd->control_url, igd->service_type, ext, in, igd->lan_addr,
                                op->description, proto, NULL, "0");
        op->granted_lifetime = 0;
    }
    if (r == UPNP_ERR_CONFLICT) { /* taken: let an IGD:2 pick another */
        char got[8] = "";
        r = UPNP_AddAnyPortMapping(igd->control_url, igd->service_type, ext, in, igd->lan_addr,
                                   op->description, proto, NULL, lease, got);
        if (r == 0) want = (uint16_t)atoi(got);
    }
    op->result_code = r > 0 ? (unsigned)r : 0;
    op->status = soap_status(r);
    if (r == 0) op->granted_port = want;
}

static void work(uv_work_t *w)
{
    upnp_impl_t *im = w->data;
    pm_op_t *op = im->op;
    pm_upnp_igd_t local = {0}, *igd = op->igd ? op->igd : &local;
    if (!igd->valid || op->kind == PM_OP_PROBE) {
        op->status = discover(igd);
        if (op->status < 0) return;
    }
    if (op->kind == PM_OP_DELETE) {
        char ext[8];
        snprintf(ext, sizeof ext, "%u", op->external_port);
        int r = UPNP_DeletePortMapping(igd->control_url, igd->service_type, ext,
                                       op->transport == PORTMAP_TCP ? "TCP" : "UDP", NULL);
        op->result_code = r > 0 ? (unsigned)r : 0;
        op->status = soap_status(r);
        return;
    }
    char ip[40] = "";
    int r = UPNP_GetExternalIPAddress(igd->control_url, igd->service_type, ip);
    if (r == 0) snprintf(op->external_ip, sizeof op->external_ip, "%s", ip);
    if (op->kind == PM_OP_PROBE) {
        op->status = 0; /* an IGD answered, whatever it says of its address */
        return;
    }
    add_mapping(op, igd);
}

static void after_work(uv_work_t *w, int status)
{
    upnp_impl_t *im = w->data;
    pm_op_t *op = im->op;
    /* A job that ran reports what it did, even when cancelled meanwhile:
     * the caller must know of a mapping made so as to delete it. */
    if (status == UV_ECANCELED) op->status = UV_ECANCELED;
    free(im);
    op->impl = NULL;
    op->done(op);
}

static int upnp_start(pm_op_t *op)
{
    upnp_impl_t *im = calloc(1, sizeof *im);
    if (!im) return UV_ENOMEM;
    im->op = op;
    im->work.data = im;
    op->impl = im;
    int r = uv_queue_work(op->loop, &im->work, work, after_work);
    if (r < 0) {
        op->impl = NULL;
        free(im);
    }
    return r;
}

static void upnp_cancel(pm_op_t *op)
{
    upnp_impl_t *im = op->impl;
    if (!im) return;
    uv_cancel((uv_req_t *)&im->work);
}

const pm_backend_t pm_upnp_backend = {PORTMAP_UPNP, upnp_start, upnp_cancel};
