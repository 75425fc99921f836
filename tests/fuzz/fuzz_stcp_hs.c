/* fuzz_stcp_hs: the secret proxies' handshake (proto/stcp_hs.h) fed peer
 * bytes as the owner (after START_WORK: STCP_VISITOR, STCP_PROOF) and as
 * the visitor (STCP_CHALLENGE, STCP_ACCEPT, STCP_REFUSE, ERROR), in chunks
 * whose sizes come from the input; what they would send is dropped. */
#include <stdlib.h>

#include "proto/stcp_hs.h"

static int drop(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    (void)p;
    (void)n;
    return 0;
}

static void feed(stcp_hs_t *hs, const uint8_t *data, size_t size, size_t step)
{
    for (size_t at = 0; at < size; at += step) {
        size_t used, n = size - at < step ? size - at : step;
        if (stcp_hs_feed(hs, data + at, n, &used, drop, NULL) != STCP_HS_MORE) break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const allow[] = {"bob", "*"};
    size_t step = size ? (size_t)data[0] % 64 + 1 : 1;
    stcp_hs_t hs;
    if (stcp_hs_owner_init(&hs, "k", "alice.db", "alice", allow, size % 3) == 0)
        feed(&hs, data, size, step);
    stcp_hs_free(&hs);
    if (stcp_hs_visitor_init(&hs, "k", "alice.db", "bob") == 0) feed(&hs, data, size, step);
    stcp_hs_free(&hs);
    return 0;
}
