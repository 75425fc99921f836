/* test_stun: proto/stun.c against RFC 5769's test vectors (sample request,
 * IPv4 and IPv6 responses, long-term request), encode/decode round trips,
 * and malformed messages. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#include "net/addr.h"
#include "proto/stun.h"
#include "testlib.h"

// clang-format off
/* RFC 5769 §2.1: password "VOkJxbRl1RmTxUk/WvJxBt", username "evtj:h6vY". */
static const uint8_t rfc_request[] = {
    0x00, 0x01, 0x00, 0x58, /* type, length */
    0x21, 0x12, 0xa4, 0x42, /* magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, /* } */
    0xbc, 0x34, 0xd6, 0x86, /* }  transaction id */
    0xfa, 0x87, 0xdf, 0xae, /* } */
    0x80, 0x22, 0x00, 0x10, /* SOFTWARE, 16: "STUN test client" */
    0x53, 0x54, 0x55, 0x4e,
    0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74,
    0x00, 0x24, 0x00, 0x04, /* PRIORITY (ICE): unknown, comprehension-required */
    0x6e, 0x00, 0x01, 0xff, /* priority value */
    0x80, 0x29, 0x00, 0x08, /* ICE-CONTROLLED (optional) */
    0x93, 0x2f, 0xf9, 0xb1,
    0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, /* USERNAME, 9 + 3 padding (0x20) */
    0x65, 0x76, 0x74, 0x6a,
    0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20,
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56,
    0x78, 0x1e, 0xf2, 0xb5,
    0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2,
    0x80, 0x28, 0x00, 0x04, /* FINGERPRINT */
    0xe5, 0x7a, 0x3b, 0xcf, /* CRC-32 ^ 0x5354554e */
};

/* RFC 5769 §2.2: XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
static const uint8_t rfc_resp4[] = {
    0x01, 0x01, 0x00, 0x3c, /* type, length */
    0x21, 0x12, 0xa4, 0x42, /* magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, /* } */
    0xbc, 0x34, 0xd6, 0x86, /* }  transaction id */
    0xfa, 0x87, 0xdf, 0xae, /* } */
    0x80, 0x22, 0x00, 0x0b, /* SOFTWARE, 11 + 1 padding: "test vector" */
    0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, /* XOR-MAPPED-ADDRESS, 8 */
    0x00, 0x01, 0xa1, 0x47, /* IPv4, port ^ 0x2112 */
    0xe1, 0x12, 0xa6, 0x43, /* address ^ cookie */
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0x2b, 0x91, 0xf5, 0x99,
    0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53,
    0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, /* FINGERPRINT */
    0xc0, 0x7d, 0x4c, 0x96, /* CRC-32 ^ 0x5354554e */
};

/* RFC 5769 §2.3: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc_resp6[] = {
    0x01, 0x01, 0x00, 0x48, /* type, length */
    0x21, 0x12, 0xa4, 0x42, /* magic cookie */
    0xb7, 0xe7, 0xa7, 0x01, /* } */
    0xbc, 0x34, 0xd6, 0x86, /* }  transaction id */
    0xfa, 0x87, 0xdf, 0xae, /* } */
    0x80, 0x22, 0x00, 0x0b, /* SOFTWARE, 11 + 1 padding: "test vector" */
    0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, /* XOR-MAPPED-ADDRESS, 20 */
    0x00, 0x02, 0xa1, 0x47, /* IPv6, port ^ 0x2112 */
    0x01, 0x13, 0xa9, 0xfa, /* } address ^ cookie || tid */
    0xa5, 0xd3, 0xf1, 0x79,
    0xbc, 0x25, 0xf4, 0xb5,
    0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0xa3, 0x82, 0x95, 0x4e,
    0x4b, 0xe6, 0x7b, 0xf1,
    0x17, 0x84, 0xc9, 0x7c,
    0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, /* FINGERPRINT */
    0xc8, 0xfb, 0x0b, 0x4c, /* CRC-32 ^ 0x5354554e */
};

/* RFC 5769 §2.4: long-term credentials; username "マトリックス" (18 bytes of
 * UTF-8), realm "example.org", password "TheMatrIX" after SASLprep. */
