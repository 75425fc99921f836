/* ftp_data: the server's one-shot data listeners for FTP-aware tcp proxies.
 *
 * A client whose tcp proxy has `ftp = true` sees its FTP server answer a
 * passive request (227/229) and sends FTP_DATA_PORT {proxy, id, peer}. The
 * server listens on a port from allowPorts (any port without allowPorts),
 * answers FTP_DATA_PORT_RESP {id, addr, port} (addr: the address the client
 * reached the server at, or proxyBindAddr) or {id, error}, accepts ONE
 * connection from the FTP user's address (`peer`'s IP; others are closed:
 * no passive-port theft) within FTP_DATA_WAIT_MS, then closes the listener
 * and asks the session for a work conn whose START_WORK carries `ftp_data:
 * id`; the client joins it to the FTP server's data port. At most
 * FTP_DATA_MAX listeners per session wait at once (more are refused). */
#ifndef BURROW_FTP_DATA_H
#define BURROW_FTP_DATA_H

#include <jansson.h>

#include "server/server_int.h"

#define FTP_DATA_WAIT_MS 30000
#define FTP_DATA_MAX 16

/* FTP_DATA_PORT from session ss; ctl_ip is the server's address on the
 * session's control connection. Answers on ss's control channel. */
void ftp_data_open(srv_t *s, session_t *ss, const char *ctl_ip, const json_t *m);
/* Closes ss's waiting listeners (session end). */
void ftp_data_session_end(srv_t *s, session_t *ss);

#endif
