/* cfg_ini: legacy INI → TOML-schema tree; see cfg_ini.h.
 *
 * Two layers: a line reader (sections, `key = value`) and the translation,
 * driven by one table of legacy keys per section kind (client [common],
 * server [common], proxy, visitor, server [plugin.NAME]). A row names the
 * TOML key path the value goes to and how its text is typed. */
#include "config/cfg_ini.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_yaml.h"

/* ---- how a legacy value is typed ---------------------------------------- */

typedef enum {
    I_STR,    /* string */
    I_INT,    /* integer */
    I_BOOL,   /* boolean, Go's spellings */
    I_LIST,   /* "a, b" → ["a", "b"] */
    I_PORTS,  /* "2000-3000,3001" → [{start, end}, {single}] */
    I_PORT,   /* an integer, or a range string ("6010-6020,6022") */
    I_SCOPE,  /* true → path's last part appended to auth.additionalScopes */
    I_PREFIX, /* key is a prefix: the rest of the key goes under path */
    I_ROLE,   /* role = server | visitor: read before the section */
    I_SILENT, /* accepted, nothing in TOML (the note says why) */
    I_GONE,   /* frp's TOML schema dropped it: a warning */
} ini_kind_t;

typedef struct ini_key {
    const char *legacy; /* the INI key, or a prefix for I_PREFIX */
    const char *path;   /* dotted TOML path (relative to the section's table) */
    ini_kind_t kind;
} ini_key_t;

#define S(k, p)                                                                                    \
    {                                                                                              \
        k, p, I_STR                                                                                \
    }
#define N(k, p)                                                                                    \
    {                                                                                              \
        k, p, I_INT                                                                                \
    }
#define B(k, p)                                                                                    \
    {                                                                                              \
        k, p, I_BOOL                                                                               \
    }
#define L(k, p)                                                                                    \
    {                                                                                              \
        k, p, I_LIST                                                                               \
    }
#define P(k, p)                                                                                    \
    {                                                                                              \
        k, p, I_PREFIX                                                                             \
    }
#define INI_END                                                                                    \
    {                                                                                              \
        NULL, NULL, I_STR                                                                          \
    }

#define INI_LOG_KEYS                                                                               \
    S("log_file", "log.to"), S("log_level", "log.level"), N("log_max_days", "log.maxDays"),        \
        B("disable_log_color", "log.disablePrintColor")
#define INI_AUTH_KEYS                                                                              \
    S("token", "auth.token"), S("authentication_method", "auth.method"),                           \
        {"authenticate_heartbeats", "HeartBeats", I_SCOPE},                                        \
    {                                                                                              \
        "authenticate_new_work_conns", "NewWorkConns", I_SCOPE                                     \
    }
#define INI_QUIC_KEYS                                                                              \
    N("quic_keepalive_period", "transport.quic.keepalivePeriod"),                                  \
        N("quic_max_idle_timeout", "transport.quic.maxIdleTimeout"),                               \
        N("quic_max_incoming_streams", "transport.quic.maxIncomingStreams")
#define INI_MUX_KEYS                                                                               \
    B("tcp_mux", "transport.tcpMux"),                                                              \
        N("tcp_mux_keepalive_interval", "transport.tcpMuxKeepaliveInterval")

