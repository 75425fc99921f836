/* fuzz_server_gate: what a stranger can send to bindPort before logging in.
 * A real server runs in-process (fuzz_server.h); the input is a script of
 * records (raw bytes, frames, extra connections, half-closes, resets) played
 * on fresh connections to it: magic, HELLO (control and work roles, version
 * ranges), LOGIN with any fields, TLS sniffing, frame limits. */
#include "fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_srv_t h;
    fz_srv_up(&h);
    if (fz_srv_connect(&h, h.port)) fz_srv_play(&h, data, size);
    fz_srv_down(&h);
    return 0;
}
