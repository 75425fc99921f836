/* test_pcp_msg: PCP MAP/ANNOUNCE encoding and response decoding against
 * byte vectors laid out from RFC 6887 §7.1, §7.2, §7.3 and §11.1. */
#include "portmap/pcp_msg.h"

#include <arpa/inet.h>

#include "testlib.h"

/* A MAP request: udp 192.168.1.10:9000, suggest external 9000, no address
 * preference (::ffff:0.0.0.0, §11.1), lifetime 7200. */
static const uint8_t map_req[60] = {
    0x02, 0x01, 0x00, 0x00,                         /* version 2, R=0 opcode MAP, reserved */
    0x00, 0x00, 0x1c, 0x20,                         /* requested lifetime 7200 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,       /* client address ::ffff: */
    192, 168, 1, 10,                                /*   192.168.1.10 */
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,          /* mapping nonce */
    17, 0, 0, 0,                                    /* protocol udp, 24 reserved bits */
    0x23, 0x28, 0x23, 0x28,                         /* internal port 9000, suggested 9000 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, /* suggested ::ffff:0.0.0.0 */
};

/* Its answer: success, lifetime 3600, epoch 1234, external 203.0.113.21:40000. */
static const uint8_t map_resp[60] = {
    0x02, 0x81, 0x00, 0x00,                         /* version, R=1 MAP, reserved, SUCCESS */
    0x00, 0x00, 0x0e, 0x10,                         /* lifetime 3600 */
    0x00, 0x00, 0x04, 0xd2,                         /* epoch 1234 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,             /* reserved 96 bits */
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,          /* nonce echoed */
    17, 0, 0, 0,                                    /* udp */
    0x23, 0x28, 0x9c, 0x40,                         /* internal 9000, assigned external 40000 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 21,
};

static pcp_request_t sample_map(void)
{
    pcp_request_t r = {.opcode = PCP_OP_MAP, .lifetime = 7200};
    pcp_ip_from_v4(inet_addr("192.168.1.10"), r.client_ip);
    for (int i = 0; i < PCP_NONCE_LEN; i++) r.map.nonce[i] = (uint8_t)(i + 1);
    r.map.protocol = 17;
    r.map.internal_port = r.map.external_port = 9000;
    pcp_ip_from_v4(0, r.map.external_ip);
    return r;
}

static void test_encode_map(void)
{
    pcp_request_t r = sample_map();
    uint8_t out[PCP_MAX_LEN];
    CHECK_EQ_INT(pcp_encode_request(&r, out, sizeof out), 60);
    CHECK(memcmp(out, map_req, 60) == 0);
    CHECK_EQ_INT(pcp_encode_request(&r, out, 59), 0); /* too small */
    r.opcode = 2;                                      /* PEER: not ours */
    CHECK_EQ_INT(pcp_encode_request(&r, out, sizeof out), 0);
}

static void test_encode_announce(void)
{
    pcp_request_t r = {.opcode = PCP_OP_ANNOUNCE};
    pcp_ip_from_v4(inet_addr("10.0.0.2"), r.client_ip);
    uint8_t out[64];
    static const uint8_t want[24] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0, 0, 0xff, 0xff, 10, 0, 0, 2};
    CHECK_EQ_INT(pcp_encode_request(&r, out, sizeof out), 24);
    CHECK(memcmp(out, want, 24) == 0);
}

static void test_decode_map(void)
{
    pcp_response_t resp;
    CHECK_EQ_INT(pcp_decode_response(map_resp, 60, &resp), 60);
    CHECK_EQ_INT(resp.opcode, PCP_OP_MAP);
    CHECK_EQ_INT(resp.result, PCP_R_SUCCESS);
    CHECK_EQ_INT(resp.lifetime, 3600);
    CHECK_EQ_INT(resp.epoch, 1234);
    CHECK(resp.has_map);
    CHECK_EQ_INT(resp.map.protocol, 17);
    CHECK_EQ_INT(resp.map.internal_port, 9000);
    CHECK_EQ_INT(resp.map.external_port, 40000);
    CHECK(memcmp(resp.map.nonce, map_req + 24, 12) == 0);
    uint32_t a;
    CHECK(pcp_ip_to_v4(resp.map.external_ip, &a));
    CHECK(a == inet_addr("203.0.113.21"));
    CHECK_EQ_INT(resp.noptions, 0);
}

