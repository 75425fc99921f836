/* lb_group: the server's load-balancing groups (frp's loadBalancer.group
 * and groupKey), pure: no sockets, no loop.
 *
 * A group is a name, the SHA-256 of its key and its members (proxies,
 * borrowed: each leaves before it goes away). The first proxy that names
 * a group creates it with its key; later ones join when their key is the
 * same (compared in constant time over the hashes: the key is a secret and
 * is never kept). New user connections go to the members in turn (round
 * robin; frp picks at random for tcp). A table holds the groups of one
 * namespace (tcp groups and http groups are separate, as in frp); a group
 * is freed when its last member leaves.
 *
 * What the group serves (a tcp listener, an http site) is the owner's,
 * kept in `data`; the table never touches it. */
#ifndef BURROW_LB_GROUP_H
#define BURROW_LB_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LB_GROUP_MEMBERS_MAX 32 /* proxies in one group; one more is refused */
#define LB_GROUP_NAME_MAX 64    /* bytes of a group name (config_lb.c checks it too) */

typedef struct lb_group {
    struct lb_group *next;
    char name[LB_GROUP_NAME_MAX + 1];
    uint8_t key_hash[32];                /* SHA-256 of groupKey */
    void *members[LB_GROUP_MEMBERS_MAX]; /* borrowed, in join order */
    int n;
    unsigned cursor; /* the next member to serve, modulo n */
    void *data;      /* the owner's (what the group serves) */
} lb_group_t;

/* Zero-initialise; every group is freed when its last member leaves. */
typedef struct lb_groups {
    lb_group_t *head;
    int n;
} lb_groups_t;

/* lb_group_join results */
#define LB_JOINED 0      /* member added to an existing group */
#define LB_CREATED 1     /* a new group with this member; set its data */
#define LB_ERR_KEY (-1)  /* the group exists with another key */
#define LB_ERR_FULL (-2) /* LB_GROUP_MEMBERS_MAX members already */
#define LB_ERR_NAME (-3) /* empty or longer than LB_GROUP_NAME_MAX */
#define LB_ERR_NOMEM (-4)

lb_group_t *lb_groups_find(const lb_groups_t *t, const char *name);
/* Whether `key` (NULL = "") is g's key (constant time). */
bool lb_group_key_ok(const lb_group_t *g, const char *key);
/* Adds member to the group `name`, creating it with `key` when there is
 * none. *out is the group on success. A member is added once only. */
int lb_group_join(lb_groups_t *t, const char *name, const char *key, void *member,
                  lb_group_t **out);
/* Removes member from g; returns the members left. At 0 the group is
 * unlinked and freed (read g->data first). */
int lb_group_leave(lb_groups_t *t, lb_group_t *g, void *member);
/* The member to serve the next connection (round robin), or NULL when g
 * has none. */
void *lb_group_next(lb_group_t *g);
/* The refusal for a client whose join of `group` failed with r (<0),
 * written into err; returns -1. */
int lb_group_join_error(int r, const char *group, char *err, size_t errlen);

#endif
