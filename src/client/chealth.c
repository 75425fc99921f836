/* chealth: health checks of a proxy's local service (chealth.h).
 *
 * Handles: `tick` (the wait before a probe, then that probe's timeout) and
 * `tcp` (open during a probe only). A probe ends once (probe_end): its
 * socket is closed and its result applied from the close callback, so the
 * next probe never starts while the previous socket is still open. */
#include "client/chealth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/addr.h"
#include "util/log.h"
#include "util/ref.h"

#define HEALTH_UNRESOLVED_POLL_MS 100 /* looks again for a host name's first address */

struct chealth {
    uv_loop_t *loop;
    const health_cfg_t *cfg; /* borrowed */
    struct sockaddr_storage target;
    char label[200];
    chealth_cb cb;
    void *arg;
    uv_timer_t tick;
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    char *req; /* the http request being written */
    uint8_t answer[HEALTH_ANSWER_MAX];
    size_t answer_len;
    bool probing, closing, result_ok;
    health_sm_t sm;
    char err[96];
    unsigned interval_ms, probes;
    unsigned unresolved_ms; /* waited for a host-name target's first address */
    ref_t ref;              /* the owner, tick, tcp while open */
};

/* ---- pure parts ------------------------------------------------------------- */

health_step_t health_sm_result(health_sm_t *sm, int max_failed, bool ok)
{
    if (ok) {
        sm->failures = 0;
        if (!sm->down) return HEALTH_STEP_NONE;
        sm->down = false;
        return HEALTH_STEP_UP;
    }
    if (sm->failures < max_failed) sm->failures++;
    if (sm->down || sm->failures < (max_failed > 0 ? max_failed : 1)) return HEALTH_STEP_NONE;
    sm->down = true;
    return HEALTH_STEP_DOWN;
}

/* "HTTP/1.x NNN" and the SP or CR after it (RFC 9112 §4: status-line =
 * HTTP-version SP status-code SP [reason-phrase]). A verdict is given
 * only once those 13 bytes are in, so it never changes as more arrive;
 * a byte that cannot start a status line is refused at once. */
int health_http_status(const uint8_t *p, size_t len)
{
    static const char prefix[] = "HTTP/1.";
    const size_t k = sizeof prefix - 1;
    for (size_t i = 0; i < len && i < k; i++)
        if (p[i] != (uint8_t)prefix[i]) return -1;
    if (len > k && (p[k] < '0' || p[k] > '9')) return -1;
    if (len > k + 1 && p[k + 1] != ' ') return -1;
    int code = 0;
    for (size_t i = k + 2; i < k + 5 && i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        code = code * 10 + (p[i] - '0');
    }
    if (len < k + 6) return 0;
    if (p[k + 5] != ' ' && p[k + 5] != '\r') return -1;
    return code >= 100 ? code : -1;
}

/* ---- one probe --------------------------------------------------------------- */

static void on_tick(uv_timer_t *t);

static void on_tcp_closed(uv_handle_t *hd)
{
    chealth_t *h = hd->data;
    if (!h->closing) {
        h->probes++;
        LOG_D("health probe target=%s ok=%s err=\"%s\"", LOG_ESC(h->label),
              h->result_ok ? "yes" : "no", LOG_ESCQ(h->err));
        health_step_t step = health_sm_result(&h->sm, h->cfg->max_failed, h->result_ok);
        if (step != HEALTH_STEP_NONE && h->cb) h->cb(h->arg, step == HEALTH_STEP_UP, h->err);
        if (!h->closing) uv_timer_start(&h->tick, on_tick, h->interval_ms, 0);
    }
    ref_drop(&h->ref);
}

static void probe_end(chealth_t *h, bool ok, const char *why)
{
    if (!h->probing) return;
    h->probing = false;
    h->result_ok = ok;
    snprintf(h->err, sizeof h->err, "%s", ok ? "" : why);
    uv_timer_stop(&h->tick);
    uv_close((uv_handle_t *)&h->tcp, on_tcp_closed);
}

