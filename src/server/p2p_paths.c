/* p2p_paths: see p2p_paths.h. A linear table: at most P2P_PATHS_MAX
 * records, touched only by reports (rate-limited per session) and the
 * dashboard's reads. */
#include "server/p2p_paths.h"

#include <stdio.h>
#include <string.h>

#define P2P_PATH_NAME_(sym, name) [P2P_PATH_##sym] = name,
const char *const p2p_path_names[P2P_PATH_COUNT] = {P2P_PATH_NAMES(P2P_PATH_NAME_)};
#undef P2P_PATH_NAME_

int p2p_path_index(const char *word)
{
    for (int i = 0; word && i < P2P_PATH_COUNT; i++)
        if (strcmp(p2p_path_names[i], word) == 0) return i;
    return -1;
}

static bool same_key(const p2p_path_rec_t *a, const char *reporter, const char *proxy,
                     const char *visitor_run_id, long long sid)
{
    return a->used && a->sid == sid && strcmp(a->reporter, reporter) == 0 &&
           strcmp(a->proxy, proxy) == 0 && strcmp(a->visitor_run_id, visitor_run_id) == 0;
}

static p2p_path_rec_t *find(p2p_paths_t *t, const char *reporter, const char *proxy,
                            const char *visitor_run_id, long long sid)
{
    for (int i = 0; i < P2P_PATHS_MAX; i++)
        if (same_key(&t->rec[i], reporter, proxy, visitor_run_id, sid)) return &t->rec[i];
    return NULL;
}

/* A free slot when the table and the reporter's share have room. */
static p2p_path_rec_t *room(p2p_paths_t *t, const char *reporter)
{
    p2p_path_rec_t *free_slot = NULL;
    int mine = 0;
    for (int i = 0; i < P2P_PATHS_MAX; i++) {
        if (!t->rec[i].used)
            free_slot = free_slot ? free_slot : &t->rec[i];
        else if (strcmp(t->rec[i].reporter, reporter) == 0)
            mine++;
    }
    return mine < P2P_PATHS_PER_SESSION ? free_slot : NULL;
}

int p2p_paths_set(p2p_paths_t *t, const p2p_path_rec_t *r)
{
    p2p_path_rec_t *e = find(t, r->reporter, r->proxy, r->visitor_run_id, r->sid);
    if (!e && !(e = room(t, r->reporter))) {
        t->refused++;
        return -1;
    }
    *e = *r;
    e->used = true;
    /* terminated copies of what may have come unterminated */
    e->reporter[sizeof e->reporter - 1] = e->proxy[sizeof e->proxy - 1] = '\0';
    e->visitor_run_id[sizeof e->visitor_run_id - 1] = '\0';
    e->visitor_user[sizeof e->visitor_user - 1] = e->owner_user[sizeof e->owner_user - 1] = '\0';
    e->owner_run_id[sizeof e->owner_run_id - 1] = '\0';
    return 0;
}

void p2p_paths_drop(p2p_paths_t *t, const char *reporter, const char *proxy,
                    const char *visitor_run_id, long long sid)
{
    p2p_path_rec_t *e = find(t, reporter, proxy, visitor_run_id, sid);
    if (e) memset(e, 0, sizeof *e);
}

void p2p_paths_drop_session(p2p_paths_t *t, const char *reporter)
{
    for (int i = 0; i < P2P_PATHS_MAX; i++)
        if (t->rec[i].used && strcmp(t->rec[i].reporter, reporter) == 0)
            memset(&t->rec[i], 0, sizeof t->rec[i]);
}

bool p2p_paths_is_row(const p2p_paths_t *t, int i)
{
    const p2p_path_rec_t *r = &t->rec[i];
    if (!r->used) return false;
    if (!r->by_owner) return true;
    for (int k = 0; k < P2P_PATHS_MAX; k++) {
        const p2p_path_rec_t *v = &t->rec[k];
        if (v->used && !v->by_owner && v->sid == r->sid &&
            strcmp(v->visitor_run_id, r->visitor_run_id) == 0 && strcmp(v->proxy, r->proxy) == 0)
            return false;
    }
    return true;
}
