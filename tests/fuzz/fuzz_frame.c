/* fuzz_frame: the frame decoder and framer as the server's gate uses them,
 * fed in chunks whose sizes come from the input, plus JSON message parsing
 * and UDP_DATA decoding of every frame that comes out. */
#include <stdint.h>
#include <stdlib.h>

#include "proto/frame.h"
#include "proto/msg.h"

static int on_frame(void *ctx, const frame_t *f)
{
    (void)ctx;
    json_t *m = msg_parse(f);
    if (m) {
        (void)msg_str(m, "role");
        (void)msg_int(m, "seq", 0);
        json_decref(m);
    }
    uint32_t sid;
    const uint8_t *data;
    size_t len;
    (void)msg_udp_decode(f, &sid, &data, &len);
    return f->type == MSG_START_WORK; /* exercise the stop path */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    framer_t fr = {0};
    size_t off = 0;
    uint8_t step = size ? (uint8_t)(data[0] | 1) : 1;
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        ssize_t r = framer_feed(&fr, data + off, n, on_frame, NULL);
        if (r < 0) break;
        off += (size_t)r == 0 && n ? n : (size_t)r;
    }
    frame_t f;
    (void)frame_decode(data, size, &f);
    framer_free(&fr);
    return 0;
}
