/* tbucket: see tbucket.h. */
#include "util/tbucket.h"

static void refill(tbucket_t *b, uint64_t now_ms)
{
    if (now_ms <= b->last) return; /* a clock that stood still, or went back */
    uint64_t dt = now_ms - b->last;
    b->last = now_ms;
    /* rate bytes/s for dt ms = rate * dt milli-bytes; clamp before adding
     * so that a long idle time cannot overflow. */
    uint64_t room = (uint64_t)(b->burst - b->tokens);
    uint64_t add = dt > room / b->rate ? room : b->rate * dt;
    b->tokens += (int64_t)add;
}

void tbucket_init(tbucket_t *b, uint64_t rate, uint64_t burst, uint64_t now_ms)
{
    if (rate == 0) rate = 1;
    if (burst == 0) burst = rate / TBUCKET_BURST_DIV;
    if (burst < TBUCKET_BURST_MIN) burst = TBUCKET_BURST_MIN;
    b->rate = rate;
    b->burst = (int64_t)burst * 1000;
    b->tokens = b->burst;
    b->last = now_ms;
}

void tbucket_take(tbucket_t *b, uint64_t now_ms, size_t n)
{
    refill(b, now_ms);
    b->tokens -= (int64_t)n * 1000;
}

uint64_t tbucket_avail(tbucket_t *b, uint64_t now_ms)
{
    refill(b, now_ms);
    return b->tokens > 0 ? (uint64_t)b->tokens / 1000 : 0;
}

uint64_t tbucket_wait_ms(tbucket_t *b, uint64_t now_ms, uint64_t want)
{
    refill(b, now_ms);
    int64_t need = (int64_t)want * 1000;
    if (need > b->burst) need = b->burst;
    if (b->tokens >= need) return 0;
    uint64_t missing = (uint64_t)(need - b->tokens);
    return (missing + b->rate - 1) / b->rate; /* milli-bytes / (bytes/s) = ms */
}
