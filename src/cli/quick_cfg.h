/* quick_cfg: the one-liners' command line (`burrow tcp 22 --server HOST
 * --token T`, `burrow http 8080 ...`, `burrow udp 53 ...`) turned into the
 * frpc.toml text of a one-proxy client (pure: no sockets, no environment;
 * the caller passes $BURROW_TOKEN and the host name). The text then goes
 * through config_parse_client() like any file, so the one-liners get the
 * same defaults and checks as `burrow client`. */
#ifndef BURROW_QUICK_CFG_H
#define BURROW_QUICK_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/kinds.h"

#define QUICK_MAX_DOMAINS 8
#define QUICK_DEFAULT_SERVER_PORT 7000

typedef struct quick_args {
    proxy_kind_t kind;  /* PROXY_TCP, PROXY_UDP or PROXY_HTTP */
    const char *local;  /* "PORT" or "IP:PORT" (IPv6 as "[ip]:port") */
    const char *server; /* "HOST[:PORT]" as given */
    char server_host[256];
    int server_port;
    const char *token, *user, *name;
    int remote_port; /* -1: not given (the server picks) */
    const char *domains[QUICK_MAX_DOMAINS];
    int n_domains;
    const char *subdomain;
    const char *fingerprint, *ca_file, *server_name; /* transport.tls.* */
    bool no_tls;
    const char *state_dir;
    bool verbose;
} quick_args_t;

/* Parses argv (argv[0] is the command's name: "tcp", "udp", "http") into a.
 * env_token ($BURROW_TOKEN, may be NULL) is used when --token is absent.
 * Returns 0, 1 for --help, or -1 with the problem in err. Strings in a
 * point into argv (borrowed). */
int quick_parse_args(proxy_kind_t kind, int argc, char **argv, const char *env_token,
                     quick_args_t *a, char *err, size_t errlen);
/* The proxy's default name: "<host>-<kind>-<local port>", with characters
 * outside a proxy name's set ([A-Za-z0-9._-]) turned into '-'. The same on
 * every run, so a restarted one-liner resumes its session and port. */
void quick_default_name(const quick_args_t *a, const char *hostname, char *buf, size_t size);
/* The client config as TOML text (malloc'd, NUL-terminated; *len set), or
 * NULL when out of memory. `name` is the proxy's name. */
char *quick_cfg_toml(const quick_args_t *a, const char *name, size_t *len);

#endif
