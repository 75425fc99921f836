/* config: loads frps.toml / frpc.toml into server_cfg_t / client_cfg_t.
 *
 * This file owns the mapping from frp's TOML key paths to burrow's settings:
 * the `{{ .Envs.NAME }}` template pass over the raw text, the per-file key
 * tables (server, client, proxy, allowPorts entry) that say what each key path
 * is and where its value goes, the walker that visits every key of the parsed
 * tree against one of those tables, value checks (types, ranges, log levels,
 * fingerprints, proxy names) and all diagnostics printed while loading.
 * Known frp keys that burrow ignores warn once each; any other key warns as
 * unknown; errors are counted so that one load reports every problem it finds.
 * Proxy indexes in messages (`proxies[N]`) count from 0 in file order.
 * TOML syntax itself is toml.c's business; this file never reads text. */
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <net/if.h>

#include "net/addr.h"
#include "proto/meta.h"
#include "net/conn_zstd.h"
#include "util/strbuf.h"
#include "config/config_lb.h"
#include "config/config_plugin.h"
#include "config/cfg_format.h"
#include "config/cfg_include.h"
#include "config/cfg_yaml.h"
#include "config/config_range.h"
#include "config/config_suggest.h"
#include "config/config_shape.h"
#include "config/toml.h"
#include "ddns/dyndns2_url.h"
#include "util/log.h"
#include "wol/wol.h"

#define PATH_LEN 256
#define SHOW_LEN 80
#define FRP_EACH_DEPTH 8

/* ---- diagnostics ------------------------------------------------------- */

/* Lines of an included file (includes[k-1]) are k * INC_LINE_BASE + line in
 * the merged tree; every file is at most CFG_MAX_BYTES, so fewer lines. */
#define INC_LINE_BASE (1 << 24)

typedef struct inc_file {
    char *name;      /* the included file's path, for messages */
    cfg_text_t text; /* its range-expanded text (line map) */
} inc_file_t;

typedef struct ctx {
    const char *file;
    FILE *diag;
    int errors;
    bool oom;
    const cfg_text_t *text; /* range-expanded text: its lines map to the file's */
    int range_k;            /* a plain range proxy's copy being loaded (K_PORT_RANGE) */
    bool quiet;             /* count diagnostics without printing (range copies after the first) */
    cfg_text_t ranged;      /* owned; freed when the parse ends (ctx_done) */
    bool client;            /* the client's schema (includes, INI role) */
    inc_file_t *inc;        /* owned: the files `includes` named */
    int n_inc;
} ctx_t;

static void ctx_done(ctx_t *c)
{
    c->text = NULL;
    cfg_text_free(&c->ranged);
    for (int i = 0; i < c->n_inc; i++) {
        free(c->inc[i].name);
        cfg_text_free(&c->inc[i].text);
    }
    free(c->inc);
    c->inc = NULL;
    c->n_inc = 0;
}

/* A line of the parsed (range-expanded) text as a line of its file: for an
 * included file, k * INC_LINE_BASE + its line. */
static int file_line(const ctx_t *c, int line)
{
    int k = c->n_inc > 0 && line > 0 ? line / INC_LINE_BASE : 0;
    if (k == 0 || k > c->n_inc) return cfg_text_line(c->text, line);
    return k * INC_LINE_BASE + cfg_text_line(&c->inc[k - 1].text, line % INC_LINE_BASE);
}

/* The file a (file_line) line is in, and the line within it. */
static const char *file_of(const ctx_t *c, int *line)
{
    int k = c->n_inc > 0 && *line > 0 ? *line / INC_LINE_BASE : 0;
    if (k == 0 || k > c->n_inc) return c->file;
    *line %= INC_LINE_BASE;
    return c->inc[k - 1].name;
}

static void vreport(ctx_t *c, int line, const char *kind, const char *fmt, va_list ap)
{
    line = file_line(c, line);
    if (c->quiet) return;
    const char *file = file_of(c, &line);
    if (line > 0)
        fprintf(c->diag, "%s:%d: %s: ", file, line, kind);
    else
        fprintf(c->diag, "%s: %s: ", file, kind);
    vfprintf(c->diag, fmt, ap);
    fputc('\n', c->diag);
}

__attribute__((format(printf, 3, 4))) static void error_at(ctx_t *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, line, "error", fmt, ap);
    va_end(ap);
    c->errors++;
}

__attribute__((format(printf, 3, 4))) static void warn_at(ctx_t *c, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, line, "warning", fmt, ap);
    va_end(ap);
}

static void out_of_memory(ctx_t *c)
{
    if (!c->oom) error_at(c, 0, "out of memory");
    c->oom = true;
}

/* Copies `len` bytes of `s` into `buf` for printing: control bytes become
 * \xNN and long text is cut with "...", so that no user input can break the
 * one-line-per-diagnostic format. Returns `buf`. */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (o + 8 >= size) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    buf[o] = '\0';
    return buf;
}

static const char *type_phrase(toml_type_t t)
{
    static const char *const names[] = {
        [TOML_TABLE] = "a table",           [TOML_ARRAY] = "an array",
        [TOML_STRING] = "a string",         [TOML_INTEGER] = "an integer",
        [TOML_FLOAT] = "a float",           [TOML_BOOL] = "a boolean",
        [TOML_DATETIME] = "a date-time",    [TOML_DATETIME_LOCAL] = "a local date-time",
        [TOML_DATE_LOCAL] = "a local date", [TOML_TIME_LOCAL] = "a local time",
    };
    if ((unsigned)t < sizeof names / sizeof names[0] && names[t]) return names[t];
    return "a value";
}

/* True when `v` has type `t`; otherwise reports a type error naming `path`. */
static bool expect(ctx_t *c, const char *path, int line, const toml_value_t *v, toml_type_t t)
{
    if (v->type == t) return true;
    error_at(c, line, "key '%s': expected %s, got %s", path, type_phrase(t), type_phrase(v->type));
    return false;
}

/* A string value without embedded NUL bytes, which no setting can hold. */
static bool expect_string(ctx_t *c, const char *path, int line, const toml_value_t *v)
{
    if (!expect(c, path, line, v, TOML_STRING)) return false;
    if (strlen(v->u.s.ptr) == v->u.s.len) return true;
    error_at(c, line, "key '%s': string contains a NUL character", path);
    return false;
}

