/* test_relay_wire: the relay's control datagrams (proto/relay_wire.c) and
 * the grant fragment (proto/relay_grant.c), pure. */
#include <stdlib.h>

#include "proto/relay_grant.h"
#include "proto/relay_wire.h"
#include "testlib.h"

static uint8_t key[RELAY_KEY_LEN];

static void setup_key(void)
{
    for (int i = 0; i < RELAY_KEY_LEN; i++)
        key[i] = (uint8_t)i;
}

/* A BIND byte by byte; the MAC computed independently (Python's hmac). */
static void test_encode_vector(void)
{
    static const uint8_t want[RELAY_WIRE_LEN] = {
        0x01,                                           /* type BIND */
        0x01,                                           /* version */
        0x01,                                           /* side 1 */
        0x00,                                           /* reason */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* allocation id */
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* counter */
        0x57, 0x9a, 0x45, 0x85, 0x9b, 0x41, 0xaa, 0xa3, /* HMAC-SHA256(key 00..1f, 0..19)[0..15] */
        0x41, 0x7b, 0xc3, 0x6d, 0x57, 0x2e, 0xc4, 0xba,
    };
    relay_msg_t m = {.type = RELAY_MSG_BIND,
                     .side = 1,
                     .alloc_id = 0x0102030405060708ull,
                     .counter = 0x1122334455667788ull};
    uint8_t out[RELAY_WIRE_LEN];
    CHECK_EQ_INT(relay_wire_encode(&m, key, out), RELAY_WIRE_LEN);
    CHECK(memcmp(out, want, sizeof want) == 0);
    relay_msg_t back;
    CHECK_EQ_INT(relay_wire_parse(out, sizeof out, &back), RELAY_WIRE_LEN);
    CHECK_EQ_INT(back.type, RELAY_MSG_BIND);
    CHECK_EQ_INT(back.side, 1);
    CHECK(back.alloc_id == m.alloc_id && back.counter == m.counter);
    CHECK(relay_wire_verify(out, sizeof out, key));
    CHECK(!relay_wire_is_data(out, sizeof out));
}

static void test_verify_rejects(void)
{
    relay_msg_t m = {.type = RELAY_MSG_BOUND, .side = 0, .alloc_id = 7, .counter = 9};
    uint8_t out[RELAY_WIRE_LEN], other[RELAY_KEY_LEN];
    relay_wire_encode(&m, key, out);
    memcpy(other, key, sizeof other);
    other[31] ^= 1;
    CHECK(!relay_wire_verify(out, sizeof out, other)); /* another key */
    for (size_t i = 0; i < RELAY_WIRE_LEN; i++) {      /* every byte is covered */
        out[i] ^= 0x20;
        CHECK(!relay_wire_verify(out, sizeof out, key));
        out[i] ^= 0x20;
    }
    CHECK(!relay_wire_verify(out, sizeof out - 1, key));
}

static void test_parse_rejects(void)
{
    relay_msg_t m = {.type = RELAY_MSG_CLOSED, .side = 1, .reason = RELAY_CLOSE_IDLE};
    uint8_t out[RELAY_WIRE_LEN + 1];
    relay_msg_t back;
    relay_wire_encode(&m, key, out);
    CHECK_EQ_INT(relay_wire_parse(out, RELAY_WIRE_LEN, &back), RELAY_WIRE_LEN);
    CHECK_EQ_INT(back.reason, RELAY_CLOSE_IDLE);
    CHECK_EQ_INT(relay_wire_parse(out, RELAY_WIRE_LEN - 1, &back), -1); /* short */
    CHECK_EQ_INT(relay_wire_parse(out, RELAY_WIRE_LEN + 1, &back), -1); /* long */
    out[0] = 0x04;                                                      /* type */
    CHECK_EQ_INT(relay_wire_parse(out, RELAY_WIRE_LEN, &back), -1);
    out[0] = RELAY_MSG_BIND;
    out[1] = 2; /* version */
    CHECK_EQ_INT(relay_wire_parse(out, RELAY_WIRE_LEN, &back), -1);
    out[1] = RELAY_WIRE_VERSION;
    out[2] = 2; /* side */
    CHECK_EQ_INT(relay_wire_parse(out, RELAY_WIRE_LEN, &back), -1);
}

/* QUIC's first bytes are data (RFC 9000 §17: long 0x80|0x40, short 0x40);
 * STUN's and ours are not. */
