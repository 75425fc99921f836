/* reload: a running client applies a new config (client.h's client_reload).
 *
 * The running proxies are compared by name with the new [[proxies]]
 * (config/config_diff.h): removed ones are closed on the server
 * (CLOSE_PROXY) and here (their local connects, udp channels, owner
 * handshakes, xtcp pairs and relays); changed ones are closed the same way
 * and registered again from the new entry; added ones are registered; kept
 * ones are not touched, nor are their connections. Everything else in the
 * file (server, auth, user, transport, NAT traversal, log, webServer) and
 * the [[visitors]] cannot change without a restart: a new config differing
 * there is refused whole, naming the key, and nothing is applied. A config
 * with errors is refused before any of this, with the loader's file:line
 * lines.
 *
 * Ownership across reloads: the new config goes in a ccfg_box_t, each
 * proxy built from it holds a reference, and kept proxies keep pointing
 * into the config they were built from (equal in value), which stays alive
 * as long as one of them runs. The client's first config is borrowed and
 * outlives the client; c->cfg stays pointing at it (its client-level keys
 * and visitors are what every accepted config still says). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "config/config_diff.h"
#include "util/log.h"

typedef struct plan {
    cdiff_t *old_d, *new_d; /* per running proxy, per new entry */
} plan_t;

static json_t *report_new(void)
{
    return json_pack("{s:b,s:[],s:[],s:[],s:[]}", "ok", 0, "added", "removed", "changed", "kept");
}

static void report_add(json_t *r, cdiff_t d, const char *name)
{
    json_array_append_new(json_object_get(r, cdiff_name(d)), json_string(name));
}

static json_t *refused(json_t *r, const char *why)
{
    json_object_set_new(r, "error", json_string(why));
    LOG_W("reload refused: %s", why);
    return r;
}

/* The first visitor that differs, in buf, or NULL. */
static const char *visitors_differ(const client_cfg_t *o, const client_cfg_t *nw, char *buf,
                                   size_t len)
{
    const char *why = NULL;
    cdiff_t *od = calloc((size_t)o->n_visitors + 1, sizeof *od);
    cdiff_t *nd = calloc((size_t)nw->n_visitors + 1, sizeof *nd);
    if (!od || !nd) {
        snprintf(buf, len, "out of memory");
        why = buf;
    } else {
        config_diff_visitors(o->visitors, o->n_visitors, nw->visitors, nw->n_visitors, od, nd);
        for (int i = 0; !why && i < o->n_visitors; i++)
            if (od[i] != CDIFF_KEPT) {
                snprintf(buf, len, "visitor '%s' %s; visitors need a restart (nothing applied)",
                         o->visitors[i].name, cdiff_name(od[i]));
                why = buf;
            }
        for (int j = 0; !why && j < nw->n_visitors; j++)
            if (nd[j] == CDIFF_ADDED) {
                snprintf(buf, len, "visitor '%s' added; visitors need a restart (nothing applied)",
                         nw->visitors[j].name);
                why = buf;
            }
    }
    free(od);
    free(nd);
    return why;
}

/* Why nw cannot be applied to the running client, or NULL. */
static const char *not_reloadable(const cli_t *c, const client_cfg_t *nw, char *buf, size_t len)
{
    const char *key = config_client_key_diff(c->cfg, nw);
    if (key) {
        snprintf(buf, len, "'%s' changed; it needs a restart (nothing applied)", key);
        return buf;
    }
    return visitors_differ(c->cfg, nw, buf, len);
}

/* Takes p out of service: the server and every connection of its own. */
static void close_proxy(cli_t *c, cproxy_t *p)
{
    client_unregister_proxy(c, p);
    cwork_close_proxy(c, p);
    cudp_close_proxy(c, p);
    cstcp_close_proxy(c, p);
    cftp_close_proxy(c, p);
    if (p->cfg->kind == PROXY_XTCP) cxtcp_close_proxy(c, p->wire_name);
    int n = tunnels_end_tag(&c->tunnels, p);
    LOG_I("proxy closed name=%s connections=%d", LOG_ESC(p->cfg->name), n);
    cproxy_retire(p);
    cproxy_drop(p); /* the list's */
}

/* The new list, in the new file's order: kept proxies as they run, the
 * others built from box (not yet armed). -1 (nothing changed) when one
 * cannot be built. */
static int build_list(cli_t *c, ccfg_box_t *box, const plan_t *pl, cproxy_t **out)
{
    const client_cfg_t *nw = &box->cfg;
    for (int j = 0; j < nw->n_proxies; j++) {
        out[j] = NULL;
        if (pl->new_d[j] == CDIFF_KEPT) {
            for (int i = 0; i < c->n_proxies && !out[j]; i++)
                if (strcmp(c->proxies[i]->cfg->name, nw->proxies[j].name) == 0)
                    out[j] = c->proxies[i];
            continue;
        }
        if (!(out[j] = cproxy_new(c, &nw->proxies[j], box))) {
            for (int k = 0; k < j; k++)
                if (pl->new_d[k] != CDIFF_KEPT) cproxy_drop(out[k]);
            return -1;
        }
    }
    return 0;
}

