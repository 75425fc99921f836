/* splice_pump: see splice_pump.h. The only Linux-specific relay code. */
#include "net/splice_pump.h"

#if defined(__linux__)

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_BYTES (256 * 1024)
#define ROUNDS_PER_EVENT 8 /* then yield to other connections */

typedef struct pump_dir {
    int pipe[2];   /* [0] read end, [1] write end */
    size_t inpipe; /* bytes waiting in the pipe */
    size_t cap;    /* the pipe's capacity */
    bool src_eof;  /* the source side sent FIN */
    bool shut;     /* we shut the destination's write half */
    uint64_t moved;
} pump_dir_t;

struct splice_pump {
    uv_poll_t poll[2];
    int fd[2];       /* our duplicates of the two sockets */
    int interest[2]; /* events each poll handle watches now */
    pump_dir_t d[2]; /* d[i]: from side i to side !i */
    int closing;     /* poll handles still closing */
    int err;
    bool finishing;
    splice_done_cb done;
    void *ctx;
};

static void on_poll(uv_poll_t *h, int status, int events);

static void pump_free(splice_pump_t *p)
{
    for (int i = 0; i < 2; i++) {
        close(p->fd[i]);
        close(p->d[i].pipe[0]);
        close(p->d[i].pipe[1]);
    }
    free(p);
}

static void on_closed(uv_handle_t *h)
{
    splice_pump_t *p = h->data;
    if (--p->closing > 0) return;
    uint64_t bytes[2] = {p->d[0].moved, p->d[1].moved};
    splice_done_cb done = p->done;
    void *ctx = p->ctx;
    int err = p->err;
    pump_free(p);
    done(ctx, err, bytes);
}

static void on_init_failed(uv_handle_t *h)
{
    pump_free(h->data);
}

static void finish(splice_pump_t *p, int err)
{
    if (p->finishing) return;
    p->finishing = true;
    p->err = err;
    p->closing = 2;
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&p->poll[i], on_closed);
}

/* Pipe -> destination socket. 0, or a negative errno. */
static int drain(splice_pump_t *p, int i)
{
    pump_dir_t *d = &p->d[i];
    while (d->inpipe > 0) {
        ssize_t n =
            splice(d->pipe[0], NULL, p->fd[!i], NULL, d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            d->inpipe -= (size_t)n;
            d->moved += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EAGAIN) return 0;
        return n < 0 ? -errno : -EPIPE;
    }
    if (d->src_eof && !d->shut) {
        d->shut = true;
        shutdown(p->fd[!i], SHUT_WR);
    }
    return 0;
}

/* Source socket -> pipe, draining as we go. 0, or a negative errno. */
static int fill(splice_pump_t *p, int i)
{
    pump_dir_t *d = &p->d[i];
    for (int round = 0; round < ROUNDS_PER_EVENT && !d->src_eof && d->inpipe < d->cap; round++) {
        ssize_t n = splice(p->fd[i], NULL, d->pipe[1], NULL, d->cap - d->inpipe,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n > 0) {
            d->inpipe += (size_t)n;
        } else if (n == 0) {
            d->src_eof = true;
        } else if (errno == EAGAIN) {
            break;
        } else {
            return -errno;
        }
        int r = drain(p, i);
        if (r < 0) return r;
        if (d->inpipe > 0) break; /* destination full: wait for writable */
    }
    return drain(p, i);
}

static void update_interest(splice_pump_t *p)
{
    for (int i = 0; i < 2; i++) {
        int ev = 0;
        if (!p->d[i].src_eof && p->d[i].inpipe < p->d[i].cap) ev |= UV_READABLE;
        if (p->d[!i].inpipe > 0) ev |= UV_WRITABLE;
        if (ev == p->interest[i]) continue; /* each change costs an epoll_ctl */
        p->interest[i] = ev;
        if (ev)
            uv_poll_start(&p->poll[i], ev, on_poll);
        else
            uv_poll_stop(&p->poll[i]);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    splice_pump_t *p = h->data;
    int i = h == &p->poll[0] ? 0 : 1;
    int r = status;
    if (r == 0 && (events & UV_WRITABLE)) r = drain(p, !i);
    if (r == 0 && (events & (UV_READABLE | UV_DISCONNECT))) r = fill(p, i);
    if (r < 0) {
        finish(p, r);
        return;
    }
    if (p->d[0].shut && p->d[1].shut) {
        finish(p, 0);
        return;
    }
    update_interest(p);
}

static int make_pipe(pump_dir_t *d)
{
    if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) != 0) return -errno;
    int cap = fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_BYTES);
    if (cap <= 0) cap = fcntl(d->pipe[1], F_GETPIPE_SZ);
    d->cap = cap > 0 ? (size_t)cap : 65536;
    return 0;
}

int splice_pump_start(uv_loop_t *loop, int fd_a, int fd_b, splice_done_cb done, void *ctx)
{
    splice_pump_t *p = calloc(1, sizeof *p);
    if (!p) return UV_ENOMEM;
    p->fd[0] = p->fd[1] = -1;
    for (int i = 0; i < 2; i++)
        p->d[i].pipe[0] = p->d[i].pipe[1] = -1;
    int r = 0;
    p->fd[0] = fcntl(fd_a, F_DUPFD_CLOEXEC, 0);
    p->fd[1] = fcntl(fd_b, F_DUPFD_CLOEXEC, 0);
    if (p->fd[0] < 0 || p->fd[1] < 0) r = -errno;
    for (int i = 0; r == 0 && i < 2; i++)
        r = make_pipe(&p->d[i]);
    if (r == 0) r = uv_poll_init_socket(loop, &p->poll[0], p->fd[0]);
    if (r != 0) {
        pump_free(p); /* no handle was opened */
        return r;
    }
    p->poll[0].data = p->poll[1].data = p;
    r = uv_poll_init_socket(loop, &p->poll[1], p->fd[1]);
    if (r != 0) {
        /* poll[0] lives in p: free p only once it is closed. */
        p->finishing = true;
        p->closing = 1;
        uv_close((uv_handle_t *)&p->poll[0], on_init_failed);
        return r;
    }
    p->done = done;
    p->ctx = ctx;
    update_interest(p);
    return 0;
}

#else

int splice_pump_start(uv_loop_t *loop, int fd_a, int fd_b, splice_done_cb done, void *ctx)
{
    (void)loop;
    (void)fd_a;
    (void)fd_b;
    (void)done;
    (void)ctx;
    return UV_ENOTSUP;
}

#endif
