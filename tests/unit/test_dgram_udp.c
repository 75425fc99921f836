/* test_dgram_udp: the plain UDP dgram_path (net/dgram_udp.h) on a real loop
 * over 127.0.0.1: datagrams both ways, a stranger's datagrams dropped,
 * dgram_udp_down calls on_down once and stops both directions, an adopted
 * descriptor, and close callbacks; batches (send_batch) by each kind (UDP
 * GSO, sendmmsg, one by one) and GSO's run-time fallback give the receiver
 * the same datagrams, counted; a path without send_batch sends one by one,
 * stopping at the first refusal; the loop ends dry. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "net/dgram_udp.h"
#include "testlib.h"

typedef struct end {
    int got, downs, closed;
    uint8_t last[64];
    size_t last_len;
    size_t bytes;   /* all datagrams' lengths */
    int out_of_seq; /* datagrams whose first byte is not their index */
} end_t;

static uv_loop_t loop;

static void on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg)
{
    end_t *e = arg;
    if (n == 0 || d[0] != (uint8_t)e->got) e->out_of_seq++;
    e->got++;
    e->bytes += n;
    e->last_len = n < sizeof e->last ? n : sizeof e->last;
    memcpy(e->last, d, e->last_len);
}

static void on_down(dgram_path_t *p, const char *reason, void *arg)
{
    ((end_t *)arg)->downs++;
}

static void on_closed(dgram_path_t *p, void *arg)
{
    ((end_t *)arg)->closed++;
}

static int bound_fd(struct sockaddr_in *out)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ_INT(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)out, &len);
    return fd;
}

static void spin(const int *v, int want)
{
    for (int i = 0; i < 2000 && *v < want; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(500);
    }
}

static dgram_path_t *open_path(int fd, const struct sockaddr_in *remote, const char *kind, end_t *e)
{
    int err;
    dgram_path_t *p = dgram_udp_open_fd(&loop, fd, (const struct sockaddr *)remote, kind, &err);
    CHECK(p != NULL);
    p->on_recv = on_recv;
    p->on_down = on_down;
    p->arg = e;
    return p;
}

