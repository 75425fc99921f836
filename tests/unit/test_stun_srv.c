/* test_stun_srv: server/stun_srv.c on a real loop over loopback. Plain mode
 * on 127.0.0.1 (and ::1), discovery mode with 127.0.0.1 and 127.0.0.2 as
 * the two addresses; the test is the client, with a plain socket: it counts
 * replies, reads where each came from, and checks that nothing but Binding
 * requests is answered and that no reply outgrows its request by more than
 * STUN_SRV_REPLY_SLACK. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "net/addr.h"
#include "proto/stun.h"
#include "server/stun_srv.h"
#include "testlib.h"
#include "util/log.h"

#define REPLIES_MAX 4

typedef struct reply {
    uint8_t b[2048];
    size_t n;
    struct sockaddr_storage from;
} reply_t;

typedef struct harness {
    uv_loop_t loop;
    stun_srv_t *srv;
    int fd;                       /* the client's socket */
    struct sockaddr_storage self; /* its address */
    reply_t got[REPLIES_MAX];
    int n_got;
    size_t max_over; /* the largest reply - request seen */
} harness_t;

static const uint8_t tid[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static bool up(harness_t *h, const char *addr, const char *alt)
{
    memset(h, 0, sizeof *h);
    uv_loop_init(&h->loop);
    h->srv = stun_srv_create(&h->loop);
    stun_srv_cfg_t cfg = {.addr = addr, .port = 0, .alt_addr = alt, .alt_port = 0};
    if (stun_srv_start(h->srv, &cfg) != 0) return false;
    struct sockaddr_storage a;
    addr_parse(addr, 0, &a);
    h->fd = socket(a.ss_family, SOCK_DGRAM, 0);
    socklen_t len =
        a.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&a, len) != 0) return false;
    len = sizeof h->self;
    getsockname(h->fd, (struct sockaddr *)&h->self, &len);
    return true;
}

static void down(harness_t *h)
{
    stun_srv_stop(h->srv);
    stun_srv_stop(h->srv); /* twice is fine */
    for (int i = 0; i < 100 && uv_run(&h->loop, UV_RUN_NOWAIT) != 0; i++)
        usleep(1000);
    CHECK_EQ_INT(uv_loop_close(&h->loop), 0); /* every handle closed */
    stun_srv_destroy(h->srv);
    close(h->fd);
}

/* Sends p to the server's slot, runs the loop until the server read it,
 * then collects what came back (the first within 100 ms, more within 10). Returns the reply count.
 */
static int exchange(harness_t *h, int slot, const uint8_t *p, size_t n)
{
    struct sockaddr_storage to;
    CHECK(stun_srv_slot_addr(h->srv, slot, &to));
    uint64_t before = stun_srv_stats(h->srv)->received;
    socklen_t len =
        to.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    CHECK_EQ_INT(sendto(h->fd, p, n, 0, (struct sockaddr *)&to, len), (ssize_t)n);
    for (int i = 0; i < 2000 && stun_srv_stats(h->srv)->received == before; i++) {
        uv_run(&h->loop, UV_RUN_NOWAIT);
        usleep(500);
    }
    CHECK_EQ_INT(stun_srv_stats(h->srv)->received, before + 1);
    h->n_got = 0;
    struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
    while (h->n_got < REPLIES_MAX && poll(&pfd, 1, h->n_got ? 10 : 100) == 1) {
        reply_t *r = &h->got[h->n_got];
        socklen_t fl = sizeof r->from;
        ssize_t got = recvfrom(h->fd, r->b, sizeof r->b, 0, (struct sockaddr *)&r->from, &fl);
        if (got < 0) break;
        r->n = (size_t)got;
        if (r->n > n && r->n - n > h->max_over) h->max_over = r->n - n;
        h->n_got++;
    }
    return h->n_got;
}

static const char *fmt(const struct sockaddr_storage *ss)
{
    static char buf[4][ADDR_STRLEN];
    static int i;
    i = (i + 1) % 4;
    return addr_format((const struct sockaddr *)ss, buf[i], sizeof buf[i]);
}

static const char *slot_str(harness_t *h, int slot)
{
    struct sockaddr_storage a;
    if (!stun_srv_slot_addr(h->srv, slot, &a)) return "-";
    return fmt(&a);
}

