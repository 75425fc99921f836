/* cmd_server: `burrow server -c frps.toml`. */
#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "config/config.h"
#include "server/server.h"
#include "util/log.h"

static void usage(void)
{
    printf("usage: burrow server -c FILE [--state-dir DIR] [--check]\n"
           "\n"
           "Runs the public side: accepts clients on bindAddr:bindPort and exposes\n"
           "their proxies on public ports. FILE uses frp's frps.toml schema.\n"
           "Under systemd (burrow-server.service, Type=notify) it reports READY=1\n"
           "once its ports are bound.\n"
           "\n"
           "  -c, --config FILE  configuration file (frps.toml; .yaml, .json, legacy .ini)\n"
           "  --state-dir DIR    where the self-signed certificate is kept\n"
           "                     (default /var/lib/burrow as root, else ~/.local/state/burrow)\n"
           "  --check            validate the configuration and exit\n"
           "  -h, --help         this text\n");
}

static void stop_server(void *srv)
{
    server_stop(srv);
}

int cmd_server(int argc, char **argv)
{
    cli_opts_t o;
    if (cli_parse_opts(argc, argv, &o) != 0) return 2;
    if (o.help) return usage(), 0;
    if (!o.config) {
        fprintf(stderr, "burrow server: -c FILE is required (see --help)\n");
        return 2;
    }
    server_cfg_t cfg;
    if (config_load_server(o.config, &cfg, stderr) != 0) return 2;
    if (config_check_server_auth(&cfg, o.config, stderr) != 0) {
        config_server_free(&cfg);
        return 2;
    }
    if (o.check) {
        printf("%s: ok\n", o.config);
        config_server_free(&cfg);
        return 0;
    }
    char state[1024];
    cli_state_dir(&o, state, sizeof state);
    cli_setup_process("server", cfg.log.to, cfg.log.level);
    if (cfg.allow_open && !cfg.token[0] && cfg.n_users == 0)
        LOG_W("OPEN SERVER: no auth.token and no [[users]] (auth.allowOpen = true): anyone who "
              "reaches port %d can log in and bind public ports",
              cfg.bind_port);
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    srv_t *srv = server_create(loop, &cfg, state);
    int status = 1;
    if (srv) {
        cli_run_t r;
        cli_run_init(&r, loop, "server", stop_server, srv);
        if (server_start(srv) == 0) {
            cli_run_signals(&r);
            status = 0;
            /* Ready: the control port and the configured listeners are bound. */
            (void)sdn_sendf("READY=1\nSTATUS=listening on %s:%d", cfg.bind_addr, cfg.bind_port);
        } else {
            server_stop(srv); /* what a failed start opened */
        }
        uv_run(loop, UV_RUN_DEFAULT);               /* until dry, or the watchdog gives up */
        if (cli_run_close(&r, loop) != 0) return 1; /* handles may still point at the server */
    }
    server_destroy(srv);
    config_server_free(&cfg);
    return status;
}
