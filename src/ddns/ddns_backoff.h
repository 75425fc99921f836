/* ddns_backoff: how long a DDNS updater waits before its next try after
 * `failures` failures in a row. Retries start at DDNS_RETRY_BASE_MS and
 * double up to DDNS_RETRY_MAX_MS; a provider's "911"/"dnserr" asks for a
 * pause of at least DDNS_BACKOFF_911_MS (the dyndns2 rule: 30 minutes). */
#ifndef BURROW_DDNS_BACKOFF_H
#define BURROW_DDNS_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define DDNS_RETRY_BASE_MS 5000u
#define DDNS_RETRY_MAX_MS (30u * 60u * 1000u)
#define DDNS_BACKOFF_911_MS (30u * 60u * 1000u)

/* failures >= 1. `provider_pause`: the answer was 911/dnserr. */
uint64_t ddns_backoff_ms(unsigned failures, bool provider_pause);

#endif
