/* cproxy: the client's proxy-kind table, built from PROXY_KINDS
 * (proto/kinds.h), the NEW_PROXY message every kind starts from, and a
 * running proxy's life: built, counted while things point at it, retired
 * (client_int.h's cproxy_t says who holds references). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/chealth.h"
#include "client/client_int.h"
#include "net/addr.h"
#include "util/log.h"

#define CPROXY_OPS_REF_(id, name, flags, sym) [PROXY_##id] = &cproxy_##sym##_ops,
static const cproxy_ops_t *const cproxy_kinds[PROXY_KIND_COUNT] = {PROXY_KINDS(CPROXY_OPS_REF_)};
#undef CPROXY_OPS_REF_

const cproxy_ops_t *cproxy_ops(proxy_kind_t k)
{
    return (unsigned)k < PROXY_KIND_COUNT ? cproxy_kinds[k] : NULL;
}

/* The kind's fields are optional for the server, so older servers ignore
 * what they do not know. */
json_t *cproxy_new_proxy_msg(const cproxy_t *p)
{
    const proxy_cfg_t *cfg = p->cfg;
    json_t *o = json_pack("{s:s,s:s,s:i}", "name", p->wire_name, "type", kind_name(cfg->kind),
                          "remote_port", cfg->remote_port);
    if (o && cfg->remote_range)
        json_object_set_new(o, "remote_range", json_string(cfg->remote_range));
    if (o && cfg->metadatas.n)
        json_object_set_new(o, "metadatas", cproxy_meta_json(&cfg->metadatas));
    if (o && cfg->lb_group) { /* loadBalancer: the server shares the port or route */
        json_object_set_new(o, "group", json_string(cfg->lb_group));
        json_object_set_new(o, "group_key",
                            json_string(cfg->lb_group_key ? cfg->lb_group_key : ""));
    }
    const cproxy_ops_t *ops = cproxy_ops(cfg->kind);
    if (o && ops && ops->encode) ops->encode(o, cfg);
    cshape_encode(o, cfg);
    return o;
}

json_t *cproxy_meta_json(const header_list_t *l)
{
    json_t *o = json_object();
    for (int i = 0; o && i < l->n; i++)
        json_object_set_new(o, l->v[i].name, json_string(l->v[i].value));
    return o;
}

/* ---- a running proxy's life (client_int.h) -------------------------------- */

static void box_release(ref_t *r)
{
    ccfg_box_t *b = REF_OWNER(r, ccfg_box_t, ref);
    config_client_free(&b->cfg);
    free(b);
}

ccfg_box_t *ccfg_box_new(void)
{
    ccfg_box_t *b = calloc(1, sizeof *b);
    if (b) ref_init(&b->ref, 1, box_release);
    return b;
}

void ccfg_box_drop(ccfg_box_t *b)
{
    if (b) ref_drop(&b->ref);
}

static void cproxy_release(ref_t *r)
{
    cproxy_t *p = REF_OWNER(r, cproxy_t, ref);
    plugin_inst_drop(p->plugin);
    cshape_close(p);
    ccfg_box_drop(p->box);
    free(p);
}

void cproxy_hold(const cproxy_t *p)
{
    ref_hold(&((cproxy_t *)p)->ref);
}

void cproxy_drop(const cproxy_t *p)
{
    if (p) ref_drop(&((cproxy_t *)p)->ref);
}

cproxy_t *cproxy_new(cli_t *c, const proxy_cfg_t *cfg, ccfg_box_t *box)
{
    cproxy_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    const char *user = c->cfg->user;
    if (user && user[0])
        snprintf(p->wire_name, sizeof p->wire_name, "%s.%s", user, cfg->name);
    else
        snprintf(p->wire_name, sizeof p->wire_name, "%s", cfg->name);
    /* Not an IP literal: a host name (the config checked its syntax),
     * resolved at each connect (cresolve.c). */
    if (addr_parse(cfg->local_ip, cfg->local_port, &p->local) != 0) {
        memset(&p->local, 0, sizeof p->local);
        p->local_named = true;
    }
    char why[160];
    if (cfg->plugin.type && !(p->plugin = plugin_inst_new(&cfg->plugin, why, sizeof why))) {
        LOG_E("proxy %s: plugin %s: %s", cfg->name, cfg->plugin.type, why);
        free(p);
        return NULL;
    }
    p->cfg = cfg;
    p->cli = c;
    if (cshape_open(p, c->loop) != 0) {
        free(p);
        return NULL;
    }
    p->box = box;
    if (box) ref_hold(&box->ref);
    ref_init(&p->ref, 1, cproxy_release); /* the caller's list */
    return p;
}

/* healthCheck's verdicts: off the server while down, back when up. */
static void on_health(void *arg, bool up, const char *why)
{
    cproxy_t *p = arg;
    const health_cfg_t *h = &p->cfg->health;
    if (up) {
        LOG_I("health check passed name=%s: registering the proxy again", p->wire_name);
        client_register_proxy(p->cli, p);
        return;
    }
    LOG_W("health check failed name=%s failures=%d reason=\"%s\": proxy closed on the server",
          p->wire_name, h->max_failed, LOG_ESCQ(why));
    client_unregister_proxy(p->cli, p);
}

bool cproxy_health_down(const cproxy_t *p)
{
    return chealth_is_down(p->health);
}

void cproxy_arm(cproxy_t *p)
{
    uv_timer_init(p->cli->loop, &p->retry);
    p->retry.data = p;
    p->armed = true;
    ref_hold(&p->ref); /* the timer's, until on_retry_closed */
    cexpose_start(p);
    if (p->cfg->health.type != HEALTH_NONE)
        p->health =
            chealth_create(p->cli->loop, &p->cfg->health, &p->local, p->wire_name, on_health, p);
    cresolve_refresh(p); /* a host-name localIP: its first address (and the check's) */
}

static void on_retry_closed(uv_handle_t *h)
{
    cproxy_drop(h->data);
}

void cproxy_retire(cproxy_t *p)
{
    if (!p->armed) return;
    p->armed = false;
    cexpose_stop(p);
    chealth_close(p->health);
    p->health = NULL;
    cshape_stop(p);
    uv_close((uv_handle_t *)&p->retry, on_retry_closed);
}
