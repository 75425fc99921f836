/* tcp_echo [-b ADDR] PORT: TCP echo server for many concurrent connections
 * (epoll, non-blocking). When a peer half-closes, pending data is flushed and
 * the write side is shut down. */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tool_util.h"

enum { BUFSZ = 65536 };

struct conn {
    int fd;
    size_t off, len; /* pending bytes buf[off..len) */
    int eof;         /* peer finished sending */
    uint32_t events; /* current epoll interest */
    char buf[BUFSZ];
};

static int ep;

static void conn_close(struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

/* Moves as much data as the socket allows; returns -1 when the conn is gone. */
static int conn_pump(struct conn *c)
{
    for (;;) {
        if (c->off < c->len) {
            ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                return -1;
            }
            c->off += (size_t)n;
            continue;
        }
        c->off = c->len = 0;
        if (c->eof) {
            shutdown(c->fd, SHUT_WR);
            return -1;
        }
        ssize_t n = recv(c->fd, c->buf, BUFSZ, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            return -1;
        }
        if (n == 0) c->eof = 1;
        c->len = (size_t)n;
    }
    uint32_t want = c->off < c->len ? EPOLLOUT : EPOLLIN;
    if (want != c->events) {
        struct epoll_event ev = {.events = want, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) return -1;
        c->events = want;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *bind_addr = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "b:")) != -1) {
        if (opt == 'b')
            bind_addr = optarg;
        else
            tu_die("usage: tcp_echo [-b ADDR] PORT");
    }
    if (optind + 1 != argc) tu_die("usage: tcp_echo [-b ADDR] PORT");
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in sa;
    tu_addr(&sa, bind_addr, tu_num(argv[optind], 1, 65535, "port"));
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1024) < 0)
        tu_die("tcp_echo: bind/listen %s: %s", tu_fmt(&sa), strerror(errno));
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    fprintf(stderr, "tcp_echo: listening on %s\n", tu_fmt(&sa));

    struct epoll_event evs[128];
    for (;;) {
        int n = epoll_wait(ep, evs, 128, -1);
        if (n < 0 && errno != EINTR) tu_die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c) {
                if (conn_pump(c) < 0) conn_close(c);
                continue;
            }
            int fd;
            while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                c = calloc(1, sizeof *c);
                if (!c) tu_die("out of memory");
                c->fd = fd;
                c->events = EPOLLIN;
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
            }
        }
    }
}
