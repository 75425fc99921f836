/* cplugin: the client's side of the plugins (plugin/plugin.h). A proxy
 * with a plugin holds its instance (cproxy.c); each user connection goes
 * to it with the client's plugin host (cli->plugins: the sessions still in
 * their handshake, stopped by client_stop and by a reload removing the
 * proxy) and the client's tunnel set for the relays that follow. */
#include "client/client_int.h"

void cplugin_serve(const cproxy_t *p, conn_t *conn, const char *src, const uint8_t *early,
                   size_t early_len)
{
    plugin_start_t st = {
        .host = &p->cli->plugins,
        .inst = p->plugin,
        .loop = p->cli->loop,
        .tag = p,
        .proxy = p->cfg->name,
        .src = src ? src : "",
    };
    plugin_serve(&st, conn, early, early_len);
}
