/* nat_local: the route's source address and its interface. Plain socket
 * calls instead of libuv: connect() on UDP is a route lookup that never
 * blocks, and libuv has no getifaddrs() with names of every address. */
#include "nat/nat_local.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nat/nat_class.h"

static socklen_t sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int nat_local_source(const struct sockaddr *server, struct sockaddr_storage *out)
{
    if (server->sa_family != AF_INET && server->sa_family != AF_INET6) return -EAFNOSUPPORT;
    int fd = socket(server->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int r = 0;
    socklen_t len = sizeof *out;
    memset(out, 0, sizeof *out);
    if (connect(fd, server, sa_len(server)) != 0 ||
        getsockname(fd, (struct sockaddr *)out, &len) != 0)
        r = -errno;
    close(fd);
    if (r == 0 && out->ss_family == AF_INET) ((struct sockaddr_in *)out)->sin_port = 0;
    if (r == 0 && out->ss_family == AF_INET6) ((struct sockaddr_in6 *)out)->sin6_port = 0;
    return r;
}

const char *nat_local_ifname(const struct sockaddr *ip, char *buf, size_t size)
{
    struct ifaddrs *all, *i;
    struct sockaddr_storage want;
    buf[0] = '\0';
    memset(&want, 0, sizeof want);
    memcpy(&want, ip, sa_len(ip));
    if (getifaddrs(&all) != 0) return buf;
    for (i = all; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != ip->sa_family) continue;
        struct sockaddr_storage have;
        memset(&have, 0, sizeof have);
        memcpy(&have, i->ifa_addr, sa_len(i->ifa_addr));
        if (nat_same_ip(&have, &want)) {
            snprintf(buf, size, "%s", i->ifa_name);
            break;
        }
    }
    freeifaddrs(all);
    return buf;
}
