/* server_int: structures shared by the server's files, private to src/server.
 *
 * Ownership: srv owns sessions (list) and the listener; a session owns its
 * control conn, its proxies, its idle work conns and its waiting requests;
 * a proxy owns its listener/socket. Relays own themselves once started. */
#ifndef BURROW_SERVER_INT_H
#define BURROW_SERVER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "net/conn.h"
#include "proto/auth.h"
#include "proto/frame.h"
#include "server/server.h"

#define RUN_ID_LEN 16 /* bytes; hex on the wire */
#define MAX_PENDING_GATES 1024
#define MAX_WAITING_USERS 256 /* per session */
#define WORK_WAIT_MS 10000    /* a user waits this long for a work conn */
#define WORK_REASK_MS 2000    /* then asks the client again after this long */

typedef struct session session_t;
typedef struct sproxy sproxy_t;

struct srv {
    uv_loop_t *loop;
    const server_cfg_t *cfg;
    const char *state_dir;
    SSL_CTX *tls;
    uv_tcp_t listener;
    bool listening, stopping;
    session_t *sessions;
    int n_gates;
    int handshake_timeout_ms;
};

/* A proxy kind: tcp and udp today, http and p2p kinds later. */
typedef struct sproxy_ops {
    const char *type;
    /* Binds `port` (0 = any allowed). On success sets p->port. On failure
     * returns <0 and writes a reason for the client into err. */
    int (*open)(sproxy_t *p, int port, char *err, size_t errlen);
    /* A work conn was assigned to this proxy for `user` (NULL when the proxy
     * itself asked, as udp does). START_WORK has been sent. Takes the work conn. */
    void (*attach)(sproxy_t *p, conn_t *work, conn_t *user);
    /* Stops listening and frees p once its handles are closed. */
    void (*close)(sproxy_t *p);
} sproxy_ops_t;

struct sproxy {
    const sproxy_ops_t *ops;
    srv_t *srv;
    session_t *sess; /* NULL once the session ended */
    sproxy_t *next;  /* in the session's list */
    char name[128];
    int port;
    void *impl; /* kind-specific state */
};

extern const sproxy_ops_t sproxy_tcp_ops;
extern const sproxy_ops_t sproxy_udp_ops;

/* session.c */
session_t *session_create(srv_t *s, conn_t *ctl, framer_t *fr, const char *user,
                          const uint8_t work_key[AUTH_MAC_LEN]);
session_t *session_find(srv_t *s, const char *run_id);
const char *session_run_id(const session_t *ss);
/* Verifies a work conn's proof. true when accepted. */
bool session_check_work(session_t *ss, uint64_t seq, const uint8_t mac[AUTH_MAC_LEN]);
/* Takes an authenticated work conn into the pool (or straight to a waiter). */
void session_add_work(session_t *ss, conn_t *work);
/* Asks for a work conn for proxy p; `user` (may be NULL) is handed to
 * p->ops->attach with it. Takes user; closes it on failure. */
void session_request_work(session_t *ss, sproxy_t *p, conn_t *user);
/* Forgets p's waiting requests (called from p's close). */
void session_drop_waiters(session_t *ss, sproxy_t *p);
void session_end(session_t *ss, const char *reason);
int session_count_ports(const session_t *ss);

/* server.c */
bool server_proxy_name_taken(srv_t *s, const char *name);



/* ports.c: the attempt-th port to try for a proxy asking for `want`
 * (want > 0: only want itself; want == 0: 0 when any port is allowed, else
 * random allowed ports). -1 when there is nothing more to try. */
int ports_candidate(const server_cfg_t *cfg, int want, int attempt);
/* Fills a sockaddr for the server's proxyBindAddr and port. 0 or <0. */
int ports_bind_addr(const server_cfg_t *cfg, int port, struct sockaddr_storage *out);
#endif
