/* nat_probe: NAT behaviour discovery on the libuv loop (RFC 5780 §4).
 *
 * Sockets, all bound to the source address the route to the server picks:
 *   A  Binding to the primary address (test I), to the alternate IP (test
 *      II) and to the alternate IP and port (test III): mapping behaviour.
 *   F  Binding to the primary, then CHANGE-REQUEST change-IP-and-port and
 *      change-port: filtering. F only ever sends to the primary address, so
 *      that A's packets to the alternate address cannot open F's filter.
 *   B  a Binding request to A's public address: hairpinning.
 *   Y, L0..Ln  with `lifetime`: each Li takes a mapping at the start; at
 *      Li's checkpoint Y asks the server (RESPONSE-PORT) to answer to Li's
 *      mapped port; the first checkpoint that gets no answer bounds the idle
 *      mapping lifetime.
 * Each request is retransmitted at NAT_RTX_MS offsets and given up
 * NAT_GIVEUP_MS after its first send, so the report is done in about
 * 2 x NAT_GIVEUP_MS (tests I then III run in sequence); --lifetime adds at
 * most NAT_LIFETIME_MAX_S. The router is asked (portmap_probe) meanwhile.
 *
 * Ownership: the caller owns the nat_report_t it passes and keeps it valid
 * until `done` ran; the probe writes its observations there. `done` runs
 * once, from the loop (never inside nat_probe_start). nat_probe_close() may
 * be called at any time after start (also inside `done`): it closes the
 * handles and frees the probe from their close callbacks; no callback runs
 * after it. */
#ifndef BURROW_NAT_PROBE_H
#define BURROW_NAT_PROBE_H

#include <stdbool.h>
#include <uv.h>

#include "nat/nat_report.h"

/* Send offsets of one request, ms after its first send (RFC 8489 §6.2.1's
 * doubling from an RTO of 200 ms, cut short), and when it is given up. */
#define NAT_RTX_MS                                                                                 \
    {                                                                                              \
        0, 200, 600, 1400                                                                          \
    }
#define NAT_RTX_SENDS 4
#define NAT_GIVEUP_MS 2400
/* Lifetime checkpoints, s after the mappings were made; the last one bounds
 * the test. The first is a control: it must answer. */
#define NAT_LIFETIME_STEPS                                                                         \
    {                                                                                              \
        1, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180                                                 \
    }
#define NAT_LIFETIME_NSTEPS 11
#define NAT_LIFETIME_MAX_S 180
/* Datagrams that are no answer (garbage, unknown ids) are read and counted,
 * at most this many per socket ... and then ignored: the timers still end
 * the probe. */
#define NAT_RX_MAX 2048

typedef struct nat_probe_opts {
    struct sockaddr_storage server; /* the primary address (copied) */
    bool lifetime;                  /* measure the idle mapping lifetime */
    bool router;                    /* ask the router (UPnP IGD, NAT-PMP, PCP) */
} nat_probe_opts_t;

typedef struct nat_probe nat_probe_t;

/* Starts the discovery; report is borrowed (see above). 0 and *out set, or a
 * negative libuv code (no route to the server, sockets) and nothing to
 * close. */
int nat_probe_start(uv_loop_t *loop, const nat_probe_opts_t *o, nat_report_t *report,
                    void (*done)(nat_probe_t *p, void *arg), void *arg, nat_probe_t **out);
/* Counters for tests and the report: datagrams read that were no answer. */
unsigned nat_probe_garbage(const nat_probe_t *p);
void nat_probe_close(nat_probe_t *p);

#endif
