/* reload: a running client applies a new config (client.h's client_reload).
 *
 * The running proxies are compared by name with the new [[proxies]]
 * (config/config_diff.h): removed ones are closed on the server
 * (CLOSE_PROXY) and here (their local connects, udp channels, owner
 * handshakes, xtcp pairs and relays); changed ones are closed the same way
 * and registered again from the new entry; added ones are registered; kept
 * ones are not touched, nor are their connections. The [[visitors]] go
 * the same way (matched by name): removed and changed ones are retired
 * (listener or socket closed, their connections and xtcp pair ended:
 * cvisitor_retire), changed and added ones built from the new entry and
 * started, kept ones and their connections untouched. Everything else in
 * the file (server, auth, user, transport, NAT traversal, log, webServer)
 * cannot change without a restart: a new config differing there is
 * refused whole, naming the key, and nothing is applied. A config with
 * errors is refused before any of this, with the loader's file:line lines.
 *
 * Ownership across reloads: the new config goes in a ccfg_box_t, each
 * proxy built from it holds a reference, and kept proxies keep pointing
 * into the config they were built from (equal in value), which stays alive
 * as long as one of them runs; visitors hold references the same way. The
 * client's first config is borrowed and outlives the client; c->cfg stays
 * pointing at it (its client-level keys are what every accepted config
 * still says; its [[proxies]] and [[visitors]] may be stale: the running
 * ones are c->proxies and c->visitors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "config/config_diff.h"
#include "util/log.h"

typedef struct plan {
    cdiff_t *old_d, *new_d;   /* per running proxy, per new entry */
    cdiff_t *old_vd, *new_vd; /* per running visitor, per new [[visitors]] entry */
} plan_t;

static json_t *report_new(void)
{
    return json_pack("{s:b,s:[],s:[],s:[],s:[],s:{s:[],s:[],s:[],s:[]}}", "ok", 0, "added",
                     "removed", "changed", "kept", "visitors", "added", "removed", "changed",
                     "kept");
}

static void report_add(json_t *r, cdiff_t d, const char *name)
{
    json_array_append_new(json_object_get(r, cdiff_name(d)), json_string(name));
}

static void report_visitor(json_t *r, cdiff_t d, const char *name)
{
    report_add(json_object_get(r, "visitors"), d, name);
}

static json_t *refused(json_t *r, const char *why)
{
    json_object_set_new(r, "error", json_string(why));
    LOG_W("reload refused: %s", why);
    return r;
}

