/* fuzz_inspect: the inspector's recorder (inspect/insp_rec.h) and its ring
 * (inspect/insp_ring.h) fed what a peer controls: both directions of a
 * connection, interleaved in records, into a ring small enough that
 * eviction and the in-flight bound are reached, then the recorder's end
 * (responses until EOF, incomplete exchanges) and a walk of the ring.
 *
 * Input: byte 0 = the body bound (0..255 × 16); then records
 * [flags (bit 0: direction, bit 1: a new connection), len (1 byte), bytes]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/insp_rec.h"
#include "inspect/insp_ring.h"

static void walk(const insp_ring_t *ring)
{
    size_t n = 0, sum = 0;
    for (const insp_ex_t *ex = ring->head; ex; ex = ex->next, n++) {
        sum += ex->req_head_len + ex->resp_head_len + ex->req_body.len + ex->resp_body.len;
        if (ex->target) sum += strlen(ex->target);
        if (ex->req_body.len > ex->req_body.total || ex->resp_body.len > ex->resp_body.total)
            abort();
    }
    if (n != ring->n || ring->used > ring->max_bytes) abort();
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    insp_ring_t ring;
    insp_ring_init(&ring, 16 * 1024);
    insp_rec_opts_t o = {.proxy = "fz", .src = "192.0.2.1:1", .body_max = (size_t)data[0] * 16};
    insp_rec_t *r = insp_rec_create(&ring, &o);
    size_t off = 1;
    uint64_t t = 1;
    while (r && off + 2 <= size) {
        uint8_t flags = data[off], len = data[off + 1];
        off += 2;
        if (len > size - off) len = (uint8_t)(size - off);
        if (flags & 2) { /* the connection ends; another starts */
            insp_rec_destroy(r, t);
            r = insp_rec_create(&ring, &o);
            if (!r) break;
        }
        insp_rec_feed(r, flags & 1, data + off, len, t++);
        off += len;
        walk(&ring);
    }
    insp_rec_destroy(r, t);
    walk(&ring);
    insp_ring_free(&ring);
    return 0;
}
