/* fuzz_server_session: a logged-in client's control messages. The harness
 * logs in to an in-process server with the right token (fuzz_server.h),
 * then plays the input's records: NEW_PROXY of every kind (names, ports,
 * domains, locations, header sets, basic auth), CLOSE_PROXY, PING, unknown
 * types, work conns with valid proofs, users on the ports it got. */
#include "fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_srv_t h;
    fz_srv_up(&h);
    fz_srv_login(&h);
    fz_srv_play(&h, data, size);
    fz_srv_down(&h);
    return 0;
}
