/* relay_bench: datagrams per second and CPU per GB through the server's UDP
 * relay (server/udp_relay.c) on loopback. Not a test.
 *
 *   relay_bench [seconds=3] [size=1200] [window=256]
 *
 * The parent process runs the relay alone on its loop (so its getrusage is
 * the relay's cost); the child runs two relay paths (p2p/relay_path.c):
 * side 0 sends datagrams of `size` bytes to side 1 for `seconds`, keeping
 * at most `window` in flight (sent, not yet received: both ends are in the
 * child, so the count is exact and loss shows as a stall, not as a rate).
 * The child writes its counts through a pipe; the parent prints one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "p2p/relay_path.h"
#include "server/udp_relay.h"
#include "util/log.h"

typedef struct grant_msg {
    struct sockaddr_storage relay;
    udp_relay_alloc_t a;
} grant_msg_t;

typedef struct child {
    uv_loop_t loop;
    uv_idle_t idle;
    uv_timer_t stop;
    dgram_path_t *p[2];
    int ready;
    uint64_t sent, got, got_bytes, t0, t1;
    size_t size, window;
    uint8_t buf[RELAY_WIRE_DGRAM_MAX];
} child_t;

static void on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg)
{
    child_t *c = arg;
    (void)p;
    (void)d;
    c->got++;
    c->got_bytes += n;
}

static void on_idle(uv_idle_t *h)
{
    child_t *c = h->data;
    for (int k = 0; k < 64 && c->sent - c->got < c->window; k++) {
        if (dgram_path_send(c->p[0], c->buf, c->size) != 0) break;
        c->sent++;
    }
}

static void on_ready(dgram_path_t *p, int status, void *arg)
{
    child_t *c = arg;
    (void)p;
    if (status != 0) {
        fprintf(stderr, "relay_bench: bind failed\n");
        exit(1);
    }
    if (++c->ready < 2) return;
    c->t0 = uv_hrtime();
    uv_idle_start(&c->idle, on_idle);
}

static void on_stop(uv_timer_t *t)
{
    child_t *c = t->data;
    c->t1 = uv_hrtime();
    uv_stop(&c->loop);
}

static int run_child(int rfd, int wfd, double seconds, size_t size, size_t window)
{
    grant_msg_t g;
    if (read(rfd, &g, sizeof g) != sizeof g) return 1;
    static child_t c;
    c.size = size;
    c.window = window;
    memset(c.buf, 0x5a, sizeof c.buf);
    c.buf[0] = 0x40;
    uv_loop_init(&c.loop);
    uv_idle_init(&c.loop, &c.idle);
    c.idle.data = &c;
    for (int s = 0; s < 2; s++) {
        relay_path_cfg_t cfg = {.relay = g.relay, .alloc_id = g.a.id, .side = (uint8_t)s};
        memcpy(cfg.key, g.a.key[s], RELAY_KEY_LEN);
        if (relay_path_open(&c.loop, &cfg, on_ready, &c, &c.p[s]) != 0) return 1;
        c.p[s]->on_recv = on_recv;
        c.p[s]->arg = &c;
    }
    uv_timer_init(&c.loop, &c.stop);
    c.stop.data = &c;
    uv_timer_start(&c.stop, on_stop, (uint64_t)(seconds * 1000) + 500, 0); /* + binding */
    uv_run(&c.loop, UV_RUN_DEFAULT);
    uint64_t r[4] = {c.sent, c.got, c.got_bytes, c.t1 - c.t0};
    return write(wfd, r, sizeof r) == sizeof r ? 0 : 1;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

static void on_result(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    uv_poll_stop(h);
    uv_stop(h->loop);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    size_t size = argc > 2 ? (size_t)atoi(argv[2]) : 1200;
    size_t window = argc > 3 ? (size_t)atoi(argv[3]) : 256;
    if (size < 1 || size > RELAY_WIRE_DGRAM_MAX || window < 1) return 2;
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) return run_child(to_child[0], to_parent[1], seconds, size, window);
    log_set_level(LOG_WARN);
    uv_loop_t loop;
    uv_loop_init(&loop);
    udp_relay_t *r = udp_relay_create(&loop);
    udp_relay_cfg_t cfg = {.addr = "127.0.0.1", .rate_bps = 4000000000u, .burst = 1u << 30};
    grant_msg_t g;
    udp_relay_pair_t pair = {.user = "bench", .proxy = "bench"};
    if (udp_relay_start(r, &cfg) != 0 || udp_relay_alloc(r, &pair, &g.a) != 0) return 1;
    udp_relay_addr(r, &g.relay);
    if (write(to_child[1], &g, sizeof g) != sizeof g) return 1;
    uv_poll_t poll;
    uv_poll_init(&loop, &poll, to_parent[0]);
    uv_poll_start(&poll, UV_READABLE, on_result);
    double cpu0 = cpu_s();
    uv_run(&loop, UV_RUN_DEFAULT);
    double cpu = cpu_s() - cpu0;
    uint64_t res[4];
    if (read(to_parent[0], res, sizeof res) != sizeof res) return 1;
    waitpid(pid, NULL, 0);
    const udp_relay_stats_t *st = udp_relay_stats(r);
    double secs = (double)res[3] / 1e9, gb = (double)res[2] / 1e9;
    printf("relay_bench: %zu-byte datagrams for %.1f s (window %zu): sent %llu, delivered %llu "
           "(%.2f%%), %.0f datagrams/s, %.1f MB/s; relay CPU %.2f s = %.2f s per GB; relay drops "
           "%llu\n",
           size, secs, window, (unsigned long long)res[0], (unsigned long long)res[1],
           res[0] ? 100.0 * (double)res[1] / (double)res[0] : 0, (double)res[1] / secs,
           (double)res[2] / secs / 1e6, cpu, gb > 0 ? cpu / gb : 0,
           (unsigned long long)(st->dropped[UDP_RELAY_DROP_SEND_FAILED] +
                                st->dropped[UDP_RELAY_DROP_RATE]));
    uv_close((uv_handle_t *)&poll, NULL);
    udp_relay_stop(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    udp_relay_destroy(r);
    return 0;
}