static void apply(cli_t *c, ccfg_box_t *box, const plan_t *pl, cproxy_t **list, json_t *r)
{
    const client_cfg_t *nw = &box->cfg;
    for (int i = 0; i < c->n_proxies; i++) {
        cproxy_t *p = c->proxies[i];
        report_add(r, pl->old_d[i], p->cfg->name);
        if (pl->old_d[i] != CDIFF_KEPT) close_proxy(c, p);
    }
    for (int j = 0; j < nw->n_proxies; j++) {
        if (pl->new_d[j] == CDIFF_ADDED) report_add(r, CDIFF_ADDED, nw->proxies[j].name);
        if (pl->new_d[j] == CDIFF_KEPT) continue;
        cproxy_arm(list[j]);
        client_register_proxy(c, list[j]);
    }
    free(c->proxies);
    c->proxies = list;
    c->n_proxies = nw->n_proxies;
}

/* "x,y" from a JSON array of names; "-" when empty. */
static const char *names(json_t *a, char *buf, size_t len)
{
    size_t o = 0, i;
    json_t *v;
    buf[0] = '\0';
    json_array_foreach(a, i, v)
    {
        int n = snprintf(buf + o, len - o, "%s%s", o ? "," : "", json_string_value(v));
        if (n < 0 || (size_t)n >= len - o) break;
        o += (size_t)n;
    }
    return o ? buf : "-";
}

static void log_report(json_t *r)
{
    char a[512], rm[512], ch[512], k[512];
    LOG_I("reload applied added=%s removed=%s changed=%s kept=%s",
          LOG_ESC(names(json_object_get(r, "added"), a, sizeof a)),
          LOG_ESC(names(json_object_get(r, "removed"), rm, sizeof rm)),
          LOG_ESC(names(json_object_get(r, "changed"), ch, sizeof ch)),
          LOG_ESC(names(json_object_get(r, "kept"), k, sizeof k)));
}

json_t *client_reload_box(cli_t *c, ccfg_box_t *box)
{
    json_t *r = report_new();
    char why[300];
    if (c->stopping) return refused(r, "the client is stopping");
    if (not_reloadable(c, &box->cfg, why, sizeof why)) return refused(r, why);
    const client_cfg_t *nw = &box->cfg;
    const proxy_cfg_t **olds = calloc((size_t)c->n_proxies + 1, sizeof *olds);
    plan_t pl = {calloc((size_t)c->n_proxies + 1, sizeof *pl.old_d),
                 calloc((size_t)nw->n_proxies + 1, sizeof *pl.new_d)};
    cproxy_t **list = calloc((size_t)nw->n_proxies + 1, sizeof *list);
    if (!olds || !pl.old_d || !pl.new_d || !list) {
        refused(r, "out of memory");
    } else {
        for (int i = 0; i < c->n_proxies; i++)
            olds[i] = c->proxies[i]->cfg;
        config_diff_proxies(olds, c->n_proxies, nw->proxies, nw->n_proxies, pl.old_d, pl.new_d);
        if (build_list(c, box, &pl, list) != 0) {
            refused(r, "a proxy's localIP is not an IP address (nothing applied)");
        } else {
            apply(c, box, &pl, list, r);
            list = NULL;
            json_object_set_new(r, "ok", json_true());
            log_report(r);
        }
    }
    free(list);
    free(olds);
    free(pl.old_d);
    free(pl.new_d);
    return r;
}

/* The loader's lines, one log line each (the file is the admin's). */
static void log_diag(char *diag)
{
    char *save = NULL;
    for (char *l = diag ? strtok_r(diag, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
        LOG_W("reload: config \"%s\"", LOG_ESCQ(l));
}

json_t *client_reload_file(cli_t *c, const char *path)
{
    char *diag = NULL;
    size_t dlen = 0;
    FILE *f = open_memstream(&diag, &dlen);
    ccfg_box_t *box = ccfg_box_new();
    json_t *r = NULL;
    if (!f || !box) {
        r = refused(report_new(), "out of memory");
    } else if (config_load_client(path, &box->cfg, f) != 0) {
        fclose(f);
        f = NULL;
        r = report_new();
        json_object_set_new(r, "errors",
                            json_string(diag ? diag : "")); /* before log_diag cuts it */
        refused(r, "the config has errors (nothing applied)");
        log_diag(diag);
    } else {
        r = client_reload_box(c, box);
    }
    if (f) fclose(f);
    free(diag);
    ccfg_box_drop(box); /* the proxies built from it hold their own */
    return r;
}