static const ini_key_t client_common[] = {
    S("server_addr", "serverAddr"),
    N("server_port", "serverPort"),
    S("user", "user"),
    B("login_fail_exit", "loginFailExit"),
    S("nat_hole_stun_server", "natHoleStunServer"),
    N("dial_server_timeout", "transport.dialServerTimeout"),
    N("dial_server_keepalive", "transport.dialServerKeepalive"),
    S("http_proxy", "transport.proxyURL"),
    INI_LOG_KEYS,
    INI_AUTH_KEYS,
    S("oidc_client_id", "auth.oidc.clientID"),
    S("oidc_client_secret", "auth.oidc.clientSecret"),
    S("oidc_audience", "auth.oidc.audience"),
    S("oidc_scope", "auth.oidc.scope"),
    S("oidc_token_endpoint_url", "auth.oidc.tokenEndpointURL"),
    P("oidc_additional_", "auth.oidc.additionalEndpointParams"),
    S("admin_addr", "webServer.addr"),
    N("admin_port", "webServer.port"),
    S("admin_user", "webServer.user"),
    S("admin_pwd", "webServer.password"),
    S("assets_dir", "webServer.assetsDir"),
    B("pprof_enable", "webServer.pprofEnable"),
    N("pool_count", "transport.poolCount"),
    INI_MUX_KEYS,
    S("protocol", "transport.protocol"),
    S("connect_server_local_ip", "transport.connectServerLocalIP"),
    INI_QUIC_KEYS,
    B("tls_enable", "transport.tls.enable"),
    S("tls_cert_file", "transport.tls.certFile"),
    S("tls_key_file", "transport.tls.keyFile"),
    S("tls_trusted_ca_file", "transport.tls.trustedCaFile"),
    S("tls_server_name", "transport.tls.serverName"),
    B("disable_custom_tls_first_byte", "transport.tls.disableCustomTLSFirstByte"),
    S("dns_server", "dnsServer"),
    L("start", "start"),
    N("heartbeat_interval", "transport.heartbeatInterval"),
    N("heartbeat_timeout", "transport.heartbeatTimeout"),
    P("meta_", "metadatas"),
    N("udp_packet_size", "udpPacketSize"),
    L("includes", "includes"),
    INI_END,
};

static const ini_key_t server_common[] = {
    S("bind_addr", "bindAddr"),
    N("bind_port", "bindPort"),
    N("kcp_bind_port", "kcpBindPort"),
    {"bind_udp_port", "", I_GONE},
    {"authentication_timeout", "", I_GONE},
    N("quic_bind_port", "quicBindPort"),
    INI_QUIC_KEYS,
    S("proxy_bind_addr", "proxyBindAddr"),
    N("vhost_http_port", "vhostHTTPPort"),
    N("vhost_https_port", "vhostHTTPSPort"),
    N("vhost_http_timeout", "vhostHTTPTimeout"),
    N("tcpmux_httpconnect_port", "tcpmuxHTTPConnectPort"),
    B("tcpmux_passthrough", "tcpmuxPassthrough"),
    S("dashboard_addr", "webServer.addr"),
    N("dashboard_port", "webServer.port"),
    S("dashboard_user", "webServer.user"),
    S("dashboard_pwd", "webServer.password"),
    /* TOML has no switch: webServer.tls is on when its two files are set */
    {"dashboard_tls_mode", "", I_SILENT},
    S("dashboard_tls_cert_file", "webServer.tls.certFile"),
    S("dashboard_tls_key_file", "webServer.tls.keyFile"),
    S("assets_dir", "webServer.assetsDir"),
    B("pprof_enable", "webServer.pprofEnable"),
    B("enable_prometheus", "enablePrometheus"),
    INI_LOG_KEYS,
    {"log_duration_types", "", I_GONE},
    B("detailed_errors_to_client", "detailedErrorsToClient"),
    INI_AUTH_KEYS,
    S("oidc_issuer", "auth.oidc.issuer"),
    S("oidc_audience", "auth.oidc.audience"),
    B("oidc_skip_expiry_check", "auth.oidc.skipExpiryCheck"),
    B("oidc_skip_issuer_check", "auth.oidc.skipIssuerCheck"),
    N("heartbeat_timeout", "transport.heartbeatTimeout"),
    N("user_conn_timeout", "userConnTimeout"),
    {"allow_ports", "allowPorts", I_PORTS},
    N("max_pool_count", "transport.maxPoolCount"),
    N("max_ports_per_client", "maxPortsPerClient"),
    B("tls_only", "transport.tls.force"),
    S("tls_cert_file", "transport.tls.certFile"),
    S("tls_key_file", "transport.tls.keyFile"),
    S("tls_trusted_ca_file", "transport.tls.trustedCaFile"),
    S("subdomain_host", "subDomainHost"),
    INI_MUX_KEYS,
    N("tcp_keepalive", "transport.tcpKeepalive"),
    S("custom_404_page", "custom404Page"),
    N("udp_packet_size", "udpPacketSize"),
    N("nat_hole_analysis_data_reserve_hours", "natholeAnalysisDataReserveHours"),
    INI_END,
};

