/* test_httpd: the admin HTTP server (web/httpd.h).
 *
 * Session cases feed bytes to httpd_sess directly and read what it wrote:
 * routing, 404/405, HEAD, bodies and their bounds, Basic auth, cross-site
 * refusal, the Host check, pipelining and malformed input. Socket cases run
 * a real server on 127.0.0.1 and talk to it from a thread with blocking
 * sockets: keep-alive, the connection bound, the timeouts and HTTPS. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "testlib.h"
#include "tls/tls_cert.h"
#include "util/log.h"
#include "web/httpd.h"
#include "web/httpd_sess.h"

/* ---- routes under test ------------------------------------------------- */

static int g_calls;

static void h_hello(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data;
    g_calls++;
    char who[32] = "";
    httpd_query_get(req->query, "who", who, sizeof who);
    json_t *j = json_pack("{s:s,s:s,s:s}", "hello", who, "path", req->path, "rest", req->rest);
    httpd_resp_json(r, 200, j);
}

static void h_echo(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data;
    g_calls++;
    httpd_resp_bytes(r, 200, "application/octet-stream", req->body, req->body_len);
}

static void h_silent(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data, (void)req, (void)r; /* answers nothing: 500 */
}

static const char asset[] = "body{}";
static void h_asset(void *data, const httpd_req_t *req, httpd_resp_t *r)
{
    (void)data, (void)req;
    httpd_resp_static(r, 200, "text/css", asset, sizeof asset - 1);
    httpd_resp_header(r, "X-Test", "1");
}

static const httpd_route_t routes[] = {
    {"GET", "/hello", 0, h_hello},
    {"GET", "/api/thing/", 0, h_hello},
    {"PUT", "/echo", 0, h_echo},
    {"GET", "/reload", HTTPD_ROUTE_MUTATES, h_hello},
    {"GET", "/health", HTTPD_ROUTE_PUBLIC, h_hello},
    {"GET", "/silent", 0, h_silent},
    {"GET", "/a.css", 0, h_asset},
};

/* ---- session harness --------------------------------------------------- */

static strbuf_t g_out;
static bool g_out_full; /* the writer says "full" */

static bool sink(void *ctx, const void *p, size_t n)
{
    (void)ctx;
    strbuf_put(&g_out, p, n);
    return !g_out_full;
}

static httpd_site_t site(const char *user, const char *pw)
{
    httpd_site_t s = {routes, sizeof routes / sizeof routes[0], NULL, "test", NULL, 0};
    httpd_site_auth(&s, user, pw);
    return s;
}

/* Feeds text to a fresh session; returns what it wrote (in g_out). */
static size_t run_sess(const httpd_site_t *st, const char *text, bool *done)
{
    httpd_sess_t s;
    free(g_out.p);
    g_out = (strbuf_t){0};
    strbuf_put(&g_out, "", 0);
    httpd_sess_init(&s, st, sink, NULL, "127.0.0.1:1");
    size_t used = httpd_sess_feed(&s, (const uint8_t *)text, strlen(text));
    if (done) *done = httpd_sess_done(&s);
    httpd_sess_free(&s);
    return used;
}

static bool out_has(const char *s)
{
    return g_out.p && strstr(g_out.p, s);
}

static int count(const char *s)
{
    int n = 0;
    for (const char *p = g_out.p; p && (p = strstr(p, s)); p++)
        n++;
    return n;
}

