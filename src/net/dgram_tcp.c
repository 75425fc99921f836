/* dgram_tcp: see dgram_tcp.h. A uv_tcp_t, a receive buffer that holds at
 * most one partial frame after each read, and a counted write queue. */
#include "net/dgram_tcp.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct dgram_tcp {
    dgram_path_t path; /* first: the user's pointer is ours */
    uv_tcp_t *sock;    /* owned (malloc'd) */
    bool down, closing;
    dgram_tcp_lost_cb lost;
    void *lost_arg;
    dgram_path_closed_cb closed_cb;
    void *closed_arg;
    dgram_tcp_stats_t st;
    size_t rx_len; /* bytes of rx not yet parsed (one partial frame at most) */
    uint8_t rx[DGRAM_TCP_RXBUF];
} dgram_tcp_t;

/* What the kernel did not take at once: one uv_write of a copy. */
typedef struct wreq {
    uv_write_t req;
    dgram_tcp_t *t;
    size_t len;
    uint8_t data[];
} wreq_t;

/* ---- framing (pure) ------------------------------------------------------ */

ssize_t dgram_tcp_parse(const uint8_t *p, size_t len, size_t max, const uint8_t **d, size_t *n)
{
    if (len < DGRAM_TCP_HDR) return 0;
    size_t body = (size_t)p[0] << 8 | p[1];
    if (body == 0 || body > max) return UV_EPROTO;
    if (len < DGRAM_TCP_HDR + body) return 0;
    *d = p + DGRAM_TCP_HDR;
    *n = body;
    return (ssize_t)(DGRAM_TCP_HDR + body);
}

void dgram_tcp_header(size_t n, uint8_t out[DGRAM_TCP_HDR])
{
    out[0] = (uint8_t)(n >> 8);
    out[1] = (uint8_t)n;
}

/* ---- the end of the stream ---------------------------------------------- */

/* Once: the user (on_down), then the owner (lost). Reading stops; sends
 * fail from now on. */
static void tcp_down(dgram_tcp_t *t, const char *reason)
{
    if (t->down || t->closing) return;
    t->down = true;
    uv_read_stop((uv_stream_t *)t->sock);
    if (t->path.on_down) t->path.on_down(&t->path, reason, t->path.arg);
    if (t->lost && !t->closing) t->lost(&t->path, reason, t->lost_arg);
}

/* ---- receiving ---------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    dgram_tcp_t *t = h->data;
    (void)hint;
    *buf = uv_buf_init((char *)t->rx + t->rx_len, (unsigned)(sizeof t->rx - t->rx_len));
}

/* Hands every whole frame in rx to the user; keeps the partial one. The
 * user may close the path from on_recv: memory stays until the close
 * callback, and the loop stops at the flag. */
static void deliver(dgram_tcp_t *t)
{
    size_t off = 0;
    while (!t->down && !t->closing) {
        const uint8_t *d;
        size_t n;
        ssize_t r = dgram_tcp_parse(t->rx + off, t->rx_len - off, t->path.max_payload, &d, &n);
        if (r < 0) {
            tcp_down(t, "bad-frame");
            return;
        }
        if (r == 0) break;
        off += (size_t)r;
        t->st.received++;
        if (t->path.on_recv) t->path.on_recv(&t->path, d, n, t->path.arg);
    }
    if (t->down || t->closing) return;
    memmove(t->rx, t->rx + off, t->rx_len - off);
    t->rx_len -= off;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    dgram_tcp_t *t = s->data;
    (void)buf;
    if (n == 0 || t->closing) return;
    if (n < 0) {
        tcp_down(t, n == UV_EOF ? "closed" : uv_err_name((int)n));
        return;
    }
    t->rx_len += (size_t)n;
    deliver(t);
}

/* ---- sending ------------------------------------------------------------ */

static void on_written(uv_write_t *req, int status)
{
    wreq_t *w = req->data;
    dgram_tcp_t *t = w->t;
    t->st.queued -= w->len;
    free(w);
    if (status < 0 && status != UV_ECANCELED) tcp_down(t, uv_err_name(status));
}