#define INI_SECTION_COMMON                                                                         \
    S("type", "type"), B("use_encryption", "transport.useEncryption"),                             \
        B("use_compression", "transport.useCompression"),                                          \
    {                                                                                              \
        "role", "", I_ROLE                                                                         \
    }

static const ini_key_t proxy_section[] = {
    INI_SECTION_COMMON,
    S("local_ip", "localIP"),
    {"local_port", "localPort", I_PORT},
    {"remote_port", "remotePort", I_PORT},
    S("bandwidth_limit", "transport.bandwidthLimit"),
    S("bandwidth_limit_mode", "transport.bandwidthLimitMode"),
    S("proxy_protocol_version", "transport.proxyProtocolVersion"),
    S("group", "loadBalancer.group"),
    S("group_key", "loadBalancer.groupKey"),
    S("health_check_type", "healthCheck.type"),
    N("health_check_timeout_s", "healthCheck.timeoutSeconds"),
    N("health_check_max_failed", "healthCheck.maxFailed"),
    N("health_check_interval_s", "healthCheck.intervalSeconds"),
    S("health_check_url", "healthCheck.path"),
    S("http_user", "httpUser"),
    S("http_pwd", "httpPassword"),
    S("subdomain", "subdomain"),
    L("custom_domains", "customDomains"),
    L("locations", "locations"),
    S("route_by_http_user", "routeByHTTPUser"),
    S("host_header_rewrite", "hostHeaderRewrite"),
    S("multiplexer", "multiplexer"),
    S("sk", "secretKey"),
    L("allow_users", "allowUsers"),
    S("plugin", "plugin.type"),
    S("plugin_unix_path", "plugin.unixPath"),
    S("plugin_http_user", "plugin.httpUser"),
    S("plugin_http_passwd", "plugin.httpPassword"),
    S("plugin_user", "plugin.username"),
    S("plugin_passwd", "plugin.password"),
    S("plugin_local_path", "plugin.localPath"),
    S("plugin_strip_prefix", "plugin.stripPrefix"),
    S("plugin_local_addr", "plugin.localAddr"),
    S("plugin_crt_path", "plugin.crtPath"),
    S("plugin_key_path", "plugin.keyPath"),
    S("plugin_host_header_rewrite", "plugin.hostHeaderRewrite"),
    P("plugin_header_", "plugin.requestHeaders.set"),
    P("header_", "requestHeaders.set"),
    P("meta_", "metadatas"),
    INI_END,
};

static const ini_key_t visitor_section[] = {
    INI_SECTION_COMMON,
    S("server_name", "serverName"),
    S("server_user", "serverUser"),
    S("sk", "secretKey"),
    S("bind_addr", "bindAddr"),
    N("bind_port", "bindPort"),
    B("keep_tunnel_open", "keepTunnelOpen"),
    N("max_retries_an_hour", "maxRetriesAnHour"),
    N("min_retry_interval", "minRetryInterval"),
    S("fallback_to", "fallbackTo"),
    N("fallback_timeout_ms", "fallbackTimeoutMs"),
    S("protocol", "protocol"),
    INI_END,
};

static const ini_key_t plugin_section[] = {
    S("addr", "addr"),
    S("path", "path"),
    L("ops", "ops"),
    INI_END,
};

/* ---- lines -------------------------------------------------------------- */

typedef enum { L_BLANK, L_SECTION, L_KV, L_BAD } line_kind_t;

typedef struct ini_line {
    line_kind_t kind;
    const char *a; /* section name, or key */
    size_t alen;
    const char *b; /* value */
    size_t blen;
    int line, acol, bcol;
} ini_line_t;

typedef struct ini {
    const char *s;
    size_t len, pos;
    int line;
    cfg_ini_role_t role;
    cfg_ini_warn_fn warn;
    void *arg;
    toml_error_t *err;
    toml_value_t *root;
    toml_value_t *proxies, *visitors, *plugins; /* created on first use */
} ini_t;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void trim(const char **p, size_t *n)
{
    while (*n && is_blank(**p))
        (*p)++, (*n)--;
    while (*n && is_blank((*p)[*n - 1]))
        (*n)--;
}

