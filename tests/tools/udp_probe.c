/* udp_probe: NAT behaviour probe.
 *
 *   udp_probe reflect [-b ADDR] PORT
 *       Answers each datagram with "mapped IP:PORT" (the sender as seen here).
 *       A datagram "kick IP PORT" from 127.0.0.1 makes it send "kicked" to
 *       IP:PORT from its own socket instead (a packet from this exact address).
 *   udp_probe send [-p SRCPORT] HOST PORT TEXT
 *       Sends one datagram, optionally from a fixed source port.
 *   udp_probe client [-p LOCALPORT] [-t MS] [-u TEXT] HOST:PORT...
 *       From one socket, asks each reflector for the mapping and prints
 *       "mapped HOST:PORT -> IP:PORT" (exit 1 when one never answers). Then
 *       prints "recv IP:PORT TEXT" for every further datagram until MS
 *       (default 3000) pass ("timeout"), or, with -u, 300 ms after a datagram
 *       carrying TEXT arrived (prints "until" then "done"). */
#include <poll.h>
#include <sys/socket.h>

#include "tool_util.h"

static int udp_socket(const char *addr, long port)
{
    struct sockaddr_in sa;
    tu_addr(&sa, addr, port);
    int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        tu_die("udp_probe: bind %s: %s", tu_fmt(&sa), strerror(errno));
    return fd;
}

/* Waits up to ms for a datagram; returns its length (NUL-terminated) or -1. */
static ssize_t recv_wait(int fd, char *buf, size_t cap, struct sockaddr_in *from, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms < 0 ? 0 : ms) <= 0) return -1;
    socklen_t fl = sizeof *from;
    ssize_t n = recvfrom(fd, buf, cap - 1, 0, (struct sockaddr *)from, &fl);
    if (n >= 0) buf[n] = 0;
    return n;
}

static int do_reflect(const char *addr, long port)
{
    int fd = udp_socket(addr, port);
    char buf[1500], out[64];
    fprintf(stderr, "udp_probe: reflecting on port %ld\n", port);
    for (;;) {
        struct sockaddr_in from;
        if (recv_wait(fd, buf, sizeof buf, &from, 60000) < 0) continue;
        char ip[INET_ADDRSTRLEN];
        unsigned kport;
        if (from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
            sscanf(buf, "kick %15s %u", ip, &kport) == 2) {
            struct sockaddr_in to;
            tu_addr(&to, ip, kport);
            sendto(fd, "kicked", 6, 0, (struct sockaddr *)&to, sizeof to);
            continue;
        }
        int n = snprintf(out, sizeof out, "mapped %s", tu_fmt(&from));
        sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&from, sizeof from);
    }
    return 0;
}

static int do_send(long sport, const char *host, long port, const char *text)
{
    int fd = udp_socket(NULL, sport);
    struct sockaddr_in to;
    tu_addr(&to, host, port);
    if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&to, sizeof to) < 0)
        tu_die("udp_probe: sendto %s: %s", tu_fmt(&to), strerror(errno));
    return 0;
}

static int do_client(long lport, int ms, const char *until, char **targets, int nt)
{
    int fd = udp_socket(NULL, lport), rc = 0;
    char buf[1500];
    struct sockaddr_in from;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < nt; i++) {
        char host[64];
        const char *colon = strrchr(targets[i], ':');
        if (!colon || (size_t)(colon - targets[i]) >= sizeof host)
            tu_die("bad target '%s' (want IP:PORT)", targets[i]);
        memcpy(host, targets[i], (size_t)(colon - targets[i]));
        host[colon - targets[i]] = 0;
        struct sockaddr_in to;
        tu_addr(&to, host, tu_num(colon + 1, 1, 65535, "port"));
        int got = 0;
        for (int attempt = 0; attempt < 5 && !got; attempt++) {
            sendto(fd, "probe", 5, 0, (struct sockaddr *)&to, sizeof to);
            int64_t end = tu_now_ms() + 300;
            while (!got && tu_now_ms() < end) {
                if (recv_wait(fd, buf, sizeof buf, &from, (int)(end - tu_now_ms())) < 0) continue;
                if (from.sin_addr.s_addr == to.sin_addr.s_addr && from.sin_port == to.sin_port &&
                    strncmp(buf, "mapped ", 7) == 0) {
                    printf("mapped %s -> %s\n", targets[i], buf + 7);
                    got = 1;
                } else {
                    printf("recv %s %s\n", tu_fmt(&from), buf);
                }
            }
        }
        if (!got) {
            printf("noanswer %s\n", targets[i]);
            rc = 1;
        }
    }
    printf("listening\n");
    int seen = 0;
    int64_t end = tu_now_ms() + ms;
    for (;;) {
        int left = (int)(end - tu_now_ms());
        if (left <= 0) {
            printf("%s\n", seen ? "done" : "timeout");
            break;
        }
        if (recv_wait(fd, buf, sizeof buf, &from, left) < 0) continue;
        printf("recv %s %s\n", tu_fmt(&from), buf);
        if (until && strcmp(buf, until) == 0) {
            /* Packets sent just before the marker may arrive just after it. */
            printf("until\n");
            end = tu_now_ms() + 300;
            until = NULL;
            seen = 1;
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *usage = "usage: udp_probe reflect [-b ADDR] PORT | send [-p SRCPORT] HOST PORT TEXT"
                        " | client [-p LOCALPORT] [-t MS] [-u TEXT] HOST:PORT...";
    if (argc < 2) tu_die("%s", usage);
    const char *mode = argv[1], *addr = NULL, *until = NULL;
    long port = 0;
    int ms = 3000, opt;
    optind = 2;
    while ((opt = getopt(argc, argv, "b:p:t:u:")) != -1) {
        switch (opt) {
        case 'b':
            addr = optarg;
            break;
        case 'p':
            port = tu_num(optarg, 0, 65535, "port");
            break;
        case 't':
            ms = (int)tu_num(optarg, 0, 600000, "timeout");
            break;
        case 'u':
            until = optarg;
            break;
        default:
            tu_die("%s", usage);
        }
    }
    int rest = argc - optind;
    if (strcmp(mode, "reflect") == 0 && rest == 1)
        return do_reflect(addr, tu_num(argv[optind], 1, 65535, "port"));
    if (strcmp(mode, "send") == 0 && rest == 3)
        return do_send(port, argv[optind], tu_num(argv[optind + 1], 1, 65535, "port"),
                       argv[optind + 2]);
    if (strcmp(mode, "client") == 0 && rest >= 1)
        return do_client(port, ms, until, argv + optind, rest);
    tu_die("%s", usage);
    return 2;
}
