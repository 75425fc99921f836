/* test_pstats: per-proxy counters (server/pstats.h) and the server-wide
 * ones (server/srv_stats.h): the daily and per-minute rings across time
 * jumps, the table's bound (reuse of the oldest closed entry, NULL when
 * every entry is pinned), handshake reasons under a fixed table, the p2p
 * ring. */
#include <stdlib.h>
#include <string.h>

#include "server/pstats.h"
#include "server/srv_stats.h"
#include "testlib.h"

#define DAY 86400
#define T0 (20000LL * DAY + 3600) /* a day boundary + 1 h */

static void test_rings(void)
{
    pstats_t *t = pstats_create(4);
    pstat_t *st = pstats_open(t, "web", "tcp", "alice", "r1", json_object(), T0);
    CHECK(st != NULL);
    pstat_add(st, PSTAT_IN, 100, T0);
    pstat_add(st, PSTAT_OUT, 7, T0 + 30);
    pstat_add(st, PSTAT_IN, 5, T0 + 60); /* next minute */
    uint64_t m[PSTATS_MINUTES], d[PSTATS_DAYS];
    pstat_minutes(st, PSTAT_IN, T0 + 60, m);
    CHECK_EQ_INT(m[PSTATS_MINUTES - 1], 5);
    CHECK_EQ_INT(m[PSTATS_MINUTES - 2], 100);
    pstat_minutes(st, PSTAT_OUT, T0 + 60, m);
    CHECK_EQ_INT(m[PSTATS_MINUTES - 2], 7);
    /* An hour later the minute ring is empty; the day still counts. */
    pstat_minutes(st, PSTAT_IN, T0 + 3700, m);
    for (int i = 0; i < PSTATS_MINUTES; i++)
        CHECK_EQ_INT(m[i], 0);
    pstat_days(st, PSTAT_IN, T0 + 3700, d);
    CHECK_EQ_INT(d[0], 105);
    /* Two days later: today 1, two days ago 105, between 0. */
    pstat_add(st, PSTAT_IN, 1, T0 + 2 * DAY);
    pstat_days(st, PSTAT_IN, T0 + 2 * DAY, d);
    CHECK_EQ_INT(d[0], 1);
    CHECK_EQ_INT(d[1], 0);
    CHECK_EQ_INT(d[2], 105);
    CHECK_EQ_INT(st->bytes[PSTAT_IN], 106);
    /* A week and more: every old day is gone, totals stay. */
    pstat_days(st, PSTAT_IN, T0 + 10 * DAY, d);
    for (int i = 0; i < PSTATS_DAYS; i++)
        CHECK_EQ_INT(d[i], 0);
    CHECK_EQ_INT(st->bytes[PSTAT_IN], 106);
    pstats_destroy(t);
}

static void test_bound(void)
{
    pstats_t *t = pstats_create(3);
    pstat_t *a = pstats_open(t, "a", "tcp", "", "r", NULL, T0);
    pstat_t *b = pstats_open(t, "b", "tcp", "", "r", NULL, T0);
    pstat_t *c = pstats_open(t, "c", "tcp", "", "r", NULL, T0);
    CHECK(a && b && c);
    CHECK_EQ_INT(pstats_count(t), 3);
    /* Full, every entry online: a fourth goes uncounted. */
    CHECK(pstats_open(t, "d", "tcp", "", "r", json_object(), T0) == NULL);
    /* b closes but still carries a connection: pinned. */
    pstat_conn_open(b);
    pstats_close(b, T0 + 1);
    CHECK(pstats_open(t, "d", "tcp", "", "r", NULL, T0 + 2) == NULL);
    /* c closes later than a; a is the oldest closed one without conns. */
    pstats_close(a, T0 + 3);
    pstats_close(c, T0 + 4);
    pstat_conn_close(b);
    pstat_t *d = pstats_open(t, "d", "udp", "", "r", NULL, T0 + 5);
    CHECK(d == b); /* b closed first (T0+1) and has no connection now */
    CHECK_EQ_STR(d->name, "d");
    CHECK_EQ_INT(d->cur_conns, 0);
    CHECK(pstats_find(t, "b") == NULL);
    CHECK_EQ_INT(pstats_count(t), 3);
    /* A name that comes back finds its old entry and history. */
    pstat_add(a, PSTAT_IN, 9, T0 + 5);
    CHECK(pstats_open(t, "a", "tcp", "", "r2", NULL, T0 + 6) == a);
    CHECK(a->online && a->bytes[PSTAT_IN] == 9);
    CHECK_EQ_STR(a->run_id, "r2");
    pstats_destroy(t);
    pstats_destroy(NULL);
}

static void test_srv_stats(void)
{
    srv_stats_t st;
    CHECK_EQ_INT(srv_stats_init(&st, 1), 0);
    srv_stats_hs_fail(&st, "bad-token");
    srv_stats_hs_fail(&st, "bad-token");
    srv_stats_hs_fail(&st, "made-up-by-a-peer");
    srv_stats_hs_fail(&st, NULL);
    CHECK_EQ_INT(st.handshake_failures[SRV_HS_bad_token], 2);
    CHECK_EQ_INT(st.handshake_failures[SRV_HS_other], 2);
    CHECK_EQ_STR(srv_hs_reason_names[SRV_HS_other], "other");
    srv_stats_vhost_status(&st, 204);
    srv_stats_vhost_status(&st, 502);
    srv_stats_vhost_status(&st, 99);
    srv_stats_vhost_status(&st, 600);
    CHECK_EQ_INT(st.vhost_responses[2], 1);
    CHECK_EQ_INT(st.vhost_responses[5], 1);
    /* The p2p ring keeps the last SRV_P2P_SEEN offers. */
    for (int i = 0; i < SRV_P2P_SEEN + 5; i++)
        srv_stats_p2p_offer(&st, "x", "v", "vr", "or", i, i & 1, 100 + i);
    CHECK_EQ_INT(st.p2p_n, SRV_P2P_SEEN);
    srv_stats_p2p_answer(&st, "vr", SRV_P2P_SEEN + 4, NULL);
    srv_stats_p2p_answer(&st, "vr", SRV_P2P_SEEN + 3, "busy");
    srv_stats_p2p_answer(&st, "vr", 0, NULL); /* long gone: nothing */
    int answered = 0, busy = 0;
    for (int i = 0; i < st.p2p_n; i++) {
        answered += strcmp(st.p2p[i].outcome, "answered") == 0;
        busy += strcmp(st.p2p[i].outcome, "busy") == 0;
    }
    CHECK_EQ_INT(answered, 1);
    CHECK_EQ_INT(busy, 1);
    srv_stats_free(&st);
}

int main(void)
{
    RUN(test_rings);
    RUN(test_bound);
    RUN(test_srv_stats);
    return TEST_SUMMARY();
}