/* Splits one line at p->pos. False at the end of the text. */
static bool read_line(ini_t *p, ini_line_t *l)
{
    if (p->pos >= p->len) return false;
    const char *start = p->s + p->pos, *nl = memchr(start, '\n', p->len - p->pos);
    size_t n = nl ? (size_t)(nl - start) : p->len - p->pos;
    p->pos += n + (nl != NULL);
    memset(l, 0, sizeof *l);
    l->line = ++p->line;
    const char *t = start;
    size_t tn = n;
    trim(&t, &tn);
    if (tn == 0 || t[0] == '#' || t[0] == ';') return true;
    if (t[0] == '[') {
        const char *close = memchr(t, ']', tn);
        l->kind = close ? L_SECTION : L_BAD;
        l->a = t + 1;
        l->alen = close ? (size_t)(close - t - 1) : 0;
        trim(&l->a, &l->alen);
        l->acol = (int)(t - start) + 2;
        return true;
    }
    size_t eq = 0;
    while (eq < tn && t[eq] != '=' && t[eq] != ':')
        eq++;
    l->kind = L_KV;
    l->a = t;
    l->alen = eq;
    trim(&l->a, &l->alen);
    l->acol = (int)(t - start) + 1;
    if (eq == tn) { /* a bare key: true */
        l->b = "true";
        l->blen = 4;
        l->bcol = l->acol;
        return true;
    }
    l->b = t + eq + 1;
    l->blen = tn - eq - 1;
    trim(&l->b, &l->blen);
    bool quoted =
        l->blen >= 2 && (l->b[0] == '"' || l->b[0] == '\'') && l->b[l->blen - 1] == l->b[0];
    if (quoted) l->b++, l->blen -= 2;
    l->bcol = (int)(l->b - start) + 1;
    return true;
}

/* ---- diagnostics -------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static bool fail(ini_t *p, int line, int col, const char *fmt,
                                                       ...)
{
    if (p->err->msg[0]) return false;
    p->err->line = line;
    p->err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* Copies text for a message: printable ASCII, others as \xNN, cut at 60. */
static const char *shown(char *buf, size_t size, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
        if (i + 1 < n && o + 8 >= size) o += (size_t)snprintf(buf + o, size - o, "...");
    }
    buf[o] = '\0';
    return buf;
}

__attribute__((format(printf, 3, 4))) static void warn(ini_t *p, int line, const char *fmt, ...)
{
    if (!p->warn) return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->warn(p->arg, line, msg);
}

/* ---- typed values ------------------------------------------------------- */

static bool oom(ini_t *p, int line)
{
    return fail(p, line, 1, "out of memory");
}

static toml_value_t *new_scalar(ini_t *p, const ini_line_t *l, toml_type_t t)
{
    toml_value_t *v = toml_new(t, l->line, l->bcol);
    if (!v) oom(p, l->line);
    return v;
}

/* Go's strconv.ParseBool plus go-ini's yes/no/on/off. */
static int parse_bool(const char *s, size_t n)
{
    static const char *const yes[] = {"1",   "t", "T", "true", "TRUE", "True", "yes", "YES",
                                      "Yes", "y", "Y", "on",   "ON",   "On",   NULL};
    static const char *const no[] = {"0",  "f", "F", "false", "FALSE", "False", "no", "NO",
                                     "No", "n", "N", "off",   "OFF",   "Off",   NULL};
    for (int i = 0; yes[i]; i++)
        if (strlen(yes[i]) == n && memcmp(yes[i], s, n) == 0) return 1;
    for (int i = 0; no[i]; i++)
        if (strlen(no[i]) == n && memcmp(no[i], s, n) == 0) return 0;
    return -1;
}

