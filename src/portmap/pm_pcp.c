/* pm_pcp: the PCP client (RFC 6887) on a uv_udp_t connected to the
 * gateway's port 5351. One op sends one MAP request (lifetime 0 deletes,
 * §15; the probe also sends a lifetime-0 MAP with a fresh nonce, which can
 * remove nothing of anyone's) and retransmits it as §8.1.1 says (IRT 3 s,
 * doubling, ±10 %), bounded by the op's timeout. Being connected, the
 * socket hears an ICMP port unreachable as a receive error: a router
 * without PCP is then known at once. Owns: the socket, one timer, the
 * request bytes; freed after both handles closed, before done(). */
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "portmap/pm_int.h"
#include "util/log.h"

#define PCP_IRT_MS 3000   /* §8.1.1 initial retransmission time */
#define PCP_MRT_MS 1024000 /* §8.1.1 maximum retransmission time */
#define PCP_RECV_MAX (PCP_MAX_LEN + 4)

typedef struct pcp_impl {
    pm_op_t *op;
    uv_udp_t udp;
    uv_timer_t timer;
    uint8_t req[PCP_HDR_LEN + PCP_MAP_LEN];
    size_t req_len;
    uint64_t deadline;
    uint64_t rt_ms;
    int finished;
    int open_handles;
    uint8_t rbuf[PCP_RECV_MAX];
} pcp_impl_t;

/* RT = (1 + RAND) * base with RAND in [-0.1, +0.1] (§8.1.1). */
static uint64_t jitter(uint64_t base)
{
    uint8_t r = 0;
    if (RAND_bytes(&r, 1) != 1) r = 128;
    return base * (900 + (uint64_t)r * 200 / 255) / 1000;
}

static void on_handle_closed(uv_handle_t *h)
{
    pcp_impl_t *im = h->data;
    if (--im->open_handles > 0) return;
    pm_op_t *op = im->op;
    free(im);
    if (!op) return; /* start failed: done() is not called */
    op->impl = NULL;
    op->done(op);
}

static void finish(pcp_impl_t *im, int status)
{
    if (im->finished) return;
    im->finished = 1;
    if (im->op->status == 0) im->op->status = status;
    uv_udp_recv_stop(&im->udp);
    uv_timer_stop(&im->timer);
    uv_close((uv_handle_t *)&im->udp, on_handle_closed);
    uv_close((uv_handle_t *)&im->timer, on_handle_closed);
}

static void send_request(pcp_impl_t *im)
{
    uv_buf_t b = uv_buf_init((char *)im->req, (unsigned)im->req_len);
    int r = uv_udp_try_send(&im->udp, &b, 1, NULL);
    if (r < 0) LOG_D("pcp: send failed err=%s", uv_strerror(r));
}

static void on_timer(uv_timer_t *t);

static void arm(pcp_impl_t *im)
{
    uint64_t now = uv_now(im->op->loop);
    uint64_t wait = im->deadline > now ? im->deadline - now : 0;
    if (im->rt_ms < wait) wait = im->rt_ms;
    uv_timer_start(&im->timer, on_timer, wait, 0);
}

static void on_timer(uv_timer_t *t)
{
    pcp_impl_t *im = t->data;
    if (uv_now(im->op->loop) >= im->deadline) {
        finish(im, UV_ETIMEDOUT);
        return;
    }
    send_request(im);
    uint64_t next = im->rt_ms * 2 < PCP_MRT_MS ? im->rt_ms * 2 : PCP_MRT_MS;
    im->rt_ms = jitter(next);
    arm(im);
}

/* Does resp answer our request (§11.3: opcode, nonce, protocol, port)? */
static int matches(const pcp_impl_t *im, const pcp_response_t *resp)
{
    const pm_op_t *op = im->op;
    if (resp->opcode != PCP_OP_MAP) return 0;
    if (!resp->has_map) return resp->result != PCP_R_SUCCESS;
    return memcmp(resp->map.nonce, op->pcp_nonce, PCP_NONCE_LEN) == 0 &&
           resp->map.internal_port == (op->kind == PM_OP_PROBE ? 9 : op->internal_port);
}

