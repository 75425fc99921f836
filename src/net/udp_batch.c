/* udp_batch: see udp_batch.h. Each kind is one function; the table picks
 * the socket's best and steps down when the kernel refuses. libuv's error
 * codes are the negated errno values on Unix, so errors pass through as
 * -errno. */
#include "net/udp_batch.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>
#include <uv.h>

#include "util/log.h"

#if defined(__linux__)
#include <netinet/udp.h>
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, since 4.18 */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#define HAVE_GSO 1
#define HAVE_MMSG 1
#endif

static socklen_t to_len(const struct sockaddr *to)
{
    if (!to) return 0;
    return to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void fill_msg(struct msghdr *m, struct iovec *iov, const struct sockaddr *to)
{
    memset(m, 0, sizeof *m);
    m->msg_name = (void *)to;
    m->msg_namelen = to_len(to);
    m->msg_iov = iov;
    m->msg_iovlen = 1;
}

static int send_one(int fd, const struct sockaddr *to, const uint8_t *d, size_t n)
{
    struct iovec iov = {.iov_base = (void *)d, .iov_len = n};
    struct msghdr m;
    fill_msg(&m, &iov, to);
    ssize_t r;
    do
        r = sendmsg(fd, &m, 0);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 1;
}

/* ---- the kinds: each returns datagrams sent, or -errno ---------------- */

static int send_loop(int fd, const struct sockaddr *to, const uint8_t *d, size_t len, size_t seg)
{
    int count = 0;
    for (size_t off = 0; off < len; off += seg) {
        size_t n = len - off < seg ? len - off : seg;
        int r = send_one(fd, to, d + off, n);
        if (r < 0) return count ? count : r;
        count++;
    }
    return count;
}

#ifdef HAVE_MMSG
static int send_mmsg(int fd, const struct sockaddr *to, const uint8_t *d, size_t len, size_t seg)
{
    struct mmsghdr mm[UDP_BATCH_MAX];
    struct iovec iov[UDP_BATCH_MAX];
    unsigned n = 0;
    for (size_t off = 0; off < len && n < UDP_BATCH_MAX; off += seg, n++) {
        iov[n].iov_base = (void *)(d + off);
        iov[n].iov_len = len - off < seg ? len - off : seg;
        fill_msg(&mm[n].msg_hdr, &iov[n], to);
        mm[n].msg_len = 0;
    }
    int r;
    do
        r = sendmmsg(fd, mm, n, 0);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}
#else
#define send_mmsg send_loop
#endif

#ifdef HAVE_GSO
/* One sendmsg with a UDP_SEGMENT cmsg: the kernel cuts data into seg-byte
 * datagrams (the last one shorter). All or nothing. */
static int send_gso(int fd, const struct sockaddr *to, const uint8_t *d, size_t len, size_t seg)
{
    if (len <= seg) return send_one(fd, to, d, len);
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = (void *)d, .iov_len = len};
    struct msghdr m;
    fill_msg(&m, &iov, to);
    memset(&ctl, 0, sizeof ctl);
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t s = (uint16_t)seg;
    memcpy(CMSG_DATA(c), &s, sizeof s);
    ssize_t r;
    do
        r = sendmsg(fd, &m, 0);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : (int)((len + seg - 1) / seg);
}
#else
#define send_gso send_mmsg
#endif

typedef int (*send_fn)(int fd, const struct sockaddr *to, const uint8_t *d, size_t len, size_t seg);

static const struct {
    const char *name;
    send_fn send;
} kinds[] = {
    [UDP_BATCH_GSO] = {"gso", send_gso},
    [UDP_BATCH_MMSG] = {"sendmmsg", send_mmsg},
    [UDP_BATCH_LOOP] = {"one-by-one", send_loop},
};

const char *udp_batch_kind_str(udp_batch_kind_t k)
{
    return k <= UDP_BATCH_LOOP ? kinds[k].name : "?";
}

void udp_batch_limit(udp_batch_t *b, udp_batch_kind_t k)
{
    if (k > b->kind) b->kind = k;
}

void udp_batch_init(udp_batch_t *b, int fd)
{
    memset(b, 0, sizeof *b);
#if defined(HAVE_GSO)
    /* Kernels before 4.18 do not know the option: ENOPROTOOPT. */
    int v = 0;
    socklen_t vl = sizeof v;
    b->kind = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &v, &vl) == 0 ? UDP_BATCH_GSO : UDP_BATCH_MMSG;
#elif defined(HAVE_MMSG)
    b->kind = UDP_BATCH_MMSG;
#else
    b->kind = UDP_BATCH_LOOP;
#endif
}

static uint8_t g_rx[UDP_BATCH_RX_SLOTS * 64 * 1024];

void udp_batch_rx_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)h;
    (void)hint;
    *buf = uv_buf_init((char *)g_rx, sizeof g_rx);
}

int udp_batch_send(udp_batch_t *b, int fd, const struct sockaddr *to, const uint8_t *data,
                   size_t len, size_t seg)
{
    if (len == 0 || seg == 0) return 0;
    if (len > (size_t)seg * UDP_BATCH_MAX || len > UDP_BATCH_BYTES) return UV_EMSGSIZE;
    int r = kinds[b->kind].send(fd, to, data, len, seg);
    if (b->kind == UDP_BATCH_GSO && (r == -EIO || r == -EINVAL)) {
        /* No checksum offload on the route, or a kernel that refuses the
         * cmsg: this socket sends by sendmmsg from now on. */
        if (!b->told)
            LOG_I("udp batch: GSO refused on fd=%d (%s): sendmmsg from now on", fd, strerror(-r));
        b->told = true;
        b->kind = UDP_BATCH_MMSG;
        r = kinds[b->kind].send(fd, to, data, len, seg);
    }
    return r;
}
