/* sproxy_http: the http and https proxy kinds. Neither listens itself:
 * NEW_PROXY registers its domains (and, for http, locations) in the server's
 * routing tables, and the shared vhost listeners (vhost_http.c,
 * vhost_https.c) find the proxy per request or per TLS connection.
 *
 * A proxy's settings live in a reference-counted vsite_t, so a front still
 * serving a request outlives the proxy's close safely (vsite->p is NULL
 * then). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/msg.h"
#include "server/server_int.h"
#include "util/log.h"

#define MAX_DOMAINS 64
#define MAX_LOCATIONS 64
#define MAX_HEADER_SETS 64
/* A closed proxy's domains answer 502 ("not reachable right now") rather
 * than 404 for this long, or until someone registers them again. */
#define TOMBSTONE_MS (10 * 60 * 1000)

vsite_t *vsite_ref(vsite_t *v)
{
    v->refs++;
    return v;
}

static void headers_free(header_list_t *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void vsite_unref(vsite_t *v)
{
    if (!v || --v->refs > 0) return;
    free(v->host_rewrite);
    free(v->user);
    free(v->password);
    headers_free(&v->req_set);
    headers_free(&v->resp_set);
    free(v);
}

static bool site_expired(void *target, void *arg)
{
    const vsite_t *v = target;
    return !v->p && *(uint64_t *)arg - v->closed_at > TOMBSTONE_MS;
}

static char *opt_str(const json_t *m, const char *key)
{
    const char *s = msg_str(m, key);
    return s && *s ? strdup(s) : NULL;
}

/* No CR, LF or NUL may reach a header we write; names are tokens. */
static bool header_ok(const char *s, bool name)
{
    if (name && !*s) return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\r' || ch == '\n' || (name && (ch <= ' ' || ch == ':' || ch >= 0x7f)))
            return false;
    }
    return true;
}

static int load_headers(const json_t *m, const char *key, header_list_t *out)
{
    json_t *o = json_object_get(m, key);
    if (!o) return 0;
    if (!json_is_object(o) || json_object_size(o) > MAX_HEADER_SETS) return -1;
    out->v = calloc(json_object_size(o) + 1, sizeof *out->v);
    if (!out->v) return -1;
    const char *name;
    json_t *val;
    json_object_foreach(o, name, val)
    {
        if (!json_is_string(val) || !header_ok(name, true) ||
            !header_ok(json_string_value(val), false))
            return -1;
        out->v[out->n].name = strdup(name);
        out->v[out->n].value = strdup(json_string_value(val));
        out->n++;
        if (!out->v[out->n - 1].name || !out->v[out->n - 1].value) return -1;
    }
    return 0;
}

static vsite_t *site_from(sproxy_t *p, const json_t *m, char *err, size_t errlen)
{
    vsite_t *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->p = p;
    v->refs = 1;
    v->host_rewrite = opt_str(m, "host_header_rewrite");
    v->user = opt_str(m, "http_user");
    v->password = opt_str(m, "http_password");
    if ((v->host_rewrite && !header_ok(v->host_rewrite, false)) ||
        load_headers(m, "request_headers", &v->req_set) != 0 ||
        load_headers(m, "response_headers", &v->resp_set) != 0) {
        snprintf(err, errlen, "invalid header settings");
        vsite_unref(v);
        return NULL;
    }
    return v;
}

/* Fills names[] with customDomains and subdomain.subDomainHost. */
static int collect_domains(sproxy_t *p, const json_t *m, char names[][HTTP_HOST_MAX + 1], char *err,
                           size_t errlen)
{
    int n = 0;
    json_t *arr = json_object_get(m, "custom_domains");
    size_t i;
    json_t *d;
    if (arr && (!json_is_array(arr) || json_array_size(arr) > MAX_DOMAINS)) goto bad;
    json_array_foreach(arr, i, d)
    {
        if (!json_is_string(d) ||
            !http_host_normalise(json_string_value(d), names[n], HTTP_HOST_MAX + 1))
            goto bad;
        n++;
    }
    const char *sub = msg_str(m, "subdomain");
    if (sub && *sub) {
        const char *host = p->srv->cfg->subdomain_host;
        if (!host || !*host) {
            snprintf(err, errlen, "subdomain needs subDomainHost on the server");
            return -1;
        }
        char full[HTTP_HOST_MAX * 2];
        snprintf(full, sizeof full, "%s.%s", sub, host);
        if (strchr(sub, '.') || strchr(sub, '*') ||
            !http_host_normalise(full, names[n], HTTP_HOST_MAX + 1))
            goto bad;
        n++;
    }
    if (n == 0) {
        snprintf(err, errlen, "customDomains or subdomain is required");
        return -1;
    }
    return n;
bad:
    snprintf(err, errlen, "invalid customDomains or subdomain");
    return -1;
}

