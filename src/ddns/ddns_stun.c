/* ddns_stun: the public-address probe (ddns_stun.h). */
#include "ddns/ddns_stun.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "proto/stun.h"

struct ddns_stun {
    uv_udp_t udp;
    uv_timer_t timer;
    struct sockaddr_storage dst;
    uint8_t tid[STUN_TID_LEN];
    uint8_t req[64];
    int req_len;
    uint64_t start;
    ddns_stun_cb cb;
    void *arg;
    int open_handles;
    char rbuf[1500];
};

static void on_closed(uv_handle_t *h)
{
    ddns_stun_t *p = h->data;
    if (--p->open_handles == 0) free(p);
}

static void finish(ddns_stun_t *p, const char *ip)
{
    ddns_stun_cb cb = p->cb;
    p->cb = NULL;
    if (!uv_is_closing((uv_handle_t *)&p->udp)) {
        uv_close((uv_handle_t *)&p->udp, on_closed);
        uv_close((uv_handle_t *)&p->timer, on_closed);
    }
    if (cb) cb(p->arg, ip);
}

static void send_req(ddns_stun_t *p)
{
    uv_buf_t b = uv_buf_init((char *)p->req, (unsigned)p->req_len);
    (void)uv_udp_try_send(&p->udp, &b, 1, (const struct sockaddr *)&p->dst);
}

static void on_tick(uv_timer_t *t)
{
    ddns_stun_t *p = t->data;
    if (uv_now(t->loop) - p->start >= DDNS_STUN_MS) return finish(p, NULL);
    send_req(p);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    ddns_stun_t *p = h->data;
    *buf = uv_buf_init(p->rbuf, sizeof p->rbuf);
}

/* Only the answer to our transaction counts; anything else is dropped. */
static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    ddns_stun_t *p = u->data;
    stun_msg_t m;
    if (n <= 0 || !p->cb || stun_parse((const uint8_t *)buf->base, (size_t)n, &m) < 0) return;
    if (m.cls != STUN_CLASS_SUCCESS || memcmp(m.id + 4, p->tid, STUN_TID_LEN) != 0) return;
    const struct sockaddr_storage *a = m.xor_mapped.ss_family ? &m.xor_mapped : &m.mapped;
    char ip[ADDR_STRLEN];
    addr_ip((const struct sockaddr *)a, ip, sizeof ip);
    finish(p, ip[0] ? ip : NULL);
}

ddns_stun_t *ddns_stun_start(uv_loop_t *loop, const struct sockaddr *stun, ddns_stun_cb cb,
                             void *arg)
{
    ddns_stun_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    memcpy(&p->dst, stun,
           stun->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    p->cb = cb;
    p->arg = arg;
    if (RAND_bytes(p->tid, sizeof p->tid) != 1 ||
        (p->req_len = stun_build_binding_request(p->req, sizeof p->req, p->tid, 0, NULL)) <= 0 ||
        uv_udp_init(loop, &p->udp) != 0) {
        free(p);
        return NULL;
    }
    p->udp.data = p;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->open_handles = 2;
    p->start = uv_now(loop);
    struct sockaddr_storage any;
    addr_parse(stun->sa_family == AF_INET6 ? "::" : "0.0.0.0", 0, &any);
    if (uv_udp_bind(&p->udp, (const struct sockaddr *)&any, 0) != 0 ||
        uv_udp_recv_start(&p->udp, on_alloc, on_recv) != 0) {
        p->cb = NULL;
        finish(p, NULL);
        return NULL;
    }
    send_req(p);
    uv_timer_start(&p->timer, on_tick, DDNS_STUN_RETRY_MS, DDNS_STUN_RETRY_MS);
    return p;
}

void ddns_stun_cancel(ddns_stun_t *p)
{
    if (!p) return;
    p->cb = NULL;
    finish(p, NULL);
}
