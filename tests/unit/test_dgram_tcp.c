/* test_dgram_tcp: the framed TCP dgram_path (net/dgram_tcp.h) on a real
 * loop over a loopback TCP connection. The parser's vectors; datagrams both
 * ways between two paths; frames split across reads byte by byte (a raw
 * socket writes them) and several in one read; a length of 0 or above
 * DGRAM_TCP_MAX ends the path ("bad-frame": on_down, then lost, once); an
 * oversize send refused; the write queue's bound (DGRAM_TCP_QUEUE_MAX) hit
 * while the peer does not read, with every frame that was accepted intact
 * at the peer afterwards; EOF; the loop ends dry. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dgram_tcp.h"
#include "testlib.h"

typedef struct end {
    int got, downs, losts, closed;
    char reason[32];
    uint8_t last[DGRAM_TCP_MAX];
    size_t last_len, bytes;
} end_t;

static uv_loop_t loop;

static void on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg)
{
    end_t *e = arg;
    e->got++;
    e->bytes += n;
    e->last_len = n;
    memcpy(e->last, d, n);
}

static void on_down(dgram_path_t *p, const char *reason, void *arg)
{
    end_t *e = arg;
    CHECK_EQ_INT(e->losts, 0); /* the user hears first */
    e->downs++;
    snprintf(e->reason, sizeof e->reason, "%s", reason);
}

static void on_lost(dgram_path_t *p, const char *reason, void *arg)
{
    ((end_t *)arg)->losts++;
}

static void on_closed(dgram_path_t *p, void *arg)
{
    ((end_t *)arg)->closed++;
}

static void spin(const int *v, int want)
{
    for (int i = 0; i < 4000 && *v < want; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(250);
    }
}

/* Two connected loopback TCP sockets (blocking connect, then nonblocking). */
static void tcp_pair(int *a, int *b)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ_INT(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    CHECK_EQ_INT(listen(l, 1), 0);
    getsockname(l, (struct sockaddr *)&sa, &len);
    *a = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ_INT(connect(*a, (struct sockaddr *)&sa, sizeof sa), 0);
    *b = accept(l, NULL, NULL);
    CHECK(*b >= 0);
    close(l);
    fcntl(*a, F_SETFL, O_NONBLOCK);
}

static dgram_path_t *open_path(int fd, end_t *e)
{
    int err = 0;
    uv_tcp_t *h = malloc(sizeof *h);
    uv_tcp_init(&loop, h);
    CHECK_EQ_INT(uv_tcp_open(h, fd), 0);
    dgram_path_t *p = dgram_tcp_open(h, on_lost, e, &err);
    CHECK(p != NULL);
    CHECK_EQ_INT(err, 0);
    p->on_recv = on_recv;
    p->on_down = on_down;
    p->arg = e;
    return p;
}

static void close_path(dgram_path_t *p, end_t *e)
{
    p->ops->close(p, on_closed, e);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(e->closed, 1);
}

static void test_parse(void)
{
    const uint8_t *d = NULL;
    size_t n = 0;
    static const uint8_t one[] = {0x00, 0x03, 'a', 'b', 'c', 0x00};
    static const uint8_t zero[] = {0x00, 0x00};
    static const uint8_t big[] = {0x05, 0xdd}; /* 1501 */
    static const uint8_t max[] = {0x05, 0xdc}; /* 1500: needs its bytes */
    CHECK_EQ_INT(dgram_tcp_parse(one, 0, DGRAM_TCP_MAX, &d, &n), 0);
    CHECK_EQ_INT(dgram_tcp_parse(one, 1, DGRAM_TCP_MAX, &d, &n), 0);
    CHECK_EQ_INT(dgram_tcp_parse(one, 4, DGRAM_TCP_MAX, &d, &n), 0);
    CHECK_EQ_INT(dgram_tcp_parse(one, sizeof one, DGRAM_TCP_MAX, &d, &n), 5);
    CHECK(d == one + 2 && n == 3);
    CHECK_EQ_INT(dgram_tcp_parse(zero, 2, DGRAM_TCP_MAX, &d, &n), UV_EPROTO);
    CHECK_EQ_INT(dgram_tcp_parse(big, 2, DGRAM_TCP_MAX, &d, &n), UV_EPROTO);
    CHECK_EQ_INT(dgram_tcp_parse(max, 2, DGRAM_TCP_MAX, &d, &n), 0);
    uint8_t h[DGRAM_TCP_HDR];
    dgram_tcp_header(1500, h);
    CHECK(h[0] == 0x05 && h[1] == 0xdc);
}