static void test_both_ways_and_strangers(void)
{
    struct sockaddr_in aa, ba, sa;
    end_t a = {0}, b = {0};
    uv_loop_init(&loop);
    int fa = bound_fd(&aa), fb = bound_fd(&ba), fs = bound_fd(&sa);
    dgram_path_t *pa = open_path(fa, &ba, "direct", &a);
    dgram_path_t *pb = open_path(fb, &aa, "relay", &b);
    CHECK_EQ_STR(pa->ops->kind, "direct");
    CHECK_EQ_STR(pb->ops->kind, "relay");
    CHECK_EQ_INT(((struct sockaddr_in *)&pa->local)->sin_port, aa.sin_port);
    CHECK_EQ_INT(dgram_path_send(pa, (const uint8_t *)"ping", 4), 0);
    spin(&b.got, 1);
    CHECK_EQ_INT(b.got, 1);
    CHECK(b.last_len == 4 && !memcmp(b.last, "ping", 4));
    CHECK_EQ_INT(dgram_path_send(pb, (const uint8_t *)"pong!", 5), 0);
    spin(&a.got, 1);
    CHECK_EQ_INT(a.last_len, 5);
    /* A stranger (another port) is not the peer: dropped. */
    CHECK_EQ_INT(sendto(fs, "x", 1, 0, (struct sockaddr *)&aa, sizeof aa), 1);
    CHECK_EQ_INT(dgram_path_send(pb, (const uint8_t *)"after", 5), 0);
    spin(&a.got, 2);
    CHECK_EQ_INT(a.got, 2);
    CHECK(a.last_len == 5 && !memcmp(a.last, "after", 5));
    /* Down: on_down once, nothing more either way. */
    dgram_udp_down(pa, "test");
    dgram_udp_down(pa, "again");
    CHECK_EQ_INT(a.downs, 1);
    CHECK_EQ_INT(dgram_path_send(pa, (const uint8_t *)"no", 2), UV_ENETDOWN);
    CHECK_EQ_INT(dgram_path_send(pb, (const uint8_t *)"lost", 4), 0);
    for (int i = 0; i < 20; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_EQ_INT(a.got, 2);
    pa->ops->close(pa, on_closed, &a);
    pb->ops->close(pb, on_closed, &b);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(a.closed + b.closed, 2);
    close(fs);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A descriptor that is no socket: refused, and closed (the path owned it). */
static void test_bad_fd(void)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
    int err = 0, pipefd[2];
    uv_loop_init(&loop);
    CHECK_EQ_INT(pipe(pipefd), 0);
    dgram_path_t *p = dgram_udp_open_fd(&loop, pipefd[0], (struct sockaddr *)&to, "direct", &err);
    CHECK(p == NULL);
    CHECK(err < 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(close(pipefd[0]) != 0); /* already closed */
    close(pipefd[1]);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

/* A batch of `n` datagrams of `seg` bytes, the last `tail` bytes; datagram i
 * filled with byte i. The count send_batch returned. */
static int send_numbered(dgram_path_t *p, int n, size_t seg, size_t tail)
{
    static uint8_t buf[DGRAM_BATCH_MAX * 1400];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t k = i == n - 1 ? tail : seg;
        memset(buf + len, i, k);
        len += k;
    }
    return dgram_path_send_batch(p, buf, len, seg);
}

/* UDP GSO came with Linux 4.18: there, a socket must start with it. */
static bool want_gso(void)
{
#ifdef __linux__
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
    return major > 4 || (major == 4 && minor >= 18);
#else
    return false;
#endif
}

/* Every kind gives the peer the same datagrams, in order, counted. */
static void test_batch_kinds(void)
{
    static const udp_batch_kind_t kinds[] = {UDP_BATCH_GSO, UDP_BATCH_MMSG, UDP_BATCH_LOOP};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        struct sockaddr_in aa, ba;
        end_t a = {0}, b = {0};
        uv_loop_init(&loop);
        int fa = bound_fd(&aa), fb = bound_fd(&ba);
        dgram_path_t *pa = open_path(fa, &ba, "direct", &a);
        dgram_path_t *pb = open_path(fb, &aa, "direct", &b);
        if (want_gso()) CHECK_EQ_STR(dgram_udp_batch_kind(pa), "gso");
        dgram_udp_limit_batch(pa, kinds[k]);
        if (k > 0) CHECK_EQ_STR(dgram_udp_batch_kind(pa), udp_batch_kind_str(kinds[k]));
        CHECK_EQ_INT(send_numbered(pa, DGRAM_BATCH_MAX, 1200, 333), DGRAM_BATCH_MAX);
        spin(&b.got, DGRAM_BATCH_MAX);
        CHECK_EQ_INT(b.got, DGRAM_BATCH_MAX);
        CHECK_EQ_INT(b.out_of_seq, 0);
        CHECK_EQ_INT((int)b.bytes, (DGRAM_BATCH_MAX - 1) * 1200 + 333);
        CHECK_EQ_INT((int)b.last_len, 64); /* 333 bytes, 64 kept */
        /* One datagram, and a batch too big: refused whole. */
        CHECK_EQ_INT(send_numbered(pa, 1, 1200, 100), 1);
        spin(&b.got, DGRAM_BATCH_MAX + 1);
        CHECK_EQ_INT(b.got, DGRAM_BATCH_MAX + 1);
        CHECK_EQ_INT(dgram_path_send_batch(pa, (const uint8_t *)"x", UDP_BATCH_BYTES + 1, 2000),
                     UV_EMSGSIZE);
        pa->ops->close(pa, on_closed, &a);
        pb->ops->close(pb, on_closed, &b);
        uv_run(&loop, UV_RUN_DEFAULT);
        CHECK_EQ_INT(a.closed + b.closed, 2);
        CHECK_EQ_INT(uv_loop_close(&loop), 0);
    }
}

#ifdef __linux__
/* A socket whose GSO sends the kernel refuses (SO_NO_CHECK: no UDP
 * checksum, which GSO needs: EINVAL) falls back to sendmmsg at the first
 * batch, which arrives whole all the same. */
static void test_gso_refused(void)
{
    struct sockaddr_in aa, ba;
    end_t a = {0}, b = {0};
    int one = 1;
    uv_loop_init(&loop);
    int fa = bound_fd(&aa), fb = bound_fd(&ba);
    CHECK_EQ_INT(setsockopt(fa, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one), 0);
    dgram_path_t *pa = open_path(fa, &ba, "direct", &a);
    dgram_path_t *pb = open_path(fb, &aa, "relay", &b);
    bool gso = want_gso();
    if (gso) CHECK_EQ_STR(dgram_udp_batch_kind(pa), "gso");
    CHECK_EQ_INT(send_numbered(pa, 10, 1000, 1000), 10);
    if (gso) CHECK_EQ_STR(dgram_udp_batch_kind(pa), "sendmmsg"); /* the fallback ran */
    CHECK_EQ_INT(send_numbered(pa, 5, 1000, 10), 5);
    spin(&b.got, 15);
    CHECK_EQ_INT(b.got, 15);
    CHECK_EQ_INT((int)b.bytes, 10 * 1000 + 4 * 1000 + 10);
    CHECK_EQ_INT(b.out_of_seq, 5); /* the second batch counts from 0 again */
    pa->ops->close(pa, on_closed, &a);
    pb->ops->close(pb, on_closed, &b);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}
#endif

/* A path without send_batch: the helper sends one by one and stops at the
 * first refusal (the count so far; the error when none went). */
static int fake_sent, fake_room;
static size_t fake_bytes;

static int fake_send(dgram_path_t *p, const uint8_t *d, size_t n)
{
    if (fake_sent == fake_room) return UV_EAGAIN;
    fake_sent++;
    fake_bytes += n;
    return 0;
}

static void test_batch_default_loop(void)
{
    static const dgram_path_ops_t ops = {.kind = "relay", .send = fake_send};
    dgram_path_t p = {.ops = &ops, .max_payload = 1500};
    fake_room = 100;
    CHECK_EQ_INT(send_numbered(&p, 7, 1000, 5), 7);
    CHECK_EQ_INT(fake_sent, 7);
    CHECK_EQ_INT((int)fake_bytes, 6005);
    fake_sent = 0;
    fake_room = 3;
    CHECK_EQ_INT(send_numbered(&p, 7, 1000, 5), 3);
    fake_sent = 0;
    fake_room = 0;
    CHECK_EQ_INT(send_numbered(&p, 7, 1000, 5), UV_EAGAIN);
}

int main(void)
{
    RUN(test_both_ways_and_strangers);
    RUN(test_bad_fd);
    RUN(test_batch_kinds);
    RUN(test_batch_default_loop);
#ifdef __linux__
    RUN(test_gso_refused);
#endif
    return TEST_SUMMARY();
}
