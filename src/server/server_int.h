/* server_int: structures shared by the server's files, private to src/server.
 *
 * Ownership: srv owns sessions (list) and the listener; a session owns its
 * control conn, its proxies, its idle work conns and its waiting requests;
 * a proxy owns its listener/socket. Relays own themselves once started. */
#ifndef BURROW_SERVER_INT_H
#define BURROW_SERVER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "config/config.h"
#include "http/http_route.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/tunnels.h"
#include "proto/auth.h"
#include "proto/frame.h"
#include "proto/kinds.h"
#include "server/access_log.h"
#include "server/lb_group.h"
#include "server/server.h"
#include "server/srv_stats.h"
#include "server/work_pool.h"
#include "util/ref.h"

#define RUN_ID_LEN 16 /* bytes; hex on the wire */
/* The gate (server.c): connections that have not proved themselves yet.
 * Strangers (sources without a live session) and clients (sources that hold
 * one, opening work conns) have separate budgets, so a flood of strangers
 * never crowds out work conns. A full stranger budget evicts the oldest
 * stranger; a full per-source budget refuses the newcomer. */
#define GATE_HANDSHAKE_TIMEOUT_MS 10000 /* login or work proof (BURROW_HANDSHAKE_TIMEOUT) */
#define CUSTOM_404_MAX (256 * 1024)     /* custom404Page is read up to this */
#define MAX_PENDING_GATES 1024          /* unauthenticated connections from strangers */
#define GATE_MAX_PER_SOURCE 16          /* ... from one stranger address (IPv6: one /64) */
#define GATE_MAX_TLS 128                /* strangers inside the TLS handshake (~38 KiB each) */
#define GATE_TLS_TIMEOUT_MS 5000        /* the TLS handshake must end within this */
#define GATE_TLS_GRACE_MS 500           /* a handshake this old may be evicted for a newcomer */
#define GATE_TLS_TRIM_AFTER 32          /* handshakes at once after which freed memory is trimmed */
#define GATE_MAX_CLIENT_GATES 2048      /* pending connections from sources holding a session */
#define GATE_MAX_PER_CLIENT 512         /* ... from one such source (work conns, bursts) */
#define LOGIN_BACKOFF_SOURCES 4096      /* sources with failed logins remembered */

typedef struct session session_t;
typedef struct sproxy sproxy_t;
typedef struct vsite vsite_t;

