/* client_int: structures shared by the client's files, private to src/client.
 * Ownership: cli owns the control conn, the proxies and its timers, and
 * lists what it must close when it stops: work conns while idle (dialing or
 * waiting for START_WORK) and while their local side connects, then their
 * relays (a tunnels_t), and the udp channels (cproxy_udp.c's, each owning its
 * conn and local sockets) while their conn is open. Each of those frees
 * itself when its last handle has closed (util/ref.h); client_stop closes
 * them all, so the loop runs dry before client_destroy. */
#ifndef BURROW_CLIENT_INT_H
#define BURROW_CLIENT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "client/client.h"
#include "net/conn.h"
#include "net/tunnels.h"
#include "plugin/plugin.h"
#include "proto/auth.h"
#include "proto/ctl.h"
#include "proto/e2e.h"
#include "proto/frame.h"
#include "proto/kinds.h"
#include "tls/tls_cert.h"
#include "util/ref.h"

#define MAX_CONNECTING_WORK 256
/* A proxy the server refused is asked for again after this long, doubling
 * up to the cap (per proxy; reset when it is granted or at a new login). */
#define PROXY_RETRY_BASE_MS 2000
#define PROXY_RETRY_MAX_MS 60000

/* Dead-path detection on the control and work conns (conn_set_liveness):
 * keepalive probes after 5 s of silence, then every 2 s; the kernel fails the
 * connection after 5 unanswered probes or when sent data (a PING) stays
 * unacknowledged for 15 s. The heartbeat stays as the end-to-end check. */
#define CLIENT_KEEPALIVE_IDLE_S 5
#define CLIENT_KEEPALIVE_INTVL_S 2
#define CLIENT_KEEPALIVE_CNT 5
#define CLIENT_USER_TIMEOUT_MS 15000

/* After losing a logged-in session the client probes the server at once and
 * then every 1-2 s (measured from the previous attempt's start; each attempt
 * must connect, TLS included, within 3 s) for 2 minutes, so that it is back
 * within about 2 s of the path returning; after that, exponential backoff
 * (1 s doubling to 30 s, half of each delay random). */
#define CLIENT_PROBE_INTERVAL_MS 1000 /* plus up to as much again at random */
#define CLIENT_PROBE_CONNECT_TIMEOUT_MS 3000
#define CLIENT_PROBE_WINDOW_MS 120000
#define CLIENT_BACKOFF_BASE_MS 1000
#define CLIENT_BACKOFF_MAX_MS 30000

typedef struct cwork cwork_t;
typedef struct cudp cudp_t;
typedef struct cstcp cstcp_t;
typedef struct cftp cftp_t;
typedef struct cfa cfa_t;
typedef struct cvisitor cvisitor_t;
typedef struct vconn vconn_t;
typedef struct cxtcp cxtcp_t;

/* An xtcp visitor's punch attempts (maxRetriesAnHour, minRetryInterval). */
typedef struct cxtcp_budget {
    uint64_t hour_start, last; /* loop ms; 0: never */
    int tries;                 /* in the hour from hour_start */
} cxtcp_budget_t;
typedef struct vsudp vsudp_t;

/* A config loaded by a hot reload (reload.c), shared by the proxies built
 * from it: each holds one reference, and so does the reload while it runs.
 * The client's first config is not boxed: it is borrowed (client_create). */
typedef struct ccfg_box {
    client_cfg_t cfg;
    ref_t ref;
} ccfg_box_t;

/* One running [[proxies]] entry. Heap-allocated, counted (util/ref.h): the
 * client's list (cli->proxies) until the proxy is removed, its retry timer
 * until closed, and each object that keeps a pointer to it past a call (a
 * started cwork, a udp channel, an stcp owner handshake) hold a reference.
 * The last drop releases its config box. */
