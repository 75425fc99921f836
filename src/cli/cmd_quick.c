/* cmd_quick: the one-liners `burrow tcp|udp|http PORT --server HOST[:PORT]
 * --token T`, for when a config file is too much (ngrok's and bore's habit).
 * quick_cfg.c turns the options into a one-proxy client config; this file
 * runs that client until Ctrl-C and prints the public address once the
 * server has registered the proxy. It gives up (exit 1) when the first
 * attempt cannot log in or the proxy is refused before it ever ran; once up,
 * it reconnects like any client. Exit 2 for usage and config errors. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/quick_cfg.h"
#include "client/client.h"
#include "config/config.h"
#include "util/log.h"

static void usage(FILE *f, proxy_kind_t kind)
{
    const char *k = kind_name(kind);
    bool http = kind == PROXY_HTTP;
    fprintf(f,
            "usage: burrow %s [IP:]PORT --server HOST[:PORT] --token T %s\n"
            "\n"
            "Makes the local %s service on PORT reachable through a burrow server\n"
            "without a config file: logs in, registers one %s proxy, prints its public\n"
            "address and forwards until Ctrl-C. Reconnects when the server goes away\n"
            "after that; exits 1 when the first login or the proxy is refused.\n"
            "\n"
            "  -s, --server HOST[:PORT]  the server (port default %d; IPv6 as [ADDR]:PORT)\n"
            "  -t, --token T             auth.token (default $BURROW_TOKEN)\n"
            "  --user U                  user (the server's [[users]] name)\n"
            "  --name NAME               proxy name (default HOSTNAME-%s-PORT)\n",
            k, http ? "(--domain D | --subdomain S)" : "[--remote-port N]",
            http                ? "HTTP"
            : kind == PROXY_UDP ? "UDP"
                                : "TCP",
            k, QUICK_DEFAULT_SERVER_PORT, k);
    if (http)
        fprintf(f,
                "  --domain D                a custom domain (repeatable, at most %d)\n"
                "  --subdomain S             S under the server's subDomainHost\n",
                QUICK_MAX_DOMAINS);
    else
        fprintf(f, "  --remote-port N           public port (default 0: the server picks)\n");
    fprintf(f,
            "  --fingerprint sha256:HEX  pin the server's certificate\n"
            "                            (transport.tls.serverFingerprint)\n"
            "  --ca FILE                 verify the server against a CA (trustedCaFile)\n"
            "  --server-name NAME        TLS server name (default the server's host)\n"
            "  --no-tls                  plain TCP to the server (transport.tls.enable = false)\n"
            "  --state-dir DIR           known server fingerprints and session state\n"
            "  -v, --verbose             log at info level (default: warnings)\n"
            "  -h, --help                this text\n"
            "\n"
            "Without --fingerprint or --ca the first connection trusts the server's\n"
            "certificate and records it (as `burrow client` does).\n");
}

typedef struct quick_run {
    const quick_args_t *a;
    cli_t *cli;
    char last[1024]; /* the address printed last */
    bool up;         /* the proxy has been registered at least once */
    int status;
} quick_run_t;

/* "HOST:PORT" for tcp/udp; "http://NAME[:PORT]" per domain for http. */
static void format_address(const quick_run_t *q, const client_event_t *ev, char *buf, size_t n)
{
    const quick_args_t *a = q->a;
    const char *k = kind_name(a->kind);
    bool v6 = strchr(a->server_host, ':') != NULL;
    if (a->kind != PROXY_HTTP) {
        snprintf(buf, n, "%s %s → %s%s%s:%d", k, a->local, v6 ? "[" : "", a->server_host,
                 v6 ? "]" : "", ev->remote_port);
        return;
    }
    char port[16] = "";
    if (ev->remote_port != 80) snprintf(port, sizeof port, ":%d", ev->remote_port);
    size_t len = 0, nd = json_array_size(ev->domains);
    buf[0] = '\0';
    for (size_t i = 0; i < nd || (i == 0 && nd == 0); i++) {
        const char *d = nd ? json_string_value(json_array_get(ev->domains, i)) : NULL;
        if (!d && nd) continue;
        if (!d) /* an older server: only what we asked for is known */
            d = a->n_domains ? a->domains[0] : a->subdomain;
        /* the server's names, escaped: it must not write to our terminal */
        int w =
            snprintf(buf + len, n - len, "%s%s %s → http://%s%s%s", len ? "\n" : "", k, a->local,
                     LOG_ESC(d), port, !nd && !a->n_domains ? " (under subDomainHost)" : "");
        if (w < 0 || (size_t)w >= n - len) break;
        len += (size_t)w;
    }
}