static const uint8_t rfc_longterm[] = {
    0x00, 0x01, 0x00, 0x60, /* type, length */
    0x21, 0x12, 0xa4, 0x42, /* magic cookie */
    0x78, 0xad, 0x34, 0x33, /* } */
    0xc6, 0xad, 0x72, 0xc0, /* }  transaction id */
    0x29, 0xda, 0x41, 0x2e, /* } */
    0x00, 0x06, 0x00, 0x12, /* USERNAME, 18 + 2 padding */
    0xe3, 0x83, 0x9e, 0xe3,
    0x83, 0x88, 0xe3, 0x83,
    0xaa, 0xe3, 0x83, 0x83,
    0xe3, 0x82, 0xaf, 0xe3,
    0x82, 0xb9, 0x00, 0x00,
    0x00, 0x15, 0x00, 0x1c, /* NONCE, 28: "f//499k954d6OL34oL9FSTvy64sA" */
    0x66, 0x2f, 0x2f, 0x34,
    0x39, 0x39, 0x6b, 0x39,
    0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34,
    0x6f, 0x4c, 0x39, 0x46,
    0x53, 0x54, 0x76, 0x79,
    0x36, 0x34, 0x73, 0x41,
    0x00, 0x14, 0x00, 0x0b, /* REALM, 11 + 1 padding: "example.org" */
    0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x2e,
    0x6f, 0x72, 0x67, 0x00,
    0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY */
    0xf6, 0x70, 0x24, 0x65,
    0x6d, 0xd6, 0x4a, 0x3e,
    0x02, 0xb8, 0xe0, 0x71,
    0x2e, 0x85, 0xc9, 0xa2,
    0x8c, 0xa8, 0x96, 0x66,
};
// clang-format on

static const char rfc_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_tid[STUN_TID_LEN] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                              0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static const char *fmt(const struct sockaddr_storage *ss)
{
    static char buf[ADDR_STRLEN];
    return addr_format((const struct sockaddr *)ss, buf, sizeof buf);
}

static int check_pw(const uint8_t *p, const stun_msg_t *m, const char *pw)
{
    return stun_check_integrity(p, m, (const uint8_t *)pw, strlen(pw));
}

static void test_rfc5769_request(void)
{
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(rfc_request, sizeof rfc_request, &m), sizeof rfc_request);
    CHECK(stun_is_stun(rfc_request, sizeof rfc_request));
    CHECK_EQ_INT(m.method, STUN_METHOD_BINDING);
    CHECK_EQ_INT(m.cls, STUN_CLASS_REQUEST);
    CHECK(!m.classic);
    CHECK(memcmp(m.id + 4, rfc_tid, STUN_TID_LEN) == 0);
    CHECK(m.has & STUN_HAS_FINGERPRINT);
    CHECK(m.has & STUN_HAS_INTEGRITY);
    CHECK_EQ_INT(m.software_len, 16);
    CHECK(memcmp(m.software, "STUN test client", 16) == 0);
    /* PRIORITY (0x0024) is ICE's, comprehension-required, unknown here. */
    CHECK_EQ_INT(m.n_unknown, 1);
    CHECK_EQ_INT(m.unknown[0], 0x0024);
    CHECK_EQ_INT(check_pw(rfc_request, &m, rfc_password), 0);
    CHECK_EQ_INT(check_pw(rfc_request, &m, "VOkJxbRl1RmTxUk/WvJxBT"), STUN_E_INTEGRITY);
}

static void test_rfc5769_response_ipv4(void)
{
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(rfc_resp4, sizeof rfc_resp4, &m), sizeof rfc_resp4);
    CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
    CHECK(m.has & STUN_HAS_XOR_MAPPED);
    CHECK_EQ_STR(fmt(&m.xor_mapped), "192.0.2.1:32853");
    CHECK_EQ_INT(m.software_len, 11);
    CHECK(memcmp(m.software, "test vector", 11) == 0);
    CHECK(m.has & STUN_HAS_FINGERPRINT);
    CHECK_EQ_INT(check_pw(rfc_resp4, &m, rfc_password), 0);
    CHECK_EQ_INT(m.n_unknown, 0);
}

static void test_rfc5769_response_ipv6(void)
{
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(rfc_resp6, sizeof rfc_resp6, &m), sizeof rfc_resp6);
    CHECK_EQ_STR(fmt(&m.xor_mapped), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    CHECK(m.has & STUN_HAS_FINGERPRINT);
    CHECK_EQ_INT(check_pw(rfc_resp6, &m, rfc_password), 0);
    CHECK_EQ_INT(check_pw(rfc_resp6, &m, ""), STUN_E_INTEGRITY);
}