static void test_routes(void)
{
    httpd_site_t st = site(NULL, NULL);
    bool done;
    run_sess(&st, "GET /hello?who=a%20b+c HTTP/1.1\r\nHost: 127.0.0.1:7500\r\n\r\n", &done);
    CHECK(out_has("HTTP/1.1 200 OK\r\n"));
    CHECK(out_has("Content-Type: application/json\r\n"));
    CHECK(out_has("\"hello\":\"a b c\""));
    CHECK(out_has("X-Frame-Options: DENY\r\n"));
    CHECK(!out_has("Connection: close"));
    CHECK(!done);
    run_sess(&st, "GET /api/thing/x/y HTTP/1.1\r\nHost: localhost\r\n\r\n", NULL);
    CHECK(out_has("\"rest\":\"x/y\""));
    run_sess(&st, "GET /api/thing HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 404 Not Found\r\n"));
    run_sess(&st, "DELETE /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 405 Method Not Allowed\r\n"));
    run_sess(&st, "HEAD /a.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL);
    CHECK(out_has("Content-Length: 6\r\n"));
    CHECK(out_has("X-Test: 1\r\n"));
    CHECK(!out_has("body{}"));
    run_sess(&st, "GET /a.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL);
    CHECK(out_has("\r\n\r\nbody{}"));
    run_sess(&st, "GET /silent HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 500 "));
    /* HTTP/1.0 and Connection: close end the connection after the answer. */
    run_sess(&st, "GET /hello HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", &done);
    CHECK(done && out_has("Connection: close\r\n"));
    run_sess(&st, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", &done);
    CHECK(done);
    httpd_site_free(&st);
}

static void test_pipelining_and_backpressure(void)
{
    httpd_site_t st = site(NULL, NULL);
    const char *two = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                      "GET /a.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    size_t used = run_sess(&st, two, NULL);
    CHECK_EQ_INT(used, strlen(two));
    CHECK_EQ_INT(count("HTTP/1.1 200"), 2);
    /* A full writer stops the session after the first answer. */
    g_out_full = true;
    used = run_sess(&st, two, NULL);
    g_out_full = false;
    CHECK_EQ_INT(used, strlen(two) / 2);
    CHECK_EQ_INT(count("HTTP/1.1 200"), 1);
    httpd_site_free(&st);
}

static void test_bodies(void)
{
    httpd_site_t st = site(NULL, NULL);
    bool done;
    run_sess(&st,
             "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello"
             "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
             &done);
    CHECK(out_has("Content-Length: 5\r\n"));
    CHECK(out_has("\r\n\r\nhello"));
    CHECK(out_has("Content-Length: 0\r\n"));
    CHECK(!done);
    char big[200];
    snprintf(big, sizeof big,
             "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\nxx",
             HTTPD_BODY_MAX + 1);
    g_calls = 0;
    run_sess(&st, big, &done);
    CHECK(out_has("HTTP/1.1 413 "));
    CHECK(done);
    CHECK_EQ_INT(g_calls, 0);
    run_sess(&st,
             "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n0\r\n\r\n",
             &done);
    CHECK(out_has("HTTP/1.1 411 "));
    CHECK(done);
    run_sess(&st,
             "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
             "Content-Length: 2\r\n\r\nok",
             NULL);
    CHECK(out_has("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"));
    /* Malformed and oversized heads: 400 / 431, then close. */
    run_sess(&st, "GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", &done);
    CHECK(out_has("HTTP/1.1 400 ") && done);
    run_sess(&st, "GET http://x/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 400 "));
    size_t n = HTTP_HEAD_MAX + 100;
    char *huge = malloc(n + 1);
    memcpy(huge, "GET / HTTP/1.1\r\nX: ", 19);
    memset(huge + 19, 'a', n - 19);
    huge[n] = '\0';
    run_sess(&st, huge, &done);
    free(huge);
    CHECK(out_has("HTTP/1.1 431 ") && done);
    httpd_site_free(&st);
}