static char *dup_mem(ctx_t *c, const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p) {
        out_of_memory(c);
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static void set_str(ctx_t *c, char **field, const char *s, size_t len)
{
    char *p = dup_mem(c, s, len);
    if (!p) return;
    free(*field);
    *field = p;
}

static void default_str(ctx_t *c, char **field, const char *s)
{
    if (!*field) *field = dup_mem(c, s, strlen(s));
}

/* ---- key tables -------------------------------------------------------- */

typedef enum {
    K_SECTION,     /* a table whose keys are listed under this path */
    K_STRING,      /* char * at `off` */
    K_INT,         /* int at `off`, min..max */
    K_BOOL,        /* bool at `off` */
    K_LOG_LEVEL,   /* int at `off`, via log_level_parse() */
    K_AUTH_METHOD, /* must be "token" */
    K_FINGERPRINT, /* char * at `off`, normalised "sha256:<hex>" */
    K_ALLOW_PORTS, /* server_cfg_t allow_ports */
    K_PROXIES,     /* client_cfg_t proxies */
    K_VISITORS,    /* client_cfg_t visitors */
    K_WOLS,        /* client_cfg_t wols ([[wakeOnLan]]) */
    K_PROXY_NAME,  /* char * at `off`, checked charset */
    K_PROXY_TYPE,  /* read before the proxy's walk; nothing to do */
    K_STR_LIST,    /* str_list_t at `off`: an array of strings */
    K_HEADERS,     /* header_list_t at `off`: a table of string values */
    K_PP_VERSION,  /* int at `off`: "v1" → 1, "v2" → 2 */
    K_HDR_ARRAY,   /* header_list_t at `off`: an array of {name, value} tables */
    K_USERS,       /* server_cfg_t users */
    K_USER_PORTS,  /* user_cfg_t allow_ports */
    K_SUBDOMAINS,  /* user_cfg_t subdomains: a boolean or an array of names */
    K_SECRET_BOOL, /* proxy_cfg_t bool at `off` for secret kinds; else as K_FRP */
    K_IP_ADDR,     /* char * at `off`: "" or an IP literal (no host names) */
    K_PM_PROTOS,   /* client_cfg_t port_mapping_protocols: "pcp", "natpmp", "upnp" */
    K_WEB_PORT,    /* web_cfg_t at `off`: port 0..65535 and the key's line */
    K_INSP_ADDR,   /* inspect_cfg_t at `off`: addr and the key's line */
    K_DDNS,        /* ddns_set_t at `off`: [[ddns]] */
    K_PORT_RANGE,  /* int at `off`, min..max, or a range string: its ctx_t range_k-th port */
    K_META,        /* header_list_t at `off`: metadatas, bounded (proto/meta.h) */
    K_HOST,        /* char * at `off`: an IP literal or a host name */
    K_CLIENT_ID,   /* char * at `off`: 1..CLIENT_ID_MAX bytes of text */
    K_PLUGIN,      /* plugin_cfg_t at `off`: [proxies.plugin] (config_plugin.c) */
    K_COMPRESSION, /* bool at `off`; true needs a build with zstd */
    K_BANDWIDTH,   /* int at `off`: "1MB", "512KB" (config_shape.h) */
    K_BW_MODE,     /* int at `off`: "client" or "server" (config_shape.h) */
    K_INCLUDES,    /* client `includes`: merged before the walk (load_includes) */
    K_FRP,         /* frp key burrow ignores: one warning for the whole value */
    K_FRP_EACH,    /* frp table burrow ignores: one warning per key inside */
    K_KIND_COUNT
} key_kind_t;

typedef struct key_spec {
    const char *path; /* dotted, relative to the table being walked */
    key_kind_t kind;
    size_t off;
    int min, max;
} key_spec_t;

/* Table rows. Offsets point into the struct the table is walked over. */
// clang-format off
#define KEY(p, kind, off, lo, hi) {p, kind, off, lo, hi}
// clang-format on
#define SECTION(p) KEY(p, K_SECTION, 0, 0, 0)
#define STR(p, T, f) KEY(p, K_STRING, offsetof(T, f), 0, 0)
#define INT(p, T, f, lo, hi) KEY(p, K_INT, offsetof(T, f), lo, hi)
#define PORT(p, T, f) INT(p, T, f, 1, 65535)
#define BOOL(p, T, f) KEY(p, K_BOOL, offsetof(T, f), 0, 0)
#define SPECIAL(p, kind, T, f) KEY(p, kind, offsetof(T, f), 0, 0)
#define CHECKED(p, kind) KEY(p, kind, 0, 0, 0)
#define FRP(p) KEY(p, K_FRP, 0, 0, 0)
#define FRP_EACH(p) KEY(p, K_FRP_EACH, 0, 0, 0)
#define END KEY(NULL, K_FRP, 0, 0, 0)

/* Keys of frps.toml and frpc.toml that both share. */
#define LOG_KEYS(T)                                                                                \
    SECTION("log"), STR("log.to", T, log.to), SPECIAL("log.level", K_LOG_LEVEL, T, log.level),     \
        FRP("log.maxDays"), FRP("log.disablePrintColor")
#define AUTH_KEYS(T)                                                                               \
    SECTION("auth"), STR("auth.token", T, token), CHECKED("auth.method", K_AUTH_METHOD),           \
        FRP_EACH("auth.oidc"), FRP("auth.additionalScopes"), FRP_EACH("auth.tokenSource")
/* webServer.* (frp's keys), the same in both files. */
#define WEB_KEYS(T)                                                                                \
    SECTION("webServer"), STR("webServer.addr", T, web.addr),                                      \
        SPECIAL("webServer.port", K_WEB_PORT, T, web), STR("webServer.user", T, web.user),         \
        STR("webServer.password", T, web.password), SECTION("webServer.tls"),                      \
        STR("webServer.tls.certFile", T, web.tls_cert_file),                                       \
        STR("webServer.tls.keyFile", T, web.tls_key_file), FRP("webServer.assetsDir"),             \
        FRP("webServer.pprofEnable")

static const key_spec_t server_keys[] = {
    STR("bindAddr", server_cfg_t, bind_addr),
    PORT("bindPort", server_cfg_t, bind_port),
    STR("proxyBindAddr", server_cfg_t, proxy_bind_addr),
    AUTH_KEYS(server_cfg_t),
    BOOL("auth.allowOpen", server_cfg_t, allow_open),
    SPECIAL("users", K_USERS, server_cfg_t, users),
    SPECIAL("allowPorts", K_ALLOW_PORTS, server_cfg_t, allow_ports),
    INT("maxPortsPerClient", server_cfg_t, max_ports_per_client, 0, INT_MAX),
    SECTION("transport"),
    SECTION("transport.tls"),
    STR("transport.tls.certFile", server_cfg_t, tls_cert_file),
    STR("transport.tls.keyFile", server_cfg_t, tls_key_file),
    BOOL("transport.tls.force", server_cfg_t, tls_force),
    FRP("transport.tls.trustedCaFile"),
    INT("transport.heartbeatTimeout", server_cfg_t, heartbeat_timeout, INT_MIN, INT_MAX),
    INT("transport.maxPoolCount", server_cfg_t, max_pool_count, 0, INT_MAX),
    FRP("transport.tcpMux"),
    FRP("transport.tcpMuxKeepaliveInterval"),
    FRP("transport.tcpKeepalive"),
    FRP_EACH("transport.quic"),
    LOG_KEYS(server_cfg_t),
    WEB_KEYS(server_cfg_t),
    FRP("kcpBindPort"),
    FRP("quicBindPort"),
    INT("vhostHTTPPort", server_cfg_t, vhost_http_port, 0, 65535),
    INT("vhostHTTPSPort", server_cfg_t, vhost_https_port, 0, 65535),
    INT("vhostHTTPTimeout", server_cfg_t, vhost_http_timeout, 1, 86400),
    FRP("tcpmuxHTTPConnectPort"),
    FRP("tcpmuxPassthrough"),
    STR("subDomainHost", server_cfg_t, subdomain_host),
    STR("custom404Page", server_cfg_t, custom_404_page),
    SPECIAL("vhostWildcardDomains", K_STR_LIST, server_cfg_t, vhost_wildcard_domains),
    SECTION("natDiscovery"),
    INT("natDiscovery.stunPort", server_cfg_t, stun_port, 0, 65535),
    SPECIAL("natDiscovery.altAddr", K_IP_ADDR, server_cfg_t, alt_addr),
    INT("natDiscovery.altPort", server_cfg_t, alt_port, 0, 65535),
    SECTION("p2p"),
    INT("p2p.relayPort", server_cfg_t, relay_port, 0, 65535),
    INT("p2p.relayMaxPerUser", server_cfg_t, relay_max_per_user, 1, 65536),
    INT("p2p.relayRateKiB", server_cfg_t, relay_rate_kib, 1, 4194303),
    FRP_EACH("sshTunnelGateway"),
    BOOL("enablePrometheus", server_cfg_t, enable_prometheus),
    BOOL("log.accessLog", server_cfg_t, access_log),
    SPECIAL("ddns", K_DDNS, server_cfg_t, ddns),
    INT("ddnsCheckInterval", server_cfg_t, ddns.check_interval, 10, 86400),
    SPECIAL("ddnsAddress", K_IP_ADDR, server_cfg_t, ddns.address),
    FRP("detailedErrorsToClient"),
    FRP("userConnTimeout"),
    FRP("udpPacketSize"),
    FRP("natholeAnalysisDataReserveHours"),
    FRP("httpPlugins"),
    FRP("allowedClientIPs"),
    END,
};

static const key_spec_t client_keys[] = {
    SPECIAL("serverAddr", K_HOST, client_cfg_t, server_addr),
    SPECIAL("clientID", K_CLIENT_ID, client_cfg_t, client_id),
    SPECIAL("metadatas", K_META, client_cfg_t, metadatas),
    PORT("serverPort", client_cfg_t, server_port),
    AUTH_KEYS(client_cfg_t),
    STR("user", client_cfg_t, user),
    BOOL("loginFailExit", client_cfg_t, login_fail_exit),
    SECTION("transport"),
    INT("transport.poolCount", client_cfg_t, pool_count, 0, INT_MAX),
    INT("transport.heartbeatInterval", client_cfg_t, heartbeat_interval, INT_MIN, INT_MAX),
    INT("transport.heartbeatTimeout", client_cfg_t, heartbeat_timeout, INT_MIN, INT_MAX),
    SECTION("transport.tls"),
    BOOL("transport.tls.enable", client_cfg_t, tls_enable),
    STR("transport.tls.trustedCaFile", client_cfg_t, tls_trusted_ca_file),
    STR("transport.tls.serverName", client_cfg_t, tls_server_name),
    SPECIAL("transport.tls.serverFingerprint", K_FINGERPRINT, client_cfg_t, tls_server_fingerprint),
    FRP("transport.tls.certFile"),
    FRP("transport.tls.keyFile"),
    FRP("transport.tls.disableCustomTLSFirstByte"),
    FRP("transport.protocol"),
    FRP("transport.dialServerTimeout"),
    FRP("transport.dialServerKeepalive"),
    FRP("transport.connectServerLocalIP"),
    FRP("transport.connectServerInterface"),
    FRP("transport.proxyURL"),
    FRP("transport.tcpMux"),
    FRP("transport.tcpMuxKeepaliveInterval"),
    FRP_EACH("transport.quic"),
    LOG_KEYS(client_cfg_t),
    SPECIAL("proxies", K_PROXIES, client_cfg_t, proxies),
    SPECIAL("visitors", K_VISITORS, client_cfg_t, visitors),
    SPECIAL("wakeOnLan", K_WOLS, client_cfg_t, wols),
    SECTION("natTraversal"),
    BOOL("natTraversal.portMapping", client_cfg_t, port_mapping),
    SPECIAL("natTraversal.portMappingProtocols", K_PM_PROTOS, client_cfg_t, port_mapping_protocols),
    WEB_KEYS(client_cfg_t),
    SECTION("inspector"),
    SPECIAL("inspector.addr", K_INSP_ADDR, client_cfg_t, inspector),
    INT("inspector.port", client_cfg_t, inspector.port, 0, 65535),
    STR("inspector.user", client_cfg_t, inspector.user),
    STR("inspector.password", client_cfg_t, inspector.password),
    INT("inspector.maxBytes", client_cfg_t, inspector.max_bytes, 4096, INT_MAX),
    INT("inspector.bodyMax", client_cfg_t, inspector.body_max, 0, 16 * 1024 * 1024),
    STR("natHoleStunServer", client_cfg_t, nat_hole_stun_server),
    SPECIAL("ddns", K_DDNS, client_cfg_t, ddns),
    INT("ddnsCheckInterval", client_cfg_t, ddns.check_interval, 10, 86400),
    FRP("dnsServer"),
    FRP("start"),
    FRP("udpPacketSize"),
    CHECKED("includes", K_INCLUDES),
    FRP_EACH("virtualNet"),
    FRP("featureGates"),
    END,
};

static const key_spec_t proxy_keys[] = {
    SPECIAL("name", K_PROXY_NAME, proxy_cfg_t, name),
    CHECKED("type", K_PROXY_TYPE),
    SPECIAL("localIP", K_HOST, proxy_cfg_t, local_ip),
    KEY("localPort", K_PORT_RANGE, offsetof(proxy_cfg_t, local_port), 1, 65535),
    KEY("remotePort", K_PORT_RANGE, offsetof(proxy_cfg_t, remote_port), 0, 65535),
    SECTION("transport"),
    SPECIAL("transport.useEncryption", K_SECRET_BOOL, proxy_cfg_t, use_encryption),
    SPECIAL("transport.useCompression", K_COMPRESSION, proxy_cfg_t, use_compression),
    SPECIAL("transport.bandwidthLimit", K_BANDWIDTH, proxy_cfg_t, bandwidth_limit),
    SPECIAL("transport.bandwidthLimitMode", K_BW_MODE, proxy_cfg_t, bandwidth_mode),
    SPECIAL("transport.proxyProtocolVersion", K_PP_VERSION, proxy_cfg_t, proxy_protocol),
    BOOL("inspect", proxy_cfg_t, inspect),
    SPECIAL("wakeOnLan", K_PROXY_NAME, proxy_cfg_t, wake_on_lan),
    INT("wakeTimeout", proxy_cfg_t, wake_timeout, 1, 3600),
    BOOL("ftp", proxy_cfg_t, ftp),
    BOOL("directExpose", proxy_cfg_t, direct_expose),
    SECTION("loadBalancer"),
    STR("loadBalancer.group", proxy_cfg_t, lb_group),
    STR("loadBalancer.groupKey", proxy_cfg_t, lb_group_key),
    SECTION("healthCheck"),
    STR("healthCheck.type", proxy_cfg_t, health.type_name),
    INT("healthCheck.timeoutSeconds", proxy_cfg_t, health.timeout_s, 1, 3600),
    INT("healthCheck.maxFailed", proxy_cfg_t, health.max_failed, 1, 1000),
    INT("healthCheck.intervalSeconds", proxy_cfg_t, health.interval_s, 1, 86400),
    STR("healthCheck.path", proxy_cfg_t, health.path),
    SPECIAL("healthCheck.httpHeaders", K_HDR_ARRAY, proxy_cfg_t, health.headers),
    SPECIAL("metadatas", K_META, proxy_cfg_t, metadatas),
    FRP("annotations"),
    SPECIAL("plugin", K_PLUGIN, proxy_cfg_t, plugin),
    SPECIAL("customDomains", K_STR_LIST, proxy_cfg_t, custom_domains),
    STR("subdomain", proxy_cfg_t, subdomain),
    SPECIAL("locations", K_STR_LIST, proxy_cfg_t, locations),
    STR("httpUser", proxy_cfg_t, http_user),
    STR("httpPassword", proxy_cfg_t, http_password),
    STR("hostHeaderRewrite", proxy_cfg_t, host_header_rewrite),
    SECTION("requestHeaders"),
    SPECIAL("requestHeaders.set", K_HEADERS, proxy_cfg_t, request_headers),
    SECTION("responseHeaders"),
    SPECIAL("responseHeaders.set", K_HEADERS, proxy_cfg_t, response_headers),
    FRP("routeByHTTPUser"),
    FRP("multiplexer"),
    STR("secretKey", proxy_cfg_t, secret_key),
    SPECIAL("allowUsers", K_STR_LIST, proxy_cfg_t, allow_users),
    FRP("natTraversal"),
    END,
};

static const key_spec_t visitor_keys[] = {
    SPECIAL("name", K_PROXY_NAME, visitor_cfg_t, name),
    STR("type", visitor_cfg_t, type),
    SPECIAL("serverName", K_PROXY_NAME, visitor_cfg_t, server_name),
    STR("serverUser", visitor_cfg_t, server_user),
    STR("secretKey", visitor_cfg_t, secret_key),
    STR("bindAddr", visitor_cfg_t, bind_addr),
    INT("bindPort", visitor_cfg_t, bind_port, INT_MIN, 65535),
    SECTION("transport"),
    BOOL("transport.useEncryption", visitor_cfg_t, use_encryption),
    BOOL("transport.useCompression", visitor_cfg_t, use_compression),
    BOOL("keepTunnelOpen", visitor_cfg_t, keep_tunnel_open),
    INT("maxRetriesAnHour", visitor_cfg_t, max_retries_an_hour, 0, 3600),
    INT("minRetryInterval", visitor_cfg_t, min_retry_interval, 0, 86400),
    SPECIAL("fallbackTo", K_PROXY_NAME, visitor_cfg_t, fallback_to),
    INT("fallbackTimeoutMs", visitor_cfg_t, fallback_timeout_ms, 0, 3600000),
    FRP("protocol"),
    FRP("natTraversal"),
    FRP_EACH("plugin"),
    END,
};

static const key_spec_t wol_keys[] = {
    SPECIAL("name", K_PROXY_NAME, wol_cfg_t, name),
    STR("mac", wol_cfg_t, mac),
    STR("interface", wol_cfg_t, interface),
    STR("password", wol_cfg_t, password),
    END,
};

static const key_spec_t ddns_keys[] = {
    STR("provider", ddns_cfg_t, provider),
    STR("name", ddns_cfg_t, name),
    STR("server", ddns_cfg_t, server),
    STR("zone", ddns_cfg_t, zone),
    STR("tsigKeyName", ddns_cfg_t, tsig_key_name),
    STR("tsigAlgorithm", ddns_cfg_t, tsig_algorithm),
    STR("tsigSecret", ddns_cfg_t, tsig_secret),
    STR("tsigSecretFile", ddns_cfg_t, tsig_secret_file),
    STR("user", ddns_cfg_t, user),
    STR("password", ddns_cfg_t, password),
    STR("caFile", ddns_cfg_t, ca_file),
    BOOL("tcp", ddns_cfg_t, tcp),
    BOOL("ipv6", ddns_cfg_t, ipv6),
    INT("ttl", ddns_cfg_t, ttl, 0, 604800),
    END,
};

static const key_spec_t user_keys[] = {
    STR("name", user_cfg_t, name),
    STR("token", user_cfg_t, token),
    SPECIAL("allowPorts", K_USER_PORTS, user_cfg_t, allow_ports),
    SPECIAL("domains", K_STR_LIST, user_cfg_t, domains),
    SPECIAL("subdomains", K_SUBDOMAINS, user_cfg_t, subdomains),
    INT("maxProxies", user_cfg_t, max_proxies, 0, INT_MAX),
    END,
};

/* One allowPorts entry: `{ start = A, end = B }` or `{ single = P }`; 0 = unset. */
typedef struct port_entry {
    int start, end, single;
} port_entry_t;

static const key_spec_t port_entry_keys[] = {
    PORT("start", port_entry_t, start),
    PORT("end", port_entry_t, end),
    PORT("single", port_entry_t, single),
    END,
};

/* frp proxy types burrow knows of but does not carry (yet). */
static const char *const frp_only_proxy_types[] = {"tcpmux", NULL};

/* ---- the walker -------------------------------------------------------- */

typedef struct walk {
    const key_spec_t *specs;
    void *base;  /* struct the specs' offsets point into */
    size_t skip; /* length of the display prefix ("proxies[2].") not in spec paths */
} walk_t;

typedef void (*handler_fn)(ctx_t *c, const walk_t *w, const key_spec_t *k, const char *path,
                           const toml_kv_t *kv);

static void walk(ctx_t *c, const walk_t *w, const toml_value_t *tab, const char *prefix);

/* Handlers share one signature; most use only some of the arguments. */
#define UNUSED __attribute__((unused))
#define HANDLER(fn)                                                                                \
    static void fn(UNUSED ctx_t *c, UNUSED const walk_t *w, UNUSED const key_spec_t *k,            \
                   UNUSED const char *path, UNUSED const toml_kv_t *kv)

static bool is_bare_key(const char *s, size_t len)
{
    if (len == 0) return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

/* Builds "prefix.key". A key that is not a plain identifier (say `"a.b"`) is
 * shown quoted, so it can never match a table path. */
static void join_path(char *out, size_t size, const char *prefix, const toml_kv_t *kv)
{
    char key[SHOW_LEN];
    const char *sep = prefix[0] ? "." : "";
    show(key, sizeof key, kv->key, kv->key_len);
    if (is_bare_key(kv->key, kv->key_len))
        snprintf(out, size, "%s%s%s", prefix, sep, key);
    else
        snprintf(out, size, "%s%s\"%s\"", prefix, sep, key);
}

static const key_spec_t *find_spec(const walk_t *w, const char *path)
{
    if (strlen(path) < w->skip) return NULL;
    for (const key_spec_t *k = w->specs; k->path; k++)
        if (strcmp(k->path, path + w->skip) == 0) return k;
    return NULL;
}

static void *field_of(const walk_t *w, const key_spec_t *k)
{
    return (char *)w->base + k->off;
}

/* ---- handlers: one per key kind ---------------------------------------- */

HANDLER(h_section)
{
    if (expect(c, path, kv->line, kv->value, TOML_TABLE)) walk(c, w, kv->value, path);
}

HANDLER(h_string)
{
    const toml_value_t *v = kv->value;
    if (expect_string(c, path, kv->line, v)) set_str(c, field_of(w, k), v->u.s.ptr, v->u.s.len);
}

HANDLER(h_int)
{
    if (!expect(c, path, kv->line, kv->value, TOML_INTEGER)) return;
    int64_t n = kv->value->u.i;
    if (n < k->min || n > k->max) {
        error_at(c, kv->line, "key '%s': %lld is out of range %d..%d", path, (long long)n, k->min,
                 k->max);
        return;
    }
    *(int *)field_of(w, k) = (int)n;
}

HANDLER(h_bool)
{
    if (expect(c, path, kv->line, kv->value, TOML_BOOL)) *(bool *)field_of(w, k) = kv->value->u.b;
}

HANDLER(h_log_level)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    int level = log_level_parse(v->u.s.ptr);
    if (level >= 0) {
        *(int *)field_of(w, k) = level;
        return;
    }
    char shown[SHOW_LEN];
    error_at(c, kv->line,
             "key '%s': unknown log level '%s' (expected trace, debug, info, warn or error)", path,
             show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
}

HANDLER(h_auth_method)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v) || strcmp(v->u.s.ptr, "token") == 0) return;
    char shown[SHOW_LEN];
    error_at(c, kv->line, "key '%s': auth method '%s' is not supported (burrow supports \"token\")",
             path, show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* "sha256:" + 32 hex byte pairs, optionally separated by ':', into
 * "sha256:<64 lowercase hex>" in `out` (72 bytes). */
static bool normalise_fingerprint(const char *s, size_t len, char out[72])
{
    static const char digits[] = "0123456789abcdef";
    if (len < 7 || strncasecmp(s, "sha256:", 7) != 0) return false;
    memcpy(out, "sha256:", 7);
    size_t i = 7;
    for (int pair = 0; pair < 32; pair++) {
        if (pair > 0 && i < len && s[i] == ':') i++;
        if (i + 2 > len) return false;
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[7 + 2 * pair] = digits[hi];
        out[8 + 2 * pair] = digits[lo];
        i += 2;
    }
    out[71] = '\0';
    return i == len;
}

HANDLER(h_fingerprint)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    char norm[72];
    if (normalise_fingerprint(v->u.s.ptr, v->u.s.len, norm)) {
        set_str(c, field_of(w, k), norm, strlen(norm));
        return;
    }
    error_at(c, kv->line, "key '%s': expected \"sha256:\" followed by 64 hex digits", path);
}

