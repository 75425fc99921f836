/* fuzz_zstd_stream: the decompressing reader of net/conn_zstd.c (the
 * peer's compressed work-conn stream) on a real loop over a socketpair,
 * with the harness as the peer. Its writer is checked too.
 *
 * The input is a script of records (op, u16 length, argument; fuzz_net.h):
 *   0 DATA    the peer sends the argument (compressed bytes, or not)
 *   1 PAUSE   the owner pauses reading      2 RESUME  ... and resumes
 *   3 FIN     the peer half-closes
 *   4 WRITE   the owner writes the argument through the zstd conn
 *   5 EARLY   (first record only) bytes read before the wrap
 * Invariants: no on_data while paused or after on_eof/on_error, none
 * larger than ZSTD_STREAM_CHUNK; what the owner wrote decodes, at the
 * peer, to exactly what it wrote; the loop runs dry. */
#ifdef BURROW_HAVE_ZSTD
#include <zstd.h>

#include "fuzz_net.h"
#include "fuzz_require.h"
#include "net/conn.h"
#include "net/conn_zstd.h"

enum { OP_DATA, OP_PAUSE, OP_RESUME, OP_FIN, OP_WRITE, OP_EARLY };
#define WROTE_MAX (1u << 20)

typedef struct owner {
    conn_t *c;
    bool paused, ended, closed;
    size_t got;
    uint8_t *wrote; /* what the owner wrote, for the peer's check */
    size_t wrote_len;
} owner_t;

static void on_data(conn_t *c, const uint8_t *p, size_t n)
{
    owner_t *o = conn_data(c);
    (void)p;
    require(!o->paused && !o->ended && n > 0 && n <= ZSTD_STREAM_CHUNK);
    o->got += n;
}

static void on_eof(conn_t *c)
{
    owner_t *o = conn_data(c);
    require(!o->ended);
    o->ended = true;
}

static void on_error(conn_t *c, int err)
{
    owner_t *o = conn_data(c);
    (void)err;
    o->ended = true;
    conn_close(c);
}

static void on_close(conn_t *c)
{
    ((owner_t *)conn_data(c))->closed = true;
}

static const conn_cbs_t cbs = {
    .on_data = on_data, .on_eof = on_eof, .on_error = on_error, .on_close = on_close};
static const conn_cbs_t none = {0};

/* The peer decodes everything the owner's writes produced. */
static void check_written(const owner_t *o, const fz_peer_t *pe)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    uint8_t *out = malloc(o->wrote_len + 1);
    require(d && out);
    ZSTD_inBuffer in = {pe->in, pe->len, 0};
    ZSTD_outBuffer ob = {out, o->wrote_len + 1, 0};
    size_t r = ZSTD_decompressStream(d, &ob, &in);
    require(!ZSTD_isError(r));
    require(ob.pos == o->wrote_len && memcmp(out, o->wrote, o->wrote_len) == 0);
    free(out);
    ZSTD_freeDCtx(d);
}

static void run(uv_loop_t *loop, owner_t *o, fz_peer_t *pe, fz_script_t *s)
{
    uint8_t op;
    const uint8_t *arg;
    size_t len;
    while (fz_next(s, &op, &arg, &len)) {
        switch (op % 5) {
        case OP_DATA:
            fz_peer_write(loop, pe, arg, len);
            break;
        case OP_PAUSE:
            if (!o->closed) conn_pause(o->c), o->paused = true;
            break;
        case OP_RESUME:
            if (!o->closed) o->paused = false, conn_resume(o->c);
            break;
        case OP_FIN:
            if (pe->fd >= 0) shutdown(pe->fd, SHUT_WR);
            break;
        case OP_WRITE:
            if (o->closed || o->wrote_len + len > WROTE_MAX || !len) break;
            if (conn_write(o->c, arg, len) < 0) break;
            memcpy(o->wrote + o->wrote_len, arg, len);
            o->wrote_len += len;
            break;
        }
        fz_pump(loop, pe, 1, FZ_PUMPS);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) fz_quiet_logs(), quiet = true;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    uv_loop_t loop;
    uv_loop_init(&loop);
    owner_t o = {0};
    fz_peer_t pe;
    fz_peer_adopt(&pe, sv[1]);
    fz_script_t s = {data, size};
    const uint8_t *early = NULL;
    size_t early_len = 0;
    uint8_t op;
    fz_script_t peek = s;
    if (fz_next(&peek, &op, &early, &early_len) && op == OP_EARLY)
        s = peek;
    else
        early_len = 0;
    conn_t *raw = conn_new(&loop, &none, NULL);
    o.wrote = malloc(WROTE_MAX);
    require(raw && o.wrote && conn_open_fd(raw, sv[0]) == 0);
    conn_start(raw);
    o.c = conn_zstd_new(raw, &cbs, &o, early, early_len);
    require(o.c != NULL);
    o.paused = early_len > 0; /* starts paused with early bytes */
    run(&loop, &o, &pe, &s);
    o.paused = false;
    if (!o.closed) conn_resume(o.c); /* whatever waits may flow now */
    fz_pump(&loop, &pe, 1, FZ_PUMPS);
    if (!o.closed) conn_close(o.c);
    fz_run_dry(&loop);
    fz_peer_drain(&pe);
    check_written(&o, &pe);
    fz_peer_close(&pe, false);
    free(o.wrote);
    return 0;
}

#else /* a build without zstd: nothing to fuzz */
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0;
}
#endif
