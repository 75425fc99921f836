/* test_cresolve: a proxy's host-name localIP (client/cresolve.c) on a real
 * loop: "localhost" resolves to 127.0.0.1 (IPv4 first) with the proxy's
 * port and becomes the proxy's `local`; a name that cannot exist (.invalid,
 * RFC 2606) reports an error and leaves `local` alone; cproxy_new keeps IP
 * literals off the resolver and marks names; every request drops its hold
 * on the proxy. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "testlib.h"

typedef struct answer {
    int calls, status;
    struct sockaddr_storage addr;
} answer_t;

static void on_answer(void *arg, int status, const struct sockaddr_storage *addr)
{
    answer_t *a = arg;
    a->calls++;
    a->status = status;
    if (addr) a->addr = *addr;
}

static void released(ref_t *r)
{
    (void)r; /* the proxy lives on the stack */
}

static void test_localhost(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    cli_t *c = calloc(1, sizeof *c);
    c->loop = &loop;
    proxy_cfg_t cfg = {.name = "web", .local_ip = "localhost", .local_port = 8081};
    cproxy_t p = {.cfg = &cfg, .cli = c, .local_named = true};
    ref_init(&p.ref, 1, released);
    answer_t a = {0};
    CHECK_EQ_INT(cresolve_local(&p, on_answer, &a), 0);
    CHECK_EQ_INT(a.calls, 0); /* never from inside the call */
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.status, 0);
    CHECK_EQ_INT(a.addr.ss_family, AF_INET);
    const struct sockaddr_in *in = (const struct sockaddr_in *)&p.local;
    CHECK_EQ_INT(p.local.ss_family, AF_INET);
    CHECK_EQ_INT(ntohs(in->sin_port), 8081);
    CHECK_EQ_INT(ntohl(in->sin_addr.s_addr), 0x7f000001);
    CHECK_EQ_INT(p.ref.n, 1); /* the request's hold is gone */

    /* cannot exist: an error, `local` kept, the hold dropped */
    cfg.local_ip = "no-such-host.invalid";
    a = (answer_t){0};
    CHECK_EQ_INT(cresolve_local(&p, on_answer, &a), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(a.calls, 1);
    CHECK(a.status < 0);
    CHECK_EQ_INT(ntohl(in->sin_addr.s_addr), 0x7f000001);
    CHECK_EQ_INT(p.ref.n, 1);

    /* refresh: no callback wanted; a literal proxy never asks */
    cfg.local_ip = "localhost";
    memset(&p.local, 0, sizeof p.local);
    cresolve_refresh(&p);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(p.local.ss_family, AF_INET);
    p.local_named = false;
    memset(&p.local, 0, sizeof p.local);
    cresolve_refresh(&p);
    CHECK_EQ_INT(uv_run(&loop, UV_RUN_NOWAIT), 0); /* nothing started */
    CHECK_EQ_INT(p.local.ss_family, 0);
    uv_loop_close(&loop);
    free(c);
}

/* cproxy_new: a literal is parsed once; a name is marked for the resolver. */
static void test_cproxy_new(void)
{
    cli_t *c = calloc(1, sizeof *c);
    client_cfg_t ccfg = {.user = ""};
    c->cfg = &ccfg;
    proxy_cfg_t lit = {.name = "a", .local_ip = "10.1.2.3", .local_port = 22};
    proxy_cfg_t name = {.name = "b", .local_ip = "db", .local_port = 5432};
    cproxy_t *p = cproxy_new(c, &lit, NULL);
    CHECK(p && !p->local_named && p->local.ss_family == AF_INET);
    cproxy_drop(p);
    p = cproxy_new(c, &name, NULL);
    CHECK(p && p->local_named && p->local.ss_family == 0);
    cproxy_drop(p);
    free(c);
}

int main(void)
{
    RUN(test_localhost);
    RUN(test_cproxy_new);
    return TEST_SUMMARY();
}
