/* cproxy: the client's proxy-kind table, built from PROXY_KINDS
 * (proto/kinds.h), the NEW_PROXY message every kind starts from, and a
 * running proxy's life: built, counted while things point at it, retired
 * (client_int.h's cproxy_t says who holds references). */
#include <stdio.h>
#include <stdlib.h>

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
    const cproxy_ops_t *ops = cproxy_ops(cfg->kind);
    if (o && ops && ops->encode) ops->encode(o, cfg);
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
    if (addr_parse(cfg->local_ip, cfg->local_port, &p->local) != 0) {
        LOG_E("proxy %s: localIP %s is not an IP address", cfg->name, cfg->local_ip);
        free(p);
        return NULL;
    }
    char why[160];
    if (cfg->plugin.type && !(p->plugin = plugin_inst_new(&cfg->plugin, why, sizeof why))) {
        LOG_E("proxy %s: plugin %s: %s", cfg->name, cfg->plugin.type, why);
        free(p);
        return NULL;
    }
    p->cfg = cfg;
    p->cli = c;
    p->box = box;
    if (box) ref_hold(&box->ref);
    ref_init(&p->ref, 1, cproxy_release); /* the caller's list */
    return p;
}

void cproxy_arm(cproxy_t *p)
{
    uv_timer_init(p->cli->loop, &p->retry);
    p->retry.data = p;
    p->armed = true;
    ref_hold(&p->ref); /* the timer's, until on_retry_closed */
    cexpose_start(p);
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
    uv_close((uv_handle_t *)&p->retry, on_retry_closed);
}
