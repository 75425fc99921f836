/* cli: the subcommands. main.c picks one from a table; each lives in its own
 * file and returns the process exit status (2 for usage and config errors). */
#ifndef BURROW_CLI_H
#define BURROW_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#include "cli/sd_notify.h"

int cmd_server(int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_version(int argc, char **argv);
/* `burrow config convert FILE`: any config format as TOML (cmd_config.c). */
int cmd_config(int argc, char **argv);
int cmd_nat(int argc, char **argv);
/* `burrow wake MAC`: a Wake-on-LAN magic packet on this host's LANs (cmd_wake.c). */
int cmd_wake(int argc, char **argv);
/* `burrow status` and `burrow reload`: a running client's admin API (cmd_admin.c). */
int cmd_status(int argc, char **argv);
int cmd_reload(int argc, char **argv);
/* `burrow tcp|udp|http PORT --server HOST --token T`: the one-liners
 * (cmd_quick.c, options in quick_cfg.c). */
int cmd_tcp(int argc, char **argv);
int cmd_udp(int argc, char **argv);
int cmd_http(int argc, char **argv);
/* `burrow nat map` (cmd_nat_map.c) and `burrow nat router` (cmd_nat_router.c). */
int cmd_nat_map(int argc, char **argv);
int cmd_nat_router(int argc, char **argv);
/* `burrow nat [options]`: the report (cmd_nat_report.c), and its usage. */
int cmd_nat_report(int argc, char **argv);
void cmd_nat_report_usage(FILE *f);

/* Options shared by server and client. */
typedef struct cli_opts {
    const char *config;
    const char *state_dir;
    int check;
    int help;
} cli_opts_t;

/* Parses -c/--config FILE, --state-dir DIR, --check, -h/--help. Prints the
 * problem and returns -1 on a bad option. */
int cli_parse_opts(int argc, char **argv, cli_opts_t *o);
/* --state-dir, else $BURROW_STATE_DIR, else /var/lib/burrow for root, else
 * $XDG_STATE_HOME/burrow or ~/.local/state/burrow. Writes into buf. */
const char *cli_state_dir(const cli_opts_t *o, char *buf, unsigned long size);
/* Applies log.to and log.level; raises the open-file limit and logs it. */
void cli_setup_process(const char *tag, const char *log_to, int level);

/* How long stopping may take: every handle must be closed by then. */
#define STOP_DRAIN_MS 10000

/* cli_run: how server and client stop. SIGINT or SIGTERM tells systemd
 * STOPPING=1 (sd_notify.h) and calls `stop` once, which closes everything its object holds, and
 * arms a watchdog; the loop then runs dry (uv_run returns), and cli_run_close checks that
 * uv_loop_close() succeeds before the caller frees anything. The signal and
 * watchdog handles are unreferenced: they never keep the loop alive. */
typedef struct cli_run {
    const char *who; /* "server", "client": names it in the watchdog's line */
    void (*stop)(void *obj);
    void *obj;
    uv_signal_t sigint, sigterm;
    uv_timer_t watchdog;
    sdn_watchdog_t sdwd; /* systemd's WatchdogSec= pings, when asked for */
    bool stopping;
} cli_run_t;

/* Initialises r's handles on loop; `who` (static) and obj are borrowed.
 * Starts systemd's watchdog pings when $WATCHDOG_USEC asks for them. */
void cli_run_init(cli_run_t *r, uv_loop_t *loop, const char *who, void (*stop)(void *obj),
                  void *obj);
/* Starts listening for SIGINT and SIGTERM. */
void cli_run_signals(cli_run_t *r);
/* After uv_run: closes r's handles and the loop. 0, or 1 after logging the
 * handles left open: then nothing they could point at may be freed. */
int cli_run_close(cli_run_t *r, uv_loop_t *loop);

#endif
