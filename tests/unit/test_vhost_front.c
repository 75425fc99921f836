/* test_vhost_front: the HTTP vhost front on a real in-process server (the
 * fuzz harness's fuzz_server.h: a loop, a server on loopback, a logged-in
 * control connection and work conns written by hand). Scripted bytes: a
 * request is routed to the proxy's work conn after START_WORK, answered,
 * and the next request on the keep-alive connection goes down the same work
 * conn; a request whose work request is cancelled (its proxy closes while
 * it waits) gets a 502 and the connection ends. Teardown runs the loop dry
 * and checks that it closes. */
#include <stdbool.h>

#include "../fuzz/fuzz_server.h"
#include "testlib.h"

static bool contains(const fz_peer_t *pe, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; pe->in && i + n <= pe->len; i++)
        if (memcmp(pe->in + i, needle, n) == 0) return true;
    return false;
}

/* How often needle occurs in what pe received. */
static int count(const fz_peer_t *pe, const char *needle)
{
    size_t n = strlen(needle);
    int k = 0;
    for (size_t i = 0; pe->in && i + n <= pe->len; i++)
        if (memcmp(pe->in + i, needle, n) == 0) k++;
    return k;
}

/* Runs the loop until pe has received `times` copies of needle. */
static bool wait_for(fz_srv_t *h, fz_peer_t *pe, const char *needle, int times)
{
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    while (count(pe, needle) < times) {
        if (fz_now_ms() > deadline) return false;
        fz_pump(&h->loop, h->peers, h->npeers, 1);
        usleep(100);
    }
    return true;
}

static bool wait_eof(fz_srv_t *h, fz_peer_t *pe)
{
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    while (!pe->eof && fz_now_ms() < deadline) {
        fz_pump(&h->loop, h->peers, h->npeers, 1);
        usleep(100);
    }
    return pe->eof;
}

static void send_str(fz_srv_t *h, fz_peer_t *pe, const char *s)
{
    fz_peer_write(&h->loop, pe, s, strlen(s));
}

static void new_http_proxy(fz_srv_t *h, const char *name, const char *domain)
{
    fz_srv_new_proxy(
        h, json_pack("{s:s,s:s,s:[s]}", "name", name, "type", "http", "custom_domains", domain));
}

static void test_routed_answered_keepalive(void)
{
    fz_srv_t h;
    fz_srv_up(&h);
    fz_srv_login(&h);
    h.manual_work = true;
    new_http_proxy(&h, "web", "a.test");
    fz_srv_work(&h); /* one idle work conn */
    fz_peer_t *work = &h.peers[h.cur];
    fz_pump(&h.loop, h.peers, h.npeers, FZ_PUMPS);
    fz_peer_t *user = fz_srv_connect(&h, fz_http_port);
    CHECK(user != NULL);
    if (!user) goto out;
    send_str(&h, user, "GET /one HTTP/1.1\r\nHost: a.test\r\n\r\n");
    CHECK(wait_for(&h, work, "GET /one HTTP/1.1\r\n", 1));
    frame_t f;
    CHECK(fz_peer_frame(work, &f) && f.type == MSG_START_WORK); /* first, before the head */
    CHECK(contains(work, "\"proxy\":\"web\""));
    CHECK(contains(work, "X-Forwarded-For: 127.0.0.1"));
    send_str(&h, work, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
    CHECK(wait_for(&h, user, "HTTP/1.1 200 OK\r\n", 1));
    CHECK(wait_for(&h, user, "one", 1));
    /* Keep-alive: the next request takes the same work conn. */
    send_str(&h, user, "GET /two HTTP/1.1\r\nHost: a.test\r\n\r\n");
    CHECK(wait_for(&h, work, "GET /two HTTP/1.1\r\n", 1));
    CHECK_EQ_INT(count(work, "GET /"), 2);
    send_str(&h, work, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
    CHECK(wait_for(&h, user, "HTTP/1.1 200 OK\r\n", 2));
    CHECK(wait_for(&h, user, "two", 1));
    CHECK(!user->eof);
out:
    fz_srv_down(&h);
}

static void test_cancelled_request_gets_502(void)
{
    fz_srv_t h;
    fz_srv_up(&h);
    fz_srv_login(&h);
    h.manual_work = true; /* REQ_WORK_CONN goes unanswered: the request waits */
    new_http_proxy(&h, "web", "b.test");
    fz_peer_t *user = fz_srv_connect(&h, fz_http_port);
    CHECK(user != NULL);
    if (!user) goto out;
    send_str(&h, user, "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n");
    fz_pump(&h.loop, h.peers, h.npeers, FZ_PUMPS);
    CHECK_EQ_INT(user->len, 0); /* waiting for a work conn */
    fz_peer_send_json(&h.loop, &h.peers[0], MSG_CLOSE_PROXY, json_pack("{s:s}", "name", "web"));
    CHECK(wait_for(&h, user, "HTTP/1.1 502 ", 1));
    CHECK(wait_eof(&h, user));
    CHECK_EQ_INT(count(user, "HTTP/1.1 "), 1);
out:
    fz_srv_down(&h);
}

/* server_stop with everything live (a tcp tunnel, a front waiting for a
 * work conn, an https hello half read, an idle control conn): the loop must
 * run dry before the harness's peers close anything. */
static void test_stop_while_live(void)
{
    fz_srv_t h;
    fz_srv_up(&h);
    fz_srv_login(&h);
    h.manual_work = true;
    new_http_proxy(&h, "web", "d.test");
    fz_srv_new_proxy(&h,
                     json_pack("{s:s,s:s,s:i}", "name", "raw", "type", "tcp", "remote_port", 0));
    fz_srv_work(&h);
    fz_peer_t *work = &h.peers[h.cur];
    fz_pump(&h.loop, h.peers, h.npeers, FZ_PUMPS);
    fz_peer_t *tcp_user = fz_srv_connect(&h, h.proxy_port);
    CHECK(tcp_user != NULL);
    frame_t f;
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    while (!fz_peer_frame(work, &f) && fz_now_ms() < deadline)
        fz_pump(&h.loop, h.peers, h.npeers, 1);
    CHECK_EQ_INT(f.type, MSG_START_WORK); /* the tunnel is up */
    fz_peer_t *http_user = fz_srv_connect(&h, fz_http_port);
    if (http_user) send_str(&h, http_user, "GET / HTTP/1.1\r\nHost: d.test\r\n\r\n");
    fz_peer_t *https_user = fz_srv_connect(&h, fz_https_port);
    if (https_user) send_str(&h, https_user, "\x16\x03\x01");
    fz_pump(&h.loop, h.peers, h.npeers, FZ_PUMPS);
    CHECK(http_user && http_user->len == 0); /* still waiting */
    server_stop(h.srv);
    fz_run_dry(&h.loop); /* aborts when a handle is left */
    for (int i = 0; i < h.npeers; i++)
        fz_peer_close(&h.peers[i], false);
    server_destroy(h.srv);
    config_server_free(&h.cfg);
}

int main(void)
{
    RUN(test_routed_answered_keepalive);
    RUN(test_cancelled_request_gets_502);
    RUN(test_stop_while_live);
    return TEST_SUMMARY();
}
