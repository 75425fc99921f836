/* fuzz_udp_client: the client's side of a udp proxy. After login the
 * harness (fuzz_client.h) sends START_WORK for fz.udp on the pool's work
 * conn, which becomes the udp channel (peer 1, current at start); the input
 * scripts UDP_DATA frames on it (session ids, empty and short payloads,
 * other frame types) and the local udp service's answers. */
#include "fuzz_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_cli_t h;
    fz_cli_up(&h);
    fz_cli_login(&h);
    fz_peer_send_json(&h.loop, &h.peers[1], MSG_START_WORK,
                      json_pack("{s:s,s:s,s:s,s:s}", "proxy", "fz.udp", "type", "udp", "src",
                                "198.51.100.7:5353", "dst", "127.0.0.1:41001"));
    fz_cli_pump(&h, FZ_PUMPS);
    h.cur = 1;
    fz_cli_play(&h, data, size);
    fz_cli_down(&h);
    return 0;
}