typedef struct cproxy {
    const proxy_cfg_t *cfg; /* in box->cfg, or in the client's first config */
    ccfg_box_t *box;        /* NULL: the first config */
    char wire_name[192];    /* "user.name" when user is set */
    struct sockaddr_storage local;
    int remote_port; /* as granted by the server */
    cli_t *cli;
    uv_timer_t retry;   /* asks again after a refusal */
    unsigned retry_ms;  /* the last retry delay; 0 = not refused */
    bool armed;         /* retry timer initialized and not closing */
    bool registered;    /* the server granted it in this session */
    char last_err[160]; /* the server's last refusal; "" when none */
    int wake_waiting;   /* work conns waiting for the machine to wake (cwake.c) */
    uint64_t wake_sent; /* loop time of the last magic packet; 0 = never */
    bool ftps_logged;   /* ftp: "AUTH TLS, no rewriting" said once */
    /* directExpose (cexpose.c): the router's mapping, owned; NULL: none */
    struct portmap *pm;
    char direct_addr[64];   /* "EXT:PORT" while mapped; "" otherwise */
    const char *direct_via; /* "pcp", "natpmp", "upnp" while mapped; static */
    /* [proxies.plugin] (src/plugin): the instance, one reference held until
     * the proxy is released; NULL: the local service */
    plugin_inst_t *plugin;
    ref_t ref;
} cproxy_t;

struct cli {
    uv_loop_t *loop;
    const client_cfg_t *cfg;
    const char *state_dir;
    SSL_CTX *tls;
    char endpoint[300];            /* "serverAddr:serverPort" */
    char known_path[1024];         /* trust-on-first-use store */
    char fingerprint[TLSC_FP_LEN]; /* of the server we logged in to */
    conn_t *ctl;
    ctl_chan_t ch; /* the control channel's framer and handlers */
    int state;
    uv_timer_t retry, hb;
    uv_getaddrinfo_t gai;
    struct sockaddr_storage addr;
    int attempt;
    bool ever_logged_in, stopping;
    int exit_status;
    uint64_t last_rx;
    char run_id[64];
    uint8_t nonce_c[AUTH_NONCE_LEN], work_key[AUTH_MAC_LEN];
    /* resume_key belongs to run_id (kept in resume_path across restarts);
     * resume_next is the one the login in flight will get. */
    uint8_t resume_key[AUTH_MAC_LEN], resume_next[AUTH_MAC_LEN];
    bool have_resume;
    char resume_path[1100];
    uint64_t seq;
    SSL_SESSION *tls_session; /* from the control conn, resumed by work conns */
    unsigned gen;             /* bumps at each login; older work conns are stale */
    cwork_t *idle;            /* work conns not yet started */
    int n_idle;
    cwork_t *starting;      /* started stream work conns, local side connecting */
    tunnels_t tunnels;      /* their relays, until done */
    plugin_host_t plugins;  /* plugin sessions in their handshake (cplugin.c) */
    cudp_t *udps;           /* udp channels, while their conn is open */
    uint64_t udp_send_fail; /* datagrams to a local service that could not be sent, ever */
    cstcp_t *stcps;         /* stcp owners: handshake or local side connecting */
    cftp_t *ftps;           /* FTP control connections of ftp proxies (cftp.c) */
    uint32_t ftp_seq;       /* the last FTP_DATA_PORT / FTP_ACTIVE_DIAL id */
    cfa_t *ftp_actives;     /* active-mode FTP data listeners (cftp_active.c) */
    cvisitor_t **visitors;  /* one per running [[visitors]] entry (visitor.c) */
    int n_visitors;
    cvisitor_t *visitors_retired; /* removed by reloads, freed by client_destroy */
    cxtcp_t *xtcps;               /* xtcp pairs punching or holding a path (cxtcp.c) */
    long long xtcp_sid;           /* the last P2P_OFFER's sid */
    cproxy_t **proxies;           /* running, each listed holding a reference */
    int n_proxies;
    /* the HTTP inspector (src/inspect) when a proxy inspects; NULL else */
    struct inspector *inspector;
    /* DDNS (src/ddns, cddns.c) when [[ddns]] entries exist; NULL else */
    struct ddns *ddns;
    uint64_t lost_at;       /* loop time a logged-in session was lost; 0: never */
    uint64_t attempt_start; /* loop time the current connection attempt began */
    bool probe_expired;     /* probing over: window ran out, or server reached */
    /* `burrow wake NAME --server`: the name to ask for after login
     * (borrowed); NULL for a normal client. wake_done: the answer came. */
    const char *wake_request;
    bool wake_done;
    void (*on_stop)(void *arg); /* client_on_stop's */
    void *on_stop_arg;
};

