/* test_plugin_http: the http2http / https2http / http2https forwarder
 * (plugin/hfwd.h) on a real loop over 127.0.0.1: a "work conn" accepted
 * here is handed to hfwd_serve, a backend endpoint sees what it forwards.
 * Host rewrite and requestHeaders.set on every request of a keep-alive
 * connection, bodies verbatim (chunked), X-Forwarded-*, responses back
 * unchanged, TLS terminated over the work conn with a self-signed
 * certificate, TLS to the local service, and 502 for an unreachable one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlib.h"
#include "plugin/hfwd.h"
#include "plugin/plugin.h"
#include "testlib.h"
#include "tls/tls_cert.h"
#include "util/log.h"

static SSL_CTX *g_backend_ctx; /* the local service's TLS (http2https) */
static bool g_by_name;         /* localAddr "localhost:port": looked up, each address tried */

static void tls_first(conn_t *c, const uint8_t *p, size_t n)
{
    conn_set_cbs(c, &nl_cbs, conn_data(c));
    if (conn_tls_accept(c, g_backend_ctx, p, n) != 0) conn_close(c);
}

static const conn_cbs_t tls_first_cbs = {
    .on_data = tls_first,
    .on_eof = nl_on_eof,
    .on_error = nl_on_error,
    .on_close = nl_on_close,
};

static bool got_has(const nl_end_t *e, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= e->got_len && e->got_len <= NL_GOT_MAX; i++)
        if (memcmp(e->got + i, s, n) == 0) return true;
    return false;
}

static int count_of(const nl_end_t *e, const char *s)
{
    size_t n = strlen(s);
    int k = 0;
    for (size_t i = 0; i + n <= e->got_len && e->got_len <= NL_GOT_MAX; i++)
        if (memcmp(e->got + i, s, n) == 0) k++;
    return k;
}

typedef struct rig {
    nl_server_t front, backend;
    nl_end_t work, user, be;
    hfwd_t *h;
} rig_t;

static void closed_listener(listener_t *l)
{
    (void)l;
}

/* Listens twice, dials the front from `user` (TLS when user_ctx) and hands
 * the accepted conn to a new hfwd. */
static bool rig_up(rig_t *r, hfwd_cfg_t *cfg, SSL_CTX *user_ctx, bool backend_tls)
{
    char addr[64];
    memset(r, 0, sizeof *r);
    nl_end_init(&r->work);
    nl_end_init(&r->user);
    nl_end_init(&r->be);
    r->front.next[0] = &r->work;
    r->front.started = true;
    r->backend.next[0] = &r->be;
    r->backend.started = true;
    if (backend_tls) r->backend.cbs = &tls_first_cbs;
    CHECK_EQ_INT(nl_listen(&r->front, 0), 0);
    CHECK_EQ_INT(nl_listen(&r->backend, 0), 0);
    snprintf(addr, sizeof addr, "%s:%d", g_by_name ? "localhost" : "127.0.0.1",
             listener_port(&r->backend.l));
    if (!cfg->local_addr) cfg->local_addr = addr;
    r->h = hfwd_new(cfg);
    CHECK(r->h != NULL);
    if (!r->h) return false;
    CHECK_EQ_INT(nl_dial(&r->front, &r->user, user_ctx), 0);
    CHECK(nl_run_until(&r->front.accepted, 1));
    CHECK_EQ_INT(hfwd_serve(r->h, NULL, r->work.c, "198.51.100.7:4242", NULL, 0), 0);
    return true;
}

static void rig_down(rig_t *r)
{
    if (r->user.c) conn_close(r->user.c);
    CHECK(nl_run_until(&r->user.closed, 1));
    if (r->be.c) conn_close(r->be.c);
    for (int i = 0; i < 50 && hfwd_conns(r->h); i++)
        uv_run(&nl_loop, UV_RUN_ONCE);
    CHECK_EQ_INT(hfwd_conns(r->h), 0);
    hfwd_drop(r->h);
    listener_close(&r->front.l, closed_listener);
    listener_close(&r->backend.l, closed_listener);
    nl_end_free(&r->work);
    nl_end_free(&r->user);
    nl_end_free(&r->be);
}

static void send_str(conn_t *c, const char *s)
{
    CHECK(conn_write(c, s, strlen(s)) >= 0);
}