static int request(uint8_t *buf, uint32_t change)
{
    return stun_build_binding_request(buf, 128, tid, change, NULL);
}

static void test_plain_binding(void)
{
    harness_t h;
    CHECK(up(&h, "127.0.0.1", ""));
    CHECK(!stun_srv_discovery(h.srv));
    uint8_t req[128];
    stun_msg_t m;
    int n = request(req, 0);
    CHECK_EQ_INT(exchange(&h, 0, req, (size_t)n), 1);
    CHECK_EQ_INT(stun_parse(h.got[0].b, h.got[0].n, &m), (int)h.got[0].n);
    CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
    CHECK(memcmp(m.id + 4, tid, STUN_TID_LEN) == 0);
    CHECK_EQ_STR(fmt(&m.xor_mapped), fmt(&h.self));
    CHECK_EQ_STR(fmt(&m.origin), slot_str(&h, 0));
    CHECK(!(m.has & STUN_HAS_OTHER));
    CHECK(m.has & STUN_HAS_FINGERPRINT);
    CHECK_EQ_INT(m.software_len, strlen(STUN_SRV_SOFTWARE));
    CHECK(!stun_srv_slot_addr(h.srv, 1, &m.other));
    /* CHANGE-REQUEST with no second address: 420 naming it (RFC 5780). */
    n = request(req, STUN_CHANGE_IP);
    CHECK_EQ_INT(exchange(&h, 0, req, (size_t)n), 1);
    CHECK_EQ_INT(stun_parse(h.got[0].b, h.got[0].n, &m), (int)h.got[0].n);
    CHECK_EQ_INT(m.cls, STUN_CLASS_ERROR);
    CHECK_EQ_INT(m.error_code, 420);
    CHECK_EQ_INT(m.n_reported, 1);
    CHECK_EQ_INT(m.reported[0], STUN_ATTR_CHANGE_REQUEST);
    /* ... a zero CHANGE-REQUEST asks for nothing: answered. */
    n = request(req, 0);
    stun_writer_t w;
    uint8_t z[64], id[STUN_ID_LEN] = {0x21, 0x12, 0xa4, 0x42, 9};
    stun_w_begin(&w, z, sizeof z, 0x0001, id);
    stun_w_u32(&w, STUN_ATTR_CHANGE_REQUEST, 0);
    CHECK_EQ_INT(exchange(&h, 0, z, (size_t)stun_w_end(&w)), 1);
    /* A classic client's CHANGE-REQUEST: no answer (it would take one for success). */
    uint8_t classic[] = {0x00, 0x01, 0x00, 0x08, 1,  2,  3,    4,    5, 6, 7, 8, 9, 10,
                         11,   12,   13,   14,   15, 16, 0x00, 0x03, 0, 4, 0, 0, 0, 6};
    CHECK_EQ_INT(exchange(&h, 0, classic, sizeof classic), 0);
    CHECK_EQ_INT(stun_srv_stats(h.srv)->dropped[STUN_DROP_NO_CHANGE], 1);
    classic[27] = 0; /* no change asked: a classic answer */
    CHECK_EQ_INT(exchange(&h, 0, classic, sizeof classic), 1);
    CHECK_EQ_INT(stun_parse(h.got[0].b, h.got[0].n, &m), (int)h.got[0].n);
    CHECK(memcmp(h.got[0].b + 4, classic + 4, 16) == 0);
    CHECK_EQ_STR(fmt(&m.mapped), fmt(&h.self));
    CHECK_EQ_INT(stun_srv_stats(h.srv)->answered, 3);
    CHECK_EQ_INT(stun_srv_stats(h.srv)->errors, 1);
    CHECK(h.max_over <= STUN_SRV_REPLY_SLACK);
    down(&h);
}

/* RFC 5780: the reply leaves from the slot CHANGE-REQUEST names, relative
 * to the one the request came in on; OTHER-ADDRESS is the slot differing
 * in both. */
