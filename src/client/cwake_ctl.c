/* cwake_ctl: Wake-on-LAN asked for over the control connection.
 *
 * Both ends of it on the client: the client that declared [[wakeOnLan]]
 * machines (their names go in LOGIN's "wake") answers MSG_WAKE by sending
 * the magic packet on its LAN and replying WAKE_RESULT; `burrow wake NAME
 * --server` is a client with no proxies whose login is followed by one
 * WAKE_REQ, and which stops at the WAKE_RESULT the server relays. The
 * server decides who may ask (the same user only; server/wake_rdv.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "proto/ctl.h"
#include "proto/msg.h"
#include "util/log.h"
#include "wol/wol.h"
#include "wol/wol_send.h"

json_t *cwake_names(const client_cfg_t *cfg)
{
    json_t *a = json_array();
    for (int i = 0; a && i < cfg->n_wols && i < WAKE_NAMES_MAX; i++)
        json_array_append_new(a, json_string(cfg->wols[i].name));
    return a;
}

typedef struct route_tally {
    json_t *routes; /* the routes that went, as text */
} route_tally_t;

static void tally(void *ud, const char *route, int err)
{
    route_tally_t *t = ud;
    if (err == 0)
        json_array_append_new(t->routes, json_string(route));
    else
        LOG_D("wake: route failed route=\"%s\" err=%s", route, strerror(-err));
}

/* Sends e's magic packet; the routes that went into `routes`. NULL or why not. */
static const char *wake_entry(const wol_cfg_t *e, json_t *routes)
{
    uint8_t mac[WOL_MAC_LEN], pw[WOL_PW_MAX];
    size_t pw_len = 0;
    if (wol_parse_mac(e->mac, mac, NULL) != 0) return "bad mac";
    if (e->password && wol_parse_password(e->password, pw, &pw_len, NULL) != 0)
        return "bad password";
    route_tally_t t = {routes};
    int n = wol_wake(mac, pw, pw_len, e->interface, tally, &t);
    if (n < 0) return n == -ENODEV ? "no such interface" : "cannot list interfaces";
    return n == 0 ? "every route failed" : NULL;
}

void cwake_on_wake(void *owner, json_t *m)
{
    cli_t *c = owner;
    const char *name = msg_str(m, "name"), *by = msg_str(m, "by"), *from = msg_str(m, "from");
    const wol_cfg_t *e = config_find_wol(c->cfg, name);
    json_t *routes = json_array();
    const char *err = e ? wake_entry(e, routes) : "unknown name";
    /* Who asked: worth a line each time, but a peer could repeat it. */
    LOG_LIMITED(LOG_INFO, "wake requested name=%s by=%s from=%s result=%s routes=%zu",
                LOG_ESC(name), LOG_ESC(by), LOG_ESC(from), err ? "failed" : "sent",
                json_array_size(routes));
    const char *id = msg_str(m, "id");
    json_t *o = json_pack("{s:s,s:s,s:b,s:o}", "id", id ? id : "", "name", name ? name : "", "ok",
                          err == NULL, "routes", routes);
    if (o && err) json_object_set_new(o, "error", json_string(err));
    if (o && c->ctl)
        (void)ctl_write(c->ctl, MSG_WAKE_RESULT, o);
    else
        json_decref(o);
}

void cwake_request(cli_t *c)
{
    json_t *o = json_pack("{s:s}", "name", c->wake_request);
    if (!o || ctl_write(c->ctl, MSG_WAKE_REQ, o) < 0) {
        fprintf(stderr, "burrow wake: could not send the request\n");
        c->exit_status = 1;
        client_stop(c);
    }
}

void cwake_on_result(void *owner, json_t *m)
{
    cli_t *c = owner;
    if (!c->wake_request) return; /* only the requester expects one */
    json_t *routes = json_object_get(m, "routes"), *r;
    size_t i;
    const char *client = msg_str(m, "client"), *err = msg_str(m, "error");
    json_array_foreach(routes, i, r)
        printf("sent    %s\n", json_string_value(r) ? json_string_value(r) : "?");
    bool ok = msg_bool(m, "ok", 0);
    if (ok)
        printf("ok: %s woken by client %s on %zu route%s\n", c->wake_request, client ? client : "?",
               json_array_size(routes), json_array_size(routes) == 1 ? "" : "s");
    else
        fprintf(stderr, "burrow wake: %s: %s\n", c->wake_request, err ? err : "failed");
    fflush(stdout);
    c->exit_status = ok ? 0 : 1;
    c->wake_done = true;
    client_stop(c);
}
