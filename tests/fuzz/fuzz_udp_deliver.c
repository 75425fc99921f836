/* fuzz_udp_deliver: the datagram-over-stream handler on the receiving end of
 * a datagram path, as an sudp visitor runs it on what the owner sends (and
 * a udp proxy on the server on what the client sends): stream bytes, in
 * chunks whose size is the input's first byte, through a framer into
 * msg_udp_deliver, which looks the session up and sends the datagram out of
 * a real UDP socket to that session's sender. The table holds three
 * senders (ids 1-3) in a table capped at four; bytes of the input also add
 * senders (past the cap) and expire idle ones between chunks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "net/udp_sessions.h"
#include "proto/frame.h"
#include "proto/msg_send.h"

typedef struct fz_udp {
    uv_udp_t sock;
    udp_sessions_t t;
    uint64_t now;
} fz_udp_t;

static int on_frame(void *ctx, const frame_t *f)
{
    fz_udp_t *u = ctx;
    return msg_udp_deliver(&u->sock, &u->t, f, u->now);
}

/* A sender on 127.0.0.1 (port 9: nobody answers; the datagrams are lost). */
static void add_sender(fz_udp_t *u, uint16_t port)
{
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    (void)udp_sessions_by_peer(&u->t, (const struct sockaddr *)&sa, u->now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uv_loop_t loop;
    static fz_udp_t u;
    static int ready;
    if (!ready) {
        struct sockaddr_in sa;
        uv_ip4_addr("127.0.0.1", 0, &sa);
        if (uv_loop_init(&loop) != 0 || uv_udp_init(&loop, &u.sock) != 0 ||
            uv_udp_bind(&u.sock, (const struct sockaddr *)&sa, 0) != 0)
            abort();
        ready = 1;
    }
    udp_sessions_init(&u.t, 4, 1000, NULL, NULL);
    u.now = 0;
    for (uint16_t p = 9; p < 12; p++)
        add_sender(&u, p);
    framer_t fr = {0};
    size_t off = 1; /* data[0]: the chunk size */
    uint8_t step = size ? (uint8_t)(data[0] | 1) : 1;
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        ssize_t r = framer_feed(&fr, data + off, n, on_frame, &u);
        if (r < 0) break;
        off += n;
        /* Between chunks: time passes, and now and then a new sender. */
        u.now += data[off - 1] & 0x3f;
        if ((data[off - 1] & 0xc0) == 0xc0) add_sender(&u, (uint16_t)(100 + data[off - 1]));
        udp_sessions_expire(&u.t, u.now);
    }
    framer_free(&fr);
    udp_sessions_clear(&u.t);
    return 0;
}