HANDLER(h_frp)
{
    warn_at(c, kv->line, "frp key '%s' is not supported by burrow yet; ignored", path);
}

static void frp_each(ctx_t *c, const char *path, const toml_kv_t *kv, int depth)
{
    const toml_value_t *v = kv->value;
    if (v->type != TOML_TABLE || depth >= FRP_EACH_DEPTH) {
        h_frp(c, NULL, NULL, path, kv);
        return;
    }
    for (size_t i = 0; i < v->u.tab.len; i++) {
        char sub[PATH_LEN];
        join_path(sub, sizeof sub, path, &v->u.tab.items[i]);
        frp_each(c, sub, &v->u.tab.items[i], depth + 1);
    }
}

/* transport.useEncryption / useCompression: secret kinds take them (their
 * streams are always encrypted end to end; compression is not applied, the
 * client says so once), other kinds ignore them as before. The kind is
 * known before the proxy's keys are walked. */
HANDLER(h_secret_bool)
{
    const proxy_cfg_t *p = w->base;
    if (kind_has(p->kind, KIND_SECRET))
        h_bool(c, w, k, path, kv);
    else
        h_frp(c, w, k, path, kv);
}

/* transport.useCompression: the work conn's stream is compressed, which
 * needs zstd in this build. Secret kinds take it as before (their records
 * are end to end; not applied, the client says so). */
HANDLER(h_compression)
{
    const proxy_cfg_t *p = w->base;
    h_bool(c, w, k, path, kv);
    if (*(bool *)field_of(w, k) && !kind_has(p->kind, KIND_SECRET) && !conn_zstd_available())
        error_at(c, kv->line,
                 "key '%s': this burrow was built without zstd (libzstd-dev), which "
                 "compression needs",
                 path);
}

HANDLER(h_bandwidth)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    if (config_parse_bandwidth(v->u.s.ptr, v->u.s.len, field_of(w, k)) == 0) return;
    char shown[SHOW_LEN];
    error_at(c, kv->line,
             "key '%s': bad bandwidth '%s' (expected a number and KB or MB per second, "
             "e.g. \"512KB\" or \"1MB\"; at most 1024MB)",
             path, show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
}

HANDLER(h_bw_mode)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    if (config_parse_bw_mode(v->u.s.ptr, v->u.s.len, field_of(w, k)) == 0) return;
    char shown[SHOW_LEN];
    error_at(c, kv->line, "key '%s': unknown mode '%s' (expected \"client\" or \"server\")", path,
             show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
}

HANDLER(h_frp_each)
{
    frp_each(c, path, kv, 0);
}

HANDLER(h_nothing) {}

/* Ranges were checked (proxy_range_count) before any copy was loaded. */
HANDLER(h_port_range)
{
    const toml_value_t *v = kv->value;
    if (v->type != TOML_STRING) {
        h_int(c, w, k, path, kv);
        return;
    }
    int ports[CONFIG_RANGE_MAX];
    int n = config_parse_number_range(v->u.s.ptr, v->u.s.len, ports, CONFIG_RANGE_MAX);
    if (n > c->range_k) *(int *)field_of(w, k) = ports[c->range_k];
}

/* [proxies.plugin]: config_plugin.c loads it and reports through this. */
static void plugin_report(void *ctx, int line, bool error, const char *msg)
{
    if (error)
        error_at(ctx, line, "%s", msg);
    else
        warn_at(ctx, line, "%s", msg);
}

HANDLER(h_plugin)
{
    plugin_cfg_t *pc = field_of(w, k);
    if (!pc->type) config_plugin_load(kv->value, path, kv->line, pc, plugin_report, c);
}

/* A header name or value must not smuggle line breaks into a request. */
static bool header_safe(const char *s, size_t len, bool name)
{
    if (name && len == 0) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\r' || ch == '\n' || ch == 0 || (name && (ch <= ' ' || ch == ':'))) return false;
    }
    return true;
}

HANDLER(h_str_list)
{
    const toml_value_t *arr = kv->value;
    str_list_t *l = field_of(w, k);
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || l->v) return;
    l->v = calloc(arr->u.arr.len + 1, sizeof *l->v);
    if (!l->v) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const toml_value_t *v = arr->u.arr.items[i];
        char item[PATH_LEN];
        snprintf(item, sizeof item, "%s[%zu]", path, i);
        if (!expect_string(c, item, v->line, v)) continue;
        set_str(c, &l->v[l->n], v->u.s.ptr, v->u.s.len);
        if (l->v[l->n]) l->n++;
    }
}

/* A table of name = "value" strings into the header_list_t at `k` (each
 * pair also passing `ok`, else `why` names the rule); at most `max` pairs. */
typedef bool (*pair_ok_fn)(const toml_kv_t *h, const toml_value_t *v);

static void load_pairs(ctx_t *c, const walk_t *w, const key_spec_t *k, const char *path,
                       const toml_kv_t *kv, size_t max, pair_ok_fn ok, const char *why)
{
    const toml_value_t *tab = kv->value;
    header_list_t *l = field_of(w, k);
    if (!expect(c, path, kv->line, tab, TOML_TABLE) || l->v) return;
    if (tab->u.tab.len > max) {
        error_at(c, kv->line, "key '%s': %zu entries, at most %zu", path, tab->u.tab.len, max);
        return;
    }
    l->v = calloc(tab->u.tab.len + 1, sizeof *l->v);
    if (!l->v) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const toml_kv_t *h = &tab->u.tab.items[i];
        char sub[PATH_LEN];
        join_path(sub, sizeof sub, path, h);
        const toml_value_t *v = h->value;
        if (!expect_string(c, sub, h->line, v)) continue;
        if (!ok(h, v)) {
            error_at(c, h->line, "key '%s': %s", sub, why);
            continue;
        }
        header_set_t *x = &l->v[l->n];
        set_str(c, &x->name, h->key, h->key_len);
        set_str(c, &x->value, v->u.s.ptr, v->u.s.len);
        if (x->name && x->value) l->n++;
    }
}

static bool header_ok(const toml_kv_t *h, const toml_value_t *v)
{
    return header_safe(h->key, h->key_len, true) && header_safe(v->u.s.ptr, v->u.s.len, false);
}

HANDLER(h_headers)
{
    load_pairs(c, w, k, path, kv, SIZE_MAX, header_ok, "not a valid HTTP header name and value");
}

static bool meta_ok(const toml_kv_t *h, const toml_value_t *v)
{
    return h->key_len <= META_KEY_MAX && v->u.s.len <= META_VALUE_MAX &&
           meta_text_ok(h->key, h->key_len) && meta_text_ok(v->u.s.ptr, v->u.s.len);
}

/* metadatas: a table of strings within proto/meta.h's bounds (the server
 * refuses more, so the config says so first). */
HANDLER(h_meta)
{
    char why[96];
    snprintf(why, sizeof why, "names are 1..%d and values 0..%d bytes of text", META_KEY_MAX,
             META_VALUE_MAX);
    load_pairs(c, w, k, path, kv, META_MAX_ENTRIES, meta_ok, why);
}

/* RFC 1123 host-name syntax: dot-separated labels of 1..63 letters, digits
 * and '-' (not first or last), 253 bytes at most; '_' is allowed as well
 * (docker-compose service names have it); one trailing dot is fine. */
static bool valid_host_syntax(const char *s, size_t len)
{
    if (len > 0 && s[len - 1] == '.') len--;
    if (len == 0 || len > 253) return false;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (label == 0 || s[i - 1] == '-') return false;
            label = 0;
            continue;
        }
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || (ch == '-' && label > 0);
        if (!ok || ++label > 63) return false;
    }
    return s[len - 1] != '-';
}

/* localIP, serverAddr: an IP literal, or a host name resolved at each
 * connect (so "localhost" or a docker-compose service name works). */
HANDLER(h_host)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    struct sockaddr_storage ss;
    if (strlen(v->u.s.ptr) == v->u.s.len &&
        (addr_parse(v->u.s.ptr, 0, &ss) == 0 || valid_host_syntax(v->u.s.ptr, v->u.s.len))) {
        set_str(c, field_of(w, k), v->u.s.ptr, v->u.s.len);
        return;
    }
    char shown[SHOW_LEN];
    error_at(c, kv->line, "key '%s': '%s' is neither an IP address nor a host name", path,
             show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
}

HANDLER(h_client_id)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    if (v->u.s.len == 0 || v->u.s.len > CLIENT_ID_MAX || !meta_text_ok(v->u.s.ptr, v->u.s.len)) {
        error_at(c, kv->line, "key '%s': 1..%d bytes of text", path, CLIENT_ID_MAX);
        return;
    }
    set_str(c, field_of(w, k), v->u.s.ptr, v->u.s.len);
}

/* One {name = "...", value = "..."} entry of a K_HDR_ARRAY array. */
static void named_header(ctx_t *c, const char *path, const toml_value_t *e, header_list_t *l)
{
    const toml_value_t *n = toml_table_get(e, "name"), *v = toml_table_get(e, "value");
    if (!n || !v || n->type != TOML_STRING || v->type != TOML_STRING) {
        error_at(c, e->line, "key '%s': each entry needs string keys 'name' and 'value'", path);
        return;
    }
    if (!header_safe(n->u.s.ptr, n->u.s.len, true) || !header_safe(v->u.s.ptr, v->u.s.len, false)) {
        error_at(c, e->line, "key '%s': not a valid HTTP header name and value", path);
        return;
    }
    header_set_t *x = &l->v[l->n];
    set_str(c, &x->name, n->u.s.ptr, n->u.s.len);
    set_str(c, &x->value, v->u.s.ptr, v->u.s.len);
    if (x->name && x->value) l->n++;
}

/* frp's healthCheck.httpHeaders: [{name = "X", value = "y"}, ...]. */
HANDLER(h_named_headers)
{
    const toml_value_t *arr = kv->value;
    header_list_t *l = field_of(w, k);
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || l->v) return;
    if (arr->u.arr.len > HEALTH_HEADERS_MAX) {
        error_at(c, kv->line, "key '%s': more than %d headers", path, HEALTH_HEADERS_MAX);
        return;
    }
    l->v = calloc(arr->u.arr.len + 1, sizeof *l->v);
    if (!l->v) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++)
        if (expect(c, path, kv->line, arr->u.arr.items[i], TOML_TABLE))
            named_header(c, path, arr->u.arr.items[i], l);
}

HANDLER(h_pp_version)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    if (strcmp(v->u.s.ptr, "v1") == 0 || strcmp(v->u.s.ptr, "v2") == 0) {
        *(int *)field_of(w, k) = v->u.s.ptr[1] - '0';
        return;
    }
    char shown[SHOW_LEN];
    error_at(c, kv->line,
             "key '%s': unknown PROXY protocol version '%s' (expected \"v1\" or \"v2\")", path,
             show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
}

