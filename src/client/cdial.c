/* cdial: how the client opens any connection to the server — the dial (TLS
 * per the config: server name, host-name check with a CA, resuming the
 * control connection's session, TCP liveness) and the first bytes (magic and
 * HELLO, with the work proof on a work conn). The control connection
 * (client.c) and work conns (cwork.c) both go through here. */
#include "client/client_int.h"
#include "proto/msg.h"
#include "proto/msg_send.h"

int client_dial(cli_t *c, conn_t *conn, SSL_SESSION *resume)
{
    const client_cfg_t *cfg = c->cfg;
    const char *name = cfg->tls_server_name ? cfg->tls_server_name : cfg->server_addr;
    if (resume) conn_set_resume(conn, resume);
    int r = conn_connect(conn, (struct sockaddr *)&c->addr, cfg->tls_enable ? c->tls : NULL, name,
                         cfg->tls_trusted_ca_file ? name : NULL);
    if (r == 0) client_set_liveness(conn);
    return r;
}

/* HELLO's common part: the versions we speak and our role. */
static json_t *hello_msg(const char *role)
{
    return json_pack("{s:i,s:i,s:s}", "proto_min", PROTO_VERSION_MIN, "proto_max",
                     PROTO_VERSION_MAX, "role", role);
}

/* Proof of the session: a MAC over run id and a fresh sequence number. */
static void add_work_proof(cli_t *c, json_t *o)
{
    uint8_t mac[AUTH_MAC_LEN];
    char mhex[2 * AUTH_MAC_LEN + 1];
    uint64_t seq = ++c->seq;
    auth_work_mac(c->work_key, c->run_id, seq, mac);
    auth_hex(mac, sizeof mac, mhex);
    json_object_set_new(o, "run_id", json_string(c->run_id));
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    json_object_set_new(o, "mac", json_string(mhex));
}

static int send_hello_msg(conn_t *conn, json_t *o)
{
    int r = conn_write(conn, FRAME_MAGIC, FRAME_MAGIC_LEN);
    if (r < 0) {
        json_decref(o);
        return r;
    }
    return msg_send(conn, MSG_HELLO, o);
}

int client_send_hello(cli_t *c, conn_t *conn, bool work)
{
    json_t *o = hello_msg(work ? "work" : "control");
    if (!o) return UV_ENOMEM;
    if (work)
        add_work_proof(c, o);
    else
        json_object_set_new(o, "version", json_string(BURROW_VERSION));
    return send_hello_msg(conn, o);
}

int client_send_visitor_hello(cli_t *c, conn_t *conn, const char *proxy, const char *type,
                              const uint8_t nonce[E2E_NONCE_LEN])
{
    if (!client_logged_in(c)) return UV_ENOTCONN;
    json_t *o = hello_msg("visitor");
    if (!o) return UV_ENOMEM;
    char hex[2 * E2E_NONCE_LEN + 1];
    auth_hex(nonce, E2E_NONCE_LEN, hex);
    add_work_proof(c, o);
    json_object_set_new(o, "proxy", json_string(proxy));
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "nonce", json_string(hex));
    return send_hello_msg(conn, o);
}
