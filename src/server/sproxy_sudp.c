/* sproxy_sudp: a secret UDP proxy on the server. Like stcp it opens no
 * public port and pairs each visitor's conn with a work conn of the owner
 * (sproxy_stcp.c does both for every secret kind); the stream then carries
 * UDP_DATA frames inside end-to-end records, which the server relays as
 * bytes it cannot read. */
#include "server/server_int.h"

const sproxy_ops_t sproxy_sudp_ops = {
    .type = "sudp",
    .open = sproxy_secret_open,
    .close = sproxy_secret_close,
};
