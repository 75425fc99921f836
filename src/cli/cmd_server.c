/* cmd_server: `burrow server -c frps.toml`. */
#include <signal.h>
#include <stdbool.h>
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
           "\n"
           "  -c, --config FILE  configuration file (frps.toml)\n"
           "  --state-dir DIR    where the self-signed certificate is kept\n"
           "                     (default /var/lib/burrow as root, else ~/.local/state/burrow)\n"
           "  --check            validate the configuration and exit\n"
           "  -h, --help         this text\n");
}

/* How long stopping may take: every handle must be closed by then. */
#define STOP_DRAIN_MS 10000

typedef struct run {
    srv_t *srv;
    uv_signal_t sigint, sigterm;
    uv_timer_t watchdog; /* unreferenced: it never keeps the loop alive */
    bool stopping;
} run_t;

static void on_watchdog(uv_timer_t *t)
{
    LOG_E("server did not stop within %d ms", STOP_DRAIN_MS);
    uv_stop(t->loop);
}

/* Closes what is open and lets the loop run dry (server.h's contract):
 * uv_run returns once the last close callback has run. */
static void on_signal(uv_signal_t *h, int signum)
{
    run_t *r = h->data;
    if (r->stopping) return;
    r->stopping = true;
    LOG_I("stopping on signal %d", signum);
    server_stop(r->srv);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    uv_timer_start(&r->watchdog, on_watchdog, STOP_DRAIN_MS, 0);
}

static void log_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    LOG_E("handle left open at exit type=%s active=%d closing=%d", uv_handle_type_name(h->type),
          uv_is_active(h), uv_is_closing(h));
}

/* After uv_run: closes the CLI's own handles and checks that the loop is
 * empty. 0, or 1 (after logging what is left) when it is not: then nothing
 * may be freed that a handle could still point at. */
static int close_loop(uv_loop_t *loop, run_t *r)
{
    uv_handle_t *own[] = {(uv_handle_t *)&r->sigint, (uv_handle_t *)&r->sigterm,
                          (uv_handle_t *)&r->watchdog};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (own[i]->loop && !uv_is_closing(own[i])) uv_close(own[i], NULL);
    uv_run(loop, UV_RUN_NOWAIT); /* their close callbacks */
    int e = uv_loop_close(loop);
    if (e == 0) {
        LOG_I("stopped: every handle closed");
        return 0;
    }
    LOG_E("event loop did not close err=%s", uv_strerror(e));
    uv_walk(loop, log_handle, NULL);
    return 1;
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
    run_t r = {.srv = server_create(loop, &cfg, state)};
    int status = 1;
    if (r.srv) {
        uv_signal_init(loop, &r.sigint);
        uv_signal_init(loop, &r.sigterm);
        uv_timer_init(loop, &r.watchdog);
        uv_unref((uv_handle_t *)&r.watchdog);
        r.sigint.data = r.sigterm.data = &r;
        if (server_start(r.srv) == 0) {
            uv_signal_start(&r.sigint, on_signal, SIGINT);
            uv_signal_start(&r.sigterm, on_signal, SIGTERM);
            uv_unref((uv_handle_t *)&r.sigint);
            uv_unref((uv_handle_t *)&r.sigterm);
            status = 0;
        } else {
            server_stop(r.srv); /* what a failed start opened */
        }
        uv_run(loop, UV_RUN_DEFAULT);            /* until dry, or the watchdog gives up */
        if (close_loop(loop, &r) != 0) return 1; /* handles may still point at the server */
    }
    server_destroy(r.srv);
    config_server_free(&cfg);
    return status;
}
