/* test_inspect: the inspector's recorder and ring (inspect/insp_rec.h,
 * inspect/insp_ring.h) without sockets: exchanges in both directions fed
 * byte by byte and in one piece, pipelining, HEAD, 100-continue, chunked
 * bodies decoded, truncation at the body bound, a response until EOF, a
 * parse error stopping recording, the pipeline bound, and the ring's byte
 * bound evicting the oldest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/insp_rec.h"
#include "inspect/insp_ring.h"
#include "testlib.h"

static insp_rec_t *rec(insp_ring_t *ring, size_t body_max)
{
    insp_rec_opts_t o = {.proxy = "web", .src = "192.0.2.1:5555", .body_max = body_max};
    return insp_rec_create(ring, &o);
}

static void feed(insp_rec_t *r, int dir, const char *s, uint64_t t)
{
    insp_rec_feed(r, dir, (const uint8_t *)s, strlen(s), t);
}

/* One byte at a time: heads straddle every possible split. */
static void feed_bytes(insp_rec_t *r, int dir, const char *s, uint64_t t)
{
    for (size_t i = 0; s[i]; i++)
        insp_rec_feed(r, dir, (const uint8_t *)s + i, 1, t);
}

static bool body_is(const insp_body_t *b, const char *want)
{
    return b->len == strlen(want) && memcmp(b->p, want, b->len) == 0;
}

#define REQ_POST "POST /api/x?y=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
#define RESP_CHUNKED                                                                               \
    "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"

static void test_one_exchange(int bytewise)
{
    insp_ring_t ring;
    insp_ring_init(&ring, 1 << 20);
    insp_rec_t *r = rec(&ring, 1024);
    void (*f)(insp_rec_t *, int, const char *, uint64_t) = bytewise ? feed_bytes : feed;
    f(r, INSP_REQ, REQ_POST, 1000);
    CHECK_EQ_INT(ring.n, 0); /* waits for its response */
    f(r, INSP_RESP, RESP_CHUNKED, 3500);
    CHECK_EQ_INT(ring.n, 1);
    const insp_ex_t *ex = insp_ring_find(&ring, 1);
    CHECK(ex != NULL);
    CHECK_EQ_STR(ex->method, "POST");
    CHECK_EQ_STR(ex->target, "/api/x?y=1");
    CHECK_EQ_STR(ex->proxy, "web");
    CHECK_EQ_STR(ex->src, "192.0.2.1:5555");
    CHECK_EQ_INT(ex->status, 201);
    CHECK_EQ_INT(ex->start_us, 1000);
    CHECK_EQ_INT(ex->duration_us, 2500);
    CHECK(ex->complete);
    CHECK(body_is(&ex->req_body, "{\"a\":1}"));
    CHECK(body_is(&ex->resp_body, "abcde")); /* chunk framing removed */
    CHECK(!ex->req_body.truncated && !ex->resp_body.truncated);
    CHECK_EQ_INT(ex->req_head_len, strlen(REQ_POST) - 7);
    CHECK(memcmp(ex->req_head, REQ_POST, ex->req_head_len) == 0);
    CHECK(strncmp(ex->resp_head, "HTTP/1.1 201 Created\r\n", 22) == 0);
    CHECK(insp_rec_stopped(r) == NULL);
    insp_rec_destroy(r, 4000);
    CHECK_EQ_INT(ring.n, 1);
    insp_ring_free(&ring);
}

static void test_whole_and_bytewise(void)
{
    test_one_exchange(0);
    test_one_exchange(1);
}

/* Two pipelined requests, the first HEAD (its response has no body though
 * it names a length), a 100 Continue before the second's answer. */
