/* fuzz_quic: the QUIC wrapper (net/quic.c, quic_stream.c, conn_quic.c,
 * quic_tls.c) with ngtcp2 and GnuTLS under it, on its own loop. A client
 * and a server role talk over in-memory dgram_paths (two pairs: A and B);
 * the input scripts what reaches them. The parsers are ngtcp2's: what is
 * fuzzed is that no datagram sequence, however forged, cut or reordered,
 * makes burrow's wrapper crash, leak, or leave a handle behind.
 *
 * Records: op (1 byte), length (u16 BE), argument.
 *   0 INJECT   the argument is a datagram to the server on path A
 *   1 INJECT_C the argument is a datagram to the client on path A
 *   2 STEP     deliver the queued datagrams both ways, arg[0] % 8 + 1 rounds
 *   3 MUTATE   XOR the argument into the next queued client->server datagram
 *   4 DROP     drop the next queued datagram (arg[0] & 1: server->client)
 *   5 STREAM   the client opens a stream and writes the argument; the
 *              server echoes and half-closes after the client's FIN
 *   6 MIGRATE  paths B join both sides; the client migrates to B
 *   7 DOWN     the client's path arg[0] & 1 (A, B) goes down
 *   8 FIN      every client stream is shut (FIN), or reset when arg[0] & 1
 *   9 PAUSE    the server pauses (arg[0] & 1) or resumes its readers
 *  10 WAIT     let arg[0] % 16 ms pass on the loop (ngtcp2's timers, pacing)
 * At the end both close and the loop must run dry. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/quic.h"
#include "util/log.h"

#define FZ_QUEUE 64  /* datagrams a path holds (more are dropped, as UDP) */
#define FZ_STREAMS 8 /* client streams the harness tracks */
#define FZ_DRY_ITERS 10000

enum { INJECT, INJECT_C, STEP, MUTATE, DROP, STREAM, MIGRATE, DOWN, FIN, PAUSE, WAIT, NOPS };

typedef struct mpath {
    dgram_path_t p;
    struct mpath *peer;
    uint8_t *q[FZ_QUEUE];
    size_t qlen[FZ_QUEUE];
    unsigned n;
    bool down;
} mpath_t;

typedef struct fz {
    uv_loop_t loop;
    uv_timer_t wait;
    mpath_t cA, sA, cB, sB;
    quic_t *cli, *srv;
    bool cli_ready, b_added;
    int closed;
    conn_t *streams[FZ_STREAMS];
    unsigned nstreams;
    conn_t *srv_streams[FZ_STREAMS];
    unsigned nsrv;
} fz_t;

static fz_t *g;
static quic_id_t *g_idc, *g_ids;

/* ---- in-memory paths -------------------------------------------------- */

static int m_send(dgram_path_t *p, const uint8_t *d, size_t n)
{
    mpath_t *m = (mpath_t *)p;
    if (m->down) return UV_ENETDOWN;
    mpath_t *to = m->peer;
    if (to->n == FZ_QUEUE) return UV_EAGAIN;
    to->q[to->n] = malloc(n);
    memcpy(to->q[to->n], d, n);
    to->qlen[to->n++] = n;
    return 0;
}

static void m_close(dgram_path_t *p, dgram_path_closed_cb cb, void *arg)
{
    if (cb) cb(p, arg);
}

static const dgram_path_ops_t m_ops[2] = {
    {.kind = "relay", .pref = DGRAM_PREF_RELAY, .send = m_send, .close = m_close},
    {.kind = "direct", .pref = DGRAM_PREF_DIRECT, .send = m_send, .close = m_close},
};

static void m_addr(struct sockaddr_storage *ss, uint32_t ip, int port)
{
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(ip);
    a->sin_port = htons(port);
}

/* A client end and a server end; `b` picks other addresses (path B). */
static void m_pair(mpath_t *c, mpath_t *s, int b)
{
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    c->p.ops = s->p.ops = &m_ops[b];
    c->p.max_payload = s->p.max_payload = 1452;
    m_addr(&c->p.local, 0x7f000001, 40000 + b);
    m_addr(&c->p.remote, 0x7f000002, 50000 + b);
    m_addr(&s->p.local, 0x7f000003, 60000 + b);
    m_addr(&s->p.remote, 0x7f000004, 30000 + b);
    c->peer = s;
    s->peer = c;
}