/* client.c */
/* The wait before the next connection attempt (pure, for tests): `attempt`
 * failures so far, `since_loss_ms` since a logged-in session was lost
 * (UINT64_MAX when none was), `since_start_ms` since the last attempt began,
 * `rnd` a random number. Within CLIENT_PROBE_WINDOW_MS of a loss: probe
 * interval; else exponential backoff with equal jitter. */
uint64_t client_retry_delay_ms(int attempt, uint64_t since_loss_ms, uint64_t since_start_ms,
                               uint32_t rnd);
/* TCP keepalive and user timeout (CLIENT_KEEPALIVE_*, CLIENT_USER_TIMEOUT_MS)
 * on a conn whose connect has started. */
void client_set_liveness(conn_t *conn);
/* The delay before asking again for a proxy refused after `prev_ms` (0 at
 * the first refusal): PROXY_RETRY_BASE_MS doubling up to PROXY_RETRY_MAX_MS. */
unsigned client_proxy_retry_delay(unsigned prev_ms);

/* A proxy kind on the client (proto/kinds.h names one per kind:
 * cproxy_<sym>_ops, each in its own cproxy_<sym>.c). */
typedef struct cproxy_ops {
    /* Adds the kind's own NEW_PROXY fields to `o`, which already holds name,
     * type and remote_port. NULL: none. */
    void (*encode)(json_t *o, const proxy_cfg_t *cfg);
    /* START_WORK for this kind arrived on w; `rest` (borrowed) is what
     * followed it in the same read. Takes w: the kind relays it, hands its
     * conn on (cwork_detach) or closes it. */
    void (*start)(cwork_t *w, const uint8_t *rest, size_t rest_len);
} cproxy_ops_t;

#define CPROXY_OPS_DECL_(id, name, flags, sym) extern const cproxy_ops_t cproxy_##sym##_ops;
PROXY_KINDS(CPROXY_OPS_DECL_)
#undef CPROXY_OPS_DECL_

/* The operations of kind k (never NULL for a kind the config accepted). */
const cproxy_ops_t *cproxy_ops(proxy_kind_t k);
/* NEW_PROXY for p: name, type, remote_port and the kind's fields. */
json_t *cproxy_new_proxy_msg(const cproxy_t *p);
/* A running proxy for cfg (inside box's config, or the first config when
 * box is NULL; a reference to box is taken), holding one reference, the
 * caller's list's. NULL after logging why (bad localIP, no memory). */
cproxy_t *cproxy_new(cli_t *c, const proxy_cfg_t *cfg, ccfg_box_t *box);
/* Initializes its retry timer (which holds a reference until closed). */
void cproxy_arm(cproxy_t *p);
/* References (see cproxy_t). The count is bookkeeping, not the proxy's
 * value, so a const pointer may hold one. */
void cproxy_hold(const cproxy_t *p);
void cproxy_drop(const cproxy_t *p);
/* The proxy leaves service (reload, stop): its retry timer is closed,
 * which drops that reference later; the caller drops the list's. */
void cproxy_retire(cproxy_t *p);
/* A config box with one reference (the caller's); cfg zeroed. */
ccfg_box_t *ccfg_box_new(void);
void ccfg_box_drop(ccfg_box_t *b);

/* cplugin.c: a proxy with a plugin (plugin/plugin.h) hands each user
 * connection to it instead of dialling a local service. */
/* conn (taken; the work conn, or a secret proxy's e2e conn, with empty
 * callbacks) to p's plugin; `early` (borrowed) was read after START_WORK;
 * `src` the user's address ("" when unknown). */
void cplugin_serve(const cproxy_t *p, conn_t *conn, const char *src, const uint8_t *early,
                   size_t early_len);

/* cexpose.c */
/* directExpose: asks the router to map p's localPort (a reference to p is
 * held until the mapping is closed); nothing when the option is off. */
void cexpose_start(cproxy_t *p);
/* Deletes p's mapping (asynchronously; the reference is dropped after). */
void cexpose_stop(cproxy_t *p);

/* cdial.c */
/* Connects conn to the server (c->addr): TLS when enabled, with the
 * configured server name (checked against a CA when one is set), resuming
 * `resume` when not NULL; then client_set_liveness. 0 or a libuv error. */
int client_dial(cli_t *c, conn_t *conn, SSL_SESSION *resume);
/* Writes the magic and HELLO on a connected conn: role "control", or "work"
 * with run_id, the next seq and its MAC under work_key. 0 or <0. */
