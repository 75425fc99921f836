/* test_dgram_udp: the plain UDP dgram_path (net/dgram_udp.h) on a real loop
 * over 127.0.0.1: datagrams both ways, a stranger's datagrams dropped,
 * dgram_udp_down calls on_down once and stops both directions, an adopted
 * descriptor, and close callbacks; the loop ends dry. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dgram_udp.h"
#include "testlib.h"

typedef struct end {
    int got, downs, closed;
    uint8_t last[64];
    size_t last_len;
} end_t;

static uv_loop_t loop;

static void on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg)
{
    end_t *e = arg;
    e->got++;
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

int main(void)
{
    RUN(test_both_ways_and_strangers);
    RUN(test_bad_fd);
    return TEST_SUMMARY();
}
