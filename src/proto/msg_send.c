/* msg_send: see msg_send.h. */
#include "proto/msg_send.h"

#include <stdlib.h>

#include "proto/msg.h"

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
