/* test_wol: magic packet bytes (with and without SecureOn), the MAC and
 * password parsing tables, the subnet broadcast computation. */
#include "wol/wol.h"

#include <arpa/inet.h>
#include <errno.h>

#include "testlib.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void test_packet_plain(void)
{
    uint8_t p[WOL_PKT_MAX];
    size_t n = wol_build(MAC, NULL, 0, p, sizeof p);
    CHECK_EQ_INT(n, 102); /* 6 x 0xFF + 16 x 6 */
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(p[i], 0xFF);
    for (int r = 0; r < 16; r++)
        for (int i = 0; i < 6; i++)
            CHECK_EQ_INT(p[6 + r * 6 + i], MAC[i]);
    CHECK(wol_is_magic_for(p, n, MAC));
    uint8_t other[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
    CHECK(!wol_is_magic_for(p, n, other));
    CHECK(!wol_is_magic_for(p, n - 1, MAC));          /* the 16th copy cut short */
    CHECK_EQ_INT(wol_build(MAC, NULL, 0, p, 101), 0); /* too small */
}

static void test_packet_secureon(void)
{
    uint8_t p[WOL_PKT_MAX], pw6[6] = {1, 2, 3, 4, 5, 6}, pw4[4] = {192, 168, 1, 9};
    CHECK_EQ_INT(wol_build(MAC, pw6, 6, p, sizeof p), 108);
    CHECK(memcmp(p + 102, pw6, 6) == 0);
    CHECK_EQ_INT(wol_build(MAC, pw4, 4, p, sizeof p), 106);
    CHECK(memcmp(p + 102, pw4, 4) == 0);
    CHECK(wol_is_magic_for(p, 106, MAC));
    CHECK_EQ_INT(wol_build(MAC, pw6, 5, p, sizeof p), 0); /* 4 or 6 only */
    CHECK_EQ_INT(wol_build(MAC, pw6, 6, p, 107), 0);
}

static void test_magic_inside_frame(void)
{
    uint8_t f[200] = {0};
    wol_build(MAC, NULL, 0, f + 37, sizeof f - 37);
    CHECK(wol_is_magic_for(f, sizeof f, MAC));
}

static const struct mac_case {
    const char *in;
    int ok;
    const char *why; /* a word the error must contain */
} MAC_CASES[] = {
    {"52:54:00:12:34:56", 1, NULL},
    {"52-54-00-12-34-56", 1, NULL},
    {"525400123456", 1, NULL},
    {"52:54:00:12:34:56", 1, NULL},
    {"", 0, "empty"},
    {"52:54:00:12:34", 0, "length"},
    {"52:54:00:12:34:56:78", 0, "length"},
    {"52:54-00:12:34:56", 0, "separators"},
    {"52.54.00.12.34.56", 0, "separator"},
    {"52:54:00:12:34:5g", 0, "hex"},
    {"5254001234", 0, "hex digits"},
    {"5254001234567", 0, "hex digits"},
    {"ff:ff:ff:ff:ff:ff", 0, "group"},
    {"01:00:5e:00:00:01", 0, "group"},
    {"52:54:00:12:34:5", 0, "length"},
};

static void test_mac_table(void)
{
    for (size_t i = 0; i < sizeof MAC_CASES / sizeof MAC_CASES[0]; i++) {
        const struct mac_case *c = &MAC_CASES[i];
        uint8_t m[6] = {0};
        const char *why = NULL;
        int rc = wol_parse_mac(c->in, m, &why);
        if (c->ok) {
            CHECK_EQ_INT(rc, 0);
            CHECK(memcmp(m, MAC, 6) == 0);
        } else {
            CHECK_EQ_INT(rc, -EINVAL);
            if (!why || !strstr(why, c->why))
                fprintf(stderr, "case '%s': why='%s', want '%s'\n", c->in, why ? why : "", c->why);
            CHECK(why && strstr(why, c->why));
        }
    }
    uint8_t m[6];
    CHECK_EQ_INT(wol_parse_mac("AA:bb:CC:dd:EE:0f", m, NULL), 0);
    CHECK(m[0] == 0xAA && m[5] == 0x0F);
    char buf[18];
    CHECK_EQ_STR(wol_mac_str(m, buf, sizeof buf), "aa:bb:cc:dd:ee:0f");
}

static void test_password(void)
{
    uint8_t pw[6];
    size_t len = 0;
    const char *why = NULL;
    CHECK_EQ_INT(wol_parse_password("01:02:03:04:05:06", pw, &len, &why), 0);
    CHECK_EQ_INT(len, 6);
    CHECK(pw[0] == 1 && pw[5] == 6);
    CHECK_EQ_INT(wol_parse_password("192.168.1.9", pw, &len, &why), 0);
    CHECK_EQ_INT(len, 4);
    CHECK(pw[0] == 192 && pw[3] == 9);
    CHECK_EQ_INT(wol_parse_password("c0a80109", pw, &len, &why), 0);
    CHECK_EQ_INT(len, 4);
    CHECK(pw[0] == 0xc0 && pw[3] == 9);
    /* A group-bit password is fine: it is not an address. */
    CHECK_EQ_INT(wol_parse_password("ffffffffffff", pw, &len, &why), 0);
    CHECK_EQ_INT(wol_parse_password("1.2.3", pw, &len, &why), -EINVAL);
    CHECK_EQ_INT(wol_parse_password("0102030405", pw, &len, &why), -EINVAL);
    CHECK_EQ_INT(wol_parse_password("", pw, &len, &why), -EINVAL);
}

static uint32_t ip(const char *s)
{
    struct in_addr a;
    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

static void test_broadcast(void)
{
    CHECK_EQ_INT(wol_subnet_broadcast(ip("192.168.1.2"), ip("255.255.255.0")), ip("192.168.1.255"));
    CHECK_EQ_INT(wol_subnet_broadcast(ip("10.1.2.3"), ip("255.0.0.0")), ip("10.255.255.255"));
    CHECK_EQ_INT(wol_subnet_broadcast(ip("172.16.5.9"), ip("255.255.252.0")), ip("172.16.7.255"));
    CHECK_EQ_INT(wol_subnet_broadcast(ip("10.0.0.1"), ip("255.255.255.252")), ip("10.0.0.3"));
    CHECK_EQ_INT(wol_subnet_broadcast(ip("10.0.0.1"), ip("255.255.255.254")), 0); /* /31 */
    CHECK_EQ_INT(wol_subnet_broadcast(ip("10.0.0.1"), ip("255.255.255.255")), 0); /* /32 */
}

int main(void)
{
    RUN(test_packet_plain);
    RUN(test_packet_secureon);
    RUN(test_magic_inside_frame);
    RUN(test_mac_table);
    RUN(test_password);
    RUN(test_broadcast);
    return TEST_SUMMARY();
}
