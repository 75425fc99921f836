/* fuzz_dgram_tcp: the framing parser of the TCP dgram_path
 * (net/dgram_tcp.h, dgram_tcp_parse) as dgram_tcp.c's reader drives it: the
 * input (after its first byte, which picks the chunk size) arrives in
 * chunks into a DGRAM_TCP_RXBUF buffer; whole frames are taken, a partial
 * one is kept. Checks: every datagram is 1..DGRAM_TCP_MAX bytes inside the
 * buffer, frames re-encode (dgram_tcp_header) to exactly the bytes they
 * came from, a partial frame never exceeds one frame, and a malformed
 * length stops the stream for good, as the path goes down. */
#include <stdint.h>
#include <string.h>

#include "fuzz_require.h"
#include "net/dgram_tcp.h"

static uint8_t rx[DGRAM_TCP_RXBUF];

/* Takes whole frames from rx[0, *len); keeps the rest. -1: malformed. */
static int take(size_t *len)
{
    size_t off = 0;
    for (;;) {
        const uint8_t *d = NULL;
        size_t n = 0;
        ssize_t r = dgram_tcp_parse(rx + off, *len - off, DGRAM_TCP_MAX, &d, &n);
        if (r < 0) return -1;
        if (r == 0) break;
        require((size_t)r == DGRAM_TCP_HDR + n && n >= 1 && n <= DGRAM_TCP_MAX);
        require(d == rx + off + DGRAM_TCP_HDR && off + (size_t)r <= *len);
        uint8_t h[DGRAM_TCP_HDR];
        dgram_tcp_header(n, h);
        require(memcmp(h, rx + off, DGRAM_TCP_HDR) == 0);
        off += (size_t)r;
    }
    require(*len - off < DGRAM_TCP_HDR + DGRAM_TCP_MAX); /* one partial frame at most */
    memmove(rx, rx + off, *len - off);
    *len -= off;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t step = (size_t)data[0] * 13 + 1, len = 0;
    data++, size--;
    while (size > 0) {
        size_t n = size < step ? size : step;
        if (n > sizeof rx - len) n = sizeof rx - len;
        require(n > 0); /* room for a whole frame always remains */
        memcpy(rx + len, data, n);
        len += n;
        data += n, size -= n;
        if (take(&len) < 0) return 0; /* the path is down: nothing more is read */
    }
    return 0;
}
