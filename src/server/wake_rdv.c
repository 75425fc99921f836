/* wake_rdv: Wake-on-LAN asked for from outside (server_int.h).
 *
 * Who may ask: a session of the same user as the client that declared the
 * machine (a client may not wake another user's machines), or the
 * dashboard (its own auth). The declaring client does the waking and says
 * which routes went; the server only routes the request and the answer.
 * Names and users from peers go through LOG_ESC; refusals are rate-limited. */
#include <stdio.h>
#include <string.h>

#include "proto/msg.h"
#include "server/server_int.h"
#include "util/log.h"

/* The live session of `user` that declared `name`, other than `except`. */
static session_t *find_waker(srv_t *s, const char *user, const char *name, const session_t *except)
{
    for (session_t *ss = s->sessions; ss; ss = session_next(ss))
        if (ss != except && strcmp(session_user(ss), user) == 0 && session_can_wake(ss, name))
            return ss;
    return NULL;
}

static void answer(session_t *rs, const char *name, const char *err)
{
    session_send(
        rs, MSG_WAKE_RESULT,
        json_pack("{s:s,s:b,s:[],s:s}", "name", name ? name : "", "ok", 0, "routes", "error", err));
}

static void send_wake(session_t *ws, const char *id, const char *name, const char *by,
                      const char *from)
{
    session_send(ws, MSG_WAKE,
                 json_pack("{s:s,s:s,s:s,s:s}", "id", id, "name", name, "by", by, "from", from));
}

void wake_rdv_request(srv_t *s, session_t *rs, const json_t *m)
{
    const char *name = msg_str(m, "name"), *user = session_user(rs);
    if (!session_wake_budget(rs)) {
        answer(rs, name, "rate-limited: one wake request per second");
        return;
    }
    session_t *ws = name ? find_waker(s, user, name, rs) : NULL;
    if (!ws) {
        LOG_LIMITED(LOG_WARN, "wake refused name=%s user=%s peer=%s reason=unknown-name",
                    LOG_ESC(name), LOG_ESC(user), session_peer(rs));
        answer(rs, name, "no client of this user declared that name");
        return;
    }
    char by[80];
    snprintf(by, sizeof by, "%s", user[0] ? user : "(no user)");
    LOG_LIMITED(LOG_INFO, "wake asked name=%s user=%s from=%s to=%s", LOG_ESC(name), LOG_ESC(user),
                session_peer(rs), session_run_id(ws));
    send_wake(ws, session_run_id(rs), name, by, session_peer(rs));
}

void wake_rdv_result(srv_t *s, session_t *ws, const json_t *m)
{
    const char *id = msg_str(m, "id");
    session_t *rs = id && id[0] ? session_find(s, id) : NULL;
    /* The dashboard's requests carry no asker; a result naming a session
     * of another user is dropped (a client can only answer its own user). */
    if (!rs || strcmp(session_user(rs), session_user(ws)) != 0) {
        LOG_LIMITED(LOG_INFO, "wake result name=%s ok=%d from=%s", LOG_ESC(msg_str(m, "name")),
                    msg_bool(m, "ok", 0), session_run_id(ws));
        return;
    }
    json_t *routes = json_object_get(m, "routes");
    routes = json_is_array(routes) ? json_incref(routes) : json_array();
    const char *name = msg_str(m, "name");
    json_t *o = json_pack("{s:s,s:b,s:o,s:s}", "name", name ? name : "", "ok", msg_bool(m, "ok", 0),
                          "routes", routes, "client", session_host(ws));
    const char *err = msg_str(m, "error");
    if (o && err) json_object_set_new(o, "error", json_string(err));
    session_send(rs, MSG_WAKE_RESULT, o);
}

int wake_rdv_dashboard(srv_t *s, const char *user, const char *name, const char *from, char *client,
                       size_t client_len)
{
    session_t *ws = find_waker(s, user ? user : "", name, NULL);
    if (!ws) return -1;
    snprintf(client, client_len, "%s", session_host(ws));
    LOG_I("wake asked name=%s user=%s by=dashboard from=%s to=%s", LOG_ESC(name), LOG_ESC(user),
          from, session_run_id(ws));
    send_wake(ws, "", name, "dashboard", from);
    return 0;
}
