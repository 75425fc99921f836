/* test_tunnels: net/tunnels.c on a real loop. Four clients x1..x4 dial a
 * listener; the accepted sides are joined pairwise as two tunnels of one
 * set (s1=s2, s3=s4). A tunnel whose users leave drops out of the set by
 * itself; tunnels_end_all ends the rest, each relay closing its conns, so
 * the set empties and the loop runs dry. */
#include "net/tunnels.h"
#include "netlib.h"
#include "testlib.h"

typedef struct rig {
    nl_server_t s;
    nl_end_t x[4], sv[4];
    tunnels_t set;
} rig_t;

/* Runs the loop until the set holds `n` tunnels or the watchdog fires. */
static bool run_until_n(const tunnels_t *set, int n)
{
    nl_timed_out = false;
    uv_timer_start(&nl_watchdog, nl_on_watchdog, NL_WATCHDOG_MS, 0);
    while (set->n != n && !nl_timed_out)
        uv_run(&nl_loop, UV_RUN_ONCE);
    uv_timer_stop(&nl_watchdog);
    return set->n == n;
}

static int tag_a, tag_b; /* tunnels_relay_tagged's marks */

static bool rig_up_tagged(rig_t *r, bool tagged)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 4; i++) {
        nl_end_init(&r->x[i]);
        nl_end_init(&r->sv[i]);
        r->s.next[i] = &r->sv[i];
    }
    r->s.started = true;
    nl_setup();
    if (nl_listen(&r->s, 0) != 0) return false;
    for (int i = 0; i < 4; i++)
        if (nl_dial(&r->s, &r->x[i], NULL) != 0 || !nl_run_until(&r->s.accepted, i + 1) ||
            !nl_run_until(&r->x[i].ready, 1))
            return false;
    tunnels_relay_tagged(&r->set, r->sv[0].c, r->sv[1].c, (const uint8_t *)"hi", 2, "test",
                         tagged ? &tag_a : NULL);
    tunnels_relay_tagged(&r->set, r->sv[2].c, r->sv[3].c, NULL, 0, "test", tagged ? &tag_b : NULL);
    return r->set.n == 2;
}

static bool rig_up(rig_t *r)
{
    return rig_up_tagged(r, false);
}

static void rig_down(rig_t *r)
{
    for (int i = 0; i < 4; i++)
        conn_close(r->x[i].c);
    listener_close(&r->s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK(r->set.head == NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(r->sv[i].closed, 0); /* the relays replaced their callbacks */
        CHECK_EQ_INT(r->x[i].after_close, 0);
        nl_end_free(&r->x[i]);
        nl_end_free(&r->sv[i]);
    }
}

static void test_relays_then_end_all(void)
{
    rig_t r;
    CHECK(rig_up(&r));
    /* Both carry bytes: the early ones first, then each way. */
    CHECK(nl_run_until_len(&r.x[1].got_len, 2));
    CHECK(memcmp(r.x[1].got, "hi", 2) == 0);
    CHECK_EQ_INT(conn_write(r.x[2].c, "abc", 3), 0);
    CHECK(nl_run_until_len(&r.x[3].got_len, 3));
    CHECK(memcmp(r.x[3].got, "abc", 3) == 0);
    /* The first tunnel's users leave: it leaves the set by itself. */
    conn_close(r.x[0].c);
    conn_close(r.x[1].c);
    CHECK(run_until_n(&r.set, 1));
    /* Stop: the second ends, its users see the end. */
    tunnels_end_all(&r.set);
    CHECK(run_until_n(&r.set, 0));
    CHECK(nl_run_until_end(&r.x[2]));
    CHECK(nl_run_until_end(&r.x[3]));
    rig_down(&r);
}

/* A reload removing one proxy ends its tunnels only (client/reload.c). */
static void test_end_tag(void)
{
    rig_t r;
    CHECK(rig_up_tagged(&r, true));
    CHECK_EQ_INT(tunnels_end_tag(&r.set, NULL), 0);
    CHECK_EQ_INT(tunnels_end_tag(&r.set, &r), 0);
    CHECK_EQ_INT(tunnels_end_tag(&r.set, &tag_b), 1);
    CHECK(run_until_n(&r.set, 1));
    CHECK(nl_run_until_end(&r.x[2]));
    CHECK(nl_run_until_end(&r.x[3]));
    /* The other still carries bytes. */
    CHECK(nl_run_until_len(&r.x[1].got_len, 2));
    CHECK_EQ_INT(conn_write(r.x[0].c, "xyz", 3), 0);
    CHECK(nl_run_until_len(&r.x[1].got_len, 5));
    CHECK(memcmp(r.x[1].got, "hixyz", 5) == 0);
    tunnels_end_all(&r.set);
    CHECK(run_until_n(&r.set, 0));
    rig_down(&r);
}

static void test_end_all_empty(void)
{
    tunnels_t set = {0};
    tunnels_end_all(&set); /* nothing to end */
    CHECK_EQ_INT(set.n, 0);
}

int main(void)
{
    RUN(test_relays_then_end_all);
    RUN(test_end_tag);
    RUN(test_end_all_empty);
    return TEST_SUMMARY();
}