static void test_pipelining_head_continue(void)
{
    insp_ring_t ring;
    insp_ring_init(&ring, 1 << 20);
    insp_rec_t *r = rec(&ring, 1024);
    feed(r, INSP_REQ,
         "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n"
         "PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok",
         1);
    feed(r, INSP_RESP,
         "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"
         "HTTP/1.1 100 Continue\r\n\r\n"
         "HTTP/1.1 204 No Content\r\n\r\n",
         2);
    CHECK_EQ_INT(ring.n, 2);
    const insp_ex_t *a = insp_ring_find(&ring, 1), *b = insp_ring_find(&ring, 2);
    CHECK(a && b);
    CHECK_EQ_STR(a->method, "HEAD");
    CHECK_EQ_INT(a->status, 200);
    CHECK_EQ_INT(a->resp_body.total, 0);
    CHECK_EQ_STR(b->method, "PUT");
    CHECK_EQ_INT(b->status, 204);
    CHECK(body_is(&b->req_body, "ok"));
    CHECK(insp_rec_stopped(r) == NULL);
    insp_rec_destroy(r, 3);
    insp_ring_free(&ring);
}

/* Bodies past the bound are counted, kept up to it and marked truncated. */
static void test_truncation(void)
{
    insp_ring_t ring;
    insp_ring_init(&ring, 1 << 20);
    insp_rec_t *r = rec(&ring, 10);
    feed(r, INSP_REQ, "POST / HTTP/1.1\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz", 1);
    feed(r, INSP_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz", 2);
    const insp_ex_t *ex = insp_ring_find(&ring, 1);
    CHECK(ex != NULL);
    CHECK(body_is(&ex->req_body, "abcdefghij"));
    CHECK(ex->req_body.truncated);
    CHECK_EQ_INT(ex->req_body.total, 26);
    CHECK(!ex->resp_body.truncated);
    insp_rec_destroy(r, 3);
    insp_ring_free(&ring);
}

/* A response without a length runs until the connection closes; a request
 * left without an answer is kept, marked incomplete. */
static void test_eof_and_incomplete(void)
{
    insp_ring_t ring;
    insp_ring_init(&ring, 1 << 20);
    insp_rec_t *r = rec(&ring, 100);
    feed(r, INSP_REQ, "GET /a HTTP/1.0\r\n\r\n", 1);
    feed(r, INSP_RESP, "HTTP/1.0 200 OK\r\n\r\nuntil eof", 2);
    CHECK_EQ_INT(ring.n, 0);
    insp_rec_destroy(r, 9);
    CHECK_EQ_INT(ring.n, 1);
    const insp_ex_t *ex = insp_ring_find(&ring, 1);
    CHECK(ex && ex->complete && body_is(&ex->resp_body, "until eof"));
    CHECK_EQ_INT(ex->duration_us, 8);

    r = rec(&ring, 100);
    feed(r, INSP_REQ, "GET /b HTTP/1.1\r\nHost: a\r\n\r\n", 10);
    insp_rec_destroy(r, 20);
    ex = insp_ring_find(&ring, 2);
    CHECK(ex && !ex->complete && ex->status == 0 && ex->resp_head == NULL);
    insp_ring_free(&ring);
}

/* Garbage stops recording for the connection, once, and nothing more is
 * recorded from it; what came before stays. */
static void test_parse_error_stops(void)
{
    insp_ring_t ring;
    insp_ring_init(&ring, 1 << 20);
    insp_rec_t *r = rec(&ring, 100);
    feed(r, INSP_REQ, "GET /ok HTTP/1.1\r\n\r\n", 1);
    feed(r, INSP_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
    feed(r, INSP_REQ, "\x01\x02 not http\r\n\r\n", 3);
    CHECK(insp_rec_stopped(r) != NULL);
    CHECK(strstr(insp_rec_stopped(r), "unparsable") != NULL);
    feed(r, INSP_REQ, "GET /late HTTP/1.1\r\n\r\n", 4);
    feed(r, INSP_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 5);
    insp_rec_destroy(r, 6);
    CHECK_EQ_INT(ring.n, 1);
    CHECK(insp_ring_find(&ring, 1) != NULL);

    /* A response nobody asked for. */
    r = rec(&ring, 100);
    feed(r, INSP_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 7);
    CHECK(insp_rec_stopped(r) != NULL);
    insp_rec_destroy(r, 8);
    CHECK_EQ_INT(ring.n, 1);
    insp_ring_free(&ring);
}

/* INSP_PIPELINE_MAX requests may wait; one more stops recording. */
static void test_pipeline_bound(void)
{
    insp_ring_t ring;
    insp_ring_init(&ring, 1 << 20);
    insp_rec_t *r = rec(&ring, 100);
    for (int i = 0; i < INSP_PIPELINE_MAX; i++)
        feed(r, INSP_REQ, "GET / HTTP/1.1\r\n\r\n", 1);
    CHECK(insp_rec_stopped(r) == NULL);
    feed(r, INSP_REQ, "GET / HTTP/1.1\r\n\r\n", 1);
    CHECK(insp_rec_stopped(r) != NULL);
    insp_rec_destroy(r, 2);
    CHECK_EQ_INT(ring.n, INSP_PIPELINE_MAX); /* kept, incomplete */
    insp_ring_free(&ring);
}

/* Many exchanges past the byte bound: the ring stays within it, the oldest
 * are gone, the newest are there. */
static void test_ring_bound(void)
{
    insp_ring_t ring;
    const size_t max = 64 * 1024;
    insp_ring_init(&ring, max);
    char body[2000];
    memset(body, 'b', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    char req[2200];
    snprintf(req, sizeof req, "POST /n HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", strlen(body),
             body);
    for (int i = 0; i < 500; i++) {
        insp_rec_t *r = rec(&ring, 4096);
        feed(r, INSP_REQ, req, (uint64_t)i);
        feed(r, INSP_RESP, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", (uint64_t)i);
        insp_rec_destroy(r, (uint64_t)i);
        CHECK(ring.used <= max);
    }
    CHECK(ring.n > 5 && ring.n < 500);
    CHECK(ring.evicted == 500 - ring.n);
    CHECK(insp_ring_find(&ring, 1) == NULL);
    CHECK(insp_ring_find(&ring, 500) != NULL);
    CHECK_EQ_INT(ring.head->id, 500 - ring.n + 1);
    insp_ring_free(&ring);
    CHECK_EQ_INT(ring.used, 0);
}

/* In-flight exchanges alone fill the ring: bodies are cut, then new
 * exchanges are not recorded; nothing exceeds the bound. */
static void test_ring_full_in_flight(void)
{
    insp_ring_t ring;
    insp_ring_init(&ring, 8192);
    insp_rec_t *r = rec(&ring, 1 << 20);
    feed(r, INSP_REQ, "POST / HTTP/1.1\r\nContent-Length: 20000\r\n\r\n", 1);
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 20; i++)
        insp_rec_feed(r, INSP_REQ, (const uint8_t *)chunk, sizeof chunk, 1);
    CHECK(ring.used <= 8192);
    insp_rec_t *r2 = rec(&ring, 100);
    for (int i = 0; i < 20 && !insp_rec_stopped(r2); i++)
        feed(r2, INSP_REQ, "GET / HTTP/1.1\r\n\r\n", 1);
    CHECK(insp_rec_stopped(r2) != NULL);
    CHECK(ring.used <= 8192);
    insp_rec_destroy(r2, 2);
    insp_rec_destroy(r, 2);
    const insp_ex_t *ex = insp_ring_find(&ring, 1);
    CHECK(ex && ex->req_body.truncated && ex->req_body.total == 20000);
    insp_ring_free(&ring);
}

int main(void)
{
    RUN(test_whole_and_bytewise);
    RUN(test_pipelining_head_continue);
    RUN(test_truncation);
    RUN(test_eof_and_incomplete);
    RUN(test_parse_error_stops);
    RUN(test_pipeline_bound);
    RUN(test_ring_bound);
    RUN(test_ring_full_in_flight);
    return TEST_SUMMARY();
}
