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
int pm_natpmp_reply(pm_op_t *op, pm_natpmp_stage_t stage, int rc, const natpmpresp_t *resp);

#endif
