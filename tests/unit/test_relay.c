/* test_relay: relay.c end to end on a real loop. Two clients x1, x2 dial a
 * listener; the accepted sides s1, s2 are joined by a relay, so bytes from
 * x1 must come out at x2 and back. Checks bytes before the relay, data both
 * ways, half-close in either order, backpressure without loss, and an abort;
 * `done` runs exactly once with the byte counts. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/relay.h"
#include "netlib.h"
#include "testlib.h"

typedef struct rig {
    nl_server_t s;
    nl_end_t x1, x2, s1, s2;
    int done;
    uint64_t a_to_b, b_to_a;
} rig_t;

static void on_done(void *ctx, uint64_t a_to_b, uint64_t b_to_a)
{
    rig_t *r = ctx;
    r->done++;
    r->a_to_b = a_to_b;
    r->b_to_a = b_to_a;
}

/* x1 <-> s1 =relay= s2 <-> x2, with `pre` bytes from s1's side first. */
static bool rig_up(rig_t *r, const char *pre)
{
    memset(r, 0, sizeof *r);
    nl_end_init(&r->x1);
    nl_end_init(&r->x2);
    nl_end_init(&r->s1);
    nl_end_init(&r->s2);
    r->s.started = true;
    r->s.next[0] = &r->s1;
    r->s.next[1] = &r->s2;
    nl_setup();
    if (nl_listen(&r->s, 0) != 0 || nl_dial(&r->s, &r->x1, NULL) != 0 ||
        !nl_run_until(&r->s.accepted, 1) || nl_dial(&r->s, &r->x2, NULL) != 0 ||
        !nl_run_until(&r->s.accepted, 2) || !nl_run_until(&r->x2.ready, 1))
        return false;
    size_t n = pre ? strlen(pre) : 0;
    return relay_start(r->s1.c, r->s2.c, (const uint8_t *)pre, n, on_done, r) != NULL;
}

static void rig_down(rig_t *r)
{
    conn_close(r->x1.c);
    conn_close(r->x2.c);
    listener_close(&r->s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK_EQ_INT(r->done, 1);
    CHECK_EQ_INT(r->x1.after_close + r->x2.after_close, 0);
    nl_end_free(&r->x1);
    nl_end_free(&r->x2);
    nl_end_free(&r->s1);
    nl_end_free(&r->s2);
}

static void test_both_ways_then_half_close(int first_fin)
{
    rig_t r;
    CHECK(rig_up(&r, "pre"));
    CHECK(nl_run_until_len(&r.x2.got_len, 3));
    CHECK_EQ_INT(conn_write(r.x1.c, "ping", 4), 0);
    CHECK(nl_run_until_len(&r.x2.got_len, 7));
    CHECK(memcmp(r.x2.got, "preping", 7) == 0);
    CHECK_EQ_INT(conn_write(r.x2.c, "pong", 4), 0);
    CHECK(nl_run_until_len(&r.x1.got_len, 4));
    CHECK(memcmp(r.x1.got, "pong", 4) == 0);

    /* one side finishes; the other still sends, and it arrives */
    nl_end_t *fin = first_fin == 1 ? &r.x1 : &r.x2, *other = first_fin == 1 ? &r.x2 : &r.x1;
    conn_shutdown(fin->c);
    CHECK(nl_run_until(&other->eof, 1));
    size_t had = fin->got_len;
    CHECK_EQ_INT(conn_write(other->c, "more", 4), 0);
    CHECK(nl_run_until_len(&fin->got_len, had + 4));
    CHECK(memcmp(fin->got + had, "more", 4) == 0);
    CHECK_EQ_INT(r.done, 0);
    conn_shutdown(other->c);
    CHECK(nl_run_until(&fin->eof, 1));
    CHECK(nl_run_until(&r.done, 1));
    CHECK_EQ_INT(r.a_to_b, first_fin == 1 ? 7 : 11);
    CHECK_EQ_INT(r.b_to_a, first_fin == 1 ? 8 : 4);
    CHECK_EQ_INT(r.x1.eof, 1);
    CHECK_EQ_INT(r.x2.eof, 1);
    CHECK_EQ_INT(r.x1.error + r.x2.error, 0);
    rig_down(&r);
}

static void test_half_close_a_first(void)
{
    test_both_ways_then_half_close(1);
}

static void test_half_close_b_first(void)
{
    test_both_ways_then_half_close(2);
}

static void test_backpressure_no_loss(void)
{
    enum { TOTAL = 3 * 1024 * 1024, CHUNK = 32 * 1024 };
    static uint8_t buf[TOTAL];
    for (size_t i = 0; i < TOTAL; i++)
        buf[i] = (uint8_t)(i * 31 + (i >> 12));
    rig_t r;
    CHECK(rig_up(&r, NULL));
    conn_pause(r.x2.c); /* the far end stops reading: the relay must hold back */
    size_t sent = 0;
    while (sent < TOTAL) {
        int w = conn_write(r.x1.c, buf + sent, CHUNK);
        CHECK(w >= 0);
        sent += CHUNK;
        if (w == 1) CHECK(nl_run_until(&r.x1.drain, r.x1.drain + 1));
    }
    uv_run(&nl_loop, UV_RUN_NOWAIT);
    CHECK(r.x2.got_len == 0);
    conn_resume(r.x2.c);
    CHECK(nl_run_until_len(&r.x2.got_len, TOTAL));
    CHECK_EQ_INT(r.x2.got_len, TOTAL);
    CHECK(memcmp(r.x2.got, buf, TOTAL) == 0);
    conn_shutdown(r.x1.c);
    conn_shutdown(r.x2.c);
    CHECK(nl_run_until(&r.done, 1));
    CHECK_EQ_INT(r.a_to_b, TOTAL);
    rig_down(&r);
}

static void test_abort(void)
{
    rig_t r;
    CHECK(rig_up(&r, NULL));
    CHECK_EQ_INT(conn_write(r.x1.c, "hi", 2), 0);
    CHECK(nl_run_until_len(&r.x2.got_len, 2));
    conn_abort(r.x1.c); /* a reset, no clean end */
    CHECK(nl_run_until(&r.done, 1));
    CHECK(nl_run_until_end(&r.x2)); /* the relay closed the far side */
    CHECK_EQ_INT(r.x1.closed, 1);
    rig_down(&r);
}

/* The splice pump is chosen once per process (BURROW_SPLICE), so a child
 * runs the bulk and half-close cases with it, where conn_splice_fd() lets
 * the relay hand two plain TCP conns over. */
static int run_spliced(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("BURROW_SPLICE", "1", 1);
        RUN(test_backpressure_no_loss);
        RUN(test_half_close_a_first);
        fflush(stdout);
        _exit(tl_failed ? 1 : 0);
    }
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void test_spliced_in_child(void)
{
    CHECK_EQ_INT(run_spliced(), 0);
}

int main(void)
{
    RUN(test_spliced_in_child); /* first: before this process reads BURROW_SPLICE */
    RUN(test_half_close_a_first);
    RUN(test_half_close_b_first);
    RUN(test_backpressure_no_loss);
    RUN(test_abort);
    return TEST_SUMMARY();
}
