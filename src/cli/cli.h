/* cli: the subcommands. main.c picks one from a table; each lives in its own
 * file and returns the process exit status (2 for usage and config errors). */
#ifndef BURROW_CLI_H
#define BURROW_CLI_H

int cmd_server(int argc, char **argv);
int cmd_client(int argc, char **argv);
int cmd_version(int argc, char **argv);

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

#endif