static void test_rfc5769_long_term(void)
{
    /* key = MD5(username ":" realm ":" password), RFC 8489 §9.2.2 */
    static const char tail[] = ":example.org:TheMatrIX";
    uint8_t in[18 + sizeof tail - 1], key[16];
    memcpy(in, rfc_longterm + 24, 18);
    memcpy(in + 18, tail, sizeof tail - 1);
    unsigned kl = 0;
    CHECK(EVP_Digest(in, sizeof in, key, &kl, EVP_md5(), NULL) == 1 && kl == 16);
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(rfc_longterm, sizeof rfc_longterm, &m), sizeof rfc_longterm);
    CHECK(!(m.has & STUN_HAS_FINGERPRINT));
    CHECK_EQ_INT(stun_check_integrity(rfc_longterm, &m, key, sizeof key), 0);
    key[0] ^= 1;
    CHECK_EQ_INT(stun_check_integrity(rfc_longterm, &m, key, sizeof key), STUN_E_INTEGRITY);
}

/* Rebuilding §2.2 with the writer gives the RFC's bytes, except the padding
 * byte after SOFTWARE (the RFC pads with 0x20, we with 0), which MI covers. */
static void test_writer_rebuilds_rfc_response(void)
{
    uint8_t id[STUN_ID_LEN], buf[128];
    memcpy(id, rfc_resp4 + 4, STUN_ID_LEN);
    struct sockaddr_storage mapped;
    CHECK_EQ_INT(addr_parse("192.0.2.1", 32853, &mapped), 0);
    stun_writer_t w;
    stun_w_begin(&w, buf, sizeof buf, stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), id);
    stun_w_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
    buf[w.len - 1] = 0x20; /* the RFC's padding byte */
    stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&mapped);
    stun_w_integrity(&w, (const uint8_t *)rfc_password, strlen(rfc_password));
    stun_w_fingerprint(&w);
    CHECK_EQ_INT(stun_w_end(&w), sizeof rfc_resp4);
    CHECK(memcmp(buf, rfc_resp4, sizeof rfc_resp4) == 0);
}

static void test_crc32(void)
{
    CHECK_EQ_INT(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
    CHECK_EQ_INT(stun_crc32(NULL, 0), 0);
}

static void test_type_bits(void)
{
    CHECK_EQ_INT(stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), 0x0001);
    CHECK_EQ_INT(stun_type(STUN_METHOD_BINDING, STUN_CLASS_INDICATION), 0x0011);
    CHECK_EQ_INT(stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), 0x0101);
    CHECK_EQ_INT(stun_type(STUN_METHOD_BINDING, STUN_CLASS_ERROR), 0x0111);
    CHECK_EQ_INT(stun_type(0x003, STUN_CLASS_REQUEST), 0x0003); /* TURN Allocate */
    CHECK_EQ_INT(stun_type(0xFFF, STUN_CLASS_ERROR), 0x3FFF);
}

static void test_request_round_trip(void)
{
    uint8_t buf[128];
    int n = stun_build_binding_request(buf, sizeof buf, rfc_tid, STUN_CHANGE_IP | STUN_CHANGE_PORT,
                                       "burrow test");
    CHECK(n > 0);
    CHECK(stun_is_stun(buf, (size_t)n));
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), n);
    CHECK_EQ_INT(m.cls, STUN_CLASS_REQUEST);
    CHECK(m.has & STUN_HAS_CHANGE);
    CHECK_EQ_INT(m.change, STUN_CHANGE_IP | STUN_CHANGE_PORT);
    CHECK(m.has & STUN_HAS_FINGERPRINT);
    CHECK_EQ_INT(m.software_len, 11);
    CHECK(memcmp(m.id + 4, rfc_tid, STUN_TID_LEN) == 0);
    /* Without CHANGE-REQUEST: header + FINGERPRINT only. */
    CHECK_EQ_INT(stun_build_binding_request(buf, sizeof buf, rfc_tid, 0, NULL), 28);
    CHECK_EQ_INT(stun_parse(buf, 28, &m), 28);
    CHECK(!(m.has & STUN_HAS_CHANGE));
    CHECK_EQ_INT(stun_build_binding_request(buf, 27, rfc_tid, 0, NULL), STUN_E_SPACE);
}

