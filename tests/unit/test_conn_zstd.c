/* test_conn_zstd: the zstd conn backend (net/conn_zstd.h) on a real loop
 * over socketpairs, counting callbacks as test_conn_e2e.c does: data both
 * ways (compressible and random, 1 MiB, through the backpressure path),
 * fewer bytes on the wire for text, a stream split into 1-byte reads and
 * early bytes, a pausing owner that gets no more (a zstd bomb stays
 * compressed), half-close with on_eof once, and the refusals: bytes that
 * are not zstd, a FIN inside a frame, a frame asking for a larger window.
 * Every run ends with the loop dry. */
#include <stdio.h>

#ifdef BURROW_HAVE_ZSTD
#include <sys/socket.h>
#include <zstd.h>

#include "net/conn_zstd.h"
#include "netlib.h"
#include "testlib.h"

static void raw_pair(nl_end_t *a, nl_end_t *b)
{
    int sv[2];
    CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    a->c = conn_new(&nl_loop, &nl_cbs, a);
    b->c = conn_new(&nl_loop, &nl_cbs, b);
    CHECK_EQ_INT(conn_open_fd(a->c, sv[0]), 0);
    CHECK_EQ_INT(conn_open_fd(b->c, sv[1]), 0);
    conn_start(a->c);
    conn_start(b->c);
}

/* An owner that pauses after its first on_data. */
static bool pause_first;
static void pausing_data(conn_t *c, const uint8_t *p, size_t n)
{
    nl_on_data(c, p, n);
    if (pause_first) conn_pause(c);
}
static conn_cbs_t pausing_cbs;

static void wrap_early(nl_end_t *e, const uint8_t *early, size_t n)
{
    pausing_cbs = nl_cbs;
    pausing_cbs.on_data = pausing_data;
    e->c = conn_zstd_new(e->c, &pausing_cbs, e, early, n);
    CHECK(e->c != NULL);
    conn_start(e->c);
}

static void wrap(nl_end_t *e)
{
    wrap_early(e, NULL, 0);
}

static void close_both(nl_end_t *a, nl_end_t *b)
{
    if (a->c) conn_close(a->c);
    if (b->c) conn_close(b->c);
    CHECK(nl_run_until(&a->closed, 1));
    CHECK(nl_run_until(&b->closed, 1));
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK_EQ_INT(a->closed + b->closed, 2);
    CHECK_EQ_INT(a->after_close + b->after_close, 0);
    nl_end_free(a);
    nl_end_free(b);
    pause_first = false;
}

static void setup_pair(nl_end_t *a, nl_end_t *b)
{
    nl_end_init(a);
    nl_end_init(b);
    nl_setup();
    raw_pair(a, b);
}

/* A compressed stream as a peer would send it: one flushed frame of src,
 * ended when `end`. */
static size_t compress_stream(const void *src, size_t n, uint8_t *out, size_t cap, int wlog,
                              bool end)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, wlog);
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_outBuffer o = {out, cap, 0};
    size_t left = ZSTD_compressStream2(cc, &o, &in, end ? ZSTD_e_end : ZSTD_e_flush);
    CHECK(!ZSTD_isError(left) && left == 0);
    ZSTD_freeCCtx(cc);
    return o.pos;
}

static void test_round_trip_and_half_close(void)
{
    static uint8_t big[1024 * 1024];
    nl_end_t a, b;
    setup_pair(&a, &b);
    wrap(&a);
    wrap(&b);
    CHECK_EQ_STR(conn_kind(a.c), "zstd");
    CHECK_EQ_INT(conn_write(a.c, "hello", 5), 0);
    CHECK(nl_run_until_len(&b.got_len, 5));
    CHECK(memcmp(b.got, "hello", 5) == 0); /* flushed at once: not held back */
    CHECK_EQ_INT(conn_write(b.c, "world!", 6), 0);
    CHECK(nl_run_until_len(&a.got_len, 6));
    CHECK(memcmp(a.got, "world!", 6) == 0);
    /* 1 MiB of noise: incompressible, so the socketpair fills and the
     * inner queue passes the high-water mark. */
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 24);
    CHECK_EQ_INT(conn_write(a.c, big, sizeof big), 1);
    CHECK(nl_run_until_len(&b.got_len, 5 + sizeof big));
    CHECK(memcmp(b.got + 5, big, sizeof big) == 0);
    CHECK(nl_run_until(&a.drain, 1));
    conn_shutdown(a.c);
    CHECK(nl_run_until(&b.eof, 1));
    CHECK(nl_run_until(&a.shutdown, 1));
    CHECK_EQ_INT(conn_write(b.c, "late", 4), 0);
    CHECK(nl_run_until_len(&a.got_len, 10));
    conn_shutdown(b.c);
    CHECK(nl_run_until(&a.eof, 1));
    CHECK_EQ_INT(a.eof + b.eof, 2);
    CHECK_EQ_INT(a.error + b.error, 0);
    close_both(&a, &b);
}

