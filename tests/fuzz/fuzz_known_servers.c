/* fuzz_known_servers: the client's trust-on-first-use store
 * (tlsc_tofu_check) reading a `known_servers` file it did not write: the
 * input's first byte picks an endpoint and a fingerprint, the rest is the
 * file. What the store answers must be consistent: a mismatch names a
 * well-formed stored fingerprint that differs from ours; a first contact
 * records the entry so that the next lookup matches, and does not disturb
 * the lines that were there. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_require.h"
#include "tls/tls_cert.h"
#include "util/log.h"

static char dir[64], path[96];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

static const char *const endpoints[] = {"example.com:7000", "[::1]:7000", "EXAMPLE.COM:7000",
                                        "10.0.0.1:443"};
static const char *const fps[] = {
    "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    "sha256:00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF",
    "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "sha256:0000000000000000000000000000000000000000000000000000000000000000"};

static size_t file_read(uint8_t *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, size, f);
    fclose(f);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        log_set_output("/dev/null");
        snprintf(dir, sizeof dir, "/tmp/burrow-fuzzk-XXXXXX");
        if (!mkdtemp(dir)) abort();
        snprintf(path, sizeof path, "%s/known_servers", dir);
        atexit(cleanup);
    }
    if (size < 1 || size > 16384) return 0;
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    const char *ep = endpoints[data[0] & 3], *fp = fps[(data[0] >> 2) & 3];
    char old[TLSC_FP_LEN];
    tofu_result_t r = tlsc_tofu_check(path, ep, fp, old);
    require(r >= TOFU_ERROR && r <= TOFU_MISMATCH);
    if (r == TOFU_MISMATCH) {
        require(strlen(old) == TLSC_FP_LEN - 1 && memcmp(old, "sha256:", 7) == 0);
        require(strcasecmp(old, fp) != 0);
    }
    if (r == TOFU_NEW) {
        static uint8_t after[16384 + 256];
        size_t n = file_read(after, sizeof after);
        require(n >= size - 1 && memcmp(after, data + 1, size - 1) == 0);
        require(tlsc_tofu_check(path, ep, fp, old) == TOFU_MATCH);
    }
    return 0;
}
