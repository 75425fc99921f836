/* srv_stats: the server-wide counters the dashboard's API and /metrics
 * read (server/dash.c), kept by the code where each event happens with a
 * plain increment (one loop, no locks).
 *
 * Handshake failures are counted by reason under a fixed table of names
 * (anything else is "other"), so a peer cannot grow the label set; the
 * xtcp pairs the rendezvous forwarded are kept in a ring of the last
 * SRV_P2P_SEEN (oldest replaced). Proxies' counters are pstats.h's. */
#ifndef BURROW_SERVER_SRV_STATS_H
#define BURROW_SERVER_SRV_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "server/p2p_paths.h"
#include "server/pstats.h"

#define SRV_P2P_SEEN 64 /* xtcp pairs remembered for /api/p2p */

/* Handshake failure reasons (gate_finish's, login refusals). */
#define SRV_HS_REASONS(X)                                                                          \
    X(handshake_timeout, "handshake-timeout")                                                      \
    X(bad_magic, "bad-magic")                                                                      \
    X(tls_handshake_failed, "tls-handshake-failed")                                                \
    X(tls_setup_failed, "tls-setup-failed")                                                        \
    X(tls_required, "tls-required")                                                                \
    X(bad_token, "bad-token")                                                                      \
    X(unknown_user, "unknown-user")                                                                \
    X(login_backoff, "login-backoff")                                                              \
    X(bad_login_message, "bad-login-message")                                                      \
    X(bad_work_proof, "bad-work-proof")                                                            \
    X(unknown_run_id, "unknown-run-id")                                                            \
    X(bad_role, "bad-role")                                                                        \
    X(bad_version, "bad-version")                                                                  \
    X(bad_json, "bad-json")                                                                        \
    X(frame_too_large, "frame-too-large")                                                          \
    X(unexpected, "unexpected-frame")                                                              \
    X(eof_before_login, "eof-before-login")                                                        \
    X(read_error, "read-error")                                                                    \
    X(evicted, "evicted")                                                                          \
    X(other, "other")
#define SRV_HS_ENUM_(sym, name) SRV_HS_##sym,
enum { SRV_HS_REASONS(SRV_HS_ENUM_) SRV_HS_COUNT };
#undef SRV_HS_ENUM_
extern const char *const srv_hs_reason_names[SRV_HS_COUNT];

/* One xtcp pair the rendezvous saw; `path` is the last one its clients
 * reported (MSG_P2P_PATH; -1: none yet), kept after the pair ended. */
typedef struct srv_p2p_pair {
    char proxy[128], visitor_user[65], visitor_run_id[33], owner_run_id[33];
    long long sid;
    int64_t offered_at;  /* unix seconds */
    bool relay;          /* a UDP relay allocation came with it */
    const char *outcome; /* "offered", "answered", or the owner's refusal word */
    int path;            /* P2P_PATH_* last reported, -1: unknown */
} srv_p2p_pair_t;

typedef struct srv_stats {
    int64_t started; /* unix seconds */
    uint64_t logins;
    uint64_t handshake_failures[SRV_HS_COUNT];
    uint64_t pool_misses;        /* work conns asked for with none idle */
    uint64_t vhost_responses[6]; /* by status class: [1] 1xx .. [5] 5xx; [0] unused */
    pstats_t *proxies;           /* owned */
    srv_p2p_pair_t p2p[SRV_P2P_SEEN];
    int p2p_next, p2p_n;
    p2p_paths_t paths; /* live pairs' paths as their clients report them */
} srv_stats_t;

/* 0, or -1 when out of memory. */
int srv_stats_init(srv_stats_t *st, int64_t now);
void srv_stats_free(srv_stats_t *st);
/* Counts a failure under reason (a gate_finish reason, or a login refusal). */
void srv_stats_hs_fail(srv_stats_t *st, const char *reason);
void srv_stats_vhost_status(srv_stats_t *st, int status);
/* Records a forwarded offer; returns its slot for the answer. */
srv_p2p_pair_t *srv_stats_p2p_offer(srv_stats_t *st, const char *proxy, const char *visitor_user,
                                    const char *visitor_run_id, const char *owner_run_id,
                                    long long sid, bool relay, int64_t now);
/* The answer to the offer of (visitor_run_id, sid): outcome NULL = answered. */
void srv_stats_p2p_answer(srv_stats_t *st, const char *visitor_run_id, long long sid,
                          const char *refusal);
/* The ring's pair (visitor_run_id, sid), or NULL when it has gone by. */
srv_p2p_pair_t *srv_stats_p2p_find(srv_stats_t *st, const char *visitor_run_id, long long sid);

#endif
