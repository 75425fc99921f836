/* fuzz_net: what the in-process network harnesses share (header-only; each
 * fuzz target is one translation unit).
 *
 * A harness runs the code under test on its own uv_loop and plays the other
 * side with plain non-blocking sockets on 127.0.0.1. Loopback delivers a
 * write into the receiver's queue before send() returns, so "run the loop a
 * few times" is enough for the code under test to consume it: no sleeps, and
 * every wait is bounded (FZ_WAIT_MS) so a stuck input cannot hang a replay.
 *
 * A fuzz input is a script of records: op (1 byte), length (u16 BE), that
 * many bytes of argument. What each op does is up to the harness; fz_next()
 * only cuts records. */
#ifndef BURROW_FUZZ_NET_H
#define BURROW_FUZZ_NET_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "proto/frame.h"
#include "proto/msg.h"
#include "util/log.h"

#define FZ_WAIT_MS 2000         /* longest wait for one expected event */
#define FZ_DRY_MS 5000          /* longest wait for the loop to run dry at teardown */
#define FZ_INBOX_MAX (1u << 20) /* bytes kept from one peer; more are dropped */
#define FZ_PUMPS 4              /* loop iterations after each record */
#define FZ_MAX_PEERS 8          /* sockets one input may hold open */

/* The harness itself could not go on (not a finding about the input):
 * says why, then aborts. */
#define fz_die(why)                                                                                \
    (fprintf(stderr, "fuzz harness: %s (%s:%d)\n", why, __FILE__, __LINE__), abort())

