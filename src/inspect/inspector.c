/* inspector: see inspector.h. Here: the lifecycle and the relay tap. */
#include "inspect/insp_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

uint64_t insp_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int inspector_create(uv_loop_t *loop, const inspect_cfg_t *cfg, inspector_resolve_fn resolve,
                     void *resolve_ctx, inspector_t **out)
{
    inspector_t *ins = calloc(1, sizeof *ins);
    if (!ins) return UV_ENOMEM;
    ins->loop = loop;
    ins->cfg = cfg;
    ins->resolve = resolve;
    ins->resolve_ctx = resolve_ctx;
    insp_ring_init(&ins->ring, (size_t)cfg->max_bytes);
    const httpd_opts_t o = {
        .what = "inspector",
        .addr = cfg->addr,
        .port = cfg->port,
        .user = cfg->user,
        .password = cfg->password,
        .routes = insp_routes,
        .n_routes = insp_n_routes,
        .data = ins,
    };
    int r = httpd_create(loop, &o, &ins->httpd);
    if (r != 0) {
        free(ins);
        return r;
    }
    LOG_I("inspector listening on http://%s:%d/ (ring %d bytes, bodies up to %d bytes)", cfg->addr,
          httpd_port(ins->httpd), cfg->max_bytes, cfg->body_max);
    *out = ins;
    return 0;
}

void inspector_stop(inspector_t *ins)
{
    if (!ins || ins->stopped) return;
    ins->stopped = true;
    httpd_destroy(ins->httpd);
    ins->httpd = NULL;
    insp_replay_close_all(ins);
}

void inspector_destroy(inspector_t *ins)
{
    if (!ins) return;
    inspector_stop(ins);
    insp_ring_free(&ins->ring);
    free(ins);
}

int inspector_port(const inspector_t *ins)
{
    return ins->httpd ? httpd_port(ins->httpd) : -1;
}

/* ---- the tap on an inspected relay ---------------------------------------- */

typedef struct tap {
    insp_rec_t *rec;
    insp_ring_t *ring;
    bool told; /* the stop was logged */
} tap_t;

static void tap_data(void *ctx, int from, const uint8_t *p, size_t n)
{
    tap_t *t = ctx;
    if (t->told) return;
    insp_rec_feed(t->rec, from == 0 ? INSP_REQ : INSP_RESP, p, n, insp_now_us());
    const char *why = insp_rec_stopped(t->rec);
    if (why) {
        t->told = true; /* once per connection, and rate-limited: a peer can cause it */
        LOG_LIMITED(LOG_INFO, "inspector stops recording a connection: %s", why);
    }
}

static void tap_done(void *ctx)
{
    tap_t *t = ctx;
    insp_rec_destroy(t->rec, insp_now_us());
    free(t);
}

bool inspector_tap(inspector_t *ins, const char *proxy, const char *src, relay_meter_t *m)
{
    if (!ins || ins->stopped) return false;
    tap_t *t = calloc(1, sizeof *t);
    if (!t) return false;
    const insp_rec_opts_t o = {.proxy = proxy, .src = src, .body_max = (size_t)ins->cfg->body_max};
    t->ring = &ins->ring;
    if (!(t->rec = insp_rec_create(&ins->ring, &o))) {
        free(t);
        return false;
    }
    *m = (relay_meter_t){.on_data = tap_data, .on_done = tap_done, .ctx = t};
    return true;
}
