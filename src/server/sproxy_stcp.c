/* sproxy_stcp: a secret proxy on the server (stcp, and sudp through
 * sproxy_sudp.c, which shares everything here). It opens no public port: the
 * proxy is only its name in the session's list (server_find_proxy), where a
 * visitor's HELLO looks it up. The visitor's conn is paired with a work
 * conn of the owner's session and the two are relayed, STCP_VISITOR {user,
 * nonce} going to the owner first; from there the visitor and the owner
 * run proto/stcp_hs.h and talk in end-to-end records (net/conn_e2e.h): the
 * server relays ciphertext it cannot read, and the owner, not the server,
 * decides whether the visitor knows the key. When the owner's session ends
 * the name goes into srv->secret_gone (server/secret_gone.h), so that a
 * visitor is told owner-offline rather than unknown-proxy until the owner
 * registers it again. */
#include <stdlib.h>
#include <string.h>

#include "net/tunnels.h"
#include "proto/auth.h"
#include "proto/e2e.h"
#include "proto/kinds.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "server/secret_gone.h"
#include "server/server_int.h"
#include "util/log.h"

/* A visitor's conn waiting for a work conn of the owner's session. */
typedef struct stcp_visit {
    work_req_t req;
    srv_t *srv;
    conn_t *conn;
    uint8_t *frame; /* STCP_VISITOR, for the owner */
    size_t frame_len;
    char proxy[128], user[80];
    const char *type; /* the proxy's kind name (static) */
} stcp_visit_t;

static const conn_cbs_t none_cbs = {0};

int sproxy_secret_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)port;
    (void)m;
    (void)err;
    (void)errlen;
    p->port = 0;
    p->impl = NULL;
    secret_gone_forget(p->srv->secret_gone, p->name); /* the owner is back */
    return 0;
}

/* The session ended (clients never close one proxy alone): remembered,
 * unless the whole server is stopping. */
void sproxy_secret_close(sproxy_t *p)
{
    srv_t *s = p->srv;
    if (!s->stopping && secret_gone_add(s->secret_gone, p->name, uv_now(s->loop)) != 0)
        LOG_W("out of memory remembering a secret proxy name=%s", LOG_ESC(p->name));
    free(p);
}

const sproxy_ops_t sproxy_stcp_ops = {
    .type = "stcp",
    .open = sproxy_secret_open,
    .close = sproxy_secret_close,
};

/* xtcp: its connections ride the stcp relay path (the direct path is
 * punched beside it, p2p/), so the server side is stcp's under its own
 * name (a visitor's HELLO names the type it wants). */
const sproxy_ops_t sproxy_xtcp_ops = {
    .type = "xtcp",
    .open = sproxy_secret_open,
    .close = sproxy_secret_close,
};

/* Tells the visitor why, then closes (the ERROR goes out before the FIN). */
static void refuse(conn_t *v, const char *code, const char *message)
{
    (void)msg_send(v, MSG_ERROR, json_pack("{s:s,s:s}", "code", code, "message", message));
    conn_shutdown(v);
    conn_close(v);
}

static void visit_free(stcp_visit_t *r)
{
    free(r->frame);
    free(r);
}

static void on_owner_work(work_req_t *req, conn_t *work)
{
    stcp_visit_t *r = req->data;
    LOG_D("%s visitor relayed proxy=%s visitor=%s peer=%s path=relay", r->type, LOG_ESC(r->proxy),
          LOG_ESC(r->user), conn_peer(r->conn));
    sproxy_relay_counted(r->srv, (sproxy_t *)req->owner, r->conn, work, r->frame, r->frame_len,
                         r->type);
    visit_free(r);
}

static void on_owner_gone(work_req_t *req, int reason)
{
    stcp_visit_t *r = req->data;
    LOG_LIMITED(LOG_WARN,
                "%s visitor refused proxy=%s visitor=%s peer=%s path=relay "
                "reason=owner-offline why=%s",
                r->type, LOG_ESC(r->proxy), LOG_ESC(r->user), conn_peer(r->conn),
                work_cancel_reason_name(reason));
    refuse(r->conn, "owner-offline", "the owner of this secret proxy is not reachable");
    visit_free(r);
}

/* Whether the registered proxy p is a secret one of the kind named `type`. */
static bool secret_of_type(const sproxy_t *p, const char *type)
{
    return p && p->sess && strcmp(p->ops->type, type) == 0 &&
           kind_has(kind_find(p->ops->type), KIND_SECRET);
}

void sproxy_stcp_visit(srv_t *s, session_t *vss, conn_t *v, const char *proxy,
                       const char *nonce_hex, const char *type)
{
    uint8_t nonce[E2E_NONCE_LEN];
    char hex[2 * E2E_NONCE_LEN + 1];
    const char *user = session_user(vss);
    conn_pause(v);
    conn_set_cbs(v, &none_cbs, NULL);
    int k = kind_find(type ? type : "stcp"); /* an older visitor names no type */
    if (k < 0 || !kind_has(k, KIND_SECRET)) {
        LOG_LIMITED(LOG_WARN, "visitor refused peer=%s user=%s reason=bad-type", conn_peer(v),
                    LOG_ESC(user));
        refuse(v, "proto", "visitor HELLO names no secret proxy type");
        return;
    }
    type = kind_name(k); /* static from here on */
    if (!nonce_hex || auth_unhex(nonce_hex, nonce, sizeof nonce) != 0) {
        LOG_LIMITED(LOG_WARN, "%s visitor refused peer=%s user=%s reason=bad-nonce", type,
                    conn_peer(v), LOG_ESC(user));
        refuse(v, "proto", "visitor HELLO needs a nonce");
        return;
    }
    sproxy_t *p = proxy ? server_find_proxy(s, proxy) : NULL;
    if (!p && proxy && secret_gone_has(s->secret_gone, proxy, uv_now(s->loop))) {
        LOG_LIMITED(LOG_WARN,
                    "%s visitor refused proxy=%s visitor=%s peer=%s path=relay "
                    "reason=owner-offline",
                    type, LOG_ESC(proxy), LOG_ESC(user), conn_peer(v));
        refuse(v, "owner-offline", "the owner of this secret proxy is not connected");
        return;
    }
    if (!secret_of_type(p, type)) {
        LOG_LIMITED(LOG_WARN,
                    "%s visitor refused proxy=%s visitor=%s peer=%s path=relay "
                    "reason=unknown-proxy",
                    type, LOG_ESC(proxy ? proxy : "?"), LOG_ESC(user), conn_peer(v));
        refuse(v, "unknown-proxy", "no secret proxy of that name and type is registered");
        return;
    }
    stcp_visit_t *r = calloc(1, sizeof *r);
    auth_hex(nonce, sizeof nonce, hex);
    json_t *m = json_pack("{s:s,s:s}", "user", user, "nonce", hex);
    if (r && m) r->frame = msg_encode(MSG_STCP_VISITOR, m, &r->frame_len);
    json_decref(m);
    if (!r || !r->frame) {
        free(r);
        conn_close(v);
        return;
    }
    r->srv = s;
    r->conn = v;
    r->type = type;
    snprintf(r->proxy, sizeof r->proxy, "%s", p->name);
    snprintf(r->user, sizeof r->user, "%s", user);
    work_req_init(&r->req, on_owner_work, on_owner_gone, r, conn_peer(v), "");
    session_request_work(p->sess, p, &r->req);
}