HANDLER(h_ip_addr)
{
    const toml_value_t *v = kv->value;
    struct sockaddr_storage ss;
    if (!expect_string(c, path, kv->line, v)) return;
    if (v->u.s.len == 0 || addr_parse(v->u.s.ptr, 0, &ss) == 0) {
        set_str(c, field_of(w, k), v->u.s.ptr, v->u.s.len);
        return;
    }
    char shown[SHOW_LEN];
    error_at(c, kv->line, "key '%s': expected an IP address (no host names), got '%s'", path,
             show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
}

HANDLER(h_web_port)
{
    web_cfg_t *web = field_of(w, k);
    if (!expect(c, path, kv->line, kv->value, TOML_INTEGER)) return;
    int64_t n = kv->value->u.i;
    if (n < 0 || n > 65535) {
        error_at(c, kv->line, "key '%s': %lld is out of range 0..65535", path, (long long)n);
        return;
    }
    web->port = (int)n;
    web->line = kv->line;
}

HANDLER(h_inspect_addr)
{
    inspect_cfg_t *ins = field_of(w, k);
    if (!expect_string(c, path, kv->line, kv->value)) return;
    set_str(c, &ins->addr, kv->value->u.s.ptr, kv->value->u.s.len);
    ins->line = kv->line;
}

/* natTraversal.portMappingProtocols: a non-empty array of distinct names,
 * the order in which the router is asked. */
HANDLER(h_pm_protos)
{
    const toml_value_t *arr = kv->value;
    client_cfg_t *cfg = w->base;
    if (!expect(c, path, kv->line, arr, TOML_ARRAY)) return;
    if (arr->u.arr.len == 0 || arr->u.arr.len > PORTMAP_NPROTOS) {
        error_at(c, kv->line, "key '%s': expected 1 to %d of \"pcp\", \"natpmp\", \"upnp\"", path,
                 PORTMAP_NPROTOS);
        return;
    }
    unsigned seen = 0;
    cfg->n_port_mapping_protocols = 0;
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const toml_value_t *v = arr->u.arr.items[i];
        char item[PATH_LEN], shown[SHOW_LEN];
        snprintf(item, sizeof item, "%s[%zu]", path, i);
        if (!expect_string(c, item, v->line, v)) continue;
        portmap_proto_t p;
        if (portmap_proto_parse(v->u.s.ptr, &p) != 0 || (seen & (1u << p))) {
            error_at(c, v->line,
                     "key '%s': '%s' is unknown or repeated (\"pcp\", \"natpmp\", \"upnp\")", item,
                     show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
            continue;
        }
        seen |= 1u << p;
        cfg->port_mapping_protocols[cfg->n_port_mapping_protocols++] = p;
    }
}

HANDLER(h_proxy_name)
{
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return;
    if (v->u.s.len == 0) {
        error_at(c, kv->line, "key '%s': proxy name must not be empty", path);
        return;
    }
    for (size_t i = 0; i < v->u.s.len; i++) {
        char ch = v->u.s.ptr[i];
        if (!is_bare_key(&ch, 1) && ch != '.') {
            char shown[SHOW_LEN];
            error_at(c, kv->line, "key '%s': invalid proxy name '%s' (allowed: A-Z a-z 0-9 . _ -)",
                     path, show(shown, sizeof shown, v->u.s.ptr, v->u.s.len));
            return;
        }
    }
    set_str(c, field_of(w, k), v->u.s.ptr, v->u.s.len);
}

/* ---- allowPorts -------------------------------------------------------- */

/* A list of port ranges being filled: the server's or one user's. */
typedef struct port_list {
    port_range_t **v;
    int *n;
} port_list_t;

static void add_port_range(port_list_t *l, int start, int end)
{
    port_range_t *r = &(*l->v)[(*l->n)++];
    r->start = start;
    r->end = end;
}

static void check_port_entry(ctx_t *c, port_list_t *l, const char *scope, int line,
                             const toml_value_t *tab, const port_entry_t *e)
{
    bool has_single = toml_table_get(tab, "single") != NULL;
    bool has_start = toml_table_get(tab, "start") != NULL;
    bool has_end = toml_table_get(tab, "end") != NULL;
    if (has_single && (has_start || has_end)) {
        error_at(c, line, "key '%s': give either 'single' or 'start' and 'end', not both", scope);
    } else if (!has_single && !has_start && !has_end) {
        error_at(c, line, "key '%s': expected 'single' or 'start' and 'end'", scope);
    } else if (!has_single && (!has_start || !has_end)) {
        error_at(c, line, "missing required key '%s.%s'", scope, has_start ? "end" : "start");
    } else if (has_single) {
        add_port_range(l, e->single, e->single);
    } else if (e->start > e->end) {
        error_at(c, line, "key '%s': start %d is greater than end %d", scope, e->start, e->end);
    } else {
        add_port_range(l, e->start, e->end);
    }
}

static void load_port_entry(ctx_t *c, port_list_t *l, const char *path, size_t index,
                            const toml_value_t *v)
{
    char scope[PATH_LEN];
    snprintf(scope, sizeof scope, "%s[%zu]", path, index);
    if (!expect(c, scope, v->line, v, TOML_TABLE)) return;
    port_entry_t e = {0, 0, 0};
    walk_t ew = {port_entry_keys, &e, strlen(scope) + 1};
    int before = c->errors;
    walk(c, &ew, v, scope);
    if (c->errors == before) check_port_entry(c, l, scope, v->line, v, &e);
}

static void load_port_list(ctx_t *c, port_list_t *l, const char *path, const toml_kv_t *kv)
{
    const toml_value_t *arr = kv->value;
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || *l->v) return;
    *l->v = calloc(arr->u.arr.len + 1, sizeof **l->v);
    if (!*l->v) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++)
        load_port_entry(c, l, path, i, arr->u.arr.items[i]);
}

HANDLER(h_allow_ports)
{
    server_cfg_t *cfg = w->base;
    port_list_t l = {&cfg->allow_ports, &cfg->n_allow_ports};
    load_port_list(c, &l, path, kv);
}

HANDLER(h_user_ports)
{
    user_cfg_t *u = w->base;
    port_list_t l = {&u->allow_ports, &u->n_allow_ports};
    load_port_list(c, &l, path, kv);
}

/* ---- users ------------------------------------------------------------- */

/* subdomains = true | false | ["name", ...] */
HANDLER(h_subdomains)
{
    user_cfg_t *u = w->base;
    if (kv->value->type == TOML_BOOL) {
        u->subdomains_any = kv->value->u.b;
        return;
    }
    u->subdomains_any = false;
    if (kv->value->type != TOML_ARRAY) {
        error_at(c, kv->line, "key '%s': expected a boolean or an array of names, got %s", path,
                 type_phrase(kv->value->type));
        return;
    }
    key_spec_t list = SPECIAL("subdomains", K_STR_LIST, user_cfg_t, subdomains);
    h_str_list(c, w, &list, path, kv);
}

/* Users appear in logs and prefix proxy names: printable ASCII only. */
static bool valid_user_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return false;
    return true;
}

/* "example.com" or "*.example.com": no other '*', nothing empty. */
static bool valid_domain_pattern(const char *d)
{
    const char *rest = strncmp(d, "*.", 2) == 0 ? d + 2 : d;
    return rest[0] != '\0' && strchr(rest, '*') == NULL && strchr(rest, ' ') == NULL;
}

static void check_user(ctx_t *c, const server_cfg_t *cfg, const char *scope, const user_cfg_t *u)
{
    char shown[SHOW_LEN];
    if (!u->name)
        error_at(c, u->line, "missing required key '%s.name'", scope);
    else if (!valid_user_name(u->name))
        error_at(c, u->line, "key '%s.name': '%s' is not 1..64 printable ASCII characters", scope,
                 show(shown, sizeof shown, u->name, strlen(u->name)));
    if (!u->token || !u->token[0])
        error_at(c, u->line, "key '%s.token': every user needs its own non-empty token", scope);
    for (int i = 0; i < u->domains.n; i++)
        if (!valid_domain_pattern(u->domains.v[i]))
            error_at(c, u->line, "key '%s.domains[%d]': '%s' is not a name or '*.suffix'", scope, i,
                     show(shown, sizeof shown, u->domains.v[i], strlen(u->domains.v[i])));
    for (int i = 0; u->name && i < cfg->n_users; i++)
        if (cfg->users[i].name && strcmp(cfg->users[i].name, u->name) == 0)
            error_at(c, u->line, "key '%s.name': duplicate user '%s' (first at line %d)", scope,
                     show(shown, sizeof shown, u->name, strlen(u->name)), cfg->users[i].line);
}

static void load_user(ctx_t *c, server_cfg_t *cfg, size_t index, const toml_value_t *v)
{
    char scope[PATH_LEN];
    snprintf(scope, sizeof scope, "users[%zu]", index);
    if (!expect(c, scope, v->line, v, TOML_TABLE)) return;
    user_cfg_t *u = &cfg->users[cfg->n_users];
    u->line = v->line;
    u->subdomains_any = true;
    walk_t uw = {user_keys, u, strlen(scope) + 1};
    walk(c, &uw, v, scope);
    u->has_domains = toml_table_get(v, "domains") != NULL;
    check_user(c, cfg, scope, u);
    cfg->n_users++;
}

HANDLER(h_users)
{
    server_cfg_t *cfg = w->base;
    const toml_value_t *arr = kv->value;
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || cfg->users) return;
    cfg->users = calloc(arr->u.arr.len + 1, sizeof *cfg->users);
    if (!cfg->users) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++)
        load_user(c, cfg, i, arr->u.arr.items[i]);
}

/* ---- proxies ----------------------------------------------------------- */

enum { TYPE_SKIP = -2, TYPE_BAD = -1 };

static bool is_frp_only_type(const char *type)
{
    for (const char *const *t = frp_only_proxy_types; *t; t++)
        if (strcmp(*t, type) == 0) return true;
    return false;
}

/* Reads the proxy's `type`: a proxy_kind_t, TYPE_SKIP for an frp type burrow
 * does not carry (warned), or TYPE_BAD (error reported). */
static int proxy_type(ctx_t *c, const char *scope, const toml_value_t *tab)
{
    const toml_kv_t *kv = toml_table_get_kv(tab, "type");
    char path[PATH_LEN], shown[SHOW_LEN], name[SHOW_LEN];
    snprintf(path, sizeof path, "%s.type", scope);
    if (!kv) {
        error_at(c, tab->line, "missing required key '%s'", path);
        return TYPE_BAD;
    }
    const toml_value_t *v = kv->value;
    if (!expect_string(c, path, kv->line, v)) return TYPE_BAD;
    int kind = kind_find(v->u.s.ptr);
    if (kind >= 0) return kind;
    show(shown, sizeof shown, v->u.s.ptr, v->u.s.len);
    if (!is_frp_only_type(v->u.s.ptr)) {
        char all[KIND_LIST_LEN];
        error_at(c, kv->line, "key '%s': unknown proxy type '%s' (expected %s)", path, shown,
                 kind_list(0, "or", all, sizeof all));
        return TYPE_BAD;
    }
    const toml_value_t *n = toml_table_get(tab, "name");
    if (n && n->type == TOML_STRING)
        show(name, sizeof name, n->u.s.ptr, n->u.s.len);
    else
        show(name, sizeof name, scope, strlen(scope));
    warn_at(c, kv->line, "proxy type '%s' is not supported by burrow yet; proxy '%s' skipped",
            shown, name);
    return TYPE_SKIP;
}

static void check_required(ctx_t *c, const char *scope, const toml_value_t *tab, const char *key)
{
    if (!toml_table_get(tab, key))
        error_at(c, tab->line, "missing required key '%s.%s'", scope, key);
}

/* "line N" for a line of the message's own file, else "FILE:N" (an
 * included file's). */
static const char *line_ref(const ctx_t *c, int at, int line, char *buf, size_t size)
{
    int here = file_line(c, at), there = file_line(c, line);
    const char *here_file = file_of(c, &here), *file = file_of(c, &there);
    if (file == here_file)
        snprintf(buf, size, "line %d", there);
    else
        snprintf(buf, size, "%s:%d", file, there);
    return buf;
}

static void check_unique_name(ctx_t *c, const client_cfg_t *cfg, const char *scope,
                              const proxy_cfg_t *p)
{
    char ref[PATH_LEN];
    for (int i = 0; i < cfg->n_proxies; i++) {
        const proxy_cfg_t *q = &cfg->proxies[i];
        if (q->name && strcmp(q->name, p->name) == 0) {
            error_at(c, p->line, "key '%s.name': duplicate proxy name '%s' (first at %s)", scope,
                     p->name, line_ref(c, p->line, q->line, ref, sizeof ref));
            return;
        }
    }
}

/* Keys that only make sense for some kinds (their flags in proto/kinds.h);
 * frp refuses the same. */
