/* fuzz_natpmp_reply: NAT-PMP replies as libnatpmp receives them. The
 * library parses only what it reads from its own socket, so the input is
 * sent as one datagram over loopback from a socket standing for the
 * gateway (127.0.0.1) to the natpmp_t's socket, which has a request
 * pending; pm_natpmp_drop_short() drops it when it is too short to be a
 * reply (the library does not check), else readnatpmpresponseorretry()
 * parses it and pm_natpmp_reply() (portmap/pm_natpmp.c) judges it, for the
 * public-address stage (even sizes) or the mapping stage (odd). Whatever the bytes, an accepted
 * mapping must be the one asked for. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "portmap/pm_natpmp.h"

static int gw_fd = -1, our_fd = -1;

/* Two connected UDP sockets on 127.0.0.1: ours and the "gateway". */
static int setup(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET}, b = {.sin_family = AF_INET};
    socklen_t al = sizeof a, bl = sizeof b;
    a.sin_addr.s_addr = b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    our_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    gw_fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (our_fd < 0 || gw_fd < 0) return -1;
    if (bind(our_fd, (struct sockaddr *)&a, al) || bind(gw_fd, (struct sockaddr *)&b, bl))
        return -1;
    getsockname(our_fd, (struct sockaddr *)&a, &al);
    getsockname(gw_fd, (struct sockaddr *)&b, &bl);
    if (connect(our_fd, (struct sockaddr *)&b, bl) || connect(gw_fd, (struct sockaddr *)&a, al))
        return -1;
    return 0;
}

static int pending(natpmp_t *n, pm_natpmp_stage_t stage)
{
    static const uint8_t addr_req[2] = {0, 0};
    static const uint8_t map_req[12] = {0, 1, 0, 0, 0x23, 0x28, 0x23, 0x28, 0, 0, 0x1c, 0x20};
    memset(n, 0, sizeof *n);
    n->s = our_fd;
    n->gateway = htonl(INADDR_LOOPBACK);
    n->has_pending_request = 1;
    n->pending_request_len = stage == PM_NATPMP_ADDR ? 2 : 12;
    memcpy(n->pending_request, stage == PM_NATPMP_ADDR ? addr_req : map_req,
           (size_t)n->pending_request_len);
    n->try_number = 1;
    gettimeofday(&n->retry_time, NULL);
    n->retry_time.tv_sec += 60; /* no retransmission while we read */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (gw_fd < 0 && setup() != 0) abort();
    pm_natpmp_stage_t stage = size % 2 ? PM_NATPMP_MAP : PM_NATPMP_ADDR;
    natpmp_t n;
    pending(&n, stage);
    if (send(gw_fd, data, size, 0) != (ssize_t)size) return 0;
    natpmpresp_t resp;
    memset(&resp, 0, sizeof resp);
    if (pm_natpmp_drop_short(our_fd, stage) != 0) {
        if (size >= (stage == PM_NATPMP_ADDR ? 12u : 16u)) abort();
        return 0;
    }
    int rc = readnatpmpresponseorretry(&n, &resp);
    pm_op_t op = {.kind = PM_OP_MAP, .transport = PORTMAP_UDP, .internal_port = 9000};
    int more = pm_natpmp_reply(&op, stage, rc, &resp);
    if (!more && op.status == 0 && stage == PM_NATPMP_MAP &&
        (resp.type != NATPMP_RESPTYPE_UDPPORTMAPPING ||
         resp.pnu.newportmapping.privateport != 9000))
        abort();
    if (!more && op.status == 0 && stage == PM_NATPMP_ADDR && op.external_ip[0] == 0) abort();
    if (!more && op.status > 0) abort();
    /* Nothing left queued for the next input. */
    uint8_t sink[64];
    while (recv(our_fd, sink, sizeof sink, 0) > 0) {
    }
    return 0;
}
