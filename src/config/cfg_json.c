/* cfg_json: strict JSON check (jansson), then the tree (cfg_yaml.c). */
#include "config/cfg_json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "config/cfg_yaml.h"

toml_value_t *cfg_json_parse(const char *text, size_t len, toml_error_t *err)
{
    toml_error_t local;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    if (len > CFG_MAX_BYTES) {
        err->line = err->col = 1;
        snprintf(err->msg, sizeof err->msg, "text longer than %u bytes", CFG_MAX_BYTES);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text ? text : "", text ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        err->line = jerr.line > 0 ? jerr.line : 1;
        err->col = jerr.column > 0 ? jerr.column : 1;
        snprintf(err->msg, sizeof err->msg, "%s", jerr.text);
        return NULL;
    }
    bool is_object = json_is_object(doc);
    json_decref(doc);
    if (!is_object) {
        err->line = err->col = 1;
        snprintf(err->msg, sizeof err->msg, "the document must be a JSON object");
        return NULL;
    }
    return cfg_yaml_parse(text, len, true, err);
}
