/* cmd_wake: `burrow wake MAC [--interface IF] [--password SECUREON]`, the
 * seed's recommended route to power a machine on: a host on the same LAN
 * broadcasts the magic packet (wol/wol_send.c does the sending); and
 * `burrow wake NAME --server HOST:PORT [-c FILE]`, which logs in like a
 * client (FILE's token, user and TLS settings, no proxies) and asks the
 * server to have the client of the same user that declared NAME wake it
 * (client/cwake_ctl.c). Prints each route and whether it went; exits 0
 * when at least one went, 1 when none did, 2 for usage errors. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "client/client.h"
#include "config/config.h"
#include "util/log.h"
#include "wol/wol.h"
#include "wol/wol_send.h"

#define WAKE_ANSWER_TIMEOUT_MS 15000 /* login and the client's answer */

static void usage(FILE *f)
{
    fprintf(f, "usage: burrow wake MAC [--interface IF] [--password SECUREON]\n"
               "       burrow wake NAME --server HOST:PORT [-c FILE] [--state-dir DIR]\n\n"
               "Sends a Wake-on-LAN magic packet for MAC (aa:bb:cc:dd:ee:ff, aa-bb-.. or\n"
               "aabbccddeeff) on this host's LANs: UDP to each subnet's broadcast address and\n"
               "to 255.255.255.255 (ports 9 and 7), and a raw Ethernet frame of type 0x0842\n"
               "when run as root. --interface limits it to one interface; --password adds\n"
               "a SecureOn password (6 bytes like a MAC, or 4 as a.b.c.d).\n\n"
               "With --server, NAME is a [[wakeOnLan]] entry of a running client: this\n"
               "command logs in to the server as FILE says (default ./frpc.toml: auth.token,\n"
               "user, transport.tls.*), and the client of the same user that declared NAME\n"
               "sends the magic packet on its LAN.\n");
}

static void print_route(void *ud, const char *route, int err)
{
    (void)ud;
    if (err == 0)
        printf("sent    %s\n", route);
    else
        printf("failed  %s: %s\n", route, strerror(-err));
}

typedef struct wake_args {
    const char *target, *ifname, *password, *server, *config, *state_dir;
} wake_args_t;

/* 0, 1 for --help, -1 (printed) on a usage error. */
static int parse_args(int argc, char **argv, wake_args_t *a)
{
    static const struct option longopts[] = {{"interface", required_argument, NULL, 'i'},
                                             {"password", required_argument, NULL, 'p'},
                                             {"server", required_argument, NULL, 's'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"state-dir", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:p:s:c:h", longopts, NULL)) != -1) {
        if (c == 'i')
            a->ifname = optarg;
        else if (c == 'p')
            a->password = optarg;
        else if (c == 's')
            a->server = optarg;
        else if (c == 'c')
            a->config = optarg;
        else if (c == 'd')
            a->state_dir = optarg;
        else if (c == 'h')
            return 1;
        else
            return -1;
    }
    if (a->server && (a->ifname || a->password)) {
        fprintf(stderr, "burrow wake: --interface and --password belong to the client's "
                        "[[wakeOnLan]] entry with --server\n");
        return -1;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "burrow wake: expected one MAC address\n");
        return -1;
    }
    a->target = argv[optind];
    return 0;
}

/* ---- NAME --server: a client with no proxies that asks once ------------- */

static void replace_str(char **field, const char *v)
{
    char *n = strdup(v);
    if (!n) return;
    free(*field);
    *field = n;
}

/* cfg's server from "HOST:PORT" (the TLS name follows the address unless
 * the config set its own). 0 or -1 (printed). */
static int set_server(client_cfg_t *cfg, const char *hp)
{
    const char *colon = strrchr(hp, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == hp || !end || *end || port < 1 || port > 65535) {
        fprintf(stderr, "burrow wake: --server wants HOST:PORT, got '%s'\n", hp);
        return -1;
    }
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - hp), hp);
    bool name_follows = cfg->tls_server_name && cfg->server_addr &&
                        strcmp(cfg->tls_server_name, cfg->server_addr) == 0;
    replace_str(&cfg->server_addr, host);
    if (name_follows) replace_str(&cfg->tls_server_name, host);
    cfg->server_port = (int)port;
    return 0;
}

