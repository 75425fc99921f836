/* test_addr: formatting and parsing of socket addresses (net/addr.h). */
#include <stdbool.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <uv.h>

#include "net/addr.h"
#include "testlib.h"

static const char *fmt(const char *ip, int port)
{
    static char buf[ADDR_STRLEN];
    struct sockaddr_storage ss;
    if (addr_parse(ip, port, &ss) != 0) return "parse-failed";
    return addr_format((struct sockaddr *)&ss, buf, sizeof buf);
}

static void test_ipv4(void)
{
    CHECK_EQ_STR(fmt("192.0.2.1", 7000), "192.0.2.1:7000");
    CHECK_EQ_STR(fmt("0.0.0.0", 0), "0.0.0.0:0");
    CHECK_EQ_STR(fmt("255.255.255.255", 65535), "255.255.255.255:65535");
    struct sockaddr_storage ss;
    CHECK_EQ_INT(addr_parse("10.1.2.3", 443, &ss), 0);
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    CHECK_EQ_INT(a->sin_family, AF_INET);
    CHECK_EQ_INT(ntohs(a->sin_port), 443);
    CHECK_EQ_INT(ntohl(a->sin_addr.s_addr), 0x0a010203); /* 10.1.2.3 */
    CHECK_EQ_INT(addr_port((struct sockaddr *)&ss), 443);
    char ip[ADDR_STRLEN];
    CHECK_EQ_STR(addr_ip((struct sockaddr *)&ss, ip, sizeof ip), "10.1.2.3");
}

static void test_ipv6(void)
{
    CHECK_EQ_STR(fmt("2001:db8::1", 8080), "[2001:db8::1]:8080");
    CHECK_EQ_STR(fmt("::1", 22), "[::1]:22");
    CHECK_EQ_STR(fmt("::", 0), "[::]:0");
    /* Text is canonicalised (RFC 5952): leading zeros and the longest zero
     * run compressed, lower case. */
    CHECK_EQ_STR(fmt("2001:0DB8:0000:0000:0000:0000:0000:0001", 1), "[2001:db8::1]:1");
    struct sockaddr_storage ss;
    CHECK_EQ_INT(addr_parse("fe80::1", 9, &ss), 0);
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
    CHECK_EQ_INT(a->sin6_family, AF_INET6);
    CHECK_EQ_INT(ntohs(a->sin6_port), 9);
    CHECK_EQ_INT(a->sin6_addr.s6_addr[0], 0xfe); /* fe80:: */
    CHECK_EQ_INT(a->sin6_addr.s6_addr[1], 0x80);
    CHECK_EQ_INT(a->sin6_addr.s6_addr[15], 0x01); /* ::1 */
    char ip[ADDR_STRLEN];
    CHECK_EQ_STR(addr_ip((struct sockaddr *)&ss, ip, sizeof ip), "fe80::1");
}

static void test_v4_mapped(void)
{
    /* An IPv4 peer on a dual-stack socket: ::ffff:192.0.2.7, shown as such. */
    CHECK_EQ_STR(fmt("::ffff:192.0.2.7", 5000), "[::ffff:192.0.2.7]:5000");
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(80);
    static const unsigned char mapped[16] = {0,   0,  0,   0, 0,    0,
                                             0,   0,  0,   0, 0xff, 0xff, /* prefix */
                                             198, 51, 100, 9};            /* v4 */
    memcpy(&a.sin6_addr, mapped, sizeof mapped);
    char buf[ADDR_STRLEN];
    CHECK_EQ_STR(addr_format((struct sockaddr *)&a, buf, sizeof buf), "[::ffff:198.51.100.9]:80");
}

static void test_rejects(void)
{
    struct sockaddr_storage ss;
    CHECK(addr_parse("example.com", 80, &ss) != 0);
    CHECK(addr_parse("1.2.3", 80, &ss) != 0);
    CHECK(addr_parse("[::1]", 80, &ss) != 0);
    CHECK(addr_parse("", 80, &ss) != 0);
    CHECK(addr_parse(NULL, 80, &ss) != 0);
    CHECK(addr_parse("1.2.3.4", 65536, &ss) != 0);
    CHECK(addr_parse("1.2.3.4", -1, &ss) != 0);
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    char buf[ADDR_STRLEN];
    CHECK_EQ_STR(addr_format(&unspec, buf, sizeof buf), "?");
    CHECK_EQ_STR(addr_ip(&unspec, buf, sizeof buf), "");
    CHECK_EQ_INT(addr_port(&unspec), -1);
}

