/* http_route: see http_route.h. Three chained hashes (domains, targets,
 * users) over one set of routes; a route sits in its domain's list (longest
 * location first, so the first prefix that matches wins) and in its
 * target's list. */
#include "http/http_route.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define HMAP_MIN_CAP 16

struct http_hnode {
    http_hnode_t *next;
    uint64_t hash;
};

typedef struct dom {
    http_hnode_t h; /* first: a dom_t * is its node */
    char *name;     /* normalised; may start with "*." */
    char *user;
    http_route_t *routes; /* longest location first */
    int n;
} dom_t;

typedef struct tgt {
    http_hnode_t h;
    const void *target;
    http_route_t *routes;
    int n;
} tgt_t;

typedef struct usr {
    http_hnode_t h;
    char *name;
    int n;
} usr_t;

struct http_route {
    dom_t *dom;
    tgt_t *tgt;
    char *location; /* "" for "/" */
    size_t loc_len;
    void *target;
    http_route_t *dnext, **dprev; /* in dom->routes */
    http_route_t *tnext;          /* in tgt->routes */
};

/* ---- hashing -------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_str(uint64_t seed, const char *s)
{
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
    size_t n = strlen(s);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return mix64(h ^ w ^ ((uint64_t)n << 56));
}

static uint64_t hash_ptr(uint64_t seed, const void *p)
{
    return mix64(seed ^ (uint64_t)(uintptr_t)p);
}

/* A seed a peer cannot guess, so that it cannot aim its domains at one chain. */
static void ensure_seed(http_routes_t *t)
{
    if (t->seed) return;
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
        s = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)t;
    t->seed = s | 1;
}

/* ---- the chained hash ------------------------------------------------------ */

typedef bool (*hmatch_fn)(const http_hnode_t *n, const void *key);

static http_hnode_t *hmap_find(const http_hmap_t *m, uint64_t hash, hmatch_fn match,
                               const void *key)
{
    if (m->cap == 0) return NULL;
    for (http_hnode_t *n = m->b[hash & (m->cap - 1)]; n; n = n->next)
        if (n->hash == hash && match(n, key)) return n;
    return NULL;
}

static int hmap_grow(http_hmap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : HMAP_MIN_CAP;
    http_hnode_t **b = calloc(cap, sizeof *b);
    if (!b) return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        while (m->b[i]) {
            http_hnode_t *n = m->b[i];
            m->b[i] = n->next;
            n->next = b[n->hash & (cap - 1)];
            b[n->hash & (cap - 1)] = n;
        }
    }
    free(m->b);
    m->b = b;
    m->cap = cap;
    return 0;
}

/* Load factor at most 1. */
static int hmap_add(http_hmap_t *m, http_hnode_t *n)
{
    if (m->n + 1 > m->cap && hmap_grow(m) != 0) return -ENOMEM;
    http_hnode_t **head = &m->b[n->hash & (m->cap - 1)];
    n->next = *head;
    *head = n;
    m->n++;
    return 0;
}

static void hmap_del(http_hmap_t *m, http_hnode_t *n)
{
    for (http_hnode_t **pp = &m->b[n->hash & (m->cap - 1)]; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            m->n--;
            return;
        }
    }
}

static bool dom_match(const http_hnode_t *n, const void *key)
{
    return strcmp(((const dom_t *)n)->name, key) == 0;
}

static bool tgt_match(const http_hnode_t *n, const void *key)
{
    return ((const tgt_t *)n)->target == key;
}

static bool usr_match(const http_hnode_t *n, const void *key)
{
    return strcmp(((const usr_t *)n)->name, key) == 0;
}

static dom_t *dom_find(const http_routes_t *t, const char *name)
{
    return (dom_t *)hmap_find(&t->domains, hash_str(t->seed, name), dom_match, name);
}

static tgt_t *tgt_find(const http_routes_t *t, const void *target)
{
    return (tgt_t *)hmap_find(&t->targets, hash_ptr(t->seed, target), tgt_match, target);
}

static usr_t *usr_find(const http_routes_t *t, const char *user)
{
    return (usr_t *)hmap_find(&t->users, hash_str(t->seed, user), usr_match, user);
}

/* ---- host names ------------------------------------------------------------ */

static bool host_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_';
}

