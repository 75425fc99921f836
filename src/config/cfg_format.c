/* cfg_format: the front end for a file (see cfg_format.h). */
#include "config/cfg_format.h"

#include <string.h>
#include <strings.h>

#include "config/cfg_json.h"
#include "config/cfg_yaml.h"

static const struct {
    const char *ext;
    cfg_format_t format;
} by_extension[] = {
    {".yaml", CFG_YAML},
    {".yml", CFG_YAML},
    {".json", CFG_JSON},
    {".ini", CFG_INI},
};

cfg_format_t cfg_format_of(const char *name, const char *text, size_t len)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    const char *slash = name ? strrchr(name, '/') : NULL;
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof by_extension / sizeof by_extension[0]; i++)
            if (strcasecmp(dot, by_extension[i].ext) == 0) return by_extension[i].format;
    return cfg_ini_detect(text, len) ? CFG_INI : CFG_TOML;
}

const char *cfg_format_name(cfg_format_t f)
{
    static const char *const names[] = {
        [CFG_TOML] = "TOML", [CFG_YAML] = "YAML", [CFG_JSON] = "JSON", [CFG_INI] = "legacy INI"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

toml_value_t *cfg_format_parse(cfg_format_t f, const char *text, size_t len, cfg_ini_role_t role,
                               cfg_ini_warn_fn warn, void *arg, toml_error_t *err)
{
    switch (f) {
    case CFG_YAML:
        return cfg_yaml_parse(text, len, false, err);
    case CFG_JSON:
        return cfg_json_parse(text, len, err);
    case CFG_INI:
        return cfg_ini_parse(text, len, role, warn, arg, err);
    default:
        return toml_parse(text, len, err);
    }
}