static void test_auth(void)
{
    httpd_site_t st = site("admin", "s3cret");
    bool done;
    g_calls = 0;
    run_sess(&st, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &done);
    CHECK(out_has("HTTP/1.1 401 "));
    CHECK(out_has("WWW-Authenticate: Basic realm=\"burrow\""));
    CHECK(!done); /* no body: the connection may go on */
    /* base64("admin:wrong") and base64("admin:s3cret") */
    run_sess(&st, "GET /hello HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46d3Jvbmc=\r\n\r\n",
             NULL);
    CHECK(out_has("HTTP/1.1 401 "));
    run_sess(&st, "GET /hello HTTP/1.1\r\nHost: x\r\nAuthorization: basic YWRtaW46czNjcmV0\r\n\r\n",
             NULL);
    CHECK(out_has("HTTP/1.1 200 "));
    CHECK_EQ_INT(g_calls, 1);
    /* A refused upload is answered before its body and the connection ends. */
    run_sess(&st, "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", &done);
    CHECK(out_has("HTTP/1.1 401 ") && done);
    run_sess(&st, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 200 "));
    httpd_site_free(&st);
    /* A password alone turns auth on (user ""). base64(":pw") = "OnB3" */
    st = site(NULL, "pw");
    run_sess(&st, "GET /hello HTTP/1.1\r\nHost: x\r\nAuthorization: Basic OnB3\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 200 "));
    httpd_site_free(&st);
}

static void test_cross_site_and_host(void)
{
    httpd_site_t st = site(NULL, NULL);
    g_calls = 0;
    run_sess(&st,
             "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1:7400\r\nOrigin: http://evil.example\r\n"
             "Content-Length: 0\r\n\r\n",
             NULL);
    CHECK(out_has("HTTP/1.1 403 "));
    run_sess(&st,
             "GET /reload HTTP/1.1\r\nHost: 127.0.0.1:7400\r\nSec-Fetch-Site: cross-site\r\n\r\n",
             NULL);
    CHECK(out_has("HTTP/1.1 403 "));
    CHECK_EQ_INT(g_calls, 0);
    run_sess(&st,
             "PUT /echo HTTP/1.1\r\nHost: 127.0.0.1:7400\r\nOrigin: http://127.0.0.1:7400\r\n"
             "Sec-Fetch-Site: same-origin\r\nContent-Length: 0\r\n\r\n",
             NULL);
    CHECK(out_has("HTTP/1.1 200 "));
    /* A plain read from another site is not state-changing. */
    run_sess(&st, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Site: cross-site\r\n\r\n",
             NULL);
    CHECK(out_has("HTTP/1.1 200 "));
    /* DNS rebinding: without auth, the Host must be an address. */
    run_sess(&st, "GET /hello HTTP/1.1\r\nHost: evil.example:7400\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 403 "));
    run_sess(&st, "GET /hello HTTP/1.1\r\n\r\n", NULL);
    CHECK(out_has("HTTP/1.1 403 "));
    httpd_site_free(&st);
}

static void test_query(void)
{
    char v[8];
    CHECK(httpd_query_get("a=1&bb=x%2fy&c", "bb", v, sizeof v));
    CHECK_EQ_STR(v, "x/y");
    CHECK(httpd_query_get("a=1&bb=x%2fy&c", "c", v, sizeof v));
    CHECK_EQ_STR(v, "");
    CHECK(!httpd_query_get("a=1", "b", v, sizeof v));
    CHECK(!httpd_query_get("a=123456789", "a", v, sizeof v)); /* does not fit */
    CHECK(httpd_query_get("a=%zz%4", "a", v, sizeof v));
    CHECK_EQ_STR(v, "%zz%4");
}

/* ---- over sockets ------------------------------------------------------ */

