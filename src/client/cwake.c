/* cwake: on-demand Wake-on-LAN for tcp and http proxies (see client_int.h).
 *
 * The decision part: whether a work conn whose local connect failed waits
 * for the machine or gives up, when the magic packet goes (at the first
 * failure, then every WAKE_RESEND_MS while nothing answers), and the log
 * lines ("waking NAME for proxy P", "NAME is up after N s"). The retry
 * timer itself belongs to the work conn (cwork.c). */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"
#include "util/log.h"
#include "wol/wol.h"
#include "wol/wol_send.h"

bool cwake_enabled(const cproxy_t *p)
{
    return p->cfg->wake_mac != NULL;
}

static void log_route(void *ud, const char *route, int err)
{
    const char *name = ud;
    if (err == 0)
        LOG_D("wake: sent name=%s route=\"%s\"", name, route);
    else
        LOG_D("wake: route failed name=%s route=\"%s\" err=%s", name, route, strerror(-err));
}

/* Sends the proxy's magic packet now. The config checked mac and password. */
static void send_magic(cproxy_t *p, uint64_t now)
{
    const proxy_cfg_t *cfg = p->cfg;
    uint8_t mac[WOL_MAC_LEN], pw[WOL_PW_MAX];
    size_t pw_len = 0;
    if (wol_parse_mac(cfg->wake_mac, mac, NULL) != 0) return;
    if (cfg->wake_password && wol_parse_password(cfg->wake_password, pw, &pw_len, NULL) != 0)
        return;
    p->wake_sent = now ? now : 1;
    int n = wol_wake(mac, pw, pw_len, cfg->wake_interface, log_route, cfg->wake_on_lan);
    if (n <= 0)
        LOG_W("wake: no route sent the magic packet name=%s mac=%s err=%s", cfg->wake_on_lan,
              cfg->wake_mac, n < 0 ? strerror(-n) : "every route failed");
}

bool cwake_failed(cproxy_t *p, uint64_t now, uint64_t *since, int err)
{
    const proxy_cfg_t *cfg = p->cfg;
    if (*since == 0) {
        if (p->wake_waiting >= WOL_WAIT_MAX) {
            LOG_ONCE_PER_WINDOW(LOG_WARN,
                                "wake: too many connections waiting proxy=%s max=%d: refused",
                                cfg->name, WOL_WAIT_MAX);
            return false;
        }
        p->wake_waiting++;
        *since = now ? now : 1;
        if (p->wake_waiting == 1)
            LOG_I("waking %s for proxy %s (local connect: %s); the connection waits up to %d s",
                  cfg->wake_on_lan, cfg->name, uv_strerror(err), cfg->wake_timeout);
    }
    if (now - *since >= (uint64_t)cfg->wake_timeout * 1000) {
        LOG_W("wake: %s did not come up within %d s proxy=%s: connection refused", cfg->wake_on_lan,
              cfg->wake_timeout, cfg->name);
        cwake_cancel(p, *since);
        *since = 0;
        return false;
    }
    if (p->wake_sent == 0 || now - p->wake_sent >= WAKE_RESEND_MS) send_magic(p, now);
    return true;
}

void cwake_up(cproxy_t *p, uint64_t now, uint64_t since)
{
    if (since == 0) return;
    LOG_I("%s is up after %.1f s (proxy %s)", p->cfg->wake_on_lan, (double)(now - since) / 1000.0,
          p->cfg->name);
    cwake_cancel(p, since);
    p->wake_sent = 0; /* the next outage wakes at once */
}

void cwake_cancel(cproxy_t *p, uint64_t since)
{
    if (since && p->wake_waiting > 0) p->wake_waiting--;
}
