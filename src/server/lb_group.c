/* lb_group: load-balancing groups (lb_group.h). */
#include "server/lb_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/log.h"

static void key_hash(const char *key, uint8_t out[32])
{
    unsigned int len = 32;
    if (!key) key = "";
    if (EVP_Digest(key, strlen(key), out, &len, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32); /* cannot happen with the default provider */
}

lb_group_t *lb_groups_find(const lb_groups_t *t, const char *name)
{
    for (lb_group_t *g = t->head; name && g; g = g->next)
        if (strcmp(g->name, name) == 0) return g;
    return NULL;
}

bool lb_group_key_ok(const lb_group_t *g, const char *key)
{
    uint8_t h[32];
    key_hash(key, h);
    return CRYPTO_memcmp(h, g->key_hash, sizeof h) == 0;
}

static lb_group_t *create(lb_groups_t *t, const char *name, const char *key)
{
    lb_group_t *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    memcpy(g->name, name, strlen(name) + 1);
    key_hash(key, g->key_hash);
    g->next = t->head;
    t->head = g;
    t->n++;
    return g;
}

static bool is_member(const lb_group_t *g, const void *member)
{
    for (int i = 0; i < g->n; i++)
        if (g->members[i] == member) return true;
    return false;
}

int lb_group_join(lb_groups_t *t, const char *name, const char *key, void *member, lb_group_t **out)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > LB_GROUP_NAME_MAX) return LB_ERR_NAME;
    lb_group_t *g = lb_groups_find(t, name);
    int r = LB_JOINED;
    if (g && !lb_group_key_ok(g, key)) return LB_ERR_KEY;
    if (g && g->n >= LB_GROUP_MEMBERS_MAX) return LB_ERR_FULL;
    if (!g) {
        if (!(g = create(t, name, key))) return LB_ERR_NOMEM;
        r = LB_CREATED;
    }
    if (!is_member(g, member)) g->members[g->n++] = member;
    *out = g;
    return r;
}

static void unlink_group(lb_groups_t *t, lb_group_t *g)
{
    for (lb_group_t **pp = &t->head; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            t->n--;
            return;
        }
}

int lb_group_leave(lb_groups_t *t, lb_group_t *g, void *member)
{
    for (int i = 0; i < g->n; i++) {
        if (g->members[i] != member) continue;
        memmove(&g->members[i], &g->members[i + 1], (size_t)(g->n - i - 1) * sizeof g->members[0]);
        g->n--;
        /* keep the turn: the member after the one that left is next */
        if ((unsigned)i < g->cursor) g->cursor--;
        if (g->cursor >= (unsigned)g->n) g->cursor = 0;
        break;
    }
    if (g->n > 0) return g->n;
    unlink_group(t, g);
    free(g);
    return 0;
}

void *lb_group_next(lb_group_t *g)
{
    if (g->n == 0) return NULL;
    void *m = g->members[g->cursor % (unsigned)g->n];
    g->cursor = (g->cursor + 1) % (unsigned)g->n;
    return m;
}

int lb_group_join_error(int r, const char *group, char *err, size_t errlen)
{
    if (r == LB_ERR_KEY)
        snprintf(err, errlen, "wrong groupKey for load-balancing group %s", LOG_ESC(group));
    else if (r == LB_ERR_FULL)
        snprintf(err, errlen, "load-balancing group %s is full (%d proxies)", LOG_ESC(group),
                 LB_GROUP_MEMBERS_MAX);
    else
        snprintf(err, errlen, "%s", r == LB_ERR_NAME ? "invalid group name" : "out of memory");
    return -1;
}
