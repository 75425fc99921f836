/* udp_echo [-b ADDR] PORT: sends every datagram back to its sender. */
#include <sys/socket.h>

#include "tool_util.h"

int main(int argc, char **argv)
{
    const char *bind_addr = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "b:")) != -1) {
        if (opt == 'b')
            bind_addr = optarg;
        else
            tu_die("usage: udp_echo [-b ADDR] PORT");
    }
    if (optind + 1 != argc) tu_die("usage: udp_echo [-b ADDR] PORT");
    struct sockaddr_in sa;
    tu_addr(&sa, bind_addr, tu_num(argv[optind], 1, 65535, "port"));
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        tu_die("udp_echo: bind %s: %s", tu_fmt(&sa), strerror(errno));
    fprintf(stderr, "udp_echo: listening on %s\n", tu_fmt(&sa));
    static char buf[65536];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno == EINTR) continue;
            tu_die("recvfrom: %s", strerror(errno));
        }
        if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) < 0)
            fprintf(stderr, "udp_echo: sendto %s: %s\n", tu_fmt(&from), strerror(errno));
    }
}
