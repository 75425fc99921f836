/* Unit tests for proto/frame: the decoder, the incremental framer, and the
 * size limit that protects the server from oversized frames. */
#include <stdlib.h>

#include "proto/frame.h"
#include "testlib.h"

typedef struct seen {
    int count;
    uint8_t types[16];
    uint32_t lens[16];
    int stop_after; /* stop the feed after this many frames; 0 = never */
} seen_t;

static int record(void *ctx, const frame_t *f)
{
    seen_t *s = ctx;
    if (s->count < 16) {
        s->types[s->count] = f->type;
        s->lens[s->count] = f->len;
    }
    s->count++;
    return s->stop_after && s->count >= s->stop_after;
}

static size_t make_frame(uint8_t *out, uint8_t type, const char *payload)
{
    size_t n = strlen(payload);
    frame_encode_header(out, type, (uint32_t)n);
    memcpy(out + FRAME_HDR_LEN, payload, n);
    return FRAME_HDR_LEN + n;
}

static void test_header_layout(void)
{
    uint8_t h[FRAME_HDR_LEN];
    frame_encode_header(h, 0x21, 0x01020304);
    /* length is big-endian u32, then the type byte */
    CHECK(h[0] == 1 && h[1] == 2 && h[2] == 3 && h[3] == 4 && h[4] == 0x21);
}

static void test_decode_needs_more(void)
{
    uint8_t buf[64];
    size_t n = make_frame(buf, 7, "hello");
    frame_t f;
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(frame_decode(buf, i, &f), 0);
    CHECK_EQ_INT(frame_decode(buf, n, &f), (long long)n);
    CHECK_EQ_INT(f.type, 7);
    CHECK_EQ_INT(f.len, 5);
    CHECK(memcmp(f.payload, "hello", 5) == 0);
}

static void test_decode_rejects_oversize_from_header_alone(void)
{
    uint8_t h[FRAME_HDR_LEN];
    frame_t f;
    frame_encode_header(h, 1, FRAME_MAX_PAYLOAD + 1);
    CHECK_EQ_INT(frame_decode(h, sizeof h, &f), FRAME_ERR_TOO_LARGE);
    frame_encode_header(h, 1, FRAME_MAX_PAYLOAD);
    CHECK_EQ_INT(frame_decode(h, sizeof h, &f), 0); /* legal, waits for the body */
}

static void test_framer_byte_by_byte(void)
{
    uint8_t buf[256];
    size_t n = make_frame(buf, 1, "abc");
    n += make_frame(buf + n, 2, "");
    n += make_frame(buf + n, 3, "0123456789");
    framer_t fr = {0};
    seen_t s = {0};
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(framer_feed(&fr, buf + i, 1, record, &s), 1);
    CHECK_EQ_INT(s.count, 3);
    CHECK(s.types[0] == 1 && s.types[1] == 2 && s.types[2] == 3);
    CHECK(s.lens[0] == 3 && s.lens[1] == 0 && s.lens[2] == 10);
    CHECK_EQ_INT(framer_buffered(&fr), 0);
    framer_free(&fr);
}

static void test_framer_stop_leaves_rest_to_caller(void)
{
    uint8_t buf[256];
    size_t n = make_frame(buf, 0x21, "{\"proxy\":\"web\"}");
    size_t first = n;
    memcpy(buf + n, "GET / HTTP/1.1\r\n", 16); /* raw stream bytes follow */
    n += 16;
    framer_t fr = {0};
    seen_t s = {.stop_after = 1};
    /* split so that the frame completes from the framer's own buffer */
    CHECK_EQ_INT(framer_feed(&fr, buf, 3, record, &s), 3);
    ssize_t used = framer_feed(&fr, buf + 3, n - 3, record, &s);
    CHECK_EQ_INT(s.count, 1);
    CHECK_EQ_INT(used, (long long)(first - 3));
    CHECK(memcmp(buf + 3 + used, "GET / HTTP/1.1\r\n", 16) == 0);
    CHECK_EQ_INT(framer_buffered(&fr), 0);
    framer_free(&fr);
}

static void test_framer_oversize_split_header(void)
{
    uint8_t h[FRAME_HDR_LEN];
    frame_encode_header(h, 1, 0x7fffffff);
    framer_t fr = {0};
    seen_t s = {0};
    CHECK_EQ_INT(framer_feed(&fr, h, 2, record, &s), 2);
    CHECK_EQ_INT(framer_feed(&fr, h + 2, 3, record, &s), FRAME_ERR_TOO_LARGE);
    CHECK_EQ_INT(s.count, 0);
    CHECK(fr.cap <= 512); /* nothing was allocated for the claimed body */
    framer_free(&fr);
}

static void test_framer_max_payload_across_chunks(void)
{
    size_t n = FRAME_HDR_LEN + FRAME_MAX_PAYLOAD;
    uint8_t *buf = malloc(n);
    frame_encode_header(buf, 9, FRAME_MAX_PAYLOAD);
    memset(buf + FRAME_HDR_LEN, 'x', FRAME_MAX_PAYLOAD);
    framer_t fr = {0};
    seen_t s = {0};
    for (size_t off = 0; off < n; off += 1000) {
        size_t chunk = n - off < 1000 ? n - off : 1000;
        CHECK_EQ_INT(framer_feed(&fr, buf + off, chunk, record, &s), (long long)chunk);
    }
    CHECK_EQ_INT(s.count, 1);
    CHECK_EQ_INT(s.lens[0], FRAME_MAX_PAYLOAD);
    CHECK(fr.cap <= n);
    framer_free(&fr);
    free(buf);
}

int main(void)
{
    RUN(test_header_layout);
    RUN(test_decode_needs_more);
    RUN(test_decode_rejects_oversize_from_header_alone);
    RUN(test_framer_byte_by_byte);
    RUN(test_framer_stop_leaves_rest_to_caller);
    RUN(test_framer_oversize_split_header);
    RUN(test_framer_max_payload_across_chunks);
    return TEST_SUMMARY();
}