int client_send_hello(cli_t *c, conn_t *conn, bool work);
/* Writes the magic and HELLO role "visitor" on a connected conn: the work
 * proof of the current session, the owner's `proxy`, its kind `type`
 * ("stcp", "sudp") and the visitor's nonce. <0 when not logged in. */
int client_send_visitor_hello(cli_t *c, conn_t *conn, const char *proxy, const char *type,
                              const uint8_t nonce[E2E_NONCE_LEN]);

/* cwake.c: on-demand Wake-on-LAN for a stream proxy whose config names a
 * [[wakeOnLan]] entry (proxy_cfg_t wake_mac). While the machine boots, the
 * user's connection waits (its work conn paused) and cwork.c retries the
 * local connect every WAKE_RETRY_MS, each attempt bounded by
 * WAKE_CONNECT_TIMEOUT_MS, until wakeTimeout; at most WOL_WAIT_MAX conns
 * per proxy wait, the rest are refused. */
#define WOL_WAIT_MAX 16
#define WAKE_RETRY_MS 1500
#define WAKE_CONNECT_TIMEOUT_MS 3000
#define WAKE_RESEND_MS 10000 /* the magic packet again while still down */
bool cwake_enabled(const cproxy_t *p);
/* A local connect failed with err at loop time now. *since is when this
 * conn began waiting (0: not yet; set here). true: wait and retry (the
 * magic packet went if due); false: give up (logged: cap or timeout). */
bool cwake_failed(cproxy_t *p, uint64_t now, uint64_t *since, int err);
/* The local connect succeeded after waiting since `since` (0: never waited). */
void cwake_up(cproxy_t *p, uint64_t now, uint64_t since);
/* The conn stopped waiting some other way (the user left, client stop). */
void cwake_cancel(cproxy_t *p, uint64_t since);

/* cwake_ctl.c: Wake-on-LAN over the control connection (see the file). */
#define WAKE_NAMES_MAX 64 /* [[wakeOnLan]] names sent at LOGIN */
json_t *cwake_names(const client_cfg_t *cfg);
void cwake_on_wake(void *owner, json_t *m);
void cwake_on_result(void *owner, json_t *m);
void cwake_request(cli_t *c);

/* cwork.c */
/* The started work conn's proxy. */
const cproxy_t *cwork_proxy(const cwork_t *w);
/* Relays w to the proxy's local service (tcp, http, https), after the PROXY
 * header START_WORK asked for. Takes w. */
void cwork_start_stream(cwork_t *w, const uint8_t *rest, size_t rest_len);
/* Takes the conn out of a started w and frees w. The conn is left with no
 * callbacks: the caller sets its own (conn_set_cbs) or closes it. */
conn_t *cwork_detach(cwork_t *w);

void cwork_open(cli_t *c);
/* Closes idle work conns (e.g. when the control connection is lost). */
void cwork_close_idle(cli_t *c);
/* Client stop: closes idle work conns and those whose local side connects. */
void cwork_close_all(cli_t *c);
/* Closes the started work conns of p whose local side still connects. */
void cwork_close_proxy(cli_t *c, const cproxy_t *p);

/* cproxy_udp.c: client stop closes every udp channel's conn (its sockets and
 * timer follow). */
void cudp_close_all(cli_t *c);
/* Closes p's udp channels (p removed by a reload). */
void cudp_close_proxy(cli_t *c, const cproxy_t *p);
/* Runs the udp fan-out for proxy p over `conn` (a udp work conn, or an
 * sudp owner's e2e conn), whose callbacks are empty; `rest` (borrowed) is
 * stream bytes already read. Takes conn. */
void cudp_adopt(const cproxy_t *p, conn_t *conn, const uint8_t *rest, size_t rest_len);

/* cproxy_stcp.c: the owner's side of every secret kind. */
/* The handshake on s's work conn is done: the kind takes it from here
 * (cstcp_wrap) with `rest` (borrowed), the stream bytes after it. */
typedef void (*cstcp_accepted_fn)(cstcp_t *s, const uint8_t *rest, size_t rest_len);
/* Runs stcp_hs as the owner on w's conn (listed in cli->stcps until
 * accepted), then calls `accepted`. Takes w. */
