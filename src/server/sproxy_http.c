/* sproxy_http: the http and https proxy kinds. Neither listens itself:
 * NEW_PROXY registers its domains (and, for http, locations) in the server's
 * routing tables, and the shared vhost listeners (vhost_http.c,
 * vhost_https.c) find the proxy per request or per TLS connection.
 *
 * A proxy's settings live in a reference-counted vsite_t, so a front still
 * serving a request outlives the proxy's close safely (vsite->p is NULL
 * then).
 *
 * An http proxy naming a loadBalancer group (NEW_PROXY "group",
 * "group_key") shares one site with the group's other members: the first
 * registers the routes, later ones with the same key and the same domains
 * and locations join (http_group_t, the group's data in srv->lb_http) and
 * vsite_pick hands each request's work to the next member. The site's
 * settings are the first member's; its routes stay until the last member
 * leaves, then become a tombstone as any closed proxy's do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/src_limit.h"
#include "proto/msg.h"
#include "server/server_int.h"
#include "util/log.h"

#define MAX_DOMAINS 64
#define MAX_LOCATIONS 64
#define MAX_HEADER_SETS 64
/* A closed proxy's domains answer 502 ("not reachable right now") rather
 * than 404 for this long, reserved for its user, who may take them back at
 * once; then a timer forgets them. BURROW_VHOST_TOMBSTONE (seconds)
 * overrides it for tests. */
#define TOMBSTONE_MS (10 * 60 * 1000)
/* How many of a domain's routes are looked at for the user's own
 * tombstones when it claims the domain again (per pass). */
#define RECLAIM_SCAN 16

/* An http group's shared site and the routes every member must ask for
 * ("domain,domain|location,location"). Owned by the group. */
typedef struct http_group {
    vsite_t *site;
    char *routes;
} http_group_t;

