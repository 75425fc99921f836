/* udp_check [-s SIZE] [-w MS] [-r TRIES] HOST PORT COUNT
 * Sends COUNT datagrams (SIZE bytes, default 512) to a UDP echo service, one
 * at a time, each tagged with a random session id and its sequence number,
 * and waits up to MS (default 1000) for its echo, trying TRIES times (default
 * 3). Echoes carrying another session's id (someone else's reply) or altered
 * bytes are counted as errors. Prints "ok N/N" and exits 0 only when every
 * datagram came back intact and nothing foreign arrived. */
#include <poll.h>
#include <sys/socket.h>

#include "tool_util.h"

enum { HDR = 12 };

static void fill(uint64_t session, uint32_t seq, uint8_t *p, size_t size)
{
    memcpy(p, &session, 8);
    memcpy(p + 8, &seq, 4);
    tu_stream(session, seq, 0, p + HDR, size - HDR);
}

int main(int argc, char **argv)
{
    const char *usage = "usage: udp_check [-s SIZE] [-w MS] [-r TRIES] HOST PORT COUNT";
    long size = 512, wait_ms = 1000, tries = 3;
    int opt;
    while ((opt = getopt(argc, argv, "s:w:r:")) != -1) {
        switch (opt) {
        case 's':
            size = tu_num(optarg, HDR, 65507, "size");
            break;
        case 'w':
            wait_ms = tu_num(optarg, 1, 60000, "wait");
            break;
        case 'r':
            tries = tu_num(optarg, 1, 100, "tries");
            break;
        default:
            tu_die("%s", usage);
        }
    }
    if (argc - optind != 3) tu_die("%s", usage);
    struct sockaddr_in to;
    tu_addr(&to, argv[optind], tu_num(argv[optind + 1], 1, 65535, "port"));
    long count = tu_num(argv[optind + 2], 1, 10000000, "count");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0)
        tu_die("connect %s: %s", tu_fmt(&to), strerror(errno));
    uint64_t session = tu_seed();
    static uint8_t out[65536], in[65536], want[65536];
    long ok = 0, foreign = 0, corrupt = 0, stale = 0, resent = 0;
    for (uint32_t seq = 0; seq < (uint32_t)count; seq++) {
        fill(session, seq, out, (size_t)size);
        int got = 0;
        for (long t = 0; t < tries && !got; t++) {
            if (t > 0) resent++;
            if (send(fd, out, (size_t)size, 0) < 0 && errno != ECONNREFUSED)
                tu_die("send: %s", strerror(errno));
            int64_t end = tu_now_ms() + wait_ms;
            while (!got) {
                int left = (int)(end - tu_now_ms());
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (left <= 0 || poll(&p, 1, left) <= 0) break;
                ssize_t n = recv(fd, in, sizeof in, 0);
                if (n < 0) continue; /* e.g. ECONNREFUSED from an ICMP error: retry */
                uint64_t s;
                uint32_t q;
                if (n < HDR) {
                    corrupt++;
                    continue;
                }
                memcpy(&s, in, 8);
                memcpy(&q, in + 8, 4);
                if (s != session) {
                    foreign++;
                    continue;
                }
                fill(session, q, want, (size_t)n);
                if (n != size || memcmp(in, want, (size_t)n) != 0) {
                    corrupt++;
                    continue;
                }
                if (q != seq) {
                    stale++; /* a late echo of an earlier try */
                    continue;
                }
                got = 1;
            }
        }
        ok += got;
    }
    int pass = ok == count && foreign == 0 && corrupt == 0;
    printf("%s %ld/%ld (session %016llx, resent %ld, late %ld, foreign %ld, corrupt %ld)\n",
           pass ? "ok" : "FAIL", ok, count, (unsigned long long)session, resent, stale, foreign,
           corrupt);
    return pass ? 0 : 1;
}
