/* config_plugin: `[proxies.plugin]` tables → plugin_cfg_t (config.h),
 * checked against the plugin's key rows (plugin/plugin.h), and the checks
 * of a proxy that has one. config.c calls these from its proxy loader and
 * reports through `report`; nothing here prints. Pure. */
#ifndef BURROW_CONFIG_PLUGIN_H
#define BURROW_CONFIG_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "config/toml.h"

/* One diagnostic: at `line` of the parsed text (0: none), an error or a
 * warning, the message without "file:line: error: ". */
typedef void (*cfg_report_fn)(void *ctx, int line, bool error, const char *msg);

/* Loads the value of key `scope` ("proxies[3].plugin", written at `line`)
 * into out (zeroed). Reports a table that is no table, a missing or unknown
 * type (naming the known ones), keys the plugin does not take (warnings),
 * values of the wrong type, missing required keys and the plugin's own
 * check. out->type stays NULL after an error about the type. */
void config_plugin_load(const toml_value_t *tab, const char *scope, int line, plugin_cfg_t *out,
                        cfg_report_fn report, void *ctx);

/* frp's plugins burrow skips with a warning (tls2raw, virtual_net): the
 * message for proxy `name`, or NULL when `proxy_tab`'s plugin is none of
 * them. */
const char *config_plugin_skip(const toml_value_t *proxy_tab, const char *name, char *buf,
                               size_t size);

/* What is wrong with proxy p having a plugin: the keys that need a local
 * service (localIP/localPort given: has_local), or a kind that carries
 * datagrams (udp, sudp). NULL when nothing is (or p has no plugin). */
const char *config_plugin_conflict(const proxy_cfg_t *p, const char *scope, bool has_local,
                                   char *buf, size_t size);

bool config_plugin_equal(const plugin_cfg_t *a, const plugin_cfg_t *b);
void config_plugin_free(plugin_cfg_t *p);

#endif
