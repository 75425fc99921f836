/* ports: choosing public ports for proxies under allowPorts. */
#include <stdlib.h>

#include "net/addr.h"
#include "proto/auth.h"
#include "server/server_int.h"

#define MAX_PICK_ATTEMPTS 64

static long total_allowed(const server_cfg_t *cfg)
{
    long total = 0;
    for (int i = 0; i < cfg->n_allow_ports; i++)
        total += cfg->allow_ports[i].end - cfg->allow_ports[i].start + 1;
    return total;
}

static int nth_allowed(const server_cfg_t *cfg, long n)
{
    for (int i = 0; i < cfg->n_allow_ports; i++) {
        long size = cfg->allow_ports[i].end - cfg->allow_ports[i].start + 1;
        if (n < size) return cfg->allow_ports[i].start + (int)n;
        n -= size;
    }
    return -1;
}

int ports_candidate(const server_cfg_t *cfg, int want, int attempt)
{
    if (want > 0) return attempt == 0 ? want : -1;
    if (cfg->n_allow_ports == 0) return attempt == 0 ? 0 : -1;
    long total = total_allowed(cfg);
    if (total <= 0 || attempt >= MAX_PICK_ATTEMPTS) return -1;
    uint32_t r = 0;
    auth_random((uint8_t *)&r, sizeof r);
    int port = nth_allowed(cfg, (long)(r % (uint32_t)total));
    return port == 0 ? nth_allowed(cfg, 1 % total) : port; /* 0 would mean "any" */
}

int ports_bind_addr(const server_cfg_t *cfg, int port, struct sockaddr_storage *out)
{
    const char *a = cfg->proxy_bind_addr ? cfg->proxy_bind_addr : cfg->bind_addr;
    return addr_parse(a, port, out);
}
