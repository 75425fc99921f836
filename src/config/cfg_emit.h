/* cfg_emit: writes a config tree (toml.h) as TOML text, for `burrow config
 * convert` (a legacy INI, YAML or JSON file shown as the frpc.toml /
 * frps.toml it amounts to).
 *
 * The style is frp's own examples': top-level keys first with dotted paths
 * (`auth.token = "..."`, `webServer.port = 7400`), then one `[[proxies]]`
 * (or any top-level array of tables) block per entry, its nested tables as
 * dotted keys too; arrays of tables below the top level are written inline.
 * Keys that are not bare words are quoted, strings escaped, so the output
 * reads back (toml_parse) to the same tree. */
#ifndef BURROW_CFG_EMIT_H
#define BURROW_CFG_EMIT_H

#include <stdio.h>

#include "config/toml.h"

/* Writes root (a table) to f. Returns 0, or -1 on a write error. */
int cfg_emit_toml(FILE *f, const toml_value_t *root);

#endif
