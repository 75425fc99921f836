/* tool_util.h: small helpers shared by the lab test tools (header only). */
#ifndef BURROW_TOOL_UTIL_H
#define BURROW_TOOL_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline void tu_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static inline int64_t tu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parses a decimal integer in [lo, hi] or dies naming `what`. */
static inline long tu_num(const char *s, long lo, long hi, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        tu_die("bad %s '%s' (want %ld..%ld)", what, s, lo, hi);
    return v;
}

/* Fills an IPv4 address (dotted quad; NULL or "" = any) and port. */
static inline void tu_addr(struct sockaddr_in *sa, const char *host, long port)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (host && *host && inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        tu_die("bad IPv4 address '%s'", host);
}

/* "a.b.c.d:port" of a socket address, in a static buffer (one at a time). */
static inline const char *tu_fmt(const struct sockaddr_in *sa)
{
    static char buf[32];
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
    snprintf(buf, sizeof buf, "%s:%u", ip, (unsigned)ntohs(sa->sin_port));
    return buf;
}

/* splitmix64: the pseudo-random source for test payloads. */
static inline uint64_t tu_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Byte stream number `stream` under `seed`, bytes [off, off+n) into out:
 * any offset can be regenerated, so a receiver checks without storing. */
static inline void tu_stream(uint64_t seed, uint64_t stream, uint64_t off, uint8_t *out, size_t n)
{
    uint64_t base = tu_mix(seed ^ tu_mix(stream));
    uint64_t blk = off / 8, v = tu_mix(base + blk);
    for (size_t i = 0; i < n; i++) {
        uint64_t o = off + i;
        if (o / 8 != blk) {
            blk = o / 8;
            v = tu_mix(base + blk);
        }
        out[i] = (uint8_t)(v >> (8 * (o % 8)));
    }
}

static inline uint64_t tu_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return tu_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid());
}

#endif