int http_host_normalise(const char *host, char *out, size_t size)
{
    size_t n = 0;
    const char *end;
    if (!host) return 0;
    if (host[0] == '[') { /* IPv6 literal: keep the brackets, drop the port */
        end = strchr(host, ']');
        if (!end) return 0;
        end++;
    } else {
        end = strchr(host, ':');
        if (!end) end = host + strlen(host);
    }
    for (const char *s = host; s < end; s++) {
        char ch = *s;
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if (!host_char(ch) && ch != '[' && ch != ']' && ch != ':' && ch != '*') return 0;
        if (n + 1 >= size || n >= HTTP_HOST_MAX) return 0;
        out[n++] = ch;
    }
    while (n > 0 && out[n - 1] == '.')
        n--;
    out[n] = '\0';
    return n > 0;
}

static const char *norm_location(const char *loc)
{
    return (!loc || strcmp(loc, "/") == 0) ? "" : loc;
}

/* ---- adding ---------------------------------------------------------------- */

static dom_t *dom_get(http_routes_t *t, const char *name, const char *user)
{
    dom_t *d = dom_find(t, name);
    if (d) return d;
    d = calloc(1, sizeof *d);
    if (!d || !(d->name = strdup(name)) || !(d->user = strdup(user))) goto fail;
    d->h.hash = hash_str(t->seed, name);
    if (hmap_add(&t->domains, &d->h) != 0) goto fail;
    return d;
fail:
    if (d) {
        free(d->name);
        free(d->user);
    }
    free(d);
    return NULL;
}

static tgt_t *tgt_get(http_routes_t *t, const void *target)
{
    tgt_t *g = tgt_find(t, target);
    if (g) return g;
    g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->target = target;
    g->h.hash = hash_ptr(t->seed, target);
    if (hmap_add(&t->targets, &g->h) != 0) {
        free(g);
        return NULL;
    }
    return g;
}

static usr_t *usr_get(http_routes_t *t, const char *user)
{
    usr_t *u = usr_find(t, user);
    if (u) return u;
    u = calloc(1, sizeof *u);
    if (!u || !(u->name = strdup(user))) goto fail;
    u->h.hash = hash_str(t->seed, user);
    if (hmap_add(&t->users, &u->h) != 0) goto fail;
    return u;
fail:
    if (u) free(u->name);
    free(u);
    return NULL;
}

/* Drops the containers a failed or last removal left empty. */
static void tidy(http_routes_t *t, dom_t *d, tgt_t *g, usr_t *u)
{
    if (d && d->n == 0) {
        hmap_del(&t->domains, &d->h);
        free(d->name);
        free(d->user);
        free(d);
    }
    if (g && g->n == 0) {
        hmap_del(&t->targets, &g->h);
        free(g);
    }
    if (u && u->n == 0) {
        hmap_del(&t->users, &u->h);
        free(u->name);
        free(u);
    }
}

/* A '*' is only allowed as the whole first label, followed by a name. */
static bool domain_ok(const char *d)
{
    const char *star = strchr(d, '*');
    return !star || (star == d && d[1] == '.' && d[2] != '\0' && !strchr(d + 1, '*'));
}

/* Where a new route with location loc goes in d's list, or NULL when loc is
 * there already (*dup set). */
static http_route_t **slot_for(dom_t *d, const char *loc, size_t len, http_route_t **dup)
{
    http_route_t **pp = &d->routes;
    for (; *pp && (*pp)->loc_len >= len; pp = &(*pp)->dnext) {
        if ((*pp)->loc_len == len && strcmp((*pp)->location, loc) == 0) {
            *dup = *pp;
            return NULL;
        }
    }
    return pp;
}

int http_routes_add_as(http_routes_t *t, const char *user, const char *domain, const char *location,
                       void *target, void **owner)
{
    char name[HTTP_HOST_MAX + 1];
    if (!user) user = "";
    if (!http_host_normalise(domain, name, sizeof name) || !domain_ok(name)) return -EINVAL;
    ensure_seed(t);
    const char *loc = norm_location(location);
    size_t len = strlen(loc);
    dom_t *d = dom_find(t, name);
    if (d && strcmp(d->user, user) != 0) {
        if (owner) *owner = d->routes->target;
        return -EPERM;
    }
    http_route_t *dup = NULL;
    if (d && !slot_for(d, loc, len, &dup)) {
        if (owner) *owner = dup->target;
        return -EEXIST;
    }
    d = dom_get(t, name, user);
    tgt_t *g = d ? tgt_get(t, target) : NULL;
    usr_t *u = g ? usr_get(t, user) : NULL;
    http_route_t *r = u ? calloc(1, sizeof *r) : NULL;
    if (!r || !(r->location = strdup(loc))) {
        free(r);
        tidy(t, d, g, u);
        return -ENOMEM;
    }
    r->dom = d;
    r->tgt = g;
    r->loc_len = len;
    r->target = target;
    http_route_t **pp = slot_for(d, loc, len, &dup);
    r->dnext = *pp;
    r->dprev = pp;
    if (*pp) (*pp)->dprev = &r->dnext;
    *pp = r;
    r->tnext = g->routes;
    g->routes = r;
    d->n++;
    g->n++;
    u->n++;
    t->count++;
    return 0;
}