static void test_discovery_slots(void)
{
    harness_t h;
    CHECK(up(&h, "127.0.0.1", "127.0.0.2"));
    CHECK(stun_srv_discovery(h.srv));
    static const uint32_t changes[] = {0, STUN_CHANGE_PORT, STUN_CHANGE_IP,
                                       STUN_CHANGE_IP | STUN_CHANGE_PORT};
    for (int on = 0; on < STUN_SRV_SLOTS; on++) {
        for (int c = 0; c < 4; c++) {
            uint8_t req[128];
            stun_msg_t m;
            int n = request(req, changes[c]);
            CHECK_EQ_INT(exchange(&h, on, req, (size_t)n), 1);
            CHECK_EQ_INT(stun_parse(h.got[0].b, h.got[0].n, &m), (int)h.got[0].n);
            CHECK_EQ_INT(m.cls, STUN_CLASS_SUCCESS);
            int want = on ^ c; /* bit 1: change IP, bit 0: change port */
            CHECK_EQ_STR(fmt(&h.got[0].from), slot_str(&h, want));
            CHECK_EQ_STR(fmt(&m.origin), slot_str(&h, want));
            CHECK_EQ_STR(fmt(&m.other), slot_str(&h, on ^ 3));
            CHECK_EQ_STR(fmt(&m.xor_mapped), fmt(&h.self));
        }
    }
    /* The four are A:P, A:P2, B:P, B:P2. */
    struct sockaddr_storage a0, a1, a2, a3;
    stun_srv_slot_addr(h.srv, 0, &a0);
    stun_srv_slot_addr(h.srv, 1, &a1);
    stun_srv_slot_addr(h.srv, 2, &a2);
    stun_srv_slot_addr(h.srv, 3, &a3);
    CHECK_EQ_INT(addr_port((struct sockaddr *)&a0), addr_port((struct sockaddr *)&a2));
    CHECK_EQ_INT(addr_port((struct sockaddr *)&a1), addr_port((struct sockaddr *)&a3));
    CHECK(addr_port((struct sockaddr *)&a0) != addr_port((struct sockaddr *)&a1));
    CHECK_EQ_INT(stun_srv_stats(h.srv)->answered, 16);
    /* A classic request gets CHANGED-ADDRESS and SOURCE-ADDRESS. */
    uint8_t classic[] = {0x00, 0x01, 0x00, 0x08, 1,  2,  3,    4,    5, 6, 7, 8, 9, 10,
                         11,   12,   13,   14,   15, 16, 0x00, 0x03, 0, 4, 0, 0, 0, 4};
    stun_msg_t m;
    CHECK_EQ_INT(exchange(&h, 0, classic, sizeof classic), 1);
    CHECK_EQ_INT(stun_parse(h.got[0].b, h.got[0].n, &m), (int)h.got[0].n);
    CHECK_EQ_STR(fmt(&h.got[0].from), slot_str(&h, 2));
    CHECK_EQ_STR(fmt(&m.origin), slot_str(&h, 2));
    CHECK_EQ_STR(fmt(&m.other), slot_str(&h, 3));
    CHECK(h.max_over <= STUN_SRV_REPLY_SLACK);
    down(&h);
}

/* Nothing but Binding requests is answered; each drop is counted by reason
 * and the drop line is logged once within STUN_SRV_LOG_MS. */
