/* fuzz_pcp_msg: PCP responses from a router (portmap/pcp_msg.c). A decoded
 * response must say what its bytes said: length accepted only when valid,
 * MAP data only when 60 bytes are there, and a request built from the
 * decoded MAP data encodes back to the same opcode-specific bytes. */
#include <stdlib.h>
#include <string.h>

#include "portmap/pcp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pcp_response_t resp;
    int r = pcp_decode_response(data, size, &resp);
    if (r < 0) return 0;
    if ((size_t)r != size || size < PCP_HDR_LEN || size > PCP_MAX_LEN || size % 4) abort();
    if (data[0] != PCP_VERSION || !(data[1] & PCP_RESPONSE_BIT) || resp.result != data[3]) abort();
    if (resp.has_map && (resp.opcode != PCP_OP_MAP || size < PCP_HDR_LEN + PCP_MAP_LEN)) abort();
    if (!resp.has_map) return 0;
    pcp_request_t req = {.opcode = PCP_OP_MAP, .lifetime = resp.lifetime, .map = resp.map};
    uint8_t out[PCP_HDR_LEN + PCP_MAP_LEN];
    if (pcp_encode_request(&req, out, sizeof out) != sizeof out) abort();
    /* bytes 13-15 are reserved: the encoder writes zeros */
    if (memcmp(out + PCP_HDR_LEN, data + PCP_HDR_LEN, 13) != 0 ||
        memcmp(out + PCP_HDR_LEN + 16, data + PCP_HDR_LEN + 16, 20) != 0)
        abort();
    uint32_t a;
    (void)pcp_ip_to_v4(resp.map.external_ip, &a);
    (void)pcp_result_str(resp.result);
    return 0;
}