void cstcp_start_owner(cwork_t *w, const uint8_t *rest, size_t rest_len,
                       cstcp_accepted_fn accepted);
/* The accepted work conn of s wrapped in an e2e conn with empty callbacks
 * (the caller sets its own, then feeds `rest` with conn_e2e_feed). Frees s;
 * NULL when the wrap failed (the work conn is closed). */
conn_t *cstcp_wrap(cstcp_t *s);
/* s's proxy. */
const cproxy_t *cstcp_proxy(const cstcp_t *s);
/* Client stop closes the owner conns of secret proxies still in their
 * handshake or connecting to the local service. */
void cstcp_close_all(cli_t *c);
/* Closes p's owner conns still in their handshake or local connect. */
void cstcp_close_proxy(cli_t *c, const cproxy_t *p);

/* cftp.c: FTP-aware tcp proxies (`ftp = true`). */
/* Takes work and local (both up, paused): the control connection's pump;
 * early = bytes after START_WORK; peer = START_WORK's src (the user). */
void cftp_start(cli_t *c, cproxy_t *p, conn_t *work, conn_t *local, const uint8_t *early,
                size_t early_len, const char *peer);
/* FTP_DATA_PORT_RESP (a control handler). */
void cftp_on_data_port(void *owner, json_t *m);
/* The FTP server's data address for START_WORK's ftp_data id (used once). */
bool cftp_data_target(cli_t *c, uint32_t id, struct sockaddr_storage *out);
void cftp_close_all(cli_t *c);

/* cftp_active.c: active-mode FTP (PORT/EPRT) for cftp.c. Opens a one-shot
 * listener on local's own address (where the FTP server reaches us) for a
 * PORT naming `target` ("ip:port", the user's) on a control connection of
 * user `peer` (START_WORK src); `owner` (compared only) is the control
 * connection, whose earlier unused listeners it closes. The listener's
 * address goes to *lan. 0, or a negative uv error (UV_EBUSY: CFA_MAX). */
int cfa_open(cli_t *c, cproxy_t *p, const void *owner, conn_t *local, uint32_t id, const char *peer,
             const char *target, struct sockaddr_storage *lan);
/* Finishes owner's listeners and waiting connections (all when NULL). */
void cfa_close_owner(cli_t *c, const void *owner);
void cfa_on_fail(void *owner, json_t *m); /* FTP_ACTIVE_FAIL */
/* START_WORK ftp_active=id: relays work (taken on success) with the FTP
 * server's waiting connection, early bytes first to it. */
bool cfa_join(cli_t *c, uint32_t id, conn_t *work, const uint8_t *early, size_t early_len);
void cftp_close_proxy(cli_t *c, const cproxy_t *p);
/* client.c: logged in (proxies can be registered, messages sent). */
bool client_ready(const cli_t *c);

/* visitor.c: the [[visitors]] entries. */
/* Builds one visitor per entry (client_create). 0 or -1 (out of memory). */
/* ---- cddns.c: the client's DDNS names --------------------------------- */
/* Creates c->ddns from cfg->ddns (nothing without entries); 0 or -1. */
int cddns_setup(cli_t *c);
/* At LOGIN_OK: the address the server saw (its "addr"), else a STUN probe. */
void cddns_login(cli_t *c, const char *server_seen);
void cddns_stop(cli_t *c); /* at client_stop */
/* A directExpose mapping came or went (cexpose.c): the router's external
 * address of the first mapped proxy is what the [[ddns]] names publish,
 * else what the server and STUN see. */
void cddns_direct_changed(cli_t *c);

int cvisitor_setup(cli_t *c);
/* Opens the local listeners (client_start); they stay open until stop. */
void cvisitor_start(cli_t *c);
/* A login succeeded: local connections waiting for it dial the server. */
void cvisitor_ctl_up(cli_t *c);
/* Client stop: closes the listeners, the sudp sockets and paths, and every
 * connection not yet relayed. */
void cvisitor_close_all(cli_t *c);
/* Hot reload (reload.c): a visitor for entry cfg (in box's config, a
 * reference held; box NULL: the first config), not yet running; NULL when
 * out of memory. cvisitor_discard frees one that never ran. */