typedef struct client_job {
    int port;
    void (*fn)(struct client_job *);
    uv_async_t done;
    int finished;
    SSL_CTX *tls;
    /* results */
    char reply[4096];
    int refused, timed_out_closed, keepalive_ok;
} client_job_t;

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response (up to its Content-Length) into buf. Bytes read, 0 at EOF. */
static size_t read_reply(int fd, char *buf, size_t size)
{
    size_t got = 0;
    buf[0] = '\0';
    while (got + 1 < size) {
        ssize_t n = recv(fd, buf + got, size - 1 - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
        buf[got] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length: ");
        if (end && cl && got >= (size_t)(end + 4 - buf) + (size_t)atoi(cl + 16)) break;
    }
    return got;
}

static const char get_hello[] = "GET /hello?who=t HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static void job_keepalive(client_job_t *j)
{
    int fd = dial(j->port);
    int ok = 0;
    for (int i = 0; fd >= 0 && i < 3; i++) {
        send(fd, get_hello, sizeof get_hello - 1, 0);
        if (read_reply(fd, j->reply, sizeof j->reply) && strstr(j->reply, "\"hello\":\"t\"")) ok++;
    }
    j->keepalive_ok = ok;
    if (fd >= 0) close(fd);
}

/* Holds 2 (the bound) idle connections, then a third is closed unanswered;
 * after the two go, a new one is served. */
static void job_bound(client_job_t *j)
{
    int a = dial(j->port), b = dial(j->port);
    send(a, get_hello, sizeof get_hello - 1, 0); /* a answered: the server took it */
    read_reply(a, j->reply, sizeof j->reply);
    send(b, get_hello, sizeof get_hello - 1, 0);
    read_reply(b, j->reply, sizeof j->reply);
    int c = dial(j->port);
    send(c, get_hello, sizeof get_hello - 1, 0);
    j->refused = c >= 0 && read_reply(c, j->reply, sizeof j->reply) == 0;
    close(c);
    close(a);
    close(b);
    for (int tries = 0; tries < 50; tries++) { /* the server notices the closes */
        usleep(20000);
        int d = dial(j->port);
        send(d, get_hello, sizeof get_hello - 1, 0);
        size_t n = read_reply(d, j->reply, sizeof j->reply);
        close(d);
        if (n) break;
    }
}

/* A head that never ends is cut at the request timeout. */
static void job_slow(client_job_t *j)
{
    int fd = dial(j->port);
    send(fd, "GET /hello HTTP/1.1\r\n", 21, 0);
    char buf[64];
    j->timed_out_closed = recv(fd, buf, sizeof buf, 0) == 0;
    close(fd);
}

static void job_tls(client_job_t *j)
{
    int fd = dial(j->port);
    SSL *ssl = SSL_new(j->tls);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
        SSL_write(ssl, get_hello, sizeof get_hello - 1);
        int n = SSL_read(ssl, j->reply, sizeof j->reply - 1);
        if (n > 0) j->reply[n] = '\0';
    }
    SSL_free(ssl);
    close(fd);
}

/* 20,000 pipelined requests sent before any answer is read: the server
 * stops reading while its write queue is full (no growth without bound) and
 * every answer still arrives, in order, once the client reads. */
#define PIPELINED 20000
static const char get_css[] = "GET /a.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static void *pipeline_sender(void *arg)
{
    int fd = *(int *)arg;
    for (int i = 0; i < PIPELINED; i++)
        if (send(fd, get_css, sizeof get_css - 1, MSG_NOSIGNAL) < 0) break;
    return NULL;
}

static void job_pipeline(client_job_t *j)
{
    int fd = dial(j->port);
    pthread_t t;
    pthread_create(&t, NULL, pipeline_sender, &fd);
    usleep(500000);
    static char buf[65536];
    size_t carry = 0;
    int answers = 0;
    while (answers < PIPELINED) {
        ssize_t n = recv(fd, buf + carry, sizeof buf - 1 - carry, 0);
        if (n <= 0) break;
        size_t len = carry + (size_t)n;
        buf[len] = '\0';
        char *p = buf, *hit;
        while ((hit = strstr(p, "body{}"))) { /* each answer ends with its body */
            answers++;
            p = hit + 6;
        }
        carry = len - (size_t)(p - buf);
        if (carry > 64) { /* keep a tail that may hold a split marker */
            memmove(buf, buf + len - 8, 8);
            carry = 8;
        } else {
            memmove(buf, p, carry);
        }
    }
    pthread_join(t, NULL);
    j->keepalive_ok = answers;
    close(fd);
}