static void on_answer_timeout(uv_timer_t *t)
{
    fprintf(stderr,
            "burrow wake: no answer within %d s (server unreachable, login refused, or "
            "no client answered)\n",
            WAKE_ANSWER_TIMEOUT_MS / 1000);
    client_stop(t->data);
}

static void timer_closed(uv_handle_t *h)
{
    (void)h;
}

/* Runs the requester on its own loop; the exit status. */
static int run_requester(client_cfg_t *cfg, const char *name, const char *state)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) return 1;
    cli_t *c = client_create(&loop, cfg, state);
    if (!c) {
        uv_loop_close(&loop);
        return 1;
    }
    client_set_wake_request(c, name);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = c;
    uv_timer_start(&t, on_answer_timeout, WAKE_ANSWER_TIMEOUT_MS, 0);
    uv_unref((uv_handle_t *)&t);
    client_start(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, timer_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    int status = client_exit_status(c);
    if (status == 0 && !client_wake_answered(c)) status = 1;
    if (uv_loop_close(&loop) == 0) client_destroy(c); /* else handles still point at c */
    return status;
}

static int wake_remote(const wake_args_t *a)
{
    const char *path = a->config ? a->config : "./frpc.toml";
    client_cfg_t cfg;
    if (config_load_client(path, &cfg, stderr) != 0) return 2;
    if (set_server(&cfg, a->server) != 0) {
        config_client_free(&cfg);
        return 2;
    }
    /* Nothing of the file's own: no proxies, visitors, machines, pool,
     * admin API or inspector; give up at a refused login. Counts are put
     * back before the config is freed. */
    int np = cfg.n_proxies, nv = cfg.n_visitors, nw = cfg.n_wols;
    cfg.n_proxies = cfg.n_visitors = cfg.n_wols = 0;
    cfg.pool_count = 0;
    cfg.login_fail_exit = true;
    cfg.web.port = 0;
    cfg.inspector.on = false;
    cli_opts_t o = {.state_dir = a->state_dir};
    char state[1024];
    cli_state_dir(&o, state, sizeof state);
    cli_setup_process("wake", "console", log_get_level() > LOG_WARN ? log_get_level() : LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    int status = run_requester(&cfg, a->target, state);
    cfg.n_proxies = np;
    cfg.n_visitors = nv;
    cfg.n_wols = nw;
    config_client_free(&cfg);
    return status;
}

int cmd_wake(int argc, char **argv)
{
    wake_args_t a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    if (a.server) return wake_remote(&a);
    uint8_t mac[WOL_MAC_LEN], pw[WOL_PW_MAX];
    size_t pw_len = 0;
    const char *why = NULL;
    if (wol_parse_mac(a.target, mac, &why) != 0) {
        fprintf(stderr, "burrow wake: bad MAC address '%s': %s\n", a.target, why);
        return 2;
    }
    if (a.password && wol_parse_password(a.password, pw, &pw_len, &why) != 0) {
        fprintf(stderr, "burrow wake: bad --password: %s\n", why);
        return 2;
    }
    int sent = wol_wake(mac, pw, pw_len, a.ifname, print_route, NULL);
    if (sent < 0) {
        fprintf(stderr, "burrow wake: %s%s\n", a.ifname ? "no usable IPv4 interface " : "",
                a.ifname ? a.ifname : strerror(-sent));
        return 1;
    }
    char mstr[18];
    printf("%s: magic packet for %s sent on %d route%s\n", sent ? "ok" : "failed",
           wol_mac_str(mac, mstr, sizeof mstr), sent, sent == 1 ? "" : "s");
    return sent > 0 ? 0 : 1;
}
