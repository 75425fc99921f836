/* wol_send: the platform side of Wake-on-LAN (Linux): interfaces from
 * getifaddrs(), UDP broadcasts with SO_BROADCAST, and AF_PACKET frames of
 * EtherType 0x0842. See wol_send.h for the routes. */
#include "wol/wol_send.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/if_packet.h>
#endif

#include "util/log.h"

typedef struct wol_job {
    const uint8_t *pkt;
    size_t len;
    wol_route_fn report;
    void *ud;
    int sent;
} wol_job_t;

static void job_result(wol_job_t *j, const char *route, int err)
{
    if (err == 0) j->sent++;
    if (j->report) j->report(j->ud, route, err);
}

static int udp_socket(const char *ifname)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    /* Without CAP_NET_RAW this fails: the kernel then picks the interface
     * of the route to 255.255.255.255 (usually the default route's). */
    if (ifname &&
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
        LOG_D("wol: cannot bind to dev=%s (%s): limited broadcast goes by the routing table",
              LOG_ESC(ifname), strerror(errno));
    return fd;
}

static void send_udp(wol_job_t *j, uint32_t dst_be, const char *ifname)
{
    static const uint16_t ports[] = {WOL_PORT_DISCARD, WOL_PORT_ECHO};
    char ip[INET_ADDRSTRLEN], route[96];
    inet_ntop(AF_INET, &dst_be, ip, sizeof ip);
    int fd = udp_socket(ifname);
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
        snprintf(route, sizeof route, "udp %s:%u%s%s", ip, ports[i], ifname ? " dev " : "",
                 ifname ? ifname : "");
        if (fd < 0) {
            job_result(j, route, fd);
            continue;
        }
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(ports[i])};
        sa.sin_addr.s_addr = dst_be;
        ssize_t n = sendto(fd, j->pkt, j->len, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof sa);
        job_result(j, route, n < 0 ? -errno : 0);
    }
    if (fd >= 0) close(fd);
}

static void send_ether(wol_job_t *j, const char *ifname)
{
    char route[64];
    snprintf(route, sizeof route, "ether 0x%04x dev %s", WOL_ETHERTYPE, ifname);
#ifdef __linux__
    /* SOCK_DGRAM: the kernel writes the Ethernet header from sll_addr. */
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(WOL_ETHERTYPE));
    if (fd < 0) {
        LOG_D("wol: no raw Ethernet frame on dev=%s: %s (needs root or CAP_NET_RAW)",
              LOG_ESC(ifname), strerror(errno));
        return;
    }
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(WOL_ETHERTYPE),
                              .sll_ifindex = (int)if_nametoindex(ifname),
                              .sll_halen = 6};
    memset(sll.sll_addr, 0xFF, 6);
    ssize_t n = sendto(fd, j->pkt, j->len, MSG_DONTWAIT, (struct sockaddr *)&sll, sizeof sll);
    job_result(j, route, n < 0 ? -errno : 0);
    close(fd);
#else
    LOG_D("wol: no raw Ethernet frames on this platform (dev=%s)", LOG_ESC(ifname));
#endif
}

/* An interface worth broadcasting on: up, IPv4, can broadcast, not loopback. */
static int usable(const struct ifaddrs *ifa, const char *ifname)
{
    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !ifa->ifa_netmask) return 0;
    if (!(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK)) return 0;
    if (!(ifa->ifa_flags & IFF_BROADCAST)) return 0;
    return !ifname || strcmp(ifa->ifa_name, ifname) == 0;
}

int wol_send(const uint8_t *pkt, size_t len, const char *ifname, wol_route_fn report, void *ud)
{
    wol_job_t j = {.pkt = pkt, .len = len, .report = report, .ud = ud};
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) < 0) return -errno;
    int found = 0;
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        if (!usable(ifa, ifname)) continue;
        found++;
        uint32_t addr = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr;
        uint32_t mask = ((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr.s_addr;
        uint32_t bcast = wol_subnet_broadcast(addr, mask);
        if (bcast) send_udp(&j, bcast, ifa->ifa_name);
        send_ether(&j, ifa->ifa_name);
    }
    freeifaddrs(list);
    if (ifname && !found) return -ENODEV;
    send_udp(&j, htonl(INADDR_BROADCAST), ifname);
    return j.sent;
}

int wol_wake(const uint8_t mac[WOL_MAC_LEN], const uint8_t *pw, size_t pw_len, const char *ifname,
             wol_route_fn report, void *ud)
{
    uint8_t pkt[WOL_PKT_MAX];
    size_t n = wol_build(mac, pw, pw_len, pkt, sizeof pkt);
    if (n == 0) return -EINVAL;
    return wol_send(pkt, n, ifname, report, ud);
}
