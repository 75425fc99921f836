/* config_lb: the checks and defaults of a proxy's loadBalancer.* and
 * healthCheck.* keys (pure; config.c reports what it returns). */
#ifndef BURROW_CONFIG_LB_H
#define BURROW_CONFIG_LB_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

/* Check p's loadBalancer block, then its healthCheck block (filling its
 * defaults when a type is set). NULL when fine, else the first problem
 * (written into buf, or a static string), phrased to follow "proxy
 * 'NAME': ". *warn is set when it only warns: what frp ignores silently
 * (a group on a kind without groups, a groupKey without a group, health
 * check keys without a type) is dropped here, and said. */
const char *config_lb_check_group(proxy_cfg_t *p, char *buf, size_t len, bool *warn);
const char *config_lb_check_health(proxy_cfg_t *p, char *buf, size_t len, bool *warn);
/* Frees what config_lb's fields own (config_client_free calls it). */
void config_lb_free(proxy_cfg_t *p);

#endif
