/* cfg_json: JSON config text → the tree toml.c builds (toml.h).
 *
 * jansson checks the text as strict JSON first (its errors name line and
 * column; duplicate keys are refused); libyaml, which reads JSON as the
 * YAML subset it is, then builds the tree with a position for every key and
 * value (cfg_yaml.c with JSON's scalar rules). Pure: no I/O, no logging. */
#ifndef BURROW_CFG_JSON_H
#define BURROW_CFG_JSON_H

#include <stddef.h>

#include "config/toml.h"

/* The root table, or NULL with *err filled in (err may be NULL). The root
 * must be an object. */
toml_value_t *cfg_json_parse(const char *text, size_t len, toml_error_t *err);

#endif
