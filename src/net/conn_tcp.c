/* conn_tcp: the plain TCP backend of conn (net/conn_int.h), on a uv_tcp_t.
 *
 * Writes try the socket directly when nothing is queued and copy only what
 * the kernel did not take; reads land in one buffer shared by every conn on
 * the loop and are handed to ops->input (the user's on_data for TCP, the
 * TLS layer's decryption for TLS) before the next read can reuse it. */
#include "net/conn_int.h"
#include "net/conn_tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

typedef struct wreq {
    uv_write_t req;
    size_t len;
    uint8_t data[];
} wreq_t;

/* One loop, one thread: raw socket reads land here and are consumed (or kept
 * by the TLS layer) before the next read callback can run. */
static uint8_t g_rbuf[CONN_READ_BUF];

static uv_stream_t *stream(conn_t *c)
{
    return (uv_stream_t *)&c->tcp.handle;
}

/* ---- writing ---------------------------------------------------------- */

static void write_cb(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    conn_t *c = req->data;
    size_t n = w->len;
    free(w);
    if (status < 0 && !(c->flags & F_CLOSING)) {
        c->pending -= n;
        conn__fail(c, status);
        return;
    }
    conn__wrote(c, n);
}

static int tcp_queue(conn_t *c, const uint8_t *p, size_t n)
{
    if (c->pending == 0) {
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
        int r = uv_try_write(stream(c), &b, 1);
        if (r == (int)n) return 0;
        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r != UV_EAGAIN) {
            return r;
        }
    }
    wreq_t *w = malloc(sizeof *w + n);
    if (!w) return UV_ENOMEM;
    memcpy(w->data, p, n);
    w->len = n;
    w->req.data = c;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
    int r = uv_write(&w->req, stream(c), &b, 1, write_cb);
    if (r != 0) {
        free(w);
        return r;
    }
    c->pending += n;
    return 0;
}

static int tcp_write(conn_t *c, const void *p, size_t n)
{
    return tcp_queue(c, p, n);
}

static void shutdown_cb(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;
    /* A failed FIN shows up as a read error or close later; ECANCELED means
     * we are closing. */
    if (status == UV_ECANCELED || (c->flags & F_CLOSING)) return;
    if (c->cbs->on_shutdown) c->cbs->on_shutdown(c);
}

static void tcp_shutdown(conn_t *c)
{
    c->tcp.sreq.data = c;
    uv_shutdown(&c->tcp.sreq, stream(c), shutdown_cb);
}

/* ---- reading ---------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init((char *)g_rbuf, sizeof g_rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (c->flags & F_CLOSING) return;
    if (nread > 0) {
        c->ops->input(c, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    if (nread == 0) return;
    int err = nread == UV_EOF ? UV_ECONNRESET : (int)nread;
    if (nread == UV_EOF) uv_read_stop(s);
    if (c->flags & F_HANDSHAKE) { /* the peer left during the TLS handshake */
        c->flags &= ~F_HANDSHAKE;
        conn__ready(c, err);
        return;
    }
    if (nread == UV_EOF)
        conn__deliver_eof(c); /* without TLS, or a TLS peer gone without close_notify */
    else
        conn__fail(c, err);
}

static void tcp_read_start(conn_t *c)
{
    if (c->flags & (F_CLOSING | F_PAUSED | F_EOF)) return;
    uv_read_start(stream(c), alloc_cb, read_cb);
}

static void tcp_read_stop(conn_t *c)
{
    uv_read_stop(stream(c));
}

static void tcp_input(conn_t *c, const uint8_t *p, size_t n)
{
    if (c->cbs->on_data) c->cbs->on_data(c, p, n);
}

/* ---- connecting and accepting ---------------------------------------- */

static void connect_cb(uv_connect_t *req, int status)
{
    conn_t *c = req->data;
    if (c->flags & F_CLOSING) return;
    if (status < 0) {
        conn__ready(c, status);
        return;
    }
    uv_tcp_nodelay(&c->tcp.handle, 1);
    conn__fill_peer(c);
    if (c->tls.connect_ctx) {
        int r = conn_tls_client_start(c);
        if (r != 0) conn__ready(c, r);
        return;
    }
    conn__ready(c, 0);
    tcp_read_start(c);
}

