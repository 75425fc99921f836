/* pm_natpmp: NAT-PMP (RFC 6886) through libnatpmp. The reply handling is
 * exposed for tests/fuzz/fuzz_natpmp_reply.c. */
#ifndef BURROW_PM_NATPMP_H
#define BURROW_PM_NATPMP_H

#include <natpmp.h>

#include "portmap/pm_int.h"

/* Which request is pending. */
typedef enum pm_natpmp_stage { PM_NATPMP_ADDR = 0, PM_NATPMP_MAP } pm_natpmp_stage_t;

/* Takes readnatpmpresponseorretry()'s return code rc and response for the
 * request of `stage`: 1 to keep waiting (nothing yet, or a reply to another
 * request), 0 when the stage is over, op->status (0 or a negative code),
 * op->result_code and the op's outputs then set. */
/* libnatpmp reads a reply into its buffer without checking the length it
 * got, so a short datagram would be parsed from stale bytes. Called before
 * the library reads: drops (consumes) a queued datagram shorter than RFC
 * 6886's reply for the stage (12 bytes for the address, 16 for a mapping)
 * and returns 1; 0 when the next datagram is for the library (or none is
 * queued); a negative libuv code when the socket holds an error (an ICMP
 * port unreachable: UV_ECONNREFUSED), which this read has taken. */
int pm_natpmp_drop_short(int fd, pm_natpmp_stage_t stage);

int pm_natpmp_reply(pm_op_t *op, pm_natpmp_stage_t stage, int rc, const natpmpresp_t *resp);

#endif
