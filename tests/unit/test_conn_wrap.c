/* test_conn_wrap: net/conn_wrap.h on a real loop: TLS inside TLS, as the
 * https2* plugins run it inside a work conn. A TLS pair over 127.0.0.1
 * (the "work conn"), then each end wrapped and a second handshake inside
 * (the server with conn_tls_accept, the client with conn_tls_start_client);
 * data both ways (more than a record, with the reader paused so that
 * backpressure crosses both layers), half-close with one on_eof each,
 * and one close that takes the inner conns with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlib.h"
#include "net/conn_wrap.h"
#include "testlib.h"
#include "tls/tls_cert.h"
#include "util/log.h"

static SSL_CTX *g_outer, *g_inner;

static void tls_first(conn_t *c, const uint8_t *p, size_t n)
{
    conn_set_cbs(c, &nl_cbs, conn_data(c));
    if (conn_tls_accept(c, g_outer, p, n) != 0) conn_close(c);
}

static const conn_cbs_t tls_first_cbs = {
    .on_data = tls_first,
    .on_eof = nl_on_eof,
    .on_error = nl_on_error,
    .on_close = nl_on_close,
};

static void test_tls_in_tls(void)
{
    char fp[TLSC_FP_LEN];
    g_outer = tlsc_server_ctx_ephemeral(fp);
    g_inner = tlsc_server_ctx_ephemeral(fp);
    SSL_CTX *cctx = tlsc_client_ctx(NULL);
    CHECK(g_outer && g_inner && cctx);
    if (!g_outer || !g_inner || !cctx) return;
    nl_server_t s = {.started = true, .cbs = &tls_first_cbs};
    nl_end_t cli, srv, wcli, wsrv;
    nl_end_init(&cli);
    nl_end_init(&srv);
    nl_end_init(&wcli);
    nl_end_init(&wsrv);
    s.next[0] = &srv;
    nl_setup();
    CHECK_EQ_INT(nl_listen(&s, 0), 0);
    CHECK_EQ_INT(nl_dial(&s, &cli, cctx), 0);
    CHECK(nl_run_until(&cli.ready, 1));
    CHECK(nl_run_until(&srv.ready, 1));

    /* the inner TLS: the wrapped conns take the outer ones */
    wsrv.c = conn_wrap_new(srv.c, &nl_cbs, &wsrv);
    wcli.c = conn_wrap_new(cli.c, &nl_cbs, &wcli);
    CHECK(wsrv.c && wcli.c);
    if (!wsrv.c || !wcli.c) return;
    CHECK_EQ_INT(conn_tls_accept(wsrv.c, g_inner, NULL, 0), 0);
    CHECK_EQ_INT(conn_tls_start_client(wcli.c, cctx, "burrow", NULL), 0);
    CHECK_EQ_INT(conn_tls_start_client(wcli.c, cctx, NULL, NULL), UV_EINVAL);
    CHECK(nl_run_until(&wcli.ready, 1));
    CHECK(nl_run_until(&wsrv.ready, 1));
    CHECK_EQ_INT(wcli.ready_status, 0);
    CHECK_EQ_INT(wsrv.ready_status, 0);
    CHECK(conn_is_tls(wcli.c) && conn_is_tls(wsrv.c));
    CHECK_EQ_STR(conn_peer(wsrv.c), conn_peer(srv.c));
    CHECK(conn_loop(wcli.c) == &nl_loop);

    /* With the reader paused the writer meets backpressure through both
     * layers (records well over 16 KiB each way), then a drain. */
    static uint8_t chunk[256 * 1024];
    size_t total = 0;
    int r = 0;
    conn_pause(wsrv.c);
    while (r == 0 && total < 32 * 1024 * 1024) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (uint8_t)((total + i) * 13 + (total + i) / 251);
        r = conn_write(wcli.c, chunk, sizeof chunk);
        total += sizeof chunk;
        for (int i = 0; i < 5; i++)
            uv_run(&nl_loop, UV_RUN_NOWAIT);
    }
    CHECK_EQ_INT(r, 1);
    CHECK(wsrv.got_len < total);
    conn_resume(wsrv.c);
    CHECK(nl_run_until_len(&wsrv.got_len, total));
    CHECK_EQ_INT(wsrv.got_len, total);
    bool same = true;
    size_t i = 0; /* netlib keeps the first NL_GOT_MAX bytes, less one read */
    for (; same && i < total && i < NL_GOT_MAX - CONN_HIGH_WATER; i++)
        same = wsrv.got[i] == (uint8_t)(i * 13 + i / 251);
    if (!same) fprintf(stderr, "differs at byte %zu of %zu\n", i - 1, total);
    CHECK(same);
    CHECK(nl_run_until(&wcli.drain, 1));
    CHECK_EQ_INT(conn_write(wsrv.c, "pong", 4), 0);
    CHECK(nl_run_until_len(&wcli.got_len, 4));
    CHECK(memcmp(wcli.got, "pong", 4) == 0);

    /* half-close each way through both layers */
    conn_shutdown(wcli.c);
    CHECK(nl_run_until_end(&wsrv));
    CHECK_EQ_INT(conn_write(wsrv.c, "bye", 3), 0);
    CHECK(nl_run_until_len(&wcli.got_len, 7));
    conn_shutdown(wsrv.c);
    CHECK(nl_run_until(&wcli.eof, 1));

    /* closing the wrapped conns closes the inner ones: on_close of each */
    conn_close(wcli.c);
    conn_close(wsrv.c);
    CHECK(nl_run_until(&wcli.closed, 1));
    CHECK(nl_run_until(&wsrv.closed, 1));
    listener_close(&s.l, NULL);
    CHECK_EQ_INT(nl_teardown(), 0);
    CHECK_EQ_INT(wcli.eof + wsrv.eof, 2);
    CHECK_EQ_INT(wcli.error + wsrv.error, 0);
    CHECK_EQ_INT(wcli.after_close + wsrv.after_close, 0);
    CHECK_EQ_INT(cli.closed + srv.closed, 0); /* their callbacks were the wrap's */
    nl_end_free(&cli);
    nl_end_free(&srv);
    nl_end_free(&wcli);
    nl_end_free(&wsrv);
    SSL_CTX_free(cctx);
    SSL_CTX_free(g_outer);
    SSL_CTX_free(g_inner);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    RUN(test_tls_in_tls);
    return TEST_SUMMARY();
}