static void take_answer(pcp_impl_t *im, const pcp_response_t *resp)
{
    pm_op_t *op = im->op;
    op->result_code = resp->result;
    uint32_t a;
    if (resp->has_map && pcp_ip_to_v4(resp->map.external_ip, &a) && a != 0)
        inet_ntop(AF_INET, &a, op->external_ip, sizeof op->external_ip);
    if (op->kind == PM_OP_PROBE) {
        finish(im, 0); /* any answer in version 2 means PCP is spoken */
        return;
    }
    if (resp->result != PCP_R_SUCCESS) {
        finish(im, UV_EACCES);
        return;
    }
    op->granted_port = resp->map.external_port;
    op->granted_lifetime = resp->lifetime;
    finish(im, 0);
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    pcp_impl_t *im = u->data;
    if (n < 0) {
        /* ICMP port unreachable on the connected socket: no PCP server. */
        finish(im, n == UV_ECONNREFUSED ? UV_ECONNREFUSED : (int)n);
        return;
    }
    if (n == 0 || (flags & UV_UDP_PARTIAL)) return;
    pcp_response_t resp;
    int r = pcp_decode_response((const uint8_t *)buf->base, (size_t)n, &resp);
    if (r == PCP_E_VERSION) {
        /* §9: a NAT-PMP-only server answers in its own version. */
        im->op->result_code = PCP_R_UNSUPP_VERSION;
        finish(im, UV_ENOTSUP);
        return;
    }
    if (r < 0 || !matches(im, &resp)) {
        LOG_D("pcp: ignored a datagram len=%zd err=%d", n, r);
        return;
    }
    take_answer(im, &resp);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    pcp_impl_t *im = h->data;
    *buf = uv_buf_init((char *)im->rbuf, sizeof im->rbuf);
}

/* The request: our address as the router sees it (the connected socket's
 * source, §8.1), the nonce, protocol, ports; no preference of address. */
static int build_request(pcp_impl_t *im)
{
    pm_op_t *op = im->op;
    struct sockaddr_in self;
    int len = sizeof self;
    int r = uv_udp_getsockname(&im->udp, (struct sockaddr *)&self, &len);
    if (r < 0) return r;
    static const uint8_t zero[PCP_NONCE_LEN];
    if (op->kind == PM_OP_PROBE || memcmp(op->pcp_nonce, zero, PCP_NONCE_LEN) == 0)
        if (RAND_bytes(op->pcp_nonce, PCP_NONCE_LEN) != 1) return UV_EIO;
    pcp_request_t req = {.opcode = PCP_OP_MAP};
    req.lifetime = op->kind == PM_OP_MAP ? op->lifetime : 0;
    pcp_ip_from_v4(self.sin_addr.s_addr, req.client_ip);
    memcpy(req.map.nonce, op->pcp_nonce, PCP_NONCE_LEN);
    req.map.protocol = op->transport == PORTMAP_TCP ? 6 : 17;
    req.map.internal_port = op->kind == PM_OP_PROBE ? 9 : op->internal_port;
    req.map.external_port = op->kind == PM_OP_PROBE ? 0 : op->external_port;
    pcp_ip_from_v4(0, req.map.external_ip);
    im->req_len = pcp_encode_request(&req, im->req, sizeof im->req);
    return im->req_len ? 0 : UV_EINVAL;
}

static int open_socket(pcp_impl_t *im)
{
    pm_op_t *op = im->op;
    struct sockaddr_in gw = {.sin_family = AF_INET, .sin_port = htons(PCP_SERVER_PORT)};
    gw.sin_addr.s_addr = op->gateway_be;
    int r = uv_udp_connect(&im->udp, (const struct sockaddr *)&gw);
    if (r == 0) r = build_request(im);
    if (r == 0) r = uv_udp_recv_start(&im->udp, on_alloc, on_recv);
    return r;
}

static int pcp_start(pm_op_t *op)
{
    pcp_impl_t *im = calloc(1, sizeof *im);
    if (!im) return UV_ENOMEM;
    im->op = op;
    op->impl = im;
    int r = uv_udp_init(op->loop, &im->udp);
    if (r < 0) {
        free(im);
        op->impl = NULL;
        return r;
    }
    uv_timer_init(op->loop, &im->timer);
    im->udp.data = im->timer.data = im;
    im->open_handles = 2;
    r = open_socket(im);
    if (r < 0) {
        /* done() is not to be called: im is freed once both handles closed. */
        im->finished = 1;
        im->op = NULL;
        op->impl = NULL;
        uv_close((uv_handle_t *)&im->udp, on_handle_closed);
        uv_close((uv_handle_t *)&im->timer, on_handle_closed);
        return r;
    }
    im->deadline = uv_now(op->loop) + op->timeout_ms;
    im->rt_ms = jitter(PCP_IRT_MS);
    send_request(im);
    arm(im);
    return 0;
}

static void pcp_cancel(pm_op_t *op)
{
    if (op->impl) finish(op->impl, UV_ECANCELED);
}

const pm_backend_t pm_pcp_backend = {PORTMAP_PCP, pcp_start, pcp_cancel};
