/* test_chealth: the client's health checks (client/chealth.h): the state
 * machine, the status-line parser, and checkers on a real loop against
 * real sockets on 127.0.0.1: tcp up/down/up as a listener goes and comes
 * back, http 200 vs 500, a service that never answers (timeout), one probe
 * at a time, and closing a checker in the middle of a probe. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "client/chealth.h"
#include "net/addr.h"
#include "testlib.h"

static void test_state_machine(void)
{
    health_sm_t sm = {0};
    CHECK_EQ_INT(health_sm_result(&sm, 3, false), HEALTH_STEP_NONE);
    CHECK_EQ_INT(health_sm_result(&sm, 3, false), HEALTH_STEP_NONE);
    CHECK_EQ_INT(health_sm_result(&sm, 3, true), HEALTH_STEP_NONE); /* the count starts over */
    CHECK_EQ_INT(health_sm_result(&sm, 3, false), HEALTH_STEP_NONE);
    CHECK_EQ_INT(health_sm_result(&sm, 3, false), HEALTH_STEP_NONE);
    CHECK_EQ_INT(health_sm_result(&sm, 3, false), HEALTH_STEP_DOWN);
    CHECK(sm.down);
    CHECK_EQ_INT(health_sm_result(&sm, 3, false), HEALTH_STEP_NONE); /* once */
    CHECK_EQ_INT(health_sm_result(&sm, 3, true), HEALTH_STEP_UP);
    CHECK_EQ_INT(health_sm_result(&sm, 3, true), HEALTH_STEP_NONE);
    health_sm_t one = {0};
    CHECK_EQ_INT(health_sm_result(&one, 1, false), HEALTH_STEP_DOWN); /* frp's default */
}

static int status_of(const char *s)
{
    return health_http_status((const uint8_t *)s, strlen(s));
}

static void test_status_line(void)
{
    CHECK_EQ_INT(status_of("HTTP/1.1 200 OK\r\n"), 200);
    CHECK_EQ_INT(status_of("HTTP/1.0 503 Busy\r\n"), 503);
    CHECK_EQ_INT(status_of("HTTP/1.1 204\r\n"), 204);
    CHECK_EQ_INT(status_of("HTTP/1.1 20"), 0);
    CHECK_EQ_INT(status_of("HTTP/1.1 200"), 0); /* the byte after the code decides */
    CHECK_EQ_INT(status_of("HTTP/1.1 200`OK\r\n"), -1);
    CHECK_EQ_INT(status_of("HTTP/1.1 2x"), -1); /* refused as soon as seen */
    CHECK_EQ_INT(status_of("HTT"), 0);
    CHECK_EQ_INT(status_of(""), 0);
    CHECK_EQ_INT(status_of("SSH-2.0-OpenSSH\r\n"), -1);
    CHECK_EQ_INT(status_of("HTTP/1.1 2x0 OK\r\n"), -1);
    CHECK_EQ_INT(status_of("HTTP/1.1 2000 OK\r\n"), -1);
    CHECK_EQ_INT(status_of("HTTP/1.1 099 OK\r\n"), -1);
    CHECK_EQ_INT(status_of("HTTP/2 200\r\n"), -1);
}

/* ---- on a loop --------------------------------------------------------------- */

static uv_loop_t loop;
static uv_tcp_t server;
static bool server_open;
static const char *answer; /* what the server writes to each connection; NULL: silence */
static int accepted, ups, downs;
static char last_why[96];

typedef struct peer {
    uv_tcp_t t;
    uv_write_t w;
} peer_t;

static void on_peer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_peer_written(uv_write_t *w, int status)
{
    (void)status;
    peer_t *p = w->data;
    uv_close((uv_handle_t *)&p->t, on_peer_closed);
}

static void peer_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
    static char sink[4096];
    (void)h;
    (void)want;
    *buf = uv_buf_init(sink, sizeof sink);
}

static void peer_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n < 0 && !uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, on_peer_closed);
}

static void on_conn(uv_stream_t *srv, int status)
{
    if (status < 0) return;
    peer_t *p = calloc(1, sizeof *p);
    uv_tcp_init(&loop, &p->t);
    p->t.data = p;
    p->w.data = p;
    if (uv_accept(srv, (uv_stream_t *)&p->t) != 0) {
        uv_close((uv_handle_t *)&p->t, on_peer_closed);
        return;
    }
    accepted++;
    if (answer) {
        uv_buf_t b = uv_buf_init((char *)answer, (unsigned)strlen(answer));
        uv_write(&p->w, (uv_stream_t *)&p->t, &b, 1, on_peer_written);
    } else {
        uv_read_start((uv_stream_t *)&p->t, peer_alloc, peer_read); /* never answers */
    }
}

static int server_start(int port)
{
    struct sockaddr_storage a;
    addr_parse("127.0.0.1", port, &a);
    uv_tcp_init(&loop, &server);
    int r = uv_tcp_bind(&server, (struct sockaddr *)&a, 0);
    if (r == 0) r = uv_listen((uv_stream_t *)&server, 16, on_conn);
    server_open = r == 0;
    int len = sizeof a;
    uv_tcp_getsockname(&server, (struct sockaddr *)&a, &len);
    return ((struct sockaddr_in *)&a)->sin_port ? ntohs(((struct sockaddr_in *)&a)->sin_port) : -1;
}

static void server_stop(void)
{
    if (server_open) uv_close((uv_handle_t *)&server, NULL);
    server_open = false;
}