static void *job_thread(void *arg)
{
    client_job_t *j = arg;
    j->fn(j);
    uv_async_send(&j->done);
    return NULL;
}

static void on_job_done(uv_async_t *a)
{
    client_job_t *j = a->data;
    j->finished = 1;
}

/* Runs fn in a thread against a server made with opts; the loop runs here. */
static void run_job(httpd_opts_t *o, client_job_t *j, void (*fn)(client_job_t *))
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    httpd_t *h = NULL;
    o->routes = routes;
    o->n_routes = sizeof routes / sizeof routes[0];
    o->addr = "127.0.0.1";
    o->what = "test";
    CHECK_EQ_INT(httpd_create(&loop, o, &h), 0);
    if (!h) return;
    j->port = httpd_port(h);
    j->fn = fn;
    uv_async_init(&loop, &j->done, on_job_done);
    j->done.data = j;
    pthread_t t;
    pthread_create(&t, NULL, job_thread, j);
    while (!j->finished)
        uv_run(&loop, UV_RUN_ONCE);
    pthread_join(t, NULL);
    httpd_destroy(h);
    uv_close((uv_handle_t *)&j->done, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0); /* everything closed and freed */
}

static void test_socket_keepalive(void)
{
    httpd_opts_t o = {0};
    client_job_t j = {0};
    run_job(&o, &j, job_keepalive);
    CHECK_EQ_INT(j.keepalive_ok, 3);
}

static void test_socket_pipeline(void)
{
    httpd_opts_t o = {0};
    client_job_t j = {0};
    run_job(&o, &j, job_pipeline);
    CHECK_EQ_INT(j.keepalive_ok, PIPELINED);
}

static void test_socket_bound(void)
{
    httpd_opts_t o = {.max_conns = 2};
    client_job_t j = {0};
    run_job(&o, &j, job_bound);
    CHECK(j.refused);
    CHECK(strstr(j.reply, "HTTP/1.1 200 OK") != NULL);
}

static void test_socket_timeout(void)
{
    httpd_opts_t o = {.request_timeout_ms = 200};
    client_job_t j = {0};
    run_job(&o, &j, job_slow);
    CHECK(j.timed_out_closed);
}

static void test_socket_tls(void)
{
    char dir[] = "/tmp/test_httpd.XXXXXX", crt[64], key[64];
    CHECK(mkdtemp(dir) != NULL);
    SSL_CTX *gen = tlsc_server_ctx(NULL, NULL, dir, NULL, NULL); /* writes the files */
    SSL_CTX_free(gen);
    snprintf(crt, sizeof crt, "%s/server.crt", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    httpd_opts_t o = {.tls_cert_file = crt, .tls_key_file = key};
    client_job_t j = {0};
    j.tls = SSL_CTX_new(TLS_client_method());
    run_job(&o, &j, job_tls);
    SSL_CTX_free(j.tls);
    CHECK(strstr(j.reply, "\"hello\":\"t\"") != NULL);
    unlink(crt);
    unlink(key);
    rmdir(dir);
    /* Bad files: httpd_create fails and leaks nothing. */
    uv_loop_t loop;
    uv_loop_init(&loop);
    httpd_t *h = NULL;
    o.tls_cert_file = "/nonexistent.crt";
    o.addr = "127.0.0.1";
    CHECK(httpd_create(&loop, &o, &h) < 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    RUN(test_routes);
    RUN(test_pipelining_and_backpressure);
    RUN(test_bodies);
    RUN(test_auth);
    RUN(test_cross_site_and_host);
    RUN(test_query);
    RUN(test_socket_keepalive);
    RUN(test_socket_pipeline);
    RUN(test_socket_bound);
    RUN(test_socket_timeout);
    RUN(test_socket_tls);
    free(g_out.p);
    return TEST_SUMMARY();
}