static void test_success_round_trip(void)
{
    uint8_t req[64], buf[256];
    int n = stun_build_binding_request(req, sizeof req, rfc_tid, 0, NULL);
    stun_msg_t rq, m;
    CHECK_EQ_INT(stun_parse(req, (size_t)n, &rq), n);
    struct sockaddr_storage mapped, other, origin;
    addr_parse("2001:db8::7", 40000, &mapped);
    addr_parse("203.0.113.11", 7001, &other);
    addr_parse("203.0.113.10", 7000, &origin);
    stun_binding_reply_t r = {(struct sockaddr *)&mapped, (struct sockaddr *)&other,
                              (struct sockaddr *)&origin, "burrow"};
    n = stun_build_binding_success(buf, sizeof buf, &rq, &r);
    CHECK(n > 0);
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), n);
    CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
    CHECK(memcmp(m.id, rq.id, STUN_ID_LEN) == 0);
    CHECK_EQ_STR(fmt(&m.xor_mapped), "[2001:db8::7]:40000");
    CHECK_EQ_STR(fmt(&m.other), "203.0.113.11:7001");
    CHECK_EQ_STR(fmt(&m.origin), "203.0.113.10:7000");
    CHECK(m.has & STUN_HAS_FINGERPRINT);
    CHECK(!(m.has & STUN_HAS_MAPPED));
    /* Every byte of room counts: one less does not fit. */
    CHECK_EQ_INT(stun_build_binding_success(buf, (size_t)n - 1, &rq, &r), STUN_E_SPACE);
    stun_binding_reply_t bad = {NULL, NULL, NULL, NULL};
    CHECK_EQ_INT(stun_build_binding_success(buf, sizeof buf, &rq, &bad), STUN_E_ARG);
}

/* A classic (RFC 3489) request: 16-byte id echoed, MAPPED-ADDRESS,
 * SOURCE-ADDRESS and CHANGED-ADDRESS, nothing an old client would reject. */
static void test_classic(void)
{
    uint8_t req[] = {0x00, 0x01, 0x00, 0x08, 1,    2,    3,    4,   5,  6,
                     7,    8,    9,    10,   11,   12,   13,   14,  15, 16,
                     0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06};
    stun_msg_t rq, m;
    CHECK_EQ_INT(stun_parse(req, sizeof req, &rq), sizeof req);
    CHECK(rq.classic);
    CHECK(!stun_is_stun(req, sizeof req));
    CHECK_EQ_INT(rq.change, STUN_CHANGE_IP | STUN_CHANGE_PORT);
    struct sockaddr_storage mapped, other, origin;
    addr_parse("198.51.100.2", 5000, &mapped);
    addr_parse("203.0.113.11", 3479, &other);
    addr_parse("203.0.113.10", 3478, &origin);
    stun_binding_reply_t r = {(struct sockaddr *)&mapped, (struct sockaddr *)&other,
                              (struct sockaddr *)&origin, "burrow"};
    uint8_t buf[128];
    int n = stun_build_binding_success(buf, sizeof buf, &rq, &r);
    CHECK_EQ_INT(n, 20 + 3 * 12);
    CHECK(memcmp(buf + 4, req + 4, 16) == 0);
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), n);
    CHECK_EQ_STR(fmt(&m.mapped), "198.51.100.2:5000");
    CHECK_EQ_STR(fmt(&m.other), "203.0.113.11:3479");
    CHECK_EQ_STR(fmt(&m.origin), "203.0.113.10:3478");
    CHECK(!(m.has & (STUN_HAS_XOR_MAPPED | STUN_HAS_SOFTWARE | STUN_HAS_FINGERPRINT)));
}

