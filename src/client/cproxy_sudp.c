/* cproxy_sudp: the sudp kind on the client, as the owner of a secret UDP
 * proxy. The server starts a work conn per visitor path; the owner runs the
 * secret kinds' handshake on it (cproxy_stcp.c: stcp_hs, allowUsers, the
 * decision is the owner's), wraps it in end-to-end records
 * (net/conn_e2e.h) and runs the udp fan-out over the e2e conn
 * (cproxy_udp.c: UDP_DATA frames tagged with the visitor's per-sender
 * session ids, one connected local socket per session, idle expiry and the
 * UDP_MAX_SESSIONS cap). From then on the udp channel owns the conn and
 * cli->udps lists it for client_stop. */
#include "client/client_int.h"
#include "net/conn_e2e.h"

static void sudp_accepted(cstcp_t *s, const uint8_t *rest, size_t rest_len)
{
    const cproxy_t *p = cstcp_proxy(s);
    cproxy_hold(p);              /* s's reference goes with s */
    conn_t *e2e = cstcp_wrap(s); /* frees s */
    if (e2e) cudp_adopt(p, e2e, NULL, 0);
    cproxy_drop(p);
    if (!e2e) return;
    /* Records that came with the handshake's last message: opened now, their
     * frames go to the fan-out. */
    if (rest_len && !conn_is_closing(e2e)) conn_e2e_feed(e2e, rest, rest_len);
}

static void sudp_start(cwork_t *w, const uint8_t *rest, size_t rest_len)
{
    cstcp_start_owner(w, rest, rest_len, sudp_accepted);
}

const cproxy_ops_t cproxy_sudp_ops = {
    .encode = NULL,
    .start = sudp_start,
};
