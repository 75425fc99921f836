/* ddns_backoff: the retry schedule (ddns_backoff.h). */
#include "ddns/ddns_backoff.h"

uint64_t ddns_backoff_ms(unsigned failures, bool provider_pause)
{
    uint64_t ms = DDNS_RETRY_BASE_MS;
    for (unsigned i = 1; i < failures && ms < DDNS_RETRY_MAX_MS; i++)
        ms *= 2;
    if (ms > DDNS_RETRY_MAX_MS) ms = DDNS_RETRY_MAX_MS;
    if (provider_pause && ms < DDNS_BACKOFF_911_MS) ms = DDNS_BACKOFF_911_MS;
    return ms;
}
