/* cstatus: the running client as the admin API's GET /api/status
 * (client.h's client_status_json). frp's shape: an object keyed by proxy
 * type, each an array of {name, type, status, err, local_addr,
 * remote_addr}; burrow adds "role" (proxy or visitor), "plugin" (its type,
 * local_addr then ""), and, for xtcp, the
 * pairs' paths (cxtcp_pairs_json). */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"

/* running: granted in this session; error: refused (retrying); starting:
 * asked for; wait: no session (logging in or reconnecting). */
static const char *proxy_state(const cli_t *c, const cproxy_t *p)
{
    if (!client_logged_in(c)) return "wait";
    if (p->registered) return "running";
    return p->retry_ms ? "error" : "starting";
}

static void remote_addr(const cli_t *c, const cproxy_t *p, char *buf, size_t len)
{
    const proxy_cfg_t *cfg = p->cfg;
    buf[0] = '\0';
    if (kind_has(cfg->kind, KIND_BINDS_PORT) && p->registered)
        snprintf(buf, len, "%s:%d", c->cfg->server_addr, p->remote_port);
    else if (kind_has(cfg->kind, KIND_ROUTES_DOMAIN))
        snprintf(buf, len, "%s",
                 cfg->custom_domains.n ? cfg->custom_domains.v[0]
                 : cfg->subdomain      ? cfg->subdomain
                                       : "");
}

static void add(json_t *root, const char *type, json_t *o)
{
    json_t *a = json_object_get(root, type);
    if (!a) json_object_set_new(root, type, a = json_array());
    json_array_append_new(a, o);
}

static json_t *proxy_json(cli_t *c, const cproxy_t *p)
{
    char local[300], remote[300];
    if (p->plugin) /* no local service: the plugin answers (its own field below) */
        local[0] = '\0';
    else
        snprintf(local, sizeof local, "%s:%d", p->cfg->local_ip, p->cfg->local_port);
    remote_addr(c, p, remote, sizeof remote);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", p->cfg->name, "type",
                          kind_name(p->cfg->kind), "role", "proxy", "status", proxy_state(c, p),
                          "err", p->last_err, "local_addr", local, "remote_addr", remote);
    if (o && p->plugin) json_object_set_new(o, "plugin", json_string(p->cfg->plugin.type));
    if (o && p->cfg->direct_expose)
        json_object_set_new(o, "direct_addr", json_string(p->direct_addr));
    if (o && p->cfg->direct_expose && p->direct_via)
        json_object_set_new(o, "direct_via", json_string(p->direct_via));
    if (o && p->cfg->kind == PROXY_XTCP)
        json_object_set_new(o, "pairs", cxtcp_pairs_json(c, p->wire_name, NULL));
    return o;
}

static json_t *visitor_json(cli_t *c, const visitor_cfg_t *v)
{
    char local[300];
    snprintf(local, sizeof local, "%s:%d", v->bind_addr, v->bind_port);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "name", v->name, "type", v->type, "role",
                          "visitor", "status", client_logged_in(c) ? "running" : "wait", "err", "",
                          "local_addr", local, "remote_addr", v->server_name);
    if (o && strcmp(v->type, "xtcp") == 0)
        json_object_set_new(o, "pairs", cxtcp_pairs_json(c, NULL, v));
    return o;
}

json_t *client_status_json(cli_t *c)
{
    json_t *root = json_object();
    for (int i = 0; root && i < c->n_proxies; i++)
        add(root, kind_name(c->proxies[i]->cfg->kind), proxy_json(c, c->proxies[i]));
    for (int i = 0; root && i < c->n_visitors; i++) {
        const visitor_cfg_t *v = cvisitor_cfg(c->visitors[i]);
        add(root, v->type, visitor_json(c, v));
    }
    return root;
}
