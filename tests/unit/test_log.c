/* test_log: escaping of peer-supplied strings and the rate limiter. */
#include "util/log.h"

#include "testlib.h"

static void test_esc_plain(void)
{
    char b[64];
    CHECK_EQ_STR(log_esc("web-1.example", b, sizeof b), "web-1.example");
    CHECK_EQ_STR(log_esc(NULL, b, sizeof b), "-");
    CHECK_EQ_STR(log_esc("", b, sizeof b), "");
}

static void test_esc_forgery(void)
{
    char b[64];
    /* A forged key=value pair or a second line cannot survive. */
    CHECK_EQ_STR(log_esc("x user=admin", b, sizeof b), "x\\x20user\\x3dadmin");
    CHECK_EQ_STR(log_esc("a\nINFO b", b, sizeof b), "a\\x0aINFO\\x20b");
    CHECK_EQ_STR(log_esc("q\"\\", b, sizeof b), "q\\x22\\x5c");
    CHECK_EQ_STR(log_esc("\xff\x01", b, sizeof b), "\\xff\\x01");
}

static void test_esc_quoted(void)
{
    char b[64];
    /* Inside quotes spaces and '=' are harmless; a quote or a newline is not. */
    CHECK_EQ_STR(log_esc_quoted("port 80 is not allowed", b, sizeof b), "port 80 is not allowed");
    CHECK_EQ_STR(log_esc_quoted("a=b", b, sizeof b), "a=b");
    CHECK_EQ_STR(log_esc_quoted("x\" user=admin\nINFO", b, sizeof b), "x\\x22 user=admin\\x0aINFO");
    CHECK_EQ_STR(log_esc_quoted("\\\t\x7f", b, sizeof b), "\\x5c\\x09\\x7f");
    CHECK_EQ_STR(log_esc_quoted(NULL, b, sizeof b), "-");
    CHECK(strlen(LOG_ESCQ("a long reason that is cut somewhere before the buffer ends"
                          "..............................................................."
                          "..............................................................."
                          "...............................................................")) <
          LOG_ESC_MAX);
}

static void test_esc_truncates(void)
{
    char b[16];
    char big[100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *r = log_esc(big, b, sizeof b);
    CHECK(strlen(r) < sizeof b);
    CHECK(strcmp(r + strlen(r) - 3, "...") == 0);
    /* An escape is never cut in half. */
    r = log_esc("aaaaaaaaaa\n\n\n", b, sizeof b);
    CHECK(strlen(r) < sizeof b);
    CHECK(strstr(r, "...") != NULL);
    CHECK_EQ_STR(log_esc("abc", b, 4), ""); /* too small to hold anything */
    CHECK(strlen(LOG_ESC(big)) < LOG_ESC_MAX);
}

static void test_limit(void)
{
    log_limit_t rl = {0};
    int allowed = 0;
    for (int i = 0; i < 1000; i++)
        allowed += log_limit_allow(&rl);
    CHECK_EQ_INT(allowed, LOG_LIMIT_BURST);
    CHECK_EQ_INT(rl.suppressed, 1000 - LOG_LIMIT_BURST);
    log_limit_t one = {0};
    allowed = 0;
    for (int i = 0; i < 100; i++)
        allowed += log_limit_allow_n(&one, 1);
    CHECK_EQ_INT(allowed, 1);
}

int main(void)
{
    RUN(test_esc_plain);
    RUN(test_esc_forgery);
    RUN(test_esc_quoted);
    RUN(test_esc_truncates);
    RUN(test_limit);
    return TEST_SUMMARY();
}