static void test_drops(void)
{
    char logpath[] = "/tmp/test_stun_srv-XXXXXX";
    int lfd = mkstemp(logpath);
    CHECK(lfd >= 0);
    log_set_output(logpath);
    harness_t h;
    CHECK(up(&h, "127.0.0.1", ""));
    static const uint8_t zeros[STUN_SRV_REQ_MAX];
    uint8_t req[128], big[STUN_SRV_REQ_MAX + 8];
    uint8_t garbage[] = "GET / HTTP/1.1\r\n\r\n";
    CHECK_EQ_INT(exchange(&h, 0, garbage, sizeof garbage - 1), 0);
    CHECK_EQ_INT(exchange(&h, 0, garbage, 0), 0); /* an empty datagram */
    int n = request(req, 0);
    req[n - 1] ^= 1; /* a wrong FINGERPRINT */
    CHECK_EQ_INT(exchange(&h, 0, req, (size_t)n), 0);
    uint8_t id[STUN_ID_LEN] = {0x21, 0x12, 0xa4, 0x42, 7};
    /* Binding indication, success and error responses; Allocate and Refresh requests. */
    static const uint16_t types[] = {0x0011, 0x0101, 0x0111, 0x0003, 0x0004};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        stun_writer_t w;
        stun_w_begin(&w, req, sizeof req, types[i], id);
        stun_w_fingerprint(&w);
        CHECK_EQ_INT(exchange(&h, 0, req, (size_t)stun_w_end(&w)), 0);
    }
    /* A valid Binding request padded past STUN_SRV_REQ_MAX. */
    stun_writer_t w;
    stun_w_begin(&w, big, sizeof big, 0x0001, id);
    stun_w_attr(&w, STUN_ATTR_PADDING, zeros, STUN_SRV_REQ_MAX - 20 - 4 - 8 + 4);
    stun_w_fingerprint(&w);
    n = stun_w_end(&w);
    CHECK(n > STUN_SRV_REQ_MAX);
    CHECK_EQ_INT(exchange(&h, 0, big, (size_t)n), 0);
    /* ... and one just at the limit is answered. */
    stun_w_begin(&w, big, sizeof big, 0x0001, id);
    stun_w_attr(&w, STUN_ATTR_PADDING, zeros, STUN_SRV_REQ_MAX - 20 - 4 - 8);
    stun_w_fingerprint(&w);
    n = stun_w_end(&w);
    CHECK_EQ_INT(n, STUN_SRV_REQ_MAX);
    CHECK_EQ_INT(exchange(&h, 0, big, (size_t)n), 1);
    const stun_srv_stats_t *st = stun_srv_stats(h.srv);
    CHECK_EQ_INT(st->dropped[STUN_DROP_MALFORMED], 3);
    CHECK_EQ_INT(st->dropped[STUN_DROP_NOT_REQUEST], 3);
    CHECK_EQ_INT(st->dropped[STUN_DROP_NOT_BINDING], 2);
    CHECK_EQ_INT(st->dropped[STUN_DROP_OVERSIZED], 1);
    CHECK_EQ_INT(st->answered, 1);
    CHECK_EQ_INT(st->received, 10);
    down(&h);
    log_set_output("console");
    /* One drop line for nine drops, then the totals at stop. */
    char text[8192] = "";
    FILE *f = fopen(logpath, "r");
    size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[got] = '\0';
    if (f) fclose(f);
    int lines = 0;
    for (const char *p = text; (p = strstr(p, "stun: dropped")); p++)
        lines++;
    CHECK_EQ_INT(lines, 1);
    CHECK(strstr(text, "reason=malformed") != NULL);
    CHECK(strstr(text, "stun: stopped received=10 answered=1 errors=0 dropped: oversized=1 "
                       "malformed=3 not-request=3 not-binding=2") != NULL);
    close(lfd);
    unlink(logpath);
}

/* Replies stay within request + STUN_SRV_REPLY_SLACK for the smallest
 * requests there are (a bare 20-byte header, with and without the cookie),
 * over IPv6 too, where addresses are longest. */
static void test_amplification_bound(void)
{
    static const char *const addrs[] = {"127.0.0.1", "::1"};
    for (int a = 0; a < 2; a++) {
        harness_t h;
        if (!up(&h, addrs[a], "")) {
            CHECK(a == 1); /* no IPv6 loopback on this host */
            down(&h);
            continue;
        }
        uint8_t bare[STUN_HDR_LEN] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 3};
        CHECK_EQ_INT(exchange(&h, 0, bare, sizeof bare), 1);
        CHECK(h.got[0].n <= sizeof bare + STUN_SRV_REPLY_SLACK);
        bare[4] = 0; /* classic */
        CHECK_EQ_INT(exchange(&h, 0, bare, sizeof bare), 1);
        CHECK(h.got[0].n <= sizeof bare + STUN_SRV_REPLY_SLACK);
        CHECK(h.max_over > 0 && h.max_over <= STUN_SRV_REPLY_SLACK);
        down(&h);
    }
}

int main(void)
{
    log_set_level(LOG_WARN);
    RUN(test_plain_binding);
    RUN(test_discovery_slots);
    log_set_level(LOG_INFO);
    RUN(test_drops);
    log_set_level(LOG_WARN);
    RUN(test_amplification_bound);
    return TEST_SUMMARY();
}
