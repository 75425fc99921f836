/* config: frp's TOML schema (frps.toml / frpc.toml) mapped onto burrow's settings.
 *
 * config_load_server()/config_load_client() read a file, expand frp's
 * `{{ .Envs.NAME }}` templates, parse it (TOML, YAML, JSON or frp's legacy
 * INI, by its name: config/cfg_format.h), follow a client's `includes`,
 * apply defaults and validate.
 * Diagnostics go to the `diag` stream (stderr when NULL), one line each:
 *   FILE:LINE: warning: unknown key 'foo'
 *   FILE:LINE: warning: unknown key 'serverport' (did you mean 'serverPort'?)
 *   FILE:LINE: error: template '{{ .Envs.TOKEN }}': environment variable TOKEN is not set
 *   FILE:LINE: warning: frp key 'webServer.assetsDir' is not supported by burrow yet; ignored
 *   FILE:LINE: error: key 'bindPort': expected an integer, got a string
 *   FILE:LINE: error: key 'proxies[1].localPort': 70000 is out of range 1..65535
 *   FILE: error: missing required key 'serverAddr'
 * A load that returns an error has printed at least one error line; the CLI
 * then exits with status 2. The config owns every string in it; free with
 * config_*_free(). */
#ifndef BURROW_CONFIG_H
#define BURROW_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "portmap/portmap.h"
#include "proto/kinds.h"

typedef struct port_range {
    int start, end; /* inclusive; a single port has start == end */
} port_range_t;

typedef struct log_cfg {
    char *to;  /* "console" or a file path; default "console" */
    int level; /* log_level_t; default LOG_INFO */
} log_cfg_t;

/* webServer.*: the server's dashboard or the client's admin API
 * (web/httpd.h). Off while port is 0. addr defaults to "0.0.0.0" on the
 * server (as frp) and "127.0.0.1" on the client; a non-loopback addr
 * without a password is refused at load time (no open dashboard by
 * accident). Basic auth applies when user or password is set. */
typedef struct web_cfg {
    char *addr;                         /* webServer.addr */
    int port;                           /* webServer.port; 0 (default) = off */
    char *user, *password;              /* webServer.user / webServer.password */
    char *tls_cert_file, *tls_key_file; /* webServer.tls.certFile / keyFile: HTTPS */
    int line;                           /* of webServer.port, for messages; 0 = unset */
} web_cfg_t;

/* proxy_kind_t (PROXY_TCP, ...) and what each kind accepts: proto/kinds.h. */

typedef struct str_list {
    char **v;
    int n;
} str_list_t;

typedef struct header_set {
    char *name, *value;
} header_set_t;

typedef struct header_list {
    header_set_t *v;
    int n;
} header_list_t;

/* healthCheck.* (frp's keys): the client probes its local service and
 * takes the proxy off the server while it fails (client/chealth.c).
 * Checked and defaulted by config_lb.c. */
#define HEALTH_TIMEOUT_DEFAULT 3    /* healthCheck.timeoutSeconds */
#define HEALTH_MAX_FAILED_DEFAULT 1 /* healthCheck.maxFailed */
#define HEALTH_INTERVAL_DEFAULT 10  /* healthCheck.intervalSeconds */
#define HEALTH_HEADERS_MAX 32       /* healthCheck.httpHeaders entries */
typedef enum { HEALTH_NONE, HEALTH_TCP, HEALTH_HTTP } health_type_t;
typedef struct health_cfg {
    char *type_name;       /* healthCheck.type as written: "tcp" or "http" */
    health_type_t type;    /* from type_name (config_lb_check) */
    int timeout_s;         /* healthCheck.timeoutSeconds */
    int max_failed;        /* healthCheck.maxFailed */
    int interval_s;        /* healthCheck.intervalSeconds */
    char *path;            /* healthCheck.path (http): "/..." */
    header_list_t headers; /* healthCheck.httpHeaders: [{name, value}] */
} health_cfg_t;
/* [proxies.plugin] (frp's client plugins, src/plugin/plugin.h): the
 * plugin's type and every other key of the table as text, nested keys
 * dotted ("requestHeaders.set.x-from"), booleans "true"/"false", integers
 * in decimal; checked against the plugin's key rows at load
 * (config_plugin.c). A proxy with a plugin has no localIP/localPort. */