static int add_routes(sproxy_t *p, http_routes_t *t, char names[][HTTP_HOST_MAX + 1], int n,
                      const json_t *locs, vsite_t *v, char *err, size_t errlen)
{
    size_t nl = locs ? json_array_size(locs) : 0;
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < (nl ? nl : 1); j++) {
            const char *loc = nl ? json_string_value(json_array_get(locs, j)) : "";
            if (!loc || (loc[0] && loc[0] != '/') || !header_ok(loc, false)) {
                snprintf(err, errlen, "invalid location");
                return -1;
            }
            void *owner = NULL;
            int r = http_routes_add(t, names[i], loc, v, &owner);
            if (r == -EEXIST && owner && !((vsite_t *)owner)->p) { /* a closed proxy's */
                http_routes_remove(t, owner);
                vsite_unref(owner);
                r = http_routes_add(t, names[i], loc, v, &owner);
            }
            if (r == -EEXIST) {
                vsite_t *o = owner;
                snprintf(err, errlen, "domain %s%s is already used by proxy %s", names[i],
                         loc[0] ? loc : "", o && o->p ? o->p->name : "?");
                return -1;
            }
            if (r != 0) {
                snprintf(err, errlen, "invalid domain %s", names[i]);
                return -1;
            }
        }
    }
    (void)p;
    return 0;
}

/* Forgets closed proxies' routes that are old enough. */
static void sweep_tombstones(srv_t *s, http_routes_t *t)
{
    uint64_t now = uv_now(s->loop);
    vsite_t *v;
    while ((v = http_routes_first(t, site_expired, &now)) != NULL) {
        http_routes_remove(t, v);
        vsite_unref(v);
    }
}

static bool any_site(void *target, void *arg)
{
    (void)target;
    (void)arg;
    return true;
}

void vhost_routes_clear(srv_t *s)
{
    http_routes_t *tables[] = {&s->http_routes, &s->https_routes};
    for (int i = 0; i < 2; i++) {
        vsite_t *v;
        while ((v = http_routes_first(tables[i], any_site, NULL)) != NULL) {
            http_routes_remove(tables[i], v);
            if (v->p) v->p->impl = NULL; /* still open: the proxy forgets it */
            vsite_unref(v);
        }
    }
}

static int vhost_open(sproxy_t *p, const json_t *m, bool https, char *err, size_t errlen)
{
    srv_t *s = p->srv;
    sweep_tombstones(s, https ? &s->https_routes : &s->http_routes);
    if (!(https ? s->https_on : s->http_on)) {
        snprintf(err, errlen, "the server has no %s (set it to serve %s proxies)",
                 https ? "vhostHTTPSPort" : "vhostHTTPPort", https ? "https" : "http");
        return -1;
    }
    static char names[MAX_DOMAINS + 1][HTTP_HOST_MAX + 1];
    int n = collect_domains(p, m, names, err, errlen);
    if (n < 0) return -1;
    json_t *locs = https ? NULL : json_object_get(m, "locations");
    if (locs && (!json_is_array(locs) || json_array_size(locs) > MAX_LOCATIONS)) {
        snprintf(err, errlen, "invalid locations");
        return -1;
    }
    vsite_t *v = site_from(p, m, err, errlen);
    if (!v) return -1;
    http_routes_t *t = https ? &s->https_routes : &s->http_routes;
    if (add_routes(p, t, names, n, locs, v, err, errlen) != 0) {
        http_routes_remove(t, v);
        vsite_unref(v);
        return -1;
    }
    p->impl = v;
    p->port = https ? s->cfg->vhost_https_port : s->cfg->vhost_http_port;
    return 0;
}

static int http_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)port;
    return vhost_open(p, m, false, err, errlen);
}

static int https_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)port;
    return vhost_open(p, m, true, err, errlen);
}

/* The routes stay as a tombstone holding the proxy's reference. */
static void vhost_close(sproxy_t *p, http_routes_t *t)
{
    vsite_t *v = p->impl;
    (void)t;
    if (v) {
        v->p = NULL;
        v->closed_at = uv_now(p->srv->loop);
    }
    free(p);
}

static void http_close(sproxy_t *p)
{
    vhost_close(p, &p->srv->http_routes);
}

static void https_close(sproxy_t *p)
{
    vhost_close(p, &p->srv->https_routes);
}

static void http_attach(sproxy_t *p, conn_t *work, void *ctx)
{
    (void)p;
    vhost_http_attach(ctx, work);
}

static void http_cancel(sproxy_t *p, void *ctx)
{
    (void)p;
    vhost_http_cancel(ctx);
}

static void https_attach(sproxy_t *p, conn_t *work, void *ctx)
{
    (void)p;
    vhost_https_attach(ctx, work);
}

static void https_cancel(sproxy_t *p, void *ctx)
{
    (void)p;
    vhost_https_cancel(ctx);
}

const sproxy_ops_t sproxy_http_ops = {
    .type = "http",
    .open = http_open,
    .attach = http_attach,
    .cancel = http_cancel,
    .close = http_close,
};

const sproxy_ops_t sproxy_https_ops = {
    .type = "https",
    .open = https_open,
    .attach = https_attach,
    .cancel = https_cancel,
    .close = https_close,
};
