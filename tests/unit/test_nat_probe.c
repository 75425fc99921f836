/* test_nat_probe: the discovery on a real loop over 127.0.0.1 (nat/nat_probe.h):
 * against a plain STUN responder, a silent one (retransmissions counted,
 * bounded in time) and a garbage flood (reading stops at NAT_RX_MAX per
 * socket); `done` runs exactly once and the loop runs dry after close. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "nat/nat_probe.h"
#include "net/addr.h"
#include "proto/stun.h"
#include "testlib.h"

enum { MODE_PLAIN, MODE_SILENT, MODE_FLOOD, MODE_SELF_OTHER };

typedef struct srv {
    uv_udp_t h;
    uv_timer_t flood;
    int mode, requests, nsrc;
    struct sockaddr_storage src[4];
    struct sockaddr_storage addr;
} srv_t;

static uv_loop_t loop;
static int done_calls;
static uint64_t done_at;
static uint8_t rxbuf[2048];

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    *b = uv_buf_init((char *)rxbuf, sizeof rxbuf);
}

static void remember(srv_t *s, const struct sockaddr *from)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, from,
           from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    for (int i = 0; i < s->nsrc; i++)
        if (memcmp(&s->src[i], &ss, sizeof ss) == 0) return;
    if (s->nsrc < 4) s->src[s->nsrc++] = ss;
}

static void on_srv_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
                        unsigned flags)
{
    srv_t *s = h->data;
    stun_msg_t m;
    if (n <= 0 || !from || stun_parse((uint8_t *)b->base, (size_t)n, &m) < 0) return;
    s->requests++;
    remember(s, from);
    if (s->mode != MODE_PLAIN && s->mode != MODE_SELF_OTHER) return;
    uint8_t out[256];
    /* MODE_SELF_OTHER: a misconfigured server naming itself as OTHER-ADDRESS. */
    const struct sockaddr *self = s->mode == MODE_SELF_OTHER ? (struct sockaddr *)&s->addr : NULL;
    stun_binding_reply_t r = {from, self, self, NULL};
    int len = stun_build_binding_success(out, sizeof out, &m, &r);
    if (len <= 0) return;
    uv_buf_t ob = uv_buf_init((char *)out, (unsigned)len);
    uv_udp_try_send(h, &ob, 1, from);
}

/* Every millisecond, 50 datagrams that are not STUN to each client socket. */
static void on_flood(uv_timer_t *t)
{
    srv_t *s = t->data;
    uv_buf_t b = uv_buf_init("not stun, just noise", 21);
    for (int i = 0; i < s->nsrc; i++)
        for (int k = 0; k < 50; k++)
            uv_udp_try_send(&s->h, &b, 1, (const struct sockaddr *)&s->src[i]);
}

static void srv_start_at(srv_t *s, int mode, const char *ip)
{
    memset(s, 0, sizeof *s);
    s->mode = mode;
    uv_udp_init(&loop, &s->h);
    s->h.data = s;
    struct sockaddr_storage a;
    addr_parse(ip, 0, &a);
    uv_udp_bind(&s->h, (struct sockaddr *)&a, 0);
    int len = sizeof s->addr;
    uv_udp_getsockname(&s->h, (struct sockaddr *)&s->addr, &len);
    uv_udp_recv_start(&s->h, on_alloc, on_srv_recv);
    uv_timer_init(&loop, &s->flood);
    s->flood.data = s;
    if (mode == MODE_FLOOD) uv_timer_start(&s->flood, on_flood, 1, 1);
}

static void srv_start(srv_t *s, int mode)
{
    srv_start_at(s, mode, "127.0.0.1");
}

static void srv_stop(srv_t *s)
{
    uv_close((uv_handle_t *)&s->h, NULL);
    uv_close((uv_handle_t *)&s->flood, NULL);
}

static srv_t *cur_srv;
static unsigned garbage_seen;

static void on_done(nat_probe_t *p, void *arg)
{
    done_calls++;
    done_at = uv_now(&loop);
    garbage_seen = nat_probe_garbage(p);
    nat_probe_close(p); /* allowed inside done */
    srv_stop(cur_srv);
}

