/* test_conn: conn's contract on a real loop (net/conn.h): on_ready, data both
 * ways, half-close with on_eof exactly once, backpressure and on_drain,
 * conn_close from inside a callback, the TLS backend, addresses and the
 * listener's cap. Counts callbacks as libuv's tests do; runs are bounded by
 * netlib.h's watchdog. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netlib.h"
#include "testlib.h"
#include "tls/tls_cert.h"

static void test_tcp_data_and_half_close(void)
{
    nl_server_t s = {.started = true};
    nl_end_t cli, srv;
    nl_end_init(&cli);
    nl_end_init(&srv);
    s.next[0] = &srv;
    nl_setup();
    CHECK_EQ_INT(nl_listen(&s, 0), 0);
    CHECK_EQ_INT(nl_dial(&s, &cli, NULL), 0);
    CHECK(nl_run_until(&cli.ready, 1));
    CHECK_EQ_INT(cli.ready_status, 0);
    CHECK(nl_run_until(&s.accepted, 1));
    CHECK_EQ_STR(conn_kind(cli.c), "tcp");
    CHECK(conn_loop(cli.c) == &nl_loop);

    /* data both ways */
    CHECK_EQ_INT(conn_write(cli.c, "hello", 5), 0);
    CHECK(nl_run_until_len(&srv.got_len, 5));
    CHECK(memcmp(srv.got, "hello", 5) == 0);
    CHECK_EQ_INT(conn_write(srv.c, "world!", 6), 0);
    CHECK(nl_run_until_len(&cli.got_len, 6));
    CHECK(memcmp(cli.got, "world!", 6) == 0);

    /* the client half-closes; the server may still answer */
    conn_shutdown(cli.c);
    CHECK(nl_run_until(&srv.eof, 1));
    CHECK(nl_run_until(&cli.shutdown, 1));
    CHECK(conn_write(cli.c, "x", 1) < 0); /* our side is shut */
    CHECK_EQ_INT(conn_write(srv.c, "late", 4), 0);
    CHECK(nl_run_until_len(&cli.got_len, 10));
    CHECK(memcmp(cli.got + 6, "late", 4) == 0);
    conn_shutdown(srv.c);
    CHECK(nl_run_until(&cli.eof, 1));
    conn_close(cli.c);
    conn_close(srv.c);
    CHECK(nl_run_until(&cli.closed, 1));
    CHECK(nl_run_until(&srv.closed, 1));
    listener_close(&s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);

    CHECK_EQ_INT(srv.eof, 1);
    CHECK_EQ_INT(cli.eof, 1);
    CHECK_EQ_INT(cli.ready, 1);
    CHECK_EQ_INT(cli.error + srv.error, 0);
    CHECK_EQ_INT(cli.closed, 1);
    CHECK_EQ_INT(srv.closed, 1);
    CHECK_EQ_INT(cli.after_close + srv.after_close, 0);
    nl_end_free(&cli);
    nl_end_free(&srv);
}

