/* portmap: ask the router for a port mapping (PCP, NAT-PMP, UPnP IGD) on the
 * libuv loop, keep it renewed, delete it on close; and probe which of the
 * three the router answers.
 *
 * Use (client, `burrow nat map`):
 *   portmap_opts_t o; portmap_opts_default(&o);
 *   o.transport = PORTMAP_UDP; o.internal_port = 9000;
 *   portmap_t *pm; int r = portmap_start(loop, &o, on_event, arg, &pm);
 *   ... on_event(MAPPED) with the external address and lifetime, then
 *   RENEWED at about half of each lifetime, FAILED when no protocol (or a
 *   renewal) worked; ... portmap_close(pm, on_closed, arg) deletes the
 *   mapping (waiting at most PORTMAP_DELETE_MS for the router) and frees pm.
 *
 * Use (`burrow nat` report):
 *   portmap_probe(loop, NULL, on_probe, arg);
 *   on_probe() is called once, from the loop, within PORTMAP_PROBE_MS, with
 *   one answer per protocol; nothing is left mapped on the router.
 *
 * Errors are negative libuv codes (uv_strerror): UV_ETIMEDOUT nothing
 * answered, UV_ECONNREFUSED the router refused the port (ICMP: no such
 * service), UV_ENOTSUP the router speaks another version / no IGD found,
 * UV_EACCES refused by the router (result code in `result_code`), UV_EPROTO
 * a malformed answer, UV_ENETUNREACH no default gateway, UV_ECANCELED closed.
 * Callbacks never run from inside the call that starts the work. */
#ifndef BURROW_PORTMAP_H
#define BURROW_PORTMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef enum portmap_proto {
    PORTMAP_PCP = 0,
    PORTMAP_NATPMP,
    PORTMAP_UPNP,
    PORTMAP_NPROTOS
} portmap_proto_t;

typedef enum portmap_transport { PORTMAP_UDP = 0, PORTMAP_TCP } portmap_transport_t;

/* An attempt with one protocol gives up after this long (PCP: two sends,
 * RFC 6887 §8.1.1 with IRT 3 s; NAT-PMP: libnatpmp's 250 ms doubling). */
#define PORTMAP_ATTEMPT_MS 4000
/* The probe answers within this long even when nothing answers. */
#define PORTMAP_PROBE_MS 2000
/* portmap_close waits at most this long for the router to confirm a delete. */
#define PORTMAP_DELETE_MS 2000
/* UPnP SSDP discovery wait (miniupnpc's `delay`), inside the bounds above. */
#define PORTMAP_UPNP_DISCOVER_MS 1000
/* Default and bounds of the requested lifetime, seconds. */
#define PORTMAP_LIFETIME_DEFAULT 7200
#define PORTMAP_LIFETIME_MIN 4
#define PORTMAP_LIFETIME_MAX 86400
/* A failed renewal is retried this often before FAILED is reported. */
#define PORTMAP_RENEW_TRIES 3

/* "pcp", "natpmp", "upnp"; "udp", "tcp". */
const char *portmap_proto_name(portmap_proto_t p);
const char *portmap_transport_name(portmap_transport_t t);
/* Parses a name above; returns 0, or -1 when unknown. */
int portmap_proto_parse(const char *s, portmap_proto_t *out);
int portmap_transport_parse(const char *s, portmap_transport_t *out);

typedef struct portmap_opts {
    portmap_transport_t transport;
    uint16_t internal_port;  /* the local port to expose (required) */
    uint16_t external_port;  /* suggestion; 0: the same as internal_port */
    uint32_t lifetime;       /* requested seconds (clamped to the bounds) */
    portmap_proto_t order[PORTMAP_NPROTOS]; /* protocols to try, in order */
    unsigned norder;                        /* 1..PORTMAP_NPROTOS */
    const char *gateway;     /* IPv4 literal; NULL: the default route's (copied) */
    const char *description; /* UPnP description; NULL: "burrow" (copied) */
} portmap_opts_t;

/* Fills o: udp, lifetime PORTMAP_LIFETIME_DEFAULT, order PCP, NAT-PMP, UPnP. */
void portmap_opts_default(portmap_opts_t *o);

typedef enum portmap_event_kind {
    PORTMAP_EV_MAPPED = 0, /* first mapping granted */
    PORTMAP_EV_RENEWED,    /* renewed (the external port may have changed) */
    PORTMAP_EV_FAILED,     /* every protocol failed, or renewals did: no mapping now */
} portmap_event_kind_t;

typedef struct portmap_event {
    portmap_event_kind_t kind;
    int status;               /* 0, or the last error (FAILED) */
    portmap_proto_t proto;    /* protocol that answered (last tried when FAILED) */
    portmap_transport_t transport;
    uint16_t internal_port;
    char external_ip[46];     /* as the router reports it ("" when unknown) */
    uint16_t external_port;
    uint32_t lifetime;        /* seconds granted */
    unsigned result_code;     /* the protocol's own error code, 0 if none */
} portmap_event_t;

typedef struct portmap portmap_t;
typedef void (*portmap_cb)(portmap_t *pm, const portmap_event_t *ev, void *arg);

/* Starts asking for a mapping. Returns 0 and sets *out (owned by the caller
 * until portmap_close), or a negative code for bad options (UV_EINVAL) or no
 * gateway (UV_ENETUNREACH); later errors arrive as FAILED events. o and its
 * strings are copied; arg is borrowed. */
int portmap_start(uv_loop_t *loop, const portmap_opts_t *o, portmap_cb cb, void *arg,
                  portmap_t **out);
/* Stops renewing; when a mapping is held, deletes it (at most
 * PORTMAP_DELETE_MS), then frees pm and calls closed(arg) from the loop.
 * No event is delivered after this call. portmap_close(NULL, ...) is a no-op. */
void portmap_close(portmap_t *pm, void (*closed)(void *arg), void *arg);

/* --- probe --- */

typedef struct portmap_probe_answer {
    int status;            /* 0: the router answers this protocol */
    unsigned result_code;  /* the protocol's error code when it refused */
    char external_ip[46];  /* reported external address ("" when unknown) */
} portmap_probe_answer_t;

typedef struct portmap_probe_result {
    int status;            /* 0, or UV_ENETUNREACH when no gateway was found */
    char gateway[46];      /* the router asked */
    portmap_probe_answer_t by[PORTMAP_NPROTOS];
} portmap_probe_result_t;

/* Asks the gateway (IPv4 literal; NULL: the default route's) about all three
 * protocols at once: PCP a MAP request of lifetime 0 (creates nothing), NAT-PMP's public
 * address request, UPnP discovery and GetExternalIPAddress. cb is called once
 * from the loop within PORTMAP_PROBE_MS (a UPnP SOAP call already running may
 * add its own socket timeout). Returns 0, or UV_ENOMEM / UV_EINVAL (no
 * callback then). */
int portmap_probe(uv_loop_t *loop, const char *gateway,
                  void (*cb)(const portmap_probe_result_t *r, void *arg), void *arg);

#endif
