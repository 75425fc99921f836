/* conn_tcp: how a TCP listener hands an incoming connection to a conn.
 * Only net/listener.c (and tests) need it; everyone else sees conn.h. */
#ifndef BURROW_CONN_TCP_H
#define BURROW_CONN_TCP_H

#include <uv.h>

#include "net/conn.h"

/* uv_accept()s the pending connection of server into c (a conn_new() conn
 * that is not connected). 0 or a negative uv error. */
int conn_tcp_accept(uv_stream_t *server, conn_t *c);

#endif
