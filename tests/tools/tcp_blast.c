/* tcp_blast [-t SECS] [-s SEED] HOST PORT CONNS BYTES
 * Opens CONNS concurrent connections to an echo server; each sends BYTES of
 * its own pseudo-random stream and reads the echo back, checking every byte
 * against the regenerated stream (stronger than a checksum, no storage).
 * Prints "ok N/N" and exits 0 only when every connection got all its bytes
 * back intact within the total timeout (default 50 s). */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tool_util.h"

enum { CHUNK = 65536 };

struct blast {
    int fd, id;
    uint64_t sent, rcvd;
    int state; /* 0 running, 1 ok, 2 failed */
    uint32_t events;
};

static uint64_t seed, total;
static int ep, nfail_shown;

/* Failure kinds, counted for the summary line. */
enum { F_CONNECT, F_SOCKET, F_SEND, F_RECV, F_EOF, F_EXTRA, F_MISMATCH, F_TIMEOUT, F_NKINDS };
static const char *const kind_names[F_NKINDS] = {"connect", "socket-error", "send",     "recv",
                                                 "eof",     "extra-data",   "mismatch", "timeout"};
static int kind_count[F_NKINDS];

static void finish(struct blast *b, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* kind < 0: success; otherwise one of F_*. */
static void finish(struct blast *b, int kind, const char *fmt, ...)
{
    int ok = kind < 0;
    if (!ok) kind_count[kind]++;
    if (!ok && nfail_shown++ < 10) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "conn %d: ", b->id);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, b->fd, NULL);
    close(b->fd);
    b->fd = -1;
    b->state = ok ? 1 : 2;
}

static void step(struct blast *b, uint32_t events)
{
    static uint8_t buf[CHUNK], want[CHUNK];
    if (events & EPOLLERR) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        finish(b, F_SOCKET, "socket error after %llu/%llu bytes echoed: %s",
               (unsigned long long)b->rcvd, (unsigned long long)total, strerror(err));
        return;
    }
    while (b->sent < total) {
        size_t n = total - b->sent < CHUNK ? (size_t)(total - b->sent) : CHUNK;
        tu_stream(seed, (uint64_t)b->id, b->sent, buf, n);
        ssize_t w = send(b->fd, buf, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ENOTCONN) break;
            finish(b, F_SEND, "send: %s", strerror(errno));
            return;
        }
        b->sent += (uint64_t)w;
    }
    for (;;) {
        ssize_t r = recv(b->fd, buf, CHUNK, 0);
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ENOTCONN) break;
            finish(b, F_RECV, "recv after %llu bytes: %s", (unsigned long long)b->rcvd,
                   strerror(errno));
            return;
        }
        if (r == 0) {
            finish(b, F_EOF, "EOF after %llu/%llu bytes echoed", (unsigned long long)b->rcvd,
                   (unsigned long long)total);
            return;
        }
        if (b->rcvd + (uint64_t)r > total) {
            finish(b, F_EXTRA, "%llu bytes more than sent",
                   (unsigned long long)(b->rcvd + r - total));
            return;
        }
        tu_stream(seed, (uint64_t)b->id, b->rcvd, want, (size_t)r);
        if (memcmp(buf, want, (size_t)r) != 0) {
            size_t k = 0;
            while (buf[k] == want[k])
                k++;
            finish(b, F_MISMATCH, "data mismatch at offset %llu",
                   (unsigned long long)(b->rcvd + k));
            return;
        }
        b->rcvd += (uint64_t)r;
        if (b->rcvd == total) {
            finish(b, -1, "done");
            return;
        }
    }
    uint32_t ev = EPOLLIN | (b->sent < total ? EPOLLOUT : 0);
    if (ev != b->events) {
        struct epoll_event e = {.events = ev, .data.ptr = b};
        epoll_ctl(ep, EPOLL_CTL_MOD, b->fd, &e);
        b->events = ev;
    }
}

int main(int argc, char **argv)
{
    const char *usage = "usage: tcp_blast [-t SECS] [-s SEED] HOST PORT CONNS BYTES";
    long secs = 50;
    int opt;
    seed = tu_seed();
    while ((opt = getopt(argc, argv, "t:s:")) != -1) {
        if (opt == 't')
            secs = tu_num(optarg, 1, 3600, "timeout");
        else if (opt == 's')
            seed = strtoull(optarg, NULL, 0);
        else
            tu_die("%s", usage);
    }
    if (argc - optind != 4) tu_die("%s", usage);
    struct sockaddr_in to;
    tu_addr(&to, argv[optind], tu_num(argv[optind + 1], 1, 65535, "port"));
    int nconn = (int)tu_num(argv[optind + 2], 1, 100000, "connection count");
    total = (uint64_t)tu_num(argv[optind + 3], 1, 1L << 40, "byte count");
    signal(SIGPIPE, SIG_IGN);
    ep = epoll_create1(0);
    struct blast *bs = calloc((size_t)nconn, sizeof *bs);
    if (!bs) tu_die("out of memory");
    fprintf(stderr, "tcp_blast: %d conns x %llu bytes to %s, seed %#llx\n", nconn,
            (unsigned long long)total, tu_fmt(&to), (unsigned long long)seed);
    int64_t t0 = tu_now_ms(), deadline = t0 + secs * 1000;
    for (int i = 0; i < nconn; i++) {
        struct blast *b = &bs[i];
        b->id = i;
        b->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (b->fd < 0) tu_die("socket: %s", strerror(errno));
        if (connect(b->fd, (struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS) {
            finish(b, F_CONNECT, "connect: %s", strerror(errno));
            continue;
        }
        b->events = EPOLLIN | EPOLLOUT;
        struct epoll_event e = {.events = b->events, .data.ptr = b};
        epoll_ctl(ep, EPOLL_CTL_ADD, b->fd, &e);
    }
    int running = nconn;
    struct epoll_event evs[256];
    while (running > 0) {
        int64_t left = deadline - tu_now_ms();
        if (left <= 0) break;
        int n = epoll_wait(ep, evs, 256, (int)left);
        for (int i = 0; i < n; i++)
            step(evs[i].data.ptr, evs[i].events);
        running = 0;
        for (int i = 0; i < nconn; i++)
            running += bs[i].state == 0;
    }
    int ok = 0;
    for (int i = 0; i < nconn; i++) {
        if (bs[i].state == 0)
            finish(&bs[i], F_TIMEOUT, "timeout: sent %llu, echoed %llu of %llu bytes",
                   (unsigned long long)bs[i].sent, (unsigned long long)bs[i].rcvd,
                   (unsigned long long)total);
        ok += bs[i].state == 1;
    }
    if (ok < nconn) {
        fprintf(stderr, "failures:");
        for (int k = 0; k < F_NKINDS; k++)
            if (kind_count[k]) fprintf(stderr, " %s=%d", kind_names[k], kind_count[k]);
        fputc('\n', stderr);
    }
    double secs_used = (double)(tu_now_ms() - t0) / 1000.0;
    printf("%s %d/%d (%.1f s, %.1f MiB echoed)\n", ok == nconn ? "ok" : "FAIL", ok, nconn,
           secs_used, (double)ok * (double)total / 1048576.0);
    free(bs); /* else LeakSanitizer may count it, as the pointer is dead by now */
    return ok == nconn ? 0 : 1;
}
