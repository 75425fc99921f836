/* conn_e2e: an end-to-end encrypted stream over another conn (the secret
 * proxies' visitor <-> owner path, proto/e2e.h's records).
 *
 * Unlike TLS, which takes the place of its TCP conn's operations, e2e wraps
 * a whole conn: the inner conn (TLS over TCP to the server today, a QUIC
 * stream later) keeps its own callbacks, now e2e's, and the new conn is
 * what relay.c and the proxy kinds see. Bytes written are sealed into
 * records of at most E2E_RECORD_MAX; bytes read are opened and handed on
 * whole records at a time; conn_shutdown() sends the authenticated end
 * record before the inner FIN, so a FIN without it (a truncation by the
 * relaying server) is an error (UV_ECONNRESET), as is any record that fails
 * its tag (UV_EPROTO).
 *
 * Ownership: conn_e2e_new() takes `inner` (its callbacks and data are
 * replaced; it is closed with the new conn, whose on_close runs from the
 * inner's). Backpressure is the inner's: conn_pending() of the new conn is
 * the inner's queue. */
#ifndef BURROW_CONN_E2E_H
#define BURROW_CONN_E2E_H

#include "net/conn.h"
#include "proto/e2e.h"

/* A ready conn over `inner` (established) that seals with keys' `tx`
 * direction and opens the other. Reading goes on as the inner's did;
 * conn_start() resumes a paused inner. NULL on failure (inner untouched). */
conn_t *conn_e2e_new(conn_t *inner, const e2e_keys_t *keys, e2e_dir_id_t tx, const conn_cbs_t *cbs,
                     void *data);

/* Bytes of the stream the inner conn read before the wrap (after a
 * handshake's last message): opened as if they had just arrived. */
void conn_e2e_feed(conn_t *c, const uint8_t *p, size_t n);

#endif
