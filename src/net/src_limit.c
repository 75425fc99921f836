/* src_limit: see src_limit.h. A chained hash over a preallocated entry
 * array: entries link by index, free ones form a list, a source whose count
 * drops to zero is unlinked at once. */
#include "net/src_limit.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define SRC_NONE UINT32_MAX

typedef struct src_entry {
    uint8_t key[16];
    uint32_t next; /* in its bucket, or in the free list */
    int count;
} src_entry_t;

struct src_limit {
    src_entry_t *entries;
    uint32_t *buckets;
    uint32_t mask; /* buckets - 1 */
    uint32_t free_head;
    size_t max, used;
    uint64_t seed;
};

/* IPv4 as itself; IPv6 as its /64, with the remaining bytes zero and a
 * marker so the two families never collide. */
int src_limit_key(const struct sockaddr *sa, unsigned char key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, v4mapped, 12) == 0) {
            memcpy(key, a + 12, 4);
            return 0;
        }
        memcpy(key, a, 8);
        key[15] = 6;
        return 0;
    }
    return -1;
}

uint64_t src_limit_hash(uint64_t seed, const unsigned char key[16])
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (int i = 0; i < 16; i++) {
        h ^= key[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint32_t src_hash(const src_limit_t *t, const uint8_t key[16])
{
    uint64_t h = src_limit_hash(t->seed, key);
    return (uint32_t)(h ^ (h >> 32)) & t->mask;
}

src_limit_t *src_limit_create(size_t max_sources)
{
    if (max_sources == 0 || max_sources >= SRC_NONE / 2) return NULL;
    src_limit_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    size_t nb = 16;
    while (nb < max_sources)
        nb *= 2;
    t->entries = calloc(max_sources, sizeof *t->entries);
    t->buckets = malloc(nb * sizeof *t->buckets);
    if (!t->entries || !t->buckets) {
        src_limit_destroy(t);
        return NULL;
    }
    for (size_t i = 0; i < nb; i++)
        t->buckets[i] = SRC_NONE;
    for (size_t i = 0; i < max_sources; i++)
        t->entries[i].next = i + 1 < max_sources ? (uint32_t)(i + 1) : SRC_NONE;
    t->free_head = 0;
    t->mask = (uint32_t)(nb - 1);
    t->max = max_sources;
    if (uv_random(NULL, NULL, &t->seed, sizeof t->seed, 0, NULL) != 0) t->seed = (uintptr_t)t;
    return t;
}

void src_limit_destroy(src_limit_t *t)
{
    if (!t) return;
    free(t->entries);
    free(t->buckets);
    free(t);
}

/* The slot that points at key's entry (or at SRC_NONE where it would go). */
static uint32_t *src_find(const src_limit_t *t, const uint8_t key[16])
{
    uint32_t *link = &t->buckets[src_hash(t, key)];
    while (*link != SRC_NONE && memcmp(t->entries[*link].key, key, 16) != 0)
        link = &t->entries[*link].next;
    return link;
}

int src_limit_acquire(src_limit_t *t, const struct sockaddr *sa)
{
    uint8_t key[16];
    if (src_limit_key(sa, key) != 0) return -1;
    uint32_t *link = src_find(t, key);
    if (*link != SRC_NONE) return ++t->entries[*link].count;
    if (t->free_head == SRC_NONE) return -1;
    uint32_t i = t->free_head;
    src_entry_t *e = &t->entries[i];
    t->free_head = e->next;
    memcpy(e->key, key, 16);
    e->count = 1;
    e->next = SRC_NONE;
    *link = i;
    t->used++;
    return 1;
}

void src_limit_release(src_limit_t *t, const struct sockaddr *sa)
{
    uint8_t key[16];
    if (src_limit_key(sa, key) != 0) return;
    uint32_t *link = src_find(t, key);
    if (*link == SRC_NONE) return;
    uint32_t i = *link;
    src_entry_t *e = &t->entries[i];
    if (--e->count > 0) return;
    *link = e->next;
    e->next = t->free_head;
    t->free_head = i;
    t->used--;
}

int src_limit_count(const src_limit_t *t, const struct sockaddr *sa)
{
    uint8_t key[16];
    if (src_limit_key(sa, key) != 0) return 0;
    uint32_t i = *src_find(t, key);
    return i == SRC_NONE ? 0 : t->entries[i].count;
}

size_t src_limit_sources(const src_limit_t *t)
{
    return t->used;
}
