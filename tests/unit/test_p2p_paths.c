/* test_p2p_paths: path words, insert/update by key, the pair's row (the
 * visitor's report over the owner's), "closed" and session drops, and both
 * bounds (P2P_PATHS_PER_SESSION, P2P_PATHS_MAX) hit and counted. */
#include "server/p2p_paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static p2p_path_rec_t rec(const char *reporter, const char *vrun, long long sid, int path,
                          bool by_owner)
{
    p2p_path_rec_t r = {.sid = sid, .path = path, .by_owner = by_owner, .rtt_us = 100};
    snprintf(r.reporter, sizeof r.reporter, "%s", reporter);
    snprintf(r.proxy, sizeof r.proxy, "%s", "ssh");
    snprintf(r.visitor_run_id, sizeof r.visitor_run_id, "%s", vrun);
    return r;
}

static int used(const p2p_paths_t *t)
{
    int n = 0;
    for (int i = 0; i < P2P_PATHS_MAX; i++)
        n += t->rec[i].used;
    return n;
}

static int rows(const p2p_paths_t *t, int *path)
{
    int n = 0;
    for (int i = 0; i < P2P_PATHS_MAX; i++)
        if (p2p_paths_is_row(t, i)) {
            n++;
            if (path) *path = t->rec[i].path;
        }
    return n;
}

static void test_words(void)
{
    CHECK_EQ_INT(p2p_path_index("direct"), P2P_PATH_direct);
    CHECK_EQ_INT(p2p_path_index("direct-tcp"), P2P_PATH_direct_tcp);
    CHECK_EQ_INT(p2p_path_index("relay"), P2P_PATH_relay);
    CHECK_EQ_INT(p2p_path_index("stcp"), P2P_PATH_stcp);
    CHECK_EQ_INT(p2p_path_index("closed"), -1); /* a command, not a path */
    CHECK_EQ_INT(p2p_path_index("Direct"), -1);
    CHECK_EQ_INT(p2p_path_index(""), -1);
    CHECK_EQ_INT(p2p_path_index(NULL), -1);
}

static void test_pair_rows(void)
{
    p2p_paths_t *t = calloc(1, sizeof *t);
    p2p_path_rec_t o = rec("own", "vis", 1, P2P_PATH_relay, true);
    CHECK_EQ_INT(p2p_paths_set(t, &o), 0);
    int path = -1;
    CHECK_EQ_INT(rows(t, &path), 1); /* the owner's alone is the row */
    CHECK_EQ_INT(path, P2P_PATH_relay);
    p2p_path_rec_t v = rec("vis", "vis", 1, P2P_PATH_direct, false);
    CHECK_EQ_INT(p2p_paths_set(t, &v), 0);
    CHECK_EQ_INT(used(t), 2);
    CHECK_EQ_INT(rows(t, &path), 1); /* the visitor's wins */
    CHECK_EQ_INT(path, P2P_PATH_direct);
    v.path = P2P_PATH_direct_tcp; /* an update, not a second record */
    CHECK_EQ_INT(p2p_paths_set(t, &v), 0);
    CHECK_EQ_INT(used(t), 2);
    CHECK_EQ_INT(rows(t, &path), 1);
    CHECK_EQ_INT(path, P2P_PATH_direct_tcp);
    p2p_path_rec_t v2 = rec("vis", "vis", 2, P2P_PATH_relay, false); /* another pair */
    CHECK_EQ_INT(p2p_paths_set(t, &v2), 0);
    CHECK_EQ_INT(rows(t, NULL), 2);
    p2p_paths_drop(t, "vis", "ssh", "vis", 1); /* "closed" */
    CHECK_EQ_INT(rows(t, &path), 2);           /* the owner's shows again, and pair 2 */
    p2p_paths_drop(t, "vis", "ssh", "vis", 9); /* unknown: nothing */
    CHECK_EQ_INT(used(t), 2);
    p2p_paths_drop_session(t, "own");
    CHECK_EQ_INT(used(t), 1);
    CHECK_EQ_INT(rows(t, &path), 1);
    CHECK_EQ_INT(path, P2P_PATH_relay);
    CHECK_EQ_INT(t->refused, 0);
    free(t);
}

/* One session's share is P2P_PATHS_PER_SESSION; updates still pass. */
static void test_bound_session(void)
{
    p2p_paths_t *t = calloc(1, sizeof *t);
    for (int i = 0; i < P2P_PATHS_PER_SESSION; i++) {
        p2p_path_rec_t r = rec("a", "a", i, P2P_PATH_relay, false);
        CHECK_EQ_INT(p2p_paths_set(t, &r), 0);
    }
    p2p_path_rec_t r = rec("a", "a", 999, P2P_PATH_relay, false);
    CHECK_EQ_INT(p2p_paths_set(t, &r), -1);
    CHECK_EQ_INT(t->refused, 1);
    r.sid = 3, r.path = P2P_PATH_direct; /* a known pair is updated */
    CHECK_EQ_INT(p2p_paths_set(t, &r), 0);
    r = rec("b", "b", 999, P2P_PATH_relay, false); /* another session has room */
    CHECK_EQ_INT(p2p_paths_set(t, &r), 0);
    CHECK_EQ_INT(used(t), P2P_PATHS_PER_SESSION + 1);
    free(t);
}

/* The whole table: P2P_PATHS_MAX records, then refusals until one goes. */
static void test_bound_table(void)
{
    p2p_paths_t *t = calloc(1, sizeof *t);
    char who[16];
    int stored = 0;
    for (int s = 0; s < P2P_PATHS_MAX / P2P_PATHS_PER_SESSION + 1; s++) {
        snprintf(who, sizeof who, "s%d", s);
        for (int i = 0; i < P2P_PATHS_PER_SESSION; i++) {
            p2p_path_rec_t r = rec(who, who, i, P2P_PATH_relay, false);
            stored += p2p_paths_set(t, &r) == 0;
        }
    }
    CHECK_EQ_INT(stored, P2P_PATHS_MAX);
    CHECK_EQ_INT(used(t), P2P_PATHS_MAX);
    CHECK_EQ_INT((int)t->refused, P2P_PATHS_PER_SESSION);
    p2p_paths_drop_session(t, "s0");
    p2p_path_rec_t r = rec("late", "late", 1, P2P_PATH_stcp, false);
    CHECK_EQ_INT(p2p_paths_set(t, &r), 0);
    free(t);
}

int main(void)
{
    RUN(test_words);
    RUN(test_pair_rows);
    RUN(test_bound_session);
    RUN(test_bound_table);
    return TEST_SUMMARY();
}
