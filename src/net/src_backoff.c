/* src_backoff: see src_backoff.h. A set-associative table: the key's hash
 * picks a set of SRC_BACKOFF_WAYS entries, searched linearly. */
#include "net/src_backoff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/src_limit.h"

typedef struct bo_entry {
    unsigned char key[16];
    uint64_t last_fail; /* 0: the entry is free */
    uint64_t until;     /* barred until then */
    int fails;
} bo_entry_t;

struct src_backoff {
    bo_entry_t *e;
    size_t nsets;
    uint64_t seed;
};

src_backoff_t *src_backoff_create(size_t max_sources)
{
    size_t nsets = 1;
    while (nsets * SRC_BACKOFF_WAYS < max_sources)
        nsets *= 2;
    src_backoff_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->e = calloc(nsets * SRC_BACKOFF_WAYS, sizeof *t->e);
    if (!t->e) {
        free(t);
        return NULL;
    }
    t->nsets = nsets;
    if (uv_random(NULL, NULL, &t->seed, sizeof t->seed, 0, NULL) != 0) t->seed = (uintptr_t)t;
    return t;
}

void src_backoff_destroy(src_backoff_t *t)
{
    if (!t) return;
    free(t->e);
    free(t);
}

static bo_entry_t *set_of(const src_backoff_t *t, const unsigned char key[16])
{
    uint64_t h = src_limit_hash(t->seed, key);
    return &t->e[((h ^ (h >> 29)) & (t->nsets - 1)) * SRC_BACKOFF_WAYS];
}

static bool forgotten(const bo_entry_t *e, uint64_t now)
{
    return e->last_fail == 0 || now - e->last_fail >= SRC_BACKOFF_FORGET_MS;
}

/* The live entry for sa, or NULL. */
static bo_entry_t *find(const src_backoff_t *t, const struct sockaddr *sa, uint64_t now)
{
    unsigned char key[16];
    if (src_limit_key(sa, key) != 0) return NULL;
    bo_entry_t *set = set_of(t, key);
    for (int i = 0; i < SRC_BACKOFF_WAYS; i++)
        if (!forgotten(&set[i], now) && memcmp(set[i].key, key, 16) == 0) return &set[i];
    return NULL;
}

/* A fresh entry for sa: a forgotten one, else the stalest in the set. */
static bo_entry_t *claim(src_backoff_t *t, const struct sockaddr *sa, uint64_t now)
{
    unsigned char key[16];
    if (src_limit_key(sa, key) != 0) return NULL;
    bo_entry_t *set = set_of(t, key), *pick = &set[0];
    for (int i = 0; i < SRC_BACKOFF_WAYS; i++) {
        if (forgotten(&set[i], now)) {
            pick = &set[i];
            break;
        }
        if (set[i].last_fail < pick->last_fail) pick = &set[i];
    }
    memset(pick, 0, sizeof *pick);
    memcpy(pick->key, key, 16);
    return pick;
}

uint64_t src_backoff_wait(src_backoff_t *t, const struct sockaddr *sa, uint64_t now)
{
    bo_entry_t *e = find(t, sa, now);
    return e && e->until > now ? e->until - now : 0;
}

uint64_t src_backoff_fail(src_backoff_t *t, const struct sockaddr *sa, uint64_t now)
{
    bo_entry_t *e = find(t, sa, now);
    if (!e) e = claim(t, sa, now);
    if (!e) return 0;
    e->last_fail = now ? now : 1;
    e->fails++;
    if (e->fails <= SRC_BACKOFF_FREE) return 0;
    uint64_t d = SRC_BACKOFF_BASE_MS;
    for (int i = SRC_BACKOFF_FREE + 1; i < e->fails && d < SRC_BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > SRC_BACKOFF_MAX_MS) d = SRC_BACKOFF_MAX_MS;
    e->until = now + d;
    return d;
}

void src_backoff_success(src_backoff_t *t, const struct sockaddr *sa)
{
    unsigned char key[16];
    if (src_limit_key(sa, key) != 0) return;
    bo_entry_t *set = set_of(t, key);
    for (int i = 0; i < SRC_BACKOFF_WAYS; i++)
        if (set[i].last_fail && memcmp(set[i].key, key, 16) == 0) memset(&set[i], 0, sizeof set[i]);
}

int src_backoff_failures(const src_backoff_t *t, const struct sockaddr *sa, uint64_t now)
{
    const bo_entry_t *e = find(t, sa, now);
    return e ? e->fails : 0;
}
