/* cexpose: a proxy's direct route (`directExpose = true`, tcp and udp). The
 * client asks its router (portmap.h: PCP, NAT-PMP, UPnP IGD, in
 * natTraversal.portMappingProtocols order) to map the proxy's localPort on
 * the router's external address, so users can reach the service without the
 * server; the relay through the server stays registered as the fallback.
 * The mapping is renewed by portmap and deleted when the proxy retires
 * (reload, stop). With [[ddns]] names, the router's external address is
 * what they publish while a mapping holds (cddns_direct_changed); an
 * external address that is not public is said to make the route useless.
 *
 * The router maps a port of the host asking, so the service must listen on
 * the client host's LAN address (localIP that host's own address, not
 * 127.0.0.1). Ownership: cproxy_t owns its portmap_t (p->pm) from
 * cexpose_start until cexpose_stop's portmap_close; a reference to p is held
 * meanwhile and dropped in the close callback, so callbacks always see p. */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "net/addr.h"
#include "portmap/portmap.h"
#include "util/log.h"

static void relay_addr(const cproxy_t *p, char *buf, size_t len)
{
    int port = p->registered ? p->remote_port : p->cfg->remote_port;
    snprintf(buf, len, "%s:%d", p->cli->cfg->server_addr, port);
}

static void on_mapped(cproxy_t *p, const portmap_event_t *ev)
{
    char relay[300];
    relay_addr(p, relay, sizeof relay);
    snprintf(p->direct_addr, sizeof p->direct_addr, "%s:%u", ev->external_ip, ev->external_port);
    p->direct_via = portmap_proto_name(ev->proto);
    LOG_I("proxy %s reachable directly at %s via %s (lifetime %us); relay at %s stays as fallback",
          LOG_ESC(p->cfg->name), p->direct_addr, p->direct_via, (unsigned)ev->lifetime, relay);
    struct sockaddr_storage ext;
    if (addr_parse(ev->external_ip, 0, &ext) == 0 && !addr_is_global((struct sockaddr *)&ext))
        LOG_W("proxy %s: the router's external address %s is not public (a carrier NAT, or a "
              "router behind another): the direct route cannot work from outside; the relay "
              "at %s is the way in",
              LOG_ESC(p->cfg->name), ev->external_ip, relay);
    cddns_direct_changed(p->cli);
}

static void on_failed(cproxy_t *p, const portmap_event_t *ev)
{
    char relay[300];
    relay_addr(p, relay, sizeof relay);
    bool was = p->direct_addr[0] != '\0';
    p->direct_addr[0] = '\0';
    p->direct_via = NULL;
    if (was) cddns_direct_changed(p->cli);
    LOG_W("proxy %s: no direct route (router mapping failed: %s, last tried %s); relay at %s only",
          LOG_ESC(p->cfg->name), uv_strerror(ev->status), portmap_proto_name(ev->proto), relay);
}

static void on_portmap(portmap_t *pm, const portmap_event_t *ev, void *arg)
{
    cproxy_t *p = arg;
    (void)pm;
    switch (ev->kind) {
    case PORTMAP_EV_MAPPED:
        on_mapped(p, ev);
        break;
    case PORTMAP_EV_RENEWED: {
        char was[sizeof p->direct_addr];
        snprintf(was, sizeof was, "%s", p->direct_addr);
        snprintf(p->direct_addr, sizeof p->direct_addr, "%s:%u", ev->external_ip,
                 ev->external_port);
        if (strcmp(was, p->direct_addr) != 0)
            on_mapped(p, ev);
        else
            LOG_D("proxy %s: router mapping renewed", LOG_ESC(p->cfg->name));
        break;
    }
    case PORTMAP_EV_FAILED:
        on_failed(p, ev);
        break;
    }
}

void cexpose_start(cproxy_t *p)
{
    const client_cfg_t *cc = p->cli->cfg;
    portmap_opts_t o;
    if (!p->cfg->direct_expose || p->pm) return;
    portmap_opts_default(&o);
    o.transport = p->cfg->kind == PROXY_UDP ? PORTMAP_UDP : PORTMAP_TCP;
    o.internal_port = (uint16_t)p->cfg->local_port;
    o.external_port = (uint16_t)(p->cfg->remote_port ? p->cfg->remote_port : p->cfg->local_port);
    o.norder = 0;
    for (int i = 0; i < cc->n_port_mapping_protocols; i++)
        o.order[o.norder++] = cc->port_mapping_protocols[i];
    o.description = "burrow directExpose";
    int r = o.norder ? portmap_start(p->cli->loop, &o, on_portmap, p, &p->pm) : UV_EINVAL;
    if (r != 0) {
        p->pm = NULL;
        LOG_W("proxy %s: no direct route (%s); relay only", LOG_ESC(p->cfg->name), uv_strerror(r));
        return;
    }
    cproxy_hold(p); /* the mapping's, until on_closed */
    LOG_I("proxy %s: asking the router to map %s port %d (directExpose)", LOG_ESC(p->cfg->name),
          portmap_transport_name(o.transport), p->cfg->local_port);
}

static void on_closed(void *arg)
{
    cproxy_t *p = arg;
    LOG_I("proxy %s: router mapping closed", LOG_ESC(p->cfg->name));
    cproxy_drop(p);
}

void cexpose_stop(cproxy_t *p)
{
    if (!p->pm) return;
    portmap_t *pm = p->pm;
    p->pm = NULL;
    bool was = p->direct_addr[0] != '\0';
    p->direct_addr[0] = '\0';
    p->direct_via = NULL;
    if (was) cddns_direct_changed(p->cli);
    portmap_close(pm, on_closed, p); /* deletes the mapping, then on_closed */
}
