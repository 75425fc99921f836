/* fuzz_udp_server: the server's side of a udp proxy. The harness logs in,
 * opens a work conn and registers a udp proxy (on any allowed port); the server then makes that
 * work conn its udp channel (START_WORK). The input scripts UDP_DATA frames
 * (and any other bytes) on the channel (peer 1, current at start),
 * datagrams from users to the proxy port, and REPLY records answering the
 * last session id the server framed. */
#include "fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_srv_t h;
    fz_srv_up(&h);
    fz_srv_login(&h);
    fz_srv_work(&h);
    fz_pump(&h.loop, h.peers, h.npeers, FZ_PUMPS);
    fz_srv_new_proxy(&h,
                     json_pack("{s:s,s:s,s:i}", "name", "fz.udp", "type", "udp", "remote_port", 0));
    h.cur = 1;
    fz_srv_play(&h, data, size);
    fz_srv_down(&h);
    return 0;
}