static void check_kind_keys(ctx_t *c, const char *scope, const proxy_cfg_t *p)
{
    char kinds[KIND_LIST_LEN];
    bool web = kind_has(p->kind, KIND_ROUTES_DOMAIN);
    if (web && p->custom_domains.n == 0 && !p->subdomain)
        error_at(c, p->line, "proxy '%s': type %s needs 'customDomains' or 'subdomain'", scope,
                 kind_name(p->kind));
    if (!web && (p->custom_domains.n || p->subdomain))
        error_at(c, p->line, "proxy '%s': 'customDomains' and 'subdomain' need type %s", scope,
                 kind_list(KIND_ROUTES_DOMAIN, "or", kinds, sizeof kinds));
    bool http_only = p->locations.n || p->host_header_rewrite || p->http_user || p->http_password ||
                     p->request_headers.n || p->response_headers.n;
    if (http_only && !kind_has(p->kind, KIND_HTTP_KEYS))
        error_at(c, p->line,
                 "proxy '%s': locations, hostHeaderRewrite, httpUser, httpPassword and "
                 "request/responseHeaders need type %s",
                 scope, kind_list(KIND_HTTP_KEYS, "or", kinds, sizeof kinds));
    if (p->inspect && !kind_has(p->kind, KIND_HTTP_KEYS))
        error_at(c, p->line, "proxy '%s': 'inspect' needs type %s", scope,
                 kind_list(KIND_HTTP_KEYS, "or", kinds, sizeof kinds));
    if (p->ftp && p->kind != PROXY_TCP)
        error_at(c, p->line, "proxy '%s': 'ftp' needs type tcp", scope);
    if (p->ftp && p->proxy_protocol)
        error_at(c, p->line,
                 "proxy '%s': 'ftp' and transport.proxyProtocolVersion exclude "
                 "each other (an FTP server does not read PROXY headers)",
                 scope);
    if (p->direct_expose && p->kind != PROXY_TCP && p->kind != PROXY_UDP)
        error_at(c, p->line, "proxy '%s': 'directExpose' needs type tcp or udp", scope);
    if (p->proxy_protocol && !kind_has(p->kind, KIND_PROXY_PROTOCOL))
        error_at(c, p->line, "proxy '%s': transport.proxyProtocolVersion needs type %s", scope,
                 kind_list(KIND_PROXY_PROTOCOL, "or", kinds, sizeof kinds));
    bool secret = kind_has(p->kind, KIND_SECRET);
    if (secret && (!p->secret_key || !p->secret_key[0]))
        error_at(c, p->line, "proxy '%s': type %s needs a non-empty 'secretKey'", scope,
                 kind_name(p->kind));
    if (!secret && (p->secret_key || p->allow_users.n))
        error_at(c, p->line, "proxy '%s': 'secretKey' and 'allowUsers' need type %s", scope,
                 kind_list(KIND_SECRET, "or", kinds, sizeof kinds));
    if (secret && p->remote_port)
        error_at(c, p->line, "proxy '%s': type %s opens no public port: no 'remotePort'", scope,
                 kind_name(p->kind));
}

/* loadBalancer.* and healthCheck.* (config_lb.c). */
static void check_lb(ctx_t *c, const char *scope, const toml_value_t *tab, proxy_cfg_t *p)
{
    const toml_value_t *lp = toml_table_get(tab, "localPort");
    if (p->lb_group && lp && lp->type == TOML_STRING)
        error_at(c, p->line,
                 "proxy '%s': loadBalancer cannot share a port range (one port per group)", scope);
    const char *(*const checks[])(proxy_cfg_t *, char *, size_t, bool *) = {config_lb_check_group,
                                                                            config_lb_check_health};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char buf[160];
        bool warn = false;
        const char *why = checks[i](p, buf, sizeof buf, &warn);
        if (why && warn) warn_at(c, p->line, "proxy '%s': %s", scope, why);
        if (why && !warn) error_at(c, p->line, "proxy '%s': %s", scope, why);
    }
}

/* A plain range proxy's copies are named "<name>-<localPort>". */
static void name_range_copy(ctx_t *c, proxy_cfg_t *p)
{
    if (!p->name) return;
    char name[PATH_LEN];
    snprintf(name, sizeof name, "%s-%d", p->name, p->local_port);
    free(p->name);
    p->name = NULL;
    set_str(c, &p->name, name, strlen(name));
}

/* An frp plugin burrow does not carry: the proxy is skipped, warned. */
static bool skip_plugin(ctx_t *c, const char *scope, const toml_value_t *v)
{
    const toml_value_t *n = toml_table_get(v, "name");
    char name[SHOW_LEN], msg[512];
    if (n && n->type == TOML_STRING)
        show(name, sizeof name, n->u.s.ptr, n->u.s.len);
    else
        show(name, sizeof name, scope, strlen(scope));
    if (!config_plugin_skip(v, name, msg, sizeof msg)) return false;
    warn_at(c, toml_table_get(v, "plugin")->line, "%s", msg);
    return true;
}

static void load_proxy(ctx_t *c, client_cfg_t *cfg, size_t index, const toml_value_t *v, int copies)
{
    char scope[PATH_LEN];
    snprintf(scope, sizeof scope, "proxies[%zu]", index);
    if (!expect(c, scope, v->line, v, TOML_TABLE)) return;
    int kind = proxy_type(c, scope, v);
    if (kind == TYPE_SKIP || skip_plugin(c, scope, v)) return;
    bool plugin = toml_table_get(v, "plugin") != NULL;
    bool has_local = toml_table_get(v, "localIP") || toml_table_get(v, "localPort");
    for (int k = 0; k < copies; k++) {
        c->range_k = k;
        c->quiet = k > 0; /* the entry's key diagnostics once, not per copy */
        proxy_cfg_t *p = &cfg->proxies[cfg->n_proxies];
        p->kind = kind >= 0 ? (proxy_kind_t)kind : PROXY_TCP;
        p->line = v->line;
        walk_t pw = {proxy_keys, p, strlen(scope) + 1};
        walk(c, &pw, v, scope);
        check_required(c, scope, v, "name");
        if (!plugin) check_required(c, scope, v, "localPort");
        check_kind_keys(c, scope, p);
        check_lb(c, scope, v, p);
        char why[512];
        if (config_plugin_conflict(p, scope, has_local, why, sizeof why))
            error_at(c, p->line, "%s", why);
        c->quiet = false;
        const toml_value_t *lp = toml_table_get(v, "localPort");
        p->in_range = lp && lp->type == TOML_STRING;
        if (p->in_range) name_range_copy(c, p);
        if (p->name) check_unique_name(c, cfg, scope, p);
        default_str(c, &p->local_ip, "127.0.0.1");
        cfg->n_proxies++;
    }
    c->range_k = 0;
    c->quiet = false;
}

/* The number of ports in a range string (0 if the key is absent or not a
 * string); reports a malformed or too long one (-1). */
static int port_range_len(ctx_t *c, const char *scope, const toml_kv_t *kv)
{
    if (!kv || kv->value->type != TOML_STRING) return 0;
    int ports[CONFIG_RANGE_MAX];
    const toml_value_t *v = kv->value;
    int n = config_parse_number_range(v->u.s.ptr, v->u.s.len, ports, CONFIG_RANGE_MAX);
    char shown[SHOW_LEN];
    show(shown, sizeof shown, v->u.s.ptr, v->u.s.len);
    if (n == -2)
        error_at(c, kv->line, "key '%s.%.*s': range \"%s\" holds more than %d ports", scope,
                 (int)kv->key_len, kv->key, shown, CONFIG_RANGE_MAX);
    else if (n < 0)
        error_at(c, kv->line,
                 "key '%s.%.*s': bad port range \"%s\" (expected \"a-b,c,...\" of 1..65535)", scope,
                 (int)kv->key_len, kv->key, shown);
    return n < 0 ? -1 : n;
}

/* Burrow's plain range keys: `localPort = "30000-30009"` (and optionally a
 * `remotePort` range of the same length) make one tcp or udp proxy per port.
 * Returns how many proxies the entry makes (1 for a plain entry), 0 after
 * an error. */
static int proxy_range_count(ctx_t *c, size_t index, const toml_value_t *tab)
{
    char scope[PATH_LEN];
    snprintf(scope, sizeof scope, "proxies[%zu]", index);
    if (tab->type != TOML_TABLE) return 1;
    const toml_kv_t *lkv = toml_table_get_kv(tab, "localPort");
    const toml_kv_t *rkv = toml_table_get_kv(tab, "remotePort");
    int nl = port_range_len(c, scope, lkv), nr = port_range_len(c, scope, rkv);
    if (nl < 0 || nr < 0) return 0;
    if (nl == 0 && nr == 0) return 1;
    const toml_value_t *type = toml_table_get(tab, "type");
    int kind = type && type->type == TOML_STRING ? kind_find(type->u.s.ptr) : -1;
    if (kind >= 0 && !kind_has((proxy_kind_t)kind, KIND_BINDS_PORT)) {
        char kinds[KIND_LIST_LEN];
        error_at(c, lkv ? lkv->line : tab->line, "proxy '%s': port ranges need type %s", scope,
                 kind_list(KIND_BINDS_PORT, "or", kinds, sizeof kinds));
        return 0;
    }
    bool remote_fixed = rkv && rkv->value->type == TOML_INTEGER && rkv->value->u.i != 0;
    if (nl == 0 || (nr && nr != nl) || remote_fixed) {
        error_at(c, (rkv ? rkv : lkv)->line,
                 "proxy '%s': a port range needs 'localPort' as a range and 'remotePort' as a "
                 "range of the same length (%d and %d ports) or absent",
                 scope, nl, nr ? nr : 1);
        return 0;
    }
    return nl;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* Writes sorted ports as "a-b,c,..." into a strbuf. */
static void put_ranges(strbuf_t *b, const int *v, int n)
{
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[j + 1] <= v[j] + 1)
            j++;
        char item[16];
        int k = v[i] == v[j] ? snprintf(item, sizeof item, "%s%d", i ? "," : "", v[i])
                             : snprintf(item, sizeof item, "%s%d-%d", i ? "," : "", v[i], v[j]);
        strbuf_put(b, item, (size_t)k);
        i = j + 1;
    }
}

static bool same_range(const ctx_t *c, const proxy_cfg_t *p, const proxy_cfg_t *q, int line)
{
    if (file_line(c, q->line) != line) return false;
    return p == q || p->line != q->line || (p->in_range && q->in_range);
}

/* The proxies made from one template body share their header's line in the
 * file (at different lines of the expanded text): each gets the group's
 * remote ports. Range keys' copies (one entry, one line) get theirs the
 * same way; proxies of an inline array on one line are not a range. */
static void set_remote_ranges(ctx_t *c, client_cfg_t *cfg)
{
    int *ports = malloc((size_t)(cfg->n_proxies + 1) * sizeof *ports);
    for (int i = 0; ports && i < cfg->n_proxies; i++) {
        proxy_cfg_t *p = &cfg->proxies[i];
        int n = 0, line = file_line(c, p->line);
        bool all = true;
        for (int j = 0; j < cfg->n_proxies; j++)
            if (same_range(c, p, &cfg->proxies[j], line)) {
                ports[n++] = cfg->proxies[j].remote_port;
                all = all && cfg->proxies[j].remote_port > 0;
            }
        if (n < 2 || !all || p->remote_range) continue;
        qsort(ports, (size_t)n, sizeof *ports, cmp_int);
        strbuf_t b = {0};
        put_ranges(&b, ports, n);
        if (b.failed) out_of_memory(c);
        for (int j = i; !b.failed && j < cfg->n_proxies; j++)
            if (same_range(c, p, &cfg->proxies[j], line))
                set_str(c, &cfg->proxies[j].remote_range, b.p, b.len);
        free(b.p);
    }
    if (!ports) out_of_memory(c);
    free(ports);
}

HANDLER(h_proxies)
{
    client_cfg_t *cfg = w->base;
    const toml_value_t *arr = kv->value;
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || cfg->proxies) return;
    size_t n = arr->u.arr.len, total = 0;
    int *copies = calloc(n + 1, sizeof *copies);
    for (size_t i = 0; copies && i < n; i++)
        total += (size_t)(copies[i] = proxy_range_count(c, i, arr->u.arr.items[i]));
    cfg->proxies = copies ? calloc(total + 1, sizeof *cfg->proxies) : NULL;
    if (!cfg->proxies) {
        free(copies);
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (copies[i]) load_proxy(c, cfg, i, arr->u.arr.items[i], copies[i]);
    free(copies);
    set_remote_ranges(c, cfg);
}

/* ---- visitors ---------------------------------------------------------- */

/* Visitor types: the secret proxy kinds a visitor can reach. */
static const char *const visitor_types[] = {"stcp", "xtcp", "sudp", NULL};

static bool is_visitor_type(const char *t)
{
    for (const char *const *v = visitor_types; *v; v++)
        if (strcmp(*v, t) == 0) return true;
    return false;
}

/* The line of `key` in tab, else the table's. */
static int key_line(const toml_value_t *tab, const char *key)
{
    const toml_kv_t *kv = toml_table_get_kv(tab, key);
    return kv ? kv->line : tab->line;
}

/* frp's xtcp-only visitor keys: on another type they are warned and ignored. */
static const char *const xtcp_visitor_keys[] = {"keepTunnelOpen",    "maxRetriesAnHour",
                                                "minRetryInterval",  "fallbackTo",
                                                "fallbackTimeoutMs", NULL};

static void check_xtcp_keys(ctx_t *c, const char *scope, const toml_value_t *tab,
                            const visitor_cfg_t *v)
{
    if (!v->type || strcmp(v->type, "xtcp") == 0) return;
    for (const char *const *k = xtcp_visitor_keys; *k; k++)
        if (toml_table_get_kv(tab, *k))
            warn_at(c, key_line(tab, *k), "key '%s.%s' applies to xtcp visitors only; ignored",
                    scope, *k);
}

/* fallbackTo names another visitor, of type stcp (checked once all are read). */
static void check_fallback(ctx_t *c, const client_cfg_t *cfg, const visitor_cfg_t *v, size_t index,
                           const toml_value_t *tab)
{
    if (!v->fallback_to || !v->type || strcmp(v->type, "xtcp") != 0) return;
    for (int i = 0; i < cfg->n_visitors; i++) {
        const visitor_cfg_t *o = &cfg->visitors[i];
        if (!o->name || strcmp(o->name, v->fallback_to) != 0) continue;
        if (!o->type || strcmp(o->type, "stcp") != 0)
            error_at(c, key_line(tab, "fallbackTo"),
                     "key 'visitors[%zu].fallbackTo': visitor '%s' is not of type stcp", index,
                     v->fallback_to);
        return;
    }
    error_at(c, key_line(tab, "fallbackTo"),
             "key 'visitors[%zu].fallbackTo': no visitor named '%s'", index, v->fallback_to);
}