/* Queues bufs[] from byte `skip` on (what try_write did not take). */
static int queue_rest(dgram_tcp_t *t, const uv_buf_t *bufs, int nb, size_t skip, size_t total)
{
    size_t len = total - skip, at = 0;
    wreq_t *w = malloc(sizeof *w + len);
    if (!w) return UV_ENOMEM; /* the frame would be cut: the stream is lost */
    for (int i = 0; i < nb; i++) {
        size_t bl = bufs[i].len, from = skip < bl ? skip : bl;
        memcpy(w->data + at, bufs[i].base + from, bl - from);
        at += bl - from;
        skip -= from;
    }
    w->t = t;
    w->len = len;
    w->req.data = w;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    int r = uv_write(&w->req, (uv_stream_t *)t->sock, &b, 1, on_written);
    if (r < 0) {
        free(w);
        return r;
    }
    t->st.queued += len;
    if (t->st.queued > t->st.queued_peak) t->st.queued_peak = t->st.queued;
    return 0;
}

static int tcp_send(dgram_path_t *p, const uint8_t *data, size_t len)
{
    dgram_tcp_t *t = (dgram_tcp_t *)p;
    uint8_t hdr[DGRAM_TCP_HDR];
    if (t->down || t->closing) return UV_ENETDOWN;
    if (len == 0 || len > p->max_payload) return UV_EMSGSIZE;
    size_t total = DGRAM_TCP_HDR + len;
    if (t->st.queued + total > DGRAM_TCP_QUEUE_MAX) {
        t->st.dropped++;
        return UV_EAGAIN; /* dropped: QUIC sees a loss and slows down */
    }
    dgram_tcp_header(len, hdr);
    uv_buf_t bufs[2] = {uv_buf_init((char *)hdr, DGRAM_TCP_HDR),
                        uv_buf_init((char *)data, (unsigned)len)};
    int r = t->st.queued ? UV_EAGAIN : uv_try_write((uv_stream_t *)t->sock, bufs, 2);
    size_t done = r > 0 ? (size_t)r : 0;
    /* A write error shows in the queued write's callback (or the read). */
    if (done < total) r = queue_rest(t, bufs, 2, done, total);
    if (r < 0) return r;
    t->st.sent++;
    return 0;
}

/* ---- life --------------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
    dgram_tcp_t *t = h->data;
    free(t->sock);
    if (t->closed_cb) t->closed_cb(&t->path, t->closed_arg);
    free(t);
}

static void tcp_close(dgram_path_t *p, dgram_path_closed_cb cb, void *arg)
{
    dgram_tcp_t *t = (dgram_tcp_t *)p;
    t->closing = true;
    t->closed_cb = cb;
    t->closed_arg = arg;
    uv_close((uv_handle_t *)t->sock, on_closed); /* queued writes end ECANCELED first */
}

static const dgram_path_ops_t tcp_ops = {
    .kind = "direct-tcp", .pref = DGRAM_PREF_DIRECT_TCP, .send = tcp_send, .close = tcp_close};

const dgram_tcp_stats_t *dgram_tcp_stats(const dgram_path_t *p)
{
    return p->ops == &tcp_ops ? &((const dgram_tcp_t *)p)->st : NULL;
}

/* TCP_NODELAY and TCP_USER_TIMEOUT (best effort: a path works without). */
static void tune(uv_tcp_t *sock)
{
    uv_os_fd_t fd;
    (void)uv_tcp_nodelay(sock, 1);
    if (uv_fileno((uv_handle_t *)sock, &fd) != 0) return;
#ifdef TCP_USER_TIMEOUT
    unsigned ms = DGRAM_TCP_USER_TIMEOUT_MS;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
#endif
}

static int names(dgram_tcp_t *t)
{
    int len = sizeof t->path.local;
    int r = uv_tcp_getsockname(t->sock, (struct sockaddr *)&t->path.local, &len);
    len = sizeof t->path.remote;
    if (r == 0) r = uv_tcp_getpeername(t->sock, (struct sockaddr *)&t->path.remote, &len);
    return r;
}

dgram_path_t *dgram_tcp_open(uv_tcp_t *sock, dgram_tcp_lost_cb lost, void *arg, int *err)
{
    dgram_tcp_t *t = calloc(1, sizeof *t);
    if (!t) {
        *err = UV_ENOMEM;
        uv_close((uv_handle_t *)sock, (uv_close_cb)free);
        return NULL;
    }
    t->sock = sock;
    sock->data = t;
    t->path.ops = &tcp_ops;
    t->path.max_payload = DGRAM_TCP_MAX;
    t->lost = lost;
    t->lost_arg = arg;
    tune(sock);
    *err = names(t);
    if (*err == 0) *err = uv_read_start((uv_stream_t *)sock, on_alloc, on_read);
    if (*err != 0) {
        tcp_close(&t->path, NULL, NULL);
        return NULL;
    }
    return &t->path;
}