struct srv {
    uv_loop_t *loop;
    struct ddns *ddns; /* the server's own [[ddns]] names (sddns.c); NULL: none */
    const server_cfg_t *cfg;
    const char *state_dir;
    SSL_CTX *tls;
    listener_t listener;
    bool listening, stopping;
    session_t *sessions;
    int n_gates;                       /* every gate, until freed */
    int n_strangers, n_clients, n_tls; /* gates counted against each budget now */
    bool tls_storm;                    /* n_tls reached GATE_TLS_TRIM_AFTER since the last trim */
    uv_timer_t trim_timer;             /* gives memory back after a storm of handshakes */
    bool trim_on;                      /* trim_timer is initialised */
    struct gate *gate_oldest, *gate_newest; /* counted gates, in accept order */
    struct src_limit *gate_src;             /* counted gates per source */
    struct src_backoff *login_backoff;      /* wrong-token logins per source */
    int handshake_timeout_ms;
    /* virtual hosts (vhost_http.c, vhost_https.c); routes point at vsite_t */
    listener_t http_listener, https_listener; /* count fronts / hellos held */
    bool http_on, https_on;
    http_routes_t http_routes, https_routes;
    char *page_404;           /* custom404Page's contents, or NULL */
    int http_head_timeout_ms; /* a request head, or keep-alive idleness */
    size_t page_404_len;
    /* closed http/https proxies' sites, oldest first, and the timer that
     * expires them (sproxy_http.c) */
    vsite_t *tombs, *tombs_tail;
    struct fdl *ftp_data;   /* FTP data listeners waiting for their user (ftp_data.c) */
    struct fad *ftp_active; /* active-mode FTP dials to users (ftp_active.c) */
    uv_timer_t tomb_timer;
    bool tomb_timer_on;
    int tombstone_ms;
    /* vhost caps (vhost_limits.h): connections held per source (in total:
     * the listeners count them) */
    struct src_limit *http_srcs, *https_srcs;
    /* what server_stop must end besides sessions and gates */
    struct front *fronts; /* vhost_http.c, until freed */
    struct hello *hellos; /* vhost_https.c, until freed */
    tunnels_t tunnels;    /* net/tunnels.h, until their relay is done */
    /* secret proxies whose owner went away (sproxy_stcp.c): owner-offline */
    struct secret_gone *secret_gone;
    struct stun_srv *stun;   /* natDiscovery's STUN service (stun_srv.h), or NULL */
    struct udp_relay *relay; /* p2p's UDP relay (udp_relay.h), or NULL */
    uint8_t p2p_key[32];     /* MACs xtcp pair tokens (p2p_rdv.c); random per run */
    srv_stats_t stats;       /* counters for the dashboard and /metrics (srv_stats.h) */
    struct dash *dash;       /* webServer: the dashboard (dash.h), or NULL */
    access_log_t access;     /* log.accessLog: its switch and per-second bound */
    /* loadBalancer groups (lb_group.h): tcp groups (data: the shared
     * listener, sproxy_tcp.c) and http groups (data: the shared vsite,
     * sproxy_http.c); a group goes with its last member */
    lb_groups_t lb_tcp, lb_http;
};

/* A proxy kind on the server: tcp, udp, http, https (proto/kinds.h lists
 * them; `type` is the kind's name there). */
typedef struct sproxy_ops {
    const char *type;
    /* Binds `port` (0 = any allowed) or registers the routes NEW_PROXY `m`
     * asks for. On success sets p->port. On failure returns <0 and writes a
     * reason for the client into err. */
    int (*open)(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen);
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
    void *impl;       /* kind-specific state */
    struct pstat *st; /* its counters (srv->stats.proxies), or NULL when uncounted */
    lb_group_t *lb;   /* its loadBalancer group, or NULL (the group lists it) */
    /* sproxy_shape.c: NEW_PROXY's bandwidth_limit (held; relays hold it
     * too), NULL: none; compress: its work conns are zstd streams */
    struct shaper *shaper;
    bool compress;
};

/* sproxy_shape.c: NEW_PROXY's compression and bandwidth_limit. 0, or -1
 * with the reason in err (p may hold a shaper then: sshape_close). */
int sshape_open(sproxy_t *p, uv_loop_t *loop, const json_t *m, char *err, size_t errlen);
/* Echoes what p took into its NEW_PROXY_RESP `o`. */
void sshape_reply(const sproxy_t *p, json_t *o);
void sshape_close(sproxy_t *p);

/* An http or https proxy's settings, shared by the routes that point at it
 * and by the vhost fronts serving one of its requests (sproxy_http.c). */
struct vsite {
    sproxy_t *p;        /* NULL once the proxy closed */
    ref_t ref;          /* the proxy's (then its routes'), plus one per front holding it */
    uint64_t closed_at; /* when p closed: its routes stay, answering 502 and
                         * reserved for `owner`, until the owner registers the
                         * domain again or the tombstone timer expires them */
    char *host_rewrite, *user, *password; /* NULL when unset */
    header_list_t req_set, resp_set;
    char *owner;                    /* the session's user: its routes belong to it */
    http_routes_t *table;           /* the table its routes are in */
    vsite_t *tomb_next, *tomb_prev; /* in srv->tombs once p closed */
    /* an http group's site: every member's proxy (lb->members) is served in
     * turn; p is one of them (the settings are the first member's) */
    lb_group_t *lb;
};
/* The proxy that serves v's next connection: a member of v's group in
 * turn, else v->p (NULL once closed). */