typedef struct plugin_param {
    char *key, *value;
    int line;
} plugin_param_t;

typedef struct plugin_cfg {
    char *type; /* NULL: no plugin */
    plugin_param_t *v;
    int n;
    int line; /* of the plugin table's `type` */
} plugin_cfg_t;

typedef struct proxy_cfg {
    char *name; /* as written; the client prefixes `user.` on the wire */
    proxy_kind_t kind;
    char *local_ip;  /* default "127.0.0.1"; an IP literal or a host name */
    int local_port;  /* required unless a plugin serves, 1..65535; 0 with a plugin */
    int remote_port; /* 0 = server picks; 0..65535; default 0 */
    int line;        /* line of the [[proxies]] header, for messages */
    /* one of a port range's proxies (plain range keys or a range template):
     * the remote ports of the whole range ("a-b,c"), which the server checks
     * against allowPorts as one; NULL otherwise or when the server picks */
    char *remote_range;
    bool in_range; /* made by plain range keys (for the loader) */
    /* http and https: at least one of custom_domains and subdomain. */
    str_list_t custom_domains; /* customDomains; may hold "*.example.com" */
    char *subdomain;           /* subdomain, under the server's subDomainHost */
    /* http only */
    str_list_t locations;            /* locations: path prefixes; empty = "/" */
    char *host_header_rewrite;       /* hostHeaderRewrite */
    char *http_user, *http_password; /* httpUser/httpPassword: basic auth at the server */
    header_list_t request_headers;   /* requestHeaders.set.* */
    header_list_t response_headers;  /* responseHeaders.set.* */
    int proxy_protocol; /* transport.proxyProtocolVersion: 0 off, 1 "v1", 2 "v2" (tcp, https) */
    /* inspect (burrow's own, http only): record exchanges for the inspector */
    bool inspect;
    /* ftp (burrow's own, tcp only): rewrite the FTP control connection's
     * passive answers and carry its data connections (client/cftp.c) */
    bool ftp;
    /* directExpose (burrow's own, tcp and udp): also ask the client's router
     * to map localPort (client/cexpose.c); the relay stays as the fallback */
    bool direct_expose;
    /* secret kinds (stcp) only */
    char *secret_key;       /* secretKey: required, non-empty */
    str_list_t allow_users; /* allowUsers: empty = own user; "*" = anyone with the key */
    bool use_encryption;    /* transport.useEncryption: accepted; always end-to-end */
    /* transport.useCompression: the work conn is zstd-compressed
     * (net/conn_zstd.h); on secret kinds accepted, not applied */
    bool use_compression;
    /* transport.bandwidthLimit (config/config_shape.h): bytes per second in
     * each direction, shared by the proxy's connections; 0 = none */
    int bandwidth_limit;
    int bandwidth_mode; /* transport.bandwidthLimitMode: a bw_mode_t */
    /* wakeOnLan (burrow's own; tcp and http only): the [[wakeOnLan]] entry
     * to wake when the local connect fails; the parser copies that entry's
     * mac (normalised "aa:bb:cc:dd:ee:ff"), interface and password here so
     * that the proxy's config is whole (and reload sees a change to them). */
    char *wake_on_lan;
    int wake_timeout; /* wakeTimeout: seconds a user's connection may wait; default 90 */
    char *wake_mac, *wake_interface, *wake_password;
    /* loadBalancer.group / groupKey (tcp and http): proxies with the same
     * group and key share one public port or route (server/lb_group.h) */
    char *lb_group, *lb_group_key;
    health_cfg_t health; /* healthCheck.* (client/chealth.c) */
    plugin_cfg_t plugin; /* [proxies.plugin]; type NULL: none (the local service) */
    /* metadatas (frp's): name/value pairs shown by the server's dashboard,
     * at most META_MAX_ENTRIES within proto/meta.h's sizes */
    header_list_t metadatas;
} proxy_cfg_t;

/* One [[wakeOnLan]] entry (burrow's own; frp has none): a machine on the
 * client's LAN that `burrow wake NAME` or a proxy's wakeOnLan can power on. */
