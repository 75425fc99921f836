/* conn_wrap: a conn whose transport is another whole conn, so that TLS can
 * be layered over a stream that is itself TLS, QUIC or e2e (the https2*
 * plugins terminate the user's TLS inside a work conn).
 *
 * The new conn passes bytes through unchanged until conn_tls_accept() (or
 * a client handshake) takes its place as with a TCP conn: conn_tls.c's
 * base entries are this file's, which write to and read from the inner
 * conn. Like conn_e2e, it takes the inner conn: its callbacks become this
 * file's, it is closed with the new conn, and the new conn's on_close runs
 * from the inner's. Backpressure is the inner's (conn_pending follows it).
 * A paused inner stays paused; conn_resume() of the new conn resumes it. */
#ifndef BURROW_CONN_WRAP_H
#define BURROW_CONN_WRAP_H

#include "net/conn.h"

/* A ready conn over `inner` (established). NULL when out of memory (inner
 * untouched). */
conn_t *conn_wrap_new(conn_t *inner, const conn_cbs_t *cbs, void *data);

#endif
