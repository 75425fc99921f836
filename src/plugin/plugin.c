/* plugin: the registry built from PLUGINS (plugin.h), a plugin_cfg_t's
 * values, and the per-proxy instances (counted: the proxy and each
 * session hold one reference). */
#include "plugin/plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ref.h"

#define PLUGIN_OPS_REF_(sym) &plugin_##sym##_ops,
static const plugin_ops_t *const plugins[] = {PLUGINS(PLUGIN_OPS_REF_) NULL};
#undef PLUGIN_OPS_REF_

/* frp's plugins burrow leaves out, and why. */
static const struct {
    const char *name, *why;
} frp_only[] = {
    {"tls2raw", "TLS termination in front of a raw service is not carried yet"},
    {"virtual_net", "frp's virtual network (TUN device) is not carried"},
};

const plugin_ops_t *plugin_find(const char *name)
{
    for (size_t i = 0; name && plugins[i]; i++)
        if (strcmp(plugins[i]->name, name) == 0) return plugins[i];
    return NULL;
}

const char *plugin_frp_only(const char *name)
{
    for (size_t i = 0; name && i < sizeof frp_only / sizeof frp_only[0]; i++)
        if (strcmp(frp_only[i].name, name) == 0) return frp_only[i].why;
    return NULL;
}

char *plugin_list(char *buf, size_t size)
{
    size_t n = 0, o = 0;
    while (plugins[n])
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int k = snprintf(buf + o, size - o, "%s%s", sep, plugins[i]->name);
        if (k < 0) break;
        o += (size_t)k;
    }
    return buf;
}

const plugin_key_t *plugin_key_find(const plugin_ops_t *ops, const char *key)
{
    for (const plugin_key_t *k = ops->keys; k && k->name; k++) {
        size_t n = strlen(k->name);
        if (strcmp(k->name, key) == 0) return k;
        if (k->kind == PK_TABLE && strncmp(k->name, key, n) == 0 && key[n] == '.' && key[n + 1])
            return k;
    }
    return NULL;
}

const char *plugin_param(const plugin_cfg_t *cfg, const char *key)
{
    for (int i = 0; i < cfg->n; i++)
        if (strcmp(cfg->v[i].key, key) == 0) return cfg->v[i].value;
    return NULL;
}

bool plugin_param_bool(const plugin_cfg_t *cfg, const char *key)
{
    const char *v = plugin_param(cfg, key);
    return v && strcmp(v, "true") == 0;
}

/* ---- instances ---------------------------------------------------------- */

struct plugin_inst {
    const plugin_ops_t *ops;
    void *state; /* ops->create's; ops->destroy frees it */
    ref_t ref;   /* the proxy's, and one per session */
};

static void inst_release(ref_t *r)
{
    plugin_inst_t *in = REF_OWNER(r, plugin_inst_t, ref);
    if (in->ops->destroy) in->ops->destroy(in->state);
    free(in);
}

plugin_inst_t *plugin_inst_new(const plugin_cfg_t *cfg, char *why, size_t why_len)
{
    const plugin_ops_t *ops = plugin_find(cfg->type);
    if (!ops) {
        snprintf(why, why_len, "unknown plugin '%s'", cfg->type ? cfg->type : "");
        return NULL;
    }
    plugin_inst_t *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    in->ops = ops;
    if (ops->create && ops->create(cfg, &in->state, why, why_len) != 0) {
        free(in);
        return NULL;
    }
    ref_init(&in->ref, 1, inst_release);
    return in;
}

void plugin_inst_hold(plugin_inst_t *in)
{
    ref_hold(&in->ref);
}

void plugin_inst_drop(plugin_inst_t *in)
{
    if (in) ref_drop(&in->ref);
}

const plugin_ops_t *plugin_inst_ops(const plugin_inst_t *in)
{
    return in->ops;
}

void *plugin_inst_state(const plugin_inst_t *in)
{
    return in->state;
}

void plugin_serve(const plugin_start_t *st, conn_t *conn, const uint8_t *early, size_t early_len)
{
    st->inst->ops->serve(st, conn, early, early_len);
}
