/* fuzz_dyndns2_answer: any bytes as a dyndns2 provider's HTTP answer
 * (ddns/dyndns2_answer.h): the judge and the bare body parser. The line
 * it reports lies inside the input; the verdict is one of the four. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ddns/dyndns2_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int status;
    size_t off, n;
    dyndns2_answer_t a;
    ddns_next_t next = dyndns2_http_judge((const char *)data, size, &status, &a, &off, &n);
    if (off > size || n > size - off || n > DYNDNS2_ANSWER_MAX) abort();
    if (next > DDNS_NEXT_STOP || status < 0 || status > 999) abort();
    if (dyndns2_answer_parse((const char *)data, size, &a) == 0 && a.code == DYNDNS2_UNKNOWN)
        abort();
    return 0;
}
