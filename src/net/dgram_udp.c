/* dgram_udp: see dgram_udp.h. A uv_udp_t plus the remote it accepts. */
#include "net/dgram_udp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(DGRAM_BATCH_MAX <= UDP_BATCH_MAX, "a path's batch fits udp_batch's");

typedef struct dgram_udp {
    dgram_path_t path; /* first: the user's pointer is ours */
    uv_udp_t h;
    int fd;
    udp_batch_t batch; /* how send_batch goes on this socket */
    bool down;
    dgram_path_closed_cb closed_cb;
    void *closed_arg;
} dgram_udp_t;

static socklen_t sa_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (a->sa_family != b->ss_family) return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

static void on_read(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    dgram_udp_t *u = h->data;
    /* n == 0 with UV_UDP_MMSG_FREE ends a batch: the buffer is static. */
    if (n <= 0 || !from || u->down || (flags & UV_UDP_PARTIAL)) return;
    if (!same_addr(from, &u->path.remote)) return; /* not our peer */
    if (u->path.on_recv)
        u->path.on_recv(&u->path, (const uint8_t *)buf->base, (size_t)n, u->path.arg);
}

static int udp_send(dgram_path_t *p, const uint8_t *data, size_t len)
{
    dgram_udp_t *u = (dgram_udp_t *)p;
    if (u->down) return UV_ENETDOWN;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int r = uv_udp_try_send(&u->h, &b, 1, NULL); /* connected: the kernel keeps the route */
    return r < 0 ? r : 0;
}

static int udp_send_batch(dgram_path_t *p, const uint8_t *data, size_t len, size_t seg)
{
    dgram_udp_t *u = (dgram_udp_t *)p;
    if (u->down) return UV_ENETDOWN;
    return udp_batch_send(&u->batch, u->fd, NULL, data, len, seg); /* connected */
}

static void on_closed(uv_handle_t *h)
{
    dgram_udp_t *u = h->data;
    if (u->closed_cb) u->closed_cb(&u->path, u->closed_arg);
    free(u);
}

static void udp_close(dgram_path_t *p, dgram_path_closed_cb cb, void *arg)
{
    dgram_udp_t *u = (dgram_udp_t *)p;
    u->closed_cb = cb;
    u->closed_arg = arg;
    u->down = true;
    uv_close((uv_handle_t *)&u->h, on_closed);
}

/* The ops table carries the kind logs name: one table per kind. */
static const dgram_path_ops_t kinds[] = {
    {.kind = "direct",
     .pref = DGRAM_PREF_DIRECT,
     .send = udp_send,
     .send_batch = udp_send_batch,
     .close = udp_close},
    {.kind = "relay",
     .pref = DGRAM_PREF_RELAY,
     .send = udp_send,
     .send_batch = udp_send_batch,
     .close = udp_close},
};

static const dgram_path_ops_t *ops_for(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].kind, kind)) return &kinds[i];
    return &kinds[0];
}

static dgram_udp_t *udp_new(uv_loop_t *loop, const struct sockaddr *remote, const char *kind,
                            int *err)
{
    dgram_udp_t *u = calloc(1, sizeof *u);
    if (!u) {
        *err = UV_ENOMEM;
        return NULL;
    }
    *err = uv_udp_init_ex(loop, &u->h, AF_UNSPEC | UV_UDP_RECVMMSG);
    if (*err) {
        free(u);
        return NULL;
    }
    u->h.data = u;
    u->path.ops = ops_for(kind);
    memcpy(&u->path.remote, remote, sa_len(remote));
    u->path.max_payload = DGRAM_UDP_MAX;
    return u;
}

/* connect(2): the kernel filters other senders and caches the route (a
 * route lookup per datagram otherwise: measured in bench/tools/quic_cost). */
static int udp_begin(dgram_udp_t *u)
{
    int r = uv_udp_connect(&u->h, (const struct sockaddr *)&u->path.remote);
    if (r) return r;
    int len = sizeof u->path.local;
    r = uv_udp_getsockname(&u->h, (struct sockaddr *)&u->path.local, &len);
    if (r) return r;
    int sz = DGRAM_UDP_SOCKBUF;
    (void)uv_send_buffer_size((uv_handle_t *)&u->h, &sz); /* best effort */
    sz = DGRAM_UDP_SOCKBUF;
    (void)uv_recv_buffer_size((uv_handle_t *)&u->h, &sz);
    uv_os_fd_t fd;
    r = uv_fileno((uv_handle_t *)&u->h, &fd);
    if (r) return r;
    u->fd = fd;
    udp_batch_init(&u->batch, fd);
    return uv_udp_recv_start(&u->h, udp_batch_rx_alloc, on_read);
}

/* A path that failed before its user saw it: closed without a callback. */
static dgram_path_t *udp_fail(dgram_udp_t *u, int r, int *err)
{
    *err = r;
    udp_close(&u->path, NULL, NULL);
    return NULL;
}

dgram_path_t *dgram_udp_open(uv_loop_t *loop, const struct sockaddr *local,
                             const struct sockaddr *remote, const char *kind, int *err)
{
    dgram_udp_t *u = udp_new(loop, remote, kind, err);
    if (!u) return NULL;
    int r = uv_udp_bind(&u->h, local, 0);
    if (!r) r = udp_begin(u);
    return r ? udp_fail(u, r, err) : &u->path;
}

dgram_path_t *dgram_udp_open_fd(uv_loop_t *loop, uv_os_sock_t fd, const struct sockaddr *remote,
                                const char *kind, int *err)
{
    dgram_udp_t *u = udp_new(loop, remote, kind, err);
    if (!u) {
        close(fd);
        return NULL;
    }
    int r = uv_udp_open(&u->h, fd);
    if (r) close(fd); /* not adopted: closed here, as the header promises */
    if (!r) r = udp_begin(u);
    return r ? udp_fail(u, r, err) : &u->path;
}

void dgram_udp_limit_batch(dgram_path_t *p, udp_batch_kind_t k)
{
    udp_batch_limit(&((dgram_udp_t *)p)->batch, k);
}

const char *dgram_udp_batch_kind(const dgram_path_t *p)
{
    return udp_batch_kind_str(((const dgram_udp_t *)p)->batch.kind);
}

void dgram_udp_down(dgram_path_t *p, const char *reason)
{
    dgram_udp_t *u = (dgram_udp_t *)p;
    if (u->down) return;
    u->down = true;
    uv_udp_recv_stop(&u->h);
    if (p->on_down) p->on_down(p, reason, p->arg);
}
