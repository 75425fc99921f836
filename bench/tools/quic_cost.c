/* quic_cost [MiB]: one QUIC stream (net/quic.h, ngtcp2 + GnuTLS, over
 * net/dgram_udp.h on 127.0.0.1) against plain TCP on 127.0.0.1, both as
 * conns on one loop in this process: the sender writes MiB with conn's
 * backpressure, the receiver counts. Both ends run on this one thread, so the
 * CPU figure is sender + receiver together, in CPU seconds per GB (10^9
 * bytes); throughput is in MB/s (10^6). QUIC's handshake is not timed.
 * Prints one `key=value` line per transport. Default 1024 MiB. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/dgram_udp.h"
#include "net/quic.h"

#define CHUNK (64 * 1024)

typedef struct run {
    uv_loop_t *loop;
    conn_t *tx;
    uint64_t total, sent, got;
    bool done, ready;
} run_t;

static run_t R;
static uint8_t buf[CHUNK];

static double now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pump(conn_t *c)
{
    while (R.sent < R.total) {
        size_t n = R.total - R.sent < CHUNK ? (size_t)(R.total - R.sent) : CHUNK;
        int r = conn_write(c, buf, n);
        if (r < 0) exit(2);
        R.sent += n;
        if (r == 1) return;
    }
}

static void rx_data(conn_t *c, const uint8_t *p, size_t n)
{
    R.got += n;
    if (R.got == R.total) R.done = true;
}

static void tx_drain(conn_t *c)
{
    pump(c);
}

static void on_err(conn_t *c, int err)
{
    fprintf(stderr, "quic_cost: %s\n", uv_strerror(err));
    exit(2);
}

static const conn_cbs_t rx_cbs = {.on_data = rx_data, .on_error = on_err};
static const conn_cbs_t tx_cbs = {.on_drain = tx_drain, .on_error = on_err};

static void measure(const char *kind, void (*start)(void))
{
    R.sent = R.got = 0;
    R.done = false;
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    start();
    while (!R.done)
        uv_run(R.loop, UV_RUN_ONCE);
    double wall = now(CLOCK_MONOTONIC) - w0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("kind=%s mib=%llu secs=%.3f mbps=%.1f cpu_s_per_gb=%.2f\n", kind,
           (unsigned long long)(R.total >> 20), wall, R.total / wall / 1e6, cpu / (R.total / 1e9));
}

/* ---- TCP: a connected pair over 127.0.0.1 ----------------------------- */

static void tcp_pair(int fd[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        exit(1);
    fd[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd[0], (struct sockaddr *)&a, sizeof a)) exit(1);
    fd[1] = accept(l, NULL, NULL);
    close(l);
}

static conn_t *tcp_rx;

static void tcp_start(void)
{
    pump(R.tx);
}

static void run_tcp(void)
{
    int fd[2];
    tcp_pair(fd);
    R.tx = conn_new(R.loop, &tx_cbs, NULL);
    tcp_rx = conn_new(R.loop, &rx_cbs, NULL);
    if (conn_open_fd(R.tx, fd[0]) || conn_open_fd(tcp_rx, fd[1])) exit(1);
    conn_start(R.tx);
    conn_start(tcp_rx);
    measure("tcp", tcp_start);
    conn_close(R.tx);
    conn_close(tcp_rx);
    uv_run(R.loop, UV_RUN_NOWAIT);
}

/* ---- QUIC: a client and a server role over two UDP sockets ------------ */

static quic_t *qc, *qs;

static void q_ready(quic_t *q, int status)
{
    if (status) exit(3);
    if (q == qc) R.ready = true;
}

static void q_stream(quic_t *q, conn_t *c)
{
    conn_set_cbs(c, &rx_cbs, NULL);
    conn_start(c);
}

static const quic_cbs_t q_cbs = {.on_ready = q_ready, .on_stream = q_stream};

static int udp_fd(struct sockaddr_in *out)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)out, &len))
        exit(1);
    return fd;
}

static void quic_start(void)
{
    int err;
    R.tx = quic_open_stream(qc, &tx_cbs, NULL, &err);
    if (!R.tx) exit(3);
    pump(R.tx);
}

static void run_quic(void)
{
    struct sockaddr_in ca, sa;
    int fc = udp_fd(&ca), fs = udp_fd(&sa), err;
    dgram_path_t *pc = dgram_udp_open_fd(R.loop, fc, (struct sockaddr *)&sa, "direct", &err);
    dgram_path_t *ps = dgram_udp_open_fd(R.loop, fs, (struct sockaddr *)&ca, "direct", &err);
    quic_id_t *ic = quic_id_new(&err), *is = quic_id_new(&err);
    if (!pc || !ps || !ic || !is) exit(1);
    quic_opts_t co = {.role = QUIC_CLIENT, .pair = "bench", .id = ic};
    quic_opts_t so = {.role = QUIC_SERVER, .pair = "bench", .id = is};
    quic_id_fingerprint(is, co.peer_fp);
    quic_id_fingerprint(ic, so.peer_fp);
    qs = quic_new(R.loop, &so, ps, &q_cbs, NULL, &err);
    qc = quic_new(R.loop, &co, pc, &q_cbs, NULL, &err);
    if (!qs || !qc) exit(1);
    while (!R.ready)
        uv_run(R.loop, UV_RUN_ONCE);
    measure("quic", quic_start);
    quic_info_t i;
    quic_get_info(qc, &i);
    printf("kind=quic rtt_us=%llu udp_bytes_sent=%llu\n", (unsigned long long)i.rtt_us,
           (unsigned long long)i.bytes_sent);
}

int main(int argc, char **argv)
{
    R.total = (uint64_t)(argc > 1 ? atoi(argv[1]) : 1024) << 20;
    R.loop = uv_default_loop();
    memset(buf, 0x5a, sizeof buf);
    run_tcp();
    run_quic();
    return 0;
}
