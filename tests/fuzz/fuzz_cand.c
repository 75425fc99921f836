/* fuzz_cand: the candidate list of P2P_OFFER / P2P_ANSWER (p2p/cand.h) as
 * any JSON text: an accepted list holds at most CAND_MAX entries, each with
 * a port, and encodes to JSON that parses back to the same set. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "p2p/cand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *o = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, NULL);
    cand_set_t set, back;
    if (!o) return 0;
    if (cand_from_json(o, &set) == 0) {
        if (set.n > CAND_MAX) abort();
        for (int i = 0; i < set.n; i++)
            if (addr_port((struct sockaddr *)&set.c[i].addr) <= 0) abort();
        json_t *again = json_object();
        if (!again || cand_to_json(&set, again) != 0 || cand_from_json(again, &back) != 0 ||
            back.n != set.n || back.nat != set.nat)
            abort();
        for (int i = 0; i < set.n; i++)
            if (back.c[i].type != set.c[i].type ||
                memcmp(&back.c[i].addr, &set.c[i].addr, sizeof back.c[i].addr) != 0)
                abort();
        json_decref(again);
    }
    json_decref(o);
    return 0;
}
