/* common: option parsing, process setup and stopping shared by the
 * subcommands. */
#include <errno.h>
#include <signal.h>
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

/* ---- stopping: signals, watchdog, a loop that must close ------------------ */

static void on_watchdog(uv_timer_t *t)
{
    cli_run_t *r = t->data;
    LOG_E("%s did not stop within %d ms", r->who, STOP_DRAIN_MS);
    uv_stop(t->loop);
}

/* Closes what is open and lets the loop run dry: uv_run returns once the
 * last close callback has run. */
static void on_signal(uv_signal_t *h, int signum)
{
    cli_run_t *r = h->data;
    if (r->stopping) return;
    r->stopping = true;
    LOG_I("stopping on signal %d", signum);
    (void)sdn_send("STOPPING=1\nSTATUS=stopping");
    r->stop(r->obj);
    uv_close((uv_handle_t *)&r->sigint, NULL);
    uv_close((uv_handle_t *)&r->sigterm, NULL);
    uv_timer_start(&r->watchdog, on_watchdog, STOP_DRAIN_MS, 0);
}

void cli_run_init(cli_run_t *r, uv_loop_t *loop, const char *who, void (*stop)(void *obj),
                  void *obj)
{
    *r = (cli_run_t){.who = who, .stop = stop, .obj = obj};
    uv_signal_init(loop, &r->sigint);
    uv_signal_init(loop, &r->sigterm);
    uv_timer_init(loop, &r->watchdog);
    uv_unref((uv_handle_t *)&r->watchdog);
    r->sigint.data = r->sigterm.data = r->watchdog.data = r;
    sdn_watchdog_start(&r->sdwd, loop);
}

void cli_run_signals(cli_run_t *r)
{
    uv_signal_start(&r->sigint, on_signal, SIGINT);
    uv_signal_start(&r->sigterm, on_signal, SIGTERM);
    uv_unref((uv_handle_t *)&r->sigint);
    uv_unref((uv_handle_t *)&r->sigterm);
}

static void log_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    LOG_E("handle left open at exit type=%s active=%d closing=%d", uv_handle_type_name(h->type),
          uv_is_active(h), uv_is_closing(h));
}

int cli_run_close(cli_run_t *r, uv_loop_t *loop)
{
    uv_handle_t *own[] = {(uv_handle_t *)&r->sigint, (uv_handle_t *)&r->sigterm,
                          (uv_handle_t *)&r->watchdog};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (own[i]->loop && !uv_is_closing(own[i])) uv_close(own[i], NULL);
    sdn_watchdog_stop(&r->sdwd);
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
