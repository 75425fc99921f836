/* test_tcp_punch: TCP simultaneous open (p2p/tcp_punch.h) on a real loop
 * over 127.0.0.1: two sides that listen and connect on one port each end
 * with one authenticated connection between them that carries bytes both
 * ways; a stranger connecting first with garbage is dropped and does not
 * win; a peer port that refuses ends in "timeout" within the bound; the
 * loop runs dry after close. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/addr.h"
#include "p2p/tcp_punch.h"
#include "proto/auth.h"
#include "testlib.h"

static uv_loop_t loop;

typedef struct side {
    tcp_punch_t *t;
    uv_tcp_t *sock;
    const char *reason;
    int done, closed;
    char got[16];
    size_t got_len;
} side_t;

static side_t sides[2];

static void on_done(tcp_punch_t *t, uv_tcp_t *sock, const struct sockaddr *peer, const char *reason,
                    void *arg)
{
    side_t *s = arg;
    (void)t;
    (void)peer;
    s->done++;
    s->sock = sock;
    s->reason = reason;
}

static void on_closed(void *arg)
{
    ((side_t *)arg)->closed++;
}

static void run_until(bool (*cond)(void), uint64_t ms)
{
    uint64_t end = uv_now(&loop) + ms;
    while (!cond() && uv_now(&loop) < end)
        uv_run(&loop, UV_RUN_ONCE);
}

static bool both_done(void)
{
    return sides[0].done && sides[1].done;
}
static bool first_done(void)
{
    return sides[0].done;
}
static bool got_both(void)
{
    return sides[0].got_len && sides[1].got_len;
}

static void key(punch_key_t *k)
{
    uint8_t nv[32], no[32];
    auth_random(nv, sizeof nv);
    auth_random(no, sizeof no);
    CHECK_EQ_INT(punch_derive("s3cret", nv, no, "alice.ssh", k), 0);
}

static void peer_of(int port, cand_set_t *set)
{
    struct sockaddr_storage a;
    memset(set, 0, sizeof *set);
    addr_parse_text("127.0.0.1:1", &a);
    cand_add(set, CAND_HOST, (struct sockaddr *)&a);
    set->tcp_port = port;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    side_t *s = h->data;
    (void)hint;
    *b = uv_buf_init(s->got + s->got_len, (unsigned)(sizeof s->got - s->got_len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    side_t *s = st->data;
    (void)b;
    if (n > 0) s->got_len += (size_t)n;
}

static void free_handle(uv_handle_t *h)
{
    free(h);
}

/* Connects to the owner's port first and sends garbage (no key). */
static uv_tcp_t stranger;
static uv_connect_t stranger_req;
static void on_stranger(uv_connect_t *req, int status)
{
    (void)req;
    if (status == 0) {
        uv_buf_t b = uv_buf_init((char *)"GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE!", 48);
        uv_try_write((uv_stream_t *)&stranger, &b, 1);
    }
}

static void test_pair(void)
{
    memset(sides, 0, sizeof sides);
    CHECK_EQ_INT(tcp_punch_new(&loop, &sides[0].t), 0);
    CHECK_EQ_INT(tcp_punch_new(&loop, &sides[1].t), 0);
    int p0 = tcp_punch_port(sides[0].t), p1 = tcp_punch_port(sides[1].t);
    CHECK(p0 > 0 && p1 > 0 && p0 != p1);
    punch_key_t k;
    key(&k);
    cand_set_t to0, to1;
    peer_of(p0, &to0);
    peer_of(p1, &to1);
    struct sockaddr_storage a;
    addr_parse_text("127.0.0.1:1", &a);
    ((struct sockaddr_in *)&a)->sin_port = htons((uint16_t)p1);
    uv_tcp_init(&loop, &stranger);
    uv_tcp_connect(&stranger_req, &stranger, (struct sockaddr *)&a, on_stranger);
    CHECK_EQ_INT(tcp_punch_start(sides[1].t, PUNCH_ROLE_OWNER, &k, &to0, on_done, &sides[1]), 0);
    CHECK_EQ_INT(tcp_punch_start(sides[0].t, PUNCH_ROLE_VISITOR, &k, &to1, on_done, &sides[0]), 0);
    CHECK_EQ_INT(tcp_punch_start(sides[0].t, PUNCH_ROLE_VISITOR, &k, &to1, on_done, &sides[0]),
                 UV_EINVAL);
    run_until(both_done, TCP_PUNCH_TIMEOUT_MS + 1000);
    CHECK(both_done());
    CHECK(sides[0].sock && sides[1].sock);
    if (sides[0].sock && sides[1].sock) {
        for (int i = 0; i < 2; i++) {
            sides[i].sock->data = &sides[i];
            uv_read_start((uv_stream_t *)sides[i].sock, on_alloc, on_read);
        }
        uv_buf_t b0 = uv_buf_init((char *)"from-v", 6), b1 = uv_buf_init((char *)"from-o", 6);
        CHECK_EQ_INT(uv_try_write((uv_stream_t *)sides[0].sock, &b0, 1), 6);
        CHECK_EQ_INT(uv_try_write((uv_stream_t *)sides[1].sock, &b1, 1), 6);
        run_until(got_both, 2000);
        CHECK(sides[1].got_len == 6 && memcmp(sides[1].got, "from-v", 6) == 0);
        CHECK(sides[0].got_len == 6 && memcmp(sides[0].got, "from-o", 6) == 0);
        for (int i = 0; i < 2; i++)
            uv_close((uv_handle_t *)sides[i].sock, free_handle);
    }
    uv_close((uv_handle_t *)&stranger, NULL);
    tcp_punch_close(sides[0].t, on_closed, &sides[0]);
    tcp_punch_close(sides[1].t, on_closed, &sides[1]);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(sides[0].closed + sides[1].closed, 2);
}

static void test_timeout(void)
{
    memset(sides, 0, sizeof sides);
    CHECK_EQ_INT(tcp_punch_new(&loop, &sides[0].t), 0);
    punch_key_t k;
    key(&k);
    cand_set_t none;
    peer_of(9, &none); /* discard: refused on loopback */
    uint64_t t0 = uv_now(&loop);
    CHECK_EQ_INT(tcp_punch_start(sides[0].t, PUNCH_ROLE_VISITOR, &k, &none, on_done, &sides[0]), 0);
    run_until(first_done, TCP_PUNCH_TIMEOUT_MS + 2000);
    CHECK_EQ_INT(sides[0].done, 1);
    CHECK(sides[0].sock == NULL);
    CHECK_EQ_STR(sides[0].reason, "timeout");
    uint64_t took = uv_now(&loop) - t0;
    CHECK(took >= TCP_PUNCH_TIMEOUT_MS && took < TCP_PUNCH_TIMEOUT_MS + 500);
    tcp_punch_close(sides[0].t, on_closed, &sides[0]);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(sides[0].closed, 1);
}

int main(void)
{
    uv_loop_init(&loop);
    RUN(test_pair);
    RUN(test_timeout);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    return TEST_SUMMARY();
}
