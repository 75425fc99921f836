/* plugin_hfwd: frp's four HTTP bridges, one table each, one forwarder
 * (plugin/hfwd.h): http2http and http2https take plain HTTP from users,
 * https2http and https2https terminate TLS (crtPath/keyPath, or a
 * self-signed certificate); *2http talks plain HTTP to localAddr, *2https
 * TLS without verifying the local service's certificate (as frp). Every
 * request gets hostHeaderRewrite and requestHeaders.set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/hfwd.h"
#include "plugin/plugin.h"

#define SET_PREFIX "requestHeaders.set."

static const plugin_key_t plain_keys[] = {
    {"localAddr", PK_STR, PK_REQUIRED | PK_NONEMPTY, 0, 0},
    {"hostHeaderRewrite", PK_STR, 0, 0, 0},
    {"requestHeaders.set", PK_TABLE, 0, 0, 0},
    {NULL, PK_STR, 0, 0, 0},
};

/* enableHTTP2: taken for frp's files; users are served HTTP/1.1 (no h2 in
 * ALPN), which every client falls back to. */
static const plugin_key_t tls_keys[] = {
    {"localAddr", PK_STR, PK_REQUIRED | PK_NONEMPTY, 0, 0},
    {"hostHeaderRewrite", PK_STR, 0, 0, 0},
    {"requestHeaders.set", PK_TABLE, 0, 0, 0},
    {"crtPath", PK_STR, 0, 0, 0},
    {"keyPath", PK_STR, 0, 0, 0},
    {"enableHTTP2", PK_BOOL, 0, 0, 0},
    {NULL, PK_STR, 0, 0, 0},
};

/* RFC 9110 §5.6.2: a header name is a token. */
static bool is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return false;
    return true;
}

static bool one_line(const char *s)
{
    return !s || !strpbrk(s, "\r\n");
}

static int hf_check(const plugin_cfg_t *cfg, char *why, size_t why_len)
{
    char host[256];
    int port;
    const char *addr = plugin_param(cfg, "localAddr");
    if (addr && hfwd_split_addr(addr, host, sizeof host, &port) != 0) {
        snprintf(why, why_len, "localAddr '%s' is not host:port", addr);
        return -1;
    }
    if (!one_line(plugin_param(cfg, "hostHeaderRewrite"))) {
        snprintf(why, why_len, "hostHeaderRewrite must be one line");
        return -1;
    }
    for (int i = 0; i < cfg->n; i++) {
        const char *k = cfg->v[i].key;
        if (strncmp(k, SET_PREFIX, strlen(SET_PREFIX)) == 0 && !is_token(k + strlen(SET_PREFIX))) {
            snprintf(why, why_len, "'%s' is not a valid header name", k + strlen(SET_PREFIX));
            return -1;
        }
    }
    bool crt = plugin_param(cfg, "crtPath") != NULL, key = plugin_param(cfg, "keyPath") != NULL;
    if (crt != key) {
        snprintf(why, why_len, "crtPath and keyPath go together (neither: a self-signed one)");
        return -1;
    }
    return 0;
}

/* requestHeaders.set.* as a header list (names and values borrowed). */
static header_list_t *set_of(const plugin_cfg_t *cfg)
{
    header_list_t *l = calloc(1, sizeof *l);
    if (!l || !(l->v = calloc((size_t)cfg->n + 1, sizeof *l->v))) {
        free(l);
        return NULL;
    }
    for (int i = 0; i < cfg->n; i++) {
        const char *k = cfg->v[i].key;
        if (strncmp(k, SET_PREFIX, strlen(SET_PREFIX)) != 0) continue;
        l->v[l->n].name = (char *)k + strlen(SET_PREFIX);
        l->v[l->n++].value = cfg->v[i].value;
    }
    return l;
}

static int create(const plugin_cfg_t *cfg, bool user_tls, bool local_tls, void **state, char *why,
                  size_t why_len)
{
    header_list_t *set = set_of(cfg);
    hfwd_cfg_t c = {
        .name = cfg->type,
        .local_addr = plugin_param(cfg, "localAddr"),
        .local_tls = local_tls,
        .user_tls = user_tls,
        .crt_path = plugin_param(cfg, "crtPath"),
        .key_path = plugin_param(cfg, "keyPath"),
        .host_rewrite = plugin_param(cfg, "hostHeaderRewrite"),
        .req_set = set,
    };
    *state = set ? hfwd_new(&c) : NULL; /* copies the set */
    if (set) free(set->v);
    free(set);
    if (*state) return 0;
    snprintf(why, why_len, "%s", set ? "cannot set up (see the log line before)" : "out of memory");
    return -1;
}

static void hf_destroy(void *state)
{
    hfwd_drop(state);
}

static void hf_serve(const plugin_start_t *st, conn_t *c, const uint8_t *early, size_t n)
{
    hfwd_serve(plugin_inst_state(st->inst), st, c, st->src, early, n);
}

#define HFWD_PLUGIN(sym, user_tls, local_tls, key_rows)                                            \
    static int create_##sym(const plugin_cfg_t *cfg, void **state, char *why, size_t why_len)      \
    {                                                                                              \
        return create(cfg, user_tls, local_tls, state, why, why_len);                              \
    }                                                                                              \
    const plugin_ops_t plugin_##sym##_ops = {                                                      \
        .name = #sym,                                                                              \
        .keys = key_rows,                                                                          \
        .check = hf_check,                                                                         \
        .create = create_##sym,                                                                    \
        .destroy = hf_destroy,                                                                     \
        .serve = hf_serve,                                                                         \
    };

HFWD_PLUGIN(http2http, false, false, plain_keys)
HFWD_PLUGIN(http2https, false, true, plain_keys)
HFWD_PLUGIN(https2http, true, false, tls_keys)
HFWD_PLUGIN(https2https, true, true, tls_keys)
