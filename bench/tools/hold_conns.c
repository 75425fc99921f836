/* hold_conns HOST PORT STAGES [WINDOW]: opens TCP connections to an echo
 * server (directly or through a tunnel) and holds them idle, so that a bench
 * can read the relay's memory per connection.
 *
 * STAGES is a comma-separated list of cumulative counts, e.g. "1000,10000".
 * For each stage, the connections missing up to that count are opened with at
 * most WINDOW (default 64) in flight; each sends one byte and counts as held
 * once the byte comes back. Then one line is printed:
 *     stage=N held=H failed=F dropped=D ms=T
 * (failed: refused, reset or no echo within 15 s; dropped: held connections
 * the far side closed since). The tool then waits for a line on stdin before
 * the next stage; at EOF on stdin it prints "final held=H dropped=D", closes
 * everything and exits (status 1 if anything failed or dropped). */
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "tool_util.h"

enum { ST_FREE, ST_CONNECTING, ST_SENT, ST_HELD };
enum { ECHO_TIMEOUT_MS = 15000 };

struct hc {
    int fd;
    int state;
    int64_t started_ms;
};

static struct hc *conns;
static long nconns_max;
static int ep;
static long held, failed, dropped, inflight;
static int stdin_watched;

static void hc_drop(struct hc *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = ST_FREE;
}

static void hc_fail(struct hc *c)
{
    if (c->state == ST_CONNECTING || c->state == ST_SENT) {
        inflight--;
        failed++;
    } else if (c->state == ST_HELD) {
        held--;
        dropped++;
    }
    hc_drop(c);
}

static void hc_open(struct hc *c, const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        failed++;
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->state = ST_CONNECTING;
    c->started_ms = tu_now_ms();
    inflight++;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 && errno != EINPROGRESS) {
        hc_fail(c);
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) hc_fail(c);
}

static void hc_event(struct hc *c, uint32_t events)
{
    if (c->state == ST_CONNECTING && (events & EPOLLOUT)) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        char b = 'h';
        if (err || send(c->fd, &b, 1, MSG_NOSIGNAL) != 1) {
            hc_fail(c);
            return;
        }
        c->state = ST_SENT;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
        char b;
        ssize_t n = recv(c->fd, &b, 1, 0);
        if (n == 1 && c->state == ST_SENT) {
            c->state = ST_HELD;
            inflight--;
            held++;
            return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        hc_fail(c); /* EOF, error, or unexpected bytes on a held conn */
    }
}

static void pump_events(int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(ep, evs, 256, timeout_ms);
    for (int i = 0; i < n; i++)
        if (evs[i].data.ptr) hc_event(evs[i].data.ptr, evs[i].events);
}

static void expire_slow(void)
{
    int64_t now = tu_now_ms();
    for (long i = 0; i < nconns_max; i++) {
        struct hc *c = &conns[i];
        if ((c->state == ST_CONNECTING || c->state == ST_SENT) &&
            now - c->started_ms > ECHO_TIMEOUT_MS)
            hc_fail(c);
    }
}

static void run_stage(long target, long window, const struct sockaddr_in *sa)
{
    int64_t t0 = tu_now_ms(), last_sweep = t0;
    long next = held + failed + dropped; /* slots used so far */
    long f0 = failed;
    while (next < target || inflight > 0) {
        while (next < target && inflight < window)
            hc_open(&conns[next++], sa);
        pump_events(100);
        if (tu_now_ms() - last_sweep >= 500) {
            expire_slow();
            last_sweep = tu_now_ms();
        }
    }
    printf("stage=%ld held=%ld failed=%ld dropped=%ld ms=%lld\n", target, held, failed - f0,
           dropped, (long long)(tu_now_ms() - t0));
}

/* Waits for a line (1) or EOF (0) on stdin, watching held conns meanwhile. */
static int wait_stdin(void)
{
    if (!stdin_watched) return 0;
    for (;;) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr) {
                hc_event(evs[i].data.ptr, evs[i].events);
                continue;
            }
            char buf[256];
            ssize_t r = read(0, buf, sizeof buf);
            if (r <= 0) return 0;
            if (memchr(buf, '\n', (size_t)r)) return 1;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5)
        tu_die("usage: hold_conns HOST PORT STAGES [WINDOW]   (STAGES e.g. 1000,10000)");
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sockaddr_in sa;
    tu_addr(&sa, argv[1], tu_num(argv[2], 1, 65535, "port"));
    long window = argc == 5 ? tu_num(argv[4], 1, 100000, "window") : 64;

    long stages[16];
    int nstages = 0;
    char *list = strdup(argv[3]);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (nstages == 16) tu_die("at most 16 stages");
        stages[nstages] = tu_num(tok, 1, 1000000, "stage count");
        if (nstages > 0 && stages[nstages] <= stages[nstages - 1]) tu_die("stages must increase");
        nstages++;
    }
    free(list);
    nconns_max = stages[nstages - 1];

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur < nconns_max + 16)
        fprintf(stderr, "hold_conns: fd limit %ld is below %ld connections\n", (long)rl.rlim_cur,
                nconns_max);

    conns = calloc((size_t)nconns_max, sizeof *conns);
    if (!conns) tu_die("out of memory");
    for (long i = 0; i < nconns_max; i++)
        conns[i].fd = -1;
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = NULL};
    stdin_watched = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) == 0;

    long total_failed = 0;
    int more = 1;
    for (int s = 0; s < nstages && more; s++) {
        long f0 = failed;
        run_stage(stages[s], window, &sa);
        total_failed += failed - f0;
        more = wait_stdin();
    }
    while (more)
        more = wait_stdin();
    printf("final held=%ld dropped=%ld\n", held, dropped);
    for (long i = 0; i < nconns_max; i++)
        if (conns[i].fd >= 0) close(conns[i].fd);
    free(conns);
    return total_failed || dropped ? 1 : 0;
}
