/* quick_cfg: a one-liner's options → frpc.toml text (see quick_cfg.h).
 * Every user-supplied string goes into the TOML as an escaped basic string,
 * so a token holding quotes or newlines cannot add keys. */
#include "cli/quick_cfg.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A port 1..65535 (lo..65535) written in decimal, or -1. */
static int parse_port(const char *s, int lo)
{
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : -1;
    if (!end || *end || v < lo || v > 65535) return -1;
    return (int)v;
}

/* "HOST[:PORT]", "[v6]" or "[v6]:PORT" → host and port. */
static int split_server(quick_args_t *a, char *err, size_t errlen)
{
    const char *s = a->server, *port = NULL;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':'))
            return fail(err, errlen, "--server: bad IPv6 form '%s' (want [ADDR]:PORT)", s);
        s++;
        hlen = (size_t)(close - s);
        port = close[1] ? close + 2 : NULL;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            return fail(err, errlen, "--server: write an IPv6 address as [ADDR]:PORT");
        hlen = colon ? (size_t)(colon - s) : strlen(s);
        port = colon ? colon + 1 : NULL;
    }
    if (hlen == 0 || hlen >= sizeof a->server_host)
        return fail(err, errlen, "--server: no host in '%s'", a->server);
    memcpy(a->server_host, s, hlen);
    a->server_host[hlen] = '\0';
    a->server_port = port ? parse_port(port, 1) : QUICK_DEFAULT_SERVER_PORT;
    if (a->server_port < 0)
        return fail(err, errlen, "--server: port must be 1..65535 in '%s'", a->server);
    return 0;
}

enum {
    O_TOKEN = 256,
    O_USER,
    O_NAME,
    O_REMOTE,
    O_DOMAIN,
    O_SUB,
    O_FP,
    O_CA,
    O_SNI,
    O_NOTLS,
    O_STATE
};

static const struct option longopts[] = {{"server", required_argument, NULL, 's'},
                                         {"token", required_argument, NULL, 't'},
                                         {"user", required_argument, NULL, O_USER},
                                         {"name", required_argument, NULL, O_NAME},
                                         {"remote-port", required_argument, NULL, O_REMOTE},
                                         {"domain", required_argument, NULL, O_DOMAIN},
                                         {"subdomain", required_argument, NULL, O_SUB},
                                         {"fingerprint", required_argument, NULL, O_FP},
                                         {"ca", required_argument, NULL, O_CA},
                                         {"server-name", required_argument, NULL, O_SNI},
                                         {"no-tls", no_argument, NULL, O_NOTLS},
                                         {"state-dir", required_argument, NULL, O_STATE},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};

/* One option into a; 0, 1 (help) or -1. */
static int take_opt(quick_args_t *a, int opt, const char *v, char *err, size_t errlen)
{
    switch (opt) {
    case 's':
        a->server = v;
        break;
    case 't':
        a->token = v;
        break;
    case O_USER:
        a->user = v;
        break;
    case O_NAME:
        a->name = v;
        break;
    case O_REMOTE:
        if ((a->remote_port = parse_port(v, 0)) < 0)
            return fail(err, errlen, "--remote-port must be 0..65535, got '%s'", v);
        break;
    case O_DOMAIN:
        if (a->n_domains == QUICK_MAX_DOMAINS)
            return fail(err, errlen, "at most %d --domain options", QUICK_MAX_DOMAINS);
        a->domains[a->n_domains++] = v;
        break;
    case O_SUB:
        a->subdomain = v;
        break;
    case O_FP:
        a->fingerprint = v;
        break;
    case O_CA:
        a->ca_file = v;
        break;
    case O_SNI:
        a->server_name = v;
        break;
    case O_NOTLS:
        a->no_tls = true;
        break;
    case O_STATE:
        a->state_dir = v;
        break;
    case 'v':
        a->verbose = true;
        break;
    case 'h':
        return 1;
    default:
        return fail(err, errlen, "unknown option (see --help)");
    }
    return 0;
}

/* What only some kinds take, and what every one-liner needs. */
static int check_args(quick_args_t *a, const char *env_token, char *err, size_t errlen)
{
    bool http = a->kind == PROXY_HTTP;
    if (!a->local)
        return fail(err, errlen, "which local port? (burrow %s PORT --server HOST)",
                    kind_name(a->kind));
    if (!a->server) return fail(err, errlen, "--server HOST[:PORT] is required");
    if (!a->token) a->token = env_token;
    if (!a->token || !a->token[0])
        return fail(err, errlen, "--token T (or $BURROW_TOKEN) is required");
    if (http && a->remote_port >= 0)
        return fail(err, errlen,
                    "--remote-port is for tcp and udp; http is served on the "
                    "server's vhostHTTPPort (use --domain or --subdomain)");
    if (!http && (a->n_domains || a->subdomain))
        return fail(err, errlen, "--domain and --subdomain are for http");
    if (http && !a->n_domains && !a->subdomain)
        return fail(err, errlen, "http needs --domain D or --subdomain S");
    if (a->no_tls && (a->fingerprint || a->ca_file || a->server_name))
        return fail(err, errlen, "--no-tls and the TLS options exclude each other");
    return split_server(a, err, errlen);
}

