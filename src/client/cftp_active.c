/* cftp_active: active-mode FTP (PORT/EPRT) on the client.
 *
 * For a user's PORT/EPRT, cftp.c opens a cfa_t here: a one-shot listener on
 * the control connection's own local address (the address the FTP server
 * already reaches, port chosen by the kernel), which the command is
 * rewritten to name. When the FTP server connects there (only from its own
 * address), the listener closes, the connection waits paused, and
 * FTP_ACTIVE_DIAL {proxy, id, peer, target} asks the server to dial the
 * user; the server's work conn then arrives with START_WORK `ftp_active:
 * id` (cfa_join) and both are relayed plainly. FTP_ACTIVE_FAIL, or no work
 * conn within CFA_WAIT_MS of the PORT, closes the FTP server's connection
 * (it answers 425 to the user).
 *
 * Ownership: each cfa_t is listed in cli->ftp_actives until finished (joined,
 * failed, expired, replaced, or its control connection closed); it holds a
 * reference to its proxy until then. Its memory lives while a handle still
 * points at it (refs: the timer, the listener, the accepted conn). Bounds:
 * per control connection CFA_MAX at once; a new PORT closes the same
 * connection's listeners still waiting (RFC 959: the last PORT counts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "net/addr.h"
#include "net/listener.h"
#include "proto/ctl.h"
#include "proto/msg.h"
#include "util/log.h"

#define CFA_MAX 8
#define CFA_WAIT_MS 30000 /* PORT → work conn joined */

struct cfa {
    cli_t *cli;
    cproxy_t *proxy;   /* held until finished */
    const void *owner; /* the control connection (compared only) */
    cfa_t *next;
    listener_t *l; /* heap, NULL once closing */
    conn_t *data;  /* the FTP server's connection, until joined or closed */
    uv_timer_t deadline;
    int refs;
    bool done;
    uint32_t id;
    char server_ip[64]; /* the FTP server's address: only it may connect */
    char peer[CONN_PEER_LEN], target[CONN_PEER_LEN];
};

static const conn_cbs_t none_cbs = {0};

static void cfa_drop(cfa_t *a)
{
    if (--a->refs == 0) free(a);
}

static void on_timer_closed(uv_handle_t *h)
{
    cfa_drop(h->data);
}

static void on_listener_closed(listener_t *l)
{
    cfa_t *a = l->data;
    free(l);
    cfa_drop(a);
}

static void close_listener(cfa_t *a)
{
    if (!a->l) return;
    listener_close(a->l, on_listener_closed);
    a->l = NULL;
}

static void cfa_finish(cfa_t *a)
{
    if (a->done) return;
    a->done = true;
    for (cfa_t **pp = &a->cli->ftp_actives; *pp; pp = &(*pp)->next)
        if (*pp == a) {
            *pp = a->next;
            break;
        }
    close_listener(a);
    uv_close((uv_handle_t *)&a->deadline, on_timer_closed);
    if (a->data) conn_close(a->data);
    cproxy_drop(a->proxy);
}

static void on_deadline(uv_timer_t *t)
{
    cfa_t *a = t->data;
    LOG_D("ftp active: no data connection in time id=%u", (unsigned)a->id);
    cfa_finish(a);
}

/* ---- the FTP server's data connection ----------------------------------- */

static void on_data_error(conn_t *c, int err)
{
    (void)err;
    cfa_finish(conn_data(c));
}

static void on_data_close(conn_t *c)
{
    cfa_t *a = conn_data(c);
    a->data = NULL;
    cfa_finish(a);
    cfa_drop(a);
}

/* Paused until joined: no data, no EOF reach these. */
static const conn_cbs_t data_cbs = {.on_error = on_data_error, .on_close = on_data_close};

static void on_accept(listener_t *l, conn_t *c, const struct sockaddr_storage *peer)
{
    cfa_t *a = l->data;
    char ip[64];
    struct sockaddr_storage u;
    addr_unmap_v4((const struct sockaddr *)peer, &u);
    addr_ip((struct sockaddr *)&u, ip, sizeof ip);
    if (a->done || a->data || strcmp(ip, a->server_ip) != 0) {
        LOG_LIMITED(LOG_WARN, "ftp active: data connection refused peer=%s expected=%s", ip,
                    a->server_ip);
        conn_close(c);
        return;
    }
    a->data = c;
    a->refs++;
    conn_set_cbs(c, &data_cbs, a);
    conn_start(c);
    conn_pause(c);
    close_listener(a); /* one connection per PORT */
    cli_t *cli = a->cli;
    if (!client_ready(cli) ||
        ctl_write(cli->ctl, MSG_FTP_ACTIVE_DIAL,
                  json_pack("{s:s,s:I,s:s,s:s}", "proxy", a->proxy->wire_name, "id",
                            (json_int_t)a->id, "peer", a->peer, "target", a->target)) < 0)
        cfa_finish(a);
}