static bool parse_int(const char *s, size_t n, int64_t *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    size_t digits = strspn(buf + (buf[0] == '-' || buf[0] == '+'), "0123456789");
    if (digits == 0 || digits + (buf[0] == '-' || buf[0] == '+') != n) return false;
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno) return false;
    *out = v;
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return n > 0;
}

static toml_value_t *int_value(ini_t *p, const ini_line_t *l, const char *key)
{
    int64_t i;
    char b[80];
    if (!parse_int(l->b, l->blen, &i)) {
        fail(p, l->line, l->bcol, "key '%s': expected an integer, got '%s'", key,
             shown(b, sizeof b, l->b, l->blen));
        return NULL;
    }
    toml_value_t *v = new_scalar(p, l, TOML_INTEGER);
    if (v) v->u.i = i;
    return v;
}

static toml_value_t *bool_value(ini_t *p, const ini_line_t *l, const char *key)
{
    int b = parse_bool(l->b, l->blen);
    char sb[80];
    if (b < 0) {
        fail(p, l->line, l->bcol, "key '%s': expected true or false, got '%s'", key,
             shown(sb, sizeof sb, l->b, l->blen));
        return NULL;
    }
    toml_value_t *v = new_scalar(p, l, TOML_BOOL);
    if (v) v->u.b = b;
    return v;
}

static toml_value_t *string_value(ini_t *p, const ini_line_t *l)
{
    toml_value_t *v = toml_new_string(l->b, l->blen, l->line, l->bcol);
    if (!v) oom(p, l->line);
    return v;
}

/* Calls fn(item) for each comma-separated, trimmed, non-empty item. */
static bool each_item(ini_t *p, const ini_line_t *l, toml_value_t *arr,
                      bool (*fn)(ini_t *p, const ini_line_t *l, toml_value_t *arr, const char *s,
                                 size_t n))
{
    const char *s = l->b, *end = l->b + l->blen;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        const char *item = s;
        size_t n = (size_t)(stop - s);
        trim(&item, &n);
        if (n && !fn(p, l, arr, item, n)) return false;
        s = stop + 1;
    }
    return true;
}

static bool push(ini_t *p, const ini_line_t *l, toml_value_t *arr, toml_value_t *v)
{
    if (v && toml_array_append(arr, v) == 0) return true;
    toml_free(v);
    return oom(p, l->line);
}

static bool push_string(ini_t *p, const ini_line_t *l, toml_value_t *arr, const char *s, size_t n)
{
    return push(p, l, arr, toml_new_string(s, n, l->line, l->bcol));
}

/* "a-b" → {start = a, end = b}; "a" → {single = a}. */
static bool push_port_entry(ini_t *p, const ini_line_t *l, toml_value_t *arr, const char *s,
                            size_t n)
{
    const char *dash = memchr(s, '-', n);
    int64_t a = 0, b = 0;
    bool ok = dash ? parse_int(s, (size_t)(dash - s), &a) &&
                         parse_int(dash + 1, n - (size_t)(dash - s) - 1, &b)
                   : parse_int(s, n, &a);
    char sb[80];
    if (!ok)
        return fail(p, l->line, l->bcol, "key 'allow_ports': bad port or range '%s'",
                    shown(sb, sizeof sb, s, n));
    toml_value_t *e = toml_new(TOML_TABLE, l->line, l->bcol);
    if (!e) return oom(p, l->line);
    const char *names[2] = {dash ? "start" : "single", "end"};
    int64_t vals[2] = {a, b};
    for (int i = 0; i < (dash ? 2 : 1); i++) {
        toml_value_t *v = toml_new(TOML_INTEGER, l->line, l->bcol);
        if (v) v->u.i = vals[i];
        if (!v || toml_table_put(e, names[i], strlen(names[i]), l->line, l->bcol, v) != 0) {
            toml_free(v);
            toml_free(e);
            return oom(p, l->line);
        }
    }
    return push(p, l, arr, e);
}

static toml_value_t *list_value(ini_t *p, const ini_line_t *l, bool ports)
{
    toml_value_t *arr = new_scalar(p, l, TOML_ARRAY);
    if (arr && each_item(p, l, arr, ports ? push_port_entry : push_string)) return arr;
    toml_free(arr);
    return NULL;
}