static void test_addresses(void)
{
    nl_server_t s = {.started = true};
    nl_end_t cli, srv;
    nl_end_init(&cli);
    nl_end_init(&srv);
    s.next[0] = &srv;
    nl_setup();
    CHECK_EQ_INT(nl_listen(&s, 0), 0);
    CHECK(listener_port(&s.l) > 0);
    CHECK_EQ_INT(nl_dial(&s, &cli, NULL), 0);
    CHECK(nl_run_until(&cli.ready, 1));
    CHECK(nl_run_until(&s.accepted, 1));
    struct sockaddr_storage a, b;
    char x[ADDR_STRLEN], y[ADDR_STRLEN];
    CHECK_EQ_INT(conn_local_addr(cli.c, &a), 0);
    CHECK_EQ_INT(conn_peer_addr(srv.c, &b), 0);
    CHECK_EQ_STR(addr_format((struct sockaddr *)&a, x, sizeof x),
                 addr_format((struct sockaddr *)&b, y, sizeof y));
    CHECK_EQ_STR(conn_peer(srv.c), x); /* kept when the conn started */
    CHECK_EQ_INT(conn_peer_addr(cli.c, &a), 0);
    CHECK_EQ_INT(addr_port((struct sockaddr *)&a), listener_port(&s.l));
    CHECK(conn_splice_fd(cli.c) >= 0); /* plain TCP offers splice */
    conn_close(cli.c);
    conn_close(srv.c);
    listener_close(&s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    nl_end_free(&cli);
    nl_end_free(&srv);
}

static void test_backpressure_and_drain(void)
{
    static uint8_t chunk[64 * 1024];
    nl_server_t s = {.started = false}; /* the server does not read yet */
    nl_end_t cli, srv;
    nl_end_init(&cli);
    nl_end_init(&srv);
    srv.discard = true;
    s.next[0] = &srv;
    nl_setup();
    CHECK_EQ_INT(nl_listen(&s, 0), 0);
    CHECK_EQ_INT(nl_dial(&s, &cli, NULL), 0);
    CHECK(nl_run_until(&cli.ready, 1));
    CHECK(nl_run_until(&s.accepted, 1));
    size_t sent = 0;
    int w = 0;
    /* The kernel's buffers fill first; then conn queues up to the high water. */
    while (w == 0 && sent < 256u * 1024 * 1024) {
        w = conn_write(cli.c, chunk, sizeof chunk);
        sent += sizeof chunk;
        uv_run(&nl_loop, UV_RUN_NOWAIT);
    }
    CHECK_EQ_INT(w, 1);
    CHECK(conn_pending(cli.c) > CONN_HIGH_WATER);
    CHECK_EQ_INT(cli.drain, 0);
    conn_start(srv.c); /* now the server reads */
    CHECK(nl_run_until(&cli.drain, 1));
    CHECK(conn_pending(cli.c) <= CONN_LOW_WATER);
    CHECK(nl_run_until_len(&srv.got_len, sent));
    CHECK_EQ_INT(srv.got_len, sent);
    CHECK_EQ_INT(cli.drain, 1); /* once per write that returned 1 */
    conn_close(cli.c);
    conn_close(srv.c);
    listener_close(&s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK_EQ_INT(cli.after_close + srv.after_close, 0);
    nl_end_free(&cli);
    nl_end_free(&srv);
}

static void test_close_inside_callback(void)
{
    nl_server_t s = {.started = true};
    nl_end_t cli, srv;
    nl_end_init(&cli);
    nl_end_init(&srv);
    srv.close_on_data = true;
    s.next[0] = &srv;
    nl_setup();
    CHECK_EQ_INT(nl_listen(&s, 0), 0);
    CHECK_EQ_INT(nl_dial(&s, &cli, NULL), 0);
    CHECK(nl_run_until(&cli.ready, 1));
    CHECK(nl_run_until(&s.accepted, 1));
    CHECK_EQ_INT(conn_write(cli.c, "first", 5), 0);
    CHECK(nl_run_until(&srv.closed, 1));
    /* more data and a FIN after the close reach nobody */
    int w = conn_write(cli.c, "second", 6);
    CHECK(w >= 0);
    conn_shutdown(cli.c);
    CHECK(nl_run_until_end(&cli));
    conn_close(cli.c);
    listener_close(&s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK_EQ_INT(srv.data, 1);
    CHECK_EQ_INT(srv.closed, 1);
    CHECK_EQ_INT(srv.eof + srv.error, 0);
    CHECK_EQ_INT(srv.after_close, 0);
    CHECK_EQ_INT(cli.closed, 1);
    nl_end_free(&cli);
    nl_end_free(&srv);
}

static void test_listener_cap(void)
{
    nl_server_t s = {.started = true};
    nl_end_t c1, c2, s1;
    nl_end_init(&c1);
    nl_end_init(&c2);
    nl_end_init(&s1);
    s.next[0] = &s1;
    nl_setup();
    CHECK_EQ_INT(nl_listen(&s, 1), 0);
    CHECK_EQ_INT(nl_dial(&s, &c1, NULL), 0);
    CHECK(nl_run_until(&s.accepted, 1));
    CHECK_EQ_INT(listener_live(&s.l), 1);
    CHECK_EQ_INT(nl_dial(&s, &c2, NULL), 0);
    CHECK(nl_run_until(&s.refused, 1));
    CHECK(nl_run_until(&c2.eof, 1)); /* closed by the listener */
    CHECK_EQ_INT(s.accepted, 1);
    listener_release(&s.l);
    CHECK_EQ_INT(listener_live(&s.l), 0);
    conn_close(c1.c);
    conn_close(c2.c);
    conn_close(s1.c);
    listener_close(&s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    nl_end_free(&c1);
    nl_end_free(&c2);
    nl_end_free(&s1);
}

/* ---- TLS ------------------------------------------------------------------ */

static SSL_CTX *g_srv_ctx;

/* The server reads its first bytes in the clear, as the gate does. */
static void tls_first(conn_t *c, const uint8_t *p, size_t n)
{
    conn_set_cbs(c, &nl_cbs, conn_data(c));
    if (conn_tls_accept(c, g_srv_ctx, p, n) != 0) conn_close(c);
}

static const conn_cbs_t tls_first_cbs = {
    .on_data = tls_first,
    .on_eof = nl_on_eof,
    .on_error = nl_on_error,
    .on_close = nl_on_close,
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void test_tls_pair(void)
{
    char dir[] = "/tmp/burrow-test-conn-XXXXXX";
    char fp[TLSC_FP_LEN];
    int generated = 0;
    CHECK(mkdtemp(dir) != NULL);
    g_srv_ctx = tlsc_server_ctx(NULL, NULL, dir, fp, &generated);
    SSL_CTX *cctx = tlsc_client_ctx(NULL);
    CHECK(g_srv_ctx && cctx);
    if (!g_srv_ctx || !cctx) return;
    nl_server_t s = {.started = true, .cbs = &tls_first_cbs};
    nl_end_t cli, srv;
    nl_end_init(&cli);
    nl_end_init(&srv);
    s.next[0] = &srv;
    nl_setup();
    CHECK_EQ_INT(nl_listen(&s, 0), 0);
    CHECK_EQ_INT(nl_dial(&s, &cli, cctx), 0);
    CHECK(nl_run_until(&cli.ready, 1));
    CHECK(nl_run_until(&srv.ready, 1));
    CHECK_EQ_INT(cli.ready_status, 0);
    CHECK_EQ_INT(srv.ready_status, 0);
    CHECK(conn_is_tls(cli.c) && conn_is_tls(srv.c));
    CHECK_EQ_STR(conn_kind(cli.c), "tls");
    CHECK_EQ_INT(conn_splice_fd(cli.c), -1); /* ciphertext is no splice source */
    CHECK(conn_loop(srv.c) == &nl_loop);
    uint8_t k1[32], k2[32];
    CHECK_EQ_INT(conn_tls_binding(cli.c, "EXPORTER-test", k1), 0);
    CHECK_EQ_INT(conn_tls_binding(srv.c, "EXPORTER-test", k2), 0);
    CHECK(memcmp(k1, k2, 32) == 0);

    /* data both ways, one of them larger than a TLS record */
    static uint8_t big[100 * 1024];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    CHECK(conn_write(cli.c, big, sizeof big) >= 0);
    CHECK(nl_run_until_len(&srv.got_len, sizeof big));
    CHECK(memcmp(srv.got, big, sizeof big) == 0);
    CHECK_EQ_INT(conn_write(srv.c, "pong", 4), 0);
    CHECK(nl_run_until_len(&cli.got_len, 4));

    /* half-close: close_notify + FIN each way, on_eof once */
    conn_shutdown(cli.c);
    CHECK(nl_run_until(&srv.eof, 1));
    CHECK_EQ_INT(conn_write(srv.c, "bye", 3), 0);
    CHECK(nl_run_until_len(&cli.got_len, 7));
    conn_shutdown(srv.c);
    CHECK(nl_run_until(&cli.eof, 1));
    conn_close(cli.c);
    conn_close(srv.c);
    listener_close(&s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK_EQ_INT(cli.eof, 1);
    CHECK_EQ_INT(srv.eof, 1);
    CHECK_EQ_INT(cli.error + srv.error, 0);
    CHECK_EQ_INT(cli.closed + srv.closed, 2);
    CHECK_EQ_INT(cli.after_close + srv.after_close, 0);
    nl_end_free(&cli);
    nl_end_free(&srv);
    SSL_CTX_free(cctx);
    SSL_CTX_free(g_srv_ctx);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    RUN(test_tcp_data_and_half_close);
    RUN(test_addresses);
    RUN(test_backpressure_and_drain);
    RUN(test_close_inside_callback);
    RUN(test_listener_cap);
    RUN(test_tls_pair);
    return TEST_SUMMARY();
}