static void m_deliver(mpath_t *m)
{
    unsigned n = m->n;
    m->n = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!m->down && m->p.on_recv) m->p.on_recv(&m->p, m->q[i], m->qlen[i], m->p.arg);
        free(m->q[i]);
    }
}

static void m_flush(mpath_t *m)
{
    for (unsigned i = 0; i < m->n; i++)
        free(m->q[i]);
    m->n = 0;
}

/* ---- the two roles ---------------------------------------------------- */

static void echo_data(conn_t *c, const uint8_t *p, size_t n)
{
    if (conn_write(c, p, n) == 1) conn_pause(c);
}

static void echo_drain(conn_t *c)
{
    conn_resume(c);
}

static void echo_eof(conn_t *c)
{
    conn_shutdown(c);
}

static void any_error(conn_t *c, int err)
{
    conn_close(c);
}

static void forget(conn_t *c)
{
    for (unsigned i = 0; i < FZ_STREAMS; i++) {
        if (g->streams[i] == c) g->streams[i] = NULL;
        if (g->srv_streams[i] == c) g->srv_streams[i] = NULL;
    }
}

static const conn_cbs_t echo_cbs = {
    .on_data = echo_data,
    .on_eof = echo_eof,
    .on_drain = echo_drain,
    .on_error = any_error,
    .on_close = forget,
};

static void cli_eof(conn_t *c)
{
    conn_close(c);
}

static const conn_cbs_t cli_cbs = {.on_eof = cli_eof, .on_error = any_error, .on_close = forget};

static void on_ready(quic_t *q, int status)
{
    if (q == g->cli && status == 0) g->cli_ready = true;
}

static void on_stream(quic_t *q, conn_t *c)
{
    conn_set_cbs(c, &echo_cbs, NULL);
    conn_start(c);
    if (g->nsrv < FZ_STREAMS) g->srv_streams[g->nsrv++] = c;
}

static void on_dead(quic_t *q, int err) {}

static const quic_cbs_t cbs = {.on_ready = on_ready, .on_stream = on_stream, .on_dead = on_dead};

static void on_closed(quic_t *q, void *arg)
{
    g->closed++;
}

/* ---- the script ------------------------------------------------------- */

static void on_wait(uv_timer_t *t) {}
#define NULL_CB on_wait

static void step(unsigned rounds)
{
    for (unsigned r = 0; r < rounds; r++) {
        m_deliver(&g->sA);
        m_deliver(&g->cA);
        m_deliver(&g->sB);
        m_deliver(&g->cB);
        uv_run(&g->loop, UV_RUN_NOWAIT);
    }
}

static void wait_ms(unsigned ms)
{
    uv_timer_start(&g->wait, NULL_CB, ms, 0);
    while (uv_is_active((uv_handle_t *)&g->wait))
        uv_run(&g->loop, UV_RUN_ONCE);
}

static void mutate(const uint8_t *a, size_t n)
{
    mpath_t *m = &g->sA;
    if (!m->n || !n) return;
    size_t len = m->qlen[0];
    for (size_t i = 0; i < n && i < len; i++)
        m->q[0][i] ^= a[i];
}

static void drop(int to_client)
{
    mpath_t *m = to_client ? &g->cA : &g->sA;
    if (!m->n) return;
    free(m->q[0]);
    memmove(m->q, m->q + 1, (m->n - 1) * sizeof m->q[0]);
    memmove(m->qlen, m->qlen + 1, (m->n - 1) * sizeof m->qlen[0]);
    m->n--;
}

static void open_stream(const uint8_t *a, size_t n)
{
    int err;
    if (!g->cli_ready || g->nstreams == FZ_STREAMS) return;
    conn_t *c = quic_open_stream(g->cli, &cli_cbs, NULL, &err);
    if (!c) return;
    g->streams[g->nstreams++] = c;
    if (n) conn_write(c, a, n);
}

