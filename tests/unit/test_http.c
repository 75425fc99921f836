/* test_http: the pure parts of the vhost — message framing (http_head),
 * routing (http_route), SNI (sni), PROXY headers (proxy_proto) and error
 * pages (http_err). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_err.h"
#include "http/http_head.h"
#include "http/http_rewrite.h"
#include "http/http_route.h"
#include "http/proxy_proto.h"
#include "http/sni.h"
#include "testlib.h"

static http_msg_t g_msg;

/* Feeds `text` in chunks of `step`; records the events as letters (H, E)
 * and returns the bytes consumed before each event in `at`. */
static void feed_all(http_msg_t *m, const char *text, size_t step, char *events, size_t *at)
{
    size_t off = 0, len = strlen(text), k = 0;
    while (off < len || k < 8) {
        int ev;
        size_t n = len - off < step ? len - off : step;
        long used = http_msg_feed(m, (const uint8_t *)text + off, n, &ev);
        if (used < 0) {
            events[k++] = 'X';
            break;
        }
        off += (size_t)used;
        if (ev == HTTP_EV_HEAD) {
            at[k] = off;
            events[k++] = 'H';
        } else if (ev == HTTP_EV_END) {
            at[k] = off;
            events[k++] = 'E';
            http_msg_next(m);
        } else if (off >= len) {
            break;
        }
    }
    events[k] = '\0';
}

static void test_request_framing(void)
{
    const char *text = "POST /up?x=1 HTTP/1.1\r\nHost: A.example.com\r\nContent-Length: 5\r\n"
                       "X-Empty:\r\n\r\nhello"
                       "GET / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabc\r\n0\r\n\r\n"
                       "GET /last HTTP/1.1\r\nHost: c\r\n\r\n";
    for (size_t step = 1; step <= 200; step += 199) {
        char ev[16];
        size_t at[16];
        http_msg_init(&g_msg, HTTP_REQUEST);
        feed_all(&g_msg, text, step, ev, at);
        CHECK_EQ_STR(ev, "HEHEHE");
        CHECK_EQ_INT(at[0], 75);       /* end of the first head */
        CHECK_EQ_INT(at[1], 80);       /* + 5 body bytes */
        CHECK_EQ_INT(at[2], 80 + 55);  /* the second head */
        CHECK_EQ_INT(at[3], 135 + 13); /* the chunked body ends after "0\r\n\r\n" */
        CHECK_EQ_INT(at[4], strlen(text));
        CHECK_EQ_INT(at[5], strlen(text)); /* no body: the end comes with the head */
    }
    http_msg_init(&g_msg, HTTP_REQUEST);
    long n = http_head_parse((const uint8_t *)text, strlen(text), HTTP_REQUEST, &g_msg);
    CHECK_EQ_INT(n, 75);
    const http_head_t *h = &g_msg.head;
    CHECK_EQ_INT(h->method, HTTP_POST);
    CHECK_EQ_STR(http_str(h, h->target), "/up?x=1");
    CHECK_EQ_STR(http_head_get(h, "host"), "A.example.com");
    CHECK_EQ_STR(http_head_get(h, "X-EMPTY"), "");
    CHECK(http_head_get(h, "Nope") == NULL);
    CHECK(h->keep_alive && h->has_body && !h->upgrade);
    CHECK_EQ_INT(http_head_parse((const uint8_t *)text, 30, HTTP_REQUEST, &g_msg), 0);
}