sproxy_t *vsite_pick(vsite_t *v);
vsite_t *vsite_ref(vsite_t *v);
/* Server teardown, once the loop has ended: drops every route and the
 * references they hold, and the vhost listeners' per-source tables. */
void vhost_routes_clear(srv_t *s);
/* The timer that expires tombstones: started with the first vhost
 * listener, closed by vhost_stop. */
void vhost_tombs_start(srv_t *s);
void vhost_tombs_stop(srv_t *s);
void vsite_unref(vsite_t *v);

/* One sproxy_<sym>_ops per kind of PROXY_KINDS (proto/kinds.h). */
#define SPROXY_OPS_DECL_(id, name, flags, sym) extern const sproxy_ops_t sproxy_##sym##_ops;
PROXY_KINDS(SPROXY_OPS_DECL_)
#undef SPROXY_OPS_DECL_
/* The server's operations for the kind named `type` (NULL allowed), or NULL
 * (session.c; built from PROXY_KINDS). */
const sproxy_ops_t *sproxy_find_kind(const char *type);

/* session.c */
session_t *session_create(srv_t *s, conn_t *ctl, framer_t *fr, const char *user,
                          const uint8_t work_key[AUTH_MAC_LEN],
                          const uint8_t resume_key[AUTH_MAC_LEN], bool resumed);
/* Whether a LOGIN as `user` carrying resume proof `mac` (over the new
 * connection's nonces and binding) may replace ss: same user, and a MAC
 * under ss's resume key. */
bool session_resume_ok(const session_t *ss, const char *user, const uint8_t nonce_s[AUTH_NONCE_LEN],
                       const uint8_t nonce_c[AUTH_NONCE_LEN], const uint8_t *binding,
                       size_t binding_len, const uint8_t mac[AUTH_MAC_LEN]);
session_t *session_find(srv_t *s, const char *run_id);
const char *session_run_id(const session_t *ss);
/* Verifies a work conn's proof. true when accepted. */
bool session_check_work(session_t *ss, uint64_t seq, const uint8_t mac[AUTH_MAC_LEN]);
/* The idle work conns to keep: the client's poolCount from LOGIN (1 when it
 * sent none), at most maxPoolCount. Call right after session_create. */
void session_set_pool_target(session_t *ss, long long pool_count);
/* Takes an authenticated work conn into the pool (or straight to a waiter). */
void session_add_work(session_t *ss, conn_t *work);
/* Asks ss's work pool for a work conn for proxy p: sets req's proxy, type
 * and owner from p, then work_pool_request (work_pool.h says what follows;
 * req was set up with work_req_init). Closing p cancels its requests
 * (WORK_CANCEL_PROXY); a requester that goes away calls
 * work_pool_withdraw(req). */
void session_request_work(session_t *ss, sproxy_t *p, work_req_t *req);
void session_end(session_t *ss, const char *reason);
/* Whether the session's user may bind public `port` (allowPorts, the
 * user's own first). */
bool session_port_allowed(const session_t *ss, int port);
int session_count_ports(const session_t *ss);
/* The user the session logged in as ("" when the client named none). Routes,
 * proxy names and ports belong to this user: another user cannot take them. */
const char *session_user(const session_t *ss);
/* Whether the session's user may claim `domain` (exact, or "*.suffix") under
 * its per-user limits ([[users]] domains). The server-wide wildcard policy is
 * the vhost's (sproxy_http.c); this is only the user's own allowance. */
bool session_domain_allowed(const session_t *ss, const char *domain);
/* Ports tried for a port-0 proxy of a user with its own allowPorts (random
 * free ones within them) before it is refused. */
#define USER_PORT_TRIES 8

/* Sends a control message to the session's client (takes obj); a client
 * that does not read its control conn ends (CTL_BACKLOG_MAX). */
