/* cfg_yaml: YAML config text → the tree toml.c builds (toml.h), so that the
 * config walker, its messages and their `file:line` work unchanged.
 *
 * libyaml's event parser gives a position for every node; each mapping
 * becomes a table, each sequence an array, and each scalar is typed the way
 * frp's YAML loader types it: quoted scalars are strings; plain ones are
 * booleans (true/false, and YAML 1.1's yes/no/on/off), integers (decimal,
 * 0x, 0o), floats, or else strings. What has no place in the tree is
 * refused with its line and column: null values, anchors and aliases (a
 * config has no need of them and they let a small text grow large), tags
 * other than !!str/!!int/!!float/!!bool, keys that are not scalars,
 * duplicate keys, several documents, nesting deeper than TOML_MAX_DEPTH,
 * text longer than CFG_MAX_BYTES.
 *
 * With `json` set, the text is JSON (cfg_json.c has checked it with
 * jansson): plain scalars follow JSON's rules (numbers, true, false). Pure:
 * no I/O, no logging. */
#ifndef BURROW_CFG_YAML_H
#define BURROW_CFG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "config/toml.h"

/* The largest config text any front end accepts (and the loader reads). */
#define CFG_MAX_BYTES (4u << 20)

/* The root table, or NULL with *err filled in (err may be NULL). */
toml_value_t *cfg_yaml_parse(const char *text, size_t len, bool json, toml_error_t *err);

#endif
