/* p2p_paths: the path each live xtcp pair runs on, as its clients report it
 * (MSG_P2P_PATH, server/p2p_rdv.c), for the dashboard and /metrics.
 *
 * One record per (reporting session, proxy, pair), the pair named by the
 * visitor's run id and sid; both ends may report the same pair (the
 * visitor decides the path, the owner follows), and the dashboard shows
 * one row per pair (the visitor's record, else the owner's:
 * p2p_paths_is_row). The table is bounded: P2P_PATHS_MAX records in all,
 * P2P_PATHS_PER_SESSION per reporting session (a client runs at most
 * CXTCP_MAX pairs); a record beyond either is refused and counted. A
 * record goes when its pair reports "closed" or its session ends
 * (p2p_paths_drop_session). Path words come from a fixed table, so
 * /metrics' label set cannot grow. Pure; strings are copied (truncated). */
#ifndef BURROW_SERVER_P2P_PATHS_H
#define BURROW_SERVER_P2P_PATHS_H

#include <stdbool.h>
#include <stdint.h>

#define P2P_PATHS_MAX 256
#define P2P_PATHS_PER_SESSION 32

/* The path words a client may report; "closed" ends the record. */
#define P2P_PATH_NAMES(X)                                                                          \
    X(direct, "direct")                                                                            \
    X(direct_tcp, "direct-tcp")                                                                    \
    X(relay, "relay")                                                                              \
    X(stcp, "stcp")
#define P2P_PATH_ENUM_(sym, name) P2P_PATH_##sym,
enum { P2P_PATH_NAMES(P2P_PATH_ENUM_) P2P_PATH_COUNT };
#undef P2P_PATH_ENUM_
extern const char *const p2p_path_names[P2P_PATH_COUNT];
#define P2P_PATH_CLOSED "closed"

typedef struct p2p_path_rec {
    bool used;
    bool by_owner;           /* reported by the owner's session, else the visitor's */
    char reporter[33];       /* the reporting session's run id */
    char proxy[128];         /* the owner's proxy (wire name) */
    char visitor_run_id[33]; /* the pair: the visitor's session ... */
    long long sid;           /* ... and its offer's sid */
    char visitor_user[65], owner_user[65], owner_run_id[33];
    int path; /* P2P_PATH_* */
    uint64_t rtt_us;
    int64_t since_ms; /* unix ms: on this path since */
} p2p_path_rec_t;

typedef struct p2p_paths {
    p2p_path_rec_t rec[P2P_PATHS_MAX];
    uint64_t refused; /* records refused: table or session full */
} p2p_paths_t;

/* P2P_PATH_* for a reported word, -1 for anything else (NULL too). */
int p2p_path_index(const char *word);
/* Inserts or updates r's record (key: reporter, proxy, visitor_run_id,
 * sid). 0, or -1 when the table or r's session is full (counted). */
int p2p_paths_set(p2p_paths_t *t, const p2p_path_rec_t *r);
/* Drops the record of that key, if any. */
void p2p_paths_drop(p2p_paths_t *t, const char *reporter, const char *proxy,
                    const char *visitor_run_id, long long sid);
/* Drops every record a session reported. */
void p2p_paths_drop_session(p2p_paths_t *t, const char *reporter);
/* Whether record i (used) is its pair's row: the visitor's report, or the
 * owner's when the visitor has none. */
bool p2p_paths_is_row(const p2p_paths_t *t, int i);

#endif
