/* plugin: the client's plugins (frp's `[proxies.plugin]`), one table.
 *
 * A proxy with a plugin has no local service: each user connection the
 * server starts (the work conn after START_WORK, or a secret proxy's
 * end-to-end conn) is handed to the plugin, which answers on it itself
 * (a SOCKS5 or HTTP proxy, a unix socket, ...). PLUGINS(X) lists them: one
 * X(sym) line per plugin, each a `const plugin_ops_t plugin_<sym>_ops` in
 * its own file src/plugin/plugin_<sym>.c (the four HTTP bridges, which
 * differ only by table, share plugin_hfwd.c). The config stores a plugin as
 * its type and its keys as text (config.h's plugin_cfg_t), checked against
 * the plugin's key rows at load (config/config_plugin.c).
 *
 * Three objects, each with its owner written down:
 *  - plugin_inst_t: one per running proxy (client/cproxy.c creates it with
 *    the proxy, drops it with the proxy); what the plugin built from its
 *    keys (ops->create: credentials, a path, a TLS context). Counted: the
 *    proxy holds one reference and every session one, so a reload that
 *    removes the proxy leaves running sessions their settings.
 *  - plugin_host_t: embedded by the owner of the connections (the client,
 *    cli_t): the list of sessions still in their own protocol, and the
 *    tunnel set (net/tunnels.h) their relays go to once they are plain
 *    byte streams. Stopping the client ends them all, removing a proxy ends
 *    the proxy's (plugin_host_stop_tag).
 *  - plugin_sess_t: embedded in a plugin's per-connection record. Listed in
 *    its host from plugin_sess_begin until plugin_sess_end (or until the
 *    host stops it); a handshake timer (PLUGIN_HANDSHAKE_MS) runs meanwhile
 *    and stops it when the peer is too slow. The record itself is the
 *    plugin's: it frees it when its conns have closed.
 *
 * Backpressure: a plugin that relays hands both conns to the host's
 * tunnel set (plugin_sess_relay), whose relay pauses a side above
 * CONN_HIGH_WATER; before that, a plugin reads only what its handshake
 * needs (each bounds its request size) and pauses the user's conn while it
 * connects onward. */
#ifndef BURROW_PLUGIN_H
#define BURROW_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "net/conn.h"
#include "net/tunnels.h"

/* Sessions in their handshake per host; more are refused (the conn reset). */
#define PLUGIN_SESS_MAX 1024
/* A session must reach its relay (or end) within this long. */
#define PLUGIN_HANDSHAKE_MS 10000

/* ---- the registry ----------------------------------------------------- */

/* The plugins, in the order listed to users. */
#define PLUGINS(X)                                                                                 \
    X(unix_domain_socket)                                                                          \
    X(socks5)                                                                                      \
    X(http_proxy)                                                                                  \
    X(static_file)                                                                                 \
    X(http2http)                                                                                   \
    X(http2https)                                                                                  \
    X(https2http)                                                                                  \
    X(https2https)

/* What kind of value a plugin key takes (stored as text in plugin_cfg_t). */
typedef enum {
    PK_STR,   /* a string */
    PK_BOOL,  /* a boolean: "true" / "false" */
    PK_INT,   /* an integer, min..max, in decimal */
    PK_TABLE, /* a table of strings: each "key.sub" = value (e.g. requestHeaders.set) */
} plugin_key_kind_t;

#define PK_REQUIRED (1u << 0) /* the key must be present */
#define PK_NONEMPTY (1u << 1) /* a string key must not be "" */

typedef struct plugin_key {
    const char *name; /* frp's key, dotted for a nested one ("requestHeaders.set") */
    plugin_key_kind_t kind;
    unsigned flags; /* PK_REQUIRED, PK_NONEMPTY */
    long long min, max;
} plugin_key_t;

typedef struct plugin_inst plugin_inst_t;
typedef struct plugin_host plugin_host_t;
typedef struct plugin_sess plugin_sess_t;

/* What a plugin is handed for one user connection (borrowed for the call). */
typedef struct plugin_start {
    plugin_host_t *host; /* its session lists itself here; relays go to host->tunnels */
    plugin_inst_t *inst; /* the proxy's instance (plugin_sess_begin holds it) */
    uv_loop_t *loop;
    const void *tag;   /* the proxy, compared only (tunnels, plugin_host_stop_tag) */
    const char *proxy; /* the proxy's name, for logs */
    const char *src;   /* the user's address as the server saw it; "" when unknown */
} plugin_start_t;

typedef struct plugin_ops {
    const char *name; /* the config's `type` */
    /* The keys it takes besides `type`; ends with a row whose name is NULL. */
    const plugin_key_t *keys;
    /* Checks across keys at load time (the rows are checked already).
     * NULL, or 0; else -1 with the reason in why. */
    int (*check)(const plugin_cfg_t *cfg, char *why, size_t why_len);
    /* Builds the per-proxy state from cfg (borrowed: copy what is kept).
     * NULL: no state. 0, or -1 with the reason in why. */
    int (*create)(const plugin_cfg_t *cfg, void **state, char *why, size_t why_len);
    void (*destroy)(void *state); /* NULL when create is */
    /* One user connection: `conn` (taken; empty callbacks, reading) and the
     * bytes already read from it, `early` (borrowed for the call). The
     * plugin owns the conn from here: it answers on it, relays it
     * (plugin_sess_relay) or closes it. */
    void (*serve)(const plugin_start_t *st, conn_t *conn, const uint8_t *early, size_t early_len);
} plugin_ops_t;