/* The value of a row, typed; NULL on error (already reported). */
static toml_value_t *typed_value(ini_t *p, const ini_key_t *k, const ini_line_t *l)
{
    switch (k->kind) {
    case I_INT:
        return int_value(p, l, k->legacy);
    case I_BOOL:
        return bool_value(p, l, k->legacy);
    case I_LIST:
        return list_value(p, l, false);
    case I_PORTS:
        return list_value(p, l, true);
    case I_PORT:
        return all_digits(l->b, l->blen) ? int_value(p, l, k->legacy) : string_value(p, l);
    default:
        return string_value(p, l);
    }
}

/* ---- placing values in the tree ----------------------------------------- */

/* Puts v at tab.<dotted path>[.last], creating tables on the way; the last
 * of a repeated key wins (as go-ini read it). Takes v. */
static bool put_at(ini_t *p, toml_value_t *tab, const char *path, const char *last, size_t last_len,
                   const ini_line_t *l, toml_value_t *v)
{
    char key[256];
    const char *s = path;
    while (tab && *s) {
        size_t n = strcspn(s, ".");
        bool final = !s[n] && !last;
        if (final) {
            last = s;
            last_len = n;
            break;
        }
        tab = toml_table_sub(tab, s, n, l->line, l->acol);
        s += n + (s[n] == '.');
    }
    if (!tab) {
        toml_free(v);
        return fail(p, l->line, l->acol, "key '%.*s': conflicts with another key", (int)l->alen,
                    l->a);
    }
    int rc = toml_table_put(tab, last, last_len, l->line, l->acol, v);
    if (rc == -1) {
        snprintf(key, sizeof key, "%.*s", (int)last_len, last);
        toml_kv_t *kv = (toml_kv_t *)toml_table_get_kv(tab, key);
        if (kv && kv->value->type != TOML_TABLE) {
            toml_free(kv->value);
            kv->value = v;
            kv->line = l->line;
            return true;
        }
    }
    if (rc == 0) return true;
    toml_free(v);
    return rc == -2 ? oom(p, l->line)
                    : fail(p, l->line, l->acol, "key '%.*s': conflicts with another key",
                           (int)l->alen, l->a);
}

/* auth.additionalScopes gets `scope` when the line says true. */
static bool put_scope(ini_t *p, toml_value_t *tab, const char *scope, const ini_line_t *l)
{
    int b = parse_bool(l->b, l->blen);
    char sb[80];
    if (b < 0)
        return fail(p, l->line, l->bcol, "expected true or false, got '%s'",
                    shown(sb, sizeof sb, l->b, l->blen));
    if (!b) return true;
    toml_value_t *auth = toml_table_sub(tab, "auth", 4, l->line, l->acol);
    const toml_value_t *have = auth ? toml_table_get(auth, "additionalScopes") : NULL;
    toml_value_t *arr = (toml_value_t *)have;
    if (!auth || (arr && arr->type != TOML_ARRAY)) return oom(p, l->line);
    if (!arr) {
        arr = toml_new(TOML_ARRAY, l->line, l->bcol);
        if (!arr || toml_table_put(auth, "additionalScopes", 16, l->line, l->acol, arr) != 0) {
            toml_free(arr);
            return oom(p, l->line);
        }
    }
    return push_string(p, l, arr, scope, strlen(scope));
}

static const ini_key_t *find_key(const ini_key_t *rows, const ini_line_t *l, size_t *rest)
{
    for (const ini_key_t *k = rows; k->legacy; k++)
        if (k->kind != I_PREFIX && strlen(k->legacy) == l->alen &&
            memcmp(k->legacy, l->a, l->alen) == 0)
            return k;
    const ini_key_t *best = NULL;
    for (const ini_key_t *k = rows; k->legacy; k++) {
        size_t n = strlen(k->legacy);
        if (k->kind == I_PREFIX && l->alen > n && memcmp(k->legacy, l->a, n) == 0 &&
            (!best || n > strlen(best->legacy)))
            best = k;
    }
    if (best) *rest = strlen(best->legacy);
    return best;
}