static void test_decode_options(void)
{
    /* §7.3: code, reserved, length 5 padded to 8; then one of length 0. */
    uint8_t buf[60 + 12 + 4];
    memcpy(buf, map_resp, 60);
    static const uint8_t opts[16] = {1, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0, 2, 0, 0, 0};
    memcpy(buf + 60, opts, 16);
    pcp_response_t resp;
    CHECK_EQ_INT(pcp_decode_response(buf, sizeof buf, &resp), (int)sizeof buf);
    CHECK_EQ_INT(resp.noptions, 2);
    buf[60 + 3] = 13; /* 13 padded to 16 runs past the end */
    CHECK_EQ_INT(pcp_decode_response(buf, sizeof buf, &resp), PCP_E_OPTION);
}

static void test_decode_errors(void)
{
    uint8_t buf[PCP_MAX_LEN + 4];
    pcp_response_t resp;
    memcpy(buf, map_resp, 60);
    CHECK_EQ_INT(pcp_decode_response(buf, 20, &resp), PCP_E_SHORT);
    CHECK_EQ_INT(pcp_decode_response(buf, 58, &resp), PCP_E_LENGTH); /* not a multiple of 4 */
    CHECK_EQ_INT(pcp_decode_response(buf, 56, &resp), PCP_E_SHORT);  /* MAP cut short */
    memset(buf + 60, 0, sizeof buf - 60);
    CHECK_EQ_INT(pcp_decode_response(buf, PCP_MAX_LEN + 4, &resp), PCP_E_LENGTH);
    buf[1] = PCP_OP_MAP; /* a request echoed back */
    CHECK_EQ_INT(pcp_decode_response(buf, 60, &resp), PCP_E_NOT_RESP);
    /* A NAT-PMP-only router answers a PCP request with version 0,
     * UNSUPP_VERSION (RFC 6887 §9): 8 bytes. */
    static const uint8_t natpmp[8] = {0, 0x81, 0, 1, 0, 0, 0, 5};
    CHECK_EQ_INT(pcp_decode_response(natpmp, 8, &resp), PCP_E_VERSION);
}

static void test_decode_error_header_only(void)
{
    /* NOT_AUTHORIZED may come as the bare header. */
    uint8_t buf[24];
    memcpy(buf, map_resp, 24);
    buf[3] = PCP_R_NOT_AUTHORIZED;
    pcp_response_t resp;
    CHECK_EQ_INT(pcp_decode_response(buf, 24, &resp), 24);
    CHECK_EQ_INT(resp.result, PCP_R_NOT_AUTHORIZED);
    CHECK(!resp.has_map);
    buf[3] = PCP_R_SUCCESS; /* success without the MAP data is malformed */
    CHECK_EQ_INT(pcp_decode_response(buf, 24, &resp), PCP_E_SHORT);
    CHECK_EQ_STR(pcp_result_str(PCP_R_NOT_AUTHORIZED), "NOT_AUTHORIZED");
    CHECK_EQ_STR(pcp_result_str(200), "UNKNOWN");
}

static void test_v4_mapped(void)
{
    uint8_t ip[16];
    uint32_t a = 0;
    pcp_ip_from_v4(inet_addr("1.2.3.4"), ip);
    CHECK(pcp_ip_to_v4(ip, &a) && a == inet_addr("1.2.3.4"));
    ip[10] = 0; /* not ::ffff:0:0/96 */
    CHECK(!pcp_ip_to_v4(ip, &a));
}

int main(void)
{
    RUN(test_encode_map);
    RUN(test_encode_announce);
    RUN(test_decode_map);
    RUN(test_decode_options);
    RUN(test_decode_errors);
    RUN(test_decode_error_header_only);
    RUN(test_v4_mapped);
    return TEST_SUMMARY();
}