static void fin_all(int reset)
{
    for (unsigned i = 0; i < FZ_STREAMS; i++) {
        conn_t *c = g->streams[i];
        if (!c) continue;
        if (reset)
            conn_abort(c);
        else
            conn_shutdown(c);
    }
}

static void pause_all(int pause)
{
    for (unsigned i = 0; i < FZ_STREAMS; i++) {
        conn_t *c = g->srv_streams[i];
        if (!c) continue;
        if (pause)
            conn_pause(c);
        else
            conn_resume(c);
    }
}

static void migrate(void)
{
    if (!g->b_added) {
        g->b_added = true;
        quic_add_path(g->cli, &g->cB.p);
        quic_add_path(g->srv, &g->sB.p);
    }
    quic_migrate(g->cli, &g->cB.p);
}

static void path_down(int b)
{
    mpath_t *m = b ? &g->cB : &g->cA;
    if (m->down || (b && !g->b_added)) return;
    m->down = true;
    if (m->p.on_down) m->p.on_down(&m->p, "fuzz", m->p.arg);
}

static void play(const uint8_t *d, size_t size)
{
    while (size >= 3) {
        unsigned op = d[0] % NOPS;
        size_t n = (size_t)d[1] << 8 | d[2];
        d += 3;
        size -= 3;
        if (n > size) n = size;
        const uint8_t *a = d;
        unsigned a0 = n ? a[0] : 0;
        d += n;
        size -= n;
        switch (op) {
        case INJECT:
            if (g->sA.p.on_recv && n) g->sA.p.on_recv(&g->sA.p, a, n, g->sA.p.arg);
            break;
        case INJECT_C:
            if (g->cA.p.on_recv && n) g->cA.p.on_recv(&g->cA.p, a, n, g->cA.p.arg);
            break;
        case STEP:
            step(a0 % 8 + 1);
            break;
        case MUTATE:
            mutate(a, n);
            break;
        case DROP:
            drop(a0 & 1);
            break;
        case STREAM:
            open_stream(a, n);
            break;
        case MIGRATE:
            migrate();
            break;
        case DOWN:
            path_down(a0 & 1);
            break;
        case FIN:
            fin_all(a0 & 1);
            break;
        case PAUSE:
            pause_all(a0 & 1);
            break;
        case WAIT:
            wait_ms(a0 % 16);
            break;
        }
    }
}

static void setup(fz_t *f)
{
    int err;
    if (!g_idc) {
        log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : LOG_ERROR);
        g_idc = quic_id_new(&err);
        g_ids = quic_id_new(&err);
        if (!g_idc || !g_ids) abort();
    }
    memset(f, 0, sizeof *f);
    g = f;
    uv_loop_init(&f->loop);
    uv_timer_init(&f->loop, &f->wait);
    m_pair(&f->cA, &f->sA, 0);
    m_pair(&f->cB, &f->sB, 1);
    quic_opts_t co = {.role = QUIC_CLIENT, .pair = "fz", .id = g_idc};
    quic_opts_t so = {.role = QUIC_SERVER, .pair = "fz", .id = g_ids};
    quic_id_fingerprint(g_ids, co.peer_fp);
    quic_id_fingerprint(g_idc, so.peer_fp);
    f->srv = quic_new(&f->loop, &so, &f->sA.p, &cbs, NULL, &err);
    f->cli = quic_new(&f->loop, &co, &f->cA.p, &cbs, NULL, &err);
    if (!f->srv || !f->cli) abort();
}

static void teardown(fz_t *f)
{
    quic_close(f->cli, on_closed, NULL);
    quic_close(f->srv, on_closed, NULL);
    uv_close((uv_handle_t *)&f->wait, NULL);
    for (int i = 0; i < FZ_DRY_ITERS && uv_run(&f->loop, UV_RUN_NOWAIT); i++) {
    }
    if (f->closed != 2 || uv_loop_close(&f->loop) != 0) abort(); /* a handle outlived its input */
    mpath_t *ms[] = {&f->cA, &f->sA, &f->cB, &f->sB};
    for (int i = 0; i < 4; i++)
        m_flush(ms[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t f;
    setup(&f);
    uv_run(&f.loop, UV_RUN_NOWAIT); /* the client's Initial is queued */
    play(data, size);
    teardown(&f);
    return 0;
}
