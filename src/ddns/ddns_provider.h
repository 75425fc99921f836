/* ddns_provider: what every DDNS provider does, and the table of them.
 *
 * A provider's publish() runs on libuv's threadpool (it blocks on its own
 * socket, bounded by DDNS_IO_TIMEOUT_MS per step) and reads only its
 * arguments: the entry's config (borrowed, read-only for the run) and the
 * addresses to publish. It fills a result the loop reads after the work is
 * done. Variation by table: ddns.c picks the row by the config's
 * `provider` string. */
#ifndef BURROW_DDNS_PROVIDER_H
#define BURROW_DDNS_PROVIDER_H

#include <stdbool.h>

#include "config/config.h"
#include "ddns/dyndns2_answer.h"

/* Each blocking step (connect, a read, the DNS answer) waits at most
 * DDNS_IO_TIMEOUT_MS; a dyndns2 answer is read for at most DDNS_JOB_MS in
 * all. A stopping process waits for a running job, so both stay well under
 * the stop watchdog (cli_run_t's STOP_DRAIN_MS, 10 s) for a usual server. */
#define DDNS_IO_TIMEOUT_MS 2500
#define DDNS_JOB_MS 8000
#define DDNS_MSG_MAX 256

typedef struct ddns_result {
    ddns_next_t next;
    char msg[DDNS_MSG_MAX]; /* the provider's answer or the local error, raw */
} ddns_result_t;

typedef struct ddns_provider {
    const char *name;
    /* addr4/addr6: IP literals, NULL when not known (or not wanted). */
    void (*publish)(const ddns_cfg_t *cfg, const char *addr4, const char *addr6,
                    ddns_result_t *res);
} ddns_provider_t;

/* The row named `name`, or NULL (unknown, or compiled out: rfc2136 without
 * ldns). */
const ddns_provider_t *ddns_provider_find(const char *name);
/* Whether `name` is a provider burrow knows at all (compiled in or not). */
bool ddns_provider_known(const char *name);

void ddns_rfc2136_publish(const ddns_cfg_t *cfg, const char *addr4, const char *addr6,
                          ddns_result_t *res);
void ddns_dyndns2_publish(const ddns_cfg_t *cfg, const char *addr4, const char *addr6,
                          ddns_result_t *res);

#endif
