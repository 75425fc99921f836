/* fuzz_conn_tls: the TLS record carry in conn.c (ciphertext kept across
 * reads, plaintext handed on in 64 KiB batches, pause/resume with data
 * waiting inside OpenSSL, EOF and errors mid-record), driven through a
 * real pair of conns: a TLS client (conn_connect) and a TLS server
 * (conn_tls_accept, as the gate does) on one loop, with the harness in the
 * middle holding every ciphertext byte each sends.
 *
 * The input is a script of records (op, u16 length, argument; fuzz_net.h):
 *   0 C2S / 1 S2C  forward the next n = arg (u16) ciphertext bytes, so
 *                  records arrive cut anywhere
 *   2 INJ_C / 3 INJ_S  write the argument as ciphertext to one side
 *   4 FLIP      xor the byte at arg[0..1] of the pending server→client
 *               ciphertext with arg[2]
 *   5 APP_C / 6 APP_S  the side's owner writes the argument as plaintext
 *   7 PAUSE_C / 8 PAUSE_S  pause or resume the side's reading
 *   9 SHUT_C / 10 SHUT_S   conn_shutdown (close_notify + FIN)
 *  11 FIN_C / 12 FIN_S     the middle sends FIN to that side
 *  13 ALL       forward everything pending, both ways
 * Whatever the middle does, TLS must only ever deliver a prefix of what the
 * other side wrote: integrity is the property checked. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_net.h"
#include "fuzz_require.h"
#include "net/conn.h"
#include "net/listener.h"
#include "tls/tls_cert.h"

#define SENT_MAX (1u << 20) /* plaintext one side may write per input */

typedef struct side {
    conn_t *c;
    bool ready, failed, eof, paused, closed;
    uint8_t *sent, *got; /* plaintext written by this side / delivered to it */
    size_t sent_len, got_len;
} side_t;

typedef struct pair {
    uv_loop_t loop;
    listener_t listener;
    side_t cli, srv;
    fz_peer_t mid_c, mid_s; /* the middle's sockets facing each side */
    size_t fwd_c, fwd_s;    /* ciphertext already forwarded from each inbox */
} pair_t;

static SSL_CTX *srv_ctx, *cli_ctx;
static char state_dir[64];

static void cleanup(void)
{
    fz_rm_tree(state_dir);
    SSL_CTX_free(srv_ctx);
    SSL_CTX_free(cli_ctx);
}

static void once(void)
{
    if (srv_ctx) return;
    fz_quiet_logs();
    snprintf(state_dir, sizeof state_dir, "/tmp/burrow-fuzzt-XXXXXX");
    char fp[TLSC_FP_LEN];
    int gen;
    if (!mkdtemp(state_dir) || !(srv_ctx = tlsc_server_ctx(NULL, NULL, state_dir, fp, &gen)) ||
        !(cli_ctx = tlsc_client_ctx(NULL)))
        abort();
    atexit(cleanup);
}

static void append(uint8_t **buf, size_t *len, const uint8_t *p, size_t n)
{
    if (*len + n > SENT_MAX) abort(); /* the script bounds what it writes */
    uint8_t *b = realloc(*buf, *len + n + 1);
    if (!b) abort();
    memcpy(b + *len, p, n);
    *buf = b;
    *len += n;
}

/* Integrity: what a side got is a prefix of what the other side sent. */
static void check(const side_t *to, const side_t *from)
{
    require(to->got_len <= from->sent_len);
    require(to->got_len == 0 || memcmp(to->got, from->sent, to->got_len) == 0);
}

static void on_ready(conn_t *c, int status)
{
    side_t *s = conn_data(c);
    if (status == 0) {
        s->ready = true;
        return;
    }
    s->failed = true;
    conn_close(c);
}

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    side_t *s = conn_data(c);
    append(&s->got, &s->got_len, p, n);
}

static void on_srv_plain(conn_t *c, const uint8_t *p, size_t n);

static void on_eof(conn_t *c)
{
    side_t *s = conn_data(c);
    s->eof = true;
}

static void on_error(conn_t *c, int err)
{
    side_t *s = conn_data(c);
    s->failed = true;
    conn_close(c);
}

static void on_close(conn_t *c)
{
    side_t *s = conn_data(c);
    s->closed = true;
    s->c = NULL;
}

static const conn_cbs_t side_cbs = {.on_ready = on_ready,
                                    .on_data = on_data,
                                    .on_eof = on_eof,
                                    .on_error = on_error,
                                    .on_close = on_close};
/* The server side reads its first bytes in the clear, as the gate does. */
static const conn_cbs_t srv_first_cbs = {
    .on_data = on_srv_plain, .on_eof = on_eof, .on_error = on_error, .on_close = on_close};

static void on_srv_plain(conn_t *c, const uint8_t *p, size_t n)
{
    conn_set_cbs(c, &side_cbs, conn_data(c));
    if (conn_tls_accept(c, srv_ctx, p, n) != 0) conn_close(c);
}

static void on_accept(listener_t *l, conn_t *c, const struct sockaddr_storage *peer)
{
    pair_t *pr = l->data;
    (void)peer;
    if (pr->srv.c || pr->srv.closed) {
        conn_close(c);
        return;
    }
    pr->srv.c = c;
    conn_set_cbs(c, &srv_first_cbs, &pr->srv);
    conn_start(c);
}

static void pump(pair_t *pr, int n)
{
    for (int i = 0; i < n; i++) {
        uv_run(&pr->loop, UV_RUN_NOWAIT);
        fz_peer_drain(&pr->mid_c);
        fz_peer_drain(&pr->mid_s);
    }
    check(&pr->srv, &pr->cli);
    check(&pr->cli, &pr->srv);
}

