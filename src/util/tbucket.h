/* tbucket: a token bucket in bytes, driven by a caller's clock (pure: no
 * loop, no timers; net/shaper.c puts it on the loop).
 *
 * Tokens accrue at `rate` bytes per second up to `burst`. Taking never
 * refuses: a datagram or a read already made may be charged whole, and
 * the bucket goes into debt; tbucket_wait_ms() says how long until the
 * debt is paid, or until `want` bytes may go. A stream that must stay
 * smooth takes only what tbucket_avail() allows and waits for the rest. Over any long window the
 * bytes taken are at most burst + rate * seconds, whatever the sizes of
 * the reads, which is what the lab test's +-10 % needs.
 *
 * Tokens are counted in thousandths of a byte so that refills of a few
 * milliseconds at low rates do not round away. */
#ifndef BURROW_TBUCKET_H
#define BURROW_TBUCKET_H

#include <stddef.h>
#include <stdint.h>

typedef struct tbucket {
    uint64_t rate;  /* bytes per second, > 0 */
    int64_t burst;  /* in milli-bytes */
    int64_t tokens; /* in milli-bytes; negative: debt */
    uint64_t last;  /* ms of the last refill */
} tbucket_t;

/* A full bucket at now_ms. A burst of 0 means rate / TBUCKET_BURST_DIV
 * (at least TBUCKET_BURST_MIN bytes). */
#define TBUCKET_BURST_DIV 10 /* 100 ms of traffic */
#define TBUCKET_BURST_MIN 4096
void tbucket_init(tbucket_t *b, uint64_t rate, uint64_t burst, uint64_t now_ms);
/* Charges n bytes taken at now_ms. */
void tbucket_take(tbucket_t *b, uint64_t now_ms, size_t n);
/* Bytes that may go at now_ms without debt (0 while in debt). */
uint64_t tbucket_avail(tbucket_t *b, uint64_t now_ms);
/* 0 when the bucket holds `want` bytes (want <= burst; 0: no debt) at
 * now_ms, else the ms until it does (at least 1). */
uint64_t tbucket_wait_ms(tbucket_t *b, uint64_t now_ms, uint64_t want);

#endif
