/* common: option parsing and process setup shared by the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/log.h"

/* Enough for 100,000 tunnelled connections; kept below Linux's default
 * fs.nr_open (1,048,576). */
#define WANT_NOFILE 262144

int cli_parse_opts(int argc, char **argv, cli_opts_t *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
            o->config = argv[++i];
        } else if (strcmp(a, "--state-dir") == 0 && i + 1 < argc) {
            o->state_dir = argv[++i];
        } else if (strcmp(a, "--check") == 0) {
            o->check = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            o->help = 1;
        } else {
            fprintf(stderr, "burrow %s: unknown or incomplete option '%s' (see --help)\n", argv[0],
                    a);
            return -1;
        }
    }
    return 0;
}

const char *cli_state_dir(const cli_opts_t *o, char *buf, unsigned long size)
{
    const char *env = getenv("BURROW_STATE_DIR");
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (o->state_dir)
        snprintf(buf, size, "%s", o->state_dir);
    else if (env && env[0])
        snprintf(buf, size, "%s", env);
    else if (geteuid() == 0)
        snprintf(buf, size, "/var/lib/burrow");
    else if (xdg && xdg[0])
        snprintf(buf, size, "%s/burrow", xdg);
    else
        snprintf(buf, size, "%s/.local/state/burrow", home ? home : ".");
    return buf;
}

void cli_setup_process(const char *tag, const char *log_to, int level)
{
    log_set_tag(tag);
    log_set_level((log_level_t)level);
    int r = log_set_output(log_to);
    if (r != 0) LOG_E("cannot open log file path=%s err=%s", log_to, strerror(-r));
    /* Each tunnelled connection costs two descriptors on each side: raise
     * the soft limit to the hard one, and with privilege the hard one too. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t before = rl.rlim_cur;
    struct rlimit want = {WANT_NOFILE, WANT_NOFILE};
    if (rl.rlim_max < WANT_NOFILE && setrlimit(RLIMIT_NOFILE, &want) == 0) {
        rl = want;
    } else if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != before)
        LOG_I("raised open-file limit from %llu to %llu", (unsigned long long)before,
              (unsigned long long)rl.rlim_cur);
    else
        LOG_I("open-file limit %llu", (unsigned long long)rl.rlim_cur);
}