static void give_up(quick_run_t *q, const char *fmt, const char *what)
{
    /* what may be the server's text: no terminal escapes get through */
    fprintf(stderr, fmt, kind_name(q->a->kind), q->a->server, LOG_ESCQ(what ? what : "?"));
    q->status = 1;
    client_stop(q->cli);
}

static void on_event(void *arg, const client_event_t *ev)
{
    quick_run_t *q = arg;
    char addr[1024];
    switch (ev->kind) {
    case CLIENT_EV_PROXY_OK:
        format_address(q, ev, addr, sizeof addr);
        if (strcmp(addr, q->last) != 0) {
            printf("%s\n", addr);
            fflush(stdout);
            snprintf(q->last, sizeof q->last, "%s", addr);
        }
        if (!q->up) fprintf(stderr, "burrow %s: forwarding; Ctrl-C stops\n", kind_name(q->a->kind));
        q->up = true;
        break;
    case CLIENT_EV_PROXY_REFUSED:
        if (!q->up) give_up(q, "burrow %s: the server %s refused the proxy: %s\n", ev->reason);
        break;
    case CLIENT_EV_REFUSED:
        if (!ev->ever_logged_in)
            give_up(q, "burrow %s: the server %s refused the login: %s\n", ev->reason);
        break;
    case CLIENT_EV_LOST:
        if (!ev->ever_logged_in)
            give_up(q, "burrow %s: cannot reach the server %s: %s\n", ev->reason);
        else
            fprintf(stderr, "burrow %s: lost the server (%s); reconnecting\n",
                    kind_name(q->a->kind), LOG_ESCQ(ev->reason ? ev->reason : "?"));
        break;
    default:
        break;
    }
}

static void stop_quick(void *arg)
{
    client_stop(arg);
}

/* Runs cfg's client until Ctrl-C or until it gives up; the exit status. */
static int run_quick(const quick_args_t *a, const client_cfg_t *cfg)
{
    cli_opts_t o = {.state_dir = a->state_dir};
    char state[1024];
    cli_state_dir(&o, state, sizeof state);
    cli_setup_process(kind_name(a->kind), "console", cfg->log.level);
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    cli_t *c = client_create(loop, cfg, state);
    if (!c) return 1;
    quick_run_t q = {.a = a, .cli = c};
    cli_run_t r;
    cli_run_init(&r, loop, "client", stop_quick, c);
    cli_run_signals(&r);
    client_on_event(c, on_event, &q);
    client_start(c);
    uv_run(loop, UV_RUN_DEFAULT);
    if (cli_run_close(&r, loop) != 0) return 1; /* handles may still point at c */
    client_destroy(c);
    return q.status;
}

static int cmd_quick(proxy_kind_t kind, int argc, char **argv)
{
    quick_args_t a;
    char err[300];
    int r = quick_parse_args(kind, argc, argv, getenv("BURROW_TOKEN"), &a, err, sizeof err);
    if (r != 0) {
        if (r > 0) return usage(stdout, kind), 0;
        fprintf(stderr, "burrow %s: %s\n", kind_name(kind), err);
        return 2;
    }
    char host[128] = "", name[96];
    gethostname(host, sizeof host - 1);
    quick_default_name(&a, host, name, sizeof name);
    size_t len = 0;
    char *text = quick_cfg_toml(&a, a.name ? a.name : name, &len);
    client_cfg_t cfg;
    char what[32];
    snprintf(what, sizeof what, "burrow %s", kind_name(kind));
    if (!text || config_parse_client(what, text, len, &cfg, stderr) != 0) {
        free(text);
        return 2;
    }
    free(text);
    int status = run_quick(&a, &cfg);
    config_client_free(&cfg);
    return status;
}

int cmd_tcp(int argc, char **argv)
{
    return cmd_quick(PROXY_TCP, argc, argv);
}

int cmd_udp(int argc, char **argv)
{
    return cmd_quick(PROXY_UDP, argc, argv);
}

int cmd_http(int argc, char **argv)
{
    return cmd_quick(PROXY_HTTP, argc, argv);
}
