/* fuzz_client_login: what a client accepts from whatever answers at
 * serverAddr before it is logged in. The harness (fuzz_client.h) accepts
 * the client's control connection and lets the script answer its HELLO:
 * CHALLENGE with any nonce, LOGIN_OK with any run id, ERROR, frames out of
 * order, garbage, a close. */
#include "fuzz_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_cli_t h;
    fz_cli_up(&h);
    fz_cli_wait_peers(&h, 1);
    fz_cli_play(&h, data, size);
    fz_cli_down(&h);
    return 0;
}