static void check_visitor(ctx_t *c, const client_cfg_t *cfg, const char *scope,
                          const toml_value_t *tab, const visitor_cfg_t *v)
{
    static const char *const required[] = {"name", "type", "serverName", "secretKey", "bindPort"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        check_required(c, scope, tab, required[i]);
    if (v->type && !is_visitor_type(v->type)) {
        char shown[SHOW_LEN];
        error_at(c, key_line(tab, "type"),
                 "key '%s.type': unknown visitor type '%s' (expected stcp, xtcp or sudp)", scope,
                 show(shown, sizeof shown, v->type, strlen(v->type)));
    }
    if (v->secret_key && !v->secret_key[0])
        error_at(c, key_line(tab, "secretKey"), "key '%s.secretKey': must not be empty", scope);
    const toml_value_t *bp = toml_table_get(tab, "bindPort");
    if (bp && bp->type == TOML_INTEGER && bp->u.i == 0)
        error_at(c, key_line(tab, "bindPort"),
                 "key '%s.bindPort': 0 is not a port (below 0 binds nothing)", scope);
    check_xtcp_keys(c, scope, tab, v);
    char ref[PATH_LEN];
    for (int i = 0; v->name && i < cfg->n_visitors; i++)
        if (cfg->visitors[i].name && strcmp(cfg->visitors[i].name, v->name) == 0)
            error_at(c, key_line(tab, "name"),
                     "key '%s.name': duplicate visitor name '%s' (first at %s)", scope, v->name,
                     line_ref(c, key_line(tab, "name"), cfg->visitors[i].line, ref, sizeof ref));
}

static void load_visitor(ctx_t *c, client_cfg_t *cfg, size_t index, const toml_value_t *tab)
{
    char scope[PATH_LEN];
    snprintf(scope, sizeof scope, "visitors[%zu]", index);
    if (!expect(c, scope, tab->line, tab, TOML_TABLE)) return;
    visitor_cfg_t *v = &cfg->visitors[cfg->n_visitors];
    v->line = tab->line;
    walk_t vw = {visitor_keys, v, strlen(scope) + 1};
    walk(c, &vw, tab, scope);
    check_visitor(c, cfg, scope, tab, v);
    default_str(c, &v->bind_addr, "127.0.0.1");
    if (!toml_table_get_kv(tab, "maxRetriesAnHour")) v->max_retries_an_hour = 8;
    if (!toml_table_get_kv(tab, "minRetryInterval")) v->min_retry_interval = 90;
    if (!toml_table_get_kv(tab, "fallbackTimeoutMs")) v->fallback_timeout_ms = 1000;
    cfg->n_visitors++;
}

HANDLER(h_visitors)
{
    client_cfg_t *cfg = w->base;
    const toml_value_t *arr = kv->value;
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || cfg->visitors) return;
    cfg->visitors = calloc(arr->u.arr.len + 1, sizeof *cfg->visitors);
    if (!cfg->visitors) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++)
        load_visitor(c, cfg, i, arr->u.arr.items[i]);
    int j = 0; /* the visitors kept, in the array's order (non-tables were refused) */
    for (size_t i = 0; i < arr->u.arr.len && j < cfg->n_visitors; i++)
        if (arr->u.arr.items[i]->type == TOML_TABLE)
            check_fallback(c, cfg, &cfg->visitors[j++], i, arr->u.arr.items[i]);
}

/* ---- wakeOnLan ---------------------------------------------------------- */

/* mac must parse (and is rewritten in its normal form); password too. */
static void check_wol(ctx_t *c, const client_cfg_t *cfg, const char *scope, const toml_value_t *tab,
                      wol_cfg_t *e)
{
    check_required(c, scope, tab, "name");
    check_required(c, scope, tab, "mac");
    uint8_t mac[WOL_MAC_LEN], pw[WOL_PW_MAX];
    size_t pw_len;
    const char *why = "";
    char shown[SHOW_LEN], norm[18];
    if (e->mac && wol_parse_mac(e->mac, mac, &why) != 0)
        error_at(c, key_line(tab, "mac"), "key '%s.mac': '%s' is not a MAC address: %s", scope,
                 show(shown, sizeof shown, e->mac, strlen(e->mac)), why);
    else if (e->mac) {
        free(e->mac);
        e->mac = dup_mem(c, norm, strlen(wol_mac_str(mac, norm, sizeof norm)));
    }
    if (e->password && wol_parse_password(e->password, pw, &pw_len, &why) != 0)
        error_at(c, key_line(tab, "password"),
                 "key '%s.password': not a SecureOn password (aa:bb:cc:dd:ee:ff or a.b.c.d): %s",
                 scope, why);
    if (e->interface && (!e->interface[0] || strlen(e->interface) >= IF_NAMESIZE))
        error_at(c, key_line(tab, "interface"), "key '%s.interface': not an interface name", scope);
    for (int i = 0; e->name && i < cfg->n_wols; i++)
        if (cfg->wols[i].name && strcmp(cfg->wols[i].name, e->name) == 0)
            error_at(c, key_line(tab, "name"),
                     "key '%s.name': duplicate wakeOnLan name '%s' (first at line %d)", scope,
                     e->name, cfg->wols[i].line);
}

HANDLER(h_wols)
{
    client_cfg_t *cfg = w->base;
    const toml_value_t *arr = kv->value;
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || cfg->wols) return;
    cfg->wols = calloc(arr->u.arr.len + 1, sizeof *cfg->wols);
    if (!cfg->wols) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const toml_value_t *tab = arr->u.arr.items[i];
        char scope[PATH_LEN];
        snprintf(scope, sizeof scope, "wakeOnLan[%zu]", i);
        if (!expect(c, scope, tab->line, tab, TOML_TABLE)) continue;
        wol_cfg_t *e = &cfg->wols[cfg->n_wols];
        e->line = tab->line;
        walk_t ww = {wol_keys, e, strlen(scope) + 1};
        walk(c, &ww, tab, scope);
        check_wol(c, cfg, scope, tab, e);
        cfg->n_wols++;
    }
}

static void copy_str(ctx_t *c, char **dst, const char *src)
{
    if (src) *dst = dup_mem(c, src, strlen(src));
}

/* A proxy's wakeOnLan names a [[wakeOnLan]] entry (read in any order): its
 * mac, interface and password are copied into the proxy's config. */
static void resolve_wake(ctx_t *c, client_cfg_t *cfg)
{
    for (int i = 0; i < cfg->n_proxies; i++) {
        proxy_cfg_t *p = &cfg->proxies[i];
        if (!p->wake_timeout) p->wake_timeout = WAKE_TIMEOUT_DEFAULT;
        if (!p->wake_on_lan) continue;
        if (p->kind != PROXY_TCP && p->kind != PROXY_HTTP) {
            error_at(c, p->line, "proxy '%s': 'wakeOnLan' needs type tcp or http", p->name);
            continue;
        }
        const wol_cfg_t *e = config_find_wol(cfg, p->wake_on_lan);
        if (!e) {
            error_at(c, p->line, "proxy '%s': wakeOnLan '%s' names no [[wakeOnLan]] entry", p->name,
                     p->wake_on_lan);
            continue;
        }
        copy_str(c, &p->wake_mac, e->mac);
        copy_str(c, &p->wake_interface, e->interface);
        copy_str(c, &p->wake_password, e->password);
    }
}

/* ---- ddns --------------------------------------------------------------- */

static char *read_file(const char *path, size_t *out_len);

static bool is_host_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '.' || *s == '_'))
            return false;
    return true;
}

static bool is_base64(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '+' || *s == '/' || *s == '='))
            return false;
    return true;
}

/* tsigSecretFile: the bare base64 secret, or a BIND key file (tsig-keygen's
 * `key "n" { algorithm a; secret "B64"; };`), whose secret is taken. */
static void read_tsig_file(ctx_t *c, const char *scope, int line, ddns_cfg_t *d)
{
    size_t len = 0;
    char *text = read_file(d->tsig_secret_file, &len);
    if (!text) {
        error_at(c, line, "key '%s.tsigSecretFile': cannot read '%s': %s", scope,
                 d->tsig_secret_file, strerror(errno));
        return;
    }
    const char *p = strstr(text, "secret \"");
    p = p ? p + 8 : text;
    p += strspn(p, " \t\r\n");
    size_t n = strcspn(p, "\"; \t\r\n");
    set_str(c, &d->tsig_secret, p, n);
    free(text);
}

static bool rfc2136_alg_known(const char *a);

static void check_rfc2136(ctx_t *c, const char *scope, const toml_value_t *tab, ddns_cfg_t *d)
{
#ifndef BURROW_HAVE_LDNS
    error_at(c, key_line(tab, "provider"),
             "key '%s.provider': this burrow was built without ldns (libldns-dev), so "
             "\"rfc2136\" is not available; use \"dyndns2\" or rebuild with ldns",
             scope);
#endif
    check_required(c, scope, tab, "server");
    check_required(c, scope, tab, "tsigKeyName");
    if (d->tsig_secret_file && !d->tsig_secret) read_tsig_file(c, scope, tab->line, d);
    if (!d->tsig_secret)
        error_at(c, tab->line, "missing required key '%s.tsigSecret' (or tsigSecretFile)", scope);
    else if (!is_base64(d->tsig_secret))
        error_at(c, tab->line, "key '%s.tsigSecret': not a base64 secret", scope);
    if (d->tsig_algorithm && !rfc2136_alg_known(d->tsig_algorithm))
        error_at(c, key_line(tab, "tsigAlgorithm"),
                 "key '%s.tsigAlgorithm': expected hmac-sha256, hmac-sha384, hmac-sha512, "
                 "hmac-sha224, hmac-sha1 or hmac-md5",
                 scope);
}

static void check_dyndns2(ctx_t *c, const char *scope, const toml_value_t *tab, ddns_cfg_t *d)
{
    dyndns2_url_t u;
    check_required(c, scope, tab, "server");
    check_required(c, scope, tab, "user");
    check_required(c, scope, tab, "password");
    if (d->server && dyndns2_url_parse(d->server, &u) < 0)
        error_at(c, key_line(tab, "server"),
                 "key '%s.server': expected \"https://host[:port][/path]\" (the password is sent: "
                 "https only)",
                 scope);
}

/* The rfc2136 TSIG algorithms ldns signs with. */
static bool rfc2136_alg_known(const char *a)
{
    static const char *const algs[] = {"hmac-sha256",
                                       "hmac-sha384",
                                       "hmac-sha512",
                                       "hmac-sha224",
                                       "hmac-sha1",
                                       "hmac-md5",
                                       "hmac-md5.sig-alg.reg.int",
                                       NULL};
    size_t n = strlen(a);
    if (n && a[n - 1] == '.') n--;
    for (const char *const *k = algs; *k; k++)
        if (strlen(*k) == n && strncasecmp(*k, a, n) == 0) return true;
    return false;
}

static void check_ddns(ctx_t *c, const ddns_set_t *set, const char *scope, const toml_value_t *tab,
                       ddns_cfg_t *d)
{
    char shown[SHOW_LEN];
    check_required(c, scope, tab, "provider");
    check_required(c, scope, tab, "name");
    if (d->name && !is_host_name(d->name))
        error_at(c, key_line(tab, "name"), "key '%s.name': '%s' is not a DNS name", scope,
                 show(shown, sizeof shown, d->name, strlen(d->name)));
    for (int i = 0; d->name && i < set->n; i++)
        if (set->v[i].name && strcasecmp(set->v[i].name, d->name) == 0)
            error_at(c, key_line(tab, "name"),
                     "key '%s.name': '%s' is kept twice (first at line %d)", scope, d->name,
                     set->v[i].line);
    if (!d->provider) return;
    if (strcmp(d->provider, "rfc2136") == 0)
        check_rfc2136(c, scope, tab, d);
    else if (strcmp(d->provider, "dyndns2") == 0)
        check_dyndns2(c, scope, tab, d);
    else
        error_at(c, key_line(tab, "provider"),
                 "key '%s.provider': unknown provider '%s' (expected \"rfc2136\" or \"dyndns2\")",
                 scope, show(shown, sizeof shown, d->provider, strlen(d->provider)));
}

static void load_ddns(ctx_t *c, ddns_set_t *set, size_t index, const toml_value_t *tab)
{
    char scope[PATH_LEN];
    snprintf(scope, sizeof scope, "ddns[%zu]", index);
    if (!expect(c, scope, tab->line, tab, TOML_TABLE)) return;
    ddns_cfg_t *d = &set->v[set->n];
    d->line = tab->line;
    d->ttl = DDNS_DEFAULT_TTL;
    walk_t dw = {ddns_keys, d, strlen(scope) + 1};
    walk(c, &dw, tab, scope);
    check_ddns(c, set, scope, tab, d);
    set->n++;
}

HANDLER(h_ddns)
{
    ddns_set_t *set = field_of(w, k);
    const toml_value_t *arr = kv->value;
    if (!expect(c, path, kv->line, arr, TOML_ARRAY) || set->v) return;
    set->v = calloc(arr->u.arr.len + 1, sizeof *set->v);
    if (!set->v) {
        out_of_memory(c);
        return;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++)
        load_ddns(c, set, i, arr->u.arr.items[i]);
}

static const handler_fn handlers[K_KIND_COUNT] = {
    [K_SECTION] = h_section,
    [K_STRING] = h_string,
    [K_INT] = h_int,
    [K_BOOL] = h_bool,
    [K_LOG_LEVEL] = h_log_level,
    [K_AUTH_METHOD] = h_auth_method,
    [K_FINGERPRINT] = h_fingerprint,
    [K_ALLOW_PORTS] = h_allow_ports,
    [K_PROXIES] = h_proxies,
    [K_VISITORS] = h_visitors,
    [K_WOLS] = h_wols,
    [K_DDNS] = h_ddns,
    [K_PROXY_NAME] = h_proxy_name,
    [K_PROXY_TYPE] = h_nothing,
    [K_STR_LIST] = h_str_list,
    [K_HEADERS] = h_headers,
    [K_PP_VERSION] = h_pp_version,
    [K_HDR_ARRAY] = h_named_headers,
    [K_USERS] = h_users,
    [K_USER_PORTS] = h_user_ports,
    [K_SUBDOMAINS] = h_subdomains,
    [K_SECRET_BOOL] = h_secret_bool,
    [K_IP_ADDR] = h_ip_addr,
    [K_PM_PROTOS] = h_pm_protos,
    [K_WEB_PORT] = h_web_port,
    [K_INSP_ADDR] = h_inspect_addr,
    [K_PORT_RANGE] = h_port_range,
    [K_META] = h_meta,
    [K_HOST] = h_host,
    [K_CLIENT_ID] = h_client_id,
    [K_PLUGIN] = h_plugin,
    [K_COMPRESSION] = h_compression,
    [K_BANDWIDTH] = h_bandwidth,
    [K_BW_MODE] = h_bw_mode,
    [K_INCLUDES] = h_nothing,
    [K_FRP] = h_frp,
    [K_FRP_EACH] = h_frp_each,
};