static int tcp_connect(conn_t *c, const struct sockaddr *addr)
{
    c->tcp.creq.data = c;
    return uv_tcp_connect(&c->tcp.creq, &c->tcp.handle, addr, connect_cb);
}

static int tcp_start(conn_t *c)
{
    uv_tcp_nodelay(&c->tcp.handle, 1);
    conn__fill_peer(c);
    c->flags |= F_READY;
    return uv_read_start(stream(c), alloc_cb, read_cb);
}

int conn_tcp_accept(uv_stream_t *server, conn_t *c)
{
    return uv_accept(server, stream(c));
}

int conn_open_fd(conn_t *c, uv_os_sock_t fd)
{
    return uv_tcp_open(&c->tcp.handle, fd);
}

/* ---- the rest of the table ------------------------------------------- */

static void tcp_resume(conn_t *c)
{
    tcp_read_start(c);
}

static void close_cb(uv_handle_t *h)
{
    conn__closed(h->data);
}

static void tcp_close(conn_t *c, bool reset)
{
    uv_read_stop(stream(c));
    if (!reset || uv_tcp_close_reset(&c->tcp.handle, close_cb) != 0)
        uv_close((uv_handle_t *)&c->tcp.handle, close_cb);
}

static int tcp_local_addr(const conn_t *c, struct sockaddr_storage *out)
{
    int len = sizeof *out;
    memset(out, 0, sizeof *out);
    return uv_tcp_getsockname(&c->tcp.handle, (struct sockaddr *)out, &len);
}

static int tcp_peer_addr(const conn_t *c, struct sockaddr_storage *out)
{
    int len = sizeof *out;
    memset(out, 0, sizeof *out);
    return uv_tcp_getpeername(&c->tcp.handle, (struct sockaddr *)out, &len);
}

static uv_loop_t *tcp_loop(const conn_t *c)
{
    return c->tcp.handle.loop;
}

static int tcp_fd(const conn_t *c)
{
    uv_os_fd_t fd;
    return uv_fileno((const uv_handle_t *)&c->tcp.handle, &fd) == 0 ? (int)fd : -1;
}

static void tcp_end(conn_t *c)
{
    int fd = tcp_fd(c);
    if (fd >= 0) (void)shutdown(fd, SHUT_RDWR); /* fails only when already gone */
}

#ifdef __linux__
static int set_int_opt(int fd, int level, int name, unsigned value)
{
    int v = (int)value;
    return setsockopt(fd, level, name, &v, sizeof v) == 0 ? 0 : -errno;
}

static int tcp_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                            unsigned user_timeout_ms)
{
    int fd = tcp_fd(c), r;
    if (fd < 0) return UV_EBADF;
    if ((r = set_int_opt(fd, SOL_SOCKET, SO_KEEPALIVE, 1)) != 0) return r;
    if ((r = set_int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_s)) != 0) return r;
    if ((r = set_int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl_s)) != 0) return r;
    if ((r = set_int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, cnt)) != 0) return r;
    /* RFC 5482: give up when data stays unacknowledged this long, instead
     * of retransmitting for the kernel's ~15 minutes. */
    return set_int_opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout_ms);
}
#else
static int tcp_set_liveness(conn_t *c, unsigned idle_s, unsigned intvl_s, unsigned cnt,
                            unsigned user_timeout_ms)
{
    (void)intvl_s;
    (void)cnt;
    (void)user_timeout_ms;
    return uv_tcp_keepalive(&c->tcp.handle, 1, idle_s);
}
#endif

const conn_ops_t conn_tcp_ops = {
    .name = "tcp",
    .connect = tcp_connect,
    .start = tcp_start,
    .write = tcp_write,
    .input = tcp_input,
    .pause = tcp_read_stop,
    .resume = tcp_resume,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .local_addr = tcp_local_addr,
    .peer_addr = tcp_peer_addr,
    .loop = tcp_loop,
    .end = tcp_end,
    .splice_fd = tcp_fd,
    .set_liveness = tcp_set_liveness,
};
