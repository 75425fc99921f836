/* config_lb: the checks and defaults of a proxy's loadBalancer.* and
 * healthCheck.* keys (pure; config.c reports what it returns). */
#ifndef BURROW_CONFIG_LB_H
#define BURROW_CONFIG_LB_H

#include <stddef.h>

#include "config/config.h"

/* Fills healthCheck's defaults when a type is set and checks both blocks
 * against p's kind. NULL when fine, else the first problem (written into
 * buf, or a static string), phrased to follow "proxy 'NAME': ". */
const char *config_lb_check(proxy_cfg_t *p, char *buf, size_t len);
/* Frees what config_lb's fields own (config_client_free calls it). */
void config_lb_free(proxy_cfg_t *p);

#endif
