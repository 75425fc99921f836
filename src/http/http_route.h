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
 * Ownership: the table copies domains and locations; targets are borrowed
 * and must be removed (http_routes_remove) before they go away. */
#ifndef BURROW_HTTP_ROUTE_H
#define BURROW_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HOST_MAX 253

typedef struct http_route http_route_t;

typedef struct http_routes {
    http_route_t *head;
    int count;
} http_routes_t;

/* 0, -EEXIST when (domain, location) is taken (*owner is set to its
 * target), -EINVAL for a malformed domain, -ENOMEM. */
int http_routes_add(http_routes_t *t, const char *domain, const char *location, void *target,
                    void **owner);
/* Removes every route of target. */
void http_routes_remove(http_routes_t *t, const void *target);
/* The target for host (a Host header or SNI name) and path (NULL = "/"), or NULL. */
void *http_routes_find(const http_routes_t *t, const char *host, const char *path);
/* The first target for which pick(target, arg) is true, or NULL. */
void *http_routes_first(const http_routes_t *t, bool (*pick)(void *target, void *arg), void *arg);
/* Frees the routes only (targets are the caller's). */
void http_routes_free(http_routes_t *t);

/* Lowercases host into out (size ≥ HTTP_HOST_MAX + 1) without any ":port"
 * or trailing dot. false when it is empty, too long or has bytes no host
 * name may have. */
int http_host_normalise(const char *host, char *out, size_t size);

#endif
