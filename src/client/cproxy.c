/* cproxy: the client's proxy-kind table, built from PROXY_KINDS
 * (proto/kinds.h), and the NEW_PROXY message every kind starts from. */
#include "client/client_int.h"

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
    const cproxy_ops_t *ops = cproxy_ops(cfg->kind);
    if (o && ops && ops->encode) ops->encode(o, cfg);
    return o;
}
