/* client_notify: a client's events (client_on_event) as systemd's READY=,
 * STATUS= and RELOADING= lines; see client_notify.h for what "ready" means. */
#include "cli/client_notify.h"

#include <stdio.h>

#include "cli/sd_notify.h"
#include "util/log.h"

/* STATUS= for the current state, READY=1 first when `ready_now`. */
static void send_status(client_notify_t *n, bool ready_now)
{
    int reg = 0, total = 0;
    client_proxy_counts(n->cli, &reg, &total);
    char status[400];
    if (n->logged_in)
        snprintf(status, sizeof status, "logged in to %s; %d/%d proxies registered%s%s",
                 n->endpoint, reg, total, n->last_err[0] ? "; " : "", n->last_err);
    else
        snprintf(status, sizeof status, "connecting to %s%s%s%s", n->endpoint,
                 n->last_err[0] ? " (last attempt: " : "", n->last_err, n->last_err[0] ? ")" : "");
    (void)sdn_sendf("%sSTATUS=%s", ready_now ? "READY=1\n" : "", status);
}

static void become_ready(client_notify_t *n)
{
    bool now = !n->ready;
    n->ready = true;
    uv_timer_stop(&n->ready_timer);
    send_status(n, now);
}

static void on_ready_timeout(uv_timer_t *t)
{
    become_ready(t->data);
}

static void on_event(void *arg, const client_event_t *ev)
{
    client_notify_t *n = arg;
    switch (ev->kind) {
    case CLIENT_EV_LOGIN:
        n->logged_in = true;
        n->last_err[0] = '\0';
        break;
    /* Reasons may be the server's text: escaped, so that no newline can
     * add a line (MAINPID=, READY=) to the datagram. */
    case CLIENT_EV_LOST:
    case CLIENT_EV_REFUSED:
        n->logged_in = false;
        snprintf(n->last_err, sizeof n->last_err, "%s%s",
                 ev->kind == CLIENT_EV_REFUSED ? "refused: " : "", LOG_ESCQ(ev->reason));
        break;
    case CLIENT_EV_PROXY_REFUSED:
        snprintf(n->last_err, sizeof n->last_err, "proxy %s refused: %s", ev->proxy,
                 LOG_ESCQ(ev->reason));
        break;
    case CLIENT_EV_PROXY_OK:
        break;
    case CLIENT_EV_RELOADING:
        (void)sdn_send("RELOADING=1\nSTATUS=reloading");
        return;
    case CLIENT_EV_RELOADED:
        send_status(n, true); /* READY=1 ends the reload */
        return;
    }
    /* Proxies are asked for right after LOGIN: ready then, with the count. */
    become_ready(n);
}

void client_notify_start(client_notify_t *n, uv_loop_t *loop, cli_t *c, const char *endpoint)
{
    *n = (client_notify_t){.cli = c, .endpoint = endpoint};
    uv_timer_init(loop, &n->ready_timer);
    n->ready_timer.data = n;
    uv_timer_start(&n->ready_timer, on_ready_timeout, CLIENT_READY_MAX_MS, 0);
    uv_unref((uv_handle_t *)&n->ready_timer);
    client_on_event(c, on_event, n);
}

void client_notify_stop(client_notify_t *n)
{
    if (!uv_is_closing((uv_handle_t *)&n->ready_timer))
        uv_close((uv_handle_t *)&n->ready_timer, NULL);
}
