/* gate_flood: a bounded storm of unauthenticated connections, for abuse tests.
 *
 *   gate_flood [-s SRCBASE -n NSRC] MODE HOST PORT COUNT HOLD_S
 *
 * Opens COUNT TCP connections to HOST:PORT as fast as the kernel allows
 * (from NSRC source addresses SRCBASE, SRCBASE+1, ... when given), then holds
 * them until HOLD_S seconds after the start, and closes them all. MODE:
 *   idle   send nothing
 *   slow   slow-loris: one byte of a never-ending header every second
 *          ("BRW1" and a frame header for burrow, an HTTP head otherwise:
 *          -h picks HTTP)
 *   hello  one TLS ClientHello (a real one, made by OpenSSL), then silence
 * Prints `opened=N failed=N closed_by_peer=N open_at_end=N`. Exit 0. */
#include <fcntl.h>
#include <stdbool.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include "tool_util.h"

#define MAX_CONNS 20000

typedef struct fl {
    int fd;
    size_t sent; /* bytes of the payload written */
    int state;   /* 0 connecting, 1 open, 2 closed by peer, 3 failed */
} fl_t;

static uint8_t g_payload[4096];
static size_t g_payload_len;

/* A ClientHello as a real TLS 1.3 client sends it (with a key share, so the
 * server does the full ECDHE work and keeps the state). */
static void make_client_hello(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = ctx ? SSL_new(ctx) : NULL;
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    if (!ssl || !rb || !wb) tu_die("openssl setup failed");
    SSL_set_bio(ssl, rb, wb);
    SSL_set_connect_state(ssl);
    SSL_do_handshake(ssl);
    int n = BIO_read(wb, g_payload, sizeof g_payload);
    if (n <= 0) tu_die("no ClientHello");
    g_payload_len = (size_t)n;
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

static int open_one(const struct sockaddr_in *dst, const struct sockaddr_in *src)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (src && bind(fd, (const struct sockaddr *)src, sizeof *src) != 0) {
        close(fd);
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)dst, sizeof *dst) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    const char *srcbase = NULL;
    long nsrc = 1;
    int http = 0, opt;
    while ((opt = getopt(argc, argv, "s:n:h")) != -1) {
        if (opt == 's')
            srcbase = optarg;
        else if (opt == 'n')
            nsrc = tu_num(optarg, 1, 250, "NSRC");
        else if (opt == 'h')
            http = 1;
        else
            tu_die("usage: gate_flood [-s SRCBASE -n NSRC] [-h] idle|slow|hello HOST PORT COUNT "
                   "HOLD_S");
    }
    if (argc - optind != 5)
        tu_die(
            "usage: gate_flood [-s SRCBASE -n NSRC] [-h] idle|slow|hello HOST PORT COUNT HOLD_S");
    const char *mode = argv[optind];
    struct sockaddr_in dst;
    tu_addr(&dst, argv[optind + 1], tu_num(argv[optind + 2], 1, 65535, "PORT"));
    long count = tu_num(argv[optind + 3], 1, MAX_CONNS, "COUNT");
    long hold_ms = tu_num(argv[optind + 4], 1, 600, "HOLD_S") * 1000;
    int drip = 0;
    if (strcmp(mode, "hello") == 0) {
        make_client_hello();
    } else if (strcmp(mode, "slow") == 0) {
        drip = 1;
        const char *head = http ? "GET / HTTP/1.1\r\nHost: example.com\r\nX-Slow: "
                                : "BRW1\x00\x00\x10\x00\x01{\"role\":\"control\",\"pad\":\"";
        g_payload_len = http ? strlen(head) : 4 + 5 + strlen(head + 9);
        memcpy(g_payload, head, g_payload_len);
        memset(g_payload + g_payload_len, 'a', sizeof g_payload - g_payload_len);
        g_payload_len = sizeof g_payload;
    } else if (strcmp(mode, "idle") != 0) {
        tu_die("unknown mode %s", mode);
    }
    struct sockaddr_in src;
    uint32_t base = 0;
    if (srcbase) {
        tu_addr(&src, srcbase, 0);
        base = ntohl(src.sin_addr.s_addr);
    }
    fl_t *c = calloc((size_t)count, sizeof *c);
    struct pollfd *pfd = calloc((size_t)count, sizeof *pfd);
    if (!c || !pfd) tu_die("out of memory");
    int64_t t0 = tu_now_ms(), last_drip = t0;
    int opened = 0, failed = 0, peer_closed = 0;
    for (long i = 0; i < count; i++) {
        if (srcbase) src.sin_addr.s_addr = htonl(base + (uint32_t)(i % nsrc));
        c[i].fd = open_one(&dst, srcbase ? &src : NULL);
        if (c[i].fd < 0) {
            c[i].state = 3;
            failed++;
        }
    }
    while (tu_now_ms() - t0 < hold_ms) {
        int n = 0;
        for (long i = 0; i < count; i++) {
            if (c[i].state >= 2) continue;
            pfd[n].fd = c[i].fd;
            pfd[n].events = POLLIN | (c[i].state == 0 ? POLLOUT : 0);
            pfd[n].revents = 0;
            n++;
        }
        if (n == 0) break;
        poll(pfd, (nfds_t)n, 50);
        int64_t now = tu_now_ms();
        bool tick = drip && now - last_drip >= 1000;
        if (tick) last_drip = now;
        int k = 0;
        for (long i = 0; i < count; i++) {
            if (c[i].state >= 2) continue;
            short ev = pfd[k++].revents;
            if (c[i].state == 0 && (ev & (POLLOUT | POLLERR | POLLHUP))) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) {
                    c[i].state = 3;
                    failed++;
                    close(c[i].fd);
                    continue;
                }
                c[i].state = 1;
                opened++;
                if (!drip && g_payload_len) {
                    ssize_t w = write(c[i].fd, g_payload, g_payload_len);
                    c[i].sent = w > 0 ? (size_t)w : 0;
                }
                ev &= ~POLLOUT;
            }
            if (c[i].state == 1 && (ev & (POLLIN | POLLERR | POLLHUP))) {
                char buf[4096];
                ssize_t r = read(c[i].fd, buf, sizeof buf);
                if (r == 0 || (r < 0 && errno != EAGAIN)) {
                    c[i].state = 2;
                    peer_closed++;
                    close(c[i].fd);
                    continue;
                }
            }
            if (c[i].state == 1 && tick && c[i].sent < g_payload_len) {
                if (write(c[i].fd, g_payload + c[i].sent, 1) == 1) c[i].sent++;
            }
        }
    }
    int open_end = 0;
    for (long i = 0; i < count; i++) {
        if (c[i].state == 1) open_end++;
        if (c[i].state <= 1) close(c[i].fd);
    }
    printf("opened=%d failed=%d closed_by_peer=%d open_at_end=%d\n", opened, failed, peer_closed,
           open_end);
    free(c);
    free(pfd);
    return 0;
}
