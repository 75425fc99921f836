/* config_diff: field-by-field comparison of client configs (config_diff.h).
 * The tables below list every field of proxy_cfg_t, visitor_cfg_t and the
 * client-level part of client_cfg_t; a field left out would make a change
 * to it invisible to reload, so a new field gets a row here. */
#include "config/config_diff.h"
#include "config/config_plugin.h"

#include <stddef.h>
#include <string.h>

typedef enum {
    F_STR,
    F_INT,
    F_BOOL,
    F_STRS,
    F_HEADERS,
    F_PROTOS,
    F_WOLS,
    F_DDNS,
    F_PLUGIN
} fkind_t;

typedef struct field {
    const char *key; /* frp's name, for messages */
    fkind_t kind;
    size_t off;
} field_t;

#define FLD(type, key, kind, member)                                                               \
    {                                                                                              \
        key, kind, offsetof(type, member)                                                          \
    }

/* clang-format off */
static const field_t proxy_fields[] = {
    FLD(proxy_cfg_t, "name", F_STR, name),
    FLD(proxy_cfg_t, "type", F_INT, kind),
    FLD(proxy_cfg_t, "localIP", F_STR, local_ip),
    FLD(proxy_cfg_t, "localPort", F_INT, local_port),
    FLD(proxy_cfg_t, "remotePort", F_INT, remote_port),
    FLD(proxy_cfg_t, "customDomains", F_STRS, custom_domains),
    FLD(proxy_cfg_t, "subdomain", F_STR, subdomain),
    FLD(proxy_cfg_t, "remotePort (its range)", F_STR, remote_range),
    FLD(proxy_cfg_t, "locations", F_STRS, locations),
    FLD(proxy_cfg_t, "hostHeaderRewrite", F_STR, host_header_rewrite),
    FLD(proxy_cfg_t, "httpUser", F_STR, http_user),
    FLD(proxy_cfg_t, "httpPassword", F_STR, http_password),
    FLD(proxy_cfg_t, "requestHeaders", F_HEADERS, request_headers),
    FLD(proxy_cfg_t, "responseHeaders", F_HEADERS, response_headers),
    FLD(proxy_cfg_t, "transport.proxyProtocolVersion", F_INT, proxy_protocol),
    FLD(proxy_cfg_t, "secretKey", F_STR, secret_key),
    FLD(proxy_cfg_t, "allowUsers", F_STRS, allow_users),
    FLD(proxy_cfg_t, "transport.useEncryption", F_BOOL, use_encryption),
    FLD(proxy_cfg_t, "transport.useCompression", F_BOOL, use_compression),
    FLD(proxy_cfg_t, "inspect", F_BOOL, inspect),
    FLD(proxy_cfg_t, "wakeOnLan", F_STR, wake_on_lan),
    FLD(proxy_cfg_t, "wakeTimeout", F_INT, wake_timeout),
    /* the named [[wakeOnLan]] entry's, copied by the parser */
    FLD(proxy_cfg_t, "wakeOnLan (its mac)", F_STR, wake_mac),
    FLD(proxy_cfg_t, "wakeOnLan (its interface)", F_STR, wake_interface),
    FLD(proxy_cfg_t, "wakeOnLan (its password)", F_STR, wake_password),
    FLD(proxy_cfg_t, "ftp", F_BOOL, ftp),
    FLD(proxy_cfg_t, "directExpose", F_BOOL, direct_expose),
    FLD(proxy_cfg_t, "plugin", F_PLUGIN, plugin),
};

static const field_t visitor_fields[] = {
    FLD(visitor_cfg_t, "name", F_STR, name),
    FLD(visitor_cfg_t, "type", F_STR, type),
    FLD(visitor_cfg_t, "serverName", F_STR, server_name),
    FLD(visitor_cfg_t, "serverUser", F_STR, server_user),
    FLD(visitor_cfg_t, "secretKey", F_STR, secret_key),
    FLD(visitor_cfg_t, "bindAddr", F_STR, bind_addr),
    FLD(visitor_cfg_t, "bindPort", F_INT, bind_port),
    FLD(visitor_cfg_t, "transport.useEncryption", F_BOOL, use_encryption),
    FLD(visitor_cfg_t, "transport.useCompression", F_BOOL, use_compression),
    FLD(visitor_cfg_t, "keepTunnelOpen", F_BOOL, keep_tunnel_open),
    FLD(visitor_cfg_t, "maxRetriesAnHour", F_INT, max_retries_an_hour),
    FLD(visitor_cfg_t, "minRetryInterval", F_INT, min_retry_interval),
    FLD(visitor_cfg_t, "fallbackTo", F_STR, fallback_to),
    FLD(visitor_cfg_t, "fallbackTimeoutMs", F_INT, fallback_timeout_ms),
};

