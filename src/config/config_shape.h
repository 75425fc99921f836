/* config_shape: the values of a proxy's traffic-shaping keys (pure).
 *
 *  - transport.bandwidthLimit: frp's BandwidthQuantity, a number (decimals
 *    allowed) and a unit, "KB" or "MB", bytes per second with KB = 1024
 *    and MB = 1024 * 1024: "1MB", "512KB", "1.5MB". At most
 *    BANDWIDTH_LIMIT_MAX; "0KB"/"0MB" and "" mean no limit, as in frp.
 *  - transport.bandwidthLimitMode: "client" (the default: the client's
 *    relay shapes) or "server" (the server's relay does; the limit rides
 *    NEW_PROXY's bandwidth_limit). */
#ifndef BURROW_CONFIG_SHAPE_H
#define BURROW_CONFIG_SHAPE_H

#include <stddef.h>

#define BANDWIDTH_LIMIT_MAX (1024 * 1024 * 1024) /* 1 GiB/s: fits an int */

typedef enum { BW_MODE_CLIENT = 0, BW_MODE_SERVER = 1 } bw_mode_t;

/* 0 with *out in bytes per second (0: no limit), or -1. */
int config_parse_bandwidth(const char *s, size_t len, int *out);
/* 0 with *out a bw_mode_t, or -1. */
int config_parse_bw_mode(const char *s, size_t len, int *out);
/* "client" or "server". */
const char *config_bw_mode_name(int mode);

#endif
