/* test_lb_group: the server's load-balancing groups (server/lb_group.h):
 * create and join, the key (wrong, empty), round robin, leaving (the turn
 * kept, the group freed with its last member), the size bound and names. */
#include <stdio.h>
#include <string.h>

#include "server/lb_group.h"
#include "testlib.h"

static int a, b, c, d; /* members are opaque pointers */

static void test_join_and_round_robin(void)
{
    lb_groups_t t = {0};
    lb_group_t *g = NULL, *g2 = NULL;
    CHECK_EQ_INT(lb_group_join(&t, "web", "k", &a, &g), LB_CREATED);
    CHECK_EQ_INT(lb_group_join(&t, "web", "k", &b, &g2), LB_JOINED);
    CHECK(g == g2 && g->n == 2 && t.n == 1);
    CHECK_EQ_INT(lb_group_join(&t, "web", "k", &b, &g2), LB_JOINED); /* once only */
    CHECK_EQ_INT(g->n, 2);
    CHECK(lb_groups_find(&t, "web") == g && lb_groups_find(&t, "other") == NULL);
    void *seen[6];
    for (int i = 0; i < 6; i++)
        seen[i] = lb_group_next(g);
    CHECK(seen[0] == &a && seen[1] == &b && seen[2] == &a && seen[3] == &b);
    CHECK(seen[4] == &a && seen[5] == &b);
    CHECK_EQ_INT(lb_group_leave(&t, g, &a), 1);
    CHECK(lb_group_next(g) == &b && lb_group_next(g) == &b);
    CHECK_EQ_INT(lb_group_leave(&t, g, &b), 0); /* freed */
    CHECK(t.head == NULL && t.n == 0);
}

static void test_wrong_key(void)
{
    lb_groups_t t = {0};
    lb_group_t *g = NULL, *other = NULL;
    CHECK_EQ_INT(lb_group_join(&t, "g", "secret", &a, &g), LB_CREATED);
    CHECK_EQ_INT(lb_group_join(&t, "g", "Secret", &b, &other), LB_ERR_KEY);
    CHECK_EQ_INT(lb_group_join(&t, "g", "secret2", &b, &other), LB_ERR_KEY);
    CHECK_EQ_INT(lb_group_join(&t, "g", NULL, &b, &other), LB_ERR_KEY);
    CHECK(other == NULL && g->n == 1);
    CHECK(lb_group_key_ok(g, "secret") && !lb_group_key_ok(g, ""));
    CHECK_EQ_INT(lb_group_leave(&t, g, &a), 0);
    /* an empty key is a key like any other; NULL is "" */
    CHECK_EQ_INT(lb_group_join(&t, "open", NULL, &a, &g), LB_CREATED);
    CHECK_EQ_INT(lb_group_join(&t, "open", "", &b, &other), LB_JOINED);
    CHECK_EQ_INT(lb_group_join(&t, "open", "x", &c, &other), LB_ERR_KEY);
    lb_group_leave(&t, g, &a);
    CHECK_EQ_INT(lb_group_leave(&t, g, &b), 0);
}

/* Leaving keeps the turn: the member after the one that left is next. */
static void test_leave_keeps_turn(void)
{
    lb_groups_t t = {0};
    lb_group_t *g = NULL;
    lb_group_join(&t, "g", "k", &a, &g);
    lb_group_join(&t, "g", "k", &b, &g);
    lb_group_join(&t, "g", "k", &c, &g);
    lb_group_join(&t, "g", "k", &d, &g);
    CHECK(lb_group_next(g) == &a && lb_group_next(g) == &b); /* c is next */
    CHECK_EQ_INT(lb_group_leave(&t, g, &a), 3);              /* before the turn */
    CHECK(lb_group_next(g) == &c);                           /* d is next */
    CHECK_EQ_INT(lb_group_leave(&t, g, &d), 2);              /* at the turn, the last */
    CHECK(lb_group_next(g) == &b && lb_group_next(g) == &c);
    CHECK_EQ_INT(lb_group_leave(&t, g, &a), 2); /* not a member: nothing */
    lb_group_leave(&t, g, &b);
    CHECK_EQ_INT(lb_group_leave(&t, g, &c), 0);
}

/* LB_GROUP_MEMBERS_MAX members, and the next one is refused. */
static void test_bound(void)
{
    lb_groups_t t = {0};
    static int m[LB_GROUP_MEMBERS_MAX + 1];
    lb_group_t *g = NULL, *x = NULL;
    for (int i = 0; i < LB_GROUP_MEMBERS_MAX; i++)
        CHECK(lb_group_join(&t, "big", "k", &m[i], &g) >= 0);
    CHECK_EQ_INT(g->n, LB_GROUP_MEMBERS_MAX);
    CHECK_EQ_INT(lb_group_join(&t, "big", "k", &m[LB_GROUP_MEMBERS_MAX], &x), LB_ERR_FULL);
    CHECK(x == NULL);
    CHECK_EQ_INT(lb_group_leave(&t, g, &m[3]), LB_GROUP_MEMBERS_MAX - 1);
    CHECK_EQ_INT(lb_group_join(&t, "big", "k", &m[LB_GROUP_MEMBERS_MAX], &x), LB_JOINED);
    for (int i = 0; i <= LB_GROUP_MEMBERS_MAX; i++)
        if (i != 3) lb_group_leave(&t, g, &m[i]);
    CHECK(t.head == NULL);
}

static void test_names(void)
{
    lb_groups_t t = {0};
    lb_group_t *g = NULL, *h = NULL;
    char long_name[LB_GROUP_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK_EQ_INT(lb_group_join(&t, "", "k", &a, &g), LB_ERR_NAME);
    CHECK_EQ_INT(lb_group_join(&t, NULL, "k", &a, &g), LB_ERR_NAME);
    CHECK_EQ_INT(lb_group_join(&t, long_name, "k", &a, &g), LB_ERR_NAME);
    long_name[LB_GROUP_NAME_MAX] = '\0';
    CHECK_EQ_INT(lb_group_join(&t, long_name, "k", &a, &g), LB_CREATED);
    CHECK_EQ_INT(lb_group_join(&t, "two", "k", &b, &h), LB_CREATED); /* separate groups */
    CHECK(g != h && t.n == 2 && lb_group_next(h) == &b);
    lb_group_leave(&t, g, &a);
    lb_group_leave(&t, h, &b);
    CHECK(t.n == 0);
}

/* The refusals a client reads, the group name escaped (a peer's string). */
static void test_join_errors(void)
{
    char err[160];
    CHECK_EQ_INT(lb_group_join_error(LB_ERR_KEY, "web", err, sizeof err), -1);
    CHECK_EQ_STR(err, "wrong groupKey for load-balancing group web");
    lb_group_join_error(LB_ERR_FULL, "web", err, sizeof err);
    CHECK_EQ_STR(err, "load-balancing group web is full (32 proxies)");
    lb_group_join_error(LB_ERR_NAME, "", err, sizeof err);
    CHECK_EQ_STR(err, "invalid group name");
    lb_group_join_error(LB_ERR_KEY, "a b\n", err, sizeof err);
    CHECK(strchr(err, '\n') == NULL && strstr(err, "a b") == NULL);
}

int main(void)
{
    RUN(test_join_and_round_robin);
    RUN(test_wrong_key);
    RUN(test_leave_keeps_turn);
    RUN(test_bound);
    RUN(test_names);
    RUN(test_join_errors);
    return TEST_SUMMARY();
}
