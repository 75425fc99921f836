/* frame: the length-prefixed framing every burrow connection speaks.
 *
 * A connection opens with the 4-byte magic "BRW1", then carries frames:
 *
 *   +-------------------------------+--------+----------------------+
 *   | payload length (u32, BE)      | type   | payload (length B)   |
 *   +-------------------------------+--------+----------------------+
 *
 * The length counts the payload only and may not exceed FRAME_MAX_PAYLOAD.
 * Pure code: no sockets, no logging (STYLE.md "parsers are pure"). */
#ifndef BURROW_FRAME_H
#define BURROW_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRAME_MAGIC "BRW1"
#define FRAME_MAGIC_LEN 4
#define FRAME_HDR_LEN 5
/* Big enough for a 64 KiB UDP datagram plus its session header. */
#define FRAME_MAX_PAYLOAD 65600u

#define FRAME_ERR_TOO_LARGE (-1)

typedef struct frame {
    uint8_t type;
    uint32_t len;
    const uint8_t *payload; /* borrowed from the input buffer */
} frame_t;

/* Decodes one frame from p[0..n). Returns the bytes it spans (> 0), 0 when more
 * input is needed, or FRAME_ERR_TOO_LARGE. */
ssize_t frame_decode(const uint8_t *p, size_t n, frame_t *out);

/* Writes the 5-byte header for a payload of `len` bytes. */
void frame_encode_header(uint8_t hdr[FRAME_HDR_LEN], uint8_t type, uint32_t len);

/* framer: accumulates stream bytes and yields whole frames. Its buffer never
 * exceeds FRAME_HDR_LEN + FRAME_MAX_PAYLOAD, whatever the peer sends. */
typedef struct framer {
    uint8_t *buf;
    size_t len, cap;
} framer_t;

/* Called once per complete frame. Return 0 to go on, non-zero to stop feeding
 * (the rest of the input is left unconsumed and reported to the caller). */
typedef int (*framer_cb)(void *ctx, const frame_t *f);

/* Feeds n bytes. Returns the number of input bytes consumed, or
 * FRAME_ERR_TOO_LARGE. When a callback stops the feed, the framer holds
 * nothing and p[returned..n) is the caller's: the bytes after the stopping
 * frame (e.g. raw stream data after START_WORK). Otherwise all n bytes are
 * consumed, a partial frame being kept inside the framer. */
ssize_t framer_feed(framer_t *fr, const uint8_t *p, size_t n, framer_cb cb, void *ctx);
/* Bytes buffered but not yet part of a delivered frame. */
size_t framer_buffered(const framer_t *fr);
void framer_free(framer_t *fr);

#endif
