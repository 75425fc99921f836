/* relay_peer: one client of a pair over the server's UDP relay, for the lab
 * (tests/lab/test_udp_relay.sh). Reads a grant ({"relay": {...}}, as the
 * server's BURROW_TEST_RELAY_GRANTS hook writes it) and opens a relay path
 * (p2p/relay_path.c) to SERVER_IP when the grant names no address.
 *
 *   relay_peer -e [-t MS] GRANT SERVER_IP
 *       echo every datagram back, for MS (default 30000)
 *   relay_peer [-n N] [-s SIZE] [-p PAUSE_MS] [-w WINDOW] [-t MS] GRANT SERVER_IP
 *       send N datagrams of SIZE bytes (default 200 x 1200), at most WINDOW
 *       (default 32) unanswered, resent after RESEND_MS, until each came back
 *       intact; with -p, wait PAUSE_MS sending nothing, then N more. Prints
 *       one line per phase; exits 0 only when every phase completed within
 *       MS (default 20000) and no echo was altered. */
#include <uv.h>

#include "net/addr.h"
#include "p2p/relay_path.h"
#include "tool_util.h"
#include "util/log.h"

#define RESEND_MS 300
#define TICK_MS 10
#define MAX_N 100000

static struct {
    uv_loop_t *loop;
    uv_timer_t tick, deadline;
    dgram_path_t *p;
    bool echo, ready;
    long n, size, pause_ms, window, phase, phases, corrupt, done_in_phase;
    uint64_t seed, phase_t0, pause_until;
    int64_t sent_at[2 * MAX_N];
    uint8_t acked[2 * MAX_N];
    int rc;
} g;

static void fill(uint32_t seq, uint8_t *p, size_t size)
{
    p[0] = 0x40; /* data (a QUIC short header's first byte) */
    p[1] = (uint8_t)(seq >> 24);
    p[2] = (uint8_t)(seq >> 16);
    p[3] = (uint8_t)(seq >> 8);
    p[4] = (uint8_t)seq;
    tu_stream(g.seed, seq, 0, p + 5, size - 5);
}

static void finish(int rc)
{
    g.rc = rc;
    uv_stop(g.loop);
}

static void on_recv(dgram_path_t *p, const uint8_t *d, size_t n, void *arg)
{
    (void)arg;
    if (g.echo) {
        dgram_path_send(p, d, n);
        return;
    }
    if (n != (size_t)g.size || n < 5) return (void)g.corrupt++;
    uint32_t seq = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
    uint8_t want[RELAY_WIRE_DGRAM_MAX];
    if (seq >= (uint32_t)(g.phases * g.n)) return (void)g.corrupt++;
    fill(seq, want, n);
    if (memcmp(want, d, n) != 0) return (void)g.corrupt++;
    if (!g.acked[seq]) g.done_in_phase += seq / g.n == (uint32_t)g.phase;
    g.acked[seq] = 1;
}

/* Sends what the window allows in the running phase; moves phases on. */
static void on_tick(uv_timer_t *t)
{
    (void)t;
    if (g.echo || !g.ready) return;
    int64_t now = tu_now_ms();
    if ((uint64_t)now < g.pause_until) return;
    if (g.done_in_phase == g.n) {
        printf("phase %ld: %ld/%ld intact in %lld ms (altered %ld)\n", g.phase + 1, g.n, g.n,
               (long long)(now - (int64_t)g.phase_t0), g.corrupt);
        fflush(stdout);
        if (++g.phase == g.phases) return finish(g.corrupt ? 1 : 0);
        g.done_in_phase = 0;
        g.pause_until = (uint64_t)(now + g.pause_ms);
        g.phase_t0 = g.pause_until;
        return;
    }
    long out = 0, base = g.phase * g.n;
    uint8_t buf[RELAY_WIRE_DGRAM_MAX];
    for (long i = base; i < base + g.n && out < g.window; i++) {
        if (g.acked[i]) continue;
        if (g.sent_at[i] && now - g.sent_at[i] < RESEND_MS) {
            out++;
            continue;
        }
        fill((uint32_t)i, buf, (size_t)g.size);
        if (dgram_path_send(g.p, buf, (size_t)g.size) == 0) g.sent_at[i] = now;
        out++;
    }
}