vsite_t *vsite_ref(vsite_t *v)
{
    ref_hold(&v->ref);
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

static void vsite_release(ref_t *r)
{
    vsite_t *v = REF_OWNER(r, vsite_t, ref);
    free(v->host_rewrite);
    free(v->owner);
    free(v->user);
    free(v->password);
    headers_free(&v->req_set);
    headers_free(&v->resp_set);
    free(v);
}

void vsite_unref(vsite_t *v)
{
    if (v) ref_drop(&v->ref);
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
    ref_init(&v->ref, 1, vsite_release);
    v->owner = strdup(p->sess ? session_user(p->sess) : "");
    v->host_rewrite = opt_str(m, "host_header_rewrite");
    v->user = opt_str(m, "http_user");
    v->password = opt_str(m, "http_password");
    if (!v->owner) {
        snprintf(err, errlen, "out of memory");
        vsite_unref(v);
        return NULL;
    }
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

/* ---- tombstones ------------------------------------------------------------ */

static int tombstone_ms(srv_t *s)
{
    if (s->tombstone_ms == 0) {
        const char *env = getenv("BURROW_VHOST_TOMBSTONE"); /* seconds; for tests */
        s->tombstone_ms = env && atoi(env) > 0 ? atoi(env) * 1000 : TOMBSTONE_MS;
    }
    return s->tombstone_ms;
}

static void tomb_unlink(srv_t *s, vsite_t *v)
{
    if (v->tomb_prev)
        v->tomb_prev->tomb_next = v->tomb_next;
    else if (s->tombs == v)
        s->tombs = v->tomb_next;
    if (v->tomb_next)
        v->tomb_next->tomb_prev = v->tomb_prev;
    else if (s->tombs_tail == v)
        s->tombs_tail = v->tomb_prev;
    v->tomb_next = v->tomb_prev = NULL;
}

/* Forgets a closed proxy's site: its routes go, then its reference. */
static void bury(srv_t *s, vsite_t *v)
{
    tomb_unlink(s, v);
    http_routes_remove(v->table, v);
    vsite_unref(v);
}

static void on_tomb_timer(uv_timer_t *t);

/* Runs the timer for the oldest tombstone (the list is oldest first). */
static void arm_tombs(srv_t *s)
{
    if (!s->tomb_timer_on || !s->tombs) return;
    uint64_t due = s->tombs->closed_at + (uint64_t)tombstone_ms(s), now = uv_now(s->loop);
    uv_timer_start(&s->tomb_timer, on_tomb_timer, due > now ? due - now : 0, 0);
}

static void on_tomb_timer(uv_timer_t *t)
{
    srv_t *s = t->data;
    uint64_t now = uv_now(s->loop);
    while (s->tombs && now - s->tombs->closed_at >= (uint64_t)tombstone_ms(s))
        bury(s, s->tombs);
    arm_tombs(s);
}

void vhost_tombs_start(srv_t *s)
{
    if (s->tomb_timer_on) return;
    uv_timer_init(s->loop, &s->tomb_timer);
    s->tomb_timer.data = s;
    s->tomb_timer_on = true;
    arm_tombs(s);
}

void vhost_tombs_stop(srv_t *s)
{
    if (!s->tomb_timer_on) return;
    s->tomb_timer_on = false;
    uv_close((uv_handle_t *)&s->tomb_timer, NULL);
}

/* ---- claiming domains -------------------------------------------------------- */

/* name is base or a name under it. */
static bool under(const char *name, const char *base)
{
    size_t n = strlen(name), b = strlen(base);
    return b > 0 && n >= b && strcmp(name + n - b, base) == 0 && (n == b || name[n - b - 1] == '.');
}

static bool under_cfg(const char *name, const char *base)
{
    char norm[HTTP_HOST_MAX + 1];
    return base && http_host_normalise(base, norm, sizeof norm) && under(name, norm);
}

/* The server's wildcard policy: "*.X" only for X of two labels or more,
 * equal to or under subDomainHost or a vhostWildcardDomains entry. NULL when
 * allowed, else the reason. */
static const char *wildcard_refused(const server_cfg_t *cfg, const char *name)
{
    if (strncmp(name, "*.", 2) != 0) return NULL;
    const char *x = name + 2;
    if (!strchr(x, '.')) return "needs at least two labels after *.";
    if (under_cfg(x, cfg->subdomain_host)) return NULL;
    for (int i = 0; i < cfg->vhost_wildcard_domains.n; i++)
        if (under_cfg(x, cfg->vhost_wildcard_domains.v[i])) return NULL;
    return "is not under subDomainHost or vhostWildcardDomains";
}

/* The user's own tombstones on `name` give way at once. */
static void reclaim(srv_t *s, http_routes_t *t, const char *name, const char *user)
{
    for (;;) {
        void *targets[RECLAIM_SCAN];
        size_t n = 0;
        const char *holder = http_routes_domain_user(t, name, targets, RECLAIM_SCAN, &n);
        if (!holder || strcmp(holder, user) != 0) return;
        vsite_t *dead = NULL;
        for (size_t i = 0; i < n && i < RECLAIM_SCAN && !dead; i++)
            if (!((vsite_t *)targets[i])->p) dead = targets[i];
        if (!dead) return;
        bury(s, dead);
    }
}

/* Each domain: allowed for the user (session_domain_allowed), by the
 * wildcard policy, and not another user's. Takes back the user's own
 * tombstones. */
static int check_domains(sproxy_t *p, http_routes_t *t, char names[][HTTP_HOST_MAX + 1], int n,
                         const char *user, char *err, size_t errlen)
{
    srv_t *s = p->srv;
    for (int i = 0; i < n; i++) {
        const char *why = wildcard_refused(s->cfg, names[i]);
        if (why) {
            snprintf(err, errlen, "wildcard domain %s %s", names[i], why);
            return -1;
        }
        if (p->sess && !session_domain_allowed(p->sess, names[i])) {
            snprintf(err, errlen, "domain %s is not allowed for this user", names[i]);
            return -1;
        }
        reclaim(s, t, names[i], user);
    }
    return 0;
}

/* The reason a route of another user blocks us. */
static void refused_by(srv_t *s, const char *name, const vsite_t *holder, char *err, size_t errlen)
{
    if (holder && !holder->p) {
        uint64_t end = holder->closed_at + (uint64_t)tombstone_ms(s), now = uv_now(s->loop);
        snprintf(err, errlen,
                 "domain %s is reserved for its owner for %llu s more (its proxy just closed)",
                 name, (unsigned long long)((end > now ? end - now : 0) + 999) / 1000);
    } else {
        snprintf(err, errlen, "domain %s belongs to another user", name);
    }
}

/* Per proxy, and per user over both tables. */
static int check_caps(srv_t *s, int n, size_t nl, const char *user, char *err, size_t errlen)
{
    int held = http_routes_user_count(&s->http_routes, user) +
               http_routes_user_count(&s->https_routes, user);
    long routes = (long)n * (long)(nl ? nl : 1);
    if (routes > HTTP_ROUTES_PER_PROXY_MAX) {
        snprintf(err, errlen, "too many routes: %d domains x %zu locations > %d per proxy", n,
                 nl ? nl : 1, HTTP_ROUTES_PER_PROXY_MAX);
        return -1;
    }
    if (held + routes > HTTP_ROUTES_PER_USER_MAX) {
        snprintf(err, errlen, "too many routes for this user: %d held + %ld > %d", held, routes,
                 HTTP_ROUTES_PER_USER_MAX);
        return -1;
    }
    return 0;
}

static int add_one(sproxy_t *p, http_routes_t *t, const char *name, const char *loc, vsite_t *v,
                   char *err, size_t errlen)
{
    void *holder = NULL;
    int r = http_routes_add_as(t, v->owner, name, loc, v, &holder);
    if (r == -EEXIST && holder && !((vsite_t *)holder)->p) { /* our own closed proxy's */
        bury(p->srv, holder);
        r = http_routes_add_as(t, v->owner, name, loc, v, &holder);
    }
    if (r == -EPERM) {
        refused_by(p->srv, name, holder, err, errlen);
        return -1;
    }
    if (r == -EEXIST && holder && ((vsite_t *)holder)->lb) {
        snprintf(err, errlen,
                 "domain %s%s belongs to load-balancing group %s (set loadBalancer.group and "
                 "groupKey to join it)",
                 name, loc[0] ? loc : "", LOG_ESC(((vsite_t *)holder)->lb->name));
        return -1;
    }
    if (r == -EEXIST) {
        vsite_t *o = holder;
        snprintf(err, errlen, "domain %s%s is already used by proxy %s", name, loc[0] ? loc : "",
                 LOG_ESC(o && o->p ? o->p->name : "?"));
        return -1;
    }
    if (r != 0) {
        snprintf(err, errlen, "invalid domain %s", name);
        return -1;
    }
    return 0;
}

static int add_routes(sproxy_t *p, http_routes_t *t, char names[][HTTP_HOST_MAX + 1], int n,
                      const json_t *locs, vsite_t *v, char *err, size_t errlen)
{
    size_t nl = locs ? json_array_size(locs) : 0;
    if (check_domains(p, t, names, n, v->owner, err, errlen) != 0 ||
        check_caps(p->srv, n, nl, v->owner, err, errlen) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < (nl ? nl : 1); j++) {
            const char *loc = nl ? json_string_value(json_array_get(locs, j)) : "";
            if (!loc || (loc[0] && loc[0] != '/') || !header_ok(loc, false)) {
                snprintf(err, errlen, "invalid location");
                return -1;
            }
            if (add_one(p, t, names[i], loc, v, err, errlen) != 0) return -1;
        }
    }
    return 0;
}

static bool any_site(void *target, void *arg)
{
    (void)target;
    (void)arg;
    return true;
}

void vhost_routes_clear(srv_t *s)
{
    while (s->tombs)
        bury(s, s->tombs);
    http_routes_t *tables[] = {&s->http_routes, &s->https_routes};
    for (int i = 0; i < 2; i++) {
        vsite_t *v;
        while ((v = http_routes_first(tables[i], any_site, NULL)) != NULL) {
            http_routes_remove(tables[i], v);
            if (v->p) v->p->impl = NULL; /* still open: the proxy forgets it */
            vsite_unref(v);
        }
        http_routes_free(tables[i]);
    }
    src_limit_destroy(s->http_srcs);
    src_limit_destroy(s->https_srcs);
    s->http_srcs = s->https_srcs = NULL;
}

static int vhost_open(sproxy_t *p, const json_t *m, bool https, char *err, size_t errlen)
{
    srv_t *s = p->srv;
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
    v->table = t;
    if (add_routes(p, t, names, n, locs, v, err, errlen) != 0) {
        http_routes_remove(t, v);
        vsite_unref(v);
        return -1;
    }
    p->impl = v;
    p->port = https ? s->cfg->vhost_https_port : s->cfg->vhost_http_port;
    return 0;
}

/* ---- load-balancing groups ------------------------------------------------ */

sproxy_t *vsite_pick(vsite_t *v)
{
    sproxy_t *p = v->lb ? lb_group_next(v->lb) : NULL;
    return p ? p : v->p;
}

/* The routes an http NEW_PROXY asks for, as one string (heap; NULL: OOM). */
static char *route_key(char names[][HTTP_HOST_MAX + 1], int n, const json_t *locs)
{
    size_t nl = locs ? json_array_size(locs) : 0, len = 2;
    for (int i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    for (size_t j = 0; j < nl; j++) {
        const char *l = json_string_value(json_array_get(locs, j));
        len += (l ? strlen(l) : 0) + 1;
    }
    char *k = calloc(1, len);
    for (int i = 0; k && i < n; i++)
        strcat(strcat(k, i ? "," : ""), names[i]);
    if (k) strcat(k, "|");
    for (size_t j = 0; k && j < nl; j++) {
        const char *l = json_string_value(json_array_get(locs, j));
        strcat(strcat(k, j ? "," : ""), l ? l : "");
    }
    return k;
}

/* A later member: same key, same routes, domains the user may claim. */
static int group_join(sproxy_t *p, lb_group_t *g, const json_t *m, char *key, char *err,
                      size_t errlen)
{
    http_group_t *hg = g->data;
    if (lb_group_key_ok(g, msg_str(m, "group_key")) && strcmp(hg->routes, key) != 0) {
        snprintf(err, errlen,
                 "load-balancing group %s serves other domains or locations (%.80s); every "
                 "member must ask for the same",
                 LOG_ESC(g->name), LOG_ESC(hg->routes));
        return -1;
    }
    int r = lb_group_join(&p->srv->lb_http, g->name, msg_str(m, "group_key"), p, &g);
    if (r < 0) return lb_group_join_error(r, g->name, err, errlen);
    p->impl = hg->site;
    p->lb = g;
    p->port = p->srv->cfg->vhost_http_port;
    LOG_I("load-balancing group joined group=%s proxy=%s members=%d", LOG_ESC(g->name),
          LOG_ESC(p->name), g->n);
    return 0;
}

/* The first member: its site (already routed) becomes the group's. */
static int group_create(sproxy_t *p, vsite_t *v, const char *group, const json_t *m, char *key,
                        char *err, size_t errlen)
{
    http_group_t *hg = calloc(1, sizeof *hg);
    lb_group_t *g = NULL;
    int r =
        hg ? lb_group_join(&p->srv->lb_http, group, msg_str(m, "group_key"), p, &g) : LB_ERR_NOMEM;
    if (r < 0) {
        free(hg);
        free(key);
        return lb_group_join_error(r, group, err, errlen);
    }
    hg->site = v;
    hg->routes = key;
    g->data = hg;
    v->lb = g;
    p->lb = g;
    LOG_I("load-balancing group created group=%s proxy=%s", LOG_ESC(group), LOG_ESC(p->name));
    return 0;
}

/* p leaves its group. true when it was the last: then the caller closes
 * the site as any proxy's; else the site stays with the others. */
static bool group_leave(sproxy_t *p)
{
    lb_group_t *g = p->lb;
    http_group_t *hg = g->data;
    vsite_t *v = hg->site;
    p->lb = NULL;
    LOG_I("load-balancing group left group=%s proxy=%s members=%d", LOG_ESC(g->name),
          LOG_ESC(p->name), g->n - 1);
    if (lb_group_leave(&p->srv->lb_http, g, p) > 0) {
        if (v->p == p) v->p = g->members[0];
        return false;
    }
    v->lb = NULL;
    v->p = p;
    free(hg->routes);
    free(hg);
    return true;
}

/* vhost_open for a proxy naming a group: joins it when it exists, else
 * opens as usual and creates it. */
static int vhost_open_group(sproxy_t *p, const json_t *m, const char *group, char *err,
                            size_t errlen)
{
    static char names[MAX_DOMAINS + 1][HTTP_HOST_MAX + 1];
    int n = collect_domains(p, m, names, err, errlen);
    if (n < 0) return -1;
    json_t *locs = json_object_get(m, "locations");
    if (locs && (!json_is_array(locs) || json_array_size(locs) > MAX_LOCATIONS)) {
        snprintf(err, errlen, "invalid locations");
        return -1;
    }
    char *key = route_key(names, n, locs);
    lb_group_t *g = lb_groups_find(&p->srv->lb_http, group);
    int r = -1;
    if (!key)
        snprintf(err, errlen, "out of memory");
    else if (g && check_domains(p, &p->srv->http_routes, names, n,
                                p->sess ? session_user(p->sess) : "", err, errlen) == 0)
        r = group_join(p, g, m, key, err, errlen);
    else if (!g && vhost_open(p, m, false, err, errlen) == 0) {
        if (group_create(p, p->impl, group, m, key, err, errlen) == 0) return 0;
        key = NULL; /* group_create freed it */
        http_routes_remove(&p->srv->http_routes, p->impl);
        vsite_unref(p->impl);
        p->impl = NULL;
    }
    free(key);
    return r;
}

static int http_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)port;
    const char *group = msg_str(m, "group");
    if (group && *group && p->srv->http_on) return vhost_open_group(p, m, group, err, errlen);
    return vhost_open(p, m, false, err, errlen);
}

static int https_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)port;
    const char *group = msg_str(m, "group");
    if (group && *group) {
        snprintf(err, errlen, "loadBalancer needs type tcp or http");
        return -1;
    }
    return vhost_open(p, m, true, err, errlen);
}

/* The routes stay as a tombstone holding the proxy's reference, until the
 * timer (or the owner's return) buries them. */
static void vhost_close(sproxy_t *p, http_routes_t *t)
{
    vsite_t *v = p->impl;
    srv_t *s = p->srv;
    (void)t;
    if (p->lb && !group_leave(p)) {
        free(p);
        return;
    }
    if (v) {
        v->p = NULL;
        v->closed_at = uv_now(s->loop);
        v->tomb_prev = s->tombs_tail;
        if (s->tombs_tail)
            s->tombs_tail->tomb_next = v;
        else
            s->tombs = v;
        s->tombs_tail = v;
        if (s->tombs == v) arm_tombs(s);
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

const sproxy_ops_t sproxy_http_ops = {
    .type = "http",
    .open = http_open,
    .close = http_close,
};

const sproxy_ops_t sproxy_https_ops = {
    .type = "https",
    .open = https_open,
    .close = https_close,
};
