/* cadmin: SIGHUP and the client's admin API (cadmin.h). */
#include "client/cadmin.h"

#include <signal.h>
#include <stdlib.h>

#include "util/log.h"

struct cadmin {
    uv_loop_t *loop;
    cli_t *cli;
    const client_cfg_t *cfg; /* the client's first config: webServer.* */
    const char *path;
    uv_signal_t hup;
    bool started, stopped;
};

cadmin_t *cadmin_create(uv_loop_t *loop, cli_t *c, const client_cfg_t *cfg, const char *path)
{
    cadmin_t *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->loop = loop;
    a->cli = c;
    a->cfg = cfg;
    a->path = path;
    return a;
}

static void on_hup(uv_signal_t *h, int signum)
{
    cadmin_t *a = h->data;
    (void)signum;
    LOG_I("reloading on SIGHUP path=%s", LOG_ESC(a->path));
    json_decref(client_reload_file(a->cli, a->path)); /* it logs the outcome */
}

int cadmin_start(cadmin_t *a)
{
    uv_signal_init(a->loop, &a->hup);
    a->hup.data = a;
    a->started = true;
    uv_signal_start(&a->hup, on_hup, SIGHUP);
    uv_unref((uv_handle_t *)&a->hup); /* never keeps the loop alive */
    return 0;
}

void cadmin_stop(cadmin_t *a)
{
    if (!a || !a->started || a->stopped) return;
    a->stopped = true;
    uv_close((uv_handle_t *)&a->hup, NULL);
}

void cadmin_destroy(cadmin_t *a)
{
    free(a);
}