/* Forwards up to n bytes the `from` middle socket holds to `to`. */
static void forward(pair_t *pr, fz_peer_t *from, size_t *fwd, fz_peer_t *to, size_t n)
{
    size_t left = from->len - *fwd;
    if (n > left) n = left;
    if (n == 0) return;
    fz_peer_write(&pr->loop, to, from->in + *fwd, n);
    *fwd += n;
}

static void up(pair_t *pr)
{
    once();
    memset(pr, 0, sizeof *pr);
    pr->mid_c.fd = pr->mid_s.fd = -1;
    int lfd, cport;
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0)
        abort();
    cport = ntohs(a.sin_port);
    if (uv_loop_init(&pr->loop) != 0) abort();
    /* the server conn's listener */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static const listener_opts_t lopts = {.what = "fuzz"};
    if (listener_init(&pr->loop, &pr->listener, &lopts, on_accept, pr) != 0 ||
        listener_listen(&pr->listener, (struct sockaddr *)&sa) != 0)
        abort();
    if (!fz_peer_connect(&pr->mid_s, listener_port(&pr->listener))) abort();
    /* the client conn dials the middle */
    pr->cli.c = conn_new(&pr->loop, &side_cbs, &pr->cli);
    a.sin_port = htons((uint16_t)cport);
    if (!pr->cli.c || conn_connect(pr->cli.c, (struct sockaddr *)&a, cli_ctx, "burrow", NULL) != 0)
        abort();
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    int fd;
    while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0) {
        if (fz_now_ms() > deadline) abort();
        uv_run(&pr->loop, UV_RUN_NOWAIT);
        usleep(100);
    }
    close(lfd);
    fz_peer_adopt(&pr->mid_c, fd);
    while (!pr->srv.c && fz_now_ms() < deadline) /* the server side is accepted */
        uv_run(&pr->loop, UV_RUN_NOWAIT);
    pump(pr, 2);
}

static void down(pair_t *pr)
{
    if (getenv("FUZZ_LOG"))
        fprintf(stderr,
                "fuzz: client ready=%d failed=%d eof=%d got=%zu sent=%zu; server ready=%d "
                "failed=%d eof=%d got=%zu sent=%zu; middle c=%zu s=%zu\n",
                pr->cli.ready, pr->cli.failed, pr->cli.eof, pr->cli.got_len, pr->cli.sent_len,
                pr->srv.ready, pr->srv.failed, pr->srv.eof, pr->srv.got_len, pr->srv.sent_len,
                pr->mid_c.len, pr->mid_s.len);
    fz_peer_close(&pr->mid_c, false);
    fz_peer_close(&pr->mid_s, false);
    if (pr->cli.c) conn_close(pr->cli.c);
    if (pr->srv.c) conn_close(pr->srv.c);
    listener_close(&pr->listener, NULL);
    fz_run_dry(&pr->loop);
    side_t *s[2] = {&pr->cli, &pr->srv};
    for (int i = 0; i < 2; i++) {
        free(s[i]->sent);
        free(s[i]->got);
    }
}

static void app_write(side_t *s, const uint8_t *p, size_t n)
{
    if (!s->c || !s->ready || conn_is_closing(s->c) || s->sent_len + n > SENT_MAX) return;
    append(&s->sent, &s->sent_len, p, n);
    conn_write(s->c, p, n);
}

static void toggle_pause(side_t *s)
{
    if (!s->c || conn_is_closing(s->c)) return;
    s->paused = !s->paused;
    if (s->paused)
        conn_pause(s->c);
    else
        conn_resume(s->c);
}

static void op(pair_t *pr, uint8_t code, const uint8_t *a, size_t n)
{
    size_t amount = n >= 2 ? (size_t)a[0] << 8 | a[1] : n ? a[0] : 0;
    switch (code % 14) {
    case 0:
        forward(pr, &pr->mid_c, &pr->fwd_c, &pr->mid_s, amount);
        break;
    case 1:
        forward(pr, &pr->mid_s, &pr->fwd_s, &pr->mid_c, amount);
        break;
    case 2:
        fz_peer_write(&pr->loop, &pr->mid_c, a, n);
        break;
    case 3:
        fz_peer_write(&pr->loop, &pr->mid_s, a, n);
        break;
    case 4:
        if (n >= 3 && pr->fwd_s + amount < pr->mid_s.len) pr->mid_s.in[pr->fwd_s + amount] ^= a[2];
        break;
    case 5:
        app_write(&pr->cli, a, n);
        break;
    case 6:
        app_write(&pr->srv, a, n);
        break;
    case 7:
        toggle_pause(&pr->cli);
        break;
    case 8:
        toggle_pause(&pr->srv);
        break;
    case 9:
        if (pr->cli.c && pr->cli.ready && !conn_is_closing(pr->cli.c)) conn_shutdown(pr->cli.c);
        break;
    case 10:
        if (pr->srv.c && pr->srv.ready && !conn_is_closing(pr->srv.c)) conn_shutdown(pr->srv.c);
        break;
    case 11:
        if (pr->mid_c.fd >= 0) shutdown(pr->mid_c.fd, SHUT_WR);
        break;
    case 12:
        if (pr->mid_s.fd >= 0) shutdown(pr->mid_s.fd, SHUT_WR);
        break;
    case 13:
        forward(pr, &pr->mid_c, &pr->fwd_c, &pr->mid_s, SIZE_MAX);
        forward(pr, &pr->mid_s, &pr->fwd_s, &pr->mid_c, SIZE_MAX);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pair_t pr;
    up(&pr);
    fz_script_t s = {data, size};
    uint8_t code;
    const uint8_t *a;
    size_t n;
    while (fz_next(&s, &code, &a, &n)) {
        op(&pr, code, a, n);
        pump(&pr, FZ_PUMPS);
    }
    down(&pr);
    return 0;
}
