/* test_udp_sessions: the UDP session table both sides use
 * (net/udp_sessions.h): ids per peer, the least recently used evicted at
 * the cap, idle expiry, and every dropped session reported once. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "net/udp_sessions.h"
#include "testlib.h"

static int drops;
static uint32_t last_dropped;

static void on_drop(udp_sessions_t *t, udp_sess_t *s, void *ctx)
{
    (void)t;
    CHECK(ctx == &drops);
    drops++;
    last_dropped = s->id;
}

static struct sockaddr_in peer4(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(0x0a000001);
    return a;
}

static udp_sess_t *by_port(udp_sessions_t *t, int port, uint64_t now)
{
    struct sockaddr_in a = peer4(port);
    return udp_sessions_by_peer(t, (const struct sockaddr *)&a, now);
}

static void test_peer_ids(void)
{
    udp_sessions_t t;
    udp_sessions_init(&t, 8, 1000, NULL, NULL);
    udp_sess_t *a = by_port(&t, 1000, 0), *b = by_port(&t, 1001, 0);
    CHECK(a && b);
    if (!a || !b) return;
    CHECK_EQ_INT(a->id, 1);
    CHECK_EQ_INT(b->id, 2);
    CHECK(by_port(&t, 1000, 5) == a); /* same peer, same session */
    CHECK_EQ_INT(a->last, 5);
    struct sockaddr_in6 six;
    memset(&six, 0, sizeof six);
    six.sin6_family = AF_INET6;
    six.sin6_port = htons(1000);
    udp_sess_t *c = udp_sessions_by_peer(&t, (const struct sockaddr *)&six, 6);
    CHECK(c && c != a && c->id == 3);
    CHECK(udp_sessions_find(&t, 2, 7) == b);
    CHECK(udp_sessions_find(&t, 99, 7) == NULL);
    CHECK_EQ_INT(t.n, 3);
    udp_sessions_clear(&t);
    CHECK_EQ_INT(t.n, 0);
    CHECK(t.head == NULL && t.tail == NULL);
}

/* At the cap the least recently used goes, whichever way it was used. */
static void test_cap_evicts_lru(void)
{
    udp_sessions_t t;
    drops = 0;
    udp_sessions_init(&t, 3, 1000, on_drop, &drops);
    by_port(&t, 1, 1);                  /* id 1 */
    by_port(&t, 2, 2);                  /* id 2 */
    by_port(&t, 3, 3);                  /* id 3 */
    CHECK(udp_sessions_find(&t, 1, 4)); /* a reply: 1 is fresh again */
    by_port(&t, 4, 5);                  /* id 4 evicts 2 */
    CHECK_EQ_INT(drops, 1);
    CHECK_EQ_INT(last_dropped, 2);
    CHECK_EQ_INT(t.n, 3);
    CHECK(udp_sessions_find(&t, 2, 6) == NULL);
    udp_sess_t *s = udp_sessions_add(&t, 77, 7); /* by id (the client's way): evicts 3 */
    CHECK(s && s->id == 77 && s->peer.ss_family == 0);
    CHECK_EQ_INT(last_dropped, 3);
    CHECK_EQ_INT(t.n, 3);
    CHECK(by_port(&t, 2, 8)->id == 5); /* a returning peer gets a new id */
    CHECK_EQ_INT(drops, 3);
    CHECK_EQ_INT((int)t.evicted, 3); /* what the sudp visitor reports */
    udp_sessions_clear(&t);
    CHECK_EQ_INT(drops, 6);
    CHECK_EQ_INT((int)t.evicted, 3); /* clearing is not evicting */
}

/* Sessions idle for more than the idle time expire; used ones stay. */
static void test_expiry(void)
{
    udp_sessions_t t;
    drops = 0;
    udp_sessions_init(&t, UDP_MAX_SESSIONS, UDP_IDLE_MS, on_drop, &drops);
    for (int i = 0; i < UDP_MAX_SESSIONS; i++)
        CHECK(by_port(&t, 2000 + i, (uint64_t)i) != NULL);
    CHECK_EQ_INT(t.n, UDP_MAX_SESSIONS);
    CHECK(udp_sessions_find(&t, 1, UDP_IDLE_MS)); /* the first, used again */
    udp_sessions_expire(&t, UDP_IDLE_MS);         /* none idle for more than the limit */
    CHECK_EQ_INT(drops, 0);
    udp_sessions_expire(&t, UDP_IDLE_MS + 10); /* ids 2..10 were last used at 1..9 */
    CHECK_EQ_INT(drops, 9);
    CHECK_EQ_INT(t.n, UDP_MAX_SESSIONS - 9);
    CHECK(udp_sessions_find(&t, 1, UDP_IDLE_MS + 10) != NULL);
    CHECK(udp_sessions_find(&t, 5, UDP_IDLE_MS + 10) == NULL);
    udp_sessions_expire(&t, 3 * UDP_IDLE_MS);
    CHECK_EQ_INT(t.n, 0);
    CHECK_EQ_INT(drops, UDP_MAX_SESSIONS);
    CHECK(t.head == NULL && t.tail == NULL);
    udp_sessions_remove(&t, udp_sessions_add(&t, 9, 0));
    CHECK_EQ_INT(t.n, 0);
}

int main(void)
{
    RUN(test_peer_ids);
    RUN(test_cap_evicts_lru);
    RUN(test_expiry);
    return TEST_SUMMARY();
}
