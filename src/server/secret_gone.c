/* secret_gone: an unordered array of (name, time gone), grown as names
 * arrive up to its bound; removal moves the last entry into the hole. */
#include "server/secret_gone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gone {
    char name[SECRET_GONE_NAME_MAX];
    uint64_t at;
} gone_t;

struct secret_gone {
    gone_t *v;
    size_t n, cap, max;
    uint64_t ttl_ms;
};

secret_gone_t *secret_gone_create(size_t max, uint64_t ttl_ms)
{
    secret_gone_t *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->max = max ? max : 1;
    g->ttl_ms = ttl_ms;
    return g;
}

void secret_gone_destroy(secret_gone_t *g)
{
    if (!g) return;
    free(g->v);
    free(g);
}

static bool expired(const secret_gone_t *g, const gone_t *e, uint64_t now)
{
    return now >= e->at && now - e->at >= g->ttl_ms;
}

/* Index of `name`, or -1. Compared as stored (truncated). */
static long find(const secret_gone_t *g, const char *name)
{
    size_t len = strnlen(name, SECRET_GONE_NAME_MAX - 1);
    for (size_t i = 0; i < g->n; i++)
        if (strncmp(g->v[i].name, name, len) == 0 && g->v[i].name[len] == '\0') return (long)i;
    return -1;
}

static void drop(secret_gone_t *g, size_t i)
{
    g->v[i] = g->v[--g->n];
}

/* A slot for a new name: a fresh one while below the bound, else an
 * expired entry's, else the oldest's. NULL when out of memory. */
static gone_t *slot(secret_gone_t *g, uint64_t now)
{
    if (g->n < g->max) {
        if (g->n == g->cap) {
            size_t cap = g->cap ? g->cap * 2 : 16;
            if (cap > g->max) cap = g->max;
            gone_t *v = realloc(g->v, cap * sizeof *v);
            if (!v) return NULL;
            g->v = v;
            g->cap = cap;
        }
        return &g->v[g->n++];
    }
    size_t oldest = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (expired(g, &g->v[i], now)) return &g->v[i];
        if (g->v[i].at < g->v[oldest].at) oldest = i;
    }
    return &g->v[oldest];
}

int secret_gone_add(secret_gone_t *g, const char *name, uint64_t now)
{
    long i = find(g, name);
    gone_t *e = i >= 0 ? &g->v[i] : slot(g, now);
    if (!e) return -1;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->at = now;
    return 0;
}

void secret_gone_forget(secret_gone_t *g, const char *name)
{
    long i = find(g, name);
    if (i >= 0) drop(g, (size_t)i);
}

bool secret_gone_has(secret_gone_t *g, const char *name, uint64_t now)
{
    long i = find(g, name);
    if (i < 0) return false;
    if (!expired(g, &g->v[i], now)) return true;
    drop(g, (size_t)i);
    return false;
}

size_t secret_gone_count(const secret_gone_t *g)
{
    return g->n;
}