/* A [[ddns]] entry, every field (compared as a whole list by F_DDNS). */
static const field_t ddns_fields[] = {
    FLD(ddns_cfg_t, "provider", F_STR, provider),
    FLD(ddns_cfg_t, "name", F_STR, name),
    FLD(ddns_cfg_t, "server", F_STR, server),
    FLD(ddns_cfg_t, "zone", F_STR, zone),
    FLD(ddns_cfg_t, "tsigKeyName", F_STR, tsig_key_name),
    FLD(ddns_cfg_t, "tsigAlgorithm", F_STR, tsig_algorithm),
    FLD(ddns_cfg_t, "tsigSecret", F_STR, tsig_secret),
    FLD(ddns_cfg_t, "tsigSecretFile", F_STR, tsig_secret_file),
    FLD(ddns_cfg_t, "user", F_STR, user),
    FLD(ddns_cfg_t, "password", F_STR, password),
    FLD(ddns_cfg_t, "caFile", F_STR, ca_file),
    FLD(ddns_cfg_t, "tcp", F_BOOL, tcp),
    FLD(ddns_cfg_t, "ipv6", F_BOOL, ipv6),
    FLD(ddns_cfg_t, "ttl", F_INT, ttl),
};

/* What a running client cannot change without a restart (client/reload.c). */
static const field_t client_fields[] = {
    FLD(client_cfg_t, "serverAddr", F_STR, server_addr),
    FLD(client_cfg_t, "serverPort", F_INT, server_port),
    FLD(client_cfg_t, "auth.token", F_STR, token),
    FLD(client_cfg_t, "user", F_STR, user),
    FLD(client_cfg_t, "loginFailExit", F_BOOL, login_fail_exit),
    FLD(client_cfg_t, "transport.poolCount", F_INT, pool_count),
    FLD(client_cfg_t, "transport.tls.enable", F_BOOL, tls_enable),
    FLD(client_cfg_t, "transport.tls.trustedCaFile", F_STR, tls_trusted_ca_file),
    FLD(client_cfg_t, "transport.tls.serverName", F_STR, tls_server_name),
    FLD(client_cfg_t, "transport.tls.serverFingerprint", F_STR, tls_server_fingerprint),
    FLD(client_cfg_t, "transport.heartbeatInterval", F_INT, heartbeat_interval),
    FLD(client_cfg_t, "transport.heartbeatTimeout", F_INT, heartbeat_timeout),
    FLD(client_cfg_t, "natTraversal.portMapping", F_BOOL, port_mapping),
    FLD(client_cfg_t, "natTraversal.portMappingProtocols", F_PROTOS, port_mapping_protocols),
    FLD(client_cfg_t, "natHoleStunServer", F_STR, nat_hole_stun_server),
    FLD(client_cfg_t, "webServer.addr", F_STR, web.addr),
    FLD(client_cfg_t, "webServer.port", F_INT, web.port),
    FLD(client_cfg_t, "webServer.user", F_STR, web.user),
    FLD(client_cfg_t, "webServer.password", F_STR, web.password),
    FLD(client_cfg_t, "webServer.tls.certFile", F_STR, web.tls_cert_file),
    FLD(client_cfg_t, "webServer.tls.keyFile", F_STR, web.tls_key_file),
    FLD(client_cfg_t, "log.to", F_STR, log.to),
    FLD(client_cfg_t, "log.level", F_INT, log.level),
    /* the inspector starts at client_create only: turning it on or off
     * (`inspect` on the first or last proxy) or moving it needs a restart */
    FLD(client_cfg_t, "inspect (the inspector on or off)", F_BOOL, inspector.on),
    FLD(client_cfg_t, "inspector.addr", F_STR, inspector.addr),
    FLD(client_cfg_t, "inspector.port", F_INT, inspector.port),
    FLD(client_cfg_t, "inspector.user", F_STR, inspector.user),
    FLD(client_cfg_t, "inspector.password", F_STR, inspector.password),
    FLD(client_cfg_t, "inspector.maxBytes", F_INT, inspector.max_bytes),
    FLD(client_cfg_t, "inspector.bodyMax", F_INT, inspector.body_max),
    /* [[wakeOnLan]]: what `burrow wake NAME` may wake; proxies copy their
     * entry (rows above), so only the list itself needs the restart */
    FLD(client_cfg_t, "wakeOnLan", F_WOLS, wols),
    /* the DDNS updater starts at client_create: [[ddns]] changes need a
     * restart (which also clears an entry stopped by badauth/nohost) */
    FLD(client_cfg_t, "ddns", F_DDNS, ddns),
    FLD(client_cfg_t, "ddnsCheckInterval", F_INT, ddns.check_interval),
};
/* clang-format on */

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static bool strs_eq(const str_list_t *a, const str_list_t *b)
{
    if (a->n != b->n) return false;
    for (int i = 0; i < a->n; i++)
        if (!str_eq(a->v[i], b->v[i])) return false;
    return true;
}

static bool headers_eq(const header_list_t *a, const header_list_t *b)
{
    if (a->n != b->n) return false;
    for (int i = 0; i < a->n; i++)
        if (!str_eq(a->v[i].name, b->v[i].name) || !str_eq(a->v[i].value, b->v[i].value))
            return false;
    return true;
}

