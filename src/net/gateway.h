/* gateway: the IPv4 default route's gateway, the one place that reads the
 * platform's routing table (Linux: /proc/net/route). */
#ifndef BURROW_GATEWAY_H
#define BURROW_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

/* Parses the text of /proc/net/route: the gateway (network order) of the
 * lowest-metric default route that is up, and its interface into ifname
 * (ifcap bytes, may be NULL). Returns 0, or -1 when there is none. */
int gateway_parse_proc_route(const char *text, uint32_t *gw_be, char *ifname, size_t ifcap);
/* Reads /proc/net/route. 0, or a negative errno (-ENETUNREACH: no default
 * route with a gateway). */
int gateway_default_v4(uint32_t *gw_be, char *ifname, size_t ifcap);

#endif
