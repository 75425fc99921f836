/* test_portmap: portmap.c with its PCP and NAT-PMP backends against a
 * router played by this test: a UDP socket on 127.66.X.Y:5351 (the PCP and
 * NAT-PMP port; a 127/8 address of its own, so nothing else is in the way)
 * answering as each case says. Counts callbacks; no UPnP (SSDP would leave
 * the host). */
#include "portmap/portmap.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "portmap/pcp_msg.h"
#include "testlib.h"

/* The router's address: 127.66.X.Y with X.Y from the pid, so that two runs
 * at once (two build trees on one machine) never share 5351 on one address;
 * GW_NONE is the next address, where nothing listens (ICMP port unreachable). */
static char gw_addr[16], gw_none_addr[16];
#define GW gw_addr
#define GW_NONE gw_none_addr

static void pick_gateways(void)
{
    unsigned n = (unsigned)getpid() % 32000u * 2u; /* even: n and n + 1 stay in one /16 */
    snprintf(gw_addr, sizeof gw_addr, "127.66.%u.%u", n / 256u, n % 256u);
    n++;
    snprintf(gw_none_addr, sizeof gw_none_addr, "127.66.%u.%u", n / 256u, n % 256u);
}

typedef enum {
    RT_OK,
    RT_REFUSE,
    RT_SILENT,
    RT_PCP_AS_NATPMP,
    RT_OK_THEN_SILENT,
    RT_NATPMP_STRAY, /* a mapping answer for another port first, ours 400 ms later */
} router_mode_t;

typedef struct router {
    uv_udp_t udp;
    uv_timer_t delay; /* RT_NATPMP_STRAY: the mapping's answer comes late */
    uint8_t late[16];
    struct sockaddr_storage late_to;
    router_mode_t mode;
    int pcp_maps, pcp_deletes, natpmp_addr, natpmp_maps, natpmp_deletes;
    uint8_t nonce[PCP_NONCE_LEN];
    int nonce_changed;
} router_t;

typedef struct run {
    portmap_t *pm;
    int mapped, renewed, failed, closed;
    portmap_event_t last;
    int close_after_renew;
    uint64_t t_close, t_closed;
} run_t;

static uv_loop_t *loop;
static router_t rt;

static void send_back(const struct sockaddr *to, const uint8_t *p, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    uv_udp_try_send(&rt.udp, &b, 1, to);
}

/* PCP: echo the MAP data with external 198.51.100.7:40000 (§11.1). */
static void pcp_answer(const uint8_t *q, size_t n, const struct sockaddr *from)
{
    if (n < 60) return;
    uint32_t life = (uint32_t)q[4] << 24 | (uint32_t)q[5] << 16 | (uint32_t)q[6] << 8 | q[7];
    life ? rt.pcp_maps++ : rt.pcp_deletes++;
    if (rt.pcp_maps > 1 && memcmp(rt.nonce, q + 24, PCP_NONCE_LEN) != 0) rt.nonce_changed = 1;
    memcpy(rt.nonce, q + 24, PCP_NONCE_LEN);
    if (rt.mode == RT_OK_THEN_SILENT && rt.pcp_maps + rt.pcp_deletes > 1) return;
    uint8_t a[60] = {2, 0x81, 0, rt.mode == RT_REFUSE ? PCP_R_NOT_AUTHORIZED : 0};
    memcpy(a + 4, q + 4, 4);
    memcpy(a + 24, q + 24, 36);
    a[24 + 18] = 40000 >> 8;
    a[24 + 19] = 40000 & 0xff;
    pcp_ip_from_v4(inet_addr("198.51.100.7"), a + 24 + 20);
    send_back(from, a, sizeof a);
}

static void on_late(uv_timer_t *t)
{
    send_back((const struct sockaddr *)&rt.late_to, rt.late, sizeof rt.late);
}

/* NAT-PMP (RFC 6886 §3.2, §3.3): address, or the mapping as asked. */
static void natpmp_answer(const uint8_t *q, size_t n, const struct sockaddr *from)
{
    if (n == 2 && q[1] == 0) {
        rt.natpmp_addr++;
        uint8_t a[12] = {0, 0x80, 0, 0, 0, 0, 0, 9, 198, 51, 100, 8};
        send_back(from, a, sizeof a);
        return;
    }
    if (n != 12) return;
    uint32_t life = (uint32_t)q[8] << 24 | (uint32_t)q[9] << 16 | (uint32_t)q[10] << 8 | q[11];
    life ? rt.natpmp_maps++ : rt.natpmp_deletes++;
    uint8_t a[16] = {0, (uint8_t)(0x80 | q[1]), 0, 0, 0, 0, 0, 9};
    memcpy(a + 8, q + 4, 4); /* internal port, external port as suggested */
    memcpy(a + 12, q + 8, 4);
    if (rt.mode != RT_NATPMP_STRAY) {
        send_back(from, a, sizeof a);
        return;
    }
    memcpy(rt.late, a, sizeof a);
    a[9]++; /* another internal port: an answer to someone else's request */
    send_back(from, a, sizeof a);
    memcpy(&rt.late_to, from, sizeof(struct sockaddr_in));
    uv_timer_start(&rt.delay, on_late, 400, 0);
}

