/* test_secret_gone: remembered names, the owner's return, expiry, renewal,
 * long names, and the bound (SECRET_GONE_MAX on the server's own size). */
#include "server/secret_gone.h"

#include <stdio.h>

#include "testlib.h"

static void test_remembers_and_forgets(void)
{
    secret_gone_t *g = secret_gone_create(8, 1000);
    CHECK(!secret_gone_has(g, "alice.db", 0));
    CHECK_EQ_INT(secret_gone_add(g, "alice.db", 100), 0);
    CHECK(secret_gone_has(g, "alice.db", 100));
    CHECK(!secret_gone_has(g, "alice.d", 100)); /* whole names only */
    CHECK(!secret_gone_has(g, "alice.dbx", 100));
    secret_gone_forget(g, "alice.db"); /* the owner is back */
    CHECK(!secret_gone_has(g, "alice.db", 100));
    CHECK_EQ_INT(secret_gone_count(g), 0);
    secret_gone_forget(g, "never-added");
    secret_gone_destroy(g);
    secret_gone_destroy(NULL);
}

static void test_expires_and_renews(void)
{
    secret_gone_t *g = secret_gone_create(8, 1000);
    secret_gone_add(g, "a", 100);
    CHECK(secret_gone_has(g, "a", 1099));
    CHECK(!secret_gone_has(g, "a", 1100));
    CHECK_EQ_INT(secret_gone_count(g), 0); /* dropped on the lookup */
    secret_gone_add(g, "b", 100);
    secret_gone_add(g, "b", 900); /* gone again: the time is renewed */
    CHECK_EQ_INT(secret_gone_count(g), 1);
    CHECK(secret_gone_has(g, "b", 1500));
    secret_gone_destroy(g);
}

static void test_long_names(void)
{
    char a[300], b[300];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[200] = 'y'; /* differs only beyond what is kept */
    secret_gone_t *g = secret_gone_create(4, 1000);
    secret_gone_add(g, a, 0);
    CHECK(secret_gone_has(g, a, 0));
    CHECK(secret_gone_has(g, b, 0));
    a[SECRET_GONE_NAME_MAX - 2] = '\0'; /* shorter than what is kept */
    CHECK(!secret_gone_has(g, a, 0));
    secret_gone_destroy(g);
}

/* A full table: expired entries give way first, then the one gone longest. */
static void test_bound_small(void)
{
    secret_gone_t *g = secret_gone_create(3, 1000);
    secret_gone_add(g, "old", 0);
    secret_gone_add(g, "mid", 500);
    secret_gone_add(g, "new", 600);
    secret_gone_add(g, "x", 1200); /* "old" expired at 1000 */
    CHECK_EQ_INT(secret_gone_count(g), 3);
    CHECK(secret_gone_has(g, "mid", 1200) && secret_gone_has(g, "new", 1200));
    CHECK(secret_gone_has(g, "x", 1200) && !secret_gone_has(g, "old", 1200));
    secret_gone_add(g, "y", 1300); /* nothing expired: "mid" goes */
    CHECK_EQ_INT(secret_gone_count(g), 3);
    CHECK(!secret_gone_has(g, "mid", 1300));
    CHECK(secret_gone_has(g, "new", 1300) && secret_gone_has(g, "y", 1300));
    secret_gone_destroy(g);
}

static void test_bound_server(void)
{
    secret_gone_t *g = secret_gone_create(SECRET_GONE_MAX, SECRET_GONE_MS);
    char name[32];
    for (int i = 0; i < SECRET_GONE_MAX + 10; i++) {
        snprintf(name, sizeof name, "u.p%d", i);
        CHECK_EQ_INT(secret_gone_add(g, name, (uint64_t)i), 0);
    }
    CHECK_EQ_INT(secret_gone_count(g), SECRET_GONE_MAX);
    int kept = 0;
    for (int i = 0; i < SECRET_GONE_MAX + 10; i++) {
        snprintf(name, sizeof name, "u.p%d", i);
        kept += secret_gone_has(g, name, SECRET_GONE_MAX + 10);
    }
    CHECK_EQ_INT(kept, SECRET_GONE_MAX);
    CHECK(!secret_gone_has(g, "u.p0", SECRET_GONE_MAX + 10)); /* the oldest went */
    CHECK(secret_gone_has(g, "u.p10", SECRET_GONE_MAX + 10));
    secret_gone_destroy(g);
}

int main(void)
{
    RUN(test_remembers_and_forgets);
    RUN(test_expires_and_renews);
    RUN(test_long_names);
    RUN(test_bound_small);
    RUN(test_bound_server);
    return TEST_SUMMARY();
}
