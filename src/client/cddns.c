/* cddns: the client's [[ddns]] names (client_int.h). The address comes
 * from the server's view at each login (LOGIN_OK "addr"; a server from
 * before that field gets a STUN probe instead) and, every
 * ddnsCheckInterval seconds, from a STUN Binding request to the server's
 * STUN service (natHoleStunServer when it is an IP literal with a port,
 * else the server's address on serverPort, where natDiscovery listens by
 * default). src/ddns does the rest. */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "ddns/ddns.h"
#include "net/addr.h"
#include "util/log.h"

/* Where to ask; -1 when not logged in. */
static int stun_target(cli_t *c, struct sockaddr_storage *out)
{
    const char *hole = c->cfg->nat_hole_stun_server;
    if (hole && addr_parse_text(hole, out) == 0) return 0;
    struct sockaddr_storage peer;
    if (!c->ctl || conn_peer_addr(c->ctl, &peer) != 0) return -1;
    addr_unmap_v4((const struct sockaddr *)&peer, out);
    if (out->ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)c->cfg->server_port);
    else
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)c->cfg->server_port);
    return 0;
}

static void recheck(void *owner)
{
    cli_t *c = owner;
    struct sockaddr_storage stun;
    if (stun_target(c, &stun) == 0) ddns_probe(c->ddns, (const struct sockaddr *)&stun);
}

int cddns_setup(cli_t *c)
{
    if (c->cfg->ddns.n == 0) return 0;
    c->ddns = ddns_create(c->loop, &c->cfg->ddns, c->state_dir, recheck, c);
    if (!c->ddns) return -1;
    LOG_I("ddns names=%d check_interval=%ds", c->cfg->ddns.n, c->cfg->ddns.check_interval);
    return 0;
}

void cddns_login(cli_t *c, const char *server_seen)
{
    if (!c->ddns) return;
    if (server_seen && server_seen[0])
        ddns_learn(c->ddns, server_seen, "login");
    else
        recheck(c);
}

/* Direct exposure, the seed's first route (router mapping + DDNS): users
 * reach the mapped port at the router's external address, so that is the
 * address the names must carry, even where the server sees another one. */
void cddns_direct_changed(cli_t *c)
{
    if (!c->ddns || c->stopping) return;
    for (int i = 0; i < c->n_proxies; i++) {
        const cproxy_t *p = c->proxies[i];
        const char *colon = strrchr(p->direct_addr, ':');
        if (!p->direct_addr[0] || !colon) continue;
        char ip[64];
        snprintf(ip, sizeof ip, "%.*s", (int)(colon - p->direct_addr), p->direct_addr);
        ddns_prefer(c->ddns, ip, "router");
        return;
    }
    ddns_prefer(c->ddns, NULL, NULL);
}

void cddns_stop(cli_t *c)
{
    ddns_destroy(c->ddns);
    c->ddns = NULL;
}
