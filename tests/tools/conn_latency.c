/* conn_latency HOST PORT COUNT [TIMEOUT_MS]: opens COUNT fresh TCP
 * connections one after another to an echo server, each sending one byte and
 * waiting for it to come back; prints the time to first byte (connect +
 * 1-byte round trip) as "p50_us=… p99_us=… mean_us=… failed=…". With
 * TIMEOUT_MS, a connection whose byte is not back by then counts as failed
 * (a user who gave up). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long g_timeout_ms;

static double one(const struct sockaddr_in *sa)
{
    double t0 = now_us();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one_ = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof one_);
    if (g_timeout_ms > 0) {
        struct timeval tv = {.tv_sec = g_timeout_ms / 1000,
                             .tv_usec = (g_timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    char b = 'x';
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 || write(fd, &b, 1) != 1 ||
        read(fd, &b, 1) != 1) {
        close(fd);
        return -1;
    }
    double dt = now_us() - t0;
    close(fd);
    return dt;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: conn_latency HOST PORT COUNT [TIMEOUT_MS]\n");
        return 2;
    }
    if (argc == 5) g_timeout_ms = atol(argv[4]);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) return 2;
    int n = atoi(argv[3]);
    if (n <= 0) return 2;
    double *t = calloc((size_t)n, sizeof *t), sum = 0;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        t[i] = one(&sa);
        if (t[i] < 0) {
            failed++;
            t[i] = 1e12;
        }
        sum += t[i] < 1e12 ? t[i] : 0;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("p50_us=%.0f p99_us=%.0f mean_us=%.0f failed=%d\n", t[n / 2], t[(n * 99) / 100],
           sum / (n - failed > 0 ? n - failed : 1), failed);
    free(t);
    return failed ? 1 : 0;
}