static bool protos_eq(const client_cfg_t *a, const client_cfg_t *b)
{
    if (a->n_port_mapping_protocols != b->n_port_mapping_protocols) return false;
    for (int i = 0; i < a->n_port_mapping_protocols; i++)
        if (a->port_mapping_protocols[i] != b->port_mapping_protocols[i]) return false;
    return true;
}

static bool wols_eq(const client_cfg_t *a, const client_cfg_t *b)
{
    if (a->n_wols != b->n_wols) return false;
    for (int i = 0; i < a->n_wols; i++) {
        const wol_cfg_t *x = &a->wols[i], *y = &b->wols[i];
        if (!str_eq(x->name, y->name) || !str_eq(x->mac, y->mac) ||
            !str_eq(x->interface, y->interface) || !str_eq(x->password, y->password))
            return false;
    }
    return true;
}

static const field_t *first_diff(const field_t *t, size_t n, const void *a, const void *b);

static bool ddns_eq(const ddns_set_t *a, const ddns_set_t *b)
{
    if (a->n != b->n) return false;
    for (int i = 0; i < a->n; i++)
        if (first_diff(ddns_fields, sizeof ddns_fields / sizeof ddns_fields[0], &a->v[i], &b->v[i]))
            return false;
    return true;
}

static bool field_eq(const field_t *f, const void *a, const void *b)
{
    const char *pa = (const char *)a + f->off, *pb = (const char *)b + f->off;
    switch (f->kind) {
    case F_STR:
        return str_eq(*(char *const *)(const void *)pa, *(char *const *)(const void *)pb);
    case F_INT:
        return *(const int *)(const void *)pa == *(const int *)(const void *)pb;
    case F_BOOL:
        return *(const bool *)(const void *)pa == *(const bool *)(const void *)pb;
    case F_STRS:
        return strs_eq((const str_list_t *)(const void *)pa, (const str_list_t *)(const void *)pb);
    case F_HEADERS:
        return headers_eq((const header_list_t *)(const void *)pa,
                          (const header_list_t *)(const void *)pb);
    case F_PROTOS:
        return protos_eq(a, b);
    case F_WOLS:
        return wols_eq(a, b);
    case F_DDNS:
        return ddns_eq((const ddns_set_t *)(const void *)pa, (const ddns_set_t *)(const void *)pb);
    case F_PLUGIN:
        return config_plugin_equal((const plugin_cfg_t *)(const void *)pa,
                                   (const plugin_cfg_t *)(const void *)pb);
    }
    return false;
}

/* The first field of `t` that differs, or NULL. */
static const field_t *first_diff(const field_t *t, size_t n, const void *a, const void *b)
{
    for (size_t i = 0; i < n; i++)
        if (!field_eq(&t[i], a, b)) return &t[i];
    return NULL;
}

#define NFIELDS(t) (sizeof t / sizeof t[0])

const char *cdiff_name(cdiff_t d)
{
    static const char *const names[] = {"kept", "changed", "added", "removed"};
    return (unsigned)d < 4 ? names[d] : "?";
}

bool config_proxy_equal(const proxy_cfg_t *a, const proxy_cfg_t *b)
{
    return !first_diff(proxy_fields, NFIELDS(proxy_fields), a, b);
}

bool config_visitor_equal(const visitor_cfg_t *a, const visitor_cfg_t *b)
{
    return !first_diff(visitor_fields, NFIELDS(visitor_fields), a, b);
}

const char *config_client_key_diff(const client_cfg_t *a, const client_cfg_t *b)
{
    const field_t *f = first_diff(client_fields, NFIELDS(client_fields), a, b);
    return f ? f->key : NULL;
}

void config_diff_proxies(const proxy_cfg_t *const *old, int n_old, const proxy_cfg_t *nw, int n_new,
                         cdiff_t *old_out, cdiff_t *new_out)
{
    for (int j = 0; j < n_new; j++)
        new_out[j] = CDIFF_ADDED;
    for (int i = 0; i < n_old; i++) {
        old_out[i] = CDIFF_REMOVED;
        for (int j = 0; j < n_new; j++) {
            if (!str_eq(old[i]->name, nw[j].name)) continue;
            old_out[i] = new_out[j] =
                config_proxy_equal(old[i], &nw[j]) ? CDIFF_KEPT : CDIFF_CHANGED;
            break;
        }
    }
}

void config_diff_visitors(const visitor_cfg_t *old, int n_old, const visitor_cfg_t *nw, int n_new,
                          cdiff_t *old_out, cdiff_t *new_out)
{
    for (int j = 0; j < n_new; j++)
        new_out[j] = CDIFF_ADDED;
    for (int i = 0; i < n_old; i++) {
        old_out[i] = CDIFF_REMOVED;
        for (int j = 0; j < n_new; j++) {
            if (!str_eq(old[i].name, nw[j].name)) continue;
            old_out[i] = new_out[j] =
                config_visitor_equal(&old[i], &nw[j]) ? CDIFF_KEPT : CDIFF_CHANGED;
            break;
        }
    }
}