static void test_response_framing(void)
{
    const char *text = "HTTP/1.1 100 Continue\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                       "HTTP/1.1 204 No Content\r\n\r\n"
                       "HTTP/1.0 200 OK\r\n\r\nuntil the end";
    char ev[16];
    size_t at[16];
    http_msg_init(&g_msg, HTTP_RESPONSE);
    feed_all(&g_msg, text, 7, ev, at);
    CHECK_EQ_STR(ev, "HEHEHEH");
    CHECK_EQ_INT(g_msg.head.status, 200);
    CHECK(!g_msg.head.keep_alive);
    CHECK_EQ_INT(http_msg_finish(&g_msg), 1); /* EOF ends the last body */
    /* A response to HEAD has no body whatever its Content-Length says. */
    http_msg_init(&g_msg, HTTP_RESPONSE);
    g_msg.skip_body = true;
    feed_all(&g_msg, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 100, ev, at);
    CHECK_EQ_STR(ev, "HE");
    /* 101 to an upgrade */
    http_msg_init(&g_msg, HTTP_RESPONSE);
    const char *up = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\n\r\n\x81\x05hello";
    CHECK_EQ_INT(http_head_parse((const uint8_t *)up, strlen(up), HTTP_RESPONSE, &g_msg),
                 strlen(up) - 7);
    CHECK_EQ_INT(g_msg.head.status, 101);
    CHECK_EQ_STR(http_str(&g_msg.head, g_msg.head.reason), "Switching Protocols");
}

