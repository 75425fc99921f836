/* wol_send: puts a magic packet on the local networks (the platform part:
 * interfaces, broadcast addresses, AF_PACKET).
 *
 * Routes, each tried on its own (one failing does not stop the others):
 *   - UDP to each up IPv4 interface's subnet broadcast, ports 9 and 7;
 *   - UDP to 255.255.255.255, ports 9 and 7 (bound to the interface when one
 *     is named and the process may, SO_BINDTODEVICE);
 *   - a raw Ethernet frame, EtherType 0x0842, to ff:ff:ff:ff:ff:ff on each
 *     such interface: only with CAP_NET_RAW; otherwise a DEBUG line says so.
 * Sends are synchronous and non-blocking (a full socket buffer is a failed
 * route): a handful of datagrams, safe to call from the event loop. */
#ifndef BURROW_WOL_SEND_H
#define BURROW_WOL_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "wol/wol.h"

/* Called once per route tried: `route` describes it ("udp 192.168.1.255:9
 * dev eth0", "ether 0x0842 dev eth0"), err is 0 when it went or -errno. */
typedef void (*wol_route_fn)(void *ud, const char *route, int err);

/* Sends pkt[0..len) on every route above; ifname (may be NULL: every
 * up, broadcast-capable, non-loopback interface) limits them to one
 * interface. `report` may be NULL. Returns the number of routes that went
 * (>= 0), or -ENODEV when ifname names no usable IPv4 interface. */
int wol_send(const uint8_t *pkt, size_t len, const char *ifname, wol_route_fn report, void *ud);

/* Builds and sends in one call; pw may be NULL (pw_len 0). */
int wol_wake(const uint8_t mac[WOL_MAC_LEN], const uint8_t *pw, size_t pw_len, const char *ifname,
             wol_route_fn report, void *ud);

#endif
