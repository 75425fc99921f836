/* sproxy_stcp: a secret proxy on the server. It opens no public port: the
 * proxy is only its name in the session's list (session.c's find_proxy),
 * where a visitor's HELLO looks it up. The visitor's bytes reach the owner
 * through a work conn of the owner's session, end-to-end encrypted between
 * the two clients (proto/stcp_hs.h, net/conn_e2e.h): the server relays
 * ciphertext it cannot read. */
#include <stdlib.h>

#include "server/server_int.h"

static int stcp_open(sproxy_t *p, int port, const json_t *m, char *err, size_t errlen)
{
    (void)port;
    (void)m;
    (void)err;
    (void)errlen;
    p->port = 0;
    p->impl = NULL;
    return 0;
}

static void stcp_close(sproxy_t *p)
{
    free(p);
}

const sproxy_ops_t sproxy_stcp_ops = {
    .type = "stcp",
    .open = stcp_open,
    .close = stcp_close,
};