/* ---- API ---------------------------------------------------------------- */

static int count_for(cli_t *c, const void *owner)
{
    int n = 0;
    for (cfa_t *a = c->ftp_actives; a; a = a->next)
        n += a->owner == owner;
    return n;
}

/* A new PORT replaces the same connection's earlier ones not yet used. */
static void close_waiting(cli_t *c, const void *owner)
{
    cfa_t *a = c->ftp_actives;
    while (a) {
        cfa_t *next = a->next;
        if (a->owner == owner && !a->data) cfa_finish(a);
        a = next;
    }
}

static int listen_lan(cfa_t *a, conn_t *local, struct sockaddr_storage *lan)
{
    struct sockaddr_storage srv, u;
    int e = conn_local_addr(local, lan);
    if (e == 0) e = conn_peer_addr(local, &srv);
    if (e != 0) return e;
    addr_unmap_v4((struct sockaddr *)&srv, &u);
    addr_ip((struct sockaddr *)&u, a->server_ip, sizeof a->server_ip);
    if (lan->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)lan)->sin6_port = 0;
    else
        ((struct sockaddr_in *)lan)->sin_port = 0;
    const listener_opts_t opts = {.what = "ftp active"};
    a->l = malloc(sizeof *a->l);
    if (!a->l) return UV_ENOMEM;
    a->refs++;
    e = listener_init(a->cli->loop, a->l, &opts, on_accept, a);
    if (e == 0) e = listener_listen(a->l, (struct sockaddr *)lan);
    if (e == 0) e = listener_local_addr(a->l, lan);
    return e;
}

int cfa_open(cli_t *c, cproxy_t *p, const void *owner, conn_t *local, uint32_t id, const char *peer,
             const char *target, struct sockaddr_storage *lan)
{
    close_waiting(c, owner);
    if (count_for(c, owner) >= CFA_MAX) return UV_EBUSY;
    cfa_t *a = calloc(1, sizeof *a);
    if (!a) return UV_ENOMEM;
    a->cli = c;
    a->proxy = p;
    cproxy_hold(p);
    a->owner = owner;
    a->id = id;
    a->refs = 1; /* the timer's */
    snprintf(a->peer, sizeof a->peer, "%s", peer);
    snprintf(a->target, sizeof a->target, "%s", target);
    uv_timer_init(c->loop, &a->deadline);
    a->deadline.data = a;
    a->next = c->ftp_actives;
    c->ftp_actives = a;
    int e = listen_lan(a, local, lan);
    if (e != 0) {
        cfa_finish(a);
        return e;
    }
    uv_timer_start(&a->deadline, on_deadline, CFA_WAIT_MS, 0);
    return 0;
}

void cfa_close_owner(cli_t *c, const void *owner)
{
    cfa_t *a = c->ftp_actives;
    while (a) {
        cfa_t *next = a->next;
        if (!owner || a->owner == owner) cfa_finish(a);
        a = next;
    }
}

void cfa_on_fail(void *owner, json_t *m)
{
    cli_t *c = owner;
    uint32_t id = (uint32_t)msg_int(m, "id", 0);
    for (cfa_t *a = c->ftp_actives; id && a; a = a->next)
        if (a->id == id) {
            LOG_LIMITED(LOG_WARN,
                        "ftp active: the server will not dial the user proxy=%s "
                        "target=%s error=%s",
                        LOG_ESC(a->proxy->cfg->name), LOG_ESC(a->target),
                        LOG_ESC(msg_str(m, "error")));
            cfa_finish(a);
            return;
        }
}

bool cfa_join(cli_t *c, uint32_t id, conn_t *work, const uint8_t *early, size_t early_len)
{
    for (cfa_t *a = c->ftp_actives; id && a; a = a->next) {
        if (a->id != id || !a->data) continue;
        conn_t *data = a->data;
        const void *tag = a->proxy;
        a->data = NULL;
        conn_set_cbs(data, &none_cbs, NULL);
        cfa_finish(a);
        cfa_drop(a); /* the conn's: the relay owns it now */
        tunnels_relay_ex(&c->tunnels, work, data, early, early_len, "ftp-active", NULL, tag);
        return true;
    }
    return false;
}
