/* cresolve: a proxy's localIP given as a host name ("localhost", a
 * docker-compose service), resolved with uv_getaddrinfo each time it is
 * needed, so that a changed address is followed at the next connection.
 * IP literals never come here (cproxy_new parses them once).
 *
 * The request holds a reference to its proxy until the answer; the caller's
 * own object is the caller's business (cwork.c holds its work conn's
 * reference across the call). The answer also becomes the proxy's `local`,
 * the address kinds that do not resolve per connection (udp, stcp, xtcp,
 * ftp data targets) and the health check use: the last one resolved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/chealth.h"
#include "client/client_int.h"
#include "net/addr.h"
#include "util/log.h"

typedef struct cres {
    uv_getaddrinfo_t req;
    cproxy_t *p; /* held until the answer */
    cresolve_fn cb;
    void *arg;
} cres_t;

/* IPv4 first: "localhost" often lists ::1 first, and most local services
 * listen on 127.0.0.1 only (Go's dialer, frp's, would fall back). */
static const struct addrinfo *pick(const struct addrinfo *res)
{
    for (const struct addrinfo *a = res; a; a = a->ai_next)
        if (a->ai_family == AF_INET) return a;
    return res;
}

static void on_gai(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    cres_t *r = req->data;
    cproxy_t *p = r->p;
    struct sockaddr_storage to;
    memset(&to, 0, sizeof to);
    const struct addrinfo *a = status == 0 ? pick(res) : NULL;
    if (a && a->ai_addrlen <= sizeof to) {
        memcpy(&to, a->ai_addr, a->ai_addrlen);
        p->local = to;
        chealth_set_target(p->health, &to); /* healthCheck follows the name too */
        LOG_D("proxy %s: localIP %s is %s", LOG_ESC(p->cfg->name), LOG_ESC(p->cfg->local_ip),
              addr_format((struct sockaddr *)&to, (char[ADDR_STRLEN]){0}, ADDR_STRLEN));
    } else {
        if (status == 0) status = UV_EAI_NONAME; /* no usable address */
        LOG_LIMITED(LOG_WARN, "proxy %s: cannot resolve localIP \"%s\": %s", LOG_ESC(p->cfg->name),
                    LOG_ESCQ(p->cfg->local_ip), uv_strerror(status));
    }
    uv_freeaddrinfo(res);
    if (r->cb) r->cb(r->arg, status, status == 0 ? &to : NULL);
    cproxy_drop(p);
    free(r);
}

int cresolve_local(cproxy_t *p, cresolve_fn cb, void *arg)
{
    cres_t *r = calloc(1, sizeof *r);
    if (!r) return UV_ENOMEM;
    char port[8];
    snprintf(port, sizeof port, "%d", p->cfg->local_port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    r->p = p;
    r->cb = cb;
    r->arg = arg;
    r->req.data = r;
    cproxy_hold(p);
    int e = uv_getaddrinfo(p->cli->loop, &r->req, on_gai, p->cfg->local_ip, port, &hints);
    if (e != 0) {
        LOG_LIMITED(LOG_WARN, "proxy %s: cannot resolve localIP \"%s\": %s", LOG_ESC(p->cfg->name),
                    LOG_ESCQ(p->cfg->local_ip), uv_strerror(e));
        cproxy_drop(p);
        free(r);
    }
    return e;
}

/* p->local is a cache of the resolver's answer, written even through the
 * const pointers kinds keep (as cproxy_hold writes the count). */
void cresolve_refresh(const cproxy_t *p)
{
    if (p->local_named) (void)cresolve_local((cproxy_t *)p, NULL, NULL);
}
