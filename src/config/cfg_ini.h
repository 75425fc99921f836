/* cfg_ini: frp's legacy INI configs (frp ≤ 0.51) → the tree of the TOML
 * schema (toml.h), so that the config walker reads them like frpc.toml.
 *
 * The text is `[common]` plus, in a client's file, one `[name]` section per
 * proxy (or visitor, with `role = visitor`; `[range:name]` for a port
 * range), and in a server's file `[plugin.NAME]` sections (httpPlugins).
 * Each snake_case key maps through a table to its TOML key path
 * (`server_addr` → serverAddr, `token` → auth.token, `dashboard_port` →
 * webServer.port, `use_encryption` → transport.useEncryption, ...), and its
 * text is typed by that key: integers, booleans, comma-separated lists
 * (`custom_domains = a, b`), port lists (`allow_ports = 2000-3000,3001`).
 * Prefixed families map as frp did (`meta_X` → metadatas.X, `header_X` →
 * requestHeaders.set.X, `plugin_X` → plugin.*). INI syntax as frp read it:
 * `key = value` or `key: value`, `#`/`;` comment lines, no inline comments,
 * surrounding quotes stripped, a bare key meaning true, an empty value
 * meaning the key is unset, the last of a repeated key winning.
 *
 * Unknown keys and ignored sections go to the `warn` callback with their
 * line (then nothing goes into the tree for them); a value that does not fit
 * its key's type is an error that ends the parse. Pure: no I/O. */
#ifndef BURROW_CFG_INI_H
#define BURROW_CFG_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "config/toml.h"

typedef enum { CFG_INI_SERVER, CFG_INI_CLIENT } cfg_ini_role_t;

/* A warning at `line` (1-based); msg is one line, already escaped. */
typedef void (*cfg_ini_warn_fn)(void *arg, int line, const char *msg);

/* The root table, or NULL with *err filled in (err may be NULL). `warn`
 * may be NULL. */
toml_value_t *cfg_ini_parse(const char *text, size_t len, cfg_ini_role_t role, cfg_ini_warn_fn warn,
                            void *arg, toml_error_t *err);

/* Whether text holds a `[common]` section line: frp's INI, whatever the
 * file's extension (TOML has no use for that table). */
bool cfg_ini_detect(const char *text, size_t len);

/* A server's INI when its [common] holds a key only frps has (bind_port,
 * dashboard_port, vhost_http_port, ...); else a client's. */
cfg_ini_role_t cfg_ini_guess_role(const char *text, size_t len);

#endif