static void on_health(void *arg, bool up, const char *why)
{
    (void)arg;
    if (up)
        ups++;
    else
        downs++;
    snprintf(last_why, sizeof last_why, "%s", why);
}

/* Runs the loop until cond() or ms pass. */
static bool run_until(bool (*cond)(void), unsigned ms)
{
    uint64_t end = uv_now(&loop) + ms;
    while (!cond() && uv_now(&loop) < end)
        uv_run(&loop, UV_RUN_ONCE);
    return cond();
}

static chealth_t *hc;
static unsigned want_probes;
static bool probes_reached(void)
{
    return chealth_probes(hc) >= want_probes;
}
static int want_downs, want_ups;
static bool downs_reached(void)
{
    return downs >= want_downs && ups >= want_ups;
}

static void reset(void)
{
    uv_loop_init(&loop);
    accepted = ups = downs = 0;
    last_why[0] = '\0';
    answer = NULL;
}

/* Closes everything and checks that no handle is left. */
static void finish(void)
{
    chealth_close(hc);
    hc = NULL;
    server_stop();
    for (int i = 0; i < 100 && uv_run(&loop, UV_RUN_NOWAIT) != 0; i++)
        ;
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static chealth_t *checker(const health_cfg_t *cfg, int port, unsigned interval_ms)
{
    struct sockaddr_storage t;
    addr_parse("127.0.0.1", port, &t);
    chealth_t *h = chealth_create(&loop, cfg, &t, "test", on_health, NULL);
    chealth_set_interval_ms(h, interval_ms);
    return h;
}

/* tcp: up while the listener is there, down (maxFailed 2) once it is gone,
 * up again when it returns on the same port. */
static void test_tcp_down_and_up(void)
{
    reset();
    answer = "";
    int port = server_start(0);
    health_cfg_t cfg = {.type = HEALTH_TCP, .timeout_s = 1, .max_failed = 2, .interval_s = 1};
    hc = checker(&cfg, port, 20);
    want_probes = 3;
    CHECK(run_until(probes_reached, 3000));
    CHECK_EQ_INT(downs, 0);
    CHECK(!chealth_is_down(hc));
    server_stop();
    want_downs = 1, want_ups = 0;
    unsigned before = chealth_probes(hc);
    CHECK(run_until(downs_reached, 3000));
    CHECK(chealth_is_down(hc));
    CHECK(chealth_probes(hc) >= before + 2); /* two failures in a row, not one */
    CHECK(strstr(last_why, "refused") != NULL);
    CHECK(strstr(chealth_error(hc), "refused") != NULL);
    CHECK_EQ_INT(server_start(port), port);
    want_downs = 1, want_ups = 1;
    CHECK(run_until(downs_reached, 3000));
    CHECK(!chealth_is_down(hc));
    CHECK_EQ_INT(downs, 1);
    finish();
}

/* http: 200 is healthy, 500 is not; the request reaches the server. */
static void test_http_status(void)
{
    reset();
    answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    int port = server_start(0);
    health_cfg_t cfg = {
        .type = HEALTH_HTTP, .timeout_s = 1, .max_failed = 1, .interval_s = 1, .path = "/healthz"};
    hc = checker(&cfg, port, 10);
    want_probes = 3;
    CHECK(run_until(probes_reached, 3000));
    CHECK_EQ_INT(downs, 0);
    CHECK(accepted >= 3);
    answer = "HTTP/1.1 500 Internal Server Error\r\n\r\n";
    want_downs = 1, want_ups = 0;
    CHECK(run_until(downs_reached, 3000));
    CHECK_EQ_STR(last_why, "http status 500");
    answer = "HTTP/1.0 204 No Content\r\n\r\n";
    want_ups = 1;
    CHECK(run_until(downs_reached, 3000));
    CHECK(!chealth_is_down(hc));
    finish();
}

/* A service that accepts and never answers: each probe ends at the
 * timeout, one at a time (never two connections at once). */
static void test_timeout_one_at_a_time(void)
{
    reset();
    int port = server_start(0);
    health_cfg_t cfg = {
        .type = HEALTH_HTTP, .timeout_s = 1, .max_failed = 1, .interval_s = 1, .path = "/"};
    hc = checker(&cfg, port, 10);
    uint64_t t0 = uv_now(&loop);
    want_downs = 1, want_ups = 0;
    CHECK(run_until(downs_reached, 3000));
    CHECK_EQ_STR(last_why, "timeout");
    CHECK(uv_now(&loop) - t0 >= 900);
    CHECK_EQ_INT(accepted, 1); /* the only probe so far */
    finish();
}

/* Closing in the middle of a probe: no callback, every handle closed. */
static void test_close_mid_probe(void)
{
    reset();
    int port = server_start(0);
    health_cfg_t cfg = {.type = HEALTH_TCP, .timeout_s = 5, .max_failed = 1, .interval_s = 1};
    hc = checker(&cfg, port, 10);
    uv_run(&loop, UV_RUN_NOWAIT); /* the first probe starts connecting */
    finish();
    CHECK_EQ_INT(downs + ups, 0);
}

int main(void)
{
    RUN(test_state_machine);
    RUN(test_status_line);
    RUN(test_tcp_down_and_up);
    RUN(test_http_status);
    RUN(test_timeout_one_at_a_time);
    RUN(test_close_mid_probe);
    return TEST_SUMMARY();
}
