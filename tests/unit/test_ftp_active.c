/* test_ftp_active: the server's bounce rule for FTP_ACTIVE_DIAL (RFC 2577
 * §3): the target must be the control connection's user, on a port not
 * below FTP_ACTIVE_MIN_PORT. */
#include <string.h>

#include "server/ftp_active.h"
#include "testlib.h"

static void test_refusal(void)
{
    CHECK(ftp_active_refusal("203.0.113.50:40000", "203.0.113.50:40001") == NULL);
    CHECK(ftp_active_refusal("[2001:db8::5]:1", "[2001:db8::5]:2121") == NULL);
    /* IPv4-mapped on one side only: the same user */
    CHECK(ftp_active_refusal("[::ffff:203.0.113.50]:1", "203.0.113.50:5000") == NULL);
    CHECK_EQ_STR(ftp_active_refusal("203.0.113.50:40000", "203.0.113.60:40001"),
                 "target is not the user's address");
    CHECK_EQ_STR(ftp_active_refusal("[2001:db8::5]:1", "[2001:db8::6]:2121"),
                 "target is not the user's address");
    CHECK_EQ_STR(ftp_active_refusal("203.0.113.50:1", "203.0.113.50:25"), "target port below 1024");
    CHECK(ftp_active_refusal("203.0.113.50:1", "203.0.113.50:1024") == NULL);
    CHECK_EQ_STR(ftp_active_refusal("203.0.113.50:1", "203.0.113.50:1023"),
                 "target port below 1024");
    CHECK_EQ_STR(ftp_active_refusal(NULL, "203.0.113.50:5000"), "bad peer");
    CHECK_EQ_STR(ftp_active_refusal("x", "203.0.113.50:5000"), "bad peer");
    CHECK_EQ_STR(ftp_active_refusal("203.0.113.50:1", "203.0.113.50"), "bad target");
    CHECK_EQ_STR(ftp_active_refusal("203.0.113.50:1", NULL), "bad target");
}

int main(void)
{
    RUN(test_refusal);
    return TEST_SUMMARY();
}
