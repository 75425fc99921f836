/* test_ftp_rewrite: the FTP control line assembler (split input, overlong
 * lines), the 227/229 parsers against vsftpd's and ProFTPD's real answers and
 * malformed ones, the formatters' round trip, command classification. */
#include <string.h>

#include "ftp/ftp_rewrite.h"
#include "testlib.h"

static void test_lines(void)
{
    ftp_lines_t l = {0};
    const char *in = "220 hi\r\nUSER a";
    size_t n = strlen(in), used = ftp_lines_take(&l, (const uint8_t *)in, n);
    CHECK_EQ_INT(used, 8);
    CHECK(ftp_lines_ready(&l) && l.whole && l.len == 8);
    ftp_lines_reset(&l);
    used += ftp_lines_take(&l, (const uint8_t *)in + used, n - used);
    CHECK_EQ_INT(used, n);
    CHECK(!ftp_lines_ready(&l));
    used = ftp_lines_take(&l, (const uint8_t *)"\n", 1);
    CHECK(l.whole && l.len == 7 && memcmp(l.buf, "USER a\n", 7) == 0);
    ftp_lines_reset(&l);

    /* An overlong line comes out in FTP_LINE_MAX pieces, marked. */
    uint8_t big[FTP_LINE_MAX + 10];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\n';
    used = ftp_lines_take(&l, big, sizeof big);
    CHECK_EQ_INT(used, FTP_LINE_MAX);
    CHECK(ftp_lines_ready(&l) && !l.whole && !l.overlong);
    ftp_lines_reset(&l);
    CHECK(l.overlong);
    used = ftp_lines_take(&l, big + FTP_LINE_MAX, 10);
    CHECK(l.whole && l.overlong && l.len == 10);
    ftp_lines_reset(&l);
    CHECK(!l.overlong);
}