cvisitor_t *cvisitor_new(cli_t *c, const visitor_cfg_t *cfg, ccfg_box_t *box);
void cvisitor_discard(cvisitor_t *v);
const visitor_cfg_t *cvisitor_cfg(const cvisitor_t *v);
/* Starts v: its listener or socket, and its path when logged in. */
void cvisitor_run(cvisitor_t *v);
/* Takes v (already out of cli->visitors) out of service: its listener or
 * socket, waiting connections, relayed connections and xtcp pair end; it
 * is freed with the client. Returns the relayed connections ended. */
int cvisitor_retire(cvisitor_t *v);
/* xtcp: the punch budget of visitor entry cfg, NULL when not running. */
cxtcp_budget_t *cvisitor_budget(cli_t *c, const visitor_cfg_t *cfg);
/* xtcp: the pair of visitor `cfg` has news (its QUIC is ready, failed, or
 * the pair closed): connections waiting for QUIC look again (from the
 * loop, not from inside this call). */
void cvisitor_xtcp_news(cli_t *c, const visitor_cfg_t *cfg);
/* cxtcp.c: xtcp's direct path (p2p/punch.h) beside the relay path. */
/* An xtcp visitor `v` wants a direct path to the owner's `proxy` (its
 * wire name): starts a pair unless one runs or its budget is spent. */
void cxtcp_visitor_want(cli_t *c, const visitor_cfg_t *v, const char *proxy);
/* P2P_OFFER (owner) and P2P_ANSWER (visitor) from the server. */
void cxtcp_on_offer(void *owner, json_t *m);
void cxtcp_on_answer(void *owner, json_t *m);
/* The pairs of owner proxy `proxy` (wire name), or of visitor v when v is
 * not NULL, as a JSON array for the admin API: peer, path ("direct",
 * "relay": QUIC's; "stcp": the server's TCP relay), rtt_ms, since_ms. */
json_t *cxtcp_pairs_json(cli_t *c, const char *proxy, const visitor_cfg_t *v);
/* Client stop: closes every pair (sockets and timers). */
void cxtcp_close_all(cli_t *c);
/* Closes the owner's pairs of the proxy with wire name `proxy`. */
void cxtcp_close_proxy(cli_t *c, const char *proxy);
/* Closes the pair of visitor entry v (a reload removed it). */
void cxtcp_close_visitor(cli_t *c, const visitor_cfg_t *v);
/* Visitor v's user connection over the pair's QUIC: a stream with empty
 * callbacks, or NULL with *pending telling whether QUIC may come up soon
 * (rendezvous or handshake under way) or not (the stcp path then). */
conn_t *cxtcp_visitor_stream(cli_t *c, const visitor_cfg_t *v, bool *pending);

/* cxtcp_quic.c: an xtcp pair's QUIC connection (net/quic.h): over the
 * server's UDP relay from the rendezvous on, migrated to the punched direct
 * path when one appears. Built without QUIC (BURROW_STATIC) cxq_new returns
 * NULL and the pair's connections stay on the stcp path.
 * Ownership: the pair (cxtcp.c) owns its cxq_t; cxq_close ends the QUIC
 * connection and the relay path and calls cb once all is closed. A direct
 * path given to cxq_add_direct stays its owner's (the punch's, the pair's
 * TCP path): cxq_remove_direct or cxq_close stops using it at once, so it
 * may be closed right after. */
typedef struct cxq cxq_t;
struct relay_grant;
struct dgram_path;
/* A QUIC identity for one pair (client role for the visitor). NULL: none.
 * `news(arg)` runs when QUIC becomes ready, when its path changes, and once when it cannot carry
 * the pair (any more: no relay, a failed handshake, the connection ended,
 * e.g. the peer silent for QUIC_PEER_SILENT_MS); the pair may close it
 * there. */
cxq_t *cxq_new(cli_t *c, bool visitor, void (*news)(void *arg), void *arg);
/* The identity's PUNCH_FP_LEN-byte fingerprint, for the rendezvous. */
const uint8_t *cxq_fp(const cxq_t *q);
/* Binds our side of the relay (grant) and starts QUIC on it toward the
 * peer whose certificate has fingerprint peer_fp; the owner joins each
 * stream to `local` (its service; NULL for the visitor). 0 or <0 (logged). */
int cxq_start(cxq_t *q, const uint8_t *peer_fp, const struct relay_grant *g, const char *label,
              const struct sockaddr_storage *local);
