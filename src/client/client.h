/* client: the private side. Keeps a control connection to the server alive
 * forever (reconnecting with backoff), registers the configured proxies, and
 * opens work connections on request that it joins to the local services. */
#ifndef BURROW_CLIENT_H
#define BURROW_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "config/config.h"

typedef struct cli cli_t;

/* cfg and state_dir are borrowed and must outlive the client. NULL after
 * logging why. */
cli_t *client_create(uv_loop_t *loop, const client_cfg_t *cfg, const char *state_dir);
void client_start(cli_t *c);
/* Closes everything the client holds (control and work conns, their local
 * connects, tunnels, udp channels, timers; cancels a pending lookup): the
 * loop then runs dry, and only after that may client_destroy run. Safe from
 * any client callback (loginFailExit stops from one) and more than once. */
void client_stop(cli_t *c);
void client_destroy(cli_t *c);
/* fn(arg) runs once when client_stop runs (also when the client stops by
 * itself), so that its neighbours (the admin API) close too. */
void client_on_stop(cli_t *c, void (*fn)(void *arg), void *arg);
/* Hot reload (reload.c): loads `path` and applies the difference with the
 * running proxies and visitors (added, removed, changed re-registered or
 * re-created; kept ones and their connections untouched). Refused whole,
 * with nothing applied, when the file has errors (`errors`: the loader's
 * file:line lines) or changes what needs a restart (client-level keys).
 * Returns a new JSON object {"ok": bool, "error": why, "errors": text,
 * "added": [names], "removed": [...], "changed": [...], "kept": [...],
 * "visitors": {"added": [...], "removed", "changed", "kept"}}; logged
 * either way. NULL only when out of memory. */
json_t *client_reload_file(cli_t *c, const char *path);
/* The proxies and visitors and their state (cstatus.c), for the admin
 * API's GET /api/status: a new JSON object keyed by type. */
json_t *client_status_json(cli_t *c);
/* `burrow wake NAME --server`: after login, ask the server to wake NAME
 * (a [[wakeOnLan]] machine of another client of the same user), print the
 * answer and stop (exit status 0 when it was sent). name is borrowed. */
void client_set_wake_request(cli_t *c, const char *name);
/* Whether the requester got its answer (ok or not). */
bool client_wake_answered(const cli_t *c);
/* What the client tells an observer (client_on_event): the one-liners
 * (cli/cmd_quick.c) print the public address from it, and `burrow client`
 * turns it into systemd's READY/STATUS/RELOADING lines (cli/client_notify.c).
 * Everything in an event is borrowed for the call. The observer may call
 * client_stop() from it. */
typedef enum {
    CLIENT_EV_LOGIN,         /* logged in (again) */
    CLIENT_EV_LOST,          /* an attempt failed or the session was lost: reason */
    CLIENT_EV_REFUSED,       /* the server answered ERROR (wrong token, ...): reason */
    CLIENT_EV_PROXY_OK,      /* proxy registered: remote_port, domains */
    CLIENT_EV_PROXY_REFUSED, /* NEW_PROXY_RESP refused it: reason; retried later */
    CLIENT_EV_RELOADING,     /* a hot reload starts */
    CLIENT_EV_RELOADED,      /* it ended (applied or refused) */
} client_ev_kind_t;

typedef struct client_event {
    client_ev_kind_t kind;
    const char *reason;    /* LOST, REFUSED, PROXY_REFUSED; else NULL */
    const char *proxy;     /* PROXY_*: the name as configured */
    int remote_port;       /* PROXY_OK: the public port (vhost port for http/https) */
    const json_t *domains; /* PROXY_OK of http/https: the full names the server
                            * routes (NEW_PROXY_RESP `domains`); NULL from older servers */
    bool ever_logged_in;   /* whether a login has succeeded (true from LOGIN on) */
} client_event_t;

/* One observer; fn(arg, ev) runs on the loop at each event. */
void client_on_event(cli_t *c, void (*fn)(void *arg, const client_event_t *ev), void *arg);
/* How many of the running proxies are registered, and how many there are. */
void client_proxy_counts(const cli_t *c, int *registered, int *total);

/* Non-zero when the client gave up (loginFailExit) and the process should
 * exit with this status. */
int client_exit_status(const cli_t *c);

#endif
