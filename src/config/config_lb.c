/* config_lb: loadBalancer.* and healthCheck.* of one proxy (config_lb.h).
 *
 * frp's rules: a group needs a name (groupKey may be empty, as in frp, but
 * then anyone who knows the group name can join); groups exist for tcp
 * and http proxies (frp ignores the keys elsewhere: burrow warns and drops
 * them); a health check is "tcp" (connect) or "http" (GET path, 2xx is
 * healthy; the path is required, as in frp), with frp's defaults 3 s
 * timeout, 1 failure, 10 s interval. */
#include "config/config_lb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    health_type_t type;
} health_types[] = {{"tcp", HEALTH_TCP}, {"http", HEALTH_HTTP}};

static void drop_group(proxy_cfg_t *p)
{
    free(p->lb_group);
    free(p->lb_group_key);
    p->lb_group = p->lb_group_key = NULL;
}

const char *config_lb_check_group(proxy_cfg_t *p, char *buf, size_t len, bool *warn)
{
    *warn = true;
    if (!p->lb_group && !p->lb_group_key) return NULL;
    if (!p->lb_group || !p->lb_group[0]) {
        drop_group(p);
        return "loadBalancer.groupKey without loadBalancer.group; ignored";
    }
    if (p->kind != PROXY_TCP && p->kind != PROXY_HTTP) {
        snprintf(buf, len, "loadBalancer needs type tcp or http; ignored for type %s",
                 kind_name(p->kind));
        drop_group(p);
        return buf;
    }
    *warn = false;
    if (strlen(p->lb_group) > 64) return "loadBalancer.group is longer than 64 bytes";
    if (p->lb_group_key && strlen(p->lb_group_key) > 256)
        return "loadBalancer.groupKey is longer than 256 bytes";
    return NULL;
}

static void health_defaults(health_cfg_t *h)
{
    if (!h->timeout_s) h->timeout_s = HEALTH_TIMEOUT_DEFAULT;
    if (!h->max_failed) h->max_failed = HEALTH_MAX_FAILED_DEFAULT;
    if (!h->interval_s) h->interval_s = HEALTH_INTERVAL_DEFAULT;
}

static void drop_health(health_cfg_t *h)
{
    free(h->path);
    for (int i = 0; i < h->headers.n; i++) {
        free(h->headers.v[i].name);
        free(h->headers.v[i].value);
    }
    free(h->headers.v);
    *h = (health_cfg_t){0};
}

const char *config_lb_check_health(proxy_cfg_t *p, char *buf, size_t len, bool *warn)
{
    health_cfg_t *h = &p->health;
    bool other = h->timeout_s || h->max_failed || h->interval_s || h->path || h->headers.n;
    *warn = !h->type_name;
    if (!h->type_name) {
        if (!other) return NULL;
        drop_health(h);
        return "healthCheck keys without healthCheck.type (\"tcp\" or \"http\"): no health check";
    }
    for (size_t i = 0; i < sizeof health_types / sizeof health_types[0]; i++)
        if (strcmp(h->type_name, health_types[i].name) == 0) h->type = health_types[i].type;
    if (h->type == HEALTH_NONE) {
        snprintf(buf, len, "healthCheck.type '%.40s' is not \"tcp\" or \"http\"", h->type_name);
        return buf;
    }
    if (p->plugin.type) /* it probes localIP:localPort, which a plugin replaces */
        return "healthCheck probes localIP:localPort, and a proxy with a plugin has none";
    health_defaults(h);
    if (h->type == HEALTH_HTTP && (!h->path || h->path[0] != '/'))
        return "healthCheck.type \"http\" needs healthCheck.path starting with '/'";
    if (h->type == HEALTH_TCP && (h->path || h->headers.n))
        return "healthCheck.path and httpHeaders need healthCheck.type \"http\"";
    for (const char *c = h->path; c && *c; c++) /* it goes into a request line as is */
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return "healthCheck.path holds a space or a control character";
    return NULL;
}

void config_lb_free(proxy_cfg_t *p)
{
    drop_group(p);
    free(p->health.type_name);
    drop_health(&p->health);
}
