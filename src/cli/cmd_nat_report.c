/* cmd_nat_report: `burrow nat [-s HOST[:PORT] | -c frpc.toml] [--json]
 * [--lifetime] [--no-router]`: the NAT report. Picks the STUN server,
 * resolves it, runs nat_probe on a loop, prints nat_report. Exit codes:
 * 0 complete, 3 partial (some answers unknown), 1 no usable answer, 2 usage. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "nat/nat_probe.h"

/* The STUN port when -s names a bare host (RFC 8489 §18.5 "stun"). */
#define NAT_STUN_DEFAULT_PORT "3478"

typedef struct nat_cli {
    const char *server, *config;
    int json, lifetime, no_router, help;
} nat_cli_t;

void cmd_nat_report_usage(FILE *f)
{
    fprintf(
        f,
        "usage: burrow nat [-s HOST[:PORT] | -c frpc.toml] [--json] [--lifetime] [--no-router]\n"
        "\nWhat kind of NAT is between you and the internet, and what it means for\n"
        "P2P. Asks a STUN server (burrow's server, coturn, any RFC 5780 server; a\n"
        "plain RFC 8489 server gives a partial report) and the router.\n\n"
        "  -s, --server HOST[:PORT]  STUN server; port 3478 when omitted ([v6]:port)\n"
        "  -c, --config FILE         use the client config's serverAddr:serverPort\n"
        "                            (burrow's server answers STUN on its bindPort)\n"
        "  --json                    machine-readable report (docs/nat-json.md)\n"
        "  --lifetime                also measure how long an idle UDP mapping\n"
        "                            lives (up to %d s)\n"
        "  --no-router               do not ask the router (UPnP IGD, NAT-PMP, PCP)\n"
        "\nexit status: 0 complete report, 3 partial (some answers unknown),\n"
        "1 the STUN server gave no usable answer, 2 usage or config error\n",
        NAT_LIFETIME_MAX_S);
}

static int parse(int argc, char **argv, nat_cli_t *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && has_val)
            o->server = argv[++i];
        else if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && has_val)
            o->config = argv[++i];
        else if (!strcmp(a, "--json"))
            o->json = 1;
        else if (!strcmp(a, "--lifetime"))
            o->lifetime = 1;
        else if (!strcmp(a, "--no-router"))
            o->no_router = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            o->help = 1;
        else {
            fprintf(stderr, "burrow nat: unknown or incomplete option '%s' (see --help)\n", a);
            return -1;
        }
    }
    return 0;
}

/* Splits "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 literal. */
static int split_hostport(const char *s, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon = strrchr(s, ':');
    snprintf(port, pcap, "%s", NAT_STUN_DEFAULT_PORT);
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || (end[1] && end[1] != ':') || end - s - 1 <= 0) return -1;
        snprintf(host, hcap, "%.*s", (int)(end - s - 1), s + 1);
        if (end[1] == ':') snprintf(port, pcap, "%s", end + 2);
    } else if (colon && strchr(s, ':') == colon) {
        snprintf(host, hcap, "%.*s", (int)(colon - s), s);
        snprintf(port, pcap, "%s", colon + 1);
    } else {
        snprintf(host, hcap, "%s", s); /* no port, or a bare IPv6 literal */
    }
    char *end;
    long p = strtol(port, &end, 10);
    return host[0] && port[0] && !*end && p > 0 && p <= 65535 ? 0 : -1;
}

/* getaddrinfo: blocking, like every name lookup a shell tool does; a
 * numeric address never touches the resolver. */
static int resolve(const char *name, struct sockaddr_storage *out)
{
    char host[256], port[16];
    if (split_hostport(name, host, sizeof host, port, sizeof port) != 0) {
        fprintf(stderr, "burrow nat: bad server '%s' (want HOST, HOST:PORT or [IPV6]:PORT)\n",
                name);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r != 0) {
        fprintf(stderr, "burrow nat: cannot resolve '%s': %s\n", host, gai_strerror(r));
        return -1;
    }
    memset(out, 0, sizeof *out);
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* -s, else the client config's server. */
static int pick_server(const nat_cli_t *o, char *name, size_t cap)
{
    if (o->server) {
        snprintf(name, cap, "%s", o->server);
        return 0;
    }
    if (!o->config) {
        fprintf(stderr, "burrow nat: give a STUN server (-s HOST[:PORT]) or a client "
                        "config (-c frpc.toml)\n");
        return -1;
    }
    client_cfg_t cfg;
    if (config_load_client(o->config, &cfg, stderr) != 0) return -1;
    bool v6 = strchr(cfg.server_addr, ':') != NULL;
    snprintf(name, cap, "%s%s%s:%d", v6 ? "[" : "", cfg.server_addr, v6 ? "]" : "",
             cfg.server_port);
    config_client_free(&cfg);
    return 0;
}

static void on_done(nat_probe_t *p, void *arg)
{
    (void)arg;
    nat_probe_close(p);
}

static int output(const nat_report_t *r, int json)
{
    if (json) {
        char *s = nat_report_json(r);
        if (!s) return NAT_EXIT_ERROR;
        printf("%s\n", s);
        free(s);
    } else {
        nat_report_print(r, stdout);
    }
    /* The human report carries the error itself; beside JSON, say it on
     * stderr too, for a person watching a script. */
    if (r->error && json) fprintf(stderr, "burrow nat: %s\n", r->error);
    return nat_report_exit_code(r);
}

int cmd_nat_report(int argc, char **argv)
{
    nat_cli_t o;
    if (parse(argc, argv, &o) != 0) return 2;
    if (o.help) {
        cmd_nat_report_usage(stdout);
        return 0;
    }
    nat_report_t *r = calloc(1, sizeof *r);
    if (!r) return 1;
    nat_probe_opts_t po = {.lifetime = o.lifetime, .router = !o.no_router};
    if (pick_server(&o, r->server_name, sizeof r->server_name) != 0 ||
        resolve(r->server_name, &po.server) != 0) {
        free(r);
        return 2;
    }
    r->server = po.server;
    nat_obs_init(&r->obs);
    uv_loop_t loop;
    uv_loop_init(&loop);
    nat_probe_t *p;
    int rc = nat_probe_start(&loop, &po, r, on_done, NULL, &p);
    static char err[160]; /* r->error is static text */
    if (rc != 0) {
        snprintf(err, sizeof err, "cannot start the discovery: %s", uv_strerror(rc));
        r->error = err;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (rc != 0) nat_classify(&r->obs, &r->verdict);
    int code = output(r, o.json);
    if (uv_loop_close(&loop) != 0) fprintf(stderr, "burrow nat: handles left open\n");
    free(r);
    return code;
}