/* Text shrinks on the wire: the raw peer counts the compressed bytes. */
static void test_wire_is_smaller(void)
{
    static char text[256 * 1024];
    nl_end_t z, raw;
    setup_pair(&z, &raw);
    wrap(&z);
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n"[i % 47];
    CHECK(conn_write(z.c, text, sizeof text) >= 0);
    conn_shutdown(z.c);
    CHECK(nl_run_until(&raw.eof, 1));
    CHECK(raw.got_len > 0 && raw.got_len < sizeof text / 20);
    uint8_t back[sizeof text];
    size_t n = ZSTD_decompress(back, sizeof back, raw.got, raw.got_len);
    CHECK(!ZSTD_isError(n) && n == sizeof text && memcmp(back, text, n) == 0);
    close_both(&z, &raw);
}

/* A stream that arrives one byte per read, after a first part read before
 * the wrap (START_WORK's rest). */
static void test_split_reads_and_early(void)
{
    static const char msg[] = "a message long enough to span many reads, many reads";
    uint8_t wire[256];
    size_t n = compress_stream(msg, sizeof msg, wire, sizeof wire, ZSTD_STREAM_WLOG, true);
    nl_end_t z, raw;
    setup_pair(&z, &raw);
    wrap_early(&z, wire, 3);
    for (size_t i = 3; i < n; i++) {
        CHECK_EQ_INT(conn_write(raw.c, wire + i, 1), 0);
        for (int k = 0; k < 4; k++)
            uv_run(&nl_loop, UV_RUN_NOWAIT);
    }
    CHECK(nl_run_until_len(&z.got_len, sizeof msg));
    CHECK(memcmp(z.got, msg, sizeof msg) == 0);
    conn_shutdown(raw.c);
    CHECK(nl_run_until(&z.eof, 1)); /* the frame had ended: a clean end */
    CHECK_EQ_INT(z.error, 0);
    close_both(&z, &raw);
}

/* 8 MiB of zeros compress to a few hundred bytes; an owner that pauses
 * after its first chunk gets ZSTD_STREAM_CHUNK and no more until it
 * resumes (nothing is expanded ahead of it), then the rest. */
static void test_pause_holds_the_bomb(void)
{
    enum { BOMB = 8 * 1024 * 1024 };
    uint8_t *zeros = calloc(1, BOMB);
    static uint8_t wire[64 * 1024];
    size_t n = compress_stream(zeros, BOMB, wire, sizeof wire, ZSTD_STREAM_WLOG, false);
    free(zeros);
    CHECK(n < 4096);
    nl_end_t z, raw;
    setup_pair(&z, &raw);
    z.discard = true;
    pause_first = true;
    wrap(&z);
    CHECK_EQ_INT(conn_write(raw.c, wire, n), 0);
    CHECK(nl_run_until(&z.data, 1));
    for (int k = 0; k < 20; k++)
        uv_run(&nl_loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(z.data, 1);
    CHECK_EQ_INT(z.got_len, ZSTD_STREAM_CHUNK);
    pause_first = false;
    conn_resume(z.c);
    CHECK(nl_run_until_len(&z.got_len, BOMB));
    CHECK_EQ_INT(z.got_len, BOMB);
    CHECK_EQ_INT(z.error, 0);
    close_both(&z, &raw);
}

static void expect_refused(const uint8_t *p, size_t n, bool fin)
{
    nl_end_t z, raw;
    setup_pair(&z, &raw);
    wrap(&z);
    if (n) CHECK_EQ_INT(conn_write(raw.c, p, n), 0);
    if (fin) conn_shutdown(raw.c);
    CHECK(nl_run_until_end(&z));
    CHECK_EQ_INT(z.error, 1);
    CHECK_EQ_INT(z.eof, 0);
    close_both(&z, &raw);
}

static void test_refusals(void)
{
    static uint8_t wire[512 * 1024], src[512 * 1024];
    expect_refused((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, false); /* not zstd */
    size_t n = compress_stream("half", 4, wire, sizeof wire, ZSTD_STREAM_WLOG, false);
    expect_refused(wire, n, true); /* FIN inside the frame */
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + i / 1000);
    n = compress_stream(src, sizeof src, wire, sizeof wire, 20, false);
    expect_refused(wire, n, false); /* a 1 MiB window: more memory than we give */
}

int main(void)
{
    (void)nl_listen;
    (void)nl_dial;
    RUN(test_round_trip_and_half_close);
    RUN(test_wire_is_smaller);
    RUN(test_split_reads_and_early);
    RUN(test_pause_holds_the_bomb);
    RUN(test_refusals);
    return TEST_SUMMARY();
}
#else
int main(void)
{
    printf("built without zstd: skipped\n");
    return 0;
}
#endif