int http_routes_add(http_routes_t *t, const char *domain, const char *location, void *target,
                    void **owner)
{
    return http_routes_add_as(t, "", domain, location, target, owner);
}

/* ---- removing -------------------------------------------------------------- */

void http_routes_remove(http_routes_t *t, const void *target)
{
    tgt_t *g = tgt_find(t, target);
    if (!g) return;
    while (g->routes) {
        http_route_t *r = g->routes;
        dom_t *d = r->dom;
        g->routes = r->tnext;
        *r->dprev = r->dnext;
        if (r->dnext) r->dnext->dprev = r->dprev;
        d->n--;
        g->n--;
        t->count--;
        usr_t *u = usr_find(t, d->user);
        if (u) u->n--;
        free(r->location);
        free(r);
        tidy(t, d, NULL, u);
    }
    tidy(t, NULL, g, NULL);
}

/* ---- looking up ------------------------------------------------------------ */

/* The longest location of `domain` that prefixes path. */
static void *best_for(const http_routes_t *t, const char *domain, const char *path)
{
    dom_t *d = dom_find(t, domain);
    if (!d) return NULL;
    for (http_route_t *r = d->routes; r; r = r->dnext)
        if (strncmp(path, r->location, r->loc_len) == 0) return r->target;
    return NULL;
}

void *http_routes_find(const http_routes_t *t, const char *host, const char *path)
{
    char h[HTTP_HOST_MAX + 3];
    if (t->domains.n == 0 || !http_host_normalise(host, h + 2, sizeof h - 2)) return NULL;
    if (!path || !*path) path = "/";
    void *hit = best_for(t, h + 2, path);
    /* "*.rest" for each suffix "rest" after a dot, most specific first. */
    for (char *dot = strchr(h + 2, '.'); !hit && dot && dot[1]; dot = strchr(dot + 1, '.')) {
        dot[-1] = '*'; /* the label before this dot is not looked at again */
        hit = best_for(t, dot - 1, path);
    }
    return hit;
}

const char *http_routes_domain_user(const http_routes_t *t, const char *domain, void **targets,
                                    size_t max, size_t *n_targets)
{
    char name[HTTP_HOST_MAX + 1];
    if (n_targets) *n_targets = 0;
    if (!http_host_normalise(domain, name, sizeof name)) return NULL;
    dom_t *d = dom_find(t, name);
    if (!d) return NULL;
    size_t i = 0;
    for (http_route_t *r = d->routes; r && targets; r = r->dnext, i++)
        if (i < max) targets[i] = r->target;
    if (n_targets) *n_targets = (size_t)d->n;
    return d->user;
}

int http_routes_user_count(const http_routes_t *t, const char *user)
{
    usr_t *u = usr_find(t, user ? user : "");
    return u ? u->n : 0;
}

int http_routes_target_count(const http_routes_t *t, const void *target)
{
    tgt_t *g = tgt_find(t, target);
    return g ? g->n : 0;
}

void *http_routes_first(const http_routes_t *t, bool (*pick)(void *target, void *arg), void *arg)
{
    for (size_t i = 0; i < t->targets.cap; i++)
        for (http_hnode_t *n = t->targets.b[i]; n; n = n->next)
            if (pick((void *)((tgt_t *)n)->target, arg)) return (void *)((tgt_t *)n)->target;
    return NULL;
}

void http_routes_free(http_routes_t *t)
{
    for (size_t i = 0; i < t->targets.cap; i++)
        while (t->targets.b[i])
            http_routes_remove(t, ((tgt_t *)t->targets.b[i])->target);
    free(t->domains.b);
    free(t->targets.b);
    free(t->users.b);
    memset(t, 0, sizeof *t);
}
