/* plugin_unix_domain_socket: frp's `unix_domain_socket` plugin. Each user
 * connection is relayed to the unix stream socket at `unixPath` (Docker's
 * API socket is the classic use; "@name" is an abstract socket). No
 * handshake of its own: the relay starts at once, so no session is
 * listed; the relay is the host's tunnel set's (tagged with the proxy). */
#include <stdlib.h>
#include <string.h>

#include "net/unix_dial.h"
#include "plugin/plugin.h"
#include "util/log.h"

static const plugin_key_t uds_keys[] = {
    {"unixPath", PK_STR, PK_REQUIRED | PK_NONEMPTY, 0, 0},
    {NULL, PK_STR, 0, 0, 0},
};

static int uds_check(const plugin_cfg_t *cfg, char *why, size_t why_len)
{
    const char *path = plugin_param(cfg, "unixPath");
    if (!path || strlen(path) <= UNIX_PATH_MAX_LEN) return 0;
    snprintf(why, why_len, "unixPath is longer than %d bytes", UNIX_PATH_MAX_LEN);
    return -1;
}

static int uds_create(const plugin_cfg_t *cfg, void **state, char *why, size_t why_len)
{
    *state = strdup(plugin_param(cfg, "unixPath"));
    if (*state) return 0;
    snprintf(why, why_len, "out of memory");
    return -1;
}

static void uds_destroy(void *state)
{
    free(state);
}

static void uds_serve(const plugin_start_t *st, conn_t *user, const uint8_t *early,
                      size_t early_len)
{
    static const conn_cbs_t none = {0};
    const char *path = plugin_inst_state(st->inst);
    conn_t *target = conn_new(st->loop, &none, NULL);
    int r = target ? unix_dial(target, path) : UV_ENOMEM;
    if (r != 0) {
        LOG_LIMITED(LOG_WARN, "unix socket connect failed proxy=%s path=%s err=%s",
                    LOG_ESC(st->proxy), LOG_ESC(path), uv_strerror(r));
        conn_close(target);
        conn_abort(user); /* as a refusing local service: the user sees a reset */
        return;
    }
    plugin_relay(st, user, target, early, early_len);
}

const plugin_ops_t plugin_unix_domain_socket_ops = {
    .name = "unix_domain_socket",
    .keys = uds_keys,
    .check = uds_check,
    .create = uds_create,
    .destroy = uds_destroy,
    .serve = uds_serve,
};
