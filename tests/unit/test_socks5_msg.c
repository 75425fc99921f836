/* test_socks5_msg: the SOCKS5 messages (plugin/socks5_msg.h) as byte
 * vectors, one comment per field: RFC 1928 greeting, request and reply,
 * RFC 1929 username/password; partial input asks for more, malformed
 * input is refused with the right code. */
#include <string.h>

#include "plugin/socks5_msg.h"
#include "net/addr.h"
#include "testlib.h"

static void test_greeting(void)
{
    unsigned offers;
    const uint8_t both[] = {0x05, /* VER */ 0x02, /* NMETHODS */ 0x00, 0x02 /* none, user/pass */};
    CHECK_EQ_INT(socks5_parse_greeting(both, sizeof both, &offers), 4);
    CHECK_EQ_INT(offers, SOCKS5_OFFERS_NONE | SOCKS5_OFFERS_USERPASS);
    for (size_t n = 0; n < sizeof both; n++) /* every prefix: more needed */
        CHECK_EQ_INT(socks5_parse_greeting(both, n, &offers), 0);
    const uint8_t gssapi[] = {0x05, 0x01, 0x01 /* GSSAPI only */};
    CHECK_EQ_INT(socks5_parse_greeting(gssapi, sizeof gssapi, &offers), 3);
    CHECK_EQ_INT(offers, 0);
    const uint8_t v4[] = {0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1, 0};
    CHECK_EQ_INT(socks5_parse_greeting(v4, sizeof v4, &offers), SOCKS5_ERR_VERSION);
    const uint8_t none[] = {0x05, 0x00 /* no methods */};
    CHECK_EQ_INT(socks5_parse_greeting(none, sizeof none, &offers), SOCKS5_ERR_BAD);
}

static void test_auth(void)
{
    socks5_auth_t a;
    const uint8_t ok[] = {0x01,                /* VER of RFC 1929 */
                          0x03, 'a', 'b', 'c', /* ULEN UNAME */
                          0x02, 'x', 'y',      /* PLEN PASSWD */
                          0x05 /* the next message's first byte */};
    CHECK_EQ_INT(socks5_parse_auth(ok, sizeof ok, &a), 8);
    CHECK_EQ_STR(a.user, "abc");
    CHECK_EQ_STR(a.pass, "xy");
    CHECK_EQ_INT(a.pass_len, 2);
    for (size_t n = 0; n < 8; n++)
        CHECK_EQ_INT(socks5_parse_auth(ok, n, &a), 0);
    const uint8_t empty[] = {0x01, 0x00, 0x00}; /* empty name and password */
    CHECK_EQ_INT(socks5_parse_auth(empty, sizeof empty, &a), 3);
    CHECK_EQ_STR(a.user, "");
    const uint8_t ver[] = {0x05, 0x01, 'a', 0x01, 'b'};
    CHECK_EQ_INT(socks5_parse_auth(ver, sizeof ver, &a), SOCKS5_ERR_VERSION);
    const uint8_t nul[] = {0x01, 0x02, 'a', 0x00, 0x01, 'b'}; /* NUL inside the name */
    CHECK_EQ_INT(socks5_parse_auth(nul, sizeof nul, &a), SOCKS5_ERR_BAD);
    uint8_t big[SOCKS5_MSG_MAX] = {0x01, 0xff};
    memset(big + 2, 'u', 255);
    big[257] = 0xff;
    memset(big + 258, 'p', 255);
    CHECK_EQ_INT(socks5_parse_auth(big, sizeof big, &a), SOCKS5_MSG_MAX); /* the largest */
    CHECK_EQ_INT(strlen(a.pass), 255);
}

