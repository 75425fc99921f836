/* fuzz_e2e: the secret proxies' record reader (proto/e2e.h) fed attacker
 * bytes in chunks whose sizes come from the input, as a relaying server
 * could send them; then the input sealed as records under the same key and
 * read back in the same chunks, which must give the input back exactly. */
#include <stdlib.h>
#include <string.h>

#include "proto/e2e.h"

typedef struct out {
    const uint8_t *want;
    size_t want_len, got;
} out_t;

static int on_plain(void *ctx, const uint8_t *p, size_t n)
{
    out_t *o = ctx;
    if (o->want) {
        if (o->got + n > o->want_len || memcmp(o->want + o->got, p, n) != 0) abort();
    }
    o->got += n;
    return 0;
}

static void feed(const e2e_keys_t *k, const uint8_t *p, size_t n, size_t step, out_t *o)
{
    e2e_reader_t r;
    if (e2e_reader_init(&r, k->key[E2E_V2O], k->iv[E2E_V2O]) != 0) return;
    for (size_t at = 0; at < n; at += step)
        if (e2e_reader_feed(&r, p + at, n - at < step ? n - at : step, on_plain, o) != 0) break;
    e2e_reader_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static e2e_keys_t k;
    static int have_keys;
    uint8_t nv[E2E_NONCE_LEN] = {1}, no[E2E_NONCE_LEN] = {2};
    if (!have_keys && e2e_derive("fuzz-key", nv, no, "p", &k) == 0) have_keys = 1;
    if (!have_keys) return 0;
    size_t step = size ? (size_t)data[0] * 67 + 1 : 1;
    out_t o = {0};
    feed(&k, data, size, step, &o);

    /* Round trip: records of up to 255 * 67 bytes, the end record last. */
    e2e_dir_t s;
    size_t len = 0, off = 0, rec = step < E2E_RECORD_MAX ? step : E2E_RECORD_MAX;
    uint8_t *sealed = malloc(size + (size / rec + 2) * E2E_OVERHEAD);
    if (!sealed) return 0;
    if (e2e_dir_init(&s, k.key[E2E_V2O], k.iv[E2E_V2O], true) != 0) {
        free(sealed);
        return 0;
    }
    while (off < size) {
        size_t n = size - off < rec ? size - off : rec;
        len += (size_t)e2e_seal(&s, data + off, n, sealed + len);
        off += n;
    }
    len += (size_t)e2e_seal(&s, NULL, 0, sealed + len);
    e2e_dir_free(&s);
    out_t back = {data, size, 0};
    feed(&k, sealed, len, step, &back);
    free(sealed);
    if (back.got != size) abort();
    return 0;
}