static void test_error_round_trip(void)
{
    uint8_t req[64], buf[128];
    int n = stun_build_binding_request(req, sizeof req, rfc_tid, STUN_CHANGE_PORT, NULL);
    stun_msg_t rq, m;
    CHECK_EQ_INT(stun_parse(req, (size_t)n, &rq), n);
    uint16_t unk[] = {STUN_ATTR_CHANGE_REQUEST};
    n = stun_build_binding_error(buf, sizeof buf, &rq, 420, "Unknown Attribute", unk, 1, "b");
    CHECK(n > 0);
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), n);
    CHECK_EQ_INT(m.cls, STUN_CLASS_ERROR);
    CHECK_EQ_INT(m.error_code, 420);
    CHECK_EQ_INT(m.reason_len, 17);
    CHECK(memcmp(m.reason, "Unknown Attribute", 17) == 0);
    CHECK_EQ_INT(m.n_reported, 1);
    CHECK_EQ_INT(m.reported[0], STUN_ATTR_CHANGE_REQUEST);
    CHECK(m.has & STUN_HAS_FINGERPRINT);
}

static void test_duplicates_first_wins(void)
{
    /* Two XOR-MAPPED-ADDRESS attributes: the first counts (RFC 8489 §14). */
    uint8_t buf[128], id[STUN_ID_LEN] = {0x21, 0x12, 0xa4, 0x42};
    struct sockaddr_storage a, b;
    addr_parse("192.0.2.1", 1, &a);
    addr_parse("192.0.2.2", 2, &b);
    stun_writer_t w;
    stun_w_begin(&w, buf, sizeof buf, 0x0101, id);
    stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&a);
    stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&b);
    stun_w_addr(&w, STUN_ATTR_CHANGED_ADDRESS, (struct sockaddr *)&b);
    stun_w_addr(&w, STUN_ATTR_OTHER_ADDRESS, (struct sockaddr *)&a); /* 5780 wins over 3489 */
    int n = stun_w_end(&w);
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), n);
    CHECK_EQ_STR(fmt(&m.xor_mapped), "192.0.2.1:1");
    CHECK_EQ_STR(fmt(&m.other), "192.0.2.1:1");
}

static void test_malformed(void)
{
    uint8_t buf[256];
    stun_msg_t m;
    memcpy(buf, rfc_resp4, sizeof rfc_resp4);
    size_t n = sizeof rfc_resp4;
    CHECK_EQ_INT(stun_parse(buf, 19, &m), STUN_E_SHORT);
    CHECK_EQ_INT(stun_parse(buf, n - 4, &m), STUN_E_SHORT); /* length says more */
    buf[n] = 0;
    CHECK_EQ_INT(stun_parse(buf, n + 1, &m), STUN_E_NOT_STUN); /* a byte after */
    buf[0] = 0x41;
    CHECK_EQ_INT(stun_parse(buf, n, &m), STUN_E_NOT_STUN); /* top bits */
    buf[0] = 0x01;
    buf[3] = 0x3d;
    CHECK_EQ_INT(stun_parse(buf, n + 1, &m), STUN_E_NOT_STUN); /* length % 4 */
    buf[3] = 0x3c;
    /* A flipped bit anywhere: the fingerprint catches it. */
    for (size_t i = 20; i < n - 8; i++) {
        buf[i] ^= 0x10;
        int r = stun_parse(buf, n, &m);
        CHECK(r == STUN_E_FINGERPRINT || r == STUN_E_ATTR);
        buf[i] ^= 0x10;
    }
    CHECK_EQ_INT(stun_parse(buf, n, &m), (int)n);
    /* An attribute running past the end. */
    uint8_t over[] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0,    0,   0,   0,   0,  0, 0,
                      0,    0,    0,    0,    0,    0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd'};
    CHECK_EQ_INT(stun_parse(over, sizeof over, &m), STUN_E_ATTR);
    /* A lone attribute header fragment (2 bytes cannot happen: length % 4),
     * an address with a bad family, a CHANGE-REQUEST of the wrong size. */
    uint8_t fam[] = {0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0,
                     0,    0,    0,    0,    0x00, 0x01, 0x00, 0x08, 0, 3, 0, 1, 1, 2, 3, 4};
    CHECK_EQ_INT(stun_parse(fam, sizeof fam, &m), STUN_E_ATTR);
    fam[25] = 2; /* IPv6 family with 4 address bytes */
    CHECK_EQ_INT(stun_parse(fam, sizeof fam, &m), STUN_E_ATTR);
    fam[25] = 1;
    CHECK_EQ_INT(stun_parse(fam, sizeof fam, &m), (int)sizeof fam);
    uint8_t chg[] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0,    0,    0, 0, 0, 0,
                     0,    0,    0,    0,    0,    0,    0x00, 0x03, 0x00, 0x02, 0, 6, 0, 0};
    CHECK_EQ_INT(stun_parse(chg, sizeof chg, &m), STUN_E_ATTR);
    /* ERROR-CODE class out of 3..6. */
    uint8_t ec[] = {0x01, 0x11, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0,    0,    0, 0, 0, 0,
                    0,    0,    0,    0,    0,    0,    0x00, 0x09, 0x00, 0x04, 0, 0, 7, 0};
    CHECK_EQ_INT(stun_parse(ec, sizeof ec, &m), STUN_E_ATTR);
}