static void test_227(void)
{
    uint8_t ip[4];
    uint16_t port = 0;
    static const char vsftpd[] = "227 Entering Passive Mode (192,168,1,2,117,49).\r\n";
    CHECK_EQ_INT(ftp_parse_227(vsftpd, strlen(vsftpd), ip, &port), 0);
    CHECK(ip[0] == 192 && ip[1] == 168 && ip[2] == 1 && ip[3] == 2);
    CHECK_EQ_INT(port, 117 * 256 + 49);
    /* RFC 1123 §4.1.2.6: no parentheses, text before the numbers. */
    static const char bare[] = "227 =10,0,0,9,4,1\r\n";
    CHECK_EQ_INT(ftp_parse_227(bare, strlen(bare), ip, &port), 0);
    CHECK(ip[3] == 9 && port == 1025);
    /* A number run that fails is skipped for a later one. */
    static const char two[] = "227 v2,1 ok (1,2,3,4,0,21)\r\n";
    CHECK_EQ_INT(ftp_parse_227(two, strlen(two), ip, &port), 0);
    CHECK(ip[0] == 1 && port == 21);
    static const char *const bad[] = {
        "227-Entering Passive Mode (1,2,3,4,5,6)\r\n",
        "228 Entering (1,2,3,4,5,6)\r\n",
        "227 Entering Passive Mode (1,2,3,256,5,6)\r\n",
        "227 (1,2,3,4,5)\r\n",
        "227 (1,2,3,4,0,0)\r\n",
        "227",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(ftp_parse_227(bad[i], strlen(bad[i]), ip, &port), -1);
}

static void test_229(void)
{
    uint16_t port = 0;
    static const char vsftpd[] = "229 Entering Extended Passive Mode (|||30004|)\r\n";
    CHECK_EQ_INT(ftp_parse_229(vsftpd, strlen(vsftpd), &port), 0);
    CHECK_EQ_INT(port, 30004);
    static const char bang[] = "229 ok (!!!21!)\r\n";
    CHECK_EQ_INT(ftp_parse_229(bang, strlen(bang), &port), 0);
    CHECK_EQ_INT(port, 21);
    static const char *const bad[] = {
        "229 (|||70000|)\r\n", "229 (||30004|)\r\n", "229 (|!|30004|)\r\n", "229 (|||0|)\r\n",
        "229 (|||30004|\r\n",  "229 (|||30004",      "229 no parens\r\n",   "229-(|||1|)\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(ftp_parse_229(bad[i], strlen(bad[i]), &port), -1);
}

static void test_format(void)
{
    char out[128];
    const uint8_t ip[4] = {203, 0, 113, 7};
    size_t n = ftp_format_227(out, sizeof out, ip, 40001);
    CHECK_EQ_STR(out, "227 Entering Passive Mode (203,0,113,7,156,65).\r\n");
    uint8_t ip2[4];
    uint16_t port = 0;
    CHECK_EQ_INT(ftp_parse_227(out, n, ip2, &port), 0);
    CHECK(memcmp(ip, ip2, 4) == 0 && port == 40001);
    n = ftp_format_229(out, sizeof out, 40001);
    CHECK_EQ_STR(out, "229 Entering Extended Passive Mode (|||40001|)\r\n");
    CHECK_EQ_INT(ftp_parse_229(out, n, &port), 0);
    CHECK_EQ_INT(ftp_format_227(out, 10, ip, 1), 0);
    CHECK_EQ_INT(ftp_format_229(out, 10, 1), 0);
}

static void test_commands(void)
{
    CHECK(ftp_command("AUTH TLS\r\n", 10) == FTP_CMD_AUTH);
    CHECK(ftp_command("auth ssl\r\n", 10) == FTP_CMD_AUTH);
    CHECK(ftp_command("PORT 1,2,3,4,5,6\r\n", 18) == FTP_CMD_PORT);
    CHECK(ftp_command("eprt |1|1.2.3.4|5|\r\n", 20) == FTP_CMD_EPRT);
    CHECK(ftp_command("PASV\r\n", 6) == FTP_CMD_OTHER);
    CHECK(ftp_command("AUTHX\r\n", 7) == FTP_CMD_OTHER);
    CHECK(ftp_command("AUT", 3) == FTP_CMD_OTHER);
    CHECK(ftp_command("PORT", 4) == FTP_CMD_PORT);
}

static int port_of(const char *line, ftp_hostport_t *hp)
{
    return ftp_parse_port(line, strlen(line), hp);
}

static int eprt_of(const char *line, ftp_hostport_t *hp)
{
    return ftp_parse_eprt(line, strlen(line), hp);
}

static void test_port(void)
{
    ftp_hostport_t hp;
    CHECK_EQ_INT(port_of("PORT 198,51,100,7,156,65\r\n", &hp), 0);
    CHECK_EQ_STR(hp.addr, "198.51.100.7");
    CHECK(hp.af == 1 && hp.port == 40001);
    CHECK_EQ_INT(port_of("port  10,0,0,1,0,21\r\n", &hp), 0); /* case, spaces */
    CHECK(hp.port == 21);
    CHECK_EQ_INT(port_of("PORT 1,2,3,4,0,0\r\n", &hp), -1);   /* port 0 */
    CHECK_EQ_INT(port_of("PORT 1,2,3,256,1,1\r\n", &hp), -1); /* > 255 */
    CHECK_EQ_INT(port_of("PORT 1,2,3,4,5\r\n", &hp), -1);     /* five numbers */
    CHECK_EQ_INT(port_of("PORT 1,2,3,4,5,6,7\r\n", &hp), -1); /* seven */
    CHECK_EQ_INT(port_of("PORT 1,2,3,4,5,6x\r\n", &hp), -1);  /* trailing junk */
    CHECK_EQ_INT(port_of("PORT\r\n", &hp), -1);
    CHECK_EQ_INT(port_of("PORTS 1,2,3,4,5,6\r\n", &hp), -1);
    CHECK_EQ_INT(port_of("EPRT |1|1.2.3.4|5|\r\n", &hp), -1);
}

static void test_eprt(void)
{
    ftp_hostport_t hp;
    /* RFC 2428 §2's examples. */
    CHECK_EQ_INT(eprt_of("EPRT |1|132.235.1.2|6275|\r\n", &hp), 0);
    CHECK(hp.af == 1 && hp.port == 6275);
    CHECK_EQ_STR(hp.addr, "132.235.1.2");
    CHECK_EQ_INT(eprt_of("EPRT |2|1080::8:800:200C:417A|5282|\r\n", &hp), 0);
    CHECK(hp.af == 2 && hp.port == 5282);
    CHECK_EQ_STR(hp.addr, "1080::8:800:200C:417A");
    CHECK_EQ_INT(eprt_of("eprt !1!10.0.0.1!2121!\r\n", &hp), 0); /* another delimiter */
    CHECK_EQ_INT(eprt_of("EPRT |3|1.2.3.4|5|\r\n", &hp), -1);    /* af */
    CHECK_EQ_INT(eprt_of("EPRT |1|1.2.3.4|0|\r\n", &hp), -1);    /* port 0 */
    CHECK_EQ_INT(eprt_of("EPRT |1|1.2.3.4|70000|\r\n", &hp), -1);
    CHECK_EQ_INT(eprt_of("EPRT |1|a::1|5|\r\n", &hp), -1);   /* hex in IPv4 */
    CHECK_EQ_INT(eprt_of("EPRT |1||5|\r\n", &hp), -1);       /* no address */
    CHECK_EQ_INT(eprt_of("EPRT |1|1.2.3.4|5\r\n", &hp), -1); /* unclosed */
    CHECK_EQ_INT(eprt_of("EPRT 1|1.2.3.4|5|\r\n", &hp), -1); /* digit delimiter */
    CHECK_EQ_INT(eprt_of("EPRT |1|1.2.3.4|5|junk\r\n", &hp), -1);
    CHECK_EQ_INT(eprt_of("EPRT |1|1111111111111111111111111111111111111111111111111|5|\r\n", &hp),
                 -1); /* longer than the address field */
}

static void test_format_active(void)
{
    char out[128];
    ftp_hostport_t hp = {.af = 1, .addr = "192.168.1.3", .port = 40001}, back;
    size_t n = ftp_format_active(out, sizeof out, &hp, false);
    CHECK_EQ_STR(out, "PORT 192,168,1,3,156,65\r\n");
    CHECK_EQ_INT(ftp_parse_port(out, n, &back), 0);
    CHECK(back.port == 40001 && strcmp(back.addr, hp.addr) == 0);
    n = ftp_format_active(out, sizeof out, &hp, true);
    CHECK_EQ_STR(out, "EPRT |1|192.168.1.3|40001|\r\n");
    CHECK_EQ_INT(ftp_parse_eprt(out, n, &back), 0);
    hp = (ftp_hostport_t){.af = 2, .addr = "fd00::3", .port = 2121};
    CHECK(ftp_format_active(out, sizeof out, &hp, false) > 0); /* IPv6: EPRT always */
    CHECK_EQ_STR(out, "EPRT |2|fd00::3|2121|\r\n");
    CHECK_EQ_INT(ftp_format_active(out, 12, &hp, true), 0);
}

int main(void)
{
    RUN(test_lines);
    RUN(test_227);
    RUN(test_229);
    RUN(test_format);
    RUN(test_commands);
    RUN(test_port);
    RUN(test_eprt);
    RUN(test_format_active);
    return TEST_SUMMARY();
}