static void on_ready(dgram_path_t *p, int status, void *arg)
{
    (void)p;
    (void)arg;
    if (status != 0) {
        fprintf(stderr, "relay_peer: bind failed: %s\n", uv_strerror(status));
        return finish(1);
    }
    printf("bound\n");
    fflush(stdout);
    g.ready = true;
    g.phase_t0 = (uint64_t)tu_now_ms();
}

static void on_down(dgram_path_t *p, const char *reason, void *arg)
{
    (void)p;
    (void)arg;
    fprintf(stderr, "relay_peer: path down: %s\n", reason);
    finish(1);
}

static void on_deadline(uv_timer_t *t)
{
    (void)t;
    if (g.echo) return finish(0);
    fprintf(stderr, "relay_peer: timeout in phase %ld: %ld/%ld back\n", g.phase + 1,
            g.done_in_phase, g.n);
    finish(1);
}

static void read_grant(const char *file, const char *server_ip, relay_path_cfg_t *cfg)
{
    char text[2048];
    FILE *f = fopen(file, "r");
    if (!f) tu_die("cannot open %s", file);
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    relay_grant_t gr;
    struct sockaddr_storage server;
    if (relay_grant_parse(text, n, &gr) != 0) tu_die("bad grant in %s", file);
    if (addr_parse(server_ip, 0, &server) != 0) tu_die("bad server ip %s", server_ip);
    if (relay_path_cfg_from_grant(&gr, (struct sockaddr *)&server, cfg) != 0) tu_die("bad grant");
}

int main(int argc, char **argv)
{
    const char *usage = "usage: relay_peer [-e] [-n N] [-s SIZE] [-p PAUSE_MS] [-w WINDOW] "
                        "[-t MS] GRANT SERVER_IP";
    long timeout = -1;
    int opt;
    g.n = 200, g.size = 1200, g.window = 32;
    while ((opt = getopt(argc, argv, "en:s:p:w:t:")) != -1) {
        switch (opt) {
        case 'e':
            g.echo = true;
            break;
        case 'n':
            g.n = tu_num(optarg, 1, MAX_N, "count");
            break;
        case 's':
            g.size = tu_num(optarg, 5, RELAY_WIRE_DGRAM_MAX, "size");
            break;
        case 'p':
            g.pause_ms = tu_num(optarg, 0, 600000, "pause");
            break;
        case 'w':
            g.window = tu_num(optarg, 1, 10000, "window");
            break;
        case 't':
            timeout = tu_num(optarg, 1, 3600000, "timeout");
            break;
        default:
            tu_die("%s", usage);
        }
    }
    if (argc - optind != 2) tu_die("%s", usage);
    g.phases = g.pause_ms ? 2 : 1;
    if (timeout < 0) timeout = g.echo ? 30000 : 20000;
    g.seed = (uint64_t)tu_now_ms() * 2654435761u;
    log_set_level(LOG_INFO);
    relay_path_cfg_t cfg;
    read_grant(argv[optind], argv[optind + 1], &cfg);
    g.loop = uv_default_loop();
    if (relay_path_open(g.loop, &cfg, on_ready, NULL, &g.p) != 0) tu_die("relay_path_open failed");
    g.p->on_recv = on_recv;
    g.p->on_down = on_down;
    uv_timer_init(g.loop, &g.tick);
    uv_timer_start(&g.tick, on_tick, TICK_MS, TICK_MS);
    uv_timer_init(g.loop, &g.deadline);
    uv_timer_start(&g.deadline, on_deadline, (uint64_t)timeout, 0);
    uv_run(g.loop, UV_RUN_DEFAULT);
    const relay_path_stats_t *st = relay_path_stats(g.p);
    printf("sent %llu received %llu binds %llu bounds %llu\n", (unsigned long long)st->sent,
           (unsigned long long)st->received, (unsigned long long)st->binds,
           (unsigned long long)st->bounds);
    return g.rc;
}