static void on_router(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                      unsigned flags)
{
    if (n <= 0 || !from || rt.mode == RT_SILENT) return;
    const uint8_t *q = (const uint8_t *)buf->base;
    if (q[0] == 2 && rt.mode == RT_PCP_AS_NATPMP) {
        uint8_t a[8] = {0, 0x80 | q[1], 0, 1}; /* UNSUPP_VERSION in version 0 (RFC 6887 §9) */
        send_back(from, a, sizeof a);
    } else if (q[0] == 2) {
        pcp_answer(q, (size_t)n, from);
    } else if (q[0] == 0) {
        natpmp_answer(q, (size_t)n, from);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    static char mem[2048];
    *b = uv_buf_init(mem, sizeof mem);
}

static void router_up(router_mode_t mode)
{
    memset(&rt, 0, sizeof rt);
    rt.mode = mode;
    struct sockaddr_in a;
    uv_ip4_addr(GW, 5351, &a);
    CHECK_EQ_INT(uv_udp_init(loop, &rt.udp), 0);
    uv_timer_init(loop, &rt.delay);
    CHECK_EQ_INT(uv_udp_bind(&rt.udp, (const struct sockaddr *)&a, 0), 0);
    uv_udp_recv_start(&rt.udp, on_alloc, on_router);
}

static void on_closed(void *arg)
{
    run_t *r = arg;
    r->closed++;
    r->t_closed = uv_now(loop);
    uv_close((uv_handle_t *)&rt.udp, NULL);
    uv_close((uv_handle_t *)&rt.delay, NULL);
}

static void do_close(run_t *r)
{
    r->t_close = uv_now(loop);
    portmap_close(r->pm, on_closed, r);
}

static void on_event(portmap_t *pm, const portmap_event_t *ev, void *arg)
{
    run_t *r = arg;
    r->last = *ev;
    if (ev->kind == PORTMAP_EV_MAPPED) r->mapped++;
    if (ev->kind == PORTMAP_EV_RENEWED) r->renewed++;
    if (ev->kind == PORTMAP_EV_FAILED) r->failed++;
    if (ev->kind == PORTMAP_EV_FAILED || (ev->kind == PORTMAP_EV_RENEWED && r->close_after_renew))
        do_close(r);
    if (ev->kind == PORTMAP_EV_MAPPED && rt.mode == RT_OK_THEN_SILENT && !r->close_after_renew) {
        rt.mode = RT_SILENT;
        do_close(r);
    }
}

static void run_case(run_t *r, const char *gw, const portmap_proto_t *order, unsigned n)
{
    portmap_opts_t o;
    portmap_opts_default(&o);
    o.internal_port = 9000;
    o.lifetime = 4;
    o.gateway = gw;
    memcpy(o.order, order, n * sizeof *order);
    o.norder = n;
    CHECK_EQ_INT(portmap_start(loop, &o, on_event, r, &r->pm), 0);
    CHECK_EQ_INT(r->mapped + r->failed, 0); /* nothing from inside the start */
    uv_run(loop, UV_RUN_DEFAULT);
}

static const portmap_proto_t pcp_only[] = {PORTMAP_PCP};
static const portmap_proto_t pcp_natpmp[] = {PORTMAP_PCP, PORTMAP_NATPMP};

static void test_pcp_map_renew_delete(void)
{
    router_up(RT_OK);
    run_t r = {.close_after_renew = 1};
    run_case(&r, GW, pcp_only, 1);
    CHECK_EQ_INT(r.mapped, 1);
    CHECK_EQ_INT(r.renewed, 1);
    CHECK_EQ_INT(r.closed, 1);
    CHECK(r.last.proto == PORTMAP_PCP);
    CHECK_EQ_STR(r.last.external_ip, "198.51.100.7");
    CHECK_EQ_INT(r.last.external_port, 40000);
    CHECK_EQ_INT(r.last.lifetime, 4);
    CHECK_EQ_INT(rt.pcp_maps, 2);
    CHECK_EQ_INT(rt.pcp_deletes, 1);
    CHECK(!rt.nonce_changed); /* renewal and delete carry the mapping's nonce */
}

static void test_falls_back_to_natpmp(void)
{
    router_up(RT_PCP_AS_NATPMP);
    run_t r = {.close_after_renew = 1};
    run_case(&r, GW, pcp_natpmp, 2);
    CHECK_EQ_INT(r.mapped, 1);
    CHECK_EQ_INT(r.renewed, 1);
    CHECK(r.last.proto == PORTMAP_NATPMP);
    CHECK_EQ_STR(r.last.external_ip, "198.51.100.8");
    CHECK_EQ_INT(r.last.external_port, 9000);
    CHECK_EQ_INT(rt.natpmp_maps, 2);
    CHECK_EQ_INT(rt.natpmp_deletes, 1);
    CHECK_EQ_INT(r.closed, 1);
}

/* A well-formed mapping answer for another port arrives before ours:
 * libnatpmp takes it and forgets its pending request; ours, 400 ms later,
 * must still be waited for and taken. */
static void test_natpmp_stray_reply(void)
{
    static const portmap_proto_t natpmp_only[] = {PORTMAP_NATPMP};
    router_up(RT_NATPMP_STRAY);
    run_t r = {.close_after_renew = 1};
    run_case(&r, GW, natpmp_only, 1);
    CHECK_EQ_INT(r.failed, 0);
    CHECK_EQ_INT(r.mapped, 1);
    CHECK_EQ_INT(r.renewed, 1);
    CHECK_EQ_INT(r.closed, 1);
}

static void test_nothing_listens(void)
{
    router_up(RT_OK); /* on GW; the case asks GW_NONE */
    run_t r = {0};
    uint64_t t0 = uv_now(loop);
    run_case(&r, GW_NONE, pcp_natpmp, 2);
    CHECK_EQ_INT(r.failed, 1);
    CHECK_EQ_INT(r.mapped, 0);
    CHECK_EQ_INT(r.last.status, UV_ECONNREFUSED);
    CHECK(r.last.proto == PORTMAP_NATPMP); /* both were tried */
    CHECK_EQ_INT(r.last.errors[PORTMAP_PCP], UV_ECONNREFUSED);
    CHECK_EQ_INT(r.last.errors[PORTMAP_NATPMP], UV_ECONNREFUSED);
    CHECK_EQ_INT(r.last.errors[PORTMAP_UPNP], 0); /* not tried */
    CHECK(uv_now(loop) - t0 < 1000);              /* ICMP answers at once */
}

static void test_refused(void)
{
    router_up(RT_REFUSE);
    run_t r = {0};
    run_case(&r, GW, pcp_only, 1);
    CHECK_EQ_INT(r.failed, 1);
    CHECK_EQ_INT(r.last.status, UV_EACCES);
    CHECK_EQ_INT(r.last.result_code, PCP_R_NOT_AUTHORIZED);
}

static void test_close_bounded_when_router_goes_silent(void)
{
    router_up(RT_OK_THEN_SILENT);
    run_t r = {0};
    run_case(&r, GW, pcp_only, 1);
    CHECK_EQ_INT(r.mapped, 1);
    CHECK_EQ_INT(r.closed, 1);
    CHECK_EQ_INT(rt.pcp_deletes, 0); /* silent: the delete went unheard */
    uint64_t took = r.t_closed - r.t_close;
    CHECK(took >= PORTMAP_DELETE_MS - 50 && took < PORTMAP_DELETE_MS + 500);
}

static void test_close_during_attempt(void)
{
    router_up(RT_SILENT);
    run_t r = {0};
    portmap_opts_t o;
    portmap_opts_default(&o);
    o.internal_port = 9000;
    o.gateway = GW;
    CHECK_EQ_INT(portmap_start(loop, &o, on_event, &r, &r.pm), 0);
    uv_run(loop, UV_RUN_NOWAIT); /* the first request is out */
    do_close(&r);
    uv_run(loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(r.closed, 1);
    CHECK_EQ_INT(r.mapped + r.failed, 0); /* no event after close */
    CHECK(r.t_closed - r.t_close < 500);
}

static void test_bad_options(void)
{
    portmap_opts_t o;
    portmap_t *pm = NULL;
    portmap_opts_default(&o);
    CHECK_EQ_INT(portmap_start(loop, &o, on_event, NULL, &pm), UV_EINVAL); /* no port */
    o.internal_port = 1;
    o.gateway = "not-an-ip";
    CHECK_EQ_INT(portmap_start(loop, &o, on_event, NULL, &pm), UV_EINVAL);
    o.gateway = GW;
    o.norder = 0;
    CHECK_EQ_INT(portmap_start(loop, &o, on_event, NULL, &pm), UV_EINVAL);
    portmap_close(NULL, NULL, NULL);
    portmap_proto_t p;
    CHECK_EQ_INT(portmap_proto_parse("natpmp", &p), 0);
    CHECK(p == PORTMAP_NATPMP);
    CHECK_EQ_INT(portmap_proto_parse("igd", &p), -1);
}

int main(void)
{
    loop = uv_default_loop();
    pick_gateways();
    RUN(test_bad_options);
    RUN(test_pcp_map_renew_delete);
    RUN(test_falls_back_to_natpmp);
    RUN(test_natpmp_stray_reply);
    RUN(test_nothing_listens);
    RUN(test_refused);
    RUN(test_close_bounded_when_router_goes_silent);
    RUN(test_close_during_attempt);
    CHECK_EQ_INT(uv_loop_close(loop), 0);
    return TEST_SUMMARY();
}