#define WAKE_TIMEOUT_DEFAULT 90
typedef struct wol_cfg {
    char *name;      /* required; unique; the proxy-name charset */
    char *mac;       /* required; normalised to "aa:bb:cc:dd:ee:ff" */
    char *interface; /* interface; NULL = every broadcast-capable one */
    char *password;  /* password: SecureOn, "aa:bb:cc:dd:ee:ff" or "a.b.c.d" */
    int line;        /* of the [[wakeOnLan]] header */
} wol_cfg_t;

/* One [[visitors]] entry: a local port whose connections reach another
 * client's secret proxy (stcp, sudp) through the server. */
typedef struct visitor_cfg {
    char *name;        /* required; unique among visitors */
    char *type;        /* required: "stcp", "xtcp" or "sudp" */
    char *server_name; /* serverName: the owner's proxy name, required */
    char *server_user; /* serverUser: the owner's user; NULL = this client's user */
    char *secret_key;  /* secretKey: required, non-empty */
    char *bind_addr;   /* bindAddr; default "127.0.0.1" */
    int bind_port;     /* bindPort: required; below 0 binds nothing */
    bool use_encryption, use_compression; /* transport.*: as proxy_cfg_t's */
    /* xtcp only (frp's keys). Connections ride the relay path from the
     * start, so none of these delays a connection; they bound punching. */
    bool keep_tunnel_open;   /* keepTunnelOpen: punch at start, not at first use */
    int max_retries_an_hour; /* maxRetriesAnHour: punch attempts per hour; default 8 */
    int min_retry_interval;  /* minRetryInterval: seconds between attempts; default 90 */
    char *fallback_to;       /* fallbackTo: an stcp visitor's name (accepted, not needed) */
    int fallback_timeout_ms; /* fallbackTimeoutMs: accepted; default 1000 */
    int line;                /* of the [[visitors]] header */
} visitor_cfg_t;

/* One [[ddns]] entry (burrow's own keys; frp has none): a DNS name kept
 * pointing at this host's public address (src/ddns). */
#define DDNS_DEFAULT_TTL 60
#define DDNS_DEFAULT_CHECK_INTERVAL 300 /* seconds */
typedef struct ddns_cfg {
    char *provider;         /* "rfc2136" | "dyndns2"; required */
    char *name;             /* the DNS name kept; required */
    char *server;           /* rfc2136: "host[:port]" (53); dyndns2: "https://host[:port][/path]" */
    char *zone;             /* rfc2136: default the name minus its first label */
    char *tsig_key_name;    /* rfc2136: required */
    char *tsig_algorithm;   /* rfc2136: default "hmac-sha256" */
    char *tsig_secret;      /* rfc2136: base64 (tsigSecret, or tsigSecretFile read at load) */
    char *tsig_secret_file; /* tsigSecretFile: the file it came from */
    char *user, *password;  /* dyndns2: Basic auth */
    char *ca_file;          /* dyndns2: CA bundle in place of the system store */
    bool tcp;               /* rfc2136: send over TCP (default UDP) */
    bool ipv6;              /* also keep AAAA when an IPv6 address is known */
    int ttl;                /* rfc2136: DDNS_DEFAULT_TTL */
    int line;               /* of the [[ddns]] header */
} ddns_cfg_t;

/* All of a file's [[ddns]] entries and the keys around them. */
typedef struct ddns_set {
    ddns_cfg_t *v;
    int n;
    int check_interval; /* ddnsCheckInterval: seconds between re-checks */
    char *address;      /* server only, ddnsAddress: the address to publish */
} ddns_set_t;

/* One [[users]] entry: a login name with its own token and what it may
 * claim. A user named here logs in only with its own token. */
typedef struct user_cfg {
    char *name;                /* required; printable ASCII, at most 64 bytes */
    char *token;               /* required, non-empty */
    port_range_t *allow_ports; /* allowPorts; n_allow_ports == 0: the server's */
    int n_allow_ports;
    bool has_domains;      /* domains given: only those (exact or "*.suffix") */
    str_list_t domains;    /* else any non-wildcard name */
    bool subdomains_any;   /* subdomains = true (default) */
    str_list_t subdomains; /* subdomains = ["a", "b"]: only these; false: none */
    int max_proxies;       /* maxProxies across all sessions; 0 = unlimited */
    int line;              /* of the [[users]] header, for messages */
} user_cfg_t;