static void test_bad_and_large(void)
{
    const char *bad[] = {
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/9.1\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char ev[16];
        size_t at[16];
        http_msg_init(&g_msg, HTTP_REQUEST);
        feed_all(&g_msg, bad[i], 1000, ev, at);
        if (!strchr(ev, 'X')) fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK(strchr(ev, 'X') != NULL);
    }
    /* 101 headers: one too many. */
    size_t cap = 64 + 101 * 16;
    char *many = malloc(cap);
    size_t n = (size_t)snprintf(many, cap, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(many + n, cap - n, "X-H%03d: v\r\n", i);
    snprintf(many + n, cap - n, "\r\n");
    http_msg_init(&g_msg, HTTP_REQUEST);
    CHECK_EQ_INT(http_head_parse((uint8_t *)many, strlen(many), HTTP_REQUEST, &g_msg),
                 HTTP_ERR_TOO_LARGE);
    free(many);
    /* A head over 64 KiB. */
    size_t big = HTTP_HEAD_MAX + 100;
    char *huge = malloc(big + 64);
    n = (size_t)snprintf(huge, big + 64, "GET / HTTP/1.1\r\nX-Big: ");
    memset(huge + n, 'a', big - n);
    memcpy(huge + big, "\r\n\r\n", 5);
    http_msg_init(&g_msg, HTTP_REQUEST);
    CHECK_EQ_INT(http_head_parse((uint8_t *)huge, strlen(huge), HTTP_REQUEST, &g_msg),
                 HTTP_ERR_TOO_LARGE);
    free(huge);
}

static void test_routes(void)
{
    http_routes_t t = {0};
    int a, a_api, a_v2, wild, deep;
    void *owner = NULL;
    CHECK_EQ_INT(http_routes_add(&t, "a.example.com", "/", &a, NULL), 0);
    CHECK_EQ_INT(http_routes_add(&t, "A.Example.com", "/api", &a_api, NULL), 0);
    CHECK_EQ_INT(http_routes_add(&t, "a.example.com", "/api/v2", &a_v2, NULL), 0);
    CHECK_EQ_INT(http_routes_add(&t, "*.example.com", "", &wild, NULL), 0);
    CHECK_EQ_INT(http_routes_add(&t, "*.b.example.com", "", &deep, NULL), 0);
    CHECK_EQ_INT(http_routes_add(&t, "a.example.com", "", &wild, &owner), -EEXIST);
    CHECK(owner == &a);
    CHECK_EQ_INT(http_routes_add(&t, "a.*.com", "", &wild, NULL), -EINVAL);
    CHECK_EQ_INT(http_routes_add(&t, "*", "", &wild, NULL), -EINVAL);
    CHECK_EQ_INT(http_routes_add(&t, "a b", "", &wild, NULL), -EINVAL);
    CHECK(http_routes_find(&t, "a.example.com", "/") == &a);
    CHECK(http_routes_find(&t, "A.EXAMPLE.COM:8080", "/x") == &a);
    CHECK(http_routes_find(&t, "a.example.com.", "/x") == &a);
    CHECK(http_routes_find(&t, "a.example.com", "/api") == &a_api);
    CHECK(http_routes_find(&t, "a.example.com", "/api/v2/x") == &a_v2);
    CHECK(http_routes_find(&t, "a.example.com", "/api/v") == &a_api);
    CHECK(http_routes_find(&t, "x.example.com", "/") == &wild);
    CHECK(http_routes_find(&t, "y.x.example.com", "/") == &wild);
    CHECK(http_routes_find(&t, "c.b.example.com", "/") == &deep);
    CHECK(http_routes_find(&t, "example.com", "/") == NULL);
    CHECK(http_routes_find(&t, "other.org", "/") == NULL);
    CHECK(http_routes_find(&t, NULL, "/") == NULL);
    http_routes_remove(&t, &a);
    CHECK(http_routes_find(&t, "a.example.com", "/") == &wild); /* falls to the wildcard */
    CHECK(http_routes_find(&t, "a.example.com", "/api") == &a_api);
    CHECK_EQ_INT(t.count, 4);
    http_routes_remove(&t, &deep);
    CHECK(http_routes_find(&t, "c.b.example.com", "/") == &wild); /* the less specific one */
    CHECK_EQ_INT(http_routes_add(&t, "a.example.com", "/", &a, NULL), 0); /* free again */
    CHECK(http_routes_find(&t, "a.example.com", "/") == &a);
    CHECK_EQ_INT(t.count, 4);
    http_routes_free(&t);
    CHECK_EQ_INT(t.count, 0);
}

static uint8_t *read_corpus(const char *name, size_t *len)
{
    char path[1024];
    const char *src = getenv("BURROW_SRC");
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/fuzz_sni/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = malloc(65536);
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

/* Owners: a domain belongs to the user of its first route; counts per user
 * and per target follow adds and removals. */
static void test_route_owners(void)
{
    http_routes_t t = {0};
    int a, a2, b;
    void *owner = NULL, *targets[4];
    size_t n = 0;
    CHECK_EQ_INT(http_routes_add_as(&t, "alice", "a.example.com", "/", &a, NULL), 0);
    CHECK_EQ_INT(http_routes_add_as(&t, "alice", "a.example.com", "/api", &a2, NULL), 0);
    CHECK_EQ_INT(http_routes_add_as(&t, "bob", "a.example.com", "/admin", &b, &owner), -EPERM);
    CHECK(owner == &a || owner == &a2);
    CHECK_EQ_INT(http_routes_add_as(&t, "bob", "A.EXAMPLE.COM", "", &b, NULL), -EPERM);
    CHECK_EQ_INT(http_routes_add_as(&t, "bob", "b.example.com", "", &b, NULL), 0);
    CHECK(http_routes_find(&t, "a.example.com", "/admin") == &a);
    CHECK_EQ_STR(http_routes_domain_user(&t, "a.example.com:80", targets, 4, &n), "alice");
    CHECK_EQ_INT(n, 2);
    CHECK(targets[0] == &a2 && targets[1] == &a); /* longest location first */
    CHECK(http_routes_domain_user(&t, "c.example.com", NULL, 0, &n) == NULL);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(http_routes_user_count(&t, "alice"), 2);
    CHECK_EQ_INT(http_routes_user_count(&t, "bob"), 1);
    CHECK_EQ_INT(http_routes_target_count(&t, &a), 1);
    http_routes_remove(&t, &a);
    http_routes_remove(&t, &a2);
    CHECK(http_routes_domain_user(&t, "a.example.com", NULL, 0, NULL) == NULL);
    CHECK_EQ_INT(http_routes_user_count(&t, "alice"), 0);
    /* Once alice holds nothing there, the domain is anyone's. */
    CHECK_EQ_INT(http_routes_add_as(&t, "bob", "a.example.com", "/admin", &b, NULL), 0);
    CHECK_EQ_STR(http_routes_domain_user(&t, "a.example.com", NULL, 0, NULL), "bob");
    CHECK_EQ_INT(http_routes_user_count(&t, "bob"), 2);
    http_routes_free(&t);
}

/* The index at scale: 100,000 routes over 25,000 domains and 1,000 wildcard
 * suffixes, every one found, then half removed and the rest still found.
 * No timing: a quadratic table would take minutes here, not fail. */
#define SCALE_DOMAINS 25000
#define SCALE_LOCS 4
static void test_route_scale(void)
{
    http_routes_t t = {0};
    static char targets[SCALE_DOMAINS];
    static const char *locs[SCALE_LOCS] = {"", "/api", "/api/v2", "/static"};
    char name[64];
    for (int i = 0; i < SCALE_DOMAINS; i++) {
        if (i % 25 == 0)
            snprintf(name, sizeof name, "*.w%d.example.org", i);
        else
            snprintf(name, sizeof name, "h%d.example.org", i);
        for (int l = 0; l < SCALE_LOCS; l++)
            CHECK_EQ_INT(http_routes_add_as(&t, "u", name, locs[l], &targets[i], NULL), 0);
    }
    CHECK_EQ_INT(t.count, SCALE_DOMAINS * SCALE_LOCS);
    CHECK_EQ_INT(http_routes_user_count(&t, "u"), SCALE_DOMAINS * SCALE_LOCS);
    int wrong = 0;
    for (int i = 0; i < SCALE_DOMAINS; i++) {
        if (i % 25 == 0)
            snprintf(name, sizeof name, "x.y.w%d.example.org", i);
        else
            snprintf(name, sizeof name, "h%d.example.org", i);
        wrong += http_routes_find(&t, name, "/api/v2/x") != &targets[i];
    }
    CHECK_EQ_INT(wrong, 0);
    for (int i = 0; i < SCALE_DOMAINS; i += 2)
        http_routes_remove(&t, &targets[i]);
    CHECK_EQ_INT(t.count, SCALE_DOMAINS / 2 * SCALE_LOCS);
    wrong = 0;
    for (int i = 0; i < SCALE_DOMAINS; i++) {
        if (i % 25 == 0)
            snprintf(name, sizeof name, "x.w%d.example.org", i);
        else
            snprintf(name, sizeof name, "h%d.example.org", i);
        void *want = i % 2 ? &targets[i] : NULL;
        wrong += http_routes_find(&t, name, "/") != want;
    }
    CHECK_EQ_INT(wrong, 0);
    for (int i = 1; i < SCALE_DOMAINS; i += 2)
        http_routes_remove(&t, &targets[i]);
    CHECK_EQ_INT(t.count, 0);
    CHECK_EQ_INT(t.domains.n, 0);
    CHECK_EQ_INT(t.targets.n, 0);
    CHECK_EQ_INT(t.users.n, 0);
    http_routes_free(&t);
}

static void test_sni(void)
{
    static const struct {
        const char *file, *name;
    } cases[] = {
        {"01_openssl_sni.bin", "site.example.com"},
        {"02_openssl_nosni.bin", ""},
        {"03_tls12.bin", "a.b.c.example"},
        {"04_curl.bin", "www.example.org"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        uint8_t *p = read_corpus(cases[i].file, &len);
        CHECK(p != NULL);
        if (!p) continue;
        char name[SNI_NAME_MAX + 1];
        long r = sni_parse(p, len, name);
        CHECK(r > 0 && (size_t)r == len);
        CHECK_EQ_STR(name, cases[i].name);
        CHECK_EQ_INT(sni_parse(p, len - 1, name), 0); /* one byte short: wait */
        p[0] = 0x17;                                  /* not a handshake record */
        CHECK_EQ_INT(sni_parse(p, len, name), -1);
        free(p);
    }
    char name[SNI_NAME_MAX + 1];
    CHECK_EQ_INT(sni_parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, name), -1);
    CHECK_EQ_INT(sni_parse((const uint8_t *)"\x16\x03\x01", 3, name), 0);
}

static void test_proxy_proto(void)
{
    uint8_t out[PROXY_PROTO_MAX];
    int n = proxy_proto_encode(1, "203.0.113.50:41000", "203.0.113.10:6000", out);
    CHECK_EQ_INT(n, 49);
    out[n > 0 ? n : 0] = 0;
    CHECK_EQ_STR((char *)out, "PROXY TCP4 203.0.113.50 203.0.113.10 41000 6000\r\n");
    n = proxy_proto_encode(1, "[2001:db8::1]:1", "[2001:db8::2]:443", out);
    out[n > 0 ? n : 0] = 0;
    CHECK_EQ_STR((char *)out, "PROXY TCP6 2001:db8::1 2001:db8::2 1 443\r\n");
    static const uint8_t v2[] = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, /* signature */
        0x21,                 /* version 2, PROXY */
        0x11,                 /* TCP over IPv4 */
        0x00, 0x0C,           /* 12 address bytes */
        203,  0,    113,  50, /* source */
        203,  0,    113,  10, /* destination */
        0xA0, 0x28,           /* 41000 */
        0x17, 0x70,           /* 6000 */
    };
    n = proxy_proto_encode(2, "203.0.113.50:41000", "203.0.113.10:6000", out);
    CHECK_EQ_INT(n, (int)sizeof v2);
    CHECK(n == (int)sizeof v2 && memcmp(out, v2, sizeof v2) == 0);
    CHECK_EQ_INT(proxy_proto_encode(2, "[::1]:1", "[::2]:2", out), 52);
    CHECK_EQ_INT(proxy_proto_encode(1, "1.2.3.4:1", "[::2]:2", out), -1);
    CHECK_EQ_INT(proxy_proto_encode(1, "1.2.3.4", "1.2.3.4:2", out), -1);
    CHECK_EQ_INT(proxy_proto_encode(3, "1.2.3.4:1", "1.2.3.4:2", out), -1);
    CHECK_EQ_INT(proxy_proto_encode(1, "", "1.2.3.4:2", out), -1);
}

static void test_error_pages(void)
{
    size_t len;
    char *r = http_err_response(502, NULL, 0, &len);
    CHECK(r && strncmp(r, "HTTP/1.1 502 Bad Gateway\r\n", 26) == 0);
    CHECK(r && strstr(r, "Connection: close\r\n") != NULL);
    /* The Content-Length matches the body. */
    char *body = r ? strstr(r, "\r\n\r\n") : NULL;
    char want[64];
    snprintf(want, sizeof want, "Content-Length: %zu\r\n", body ? len - (size_t)(body + 4 - r) : 0);
    CHECK(r && strstr(r, want) != NULL);
    free(r);
    r = http_err_response(404, "<p>mine</p>", 11, &len);
    CHECK(r && len > 11 && memcmp(r + len - 11, "<p>mine</p>", 11) == 0);
    free(r);
    r = http_err_response(401, NULL, 0, &len);
    CHECK(r && strstr(r, "WWW-Authenticate: Basic realm=\"burrow\"\r\n") != NULL);
    free(r);
    r = http_err_response(408, NULL, 0, &len);
    CHECK(r && strncmp(r, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0);
    free(r);
}

static void parse_head(const char *text, llhttp_type_t type)
{
    http_msg_init(&g_msg, type);
    CHECK_EQ_INT(http_head_parse((const uint8_t *)text, strlen(text), type, &g_msg), strlen(text));
}

static void test_rewrite(void)
{
    header_set_t req[] = {{"X-From", "burrow"}, {"user-agent", "ua"}};
    header_set_t resp[] = {{"X-Served", "yes"}, {"server", "hidden"}};
    header_list_t req_set = {req, 2}, resp_set = {resp, 2};
    http_rewrite_t rw = {"inside.local", &req_set, &resp_set, NULL};
    parse_head("GET /a?b HTTP/1.1\r\nHost: site.example\r\nUser-Agent: curl\r\n"
               "X-Forwarded-For: 10.0.0.1\r\nX-Real-IP: 6.6.6.6\r\nAccept: */*\r\n\r\n",
               HTTP_REQUEST);
    size_t len;
    char *out = http_rewrite_request(&g_msg.head, &rw, "203.0.113.50", &len);
    CHECK(out != NULL);
    if (out) {
        CHECK_EQ_INT(len,
                     strlen("GET /a?b HTTP/1.1\r\nHost: inside.local\r\nAccept: */*\r\n"
                            "X-Forwarded-For: 10.0.0.1, 203.0.113.50\r\n"
                            "X-Real-IP: 203.0.113.50\r\nX-Forwarded-Host: site.example\r\n"
                            "X-Forwarded-Proto: http\r\nX-From: burrow\r\nuser-agent: ua\r\n\r\n"));
        CHECK(memcmp(out,
                     "GET /a?b HTTP/1.1\r\nHost: inside.local\r\nAccept: */*\r\n"
                     "X-Forwarded-For: 10.0.0.1, 203.0.113.50\r\nX-Real-IP: 203.0.113.50\r\n"
                     "X-Forwarded-Host: site.example\r\nX-Forwarded-Proto: http\r\n"
                     "X-From: burrow\r\nuser-agent: ua\r\n\r\n",
                     len) == 0);
    }
    free(out);
    http_rewrite_t plain = {NULL, NULL, NULL, NULL};
    parse_head("POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 0\r\n\r\n", HTTP_REQUEST);
    out = http_rewrite_request(&g_msg.head, &plain, "::1", &len);
    CHECK(out && len > 0 &&
          strstr(out, "POST / HTTP/1.0\r\nHost: h\r\nContent-Length: 0\r\n"
                      "X-Forwarded-For: ::1\r\n") == out);
    free(out);
    parse_head("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n", HTTP_RESPONSE);
    out = http_rewrite_response(&g_msg.head, &resp_set, &len);
    const char *want =
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Served: yes\r\nserver: hidden\r\n\r\n";
    CHECK(out && len == strlen(want) && memcmp(out, want, len) == 0);
    free(out);
    parse_head("HTTP/1.1 100 Continue\r\n\r\n", HTTP_RESPONSE);
    out = http_rewrite_response(&g_msg.head, &resp_set, &len);
    CHECK(out && len == 25 && memcmp(out, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0);
    free(out);
}

static void test_basic_auth(void)
{
    /* "alice:s3cret:pw" and friends, base64 */
    static const struct {
        const char *header;
        bool ok;
    } cases[] = {
        {"Authorization: Basic YWxpY2U6czNjcmV0OnB3", true},
        {"authorization: basic   YWxpY2U6czNjcmV0OnB3", true},
        {"Authorization: Basic YWxpY2U6czNjcmV0OnB4", false},     /* alice:s3cret:px */
        {"Authorization: Basic Ym9iOnMzY3JldDpwdw==", false},     /* bob:s3cret:pw */
        {"Authorization: Basic YWxpY2U6czNjcmV0OnB3eA==", false}, /* one byte longer */
        {"Authorization: Basic YWxpY2U=", false},                 /* alice */
        {"Authorization: Basic !!!!", false},
        {"Authorization: Bearer YWxpY2U6czNjcmV0OnB3", false},
        {"X-Nothing: 1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n\r\n", cases[i].header);
        parse_head(text, HTTP_REQUEST);
        if (http_basic_auth_ok(&g_msg.head, "alice", "s3cret:pw") != cases[i].ok)
            fprintf(stderr, "basic auth case %zu wrong\n", i);
        CHECK(http_basic_auth_ok(&g_msg.head, "alice", "s3cret:pw") == cases[i].ok);
    }
}

int main(void)
{
    RUN(test_request_framing);
    RUN(test_response_framing);
    RUN(test_bad_and_large);
    RUN(test_routes);
    RUN(test_route_owners);
    RUN(test_route_scale);
    RUN(test_sni);
    RUN(test_proxy_proto);
    RUN(test_error_pages);
    RUN(test_rewrite);
    RUN(test_basic_auth);
    http_msg_free(&g_msg);
    return TEST_SUMMARY();
}