void session_send(session_t *ss, uint8_t type, json_t *obj);
/* xtcp rendezvous budget: true while the session has sent fewer than
 * P2P_OFFERS_PER_MIN offers in the current minute (and counts this one). */
bool session_p2p_budget(session_t *ss);
/* The same for MSG_P2P_PATH reports (P2P_PATH_REPORTS_PER_MIN). */
bool session_p2p_path_budget(session_t *ss);

/* p2p_rdv.c: xtcp's rendezvous. The server forwards a visitor's P2P_OFFER
 * to the owner of the proxy it names and the owner's P2P_ANSWER back; it
 * keeps no state per pair: the owner gets an opaque `pair` token (the
 * visitor's run id and sid, an expiry, a MAC under srv->p2p_key) that its
 * answer must carry back. */
#define P2P_OFFERS_PER_MIN 60
#define P2P_PAIR_TTL_MS 30000 /* an answer later than this is dropped */
void p2p_rdv_offer(srv_t *s, session_t *vs, const json_t *m);
void p2p_rdv_answer(srv_t *s, session_t *os, const json_t *m);
/* MSG_P2P_PATH from ss: a pair's path into s->stats.paths (p2p_paths.h);
 * at most P2P_PATH_REPORTS_PER_MIN per session, more are dropped. */
#define P2P_PATH_REPORTS_PER_MIN 120
void p2p_rdv_path(srv_t *s, session_t *ss, const json_t *m);

/* wake_rdv.c: Wake-on-LAN from outside. A client names its [[wakeOnLan]]
 * machines at LOGIN ("wake"); a session of the same user (WAKE_REQ, what
 * `burrow wake NAME --server` sends) or the dashboard (POST /api/wake)
 * asks; the server sends WAKE to the live session of that user that named
 * it, and relays its WAKE_RESULT to the asking session (same user only).
 * No state is kept per request: WAKE carries the asker's run id as `id`. */
#define WAKE_NAMES_MAX 64    /* names kept per session */
#define WAKE_REQ_MIN_MS 1000 /* one WAKE_REQ per session per second */
void wake_rdv_request(srv_t *s, session_t *rs, const json_t *m);
void wake_rdv_result(srv_t *s, session_t *ws, const json_t *m);
/* The dashboard's route: asks the session of `user` that named `name`.
 * 0 (its hostname in client[]), or -1 when no live session of user did. */
int wake_rdv_dashboard(srv_t *s, const char *user, const char *name, const char *from, char *client,
                       size_t client_len);
/* LOGIN's "wake" names (copied, bounded, invalid ones skipped). */
void session_set_wake(session_t *ss, const json_t *names);
bool session_can_wake(const session_t *ss, const char *name);
/* false when the session asked less than WAKE_REQ_MIN_MS ago (else counts this one). */
bool session_wake_budget(session_t *ss);
const char *session_peer(const session_t *ss);
const char *session_host(const session_t *ss);

/* What the client said of itself at LOGIN (copied; NULL allowed). */
void session_set_info(session_t *ss, const char *version, const char *hostname);
/* LOGIN's client_id and metadatas, already checked (proto/meta.h): copied. */
void session_set_meta(session_t *ss, const char *client_id, const json_t *metadatas);
/* The "client logged in" line, once LOGIN's fields are set. */
void session_log_login(const session_t *ss);
/* The client's NAT behaviour as its last P2P offer or answer said (a
 * static word of cand_nat_name: "open", "easy", "hard"; kept, not copied). */
void session_set_nat(session_t *ss, const char *nat);
/* For the dashboard: the next session after ss (s->sessions first). */
typedef struct session_info {
    const char *run_id, *user, *peer, *version, *hostname;
    int64_t since; /* unix seconds */
    int proxies;
    const char *nat_type;    /* NULL until a P2P offer or answer told it */
    const char *client_id;   /* LOGIN's clientID; "" when none */
    const json_t *metadatas; /* LOGIN's, or NULL */
} session_info_t;
void session_get_info(const session_t *ss, session_info_t *out);
session_t *session_next(const session_t *ss);