static void test_http2http_rewrites_every_request(void)
{
    nl_setup();
    header_set_t set[] = {{"X-From", "burrow"}};
    header_list_t l = {set, 1};
    hfwd_cfg_t cfg = {.name = "web", .host_rewrite = "inside.lan", .req_set = &l};
    rig_t r;
    if (!rig_up(&r, &cfg, NULL, false)) return;
    CHECK(nl_run_until(&r.user.ready, 1));
    send_str(r.user.c, "GET /one HTTP/1.1\r\nHost: public.example\r\nX-From: user\r\n\r\n"
                       "POST /two HTTP/1.1\r\nHost: public.example\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    const char *tail = "0\r\n\r\n";
    CHECK(nl_run_until(&r.backend.accepted, 1));
    for (int i = 0; i < 200 && !got_has(&r.be, tail); i++)
        uv_run(&nl_loop, UV_RUN_ONCE);
    CHECK_EQ_INT(count_of(&r.be, "Host: inside.lan\r\n"), 2);
    CHECK_EQ_INT(count_of(&r.be, "public.example"), 2); /* X-Forwarded-Host only */
    CHECK_EQ_INT(count_of(&r.be, "X-Forwarded-Host: public.example\r\n"), 2);
    CHECK_EQ_INT(count_of(&r.be, "X-From: burrow\r\n"), 2);
    CHECK_EQ_INT(count_of(&r.be, "X-From: user"), 0);
    CHECK_EQ_INT(count_of(&r.be, "X-Forwarded-For: 198.51.100.7\r\n"), 2);
    CHECK_EQ_INT(count_of(&r.be, "X-Forwarded-Proto: http\r\n"), 2);
    CHECK(got_has(&r.be, "\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    CHECK(got_has(&r.be, "GET /one HTTP/1.1\r\n"));
    const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 201 Created\r\n"
                       "Content-Length: 0\r\n\r\n";
    send_str(r.be.c, resp);
    CHECK(nl_run_until_len(&r.user.got_len, strlen(resp)));
    CHECK(r.user.got_len == strlen(resp) && memcmp(r.user.got, resp, strlen(resp)) == 0);
    rig_down(&r);
    CHECK_EQ_INT(nl_teardown(), 0);
}

static void test_https2http_self_signed(void)
{
    nl_setup();
    hfwd_cfg_t cfg = {.name = "tls", .user_tls = true};
    SSL_CTX *cctx = tlsc_client_ctx(NULL);
    rig_t r;
    if (!rig_up(&r, &cfg, cctx, false)) return;
    CHECK(nl_run_until(&r.user.ready, 1));
    CHECK_EQ_INT(r.user.ready_status, 0);
    send_str(r.user.c, "GET /s HTTP/1.1\r\nHost: a.example\r\n\r\n");
    CHECK(nl_run_until(&r.backend.accepted, 1));
    for (int i = 0; i < 200 && !got_has(&r.be, "\r\n\r\n"); i++)
        uv_run(&nl_loop, UV_RUN_ONCE);
    CHECK(got_has(&r.be, "X-Forwarded-Proto: https\r\n"));
    CHECK(got_has(&r.be, "Host: a.example\r\n"));
    send_str(r.be.c, "HTTP/1.1 204 No Content\r\n\r\n");
    CHECK(nl_run_until_len(&r.user.got_len, 27));
    CHECK(r.user.got_len >= 12 && memcmp(r.user.got, "HTTP/1.1 204", 12) == 0);
    X509 *peer = SSL_get1_peer_certificate(conn_ssl(r.user.c));
    CHECK(peer != NULL);
    X509_free(peer);
    rig_down(&r);
    SSL_CTX_free(cctx);
    CHECK_EQ_INT(nl_teardown(), 0);
}

static void test_http2https(void)
{
    nl_setup();
    char fp[TLSC_FP_LEN];
    g_backend_ctx = tlsc_server_ctx_ephemeral(fp);
    hfwd_cfg_t cfg = {.name = "up", .local_tls = true};
    rig_t r;
    g_by_name = true; /* the backend is on 127.0.0.1 only; localhost may be ::1 first */
    if (!rig_up(&r, &cfg, NULL, true)) return;
    CHECK(nl_run_until(&r.user.ready, 1));
    send_str(r.user.c, "GET /t HTTP/1.1\r\nHost: b.example\r\n\r\n");
    CHECK(nl_run_until(&r.backend.accepted, 1));
    for (int i = 0; i < 200 && !got_has(&r.be, "\r\n\r\n"); i++)
        uv_run(&nl_loop, UV_RUN_ONCE);
    CHECK(got_has(&r.be, "GET /t HTTP/1.1\r\n"));
    CHECK(r.be.c && conn_is_tls(r.be.c));
    send_str(r.be.c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz");
    CHECK(nl_run_until_len(&r.user.got_len, 39));
    rig_down(&r);
    g_by_name = false;
    SSL_CTX_free(g_backend_ctx);
    CHECK_EQ_INT(nl_teardown(), 0);
}

static void test_unreachable_502(void)
{
    nl_setup();
    hfwd_cfg_t cfg = {.name = "gone", .local_addr = "127.0.0.1:1"};
    rig_t r;
    if (!rig_up(&r, &cfg, NULL, false)) return;
    send_str(r.user.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(nl_run_until_end(&r.user));
    CHECK(r.user.got_len > 12 && memcmp(r.user.got, "HTTP/1.1 502", 12) == 0);
    rig_down(&r);
    CHECK_EQ_INT(nl_teardown(), 0);
}

/* A keep-alive connection that goes quiet is closed after the idle limit. */
static void test_idle_close(void)
{
    nl_setup();
    hfwd_cfg_t cfg = {.name = "idle"};
    rig_t r;
    memset(&r, 0, sizeof r);
    char addr[64];
    nl_end_init(&r.work);
    nl_end_init(&r.user);
    nl_end_init(&r.be);
    r.front.next[0] = &r.work;
    r.front.started = true;
    r.backend.next[0] = &r.be;
    r.backend.started = true;
    CHECK_EQ_INT(nl_listen(&r.front, 0), 0);
    CHECK_EQ_INT(nl_listen(&r.backend, 0), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", listener_port(&r.backend.l));
    cfg.local_addr = addr;
    r.h = hfwd_new(&cfg);
    CHECK(r.h != NULL);
    if (!r.h) return;
    hfwd_set_idle_ms(r.h, 150);
    CHECK_EQ_INT(nl_dial(&r.front, &r.user, NULL), 0);
    CHECK(nl_run_until(&r.front.accepted, 1));
    CHECK_EQ_INT(hfwd_serve(r.h, NULL, r.work.c, "", NULL, 0), 0);
    send_str(r.user.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(nl_run_until(&r.backend.accepted, 1));
    for (int i = 0; i < 200 && !got_has(&r.be, "\r\n\r\n"); i++)
        uv_run(&nl_loop, UV_RUN_ONCE);
    CHECK(got_has(&r.be, "X-Forwarded-For: unknown\r\n"));
    send_str(r.be.c, "HTTP/1.1 204 No Content\r\n\r\n");
    CHECK(nl_run_until_len(&r.user.got_len, 27));
    CHECK_EQ_INT(hfwd_conns(r.h), 1);
    CHECK(nl_run_until_end(&r.user)); /* nothing more: closed by the idle timer */
    CHECK(nl_run_until_end(&r.be));
    rig_down(&r);
    CHECK_EQ_INT(nl_teardown(), 0);
}

static void test_bad_config(void)
{
    hfwd_cfg_t cfg = {.name = "x", .local_addr = "nohost"};
    CHECK(hfwd_new(&cfg) == NULL);
    cfg = (hfwd_cfg_t){.name = "x",
                       .local_addr = "127.0.0.1:80",
                       .user_tls = true,
                       .crt_path = "/nonexistent.crt"};
    CHECK(hfwd_new(&cfg) == NULL);
    char host[64];
    int port;
    CHECK_EQ_INT(hfwd_split_addr("[::1]:8443", host, sizeof host, &port), 0);
    CHECK_EQ_STR(host, "::1");
    CHECK_EQ_INT(port, 8443);
    CHECK_EQ_INT(hfwd_split_addr("web:0", host, sizeof host, &port), -1);
}

/* The plugin rows and checks (plugin/plugin_hfwd.c, plugin_static_file.c). */
static void test_plugin_rows(void)
{
    const char *names[] = {"static_file", "http2http", "http2https", "https2http", "https2https"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK(plugin_find(names[i]) != NULL);
    const plugin_ops_t *o = plugin_find("https2http");
    CHECK(plugin_key_find(o, "requestHeaders.set.x-a") != NULL);
    CHECK(plugin_key_find(o, "crtPath") != NULL);
    CHECK(plugin_key_find(plugin_find("http2http"), "crtPath") == NULL);
    char why[128];
    plugin_param_t v1[] = {{"localAddr", "127.0.0.1:80", 0}, {"crtPath", "/a.crt", 0}};
    plugin_cfg_t c1 = {"https2http", v1, 2, 0};
    CHECK_EQ_INT(o->check(&c1, why, sizeof why), -1);
    CHECK(strstr(why, "keyPath") != NULL);
    plugin_param_t v2[] = {{"localAddr", "127.0.0.1:80", 0}, {"requestHeaders.set.a b", "1", 0}};
    plugin_cfg_t c2 = {"https2http", v2, 2, 0};
    CHECK_EQ_INT(o->check(&c2, why, sizeof why), -1);
    plugin_param_t v3[] = {{"localAddr", "localhost:80", 0}, {"requestHeaders.set.X-A", "1", 0}};
    plugin_cfg_t c3 = {"https2http", v3, 2, 0};
    CHECK_EQ_INT(o->check(&c3, why, sizeof why), 0);
    plugin_param_t v4[] = {{"localPath", "/etc/hostname", 0}};
    plugin_cfg_t c4 = {"static_file", v4, 1, 0};
    CHECK_EQ_INT(plugin_find("static_file")->check(&c4, why, sizeof why), -1);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    RUN(test_http2http_rewrites_every_request);
    RUN(test_https2http_self_signed);
    RUN(test_http2https);
    RUN(test_unreachable_502);
    RUN(test_idle_close);
    RUN(test_bad_config);
    RUN(test_plugin_rows);
    return TEST_SUMMARY();
}