static inline uint64_t fz_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline int fz_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes a scratch directory and whatever the code under test left in it. */
static inline void fz_rm_tree(const char *dir)
{
    if (dir[0]) nftw(dir, fz_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Logs go nowhere but are still formatted (DEBUG), so that peer-controlled
 * strings pass through the log code too. */
static inline void fz_quiet_logs(void)
{
    static bool done;
    if (done) return;
    done = true;
    signal(SIGPIPE, SIG_IGN); /* as the CLI does: a peer gone is an error code */
    log_set_output("/dev/null");
    log_set_level(getenv("FUZZ_LOG") ? LOG_TRACE : LOG_DEBUG);
    if (getenv("FUZZ_LOG")) log_set_output("console");
}

/* ---- script records ----------------------------------------------------- */

typedef struct fz_script {
    const uint8_t *p;
    size_t n;
} fz_script_t;

/* Cuts the next record: 1 when *op, *arg, *len are set, 0 at the end. A
 * record whose length runs past the input takes what is left. */
static inline int fz_next(fz_script_t *s, uint8_t *op, const uint8_t **arg, size_t *len)
{
    if (s->n < 1) return 0;
    *op = s->p[0];
    size_t want = s->n >= 3 ? (size_t)s->p[1] << 8 | s->p[2] : 0;
    size_t hdr = s->n >= 3 ? 3 : s->n;
    *arg = s->p + hdr;
    *len = want < s->n - hdr ? want : s->n - hdr;
    s->p += hdr + *len;
    s->n -= hdr + *len;
    return 1;
}

/* ---- peers: the harness's side of a TCP connection ----------------------- */

typedef struct fz_peer {
    int fd;          /* -1 when closed */
    uint8_t *in;     /* everything received (up to FZ_INBOX_MAX) */
    size_t len, off; /* off: the frame parser's position in `in` */
    bool eof;
} fz_peer_t;

/* n distinct ports nothing listens on now (all held while picking, since
 * the kernel may hand a just-released port out again). */
static inline void fz_free_ports(int *ports, int n)
{
    int fds[8];
    if (n > 8) abort();
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof a;
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &al) != 0)
            abort();
        ports[i] = ntohs(a.sin_port);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* Without this, Nagle holds a write back until the previous one is acked,
 * and the peer's delayed ack makes that 40 ms: a record would not arrive
 * within the few loop iterations the harness waits. */
static inline void fz_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Connects to 127.0.0.1:port. The listener's backlog completes the TCP
 * handshake without the loop's help. false when refused. */
static inline bool fz_peer_connect(fz_peer_t *pe, int port)
{
    memset(pe, 0, sizeof *pe);
    pe->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (pe->fd < 0) return false;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(pe->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(pe->fd);
        pe->fd = -1;
        return false;
    }
    fz_nodelay(pe->fd);
    fcntl(pe->fd, F_SETFL, fcntl(pe->fd, F_GETFL) | O_NONBLOCK);
    return true;
}

/* Takes a connection the code under test made to one of our listeners. */
static inline void fz_peer_adopt(fz_peer_t *pe, int fd)
{
    memset(pe, 0, sizeof *pe);
    pe->fd = fd;
    fz_nodelay(fd);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static inline void fz_peer_drain(fz_peer_t *pe)
{
    uint8_t buf[65536];
    while (pe->fd >= 0 && !pe->eof) {
        ssize_t r = recv(pe->fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) pe->eof = true;
        if (r <= 0) break;
        if (pe->len + (size_t)r > FZ_INBOX_MAX) continue;
        uint8_t *n = realloc(pe->in, pe->len + (size_t)r);
        if (!n) abort();
        pe->in = n;
        memcpy(pe->in + pe->len, buf, (size_t)r);
        pe->len += (size_t)r;
    }
}

/* Closes our end; with rst, as a TCP reset. */
static inline void fz_peer_close(fz_peer_t *pe, bool rst)
{
    if (pe->fd >= 0) {
        if (rst) {
            struct linger l = {1, 0};
            setsockopt(pe->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        close(pe->fd);
    }
    pe->fd = -1;
    free(pe->in);
    pe->in = NULL;
    pe->len = pe->off = 0;
}

/* The next whole frame received (burrow's replies carry no magic), or
 * false. The payload points into pe->in. */
static inline bool fz_peer_frame(fz_peer_t *pe, frame_t *f)
{
    if (pe->off >= pe->len) return false;
    ssize_t r = frame_decode(pe->in + pe->off, pe->len - pe->off, f);
    if (r <= 0) return false;
    pe->off += (size_t)r;
    return true;
}

/* ---- the loop ------------------------------------------------------------ */

/* Runs the loop without blocking n times, reading whatever peers got. */
static inline void fz_pump(uv_loop_t *loop, fz_peer_t *peers, int npeers, int n)
{
    for (int i = 0; i < n; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        for (int k = 0; k < npeers; k++)
            fz_peer_drain(&peers[k]);
    }
}

/* Writes all of p, running the loop whenever the socket is full (the code
 * under test may have paused reading: then the rest is dropped after
 * FZ_WAIT_MS). */
static inline void fz_peer_write(uv_loop_t *loop, fz_peer_t *pe, const void *p, size_t n)
{
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    const uint8_t *b = p;
    while (pe->fd >= 0 && n > 0) {
        ssize_t r = send(pe->fd, b, n, MSG_NOSIGNAL);
        if (r > 0) {
            b += r;
            n -= (size_t)r;
            continue;
        }
        if (r < 0 && errno != EAGAIN && errno != EINTR) return;
        if (fz_now_ms() > deadline) return;
        fz_pump(loop, pe, 1, 1);
    }
}

static inline void fz_peer_send_frame(uv_loop_t *loop, fz_peer_t *pe, uint8_t type,
                                      const void *payload, size_t len)
{
    uint8_t hdr[FRAME_HDR_LEN];
    frame_encode_header(hdr, type, (uint32_t)len);
    fz_peer_write(loop, pe, hdr, sizeof hdr);
    if (len) fz_peer_write(loop, pe, payload, len);
}

/* Sends obj as a frame (and drops the reference). */
static inline void fz_peer_send_json(uv_loop_t *loop, fz_peer_t *pe, uint8_t type, json_t *obj)
{
    size_t n;
    uint8_t *b = obj ? msg_encode(type, obj, &n) : NULL;
    if (b) fz_peer_write(loop, pe, b, n);
    free(b);
    json_decref(obj);
}

/* Runs the loop until pe has received a frame of `type` (earlier frames are
 * skipped). Returns its JSON (caller decrefs), or NULL after FZ_WAIT_MS or
 * when the peer closed. */
static inline json_t *fz_wait_json(uv_loop_t *loop, fz_peer_t *pe, uint8_t type)
{
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    for (;;) {
        frame_t f;
        while (fz_peer_frame(pe, &f))
            if (f.type == type) return msg_parse(&f);
        if (pe->eof || pe->fd < 0 || fz_now_ms() > deadline) return NULL;
        uv_run(loop, UV_RUN_NOWAIT);
        fz_peer_drain(pe);
        if (pe->off >= pe->len) { /* nothing new: let the kernel move */
            struct pollfd p = {.fd = pe->fd, .events = POLLIN};
            poll(&p, 1, 1);
        }
    }
}

/* After everything was asked to stop: runs the loop until it has no handle
 * left. A handle still open after FZ_DRY_MS is a leak worth a crash report. */
static inline void fz_run_dry(uv_loop_t *loop)
{
    uint64_t deadline = fz_now_ms() + FZ_DRY_MS;
    while (uv_run(loop, UV_RUN_NOWAIT) != 0) {
        if (fz_now_ms() > deadline) {
            fprintf(stderr, "fuzz: the loop did not run dry; handles left:\n");
            uv_print_all_handles(loop, stderr);
            abort();
        }
        usleep(200);
    }
    if (uv_loop_close(loop) != 0) fz_die("uv_loop_close: a handle is still open");
}

#endif