static void test_request(void)
{
    socks5_req_t r;
    char t[300];
    const uint8_t v4[] = {0x05, 0x01, 0x00,       /* VER CMD=CONNECT RSV */
                          0x01, 10,   0,    0, 7, /* ATYP=IPv4 10.0.0.7 */
                          0x00, 0x50 /* port 80 */};
    CHECK_EQ_INT(socks5_parse_request(v4, sizeof v4, &r), 10);
    CHECK_EQ_INT(r.cmd, SOCKS5_CMD_CONNECT);
    CHECK_EQ_STR(r.host, "10.0.0.7");
    CHECK_EQ_INT(r.port, 80);
    for (size_t n = 0; n < sizeof v4; n++)
        CHECK_EQ_INT(socks5_parse_request(v4, n, &r), 0);
    const uint8_t v6[] = {0x05, 0x01, 0x00, 0x04,                         /* ATYP=IPv6 */
                          0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, /* 2001:db8:: */
                          0,    0,    0,    1,                            /* ...:1 */
                          0x01, 0xbb /* 443 */};
    CHECK_EQ_INT(socks5_parse_request(v6, sizeof v6, &r), 22);
    CHECK_EQ_STR(r.host, "2001:db8::1");
    socks5_req_target(&r, t, sizeof t);
    CHECK_EQ_STR(t, "[2001:db8::1]:443");
    const uint8_t dom[] = {0x05, 0x01, 0x00, 0x03,                     /* ATYP=DOMAINNAME */
                           0x07, 'e',  'x',  '.',  'l', 'a', 'n', '1', /* len 7 */
                           0x1f, 0x90 /* 8080 */};
    CHECK_EQ_INT(socks5_parse_request(dom, sizeof dom, &r), 14);
    CHECK_EQ_STR(r.host, "ex.lan1");
    CHECK_EQ_INT(r.port, 8080);
    const uint8_t bind[] = {0x05, 0x02 /* BIND */, 0x00, 0x01, 1, 2, 3, 4, 0, 21};
    CHECK_EQ_INT(socks5_parse_request(bind, sizeof bind, &r),
                 10); /* parsed; the plugin says 0x07 */
    CHECK_EQ_INT(r.cmd, SOCKS5_CMD_BIND);
    const uint8_t atyp[] = {0x05, 0x01, 0x00, 0x09, 1, 2, 3, 4, 0, 21};
    CHECK_EQ_INT(socks5_parse_request(atyp, sizeof atyp, &r), SOCKS5_ERR_ATYP);
    const uint8_t empty[] = {0x05, 0x01, 0x00, 0x03, 0x00, 0x00, 0x50};
    CHECK_EQ_INT(socks5_parse_request(empty, sizeof empty, &r), SOCKS5_ERR_BAD);
    const uint8_t nul[] = {0x05, 0x01, 0x00, 0x03, 0x02, 'a', 0x00, 0x00, 0x50};
    CHECK_EQ_INT(socks5_parse_request(nul, sizeof nul, &r), SOCKS5_ERR_BAD);
    const uint8_t ver[] = {0x04, 0x01, 0x00, 0x01, 1, 2, 3, 4, 0, 21};
    CHECK_EQ_INT(socks5_parse_request(ver, sizeof ver, &r), SOCKS5_ERR_VERSION);
}

static void test_replies(void)
{
    uint8_t out[SOCKS5_REPLY_MAX];
    CHECK_EQ_INT(socks5_write_method(out, SOCKS5_METHOD_USERPASS), 2);
    CHECK(out[0] == 5 && out[1] == 2);
    CHECK_EQ_INT(socks5_write_auth_status(out, 0), 2);
    CHECK(out[0] == 1 && out[1] != 0);
    CHECK_EQ_INT(socks5_write_reply(out, SOCKS5_REP_CMD, NULL), 10);
    const uint8_t cmd[] = {5, 7, 0, 1, 0, 0, 0, 0, 0, 0}; /* 0x07, bound 0.0.0.0:0 */
    CHECK(memcmp(out, cmd, 10) == 0);
    struct sockaddr_storage ss;
    addr_parse("192.0.2.9", 4321, &ss);
    CHECK_EQ_INT(socks5_write_reply(out, SOCKS5_REP_OK, (struct sockaddr *)&ss), 10);
    const uint8_t ok4[] = {5, 0, 0, 1, 192, 0, 2, 9, 0x10, 0xe1};
    CHECK(memcmp(out, ok4, 10) == 0);
    addr_parse("2001:db8::2", 443, &ss);
    CHECK_EQ_INT(socks5_write_reply(out, SOCKS5_REP_OK, (struct sockaddr *)&ss), 22);
    CHECK(out[3] == SOCKS5_ATYP_IPV6 && out[4] == 0x20 && out[19] == 2 && out[20] == 1 &&
          out[21] == 0xbb);
}

int main(void)
{
    RUN(test_greeting);
    RUN(test_auth);
    RUN(test_request);
    RUN(test_replies);
    return TEST_SUMMARY();
}
