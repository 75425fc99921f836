/* test_src_limit: per-source connection counting, its bound, IPv6 /64 keys. */
#include "net/src_limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "testlib.h"

static struct sockaddr_in v4(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6 v6(const char *ip)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(1)};
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void test_counts_per_address(void)
{
    src_limit_t *t = src_limit_create(4);
    struct sockaddr_in a1 = v4("203.0.113.5", 1000), a2 = v4("203.0.113.5", 2000);
    struct sockaddr_in b = v4("203.0.113.6", 1000);
    CHECK_EQ_INT(src_limit_acquire(t, SA(a1)), 1);
    CHECK_EQ_INT(src_limit_acquire(t, SA(a2)), 2); /* the port does not matter */
    CHECK_EQ_INT(src_limit_acquire(t, SA(b)), 1);
    CHECK_EQ_INT(src_limit_sources(t), 2);
    src_limit_release(t, SA(a1));
    CHECK_EQ_INT(src_limit_count(t, SA(a2)), 1);
    src_limit_release(t, SA(a2));
    CHECK_EQ_INT(src_limit_count(t, SA(a2)), 0);
    CHECK_EQ_INT(src_limit_sources(t), 1);
    src_limit_release(t, SA(a2)); /* an extra release is harmless */
    CHECK_EQ_INT(src_limit_sources(t), 1);
    src_limit_destroy(t);
}

static void test_table_bound(void)
{
    src_limit_t *t = src_limit_create(100);
    char ip[32];
    for (int i = 0; i < 100; i++) {
        snprintf(ip, sizeof ip, "10.0.%d.%d", i / 250, i % 250 + 1);
        struct sockaddr_in a = v4(ip, 1);
        CHECK_EQ_INT(src_limit_acquire(t, SA(a)), 1);
    }
    struct sockaddr_in extra = v4("198.51.100.1", 1), known = v4("10.0.0.1", 9);
    CHECK_EQ_INT(src_limit_acquire(t, SA(extra)), -1); /* full: refused, not counted */
    CHECK_EQ_INT(src_limit_acquire(t, SA(known)), 2);  /* known sources still count */
    src_limit_release(t, SA(known));
    src_limit_release(t, SA(known));
    CHECK_EQ_INT(src_limit_acquire(t, SA(extra)), 1); /* a freed entry is reused */
    CHECK_EQ_INT(src_limit_sources(t), 100);
    src_limit_destroy(t);
}

static void test_ipv6_prefix(void)
{
    src_limit_t *t = src_limit_create(8);
    struct sockaddr_in6 a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9");
    struct sockaddr_in6 c = v6("2001:db8:1:3::1"), m = v6("::ffff:203.0.113.5");
    struct sockaddr_in m4 = v4("203.0.113.5", 7);
    CHECK_EQ_INT(src_limit_acquire(t, SA(a)), 1);
    CHECK_EQ_INT(src_limit_acquire(t, SA(b)), 2); /* same /64 */
    CHECK_EQ_INT(src_limit_acquire(t, SA(c)), 1);
    CHECK_EQ_INT(src_limit_acquire(t, SA(m4)), 1);
    CHECK_EQ_INT(src_limit_acquire(t, SA(m)), 2); /* v4-mapped is the v4 address */
    struct sockaddr un = {.sa_family = AF_UNIX};
    CHECK_EQ_INT(src_limit_acquire(t, &un), -1);
    src_limit_destroy(t);
    src_limit_destroy(NULL);
}

/* Many sources in, all out: the table ends empty and reusable. */
static void test_churn(void)
{
    src_limit_t *t = src_limit_create(1000);
    char ip[32];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) {
            snprintf(ip, sizeof ip, "100.64.%d.%d", i / 200, i % 200);
            struct sockaddr_in a = v4(ip, round);
            CHECK(src_limit_acquire(t, SA(a)) == 1);
        }
        for (int i = 999; i >= 0; i--) {
            snprintf(ip, sizeof ip, "100.64.%d.%d", i / 200, i % 200);
            struct sockaddr_in a = v4(ip, round);
            src_limit_release(t, SA(a));
        }
        CHECK_EQ_INT(src_limit_sources(t), 0);
    }
    src_limit_destroy(t);
}

int main(void)
{
    RUN(test_counts_per_address);
    RUN(test_table_bound);
    RUN(test_ipv6_prefix);
    RUN(test_churn);
    return TEST_SUMMARY();
}
