/* ftp_active: the server's side of active-mode FTP for FTP-aware tcp
 * proxies.
 *
 * The user's PORT/EPRT named its own address; the client rewrote it to a
 * listener on its LAN side, the FTP server connected there, and the client
 * sends FTP_ACTIVE_DIAL {proxy, id, peer, target}: peer is the control
 * connection's user (the src this server wrote in its START_WORK), target
 * the address from the PORT. The server dials target only when its IP is
 * peer's IP and its port is not below 1024 (RFC 2577 §3: no bouncing to
 * third parties or to well-known services); otherwise, or when the dial
 * fails or takes longer than FTP_ACTIVE_DIAL_MS, it answers
 * FTP_ACTIVE_FAIL {id, error}. A connected dial asks the session for a work
 * conn whose START_WORK carries `ftp_active: id` and is relayed like a tcp
 * user (counted with the proxy). At most FTP_ACTIVE_MAX dials per session
 * at once; the session's end cancels its dials. */
#ifndef BURROW_FTP_ACTIVE_H
#define BURROW_FTP_ACTIVE_H

#include <jansson.h>

#include "server/server_int.h"

#define FTP_ACTIVE_DIAL_MS 10000
#define FTP_ACTIVE_MAX 16
#define FTP_ACTIVE_MIN_PORT 1024

/* FTP_ACTIVE_DIAL from session ss. */
void ftp_active_dial(srv_t *s, session_t *ss, const json_t *m);
/* Cancels ss's dials (session end). */
void ftp_active_session_end(srv_t *s, session_t *ss);
/* The reason FTP_ACTIVE_DIAL m must be refused, or NULL: same IP as peer,
 * port ≥ FTP_ACTIVE_MIN_PORT (pure; for tests). */
const char *ftp_active_refusal(const char *peer, const char *target);

#endif
