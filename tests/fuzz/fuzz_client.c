/* fuzz_client: what a server (or whoever answers in its place) can send a
 * logged-in client. The harness plays the server (fuzz_client.h): after
 * login the input scripts frames on the control connection (NEW_PROXY_RESP,
 * REQ_WORK_CONN with any count, PONG, ERROR, unknown types, a second
 * LOGIN_OK) and on work conns (START_WORK for each proxy kind, bytes after
 * it, garbage before it), plus the local services' answers. */
#include "fuzz_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_cli_t h;
    fz_cli_up(&h);
    fz_cli_login(&h);
    fz_cli_play(&h, data, size);
    fz_cli_down(&h);
    return 0;
}
