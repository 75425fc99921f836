/* msg_send: where the control protocol meets the connection layer — encode a
 * message (msg.h) and queue it on a conn (conn.h). */
#ifndef BURROW_MSG_SEND_H
#define BURROW_MSG_SEND_H

#include <jansson.h>
#include <stdint.h>

#include "net/conn.h"
#include "net/udp_sessions.h"
#include "proto/frame.h"

/* Takes ownership of obj (NULL is tolerated: nothing is sent). Returns what
 * conn_write returned, or UV_ENOMEM / UV_E2BIG when it could not be encoded. */
int msg_send(conn_t *c, uint8_t type, json_t *obj);

/* uv_udp alloc callback for sockets whose datagrams go on as UDP_DATA: they
 * land behind room for the frame header, in one shared buffer, so each must
 * be sent (msg_send_udp) or dropped within its receive callback. */
void msg_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
/* Frames a datagram that msg_udp_alloc's buffer received (buf as given to the
 * receive callback, len <= MSG_UDP_MAX) in place and writes it to c. */
int msg_send_udp(conn_t *c, uint32_t sid, const uv_buf_t *buf, size_t len);
/* A UDP_DATA frame `f` from the other end of a datagram stream: the
 * datagram goes out of `sock` to the peer of its session in t (marked used
 * at `now`). Frames of other types, malformed ones and unknown sessions are
 * dropped. Returns 0 (sent or dropped), for a framer callback. */
int msg_udp_deliver(uv_udp_t *sock, udp_sessions_t *t, const frame_t *f, uint64_t now);

#endif