/* One `key = value` of a section whose keys `rows` lists, into tab. */
static bool put_line(ini_t *p, toml_value_t *tab, const ini_key_t *rows, const char *section,
                     const ini_line_t *l)
{
    size_t rest = 0;
    char sb[80];
    const ini_key_t *k = find_key(rows, l, &rest);
    if (!k) {
        warn(p, l->line, "unknown legacy INI key '%s' in [%s]; ignored",
             shown(sb, sizeof sb, l->a, l->alen), section);
        return true;
    }
    if (k->kind == I_GONE)
        warn(p, l->line, "legacy INI key '%s' has no equivalent in frp's TOML schema; ignored",
             k->legacy);
    if (l->blen == 0 || k->kind == I_ROLE || k->kind == I_SILENT || k->kind == I_GONE)
        return true; /* unset, or nothing to set */
    if (k->kind == I_SCOPE) return put_scope(p, tab, k->path, l);
    if (k->kind == I_PREFIX) {
        toml_value_t *v = string_value(p, l);
        return v && put_at(p, tab, k->path, l->a + rest, l->alen - rest, l, v);
    }
    toml_value_t *v = typed_value(p, k, l);
    return v && put_at(p, tab, k->path, NULL, 0, l, v);
}

/* ---- sections ----------------------------------------------------------- */

/* The array `name` of the root, created at `line` on first use. */
static toml_value_t *root_array(ini_t *p, toml_value_t **slot, const char *name, int line)
{
    if (*slot) return *slot;
    toml_value_t *arr = toml_new(TOML_ARRAY, line, 1);
    if (!arr || toml_table_put(p->root, name, strlen(name), line, 1, arr) != 0) {
        toml_free(arr);
        oom(p, line);
        return NULL;
    }
    return *slot = arr;
}

/* Whether the section starting at p->pos says `role = visitor`. */
static bool section_is_visitor(const ini_t *p)
{
    ini_t look = *p;
    ini_line_t l;
    while (read_line(&look, &l) && l.kind != L_SECTION)
        if (l.kind == L_KV && l.alen == 4 && memcmp(l.a, "role", 4) == 0)
            return l.blen == 7 && memcmp(l.b, "visitor", 7) == 0;
    return false;
}

typedef struct section {
    const ini_key_t *rows; /* NULL: the section is skipped */
    toml_value_t *tab;
    char name[64]; /* for messages */
} section_t;

/* A new entry (table) in `arr` with `name = NAME`. */
static toml_value_t *new_entry(ini_t *p, toml_value_t *arr, const ini_line_t *l, const char *name,
                               size_t n)
{
    toml_value_t *e = arr ? toml_new(TOML_TABLE, l->line, 1) : NULL;
    toml_value_t *nv = e ? toml_new_string(name, n, l->line, l->acol) : NULL;
    if (nv && toml_table_put(e, "name", 4, l->line, l->acol, nv) == 0) {
        if (toml_array_append(arr, e) == 0) return e;
        nv = NULL;
    }
    toml_free(nv);
    toml_free(e);
    oom(p, l->line);
    return NULL;
}

static void client_section(ini_t *p, const ini_line_t *l, section_t *sec)
{
    const char *name = l->a;
    size_t n = l->alen;
    if (n > 6 && memcmp(name, "range:", 6) == 0) name += 6, n -= 6;
    if (section_is_visitor(p)) {
        sec->rows = visitor_section;
        sec->tab = new_entry(p, root_array(p, &p->visitors, "visitors", l->line), l, name, n);
    } else {
        sec->rows = proxy_section;
        sec->tab = new_entry(p, root_array(p, &p->proxies, "proxies", l->line), l, name, n);
    }
}

static void server_section(ini_t *p, const ini_line_t *l, section_t *sec)
{
    if (l->alen > 7 && memcmp(l->a, "plugin.", 7) == 0) {
        sec->rows = plugin_section;
        sec->tab = new_entry(p, root_array(p, &p->plugins, "httpPlugins", l->line), l, l->a + 7,
                             l->alen - 7);
        return;
    }
    warn(p, l->line, "section [%s] ignored: a server's INI holds [common] and [plugin.NAME]",
         sec->name);
}

