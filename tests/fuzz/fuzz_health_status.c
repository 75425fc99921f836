/* fuzz_health_status: the status line of a health check's http answer
 * (client/chealth.h, health_http_status), as the checker reads it: every
 * prefix of the input. Checks: a verdict once given (a code or "not HTTP")
 * never changes as more bytes arrive, a code is 100..999, and "need more"
 * only for inputs shorter than a status line's first 13 bytes. */
#include <stdint.h>

#include "client/chealth.h"
#include "fuzz_require.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int first = 0;
    if (size > HEALTH_ANSWER_MAX) size = HEALTH_ANSWER_MAX;
    for (size_t n = 0; n <= size; n++) {
        int st = health_http_status(data, n);
        require(st == -1 || st == 0 || (st >= 100 && st <= 999));
        require(st != 0 || n < 13);
        if (first != 0) require(st == first);
        if (st != 0) first = st;
    }
    return 0;
}