/* Why nw cannot be applied to the running client, or NULL. */
static const char *not_reloadable(const cli_t *c, const client_cfg_t *nw, char *buf, size_t len)
{
    const char *key = config_client_key_diff(c->cfg, nw);
    if (!key) return NULL;
    snprintf(buf, len, "'%s' changed; it needs a restart (nothing applied)", key);
    return buf;
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
    int n = plugin_host_stop_tag(&c->plugins, p);
    n += tunnels_end_tag(&c->tunnels, p);
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

/* The new visitors, in the new file's order: kept ones as they run, the
 * others built from box (not yet running). -1 (nothing changed) when one
 * cannot be built. */
static int build_visitors(cli_t *c, ccfg_box_t *box, const plan_t *pl, cvisitor_t **out)
{
    const client_cfg_t *nw = &box->cfg;
    for (int j = 0; j < nw->n_visitors; j++) {
        out[j] = NULL;
        if (pl->new_vd[j] == CDIFF_KEPT) {
            for (int i = 0; i < c->n_visitors && !out[j]; i++)
                if (strcmp(cvisitor_cfg(c->visitors[i])->name, nw->visitors[j].name) == 0)
                    out[j] = c->visitors[i];
            continue;
        }
        if (!(out[j] = cvisitor_new(c, &nw->visitors[j], box))) {
            for (int k = 0; k < j; k++)
                if (pl->new_vd[k] != CDIFF_KEPT) cvisitor_discard(out[k]);
            return -1;
        }
    }
    return 0;
}

/* Old visitors out first (a changed one may bind the same port again),
 * then the new list runs its new members. */
static void apply_visitors(cli_t *c, ccfg_box_t *box, const plan_t *pl, cvisitor_t **list,
                           json_t *r)
{
    const client_cfg_t *nw = &box->cfg;
    cvisitor_t **old = c->visitors;
    int n_old = c->n_visitors;
    c->visitors = list; /* first: a retired pair's news must not find its visitor */
    c->n_visitors = nw->n_visitors;
    for (int i = 0; i < n_old; i++) {
        report_visitor(r, pl->old_vd[i], cvisitor_cfg(old[i])->name);
        if (pl->old_vd[i] != CDIFF_KEPT) cvisitor_retire(old[i]);
    }
    for (int j = 0; j < nw->n_visitors; j++) {
        if (pl->new_vd[j] == CDIFF_ADDED) report_visitor(r, CDIFF_ADDED, nw->visitors[j].name);
        if (pl->new_vd[j] != CDIFF_KEPT) cvisitor_run(list[j]);
    }
    free(old);
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
    json_t *v = json_object_get(r, "visitors");
    LOG_I("reload applied to visitors added=%s removed=%s changed=%s kept=%s",
          LOG_ESC(names(json_object_get(v, "added"), a, sizeof a)),
          LOG_ESC(names(json_object_get(v, "removed"), rm, sizeof rm)),
          LOG_ESC(names(json_object_get(v, "changed"), ch, sizeof ch)),
          LOG_ESC(names(json_object_get(v, "kept"), k, sizeof k)));
}

/* The plan's four tables; false when out of memory. */
static bool plan_alloc(plan_t *pl, const cli_t *c, const client_cfg_t *nw)
{
    pl->old_d = calloc((size_t)c->n_proxies + 1, sizeof *pl->old_d);
    pl->new_d = calloc((size_t)nw->n_proxies + 1, sizeof *pl->new_d);
    pl->old_vd = calloc((size_t)c->n_visitors + 1, sizeof *pl->old_vd);
    pl->new_vd = calloc((size_t)nw->n_visitors + 1, sizeof *pl->new_vd);
    return pl->old_d && pl->new_d && pl->old_vd && pl->new_vd;
}

static void plan_free(plan_t *pl)
{
    free(pl->old_d);
    free(pl->new_d);
    free(pl->old_vd);
    free(pl->new_vd);
}

/* The running visitors' entries against the new ones. */
static int diff_visitors(const cli_t *c, const client_cfg_t *nw, plan_t *pl)
{
    visitor_cfg_t *olds = calloc((size_t)c->n_visitors + 1, sizeof *olds);
    if (!olds) return -1;
    for (int i = 0; i < c->n_visitors; i++)
        olds[i] = *cvisitor_cfg(c->visitors[i]); /* a shallow copy: compared, not kept */
    config_diff_visitors(olds, c->n_visitors, nw->visitors, nw->n_visitors, pl->old_vd, pl->new_vd);
    free(olds);
    return 0;
}

json_t *client_reload_box(cli_t *c, ccfg_box_t *box)
{
    json_t *r = report_new();
    char why[300];
    if (c->stopping) return refused(r, "the client is stopping");
    if (not_reloadable(c, &box->cfg, why, sizeof why)) return refused(r, why);
    const client_cfg_t *nw = &box->cfg;
    const proxy_cfg_t **olds = calloc((size_t)c->n_proxies + 1, sizeof *olds);
    plan_t pl = {0};
    cproxy_t **list = calloc((size_t)nw->n_proxies + 1, sizeof *list);
    cvisitor_t **vlist = calloc((size_t)nw->n_visitors + 1, sizeof *vlist);
    if (!olds || !plan_alloc(&pl, c, nw) || !list || !vlist || diff_visitors(c, nw, &pl) != 0) {
        refused(r, "out of memory");
    } else {
        for (int i = 0; i < c->n_proxies; i++)
            olds[i] = c->proxies[i]->cfg;
        config_diff_proxies(olds, c->n_proxies, nw->proxies, nw->n_proxies, pl.old_d, pl.new_d);
        if (build_visitors(c, box, &pl, vlist) != 0) {
            refused(r, "out of memory (nothing applied)");
        } else if (build_list(c, box, &pl, list) != 0) {
            for (int j = 0; j < nw->n_visitors; j++)
                if (pl.new_vd[j] != CDIFF_KEPT) cvisitor_discard(vlist[j]);
            refused(r, "a proxy's localIP is not an IP address (nothing applied)");
        } else {
            apply_visitors(c, box, &pl, vlist, r);
            apply(c, box, &pl, list, r);
            list = NULL;
            vlist = NULL;
            json_object_set_new(r, "ok", json_true());
            log_report(r);
        }
    }
    free(vlist);
    free(list);
    free(olds);
    plan_free(&pl);
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
