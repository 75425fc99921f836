/* sproxy_shape: what a NEW_PROXY asks of the server's side of shaping
 * (client/cshape.c is the other side).
 *
 *  - `compression: "zstd"`: after START_WORK, every work conn of the proxy
 *    is a zstd stream both ways (net/conn_zstd.h; work_pool.c wraps it).
 *    Any other value is refused, as is zstd in a build without it.
 *  - `bandwidth_limit` (bytes per second, 1..BANDWIDTH_LIMIT_MAX): the
 *    client's bandwidthLimitMode = "server"; the proxy's relays share one
 *    shaper (net/shaper.h), each direction at that rate.
 *
 * NEW_PROXY_RESP echoes both when taken, which is how the client knows
 * that this server does them. */
#include <stdio.h>
#include <string.h>

#include "config/config_shape.h"
#include "net/conn_zstd.h"
#include "net/shaper.h"
#include "server/server_int.h"

int sshape_open(sproxy_t *p, uv_loop_t *loop, const json_t *m, char *err, size_t errlen)
{
    const json_t *z = json_object_get(m, "compression");
    const json_t *bw = json_object_get(m, "bandwidth_limit");
    if (z && !(json_is_string(z) && strcmp(json_string_value(z), "zstd") == 0)) {
        snprintf(err, errlen, "unknown compression (this server offers \"zstd\")");
        return -1;
    }
    if (z && !conn_zstd_available()) {
        snprintf(err, errlen, "this server was built without zstd: no transport.useCompression");
        return -1;
    }
    if (bw && !(json_is_integer(bw) && json_integer_value(bw) > 0 &&
                json_integer_value(bw) <= BANDWIDTH_LIMIT_MAX)) {
        snprintf(err, errlen, "bad bandwidth_limit");
        return -1;
    }
    p->compress = z != NULL;
    if (bw && !(p->shaper = shaper_new(loop, (uint64_t)json_integer_value(bw)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void sshape_reply(const sproxy_t *p, json_t *o)
{
    if (!p || !o) return;
    if (p->compress) json_object_set_new(o, "compression", json_string("zstd"));
    if (p->shaper)
        json_object_set_new(o, "bandwidth_limit", json_integer((json_int_t)shaper_rate(p->shaper)));
}

void sshape_close(sproxy_t *p)
{
    shaper_stop(p->shaper); /* relays may hold it longer; the timer closes now */
    shaper_drop(p->shaper);
    p->shaper = NULL;
}