static void test_fingerprint_must_be_last(void)
{
    uint8_t buf[128], id[STUN_ID_LEN] = {0x21, 0x12, 0xa4, 0x42};
    stun_writer_t w;
    stun_w_begin(&w, buf, sizeof buf, 0x0001, id);
    stun_w_fingerprint(&w);
    stun_w_attr(&w, STUN_ATTR_SOFTWARE, "x", 1);
    int n = stun_w_end(&w);
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), STUN_E_FINGERPRINT);
}

static void test_after_integrity_ignored(void)
{
    /* RFC 8489 §14.5: what follows MESSAGE-INTEGRITY (but FINGERPRINT) is ignored. */
    uint8_t buf[128], id[STUN_ID_LEN] = {0x21, 0x12, 0xa4, 0x42};
    stun_writer_t w;
    stun_w_begin(&w, buf, sizeof buf, 0x0001, id);
    stun_w_integrity(&w, (const uint8_t *)"k", 1);
    stun_w_u32(&w, STUN_ATTR_CHANGE_REQUEST, STUN_CHANGE_IP);
    stun_w_u32(&w, 0x7777, 0);
    stun_w_fingerprint(&w);
    int n = stun_w_end(&w);
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), n);
    CHECK(!(m.has & STUN_HAS_CHANGE));
    CHECK_EQ_INT(m.n_unknown, 0);
    /* The MI is over the message before it, so later attributes do not break it. */
    CHECK_EQ_INT(stun_check_integrity(buf, &m, (const uint8_t *)"k", 1), 0);
    CHECK_EQ_INT(stun_check_integrity(buf, &m, (const uint8_t *)"K", 1), STUN_E_INTEGRITY);
}

static void test_unknown_bounded(void)
{
    /* More unknown comprehension-required attributes than are kept. */
    uint8_t buf[256], id[STUN_ID_LEN] = {0x21, 0x12, 0xa4, 0x42};
    stun_writer_t w;
    stun_w_begin(&w, buf, sizeof buf, 0x0001, id);
    for (int i = 0; i < STUN_UNKNOWN_MAX + 3; i++)
        stun_w_attr(&w, (uint16_t)(0x7000 + i), NULL, 0);
    stun_w_attr(&w, 0xC000, "opt", 3); /* optional: not reported */
    int n = stun_w_end(&w);
    stun_msg_t m;
    CHECK_EQ_INT(stun_parse(buf, (size_t)n, &m), n);
    CHECK_EQ_INT(m.n_unknown, STUN_UNKNOWN_MAX + 3);
    CHECK_EQ_INT(m.unknown[STUN_UNKNOWN_MAX - 1], 0x7000 + STUN_UNKNOWN_MAX - 1);
    CHECK(!stun_is_stun(buf, 19));
    CHECK_EQ_STR(stun_strerror(STUN_E_FINGERPRINT), "fingerprint");
    CHECK_EQ_STR(stun_strerror(-99), "unknown");
}

int main(void)
{
    RUN(test_rfc5769_request);
    RUN(test_rfc5769_response_ipv4);
    RUN(test_rfc5769_response_ipv6);
    RUN(test_rfc5769_long_term);
    RUN(test_writer_rebuilds_rfc_response);
    RUN(test_crc32);
    RUN(test_type_bits);
    RUN(test_request_round_trip);
    RUN(test_success_round_trip);
    RUN(test_classic);
    RUN(test_error_round_trip);
    RUN(test_duplicates_first_wins);
    RUN(test_malformed);
    RUN(test_fingerprint_must_be_last);
    RUN(test_after_integrity_ignored);
    RUN(test_unknown_bounded);
    return TEST_SUMMARY();
}
