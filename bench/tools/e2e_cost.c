/* e2e_cost [MiB]: what the secret proxies' end-to-end layer costs in CPU
 * (proto/e2e.h, net/conn_e2e.h), in CPU seconds per GB (10^9 bytes):
 *   seal+open  the records alone (AES-256-GCM, 16 KiB records), both ends;
 *   socketpair the same bytes through two conns on one loop over a
 *              socketpair, plain and e2e, so the difference is the layer's
 *              cost per GB on the path (one end seals, the other opens).
 * Prints one `key=value` line per figure. Default 1024 MiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "net/conn_e2e.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void keys(e2e_keys_t *k)
{
    uint8_t nv[E2E_NONCE_LEN] = {1}, no[E2E_NONCE_LEN] = {2};
    if (e2e_derive("bench", nv, no, "p", k) != 0) exit(1);
}

static double records(size_t total)
{
    static uint8_t pt[E2E_RECORD_MAX], rec[E2E_RECORD_MAX + E2E_OVERHEAD], out[E2E_RECORD_MAX];
    e2e_keys_t k;
    e2e_dir_t s, o;
    keys(&k);
    e2e_dir_init(&s, k.key[0], k.iv[0], true);
    e2e_dir_init(&o, k.key[0], k.iv[0], false);
    double t0 = cpu_now();
    for (size_t done = 0; done < total; done += sizeof pt) {
        ssize_t n = e2e_seal(&s, pt, sizeof pt, rec);
        if (n < 0 || e2e_open(&o, rec, (size_t)n, out) != (ssize_t)sizeof pt) exit(1);
    }
    double t = cpu_now() - t0;
    e2e_dir_free(&s);
    e2e_dir_free(&o);
    return t;
}

/* ---- a writer and a reader on one loop ---------------------------------- */

static size_t g_total, g_sent, g_got;
static conn_t *g_w, *g_r;
static uint8_t g_chunk[256 * 1024];

static void pump(void)
{
    while (g_sent < g_total) {
        size_t n = g_total - g_sent < sizeof g_chunk ? g_total - g_sent : sizeof g_chunk;
        int r = conn_write(g_w, g_chunk, n);
        if (r < 0) exit(1);
        g_sent += n;
        if (r == 1) return; /* on_drain resumes */
    }
}

static void on_drain(conn_t *c)
{
    pump();
}

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    g_got += n;
    if (g_got >= g_total) {
        conn_close(g_w);
        conn_close(g_r);
    }
}

static void on_error(conn_t *c, int err)
{
    fprintf(stderr, "error %d\n", err);
    exit(1);
}

static const conn_cbs_t cbs = {.on_data = on_data, .on_drain = on_drain, .on_error = on_error};

static double stream(size_t total, bool e2e)
{
    uv_loop_t loop;
    int sv[2];
    uv_loop_init(&loop);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) exit(1);
    g_w = conn_new(&loop, &cbs, NULL);
    g_r = conn_new(&loop, &cbs, NULL);
    conn_open_fd(g_w, sv[0]);
    conn_open_fd(g_r, sv[1]);
    conn_start(g_w);
    conn_start(g_r);
    if (e2e) {
        e2e_keys_t k;
        keys(&k);
        g_w = conn_e2e_new(g_w, &k, E2E_V2O, &cbs, NULL);
        g_r = conn_e2e_new(g_r, &k, E2E_O2V, &cbs, NULL);
    }
    g_total = total;
    g_sent = g_got = 0;
    double t0 = cpu_now();
    pump();
    uv_run(&loop, UV_RUN_DEFAULT);
    double t = cpu_now() - t0;
    uv_loop_close(&loop);
    if (g_got != total) exit(1);
    return t;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
    size_t total = mib * 1024 * 1024;
    double gb = (double)total / 1e9;
    double rec = records(total), plain = stream(total, false), enc = stream(total, true);
    printf("records_seal_open_cpu_s_per_gb=%.3f\n", rec / gb);
    printf("socketpair_plain_cpu_s_per_gb=%.3f\n", plain / gb);
    printf("socketpair_e2e_cpu_s_per_gb=%.3f\n", enc / gb);
    printf("e2e_layer_cpu_s_per_gb=%.3f\n", (enc - plain) / gb);
    return 0;
}