typedef struct server_cfg {
    char *bind_addr;       /* default "0.0.0.0" */
    int bind_port;         /* default 7000 */
    char *proxy_bind_addr; /* default: same as bind_addr */
    char *token;           /* auth.token; default "" */
    bool allow_open;       /* auth.allowOpen: run without any token (loud) */
    user_cfg_t *users;     /* [[users]] */
    int n_users;
    port_range_t *allow_ports; /* empty = all ports allowed */
    int n_allow_ports;
    int max_ports_per_client; /* 0 = unlimited (default) */
    char *tls_cert_file;      /* transport.tls.certFile; NULL = self-signed in state dir */
    char *tls_key_file;       /* transport.tls.keyFile */
    bool tls_force;           /* transport.tls.force: refuse plain clients; default false */
    int heartbeat_timeout;    /* seconds; default 90; <= 0 disables */
    int max_pool_count;       /* transport.maxPoolCount; default 5 */
    int vhost_http_port;      /* vhostHTTPPort; 0 (default) = no http vhost */
    int vhost_https_port;     /* vhostHTTPSPort; 0 (default) = no https vhost */
    int vhost_http_timeout;   /* vhostHTTPTimeout: seconds to wait for a response head; 60 */
    char *subdomain_host;     /* subDomainHost */
    char *custom_404_page;    /* custom404Page: path of an HTML file */
    /* vhostWildcardDomains: "*.X" may be claimed for X equal to or under one
     * of these (besides subDomainHost); empty (default) = only subDomainHost */
    str_list_t vhost_wildcard_domains;
    /* natDiscovery: the STUN service (server/stun_srv.h). stun_port -1
     * (default): the port bindPort listens on; 0: off. alt_addr NULL: find
     * a second global IPv4 address on the host; "": none (plain STUN);
     * else an IP literal. alt_port 0 (default): stun port + 1. */
    int stun_port;  /* natDiscovery.stunPort */
    char *alt_addr; /* natDiscovery.altAddr */
    int alt_port;   /* natDiscovery.altPort */
    /* p2p: the UDP relay for P2P pairs (server/udp_relay.h). relay_port -1
     * (default): the port bindPort listens on + 2 (+1 is natDiscovery's
     * altPort); 0: off. relay_max_per_user 0: UDP_RELAY_MAX_PER_USER;
     * relay_rate_kib 0: UDP_RELAY_RATE_BPS. */
    int relay_port;         /* p2p.relayPort */
    int relay_max_per_user; /* p2p.relayMaxPerUser: allocations per user */
    int relay_rate_kib;     /* p2p.relayRateKiB: KiB/s per allocation */
    web_cfg_t web;          /* webServer.*: the dashboard and its API */
    bool enable_prometheus; /* enablePrometheus: /metrics on the dashboard */
    /* log.accessLog (burrow's own): one INFO line per user connection and
     * per http request answered (server/access_log.h); default true */
    bool access_log;
    ddns_set_t ddns; /* [[ddns]], ddnsCheckInterval, ddnsAddress */
    log_cfg_t log;
} server_cfg_t;

/* inspector.*: the client's HTTP traffic inspector (burrow's own keys; frp
 * has none). It listens when any proxy has inspect = true. */
#define INSPECT_DEFAULT_PORT 4040
#define INSPECT_DEFAULT_MAX_BYTES (16 * 1024 * 1024)
#define INSPECT_DEFAULT_BODY_MAX (64 * 1024)
typedef struct inspect_cfg {
    char *addr;            /* inspector.addr; default "127.0.0.1" */
    int port;              /* inspector.port; 0 (default) = INSPECT_DEFAULT_PORT */
    char *user, *password; /* inspector.user / inspector.password: Basic auth */
    int max_bytes;         /* inspector.maxBytes: the ring's bound; INSPECT_DEFAULT_MAX_BYTES */
    int body_max;          /* inspector.bodyMax: bytes kept per body; INSPECT_DEFAULT_BODY_MAX */
    int line;              /* of inspector.addr, for messages; 0 = unset */
    bool on;               /* some proxy has inspect = true (set by the parser) */
} inspect_cfg_t;

