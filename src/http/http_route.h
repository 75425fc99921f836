/* http_route: the virtual-host routing table (pure; no sockets).
 *
 * Each route is (domain, location) → target. A domain is an exact host name
 * ("www.example.com") or a wildcard ("*.example.com", matching any name
 * with at least one more label). Lookup by (host, path): the exact domain
 * first, then wildcards from the most specific ("*.b.example.com" before
 * "*.example.com"); within a domain the longest location that prefixes the
 * path wins ("" and "/" match everything). Host names compare
 * case-insensitively and lose any ":port". Registering the same (domain,
 * location) twice is a conflict.
 *
 * Every domain belongs to one user (the user of its first route): routes
 * under a domain all carry the same user. The table keeps the domains in a
 * hash (a wildcard is the key "*.suffix", so a lookup costs one probe per
 * label of the host), each domain's routes longest location first, the
 * routes of each target in a second hash and the route count of each user
 * in a third, so adding, finding and removing never walk the whole table.
 * Hashes are seeded at random at first use.
 *
 * Ownership: the table copies domains, locations and users; targets are
 * borrowed and must be removed (http_routes_remove) before they go away. */
#ifndef BURROW_HTTP_ROUTE_H
#define BURROW_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HOST_MAX 253
/* The caps the server applies when a proxy registers (sproxy_http.c); the
 * table itself enforces none. One proxy's domains × locations: */
#define HTTP_ROUTES_PER_PROXY_MAX 256
/* Every route one user holds, http and https, live proxies and tombstones: */
#define HTTP_ROUTES_PER_USER_MAX 4096

typedef struct http_route http_route_t;
typedef struct http_hnode http_hnode_t;

/* A chained hash of nodes that embed http_hnode_t (internal). */
typedef struct http_hmap {
    http_hnode_t **b;
    size_t cap, n;
} http_hmap_t;

/* Zero-initialise; release with http_routes_free. */
typedef struct http_routes {
    http_hmap_t domains, targets, users;
    uint64_t seed;
    int count;
} http_routes_t;

/* 0, -EEXIST when (domain, location) is taken (*owner is set to its
 * target), -EPERM when the domain belongs to another user (*owner is set
 * to one of its targets), -EINVAL for a malformed domain, -ENOMEM.
 * user NULL is "". */
int http_routes_add_as(http_routes_t *t, const char *user, const char *domain, const char *location,
                       void *target, void **owner);
/* http_routes_add_as for user "". */
int http_routes_add(http_routes_t *t, const char *domain, const char *location, void *target,
                    void **owner);
/* Removes every route of target. */
void http_routes_remove(http_routes_t *t, const void *target);
/* The target for host (a Host header or SNI name) and path (NULL = "/"), or NULL. */
void *http_routes_find(const http_routes_t *t, const char *host, const char *path);
/* The user holding domain (normalised or not), or NULL when it has no route.
 * When targets is not NULL it receives the targets of up to `max` of the
 * domain's routes (one per route, so a target may repeat); *n_targets is set
 * to the number of routes (all of them, even beyond max). */
const char *http_routes_domain_user(const http_routes_t *t, const char *domain, void **targets,
                                    size_t max, size_t *n_targets);
/* Routes held by user / by target now. */
int http_routes_user_count(const http_routes_t *t, const char *user);
int http_routes_target_count(const http_routes_t *t, const void *target);
/* Some target for which pick(target, arg) is true, or NULL. */
void *http_routes_first(const http_routes_t *t, bool (*pick)(void *target, void *arg), void *arg);
/* Frees the routes only (targets are the caller's). */
void http_routes_free(http_routes_t *t);

/* Lowercases host into out (size ≥ HTTP_HOST_MAX + 1) without any ":port"
 * or trailing dot. false when it is empty, too long or has bytes no host
 * name may have. */
int http_host_normalise(const char *host, char *out, size_t size);

#endif
