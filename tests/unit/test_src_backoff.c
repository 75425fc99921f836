/* test_src_backoff: free failures, growth and cap of the back-off, success,
 * expiry, and the table's bound. */
#include "net/src_backoff.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "testlib.h"

static struct sockaddr_in v4(const char *ip)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void test_grows_and_caps(void)
{
    src_backoff_t *t = src_backoff_create(64);
    struct sockaddr_in a = v4("203.0.113.5"), b = v4("203.0.113.6");
    uint64_t now = 1000;
    for (int i = 0; i < SRC_BACKOFF_FREE; i++)
        CHECK_EQ_INT((int)src_backoff_fail(t, SA(a), now), 0);
    CHECK_EQ_INT((int)src_backoff_wait(t, SA(a), now), 0);
    CHECK_EQ_INT((int)src_backoff_fail(t, SA(a), now), SRC_BACKOFF_BASE_MS);
    CHECK_EQ_INT((int)src_backoff_wait(t, SA(a), now + 500), SRC_BACKOFF_BASE_MS - 500);
    CHECK_EQ_INT((int)src_backoff_wait(t, SA(b), now), 0); /* others are not affected */
    CHECK_EQ_INT((int)src_backoff_fail(t, SA(a), now), 2 * SRC_BACKOFF_BASE_MS);
    uint64_t d = 0;
    for (int i = 0; i < 40; i++)
        d = src_backoff_fail(t, SA(a), now);
    CHECK_EQ_INT((int)d, SRC_BACKOFF_MAX_MS);
    CHECK_EQ_INT((int)src_backoff_wait(t, SA(a), now + SRC_BACKOFF_MAX_MS), 0);
    src_backoff_success(t, SA(a));
    CHECK_EQ_INT(src_backoff_failures(t, SA(a), now), 0);
    CHECK_EQ_INT((int)src_backoff_fail(t, SA(a), now), 0);
    src_backoff_destroy(t);
}

static void test_forgets(void)
{
    src_backoff_t *t = src_backoff_create(8);
    struct sockaddr_in a = v4("198.51.100.1");
    for (int i = 0; i < SRC_BACKOFF_FREE + 2; i++)
        src_backoff_fail(t, SA(a), 5000);
    CHECK(src_backoff_wait(t, SA(a), 5000) > 0);
    CHECK_EQ_INT(src_backoff_failures(t, SA(a), 5000 + SRC_BACKOFF_FORGET_MS), 0);
    CHECK_EQ_INT((int)src_backoff_fail(t, SA(a), 5000 + SRC_BACKOFF_FORGET_MS), 0);
    src_backoff_destroy(t);
}

/* Many sources: the table never grows, and stale entries give way first. */
static void test_bounded(void)
{
    src_backoff_t *t = src_backoff_create(16);
    struct sockaddr_in a = v4("192.0.2.1");
    for (int i = 0; i < SRC_BACKOFF_FREE + 1; i++)
        src_backoff_fail(t, SA(a), 100000);
    int barred = 0;
    char ip[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(ip, sizeof ip, "10.%d.%d.1", i / 250, i % 250);
        struct sockaddr_in x = v4(ip);
        src_backoff_fail(t, SA(x), 100000);
        barred += src_backoff_failures(t, SA(x), 100000) == 1;
    }
    CHECK_EQ_INT(barred, 5000); /* each new source got an entry */
    src_backoff_destroy(t);
}

int main(void)
{
    RUN(test_grows_and_caps);
    RUN(test_forgets);
    RUN(test_bounded);
    return TEST_SUMMARY();
}