typedef struct client_cfg {
    char *server_addr;            /* default "127.0.0.1" (frp's default) */
    int server_port;              /* default 7000 */
    char *token;                  /* auth.token; default "" */
    char *user;                   /* prefix for proxy names; default "" */
    bool login_fail_exit;         /* default false: keep retrying */
    int pool_count;               /* transport.poolCount; default 1 */
    bool tls_enable;              /* transport.tls.enable; default true */
    char *tls_trusted_ca_file;    /* transport.tls.trustedCaFile */
    char *tls_server_name;        /* transport.tls.serverName; default server_addr */
    char *tls_server_fingerprint; /* transport.tls.serverFingerprint, "sha256:<64 hex>" */
    int heartbeat_interval;       /* seconds; default 30; <= 0 disables */
    int heartbeat_timeout;        /* seconds; default 90 */
    /* natTraversal.*: router port mapping (src/portmap) for P2P sockets; no
     * P2P socket exists yet, so nothing asks for a mapping so far. */
    bool port_mapping; /* natTraversal.portMapping; default true */
    portmap_proto_t port_mapping_protocols[PORTMAP_NPROTOS]; /* tried in this order */
    int n_port_mapping_protocols; /* natTraversal.portMappingProtocols; default pcp, natpmp, upnp */
    /* natHoleStunServer: "host:port" of the STUN server xtcp's candidate
     * gathering asks; NULL (default) = the burrow server's own STUN service */
    char *nat_hole_stun_server;
    web_cfg_t web; /* webServer.*: the admin API */
    /* inspector.*: the HTTP traffic inspector */
    inspect_cfg_t inspector;
    log_cfg_t log;
    proxy_cfg_t *proxies;
    int n_proxies;
    visitor_cfg_t *visitors; /* [[visitors]] */
    int n_visitors;
    wol_cfg_t *wols; /* [[wakeOnLan]] */
    int n_wols;
    ddns_set_t ddns; /* [[ddns]], ddnsCheckInterval */
    /* clientID (frp >= 0.52): how the server names this client; NULL: its
     * run id only. metadatas: the client's own pairs. Both go at LOGIN. */
    char *client_id;
    header_list_t metadatas;
} client_cfg_t;

/* Returns 0, or -1 after printing errors to `diag` (stderr when NULL). */
int config_load_server(const char *path, server_cfg_t *out, FILE *diag);
int config_load_client(const char *path, client_cfg_t *out, FILE *diag);
/* Same, from text already in memory; `name` is used in messages. */
int config_parse_server(const char *name, const char *text, size_t len, server_cfg_t *out,
                        FILE *diag);
int config_parse_client(const char *name, const char *text, size_t len, client_cfg_t *out,
                        FILE *diag);

/* `burrow config convert`: the tree (toml.h; free with toml_free) of the
 * file at `path` in whatever format it is (config/cfg_format.h), templates
 * expanded, `includes` not followed. `role` matters for legacy INI only:
 * 0 a server's, 1 a client's, -1 guessed from the keys (cfg_ini.h).
 * NULL after printing the problem to diag. */
struct toml_value *config_read_tree(const char *path, int role, FILE *diag);

void config_server_free(server_cfg_t *cfg); /* frees members; cfg itself is the caller's */
void config_client_free(client_cfg_t *cfg);

/* True when `port` is allowed by the server's allowPorts (always true when empty). */
bool config_port_allowed(const server_cfg_t *cfg, int port);
/* The same under a user's allowPorts (the server's when the user has none). */
bool config_user_port_allowed(const server_cfg_t *cfg, const user_cfg_t *u, int port);
/* The [[users]] entry named `name`, or NULL. */
const user_cfg_t *config_find_user(const server_cfg_t *cfg, const char *name);
/* The [[wakeOnLan]] entry called name, or NULL. */
const wol_cfg_t *config_find_wol(const client_cfg_t *cfg, const char *name);
/* Whether a server with this config would let strangers in: no auth.token,
 * no [[users]] and no auth.allowOpen. Then prints why to `diag` (naming
 * `file`) and returns -1; else 0. Called before --check says ok and before
 * the server starts. */
int config_check_server_auth(const server_cfg_t *cfg, const char *file, FILE *diag);

/* Expands `{{ .Envs.NAME }}` in `text` from the environment (unset -> "";
 * the loaders above refuse a file naming an unset variable first).
 * Returns a malloc'd NUL-terminated string and its length in *out_len, or NULL
 * on allocation failure. Line structure is preserved. */
char *config_expand_env(const char *text, size_t len, size_t *out_len);

#endif