static void test_both_ways(void)
{
    end_t a = {0}, b = {0};
    int fa, fb;
    uv_loop_init(&loop);
    tcp_pair(&fa, &fb);
    fcntl(fb, F_SETFL, O_NONBLOCK);
    dgram_path_t *pa = open_path(fa, &a), *pb = open_path(fb, &b);
    CHECK_EQ_STR(pa->ops->kind, "direct-tcp");
    CHECK_EQ_INT(pa->ops->pref, DGRAM_PREF_DIRECT_TCP);
    CHECK_EQ_INT((int)pa->max_payload, DGRAM_TCP_MAX);
    CHECK_EQ_INT(((struct sockaddr_in *)&pa->remote)->sin_port,
                 ((struct sockaddr_in *)&pb->local)->sin_port);
    uint8_t big[DGRAM_TCP_MAX + 1];
    memset(big, 0xab, sizeof big);
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT(dgram_path_send(pa, big, 1 + (size_t)i * 30), 0);
    CHECK_EQ_INT(dgram_path_send(pb, (const uint8_t *)"pong", 4), 0);
    CHECK_EQ_INT(dgram_path_send(pa, big, DGRAM_TCP_MAX + 1), UV_EMSGSIZE);
    CHECK_EQ_INT(dgram_path_send(pa, big, 0), UV_EMSGSIZE);
    spin(&b.got, 50);
    spin(&a.got, 1);
    CHECK_EQ_INT(b.got, 50);
    CHECK_EQ_INT((int)b.last_len, 1 + 49 * 30);
    CHECK_EQ_INT(a.got, 1);
    CHECK(a.last_len == 4 && !memcmp(a.last, "pong", 4));
    CHECK_EQ_INT((int)dgram_tcp_stats(pa)->sent, 50);
    CHECK_EQ_INT((int)dgram_tcp_stats(pa)->received, 1);
    CHECK_EQ_INT((int)dgram_tcp_stats(pb)->received, 50);
    /* the peer goes: EOF is on_down("closed") then lost, once */
    close_path(pb, &b);
    spin(&a.downs, 1);
    CHECK_EQ_INT(a.downs, 1);
    CHECK_EQ_INT(a.losts, 1);
    CHECK_EQ_STR(a.reason, "closed");
    CHECK_EQ_INT(dgram_path_send(pa, big, 10), UV_ENETDOWN);
    CHECK_EQ_INT(b.downs + b.losts, 0); /* closed by its owner: not told */
    close_path(pa, &a);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static void raw_write(int fd, const uint8_t *p, size_t n)
{
    CHECK_EQ_INT((int)write(fd, p, n), (int)n);
}

/* Frames cut anywhere: the header alone, then a byte at a time; two whole
 * frames and half a third in one write. */
static void test_split(void)
{
    end_t a = {0};
    int fa, raw;
    uv_loop_init(&loop);
    tcp_pair(&fa, &raw);
    dgram_path_t *pa = open_path(fa, &a);
    static const uint8_t f1[] = {0x00, 0x04, 'a', 'b', 'c', 'd'};
    for (size_t i = 0; i < sizeof f1; i++) {
        raw_write(raw, f1 + i, 1);
        for (int k = 0; k < 20; k++)
            uv_run(&loop, UV_RUN_NOWAIT);
        CHECK_EQ_INT(a.got, i + 1 == sizeof f1 ? 1 : 0);
    }
    CHECK(a.last_len == 4 && !memcmp(a.last, "abcd", 4));
    static const uint8_t f2[] = {0x00, 0x01, 'x', 0x00, 0x02, 'y', 'z', 0x00, 0x03, 'p'};
    raw_write(raw, f2, sizeof f2);
    spin(&a.got, 3);
    CHECK_EQ_INT(a.got, 3);
    CHECK(a.last_len == 2 && !memcmp(a.last, "yz", 2));
    raw_write(raw, (const uint8_t *)"qr", 2);
    spin(&a.got, 4);
    CHECK(a.got == 4 && a.last_len == 3 && !memcmp(a.last, "pqr", 3));
    CHECK_EQ_INT(a.downs, 0);
    close_path(pa, &a);
    close(raw);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A length the path cannot take: down ("bad-frame"), then lost; nothing of
 * it is delivered. */
static void bad_length(const uint8_t hdr[2])
{
    end_t a = {0};
    int fa, raw;
    uv_loop_init(&loop);
    tcp_pair(&fa, &raw);
    dgram_path_t *pa = open_path(fa, &a);
    static uint8_t body[DGRAM_TCP_MAX + 10];
    static const uint8_t ok[] = {0x00, 0x01, 'k'};
    raw_write(raw, ok, sizeof ok);
    raw_write(raw, hdr, 2);
    raw_write(raw, body, sizeof body);
    spin(&a.downs, 1);
    CHECK_EQ_INT(a.got, 1);
    CHECK_EQ_INT(a.downs, 1);
    CHECK_EQ_INT(a.losts, 1);
    CHECK_EQ_STR(a.reason, "bad-frame");
    close_path(pa, &a);
    close(raw);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

static void test_bad_lengths(void)
{
    static const uint8_t zero[2] = {0, 0}, over[2] = {0x05, 0xdd}, huge[2] = {0xff, 0xff};
    bad_length(zero);
    bad_length(over);
    bad_length(huge);
}

/* The peer does not read: the kernel's buffers fill, then the queue, up
 * to DGRAM_TCP_QUEUE_MAX; send() then drops (UV_EAGAIN). Once the peer
 * reads, every accepted frame arrives whole and in order. */
static void test_backpressure(void)
{
    end_t a = {0};
    int fa, raw;
    uv_loop_init(&loop);
    tcp_pair(&fa, &raw);
    int small = 64 * 1024;
    setsockopt(fa, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    dgram_path_t *pa = open_path(fa, &a);
    uint8_t d[DGRAM_TCP_MAX];
    int accepted = 0, r = 0;
    for (int i = 0; i < 100000 && r == 0; i++) {
        memset(d, (uint8_t)i, sizeof d);
        d[0] = (uint8_t)(accepted >> 8), d[1] = (uint8_t)accepted;
        r = dgram_path_send(pa, d, sizeof d);
        if (r == 0) accepted++;
    }
    const dgram_tcp_stats_t *st = dgram_tcp_stats(pa);
    CHECK_EQ_INT(r, UV_EAGAIN);
    CHECK(st->dropped == 1);
    CHECK(st->queued <= DGRAM_TCP_QUEUE_MAX);
    CHECK(st->queued + DGRAM_TCP_HDR + DGRAM_TCP_MAX > DGRAM_TCP_QUEUE_MAX); /* full */
    CHECK(accepted < 100000);
    CHECK_EQ_INT(dgram_path_send(pa, d, sizeof d), UV_EAGAIN); /* still full */
    /* the peer reads everything: frames whole, numbered in order */
    fcntl(raw, F_SETFL, O_NONBLOCK);
    static uint8_t buf[(DGRAM_TCP_HDR + DGRAM_TCP_MAX) * 4];
    size_t have = 0;
    int seen = 0, bad = 0;
    for (int idle = 0; idle < 400 && seen < accepted;) {
        uv_run(&loop, UV_RUN_NOWAIT);
        ssize_t n = read(raw, buf + have, sizeof buf - have);
        if (n <= 0) {
            idle++;
            usleep(500);
            continue;
        }
        idle = 0;
        have += (size_t)n;
        const uint8_t *dg;
        size_t dn;
        ssize_t k;
        size_t off = 0;
        while ((k = dgram_tcp_parse(buf + off, have - off, DGRAM_TCP_MAX, &dg, &dn)) > 0) {
            bad += dn != DGRAM_TCP_MAX || (dg[0] << 8 | dg[1]) != (seen & 0xffff);
            seen++;
            off += (size_t)k;
        }
        CHECK(k == 0);
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    CHECK_EQ_INT(seen, accepted);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT((int)st->queued, 0);
    CHECK(st->queued_peak <= DGRAM_TCP_QUEUE_MAX);
    CHECK_EQ_INT(dgram_path_send(pa, d, sizeof d), 0); /* room again */
    close_path(pa, &a);
    close(raw);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    RUN(test_parse);
    RUN(test_both_ways);
    RUN(test_split);
    RUN(test_bad_lengths);
    RUN(test_backpressure);
    return TEST_SUMMARY();
}