/* Runs one probe to the end; returns ms from start to done. */
static uint64_t run_probe(srv_t *s, nat_report_t *r)
{
    memset(r, 0, sizeof *r);
    nat_obs_init(&r->obs);
    nat_probe_opts_t o = {.server = s->addr, .router = false};
    nat_probe_t *p;
    done_calls = 0;
    cur_srv = s;
    uint64_t t0 = uv_now(&loop);
    CHECK_EQ_INT(nat_probe_start(&loop, &o, r, on_done, NULL, &p), 0);
    CHECK_EQ_INT(done_calls, 0); /* never from inside start */
    CHECK_EQ_INT(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_EQ_INT(done_calls, 1);
    return done_at - t0;
}

static void test_plain(void)
{
    srv_t s;
    nat_report_t r;
    srv_start(&s, MODE_PLAIN);
    uint64_t ms = run_probe(&s, &r);
    CHECK(ms < 1000);
    CHECK(r.error == NULL);
    CHECK_EQ_INT(r.obs.t1, NAT_ANS_OK);
    CHECK(nat_same_addr(&r.obs.local, &r.obs.mapped1));
    CHECK_EQ_INT(r.verdict.place, NAT_PLACE_PUBLIC);
    CHECK(!r.obs.has_other);
    CHECK_EQ_INT(r.verdict.mapping, NAT_B_UNKNOWN);
    CHECK_EQ_INT(r.obs.hairpin, NAT_ANS_OK); /* B reaches A over loopback */
    CHECK_EQ_STR(r.obs.ifname, "lo");
    CHECK_EQ_INT(nat_report_exit_code(&r), NAT_EXIT_PARTIAL);
    CHECK_EQ_INT(s.requests, 2); /* T1 and F0, answered at once: no retransmission */
}

static void test_silent(void)
{
    srv_t s;
    nat_report_t r;
    srv_start(&s, MODE_SILENT);
    uint64_t ms = run_probe(&s, &r);
    CHECK(ms >= NAT_GIVEUP_MS && ms < NAT_GIVEUP_MS + 500);
    CHECK_EQ_INT(r.obs.t1, NAT_ANS_TIMEOUT);
    CHECK(r.error && strstr(r.error, "no answer"));
    CHECK_EQ_INT(s.requests, 2 * NAT_RTX_SENDS); /* T1 and F0, each sent 4 times, no more */
    CHECK_EQ_INT(nat_report_exit_code(&r), NAT_EXIT_ERROR);
}

static void test_flood(void)
{
    srv_t s;
    nat_report_t r;
    srv_start(&s, MODE_FLOOD);
    uint64_t ms = run_probe(&s, &r);
    CHECK(ms < NAT_GIVEUP_MS + 1000); /* the timers end it, flood or not */
    CHECK(r.error && strstr(r.error, "garbage"));
    /* Reading stops at the bound on each of the two flooded sockets. */
    CHECK_EQ_INT(s.nsrc, 2);
    CHECK_EQ_INT(garbage_seen, 2 * NAT_RX_MAX);
}

/* The same over IPv6: addresses, the route's source and the answers' family. */
static void test_plain_v6(void)
{
    srv_t s;
    nat_report_t r;
    srv_start_at(&s, MODE_PLAIN, "::1");
    run_probe(&s, &r);
    CHECK(r.error == NULL);
    CHECK_EQ_INT(r.obs.t1, NAT_ANS_OK);
    CHECK_EQ_INT(r.obs.mapped1.ss_family, AF_INET6);
    CHECK(nat_same_addr(&r.obs.local, &r.obs.mapped1));
    CHECK_EQ_INT(r.verdict.place, NAT_PLACE_PUBLIC);
    CHECK_EQ_INT(r.obs.hairpin, NAT_ANS_OK);
    char *j = nat_report_json(&r);
    CHECK(j && strstr(j, "\"public_address\": \"[::1]:"));
    free(j);
}

/* OTHER-ADDRESS equal to the primary would make every test "pass": ignored. */
static void test_self_other(void)
{
    srv_t s;
    nat_report_t r;
    srv_start(&s, MODE_SELF_OTHER);
    run_probe(&s, &r);
    CHECK_EQ_INT(r.obs.t1, NAT_ANS_OK);
    CHECK(!r.obs.has_other);
    CHECK_EQ_INT(r.obs.f_both, NAT_ANS_NOT_TRIED);
    CHECK_EQ_INT(r.verdict.filtering, NAT_B_UNKNOWN);
    CHECK_EQ_INT(s.requests, 2); /* T1, F0; no CHANGE-REQUEST to a server that cannot */
}

static void test_bad_family(void)
{
    nat_report_t r;
    memset(&r, 0, sizeof r);
    nat_probe_opts_t o;
    memset(&o, 0, sizeof o); /* AF_UNSPEC server */
    nat_probe_t *p;
    CHECK(nat_probe_start(&loop, &o, &r, on_done, NULL, &p) < 0);
    CHECK_EQ_INT(uv_run(&loop, UV_RUN_DEFAULT), 0); /* what it opened is closed */
}

int main(void)
{
    uv_loop_init(&loop);
    RUN(test_plain);
    RUN(test_plain_v6);
    RUN(test_self_other);
    RUN(test_silent);
    RUN(test_flood);
    RUN(test_bad_family);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
    return TEST_SUMMARY();
}
