/* sddns: the server keeps [[ddns]] names for itself (server_int.h). Its
 * address, simplest honest source first: ddnsAddress when set (published
 * as given); else bindAddr when it is a global IP; else the first global
 * address on the host's interfaces (getifaddrs), IPv4 and IPv6 — a server
 * is meant to sit on a public address, and one behind NAT should set
 * ddnsAddress. Looked at again every ddnsCheckInterval seconds. */
#include <ifaddrs.h>
#include <string.h>

#include "ddns/ddns.h"
#include "net/addr.h"
#include "server/server_int.h"
#include "util/log.h"

/* The first global address of `family` on the host's interfaces. */
static bool host_global(int family, char *buf, size_t size)
{
    struct ifaddrs *list = NULL;
    bool found = false;
    if (getifaddrs(&list) != 0) return false;
    for (struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != family) continue;
        if (!addr_is_global(i->ifa_addr)) continue;
        addr_ip(i->ifa_addr, buf, size);
        found = buf[0] != '\0';
    }
    freeifaddrs(list);
    return found;
}

static void learn(void *owner)
{
    srv_t *s = owner;
    const server_cfg_t *c = s->cfg;
    struct sockaddr_storage bind;
    char ip[ADDR_STRLEN];
    if (c->ddns.address && c->ddns.address[0])
        return ddns_learn(s->ddns, c->ddns.address, "config");
    if (addr_parse(c->bind_addr, 0, &bind) == 0 && addr_is_global((struct sockaddr *)&bind))
        return ddns_learn(s->ddns, c->bind_addr, "bindAddr");
    if (host_global(AF_INET, ip, sizeof ip)) ddns_learn(s->ddns, ip, "interfaces");
    if (host_global(AF_INET6, ip, sizeof ip)) ddns_learn(s->ddns, ip, "interfaces");
}

int sddns_start(srv_t *s)
{
    if (s->cfg->ddns.n == 0) return 0;
    s->ddns = ddns_create(s->loop, &s->cfg->ddns, s->state_dir, learn, s);
    if (!s->ddns) return -1;
    LOG_I("ddns names=%d check_interval=%ds", s->cfg->ddns.n, s->cfg->ddns.check_interval);
    learn(s);
    return 0;
}

void sddns_stop(srv_t *s)
{
    ddns_destroy(s->ddns);
    s->ddns = NULL;
}
