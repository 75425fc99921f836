/* pm_int: what portmap.c and pm_probe.c share with the three protocol
 * backends (pm_pcp.c, pm_natpmp.c, pm_upnp.c). One pm_op_t is one exchange
 * with the router: map (or renew), delete, or probe. A backend's start()
 * either fails at once (negative, done never called) or returns 0 and later
 * calls op->done(op) exactly once, from the loop; cancel() makes that
 * happen soon (UV_ECANCELED unless the answer was already in). The op's
 * memory belongs to the caller and must stay put until done. */
#ifndef BURROW_PM_INT_H
#define BURROW_PM_INT_H

#include <stdint.h>
#include <uv.h>

#include "portmap/pcp_msg.h"
#include "portmap/portmap.h"

typedef enum pm_op_kind { PM_OP_MAP = 0, PM_OP_DELETE, PM_OP_PROBE } pm_op_kind_t;

#define PM_URL_MAX 512
#define PM_DESC_MAX 64

/* What UPnP learnt about the IGD, kept across one portmap's map, renewals
 * and delete so that only the first needs SSDP. Written by the threadpool
 * while an op runs, read on the loop after done (uv_queue_work orders them). */
typedef struct pm_upnp_igd {
    int valid;
    char control_url[PM_URL_MAX];
    char service_type[PM_URL_MAX];
    char lan_addr[46];
} pm_upnp_igd_t;

typedef struct pm_op pm_op_t;
struct pm_op {
    /* in */
    uv_loop_t *loop;
    pm_op_kind_t kind;
    uint32_t gateway_be;
    portmap_transport_t transport;
    uint16_t internal_port;
    uint16_t external_port; /* suggestion; DELETE: the granted port */
    uint32_t lifetime;
    unsigned timeout_ms;
    char description[PM_DESC_MAX];
    uint8_t pcp_nonce[PCP_NONCE_LEN]; /* same for a mapping's renewals (RFC 6887 §11.2) */
    pm_upnp_igd_t *igd;               /* borrowed; NULL: discover every time */
    void (*done)(pm_op_t *op);
    void *data;
    /* out */
    int status;
    unsigned result_code;
    char external_ip[46];
    uint16_t granted_port;
    uint32_t granted_lifetime;
    /* the backend's */
    void *impl;
};

typedef struct pm_backend {
    portmap_proto_t proto;
    int (*start)(pm_op_t *op);
    void (*cancel)(pm_op_t *op);
} pm_backend_t;

extern const pm_backend_t pm_pcp_backend;
extern const pm_backend_t pm_natpmp_backend;
extern const pm_backend_t pm_upnp_backend;

/* The backend for p (from a table). */
const pm_backend_t *pm_backend(portmap_proto_t p);
/* Clears an op's results before a start. */
void pm_op_reset(pm_op_t *op);

#endif
