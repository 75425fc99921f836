/* fuzz_stun_server: the server's STUN service (server/stun_srv.c) on its
 * own loop, in RFC 5780 mode on 127.0.0.1 and 127.0.0.2 (four sockets),
 * fed datagrams by a harness socket. The input is a script of records
 * (op, u16 length, datagram): op % 4 picks the slot the datagram goes to;
 * op & 4 sends it from a second harness socket (an IPv4-mapped dual-stack
 * one, on [::]). After each record the harness checks every reply:
 * at most one, never longer than the request plus STUN_SRV_REPLY_SLACK, a
 * well-formed Binding success or error response with the request's id,
 * and none at all to anything but a Binding request. Per input the
 * service is created and stopped and the loop must run dry. */
#include "fuzz_net.h"
#include "proto/stun.h"
#include "server/stun_srv.h"

typedef struct fz_stun {
    uv_loop_t loop;
    stun_srv_t *srv;
    int fd[2];
} fz_stun_t;

static int open_client(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) fz_die("socket");
    if (family == AF_INET6) {
        int off = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    }
    return fd;
}

static void fz_stun_up(fz_stun_t *h)
{
    fz_quiet_logs();
    if (uv_loop_init(&h->loop) != 0) fz_die("uv_loop_init");
    h->srv = stun_srv_create(&h->loop);
    stun_srv_cfg_t cfg = {.addr = "127.0.0.1", .port = 0, .alt_addr = "127.0.0.2"};
    if (!h->srv || stun_srv_start(h->srv, &cfg) != 0) fz_die("stun_srv_start");
    h->fd[0] = open_client(AF_INET);
    h->fd[1] = open_client(AF_INET6);
}

static void fz_stun_down(fz_stun_t *h)
{
    close(h->fd[0]);
    close(h->fd[1]);
    stun_srv_stop(h->srv);
    fz_run_dry(&h->loop);
    stun_srv_destroy(h->srv);
}

/* Where to send to slot `slot` from socket `which` (an IPv4-mapped address
 * for the IPv6 socket). */
static socklen_t target(fz_stun_t *h, int slot, int which, struct sockaddr_storage *to)
{
    struct sockaddr_storage a;
    if (!stun_srv_slot_addr(h->srv, slot, &a)) fz_die("slot");
    if (which == 0) {
        *to = a;
        return sizeof(struct sockaddr_in);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&a;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)to;
    memset(to, 0, sizeof *to);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = s4->sin_port;
    s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(s6->sin6_addr.s6_addr + 12, &s4->sin_addr, 4);
    return sizeof *s6;
}

/* What may come back for request p[0..n): nothing, or one response. */
static void check_reply(const uint8_t *req, size_t req_len, const uint8_t *r, size_t n)
{
    stun_msg_t q, m;
    if (n > req_len + STUN_SRV_REPLY_SLACK) fz_die("reply over the amplification bound");
    if (stun_parse(req, req_len, &q) < 0 || q.cls != STUN_CLASS_REQUEST ||
        q.method != STUN_METHOD_BINDING)
        fz_die("a reply to something not a Binding request");
    if (stun_parse(r, n, &m) != (int)n) fz_die("a malformed reply");
    if (m.method != STUN_METHOD_BINDING || memcmp(m.id, q.id, STUN_ID_LEN) != 0)
        fz_die("a reply that is not the request's");
    if (m.cls == STUN_CLASS_ERROR && m.error_code != 420) fz_die("an unexpected error code");
    if (m.cls == STUN_CLASS_SUCCESS && !(m.has & (STUN_HAS_XOR_MAPPED | STUN_HAS_MAPPED)))
        fz_die("a success without a mapped address");
}

static void play(fz_stun_t *h, uint8_t op, const uint8_t *p, size_t n)
{
    int which = (op >> 2) & 1;
    struct sockaddr_storage to;
    socklen_t tl = target(h, op % STUN_SRV_SLOTS, which, &to);
    uint64_t before = stun_srv_stats(h->srv)->received;
    if (sendto(h->fd[which], p, n, 0, (struct sockaddr *)&to, tl) != (ssize_t)n) return;
    uint64_t deadline = fz_now_ms() + FZ_WAIT_MS;
    while (stun_srv_stats(h->srv)->received == before && fz_now_ms() < deadline)
        uv_run(&h->loop, UV_RUN_NOWAIT);
    int replies = 0;
    for (int fd = 0; fd < 2; fd++) {
        uint8_t r[2048];
        ssize_t got;
        while ((got = recv(h->fd[fd], r, sizeof r, 0)) >= 0) {
            if (fd != which || ++replies > 1) fz_die("a reply too many");
            check_reply(p, n, r, (size_t)got);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_stun_t h;
    fz_stun_up(&h);
    fz_script_t s = {data, size};
    uint8_t op;
    const uint8_t *arg;
    size_t len;
    while (fz_next(&s, &op, &arg, &len))
        play(&h, op, arg, len);
    fz_stun_down(&h);
    return 0;
}