/* A direct path was found (UDP punch, or TCP simultaneous open framed by
 * net/dgram_tcp.h; at most CXQ_DIRECT_MAX): QUIC adds it and the visitor
 * migrates when it beats the path in use (dgram_path.h's DGRAM_PREF_*). */
void cxq_add_direct(cxq_t *q, struct dgram_path *p);
/* Its owner takes a direct path back (it died, or is closing). */
void cxq_remove_direct(cxq_t *q, struct dgram_path *p);
/* Whether streams can be opened now; whether they may soon (not failed). */
bool cxq_ready(const cxq_t *q);
/* The kind of path QUIC sends on now ("relay", "direct", "direct-tcp") and its smoothed
 * RTT, or NULL when QUIC does not carry the pair (static string). */
const char *cxq_path(const cxq_t *q, uint64_t *rtt_us);
bool cxq_pending(const cxq_t *q);
/* QUIC was ready and has ended: the pair's peer is gone. */
bool cxq_ended(const cxq_t *q);
/* Visitor: a new stream (one user connection) with empty callbacks, or
 * NULL with *err (UV_EAGAIN: not ready). */
conn_t *cxq_open_stream(cxq_t *q, int *err);
void cxq_close(cxq_t *q, void (*cb)(void *arg), void *arg);
/* Frees the visitors (client_destroy, after the loop has closed). */
void cvisitor_destroy(cli_t *c);
/* Shared by the visitor kinds: the user a visitor proves (the client's). */
const char *cvisitor_user(const cli_t *c);
/* A server conn of visitor `cfg` finished connecting with `status`: checks
 * the server (TLS) and sends HELLO role "visitor" for `proxy` with nonce_v.
 * 0, or -1 after a rate-limited line (the caller closes srv). */
int cvisitor_hello(cli_t *c, conn_t *srv, int status, const visitor_cfg_t *cfg, const char *proxy,
                   const uint8_t nonce[E2E_NONCE_LEN]);
/* The line for a visitor refused by the owner or the server (rate-limited). */
void cvisitor_log_refused(const char *name, const char *proxy, const char *why);

/* visitor_sudp.c: an sudp [[visitors]] entry with a bindPort. All take NULL
 * as a no-op. Its path to the owner is re-opened after a loss or refusal
 * VSUDP_RETRY_BASE_MS later, doubling to VSUDP_RETRY_MAX_MS, or to
 * VSUDP_REFUSED_MAX_MS after the owner itself refused (wrong key, user not
 * allowed: nothing will change soon, and the owner's log stays quiet). */
#define VSUDP_RETRY_BASE_MS 1000
#define VSUDP_RETRY_MAX_MS 10000
#define VSUDP_REFUSED_MAX_MS 60000
/* The delay after `prev_ms` (0: the first since the path was up) (pure). */
unsigned vsudp_retry_delay(unsigned prev_ms, bool owner_refused);
/* Builds it (client_create); `proxy` (borrowed) outlives it. NULL: no memory. */
vsudp_t *vsudp_new(cli_t *c, const visitor_cfg_t *cfg, const char *proxy);
/* Binds its local UDP port (client_start); kept until stop. */
void vsudp_start(vsudp_t *v);
/* A login succeeded: (re)opens the path to the owner now. */
void vsudp_ctl_up(vsudp_t *v);
/* Client stop: closes the socket, the path and the timers. */
void vsudp_close(vsudp_t *v);
/* Frees it once the loop has closed its handles. */
void vsudp_free(vsudp_t *v);
/* reload.c: applies box's config (client.h's client_reload_file). The
 * caller keeps its reference to box. */
json_t *client_reload_box(cli_t *c, ccfg_box_t *box);
/* client.c: NEW_PROXY for p when logged in (else the next login sends it);
 * its retry and state start afresh. */
void client_register_proxy(cli_t *c, cproxy_t *p);
/* CLOSE_PROXY for p when logged in; its retry stops. */
void client_unregister_proxy(cli_t *c, cproxy_t *p);
/* client.c: whether the control channel is logged in now. */
bool client_logged_in(const cli_t *c);
/* Checks the server certificate of a fresh TLS conn (CA, pin or TOFU).
 * 0 when trusted; otherwise logs why and returns -1. */
int client_verify_server(cli_t *c, conn_t *conn, bool first);

#endif
