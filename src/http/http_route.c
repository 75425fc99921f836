/* http_route: see http_route.h. A linked list: a server carries tens of
 * sites, and a lookup walks it once per candidate domain. */
#include "http/http_route.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct http_route {
    char *domain;   /* normalised; may start with "*." */
    char *location; /* "" for "/" */
    void *target;
    http_route_t *next;
};

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

int http_routes_add(http_routes_t *t, const char *domain, const char *location, void *target,
                    void **owner)
{
    char d[HTTP_HOST_MAX + 1];
    if (!http_host_normalise(domain, d, sizeof d)) return -EINVAL;
    /* A '*' is only allowed as the whole first label. */
    const char *star = strchr(d, '*');
    if (star && (star != d || d[1] != '.' || d[2] == '\0' || strchr(d + 1, '*'))) return -EINVAL;
    const char *loc = norm_location(location);
    for (http_route_t *r = t->head; r; r = r->next) {
        if (strcmp(r->domain, d) == 0 && strcmp(r->location, loc) == 0) {
            if (owner) *owner = r->target;
            return -EEXIST;
        }
    }
    http_route_t *r = calloc(1, sizeof *r);
    if (!r || !(r->domain = strdup(d)) || !(r->location = strdup(loc))) {
        if (r) free(r->domain);
        free(r);
        return -ENOMEM;
    }
    r->target = target;
    r->next = t->head;
    t->head = r;
    t->count++;
    return 0;
}

void http_routes_remove(http_routes_t *t, const void *target)
{
    for (http_route_t **pp = &t->head; *pp;) {
        http_route_t *r = *pp;
        if (r->target != target) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        free(r->domain);
        free(r->location);
        free(r);
        t->count--;
    }
}

/* The longest location of `domain` that prefixes path. */
static void *best_for(const http_routes_t *t, const char *domain, const char *path)
{
    void *best = NULL;
    size_t best_len = 0;
    for (http_route_t *r = t->head; r; r = r->next) {
        if (strcmp(r->domain, domain) != 0) continue;
        size_t n = strlen(r->location);
        if (strncmp(path, r->location, n) != 0) continue;
        if (!best || n > best_len) {
            best = r->target;
            best_len = n;
        }
    }
    return best;
}

void *http_routes_find(const http_routes_t *t, const char *host, const char *path)
{
    char h[HTTP_HOST_MAX + 3];
    if (!http_host_normalise(host, h + 2, sizeof h - 2)) return NULL;
    if (!path || !*path) path = "/";
    void *hit = best_for(t, h + 2, path);
    /* "*.rest" for each suffix "rest" after a dot, most specific first. */
    for (char *dot = strchr(h + 2, '.'); !hit && dot && dot[1]; dot = strchr(dot + 1, '.')) {
        dot[-1] = '*'; /* the label before this dot is not looked at again */
        hit = best_for(t, dot - 1, path);
    }
    return hit;
}

void *http_routes_first(const http_routes_t *t, bool (*pick)(void *target, void *arg), void *arg)
{
    for (http_route_t *r = t->head; r; r = r->next)
        if (pick(r->target, arg)) return r->target;
    return NULL;
}

void http_routes_free(http_routes_t *t)
{
    while (t->head)
        http_routes_remove(t, t->head->target);
}