static void begin_section(ini_t *p, const ini_line_t *l, section_t *sec)
{
    memset(sec, 0, sizeof *sec);
    shown(sec->name, sizeof sec->name, l->a, l->alen);
    if (l->alen == 6 && memcmp(l->a, "common", 6) == 0) {
        sec->rows = p->role == CFG_INI_SERVER ? server_common : client_common;
        sec->tab = p->root;
    } else if (p->role == CFG_INI_CLIENT) {
        client_section(p, l, sec);
    } else {
        server_section(p, l, sec);
    }
}

static bool translate(ini_t *p)
{
    section_t sec = {0};
    ini_line_t l;
    bool warned_outside = false;
    while (!p->err->msg[0] && read_line(p, &l)) {
        if (l.kind == L_BAD) return fail(p, l.line, l.acol, "section header without ']'");
        if (l.kind == L_SECTION) begin_section(p, &l, &sec);
        if (l.kind != L_KV) continue;
        if (sec.rows && sec.tab) {
            put_line(p, sec.tab, sec.rows, sec.name, &l);
        } else if (!sec.name[0] && !warned_outside) {
            warn(p, l.line, "keys before the first [section] are ignored");
            warned_outside = true;
        }
    }
    return !p->err->msg[0];
}

/* A legacy proxy section without `type` was a tcp proxy. */
static bool default_types(ini_t *p)
{
    for (size_t i = 0; p->proxies && i < p->proxies->u.arr.len; i++) {
        toml_value_t *e = p->proxies->u.arr.items[i];
        if (toml_table_get(e, "type")) continue;
        toml_value_t *t = toml_new_string("tcp", 3, e->line, 1);
        if (!t || toml_table_put(e, "type", 4, e->line, 1, t) != 0) {
            toml_free(t);
            return oom(p, e->line);
        }
    }
    return true;
}

toml_value_t *cfg_ini_parse(const char *text, size_t len, cfg_ini_role_t role,
                            cfg_ini_warn_fn warn_fn, void *arg, toml_error_t *err)
{
    toml_error_t local;
    ini_t p = {.s = text ? text : "",
               .len = text ? len : 0,
               .role = role,
               .warn = warn_fn,
               .arg = arg,
               .err = err ? err : &local};
    memset(p.err, 0, sizeof *p.err);
    if (p.len > CFG_MAX_BYTES) {
        fail(&p, 1, 1, "text longer than %u bytes", CFG_MAX_BYTES);
        return NULL;
    }
    p.root = toml_new(TOML_TABLE, 1, 1);
    if (!p.root) {
        oom(&p, 1);
        return NULL;
    }
    if (translate(&p) && default_types(&p)) return p.root;
    toml_free(p.root);
    return NULL;
}

bool cfg_ini_detect(const char *text, size_t len)
{
    ini_t p = {.s = text ? text : "", .len = text ? len : 0};
    ini_line_t l;
    while (read_line(&p, &l))
        if (l.kind == L_SECTION && l.alen == 6 && memcmp(l.a, "common", 6) == 0) return true;
    return false;
}

/* Keys only a server's [common] holds. */
static const char *const server_only[] = {
    "bind_port",   "bind_addr",      "vhost_http_port", "vhost_https_port", "dashboard_port",
    "allow_ports", "subdomain_host", "kcp_bind_port",   "max_pool_count",   NULL};

cfg_ini_role_t cfg_ini_guess_role(const char *text, size_t len)
{
    ini_t p = {.s = text ? text : "", .len = text ? len : 0};
    ini_line_t l;
    bool common = false;
    while (read_line(&p, &l)) {
        if (l.kind == L_SECTION) common = l.alen == 6 && memcmp(l.a, "common", 6) == 0;
        for (int i = 0; common && l.kind == L_KV && server_only[i]; i++)
            if (strlen(server_only[i]) == l.alen && memcmp(server_only[i], l.a, l.alen) == 0)
                return CFG_INI_SERVER;
    }
    return CFG_INI_CLIENT;
}
