/* cmd_client: `burrow client -c frpc.toml`. */
#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/client_notify.h"
#include "client/cadmin.h"
#include "client/client.h"
#include "config/config.h"
#include "util/log.h"

static void usage(void)
{
    printf("usage: burrow client -c FILE [--state-dir DIR] [--check]\n"
           "\n"
           "Runs the private side: dials serverAddr:serverPort, registers the\n"
           "[[proxies]] of FILE (frp's frpc.toml schema) and forwards their\n"
           "connections to localIP:localPort. Reconnects forever unless\n"
           "loginFailExit = true. SIGHUP reloads FILE: proxies added,\n"
           "removed or changed are applied, the others keep their connections\n"
           "(see `burrow reload`). Under systemd (burrow-client@NAME.service,\n"
           "Type=notify) it reports READY=1 once logged in or once the first\n"
           "attempt failed, and its state in STATUS=.\n"
           "\n"
           "  -c, --config FILE  configuration file (frpc.toml; .yaml, .json, legacy .ini)\n"
           "  --state-dir DIR    where known server fingerprints are kept\n"
           "                     (default /var/lib/burrow as root, else ~/.local/state/burrow)\n"
           "  --check            validate the configuration and exit\n"
           "  -h, --help         this text\n");
}

typedef struct run_client {
    cli_t *cli;
    cadmin_t *admin;
    client_notify_t notify; /* systemd's READY=/STATUS= (client_notify.h) */
} run_client_t;

static void stop_client(void *arg)
{
    run_client_t *rc = arg;
    cadmin_stop(rc->admin);
    client_stop(rc->cli);
}

/* The client stopped by itself (loginFailExit): its admin goes too. */
static void on_client_stopped(void *arg)
{
    run_client_t *rc = arg;
    cadmin_stop(rc->admin);
    client_notify_stop(&rc->notify);
}

int cmd_client(int argc, char **argv)
{
    cli_opts_t o;
    if (cli_parse_opts(argc, argv, &o) != 0) return 2;
    if (o.help) return usage(), 0;
    if (!o.config) {
        fprintf(stderr, "burrow client: -c FILE is required (see --help)\n");
        return 2;
    }
    client_cfg_t cfg;
    if (config_load_client(o.config, &cfg, stderr) != 0) return 2;
    if (o.check) {
        printf("%s: ok (%d proxies)\n", o.config, cfg.n_proxies);
        config_client_free(&cfg);
        return 0;
    }
    char state[1024];
    cli_state_dir(&o, state, sizeof state);
    cli_setup_process("client", cfg.log.to, cfg.log.level);
    if (!cfg.token[0])
        LOG_W("auth.token is empty: only an open server (auth.allowOpen = true) will let this "
              "client in");
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    cli_t *c = client_create(loop, &cfg, state);
    run_client_t rc = {c, c ? cadmin_create(loop, c, &cfg, o.config) : NULL, {0}};
    char endpoint[300];
    snprintf(endpoint, sizeof endpoint, "%s:%d", cfg.server_addr, cfg.server_port);
    int status = 1;
    if (c && rc.admin) {
        cli_run_t r;
        cli_run_init(&r, loop, "client", stop_client, &rc);
        cli_run_signals(&r);
        client_on_stop(c, on_client_stopped, &rc);
        client_notify_start(&rc.notify, loop, c, endpoint);
        if (cadmin_start(rc.admin) != 0) {
            stop_client(&rc);
            uv_run(loop, UV_RUN_DEFAULT);
            (void)cli_run_close(&r, loop);
            client_destroy(c);
            cadmin_destroy(rc.admin);
            config_client_free(&cfg);
            return 1;
        }
        client_start(c);
        /* Until dry: after a signal, or when the client gave up
         * (loginFailExit) and stopped itself; or until the watchdog. */
        uv_run(loop, UV_RUN_DEFAULT);
        if (cli_run_close(&r, loop) != 0) return 1; /* handles may still point at c */
        status = client_exit_status(c);
    }
    client_destroy(c);
    cadmin_destroy(rc.admin);
    config_client_free(&cfg);
    return status;
}