static void test_is_data(void)
{
    uint8_t b[2] = {0xc3, 0};
    CHECK(relay_wire_is_data(b, 1));
    b[0] = 0x41;
    CHECK(relay_wire_is_data(b, 2));
    b[0] = 0x80;
    CHECK(relay_wire_is_data(b, 1));
    b[0] = 0x3f;
    CHECK(!relay_wire_is_data(b, 1));
    b[0] = 0x00;
    CHECK(!relay_wire_is_data(b, 1));
    CHECK(!relay_wire_is_data(b, 0));
    CHECK_EQ_STR(relay_close_name(RELAY_CLOSE_FREED), "freed");
    CHECK_EQ_STR(relay_close_name(99), "unknown");
}

static void test_grant_roundtrip(void)
{
    relay_grant_t g = {
        .addr = "203.0.113.5", .port = 7002, .alloc_id = 0xfedcba9876543210ull, .side = 1};
    memcpy(g.key, key, RELAY_KEY_LEN);
    json_t *frag = relay_grant_to_json(&g);
    json_t *msg = json_pack("{s:s, s:O}", "other", "x", RELAY_GRANT_KEY, frag);
    char *text = json_dumps(msg, JSON_COMPACT);
    relay_grant_t back;
    memset(&back, 0xaa, sizeof back);
    CHECK_EQ_INT(relay_grant_parse(text, strlen(text), &back), 0);
    CHECK_EQ_STR(back.addr, "203.0.113.5");
    CHECK_EQ_INT(back.port, 7002);
    CHECK(back.alloc_id == g.alloc_id);
    CHECK_EQ_INT(back.side, 1);
    CHECK(memcmp(back.key, key, RELAY_KEY_LEN) == 0);
    CHECK_EQ_STR(json_string_value(json_object_get(frag, "id")), "fedcba9876543210");
    free(text);
    json_decref(msg);
    json_decref(frag);
}

#define KEYHEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void test_grant_rejects(void)
{
    relay_grant_t g;
    static const char *const bad[] = {
        "{}",
        "{\"relay\":1}",
        "{\"relay\":{\"addr\":\"\",\"port\":0,\"id\":\"0000000000000001\",\"side\":0,\"key\":"
        "\"" KEYHEX "\"}}",
        "{\"relay\":{\"addr\":\"\",\"port\":65536,\"id\":\"0000000000000001\",\"side\":0,\"key\":"
        "\"" KEYHEX "\"}}",
        "{\"relay\":{\"addr\":\"\",\"port\":1,\"id\":\"0000000000000001\",\"side\":2,\"key\":"
        "\"" KEYHEX "\"}}",
        "{\"relay\":{\"addr\":\"\",\"port\":1,\"id\":\"000000000000001\",\"side\":0,\"key\":"
        "\"" KEYHEX "\"}}",
        "{\"relay\":{\"addr\":\"\",\"port\":1,\"id\":\"000000000000000g\",\"side\":0,\"key\":"
        "\"" KEYHEX "\"}}",
        "{\"relay\":{\"addr\":\"\",\"port\":1,\"id\":\"0000000000000001\",\"side\":0,\"key\":"
        "\"00\"}}",
        "{\"relay\":{\"addr\":\"relay.example\",\"port\":1,\"id\":\"0000000000000001\",\"side\":0,"
        "\"key\":\"" KEYHEX "\"}}",
        "{\"relay\":{\"port\":1,\"id\":\"0000000000000001\",\"side\":0,\"key\":\"" KEYHEX "\"}}",
        "{\"relay\":{\"addr\":\"\",\"port\":\"1\",\"id\":\"0000000000000001\",\"side\":0,\"key\":"
        "\"" KEYHEX "\"}}",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(relay_grant_parse(bad[i], strlen(bad[i]), &g), -1);
    static const char good[] = "{\"relay\":{\"addr\":\"\",\"port\":1,\"id\":\"0000000000000001\","
                               "\"side\":0,\"key\":\"" KEYHEX "\",\"later\":true}}";
    CHECK_EQ_INT(relay_grant_parse(good, strlen(good), &g), 0);
    CHECK_EQ_STR(g.addr, "");
    CHECK(g.alloc_id == 1);
}

int main(void)
{
    setup_key();
    RUN(test_encode_vector);
    RUN(test_verify_rejects);
    RUN(test_parse_rejects);
    RUN(test_is_data);
    RUN(test_grant_roundtrip);
    RUN(test_grant_rejects);
    return TEST_SUMMARY();
}