/* "unknown key 'x'", with the nearest key of the same table when one is
 * close (config_suggest.h): "(did you mean 'serverPort'?)". */
static void warn_unknown(ctx_t *c, const walk_t *w, int line, const char *path)
{
    const char *cand[256];
    size_t n = 0;
    for (const key_spec_t *k = w->specs; k->path && n < sizeof cand / sizeof cand[0]; k++)
        cand[n++] = k->path;
    const char *near = strlen(path) >= w->skip ? config_suggest(path + w->skip, cand, n) : NULL;
    if (near)
        warn_at(c, line, "unknown key '%s' (did you mean '%.*s%s'?)", path, (int)w->skip, path,
                near);
    else
        warn_at(c, line, "unknown key '%s'", path);
}

static void walk(ctx_t *c, const walk_t *w, const toml_value_t *tab, const char *prefix)
{
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const toml_kv_t *kv = &tab->u.tab.items[i];
        char path[PATH_LEN];
        join_path(path, sizeof path, prefix, kv);
        const key_spec_t *k = find_spec(w, path);
        if (k)
            handlers[k->kind](c, w, k, path, kv);
        else
            warn_unknown(c, w, kv->line, path);
    }
}

/* ---- {{ .Envs.NAME }} -------------------------------------------------- */

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

static bool is_name_char(char ch, bool first)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
           (!first && ch >= '0' && ch <= '9');
}

/* Matches `{{ .Envs.NAME }}` at s[i]. On success stores NAME (NUL-terminated)
 * in `name` and returns the index just past "}}"; otherwise returns 0. */
static size_t match_template(const char *s, size_t len, size_t i, char *name, size_t name_size)
{
    static const char envs[] = ".Envs.";
    if (i + 2 > len || s[i] != '{' || s[i + 1] != '{') return 0;
    i = skip_blanks(s, len, i + 2);
    if (len - i < sizeof envs - 1 || memcmp(s + i, envs, sizeof envs - 1) != 0) return 0;
    i += sizeof envs - 1;
    size_t n = 0;
    while (i < len && is_name_char(s[i], n == 0)) {
        if (n + 1 >= name_size) return 0;
        name[n++] = s[i++];
    }
    name[n] = '\0';
    i = skip_blanks(s, len, i);
    if (n == 0 || i + 2 > len || s[i] != '}' || s[i + 1] != '}') return 0;
    return i + 2;
}

char *config_expand_env(const char *text, size_t len, size_t *out_len)
{
    strbuf_t b = {0};
    size_t i = 0, run = 0; /* text[run..i) is literal, not yet copied */
    strbuf_put(&b, "", 0);
    while (i < len) {
        char name[256];
        size_t end = text[i] == '{' ? match_template(text, len, i, name, sizeof name) : 0;
        if (!end) {
            i++;
            continue;
        }
        strbuf_put(&b, text + run, i - run);
        const char *value = getenv(name);
        if (value) strbuf_put(&b, value, strlen(value));
        i = run = end;
    }
    strbuf_put(&b, text + run, len - run);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (out_len) *out_len = b.len;
    return b.p;
}

/* A template naming an unset variable is an error (frp would put "" there:
 * `auth.token = "{{ .Envs.TOKEN }}"` with TOKEN forgotten would silently
 * mean no token). Lines that are comments are left alone. */
static void check_env_set(ctx_t *c, const char *text, size_t len, int base)
{
    int line = 1;
    bool comment = false, blank = true; /* of the line so far */
    for (size_t i = 0; i < len; i++) {
        char ch = text[i], name[256];
        if (ch == '\n') {
            line++;
            comment = false;
            blank = true;
            continue;
        }
        if (blank && (ch == '#' || ch == ';')) comment = true; /* TOML, YAML; INI's ';' */
        if (ch != ' ' && ch != '\t') blank = false;
        size_t end = ch == '{' && !comment ? match_template(text, len, i, name, sizeof name) : 0;
        if (!end) continue;
        if (!getenv(name))
            error_at(c, base + line,
                     "template '{{ .Envs.%s }}': environment variable %s is not set", name, name);
        i = end - 1;
    }
}

/* ---- loading ----------------------------------------------------------- */

/* Expands templates, parses and walks `specs` over the tree into `base`.
 * Returns the number of errors reported. */
/* Expands range blocks (config_range.c) into c->text. 0, or the errors. */
static int expand_ranges(ctx_t *c, const char *text, size_t len, cfg_text_t *out)
{
    char msg[160];
    int line = 0, rc = config_expand_ranges(text, len, out, msg, sizeof msg, &line);
    if (rc == -2) out_of_memory(c);
    if (rc == -1) error_at(c, line, "%s", msg);
    if (rc == 0) c->text = out;
    return rc;
}

/* ---- front ends and includes ------------------------------------------ */

/* Where an INI warning's line is: the main file (0) or includes[k-1]. */
typedef struct ini_warn_arg {
    ctx_t *c;
    int base;
} ini_warn_arg_t;

static void ini_warn(void *arg, int line, const char *msg)
{
    ini_warn_arg_t *a = arg;
    warn_at(a->c, line > 0 ? a->base + line : 0, "%s", msg);
}

/* Prints a front end's syntax error at the file's line and column. */
static void syntax_error(ctx_t *c, const char *file, int line, const toml_error_t *terr)
{
    char shown[sizeof terr->msg];
    char msg[sizeof terr->msg];
    memcpy(msg, terr->msg, sizeof msg);
    msg[sizeof msg - 1] = '\0';
    fprintf(c->diag, "%s:%d:%d: error: %s\n", file, line, terr->col,
            show(shown, sizeof shown, msg, strlen(msg)));
    c->errors++;
}

/* Expands {{ .Envs.X }} in text and parses it in the format its name says.
 * NULL after reporting. `base` is added to INI warnings' lines. */
static toml_value_t *parse_text(ctx_t *c, const char *name, const char *text, size_t len, int base,
                                toml_error_t *terr)
{
    size_t n = 0;
    int before = c->errors;
    memset(terr, 0, sizeof *terr); /* no syntax error to print when NULL comes early */
    check_env_set(c, text, len, base);
    if (c->errors > before) return NULL;
    char *expanded = config_expand_env(text, len, &n);
    if (!expanded) {
        out_of_memory(c);
        return NULL;
    }
    cfg_format_t f = cfg_format_of(name, expanded, n);
    if (f == CFG_INI && !c->quiet)
        fprintf(c->diag,
                "%s: note: legacy INI format; the TOML equivalent of this file is shown by "
                "'burrow config convert %s'\n",
                name, name);
    ini_warn_arg_t wa = {c, base};
    memset(terr, 0, sizeof *terr);
    toml_value_t *root = cfg_format_parse(
        f, expanded, n, c->client ? CFG_INI_CLIENT : CFG_INI_SERVER, ini_warn, &wa, terr);
    free(expanded);
    return root;
}

/* Adds `base` to every line of a tree (an included file's). */
static void shift_lines(toml_value_t *v, int base)
{
    v->line += base;
    if (v->type == TOML_ARRAY)
        for (size_t i = 0; i < v->u.arr.len; i++)
            shift_lines(v->u.arr.items[i], base);
    if (v->type == TOML_TABLE)
        for (size_t i = 0; i < v->u.tab.len; i++) {
            v->u.tab.items[i].line += base;
            shift_lines(v->u.tab.items[i].value, base);
        }
}

/* Moves the items of inc's array `key` to the end of root's (created at
 * `line` when absent). */
static void merge_array(ctx_t *c, toml_value_t *root, const toml_kv_t *from, int line)
{
    const toml_kv_t *to = toml_table_get_kv(root, from->key);
    toml_value_t *arr = to ? to->value : toml_new(TOML_ARRAY, line, 1);
    if (!arr) {
        out_of_memory(c);
        return;
    }
    if (!to && toml_table_put(root, from->key, from->key_len, line, 1, arr) != 0) {
        toml_free(arr);
        out_of_memory(c);
        return;
    }
    if (arr->type != TOML_ARRAY) return; /* the walker reports the main file's key */
    toml_value_t *src = from->value;
    size_t moved = 0;
    while (moved < src->u.arr.len && toml_array_append(arr, src->u.arr.items[moved]) == 0)
        moved++;
    if (moved < src->u.arr.len) { /* what stays is freed with the included tree */
        out_of_memory(c);
        memmove(src->u.arr.items, src->u.arr.items + moved,
                (src->u.arr.len - moved) * sizeof(void *));
    }
    src->u.arr.len -= moved;
}

/* An included file holds [[proxies]] and [[visitors]] only. */
static void merge_include(ctx_t *c, toml_value_t *root, toml_value_t *inc)
{
    for (size_t i = 0; i < inc->u.tab.len; i++) {
        const toml_kv_t *kv = &inc->u.tab.items[i];
        char key[SHOW_LEN];
        show(key, sizeof key, kv->key, kv->key_len);
        bool ok = strcmp(kv->key, "proxies") == 0 || strcmp(kv->key, "visitors") == 0;
        if (!ok)
            error_at(c, kv->line, "key '%s': an included file holds only proxies and visitors",
                     key);
        else if (expect(c, key, kv->line, kv->value, TOML_ARRAY))
            merge_array(c, root, kv, kv->line);
    }
}

/* Parses includes[k-1] and merges it into root. */
static void load_include(ctx_t *c, toml_value_t *root, const cfg_include_file_t *f, int k)
{
    inc_file_t *inc = &c->inc[c->n_inc++];
    inc->name = dup_mem(c, f->path, strlen(f->path));
    if (!inc->name) return;
    int base = k * INC_LINE_BASE;
    char msg[160];
    int line = 0, rc = config_expand_ranges(f->text, f->len, &inc->text, msg, sizeof msg, &line);
    if (rc == -2) {
        out_of_memory(c);
        return;
    }
    if (rc == -1) {
        error_at(c, base + line, "%s", msg);
        return;
    }
    if (inc->text.n_lines >= INC_LINE_BASE) {
        error_at(c, base, "file too long");
        return;
    }
    toml_error_t terr;
    toml_value_t *tree = parse_text(c, inc->name, inc->text.text, inc->text.len, base, &terr);
    if (!tree) {
        if (terr.msg[0]) syntax_error(c, inc->name, cfg_text_line(&inc->text, terr.line), &terr);
        return;
    }
    shift_lines(tree, base);
    merge_include(c, root, tree);
    toml_free(tree);
}

static void include_report(void *arg, int index, bool error, const char *msg)
{
    ini_warn_arg_t *a = arg;
    if (error)
        error_at(a->c, a->base, "key 'includes[%d]': %s", index, msg);
    else
        warn_at(a->c, a->base, "key 'includes[%d]': %s", index, msg);
}

/* The patterns of `includes`: an array of strings. 0, or -1 after errors. */
static int include_patterns(ctx_t *c, const toml_kv_t *kv, const char **pats, int max)
{
    const toml_value_t *arr = kv->value;
    if (!expect(c, "includes", kv->line, arr, TOML_ARRAY)) return -1;
    if (arr->u.arr.len > (size_t)max) {
        error_at(c, kv->line, "key 'includes': more than %d patterns", max);
        return -1;
    }
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        char path[32];
        snprintf(path, sizeof path, "includes[%zu]", i);
        if (!expect_string(c, path, kv->line, arr->u.arr.items[i])) return -1;
        pats[i] = arr->u.arr.items[i]->u.s.ptr;
    }
    return (int)arr->u.arr.len;
}

/* The client's `includes`: each file's proxies and visitors join root's,
 * in order, their lines marked with the file (INC_LINE_BASE). */
static void load_includes(ctx_t *c, toml_value_t *root)
{
    const toml_kv_t *kv = toml_table_get_kv(root, "includes");
    const char *pats[CFG_INCLUDE_MAX_FILES];
    int n = kv ? include_patterns(c, kv, pats, CFG_INCLUDE_MAX_FILES) : 0;
    if (n <= 0) return;
    if (c->text && c->text->n_lines >= INC_LINE_BASE) {
        error_at(c, kv->line, "key 'includes': the main file is too long");
        return;
    }
    cfg_include_set_t set;
    ini_warn_arg_t ra = {c, kv->line};
    cfg_include_read(c->file, pats, n, &set, include_report, &ra);
    c->inc = calloc((size_t)set.n + 1, sizeof *c->inc);
    if (!c->inc) out_of_memory(c);
    for (int i = 0; c->inc && i < set.n; i++)
        load_include(c, root, &set.v[i], i + 1);
    cfg_include_free(&set);
}

static int parse_tree(ctx_t *c, const char *text, size_t len, const key_spec_t *specs, void *base)
{
    toml_error_t terr;
    toml_value_t *root = parse_text(c, c->file, text, len, 0, &terr);
    if (!root) {
        if (terr.msg[0]) syntax_error(c, c->file, file_line(c, terr.line), &terr);
        return c->errors;
    }
    if (c->client) load_includes(c, root);
    walk_t w = {specs, base, 0};
    if (root->type == TOML_TABLE) walk(c, &w, root, "");
    toml_free(root);
    return c->errors;
}

/* Expands templates (ranges, then {{ .Envs.X }}), parses and walks `specs`
 * over the tree into `base`. Returns the number of errors reported. */
static int parse_into(ctx_t *c, const char *text, size_t len, const key_spec_t *specs, void *base)
{
    if (expand_ranges(c, text, len, &c->ranged) < 0) return c->errors;
    return parse_tree(c, c->ranged.text, c->ranged.len, specs, base);
}

