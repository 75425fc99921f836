/* cfg_format: which front end reads a config file, by its name as frp
 * chooses (`.yaml`/`.yml` → YAML, `.json` → JSON, `.ini` → legacy INI,
 * anything else TOML) and, for a non-YAML/JSON file, by its content (a
 * `[common]` section is frp's legacy INI). Every front end gives the same
 * tree (toml.h), so the config walker never knows the format. Pure. */
#ifndef BURROW_CFG_FORMAT_H
#define BURROW_CFG_FORMAT_H

#include <stddef.h>

#include "config/cfg_ini.h"
#include "config/toml.h"

typedef enum { CFG_TOML, CFG_YAML, CFG_JSON, CFG_INI } cfg_format_t;

/* The format of a file named `name` holding text[0..len). */
cfg_format_t cfg_format_of(const char *name, const char *text, size_t len);

/* "TOML", "YAML", "JSON", "legacy INI". */
const char *cfg_format_name(cfg_format_t f);

/* Parses text in format f: the root table, or NULL with *err filled in.
 * `role` and `warn`/`arg` matter only for INI (cfg_ini.h). */
toml_value_t *cfg_format_parse(cfg_format_t f, const char *text, size_t len, cfg_ini_role_t role,
                               cfg_ini_warn_fn warn, void *arg, toml_error_t *err);

#endif
