/* gateway: Linux's /proc/net/route lists one route a line after a header:
 * Iface Destination Gateway Flags RefCnt Use Metric Mask ..., addresses as
 * hexadecimal in host byte order of the kernel (little-endian here, and
 * read back with the same scanf, so the bytes land in network order). */
#include "net/gateway.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTF_UP_FLAG 0x1
#define RTF_GATEWAY_FLAG 0x2
#define ROUTE_FILE_MAX 65536

int gateway_parse_proc_route(const char *text, uint32_t *gw_be, char *ifname, size_t ifcap)
{
    unsigned best_metric = ~0u;
    int found = -1;
    const char *line = strchr(text, '\n'); /* skip the header */
    while (line && *++line) {
        char ifc[32];
        unsigned dest, gw, flags, refcnt, use, metric, mask;
        if (sscanf(line, "%31s %x %x %x %u %u %u %x", ifc, &dest, &gw, &flags, &refcnt, &use,
                   &metric, &mask) == 8 &&
            dest == 0 && mask == 0 && (flags & RTF_UP_FLAG) && (flags & RTF_GATEWAY_FLAG) &&
            gw != 0 && metric < best_metric) {
            best_metric = metric;
            *gw_be = (uint32_t)gw;
            if (ifname && ifcap) snprintf(ifname, ifcap, "%s", ifc);
            found = 0;
        }
        line = strchr(line, '\n');
    }
    return found;
}

int gateway_default_v4(uint32_t *gw_be, char *ifname, size_t ifcap)
{
    FILE *f = fopen("/proc/net/route", "r");
    if (!f) return -errno;
    char *buf = malloc(ROUTE_FILE_MAX); /* a longer table is read in part */
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    size_t n = fread(buf, 1, ROUTE_FILE_MAX - 1, f);
    fclose(f);
    buf[n] = 0;
    int r = gateway_parse_proc_route(buf, gw_be, ifname, ifcap) == 0 ? 0 : -ENETUNREACH;
    free(buf);
    return r;
}
