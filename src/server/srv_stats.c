/* srv_stats: see srv_stats.h. */
#include "server/srv_stats.h"

#include <stdio.h>
#include <string.h>

#define SRV_HS_NAME_(sym, name) [SRV_HS_##sym] = name,
const char *const srv_hs_reason_names[SRV_HS_COUNT] = {SRV_HS_REASONS(SRV_HS_NAME_)};
#undef SRV_HS_NAME_

int srv_stats_init(srv_stats_t *st, int64_t now)
{
    memset(st, 0, sizeof *st);
    st->started = now;
    st->proxies = pstats_create(PSTATS_MAX);
    return st->proxies ? 0 : -1;
}

void srv_stats_free(srv_stats_t *st)
{
    pstats_destroy(st->proxies);
    st->proxies = NULL;
}

void srv_stats_hs_fail(srv_stats_t *st, const char *reason)
{
    int i = SRV_HS_other;
    for (int k = 0; reason && k < SRV_HS_COUNT; k++)
        if (strcmp(srv_hs_reason_names[k], reason) == 0) i = k;
    st->handshake_failures[i]++;
}

void srv_stats_vhost_status(srv_stats_t *st, int status)
{
    int cls = status / 100;
    if (cls >= 1 && cls <= 5) st->vhost_responses[cls]++;
}

srv_p2p_pair_t *srv_stats_p2p_offer(srv_stats_t *st, const char *proxy, const char *visitor_user,
                                    const char *visitor_run_id, const char *owner_run_id,
                                    long long sid, bool relay, int64_t now)
{
    srv_p2p_pair_t *p = &st->p2p[st->p2p_next];
    st->p2p_next = (st->p2p_next + 1) % SRV_P2P_SEEN;
    if (st->p2p_n < SRV_P2P_SEEN) st->p2p_n++;
    memset(p, 0, sizeof *p);
    snprintf(p->proxy, sizeof p->proxy, "%s", proxy);
    snprintf(p->visitor_user, sizeof p->visitor_user, "%s", visitor_user);
    snprintf(p->visitor_run_id, sizeof p->visitor_run_id, "%s", visitor_run_id);
    snprintf(p->owner_run_id, sizeof p->owner_run_id, "%s", owner_run_id);
    p->sid = sid;
    p->relay = relay;
    p->offered_at = now;
    p->outcome = "offered";
    p->path = -1;
    return p;
}

srv_p2p_pair_t *srv_stats_p2p_find(srv_stats_t *st, const char *visitor_run_id, long long sid)
{
    for (int i = 0; i < st->p2p_n; i++) {
        srv_p2p_pair_t *p = &st->p2p[i];
        if (p->sid == sid && strcmp(p->visitor_run_id, visitor_run_id) == 0) return p;
    }
    return NULL;
}

void srv_stats_p2p_answer(srv_stats_t *st, const char *visitor_run_id, long long sid,
                          const char *refusal)
{
    srv_p2p_pair_t *p = srv_stats_p2p_find(st, visitor_run_id, sid);
    if (p) p->outcome = refusal ? refusal : "answered";
}