static void on_alloc(uv_handle_t *hd, size_t want, uv_buf_t *buf)
{
    chealth_t *h = hd->data;
    (void)want;
    *buf = uv_buf_init((char *)h->answer + h->answer_len,
                       (unsigned)(sizeof h->answer - h->answer_len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    chealth_t *h = s->data;
    (void)buf;
    if (n < 0) {
        probe_end(h, false, "closed before a status line");
        return;
    }
    h->answer_len += (size_t)n;
    int st = health_http_status(h->answer, h->answer_len);
    char why[64];
    if (st == 0 && h->answer_len < sizeof h->answer) return;
    if (st <= 0) {
        probe_end(h, false, "not an HTTP answer");
        return;
    }
    snprintf(why, sizeof why, "http status %d", st);
    probe_end(h, st >= 200 && st < 300, why);
}

static void on_written(uv_write_t *w, int status)
{
    chealth_t *h = w->data;
    if (status < 0) probe_end(h, false, uv_strerror(status));
}

static char *build_request(const chealth_t *h)
{
    char host[ADDR_STRLEN];
    bool own_host = false;
    size_t len = strlen(h->cfg->path) + 128;
    for (int i = 0; i < h->cfg->headers.n; i++) {
        len += strlen(h->cfg->headers.v[i].name) + strlen(h->cfg->headers.v[i].value) + 4;
        if (strcasecmp(h->cfg->headers.v[i].name, "Host") == 0) own_host = true;
    }
    len += sizeof host;
    char *r = malloc(len);
    if (!r) return NULL;
    addr_format((const struct sockaddr *)&h->target, host, sizeof host);
    size_t o = (size_t)snprintf(r, len, "GET %s HTTP/1.1\r\n", h->cfg->path);
    if (!own_host) o += (size_t)snprintf(r + o, len - o, "Host: %s\r\n", host);
    for (int i = 0; i < h->cfg->headers.n; i++)
        o += (size_t)snprintf(r + o, len - o, "%s: %s\r\n", h->cfg->headers.v[i].name,
                              h->cfg->headers.v[i].value);
    snprintf(r + o, len - o, "User-Agent: burrow-health\r\nConnection: close\r\n\r\n");
    return r;
}

static void send_request(chealth_t *h)
{
    free(h->req);
    h->req = build_request(h);
    if (!h->req) {
        probe_end(h, false, "out of memory");
        return;
    }
    uv_buf_t b = uv_buf_init(h->req, (unsigned)strlen(h->req));
    h->wreq.data = h;
    h->answer_len = 0;
    int r = uv_write(&h->wreq, (uv_stream_t *)&h->tcp, &b, 1, on_written);
    if (r == 0) r = uv_read_start((uv_stream_t *)&h->tcp, on_alloc, on_read);
    if (r < 0)
        probe_end(h, false,
                  h->target.ss_family == AF_UNSPEC ? "localIP not resolved" : uv_strerror(r));
}

static void on_connect(uv_connect_t *req, int status)
{
    chealth_t *h = req->data;
    if (!h->probing) return; /* timed out or closing: the socket is closing */
    if (status < 0)
        probe_end(h, false, uv_strerror(status));
    else if (h->cfg->type == HEALTH_HTTP)
        send_request(h);
    else
        probe_end(h, true, "");
}

static void probe_start(chealth_t *h)
{
    uv_tcp_init(h->loop, &h->tcp);
    h->tcp.data = h;
    ref_hold(&h->ref); /* the socket's, until on_tcp_closed */
    h->probing = true;
    h->creq.data = h;
    uv_timer_start(&h->tick, on_tick, (uint64_t)h->cfg->timeout_s * 1000, 0);
    int r = uv_tcp_connect(&h->creq, &h->tcp, (const struct sockaddr *)&h->target, on_connect);
    if (r < 0) probe_end(h, false, uv_strerror(r));
}

/* The wait before a probe ended, or the probe's timeout. */
static void on_tick(uv_timer_t *t)
{
    chealth_t *h = t->data;
    if (h->probing) {
        probe_end(h, false, "timeout");
        return;
    }
    /* A host-name localIP (client/cresolve.c) has no address until its
     * first answer: the first probe waits for one, up to an interval. */
    if (h->target.ss_family == AF_UNSPEC && h->unresolved_ms < h->interval_ms) {
        h->unresolved_ms += HEALTH_UNRESOLVED_POLL_MS;
        uv_timer_start(&h->tick, on_tick, HEALTH_UNRESOLVED_POLL_MS, 0);
        return;
    }
    probe_start(h);
}

/* ---- life ---------------------------------------------------------------------- */

static void release(ref_t *r)
{
    chealth_t *h = REF_OWNER(r, chealth_t, ref);
    free(h->req);
    free(h);
}

static void on_tick_closed(uv_handle_t *hd)
{
    chealth_t *h = hd->data;
    ref_drop(&h->ref);
}

chealth_t *chealth_create(uv_loop_t *loop, const health_cfg_t *cfg,
                          const struct sockaddr_storage *target, const char *label, chealth_cb cb,
                          void *arg)
{
    chealth_t *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->loop = loop;
    h->cfg = cfg;
    h->target = *target;
    snprintf(h->label, sizeof h->label, "%s", label);
    h->cb = cb;
    h->arg = arg;
    h->interval_ms = (unsigned)cfg->interval_s * 1000;
    ref_init(&h->ref, 2, release); /* the owner, tick */
    uv_timer_init(loop, &h->tick);
    h->tick.data = h;
    uv_timer_start(&h->tick, on_tick, 0, 0); /* the first probe at once */
    return h;
}

void chealth_set_target(chealth_t *h, const struct sockaddr_storage *target)
{
    if (h) h->target = *target;
}

void chealth_set_interval_ms(chealth_t *h, unsigned ms)
{
    h->interval_ms = ms;
}

bool chealth_is_down(const chealth_t *h)
{
    return h && h->sm.down;
}

const char *chealth_error(const chealth_t *h)
{
    return h ? h->err : "";
}

unsigned chealth_probes(const chealth_t *h)
{
    return h ? h->probes : 0;
}

void chealth_close(chealth_t *h)
{
    if (!h || h->closing) return;
    h->closing = true;
    h->cb = NULL;
    if (h->probing) {
        h->probing = false;
        uv_close((uv_handle_t *)&h->tcp, on_tcp_closed);
    }
    uv_timer_stop(&h->tick);
    uv_close((uv_handle_t *)&h->tick, on_tick_closed);
    ref_drop(&h->ref);
}
