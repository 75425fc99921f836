/* test_http_proxy_req: the http_proxy plugin's reading of request heads
 * (plugin/http_proxy_req.h): CONNECT and absolute-form targets, refusals,
 * the head sent to the origin, Proxy-Authorization, the proxy's answers. */
#include <stdlib.h>
#include <string.h>

#include "plugin/http_proxy_req.h"
#include "testlib.h"

static http_msg_t msg;

/* Parses `head` and its target: 0 / HP_ERR_*; 99 when the head itself fails. */
static int target(const char *head, hp_target_t *t)
{
    if (http_head_parse((const uint8_t *)head, strlen(head), HTTP_REQUEST, &msg) <= 0) return 99;
    return hp_parse_target(&msg.head, t);
}

static void test_connect(void)
{
    hp_target_t t;
    CHECK_EQ_INT(target("CONNECT web.lan:443 HTTP/1.1\r\nHost: web.lan:443\r\n\r\n", &t), 0);
    CHECK(t.connect);
    CHECK_EQ_STR(t.host, "web.lan");
    CHECK_EQ_INT(t.port, 443);
    CHECK_EQ_INT(target("CONNECT [2001:db8::5]:8443 HTTP/1.1\r\n\r\n", &t), 0);
    CHECK_EQ_STR(t.host, "2001:db8::5");
    CHECK_EQ_INT(t.port, 8443);
    CHECK_EQ_INT(target("CONNECT 10.1.2.3:22 HTTP/1.1\r\n\r\n", &t), 0);
    CHECK_EQ_STR(t.authority, "10.1.2.3:22");
    /* a port is required; no zero, no overflow, no odd host bytes */
    CHECK_EQ_INT(target("CONNECT web.lan HTTP/1.1\r\n\r\n", &t), HP_ERR_TARGET);
    CHECK_EQ_INT(target("CONNECT web.lan:0 HTTP/1.1\r\n\r\n", &t), HP_ERR_TARGET);
    CHECK_EQ_INT(target("CONNECT web.lan:65536 HTTP/1.1\r\n\r\n", &t), HP_ERR_TARGET);
    CHECK_EQ_INT(target("CONNECT [zz::1]:443 HTTP/1.1\r\n\r\n", &t), HP_ERR_TARGET);
}

static void test_absolute(void)
{
    hp_target_t t;
    CHECK_EQ_INT(target("GET http://web.lan/a/b?c=d HTTP/1.1\r\nHost: web.lan\r\n\r\n", &t), 0);
    CHECK(!t.connect);
    CHECK_EQ_STR(t.host, "web.lan");
    CHECK_EQ_INT(t.port, 80);
    CHECK_EQ_STR(t.authority, "web.lan");
    CHECK(t.path_len == 8 && strncmp(t.path, "/a/b?c=d", 8) == 0);
    CHECK_EQ_INT(target("GET HTTP://[::1]:8080 HTTP/1.1\r\n\r\n", &t), 0);
    CHECK_EQ_STR(t.host, "::1");
    CHECK_EQ_INT(t.port, 8080);
    CHECK_EQ_INT(t.path_len, 0);
    CHECK_EQ_INT(target("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &t), HP_ERR_TARGET); /* origin-form */
    CHECK_EQ_INT(target("GET https://web.lan/ HTTP/1.1\r\n\r\n", &t), HP_ERR_SCHEME);
    CHECK_EQ_INT(target("GET ftp://web.lan/ HTTP/1.1\r\n\r\n", &t), HP_ERR_TARGET);
    CHECK_EQ_INT(target("GET http://u:p@web.lan/ HTTP/1.1\r\n\r\n", &t), HP_ERR_TARGET);
    CHECK_EQ_INT(target("GET http:///x HTTP/1.1\r\n\r\n", &t), HP_ERR_TARGET);
}

static void test_origin_head(void)
{
    hp_target_t t;
    const char *in = "POST http://web.lan:8080/form?x=1 HTTP/1.1\r\n"
                     "Host: evil.example\r\n"
                     "Proxy-Authorization: Basic YWJjOnh5eg==\r\n"
                     "Proxy-Connection: keep-alive\r\n"
                     "Connection: keep-alive, X-Secret\r\n"
                     "X-Secret: 1\r\n"
                     "Keep-Alive: 5\r\n"
                     "Content-Length: 3\r\n"
                     "User-Agent: t\r\n\r\n";
    CHECK_EQ_INT(target(in, &t), 0);
    size_t n = 0;
    char *out = hp_origin_head(&msg.head, &t, &n);
    const char *want = "POST /form?x=1 HTTP/1.1\r\n"
                       "Host: web.lan:8080\r\n"
                       "Content-Length: 3\r\n"
                       "User-Agent: t\r\n"
                       "Connection: close\r\n\r\n";
    CHECK(out != NULL);
    if (out) {
        CHECK_EQ_INT(n, strlen(want));
        CHECK_EQ_STR(out, want);
    }
    free(out);
    CHECK_EQ_INT(target("GET http://web.lan?q HTTP/1.0\r\n\r\n", &t), 0);
    out = hp_origin_head(&msg.head, &t, &n);
    CHECK(out && strncmp(out, "GET /?q HTTP/1.0\r\nHost: web.lan\r\n", 33) == 0);
    free(out);
}

static void test_auth(void)
{
    hp_target_t t;
    CHECK_EQ_INT(
        target("GET http://a/ HTTP/1.1\r\nProxy-Authorization: Basic YWJjOnh5eg==\r\n\r\n", &t), 0);
    CHECK(hp_auth_ok(&msg.head, "abc", "xyz"));
    CHECK(!hp_auth_ok(&msg.head, "abc", "xy"));
    CHECK(!hp_auth_ok(&msg.head, "ab", "cxyz"));
    CHECK_EQ_INT(target("GET http://a/ HTTP/1.1\r\nAuthorization: Basic YWJjOnh5eg==\r\n\r\n", &t),
                 0);
    CHECK(!hp_auth_ok(&msg.head, "abc", "xyz")); /* the origin's header is not the proxy's */
}

static void test_answers(void)
{
    size_t n = 0;
    char *a = hp_answer(407, &n);
    CHECK(a && strncmp(a, "HTTP/1.1 407 Proxy Authentication Required\r\n", 44) == 0);
    CHECK(a && strstr(a, "\r\nProxy-Authenticate: Basic realm=\"burrow\"\r\n"));
    CHECK(a && n == strlen(a));
    free(a);
    a = hp_answer(200, &n);
    CHECK_EQ_STR(a, "HTTP/1.1 200 Connection established\r\n\r\n");
    free(a);
    a = hp_answer(502, &n);
    CHECK(a && strstr(a, "Content-Length: 16\r\n") && strstr(a, "\r\n\r\n502 Bad Gateway\n"));
    free(a);
}

int main(void)
{
    RUN(test_connect);
    RUN(test_absolute);
    RUN(test_origin_head);
    RUN(test_auth);
    RUN(test_answers);
    http_msg_free(&msg);
    return TEST_SUMMARY();
}