static void test_truncates(void)
{
    char small[8];
    CHECK_EQ_STR(fmt("192.0.2.1", 7000), "192.0.2.1:7000");
    struct sockaddr_storage ss;
    addr_parse("192.0.2.1", 7000, &ss);
    addr_format((struct sockaddr *)&ss, small, sizeof small);
    CHECK_EQ_STR(small, "192.0.2"); /* cut, still terminated */
}

static void test_parse_text(void)
{
    struct sockaddr_storage ss;
    char buf[ADDR_STRLEN];
    CHECK_EQ_INT(addr_parse_text("203.0.113.5:443", &ss), 0);
    CHECK_EQ_STR(addr_format((struct sockaddr *)&ss, buf, sizeof buf), "203.0.113.5:443");
    CHECK_EQ_INT(addr_parse_text("[2001:db8::2]:8443", &ss), 0);
    CHECK_EQ_STR(addr_format((struct sockaddr *)&ss, buf, sizeof buf), "[2001:db8::2]:8443");
    CHECK_EQ_INT(addr_parse_text("[::ffff:192.0.2.7]:1", &ss), 0);
    CHECK_EQ_INT(ss.ss_family, AF_INET6);
    CHECK_EQ_STR(addr_format((struct sockaddr *)&ss, buf, sizeof buf), "[::ffff:192.0.2.7]:1");
    CHECK(addr_parse_text("203.0.113.5", &ss) != 0);       /* no port */
    CHECK(addr_parse_text("203.0.113.5:", &ss) != 0);      /* empty port */
    CHECK(addr_parse_text("203.0.113.5:70000", &ss) != 0); /* port too large */
    CHECK(addr_parse_text("203.0.113.5:80x", &ss) != 0);   /* trailing junk */
    CHECK(addr_parse_text("[2001:db8::2:80", &ss) != 0);   /* no closing bracket */
    CHECK(addr_parse_text("[2001:db8::2]80", &ss) != 0);   /* no colon */
    CHECK(addr_parse_text("host.example:80", &ss) != 0);   /* names are not resolved */
    CHECK(addr_parse_text("?", &ss) != 0);                 /* conn_peer's unknown */
    CHECK(addr_parse_text(NULL, &ss) != 0);
}

static bool global(const char *ip)
{
    struct sockaddr_storage ss;
    if (addr_parse(ip, 1, &ss) != 0) return false;
    return addr_is_global((struct sockaddr *)&ss);
}

static void test_is_global(void)
{
    static const char *const yes[] = {"203.0.113.10",    "198.51.100.1",       "192.0.2.1",
                                      "8.8.8.8",         "100.63.255.255",     "100.128.0.0",
                                      "172.32.0.1",      "223.255.255.255",    "2001:db8::1",
                                      "2606:4700::1111", "::ffff:203.0.113.11"};
    static const char *const no[] = {"10.1.2.3",
                                     "192.168.1.10",
                                     "172.16.0.1",
                                     "172.31.255.255",
                                     "100.64.0.1",
                                     "100.127.255.255",
                                     "127.0.0.1",
                                     "169.254.1.1",
                                     "0.0.0.0",
                                     "224.0.0.1",
                                     "255.255.255.255",
                                     "192.0.0.8",
                                     "198.18.0.1",
                                     "::1",
                                     "fe80::1",
                                     "fd00::1",
                                     "::",
                                     "::ffff:192.168.1.1"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!global(yes[i])) CHECK_EQ_STR(yes[i], "global");
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (global(no[i])) CHECK_EQ_STR(no[i], "not global");
}

static void test_unmap_v4(void)
{
    struct sockaddr_storage in, out;
    char buf[ADDR_STRLEN];
    addr_parse("::ffff:203.0.113.11", 3478, &in);
    addr_unmap_v4((struct sockaddr *)&in, &out);
    CHECK_EQ_STR(addr_format((struct sockaddr *)&out, buf, sizeof buf), "203.0.113.11:3478");
    addr_parse("2001:db8::1", 5, &in);
    addr_unmap_v4((struct sockaddr *)&in, &out);
    CHECK_EQ_STR(addr_format((struct sockaddr *)&out, buf, sizeof buf), "[2001:db8::1]:5");
}

int main(void)
{
    RUN(test_ipv4);
    RUN(test_ipv6);
    RUN(test_v4_mapped);
    RUN(test_rejects);
    RUN(test_truncates);
    RUN(test_parse_text);
    RUN(test_is_global);
    RUN(test_unmap_v4);
    return TEST_SUMMARY();
}
