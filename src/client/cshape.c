/* cshape: a client proxy's traffic shaping (transport.bandwidthLimit,
 * bandwidthLimitMode) and compression (transport.useCompression).
 *
 * NEW_PROXY carries what the server must do: `compression: "zstd"` (the
 * work conns of this proxy are zstd streams after START_WORK) and, in
 * server mode, `bandwidth_limit` (bytes per second). A server that does
 * them says so by echoing the same fields in NEW_PROXY_RESP; one that does
 * not (an older burrow) would leave the stream uncompressed or the rate
 * unlimited, so the client then withdraws the proxy with a clear reason
 * rather than garble its bytes. In client mode the shaper is the proxy's
 * own (cproxy_t.shaper), shared by all of its relays. */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "config/config_shape.h"
#include "net/conn_zstd.h"
#include "net/shaper.h"
#include "proto/msg.h"
#include "util/log.h"

static bool compresses(const proxy_cfg_t *cfg)
{
    return cfg->use_compression && !kind_has(cfg->kind, KIND_SECRET);
}

static bool server_shapes(const proxy_cfg_t *cfg)
{
    return cfg->bandwidth_limit > 0 && cfg->bandwidth_mode == BW_MODE_SERVER;
}

void cshape_encode(json_t *o, const proxy_cfg_t *cfg)
{
    if (!o) return;
    if (compresses(cfg)) json_object_set_new(o, "compression", json_string("zstd"));
    if (server_shapes(cfg))
        json_object_set_new(o, "bandwidth_limit", json_integer(cfg->bandwidth_limit));
}

bool cshape_accept(cproxy_t *p, json_t *m, char *err, size_t errlen)
{
    const proxy_cfg_t *cfg = p->cfg;
    const char *z = msg_str(m, "compression");
    p->compress = false;
    if (compresses(cfg) && !(z && strcmp(z, "zstd") == 0)) {
        snprintf(err, errlen,
                 "the server does not support transport.useCompression (an older burrow)");
        return false;
    }
    if (server_shapes(cfg) && msg_int(m, "bandwidth_limit", 0) != cfg->bandwidth_limit) {
        snprintf(err, errlen,
                 "the server does not support transport.bandwidthLimitMode = \"server\" "
                 "(an older burrow)");
        return false;
    }
    p->compress = compresses(cfg);
    return true;
}

int cshape_open(cproxy_t *p, uv_loop_t *loop)
{
    const proxy_cfg_t *cfg = p->cfg;
    if (cfg->bandwidth_limit <= 0 || cfg->bandwidth_mode != BW_MODE_CLIENT) return 0;
    if (kind_has(cfg->kind, KIND_SECRET)) {
        LOG_I("proxy name=%s: transport.bandwidthLimit is not applied to secret kinds", cfg->name);
        return 0;
    }
    p->shaper = shaper_new(loop, (uint64_t)cfg->bandwidth_limit);
    return p->shaper ? 0 : -1;
}

void cshape_stop(cproxy_t *p)
{
    shaper_stop(p->shaper);
}

void cshape_close(cproxy_t *p)
{
    shaper_drop(p->shaper);
    p->shaper = NULL;
}

bool cshape_wrap(cwork_t *w, conn_t **c, const conn_cbs_t *cbs, const uint8_t *rest,
                 size_t rest_len)
{
    conn_t *z = conn_zstd_new(*c, cbs, w, rest, rest_len);
    if (!z) return false;
    *c = z;
    return true;
}
