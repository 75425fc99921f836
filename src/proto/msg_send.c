/* msg_send: see msg_send.h. */
#include "proto/msg_send.h"

#include <stdlib.h>

#include "proto/msg.h"
#include "util/log.h"

static uint8_t g_udp[MSG_UDP_HDR_LEN + 64 * 1024];

int msg_send(conn_t *c, uint8_t type, json_t *obj)
{
    if (!obj) return UV_ENOMEM;
    size_t n;
    uint8_t *buf = msg_encode(type, obj, &n);
    json_decref(obj);
    if (!buf) return UV_E2BIG;
    int r = conn_write(c, buf, n);
    free(buf);
    return r;
}

void msg_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init((char *)g_udp + MSG_UDP_HDR_LEN, sizeof g_udp - MSG_UDP_HDR_LEN);
}

int msg_send_udp(conn_t *c, uint32_t sid, const uv_buf_t *buf, size_t len)
{
    uint8_t *frame = (uint8_t *)buf->base - MSG_UDP_HDR_LEN;
    return conn_write(c, frame, msg_udp_header(frame, sid, len));
}

int msg_udp_deliver(uv_udp_t *sock, udp_sessions_t *t, const frame_t *f, uint64_t now)
{
    uint32_t sid;
    const uint8_t *data;
    size_t len;
    if (msg_udp_decode(f, &sid, &data, &len) != 0) return 0;
    udp_sess_t *s = udp_sessions_find(t, sid, now);
    if (!s) return 0;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    /* A datagram the socket cannot take now is lost, as UDP allows; but
     * counted and said (rate-limited: a peer can cause it at will). */
    int rc = uv_udp_try_send(sock, &b, 1, (const struct sockaddr *)&s->peer);
    if (rc < 0) {
        t->send_fail++;
        LOG_LIMITED(LOG_WARN, "udp: send failed err=%s failures=%llu", uv_strerror(rc),
                    (unsigned long long)t->send_fail);
    }
    return 0;
}
