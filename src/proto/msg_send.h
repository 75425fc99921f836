/* msg_send: where the control protocol meets the connection layer — encode a
 * message (msg.h) and queue it on a conn (conn.h). */
#ifndef BURROW_MSG_SEND_H
#define BURROW_MSG_SEND_H

#include <jansson.h>
#include <stdint.h>

#include "net/conn.h"

/* Takes ownership of obj (NULL is tolerated: nothing is sent). Returns what
 * conn_write returned, or UV_ENOMEM / UV_E2BIG when it could not be encoded. */
int msg_send(conn_t *c, uint8_t type, json_t *obj);

#endif