/* Counting a stream a proxy relays: pins p's counters (a connection more)
 * and relays a (the user's side) and b (the work conn) through s->tunnels
 * with a meter that adds the bytes a sends to "in" and b sends to "out" as
 * they move; plain tunnels_relay when p is NULL or uncounted. */
void sproxy_relay_counted(srv_t *s, sproxy_t *p, conn_t *a, conn_t *b, const uint8_t *early,
                          size_t early_len, const char *what);

/* server.c */
bool server_proxy_name_taken(srv_t *s, const char *name);
/* The live proxy named `name` (session.c), or NULL. */
sproxy_t *server_find_proxy(srv_t *s, const char *name);

/* sproxy_stcp.c: a visitor's conn, proved by its session vss (HELLO role
 * "visitor"), for the secret proxy named `proxy` of kind `type` (NULL:
 * "stcp"; a visitor only reaches a proxy of its own kind) with the
 * visitor's nonce (hex). Takes v: relays it to a work conn of the owner's
 * session after STCP_VISITOR, or answers ERROR unknown-proxy /
 * owner-offline and closes (owner-offline: no live proxy has the name,
 * s->secret_gone remembers it). */
void sproxy_stcp_visit(srv_t *s, session_t *vss, conn_t *v, const char *proxy,
                       const char *nonce_hex, const char *type);
/* The secret kinds' open (no public port, the name alone) and close. */
int sproxy_secret_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen);
void sproxy_secret_close(sproxy_t *p);
/* Whether the address of `peer` ("ip:port", "[ip6]:port") holds a live
 * session now (its work conns get the clients' gate budget). */
bool server_source_has_session(srv_t *s, const char *peer);
/* "ip:port" of the local end of an accepted conn (the address users dialed). */
const char *server_local_addr(conn_t *c, char *buf, size_t size);

/* vhost_http.c / vhost_https.c: the shared listeners (vhostHTTPPort,
 * vhostHTTPSPort). 0, or <0 after logging. */
int vhost_http_start(srv_t *s);
int vhost_https_start(srv_t *s);
void vhost_stop(srv_t *s);
/* Binds proxyBindAddr:port and listens (l->data = s), handing each
 * connection to cb; the listener caps the connections held at max_total and
 * keeps VHOST_FD_RESERVE descriptors back, logging refusals (rate-limited).
 * 0 or <0 after logging. */
int vhost_listen(srv_t *s, listener_t *l, int port, listener_conn_cb cb, int max_total,
                 const char *what);
/* Counts connection c from peer against its source in srcs (at most
 * max_per_source). false when refused: then c is closed, the listener's
 * count released, and a rate-limited line says which cap. On true the
 * caller calls vhost_release once when the connection no longer counts. */
bool vhost_admit(listener_t *l, conn_t *c, struct src_limit *srcs, int max_per_source,
                 const struct sockaddr_storage *peer);
void vhost_release(listener_t *l, struct src_limit *srcs, const struct sockaddr_storage *src);

/* Server stop: closes every front / hello (each frees itself once its
 * handles are closed). */
void vhost_fronts_close(srv_t *s);
void vhost_hellos_close(srv_t *s);

/* ports.c: the attempt-th port to try for a proxy asking for `want`
 * (want > 0: only want itself; want == 0: 0 when any port is allowed, else
 * random allowed ports). -1 when there is nothing more to try. */
int ports_candidate(const server_cfg_t *cfg, int want, int attempt);
/* Fills a sockaddr for the server's proxyBindAddr and port. 0 or <0. */
int ports_bind_addr(const server_cfg_t *cfg, int port, struct sockaddr_storage *out);
/* sddns.c: the server's own [[ddns]] names. */
int sddns_start(srv_t *s);
void sddns_stop(srv_t *s);

#endif