int quick_parse_args(proxy_kind_t kind, int argc, char **argv, const char *env_token,
                     quick_args_t *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->remote_port = -1;
    int opt;
    optind = 0; /* glibc: a full restart (the unit test parses many times) */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "s:t:vh", longopts, NULL)) != -1) {
        if (opt == '?' || opt == ':')
            return fail(err, errlen, "unknown option or missing value: '%s' (see --help)",
                        argv[optind - 1 < argc ? optind - 1 : argc - 1]);
        int r = take_opt(a, opt, optarg, err, errlen);
        if (r != 0) return r;
    }
    if (optind < argc) a->local = argv[optind++];
    if (optind < argc) return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
    return check_args(a, env_token, err, errlen);
}

/* The port part of "PORT" / "IP:PORT" / "[ip6]:PORT"; ip gets the rest. */
static const char *local_port(const char *local, char *ip, size_t iplen)
{
    const char *colon = strrchr(local, ':');
    ip[0] = '\0';
    if (!colon) return local;
    size_t n = (size_t)(colon - local);
    if (n >= 2 && local[0] == '[' && local[n - 1] == ']') local++, n -= 2;
    snprintf(ip, iplen, "%.*s", (int)n, local);
    return colon + 1;
}

void quick_default_name(const quick_args_t *a, const char *hostname, char *buf, size_t size)
{
    char ip[256];
    const char *port = local_port(a->local, ip, sizeof ip);
    snprintf(buf, size, "%.40s-%s-%.5s", hostname && *hostname ? hostname : "burrow",
             kind_name(a->kind), port);
    for (char *p = buf; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            *p = '-';
}

/* TOML basic string (TOML 1.0 "Basic strings"): quote, backslash and
 * control characters escaped. */
static void put_str(strbuf_t *b, const char *s)
{
    strbuf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\', esc[1] = (char)ch;
            strbuf_put(b, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            strbuf_put(b, esc, 6);
        } else {
            strbuf_put(b, s, 1);
        }
    }
    strbuf_put(b, "\"", 1);
}

static void put_kv(strbuf_t *b, const char *key, const char *v)
{
    if (!v) return;
    strbuf_put(b, key, strlen(key));
    strbuf_put(b, " = ", 3);
    put_str(b, v);
    strbuf_put(b, "\n", 1);
}

static void put_raw(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_raw(strbuf_t *b, const char *fmt, ...)
{
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    strbuf_put(b, line, n < 0 ? 0 : (size_t)n);
}

/* The [[proxies]] entry; its local port and IP go in as written, so the
 * loader's checks and messages apply to them. */
static void put_proxy(strbuf_t *b, const quick_args_t *a, const char *name)
{
    char ip[256];
    const char *port = local_port(a->local, ip, sizeof ip);
    put_raw(b, "\n[[proxies]]\n");
    put_kv(b, "name", name);
    put_kv(b, "type", kind_name(a->kind));
    if (ip[0]) put_kv(b, "localIP", ip);
    char *end = NULL;
    long p = strtol(port, &end, 10);
    if (*port && !*end && p >= 0 && p <= 99999)
        put_raw(b, "localPort = %ld\n", p); /* the loader checks the range */
    else
        put_kv(b, "localPort", port); /* refused by the loader, with its message */
    if (a->remote_port >= 0) put_raw(b, "remotePort = %d\n", a->remote_port);
    if (a->n_domains) {
        put_raw(b, "customDomains = [");
        for (int i = 0; i < a->n_domains; i++) {
            if (i) put_raw(b, ", ");
            put_str(b, a->domains[i]);
        }
        put_raw(b, "]\n");
    }
    put_kv(b, "subdomain", a->subdomain);
}

char *quick_cfg_toml(const quick_args_t *a, const char *name, size_t *len)
{
    strbuf_t b = {0};
    put_kv(&b, "serverAddr", a->server_host);
    put_raw(&b, "serverPort = %d\n", a->server_port);
    put_kv(&b, "auth.token", a->token);
    put_kv(&b, "user", a->user);
    put_kv(&b, "log.level", a->verbose ? "info" : "warn");
    if (a->no_tls) put_raw(&b, "transport.tls.enable = false\n");
    put_kv(&b, "transport.tls.serverFingerprint", a->fingerprint);
    put_kv(&b, "transport.tls.trustedCaFile", a->ca_file);
    put_kv(&b, "transport.tls.serverName", a->server_name);
    put_proxy(&b, a, name);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