#define PLUGIN_OPS_DECL_(sym) extern const plugin_ops_t plugin_##sym##_ops;
PLUGINS(PLUGIN_OPS_DECL_)
#undef PLUGIN_OPS_DECL_

/* The plugin called `name`, or NULL. */
const plugin_ops_t *plugin_find(const char *name);
/* frp's plugins burrow does not carry (tls2raw, virtual_net): the reason,
 * or NULL when `name` is not one. */
const char *plugin_frp_only(const char *name);
#define PLUGIN_LIST_LEN 256
/* "a, b or c": every plugin's name, into buf (truncated). Returns buf. */
char *plugin_list(char *buf, size_t size);
/* The row of ops for key `key` (a PK_TABLE row matches "name.anything"), or NULL. */
const plugin_key_t *plugin_key_find(const plugin_ops_t *ops, const char *key);

/* cfg's value of `key` (exact), or NULL when not set. */
const char *plugin_param(const plugin_cfg_t *cfg, const char *key);
/* The same as a bool (false when not set). */
bool plugin_param_bool(const plugin_cfg_t *cfg, const char *key);

/* ---- instances (one per proxy) ---------------------------------------- */

/* The proxy's instance for cfg (cfg->type set; borrowed), one reference
 * (the caller's). NULL with the reason in why (unknown type, create
 * failed, no memory). */
plugin_inst_t *plugin_inst_new(const plugin_cfg_t *cfg, char *why, size_t why_len);
void plugin_inst_hold(plugin_inst_t *in);
void plugin_inst_drop(plugin_inst_t *in); /* NULL: no-op */
const plugin_ops_t *plugin_inst_ops(const plugin_inst_t *in);
void *plugin_inst_state(const plugin_inst_t *in);

/* A plugin without a handshake of its own: user and target (both taken)
 * become a relay in st->host's tunnel set at once, tagged and named as
 * plugin_sess_relay's; `early` (copied) goes to target first. */
void plugin_relay(const plugin_start_t *st, conn_t *user, conn_t *target, const uint8_t *early,
                  size_t early_len);

/* Hands a user connection to the instance's plugin (its serve). Takes conn. */
void plugin_serve(const plugin_start_t *st, conn_t *conn, const uint8_t *early, size_t early_len);

/* ---- the host and its sessions ---------------------------------------- */

struct plugin_host {
    tunnels_t *tunnels;  /* the owner's (borrowed): relays of finished handshakes */
    plugin_sess_t *head; /* sessions in their handshake */
    int n;
    int max;               /* PLUGIN_SESS_MAX unless a test sets fewer; 0 = PLUGIN_SESS_MAX */
    unsigned handshake_ms; /* PLUGIN_HANDSHAKE_MS unless a test sets less; 0 = that */
};

struct plugin_sess {
    plugin_host_t *host; /* while listed; NULL after plugin_sess_end or a stop */
    plugin_inst_t *inst; /* one reference, until plugin_sess_end */
    const void *tag;
    /* Ends the session now (host stopping, proxy removed, handshake timed
     * out): close its conns; their close callbacks then free the record.
     * Called at most once, with the session already unlisted. */
    void (*stop)(plugin_sess_t *s);
    uv_timer_t *timer; /* the handshake's (heap; freed by its close callback) */
    char proxy[64];    /* for logs, cut */
    char src[64];
    plugin_sess_t *next, *prev;
};

/* Lists s in st->host with a reference to st->inst and starts its
 * handshake timer. -1 when the host is full (PLUGIN_SESS_MAX) or out of
 * memory: nothing held, the caller closes its conn and frees s. */
int plugin_sess_begin(plugin_sess_t *s, const plugin_start_t *st, void (*stop)(plugin_sess_t *s));
/* The handshake is over but the plugin goes on serving the conn itself
 * (an HTTP server: static_file, the HTTP bridges): the handshake timer
 * stops; s stays listed, so stopping the host or removing the proxy still
 * ends it, and it still counts toward the host's bound. */
void plugin_sess_settle(plugin_sess_t *s);
/* Unlists s, stops its timer and drops its reference; idempotent. Call
 * before freeing the record. */
void plugin_sess_end(plugin_sess_t *s);
/* The handshake is over: user and target (both taken, callbacks emptied
 * here) become a relay in the host's tunnel set, tagged with the proxy and
 * named by the plugin; `early` (copied) goes to target first. Ends s
 * (plugin_sess_end); the caller frees its record afterwards. */
void plugin_sess_relay(plugin_sess_t *s, conn_t *user, conn_t *target, const uint8_t *early,
                       size_t early_len);
/* Stops every session of h / of the proxy `tag`. The number stopped. */
int plugin_host_stop_all(plugin_host_t *h);
int plugin_host_stop_tag(plugin_host_t *h, const void *tag);

#endif