/* "127.0.0.1", "::1", any 127/8 address, or "localhost". */
static bool is_loopback_addr(const char *a)
{
    struct sockaddr_storage ss;
    if (strcmp(a, "localhost") == 0) return true;
    if (addr_parse(a, 0, &ss) != 0) return false;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* webServer: defaults, TLS files in pairs, and no password-less listener
 * off loopback (anyone reaching the port would see or steer everything). */
static void check_web(ctx_t *c, web_cfg_t *web, const char *default_addr)
{
    default_str(c, &web->addr, default_addr);
    if (web->port == 0 || !web->addr) return;
    if (!web->tls_cert_file != !web->tls_key_file)
        error_at(c, web->line, "key 'webServer.tls.%s': required with webServer.tls.%s",
                 web->tls_cert_file ? "keyFile" : "certFile",
                 web->tls_cert_file ? "certFile" : "keyFile");
    if (is_loopback_addr(web->addr) || (web->password && web->password[0])) return;
    char shown[SHOW_LEN];
    error_at(c, web->line,
             "key 'webServer.password': required when webServer.addr '%s' is not a loopback "
             "address (anyone who reaches the port could use it); set a password, or "
             "webServer.addr = \"127.0.0.1\"",
             show(shown, sizeof shown, web->addr, strlen(web->addr)));
}

/* inspector: on when a proxy inspects; defaults; bodies may be secrets, so
 * no password-less listener off loopback (as webServer). */
static void check_inspector(ctx_t *c, client_cfg_t *cfg)
{
    inspect_cfg_t *ins = &cfg->inspector;
    for (int i = 0; i < cfg->n_proxies; i++)
        if (cfg->proxies[i].inspect) ins->on = true;
    default_str(c, &ins->addr, "127.0.0.1");
    if (ins->port == 0) ins->port = INSPECT_DEFAULT_PORT;
    if (ins->max_bytes == 0) ins->max_bytes = INSPECT_DEFAULT_MAX_BYTES;
    if (ins->body_max < 0) ins->body_max = INSPECT_DEFAULT_BODY_MAX;
    if (!ins->on || !ins->addr) return;
    if (is_loopback_addr(ins->addr) || (ins->password && ins->password[0])) return;
    char shown[SHOW_LEN];
    error_at(c, ins->line,
             "key 'inspector.password': required when inspector.addr '%s' is not a loopback "
             "address (recorded bodies may hold secrets); set a password, or "
             "inspector.addr = \"127.0.0.1\"",
             show(shown, sizeof shown, ins->addr, strlen(ins->addr)));
}

static void server_defaults(server_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind_port = 7000;
    cfg->heartbeat_timeout = 90;
    cfg->max_pool_count = 5;
    cfg->vhost_http_timeout = 60;
    cfg->stun_port = -1;
    cfg->relay_port = -1;
    cfg->ddns.check_interval = DDNS_DEFAULT_CHECK_INTERVAL;
    cfg->log.level = LOG_INFO;
    cfg->access_log = true;
}

static void server_string_defaults(ctx_t *c, server_cfg_t *cfg)
{
    default_str(c, &cfg->bind_addr, "0.0.0.0");
    if (cfg->bind_addr) default_str(c, &cfg->proxy_bind_addr, cfg->bind_addr);
    default_str(c, &cfg->token, "");
    default_str(c, &cfg->log.to, "console");
}

static void client_defaults(client_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->server_port = 7000;
    cfg->pool_count = 1;
    cfg->tls_enable = true;
    cfg->port_mapping = true;
    for (int i = 0; i < PORTMAP_NPROTOS; i++)
        cfg->port_mapping_protocols[i] = (portmap_proto_t)i;
    cfg->n_port_mapping_protocols = PORTMAP_NPROTOS;
    cfg->heartbeat_interval = 30;
    cfg->heartbeat_timeout = 90;
    cfg->inspector.body_max = -1; /* unset: INSPECT_DEFAULT_BODY_MAX (0 is "no bodies") */
    cfg->ddns.check_interval = DDNS_DEFAULT_CHECK_INTERVAL;
    cfg->log.level = LOG_INFO;
}

static void client_string_defaults(ctx_t *c, client_cfg_t *cfg)
{
    default_str(c, &cfg->server_addr, "127.0.0.1");
    if (cfg->server_addr) default_str(c, &cfg->tls_server_name, cfg->server_addr);
    default_str(c, &cfg->token, "");
    default_str(c, &cfg->user, "");
    default_str(c, &cfg->log.to, "console");
}

int config_parse_server(const char *name, const char *text, size_t len, server_cfg_t *out,
                        FILE *diag)
{
    ctx_t c = {.file = name, .diag = diag ? diag : stderr};
    server_defaults(out);
    if (parse_into(&c, text, len, server_keys, out) == 0) {
        server_string_defaults(&c, out);
        check_web(&c, &out->web, "0.0.0.0");
    }
    ctx_done(&c);
    if (c.errors == 0) return 0;
    config_server_free(out);
    return -1;
}

int config_parse_client(const char *name, const char *text, size_t len, client_cfg_t *out,
                        FILE *diag)
{
    ctx_t c = {.file = name, .diag = diag ? diag : stderr, .client = true};
    client_defaults(out);
    if (parse_into(&c, text, len, client_keys, out) == 0) {
        client_string_defaults(&c, out);
        check_web(&c, &out->web, "127.0.0.1");
        check_inspector(&c, out);
        resolve_wake(&c, out);
    }
    ctx_done(&c);
    if (c.errors == 0) return 0;
    config_client_free(out);
    return -1;
}

/* Reads a whole file into a malloc'd buffer. NULL with errno set on failure. */
static char *read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    errno = 0;
    strbuf_t b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_put(&b, chunk, n);
    int failed = ferror(f) ? (errno ? errno : EIO) : b.failed ? ENOMEM : 0;
    fclose(f);
    if (!failed && !b.p) strbuf_put(&b, "", 0);
    if (failed || b.failed) {
        free(b.p);
        errno = failed ? failed : ENOMEM;
        return NULL;
    }
    *out_len = b.len;
    return b.p;
}

static char *read_config(const char *path, size_t *len, FILE *diag)
{
    char *text = read_file(path, len);
    if (!text) fprintf(diag ? diag : stderr, "%s: error: cannot read: %s\n", path, strerror(errno));
    if (text && *len > CFG_MAX_BYTES) {
        fprintf(diag ? diag : stderr, "%s: error: larger than %u bytes\n", path, CFG_MAX_BYTES);
        free(text);
        return NULL;
    }
    return text;
}

struct toml_value *config_read_tree(const char *path, int role, FILE *diag)
{
    size_t len = 0;
    char *text = read_config(path, &len, diag);
    if (!text) return NULL;
    bool client = role < 0 ? cfg_ini_guess_role(text, len) == CFG_INI_CLIENT : role == 1;
    ctx_t c = {.file = path, .diag = diag ? diag : stderr, .client = client};
    toml_value_t *root = NULL;
    toml_error_t terr;
    if (expand_ranges(&c, text, len, &c.ranged) == 0) {
        root = parse_text(&c, path, c.ranged.text, c.ranged.len, 0, &terr);
        if (!root && terr.msg[0]) syntax_error(&c, path, file_line(&c, terr.line), &terr);
    }
    ctx_done(&c);
    free(text);
    return root;
}

int config_load_server(const char *path, server_cfg_t *out, FILE *diag)
{
    size_t len = 0;
    char *text = read_config(path, &len, diag);
    if (!text) {
        server_defaults(out);
        return -1;
    }
    int rc = config_parse_server(path, text, len, out, diag);
    free(text);
    return rc;
}

int config_load_client(const char *path, client_cfg_t *out, FILE *diag)
{
    size_t len = 0;
    char *text = read_config(path, &len, diag);
    if (!text) {
        client_defaults(out);
        return -1;
    }
    int rc = config_parse_client(path, text, len, out, diag);
    free(text);
    return rc;
}

/* ---- freeing and queries ----------------------------------------------- */

static void log_cfg_free(log_cfg_t *log)
{
    free(log->to);
    log->to = NULL;
}

static void web_cfg_free(web_cfg_t *web)
{
    free(web->addr);
    free(web->user);
    free(web->password);
    free(web->tls_cert_file);
    free(web->tls_key_file);
    memset(web, 0, sizeof *web);
}

static void str_list_free(str_list_t *l);

static void inspect_cfg_free(inspect_cfg_t *ins)
{
    free(ins->addr);
    free(ins->user);
    free(ins->password);
    memset(ins, 0, sizeof *ins);
}

static void ddns_set_free(ddns_set_t *set)
{
    for (int i = 0; i < set->n; i++) {
        ddns_cfg_t *d = &set->v[i];
        free(d->provider);
        free(d->name);
        free(d->server);
        free(d->zone);
        free(d->tsig_key_name);
        free(d->tsig_algorithm);
        free(d->tsig_secret);
        free(d->tsig_secret_file);
        free(d->user);
        free(d->password);
        free(d->ca_file);
    }
    free(set->v);
    free(set->address);
    memset(set, 0, sizeof *set);
}

static void user_cfg_free(user_cfg_t *u)
{
    free(u->name);
    free(u->token);
    free(u->allow_ports);
    str_list_free(&u->domains);
    str_list_free(&u->subdomains);
}

void config_server_free(server_cfg_t *cfg)
{
    if (!cfg) return;
    for (int i = 0; i < cfg->n_users; i++)
        user_cfg_free(&cfg->users[i]);
    free(cfg->users);
    str_list_free(&cfg->vhost_wildcard_domains);
    free(cfg->bind_addr);
    free(cfg->proxy_bind_addr);
    free(cfg->token);
    free(cfg->allow_ports);
    free(cfg->tls_cert_file);
    free(cfg->tls_key_file);
    free(cfg->subdomain_host);
    free(cfg->custom_404_page);
    free(cfg->alt_addr);
    web_cfg_free(&cfg->web);
    ddns_set_free(&cfg->ddns);
    log_cfg_free(&cfg->log);
    memset(cfg, 0, sizeof *cfg);
}

static void str_list_free(str_list_t *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static void header_list_free(header_list_t *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
}

static void proxy_cfg_free(proxy_cfg_t *p)
{
    free(p->name);
    free(p->remote_range);
    free(p->local_ip);
    str_list_free(&p->custom_domains);
    free(p->subdomain);
    str_list_free(&p->locations);
    free(p->secret_key);
    str_list_free(&p->allow_users);
    free(p->host_header_rewrite);
    free(p->http_user);
    free(p->http_password);
    header_list_free(&p->request_headers);
    header_list_free(&p->response_headers);
    header_list_free(&p->metadatas);
    free(p->wake_on_lan);
    free(p->wake_mac);
    free(p->wake_interface);
    free(p->wake_password);
    config_lb_free(p);
    config_plugin_free(&p->plugin);
}

static void visitor_cfg_free(visitor_cfg_t *v)
{
    free(v->name);
    free(v->type);
    free(v->server_name);
    free(v->server_user);
    free(v->secret_key);
    free(v->fallback_to);
    free(v->bind_addr);
}

void config_client_free(client_cfg_t *cfg)
{
    if (!cfg) return;
    free(cfg->server_addr);
    free(cfg->token);
    free(cfg->user);
    free(cfg->tls_trusted_ca_file);
    free(cfg->tls_server_name);
    free(cfg->tls_server_fingerprint);
    free(cfg->nat_hole_stun_server);
    web_cfg_free(&cfg->web);
    inspect_cfg_free(&cfg->inspector);
    log_cfg_free(&cfg->log);
    for (int i = 0; i < cfg->n_proxies; i++)
        proxy_cfg_free(&cfg->proxies[i]);
    free(cfg->proxies);
    for (int i = 0; i < cfg->n_visitors; i++)
        visitor_cfg_free(&cfg->visitors[i]);
    free(cfg->visitors);
    for (int i = 0; i < cfg->n_wols; i++) {
        free(cfg->wols[i].name);
        free(cfg->wols[i].mac);
        free(cfg->wols[i].interface);
        free(cfg->wols[i].password);
    }
    free(cfg->wols);
    ddns_set_free(&cfg->ddns);
    free(cfg->client_id);
    header_list_free(&cfg->metadatas);
    memset(cfg, 0, sizeof *cfg);
}

bool config_port_allowed(const server_cfg_t *cfg, int port)
{
    if (cfg->n_allow_ports == 0) return true;
    for (int i = 0; i < cfg->n_allow_ports; i++)
        if (port >= cfg->allow_ports[i].start && port <= cfg->allow_ports[i].end) return true;
    return false;
}

static bool in_ranges(const port_range_t *r, int n, int port)
{
    for (int i = 0; i < n; i++)
        if (port >= r[i].start && port <= r[i].end) return true;
    return false;
}

bool config_user_port_allowed(const server_cfg_t *cfg, const user_cfg_t *u, int port)
{
    if (u && u->n_allow_ports > 0) return in_ranges(u->allow_ports, u->n_allow_ports, port);
    return config_port_allowed(cfg, port);
}

const user_cfg_t *config_find_user(const server_cfg_t *cfg, const char *name)
{
    for (int i = 0; name && i < cfg->n_users; i++)
        if (strcmp(cfg->users[i].name, name) == 0) return &cfg->users[i];
    return NULL;
}

const wol_cfg_t *config_find_wol(const client_cfg_t *cfg, const char *name)
{
    for (int i = 0; name && i < cfg->n_wols; i++)
        if (cfg->wols[i].name && strcmp(cfg->wols[i].name, name) == 0) return &cfg->wols[i];
    return NULL;
}

int config_check_server_auth(const server_cfg_t *cfg, const char *file, FILE *diag)
{
    if ((cfg->token && cfg->token[0]) || cfg->n_users > 0 || cfg->allow_open) return 0;
    fprintf(diag ? diag : stderr,
            "%s: error: no 'auth.token' and no [[users]]: anyone could log in and bind ports. Set "
            "auth.token (or add [[users]]), or set 'auth.allowOpen = true' if an open server is "
            "really intended\n",
            file);
    return -1;
}
